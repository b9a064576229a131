#!/bin/sh
# Recreates the content the fixtures describe and (with --torrents) the
# .torrent fixtures themselves. Run from anywhere; writes under data/.
#
#   data/make-fixtures.sh             # content only (what the tests need)
#   data/make-fixtures.sh --torrents  # content, then every .torrent again
#
# Content pattern (also in metainfo.rs tests): byte i of a file with seed s
# is (i * 7 + s) mod 251. 251 is prime, so no piece repeats another.
# Re-made .torrent files differ in `creation date` only; infohashes in
# data/README.md stay the same.
set -eu
cd "$(dirname "$0")"
PY=/usr/bin/python3   # python3-libtorrent is installed for Debian's python only
TRACKER=http://127.0.0.1:6969/announce
TRACKER2=http://127.0.0.2:6969/announce

rm -rf content
mkdir -p content/multi/sub/deeper
$PY - <<'PYEOF'
def write(path, n, seed):
    with open(path, "wb") as f:
        f.write(bytes((i * 7 + seed) % 251 for i in range(n)))
write("content/single.bin", 100_000, 1)
write("content/multi/a.txt", 5_000, 2)
write("content/multi/empty.txt", 0, 0)
write("content/multi/sub/b.bin", 70_000, 3)
write("content/multi/sub/deeper/c.bin", 20_000, 4)
PYEOF

[ "${1:-}" = "--torrents" ] || exit 0

# Real tools. 32 KiB pieces (mktorrent -l 15 is its smallest) keep the files small.
mktorrent -l 15 -a "$TRACKER" -o mktorrent-single.torrent content/single.bin >/dev/null
rm -f mktorrent-multi.torrent mktorrent-private-source.torrent transmission-multi.torrent
mktorrent -l 15 -a "$TRACKER" -a "$TRACKER2" -w http://127.0.0.1:8080/files/ \
    -c "bitsy fixture" -o mktorrent-multi.torrent content/multi >/dev/null
mktorrent -l 15 -p -s BITSY -a "$TRACKER" -o mktorrent-private-source.torrent content/multi >/dev/null
transmission-create -s 32 -t "$TRACKER" -t "$TRACKER2" -c "bitsy fixture" \
    -o transmission-multi.torrent content/multi >/dev/null

$PY - <<'PYEOF'
import libtorrent as lt

def make(src, out, flags):
    fs = lt.file_storage()
    lt.add_files(fs, src)
    t = lt.create_torrent(fs, 32768, flags=flags)
    t.add_tracker("http://127.0.0.1:6969/announce", 0)
    lt.set_piece_hashes(t, "content")
    with open(out, "wb") as f:
        f.write(lt.bencode(t.generate()))

make("content/multi", "libtorrent-v1.torrent", lt.create_torrent.v1_only)
make("content/multi", "libtorrent-hybrid.torrent", 0)
make("content/single.bin", "libtorrent-hybrid-single.torrent", 0)
PYEOF

# Hostile fixtures: hand-written bencode, otherwise valid (correct hashes),
# each broken in exactly one way.
$PY - <<'PYEOF'
import hashlib

def ben(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(ben(x) for x in v) + b"e"
    return b"d" + b"".join(ben(k) + ben(v[k]) for k in sorted(v)) + b"e"

PIECE = 32768
def multi(paths, name="hostile"):
    data = bytes((i * 7 + 5) % 251 for i in range(10 * len(paths)))
    pieces = b"".join(hashlib.sha1(data[i:i + PIECE]).digest()
                      for i in range(0, len(data), PIECE))
    files = [{"length": 10, "path": p} for p in paths]
    info = {"files": files, "name": name, "piece length": PIECE, "pieces": pieces}
    return ben({"announce": "http://127.0.0.1:6969/announce", "info": info})

fixtures = {
    "hostile-dotdot.torrent": multi([["ok.txt"], ["..", "evil.txt"]]),
    "hostile-absolute.torrent": multi([["ok.txt"], ["/etc", "passwd"]]),
    "hostile-name-dotdot.torrent": multi([["ok.txt"]], name=".."),
    "hostile-duplicate.torrent": multi([["dir", "a.txt"], ["dir", "a.txt"]]),
    "hostile-file-dir-clash.torrent": multi([["a"], ["a", "b"]]),
    # 100,000 nested lists inside the info dictionary.
    "hostile-deep.torrent": b"d4:infod1:x" + b"l" * 100_000 + b"e" * 100_000 + b"ee",
}
for name, body in fixtures.items():
    with open(name, "wb") as f:
        f.write(body)
PYEOF

for t in *.torrent; do
    printf '%s ' "$t"
    $PY -c 'import sys, libtorrent as lt
try: print(lt.torrent_info(sys.argv[1]).info_hashes().v1)
except Exception as e: print("libtorrent refuses:", e)' "$t"
done

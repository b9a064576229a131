"""The bench's scale part (issue 8 §4): bitsy against 10 and against 200 slow seeders.

One torrent of the bench's single file (256 KiB pieces) announces to the tracker inside
`examples/slow_swarm` (every answer lists all the swarm's seeders; `bitsy tracker` gives out
at most 50). For each row a fresh swarm of N seeders on N distinct addresses 127.1.X.Y serves
it, each connection paced to SWARM_RATE / N bytes/s, so every row has the same total bandwidth
and only the number of peers differs. bitsy downloads it alone (`--max-peers 200 -v`) under
`/usr/bin/time -v` while its thread count is sampled every 0.2 s; the data is checked by
sha256 and deleted; the swarm is stopped by PID.

A row is a report result (report.py) with `peers` (seeders in the swarm), `connected`
(distinct `peer ADDR: connected` lines in bitsy's -v log) and `threads` (the sampled peak).
This part does not measure the seeders, and does not start opentracker or any real client.
"""

import os
import shutil

import harness as h
import measure

SCALE_PEERS = (10, 200)
MAX_PEERS = 200  # bitsy's --max-peers in every row: only the swarm changes
# Bytes/s the whole swarm sends, in every row: 10 x 10 MB/s or 200 x 0.5 MB/s. Well under
# what bitsy reaches on this box (200-270 MB/s in issue 8), so the swarm sets the pace and the
# rows compare bitsy's cost per byte, not its top speed.
SWARM_RATE = 100 * 1000 * 1000
DOWNLOAD_TIMEOUT = 300  # 1 GiB at the swarm's rate takes ~11 s
READY_TIMEOUT = 30  # binding 200 listeners
NOTE = ("Each row: a fresh `examples/slow_swarm` of that many seeders on distinct 127.1.X.Y "
        "addresses, each connection paced to an equal share of the swarm's rate; bitsy alone, "
        "`--max-peers %d -v`. connected: distinct peers bitsy logged as connected; peak "
        "threads: bitsy's `Threads:` in /proc/PID/status, sampled every 0.2 s; the last line "
        "divides the largest swarm's figures by the smallest's." % MAX_PEERS)


def connected_peers(log_path):
    """Distinct addresses in bitsy's `peer ADDR: connected` lines."""
    seen = set()
    try:
        with open(log_path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    for line in text.splitlines():
        at = line.find("peer ")
        if at < 0:
            continue
        addr, _, what = line[at + 5:].partition(": ")
        if what.startswith("connected"):
            seen.add(addr)
    return len(seen)


def row(procs, work, bitsy, swarm_bin, torrent, port, peers, data, size):
    """One swarm of `peers` seeders, one timed download from it: a report result."""
    name = "scale-%d" % peers
    addrs = os.path.join(work, name + ".addrs")
    swarm = procs.start(name + "-swarm", [
        swarm_bin, torrent, data, "--peers", str(peers), "--rate", str(SWARM_RATE // peers),
        "--tracker-port", str(port), "--addrs-file", addrs,
        "--secs", str(DOWNLOAD_TIMEOUT + READY_TIMEOUT + 60)])
    h.wait_until("slow_swarm of %d" % peers, lambda: os.path.exists(addrs), READY_TIMEOUT, swarm)
    dst = os.path.join(work, "dst-" + name)
    os.makedirs(dst)
    h.log("bench: scale: bitsy from %d slow seeders" % peers)
    cmd = [bitsy, "download", torrent, "-o", dst, "--port", str(h.free_port()), "-v",
           "--max-peers", str(MAX_PEERS), "--no-dht"]
    ok, m = measure.timed(procs, work, name, cmd, DOWNLOAD_TIMEOUT, sample_threads=True)
    procs.stop(swarm)
    if ok:
        why = h.compare(torrent, os.path.dirname(data), dst)
        if why:
            h.log("bench:   %s" % why)
            ok = False
    h.log("bench:   %s %.1fs%s" % ("ok" if ok else "FAILED", m["wall"],
                                    "" if ok else procs.log_tail(name)))
    shutil.rmtree(dst)
    cpu = m["user"] + m["sys"] if "user" in m and "sys" in m else None
    return {"label": "%d peers" % peers, "peers": peers, "ok": ok, "size": size,
            "wall": m["wall"], "cpu": cpu, "rss_kib": m.get("rss_kib"),
            "threads": m.get("threads"),
            "connected": connected_peers(os.path.join(work, name + ".log"))}


def scale_part(procs, work, bitsy, swarm_bin, data, size, piece_len):
    """[result] for each of SCALE_PEERS, from the single file `data` of `size` bytes."""
    port = h.free_port("127.0.0.1")  # every row's swarm tracker, so one torrent serves all
    tdir = os.path.join(work, "torrents-scale")
    os.makedirs(tdir)
    h.log("bench: scale: hashing the torrent (mktorrent)")
    torrent = h.make_torrent("mktorrent", data, "http://127.0.0.1:%d/announce" % port,
                             os.path.join(tdir, "scale.torrent"), piece_len)
    return [row(procs, work, bitsy, swarm_bin, torrent, port, n, data, size)
            for n in SCALE_PEERS]

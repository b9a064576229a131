"""select-*: `bitsy download --select` against a real seeder, on loopback.

  select-aria2c   aria2c seeds a multi-file torrent (made by mktorrent, 64 KiB pieces, no
                  file a multiple of a piece, so the selected file shares a piece at each
                  end); bitsy downloads `--select 2`: file 2 (in torrent order, as
                  `bitsy info` numbers it) must match by sha256, every other file must be
                  absent, and the part file `.INFOHASH.parts` must hold the shared pieces.
                  Then a rerun without --select fetches the rest: every file matches and
                  the part file is gone.

In --self-check mode libtorrent downloads the whole torrent in place of bitsy and file 2 is
compared (libtorrent's helper has no file selection): it checks the seeder and the paths.
"""

import os
import subprocess
import time

TIMEOUT = 120
READY = 60
CASE = "select-aria2c"
# file00.bin, sub/file01.bin, file02.bin (17 bytes), sub/file03.bin
SIZES = [100_000, 150_000, 17, 90_000]


def _bitsy(h, procs, t, dst, select, name):
    cmd = [h.bitsy_bin(), "download", t, "-o", dst, "--port", str(h.free_port()), "-v",
           "--no-dht"]
    if select:
        cmd += ["--select", select]
    p = procs.start(name, cmd)
    try:
        return p.wait(TIMEOUT) == 0
    except subprocess.TimeoutExpired:
        procs.stop(p)
        return False


def _check(h, t, data, dst, chosen):
    """None if the files at `chosen` (indexes in torrent order) match and the others are
    absent, else why not."""
    for i, rel in enumerate(h.torrent_files(t)):
        b = os.path.join(dst, rel)
        if i not in chosen:
            if os.path.exists(b):
                return "not selected but created: " + rel
        elif not os.path.exists(b):
            return "missing " + rel
        elif h.sha256(os.path.join(data, rel)) != h.sha256(b):
            return "sha256 differs: " + rel
    return None


def cases(h, procs, work, tracker, res, self_check, filters):
    if filters and not any(f in CASE for f in filters):
        return
    cls, ip = h.SEEDERS["aria2c"]
    data = os.path.join(work, "src-" + CASE)
    tdir = os.path.join(work, "torrents")
    os.makedirs(tdir, exist_ok=True)
    seeder = None
    try:
        path = h.make_content(data, CASE, SIZES, CASE)
        t = h.make_torrent("mktorrent", path, tracker.url,
                           os.path.join(tdir, CASE + ".torrent"), 64 * 1024)
        ih = h.infohash(t)
        tracker.allow(ih)
        seeder = cls(procs, work, ip, data)
        seeder.start([t])
        seeder.wait_ready(tracker.url, [ih], READY)
        dst = os.path.join(work, "dst-" + CASE)
        os.makedirs(dst)
        t0 = time.monotonic()
        if self_check:
            ok = h.lt_download(procs, "127.0.0.200", t, dst, TIMEOUT)
            rel = h.torrent_files(t)[1]
            same = ok and h.sha256(os.path.join(data, rel)) == h.sha256(os.path.join(dst, rel))
            res.report(CASE, same, "" if same else "file 2 differs or the download failed",
                       time.monotonic() - t0)
            return
        name = "bitsy-" + CASE
        ok = _bitsy(h, procs, t, dst, "2", name)
        why = _check(h, t, data, dst, {1}) if ok else "download failed or timed out"
        parts = os.path.join(dst, ".%s.parts" % ih)
        if why is None and not os.path.isfile(parts):
            why = "no part file " + parts
        if why is None:
            ok = _bitsy(h, procs, t, dst, None, name + "-all")
            why = _check(h, t, data, dst, set(range(len(SIZES)))) if ok else \
                "the download of every file failed or timed out"
            if why is None and os.path.exists(parts):
                why = "the part file is still there after every file was fetched"
        if why:
            why += procs.log_tail(name)
        res.report(CASE, why is None, why or "", time.monotonic() - t0)
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        res.report(CASE, False, str(e))
    finally:
        if seeder is not None:
            seeder.stop()

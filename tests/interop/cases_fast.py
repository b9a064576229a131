"""fast-*: the Fast extension (BEP 6) with real clients, on loopback.

  fast-libtorrent     a libtorrent seeder, `bitsy download` fetches; then `bitsy seed` serves
                      and libtorrent fetches (through `bitsy tracker`).
  fast-transmission   a Transmission seeder, `bitsy download` fetches.

Data is compared by sha256 (h.compare). Evidence that Fast was negotiated comes from bitsy's
`-v` log: "connected, fast extension (BEP 6)" when both handshakes set the bit, and, on the
download side, "has every piece (have all)" when the seeder announced itself with BEP 6's
`have all` rather than a bitfield. A case whose data matches but whose log lacks the evidence
fails. In --self-check mode these cases are left out (they test bitsy's side of BEP 6 only).
"""

import os
import subprocess
import time

TIMEOUT = 120
READY = 60
NEGOTIATED = "fast extension (BEP 6)"
HAVE_ALL = "has every piece (have all)"


def _log(work, name):
    try:
        with open(os.path.join(work, name + ".log"), "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _evidence(work, name, needles):
    text = _log(work, name)
    missing = [n for n in needles if n not in text]
    return ("log lacks %s" % ", ".join(repr(n) for n in missing)) if missing else None


def _download_from(h, procs, work, tracker, res, client, case):
    """`client` seeds a fresh torrent alone; bitsy downloads it with -v."""
    cls, ip = h.SEEDERS[client]
    data = os.path.join(work, "src-" + case)
    tdir = os.path.join(work, "torrents")
    os.makedirs(tdir, exist_ok=True)
    seeder = None
    try:
        path = h.make_content(data, case, [2_000_003, 70_000], case)
        t = h.make_torrent("mktorrent", path, tracker.url,
                           os.path.join(tdir, case + ".torrent"), 64 * 1024)
        ih = h.infohash(t)
        tracker.allow(ih)
        seeder = cls(procs, work, ip, data)
        seeder.start([t])
        seeder.wait_ready(tracker.url, [ih], READY)
        dst = os.path.join(work, "dst-" + case)
        os.makedirs(dst)
        name = "bitsy-" + case
        t0 = time.monotonic()
        ok = h.bitsy_download(procs, t, dst, TIMEOUT, name=name)
        secs = time.monotonic() - t0
        why = h.compare(t, data, dst) if ok else "download failed or timed out"
        why = why or _evidence(work, name, [NEGOTIATED, HAVE_ALL])
        if why:
            why += procs.log_tail(name)
        res.report(case, why is None, (why + " ") if why else "[%s seeds]" % client, secs)
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        res.report(case, False, str(e))
    finally:
        if seeder is not None:
            seeder.stop()


def _libtorrent_from_bitsy(h, procs, work, res, case):
    """`bitsy seed -v` serves; libtorrent downloads through `bitsy tracker`."""
    data = os.path.join(work, "src-" + case)
    tdir = os.path.join(work, "torrents")
    os.makedirs(tdir, exist_ok=True)
    started = []
    try:
        bt_port = h.free_port("127.0.0.1")
        bt = procs.start("bitsy-tracker-" + case, [h.bitsy_bin(), "tracker", "--bind",
                                                   "127.0.0.1", "--port", str(bt_port)])
        started.append(bt)
        h.wait_until("bitsy tracker", lambda: h.port_open("127.0.0.1", bt_port), 10, bt)
        url = "http://127.0.0.1:%d/announce" % bt_port
        path = h.make_content(data, case, [1_500_001, 4_321], case)
        t = h.make_torrent("bitsy", path, url, os.path.join(tdir, case + ".torrent"),
                           64 * 1024)
        port = h.free_port()
        name = "bitsy-seed-" + case
        seed = procs.start(name, [h.bitsy_bin(), "seed", t, path, "--port", str(port), "-v",
                                  "--no-dht"])
        started.append(seed)
        h.wait_seeder(url, h.infohash(t), port, READY, seed)
        dst = os.path.join(work, "dst-" + case)
        os.makedirs(dst)
        t0 = time.monotonic()
        ok = h.lt_download(procs, "127.0.0.15", t, dst, TIMEOUT)
        secs = time.monotonic() - t0
        why = h.compare(t, data, dst) if ok else "download failed or timed out"
        why = why or _evidence(work, name, [NEGOTIATED])
        if why:
            why += procs.log_tail(name)
        res.report(case, why is None, (why + " ") if why else "[bitsy seeds]", secs)
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        res.report(case, False, str(e))
    finally:
        for p in reversed(started):
            procs.stop(p, 15)


def cases(h, procs, work, tracker, res, self_check, filters):
    def selected(name):
        return not filters or any(f in name for f in filters)
    if self_check:
        return
    if selected("fast-libtorrent"):
        _download_from(h, procs, work, tracker, res, "libtorrent", "fast-libtorrent-seeds")
        _libtorrent_from_bitsy(h, procs, work, res, "fast-libtorrent-fetches")
    if selected("fast-transmission"):
        _download_from(h, procs, work, tracker, res, "transmission", "fast-transmission-seeds")

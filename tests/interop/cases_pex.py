"""pex-libtorrent: bitsy finds a seeder through peer exchange (BEP 11) alone.

Two python3-libtorrent seeders (lt_pex_seed.py, PEX on, libtorrent's default plugin):
- B (127.0.0.22) never announces (its torrent has no trackers) and seeds at full speed;
- A (127.0.0.21) announces to opentracker, is held to UPLOAD_LIMIT bytes/s, and connects to
  B itself, so B is in the list A sends its peers in `ut_pex`.
The tracker lists A only (checked). `bitsy download` fetches a torrent of SIZE bytes within
TIMEOUT s: from A alone that takes SIZE / UPLOAD_LIMIT (longer than TIMEOUT), so bitsy must
find B through A's `ut_pex` (libtorrent 2.0 sends its first one to a peer within seconds of
the handshake, then one a minute). The case checks the data by sha256, and that bitsy's -v
log shows it took B's address from PEX and connected to it.

bitsy listens on DOWNLOADER_IP only, while its outgoing connections come from 127.0.0.1: A
tells B of bitsy (at 127.0.0.1 and bitsy's `p` port) in its own `ut_pex`, and without this B
would dial bitsy first, so that the download would succeed without bitsy reading any PEX.

--self-check: libtorrent downloads in place of bitsy (it speaks PEX too); the B check is left
out (its log does not list peers).
"""

import os
import subprocess
import time

CASE = "pex-libtorrent"
A_IP, B_IP, DOWNLOADER_IP = "127.0.0.21", "127.0.0.22", "127.0.0.23"
UPLOAD_LIMIT = 20_000  # bytes/s: 5 MB would take over four minutes from A alone
SIZE = 5_000_000 + 333
TIMEOUT = 180  # PEX about a minute in, then B's full speed
READY_TIMEOUT = 60


def _log_has(procs, name, text):
    try:
        with open(os.path.join(procs.logdir, name + ".log"), "rb") as f:
            return text.encode() in f.read()
    except OSError:
        return False


def cases(h, procs, work, tracker, res, self_check, filters):
    if filters and not any(f in CASE for f in filters):
        return
    seeder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lt_pex_seed.py")
    data = os.path.join(work, "src-" + CASE)
    tdir = os.path.join(work, "torrents")
    os.makedirs(tdir, exist_ok=True)
    started = []
    try:
        path = h.make_content(data, CASE, [SIZE], CASE)
        t = h.make_torrent("libtorrent", path, tracker.url,
                           os.path.join(tdir, CASE + ".torrent"), 64 * 1024)
        ih = h.infohash(t)
        tracker.allow(ih)
        port_b, port_a = h.free_port(), h.free_port()
        b = procs.start("lt-pex-B", [h.PY, "-u", seeder, B_IP, str(port_b), data, t,
                                     "--no-trackers"])
        started.append(b)
        h.wait_until("seeder B", lambda: _log_has(procs, "lt-pex-B", "READY"),
                     READY_TIMEOUT, b)
        a = procs.start("lt-pex-A", [h.PY, "-u", seeder, A_IP, str(port_a), data, t,
                                     "--upload-limit", str(UPLOAD_LIMIT),
                                     "--connect", "%s:%d" % (B_IP, port_b)])
        started.append(a)
        h.wait_until("seeder A connected to B",
                     lambda: _log_has(procs, "lt-pex-A", "CONNECTED"), READY_TIMEOUT, a)
        h.wait_seeder(tracker.url, ih, port_a, READY_TIMEOUT, a, A_IP)
        listed = h.announce_peers(tracker.url, ih, "started")
        h.announce_peers(tracker.url, ih, "stopped")
        if any(port == port_b for _, port in listed):
            raise RuntimeError("the tracker lists B: %s" % listed)
        dst = os.path.join(work, "dst-" + CASE)
        os.makedirs(dst)
        t0 = time.monotonic()
        name = "bitsy-" + CASE
        if self_check:
            ok = h.lt_download(procs, DOWNLOADER_IP, t, dst, TIMEOUT)
        else:
            p = procs.start(name, [h.bitsy_bin(), "download", t, "-o", dst, "--bind",
                                   DOWNLOADER_IP, "--port", str(h.free_port()), "-v",
                                   "--no-dht"])
            try:
                ok = p.wait(TIMEOUT) == 0
            except subprocess.TimeoutExpired:
                procs.stop(p)
                ok = False
        secs = time.monotonic() - t0
        why = h.compare(t, data, dst) if ok else "download failed or timed out"
        b_addr = "%s:%d" % (B_IP, port_b)
        if why is None and not self_check:
            if not _log_has(procs, name, "peer exchange gave"):
                why = "bitsy's log shows no address learned from PEX"
            elif not _log_has(procs, name, "peer %s: connected" % b_addr):
                why = "bitsy never connected to B at %s" % b_addr
        if why and not self_check:
            why += procs.log_tail(name)
        res.report(CASE, why is None,
                   ((why + " ") if why else "") + "[A at %d B/s, B known by PEX only]" %
                   UPLOAD_LIMIT, secs)
    except (RuntimeError, OSError, ValueError, subprocess.SubprocessError) as e:
        res.report(CASE, False, str(e))
    finally:
        for p in reversed(started):
            procs.stop(p, 15)

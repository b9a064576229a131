"""dht-get-peers-libtorrent: `bitsy dht get-peers` finds a libtorrent seeder through the DHT.

Two python3-libtorrent DHT nodes on loopback (lt_dht.py): R (127.0.0.31) only routes; S
(127.0.0.32) joins R and seeds a torrent without trackers, so the DHT is the only place that
knows S. Once R has received S's announce_peer, `bitsy dht get-peers INFOHASH --dht-bootstrap R` must exit 0
and print `peer 127.0.0.32:PORT` (S's listen port), within TIMEOUT.

--self-check: a third libtorrent node looks the infohash up in place of bitsy.
"""

import os
import subprocess
import time

CASE = "dht-get-peers-libtorrent"
R_IP, S_IP, ASKER_IP = "127.0.0.31", "127.0.0.32", "127.0.0.33"
TIMEOUT = 60
READY_TIMEOUT = 60


def _log(procs, name):
    try:
        with open(os.path.join(procs.logdir, name + ".log"), "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def cases(h, procs, work, res, self_check, filters):
    if filters and not any(f in CASE for f in filters):
        return
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lt_dht.py")
    started = []
    try:
        port_r, port_s = h.free_port(), h.free_port()
        r = procs.start("lt-dht-R", [h.PY, "-u", script, "router", R_IP, str(port_r)])
        started.append(r)
        h.wait_until("DHT router", lambda: "READY" in _log(procs, "lt-dht-R"), READY_TIMEOUT, r)
        s = procs.start("lt-dht-S", [h.PY, "-u", script, "seed", S_IP, str(port_s), R_IP,
                                     str(port_r), os.path.join(work, "src-" + CASE)])
        started.append(s)
        h.wait_until("the seeder's announce at the router",
                     lambda: "ANNOUNCED" in _log(procs, "lt-dht-R"), READY_TIMEOUT, s)
        ih = _log(procs, "lt-dht-S").split("INFOHASH ", 1)[1].split()[0]
        name = "asker-" + CASE
        t0 = time.monotonic()
        if self_check:
            cmd = [h.PY, "-u", script, "get", ASKER_IP, str(h.free_port()), R_IP, str(port_r), ih]
        else:
            cmd = [h.bitsy_bin(), "dht", "get-peers", ih, "--dht-bootstrap",
                   "%s:%d" % (R_IP, port_r)]
        p = procs.start(name, cmd)
        try:
            ok = p.wait(TIMEOUT) == 0
        except subprocess.TimeoutExpired:
            procs.stop(p)
            ok = False
        secs = time.monotonic() - t0
        want = "peer %s:%d" % (S_IP, port_s)
        out = _log(procs, name)
        why = None if ok and want in out else "no `%s` in the output" % want
        if why:
            why += procs.log_tail(name)
        hops = out.count("hop ")
        res.report(CASE, why is None, (why or "") + " [%d hops, seeder known only to the DHT]" %
                   hops, secs)
    except (RuntimeError, OSError, ValueError, IndexError, subprocess.SubprocessError) as e:
        res.report(CASE, False, str(e))
    finally:
        for p in reversed(started):
            procs.stop(p, 15)

"""fetch-transmission: Transmission downloads from a `bitsy seed`, across a network namespace.

Transmission 3.00 ignores peers at 127.x and ::1 by design, so on loopback it cannot download
from anyone. Here it runs in a network namespace of its own, joined to the host by a veth pair
with private addresses (10.199.X.1 on the host, 10.199.X.2 inside); `bitsy tracker` and
`bitsy seed` stay on the host and are reached at 10.199.X.1. Needs root (CAP_NET_ADMIN and
CAP_SYS_ADMIN for `ip netns`); the namespace and the veth pair are removed in `finally`.

In --self-check mode a libtorrent seeder and opentracker (on 10.199.X.1) stand in for bitsy.
"""

import os
import random
import subprocess
import time

TRACKER_READY = 10


def ip(*args):
    subprocess.run(["ip"] + list(args), check=True, capture_output=True, timeout=10)


def case(h, procs, work, res, self_check, timeout):
    name = "fetch-transmission"
    x = random.randint(1, 250)
    ns, vh, vn = "bitsy-t%d" % x, "bt%dh" % x, "bt%dn" % x
    host, inside = "10.199.%d.1" % x, "10.199.%d.2" % x
    made_ns = False
    started = []
    try:
        ip("netns", "add", ns)
        made_ns = True
        ip("link", "add", vh, "type", "veth", "peer", "name", vn)
        ip("link", "set", vn, "netns", ns)
        ip("addr", "add", host + "/24", "dev", vh)
        ip("link", "set", vh, "up")
        ip("-n", ns, "addr", "add", inside + "/24", "dev", vn)
        ip("-n", ns, "link", "set", vn, "up")
        ip("-n", ns, "link", "set", "lo", "up")

        data = os.path.join(work, "src-netns")
        path = h.make_content(data, "netns-multi", [2_000_000, 1_500_001, 333], "bitsy-netns")
        tpath = os.path.join(work, "torrents", "netns.torrent")
        os.makedirs(os.path.dirname(tpath), exist_ok=True)
        port = h.free_port()
        if self_check:
            ot = h.OpenTracker(procs, work, ip=host)
            url = ot.url
            t = h.make_torrent("libtorrent", path, url, tpath, 64 * 1024)
            ot.allow(h.infohash(t))
            s = h.LibtorrentSeeder(procs, work, host, data)
            s.port = port
            s.start([t])
            seeder = s.proc
        else:
            tport = h.free_port(host)
            bt = procs.start("bitsy-tracker-netns", [h.bitsy_bin(), "tracker", "--bind", host,
                                                     "--port", str(tport)])
            started.append(bt)
            h.wait_until("bitsy tracker", lambda: h.port_open(host, tport), TRACKER_READY, bt)
            url = "http://%s:%d/announce" % (host, tport)
            t = h.make_torrent("bitsy", path, url, tpath, 64 * 1024)
            seeder = procs.start("bitsy-seed-netns", [h.bitsy_bin(), "seed", t, path, "--port",
                                                      str(port), "--no-dht"])
        started.append(seeder)
        ih = h.infohash(t)
        h.wait_seeder(url, ih, port, 30, seeder, ip=host)

        dst = os.path.join(work, "dst-netns")
        os.makedirs(dst)
        tr = h.TransmissionSeeder(procs, work, inside, dst)
        tr.prefix = ["ip", "netns", "exec", ns]
        t0 = time.monotonic()
        tr.start([t])
        started.append(tr.proc)

        def done():
            out = tr.remote("-l")
            return any(" 100% " in line and "netns-multi" in line for line in out.splitlines())
        try:
            h.wait_until("transmission download", done, timeout, tr.proc, interval=0.5)
            why = h.compare(t, data, dst)
        except RuntimeError as e:
            why = str(e)
        res.report(name, why is None, ((why + " ") if why else "") + "[torrent by %s]" % (
            "libtorrent" if self_check else "bitsy"), time.monotonic() - t0)
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        res.report(name, False, str(e))
    finally:
        for p in reversed(started):
            procs.stop(p, 15)
        if made_ns:
            subprocess.run(["ip", "link", "del", vh], capture_output=True, timeout=10)
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)

"""Trackerless swarms through the DHT, with real DHT implementations on loopback.

dht-magnet-from-libtorrent: a python3-libtorrent router R (127.0.0.41) and a libtorrent seeder S
  (127.0.0.42) that announces a trackerless torrent to the DHT only. `bitsy download
  'magnet:?xt=urn:btih:IH' --dht-bootstrap R` fetches the metadata and the data from S, which it
  can only have learnt of through the DHT; the file must equal S's.
dht-libtorrent-finds-bitsy-seed: R again; `bitsy create` (no tracker) and `bitsy seed
  --dht-bootstrap R` on 127.0.0.43; R must log bitsy's announce_peer (ANNOUNCED with bitsy's
  TCP port), then a libtorrent node on 127.0.0.44 given only R downloads the torrent from bitsy.
dht-aria2-announces-to-bitsy: a `bitsy seed` of an unrelated torrent on 127.0.0.45 is the only
  DHT node aria2 knows (--dht-entry-point); aria2 seeds a trackerless torrent on 127.0.0.46 and
  announces it to bitsy's node; `bitsy download` of that torrent on 127.0.0.47, bootstrapped from
  the same bitsy node, finds aria2 there and downloads the file from it.

--self-check: libtorrent (lt_dht.py fetch) takes bitsy's downloader roles; bitsy's seeder stays.
"""

import os
import subprocess
import time

R_IP, S_IP = "127.0.0.41", "127.0.0.42"
BITSY_SEED_IP, LT_GET_IP = "127.0.0.43", "127.0.0.44"
HUB_IP, ARIA_IP, BITSY_DL_IP = "127.0.0.45", "127.0.0.46", "127.0.0.47"
TIMEOUT = 90
READY_TIMEOUT = 60
SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lt_dht.py")


def _log(procs, name):
    try:
        with open(os.path.join(procs.logdir, name + ".log"), "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _same(a, b):
    try:
        with open(a, "rb") as x, open(b, "rb") as y:
            return x.read() == y.read()
    except OSError:
        return False


def _wait(procs, p, timeout):
    try:
        return p.wait(timeout) == 0
    except subprocess.TimeoutExpired:
        procs.stop(p)
        return False


def _router(h, procs, started, tag):
    port = h.free_port()
    name = "lt-dht-R-" + tag
    r = procs.start(name, [h.PY, "-u", SCRIPT, "router", R_IP, str(port)])
    started.append(r)
    h.wait_until("DHT router", lambda: "READY" in _log(procs, name), READY_TIMEOUT, r)
    return name, port


def _bitsy_download(h, procs, name, what, dst, ip, boot):
    cmd = [h.bitsy_bin(), "download", what, "-o", dst, "--bind", ip, "--port",
           str(h.free_port()), "-v", "--stall-timeout", "60", "--dht-bootstrap", boot]
    return _wait(procs, procs.start(name, cmd), TIMEOUT)


def magnet_from_libtorrent(h, procs, work, res, self_check):
    case = "dht-magnet-from-libtorrent"
    started = []
    try:
        rname, port_r = _router(h, procs, started, case)
        src = os.path.join(work, "src-" + case)
        s = procs.start("lt-dht-S-" + case, [h.PY, "-u", SCRIPT, "seed", S_IP,
                                             str(h.free_port()), R_IP, str(port_r), src])
        started.append(s)
        h.wait_until("the seeder's announce at the router",
                     lambda: "ANNOUNCED" in _log(procs, rname), READY_TIMEOUT, s)
        ih = _log(procs, "lt-dht-S-" + case).split("INFOHASH ", 1)[1].split()[0]
        dst = os.path.join(work, "dst-" + case)
        os.makedirs(dst)
        name = "downloader-" + case
        t0 = time.monotonic()
        if self_check:
            # libtorrent needs the .torrent for `fetch`; a magnet is bitsy's part.
            ok = True
        else:
            ok = _bitsy_download(h, procs, name, "magnet:?xt=urn:btih:" + ih, dst, BITSY_DL_IP,
                                 "%s:%d" % (R_IP, port_r))
        secs = time.monotonic() - t0
        same = self_check or _same(os.path.join(src, "f.bin"), os.path.join(dst, "f.bin"))
        why = None if ok and same else ("exit %s, data equal: %s" % (ok, same)) + \
            procs.log_tail(name)
        res.report(case, why is None, (why or "") + " [magnet with only xt=; seeder known only "
                   "to the DHT]", secs)
    except (RuntimeError, OSError, ValueError, IndexError, subprocess.SubprocessError) as e:
        res.report(case, False, str(e))
    finally:
        for p in reversed(started):
            procs.stop(p, 15)


def libtorrent_finds_bitsy_seed(h, procs, work, res, self_check):
    case = "dht-libtorrent-finds-bitsy-seed"
    started = []
    try:
        rname, port_r = _router(h, procs, started, case)
        src = os.path.join(work, "src-" + case)
        os.makedirs(src)
        data = os.path.join(src, "b.bin")
        with open(data, "wb") as f:
            f.write(os.urandom(3 << 20))
        t = os.path.join(work, case + ".torrent")
        subprocess.run([h.bitsy_bin(), "create", data, "-o", t, "-q"], check=True, timeout=60)
        port = h.free_port()
        seed = procs.start("bitsy-seed-" + case, [
            h.bitsy_bin(), "seed", t, data, "--bind", BITSY_SEED_IP, "--port", str(port), "-v",
            "--dht-bootstrap", "%s:%d" % (R_IP, port_r)])
        started.append(seed)
        t0 = time.monotonic()
        h.wait_until("bitsy's announce_peer at the libtorrent router",
                     lambda: ("port %d" % port) in _log(procs, rname), READY_TIMEOUT, seed)
        announced = time.monotonic() - t0
        dst = os.path.join(work, "dst-" + case)
        os.makedirs(dst)
        name = "lt-fetch-" + case
        p = procs.start(name, [h.PY, "-u", SCRIPT, "fetch", LT_GET_IP, str(h.free_port()), R_IP,
                               str(port_r), t, dst])
        ok = _wait(procs, p, TIMEOUT + 15)
        secs = time.monotonic() - t0
        same = _same(data, os.path.join(dst, "b.bin"))
        why = None if ok and same else ("libtorrent done: %s, data equal: %s" % (ok, same)) + \
            procs.log_tail(name) + procs.log_tail("bitsy-seed-" + case)
        res.report(case, why is None, (why or "") + " [announce_peer seen %.1f s after start]" %
                   announced, secs)
    except (RuntimeError, OSError, ValueError, IndexError, subprocess.SubprocessError) as e:
        res.report(case, False, str(e))
    finally:
        for p in reversed(started):
            procs.stop(p, 15)


def aria2_announces_to_bitsy(h, procs, work, res, self_check):
    case = "dht-aria2-announces-to-bitsy"
    started = []
    try:
        # The hub: a bitsy seeder of an unrelated trackerless torrent; only its DHT node matters.
        hub_dir = os.path.join(work, "hub-" + case)
        os.makedirs(hub_dir)
        hub_data = os.path.join(hub_dir, "hub.bin")
        with open(hub_data, "wb") as f:
            f.write(os.urandom(64 << 10))
        hub_t = os.path.join(work, "hub-" + case + ".torrent")
        subprocess.run([h.bitsy_bin(), "create", hub_data, "-o", hub_t, "-q"], check=True,
                       timeout=60)
        hub_port = h.free_port()
        hub = procs.start("bitsy-hub-" + case, [
            h.bitsy_bin(), "seed", hub_t, hub_data, "--bind", HUB_IP, "--port", str(hub_port),
            "-v", "--dht-bootstrap", "127.0.0.1:9"])
        started.append(hub)
        hub_log = "bitsy-hub-" + case
        h.wait_until("the bitsy hub's DHT node", lambda: "dht: node on UDP port " in
                     _log(procs, hub_log), READY_TIMEOUT, hub)
        hub_udp = int(_log(procs, hub_log).split("dht: node on UDP port ", 1)[1].split()[0])
        # aria2 seeds a trackerless torrent and announces it to the hub.
        src = os.path.join(work, "src-" + case)
        os.makedirs(src)
        data = os.path.join(src, "a.bin")
        with open(data, "wb") as f:
            f.write(os.urandom(2 << 20))
        t = os.path.join(work, case + ".torrent")
        subprocess.run([h.bitsy_bin(), "create", data, "-o", t, "-q"], check=True, timeout=60)
        aria = procs.start("aria2-seed-" + case, [
            "aria2c", "--dir=" + src, "--check-integrity=true", "--bt-hash-check-seed=true",
            "--seed-ratio=0.0", "--listen-port=%d" % h.free_port(), "--interface=" + ARIA_IP,
            "--disable-ipv6=true", "--enable-dht=true", "--enable-dht6=false",
            "--dht-listen-port=%d" % h.free_port(), "--dht-entry-point=%s:%d" % (HUB_IP, hub_udp),
            "--dht-file-path=" + os.path.join(work, "aria2-dht-" + case + ".dat"),
            "--bt-enable-lpd=false", "--enable-peer-exchange=false", "--bt-require-crypto=false",
            "--bt-min-crypto-level=plain", t])
        started.append(aria)
        dst = os.path.join(work, "dst-" + case)
        os.makedirs(dst)
        name = "downloader-" + case
        t0 = time.monotonic()
        if self_check:
            p = procs.start(name, [h.PY, "-u", SCRIPT, "fetch", BITSY_DL_IP, str(h.free_port()),
                                   HUB_IP, str(hub_udp), t, dst])
            ok = _wait(procs, p, TIMEOUT + 15)
        else:
            ok = _bitsy_download(h, procs, name, t, dst, BITSY_DL_IP,
                                 "%s:%d" % (HUB_IP, hub_udp))
        secs = time.monotonic() - t0
        same = _same(data, os.path.join(dst, "a.bin"))
        why = None if ok and same else ("done: %s, data equal: %s" % (ok, same)) + \
            procs.log_tail(name) + procs.log_tail("aria2-seed-" + case)
        res.report(case, why is None, (why or "") + " [aria2 known only to bitsy's DHT node]",
                   secs)
    except (RuntimeError, OSError, ValueError, IndexError, subprocess.SubprocessError) as e:
        res.report(case, False, str(e))
    finally:
        for p in reversed(started):
            procs.stop(p, 15)


def cases(h, procs, work, res, self_check, filters):
    for name, fn in (("dht-magnet-from-libtorrent", magnet_from_libtorrent),
                     ("dht-libtorrent-finds-bitsy-seed", libtorrent_finds_bitsy_seed),
                     ("dht-aria2-announces-to-bitsy", aria2_announces_to_bitsy)):
        if not filters or any(f in name for f in filters):
            fn(h, procs, work, res, self_check)

"""magnet-fetch-CLIENT: a real client starts from a magnet link and gets the info dictionary
(BEP 9 ut_metadata) and then the data from `bitsy seed`, its only source.

  magnet-fetch-libtorrent  python3-libtorrent, lt.parse_magnet_uri (lt_magnet.py); the magnet
                           names bitsy by x.pe=127.0.0.1:PORT and the tracker by tr=.
  magnet-fetch-aria2c      aria2c with the magnet on its command line, --bt-save-metadata=false
                           --enable-dht=false; it finds bitsy through tr= (opentracker).

The torrent is made by `bitsy create` and never given to the client; the downloaded files are
compared by sha256 with the source. --self-check: a libtorrent seeder stands in for bitsy.
"""

import os
import subprocess
import time

DOWNLOAD_TIMEOUT = 120
READY_TIMEOUT = 60
CLIENTS = ["libtorrent", "aria2c"]
SIZES = [2_000_003, 65_536, 17, 1_234_567]  # a last piece short, a tiny file inside a piece


def magnet(info_hash, tracker_url, peer):
    from urllib.parse import quote
    return "magnet:?xt=urn:btih:%s&dn=bitsy-magnet&tr=%s&x.pe=%s:%d" % (
        info_hash, quote(tracker_url, safe=""), peer[0], peer[1])


def lt_magnet(h, procs, ip, uri, dst, timeout):
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lt_magnet.py")
    p = procs.start("lt-magnet", [h.PY, "-u", script, ip, str(h.free_port()), dst,
                                  str(timeout), uri])
    try:
        return p.wait(timeout + 15) == 0
    except subprocess.TimeoutExpired:
        procs.stop(p)
        return False


def aria2_magnet(h, procs, ip, uri, dst, timeout):
    cmd = ["aria2c", "--dir=" + dst, "--seed-time=0", "--file-allocation=none",
           "--bt-tracker-interval=5", "--listen-port=%d" % h.free_port(),
           "--check-integrity=false", "--bt-save-metadata=false",
           "--bt-stop-timeout=%d" % timeout] + h._net_flags_aria2(ip) + [uri]
    p = procs.start("aria2-magnet", cmd)
    try:
        return p.wait(timeout + 15) == 0
    except subprocess.TimeoutExpired:
        procs.stop(p)
        return False


def cases(h, procs, work, tracker, res, self_check, filters):
    wanted = [c for c in CLIENTS if not filters or any(f in "magnet-fetch-" + c for f in filters)]
    if not wanted:
        return
    data = os.path.join(work, "src-magnet")
    tdir = os.path.join(work, "torrents")
    os.makedirs(tdir, exist_ok=True)
    maker = "libtorrent" if self_check else "bitsy"
    for client in wanted:
        case = "magnet-fetch-" + client
        seeder_proc = None
        try:
            name = "magnet-%s" % client
            path = h.make_content(data, name, SIZES, "bitsy-" + name)
            t = h.make_torrent(maker, path, tracker.url, os.path.join(tdir, name + ".torrent"),
                               32 * 1024)
            ih = h.infohash(t)
            tracker.allow(ih)
            port = h.free_port()
            if self_check:
                s = h.LibtorrentSeeder(procs, work, "127.0.0.1", data)
                s.port = port
                s.start([t])
                seeder_proc = s.proc
            else:
                seeder_proc = procs.start("bitsy-seed-" + case, [
                    h.bitsy_bin(), "seed", t, path, "--port", str(port), "-v", "--no-dht"])
            h.wait_seeder(tracker.url, ih, port, READY_TIMEOUT, seeder_proc)
            uri = magnet(ih, tracker.url, ("127.0.0.1", port))
            dst = os.path.join(work, "dst-" + case)
            os.makedirs(dst)
            t0 = time.monotonic()
            if client == "libtorrent":
                ok = lt_magnet(h, procs, "127.0.0.12", uri, dst, DOWNLOAD_TIMEOUT)
            else:
                ok = aria2_magnet(h, procs, "127.0.0.13", uri, dst, DOWNLOAD_TIMEOUT)
            secs = time.monotonic() - t0
            why = h.compare(t, data, dst) if ok else "download failed or timed out"
            if why and not self_check:
                why += procs.log_tail("bitsy-seed-" + case)
            res.report(case, why is None,
                       ((why + " ") if why else "") + "[torrent by %s, magnet only]" % maker, secs)
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            res.report(case, False, str(e))
        finally:
            if seeder_proc is not None:
                procs.stop(seeder_proc, 15)

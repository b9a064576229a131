"""webseed-nginx-*: web seeds (BEP 19) served by Debian's nginx, downloaded by bitsy.

nginx runs as our own process (`daemon off`, its own prefix, config and logs in the work
dir, listening on WEB_IP only) and is stopped by PID. It serves the work dir's `www` folder
twice: `/fast/` at full speed and `/slow/` with `limit_rate` per connection (so that a peer
and the web seed both have time to take part). nginx answers Range requests with
`206 Partial Content` on its own.

  webseed-nginx-single   a url-list-only single-file torrent (no tracker; made by
                         python3-libtorrent, URL ending in '/': the name is appended)
  webseed-nginx-multi    a url-list-only multi-file torrent (a subfolder, a 17-byte file)
  webseed-nginx-mixed    nginx (/slow/) plus a libtorrent seeder (held to a rate limit)
                         through opentracker: the data is compared, nginx's access log
                         must show bytes sent, and bitsy's -v log a connected peer
  webseed-nginx-stopped  the same swarm with nginx alone in a second instance that is
                         stopped (by PID) once bitsy has a connection open to it: the
                         download completes from the libtorrent seeder
  webseed-create-roundtrip  `bitsy create --webseed http://WEB_IP:PORT/fast/` (no tracker),
                         then `bitsy download` from nginx alone

Every download is compared file by file by sha256. --self-check: python3-libtorrent
downloads in place of bitsy (it reads url-list too); the round trip then uses a libtorrent
torrent.
"""

import os
import subprocess
import time

WEB_IP = "127.0.0.41"
SEED_IP = "127.0.0.42"
SLOW_RATE = "1m"           # nginx limit_rate per connection on /slow/
SEED_LIMIT = 1_000_000     # bytes/s, the libtorrent seeder's upload limit
TIMEOUT = 120
PIECE = 64 * 1024


def _want(filters, name):
    return not filters or any(f in name for f in filters)


def start_nginx(h, procs, d, port, www, name="nginx-webseed"):
    os.makedirs(d, exist_ok=True)
    server = """        listen %(ip)s:%(port)d;
        location /fast/ { alias %(www)s/; }
        location /slow/ { alias %(www)s/; limit_rate %(rate)s; }""" % {
        "port": port, "www": www, "ip": WEB_IP, "rate": SLOW_RATE}
    return h.start_nginx(procs, d, name, WEB_IP, port, server)


def access_bytes(d):
    """(requests, body bytes) from nginx's access log (combined format)."""
    n = total = 0
    try:
        with open(os.path.join(d, "access.log")) as f:
            for line in f:
                parts = line.split('"')
                if len(parts) > 2:
                    fields = parts[2].split()
                    if len(fields) >= 2 and fields[1].isdigit():
                        n += 1
                        total += int(fields[1])
    except OSError:
        pass
    return n, total


def established_to(ip, port):
    """True if some TCP connection to ip:port is established (from /proc/net/tcp)."""
    want = "%s:%04X" % ("".join("%02X" % int(b) for b in reversed(ip.split("."))), port)
    try:
        with open("/proc/net/tcp") as f:
            for line in f.readlines()[1:]:
                cols = line.split()
                if len(cols) > 3 and cols[1] == want and cols[3] == "01":
                    return True
    except OSError:
        pass
    return False


def lt_torrent(h, path, url_seed, out, tracker=None):
    """A v1 torrent by python3-libtorrent with `url_seed` as its url-list (and a tracker)."""
    lt = h.lt
    fs = lt.file_storage()
    lt.add_files(fs, path)
    ct = lt.create_torrent(fs, PIECE, flags=lt.create_torrent.v1_only)
    ct.add_url_seed(url_seed)
    if tracker:
        ct.add_tracker(tracker)
    lt.set_piece_hashes(ct, os.path.dirname(path))
    with open(out, "wb") as f:
        f.write(lt.bencode(ct.generate()))
    return out


def download(h, procs, t, dst, self_check, name):
    os.makedirs(dst, exist_ok=True)
    if self_check:
        return h.lt_download(procs, "127.0.0.43", t, dst, TIMEOUT)
    return h.bitsy_download(procs, t, dst, TIMEOUT, name=name)


def cases(h, procs, work, tracker, res, self_check, filters):
    names = ["webseed-nginx-single", "webseed-nginx-multi", "webseed-nginx-mixed",
             "webseed-nginx-stopped", "webseed-create-roundtrip"]
    if not any(_want(filters, n) for n in names):
        return
    www = os.path.join(work, "www")
    os.makedirs(www, exist_ok=True)
    os.chmod(www, 0o755)
    tdir = os.path.join(work, "torrents")
    os.makedirs(tdir, exist_ok=True)
    nd = os.path.join(work, "nginx-webseed")
    port = h.free_port(WEB_IP)
    nginx = start_nginx(h, procs, nd, port, www)
    base = "http://%s:%d" % (WEB_IP, port)
    try:
        if _want(filters, names[0]):
            _single(h, procs, work, www, tdir, base, res, self_check)
        if _want(filters, names[1]):
            _multi(h, procs, work, www, tdir, base, res, self_check)
        if _want(filters, names[2]):
            _mixed(h, procs, work, www, tdir, base, nd, tracker, res, self_check)
        if _want(filters, names[3]):
            _stopped(h, procs, work, www, tdir, tracker, res, self_check)
        if _want(filters, names[4]):
            _roundtrip(h, procs, work, www, tdir, base, res, self_check)
    finally:
        procs.stop(nginx, 10)


def _run_case(case, res, body):
    t0 = time.monotonic()
    try:
        why, note = body()
    except (RuntimeError, OSError, ValueError, subprocess.SubprocessError) as e:
        why, note = str(e), ""
    res.report(case, why is None, ((why + " ") if why else "") + note, time.monotonic() - t0)


def _single(h, procs, work, www, tdir, base, res, self_check):
    case = "webseed-nginx-single"

    def body():
        path = h.make_content(www, case + ".bin", 3 * (1 << 20) + 12345, case)
        t = lt_torrent(h, path, base + "/fast/", os.path.join(tdir, case + ".torrent"))
        dst = os.path.join(work, "dst-" + case)
        ok = download(h, procs, t, dst, self_check, "bitsy-" + case)
        why = h.compare(t, www, dst) if ok else "download failed or timed out"
        if why and not self_check:
            why += procs.log_tail("bitsy-" + case)
        return why, "[url-list only, torrent by libtorrent]"
    _run_case(case, res, body)


def _multi(h, procs, work, www, tdir, base, res, self_check):
    case = "webseed-nginx-multi"

    def body():
        path = h.make_content(www, case, [1_000_003, 17, 2_500_000, 524_288, 65_537], case)
        t = lt_torrent(h, path, base + "/fast", os.path.join(tdir, case + ".torrent"))
        dst = os.path.join(work, "dst-" + case)
        ok = download(h, procs, t, dst, self_check, "bitsy-" + case)
        why = h.compare(t, www, dst) if ok else "download failed or timed out"
        if why and not self_check:
            why += procs.log_tail("bitsy-" + case)
        return why, "[url-list only, 5 files]"
    _run_case(case, res, body)


def _mixed(h, procs, work, www, tdir, base, nd, tracker, res, self_check):
    case = "webseed-nginx-mixed"
    seeder = None
    try:
        def body():
            nonlocal seeder
            path = h.make_content(www, case + ".bin", 12 * (1 << 20) + 333, case)
            t = lt_torrent(h, path, base + "/slow/", os.path.join(tdir, case + ".torrent"),
                           tracker.url)
            ih = h.infohash(t)
            tracker.allow(ih)
            seeder = _limited_seeder(h, procs, www, t, case)
            h.wait_seeder(tracker.url, ih, seeder[1], 60, seeder[0])
            before = access_bytes(nd)
            dst = os.path.join(work, "dst-" + case)
            ok = download(h, procs, t, dst, self_check, "bitsy-" + case)
            why = h.compare(t, www, dst) if ok else "download failed or timed out"
            after = access_bytes(nd)
            web = after[1] - before[1]
            if why is None and web <= 0:
                why = "nginx sent nothing"
            log = _log(procs, "bitsy-" + case)
            if why is None and not self_check and "peer %s:" % SEED_IP not in log:
                why = "no peer %s in bitsy's log" % SEED_IP
            if why and not self_check:
                why += procs.log_tail("bitsy-" + case)
            size = os.path.getsize(path)
            return why, "[nginx sent %.1f of %.1f MiB, the rest the libtorrent seeder]" % (
                web / 2**20, size / 2**20)
        _run_case(case, res, body)
    finally:
        if seeder is not None:
            procs.stop(seeder[0], 15)


def _stopped(h, procs, work, www, tdir, tracker, res, self_check):
    case = "webseed-nginx-stopped"
    seeder = None
    nginx2 = None
    try:
        def body():
            nonlocal seeder, nginx2
            nd2 = os.path.join(work, "nginx-webseed-2")
            port2 = h.free_port(WEB_IP)
            nginx2 = start_nginx(h, procs, nd2, port2, www, "nginx-webseed-2")
            base2 = "http://%s:%d" % (WEB_IP, port2)
            path = h.make_content(www, case + ".bin", 12 * (1 << 20) + 777, case)
            t = lt_torrent(h, path, base2 + "/slow/", os.path.join(tdir, case + ".torrent"),
                           tracker.url)
            ih = h.infohash(t)
            tracker.allow(ih)
            seeder = _limited_seeder(h, procs, www, t, case)
            h.wait_seeder(tracker.url, ih, seeder[1], 60, seeder[0])
            dst = os.path.join(work, "dst-" + case)
            os.makedirs(dst)
            if self_check:
                cmd = [h.PY, "-u", h.LT_PEER, "download", "127.0.0.43", str(h.free_port()),
                       dst, str(TIMEOUT), t]
            else:
                cmd = [h.bitsy_bin(), "download", t, "-o", dst, "--port", str(h.free_port()),
                       "-v", "--no-dht"]
            p = procs.start("bitsy-" + case, cmd)
            h.wait_until("a connection to nginx", lambda: established_to(WEB_IP, port2), 30, p)
            time.sleep(0.5)
            procs.stop(nginx2, 10)
            stopped_at = time.monotonic()
            nginx2 = None
            try:
                ok = p.wait(TIMEOUT) == 0
            except subprocess.TimeoutExpired:
                procs.stop(p)
                ok = False
            done = time.monotonic() - stopped_at
            why = h.compare(t, www, dst) if ok else "download failed or timed out"
            faults = _log(procs, "bitsy-" + case).count("; backing off")
            if why is None and not self_check and faults == 0:
                why = "bitsy's log shows no web seed fault after nginx stopped"
            if why and not self_check:
                why += procs.log_tail("bitsy-" + case)
            return why, "[nginx stopped with a connection open; %d web seed faults logged; " \
                "done %.1f s later from the libtorrent seeder]" % (faults, done)
        _run_case(case, res, body)
    finally:
        if nginx2 is not None:
            procs.stop(nginx2, 10)
        if seeder is not None:
            procs.stop(seeder[0], 15)


def _roundtrip(h, procs, work, www, tdir, base, res, self_check):
    case = "webseed-create-roundtrip"

    def body():
        path = h.make_content(www, case, [2_000_001, 300_000, 5], case)
        t = os.path.join(tdir, case + ".torrent")
        if self_check:
            lt_torrent(h, path, base + "/fast/", t)
        else:
            subprocess.run([h.bitsy_bin(), "create", path, "--webseed", base + "/fast/",
                            "--piece-length", str(PIECE), "-o", t, "-q"], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
        dst = os.path.join(work, "dst-" + case)
        ok = download(h, procs, t, dst, self_check, "bitsy-" + case)
        why = h.compare(t, www, dst) if ok else "download failed or timed out"
        if why and not self_check:
            why += procs.log_tail("bitsy-" + case)
        return why, "[torrent by %s, no tracker]" % ("libtorrent" if self_check else "bitsy create")
    _run_case(case, res, body)


def _limited_seeder(h, procs, www, t, case):
    """A libtorrent seeder of `t` from `www`, held to SEED_LIMIT bytes/s: (process, port)."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lt_pex_seed.py")
    port = h.free_port()
    p = procs.start("lt-seed-" + case, [h.PY, "-u", script, SEED_IP, str(port), www, t,
                                        "--upload-limit", str(SEED_LIMIT)])
    h.wait_until("the libtorrent seeder", lambda: "READY" in _log(procs, "lt-seed-" + case),
                 60, p)
    return p, port


def _log(procs, name):
    try:
        with open(os.path.join(procs.logdir, name + ".log"), "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""

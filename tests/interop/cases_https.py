"""https-nginx-tracker: an HTTPS tracker behind a local CA, made of Debian's own parts.

openssl makes a CA and a server certificate for 127.0.0.1 (subjectAltName IP); nginx
terminates TLS on 127.0.0.1:PORT and proxies to opentracker's plain HTTP side. A libtorrent
seeder announces to opentracker directly (the same swarm); bitsy's torrent names only the
https:// URL. Two runs of `bitsy download`:

  1. without SSL_CERT_FILE: the bundled roots do not know the local CA, so every announce
     fails verification; bitsy must exit 4 (every tracker failed, no peer came);
  2. with SSL_CERT_FILE=ca.pem: the announce goes through nginx and the data is fetched and
     compared by sha256.

nginx runs as our own process (`daemon off`, its own prefix and logs in the work dir) and is
stopped by PID.
"""

import os
import subprocess
import time

CASE = "https-nginx-tracker"


def _openssl(cwd, *args):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, timeout=60,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_ca(d):
    """ca.pem, and server.pem/server.key for IP 127.0.0.1 signed by it."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    _openssl(d, "req", "-x509", "-nodes", "-days", "2", *ec, "-subj", "/CN=bitsy interop CA",
             "-keyout", "ca.key", "-out", "ca.pem")
    _openssl(d, "req", "-new", "-nodes", *ec, "-subj", "/CN=127.0.0.1",
             "-keyout", "server.key", "-out", "server.csr")
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n")
    _openssl(d, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "2", "-extfile", "server.ext", "-out", "server.pem")
    for name in os.listdir(d):
        os.chmod(os.path.join(d, name), 0o644)  # nginx's workers may not run as us
    return os.path.join(d, "ca.pem")


def start_nginx(h, procs, d, port, upstream):
    server = """        listen 127.0.0.1:%(port)d ssl;
        ssl_certificate %(d)s/server.pem;
        ssl_certificate_key %(d)s/server.key;
        location / { proxy_pass %(upstream)s; }""" % {"d": d, "port": port, "upstream": upstream}
    return h.start_nginx(procs, d, "nginx", "127.0.0.1", port, server)


def cases(h, procs, work, tracker, res, self_check, filters, timeout):
    if filters and not any(f in CASE for f in filters):
        return
    if self_check:
        h.log("note: %s has no self-check (it tests bitsy's TLS trust)" % CASE)
        return
    d = os.path.join(work, CASE)
    os.makedirs(d)
    os.chmod(d, 0o755)
    seeder = None
    try:
        ca = make_ca(d)
        port = h.free_port("127.0.0.1")
        start_nginx(h, procs, d, port, "http://%s:%d" % (tracker.ip, tracker.port))
        https_url = "https://127.0.0.1:%d/announce" % port
        data = os.path.join(work, "src-" + CASE)
        path = h.make_content(data, CASE, [1_500_007, 33, 262_144], CASE)
        tdir = os.path.join(work, "torrents")
        os.makedirs(tdir, exist_ok=True)
        # The same content and piece length: the same info dictionary, so one swarm.
        t_plain = h.make_torrent("mktorrent", path, tracker.url,
                                 os.path.join(tdir, CASE + "-plain.torrent"), 64 * 1024)
        t_https = h.make_torrent("mktorrent", path, https_url,
                                 os.path.join(tdir, CASE + ".torrent"), 64 * 1024)
        ih = h.infohash(t_https)
        if h.infohash(t_plain) != ih:
            raise RuntimeError("the two torrents differ in infohash")
        tracker.allow(ih)
        seeder = h.LibtorrentSeeder(procs, work, "127.0.0.15", data)
        seeder.start([t_plain])
        seeder.wait_ready(tracker.url, [ih], 60)

        def bitsy(name, dst, env, stall):
            cmd = [h.bitsy_bin(), "download", t_https, "-o", dst, "--port",
                   str(h.free_port()), "-v", "--stall-timeout", str(stall), "--no-dht"]
            p = procs.start(name, cmd, env=env)
            try:
                return p.wait(timeout)
            except subprocess.TimeoutExpired:
                procs.stop(p)
                return None

        # 1. The local CA is not trusted by default: exit 4, nothing fetched.
        env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
        rc = bitsy("bitsy-" + CASE + "-untrusted", os.path.join(d, "untrusted"), env, 8)
        if rc != 4:
            res.report(CASE, False, "without SSL_CERT_FILE: exit %s, want 4" % rc +
                       procs.log_tail("bitsy-" + CASE + "-untrusted"))
            return
        # 2. Trusted through SSL_CERT_FILE: the download completes.
        env["SSL_CERT_FILE"] = ca
        dst = os.path.join(work, "dst-" + CASE)
        os.makedirs(dst)
        t0 = time.monotonic()
        rc = bitsy("bitsy-" + CASE, dst, env, 60)
        secs = time.monotonic() - t0
        why = h.compare(t_https, data, dst) if rc == 0 else "exit %s" % rc
        with open(os.path.join(d, "access.log")) as f:
            announces = sum(1 for line in f if "/announce" in line)
        if why is None and announces == 0:
            why = "nginx saw no announce"
        if why:
            why += procs.log_tail("bitsy-" + CASE)
        res.report(CASE, why is None, ((why + " ") if why else "") +
                   "[untrusted CA: exit 4; SSL_CERT_FILE: %d announces via nginx]" % announces,
                   secs)
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        res.report(CASE, False, str(e))
    finally:
        if seeder is not None:
            seeder.stop()

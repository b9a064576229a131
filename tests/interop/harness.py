"""Shared harness: real BitTorrent clients and bitsy on loopback, for tests/interop and tests/bench.

Everything here is bounded in time and every process is tracked by PID in a `Procs` registry
that the caller stops in a `finally` (graceful first: RPC shutdown or SIGTERM, then SIGKILL).

Each real client gets its own 127.0.0.N (rtorrent and Transmission accept one connection per
IP) and a port the kernel said was free (other test runs may share this machine).

Client quirks met while writing this (more in the per-client classes below):
- opentracker (Debian build) only serves whitelisted infohashes; `kill -HUP` reloads the list.
  Run as nobody (as root it wants to chroot), so the temp dir and whitelist must be readable
  by nobody. It answers only compact=1 announces.
- A seeder is "ready" when the tracker hands out its IP:port to a leecher: that proves both
  the hash check is done and the first announce went out. The probe announces as a leecher at
  port 9 (discard) from 127.0.0.254, then sends event=stopped so it leaves no stale peer.
"""

import hashlib
import http.client
import json
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import libtorrent as lt

HERE = os.path.dirname(os.path.abspath(__file__))
LT_PEER = os.path.join(HERE, "lt_peer.py")
PY = "/usr/bin/python3"  # Debian python: the one with the libtorrent module
MIB = 1 << 20


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def bitsy_bin():
    return os.environ.get("BITSY", "target/release/bitsy")


# ---------------------------------------------------------------- processes

class Procs:
    """Registry of started processes; stop_all() stops each by PID, newest first."""

    def __init__(self, logdir):
        self.logdir = logdir
        self.items = []  # (name, Popen, graceful-stop callable or None)

    def start(self, name, cmd, env=None, cwd=None, stop=None, stdout=None):
        with open(os.path.join(self.logdir, name + ".log"), "ab") as out:
            p = subprocess.Popen(cmd, stdout=stdout if stdout is not None else out,
                                 stderr=out, stdin=subprocess.DEVNULL, env=env, cwd=cwd)
        self.items.append((name, p, stop))
        return p

    def log_tail(self, name, lines=15):
        """The last lines of a process's log, indented, for a failure report."""
        try:
            with open(os.path.join(self.logdir, name + ".log"), "rb") as f:
                text = f.read()[-8192:].decode("utf-8", "replace")
        except OSError:
            return ""
        tail = [l for l in text.replace("\r", "\n").splitlines() if l.strip()][-lines:]
        return "".join("\n      | " + l for l in tail)

    def stop(self, p, timeout=10):
        for i, (name, q, stop) in enumerate(self.items):
            if q is p:
                del self.items[i]
                _stop_one(name, q, stop, timeout)
                return

    def stop_all(self):
        while self.items:
            name, p, stop = self.items.pop()
            _stop_one(name, p, stop, 10)


def _stop_one(name, p, stop, timeout):
    if p.poll() is not None:
        return
    if stop is not None:
        try:
            stop()
        except Exception as e:  # the process may be wedged: fall back to signals
            log("  (%s: graceful stop failed: %s)" % (name, e))
        try:
            p.wait(timeout)
            return
        except subprocess.TimeoutExpired:
            pass
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        log("  (%s: pid %d ignored SIGTERM, killing)" % (name, p.pid))
        p.kill()
        p.wait(5)


def wait_until(what, pred, timeout, proc=None, interval=0.1):
    """Poll pred() until true; raise after `timeout` s or if `proc` exits first."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("%s: process exited with %s" % (what, proc.returncode))
        try:
            if pred():
                return
        except (OSError, ValueError, http.client.HTTPException) as e:
            last = " (last error: %s)" % e
        time.sleep(interval)
    raise RuntimeError("%s: not ready after %ss%s" % (what, timeout, last))


def free_port(ip="0.0.0.0"):
    """A TCP+UDP port free on ip right now (ports are shared with other runs on this box)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind((ip, 0))
            port = s.getsockname()[1]
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                u.bind((ip, port))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port")


def port_open(ip, port):
    with socket.create_connection((ip, port), timeout=0.5):
        return True


# ---------------------------------------------------------------- content and torrents

def write_random(path, size, seed):
    """Deterministic pseudo-random bytes (same seed, same file, every run).

    AES-128-CTR over zeros via openssl when it is there (~700 MB/s, matters for the 1.5 GiB
    bench); Python's Random otherwise (~130 MB/s)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    key = hashlib.md5(str(seed).encode()).hexdigest()
    if shutil.which("openssl"):
        with open(path, "wb") as f:
            gen = subprocess.Popen(["openssl", "enc", "-aes-128-ctr", "-K", key, "-iv",
                                    "0" * 32, "-nosalt", "-in", "/dev/zero"],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            try:
                left = size
                while left:
                    b = gen.stdout.read(min(left, 4 * MIB))
                    if not b:
                        raise RuntimeError("openssl stopped early")
                    f.write(b)
                    left -= len(b)
            finally:
                gen.kill()
                gen.wait()
        return
    rng = random.Random(key)
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 4 * MIB)
            f.write(rng.randbytes(n))
            left -= n


def make_content(base, name, sizes, seed):
    """sizes: int (single file base/name) or list (multi-file dir base/name/ with a subdir)."""
    top = os.path.join(base, name)
    if isinstance(sizes, int):
        write_random(top, sizes, seed)
        return top
    for i, size in enumerate(sizes):
        sub = "sub" if i % 2 else ""
        write_random(os.path.join(top, sub, "file%02d.bin" % i), size, "%s-%d" % (seed, i))
    return top


def make_torrent(tool, path, tracker, out, piece_len=256 * 1024):
    """Make a v1 torrent of path with one of the real tools: mktorrent, transmission-create, lt."""
    if tool == "mktorrent":
        cmd = ["mktorrent", "-a", tracker, "-l", str(piece_len.bit_length() - 1), "-o", out, path]
    elif tool == "transmission-create":
        cmd = ["transmission-create", "-t", tracker, "-s", str(piece_len // 1024), "-o", out, path]
    elif tool == "libtorrent":
        cmd = [PY, LT_PEER, "create", path, tracker, str(piece_len), out]
    elif tool == "bitsy":
        cmd = [bitsy_bin(), "create", path, "--tracker", tracker, "--piece-length",
               str(piece_len), "-o", out]
    else:
        raise ValueError(tool)
    if os.path.exists(out):
        os.unlink(out)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                   timeout=300)
    return out


def infohash(torrent):
    return str(lt.torrent_info(torrent).info_hashes().v1)


def torrent_files(torrent):
    """Relative paths of the torrent's files (as laid out under a save dir)."""
    fs = lt.torrent_info(torrent).files()
    return [fs.file_path(i) for i in range(fs.num_files()) 
            if not fs.file_flags(i) & lt.file_storage.flag_pad_file]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(4 * MIB)
            if not b:
                return h.hexdigest()
            h.update(b)


def compare(torrent, src_dir, dst_dir):
    """None if every file of the torrent under dst_dir matches src_dir by sha256, else why not."""
    for rel in torrent_files(torrent):
        a, b = os.path.join(src_dir, rel), os.path.join(dst_dir, rel)
        if not os.path.exists(b):
            return "missing " + rel
        if sha256(a) != sha256(b):
            return "sha256 differs: " + rel
    return None


# ---------------------------------------------------------------- trackers

class OpenTracker:
    """Debian's opentracker, whitelist mode, on one port for TCP (HTTP) and UDP.

    Quirks: it does not decode `+` as a space in the query (a form-encoded info_hash with a
    0x20 byte is another torrent to it, "not authorized"): percent-encode every byte. An
    announce with event=stopped is answered without the whitelist check. `kill -HUP` reloads
    the list asynchronously; allow() instead restarts opentracker on the same port with the
    new list and probes it, which is certain (it forgets its peers: call allow() before
    starting the seeders of a case)."""

    def __init__(self, procs, workdir, ip="127.0.0.1"):
        self.procs, self.workdir = procs, workdir
        self.ip, self.port = ip, free_port(ip)
        self.whitelist = os.path.join(workdir, "whitelist")
        self.url = "http://%s:%d/announce" % (ip, self.port)
        self.hashes = []
        self.proc = None
        self._start()

    def _start(self):
        with open(self.whitelist, "w") as f:
            # Never empty: it mmaps the file and an empty one "can't be opened".
            f.write("".join(h + "\n" for h in self.hashes + ["00" * 20]))
        os.chmod(self.whitelist, 0o644)
        self.proc = self.procs.start("opentracker", [
            "setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
            "opentracker", "-i", self.ip, "-p", str(self.port), "-P", str(self.port),
            "-w", self.whitelist, "-d", self.workdir])
        wait_until("opentracker", lambda: port_open(self.ip, self.port), 10, self.proc)

    def allow(self, *hashes):
        self.hashes.extend(hashes)
        self.procs.stop(self.proc, 5)
        self._start()
        for h in hashes:
            wait_until("opentracker whitelist",
                       lambda: announce_peers(self.url, h, "started") is not None, 10,
                       self.proc)
            announce_peers(self.url, h, "stopped")


def _pct(s, safe="", encoding=None, errors=None):
    """Every reserved byte as %XX: never "+" for a space, never a bare "/"."""
    return urllib.parse.quote(s, "", encoding, errors)


def announce_peers(url, ih_hex, event, source_ip="127.0.0.254", port=9):
    """One compact announce as a leecher; returns [(ip, port)]."""
    q = urllib.parse.urlencode({
        "info_hash": bytes.fromhex(ih_hex), "peer_id": b"-HX0001-interopprobe",
        "port": port, "uploaded": 0, "downloaded": 0, "left": 1, "compact": 1,
        "numwant": 200, "event": event}, quote_via=_pct)
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=3,
                                   source_address=(source_ip, 0))
    c.request("GET", u.path + "?" + q)
    r = c.getresponse()
    body = r.read()
    c.close()
    if r.status != 200:
        raise ValueError("tracker status %d" % r.status)
    d = lt.bdecode(body)
    if d is None:
        raise ValueError("tracker answer is not bencoded")
    if b"failure reason" in d:
        raise ValueError("tracker: %s" % d[b"failure reason"])
    if b"peers" not in d:
        return []
    p = d[b"peers"]
    if isinstance(p, (bytes, str)):
        p = p if isinstance(p, bytes) else p.encode("latin-1")
        return [(socket.inet_ntoa(p[i:i + 4]), struct.unpack(">H", p[i + 4:i + 6])[0])
                for i in range(0, len(p) - 5, 6)]
    return [(x[b"ip"].decode(), x[b"port"]) for x in p]


def wait_seeder(url, ih_hex, port, timeout, proc=None, ip=None):
    """Wait until the tracker lists a peer at `port` (and `ip` if given) for the infohash."""
    found = []

    def listed():
        peers = announce_peers(url, ih_hex, "started")
        found[:] = [(pi, pp) for pi, pp in peers if pp == port and (ip is None or pi == ip)]
        return bool(found)
    try:
        wait_until("seeder :%d on tracker" % port, listed, timeout, proc, interval=0.3)
        return found[0]
    finally:
        try:
            announce_peers(url, ih_hex, "stopped")
        except (OSError, ValueError, http.client.HTTPException):
            pass


# ---------------------------------------------------------------- real-client seeders

class Seeder:
    """Base: start(torrents) then wait_ready(tracker_url, infohashes)."""
    name = "?"

    def __init__(self, procs, workdir, ip, data_dir):
        self.procs, self.ip, self.data = procs, ip, data_dir
        self.dir = os.path.join(workdir, self.name)
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.proc = None

    def wait_ready(self, url, hashes, timeout=60):
        """Returns the (ip, port) the tracker hands out for this seeder."""
        for h in hashes:
            where = wait_seeder(url, h, self.port, timeout, self.proc)
        return where

    def stop(self):
        if self.proc is not None:
            self.procs.stop(self.proc, 15)
            self.proc = None


def _net_flags_aria2(ip):
    # aria2 1.36: no UDP trackers without DHT; computes a wrong infohash for hybrid torrents.
    return ["--interface=" + ip, "--disable-ipv6=true", "--enable-dht=false",
            "--enable-dht6=false", "--bt-enable-lpd=false", "--enable-peer-exchange=false",
            "--bt-require-crypto=false", "--bt-min-crypto-level=plain", "--bt-max-peers=0",
            "--console-log-level=warn", "--summary-interval=0"]


class Aria2Seeder(Seeder):
    """aria2c with JSON-RPC; torrents added over RPC (aria2.addTorrent, base64).

    Quirks: --seed-ratio=0.0 means seed forever; --bt-hash-check-seed plus --check-integrity
    make it verify existing data and go straight to seeding. It sends a second bitfield
    mid-connection instead of haves (rtorrent/ctorrent drop it for that)."""
    name = "aria2c"

    def start(self, torrents):
        self.rpc = free_port("127.0.0.1")
        cmd = ["aria2c", "--enable-rpc", "--rpc-listen-port=%d" % self.rpc,
               "--rpc-listen-all=false", "--dir=" + self.data, "--check-integrity=true",
               "--bt-hash-check-seed=true", "--seed-ratio=0.0",
               "--listen-port=%d" % self.port, "--max-concurrent-downloads=20",
               "--bt-tracker-interval=5"] + _net_flags_aria2(self.ip)
        self.proc = self.procs.start(self.name, cmd, stop=self._shutdown)
        wait_until("aria2 rpc", lambda: port_open("127.0.0.1", self.rpc), 15, self.proc)
        for t in torrents:
            import base64
            with open(t, "rb") as f:
                self._call("aria2.addTorrent", [base64.b64encode(f.read()).decode()])

    def _call(self, method, params):
        body = json.dumps({"jsonrpc": "2.0", "id": "h", "method": method,
                           "params": params}).encode()
        req = urllib.request.Request("http://127.0.0.1:%d/jsonrpc" % self.rpc, body,
                                     {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read())

    def _shutdown(self):
        self._call("aria2.shutdown", [])


class TransmissionSeeder(Seeder):
    """transmission-daemon 3.00, config written before start, torrents added by transmission-remote.

    Quirks: setting bind-address-ipv6 (even to ::1) makes its libcurl bind announces to that
    IPv6 address, so every announce to an IPv4 tracker fails with "Could not connect to
    tracker" and no connect() is even attempted: leave it unset. It uploads slowly at first on
    loopback (~10 s for a few MiB, whatever the size). As a downloader it ignores loopback
    peers entirely (see run: fetch-transmission)."""
    name = "transmission"
    prefix = []  # e.g. ["ip", "netns", "exec", NS] to run it (and its RPC client) in a netns

    def start(self, torrents, bind=None):
        self.rpc = free_port("127.0.0.1")
        cfg = os.path.join(self.dir, "config")
        os.makedirs(cfg, exist_ok=True)
        settings = {
            "bind-address-ipv4": bind or self.ip,
            "peer-port": self.port, "peer-port-random-on-start": False,
            "port-forwarding-enabled": False, "dht-enabled": False, "lpd-enabled": False,
            "pex-enabled": False, "utp-enabled": False, "encryption": 0,
            "rpc-enabled": True, "rpc-bind-address": "127.0.0.1", "rpc-port": self.rpc,
            "rpc-authentication-required": False, "rpc-whitelist-enabled": False,
            "rpc-host-whitelist-enabled": False,
            "download-dir": self.data, "incomplete-dir-enabled": False,
            "ratio-limit-enabled": False, "idle-seeding-limit-enabled": False,
            "speed-limit-up-enabled": False, "speed-limit-down-enabled": False,
            "alt-speed-enabled": False, "peer-limit-global": 500, "peer-limit-per-torrent": 200,
            "download-queue-enabled": False, "seed-queue-enabled": False,
            "queue-stalled-enabled": False, "start-added-torrents": True,
            "umask": 18, "message-level": 3,
        }
        with open(os.path.join(cfg, "settings.json"), "w") as f:
            json.dump(settings, f, indent=1)
        self.proc = self.procs.start(self.name, self.prefix + [
            "transmission-daemon", "-f", "-g", cfg], stop=self._shutdown)
        wait_until("transmission rpc", lambda: self.remote("-l") is not None, 15, self.proc,
                   interval=0.3)
        for t in torrents:
            self.remote("-a", t, "-w", self.data)

    def remote(self, *args):
        try:
            return subprocess.run(self.prefix + ["transmission-remote", "127.0.0.1:%d" % self.rpc]
                                  + list(args), check=True, capture_output=True,
                                  timeout=15).stdout.decode()
        except subprocess.CalledProcessError as e:
            raise OSError("transmission-remote %s: %s" % (" ".join(args), e.stderr.decode()))

    def _shutdown(self):
        self.remote("--exit")


class QbitSeeder(Seeder):
    """qbittorrent-nox 4.5 with a private profile; WebUI API on 127.0.0.1 without auth.

    Quirks: it waits for a keypress on the legal notice unless [LegalNotice] Accepted=true;
    Session\\Interface=lo plus InterfaceAddress pin it to its 127.0.0.N; the API refuses
    requests with a foreign Host/Origin unless CSRF and host-header checks are off. Adding a
    torrent returns before the hash check starts."""
    name = "qbittorrent"

    def start(self, torrents):
        self.web = free_port("127.0.0.1")
        conf = os.path.join(self.dir, "qBittorrent", "config")
        os.makedirs(conf, exist_ok=True)
        with open(os.path.join(conf, "qBittorrent.conf"), "w") as f:
            f.write("""[LegalNotice]
Accepted=true

[BitTorrent]
Session\\Port=%(port)d
Session\\Interface=lo
Session\\InterfaceName=lo
Session\\InterfaceAddress=%(ip)s
Session\\DHTEnabled=false
Session\\LSDEnabled=false
Session\\PeXEnabled=false
Session\\Encryption=0
Session\\MultiConnectionsPerIp=true
Session\\IgnoreLimitsOnLAN=true
Session\\QueueingSystemEnabled=false
Session\\AnonymousModeEnabled=false
Session\\GlobalMaxRatio=-1
Session\\uTPRateLimited=false
Session\\BTProtocol=TCP
Session\\MaxConnections=500
Session\\MaxConnectionsPerTorrent=200
Session\\MaxUploads=-1
Session\\MaxUploadsPerTorrent=-1
Session\\DefaultSavePath=%(data)s

[Network]
PortForwardingEnabled=false

[Preferences]
Connection\\UPnP=false
General\\Locale=en
WebUI\\Address=127.0.0.1
WebUI\\Port=%(web)d
WebUI\\LocalHostAuth=false
WebUI\\AuthSubnetWhitelistEnabled=true
WebUI\\AuthSubnetWhitelist=127.0.0.0/8
WebUI\\CSRFProtection=false
WebUI\\HostHeaderValidation=false
WebUI\\ClickjackingProtection=false
""" % {"port": self.port, "ip": self.ip, "data": self.data, "web": self.web})
        env = dict(os.environ, HOME=self.dir)
        self.api = "http://127.0.0.1:%d/api/v2" % self.web
        self.proc = self.procs.start(self.name, [
            "qbittorrent-nox", "--profile=" + self.dir, "--webui-port=%d" % self.web],
            env=env, stop=self._shutdown)
        wait_until("qbittorrent webui", lambda: self._get("/app/version"), 30, self.proc)
        for t in torrents:
            self.add(t, self.data)

    def add(self, torrent, savepath):
        subprocess.run(["curl", "-sf", "--max-time", "10", self.api + "/torrents/add",
                        "-F", "torrents=@" + torrent, "-F", "savepath=" + savepath],
                       check=True, capture_output=True, timeout=15)

    def _get(self, path):
        with urllib.request.urlopen(self.api + path, timeout=3) as r:
            return r.read()

    def info(self):
        return json.loads(self._get("/torrents/info"))

    def _shutdown(self):
        urllib.request.urlopen(urllib.request.Request(self.api + "/app/shutdown", b""),
                               timeout=5).read()


class RtorrentSeeder(Seeder):
    """rtorrent 0.9.8, daemon mode, configured by an rc file that also loads the torrents.

    Quirks: keeps one peer entry per IP; drops aria2 for its mid-connection second bitfield.
    SIGINT is its normal (graceful) shutdown and sends event=stopped; a session dir is needed
    or it re-checks nothing and forgets state (fine here). Without `-n` it reads ~/.rtorrent.rc."""
    name = "rtorrent"

    def start(self, torrents):
        session = os.path.join(self.dir, "session")
        os.makedirs(session, exist_ok=True)
        rc = os.path.join(self.dir, "rtorrent.rc")
        lines = [
            "system.daemon.set = true",
            "session.path.set = " + session,
            "directory.default.set = " + self.data,
            "network.bind_address.set = " + self.ip,
            "network.local_address.set = " + self.ip,
            "network.port_range.set = %d-%d" % (self.port, self.port),
            "network.port_random.set = no",
            "dht.mode.set = disable",
            "protocol.pex.set = no",
            "trackers.use_udp.set = no",
            "protocol.encryption.set = allow_incoming,try_outgoing,enable_retry",
            "throttle.global_up.max_rate.set = 0",
            "throttle.global_down.max_rate.set = 0",
            "throttle.max_uploads.global.set = 0",
            "throttle.min_peers.seed.set = -1",
            "throttle.max_peers.seed.set = -1",
            "network.max_open_files.set = 256",
            "pieces.hash.on_completion.set = no",
            "network.scgi.open_local = " + os.path.join(self.dir, "scgi.sock"),
        ] + ["load.start_verbose = " + t for t in torrents]
        with open(rc, "w") as f:
            f.write("\n".join(lines) + "\n")
        env = dict(os.environ, HOME=self.dir)
        self.proc = self.procs.start(self.name, ["rtorrent", "-n", "-o", "import=" + rc],
                                     env=env, stop=lambda: self.proc.send_signal(signal.SIGINT))


class LibtorrentSeeder(Seeder):
    """python3-libtorrent (lt_peer.py seed); prints READY once every torrent is seeding."""
    name = "libtorrent"
    fast = False

    def start(self, torrents):
        cmd = [PY, "-u", LT_PEER, "seed"] + (["--fast"] if self.fast else []) + [
            self.ip, str(self.port), self.data] + list(torrents)
        self.proc = self.procs.start(self.name, cmd)


class CtorrentSeeder(Seeder):
    """Enhanced CTorrent, one process (and so one port) per torrent; plaintext only.

    Quirks: it resets peers whose IP equals its own, so it needs an address of its own; it has
    no RPC: SIGINT is its graceful stop (announces stopped). -e bounds its seeding in hours."""
    name = "ctorrent"

    def start(self, torrents):
        self.ports, self.procs_list = [], []
        for t in torrents:
            port = free_port()
            name = lt.torrent_info(t).name()
            p = self.procs.start("%s-%d" % (self.name, port), [
                "ctorrent", "-e", "1", "-i", self.ip, "-p", str(port), "-M", "200",
                "-s", os.path.join(self.data, name), t],
                cwd=self.dir)
            self.ports.append(port)
            self.procs_list.append(p)
        self.proc = self.procs_list[0]
        self.port = self.ports[0]

    def wait_ready(self, url, hashes, timeout=60):
        for h, port, p in zip(hashes, self.ports, self.procs_list):
            where = wait_seeder(url, h, port, timeout, p)
        return where

    def stop(self):
        for p in self.procs_list:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in self.procs_list:
            self.procs.stop(p, 10)
        self.procs_list, self.proc = [], None


SEEDERS = {
    "aria2c": (Aria2Seeder, "127.0.0.2"),
    "transmission": (TransmissionSeeder, "127.0.0.3"),
    "qbittorrent": (QbitSeeder, "127.0.0.4"),
    "rtorrent": (RtorrentSeeder, "127.0.0.5"),
    "libtorrent": (LibtorrentSeeder, "127.0.0.6"),
    "ctorrent": (CtorrentSeeder, "127.0.0.11"),
}


# ---------------------------------------------------------------- downloaders

def lt_download(procs, ip, torrent, dst, timeout):
    port = free_port()
    p = procs.start("lt-download", [PY, "-u", LT_PEER, "download", ip, str(port), dst,
                                    str(timeout), torrent])
    try:
        return p.wait(timeout + 15) == 0
    except subprocess.TimeoutExpired:
        procs.stop(p)
        return False


def aria2_download(procs, ip, torrent, dst, timeout):
    port = free_port()
    cmd = ["aria2c", "--dir=" + dst, "--seed-time=0", "--file-allocation=none",
           "--bt-tracker-interval=5", "--listen-port=%d" % port, "--check-integrity=false",
           "--bt-stop-timeout=%d" % timeout] + _net_flags_aria2(ip) + [torrent]
    p = procs.start("aria2-download", cmd)
    try:
        return p.wait(timeout + 15) == 0
    except subprocess.TimeoutExpired:
        procs.stop(p)
        return False


def bitsy_download(procs, torrent, dst, timeout, port=None, quiet=False, name="bitsy-download"):
    # -v: every peer's arrival and departure, with reasons, lands in the log, and a failed
    # case prints the log's tail (log_tail) so CI output explains itself.
    cmd = [bitsy_bin(), "download", torrent, "-o", dst, "--port", str(port or free_port()), "-v",
           "--no-dht"]
    if quiet:
        cmd.append("-q")
    p = procs.start(name, cmd)
    try:
        return p.wait(timeout) == 0
    except subprocess.TimeoutExpired:
        procs.stop(p)
        return False


def qbit_download(qb, torrent, dst, timeout):
    """Add to a running QbitSeeder-configured qbittorrent; wait until it has all of it."""
    ih = infohash(torrent)
    qb.add(torrent, dst)

    def done():
        for t in qb.info():
            if t["hash"] == ih and t["progress"] >= 1.0 and t["state"] not in (
                    "checkingUP", "checkingDL", "checkingResumeData", "moving"):
                return True
        return False
    try:
        wait_until("qbittorrent download", done, timeout, qb.proc, interval=0.3)
        return True
    except RuntimeError as e:
        log("  " + str(e))
        return False


def start_nginx(procs, d, name, ip, port, server):
    """nginx as our own process (real-clients.md): `daemon off`, everything under `d`,
    one `server` block whose body (listen line included) is `server`. Waits until ip:port
    is open; the caller stops it by PID."""
    conf = os.path.join(d, "nginx.conf")
    user = "user root;\n" if os.geteuid() == 0 else ""
    with open(conf, "w") as f:
        f.write("""%(user)sdaemon off;
worker_processes 1;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log;
events { worker_connections 64; }
http {
    access_log %(d)s/access.log;
    client_body_temp_path %(d)s/body;
    proxy_temp_path %(d)s/proxy;
    fastcgi_temp_path %(d)s/fastcgi;
    uwsgi_temp_path %(d)s/uwsgi;
    scgi_temp_path %(d)s/scgi;
    server {
%(server)s
    }
}
""" % {"user": user, "d": d, "server": server})
    p = procs.start(name, ["nginx", "-c", conf, "-p", d + "/"])
    wait_until("nginx", lambda: port_open(ip, port), 10, p)
    return p

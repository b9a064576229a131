#!/usr/bin/python3
"""A stand-in for the bitsy binary, to test the harness scripts themselves (not bitsy).

  BITSY=tests/interop/mock_bitsy.py tests/demo/demo
  BITSY=tests/interop/mock_bitsy.py tests/bench/run --quick

Speaks bitsy's CLI (download, seed, create, tracker, info) with python3-libtorrent doing the
BitTorrent work and a minimal HTTP tracker (compact announce and scrape, no UDP). Its figures
are libtorrent's, so a bench run with it measures nothing about bitsy.
"""

import http.server
import os
import signal
import socket
import struct
import sys
import threading
import time
import urllib.parse

import libtorrent as lt

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lt_peer  # noqa: E402


def opt(args, name, default=None):
    if name in args:
        i = args.index(name)
        v = args[i + 1]
        del args[i:i + 2]
        return v
    return default


def session(listen_ip, port):
    s = lt_peer.settings(listen_ip, port)
    s["outgoing_interfaces"] = ""
    s["announce_ip"] = ""
    return lt.session(s)


def download(args):
    quiet = "-q" in args
    if quiet:
        args.remove("-q")
    out = opt(args, "-o", ".")
    port = int(opt(args, "--port", "6881"))
    opt(args, "--max-peers")
    ses = session("0.0.0.0", port)
    p = lt.add_torrent_params()
    p.ti = lt.torrent_info(args[0])
    p.save_path = out
    hd = ses.add_torrent(p)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        st = hd.status()
        if not quiet:
            sys.stderr.write("\r[mock] %5.1f%%  %6.1f MB/s  peers %d " % (
                st.progress * 100, st.download_rate / 1e6, st.num_peers))
        if st.is_seeding:
            if not quiet:
                sys.stderr.write("\n")
            return 0
        time.sleep(0.2)
    return 1


def seed(args):
    port = int(opt(args, "--port", "6881"))
    torrent, path = args[0], args[1]
    ses = session("0.0.0.0", port)
    p = lt.add_torrent_params()
    p.ti = lt.torrent_info(torrent)
    p.save_path = os.path.dirname(os.path.abspath(path))
    ses.add_torrent(p)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    while not stop:
        time.sleep(0.1)
    return 0


def create(args):
    out = opt(args, "-o")
    plen = int(opt(args, "--piece-length", str(256 * 1024)))
    tracker = opt(args, "--tracker")
    return lt_peer.cmd_create(args[0], tracker, plen, out)


def info(args):
    ti = lt.torrent_info(args[0])
    print("name:      %s" % ti.name())
    print("info hash: %s" % ti.info_hashes().v1)
    print("size:      %d bytes in %d files, %d pieces of %d" % (
        ti.total_size(), ti.num_files(), ti.num_pieces(), ti.piece_length()))
    return 0


SWARMS = {}  # infohash bytes -> {(ip, port): (left, seen)}
LOCK = threading.Lock()


class Tracker(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query, keep_blank_values=True, encoding="latin-1")
        ihs = [v.encode("latin-1") for v in q.get("info_hash", [])]
        if u.path == "/announce" and len(ihs) == 1:
            ip, port = self.client_address[0], int(q["port"][0])
            left = int(q.get("left", ["1"])[0])
            with LOCK:
                sw = SWARMS.setdefault(ihs[0], {})
                if q.get("event", [""])[0] == "stopped":
                    sw.pop((ip, port), None)
                else:
                    sw[(ip, port)] = left
                peers = b"".join(socket.inet_aton(a) + struct.pack(">H", b)
                                 for (a, b) in sw if (a, b) != (ip, port))
                c = sum(1 for v in sw.values() if v == 0)
            body = b"d8:completei%de10:incompletei%de8:intervali30e5:peers%d:%se" % (
                c, len(sw) - c, len(peers), peers)
        elif u.path == "/scrape":
            files = b""
            with LOCK:
                for ih in ihs:
                    sw = SWARMS.get(ih, {})
                    c = sum(1 for v in sw.values() if v == 0)
                    files += b"20:%sd8:completei%de10:downloadedi0e10:incompletei%dee" % (
                        ih, c, len(sw) - c)
            body = b"d5:filesd" + files + b"ee"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def tracker(args):
    bind = opt(args, "--bind", "0.0.0.0")
    port = int(opt(args, "--port", "6969"))
    srv = http.server.ThreadingHTTPServer((bind, port), Tracker)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=srv.shutdown).start())
    srv.serve_forever()
    return 0


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    args = [a for a in args if a != "--no-dht"]  # libtorrent here runs no DHT anyway
    return {"download": download, "seed": seed, "create": create, "info": info,
            "tracker": tracker}[cmd](args)


if __name__ == "__main__":
    sys.exit(main())

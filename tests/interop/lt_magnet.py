#!/usr/bin/python3
"""python3-libtorrent downloading from a magnet link, as its own process (interop harness).

  lt_magnet.py IP PORT SAVE_DIR TIMEOUT MAGNET_URI     exit 0 when complete, 1 on timeout

The metadata comes from peers (BEP 9) named by the magnet's x.pe or found through its tr;
settings are lt_peer.py's (loopback only, no DHT/LSD/uTP). Prints when the metadata arrived.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import libtorrent as lt  # noqa: E402
from lt_peer import settings  # noqa: E402


def main(argv):
    if len(argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    ip, port, save_dir, timeout, uri = argv[1:]
    ses = lt.session(settings(ip, int(port)))
    p = lt.parse_magnet_uri(uri)
    p.save_path = save_dir
    t0 = time.monotonic()
    h = ses.add_torrent(p)
    deadline = t0 + float(timeout)
    had_metadata = False
    while time.monotonic() < deadline:
        s = h.status()
        if s.has_metadata and not had_metadata:
            had_metadata = True
            print("lt magnet: metadata received after %.2fs" % (time.monotonic() - t0),
                  file=sys.stderr)
        if s.is_seeding:
            print("lt magnet: done", file=sys.stderr)
            return 0
        for a in ses.pop_alerts():
            print("lt magnet alert:", a.message(), file=sys.stderr)
        time.sleep(0.1 if had_metadata else 0.01)
    s = h.status()
    print("lt magnet: timed out, metadata=%s %.1f%% peers=%d" % (
        s.has_metadata, s.progress * 100, s.num_peers), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

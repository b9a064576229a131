#!/usr/bin/python3
"""A python3-libtorrent seeder for the peer exchange case (cases_pex.py), as its own process.

  lt_pex_seed.py IP PORT SAVE_DIR T.torrent [--upload-limit BYTES_PER_S] [--no-trackers]
                 [--connect IP:PORT]

Prints "READY" once the torrent is seeding, and "CONNECTED IP:PORT" once a peer at the
--connect address is connected (tried again every 2 s, for at most 60 s). Seeds until
SIGTERM/SIGINT.

What differs from lt_peer.py seed (whose settings it starts from):
- PEX stays on (libtorrent's default ut_pex plugin): this seeder is the one that tells.
- close_redundant_connections off: two seeds keep their connection, so the seed we connected
  to stays in our PEX list.
- --upload-limit: a torrent-level limit, plus a peer class filter that puts loopback peers in
  the global class: libtorrent exempts "local" peers (127.x among them) from rate limits.
- --no-trackers: the torrent's announce keys are removed before it is added (the info
  dictionary, and so the infohash, stays as it is), so this seeder never announces and a downloader can learn of it only from a peer.
"""

import signal
import sys
import time

import libtorrent as lt

import lt_peer


def main(argv):
    ip, port, save_dir, torrent = argv[1], int(argv[2]), argv[3], argv[4]
    rest = argv[5:]
    limit = int(rest[rest.index("--upload-limit") + 1]) if "--upload-limit" in rest else 0
    connect = rest[rest.index("--connect") + 1] if "--connect" in rest else None
    s = lt_peer.settings(ip, port)
    s.update({"close_redundant_connections": False})
    ses = lt.session(s)
    if limit:
        # Loopback is a "local network": its peers skip every limit unless their class is
        # the global one.
        f = lt.ip_filter()
        f.add_rule("0.0.0.0", "255.255.255.255", 1 << lt.session.global_peer_class_id)
        ses.set_peer_class_filter(f)
        s.update({"upload_rate_limit": limit})
        ses.apply_settings(s)
    with open(torrent, "rb") as f:
        meta = lt.bdecode(f.read())
    if "--no-trackers" in rest:
        # The info dictionary (and so the infohash) is untouched.
        meta.pop(b"announce", None)
        meta.pop(b"announce-list", None)
    p = lt.add_torrent_params()
    p.ti = lt.torrent_info(meta)
    p.save_path = save_dir
    h = ses.add_torrent(p)
    if limit:
        h.set_upload_limit(limit)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    ready = connected = False
    started = time.monotonic()
    last_try = 0.0
    peers_seen = []
    while not stop:
        st = h.status()
        if not ready and st.is_seeding:
            ready = True
            print("READY", flush=True)
        if ready and connect and not connected:
            cip, cport = connect.rsplit(":", 1)
            peers = ["%s:%d" % (q.ip[0], q.ip[1]) for q in h.get_peer_info()]
            if connect in peers:
                connected = True
                print("CONNECTED " + connect, flush=True)
            elif time.monotonic() - last_try > 2 and time.monotonic() - started < 60:
                h.connect_peer((cip, int(cport)))
                last_try = time.monotonic()
        now_peers = sorted("%s:%d%s" % (q.ip[0], q.ip[1],
                                         " out" if q.flags & lt.peer_info.local_connection else " in")
                           for q in h.get_peer_info())
        if now_peers != peers_seen:
            peers_seen = now_peers
            print("PEERS " + ", ".join(now_peers), file=sys.stderr, flush=True)
        for a in ses.pop_alerts():
            print("lt pex seed alert:", a.message(), file=sys.stderr)
        time.sleep(0.1)
    h.pause()
    time.sleep(0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""python3-libtorrent on the DHT, on loopback (settings from ../shared/real-clients.md).

  lt_dht.py router IP PORT
      a DHT node that only routes; prints READY when listening, and
      `ANNOUNCED <infohash> port <port>` for each announce_peer it receives.
  lt_dht.py seed IP PORT ROUTER_IP ROUTER_PORT DATA_DIR
      a node joined to ROUTER that seeds 1 MiB of fresh content in DATA_DIR from a torrent
      without trackers, so only the DHT announces it; prints `INFOHASH <hex>`.
  lt_dht.py get IP PORT ROUTER_IP ROUTER_PORT INFOHASH
      (for --self-check) a node that looks INFOHASH up and prints `peer IP:PORT` lines.
  lt_dht.py fetch IP PORT ROUTER_IP ROUTER_PORT TORRENT SAVE_DIR
      a node that downloads TORRENT (trackerless: peers from the DHT alone) into SAVE_DIR;
      prints `DONE` and exits 0 once it has every piece (1 after 90 s).

Each mode runs until killed (get: until it found a peer or 60 s passed).
"""

import os
import sys
import time

import libtorrent as lt


def session(ip, port):
    return lt.session({
        "listen_interfaces": "%s:%s" % (ip, port),
        "enable_dht": True,
        "dht_bootstrap_nodes": "",
        "dht_restrict_routing_ips": False,
        "dht_restrict_search_ips": False,
        "dht_ignore_dark_internet": False,
        "dht_prefer_verified_node_ids": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "alert_mask": lt.alert.category_t.all_categories,
    })


def main(argv):
    mode, ip, port = argv[1], argv[2], int(argv[3])
    s = session(ip, port)
    if mode == "router":
        print("READY", flush=True)
        while True:
            for a in s.pop_alerts():
                if isinstance(a, lt.dht_announce_alert):
                    print("ANNOUNCED %s port %d" % (a.info_hash, a.port), flush=True)
            time.sleep(0.2)
    router = (argv[4], int(argv[5]))
    s.add_dht_node(router)
    if mode == "seed":
        data = argv[6]
        os.makedirs(data, exist_ok=True)
        with open(os.path.join(data, "f.bin"), "wb") as f:
            f.write(os.urandom(1 << 20))
        fs = lt.file_storage()
        lt.add_files(fs, os.path.join(data, "f.bin"))
        t = lt.create_torrent(fs, 262144)
        lt.set_piece_hashes(t, data)
        ti = lt.torrent_info(t.generate())
        s.add_torrent({"ti": ti, "save_path": data})
        print("INFOHASH %s" % ti.info_hashes().v1, flush=True)
        while True:
            s.pop_alerts()
            time.sleep(0.5)
    if mode == "fetch":
        ti = lt.torrent_info(argv[6])
        h = s.add_torrent({"ti": ti, "save_path": argv[7]})
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            s.pop_alerts()
            if h.status().is_seeding:
                print("DONE", flush=True)
                return 0
            time.sleep(0.2)
        return 1
    if mode == "get":
        ih = lt.sha1_hash(bytes.fromhex(argv[6]))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            s.dht_get_peers(ih)
            time.sleep(1)
            for a in s.pop_alerts():
                if isinstance(a, lt.dht_get_peers_reply_alert):
                    for p in a.peers():
                        print("peer %s:%d" % p, flush=True)
                    return 0
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

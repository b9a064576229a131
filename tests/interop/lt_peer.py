#!/usr/bin/python3
"""python3-libtorrent as a separate peer process for the interop and bench harnesses.

Runs as its own process (so the harness can stop it by PID like any other client):

  lt_peer.py create PATH TRACKER_URL PIECE_LEN OUT.torrent   v1-only torrent (aria2 cannot do hybrid)
  lt_peer.py seed IP PORT SAVE_DIR T.torrent [T2.torrent..]   seed until SIGTERM/SIGINT; prints
                                                              "READY" once every torrent is seeding
  lt_peer.py download IP PORT SAVE_DIR TIMEOUT T.torrent       exit 0 when complete, 1 on timeout

Options for seed (before IP): --fast uses lt.high_performance_seed() settings.

Quirks recorded here:
- The module only exists for Debian's /usr/bin/python3, not for a pyenv/venv python3.
- TCP only: uTP off both ways, or libtorrent happily talks uTP to peers that do not want it.
- Encryption policy "enabled" (not forced): it falls back to plaintext with plain peers.
- allow_multiple_connections_per_ip: every peer here may share an address with another.
- A downloader with no peers after a while is re-announced by hand (force_reannounce), because
  opentracker tells a fresh seeder to come back only every ~30 minutes.
"""

import os
import signal
import sys
import time

import libtorrent as lt


def settings(ip, port, fast=False):
    s = lt.high_performance_seed() if fast else lt.default_settings()
    s.update({
        "listen_interfaces": "%s:%d" % (ip, port),
        "outgoing_interfaces": ip,
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,
        "allow_multiple_connections_per_ip": True,
        "out_enc_policy": int(lt.enc_policy.enabled),
        "in_enc_policy": int(lt.enc_policy.enabled),
        "announce_ip": ip,
        "alert_mask": int(lt.alert.category_t.error_notification | lt.alert.category_t.tracker_notification),
        # Loopback peers count as local: no rate limits apply to them anyway, but be explicit.
        "upload_rate_limit": 0,
        "download_rate_limit": 0,
        "connections_limit": 500,
    })
    return s


def add(ses, torrent, save_dir, seed_mode=False):
    p = lt.add_torrent_params()
    p.ti = lt.torrent_info(torrent)
    p.save_path = save_dir
    if seed_mode:
        # Trust the data without a hash check only when the harness says so (bench speed).
        p.flags |= lt.torrent_flags.seed_mode
    return ses.add_torrent(p)


def cmd_create(path, tracker, piece_len, out):
    fs = lt.file_storage()
    lt.add_files(fs, path)
    ct = lt.create_torrent(fs, int(piece_len), flags=lt.create_torrent.v1_only)
    ct.add_tracker(tracker)
    ct.set_creator("bitsy interop harness")
    lt.set_piece_hashes(ct, os.path.dirname(os.path.abspath(path)))
    with open(out, "wb") as f:
        f.write(lt.bencode(ct.generate()))
    return 0


def cmd_seed(args):
    fast = False
    if args and args[0] == "--fast":
        fast, args = True, args[1:]
    ip, port, save_dir, torrents = args[0], int(args[1]), args[2], args[3:]
    ses = lt.session(settings(ip, port, fast))
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    handles = [add(ses, t, save_dir) for t in torrents]
    ready = False
    deadline = time.monotonic() + 600  # bound on the hash check of ~1.5 GiB
    while not stop:
        st = [h.status() for h in handles]
        if not ready and all(s.is_seeding for s in st):
            ready = True
            print("READY", flush=True)
        if not ready and time.monotonic() > deadline:
            print("lt seed: hash check did not finish", file=sys.stderr)
            return 1
        for a in ses.pop_alerts():
            print("lt seed alert:", a.message(), file=sys.stderr)
        time.sleep(0.1)
    # Graceful: pause sends event=stopped to the tracker before we go.
    for h in handles:
        h.pause()
    time.sleep(0.5)
    return 0


def cmd_download(ip, port, save_dir, timeout, torrent):
    ses = lt.session(settings(ip, int(port)))
    h = add(ses, torrent, save_dir)
    deadline = time.monotonic() + float(timeout)
    last_reannounce = time.monotonic()
    while time.monotonic() < deadline:
        s = h.status()
        if s.is_seeding:
            print("lt download: done %s" % os.path.basename(torrent), file=sys.stderr)
            return 0
        if s.num_peers == 0 and time.monotonic() - last_reannounce > 3:
            h.force_reannounce()
            last_reannounce = time.monotonic()
        for a in ses.pop_alerts():
            print("lt download alert:", a.message(), file=sys.stderr)
        time.sleep(0.1)
    s = h.status()
    print("lt download: timed out at %.1f%% peers=%d" % (s.progress * 100, s.num_peers),
          file=sys.stderr)
    return 1


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == "create":
        return cmd_create(*args)
    if cmd == "seed":
        return cmd_seed(args)
    if cmd == "download":
        return cmd_download(*args)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

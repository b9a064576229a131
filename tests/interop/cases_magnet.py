"""magnet-seed-CLIENT: `bitsy download MAGNET` against a real seeder (BEP 9 metadata, then data).

For each of libtorrent, aria2c, Transmission and qBittorrent: the client seeds a torrent made
by mktorrent; bitsy is given only a magnet link, never the .torrent:

  libtorrent     magnet:?xt=urn:btih:IH&dn=NAME&x.pe=SEEDER   (no tracker: x.pe alone)
  the others     magnet:?xt=urn:btih:IH&dn=NAME&tr=OPENTRACKER

bitsy fetches the info dictionary from the seeder over ut_metadata, saves it as
DIR/NAME.torrent, then downloads; every file is compared by sha256, the saved .torrent must
carry the same infohash, and the time from start to the saved .torrent (magnet to metadata)
is reported; in the libtorrent case, beside python3-libtorrent's own time from the same link
to the same seeder (lt_magnet.py). The libtorrent case then stops its seeder and runs the same link again: with
the saved .torrent and the data already there it must finish at once, without the swarm.
"""

import os
import subprocess
import time

CLIENTS = ["libtorrent", "aria2c", "transmission", "qbittorrent"]
SIZES = {"libtorrent": [2_000_003, 17, 300_000], "aria2c": 2_500_001,
         "transmission": [700_001, 1_200_000], "qbittorrent": 1_800_013}


def _saved_torrent(dst):
    for name in os.listdir(dst) if os.path.isdir(dst) else []:
        if name.endswith(".torrent"):
            return os.path.join(dst, name)
    return None


def run_bitsy(h, procs, name, link, dst, timeout):
    """Runs `bitsy download LINK`; returns (exit code or None, seconds to the saved .torrent)."""
    cmd = [h.bitsy_bin(), "download", link, "-o", dst, "--port", str(h.free_port()), "-v",
           "--stall-timeout", "60", "--no-dht"]
    t0 = time.monotonic()
    p = procs.start(name, cmd)
    meta_secs = None
    deadline = t0 + timeout
    while time.monotonic() < deadline:
        if meta_secs is None and _saved_torrent(dst):
            meta_secs = time.monotonic() - t0
        if p.poll() is not None:
            break
        time.sleep(0.02)
    if p.poll() is None:
        procs.stop(p)
        return None, meta_secs
    return p.returncode, meta_secs


def lt_metadata_time(h, procs, work, link):
    """How long python3-libtorrent takes from the same magnet link to the metadata."""
    name = "lt-magnet-compare"
    dst = os.path.join(work, "dst-" + name)
    os.makedirs(dst)
    p = procs.start(name, [h.PY, "-u", os.path.join(os.path.dirname(__file__), "lt_magnet.py"),
                           "127.0.0.31", str(h.free_port()), dst, "60", link])
    try:
        p.wait(70)
    except subprocess.TimeoutExpired:
        procs.stop(p)
    with open(os.path.join(work, name + ".log"), "rb") as f:
        for line in f.read().decode("utf-8", "replace").splitlines():
            if "metadata received after" in line:
                return "metadata in " + line.rsplit(" ", 1)[-1]
    return "no metadata"


def cases(h, procs, work, tracker, res, self_check, filters, timeout):
    for client in CLIENTS:
        case = "magnet-seed-" + client
        if filters and not any(f in case for f in filters):
            continue
        if self_check:
            h.log("note: %s has no self-check (it tests bitsy's magnet download)" % case)
            continue
        cls, ip = h.SEEDERS[client]
        data = os.path.join(work, "src-" + case)
        tdir = os.path.join(work, "torrents")
        os.makedirs(tdir, exist_ok=True)
        seeder = None
        try:
            path = h.make_content(data, case, SIZES[client], case)
            t = h.make_torrent("mktorrent", path, tracker.url,
                               os.path.join(tdir, case + ".torrent"), 64 * 1024)
            ih = h.infohash(t)
            tracker.allow(ih)
            seeder = cls(procs, work, ip, data)
            seeder.start([t])
            seeder.wait_ready(tracker.url, [ih], 60)
            name = os.path.basename(path)
            link = "magnet:?xt=urn:btih:%s&dn=%s" % (ih, name)
            if client == "libtorrent":
                link += "&x.pe=%s:%d" % (ip, seeder.port)
            else:
                link += "&tr=" + h._pct(tracker.url)
            dst = os.path.join(work, "dst-" + case)
            os.makedirs(dst)
            t0 = time.monotonic()
            rc, meta_secs = run_bitsy(h, procs, "bitsy-" + case, link, dst, timeout)
            secs = time.monotonic() - t0
            why = h.compare(t, data, dst) if rc == 0 else "exit %s" % rc
            saved = _saved_torrent(dst)
            if why is None and (saved is None or h.infohash(saved) != ih):
                why = "no saved .torrent with infohash %s in %s" % (ih, dst)
            detail = "[metadata in %s]" % ("%.2fs" % meta_secs if meta_secs else "-")
            if why is None and client == "libtorrent":
                detail += " [libtorrent from the same link: %s]" % lt_metadata_time(
                    h, procs, work, link)
                seeder.stop()
                seeder = None
                rc2, _ = run_bitsy(h, procs, "bitsy-%s-rerun" % case, link, dst, 30)
                with open(os.path.join(work, "bitsy-%s-rerun.log" % case), "rb") as f:
                    log = f.read().decode("utf-8", "replace")
                if rc2 != 0 or "using the metadata saved" not in log:
                    why = "rerun without the swarm: exit %s" % rc2
                    why += procs.log_tail("bitsy-%s-rerun" % case)
                else:
                    detail += " [rerun from the saved .torrent, seeder gone: ok]"
            if why and rc != 0:
                why += procs.log_tail("bitsy-" + case)
            res.report(case, why is None, ((why + " ") if why else "") + detail, secs)
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            res.report(case, False, str(e))
        finally:
            if seeder is not None:
                seeder.stop()

"""The clients the bench runs, and one timed download by any of them.

Names (the keys of DOWNLOADERS, SEEDERS and BINARIES) are what `tests/bench/run --only` takes.
Each binary can be overridden by an environment variable (tests/bench/README.md); HOW_TO_BUILD
says how to build one that is missing. `download` is the one way a download is measured, in
every part: a fresh folder, a `sync` and a memory warm-up before, `/usr/bin/time -v` around
it, a `sync` timed after it, the data compared with the source, the folder removed.
"""

import os
import shutil
import time

import harness as h
import measure

MIB = 1 << 20
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Generous: the slowest client here moves ~50 MB/s; no client may stall the run forever.
DOWNLOAD_TIMEOUT = 600

DOWNLOADERS = {"bitsy": "bitsy (glibc)", "bitsy-musl": "bitsy (musl static)",
               "rqbit": "rqbit", "aria2c": "aria2c", "libtorrent": "libtorrent (Python)"}
SEEDERS = {"bitsy": "bitsy (glibc)", "bitsy-musl": "bitsy (musl static)",
           "rtorrent": "rtorrent", "qbittorrent": "qBittorrent"}
ARIA2_IP, LT_IP = "127.0.0.8", "127.0.0.9"  # the downloaders' own addresses


def binary(env, default):
    return os.path.abspath(os.environ.get(env) or os.path.join(ROOT, default))


BINARIES = {"bitsy": binary("BITSY", "target/release/bitsy"),
            "bitsy-musl": binary("BITSY_MUSL", "target/x86_64-unknown-linux-musl/release/bitsy"),
            "rqbit": binary("RQBIT", "target/rqbit/bin/rqbit"),
            "bitsy-scale": binary("SLOW_SWARM", "target/release/examples/slow_swarm"),
            "bare": binary("BARE_TRANSFER", "target/release/examples/bare_transfer")}
HOW_TO_BUILD = {"bitsy": "cargo build --release", "bitsy-musl": "make musl",
                "rqbit": "make rqbit",
                "bitsy-scale": "cargo build --release --example slow_swarm",
                "bare": "cargo build --release --example bare_transfer"}


def downloader_cmd(who, torrent, dst, port, work):
    """(argv, env) of one downloader that exits once it has the whole torrent."""
    if who in ("bitsy", "bitsy-musl"):
        return [BINARIES[who], "download", torrent, "-o", dst, "--port", str(port), "-q",
                "--no-dht"], None
    if who == "rqbit":
        # Its own HOME: nothing it persists lands in the user's.
        home = os.path.join(work, "rqbit-home")
        os.makedirs(home, exist_ok=True)
        env = dict(os.environ, HOME=home, XDG_CACHE_HOME=home, XDG_DATA_HOME=home,
                   XDG_CONFIG_HOME=home)
        return [BINARIES["rqbit"], "--disable-dht", "--disable-dht-persistence",
                "--disable-upnp-port-forward", "--disable-lsd", "--listen-port", str(port),
                "download", "--disable-http-api", "-o", dst, "-e", torrent], env
    if who == "aria2c":
        return ["aria2c", "--dir=" + dst, "--seed-time=0", "--file-allocation=none",
                "--bt-tracker-interval=5", "--listen-port=%d" % port,
                "--bt-stop-timeout=%d" % DOWNLOAD_TIMEOUT] + h._net_flags_aria2(ARIA2_IP) + [
                    torrent], None
    if who == "libtorrent":
        return [h.PY, "-u", h.LT_PEER, "download", LT_IP, str(port), dst,
                str(DOWNLOAD_TIMEOUT), torrent], None
    raise ValueError(who)


def warm_memory(work, size):
    """Writes `size` bytes to a file and deletes it unsynced. On a VM, memory the guest freed a
    while ago may have gone back to the host, and touching it again costs a fault per page: a
    1 GiB write took 3-5 s of system time right after the bench freed 3 GiB, 0.5 s the next
    time. Without this the client that runs first pays for it (the bench's first 1 GiB
    download used 5.2 CPU s where the same binary's later ones used 3.4)."""
    path = os.path.join(work, "warm")
    chunk = bytes(MIB)
    with open(path, "wb") as f:
        for _ in range(-(-size // MIB)):
            f.write(chunk)
    os.remove(path)


def download(procs, work, who, torrent, size, src, name):
    """One timed download into a fresh dir, checked and removed; a report result."""
    dst = os.path.join(work, "dst-" + name)
    os.makedirs(dst)
    h.log("bench: %s: %s downloads" % (name, who))
    cmd, env = downloader_cmd(who, torrent, dst, h.free_port(), work)
    # Every client starts with nothing of earlier runs waiting to be written back (the content
    # just generated, a previous client's files): on a slow disk that writeback would slow
    # whoever runs next.
    warm_memory(work, size)
    os.sync()
    ok, m = measure.timed(procs, work, name, cmd, DOWNLOAD_TIMEOUT, env)
    # What the client left in the page cache: bitsy syncs its files before it exits, not every
    # client does, so the time until the data is on disk is wall + this.
    t0 = time.monotonic()
    os.sync()
    m["sync"] = time.monotonic() - t0
    if ok:
        why = h.compare(torrent, src, dst)
        if why:
            h.log("bench:   %s: %s" % (who, why))
            ok = False
    h.log("bench:   %s %.1fs%s" % ("ok" if ok else "FAILED", m["wall"],
                                    "" if ok else procs.log_tail(name)))
    shutil.rmtree(dst)
    cpu = m["user"] + m["sys"] if "user" in m and "sys" in m else None
    return {"ok": ok, "size": size, "wall": m["wall"], "cpu": cpu,
            "rss_kib": m.get("rss_kib"), "sync": m["sync"]}

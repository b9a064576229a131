"""everyday-*: issue 10's features against real seeders on loopback.

  everyday-stream-libtorrent   libtorrent seeds one 3 MB file (mktorrent, 64 KiB pieces);
                               `bitsy download -o - --max-memory 1M` writes it to stdout: the
                               bytes must equal the file (sha256) and no file may be created.
  everyday-json-transmission   Transmission seeds; `bitsy download --json`: every stdout line
                               parses as JSON with "v": 1, and the events include metadata,
                               tracker, peer_connected, progress and done (last).
  everyday-trace-aria2c        aria2c seeds; `bitsy download --trace`: stderr shows aria2's
                               handshake and extended handshake, bitfield or have all,
                               unchoke, request and piece lines with their BEP labels.

Each runs the real seeder and a bitsy downloader with bounded waits; everything is stopped by
PID. In --self-check mode libtorrent's helper downloads in bitsy's place (the seeders and the
torrents are checked, not bitsy's options).
"""

import json
import os
import subprocess
import time

TIMEOUT = 120
READY = 60
SIZE = 3_000_000


def _want(filters, case):
    return not filters or any(f in case for f in filters)


def _run(h, procs, name, args, **kw):
    """Runs `bitsy ARGS --port P --no-dht` to its end: None if it exited 0, else why not."""
    p = procs.start(name, [h.bitsy_bin()] + args + ["--port", str(h.free_port()), "--no-dht"],
                    **kw)
    try:
        code = p.wait(TIMEOUT)
    except subprocess.TimeoutExpired:
        procs.stop(p)
        return "timed out"
    return None if code == 0 else "exit %d" % code


def _stream(h, procs, work, t, data_file, name):
    """None if `-o -` wrote exactly the file's bytes and created nothing, else why not."""
    cwd = os.path.join(work, "cwd-" + name)
    os.makedirs(cwd)
    out_path = os.path.join(work, name + ".out")
    with open(out_path, "wb") as out:
        why = _run(h, procs, name, ["download", t, "-o", "-", "--max-memory", "1M"],
                   cwd=cwd, stdout=out)
    if why:
        return why
    if h.sha256(out_path) != h.sha256(data_file):
        return "stdout differs from the file (%d bytes)" % os.path.getsize(out_path)
    if os.listdir(cwd):
        return "created files: %s" % os.listdir(cwd)
    return None


def _json(h, procs, work, t, name):
    dst = os.path.join(work, "dst-" + name)
    out_path = os.path.join(work, name + ".ndjson")
    with open(out_path, "wb") as out:
        why = _run(h, procs, name, ["download", t, "-o", dst, "--json"], stdout=out)
    if why:
        return why
    events = []
    with open(out_path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                ev = json.loads(line)
            except ValueError:
                return "line %d is not JSON: %r" % (n, line[:200])
            if ev.get("v") != 1:
                return "line %d has no \"v\": 1" % n
            events.append(ev["event"])
    for need in ("start", "metadata", "tracker", "peer_connected", "progress", "done"):
        if need not in events:
            return "no %s event in %s" % (need, events)
    if events[-1] != "done":
        return "the last event is %s" % events[-1]
    return None


def _trace(h, procs, work, t, name):
    dst = os.path.join(work, "dst-" + name)
    why = _run(h, procs, name, ["download", t, "-o", dst, "--trace"])
    if why:
        return why
    with open(os.path.join(procs.logdir, name + ".log"), encoding="utf-8",
              errors="replace") as f:
        text = f.read()
    wanted = [
        "<- 127.0.0.2:",                    # lines from aria2's address
        "handshake info_hash=",
        "extended handshake",
        'v="aria2',                         # aria2 names itself in its extended handshake
        "(BEP 3: the sender will answer requests now)",
        "request index=0 begin=0 length=16384 (BEP 3: ask for one block)",
        "piece index=0 begin=0 [16384 bytes] (BEP 3: one block of data)",
    ]
    missing = [w for w in wanted if w not in text]
    if missing:
        return "not in the trace: %s" % missing
    if "bitfield" not in text and "have all" not in text:
        return "no bitfield or have all from aria2"
    return None


def cases(h, procs, work, tracker, res, self_check, filters):
    plan = [
        ("everyday-stream-libtorrent", "libtorrent"),
        ("everyday-json-transmission", "transmission"),
        ("everyday-trace-aria2c", "aria2c"),
    ]
    tdir = os.path.join(work, "torrents")
    os.makedirs(tdir, exist_ok=True)
    for case, client in plan:
        if not _want(filters, case):
            continue
        cls, ip = h.SEEDERS[client]
        data = os.path.join(work, "src-" + case)
        seeder = None
        t0 = time.monotonic()
        try:
            path = h.make_content(data, case + ".bin", SIZE, case)
            t = h.make_torrent("mktorrent", path, tracker.url,
                               os.path.join(tdir, case + ".torrent"), 64 * 1024)
            ih = h.infohash(t)
            tracker.allow(ih)
            seeder = cls(procs, work, ip, data)
            seeder.start([t])
            seeder.wait_ready(tracker.url, [ih], READY)
            t0 = time.monotonic()
            name = "bitsy-" + case
            if self_check:
                dst = os.path.join(work, "dst-" + case)
                ok = h.lt_download(procs, "127.0.0.200", t, dst, TIMEOUT)
                same = ok and h.sha256(path) == h.sha256(os.path.join(dst, case + ".bin"))
                res.report(case, same, "" if same else "the download failed or differs",
                           time.monotonic() - t0)
                continue
            if case.startswith("everyday-stream"):
                why = _stream(h, procs, work, t, path, name)
            elif case.startswith("everyday-json"):
                why = _json(h, procs, work, t, name)
            else:
                why = _trace(h, procs, work, t, name)
            if why:
                why += procs.log_tail(name)
            res.report(case, why is None, why or "", time.monotonic() - t0)
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            res.report(case, False, str(e))
        finally:
            if seeder is not None:
                seeder.stop()

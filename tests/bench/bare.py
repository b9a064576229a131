"""The bench's bare transfer: what this machine can do with no BitTorrent at all, beside
bitsy seeding to bitsy.

`examples/bare_transfer` moves the bench's single file through the same system calls as a
bitsy seeder and a bitsy downloader on loopback, and the same SHA-1: pread 16 KiB blocks,
send each behind a 13-byte `piece` header, recv it straight into its piece, hash it, pwrite
the piece, an fdatasync every 32 MiB on a thread of its own (as bitsy's flusher) and one
at the end. One process, four threads; no handshake, requests, picker,
tracker or second process. It runs once, under `/usr/bin/time -v` like a downloader, after the
same `sync` and memory warm-up, and its copy is compared with the source byte for byte.

The table puts each bitsy-to-bitsy transfer of the upload part (the same file) under it:
MB/s against the bare transfer's, and CPU per GiB of both processes (the seeder's and the
downloader's) against the bare transfer's whole process. What bitsy loses there is its own
code's cost (and its start-up, which counts in its wall time); the bare transfer's own figures
are the machine's. This part starts no swarm, tracker or client.
"""

import filecmp
import os

import measure
import report

TIMEOUT = 300  # 1 GiB takes 2-3 s here; anything near this is a hang
NOTE = ("The bare transfer (`examples/bare_transfer`): the same file through pread, send, "
        "recv, SHA-1 and pwrite, synced every 32 MiB as bitsy does, in one process with "
        "no BitTorrent: what this machine gives any client that checks its pieces and does "
        "not use mmap, sendfile or splice. A bitsy row is the upload part's bitsy seeding to "
        "bitsy (glibc): its MB/s includes the downloader's start-up and first announce, its "
        "CPU adds the seeder's and the downloader's.")


def bare_part(procs, work, binary, single, size, before):
    """One bare transfer of `single` (`size` bytes); `before()` readies the machine as for a
    download (sync, warm memory). A report result labelled "bare transfer"."""
    out = os.path.join(work, "bare.out")
    before()
    ok, m = measure.timed(procs, work, "bare", [binary, single, out], TIMEOUT)
    ok = ok and os.path.exists(out) and filecmp.cmp(single, out, shallow=False)
    if os.path.exists(out):
        os.remove(out)
    cpu = m["user"] + m["sys"] if "user" in m and "sys" in m else None
    return {"label": "bare transfer", "ok": ok, "size": size, "wall": m.get("wall"),
            "cpu": cpu, "rss_kib": m.get("rss_kib")}


def bitsy_pairs(upload_rows):
    """The upload part's bitsy-to-bitsy rows, as results whose cpu is both processes'."""
    out = []
    for r in upload_rows:
        if r["downloader"] == "bitsy" and r["label"].startswith("bitsy") and r["ok"] is not None:
            both = (r["cpu"] + r["dl_cpu"]) if r.get("cpu") is not None and r.get(
                "dl_cpu") is not None else None
            out.append(dict(r, label="%s to bitsy (glibc)" % r["label"], cpu=both))
    return out


def _fig(x, fmt):
    return fmt % x if x is not None else "–"


def bare_table(title, bare, pairs):
    """The bare transfer, then each bitsy pair with its ratio to it."""
    lines = ["", "### Bare transfer: " + title, "",
             "| transfer | ok | MB/s | vs bare | CPU s/GiB, all processes | vs bare |",
             "| --- | --- | --- | --- | --- | --- |"]
    base_mbps, base_cpu = report.mbps(bare), report.cpu_per_gib(bare)
    for r in [bare] + pairs:
        speed, cpu = report.mbps(r), report.cpu_per_gib(r)
        lines.append("| %s | %s | %s | %s | %s | %s |" % (
            r["label"], "yes" if r["ok"] else "**no**", _fig(speed, "%.0f"),
            _fig(speed / base_mbps if speed and base_mbps else None, "%.2f×"),
            _fig(cpu, "%.2f"), _fig(cpu / base_cpu if cpu and base_cpu else None, "%.2f×")))
    return lines + ["", NOTE]

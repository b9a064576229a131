"""Measuring a process: a command under `/usr/bin/time -v`, and a live process through /proc.

Two ways, because the bench measures two kinds of process:
- a downloader runs to completion: `/usr/bin/time -v` reports its wall time, user and system
  CPU and peak RSS when it exits (`timed`);
- a seeder keeps running across several downloads: its CPU is the difference of utime+stime in
  /proc/PID/stat before and after one download (`cpu_seconds`), and its peak RSS is VmHWM from
  /proc/PID/status, reset before each download by writing 5 to /proc/PID/clear_refs
  (`reset_peak_rss`, Linux >= 4.0) so that each figure belongs to one download, not to the
  hash check at start-up.

`timed` can also sample the measured command's thread count (`Threads:` in /proc/PID/status)
every 0.2 s and report the peak (`ThreadPeak`): `/usr/bin/time -v` has no such figure.

Nothing here starts or stops a process except `timed`, which stops what it started.
"""

import os
import signal
import subprocess
import threading
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def cpu_seconds(pid):
    """user+system CPU seconds of a live process, all its threads (None if it is gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return None
    # Fields after the command name (which may hold spaces and parentheses): state is field 3,
    # utime field 14, stime field 15 (proc(5)); index 0 below is field 3.
    fields = stat[stat.rfind(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def peak_rss_kib(pid):
    """Peak RSS (VmHWM) of a live process, in KiB (None if it is gone)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak_rss(pid):
    """Start VmHWM again from the current RSS; False if the kernel refused."""
    try:
        with open("/proc/%d/clear_refs" % pid, "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def threads(pid):
    """`Threads:` of a live process (None if it is gone)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class ThreadPeak:
    """The most threads the child of `parent` (the command `/usr/bin/time` runs) had, sampled
    every `every` s on a Python thread from start() until stop(), which returns it (None if
    no sample was taken: the child was never seen)."""

    def __init__(self, parent, every=0.2):
        self.parent, self.every = parent, every
        self.peak = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        child = None
        while True:
            child = child or next(iter(children(self.parent)), None)
            n = threads(child) if child else None
            if n is not None:
                self.peak = max(self.peak or 0, n)
            if self._done.wait(self.every):
                return

    def stop(self):
        self._done.set()
        self._thread.join()
        return self.peak


def parse_time_v(path):
    """The figures of a `/usr/bin/time -v` report: wall, user, sys (s) and rss_kib."""
    m = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.strip().rpartition(": ")
            if k == "User time (seconds)":
                m["user"] = float(v)
            elif k == "System time (seconds)":
                m["sys"] = float(v)
            elif k == "Maximum resident set size (kbytes)":
                m["rss_kib"] = int(v)
            elif k.startswith("Elapsed (wall clock) time"):
                secs = 0.0
                for part in v.split(":"):  # [h:]mm:ss.ss
                    secs = secs * 60 + float(part)
                m["wall"] = secs
    return m


def timed(procs, work, name, cmd, timeout, env=None, sample_threads=False):
    """Run cmd under /usr/bin/time -v; (exited 0, metrics). On time-out the child of `time`
    is stopped first (SIGTERM to `time` alone would orphan it). With sample_threads, the
    metrics also hold `threads`: the peak thread count of cmd (ThreadPeak)."""
    out = os.path.join(work, name + ".time")
    p = procs.start(name, ["/usr/bin/time", "-v", "-o", out] + cmd, env=env)
    sampler = ThreadPeak(p.pid).start() if sample_threads else None
    t0 = time.monotonic()
    try:
        rc = p.wait(timeout)
    except subprocess.TimeoutExpired:
        for c in children(p.pid):
            try:
                os.kill(c, signal.SIGTERM)
            except OSError:
                pass
        procs.stop(p)
        rc = -1
    wall = time.monotonic() - t0
    m = parse_time_v(out) if os.path.exists(out) else {}
    if sampler:
        m["threads"] = sampler.stop()
    m.setdefault("wall", wall)
    return rc == 0, m

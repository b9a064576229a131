"""Markdown tables of the bench: one per torrent for downloads, one per torrent for uploads.

A result is a dict: `label` (the row's name), `ok`, `size` (bytes moved), `wall` (s), `cpu`
(user+system s of the process measured), `rss_kib` (its peak RSS) and `sync` (s of the `sync`
after it); upload results also carry
`downloader`; a pair that was not measured has ok None and `why`. A figure that cannot be
trusted (a failed or unmeasured transfer) prints as "–", never as a number. Each "vs" column
is the row's figure divided by the baseline row's (bitsy (glibc)), so above 1× means more of
that figure: faster for MB/s, hungrier for CPU and RSS, slower for wall time.
"""

GIB = 1 << 30
MIB = 1 << 20
BASELINE = "bitsy (glibc)"


def mbps(r):
    return r["size"] / 1e6 / r["wall"] if r["ok"] and r.get("wall") else None


def cpu_per_gib(r):
    return r["cpu"] / (r["size"] / GIB) if r["ok"] and r.get("cpu") is not None else None


def rss_mib(r):
    return r["rss_kib"] / 1024 if r["ok"] and r.get("rss_kib") else None


def wall(r):
    return r["wall"] if r["ok"] else None


def on_disk(r):
    """Wall time plus the `sync` after it: until the data is on disk, whoever syncs."""
    return r["wall"] + r["sync"] if r["ok"] and r.get("sync") is not None else None


def _num(x, fmt):
    return fmt % x if x is not None else "–"


def _ratio(x, base):
    return "%.2f×" % (x / base) if x is not None and base else "–"


def _row(cells):
    return "| " + " | ".join(cells) + " |"


def _best(results, key, lowest):
    """(label, value) of the best ok row by `key`, or None."""
    scored = [(key(r), r["label"]) for r in results if key(r) is not None]
    if not scored:
        return None
    v, label = (min if lowest else max)(scored)
    return label, v


# (header, figure, printf format, lower is better)
DOWNLOAD_COLUMNS = [("MB/s", mbps, "%.0f", False),
                    ("CPU s/GiB", cpu_per_gib, "%.2f", True),
                    ("peak RSS MiB", rss_mib, "%.1f", True),
                    ("wall s", wall, "%.2f", True),
                    ("on disk s", on_disk, "%.2f", True)]
UPLOAD_COLUMNS = [("MB/s", mbps, "%.0f", False),
                  ("seeder CPU s/GiB", cpu_per_gib, "%.2f", True),
                  ("seeder peak RSS MiB", rss_mib, "%.1f", True)]


def _table(first, names, results, columns, base):
    """Header, separator and one line per result: the fields `names` of the result, ok, then
    each column with its ratio to `base` (the baseline result, or None)."""
    head = list(first)
    for name, _, _, _ in columns:
        head += [name, "vs bitsy"]
    lines = [_row(head), _row(["---"] * len(head))]
    for r in results:
        cells = [r[k] for k in names]
        cells.append({True: "yes", False: "**no**"}.get(r["ok"], "not measured"))
        for _, fig, fmt, _ in columns:
            cells += [_num(fig(r), fmt), _ratio(fig(r), fig(base) if base else None)]
        lines.append(_row(cells))
    return lines


def download_table(title, results):
    base = next((r for r in results if r["label"] == BASELINE), None)
    lines = ["", "### Download: " + title, ""]
    lines += _table(["downloader", "ok"], ["label"], results, DOWNLOAD_COLUMNS, base)
    fast = _best(results, mbps, lowest=False)
    frugal = _best(results, cpu_per_gib, lowest=True)
    small = _best(results, rss_mib, lowest=True)
    if fast and frugal and small:
        lines += ["", "Fastest: **%s** (%.0f MB/s). Least CPU per GiB: **%s** (%.2f s). "
                  "Smallest peak RSS: **%s** (%.1f MiB)." % (fast + frugal + small)]
    return lines


def upload_table(title, results):
    """results: one per (seeder, downloader); ratios against bitsy (glibc) seeding to the same
    downloader."""
    lines = ["", "### Upload: " + title + ", one seeder alone", ""]
    downloaders = list(dict.fromkeys(r["downloader"] for r in results))
    ordered = [r for d in downloaders for r in results if r["downloader"] == d]
    head, names = ["seeder", "downloader", "ok"], ["label", "downloader"]
    body = []
    for d in downloaders:
        rows = [r for r in ordered if r["downloader"] == d]
        base = next((r for r in rows if r["label"] == BASELINE), None)
        body += _table(head, names, rows, UPLOAD_COLUMNS, base)[2:]
    lines += _table(head, names, [], UPLOAD_COLUMNS, None) + body
    for r in ordered:
        if r["ok"] is None:
            lines += ["", "Not measured, %s to %s: %s." % (r["label"], r["downloader"], r["why"])]
    for d in downloaders:
        rows = [r for r in ordered if r["downloader"] == d]
        fast = _best(rows, mbps, lowest=False)
        frugal = _best(rows, cpu_per_gib, lowest=True)
        if fast and frugal:
            lines.append("")
            lines.append("To %s: fastest seeder **%s** (%.0f MB/s), least seeder CPU per GiB "
                         "**%s** (%.2f s)." % ((d,) + fast + frugal))
    return lines


def threads(r):
    return r["threads"] if r["ok"] and r.get("threads") else None


def connected(r):
    return r["connected"] if r["ok"] and r.get("connected") is not None else None


# (header, figure, printf format) of the scale table, after `peers` and `ok`.
SCALE_COLUMNS = [("connected", connected, "%d"), ("MB/s", mbps, "%.0f"),
                 ("CPU s/GiB", cpu_per_gib, "%.2f"), ("peak RSS MiB", rss_mib, "%.1f"),
                 ("peak threads", threads, "%d"), ("wall s", wall, "%.2f")]


def scale_table(title, results):
    """One row per swarm size, then the ratio of the largest swarm's figures to the
    smallest's (above 1x: more of it with more peers)."""
    lines = ["", "### Scale: " + title, ""]
    head = ["peers", "ok"] + [name for name, _, _ in SCALE_COLUMNS]
    lines += [_row(head), _row(["---"] * len(head))]
    for r in results:
        cells = [str(r["peers"]), "yes" if r["ok"] else "**no**"]
        lines.append(_row(cells + [_num(fig(r), fmt) for _, fig, fmt in SCALE_COLUMNS]))
    if len(results) >= 2:
        small, big = results[0], results[-1]
        cells = ["%d ÷ %d" % (big["peers"], small["peers"]), ""]
        cells += [_ratio(fig(big), fig(small)) for _, fig, _ in SCALE_COLUMNS]
        lines.append(_row(cells))
    return lines

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check tools/mstat (the viewer) on saved /proc/mstat texts.

usage: check_viewer.py MSTAT_BINARY
Prints one line per check and "viewer: N passed, N failed" last.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BASE = os.path.join(HERE, "mstat-6.12.txt")		# a read from the e2e VM
APPENDED = os.path.join(HERE, "mstat-appended.txt")	# the same, a field and columns more
NODES = os.path.join(HERE, "mstat_nodes-6.12.txt")	# /proc/mstat_nodes, the e2e VM's two nodes
CACHES = os.path.join(HERE, "mstat_caches.txt")	# /proc/mstat_caches' format, four caches


def parse(path):
    """Summary fields and tables, as the README documents the format."""
    summary, tables, cur = {}, {}, None
    lines = open(path).read().splitlines()
    for line in lines[1:]:
        w = line.split()
        if w[0] == "#":
            cur = w[1:]
            tables[cur[0]] = []
        elif cur and re.fullmatch(cur[0] + r"\d+", w[0]):
            row = {cur[0]: int(w[0][len(cur[0]):])}
            row.update(zip(cur[1:], (int(x) for x in w[1:])))
            tables[cur[0]].append(row)
        elif len(w) == 2:
            summary[w[0]] = int(w[1])
    return summary, tables


def run(binary, *args, timeout=10):
    return subprocess.run([binary, *args], stdout=subprocess.PIPE, text=True,
                          timeout=timeout).stdout


def run_json(binary, *args):
    """The --json output parsed, or None if it is not JSON."""
    try:
        return json.loads(run(binary, "--json", *args))
    except ValueError:
        return None


def human(v):
    """Bytes as the viewer shows them: "584 B", "1.1 MiB"."""
    d, u = abs(v), 0
    while d >= 1024 and u < 4:
        d, u = d / 1024, u + 1
    unit = ("B", "KiB", "MiB", "GiB", "TiB")[u]
    return f"{'-' if v < 0 else ''}{d:.1f} {unit}" if u else f"{'-' if v < 0 else ''}{d:.0f} {unit}"


def write(directory, name, data):
    path = os.path.join(directory, name)
    with open(path, "wb") as f:
        f.write(data.encode("latin-1") if isinstance(data, str) else data)
    return path


def replace_line(text, no, line):
    """@text with its line @no (from 1) replaced by @line (keeping the line end)."""
    lines = text.splitlines(keepends=True)
    end = lines[no - 1][len(lines[no - 1].rstrip("\r\n")):]
    lines[no - 1] = line + end
    return "".join(lines)


def refusals(binary, tmp):
    """Files that are not mstat reads, and the exact refusal of each."""
    base = open(BASE).read()
    crlf = base.replace("\n", "\r\n")
    lines = base.splitlines(keepends=True)
    cases = (
        ("a carriage return inside a line", replace_line(crlf, 2, "alloc_bytes 11\r72040"),
         2, "byte 0x0d is not printable ASCII"),
        ("carriage returns alone as line ends", base.replace("\n", "\r"),
         1, "byte 0x0d is not printable ASCII"),
        ("a capture cut inside the last row", crlf[:crlf.rindex("cpu3 1 25") + 9],
         108, "2 values where the legend names 7"),
        ("a capture cut before the cpu table", "".join(lines[:103]),
         0, "no cpu table"),
        ("a value that is not a number", replace_line(crlf, 24, "class0 8 73 0 73 58x4"),
         24, '"58x4" is not a number'),
        ("a negative summary value", replace_line(base, 7, "nmalloc -285"),
         7, '"-285" is not a number'),
        ("a summary line of three words", replace_line(base, 2, "alloc_bytes 1172040 1"),
         2, 'not a "name value" line'),
        ("a row that is not its table's", replace_line(base, 24, "class0x 8 73 0 73 584"),
         24, "not a row of the class table"),
        ("a row with a value more", replace_line(base, 105, "cpu0 1 109 50 -7928 4088 8 2 0"),
         105, "8 values where the legend names 7"),
        ("a NUL byte", replace_line(base, 2, "alloc_bytes 1172040\0"),
         2, "byte 0x00 is not printable ASCII"),
        ("a byte that is not ASCII", replace_line(base, 2, "alloc_bytes\xa01172040"),
         2, "byte 0xa0 is not printable ASCII"),
        ("an empty file", "", 1, 'the first line is not "mstat version N"'),
        ("this script", open(__file__).read(), 1, 'the first line is not "mstat version N"'),
    )
    for name, data, no, why in cases:
        path = write(tmp, "bad.txt", data)
        res = subprocess.run([binary, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, timeout=10)
        where = f"{path}:{no}" if no else path
        want = f"mstat: {where}: not an mstat read: {why}\n"
        yield (f"refused, exit 1, nothing on stdout: {name}",
               (res.returncode, res.stdout, res.stderr) == (1, "", want),
               f"exit {res.returncode}, stdout {res.stdout[:80]!r}, stderr {res.stderr!r}")


def measured_rates(binary, tmp):
    """-d 1 on a FIFO that gives its second read 3 s after the first, 3000
    allocations and frees later: the rates are over the 3 s, not the 1 s asked."""
    fifo = os.path.join(tmp, "fifo")
    os.mkfifo(fifo)
    base = open(BASE).read()
    later = base
    for old, new in (("nmalloc 285\n", "nmalloc 3285\n"), ("nfree 185\n", "nfree 3185\n"),
                     ("total_alloc_bytes 1481800\n", "total_alloc_bytes 1673800\n"),
                     ("total_free_bytes 309760\n", "total_free_bytes 501760\n"),
                     ("class7 64 0 0 0 0\n", "class7 64 3000 3000 0 0\n"),
                     ("cpu0 1 109 50 ", "cpu0 1 3109 3050 ")):	# 3000 x 64 B more, all freed
        assert later.count("\n" + old) == 1, old
        later = later.replace("\n" + old, "\n" + new)
    written = []

    def writer():
        for i, text in enumerate((base, later)):
            if i:
                time.sleep(3)
            with open(fifo, "w") as f:
                f.write(text)
            written.append(time.monotonic())

    out = []
    proc = subprocess.Popen([binary, "-d", "1", "--json", fifo], stdout=subprocess.PIPE,
                            text=True)

    def reader():
        for line in proc.stdout:
            out.append(line)
            if len(out) == 2:
                return

    threads = [threading.Thread(target=f, daemon=True) for f in (writer, reader)]
    for t in threads:
        t.start()
    threads[1].join(20)
    proc.kill()
    proc.wait()
    try:
        reads = [json.loads(line) for line in out]
    except ValueError:
        reads = []
    if len(reads) != 2 or len(written) != 2 or "per_second" not in reads[1]:
        return False, f"{len(reads)} reads, {len(written)} written: {out!r}"
    secs = written[1] - written[0]
    got = reads[1]["per_second"]
    want = {"nmalloc": 3000 / secs, "nfree": 3000 / secs, "alloc_bytes": 192000 / secs}
    ok = all(abs(got[k] - want[k]) <= 0.05 * want[k] for k in want)
    return ok, f"{secs:.2f} s between the reads: got {got}, want about {want}"


def main():
    binary = sys.argv[1]
    results = []

    def check(name, ok, detail=""):
        results.append(bool(ok))
        print(f"viewer: {'PASS' if ok else 'FAIL'} {name}{'' if ok else ': ' + detail}")

    for path in (BASE, APPENDED):
        summary, tables = parse(path)
        got = json.loads(run(binary, "--json", path))
        name = os.path.basename(path)
        check(f"{name}: --json has every summary field", got["summary"] == summary,
              f"{set(summary.items()) ^ set(got['summary'].items())}")
        for kind in ("class", "cpu"):
            check(f"{name}: --json has every {kind} row and column", got[kind] == tables[kind])

    summary, tables = parse(BASE)
    text = run(binary, BASE)
    used = sorted(r["class"] for r in tables["class"] if r["nmalloc"])
    shown = sorted(int(m) for m in re.findall(r"^ +(\d+) +\d+ +\d+ +\S+ \S+ +\d+ +\d+$",
                                              text.split("\n\n")[1], re.M))
    check("text: exactly the classes that were used", used == shown, f"{used} vs {shown}")
    cpus = sorted(r["cpu"] for r in tables["cpu"] if r["nmalloc"] or r["nfree"])
    shown = sorted(int(line.split()[0]) for line in text.split("\n\n")[2].splitlines()[1:])
    check("text: exactly the CPUs that were used", cpus == shown, f"{cpus} vs {shown}")
    first = text.splitlines()[0]
    check("text: live bytes and objects in human units",
          first.startswith(f"live {summary['alloc_bytes'] / 1048576:.1f} MiB in "
                           f"{summary['live_objects']} objects"), first)
    check("text: appended fields and columns change nothing",
          run(binary, APPENDED) == text)
    try:
        out = subprocess.run([binary, "-d", "1", "--json", BASE], stdout=subprocess.PIPE,
                             text=True, timeout=2.5).stdout
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
    # whole lines only: the kill may come in the middle of one
    reads = [json.loads(line) for line in out.splitlines(keepends=True) if line.endswith("\n")]
    check("-d 1: a read a second, rates from the second on (0 for a file that stays)",
          len(reads) >= 2 and "per_second" not in reads[0] and
          reads[1]["per_second"] == {"nmalloc": 0, "nfree": 0, "alloc_bytes": 0},
          f"{len(reads)} reads")
    check("a file that is not an mstat report is refused",
          subprocess.run([binary, __file__], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL).returncode == 1)

    # the summary line: cached bytes are the CPU rows' sum, not the live bytes again
    cached = sum(r["cached_bytes"] for r in tables["cpu"])
    check("text: the summary line, exact (cached 66.0 KiB: the CPU rows sum to 67608 B)",
          cached == summary["cached_bytes"] == 67608 and
          first == "live 1.1 MiB in 100 objects (large: 7, 504.0 KiB); "
                   "held 1.2 MiB, cached 66.0 KiB", first)
    rows = [f"{r['class']:8} {r['size']:8} {r['live_objects']:12} {human(r['alloc_bytes']):>12}"
            f" {r['nmalloc']:12} {r['nfree']:12}" for r in tables["class"] if r["nmalloc"]]
    check("text: the class rows, exact (live_bytes 584 B, 640.0 KiB)",
          text.split("\n\n")[1].splitlines()[1:] == rows and
          "584 B" in rows[0] and "640.0 KiB" in rows[-1], text.split("\n\n")[1])

    with tempfile.TemporaryDirectory() as tmp:
        # a serial console's capture: CRLF line ends, the same read
        crlf = write(tmp, "crlf.txt", open(BASE).read().replace("\n", "\r\n"))
        got = run_json(binary, crlf)
        check("CRLF: --json is the same as for LF (no \\r in names, values read)",
              got is not None and got == run_json(binary, BASE), str(got)[:200])
        check("CRLF: the text view is the same as for LF", run(binary, crlf) == text,
              run(binary, crlf)[:300])
        for name, ok, detail in refusals(binary, tmp):
            check(name, ok, detail)

        # names that need escaping in JSON: a quote and a backslash
        odd = open(APPENDED).read().replace("future_field", 'fut"ure\\field')
        odd = odd.replace("future_col", 'fut"ure\\col')
        path = write(tmp, "odd.txt", odd)
        summary, tables = parse(path)
        raw = run(binary, "--json", path)
        got = run_json(binary, path)
        check("--json: names escaped (RFC 8259), every field and column read back",
              got is not None and '"fut\\"ure\\\\field": 42' in raw and
              got["summary"] == summary and got["class"] == tables["class"] and
              got["cpu"] == tables["cpu"] and 'fut"ure\\col' in got["cpu"][0], raw[:300])

        ok, detail = measured_rates(binary, tmp)
        check("-d 1: rates over the time measured between the reads (3 s), not 1 s", ok, detail)

        # the node view: every node's row, its columns found by the legend
        out = run(binary, "--nodes", NODES)
        lines = open(NODES).read().splitlines()
        legend = lines[2].split()
        rows = [dict(zip(legend, map(int, x.split()))) for x in lines[3:]]
        want = [f"{r['node']:6} {human(r['pages'] * os.sysconf('SC_PAGESIZE')):>12} "
                f"{r['partial_spans']:8} {r['refill_local']:14} {r['refill_remote']:14} "
                f"{r['remote_frees']:14} "
                f"{100 * r['refill_local'] / (r['refill_local'] + r['refill_remote']):6.1f}%"
                for r in rows]
        check("--nodes: a row per node, exact (held, partial, refills, remote frees, local %)",
              out.splitlines()[1:-1] == want and out.splitlines()[-1] ==
              f"2 nodes; objects refilled {int(lines[0].split()[1])}", out)
        swapped = [lines[0], lines[1]] + [" ".join(x.split()[:1] + x.split()[1:][::-1])
                                          for x in lines[2:]]
        path = write(tmp, "nodes-swapped.txt", "\n".join(swapped) + "\n")
        check("--nodes: columns in another order read by name", run(binary, "--nodes", path) ==
              out, run(binary, "--nodes", path))
        check("--nodes: a file that is not an mstat_nodes read is refused",
              subprocess.run([binary, "--nodes", BASE], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL).returncode == 1)
        # the typed-cache view: a row per cache, most live bytes first, exact
        out = run(binary, "--caches", CACHES)
        lines = open(CACHES).read().splitlines()
        legend = lines[1].split()[1:]
        rows = [dict(zip(legend, x.split())) for x in lines[2:]]
        rows.sort(key=lambda r: (-int(r["live_bytes"]), r["name"]))
        page = os.sysconf("SC_PAGESIZE")
        want = [f"{r['name']:<24} {int(r['size']):6} {int(r['align']):5} "
                f"{int(r['nmalloc']):12} {int(r['nfree']):12} "
                f"{int(r['nmalloc']) - int(r['nfree']):10} {human(int(r['live_bytes'])):>10} "
                f"{human(int(r['pages']) * page):>10} {int(r['cached_objects']):8} {r['flags']}"
                for r in rows]
        live = sum(int(r["live_bytes"]) for r in rows)
        held = sum(int(r["pages"]) for r in rows) * page
        check("--caches: a row per cache, most live bytes first, exact",
              out.splitlines()[1:-1] == want and out.splitlines()[-1] ==
              f"4 caches; live {human(live)} in {human(held)} held", out)
        swapped = lines[:1] + ["# " + " ".join(legend[:1] + legend[1:][::-1])] + \
            [" ".join(x.split()[:1] + x.split()[1:][::-1]) for x in lines[2:]]
        path = write(tmp, "caches-swapped.txt", "\n".join(swapped) + "\n")
        check("--caches: columns in another order read by name",
              run(binary, "--caches", path) == out, run(binary, "--caches", path))
        check("--caches: a file that is not an mstat_caches read is refused",
              subprocess.run([binary, "--caches", BASE], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL).returncode == 1)
    passed = sum(results)
    print(f"viewer: {passed} passed, {len(results) - passed} failed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())

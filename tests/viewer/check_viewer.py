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

HERE = os.path.dirname(os.path.abspath(__file__))
BASE = os.path.join(HERE, "mstat-6.12.txt")		# a read from the e2e VM
APPENDED = os.path.join(HERE, "mstat-appended.txt")	# the same, a field and columns more


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


def human(v):
    """Bytes as the viewer shows them: "584 B", "1.1 MiB"."""
    d, u = abs(v), 0
    while d >= 1024 and u < 4:
        d, u = d / 1024, u + 1
    unit = ("B", "KiB", "MiB", "GiB", "TiB")[u]
    return f"{'-' if v < 0 else ''}{d:.1f} {unit}" if u else f"{'-' if v < 0 else ''}{d:.0f} {unit}"


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
    reads = [json.loads(line) for line in out.splitlines() if line.strip()]
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
    passed = sum(results)
    print(f"viewer: {passed} passed, {len(results) - passed} failed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())

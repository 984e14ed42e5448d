#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check tools/mstat_check (the checker of /proc/mstat reads) on saved and
made-up reads, with -f FILE -t 0 -n N (exactly N reads of FILE).

usage: check_mstat_check.py MSTAT_CHECK_BINARY
Prints one line per check and "checker: N passed, N failed" last.
"""
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BASE = os.path.join(HERE, "mstat-6.12.txt")		# a read from the e2e VM
APPENDED = os.path.join(HERE, "mstat-appended.txt")	# the same, a field and columns more
SITES_LEGEND = "# live_bytes live_objects nmalloc nfree file:line module function"


def run(binary, path, reads, sites=False):
    """Exit code and output lines of mstat_check on @path, its time taken out."""
    res = subprocess.run([binary, *(["-s"] if sites else []), "-t", "0", "-n", str(reads),
                          "-f", path], stdout=subprocess.PIPE, text=True, timeout=60)
    out = [re.sub(r" in \d+\.\d s$", "", line) for line in res.stdout.splitlines()]
    return res.returncode, out


def reorder(text, kind, order):
    """The read @text with the columns of table @kind in @order (names after the kind)."""
    out, cols = [], None
    for line in text.splitlines():
        w = line.split()
        if w[:2] == ["#", kind]:
            cols = w[2:]
            out.append(" ".join(["#", kind] + order))
        elif cols and re.fullmatch(kind + r"\d+", w[0]):
            row = dict(zip(cols, w[1:]))
            out.append(" ".join([w[0]] + [row[c] for c in order if c in row]))
        else:
            if w[0] == "#":
                cols = None
            out.append(line)
    return "\n".join(out) + "\n"


def many_cpus(text, ncpus):
    """The read @text with @ncpus possible CPUs, the new ones each having
    allocated and freed 1,000,000 24-byte objects (class2): over 256 KiB."""
    extra = ncpus - 4
    n = extra * 1000000
    lines = []
    for line in text.splitlines():
        w = line.split()
        if w[0] in ("nmalloc", "nfree"):
            line = f"{w[0]} {int(w[1]) + n}"
        elif w[0] in ("total_alloc_bytes", "total_free_bytes"):
            line = f"{w[0]} {int(w[1]) + 24 * n}"
        elif w[0] == "class2":
            line = f"class2 24 {100 + n} {100 + n} 0 0"
        lines.append(line)
    lines += [f"cpu{i} 1 1000000 1000000 0 0 1000 1000" for i in range(4, ncpus)]
    return "\n".join(lines) + "\n"


def site_rows(n):
    """@n consistent site rows, sorted, about 100 bytes each."""
    rows = []
    for i in range(n):
        live = n - i
        rows.append(f"{live * 64} {live} {live + 5} 5 "
                    f"/usr/src/client/drivers/mstat_client/subsystem/file_{i:05}.c:{100 + i} "
                    f"mstat_client client_function_{i:05}")
    return rows


def sites_read(rows):
    return "\n".join(["mstat_sites version 1", SITES_LEGEND] + rows) + "\n"


def main():
    binary = sys.argv[1]
    results = []

    def check(name, ok, detail=""):
        results.append(bool(ok))
        print(f"checker: {'PASS' if ok else 'FAIL'} {name}{'' if ok else ': ' + str(detail)}")

    def expect(name, got, want):
        check(name, got == want, f"got {got}, want {want}")

    base = open(BASE).read()
    for path in (BASE, APPENDED):
        expect(f"{os.path.basename(path)}: 3 reads, no violation", run(binary, path, 3),
               (0, ["mstat_check: reads 3 violations 0"]))

    with tempfile.TemporaryDirectory() as tmp:
        def write(name, text):
            path = os.path.join(tmp, name)
            with open(path, "w") as f:
                f.write(text)
            return path

        # legends in another order: the columns are found by name
        classes = ["alloc_bytes", "live_objects", "nfree", "nmalloc", "size"]
        cpus = ["cached_bytes", "alloc_bytes", "nflush", "nfree", "online", "nmalloc", "nrefill"]
        shuffled = reorder(reorder(base, "class", classes), "cpu", cpus)
        expect("legends in another order, rows to match: no violation",
               run(binary, write("order.txt", shuffled), 2),
               (0, ["mstat_check: reads 2 violations 0"]))
        # a row cut short under such a legend (alloc_bytes first) is refused, its
        # missing values never read: the classes then miss class0's 73 objects
        short = shuffled.replace("\nclass0 584 73 0 73 8\n", "\nclass0 584\n")
        expect("a row with fewer values than its legend (alloc_bytes first): refused",
               run(binary, write("short.txt", short), 1),
               (1, ["mstat_check: read 1: class row 'class0' does not match its legend",
                    "mstat_check: read 1: class rows + large do not sum to the totals",
                    "mstat_check: reads 1 violations 2"]))
        longer = base.replace("\ncpu2 1 94 40 91712 576 7 1\n", "\ncpu2 1 94 40 91712 576 7 1 9\n")
        expect("a row with a value more than its legend: refused",
               run(binary, write("longer.txt", longer), 1),
               (1, ["mstat_check: read 1: cpu row 'cpu2' does not match its legend",
                    "mstat_check: read 1: cpu rows: 191 145 1080328, "
                    "totals: 285 185 1172040",
                    "mstat_check: reads 1 violations 2"]))
        # a legend without a column the checks need: the read is refused, once
        no_nfree = reorder(base, "cpu", ["online", "nmalloc", "alloc_bytes", "cached_bytes",
                                         "nrefill", "nflush"])
        expect("a cpu legend without nfree: refused as such, once a read",
               run(binary, write("no_nfree.txt", no_nfree), 2),
               (1, ["mstat_check: read 1: cpu legend has no nfree column",
                    "mstat_check: read 2: cpu legend has no nfree column",
                    "mstat_check: reads 2 violations 2"]))
        no_size = reorder(base, "class", ["nmalloc", "nfree", "live_objects", "alloc_bytes"])
        expect("a class legend without size: refused as such",
               run(binary, write("no_size.txt", no_size), 1),
               (1, ["mstat_check: read 1: class legend has no size column",
                    "mstat_check: reads 1 violations 1"]))

        # reads over 256 KiB are read whole
        big = many_cpus(base, 8192)
        path = write("big.txt", big)
        expect(f"/proc/mstat with 8192 CPUs ({len(big) // 1024} KiB): read whole, "
               "no violation", run(binary, path, 2), (0, ["mstat_check: reads 2 violations 0"]))
        rows = site_rows(3000)
        rows.append(rows[-1].replace(" 1 6 5 ", " 1 6 6 ").replace("file_02999", "file_03000"))
        text = sites_read(rows)
        expect(f"sites, {len(text) // 1024} KiB, the last row inconsistent: found",
               run(binary, write("big_sites.txt", text), 1, sites=True),
               (1, [f"mstat_check: read 1: site row '{rows[-1]}' inconsistent",
                    "mstat_check: reads 1 violations 1"]))
        expect("/dev/zero: not read whole past 64 MiB, said",
               run(binary, "/dev/zero", 1),
               (1, ["mstat_check: read 1: /dev/zero: not read whole: File too large",
                    "mstat_check: reads 1 violations 1"]))

        # site rows with paths and names of any length
        d300 = "/usr/src/" + "/".join(f"directory_{i:02}" for i in range(26))
        d400 = "/usr/src/" + "/".join(f"directory_{i:02}" for i in range(35))
        fn = "function_" + "x" * 200
        rows = [f"4096 1 1 0 {d300}/a.c:10 mod_a {fn}",
                f"0 0 2 2 {d300}/b.c:20 mod_b",
                f"0 0 5 5 {d400}/c.c:30 mod_c fn_c",
                f"0 0 3 3 {d400}/c.c:30 mod_d fn_c"]
        expect(f"sites: paths of {len(d300) + 7} and {len(d400) + 7} characters, a function "
               f"of {len(fn)}: one row a field short refused, the others distinct",
               run(binary, write("long_sites.txt", sites_read(rows)), 2, sites=True),
               (1, [f"mstat_check: read 1: site row '{rows[1]}' does not have seven fields",
                    f"mstat_check: read 2: site row '{rows[1]}' does not have seven fields",
                    "mstat_check: reads 2 violations 2"]))
        rows = [f"0 0 5 5 {d400}/c.c:30 mod_c fn_c", f"0 0 5 4 {d400}/c.c:30 mod_c fn_c"]
        expect("sites: a long-path site whose nfree goes back is still found",
               run(binary, write("back_sites.txt", sites_read(rows)), 1, sites=True),
               (1, [f"mstat_check: read 1: site row '{rows[1]}' inconsistent",
                    f"mstat_check: read 1: site {d400}/c.c:30 mod_c fn_c went back: "
                    "nmalloc 5->5 nfree 5->4",
                    "mstat_check: reads 1 violations 2"]))

    passed = sum(results)
    print(f"checker: {passed} passed, {len(results) - passed} failed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())

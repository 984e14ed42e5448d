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

HERE = os.path.dirname(os.path.abspath(__file__))
BASE = os.path.join(HERE, "mstat-6.12.txt")		# a read from the e2e VM
APPENDED = os.path.join(HERE, "mstat-appended.txt")	# the same, a field and columns more


def run(binary, path, reads, sites=False):
    """Exit code and output lines of mstat_check on @path, its time taken out."""
    res = subprocess.run([binary, *(["-s"] if sites else []), "-t", "0", "-n", str(reads),
                          "-f", path], stdout=subprocess.PIPE, text=True, timeout=60)
    out = [re.sub(r" in \d+\.\d s$", "", line) for line in res.stdout.splitlines()]
    return res.returncode, out


def main():
    binary = sys.argv[1]
    results = []

    def check(name, ok, detail=""):
        results.append(bool(ok))
        print(f"checker: {'PASS' if ok else 'FAIL'} {name}{'' if ok else ': ' + str(detail)}")

    def expect(name, got, want):
        check(name, got == want, f"got {got}, want {want}")

    for path in (BASE, APPENDED):
        expect(f"{os.path.basename(path)}: 3 reads, no violation", run(binary, path, 3),
               (0, ["mstat_check: reads 3 violations 0"]))

    passed = sum(results)
    print(f"checker: {passed} passed, {len(results) - passed} failed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge a kunit.py run: count the mstat test cases from the KTAP output and
fail on any compiler warning in mstat's files (kunit.py prints the build's)
and on any kernel report in the raw kernel log.

usage: kunit_verdict.py KUNIT_OUTPUT KERNEL_LOG KUNIT_EXIT_CODE [ARCH]
Prints "kunit: N passed, N failed, N skipped" last; exit 0 only if all is well.

The suites: mstat, mstat_debug and mstat_torture (scripts/torture.sh, ARCH
torture-<config>).  On a KCSAN or KMSAN kernel (ARCH names kcsan or kmsan)
such a report fails the run only if one of its stacks has an mstat frame
(mstat's code or the torture's, tort_*); the kernel's own are listed, not
failed.
"""
import re
import sys

# Reports from the debugging options the suite runs with, and crashes.
REPORT = re.compile(r"BUG:|WARNING:|Oops|Kernel panic|KASAN|UBSAN|"
                    r"possible circular locking|inconsistent lock state|"
                    r"non-static key|sleeping function called|"
                    r"suspicious RCU usage|hung_task|general protection")
# Tests that provoke client mistakes on purpose print the mark first; mstat
# then WARNs once per kind of mistake (enum mstat_mistake), from mstat_report().
EXPECTED_MARK = "mstat-kunit: mstat reports expected from here"
EXPECTED_WARN = re.compile(r"WARNING: .* mstat_report\+")
MISTAKE_KINDS = 4
# A compiler warning in one of mstat's files, in kunit.py's build output.
BUILD_WARNING = re.compile(r"drivers/mstat/\S+:\d+:\d+: warning:")
# The suites this judges, by name.
SUITE = r"mstat(_debug|_torture)?"
# A KCSAN or KMSAN report runs from its BUG line to a line of '='; its
# stacks' frames are "function+0x../0x..", mstat's named mstat_* and the
# torture's tort_*.
KCSAN_START = re.compile(r"BUG: K[CM]SAN:")
KCSAN_END = re.compile(r"^={20,}$")
FRAME = re.compile(r"^\s*([\w.]+)\+0x[0-9a-f]+/0x[0-9a-f]+")
MSTAT_FRAME = re.compile(r"^(mstat|tort_)")
TIMESTAMP = re.compile(r"^\[\s*[0-9.]+\]\s?")


def count_cases(ktap):
    """Results of the mstat suite's cases, from the KTAP lines."""
    passed = failed = skipped = 0
    in_suite = False
    for line in ktap:
        line = re.sub(r"^\[[0-9:]+\]\s*", "", line).strip()
        if (re.match(r"#?\s*Subtest: " + SUITE + "$", line) or
                line.startswith("====") and re.search(" " + SUITE + " ", line)):
            in_suite = True
            continue
        if not in_suite:
            continue
        m = re.match(r"^\[(PASSED|FAILED|SKIPPED|CRASHED)\] (\w+)", line)
        if m:
            kind = m.group(1)
            if kind == "PASSED":
                passed += 1
            elif kind == "SKIPPED":
                skipped += 1
            else:
                failed += 1
        # the suite's own footer, not that of a parameterised case in it
        if line.startswith("====") and re.search(r"\[(PASSED|FAILED|SKIPPED)\] " + SUITE + " ",
                                                 line):
            in_suite = False
    return passed, failed, skipped


def kcsan_reports(log):
    """KCSAN/KMSAN reports: (those with an mstat frame, those without), as BUG lines."""
    ours, kernels = [], []
    block = None
    for line in log.splitlines():
        line = TIMESTAMP.sub("", line)
        if block is None:
            if KCSAN_START.search(line):
                block = [line.strip()]
            continue
        if KCSAN_END.match(line.strip()) or KCSAN_START.search(line):
            frames = [m.group(1) for m in map(FRAME.match, block) if m]
            frames += re.findall(r"[\w.]+", re.split(r"data-race in| in ", block[0], 1)[-1])
            mstat = [f for f in frames if MSTAT_FRAME.match(f)]
            (ours if mstat else kernels).append(
                block[0] + (f" (mstat frames: {', '.join(mstat)})" if mstat else ""))
            block = [line.strip()] if KCSAN_START.search(line) else None
            continue
        block.append(line)
    if block:
        ours.append(block[0] + " (report cut off)")
    return ours, kernels


def kernel_reports(log, kcsan=False):
    """Every report in the log but mstat's own, once per kind, after the mark.

    With kcsan, KCSAN reports are left to kcsan_reports().
    """
    marked = False
    reports = []
    allowed = 0
    for line in log.splitlines():
        marked = marked or EXPECTED_MARK in line
        if not REPORT.search(line):
            continue
        if kcsan and KCSAN_START.search(line):
            continue
        if marked and allowed < MISTAKE_KINDS and EXPECTED_WARN.search(line):
            allowed += 1
            continue
        reports.append(line.strip())
    return reports


def main():
    out_path, log_path, rc = sys.argv[1], sys.argv[2], int(sys.argv[3])
    arch = sys.argv[4] if len(sys.argv) > 4 else "um"
    with open(out_path, errors="replace") as f:
        ktap = f.read().splitlines()
    try:
        with open(log_path, errors="replace") as f:
            log = f.read()
    except OSError:
        log = ""
    passed, failed, skipped = count_cases(ktap)
    ok = True
    if rc != 0:
        print(f"kunit ({arch}): kunit.py exited with {rc}")
        ok = False
    if passed + failed == 0:
        print(f"kunit ({arch}): no mstat test ran")
        failed += 1
        ok = False
    kcsan = "kcsan" in arch or "kmsan" in arch
    found = [
        ("compiler warnings in mstat's files",
         sorted({line.strip() for line in ktap if BUILD_WARNING.search(line)})),
        ("kernel reports in the log", kernel_reports(log, kcsan)),
    ]
    if kcsan:
        ours, kernels = kcsan_reports(log)
        found.append(("KCSAN/KMSAN reports with an mstat frame", ours))
        if kernels:
            print(f"kunit ({arch}): KCSAN/KMSAN reports with no mstat frame (the kernel's; "
                  f"listed, not failed):")
            for line in kernels[:40]:
                print("  " + line)
    for what, lines in found:
        if lines:
            print(f"kunit ({arch}): {what} (each one fails the run):")
            for line in lines[:20]:
                print("  " + line)
            failed += 1
            ok = False
    print(f"kunit: {passed} passed, {failed} failed, {skipped} skipped")
    return 0 if ok and failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

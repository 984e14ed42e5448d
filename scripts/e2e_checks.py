#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The checks of the end-to-end tests: what each scenario of
scripts/mstat_vm.py does (its numbers) and how what the VM printed is judged.
Each check appends what it expected and what it read to a list of errors.

The tests (`scripts/mstat_vm.py e2e`, part of `make check`) run on Debian's
6.1, 6.12 and 6.12 PREEMPT_RT kernels with -smp 4.  The test client
tests/mstat_e2e.c takes commands through /proc/mstat_e2e (allocate N objects
of size S on CPU c, free the N oldest on CPU c, start/stop a load, leak on
unload); the host parses every read of /proc/mstat by its legends and checks:

 1. exact accounting: every delta (totals, class rows, CPU rows) equals what
    the client did, frees done on other CPUs than the allocations included;
 2. donation: CPUs 1-3 offlined one at a time and onlined, three rounds; each
    time every total is unchanged, the offline CPU's row is 0, CPU 0's row
    grew by exactly the dead row, cpu_donations counts each death of a CPU
    that had counted anything (in rounds 2 and 3 the CPUs come back and die
    idle: no donation);
 3. hotplug under load: 4 threads allocate (half with GFP_ATOMIC under a
    spinlock) and free each other's objects through a shared ring while CPUs
    go offline and online 50 times; afterwards live_objects and alloc_bytes
    are back at the baseline exactly, the nmalloc and nfree deltas are equal,
    no object's contents were damaged.  On PREEMPT_RT the threads are not
    re-pinned to their CPUs: re-pinning while CPUs come and go trips a
    scheduler warning in Debian's 6.12 RT kernel (affine_move_task() from
    migrate_enable()), which has nothing to do with mstat;
 4. unload is clean, and with objects deliberately left live it reports them
    and keeps their pages ("unloading with 13 live objects (10 small, 3
    large); leaving their 40 pages allocated") and the VM lives on;
 5. consistent reads: with 4 threads, thread i kept to CPU i, allocating and
    handing objects to each other to free, tools/mstat_check reads
    /proc/mstat 10,000 times as fast as it can and checks the five
    invariants of README's "What every read guarantees" on every read; then
    again while CPUs 1-3 go offline and online throughout.  Any violation
    fails; how long the reads take is not judged (under TCG a phase takes
    35-135 s on this machine; the CI log gives each one's time);
 6. /proc/mstat is mode 0400 (0444 with world_readable=1, checked in the
    second boot) and prints only numbers;
 7. no WARNING, BUG, Oops or hung task in the kernel log;
 8. client mistakes, in a second boot: the first user report (a 96-byte
    object freed twice, then two allocations), a double free across CPUs
    (allocated on 0, freed on 1, again on 2), a double free after 200 other
    frees pushed the object to its span, a large object freed twice, an
    interior and a kmalloc pointer, a write after free (then 200 frees push
    the object to the pool).  Each free is refused: double_frees and
    bad_pointers grow by exactly 3 and 3, the write after free changes
    nothing (write_after_free and live_objects unchanged: mstat never reads
    a free object), the next allocations are distinct, no class ever shows
    nfree > nmalloc; then the allocator serves 700 objects with their
    contents intact and mstat_check finds every invariant under load; the
    kernel log holds exactly one WARNING per kind (from mstat_report) and
    the expected number of report lines, no Oops; unload is clean;
 9. reclaim, in a third boot with 512 MiB: each CPU allocates 256 objects of
    64, 512, 4000 and 20000 bytes and 64 of 100000 bytes, then frees them:
    mstat holds megabytes more (sys_bytes - alloc_bytes); a client takes
    every free page with direct reclaim (idle reclaim off): afterwards mstat
    holds at most 256 KiB more than before the burst, cached_bytes is 0,
    nreclaim grew, no other counter moved; the same burst with idle reclaim
    on and 10 s idle: the same bounds; then free memory is fragmented (every
    free block above order 3 taken, and of each order-4 block the upper
    half) and 64 GFP_ATOMIC 24 KiB allocations from mstat and from kmalloc,
    alternately, are counted: mstat's at least kmalloc's, no
    allocation-failure warning;
10. memory hot-add, in a fourth boot with -m 512M,slots=2,maxmem=2G: the host
    adds a 512 MiB DIMM through QMP (object-add, device_add pc-dimm), the
    guest onlines it, mstat takes it on (its log says which page frames),
    the client allocates more than was free before (5000 x 100000 B and
    20000 x 2000 B): every allocation succeeds, objects lie in the new
    memory, contents intact, no warning.  (Without the extents the same test
    fails: the allocations fail.)
11. tracepoints, in a fifth boot (no_hash_pointers, so that pointers can be
    matched): the mstat events enabled through tracefs, the client allocates
    10 x 100 B on CPU 0, 5 x 5000 B on CPU 1, 2 x 70000 B and 6 x 300 B on
    CPU 3, frees them all on CPU 2, then CPUs 3 and 2 go offline: exactly 23
    mstat_alloc events with those CPUs and bytes_req, their bytes_alloc
    summing to the total_alloc_bytes delta, 23 mstat_free events on CPU 2
    with the same pointers, and two mstat_cpu_donate events (3 then 2, to
    CPU 0) each moving exactly the cached_bytes the dead CPU's row showed
    just before; no other event;
12. sites, in a sixth boot (6.1 and 6.12; not on RT, to save three minutes of
    TCG): the client allocates from three lines of its own (marked
    E2E_SITE1..3, found in the source by the host) 40 x 100 B on CPU 1,
    25 x 3000 B (mstat_zalloc) on CPU 2 and 7 x 50000 B on CPU 3, then frees
    the 30 oldest on CPU 0, 20 more on CPU 3 and 3 on CPU 2:
    /proc/mstat_sites (mode 0400) has exactly those rows before and after
    ("372736 7 7 0", "36864 12 25 13", "0 0 40 40"), sorted; then under
    4 threads' cross-CPU churn and CPUs 1-3 going offline and online
    throughout, mstat_check -s reads it 10,000 times and checks
    every row of every read (nfree <= nmalloc, live counts, order, never
    going back); afterwards the three rows are unchanged; the client unloads
    leaving its objects live: the two rows with live objects stay, marked
    mstat_e2e, the rest go; loaded again, 5 more from site 2 land in the
    same row (nmalloc 30), and freeing them brings it back to 12 live; no
    warning in the log.
13. two NUMA nodes, in a seventh boot (6.12 only; CPUs 0-1 on node 0, 2-3 on
    node 1, 512 MiB each): CPU 0 allocates 2,048 objects (64, 512, 4096 B),
    CPU 2 frees them and allocates 2,048 again: every one of them on node 1
    (they were all on node 0 before; kmalloc's share in the same churn is
    printed, and mstat's must be at least it), and node 0's remote_frees
    counts them; mstat_alloc_node() from each CPU to each node gives 200
    objects all on that node, freed on the other node; 300 reads of
    /proc/mstat_nodes under churn and CPU hotplug, in each the nodes'
    refills sum to refill_objs exactly, and at rest the nodes' pages sum to
    span_pages; 512 MiB hot-added to node 1 (QMP pc-dimm, node 1) and 5,000
    objects of 100000 B asked of node 1: all on node 1, some in the new
    memory.

In the main boot the viewer is checked too: `mstat --json` agrees with the
read just before it, and `mstat -d 1` under load shows allocation rates.
"""
import re
from collections import deque

from vm import NCPUS

# The summary fields that stay the same across CPU offline and online.
TOTALS = ("nmalloc", "nfree", "live_objects", "alloc_bytes", "total_alloc_bytes",
          "total_free_bytes", "large_nmalloc", "large_nfree", "large_alloc_bytes")


# ---------------------------------------------------------------- /proc/mstat

class Snap:
    """One read of /proc/mstat, columns found by their legends."""

    def __init__(self, text_lines):
        self.totals, self.classes, self.cpus = {}, {}, {}
        self.problems = []
        if not text_lines or text_lines[0] != "mstat version 1":
            self.problems.append(f"first line {text_lines[:1]!r}, expected 'mstat version 1'")
        legend, table = None, None
        for line in text_lines[1:]:
            if line.startswith("# "):
                legend = line[2:].split()
                table = self.classes if legend[0] == "class" else self.cpus
                continue
            words = line.split()
            for w in words[1:]:
                if not re.fullmatch(r"-?[0-9]+", w):
                    self.problems.append(f"not a decimal number: {w!r} in {line!r}")
            if legend is None:
                if len(words) != 2:
                    self.problems.append(f"bad line {line!r}")
                    continue
                self.totals[words[0]] = int(words[1])
            else:
                key = int(re.sub(r"^[a-z]+", "", words[0]))
                table[key] = dict(zip(legend[1:], (int(w) for w in words[1:])))

    def cpu(self, n, col):
        return self.cpus[n][col]


def snapshots(lines):
    snaps, cur, name = {}, None, None
    for line in lines:
        if line.startswith("@@SNAP "):
            name, cur = line.split(None, 1)[1], []
        elif line == "@@END" and cur is not None:
            snaps[name] = Snap(cur)
            cur = None
        elif cur is not None:
            cur.append(line)
    return snaps


def block(lines, start):
    out, inside = [], False
    for line in lines:
        if line == start:
            inside = True
        elif line == "@@END" and inside:
            return out
        elif inside:
            out.append(line)
    return out


# ---------------------------------------------------------------- e2e tests

def class_of(snap, size):
    for idx in sorted(snap.classes):
        if snap.classes[idx]["size"] >= size:
            return idx
    return None


def usable(snap, size):
    idx = class_of(snap, size)
    return snap.classes[idx]["size"] if idx is not None else -(-size // 4096) * 4096


ACCOUNT_ALLOCS = [(0, 100, 24), (1, 50, 200), (2, 30, 3000), (3, 5, 40000),
                  (1, 7, 70000), (2, 64, 8), (3, 20, 32768), (0, 9, 1)]
ACCOUNT_FREES = [(3, 60), (2, 40), (0, 50), (1, 35)]
DONATION_ROUNDS = 3
HOTPLUG_CYCLES = 50
CHECK_READS = 10000


class Checks:
    def __init__(self, kernel):
        self.kernel, self.results = kernel, []

    def run(self, name, fn):
        errors = []
        try:
            fn(errors)
        except (KeyError, IndexError, TypeError, ValueError) as e:
            errors.append(f"missing data: {e!r}")
        ok = not errors
        self.results.append(ok)
        print(f"e2e: {'PASS' if ok else 'FAIL'} {self.kernel} {name}")
        for e in errors[:15]:
            print(f"      {e}")


def expect(errors, what, want, got):
    if want != got:
        errors.append(f"{what}: expected {want}, read {got}")


def check_accounting(errors, snaps):
    s0, s1, s2 = snaps["s0"], snaps["s1"], snaps["s2"]
    fifo = deque()
    want_malloc = {c: 0 for c in range(NCPUS)}
    want_free = {c: 0 for c in range(NCPUS)}
    cls_malloc, cls_free = {}, {}
    large = bytes_alloc = 0
    for c, n, size in ACCOUNT_ALLOCS:
        want_malloc[c] += n
        idx = class_of(s0, size)
        if idx is None:
            large += n
        else:
            cls_malloc[idx] = cls_malloc.get(idx, 0) + n
        bytes_alloc += n * usable(s0, size)
        fifo.extend([size] * n)
    nmalloc = sum(n for _, n, _ in ACCOUNT_ALLOCS)

    def delta(a, b, k):
        return b.totals[k] - a.totals[k]

    expect(errors, "nmalloc delta", nmalloc, delta(s0, s1, "nmalloc"))
    expect(errors, "live_objects delta", nmalloc, delta(s0, s1, "live_objects"))
    expect(errors, "large_nmalloc delta", large, delta(s0, s1, "large_nmalloc"))
    expect(errors, "total_alloc_bytes delta", bytes_alloc, delta(s0, s1, "total_alloc_bytes"))
    expect(errors, "alloc_bytes delta", bytes_alloc, delta(s0, s1, "alloc_bytes"))
    for idx, n in cls_malloc.items():
        expect(errors, f"class{idx} nmalloc delta", n,
               s1.classes[idx]["nmalloc"] - s0.classes[idx]["nmalloc"])
    for c in range(NCPUS):
        expect(errors, f"cpu{c} nmalloc delta", want_malloc[c],
               s1.cpu(c, "nmalloc") - s0.cpu(c, "nmalloc"))

    freed_bytes = nfree = large_free = 0
    for c, n in ACCOUNT_FREES:
        want_free[c] += n
        for _ in range(n):
            size = fifo.popleft()
            idx = class_of(s0, size)
            if idx is None:
                large_free += 1
            else:
                cls_free[idx] = cls_free.get(idx, 0) + 1
            freed_bytes += usable(s0, size)
            nfree += 1
    expect(errors, "nfree delta", nfree, delta(s1, s2, "nfree"))
    expect(errors, "live_objects delta after frees", -nfree, delta(s1, s2, "live_objects"))
    expect(errors, "large_nfree delta", large_free, delta(s1, s2, "large_nfree"))
    expect(errors, "alloc_bytes delta after frees", -freed_bytes, delta(s1, s2, "alloc_bytes"))
    expect(errors, "total_alloc_bytes unchanged by frees", 0, delta(s1, s2, "total_alloc_bytes"))
    for idx, n in cls_free.items():
        expect(errors, f"class{idx} nfree delta", n,
               s2.classes[idx]["nfree"] - s1.classes[idx]["nfree"])
    for c in range(NCPUS):
        expect(errors, f"cpu{c} nfree delta", want_free[c],
               s2.cpu(c, "nfree") - s1.cpu(c, "nfree"))
    # the class rows plus large add up to the totals
    for s, label in ((s1, "s1"), (s2, "s2")):
        expect(errors, f"{label}: class nmalloc + large_nmalloc", s.totals["nmalloc"],
               sum(r["nmalloc"] for r in s.classes.values()) + s.totals["large_nmalloc"])
        expect(errors, f"{label}: cpu rows' alloc_bytes", s.totals["alloc_bytes"],
               sum(r["alloc_bytes"] for r in s.cpus.values()))


def same_totals(errors, what, a, b):
    for k in TOTALS:
        expect(errors, f"{what}: {k}", a.totals[k], b.totals[k])
    for idx in a.classes:
        for col in ("nmalloc", "nfree"):
            expect(errors, f"{what}: class{idx} {col}", a.classes[idx][col], b.classes[idx][col])


def check_donation(errors, snaps):
    prev = snaps["s2"]
    for r in range(DONATION_ROUNDS):
        for c in (1, 2, 3):
            cur = snaps[f"off{r}.{c}"]
            what = f"round {r} cpu{c} offline"
            same_totals(errors, what, prev, cur)
            # a CPU that died with nothing counted donates nothing (mstat_donate_dead_cpu())
            used = any(prev.cpu(c, col) for col in
                       ("nmalloc", "nfree", "alloc_bytes", "cached_bytes", "nrefill", "nflush"))
            expect(errors, f"{what}: cpu_donations", prev.totals["cpu_donations"] + used,
                   cur.totals["cpu_donations"])
            expect(errors, f"{what}: cpu{c} online", 0, cur.cpu(c, "online"))
            for col in ("nmalloc", "nfree", "alloc_bytes", "cached_bytes"):
                expect(errors, f"{what}: cpu{c} {col}", 0, cur.cpu(c, col))
            for col in ("nmalloc", "nfree", "alloc_bytes", "nrefill", "nflush"):
                expect(errors, f"{what}: cpu0 {col}", prev.cpu(0, col) + prev.cpu(c, col),
                       cur.cpu(0, col))
            prev = cur
        for c in (1, 2, 3):
            cur = snaps[f"on{r}.{c}"]
            what = f"round {r} cpu{c} online"
            same_totals(errors, what, prev, cur)
            expect(errors, f"{what}: cpu{c} online", 1, cur.cpu(c, "online"))
            expect(errors, f"{what}: cpu{c} nmalloc", 0, cur.cpu(c, "nmalloc"))
            prev = cur
    s3 = snaps["s3"]
    expect(errors, "after freeing all: live_objects back to the start",
           snaps["s0"].totals["live_objects"], s3.totals["live_objects"])
    expect(errors, "after freeing all: alloc_bytes back to the start",
           snaps["s0"].totals["alloc_bytes"], s3.totals["alloc_bytes"])


def check_stress(errors, snaps, lines):
    s3, s4, s5 = snaps["s3"], snaps["s4"], snaps["s5"]
    e2e = dict(line.split() for line in block(lines, "@@E2E") if len(line.split()) == 2)
    if s4.totals["live_objects"] <= s3.totals["live_objects"]:
        errors.append("no objects live while the load ran: was it running?")
    for k in ("live_objects", "alloc_bytes"):
        expect(errors, f"{k} back at the baseline", s3.totals[k], s5.totals[k])
    expect(errors, "nmalloc delta == nfree delta",
           s5.totals["nmalloc"] - snaps["s3"].totals["nmalloc"],
           s5.totals["nfree"] - snaps["s3"].totals["nfree"])
    # one per death of a CPU that had counted anything: nearly every one
    donations = s5.totals["cpu_donations"] - s3.totals["cpu_donations"]
    if not 0 < donations <= HOTPLUG_CYCLES:
        errors.append(f"cpu_donations during the run: {donations}, expected 1 to "
                      f"{HOTPLUG_CYCLES}")
    expect(errors, "objects with wrong contents", "0", e2e.get("bad_contents"))
    if int(e2e.get("stress_nalloc", 0)) < 1000:
        errors.append(f"stress allocated only {e2e.get('stress_nalloc')} objects")
    expect(errors, "stress frees == allocations", e2e.get("stress_nalloc"),
           e2e.get("stress_nfree"))
    print(f"      stress: {e2e.get('stress_nalloc')} allocations and frees across "
          f"{HOTPLUG_CYCLES} offline/online cycles")


REPORT = re.compile(r"WARNING:|BUG:|Oops|Kernel panic|general protection|"
                    r"blocked for more than|lockdep|possible circular|Call Trace")


def check_unload(errors, lines):
    d1, d2 = block(lines, "@@DMESG1"), block(lines, "@@DMESG2")
    if any("live objects" in line for line in d1):
        errors.append("clean unload reported live objects")
    # ten 100-byte objects fill part of one order-0 span; each 50000-byte
    # object is 13 pages: 40 pages stay allocated, as the client may hold them
    pages = 1 + 3 * -(-50000 // 4096)
    want = f"unloading with 13 live objects (10 small, 3 large); leaving their {pages} pages allocated"
    if not any(want in line for line in d2):
        errors.append(f"leaky unload: expected '{want}' in the log, read "
                      f"{[line for line in d2 if 'mstat' in line]}")
    if "@@ALIVE" not in lines:
        errors.append("the VM did not survive the unload")


def check_consistency(errors, lines, snaps, phase):
    """One mstat_check phase: every read satisfied the five invariants."""
    out = [line for line in lines if line.startswith("mstat_check: ")]
    results = [line for line in out if line.startswith("mstat_check: reads ")]
    idx = 0 if phase == "churn" else 1
    if len(results) <= idx:
        errors.append(f"no mstat_check result for the {phase} phase")
        return
    m = re.match(r"mstat_check: reads (\d+) violations (\d+) in (\S+) s", results[idx])
    reads, violations = int(m.group(1)), int(m.group(2))
    # the time shows the margin: mstat_check stops at 15 times its -t
    print(f"      {phase}: {reads} reads of /proc/mstat in {m.group(3)} s, "
          f"{violations} violations")
    expect(errors, f"{phase}: invariant violations", 0, violations)
    if reads < CHECK_READS:
        errors.append(f"{phase}: expected at least {CHECK_READS} reads, made {reads}")
    errors.extend(line for line in out if "violations" not in line)
    rc = [line for line in lines if line.startswith(f"@@CHECK {phase} ")]
    expect(errors, f"{phase}: mstat_check exit", [f"@@CHECK {phase} rc=0"], rc)
    if phase == "hotplug":
        cycles = [line for line in lines if line.startswith("@@HOTPLUG_CYCLES ")]
        if not cycles or int(cycles[0].split()[1]) < 10:
            errors.append(f"hotplug phase: too few offline/online cycles: {cycles}")
        else:
            print(f"      hotplug: {cycles[0].split()[1]} offline/online cycles meanwhile")
        s3, s6 = snaps["s3"], snaps["s6"]
        for k in ("live_objects", "alloc_bytes"):
            expect(errors, f"after the load: {k} back at the baseline", s3.totals[k],
                   s6.totals[k])


def check_kernel_log(errors, lines):
    for line in block(lines, "@@DMESG1") + block(lines, "@@DMESG2"):
        if REPORT.search(line):
            errors.append(f"kernel log: {line}")


def check_proc(errors, lines, snaps):
    mode = [line.split()[1] for line in lines if line.startswith("@@MODE ")]
    expect(errors, "/proc/mstat mode (root only by default)", ["400"], mode)
    for name, s in snaps.items():
        for p in s.problems:
            errors.append(f"read {name}: {p}")
        expect(errors, f"read {name}: cpu rows", NCPUS, len(s.cpus))


# ---------------------------------------------------------------- mistakes

MISTAKES = ("repro", "double_cross", "double_pool", "double_large", "interior",
            "write_after_free")
# What each kind of report says (mstat_report.c), and how often the mistakes
# above must produce it: once as a WARNING, then rate-limited lines.
MISTAKE_REPORTS = {
    "double free: the object is already free": ("double_frees", 3),
    "not an object mstat allocated": ("bad_pointers", 3),
}


def check_mistakes_refused(errors, snaps, lines):
    m0, m1, m2 = snaps["m0"], snaps["m1"], snaps["m2"]
    e2e = dict(line.split() for line in block(lines, "@@E2E") if len(line.split()) == 2)
    expect(errors, "mistakes made", str(len(MISTAKES)), e2e.get("mistakes_run"))
    # repro, double_pool, write_after_free: the next two allocations distinct
    expect(errors, "allocations after a mistake that were distinct", "3",
           e2e.get("mistakes_distinct"))
    for field, n in MISTAKE_REPORTS.values():
        expect(errors, f"{field} delta", n, m1.totals[field] - m0.totals[field])
    # every refused free left the counters alone; a write after free is not
    # mstat's business outside debug mode (it never reads a free object)
    expect(errors, "live_objects delta", 0, m1.totals["live_objects"] - m0.totals["live_objects"])
    expect(errors, "write_after_free delta", 0,
           m1.totals["write_after_free"] - m0.totals["write_after_free"])
    expect(errors, "nmalloc - nfree", m2.totals["live_objects"],
           m2.totals["nmalloc"] - m2.totals["nfree"])
    for name, snap in (("m1", m1), ("m2", m2)):
        for idx, row in snap.classes.items():
            if row["nfree"] > row["nmalloc"]:
                errors.append(f"{name}: class{idx} nfree {row['nfree']} > nmalloc {row['nmalloc']}")


def check_mistakes_after(errors, snaps, lines):
    m1, m2 = snaps["m1"], snaps["m2"]
    e2e = dict(line.split() for line in block(lines, "@@E2E") if len(line.split()) == 2)
    expect(errors, "objects with wrong contents", "0", e2e.get("bad_contents"))
    expect(errors, "live objects after the allocator's own work",
           m1.totals["live_objects"], m2.totals["live_objects"])
    for field, _ in MISTAKE_REPORTS.values():
        expect(errors, f"{field} unchanged by correct use", m1.totals[field], m2.totals[field])
    rc = [line for line in lines if line.startswith("@@CHECK mistakes ")]
    expect(errors, "mstat_check under load after the mistakes", ["@@CHECK mistakes rc=0"], rc)
    expect(errors, "stress frees == allocations", e2e.get("stress_nalloc"),
           e2e.get("stress_nfree"))


def check_world_readable(errors, lines):
    mode = [line.split()[1] for line in lines if line.startswith("@@MODE ")]
    expect(errors, "/proc/mstat mode with world_readable=1", ["444"], mode)


def check_mistakes_log(errors, lines):
    log = block(lines, "@@DMESG1")
    warnings = [line for line in log if "WARNING:" in line]
    expect(errors, "WARNINGs (one per kind of mistake)", len(MISTAKE_REPORTS), len(warnings))
    for line in warnings:
        if "mstat_report" not in line:
            errors.append(f"a WARNING not from mstat_report: {line}")
    for text, (field, n) in MISTAKE_REPORTS.items():
        expect(errors, f"reports '{text}'", n, sum(text in line for line in log))
    for line in log:
        if REPORT.search(line) and "WARNING:" not in line and "Call Trace" not in line:
            errors.append(f"kernel log: {line}")
    # nothing was withdrawn: the unload is clean
    if any("unloading with" in line for line in log):
        errors.append(f"unload: {[x for x in log if 'unloading' in x]}")
    if "@@ALIVE" not in lines:
        errors.append("the VM did not survive the unload")


# ---------------------------------------------------------------- reclaim

BURST = [(64, 256), (512, 256), (4000, 256), (20000, 256), (100000, 64)]
FRAG_TRIES = 64
HELD_MAX = 256 * 1024


def held(snap):
    return snap.totals["sys_bytes"] - snap.totals["alloc_bytes"]


def check_reclaim(errors, snaps, lines, phase):
    r0 = snaps["r0"]
    before, after = (snaps["r1"], snaps["r2"]) if phase == "pressure" else \
        (snaps["r3"], snaps["r4"])
    e2e = dict(line.split() for line in block(lines, "@@E2E") if len(line.split()) == 2)
    print(f"      {phase}: held {held(before) // 1024} KiB after the burst, "
          f"{held(after) // 1024} KiB after (before the burst: {held(r0) // 1024} KiB)")
    if held(before) <= held(r0) + HELD_MAX:
        errors.append(f"{phase}: the burst left only {held(before)} bytes held: was it run?")
    if held(after) > held(r0) + HELD_MAX:
        errors.append(f"{phase}: {held(after) - held(r0)} bytes still held, at most {HELD_MAX}")
    expect(errors, f"{phase}: cached_bytes", 0, after.totals["cached_bytes"])
    if after.totals["nreclaim"] <= before.totals["nreclaim"]:
        errors.append(f"{phase}: nreclaim did not grow")
    for k in ("nmalloc", "nfree", "live_objects", "alloc_bytes"):
        expect(errors, f"{phase}: {k} unchanged by reclaim", before.totals[k], after.totals[k])
    if phase == "pressure":
        print(f"      pressure: {e2e.get('pressure_pages')} pages taken")
        if int(e2e.get("pressure_pages", 0)) < 1000:
            errors.append(f"pressure: only {e2e.get('pressure_pages')} pages taken")


def check_frag(errors, lines):
    e2e = dict(line.split() for line in block(lines, "@@E2E") if len(line.split()) == 2)
    m, k = int(e2e.get("frag_mstat_ok", -1)), int(e2e.get("frag_kmalloc_ok", -1))
    print(f"      GFP_ATOMIC 24 KiB in fragmented memory: mstat {m}/{FRAG_TRIES}, "
          f"kmalloc {k}/{FRAG_TRIES}")
    if m < 0 or k < 0:
        errors.append("no fragmentation result")
    elif m < k:
        errors.append(f"mstat served {m} GFP_ATOMIC 24 KiB allocations, kmalloc {k}")
    for line in block(lines, "@@DMESG1"):
        if "page allocation failure" in line:
            errors.append(f"kernel log: {line}")


HOTADD_MB = 512
HOTADD_LARGE = 5000		# 100000-byte objects, 25 pages each: more than was free
HOTADD_SMALL = 20000		# 2000-byte objects


def check_hotadd(errors, snaps, lines, qmp_error):
    if qmp_error:
        errors.append(f"QMP: {qmp_error}")
    blocks = [line.split()[1:] for line in lines if line.startswith("@@BLOCKS ")]
    if not blocks or int(blocks[0][1]) <= int(blocks[0][0]):
        errors.append(f"no memory block appeared: {blocks}")
        return
    print(f"      memory blocks: {blocks[0][0]} at boot, {blocks[0][1]} after the hot-add, "
          f"{blocks[0][2]} online")
    log = block(lines, "@@DMESG1")
    tracked = [re.search(r"tracking page frames (\d+)-(\d+)", x) for x in log]
    tracked = [m for m in tracked if m]
    if not tracked:
        errors.append("mstat did not take the new memory on")
        return
    e2e = dict(x.split() for x in block(lines, "@@E2E") if len(x.split()) == 2)
    e2e2 = dict(x.split() for x in block(lines, "@@E2E2") if len(x.split()) == 2)
    first = min(int(m.group(1)) for m in tracked)
    top = int(e2e.get("max_pfn", 0))
    print(f"      new page frames from {first}; highest page frame of an object {top}")
    if top < first:
        errors.append(f"no object in the hot-added memory (highest pfn {top} < {first})")
    h0, h1, h2 = snaps["h0"], snaps["h1"], snaps["h2"]
    expect(errors, "nmalloc delta", HOTADD_LARGE + HOTADD_SMALL,
           h1.totals["nmalloc"] - h0.totals["nmalloc"])
    expect(errors, "live objects back", h0.totals["live_objects"], h2.totals["live_objects"])
    expect(errors, "objects with wrong contents", "0", e2e2.get("bad_contents"))
    for x in log:
        if "beyond the memory mstat tracks" in x:
            errors.append(f"kernel log: {x}")



# ---------------------------------------------------------------- NUMA

# Two nodes (CPUs 0-1, 2-3), Debian's 6.12.  The measure: CPU 0
# allocates NUMA_N objects, CPU 2 frees them all and allocates NUMA_N again.
NUMA_SIZES = (64, 512, 4096)
NUMA_N = 2048
NUMA_NODE_N, NUMA_NODE_SIZE = 200, 700	# mstat_alloc_node(), from each CPU to each node
NUMA_READS = 300			# /proc/mstat_nodes reads under churn and hotplug
NUMA_HOTADD_MB = 512			# hot-added to node 1
NUMA_HOTADD_N = 5000			# 100000-byte objects on node 1: more than it had


def node_objs(lines, tag):
    """The client's count of queued objects per node, in block @@tag."""
    for x in block(lines, "@@" + tag):
        if x.startswith("node_objs "):
            return [int(v) for v in x.split()[1:]]
    return None


def parse_nodes(text):
    """One read of /proc/mstat_nodes: (summary dict, {node: row dict})."""
    summary, rows, legend = {}, {}, None
    for x in text:
        f = x.split()
        if len(f) == 2 and not f[0].isdigit():
            summary[f[0]] = int(f[1])
        elif f and f[0] == "node":
            legend = f[1:]
        elif legend and f and f[0].isdigit() and len(f) == len(legend) + 1:
            rows[int(f[0])] = dict(zip(legend, map(int, f[1:])))
    return summary, rows


def check_numa_home(errors, lines):
    online = [x.split()[1] for x in lines if x.startswith("@@NODES_ONLINE ")]
    expect(errors, "online nodes", ["0-1"], online)
    for size in NUMA_SIZES:
        before, after = node_objs(lines, f"N0_{size}"), node_objs(lines, f"N1_{size}")
        k = dict(x.split() for x in block(lines, f"@@K_{size}") if len(x.split()) == 2)
        kmalloc = int(k.get("kchurn_local", -1)) if k.get("kchurn_size") == str(size) else -1
        print(f"      {size} B: node 0's CPU got {before} by node; node 1's CPU, after freeing "
              f"them, got {after[1] if after else '?'} of {NUMA_N} on its node (kmalloc, the "
              f"same churn: {kmalloc})")
        expect(errors, f"{size} B allocated on node 0", NUMA_N, before and before[0])
        expect(errors, f"{size} B allocated on node 1 after node 1 freed node 0's", NUMA_N,
               after and after[1])
        if kmalloc < 0 or (after and after[1] < kmalloc):
            errors.append(f"{size} B: node 1's share {after and after[1]} below kmalloc's "
                          f"{kmalloc}")
    _, rows = parse_nodes(block(lines, "@@NODES_REST"))
    want = NUMA_N * len(NUMA_SIZES) + 2 * NUMA_NODE_N * 2
    got = rows.get(0, {}).get("remote_frees", 0)
    if got < want:
        errors.append(f"node 0's remote_frees {got} < the {want} objects freed on node 1")


def check_numa_alloc_node(errors, lines):
    for cpu in range(NCPUS):
        for node in (0, 1):
            got = node_objs(lines, f"NA_{cpu}_{node}")
            expect(errors, f"mstat_alloc_node(.., {node}) on CPU {cpu}: objects on the node",
                   NUMA_NODE_N, got and got[node])


def check_numa_table(errors, lines):
    reads = bad = 0
    inside, cur = False, []
    for x in lines:
        if x == "@@NODES":
            inside, cur = True, []
        elif x == "@@END" and inside:
            inside = False
            reads += 1
            summary, rows = parse_nodes(cur)
            refills = sum(r["refill_local"] + r["refill_remote"] for r in rows.values())
            if sorted(rows) != [0, 1] or refills != summary.get("refill_objs"):
                bad += 1
                if bad <= 3:
                    errors.append(f"read {reads}: node refills {refills} != refill_objs "
                                  f"{summary.get('refill_objs')} (rows {sorted(rows)})")
        elif inside:
            cur.append(x)
    print(f"      {reads} reads of /proc/mstat_nodes under churn and hotplug, {bad} that "
          f"do not sum")
    expect(errors, "reads of /proc/mstat_nodes", NUMA_READS, reads)
    summary, rows = parse_nodes(block(lines, "@@NODES_REST"))
    pages = sum(r["pages"] for r in rows.values())
    expect(errors, "node pages at rest, summed", summary.get("span_pages"), pages)


def check_numa_hotadd(errors, lines, qmp_error):
    if qmp_error:
        errors.append(f"QMP: {qmp_error}")
    log = block(lines, "@@DMESG1")
    tracked = [m for m in (re.search(r"tracking page frames (\d+)-(\d+)", x) for x in log) if m]
    if not tracked:
        errors.append("mstat did not take the new memory on")
        return
    first = min(int(m.group(1)) for m in tracked)
    e2e = dict(x.split() for x in block(lines, "@@NH") if len(x.split()) == 2)
    got = node_objs(lines, "NH")
    top = int(e2e.get("max_pfn", 0))
    print(f"      hot-added page frames from {first}; highest object's {top}; by node {got}")
    expect(errors, "objects asked of node 1, on node 1", NUMA_HOTADD_N, got and got[1])
    if top < first:
        errors.append(f"no object in the memory hot-added to node 1 ({top} < {first})")

# ---------------------------------------------------------------- DKMS

# What the DKMS boot allocates (CPU, count, size), then frees on CPU 2.
DKMS_ALLOCS = ((0, 10, 100), (1, 5, 5000), (3, 2, 70000))


def check_dkms(errors, lines, snaps, version, path):
    """The module modprobe loaded is DKMS's, of dkms.conf's version, and it counts."""
    if "/updates/dkms/" not in path:
        errors.append(f"DKMS installed mstat.ko at {path!r}, not under updates/dkms")
    got = [line.split()[1] for line in lines if line.startswith("@@DKMS_VERSION ")]
    expect(errors, "version of the module modprobe loaded", [version], got)
    d0, d1, d2 = snaps["d0"], snaps["d1"], snaps["d2"]
    n = sum(c for _, c, _ in DKMS_ALLOCS)
    expect(errors, "nmalloc delta", n, d1.totals["nmalloc"] - d0.totals["nmalloc"])
    expect(errors, "nfree delta after freeing all", n, d2.totals["nfree"] - d0.totals["nfree"])
    expect(errors, "live_objects back", d0.totals["live_objects"], d2.totals["live_objects"])


# ---------------------------------------------------------------- tracepoints

# What the tracepoint boot allocates (CPU, count, size), then frees on CPU 2;
# then CPUs 3 and 2 go offline, in that order, and donate to CPU 0.
TRACE_ALLOCS = ((0, 10, 100), (1, 5, 5000), (3, 2, 70000), (3, 6, 300))
TRACE_DEAD = (3, 2)
TRACE_LINE = re.compile(r"\[(\d+)\].*?\s(mstat_\w+): (.*)$")


def trace_events(lines):
    """(cpu, event, {field: value}) of each mstat event in the trace dump."""
    out = []
    for line in block(lines, "@@TRACE"):
        m = TRACE_LINE.search(line)
        if m:
            fields = dict(kv.split("=", 1) for kv in m.group(3).split() if "=" in kv)
            out.append((int(m.group(1)), m.group(2), fields))
    return out


def check_trace(errors, lines, snaps):
    """The events match the workload exactly: counts, sizes, CPUs, pointers,
    bytes, and the donations' CPUs and bytes."""
    ev = trace_events(lines)
    allocs = [(c, f) for c, e, f in ev if e == "mstat_alloc"]
    frees = [(c, f) for c, e, f in ev if e == "mstat_free"]
    donates = [f for _, e, f in ev if e == "mstat_cpu_donate"]
    others = sorted({e for _, e, _ in ev} - {"mstat_alloc", "mstat_free", "mstat_cpu_donate"})
    expect(errors, "other mstat events", [], others)
    want = sorted((c, size) for c, n, size in TRACE_ALLOCS for _ in range(n))
    expect(errors, "mstat_alloc events (cpu, bytes_req)", want,
           sorted((c, int(f["bytes_req"])) for c, f in allocs))
    t0, t1 = snaps["t0"], snaps["t1"]
    expect(errors, "sum of bytes_alloc", t1.totals["total_alloc_bytes"] - t0.totals["total_alloc_bytes"],
           sum(int(f["bytes_alloc"]) for _, f in allocs))
    expect(errors, "mstat_free events on CPU 2", [2] * len(want), [c for c, _ in frees])
    ptrs = [f["ptr"] for _, f in allocs]
    if len(set(ptrs)) != len(ptrs) or not all(re.fullmatch(r"[0-9a-f]{16}", p) for p in ptrs):
        errors.append(f"allocated pointers not distinct raw addresses: {ptrs[:3]}...")
    expect(errors, "freed pointers are the allocated ones",
           sorted(f["ptr"] for _, f in allocs), sorted(f["ptr"] for _, f in frees))
    got = [(int(f["dead"]), int(f["recipient"]), int(f["bytes"])) for f in donates]
    # each dead CPU's cached bytes, read just before it went
    before = {3: snaps["t2"], 2: snaps["t3"]}
    expect(errors, "mstat_cpu_donate events (dead, recipient, bytes)",
           [(d, 0, before[d].cpu(d, "cached_bytes")) for d in TRACE_DEAD], got)
    if got and not any(b for _, _, b in got):
        errors.append("the donations moved no cached bytes: the check proves little")


# ---------------------------------------------------------------- the viewer

def check_viewer(errors, lines, snaps):
    """mstat --json at rest agrees with the read before it; mstat -d 1 under
    load gives a read a second, with allocation rates from the second on."""
    import json
    view = json.loads("".join(block(lines, "@@VIEW")))
    s2 = snaps["s2"]
    for name in ("nmalloc", "nfree", "live_objects", "alloc_bytes", "total_alloc_bytes"):
        expect(errors, f"viewer {name}", s2.totals[name], view["summary"][name])
    for row in view["class"]:
        for col in ("nmalloc", "nfree"):
            expect(errors, f"viewer class{row['class']} {col}",
                   s2.classes[row["class"]][col], row[col])
    for row in view["cpu"]:
        expect(errors, f"viewer cpu{row['cpu']} nmalloc", s2.cpus[row["cpu"]]["nmalloc"],
               row["nmalloc"])
    reads = [json.loads(x) for x in block(lines, "@@VIEWD") if x.startswith("{")]
    if len(reads) < 2:
        errors.append(f"mstat -d 1 under load: {len(reads)} reads in 3 s")
    elif not reads[1]["per_second"]["nmalloc"] > 0:
        errors.append(f"mstat -d 1 under load: no allocation rate: {reads[1]['per_second']}")


# ---------------------------------------------------------------- sites

# (site, cpu, count, size): from the three E2E_SITE lines of tests/mstat_e2e.c
SITE_ALLOCS = ((1, 1, 40, 100), (2, 2, 25, 3000), (3, 3, 7, 50000))
SITE_FREES = ((0, 30), (3, 20), (2, 3))		# the oldest first, on other CPUs
SITE_RELOAD = (2, 0, 5, 3000)			# after the reload, from site 2 again
SITE_LEGEND = "# live_bytes live_objects nmalloc nfree file:line module function"


def site_lines(source):
    """The line of each E2E_SITE<n> marker in the client's source."""
    lines = {}
    with open(source) as f:
        for no, text in enumerate(f, 1):
            m = re.search(r"E2E_SITE(\d)", text)
            if m:
                lines[int(m.group(1))] = no
    return lines


def site_rows(lines, name):
    """The rows of one /proc/mstat_sites read: [(live_bytes, live, nmalloc, nfree, where, mod, fn)]."""
    text = block(lines, f"@@SITES{name}")
    if text[:2] != ["mstat_sites version 1", SITE_LEGEND]:
        raise ValueError(f"read {name}: header {text[:2]!r}")
    rows = []
    for line in text[2:]:
        w = line.split()
        rows.append((int(w[0]), int(w[1]), int(w[2]), int(w[3]), w[4], w[5], w[6]))
    return rows


def site_row(rows, line):
    found = [r for r in rows if r[4].endswith(f"mstat_e2e.c:{line}")]
    return found[0][:4] + found[0][5:] if found else None


def check_sites(errors, lines, source):
    at = site_lines(source)
    mode = [line.split()[1] for line in lines if line.startswith("@@SMODE ")]
    expect(errors, "/proc/mstat_sites mode", ["400"], mode)
    size = {1: 104, 2: 3072, 3: 13 * 4096}	# the class sizes, and 13 pages
    fn = "e2e_site_alloc"
    n = {s: c for s, _, c, _ in SITE_ALLOCS}
    freed = {1: 40, 2: 13, 3: 0}
    want = {
        "1": {s: (n[s] * size[s], n[s], n[s], 0, "mstat_e2e", fn) for s in n},
        "2": {s: ((n[s] - freed[s]) * size[s], n[s] - freed[s], n[s], freed[s], "mstat_e2e", fn)
              for s in n},
    }
    want["3"] = want["2"]				# the churn left them alone
    want["4"] = {1: None, 2: want["2"][2], 3: want["2"][3]}	# unloaded with 19 live
    want["5"] = {**want["4"], 2: (17 * 3072, 17, 30, 13, "mstat_e2e", fn)}
    want["6"] = {**want["4"], 2: (12 * 3072, 12, 30, 18, "mstat_e2e", fn)}
    for name in ("0", "1", "2", "3", "4", "5", "6"):
        rows = site_rows(lines, name)
        for r in rows:
            if r[3] > r[2] or r[1] != r[2] - r[3]:
                errors.append(f"read {name}: inconsistent row {r}")
        if [r[0] for r in rows] != sorted((r[0] for r in rows), reverse=True):
            errors.append(f"read {name}: rows not sorted by live_bytes")
        for s in (1, 2, 3):
            expect(errors, f"read {name}: site {s} (line {at[s]})",
                   want.get(name, {}).get(s), site_row(rows, at[s]))
        if name == "4":
            others = [r for r in rows if r[5] == "mstat_e2e" and
                      not any(r[4].endswith(f"mstat_e2e.c:{at[s]}") for s in (2, 3))]
            expect(errors, "after the unload: only the rows with live objects", [], others)
    print(f"      sites: rows exact in 7 reads; site 3 is {site_row(site_rows(lines, '2'), at[3])}")
    out = [line for line in lines if line.startswith("mstat_check: reads ")]
    m = re.match(r"mstat_check: reads (\d+) violations (\d+) in (\S+) s", out[0]) if out else None
    if not m:
        errors.append("no mstat_check -s result")
        return
    print(f"      sites: {m.group(1)} reads of /proc/mstat_sites under churn and hotplug "
          f"in {m.group(3)} s, {m.group(2)} violations")
    expect(errors, "site rows: violations", 0, int(m.group(2)))
    if int(m.group(1)) < CHECK_READS:
        errors.append(f"sites: expected at least {CHECK_READS} reads, made {m.group(1)}")
    errors.extend(line for line in lines if line.startswith("mstat_check: read "))
    expect(errors, "mstat_check -s exit", ["@@CHECK sites rc=0"],
           [line for line in lines if line.startswith("@@CHECK sites ")])


DROPIN_DONE = re.compile(r"mstat_dropin: (\d+) checks, (\d+) failed")


# the head of bench/traces/fs.trace.xz the sites scenario replays
REPLAY_EVENTS = 40000


def check_replay(errors, lines):
    """bench/mstat_replay.c on the trace's head: after its untimed play (one
    thread) and its timed play (a thread per CPU, frees crossing CPUs),
    mstat's sites and summary moved by exactly the trace's allocations,
    frees and live objects, and by the usable bytes of the objects left
    live ("exact=1")."""
    rows = {m.group(1): line for line in block(lines, "@@DMESG1")
            for m in [re.search(r"BENCH replay_stats .*play=(\w+)", line)] if m}
    for play in ("memory", "timed"):
        if play not in rows:
            errors.append(f"replay: no statistics line after the {play} play")
        elif " exact=1 " not in rows[play]:
            errors.append(f"replay: after the {play} play: {rows[play].split('BENCH ')[1]}")
    if not any("BENCH done mode=replay" in x and "ret=0" in x for x in block(lines, "@@DMESG1")):
        errors.append("replay: did not finish (no \"BENCH done mode=replay ... ret=0\")")


def check_dropin(errors, lines):
    """The drop-in client's own checks passed, its caches are gone, nothing leaked."""
    dmesg = block(lines, "@@DMESG1")
    done = [DROPIN_DONE.search(line) for line in dmesg]
    done = [m for m in done if m]
    if not done:
        errors.append("mstat_dropin did not report its checks")
    elif int(done[0].group(1)) < 30 or int(done[0].group(2)):
        errors.append(f"mstat_dropin: {done[0].group(0)}")
    errors.extend(line for line in dmesg if "mstat_dropin: FAIL" in line)
    # destroyed with nothing live: no row left, no leak at unload
    errors.extend(f"cache left: {line}" for line in block(lines, "@@CACHES")
                  if line.startswith("dropin"))
    errors.extend(line for line in dmesg if "live objects" in line or "leaked" in line)


# ---------------------------------------------------------------- foreign code
# minix and objagg/test_objagg from linux-source-6.12, built with
# "-include mstat_slab.h" and nothing else changed (scripts/vm.py FOREIGN).

FOREIGN_WRITERS = 4
FOREIGN_FILES = 60
FOREIGN_MODULES = ("minix", "objagg", "test_objagg")
FOREIGN_TEST_RUNS = 20	# test_objagg's suite, loaded this many times under CPU hotplug
# what a module calling the slab API itself would import (kmem_cache_*
# stay: the drop-in's fallback if mstat_cache_create() fails, checked live)
SLAB_IMPORT = re.compile(r"^(__)?(kmalloc|kzalloc|kcalloc|kfree|kvfree|kvmalloc|kvzalloc|"
                         r"krealloc|kvrealloc|kmemdup|kstrdup|kstrndup|ksize|kfree_sensitive|"
                         r"kvfree_call_rcu|kmalloc_trace|kmalloc_large|kmalloc_node)")


def foreign_expected_files():
    kept = sum(1 for i in range(FOREIGN_FILES) if i % 5 == 0 or i % 7 != 3)
    return FOREIGN_WRITERS * kept


def check_foreign_static(errors, undefined):
    """No module imports a slab call: its allocations can only be mstat's."""
    for mod, syms in sorted(undefined.items()):
        bad = [s for s in syms if SLAB_IMPORT.match(s)]
        if bad:
            errors.append(f"{mod}.ko imports {' '.join(bad)}")
        if "mstat_alloc_site" not in syms:
            errors.append(f"{mod}.ko does not call mstat_alloc_site")
    expect(errors, "modules built", sorted(FOREIGN_MODULES), sorted(undefined))


def caches_rows(lines, name):
    return {f[0]: f for f in (line.split() for line in block(lines, name))
            if f and not f[0].startswith(("#", "mstat_caches"))}


def check_foreign_fs(errors, lines):
    n = foreign_expected_files()
    hp = [line.split() for line in lines if line.startswith("@@HOTPLUG fs ")]
    if not hp or int(hp[0][2]) == 0:
        errors.append(f"no CPU went offline during the file workload: {hp}")
    files = [line.split()[1] for line in lines if line.startswith("@@FILES ")]
    expect(errors, "files written", [str(n)], files)
    verify = [line for line in lines if line.startswith("@@VERIFY ")]
    expect(errors, "read back after remount", [f"@@VERIFY rc=0 ok={n} found={n}"], verify)
    row = caches_rows(lines, "@@CACHES1").get("minix_inode_cache")
    if not row or int(row[5]) < n:
        errors.append(f"minix_inode_cache is not a typed cache of mstat's in use: {row}")


def check_foreign_lib(errors, lines):
    runs = [line.split() for line in lines if line.startswith("@@OBJAGG ")]
    expect(errors, "test_objagg runs", FOREIGN_TEST_RUNS, len(runs))
    errors.extend(f"test_objagg run {r[1]} failed: {r[2]}" for r in runs if r[2] != "rc=0")
    errors.extend(line for line in block(lines, "@@DMESG1") if "test_objagg:" in line)
    hp = [line.split() for line in lines if line.startswith("@@HOTPLUG objagg ")]
    if not hp or int(hp[0][2]) == 0:
        errors.append(f"no CPU went offline during test_objagg: {hp}")


def foreign_site_rows(lines, name, modules):
    """The rows of @modules in the /proc/mstat_sites read @name, split."""
    return [f for f in (line.split() for line in block(lines, name))
            if len(f) >= 6 and not f[0].startswith(("#", "mstat_sites")) and f[5] in modules]


def check_foreign_freed(errors, lines):
    """Each module's sites counted allocations; none is live after unload."""
    for name, mods in (("@@SITES1", ("minix",)), ("@@SITES3", ("objagg", "test_objagg"))):
        rows = foreign_site_rows(lines, name, mods)
        for mod in mods:
            if not sum(int(f[2]) for f in rows if f[5] == mod):
                errors.append(f"{mod}: no allocation counted on mstat ({name})")
    # test_objagg's last run, done: every object it and objagg allocated freed
    errors.extend(f"live after test_objagg's run: {' '.join(f)}"
                  for f in foreign_site_rows(lines, "@@SITES3", ("objagg", "test_objagg"))
                  if f[1] != "0" or f[2] != f[3])
    # a gone module's rows are printed while its objects live: none may be left
    errors.extend(f"live after unload: {' '.join(f)}"
                  for name in ("@@SITES2", "@@SITES4")
                  for f in foreign_site_rows(lines, name, FOREIGN_MODULES))
    if "minix_inode_cache" in caches_rows(lines, "@@CACHES2"):
        errors.append("minix_inode_cache left after rmmod minix")
    slab = block(lines, "@@SLABINFO")
    if not slab:
        errors.append("no /proc/slabinfo read")
    errors.extend(f"a SLUB cache of minix's: {line}" for line in slab if "minix" in line)
    errors.extend(line for line in block(lines, "@@DMESG1") if "leak" in line)

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make bench: mstat against kmalloc, side by side, in the same boots.

1. UML (native speed, one CPU), built without debugging options, three
   builds of mstat: the real per-CPU counters, counters compiled out, one
   global set of atomic64 counters.  Each boot runs bench/mstat_bench.c
   (mode=fast) for mstat, kmalloc and a dedicated kmem_cache.
2. QEMU (TCG) on Debian's 6.12 cloud kernel: the cost of a statistics read
   with -smp 1, 2, 4, 8, 16; throughput with -smp 2, every CPU allocating
   at once, for mstat, kmalloc and the global-atomics build, and with a
   reader reading as fast as it can.

3. Trace replay (bench/mstat_replay.c): every trace in bench/traces/ (or
   TRACE=<file> alone, and nothing else) played through mstat and kmalloc
   in one UML boot each, then with -smp 2 in QEMU; one line per trace,
   "bench: replay <name>: mstat/kmalloc R, held/live H, statistics exact".

The placement boots also run kmalloc against itself (kmalloc-aa, the A/A
row).  Writes BENCHMARKS.md and bench.png; the last two lines printed are
"bench: worst mstat/kmalloc ratio R at <pattern> <size>" over the sizes
mstat serves from its classes, then "bench: page-allocator sizes: worst R
at <pattern> <size>, kmalloc against itself up to A" above them.
"""
import glob
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_checks  # noqa: E402
import mstat_vm  # noqa: E402

ROOT, CACHE, log = mstat_vm.ROOT, mstat_vm.CACHE, mstat_vm.log
VARIANTS = ("percpu", "none", "atomic")	# the statistics builds
# Every build, with its make options: the three above, the real build
# without the double-free checks (MSTAT_HARDEN=none) and the real build with
# free counters written without release (MSTAT_ORDER=plain) and the real
# build without tracepoints (MSTAT_TRACE=none) and the real build without
# per-site statistics (MSTAT_SITES=none), to price them.
BUILDS = {"percpu": "MSTAT_STATS=", "none": "MSTAT_STATS=none",
          "atomic": "MSTAT_STATS=atomic", "nohard": "MSTAT_HARDEN=none",
          "plainfree": "MSTAT_ORDER=plain", "notrace": "MSTAT_TRACE=none",
          "nosites": "MSTAT_SITES=none"}
# The real build with its code placed further on in the kernel (bench/mstat_pad.c):
# the main UML table is the median over these and the real build (why: the
# report's note on placements).
LAYOUTS = {"percpu": 0, "percpu-p1": 656, "percpu-p2": 1328}
BUILDS.update({v: f"MSTAT_PAD={pad}" for v, pad in LAYOUTS.items() if pad})
HARDEN_ROUNDS = 3
TRACE_ROUNDS = 3
SCALE_ROUNDS = 3
PATTERNS = ("hot", "batch-fifo", "batch-lifo", "batch-random")
UML_REPS = 15
STATS_ROUNDS = 5
READ_CPUS = (1, 2, 4, 8, 16)
BENCH_LINE = re.compile(r"BENCH (.*)")
TRACES = os.path.join(ROOT, "bench", "traces")
REPLAY_REPS = 7		# UML rounds per boot
# UML boots per trace and placement: one boot's memory layout moves its
# mstat/kmalloc by up to a tenth (0.91-1.13 in eight boots of one kernel)
REPLAY_BOOTS = 5
QEMU_REPLAY_REPS = 3	# -smp 2 rounds per trace
WHY = """Where the time goes.

- Hot pair. In task context, mstat's fast path is a push or pop on a
  per-CPU array and one plain counter increment, with preemption off and
  interrupts left on: interrupt handlers use a second per-CPU cache, so
  they never see the task cache half-updated. kmalloc's fast path is
  SLUB's lockless per-CPU freelist, one double-word `this_cpu_cmpxchg` per
  operation, plus the size-to-cache lookup and the hooks every kmalloc
  passes. mstat_free() also checks the pointer (a bitmap bit found by
  arithmetic, the struct page's private against one value, one multiply
  for the index) and the object's state (already free?), and mstat_alloc()
  the state of the object it pops, where kfree() trusts the pointer; both
  read the struct page. In A/B builds the fast free's
  lookup went from a field-by-field decode and a reciprocal divide to the
  form above (-17%), and one static branch for debug mode and the
  tracepoints, a table for the size class and the site's key saying
  whether the fast path serves its class took 13.5% more off. The
  counters: every operation adds one to its key's counter (site and
  class) in the CPU's own chunk of counters. Against a build that counts
  nothing (`MSTAT_STATS=none`) that is about a tenth of the hot pair
  (statistics section above); with the first two chunks inside the cache
  itself, so that no chunk pointer is loaded, it measured the same (A/B,
  3 rounds): the cost is the read-modify-write of the counter, not the
  way to it.
- Batch patterns. Everything is freed each round (10,000 objects), so both
  allocators release slabs or spans and need them again in the next
  round. SLUB frees an empty slab's pages at once and gets them back hot
  from the per-CPU page lists; mstat must wait a grace period before its
  pages may go (a stale pointer may be looking at them), so a released
  span waits in its pool's limbo and the next refill that finds no
  partial span takes it back: no page allocator at all while the rounds
  follow each other. Before the
  limbo (pages freed by `call_rcu()`, every grow from the page allocator)
  256-512 B took 1.2-1.5x kmalloc's time; with it 0.8-0.9x (A/B, 3
  rounds). Keeping every empty span instead (no release at all) measured
  no better, and left memory held that the benchmark's memory figure
  counts. 16 KiB (order 5, 7 objects, falling back on order 3): batches
  of 8 objects instead of 4 took it from 1.3x to about 1.0x. The classes
  whose spans may fall back on a smaller order were left to the general
  allocation path (a cached object of a fallback span would have needed
  its page read for its state); now a fallback span's one object is never
  cached, and the fast path serves them: the 16 KiB hot pair went from
  6.4 to 3.8-5.0 ns (A/B builds). Asking the object's page on every fast
  allocation of those classes instead had measured 4.7 against 3.9 ns at
  4 KiB.
  At 4 KiB an order-3 span held 7 objects (the state vector takes the
  eighth slot), so a refill from an empty pool (a take that
  finds nothing, a grow, a take of those 7) came every 7 allocations: by
  a throwaway build timing the pool calls, that path and the flushes took
  about half of mstat's time per operation there, the fast paths the
  rest; order-4 spans of 15 objects took 4 KiB from 1.0-1.3x to
  0.8-0.95x with 64 KiB unchanged (A/B, 2 rounds, three A/Bs), where the
  2 KiB class, 15 objects at order 3 already, measured worse at order 4
  (0.8-0.9x to 1.0-1.1x).
  Before that: seeing the pool empty without its lock, and taking a span back
  from the limbo in one lock trip instead of two, took about 5% off at
  4 KiB (A/B, 3 rounds); taking it back inside the refill's own lock trip
  (no grow, no second trip) took 4 KiB from 1.3-1.5x to 1.1-1.2x kmalloc
  and 2 KiB from about 1.0x to 0.8x (A/B, 2 rounds), where reviving as
  many spans as the refill wants measured slower (1.4x at 4 KiB).
  Tried and dropped, each measured worse or no better: the state
  vector at the span's end rather than after the last object (against 4K
  aliasing of states and object starts); growing an empty pool by a
  batch's worth of spans at once (2-4 KiB and 16 KiB got slower); batches
  of 8 at 4 KiB; spans of two objects at
  order 3 (1.3-1.7x); span free lists kept as a bitmap in the struct page
  so that no object is touched (16 KiB got worse, 1.16-1.38x); handing the
  caller objects of a new span before publishing it (one pool-lock trip
  fewer: no measurable gain); the site's last key holding the size too,
  so that the fast allocation skips the size table (hot pair 2.5% slower).
  The pool's per-object work: a refill walks a span's list by its links
  and a flush writes a span's descriptor once per run of its objects,
  which took batch-fifo and batch-lifo at 8-64 B from 0.91-1.00x to
  0.76-0.82x (A/B, 3 rounds); batch-random's flushes seldom hold two
  objects of one span, and it gained only once a span's free list was
  headed by a link rather than a pointer (no address-to-index multiply at
  either end): 8 B 0.82-1.12x to 0.76-0.88x (A/B, 2 rounds).
  The copies' checks (DESIGN.md, "Hardening") are what the batch patterns
  lost since 68f22aa: in a profile of batch-fifo at 32 B (perf's cpu-clock
  sampling of the UML process, both allocators in one boot, kmalloc's
  three functions at 100), mstat's refill reads 19.5 and its flush 14.5,
  against 14.9 and 9.0 before the checks, and the read of a span's states
  when its count says all free 3.2 more; the one `cmpxchg` per object
  each way is 2.3 and 2.0 of that, the rest the refill's tests of a
  state (out, a link that decodes) and its read of a span back from the
  limbo. Finding the span's state vector from the object's address, not
  page_address() and a call per run of one span's objects, took
  batch-random at 8-128 B from 0.98-1.04x to 0.92-0.98x (A/B, 6 boots).
  Not reading a span back from the limbo took batch-fifo at 8-64 B 3-5%
  lower (A/B, 4 boots), but left a class unbalanced for good after two
  late writes on one span (only the first copy is met), and was dropped.
- Order of the allocators. Each repetition runs them in another of their
  six orders. In a fixed order mstat always ran right after kmem_cache,
  and found the page allocator as kmem_cache's frees had left it: at
  64 KiB batch-lifo read 1.10-1.18x that way, 0.96-1.02x rotated (same
  build, 3 rounds).
- Mixed workload. With random sizes and a random order of frees, the
  object kfree() gets is seldom in the CPU's current slab, so SLUB takes its
  slow path (`__slab_free()`: a cmpxchg on the slab's freelist, list moves
  under the node lock), which leads kfree() itself about 3 to 1 in a
  profile of this pattern. mstat's free pushes on the per-CPU stack,
  whichever span the object is in; spans are touched only when a batch is
  flushed.
- 16 KiB: kmalloc sends sizes above 8 KiB to the page allocator; mstat has
  classes up to 32 KiB.
- 64 KiB: both call the page allocator for every object, at order 4, which
  its per-CPU page lists do not keep (every call takes the zone lock).
  mstat asks for a plain block, kmalloc for a compound page, whose tail
  pages are set up at allocation and checked at free; on the hot pair
  mstat adds about 8 ns to a bare `alloc_pages()`/`__free_pages()` pair's
  time per operation, kmalloc about 12 (a throwaway build timing the bare
  calls beside them). In the batch patterns 640 MiB are live at once and
  the page allocator's own time, and the state the allocator before left
  it in, decide the cell: in one A/B a boot's batch-lifo time moved by 2x
  from round to round for both allocators, and the cell reads 0.91-1.03x
  from run to run. Which allocator ran just before matters most: in 4
  boots of 30 repetitions, mstat's batch-lifo and batch-random runs right
  after kmalloc's took 0.92x and 0.88x their median, right after
  kmem_cache's 1.03x (kmalloc's: 1.00x and 0.93x after mstat's, 1.01x and
  1.03x after kmem_cache's), and giving every allocator each predecessor
  equally often (30 repetitions instead of 15) did not bring the cell
  down: batch-lifo 1.02-1.08x with 15, 1.03-1.08x with 30, in boots that
  ran 64 KiB alone. The bitmap's two atomic operations per large object
  (set at allocation, taken at free) measured nothing: a build with plain
  operations instead (wrong on SMP) ran the hot pair at 34.4 against 34.5
  ns (A/B, 3 rounds). Nor would serving 64 KiB from mstat's own spans
  help: a throwaway build with classes up to 64 KiB (order-6 spans of
  three objects) ran the hot pair at 0.11x but the batch cells at
  0.88-1.04x (A/B, 3 rounds, 64 KiB alone). Without the batch's one-byte
  write per object (half of its time at this size) they read 0.59-0.61x,
  but only because kmalloc's batches ran 1.5-1.8x slower beside spans holding
  853 MiB of the 1 GiB boot (in one boot of three kmalloc's and
  kmem_cache's batches failed for memory); mstat's own batch times were no
  lower (43-72 ns against 40-74): one order-6 block per three objects costs
  what three order-4 blocks do. How level is level here: kmalloc against
  itself (a throwaway build whose "mstat" calls kmalloc, 6 boots, 64 KiB
  alone) read 0.96-1.04x per boot in batch-lifo and 0.90-1.08x in
  batch-random with this report's 15 repetitions; as the median of three
  boots, as this report takes it, 0.98-1.02x and 0.96-1.03x, above 1.0 in
  10 of the 20 ways to pick three of the six boots, in each pattern (and
  0.96-1.00x per boot in batch-fifo: mstat's place in the rotation favours
  it there by a few percent). Balancing which allocator runs right before
  does not take the order's effect away: with 18 repetitions, warmed up
  so that every allocator follows every other equally often, the same A/A
  read 0.86-0.94x per boot in batch-fifo and 0.96-1.08x in batch-lifo;
  without kmem_cache in the rotation, 0.97-1.04x and 0.97-1.16x. At this
  size a cell within about 5% of 1.0 does not tell the two allocators
  apart.
"""


def parse(lines):
    rows = []
    for line in lines:
        m = BENCH_LINE.search(line)
        if m and "=" in m.group(1):
            words = m.group(1).split()
            row = {"kind": " ".join(w for w in words if "=" not in w)}
            row.update(w.split("=", 1) for w in words if "=" in w)
            rows.append(row)
    return rows


# ------------------------------------------------------------------ UML

def uml_boot(linux, variant, *args, mode="fast"):
    out = subprocess.run(
        [linux, "mem=1G", "console=tty", f"mstat_bench.variant={variant}",
         f"mstat_bench.reps={UML_REPS}", "mstat_bench.poweroff=1",
         f"mstat_bench.mode={mode}", *args],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, errors="replace", timeout=1800)
    got = parse(out.stdout.splitlines())
    if not any(r.get("mode") == mode and r.get("ret") == "0" for r in got):
        print(out.stdout[-3000:])
        raise SystemExit(f"bench: the UML {variant} run did not finish")
    return got


def uml_build(builds):
    """The UML kernels of @builds ({variant: make options}): {variant: path}."""
    tree = mstat_vm.lib("mstat_kernel_source")
    mstat_vm.lib(f'mstat_overlay "{tree}"')
    build = mstat_vm.lib(f'mstat_build_dir "{tree}" build-uml-bench')
    linux = {}
    for v, opts in builds.items():
        log(f"UML: building the {v} variant (no debugging options)")
        res = subprocess.run(
            ["python3", "tools/testing/kunit/kunit.py", "build", f"--build_dir={build}",
             "--kunitconfig=drivers/mstat/bench/.kunitconfig",
             f"--make_options={opts}", f"--jobs={os.cpu_count()}"],
            cwd=tree, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if res.returncode:
            print(res.stdout[-3000:])
            raise SystemExit("bench: UML build failed")
        linux[v] = os.path.join(CACHE, f"uml-bench-{v}")
        shutil.copy(os.path.join(build, "linux"), linux[v])
    return linux


def uml_runs():
    """The full fast-path run of the real build, then STATS_ROUNDS rounds of
    hot-pattern boots of the three statistics builds in turn, for the
    statistics cost, then HARDEN_ROUNDS rounds of every pattern with and
    without the double-free checks and with plain free counters, and one in
    debug mode."""
    traces = replay_traces()
    linux = uml_build(BUILDS)
    rows = []
    for i, v in enumerate(LAYOUTS):
        log(f"UML: every pattern, the real build, placement {i + 1}/{len(LAYOUTS)}")
        for r in uml_boot(linux[v], "percpu", f"mstat_bench.hot_hold={i}",
                          "mstat_bench.aa=1"):
            r["round"] = f"L{i}"
            rows.append(r)
    rows += layouts_merged(rows)
    for i, v in enumerate(LAYOUTS):
        log(f"UML: typed caches, bulk and RCU frees, placement {i + 1}/{len(LAYOUTS)}")
        for r in uml_boot(linux[v], "api", mode="api"):
            r["round"] = f"A{i}"
            rows.append(r)
    for k in range(STATS_ROUNDS):
        for v in VARIANTS:
            log(f"UML: statistics round {k + 1}/{STATS_ROUNDS}, the {v} build")
            for r in uml_boot(linux[v], v, "mstat_bench.only_pattern=hot",
                              f"mstat_bench.hot_hold={k % len(LAYOUTS)}"):
                r["round"] = str(k)
                rows.append(r)
    for k in range(HARDEN_ROUNDS):
        for v in ("percpu", "nohard", "plainfree", "notrace", "nosites"):
            log(f"UML: hardening round {k + 1}/{HARDEN_ROUNDS}, the {v} build")
            for r in uml_boot(linux[v], v, f"mstat_bench.hot_hold={k % len(LAYOUTS)}"):
                r["round"] = f"h{k}"
                rows.append(r)
    rows += uml_replay([linux[v] for v in LAYOUTS], traces)
    log("UML: debug mode (mstat.debug=1)")
    for r in uml_boot(linux["percpu"], "debug", "mstat.debug=1"):
        r["round"] = "debug"
        rows.append(r)
    return rows


# ------------------------------------------------------------ trace replay

def replay_traces():
    """[(name, plain trace, cpio holding it)] to play: TRACE=<file> alone if
    set, else every bench/traces/*.trace.xz; each checked, unpacked into the
    cache."""
    paths = ([os.path.abspath(os.environ["TRACE"])] if os.environ.get("TRACE")
             else sorted(glob.glob(os.path.join(TRACES, "*.trace.xz"))))
    d = os.path.join(CACHE, "replay")
    os.makedirs(d, exist_ok=True)
    out = []
    for path in paths:
        name = re.sub(r"(\.trace)?(\.xz)?$", "", os.path.basename(path))
        plain = os.path.join(d, name + ".trace")
        if os.path.abspath(path) == plain:
            raise SystemExit(f"bench: {path} is where the traces are unpacked: copy it elsewhere")
        cat = ["xz", "-dc", path] if path.endswith(".xz") else ["cat", path]
        with open(plain, "w") as f:
            if subprocess.run(cat, stdout=f).returncode:
                raise SystemExit(f"bench: cannot read the trace {path}")
        res = subprocess.run(["python3", os.path.join(ROOT, "scripts", "trace_record.py"),
                              "--verify", plain], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        if res.returncode:
            print(res.stdout)
            raise SystemExit(f"bench: {path} is not a trace of format 1")
        subprocess.run(f"cd '{d}' && echo '{name}.trace' | cpio -o -H newc --quiet "
                       f"> '{name}.cpio'", shell=True, check=True)
        out.append((name, plain, os.path.join(d, name + ".cpio")))
    return out


def uml_replay(kernels, traces):
    """Each trace played in UML boots of its own, REPLAY_BOOTS per kernel of
    @kernels (the placements of the real build), one thread, reads unpaced."""
    rows = []
    for name, _, cpio in traces:
        for i, linux in enumerate(kernels):
            log(f"UML: replaying the trace {name}, placement {i + 1}/{len(kernels)}, "
                f"{REPLAY_BOOTS} boots")
            for j in range(REPLAY_BOOTS):
                out = subprocess.run(
                    [linux, "mem=1G", "console=tty", f"initrd={cpio}", "mstat_bench.mode=none",
                     f"mstat_replay.trace=/{name}.trace", f"mstat_replay.name={name}",
                     f"mstat_replay.reps={REPLAY_REPS}", "mstat_replay.poweroff=1",
                     "mstat.read_gap_us=0"],
                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                    text=True, errors="replace", timeout=3600)
                got = parse(out.stdout.splitlines())
                if not any(r.get("mode") == "replay" and r.get("ret") == "0" for r in got):
                    print(out.stdout[-3000:])
                    raise SystemExit(f"bench: the UML replay of {name} did not finish")
                # the memory figure and the first line from the first boot alone
                rows += [dict(r, where="uml", boot=f"{i}.{j}") for r in got
                         if r["kind"] in ("replay_round", "replay_stats") or i + j == 0]
    return rows


def qemu_replay(name, vmlinuz, mods, traces):
    """Each trace in a boot of its own (a destroyed typed cache's slot stays
    kept for its size), two threads on -smp 2 (recorded CPU c on thread
    c % 2)."""
    rows = []
    for n, plain, _ in traces:
        script = ["insmod /lib/mstat.ko read_gap_us=0",
                  f"insmod /lib/mstat_replay.ko trace=/bin/{os.path.basename(plain)} "
                  f"name={n} threads=2 reps={QEMU_REPLAY_REPS}", "rmmod mstat_replay",
                  "dmesg | grep BENCH"]
        initrd = mstat_vm.make_initramfs(name, {**mods, f"trace-{n}": plain}, "\n".join(script))
        log(f"QEMU: replaying the trace {n} with -smp 2")
        got = parse(mstat_vm.boot(vmlinuz, initrd, 1, None, 3600, smp=2, mem="2048"))
        if not any(r.get("mode") == "replay" and r.get("ret") == "0" for r in got):
            raise SystemExit(f"bench: the QEMU replay of {n} did not finish")
        rows += [dict(r, where="qemu") for r in got if r["kind"].startswith("replay")]
    return rows


def replay_results(rows):
    """{trace: (UML ratio, its range, QEMU -smp 2 ratio, mstat held/live,
    kmalloc held/live, statistics exact, the stats row)} from the replay rows."""
    res = {}
    for name in sorted({r["trace"] for r in rows if r["kind"] == "replay"}):
        def ratios(where):
            return [int(r["mstat_ps"]) / int(r["kmalloc_ps"]) for r in rows
                    if r["kind"] == "replay_round" and r["trace"] == name
                    and r["where"] == where and int(r["kmalloc_ps"])]

        def boot_medians(where):
            """Each boot's median round ratio: a boot's layout moves all its rounds."""
            by = {}
            for r in rows:
                if (r["kind"] == "replay_round" and r["trace"] == name and r["where"] == where
                        and int(r["kmalloc_ps"])):
                    by.setdefault(r.get("boot"), []).append(
                        int(r["mstat_ps"]) / int(r["kmalloc_ps"]))
            return [statistics.median(v) for v in by.values()]
        uml, qemu = boot_medians("uml"), ratios("qemu")
        mem = {r["alloc"]: int(r["held"]) / max(int(r["live"]), 1) for r in rows
               if r["kind"] == "replay_mem" and r["trace"] == name and r["where"] == "uml"}
        mrow = next((r for r in rows if r["kind"] == "replay_mem" and r["trace"] == name
                     and r["where"] == "uml" and r["alloc"] == "mstat"), {})
        st = [r for r in rows if r["kind"] == "replay_stats" and r["trace"] == name]
        # every play of mstat checked (the memory play and each round), in every boot
        boots = {(r["where"], r.get("boot")) for r in rows
                 if r["kind"] == "replay_round" and r["trace"] == name}
        checked = all(
            sum(1 for r in st if (r["where"], r.get("boot")) == b) ==
            1 + sum(1 for r in rows if r["kind"] == "replay_round"
                                        and r["trace"] == name and (r["where"], r.get("boot")) == b)
            for b in boots)
        nan = float("nan")
        res[name] = (statistics.median(uml) if uml else nan,
                     (min(uml), max(uml)) if uml else (nan, nan),
                     statistics.median(qemu) if qemu else nan,
                     mem.get("mstat", nan), mem.get("kmalloc", nan),
                     bool(boots) and checked and all(r["exact"] == "1" for r in st),
                     dict(next((r for r in rows if r["kind"] == "replay" and r["trace"] == name
                                and r["where"] == "uml"), {}), **{f"mem_{k}": v for k, v
                                                                  in mrow.items()}))
    return res


def replay_lines(res):
    return [f"bench: replay {n}: mstat/kmalloc {v[0]:.2f}, held/live {v[3]:.2f}, "
            f"statistics {'exact' if v[5] else 'MISMATCH'}" for n, v in res.items()]


def replay_section(rows, w):
    """The replay table; returns replay_results()."""
    res = replay_results(rows)
    w("## Trace replay (real kernel allocation traces)\n")
    w("Traces of kmalloc's and the kmem_caches' tracepoints (`bench/traces/README`: "
      "the format, and how each shipped one was made), played by "
      "`bench/mstat_replay.c` through mstat and through kmalloc in the same boot: "
      "the trace's caches as kmem_caches and, as many as mstat has room for "
      "(the typed column), most used first, as mstat typed caches (the others by "
      "size), each recorded call site at an mstat site of its own. UML: one thread in recorded order, "
      f"{REPLAY_REPS} rounds in each of {REPLAY_BOOTS} boots of each placement above "
      "(a boot's memory layout moves all its rounds, by up to a tenth), "
      "the allocator that goes first alternating; ratio is the median over the "
      "boots of each boot's median mstat/kmalloc, the boots' range in parentheses. "
      "QEMU (TCG), -smp 2: each recorded CPU's events on one of two "
      "threads, a free waiting for an allocation the other thread has not made "
      f"yet (the wait not counted), {QEMU_REPLAY_REPS} rounds: ratios only. Held/live: "
      "the peak of bytes held from the page allocator against the peak of usable "
      "bytes live in one untimed play (mstat's held: all its `sys_bytes`, the replay "
      "being its only user; kmalloc's: the growth of the node's slab counters, large "
      "kmallocs included, which older slabs of merged caches keep low), both peaks "
      "taken every 256 events. Statistics: after every play of "
      "mstat, its sites and `mstat_read_stats()` read back against the trace's own "
      "counts (allocations, frees, live objects) and the usable bytes of the objects "
      "left live, on both machines.\n")
    w("| trace | events | typed | mstat/kmalloc (UML) | mstat/kmalloc (-smp 2) | held/live mstat "
      "| held/live kmalloc | mstat: peak held, peak live, in CPU caches at peak held (KiB) "
      "| statistics |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|:-:|")
    for n, (r, rng, q, hm, hk, exact, info) in res.items():
        kib = "/".join(str(int(info.get(f"mem_{k}", 0)) // 1024) for k in ("held", "live", "cached"))
        w(f"| {n} | {int(info.get('events', 0)):,} | {info.get('typed', '?')} of "
          f"{info.get('caches', '?')} | {r:.2f} ({rng[0]:.2f}-{rng[1]:.2f}) "
          f"| {q:.2f} | {hm:.3f} | {hk:.3f} | {kib} | {'exact' if exact else '**MISMATCH**'} |")
    w("\nWhere mstat's extra bytes are: the spans of every class and typed cache the "
      "trace uses, each holding at least one span however few of its objects are "
      "live, and the CPU caches (the column above); SLUB's caches share slabs the "
      "rest of the kernel already holds (merged caches, partial slabs), whose growth "
      "alone is counted. With working sets as small as these traces' (the peak live "
      "column), that fixed part weighs; smaller spans for the large classes would "
      "trade the batch patterns' times for it.\n")
    return res


def layouts_merged(rows):
    """The main table's rows: per allocator, pattern and size the median
    over the placements of their medians, the least minimum and the
    greatest maximum; the other rows (memory, irqpair) of the first."""
    merged, groups = [], {}
    for r in rows:
        rnd = r.get("round", "")
        if not rnd.startswith("L"):
            continue
        if r["kind"] == "" and "pattern" in r:
            key = (r["alloc"], r["pattern"], r["size"])
            groups.setdefault(key, []).append(r)
        elif rnd == "L0":
            merged.append({k: v for k, v in r.items() if k != "round"})
    for got in groups.values():
        m = dict(got[0])
        del m["round"]
        m["median_ps"] = str(int(statistics.median(int(g["median_ps"]) for g in got)))
        m["min_ps"] = str(min(int(g["min_ps"]) for g in got))
        m["max_ps"] = str(max(int(g["max_ps"]) for g in got))
        merged.append(m)
    return merged


def normalized(rows, variant, pattern, size, rnd, alloc="mstat"):
    """@alloc's time over kmalloc's in one boot, or None."""
    m = fast(rows, variant, alloc, pattern, size, rnd)
    k = fast(rows, variant, "kmalloc", pattern, size, rnd)
    return int(m["median_ps"]) / int(k["median_ps"]) if m and k else None


def per_boot(rows, pattern, size, alloc="mstat"):
    """@alloc/kmalloc in each placement boot, as the allocators ran."""
    got = [normalized(rows, "percpu", pattern, size, f"L{i}", alloc)
           for i in range(len(LAYOUTS))]
    return [g for g in got if g is not None]


def paired_ratio(rows, pattern, size):
    """The main table's ratio: the median over the placement boots of
    mstat's time over kmalloc's in the same boot (nan if none)."""
    got = per_boot(rows, pattern, size)
    return statistics.median(got) if got else float("nan")


def aa_row(rows, pattern, size):
    """kmalloc against itself (kmalloc-aa/kmalloc) in the same boots: the
    median over the boots, as the mstat ratio is taken, and the largest
    distance from 1.0 any boot showed (nan, nan if not measured)."""
    got = per_boot(rows, pattern, size, "kmalloc-aa")
    if not got:
        return float("nan"), float("nan")
    return statistics.median(got), max(abs(g - 1) for g in got)


# Sizes above mstat's largest class (MSTAT_MAX_SMALL) are one page
# allocator call per object for mstat and kmalloc alike: there a cell is
# level when |R - 1| is within what kmalloc shows against itself.
def max_small():
    with open(os.path.join(ROOT, "mstat_internal.h")) as f:
        m = re.search(r"#define MSTAT_MAX_SMALL\s+(\d+)", f.read())
    return int(m.group(1))


def level(ratio, size, spread):
    """Whether a cell is level: at most 1.0x where mstat serves the size
    from its classes, within kmalloc's own A/A spread above them."""
    if size > max_small():
        return abs(ratio - 1) <= spread
    return ratio <= 1.0


def hardening_section(rows, sizes, w):
    """The double-free checks' cost and debug mode's, per pattern and size."""
    w("## Cost of the double-free checks, and of debug mode (UML)\n")
    w("The real build against one without the state checks (`MSTAT_HARDEN=none`), "
      f"{HARDEN_ROUNDS} rounds of boots of the two in turn, every pattern; within each "
      "boot mstat's time is divided by kmalloc's, and the cell is the median over the "
      "rounds of real/unchecked (range in brackets). Debug mode (`mstat.debug=1`, "
      "one boot of the real build) is its normalized time over the real build's "
      "first round: no target.\n")
    w("| pattern | size | checks | debug mode |")
    w("|---|---:|---:|---:|")
    cells = {}
    for pattern in PATTERNS:
        for size in sizes:
            r = [a / b for a, b in ((normalized(rows, "percpu", pattern, size, f"h{k}"),
                                     normalized(rows, "nohard", pattern, size, f"h{k}"))
                                    for k in range(HARDEN_ROUNDS)) if a and b]
            d = normalized(rows, "debug", pattern, size, "debug")
            base = normalized(rows, "percpu", pattern, size, "h0")
            if not r:
                continue
            cells[(pattern, size)] = statistics.median(r)
            dbg = f"{d / base:.2f}x" if d and base else "n/a"
            w(f"| {pattern} | {size} | {cells[(pattern, size)]:.3f} "
              f"({min(r):.3f}-{max(r):.3f}) | {dbg} |")
    w("")
    return pattern_costs(cells, w)


# The benchmark's one size of a large object (pages of its own: mstat's
# classes end at 32 KiB).
LARGE = 65536


def pattern_costs(cells, w):
    """Per pattern, the median cost over the sizes of small objects; the
    worst cell; and the most a cell measured the build with more work
    faster, which no code can make it: the noise of one cell.  Returns
    (per-pattern medians, worst cell, that noise)."""
    per = {p: statistics.median(v) for p in PATTERNS
           if (v := [c for (q, s), c in cells.items() if q == p and s < LARGE])}
    worst = max(cells.values(), default=float("nan"))
    faster = [1 - c for c in cells.values() if c < 1]
    noise = max(faster, default=0.0)
    w("Per pattern, the median over the sizes below " + f"{LARGE} B: " +
      ", ".join(f"{p} {(c - 1) * 100:+.1f}%" for p, c in per.items()) +
      f"; worst cell {(worst - 1) * 100:+.1f}%. In {len(faster)} of {len(cells)} cells "
      f"the build doing more measured faster, by up to {noise * 100:.1f}%: the noise "
      "of a single cell.\n")
    return per, worst, noise


def disassembly(obj, func):
    """@func's instructions in object file @obj, addresses and symbols left out."""
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", obj],
                         capture_output=True, text=True).stdout
    body = out.split(f"<{func}>:\n", 1)[-1].split("\n\n", 1)[0]
    return [re.sub(r"[0-9a-f]+ <[^>]*>", "", line.split("\t", 1)[-1])
            for line in body.splitlines()]


def fast_paths_identical(src, other):
    """Whether mstat_alloc_site() and mstat_free() compile to the same code in both trees."""
    return all(disassembly(os.path.join(src, "mstat_pcpu.o"), f) ==
               disassembly(os.path.join(other, "mstat_pcpu.o"), f)
               for f in ("mstat_alloc_site", "mstat_free"))


def trace_qemu_section(rows, sizes, w):
    """Tracepoints compiled in and off against none, in QEMU on Debian's 6.12."""
    w("### The same in QEMU on Debian's 6.12 kernel (TCG, -smp 1)\n")
    w(f"The real module and one built with `MSTAT_TRACE=none` loaded in turn, "
      f"{TRACE_ROUNDS} rounds, hot pattern; each cell the median over the rounds of "
      "(mstat/kmalloc with tracepoints) / (mstat/kmalloc without).\n")
    w("| size | tracepoints off |")
    w("|---:|---:|")
    allr = []
    for size in sizes:
        r = []
        for k in range(TRACE_ROUNDS):
            a, b = (normalized(rows, f"{v}{k}", "hot", size, None)
                    for v in ("qtrace", "qnotrace"))
            if a and b:
                r.append(a / b)
        if r:
            allr += r
            w(f"| {size} | {statistics.median(r):.3f} ({min(r):.3f}-{max(r):.3f}) |")
    w("")
    same = [r["identical"] for r in rows if r.get("kind") == "fastpath_code"]
    if same and same[0]:
        w("The fast paths, `mstat_alloc_site()` and `mstat_free()`, compile to the same "
          "instructions in the two modules (objdump, addresses aside): the tracepoints "
          "reach them only through the static branch they share with debug mode. A "
          "ratio away from 1.0 here is TCG's, not the tracepoints': under TCG the time "
          "of the same code moves with where the module's code and data land (translated "
          "blocks chain only within a page; its software TLB is direct-mapped).\n")
    elif same:
        w("The fast paths compile to different instructions in the two modules.\n")
    return statistics.median(allr) if allr else float("nan")


def build_cost_section(rows, sizes, w, other, title, intro, column, worst=False):
    """The real build against build @other, every pattern: real/other per cell."""
    w(f"## {title} (UML)\n")
    w(f"{intro} In the same {HARDEN_ROUNDS} rounds as above; the cell is the median "
      f"of real/{other} (range in brackets).\n")
    w(f"| pattern | size | {column} |")
    w("|---|---:|---:|")
    hot, cells = [], {}
    for pattern in PATTERNS:
        for size in sizes:
            r = [a / b for a, b in ((normalized(rows, "percpu", pattern, size, f"h{k}"),
                                     normalized(rows, other, pattern, size, f"h{k}"))
                                    for k in range(HARDEN_ROUNDS)) if a and b]
            if not r:
                continue
            cells[(pattern, size)] = statistics.median(r)
            if pattern == "hot":
                hot += r
            w(f"| {pattern} | {size} | {statistics.median(r):.3f} "
              f"({min(r):.3f}-{max(r):.3f}) |")
    w("")
    hot_med = statistics.median(hot) if hot else float("nan")
    return pattern_costs(cells, w) if worst else hot_med


# The sizes that set per-CPU memory (mstat_internal.h, mstat_core.c).
NR_CLASSES, CACHE_SLOTS, GAP_US = 80, 32, 1000
COUNTER_BYTES = (4 * NR_CLASSES + 9) * 8		# struct mstat_counters
SITE_CHUNKS, CHUNK_BYTES = 64, 4 * 64 * 8		# chunk pointers; one chunk of 64 keys
# struct mstat_pcpu, and the two chunks of the keys of no site every cache has
CACHE_BYTES = (COUNTER_BYTES + 8 * SITE_CHUNKS + NR_CLASSES * (8 + 8 * CACHE_SLOTS) +
               2 * CHUNK_BYTES)


def scale_on_paper(reads, w):
    """Read cost, per-CPU memory and what a reader costs each writer, as
    functions of the CPU count: measured to 16, extrapolated beyond."""
    if not reads:
        return
    per_cpu = statistics.median(t / n for n, t in reads if n >= 4)
    w("### Scale, measured and on paper\n")
    w(f"A collection reads {COUNTER_BYTES} bytes of counters per cache, two caches per "
      f"CPU ({2 * COUNTER_BYTES // 64} cache lines): its time grows with the CPUs "
      f"({per_cpu:.0f} ns per CPU here under TCG, the median from 4 CPUs up; hardware "
      "is several times faster). Reads are paced (one collection per "
      f"{GAP_US} us at most), so what readers cost each allocating CPU is at most "
      f"{2 * COUNTER_BYTES // 64} cache lines taken away per millisecond, whatever the "
      "CPU count; what grows is the reader's own time and the gap it waits. "
      "Per-CPU memory is two `struct mstat_pcpu` with their key counters "
      f"({CACHE_BYTES} bytes each: counters, {NR_CLASSES} class stacks of "
      f"{CACHE_SLOTS} slots, the counters of the 81 keys of no site), plus "
      f"{2 * CHUNK_BYTES // 1024} KiB per 64 keys sites made, plus the free objects "
      "cached (at most 128 KiB per class below 8 KiB, 256 KiB from 8 KiB up), which "
      "idle reclaim and the shrinker give back.\n")
    w("| CPUs | one collection (TCG) | reader busy, reading back to back | per-CPU structures | all CPUs |")
    w("|---:|---:|---:|---:|---:|")
    for n in sorted({n for n, _ in reads} | {64, 256, 1024}):
        t = next((t for m, t in reads if m == n), None)
        est = t if t is not None else per_cpu * n
        mark = "" if t is not None else " (extrapolated)"
        w(f"| {n} | {est / 1000:.1f} us{mark} | {est / (est + GAP_US * 1000) * 100:.0f}% | "
          f"{2 * CACHE_BYTES / 1024:.1f} KiB | {n * 2 * CACHE_BYTES / 1048576:.1f} MiB |")
    w("\nCentral pools: one spinlock per class, taken once per refill or flush "
      "(a batch of 4 to 16 objects, about 64 KiB, 128 KiB from 8 KiB up), so lock traffic on a class "
      "grows with the CPUs that use it at once. Past about 256 CPUs, or on "
      "machines with several NUMA nodes, mstat should keep a pool per node per "
      "class (as SLUB keeps partial lists per node) and a reader should sum per "
      "node; the CPUs Debian 12 runs on today (up to 2 sockets) do not need it "
      "yet, and nothing measured here shows the pool lock as a cost.\n")


# ------------------------------------------------------------------ QEMU

def qemu_runs():
    name = "6.12"
    vmlinuz, kdir = mstat_vm.setup_kernel(name)
    mods = mstat_vm.build_modules(name, kdir)
    src = os.path.dirname(mods["mstat"])
    atomic = os.path.join(CACHE, "vm", name, "src-atomic")
    shutil.rmtree(atomic, ignore_errors=True)
    shutil.copytree(src, atomic)
    mstat_vm.make(["-C", kdir, f"M={atomic}", "MSTAT_STATS=atomic", "modules"],
                  "mstat.ko (atomic)")
    mods["mstat_atomic"] = os.path.join(atomic, "mstat.ko")
    notrace = os.path.join(CACHE, "vm", name, "src-notrace")
    shutil.rmtree(notrace, ignore_errors=True)
    shutil.copytree(src, notrace)
    mstat_vm.make(["-C", kdir, f"M={notrace}", "MSTAT_TRACE=none", "modules"],
                  "mstat.ko (no tracepoints)")
    mods["mstat_notrace"] = os.path.join(notrace, "mstat.ko")
    rows = [{"kind": "fastpath_code", "identical": fast_paths_identical(src, notrace)}]
    # what one collection costs: unpaced (read_gap_us=0)
    read_script = ("insmod /lib/mstat.ko read_gap_us=0 && "
                   "insmod /lib/mstat_bench.ko mode=read reps=7 && dmesg | grep BENCH")
    initrd = mstat_vm.make_initramfs(name, mods, read_script)
    for n in READ_CPUS:
        log(f"QEMU: statistics read cost with -smp {n}")
        rows += parse(mstat_vm.boot(vmlinuz, initrd, 1, None, 600, smp=n))
    # the two builds in turn: under TCG a module's throughput can jump by half
    # within a boot (seen with the same module loaded), so neither build may
    # have all its runs on one side of such a jump
    scale_script = []
    for k in range(SCALE_ROUNDS):
        for ko, v in (("mstat", "percpu"), ("mstat_atomic", "atomic")):
            scale_script += [f"insmod /lib/{ko}.ko",
                             f"insmod /lib/mstat_bench.ko mode=scale seconds=3 variant={v}",
                             "rmmod mstat_bench", "rmmod mstat"]
    scale_script = "\n".join(scale_script + ["dmesg | grep BENCH"])
    initrd = mstat_vm.make_initramfs(name, mods, scale_script)
    log("QEMU: scaling with -smp 2")
    rows += parse(mstat_vm.boot(vmlinuz, initrd, 1, None, 600, smp=2))
    reader_script = ("insmod /lib/mstat.ko && insmod /lib/mstat_bench.ko mode=scale "
                     "seconds=3 reader=1 variant=percpu && dmesg | grep BENCH")
    initrd = mstat_vm.make_initramfs(name, mods, reader_script)
    log("QEMU: reader impact with -smp 3")
    rows += parse(mstat_vm.boot(vmlinuz, initrd, 1, None, 600, smp=3))
    # tracepoints compiled in and off against none, where static keys are
    # patched jumps (UML has no jump labels: there a disabled one is a load)
    trace_script = []
    for k in range(TRACE_ROUNDS):
        for ko, v in (("mstat", "qtrace"), ("mstat_notrace", "qnotrace")):
            trace_script += [f"insmod /lib/{ko}.ko",
                             f"insmod /lib/mstat_bench.ko mode=fast only_pattern=hot "
                             f"reps=5 variant={v}{k}",
                             "rmmod mstat_bench", "rmmod mstat"]
    initrd = mstat_vm.make_initramfs(name, mods, "\n".join(trace_script +
                                                            ["dmesg | grep BENCH"]))
    log("QEMU: tracepoints compiled in and off, -smp 1")
    rows += parse(mstat_vm.boot(vmlinuz, initrd, 1, None, 1200, smp=1))
    rows.append(reclaim_run(name, vmlinuz, mods))
    rows += qemu_replay(name, vmlinuz, mods, replay_traces())
    return rows, os.path.basename(vmlinuz)


def reclaim_run(name, vmlinuz, mods):
    """The end-to-end reclaim scenario, for its figures: what mstat holds
    (sys_bytes - alloc_bytes) before a burst, after it, after memory
    pressure, after a second burst and 10 s idle; GFP_ATOMIC 24 KiB
    successes in fragmented memory, mstat and kmalloc."""
    initrd = mstat_vm.make_initramfs(name, mods, mstat_vm.reclaim_script())
    log("QEMU: memory given back, -smp 4 -m 512")
    lines = mstat_vm.boot(vmlinuz, initrd, 1, None, 300, mem="512")
    snaps = e2e_checks.snapshots(lines)
    e2e = dict(x.split() for x in e2e_checks.block(lines, "@@E2E") if len(x.split()) == 2)
    row = {"kind": "reclaim"}
    for k in ("r0", "r1", "r2", "r3", "r4"):
        if k in snaps:
            row[k] = str(e2e_checks.held(snaps[k]))
    for k in ("frag_mstat_ok", "frag_kmalloc_ok", "pressure_pages"):
        row[k] = e2e.get(k, "")
    return row


def reclaim_section(rows, w):
    r = next((x for x in rows if x["kind"] == "reclaim"), None)
    if not r or "r4" not in r:
        return None
    kib = {k: int(r[k]) // 1024 for k in ("r0", "r1", "r2", "r3", "r4")}
    w("## Memory given back (QEMU, -smp 4, 512 MiB)\n")
    w("What mstat holds beyond its live objects (`sys_bytes - alloc_bytes`), KiB: each "
      "CPU allocates 256 objects of 64, 512, 4000 and 20000 bytes and 64 of 100000 "
      "bytes and frees them; then a client takes every free page, with direct reclaim "
      "(idle reclaim off, so only the shrinker gives back); then the same burst, idle "
      "reclaim on, and 10 s idle. The same scenario is an end-to-end test.\n")
    w("| before | after the burst | after memory pressure | after the second burst "
      "| after 10 s idle |")
    w("|---:|---:|---:|---:|---:|")
    w(f"| {kib['r0']} | {kib['r1']} | {kib['r2']} | {kib['r3']} | {kib['r4']} |\n")
    w(f"`GFP_ATOMIC` 24 KiB allocations in fragmented memory (no free block above "
      f"order 3), alternately: mstat {r.get('frag_mstat_ok')} of "
      f"{e2e_checks.FRAG_TRIES}, kmalloc {r.get('frag_kmalloc_ok')}.\n")
    return max(kib["r2"], kib["r4"]) - kib["r0"]


# ------------------------------------------------------------------ report

def ns(ps):
    return int(ps) / 1000.0


def fast(rows, variant, alloc, pattern, size, rnd=None):
    for r in rows:
        if (r["kind"] == "" and r.get("variant") == variant and r.get("alloc") == alloc and
                r.get("pattern") == pattern and r.get("size") == str(size) and
                r.get("round") == rnd):
            return r
    return None


def cell(r):
    if not r:
        return "n/a"
    return f"{ns(r['median_ps']):.1f} ({ns(r['min_ps']):.1f}-{ns(r['max_ps']):.1f})"


def api_ratio(rows, pattern, size, batch, num, den):
    """Median over the api boots of @num's time over @den's in each boot."""
    per = {}
    for r in rows:
        if (r["kind"] == "" and r.get("variant") == "api" and r.get("pattern") == pattern
                and r.get("size") == str(size) and r.get("batch") == str(batch)):
            per.setdefault(r["round"], {})[r["alloc"]] = int(r["median_ps"])
    got = [p[num] / p[den] for p in per.values() if num in p and den in p]
    return (statistics.median(got), min(got), max(got)) if got else None


def api_cell(rows, pattern, size, batch, alloc):
    """Median over the api boots of @alloc's median, ns."""
    v = [int(r["median_ps"]) for r in rows
         if r["kind"] == "" and r.get("variant") == "api" and r.get("alloc") == alloc and
         r.get("pattern") == pattern and r.get("size") == str(size) and
         r.get("batch") == str(batch)]
    return f"{ns(statistics.median(v)):.1f}" if v else "n/a"


def api_section(rows, w):
    """The slab API's other calls against their SLUB counterparts; the worst
    ratio of each comparison, or None if the run has no api boots."""
    if not any(r.get("variant") == "api" for r in rows):
        return None
    boots = len({r["round"] for r in rows if r.get("variant") == "api"})
    sizes = sorted({int(r["size"]) for r in rows
                    if r.get("variant") == "api" and r.get("pattern") == "typed-hot"})
    worst = {}

    def ratio(key, pattern, size, batch, num, den):
        got = api_ratio(rows, pattern, size, batch, num, den)
        if got and got[0] > worst.get(key, (0,))[0]:
            worst[key] = (got[0], size, batch)
        return f"{got[0]:.2f} ({got[1]:.2f}-{got[2]:.2f})" if got else "n/a"
    w("## Typed caches, bulk calls and RCU frees (UML)\n")
    w(f"`mstat_bench mode=api`, {boots} boots (one per placement above), the calls "
      "interleaved as above; ns per operation, the median over the boots; ratios "
      "are the median over the boots of the ratio in each boot, with their range.\n")
    w("### Typed-cache hot pair\n")
    w("`mstat_cache_alloc()`/`mstat_cache_free()` against "
      "`kmem_cache_alloc()`/`kmem_cache_free()` on caches of the size.\n")
    w("| size | mstat_cache | kmem_cache | ratio |")
    w("|---:|---:|---:|---:|")
    for size in sizes:
        w(f"| {size} | {api_cell(rows, 'typed-hot', size, 1, 'mstat_cache')} | "
          f"{api_cell(rows, 'typed-hot', size, 1, 'kmem_cache')} | "
          f"{ratio('typed', 'typed-hot', size, 1, 'mstat_cache', 'kmem_cache')} |")
    w("\n### Bulk calls\n")
    w("A batch allocated, then freed, by one bulk call each (`mstat_alloc_bulk()`, "
      "`mstat_cache_alloc_bulk()`, `kmem_cache_alloc_bulk()` and their frees), and "
      "by as many single `mstat_alloc()`/`mstat_free()` calls; ns per object and "
      "operation.\n")
    w("| size | batch | mstat bulk | mstat single | bulk/single | mstat_cache bulk "
      "| kmem_cache bulk | mstat_cache/kmem_cache bulk |")
    w("|---:|---:|---:|---:|---:|---:|---:|---:|")
    batches = sorted({int(r["batch"]) for r in rows
                      if r.get("variant") == "api" and r.get("pattern") == "bulk"})
    for size in sizes:
        for b in batches:
            w(f"| {size} | {b} | {api_cell(rows, 'bulk', size, b, 'mstat-bulk')} | "
              f"{api_cell(rows, 'bulk', size, b, 'mstat-single')} | "
              f"{ratio('bulk', 'bulk', size, b, 'mstat-bulk', 'mstat-single')} | "
              f"{api_cell(rows, 'bulk', size, b, 'mstat_cache-bulk')} | "
              f"{api_cell(rows, 'bulk', size, b, 'kmem_cache-bulk')} | "
              f"{ratio('bulkslub', 'bulk', size, b, 'mstat_cache-bulk', 'kmem_cache-bulk')} |")
    w("\n### RCU frees\n")
    n = next((r["batch"] for r in rows if r.get("variant") == "api" and
              r.get("pattern") == "rcu"), "?")
    w(f"{n} objects of 64 B given to `mstat_free_rcu()` then `mstat_rcu_barrier()`, "
      "against `kfree_rcu()` then `kvfree_rcu_barrier()`: both wait until every object "
      "is freed; ns per object, the wait included.\n")
    w("| mstat_free_rcu | kfree_rcu | ratio |")
    w("|---:|---:|---:|")
    w(f"| {api_cell(rows, 'rcu', 64, n, 'mstat_free_rcu')} | "
      f"{api_cell(rows, 'rcu', 64, n, 'kfree_rcu')} | "
      f"{ratio('rcu', 'rcu', 64, n, 'mstat_free_rcu', 'kfree_rcu')} |\n")
    return worst


def cx16_cost():
    """Picoseconds of one unlocked cmpxchg16b on this host, less those of the
    plain 16-byte compare-and-store UML's generic version does instead
    (bench/cx16_cost.c)."""
    exe = os.path.join(CACHE, "cx16_cost")
    res = subprocess.run(["gcc", "-O2", "-o", exe, os.path.join(ROOT, "bench", "cx16_cost.c")])
    if res.returncode:
        return None
    out = subprocess.run([exe], stdout=subprocess.PIPE, text=True).stdout
    m = re.search(r"cx16_ps=(\d+) plain_ps=(\d+)", out)
    return int(m.group(1)) - int(m.group(2)) if m else None


def machine():
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model}, {os.cpu_count()} CPUs, host kernel {platform.release()}"


HISTORY = os.path.join(ROOT, "bench-history.json")


def this_run(ratios):
    """The worst mstat/kmalloc cell of each pattern in this run, and what ran."""
    def git(*args):
        return subprocess.run(["git", "-C", ROOT, *args], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True).stdout.strip()
    worst = {}
    for (pattern, size), ratio in ratios.items():
        if size > max_small():
            continue	# page-allocator sizes are judged against the A/A row
        if ratio == ratio and ratio > worst.get(pattern, (0.0, 0))[0]:
            worst[pattern] = (round(ratio, 3), size)
    return {"date": time.strftime("%Y-%m-%d %H:%M"),
            "commit": git("rev-parse", "--short", "HEAD") + ("-dirty" if git("status", "--porcelain",
                                                                          "--untracked-files=no")
                                                             else ""),
            "worst": worst}


def load_history():
    try:
        with open(HISTORY) as f:
            return json.load(f)
    except (OSError, ValueError):
        return []


def history_section(runs, w):
    """The worst cell of each pattern in the last three runs, side by side."""
    runs = runs[-3:]
    w("## Worst cells of the last three runs\n")
    w("Each run of `make bench` adds its worst mstat/kmalloc cell per pattern to "
      "`bench-history.json`; the last three, side by side (ratio, at size):\n")
    w("| pattern | " + " | ".join(f"{r['date']} ({r['commit']})" for r in runs) + " |")
    w("|---|" + "---:|" * len(runs))
    for pattern in PATTERNS + ("mixed",):
        cells = []
        for r in runs:
            c = r["worst"].get(pattern)
            cells.append(f"{c[0]:.2f} at {c[1] or '8..4096'}" if c else "n/a")
        w(f"| {pattern} | " + " | ".join(cells) + " |")
    w("")
    over = [r for r in runs if any(c[0] > 1.0 for c in r["worst"].values())]
    return len(runs), len(over)


def report(rows, qemu_kernel, record=False):
    sizes = [int(r["size"]) for r in rows
             if r["kind"] == "" and r.get("variant") == "percpu" and r.get("pattern") == "hot"
             and r.get("alloc") == "mstat" and "round" not in r]
    out, worst, ratios = [], (0.0, "", ""), {}
    # page-allocator sizes: (|R - 1| beyond the A/A spread, R, pattern, size, spread)
    worst_pa = (float("-inf"), float("nan"), "", "", float("nan"))
    w = out.append
    w("# mstat benchmarks\n")
    w("Generated by `make bench` (`scripts/bench.py`); rerun it to reproduce. "
      f"Machine: {machine()}. UML kernel: linux-source-6.12 built without "
      f"debugging options; QEMU kernel: Debian's {qemu_kernel}.\n")
    w("Times are ns per operation (one allocation or one free), the median of "
      f"{UML_REPS} repetitions (UML) with the range in parentheses, all allocators "
      "measured in the same boot, interleaved within each repetition, each "
      "repetition in another of their orders (six for three allocators, a Williams "
      "square for four, in which each follows every other equally often). Ratio is "
      "mstat/kmalloc of the medians (in the fast-path tables, the median over "
      "the boots of that ratio in each boot, paired as the allocators ran, not "
      "one boot's mstat against another's kmalloc): below 1.0 mstat is "
      "faster.\n")
    w("The A/A column is kmalloc against itself: in the same boots a fourth "
      "allocator, `kmalloc-aa`, makes the very calls `kmalloc` makes, in the same "
      "rotation, and its time over kmalloc's is taken as mstat's ratio is (the median "
      "over the boots), with in parentheses the farthest any one boot read from 1.0. "
      "It is what this run's noise makes of two identical allocators. A cell is "
      f"level where mstat serves the size from its own classes (up to {max_small()} B) "
      "when mstat/kmalloc is at most 1.0; above, where mstat and kmalloc both make one "
      "page allocator call per object, when |mstat/kmalloc - 1| is at most that "
      "farthest A/A distance.\n")
    w(f"The fast-path tables (UML) take {len(LAYOUTS)} boots of the real build "
      "placed differently in the kernel's text (mstat's code, and the benchmark's "
      "after it, " + ", ".join(str(p) for p in LAYOUTS.values()) + " bytes further on: "
      "`MSTAT_PAD`, `bench/mstat_pad.c`): each time is the median of the boots' "
      "medians, its range theirs. One boot can move one allocator's hot pair by a "
      "quarter: kmalloc's ran at 8.5 ns against 6.6 in some boots of one build (6 of "
      "8), in no boot of eight other placements of the same code, mstat's unchanged; "
      "the median of three boots is not moved by one such boot. Which object the hot "
      "pair runs on moves it too (mstat's by up to a tenth at 1, 2 and 16 KiB in one "
      "build, its call site 48 bytes further on by as much), so in boot i every "
      "allocator holds i objects of the size while it runs the hot pair "
      "(`mstat_bench.hot_hold`), and so do the rounds of the cost tables below, "
      "round k holding k mod 3.\n")
    w("## Fast path (UML, one CPU, real per-CPU counters)\n")
    irq = next((r for r in rows if r["kind"] == "irqpair" and r.get("variant") == "percpu"
                and "round" not in r), None)
    irq_ps = int(irq["median_ps"]) if irq else 0
    cx16 = next((r for r in rows if r["kind"] == "cx16"), None)
    cx16_ps = int(cx16["ps"]) if cx16 else None
    adjusted = []
    for pattern in PATTERNS:
        adjust = pattern == "hot" and irq is not None and cx16_ps is not None
        w(f"### {pattern}\n")
        w("| size | mstat | kmalloc | kmem_cache | mstat/kmalloc | kmalloc A/A (farthest boot) "
          "| level |" + (" mstat/kmalloc, hardware footing |" if adjust else ""))
        w("|---:|---:|---:|---:|---:|---:|:-:|" + ("---:|" if adjust else ""))
        for size in sizes:
            m = fast(rows, "percpu", "mstat", pattern, size)
            k = fast(rows, "percpu", "kmalloc", pattern, size)
            c = fast(rows, "percpu", "kmem_cache", pattern, size)
            ratio = paired_ratio(rows, pattern, size)
            aa, spread = aa_row(rows, pattern, size)
            ratios[(pattern, size)] = ratio
            if size > max_small():
                if ratio == ratio and abs(ratio - 1) - spread > worst_pa[0]:
                    worst_pa = (abs(ratio - 1) - spread, ratio, pattern, str(size), spread)
            elif ratio > worst[0]:
                worst = (ratio, pattern, str(size))
            line = (f"| {size} | {cell(m)} | {cell(k)} | {cell(c)} | {ratio:.2f} | "
                    f"{aa:.2f} (±{spread * 100:.0f}%) | "
                    f"{'yes' if level(ratio, size, spread) else '**no**'} |")
            if adjust:
                adj = (int(m["median_ps"]) / (int(k["median_ps"]) - irq_ps + cx16_ps)
                       if m and k else float("nan"))
                if size <= 4096:
                    adjusted.append(adj)
                line += f" {adj:.2f} |"
            w(line)
        w("")
        if adjust:
            w("Hardware footing: each kmalloc operation with one "
              "`local_irq_save()`/`local_irq_restore()` pair taken out "
              f"({cell(irq)} ns on UML, measured in the same boot) and one unlocked "
              f"`cmpxchg16b` put in instead of UML's plain compare-and-store "
              f"({cx16_ps / 1000:.1f} ns more on this host, `bench/cx16_cost.c`): "
              "see \"How UML differs from hardware\" below.\n")
    m = fast(rows, "percpu", "mstat", "mixed", 0)
    k = fast(rows, "percpu", "kmalloc", "mixed", 0)
    if m and k:
        ratio = paired_ratio(rows, "mixed", 0)
        ratios[("mixed", 0)] = ratio
        if ratio > worst[0]:
            worst = (ratio, "mixed", "8..4096")
        aa, spread = aa_row(rows, "mixed", 0)
        w("### mixed (random sizes 8..4096, random live set of 10,000)\n")
        w("| mstat | kmalloc | mstat/kmalloc | kmalloc A/A (farthest boot) | level |\n"
          "|---:|---:|---:|---:|:-:|")
        w(f"| {cell(m)} | {cell(k)} | {ratio:.2f} | {aa:.2f} (±{spread * 100:.0f}%) | "
          f"{'yes' if ratio <= 1.0 else '**no**'} |\n")

    api = api_section(rows, w)

    current = this_run(ratios)
    runs = load_history() + ([current] if record else [])
    nruns, nover = history_section(runs or [current], w)
    w("## Statistics overhead (UML, hot pattern, mstat)\n")
    w("Three builds of mstat: `percpu` (the real one), `none` (counters compiled "
      "out) and `atomic` (one global set of atomic64_t, the design the per-CPU "
      f"counters replace). Each is a different kernel, so they cannot share a "
      f"boot: {STATS_ROUNDS} rounds boot the three in turn and run the hot "
      "pattern, and within each boot mstat's time is divided by kmalloc's "
      "(normalized), which cancels most of the drift between boots. Per size: "
      f"the median over the {STATS_ROUNDS} rounds of the ratio of normalized "
      "times, with its range.\n")
    w("| size | percpu/none | atomic/percpu |")
    w("|---:|---:|---:|")
    overheads, atomics = [], []
    for size in sizes:
        pn, ap = [], []
        for k in range(STATS_ROUNDS):
            norm = {}
            for v in VARIANTS:
                m = fast(rows, v, "mstat", "hot", size, str(k))
                km = fast(rows, v, "kmalloc", "hot", size, str(k))
                if m and km:
                    norm[v] = int(m["median_ps"]) / int(km["median_ps"])
            if len(norm) == len(VARIANTS):
                pn.append(norm["percpu"] / norm["none"])
                ap.append(norm["atomic"] / norm["percpu"])
        if not pn:
            continue
        overheads.append(statistics.median(pn))
        atomics.append(statistics.median(ap))
        w(f"| {size} | {statistics.median(pn):.3f} ({min(pn):.3f}-{max(pn):.3f}) | "
          f"{statistics.median(ap):.3f} ({min(ap):.3f}-{max(ap):.3f}) |")
    stats_cost = statistics.median(overheads) - 1 if overheads else float("nan")
    at_cost = statistics.median(atomics) - 1 if atomics else float("nan")
    w(f"\nMedian statistics cost over the sizes: {stats_cost * 100:+.1f}%; "
      "the global atomics, on one CPU where no cache line moves, took "
      f"{abs(at_cost) * 100:.1f}% {'less' if at_cost < 0 else 'more'} time than the "
      "per-CPU counters.\n")

    w("## Memory after the mixed workload (UML)\n")
    mem = {r["alloc"]: r for r in rows if r["kind"] == "memory" and r.get("variant") == "percpu"
           and "round" not in r}
    w("| allocator | pages held (bytes) | usable bytes handed out | ratio |")
    w("|---|---:|---:|---:|")
    mem_ratio = float("nan")
    for a in ("mstat", "kmalloc"):
        if a in mem:
            sysb, used = int(mem[a]["sys_bytes"]), int(mem[a]["alloc_bytes"])
            ratio = sysb / used if used else float("nan")
            if a == "mstat":
                mem_ratio = ratio
            w(f"| {a} | {sysb} | {used} | {ratio:.3f} |")
    w("\nFor mstat, `sys_bytes / alloc_bytes` from `mstat_read_stats()` (all of "
      "mstat's pages; the benchmark is its only user). For kmalloc, the growth "
      "of the kernel's unreclaimable slab pages over the same workload against "
      "the sum of `ksize()`: a comparable figure, blurred by per-CPU vmstat "
      "batching and by other slab users during the run.\n")

    w("## Statistics read cost against CPU count (QEMU, TCG)\n")
    w("`mstat_read_stats()`: two passes over every possible CPU's counters. "
      "Per read, median of 7 x 1000 reads.\n")
    w("| CPUs | ns per read | ns per CPU |")
    w("|---:|---:|---:|")
    reads = sorted((int(r["cpus_possible"]), int(r["median_ns"])) for r in rows
                   if r["kind"] == "read")
    for n, t in reads:
        w(f"| {n} | {t} | {t / n:.0f} |")
    w("\nThe work is one read of each counter of each possible CPU "
      "(CPUs x (2 x classes + 7)): the cost per CPU should stay flat as CPUs "
      "are added (it includes a fixed part for the lock and the summary).\n")
    scale_on_paper(reads, w)

    w("## Scaling (QEMU, TCG, -smp 2, one thread per CPU)\n")
    w("Both vCPUs (= both host cores) free and allocate random sizes 8..1031 at "
      "once, mstat and kmalloc alternately, two runs each of 3 s. The real build "
      f"and the global-atomics build are loaded in turn, {SCALE_ROUNDS} times each, "
      "in the same boot; the table gives the means.\n")
    scale = [r for r in rows if r["kind"] == "scale"]

    def ops(variant, alloc, third):
        v = [int(r["ops_per_sec"]) for r in scale if r["variant"] == variant and
             r["alloc"] == alloc and r["third"] == third]
        return sum(v) / len(v) if v else None
    w("| build | allocator | ops/s |")
    w("|---|---|---:|")
    for variant, alloc in (("percpu", "mstat"), ("percpu", "kmalloc"),
                           ("atomic", "mstat"), ("atomic", "kmalloc")):
        v = ops(variant, alloc, "none")
        if v:
            w(f"| {variant} | {alloc} | {v:,.0f} |")
    pc, at = ops("percpu", "mstat", "none"), ops("atomic", "mstat", "none")
    km = ops("percpu", "kmalloc", "none")
    if pc and at:
        w(f"\nPer-CPU counters: {pc / at:.2f}x the throughput of the global-atomics "
          f"build{f'; mstat {pc / km:.2f}x kmalloc' if km else ''}. Under TCG, atomic "
          "operations and cache lines moving between vCPUs cost what the emulator "
          "makes them cost, not what hardware would: the figures are the "
          "emulator's, and only their ratios mean something.\n")
    w("### A reader against the allocating CPUs (QEMU, TCG, -smp 3)\n")
    w("Two CPUs allocate as above; the third runs either a thread calling "
      "`mstat_read_stats()` as fast as it can, or, as the control, a thread "
      "doing the same work (the hotplug read lock, a mutex, two passes reading "
      "as many words, then the 1 ms wait of a paced read) on memory of its own, "
      "so that the emulator's sharing of "
      "two host cores among three vCPUs is the same in both and only the "
      "reading of the allocating CPUs' counters differs. 3 s runs: seven rounds "
      "of control, reader, control, sites reader, then a last control, so that "
      "every reader's run lies between two controls (under TCG throughput drifts "
      "within a boot); the table gives the means, the verdict the median of the "
      "seven ratios of a reader's run to the mean of its two controls, with their "
      "range.\n")
    busy, rd = ops("percpu", "mstat", "busy"), ops("percpu", "mstat", "reader")
    nreads = [int(r["third_loops"]) for r in scale if r["third"] == "reader"]
    w("| third CPU | allocating ops/s |")
    w("|---|---:|")
    if busy:
        w(f"| control (same work, own memory) | {busy:,.0f} |")
    if rd:
        w(f"| reader ({statistics.mean(nreads) / 3:,.0f} reads/s) | {rd:,.0f} |")
    sr = ops("percpu", "mstat", "sites")
    nsreads = [int(r["third_loops"]) for r in scale if r["third"] == "sites"]
    if sr:
        w(f"| `mstat_read_sites()` reader ({statistics.mean(nsreads) / 3:,.0f} reads/s) "
          f"| {sr:,.0f} |")

    scale_runs = [(r["third"], int(r["ops_per_sec"])) for r in scale
                  if r["third"] in ("busy", "reader", "sites")]

    def kept(reader):
        # each reader's run against the mean of the controls just before and after it
        ratios = []
        for i, (third, ops_s) in enumerate(scale_runs):
            if third != reader:
                continue
            near = [o for t, o in scale_runs[i - 1:i] + scale_runs[i + 1:i + 2]
                    if t == "busy"]
            if near:
                ratios.append(ops_s / statistics.mean(near))
        ratios.sort()
        return (statistics.median(ratios), ratios) if ratios else (None, [])
    keep, pair_ratios = kept("reader")
    skeep, spair_ratios = kept("sites")
    if keep:
        w(f"\nWith the reader, the allocating CPUs keep {keep * 100:.1f}% of their "
          f"throughput (median of {len(pair_ratios)} runs; range "
          f"{pair_ratios[0] * 100:.1f}%-{pair_ratios[-1] * 100:.1f}%).\n")
    if skeep:
        w(f"With the sites reader, they keep {skeep * 100:.1f}% (median of "
          f"{len(spair_ratios)} runs; range {spair_ratios[0] * 100:.1f}%-"
          f"{spair_ratios[-1] * 100:.1f}%).\n")
    harden_per, harden_worst, harden_noise = hardening_section(rows, sizes, w)
    release_hot = build_cost_section(
        rows, sizes, w, "plainfree", "Cost of the ordered free counters",
        "The real build against one whose free counters are plain stores "
        "(`MSTAT_ORDER=plain`, correct on x86 only).", "release")
    trace_hot = build_cost_section(
        rows, sizes, w, "notrace", "Cost of the tracepoints, compiled in and off",
        "The real build, whose tracepoints are compiled in and disabled, against one "
        "without them (`MSTAT_TRACE=none`). UML has no jump labels, so there a "
        "disabled tracepoint is a load and a branch; the QEMU table below is the "
        "one that says what Debian's kernels pay.", "tracepoints off")
    trace_qemu = trace_qemu_section(rows, sizes, w)
    sites_per, sites_worst, sites_noise = build_cost_section(
        rows, sizes, w, "nosites", "Cost of per-site statistics",
        "The real build against one without per-site statistics (`MSTAT_SITES=none`: "
        "no site is looked at, and every operation counts to its class's key of no "
        "site, through the same per-key counters).", "sites", worst=True)
    held_kib = reclaim_section(rows, w)
    replay = replay_section(rows, w)
    # The summary a reader takes in at a glance: target, figure, verdict.
    targets = []

    def target(what, figure, ok):
        targets.append((what, figure, "met" if ok else "**not met**"))
    hot_max = max((ratios[("hot", s)] for s in sizes if s <= 4096), default=float("nan"))
    footing = f" (hardware footing {max(adjusted):.2f})" if adjusted else ""
    target("No cell above 1.0x kmalloc where mstat serves the size from its classes",
           f"worst {worst[0]:.2f} at {worst[1]} {worst[2]}", worst[0] <= 1.0)
    target("... in each of the last three runs",
           f"{nruns - nover} of {nruns} runs", nruns >= 3 and not nover)
    if worst_pa[2]:
        target(f"Page-allocator sizes (above {max_small()} B) level: mstat/kmalloc no "
               "farther from 1.0 than kmalloc's farthest A/A boot of the same run",
               f"worst {worst_pa[1]:.2f} at {worst_pa[2]} {worst_pa[3]}, A/A up to "
               f"{1 + worst_pa[4]:.2f}", worst_pa[0] <= 0)
    target("Hot pair at most 0.55x kmalloc up to 4096 B", f"worst {hot_max:.2f}{footing}",
           hot_max <= 0.55)
    target("Statistics at most 5% of the fast path (hot pair, median over sizes)",
           f"{stats_cost * 100:+.1f}%", stats_cost <= 0.05)
    target("Double-free checks at most 5% per pattern",
           ", ".join(f"{p} {(c - 1) * 100:+.1f}%" for p, c in harden_per.items()),
           bool(harden_per) and max(harden_per.values()) <= 1.05)
    target("Per-site statistics at most 2% per pattern",
           ", ".join(f"{p} {(c - 1) * 100:+.1f}%" for p, c in sites_per.items()),
           bool(sites_per) and max(sites_per.values()) <= 1.02)
    target("Ordered free counters free of cost on x86 (hot pair, against plain stores)",
           f"{(release_hot - 1) * 100:+.1f}%", release_hot <= 1.02)
    target("Disabled tracepoints cost nothing measurable (Debian 6.12, hot pair)",
           f"{(trace_qemu - 1) * 100:+.1f}%", abs(trace_qemu - 1) <= 0.02)
    target("Pages held at most 1.25x usable bytes after the mixed workload",
           f"{mem_ratio:.3f}", mem_ratio <= 1.25)
    if held_kib is not None:
        target("At most 256 KiB more held after pressure and after 10 s idle",
               f"{held_kib} KiB", held_kib <= 256)
    if keep:
        target("A reader costs the allocating CPUs at most 5%",
               f"{(1 - keep) * 100:.1f}%", keep >= 0.95)
    if skeep:
        target("A `mstat_read_sites()` reader too", f"{(1 - skeep) * 100:.1f}%",
               skeep >= 0.95)
    if pc and at:
        target("Per-CPU counters ahead of global atomics with 2 CPUs (TCG)",
               f"{pc / at:.2f}x", pc / at >= 1.1)
    if api:
        for key, what, bar in (
                ("typed", "Typed-cache hot pair at most 0.6x kmem_cache's", 0.6),
                ("bulk", "Bulk calls, batches of 16 or more: at most 0.6x mstat's single "
                 "calls per object", 0.6),
                ("bulkslub", "Typed-cache bulk calls no slower than kmem_cache_alloc_bulk()",
                 1.0),
                ("rcu", "mstat_free_rcu() and the wait no slower than kfree_rcu()'s", 1.0)):
            r, size, batch = api.get(key, (float("nan"), 0, 0))
            where = f" at {size} B" + (f", batch {batch}" if key.startswith("bulk") else "")
            target(what, f"worst {r:.2f}{where if key != 'rcu' else ''}", r <= bar)
    for n, (r, _, q, hm, hk, exact, _) in replay.items():
        target(f"Replay of {n}: at most 0.7x kmalloc per operation (UML; -smp 2)",
               f"{r:.2f}; {q:.2f}", r <= 0.7 and q <= 0.7)
        target(f"Replay of {n}: held at most 1.25x live at the peak, and no more than "
               "kmalloc's", f"{hm:.3f} (kmalloc {hk:.3f})", hm <= 1.25 and hm <= hk)
        target(f"Replay of {n}: statistics exactly the trace's counts",
               "exact" if exact else "MISMATCH", exact)
    if not replay:
        target("Trace replay at most 0.7x kmalloc per operation", "no trace played", False)
    summary = ["## Summary\n", "| target | this run | |", "|---|---|---|"]
    summary += [f"| {t} | {f} | {v} |" for t, f, v in targets]
    summary += ["", "The details of the per-pattern and per-cell figures are in the "
                "sections below; the A/A column of the fast-path tables is kmalloc "
                "measured against itself in the same boots.\n"]
    out[2:2] = summary
    w(WHY)
    w("## How UML differs from hardware\n")
    w("UML runs the kernel as a user process at native speed, so code costs "
      "what it costs on this CPU, with these differences. Interrupt disabling "
      "is a software flag behind a call into UML's host-side code: a "
      "`local_irq_save()`/`local_irq_restore()` pair costs "
      f"{cell(irq) if irq else 'n/a'} ns here. mstat's task-context path "
      "never disables interrupts. kmalloc's fast path does, once per "
      "operation, but only on UML: UML has no per-CPU cmpxchg instruction and "
      "its generic `this_cpu_cmpxchg` disables interrupts around a plain "
      "compare and store, where x86 hardware runs one unlocked `cmpxchg16b`. "
      "The hot table's last column puts kmalloc back on that footing. "
      "Other differences: the UML kernel is PREEMPT_NONE, so mstat's "
      "`local_lock()` costs nothing there, where a preemptible kernel "
      "increments and decrements the preempt count; UML's SLUB has no "
      "freelist hardening or randomization (Debian's kernels have both, which "
      "slow kmalloc); UML is one CPU, so no cache line ever bounces, and its "
      "`cmpxchg` has no lock prefix: the pools' one `cmpxchg` per object put "
      "back or taken by a refill (\"Hardening\" in DESIGN.md) costs more on "
      "SMP hardware than these tables show; the host "
      "is shared and has no hardware counters, so single runs are noisy: read "
      "the medians and ranges, compare only within one boot. Before measuring, "
      "the benchmark touches every free page once, so that no allocator pays "
      "the host's first-touch faults. The QEMU runs are under TCG (no KVM on "
      "these machines): their absolute numbers are an emulator's; only the "
      "ratios and the shape against CPU count mean something.\n")
    w("![ns per op, hot pattern](bench.png)\n")
    with open(os.path.join(ROOT, "BENCHMARKS.md"), "w") as f:
        f.write("\n".join(out))
    plot(rows, sizes)
    if record:
        with open(HISTORY, "w") as f:
            json.dump(runs[-10:], f, indent=1)
            f.write("\n")
    return worst, worst_pa, replay


def plot(rows, sizes):
    data = os.path.join(CACHE, "bench-plot.dat")
    with open(data, "w") as f:
        for size in sizes:
            vals = [fast(rows, "percpu", a, p, size) for p in ("hot", "batch-random")
                    for a in ("mstat", "kmalloc")]
            f.write(f"{size} " + " ".join(str(ns(v["median_ps"])) if v else "NaN" for v in vals)
                    + "\n")
    script = f"""set terminal png size 900,540
set output '{os.path.join(ROOT, "bench.png")}'
set title 'mstat vs kmalloc (UML, same boot): ns per op, median of {UML_REPS}'
set logscale x 2
set xlabel 'size (bytes)'
set ylabel 'ns per op'
set key top left
set grid
plot '{data}' using 1:2 with linespoints title 'mstat hot', \\
     '' using 1:3 with linespoints title 'kmalloc hot', \\
     '' using 1:4 with linespoints title 'mstat batch-random', \\
     '' using 1:5 with linespoints title 'kmalloc batch-random'
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


def main():
    mstat_vm.lib("mstat_need gnuplot-nox python3 build-essential flex bison bc "
                 "libelf-dev libssl-dev")
    saved = os.path.join(CACHE, "bench-rows.json")
    if os.environ.get("TRACE"):
        # make bench TRACE=<file>: that trace alone, on both machines
        traces = replay_traces()
        rows = uml_replay([uml_build({"percpu": BUILDS["percpu"]})["percpu"]], traces)
        name = "6.12"
        vmlinuz, kdir = mstat_vm.setup_kernel(name)
        rows += qemu_replay(name, vmlinuz, mstat_vm.build_modules(name, kdir), traces)
        res = replay_results(rows)
        for n, v in res.items():
            log(f"replay {n}: -smp 2 mstat/kmalloc {v[2]:.2f}, kmalloc held/live {v[4]:.2f}")
        print("\n".join(replay_lines(res)))
        return 0 if all(v[5] for v in res.values()) else 1
    if "--report-only" in sys.argv:
        # rewrite the report from the last run's numbers (for editing its text)
        with open(saved) as f:
            rows, qkernel = json.load(f)
    else:
        rows = uml_runs()
        qrows, qkernel = qemu_runs() if "--no-qemu" not in sys.argv else ([], "-")
        rows += qrows
        cx16_ps = cx16_cost()
        if cx16_ps is not None:
            rows.append({"kind": "cx16", "ps": str(cx16_ps)})
        with open(saved, "w") as f:
            json.dump([rows, qkernel], f)
    # --report-only --record: add a run measured by an older bench.py to the history
    worst, pa, replay = report(rows, qkernel,
                               record="--report-only" not in sys.argv or "--record" in sys.argv)
    log("wrote BENCHMARKS.md and bench.png")
    print("\n".join(replay_lines(replay)))
    print(f"bench: worst mstat/kmalloc ratio {worst[0]:.2f} at {worst[1]} {worst[2]}")
    print(f"bench: page-allocator sizes: worst {pa[1]:.2f} at {pa[2]} {pa[3]}, "
          f"kmalloc against itself up to {1 + pa[4]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

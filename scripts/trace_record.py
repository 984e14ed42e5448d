#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Record a slab allocation trace for the benchmark's replayer: Debian's 6.12
kernel booted in QEMU (TCG, scripts/vm.py) runs a busybox workload with the
tracepoints kmem:kmalloc, kmem:kfree, kmem:kmem_cache_alloc and
kmem:kmem_cache_free enabled; the text `trace` comes out through a raw
virtio disk, and is converted here to the mstat-trace format (version 1,
bench/traces/README) and written xz-compressed.

    scripts/trace_record.py --workload fs|net [--seconds N] [--events N] [--out FILE]
    scripts/trace_record.py --verify FILE
"""
import argparse
import collections
import lzma
import os
import re
import shlex
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vm  # noqa: E402

KERNEL = "6.12"
MEM_MB = 2048
BUFFER_KB = 131072	# ring buffer per CPU: about 2M events each
DISK_BYTES = 3 << 30	# the sparse raw file the trace text is written to
MAX_XZ = 5 << 20
EVENTS = ("kmalloc", "kfree", "kmem_cache_alloc", "kmem_cache_free")
SECONDS = 60		# the most a workload runs; it stops sooner at BUDGET events
BUDGET = 900000		# events: the workload stops once the buffers hold this many

# gfp names show_gfp_flags() prints (include/trace/events/mmflags.h, 6.12):
# those whose value includes __GFP_DIRECT_RECLAIM, and those whose does not
GFP_DIRECT = {"GFP_TRANSHUGE", "GFP_HIGHUSER_MOVABLE", "GFP_HIGHUSER", "GFP_USER",
              "GFP_KERNEL_ACCOUNT", "GFP_KERNEL", "GFP_NOFS", "GFP_NOIO",
              "__GFP_RECLAIM", "__GFP_DIRECT_RECLAIM"}
GFP_OTHER = {"GFP_TRANSHUGE_LIGHT", "GFP_ATOMIC", "GFP_NOWAIT", "GFP_DMA", "__GFP_HIGHMEM",
             "GFP_DMA32", "__GFP_HIGH", "__GFP_IO", "__GFP_FS", "__GFP_NOWARN",
             "__GFP_RETRY_MAYFAIL", "__GFP_NOFAIL", "__GFP_NORETRY", "__GFP_COMP",
             "__GFP_NOMEMALLOC", "__GFP_MEMALLOC", "__GFP_HARDWALL", "__GFP_THISNODE",
             "__GFP_RECLAIMABLE", "__GFP_MOVABLE", "__GFP_ACCOUNT", "__GFP_WRITE",
             "__GFP_KSWAPD_RECLAIM", "__GFP_ZEROTAGS", "__GFP_SKIP_ZERO", "__GFP_SKIP_KASAN",
             "__GFP_NOLOCKDEP", "__GFP_NO_OBJ_EXT", "none"}
GFP_ZERO_BIT = 0x100		# ___GFP_ZERO_BIT 8 (include/linux/gfp_types.h, 6.12)
GFP_DIRECT_RECLAIM_BIT = 0x400	# ___GFP_DIRECT_RECLAIM_BIT 10
ZERO_SIZE_PTR = 0x10

# ------------------------------------------------------------------ the VM side

TRACE_SETUP = """
insmod /lib/virtio_blk.ko || echo @@ERROR insmod virtio_blk
T=/sys/kernel/tracing
mount -t tracefs nodev $T || echo @@ERROR mount tracefs
echo 0 > $T/tracing_on
echo global > $T/trace_clock
[ -e $T/options/hash-ptr ] && echo 0 > $T/options/hash-ptr
echo {bufkb} > $T/buffer_size_kb || echo @@ERROR buffer_size_kb
echo > $T/trace
for e in {events}; do
    echo 1 > $T/events/kmem/$e/enable || echo @@ERROR enable $e
done
mkdir -p /w && mount -t tmpfs -o size=768m tmpfs /w
SECS={seconds}
rm -f /w/stop
"""

TRACE_RUN = """
echo @@START
echo 1 > $T/tracing_on
PIDS=
for k in 1 2 3 4; do worker $k & PIDS="$PIDS $!"; done
END=$(( $(date +%s) + SECS ))
while [ $(date +%s) -lt $END ] &&
      [ $(cat $T/per_cpu/cpu*/stats | awk '/^entries:/ {{ n += $2 }} END {{ print n }}') -lt {budget} ]
do
    sleep 0.2
done
touch /w/stop	# the workers end their round, then tracing stops
wait $PIDS
echo 0 > $T/tracing_on
echo @@STOP
for e in {events}; do echo 0 > $T/events/kmem/$e/enable; done
for s in $T/per_cpu/cpu*/stats; do echo "@@STATS $s $(tr '\\n' ' ' < $s)"; done
cat $T/trace > /dev/vda && sync && echo @@WRITTEN
"""

WORKLOADS = {
    "fs": ("four shell loops on tmpfs: directory trees, files of varied sizes with dd, "
           "cp -r, mv, find, cat, ls -lR, tar c/x, rm -rf", """
worker() {
    w=/w/w$1; mkdir -p $w; i=0
    while [ ! -e /w/stop ]; do
        i=$((i + 1)); d=$w/t$i
        mkdir -p $d/a/b/c $d/a/e $d/x/y
        for n in 1 2 3 4 5 6; do
            dd if=/dev/urandom of=$d/a/f$n bs=$(( (RANDOM % 64 + 1) * 64 )) \\
               count=$(( RANDOM % 8 + 1 )) 2>/dev/null
            echo "$i $n $RANDOM" > $d/a/b/c/s$n
            echo "$n" > $d/a/e/t$n
        done
        dd if=/dev/zero of=$d/x/big bs=16k count=$(( RANDOM % 32 + 1 )) 2>/dev/null
        cp -r $d/a $d/x/y/copy
        mv $d/x/y/copy $d/moved
        mv $d/moved/f1 $d/moved/g1
        find $d -type f > $w/list$i
        find $d -name 's*' | xargs cat > /dev/null
        cat $d/a/f* $d/x/big > /dev/null
        ls -lR $d > /dev/null
        tar cf $w/t$i.tar -C $d . && mkdir $d/untar && tar xf $w/t$i.tar -C $d/untar
        rm -rf $d $w/t$i.tar $w/list$i
    done
}
"""),
    "net": ("loopback: busybox httpd on 127.0.0.1 serving files of 100 B to 1 MB, four "
            "loops of wget -q -O /dev/null, every fourth round a 256 KiB to 1 MB nc "
            "transfer over 127.0.0.1", """
ip link set lo up
mkdir -p /w/www
for s in 100 700 2000 4096 9000 33000 100000 262144 1000000; do
    dd if=/dev/urandom of=/w/www/f$s bs=$s count=1 2>/dev/null
done
printf '#!/bin/sh\\nexec cat /w/www/f262144\\n' > /bin/send1; chmod +x /bin/send1
printf '#!/bin/sh\\nexec cat /w/www/f1000000\\n' > /bin/send2; chmod +x /bin/send2
httpd -p 127.0.0.1:8080 -h /w/www
nc -ll -p 9001 -e /bin/send1 > /dev/null 2>&1 &
nc -ll -p 9002 -e /bin/send2 > /dev/null 2>&1 &
mkfifo /w/never
sleep 1
SIZES="100 700 2000 4096 9000 33000 100000 262144 1000000"
worker() {
    exec 3<>/w/never	# nc's stdin: never data, never EOF
    i=0
    while [ ! -e /w/stop ]; do
        i=$((i + 1))
        set -- $SIZES; shift $(( RANDOM % 9 )); s=$1
        timeout 10 wget -q -O /dev/null http://127.0.0.1:8080/f$s || echo @@SLOW wget1 $?
        timeout 10 wget -q -O - http://127.0.0.1:8080/f$s | cat > /dev/null
        if [ $(( i % 4 )) = 0 ]; then
            timeout 10 nc 127.0.0.1 900$(( RANDOM % 2 + 1 )) < /w/never > /dev/null || echo @@SLOW nc $?
        fi
    done
}
"""),
}


def virtio_blk(kver, dest):
    """Debian's virtio_blk.ko for @kver, decompressed to @dest."""
    subprocess.run(f"xz -dc /lib/modules/{kver}/kernel/drivers/block/virtio_blk.ko.xz "
                   f"> '{dest}'", shell=True, check=True)
    return dest


def record(workload, seconds, budget):
    """Boot the VM, run @workload under the kmem tracepoints for @seconds or
    until the buffers hold @budget events (then the workers end their round);
    return (the path of the raw disk holding the text trace, facts about the
    run as a dict)."""
    vmlinuz, kdir = vm.setup_kernel(KERNEL)
    kver = os.path.basename(kdir).removeprefix("linux-headers-")
    name = f"trace-{workload}"
    work = os.path.join(vm.CACHE, "vm", name)
    os.makedirs(work, exist_ok=True)
    mods = {"virtio_blk": virtio_blk(kver, os.path.join(work, "virtio_blk.ko"))}
    events = " ".join(EVENTS)
    body = (TRACE_SETUP.format(bufkb=BUFFER_KB, events=events, seconds=seconds)
            + WORKLOADS[workload][1] + TRACE_RUN.format(events=events, budget=budget))
    initrd = vm.make_initramfs(name, mods, body)
    disk = os.path.join(work, "trace.raw")
    with open(disk, "wb") as f:		# sparse zeros: the text ends at the first NUL
        f.truncate(DISK_BYTES)
    vm.log(f"booting {kver} ({vm.NCPUS} CPUs, {MEM_MB} MiB, TCG): {workload} workload "
           f"for {seconds} s or {budget} events")
    t0 = time.time()
    marks = {}

    def on_line(line):
        if line.startswith("@@") and not line.startswith("@@STATS"):
            marks.setdefault(line.split()[0], time.time() - t0)
            vm.log(f"  {time.time() - t0:6.1f} s  {line}")
    lines = vm.boot(vmlinuz, initrd, 4, None, 900 + 3 * seconds,
                    logfile=os.path.join(work, "console.log"), mem=str(MEM_MB),
                    extra=["-drive", f"file={disk},format=raw,if=virtio"],
                    on_line=on_line, cmdline="no_hash_pointers")
    elapsed = time.time() - t0
    errors = [x for x in lines if x.startswith("@@ERROR") or "@@TIMEOUT" in x
              or "Kernel panic" in x or "Oops" in x]
    if errors or "@@WRITTEN" not in lines:
        raise SystemExit("trace_record: the VM run failed (console in "
                         f"{work}/console.log):\n" + "\n".join(errors[:20]))
    stats = check_stats(lines)
    facts = {"kver": kver, "boot": marks.get("@@START", 0.0), "elapsed": elapsed,
             "entries": stats}
    vm.log(f"VM done in {elapsed:.0f} s (workload started {facts['boot']:.0f} s after "
           f"QEMU started); {stats} events in the ring buffers, none lost")
    return disk, facts


def check_stats(lines):
    """The per-CPU ring buffer stats the VM printed: fail loudly on any
    overrun or dropped event; return the number of entries in all buffers."""
    total, seen = 0, 0
    for line in lines:
        if not line.startswith("@@STATS"):
            continue
        seen += 1
        fields = dict((k.strip(), v.strip()) for k, v in
                      re.findall(r"([a-z ]+):\s*([0-9.]+)", line.split(" ", 2)[2]))
        for key in ("overrun", "commit overrun", "dropped events"):
            if int(fields.get(key, "0")):
                raise SystemExit(f"trace_record: events lost: {line}")
        total += int(fields["entries"])
    if seen != vm.NCPUS:
        raise SystemExit(f"trace_record: stats of {seen} CPUs, not {vm.NCPUS}")
    return total

# ------------------------------------------------------------------ conversion


LINE = re.compile(r"\[(\d+)\] \S+ +(\d+\.\d+): (kmalloc|kfree|kmem_cache_alloc|kmem_cache_free):"
                  r" (.*)$")
# call_site=%pS: "sym+0xoff/0xlen", " [module]" after it for a module's
# code, a bare 0x... address where there is no symbol
CALL_SITE = re.compile(r"call_site=(\S+)(?: \[(\S+)\])? ptr=")


def site_name(sym, module):
    """The site name of a call_site: the symbol without its /0x... length
    suffix, "[module]" appended without a space for a module's code."""
    sym = re.sub(r"/0x[0-9a-f]+$", "", sym)
    return sym + (f"[{module}]" if module else "")


def gfp_letters(gfp):
    """'k' or 'a' (direct reclaim or not), then 'z' for __GFP_ZERO, from the
    symbolic gfp_flags= of a kmalloc or kmem_cache_alloc line."""
    direct = zero = False
    for tok in gfp.split("|"):
        if tok.startswith("0x"):
            bits = int(tok, 16)
            direct |= bool(bits & GFP_DIRECT_RECLAIM_BIT)
            zero |= bool(bits & GFP_ZERO_BIT)
        elif tok == "__GFP_ZERO":
            zero = True
        elif tok in GFP_DIRECT:
            direct = True
        elif tok not in GFP_OTHER:
            raise SystemExit(f"trace_record: unknown gfp flag {tok!r} in {gfp!r}")
    return ("k" if direct else "a") + ("z" if zero else "")


def pointer(text):
    """A ptr= value as an int; NULL may print as (null)."""
    return 0 if text in ("(null)", "0") else int(text, 16)


def parse_trace(path):
    """The events of a text trace (up to the first NUL byte of @path) as
    tuples (timestamp, cpu, event, ptr, bytes_req, bytes_alloc, flags, name),
    sorted by timestamp, where name is the cache's name for kmem_cache_free
    and the call site's (site_name()) for an allocation; and the number of
    lines that are neither events nor comments (printed as warnings)."""
    events, odd = [], []
    with open(path, "rb") as f:
        for raw in f:
            end = raw.find(b"\0")
            if end >= 0:
                raw = raw[:end]
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if line and not line.startswith("#"):
                m = LINE.search(line)
                if not m:
                    odd.append(line)
                else:
                    cpu, ts, ev, rest = m.groups()
                    kv = dict(x.split("=", 1) for x in rest.split(" ") if "=" in x)
                    if ev in ("kmalloc", "kmem_cache_alloc"):
                        cs = CALL_SITE.match(rest)
                        if not cs:
                            raise SystemExit(f"trace_record: no call_site in {line!r}")
                        events.append((float(ts), int(cpu), ev, pointer(kv["ptr"]),
                                       int(kv["bytes_req"]), int(kv["bytes_alloc"]),
                                       gfp_letters(kv["gfp_flags"]), site_name(*cs.groups())))
                    else:
                        name = rest.split(" name=", 1)[1].replace(" ", "_") \
                            if ev == "kmem_cache_free" else None
                        events.append((float(ts), int(cpu), ev, pointer(kv["ptr"]), 0, 0,
                                       "-", name))
            if end >= 0:
                break
        else:
            raise SystemExit(f"trace_record: no end (NUL) in {path}: the disk was too small")
    for line in odd[:10]:
        vm.log(f"warning: not an event: {line}")
    events.sort(key=lambda e: e[0])	# stable: the file's order among equal stamps
    return events, len(odd)


def convert(events):
    """The mstat-trace body: (cache lines, site lines, event lines, counts
    dict, allocations per site name)."""
    live = {}		# ptr -> index in out of its allocation
    out = []		# [cpu, op, id, size, flags(, site)]; op 'c' is resolved below
    sites = {}		# call site name -> index, in order of first allocation
    per_site = collections.Counter()
    cache_of = {}	# index in out of a kmem_cache_alloc -> [bytes_req, bytes_alloc, name, site]
    count = collections.Counter()
    for ts, cpu, ev, ptr, req, alloc, flags, name in events:
        if ev in ("kmalloc", "kmem_cache_alloc"):
            if ptr in (0, ZERO_SIZE_PTR):
                count["failed"] += 1
                continue
            if ptr in live:
                count["realloc_live"] += 1
            count["allocs"] += 1
            live[ptr] = len(out)
            site = sites.setdefault(name, len(sites))
            per_site[name] += 1
            if ev == "kmalloc":
                out.append([cpu, "a", count["allocs"], req, flags, site])
            else:
                cache_of[len(out)] = [req, alloc, None, site]
                out.append([cpu, "c", count["allocs"], req, flags, site])
        else:
            at = live.pop(ptr, None)
            if at is None:
                count["untracked_frees"] += 1
                continue
            count["frees"] += 1
            if name is not None and at in cache_of:
                cache_of[at][2] = name
            out.append([cpu, "f" if ev == "kfree" else "F", out[at][2], 0, "-"])
    # a cache object's cache: the name its free gave, else the most common
    # name among the named objects of its call site and (bytes_req,
    # bytes_alloc), else of its (bytes_req, bytes_alloc) alone
    by_pair = collections.defaultdict(collections.Counter)
    by_site = collections.defaultdict(collections.Counter)
    for req, alloc, name, site in cache_of.values():
        if name:
            by_pair[(req, alloc)][name] += 1
            by_site[(site, req, alloc)][name] += 1
    index = {}
    for at in sorted(cache_of):
        req, alloc, name, site = cache_of[at]
        if not name:
            named = by_site.get((site, req, alloc))
            if named:
                count["cache_guessed_site"] += 1
            else:
                named = by_pair.get((req, alloc))
            name = named.most_common(1)[0][0] if named else f"size-{req}"
            count["cache_guessed"] += 1
        key = (name, req)
        if key not in index:
            index[key] = len(index)
        out[at][1] = f"c{index[key]}"
    caches = [f"cache {i} {req} {name}" for (name, req), i in index.items()]
    site_lines = [f"site {i} {name}" for name, i in sites.items()]
    count["events"] = len(out)
    count["live"] = len(live)
    count["caches"] = len(caches)
    count["sites"] = len(site_lines)
    return caches, site_lines, [" ".join(map(str, e)) for e in out], count, per_site


def write_trace(path, comments, caches, sites, lines):
    """The trace file, xz -9."""
    text = "\n".join(["# mstat-trace 1"] + ["# " + c for c in comments] + caches + sites
                     + lines) + "\n"
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    res = subprocess.run(["xz", "-9", "-T1", "-c"], input=text.encode(), stdout=subprocess.PIPE,
                         check=True)
    with open(path + ".tmp", "wb") as f:
        f.write(res.stdout)
    os.replace(path + ".tmp", path)
    return len(text), len(res.stdout)

# ------------------------------------------------------------------ verification


# what bench/mstat_replay.c takes: caches, sites, an object's size (the
# page allocator's largest block on x86_64: KMALLOC_MAX_SIZE), CPU numbers
MAX_CACHES, MAX_SITES, MAX_SIZE, MAX_CPU = 1024, 2048, 4 << 20, 65535


def number(text, limit=0xffffffff):
    """@text as a number if it is decimal digits and at most @limit, else None."""
    return int(text) if re.fullmatch(r"[0-9]{1,10}", text) and int(text) <= limit else None


def verify(path):
    """An independent check of a trace file: header, cache lines first with
    indexes 0.., then site lines with indexes 0.., ids dense from 1 and
    allocated once, each free of a live id, sizes and flags well formed, the
    call site (6th field) of either every allocation or none, and a site
    line's index, the counts in the comments right.  Returns
    a list of problems (empty: the trace is good).  @path: xz-compressed if
    it ends in .xz, plain text otherwise."""
    bad = []
    with (lzma.open(path, "rt") if path.endswith(".xz") else open(path)) as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or lines[0] != "# mstat-trace 1":
        return [f"{path}: first line is not '# mstat-trace 1'"]
    claimed, caches, live, freed = {}, {}, set(), set()
    next_id, n_events, n_allocs, n_frees = 1, 0, 0, 0
    n_sites, with_site, first_alloc = 0, None, None	# with_site: the first allocation's
    in_events = False
    for no, line in enumerate(lines[1:], 2):
        if len(bad) > 20:
            bad.append("... (stopped)")
            break
        f = line.split(" ")
        if line.startswith("#"):
            if in_events:
                bad.append(f"line {no}: comment after the events")
            m = re.fullmatch(r"# events (\d+)", line)
            if m:
                claimed["events"] = int(m.group(1))
            m = re.fullmatch(r"# allocs (\d+) frees (\d+) live-at-end (\d+)", line)
            if m:
                claimed["allocs"], claimed["frees"], claimed["live"] = map(int, m.groups())
            m = re.fullmatch(r"# sites (\d+)", line)
            if m:
                claimed["sites"] = int(m.group(1))
            continue
        if f[0] == "cache":
            if in_events or n_sites:
                bad.append(f"line {no}: cache line after the "
                           + ("events" if in_events else "site lines"))
            if (len(f) != 4 or number(f[1], MAX_CACHES - 1) != len(caches)
                    or not number(f[2], MAX_SIZE) or not f[3]):
                bad.append(f"line {no}: bad cache line: {line}")
                continue
            caches[int(f[1])] = int(f[2])
            continue
        if f[0] == "site":
            if in_events:
                bad.append(f"line {no}: site line after the events")
            if len(f) != 3 or number(f[1], MAX_SITES - 1) != n_sites or not f[2]:
                bad.append(f"line {no}: bad site line: {line}")
                continue
            n_sites += 1
            continue
        in_events = True
        n_events += 1
        if (len(f) not in (5, 6) or number(f[0], MAX_CPU) is None or not f[1]
                or number(f[2]) is None or number(f[3], MAX_SIZE) is None):
            bad.append(f"line {no}: bad event: {line}")
            continue
        op, oid, size, flags = f[1], int(f[2]), int(f[3]), f[4]
        if op == "a" or (op[0] == "c" and number(op[1:]) is not None):
            n_allocs += 1
            if with_site is None:
                with_site, first_alloc = len(f) == 6, no
            elif with_site != (len(f) == 6):
                bad.append(f"line {no}: an allocation " + ("with" if len(f) == 6 else "without")
                           + f" a call site, the first (line {first_alloc}) "
                           + ("with" if with_site else "without") + f": {line}")
            if len(f) == 6 and (number(f[5]) is None or int(f[5]) >= n_sites):
                bad.append(f"line {no}: no site {f[5]}: {line}")
            if oid != next_id:
                bad.append(f"line {no}: allocation id {oid}, expected {next_id}")
            next_id = max(next_id, oid) + 1
            live.add(oid)
            if flags not in ("k", "kz", "a", "az"):
                bad.append(f"line {no}: bad flags: {line}")
            if op[0] == "c":
                ci = int(op[1:])
                if ci not in caches:
                    bad.append(f"line {no}: no cache {ci}: {line}")
                elif size != caches[ci]:
                    bad.append(f"line {no}: size {size} is not cache {ci}'s {caches[ci]}")
        elif op in ("f", "F"):
            n_frees += 1
            if len(f) != 5:
                bad.append(f"line {no}: a free has 5 fields: {line}")
            if oid not in live:
                bad.append(f"line {no}: free of id {oid} that is not live"
                           + (" (freed before)" if oid in freed else ""))
            live.discard(oid)
            freed.add(oid)
            if size != 0 or flags != "-":
                bad.append(f"line {no}: a free's size and flags are 0 and '-': {line}")
        else:
            bad.append(f"line {no}: bad op: {line}")
    real = {"events": n_events, "allocs": n_allocs, "frees": n_frees, "live": len(live)}
    if n_sites or "sites" in claimed:
        real["sites"] = n_sites
    for k, v in real.items():
        if claimed.get(k) != v:
            bad.append(f"comment count {k} {claimed.get(k)}, counted {v}")
    if n_sites and with_site is False:
        bad.append(f"{n_sites} site lines but no allocation has a call site")
    return bad


def main():
    """Command line: record a trace, or --verify one."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workload", choices=sorted(WORKLOADS))
    ap.add_argument("--seconds", type=int, default=SECONDS,
                    help=f"the most the workload runs (default {SECONDS})")
    ap.add_argument("--events", type=int, default=BUDGET,
                    help=f"stop the workload at about this many events (default {BUDGET})")
    ap.add_argument("--out")
    ap.add_argument("--verify", metavar="FILE", help="check a trace file and exit")
    args = ap.parse_args()
    if args.verify:
        bad = verify(args.verify)
        for b in bad:
            print(f"{args.verify}: {b}")
        print(f"{args.verify}: {'BAD' if bad else 'ok'}")
        return 1 if bad else 0
    if not args.workload:
        ap.error("--workload or --verify is needed")
    out = args.out or os.path.join(vm.ROOT, "bench", "traces", f"{args.workload}.trace.xz")
    disk, facts = record(args.workload, args.seconds, args.events)
    events, odd = parse_trace(disk)
    if len(events) != facts["entries"]:
        raise SystemExit(f"trace_record: {len(events)} events in the text trace, "
                         f"{facts['entries']} in the ring buffers")
    if odd:
        vm.log(f"warning: {odd} lines of the text trace are neither events nor comments")
    caches, sites, lines, n, per_site = convert(events)
    span = events[-1][0] - events[0][0] if events else 0.0
    cmd = "scripts/trace_record.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    comments = [
        f"recorded {time.strftime('%Y-%m-%d')} by {cmd}",
        f"kernel: Debian {facts['kver']} in QEMU TCG -smp {vm.NCPUS} -m {MEM_MB}, "
        f"trace_clock global, tracepoints kmem:{' kmem:'.join(EVENTS)}",
        f"workload {args.workload}: {WORKLOADS[args.workload][0]}; ran {span:.1f} s (first to "
        f"last event; at most {args.seconds} s, stopping at about {args.events} events)",
        f"tracepoint events {len(events)}, none lost; dropped: {n['untracked_frees']} frees "
        f"of pointers not allocated in the trace (or NULL), {n['failed']} allocations "
        f"returning NULL or ZERO_SIZE_PTR (failed, or of size 0); {n['realloc_live']} allocations of a pointer still live (an "
        "untraced free: its old id stays live)",
        f"{n['caches']} caches; {n['cache_guessed']} cache allocations never freed by "
        f"kmem_cache_free named by their call site and (bytes_req, bytes_alloc) "
        f"({n['cache_guessed_site']}), else by their (bytes_req, bytes_alloc)",
        f"events {n['events']}",
        f"allocs {n['allocs']} frees {n['frees']} live-at-end {n['live']}",
        f"sites {n['sites']}",
    ]
    size, packed = write_trace(out, comments, caches, sites, lines)
    for c in comments:
        vm.log(c)
    vm.log(f"wrote {out}: {n['events']} events, {size} bytes, {packed} compressed")
    vm.log(f"{n['sites']} call sites; the most allocating:")
    for name, k in per_site.most_common(10):
        vm.log(f"  {k:8d}  {name}")
    if packed > MAX_XZ:
        raise SystemExit(f"trace_record: {out} is {packed} bytes compressed, over "
                         f"{MAX_XZ}: use fewer --events")
    bad = verify(out)
    if bad:
        raise SystemExit("trace_record: the trace fails --verify:\n" + "\n".join(bad))
    vm.log(f"{out} verified")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Run mstat for real in a throwaway VM: QEMU (TCG, -smp 4) booting Debian's
own kernel with a busybox initramfs, mstat.ko and its clients built against
that kernel's headers.

  mstat_vm.py demo [--kernel 6.1|6.12]   the demo a person watches
  mstat_vm.py e2e  [--kernel 6.1 6.12]   the end-to-end tests

Packages (qemu-system-x86, busybox-static, the kernel images and headers)
are installed from Debian on first use; builds go to $MSTAT_CACHE/vm.
"""
import argparse
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import time
from collections import deque

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.environ.get("MSTAT_CACHE", os.path.expanduser("~/.cache/mstat"))
KERNELS = {  # name: (image meta package, headers meta package)
    "6.1": ("linux-image-cloud-amd64", "linux-headers-cloud-amd64"),
    "6.12": ("linux-image-6.12-cloud-amd64", "linux-headers-6.12-cloud-amd64"),
}
NCPUS = 4


def log(msg):
    print(f"[mstat] {msg}", file=sys.stderr, flush=True)


def lib(call):
    """Run a function of scripts/lib.sh and return what it prints."""
    out = subprocess.run(["bash", "-c", f'. "{ROOT}/scripts/lib.sh" && {call}'],
                         stdout=subprocess.PIPE, check=True, text=True)
    return out.stdout.strip()


def setup_kernel(name):
    image_meta, headers_meta = KERNELS[name]
    lib("mstat_need qemu-system-x86 busybox-static cpio build-essential")
    vmlinuz = lib(f"mstat_image_path {image_meta}")
    kdir = lib(f"mstat_headers_dir {headers_meta}")
    return vmlinuz, kdir


def make(args, what):
    res = subprocess.run(["make"] + args, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    if res.returncode:
        sys.stdout.write(res.stdout)
        raise SystemExit(f"mstat: building {what} failed")


def build_modules(name, kdir):
    """mstat.ko, the sample client and the e2e client, for one kernel."""
    src = os.path.join(CACHE, "vm", name, "src")
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".git", "*.o", "*.ko"))
    log(f"building mstat.ko and its clients against {kdir}")
    make(["-C", kdir, f"M={src}", "modules"], "mstat.ko")
    symvers = os.path.join(src, "Module.symvers")
    mods = {"mstat": os.path.join(src, "mstat.ko")}
    for mod, sub in (("mstat_client", "samples/mstat_client"), ("mstat_e2e", "tests"),
                     ("mstat_bench", "bench")):
        d = os.path.join(src, sub)
        make(["-C", kdir, f"M={d}", f"MSTAT_DIR={src}",
              f"KBUILD_EXTRA_SYMBOLS={symvers}", "modules"], mod)
        mods[mod] = os.path.join(d, mod + ".ko")
    check = os.path.join(src, "tools", "mstat_check")
    res = subprocess.run(["gcc", "-O2", "-Wall", "-static", "-o", check, check + ".c"])
    if res.returncode:
        raise SystemExit("mstat: building tools/mstat_check failed")
    mods["mstat_check"] = check
    return mods


INIT_HEAD = """#!/bin/sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
"""


def make_initramfs(name, mods, init_body):
    root = os.path.join(CACHE, "vm", name, "initramfs")
    shutil.rmtree(root, ignore_errors=True)
    for d in ("bin", "lib", "proc", "sys", "dev", "tmp"):
        os.makedirs(os.path.join(root, d))
    shutil.copy("/bin/busybox", os.path.join(root, "bin", "busybox"))
    os.symlink("busybox", os.path.join(root, "bin", "sh"))
    # the kernel opens /dev/console for init before anything is mounted
    os.mknod(os.path.join(root, "dev", "console"), stat.S_IFCHR | 0o600, os.makedev(5, 1))
    for mod, path in mods.items():
        if path.endswith(".ko"):
            shutil.copy(path, os.path.join(root, "lib", mod + ".ko"))
        else:
            shutil.copy(path, os.path.join(root, "bin", mod))
    init = os.path.join(root, "init")
    with open(init, "w") as f:
        f.write(INIT_HEAD + init_body + "\nsync\npoweroff -f\n")
    os.chmod(init, 0o755)
    image = os.path.join(CACHE, "vm", name, "initramfs.cpio.gz")
    subprocess.run(f"cd '{root}' && find . | cpio -o -H newc --quiet | gzip -1 > '{image}'",
                   shell=True, check=True)
    return image


def boot(vmlinuz, initrd, loglevel, echo, timeout, logfile=None, smp=NCPUS, mem="1024",
         extra=(), on_line=None):
    """Boot, return the console output as lines (also written to @logfile).
    @extra: more QEMU arguments; @on_line: called with each line as it comes."""
    cmd = ["qemu-system-x86_64", "-accel", "tcg,thread=multi", "-smp", str(smp),
           "-m", str(mem), "-display", "none", "-monitor", "none", "-serial", "stdio",
           "-no-reboot", "-kernel", vmlinuz, "-initrd", initrd,
           "-append", f"console=ttyS0 panic=-1 loglevel={loglevel} rdinit=/init", *extra]
    lines = []
    out = open(logfile, "w") if logfile else None
    proc = subprocess.Popen(["timeout", "-s", "KILL", str(timeout)] + cmd,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, errors="replace")
    try:
        for line in proc.stdout:
            line = line.rstrip("\r\n").replace("\r", "")
            lines.append(line)
            if out:
                out.write(line + "\n")
                out.flush()
            if echo:
                echo(line)
            if on_line:
                on_line(line)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if out:
            out.close()
    if proc.returncode == 137:	# timeout(1) killed QEMU
        lines.append(f"@@TIMEOUT: killed after {timeout} s")
    return lines


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


# ---------------------------------------------------------------- the demo

def demo_script():
    return """
step() { echo; echo "=== $* ==="; sleep 0.2; }
echo; echo "mstat demo: Linux $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs"
step "insmod mstat.ko"
insmod /lib/mstat.ko && dmesg | grep 'mstat:' | tail -n 2
step "insmod mstat_client.ko: every online CPU allocates 64 objects (16 B to 40 KB) and frees 16, the next CPU frees 16 more, 32 stay until unload"
insmod /lib/mstat_client.ko && dmesg | grep 'mstat_client:'
step "cat /proc/mstat"
echo "@@SNAP before"; cat /proc/mstat; echo "@@END"
step "take CPUs 2 and 3 offline (echo 0 > /sys/devices/system/cpu/cpuN/online)"
echo 0 > /sys/devices/system/cpu/cpu2/online
echo 0 > /sys/devices/system/cpu/cpu3/online
grep -H . /sys/devices/system/cpu/cpu[0-3]/online 2>/dev/null
step "cat /proc/mstat: CPUs 2 and 3 donated their counters to CPU 0, totals unchanged"
echo "@@SNAP after"; cat /proc/mstat; echo "@@END"
step "bring CPUs 2 and 3 back online"
echo 1 > /sys/devices/system/cpu/cpu2/online
echo 1 > /sys/devices/system/cpu/cpu3/online
grep -H . /sys/devices/system/cpu/cpu[0-3]/online 2>/dev/null
step "rmmod mstat_client mstat"
rmmod mstat_client && dmesg | grep 'mstat_client: freeing'
grep -E '^(nmalloc|nfree|live_objects|alloc_bytes|sys_bytes) ' /proc/mstat
rmmod mstat && echo "mstat unloaded; /proc/mstat is gone: $(ls /proc/mstat 2>&1)"
dmesg | grep -E 'mstat: unloading|WARNING|BUG' || echo "kernel log: no warnings"
step "power off"
"""


TOTALS = ("nmalloc", "nfree", "live_objects", "alloc_bytes", "total_alloc_bytes",
          "total_free_bytes", "large_nmalloc", "large_nfree", "large_alloc_bytes")


def demo(args):
    name = args.kernel[0]
    vmlinuz, kdir = setup_kernel(name)
    mods = build_modules(name, kdir)
    initrd = make_initramfs(name, mods, demo_script())
    log(f"booting {os.path.basename(vmlinuz)} with -smp {NCPUS} under QEMU (TCG)")

    def show(line):
        if not line.startswith("@@"):
            print(line, flush=True)

    start = time.monotonic()
    lines = boot(vmlinuz, initrd, 1, show, 300)
    snaps = snapshots(lines)
    print()
    if "before" not in snaps or "after" not in snaps:
        print("demo: the VM did not get as far as both reads of /proc/mstat")
        return 1
    b, a = snaps["before"], snaps["after"]
    same = all(b.totals[k] == a.totals[k] for k in TOTALS)
    print("=== what changed across the offline ===")
    for k in ("nmalloc", "nfree", "alloc_bytes", "cpu_donations"):
        print(f"  {k:14} {b.totals[k]:>10} -> {a.totals[k]:>10}")
    for c in (0, 2, 3):
        print(f"  cpu{c} nmalloc  {b.cpu(c, 'nmalloc'):>10} -> {a.cpu(c, 'nmalloc'):>10}")
    print(f"demo: totals {'unchanged' if same else 'CHANGED'} across the offline; "
          f"{time.monotonic() - start:.0f} s in the VM")
    return 0 if same else 1


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
CHECK_SECONDS = 20
CHECK_READS = 10000


def e2e_script():
    s = ["ctl() { echo \"$*\" > /proc/mstat_e2e || echo \"@@CMDFAIL $*\"; }",
         "snap() { echo \"@@SNAP $1\"; cat /proc/mstat; echo \"@@END\"; }",
         "insmod /lib/mstat.ko || echo '@@FAIL insmod mstat'",
         "insmod /lib/mstat_e2e.ko || echo '@@FAIL insmod mstat_e2e'",
         "echo \"@@MODE $(stat -c %a /proc/mstat)\"",
         "snap s0"]
    s += [f"ctl alloc {c} {n} {size}" for c, n, size in ACCOUNT_ALLOCS]
    s.append("snap s1")
    s += [f"ctl free {c} {n}" for c, n in ACCOUNT_FREES]
    s.append("snap s2")
    for r in range(DONATION_ROUNDS):
        for c in (1, 2, 3):
            s += [f"echo 0 > /sys/devices/system/cpu/cpu{c}/online", f"snap off{r}.{c}"]
        for c in (1, 2, 3):
            s += [f"echo 1 > /sys/devices/system/cpu/cpu{c}/online", f"snap on{r}.{c}"]
    s += ["ctl free 2 all", "snap s3",
          f"ctl stress_start {NCPUS}", "sleep 1", "snap s4",
          "i=0",
          f"while [ $i -lt {HOTPLUG_CYCLES} ]; do",
          "  c=$((i % 3 + 1))",
          "  echo 0 > /sys/devices/system/cpu/cpu$c/online || echo @@CMDFAIL offline",
          "  sleep 0.05",
          "  echo 1 > /sys/devices/system/cpu/cpu$c/online || echo @@CMDFAIL online",
          "  i=$((i + 1))",
          "  echo \"@@CYCLE $i\"",
          "done",
          "ctl stress_stop", "snap s5",
          # consistent reads under cross-CPU churn, then with hotplug too
          f"ctl stress_start {NCPUS}",
          f"mstat_check -t {CHECK_SECONDS} -n {CHECK_READS}; echo \"@@CHECK churn rc=$?\"",
          "touch /tmp/hotplug",
          "( i=0; while [ -e /tmp/hotplug ]; do c=$((i % 3 + 1));"
          " echo 0 > /sys/devices/system/cpu/cpu$c/online;"
          " echo 1 > /sys/devices/system/cpu/cpu$c/online; i=$((i + 1)); done;"
          " echo \"@@HOTPLUG_CYCLES $i\" ) &",
          f"mstat_check -t {CHECK_SECONDS} -n {CHECK_READS}; echo \"@@CHECK hotplug rc=$?\"",
          "rm /tmp/hotplug", "wait",
          "ctl stress_stop", "snap s6",
          "echo @@E2E; cat /proc/mstat_e2e; echo @@END",
          "rmmod mstat_e2e || echo '@@FAIL rmmod mstat_e2e'",
          "rmmod mstat || echo '@@FAIL rmmod mstat'",
          "echo @@DMESG1; dmesg; echo @@END",
          "dmesg -c > /dev/null",
          "insmod /lib/mstat.ko && insmod /lib/mstat_e2e.ko",
          "ctl alloc 1 10 100", "ctl alloc 2 3 50000", "ctl leak",
          "rmmod mstat_e2e || echo '@@FAIL rmmod mstat_e2e (leak)'",
          "rmmod mstat || echo '@@FAIL rmmod mstat (leak)'",
          "[ -e /proc/mstat ] && echo '@@FAIL /proc/mstat still there'",
          "echo @@DMESG2; dmesg; echo @@END",
          "echo @@ALIVE"]
    return "\n".join(s)


class Checks:
    def __init__(self, kernel):
        self.kernel, self.results = kernel, []

    def run(self, name, fn):
        errors = []
        try:
            fn(errors)
        except (KeyError, IndexError, TypeError) as e:
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
            expect(errors, f"{what}: cpu_donations", prev.totals["cpu_donations"] + 1,
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
    expect(errors, "cpu_donations during the run", HOTPLUG_CYCLES,
           s5.totals["cpu_donations"] - s3.totals["cpu_donations"])
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
    m = re.match(r"mstat_check: reads (\d+) violations (\d+)", results[idx])
    reads, violations = int(m.group(1)), int(m.group(2))
    print(f"      {phase}: {reads} reads of /proc/mstat, {violations} violations")
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
    expect(errors, "/proc/mstat mode", ["444"], mode)
    for name, s in snaps.items():
        for p in s.problems:
            errors.append(f"read {name}: {p}")
        expect(errors, f"read {name}: cpu rows", NCPUS, len(s.cpus))


# ---------------------------------------------------------------- mistakes

MISTAKES = ("repro", "double_cross", "double_pool", "double_large", "interior",
            "write_after_free")
# What each kind of report says (mstat_core.c), and how often the mistakes
# above must produce it: once as a WARNING, then rate-limited lines.
MISTAKE_REPORTS = {
    "double free: the object is already free": ("double_frees", 3),
    "not an object mstat allocated": ("bad_pointers", 3),
    "free object written to after its free": ("write_after_free", 1),
}


def mistakes_script():
    s = ["ctl() { echo \"$*\" > /proc/mstat_e2e || echo \"@@CMDFAIL $*\"; }",
         "snap() { echo \"@@SNAP $1\"; cat /proc/mstat; echo \"@@END\"; }",
         "insmod /lib/mstat.ko || echo '@@FAIL insmod mstat'",
         "insmod /lib/mstat_e2e.ko || echo '@@FAIL insmod mstat_e2e'",
         "snap m0"]
    s += [f"ctl mistake {m}" for m in MISTAKES]
    s += ["snap m1",
          # the allocator still works: distinct objects, contents intact
          "ctl alloc 0 300 96", "ctl alloc 1 300 64", "ctl alloc 2 100 256",
          "ctl alloc 3 5 50000", "ctl free 3 all", "snap m2",
          f"ctl stress_start {NCPUS}",
          "mstat_check -t 5 -n 200; echo \"@@CHECK mistakes rc=$?\"",
          "ctl stress_stop",
          "echo @@E2E; cat /proc/mstat_e2e; echo @@END",
          "rmmod mstat_e2e || echo '@@FAIL rmmod mstat_e2e'",
          "rmmod mstat || echo '@@FAIL rmmod mstat'",
          "echo @@DMESG1; dmesg; echo @@END",
          "echo @@ALIVE"]
    return "\n".join(s)


def check_mistakes_refused(errors, snaps, lines):
    m0, m1, m2 = snaps["m0"], snaps["m1"], snaps["m2"]
    e2e = dict(line.split() for line in block(lines, "@@E2E") if len(line.split()) == 2)
    expect(errors, "mistakes made", str(len(MISTAKES)), e2e.get("mistakes_run"))
    # repro, double_pool, write_after_free: the next two allocations distinct
    expect(errors, "allocations after a mistake that were distinct", "3",
           e2e.get("mistakes_distinct"))
    for field, n in MISTAKE_REPORTS.values():
        expect(errors, f"{field} delta", n, m1.totals[field] - m0.totals[field])
    # every refused free left the counters alone; the one withdrawn object
    # (written after its free) counts as allocated, to nobody
    expect(errors, "live_objects delta", 1, m1.totals["live_objects"] - m0.totals["live_objects"])
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
    # the withdrawn object stays allocated: one page of the 64-byte class
    want = "unloading with 1 live objects (1 small, 0 large); leaving their 1 pages allocated"
    if not any(want in line for line in log):
        errors.append(f"unload: expected '{want}', read {[x for x in log if 'unloading' in x]}")
    if "@@ALIVE" not in lines:
        errors.append("the VM did not survive the unload")


def e2e_mistakes(name, vmlinuz, mods, checks):
    initrd = make_initramfs(name, mods, mistakes_script())
    log(f"e2e: client mistakes, booting {os.path.basename(vmlinuz)} with -smp {NCPUS}")
    logfile = os.path.join(CACHE, "vm", name, "e2e-mistakes-console.log")
    lines = boot(vmlinuz, initrd, 1, None, 300, logfile)
    snaps = snapshots(lines)
    fails = [line for line in lines if line.startswith(("@@FAIL", "@@CMDFAIL", "@@TIMEOUT"))]
    checks.run("mistakes: boot and commands", lambda e: e.extend(fails))
    checks.run("mistakes: every one refused, counters true",
               lambda e: check_mistakes_refused(e, snaps, lines))
    checks.run("mistakes: allocator sound afterwards",
               lambda e: check_mistakes_after(e, snaps, lines))
    checks.run("mistakes: kernel log holds exactly the reports",
               lambda e: check_mistakes_log(e, lines))
    return logfile


# ---------------------------------------------------------------- reclaim

BURST = [(64, 256), (512, 256), (4000, 256), (20000, 256), (100000, 64)]
FRAG_TRIES = 64
HELD_MAX = 256 * 1024


def reclaim_script():
    burst = []
    for c in range(NCPUS):
        burst += [f"ctl alloc {c} {n} {size}" for size, n in BURST]
    for c in range(NCPUS):
        burst.append(f"ctl free {c} {sum(n for _, n in BURST)}")
    s = ["ctl() { echo \"$*\" > /proc/mstat_e2e || echo \"@@CMDFAIL $*\"; }",
         "snap() { echo \"@@SNAP $1\"; cat /proc/mstat; echo \"@@END\"; }",
         "insmod /lib/mstat.ko idle_ms=0 || echo '@@FAIL insmod mstat'",
         "insmod /lib/mstat_e2e.ko || echo '@@FAIL insmod mstat_e2e'",
         "snap r0"] + burst + [
         "snap r1",
         # memory pressure, idle reclaim off: only the shrinker gives back
         "ctl pressure", "snap r2",
         "echo 2000 > /sys/module/mstat/parameters/idle_ms"] + burst + [
         "snap r3", "sleep 10", "snap r4",
         f"ctl frag {FRAG_TRIES}",
         "echo @@E2E; cat /proc/mstat_e2e; echo @@END",
         "rmmod mstat_e2e || echo '@@FAIL rmmod mstat_e2e'",
         "rmmod mstat || echo '@@FAIL rmmod mstat'",
         "echo @@DMESG1; dmesg; echo @@END"]
    return "\n".join(s)


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


def e2e_reclaim(name, vmlinuz, mods, checks):
    initrd = make_initramfs(name, mods, reclaim_script())
    log(f"e2e: reclaim, booting {os.path.basename(vmlinuz)} with -smp {NCPUS} -m 512")
    logfile = os.path.join(CACHE, "vm", name, "e2e-reclaim-console.log")
    lines = boot(vmlinuz, initrd, 1, None, 300, logfile, mem="512")
    snaps = snapshots(lines)
    fails = [line for line in lines if line.startswith(("@@FAIL", "@@CMDFAIL", "@@TIMEOUT"))]
    checks.run("reclaim: boot and commands", lambda e: e.extend(fails))
    checks.run("reclaim: memory pressure gives the burst back",
               lambda e: check_reclaim(e, snaps, lines, "pressure"))
    checks.run("reclaim: 10 s idle give the burst back",
               lambda e: check_reclaim(e, snaps, lines, "idle"))
    checks.run("reclaim: GFP_ATOMIC 24 KiB in fragmented memory, as kmalloc",
               lambda e: check_frag(e, lines))
    checks.run("reclaim: kernel log clean", lambda e: check_kernel_log(e, lines))
    return logfile


# ---------------------------------------------------------------- memory hot-add

def qmp(path, *cmds):
    """Send QMP commands to a running QEMU; return the first error, or None."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(60)
        s.connect(path)
        f = s.makefile("rw")
        json.loads(f.readline())		# the greeting
        for c in ({"execute": "qmp_capabilities"},) + cmds:
            f.write(json.dumps(c) + "\n")
            f.flush()
            while True:			# skip events until the answer
                r = json.loads(f.readline())
                if "return" in r or "error" in r:
                    break
            if "error" in r:
                return r["error"]
    return None


HOTADD_MB = 512
HOTADD_LARGE = 5000		# 100000-byte objects, 25 pages each: more than was free
HOTADD_SMALL = 20000		# 2000-byte objects


def hotadd_script():
    mem = "/sys/devices/system/memory"
    s = ["ctl() { echo \"$*\" > /proc/mstat_e2e || echo \"@@CMDFAIL $*\"; }",
         "snap() { echo \"@@SNAP $1\"; cat /proc/mstat; echo \"@@END\"; }",
         "insmod /lib/mstat.ko || echo '@@FAIL insmod mstat'",
         "insmod /lib/mstat_e2e.ko || echo '@@FAIL insmod mstat_e2e'",
         f"n0=$(ls -d {mem}/memory* | wc -l)",
         "echo @@HOTPLUG_NOW",
         f"i=0; while [ $(ls -d {mem}/memory* | wc -l) -le $n0 ] && [ $i -lt 600 ]; do "
         "sleep 0.1; i=$((i + 1)); done",
         f"for m in {mem}/memory*; do [ \"$(cat $m/state)\" = offline ] && "
         "{ echo online_kernel > $m/state || echo \"@@CMDFAIL online $m\"; }; done",
         f"echo \"@@BLOCKS $n0 $(ls -d {mem}/memory* | wc -l) "
         f"$(grep -l online {mem}/memory*/state | wc -l)\"",
         "grep MemTotal /proc/meminfo",
         "snap h0",
         f"ctl alloc 0 {HOTADD_LARGE} 100000", f"ctl alloc 1 {HOTADD_SMALL} 2000",
         "snap h1",
         "echo @@E2E; cat /proc/mstat_e2e; echo @@END",
         "ctl free 2 all", "snap h2",
         "echo @@E2E2; cat /proc/mstat_e2e; echo @@END",
         "rmmod mstat_e2e || echo '@@FAIL rmmod mstat_e2e'",
         "rmmod mstat || echo '@@FAIL rmmod mstat'",
         "echo @@DMESG1; dmesg; echo @@END"]
    return "\n".join(s)


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


def e2e_hotadd(name, vmlinuz, mods, checks):
    initrd = make_initramfs(name, mods, hotadd_script())
    sock = os.path.join(CACHE, "vm", name, "qmp.sock")
    if os.path.exists(sock):
        os.unlink(sock)
    log(f"e2e: memory hot-add, booting {os.path.basename(vmlinuz)} with "
        f"-m 512M,slots=2,maxmem=2G")
    logfile = os.path.join(CACHE, "vm", name, "e2e-hotadd-console.log")
    err = []

    def on_line(line):
        if line != "@@HOTPLUG_NOW":
            return
        try:
            err.append(qmp(sock,
                           {"execute": "object-add",
                            "arguments": {"qom-type": "memory-backend-ram", "id": "mem1",
                                          "size": HOTADD_MB << 20}},
                           {"execute": "device_add",
                            "arguments": {"driver": "pc-dimm", "id": "dimm1",
                                          "memdev": "mem1"}}))
        except (OSError, ValueError) as e:
            err.append(f"QMP failed: {e!r}")

    lines = boot(vmlinuz, initrd, 1, None, 400, logfile, mem="512M,slots=2,maxmem=2G",
                 extra=("-qmp", f"unix:{sock},server=on,wait=off"), on_line=on_line)
    snaps = snapshots(lines)
    fails = [line for line in lines if line.startswith(("@@FAIL", "@@CMDFAIL", "@@TIMEOUT"))]
    checks.run("memory hot-add: boot and commands", lambda e: e.extend(fails))
    checks.run("memory hot-add: objects in the new memory",
               lambda e: check_hotadd(e, snaps, lines, err[0] if err else "no hot-add"))
    checks.run("memory hot-add: kernel log clean", lambda e: check_kernel_log(e, lines))
    return logfile


def e2e_kernel(name):
    vmlinuz, kdir = setup_kernel(name)
    mods = build_modules(name, kdir)
    initrd = make_initramfs(name, mods, e2e_script())
    log(f"e2e: booting {os.path.basename(vmlinuz)} with -smp {NCPUS}")
    logfile = os.path.join(CACHE, "vm", name, "e2e-console.log")
    lines = boot(vmlinuz, initrd, 1, None, 420, logfile)
    snaps = snapshots(lines)
    checks = Checks(name)
    fails = [line for line in lines if line.startswith(("@@FAIL", "@@CMDFAIL", "@@TIMEOUT"))]
    checks.run("boot and commands", lambda e: e.extend(fails))
    checks.run("exact accounting", lambda e: check_accounting(e, snaps))
    checks.run("donation on offline/online", lambda e: check_donation(e, snaps))
    checks.run("hotplug under load", lambda e: check_stress(e, snaps, lines))
    checks.run("consistent reads under cross-CPU churn",
               lambda e: check_consistency(e, lines, snaps, "churn"))
    checks.run("consistent reads under churn and hotplug",
               lambda e: check_consistency(e, lines, snaps, "hotplug"))
    checks.run("unload", lambda e: check_unload(e, lines))
    checks.run("/proc/mstat mode and format", lambda e: check_proc(e, lines, snaps))
    checks.run("kernel log clean", lambda e: check_kernel_log(e, lines))
    logfile2 = e2e_mistakes(name, vmlinuz, mods, checks)
    logfile3 = e2e_reclaim(name, vmlinuz, mods, checks)
    logfile4 = e2e_hotadd(name, vmlinuz, mods, checks)
    if not all(checks.results):
        print(f"      console logs: {logfile}, {logfile2}, {logfile3}, {logfile4}")
    return checks.results


def e2e(args):
    results = []
    for name in args.kernel:
        results += e2e_kernel(name)
    passed = sum(results)
    print(f"e2e: {passed} passed, {len(results) - passed} failed")
    return 0 if all(results) and results else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=("demo", "e2e"))
    ap.add_argument("--kernel", nargs="+", choices=sorted(KERNELS), default=None)
    args = ap.parse_args()
    if args.kernel is None:
        args.kernel = ["6.1"] if args.mode == "demo" else ["6.1", "6.12"]
    return demo(args) if args.mode == "demo" else e2e(args)


if __name__ == "__main__":
    sys.exit(main())

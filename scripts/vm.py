#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The machinery that runs mstat in a throwaway VM: Debian's kernel images and
headers installed from the meta packages, mstat.ko and its clients built
against them, a busybox initramfs around a test script, QEMU (TCG) booted
with it, its console read line by line, QMP for what the host does to the VM
meanwhile.  It judges nothing: scripts/e2e_checks.py does.
"""
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.environ.get("MSTAT_CACHE", os.path.expanduser("~/.cache/mstat"))
KERNELS = {  # name: (image meta package, headers meta package)
    "6.1": ("linux-image-cloud-amd64", "linux-headers-cloud-amd64"),
    "6.12": ("linux-image-6.12-cloud-amd64", "linux-headers-6.12-cloud-amd64"),
    "6.12-rt": ("linux-image-6.12-rt-amd64", "linux-headers-6.12-rt-amd64"),
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
    """mstat.ko, the sample client, the e2e client, the drop-in test, the
    benchmark and the trace replayer, and the user-space tools, for one
    kernel."""
    src = os.path.join(CACHE, "vm", name, "src")
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".git", "*.o", "*.ko"))
    log(f"building mstat.ko and its clients against {kdir}")
    make(["-C", kdir, f"M={src}", "modules"], "mstat.ko")
    symvers = os.path.join(src, "Module.symvers")
    mods = {"mstat": os.path.join(src, "mstat.ko")}
    for mod, sub in (("mstat_client", "samples/mstat_client"), ("mstat_e2e", "tests"),
                     ("mstat_dropin", "tests/dropin"), ("mstat_bench", "bench")):
        d = os.path.join(src, sub)
        make(["-C", kdir, f"M={d}", f"MSTAT_DIR={src}",
              f"KBUILD_EXTRA_SYMBOLS={symvers}", "modules"], mod)
        mods[mod] = os.path.join(d, mod + ".ko")
    mods["mstat_replay"] = os.path.join(src, "bench", "mstat_replay.ko")	# bench/'s second
    for tool in ("mstat_check", "mstat"):	# user space, static for busybox
        path = os.path.join(src, "tools", tool)
        res = subprocess.run(["gcc", "-O2", "-Wall", "-static", "-o", path, path + ".c"])
        if res.returncode:
            raise SystemExit(f"mstat: building tools/{tool} failed")
        mods[f"tools/{tool}"] = path
    return mods


# Code from linux-source-6.12 no one here wrote, built out of tree on mstat
# by the drop-in header alone: (directory, its files, its Kbuild lines).
# Debian's 6.12 builds none of them, so no copy of their symbols is in the
# kernel.
FOREIGN = {
    "minix": ("fs/minix", ("*.c", "*.h"),
              ["obj-m += minix.o",
               "minix-objs := bitmap.o itree_v1.o itree_v2.o namei.o inode.o file.o dir.o"]),
    "objagg": ("lib", ("objagg.c", "test_objagg.c"), ["obj-m += objagg.o test_objagg.o"]),
}


def build_foreign(name, kdir, mstat_src):
    """FOREIGN's modules against @kdir with ccflags "-include mstat_slab.h",
    Debian's loop.ko for this kernel, and a minix file system image:
    {module or file name: path}."""
    import glob
    tree = lib("mstat_kernel_source")
    out = {}
    for what, (sub, pats, kbuild) in FOREIGN.items():
        d = os.path.join(CACHE, "vm", name, "foreign", what)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for pat in pats:
            for f in glob.glob(os.path.join(tree, sub, pat)):
                shutil.copy(f, d)
        with open(os.path.join(d, "Kbuild"), "w") as f:
            f.write("\n".join(kbuild + [
                f"ccflags-y += -I{mstat_src}/include -include {mstat_src}/include/mstat_slab.h"])
                    + "\n")
        log(f"building {sub} from linux-source-6.12 on mstat's drop-in header")
        make(["-C", kdir, f"M={d}", f"KBUILD_EXTRA_SYMBOLS={mstat_src}/Module.symvers",
              "modules"], sub)
        for ko in glob.glob(os.path.join(d, "*.ko")):
            out[os.path.basename(ko)[:-3]] = ko
    kver = os.path.basename(kdir).removeprefix("linux-headers-")
    loop = os.path.join(CACHE, "vm", name, "foreign", "loop.ko")
    subprocess.run(f"xz -dc /lib/modules/{kver}/kernel/drivers/block/loop.ko.xz > '{loop}'",
                   shell=True, check=True)
    out["loop"] = loop
    img = os.path.join(CACHE, "vm", name, "foreign", "minix.img")
    subprocess.run(["dd", "if=/dev/zero", f"of={img}", "bs=1M", "count=48", "status=none"],
                   check=True)
    subprocess.run(["mkfs.minix", "-3", "-i", "8192", img], check=True,
                   stdout=subprocess.DEVNULL)
    out["minix.img"] = img
    return out


INIT_HEAD = """#!/bin/sh
/bin/busybox --install -s /bin
export PATH=/bin
echo @@INIT
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
"""


def dkms_version():
    """PACKAGE_VERSION of dkms.conf: the module's one version string."""
    with open(os.path.join(ROOT, "dkms.conf")) as f:
        for line in f:
            if line.startswith("PACKAGE_VERSION="):
                return line.split("=", 1)[1].strip().strip('"')
    raise SystemExit("mstat: no PACKAGE_VERSION in dkms.conf")


def dkms(*args):
    """Run dkms; its output, or SystemExit on failure."""
    res = subprocess.run(["dkms", *args], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    if res.returncode:
        sys.stdout.write(res.stdout[-3000:])
        raise SystemExit(f"mstat: dkms {' '.join(args)} failed")
    return res.stdout


def dkms_install(kvers):
    """dkms add (a copy of this tree as /usr/src/mstat-VERSION), build and
    install for each kernel version; return {kver: installed module path}."""
    lib("mstat_need dkms")
    ver = dkms_version()
    dkms_remove()
    src = f"/usr/src/mstat-{ver}"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".git", "*.o", "*.ko", "*.cmd"))
    dkms("add", f"mstat/{ver}")
    found = {}
    for kver in kvers:
        log(f"dkms build and install mstat/{ver} for {kver}")
        dkms("build", f"mstat/{ver}", "-k", kver)
        dkms("install", f"mstat/{ver}", "-k", kver)
        res = subprocess.run(["modinfo", "-k", kver, "-n", "mstat"], stdout=subprocess.PIPE,
                             text=True)
        # a client of this kernel needs this build's Module.symvers (README)
        arch = os.uname().machine
        found[kver] = (res.stdout.strip(),
                       f"/var/lib/dkms/mstat/{ver}/{kver}/{arch}/Module.symvers")
    return found


def dkms_remove():
    """dkms remove --all, and the source copy; nothing if not added."""
    ver = dkms_version()
    if f"mstat/{ver}" in subprocess.run(["dkms", "status"], stdout=subprocess.PIPE,
                                        text=True).stdout.replace(", ", "/"):
        dkms("remove", f"mstat/{ver}", "--all")
    shutil.rmtree(f"/usr/src/mstat-{ver}", ignore_errors=True)


def make_initramfs(name, mods, init_body, modtree=None):
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
            shutil.copy(path, os.path.join(root, "bin", os.path.basename(path)))
    if modtree:	# (kver, module path under /lib/modules/kver, file) for modprobe
        kver, rel, path = modtree
        dest = os.path.join(root, "lib", "modules", kver, rel)
        os.makedirs(os.path.dirname(dest))
        shutil.copy(path, dest)
        with open(os.path.join(root, "lib", "modules", kver, "modules.dep"), "w") as f:
            f.write(f"{rel}:\n")
    init = os.path.join(root, "init")
    with open(init, "w") as f:
        # the serial line drains after the writes return (slower on RT,
        # where its interrupt is a thread): give it a second before the end
        f.write(INIT_HEAD + init_body + "\nsync\nsleep 1\npoweroff -f\n")
    os.chmod(init, 0o755)
    image = os.path.join(CACHE, "vm", name, "initramfs.cpio.gz")
    subprocess.run(f"cd '{root}' && find . | cpio -o -H newc --quiet | gzip -1 > '{image}'",
                   shell=True, check=True)
    return image


def boot(vmlinuz, initrd, loglevel, echo, timeout, logfile=None, smp=NCPUS, mem="1024",
         extra=(), on_line=None, cmdline=""):
    """Boot, return the console output as lines (also written to @logfile).
    @extra: more QEMU arguments; @on_line: called with each line as it comes;
    @cmdline: more kernel parameters.  A kernel that dies before init runs
    (no mstat code loaded yet: under multi-threaded TCG a kernel sometimes
    trips over its own text patching at boot) is booted again, twice at most,
    and said so; so is one that trapped on that patching later
    (tcg_text_poke_trap()), and a QEMU that printed nothing at all (once,
    in a clean run of make check, a boot's console stayed empty)."""
    for attempt in range(3):
        lines = _boot(vmlinuz, initrd, loglevel, echo, timeout, logfile, smp, mem, extra,
                      on_line, cmdline)
        if not any(x.strip() for x in lines):
            log(f"QEMU printed nothing (attempt {attempt + 1}): booting again")
            continue
        if tcg_text_poke_trap(lines):
            log(f"the kernel trapped on its own text patching (attempt {attempt + 1}): "
                "booting again")
            continue
        if "@@INIT" in lines or not any("Kernel panic" in x for x in lines):
            return lines
        log(f"the kernel died before init started (attempt {attempt + 1}): booting again")
    return lines


def tcg_text_poke_trap(lines):
    """Multi-threaded TCG's known fault on cross-modified code: an int3 oops
    whose call trace has no frame of mstat's (or of a module at all), the
    breakpoint text_poke_bp() put in a kernel function while patching a
    static key (seen in sched_clock_cpu() from __sched_clock_work, seconds
    after boot).  Any other oops is left for the checks to judge."""
    for i, line in enumerate(lines):
        if "Oops: int3" not in line:
            continue
        trace = []
        for x in lines[i + 1:i + 60]:
            if "end trace" in x:
                break
            trace.append(x)
        if not any(re.search(r"\b(mstat|tort)_\w*\+0x|\[[a-z_]+\]$", x) for x in trace):
            return True
    return False


def _boot(vmlinuz, initrd, loglevel, echo, timeout, logfile, smp, mem, extra, on_line, cmdline):
    cmd = ["qemu-system-x86_64", "-accel", "tcg,thread=multi", "-smp", str(smp),
           "-m", str(mem), "-display", "none", "-monitor", "none", "-serial", "stdio",
           "-no-reboot", "-kernel", vmlinuz, "-initrd", initrd,
           "-append", f"console=ttyS0 panic=-1 loglevel={loglevel} rdinit=/init {cmdline}",
           *extra]
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


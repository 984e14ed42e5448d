#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the mstat_torture KUnit suite (kunit/mstat_torture.c) on a kernel
# built from linux-source-6.12 with one of four configurations:
#
#   --config kasan   x86_64, 4 CPUs on 2 NUMA nodes: KASAN, lockdep,
#                    DEBUG_ATOMIC_SLEEP, DEBUG_PREEMPT, PROVE_RCU,
#                    DEBUG_PAGEALLOC, INIT_STACK_NONE
#   --config kcsan   x86_64, 4 CPUs: KCSAN (no KASAN)
#   --config kmsan   x86_64, 4 CPUs: KMSAN, built with clang-16 (no KASAN)
#   --config rt      x86_64, 4 CPUs: PREEMPT_RT, lockdep, KASAN
#   --config arm64   arm64 in QEMU (TCG), 4 CPUs: tag-based KASAN, lockdep
#
# The torture also loads and unloads the client module kunit/mstat_tclient.c
# (mstat.torture_client), built here against the kernel and put in an
# initramfs with kunit/mstat_modctl.c as /bin/insmod and /bin/rmmod.
# --seconds N is the length of the torture (mstat.torture_seconds; cases
# of at most 200 s each); --args "..." sets the other kernel arguments
# (mstat.torture_*, see kunit/mstat_torture.c), by default
# mstat.fail_span_nth=50: every 50th page allocation for a span fails.
# Each configuration builds in its own directory, $MSTAT_CACHE/build-torture-
# <config>, reused by the next run; kasan's is build-x86_64, shared with
# scripts/kunit.sh --arch x86_64, whose kernel is the same.  Prints the KTAP results, then a last
# line "torture: N passed, N failed, N skipped"; exits non-zero on any
# failure or kernel report other than mstat's own reports of the mistakes
# the torture makes on purpose (KCSAN, KMSAN: reports with no mstat frame
# are listed, not failed).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

config=kasan seconds=${TORTURE_SECONDS:-60} args="mstat.fail_span_nth=50"
while [ $# -gt 0 ]; do
	case $1 in
	--config)	config=${2:?--config needs kasan, kcsan, kmsan, rt or arm64}; shift 2 ;;
	--seconds)	seconds=${2:?--seconds needs a number}; shift 2 ;;
	--args)		args=${2?}; shift 2 ;;
	*)		mstat_log "usage: $0 [--config kasan|kcsan|kmsan|rt|arm64] [--seconds N] [--args ARGS]"
			echo "torture: 0 passed, 1 failed, 0 skipped"; exit 2 ;;
	esac
done
case $seconds in
''|*[!0-9]*)	mstat_log "--seconds needs a number"; exit 2 ;;
esac

# KVM only if asked (MSTAT_KVM=1): where KVM is itself nested, as on the
# machines this was written on, a guest under it printed nothing at all.
kvm=()
[ "${MSTAT_KVM:-0}" = 1 ] && kvm=(-accel kvm)
buildopts=() modmake=(ARCH=x86_64) cc=gcc
case $config in
# the kasan kernel boots with two NUMA nodes, as scripts/kunit.sh's
kasan)	arch=(--arch=x86_64) qargs="$MSTAT_QEMU_NUMA ${kvm[*]}"
	mstat_need qemu-system-x86 cpio || exit 1 ;;
kcsan|rt)	arch=(--arch=x86_64) qargs="-smp 4 ${kvm[*]}"
	mstat_need qemu-system-x86 cpio || exit 1 ;;
# KMSAN keeps a shadow and an origin byte per byte: 1 GiB is not enough
kmsan)	arch=(--arch=x86_64) qargs="-smp 4 -m 3072 ${kvm[*]}"
	buildopts=(--make_options=LLVM=-16) modmake+=(LLVM=-16)
	mstat_need qemu-system-x86 cpio clang-16 lld-16 llvm-16 || exit 1 ;;
arm64)	arch=(--arch=arm64 --cross_compile=aarch64-linux-gnu-) qargs="-smp 4"
	modmake=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-) cc=aarch64-linux-gnu-gcc
	mstat_need qemu-system-arm gcc-aarch64-linux-gnu cpio || exit 1 ;;
*)	mstat_log "unknown config $config"; exit 2 ;;
esac

mstat_need build-essential flex bison bc python3 libelf-dev libssl-dev || exit 1
tree=$(mstat_kernel_source) || exit 1
mstat_overlay "$tree"
# kasan shares its kernel with scripts/kunit.sh --arch x86_64 (same config)
bdir=build-torture-$config
[ "$config" = kasan ] && bdir=build-x86_64
build=$(mstat_build_dir "$tree" "$bdir")
out=$build/kunit-output.txt

# kunit.py's timeout (not the build's): the torture, under TCG several
# times slower than asked, boot and the final checks.
timeout=$((3600 + 4 * seconds))
mstat_log "torture on $config for ${seconds}s (build: $build)"
cd "$tree" || exit 1
kunitconfig=drivers/mstat/kunit/torture-$config.kunitconfig
# The kernel, then the client module built against it and the module
# loader (kernel headers and nolibc, no C library for the target), in an
# initramfs; the builds' output goes into $out too, for the verdict's
# warning check.
cdir=$build/mstat-tclient
if ! python3 tools/testing/kunit/kunit.py build --build_dir="$build" \
	--kunitconfig="$kunitconfig" "${arch[@]}" "${buildopts[@]}" \
	--jobs="$(nproc)" > "$out" 2>&1; then
	tail -40 "$out"
	mstat_log "the $config kernel did not build"
	echo "torture: 0 passed, 1 failed, 0 skipped"
	exit 1
fi
fail=
rm -rf "$cdir" && mkdir -p "$cdir/root/bin" &&
cp "$MSTAT_ROOT/kunit/mstat_tclient.c" "$cdir/" &&
printf 'obj-m := mstat_tclient.o\nccflags-y := -I"%s/include" -I"%s"\n' "$MSTAT_ROOT" \
	"$MSTAT_ROOT" > "$cdir/Kbuild" || fail="the client module's directory"
[ -z "$fail" ] && { make -s -C "$tree" O="$build" M="$cdir" "${modmake[@]}" \
	modules > "$cdir/build.txt" 2>&1 || fail="the client module's build"; }
[ -z "$fail" ] && { make -s -C "$tree" O="$build" "${modmake[@]}" headers \
	>> "$cdir/build.txt" 2>&1 || fail="the kernel's headers"; }
[ -z "$fail" ] && { "$cc" -Wall -Wextra -Os -s -static -nostdlib -fno-stack-protector \
	-fno-asynchronous-unwind-tables -fno-ident -I "$build/usr/include" \
	-include tools/include/nolibc/nolibc.h -o "$cdir/root/bin/insmod" \
	"$MSTAT_ROOT/kunit/mstat_modctl.c" -lgcc >> "$cdir/build.txt" 2>&1 ||
	fail="the module loader's build"; }
[ -z "$fail" ] && grep -q 'warning:' "$cdir/build.txt" && fail="the client's warnings"
[ -z "$fail" ] && { cp "$cdir/mstat_tclient.ko" "$cdir/root/" &&
	ln "$cdir/root/bin/insmod" "$cdir/root/bin/rmmod" &&
	(cd "$cdir/root" && find . | cpio -o -H newc --quiet) > "$cdir/initramfs.cpio" ||
	fail="the initramfs"; }
if [ -n "$fail" ]; then
	cat "$cdir/build.txt" 2>/dev/null
	mstat_log "the torture's client: $fail failed"
	echo "torture: 0 passed, 1 failed, 0 skipped"
	exit 1
fi
python3 tools/testing/kunit/kunit.py exec mstat_torture \
	--build_dir="$build" --kunitconfig="$kunitconfig" "${arch[@]}" \
	"--qemu_args=$qargs -initrd $cdir/initramfs.cpio" \
	--kernel_args="mstat.torture_seconds=$seconds mstat.torture_client=/mstat_tclient.ko" \
	${args:+--kernel_args="$args"} \
	--timeout="$timeout" 2>&1 | tee -a "$out"
rc=${PIPESTATUS[0]}

python3 "$MSTAT_ROOT/scripts/kunit_verdict.py" "$out" "$build/test.log" "$rc" \
	"torture-$config" | sed 's/^kunit: \([0-9]* passed\)/torture: \1/'
exit "${PIPESTATUS[0]}"

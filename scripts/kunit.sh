#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the mstat KUnit suite under UML (default) or, with --arch x86_64, on an
# SMP x86_64 kernel in QEMU with -smp 4 (where the hotplug case runs), with
# --arch x86_64-rt the same with PREEMPT_RT, with --arch arm64 on arm64 in
# QEMU with -smp 4 and tag-based KASAN, or
# with --debug the mstat_debug suite under UML booted with mstat.debug=1,
# with
# KASAN, lockdep, DEBUG_ATOMIC_SLEEP and DEBUG_PREEMPT.  Sets everything up on a fresh Debian 12 machine: the
# build packages, linux-source-6.12 unpacked once into $MSTAT_CACHE
# (default ~/.cache/mstat), mstat joined to that tree as drivers/mstat.
# A second run reuses the build.
#
# Prints the KTAP results, then a last line "kunit: N passed, N failed,
# N skipped"; exits non-zero on any failure, on any kernel report (BUG,
# WARNING, KASAN, lockdep, ...) other than mstat's own reports of the
# mistakes the tests make on purpose, or if no mstat test ran.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

arch=um suite=mstat kunitconfig=.kunitconfig
case ${1:-} in
--arch)	arch=${2:?--arch needs um, x86_64, x86_64-rt or arm64} ;;
--debug) suite=mstat_debug ;;	# the debug-mode suite, with mstat.debug=1
esac
case $arch in
um)	extra=()
	[ $suite = mstat_debug ] && extra=(--kernel_args=mstat.debug=1) ;;
x86_64)	# the torture's kasan kernel (SMP, hotplug, DEBUG_PAGEALLOC, no stack
	# initialisation, the torture built in, two NUMA nodes): one build serves both
	kunitconfig=torture-kasan.kunitconfig
	extra=(--arch=x86_64 "--qemu_args=$MSTAT_QEMU_NUMA")
	mstat_need qemu-system-x86 || exit 1 ;;
x86_64-rt)	# the same with PREEMPT_RT (a choice: PREEMPT off, EXPERT to see RT)
	extra=(--arch=x86_64 --kconfig_add CONFIG_SMP=y --kconfig_add CONFIG_HOTPLUG_CPU=y
	       --kconfig_add CONFIG_EXPERT=y --kconfig_add CONFIG_PREEMPT=n
	       --kconfig_add CONFIG_PREEMPT_RT=y "--qemu_args=-smp 4")
	mstat_need qemu-system-x86 || exit 1 ;;
arm64)	# cross-built, in QEMU (TCG) with 4 CPUs; tag-based KASAN, whose pointers
	# carry a tag in the top byte; modules on, for the W=1 build (check.sh)
	extra=(--arch=arm64 --cross_compile=aarch64-linux-gnu-
	       --kconfig_add CONFIG_SMP=y --kconfig_add CONFIG_HOTPLUG_CPU=y
	       --kconfig_add CONFIG_MODULES=y --kconfig_add CONFIG_KASAN_GENERIC=n
	       --kconfig_add CONFIG_KASAN_SW_TAGS=y "--qemu_args=-smp 4")
	mstat_need qemu-system-arm gcc-aarch64-linux-gnu || exit 1 ;;
*)	mstat_log "unknown arch $arch"; exit 2 ;;
esac

mstat_need build-essential flex bison bc python3 libelf-dev libssl-dev || exit 1
tree=$(mstat_kernel_source) || exit 1
mstat_overlay "$tree"
build=$(mstat_build_dir "$tree" "build-$arch")
out=$build/kunit-output.txt

mstat_log "KUnit on $arch (build: $build)"
cd "$tree" || exit 1
python3 tools/testing/kunit/kunit.py run "$suite" \
	--build_dir="$build" \
	--kunitconfig="drivers/mstat/kunit/$kunitconfig" \
	"${extra[@]}" \
	--jobs="$(nproc)" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}

exec python3 "$MSTAT_ROOT/scripts/kunit_verdict.py" "$out" "$build/test.log" "$rc" "$arch"

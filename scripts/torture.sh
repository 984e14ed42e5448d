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
# --seconds N is the length of the torture (mstat.torture_seconds; cases
# of at most 240 s each); --args "..." sets the other kernel arguments
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
case $config in
# the kasan kernel boots with two NUMA nodes, as scripts/kunit.sh's
kasan)	arch=(--arch=x86_64 "--qemu_args=$MSTAT_QEMU_NUMA ${kvm[*]}")
	mstat_need qemu-system-x86 || exit 1 ;;
kcsan|rt)	arch=(--arch=x86_64 "--qemu_args=-smp 4 ${kvm[*]}")
	mstat_need qemu-system-x86 || exit 1 ;;
# KMSAN keeps a shadow and an origin byte per byte: 1 GiB is not enough
kmsan)	arch=(--arch=x86_64 "--qemu_args=-smp 4 -m 3072 ${kvm[*]}" --make_options=LLVM=-16)
	mstat_need qemu-system-x86 clang-16 lld-16 llvm-16 || exit 1 ;;
arm64)	arch=(--arch=arm64 --cross_compile=aarch64-linux-gnu- "--qemu_args=-smp 4")
	mstat_need qemu-system-arm gcc-aarch64-linux-gnu || exit 1 ;;
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

# kunit.py's timeout covers the build too: a fresh build, then the torture
# (under TCG several times slower than asked), then boot and the final checks.
timeout=$((3600 + 4 * seconds))
mstat_log "torture on $config for ${seconds}s (build: $build)"
cd "$tree" || exit 1
python3 tools/testing/kunit/kunit.py run mstat_torture \
	--build_dir="$build" \
	--kunitconfig="drivers/mstat/kunit/torture-$config.kunitconfig" \
	"${arch[@]}" \
	--kernel_args="mstat.torture_seconds=$seconds" \
	${args:+--kernel_args="$args"} \
	--timeout="$timeout" \
	--jobs="$(nproc)" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}

python3 "$MSTAT_ROOT/scripts/kunit_verdict.py" "$out" "$build/test.log" "$rc" \
	"torture-$config" | sed 's/^kunit: \([0-9]* passed\)/torture: \1/'
exit "${PIPESTATUS[0]}"

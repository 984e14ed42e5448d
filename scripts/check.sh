#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every mstat test, set up from scratch on a fresh Debian 12 machine:
#   - the KUnit suite under UML, on x86_64 SMP in QEMU with and without
#     PREEMPT_RT and on arm64 SMP in QEMU, and the debug-mode suite under UML with mstat.debug=1
#     (scripts/kunit.sh), each case counted;
#   - the end-to-end tests in a 4-CPU VM on Debian's 6.1, 6.12 and 6.12 RT
#     kernels (scripts/mstat_vm.py e2e), each check counted;
#   - DKMS: dkms add/build/install for Debian's 6.1 and 6.12 kernels, the
#     installed module loaded with modprobe in the VM, dkms remove;
#   - mstat.ko built with W=1 against Debian's 6.1 and 6.12 cloud and 6.12
#     RT headers, and cross-built for arm64 against linux-source-6.12, no
#     warning allowed; sparse (C=1) on the 6.12 build;
#   - make coccicheck MODE=report (Debian's coccinelle), each finding a failure;
#   - checkpatch.pl --strict and kernel-doc -Wall on every C file and header.
# Ends with one line "N passed, N failed[, N skipped]".
set -uo pipefail
. "$(dirname "$0")/lib.sh"

mstat_need build-essential sparse python3 || exit 1
passed=0 failed=0 skipped=0
# every failure line seen, repeated before the summary (CI shows the tail)
failures=$(mktemp)
trap 'rm -f "$failures"' EXIT
result() {	# name ok|fail [detail]
	if [ "$2" = ok ]; then
		passed=$((passed + 1)); echo "check: PASS $1"
	else
		failed=$((failed + 1)); echo "check: FAIL $1${3:+: $3}"
		echo "check: FAIL $1${3:+: $3}" >>"$failures"
	fi
}

# Run a command that ends with "<word>: N passed, N failed[, N skipped]" and
# add its counts; a non-zero exit with no failure counted counts as one.
count_from() {	# label command...
	local label=$1 out rc line p f s
	shift
	out=$(mktemp)
	"$@" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^[a-z0-9]+: [0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	grep -E '(^|[: ])(FAIL|not ok)[ :]|\[FAILED\] mstat|EXPECTATION FAILED|fails the run|no mstat test ran|exited with' "$out" | sed "s|^|$label: |" >>"$failures"
	rm -f "$out"
	if [ -z "$line" ]; then
		result "$label" fail "no result line"
		return
	fi
	read -r p f s < <(echo "$line" |
		sed -E 's/^[a-z0-9]+: ([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?.*/\1 \2 \4/')
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + ${s:-0}))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		result "$label" fail "exit code $rc"
	fi
}

# --- KUnit: UML, then x86_64 SMP in QEMU (-smp 4, real hotplug) -----------
count_from "kunit (uml)" "$MSTAT_ROOT/scripts/kunit.sh"
count_from "kunit (uml, mstat.debug=1)" "$MSTAT_ROOT/scripts/kunit.sh" --debug
count_from "kunit (x86_64)" "$MSTAT_ROOT/scripts/kunit.sh" --arch x86_64
count_from "kunit (x86_64, PREEMPT_RT)" "$MSTAT_ROOT/scripts/kunit.sh" --arch x86_64-rt
count_from "kunit (arm64)" "$MSTAT_ROOT/scripts/kunit.sh" --arch arm64
# --- a short torture: on the x86_64 KUnit kernel (KASAN, lockdep, ...) and
# on a KCSAN kernel, each loading and unloading the client module
# throughout; make torture runs every configuration for longer
# (no CPU hotplug in these short runs: on the KCSAN and arm64 kernels 6.12's
# scheduler has warned "Dying CPU not properly vacated" during the torture's
# hotplug, with only the CPU's stopper thread listed and no mstat frame; the
# KUnit hotplug case runs here, and make torture runs the torture with hotplug)
count_from "torture (kasan)" "$MSTAT_ROOT/scripts/torture.sh" --config kasan \
	--seconds "${CHECK_TORTURE_SECONDS:-60}" \
	--args "mstat.fail_span_nth=50 mstat.torture_hotplug=0"
count_from "torture (kcsan)" "$MSTAT_ROOT/scripts/torture.sh" --config kcsan \
	--seconds "${CHECK_TORTURE_SECONDS:-60}" \
	--args "mstat.fail_span_nth=50 mstat.torture_hotplug=0"

# --- end-to-end in QEMU on Debian's 6.1 and 6.12 kernels -------------------
count_from "e2e" python3 "$MSTAT_ROOT/scripts/mstat_vm.py" e2e
# the viewer (tools/mstat) and the checker (tools/mstat_check) on saved and
# made-up reads, built as the VM builds them; in the VM, by e2e
tool_check() {	# tool test-script
	local bin
	bin=$(mktemp -d)/$1
	gcc -O2 -Wall -Wextra -Werror -o "$bin" "$MSTAT_ROOT/tools/$1.c" &&
		python3 "$MSTAT_ROOT/tests/viewer/$2" "$bin"
}
count_from "viewer" tool_check mstat check_viewer.py
count_from "checker" tool_check mstat_check check_mstat_check.py
# DKMS: add, build, install for 6.1 and 6.12, modprobe in the VM, remove
count_from "dkms" python3 "$MSTAT_ROOT/scripts/mstat_vm.py" dkms

# --- out-of-tree builds, W=1, against Debian's kernels ---------------------
build_against() {	# name meta extra-make-args...
	local name=$1 meta=$2 kdir dir log
	shift 2
	if ! kdir=$(mstat_headers_dir "$meta"); then
		result "$name" fail "cannot install $meta"
		return
	fi
	dir=$(mktemp -d)
	cp -r "$MSTAT_ROOT"/Kbuild "$MSTAT_ROOT"/dkms.conf "$MSTAT_ROOT"/Makefile "$MSTAT_ROOT"/*.c \
	      "$MSTAT_ROOT"/*.h "$MSTAT_ROOT"/include "$dir"/
	log=$dir/build.log
	if make -C "$kdir" M="$dir" W=1 "$@" modules >"$log" 2>&1 &&
	   [ -f "$dir/mstat.ko" ] && ! grep -Eq 'warning:|error:' "$log"; then
		result "$name" ok
	else
		grep -E 'warning:|error:' "$log" | head -n 20
		result "$name" fail "see the lines above"
	fi
	rm -rf "$dir"
}
build_against "build W=1 linux 6.1 (cloud)" linux-headers-cloud-amd64
build_against "build W=1 C=1 (sparse) linux 6.12 (cloud)" linux-headers-6.12-cloud-amd64 C=1
build_against "build W=1 linux 6.12 (PREEMPT_RT)" linux-headers-6.12-rt-amd64

# --- arm64: mstat cross-compiled with W=1 against the arm64 KUnit kernel ----
build_arm64() {
	local tree build dir log
	tree=$(mstat_kernel_source) && build=$(mstat_build_dir "$tree" build-arm64) &&
	[ -f "$build/Module.symvers" ] || {
		result "build W=1 linux 6.12 (arm64)" fail "no arm64 kernel built"
		return
	}
	dir=$(mktemp -d)
	cp -r "$MSTAT_ROOT"/Kbuild "$MSTAT_ROOT"/dkms.conf "$MSTAT_ROOT"/Makefile "$MSTAT_ROOT"/*.c \
	      "$MSTAT_ROOT"/*.h "$MSTAT_ROOT"/include "$dir"/
	log=$dir/build.log
	# That kernel has mstat built in (for its KUnit run, which links it), so
	# here every object is compiled with W=1 as a module's would be, and not
	# linked: modpost would refuse symbols exported twice.
	if make -C "$tree" O="$build" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- \
		M="$dir" W=1 CONFIG_MSTAT=m CONFIG_MSTAT_KUNIT_TEST= \
		$(sed -n 's/^mstat-y := //p' "$dir/Kbuild" | head -n 1) >"$log" 2>&1 &&
	   [ -f "$dir/mstat_core.o" ] && ! grep -Eq 'warning:|error:' "$log"; then
		result "build W=1 linux 6.12 (arm64)" ok
	else
		grep -E 'warning:|error:' "$log" | head -n 20
		tail -n 5 "$log"
		result "build W=1 linux 6.12 (arm64)" fail "see the lines above"
	fi
	rm -rf "$dir"
}
build_arm64

# --- coccicheck: the kernel's semantic patches, each finding a failure -----
if tree=$(mstat_kernel_source) && mstat_need coccinelle ocaml-nox; then
	mstat_overlay "$tree"
	cocci=$(cd "$tree" && make coccicheck MODE=report M=drivers/mstat 2>&1)
	findings=$(echo "$cocci" | grep -E '^drivers/mstat/[^ ]+: (ERROR|WARNING|INFO)')
	if [ -n "$findings" ]; then
		while read -r f; do result "coccicheck" fail "$f"; done <<<"$findings"
	elif echo "$cocci" | grep -q 'coccicheck failed'; then
		echo "$cocci" | tail -n 5
		result "coccicheck" fail "coccicheck did not run"
	else
		result "coccicheck" ok
	fi
else
	result "coccicheck" fail "no kernel source or coccinelle"
fi

# --- checkpatch and kernel-doc ---------------------------------------------
# kernel-doc -Wall: every kernel-doc comment parses and describes every
# member, parameter and return value, which checkpatch does not look at.
if tree=$(mstat_kernel_source); then
	cd "$MSTAT_ROOT" || exit 1
	files=$(git ls-files '*.c' '*.h' 2>/dev/null || ls ./*.c ./*.h include/*.h kunit/*.c)
	# shellcheck disable=SC2086
	if cp_out=$(perl "$tree/scripts/checkpatch.pl" --strict --no-tree --terse \
			--show-types -f $files 2>&1) &&
	   ! echo "$cp_out" | grep -Eq 'ERROR|WARNING|CHECK'; then
		result "checkpatch --strict" ok
	else
		echo "$cp_out" | grep -E 'ERROR|WARNING|CHECK' | head -n 20
		result "checkpatch --strict" fail "see the lines above"
	fi
	# shellcheck disable=SC2086
	if kd_out=$(perl "$tree/scripts/kernel-doc" -none -Wall $files 2>&1) &&
	   [ -z "$kd_out" ]; then
		result "kernel-doc -Wall" ok
	else
		echo "$kd_out" | head -n 20
		result "kernel-doc -Wall" fail "see the lines above"
	fi
else
	result "checkpatch --strict" fail "no kernel source"
	result "kernel-doc -Wall" fail "no kernel source"
fi

# --- layering: each C file calls only the files below it in README.md ---
if lay_out=$(python3 "$MSTAT_ROOT/scripts/check_layers.py" "$MSTAT_ROOT" 2>&1); then
	result "layers: calls go down" ok
else
	echo "$lay_out" | head -n 20
	result "layers: calls go down" fail "see the lines above"
fi

# --- the Python scripts: no top-level name defined twice (the later one
# silently replaces the earlier, as a second site_rows() once did) ---
if py_out=$(cd "$MSTAT_ROOT" && python3 - scripts/*.py tests/viewer/*.py <<'PYEOF'
import ast
import sys
bad = 0
for path in sys.argv[1:]:
    seen = {}
    for node in ast.parse(open(path).read(), path).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            if node.name in seen:
                print(f"{path}:{node.lineno}: {node.name} defined again (first at {seen[node.name]})")
                bad += 1
            seen[node.name] = node.lineno
sys.exit(1 if bad else 0)
PYEOF
); then
	result "python: no function defined twice" ok
else
	echo "$py_out" | head -n 20
	result "python: no function defined twice" fail "see the lines above"
fi

if [ -s "$failures" ]; then
	echo "check: the failures, again:"
	tail -n 40 "$failures"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every mstat test, set up from scratch on a fresh Debian 12 machine:
#   - the KUnit suite under UML (scripts/kunit.sh), each case counted;
#   - mstat.ko built with W=1 against Debian's 6.1 and 6.12 cloud headers,
#     no warning allowed; sparse (C=1) on the 6.12 build;
#   - checkpatch.pl --strict on every C file and header.
# Ends with one line "N passed, N failed[, N skipped]".
set -uo pipefail
. "$(dirname "$0")/lib.sh"

passed=0 failed=0 skipped=0
result() {	# name ok|fail [detail]
	if [ "$2" = ok ]; then
		passed=$((passed + 1)); echo "check: PASS $1"
	else
		failed=$((failed + 1)); echo "check: FAIL $1${3:+: $3}"
	fi
}

# --- KUnit under UML ---------------------------------------------------
kout=$(mktemp)
"$MSTAT_ROOT/scripts/kunit.sh" 2>&1 | tee "$kout"
krc=${PIPESTATUS[0]}
line=$(grep -E '^kunit: [0-9]+ passed, [0-9]+ failed' "$kout" | tail -n 1)
if [ -n "$line" ]; then
	read -r kp kf ks < <(echo "$line" | sed -E 's/kunit: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped/\1 \2 \3/')
	passed=$((passed + kp)); failed=$((failed + kf)); skipped=$((skipped + ks))
	[ "$krc" -eq 0 ] || [ "$kf" -gt 0 ] || failed=$((failed + 1))
else
	result "kunit (uml)" fail "no result line"
fi
rm -f "$kout"

# --- out-of-tree builds, W=1, against Debian's kernels ---------------------
mstat_need build-essential sparse || true
build_against() {	# name meta extra-make-args...
	local name=$1 meta=$2 kdir dir log
	shift 2
	if ! kdir=$(mstat_headers_dir "$meta"); then
		result "$name" fail "cannot install $meta"
		return
	fi
	dir=$(mktemp -d)
	cp -r "$MSTAT_ROOT"/Kbuild "$MSTAT_ROOT"/Makefile "$MSTAT_ROOT"/*.c \
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

# --- checkpatch ------------------------------------------------------------
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
else
	result "checkpatch --strict" fail "no kernel source"
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]

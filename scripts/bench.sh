#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: mstat against kmalloc in the same boots (UML, then QEMU);
# writes BENCHMARKS.md and bench.png.  See scripts/bench.py.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
mstat_need python3
exec python3 "$MSTAT_ROOT/scripts/bench.py" "$@"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: mstat in a 4-CPU QEMU VM on Debian's 6.1 cloud kernel (or
# --kernel 6.12, or 6.12-rt for PREEMPT_RT): insmod, a client on every CPU, /proc/mstat, CPUs offline
# and back, unload.  Installs what it needs from Debian on first use.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
mstat_need python3
exec python3 "$MSTAT_ROOT/scripts/mstat_vm.py" demo "$@"

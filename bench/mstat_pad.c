// SPDX-License-Identifier: GPL-2.0
/*
 * make bench only: MSTAT_PAD bytes of text linked ahead of mstat's own, so
 * that a build places mstat's code (and the benchmark's, linked after it)
 * elsewhere relative to the rest of the kernel.  The main UML table is
 * the median over builds placed apart this way: see scripts/bench.py.
 */
#include <linux/stringify.h>

asm(".pushsection .text, \"ax\"\n\t.skip " __stringify(MSTAT_PAD) ", 0x90\n\t.popsection\n");

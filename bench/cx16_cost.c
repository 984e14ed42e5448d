// SPDX-License-Identifier: GPL-2.0
/*
 * cx16_cost: what one unlocked cmpxchg16b costs on this host, in user space.
 *
 * On x86 hardware SLUB's fast path commits each allocation and free with
 * one this_cpu_cmpxchg128, an unlocked cmpxchg16b on a per-CPU address.
 * UML has no such instruction for per-CPU data: the generic version
 * disables interrupts around a plain compare and store, which on UML costs
 * two calls into its host-side code.  scripts/bench.py uses this figure to
 * put kmalloc's UML time back on the footing of hardware.
 *
 * Prints "cx16_ps=N plain_ps=N": picoseconds per dependent cmpxchg16b,
 * and per dependent plain 16-byte increment, the best of 15 runs.
 */
#include <stdio.h>
#include <time.h>

#define ITERS	20000000L
#define RUNS	15

/* __int128 is 16-byte aligned on x86-64, as cmpxchg16b needs */
static unsigned __int128 word;

static int cx16(unsigned __int128 *p, unsigned __int128 old, unsigned __int128 new)
{
	unsigned long long lo = (unsigned long long)old, hi = (unsigned long long)(old >> 64);
	unsigned char ok;

	/* no lock prefix: as this_cpu_cmpxchg128 on the local CPU's data */
	asm volatile("cmpxchg16b %1\n\tsete %0"
		     : "=q"(ok), "+m"(*p), "+a"(lo), "+d"(hi)
		     : "b"((unsigned long long)new), "c"((unsigned long long)(new >> 64))
		     : "memory", "cc");
	return ok;
}

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static double best_ps(int cx)
{
	double best = 1e18;
	int r;

	for (r = 0; r < RUNS; r++) {
		double t0 = now_ns(), ps;
		long i;

		for (i = 0; i < ITERS; i++) {
			unsigned __int128 old = word;

			if (cx) {
				cx16(&word, old, old + 1);
			} else {
				asm volatile("" : : : "memory");
				word = old + 1;
			}
		}
		ps = (now_ns() - t0) * 1000 / ITERS;
		if (ps < best)
			best = ps;
	}
	return best;
}

int main(void)
{
	printf("cx16_ps=%.0f plain_ps=%.0f\n", best_ps(1), best_ps(0));
	return 0;
}

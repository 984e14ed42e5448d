/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mstat: a small-object allocator with per-CPU statistics.
 *
 * Objects come from per-CPU caches by size class; every allocation and
 * free is counted in the cache of the CPU that did it and the counts are
 * summed only when somebody reads them (/proc/mstat).
 */
#ifndef _MSTAT_H
#define _MSTAT_H

#include <linux/gfp.h>
#include <linux/types.h>

/**
 * struct mstat_stats - one consistent read of mstat's statistics
 * @alloc_bytes: usable bytes of the live objects
 * @total_alloc_bytes: usable bytes of every object ever allocated
 * @total_free_bytes: usable bytes of every object ever freed
 * @sys_bytes: bytes of pages held from the page allocator
 * @cached_bytes: bytes of free objects in per-CPU caches
 * @nmalloc: allocations
 * @nfree: frees
 * @live_objects: @nmalloc - @nfree
 * @large_nmalloc: allocations above the largest size class
 * @large_nfree: frees of those
 * @large_alloc_bytes: usable bytes of the live large objects
 * @nrefill: refills of per-CPU caches from the central pools
 * @nflush: flushes of per-CPU caches to the central pools
 * @cpu_donations: donations of dead CPUs' counters
 * @bad_pointers: pointers passed to mstat that it does not own
 * @double_frees: frees refused because the object was already free
 * @write_after_free: free objects (or span free lists) found written to,
 *	and withdrawn from use
 * @redzone_errors: debug mode: red zones found written to
 * @nreclaim: per-CPU class caches emptied by reclaim (shrinker or idle)
 * @reclaimed_bytes: bytes of free objects reclaim took out of those caches
 *
 * The fields are those of /proc/mstat's summary lines.  In every read,
 * @nfree <= @nmalloc (per size class too), @total_free_bytes <=
 * @total_alloc_bytes, and the cumulative counts never decrease from one
 * read to the next.
 */
struct mstat_stats {
	u64 alloc_bytes;
	u64 total_alloc_bytes;
	u64 total_free_bytes;
	u64 sys_bytes;
	u64 cached_bytes;
	u64 nmalloc;
	u64 nfree;
	u64 live_objects;
	u64 large_nmalloc;
	u64 large_nfree;
	u64 large_alloc_bytes;
	u64 nrefill;
	u64 nflush;
	u64 cpu_donations;
	u64 bad_pointers;
	u64 double_frees;
	u64 write_after_free;
	u64 redzone_errors;
	u64 nreclaim;
	u64 reclaimed_bytes;
};

void *mstat_alloc(size_t size, gfp_t flags);
void mstat_free(const void *ptr);
size_t mstat_usable_size(const void *ptr);
void mstat_read_stats(struct mstat_stats *st);

/**
 * mstat_zalloc - allocate zeroed memory from mstat
 * @size: bytes wanted
 * @flags: GFP flags, as for kmalloc()
 *
 * Same as mstat_alloc() with __GFP_ZERO: the whole usable size is zeroed.
 *
 * Return: the object, ZERO_SIZE_PTR for @size 0, or NULL.
 */
static inline void *mstat_zalloc(size_t size, gfp_t flags)
{
	return mstat_alloc(size, flags | __GFP_ZERO);
}

#endif /* _MSTAT_H */

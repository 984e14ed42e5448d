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

void *mstat_alloc(size_t size, gfp_t flags);
void mstat_free(const void *ptr);
size_t mstat_usable_size(const void *ptr);

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

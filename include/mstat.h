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
#include <linux/compiler.h>
#include <linux/overflow.h>
#include <linux/export.h>
#include <linux/init.h>
#include <linux/slab.h>
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
 * @rcu_pending: objects given to mstat_free_rcu() and not yet freed (live,
 *	and counted as such, until they are)
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
	u64 rcu_pending;
};

/* @last of a site that has not allocated yet: no class is 0xff */
#define MSTAT_SITE_NO_CLASS	0xffU

/**
 * struct mstat_site - a call site of mstat_alloc(), static in its module
 * @file: __FILE__ of the call
 * @function: __func__ of the call
 * @modname: KBUILD_MODNAME of the calling module
 * @owner: THIS_MODULE of the calling module (NULL if built in); compared,
 *	never followed, and not a struct module pointer so that the symbol
 *	version of mstat_alloc_site() does not depend on which headers
 *	happened to define struct module
 * @line: __LINE__ of the call
 * @id: mstat's: 0 until the site's first allocation registers it
 * @last: mstat's: the counters of the size class the site last
 *	allocated from (MSTAT_SITE_NO_CLASS until then), so that its next
 *	allocation of that class finds them with no lookup
 *
 * mstat_alloc() places one in section "mstat_sites" of the calling module
 * (as alloc_hooks() places its tags), so every call site is counted apart
 * with no run-time lookup.  mstat copies the strings when the site
 * registers: a site outlives its module while objects it allocated live.
 */
struct mstat_site {
	const char *file;
	const char *function;
	const char *modname;
	const void *owner;
	unsigned int line;
	unsigned int id;
	unsigned int last;
};

/**
 * struct mstat_site_stats - one row of mstat_read_sites()
 * @live_bytes: usable bytes of the site's live objects
 * @live_objects: @nmalloc - @nfree
 * @nmalloc: objects the site allocated (cumulative)
 * @nfree: of those, the ones freed (cumulative), wherever they were freed
 * @file: the site's file, as its compiler named it
 * @function: the function the site is in
 * @module: the name of the site's module, which may be unloaded by now
 * @line: the site's line
 *
 * The strings stay valid while mstat is loaded.
 */
struct mstat_site_stats {
	u64 live_bytes;
	u64 live_objects;
	u64 nmalloc;
	u64 nfree;
	const char *file;
	const char *function;
	const char *module;
	unsigned int line;
};

void *mstat_alloc_site(size_t size, gfp_t flags, struct mstat_site *site);
void *mstat_alloc_node_site(size_t size, gfp_t flags, int node, struct mstat_site *site);
void *mstat_realloc_site(const void *p, size_t new_size, gfp_t flags, struct mstat_site *site);
void *mstat_memdup_site(const void *src, size_t len, gfp_t flags, struct mstat_site *site);
char *mstat_strdup_site(const char *s, gfp_t flags, struct mstat_site *site);
char *mstat_strndup_site(const char *s, size_t max, gfp_t flags, struct mstat_site *site);
void mstat_free(const void *ptr);
size_t mstat_usable_size(const void *ptr);
void mstat_free_rcu_ptr(const void *ptr, struct rcu_head *head);
void mstat_rcu_barrier(void);
/* include/mstat_slab.h's, for pointers mstat may or may not own (mstat_slab.c) */
void mstat_kfree(const void *p);
void mstat_kvfree(const void *p);
void mstat_kfree_sensitive(const void *p);
void mstat_kfree_const(const void *p);
size_t mstat_ksize(const void *p);
void mstat_kfree_rcu_ptr(const void *p, struct rcu_head *head);
void *mstat_kvmalloc_node_site(size_t size, gfp_t flags, int node, struct mstat_site *site);
void *mstat_krealloc_site(const void *p, size_t size, gfp_t flags, struct mstat_site *site);
void *mstat_kvrealloc_site(const void *p, size_t oldsize, size_t size, gfp_t flags,
			   struct mstat_site *site);
int mstat_alloc_bulk_site(size_t size, gfp_t flags, size_t n, void **p, struct mstat_site *site);
void mstat_free_bulk(size_t n, void **p);

struct mstat_cache;

/* The first word of every struct mstat_cache: mstat_cache_is(). */
#define MSTAT_CACHE_MAGIC	0x6d73746174636163UL	/* "mstatcac" */

/**
 * mstat_cache_is - whether a cache pointer is one of mstat's
 * @s: a struct mstat_cache or another allocator's cache (a struct
 *	kmem_cache), whose first word is then not MSTAT_CACHE_MAGIC
 *
 * For include/mstat_slab.h, which hands SLUB's caches on to SLUB.
 *
 * Return: true for a live typed cache of mstat's.
 */
static __always_inline bool mstat_cache_is(const void *s)
{
	return READ_ONCE(*(const unsigned long *)s) == MSTAT_CACHE_MAGIC;
}

struct mstat_cache *mstat_cache_create(const char *name, unsigned int size, unsigned int align,
				       slab_flags_t flags, void (*ctor)(void *));
void mstat_cache_destroy(struct mstat_cache *s);
unsigned int mstat_cache_size(struct mstat_cache *s);
void *mstat_cache_alloc_site(struct mstat_cache *s, gfp_t flags, struct mstat_site *site);
void *mstat_cache_alloc_node_site(struct mstat_cache *s, gfp_t flags, int node,
				  struct mstat_site *site);
void mstat_cache_free(struct mstat_cache *s, void *obj);
int mstat_cache_alloc_bulk_site(struct mstat_cache *s, gfp_t flags, size_t n, void **p,
				struct mstat_site *site);
void mstat_cache_free_bulk(struct mstat_cache *s, size_t n, void **p);
void mstat_read_stats(struct mstat_stats *st);
int mstat_read_sites(struct mstat_site_stats *rows, unsigned int max);

#ifdef MODULE
#define __mstat_site_section	__section("mstat_sites")
#else
/* built in, no section: vmlinux's linker script does not know this one */
#define __mstat_site_section
#endif

/* A static struct mstat_site for the line this is on; its address. */
#define __mstat_site() ({							\
	static struct mstat_site __mstat_site_here __mstat_site_section __aligned(8) = { \
		.file = __FILE__,						\
		.function = __func__,						\
		.modname = KBUILD_MODNAME,					\
		.owner = THIS_MODULE,						\
		.line = __LINE__,						\
		.last = MSTAT_SITE_NO_CLASS,					\
	};									\
	&__mstat_site_here;							\
})

/**
 * mstat_alloc - allocate memory from mstat, counted to this call site
 * @size: bytes wanted
 * @flags: GFP flags, as for kmalloc()
 *
 * A static struct mstat_site for this line, then mstat_alloc_site().
 *
 * Return: the object, ZERO_SIZE_PTR for @size 0, or NULL.
 */
#define mstat_alloc(size, flags)	mstat_alloc_site((size), (flags), __mstat_site())

/**
 * mstat_alloc_node - allocate memory on a node, counted to this call site
 * @size: bytes wanted
 * @flags: GFP flags, as for kmalloc_node()
 * @node: the memory node, or NUMA_NO_NODE
 *
 * A static struct mstat_site for this line, then mstat_alloc_node_site().
 *
 * Return: the object, ZERO_SIZE_PTR for @size 0, or NULL.
 */
#define mstat_alloc_node(size, flags, node)					\
	mstat_alloc_node_site((size), (flags), (node), __mstat_site())

/**
 * mstat_zalloc - allocate zeroed memory from mstat, counted to this call site
 * @size: bytes wanted
 * @flags: GFP flags, as for kmalloc()
 *
 * Same as mstat_alloc() with __GFP_ZERO: the whole usable size is zeroed.
 *
 * Return: the object, ZERO_SIZE_PTR for @size 0, or NULL.
 */
#define mstat_zalloc(size, flags)	mstat_alloc((size), (flags) | __GFP_ZERO)

/**
 * mstat_alloc_array_site - allocate an array, its size checked for overflow
 * @n: elements
 * @size: bytes each
 * @flags: GFP flags, as for kmalloc_array()
 * @site: the call site
 *
 * Return: the array, or NULL if @n * @size overflows or memory is short.
 */
static __always_inline void *mstat_alloc_array_site(size_t n, size_t size, gfp_t flags,
						    struct mstat_site *site)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return mstat_alloc_site(bytes, flags, site);
}

/**
 * mstat_alloc_array - kmalloc_array()'s counterpart, counted to this call site
 * @n: elements
 * @size: bytes each
 * @flags: GFP flags
 *
 * Return: the array, or NULL if @n * @size overflows or memory is short.
 */
#define mstat_alloc_array(n, size, flags)					\
	mstat_alloc_array_site((n), (size), (flags), __mstat_site())

/**
 * mstat_calloc - kcalloc()'s counterpart: a zeroed array, counted to this call site
 * @n: elements
 * @size: bytes each
 * @flags: GFP flags
 *
 * Return: the array, or NULL if @n * @size overflows or memory is short.
 */
#define mstat_calloc(n, size, flags)	mstat_alloc_array((n), (size), (flags) | __GFP_ZERO)

/**
 * mstat_realloc - krealloc()'s counterpart, counted to this call site
 * @p: the object, or NULL
 * @new_size: bytes wanted; 0 frees
 * @flags: GFP flags
 *
 * See mstat_realloc_site().
 *
 * Return: the object, ZERO_SIZE_PTR for @new_size 0, or NULL (@p intact).
 */
#define mstat_realloc(p, new_size, flags)					\
	mstat_realloc_site((p), (new_size), (flags), __mstat_site())

/**
 * mstat_memdup - kmemdup()'s counterpart, counted to this call site
 * @src: the bytes
 * @len: how many
 * @flags: GFP flags
 *
 * Return: the copy, or NULL.
 */
#define mstat_memdup(src, len, flags)	mstat_memdup_site((src), (len), (flags), __mstat_site())

/**
 * mstat_strdup - kstrdup()'s counterpart, counted to this call site
 * @s: the string, or NULL
 * @flags: GFP flags
 *
 * Return: the copy, or NULL.
 */
#define mstat_strdup(s, flags)		mstat_strdup_site((s), (flags), __mstat_site())

/**
 * mstat_strndup - kstrndup()'s counterpart, counted to this call site
 * @s: the string, or NULL
 * @max: the most characters to copy
 * @flags: GFP flags
 *
 * Return: the copy, terminated, or NULL.
 */
#define mstat_strndup(s, max, flags)	mstat_strndup_site((s), (max), (flags), __mstat_site())

/**
 * mstat_free_rcu - kfree_rcu()'s counterpart: free after an RCU grace period
 * @ptr: the object, general or of a typed cache
 * @rhf: the name of a struct rcu_head member of *@ptr
 *
 * See mstat_free_rcu_ptr().
 */
#define mstat_free_rcu(ptr, rhf)						\
	do {									\
		typeof(ptr) ___p = (ptr);					\
										\
		if (___p)							\
			mstat_free_rcu_ptr(___p, (void *)___p +			\
					   offsetof(typeof(*___p), rhf));	\
	} while (0)

/**
 * mstat_alloc_bulk - kmem_cache_alloc_bulk()'s counterpart for general objects
 * @size: bytes of each object
 * @flags: GFP flags
 * @n: objects wanted
 * @p: where they go
 *
 * All or nothing, counted to this call site.
 *
 * Return: @n, or 0 (and nothing allocated) if memory is short.
 */
#define mstat_alloc_bulk(size, flags, n, p)					\
	mstat_alloc_bulk_site((size), (flags), (n), (p), __mstat_site())

/**
 * mstat_cache_alloc - kmem_cache_alloc()'s counterpart, counted to this call site
 * @s: the typed cache
 * @flags: GFP flags
 *
 * Return: the object, or NULL.
 */
#define mstat_cache_alloc(s, flags)	mstat_cache_alloc_site((s), (flags), __mstat_site())

/**
 * mstat_cache_zalloc - kmem_cache_zalloc()'s counterpart, counted to this call site
 * @s: the typed cache
 * @flags: GFP flags
 *
 * Return: the object, zeroed (over its constructed state, if any), or NULL.
 */
#define mstat_cache_zalloc(s, flags)	mstat_cache_alloc((s), (flags) | __GFP_ZERO)

/**
 * mstat_cache_alloc_node - kmem_cache_alloc_node()'s counterpart, counted to this call site
 * @s: the typed cache
 * @flags: GFP flags
 * @node: the memory node, or NUMA_NO_NODE
 *
 * Return: the object, or NULL.
 */
#define mstat_cache_alloc_node(s, flags, node)					\
	mstat_cache_alloc_node_site((s), (flags), (node), __mstat_site())

/**
 * mstat_cache_alloc_bulk - kmem_cache_alloc_bulk()'s counterpart, counted to this call site
 * @s: the typed cache
 * @flags: GFP flags
 * @n: objects wanted
 * @p: where they go
 *
 * Return: @n, or 0 (and nothing allocated) if memory is short.
 */
#define mstat_cache_alloc_bulk(s, flags, n, p)					\
	mstat_cache_alloc_bulk_site((s), (flags), (n), (p), __mstat_site())

#endif /* _MSTAT_H */

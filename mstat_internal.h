/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mstat internals shared by the core (classes, central pools, spans,
 * hotplug), the per-CPU caches and the /proc/mstat reader.
 */
#ifndef _MSTAT_INTERNAL_H
#define _MSTAT_INTERNAL_H

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/list.h>
#include <linux/sched.h>
#include <linux/local_lock.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/reciprocal_div.h>
#include <linux/seq_file.h>
#include <linux/jump_label.h>
#include <linux/kasan.h>
#include <linux/kmsan-checks.h>
#include <linux/spinlock.h>
#include <linux/stddef.h>
#include <linux/swab.h>

/*
 * What mstat is built for.  A large object's page->private holds a 32-bit
 * generation above its page count (mstat_large_claim()), and the
 * counters are u64s stored whole (smp_store_release()): 64-bit kernels
 * only.  A large object keeps its key in its second page (more than one
 * page above MSTAT_MAX_SMALL): pages of at most 16 KiB.
 */
#if BITS_PER_LONG != 64
#error "mstat supports 64-bit kernels only (large-object words and u64 counters stored whole)"
#endif
#if PAGE_SHIFT > 14
#error "mstat supports pages of 4 KiB to 16 KiB only (a large object must span two pages)"
#endif

/*
 * Size classes: 8-byte steps up to 64 bytes, then eight classes per
 * power of two (step = 1/8 of the lower power), up to 32 KiB.  Rounding a
 * request up to its class therefore wastes less than 1/8 of the class
 * size, or less than the 8-byte minimum alignment below 64 bytes.
 */
#define MSTAT_MIN_SIZE		8
#define MSTAT_LINEAR_MAX	64
#define MSTAT_STEPS_SHIFT	3	/* 8 classes per power of two */
#define MSTAT_MAX_SMALL		32768
#define MSTAT_NR_LINEAR		(MSTAT_LINEAR_MAX / MSTAT_MIN_SIZE)
#define MSTAT_NR_SIZES		(MSTAT_NR_LINEAR + \
				 ((ilog2(MSTAT_MAX_SMALL) - ilog2(MSTAT_LINEAR_MAX)) \
				  << MSTAT_STEPS_SHIFT))
/*
 * Typed caches (mstat_typed.c) are classes too, after the size classes:
 * each per-CPU cache has room for MSTAT_MAX_TYPED of them, and a struct
 * mstat_pcpu must fit one per-CPU allocation (PCPU_MIN_UNIT_SIZE).
 */
#define MSTAT_MAX_TYPED		16
#define MSTAT_NR_CLASSES	(MSTAT_NR_SIZES + MSTAT_MAX_TYPED)

/* Spans never exceed this order; see mstat_pick_span_order(). */
#define MSTAT_MAX_SPAN_ORDER	5
/* Objects a span holds, where an order up to PAGE_ALLOC_COSTLY_ORDER allows. */
#define MSTAT_SPAN_OBJS		16
/* Free object slots in one per-CPU class cache. */
#define MSTAT_CACHE_SLOTS	32
/* Wholly free spans a central pool keeps before returning pages. */
#define MSTAT_EMPTY_RESERVE	1
/* The largest span, and the alignment of every span. */
#define MSTAT_MAX_SPAN_BYTES	(PAGE_SIZE << MSTAT_MAX_SPAN_ORDER)

/*
 * The page allocator's largest block.  MAX_ORDER was exclusive up to 6.3,
 * inclusive in 6.4-6.7, and is MAX_PAGE_ORDER from 6.8: MAX_ORDER_NR_PAGES
 * means the same thing in all of them.
 */
#define MSTAT_MAX_LARGE_ORDER	ilog2(MAX_ORDER_NR_PAGES)
#define MSTAT_MAX_LARGE		(PAGE_SIZE << MSTAT_MAX_LARGE_ORDER)

/**
 * struct mstat_class - one size class, fixed after init
 * @size: object size in bytes: what a client may use
 * @stride: bytes from one object to the next in a span: @size, or in debug
 *	mode the slot of red zones, object and metadata (mstat_debug.c)
 * @span_order: page order of the spans the objects are carved from
 * @nobjs: objects per span
 * @fb_order: order of a span when one of @span_order (order 2 and up)
 *	cannot be had without retrying (fragmentation): the least order that
 *	holds one object, kmalloc's order for the size; @span_order where
 *	there is no smaller one to fall back on
 * @fb_nobjs: objects in a span of @fb_order: one, if it is not @span_order
 * @cache_cap: most free objects a per-CPU cache holds of this class
 * @batch: objects moved per refill from, or flush to, the central pool
 * @stride_recip: reciprocal of @stride, to check offsets without a divide
 * @states_off: offset in a span of @span_order of its state vector
 * @fb_states_off: the same in a span of @fb_order, if @fb_order is 0; from
 *	order 1 the one object may fill its span (a power of two at
 *	kmalloc's order), so its state is in the span's second struct page
 * @index_mul: ceil(2^32 / @stride): an object's offset in its span times
 *	this, over 2^32, is its index (exact for offsets that are multiples
 *	of @stride below 2^32 / @stride)
 * @span_mask: bytes in a span of @span_order, less one
 * @fast_info: page->private of a page of a span of @span_order, less the
 *	free count (MSTAT_INFO_FIXED): the fast free's whole check of the page
 * @span_info: the same in every class, for mstat_cached_span_live(); 0 in
 *	@fast_info where the fast free cannot find the class's indexes
 * @starts: bit i set if an object starts in page i of a span of
 *	@span_order: the pages mstat_map_span() marks
 * @fb_starts: the same for a span of @fb_order
 * @red_left: bytes before each object in its slot: debug mode's red zone
 *	(more for a typed cache's alignment), else 0
 * @flags: MSTAT_CLS_*
 * @ctor: a typed cache's constructor, run on each object as its span is
 *	carved, or NULL
 *
 * A size class is set at load; a typed cache's class when the cache is
 * made, before any object of it exists (mstat_class_setup()).
 */
struct mstat_class {
	unsigned int size;
	unsigned int stride;
	unsigned int span_order;
	unsigned int nobjs;
	unsigned int fb_order;
	unsigned int fb_nobjs;
	unsigned int cache_cap;
	unsigned int batch;
	struct reciprocal_value stride_recip;
	unsigned int states_off;
	unsigned int fb_states_off;
	unsigned int index_mul;
	unsigned int span_mask;
	unsigned int fast_info;
	unsigned int span_info;
	unsigned long starts;
	unsigned long fb_starts;
	unsigned int red_left;
	unsigned int flags;
	void (*ctor)(void *obj);
} ____cacheline_aligned;

/*
 * A free object keeps what its client left in it: its constructed state
 * (MSTAT_CLS_CTOR), or an object of the same cache for readers under RCU
 * (MSTAT_CLS_RCU): no poison in debug mode, no KMSAN poison at allocation
 * for a constructed one, no KASAN poison at free for an RCU one.
 */
#define MSTAT_CLS_TYPED		BIT(0)
#define MSTAT_CLS_CTOR		BIT(1)
#define MSTAT_CLS_RCU		BIT(2)

static inline bool mstat_cls_keeps(const struct mstat_class *mc)
{
	return mc->flags & (MSTAT_CLS_CTOR | MSTAT_CLS_RCU);
}

/* mstat_class.c */
void mstat_class_setup(unsigned int cls, unsigned int size, unsigned int stride,
		       unsigned int red_left);
void mstat_classes_init(void);

extern struct mstat_class mstat_classes[MSTAT_NR_CLASSES];

/**
 * struct mstat_central - the pool of spans of one class on one node,
 *	shared by all CPUs (mstat_pool.c)
 * @lock: protects everything below; taken only on the slow path
 * @partial: spans (their first pages, linked by page->lru) with free
 *	objects, partly used ones first
 * @full: spans whose objects are all out (in caches or in use)
 * @nspans: spans of this class
 * @npages: their pages; read without the lock
 * @nempty: spans on @partial whose objects are all free
 * @nops: takes and puts so far, for idle reclaim to tell a pool at rest
 * @limbo: released spans not yet past a grace period
 * @rcu: for mstat_limbo_rcu(), queued while @limbo is not empty
 * @rcu_queued: whether @rcu is queued, until its callback handed its
 *	spans on (mstat_limbo_drain())
 * @cls: the pool's class, set at load
 */
struct mstat_central {
	spinlock_t lock;	/* protects the fields below */
	struct list_head partial;
	struct list_head full;
	unsigned long nspans;
	unsigned long npages;
	unsigned long nempty;
	unsigned long nops;
	struct list_head limbo;
	struct rcu_head rcu;
	bool rcu_queued;
	unsigned int cls;
} ____cacheline_aligned_in_smp;

/* Objects in a span of class @mc and order @order. */
static inline unsigned int mstat_span_capacity(const struct mstat_class *mc, unsigned int order)
{
	return order == mc->span_order ? mc->nobjs : mc->fb_nobjs;
}

/**
 * struct mstat_counters - statistics of one CPU, written only by that CPU
 * @nfree: small objects freed, per class: in a read's sums only, where the
 *	read puts the sum of the class's keys (a cache counts small objects
 *	per key, struct mstat_site_chunk, and its own @nfree stays 0)
 * @large_nfree: large objects freed
 * @large_free_bytes: usable bytes of the large objects freed
 * @rcu_freed: objects mstat_free_rcu() was given that this CPU freed,
 *	after their grace period
 * @nmalloc: small objects allocated, per class: as @nfree
 * @large_nmalloc: large objects allocated
 * @large_alloc_bytes: usable bytes of the large objects allocated
 * @nrefill: refills of a class cache from its central pool
 * @nflush: flushes of a class cache to its central pool
 * @ndonations: donations received from CPUs that went offline
 * @nreclaim: class caches emptied by reclaim (shrinker or idle reclaim)
 * @reclaimed_bytes: bytes of the free objects reclaim took out of the cache
 * @rcu_queued: objects given to mstat_free_rcu() on this CPU
 * @nrefill_objs: objects refills brought into the cache, per class
 * @nflush_objs: objects flushes (and drains) took out of it, per class
 *
 * The cache of a class holds nrefill_objs - nflush_objs - nmalloc + nfree
 * objects, so a reader learns cached_bytes from the counters without
 * touching the cache lines the fast path works on.
 *
 * Small-object bytes are not counted: they are nmalloc (or nfree) times
 * the class size.  The counters are cumulative and never reset, except
 * when a dead CPU's are donated.
 *
 * All fields are u64 and the "free" ones come first: a read takes them in
 * a first pass over the CPUs and the rest in a second (mstat_read_caches()).
 */
struct mstat_counters {
	u64 nfree[MSTAT_NR_CLASSES];
	u64 large_nfree;
	u64 large_free_bytes;
	u64 rcu_freed;
	/* second pass from here */
	u64 nmalloc[MSTAT_NR_CLASSES];
	u64 large_nmalloc;
	u64 large_alloc_bytes;
	u64 nrefill;
	u64 nflush;
	u64 ndonations;
	u64 nreclaim;
	u64 reclaimed_bytes;
	u64 rcu_queued;
	u64 nrefill_objs[MSTAT_NR_CLASSES];
	u64 nflush_objs[MSTAT_NR_CLASSES];
};

#define MSTAT_NR_COUNTERS	(sizeof(struct mstat_counters) / sizeof(u64))
#define MSTAT_NR_FREE_COUNTERS	(offsetof(struct mstat_counters, nmalloc) / sizeof(u64))

/* The counters as an array, for code that treats them all alike. */
static inline u64 *mstat_counter_array(struct mstat_counters *c)
{
	return (u64 *)c;
}

/*
 * Keys (mstat_sites.c).  Every allocation and free of a small object is
 * counted once, to a key: a pair of an allocation site and a size class
 * (or "large").  A site gets a record on its first allocation and a key
 * for each class it allocates from; keys 0 to MSTAT_NR_CLASSES are those
 * of no site, "(unattributed)", one per class and one for large objects,
 * so that the key of class cls with no site is cls.  A class's totals are
 * the sum of its keys, a site's row the sum of its keys.  Each cache
 * counts per key, in chunks of MSTAT_SITE_CHUNK keys allocated for every
 * cache when the first key of a chunk is made: a cache's chunk pointers
 * are written once, before any key they serve is published, and its
 * counters only by its owner, as struct mstat_counters.
 */
#define MSTAT_MAX_SITES		4096
#define MSTAT_MAX_KEYS		4096
#define MSTAT_SITE_CHUNK	64
#define MSTAT_SITE_CHUNKS	(MSTAT_MAX_KEYS / MSTAT_SITE_CHUNK)
#define MSTAT_LARGE_CLS		MSTAT_NR_CLASSES	/* the "class" of large objects' keys */
/* struct mstat_site's @id of a site that found the table full: no row, for good */
#define MSTAT_SITE_UNATTRIBUTED	UINT_MAX

/*
 * struct mstat_site's @last: the key in the top 12 bits, the class in the
 * low 8 (MSTAT_SITE_NO_CLASS, no class, until the first allocation): the
 * fast path's check is one compare, its key one shift.
 */
#define MSTAT_LAST_CLS		0xffU
#define MSTAT_LAST_KEY_SHIFT	20

/* Whether @last, a site's, is of class @cls; its key at @keyp. */
static __always_inline bool mstat_last_key(unsigned int last, unsigned int cls,
					   unsigned int *keyp)
{
	BUILD_BUG_ON(MSTAT_MAX_KEYS > 1U << (32 - MSTAT_LAST_KEY_SHIFT));
	*keyp = last >> MSTAT_LAST_KEY_SHIFT;
	return (last & MSTAT_LAST_CLS) == cls;
}

/* The class of each key (MSTAT_LARGE_CLS for large), 0xff if not made yet. */
extern u8 mstat_key_cls[MSTAT_MAX_KEYS];

/*
 * The counters of MSTAT_SITE_CHUNK keys in one cache: the free ones
 * first, as in struct mstat_counters.  An allocation and the free that
 * follows it write different lines (one struct per key made the hot pair
 * slower by 5-7%).  The bytes are counted for large keys only.
 */
struct mstat_site_chunk {
	u64 nfree[MSTAT_SITE_CHUNK];
	u64 free_bytes[MSTAT_SITE_CHUNK];
	/* second pass from here */
	u64 nmalloc[MSTAT_SITE_CHUNK];
	u64 alloc_bytes[MSTAT_SITE_CHUNK];
};

#define MSTAT_CHUNK_FREE_WORDS	(2 * MSTAT_SITE_CHUNK)
#define MSTAT_CHUNK_WORDS	(sizeof(struct mstat_site_chunk) / sizeof(u64))

/* The sums of one key, or of one site's keys, over caches. */
struct mstat_site_counters {
	u64 nfree;
	u64 free_bytes;
	u64 nmalloc;
	u64 alloc_bytes;
};

/**
 * struct mstat_class_cache - free objects of one class cached by one CPU
 * @count: objects in @objs
 * @objs: a stack: allocation pops the most recently freed object
 */
struct mstat_class_cache {
	unsigned int count;
	void *objs[MSTAT_CACHE_SLOTS];
};

/**
 * struct mstat_node_counters - what one CPU's cache did with one node's pools
 * @refill_local: objects refilled from the node's pools while the CPU's
 *	node (mstat_home_node()) was this one
 * @refill_remote: objects refilled from them while it was another
 * @remote_frees: objects of the node freed by the CPU while its node was
 *	another, sent home through the cache's remote buffer
 *
 * Written by the cache's owner, the refills under its large_lock together
 * with nrefill_objs, so that a reader holding it sees them sum exactly.
 */
struct mstat_node_counters {
	u64 refill_local;
	u64 refill_remote;
	u64 remote_frees;
};

/* Objects freed on a CPU of another node wait here for their trip home. */
#define MSTAT_REMOTE_SLOTS	32

/*
 * Objects given to mstat_free_rcu() in one context of one CPU, waiting for
 * a batch: their addresses in pages of pointers, newest page first, so that
 * a batch reads nothing of the client's memory; where no page could be had,
 * chained through their own rcu_heads (each head's func holds its object),
 * as kvfree_call_rcu() falls back.
 */
#define MSTAT_RCU_BLOCK_OBJS	((PAGE_SIZE - 2 * sizeof(void *)) / sizeof(void *))

struct mstat_rcu_block {
	struct mstat_rcu_block *next;
	unsigned long n;
	const void *objs[MSTAT_RCU_BLOCK_OBJS];
};

struct mstat_rcu_pending {
	struct mstat_rcu_block *blocks;
	struct rcu_head *heads;
};

/**
 * struct mstat_pcpu - a per-CPU cache
 * @lock: makes its holder the only code on this CPU using the cache
 * @large_lock: held by the owner while it counts a large object or a
 *	refill and by a reader while it reads those counters: a count and
 *	its bytes (or a refill's class and node counts) are two words, never
 *	to be seen one without the other.  The owner takes it as it is (in
 *	task context for the task cache, with interrupts off for the irq
 *	cache); readers, in task context only, with interrupts off, so no
 *	interrupt on a reader's CPU spins on it
 * @stats: the counters of the work done through this cache
 * @sites: the counters per key, MSTAT_SITE_CHUNK keys a chunk
 * @cls: free objects, per class
 * @nodes: per node, nr_node_ids of them
 * @nremote: objects in @remote
 * @remote: objects freed here whose pages are on another node; they count
 *	as cached until mstat_remote_flush() sends them to their node's pool
 * @remote_key: the class and node of each (mstat_remote_key())
 * @rcu: objects given to mstat_free_rcu() here, not yet in a batch (mstat_rcu.c)
 * @rcu_n: how many
 */
struct mstat_pcpu {
	local_lock_t lock;
	raw_spinlock_t large_lock;
	struct mstat_counters stats;
	struct mstat_site_chunk *sites[MSTAT_SITE_CHUNKS];
	struct mstat_class_cache cls[MSTAT_NR_CLASSES];
	/* slow paths only, after what the fast paths touch */
	struct mstat_node_counters *nodes;
	unsigned int nremote;
	void *remote[MSTAT_REMOTE_SLOTS];
	u32 remote_key[MSTAT_REMOTE_SLOTS];
	struct mstat_rcu_pending rcu;
	unsigned int rcu_n;
};

#define MSTAT_NODE_COUNTERS	(sizeof(struct mstat_node_counters) / sizeof(u64))

/* A remote buffer's entry: class in the high bits, so that it sorts first. */
static inline u32 mstat_remote_key(unsigned int cls, int nid)
{
	return cls << 16 | nid;
}

static inline unsigned int mstat_remote_cls(u32 key)
{
	return key >> 16;
}

/*
 * Node counters are written by their cache's owner on slow paths only,
 * plainly in every build (the bench's MSTAT_STATS variants index struct
 * mstat_counters, which these are not part of).
 */
static inline void mstat_node_add(u64 *ctr, u64 n)
{
	WRITE_ONCE(*ctr, *ctr + n);
}

/*
 * For each node, the nearest node with memory (itself if it has some):
 * what a CPU of that node refills from and counts as local.  numa_mem_id()
 * says the same only where the architecture has HAVE_MEMORYLESS_NODES.
 * Read-mostly, set at load and when memory comes or goes.
 */
extern int *mstat_homes;

static __always_inline int mstat_home_node(void)
{
	return READ_ONCE(mstat_homes[numa_node_id()]);
}

/* More than one memory node is possible: objects may have to go home. */
DECLARE_STATIC_KEY_FALSE(mstat_numa_key);

static __always_inline bool mstat_numa(void)
{
	return static_branch_unlikely(&mstat_numa_key);
}

/*
 * Whether an object of mstat's lies on another node than the calling
 * CPU's (whose caller cannot migrate).  A page's node never changes.
 */
static __always_inline bool mstat_obj_remote(const void *obj)
{
	return mstat_numa() &&
	       page_to_nid(virt_to_page(kasan_reset_tag(obj))) != mstat_home_node();
}

/*
 * Each CPU has two caches, one per kind of context.  Task context uses the
 * task cache with preemption off; interrupts never touch it, so they stay
 * on.  Softirq and hardirq context use the irq cache with interrupts off.
 * Keeping interrupts enabled on the common path is what makes it cheap: on
 * x86 pushf/cli/popf costs more than the rest of an allocation, and on UML
 * each flip of the interrupt flag is a call into the host side.  memcg's
 * per-CPU object stock was split the same way ("mm/memcg: optimize user
 * context object stock access", Linux 5.14): most allocations come from
 * task context.
 */
enum mstat_ctx {
	MSTAT_TASK,
	MSTAT_IRQ,
	MSTAT_NR_CTX
};

extern struct mstat_pcpu __percpu *mstat_caches[MSTAT_NR_CTX];
/*
 * Every possible CPU's caches, [cpu * MSTAT_NR_CTX + ctx]; NULL for CPUs
 * that are not possible.
 */
extern struct mstat_pcpu **mstat_cpu_caches;

/* Snapshot of the statistics, as /proc/mstat prints them. */
struct mstat_totals {
	struct mstat_counters sum;
	bool online;		/* a CPU's row: online when it was read */
	u64 cached_bytes;
	u64 sys_bytes;
	u64 nbad_ptr;
	u64 ndouble_free;
	u64 nwrite_after_free;
	u64 nredzone;
	/* the typed classes' sizes when read; the bytes retypings left (mstat_retype_begin()) */
	unsigned int typed_size[MSTAT_MAX_TYPED];
	u64 retyped_bytes;
};

/**
 * mstat_size_to_class - class index for a small request
 * @size: 1..MSTAT_MAX_SMALL
 *
 * Return: index of the smallest class that holds @size bytes.
 */
static inline unsigned int mstat_size_to_class(size_t size)
{
	unsigned int shift;

	if (size <= MSTAT_LINEAR_MAX)
		return (size - 1) / MSTAT_MIN_SIZE;
	/* size - 1 lies in [2^(shift+3), 2^(shift+4)): step is 2^shift */
	shift = __fls(size - 1) - MSTAT_STEPS_SHIFT;
	return MSTAT_NR_LINEAR +
	       ((shift + MSTAT_STEPS_SHIFT - ilog2(MSTAT_LINEAR_MAX)) << MSTAT_STEPS_SHIFT) +
	       (((size - 1) >> shift) & ((1U << MSTAT_STEPS_SHIFT) - 1));
}

/* mstat_size_to_class() of every size up to MSTAT_MAX_SMALL, by (size - 1) / 8 */
extern u8 mstat_size_class[MSTAT_MAX_SMALL / MSTAT_MIN_SIZE];

static inline u64 mstat_class_bytes(unsigned int cls, u64 nobjs)
{
	return nobjs * mstat_classes[cls].size;
}

/*
 * Counters are written by their own CPU only, under the cache lock: with
 * __this_cpu_add() on the fast paths, with a plain read-modify-write and
 * WRITE_ONCE() elsewhere; readers on other CPUs use READ_ONCE().
 *
 * Two other builds exist only to measure what the statistics cost (make
 * bench): MSTAT_STATS_NONE counts nothing, MSTAT_STATS_ATOMIC counts in one
 * global set of atomic64_t, the design the per-CPU counters replace.  Their
 * /proc/mstat is not meaningful.
 */
#ifdef MSTAT_STATS_ATOMIC
extern atomic64_t mstat_global_stats[];
#endif

/* Add @n to counter @ctr of @c, the calling CPU's own cache, lock held. */
static inline void mstat_stat_add(struct mstat_pcpu *c, u64 *ctr, u64 n)
{
#if defined(MSTAT_STATS_ATOMIC)
	atomic64_add(n, &mstat_global_stats[ctr - mstat_counter_array(&c->stats)]);
#elif !defined(MSTAT_STATS_NONE)
	WRITE_ONCE(*ctr, *ctr + n);
#endif
}

/*
 * A free counter (nfree, large_nfree, large_free_bytes) is written with
 * release semantics: a reader that sees a free then sees the allocation
 * it follows, made on this CPU or on another that handed the object over
 * (mstat_read_caches(), litmus/).
 */
static inline void mstat_stat_add_free(struct mstat_pcpu *c, u64 *ctr, u64 n)
{
#if defined(MSTAT_STATS_ATOMIC) || defined(MSTAT_STATS_NONE) || defined(MSTAT_PLAIN_FREE)
	mstat_stat_add(c, ctr, n);
#else
	/* pairs with the smp_rmb() between mstat_read_caches()' passes */
	smp_store_release(ctr, *ctr + n);
#endif
}

#define MSTAT_COUNTER_INDEX(field)	(offsetof(struct mstat_counters, field) / sizeof(u64))

/*
 * Of a caller's GFP flags, what mstat hands the page allocator for a span:
 * how hard to try and where, as SLUB masks them (GFP_RECLAIM_MASK |
 * GFP_CONSTRAINT_MASK in mm/internal.h).  Never a zone, __GFP_COMP,
 * __GFP_ZERO (mstat zeroes the object), __GFP_MOVABLE or __GFP_RECLAIMABLE
 * (spans are neither), nor __GFP_ACCOUNT: a span serves every caller of its
 * class, so mstat charges no memcg for it.  A large object is its caller's
 * alone: it gets __GFP_ZERO and __GFP_ACCOUNT too.
 */
#define MSTAT_GFP_SPAN	(__GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HIGH | __GFP_NOWARN | \
			 __GFP_RETRY_MAYFAIL | __GFP_NOFAIL | __GFP_NORETRY | __GFP_MEMALLOC | \
			 __GFP_NOMEMALLOC | __GFP_HARDWALL | __GFP_THISNODE | __GFP_NOLOCKDEP)
#define MSTAT_GFP_LARGE	(MSTAT_GFP_SPAN | __GFP_ZERO | __GFP_ACCOUNT)

/* A free's class filter: mstat_free() takes an object of any class. */
#define MSTAT_ANY_CLS		UINT_MAX

/**
 * struct mstat_cache - a typed cache (mstat_typed.c)
 * @magic: MSTAT_CACHE_MAGIC while it lives: first, for mstat_cache_is()
 * @name: its name, copied
 * @object_size: bytes asked for per object
 * @align: the alignment of its objects
 * @flags: SLAB_* flags it was made with
 * @cls: its class, MSTAT_NR_SIZES + its slot
 * @base: allocations of its class before it was made (as many frees)
 * @leaked: destroyed with live objects, which keep its class
 * @list: in mstat_typed_caches
 */
struct mstat_cache {
	unsigned long magic;
	const char *name;
	unsigned int object_size;
	unsigned int align;
	slab_flags_t flags;
	unsigned int cls;
	u64 base;
	bool leaked;
	struct list_head list;
};

/* What a pointer handed to mstat_free() is, as far as mstat can tell. */
enum mstat_owner {
	MSTAT_FOREIGN,	/* not the start of an object mstat allocated */
	MSTAT_SMALL,	/* an object of a size class */
	MSTAT_LARGE,	/* pages straight from the page allocator */
};

/*
 * mstat_owner.c: which page frames are mstat's.  A span is one block of the
 * page allocator, aligned to its size, and is described by the struct page
 * of its first page (struct page's main union is the allocating owner's to
 * use; see include/linux/mm_types.h): page->lru links it into its central
 * pool, page->index holds its freelist, page->private its class and its
 * count of free objects.  Every page of a span in which an object starts
 * has its bit set in mstat_owned and the class in page->private; the first
 * page of a large object has its bit set and its page count in
 * page->private.  Other pages are not marked: no object starts there.
 */
extern unsigned long *mstat_owned;
extern unsigned long mstat_owned_pfns;

/*
 * Memory onlined after load beyond mstat_owned_pfns gets a bitmap of its
 * own, an extent, aligned to BITS_PER_LONG page frames: published before
 * the count that makes it visible, kept until unload (memory that goes
 * offline may come back).
 */
#define MSTAT_MAX_EXTENTS	64
struct mstat_extent {
	unsigned long start_pfn;
	unsigned long end_pfn;
	unsigned long *bits;
};

unsigned long *mstat_ext_word(unsigned long pfn);
bool mstat_region(unsigned int i, unsigned long *start, unsigned long *end,
		  unsigned long **bits);
int mstat_add_extent(unsigned long start_pfn, unsigned long end_pfn);

/* The bitmap word that holds @pfn's bit (BIT_MASK(pfn)), or NULL if none does. */
static __always_inline unsigned long *mstat_owned_word(unsigned long pfn)
{
	if (likely(pfn < mstat_owned_pfns))
		return &mstat_owned[BIT_WORD(pfn)];
	return mstat_ext_word(pfn);
}

/*
 * page->private of a marked page: the kind (span or large object), a tag
 * that says the word is mstat's, and for a span its class, its order (in
 * bits 16-18) and, in its first page, its count of free objects (bits 19
 * and up); for a large object its page count (bits 16-31) and a
 * generation (bits 32 and up), which makes the word unique to one
 * allocation of those pages: mstat_large_claim().
 * A stale or forged pointer may reach a page whose bit is set but whose
 * private is someone else's by now: a word that does not decode in range
 * makes the pointer foreign, so no pointer value sends mstat outside its
 * own structures.
 */
#define MSTAT_INFO_LARGE	1UL
#define MSTAT_INFO_SPAN		2UL
#define MSTAT_INFO_SHIFT	2
#define MSTAT_INFO_CLS_MASK	0xffUL
#define MSTAT_INFO_TAG_SHIFT	10
#define MSTAT_INFO_TAG		(0x2dUL << MSTAT_INFO_TAG_SHIFT)
#define MSTAT_INFO_TAG_MASK	(0x3fUL << MSTAT_INFO_TAG_SHIFT)
#define MSTAT_INFO_ORDER_SHIFT	16
#define MSTAT_INFO_ORDER_MASK	7UL
#define MSTAT_INFO_NFREE_SHIFT	19
#define MSTAT_INFO_FIXED	(BIT(MSTAT_INFO_NFREE_SHIFT) - 1)
#define MSTAT_INFO_PAGES_SHIFT	16
#define MSTAT_INFO_PAGES_MASK	0xffffUL
#define MSTAT_INFO_GEN_SHIFT	32
/* a large object mstat_free_rcu() was given: freed after a grace period (mstat_rcu.c) */
#define MSTAT_INFO_RCU		BIT(MSTAT_INFO_SHIFT)

/* A large object's page count, from its first page's private. */
static inline unsigned long mstat_info_pages(unsigned long info)
{
	return (info >> MSTAT_INFO_PAGES_SHIFT) & MSTAT_INFO_PAGES_MASK;
}

static inline unsigned int mstat_info_cls(unsigned long info)
{
	return (info >> MSTAT_INFO_SHIFT) & MSTAT_INFO_CLS_MASK;
}

static inline unsigned int mstat_info_order(unsigned long info)
{
	return (info >> MSTAT_INFO_ORDER_SHIFT) & MSTAT_INFO_ORDER_MASK;
}

/*
 * The page->private of the page @ptr lies in, if mstat owns that page;
 * else 0.  Only the linear map holds mstat's memory, and __pa() is valid
 * there, so the bit is found by arithmetic alone: no struct page is read
 * before the bit says the page is mstat's.
 */
static inline unsigned long mstat_page_info(const void *ptr, unsigned long *pfnp)
{
	/* a tag-based KASAN pointer carries a tag in its top byte */
	unsigned long addr = (unsigned long)kasan_reset_tag(ptr), pfn, *word;

	if (addr - PAGE_OFFSET >= (unsigned long)high_memory - PAGE_OFFSET)
		return 0;
	pfn = PHYS_PFN(__pa(addr));
	word = mstat_owned_word(pfn);
	/*
	 * Acquire, pairing with mstat_owned_or(): a stale pointer into a span
	 * that another CPU is creating has no hand-over to order its reads,
	 * and on a weakly ordered CPU could see the bit but the page's
	 * earlier contents (a zeroed state reads as live).
	 */
	if (!word || !(smp_load_acquire(word) & BIT_MASK(pfn)))
		return 0;
	*pfnp = pfn;
	/* the free count in a span's first page changes under the pool's lock */
	return READ_ONCE(pfn_to_page(pfn)->private);
}

/**
 * mstat_owner - tell what a pointer is
 * @ptr: pointer given to mstat_free() or mstat_usable_size()
 * @cls: set to the class index of a small object
 * @usable: set to the usable size of the object
 * @pfnp: set to the page frame @ptr lies in
 * @infop: set to the private of @ptr's page as read, the one reading of
 *	it: a stale pointer's page may change meanwhile (its order for a
 *	small object, mstat_info_order(); mstat_large_claim() for a large)
 *
 * Only the start of an object counts as an object: a pointer into the
 * middle of one, or into a span's unused tail, is MSTAT_FOREIGN.  A span
 * is aligned to its size, so the offset of @ptr in its span comes from the
 * page frame number: only the struct page of @ptr's own page is read.
 * Whether the object is live is for the caller to ask (mstat_obj_state()).
 *
 * Return: what @ptr is.
 */
static inline enum mstat_owner
mstat_owner(const void *ptr, unsigned int *cls, size_t *usable, unsigned long *pfnp,
	    unsigned long *infop)
{
	const struct mstat_class *mc;
	unsigned long info, pfn = 0;
	unsigned int order;
	u32 off, idx;

	info = mstat_page_info(ptr, &pfn);
	if (unlikely((info & MSTAT_INFO_TAG_MASK) != MSTAT_INFO_TAG))
		return MSTAT_FOREIGN;
	*pfnp = pfn;
	if (info & MSTAT_INFO_LARGE) {
		unsigned long npages = mstat_info_pages(info);

		if (offset_in_page(ptr) || !npages || npages > 1UL << MSTAT_MAX_LARGE_ORDER)
			return MSTAT_FOREIGN;
		/*
		 * A large object's pages go back at its free, with no grace
		 * period: a stale pointer may have read the private of a page
		 * someone else owns by now.  Its bit, cleared before the pages
		 * went, says so; read after the private, it makes the word one
		 * that mstat_large_claim() may compare and clear.
		 */
		smp_rmb();
		if (!(READ_ONCE(*mstat_owned_word(pfn)) & BIT_MASK(pfn)))
			return MSTAT_FOREIGN;
		*usable = npages << PAGE_SHIFT;
		*infop = info;
		return MSTAT_LARGE;
	}
	if (unlikely(!(info & MSTAT_INFO_SPAN) || mstat_info_cls(info) >= MSTAT_NR_CLASSES))
		return MSTAT_FOREIGN;
	mc = &mstat_classes[mstat_info_cls(info)];
	order = mstat_info_order(info);
	if (unlikely(order != mc->span_order && order != mc->fb_order))
		return MSTAT_FOREIGN;
	/* the slot's offset; below the first slot it wraps and fails the test */
	off = ((pfn & ((1UL << order) - 1)) << PAGE_SHIFT) + offset_in_page(ptr) -
	      mc->red_left;
	idx = reciprocal_divide(off, mc->stride_recip);
	if (idx >= (order == mc->span_order ? mc->nobjs : mc->fb_nobjs) ||
	    idx * mc->stride != off)
		return MSTAT_FOREIGN;
	*cls = mstat_info_cls(info);
	*usable = mc->size;
	*infop = info;
	return MSTAT_SMALL;
}

/* The page frame of the linear map's first page: see mstat_fast_state(). */
#if defined(CONFIG_X86_64) || defined(CONFIG_UML)
#define MSTAT_PFN_OFFSET	0UL	/* mstat_init() checks */
#else
extern unsigned long mstat_pfn_offset;
#define MSTAT_PFN_OFFSET	mstat_pfn_offset
#endif

/*
 * Per-object metadata: a span ends with its state vector, one u32 per
 * object after the last slot.  Its low half is the key its last
 * allocation was counted to (site and class); its high half, the link, says where the
 * object is: MSTAT_LINK_LIVE handed out, MSTAT_LINK_CACHED in a per-CPU
 * cache, otherwise on its span's free list, followed by the object of
 * index link - 1, or the last (MSTAT_LINK_LAST).  Found by arithmetic from
 * the object's address, its class and its span's order.  mstat_free()
 * reads it anyway, for the key: "is the object free?" costs a compare.
 * No object is ever written by mstat outside debug mode.
 */
#define MSTAT_LINK_LIVE		0U
#define MSTAT_LINK_CACHED	0xffffU
#define MSTAT_LINK_LAST		0xfffeU
#define MSTAT_LINK_RCU		0xfffdU	/* given to mstat_free_rcu(), still live */
#define MSTAT_STATE(key, link)	((u32)(link) << 16 | (key))

static __always_inline unsigned int mstat_state_link(u32 state)
{
	return state >> 16;
}

/* The key as written, which mstat_state_key() checks before use. */
static __always_inline unsigned int mstat_state_key_bits(u32 state)
{
	return state & 0xffff;
}

/*
 * The index of @obj in the span at @base; @obj one of its objects, so its
 * offset is a multiple of the stride, for which the multiply is exact.
 */
static __always_inline u32 mstat_obj_index(const void *obj, unsigned long base,
					   const struct mstat_class *mc)
{
	u32 off = (unsigned long)kasan_reset_tag(obj) - base - mc->red_left;

	return ((u64)off * mc->index_mul) >> 32;
}

/*
 * The state vector of a span of class @mc and order @order at @base.  A
 * fallback span of order 1 and up keeps its one object's state in its
 * second page's struct page (page->private), which is the owner's to use
 * in a block that is not compound.
 */
static __always_inline u32 *mstat_states_at(unsigned long base, const struct mstat_class *mc,
					    unsigned int order)
{
	if (likely(order == mc->span_order))
		return (u32 *)(base + mc->states_off);
	if (order)
		return (u32 *)&virt_to_page((void *)base + PAGE_SIZE)->private;
	return (u32 *)(base + mc->fb_states_off);
}

/*
 * The state of @obj, a small object of class @mc in a span of @order, as
 * the caller decoded it once from the object's page (mstat_owner()): that
 * page's private may change meanwhile if @obj is stale, and a second
 * reading could take another span's layout.
 */
static __always_inline u32 *mstat_obj_state_order(const void *obj, const struct mstat_class *mc,
						  unsigned int order)
{
	unsigned long base = (unsigned long)kasan_reset_tag(obj) & ~((PAGE_SIZE << order) - 1);

	return mstat_states_at(base, mc, order) + mstat_obj_index(obj, base, mc);
}

/*
 * The state of @obj, a small object of class @cls in a span of the class's
 * own order: every object a per-CPU cache holds (mstat_central_grow()).
 */
static __always_inline u32 *mstat_obj_state(const void *obj, unsigned int cls)
{
	const struct mstat_class *mc = &mstat_classes[cls];

	return mstat_obj_state_order(obj, mc, mc->span_order);
}

/*
 * The fast paths' (never in debug mode, so no red zone; spans of the
 * class's own order only): the state of @obj, of class @mc, from its
 * address.  A span is aligned to its size.
 */
static __always_inline u32 *mstat_obj_state_quick(const void *obj, const struct mstat_class *mc)
{
	unsigned long addr = (unsigned long)kasan_reset_tag(obj);
	u32 off = addr & mc->span_mask;

	return (u32 *)(addr - off + mc->states_off) + (u32)(((u64)off * mc->index_mul) >> 32);
}

/*
 * The state of the object at @addr in a span of class @mc at its span
 * order, the span known to be mstat's: false if @addr is no object's
 * start.  The objects end where the state vector starts.
 */
static __always_inline bool mstat_span_state(const struct mstat_class *mc, unsigned long addr,
					     u32 **stp)
{
	u32 off = addr & mc->span_mask;
	u64 prod = (u64)off * mc->index_mul;

	if (unlikely(off >= mc->states_off || (u32)prod >= mc->index_mul))
		return false;
	*stp = (u32 *)(addr - off + mc->states_off) + (u32)(prod >> 32);
	return true;
}

/*
 * The fast free's lookup: whether @ptr starts an object in a span of its
 * class's own order, and if so its class (index at @clsp, descriptor at
 * @mcp) and its state's address (at @stp); if not, the general path
 * (mstat_owner()) decides.  The same checks as mstat_owner(), in fewer
 * steps: the page frame by subtraction (an address outside the linear map
 * falls outside the bitmap, or on a page mstat does not own), the page's
 * private against one value, the index by multiplication (exact for every
 * offset in the span, mstat_classes_init()), whose low half also tells a
 * multiple of the stride: below index_mul for a multiple, at or above it
 * for any other offset (Lemire, Kaser, Kurz, "Faster remainder by direct
 * computation", 2019).
 */
static __always_inline bool mstat_fast_state(const void *ptr, unsigned int *clsp, u32 **stp,
					     const struct mstat_class **mcp)
{
	unsigned long addr = (unsigned long)kasan_reset_tag(ptr), info;
	unsigned long pfn = ((addr - PAGE_OFFSET) >> PAGE_SHIFT) + MSTAT_PFN_OFFSET;
	const struct mstat_class *mc;
	unsigned int cls;

	if (unlikely(pfn >= mstat_owned_pfns) ||
	    /* acquire: see mstat_page_info() */
	    !(smp_load_acquire(&mstat_owned[BIT_WORD(pfn)]) & BIT_MASK(pfn)))
		return false;
	info = READ_ONCE(pfn_to_page(pfn)->private);
	cls = mstat_info_cls(info);
	if (unlikely(cls >= MSTAT_NR_CLASSES))
		return false;
	mc = &mstat_classes[cls];
	if (unlikely((info & MSTAT_INFO_FIXED) != mc->fast_info))
		return false;
	if (unlikely(!mstat_span_state(mc, addr, stp)))
		return false;
	*clsp = cls;
	*mcp = mc;
	return true;
}

/*
 * mstat_fast_state() for an object that must be of class @mc (a typed
 * cache's free): the state's address follows from the address and the
 * class alone, so its load need not wait for the page's (the checks
 * before it: fast_info holds the class; 0, no fast path for the class).
 */
static __always_inline bool mstat_fast_state_cls(const void *ptr, const struct mstat_class *mc,
						 u32 **stp)
{
	unsigned long addr = (unsigned long)kasan_reset_tag(ptr), info;
	unsigned long pfn = ((addr - PAGE_OFFSET) >> PAGE_SHIFT) + MSTAT_PFN_OFFSET;

	if (unlikely(pfn >= mstat_owned_pfns) ||
	    /* acquire: see mstat_page_info() */
	    !(smp_load_acquire(&mstat_owned[BIT_WORD(pfn)]) & BIT_MASK(pfn)))
		return false;
	info = READ_ONCE(pfn_to_page(pfn)->private) & MSTAT_INFO_FIXED;
	if (unlikely(!info || info != mc->fast_info))
		return false;
	return mstat_span_state(mc, addr, stp);
}

/*
 * Whether @obj, a cached object of class @mc, still lies in a live span of
 * its class (its bit set, its page's private the class's).  Not so only for
 * a second copy of an object two CPUs freed at once, whose other copy went
 * back with the span: the purge withdraws those (mstat_pcpu_purge()).
 */
static __always_inline bool mstat_cached_span_live(const void *obj, const struct mstat_class *mc)
{
	unsigned long addr = (unsigned long)kasan_reset_tag(obj);
	unsigned long pfn = ((addr - PAGE_OFFSET) >> PAGE_SHIFT) + MSTAT_PFN_OFFSET;
	unsigned long *word = mstat_owned_word(pfn);

	/* acquire: see mstat_page_info() */
	return likely(word) && likely(smp_load_acquire(word) & BIT_MASK(pfn)) &&
	       likely((READ_ONCE(pfn_to_page(pfn)->private) & MSTAT_INFO_FIXED) == mc->span_info);
}

/* At free: whether an object with @state is free already (a double free). */
static __always_inline bool mstat_state_is_free(u32 state)
{
#ifdef MSTAT_NO_HARDEN
	return false;
#else
	return mstat_state_link(state) != MSTAT_LINK_LIVE;
#endif
}

/*
 * At allocation: whether a cached object with @state may be handed out.
 * It may not if it is also on its span's list or handed out already: two
 * CPUs freed it at once and the other copy got there first.
 */
static __always_inline bool mstat_state_is_cached(u32 state)
{
#ifdef MSTAT_NO_HARDEN
	return true;
#else
	return mstat_state_link(state) == MSTAT_LINK_CACHED;
#endif
}

/*
 * The key of a small object of class @cls whose state is @state.  A
 * client writing past the end of a span's last object writes the state
 * vector: a key that is not of the object's class is not believed, and
 * the object is counted to its class with no site, so that the class
 * totals stay true whatever was written.
 */
static __always_inline unsigned int mstat_state_key(u32 state, unsigned int cls)
{
	unsigned int key = mstat_state_key_bits(state) % MSTAT_MAX_KEYS;

	/* acquire: the key's chunk is seen, pairing with mstat_key_make() */
	if (unlikely(smp_load_acquire(&mstat_key_cls[key]) != cls))
		return cls;
	return key;
}

/*
 * Count an allocation to @key (of class @cls) in @c, the calling CPU's own
 * cache, lock held.  @key is one its site's struct mstat_site led to, or
 * mstat_state_key()'s: its chunk is there.  MSTAT_STATS_ATOMIC and
 * MSTAT_STATS_NONE (make bench only) count per class in global atomics,
 * or nothing.
 */
static __always_inline void mstat_key_count_alloc_n(struct mstat_pcpu *c, unsigned int key,
						    unsigned int cls, unsigned int n)
{
#if defined(MSTAT_STATS_ATOMIC)
	atomic64_add(n, &mstat_global_stats[MSTAT_COUNTER_INDEX(nmalloc) + cls]);
#elif !defined(MSTAT_STATS_NONE)
	u64 *ctr = &READ_ONCE(c->sites[key / MSTAT_SITE_CHUNK])->nmalloc[key % MSTAT_SITE_CHUNK];

	WRITE_ONCE(*ctr, *ctr + n);
#endif
}

static __always_inline void mstat_key_count_alloc(struct mstat_pcpu *c, unsigned int key,
						  unsigned int cls)
{
	mstat_key_count_alloc_n(c, key, cls, 1);
}

/*
 * Count a free, with release as every free counter (mstat_stat_add_free()),
 * to a key mstat_state_key() checked.  MSTAT_PLAIN_FREE (make bench only)
 * drops the release, to price it.
 */
static __always_inline void mstat_key_count_free_n(struct mstat_pcpu *c, unsigned int key,
						   unsigned int cls, unsigned int n)
{
#if defined(MSTAT_STATS_ATOMIC)
	atomic64_add(n, &mstat_global_stats[MSTAT_COUNTER_INDEX(nfree) + cls]);
#elif !defined(MSTAT_STATS_NONE)
	u64 *ctr = &READ_ONCE(c->sites[key / MSTAT_SITE_CHUNK])->nfree[key % MSTAT_SITE_CHUNK];

#if defined(CONFIG_X86) || !defined(CONFIG_SMP) || defined(MSTAT_PLAIN_FREE)
	/* TSO (or one CPU): stores stay in order; the compiler's barrier is the release */
	barrier();
	WRITE_ONCE(*ctr, *ctr + n);
#else
	/* pairs with the smp_rmb() between the passes of a read */
	smp_store_release(ctr, *ctr + n);
#endif
#endif
}

static __always_inline void mstat_key_count_free(struct mstat_pcpu *c, unsigned int key,
						 unsigned int cls)
{
	mstat_key_count_free_n(c, key, cls, 1);
}

/*
 * Count a large object's allocation or free, and its bytes, to @key as its
 * second page's index holds it (checked as mstat_state_key() does).  Off
 * the fast paths; the large totals are in struct mstat_counters.
 */
static inline void mstat_key_count_large(struct mstat_pcpu *c, unsigned long key, u64 bytes,
					 bool freed)
{
	struct mstat_site_chunk *chunk;
	unsigned int i;

	/* acquire: as mstat_state_key() */
	if (key >= MSTAT_MAX_KEYS || smp_load_acquire(&mstat_key_cls[key]) != MSTAT_LARGE_CLS)
		key = MSTAT_LARGE_CLS;
	chunk = READ_ONCE(c->sites[key / MSTAT_SITE_CHUNK]);
	i = key % MSTAT_SITE_CHUNK;
	if (freed) {
		/* pairs with the smp_rmb() between the passes of a read */
		smp_store_release(&chunk->nfree[i], chunk->nfree[i] + 1);
		/* and so does this one */
		smp_store_release(&chunk->free_bytes[i], chunk->free_bytes[i] + bytes);
	} else {
		WRITE_ONCE(chunk->nmalloc[i], chunk->nmalloc[i] + 1);
		WRITE_ONCE(chunk->alloc_bytes[i], chunk->alloc_bytes[i] + bytes);
	}
}

/*
 * The sanitizers.  A span is one block of the page allocator, all of it
 * valid to KASAN and KMSAN: mstat tells them which objects are free, so
 * that a use after free inside a span, or an object handed out twice, is
 * seen.  KASAN: generic mode only (8-byte granules, which every object's
 * start and size are multiples of; tag-based modes' 16-byte granules are
 * not), through kasan_poison(), declared only in mm/kasan/kasan.h and
 * exported by 6.12 but not 6.1: found with symbol_get() at load, so that
 * where it is not exported the module loads and tells KASAN nothing.
 * KMSAN: a handed-out object is uninitialised, as kmalloc()'s is.  Neither
 * is in a kernel built without them: the fast paths pay nothing there.
 */
#if IS_ENABLED(CONFIG_KASAN_GENERIC)
void kasan_poison(const void *addr, size_t size, u8 value, bool init);
extern typeof(kasan_poison) *mstat_kasan_poison;
#define MSTAT_KASAN_FREE	0xfb	/* KASAN_SLAB_FREE */

/* An RCU class's free object stays readable: SLAB_TYPESAFE_BY_RCU. */
static __always_inline void mstat_kasan_free(const void *obj, const struct mstat_class *mc)
{
	if (mstat_kasan_poison && !(mc->flags & MSTAT_CLS_RCU))
		mstat_kasan_poison(obj, mc->size, MSTAT_KASAN_FREE, false);
}

static __always_inline void mstat_kasan_live(const void *obj, unsigned int size)
{
	if (mstat_kasan_poison)
		mstat_kasan_poison(obj, size, 0, false);
}
#else
static __always_inline void mstat_kasan_free(const void *obj, const struct mstat_class *mc) { }
static __always_inline void mstat_kasan_live(const void *obj, unsigned int size) { }
#endif

/* @obj of class @cls, whose state is at @st, handed out, its allocation counted to @key. */
static __always_inline void mstat_obj_live(void *obj, u32 *st, unsigned int cls,
					   unsigned int key)
{
	WRITE_ONCE(*st, MSTAT_STATE(key, MSTAT_LINK_LIVE));
	mstat_kasan_live(obj, mstat_classes[cls].size);
	/* a constructed object is initialised: SLUB's kmsan_slab_alloc() */
	if (!mstat_classes[cls].ctor)
		kmsan_poison_memory(obj, mstat_classes[cls].size, GFP_NOWAIT);
}

/*
 * Counted before it is live: a stale free on another CPU (a client's
 * mistake, with no hand-over to order it) that finds it live frees it
 * after its allocation is counted, so no read sees its free without its
 * allocation; before, such a free finds it free and is refused.  The
 * barrier pairs with the free counter's release (DESIGN.md, "Consistent
 * reads"); on x86 it is the compiler's.
 */
static __always_inline void mstat_obj_handed_out(struct mstat_pcpu *c, void *obj, u32 *st,
						 unsigned int cls, unsigned int key)
{
	mstat_key_count_alloc(c, key, cls);
	/* the count before the state: pairs with the free counter's release */
	smp_wmb();
	mstat_obj_live(obj, st, cls, key);
}

/* A live object whose state is @state at @st goes into a per-CPU cache. */
static __always_inline void mstat_obj_cached(u32 *st, u32 state)
{
	WRITE_ONCE(*st, MSTAT_STATE(mstat_state_key_bits(state), MSTAT_LINK_CACHED));
}

/*
 * The general free's claim of an object found live with @state at @st:
 * only if nothing changed the state since it was read.  Of two frees at
 * once, the second fails here; the fast free writes instead (a window of
 * a few instructions, see "Hardening"), but the general path's is wider
 * (debug mode's checks, preemption on PREEMPT_RT), and the object of a
 * fallback span goes straight back to its span, which its last free
 * releases.
 */
static __always_inline bool mstat_obj_claim(u32 *st, u32 state)
{
	return cmpxchg(st, state,
		       MSTAT_STATE(mstat_state_key_bits(state), MSTAT_LINK_CACHED)) == state;
}

/* What a client got wrong, for mstat_report(). */
enum mstat_mistake {
	MSTAT_BAD_POINTER,	/* not an object mstat handed out */
	MSTAT_DOUBLE_FREE,	/* an object already free */
	MSTAT_CORRUPT_FREE,	/* a free object written to; withdrawn */
	MSTAT_REDZONE,		/* debug: a red zone written to */
	MSTAT_NR_MISTAKES
};

/* Debug mode (mstat.debug=1 at load): see mstat_debug.c. */
DECLARE_STATIC_KEY_FALSE(mstat_debug_key);

/*
 * Off in debug mode and while mstat:mstat_alloc or mstat:mstat_free is
 * enabled: then every allocation and free takes the general paths, which
 * do both, and the fast paths check one static branch for the two.
 */
DECLARE_STATIC_KEY_FALSE(mstat_slow_key);

static __always_inline bool mstat_fast_off(void)
{
	return static_branch_unlikely(&mstat_slow_key);
}

static __always_inline bool mstat_debug(void)
{
	return static_branch_unlikely(&mstat_debug_key);
}

/* mstat_pool.c */
unsigned int mstat_central_take(unsigned int cls, int nid, void **objs, unsigned int want,
				unsigned int *nout);
unsigned int mstat_central_put(unsigned int cls, void **objs, unsigned int n,
			       unsigned int order);
int mstat_central_grow(unsigned int cls, int nid, gfp_t gfp, void **fbobj);
u64 mstat_span_bytes(void);
unsigned long mstat_class_pages(unsigned int cls);
void mstat_walk_spans(unsigned int cls, void (*fn)(struct page *, void *), void *arg);
unsigned long mstat_central_shrink(unsigned int cls, int nid, unsigned int keep);
void mstat_limbo_drain(void);
void mstat_purge_block(void);
void mstat_purge_unblock(void);
void mstat_limbo_drain_class(unsigned int cls);
bool mstat_in_limbo(unsigned int cls, const struct page *span);
unsigned long mstat_central_ops(unsigned int cls, int nid);
unsigned long mstat_central_empty_objs(int nid);
void mstat_pool_node_stats(int nid, unsigned long *pages, unsigned long *partial);
void mstat_set_homes(void);
unsigned long mstat_pools_release(void);
int mstat_pools_init(void);
void mstat_pools_exit(void);
extern bool mstat_fail_preferred;
extern void (*mstat_owed_hook)(unsigned int cls, void *obj);
extern void (*mstat_purge_hook)(const unsigned long *classes);
#if IS_ENABLED(CONFIG_MSTAT_KUNIT_TEST)
extern void (*mstat_pages_hook)(gfp_t gfp, unsigned int order, unsigned int cls);
extern void (*mstat_put_hook)(void *obj);
extern void (*mstat_take_hook)(unsigned int cls);
extern void (*mstat_free_hook)(const void *ptr);
extern void (*mstat_bulk_hook)(void **p, unsigned int n);
extern void (*mstat_flush_hook)(unsigned int cls);
extern int mstat_fail_allocs_after;
extern bool mstat_rcu_no_blocks;
void mstat_reclaim_test_up(bool up);
bool mstat_shepherd_queued(void);
#endif
#if IS_ENABLED(CONFIG_MSTAT_TORTURE)
void mstat_torture_adopt(void *p, size_t size, u8 fill);
#endif

/* Whether a test makes mstat_free_rcu() chain its objects through their heads. */
static inline bool mstat_rcu_blocks_off(void)
{
#if IS_ENABLED(CONFIG_MSTAT_KUNIT_TEST)
	return READ_ONCE(mstat_rcu_no_blocks);
#else
	return false;
#endif
}

/* Whether a test waits at mstat_free_step(): the batched frees then leave theirs to it. */
static inline bool mstat_free_hooked(void)
{
#if IS_ENABLED(CONFIG_MSTAT_KUNIT_TEST)
	return READ_ONCE(mstat_free_hook);
#else
	return false;
#endif
}

/* The tests' injection point between a free's lookup and its use. */
static inline void mstat_free_step(const void *ptr)
{
#if IS_ENABLED(CONFIG_MSTAT_KUNIT_TEST)
	void (*hook)(const void *ptr) = READ_ONCE(mstat_free_hook);

	if (hook)
		hook(ptr);
#endif
}

/* The tests' injection point between a bulk allocation's count and its objects going live. */
static inline void mstat_bulk_step(void **p, unsigned int n)
{
#if IS_ENABLED(CONFIG_MSTAT_KUNIT_TEST)
	void (*hook)(void **p, unsigned int n) = READ_ONCE(mstat_bulk_hook);

	if (hook)
		hook(p, n);
#endif
}

/* mstat_owner.c */
bool mstat_map_span(struct page *span, unsigned int cls, unsigned int order);
void mstat_unmap_span(struct page *span, unsigned int cls, unsigned int order);
bool mstat_map_large(struct page *page, unsigned long npages);
int mstat_owner_init(void);
void mstat_owner_exit(void);

/* mstat_large.c */
void *mstat_large_alloc(size_t size, int nid, gfp_t gfp, size_t *usable);
bool mstat_large_claim(unsigned long pfn, unsigned long info);
void mstat_large_free(void *ptr, size_t usable);

/* mstat_report.c */
u64 mstat_nmistakes(enum mstat_mistake what);
void mstat_count_mistake(enum mstat_mistake what);
void mstat_report(enum mstat_mistake what, const char *fn, const void *ptr,
		  unsigned long caller);
void mstat_report_init(void (*detail)(const void *ptr));

/*
 * Tracepoints (mstat_trace.h).  MSTAT_NO_TRACE (make bench only) leaves
 * them out, to show that compiled in and disabled they cost nothing.
 */
#ifdef MSTAT_NO_TRACE
static inline void trace_mstat_alloc(unsigned long call_site, const void *ptr,
				     size_t bytes_req, size_t bytes_alloc, gfp_t gfp_flags) { }
static inline void trace_mstat_free(unsigned long call_site, const void *ptr) { }
static inline void trace_mstat_cpu_donate(unsigned int dead, unsigned int recipient,
					  unsigned long objects, unsigned long bytes) { }
static inline void trace_mstat_reclaim(unsigned int size, unsigned long objects,
				       unsigned long bytes) { }
#else
#include "mstat_trace.h"
#endif

/* mstat_pcpu.c */
struct mstat_site;
void *mstat_alloc_caller(size_t size, gfp_t flags, struct mstat_site *site, unsigned long caller);
void mstat_free_caller(const void *ptr, unsigned long caller);
void *mstat_cache_alloc_caller(struct mstat_cache *s, gfp_t flags, struct mstat_site *site,
			       unsigned long caller);
void mstat_cache_free_caller(struct mstat_cache *s, const void *obj, unsigned long caller);
/* The most objects a bulk call moves under one hold of a cache's lock. */
#define MSTAT_BULK_MAX		256U
unsigned int mstat_pcpu_alloc_bulk(unsigned int cls, gfp_t flags, struct mstat_site *site,
				   unsigned int n, void **p);
unsigned int mstat_pcpu_free_bulk(unsigned int want, unsigned int n, void **p);
void mstat_rcu_queue(const void *ptr, struct rcu_head *head, unsigned long caller,
		     void (*kick)(unsigned int cpu, bool full));
bool mstat_live(const void *ptr);
bool mstat_rcu_free(const void *ptr);
struct rcu_head *mstat_rcu_free_chain(struct rcu_head *head);
unsigned long mstat_rcu_free_array(const void **objs, unsigned long n);
/* The most objects mstat_rcu_free_chain() or mstat_rcu_free_array() frees under one lock. */
#define MSTAT_RCU_CHAIN		256
struct mstat_rcu_pending mstat_rcu_take(bool task);
struct mstat_rcu_pending mstat_rcu_take_dead(struct mstat_pcpu *c);

/* mstat_rcu.c: a list reaching MSTAT_RCU_BATCH objects is batched at once */
#define MSTAT_RCU_BATCH		256
void mstat_rcu_dead_cpu(unsigned int cpu);
void mstat_rcu_flush(void);
#if IS_ENABLED(CONFIG_MSTAT_KUNIT_TEST)
void mstat_rcu_hold(unsigned int cpu);
#endif
int mstat_rcu_init(void);
void mstat_rcu_exit(void);
size_t mstat_usable_caller(const void *ptr, const char *fn, unsigned long caller);
extern struct workqueue_struct *mstat_wq;
void mstat_pcpu_init(struct mstat_pcpu *c, enum mstat_ctx ctx);
void mstat_pcpu_drain(struct mstat_pcpu *c);
void mstat_pcpu_owed(unsigned int cls, void *obj);
void mstat_pcpu_purge(const unsigned long *classes);
void mstat_donate(struct mstat_pcpu *from, struct mstat_pcpu *to);
void mstat_donate_dead_cpu(unsigned int cpu);
void mstat_drain_this_cpu(void);
void mstat_reclaim_this_cpu(const unsigned long *classes);
unsigned int mstat_cached_count(unsigned int cls);
u64 mstat_pcpu_cached_bytes(const struct mstat_pcpu *c);

/* mstat_debug.c */
int mstat_debug_init(void);
unsigned int mstat_debug_layout(unsigned int size, unsigned int align, unsigned int *red_left);
void mstat_debug_init_obj(void *obj, unsigned int cls);
bool mstat_debug_check_alloc(void *obj, unsigned int cls, unsigned long caller);
void mstat_debug_alloc_done(void *obj, unsigned int cls, size_t req, unsigned long caller);
void mstat_debug_free(void *obj, unsigned int cls, unsigned long caller);
void mstat_debug_print_object(const void *ptr);
bool mstat_debug_live(void *obj, unsigned int cls);

/* mstat_leaks.c */
int mstat_leaks_show(struct seq_file *m, void *v);
void mstat_leaks_report(unsigned int cls);

/* mstat_typed.c */
int mstat_typed_show(struct seq_file *m, void *v);
int mstat_typed_init(void);
void mstat_typed_proc_exit(void);
void mstat_typed_exit(void);

/* mstat_sites.c */
struct mstat_site;
unsigned int mstat_site_key(struct mstat_site *site, unsigned int cls, gfp_t flags);
int mstat_sites_init(void);
void mstat_sites_exit(void);
unsigned int mstat_nr_keys_read(void);
void mstat_donate_sites(struct mstat_pcpu *from, struct mstat_pcpu *to);
bool mstat_sites_counted(const struct mstat_pcpu *c);
void mstat_read_keys(const struct mstat_pcpu *c, unsigned int nkeys, bool frees, u64 *sum,
		     u64 *row);
void mstat_pcpu_class_ops(const struct mstat_pcpu *c, unsigned int nkeys, u64 *ops);
void mstat_read_site_caches(struct mstat_site_counters *sums, unsigned int nkeys,
			    struct mstat_pcpu *const *caches, unsigned int n);
void mstat_site_withdrawn(struct mstat_pcpu *c, unsigned int cls, void *const *objs,
			  unsigned int n);
int mstat_sites_show(struct seq_file *m, void *v);
void mstat_sites_flush(void);
unsigned int mstat_key_site_id(unsigned int key);
unsigned long mstat_module_gen(void);
bool mstat_ip_newer(unsigned long ip, unsigned long gen);
void mstat_site_print(struct seq_file *m, unsigned int id);
struct mstat_site_stats;
void mstat_sites_render(struct seq_file *m, const struct mstat_site_stats *rows, int n);
size_t mstat_sites_text_size(const struct mstat_site_stats *rows, int n);
extern const struct proc_ops mstat_sites_proc_ops;

/* mstat_reclaim.c */
int mstat_reclaim_init(void);
void mstat_reclaim_exit(void);
unsigned long mstat_reclaim_count(int nid);
unsigned long mstat_reclaim_all(void);
void mstat_reclaim_class(unsigned int cls);
unsigned long mstat_reclaim_scan(unsigned long nr, int nid);
extern unsigned int mstat_idle_ms;
void mstat_set_idle_ms(unsigned int ms);

/* mstat_proc.c */
void mstat_read_nodes(struct mstat_node_counters *sum, u64 *refill_objs);
void mstat_counters_add(struct mstat_counters *sum, const struct mstat_counters *c);
void mstat_read_caches(struct mstat_totals *t, struct mstat_totals *rows,
		       struct mstat_pcpu *const *caches, unsigned int n,
		       unsigned int per_row);
#if IS_ENABLED(CONFIG_MSTAT_KUNIT_TEST)
extern void (*mstat_read_hook)(unsigned int pass, unsigned int i);
void mstat_read_step(unsigned int pass, unsigned int i);
#else
static inline void mstat_read_step(unsigned int pass, unsigned int i) { }
#endif
u64 mstat_nmalloc(const struct mstat_counters *c);
u64 mstat_nfree(const struct mstat_counters *c);
u64 mstat_read_class_bytes(const struct mstat_totals *t, unsigned int cls, u64 nobjs);
u64 mstat_total_alloc_bytes(const struct mstat_totals *t);
u64 mstat_total_free_bytes(const struct mstat_totals *t);
struct kernel_param;
int mstat_read_gap_set(const char *val, const struct kernel_param *kp);
extern unsigned int mstat_read_gap_us;
void mstat_render(struct seq_file *m, const struct mstat_totals *t,
		  const struct mstat_totals *cpus);
void mstat_collect(struct mstat_totals *t, struct mstat_totals *cpus);
int mstat_collect_killable(struct mstat_totals *t, struct mstat_totals *cpus);
void mstat_collect_begin(void);
int mstat_collect_begin_killable(void);
void mstat_collect_end(void);
void mstat_retype_begin(u64 bytes);
void mstat_retype_end(void);
u64 mstat_retyped_bytes(void);
int mstat_show(struct seq_file *m, void *v);
size_t mstat_text_size(void);
int mstat_proc_init(void);
void mstat_proc_exit(void);

#endif /* _MSTAT_INTERNAL_H */

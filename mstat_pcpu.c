// SPDX-License-Identifier: GPL-2.0
/*
 * mstat per-CPU caches: the allocation fast path, the counters each CPU
 * keeps of its own work, and the donation of a dead CPU's counters.
 *
 * A CPU touches only its own caches: in task context the task cache under
 * local_lock() (preemption off; on PREEMPT_RT a per-CPU sleeping lock with
 * migration off), in softirq and hardirq context the irq cache under
 * local_lock_irqsave() (see enum mstat_ctx).  So mstat_alloc()
 * and mstat_free() may be called from any context kmalloc(GFP_ATOMIC) may,
 * and the common case never touches the interrupt flag.  The counters are
 * plain u64s written by their owner only: no atomics, no shared cache
 * lines.  Another CPU's caches are touched only when that CPU is dead
 * (hotplug teardown), and their counters are then added to a live CPU's by
 * that CPU itself, in a work item.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/export.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include <mstat.h>
#include "mstat_internal.h"

struct mstat_pcpu __percpu *mstat_caches[MSTAT_NR_CTX];
struct mstat_pcpu **mstat_cpu_caches;
#ifdef MSTAT_STATS_ATOMIC
atomic64_t mstat_global_stats[MSTAT_NR_COUNTERS];
#endif
#if IS_ENABLED(CONFIG_MSTAT_KUNIT_TEST)
void (*mstat_free_hook)(const void *ptr);
void (*mstat_bulk_hook)(void **p, unsigned int n);
/* The tests act as a flush starts, the cache's lock held. */
void (*mstat_flush_hook)(unsigned int cls);
/* the tests' failure injection: this many general-path allocations succeed, then one fails */
int mstat_fail_allocs_after = -1;
/* the tests' way to the RCU frees' fallback: no pointer page can be had */
bool mstat_rcu_no_blocks;
#endif

/*
 * One lockdep class per context: a drain holds a CPU's task cache and then
 * its irq cache, which is not recursion.
 */
static struct lock_class_key mstat_pcpu_keys[MSTAT_NR_CTX];
static struct lock_class_key mstat_large_keys[MSTAT_NR_CTX];

void mstat_pcpu_init(struct mstat_pcpu *c, enum mstat_ctx ctx)
{
	local_lock_init(&c->lock);
	lockdep_set_class(&c->lock, &mstat_pcpu_keys[ctx]);
	raw_spin_lock_init(&c->large_lock);
	/* the irq cache's is taken in interrupts, the task cache's with them on */
	lockdep_set_class(&c->large_lock, &mstat_large_keys[ctx]);
}

/*
 * Lock and return the calling context's cache on this CPU.  @irqflags is
 * only used for the irq cache.  The task cache needs no more than
 * preemption off: interrupt handlers never use it.
 */
static __always_inline struct mstat_pcpu *mstat_lock_cache(bool task,
							   unsigned long *irqflags)
{
	if (likely(task)) {
		local_lock(&mstat_caches[MSTAT_TASK]->lock);
		return this_cpu_ptr(mstat_caches[MSTAT_TASK]);
	}
	local_lock_irqsave(&mstat_caches[MSTAT_IRQ]->lock, *irqflags);
	return this_cpu_ptr(mstat_caches[MSTAT_IRQ]);
}

static __always_inline void mstat_unlock_cache(bool task, unsigned long irqflags)
{
	if (likely(task))
		local_unlock(&mstat_caches[MSTAT_TASK]->lock);
	else
		local_unlock_irqrestore(&mstat_caches[MSTAT_IRQ]->lock, irqflags);
}

/*
 * Count @n objects of class @cls come into cache @c from node @nid's pools
 * (a refill, or one object handed straight out, counted as if it passed
 * through the cache).  Called with the cache's lock held.
 */
static void mstat_count_refill(struct mstat_pcpu *c, unsigned int cls, int nid,
			       unsigned int n)
{
	struct mstat_node_counters *nc = &c->nodes[nid];

	raw_spin_lock(&c->large_lock);
	mstat_stat_add(c, &c->stats.nrefill_objs[cls], n);
	if (nid == mstat_home_node())
		mstat_node_add(&nc->refill_local, n);
	else
		mstat_node_add(&nc->refill_remote, n);
	raw_spin_unlock(&c->large_lock);
}

/*
 * Objects a refill found out on their span's list (mstat_central_take()):
 * the copies that went back are withdrawn, as if they had come into the
 * cache and left it as allocations, so that its counters still tell what
 * it holds.  Called with the cache's lock held.
 */
static void mstat_take_outs(struct mstat_pcpu *c, unsigned int cls, int nid, void **outs,
			    unsigned int nout)
{
	mstat_count_refill(c, cls, nid, nout);
	mstat_site_withdrawn(c, cls, outs, nout);
}

/*
 * Called with the cache's lock held and its class cache empty; @nid is the
 * node whose pool to refill from (NUMA_NO_NODE: this CPU's); @want objects,
 * a batch for one allocation, more (up to the cache's capacity) for a bulk
 * one.
 */
static bool mstat_pcpu_refill_n(struct mstat_pcpu *c, unsigned int cls, int nid,
				unsigned int want)
{
	struct mstat_class_cache *cc = &c->cls[cls];
	unsigned int nout;

	if (nid == NUMA_NO_NODE)
		nid = mstat_home_node();
	cc->count = mstat_central_take(cls, nid, cc->objs, want, &nout);
	if (unlikely(nout))
		mstat_take_outs(c, cls, nid, cc->objs + want - nout, nout);
	if (!cc->count)
		return false;
	mstat_stat_add(c, &c->stats.nrefill, 1);
	mstat_count_refill(c, cls, nid, cc->count);
	return true;
}

static bool mstat_pcpu_refill(struct mstat_pcpu *c, unsigned int cls, int nid)
{
	return mstat_pcpu_refill_n(c, cls, nid, mstat_classes[cls].batch);
}

/*
 * Called with the cache's lock held and its class cache full: give back
 * @batch objects, a class batch for one free, more (up to all) for a bulk
 * one.
 */
static noinline void mstat_pcpu_flush_n(struct mstat_pcpu *c, unsigned int cls,
					unsigned int batch)
{
	struct mstat_class_cache *cc = &c->cls[cls];
	unsigned int nbad;

#if IS_ENABLED(CONFIG_MSTAT_KUNIT_TEST)
	if (mstat_flush_hook)
		mstat_flush_hook(cls);
#endif
	/* Give back the oldest objects and keep the cache-hot ones. */
	nbad = mstat_central_put(cls, cc->objs, batch, mstat_classes[cls].span_order);
	/* a withdrawn object leaves the cache as an allocation */
	mstat_site_withdrawn(c, cls, cc->objs, nbad);
	cc->count -= batch;
	memmove(cc->objs, cc->objs + batch, cc->count * sizeof(cc->objs[0]));
	mstat_stat_add(c, &c->stats.nflush, 1);
	mstat_stat_add(c, &c->stats.nflush_objs[cls], batch - nbad);
}

static void mstat_pcpu_flush(struct mstat_pcpu *c, unsigned int cls)
{
	mstat_pcpu_flush_n(c, cls, mstat_classes[cls].batch);
}

/*
 * The check of a cached object before it is handed out: its state still
 * says cached, and in debug mode its poison and red zones are intact.  One
 * that does not sits in two caches, because two CPUs freed it at once and
 * the other copy was handed out or went back to its span (or, in debug
 * mode, was written to while free): it is withdrawn, never handed out, and
 * counted as allocated (to nobody), so the counters keep telling what the
 * caches hold.  The fast path leaves such an object to this one.
 */
static bool mstat_alloc_check(struct mstat_pcpu *c, void *obj, u32 state, unsigned int cls,
			      unsigned long caller)
{
	if (unlikely(!mstat_state_is_cached(state))) {
		mstat_report(MSTAT_CORRUPT_FREE, "mstat_alloc", obj, caller);
		mstat_site_withdrawn(c, cls, &obj, 1);
		return false;
	}
	if (!mstat_debug() || mstat_debug_check_alloc(obj, cls, caller))
		return true;
	mstat_site_withdrawn(c, cls, &obj, 1);
	return false;
}

/* Hand a cached object out, if mstat_alloc_check() lets it; the cache's lock held. */
static bool mstat_hand_out(struct mstat_pcpu *c, void *obj, unsigned int cls, unsigned int key,
			   unsigned long caller)
{
	u32 *st = mstat_obj_state(obj, cls);

	if (unlikely(!mstat_alloc_check(c, obj, READ_ONCE(*st), cls, caller)))
		return false;
	mstat_obj_handed_out(c, obj, st, cls, key);
	return true;
}

/*
 * A fallback span's object (mstat_central_grow()), of node @nid: the
 * caller's straight away, counted as if it came through the calling
 * context's cache, so that the counters keep telling what the cache holds.
 */
static void *mstat_fallback_out(unsigned int cls, int nid, void *obj, unsigned int key)
{
	const struct mstat_class *mc = &mstat_classes[cls];
	unsigned long irqflags = 0;
	bool task = in_task();
	struct mstat_pcpu *c;

	c = mstat_lock_cache(task, &irqflags);
	mstat_count_refill(c, cls, nid, 1);
	mstat_obj_handed_out(c, obj, mstat_obj_state_order(obj, mc, mc->fb_order), cls, key);
	mstat_unlock_cache(task, irqflags);
	return obj;
}

/*
 * Allocate from the calling context's cache, refilling it and growing the
 * pool as needed: from this CPU's node's pool, or, if the page allocator
 * gave the new span's pages on another node, from that node's.
 */
static void *mstat_pcpu_alloc(unsigned int cls, gfp_t flags, unsigned long caller,
			      unsigned int key)
{
	bool task = in_task();
	struct mstat_class_cache *cc;
	unsigned long irqflags = 0;
	int nid = NUMA_NO_NODE;
	struct mstat_pcpu *c;
	void *obj;

	for (;;) {
		c = mstat_lock_cache(task, &irqflags);
		cc = &c->cls[cls];
		while (likely(cc->count) || mstat_pcpu_refill(c, cls, nid)) {
			obj = cc->objs[--cc->count];
			if (likely(mstat_hand_out(c, obj, cls, key, caller))) {
				mstat_unlock_cache(task, irqflags);
				return obj;
			}
		}
		mstat_unlock_cache(task, irqflags);
		/* The pool is empty: grow it where the caller's flags allow. */
		nid = mstat_central_grow(cls, NUMA_NO_NODE, flags, &obj);
		if (nid < 0)
			return NULL;
		if (obj)
			return mstat_fallback_out(cls, nid, obj, key);
	}
}

DEFINE_STATIC_KEY_FALSE(mstat_slow_key);

#ifndef MSTAT_NO_TRACE
/* Called as mstat:mstat_alloc or mstat:mstat_free is enabled, under tracepoints_mutex. */
int mstat_trace_reg(void)
{
	static_branch_inc(&mstat_slow_key);
	return 0;
}

void mstat_trace_unreg(void)
{
	static_branch_dec(&mstat_slow_key);
}
#endif

/*
 * The fast paths: task context, an object of a size class, a class cache
 * with room, neither debug mode nor a tracepoint of theirs on
 * (mstat_fast_off()).  They make no call: everything else falls back on
 * the general paths, out of line.  An object whose state does not say
 * cached is left in the cache for the general path to withdraw
 * (mstat_alloc_check()).
 */
static __always_inline bool mstat_task_pop(unsigned int cls, unsigned int key, void **objp)
{
	const struct mstat_class *mc = &mstat_classes[cls];
	struct mstat_class_cache *cc;
	struct mstat_pcpu *c;
	bool done = false;

#if IS_ENABLED(CONFIG_MSTAT_KUNIT_TEST)
	/* the tests' failure injection counts the general path's allocations */
	if (mstat_fail_allocs_after >= 0)
		return false;
#endif
	local_lock(&mstat_caches[MSTAT_TASK]->lock);
	c = this_cpu_ptr(mstat_caches[MSTAT_TASK]);
	cc = &c->cls[cls];
	if (likely(cc->count)) {
		void *obj = cc->objs[cc->count - 1];
		u32 *st = mstat_obj_state_quick(obj, mc);

		if (likely(mstat_state_is_cached(READ_ONCE(*st)))) {
			cc->count--;
			mstat_obj_handed_out(c, obj, st, cls, key);
			*objp = obj;
			done = true;
		}
	}
	local_unlock(&mstat_caches[MSTAT_TASK]->lock);
	return done;
}

/*
 * The pointer is looked up and its state read inside the local lock, an
 * RCU read-side section: a span is freed only after a grace
 * period (mstat_span_release()), so neither read can meet a page mstat has
 * given back.  @typed: the object must be of class @want (a typed cache's).
 */
static __always_inline bool mstat_task_push(const void *ptr, bool typed, unsigned int want)
{
	const struct mstat_class *mc;
	struct mstat_class_cache *cc;
	struct mstat_pcpu *c;
	bool done = false, found;
	unsigned int cls;
	u32 *st;

	local_lock(&mstat_caches[MSTAT_TASK]->lock);
	if (!typed) {
		found = mstat_fast_state(ptr, &cls, &st, &mc);
	} else {
		cls = want;
		mc = &mstat_classes[cls];
		found = mstat_fast_state_cls(ptr, mc, &st);
	}
	if (likely(found) && likely(!mstat_obj_remote(ptr))) {
		u32 state = READ_ONCE(*st);

		c = this_cpu_ptr(mstat_caches[MSTAT_TASK]);
		cc = &c->cls[cls];
		if (likely(!mstat_state_is_free(state)) && likely(cc->count < mc->cache_cap)) {
			mstat_obj_cached(st, state);
			cc->objs[cc->count++] = (void *)ptr;
			mstat_key_count_free(c, mstat_state_key(state, cls), cls);
			mstat_kasan_free(ptr, mc);
			done = true;
		}
	}
	local_unlock(&mstat_caches[MSTAT_TASK]->lock);
	return done;
}

/*
 * Whether @site last allocated from class @cls; the key at @keyp.  An
 * address dependency orders the key before the counters it leads to.
 */
static __always_inline bool mstat_site_fast_key(struct mstat_site *site, unsigned int cls,
						unsigned int *keyp)
{
#ifdef MSTAT_NO_SITES
	*keyp = cls;
	return true;
#else
	return mstat_last_key(READ_ONCE(site->last), cls, keyp);
#endif
}

/* The key of @site for class @cls, made if it has none yet. */
static __always_inline unsigned int mstat_key_for(struct mstat_site *site, unsigned int cls,
						  gfp_t flags)
{
#ifdef MSTAT_NO_SITES
	return cls;
#else
	unsigned int key;

	if (likely(mstat_last_key(READ_ONCE(site->last), cls, &key)))
		return key;
	return mstat_site_key(site, cls, flags);
#endif
}

static void *mstat_alloc_large(size_t size, gfp_t flags, int nid, unsigned long caller,
			       struct mstat_site *site)
{
	unsigned long irqflags = 0;
	bool task = in_task();
	struct mstat_pcpu *c;
	unsigned int key;
	size_t usable;
	void *obj;

	obj = mstat_large_alloc(size, nid, flags, &usable);
	if (!obj)
		return NULL;
	key = mstat_key_for(site, MSTAT_LARGE_CLS, flags);
	/* a large object (more than one page) keeps its key in its second page's index */
	nth_page(virt_to_page(obj), 1)->index = key;
	c = mstat_lock_cache(task, &irqflags);
	raw_spin_lock(&c->large_lock);
	mstat_stat_add(c, &c->stats.large_nmalloc, 1);
	mstat_stat_add(c, &c->stats.large_alloc_bytes, usable);
	mstat_key_count_large(c, key, usable, false);
	raw_spin_unlock(&c->large_lock);
	mstat_unlock_cache(task, irqflags);
	trace_mstat_alloc(caller, obj, size, usable, flags);
	return obj;
}

/* Flags mstat_alloc()'s fast path leaves to mstat_alloc_slow(). */
#define MSTAT_GFP_SLOW	(__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM)

/* A small object handed out, zeroed (its usable size) if @flags ask. */
static __always_inline void *mstat_obj_zero(void *obj, unsigned int cls, gfp_t flags)
{
	if (unlikely(flags & __GFP_ZERO))
		memset(obj, 0, mstat_classes[cls].size);
	return obj;
}

/*
 * The fast path's way for __GFP_ZERO, out of line so that the fast paths
 * pay no register for it: a quarter of a file-system trace's allocations
 * ask for it (bench/traces/).  NULL if the cache cannot serve.
 */
static __always_inline void *mstat_zero_fast(unsigned int cls, gfp_t flags,
					     struct mstat_site *site)
{
	unsigned int key;
	void *obj;

	if ((flags & MSTAT_GFP_SLOW) || !in_task() || mstat_fast_off() ||
	    !mstat_site_fast_key(site, cls, &key) || !mstat_task_pop(cls, key, &obj))
		return NULL;
	return mstat_obj_zero(obj, cls, flags);
}

/*
 * An object of class @cls on node @nid, another than this CPU's: from that
 * node's pool, grown there without reclaim if it is empty.  NULL if the
 * node has no page free that way; with __GFP_THISNODE the caller's flags
 * then get one more try there.
 */
static void *mstat_node_alloc(unsigned int cls, gfp_t flags, int nid, unsigned long caller,
			      unsigned int key)
{
	/* no reclaim, so no __GFP_NOFAIL either: the page allocator warns of the pair */
	gfp_t quiet = (flags & ~(__GFP_DIRECT_RECLAIM | __GFP_NOFAIL)) | __GFP_THISNODE |
		      __GFP_NOWARN;
	unsigned long irqflags = 0;
	bool task = in_task();
	unsigned int n, nout;
	struct mstat_pcpu *c;
	void *obj;

	for (;;) {
		c = mstat_lock_cache(task, &irqflags);
		for (;;) {
			n = mstat_central_take(cls, nid, &obj, 1, &nout);
			if (unlikely(nout)) {
				/* the list went on past it: take again */
				mstat_take_outs(c, cls, nid, &obj, nout);
				continue;
			}
			if (!n)
				break;
			mstat_count_refill(c, cls, nid, 1);
			if (likely(mstat_hand_out(c, obj, cls, key, caller))) {
				mstat_unlock_cache(task, irqflags);
				return obj;
			}
		}
		mstat_unlock_cache(task, irqflags);
		if (mstat_central_grow(cls, nid, quiet, &obj) < 0) {
			if (quiet == flags || !(flags & __GFP_THISNODE))
				return NULL;
			quiet = flags;
			continue;
		}
		if (obj)
			return mstat_fallback_out(cls, nid, obj, key);
	}
}

/*
 * The node a caller asked for, as mstat serves it: NUMA_NO_NODE for one
 * with no memory or none that exists, or MSTAT_NO_SUCH_NODE (fail) if the
 * caller asked for that node only.
 */
#define MSTAT_NO_SUCH_NODE	(-2)
static int mstat_node_wanted(int node, gfp_t flags)
{
	if (node == NUMA_NO_NODE || (node >= 0 && node < nr_node_ids &&
				     node_state(node, N_MEMORY)))
		return node;
	return flags & __GFP_THISNODE ? MSTAT_NO_SUCH_NODE : NUMA_NO_NODE;
}

static void *mstat_alloc_class(unsigned int cls, size_t size, gfp_t flags, int nid,
			       unsigned long caller, struct mstat_site *site);

/*
 * Every allocation the fast path does not serve; @nid is the node asked
 * for (NUMA_NO_NODE: any), @caller is mstat_alloc()'s.
 */
static noinline void *mstat_alloc_slow(size_t size, gfp_t flags, int nid, unsigned long caller,
				       struct mstat_site *site)
{
	if (unlikely(!size))
		return ZERO_SIZE_PTR;
	if (unlikely(flags & (__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM)))
		return NULL;
	if (unlikely(size > MSTAT_MAX_SMALL))
		return mstat_alloc_large(size, flags, nid, caller, site);
	return mstat_alloc_class(mstat_size_to_class(size), size, flags, nid, caller, site);
}

/*
 * An object of class @cls (a size class, or a typed cache's), @size bytes
 * asked for; the rest as mstat_alloc_slow().
 */
static void *mstat_alloc_class(unsigned int cls, size_t size, gfp_t flags, int nid,
			       unsigned long caller, struct mstat_site *site)
{
	unsigned int key;
	void *obj = NULL;

	if (unlikely(flags & (__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM)))
		return NULL;
#if IS_ENABLED(CONFIG_MSTAT_KUNIT_TEST)
	if (mstat_fail_allocs_after >= 0 && !mstat_fail_allocs_after--)
		return NULL;
#endif
	key = mstat_key_for(site, cls, flags);
	/*
	 * This CPU's node is what its cache serves, nearly always (a refill
	 * after a grow the page allocator placed elsewhere is the exception),
	 * and a preempted guess costs locality only; __GFP_THISNODE is a
	 * promise, kept by the node's own pool.
	 */
	if (nid != NUMA_NO_NODE && (nid != mstat_home_node() || (flags & __GFP_THISNODE))) {
		obj = mstat_node_alloc(cls, flags, nid, caller, key);
		if (!obj && (flags & __GFP_THISNODE))
			return NULL;
	}
	if (!obj)
		obj = mstat_pcpu_alloc(cls, flags, caller, key);
	if (!obj)
		return NULL;
	mstat_obj_zero(obj, cls, flags);
	if (mstat_debug())
		mstat_debug_alloc_done(obj, cls, size, caller);
	trace_mstat_alloc(caller, obj, size, mstat_classes[cls].size, flags);
	return obj;
}

/* mstat_alloc() with __GFP_ZERO: the fast path's way, zeroed, else the general path. */
static noinline void *mstat_alloc_zero(size_t size, gfp_t flags, struct mstat_site *site,
				       unsigned long caller)
{
	void *obj;

	if (size - 1 < MSTAT_MAX_SMALL) {
		obj = mstat_zero_fast(mstat_size_class[(size - 1) / MSTAT_MIN_SIZE], flags, site);
		if (obj)
			return obj;
	}
	return mstat_alloc_slow(size, flags, NUMA_NO_NODE, caller, site);
}

static __always_inline void *__mstat_alloc(size_t size, gfp_t flags, struct mstat_site *site,
					   unsigned long caller)
{
	void *obj;

	might_alloc(flags);
	if (likely(size - 1 < MSTAT_MAX_SMALL && !(flags & (MSTAT_GFP_SLOW | __GFP_ZERO)) &&
		   in_task()) && !mstat_fast_off()) {
		unsigned int cls = mstat_size_class[(size - 1) / MSTAT_MIN_SIZE], key;

		if (likely(mstat_site_fast_key(site, cls, &key)) &&
		    likely(mstat_task_pop(cls, key, &obj)))
			return obj;
	}
	if (flags & __GFP_ZERO)
		return mstat_alloc_zero(size, flags, site, caller);
	return mstat_alloc_slow(size, flags, NUMA_NO_NODE, caller, site);
}

/**
 * mstat_pcpu_alloc_bulk - objects of a class for a bulk call, one lock for all
 * @cls: the class
 * @flags: the caller's GFP flags
 * @site: the call site the objects are counted to
 * @n: objects wanted
 * @p: where they go
 *
 * The fast path's rules (task context, no flag or mode that needs the
 * general path) and its way of taking an object, for up to @n of them
 * under one lock, the cache refilled from its pool, never grown, as it
 * empties.  It stops at an object whose state does not say cached, which
 * the general path withdraws.  What the cache held is counted and live
 * before a refill: the refill may take back an object just checked, the
 * other copy of one two CPUs freed at once having gone back meanwhile,
 * and hand it out a second time ("Hardening" in DESIGN.md).
 *
 * Return: how many objects it put at @p, MSTAT_BULK_MAX at most (one
 * lock hold); the caller allocates the rest.
 */
unsigned int mstat_pcpu_alloc_bulk(unsigned int cls, gfp_t flags, struct mstat_site *site,
				   unsigned int n, void **p)
{
	const struct mstat_class *mc = &mstat_classes[cls];
	struct mstat_class_cache *cc;
	unsigned int key, i, k = 0, from;
	struct mstat_pcpu *c;
	bool stop = false;

	/* __GFP_ZERO: object by object, each zeroed by mstat_alloc_caller() */
	if ((flags & (MSTAT_GFP_SLOW | __GFP_ZERO)) || !in_task() || mstat_fast_off())
		return 0;
	n = min(n, MSTAT_BULK_MAX);
	key = mstat_key_for(site, cls, flags);
	local_lock(&mstat_caches[MSTAT_TASK]->lock);
	c = this_cpu_ptr(mstat_caches[MSTAT_TASK]);
	cc = &c->cls[cls];
	while (!stop && k < n && (likely(cc->count) ||
				  mstat_pcpu_refill_n(c, cls, NUMA_NO_NODE,
						      clamp(n - k, mc->batch, mc->cache_cap)))) {
		for (from = k; k < n && cc->count; k++) {
			void *obj = cc->objs[cc->count - 1];
			u32 *st = mstat_obj_state_quick(obj, mc);

			if (unlikely(!mstat_state_is_cached(READ_ONCE(*st)))) {
				stop = true;
				break;
			}
			cc->count--;
			p[k] = obj;
		}
		/* one count for the run, before any of it is live: mstat_obj_handed_out() */
		mstat_key_count_alloc_n(c, key, cls, k - from);
		/* the count before the states: pairs with the free counter's release */
		smp_wmb();
		mstat_bulk_step(p + from, k - from);
		for (i = from; i < k; i++)
			mstat_obj_live(p[i], mstat_obj_state_quick(p[i], mc), cls, key);
	}
	local_unlock(&mstat_caches[MSTAT_TASK]->lock);
	return k;
}

/**
 * mstat_alloc_site - allocate memory from mstat for a call site
 * @size: bytes wanted
 * @flags: GFP flags, as for kmalloc(); __GFP_ZERO zeroes the usable size.
 *	With GFP_ATOMIC it may be called wherever kmalloc(GFP_ATOMIC) may:
 *	process context, softirq, hardirq (not on PREEMPT_RT, where kmalloc
 *	may not be either), with a spinlock held.
 * @site: the call site, which the allocation is counted to
 *	(/proc/mstat_sites); mstat_alloc() passes its own
 *
 * Objects up to 32 KiB come from the calling CPU's cache for their size
 * class (its task cache in task context, its irq cache in interrupt
 * context); larger ones come from the page allocator.  The allocation is
 * counted in the calling CPU's statistics.  mstat serves normal memory
 * only: the zone modifiers __GFP_DMA, __GFP_DMA32 and __GFP_HIGHMEM get
 * NULL.
 *
 * Return: the object, at least 8-byte aligned (class sizes that are powers
 * of two are aligned to their size, except in debug mode); ZERO_SIZE_PTR
 * for @size 0; NULL if @size cannot be served (above 2^MAX_PAGE_ORDER
 * pages) or memory is short.
 */
void *mstat_alloc_site(size_t size, gfp_t flags, struct mstat_site *site)
{
	return __mstat_alloc(size, flags, site, _RET_IP_);
}
EXPORT_SYMBOL_GPL(mstat_alloc_site);

/* mstat_alloc_site() for mstat's own API calls, which name their caller's caller. */
void *mstat_alloc_caller(size_t size, gfp_t flags, struct mstat_site *site, unsigned long caller)
{
	return __mstat_alloc(size, flags, site, caller);
}

/**
 * mstat_alloc_node_site - allocate memory on a node from mstat for a call site
 * @size: bytes wanted
 * @flags: GFP flags, as for mstat_alloc_site(); with __GFP_THISNODE the
 *	object is on @node or the call fails
 * @node: the memory node wanted, or NUMA_NO_NODE for any (then the same as
 *	mstat_alloc_site())
 * @site: the call site, which the allocation is counted to
 *
 * kmalloc_node()'s counterpart.  On @node whenever a page of @node is free
 * without reclaim (or a free object of the size is in @node's pools);
 * otherwise, without __GFP_THISNODE, wherever mstat_alloc_site() would
 * put it.  An object on another node than the calling CPU's is taken from
 * its node's pool, not from the CPU's cache: slower than mstat_alloc().
 * A node with no memory, or none that exists, is taken as NUMA_NO_NODE.
 *
 * Return: as mstat_alloc_site().
 */
void *mstat_alloc_node_site(size_t size, gfp_t flags, int node, struct mstat_site *site)
{
	might_alloc(flags);
	node = mstat_node_wanted(node, flags);
	if (node == MSTAT_NO_SUCH_NODE)
		return NULL;
	return mstat_alloc_slow(size, flags, node, _RET_IP_, site);
}
EXPORT_SYMBOL_GPL(mstat_alloc_node_site);

/*
 * Send the objects of the remote buffer to their nodes' pools, a call per
 * class (its objects by node, a lock trip per node); with the cache's lock
 * held, or with its CPU dead.  In an RCU read-side section, as
 * mstat_class_drain(), for the withdrawn ones.  Returns the bytes of the
 * objects that went back (the withdrawn ones did not).
 */
static noinline u64 mstat_remote_flush(struct mstat_pcpu *c)
{
	unsigned int i, j, start, n = c->nremote, nbad, cls, key;
	u64 bytes = 0;
	void *obj;

	if (!n)
		return 0;
	/* by class, then node */
	for (i = 1; i < n; i++) {
		obj = c->remote[i];
		key = c->remote_key[i];
		for (j = i; j > 0 && c->remote_key[j - 1] > key; j--) {
			c->remote[j] = c->remote[j - 1];
			c->remote_key[j] = c->remote_key[j - 1];
		}
		c->remote[j] = obj;
		c->remote_key[j] = key;
	}
	rcu_read_lock();
	for (start = 0; start < n; start = i) {
		cls = mstat_remote_cls(c->remote_key[start]);
		for (i = start; i < n && mstat_remote_cls(c->remote_key[i]) == cls; i++)
			;
		nbad = mstat_central_put(cls, c->remote + start, i - start,
					 mstat_classes[cls].span_order);
		mstat_site_withdrawn(c, cls, c->remote + start, nbad);
		mstat_stat_add(c, &c->stats.nflush_objs[cls], i - start - nbad);
		bytes += mstat_class_bytes(cls, i - start - nbad);
	}
	rcu_read_unlock();
	WRITE_ONCE(c->nremote, 0);
	return bytes;
}

/*
 * Free an object whose page is on node @nid, not this CPU's: into the
 * remote buffer, never into a class cache that would hand it out here.
 */
static void mstat_remote_free(struct mstat_pcpu *c, unsigned int cls, void *obj, int nid,
			      u32 state)
{
	if (c->nremote == MSTAT_REMOTE_SLOTS) {
		mstat_remote_flush(c);
		mstat_stat_add(c, &c->stats.nflush, 1);
	}
	c->remote[c->nremote] = obj;
	c->remote_key[c->nremote] = mstat_remote_key(cls, nid);
	WRITE_ONCE(c->nremote, c->nremote + 1);
	mstat_key_count_free(c, mstat_state_key(state, cls), cls);
	mstat_node_add(&c->nodes[nid].remote_frees, 1);
}

/*
 * Free a small object found live in a span of @order, whose state was
 * @state and which mstat_obj_claim() has claimed; the cache's lock held.
 */
static void mstat_pcpu_free(struct mstat_pcpu *c, unsigned int cls, unsigned int order,
			    void *obj, u32 state, unsigned long caller)
{
	struct mstat_class_cache *cc = &c->cls[cls];
	const struct mstat_class *mc = &mstat_classes[cls];
	unsigned int nbad;

	if (mstat_debug())
		mstat_debug_free(obj, cls, caller);
	mstat_kasan_free(obj, mc);
	/* an object of a fallback span goes back to it, never to a cache: mstat_central_grow() */
	if (unlikely(order != mc->span_order)) {
		int nid = page_to_nid(virt_to_page(kasan_reset_tag(obj)));

		mstat_key_count_free(c, mstat_state_key(state, cls), cls);
		if (nid != mstat_home_node())
			mstat_node_add(&c->nodes[nid].remote_frees, 1);
		/* as a flush: one that two CPUs freed at once is withdrawn there */
		nbad = mstat_central_put(cls, &obj, 1, order);
		if (nbad)	/* withdrawn (mstat_site_withdrawn()), to the key just freed */
			mstat_key_count_alloc(c, mstat_state_key(state, cls), cls);
		else
			mstat_stat_add(c, &c->stats.nflush_objs[cls], 1);
		return;
	}
	if (mstat_obj_remote(obj)) {
		mstat_remote_free(c, cls, obj, page_to_nid(virt_to_page(kasan_reset_tag(obj))),
				  state);
		return;
	}
	if (unlikely(cc->count >= mc->cache_cap))
		mstat_pcpu_flush(c, cls);
	cc->objs[cc->count++] = obj;
	mstat_key_count_free(c, mstat_state_key(state, cls), cls);
}

/*
 * Every free the fast path does not take; @want is the class the object
 * must be of (a typed cache's), or MSTAT_ANY_CLS; @caller is the free's.
 */
static noinline bool mstat_free_slow(const void *ptr, unsigned int want, unsigned long caller,
				     bool rcu)
{
	enum mstat_mistake mistake = MSTAT_NR_MISTAKES;
	bool task = in_task();
	unsigned long irqflags = 0, pfn = 0, info = 0;
	enum mstat_owner owner;
	struct mstat_pcpu *c;
	unsigned int cls = 0;
	size_t usable = 0;

	/* lookup and state under the lock: see mstat_task_push() */
	c = mstat_lock_cache(task, &irqflags);
	owner = mstat_owner(ptr, &cls, &usable, &pfn, &info);
	/* an object of another cache, or a large one, is not the typed cache's to free */
	if (want != MSTAT_ANY_CLS && (owner != MSTAT_SMALL || cls != want))
		owner = MSTAT_FOREIGN;
	if (owner == MSTAT_SMALL) {
		/* the page is not read again: @info is all the lookup knows */
		unsigned int order = mstat_info_order(info);
		u32 *st = mstat_obj_state_order(ptr, &mstat_classes[cls], order);
		u32 state = READ_ONCE(*st);

		mstat_free_step(ptr);
		/* after its grace period, an object given to mstat_free_rcu() is live still */
		if (unlikely(rcu ? mstat_state_link(state) != MSTAT_LINK_RCU :
			     mstat_state_is_free(state)) || !mstat_obj_claim(st, state))
			mistake = MSTAT_DOUBLE_FREE;
		else
			mstat_pcpu_free(c, cls, order, (void *)ptr, state, caller);
	} else if (owner == MSTAT_LARGE) {
		mstat_free_step(ptr);
		if (!!(info & MSTAT_INFO_RCU) == rcu && mstat_large_claim(pfn, info)) {
			raw_spin_lock(&c->large_lock);
			mstat_stat_add_free(c, &c->stats.large_nfree, 1);
			mstat_stat_add_free(c, &c->stats.large_free_bytes, usable);
			mstat_key_count_large(c, pfn_to_page(pfn + 1)->index, usable, true);
			raw_spin_unlock(&c->large_lock);
		} else {
			mistake = MSTAT_DOUBLE_FREE;
		}
	} else {
		mistake = MSTAT_BAD_POINTER;
	}
	/* refused or not, it waits no longer */
	if (rcu)
		mstat_stat_add_free(c, &c->stats.rcu_freed, 1);
	mstat_unlock_cache(task, irqflags);

	if (mistake != MSTAT_NR_MISTAKES) {
		mstat_report(mistake, rcu ? "mstat_free_rcu" : want == MSTAT_ANY_CLS ?
			     "mstat_free" : "mstat_cache_free", ptr, caller);
		return false;
	}
	trace_mstat_free(caller, ptr);
	if (owner == MSTAT_LARGE)
		mstat_large_free((void *)ptr, usable);
	return true;
}

/**
 * mstat_free - free memory mstat_alloc() returned
 * @ptr: the object; NULL and ZERO_SIZE_PTR are ignored
 *
 * May be called on any CPU, not only the one that allocated @ptr, and in
 * any context mstat_alloc(GFP_ATOMIC) may.  The free is counted in the
 * calling CPU's statistics.  A pointer that is not the start of an mstat
 * object, or an object that is already free, is reported (a warning naming
 * the caller the first time, a rate-limited line after that), counted in
 * /proc/mstat's bad_pointers or double_frees, and otherwise left alone:
 * it is never put on a free list nor counted as a free.
 */
void mstat_free(const void *ptr)
{
	if (unlikely(ZERO_OR_NULL_PTR(ptr)))
		return;
	if (likely(in_task()) && !mstat_fast_off() && likely(mstat_task_push(ptr, false, 0)))
		return;
	mstat_free_slow(ptr, MSTAT_ANY_CLS, _RET_IP_, false);
}
EXPORT_SYMBOL_GPL(mstat_free);

/* mstat_free() for mstat's own API calls: a mistake names @caller. */
void mstat_free_caller(const void *ptr, unsigned long caller)
{
	if (unlikely(ZERO_OR_NULL_PTR(ptr)))
		return;
	if (likely(in_task()) && !mstat_fast_off() && likely(mstat_task_push(ptr, false, 0)))
		return;
	mstat_free_slow(ptr, MSTAT_ANY_CLS, caller, false);
}

/**
 * mstat_pcpu_free_bulk - free objects of a bulk call, one lock for all
 * @want: the class every object must be of (a typed cache's), or MSTAT_ANY_CLS
 * @n: objects
 * @p: the objects; NULL and ZERO_SIZE_PTR are skipped
 *
 * mstat_task_push()'s checks and way of caching an object, for each in
 * turn under one lock, a full class cache flushed to its pool.  It stops
 * at the first object the fast path would not take.
 *
 * Return: how many of @p it dealt with, MSTAT_BULK_MAX at most (one lock
 * hold); below that, the caller frees the next one by the general path;
 * either way it may call again for the rest.
 */
unsigned int mstat_pcpu_free_bulk(unsigned int want, unsigned int n, void **p)
{
	unsigned int k, cls = 0, key = 0, nkey = 0, kcls = 0;
	const struct mstat_class *mc = NULL;
	struct mstat_class_cache *cc;
	unsigned long span = 0;
	struct mstat_pcpu *c;
	u32 *st, state;

	if (!in_task() || mstat_fast_off())
		return 0;
	n = min(n, MSTAT_BULK_MAX);
	local_lock(&mstat_caches[MSTAT_TASK]->lock);
	c = this_cpu_ptr(mstat_caches[MSTAT_TASK]);
	for (k = 0; k < n; k++) {
		const void *ptr = p[k];
		unsigned long addr = (unsigned long)kasan_reset_tag(ptr);

		if (unlikely(ZERO_OR_NULL_PTR(ptr)))
			continue;
		/*
		 * Lookup and state under the lock: see mstat_task_push().  An
		 * object of the span looked up last is of its class and node,
		 * and the span stays mstat's while the lock is held.
		 */
		if (span && (addr & ~(unsigned long)mc->span_mask) == span) {
			if (unlikely(!mstat_span_state(mc, addr, &st)))
				break;
		} else {
			if (unlikely(!mstat_fast_state(ptr, &cls, &st, &mc)) ||
			    unlikely(mstat_obj_remote(ptr)) ||
			    (want != MSTAT_ANY_CLS && cls != want))
				break;
			span = addr & ~(unsigned long)mc->span_mask;
		}
		cc = &c->cls[cls];
		/*
		 * Room first: the state is read and written with nothing
		 * between, as mstat_task_push() does.  A flush between would
		 * let another CPU's free and hand-out of the object land in
		 * the window, its owner's live state then overwritten.  Frees
		 * are counted before a flush counts them out of the cache.
		 */
		if (unlikely(cc->count >= mc->cache_cap)) {
			if (nkey)
				mstat_key_count_free_n(c, key, kcls, nkey);
			nkey = 0;
			/* room for the rest of the call at one pool trip, if the cache has it */
			mstat_pcpu_flush_n(c, cls, clamp(n - k, mc->batch, cc->count));
		}
		state = READ_ONCE(*st);
		if (unlikely(mstat_state_is_free(state)))
			break;
		mstat_obj_cached(st, state);
		cc->objs[cc->count++] = (void *)ptr;
		/* a run of one key's objects is counted once */
		if (nkey && (mstat_state_key(state, cls) != key || cls != kcls)) {
			mstat_key_count_free_n(c, key, kcls, nkey);
			nkey = 0;
		}
		if (!nkey) {
			key = mstat_state_key(state, cls);
			kcls = cls;
		}
		nkey++;
		mstat_kasan_free(ptr, mc);
	}
	if (nkey)
		mstat_key_count_free_n(c, key, kcls, nkey);
	local_unlock(&mstat_caches[MSTAT_TASK]->lock);
	return k;
}

/*
 * Put @ptr on the calling context's pending objects, the cache's lock
 * held: in its pointer page, a new one taken when that is full, with no
 * reclaim at all; failing that, chained through @head.
 */
static void mstat_rcu_push(struct mstat_pcpu *c, const void *ptr, struct rcu_head *head,
			   void (*kick)(unsigned int cpu, bool full))
{
	struct mstat_rcu_block *b = c->rcu.blocks;

	if (!b || b->n == MSTAT_RCU_BLOCK_OBJS) {
		b = NULL;
		/* no reclaim, not even kswapd's wakeup: the caller may hold locks it takes */
		if (!mstat_rcu_blocks_off())
			b = (void *)__get_free_page(__GFP_NOWARN | __GFP_NOMEMALLOC);
		if (b) {
			b->next = c->rcu.blocks;
			b->n = 0;
			c->rcu.blocks = b;
		}
	}
	if (b) {
		b->objs[b->n++] = ptr;
	} else {
		head->func = (rcu_callback_t)ptr;
		head->next = c->rcu.heads;
		c->rcu.heads = head;
	}
	WRITE_ONCE(c->rcu_n, c->rcu_n + 1);
	/* under the lock: this CPU's lists, kicked on this CPU */
	kick(smp_processor_id(), c->rcu_n == MSTAT_RCU_BATCH);
}

/**
 * mstat_rcu_queue - take an object for a free after a grace period
 * @ptr: the object, live
 * @head: its rcu_head, inside it
 * @caller: mstat_free_rcu()'s caller
 * @kick: called with the calling CPU, pinned, once @head is on its list
 *
 * The object is marked (its state's link, or a large object's word), so
 * that a second free of it, by either call, is refused until the batch
 * frees it; it stays live in every count.  It joins the calling context's
 * pending objects (mstat_rcu_push()), which mstat_rcu.c batches when
 * @kick tells it to.
 */
void mstat_rcu_queue(const void *ptr, struct rcu_head *head, unsigned long caller,
		     void (*kick)(unsigned int cpu, bool full))
{
	enum mstat_mistake mistake = MSTAT_NR_MISTAKES;
	unsigned long irqflags = 0, pfn = 0, info = 0;
	const struct mstat_class *mc;
	bool task = in_task();
	enum mstat_owner owner;
	struct mstat_pcpu *c;
	unsigned int cls = 0;
	size_t usable = 0;
	u32 *st = NULL;

	c = mstat_lock_cache(task, &irqflags);
	/* a span object, as the fast free finds it; anything else as the general free */
	if (!mstat_debug() && mstat_fast_state(ptr, &cls, &st, &mc)) {
		owner = MSTAT_SMALL;
		usable = mc->size;
	} else {
		owner = mstat_owner(ptr, &cls, &usable, &pfn, &info);
		if (owner == MSTAT_SMALL)
			st = mstat_obj_state_order(ptr, &mstat_classes[cls],
						   mstat_info_order(info));
	}
	/* the head must lie inside the object, which mstat then writes */
	if (owner != MSTAT_FOREIGN &&
	    ((void *)head < ptr || (void *)(head + 1) > ptr + usable))
		owner = MSTAT_FOREIGN;
	if (owner == MSTAT_SMALL) {
		u32 state = READ_ONCE(*st);

		if (unlikely(mstat_state_is_free(state)) ||
		    cmpxchg(st, state, MSTAT_STATE(mstat_state_key_bits(state), MSTAT_LINK_RCU)) !=
		    state)
			mistake = MSTAT_DOUBLE_FREE;
	} else if (owner == MSTAT_LARGE) {
		if ((info & MSTAT_INFO_RCU) ||
		    cmpxchg(&pfn_to_page(pfn)->private, info, info | MSTAT_INFO_RCU) != info)
			mistake = MSTAT_DOUBLE_FREE;
	} else {
		mistake = MSTAT_BAD_POINTER;
	}
	if (mistake == MSTAT_NR_MISTAKES) {
		mstat_stat_add(c, &c->stats.rcu_queued, 1);
		mstat_rcu_push(c, ptr, head, kick);
	}
	mstat_unlock_cache(task, irqflags);
	if (mistake != MSTAT_NR_MISTAKES)
		mstat_report(mistake, "mstat_free_rcu", ptr, caller);
}

/**
 * mstat_live - whether a pointer is a live object of mstat's (no report)
 * @ptr: the pointer
 *
 * Return: true if it is, as a lookup tells now.
 */
bool mstat_live(const void *ptr)
{
	unsigned long pfn = 0, info = 0;
	enum mstat_owner owner;
	unsigned int cls = 0;
	size_t usable = 0;
	bool ok = false;

	rcu_read_lock();
	owner = mstat_owner(ptr, &cls, &usable, &pfn, &info);
	if (owner == MSTAT_LARGE)
		ok = !(info & MSTAT_INFO_RCU);
	else if (owner == MSTAT_SMALL)
		ok = mstat_state_link(READ_ONCE(*mstat_obj_state_order(ptr, &mstat_classes[cls],
								       mstat_info_order(info)))) ==
		     MSTAT_LINK_LIVE;
	rcu_read_unlock();
	return ok;
}

/**
 * mstat_rcu_free - free an object of mstat_rcu_queue(), its grace period over
 * @ptr: the object
 *
 * Counted as a free, and in rcu_freed, in the calling CPU's cache.
 *
 * Return: whether it was still marked, and is freed now.
 */
bool mstat_rcu_free(const void *ptr)
{
	return mstat_free_slow(ptr, MSTAT_ANY_CLS, _RET_IP_, true);
}

/*
 * Claim an object of mstat_rcu_queue() whose grace period is over and put
 * it in cache @c, locked by its owner, as the fast free would; false, and
 * nothing done, for one it would not take, or not still marked.
 */
static __always_inline bool mstat_rcu_cache_obj(struct mstat_pcpu *c, const void *obj)
{
	const struct mstat_class *mc;
	struct mstat_class_cache *cc;
	unsigned int cls;
	u32 *st, state;

	if (!mstat_fast_state(obj, &cls, &st, &mc) || mstat_obj_remote(obj))
		return false;
	state = READ_ONCE(*st);
	if (mstat_state_link(state) != MSTAT_LINK_RCU || !mstat_obj_claim(st, state))
		return false;
	cc = &c->cls[cls];
	if (unlikely(cc->count >= mc->cache_cap))
		mstat_pcpu_flush(c, cls);
	cc->objs[cc->count++] = (void *)obj;
	/*
	 * Before the key's nfree, per object: a read takes rcu_freed first,
	 * so its rcu_pending may count the RCU frees done between its two
	 * reads, as with mstat_free_slow()'s, not a whole batch's.
	 */
	mstat_stat_add_free(c, &c->stats.rcu_freed, 1);
	mstat_key_count_free(c, mstat_state_key(state, cls), cls);
	mstat_kasan_free(obj, mc);
	return true;
}

/**
 * mstat_rcu_free_chain - free objects of mstat_rcu_queue() along their list
 * @head: the first head of a list whose grace period is over
 *
 * As mstat_rcu.c's walk does it, each object is claimed before its head's
 * next is followed; those the fast free would take (a span's objects of
 * this node, neither debug mode nor a tracepoint on) go to the calling
 * task's cache under one lock, MSTAT_RCU_CHAIN at most, counted as
 * mstat_rcu_free() counts them.
 *
 * Return: the first head whose object it left (NULL at the list's end):
 * the caller frees that one by mstat_rcu_free(), and goes on from its next.
 */
struct rcu_head *mstat_rcu_free_chain(struct rcu_head *head)
{
	struct mstat_pcpu *c;
	unsigned int n = 0;

	if (!in_task() || mstat_fast_off() || mstat_free_hooked())
		return head;
	local_lock(&mstat_caches[MSTAT_TASK]->lock);
	c = this_cpu_ptr(mstat_caches[MSTAT_TASK]);
	while (head && n < MSTAT_RCU_CHAIN) {
		void *obj = (void *)READ_ONCE(head->func);
		struct rcu_head *next = READ_ONCE(head->next);

		if (!mstat_rcu_cache_obj(c, obj))
			break;
		n++;
		head = next;
	}
	local_unlock(&mstat_caches[MSTAT_TASK]->lock);
	return head;
}

/**
 * mstat_rcu_free_array - free objects of mstat_rcu_queue() from a pointer page
 * @objs: the objects, their grace period over
 * @n: how many
 *
 * mstat_rcu_free_chain() for a page of pointers: nothing of the objects is
 * read before each is claimed.
 *
 * Return: how many of @objs, from the first, it freed: the caller frees
 * the next one by mstat_rcu_free(), and goes on after it.
 */
unsigned long mstat_rcu_free_array(const void **objs, unsigned long n)
{
	struct mstat_pcpu *c;
	unsigned long k;

	if (!in_task() || mstat_fast_off() || mstat_free_hooked())
		return 0;
	n = min_t(unsigned long, n, MSTAT_RCU_CHAIN);
	local_lock(&mstat_caches[MSTAT_TASK]->lock);
	c = this_cpu_ptr(mstat_caches[MSTAT_TASK]);
	for (k = 0; k < n; k++) {
		if (!mstat_rcu_cache_obj(c, objs[k]))
			break;
	}
	local_unlock(&mstat_caches[MSTAT_TASK]->lock);
	return k;
}

/**
 * mstat_rcu_take - take the calling CPU's pending objects of one context's cache
 * @task: the task cache's, else the irq cache's
 *
 * Context: task context, on the CPU whose cache this is.
 *
 * Return: the objects.
 */
struct mstat_rcu_pending mstat_rcu_take(bool task)
{
	struct mstat_rcu_pending p;
	unsigned long irqflags = 0;
	struct mstat_pcpu *c;

	c = mstat_lock_cache(task, &irqflags);
	p = mstat_rcu_take_dead(c);
	mstat_unlock_cache(task, irqflags);
	return p;
}

/**
 * mstat_rcu_take_dead - take a cache's objects waiting to be batched
 * @c: the cache, locked by its owner, or its CPU dead
 *
 * Return: the objects.
 */
struct mstat_rcu_pending mstat_rcu_take_dead(struct mstat_pcpu *c)
{
	struct mstat_rcu_pending p = c->rcu;

	c->rcu.blocks = NULL;
	c->rcu.heads = NULL;
	WRITE_ONCE(c->rcu_n, 0);
	return p;
}

/* mstat_cache_alloc() with __GFP_ZERO, as mstat_alloc_zero(). */
static noinline void *mstat_cache_alloc_zero(struct mstat_cache *s, gfp_t flags,
					     struct mstat_site *site, unsigned long caller)
{
	void *obj = mstat_zero_fast(s->cls, flags, site);

	return obj ?: mstat_alloc_class(s->cls, s->object_size, flags, NUMA_NO_NODE, caller, site);
}

/* The typed cache's allocation, as mstat_alloc()'s, inlined in both callers. */
static __always_inline void *__mstat_cache_alloc(struct mstat_cache *s, gfp_t flags,
						 struct mstat_site *site, unsigned long caller)
{
	unsigned int cls = s->cls, key;
	void *obj;

	might_alloc(flags);
	if (likely(!(flags & (MSTAT_GFP_SLOW | __GFP_ZERO)) && in_task()) && !mstat_fast_off() &&
	    likely(mstat_site_fast_key(site, cls, &key)) && likely(mstat_task_pop(cls, key, &obj)))
		return obj;
	if (flags & __GFP_ZERO)
		return mstat_cache_alloc_zero(s, flags, site, caller);
	return mstat_alloc_class(cls, s->object_size, flags, NUMA_NO_NODE, caller, site);
}

/**
 * mstat_cache_alloc_site - allocate an object of a typed cache for a call site
 * @s: the cache
 * @flags: GFP flags, as for mstat_alloc_site(); __GFP_ZERO zeroes the object
 * @site: the call site, which the allocation is counted to
 *
 * kmem_cache_alloc()'s counterpart, and as fast as mstat_alloc()'s: the
 * cache is a class of its own in every CPU's caches.  The object is in its
 * constructed state if @s has a constructor (as the client left it at its
 * last free), aligned as mstat_cache_create() was asked.
 *
 * Return: the object, or NULL.
 */
void *mstat_cache_alloc_site(struct mstat_cache *s, gfp_t flags, struct mstat_site *site)
{
	return __mstat_cache_alloc(s, flags, site, _RET_IP_);
}
EXPORT_SYMBOL_GPL(mstat_cache_alloc_site);

/* mstat_cache_alloc_site() for mstat's own API calls, which name their caller's caller. */
void *mstat_cache_alloc_caller(struct mstat_cache *s, gfp_t flags, struct mstat_site *site,
			       unsigned long caller)
{
	return __mstat_cache_alloc(s, flags, site, caller);
}

/**
 * mstat_cache_alloc_node_site - allocate an object of a typed cache on a node
 * @s: the cache
 * @flags: GFP flags, as for mstat_alloc_node_site()
 * @node: the memory node wanted, or NUMA_NO_NODE
 * @site: the call site, which the allocation is counted to
 *
 * kmem_cache_alloc_node()'s counterpart: @node honoured as
 * mstat_alloc_node_site() honours it.
 *
 * Return: the object, or NULL.
 */
void *mstat_cache_alloc_node_site(struct mstat_cache *s, gfp_t flags, int node,
				  struct mstat_site *site)
{
	might_alloc(flags);
	node = mstat_node_wanted(node, flags);
	if (node == MSTAT_NO_SUCH_NODE)
		return NULL;
	return mstat_alloc_class(s->cls, s->object_size, flags, node, _RET_IP_, site);
}
EXPORT_SYMBOL_GPL(mstat_cache_alloc_node_site);

/* The typed cache's free, inlined in both callers. */
static __always_inline void __mstat_cache_free(struct mstat_cache *s, const void *obj,
					       unsigned long caller)
{
	if (unlikely(ZERO_OR_NULL_PTR(obj)))
		return;
	if (likely(in_task()) && !mstat_fast_off() && likely(mstat_task_push(obj, true, s->cls)))
		return;
	mstat_free_slow(obj, s->cls, caller, false);
}

/**
 * mstat_cache_free - free an object of a typed cache
 * @s: the cache the object was allocated from
 * @obj: the object; NULL is ignored
 *
 * kmem_cache_free()'s counterpart, in any context mstat_free() may be
 * called.  An object that is not one of @s's live objects (another
 * cache's, a general one, one already free) is reported and left alone,
 * as by mstat_free().  (mstat_free() also frees a typed cache's object.)
 */
void mstat_cache_free(struct mstat_cache *s, void *obj)
{
	__mstat_cache_free(s, obj, _RET_IP_);
}
EXPORT_SYMBOL_GPL(mstat_cache_free);

/* mstat_cache_free() for mstat's own API calls: a mistake names @caller. */
void mstat_cache_free_caller(struct mstat_cache *s, const void *obj, unsigned long caller)
{
	__mstat_cache_free(s, obj, caller);
}

/**
 * mstat_usable_size - bytes usable at an mstat object
 * @ptr: the object
 *
 * Return: the object's class size, or for a large object its size rounded
 * up to whole pages; 0 for NULL, ZERO_SIZE_PTR and pointers mstat does not
 * own (which are reported as by mstat_free()).
 */
size_t mstat_usable_size(const void *ptr)
{
	return mstat_usable_caller(ptr, __func__, _RET_IP_);
}
EXPORT_SYMBOL_GPL(mstat_usable_size);

/* mstat_usable_size() for mstat's own API calls: a foreign @ptr is @fn's mistake. */
size_t mstat_usable_caller(const void *ptr, const char *fn, unsigned long caller)
{
	unsigned long pfn, info;
	unsigned int cls;
	size_t usable;

	if (ZERO_OR_NULL_PTR(ptr))
		return 0;
	if (mstat_owner(ptr, &cls, &usable, &pfn, &info) != MSTAT_FOREIGN)
		return usable;
	mstat_report(MSTAT_BAD_POINTER, fn, ptr, caller);
	return 0;
}

/* Return one class cache's objects to the pool; how many went back.  As mstat_pcpu_drain(). */
static unsigned int mstat_class_drain(struct mstat_pcpu *c, unsigned int cls)
{
	struct mstat_class_cache *cc = &c->cls[cls];
	unsigned int n = cc->count, nbad;

	if (!n)
		return 0;
	/*
	 * A withdrawn object's span may be released once the pool's lock is
	 * dropped: its state is read before a grace period could end.  The
	 * owner's flush is in its cache's lock, a read-side section already.
	 */
	rcu_read_lock();
	nbad = mstat_central_put(cls, cc->objs, n, mstat_classes[cls].span_order);
	/* as in mstat_pcpu_flush() */
	mstat_site_withdrawn(c, cls, cc->objs, nbad);
	rcu_read_unlock();
	mstat_stat_add(c, &c->stats.nflush_objs[cls], n - nbad);
	WRITE_ONCE(cc->count, 0);
	return n - nbad;
}

/*
 * Withdraw from cache @c, its lock held, every object whose span is no
 * longer live: second copies of objects two CPUs freed at once, whose
 * other copy went back with the span.  The remote buffer goes to the pools,
 * which withdraw such copies there.
 */
static void mstat_pcpu_purge_cache(struct mstat_pcpu *c, const unsigned long *classes)
{
	unsigned int cls, i, keep;

	for_each_set_bit(cls, classes, MSTAT_NR_CLASSES) {
		struct mstat_class_cache *cc = &c->cls[cls];

		for (i = 0, keep = 0; i < cc->count; i++) {
			void *obj = cc->objs[i];

			if (likely(mstat_cached_span_live(obj, &mstat_classes[cls]))) {
				cc->objs[keep++] = obj;
				continue;
			}
			mstat_report(MSTAT_CORRUPT_FREE, "mstat_purge", obj, _RET_IP_);
			mstat_site_withdrawn(c, cls, &obj, 1);
		}
		WRITE_ONCE(cc->count, keep);
	}
	mstat_remote_flush(c);
}

/**
 * mstat_pcpu_purge - withdraw this CPU's copies of objects in spans gone
 * @classes: a bitmap of the classes whose spans go back
 *
 * Run on each CPU before released spans' pages go back to the page
 * allocator (mstat_pool.c): afterwards no cache of this CPU points into
 * them, so none reads their states once they are someone else's.  The
 * fast allocation needs no check of its own (DESIGN.md, "Hardening").
 *
 * Context: task context, on the CPU whose caches it purges.
 */
void mstat_pcpu_purge(const unsigned long *classes)
{
	unsigned long irqflags;

	rcu_read_lock();
	local_lock(&mstat_caches[MSTAT_TASK]->lock);
	mstat_pcpu_purge_cache(this_cpu_ptr(mstat_caches[MSTAT_TASK]), classes);
	local_unlock(&mstat_caches[MSTAT_TASK]->lock);
	local_lock_irqsave(&mstat_caches[MSTAT_IRQ]->lock, irqflags);
	mstat_pcpu_purge_cache(this_cpu_ptr(mstat_caches[MSTAT_IRQ]), classes);
	local_unlock_irqrestore(&mstat_caches[MSTAT_IRQ]->lock, irqflags);
	rcu_read_unlock();
}

/**
 * mstat_pcpu_owed - count a withdrawal the pools found late
 * @cls: the object's class
 * @obj: an object found handed out in a span back from the limbo: one copy
 *	of it (two CPUs freed it at once) went back to the span and was
 *	counted as a flush, another was handed out (mstat_limbo_rcu())
 *
 * The copy that went back is counted again as withdrawn, on the calling
 * CPU's cache, as if its pool had handed it to the cache and the cache to
 * nobody: the class's frees (two for one allocation) are balanced, and the
 * cache's counters still tell what it holds.  Any context.
 */
void mstat_pcpu_owed(unsigned int cls, void *obj)
{
	unsigned long irqflags = 0;
	bool task = in_task();
	struct mstat_pcpu *c;

	rcu_read_lock();
	c = mstat_lock_cache(task, &irqflags);
	mstat_count_refill(c, cls, page_to_nid(virt_to_page(kasan_reset_tag(obj))), 1);
	mstat_site_withdrawn(c, cls, &obj, 1);
	mstat_unlock_cache(task, irqflags);
	rcu_read_unlock();
}

/**
 * mstat_pcpu_drain - return every cached object of a cache to the pools
 * @c: a cache whose owner cannot run mstat code: its CPU is dead, the
 *	module is going away, or the caller is the owner with the lock held
 *
 * nflush is left alone (a drain is not a flush the owner did, and a drain at
 * hotplug must not change any total); nflush_objs counts the objects, so
 * that the counters keep telling how many the cache holds: none.
 */
void mstat_pcpu_drain(struct mstat_pcpu *c)
{
	unsigned int cls;

	for (cls = 0; cls < MSTAT_NR_CLASSES; cls++)
		mstat_class_drain(c, cls);
	mstat_remote_flush(c);
}

/**
 * mstat_drain_this_cpu - return the calling CPU's cached objects to the pools
 *
 * Context: task context (a work item on each CPU, say), since only there
 * may the task cache be taken; not from an IPI.
 */
void mstat_drain_this_cpu(void)
{
	unsigned long irqflags = 0;

	mstat_pcpu_drain(mstat_lock_cache(true, &irqflags));
	mstat_pcpu_drain(mstat_lock_cache(false, &irqflags));
	mstat_unlock_cache(false, irqflags);
	mstat_unlock_cache(true, irqflags);
}

/**
 * mstat_reclaim_this_cpu - empty some class caches of the calling CPU
 * @classes: bitmap of the classes to empty, in both of the CPU's caches
 *
 * Reclaim's drain, counted in nreclaim and reclaimed_bytes.  The task cache
 * is emptied with interrupts on, then the irq cache.
 *
 * Context: task context, on the CPU whose caches these are (a work item
 * queued on it), so that no cache or counter is written by another CPU.
 */
void mstat_reclaim_this_cpu(const unsigned long *classes)
{
	unsigned long irqflags = 0;
	struct mstat_pcpu *c;
	unsigned int ctx, cls, n;
	u64 bytes;

	for (ctx = 0; ctx < MSTAT_NR_CTX; ctx++) {
		c = mstat_lock_cache(ctx == MSTAT_TASK, &irqflags);
		/* objects waiting to go home go now, whichever classes reclaim empties */
		bytes = mstat_remote_flush(c);
		if (bytes) {
			mstat_stat_add(c, &c->stats.nreclaim, 1);
			mstat_stat_add(c, &c->stats.reclaimed_bytes, bytes);
		}
		for_each_set_bit(cls, classes, MSTAT_NR_CLASSES) {
			n = mstat_class_drain(c, cls);
			if (!n)
				continue;
			mstat_stat_add(c, &c->stats.nreclaim, 1);
			mstat_stat_add(c, &c->stats.reclaimed_bytes, mstat_class_bytes(cls, n));
			trace_mstat_reclaim(mstat_classes[cls].size, n, mstat_class_bytes(cls, n));
		}
		mstat_unlock_cache(ctx == MSTAT_TASK, irqflags);
	}
}

/**
 * mstat_cached_count - free objects of a class in the calling context's cache
 * @cls: class index
 *
 * Return: the count, in the task or the irq cache of the calling CPU.
 */
unsigned int mstat_cached_count(unsigned int cls)
{
	bool task = in_task();
	unsigned long irqflags = 0;
	unsigned int n;

	n = mstat_lock_cache(task, &irqflags)->cls[cls].count;
	mstat_unlock_cache(task, irqflags);
	return n;
}

/**
 * mstat_pcpu_cached_bytes - bytes of free objects sitting in a cache
 * @c: the cache, possibly another CPU's: the result is then a moment's view
 *
 * Return: the bytes.
 */
u64 mstat_pcpu_cached_bytes(const struct mstat_pcpu *c)
{
	unsigned int cls, i;
	u64 bytes = 0;

	for (cls = 0; cls < MSTAT_NR_CLASSES; cls++)
		bytes += mstat_class_bytes(cls, READ_ONCE(c->cls[cls].count));
	for (i = 0; i < min(READ_ONCE(c->nremote), MSTAT_REMOTE_SLOTS); i++)
		bytes += mstat_classes[mstat_remote_cls(READ_ONCE(c->remote_key[i]))].size;
	return bytes;
}

/**
 * mstat_donate - add one cache's counters to another's and zero the first
 * @from: the donor, whose CPU is dead
 * @to: the recipient, the calling CPU's own cache with its lock held
 *
 * Every counter moves, ndonations included, so the sum over all caches is
 * the same before and after.
 */
void mstat_donate(struct mstat_pcpu *from, struct mstat_pcpu *to)
{
	u64 *f = mstat_counter_array(&from->stats), *t = mstat_counter_array(&to->stats);
	unsigned int i;

	for (i = 0; i < MSTAT_NR_COUNTERS; i++) {
		WRITE_ONCE(t[i], t[i] + f[i]);
		WRITE_ONCE(f[i], 0);
	}
	f = (u64 *)from->nodes;
	t = (u64 *)to->nodes;
	for (i = 0; i < nr_node_ids * MSTAT_NODE_COUNTERS; i++) {
		WRITE_ONCE(t[i], t[i] + f[i]);
		WRITE_ONCE(f[i], 0);
	}
	mstat_donate_sites(from, to);
}

struct mstat_donation {
	struct work_struct work;
	struct mstat_pcpu *dead[MSTAT_NR_CTX];
};

/*
 * Runs on the recipient CPU, so that only it writes its counters, in a
 * work item: task context, where its task cache may be taken on every
 * kernel.  (An IPI would be hard interrupt context, where on PREEMPT_RT no
 * local lock may be taken.)
 */
static void mstat_donate_here(struct work_struct *work)
{
	struct mstat_donation *d = container_of(work, struct mstat_donation, work);
	unsigned long irqflags = 0;
	struct mstat_pcpu *c;
	unsigned int ctx;

	c = mstat_lock_cache(true, &irqflags);
	for (ctx = 0; ctx < MSTAT_NR_CTX; ctx++)
		mstat_donate(d->dead[ctx], c);
	mstat_stat_add(c, &c->stats.ndonations, 1);
	mstat_unlock_cache(true, irqflags);
}

/**
 * mstat_donate_dead_cpu - hand a dead CPU's objects and counters on
 * @cpu: the CPU that died
 *
 * Called from the hotplug teardown, on a control CPU, with the hotplug
 * lock held for writing: /proc/mstat readers hold it for reading, so none
 * sees the donation half done.  The cached objects of both its caches go
 * back to the central pools; the counters go to CPU 0, or to the
 * lowest-numbered online CPU if CPU 0 is offline, and are zeroed so that
 * the CPU comes back from 0.  A CPU with no counts donates nothing and
 * counts no donation: the teardown also runs when a bring-up fails before
 * the CPU ran, and a CPU that came back and did nothing has nothing to give.
 */
void mstat_donate_dead_cpu(unsigned int cpu)
{
	unsigned long objects = 0, bytes = 0;
	struct mstat_donation d;
	unsigned int ctx, cls, n;
	bool counted = false;

	for (ctx = 0; ctx < MSTAT_NR_CTX; ctx++) {
		d.dead[ctx] = per_cpu_ptr(mstat_caches[ctx], cpu);
		for (cls = 0; cls < MSTAT_NR_CLASSES; cls++) {
			n = d.dead[ctx]->cls[cls].count;
			objects += n;
			bytes += mstat_class_bytes(cls, n);
		}
		for (n = 0; n < d.dead[ctx]->nremote; n++) {
			objects++;
			bytes += mstat_classes[mstat_remote_cls(d.dead[ctx]->remote_key[n])].size;
		}
		mstat_pcpu_drain(d.dead[ctx]);
		counted |= !!memchr_inv(&d.dead[ctx]->stats, 0, sizeof(d.dead[ctx]->stats)) ||
			   mstat_sites_counted(d.dead[ctx]);
	}
	if (!counted)
		return;
	/* mstat_wq is bound and WQ_MEM_RECLAIM: the work runs there, and it runs */
	INIT_WORK_ONSTACK(&d.work, mstat_donate_here);
	queue_work_on(cpumask_first(cpu_online_mask), mstat_wq, &d.work);
	flush_work(&d.work);
	destroy_work_on_stack(&d.work);
	trace_mstat_cpu_donate(cpu, cpumask_first(cpu_online_mask), objects, bytes);
}

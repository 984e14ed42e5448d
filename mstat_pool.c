// SPDX-License-Identifier: GPL-2.0
/*
 * mstat pools: the spans of each class, one pool per class per memory
 * node, and the page allocator behind them.
 *
 * A per-CPU cache refills from its node's pool (mstat_central_take()) and
 * grows it with pages from its node (mstat_central_grow()); an object
 * goes back to the pool of its span's node, whichever CPU frees it
 * (mstat_central_put()).  A span is released through the limbo: its pages
 * stay mstat's for a grace period, so that a stale free that saw its bit
 * set never reads a page someone else owns.  Everything here runs on the
 * slow path, under the pool's lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpu.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/topology.h>
#include <linux/workqueue.h>

#include "mstat_internal.h"

/* [node][class], for every possible node: mstat_pools_init() */
static struct mstat_central **mstat_pools __read_mostly;
int *mstat_homes __read_mostly;

static struct mstat_central *mstat_pool(unsigned int cls, int nid)
{
	return &mstat_pools[nid][cls];
}

/*
 * Bytes of span pages held from the page allocator: changes on the slow
 * path only.  Large objects are not in it: their bytes are counted per CPU
 * (large_alloc_bytes - large_free_bytes), so that their path has no shared
 * atomic.
 */
static atomic_long_t mstat_span_sys = ATOMIC_LONG_INIT(0);

/*
 * Set at load (mstat_pcpu_owed()): counts an object found out in a span
 * back from the limbo as withdrawn, on the calling CPU's cache.
 */
void (*mstat_owed_hook)(unsigned int cls, void *obj);

/*
 * Set at load (mstat_pcpu_purge()): run on each CPU in turn, it withdraws
 * the copies that CPU's caches hold of objects of the given classes in
 * spans no longer live.
 */
void (*mstat_purge_hook)(const unsigned long *classes);

/*
 * Spans past their grace period whose pages wait for the purge: a second
 * copy of an object two CPUs freed at once may still sit in some cache,
 * and reads the object's state when it reaches the front.  The pages go
 * back once every CPU has withdrawn such copies (mstat_retire_fn()).
 */
static LIST_HEAD(mstat_retired);
static DECLARE_BITMAP(mstat_retired_cls, MSTAT_NR_CLASSES);	/* classes with spans there */
static bool mstat_purging;	/* a purge under way, of mstat_purge_cls's spans */
static DEFINE_SPINLOCK(mstat_retired_lock);	/* protects the three above */
static void mstat_retire_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(mstat_retire_work, mstat_retire_fn);
/* Held by a purge from its start to its pages' release, and by the unload's drain. */
static DEFINE_MUTEX(mstat_purge_mutex);

/* The tests set it to act as if no span of a class's own order were to be had. */
bool mstat_fail_preferred;
#if IS_ENABLED(CONFIG_MSTAT_KUNIT_TEST)
/* The tests see every page allocator call mstat makes for a span. */
void (*mstat_pages_hook)(gfp_t gfp, unsigned int order, unsigned int cls);
/* The tests act between a put's read of an object's state and its claim. */
void (*mstat_put_hook)(void *obj);
/* The tests act as a refill starts, before it takes the pool's lock. */
void (*mstat_take_hook)(unsigned int cls);
/* The torture's page allocation faults: set at boot only, read-only after. */
static unsigned int mstat_fail_span_nth;
module_param_named(fail_span_nth, mstat_fail_span_nth, uint, 0444);
static atomic_t mstat_span_calls;
#endif

static struct page *mstat_alloc_span_pages(int nid, gfp_t gfp, unsigned int order,
					   unsigned int cls)
{
#if IS_ENABLED(CONFIG_MSTAT_KUNIT_TEST)
	void (*hook)(gfp_t gfp, unsigned int order, unsigned int cls) = READ_ONCE(mstat_pages_hook);

	if (hook)
		hook(gfp, order, cls);
	/* tests only: mstat.fail_span_nth=N fails every Nth call (kunit/mstat_torture.c) */
	if (mstat_fail_span_nth && !(gfp & __GFP_NOFAIL) &&
	    atomic_inc_return(&mstat_span_calls) % mstat_fail_span_nth == 0)
		return NULL;
#endif
	return alloc_pages_node(nid, gfp, order);
}

/*
 * The span descriptor, in the struct page of the span's first page.  The
 * count of free objects shares page->private with the class, which
 * mstat_owner() reads without the pool's lock: it is written whole.
 * page->index heads the free list as a link (the first free object's
 * index + 1, MSTAT_LINK_LAST if none), the list running on through the
 * objects' states (MSTAT_LINK_*), never through the objects.
 */
static unsigned int mstat_span_head(struct page *span)
{
	return span->index;
}

static void mstat_span_set_head(struct page *span, unsigned int link)
{
	span->index = link;
}

static unsigned int mstat_span_nfree(struct page *span)
{
	return page_private(span) >> MSTAT_INFO_NFREE_SHIFT;
}

static unsigned int mstat_span_order(struct page *span)
{
	return mstat_info_order(page_private(span));
}

/* Objects the span holds in all. */
static unsigned int mstat_span_nobjs(struct page *span, unsigned int cls)
{
	return mstat_span_capacity(&mstat_classes[cls], mstat_span_order(span));
}

static void mstat_span_set_nfree(struct page *span, unsigned int nfree)
{
	unsigned long low = page_private(span) & (BIT(MSTAT_INFO_NFREE_SHIFT) - 1);

	WRITE_ONCE(span->private, low | (unsigned long)nfree << MSTAT_INFO_NFREE_SHIFT);
}

/*
 * A span in the limbo keeps its order in the low half of its private, and
 * the head its free list had when it went (every object on it) in the high
 * half: no MSTAT_INFO_TAG, so no free decodes it.  (64-bit kernels only:
 * mstat_internal.h.)
 */
#define MSTAT_LIMBO_HEAD_SHIFT	32

static unsigned int mstat_limbo_order(struct page *span)
{
	return lower_32_bits(page_private(span));
}

static unsigned int mstat_limbo_head(struct page *span)
{
	return page_private(span) >> MSTAT_LIMBO_HEAD_SHIFT;
}

/* The span of @order an object, known to be mstat's, belongs to: aligned to its size. */
static struct page *mstat_obj_span(const void *obj, unsigned int order)
{
	unsigned long pfn = PHYS_PFN(__pa(kasan_reset_tag(obj)));

	return pfn_to_page(pfn & ~((1UL << order) - 1));
}

u64 mstat_span_bytes(void)
{
	return atomic_long_read(&mstat_span_sys);
}

/* Pages of a class's spans on every node, a moment's view. */
unsigned long mstat_class_pages(unsigned int cls)
{
	unsigned long pages = 0;
	int nid;

	for_each_node(nid)
		pages += READ_ONCE(mstat_pool(cls, nid)->npages);
	return pages;
}

/* The span's address for mstat_obj_index(): without a KASAN tag. */
static unsigned long mstat_span_base(struct page *span)
{
	return (unsigned long)kasan_reset_tag(page_address(span));
}

/* The state vector of a span of class @cls and order @order. */
static u32 *mstat_span_states(struct page *span, unsigned int cls, unsigned int order)
{
	return mstat_states_at(mstat_span_base(span), &mstat_classes[cls], order);
}

/*
 * Before the span is marked mstat's: a stale free finds its states valid.
 * The objects are linked lowest address first: refills hand out runs.
 */
static void mstat_span_init(struct page *span, unsigned int cls, unsigned int order)
{
	const struct mstat_class *mc = &mstat_classes[cls];
	unsigned int i, n = mstat_span_capacity(mc, order);
	void *base = page_address(span) + mc->red_left;
	u32 *states = mstat_span_states(span, cls, order);

	if (order != mc->span_order && order)
		set_page_private(nth_page(span, 1), 0);	/* the state's word: mstat_states_at() */
	/* what is withdrawn before it was ever handed out counts to no site: key cls */
	for (i = 0; i < n; i++) {
		/* a span back from the limbo: its objects were poisoned at their frees */
		mstat_kasan_live(base + i * mc->stride, mc->size);
		if (mstat_debug())
			mstat_debug_init_obj(base + i * mc->stride, cls);
		mstat_kasan_free(base + i * mc->stride, mc);
		states[i] = MSTAT_STATE(cls, i + 1 < n ? i + 2 : MSTAT_LINK_LAST);
	}
	mstat_span_set_head(span, 1);
}

/*
 * A typed cache's constructor runs once per object, as its span is carved
 * (a span back from the limbo keeps its objects as they were freed:
 * constructed), before the span is mstat's: no client can see it yet.
 */
static void mstat_span_construct(struct page *span, unsigned int cls, unsigned int order)
{
	const struct mstat_class *mc = &mstat_classes[cls];
	void *obj = page_address(span) + mc->red_left;
	unsigned int i, n = mstat_span_capacity(mc, order);

	for (i = 0; i < n; i++, obj += mc->stride) {
		/* as SLUB's setup_object(): open to the constructor, shut again */
		mstat_kasan_live(obj, mc->size);
		mc->ctor(obj);
		mstat_kasan_free(obj, mc);
	}
}

/*
 * Whether an object's state says it is out of its span: handed out,
 * waiting for RCU or in a cache.
 */
static bool mstat_state_out(u32 st)
{
	unsigned int link = mstat_state_link(st);

	return link == MSTAT_LINK_LIVE || link == MSTAT_LINK_CACHED || link == MSTAT_LINK_RCU;
}

/*
 * Make @span's free list again from its states: every object whose state
 * does not say it is out, lowest address first; those out stay out.  Each
 * state is claimed with cmpxchg from the value read: a cache handing out a
 * copy may write it at the same instant, and then the object is out.
 * With @carve, each free object is made ready again as mstat_span_init()
 * makes it (a span back from the limbo).  Returns the number of free
 * objects; the number out at *@nout.
 */
static unsigned int mstat_span_relink(struct page *span, unsigned int cls, unsigned int order,
				      bool carve, unsigned int *nout)
{
	const struct mstat_class *mc = &mstat_classes[cls];
	unsigned int i, n = mstat_span_capacity(mc, order), nfree = 0;
	unsigned int head = MSTAT_LINK_LAST;
	void *base = page_address(span) + mc->red_left;
	u32 *states = mstat_span_states(span, cls, order);

	*nout = 0;
	for (i = n; i-- > 0;) {
		u32 st = READ_ONCE(states[i]);

		if (mstat_state_out(st) ||
		    cmpxchg(&states[i], st, MSTAT_STATE(mstat_state_key_bits(st), head)) != st) {
			(*nout)++;
			continue;
		}
		if (carve) {
			mstat_kasan_live(base + i * mc->stride, mc->size);
			if (mstat_debug())
				mstat_debug_init_obj(base + i * mc->stride, cls);
			mstat_kasan_free(base + i * mc->stride, mc);
		}
		head = i + 1;
		nfree++;
	}
	mstat_span_set_head(span, head);
	mstat_span_set_nfree(span, nfree);
	return nfree;
}

/* Whether any of @n states says its object is out (mstat_state_out()). */
static bool mstat_states_any_out(const u32 *states, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (unlikely(mstat_state_out(READ_ONCE(states[i]))))
			return true;
	}
	return false;
}

static void mstat_span_revive(struct mstat_central *central, struct page *span,
			      unsigned int cls, bool relink);

/* Give back the spans of a pool's limbo whose grace period is over. */
static void mstat_limbo_rcu(struct rcu_head *head)
{
	struct mstat_central *central = container_of(head, struct mstat_central, rcu);
	const struct mstat_class *mc = &mstat_classes[central->cls];
	unsigned int i, nout = 0;
	struct page *span, *tmp;
	unsigned long flags;
	void *out[16];	/* more in one callback: out of the lists, not counted (never seen) */
	LIST_HEAD(done);

	spin_lock_irqsave(&central->lock, flags);
	/* oldest last: stop at the first one still waiting */
	list_for_each_entry_safe_reverse(span, tmp, &central->limbo, lru) {
		if (!poll_state_synchronize_rcu(span->index))
			break;
		/*
		 * A copy of an object two CPUs freed at once, handed out by a CPU
		 * that checked its state just before the span went: the object has
		 * an owner, and the span comes back with it (mstat_span_check_free()).
		 * A fallback span's object is never in a cache, so never copied.
		 */
		if (mstat_limbo_order(span) == mc->span_order &&
		    unlikely(mstat_states_any_out(mstat_span_states(span, central->cls,
								    mc->span_order), mc->nobjs))) {
			u32 *states = mstat_span_states(span, central->cls, mc->span_order);

			for (i = 0; i < mc->nobjs && nout < ARRAY_SIZE(out); i++) {
				if (mstat_state_out(READ_ONCE(states[i])))
					out[nout++] = page_address(span) + mc->red_left +
						      i * mc->stride;
			}
			mstat_span_revive(central, span, central->cls, true);
			continue;
		}
		/* past its grace period: its index says its class to the purge */
		span->index = central->cls;
		list_move(&span->lru, &done);
	}
	spin_unlock_irqrestore(&central->lock, flags);

	/* the copy that went on the list is withdrawn, as mstat_central_put()'s are */
	for (i = 0; i < nout; i++) {
		mstat_report(MSTAT_CORRUPT_FREE, "mstat_limbo", out[i], _RET_IP_);
		if (mstat_owed_hook)
			mstat_owed_hook(central->cls, out[i]);
	}
	if (!list_empty(&done)) {
		spin_lock_irqsave(&mstat_retired_lock, flags);
		list_splice_tail(&done, &mstat_retired);
		set_bit(central->cls, mstat_retired_cls);
		spin_unlock_irqrestore(&mstat_retired_lock, flags);
		/* a few milliseconds gather the spans of many callbacks into one purge */
		queue_delayed_work(system_unbound_wq, &mstat_retire_work, msecs_to_jiffies(10));
	}
	/*
	 * Queued until here, its spans handed on: a drain that sees it not
	 * queued finds them retired.  Released meanwhile: another grace period.
	 */
	spin_lock_irqsave(&central->lock, flags);
	if (list_empty(&central->limbo))
		central->rcu_queued = false;
	else
		call_rcu(&central->rcu, mstat_limbo_rcu);
	spin_unlock_irqrestore(&central->lock, flags);
}

/* Give a list of spans past their grace period and the purge back to the page allocator. */
static void mstat_retired_free(struct list_head *list)
{
	struct page *span, *tmp;

	list_for_each_entry_safe(span, tmp, list, lru) {
		unsigned int order = mstat_limbo_order(span);

		list_del(&span->lru);
		set_page_private(span, 0);
		span->index = 0;
		/* a fallback span's state: mstat_states_at() */
		if (order)
			set_page_private(nth_page(span, 1), 0);
		__free_pages(span, order);
	}
}

/* The classes of the spans being purged: the retire work's, one at a time. */
static DECLARE_BITMAP(mstat_purge_cls, MSTAT_NR_CLASSES);
/* One work per CPU for the purge, made at load: none to allocate then. */
static struct work_struct __percpu *mstat_purge_works;

static void mstat_purge_fn(struct work_struct *unused)
{
	if (mstat_purge_hook)
		mstat_purge_hook(mstat_purge_cls);
}

/*
 * The purge: each CPU, in its own context, withdraws from its caches every
 * object whose span is no longer live (its bit clear), so that no cache
 * holds a pointer into the pages once they go back.  Only a copy can be
 * such an object: a span is released with every object on its list.  A
 * CPU that comes up meanwhile starts with empty caches, one that went down
 * gave its back.
 */
static void mstat_retire_fn(struct work_struct *work)
{
	unsigned long flags;
	LIST_HEAD(list);
	int cpu;

	mutex_lock(&mstat_purge_mutex);
	spin_lock_irqsave(&mstat_retired_lock, flags);
	list_splice_init(&mstat_retired, &list);
	bitmap_copy(mstat_purge_cls, mstat_retired_cls, MSTAT_NR_CLASSES);
	bitmap_zero(mstat_retired_cls, MSTAT_NR_CLASSES);
	/* the drains wait for the spans on this list too */
	mstat_purging = !list_empty(&list);
	spin_unlock_irqrestore(&mstat_retired_lock, flags);
	if (list_empty(&list)) {
		mutex_unlock(&mstat_purge_mutex);
		return;
	}
	/* as schedule_on_each_cpu(), which modules cannot call */
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		struct work_struct *w = per_cpu_ptr(mstat_purge_works, cpu);

		INIT_WORK(w, mstat_purge_fn);
		queue_work_on(cpu, system_wq, w);
	}
	for_each_online_cpu(cpu)
		flush_work(per_cpu_ptr(mstat_purge_works, cpu));
	cpus_read_unlock();
	mstat_retired_free(&list);
	spin_lock_irqsave(&mstat_retired_lock, flags);
	mstat_purging = false;
	spin_unlock_irqrestore(&mstat_retired_lock, flags);
	mutex_unlock(&mstat_purge_mutex);
}

/* Whether spans (of class @cls, or of any if MSTAT_NR_CLASSES) wait for the purge. */
static bool mstat_retire_pending(unsigned int cls)
{
	struct page *span;
	bool pending = false;

	spin_lock_irq(&mstat_retired_lock);
	list_for_each_entry(span, &mstat_retired, lru)
		pending |= cls == MSTAT_NR_CLASSES || span->index == cls;
	pending |= mstat_purging && (cls == MSTAT_NR_CLASSES || test_bit(cls, mstat_purge_cls));
	spin_unlock_irq(&mstat_retired_lock);
	return pending;
}

/*
 * Released spans wait in their pool's limbo for a grace period: a free of
 * a stale pointer into one may have seen its bit set just before
 * mstat_unmap_span() cleared it, and reads the span's struct page and the
 * object's state inside its cache's local lock, an RCU read-side section
 * (preemption or interrupts off; on PREEMPT_RT a local_lock is a
 * spinlock, which is one too).  So no such read meets a page mstat gave
 * away, and no page is freed inside a per-CPU critical section.  Until
 * then the pages are still mstat's, and mstat_central_take() takes them
 * back before anyone asks the page allocator: such a reader sees them as
 * foreign or, remapped to the same class, as free objects of the same
 * layout.  The span's order and list head are in its private
 * (mstat_limbo_order()), its cookie in its index.  Called with the pool's
 * lock held.
 */
static void mstat_span_release(struct mstat_central *central, struct page *span,
			       unsigned int cls)
{
	unsigned int order = mstat_span_order(span), head = mstat_span_head(span);

	lockdep_assert_held(&central->lock);
	mstat_unmap_span(span, cls, order);
	/* no longer in use: sys_bytes drops now, the pages follow */
	atomic_long_sub(PAGE_SIZE << order, &mstat_span_sys);
	set_page_private(span, (unsigned long)head << MSTAT_LIMBO_HEAD_SHIFT | order);
	/* after the bit is clear: get_state_synchronize_rcu() orders it */
	span->index = get_state_synchronize_rcu();
	list_move(&span->lru, &central->limbo);
	central->nspans--;
	WRITE_ONCE(central->npages, central->npages - (1UL << order));
	if (!central->rcu_queued) {
		central->rcu_queued = true;
		call_rcu(&central->rcu, mstat_limbo_rcu);
	}
}

/* Whether a pool's mstat_limbo_rcu() is queued. */
static bool mstat_limbo_queued(void)
{
	struct mstat_central *central;
	bool queued = false;
	unsigned int cls;
	int nid;

	for_each_node(nid) {
		for (cls = 0; cls < MSTAT_NR_CLASSES; cls++) {
			central = mstat_pool(cls, nid);
			spin_lock_irq(&central->lock);
			queued |= central->rcu_queued;
			spin_unlock_irq(&central->lock);
		}
	}
	return queued;
}

/**
 * mstat_purge_block - keep the purge from running until mstat_purge_unblock()
 *
 * For the unload, which drains every CPU's caches without their locks: a
 * purge compacting a cache's array meanwhile would hand the drain a copy
 * it withdrew, whose pages may be gone.  One under way is waited for.
 *
 * Context: process context; sleeps.
 */
void mstat_purge_block(void)
{
	mutex_lock(&mstat_purge_mutex);
}

/**
 * mstat_purge_unblock - let the purge run again after mstat_purge_block()
 *
 * Context: process context, after mstat_purge_block().
 */
void mstat_purge_unblock(void)
{
	mutex_unlock(&mstat_purge_mutex);
}

/**
 * mstat_limbo_drain - wait until every released span went back to the page allocator
 *
 * Context: process context; sleeps.
 */
void mstat_limbo_drain(void)
{
	/* a callback queues itself again for the spans released after it was queued */
	do {
		rcu_barrier();
		mod_delayed_work(system_unbound_wq, &mstat_retire_work, 0);
		flush_delayed_work(&mstat_retire_work);
	} while (mstat_limbo_queued() || mstat_retire_pending(MSTAT_NR_CLASSES));
}

/**
 * mstat_limbo_drain_class - wait until a class's released spans went back
 * @cls: a class no span can be released into meanwhile (a typed cache's
 *	being destroyed)
 *
 * Context: process context; sleeps.
 */
void mstat_limbo_drain_class(unsigned int cls)
{
	struct mstat_central *central;
	bool queued;
	int nid;

	do {
		rcu_barrier();
		mod_delayed_work(system_unbound_wq, &mstat_retire_work, 0);
		flush_delayed_work(&mstat_retire_work);
		queued = false;
		/* the callbacks first: one hands its spans on before it is not queued */
		for_each_node(nid) {
			central = mstat_pool(cls, nid);
			spin_lock_irq(&central->lock);
			queued |= central->rcu_queued;
			spin_unlock_irq(&central->lock);
		}
		queued |= mstat_retire_pending(cls);
	} while (queued);
}

/**
 * mstat_in_limbo - whether a span waits in its pool's limbo
 * @cls: class index
 * @span: its first page, or NULL for any span of the class
 *
 * Return: true if it does.
 */
bool mstat_in_limbo(unsigned int cls, const struct page *span)
{
	struct mstat_central *central;
	bool found = false;
	struct page *page;
	int nid;

	for_each_node(nid) {
		central = mstat_pool(cls, nid);
		spin_lock_irq(&central->lock);
		list_for_each_entry(page, &central->limbo, lru)
			found |= !span || page == span;
		spin_unlock_irq(&central->lock);
	}
	return found;
}

/*
 * Bring @span back from the limbo, remapped to its class and order (mapped
 * before, so it fits the bitmap).  With @relink (an object found out: a
 * copy's late hand-out write landed while it waited, or debug mode's objects
 * to set up again) its list is made from its states, an object out left
 * out (mstat_limbo_rcu()).  Else it keeps the list it went with, every
 * object on it; a write landing after the read is met as on any other span
 * (mstat_span_all_free()).  No page allocator call and nothing that sleeps.
 * Called with the pool's lock held.
 */
static void mstat_span_revive(struct mstat_central *central, struct page *span,
			      unsigned int cls, bool relink)
{
	unsigned int order = mstat_limbo_order(span), head = mstat_limbo_head(span);
	unsigned int nfree = mstat_span_capacity(&mstat_classes[cls], order), nout;

	lockdep_assert_held(&central->lock);
	/* the states before the bits: a stale free finds them valid */
	if (relink)
		nfree = mstat_span_relink(span, cls, order, true, &nout);
	mstat_map_span(span, cls, order);
	mstat_span_set_nfree(span, nfree);
	if (!relink)
		mstat_span_set_head(span, head);
	atomic_long_add(PAGE_SIZE << order, &mstat_span_sys);
	central->nspans++;
	WRITE_ONCE(central->npages, central->npages + (1UL << order));
	if (!nfree) {
		list_move(&span->lru, &central->full);
	} else if (nfree == mstat_span_capacity(&mstat_classes[cls], order)) {
		list_move_tail(&span->lru, &central->partial);
		central->nempty++;
	} else {
		list_move(&span->lru, &central->partial);
	}
}

/*
 * Put the newest span of the limbo with a free object back on the partial
 * list, so that a refill does it under its cache's lock.  Its states are
 * read first: an object out is one a copy's late hand-out write left on
 * its list while it waited ("Hardening"), set at @objs[@want - ++*@nout]
 * for the refill to withdraw, as mstat_central_take() sets the ones it
 * meets, and left out of the list made again.  Called with the pool's lock
 * held.  Returns the span, or NULL if there is none.
 */
static struct page *mstat_limbo_revive(struct mstat_central *central, unsigned int cls,
				       void **objs, unsigned int want, unsigned int *nout)
{
	const struct mstat_class *mc = &mstat_classes[cls];
	unsigned int i;
	struct page *span;
	bool out;
	u32 *states;

	lockdep_assert_held(&central->lock);
	while ((span = list_first_entry_or_null(&central->limbo, struct page, lru))) {
		/* a fallback span waits for the page allocator: it never joins the partial list */
		if (mstat_limbo_order(span) != mc->span_order)
			return NULL;
		/* read, not claimed: only a state found out makes the list again */
		states = mstat_span_states(span, cls, mc->span_order);
		out = mstat_states_any_out(states, mc->nobjs);
		for (i = 0; out && i < mc->nobjs && *nout < want; i++) {
			if (mstat_state_out(READ_ONCE(states[i])))
				objs[want - ++*nout] = page_address(span) + mc->red_left +
						       i * mc->stride;
		}
		mstat_span_revive(central, span, cls, out || mstat_debug());
		if (mstat_span_nfree(span))
			return span;
	}
	return NULL;
}

/**
 * mstat_central_grow - add a new span to a class's central pool
 * @cls: class index
 * @nid: the node to take its pages from, NUMA_NO_NODE for this CPU's
 * @gfp: the allocating caller's GFP flags; may sleep if they allow it
 * @fbobj: where a fallback span's object goes; NULL for no fallback
 *
 * As SLUB does, a span of the class's order (2 and up) is asked for once,
 * quietly and without __GFP_NOFAIL; failing that, a span of fb_order, the
 * order kmalloc would ask for one such object, with the caller's flags.
 * Its one object is the caller's, set at @fbobj, its state cached, its
 * span full: a fallback span is never on the partial list, and its object
 * never in a per-CPU cache, so that every cached object lies in a span of
 * its class's own order (the fast allocation finds its state from its
 * address alone).  It goes back to its span at free (mstat_central_put()),
 * and the span to the page allocator.  Under fragmentation that costs a
 * span per object: SLUB's fallback slab holds as many as fit.
 *
 * The pages are asked for on @nid (__GFP_THISNODE in @gfp: there only);
 * the span joins the pool of the node they came from, which the page
 * allocator may have had to pick elsewhere.
 *
 * Called with no lock held.
 *
 * Return: the node of the pool the span joined (*@fbobj set to the
 * object, or to NULL if the span joined the pool), or -ENOMEM.
 */
int mstat_central_grow(unsigned int cls, int nid, gfp_t gfp, void **fbobj)
{
	const struct mstat_class *mc = &mstat_classes[cls];
	struct mstat_central *central;
	unsigned int order = mc->span_order;
	struct page *span = NULL;
	unsigned long flags;
	void *obj = NULL;

	if (fbobj)
		*fbobj = NULL;
	gfp &= MSTAT_GFP_SPAN;
	if (order != mc->fb_order) {
		gfp_t quiet = (gfp & ~__GFP_NOFAIL) | __GFP_NOWARN | __GFP_NORETRY;

		/*
		 * Above PAGE_ALLOC_COSTLY_ORDER, as SLUB: no reclaim nor reserves
		 * for a nicety.  Orders 2 and 3 keep one round of reclaim: their
		 * fallback holds one object, which under fragmentation costs a
		 * page or two per object where SLUB's fills a slab.
		 */
		if ((quiet & __GFP_DIRECT_RECLAIM) && order > PAGE_ALLOC_COSTLY_ORDER)
			quiet = (quiet | __GFP_NOMEMALLOC) & ~__GFP_RECLAIM;
		if (!mstat_fail_preferred)
			span = mstat_alloc_span_pages(nid, quiet, order, cls);
		if (!span) {
			if (!fbobj)
				return -ENOMEM;
			order = mc->fb_order;
		}
	}
	if (!span)
		span = mstat_alloc_span_pages(nid, gfp, order, cls);
	if (!span)
		return -ENOMEM;
	mstat_span_init(span, cls, order);
	if (mc->ctor)
		mstat_span_construct(span, cls, order);
	if (order != mc->span_order) {
		/* its one object taken, before a stale free can see the span */
		obj = page_address(span) + mc->red_left;
		mstat_obj_cached(mstat_span_states(span, cls, order), MSTAT_STATE(cls, 0));
		mstat_span_set_head(span, MSTAT_LINK_LAST);
	}
	if (!mstat_map_span(span, cls, order)) {
		if (order != mc->span_order && order)
			set_page_private(nth_page(span, 1), 0);	/* mstat_states_at() */
		__free_pages(span, order);
		return -ENOMEM;
	}
	mstat_span_set_nfree(span, obj ? 0 : mstat_span_capacity(mc, order));
	atomic_long_add(PAGE_SIZE << order, &mstat_span_sys);

	nid = page_to_nid(span);
	central = mstat_pool(cls, nid);
	spin_lock_irqsave(&central->lock, flags);
	if (obj) {
		list_add_tail(&span->lru, &central->full);
		*fbobj = obj;
	} else {
		list_add_tail(&span->lru, &central->partial);
		central->nempty++;
	}
	central->nspans++;
	WRITE_ONCE(central->npages, central->npages + (1UL << order));
	spin_unlock_irqrestore(&central->lock, flags);
	return nid;
}

/*
 * A free object's state no longer links to an object of its span: a
 * client wrote past the end of the span's last object, over the state
 * vector.  The rest of the list cannot be trusted, so the span keeps its
 * remaining free objects out of use for good (it stays on the full list,
 * and is never released).
 */
static void __cold mstat_span_list_broken(struct page *span, unsigned int cls, void *obj)
{
	pr_err_ratelimited("span of class %u bytes: free list broken at %p (its state vector was written to); its remaining free objects are withdrawn\n",
			   mstat_classes[cls].size, obj);
	mstat_count_mistake(MSTAT_CORRUPT_FREE);
}

/*
 * A refill met @obj out (mstat_state_out()) on @span's list, @nfree
 * counted free on it still, @obj among them: a copy of an object two CPUs
 * freed at once went back as the other was handed out
 * (mstat_span_check_free()), or, if @obj is one this walk took already, it
 * was listed twice (its owner freed it before a refill met it out, and the
 * put listed it again; it reads cached now, this refill's).  If every
 * other state still decodes and no more than the count less @obj say free,
 * the list is made again from the states and the walk goes on, @obj to the
 * caller to withdraw (the copy that went on the list); else, or if @obj is
 * one it found out already (the last @nout of @objs' @want), the span's
 * state vector was written to, and the list is cut
 * (mstat_span_list_broken()): no state it cannot trust hands out an
 * object.  Returns whether the list was made again.  Called with the
 * pool's lock held.
 */
static bool mstat_span_take_out(struct page *span, unsigned int cls, void *obj,
				unsigned int nfree, void *const *objs, unsigned int want,
				unsigned int nout)
{
	unsigned int order = mstat_span_order(span), i, link, free = 0;
	unsigned int cap = mstat_span_capacity(&mstat_classes[cls], order);
	u32 *states = mstat_span_states(span, cls, order);

	for (i = want - nout; i < want; i++) {
		if (objs[i] == obj)
			return false;
	}
	for (i = 0; i < cap; i++) {
		u32 st = READ_ONCE(states[i]);

		if (mstat_state_out(st))
			continue;
		link = mstat_state_link(st);
		if (link != MSTAT_LINK_LAST && link > cap)
			return false;
		free++;
	}
	if (!nfree || free > nfree - 1)
		return false;
	mstat_span_relink(span, cls, order, false, &free);
	return true;
}

/**
 * mstat_central_take - move free objects from a central pool to a cache
 * @cls: class index
 * @nid: the node whose pool to take from, NUMA_NO_NODE for this CPU's
 *	(mstat_home_node(): the nearest node with memory)
 * @objs: where to put them
 * @want: how many
 * @nout: set to the number of objects found out on a list, at the end of
 *	@objs (@objs[@want - *@nout] on): the caller counts each as come
 *	into its cache and withdrawn (mstat_span_check_free())
 *
 * Return: how many were moved; 0 if the pool needs to grow.
 */
unsigned int mstat_central_take(unsigned int cls, int nid, void **objs, unsigned int want,
				unsigned int *nout)
{
	const struct mstat_class *mc = &mstat_classes[cls];
	struct mstat_central *central;
	unsigned int nfree, nobjs, link, n = 0, i;
	unsigned long flags;
	struct page *span;
	void *obj, *base;
	u32 *states, st;

	*nout = 0;
#if IS_ENABLED(CONFIG_MSTAT_KUNIT_TEST)
	if (mstat_take_hook)
		mstat_take_hook(cls);
#endif
	central = mstat_pool(cls, nid == NUMA_NO_NODE ? mstat_home_node() : nid);
	/* an empty pool is left to grow without a lock trip; a stale look costs a span */
	if (list_empty(&central->partial) && list_empty(&central->limbo))
		return 0;
	spin_lock_irqsave(&central->lock, flags);
	WRITE_ONCE(central->nops, central->nops + 1);
	/*
	 * A span waiting in the limbo comes back here, only when there is
	 * nothing else to take: more than one span per refill measured slower.
	 */
	while (n + *nout < want && (!list_empty(&central->partial) ||
				    (!n && mstat_limbo_revive(central, cls, objs, want, nout)))) {
		span = list_first_entry(&central->partial, struct page, lru);
		nfree = mstat_span_nfree(span);
		nobjs = mstat_span_nobjs(span, cls);
		if (nfree == nobjs)
			central->nempty--;
		base = page_address(span) + mc->red_left;
		states = mstat_span_states(span, cls, mstat_span_order(span));
		/* walk the links, not the objects: the next object's address is off the chain */
		link = mstat_span_head(span);
		while (n + *nout < want && link != MSTAT_LINK_LAST) {
			u32 *p = &states[link - 1];

			obj = base + (link - 1) * mc->stride;
			st = READ_ONCE(*p);
			link = mstat_state_link(st);
			if (unlikely(mstat_state_out(st)))
				goto out;
			/* a link that does not decode, or a list longer than its count */
			if ((link != MSTAT_LINK_LAST && link > nobjs) || !nfree)
				goto broken;
			/* claimed: a copy's hand-out may write the state at this instant */
			if (unlikely(cmpxchg(p, st, MSTAT_STATE(mstat_state_key_bits(st),
								MSTAT_LINK_CACHED)) != st))
				goto out;
			objs[n++] = obj;
			nfree--;
			continue;
out:
			/*
			 * An object out on the list: the list again from the
			 * states, the object to the caller to withdraw.
			 */
			if (mstat_span_take_out(span, cls, obj, nfree, objs, want, *nout)) {
				objs[want - ++*nout] = obj;
				nfree = mstat_span_nfree(span);
				link = mstat_span_head(span);
				continue;
			}
broken:
			mstat_span_list_broken(span, cls, obj);
			nfree = 0;
			link = MSTAT_LINK_LAST;
			break;
		}
		/*
		 * A list shorter than its count (a link that skips ahead): else the
		 * span would stay first on the partial list with nothing to give.
		 */
		if (link == MSTAT_LINK_LAST && nfree) {
			mstat_span_list_broken(span, cls, NULL);
			nfree = 0;
		}
		mstat_span_set_head(span, link);
		mstat_span_set_nfree(span, nfree);
		if (!nfree)
			list_move(&span->lru, &central->full);
	}
	spin_unlock_irqrestore(&central->lock, flags);
	for (i = 0; i < *nout; i++)
		mstat_report(MSTAT_CORRUPT_FREE, "mstat_central_take", objs[want - 1 - i],
			     _RET_IP_);
	return n;
}

/* The link after @link on a list of @n objects, or 0 past its end or where it breaks. */
static unsigned int mstat_span_next(const u32 *states, unsigned int n, unsigned int link)
{
	u32 st;

	if (!link || link > n)
		return 0;
	st = READ_ONCE(states[link - 1]);
	return mstat_state_out(st) ? 0 : mstat_state_link(st);
}

/*
 * The link of the object @span's list comes back to, if the list loops:
 * one listed twice (mstat_span_all_free()).  Floyd's cycle finding, a few
 * times @count links followed at most; 0 if it ends or breaks first.
 */
static unsigned int mstat_span_loop_entry(struct page *span, const u32 *states, unsigned int n,
					  unsigned int count)
{
	unsigned int head = mstat_span_head(span), slow = head, fast = head;
	unsigned int budget = 2 * count + 2;

	do {
		slow = mstat_span_next(states, n, slow);
		fast = mstat_span_next(states, n, mstat_span_next(states, n, fast));
		if (!slow || !fast || !budget--)
			return 0;
	} while (slow != fast);
	for (slow = head; slow != fast; ) {
		slow = mstat_span_next(states, n, slow);
		fast = mstat_span_next(states, n, fast);
		if (!slow || !fast || !budget--)
			return 0;
	}
	return slow;
}

/*
 * A span whose count says every object is free, checked against its states
 * before it may go back: an object whose state says it is out is one the
 * count missed.  Two caches that both hold a copy of an object two CPUs
 * freed at once each check its state before they hand it out or put it
 * back, but a hand-out's check and write are not one atomic step: when the
 * one hands it out as the other puts it back, the object is on its list and
 * has an owner.  Then the list is made again from the states, the span
 * stays, and the object out the list leads to is set at @out (@room at
 * least 1): the copy that went on the list is withdrawn, as
 * mstat_central_put()'s are.  The list, not the states, says which: an
 * object out that is not on it is its owner's, left alone (the count is
 * high because another was listed twice: mstat_span_all_free()).  The walk
 * stops there (the hand-out's write took the link on) or at the count.  With
 * @relink (a count above the span's objects) the list is made again
 * whatever the states say.  If none out is on the list, the object it
 * loops back to is the one listed twice, its copy withdrawn.  Returns how
 * many were found.  Called with the pool's lock held.
 */
static unsigned int mstat_span_check_free(struct page *span, unsigned int cls, void **out,
					  unsigned int room, bool relink)
{
	const struct mstat_class *mc = &mstat_classes[cls];
	unsigned int order = mstat_span_order(span), n = mstat_span_capacity(mc, order);
	unsigned int link = mstat_span_head(span), steps = mstat_span_nfree(span);
	u32 *states = mstat_span_states(span, cls, order);
	unsigned int found = 0, nout;

	if (likely(!relink && !mstat_states_any_out(states, n)))
		return 0;
	while (room && link != MSTAT_LINK_LAST && link && link <= n && steps--) {
		u32 st = READ_ONCE(states[link - 1]);

		if (mstat_state_out(st)) {
			out[found++] = page_address(span) + mc->red_left + (link - 1) * mc->stride;
			break;
		}
		link = mstat_state_link(st);
	}
	/*
	 * None out on it, yet the count says all free (an object out is not on
	 * the list) or more: the object the list loops back to, listed twice.
	 */
	if (!found && room) {
		link = mstat_span_loop_entry(span, states, n, mstat_span_nfree(span));
		if (link)
			out[found++] = page_address(span) + mc->red_left + (link - 1) * mc->stride;
	}
	mstat_span_relink(span, cls, order, false, &nout);
	return found;
}

/*
 * A span whose count says every object is free: checked against its states
 * (mstat_span_check_free()), then kept as the pool's empty span or released.
 * A count above the span's objects is an object listed twice: a copy's late
 * hand-out write left it on the list after the last such check, and its
 * owner's free listed it again, its first place in the list pointing on
 * to it.  The list is then made again from the states, and a span that
 * was counted wholly free before this run (@added objects) stays counted
 * once.  Out of line, so that mstat_central_put()'s loop over the objects
 * stays small: that measured 3-4% on batch-random (UML A/B, 3 placements).
 */
static noinline unsigned int mstat_span_all_free(struct mstat_central *central,
						 struct page *span, unsigned int cls,
						 unsigned int added, void **out, unsigned int room)
{
	unsigned int nobjs = mstat_span_nobjs(span, cls), nfree = mstat_span_nfree(span);
	bool was_empty = nfree - added >= nobjs;
	unsigned int found = mstat_span_check_free(span, cls, out, room, nfree != nobjs);

	if (unlikely(mstat_span_nfree(span) != nobjs)) {
		if (was_empty)
			central->nempty--;
		if (!mstat_span_nfree(span))
			list_move(&span->lru, &central->full);
		return found;
	}
	if (unlikely(was_empty))
		return found;
	/* a fallback span goes back at once: see mstat_central_grow() */
	if (central->nempty >= MSTAT_EMPTY_RESERVE ||
	    mstat_span_order(span) != mstat_classes[cls].span_order) {
		mstat_span_release(central, span, cls);
	} else {
		list_move_tail(&span->lru, &central->partial);
		central->nempty++;
	}
	return found;
}

/*
 * Close a run of mstat_central_put(): @added objects went on @span's free
 * list, now headed by the object of link @head (its index + 1).  Objects a
 * count of all free missed are set at @out, @room at most
 * (mstat_span_check_free()); returns how many.
 */
static unsigned int mstat_span_put_done(struct mstat_central *central, struct page *span,
					unsigned int cls, unsigned int head, unsigned int added,
					void **out, unsigned int room)
{
	unsigned int nfree;

	if (!added)
		return 0;
	mstat_span_set_head(span, head);
	nfree = mstat_span_nfree(span) + added;
	mstat_span_set_nfree(span, nfree);
	if (nfree == added)
		list_move(&span->lru, &central->partial);
	if (likely(nfree < mstat_span_nobjs(span, cls)))
		return 0;
	return mstat_span_all_free(central, span, cls, added, out, room);
}

/**
 * mstat_central_put - return free objects to their spans
 * @cls: class index
 * @objs: the objects, all of class @cls, from a per-CPU cache; the
 *	withdrawn ones are moved to its front
 * @n: how many
 * @order: the order of their spans: the class's own for a cache's objects,
 *	as the caller decoded it for a fallback span's one object (the
 *	object's page is not read again)
 *
 * Each object goes back to the pool of its span's node, whichever CPU
 * frees it.  An object whose state no longer says cached is not put back: it is on
 * its span's list already (two CPUs freed it at once and the other copy
 * got here first), or it was handed out from the other copy.  It is
 * reported and *withdrawn*; the caller counts it as allocated (to nobody),
 * as mstat_alloc_check() does, so the counters stay true.  A span whose
 * objects are all free again goes back to the page allocator once the pool
 * already keeps MSTAT_EMPTY_RESERVE such spans.
 *
 * Return: how many objects were withdrawn.
 */
unsigned int mstat_central_put(unsigned int cls, void **objs, unsigned int n,
			       unsigned int order)
{
	const struct mstat_class *mc = &mstat_classes[cls];
	unsigned int i, idx, head = 0, added, nbad = 0;
	unsigned long want = (unsigned long)order << MSTAT_INFO_ORDER_SHIFT |
			     (unsigned long)cls << MSTAT_INFO_SHIFT | MSTAT_INFO_TAG |
			     MSTAT_INFO_SPAN;
	struct mstat_central *central;
	unsigned long flags, base = 0;
	u32 *states = NULL, *p, st;
	struct page *span, *s;
	bool live = false;

	/* a run of objects of one node's spans per lock trip */
	for (i = 0; i < n;) {
		/* the object's page is mstat's: its node never changes */
		central = mstat_pool(cls, page_to_nid(mstat_obj_span(objs[i], order)));
		spin_lock_irqsave(&central->lock, flags);
		WRITE_ONCE(central->nops, central->nops + 1);
		span = NULL;
		added = 0;
		/* objects of one span follow each other: its descriptor is written once per run */
		for (; i < n; i++) {
			s = mstat_obj_span(objs[i], order);
			if (s != span) {
				nbad += mstat_span_put_done(central, span, cls, head, added,
							    objs + nbad, i - nbad);
				span = NULL;
				added = 0;
				if (mstat_pool(cls, page_to_nid(s)) != central)
					break;
				span = s;
				/*
				 * A span released meanwhile takes nothing back: withdrawn.
				 * Its private, not the bitmap: its pages are mstat's until
				 * every online CPU purged its caches of them under their
				 * locks (mstat_retire_fn()), a CPU gone before that having
				 * drained its own, and the unload drains with the purge
				 * kept out (mstat_purge_block()).
				 */
				live = (page_private(span) & MSTAT_INFO_FIXED) == want;
				/* the span is aligned to its size: no page_address() */
				base = (unsigned long)kasan_reset_tag(objs[i]) &
				       ~((PAGE_SIZE << order) - 1);
				states = mstat_states_at(base, mc, order);
				head = live ? mstat_span_head(span) : 0;
			}
			idx = mstat_obj_index(objs[i], base, mc);
			p = states + idx;
			st = live ? READ_ONCE(*p) : 0;
#if IS_ENABLED(CONFIG_MSTAT_KUNIT_TEST)
			if (mstat_put_hook)
				mstat_put_hook(objs[i]);
#endif
			/*
			 * Claimed from the cached state read: a second copy in another
			 * cache may be handing it out at this instant (see
			 * mstat_span_check_free()).
			 */
			if (unlikely(!live || !mstat_state_is_cached(st) ||
				     cmpxchg(p, st, MSTAT_STATE(mstat_state_key_bits(st),
								head)) != st)) {
				objs[nbad++] = objs[i];
				continue;
			}
			head = idx + 1;
			added++;
		}
		nbad += mstat_span_put_done(central, span, cls, head, added, objs + nbad, i - nbad);
		spin_unlock_irqrestore(&central->lock, flags);
	}

	for (i = 0; i < nbad; i++)
		mstat_report(MSTAT_CORRUPT_FREE, "mstat_central_put", objs[i], _RET_IP_);
	return nbad;
}

/**
 * mstat_central_ops - takes and puts a pool has seen
 * @cls: class index
 * @nid: the pool's node
 *
 * Return: the count; idle reclaim compares two.
 */
unsigned long mstat_central_ops(unsigned int cls, int nid)
{
	return READ_ONCE(mstat_pool(cls, nid)->nops);
}

/* Release a pool's wholly free spans beyond @keep. */
static unsigned long mstat_pool_shrink(struct mstat_central *central, unsigned int cls,
				       unsigned int keep)
{
	unsigned long flags, bytes = 0;
	struct page *span, *tmp;

	spin_lock_irqsave(&central->lock, flags);
	list_for_each_entry_safe_reverse(span, tmp, &central->partial, lru) {
		if (central->nempty <= keep)
			break;
		if (mstat_span_nfree(span) != mstat_span_nobjs(span, cls))
			continue;
		central->nempty--;
		bytes += PAGE_SIZE << mstat_span_order(span);
		mstat_span_release(central, span, cls);
	}
	spin_unlock_irqrestore(&central->lock, flags);
	return bytes;
}

/**
 * mstat_central_shrink - return a class's wholly free spans to the page allocator
 * @cls: class index
 * @nid: the node whose pool to shrink, NUMA_NO_NODE for every node's
 * @keep: wholly free spans to keep in each pool
 *
 * Return: bytes of the spans returned.
 */
unsigned long mstat_central_shrink(unsigned int cls, int nid, unsigned int keep)
{
	unsigned long bytes = 0;
	int n;

	if (nid != NUMA_NO_NODE)
		return mstat_pool_shrink(mstat_pool(cls, nid), cls, keep);
	for_each_node(n)
		bytes += mstat_pool_shrink(mstat_pool(cls, n), cls, keep);
	return bytes;
}

/* Free objects in wholly free spans, in one node's pools or every node's. */
unsigned long mstat_central_empty_objs(int nid)
{
	struct mstat_central *central;
	unsigned long n = 0;
	unsigned int cls;
	int node;

	for_each_node(node) {
		for (cls = 0; cls < MSTAT_NR_CLASSES; cls++) {
			central = mstat_pool(cls, node);
			if (nid == NUMA_NO_NODE || nid == node)
				n += READ_ONCE(central->nempty) * mstat_classes[cls].nobjs;
		}
	}
	return n;
}

/**
 * mstat_walk_spans - call @fn on every span of a class, pool lock held
 * @cls: class index
 * @fn: called with each span's first page; must not sleep
 * @arg: passed to @fn
 */
void mstat_walk_spans(unsigned int cls, void (*fn)(struct page *, void *), void *arg)
{
	struct mstat_central *central;
	unsigned long flags;
	struct page *span;
	int nid;

	for_each_node(nid) {
		central = mstat_pool(cls, nid);
		spin_lock_irqsave(&central->lock, flags);
		list_for_each_entry(span, &central->partial, lru)
			fn(span, arg);
		list_for_each_entry(span, &central->full, lru)
			fn(span, arg);
		spin_unlock_irqrestore(&central->lock, flags);
	}
}

/**
 * mstat_pools_release - give back every wholly free span, at unload
 *
 * A span with a live object (or a withdrawn one) stays allocated.
 *
 * Return: pages left allocated in spans.
 */
unsigned long mstat_pools_release(void)
{
	struct mstat_central *central;
	struct page *span, *tmp;
	unsigned long kept = 0;
	unsigned int cls;
	LIST_HEAD(live);
	int nid;

	for_each_node(nid) {
		for (cls = 0; cls < MSTAT_NR_CLASSES; cls++) {
			central = mstat_pool(cls, nid);
			spin_lock_irq(&central->lock);
			list_splice_init(&central->full, &live);
			list_for_each_entry_safe(span, tmp, &central->partial, lru) {
				if (mstat_span_nfree(span) == mstat_span_nobjs(span, cls))
					mstat_span_release(central, span, cls);
				else
					list_move(&span->lru, &live);
			}
			spin_unlock_irq(&central->lock);
			list_for_each_entry_safe(span, tmp, &live, lru) {
				list_del_init(&span->lru);
				kept += 1UL << mstat_span_order(span);
			}
		}
	}
	return kept;
}

/**
 * mstat_pool_node_stats - a node's pools, for /proc/mstat_nodes
 * @nid: the node
 * @pages: set to the pages of its spans
 * @partial: set to its spans with free objects
 */
void mstat_pool_node_stats(int nid, unsigned long *pages, unsigned long *partial)
{
	struct mstat_central *central;
	struct list_head *pos;
	unsigned int cls;

	*pages = *partial = 0;
	for (cls = 0; cls < MSTAT_NR_CLASSES; cls++) {
		central = mstat_pool(cls, nid);
		spin_lock_irq(&central->lock);
		*pages += central->npages;
		list_for_each(pos, &central->partial)
			(*partial)++;
		spin_unlock_irq(&central->lock);
	}
}

/**
 * mstat_set_homes - find each node's nearest node with memory
 *
 * At load, and from the memory notifier when memory comes or goes
 * (memory hotplug is serialised, so there is one writer at a time).
 */
void mstat_set_homes(void)
{
	int nid, m, best;

	for_each_node(nid) {
		best = node_state(nid, N_MEMORY) ? nid : NUMA_NO_NODE;
		if (best == NUMA_NO_NODE) {
			for_each_node_state(m, N_MEMORY) {
				if (best == NUMA_NO_NODE ||
				    node_distance(nid, m) < node_distance(nid, best))
					best = m;
			}
		}
		WRITE_ONCE(mstat_homes[nid], best == NUMA_NO_NODE ? first_memory_node : best);
	}
}

/**
 * mstat_pools_init - allocate and set up a pool per class per possible node
 *
 * Return: 0 or -ENOMEM.
 */
int mstat_pools_init(void)
{
	struct mstat_central *central;
	unsigned int cls;
	int nid;

	mstat_homes = kcalloc(nr_node_ids, sizeof(*mstat_homes), GFP_KERNEL);
	mstat_pools = kcalloc(nr_node_ids, sizeof(*mstat_pools), GFP_KERNEL);
	mstat_purge_works = alloc_percpu(struct work_struct);
	if (!mstat_pools || !mstat_homes || !mstat_purge_works) {
		mstat_pools_exit();
		return -ENOMEM;
	}
	mstat_set_homes();
	for_each_node(nid) {
		/* on the node it serves, where it has memory */
		mstat_pools[nid] = kcalloc_node(MSTAT_NR_CLASSES, sizeof(*central), GFP_KERNEL,
						node_state(nid, N_MEMORY) ? nid : NUMA_NO_NODE);
		if (!mstat_pools[nid]) {
			mstat_pools_exit();
			return -ENOMEM;
		}
	}
	for_each_node(nid) {
		for (cls = 0; cls < MSTAT_NR_CLASSES; cls++) {
			central = mstat_pool(cls, nid);
			spin_lock_init(&central->lock);
			INIT_LIST_HEAD(&central->partial);
			INIT_LIST_HEAD(&central->full);
			INIT_LIST_HEAD(&central->limbo);
			central->cls = cls;
		}
	}
	return 0;
}

/**
 * mstat_pools_exit - free the pools, after mstat_limbo_drain()
 */
void mstat_pools_exit(void)
{
	int nid;

	/* mstat_limbo_drain() has run: nothing is retired, nothing queued */
	cancel_delayed_work_sync(&mstat_retire_work);
	WARN_ON(!list_empty(&mstat_retired));
	free_percpu(mstat_purge_works);
	mstat_purge_works = NULL;

	kfree(mstat_homes);
	mstat_homes = NULL;
	if (!mstat_pools)
		return;
	for_each_node(nid)
		kfree(mstat_pools[nid]);
	kfree(mstat_pools);
	mstat_pools = NULL;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * mstat core: module life, size classes, central pools, spans of pages,
 * large objects and CPU hotplug.
 *
 * Every page of a span in which an object starts, and the first page of
 * every large object, has its bit set in mstat_owned, a bitmap over all
 * page frames, and its page->private telling the class (or the large
 * object's size).  A span needs no descriptor of its own: the struct page
 * of its first page is it (see mstat_internal.h).  mstat_free() checks an
 * object from its address alone, without a per-object header: one bit,
 * then page->private.  A pointer whose page's bit is clear is known not to
 * be mstat's, and mstat never reads the struct page of a page it does not
 * own.  Spans and large objects are not compound pages, so that every
 * page's fields are mstat's to use.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/memory.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "mstat_internal.h"
#ifndef MSTAT_NO_TRACE
#define CREATE_TRACE_POINTS
#include "mstat_trace.h"
#endif

struct mstat_class mstat_classes[MSTAT_NR_CLASSES] __read_mostly;
static struct mstat_central mstat_central[MSTAT_NR_CLASSES];

/* One bit per page frame below mstat_owned_pfns: see the top of this file. */
unsigned long *mstat_owned __read_mostly;
unsigned long mstat_owned_pfns __read_mostly;
#ifndef CONFIG_X86_64
#ifndef CONFIG_UML
/* The linear map is one offset: page frame = this + (address - PAGE_OFFSET) / PAGE_SIZE. */
unsigned long mstat_pfn_offset __read_mostly;
#endif
#endif
u8 mstat_size_class[MSTAT_MAX_SMALL / MSTAT_MIN_SIZE] __read_mostly;
/* Bitmaps of memory onlined since: see mstat_owned_word(). */
static struct mstat_extent mstat_extents[MSTAT_MAX_EXTENTS];
static unsigned int mstat_nr_extents;
static DEFINE_MUTEX(mstat_extent_lock);

/*
 * Bytes of span pages held from the page allocator: changes on the slow
 * path only.  Large objects are not in it: their bytes are counted per CPU
 * (large_alloc_bytes - large_free_bytes), so that their path has no shared
 * atomic.
 */
static atomic_long_t mstat_span_sys = ATOMIC_LONG_INIT(0);
/* The client mistakes mstat refused, by kind (enum mstat_mistake). */
static atomic_long_t mstat_mistakes[MSTAT_NR_MISTAKES];

/* donations and reclaim: bound, WQ_MEM_RECLAIM so that reclaim makes progress */
struct workqueue_struct *mstat_wq;

static int mstat_hp_state;

#if IS_ENABLED(CONFIG_KASAN_GENERIC)
/* kasan_poison(), where the kernel exports it: mstat_kasan_free() */
typeof(kasan_poison) *mstat_kasan_poison __ro_after_init;

static void mstat_kasan_get(void)
{
	mstat_kasan_poison = symbol_get(kasan_poison);
}

static void mstat_kasan_put(void)
{
	if (mstat_kasan_poison)
		symbol_put(kasan_poison);
}
#else
static void mstat_kasan_get(void) { }
static void mstat_kasan_put(void) { }
#endif

/* The tests set it to act as if no span of a class's own order were to be had. */
bool mstat_fail_preferred;
#if IS_ENABLED(CONFIG_MSTAT_KUNIT_TEST)
/* The tests see every page allocator call mstat makes for a span. */
void (*mstat_pages_hook)(gfp_t gfp, unsigned int order, unsigned int cls);
/* The torture's page allocation faults: set at boot only, read-only after. */
static unsigned int mstat_fail_span_nth;
module_param_named(fail_span_nth, mstat_fail_span_nth, uint, 0444);
static atomic_t mstat_span_calls;
#endif

static struct page *mstat_alloc_span_pages(gfp_t gfp, unsigned int order, unsigned int cls)
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
	return alloc_pages(gfp, order);
}

static unsigned int mstat_class_size(unsigned int cls)
{
	unsigned int group, lower;

	if (cls < MSTAT_NR_LINEAR)
		return (cls + 1) * MSTAT_MIN_SIZE;
	group = (cls - MSTAT_NR_LINEAR) >> MSTAT_STEPS_SHIFT;
	lower = MSTAT_LINEAR_MAX << group;
	return lower + ((cls - MSTAT_NR_LINEAR) % (1U << MSTAT_STEPS_SHIFT) + 1) *
		       (lower >> MSTAT_STEPS_SHIFT);
}

/* Tail left over in a span of @order, in 1/1024ths of the span; @size is the stride. */
static unsigned long mstat_span_waste(unsigned int size, unsigned int order)
{
	unsigned long span = PAGE_SIZE << order;

	return span < size ? ULONG_MAX : (span % size) * 1024 / span;
}

/* A span of @order holds at least @min objects of @size, with at most 1/8 left over. */
static bool mstat_span_fits(unsigned int size, unsigned int order, unsigned int min)
{
	return (PAGE_SIZE << order) / size >= min && mstat_span_waste(size, order) <= 1024 / 8;
}

/*
 * Spans are sized much as SLUB sizes its slabs, so that a busy class goes
 * to the page allocator once per MSTAT_SPAN_OBJS objects, not once per
 * four: the smallest order up to PAGE_ALLOC_COSTLY_ORDER (above which the
 * page allocator may have to compact) that holds MSTAT_SPAN_OBJS objects
 * with at most 1/8 of it left over; failing that (2 to 4 KiB, where the
 * state vector takes a span's sixteenth slot), the smallest order up to
 * one above that holds one object fewer: order 3 for 2 KiB, 4 from 2.25
 * to 4 KiB (so a refill there moves 15 or more, not 7 to 14); failing
 * that (above 4 KiB), the largest order up to PAGE_ALLOC_COSTLY_ORDER that
 * holds four; failing that (above 8 KiB), the smallest order up to
 * MSTAT_MAX_SPAN_ORDER that holds four; failing that
 * (the 22 and 26 KiB classes), the order up to MSTAT_MAX_SPAN_ORDER that
 * wastes the least.
 */
static unsigned int mstat_pick_span_order(unsigned int size)
{
	unsigned int order, best = 0;

	for (order = 0; order <= PAGE_ALLOC_COSTLY_ORDER; order++) {
		if (mstat_span_fits(size, order, MSTAT_SPAN_OBJS))
			return order;
	}
	for (order = 0; order <= PAGE_ALLOC_COSTLY_ORDER + 1; order++) {
		if (mstat_span_fits(size, order, MSTAT_SPAN_OBJS - 1))
			return order;
	}
	for (order = PAGE_ALLOC_COSTLY_ORDER + 1; order-- > 0; ) {
		if (mstat_span_fits(size, order, 4))
			return order;
	}
	for (order = PAGE_ALLOC_COSTLY_ORDER + 1; order <= MSTAT_MAX_SPAN_ORDER; order++) {
		if (mstat_span_fits(size, order, 4))
			return order;
	}
	for (order = 1; order <= MSTAT_MAX_SPAN_ORDER; order++) {
		if (mstat_span_waste(size, order) < mstat_span_waste(size, best))
			best = order;
	}
	return best;
}

static bool mstat_object_starts(const struct mstat_class *mc, unsigned int order,
				unsigned int i);

static void mstat_classes_init(void)
{
	unsigned int cls, i;
	u64 e;

	for (i = 0; i < ARRAY_SIZE(mstat_size_class); i++)
		mstat_size_class[i] = mstat_size_to_class((i + 1) * MSTAT_MIN_SIZE);

	for (cls = 0; cls < MSTAT_NR_CLASSES; cls++) {
		struct mstat_class *mc = &mstat_classes[cls];

		mc->size = mstat_class_size(cls);
		mc->stride = mstat_debug_stride(mc->size);
		/* each object takes its slot and its u32 in the span's state vector */
		mc->span_order = mstat_pick_span_order(mc->stride + sizeof(u32));
		mc->nobjs = (PAGE_SIZE << mc->span_order) / (mc->stride + sizeof(u32));
		mc->states_off = mc->nobjs * mc->stride;
		/*
		 * From order 2 (where the page allocator refuses __GFP_NOFAIL and
		 * SLUB asks quietly first) a class may fall back on the least order
		 * that holds one object: with its state at its end at order 0,
		 * in its second struct page from order 1 (mstat_states_at()), so
		 * that it is kmalloc's order for the size.
		 */
		mc->fb_order = mc->span_order;
		i = get_order(mc->stride + sizeof(u32));
		if (i)
			i = max_t(unsigned int, get_order(mc->stride), 1);
		if (mc->span_order >= 2 && i < mc->span_order)
			mc->fb_order = i;
		/* a fallback span is the caller's one object: mstat_central_grow() */
		mc->fb_nobjs = mc->fb_order == mc->span_order ? mc->nobjs : 1;
		mc->fb_states_off = mc->fb_nobjs * mc->stride;
		mc->index_mul = DIV_ROUND_UP_ULL(1ULL << 32, mc->stride);
		mc->span_mask = (PAGE_SIZE << mc->span_order) - 1;
		mc->starts = 0;
		mc->fb_starts = 0;
		for (i = 0; i < 1U << mc->span_order; i++) {
			if (mstat_object_starts(mc, mc->span_order, i))
				mc->starts |= BIT(i);
		}
		for (i = 0; i < 1U << mc->fb_order; i++) {
			if (mstat_object_starts(mc, mc->fb_order, i))
				mc->fb_starts |= BIT(i);
		}
		/*
		 * With e = index_mul * stride - 2^32: the fast free's index,
		 * offset * index_mul >> 32, is exact for every offset in the
		 * span if offset * e < 2^32; the low half of the product is
		 * below index_mul for the multiples of the stride and only for
		 * them if (offset / stride + 1) * e < index_mul.  Both hold for
		 * every class with 4 KiB pages; where not, the fast free takes
		 * none of the class's objects.
		 */
		e = (u64)mc->index_mul * mc->stride - BIT_ULL(32);
		if ((u64)(mc->span_mask + 1) * e < BIT_ULL(32) &&
		    ((u64)mc->span_mask / mc->stride + 1) * e < mc->index_mul)
			mc->fast_info = (unsigned long)mc->span_order << MSTAT_INFO_ORDER_SHIFT |
					(unsigned long)cls << MSTAT_INFO_SHIFT | MSTAT_INFO_TAG |
					MSTAT_INFO_SPAN;
		/*
		 * Move about 64 KiB per batch (16 objects at most), 128 KiB from 8 KiB
		 * up (4 objects at least); cache two batches at most.
		 */
		mc->batch = clamp_t(unsigned int, (mc->size < SZ_8K ? SZ_64K : SZ_128K) / mc->size,
				    4, MSTAT_CACHE_SLOTS / 2);
		mc->cache_cap = 2 * mc->batch;
		mc->stride_recip = reciprocal_value(mc->stride);
	}
}

/*
 * Set or clear bits of one word of the bitmap.  Other CPUs change other
 * bits of the same word meanwhile: atomically.  A span is a block of the
 * page allocator aligned to its size, of at most 2^MSTAT_MAX_SPAN_ORDER
 * pages, so all of its bits lie in the word of its first page frame.
 */
static void mstat_owned_or(unsigned long pfn, unsigned long mask)
{
	BUILD_BUG_ON((1 << MSTAT_MAX_SPAN_ORDER) > BITS_PER_LONG);
	/* release: a CPU that sees a bit also sees the struct page fields it guards */
	smp_mb__before_atomic();
	atomic_long_or(mask, (atomic_long_t *)mstat_owned_word(pfn));
}

static void mstat_owned_andnot(unsigned long pfn, unsigned long mask)
{
	atomic_long_andnot(mask, (atomic_long_t *)mstat_owned_word(pfn));
}

/* Memory onlined after load, beyond the bitmap sized then. */
unsigned long *mstat_ext_word(unsigned long pfn)
{
	unsigned int i, n;

	/* an extent is filled in before the count that shows it: mstat_add_extent() */
	n = smp_load_acquire(&mstat_nr_extents);

	for (i = 0; i < n; i++) {
		const struct mstat_extent *e = &mstat_extents[i];

		if (pfn >= e->start_pfn && pfn < e->end_pfn)
			return &e->bits[BIT_WORD(pfn - e->start_pfn)];
	}
	return NULL;
}

/**
 * mstat_region - one bitmap of owned page frames
 * @i: 0 for the bitmap sized at load, then each extent
 * @start: set to its first page frame
 * @end: set to the page frame after its last
 * @bits: set to the bitmap, bit 0 for @start
 *
 * Return: false past the last one.
 */
bool mstat_region(unsigned int i, unsigned long *start, unsigned long *end,
		  unsigned long **bits)
{
	const struct mstat_extent *e;

	if (!i) {
		*start = 0;
		*end = mstat_owned_pfns;
		*bits = mstat_owned;
		return true;
	}
	/* as in mstat_ext_word() */
	if (i > smp_load_acquire(&mstat_nr_extents))
		return false;
	e = &mstat_extents[i - 1];
	*start = e->start_pfn;
	*end = e->end_pfn;
	*bits = e->bits;
	return true;
}

/**
 * mstat_add_extent - track page frames onlined after load
 * @start_pfn: first page frame
 * @end_pfn: the page frame after the last
 *
 * Context: process context; called before the memory reaches the page
 * allocator (MEM_GOING_ONLINE), so no span can lie there yet.
 *
 * Return: 0, or -ENOMEM (the range stays unusable to mstat).
 */
int mstat_add_extent(unsigned long start_pfn, unsigned long end_pfn)
{
	struct mstat_extent *e;
	unsigned int i;
	int ret = 0;

	start_pfn = max(round_down(start_pfn, BITS_PER_LONG), mstat_owned_pfns);
	end_pfn = round_up(end_pfn, BITS_PER_LONG);
	if (start_pfn >= end_pfn)
		return 0;
	mutex_lock(&mstat_extent_lock);
	for (i = 0; i < mstat_nr_extents; i++) {
		if (start_pfn >= mstat_extents[i].start_pfn && end_pfn <= mstat_extents[i].end_pfn)
			goto unlock;	/* onlined again */
	}
	ret = -ENOMEM;
	if (mstat_nr_extents == MSTAT_MAX_EXTENTS) {
		pr_warn_once("more than %d ranges of memory onlined since load: the rest is not used\n",
			     MSTAT_MAX_EXTENTS);
		goto unlock;
	}
	e = &mstat_extents[mstat_nr_extents];
	e->bits = kvcalloc(BITS_TO_LONGS(end_pfn - start_pfn), sizeof(long), GFP_KERNEL);
	if (!e->bits)
		goto unlock;
	e->start_pfn = start_pfn;
	e->end_pfn = end_pfn;
	/* readers take the count, then the extent: see mstat_ext_word() */
	smp_store_release(&mstat_nr_extents, mstat_nr_extents + 1);
	pr_info("tracking page frames %lu-%lu, onlined since load\n", start_pfn, end_pfn - 1);
	ret = 0;
unlock:
	mutex_unlock(&mstat_extent_lock);
	return ret;
}

static int mstat_memory_callback(struct notifier_block *nb, unsigned long action, void *arg)
{
	const struct memory_notify *mn = arg;

	if (action == MEM_GOING_ONLINE)
		mstat_add_extent(mn->start_pfn, mn->start_pfn + mn->nr_pages);
	return NOTIFY_OK;
}

static struct notifier_block mstat_memory_nb = {
	.notifier_call = mstat_memory_callback,
};

/*
 * Page frames beyond every bitmap (an extent that could not be had): mstat
 * does not use them (the allocation that got them fails).
 */
static bool mstat_pfns_fit(unsigned long pfn, unsigned long npages)
{
	if (mstat_owned_word(pfn) && mstat_owned_word(pfn + npages - 1))
		return true;
	pr_warn_once("page frame %lu is beyond the memory mstat tracks\n", pfn);
	return false;
}

/* Objects in a span of class @mc and order @order. */
static unsigned int mstat_span_capacity(const struct mstat_class *mc, unsigned int order)
{
	return order == mc->span_order ? mc->nobjs : mc->fb_nobjs;
}

/* Whether an object (what a client is handed) starts in page @i of a span. */
static bool mstat_object_starts(const struct mstat_class *mc, unsigned int order,
				unsigned int i)
{
	unsigned long page = (unsigned long)i << PAGE_SHIFT, first = 0;

	if (page > mstat_red_left)
		first = DIV_ROUND_UP(page - mstat_red_left, mc->stride);
	return first < mstat_span_capacity(mc, order) &&
	       mstat_red_left + first * mc->stride < page + PAGE_SIZE;
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

/* The span of @order an object, known to be mstat's, belongs to: aligned to its size. */
static struct page *mstat_obj_span(const void *obj, unsigned int order)
{
	unsigned long pfn = PHYS_PFN(__pa(kasan_reset_tag(obj)));

	return pfn_to_page(pfn & ~((1UL << order) - 1));
}

/* The pages of a span of class @mc and order @order in which objects start. */
static unsigned long mstat_span_starts(const struct mstat_class *mc, unsigned int order)
{
	return order == mc->span_order ? mc->starts : mc->fb_starts;
}

/* Mark the pages of a span of @cls and @order in which objects start. */
static bool mstat_map_span(struct page *span, unsigned int cls, unsigned int order)
{
	unsigned long starts = mstat_span_starts(&mstat_classes[cls], order);
	unsigned long pfn = page_to_pfn(span);
	unsigned long info = (unsigned long)order << MSTAT_INFO_ORDER_SHIFT |
			     (unsigned long)cls << MSTAT_INFO_SHIFT | MSTAT_INFO_TAG |
			     MSTAT_INFO_SPAN;
	unsigned int i;

	if (!mstat_pfns_fit(pfn, 1UL << order))
		return false;
	for (i = 0; i < 1U << order; i++) {
		if (starts & BIT(i))
			set_page_private(span + i, info);
	}
	/* a span is aligned to its size, at most a word of the bitmap */
	mstat_owned_or(pfn, starts << (pfn % BITS_PER_LONG));
	return true;
}

static void mstat_unmap_span(struct page *span, unsigned int cls, unsigned int order)
{
	unsigned long starts = mstat_span_starts(&mstat_classes[cls], order);
	unsigned long pfn = page_to_pfn(span);
	unsigned int i, npages = 1U << order;

	mstat_owned_andnot(pfn, (npages == BITS_PER_LONG ? ~0UL : BIT(npages) - 1) <<
				(pfn % BITS_PER_LONG));
	for (i = 0; i < npages; i++) {
		if (starts & BIT(i))
			set_page_private(span + i, 0);
	}
	span->index = 0;
}

/* Generations of large objects: mstat_large_claim(). */
static atomic_long_t mstat_large_gen = ATOMIC_LONG_INIT(0);

static bool mstat_map_large(struct page *page, unsigned long npages)
{
	unsigned long pfn = page_to_pfn(page);

	if (!mstat_pfns_fit(pfn, 1))
		return false;
	set_page_private(page, (unsigned long)atomic_long_inc_return(&mstat_large_gen) <<
			 MSTAT_INFO_GEN_SHIFT | npages << MSTAT_INFO_PAGES_SHIFT |
			 MSTAT_INFO_TAG | MSTAT_INFO_LARGE);
	mstat_owned_or(pfn, BIT_MASK(pfn));
	return true;
}

static const char *const mstat_mistake_text[MSTAT_NR_MISTAKES] = {
	[MSTAT_BAD_POINTER] =
		"not an object mstat allocated, or its memory went back to the page allocator",
	[MSTAT_DOUBLE_FREE] = "double free: the object is already free",
	[MSTAT_CORRUPT_FREE] =
		"object freed twice at once, or (debug mode) written to after its free; withdrawn",
	[MSTAT_REDZONE] = "red zone around the object written to",
};

/**
 * mstat_report - count and report a client's mistake
 * @what: the kind of mistake
 * @fn: the API function that found it
 * @ptr: the pointer at fault
 * @caller: return address of @fn's caller, or 0 if unknown
 *
 * The first mistake of each kind is a WARN (with a stack trace), each
 * later one a rate-limited line.  In debug mode the object's allocation
 * and free sites follow.
 */
void __cold mstat_report(enum mstat_mistake what, const char *fn, const void *ptr,
			 unsigned long caller)
{
	static unsigned long warned;

	atomic_long_inc(&mstat_mistakes[what]);
	if (!test_and_set_bit(what, &warned))
		WARN(1, "mstat: %s(%p) from %pS: %s\n", fn, ptr, (void *)caller,
		     mstat_mistake_text[what]);
	else
		pr_err_ratelimited("%s(%p) from %pS: %s\n", fn, ptr, (void *)caller,
				   mstat_mistake_text[what]);
	if (mstat_debug() && what != MSTAT_BAD_POINTER)
		mstat_debug_print_object(ptr);
}

u64 mstat_span_bytes(void)
{
	return atomic_long_read(&mstat_span_sys);
}

u64 mstat_nmistakes(enum mstat_mistake what)
{
	return atomic_long_read(&mstat_mistakes[what]);
}

/* Link the objects lowest address first: refills hand out runs. */
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

/* Before the span is marked mstat's: a stale free finds its states valid. */
static void mstat_span_init(struct page *span, unsigned int cls, unsigned int order)
{
	const struct mstat_class *mc = &mstat_classes[cls];
	unsigned int i, n = mstat_span_capacity(mc, order);
	void *base = page_address(span) + mstat_red_left;
	u32 *states = mstat_span_states(span, cls, order);

	if (order != mc->span_order && order)
		set_page_private(nth_page(span, 1), 0);	/* the state's word: mstat_states_at() */
	/* what is withdrawn before it was ever handed out counts to no site: key cls */
	for (i = 0; i < n; i++) {
		/* a span back from the limbo: its objects were poisoned at their frees */
		mstat_kasan_live(base + i * mc->stride, mc->size);
		if (mstat_debug())
			mstat_debug_init_obj(base + i * mc->stride, mc->size);
		mstat_kasan_free(base + i * mc->stride, mc->size);
		states[i] = MSTAT_STATE(cls, i + 1 < n ? i + 2 : MSTAT_LINK_LAST);
	}
	mstat_span_set_head(span, 1);
}

/* Give back the spans of a pool's limbo whose grace period is over. */
static void mstat_limbo_rcu(struct rcu_head *head)
{
	struct mstat_central *central = container_of(head, struct mstat_central, rcu);
	struct page *span, *tmp;
	unsigned long flags;
	LIST_HEAD(done);

	spin_lock_irqsave(&central->lock, flags);
	/* oldest last: stop at the first one still waiting */
	list_for_each_entry_safe_reverse(span, tmp, &central->limbo, lru) {
		if (!poll_state_synchronize_rcu(span->index))
			break;
		list_move(&span->lru, &done);
	}
	/* released after this callback was queued: another grace period */
	if (list_empty(&central->limbo))
		central->rcu_queued = false;
	else
		call_rcu(&central->rcu, mstat_limbo_rcu);
	spin_unlock_irqrestore(&central->lock, flags);

	list_for_each_entry_safe(span, tmp, &done, lru) {
		unsigned int order = page_private(span);

		set_page_private(span, 0);
		span->index = 0;
		/* a fallback span's state: mstat_states_at() */
		if (order)
			set_page_private(nth_page(span, 1), 0);
		__free_pages(span, order);
	}
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
 * layout.  The span's order is in its private, its cookie in its index.
 * Called with the pool's lock held.
 */
static void mstat_span_release(struct mstat_central *central, struct page *span,
			       unsigned int cls)
{
	unsigned int order = mstat_span_order(span);

	lockdep_assert_held(&central->lock);
	mstat_unmap_span(span, cls, order);
	/* no longer in use: sys_bytes drops now, the pages follow */
	atomic_long_sub(PAGE_SIZE << order, &mstat_span_sys);
	set_page_private(span, order);
	/* after the bit is clear: get_state_synchronize_rcu() orders it */
	span->index = get_state_synchronize_rcu();
	list_move(&span->lru, &central->limbo);
	central->nspans--;
	if (!central->rcu_queued) {
		central->rcu_queued = true;
		call_rcu(&central->rcu, mstat_limbo_rcu);
	}
}

/* Whether a pool's mstat_limbo_rcu() is queued. */
static bool mstat_limbo_queued(void)
{
	bool queued = false;
	unsigned int cls;

	for (cls = 0; cls < MSTAT_NR_CLASSES; cls++) {
		spin_lock_irq(&mstat_central[cls].lock);
		queued |= mstat_central[cls].rcu_queued;
		spin_unlock_irq(&mstat_central[cls].lock);
	}
	return queued;
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
	} while (mstat_limbo_queued());
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
	struct mstat_central *central = &mstat_central[cls];
	bool found = false;
	struct page *page;

	spin_lock_irq(&central->lock);
	list_for_each_entry(page, &central->limbo, lru)
		found |= !span || page == span;
	spin_unlock_irq(&central->lock);
	return found;
}

/*
 * Put the newest span of the limbo back on the partial list, remapped to
 * its class and order (mapped before, so it fits the bitmap): no page
 * allocator call and nothing that sleeps, so a refill does it under its
 * cache's lock.  Called with the pool's lock held.  Returns the span, or
 * NULL if the limbo is empty.
 */
static struct page *mstat_limbo_revive(struct mstat_central *central, unsigned int cls)
{
	struct page *span = list_first_entry_or_null(&central->limbo, struct page, lru);
	unsigned int order;

	lockdep_assert_held(&central->lock);
	/* a fallback span waits for the page allocator: it never joins the partial list */
	if (!span || page_private(span) != mstat_classes[cls].span_order)
		return NULL;
	order = page_private(span);
	span->index = 0;
	mstat_span_init(span, cls, order);
	mstat_map_span(span, cls, order);
	mstat_span_set_nfree(span, mstat_span_capacity(&mstat_classes[cls], order));
	atomic_long_add(PAGE_SIZE << order, &mstat_span_sys);
	list_move_tail(&span->lru, &central->partial);
	central->nspans++;
	central->nempty++;
	return span;
}

/**
 * mstat_central_grow - add a new span to a class's central pool
 * @cls: class index
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
 * Called with no lock held.
 *
 * Return: 0 (*@fbobj set to the object, or to NULL if a span joined the
 * pool) or -ENOMEM.
 */
int mstat_central_grow(unsigned int cls, gfp_t gfp, void **fbobj)
{
	struct mstat_central *central = &mstat_central[cls];
	const struct mstat_class *mc = &mstat_classes[cls];
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
			span = mstat_alloc_span_pages(quiet, order, cls);
		if (!span) {
			if (!fbobj)
				return -ENOMEM;
			order = mc->fb_order;
		}
	}
	if (!span)
		span = mstat_alloc_span_pages(gfp, order, cls);
	if (!span)
		return -ENOMEM;
	mstat_span_init(span, cls, order);
	if (order != mc->span_order) {
		/* its one object taken, before a stale free can see the span */
		obj = page_address(span) + mstat_red_left;
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

	spin_lock_irqsave(&central->lock, flags);
	if (obj) {
		list_add_tail(&span->lru, &central->full);
		*fbobj = obj;
	} else {
		list_add_tail(&span->lru, &central->partial);
		central->nempty++;
	}
	central->nspans++;
	spin_unlock_irqrestore(&central->lock, flags);
	return 0;
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
	atomic_long_inc(&mstat_mistakes[MSTAT_CORRUPT_FREE]);
}

/**
 * mstat_central_take - move free objects from a central pool to a cache
 * @cls: class index
 * @objs: where to put them
 * @want: how many
 *
 * Return: how many were moved; 0 if the pool needs to grow.
 */
unsigned int mstat_central_take(unsigned int cls, void **objs, unsigned int want)
{
	const struct mstat_class *mc = &mstat_classes[cls];
	struct mstat_central *central = &mstat_central[cls];
	unsigned int nfree, nobjs, link, n = 0;
	unsigned long flags;
	struct page *span;
	void *obj, *base;
	u32 *states, st;

	/* an empty pool is left to grow without a lock trip; a stale look costs a span */
	if (list_empty(&central->partial) && list_empty(&central->limbo))
		return 0;
	spin_lock_irqsave(&central->lock, flags);
	WRITE_ONCE(central->nops, central->nops + 1);
	/*
	 * A span waiting in the limbo comes back here, only when there is
	 * nothing else to take: more than one span per refill measured slower.
	 */
	while (n < want && (!list_empty(&central->partial) ||
			    (!n && mstat_limbo_revive(central, cls)))) {
		span = list_first_entry(&central->partial, struct page, lru);
		nfree = mstat_span_nfree(span);
		nobjs = mstat_span_nobjs(span, cls);
		if (nfree == nobjs)
			central->nempty--;
		base = page_address(span) + mstat_red_left;
		states = mstat_span_states(span, cls, mstat_span_order(span));
		/* walk the links, not the objects: the next object's address is off the chain */
		link = mstat_span_head(span);
		while (n < want && link != MSTAT_LINK_LAST) {
			u32 *p = &states[link - 1];

			obj = base + (link - 1) * mc->stride;
			st = READ_ONCE(*p);
			link = mstat_state_link(st);
			/* a link that does not decode, or a list longer than its count */
			if (link == MSTAT_LINK_LIVE || link == MSTAT_LINK_CACHED ||
			    (link != MSTAT_LINK_LAST && link > nobjs) || !nfree) {
				mstat_span_list_broken(span, cls, obj);
				nfree = 0;
				link = MSTAT_LINK_LAST;
				break;
			}
			mstat_obj_cached(p, st);
			objs[n++] = obj;
			nfree--;
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
	return n;
}

/*
 * Close a run of mstat_central_put(): @added objects went on @span's free
 * list, now headed by the object of link @head (its index + 1).
 */
static void mstat_span_put_done(struct mstat_central *central, struct page *span,
				unsigned int cls, unsigned int head, unsigned int added)
{
	const struct mstat_class *mc = &mstat_classes[cls];
	unsigned int nfree;

	if (!added)
		return;
	mstat_span_set_head(span, head);
	nfree = mstat_span_nfree(span) + added;
	mstat_span_set_nfree(span, nfree);
	if (nfree == added)
		list_move(&span->lru, &central->partial);
	if (nfree < mstat_span_nobjs(span, cls))
		return;
	/* a fallback span goes back at once: see mstat_central_grow() */
	if (central->nempty >= MSTAT_EMPTY_RESERVE || mstat_span_order(span) != mc->span_order) {
		mstat_span_release(central, span, cls);
	} else {
		list_move_tail(&span->lru, &central->partial);
		central->nempty++;
	}
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
 * An object whose state no longer says cached is not put back: it is on
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
	struct mstat_central *central = &mstat_central[cls];
	unsigned int i, idx, head = 0, added = 0, nbad = 0;
	unsigned long want = (unsigned long)order << MSTAT_INFO_ORDER_SHIFT |
			     (unsigned long)cls << MSTAT_INFO_SHIFT | MSTAT_INFO_TAG |
			     MSTAT_INFO_SPAN;
	struct page *span = NULL, *s;
	unsigned long flags, base = 0;
	u32 *states = NULL, *p, st;
	bool live = false;

	spin_lock_irqsave(&central->lock, flags);
	WRITE_ONCE(central->nops, central->nops + 1);
	/* objects of one span follow each other: its descriptor is written once per run */
	for (i = 0; i < n; i++) {
		s = mstat_obj_span(objs[i], order);
		if (s != span) {
			mstat_span_put_done(central, span, cls, head, added);
			span = s;
			/* a span released meanwhile takes nothing back: withdrawn */
			live = (page_private(span) & MSTAT_INFO_FIXED) == want;
			base = mstat_span_base(span);
			states = mstat_span_states(span, cls, order);
			head = live ? mstat_span_head(span) : 0;
			added = 0;
		}
		idx = mstat_obj_index(objs[i], base, mc);
		p = states + idx;
		st = READ_ONCE(*p);
		if (unlikely(!live || !mstat_state_is_cached(st))) {
			objs[nbad++] = objs[i];
			continue;
		}
		WRITE_ONCE(*p, MSTAT_STATE(mstat_state_key_bits(st), head));
		head = idx + 1;
		added++;
	}
	mstat_span_put_done(central, span, cls, head, added);
	spin_unlock_irqrestore(&central->lock, flags);

	for (i = 0; i < nbad; i++)
		mstat_report(MSTAT_CORRUPT_FREE, "mstat_central_put", objs[i], _RET_IP_);
	return nbad;
}

/**
 * mstat_central_ops - takes and puts a pool has seen
 * @cls: class index
 *
 * Return: the count; idle reclaim compares two.
 */
unsigned long mstat_central_ops(unsigned int cls)
{
	return READ_ONCE(mstat_central[cls].nops);
}

/**
 * mstat_central_shrink - return a pool's wholly free spans to the page allocator
 * @cls: class index
 * @keep: wholly free spans to keep
 *
 * Return: bytes of the spans returned.
 */
unsigned long mstat_central_shrink(unsigned int cls, unsigned int keep)
{
	struct mstat_central *central = &mstat_central[cls];
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

/* Free objects in wholly free spans, over every pool: what a shrink returns. */
unsigned long mstat_central_empty_objs(void)
{
	unsigned long n = 0;
	unsigned int cls;

	for (cls = 0; cls < MSTAT_NR_CLASSES; cls++)
		n += READ_ONCE(mstat_central[cls].nempty) * mstat_classes[cls].nobjs;
	return n;
}

static void mstat_large_release(void *addr, unsigned long npages)
{
	if (is_power_of_2(npages))
		__free_pages(virt_to_page(addr), ilog2(npages));
	else
		free_pages_exact(addr, npages << PAGE_SHIFT);
}

/**
 * mstat_large_alloc - allocate an object above the largest class
 * @size: bytes wanted
 * @gfp: the caller's GFP flags
 * @usable: set to the page-rounded size
 *
 * Return: the object, or NULL if @size is too large or memory is short.
 */
void *mstat_large_alloc(size_t size, gfp_t gfp, size_t *usable)
{
	unsigned long npages;
	struct page *page;
	void *addr;

	if (size > MSTAT_MAX_LARGE)
		return NULL;
	npages = PAGE_ALIGN(size) >> PAGE_SHIFT;
	/*
	 * A power of two is one block of the page allocator; anything else is
	 * trimmed to size.  Not a compound page: mstat knows the size, and a
	 * compound page costs a pass over every tail page at allocation and
	 * again at free.
	 */
	gfp &= MSTAT_GFP_LARGE;
	if (is_power_of_2(npages)) {
		page = alloc_pages(gfp, ilog2(npages));
		addr = page ? page_address(page) : NULL;
	} else {
		addr = alloc_pages_exact(size, gfp);
		page = addr ? virt_to_page(addr) : NULL;
	}
	if (!addr)
		return NULL;
	if (!mstat_map_large(page, npages)) {
		mstat_large_release(addr, npages);
		return NULL;
	}
	*usable = npages << PAGE_SHIFT;
	return addr;
}

/**
 * mstat_large_claim - take the right to free a large object
 * @pfn: its first page frame
 * @info: its page's private, as the caller's mstat_owner() read it
 *
 * Of two frees of the same large object, even at the same instant on two
 * CPUs, exactly one gets true; the other is a double free.  The claim is
 * of the word the caller decoded, generation included: a slower free whose
 * object went back to the page allocator, and whose pages became another
 * large object (or a span) meanwhile, finds another word and claims
 * nothing.  Then the bit.
 *
 * Return: true if the caller is to free it.
 */
bool mstat_large_claim(unsigned long pfn, unsigned long info)
{
	unsigned long *word = mstat_owned_word(pfn);

	if (!word || cmpxchg(&pfn_to_page(pfn)->private, info, 0) != info)
		return false;
	clear_bit(pfn % BITS_PER_LONG, word);
	return true;
}

/**
 * mstat_large_free - free a large object mstat_large_claim() gave the caller
 * @ptr: the object
 * @usable: its usable size, as mstat_owner() found it
 */
void mstat_large_free(void *ptr, size_t usable)
{
	struct page *page = virt_to_page(ptr);

	page->index = 0;
	nth_page(page, 1)->index = 0;
	mstat_large_release(ptr, usable >> PAGE_SHIFT);
}

/*
 * Teardown of CPUHP_BP_PREPARE_DYN: runs on a control CPU after @cpu is
 * dead, so nothing can touch the dead CPU's cache while we empty it.
 */
static int mstat_cpu_dead(unsigned int cpu)
{
	mstat_donate_dead_cpu(cpu);
	return 0;
}

static void mstat_central_init(void)
{
	unsigned int cls;

	for (cls = 0; cls < MSTAT_NR_CLASSES; cls++) {
		spin_lock_init(&mstat_central[cls].lock);
		INIT_LIST_HEAD(&mstat_central[cls].partial);
		INIT_LIST_HEAD(&mstat_central[cls].full);
		INIT_LIST_HEAD(&mstat_central[cls].limbo);
	}
}

/**
 * mstat_walk_spans - call @fn on every span of a class, pool lock held
 * @cls: class index
 * @fn: called with each span's first page; must not sleep
 * @arg: passed to @fn
 */
void mstat_walk_spans(unsigned int cls, void (*fn)(struct page *, void *), void *arg)
{
	struct mstat_central *central = &mstat_central[cls];
	unsigned long flags;
	struct page *span;

	spin_lock_irqsave(&central->lock, flags);
	list_for_each_entry(span, &central->partial, lru)
		fn(span, arg);
	list_for_each_entry(span, &central->full, lru)
		fn(span, arg);
	spin_unlock_irqrestore(&central->lock, flags);
}

/*
 * Module unload: no caller is left, and every cache has been drained.  A
 * span whose objects are all free goes back to the page allocator; one
 * with a live object (or a withdrawn one) stays allocated, as do live
 * large objects, since a client may still hold them: kmem_cache_destroy()
 * leaks a cache with live objects for the same reason.
 *
 * Return: pages left allocated.
 */
static unsigned long mstat_release_all(void)
{
	unsigned long start, end, bit, *bits, kept = 0;
	struct page *span, *tmp;
	unsigned int cls, r;
	LIST_HEAD(live);

	for (cls = 0; cls < MSTAT_NR_CLASSES; cls++) {
		struct mstat_central *central = &mstat_central[cls];

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
	/* What is left owned outside spans is large objects nobody freed. */
	for (r = 0; mstat_region(r, &start, &end, &bits); r++) {
		for_each_set_bit(bit, bits, end - start) {
			unsigned long info = page_private(pfn_to_page(start + bit));

			if (info & MSTAT_INFO_LARGE)
				kept += mstat_info_pages(info);
		}
	}
	return kept;
}

static unsigned long mstat_end_pfn(void)
{
	unsigned long end = 0;
	int nid;

	for_each_online_node(nid)
		end = max(end, node_end_pfn(nid));
	return end;
}

static void mstat_report_live(unsigned long kept)
{
	struct mstat_totals *t = kzalloc(sizeof(*t), GFP_KERNEL);
	u64 small = 0, large;
	unsigned int cls;

	if (!t)
		return;
	mstat_collect(t, NULL);
	for (cls = 0; cls < MSTAT_NR_CLASSES; cls++)
		small += t->sum.nmalloc[cls] - t->sum.nfree[cls];
	large = t->sum.large_nmalloc - t->sum.large_nfree;
	if (small || large || kept)
		pr_warn("unloading with %llu live objects (%llu small, %llu large); leaving their %lu pages allocated\n",
			small + large, small, large, kept);
	kfree(t);
}

static void mstat_free_caches(void)
{
	unsigned int ctx;

	kfree(mstat_cpu_caches);
	for (ctx = 0; ctx < MSTAT_NR_CTX; ctx++)
		free_percpu(mstat_caches[ctx]);
}

static int mstat_alloc_caches(void)
{
	unsigned int cpu, ctx;

	mstat_cpu_caches = kcalloc(nr_cpu_ids * MSTAT_NR_CTX, sizeof(*mstat_cpu_caches),
				   GFP_KERNEL);
	if (!mstat_cpu_caches)
		return -ENOMEM;
	for (ctx = 0; ctx < MSTAT_NR_CTX; ctx++) {
		mstat_caches[ctx] = alloc_percpu(struct mstat_cache);
		if (!mstat_caches[ctx])
			return -ENOMEM;
		for_each_possible_cpu(cpu) {
			struct mstat_cache *c = per_cpu_ptr(mstat_caches[ctx], cpu);

			mstat_cache_init(c, ctx);
			mstat_cpu_caches[cpu * MSTAT_NR_CTX + ctx] = c;
		}
	}
	return 0;
}

static void mstat_free_owned(void)
{
	unsigned int i;

	for (i = 0; i < mstat_nr_extents; i++)
		kvfree(mstat_extents[i].bits);
	kvfree(mstat_owned);
}

static int __init mstat_init(void)
{
	unsigned long pfn_offset;
	int ret;

	ret = mstat_debug_init();
	if (ret)
		return ret;
	mstat_classes_init();
	mstat_central_init();
	mstat_owned_pfns = round_up(mstat_end_pfn(), BITS_PER_LONG);
	pfn_offset = PHYS_PFN(__pa(high_memory - 1)) -
		     (((unsigned long)high_memory - 1 - PAGE_OFFSET) >> PAGE_SHIFT);
#if defined(CONFIG_X86_64) || defined(CONFIG_UML)
	if (WARN_ON(pfn_offset != MSTAT_PFN_OFFSET))
		return -EINVAL;
#else
	mstat_pfn_offset = pfn_offset;
#endif
	mstat_owned = kvcalloc(BITS_TO_LONGS(mstat_owned_pfns), sizeof(long), GFP_KERNEL);
	if (!mstat_owned)
		return -ENOMEM;
	mstat_kasan_get();	/* before the first span */
	ret = register_memory_notifier(&mstat_memory_nb);
	if (ret)
		goto free_owned;
	mstat_wq = alloc_workqueue("mstat", WQ_MEM_RECLAIM, 0);
	if (!mstat_wq) {
		ret = -ENOMEM;
		goto unregister;
	}
	ret = mstat_alloc_caches();
	if (ret)
		goto free_caches;
	ret = mstat_sites_init();
	if (ret)
		goto free_caches;

	ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "mm/mstat:dead",
					NULL, mstat_cpu_dead);
	if (ret < 0)
		goto free_caches;
	mstat_hp_state = ret;

	ret = mstat_reclaim_init();
	if (ret)
		goto remove_state;
	ret = mstat_proc_init();
	if (ret)
		goto reclaim_exit;
	pr_info("%u size classes, %u..%u bytes\n", MSTAT_NR_CLASSES,
		mstat_classes[0].size, mstat_classes[MSTAT_NR_CLASSES - 1].size);
	return 0;

reclaim_exit:
	mstat_reclaim_exit();
remove_state:
	cpuhp_remove_state_nocalls(mstat_hp_state);
free_caches:
	mstat_sites_exit();
	mstat_free_caches();
	destroy_workqueue(mstat_wq);
unregister:
	unregister_memory_notifier(&mstat_memory_nb);
free_owned:
	mstat_kasan_put();
	mstat_free_owned();
	return ret;
}

static void __exit mstat_exit(void)
{
	unsigned long kept;
	unsigned int i;

	mstat_proc_exit();
	mstat_reclaim_exit();
	cpuhp_remove_state_nocalls(mstat_hp_state);
	for (i = 0; i < nr_cpu_ids * MSTAT_NR_CTX; i++) {
		if (mstat_cpu_caches[i])
			mstat_cache_drain(mstat_cpu_caches[i]);
	}
	if (mstat_debug())
		mstat_debug_report_leaks();
	kept = mstat_release_all();
	mstat_report_live(kept);
	/* the spans released above are freed by RCU callbacks in this module */
	mstat_limbo_drain();
	mstat_sites_exit();
	mstat_free_caches();
	destroy_workqueue(mstat_wq);
	unregister_memory_notifier(&mstat_memory_nb);
	mstat_kasan_put();
	mstat_free_owned();
}

module_init(mstat_init);
module_exit(mstat_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Small-object allocator with exact per-CPU statistics in /proc/mstat");
MODULE_AUTHOR("mstat developers");
MODULE_VERSION(MSTAT_VERSION);

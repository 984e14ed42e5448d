// SPDX-License-Identifier: GPL-2.0
/*
 * mstat core: module life, size classes, the pages mstat owns, large
 * objects, client mistakes and CPU hotplug.
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

/* The client mistakes mstat refused, by kind (enum mstat_mistake). */
static atomic_long_t mstat_mistakes[MSTAT_NR_MISTAKES];

/* donations and reclaim: bound, WQ_MEM_RECLAIM so that reclaim makes progress */
struct workqueue_struct *mstat_wq;

static int mstat_hp_state;

DEFINE_STATIC_KEY_FALSE(mstat_numa_key);

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

/* The pages of a span of class @mc and order @order in which objects start. */
static unsigned long mstat_span_starts(const struct mstat_class *mc, unsigned int order)
{
	return order == mc->span_order ? mc->starts : mc->fb_starts;
}

/* Mark the pages of a span of @cls and @order in which objects start. */
bool mstat_map_span(struct page *span, unsigned int cls, unsigned int order)
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

/* Clear the marks of a span, and its free list's head. */
void mstat_unmap_span(struct page *span, unsigned int cls, unsigned int order)
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

/* Count a mistake that was reported some other way. */
void mstat_count_mistake(enum mstat_mistake what)
{
	atomic_long_inc(&mstat_mistakes[what]);
}

u64 mstat_nmistakes(enum mstat_mistake what)
{
	return atomic_long_read(&mstat_mistakes[what]);
}

static void mstat_large_release(void *addr, unsigned long npages)
{
	if (is_power_of_2(npages))
		__free_pages(virt_to_page(addr), ilog2(npages));
	else
		free_pages_exact(addr, npages << PAGE_SHIFT);
}

/*
 * alloc_pages_exact() on a node: alloc_pages_exact_nid() is not exported.
 * The pages are split as alloc_pages_exact()'s, so free_pages_exact()
 * frees them.
 */
static void *mstat_pages_exact(int nid, unsigned long npages, gfp_t gfp)
{
	unsigned int order = get_order(npages << PAGE_SHIFT);
	struct page *page;
	unsigned long i;

	if (nid == NUMA_NO_NODE)
		return alloc_pages_exact(npages << PAGE_SHIFT, gfp);
	page = alloc_pages_node(nid, gfp, order);
	if (!page)
		return NULL;
	split_page(page, order);
	for (i = npages; i < 1UL << order; i++)
		__free_page(page + i);
	return page_address(page);
}

/**
 * mstat_large_alloc - allocate an object above the largest class
 * @size: bytes wanted
 * @nid: the node to allocate on, NUMA_NO_NODE for this CPU's
 * @gfp: the caller's GFP flags
 * @usable: set to the page-rounded size
 *
 * Return: the object, or NULL if @size is too large or memory is short.
 */
void *mstat_large_alloc(size_t size, int nid, gfp_t gfp, size_t *usable)
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
		page = alloc_pages_node(nid, gfp, ilog2(npages));
		addr = page ? page_address(page) : NULL;
	} else {
		addr = mstat_pages_exact(nid, npages, gfp);
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

/*
 * Module unload: no caller is left, and every cache has been drained.
 * Live large objects stay allocated, as do spans with live objects
 * (mstat_pools_release()), since a client may still hold them:
 * kmem_cache_destroy() leaks a cache with live objects for the same reason.
 *
 * Return: pages left allocated.
 */
static unsigned long mstat_release_all(void)
{
	unsigned long start, end, bit, *bits, kept = mstat_pools_release();
	unsigned int r;

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
	unsigned int ctx, i;

	for (i = 0; mstat_cpu_caches && i < nr_cpu_ids * MSTAT_NR_CTX; i++) {
		if (mstat_cpu_caches[i])
			kfree(mstat_cpu_caches[i]->nodes);
	}
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
			c->nodes = kcalloc_node(nr_node_ids, sizeof(*c->nodes), GFP_KERNEL,
						cpu_to_mem(cpu));
			if (!c->nodes)
				return -ENOMEM;
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
	mstat_owned_pfns = round_up(mstat_end_pfn(), BITS_PER_LONG);
	pfn_offset = PHYS_PFN(__pa(high_memory - 1)) -
		     (((unsigned long)high_memory - 1 - PAGE_OFFSET) >> PAGE_SHIFT);
#if defined(CONFIG_X86_64) || defined(CONFIG_UML)
	if (WARN_ON(pfn_offset != MSTAT_PFN_OFFSET))
		return -EINVAL;
#else
	mstat_pfn_offset = pfn_offset;
#endif
	ret = mstat_pools_init();
	if (ret)
		return ret;
	mstat_owned = kvcalloc(BITS_TO_LONGS(mstat_owned_pfns), sizeof(long), GFP_KERNEL);
	if (!mstat_owned) {
		mstat_pools_exit();
		return -ENOMEM;
	}
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
	if (num_possible_nodes() > 1)
		static_branch_enable(&mstat_numa_key);
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
	mstat_pools_exit();
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
	mstat_pools_exit();
}

module_init(mstat_init);
module_exit(mstat_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Small-object allocator with exact per-CPU statistics in /proc/mstat");
MODULE_AUTHOR("mstat developers");
MODULE_VERSION(MSTAT_VERSION);

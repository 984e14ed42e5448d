// SPDX-License-Identifier: GPL-2.0
/*
 * mstat owner: which pages are mstat's.
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
 * page's fields are mstat's to use.  Memory onlined after load gets a
 * bitmap of its own, an extent.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/slab.h>

#include "mstat_internal.h"

/* One bit per page frame below mstat_owned_pfns: see the top of this file. */
unsigned long *mstat_owned __read_mostly;
unsigned long mstat_owned_pfns __read_mostly;
#ifndef CONFIG_X86_64
#ifndef CONFIG_UML
/* The linear map is one offset: page frame = this + (address - PAGE_OFFSET) / PAGE_SIZE. */
unsigned long mstat_pfn_offset __read_mostly;
#endif
#endif

/* Bitmaps of memory onlined since: see mstat_owned_word(). */
static struct mstat_extent mstat_extents[MSTAT_MAX_EXTENTS];
static unsigned int mstat_nr_extents;
static DEFINE_MUTEX(mstat_extent_lock);

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

bool mstat_map_large(struct page *page, unsigned long npages)
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

static unsigned long mstat_end_pfn(void)
{
	unsigned long end = 0;
	int nid;

	for_each_online_node(nid)
		end = max(end, node_end_pfn(nid));
	return end;
}

static void mstat_free_owned(void)
{
	unsigned int i;

	for (i = 0; i < mstat_nr_extents; i++)
		kvfree(mstat_extents[i].bits);
	kvfree(mstat_owned);
}

/**
 * mstat_owner_init - the bitmap over every page frame present at load
 *
 * Memory onlined later gets an extent (mstat_add_extent()), from
 * mstat_core.c's memory notifier.
 *
 * Return: 0, -EINVAL if the linear map is not what mstat_fast_state()
 * and mstat_obj_state_quick() take it for, or -ENOMEM.
 */
int mstat_owner_init(void)
{
	unsigned long pfn_offset;

	mstat_owned_pfns = round_up(mstat_end_pfn(), BITS_PER_LONG);
	pfn_offset = PHYS_PFN(__pa(high_memory - 1)) -
		     (((unsigned long)high_memory - 1 - PAGE_OFFSET) >> PAGE_SHIFT);
#if defined(CONFIG_X86_64) || defined(CONFIG_UML)
	if (WARN_ON(pfn_offset != MSTAT_PFN_OFFSET))
		return -EINVAL;
#else
	mstat_pfn_offset = pfn_offset;
#endif
	/*
	 * A span's address, masked, finds its base and its states
	 * (mstat_obj_state_quick()): the linear map must keep the page
	 * allocator's alignment of a block, up to the largest span.
	 */
	if (WARN_ON(((PAGE_OFFSET >> PAGE_SHIFT) - pfn_offset) &
		    (BIT(MSTAT_MAX_SPAN_ORDER) - 1)))
		return -EINVAL;
	mstat_owned = kvcalloc(BITS_TO_LONGS(mstat_owned_pfns), sizeof(long), GFP_KERNEL);
	if (!mstat_owned)
		return -ENOMEM;
	return 0;
}

/**
 * mstat_owner_exit - drop the bitmaps, at unload, after every span went back
 */
void mstat_owner_exit(void)
{
	mstat_free_owned();
}

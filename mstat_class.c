// SPDX-License-Identifier: GPL-2.0
/*
 * mstat classes: the size classes (mstat_internal.h: 8-byte steps to 64
 * bytes, then eight per power of two to 32 KiB) and the typed caches'
 * classes after them, and each class's layout: object stride, span order and its
 * fallback order, objects per span, where objects start, batch sizes.
 * Set once, before any object of the class exists; read everywhere.
 */
#include <linux/bitops.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/reciprocal_div.h>
#include <linux/sizes.h>

#include "mstat_internal.h"

struct mstat_class mstat_classes[MSTAT_NR_CLASSES] __read_mostly;

u8 mstat_size_class[MSTAT_MAX_SMALL / MSTAT_MIN_SIZE] __read_mostly;

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

/* Whether an object (what a client is handed) starts in page @i of a span. */
static bool mstat_object_starts(const struct mstat_class *mc, unsigned int order,
				unsigned int i)
{
	unsigned long page = (unsigned long)i << PAGE_SHIFT, first = 0;

	if (page > mc->red_left)
		first = DIV_ROUND_UP(page - mc->red_left, mc->stride);
	return first < mstat_span_capacity(mc, order) &&
	       mc->red_left + first * mc->stride < page + PAGE_SIZE;
}

/**
 * mstat_class_setup - lay out the objects of a class
 * @cls: class index
 * @size: the object's size, a multiple of 8: what a client may use
 * @stride: bytes from one object's slot to the next (mstat_debug_layout())
 * @red_left: bytes of a slot before its object
 *
 * Before any object of @cls exists: at load for a size class, when it is
 * made for a typed cache's.
 */
void mstat_class_setup(unsigned int cls, unsigned int size, unsigned int stride,
		       unsigned int red_left)
{
	struct mstat_class *mc = &mstat_classes[cls];
	unsigned int i;
	u64 e;

	mc->size = size;
	mc->stride = stride;
	mc->red_left = red_left;
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
	/* not where a red zone of a page's alignment puts the object in page 1 */
	if (mc->span_order >= 2 && i < mc->span_order && mc->red_left < PAGE_SIZE)
		mc->fb_order = i;
	/* a fallback span is the caller's one object: mstat_central_grow() */
	mc->fb_nobjs = mc->fb_order == mc->span_order ? mc->nobjs : 1;
	mc->fb_states_off = mc->fb_nobjs * mc->stride;
	mc->index_mul = DIV_ROUND_UP_ULL(1ULL << 32, mc->stride);
	mc->span_mask = (PAGE_SIZE << mc->span_order) - 1;
	/* the first page holds the span's descriptor, whether an object starts there or not */
	mc->starts = BIT(0);
	mc->fb_starts = BIT(0);
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
	 * every size class with 4 KiB pages; where not, the fast free
	 * takes none of the class's objects.
	 */
	e = (u64)mc->index_mul * mc->stride - BIT_ULL(32);
	mc->span_info = (unsigned long)mc->span_order << MSTAT_INFO_ORDER_SHIFT |
			(unsigned long)cls << MSTAT_INFO_SHIFT | MSTAT_INFO_TAG | MSTAT_INFO_SPAN;
	mc->fast_info = 0;
	if ((u64)(mc->span_mask + 1) * e < BIT_ULL(32) &&
	    ((u64)mc->span_mask / mc->stride + 1) * e < mc->index_mul)
		mc->fast_info = mc->span_info;
	/*
	 * Move about 64 KiB per batch (16 objects at most), 128 KiB from 8 KiB
	 * up (4 objects at least); cache two batches at most.
	 */
	mc->batch = clamp_t(unsigned int, (mc->size < SZ_8K ? SZ_64K : SZ_128K) / mc->size,
			    4, MSTAT_CACHE_SLOTS / 2);
	mc->cache_cap = 2 * mc->batch;
	mc->stride_recip = reciprocal_value(mc->stride);
}

/* At load: the size classes' layouts and the size-to-class table. */
void mstat_classes_init(void)
{
	unsigned int cls, i, size, stride, red_left;

	for (i = 0; i < ARRAY_SIZE(mstat_size_class); i++)
		mstat_size_class[i] = mstat_size_to_class((i + 1) * MSTAT_MIN_SIZE);

	for (cls = 0; cls < MSTAT_NR_SIZES; cls++) {
		size = mstat_class_size(cls);
		stride = mstat_debug_layout(size, MSTAT_MIN_SIZE, &red_left);
		mstat_class_setup(cls, size, stride, red_left);
	}
}

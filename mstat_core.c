// SPDX-License-Identifier: GPL-2.0
/*
 * mstat core: module life, size classes and CPU hotplug.  Below it, in the
 * order data flows: the per-CPU caches (mstat_pcpu.c), the pools of spans
 * per node (mstat_pool.c), large objects (mstat_large.c), the pages mstat
 * owns (mstat_owner.c); beside them the reads (mstat_proc.c, mstat_sites.c),
 * reclaim (mstat_reclaim.c), debug mode (mstat_debug.c) and the reports of
 * client mistakes (mstat_report.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "mstat_internal.h"
#ifndef MSTAT_NO_TRACE
#define CREATE_TRACE_POINTS
#include "mstat_trace.h"
#endif

struct mstat_class mstat_classes[MSTAT_NR_CLASSES] __read_mostly;

u8 mstat_size_class[MSTAT_MAX_SMALL / MSTAT_MIN_SIZE] __read_mostly;

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
	mc->fast_info = 0;
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

static void mstat_classes_init(void)
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

	/* one per-CPU allocation each: see MSTAT_MAX_TYPED */
	BUILD_BUG_ON(sizeof(struct mstat_pcpu) > PCPU_MIN_UNIT_SIZE);
	mstat_cpu_caches = kcalloc(nr_cpu_ids * MSTAT_NR_CTX, sizeof(*mstat_cpu_caches),
				   GFP_KERNEL);
	if (!mstat_cpu_caches)
		return -ENOMEM;
	for (ctx = 0; ctx < MSTAT_NR_CTX; ctx++) {
		mstat_caches[ctx] = alloc_percpu(struct mstat_pcpu);
		if (!mstat_caches[ctx])
			return -ENOMEM;
		for_each_possible_cpu(cpu) {
			struct mstat_pcpu *c = per_cpu_ptr(mstat_caches[ctx], cpu);

			mstat_pcpu_init(c, ctx);
			mstat_cpu_caches[cpu * MSTAT_NR_CTX + ctx] = c;
			c->nodes = kcalloc_node(nr_node_ids, sizeof(*c->nodes), GFP_KERNEL,
						cpu_to_mem(cpu));
			if (!c->nodes)
				return -ENOMEM;
		}
	}
	return 0;
}

static int __init mstat_init(void)
{
	int ret;

	ret = mstat_debug_init();
	if (ret)
		return ret;
	mstat_classes_init();
	ret = mstat_pools_init();
	if (ret)
		return ret;
	ret = mstat_owner_init();
	if (ret)
		goto free_pools;
	mstat_kasan_get();	/* before the first span */
	mstat_wq = alloc_workqueue("mstat", WQ_MEM_RECLAIM, 0);
	if (!mstat_wq) {
		ret = -ENOMEM;
		goto owner_exit;
	}
	ret = mstat_alloc_caches();
	if (ret)
		goto free_caches;
	ret = mstat_rcu_init();
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
	pr_info("%u size classes, %u..%u bytes\n", MSTAT_NR_SIZES,
		mstat_classes[0].size, mstat_classes[MSTAT_NR_SIZES - 1].size);
	return 0;

reclaim_exit:
	mstat_reclaim_exit();
remove_state:
	cpuhp_remove_state_nocalls(mstat_hp_state);
free_caches:
	mstat_rcu_exit();
	mstat_sites_exit();
	mstat_free_caches();
	destroy_workqueue(mstat_wq);
owner_exit:
	mstat_kasan_put();
	mstat_owner_exit();
free_pools:
	mstat_pools_exit();
	return ret;
}

static void __exit mstat_exit(void)
{
	unsigned long kept;
	unsigned int i;

	mstat_proc_exit();
	/* the objects given to mstat_free_rcu() go back before the caches are drained */
	mstat_rcu_exit();
	mstat_reclaim_exit();
	cpuhp_remove_state_nocalls(mstat_hp_state);
	for (i = 0; i < nr_cpu_ids * MSTAT_NR_CTX; i++) {
		if (mstat_cpu_caches[i])
			mstat_pcpu_drain(mstat_cpu_caches[i]);
	}
	if (mstat_debug())
		mstat_debug_report_leaks(MSTAT_ANY_CLS);
	kept = mstat_release_all();
	mstat_report_live(kept);
	/* the spans released above are freed by RCU callbacks in this module */
	mstat_limbo_drain();
	mstat_typed_exit();
	mstat_sites_exit();
	mstat_free_caches();
	destroy_workqueue(mstat_wq);
	mstat_kasan_put();
	mstat_owner_exit();
	mstat_pools_exit();
}

module_init(mstat_init);
module_exit(mstat_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Small-object allocator with exact per-CPU statistics in /proc/mstat");
MODULE_AUTHOR("mstat developers");
MODULE_VERSION(MSTAT_VERSION);

// SPDX-License-Identifier: GPL-2.0
/*
 * mstat core: module life, CPU and memory hotplug.  Nothing calls into it;
 * README.md's layout table lists the files below it, each calling only
 * the ones listed after it, except through a callback it was handed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/memory.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "mstat_internal.h"
#ifndef MSTAT_NO_TRACE
#define CREATE_TRACE_POINTS
#include "mstat_trace.h"
#endif

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

/* Memory hotplug: the pages mstat may own, and each node's home. */
static int mstat_memory_callback(struct notifier_block *nb, unsigned long action, void *arg)
{
	const struct memory_notify *mn = arg;

	/* before the memory reaches the page allocator, so before any span lies there */
	if (action == MEM_GOING_ONLINE)
		mstat_add_extent(mn->start_pfn, mn->start_pfn + mn->nr_pages);
	/* a node that gained or lost its memory: CPUs may have a nearer home now */
	if (action == MEM_ONLINE || action == MEM_OFFLINE)
		mstat_set_homes();
	return NOTIFY_OK;
}

static struct notifier_block mstat_memory_nb = {
	.notifier_call = mstat_memory_callback,
};

/*
 * Teardown of CPUHP_BP_PREPARE_DYN: runs on a control CPU after @cpu is
 * dead, so nothing can touch the dead CPU's cache while we empty it.
 */
static int mstat_cpu_dead(unsigned int cpu)
{
	/* its objects waiting for a grace period go on in a batch of their own */
	mstat_rcu_dead_cpu(cpu);
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
	mstat_report_init(mstat_debug_print_object);
	mstat_owed_hook = mstat_pcpu_owed;
	mstat_purge_hook = mstat_pcpu_purge;
	mstat_classes_init();
	ret = mstat_pools_init();
	if (ret)
		return ret;
	ret = mstat_owner_init();
	if (ret)
		goto free_pools;
	ret = register_memory_notifier(&mstat_memory_nb);
	if (ret) {
		mstat_owner_exit();
		goto free_pools;
	}
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
	ret = mstat_typed_init();
	if (ret)
		goto proc_exit;
	pr_info("%u size classes, %u..%u bytes\n", MSTAT_NR_SIZES,
		mstat_classes[0].size, mstat_classes[MSTAT_NR_SIZES - 1].size);
	return 0;

proc_exit:
	mstat_proc_exit();
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
	unregister_memory_notifier(&mstat_memory_nb);
	mstat_owner_exit();
free_pools:
	mstat_pools_exit();
	return ret;
}

static void __exit mstat_exit(void)
{
	unsigned long kept;
	unsigned int i;

	mstat_typed_proc_exit();
	mstat_proc_exit();
	/* the objects given to mstat_free_rcu() go back before the caches are drained */
	mstat_rcu_exit();
	mstat_reclaim_exit();
	/*
	 * The drain takes no cache's lock: no purge may withdraw from them
	 * meanwhile, nor free pages a CPU going down after the callbacks are
	 * gone (undrained, unpurged) still points into.  Before the hotplug
	 * lock, as mstat_retire_fn() takes them.
	 */
	mstat_purge_block();
	cpuhp_remove_state_nocalls(mstat_hp_state);
	for (i = 0; i < nr_cpu_ids * MSTAT_NR_CTX; i++) {
		if (mstat_cpu_caches[i])
			mstat_pcpu_drain(mstat_cpu_caches[i]);
	}
	mstat_purge_unblock();
	if (mstat_debug())
		mstat_leaks_report(MSTAT_ANY_CLS);
	kept = mstat_release_all();
	mstat_report_live(kept);
	/* the spans released above are freed by RCU callbacks in this module */
	mstat_limbo_drain();
	mstat_typed_exit();
	mstat_sites_exit();
	mstat_free_caches();
	destroy_workqueue(mstat_wq);
	mstat_kasan_put();
	unregister_memory_notifier(&mstat_memory_nb);
	mstat_owner_exit();
	mstat_pools_exit();
}

module_init(mstat_init);
module_exit(mstat_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Small-object allocator with exact per-CPU statistics in /proc/mstat");
MODULE_AUTHOR("mstat developers");
MODULE_VERSION(MSTAT_VERSION);

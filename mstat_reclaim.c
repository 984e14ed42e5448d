// SPDX-License-Identifier: GPL-2.0
/*
 * mstat reclaim: giving cached memory back.
 *
 * Under memory pressure a shrinker empties every CPU's caches and returns
 * every wholly free span.  When idle, a shepherd (a delayed work every
 * idle_ms, as vmstat's shepherd) looks at each online CPU's counters:
 * a class cache that holds objects and saw no allocation or free since
 * the last look is emptied, and a pool that saw no refill or flush since
 * then returns all its wholly free spans.  A CPU's caches are always
 * emptied by that CPU, in a work item queued on it (as SLUB's flush_all()
 * does), so no cache or counter is written by a CPU that does not own it;
 * the shepherd only reads counters.  Spans go back to the page allocator
 * through mstat_span_release(), after the cache locks are dropped.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/cpu.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "mstat_internal.h"

unsigned int mstat_idle_ms = 2000;

/**
 * struct mstat_reclaim_cpu - reclaim's view of one CPU
 * @work: empties @classes on the CPU
 * @classes: the classes to empty; written before @work is queued
 * @remote: whether to send the objects of its remote buffers home (the
 *	work does whenever it runs); written before @work is queued
 * @seen: allocations plus frees of each class at the shepherd's last look
 */
struct mstat_reclaim_cpu {
	struct work_struct work;
	DECLARE_BITMAP(classes, MSTAT_NR_CLASSES);
	bool remote;
	u64 seen[MSTAT_NR_CLASSES];
};

static struct mstat_reclaim_cpu __percpu *mstat_reclaim_cpus;
/* One reclaim at a time: the shepherd, or the shrinker (which never waits). */
static DEFINE_MUTEX(mstat_reclaim_lock);
/*
 * Whether the shepherd may be queued: from the end of mstat_reclaim_init()
 * to the start of mstat_reclaim_exit().  Under mstat_idle_lock, so that an
 * idle_ms written while the module loads or unloads (its parameters are
 * writable then) queues no work over per-CPU data not yet made or freed.
 */
static bool mstat_reclaim_up;
static DEFINE_MUTEX(mstat_idle_lock);
static void mstat_shepherd(struct work_struct *work);
static DECLARE_DELAYED_WORK(mstat_shepherd_work, mstat_shepherd);
static struct shrinker *mstat_shrinker;

/**
 * mstat_set_idle_ms - set the idle reclaim interval
 * @ms: milliseconds; 0 stops idle reclaim
 *
 * The shepherd runs now, and from then on every @ms.
 */
void mstat_set_idle_ms(unsigned int ms)
{
	mutex_lock(&mstat_idle_lock);
	WRITE_ONCE(mstat_idle_ms, ms);
	if (mstat_reclaim_up)
		mod_delayed_work(system_unbound_wq, &mstat_shepherd_work, 0);
	mutex_unlock(&mstat_idle_lock);
}

#if IS_ENABLED(CONFIG_MSTAT_KUNIT_TEST)
/*
 * For a test: the module as it is while it loads or unloads (@up false:
 * the shepherd cancelled, its parameters writable) or back (@up true).
 */
void mstat_reclaim_test_up(bool up)
{
	mutex_lock(&mstat_idle_lock);
	mstat_reclaim_up = up;
	mutex_unlock(&mstat_idle_lock);
	if (!up)
		cancel_delayed_work_sync(&mstat_shepherd_work);
}

/* Whether the shepherd is queued once any run of it now is over (it queues itself again). */
bool mstat_shepherd_queued(void)
{
	flush_delayed_work(&mstat_shepherd_work);
	return delayed_work_pending(&mstat_shepherd_work);
}
#endif

static int mstat_idle_ms_param_set(const char *val, const struct kernel_param *kp)
{
	unsigned int ms;
	int ret = kstrtouint(val, 0, &ms);

	if (!ret)
		mstat_set_idle_ms(ms);
	return ret;
}

static const struct kernel_param_ops mstat_idle_ms_ops = {
	.set = mstat_idle_ms_param_set,
	.get = param_get_uint,
};
module_param_cb(idle_ms, &mstat_idle_ms_ops, &mstat_idle_ms, 0644);
MODULE_PARM_DESC(idle_ms, "idle reclaim: a class cache unused for this long (up to twice) is emptied; 0: never (default 2000)");

static void mstat_reclaim_fn(struct work_struct *work)
{
	mstat_reclaim_this_cpu(container_of(work, struct mstat_reclaim_cpu, work)->classes);
}

/*
 * Run every CPU's work that has classes to empty, and wait for them: for
 * every possible CPU's, since a CPU that goes offline meanwhile leaves its
 * work to run elsewhere (the shrinker holds no hotplug lock), and unload
 * frees what the work uses.
 */
static void mstat_reclaim_run(void)
{
	struct mstat_reclaim_cpu *r;
	unsigned int cpu;

	for_each_online_cpu(cpu) {
		r = per_cpu_ptr(mstat_reclaim_cpus, cpu);
		if (!bitmap_empty(r->classes, MSTAT_NR_CLASSES) || r->remote)
			queue_work_on(cpu, mstat_wq, &r->work);
	}
	/* and done: the next reclaim, of another node maybe, starts from nothing */
	for_each_possible_cpu(cpu) {
		r = per_cpu_ptr(mstat_reclaim_cpus, cpu);
		flush_work(&r->work);
		bitmap_zero(r->classes, MSTAT_NR_CLASSES);
		r->remote = false;
	}
}

/* Objects waiting in @cpu's remote buffers, a moment's view. */
static unsigned int mstat_cpu_nremote(unsigned int cpu)
{
	unsigned int ctx, n = 0;

	for (ctx = 0; ctx < MSTAT_NR_CTX; ctx++)
		n += READ_ONCE(mstat_cpu_caches[cpu * MSTAT_NR_CTX + ctx]->nremote);
	return n;
}

/* Whether @cpu's class caches hold @nid's objects (NUMA_NO_NODE: every node's). */
static bool mstat_cpu_on(unsigned int cpu, int nid)
{
	return nid == NUMA_NO_NODE || READ_ONCE(mstat_homes[cpu_to_node(cpu)]) == nid;
}

/**
 * mstat_reclaim_count - what a shrink would give back
 * @nid: the node (NUMA_NO_NODE: every node)
 *
 * Return: free objects in the class caches of the node's CPUs, in the
 * remote buffers of the other nodes' CPUs (where the node's objects wait)
 * and in wholly free spans of its pools.
 */
unsigned long mstat_reclaim_count(int nid)
{
	unsigned long n = mstat_central_empty_objs(nid);
	unsigned int i, cls;

	/* a moment's view of each class cache */
	for (i = 0; i < nr_cpu_ids * MSTAT_NR_CTX; i++) {
		if (!mstat_cpu_caches[i])
			continue;
		if (nid == NUMA_NO_NODE || !mstat_cpu_on(i / MSTAT_NR_CTX, nid))
			n += READ_ONCE(mstat_cpu_caches[i]->nremote);
		if (!mstat_cpu_on(i / MSTAT_NR_CTX, nid))
			continue;
		for (cls = 0; cls < MSTAT_NR_CLASSES; cls++)
			n += READ_ONCE(mstat_cpu_caches[i]->cls[cls].count);
	}
	return n;
}

/*
 * Empty the caches of node @nid's CPUs and return every free span of its
 * pools (NUMA_NO_NODE: every CPU's and every pool's).  May sleep.  Returns
 * bytes of the spans returned to the page allocator.
 */
static unsigned long __mstat_reclaim_all(int nid)
{
	unsigned long bytes = 0;
	unsigned int cpu, cls;

	lockdep_assert_held(&mstat_reclaim_lock);
	for_each_possible_cpu(cpu) {
		struct mstat_reclaim_cpu *r = per_cpu_ptr(mstat_reclaim_cpus, cpu);

		if (mstat_cpu_on(cpu, nid))
			bitmap_fill(r->classes, MSTAT_NR_CLASSES);
		/* the node's objects freed on other nodes wait in their remote buffers */
		r->remote = mstat_cpu_nremote(cpu) > 0;
	}
	mstat_reclaim_run();
	for (cls = 0; cls < MSTAT_NR_CLASSES; cls++)
		bytes += mstat_central_shrink(cls, nid, 0);
	return bytes;
}

unsigned long mstat_reclaim_all(void)
{
	unsigned long bytes;

	mutex_lock(&mstat_reclaim_lock);
	bytes = __mstat_reclaim_all(NUMA_NO_NODE);
	mutex_unlock(&mstat_reclaim_lock);
	return bytes;
}

/**
 * mstat_reclaim_class - empty every CPU's caches of one class, and its pools
 * @cls: class index
 *
 * With every remote buffer, wherever the class's objects may wait: what
 * mstat_cache_destroy() needs before it counts what is left.  Offline
 * CPUs' caches were emptied by their teardowns.
 *
 * Context: process context; sleeps.
 */
void mstat_reclaim_class(unsigned int cls)
{
	unsigned int cpu;

	mutex_lock(&mstat_reclaim_lock);
	/* no CPU dies between its drain and the shrink, its teardown's drain after it */
	cpus_read_lock();
	for_each_possible_cpu(cpu) {
		struct mstat_reclaim_cpu *r = per_cpu_ptr(mstat_reclaim_cpus, cpu);

		__set_bit(cls, r->classes);
		r->remote = true;
	}
	mstat_reclaim_run();
	mstat_central_shrink(cls, NUMA_NO_NODE, 0);
	cpus_read_unlock();
	mutex_unlock(&mstat_reclaim_lock);
}

static unsigned long mstat_shrink_count(struct shrinker *s, struct shrink_control *sc)
{
	return mstat_reclaim_count(sc->nid) ?: SHRINK_EMPTY;
}

/**
 * mstat_reclaim_scan - give back about @nr free objects, as a shrinker scan
 * @nr: objects wanted back
 * @nid: the node short of memory (NUMA_NO_NODE: any)
 *
 * Wholly free spans of the node's pools first, class by class, which
 * disturbs no CPU's cache; the caches of the node's CPUs only if that was
 * not enough.
 *
 * Return: objects given back, or SHRINK_STOP if a reclaim is under way.
 */
unsigned long mstat_reclaim_scan(unsigned long nr, int nid)
{
	unsigned long freed = 0, before, after;
	unsigned int cls;

	/* a reclaim is under way, or we are reclaiming from inside one */
	if (!mutex_trylock(&mstat_reclaim_lock))
		return SHRINK_STOP;
	for (cls = 0; cls < MSTAT_NR_CLASSES && freed < nr; cls++) {
		unsigned int stride = READ_ONCE(mstat_classes[cls].stride);

		/* a typed cache's slot never used has none, and no span */
		if (stride)
			freed += mstat_central_shrink(cls, nid, 0) / stride;
	}
	if (freed < nr) {
		before = mstat_reclaim_count(nid);
		__mstat_reclaim_all(nid);
		after = mstat_reclaim_count(nid);
		freed += before > after ? before - after : 0;
	}
	mutex_unlock(&mstat_reclaim_lock);
	return freed;
}

static unsigned long mstat_shrink_scan(struct shrinker *s, struct shrink_control *sc)
{
	return mstat_reclaim_scan(sc->nr_to_scan, sc->nid);
}

/* The shepherd's look at one CPU: which of its class caches rest. */
static bool mstat_find_idle(unsigned int cpu, struct mstat_reclaim_cpu *r)
{
	unsigned int ctx, cls, nkeys = mstat_nr_keys_read();
	u64 ops[MSTAT_NR_CLASSES] = { };
	bool any = false;

	for (ctx = 0; ctx < MSTAT_NR_CTX; ctx++)
		mstat_pcpu_class_ops(mstat_cpu_caches[cpu * MSTAT_NR_CTX + ctx], nkeys, ops);
	bitmap_zero(r->classes, MSTAT_NR_CLASSES);
	for (cls = 0; cls < MSTAT_NR_CLASSES; cls++) {
		unsigned int cached = 0;

		for (ctx = 0; ctx < MSTAT_NR_CTX; ctx++) {
			const struct mstat_pcpu *c = mstat_cpu_caches[cpu * MSTAT_NR_CTX + ctx];

			cached += READ_ONCE(c->cls[cls].count);
		}
		if (ops[cls] == r->seen[cls] && cached > 0) {
			__set_bit(cls, r->classes);
			any = true;
		}
		r->seen[cls] = ops[cls];
	}
	/* objects of other nodes go home at every pass, a CPU that stopped freeing them too */
	r->remote = mstat_cpu_nremote(cpu) > 0;
	return any || r->remote;
}

/*
 * Takes and puts of each pool, [node * MSTAT_NR_CLASSES + class], when the
 * shepherd last finished, and which pools were idle then: the shepherd's.
 */
static unsigned long *mstat_pool_ops_seen;
static unsigned long *mstat_idle_pools;

static void mstat_shepherd(struct work_struct *work)
{
	unsigned int cpu, cls, i;
	int nid;

	mutex_lock(&mstat_reclaim_lock);
	/* pools, node by node, no cache used since the last pass; the drains below do not count */
	for_each_node(nid) {
		for (cls = 0; cls < MSTAT_NR_CLASSES; cls++) {
			i = nid * MSTAT_NR_CLASSES + cls;
			__assign_bit(i, mstat_idle_pools,
				     mstat_central_ops(cls, nid) == mstat_pool_ops_seen[i]);
		}
	}
	cpus_read_lock();
	for_each_online_cpu(cpu)
		mstat_find_idle(cpu, per_cpu_ptr(mstat_reclaim_cpus, cpu));
	mstat_reclaim_run();
	cpus_read_unlock();
	for_each_node(nid) {
		for (cls = 0; cls < MSTAT_NR_CLASSES; cls++) {
			i = nid * MSTAT_NR_CLASSES + cls;
			mstat_pool_ops_seen[i] = mstat_central_ops(cls, nid);
			if (test_bit(i, mstat_idle_pools))
				mstat_central_shrink(cls, nid, 0);
		}
	}
	mutex_unlock(&mstat_reclaim_lock);
	if (READ_ONCE(mstat_idle_ms))
		queue_delayed_work(system_unbound_wq, &mstat_shepherd_work,
				   msecs_to_jiffies(READ_ONCE(mstat_idle_ms)));
}

int mstat_reclaim_init(void)
{
	unsigned int cpu;

	mstat_pool_ops_seen = kcalloc(nr_node_ids * MSTAT_NR_CLASSES,
				      sizeof(*mstat_pool_ops_seen), GFP_KERNEL);
	mstat_idle_pools = bitmap_zalloc(nr_node_ids * MSTAT_NR_CLASSES, GFP_KERNEL);
	mstat_reclaim_cpus = alloc_percpu(struct mstat_reclaim_cpu);
	if (!mstat_reclaim_cpus || !mstat_pool_ops_seen || !mstat_idle_pools)
		goto free;
	for_each_possible_cpu(cpu)
		INIT_WORK(&per_cpu_ptr(mstat_reclaim_cpus, cpu)->work, mstat_reclaim_fn);
#ifdef SHRINKER_ALLOCATED	/* 6.7 and later: shrinker_alloc() */
	mstat_shrinker = shrinker_alloc(SHRINKER_NUMA_AWARE, "mstat");
	if (!mstat_shrinker)
		goto free;
	mstat_shrinker->count_objects = mstat_shrink_count;
	mstat_shrinker->scan_objects = mstat_shrink_scan;
	shrinker_register(mstat_shrinker);
#else
	{
		static struct shrinker shrinker = {
			.count_objects = mstat_shrink_count,
			.scan_objects = mstat_shrink_scan,
			.seeks = DEFAULT_SEEKS,
			.flags = SHRINKER_NUMA_AWARE,
		};

		if (register_shrinker(&shrinker, "mstat"))
			goto free;
		mstat_shrinker = &shrinker;
	}
#endif
	mutex_lock(&mstat_idle_lock);
	mstat_reclaim_up = true;
	if (mstat_idle_ms)
		queue_delayed_work(system_unbound_wq, &mstat_shepherd_work,
				   msecs_to_jiffies(mstat_idle_ms));
	mutex_unlock(&mstat_idle_lock);
	return 0;

free:
	free_percpu(mstat_reclaim_cpus);
	bitmap_free(mstat_idle_pools);
	kfree(mstat_pool_ops_seen);
	return -ENOMEM;
}

void mstat_reclaim_exit(void)
{
#ifdef SHRINKER_ALLOCATED
	shrinker_free(mstat_shrinker);
#else
	unregister_shrinker(mstat_shrinker);
#endif
	mutex_lock(&mstat_idle_lock);
	mstat_reclaim_up = false;
	mutex_unlock(&mstat_idle_lock);
	/* and the shepherd does not queue itself again while it is cancelled */
	cancel_delayed_work_sync(&mstat_shepherd_work);
	free_percpu(mstat_reclaim_cpus);
	mstat_reclaim_cpus = NULL;
	bitmap_free(mstat_idle_pools);
	kfree(mstat_pool_ops_seen);
}

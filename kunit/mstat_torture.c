// SPDX-License-Identifier: GPL-2.0
/*
 * mstat_torture: mstat under minutes of concurrent stress, in the spirit of
 * kernel/locking/locktorture.c and kernel/rcu/rcutorture.c, as a KUnit
 * suite linked into mstat (CONFIG_MSTAT_TORTURE; scripts/torture.sh).
 *
 * For mstat.torture_seconds, in cases (rounds) of at most TORT_ROUND_S:
 *
 * - a worker thread per online CPU allocates objects of random sizes (every
 *   class, large objects up to 320 KiB) with GFP_KERNEL, GFP_ATOMIC (also
 *   under a spinlock and with softirqs off), GFP_NOWAIT and __GFP_ZERO;
 *   each worker's hrtimer (hard interrupt context; softirq on PREEMPT_RT)
 *   and timer (softirq) do the same with GFP_ATOMIC.  Every object is
 *   filled through its whole mstat_usable_size() with a pattern of its
 *   owner and a serial, handed between CPUs through a shared pool, and
 *   checked in full before it is freed: a word that changed while owned
 *   (another owner's pattern: two owners, or overlap) fails the case, as
 *   does an address handed out while it is live (a hash of live objects).
 *   One task allocation in 16 comes from one of two typed caches (one
 *   SLAB_TYPESAFE_BY_RCU), made and destroyed around each round; one free
 *   in 8 is an mstat_free_rcu_ptr(), flushed before the round's counts;
 *   some allocations and frees are bulk calls of up to TORT_BULK objects.
 * - the workers inject client mistakes at a rate: interior and foreign
 *   pointers, double frees on the same CPU and across CPUs, stale frees
 *   of an object whose span's objects were all freed (its span kept, or in
 *   its pool's limbo), and two CPUs freeing one object at the same instant
 *   (not on PREEMPT_RT).  At the end of a round every injected mistake
 *   must have been counted exactly once, in bad_pointers, double_frees or
 *   write_after_free as the README says.
 * - meanwhile a thread takes CPUs off and on line, one drives reclaim
 *   (mstat_reclaim_all(), idle_ms, the limbo, mstat_fail_preferred), and
 *   a reader checks every invariant the README promises for a read, on
 *   /proc/mstat's text (mstat_collect() + mstat_render()), on
 *   mstat_read_stats() and on mstat_read_sites().
 * - with mstat.torture_client=<path of kunit/mstat_tclient.ko> (an
 *   initramfs with /bin/insmod and /bin/rmmod: scripts/torture.sh), a
 *   thread loads and unloads that client module over and over: once it has
 *   gone, its sites must show exactly the objects it handed over
 *   (mstat_torture_adopt()) as live, and none once they are freed.
 * - with mstat.fail_span_nth=N (mstat_pool.c, tests only) every Nth page
 *   allocation for a span fails; the allocation must return NULL and the
 *   statistics stay true.
 *
 * At the end of a round everything is freed and reclaimed, and the live
 * objects and bytes must be back exactly where they were: a copy mstat
 * withdraws (two CPUs freed one object at once) leaves no live object.
 *
 * Mistakes could hand one object to two owners where the README says mstat
 * cannot help it (a stale pointer to an object handed out again, a free of
 * pages given back and reused): each worker makes its mistakes on objects
 * of size classes of its own, which no one else allocates from.  A double
 * free's object shares its span with a live *anchor* the worker keeps,
 * so the span is never released between the two frees and the second is
 * always a double free, never a stale pointer into reused memory.  A stale
 * free runs inside an RCU read-side section, which keeps the limbo from
 * giving its span's pages back before it.
 */
#include <kunit/test.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/hashtable.h>
#include <linux/hrtimer.h>
#include <linux/initrd.h>
#include <linux/kthread.h>
#include <linux/moduleparam.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timer.h>
#include <linux/umh.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include <mstat.h>
#include "../mstat_internal.h"

/* mistakes, for mstat.torture_mistakes */
#define TORT_M_INTERIOR		BIT(0)	/* obj + 8k: bad_pointers */
#define TORT_M_FOREIGN		BIT(1)	/* kmalloc, stack, vmalloc, page: bad_pointers */
#define TORT_M_DOUBLE		BIT(2)	/* twice on one CPU: double_frees */
#define TORT_M_CROSS		BIT(3)	/* again on another CPU: double_frees */
#define TORT_M_STALE		BIT(4)	/* after its span's objects: either */
#define TORT_M_SIMUL		BIT(5)	/* two CPUs at once: double_frees or write_after_free */
#define TORT_M_ALL		GENMASK(5, 0)

static unsigned int torture_seconds = 30;
module_param(torture_seconds, uint, 0444);
MODULE_PARM_DESC(torture_seconds, "mstat_torture: length in seconds (rounds of at most 240 s)");
static unsigned int torture_threads;
module_param(torture_threads, uint, 0444);
MODULE_PARM_DESC(torture_threads, "mstat_torture: worker threads (0: one per online CPU)");
static unsigned int torture_objects = 128;
module_param(torture_objects, uint, 0444);
MODULE_PARM_DESC(torture_objects, "mstat_torture: objects a worker holds at most");
static unsigned int torture_mistakes = TORT_M_ALL;
module_param(torture_mistakes, uint, 0444);
MODULE_PARM_DESC(torture_mistakes,
		 "mstat_torture: mistakes to inject: 1 interior, 2 foreign, 4 double, 8 cross-CPU double, 16 stale, 32 simultaneous");
static unsigned int torture_mistake_rate = 200;
module_param(torture_mistake_rate, uint, 0444);
MODULE_PARM_DESC(torture_mistake_rate, "mstat_torture: one mistake per N operations of a worker (0: none)");
static unsigned int torture_irq_us = 250;
module_param(torture_irq_us, uint, 0444);
MODULE_PARM_DESC(torture_irq_us, "mstat_torture: period of each worker's hrtimer (0: no interrupt-context users)");
static bool torture_hotplug = true;
module_param(torture_hotplug, bool, 0444);
MODULE_PARM_DESC(torture_hotplug, "mstat_torture: take CPUs off and on line");
static bool torture_reclaim = true;
module_param(torture_reclaim, bool, 0444);
MODULE_PARM_DESC(torture_reclaim, "mstat_torture: drive reclaim, idle_ms and the preferred-order fault");
static char *torture_client = "";
module_param(torture_client, charp, 0444);
MODULE_PARM_DESC(torture_client,
		 "mstat_torture: a client module to load and unload throughout (kunit/mstat_tclient.c), by /bin/insmod and /bin/rmmod from the initramfs; empty: none");
static unsigned int torture_selftest;
module_param(torture_selftest, uint, 0444);
MODULE_PARM_DESC(torture_selftest,
		 "mstat_torture: fail on purpose, to see the checks work: 1 write into a pooled object, 2 a mistake not counted, 4 free an owned object behind its owner's back, 8 one object the client handed over not counted as such");

/*
 * KUnit gives a case 300 s in 6.12.  The end of a round (stopping,
 * freeing, reclaim, the limbo) took half a second under TCG with KASAN;
 * the rest is margin for a slower or busier host.
 */
#define TORT_ROUND_S		200
#define TORT_MAX_ROUNDS		64
#define TORT_MISTAKERS		4	/* workers with classes of their own */
#define TORT_ANCHORS		32
#define TORT_RING		8
#define TORT_BULK		8	/* objects of one bulk call */
#define TORT_POOL		512
#define TORT_LARGE_MAX		(320 * 1024)
#define TORT_IRQ_LARGE_MAX	(64 * 1024)
#define TORT_PAT		0x9e3779b97f4a7c15ULL

/* owners: a worker's id times four plus the context */
enum { TORT_TASK, TORT_HARDIRQ, TORT_SOFTIRQ, TORT_POOLED };
enum { TORT_SITE_TASK, TORT_SITE_IRQ, TORT_SITE_MISTAKE };

/* a live object the torture owns (kmalloc'd, never mstat's) */
struct tobj {
	struct hlist_node node;	/* in tort_live */
	void *p;
	size_t usable;
	u64 tag;		/* owner << 32 | serial */
	struct mstat_cache *cache;	/* a typed cache's object, or NULL */
};

/*
 * Two typed caches, made before a round's threads start and destroyed
 * after its checks: one plain, one SLAB_TYPESAFE_BY_RCU and cache-line
 * aligned.  One task allocation in 16 comes from one of them.
 */
static struct mstat_cache *tort_caches[2];
static const unsigned int tort_typed_size[2] = { 72, 200 };

/* What the round did and found; atomics, bumped from every context. */
static struct {
	atomic_long_t allocs, frees, rcu_frees, nulls, kernel_nulls, handoffs, irq_ops, checks;
	atomic_long_t inj_bad, inj_double, inj_stale, inj_simul, stale_limbo;
	atomic_long_t kinds[6];
	atomic_long_t reads, site_reads, hotplugs, hotplug_busy, reclaims, faults;
	atomic_long_t client_loads, client_adopted;
	atomic_t simul_cls[MSTAT_NR_CLASSES];	/* slack for nfree > nmalloc */
	atomic_t nfail;
} ts;

static char tort_first[256];
static DEFINE_RAW_SPINLOCK(tort_first_lock);
static DECLARE_BITMAP(tort_cls_seen, MSTAT_NR_CLASSES);
static DECLARE_BITMAP(tort_reserved, MSTAT_NR_CLASSES);
static u64 tort_end;			/* ktime_get_ns(): the round's deadline */
static bool tort_stopping;

/* Count a failure, print it, and keep the first for KUNIT_FAIL(); any context. */
static __printf(1, 2) void tort_fail(const char *fmt, ...)
{
	unsigned long flags;
	char buf[256];
	va_list args;

	va_start(args, fmt);
	vsnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);
	if (atomic_inc_return(&ts.nfail) <= 30)
		pr_err("mstat-torture: FAIL: %s\n", buf);
	raw_spin_lock_irqsave(&tort_first_lock, flags);
	if (!tort_first[0])
		strscpy(tort_first, buf);
	raw_spin_unlock_irqrestore(&tort_first_lock, flags);
}

static bool tort_running(void)
{
	return !READ_ONCE(tort_stopping) && ktime_get_ns() < READ_ONCE(tort_end);
}

/* ------------------------------------------------------- live objects */

#define TORT_LIVE_BITS	10
#define TORT_LIVE_LOCKS	64
static DEFINE_HASHTABLE(tort_live, TORT_LIVE_BITS);
static spinlock_t tort_live_lock[TORT_LIVE_LOCKS];

static unsigned long tort_addr(const void *p)
{
	return (unsigned long)kasan_reset_tag(p);
}

static spinlock_t *tort_live_lock_of(unsigned long addr)
{
	return &tort_live_lock[hash_long(addr, TORT_LIVE_BITS) % TORT_LIVE_LOCKS];
}

/* Register @o as live; an address already live was handed out twice. */
static void tort_live_add(struct tobj *o)
{
	unsigned long addr = tort_addr(o->p), flags;
	spinlock_t *lock = tort_live_lock_of(addr);
	struct tobj *other;

	spin_lock_irqsave(lock, flags);
	hash_for_each_possible(tort_live, other, node, addr) {
		if (tort_addr(other->p) == addr) {
			tort_fail("%p (%zu B) handed out to %llu, owner %llu serial %llu has it",
				  o->p, o->usable, o->tag >> 32, other->tag >> 32,
				  other->tag & U32_MAX);
			break;
		}
	}
	hash_add(tort_live, &o->node, addr);
	spin_unlock_irqrestore(lock, flags);
}

static void tort_live_del(struct tobj *o)
{
	unsigned long flags;
	spinlock_t *lock = tort_live_lock_of(tort_addr(o->p));

	spin_lock_irqsave(lock, flags);
	hash_del(&o->node);
	spin_unlock_irqrestore(lock, flags);
}

/* ------------------------------------------------------------ objects */

static void tort_fill(struct tobj *o)
{
	u64 *w = o->p;
	size_t i;

	for (i = 0; i < o->usable / 8; i++)
		w[i] = o->tag ^ (i * TORT_PAT);
}

/* Every byte of @o as its owner wrote it?  Reports the first word that is not. */
static bool tort_check(struct tobj *o, const char *when)
{
	const u64 *w = o->p;
	size_t i;

	atomic_long_inc(&ts.checks);
	for (i = 0; i < o->usable / 8; i++) {
		u64 got = READ_ONCE(w[i]), other = got ^ (i * TORT_PAT);

		if (got == (o->tag ^ (i * TORT_PAT)))
			continue;
		tort_fail("%s: %p (%zu B, owner %llu serial %llu) byte %zu: %016llx (%llu %llu's)",
			  when, o->p, o->usable, o->tag >> 32, o->tag & U32_MAX, i * 8, got,
			  other >> 32, other & U32_MAX);
		return false;
	}
	return true;
}

static u64 tort_tag(unsigned int owner)
{
	static atomic_t serial;

	return (u64)owner << 32 | (u32)atomic_inc_return(&serial);
}

/*
 * The mistakes' call site, in a function of its own: its row is the one
 * where two CPUs freeing an object at once may show a free too many.
 */
static void *tort_mistake_alloc(size_t size, gfp_t gfp)
{
	return mstat_alloc(size, gfp);
}

/* Three call sites of mstat_alloc(), one per kind of user, each a row of its own. */
static void *tort_mstat_alloc(size_t size, gfp_t gfp, int site)
{
	switch (site) {
	case TORT_SITE_IRQ:
		return mstat_alloc(size, gfp);
	case TORT_SITE_MISTAKE:
		return tort_mistake_alloc(size, gfp);
	default:
		/* one in eight asks for a node: any, or a possible one, with memory or not */
		if (!(get_random_u32() & 7))
			return mstat_alloc_node(size, gfp,
						(int)get_random_u32_below(nr_node_ids + 1) - 1);
		return mstat_alloc(size, gfp);
	}
}

/*
 * Allocate, check what mstat gave (usable size, zeroing), fill and
 * register; the record with @rgfp.  NULL when mstat (or the record's
 * kmalloc) had no memory.  Called as it is where a lock is held, so that
 * no GFP_KERNEL is in sight of a lock (coccicheck).
 */
static void tort_adopt(struct tobj *o, size_t size, gfp_t gfp, unsigned int owner);

static struct tobj *__tort_new(size_t size, gfp_t gfp, gfp_t rgfp, unsigned int owner,
			       int site)
{
	struct tobj *o = kmalloc(sizeof(*o), rgfp);
	u32 r;

	if (!o)
		return NULL;
	o->cache = NULL;
	r = get_random_u32();
	if (site == TORT_SITE_TASK && !(r % 16) && tort_caches[r / 16 % 2]) {
		o->cache = tort_caches[r / 16 % 2];
		size = tort_typed_size[r / 16 % 2];
		o->p = mstat_cache_alloc(o->cache, gfp);
	} else {
		o->p = tort_mstat_alloc(size, gfp, site);
	}
	if (!o->p) {
		atomic_long_inc(&ts.nulls);
		if (gfpflags_allow_blocking(gfp))
			atomic_long_inc(&ts.kernel_nulls);
		kfree(o);
		return NULL;
	}
	tort_adopt(o, size, gfp, owner);
	return o;
}

/*
 * Check what mstat gave for @o->p (usable size, zeroing), fill and
 * register it.
 */
static void tort_adopt(struct tobj *o, size_t size, gfp_t gfp, unsigned int owner)
{
	size_t max;

	atomic_long_inc(&ts.allocs);
	o->usable = mstat_usable_size(o->p);
	o->tag = tort_tag(owner);
	if (size <= MSTAT_MAX_SMALL && !o->cache)
		set_bit(mstat_size_to_class(size), tort_cls_seen);
	max = max_t(size_t, PAGE_ALIGN(size),
		    size <= MSTAT_MAX_SMALL ? mstat_classes[mstat_size_to_class(size)].size : 0);
	if (o->usable < size || o->usable > max || o->usable % 8)
		tort_fail("mstat_usable_size() %zu for a request of %zu", o->usable, size);
	o->usable = min(o->usable, max);
	if ((gfp & __GFP_ZERO) && memchr_inv(o->p, 0, o->usable))
		tort_fail("__GFP_ZERO object %p of %zu B not zeroed", o->p, o->usable);
	tort_fill(o);
	tort_live_add(o);
}

/* __tort_new(), the record as @gfp allows. */
static struct tobj *tort_new(size_t size, gfp_t gfp, unsigned int owner, int site)
{
	return __tort_new(size, gfp, gfpflags_allow_blocking(gfp) ? GFP_KERNEL :
			  GFP_ATOMIC | __GFP_NOWARN, owner, site);
}

static bool tort_reserved_cls(unsigned int cls)
{
	return test_bit(cls, tort_reserved);
}

/*
 * Check, unregister (before mstat may hand the address out again), free:
 * one in eight after a grace period (mstat_free_rcu_ptr(), its head at the
 * object's start), not in the classes kept for mistakes.
 */
static void tort_free(struct tobj *o, const char *when)
{
	bool rcu = o->usable >= sizeof(struct rcu_head) && !(get_random_u32() % 8) &&
		   (o->cache || o->usable > MSTAT_MAX_SMALL ||
		    !tort_reserved_cls(mstat_size_to_class(o->usable)));

	tort_check(o, when);
	tort_live_del(o);
	if (rcu) {
		mstat_free_rcu_ptr(o->p, o->p);
		atomic_long_inc(&ts.rcu_frees);
	} else if (o->cache) {
		mstat_cache_free(o->cache, o->p);
	} else {
		mstat_free(o->p);
	}
	atomic_long_inc(&ts.frees);
	kfree(o);
}

/* A new owner rewrites the object: its pattern, from this CPU. */
static void tort_retag(struct tobj *o, unsigned int owner)
{
	o->tag = tort_tag(owner);
	tort_fill(o);
}

/* A random size: a class not reserved for mistakes, or large (1 in 32). */
static size_t tort_size(u32 r, bool irq)
{
	unsigned int cls, lo;

	if (r % 32 == 0)
		return MSTAT_MAX_SMALL + 1 + (r >> 5) % ((irq ? TORT_IRQ_LARGE_MAX :
							 TORT_LARGE_MAX) - MSTAT_MAX_SMALL);
	cls = (r >> 5) % MSTAT_NR_SIZES;
	while (tort_reserved_cls(cls))
		cls = (cls + 1) % MSTAT_NR_SIZES;
	if (irq && mstat_classes[cls].size > 8192)
		cls = (r >> 12) % 40;	/* up to 2 KiB; reserved ones are few */
	while (tort_reserved_cls(cls))
		cls = (cls + 1) % MSTAT_NR_CLASSES;
	lo = cls ? mstat_classes[cls - 1].size + 1 : 1;
	return lo + (r >> 16) % (mstat_classes[cls].size - lo + 1);
}

/* --------------------------------------------------------------- pool */

static struct {
	spinlock_t lock;	/* protects the fields below */
	struct tobj *slot[TORT_POOL];
	unsigned int n;
} tort_pool;

/* Hand @o over; the lock orders the owner's writes before the taker's reads. */
static bool tort_pool_put(struct tobj *o)
{
	unsigned long flags;
	bool ok = false;

	spin_lock_irqsave(&tort_pool.lock, flags);
	if (tort_pool.n < TORT_POOL) {
		tort_pool.slot[tort_pool.n++] = o;
		ok = true;
	}
	spin_unlock_irqrestore(&tort_pool.lock, flags);
	if (ok)
		atomic_long_inc(&ts.handoffs);
	return ok;
}

static struct tobj *tort_pool_take(u32 r)
{
	struct tobj *o = NULL;
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&tort_pool.lock, flags);
	if (tort_pool.n) {
		i = r % tort_pool.n;
		o = tort_pool.slot[i];
		tort_pool.slot[i] = tort_pool.slot[--tort_pool.n];
	}
	spin_unlock_irqrestore(&tort_pool.lock, flags);
	return o;
}

/* ------------------------------------------------------------ workers */

struct tort_worker {
	struct task_struct *task;
	unsigned int id;
	struct rnd_state rnd;
	spinlock_t lock;	/* held around some GFP_ATOMIC allocations */
	struct tobj **own;
	unsigned int nown;
	/* mistakers only: classes of their own, and anchors pinning their spans */
	unsigned int dcls, scls, tcls;	/* double, simultaneous, stale; 0: none */
	struct tobj *danchor[TORT_ANCHORS], *sanchor[TORT_ANCHORS];
	unsigned int ndanchor, nsanchor;
	/* the worker's interrupt-context users, each with objects of its own */
	struct hrtimer hrt;
	struct timer_list tl;
	struct tobj *hring[TORT_RING], *sring[TORT_RING];
	unsigned int nhring, nsring;
	unsigned long ops;
	/* two CPUs freeing one object at once */
	call_single_data_t csd;
	void *simul_obj;
	atomic_t simul_ready, simul_go, simul_done;
};

static unsigned int tort_owner(struct tort_worker *w, unsigned int ctx)
{
	return w->id * 4 + ctx;
}

/* One operation in interrupt context, on objects of its own ring or the pool. */
static void tort_irq_op(struct tort_worker *w, struct tobj **ring, unsigned int *n,
			unsigned int owner)
{
	u32 r = get_random_u32();
	struct tobj *o;

	if (!tort_running())
		return;
	atomic_long_inc(&ts.irq_ops);
	switch (r % 4) {
	case 0:
	case 1:
		o = tort_new(tort_size(r >> 2, true), GFP_ATOMIC | __GFP_NOWARN, owner,
			     TORT_SITE_IRQ);
		if (!o)
			break;
		if (*n < TORT_RING)
			ring[(*n)++] = o;
		else if (!tort_pool_put(o))
			tort_free(o, "irq alloc");
		break;
	case 2:
		if (*n)
			tort_free(ring[--(*n)], "irq free");
		break;
	default:
		o = tort_pool_take(r >> 2);
		if (!o)
			break;
		if (tort_check(o, "irq take") && (r & 64) && *n < TORT_RING) {
			tort_retag(o, owner);
			ring[(*n)++] = o;
			break;
		}
		tort_free(o, "irq take");
	}
}

#ifdef CONFIG_PREEMPT_RT
/* PREEMPT_RT: no mstat (nor kmalloc) in hard interrupt context. */
#define TORT_HRTIMER_MODE	HRTIMER_MODE_REL_SOFT
#else
#define TORT_HRTIMER_MODE	HRTIMER_MODE_REL_HARD
#endif

/* torture_irq_us to twice that */
static ktime_t tort_irq_period(void)
{
	return ns_to_ktime((u64)(torture_irq_us + get_random_u32_below(torture_irq_us)) *
			   NSEC_PER_USEC);
}

static enum hrtimer_restart tort_hrtimer_fn(struct hrtimer *t)
{
	struct tort_worker *w = container_of(t, struct tort_worker, hrt);

	tort_irq_op(w, w->hring, &w->nhring, tort_owner(w, TORT_HARDIRQ));
	if (!tort_running())
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, tort_irq_period());
	return HRTIMER_RESTART;
}

static void tort_timer_fn(struct timer_list *t)
{
	struct tort_worker *w = from_timer(w, t, tl);

	tort_irq_op(w, w->sring, &w->nsring, tort_owner(w, TORT_SOFTIRQ));
	if (tort_running())
		mod_timer(&w->tl, jiffies + 1);
}

static gfp_t tort_gfp(u32 r)
{
	switch (r % 8) {
	case 3:
		return GFP_KERNEL | __GFP_ZERO;
	case 4:
	case 6:
	case 7:
		return GFP_ATOMIC | __GFP_NOWARN;
	case 5:
		return GFP_NOWAIT | __GFP_NOWARN;
	default:
		return GFP_KERNEL;
	}
}

static struct tobj *tort_own_take(struct tort_worker *w, u32 r)
{
	struct tobj *o;
	unsigned int i;

	if (!w->nown)
		return NULL;
	i = r % w->nown;
	o = w->own[i];
	w->own[i] = w->own[--w->nown];
	return o;
}

/*
 * mstat_alloc_bulk() of a few objects of one size, each then registered
 * as one of __tort_new()'s; all or nothing.
 */
static void tort_task_alloc_bulk(struct tort_worker *w, size_t size, gfp_t gfp)
{
	unsigned int i, n = min_t(unsigned int, TORT_BULK, torture_objects - w->nown);
	void *p[TORT_BULK];
	struct tobj *o;

	if (n < 2)
		return;
	if (!mstat_alloc_bulk(size, gfp, n, p)) {
		atomic_long_inc(&ts.nulls);
		if (gfpflags_allow_blocking(gfp))
			atomic_long_inc(&ts.kernel_nulls);
		return;
	}
	for (i = 0; i < n; i++) {
		o = kmalloc(sizeof(*o), GFP_KERNEL);
		if (!o) {
			mstat_free_bulk(n - i, p + i);
			return;
		}
		o->cache = NULL;
		o->p = p[i];
		tort_adopt(o, size, gfp, tort_owner(w, TORT_TASK));
		w->own[w->nown++] = o;
	}
}

/* Up to TORT_BULK owned objects, each checked, freed by one mstat_free_bulk(). */
static void tort_free_bulk(struct tort_worker *w, u32 r)
{
	void *p[TORT_BULK];
	unsigned int n = 0;
	struct tobj *o;

	while (n < TORT_BULK && w->nown) {
		o = tort_own_take(w, r);
		tort_check(o, "bulk free");
		tort_live_del(o);
		p[n++] = o->p;
		kfree(o);
		r = r * 1103515245 + 12345;
	}
	mstat_free_bulk(n, p);
	atomic_long_add(n, &ts.frees);
}

static void tort_task_alloc(struct tort_worker *w, u32 r)
{
	unsigned int owner = tort_owner(w, TORT_TASK);
	size_t size = tort_size(prandom_u32_state(&w->rnd), false);
	struct tobj *o;

	switch (r % 8) {
	case 6:		/* GFP_ATOMIC under a spinlock */
		spin_lock(&w->lock);
		o = __tort_new(size, GFP_ATOMIC | __GFP_NOWARN, GFP_ATOMIC | __GFP_NOWARN, owner,
			       TORT_SITE_TASK);
		spin_unlock(&w->lock);
		break;
	case 7:		/* and with softirqs off */
		local_bh_disable();
		o = __tort_new(size, GFP_ATOMIC | __GFP_NOWARN, GFP_ATOMIC | __GFP_NOWARN, owner,
			       TORT_SITE_TASK);
		local_bh_enable();
		break;
	case 5:		/* a few at once, of one small size */
		if (size <= MSTAT_MAX_SMALL) {
			tort_task_alloc_bulk(w, size, tort_gfp(r));
			return;
		}
		fallthrough;
	default:
		o = tort_new(size, tort_gfp(r), owner, TORT_SITE_TASK);
	}
	if (o)
		w->own[w->nown++] = o;
}

static void tort_task_op(struct tort_worker *w)
{
	u32 r = prandom_u32_state(&w->rnd);
	struct tobj *o;

	switch (r % 16) {
	case 0 ... 5:
		if (w->nown < torture_objects)
			tort_task_alloc(w, r >> 4);
		else
			tort_free(tort_own_take(w, r >> 4), "free when full");
		break;
	case 6 ... 8:
		o = tort_own_take(w, r >> 4);
		if (o)
			tort_free(o, "free");
		break;
	case 9:
		tort_free_bulk(w, r >> 4);
		break;
	case 10 ... 11:
		o = tort_own_take(w, r >> 4);
		if (o && !tort_pool_put(o))
			tort_free(o, "pool full");
		break;
	case 12 ... 13:
		o = tort_pool_take(r >> 4);
		if (!o)
			break;
		if (!tort_check(o, "take") || w->nown >= torture_objects) {
			tort_free(o, "take");
			break;
		}
		if (r & BIT(30))
			tort_retag(o, tort_owner(w, TORT_TASK));
		w->own[w->nown++] = o;
		break;
	default:
		if (w->nown)
			tort_check(w->own[(r >> 4) % w->nown], "owned");
	}
}

/* ----------------------------------------------------------- mistakes */

static bool tort_same_span(const void *a, const void *b, unsigned int cls)
{
	unsigned long mask = ~((PAGE_SIZE << mstat_classes[cls].span_order) - 1);

	return (tort_addr(a) & mask) == (tort_addr(b) & mask);
}

/*
 * An object of @cls whose span holds one of @anchors, so that the span
 * stays (not released, not in limbo) whatever the object's frees do.
 * An object in a span with no anchor becomes one, while there is room.
 */
static struct tobj *tort_anchored(struct tort_worker *w, unsigned int cls,
				  struct tobj **anchors, unsigned int *n)
{
	struct tobj *o = tort_new(mstat_classes[cls].size, GFP_KERNEL,
				  tort_owner(w, TORT_TASK), TORT_SITE_MISTAKE);
	unsigned int i;

	if (!o)
		return NULL;
	for (i = 0; i < *n; i++) {
		if (tort_same_span(anchors[i]->p, o->p, cls))
			return o;
	}
	if (*n < TORT_ANCHORS)
		anchors[(*n)++] = o;
	else
		tort_free(o, "unanchored");
	return NULL;
}

/* The first free of a mistake: checked and unregistered; the record goes. */
static void *tort_release(struct tobj *o)
{
	void *p = o->p;

	tort_check(o, "mistake");
	tort_live_del(o);
	kfree(o);
	return p;
}

static long tort_free_here(void *p)
{
	mstat_free(p);
	return 0;
}

static unsigned int tort_other_cpu(void)
{
	unsigned int cpu = cpumask_any_but(cpu_online_mask, raw_smp_processor_id());

	return cpu < nr_cpu_ids ? cpu : raw_smp_processor_id();
}

static void tort_simul_ipi(void *arg)
{
	struct tort_worker *w = arg;
	unsigned int i;

	atomic_set(&w->simul_ready, 1);
	for (i = 0; i < 1000000 && !atomic_read(&w->simul_go); i++)
		cpu_relax();
	mstat_free(w->simul_obj);
	atomic_set_release(&w->simul_done, 1);
}

/*
 * Two CPUs free one object at the same instant: this one and, in an IPI,
 * another.  The README: one of them is refused (double_frees), or both
 * push it and the second copy is withdrawn later (write_after_free).  Not
 * on PREEMPT_RT, where mstat may not be called in hard interrupt context.
 */
static bool tort_simul(struct tort_worker *w)
{
	struct tobj *o;
	unsigned int cpu, i;
	bool done = false;

	if (IS_ENABLED(CONFIG_PREEMPT_RT) || !w->scls)
		return false;
	o = tort_anchored(w, w->scls, w->sanchor, &w->nsanchor);
	if (!o)
		return false;
	cpus_read_lock();
	preempt_disable();
	cpu = tort_other_cpu();
	if (cpu != smp_processor_id()) {
		w->simul_obj = tort_release(o);
		atomic_set(&w->simul_ready, 0);
		atomic_set(&w->simul_go, 0);
		atomic_set(&w->simul_done, 0);
		atomic_inc(&ts.simul_cls[w->scls]);
		atomic_long_inc(&ts.inj_simul);
		if (!smp_call_function_single_async(cpu, &w->csd)) {
			for (i = 0; i < 1000000 && !atomic_read(&w->simul_ready); i++)
				cpu_relax();
			atomic_set(&w->simul_go, 1);
			mstat_free(w->simul_obj);
			done = true;
		} else {
			/* not sent: a plain free, so the injection is not counted twice */
			mstat_free(w->simul_obj);
			atomic_dec(&ts.simul_cls[w->scls]);
			atomic_long_dec(&ts.inj_simul);
		}
		o = NULL;
	}
	preempt_enable();
	if (done) {
		while (!atomic_read_acquire(&w->simul_done))
			cpu_relax();
	}
	cpus_read_unlock();
	if (o)
		tort_free(o, "simul");
	return done;
}

/*
 * Free every object of fresh spans of the worker's stale class, then one
 * of them again: its span is still the pool's (double_frees) or released
 * into the limbo (bad_pointers).  The read-side section keeps the limbo
 * from giving the pages back (where another class could take them and the
 * stale pointer would free a live object: out of mstat's reach).
 */
static bool tort_stale(struct tort_worker *w)
{
	const struct mstat_class *mc = &mstat_classes[w->tcls];
	unsigned int n = min(2 * mc->nobjs + 2 * mc->cache_cap + mc->batch, 512U), i, got;
	unsigned long pfn;
	struct tobj *o;
	void **objs, *victim;
	bool limbo;

	if (!w->tcls)
		return false;
	objs = kmalloc_array(n, sizeof(*objs), GFP_KERNEL);
	if (!objs)
		return false;
	/* each filled, checked and unregistered: only this worker uses the class */
	for (got = 0; got < n; got++) {
		o = tort_new(mc->size, GFP_KERNEL, tort_owner(w, TORT_TASK), TORT_SITE_MISTAKE);
		if (!o)
			break;
		objs[got] = tort_release(o);
	}
	if (!got) {
		kfree(objs);
		return false;
	}
	victim = objs[prandom_u32_state(&w->rnd) % got];
	rcu_read_lock();
	for (i = 0; i < got; i++)
		mstat_free(objs[i]);
	limbo = !mstat_page_info(victim, &pfn);
	mstat_free(victim);
	rcu_read_unlock();
	atomic_long_inc(&ts.inj_stale);
	if (limbo)
		atomic_long_inc(&ts.stale_limbo);
	kfree(objs);
	return true;
}

/* One foreign pointer given to mstat: refused, nothing freed. */
static void tort_foreign_one(void *p, u32 r)
{
	atomic_long_inc(&ts.inj_bad);
	if (r & 16)
		mstat_free(p);
	else if (mstat_usable_size(p))
		tort_fail("mstat_usable_size() of a foreign pointer is not 0");
}

static bool tort_foreign(struct tort_worker *w, u32 r)
{
	u64 on_stack = r;
	struct page *page;
	void *p;

	switch (r % 4) {
	case 0:
		p = kmalloc(8 + r % 4096, GFP_KERNEL);
		if (!p)
			return false;
		tort_foreign_one(p, r);
		kfree(p);
		break;
	case 1:
		tort_foreign_one(&on_stack, r);
		break;
	case 2:
		p = vmalloc(PAGE_SIZE);
		if (!p)
			return false;
		tort_foreign_one(p, r);
		vfree(p);
		break;
	default:
		page = alloc_page(GFP_KERNEL);
		if (!page)
			return false;
		tort_foreign_one(page_address(page), r);
		__free_page(page);
	}
	return true;
}

static bool tort_interior(struct tort_worker *w, u32 r)
{
	struct tobj *o;
	void *p;

	if (!w->nown)
		return false;
	o = w->own[r % w->nown];
	if (o->usable < 16)
		return false;
	/* never a multiple of the object's size: inside it, never the next one */
	p = o->p + 8 * (1 + (r >> 8) % (o->usable / 8 - 1));
	atomic_long_inc(&ts.inj_bad);
	if (r & BIT(30))
		mstat_free(p);
	else if (mstat_usable_size(p))
		tort_fail("mstat_usable_size() of an interior pointer is not 0");
	return true;
}

static void tort_mistake(struct tort_worker *w)
{
	u32 r = prandom_u32_state(&w->rnd);
	unsigned int kind = r % 6;
	struct tobj *o;
	void *p;

	if (!(torture_mistakes & BIT(kind)))
		return;
	switch (BIT(kind)) {
	case TORT_M_INTERIOR:
		if (!tort_interior(w, r >> 3))
			return;
		break;
	case TORT_M_FOREIGN:
		if (!tort_foreign(w, r >> 3))
			return;
		break;
	case TORT_M_DOUBLE:
	case TORT_M_CROSS:
		if (!w->dcls)
			return;
		o = tort_anchored(w, w->dcls, w->danchor, &w->ndanchor);
		if (!o)
			return;
		p = tort_release(o);
		atomic_long_inc(&ts.inj_double);
		if (BIT(kind) == TORT_M_DOUBLE) {
			migrate_disable();
			mstat_free(p);
			mstat_free(p);
			migrate_enable();
		} else {
			mstat_free(p);
			/* work_on_cpu()'s contract: the CPU stays online until it returns */
			cpus_read_lock();
			work_on_cpu(tort_other_cpu(), tort_free_here, p);
			cpus_read_unlock();
		}
		break;
	case TORT_M_STALE:
		if (!tort_stale(w))
			return;
		break;
	case TORT_M_SIMUL:
		if (!tort_simul(w))
			return;
		break;
	}
	atomic_long_inc(&ts.kinds[kind]);
}

/*
 * torture_selftest: what the checks must catch, made by the torture
 * itself, since mstat's own code is not to be broken for it.  Bit 4 is
 * what an allocator handing one object to two owners looks like.
 */
static void tort_selftest(struct tort_worker *w)
{
	struct tobj *o;
	u64 on_stack = 0;

	if (torture_selftest & 1) {
		o = tort_pool_take(0);
		if (o) {
			((u8 *)o->p)[o->usable / 2] ^= 1;
			if (!tort_pool_put(o))
				tort_free(o, "selftest");
		}
	}
	if (torture_selftest & 2)
		mstat_free(&on_stack);
	if ((torture_selftest & 4) && w->nown)
		mstat_free(w->own[0]->p);
}

static int tort_worker_fn(void *arg)
{
	struct tort_worker *w = arg;

	if (torture_irq_us) {
		hrtimer_start(&w->hrt, tort_irq_period(), TORT_HRTIMER_MODE);
		mod_timer(&w->tl, jiffies + 1);
	}
	while (!kthread_should_stop()) {
		if (!tort_running()) {
			schedule_timeout_interruptible(HZ / 20);
			continue;
		}
		tort_task_op(w);
		if (unlikely(torture_selftest) && !w->id && w->ops == 2000)
			tort_selftest(w);
		if (torture_mistake_rate &&
		    prandom_u32_state(&w->rnd) % torture_mistake_rate == 0)
			tort_mistake(w);
		w->ops++;
		cond_resched();
	}
	return 0;
}

/* After its thread and timers stopped: free what the worker holds. */
static void tort_worker_free(struct tort_worker *w)
{
	while (w->nown)
		tort_free(w->own[--w->nown], "end");
	while (w->nhring)
		tort_free(w->hring[--w->nhring], "end");
	while (w->nsring)
		tort_free(w->sring[--w->nsring], "end");
	while (w->ndanchor)
		tort_free(w->danchor[--w->ndanchor], "anchor");
	while (w->nsanchor)
		tort_free(w->sanchor[--w->nsanchor], "anchor");
	kfree(w->own);
}

/* ----------------------------------------------- hotplug and reclaim */

static int tort_hotplug_fn(void *unused)
{
	unsigned int cpu;
	int ret;

	while (!kthread_should_stop()) {
		schedule_timeout_interruptible(msecs_to_jiffies(50 + get_random_u32_below(200)));
		if (!tort_running() || num_online_cpus() < 2)
			continue;
		cpu = cpumask_nth(get_random_u32_below(num_online_cpus()), cpu_online_mask);
		if (!cpu || cpu >= nr_cpu_ids)
			continue;
		ret = remove_cpu(cpu);
		if (ret) {
			atomic_long_inc(&ts.hotplug_busy);
			continue;
		}
		atomic_long_inc(&ts.hotplugs);
		schedule_timeout_uninterruptible(msecs_to_jiffies(get_random_u32_below(100)));
		ret = add_cpu(cpu);
		if (ret)
			tort_fail("add_cpu(%u): %d", cpu, ret);
	}
	return 0;
}

/*
 * The client module's objects that outlive it (kunit/mstat_tclient.c):
 * handed over at its load, checked and freed after its unload.
 */
#define TORT_ADOPTED		16
#define TORT_CLIENT_NAME	"mstat_tclient"
#define TORT_CLIENT_SMALL	64	/* its objects' sizes (kunit/mstat_tclient.c) */
#define TORT_CLIENT_MEDIUM	3000
static struct {
	void *p;
	size_t size;
	u8 fill;
} tort_adopted[TORT_ADOPTED];
static unsigned int tort_nadopted;
static DEFINE_MUTEX(tort_adopt_lock);
static bool tort_client_broken;	/* a load or unload failed: no more this boot */

/**
 * mstat_torture_adopt - the client module hands an object to the torture
 * @p: the object, mstat's
 * @size: bytes of it filled with @fill
 * @fill: the byte
 *
 * Called from the client's init.  The torture frees @p after the client
 * has unloaded.
 */
void mstat_torture_adopt(void *p, size_t size, u8 fill)
{
	mutex_lock(&tort_adopt_lock);
	if (tort_nadopted < TORT_ADOPTED) {
		tort_adopted[tort_nadopted].p = p;
		tort_adopted[tort_nadopted].size = size;
		tort_adopted[tort_nadopted].fill = fill;
		tort_nadopted++;
	} else {
		tort_fail("more than %u objects handed over", TORT_ADOPTED);
		mstat_free(p);
	}
	mutex_unlock(&tort_adopt_lock);
}
EXPORT_SYMBOL_GPL(mstat_torture_adopt);

/* Run @prog @arg from the initramfs; its exit code, or the helper's error. */
static int tort_umh(const char *prog, const char *arg)
{
	char *argv[3], *envp[3];
	int ret;

	argv[0] = (char *)prog;
	argv[1] = (char *)arg;
	argv[2] = NULL;
	envp[0] = "HOME=/";
	envp[1] = "PATH=/bin";
	envp[2] = NULL;
	ret = call_usermodehelper(argv[0], argv, envp, UMH_WAIT_PROC);
	/* a wait status: the exit code in bits 8-15, else (killed) the signal, negated */
	return ret > 0 ? (ret >> 8 & 0xff) ?: -(ret & 0x7f) : ret;
}

/* Live objects of the client's sites in one read (every site fits in @rows). */
static s64 tort_client_live(struct mstat_site_stats *rows)
{
	int n = mstat_read_sites(rows, MSTAT_MAX_SITES), i;
	s64 live = 0;

	if (n < 0) {
		tort_fail("mstat_read_sites(): %d", n);
		return 0;
	}
	for (i = 0; i < min(n, MSTAT_MAX_SITES); i++) {
		if (!strcmp(rows[i].module, TORT_CLIENT_NAME))
			live += rows[i].live_objects;
	}
	return live;
}

/* rmmod, tried again a few times (a reference may be held for a moment); its last result. */
static int tort_client_unload(void)
{
	unsigned int try;
	int ret = 0;

	for (try = 0; try < 5; try++) {
		ret = tort_umh("/bin/rmmod", TORT_CLIENT_NAME);
		if (!ret)
			break;
		schedule_timeout_uninterruptible(HZ / 10);
	}
	return ret;
}

/* Check and free what the client handed over; tort_adopt_lock held. */
static void tort_client_free_adopted(void)
{
	unsigned int i;

	for (i = 0; i < tort_nadopted; i++) {
		if (memchr_inv(tort_adopted[i].p, tort_adopted[i].fill, tort_adopted[i].size))
			tort_fail("an object the client handed over changed");
		mstat_free(tort_adopted[i].p);
	}
	atomic_long_add(tort_nadopted, &ts.client_adopted);
	tort_nadopted = 0;
}

/*
 * Load the client, let it live a little, unload it; then its sites must
 * show what it handed over as live, and after the torture frees those
 * (each checked), nothing.  Its free after a grace period is waited for.
 * Whatever fails, what it handed over is freed.
 */
static void tort_client_cycle(struct mstat_site_stats *rows)
{
	s64 live;
	int ret;

	ret = tort_umh("/bin/insmod", torture_client);
	if (ret) {
		tort_fail("insmod %s: %d", torture_client, ret);
		goto out;
	}
	atomic_long_inc(&ts.client_loads);
	schedule_timeout_uninterruptible(msecs_to_jiffies(get_random_u32_below(50)));
	ret = tort_client_unload();
	if (ret) {
		tort_fail("rmmod %s: %d", TORT_CLIENT_NAME, ret);
		goto out;
	}
	mstat_rcu_barrier();
	mutex_lock(&tort_adopt_lock);
	if (!tort_nadopted)
		tort_fail("the client handed nothing over");
	live = tort_client_live(rows);
	if (torture_selftest & 8)
		live++;
	if (live != tort_nadopted)
		tort_fail("the unloaded client's sites: %lld live, %u handed over",
			  live, tort_nadopted);
	tort_client_free_adopted();
	live = tort_client_live(rows);
	if (live)
		tort_fail("the unloaded client's sites: %lld live after the last free", live);
	mutex_unlock(&tort_adopt_lock);
	return;
out:
	mutex_lock(&tort_adopt_lock);
	tort_client_free_adopted();
	mutex_unlock(&tort_adopt_lock);
	/* no load after a failed one: the first failure is the one to see */
	tort_client_broken = true;
}

static int tort_client_fn(void *arg)
{
	struct mstat_site_stats *rows = arg;

	bool first = true;

	/* KUnit runs before the initramfs is surely unpacked */
	wait_for_initramfs();
	while (!kthread_should_stop()) {
		/* one cycle in every round, however short: the case expects a load */
		if ((first || tort_running()) && !atomic_read(&ts.nfail) && !tort_client_broken)
			tort_client_cycle(rows);
		first = false;
		schedule_timeout_interruptible(msecs_to_jiffies(20 + get_random_u32_below(100)));
	}
	return 0;
}

static int tort_reclaim_fn(void *unused)
{
	static const unsigned int idle[] = { 0, 1, 7, 50, 2000 };

	while (!kthread_should_stop()) {
		schedule_timeout_interruptible(msecs_to_jiffies(20 + get_random_u32_below(100)));
		if (!tort_running())
			continue;
		switch (get_random_u32_below(8)) {
		case 0 ... 3:
			mstat_reclaim_all();
			atomic_long_inc(&ts.reclaims);
			break;
		case 4:
		case 5:
			mstat_set_idle_ms(idle[get_random_u32_below(ARRAY_SIZE(idle))]);
			break;
		case 6:
			/*
			 * A plain bool that mstat reads plainly, made for the
			 * tests: KCSAN would report the race, so not there.
			 */
			if (!IS_ENABLED(CONFIG_KCSAN)) {
				WRITE_ONCE(mstat_fail_preferred, !READ_ONCE(mstat_fail_preferred));
				atomic_long_inc(&ts.faults);
			}
			break;
		default:
			mstat_limbo_drain();
		}
	}
	return 0;
}

/* ------------------------------------------------------------- reader */

struct tort_reader {
	struct mstat_totals *cpus;	/* nr_cpu_ids rows, then the totals */
	struct seq_file m;
	struct mstat_stats prev;
	bool have_prev;
	struct mstat_site_stats *rows, *prev_rows;
	int nprev;
	unsigned long violations;
	unsigned long excused;	/* site rows torn as the README allows */
};

#define TORT_SITE_ROWS	256

static __printf(2, 3) void tort_violation(struct tort_reader *rd, const char *fmt, ...)
{
	char buf[200];
	va_list args;

	va_start(args, fmt);
	vsnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);
	rd->violations++;
	tort_fail("read: %s", buf);
}

/* Slack for nfree > nmalloc: objects two CPUs freed at once, so far. */
static u64 tort_simul_slack(void)
{
	return atomic_long_read(&ts.inj_simul);
}

static u64 tort_simul_bytes(void)
{
	u64 bytes = 0;
	unsigned int cls;

	/* the mistakers' classes are size classes: a typed one's size may change meanwhile */
	for (cls = 0; cls < MSTAT_NR_SIZES; cls++)
		bytes += (u64)atomic_read(&ts.simul_cls[cls]) * mstat_classes[cls].size;
	return bytes;
}

/* The summary's promises, and that cumulative counters never go back. */
static void tort_check_stats(struct tort_reader *rd, const struct mstat_stats *st,
			     const char *src)
{
	static const struct {
		const char *name;
		size_t off;
	} cum[] = {
#define TORT_CUM(f)	{ #f, offsetof(struct mstat_stats, f) }
		TORT_CUM(nmalloc), TORT_CUM(nfree), TORT_CUM(total_alloc_bytes),
		TORT_CUM(total_free_bytes), TORT_CUM(large_nmalloc), TORT_CUM(large_nfree),
		TORT_CUM(nrefill), TORT_CUM(nflush), TORT_CUM(cpu_donations),
		TORT_CUM(bad_pointers), TORT_CUM(double_frees), TORT_CUM(write_after_free),
		TORT_CUM(redzone_errors), TORT_CUM(nreclaim), TORT_CUM(reclaimed_bytes),
#undef TORT_CUM
	};
	u64 slack = tort_simul_slack(), bslack = tort_simul_bytes();
	unsigned int i;

	if (st->live_objects != st->nmalloc - st->nfree)
		tort_violation(rd, "%s: live_objects %llu != nmalloc %llu - nfree %llu", src,
			       st->live_objects, st->nmalloc, st->nfree);
	/* an object waiting for its grace period is live */
	if ((s64)st->rcu_pending < 0 || st->rcu_pending > st->live_objects + slack)
		tort_violation(rd, "%s: rcu_pending %lld, live_objects %llu", src,
			       (s64)st->rcu_pending, st->live_objects);
	if (st->nfree > st->nmalloc + slack)
		tort_violation(rd, "%s: nfree %llu > nmalloc %llu (+%llu freed at once)", src,
			       st->nfree, st->nmalloc, slack);
	if (st->total_free_bytes > st->total_alloc_bytes + bslack)
		tort_violation(rd, "%s: total_free_bytes %llu > total_alloc_bytes %llu", src,
			       st->total_free_bytes, st->total_alloc_bytes);
	if (st->alloc_bytes != st->total_alloc_bytes - st->total_free_bytes)
		tort_violation(rd, "%s: alloc_bytes %llu != %llu - %llu", src, st->alloc_bytes,
			       st->total_alloc_bytes, st->total_free_bytes);
	if (st->large_nfree > st->large_nmalloc || (s64)st->large_alloc_bytes < 0)
		tort_violation(rd, "%s: large nfree %llu nmalloc %llu alloc_bytes %lld", src,
			       st->large_nfree, st->large_nmalloc, (s64)st->large_alloc_bytes);
	if (!(st->large_nmalloc - st->large_nfree) != !st->large_alloc_bytes)
		tort_violation(rd, "%s: %llu live large objects but large_alloc_bytes %llu", src,
			       st->large_nmalloc - st->large_nfree, st->large_alloc_bytes);
	for (i = 0; rd->have_prev && i < ARRAY_SIZE(cum); i++) {
		u64 now = *(const u64 *)((const char *)st + cum[i].off);
		u64 then = *(const u64 *)((const char *)&rd->prev + cum[i].off);

		if (now < then)
			tort_violation(rd, "%s: %s went back from %llu to %llu", src, cum[i].name,
				       then, now);
	}
	rd->prev = *st;
	rd->have_prev = true;
}

/* The counters of one collection: CPU rows sum to totals, per class nfree <= nmalloc. */
static void tort_check_collect(struct tort_reader *rd)
{
	struct mstat_totals *t = &rd->cpus[nr_cpu_ids];
	const u64 *tot = mstat_counter_array(&t->sum);
	u64 cached = 0;
	unsigned int i, cpu;

	for (i = 0; i < MSTAT_NR_COUNTERS; i++) {
		u64 sum = 0;

		for_each_possible_cpu(cpu)
			sum += mstat_counter_array(&rd->cpus[cpu].sum)[i];
		if (sum != tot[i])
			tort_violation(rd, "counter %u: CPU rows sum to %llu, total %llu", i, sum,
				       tot[i]);
	}
	for_each_possible_cpu(cpu)
		cached += rd->cpus[cpu].cached_bytes;
	if (cached != t->cached_bytes)
		tort_violation(rd, "cached_bytes: CPU rows %llu, total %llu", cached,
			       t->cached_bytes);
	for (i = 0; i < MSTAT_NR_CLASSES; i++) {
		if (t->sum.nfree[i] > t->sum.nmalloc[i] + atomic_read(&ts.simul_cls[i]))
			tort_violation(rd, "class %u: nfree %llu > nmalloc %llu", i,
				       t->sum.nfree[i], t->sum.nmalloc[i]);
	}
}

/* /proc/mstat's text of the same collection: what a reader of the file gets. */
static void tort_check_text(struct tort_reader *rd)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
#define TORT_FIELD(f)	{ #f, offsetof(struct mstat_stats, f) }
		TORT_FIELD(alloc_bytes), TORT_FIELD(total_alloc_bytes),
		TORT_FIELD(total_free_bytes), TORT_FIELD(sys_bytes), TORT_FIELD(cached_bytes),
		TORT_FIELD(nmalloc), TORT_FIELD(nfree), TORT_FIELD(live_objects),
		TORT_FIELD(large_nmalloc), TORT_FIELD(large_nfree), TORT_FIELD(large_alloc_bytes),
		TORT_FIELD(nrefill), TORT_FIELD(nflush), TORT_FIELD(cpu_donations),
		TORT_FIELD(bad_pointers), TORT_FIELD(double_frees), TORT_FIELD(write_after_free),
		TORT_FIELD(redzone_errors), TORT_FIELD(nreclaim), TORT_FIELD(reclaimed_bytes),
		TORT_FIELD(rcu_pending),
#undef TORT_FIELD
	};
	u64 cm = 0, cf = 0, cb = 0, pm = 0, pf = 0, pc = 0, slack = atomic_long_read(&ts.inj_simul);
	unsigned int nseen = 0, nclass = 0, i, idx, size;
	struct mstat_stats st = { };
	char *text, *line, name[32];
	s64 pb = 0;

	rd->m.count = 0;
	mstat_render(&rd->m, &rd->cpus[nr_cpu_ids], rd->cpus);
	if (rd->m.count >= rd->m.size) {
		tort_violation(rd, "/proc/mstat text past mstat_text_size() %zu", rd->m.size);
		return;
	}
	rd->m.buf[rd->m.count] = '\0';
	text = rd->m.buf;
	while ((line = strsep(&text, "\n"))) {
		u64 a, b, c, d, e, f;
		int online;
		s64 bytes;

		if (sscanf(line, "class%u %u %llu %llu %llu %llu", &idx, &size, &a, &b, &c,
			   &d) == 6) {
			nclass++;
			cm += a;
			cf += b;
			cb += d;
			if (c != a - b || d != c * size || b > a + slack)
				tort_violation(rd, "row class%u: %llu %llu %llu %llu", idx, a, b,
					       c, d);
		} else if (sscanf(line, "cpu%u %d %llu %llu %lld %llu %llu %llu", &idx,
				  &online, &a, &b, &bytes, &c, &e, &f) == 8) {
			pm += a;
			pf += b;
			pb += bytes;
			pc += c;
		} else if (sscanf(line, "%31s %llu", name, &a) == 2) {
			for (i = 0; i < ARRAY_SIZE(fields); i++) {
				if (!strcmp(name, fields[i].name)) {
					*(u64 *)((char *)&st + fields[i].off) = a;
					nseen++;
				}
			}
		}
	}
	if (nseen != ARRAY_SIZE(fields) || nclass != MSTAT_NR_CLASSES) {
		tort_violation(rd, "/proc/mstat: %u of %zu summary lines, %u class rows", nseen,
			       ARRAY_SIZE(fields), nclass);
		return;
	}
	if (cm + st.large_nmalloc != st.nmalloc || cf + st.large_nfree != st.nfree ||
	    cb + st.large_alloc_bytes != st.alloc_bytes)
		tort_violation(rd, "class rows + large %llu %llu %llu != totals %llu %llu %llu",
			       cm + st.large_nmalloc, cf + st.large_nfree,
			       cb + st.large_alloc_bytes, st.nmalloc, st.nfree, st.alloc_bytes);
	if (pm != st.nmalloc || pf != st.nfree || (u64)pb != st.alloc_bytes ||
	    pc != st.cached_bytes)
		tort_violation(rd, "CPU rows %llu %llu %lld %llu != totals %llu %llu %llu %llu",
			       pm, pf, pb, pc, st.nmalloc, st.nfree, st.alloc_bytes,
			       st.cached_bytes);
	tort_check_stats(rd, &st, "/proc/mstat");
}

static bool tort_same_site(const struct mstat_site_stats *a, const struct mstat_site_stats *b)
{
	return a->line == b->line && !strcmp(a->file, b->file) &&
	       !strcmp(a->function, b->function) && !strcmp(a->module, b->module);
}

static void tort_check_sites(struct tort_reader *rd)
{
	u64 slack = atomic_long_read(&ts.inj_simul), bslack = tort_simul_bytes();
	int n = mstat_read_sites(rd->rows, TORT_SITE_ROWS), i, j;

	atomic_long_inc(&ts.site_reads);
	if (n < 0) {
		tort_violation(rd, "mstat_read_sites(): %d", n);
		return;
	}
	n = min(n, TORT_SITE_ROWS);
	for (i = 0; i < n; i++) {
		const struct mstat_site_stats *s = &rd->rows[i];
		bool torn = (s64)s->live_bytes < 0 || !s->live_bytes != !s->live_objects;

		/*
		 * The README's exception: while two CPUs free one object at
		 * once, its class and site show a free too many.  A site of
		 * several classes then sums one class's -1 object with the
		 * others': live_bytes below 0, or not 0 with live_objects 0.
		 */
		if (torn && slack && !strcmp(s->function, "tort_mistake_alloc") &&
		    (s64)s->live_bytes >= -(s64)bslack) {
			torn = false;
			rd->excused++;
		}
		if (s->nfree > s->nmalloc + slack || s->live_objects != s->nmalloc - s->nfree ||
		    torn)
			tort_violation(rd,
				       "site %s:%u %s: live_bytes %llu live_objects %llu nmalloc %llu nfree %llu",
				       s->file, s->line, s->function, s->live_bytes,
				       s->live_objects, s->nmalloc, s->nfree);
		for (j = 0; j < rd->nprev; j++) {
			const struct mstat_site_stats *p = &rd->prev_rows[j];

			if (!tort_same_site(s, p))
				continue;
			if (s->nmalloc < p->nmalloc || s->nfree < p->nfree)
				tort_violation(rd,
					       "site %s:%u: nmalloc %llu -> %llu, nfree %llu -> %llu",
					       s->file, s->line, p->nmalloc, s->nmalloc, p->nfree,
					       s->nfree);
			break;
		}
	}
	swap(rd->rows, rd->prev_rows);
	rd->nprev = n;
}

static int tort_reader_fn(void *arg)
{
	struct tort_reader *rd = arg;
	struct mstat_stats st;
	unsigned long n = 0;

	while (!kthread_should_stop()) {
		if (!tort_running()) {
			schedule_timeout_interruptible(HZ / 20);
			continue;
		}
		switch (n++ % 3) {
		case 0:
			mstat_collect(&rd->cpus[nr_cpu_ids], rd->cpus);
			tort_check_collect(rd);
			tort_check_text(rd);
			break;
		case 1:
			mstat_read_stats(&st);
			tort_check_stats(rd, &st, "mstat_read_stats()");
			break;
		default:
			tort_check_sites(rd);
		}
		atomic_long_inc(&ts.reads);
		cond_resched();
	}
	return 0;
}

/* ---------------------------------------------------------- the round */

/* Reserve classes for the mistakers: 16 B to 4 KiB, with no fallback order. */
static unsigned int tort_reserve(unsigned int nmistakers, unsigned int *cls)
{
	unsigned int cand[MSTAT_NR_CLASSES], ncand = 0, want = 3 * nmistakers, i;

	bitmap_zero(tort_reserved, MSTAT_NR_CLASSES);
	for (i = 1; i < MSTAT_NR_SIZES; i++) {
		const struct mstat_class *mc = &mstat_classes[i];

		/* not the client module's: a mistake must not meet its objects */
		if (*torture_client && (i == mstat_size_to_class(TORT_CLIENT_SMALL) ||
					i == mstat_size_to_class(TORT_CLIENT_MEDIUM)))
			continue;
		if (mc->size >= 16 && mc->size <= 4096 && mc->fb_order == mc->span_order)
			cand[ncand++] = i;
	}
	if (ncand < want)
		return 0;
	for (i = 0; i < want; i++) {
		cls[i] = cand[i * ncand / want];
		__set_bit(cls[i], tort_reserved);
	}
	return nmistakers;
}

/* Sum of the live objects of the torture's own sites (tort_*()). */
static s64 tort_site_live(struct kunit *test, struct mstat_site_stats *rows)
{
	int n = mstat_read_sites(rows, TORT_SITE_ROWS), i;
	s64 live = 0;

	KUNIT_EXPECT_GE(test, n, 0);
	for (i = 0; i < min(n, TORT_SITE_ROWS); i++) {
		if (str_has_prefix(rows[i].function, "tort_"))
			live += rows[i].live_objects;
	}
	return live;
}

static void tort_kvfree(void *p)
{
	kvfree(p);
}

static void tort_bring_cpus_online(struct kunit *test)
{
	unsigned int cpu;

	for_each_present_cpu(cpu) {
		if (!cpu_online(cpu))
			KUNIT_EXPECT_EQ_MSG(test, add_cpu(cpu), 0, "CPU %u", cpu);
	}
}

static void tort_stop(struct kunit *test, struct task_struct **t)
{
	if (!IS_ERR_OR_NULL(*t))
		kthread_stop(*t);
	*t = NULL;
}

static const void *tort_gen_round(const void *prev, char *desc)
{
	static unsigned int rounds[TORT_MAX_ROUNDS];
	unsigned int n = clamp(DIV_ROUND_UP(torture_seconds, TORT_ROUND_S), 1U,
			       (unsigned int)TORT_MAX_ROUNDS);
	unsigned int i = prev ? (const unsigned int *)prev - rounds + 1 : 0;

	if (i >= n)
		return NULL;
	rounds[i] = i;
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "round %u of %u", i + 1, n);
	return &rounds[i];
}

static void tort_report(struct kunit *test, unsigned int secs, unsigned int nworkers,
			const struct mstat_stats *a, const struct mstat_stats *b)
{
	kunit_info(test, "%u s, %u workers: %ld allocations (%ld NULL, %ld of them sleeping), %ld frees (%ld after a grace period), %ld hand-overs, %ld in interrupts, %ld checks, %u of %u classes\n",
		   secs, nworkers, atomic_long_read(&ts.allocs), atomic_long_read(&ts.nulls),
		   atomic_long_read(&ts.kernel_nulls), atomic_long_read(&ts.frees),
		   atomic_long_read(&ts.rcu_frees),
		   atomic_long_read(&ts.handoffs), atomic_long_read(&ts.irq_ops),
		   atomic_long_read(&ts.checks), bitmap_weight(tort_cls_seen, MSTAT_NR_CLASSES),
		   MSTAT_NR_SIZES);
	kunit_info(test, "mistakes: %ld interior, %ld foreign, %ld double, %ld cross-CPU, %ld stale (%ld into the limbo), %ld at once; counted: %llu bad_pointers, %llu double_frees, %llu write_after_free\n",
		   atomic_long_read(&ts.kinds[0]), atomic_long_read(&ts.kinds[1]),
		   atomic_long_read(&ts.kinds[2]), atomic_long_read(&ts.kinds[3]),
		   atomic_long_read(&ts.kinds[4]), atomic_long_read(&ts.stale_limbo),
		   atomic_long_read(&ts.kinds[5]), b->bad_pointers - a->bad_pointers,
		   b->double_frees - a->double_frees, b->write_after_free - a->write_after_free);
	kunit_info(test, "%ld reads (%ld of sites), %ld CPUs off and on (%ld refused), %ld reclaims, %ld preferred-order toggles, %llu donations\n",
		   atomic_long_read(&ts.reads), atomic_long_read(&ts.site_reads),
		   atomic_long_read(&ts.hotplugs), atomic_long_read(&ts.hotplug_busy),
		   atomic_long_read(&ts.reclaims), atomic_long_read(&ts.faults),
		   b->cpu_donations - a->cpu_donations);
	if (*torture_client)
		kunit_info(test, "client %s: %ld loads and unloads, %ld objects outlived it\n",
			   torture_client, atomic_long_read(&ts.client_loads),
			   atomic_long_read(&ts.client_adopted));
}

/* The exactness of the mistakes' counts (README, "Hardening"). */
static void tort_expect_counted(struct kunit *test, const struct mstat_stats *a,
				const struct mstat_stats *b)
{
	s64 bad = b->bad_pointers - a->bad_pointers - atomic_long_read(&ts.inj_bad);
	s64 dbl = b->double_frees - a->double_frees - atomic_long_read(&ts.inj_double);
	s64 waf = b->write_after_free - a->write_after_free;
	s64 stale = atomic_long_read(&ts.inj_stale), simul = atomic_long_read(&ts.inj_simul);

	/* a stale free is bad_pointers or double_frees; one at once double_frees or waf */
	KUNIT_EXPECT_GE_MSG(test, bad, 0, "bad_pointers below the %ld injected",
			    atomic_long_read(&ts.inj_bad));
	KUNIT_EXPECT_LE_MSG(test, bad, stale, "bad_pointers beyond the injected and stale");
	KUNIT_EXPECT_GE_MSG(test, dbl, 0, "double_frees below the %ld injected",
			    atomic_long_read(&ts.inj_double));
	KUNIT_EXPECT_LE(test, waf, simul);
	KUNIT_EXPECT_EQ_MSG(test, bad + dbl + waf, stale + simul,
			    "stale %lld and at-once %lld frees counted %lld + %lld + %lld times",
			    stale, simul, bad, dbl, waf);
	KUNIT_EXPECT_EQ(test, b->redzone_errors, a->redzone_errors);
}

static void mstat_torture_run(struct kunit *test)
{
	unsigned int round = *(const unsigned int *)test->param_value;
	unsigned int secs = min(torture_seconds - min(torture_seconds, round * TORT_ROUND_S),
				(unsigned int)TORT_ROUND_S);
	unsigned int nworkers = torture_threads ?: num_online_cpus(), nmistakers, i;
	unsigned int rcls[3 * TORT_MISTAKERS], idle_ms = mstat_idle_ms;
	struct task_struct *hotplug = NULL, *reclaim = NULL, *reader = NULL, *client = NULL;
	struct mstat_site_stats *client_rows = NULL;
	struct mstat_stats *a, *b;
	struct tort_worker *w;
	struct tort_reader *rd;
	s64 site_live0, dlive, dbytes;
	u64 t0, t1;

	if (!secs)
		secs = 1;
	KUNIT_ASSERT_GT_MSG(test, torture_objects, 0U, "mstat.torture_objects=0");
	kunit_info(test, "mstat-kunit: mstat reports expected from here\n");
	memset(&ts, 0, sizeof(ts));
	tort_first[0] = '\0';
	bitmap_zero(tort_cls_seen, MSTAT_NR_CLASSES);
	for (i = 0; i < TORT_LIVE_LOCKS; i++)
		spin_lock_init(&tort_live_lock[i]);
	hash_init(tort_live);
	spin_lock_init(&tort_pool.lock);
	tort_pool.n = 0;
	nmistakers = tort_reserve(min_t(unsigned int, nworkers, TORT_MISTAKERS), rcls);

	a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	w = kunit_kcalloc(test, nworkers, sizeof(*w), GFP_KERNEL);
	rd = kunit_kzalloc(test, sizeof(*rd), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, a && b && w && rd);
	rd->cpus = kunit_kcalloc(test, nr_cpu_ids + 1, sizeof(*rd->cpus), GFP_KERNEL);
	rd->m.size = mstat_text_size();
	rd->m.buf = kunit_kzalloc(test, rd->m.size + 1, GFP_KERNEL);
	rd->rows = kunit_kcalloc(test, TORT_SITE_ROWS, sizeof(*rd->rows), GFP_KERNEL);
	rd->prev_rows = kunit_kcalloc(test, TORT_SITE_ROWS, sizeof(*rd->rows), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, rd->cpus && rd->m.buf && rd->rows && rd->prev_rows);
	if (*torture_client && !tort_client_broken) {
		client_rows = kvcalloc(MSTAT_MAX_SITES, sizeof(*client_rows), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, client_rows);
		KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, tort_kvfree, client_rows), 0);
	}

	tort_caches[0] = mstat_cache_create("mstat_tort", tort_typed_size[0], 0, 0, NULL);
	tort_caches[1] = mstat_cache_create("mstat_tort_rcu", tort_typed_size[1], 0,
					    SLAB_TYPESAFE_BY_RCU | SLAB_HWCACHE_ALIGN, NULL);
	KUNIT_EXPECT_TRUE(test, tort_caches[0] && tort_caches[1]);
	mstat_reclaim_all();
	mstat_read_stats(a);
	site_live0 = tort_site_live(test, rd->rows);
	WRITE_ONCE(tort_stopping, false);
	t0 = ktime_get_ns();
	WRITE_ONCE(tort_end, t0 + secs * NSEC_PER_SEC);

	for (i = 0; i < nworkers; i++) {
		w[i].id = i;
		prandom_seed_state(&w[i].rnd, get_random_u64());
		spin_lock_init(&w[i].lock);
		w[i].own = kcalloc(torture_objects, sizeof(*w[i].own), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, w[i].own);
		if (i < nmistakers) {
			w[i].dcls = rcls[3 * i];
			w[i].scls = rcls[3 * i + 1];
			w[i].tcls = rcls[3 * i + 2];
		}
		hrtimer_init(&w[i].hrt, CLOCK_MONOTONIC, TORT_HRTIMER_MODE);
		w[i].hrt.function = tort_hrtimer_fn;
		timer_setup(&w[i].tl, tort_timer_fn, 0);
		INIT_CSD(&w[i].csd, tort_simul_ipi, &w[i]);
		w[i].task = kthread_run(tort_worker_fn, &w[i], "mstat_tort/%u", i);
		KUNIT_EXPECT_FALSE(test, IS_ERR(w[i].task));
	}
	if (torture_hotplug && IS_ENABLED(CONFIG_HOTPLUG_CPU) && num_present_cpus() > 1)
		hotplug = kthread_run(tort_hotplug_fn, NULL, "mstat_tort_hp");
	if (torture_reclaim)
		reclaim = kthread_run(tort_reclaim_fn, NULL, "mstat_tort_rc");
	reader = kthread_run(tort_reader_fn, rd, "mstat_tort_rd");
	if (client_rows) {
		client = kthread_run(tort_client_fn, client_rows, "mstat_tort_cl");
		KUNIT_EXPECT_FALSE(test, IS_ERR(client));
	}

	while (ktime_get_ns() < tort_end && !atomic_read(&ts.nfail))
		schedule_timeout_interruptible(HZ / 10);

	WRITE_ONCE(tort_stopping, true);
	t1 = ktime_get_ns();
	/* first: a cycle under way ends with the client unloaded */
	tort_stop(test, &client);
	if (client_rows) {
		KUNIT_EXPECT_GT_MSG(test, atomic_long_read(&ts.client_loads), 0L,
				    "the client module never loaded");
		mutex_lock(&tort_adopt_lock);
		KUNIT_EXPECT_EQ_MSG(test, tort_nadopted, 0U, "the client's objects left over");
		tort_client_free_adopted();
		mutex_unlock(&tort_adopt_lock);
	}
	tort_stop(test, &hotplug);
	tort_stop(test, &reclaim);
	tort_stop(test, &reader);
	for (i = 0; i < nworkers; i++) {
		tort_stop(test, &w[i].task);
		hrtimer_cancel(&w[i].hrt);
		timer_shutdown_sync(&w[i].tl);
	}
	tort_bring_cpus_online(test);
	WRITE_ONCE(mstat_fail_preferred, false);
	mstat_set_idle_ms(idle_ms);
	for (i = 0; i < nworkers; i++)
		tort_worker_free(&w[i]);
	while (tort_pool.n)
		tort_free(tort_pool.slot[--tort_pool.n], "pool at end");
	if (!hash_empty(tort_live))
		KUNIT_FAIL(test, "the torture lost track of live objects");

	/* what waits for a grace period is freed before the counts are compared */
	mstat_rcu_flush();
	mstat_reclaim_all();
	mstat_limbo_drain();
	mstat_read_stats(b);
	tort_report(test, secs, nworkers, a, b);
	kunit_info(test, "ran %llu ms, ended in %llu ms; sys_bytes %llu before, %llu after\n",
		   (t1 - t0) / NSEC_PER_MSEC, (ktime_get_ns() - t1) / NSEC_PER_MSEC,
		   a->sys_bytes, b->sys_bytes);

	/*
	 * Conservation, exact.  A withdrawn copy (two CPUs freed one object
	 * at once) counts as an allocation against the extra free, and the
	 * other copy lives on as a normal free object: nothing stays live.
	 */
	dlive = b->live_objects - a->live_objects;
	dbytes = b->alloc_bytes - a->alloc_bytes;
	KUNIT_EXPECT_EQ_MSG(test, dlive, 0LL, "live objects after the round (%llu withdrawn)",
			    b->write_after_free - a->write_after_free);
	KUNIT_EXPECT_EQ_MSG(test, dbytes, 0LL, "live bytes after the round");
	KUNIT_EXPECT_EQ(test, b->large_alloc_bytes, a->large_alloc_bytes);
	KUNIT_EXPECT_EQ(test, b->large_nmalloc - b->large_nfree,
			a->large_nmalloc - a->large_nfree);
	KUNIT_EXPECT_EQ_MSG(test, b->cached_bytes, 0ULL, "cached after mstat_reclaim_all()");
	KUNIT_EXPECT_EQ_MSG(test, tort_site_live(test, rd->rows) - site_live0, dlive,
			    "the torture's sites' live objects");
	tort_expect_counted(test, a, b);
	KUNIT_EXPECT_EQ_MSG(test, rd->violations, 0UL, "read invariants broken");
	KUNIT_EXPECT_EQ(test, b->rcu_pending, 0ULL);
	for (i = 0; i < ARRAY_SIZE(tort_caches); i++) {
		unsigned int cls = tort_caches[i] ? tort_caches[i]->cls : 0;

		mstat_cache_destroy(tort_caches[i]);
		tort_caches[i] = NULL;
		/* destroyed with nothing live: every page back */
		if (cls)
			KUNIT_EXPECT_EQ(test, mstat_class_pages(cls), 0UL);
	}
	kunit_info(test, "%lu site rows with a free too many (two CPUs freeing at once)\n",
		   rd->excused);
	if (atomic_read(&ts.nfail))
		KUNIT_FAIL(test, "%d failures, the first: %s", atomic_read(&ts.nfail), tort_first);
}

static struct kunit_case mstat_torture_cases[] = {
	KUNIT_CASE_PARAM_ATTR(mstat_torture_run, tort_gen_round, { .speed = KUNIT_SPEED_SLOW }),
	{}
};

static struct kunit_suite mstat_torture_suite = {
	.name = "mstat_torture",
	.test_cases = mstat_torture_cases,
};

kunit_test_suite(mstat_torture_suite);

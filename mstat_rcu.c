// SPDX-License-Identifier: GPL-2.0
/*
 * mstat RCU frees: mstat_free_rcu(), kfree_rcu()'s counterpart.
 *
 * As kvfree_call_rcu() (kernel/rcu/tree.c) does, objects wait per CPU for
 * a batch in pages of pointers, chained through their rcu_heads when no
 * page can be had: each context's cache keeps its own (written by its
 * owner under its lock, mstat_rcu_queue()), and a per-CPU work item,
 * MSTAT_RCU_DELAY after the first object or at once past MSTAT_RCU_BATCH
 * of them, takes both contexts' of its CPU into one batch that waits for
 * one grace period (queue_rcu_work()) and is then freed in process
 * context, each object claimed before anything after it is followed.  A
 * kernel object (include/mstat_slab.h) goes to the kernel's own
 * kvfree_call_rcu().  A dead CPU's objects become a batch at its
 * teardown.  An object is live in every count until its batch frees it;
 * rcu_pending counts the ones waiting, as rcu_queued less rcu_freed, the
 * latter a free counter read in a read's first pass.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/export.h>
#include <linux/gfp.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <mstat.h>

#include "mstat_internal.h"

/* How long objects wait for more to join their batch. */
#define MSTAT_RCU_DELAY		(HZ / 50)

struct mstat_rcu_batch {
	struct rcu_work rwork;
	struct mstat_rcu_pending p[MSTAT_NR_CTX];
};

/*
 * A CPU's batching work, and the CPU whose lists it is for; and the work
 * mstat_rcu_flush() takes them with, which no kick can re-arm.
 */
struct mstat_rcu_monitor {
	struct delayed_work work;
	struct work_struct flush;
	unsigned int cpu;
};

static struct mstat_rcu_monitor __percpu *mstat_rcu_monitors;

/*
 * Free the objects of a list of heads (the fallback) whose grace period
 * is over.  Each head's object and next are read before the object is
 * claimed, and next is followed only if the claim found the object still
 * marked: a client that freed it again at the same instant, on another
 * CPU's fast path, may have had it handed out since and its head written
 * over; the rest of such a list is not followed (its objects stay live,
 * reported).
 */
static void mstat_rcu_free_list(struct rcu_head *head)
{
	struct rcu_head *next;
	void *obj;

	while (head) {
		/* as many as the fast free takes, under one lock; then one by the general path */
		head = mstat_rcu_free_chain(head);
		if (!head)
			break;
		obj = (void *)READ_ONCE(head->func);
		next = READ_ONCE(head->next);
		if (!mstat_rcu_free(obj)) {
			pr_err_ratelimited("an object given to mstat_free_rcu() was freed again meanwhile: its batch stops at %p\n",
					   obj);
			return;
		}
		head = next;
		cond_resched();
	}
}

/*
 * Free the objects of a pointer page whose grace period is over, and the
 * page.  An object freed again meanwhile (a client's double free racing
 * its mstat_free_rcu()) is refused by its claim and reported; the others
 * go on, as nothing of it is read.
 */
static void mstat_rcu_free_block(struct mstat_rcu_block *b)
{
	unsigned long i = 0, got;

	while (i < b->n) {
		got = mstat_rcu_free_array(b->objs + i, b->n - i);
		i += got;
		/* one freed again meanwhile is reported there, and the others go on */
		if (i < b->n && got < MSTAT_RCU_CHAIN)
			mstat_rcu_free(b->objs[i++]);
		cond_resched();
	}
	free_page((unsigned long)b);
}

static void mstat_rcu_free_pending(struct mstat_rcu_pending *p)
{
	struct mstat_rcu_block *b, *next;

	for (b = p->blocks; b; b = next) {
		next = b->next;
		mstat_rcu_free_block(b);
	}
	mstat_rcu_free_list(p->heads);
}

/* After the grace period, in process context. */
static void mstat_rcu_batch_fn(struct work_struct *work)
{
	struct mstat_rcu_batch *b = container_of(to_rcu_work(work), struct mstat_rcu_batch, rwork);
	unsigned int ctx;

	for (ctx = 0; ctx < MSTAT_NR_CTX; ctx++)
		mstat_rcu_free_pending(&b->p[ctx]);
	kfree(b);
}

/*
 * Free one CPU's pending objects, both contexts', after a grace period.
 * Process context; waits for the grace period itself if no batch can be
 * allocated.
 */
static void mstat_rcu_batch(struct mstat_rcu_pending task, struct mstat_rcu_pending irq)
{
	struct mstat_rcu_batch *b;

	if (!task.blocks && !task.heads && !irq.blocks && !irq.heads)
		return;
	b = kmalloc(sizeof(*b), GFP_KERNEL | __GFP_NOWARN);
	if (!b) {
		synchronize_rcu();
		mstat_rcu_free_pending(&task);
		mstat_rcu_free_pending(&irq);
		return;
	}
	b->p[MSTAT_TASK] = task;
	b->p[MSTAT_IRQ] = irq;
	INIT_RCU_WORK(&b->rwork, mstat_rcu_batch_fn);
	queue_rcu_work(mstat_wq, &b->rwork);
}

/* The calling CPU's pending objects, both contexts', into one batch. */
static void mstat_rcu_take_here(void)
{
	struct mstat_rcu_pending task = mstat_rcu_take(true);

	mstat_rcu_batch(task, mstat_rcu_take(false));
}

/*
 * The lists of the CPU the work runs on: its own CPU's, except while the
 * CPU's workqueue pool is not bound to it (the CPU going down or coming
 * up): then the CPU it was for is kicked again, so that its lists are not
 * left waiting.
 */
static void mstat_rcu_monitor(struct work_struct *work)
{
	struct mstat_rcu_monitor *m = container_of(to_delayed_work(work),
						   struct mstat_rcu_monitor, work);

	mstat_rcu_take_here();
	if (raw_smp_processor_id() != m->cpu && cpu_online(m->cpu))
		queue_delayed_work_on(m->cpu, mstat_wq, &m->work, MSTAT_RCU_DELAY);
}

static void mstat_rcu_flush_fn(struct work_struct *work)
{
	mstat_rcu_take_here();
}

/*
 * mstat_rcu_queue()'s @kick: @cpu is the calling CPU, pinned by a cache's
 * lock; @full, its list reached MSTAT_RCU_BATCH: batch it at the next
 * tick, not after the delay.  The work is bound to the CPU whose lists it
 * takes; if the CPU dies first, its teardown takes them
 * (mstat_rcu_dead_cpu()).  Never at once: the caller may hold locks a
 * wakeup takes.
 */
static void mstat_rcu_kick(unsigned int cpu, bool full)
{
	struct mstat_rcu_monitor *m = per_cpu_ptr(mstat_rcu_monitors, cpu);

	if (full)
		mod_delayed_work_on(cpu, mstat_wq, &m->work, 1);
	else if (!delayed_work_pending(&m->work))
		queue_delayed_work_on(cpu, mstat_wq, &m->work, MSTAT_RCU_DELAY);
}

/**
 * mstat_free_rcu_ptr - free an object after an RCU grace period
 * @ptr: the object (general or of a typed cache); NULL is ignored
 * @head: an rcu_head inside it, which mstat may use until the free (when
 *	no page for its pointer can be had, as kfree_rcu() uses its head)
 *
 * kfree_rcu()'s counterpart: the object is freed once every RCU reader
 * that may see it is done, with no callback of the caller's, so that the
 * caller's module may go before that.  Until then it stays live in every
 * count, and counts in rcu_pending.  A pointer mstat does not own, an
 * object already free or already given to this call, is reported and
 * left alone, as by mstat_free().  Callable wherever mstat_free() is.
 */
void mstat_free_rcu_ptr(const void *ptr, struct rcu_head *head)
{
	if (ZERO_OR_NULL_PTR(ptr))
		return;
	mstat_rcu_queue(ptr, head, _RET_IP_, mstat_rcu_kick);
}
EXPORT_SYMBOL_GPL(mstat_free_rcu_ptr);

/**
 * mstat_rcu_flush - free every object given to mstat_free_rcu() so far
 *
 * Before a typed cache goes, and at unload.
 *
 * Context: process context; sleeps.
 */
void mstat_rcu_flush(void)
{
	unsigned int cpu;

	/*
	 * Every online CPU's lists, by a work of their own that no kick
	 * re-arms; and whatever a monitor took before, its batch queued.
	 */
	cpus_read_lock();
	for_each_online_cpu(cpu)
		queue_work_on(cpu, mstat_wq, &per_cpu_ptr(mstat_rcu_monitors, cpu)->flush);
	for_each_online_cpu(cpu)
		flush_work(&per_cpu_ptr(mstat_rcu_monitors, cpu)->flush);
	cpus_read_unlock();
	for_each_possible_cpu(cpu)
		flush_delayed_work(&per_cpu_ptr(mstat_rcu_monitors, cpu)->work);
	/*
	 * queue_rcu_work()'s callbacks queue the batches' works; the flush
	 * waits for those queued before it, not for later ones.
	 */
	rcu_barrier();
	flush_workqueue(mstat_wq);
}

/**
 * mstat_rcu_dead_cpu - batch a dead CPU's lists
 * @cpu: the CPU, dead: nothing else touches its caches
 *
 * Context: CPU hotplug teardown, process context.
 */
void mstat_rcu_dead_cpu(unsigned int cpu)
{
	struct mstat_rcu_pending task = mstat_rcu_take_dead(per_cpu_ptr(mstat_caches[MSTAT_TASK],
									 cpu));

	mstat_rcu_batch(task, mstat_rcu_take_dead(per_cpu_ptr(mstat_caches[MSTAT_IRQ], cpu)));
}

/**
 * mstat_rcu_barrier - wait until every object given to mstat_free_rcu() so far is freed
 *
 * kvfree_rcu_barrier()'s counterpart: for a client that must know its
 * objects are gone, not only unreachable.  mstat_cache_destroy() and
 * unload wait so by themselves.
 *
 * Context: process context; sleeps.  Takes the CPU hotplug lock and
 * flushes mstat's workqueue: not from a hotplug callback, with that lock
 * held, or from a work item of mstat's.
 */
void mstat_rcu_barrier(void)
{
	mstat_rcu_flush();
}
EXPORT_SYMBOL_GPL(mstat_rcu_barrier);

#if IS_ENABLED(CONFIG_MSTAT_KUNIT_TEST)
/* The tests': @cpu's lists stay where they are until something kicks them again. */
void mstat_rcu_hold(unsigned int cpu)
{
	cancel_delayed_work_sync(&per_cpu_ptr(mstat_rcu_monitors, cpu)->work);
}
#endif

int mstat_rcu_init(void)
{
	struct mstat_rcu_monitor *m;
	unsigned int cpu;

	mstat_rcu_monitors = alloc_percpu(struct mstat_rcu_monitor);
	if (!mstat_rcu_monitors)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		m = per_cpu_ptr(mstat_rcu_monitors, cpu);
		INIT_DELAYED_WORK(&m->work, mstat_rcu_monitor);
		INIT_WORK(&m->flush, mstat_rcu_flush_fn);
		m->cpu = cpu;
	}
	return 0;
}

void mstat_rcu_exit(void)
{
	unsigned int cpu;

	if (!mstat_rcu_monitors)	/* a load that failed before mstat_rcu_init() */
		return;
	mstat_rcu_flush();
	/* a kick just before its CPU went offline: its work may still be pending */
	for_each_possible_cpu(cpu) {
		cancel_delayed_work_sync(&per_cpu_ptr(mstat_rcu_monitors, cpu)->work);
		cancel_work_sync(&per_cpu_ptr(mstat_rcu_monitors, cpu)->flush);
	}
	free_percpu(mstat_rcu_monitors);
	mstat_rcu_monitors = NULL;
}

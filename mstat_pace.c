// SPDX-License-Identifier: GPL-2.0
/*
 * mstat pacing: every collection of the counters (the totals, the nodes,
 * the sites) runs between mstat_collect_begin() and mstat_collect_end(),
 * one at a time, at least read_gap_us after the previous one; a typed
 * class's retyping, between two collections.
 */
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/sched/signal.h>

#include "mstat_internal.h"

#if IS_ENABLED(CONFIG_MSTAT_KUNIT_TEST)
/* Lets the tests act between the steps of a read. */
void (*mstat_read_hook)(unsigned int pass, unsigned int i);

void mstat_read_step(unsigned int pass, unsigned int i)
{
	if (mstat_read_hook)
		mstat_read_hook(pass, i);
}
#endif

/*
 * Reads are paced: a collection starts at least read_gap_us after the
 * previous one ended, whoever asked, so that readers at any rate cost the
 * allocating CPUs a bounded share (a collection pulls the counters' cache
 * lines away from their writers).  A read that comes too soon waits; it
 * never gets an older collection, so what it returns was read after it
 * began.
 */
unsigned int mstat_read_gap_us = 1000;
/* A reader may wait this long for each collection ahead of it: bounded. */
#define MSTAT_MAX_READ_GAP_US	USEC_PER_SEC

int mstat_read_gap_set(const char *val, const struct kernel_param *kp)
{
	unsigned int us;
	int ret = kstrtouint(val, 0, &us);

	if (ret)
		return ret;
	if (us > MSTAT_MAX_READ_GAP_US)
		return -ERANGE;
	WRITE_ONCE(mstat_read_gap_us, us);
	return 0;
}

static const struct kernel_param_ops mstat_read_gap_ops = {
	.set = mstat_read_gap_set,
	.get = param_get_uint,
};
module_param_cb(read_gap_us, &mstat_read_gap_ops, &mstat_read_gap_us, 0644);
MODULE_PARM_DESC(read_gap_us, "least time between two collections of the counters, in us, at most 1000000 (default 1000)");

static DEFINE_MUTEX(mstat_collect_lock);
static u64 mstat_next_collect_ns;	/* under mstat_collect_lock */

/**
 * mstat_collect_begin - start a collection of counters, paced
 *
 * Every collection, of the totals or of the sites, runs between this and
 * mstat_collect_end(): one at a time, at least read_gap_us after the
 * previous one, with the hotplug lock held for reading.  May sleep.
 */
void mstat_collect_begin(void)
{
	u64 now;

	mutex_lock(&mstat_collect_lock);
	now = ktime_get_ns();
	if (now < mstat_next_collect_ns)
		fsleep(div_u64(mstat_next_collect_ns - now, NSEC_PER_USEC) + 1);
	cpus_read_lock();
}

/**
 * mstat_collect_begin_killable - mstat_collect_begin() for a reader a fatal signal may stop
 *
 * For the /proc files: a task killed while it waits for the collections
 * ahead of it (each up to read_gap_us apart) goes at once.
 *
 * Return: 0 (then call mstat_collect_end()), or -EINTR.
 */
int mstat_collect_begin_killable(void)
{
	u64 now;

	if (mutex_lock_killable(&mstat_collect_lock))
		return -EINTR;
	/* as fsleep() waits, to the microsecond, not to the jiffy */
	while ((now = ktime_get_ns()) < mstat_next_collect_ns) {
		ktime_t until = ns_to_ktime(mstat_next_collect_ns);

		set_current_state(TASK_KILLABLE);
		schedule_hrtimeout_range(&until, mstat_next_collect_ns - now, HRTIMER_MODE_ABS);
		if (fatal_signal_pending(current)) {
			mutex_unlock(&mstat_collect_lock);
			return -EINTR;
		}
	}
	cpus_read_lock();
	return 0;
}

void mstat_collect_end(void)
{
	cpus_read_unlock();
	mstat_next_collect_ns = ktime_get_ns() +
				(u64)READ_ONCE(mstat_read_gap_us) * NSEC_PER_USEC;
	mutex_unlock(&mstat_collect_lock);
}

/*
 * A typed class whose cache was destroyed with nothing live may go to a
 * cache of another size (mstat_cache_create()): its counts go on, and the
 * bytes of its past objects, counted at the new size from then on, are
 * corrected by mstat_retyped_bytes() (modulo 2^64: the correction may be
 * negative).  The retyping holds the collections' lock, and every read
 * takes the typed classes' sizes and the correction with its counts under
 * it (mstat_collect_locked(), mstat_collect_sites()), so that a read never
 * counts one class's bytes at two sizes and total_alloc_bytes and
 * total_free_bytes never go back.
 */
static u64 mstat_retyped;	/* under mstat_collect_lock */

/**
 * mstat_retype_begin - a typed class is about to change size
 * @bytes: what its past objects' bytes at the old size exceed the same
 *	count at the new one by (modulo 2^64)
 *
 * The caller holds the typed caches' lock, not the hotplug lock (a
 * collection takes it under this one), then sets the class up and calls
 * mstat_retype_end().  It waits for a collection under way, and for one
 * that waits out read_gap_us under the lock, but adds no gap of its own.
 */
void mstat_retype_begin(u64 bytes)
{
	mutex_lock(&mstat_collect_lock);
	mstat_retyped += bytes;
}

void mstat_retype_end(void)
{
	mutex_unlock(&mstat_collect_lock);
}

/* The bytes the retypings left; between mstat_collect_begin() and _end(). */
u64 mstat_retyped_bytes(void)
{
	lockdep_assert_held(&mstat_collect_lock);
	return mstat_retyped;
}

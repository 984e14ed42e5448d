// SPDX-License-Identifier: GPL-2.0
/*
 * mstat_tclient: the torture's client module (kunit/mstat_torture.c,
 * mstat.torture_client=; built and put in an initramfs by
 * scripts/torture.sh).  The torture loads and unloads it again and again
 * while its workers, readers, hotplug and reclaim run.  At load it
 * allocates at call sites of its own (small, zeroed, large, and from a
 * typed cache it makes, of one of 32 sizes at random, so that slots are
 * retyped while the torture reads), fills each object, and hands half of the general
 * ones to the torture (mstat_torture_adopt()), which checks and frees them
 * once the module is gone: sites whose module has unloaded keep counting
 * live objects until the last is freed.  At unload it checks the rest,
 * frees one after an RCU grace period (the module may go first) and the
 * others at once, and destroys its cache.
 */
#include <linux/bug.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <mstat.h>

#include "mstat_internal.h"	/* mstat_torture_adopt() */

#define TCL_OBJS	9
#define TCL_TYPED	4
#define TCL_TYPED_MIN	96	/* a size of 32 at random: slots retyped under the readers */
#define TCL_TRIES	20	/* the torture fails every Nth span allocation */

static void *tcl_objs[TCL_OBJS];
static size_t tcl_sizes[TCL_OBJS];
static struct mstat_cache *tcl_cache;
static unsigned int tcl_typed_size;
static void *tcl_typed[TCL_TYPED];

static u8 tcl_fill(unsigned int i)
{
	return 0xc0 + i;
}

/* An object of the i-th kind, retried: injected span failures come and go. */
static void *tcl_alloc(unsigned int i)
{
	unsigned int try;
	void *p = NULL;

	for (try = 0; try < TCL_TRIES && !p; try++) {
		switch (i % 3) {
		case 0:
			p = mstat_alloc(tcl_sizes[i], GFP_KERNEL);
			break;
		case 1:
			p = mstat_zalloc(tcl_sizes[i], GFP_KERNEL);
			break;
		default:
			p = mstat_alloc(tcl_sizes[i], GFP_KERNEL);
			break;
		}
		if (!p)
			cond_resched();
	}
	return p;
}

static void *tcl_typed_alloc(void)
{
	unsigned int try;
	void *p = NULL;

	for (try = 0; try < TCL_TRIES && !p; try++)
		p = mstat_cache_alloc(tcl_cache, GFP_KERNEL);
	return p;
}

static void tcl_free_all(void)
{
	unsigned int i;

	for (i = 0; i < TCL_OBJS; i++) {
		if (tcl_objs[i])
			WARN(memchr_inv(tcl_objs[i], tcl_fill(i), tcl_sizes[i]),
			     "mstat_tclient: object %u changed while owned\n", i);
		/* one waits for a grace period: the module may be gone by then */
		if (i == 1 && tcl_objs[i])
			mstat_free_rcu_ptr(tcl_objs[i], tcl_objs[i]);
		else
			mstat_free(tcl_objs[i]);
		tcl_objs[i] = NULL;
	}
	for (i = 0; i < TCL_TYPED; i++) {
		if (tcl_typed[i])
			WARN(memchr_inv(tcl_typed[i], 0x5c, tcl_typed_size),
			     "mstat_tclient: typed object %u changed while owned\n", i);
		mstat_cache_free(tcl_cache, tcl_typed[i]);
		tcl_typed[i] = NULL;
	}
	mstat_cache_destroy(tcl_cache);
	tcl_cache = NULL;
}

static int __init tcl_init(void)
{
	unsigned int i;

	for (i = 0; i < TCL_OBJS; i++) {
		tcl_sizes[i] = i % 3 == 0 ? 64 : i % 3 == 1 ? 3000 : 50000;
		tcl_objs[i] = tcl_alloc(i);
		if (!tcl_objs[i])
			goto fail;
		memset(tcl_objs[i], tcl_fill(i), tcl_sizes[i]);
	}
	tcl_typed_size = TCL_TYPED_MIN + 8 * get_random_u32_below(32);
	tcl_cache = mstat_cache_create("mstat_tclient", tcl_typed_size, 0, 0, NULL);
	if (!tcl_cache)
		goto fail;
	for (i = 0; i < TCL_TYPED; i++) {
		tcl_typed[i] = tcl_typed_alloc();
		if (!tcl_typed[i])
			goto fail;
		memset(tcl_typed[i], 0x5c, tcl_typed_size);
	}
	/* every other object outlives the module: the torture frees it */
	for (i = 0; i < TCL_OBJS; i += 2) {
		mstat_torture_adopt(tcl_objs[i], tcl_sizes[i], tcl_fill(i));
		tcl_objs[i] = NULL;
	}
	return 0;
fail:
	tcl_free_all();
	return -ENOMEM;
}

static void __exit tcl_exit(void)
{
	tcl_free_all();
}

module_init(tcl_init);
module_exit(tcl_exit);
MODULE_DESCRIPTION("mstat torture's client module");
MODULE_LICENSE("GPL");

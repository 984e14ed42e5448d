// SPDX-License-Identifier: GPL-2.0
/*
 * mstat_dropin: plain slab API code, built with "-include mstat_slab.h"
 * (Kbuild), checking at load that each call went where the header says:
 * mstat's objects counted exactly, the kernel's own handed back to it,
 * SLUB's caches left to SLUB.  It prints "mstat_dropin: N checks, M
 * failed" and a line per failure (scripts/e2e_checks.py reads them).
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

static unsigned int nchecks, nfailed;

#define CHECK(cond) do {							\
	nchecks++;								\
	if (!(cond)) {								\
		nfailed++;							\
		pr_err("mstat_dropin: FAIL line %d: %s\n", __LINE__, #cond);	\
	}									\
} while (0)

struct dropin_obj {
	u64 a;
	struct rcu_head rcu;
	char name[40];
};

static atomic_t ctor_calls = ATOMIC_INIT(0);

static void dropin_ctor(void *p)
{
	atomic_inc(&ctor_calls);
	((struct dropin_obj *)p)->a = 42;
}

static struct mstat_stats st0, st1;

static u64 dmalloc(void)
{
	return st1.nmalloc - st0.nmalloc;
}

static u64 dfree(void)
{
	return st1.nfree - st0.nfree;
}

static void snap0(void)
{
	mstat_read_stats(&st0);
}

static void snap1(void)
{
	mstat_read_stats(&st1);
}

static void dropin_general(void)
{
	struct dropin_obj *o;
	void *p[12], *v;
	char *s;
	size_t i;

	snap0();
	p[0] = kmalloc(100, GFP_KERNEL);
	p[1] = kzalloc(200, GFP_KERNEL);
	p[2] = kmalloc_array(10, 30, GFP_KERNEL);
	p[3] = kcalloc(4, 64, GFP_KERNEL);
	p[4] = kmemdup("dropin", 7, GFP_KERNEL);
	p[5] = kstrdup("mstat", GFP_KERNEL);
	p[6] = kstrndup("allocator", 5, GFP_KERNEL);
	p[7] = kmalloc_node(64, GFP_KERNEL, NUMA_NO_NODE);
	p[8] = kzalloc_node(64, GFP_KERNEL, first_memory_node);
	p[9] = kvmalloc(5000, GFP_KERNEL);
	p[10] = kvzalloc(30000, GFP_KERNEL);
	p[11] = kvcalloc(10, 10, GFP_KERNEL);
	snap1();
	for (i = 0; i < ARRAY_SIZE(p); i++)
		CHECK(p[i] && !is_vmalloc_addr(p[i]));
	CHECK(dmalloc() == ARRAY_SIZE(p));
	CHECK(!memchr_inv(p[1], 0, 200) && !memchr_inv(p[3], 0, 256));
	CHECK(!memchr_inv(p[10], 0, 30000));
	CHECK(!strcmp(p[5], "mstat") && !strcmp(p[6], "alloc"));
	CHECK(ksize(p[0]) >= 100 && ksize(p[0]) == mstat_usable_size(p[0]));
	v = krealloc(p[0], 3000, GFP_KERNEL);
	CHECK(v && ksize(v) >= 3000);
	if (v)
		p[0] = v;
	v = krealloc_array(p[2], 20, 30, GFP_KERNEL);
	CHECK(v);
	if (v)
		p[2] = v;
	CHECK(!kmalloc_array(SIZE_MAX / 2, 4, GFP_KERNEL));
	snap0();
	kfree_sensitive(p[0]);
	for (i = 1; i < ARRAY_SIZE(p); i++) {
		if (i >= 9)
			kvfree(p[i]);
		else
			kfree(p[i]);
	}
	snap1();
	CHECK(dfree() == ARRAY_SIZE(p));

	/* above what mstat serves: vmalloc, not counted, freed by kvfree() */
	snap0();
	v = kvmalloc(16 << 20, GFP_KERNEL);
	CHECK(v && is_vmalloc_addr(v));
	kvfree(v);
	snap1();
	CHECK(dmalloc() == 0 && dfree() == 0);

	/* the kernel's own objects, freed here: handed back, not reported */
	snap0();
	s = kasprintf(GFP_KERNEL, "dropin %d", 1);
	CHECK(s && ksize(s) >= 9);
	kfree(s);
	s = kstrdup_kernel("kernel", GFP_KERNEL);
	CHECK(s);
	kvfree(s);
	s = kmalloc_kernel(64 << 10, GFP_KERNEL);	/* a large kmalloc: a compound page */
	CHECK(s);
	kfree(s);
	o = kmalloc_kernel(sizeof(*o), GFP_KERNEL);
	CHECK(o);
	kfree_rcu(o, rcu);
	snap1();
	CHECK(dmalloc() == 0 && dfree() == 0);
	CHECK(st1.bad_pointers == st0.bad_pointers && st1.double_frees == st0.double_frees);

	/* the kernel's own again: resized, freed after a grace period, const, sensitive */
	snap0();
	s = kasprintf(GFP_KERNEL, "dropin %d", 2);
	v = krealloc(s, 200, GFP_KERNEL);
	CHECK(v);
	kfree(v ?: s);
	v = kvmalloc(16 << 20, GFP_KERNEL);	/* vmalloc'd */
	CHECK(v && is_vmalloc_addr(v));
	if (v)
		kvfree_rcu((struct dropin_obj *)v, rcu);
	kfree_const(kstrdup_const("dropin", GFP_KERNEL));
	v = kvmalloc(64, GFP_KERNEL);
	kvfree_sensitive(v, 64);
	v = kmalloc(64, GFP_KERNEL);
#ifdef MSTAT_KMEM_CACHE_ARGS
	s = kvrealloc(v, 5000, GFP_KERNEL);
#else
	s = kvrealloc(v, 64, 5000, GFP_KERNEL);
#endif
	CHECK(s && ksize(s) >= 5000);
	kvfree(s ?: v);
	{
		void (*free_fn)(const void *) = kfree;	/* its address routes too */

		free_fn(kmalloc(8, GFP_KERNEL));
	}
	snap1();
	CHECK(dmalloc() == 4 && dfree() == 4);
	CHECK(st1.bad_pointers == st0.bad_pointers && st1.double_frees == st0.double_frees);

	/* bulk, and __free(kfree) where the kernel has it */
	snap0();
	for (i = 0; i < 8; i++)
		p[i] = kmalloc(48, GFP_KERNEL);
	kfree_bulk(8, p);
#ifdef DEFINE_FREE
	{
		char *scoped __free(kfree) = kmalloc(32, GFP_KERNEL);

		CHECK(scoped);
	}
#else
	kfree(kmalloc(32, GFP_KERNEL));
#endif
	snap1();
	CHECK(dmalloc() == 9 && dfree() == 9);
}

static void dropin_caches(void)
{
	struct kmem_cache *a, *b, *c, *slub;
	struct dropin_obj *o, *q[16];
	unsigned int calls;

	snap0();
	a = KMEM_CACHE(dropin_obj, SLAB_HWCACHE_ALIGN);
	b = kmem_cache_create("dropin_ctor", sizeof(struct dropin_obj), 0, 0, dropin_ctor);
#ifdef MSTAT_KMEM_CACHE_ARGS	/* 6.12's struct kmem_cache_args */
	struct kmem_cache_args args = { .align = 64, .ctor = dropin_ctor };

	c = kmem_cache_create("dropin_args", 100, &args, 0);
#else
	c = kmem_cache_create_usercopy("dropin_args", 100, 64, 0, 0, 100, dropin_ctor);
#endif
	CHECK(a && b && c);
	if (!a || !b || !c)
		goto out;
	CHECK(mstat_cache_is(a) && mstat_cache_is(b) && mstat_cache_is(c));
	CHECK(kmem_cache_size(b) == sizeof(struct dropin_obj) && kmem_cache_shrink(a) == 0);
	o = kmem_cache_zalloc(a, GFP_KERNEL);
	CHECK(o && !memchr_inv(o, 0, sizeof(*o)) && IS_ALIGNED((unsigned long)o, 64));
	kmem_cache_free(a, o);
	o = kmem_cache_alloc(b, GFP_KERNEL);
	calls = atomic_read(&ctor_calls);
	CHECK(o && o->a == 42 && calls > 0);
	kmem_cache_free(b, o);
	o = kmem_cache_alloc_node(c, GFP_KERNEL, NUMA_NO_NODE);
	CHECK(o && o->a == 42 && IS_ALIGNED((unsigned long)o, 64));
	kmem_cache_free(c, o);
	o = kmem_cache_alloc_lru(b, NULL, GFP_KERNEL);
	CHECK(o);
	kfree(o);	/* kfree() takes a cache's object, as it does SLUB's */
	CHECK(kmem_cache_alloc_bulk(a, GFP_KERNEL, ARRAY_SIZE(q), (void **)q) == ARRAY_SIZE(q));
	kmem_cache_free_bulk(a, ARRAY_SIZE(q), (void **)q);
	o = kmem_cache_alloc(a, GFP_KERNEL);
	CHECK(o);
	kfree_rcu(o, rcu);
	snap1();
	CHECK(dmalloc() == 5 + ARRAY_SIZE(q));
	/* the RCU free waits for its grace period, or has just ended it */
	CHECK(dfree() + st1.rcu_pending - st0.rcu_pending == 5 + ARRAY_SIZE(q));
#ifdef MSTAT_HAVE_KVFREE_RCU_BARRIER
	/* 6.12's kvfree_rcu_barrier() waits for mstat's objects too */
	kvfree_rcu_barrier();
	snap1();
	CHECK(st1.rcu_pending == 0 && dfree() == 5 + ARRAY_SIZE(q));
#endif

	/* a cache mstat cannot make (objects above 32 KiB) is SLUB's, and stays so */
	slub = kmem_cache_create("dropin_big", 40000, 0, 0, NULL);
	CHECK(slub && !mstat_cache_is(slub) && kmem_cache_size(slub) == 40000);
	kmem_cache_destroy(slub);
	/* a cache SLUB made (here, through the kernel's own call) stays SLUB's */
	slub = kmem_cache_create_kernel("dropin_slub", 64, 0, 0, NULL);
	CHECK(slub && !mstat_cache_is(slub));
	if (slub) {
		snap0();
		o = kmem_cache_alloc(slub, GFP_KERNEL);
		CHECK(o);
		kmem_cache_free(slub, o);
		kmem_cache_destroy(slub);
		snap1();
		CHECK(dmalloc() == 0 && dfree() == 0);
	}
out:
	kmem_cache_destroy(a);
	kmem_cache_destroy(b);
	kmem_cache_destroy(c);
}

static int __init dropin_init(void)
{
	dropin_general();
	dropin_caches();
	pr_info("mstat_dropin: %u checks, %u failed\n", nchecks, nfailed);
	return 0;
}

static void __exit dropin_exit(void)
{
}

module_init(dropin_init);
module_exit(dropin_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("slab API code on mstat through mstat_slab.h, checked at load");

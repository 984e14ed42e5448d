// SPDX-License-Identifier: GPL-2.0
/*
 * mstat typed caches: kmem_cache's contract (mm/slab_common.c) on mstat.
 *
 * A typed cache is a class of its own, after the size classes: one of
 * MSTAT_MAX_TYPED slots in every per-CPU cache and in every node's pools.
 * So its objects take the same paths as a size class's (the fast paths,
 * refills, remote frees, reclaim, donation), are counted per CPU and per
 * site as theirs are, and never mix with another class's: a free object
 * stays what its client left, constructed (the constructor runs once per
 * object, as its span is carved: mstat_central_grow()) or, with
 * SLAB_TYPESAFE_BY_RCU, an object of the same cache until a grace period
 * has passed (a span goes back to the page allocator only through its
 * pool's limbo).  The slots are set and given back under mstat_typed_lock;
 * the allocation and free paths read a slot's class, written before the
 * cache is handed to its client.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cache.h>
#include <linux/export.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <mstat.h>

#include "mstat_internal.h"

/**
 * struct mstat_typed_slot - one class of the typed caches
 * @cache: the cache that has it, NULL if free
 * @used: whether a cache ever had it: a cache of another size then
 *	retypes it (mstat_retype_begin())
 * @base: allocations (and frees, as many) of the class when its last cache
 *	was destroyed with none live: where its next cache's counts start
 */
struct mstat_typed_slot {
	struct mstat_cache *cache;
	bool used;
	u64 base;
};

static DEFINE_MUTEX(mstat_typed_lock);
static struct mstat_typed_slot mstat_slots[MSTAT_MAX_TYPED];
/* every cache made and not destroyed, and those destroyed with live objects */
static LIST_HEAD(mstat_typed_caches);

/* SLUB's calculate_alignment(): a cache line, halved while two objects fit in it. */
static unsigned int mstat_typed_align(unsigned int size, unsigned int align, slab_flags_t flags)
{
	unsigned int ralign;

	if (flags & SLAB_HWCACHE_ALIGN) {
		ralign = cache_line_size();
		while (size <= ralign / 2)
			ralign /= 2;
		align = max(align, ralign);
	}
	return max_t(unsigned int, align, MSTAT_MIN_SIZE);
}

/*
 * A slot for objects of @size: one given back by a cache of that size,
 * else a new one, else one given back by a cache of another size.
 */
static int mstat_typed_slot(unsigned int size)
{
	int i, fresh = -1, other = -1;

	lockdep_assert_held(&mstat_typed_lock);
	for (i = 0; i < MSTAT_MAX_TYPED; i++) {
		if (mstat_slots[i].cache)
			continue;
		if (!mstat_slots[i].used) {
			if (fresh < 0)
				fresh = i;
		} else if (mstat_classes[MSTAT_NR_SIZES + i].size == size) {
			return i;
		} else if (other < 0) {
			other = i;
		}
	}
	return fresh >= 0 ? fresh : other;
}

/**
 * mstat_cache_create - make a typed cache, kmem_cache_create()'s counterpart
 * @name: its name in /proc/mstat_caches (copied), with no blank or backslash
 * @size: bytes of each object, 1 to 32 KiB
 * @align: alignment of each object, a power of two up to PAGE_SIZE, or 0
 *	(8 bytes)
 * @flags: SLAB_HWCACHE_ALIGN aligns objects to a cache line (a fraction of
 *	one for small objects, as SLUB does); SLAB_TYPESAFE_BY_RCU keeps a
 *	freed object's memory an object of this cache until an RCU grace
 *	period has passed; SLAB_PANIC panics if the cache cannot be made;
 *	SLAB_CACHE_DMA and SLAB_CACHE_DMA32 are refused.  Other flags are
 *	accepted and have no effect (SLAB_ACCOUNT: mstat charges no memcg,
 *	as for __GFP_ACCOUNT)
 * @ctor: called on each object once, when its memory is carved, not at
 *	each allocation; a client frees an object in its constructed state
 *
 * The cache's objects are counted apart (/proc/mstat_caches, and a class
 * row of its own in /proc/mstat) and per call site (/proc/mstat_sites).
 * At most 16 typed caches exist at once.  A cache destroyed with no live
 * objects gives its slot to the next cache, of its object size first;
 * one leaked keeps it.
 *
 * Context: process context, not under cpus_read_lock() (it waits for a
 * collection of the counters, which takes it); sleeps.
 *
 * Return: the cache, or NULL (its reason in the kernel log).
 */
struct mstat_cache *mstat_cache_create(const char *name, unsigned int size, unsigned int align,
				       slab_flags_t flags, void (*ctor)(void *))
{
	unsigned int osize, stride, red_left, cls;
	struct mstat_class *mc;
	struct mstat_cache *s;
	int slot;

	might_sleep();
	if (!name || !*name || strpbrk(name, " \t\n\\") || !size || size > MSTAT_MAX_SMALL ||
	    (align && (!is_power_of_2(align) || align > PAGE_SIZE))) {
		pr_err("%s(%s): name, size %u or align %u out of range\n", __func__,
		       name ?: "(null)", size, align);
		goto fail;
	}
	/* mstat serves normal memory only, as it refuses __GFP_DMA */
	if (flags & (SLAB_CACHE_DMA | SLAB_CACHE_DMA32)) {
		pr_err("%s(%s): no DMA zones in mstat\n", __func__, name);
		goto fail;
	}
	osize = ALIGN(size, MSTAT_MIN_SIZE);
	align = mstat_typed_align(osize, align, flags);
	stride = mstat_debug_layout(osize, align, &red_left);
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		goto fail;
	s->name = kstrdup_const(name, GFP_KERNEL);
	if (!s->name)
		goto fail_free;
	s->magic = MSTAT_CACHE_MAGIC;
	s->object_size = size;
	s->align = align;
	s->flags = flags;

	mutex_lock(&mstat_typed_lock);
	slot = mstat_typed_slot(osize);
	if (slot < 0) {
		mutex_unlock(&mstat_typed_lock);
		pr_err("%s(%s): all %u typed caches in use\n",
		       __func__, name, MSTAT_MAX_TYPED);
		goto fail_free;
	}
	cls = MSTAT_NR_SIZES + slot;
	mc = &mstat_classes[cls];
	/*
	 * No object of the class exists, and none can until the cache is
	 * handed out; a read takes its size under the same lock.  A retyped
	 * slot's past objects keep their bytes in a read's totals.
	 */
	mstat_retype_begin(mstat_slots[slot].base * mc->size - mstat_slots[slot].base * osize);
	mstat_class_setup(cls, osize, stride, red_left);
	mstat_retype_end();
	mc->ctor = ctor;
	mc->flags = MSTAT_CLS_TYPED | (ctor ? MSTAT_CLS_CTOR : 0) |
		    (flags & SLAB_TYPESAFE_BY_RCU ? MSTAT_CLS_RCU : 0);
	s->cls = cls;
	s->base = mstat_slots[slot].base;
	mstat_slots[slot].cache = s;
	mstat_slots[slot].used = true;
	list_add_tail(&s->list, &mstat_typed_caches);
	mutex_unlock(&mstat_typed_lock);
	return s;

fail_free:
	kfree_const(s->name);
	kfree(s);
fail:
	if (flags & SLAB_PANIC)
		panic("%s(%s) failed\n", __func__, name ?: "(null)");
	return NULL;
}
EXPORT_SYMBOL_GPL(mstat_cache_create);

/**
 * mstat_cache_destroy - destroy a typed cache, kmem_cache_destroy()'s counterpart
 * @s: the cache, or NULL
 *
 * Every CPU's cached objects of @s go back to its pools, and its pages to
 * the page allocator, after a grace period (so, with SLAB_TYPESAFE_BY_RCU,
 * after every reader that may still look at a freed object).  If objects
 * of @s are still live, they and their pages are leaked and reported (by
 * site in debug mode): nothing that may be in use is freed, the cache
 * stays in /proc/mstat_caches marked "leaked", and its objects may still
 * be freed with mstat_free().  No allocation from @s may race with this.
 *
 * Context: process context; sleeps.
 */
void mstat_cache_destroy(struct mstat_cache *s)
{
	struct mstat_totals *t;
	unsigned long pages;
	u64 live = 0;

	if (!s)
		return;
	might_sleep();
	/* its objects given to mstat_free_rcu() are freed first */
	mstat_rcu_flush();
	mutex_lock(&mstat_typed_lock);
	/* every CPU's objects of the class back to its pools, its free spans to the limbo */
	mstat_reclaim_class(s->cls);
	/* and past their grace period, back to the page allocator */
	mstat_limbo_drain_class(s->cls);
	t = kzalloc(sizeof(*t), GFP_KERNEL | __GFP_NOFAIL);
	mstat_collect(t, NULL);
	live = t->sum.nmalloc[s->cls] - t->sum.nfree[s->cls];
	pages = mstat_class_pages(s->cls);
	if (live || pages) {
		pr_err("%s(%s): %llu objects still live: leaked, with %lu pages\n",
		       __func__, s->name, live, pages);
		if (mstat_debug())
			mstat_leaks_report(s->cls);
		s->leaked = true;
	} else {
		struct mstat_typed_slot *slot = &mstat_slots[s->cls - MSTAT_NR_SIZES];

		slot->base = t->sum.nmalloc[s->cls];
		/* a class that never allocated has no bytes to keep true: any size may have it */
		slot->used = slot->base != 0;
		slot->cache = NULL;
		list_del(&s->list);
		kfree_const(s->name);
		WRITE_ONCE(s->magic, 0);
		kfree(s);
	}
	mutex_unlock(&mstat_typed_lock);
	kfree(t);
}
EXPORT_SYMBOL_GPL(mstat_cache_destroy);

/**
 * mstat_cache_size - kmem_cache_size()'s counterpart
 * @s: the cache
 *
 * Return: the object size it was made with.
 */
unsigned int mstat_cache_size(struct mstat_cache *s)
{
	return s->object_size;
}
EXPORT_SYMBOL_GPL(mstat_cache_size);

/* The flags of /proc/mstat_caches' rows. */
static void mstat_typed_flags(struct seq_file *m, const struct mstat_cache *s)
{
	const char *sep = "";

	if (s->flags & SLAB_HWCACHE_ALIGN) {
		seq_puts(m, "hwcache");
		sep = ",";
	}
	if (s->flags & SLAB_TYPESAFE_BY_RCU) {
		seq_printf(m, "%srcu", sep);
		sep = ",";
	}
	if (mstat_classes[s->cls].ctor) {
		seq_printf(m, "%sctor", sep);
		sep = ",";
	}
	if (s->leaked) {
		seq_printf(m, "%sleaked", sep);
		sep = ",";
	}
	if (!*sep)
		seq_putc(m, '-');
}

/**
 * mstat_typed_show - print /proc/mstat_caches: every typed cache, from one read
 * @m: the seq_file
 * @v: unused
 *
 * Return: 0, -ENOMEM, or -EINTR if a fatal signal came while it waited.
 */
int mstat_typed_show(struct seq_file *m, void *v)
{
	struct mstat_totals *t = kzalloc(sizeof(*t), GFP_KERNEL);
	const struct mstat_counters *c = &t->sum;
	struct mstat_cache *s;
	int ret = -EINTR;

	if (!t)
		return -ENOMEM;
	/* as the other /proc files: a reader killed while it waits goes at once */
	if (mutex_lock_killable(&mstat_typed_lock))
		goto out;
	ret = mstat_collect_killable(t, NULL);
	if (ret)
		goto unlock;
	seq_puts(m, "mstat_caches version 1\n");
	seq_puts(m, "# name class size align flags nmalloc nfree live_objects live_bytes cached_objects pages\n");
	list_for_each_entry(s, &mstat_typed_caches, list) {
		unsigned int cls = s->cls;
		u64 nmalloc = c->nmalloc[cls] - s->base, nfree = c->nfree[cls] - s->base;
		s64 cached;

		seq_printf(m, "%s class%u %u %u ", s->name, cls, mstat_classes[cls].size, s->align);
		mstat_typed_flags(m, s);
		/* frees read in the first pass: a drain between the passes can make it -1 */
		cached = c->nrefill_objs[cls] - c->nflush_objs[cls] - c->nmalloc[cls] +
			 c->nfree[cls];
		seq_printf(m, " %llu %llu %llu %llu %llu %lu\n", nmalloc, nfree, nmalloc - nfree,
			   mstat_class_bytes(cls, nmalloc - nfree), max_t(s64, cached, 0),
			   mstat_class_pages(cls));
	}
unlock:
	mutex_unlock(&mstat_typed_lock);
out:
	kfree(t);
	return ret;
}

/* /proc/mstat_caches, root only as /proc/slabinfo; 0 or -ENOMEM */
int mstat_typed_init(void)
{
	return proc_create_single("mstat_caches", 0400, NULL, mstat_typed_show) ? 0 : -ENOMEM;
}

void mstat_typed_proc_exit(void)
{
	remove_proc_entry("mstat_caches", NULL);
}

/* At unload, after every client module: what is left are leaked caches. */
void mstat_typed_exit(void)
{
	struct mstat_cache *s, *tmp;

	list_for_each_entry_safe(s, tmp, &mstat_typed_caches, list) {
		list_del(&s->list);
		kfree_const(s->name);
		kfree(s);
	}
}

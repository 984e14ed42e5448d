// SPDX-License-Identifier: GPL-2.0
/*
 * mstat debug mode (mstat.debug=1 at load), in the spirit of slab_debug's
 * F, Z, P and U: every object sits in a slot
 *
 *	| red zone | object (class size) | red zone | struct mstat_objmeta |
 *
 * The red zones are checked at free.  The object is the whole class size
 * in both modes: mstat_usable_size() bytes are the client's, and
 * mstat_zalloc() zeroes them all, so the slack between the requested size
 * and the class size is no red zone (a client correct in the default mode
 * is correct in debug mode).  A free object is poisoned and the poison
 * checked before it is handed out again; the metadata keeps the last
 * allocation and free of the object (caller, stack through stackdepot
 * where the kernel has it, CPU, PID, time), printed with every report,
 * and /proc/mstat_leaks groups the live objects by allocation site.
 * Every allocation and free takes the general paths: off, debug mode
 * costs the fast paths one static branch.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/stackdepot.h>
#include <linux/stacktrace.h>
#include <linux/string.h>

#include "mstat_internal.h"

static bool mstat_debug_param;
module_param_named(debug, mstat_debug_param, bool, 0444);
MODULE_PARM_DESC(debug, "red zones, poisoning, allocation and free sites, leak report (default 0)");

DEFINE_STATIC_KEY_FALSE(mstat_debug_key);

#define MSTAT_RED		16	/* bytes of red zone on each side */
#define MSTAT_RED_BYTE		0xcc	/* as SLUB_RED_ACTIVE */
#define MSTAT_POISON_BYTE	0x6b	/* as POISON_FREE */
#define MSTAT_STACK_DEPTH	16

/**
 * struct mstat_track - one allocation or free of an object
 * @ip: the caller of mstat_alloc() or mstat_free()
 * @when: jiffies then
 * @stack: the stack, or 0 where the kernel has no stackdepot
 * @cpu: the CPU
 * @pid: the task
 * @gen: mstat_module_gen() then: whether @ip and @stack still name the
 *	code that ran (mstat_ip_newer())
 */
struct mstat_track {
	unsigned long ip;
	unsigned long when;
	depot_stack_handle_t stack;
	int cpu;
	int pid;
	unsigned long gen;
};

/**
 * struct mstat_objmeta - what debug mode knows of an object beyond its state
 * @alloc: its last allocation
 * @free: its last free
 * @req: the size its client asked for
 * @live: 1 from allocation to free
 */
struct mstat_objmeta {
	struct mstat_track alloc;
	struct mstat_track free;
	unsigned int req;
	unsigned int live;
};

static bool mstat_have_stacks;

int mstat_debug_init(void)
{
	if (!mstat_debug_param)
		return 0;
#if IS_ENABLED(CONFIG_STACKDEPOT)
	mstat_have_stacks = !stack_depot_init();
#endif
	static_branch_enable(&mstat_debug_key);
	static_branch_inc(&mstat_slow_key);
	pr_info("debug mode: red zones, poisoning, %s\n",
		mstat_have_stacks ? "allocation and free stacks" : "allocation and free callers");
	return 0;
}

/**
 * mstat_debug_layout - an object's slot: its stride and the bytes before it
 * @size: the object's size, a multiple of 8
 * @align: the alignment of its start, a power of two from 8 to PAGE_SIZE
 * @red_left: set to the bytes of the slot before the object
 *
 * Return: the stride: @size outside debug mode, else room for both red
 * zones and the object's history, aligned to @align.
 */
unsigned int mstat_debug_layout(unsigned int size, unsigned int align, unsigned int *red_left)
{
	if (!mstat_debug_param) {
		*red_left = 0;
		return ALIGN(size, align);
	}
	*red_left = ALIGN(MSTAT_RED, align);
	return ALIGN(*red_left + size + MSTAT_RED + sizeof(struct mstat_objmeta), align);
}

static struct mstat_objmeta *mstat_meta(void *obj, unsigned int cls)
{
	return obj + mstat_classes[cls].size + MSTAT_RED;
}

static void mstat_track_set(struct mstat_track *t, unsigned long ip)
{
	t->ip = ip;
	t->when = jiffies;
	t->cpu = raw_smp_processor_id();
	t->pid = current->pid;
	t->gen = mstat_module_gen();
	t->stack = 0;
#if IS_ENABLED(CONFIG_STACKDEPOT)
	if (mstat_have_stacks) {
		unsigned long entries[MSTAT_STACK_DEPTH];
		unsigned int n = stack_trace_save(entries, ARRAY_SIZE(entries), 2);

		t->stack = stack_depot_save(entries, n, GFP_NOWAIT | __GFP_NOWARN);
	}
#endif
}

/* A kept return address, named only if no module loaded since holds it. */
static void mstat_ip_print(int indent, unsigned long ip, unsigned long gen)
{
	if (mstat_ip_newer(ip, gen))
		pr_err("%*sin a module unloaded since\n", indent, "");
	else
		pr_err("%*s%pS\n", indent, "", (void *)ip);
}

static void mstat_track_print(const char *what, const struct mstat_track *t)
{
	if (!t->ip)
		return;
	pr_err("  %s on cpu %d pid %d, %u ms ago, by:\n", what, t->cpu, t->pid,
	       jiffies_to_msecs(jiffies - t->when));
	mstat_ip_print(3, t->ip, t->gen);
#if IS_ENABLED(CONFIG_STACKDEPOT)
	if (t->stack) {
		unsigned long *entries;
		unsigned int i, n = stack_depot_fetch(t->stack, &entries);

		for (i = 0; i < n; i++)
			mstat_ip_print(4, entries[i], t->gen);
	}
#endif
}

/* A fresh slot: red zones, poison (not where the class keeps its contents), no history. */
void mstat_debug_init_obj(void *obj, unsigned int cls)
{
	const struct mstat_class *mc = &mstat_classes[cls];
	unsigned int size = mc->size;

	memset(obj - MSTAT_RED, MSTAT_RED_BYTE, MSTAT_RED);
	if (!mstat_cls_keeps(mc))
		memset(obj, MSTAT_POISON_BYTE, size);
	memset(obj + size, MSTAT_RED_BYTE, MSTAT_RED);
	memset(obj + size + MSTAT_RED, 0, sizeof(struct mstat_objmeta));
}

/* Whether [@p, @p + @n) still holds @byte; if not, restore it. */
static bool mstat_check_bytes(void *p, u8 byte, size_t n)
{
	if (!memchr_inv(p, byte, n))
		return true;
	memset(p, byte, n);
	return false;
}

static void mstat_check_redzones(void *obj, unsigned int cls, unsigned int from,
				 const char *fn, unsigned long caller)
{
	unsigned int size = mstat_classes[cls].size;
	bool ok;

	ok = mstat_check_bytes(obj - MSTAT_RED, MSTAT_RED_BYTE, MSTAT_RED);
	ok &= mstat_check_bytes(obj + from, MSTAT_RED_BYTE, size - from + MSTAT_RED);
	if (!ok)
		mstat_report(MSTAT_REDZONE, fn, obj, caller);
}

/**
 * mstat_debug_check_alloc - check a free object before it is handed out
 * @obj: the object, its state already checked
 * @cls: its class
 * @caller: mstat_alloc()'s caller, who would have got it
 *
 * Return: false if it was written to while free: the caller withdraws it.
 */
bool mstat_debug_check_alloc(void *obj, unsigned int cls, unsigned long caller)
{
	const struct mstat_class *mc = &mstat_classes[cls];
	unsigned int size = mc->size;

	mstat_check_redzones(obj, cls, size, "mstat_alloc", caller);
	if (mstat_cls_keeps(mc))
		return true;
	/* mstat's own look at a free object: not a use after free */
	mstat_kasan_live(obj, size);
	if (memchr_inv(obj, MSTAT_POISON_BYTE, size)) {
		mstat_kasan_free(obj, mc);
		mstat_report(MSTAT_CORRUPT_FREE, "mstat_alloc", obj, caller);
		return false;
	}
	return true;
}

/* An object handed out: its history; all of its class size is the client's. */
void mstat_debug_alloc_done(void *obj, unsigned int cls, size_t req, unsigned long caller)
{
	struct mstat_objmeta *meta = mstat_meta(obj, cls);

	meta->req = req;
	mstat_track_set(&meta->alloc, caller);
	WRITE_ONCE(meta->live, 1);
}

/**
 * mstat_debug_free - check and poison a live object being freed
 * @obj: the object
 * @cls: its class
 * @caller: mstat_free()'s caller
 *
 * A red zone found written to is reported and restored; the object is
 * freed all the same, since what was overwritten lies outside it.  The
 * whole object is poisoned, unless its class keeps its contents.
 */
void mstat_debug_free(void *obj, unsigned int cls, unsigned long caller)
{
	struct mstat_objmeta *meta = mstat_meta(obj, cls);

	mstat_check_redzones(obj, cls, mstat_classes[cls].size, "mstat_free", caller);
	mstat_track_set(&meta->free, caller);
	WRITE_ONCE(meta->live, 0);
	if (!mstat_cls_keeps(&mstat_classes[cls]))
		memset(obj, MSTAT_POISON_BYTE, mstat_classes[cls].size);
}

/**
 * mstat_debug_print_object - print what is known of an object in a report
 * @ptr: the pointer reported
 */
void mstat_debug_print_object(const void *ptr)
{
	unsigned long pfn, info;
	unsigned int cls;
	size_t usable;

	/* the span cannot be freed under us: see mstat_span_release() */
	rcu_read_lock();
	switch (mstat_owner(ptr, &cls, &usable, &pfn, &info)) {
	case MSTAT_SMALL: {
		struct mstat_objmeta *meta = mstat_meta((void *)ptr, cls);

		pr_err("  object of class %zu bytes, %u requested, %s\n", usable, meta->req,
		       meta->live ? "live" : "free");
		mstat_track_print("allocated", &meta->alloc);
		mstat_track_print("freed", &meta->free);
		break;
	}
	case MSTAT_LARGE: {
		/* its site, which outlives its module, from its second page */
		unsigned long key = READ_ONCE(pfn_to_page(pfn + 1)->index);
		char buf[256];
		struct seq_file m = { .buf = buf, .size = sizeof(buf) };

		if (key >= MSTAT_MAX_KEYS || READ_ONCE(mstat_key_cls[key]) != MSTAT_LARGE_CLS)
			key = MSTAT_LARGE_CLS;
		mstat_site_print(&m, mstat_key_site_id(key));
		pr_err("  large object of %zu bytes allocated at %.*s\n", usable, (int)m.count,
		       buf);
		break;
	}
	case MSTAT_FOREIGN:
		break;
	}
	rcu_read_unlock();
}

/* Whether the slot's metadata says its object is live: the leak report's */
bool mstat_debug_live(void *obj, unsigned int cls)
{
	return READ_ONCE(mstat_meta(obj, cls)->live);
}

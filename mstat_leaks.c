// SPDX-License-Identifier: GPL-2.0
/*
 * mstat leak report (debug mode): the live objects, grouped by allocation
 * site as /proc/mstat_sites names them, in /proc/mstat_leaks, at unload
 * and at a typed cache's destruction.  A small object is live when its
 * metadata and its state say so; a large one when its pages are marked.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "mstat_internal.h"

/* Live objects grouped by allocation site, as /proc/mstat_sites names them. */
struct mstat_leak {
	unsigned int site;
	u64 objects;
	u64 bytes;
};

#define MSTAT_LEAK_SITES	512

struct mstat_leaks {
	unsigned int nr;
	u64 other_objects, other_bytes;
	struct mstat_leak site[MSTAT_LEAK_SITES];
};

static void mstat_leak_add(struct mstat_leaks *l, unsigned int site, u64 bytes)
{
	unsigned int i;

	for (i = 0; i < l->nr; i++) {
		if (l->site[i].site == site)
			break;
	}
	if (i == l->nr) {
		if (l->nr == MSTAT_LEAK_SITES) {
			l->other_objects++;
			l->other_bytes += bytes;
			return;
		}
		l->site[l->nr++] = (struct mstat_leak){ .site = site };
	}
	l->site[i].objects++;
	l->site[i].bytes += bytes;
}

struct mstat_leak_walk {
	struct mstat_leaks *leaks;
	unsigned int cls;
};

/* Under the pool's lock: the span stays mstat's while we read it. */
static void mstat_leak_span(struct page *span, void *arg)
{
	struct mstat_leak_walk *w = arg;
	const struct mstat_class *mc = &mstat_classes[w->cls];
	unsigned int order = mstat_info_order(page_private(span));
	unsigned int nobjs = mc->span_order == order ? mc->nobjs : mc->fb_nobjs;
	void *obj = page_address(span) + mc->red_left;
	unsigned int i;

	for (i = 0; i < nobjs; i++, obj += mc->stride) {
		u32 state = READ_ONCE(*mstat_obj_state_order(obj, mc, order));

		if (mstat_debug_live(obj, w->cls) && !mstat_state_is_free(state))
			mstat_leak_add(w->leaks,
				       mstat_key_site_id(mstat_state_key(state, w->cls)),
				       mc->size);
	}
}

static int mstat_leak_cmp(const void *a, const void *b)
{
	const struct mstat_leak *x = a, *y = b;

	return x->bytes < y->bytes ? 1 : x->bytes > y->bytes ? -1 : 0;
}

/* The live objects of class @cls (MSTAT_ANY_CLS: of every class, and the large ones). */
static struct mstat_leaks *mstat_collect_leaks(unsigned int cls)
{
	struct mstat_leaks *l = kvzalloc(sizeof(*l), GFP_KERNEL);
	struct mstat_leak_walk w = { .leaks = l };
	unsigned long start, end, bit, *bits;
	unsigned int r;

	if (!l)
		return NULL;
	for (w.cls = 0; w.cls < MSTAT_NR_CLASSES; w.cls++) {
		if (cls == MSTAT_ANY_CLS || cls == w.cls)
			mstat_walk_spans(w.cls, mstat_leak_span, &w);
	}
	if (cls != MSTAT_ANY_CLS)
		goto sort;
	/* large objects: only struct pages are read, which never go away */
	for (r = 0; mstat_region(r, &start, &end, &bits); r++) {
		for_each_set_bit(bit, bits, end - start) {
			struct page *page = pfn_to_page(start + bit);
			unsigned long info = READ_ONCE(page->private);

			unsigned long key = READ_ONCE(nth_page(page, 1)->index);

			if ((info & MSTAT_INFO_TAG_MASK) != MSTAT_INFO_TAG ||
			    !(info & MSTAT_INFO_LARGE))
				continue;
			/* a key not of a large object's is believed no more than a state's */
			if (key >= MSTAT_MAX_KEYS || mstat_key_cls[key] != MSTAT_LARGE_CLS)
				key = MSTAT_LARGE_CLS;
			mstat_leak_add(l, mstat_key_site_id(key),
				       mstat_info_pages(info) << PAGE_SHIFT);
		}
	}
sort:
	sort(l->site, l->nr, sizeof(l->site[0]), mstat_leak_cmp, NULL);
	return l;
}

/**
 * mstat_leaks_show - print /proc/mstat_leaks
 * @m: the seq_file
 * @v: unused
 *
 * Return: 0, or -ENOMEM.
 */
int mstat_leaks_show(struct seq_file *m, void *v)
{
	struct mstat_leaks *l = mstat_collect_leaks(MSTAT_ANY_CLS);
	unsigned int i;

	if (!l)
		return -ENOMEM;
	seq_puts(m, "mstat_leaks version 2\n# objects bytes file:line module function\n");
	for (i = 0; i < l->nr; i++) {
		seq_printf(m, "%llu %llu ", l->site[i].objects, l->site[i].bytes);
		mstat_site_print(m, l->site[i].site);
		seq_putc(m, '\n');
	}
	if (l->other_objects)
		seq_printf(m, "%llu %llu other\n", l->other_objects, l->other_bytes);
	kvfree(l);
	return 0;
}

/* At unload, or a typed cache's class at its destruction: the live objects left, by site. */
void mstat_leaks_report(unsigned int cls)
{
	struct mstat_leaks *l = mstat_collect_leaks(cls);
	unsigned int i;

	struct seq_file m = { .size = 512 };

	if (!l)
		return;
	m.buf = kmalloc(m.size, GFP_KERNEL);
	for (i = 0; i < l->nr; i++) {
		m.count = 0;
		if (m.buf)
			mstat_site_print(&m, l->site[i].site);
		pr_warn("leak: %llu objects, %llu bytes, allocated at %.*s\n",
			l->site[i].objects, l->site[i].bytes, (int)m.count, m.buf);
	}
	kfree(m.buf);
	kvfree(l);
}

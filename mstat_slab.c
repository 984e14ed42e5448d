// SPDX-License-Identifier: GPL-2.0
/*
 * mstat slab: what include/mstat_slab.h routes to that the rest of the
 * API does not have: frees that hand a pointer mstat does not own to the
 * kernel's allocator when that provably owns it, and kvmalloc()'s fallback
 * on vmalloc.  This file is built without mstat_slab.h: kfree() here is
 * the kernel's.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/export.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <mstat.h>

#include "mstat_internal.h"

/* Whether mstat owns @p, as far as a lookup tells now (no report). */
static bool mstat_owns(const void *p)
{
	unsigned long pfn, info;
	enum mstat_owner owner;
	unsigned int cls;
	size_t usable;

	/* the span cannot go back to the page allocator under us: see mstat_span_release() */
	rcu_read_lock();
	owner = mstat_owner(p, &cls, &usable, &pfn, &info);
	rcu_read_unlock();
	return owner != MSTAT_FOREIGN;
}

/*
 * Whether the kernel's kmalloc provably owns @p, which mstat does not: an
 * object on a slab page, or the start of a compound page (a large
 * kmalloc's).  A page mstat gave back and the kernel made a slab since is
 * the kernel's: its own checks judge what comes to it.
 */
static bool mstat_kernel_owns(const void *p)
{
	struct folio *folio;

	if (!virt_addr_valid(p))
		return false;
	folio = virt_to_folio(p);
	return folio_test_slab(folio) ||
	       (folio_test_large(folio) && p == folio_address(folio));
}

/**
 * mstat_kfree - kfree() through mstat_slab.h
 * @p: an object of mstat's, or of the kernel's kmalloc; NULL is ignored
 *
 * An object of mstat's is freed as by mstat_free(); one the kernel's
 * allocator provably owns goes to kfree(); anything else is reported as
 * mstat_free() reports it, and left alone.
 */
void mstat_kfree(const void *p)
{
	if (ZERO_OR_NULL_PTR(p))
		return;
	if (!mstat_owns(p) && mstat_kernel_owns(p)) {
		kfree(p);
		return;
	}
	mstat_free_caller(p, _RET_IP_);
}
EXPORT_SYMBOL_GPL(mstat_kfree);

/**
 * mstat_kvfree - kvfree() through mstat_slab.h
 * @p: as for mstat_kfree(), or a vmalloc address
 */
void mstat_kvfree(const void *p)
{
	if (is_vmalloc_addr(p)) {
		vfree(p);
		return;
	}
	if (ZERO_OR_NULL_PTR(p))
		return;
	if (!mstat_owns(p) && mstat_kernel_owns(p)) {
		kfree(p);
		return;
	}
	mstat_free_caller(p, _RET_IP_);
}
EXPORT_SYMBOL_GPL(mstat_kvfree);

/**
 * mstat_ksize - ksize() through mstat_slab.h
 * @p: as for mstat_kfree()
 *
 * Return: the usable size; 0 for NULL and for a pointer neither owns.
 */
size_t mstat_ksize(const void *p)
{
	if (ZERO_OR_NULL_PTR(p))
		return 0;
	if (!mstat_owns(p) && mstat_kernel_owns(p))
		return ksize(p);
	return mstat_usable_caller(p, "ksize", _RET_IP_);
}
EXPORT_SYMBOL_GPL(mstat_ksize);

/**
 * mstat_kfree_sensitive - kfree_sensitive() through mstat_slab.h
 * @p: as for mstat_kfree()
 *
 * The object's usable bytes are zeroed before it is freed.
 */
void mstat_kfree_sensitive(const void *p)
{
	size_t n;

	if (ZERO_OR_NULL_PTR(p))
		return;
	if (!mstat_owns(p) && mstat_kernel_owns(p)) {
		kfree_sensitive(p);
		return;
	}
	n = mstat_usable_caller(p, "kfree_sensitive", _RET_IP_);
	if (!n)
		return;
	memzero_explicit((void *)p, n);
	mstat_free_caller(p, _RET_IP_);
}
EXPORT_SYMBOL_GPL(mstat_kfree_sensitive);

/**
 * mstat_kfree_rcu_ptr - kfree_rcu() through mstat_slab.h
 * @p: as for mstat_kfree()
 * @head: an rcu_head inside it
 *
 * mstat_free_rcu_ptr() for an object of mstat's, kfree() after a grace
 * period for one of the kernel's, a report for anything else.
 */
void mstat_kfree_rcu_ptr(const void *p, struct rcu_head *head)
{
	if (ZERO_OR_NULL_PTR(p))
		return;
	if (mstat_owns(p) || !mstat_kernel_owns(p)) {
		mstat_free_rcu_ptr(p, head);
		return;
	}
	/* in mstat's own batches, kfree()d after the grace period (mstat_rcu.c) */
	mstat_rcu_queue_kernel(p, head);
}
EXPORT_SYMBOL_GPL(mstat_kfree_rcu_ptr);

/**
 * mstat_kvmalloc_node_site - kvmalloc_node() through mstat_slab.h
 * @size: bytes wanted
 * @flags: GFP flags
 * @node: the memory node, or NUMA_NO_NODE
 * @site: the call site the allocation is counted to, if mstat serves it
 *
 * As kvmalloc_node(): mstat first, quietly and without retrying above a
 * page; then, for GFP_KERNEL-compatible flags, vmalloc, which mstat does
 * not count.
 *
 * Return: the memory, or NULL.
 */
void *mstat_kvmalloc_node_site(size_t size, gfp_t flags, int node, struct mstat_site *site)
{
	gfp_t kflags = flags;
	void *p;

	if (size > PAGE_SIZE) {
		kflags |= __GFP_NOWARN;
		if (!(kflags & __GFP_RETRY_MAYFAIL))
			kflags |= __GFP_NORETRY;
		kflags &= ~__GFP_NOFAIL;
	}
	p = mstat_alloc_node_site(size, kflags, node, site);
	if (p || size <= PAGE_SIZE || (flags & GFP_KERNEL) != GFP_KERNEL)
		return p;
	if (size > INT_MAX) {
		WARN_ON_ONCE(!(flags & __GFP_NOWARN));
		return NULL;
	}
	return __vmalloc(size, flags);
}
EXPORT_SYMBOL_GPL(mstat_kvmalloc_node_site);

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

/* mstat_kfree(), a mistake named after @caller. */
static void mstat_kfree_caller(const void *p, unsigned long caller)
{
	if (ZERO_OR_NULL_PTR(p))
		return;
	if (!mstat_owns(p) && mstat_kernel_owns(p))
		kfree(p);
	else
		mstat_free_caller(p, caller);
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
	mstat_kfree_caller(p, _RET_IP_);
}
EXPORT_SYMBOL_GPL(mstat_kfree);

/**
 * mstat_kvfree - kvfree() through mstat_slab.h
 * @p: as for mstat_kfree(), or a vmalloc address
 */
void mstat_kvfree(const void *p)
{
	if (is_vmalloc_addr(p))
		vfree(p);
	else
		mstat_kfree_caller(p, _RET_IP_);
}
EXPORT_SYMBOL_GPL(mstat_kvfree);

/**
 * mstat_kfree_const - kfree_const() through mstat_slab.h
 * @p: an object of mstat's, or what the kernel's kstrdup_const() gave
 *	(a string in the kernel's .rodata, or the kernel's kmalloc)
 *
 * The kernel's kfree_const() tells .rodata apart, which a module cannot.
 */
void mstat_kfree_const(const void *p)
{
	if (mstat_owns(p))
		mstat_free_caller(p, _RET_IP_);
	else
		kfree_const(p);
}
EXPORT_SYMBOL_GPL(mstat_kfree_const);

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
	/* not over a free object (a reader may look at it) nor one waiting for its batch */
	n = mstat_live(p) ? mstat_usable_caller(p, "kfree_sensitive", _RET_IP_) : 0;
	if (n)
		memzero_explicit((void *)p, n);
	mstat_free_caller(p, _RET_IP_);
}
EXPORT_SYMBOL_GPL(mstat_kfree_sensitive);

/**
 * mstat_kfree_rcu_ptr - kfree_rcu() through mstat_slab.h
 * @p: as for mstat_kfree()
 * @head: an rcu_head inside it
 *
 * mstat_free_rcu_ptr() for an object of mstat's, the kernel's
 * kvfree_call_rcu() for one of the kernel's (vmalloc'd too), a report for
 * anything else.
 */
void mstat_kfree_rcu_ptr(const void *p, struct rcu_head *head)
{
	if (ZERO_OR_NULL_PTR(p))
		return;
	if (!is_vmalloc_addr(p) && (mstat_owns(p) || !mstat_kernel_owns(p))) {
		mstat_free_rcu_ptr(p, head);
		return;
	}
	/* the kernel's own, so that its kvfree_rcu_barrier() waits for it too */
#ifdef KVFREE_GET_MACRO	/* 6.1: the head's offset in the object, as its kfree_rcu() passes it */
	kvfree_call_rcu(head, (rcu_callback_t)((unsigned long)head - (unsigned long)p));
#else
	kvfree_call_rcu(head, (void *)p);
#endif
}
EXPORT_SYMBOL_GPL(mstat_kfree_rcu_ptr);

/**
 * mstat_krealloc_site - krealloc() through mstat_slab.h
 * @p: an object of mstat's, or of the kernel's kmalloc, or NULL
 * @size: bytes wanted
 * @flags: GFP flags
 * @site: the call site a new mstat object is counted to
 *
 * mstat_realloc_site() for mstat's objects and NULL; the kernel's
 * krealloc() for one its allocator provably owns.
 *
 * Return: as krealloc().
 */
void *mstat_krealloc_site(const void *p, size_t size, gfp_t flags, struct mstat_site *site)
{
	if (!ZERO_OR_NULL_PTR(p) && !mstat_owns(p) && mstat_kernel_owns(p))
		return krealloc(p, size, flags);
	return mstat_realloc_site(p, size, flags, site);
}
EXPORT_SYMBOL_GPL(mstat_krealloc_site);

/* The kernel's kvrealloc(): 6.12's is a macro of three arguments, 6.1's a function of four. */
static void *mstat_kernel_kvrealloc(const void *p, size_t oldsize, size_t size, gfp_t flags)
{
#ifdef kvrealloc
	return kvrealloc(p, size, flags);
#else
	return kvrealloc(p, oldsize, size, flags);
#endif
}

/**
 * mstat_kvrealloc_site - kvrealloc() through mstat_slab.h
 * @p: as for mstat_kvfree(), or NULL
 * @oldsize: the bytes in use at @p (6.1's form), or 0 (6.12's: all of it)
 * @size: bytes wanted
 * @flags: GFP flags
 * @site: the call site a new mstat object is counted to
 *
 * The kernel's kvrealloc() for its own memory (vmalloc'd or kmalloc'd);
 * for mstat's, in place while the usable size holds @size, else a new
 * object (mstat's, or vmalloc'd as kvmalloc() falls back) with the old
 * bytes, the old one freed.
 *
 * Return: the memory, or NULL (@p intact).
 */
void *mstat_kvrealloc_site(const void *p, size_t oldsize, size_t size, gfp_t flags,
			   struct mstat_site *site)
{
	size_t usable;
	void *q;
	bool kernel = !ZERO_OR_NULL_PTR(p) &&
		      (is_vmalloc_addr(p) || (!mstat_owns(p) && mstat_kernel_owns(p)));

	if (kernel)
		return mstat_kernel_kvrealloc(p, oldsize, size, flags);
	if (ZERO_OR_NULL_PTR(p))
		return mstat_kvmalloc_node_site(size, flags, NUMA_NO_NODE, site);
	usable = mstat_usable_caller(p, "kvrealloc", _RET_IP_);
	if (!usable)
		return NULL;
	if (size <= usable) {
		/* 6.1's gives new zeroed memory past @oldsize; 6.12's zeroes past @size */
		if ((flags & __GFP_ZERO) && oldsize && oldsize < size)
			memset((char *)p + oldsize, 0, size - oldsize);
		else if ((flags & __GFP_ZERO) && !oldsize)
			memset((char *)p + size, 0, usable - size);
		return (void *)p;
	}
	q = mstat_kvmalloc_node_site(size, flags, NUMA_NO_NODE, site);
	if (!q)
		return NULL;
	memcpy(q, p, oldsize ? min(oldsize, usable) : usable);
	mstat_free_caller(p, _RET_IP_);
	return q;
}
EXPORT_SYMBOL_GPL(mstat_kvrealloc_site);

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
	/* vmalloc cannot serve a caller that may not sleep */
	if (p || size <= PAGE_SIZE || !gfpflags_allow_blocking(flags))
		return p;
	if (size > INT_MAX) {
		WARN_ON_ONCE(!(flags & __GFP_NOWARN));
		return NULL;
	}
	return __vmalloc(size, flags);
}
EXPORT_SYMBOL_GPL(mstat_kvmalloc_node_site);

// SPDX-License-Identifier: GPL-2.0
/*
 * mstat util: resize, copy and bulk calls: krealloc()'s, kmemdup()'s,
 * kstrdup()'s, kstrndup()'s and the bulk calls' contracts on mstat objects
 * (mm/slab_common.c and mm/util.c for kmalloc's).  Each counts its allocation to its caller's
 * site and names its caller in a report; the array calls are inline in
 * include/mstat.h.
 */
#include <linux/export.h>
#include <linux/string.h>
#include <mstat.h>

#include "mstat_internal.h"

/**
 * mstat_realloc_site - resize an mstat object, krealloc()'s contract
 * @p: the object, or NULL (or ZERO_SIZE_PTR) to allocate
 * @new_size: bytes wanted; 0 frees @p and returns ZERO_SIZE_PTR
 * @flags: GFP flags, as for mstat_alloc_site()
 * @site: the call site the new object is counted to
 *
 * An object whose usable size already holds @new_size stays where it is
 * (and with __GFP_ZERO its bytes past @new_size are zeroed, so that a
 * later resize in place grows into zeros); otherwise a new object gets
 * @p's usable bytes and @p is freed.  With __GFP_ZERO what grows is zero,
 * provided the object was allocated and every time resized with it.  On
 * failure @p is left as it was.  A pointer mstat does not own is reported
 * as mstat_free() reports it, and NULL returned.
 *
 * Return: the object, ZERO_SIZE_PTR for @new_size 0, or NULL.
 */
void *mstat_realloc_site(const void *p, size_t new_size, gfp_t flags, struct mstat_site *site)
{
	unsigned long caller = _RET_IP_;
	size_t usable;
	void *q;

	if (unlikely(!new_size)) {
		mstat_free_caller(p, caller);
		return ZERO_SIZE_PTR;
	}
	if (ZERO_OR_NULL_PTR(p))
		return mstat_alloc_caller(new_size, flags, site, caller);
	usable = mstat_usable_caller(p, "mstat_realloc", caller);
	if (!usable)
		return NULL;
	if (new_size <= usable) {
		if (flags & __GFP_ZERO)
			memset((char *)p + new_size, 0, usable - new_size);
		return (void *)p;
	}
	q = mstat_alloc_caller(new_size, flags, site, caller);
	if (!q)
		return NULL;
	memcpy(q, p, usable);
	mstat_free_caller(p, caller);
	return q;
}
EXPORT_SYMBOL_GPL(mstat_realloc_site);

/**
 * mstat_memdup_site - copy memory into a new mstat object
 * @src: the bytes
 * @len: how many
 * @flags: GFP flags, as for mstat_alloc_site()
 * @site: the call site the object is counted to
 *
 * Return: the copy, or NULL (ZERO_SIZE_PTR for @len 0, as kmemdup()).
 */
void *mstat_memdup_site(const void *src, size_t len, gfp_t flags, struct mstat_site *site)
{
	void *q = mstat_alloc_caller(len, flags, site, _RET_IP_);

	if (!ZERO_OR_NULL_PTR(q))
		memcpy(q, src, len);
	return q;
}
EXPORT_SYMBOL_GPL(mstat_memdup_site);

/**
 * mstat_strndup_site - copy a string, at most @max characters, into a new mstat object
 * @s: the string, or NULL
 * @max: the most characters to copy; the copy is terminated
 * @flags: GFP flags, as for mstat_alloc_site()
 * @site: the call site the object is counted to
 *
 * Return: the copy, or NULL if @s is NULL or memory is short.
 */
char *mstat_strndup_site(const char *s, size_t max, gfp_t flags, struct mstat_site *site)
{
	size_t len;
	char *q;

	if (!s)
		return NULL;
	len = strnlen(s, max);
	q = mstat_alloc_caller(len + 1, flags, site, _RET_IP_);
	if (q) {
		memcpy(q, s, len);
		q[len] = '\0';
	}
	return q;
}
EXPORT_SYMBOL_GPL(mstat_strndup_site);

/**
 * mstat_strdup_site - copy a string into a new mstat object
 * @s: the string, or NULL
 * @flags: GFP flags, as for mstat_alloc_site()
 * @site: the call site the object is counted to
 *
 * Return: the copy, or NULL if @s is NULL or memory is short.
 */
char *mstat_strdup_site(const char *s, gfp_t flags, struct mstat_site *site)
{
	size_t len;
	char *q;

	if (!s)
		return NULL;
	len = strlen(s) + 1;
	q = mstat_alloc_caller(len, flags, site, _RET_IP_);
	if (q)
		memcpy(q, s, len);
	return q;
}
EXPORT_SYMBOL_GPL(mstat_strdup_site);

/*
 * Free @n objects of typed cache @s (NULL: any object) for a bulk call:
 * under one lock as far as the fast path takes them, each other one by
 * the general path, which reports a mistake naming @caller.
 */
static void mstat_bulk_free(struct mstat_cache *s, size_t n, void **p, unsigned long caller)
{
	size_t i = 0, got;

	while (i < n) {
		got = mstat_pcpu_free_bulk(s ? s->cls : MSTAT_ANY_CLS,
					   min_t(size_t, n - i, MSTAT_BULK_MAX), p + i);
		i += got;
		if (i == n || got == MSTAT_BULK_MAX)
			continue;
		if (s)
			mstat_cache_free_caller(s, p[i], caller);
		else
			mstat_free_caller(p[i], caller);
		i++;
	}
}

/**
 * mstat_alloc_bulk_site - allocate objects in bulk, kmem_cache_alloc_bulk()'s contract
 * @size: bytes of each object
 * @flags: GFP flags, as for mstat_alloc_site()
 * @n: objects wanted
 * @p: where they go
 * @site: the call site they are counted to
 *
 * All or nothing: if one allocation fails, those made are freed.
 *
 * Return: @n, or 0.
 */
int mstat_alloc_bulk_site(size_t size, gfp_t flags, size_t n, void **p, struct mstat_site *site)
{
	unsigned int cls = size - 1 < MSTAT_MAX_SMALL ?
			   mstat_size_class[(size - 1) / MSTAT_MIN_SIZE] : MSTAT_ANY_CLS;
	unsigned long caller = _RET_IP_;
	size_t i = 0, got;

	might_alloc(flags);
	while (i < n) {
		got = cls == MSTAT_ANY_CLS ? 0 :
		      mstat_pcpu_alloc_bulk(cls, flags, site, min_t(size_t, n - i, MSTAT_BULK_MAX),
					    p + i);
		i += got;
		if (i == n || got == MSTAT_BULK_MAX)
			continue;
		/* what the cache could not give: the general path, which may grow the pool */
		p[i] = mstat_alloc_caller(size, flags, site, caller);
		if (unlikely(!p[i])) {
			mstat_bulk_free(NULL, i, p, caller);
			return 0;
		}
		i++;
	}
	return n;
}
EXPORT_SYMBOL_GPL(mstat_alloc_bulk_site);

/**
 * mstat_free_bulk - free objects in bulk, kmem_cache_free_bulk()'s contract
 * @n: objects
 * @p: the objects, each freed as by mstat_free()
 */
void mstat_free_bulk(size_t n, void **p)
{
	mstat_bulk_free(NULL, n, p, _RET_IP_);
}
EXPORT_SYMBOL_GPL(mstat_free_bulk);

/**
 * mstat_cache_alloc_bulk_site - allocate objects of a typed cache in bulk
 * @s: the cache
 * @flags: GFP flags, as for mstat_cache_alloc_site()
 * @n: objects wanted
 * @p: where they go
 * @site: the call site they are counted to
 *
 * kmem_cache_alloc_bulk()'s contract: all or nothing.
 *
 * Return: @n, or 0.
 */
int mstat_cache_alloc_bulk_site(struct mstat_cache *s, gfp_t flags, size_t n, void **p,
				struct mstat_site *site)
{
	unsigned long caller = _RET_IP_;
	size_t i = 0, got;

	might_alloc(flags);
	while (i < n) {
		got = mstat_pcpu_alloc_bulk(s->cls, flags, site,
					    min_t(size_t, n - i, MSTAT_BULK_MAX), p + i);
		i += got;
		if (i == n || got == MSTAT_BULK_MAX)
			continue;
		p[i] = mstat_cache_alloc_caller(s, flags, site, caller);
		if (unlikely(!p[i])) {
			mstat_bulk_free(s, i, p, caller);
			return 0;
		}
		i++;
	}
	return n;
}
EXPORT_SYMBOL_GPL(mstat_cache_alloc_bulk_site);

/**
 * mstat_cache_free_bulk - free objects of a typed cache in bulk
 * @s: the cache; NULL frees each as mstat_free() does
 * @n: objects
 * @p: the objects, each freed as by mstat_cache_free()
 */
void mstat_cache_free_bulk(struct mstat_cache *s, size_t n, void **p)
{
	mstat_bulk_free(s, n, p, _RET_IP_);
}
EXPORT_SYMBOL_GPL(mstat_cache_free_bulk);

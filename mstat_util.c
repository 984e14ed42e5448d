// SPDX-License-Identifier: GPL-2.0
/*
 * mstat util: resize and copy calls, krealloc()'s, kmemdup()'s, kstrdup()'s
 * and kstrndup()'s contracts on mstat objects (mm/slab_common.c and
 * mm/util.c for kmalloc's).  Each counts its allocation to its caller's
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

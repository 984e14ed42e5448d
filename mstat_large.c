// SPDX-License-Identifier: GPL-2.0
/*
 * mstat large objects: above the largest class, pages straight from the
 * page allocator, not compound, their first page marked mstat's; a
 * generation in page->private lets two frees of one object (or a stale
 * free of a reused block) claim it once at most.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/mm.h>

#include "mstat_internal.h"

static void mstat_large_release(void *addr, unsigned long npages)
{
	if (is_power_of_2(npages))
		__free_pages(virt_to_page(addr), ilog2(npages));
	else
		free_pages_exact(addr, npages << PAGE_SHIFT);
}

/*
 * alloc_pages_exact() on a node: alloc_pages_exact_nid() is not exported.
 * The pages are split as alloc_pages_exact()'s, so free_pages_exact()
 * frees them.
 */
static void *mstat_pages_exact(int nid, unsigned long npages, gfp_t gfp)
{
	unsigned int order = get_order(npages << PAGE_SHIFT);
	struct page *page;
	unsigned long i;

	if (nid == NUMA_NO_NODE)
		return alloc_pages_exact(npages << PAGE_SHIFT, gfp);
	page = alloc_pages_node(nid, gfp, order);
	if (!page)
		return NULL;
	split_page(page, order);
	for (i = npages; i < 1UL << order; i++)
		__free_page(page + i);
	return page_address(page);
}

/**
 * mstat_large_alloc - allocate an object above the largest class
 * @size: bytes wanted
 * @nid: the node to allocate on, NUMA_NO_NODE for this CPU's
 * @gfp: the caller's GFP flags
 * @usable: set to the page-rounded size
 *
 * Return: the object, or NULL if @size is too large or memory is short.
 */
void *mstat_large_alloc(size_t size, int nid, gfp_t gfp, size_t *usable)
{
	unsigned long npages;
	struct page *page;
	void *addr;

	if (size > MSTAT_MAX_LARGE)
		return NULL;
	npages = PAGE_ALIGN(size) >> PAGE_SHIFT;
	/*
	 * A power of two is one block of the page allocator; anything else is
	 * trimmed to size.  Not a compound page: mstat knows the size, and a
	 * compound page costs a pass over every tail page at allocation and
	 * again at free.
	 */
	gfp &= MSTAT_GFP_LARGE;
	if (is_power_of_2(npages)) {
		page = alloc_pages_node(nid, gfp, ilog2(npages));
		addr = page ? page_address(page) : NULL;
	} else {
		addr = mstat_pages_exact(nid, npages, gfp);
		page = addr ? virt_to_page(addr) : NULL;
	}
	if (!addr)
		return NULL;
	if (!mstat_map_large(page, npages)) {
		mstat_large_release(addr, npages);
		return NULL;
	}
	*usable = npages << PAGE_SHIFT;
	return addr;
}

/**
 * mstat_large_claim - take the right to free a large object
 * @pfn: its first page frame
 * @info: its page's private, as the caller's mstat_owner() read it
 *
 * Of two frees of the same large object, even at the same instant on two
 * CPUs, exactly one gets true; the other is a double free.  The claim is
 * of the word the caller decoded, generation included: a slower free whose
 * object went back to the page allocator, and whose pages became another
 * large object (or a span) meanwhile, finds another word and claims
 * nothing.  Then the bit.
 *
 * Return: true if the caller is to free it.
 */
bool mstat_large_claim(unsigned long pfn, unsigned long info)
{
	unsigned long *word = mstat_owned_word(pfn);

	if (!word || cmpxchg(&pfn_to_page(pfn)->private, info, 0) != info)
		return false;
	clear_bit(pfn % BITS_PER_LONG, word);
	return true;
}

/**
 * mstat_large_free - free a large object mstat_large_claim() gave the caller
 * @ptr: the object
 * @usable: its usable size, as mstat_owner() found it
 */
void mstat_large_free(void *ptr, size_t usable)
{
	struct page *page = virt_to_page(ptr);

	page->index = 0;
	nth_page(page, 1)->index = 0;
	mstat_large_release(ptr, usable >> PAGE_SHIFT);
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mstat_slab.h: the slab API of <linux/slab.h>, routed to mstat.
 *
 * A module switches with "ccflags-y += -include mstat_slab.h" (with mstat's
 * include/ on its include path and mstat's Module.symvers in its
 * KBUILD_EXTRA_SYMBOLS): every kmalloc-family call, typed-cache call and
 * RCU or bulk free in its own sources then goes to mstat, counted at the
 * module's own line.  Debian's 6.1 and 6.12 slab.h alike.
 *
 * Mixed ownership: kfree(), kvfree(), ksize() and kfree_rcu() of a pointer
 * mstat does not own hand it to the kernel's allocator when that provably
 * owns it (a slab page, a vmalloc address, a large kmalloc's compound
 * page), and otherwise report it as mstat_free() does; a struct kmem_cache
 * the module did not make through this header (mstat_cache_is()) goes to
 * SLUB.  Memory that kernel core code will free with its own kfree() (a
 * symlink body for kfree_link(), a buffer the network stack frees) must
 * stay on the kernel's allocator: allocate it with kmalloc_kernel(),
 * kzalloc_kernel(), kstrdup_kernel() or kmemdup_kernel() (a cache with
 * kmem_cache_create_kernel()), and free it as the kernel does.  The function
 * names are macros: a call is routed, taking kfree's address is not.
 */
#ifndef _MSTAT_SLAB_H
#define _MSTAT_SLAB_H

#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/rcupdate.h>
/* its kfree event's name is not a call: declared before kfree is routed */
#include <trace/events/kmem.h>
#include <mstat.h>

/* The kernel's own, for memory kernel core code frees: before the macros below. */
static inline void *kmalloc_kernel(size_t size, gfp_t flags)
{
	return kmalloc(size, flags);
}

static inline void *kzalloc_kernel(size_t size, gfp_t flags)
{
	return kzalloc(size, flags);
}

static inline char *kstrdup_kernel(const char *s, gfp_t flags)
{
	return kstrdup(s, flags);
}

static inline void *kmemdup_kernel(const void *src, size_t len, gfp_t flags)
{
	return kmemdup(src, len, flags);
}

static inline struct kmem_cache *
kmem_cache_create_kernel(const char *name, unsigned int size, unsigned int align,
			 slab_flags_t flags, void (*ctor)(void *))
{
	return kmem_cache_create(name, size, align, flags, ctor);
}

/* kfree_rcu_mightsleep(): the grace period waited for here */
static inline void mstat_kfree_rcu_mightsleep(const void *p)
{
	might_sleep();
	synchronize_rcu();
	mstat_kvfree(p);
}

static inline void mstat_kvfree_sensitive(const void *p, size_t len)
{
	if (likely(!ZERO_OR_NULL_PTR(p))) {
		memzero_explicit((void *)p, len);
		mstat_kvfree(p);
	}
}

/* A struct kmem_cache made through this header is an mstat cache: SLUB's are not. */
static __always_inline struct mstat_cache *mstat_of(struct kmem_cache *s)
{
	return mstat_cache_is(s) ? (struct mstat_cache *)s : NULL;
}

/*
 * A cache mstat cannot make (16 at once; 32 KiB objects at most; no DMA
 * zones) is SLUB's, which mstat_of() then hands every call of to SLUB.
 */
static inline struct kmem_cache *
mstat_kmem_cache_usercopy(const char *name, unsigned int size, unsigned int align,
			  slab_flags_t flags, unsigned int useroffset, unsigned int usersize,
			  void (*ctor)(void *))
{
	struct mstat_cache *m = mstat_cache_create(name, size, align, flags & ~SLAB_PANIC, ctor);

	if (m)
		return (struct kmem_cache *)m;
	/* SLUB's, with its usercopy region: hardened usercopy checks SLUB's objects */
	if (useroffset < size && usersize > size - useroffset)
		usersize = size - useroffset;	/* KMEM_CACHE_USERCOPY()'s: to the end */
	return kmem_cache_create_usercopy(name, size, align, flags, useroffset, usersize, ctor);
}

static inline struct kmem_cache *
mstat_kmem_cache_create(const char *name, unsigned int size, unsigned int align,
			slab_flags_t flags, void (*ctor)(void *))
{
	return mstat_kmem_cache_usercopy(name, size, align, flags, 0, 0, ctor);
}

/* 6.12's slab.h makes kmem_cache_create() a macro over struct kmem_cache_args; 6.1's does not */
#ifdef kmem_cache_create
#define MSTAT_KMEM_CACHE_ARGS
static inline struct kmem_cache *
mstat_kmem_cache_args(const char *name, unsigned int size, struct kmem_cache_args *args,
		      slab_flags_t flags)
{
	if (!args)
		return mstat_kmem_cache_create(name, size, 0, flags, NULL);
	return mstat_kmem_cache_usercopy(name, size, args->align, flags, args->useroffset,
					 args->usersize, args->ctor);
}
#endif

static inline void *mstat_kmem_cache_alloc(struct kmem_cache *s, gfp_t flags, int node,
					   struct mstat_site *site)
{
	struct mstat_cache *m = mstat_of(s);

	if (m)
		return node == NUMA_NO_NODE ? mstat_cache_alloc_site(m, flags, site) :
		       mstat_cache_alloc_node_site(m, flags, node, site);
	return kmem_cache_alloc_node(s, flags, node);
}

/*
 * A list_lru (memcg-aware shrinking of the objects) is SLUB's business:
 * an mstat cache's objects are not charged to a memcg.
 */
static inline void *mstat_kmem_cache_alloc_lru(struct kmem_cache *s, struct list_lru *lru,
					       gfp_t flags, struct mstat_site *site)
{
	struct mstat_cache *m = mstat_of(s);

	if (m)
		return mstat_cache_alloc_site(m, flags, site);
	return kmem_cache_alloc_lru(s, lru, flags);
}

static inline void mstat_kmem_cache_free(struct kmem_cache *s, void *p)
{
	struct mstat_cache *m = mstat_of(s);

	if (m)
		mstat_cache_free(m, p);
	else
		kmem_cache_free(s, p);
}

static inline unsigned int mstat_kmem_cache_size(struct kmem_cache *s)
{
	struct mstat_cache *m = mstat_of(s);

	return m ? mstat_cache_size(m) : kmem_cache_size(s);
}

/* An mstat cache gives back what its CPUs hold on its own: reclaim and destroy. */
static inline int mstat_kmem_cache_shrink(struct kmem_cache *s)
{
	return mstat_of(s) ? 0 : kmem_cache_shrink(s);
}

static inline void mstat_kmem_cache_destroy(struct kmem_cache *s)
{
	struct mstat_cache *m = s ? mstat_of(s) : NULL;

	if (m)
		mstat_cache_destroy(m);
	else
		kmem_cache_destroy(s);
}

static inline int mstat_kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t flags, size_t n,
					      void **p, struct mstat_site *site)
{
	struct mstat_cache *m = mstat_of(s);

	if (m)
		return mstat_cache_alloc_bulk_site(m, flags, n, p, site);
	return kmem_cache_alloc_bulk(s, flags, n, p);
}

static inline void mstat_kmem_cache_free_bulk(struct kmem_cache *s, size_t n, void **p)
{
	size_t i;

	if (s && !mstat_of(s)) {
		kmem_cache_free_bulk(s, n, p);
		return;
	}
	if (s) {
		mstat_cache_free_bulk(mstat_of(s), n, p);
		return;
	}
	for (i = 0; i < n; i++)
		mstat_kfree(p[i]);
}

static inline void *mstat_krealloc_array_site(void *p, size_t n, size_t size, gfp_t flags,
					      struct mstat_site *site)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return mstat_krealloc_site(p, bytes, flags, site);
}

static inline void *mstat_alloc_array_node_site(size_t n, size_t size, gfp_t flags, int node,
						struct mstat_site *site)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return mstat_alloc_node_site(bytes, flags, node, site);
}

static inline void *mstat_kvmalloc_array_site(size_t n, size_t size, gfp_t flags, int node,
					      struct mstat_site *site)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return mstat_kvmalloc_node_site(bytes, flags, node, site);
}

/* ---- the routes ---- */
#undef kmalloc
#define kmalloc(size, flags)		mstat_alloc((size), (flags))
#undef kzalloc
#define kzalloc(size, flags)		mstat_zalloc((size), (flags))
#undef kmalloc_node
#define kmalloc_node(size, flags, node)	mstat_alloc_node((size), (flags), (node))
#undef kzalloc_node
#define kzalloc_node(size, flags, node)	mstat_alloc_node((size), (flags) | __GFP_ZERO, (node))
#undef kmalloc_array
#define kmalloc_array(n, size, flags)	mstat_alloc_array((n), (size), (flags))
#undef kcalloc
#define kcalloc(n, size, flags)		mstat_calloc((n), (size), (flags))
#undef kmalloc_array_node
#define kmalloc_array_node(n, size, flags, node)				\
	mstat_alloc_array_node_site((n), (size), (flags), (node), __mstat_site())
#undef kcalloc_node
#define kcalloc_node(n, size, flags, node)					\
	kmalloc_array_node((n), (size), (flags) | __GFP_ZERO, (node))
#undef krealloc
#define krealloc(p, size, flags)	mstat_krealloc_site((p), (size), (flags), __mstat_site())
#undef krealloc_array
#define krealloc_array(p, n, size, flags)					\
	mstat_krealloc_array_site((p), (n), (size), (flags), __mstat_site())
#undef kmemdup
#define kmemdup(src, len, flags)	mstat_memdup((src), (len), (flags))
#undef kstrdup
#define kstrdup(s, flags)		mstat_strdup((s), (flags))
#undef kstrndup
#define kstrndup(s, max, flags)		mstat_strndup((s), (max), (flags))
/* object-like: taking their address routes too (a devm action, a .free member) */
#undef kfree
#define kfree				mstat_kfree
#undef kfree_const
#define kfree_const(p)			mstat_kfree_const(p)
#undef kfree_sensitive
#define kfree_sensitive(p)		mstat_kfree_sensitive(p)
#undef ksize
#define ksize(p)			mstat_ksize(p)
#undef kfree_bulk
#define kfree_bulk(n, p)		mstat_kmem_cache_free_bulk(NULL, (n), (p))

#undef kvmalloc_node
#define kvmalloc_node(size, flags, node)					\
	mstat_kvmalloc_node_site((size), (flags), (node), __mstat_site())
#undef kvmalloc
#define kvmalloc(size, flags)		kvmalloc_node((size), (flags), NUMA_NO_NODE)
#undef kvzalloc
#define kvzalloc(size, flags)		kvmalloc((size), (flags) | __GFP_ZERO)
#undef kvzalloc_node
#define kvzalloc_node(size, flags, node) kvmalloc_node((size), (flags) | __GFP_ZERO, (node))
#undef kvmalloc_array
#define kvmalloc_array(n, size, flags)						\
	mstat_kvmalloc_array_site((n), (size), (flags), NUMA_NO_NODE, __mstat_site())
#undef kvcalloc
#define kvcalloc(n, size, flags)	kvmalloc_array((n), (size), (flags) | __GFP_ZERO)
#undef kvfree
#define kvfree				mstat_kvfree
#undef kvfree_sensitive
#define kvfree_sensitive(p, len)	mstat_kvfree_sensitive((p), (len))
/* 6.1's takes the old size, 6.12's not */
#undef kvrealloc
#define mstat_kvrealloc3(p, size, flags)					\
	mstat_kvrealloc_site((p), 0, (size), (flags), __mstat_site())
#define mstat_kvrealloc4(p, oldsize, size, flags)				\
	mstat_kvrealloc_site((p), (oldsize), (size), (flags), __mstat_site())
#define kvrealloc(...)	CONCATENATE(mstat_kvrealloc, COUNT_ARGS(__VA_ARGS__))(__VA_ARGS__)

#define mstat_kfree_rcu2(ptr, rhf)						\
	do {									\
		typeof(ptr) ___p = (ptr);					\
										\
		if (___p)							\
			mstat_kfree_rcu_ptr(___p, (void *)___p +			\
					    offsetof(typeof(*___p), rhf));	\
	} while (0)
#define mstat_kfree_rcu1(ptr)		mstat_kfree_rcu_mightsleep(ptr)
/* kfree_rcu(ptr, rhf), and 6.1's one-argument kfree_rcu(ptr) */
#undef kfree_rcu
#define kfree_rcu(...)	CONCATENATE(mstat_kfree_rcu, COUNT_ARGS(__VA_ARGS__))(__VA_ARGS__)
#undef kvfree_rcu
#define kvfree_rcu(...)			kfree_rcu(__VA_ARGS__)
#undef kfree_rcu_mightsleep
#define kfree_rcu_mightsleep(p)		mstat_kfree_rcu_mightsleep(p)
#undef kvfree_rcu_mightsleep
#define kvfree_rcu_mightsleep(p)	mstat_kfree_rcu_mightsleep(p)
/*
 * 6.12's wait for every kvfree_rcu() so far: mstat's objects, then the
 * kernel's; mstat_rcu_barrier()'s context rules apply (not from a CPU
 * hotplug callback or under its lock).
 */
#undef kvfree_rcu_barrier
#define kvfree_rcu_barrier()							\
	do {									\
		mstat_rcu_barrier();						\
		kvfree_rcu_barrier();						\
	} while (0)

#ifdef MSTAT_KMEM_CACHE_ARGS
/* as 6.12's: a pointer (struct kmem_cache_args, or NULL) is the new form, else the legacy */
#undef kmem_cache_create
#define kmem_cache_create(name, size, args, ...)				\
	__builtin_choose_expr(__builtin_types_compatible_p(typeof(args),		\
							   struct kmem_cache_args *) ||	\
			      __builtin_types_compatible_p(typeof(args), void *),	\
			      mstat_kmem_cache_args,					\
			      mstat_kmem_cache_create)(name, size, args, __VA_ARGS__)
#else
#define kmem_cache_create(name, size, align, flags, ctor)			\
	mstat_kmem_cache_create((name), (size), (align), (flags), (ctor))
#endif
#undef kmem_cache_create_usercopy
#define kmem_cache_create_usercopy(name, size, align, flags, useroffset, usersize, ctor) \
	mstat_kmem_cache_usercopy((name), (size), (align), (flags), (useroffset),	\
				  (usersize), (ctor))
#undef KMEM_CACHE
#define KMEM_CACHE(type, flags)							\
	mstat_kmem_cache_create(#type, sizeof(struct type), __alignof__(struct type), (flags), NULL)
/* a cache SLUB makes instead whitelists from the field to the end of the struct */
#undef KMEM_CACHE_USERCOPY
#define KMEM_CACHE_USERCOPY(type, flags, field)					\
	mstat_kmem_cache_usercopy(#type, sizeof(struct type), __alignof__(struct type),	\
				  (flags), offsetof(struct type, field),		\
				  sizeof(struct type), NULL)
#undef kmem_cache_alloc
#define kmem_cache_alloc(s, flags)						\
	mstat_kmem_cache_alloc((s), (flags), NUMA_NO_NODE, __mstat_site())
#undef kmem_cache_zalloc
#define kmem_cache_zalloc(s, flags)	kmem_cache_alloc((s), (flags) | __GFP_ZERO)
#undef kmem_cache_alloc_node
#define kmem_cache_alloc_node(s, flags, node)					\
	mstat_kmem_cache_alloc((s), (flags), (node), __mstat_site())
#undef kmem_cache_alloc_lru
#define kmem_cache_alloc_lru(s, lru, flags)					\
	mstat_kmem_cache_alloc_lru((s), (lru), (flags), __mstat_site())
#undef kmem_cache_free
#define kmem_cache_free(s, p)		mstat_kmem_cache_free((s), (p))
#undef kmem_cache_destroy
#define kmem_cache_destroy(s)		mstat_kmem_cache_destroy(s)
#undef kmem_cache_size
#define kmem_cache_size(s)		mstat_kmem_cache_size(s)
#undef kmem_cache_shrink
#define kmem_cache_shrink(s)		mstat_kmem_cache_shrink(s)
#undef kmem_cache_alloc_bulk
#define kmem_cache_alloc_bulk(s, flags, n, p)					\
	mstat_kmem_cache_alloc_bulk((s), (flags), (n), (p), __mstat_site())
#undef kmem_cache_free_bulk
#define kmem_cache_free_bulk(s, n, p)	mstat_kmem_cache_free_bulk((s), (n), (p))

/* scope-based frees (6.5 on): __free(kfree) and __free(kvfree) go to mstat too */
#ifdef DEFINE_FREE
static inline void __free_mstat_kfree(void *p)
{
	void *obj = *(void **)p;

	if (!IS_ERR_OR_NULL(obj))
		mstat_kfree(obj);
}

static inline void __free_mstat_kvfree(void *p)
{
	void *obj = *(void **)p;

	if (!IS_ERR_OR_NULL(obj))
		mstat_kvfree(obj);
}

#define __free_kfree	__free_mstat_kfree
#define __free_kvfree	__free_mstat_kvfree
#endif

#endif /* _MSTAT_SLAB_H */

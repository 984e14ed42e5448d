// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for mstat.
 *
 * The suite is linked into mstat itself (CONFIG_MSTAT_KUNIT_TEST) so that it can drive the
 * internals (size classes, central pools, donation, the /proc/mstat renderer). It assumes nothing
 * else allocates from mstat while it runs, which holds in a test kernel: counter deltas are
 * asserted exactly.
 *
 * scripts/kunit.sh copies the sources into drivers/mstat of a cached linux-source-6.12 tree and
 * runs "tools/testing/kunit/kunit.py run" with kunit/.kunitconfig: under UML; on SMP x86_64 in
 * QEMU (--arch x86_64: 4 CPUs, two sockets, two NUMA nodes); the same with PREEMPT_RT (--arch
 * x86_64-rt: CONFIG_EXPERT, PREEMPT off, one node; the interrupt-context cases use soft
 * hrtimers, since on RT neither kmalloc nor mstat may be called from hard interrupt context); on
 * arm64 (--arch arm64: cross-built with gcc-aarch64-linux-gnu, QEMU virt -smp 4, software
 * tag-based KASAN, whose pointers carry a tag in their top byte). The mstat_debug suite runs under
 * UML booted with mstat.debug=1 (--debug). Any kernel report in the log (BUG, WARNING, KASAN,
 * lockdep, sleeping in atomic, ...) fails the run, except mstat's own WARN for each kind of
 * client mistake after a test has said it makes them on purpose (at most one per kind); so does
 * any compiler warning in mstat's files in the kernel the suite is built into.
 *
 * What the mstat suite covers:
 * - classes: size-to-class mapping and the 1/8 bound for every size 1..32768; span layout.
 * - round trips: alloc/write/read/free for every class and for large sizes, with usable size and
 *   alignment; every size twice from one call site; zeroing (__GFP_ZERO, mstat_zalloc()).
 * - counters: exact deltas after a known workload; totals equal the sum over CPUs; the cached_bytes
 *   the counters tell equals what each cache holds, also for a cache that frees five objects and
 *   allocates five between the two passes of a read.
 * - donation conserves every counter (two caches, as a function); a dead cache's objects go back to
 *   the pool.
 * - refill and flush exactly at the batch boundaries; sys_bytes falls after a burst is freed.
 * - pacing: four reads in a row take at least four read_gap_us (a lower bound sleeping guarantees,
 *   not a speed), each still seeing the allocation made just before it.
 * - /proc/mstat rendered and parsed: every field and row, the rows summing to the totals, nothing
 *   but numbers.
 * - API edges: NULL free, size 0, sizes too large, zone modifiers, foreign and interior pointers
 *   (kmalloc's, the stack's, vmalloc's, inside a small, a 16 KiB and a large object): reported,
 *   nothing freed.
 * - contexts: allocation under a spinlock with interrupts off, in hardirq and in softirq, each
 *   counted in the right cache; a hardirq striking while the test holds the task cache leaves it
 *   alone.
 * - consistent reads: two caches standing for two CPUs, an object allocated on one and freed on the
 *   other at every step of a read (each pass, each cache; all four pairs): nfree <= nmalloc and the
 *   rows sum to the totals, while a plain one-pass sum breaks; mstat_read_stats() agrees.
 * - hotplug (SMP only, skipped under UML's one CPU): remove_cpu() of a CPU that allocated and freed
 *   leaves every total unchanged and its row moved exactly into CPU 0's, then add_cpu(); the
 *   teardown run again, as a failed bring-up's rollback runs it, counts no donation; a read made
 *   before the CPU went renders online 1 in its row, one made after 0.
 * - double frees of 8, 96, 4096 and 32768-byte objects, refused with every counter unchanged and
 *   double_frees up by one each: right away, after ten other frees, from a hardirq, from another
 *   CPU (SMP), after the cache was drained to the span (kept by a live neighbour); the next
 *   allocations distinct and intact.
 * - stale pointers: a large object freed twice, and an object of a released span: foreign.
 * - limbo: of four wholly free spans the pool keeps one and releases three, inside an RCU read-side
 *   section: they wait foreign, the next refills take exactly those back with no grow (sys_bytes
 *   exact at each step), and after the grace period the limbo is empty (fails if the pool asks the
 *   page allocator instead).
 * - forged page->private on a page whose bit is set (no tag, no kind, class out of range, no pages,
 *   too many pages): foreign, the page untouched.
 * - write after free: two cached objects written all over and drained: nothing reported, no counter
 *   moved, both still free (freed again: two double frees), later allocations distinct; a state
 *   vector written to at its fourth object yields three objects, reported once; a link forged to
 *   skip four objects is cut where the list ends, reported once, and the pool does not spin on the
 *   emptied span (it did before the check).
 * - an object two CPUs freed at once (second copy in a stand-in cache): withdrawn when it reaches
 *   the pool, whether the first copy went back to its span or was handed out; the pool then hands
 *   the object out once at most and never while it is held.
 * - issue 28's defects, each case failing with its fix taken out: withdrawing a cache's last object
 *   and growing the pool gives a new object; a fallback span's object keeps every cache's
 *   cached_bytes true across caches; every span request of every class, with
 *   GFP_KERNEL | __GFP_NOFAIL and GFP_ATOMIC, its preferred order had or not, is quiet (no
 *   __GFP_NOFAIL) above kmalloc's order; a free whose page changes between lookup and use goes on
 *   with what it decoded; a large object freed by a slower free after its pages became a new large
 *   object is a double free, the new object whole; a large object's count is read with its bytes
 *   while three CPUs churn (SMP, 3 s; the torture runs it for minutes); both /proc files at every
 *   counter's widest fit their buffer; a file name with a space and a newline stays one field; a
 *   full site table still gives a reloaded module its rows (runs last); a shrinker scan of one
 *   object leaves the caches alone; no key needing a chunk is made in hard interrupt context;
 *   KASAN's shadow says freed for a free object of every class and accessible for a handed-out one.
 * - fallback spans: with spans above order 3 refused, 24 KiB objects come from order-3 spans, whole
 *   in every way (contents, usable size, interior pointers foreign, double free refused), sys_bytes
 *   exactly those spans, all given back; then spans of the class's own order again.
 * - memory extents: a range past the load-time bitmap gets words of its own, widened to whole
 *   words, once; covered ranges get none.
 * - the largest object is the page allocator's largest block (MAX_ORDER_NR_PAGES pages, alike in
 *   6.1, 6.4-6.7 and 6.8+): exactly that size is served, one byte more is not.
 * - reclaim: after a burst the shrinker's count is non-zero and its scan leaves every cache empty,
 *   no wholly free span, sys_bytes lower, reclaimed_bytes up by exactly the cached bytes, every
 *   other counter unchanged; idle reclaim at 50 ms does the same within a few intervals and brings
 *   sys_bytes - alloc_bytes back within 256 KiB of before; idle_ms written while the module is
 *   not up (loading, unloading) queues no shepherd, and does once it is; GFP masks, and
 *   __GFP_NOFAIL with __GFP_COMP | __GFP_ZERO | __GFP_MOVABLE | __GFP_RECLAIMABLE |
 *   __GFP_ACCOUNT served from plain pages, zeroed, small and large.
 * - sites: three sites on known lines (100 B, 5000 B zeroed, 40000 B large), a third of each freed
 *   here and a third on another CPU (in hardirq under UML): each row's nmalloc, nfree, live_objects
 *   and live_bytes deltas exact, module and function right, back once all are freed; every row of
 *   every read sane and sorted; the span layout with its state vector.
 * - per-site consistent reads, driven step by step as the totals' are: never nfree > nmalloc for
 *   the site, while a plain one-pass sum breaks.
 * - per-site donation: every key's counters move, the donor's are zeroed, a chunk the recipient
 *   lacks is skipped; with hotplug (SMP) the dead CPU's key counters are 0 and every row of
 *   mstat_read_sites() unchanged; a CPU whose only counts are its keys' (a free, then an allocation
 *   of the same object from its cache) donates them too (fails without it).
 * - a key written over in a live object's state (another class's, one no class has, zero): the free
 *   counts to the object's own class and to no other (fails without the check).
 * - the second copy of an object two CPUs freed at once, withdrawn, is charged to its site as an
 *   allocation (else the site shows more frees than allocations).
 * - read_gap_us above 1 s is refused, the gap unchanged (fails without the bound).
 * - array, copy and resize calls: an overflowing array is NULL with nothing counted; calloc
 *   zeroed; realloc from NULL, shrinking in place (its tail zeroed with __GFP_ZERO), growing into
 *   a new object with the old bytes and zeros after, the old one freed, NULL on failure with the
 *   object intact, 0 frees; memdup, strdup, strndup contents; each counted to its own line.
 * - typed caches: the constructor runs once per carved object (calls = pages x objects per span),
 *   not per allocation, and a value the client left in a freed object is there at the next
 *   allocation; alignments 64, 256, 4096 and SLAB_HWCACHE_ALIGN's kept for every object, zalloc
 *   zeroed; /proc/mstat_caches rows with exact nmalloc, nfree, live objects and bytes and pages,
 *   the site's row exact too; frees into the wrong cache, of a general object into a cache and a
 *   double free refused with nothing moved; mstat_free() takes a typed object; a destroyed cache's
 *   pages all back, its slot reused by the next cache of its size with counts from 0, and, with
 *   no new slot left, by caches of other sizes (48 sizes in turn all made, cumulative bytes
 *   moved by exactly each one's objects at its own size); a cache
 *   destroyed with live objects leaked (row "leaked", pages kept, slot kept), its objects intact
 *   and still freeable; SLAB_TYPESAFE_BY_RCU objects freed and their spans released inside a
 *   read-side section stay readable as left (KASAN kernels too) and wait in the limbo until the
 *   destruction's grace period; bulk calls all distinct and counted, all or nothing.
 * - RCU frees: small, large and typed objects stay live and count in rcu_pending until their batch
 *   is freed, then exactly as many frees; a second mstat_free_rcu(), an mstat_free() or
 *   mstat_cache_free() of a waiting object, a stale one, a foreign pointer and a head outside the
 *   object refused with nothing moved; a typed cache destroyed with one waiting is not leaked;
 *   objects waiting on a CPU that goes offline are freed all the same (SMP).
 * - NUMA (x86_64, booted with two nodes; skipped on one): a CPU of node B frees 2,048 objects a CPU
 *   of node A allocated, then allocates 2,048: all on B's node (2,016 without the remote check),
 *   remote_frees of A's node up by 2,048 exactly, and in every read the nodes' refills sum to
 *   refill_objs; mstat_alloc_node() of 16, 700, 20000 and 100000 B from either CPU to either node,
 *   with and without __GFP_THISNODE: every object on its node; a node that does not exist is any
 *   node, or NULL with __GFP_THISNODE; a shrinker scan of node B empties B's CPUs' caches and
 *   sends B's objects home from A's CPUs' remote buffers, and leaves A's caches alone, also after
 *   a full reclaim (fails with the per-CPU class bits left set).
 *
 * The mstat_debug suite: every class round trip with no red zone disturbed; writes before the
 * object and past the class size each reported once, the object still freed, and the whole usable
 * size of mstat_zalloc() objects zero and writable with no report; a write after free reported and
 * the object withdrawn; a double free and a slot-start pointer refused; /proc/mstat_leaks rows for
 * two known sites with exact counts and bytes (a large object included), gone once freed; typed
 * caches keep a constructed or RCU object's contents while it is free (no poison) and their
 * alignment with red zones.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/local_lock.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include <mstat.h>
#include "../mstat_internal.h"

static struct mstat_totals *snap(struct kunit *test)
{
	struct mstat_totals *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	mstat_collect(t, NULL);
	return t;
}

/* Tests from here provoke mstat's reports on purpose (scripts/kunit_verdict.py). */
static void expect_reports(struct kunit *test)
{
	kunit_info(test, "mstat-kunit: mstat reports expected from here\n");
}

static u64 live_bytes(const struct mstat_totals *t)
{
	return mstat_total_alloc_bytes(t) - mstat_total_free_bytes(t);
}

static void fill(void *p, size_t n, u8 seed)
{
	u8 *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = seed + i * 7;
}

static bool check(const void *p, size_t n, u8 seed)
{
	const u8 *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != (u8)(seed + i * 7))
			return false;
	return true;
}

static void mstat_test_size_classes(struct kunit *test)
{
	unsigned int cls;
	size_t size;

	KUNIT_EXPECT_EQ(test, mstat_classes[0].size, 8U);
	KUNIT_EXPECT_EQ(test, mstat_classes[MSTAT_NR_SIZES - 1].size, 32768U);
	for (cls = 1; cls < MSTAT_NR_SIZES; cls++) {
		KUNIT_ASSERT_GT(test, mstat_classes[cls].size, mstat_classes[cls - 1].size);
		KUNIT_ASSERT_EQ(test, mstat_classes[cls].size % MSTAT_MIN_SIZE, 0U);
	}
	for (size = 1; size <= MSTAT_MAX_SMALL; size++) {
		unsigned int csize, waste;

		cls = mstat_size_to_class(size);
		KUNIT_ASSERT_LT_MSG(test, cls, MSTAT_NR_CLASSES, "size %zu", size);
		/* the fast allocation's table */
		KUNIT_ASSERT_EQ_MSG(test, mstat_size_class[(size - 1) / MSTAT_MIN_SIZE], cls,
				    "size %zu", size);
		csize = mstat_classes[cls].size;
		/* the smallest class that fits */
		KUNIT_ASSERT_GE_MSG(test, csize, size, "size %zu", size);
		if (cls)
			KUNIT_ASSERT_LT_MSG(test, mstat_classes[cls - 1].size, size,
					    "size %zu", size);
		/* at most 1/8 of the class, or under the 8-byte alignment */
		waste = csize - size;
		KUNIT_ASSERT_TRUE_MSG(test, waste * 8 <= csize || waste < MSTAT_MIN_SIZE,
				      "size %zu in class %u wastes %u", size, csize, waste);
	}
}

static bool span_fits(unsigned int size, unsigned int order, unsigned int min)
{
	unsigned long span = PAGE_SIZE << order;

	return span / size >= min && (span % size) * 8 <= span;
}

/* The order mstat_pick_span_order() should have picked, by its rules. */
static unsigned int expected_span_order(unsigned int size)
{
	unsigned int order, best = 0;

	for (order = 0; order <= PAGE_ALLOC_COSTLY_ORDER; order++)
		if (span_fits(size, order, MSTAT_SPAN_OBJS))
			return order;
	for (order = 0; order <= PAGE_ALLOC_COSTLY_ORDER + 1; order++)
		if (span_fits(size, order, MSTAT_SPAN_OBJS - 1))
			return order;
	for (order = PAGE_ALLOC_COSTLY_ORDER; (int)order >= 0; order--)
		if (span_fits(size, order, 4))
			return order;
	for (order = PAGE_ALLOC_COSTLY_ORDER + 1; order <= MSTAT_MAX_SPAN_ORDER; order++)
		if (span_fits(size, order, 4))
			return order;
	for (order = 1; order <= MSTAT_MAX_SPAN_ORDER; order++)
		if ((PAGE_SIZE << order) % size * (PAGE_SIZE << best) <
		    (PAGE_SIZE << best) % size * (PAGE_SIZE << order))
			best = order;
	return best;
}

static void mstat_test_span_layout(struct kunit *test)
{
	static const struct { unsigned int size, order, nobjs; } known[] = {
		{ 8, 0, 341 }, { 1024, 3, 31 }, { 2048, 3, 15 }, { 4096, 4, 15 },
		{ 16384, 5, 7 }, { 32768, 5, 3 },
	};
	unsigned int cls, i, wrong;

	for (cls = 0; cls < MSTAT_NR_SIZES; cls++) {
		const struct mstat_class *mc = &mstat_classes[cls];
		unsigned long span = PAGE_SIZE << mc->span_order;

		KUNIT_EXPECT_LE(test, mc->span_order, MSTAT_MAX_SPAN_ORDER);
		/* each object takes its slot and a u32 of the state vector */
		KUNIT_EXPECT_EQ(test, mc->nobjs, span / (mc->size + 4));
		KUNIT_EXPECT_EQ(test, mc->states_off, mc->nobjs * mc->stride);
		KUNIT_EXPECT_LE(test, mc->states_off + 4 * mc->nobjs, span);
		/* the fast paths' index by multiplication is exact for every object */
		for (i = 0; i < mc->nobjs; i++)
			KUNIT_EXPECT_EQ(test, (u32)(((u64)i * mc->stride * mc->index_mul) >> 32),
					i);
		KUNIT_EXPECT_EQ(test, mc->span_mask, span - 1);
		/* the fast free's, for every offset in the span: an interior one is none */
		KUNIT_EXPECT_NE(test, mc->fast_info, 0U);
		for (i = 0, wrong = 0; i < span; i++) {
			u64 prod = (u64)i * mc->index_mul;
			bool start = i < mc->states_off && (u32)prod < mc->index_mul;

			wrong += (u32)(prod >> 32) != i / mc->stride;
			wrong += start != (i % mc->stride == 0 && i / mc->stride < mc->nobjs);
		}
		KUNIT_EXPECT_EQ_MSG(test, wrong, 0U, "class %u", mc->size);
		KUNIT_EXPECT_GE(test, mc->nobjs, 1U);
		KUNIT_EXPECT_GE(test, mc->batch, 1U);
		KUNIT_EXPECT_EQ(test, mc->cache_cap, 2 * mc->batch);
		KUNIT_EXPECT_LE(test, mc->cache_cap, MSTAT_CACHE_SLOTS);
		KUNIT_EXPECT_EQ_MSG(test, mc->span_order, expected_span_order(mc->size + 4),
				    "class %u", mc->size);
	}
	if (PAGE_SIZE != SZ_4K)
		return;
	for (i = 0; i < ARRAY_SIZE(known); i++) {
		const struct mstat_class *mc = &mstat_classes[mstat_size_to_class(known[i].size)];

		KUNIT_EXPECT_EQ_MSG(test, mc->span_order, known[i].order, "class %u", mc->size);
		KUNIT_EXPECT_EQ_MSG(test, mc->nobjs, known[i].nobjs, "class %u", mc->size);
	}
}

/*
 * The fast free's lookup (mstat_fast_state()) finds @obj, of class @cls,
 * as the general one does, where it is meant to (a span of the class's own
 * order), and refuses the byte after its start: so a wrong page frame
 * arithmetic on some architecture fails here rather than only sending
 * every free to the general path.
 */
static void expect_fast_lookup(struct kunit *test, void *obj, unsigned int cls)
{
	const struct mstat_class *mc;
	unsigned long pfn;
	unsigned int fcls;
	u32 *st;

	if (mstat_debug() ||
	    mstat_info_order(mstat_page_info(obj, &pfn)) != mstat_classes[cls].span_order)
		return;
	KUNIT_ASSERT_TRUE_MSG(test, mstat_fast_state(obj, &fcls, &st, &mc), "class %u",
			      mstat_classes[cls].size);
	KUNIT_EXPECT_EQ(test, fcls, cls);
	KUNIT_EXPECT_PTR_EQ(test, mc, &mstat_classes[cls]);
	KUNIT_EXPECT_PTR_EQ(test, st, mstat_obj_state(obj, cls));
	KUNIT_EXPECT_FALSE(test, mstat_fast_state(obj + 1, &fcls, &st, &mc));
}

#define OBJS_PER_CLASS 3

static void mstat_test_roundtrip_classes(struct kunit *test)
{
	unsigned int cls, i, wrong = 0;
	void *objs[OBJS_PER_CLASS];
	size_t req;

	for (cls = 0; cls < MSTAT_NR_SIZES; cls++) {
		unsigned int size = mstat_classes[cls].size;
		/* smallest and largest request that maps to this class */
		size_t req[OBJS_PER_CLASS] = {
			cls ? mstat_classes[cls - 1].size + 1 : 1, size, size,
		};

		for (i = 0; i < OBJS_PER_CLASS; i++) {
			objs[i] = mstat_alloc(req[i], GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, objs[i]);
			KUNIT_EXPECT_EQ(test, mstat_usable_size(objs[i]), (size_t)size);
			KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)objs[i], 8));
			if (is_power_of_2(size))
				KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)objs[i], size));
			expect_fast_lookup(test, objs[i], cls);
			fill(objs[i], size, cls + i);
		}
		/* written over the whole usable size, and no overlap */
		for (i = 0; i < OBJS_PER_CLASS; i++) {
			KUNIT_EXPECT_TRUE_MSG(test, check(objs[i], size, cls + i),
					      "class %u object %u corrupted", size, i);
			mstat_free(objs[i]);
		}
	}
	/* every size, twice from one site: the second from the site's last key */
	for (req = 1; req <= MSTAT_MAX_SMALL; req++) {
		for (i = 0; i < 2; i++) {
			unsigned int want = mstat_classes[mstat_size_to_class(req)].size;
			void *p = mstat_alloc(req, GFP_KERNEL);

			KUNIT_ASSERT_NOT_NULL(test, p);
			wrong += mstat_usable_size(p) != want;
			mstat_free(p);
		}
	}
	KUNIT_EXPECT_EQ(test, wrong, 0U);
}

static void mstat_test_roundtrip_large(struct kunit *test)
{
	static const size_t sizes[] = { MSTAT_MAX_SMALL + 1, 40000, 65536, 100000, SZ_1M };
	struct mstat_totals *before = snap(test), *after;
	u64 bytes = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		void *p = mstat_alloc(sizes[i], GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_TRUE(test, PAGE_ALIGNED(p));
		KUNIT_EXPECT_EQ(test, mstat_usable_size(p), PAGE_ALIGN(sizes[i]));
		fill(p, PAGE_ALIGN(sizes[i]), i);
		KUNIT_EXPECT_TRUE(test, check(p, PAGE_ALIGN(sizes[i]), i));
		/* a live large object's pages are in sys_bytes */
		KUNIT_EXPECT_EQ(test, snap(test)->sys_bytes - before->sys_bytes,
				(u64)PAGE_ALIGN(sizes[i]));
		mstat_free(p);
		bytes += PAGE_ALIGN(sizes[i]);
	}
	after = snap(test);
	KUNIT_EXPECT_EQ(test, after->sum.large_nmalloc - before->sum.large_nmalloc,
			(u64)ARRAY_SIZE(sizes));
	KUNIT_EXPECT_EQ(test, after->sum.large_nfree - before->sum.large_nfree,
			(u64)ARRAY_SIZE(sizes));
	KUNIT_EXPECT_EQ(test, after->sum.large_alloc_bytes - before->sum.large_alloc_bytes,
			bytes);
	KUNIT_EXPECT_EQ(test, after->sum.large_free_bytes - before->sum.large_free_bytes,
			bytes);
	KUNIT_EXPECT_EQ(test, after->sys_bytes, before->sys_bytes);
}

/*
 * Round 0 takes the general path (a site's first allocation of a class
 * makes its key), round 1 the fast path, which zeroes too.
 */
static void mstat_test_zeroing(struct kunit *test)
{
	static const size_t sizes[] = { 8, 100, 4096, 20000, MSTAT_MAX_SMALL, 50000 };
	unsigned int i, round;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (round = 0; round < 2; round++) {
			size_t usable;
			void *p;

			/* dirty an object, free it: the cache hands it back next */
			p = mstat_alloc(sizes[i], GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, p);
			usable = mstat_usable_size(p);
			memset(p, 0xa5, usable);
			mstat_free(p);

			p = (i & 1) ? mstat_zalloc(sizes[i], GFP_KERNEL) :
				      mstat_alloc(sizes[i], GFP_KERNEL | __GFP_ZERO);
			KUNIT_ASSERT_NOT_NULL(test, p);
			KUNIT_EXPECT_EQ(test, mstat_usable_size(p), usable);
			KUNIT_EXPECT_TRUE_MSG(test, !memchr_inv(p, 0, usable),
					      "size %zu round %u not zeroed", sizes[i], round);
			mstat_free(p);
		}
	}
}

static void mstat_test_counter_deltas(struct kunit *test)
{
	unsigned int c24 = mstat_size_to_class(24), c1000 = mstat_size_to_class(1000);
	size_t large = PAGE_ALIGN(50000);
	struct mstat_totals *before, *mid, *after;
	void *a[10], *b[5], *l[2];
	unsigned int i;

	before = snap(test);
	for (i = 0; i < 10; i++)
		a[i] = mstat_alloc(24, GFP_KERNEL);
	for (i = 0; i < 5; i++)
		b[i] = mstat_alloc(1000, GFP_KERNEL);
	for (i = 0; i < 2; i++)
		l[i] = mstat_alloc(50000, GFP_KERNEL);
	for (i = 0; i < 4; i++)
		mstat_free(a[i]);
	mstat_free(b[0]);
	mstat_free(l[0]);
	mid = snap(test);

	KUNIT_EXPECT_EQ(test, mid->sum.nmalloc[c24] - before->sum.nmalloc[c24], 10ULL);
	KUNIT_EXPECT_EQ(test, mid->sum.nfree[c24] - before->sum.nfree[c24], 4ULL);
	KUNIT_EXPECT_EQ(test, mid->sum.nmalloc[c1000] - before->sum.nmalloc[c1000], 5ULL);
	KUNIT_EXPECT_EQ(test, mid->sum.nfree[c1000] - before->sum.nfree[c1000], 1ULL);
	KUNIT_EXPECT_EQ(test, mid->sum.large_nmalloc - before->sum.large_nmalloc, 2ULL);
	KUNIT_EXPECT_EQ(test, mid->sum.large_nfree - before->sum.large_nfree, 1ULL);
	KUNIT_EXPECT_EQ(test, mstat_nmalloc(&mid->sum) - mstat_nmalloc(&before->sum), 17ULL);
	KUNIT_EXPECT_EQ(test, mstat_nfree(&mid->sum) - mstat_nfree(&before->sum), 6ULL);
	KUNIT_EXPECT_EQ(test, mstat_total_alloc_bytes(mid) -
			mstat_total_alloc_bytes(before),
			(u64)(10 * 24 + 5 * 1024 + 2 * large));
	KUNIT_EXPECT_EQ(test, live_bytes(mid) - live_bytes(before),
			(u64)(6 * 24 + 4 * 1024 + large));

	for (i = 4; i < 10; i++)
		mstat_free(a[i]);
	for (i = 1; i < 5; i++)
		mstat_free(b[i]);
	mstat_free(l[1]);
	after = snap(test);
	KUNIT_EXPECT_EQ(test, mstat_nmalloc(&after->sum) - mstat_nmalloc(&before->sum), 17ULL);
	KUNIT_EXPECT_EQ(test, mstat_nfree(&after->sum) - mstat_nfree(&before->sum), 17ULL);
	KUNIT_EXPECT_EQ(test, live_bytes(after), live_bytes(before));
}

static void mstat_test_totals_are_sum_of_cpus(struct kunit *test)
{
	struct mstat_totals *cpus, *t, *sum;
	unsigned int cpu;
	void *keep = mstat_alloc(333, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, keep);
	cpus = kunit_kcalloc(test, nr_cpu_ids, sizeof(*cpus), GFP_KERNEL);
	sum = kunit_kzalloc(test, sizeof(*sum), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpus);
	KUNIT_ASSERT_NOT_NULL(test, sum);
	t = snap(test);
	mstat_collect(t, cpus);
	for_each_possible_cpu(cpu) {
		mstat_counters_add(&sum->sum, &cpus[cpu].sum);
		sum->cached_bytes += cpus[cpu].cached_bytes;
	}
	KUNIT_EXPECT_EQ(test, memcmp(&sum->sum, &t->sum, sizeof(t->sum)), 0);
	KUNIT_EXPECT_EQ(test, sum->cached_bytes, t->cached_bytes);
	/* cached_bytes told by the counters is what the caches really hold */
	for_each_possible_cpu(cpu) {
		struct mstat_pcpu *task = per_cpu_ptr(mstat_caches[MSTAT_TASK], cpu);
		struct mstat_pcpu *irq = per_cpu_ptr(mstat_caches[MSTAT_IRQ], cpu);

		KUNIT_EXPECT_EQ_MSG(test, cpus[cpu].cached_bytes,
				    mstat_pcpu_cached_bytes(task) + mstat_pcpu_cached_bytes(irq),
				    "cpu%u", cpu);
	}
	KUNIT_EXPECT_GE(test, mstat_nmalloc(&t->sum) - mstat_nfree(&t->sum), 1ULL);
	mstat_free(keep);
}

static void fill_counters(struct mstat_counters *c, u64 seed)
{
	u64 *v = (u64 *)c;
	size_t i;

	for (i = 0; i < sizeof(*c) / sizeof(u64); i++)
		v[i] = seed * 1000 + i;
}

static void mstat_test_donate_conserves(struct kunit *test)
{
	struct mstat_pcpu *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	struct mstat_pcpu *b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	struct mstat_counters *want = kunit_kzalloc(test, sizeof(*want), GFP_KERNEL);
	struct mstat_counters *zero = kunit_kzalloc(test, sizeof(*zero), GFP_KERNEL);
	u64 i;

	u64 *an, *bn, nwords = nr_node_ids * MSTAT_NODE_COUNTERS;

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_ASSERT_NOT_NULL(test, want);
	KUNIT_ASSERT_NOT_NULL(test, zero);
	a->nodes = kunit_kcalloc(test, nr_node_ids, sizeof(*a->nodes), GFP_KERNEL);
	b->nodes = kunit_kcalloc(test, nr_node_ids, sizeof(*b->nodes), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, a->nodes);
	KUNIT_ASSERT_NOT_NULL(test, b->nodes);
	an = (u64 *)a->nodes;
	bn = (u64 *)b->nodes;
	for (i = 0; i < nwords; i++) {
		an[i] = 300 + i;
		bn[i] = 1100 + i;
	}
	fill_counters(&a->stats, 3);
	fill_counters(&b->stats, 11);
	mstat_counters_add(want, &a->stats);
	mstat_counters_add(want, &b->stats);

	mstat_donate(a, b);
	KUNIT_EXPECT_EQ(test, memcmp(&b->stats, want, sizeof(*want)), 0);
	KUNIT_EXPECT_EQ(test, memcmp(&a->stats, zero, sizeof(*zero)), 0);
	/* the per-node counters move too */
	for (i = 0; i < nwords; i++) {
		KUNIT_EXPECT_EQ(test, bn[i], 1400 + 2 * i);
		KUNIT_EXPECT_EQ(test, an[i], 0ULL);
	}
	i = offsetof(struct mstat_counters, nrefill_objs[5]) / sizeof(u64);
	KUNIT_EXPECT_EQ(test, b->stats.nrefill_objs[5], 3000ULL + i + 11000ULL + i);
	i = offsetof(struct mstat_counters, ndonations) / sizeof(u64);
	KUNIT_EXPECT_EQ(test, b->stats.ndonations, 3000ULL + i + 11000ULL + i);

	/* a CPU that died, came back and died again donates from 0 again */
	a->stats.large_nmalloc = 1;
	mstat_donate(a, b);
	KUNIT_EXPECT_EQ(test, b->stats.large_nmalloc, want->large_nmalloc + 1);
	KUNIT_EXPECT_EQ(test, a->stats.large_nmalloc, 0ULL);
}

/* A cache of the tests' own, with every chunk of key counters. */
static struct mstat_pcpu *fake_cache(struct kunit *test)
{
	struct mstat_pcpu *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	unsigned int k;

	KUNIT_ASSERT_NOT_NULL(test, c);
	mstat_pcpu_init(c, MSTAT_TASK);
	c->nodes = kunit_kcalloc(test, nr_node_ids, sizeof(*c->nodes), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->nodes);
	for (k = 0; k < MSTAT_SITE_CHUNKS; k++) {
		c->sites[k] = kunit_kzalloc(test, sizeof(*c->sites[k]), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, c->sites[k]);
	}
	return c;
}

/* Counter @field of key @key in cache @c; key cls is class cls's with no site. */
static u64 *key_ctr(struct mstat_pcpu *c, size_t field, unsigned int key)
{
	return (u64 *)((char *)c->sites[key / MSTAT_SITE_CHUNK] + field) + key % MSTAT_SITE_CHUNK;
}

#define KEY_CTR(c, field, key)	\
	(*key_ctr(c, offsetof(struct mstat_site_chunk, field), key))

/* A cache's allocations of class @cls, summed over its keys. */
static u64 cache_nmalloc(const struct mstat_pcpu *c, unsigned int cls)
{
	u64 n[MSTAT_NR_CLASSES] = { };

	mstat_read_keys(c, mstat_nr_keys_read(), false, n, NULL);
	return n[cls];
}

/*
 * Read consistency.  Two caches stand for two CPUs; between any two steps
 * of a read, the hook makes an object be allocated on one and then freed on
 * the other (or the same), the order the free must follow.
 */
struct read_race {
	struct mstat_pcpu *caches[2];
	unsigned int pass, idx;		/* where the event strikes */
	unsigned int on_alloc, on_free;	/* which cache allocates and frees */
	unsigned int cls;
	unsigned int nevents;
	bool fired;
};

static struct read_race *race;

static void race_event(void)
{
	struct mstat_pcpu *a = race->caches[race->on_alloc], *f = race->caches[race->on_free];

	KEY_CTR(a, nmalloc, race->cls)++;
	a->stats.large_nmalloc++;
	a->stats.large_alloc_bytes += PAGE_SIZE;
	KEY_CTR(f, nfree, race->cls)++;
	f->stats.large_nfree++;
	f->stats.large_free_bytes += PAGE_SIZE;
	race->nevents++;
	race->fired = true;
}

/* Event @k of 16: every place in a read (2 passes x 2 caches), every pair of caches. */
static void race_at(unsigned int k)
{
	race->pass = 1 + (k >> 3);
	race->idx = (k >> 2) & 1;
	race->on_alloc = (k >> 1) & 1;
	race->on_free = k & 1;
	race->fired = false;
}

static void race_hook(unsigned int pass, unsigned int idx)
{
	if (pass == race->pass && idx == race->idx)
		race_event();
}

static void expect_consistent(struct kunit *test, const struct mstat_totals *t,
			      const struct mstat_totals *rows, unsigned int n)
{
	struct mstat_counters *sum = kunit_kzalloc(test, sizeof(*sum), GFP_KERNEL);
	unsigned int cls, i;

	KUNIT_ASSERT_NOT_NULL(test, sum);
	for (cls = 0; cls < MSTAT_NR_CLASSES; cls++)
		KUNIT_EXPECT_LE(test, t->sum.nfree[cls], t->sum.nmalloc[cls]);
	KUNIT_EXPECT_LE(test, t->sum.large_nfree, t->sum.large_nmalloc);
	KUNIT_EXPECT_LE(test, t->sum.large_free_bytes, t->sum.large_alloc_bytes);
	KUNIT_EXPECT_LE(test, mstat_nfree(&t->sum), mstat_nmalloc(&t->sum));
	for (i = 0; i < n; i++)
		mstat_counters_add(sum, &rows[i].sum);
	KUNIT_EXPECT_EQ(test, memcmp(sum, &t->sum, sizeof(*sum)), 0);
}

static void mstat_test_read_consistency(struct kunit *test)
{
	struct mstat_totals *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	struct mstat_totals *rows = kunit_kcalloc(test, 2, sizeof(*rows), GFP_KERNEL);
	unsigned int k, c;
	bool naive_broken = false;
	u64 nmalloc, nfree;

	race = kunit_kzalloc(test, sizeof(*race), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_NOT_NULL(test, rows);
	KUNIT_ASSERT_NOT_NULL(test, race);
	for (c = 0; c < 2; c++)
		race->caches[c] = fake_cache(test);
	race->cls = 3;

	/* every place in the read (2 passes x 2 caches), every pair of CPUs */
	for (k = 0; k < 16; k++) {
		race_at(k);
		mstat_read_hook = race_hook;
		mstat_read_caches(t, rows, race->caches, 2, 1);
		mstat_read_hook = NULL;
		KUNIT_EXPECT_TRUE(test, race->fired);
		expect_consistent(test, t, rows, 2);

		/* the same event against a plain one-pass sum, cache by cache */
		nmalloc = KEY_CTR(race->caches[0], nmalloc, race->cls);
		nfree = KEY_CTR(race->caches[0], nfree, race->cls);
		if (race->pass == 1 && race->idx == 0)
			race_event();
		nmalloc += KEY_CTR(race->caches[1], nmalloc, race->cls);
		nfree += KEY_CTR(race->caches[1], nfree, race->cls);
		naive_broken |= nfree > nmalloc;
	}
	/* the test does strike where a plain sum breaks */
	KUNIT_EXPECT_TRUE(test, naive_broken);
	/* and all the events were counted in the end */
	mstat_read_caches(t, NULL, race->caches, 2, 1);
	KUNIT_EXPECT_EQ(test, race->nevents, 16U + 4U);
	KUNIT_EXPECT_EQ(test, t->sum.nmalloc[race->cls], (u64)race->nevents);
	KUNIT_EXPECT_EQ(test, t->sum.nfree[race->cls], (u64)race->nevents);
	KUNIT_EXPECT_EQ(test, t->sum.large_alloc_bytes, (u64)race->nevents * PAGE_SIZE);
}

/*
 * cached_bytes of a cache that frees and allocates between the two passes
 * of a read: the frees are missed by the first pass, the allocations seen
 * by the second, yet the cache holds what it held.
 */
static void churn_hook(unsigned int pass, unsigned int idx)
{
	struct mstat_pcpu *c = race->caches[0];

	if (pass == 1 && idx == 1) {
		KEY_CTR(c, nfree, race->cls) += 5;	/* five objects freed into the cache, */
		KEY_CTR(c, nmalloc, race->cls) += 5;	/* then five allocated from it */
		race->fired = true;
	}
}

static void mstat_test_cached_between_passes(struct kunit *test)
{
	struct mstat_totals *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	struct mstat_totals *rows = kunit_kcalloc(test, 2, sizeof(*rows), GFP_KERNEL);
	unsigned int c, size;

	race = kunit_kzalloc(test, sizeof(*race), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_NOT_NULL(test, rows);
	KUNIT_ASSERT_NOT_NULL(test, race);
	for (c = 0; c < 2; c++)
		race->caches[c] = fake_cache(test);
	race->cls = 7;
	size = mstat_classes[race->cls].size;
	/* cache 0 got 16 objects by a refill, handed out 10, got 2 back */
	race->caches[0]->stats.nrefill_objs[race->cls] = 16;
	KEY_CTR(race->caches[0], nmalloc, race->cls) = 10;
	KEY_CTR(race->caches[0], nfree, race->cls) = 2;
	race->caches[1]->stats.nrefill_objs[race->cls] = 3;

	mstat_read_hook = churn_hook;
	mstat_read_caches(t, rows, race->caches, 2, 1);
	mstat_read_hook = NULL;
	KUNIT_EXPECT_TRUE(test, race->fired);
	KUNIT_EXPECT_EQ(test, rows[0].cached_bytes, 8ULL * size);
	KUNIT_EXPECT_EQ(test, rows[1].cached_bytes, 3ULL * size);
	KUNIT_EXPECT_EQ(test, t->cached_bytes, 11ULL * size);
}

/*
 * Reads are paced (read_gap_us): five in a row take at least four gaps.
 * A lower bound that sleeping guarantees, not a measure of speed; and each
 * read still sees what was done just before it.
 */
static void mstat_test_read_pacing(struct kunit *test)
{
	unsigned int cls = mstat_size_to_class(64), i;
	struct mstat_totals *t = snap(test);
	u64 start, last = t->sum.nmalloc[cls];
	void *p;

	start = ktime_get_ns();
	for (i = 0; i < 4; i++) {
		p = mstat_alloc(64, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		t = snap(test);
		KUNIT_EXPECT_EQ(test, t->sum.nmalloc[cls], last + 1);
		last = t->sum.nmalloc[cls];
		mstat_free(p);
	}
	KUNIT_EXPECT_GE(test, ktime_get_ns() - start, 4ULL * mstat_read_gap_us * NSEC_PER_USEC);
}

static void mstat_test_read_stats(struct kunit *test)
{
	struct mstat_totals *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	struct mstat_stats st;
	void *p = mstat_alloc(100, GFP_KERNEL), *l = mstat_alloc(50000, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, l);
	mstat_collect(t, NULL);
	mstat_read_stats(&st);
	KUNIT_EXPECT_EQ(test, st.nmalloc, mstat_nmalloc(&t->sum));
	KUNIT_EXPECT_EQ(test, st.nfree, mstat_nfree(&t->sum));
	KUNIT_EXPECT_EQ(test, st.live_objects, st.nmalloc - st.nfree);
	KUNIT_EXPECT_GE(test, st.live_objects, 2ULL);
	KUNIT_EXPECT_EQ(test, st.alloc_bytes, live_bytes(t));
	KUNIT_EXPECT_EQ(test, st.total_alloc_bytes, mstat_total_alloc_bytes(t));
	KUNIT_EXPECT_EQ(test, st.large_alloc_bytes,
			t->sum.large_alloc_bytes - t->sum.large_free_bytes);
	KUNIT_EXPECT_GE(test, st.large_alloc_bytes, (u64)PAGE_ALIGN(50000));
	KUNIT_EXPECT_EQ(test, st.sys_bytes, t->sys_bytes);
	KUNIT_EXPECT_EQ(test, st.cpu_donations, t->sum.ndonations);
	mstat_free(p);
	mstat_free(l);
}

static void drain_here(struct work_struct *unused)
{
	mstat_drain_this_cpu();
}

/* Empty every CPU's caches, each on its own CPU, in task context. */
static void drain_all_cpus(void)
{
	schedule_on_each_cpu(drain_here);
}

/*
 * Up to @want free objects of @cls from this CPU's pool; one found out on
 * a list (a copy) is counted as withdrawn, as a cache's refill counts it.
 */
static unsigned int take(unsigned int cls, void **objs, unsigned int want)
{
	unsigned int nout, n, i;

	n = mstat_central_take(cls, NUMA_NO_NODE, objs, want, &nout);
	for (i = 0; i < nout; i++)
		mstat_pcpu_owed(cls, objs[want - 1 - i]);
	return n;
}

static unsigned int take_all(unsigned int cls, void **objs, unsigned int max)
{
	unsigned int n = 0, got;

	do {
		got = take(cls, objs + n, min(max - n, 32U));
		n += got;
	} while (got && n < max);
	return n;
}

/* Objects of spans of the class's own order (all a cache holds) back to their pool. */
static unsigned int put_back(unsigned int cls, void **objs, unsigned int n)
{
	return mstat_central_put(cls, objs, n, mstat_classes[cls].span_order);
}

/* @n objects are the whole of one span of @size: each slot exactly once. */
static void expect_one_span(struct kunit *test, void **objs, unsigned int n, size_t size)
{
	unsigned long lo = ULONG_MAX, *seen;
	unsigned int i;

	seen = kunit_kcalloc(test, BITS_TO_LONGS(n), sizeof(long), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, seen);
	for (i = 0; i < n; i++)
		lo = min_t(unsigned long, lo, (unsigned long)objs[i]);
	for (i = 0; i < n; i++) {
		unsigned long off = (unsigned long)objs[i] - lo;

		KUNIT_EXPECT_EQ(test, off % size, 0UL);
		KUNIT_ASSERT_LT(test, off / size, (unsigned long)n);
		KUNIT_EXPECT_FALSE(test, test_and_set_bit(off / size, seen));
	}
}

/*
 * A dead cache's objects go back to their span, each exactly once: for a
 * class of 16 objects per span (512 B) and one of 256 (16 B).
 */
static void mstat_test_drain_returns_objects(struct kunit *test)
{
	static const size_t sizes[] = { 512, 16 };
	struct mstat_pcpu *dead = kunit_kzalloc(test, sizeof(*dead), GFP_KERNEL);
	unsigned int max = 4096, held, n, k;
	void **objs = kunit_kcalloc(test, max, sizeof(void *), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, dead);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	dead->nodes = kunit_kcalloc(test, nr_node_ids, sizeof(*dead->nodes), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, dead->nodes);
	drain_all_cpus();
	for (k = 0; k < ARRAY_SIZE(sizes); k++) {
		unsigned int cls = mstat_size_to_class(sizes[k]);
		unsigned int nobjs = mstat_classes[cls].nobjs;

		held = take_all(cls, objs, max);
		KUNIT_ASSERT_LT(test, held, max - nobjs);
		KUNIT_ASSERT_EQ(test, take_all(cls, objs + held, max - held), 0U);

		/* one fresh span; a "dead" cache holds 5 of its objects */
		KUNIT_ASSERT_GE(test, mstat_central_grow(cls, NUMA_NO_NODE, GFP_KERNEL, NULL), 0);
		n = take(cls, dead->cls[cls].objs, 5);
		KUNIT_ASSERT_EQ(test, n, 5U);
		dead->cls[cls].count = n;
		KUNIT_EXPECT_EQ(test, mstat_pcpu_cached_bytes(dead), 5ULL * sizes[k]);

		mstat_pcpu_drain(dead);
		KUNIT_EXPECT_EQ(test, dead->cls[cls].count, 0U);
		KUNIT_EXPECT_EQ(test, mstat_pcpu_cached_bytes(dead), 0ULL);
		/* all of the span is back in the pool, each object once */
		n = take_all(cls, objs + held, max - held);
		KUNIT_EXPECT_EQ(test, n, nobjs);
		expect_one_span(test, objs + held, n, sizes[k]);
		put_back(cls, objs, held + n);
	}
}

static void mstat_test_refill_flush_boundaries(struct kunit *test)
{
	unsigned int cls = mstat_size_to_class(64);
	unsigned int batch = mstat_classes[cls].batch, cap = mstat_classes[cls].cache_cap;
	unsigned int nalloc = 2 * batch + 1, i;
	struct mstat_totals *t0, *t;
	void **objs;

	KUNIT_ASSERT_EQ(test, cap, 2 * batch);
	objs = kunit_kcalloc(test, nalloc, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);

	drain_all_cpus();
	migrate_disable();
	mstat_drain_this_cpu();
	t0 = snap(test);
	for (i = 0; i < nalloc; i++) {
		objs[i] = mstat_alloc(64, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		if (i + 1 == batch) {
			t = snap(test);
			KUNIT_EXPECT_EQ(test, t->sum.nrefill - t0->sum.nrefill, 1ULL);
			KUNIT_EXPECT_EQ(test, mstat_cached_count(cls), 0U);
		} else if (i == batch) {
			t = snap(test);
			KUNIT_EXPECT_EQ(test, t->sum.nrefill - t0->sum.nrefill, 2ULL);
			KUNIT_EXPECT_EQ(test, mstat_cached_count(cls), batch - 1);
		}
	}
	t = snap(test);
	KUNIT_EXPECT_EQ(test, t->sum.nrefill - t0->sum.nrefill, 3ULL);
	KUNIT_EXPECT_EQ(test, mstat_cached_count(cls), 3 * batch - nalloc);

	/* frees fill the cache to cap; the next one flushes a batch first */
	for (i = 0; i < cap - (3 * batch - nalloc); i++)
		mstat_free(objs[i]);
	t = snap(test);
	KUNIT_EXPECT_EQ(test, t->sum.nflush - t0->sum.nflush, 0ULL);
	KUNIT_EXPECT_EQ(test, mstat_cached_count(cls), cap);
	mstat_free(objs[i++]);
	t = snap(test);
	KUNIT_EXPECT_EQ(test, t->sum.nflush - t0->sum.nflush, 1ULL);
	KUNIT_EXPECT_EQ(test, mstat_cached_count(cls), cap - batch + 1);
	for (; i < nalloc; i++)
		mstat_free(objs[i]);
	t = snap(test);
	KUNIT_EXPECT_EQ(test, t->sum.nflush - t0->sum.nflush, 1ULL);
	KUNIT_EXPECT_EQ(test, mstat_cached_count(cls), cap);
	KUNIT_EXPECT_EQ(test, t->sum.nrefill - t0->sum.nrefill, 3ULL);
	migrate_enable();
}

static void mstat_test_sys_bytes_falls(struct kunit *test)
{
	unsigned int cls = mstat_size_to_class(4096), n = 2000, i;
	unsigned long span = PAGE_SIZE << mstat_classes[cls].span_order;
	void **objs = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	u64 base, peak, after;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	drain_all_cpus();
	mstat_limbo_drain();
	base = mstat_span_bytes();
	for (i = 0; i < n; i++) {
		objs[i] = mstat_alloc(4096, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	peak = mstat_span_bytes();
	/* at most one span's worth of objects came from before */
	KUNIT_EXPECT_GE(test, peak, base + (u64)n * 4096 - span);
	for (i = 0; i < n; i++)
		mstat_free(objs[i]);
	drain_all_cpus();
	mstat_limbo_drain();
	after = mstat_span_bytes();
	/* only the empty-span reserve of the class is kept */
	KUNIT_EXPECT_LE(test, after, base + MSTAT_EMPTY_RESERVE * span);
}

/* Find "name value" among the summary lines of a rendered /proc/mstat. */
static bool proc_value(char *text, const char *name, u64 *val)
{
	size_t len = strlen(name);
	char *p = text;

	while ((p = strstr(p, name))) {
		if ((p == text || p[-1] == '\n') && p[len] == ' ')
			return sscanf(p + len + 1, "%llu", val) == 1;
		p += len;
	}
	return false;
}

static void expect_field(struct kunit *test, char *text, const char *name, u64 want)
{
	u64 got;

	KUNIT_ASSERT_TRUE_MSG(test, proc_value(text, name, &got), "no %s line", name);
	KUNIT_EXPECT_EQ_MSG(test, got, want, "%s", name);
}

/* No kernel address: every token is a known name, a row key or a number. */
static void expect_only_numbers(struct kunit *test, char *text)
{
	char *line, *tok;

	while ((line = strsep(&text, "\n"))) {
		bool first = true;

		if (!*line || line[0] == '#' || str_has_prefix(line, "mstat version "))
			continue;
		while ((tok = strsep(&line, " "))) {
			long long v;

			if (first) {
				first = false;
				continue;
			}
			KUNIT_EXPECT_EQ_MSG(test, kstrtoll(tok, 10, &v), 0, "token '%s'", tok);
		}
	}
}

#define CPU_LEGEND "# cpu online nmalloc nfree alloc_bytes cached_bytes nrefill nflush\n"

static void mstat_test_proc_render(struct kunit *test)
{
	const size_t bufsize = 64 * 1024;
	struct mstat_totals *cpus, *t;
	struct seq_file m = { };
	u64 sum_malloc = 0, sum_free = 0, sum_cached = 0;
	s64 sum_bytes = 0;
	unsigned int cls, rows = 0;
	char *text, *line, *copy;
	void *keep[3];

	keep[0] = mstat_alloc(24, GFP_KERNEL);
	keep[1] = mstat_alloc(3000, GFP_KERNEL);
	keep[2] = mstat_alloc(70000, GFP_KERNEL);
	cpus = kunit_kcalloc(test, nr_cpu_ids, sizeof(*cpus), GFP_KERNEL);
	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	m.buf = kunit_kzalloc(test, bufsize, GFP_KERNEL);
	m.size = bufsize - 1;
	KUNIT_ASSERT_NOT_NULL(test, cpus);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_NOT_NULL(test, m.buf);

	mstat_collect(t, cpus);
	KUNIT_ASSERT_EQ(test, mstat_show(&m, NULL), 0);
	KUNIT_ASSERT_FALSE(test, seq_has_overflowed(&m));
	text = m.buf;
	text[m.count] = '\0';
	copy = kunit_kzalloc(test, m.count + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, copy);
	memcpy(copy, text, m.count + 1);

	KUNIT_EXPECT_TRUE(test, str_has_prefix(text, "mstat version 1\n"));
	expect_field(test, text, "alloc_bytes", live_bytes(t));
	expect_field(test, text, "total_alloc_bytes", mstat_total_alloc_bytes(t));
	expect_field(test, text, "total_free_bytes", mstat_total_free_bytes(t));
	expect_field(test, text, "sys_bytes", t->sys_bytes);
	expect_field(test, text, "cached_bytes", t->cached_bytes);
	expect_field(test, text, "nmalloc", mstat_nmalloc(&t->sum));
	expect_field(test, text, "nfree", mstat_nfree(&t->sum));
	expect_field(test, text, "live_objects", mstat_nmalloc(&t->sum) - mstat_nfree(&t->sum));
	expect_field(test, text, "large_nmalloc", t->sum.large_nmalloc);
	expect_field(test, text, "large_nfree", t->sum.large_nfree);
	expect_field(test, text, "large_alloc_bytes",
		     t->sum.large_alloc_bytes - t->sum.large_free_bytes);
	expect_field(test, text, "nrefill", t->sum.nrefill);
	expect_field(test, text, "nflush", t->sum.nflush);
	expect_field(test, text, "cpu_donations", t->sum.ndonations);
	expect_field(test, text, "bad_pointers", t->nbad_ptr);
	expect_field(test, text, "nr_classes", MSTAT_NR_CLASSES);

	line = strstr(text, "\n# class size nmalloc nfree live_objects alloc_bytes\n");
	KUNIT_ASSERT_NOT_NULL(test, line);
	line = strchr(line + 1, '\n') + 1;
	for (cls = 0; cls < MSTAT_NR_CLASSES; cls++) {
		unsigned int c, size;
		u64 nm, nf, live, bytes;

		int fields = sscanf(line, "class%u %u %llu %llu %llu %llu",
				    &c, &size, &nm, &nf, &live, &bytes);

		KUNIT_ASSERT_EQ(test, fields, 6);
		KUNIT_EXPECT_EQ(test, c, cls);
		KUNIT_EXPECT_EQ(test, size, mstat_classes[cls].size);
		KUNIT_EXPECT_EQ(test, nm, t->sum.nmalloc[cls]);
		KUNIT_EXPECT_EQ(test, nf, t->sum.nfree[cls]);
		KUNIT_EXPECT_EQ(test, live, nm - nf);
		KUNIT_EXPECT_EQ(test, bytes, live * size);
		line = strchr(line, '\n') + 1;
	}
	KUNIT_ASSERT_TRUE(test, str_has_prefix(line, CPU_LEGEND));
	line = strchr(line, '\n') + 1;
	while (*line) {
		unsigned int cpu;
		int online;
		u64 nm, nf, cached, refill, flush;
		s64 bytes;

		int fields = sscanf(line, "cpu%u %d %llu %llu %lld %llu %llu %llu",
				    &cpu, &online, &nm, &nf, &bytes, &cached,
				    &refill, &flush);

		KUNIT_ASSERT_EQ(test, fields, 8);
		KUNIT_EXPECT_EQ(test, online, (int)cpu_online(cpu));
		sum_malloc += nm;
		sum_free += nf;
		sum_bytes += bytes;
		sum_cached += cached;
		rows++;
		line = strchr(line, '\n') + 1;
	}
	KUNIT_EXPECT_EQ(test, rows, num_possible_cpus());
	KUNIT_EXPECT_EQ(test, sum_malloc, mstat_nmalloc(&t->sum));
	KUNIT_EXPECT_EQ(test, sum_free, mstat_nfree(&t->sum));
	KUNIT_EXPECT_EQ(test, (u64)sum_bytes, live_bytes(t));
	KUNIT_EXPECT_EQ(test, sum_cached, t->cached_bytes);
	expect_only_numbers(test, copy);

	mstat_free(keep[0]);
	mstat_free(keep[1]);
	mstat_free(keep[2]);
}

static void mstat_test_bad_input(struct kunit *test)
{
	struct mstat_totals *before = snap(test), *after;
	unsigned int cls = mstat_size_to_class(64);
	unsigned int cached, cached_after;
	u8 *foreign = kunit_kzalloc(test, 64, GFP_KERNEL);
	u8 *obj, *large, *big, *vmem = vmalloc(64);
	int on_stack;

	KUNIT_ASSERT_NOT_NULL(test, foreign);
	KUNIT_ASSERT_NOT_NULL(test, vmem);
	/* nothing at all: no counter moves */
	mstat_free(NULL);
	mstat_free(ZERO_SIZE_PTR);
	KUNIT_EXPECT_PTR_EQ(test, mstat_alloc(0, GFP_KERNEL), ZERO_SIZE_PTR);
	KUNIT_EXPECT_NULL(test, mstat_alloc(MSTAT_MAX_LARGE + 1, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, mstat_alloc(SIZE_MAX, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, mstat_alloc(64, GFP_KERNEL | __GFP_DMA));
	KUNIT_EXPECT_EQ(test, mstat_usable_size(NULL), 0UL);
	KUNIT_EXPECT_EQ(test, mstat_usable_size(ZERO_SIZE_PTR), 0UL);
	after = snap(test);
	KUNIT_EXPECT_EQ(test, memcmp(&after->sum, &before->sum, sizeof(after->sum)), 0);
	KUNIT_EXPECT_EQ(test, after->nbad_ptr, before->nbad_ptr);

	/* pointers mstat does not own are reported and left alone */
	expect_reports(test);
	obj = mstat_alloc(64, GFP_KERNEL);
	large = mstat_alloc(MSTAT_MAX_SMALL + 1, GFP_KERNEL);
	big = mstat_alloc(16384, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, obj);
	KUNIT_ASSERT_NOT_NULL(test, large);
	KUNIT_ASSERT_NOT_NULL(test, big);
	fill(foreign, 64, 9);
	before = snap(test);
	migrate_disable();	/* the cache looked at is this CPU's */
	cached = mstat_cached_count(cls);
	mstat_free(foreign);			/* kmalloc's */
	mstat_free(&on_stack);			/* the stack */
	mstat_free(obj + 8);			/* inside a small object */
	mstat_free(large + PAGE_SIZE);		/* inside a large object */
	mstat_free(big + 16);			/* inside a 16 KiB object, */
	mstat_free(big + PAGE_SIZE);		/* in a page where none starts */
	mstat_free(vmem);			/* outside the linear map */
	KUNIT_EXPECT_EQ(test, mstat_usable_size(foreign), 0UL);
	cached_after = mstat_cached_count(cls);
	migrate_enable();
	after = snap(test);
	KUNIT_EXPECT_EQ(test, after->nbad_ptr - before->nbad_ptr, 8ULL);
	KUNIT_EXPECT_EQ(test, memcmp(&after->sum, &before->sum, sizeof(after->sum)), 0);
	KUNIT_EXPECT_EQ(test, cached_after, cached);
	KUNIT_EXPECT_TRUE(test, check(foreign, 64, 9));
	KUNIT_EXPECT_EQ(test, mstat_usable_size(obj), 64UL);
	KUNIT_EXPECT_EQ(test, mstat_usable_size(large), PAGE_ALIGN(MSTAT_MAX_SMALL + 1));
	KUNIT_EXPECT_EQ(test, mstat_usable_size(big), 16384UL);
	mstat_free(big);
	vfree(vmem);

	mstat_free(obj);
	mstat_free(large);
	after = snap(test);
	KUNIT_EXPECT_EQ(test, mstat_nfree(&after->sum) - mstat_nfree(&before->sum), 3ULL);
}

static DEFINE_SPINLOCK(mstat_test_lock);

/*
 * The interrupt context the tests use: hardirq, except on PREEMPT_RT,
 * where kmalloc() (and so mstat) may not be called from hard interrupt
 * context: there, softirq (a soft hrtimer).
 */
#ifdef CONFIG_PREEMPT_RT
#define IRQ_MODE		HRTIMER_MODE_REL_SOFT
#define IRQ_MODE_PINNED		HRTIMER_MODE_REL_PINNED_SOFT
#define in_test_irq(w)		((w)->in_softirq)
#else
#define IRQ_MODE		HRTIMER_MODE_REL_HARD
#define IRQ_MODE_PINNED		HRTIMER_MODE_REL_PINNED_HARD
#define in_test_irq(w)		((w)->in_hardirq)
#endif

/* One allocation cycle in whatever context the caller is in. */
struct ctx_work {
	struct hrtimer timer;
	struct completion done;
	bool in_hardirq, in_softirq, ok;
};

static bool alloc_cycle(void)
{
	static const size_t sizes[] = { 16, 4096, 40000 };
	void *p[ARRAY_SIZE(sizes)];
	bool ok = true;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		p[i] = mstat_alloc(sizes[i], GFP_ATOMIC);
		if (!p[i])
			return false;
		fill(p[i], sizes[i], i);
	}
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		ok &= check(p[i], sizes[i], i);
		mstat_free(p[i]);
	}
	return ok;
}

static enum hrtimer_restart ctx_timer_fn(struct hrtimer *timer)
{
	struct ctx_work *w = container_of(timer, struct ctx_work, timer);

	w->in_hardirq = in_hardirq();
	w->in_softirq = in_serving_softirq();
	w->ok = alloc_cycle();
	complete(&w->done);
	return HRTIMER_NORESTART;
}

static void run_in_timer(struct kunit *test, enum hrtimer_mode mode, struct ctx_work *w)
{
	init_completion(&w->done);
	hrtimer_init(&w->timer, CLOCK_MONOTONIC, mode);
	w->timer.function = ctx_timer_fn;
	hrtimer_start(&w->timer, ns_to_ktime(1000), mode);
	KUNIT_ASSERT_GT(test, wait_for_completion_timeout(&w->done, 10 * HZ), 0UL);
	hrtimer_cancel(&w->timer);
}

/* Objects allocated through one kind of cache, summed over every CPU. */
static u64 ctx_nmalloc(struct kunit *test, enum mstat_ctx ctx)
{
	unsigned int n = nr_cpu_ids * MSTAT_NR_CTX, cpu;
	struct mstat_totals *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	struct mstat_totals *rows = kunit_kcalloc(test, n, sizeof(*rows), GFP_KERNEL);
	u64 sum = 0;

	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_NOT_NULL(test, rows);
	cpus_read_lock();
	mstat_read_caches(t, rows, mstat_cpu_caches, n, 1);
	cpus_read_unlock();
	for_each_possible_cpu(cpu)
		sum += mstat_nmalloc(&rows[cpu * MSTAT_NR_CTX + ctx].sum);
	kunit_kfree(test, rows);
	kunit_kfree(test, t);
	return sum;
}

static void mstat_test_atomic_contexts(struct kunit *test)
{
	struct mstat_totals *before = snap(test), *after;
	struct ctx_work *w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	u64 task0 = ctx_nmalloc(test, MSTAT_TASK), irq0 = ctx_nmalloc(test, MSTAT_IRQ);
	unsigned long flags;
	bool ok;

	KUNIT_ASSERT_NOT_NULL(test, w);
	spin_lock_irqsave(&mstat_test_lock, flags);
	ok = alloc_cycle();
	spin_unlock_irqrestore(&mstat_test_lock, flags);
	KUNIT_EXPECT_TRUE(test, ok);

	run_in_timer(test, IRQ_MODE, w);
	KUNIT_EXPECT_TRUE(test, in_test_irq(w));
	KUNIT_EXPECT_TRUE(test, w->ok);

	run_in_timer(test, HRTIMER_MODE_REL_SOFT, w);
	KUNIT_EXPECT_TRUE(test, w->in_softirq);
	KUNIT_EXPECT_TRUE(test, w->ok);

	after = snap(test);
	/* three contexts, two small objects and one large each */
	KUNIT_EXPECT_EQ(test, mstat_nmalloc(&after->sum) - mstat_nmalloc(&before->sum), 9ULL);
	KUNIT_EXPECT_EQ(test, mstat_nfree(&after->sum) - mstat_nfree(&before->sum), 9ULL);
	KUNIT_EXPECT_EQ(test, after->sum.large_nmalloc - before->sum.large_nmalloc, 3ULL);
	/* task context (irqs off or not) went through the task caches, the rest not */
	KUNIT_EXPECT_EQ(test, ctx_nmalloc(test, MSTAT_TASK) - task0, 3ULL);
	KUNIT_EXPECT_EQ(test, ctx_nmalloc(test, MSTAT_IRQ) - irq0, 6ULL);
}

/*
 * The task cache is held with interrupts on.  A hardirq that strikes while
 * it is held must leave it alone and use the irq cache: the timer fires
 * on this CPU while the test holds the task cache's lock.
 */
static void mstat_test_irq_inside_task_section(struct kunit *test)
{
	struct ctx_work *w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	unsigned int cls = mstat_size_to_class(16), count;
	u64 task0, irq0, nmalloc, deadline;
	struct mstat_pcpu *c;
	bool fired, same;

	KUNIT_ASSERT_NOT_NULL(test, w);
	task0 = ctx_nmalloc(test, MSTAT_TASK);
	irq0 = ctx_nmalloc(test, MSTAT_IRQ);
	init_completion(&w->done);
	hrtimer_init(&w->timer, CLOCK_MONOTONIC, IRQ_MODE_PINNED);
	w->timer.function = ctx_timer_fn;

	local_lock(&mstat_caches[MSTAT_TASK]->lock);
	c = this_cpu_ptr(mstat_caches[MSTAT_TASK]);
	count = c->cls[cls].count;
	nmalloc = cache_nmalloc(c, cls);
	hrtimer_start(&w->timer, ns_to_ktime(1000), IRQ_MODE_PINNED);
	deadline = ktime_get_ns() + NSEC_PER_SEC;
	while (!completion_done(&w->done) && ktime_get_ns() < deadline)
		cpu_relax();
	fired = completion_done(&w->done);
	same = c->cls[cls].count == count && cache_nmalloc(c, cls) == nmalloc;
	local_unlock(&mstat_caches[MSTAT_TASK]->lock);
	KUNIT_ASSERT_GT(test, wait_for_completion_timeout(&w->done, 10 * HZ), 0UL);
	hrtimer_cancel(&w->timer);

	KUNIT_EXPECT_TRUE_MSG(test, fired, "the timer did not fire within the section");
	KUNIT_EXPECT_TRUE(test, in_test_irq(w));
	KUNIT_EXPECT_TRUE(test, w->ok);
	KUNIT_EXPECT_TRUE(test, same);
	KUNIT_EXPECT_EQ(test, ctx_nmalloc(test, MSTAT_TASK) - task0, 0ULL);
	KUNIT_EXPECT_EQ(test, ctx_nmalloc(test, MSTAT_IRQ) - irq0, 3ULL);
}

#ifdef CONFIG_HOTPLUG_CPU
#define HP_OBJS 40

static long hp_alloc_on_cpu(void *arg)
{
	void **objs = arg;
	unsigned int i;

	for (i = 0; i < HP_OBJS; i++) {
		objs[i] = mstat_alloc(i % 2 ? 200 : 40000, GFP_KERNEL);
		if (!objs[i])
			return -ENOMEM;
	}
	/* free some here: the dead CPU's row then holds frees and cached objects */
	for (i = 0; i < HP_OBJS / 2; i++)
		mstat_free(objs[i]);
	return 0;
}

/* Free an object and take it back from the cache: no counter but its key's moves. */
static long hp_free_alloc_on_cpu(void *arg)
{
	void **obj = arg;

	mstat_free(*obj);
	*obj = mstat_alloc(96, GFP_KERNEL);
	return *obj ? 0 : -ENOMEM;
}

/* The dead CPU's drain returns its cached objects: count them as flushed. */
static void add_drained(struct mstat_counters *c, const struct mstat_counters *dead)
{
	unsigned int cls;

	for (cls = 0; cls < MSTAT_NR_CLASSES; cls++)
		c->nflush_objs[cls] += dead->nrefill_objs[cls] - dead->nflush_objs[cls] -
				       dead->nmalloc[cls] + dead->nfree[cls];
}

/* The row of @cpu in /proc/mstat as rendered from the read @t, @cpus. */
static void expect_cpu_row_online(struct kunit *test, const struct mstat_totals *t,
				  const struct mstat_totals *cpus, unsigned int cpu, int online)
{
	const size_t bufsize = 64 * 1024;
	struct seq_file m = { };
	char prefix[32], *row;

	m.buf = kunit_kzalloc(test, bufsize, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m.buf);
	m.size = bufsize - 1;
	mstat_render(&m, t, cpus);
	KUNIT_ASSERT_FALSE(test, seq_has_overflowed(&m));
	m.buf[m.count] = '\0';
	snprintf(prefix, sizeof(prefix), "\ncpu%u ", cpu);
	row = strstr(m.buf, prefix);
	KUNIT_ASSERT_NOT_NULL(test, row);
	KUNIT_EXPECT_EQ(test, row[strlen(prefix)] - '0', online);
	kunit_kfree(test, m.buf);
}

static struct mstat_site_stats *read_sites(struct kunit *test, int *n);

/* Whether any key counter of @cpu's caches is not 0. */
static bool cpu_site_counts(unsigned int cpu)
{
	unsigned int ctx;

	for (ctx = 0; ctx < MSTAT_NR_CTX; ctx++) {
		if (mstat_sites_counted(mstat_cpu_caches[cpu * MSTAT_NR_CTX + ctx]))
			return true;
	}
	return false;
}

static void mstat_test_hotplug_donation(struct kunit *test)
{
	struct mstat_totals *b, *a, *bcpus, *acpus;
	struct mstat_site_stats *sb, *sa;
	unsigned int victim = 0, cpu, i;
	int nb, na;
	void **objs;

	for_each_online_cpu(cpu)
		victim = cpu;
	if (!victim)
		kunit_skip(test, "needs a second online CPU");
	b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	bcpus = kunit_kcalloc(test, nr_cpu_ids, sizeof(*bcpus), GFP_KERNEL);
	acpus = kunit_kcalloc(test, nr_cpu_ids, sizeof(*acpus), GFP_KERNEL);
	objs = kunit_kcalloc(test, HP_OBJS, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, bcpus);
	KUNIT_ASSERT_NOT_NULL(test, acpus);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	KUNIT_ASSERT_EQ(test, work_on_cpu(victim, hp_alloc_on_cpu, objs), 0L);

	mstat_collect(b, bcpus);
	sb = read_sites(test, &nb);
	KUNIT_ASSERT_GT(test, mstat_nmalloc(&bcpus[victim].sum), 0ULL);
	KUNIT_ASSERT_TRUE(test, cpu_site_counts(victim));
	KUNIT_ASSERT_EQ(test, remove_cpu(victim), 0);
	KUNIT_EXPECT_FALSE(test, cpu_site_counts(victim));
	mstat_collect(a, acpus);
	/* the sites' counters went to CPU 0 with the rest: every row as it was */
	sa = read_sites(test, &na);
	KUNIT_EXPECT_EQ(test, na, nb);
	for (i = 0; i < min(na, nb); i++) {
		KUNIT_EXPECT_EQ(test, sa[i].nmalloc, sb[i].nmalloc);
		KUNIT_EXPECT_EQ(test, sa[i].nfree, sb[i].nfree);
		KUNIT_EXPECT_EQ(test, sa[i].live_bytes, sb[i].live_bytes);
		KUNIT_EXPECT_EQ(test, sa[i].line, sb[i].line);
	}
	/* a bring-up that fails rolls back through the same teardown */
	mstat_donate_dead_cpu(victim);
	KUNIT_EXPECT_EQ(test, snap(test)->sum.ndonations, a->sum.ndonations);
	/* the read from before the CPU went: its row says online, as it was */
	expect_cpu_row_online(test, b, bcpus, victim, 1);
	expect_cpu_row_online(test, a, acpus, victim, 0);
	KUNIT_EXPECT_EQ(test, add_cpu(victim), 0);

	/* every total is unchanged; the dead CPU's row moved to CPU 0's */
	KUNIT_EXPECT_EQ(test, a->sum.ndonations, b->sum.ndonations + 1);
	a->sum.ndonations--;
	add_drained(&b->sum, &bcpus[victim].sum);
	KUNIT_EXPECT_EQ(test, memcmp(&a->sum, &b->sum, sizeof(a->sum)), 0);
	KUNIT_EXPECT_EQ(test, mstat_nmalloc(&acpus[victim].sum), 0ULL);
	KUNIT_EXPECT_EQ(test, mstat_nfree(&acpus[victim].sum), 0ULL);
	KUNIT_EXPECT_EQ(test, acpus[victim].cached_bytes, 0ULL);
	mstat_counters_add(&bcpus[0].sum, &bcpus[victim].sum);
	add_drained(&bcpus[0].sum, &bcpus[victim].sum);
	bcpus[0].sum.ndonations++;
	KUNIT_EXPECT_EQ(test, memcmp(&acpus[0].sum, &bcpus[0].sum, sizeof(bcpus[0].sum)), 0);

	for (i = HP_OBJS / 2; i < HP_OBJS; i++)
		mstat_free(objs[i]);

	/* a CPU whose only counts are its keys' (a free, then an allocation) donates them */
	objs[0] = mstat_alloc(96, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs[0]);
	KUNIT_ASSERT_EQ(test, work_on_cpu(victim, hp_free_alloc_on_cpu, objs), 0L);
	KUNIT_ASSERT_TRUE(test, cpu_site_counts(victim));
	KUNIT_ASSERT_EQ(test, remove_cpu(victim), 0);
	KUNIT_EXPECT_FALSE(test, cpu_site_counts(victim));
	KUNIT_EXPECT_EQ(test, snap(test)->sum.ndonations, a->sum.ndonations + 2);
	KUNIT_EXPECT_EQ(test, add_cpu(victim), 0);
	mstat_free(objs[0]);
}
#else
static void mstat_test_hotplug_donation(struct kunit *test)
{
	kunit_skip(test, "needs CONFIG_HOTPLUG_CPU");
}
#endif

/* ------------------------------------------------------------ client mistakes */

/* A refused free changes no counter but its own. */
static void expect_refused(struct kunit *test, const struct mstat_totals *before,
			   u64 bad, u64 dbl, u64 waf)
{
	struct mstat_totals *after = snap(test);

	KUNIT_EXPECT_EQ(test, memcmp(&after->sum, &before->sum, sizeof(after->sum)), 0);
	KUNIT_EXPECT_EQ(test, after->nbad_ptr - before->nbad_ptr, bad);
	KUNIT_EXPECT_EQ(test, after->ndouble_free - before->ndouble_free, dbl);
	KUNIT_EXPECT_EQ(test, after->nwrite_after_free - before->nwrite_after_free, waf);
}

/* @n objects of @size, all distinct and not overlapping: filled, read back. */
static void expect_distinct(struct kunit *test, size_t size, unsigned int n)
{
	void **objs = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	for (i = 0; i < n; i++) {
		objs[i] = mstat_alloc(size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		fill(objs[i], size, i);
	}
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_TRUE_MSG(test, check(objs[i], size, i), "object %u of %zu", i, size);
		mstat_free(objs[i]);
	}
	kunit_kfree(test, objs);
}

/* No object appears twice among @n. */
static void expect_no_repeats(struct kunit *test, void **objs, unsigned int n)
{
	unsigned int i, j, repeats = 0;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			repeats += objs[i] == objs[j];
	KUNIT_EXPECT_EQ(test, repeats, 0U);
}

struct irq_free {
	struct hrtimer timer;
	struct completion done;
	const void *ptr;
};

static enum hrtimer_restart irq_free_fn(struct hrtimer *timer)
{
	struct irq_free *w = container_of(timer, struct irq_free, timer);

	mstat_free(w->ptr);
	complete(&w->done);
	return HRTIMER_NORESTART;
}

/* mstat_free(@ptr) in interrupt context (IRQ_MODE): through the irq cache. */
static void free_in_hardirq(struct kunit *test, const void *ptr)
{
	struct irq_free *w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, w);
	w->ptr = ptr;
	init_completion(&w->done);
	hrtimer_init(&w->timer, CLOCK_MONOTONIC, IRQ_MODE);
	w->timer.function = irq_free_fn;
	hrtimer_start(&w->timer, ns_to_ktime(1000), IRQ_MODE);
	KUNIT_ASSERT_GT(test, wait_for_completion_timeout(&w->done, 10 * HZ), 0UL);
	hrtimer_cancel(&w->timer);
}

static long free_on_cpu(void *ptr)
{
	mstat_free(ptr);
	return 0;
}

/*
 * A live object of @size in the span of @p, so that the span stays: from
 * this CPU's cache, which the caller keeps (migrate_disable()) since it
 * allocated or freed @p there.
 */
static void *live_neighbour(struct kunit *test, const void *p, size_t size)
{
	unsigned int cls = mstat_size_to_class(size), i, n = 0, max = 1024;
	unsigned long span = PAGE_SIZE << mstat_classes[cls].span_order;
	void **tries = kunit_kcalloc(test, max, sizeof(void *), GFP_KERNEL);
	void *found = NULL;

	KUNIT_ASSERT_NOT_NULL(test, tries);
	while (!found && n < max) {
		void *o = mstat_alloc(size, GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, o);
		/* p itself may be free and come back: it goes back with the misses */
		if (((unsigned long)o ^ (unsigned long)p) < span && o != p)
			found = o;
		else
			tries[n++] = o;
	}
	for (i = 0; i < n; i++)
		mstat_free(tries[i]);
	kunit_kfree(test, tries);
	KUNIT_ASSERT_NOT_NULL(test, found);
	return found;
}

/*
 * The first user report: a 96-byte object freed twice, after which two
 * allocations returned the same pointer.  Now the second free is refused
 * wherever the object sits: this CPU's cache, after other frees, the irq
 * cache, another CPU's cache, its span's free list.
 */
static void mstat_test_double_free(struct kunit *test)
{
	static const size_t sizes[] = { 8, 96, 4096, MSTAT_MAX_SMALL };
	struct mstat_totals *before;
	unsigned int i, k, other = nr_cpu_ids;
	void *p, *q[10], *a, *b, *hold;

	expect_reports(test);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t size = sizes[i];

		/* right away, on the same CPU */
		migrate_disable();
		p = mstat_alloc(size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		mstat_free(p);
		before = snap(test);
		mstat_free(p);
		expect_refused(test, before, 0, 1, 0);
		a = mstat_alloc(size, GFP_KERNEL);
		b = mstat_alloc(size, GFP_KERNEL);
		migrate_enable();
		KUNIT_ASSERT_NOT_NULL(test, a);
		KUNIT_ASSERT_NOT_NULL(test, b);
		KUNIT_EXPECT_PTR_NE(test, a, b);
		fill(a, size, 1);
		fill(b, size, 2);
		KUNIT_EXPECT_TRUE(test, check(a, size, 1));
		mstat_free(a);
		mstat_free(b);

		/* after any number of other frees */
		p = mstat_alloc(size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		for (k = 0; k < ARRAY_SIZE(q); k++) {
			q[k] = mstat_alloc(size, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, q[k]);
		}
		mstat_free(p);
		for (k = 0; k < ARRAY_SIZE(q); k++)
			mstat_free(q[k]);
		before = snap(test);
		mstat_free(p);
		expect_refused(test, before, 0, 1, 0);

		/* from another cache: the irq cache, then another CPU */
		migrate_disable();	/* may sleep: free_in_hardirq(), work_on_cpu() */
		p = mstat_alloc(size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		mstat_free(p);
		before = snap(test);
		free_in_hardirq(test, p);
		expect_refused(test, before, 0, 1, 0);
		for_each_online_cpu(k) {
			if (k != raw_smp_processor_id())
				other = k;
		}
		if (other < nr_cpu_ids) {
			before = snap(test);
			KUNIT_EXPECT_EQ(test, work_on_cpu(other, free_on_cpu, p), 0L);
			expect_refused(test, before, 0, 1, 0);
		}

		/* after its cache flushed it back to its span, kept by a live neighbour */
		hold = live_neighbour(test, p, size);
		migrate_enable();
		drain_all_cpus();
		before = snap(test);
		mstat_free(p);
		free_in_hardirq(test, p);
		expect_refused(test, before, 0, 2, 0);
		mstat_free(hold);
		expect_distinct(test, size, 3 * mstat_classes[mstat_size_to_class(size)].nobjs);
	}
}

/*
 * A large object's pages go back at its free: a second free finds a page
 * mstat does not own and is refused as such.  So is a pointer into a span
 * mstat has released, however it got there.
 */
static void mstat_test_stale_pointers(struct kunit *test)
{
	unsigned int cls = mstat_size_to_class(4096), n, i;
	struct mstat_totals *before;
	unsigned long pfn;
	void **objs, *stale = NULL;

	expect_reports(test);
	objs = mstat_alloc(40000, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	mstat_free(objs);
	before = snap(test);
	mstat_free(objs);
	expect_refused(test, before, 1, 0, 0);

	n = 4 * mstat_classes[cls].nobjs;
	objs = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	for (i = 0; i < n; i++) {
		objs[i] = mstat_alloc(4096, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	for (i = 0; i < n; i++)
		mstat_free(objs[i]);
	drain_all_cpus();
	mstat_limbo_drain();
	for (i = 0; i < n && !stale; i++) {
		if (!mstat_page_info(objs[i], &pfn))
			stale = objs[i];
	}
	KUNIT_ASSERT_NOT_NULL_MSG(test, stale, "no span of %u objects was released", n);
	before = snap(test);
	mstat_free(stale);
	KUNIT_EXPECT_EQ(test, mstat_usable_size(stale), 0UL);
	expect_refused(test, before, 2, 0, 0);
	expect_distinct(test, 4096, n);
}

/* Is the span that @obj starts on its pool's limbo list? */
static bool in_limbo(unsigned int cls, void *obj)
{
	return mstat_in_limbo(cls, virt_to_page(kasan_reset_tag(obj)));
}

/*
 * A span released while a grace period is still under way waits in its
 * pool's limbo, unmapped (a pointer into it is foreign), and the pool
 * takes it back before it asks the page allocator; after the grace period
 * it goes back to the page allocator.  The read-side section keeps the
 * grace period from ending: nothing in it may sleep, so it only gathers
 * what is checked after it.
 */
static void mstat_test_limbo(struct kunit *test)
{
	unsigned int cls = mstat_size_to_class(4096), nobjs = mstat_classes[cls].nobjs;
	unsigned long span_bytes = mstat_classes[cls].span_mask + 1, pfn;
	unsigned int max = 1024, held, n, grown = 0, waiting = 0, foreign = 0;
	unsigned int back = 0, retaken, nbad, k;
	void **objs = kunit_kcalloc(test, max, sizeof(void *), GFP_KERNEL);
	const unsigned int nspans = 4;
	void *spans[4] = {};
	u64 base, released = 0, reused = 0;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	drain_all_cpus();
	mstat_limbo_drain();
	base = mstat_span_bytes();
	rcu_read_lock();
	/* the pool's own free objects out of the way; then four new spans */
	held = take_all(cls, objs, max);
	for (k = 0; k < nspans; k++)
		grown += mstat_central_grow(cls, NUMA_NO_NODE, GFP_ATOMIC, NULL) >= 0;
	n = take_all(cls, objs + held, max - held);
	for (k = 0; k < nspans && n == nspans * nobjs; k++)
		spans[k] = (void *)((unsigned long)objs[held + k * nobjs] & ~(span_bytes - 1));
	nbad = put_back(cls, objs + held, n);
	/* the pool keeps MSTAT_EMPTY_RESERVE of them, the others wait */
	for (k = 0; spans[0] && k < nspans; k++) {
		if (!in_limbo(cls, spans[k]))
			continue;
		waiting++;
		foreign += !mstat_page_info(spans[k], &pfn);
	}
	released = mstat_span_bytes();
	/* taken back before the grace period ends, with no grow: the same spans */
	retaken = take_all(cls, objs + held, max - held);
	for (k = 0; spans[0] && k < nspans; k++)
		back += !in_limbo(cls, spans[k]) && mstat_page_info(spans[k], &pfn);
	reused = mstat_span_bytes();
	nbad += put_back(cls, objs, held + retaken);
	rcu_read_unlock();

	KUNIT_ASSERT_EQ(test, n, nspans * nobjs);
	KUNIT_EXPECT_EQ(test, grown, nspans);
	KUNIT_EXPECT_EQ(test, nbad, 0U);
	KUNIT_EXPECT_EQ(test, waiting, nspans - MSTAT_EMPTY_RESERVE);
	KUNIT_EXPECT_EQ(test, foreign, waiting);
	KUNIT_EXPECT_EQ(test, released, base + MSTAT_EMPTY_RESERVE * span_bytes);
	KUNIT_EXPECT_EQ(test, retaken, nspans * nobjs);
	KUNIT_EXPECT_EQ(test, back, nspans);
	KUNIT_EXPECT_EQ(test, reused, base + nspans * span_bytes);
	/* and after the grace period, back to the page allocator */
	mstat_limbo_drain();
	KUNIT_EXPECT_FALSE(test, mstat_in_limbo(cls, NULL));
	KUNIT_EXPECT_LE(test, mstat_span_bytes(), base + MSTAT_EMPTY_RESERVE * span_bytes);
}

/* A page whose bit is set but whose page->private does not decode is foreign. */
static void mstat_test_forged_page_info(struct kunit *test)
{
	const unsigned long tag = MSTAT_INFO_TAG;
	const unsigned long forged[] = {
		0x12345678UL,					/* no tag */
		tag,						/* no kind */
		tag | MSTAT_INFO_SPAN | 200UL << MSTAT_INFO_SHIFT,	/* no such class */
		tag | MSTAT_INFO_SPAN | MSTAT_INFO_CLS_MASK << MSTAT_INFO_SHIFT,
		tag | MSTAT_INFO_LARGE,				/* no pages */
		tag | MSTAT_INFO_LARGE | MSTAT_INFO_PAGES_MASK << MSTAT_INFO_PAGES_SHIFT,
		/* a span order the class does not use */
		tag | MSTAT_INFO_SPAN | 5UL << MSTAT_INFO_ORDER_SHIFT,
	};
	struct page *page = alloc_page(GFP_KERNEL);
	struct mstat_totals *before;
	unsigned long pfn;
	unsigned int i;
	void *addr;

	KUNIT_ASSERT_NOT_NULL(test, page);
	expect_reports(test);
	pfn = page_to_pfn(page);
	addr = page_address(page);
	KUNIT_ASSERT_LT(test, pfn, mstat_owned_pfns);
	fill(addr, PAGE_SIZE, 3);
	for (i = 0; i < ARRAY_SIZE(forged); i++) {
		set_page_private(page, forged[i]);
		set_bit(pfn, mstat_owned);
		before = snap(test);
		mstat_free(addr);
		KUNIT_EXPECT_EQ_MSG(test, mstat_usable_size(addr), 0UL, "private %lx", forged[i]);
		expect_refused(test, before, 2, 0, 0);
		KUNIT_EXPECT_TRUE_MSG(test, test_bit(pfn, mstat_owned), "private %lx", forged[i]);
		clear_bit(pfn, mstat_owned);
	}
	set_page_private(page, 0);
	KUNIT_EXPECT_TRUE(test, check(addr, PAGE_SIZE, 3));
	__free_page(page);
}

/*
 * All the free objects of class @cls taken, then a fresh span, its first
 * object taken, state @i of its vector overwritten with @state (a client
 * running past a span's last object): how many objects its list still
 * yields, each reported break counted in @breaks.  Everything taken goes
 * back to the pool.
 */
static unsigned int take_cut_span(struct kunit *test, unsigned int cls, unsigned int i,
				  u32 state, u64 *breaks)
{
	const struct mstat_class *mc = &mstat_classes[cls];
	void **objs = kunit_kcalloc(test, 4096, sizeof(void *), GFP_KERNEL);
	struct mstat_totals *before, *after;
	unsigned int n, k;
	u32 *states;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	drain_all_cpus();
	n = take_all(cls, objs, 4096);
	KUNIT_ASSERT_LT(test, n, 4096U);
	KUNIT_ASSERT_GE(test, mstat_central_grow(cls, NUMA_NO_NODE, GFP_KERNEL, NULL), 0);
	/* the fresh span's list runs up from its first object */
	KUNIT_ASSERT_EQ(test, take(cls, objs + n, 1), 1U);
	states = (u32 *)(((unsigned long)kasan_reset_tag(objs[n]) &
			  ~((PAGE_SIZE << mc->span_order) - 1)) + mc->states_off);
	n++;
	states[i] = state;
	before = snap(test);
	k = take_all(cls, objs + n, 4096 - n);
	after = snap(test);
	*breaks = after->nwrite_after_free - before->nwrite_after_free;
	put_back(cls, objs, n + k);
	kunit_kfree(test, objs);
	return k;
}

/*
 * Outside debug mode mstat never reads or writes a free object: a client
 * that writes all over freed objects changes nothing mstat keeps (the
 * free lists are in the spans' state vectors).  A state vector written to
 * (a client running past a span's last object) breaks its span's list:
 * the list is cut there and its remaining objects are withdrawn; so is a
 * list that a forged link makes shorter than its count, which would
 * otherwise leave an empty span at the head of the pool.
 */
static void expect_sites_sane(struct kunit *test);

/*
 * A client writing past the end of a span's last object writes its state:
 * a key of another class, or of no class, is not believed at the free,
 * which counts to the object's own class.
 */
static void mstat_test_forged_key(struct kunit *test)
{
	unsigned int cls = mstat_size_to_class(96), other = mstat_size_to_class(8), i;
	const u32 forged[] = { MSTAT_STATE(other, MSTAT_LINK_LIVE), MSTAT_STATE(0xfff0, 0), 0 };
	struct mstat_totals *before, *after;
	void *p;

	for (i = 0; i < ARRAY_SIZE(forged); i++) {
		p = mstat_alloc(96, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		before = snap(test);
		WRITE_ONCE(*mstat_obj_state(p, cls), forged[i]);
		mstat_free(p);
		after = snap(test);
		KUNIT_EXPECT_EQ(test, after->sum.nfree[cls] - before->sum.nfree[cls], 1ULL);
		KUNIT_EXPECT_EQ(test, after->sum.nfree[other], before->sum.nfree[other]);
		KUNIT_EXPECT_EQ(test, mstat_nfree(&after->sum) - mstat_nfree(&before->sum), 1ULL);
	}
	expect_sites_sane(test);
}

static void mstat_test_write_after_free(struct kunit *test)
{
	unsigned int cls = mstat_size_to_class(64), nobjs = mstat_classes[cls].nobjs;
	struct mstat_totals *before, *after;
	u64 breaks;
	void *p, *q;

	expect_reports(test);
	migrate_disable();
	p = mstat_alloc(64, GFP_KERNEL);
	q = mstat_alloc(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, q);
	mstat_free(p);
	mstat_free(q);
	before = snap(test);
	kasan_disable_current();		/* which KASAN now reports: not here */
	memset(p, 0x5a, 64);			/* the client's writes after free */
	memset(q, 0xff, 64);
	kasan_enable_current();
	drain_here(NULL);
	after = snap(test);
	migrate_enable();
	KUNIT_EXPECT_EQ(test, after->nwrite_after_free, before->nwrite_after_free);
	KUNIT_EXPECT_EQ(test, after->sum.nmalloc[cls], before->sum.nmalloc[cls]);
	/* both went back to their span: each freed again is a double free */
	mstat_free(q);
	mstat_free(p);
	KUNIT_EXPECT_EQ(test, snap(test)->ndouble_free - after->ndouble_free, 2ULL);
	expect_distinct(test, 64, 2 * nobjs);

	/* a link that does not decode, at the fourth object: two more, then cut */
	KUNIT_EXPECT_EQ(test, take_cut_span(test, cls, 3, 0xdead0000, &breaks), 2U);
	KUNIT_EXPECT_EQ(test, breaks, 1ULL);
	expect_distinct(test, 64, 2 * nobjs);
	/* object 1 followed by object 6: 2 to 5 skipped, the list short by four */
	KUNIT_EXPECT_EQ(test, take_cut_span(test, cls, 1, MSTAT_STATE(0, 6 + 1), &breaks),
			nobjs - 5);
	KUNIT_EXPECT_EQ(test, breaks, 1ULL);
	expect_distinct(test, 64, 2 * nobjs);
}

/*
 * Two CPUs free the same object at the same instant: both read its state
 * before either writes it, and it sits in two caches.  The
 * second cache is a stand-in here.  Whichever copy reaches the pool
 * second is withdrawn: the object is never on its span's list twice, nor
 * on it while handed out.
 */
static void mstat_test_freed_twice_at_once(struct kunit *test)
{
	struct mstat_pcpu *other = fake_cache(test);
	unsigned int cls = mstat_size_to_class(96), nobjs = mstat_classes[cls].nobjs;
	unsigned int round, i, n, max = 4096;
	void **objs = kunit_kcalloc(test, max, sizeof(void *), GFP_KERNEL);
	struct mstat_totals *before, *after;
	void *p, *q, *hold;

	KUNIT_ASSERT_NOT_NULL(test, other);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	expect_reports(test);
	for (round = 0; round < 2; round++) {
		migrate_disable();
		p = mstat_alloc(96, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		hold = live_neighbour(test, p, 96);	/* keeps p's span */
		mstat_free(p);
		other->cls[cls].objs[0] = p;		/* the racing second free */
		other->cls[cls].count = 1;
		q = NULL;
		if (round)	/* the first copy is handed out again */
			q = mstat_alloc(96, GFP_KERNEL);
		else		/* the first copy goes back to the span */
			drain_here(NULL);
		migrate_enable();
		KUNIT_EXPECT_PTR_EQ(test, q, round ? p : NULL);

		before = snap(test);
		mstat_pcpu_drain(other);
		after = snap(test);
		KUNIT_EXPECT_EQ(test, after->nwrite_after_free - before->nwrite_after_free, 1ULL);
		KUNIT_EXPECT_EQ(test, cache_nmalloc(other, cls), round + 1ULL);
		KUNIT_EXPECT_EQ(test, other->cls[cls].count, 0U);

		/* the pool hands p out once at most, and not while q holds it */
		drain_all_cpus();
		n = take_all(cls, objs, max);
		KUNIT_ASSERT_LT(test, n, max);
		for (i = 0; i < n; i++)
			KUNIT_EXPECT_TRUE(test, objs[i] != p || !q);
		expect_no_repeats(test, objs, n);
		KUNIT_EXPECT_EQ(test, put_back(cls, objs, n), 0U);
		mstat_free(q);
		mstat_free(hold);
		expect_distinct(test, 96, 2 * nobjs);
	}
}

/*
 * A fresh span of @size's class, all its objects free in its pool but @p,
 * handed out; every other span of the class released to the limbo.
 */
static u64 cached_for_real(void);

/* The line fresh_span_obj() allocates at: its objects' site. */
static unsigned int fresh_line;
static struct mstat_site_stats site_row(struct kunit *test, unsigned int line);

static void *fresh_span_obj(struct kunit *test, size_t size)
{
	unsigned int cls = mstat_size_to_class(size), n, max = 4096;
	void **objs = kunit_kcalloc(test, max, sizeof(void *), GFP_KERNEL);
	void *p;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	drain_all_cpus();
	n = take_all(cls, objs, max);		/* the pool empty: the refill grows it */
	KUNIT_ASSERT_LT(test, n, max);
	migrate_disable();
	fresh_line = __LINE__ + 1;
	p = mstat_alloc(size, GFP_KERNEL);
	drain_here(NULL);			/* the rest of the refill back */
	migrate_enable();
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, put_back(cls, objs, n), 0U);
	mstat_central_shrink(cls, NUMA_NO_NODE, 0);
	return p;
}

/* The span of @p, a small object of class @cls. */
static struct page *span_of(const void *p, unsigned int cls)
{
	unsigned long pfn = PHYS_PFN(__pa(kasan_reset_tag(p)));

	return pfn_to_page(pfn & ~((1UL << mstat_classes[cls].span_order) - 1));
}

/*
 * The second copy of an object two CPUs freed at once stays in a cache
 * (the task or the irq cache) while the first goes back and its span is
 * released: before the span's pages go back, every CPU withdraws such
 * copies from its caches, so no cache holds a pointer into pages that are
 * someone else's (the fast allocation reads the state without a check).
 */
static void mstat_test_copy_outlives_span(struct kunit *test)
{
	unsigned int cls = mstat_size_to_class(96), round, i;
	struct mstat_totals *before, *after;
	unsigned long irqflags = 0;
	struct mstat_pcpu *c;
	bool held = false;
	void *p;

	expect_reports(test);
	for (round = 0; round < 2; round++) {
		p = fresh_span_obj(test, 96);
		mstat_free(p);
		drain_all_cpus();	/* p on its span's list, the span all free */
		migrate_disable();
		if (round)
			local_lock_irqsave(&mstat_caches[MSTAT_IRQ]->lock, irqflags);
		else
			local_lock(&mstat_caches[MSTAT_TASK]->lock);
		c = this_cpu_ptr(mstat_caches[round ? MSTAT_IRQ : MSTAT_TASK]);
		/* the second free, counted to the class, as its withdrawal will be */
		mstat_key_count_free(c, cls, cls);
		c->cls[cls].objs[c->cls[cls].count++] = p;
		if (round)
			local_unlock_irqrestore(&mstat_caches[MSTAT_IRQ]->lock, irqflags);
		else
			local_unlock(&mstat_caches[MSTAT_TASK]->lock);
		migrate_enable();

		before = snap(test);
		mstat_central_shrink(cls, NUMA_NO_NODE, 0);
		KUNIT_ASSERT_TRUE(test, mstat_in_limbo(cls, span_of(p, cls)));
		mstat_limbo_drain();	/* the grace period, the purge, the pages back */
		KUNIT_EXPECT_FALSE(test, mstat_in_limbo(cls, span_of(p, cls)));
		after = snap(test);
		for (i = 0; i < c->cls[cls].count; i++)
			held |= c->cls[cls].objs[i] == p;
		KUNIT_EXPECT_FALSE(test, held);
		KUNIT_EXPECT_EQ(test, after->nwrite_after_free - before->nwrite_after_free, 1ULL);
		KUNIT_EXPECT_EQ(test, after->cached_bytes, cached_for_real());
		/* the withdrawal balances the second free */
		KUNIT_EXPECT_EQ(test, after->sum.nmalloc[cls] - before->sum.nmalloc[cls], 1ULL);
		KUNIT_EXPECT_EQ(test, after->sum.nfree[cls], before->sum.nfree[cls]);
	}
	expect_distinct(test, 96, 2 * mstat_classes[cls].nobjs);
}

/*
 * Two copies of an object in two caches, one handed out and the other
 * put back at the same instant: each checked the state before the other
 * wrote it, and the object is on its span's list while it has an owner
 * (the state the owner's write leaves: live).  When the rest of the span
 * comes back its count says every object is free; the span must stay,
 * the owner's object out of its list.  The same write landing while the
 * span waits in the limbo: the span comes back from the limbo with it.
 */
/*
 * A cache's hand-out of @p whose write lands late: counted, live, its key
 * @key; with @twice, after the second of two frees at once, counted too.
 */
static void late_hand_out(void *p, unsigned int cls, u32 *st, u32 key, bool twice)
{
	struct mstat_pcpu *c;

	migrate_disable();
	local_lock(&mstat_caches[MSTAT_TASK]->lock);
	c = this_cpu_ptr(mstat_caches[MSTAT_TASK]);
	if (twice)
		mstat_key_count_free(c, mstat_state_key(key, cls), cls);
	mstat_key_count_alloc(c, mstat_state_key(key, cls), cls);
	WRITE_ONCE(*st, MSTAT_STATE(key, MSTAT_LINK_LIVE));
	mstat_kasan_live(p, mstat_classes[cls].size);
	local_unlock(&mstat_caches[MSTAT_TASK]->lock);
	migrate_enable();
}

static void mstat_test_counted_free_while_out(struct kunit *test)
{
	unsigned int cls = mstat_size_to_class(96), nobjs = mstat_classes[cls].nobjs, round;
	struct mstat_totals *before, *mid, *after;
	void *p, *q;
	u32 *st, key;

	expect_reports(test);
	for (round = 0; round < 2; round++) {
		p = fresh_span_obj(test, 96);
		q = round ? NULL : live_neighbour(test, p, 96);
		st = mstat_obj_state(p, cls);
		key = mstat_state_key_bits(READ_ONCE(*st));
		before = snap(test);
		mstat_free(p);
		drain_all_cpus();
		rcu_read_lock();	/* no grace period: a released span stays in the limbo */
		if (!round) {
			/* p on its span's list, its owner's write after it; then q back */
			KUNIT_EXPECT_FALSE(test, mstat_in_limbo(cls, span_of(p, cls)));
			late_hand_out(p, cls, st, key, true);
			rcu_read_unlock();
			mstat_free(q);
			drain_all_cpus();
			/* the span's count said all free: the span stayed, p out of its list */
			mid = snap(test);
			KUNIT_EXPECT_EQ(test, mid->nwrite_after_free - before->nwrite_after_free,
					1ULL);
			mstat_central_shrink(cls, NUMA_NO_NODE, 0);
			mstat_reclaim_all();
		} else {
			/* the span in the limbo, then the owner's write */
			mstat_central_shrink(cls, NUMA_NO_NODE, 0);
			KUNIT_EXPECT_TRUE(test, mstat_in_limbo(cls, span_of(p, cls)));
			late_hand_out(p, cls, st, key, true);
			rcu_read_unlock();
		}
		mstat_limbo_drain();
		after = snap(test);
		/* p's span is mstat's still, p live (its bytes are the new owner's) */
		KUNIT_EXPECT_FALSE(test, mstat_in_limbo(cls, span_of(p, cls)));
		KUNIT_EXPECT_EQ(test, mstat_usable_size(p), (size_t)mstat_classes[cls].size);
		fill(p, 96, 7);
		KUNIT_EXPECT_TRUE(test, check(p, 96, 7));
		KUNIT_EXPECT_EQ(test, mstat_state_link(READ_ONCE(*st)), MSTAT_LINK_LIVE);
		KUNIT_EXPECT_EQ(test, after->nwrite_after_free - before->nwrite_after_free, 1ULL);
		/* two frees for one allocation, the copy withdrawn: p is live, once (q freed) */
		KUNIT_EXPECT_EQ(test, (s64)((after->sum.nmalloc[cls] - after->sum.nfree[cls]) -
					    (before->sum.nmalloc[cls] - before->sum.nfree[cls])),
				round ? 0LL : -1LL);
		KUNIT_EXPECT_EQ(test, after->cached_bytes, cached_for_real());
		/* the owner's free takes it back; the pool never hands it out twice */
		mstat_free(p);
		expect_distinct(test, 96, 2 * nobjs);
	}
}

/*
 * The same race's object met by a refill first: live on its span's list.
 * The refill must not hand it out, nor cut the list there (the span's
 * other free objects stay to be had), and counts the copy as withdrawn.
 */
static void mstat_test_refill_meets_out(struct kunit *test)
{
	unsigned int cls = mstat_size_to_class(96), nobjs = mstat_classes[cls].nobjs, n, i;
	unsigned int max = 4096, in_span;
	void **objs = kunit_kcalloc(test, max, sizeof(void *), GFP_KERNEL);
	struct mstat_totals *before, *after;
	void *p, *q;
	u32 *st, key;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	expect_reports(test);
	/* one node's pool throughout (may sleep); no assertion of its own until the end */
	migrate_disable();
	p = fresh_span_obj(test, 96);
	st = mstat_obj_state(p, cls);
	key = mstat_state_key_bits(READ_ONCE(*st));
	mstat_free(p);
	drain_all_cpus();		/* p heads its span's list */
	before = snap(test);
	late_hand_out(p, cls, st, key, true);
	q = mstat_alloc(96, GFP_KERNEL);	/* the refill meets p first */
	KUNIT_EXPECT_NOT_NULL(test, q);
	KUNIT_EXPECT_PTR_NE(test, q, p);
	after = snap(test);
	KUNIT_EXPECT_EQ(test, after->nwrite_after_free - before->nwrite_after_free, 1ULL);
	/* p (its late owner's) and q live: the copy's second free balanced */
	KUNIT_EXPECT_EQ(test, (s64)((after->sum.nmalloc[cls] - after->sum.nfree[cls]) -
				    (before->sum.nmalloc[cls] - before->sum.nfree[cls])), 2LL);
	KUNIT_EXPECT_EQ(test, after->cached_bytes, cached_for_real());
	/* every other object of the span is still to be had, p not */
	drain_all_cpus();
	n = take_all(cls, objs, max);
	KUNIT_EXPECT_LT(test, n, max);
	expect_no_repeats(test, objs, n);
	for (i = 0, in_span = 0; i < n; i++) {
		KUNIT_EXPECT_PTR_NE(test, objs[i], p);
		in_span += span_of(objs[i], cls) == span_of(p, cls);
	}
	KUNIT_EXPECT_EQ(test, in_span, nobjs - 2);
	KUNIT_EXPECT_EQ(test, put_back(cls, objs, n), 0U);
	KUNIT_EXPECT_EQ(test, mstat_state_link(READ_ONCE(*st)), MSTAT_LINK_LIVE);
	mstat_free(q);
	mstat_free(p);
	migrate_enable();
	expect_distinct(test, 96, 2 * nobjs);
}

/*
 * The same race's late write landing while the span waits in the limbo,
 * its object deep in the span's list: a refill that takes the span back
 * must not list it again (its owner's free would then list it twice and
 * cut the list), so it reads the states before it keeps the list the span
 * went with.  Without that read the refill's batch stops before the
 * object, no copy is withdrawn, and the owner's free breaks the list.
 */
static void mstat_test_revive_meets_out(struct kunit *test)
{
	unsigned int cls = mstat_size_to_class(96), nobjs = mstat_classes[cls].nobjs, n, i;
	unsigned int max = 4096, in_span;
	void **objs = kunit_kcalloc(test, max, sizeof(void *), GFP_KERNEL);
	struct mstat_totals *before, *after;
	void *p, *q;
	u32 *st, key;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	KUNIT_ASSERT_GT(test, nobjs, mstat_classes[cls].batch + 1);
	expect_reports(test);
	/* one node's pool throughout (may sleep); no assertion of its own until the end */
	migrate_disable();
	p = fresh_span_obj(test, 96);
	mstat_limbo_drain();	/* the class's other spans gone: p's is its only one */
	st = mstat_obj_state(p, cls);
	key = mstat_state_key_bits(READ_ONCE(*st));
	/* p at the end of its span's list: back before the span's other objects */
	n = take_all(cls, objs, max);
	KUNIT_EXPECT_EQ(test, n, nobjs - 1);
	mstat_free(p);
	drain_all_cpus();
	KUNIT_EXPECT_EQ(test, put_back(cls, objs, n), 0U);
	before = snap(test);
	rcu_read_lock();	/* no grace period: the span stays in the limbo */
	mstat_central_shrink(cls, NUMA_NO_NODE, 0);
	KUNIT_EXPECT_TRUE(test, mstat_in_limbo(cls, span_of(p, cls)));
	late_hand_out(p, cls, st, key, true);
	q = mstat_alloc(96, GFP_ATOMIC);	/* the refill takes the span back */
	rcu_read_unlock();
	KUNIT_EXPECT_NOT_NULL(test, q);
	KUNIT_EXPECT_PTR_NE(test, q, p);
	KUNIT_EXPECT_FALSE(test, mstat_in_limbo(cls, span_of(p, cls)));
	after = snap(test);
	KUNIT_EXPECT_EQ(test, after->nwrite_after_free - before->nwrite_after_free, 1ULL);
	/* p (its late owner's) and q live: the copy's second free balanced */
	KUNIT_EXPECT_EQ(test, (s64)((after->sum.nmalloc[cls] - after->sum.nfree[cls]) -
				    (before->sum.nmalloc[cls] - before->sum.nfree[cls])), 2LL);
	KUNIT_EXPECT_EQ(test, after->cached_bytes, cached_for_real());
	/* the owner's free and q's: every object of the span to be had, once */
	mstat_free(p);
	mstat_free(q);
	drain_all_cpus();
	n = take_all(cls, objs, max);
	KUNIT_EXPECT_LT(test, n, max);
	expect_no_repeats(test, objs, n);
	for (i = 0, in_span = 0; i < n; i++)
		in_span += span_of(objs[i], cls) == span_of(p, cls);
	KUNIT_EXPECT_EQ(test, in_span, nobjs);
	KUNIT_EXPECT_EQ(test, put_back(cls, objs, n), 0U);
	migrate_enable();
}

/*
 * The same race's late write landing just after the count of all free
 * checked the span, which stays as its pool's empty span; the owner then
 * frees the object and the put lists it a second time, pointing on to
 * itself.  The count says one object more than the span holds: the list
 * is made again from the states before the span is kept or released, else
 * the span goes (or stays) with a list that loops, and the next refill
 * cuts it and loses the span's other objects.
 */
static void mstat_test_all_free_listed_twice(struct kunit *test)
{
	unsigned int cls = mstat_size_to_class(96), nobjs = mstat_classes[cls].nobjs, n, i;
	unsigned int max = 4096, in_span;
	void **objs = kunit_kcalloc(test, max, sizeof(void *), GFP_KERNEL);
	struct mstat_totals *before, *after;
	u32 *st, key;
	void *p;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	expect_reports(test);
	/* one node's pool throughout (may sleep); no assertion of its own until the end */
	migrate_disable();
	p = fresh_span_obj(test, 96);
	mstat_limbo_drain();	/* the class's other spans gone: p's is its only one */
	st = mstat_obj_state(p, cls);
	key = mstat_state_key_bits(READ_ONCE(*st));
	mstat_free(p);
	drain_all_cpus();	/* all free: the pool's empty span */
	before = snap(test);
	late_hand_out(p, cls, st, key, true);
	mstat_free(p);		/* its owner's free */
	drain_all_cpus();	/* p listed twice */
	after = snap(test);
	/* the copy listed first withdrawn: reported once, the class balanced */
	KUNIT_EXPECT_EQ(test, after->nwrite_after_free - before->nwrite_after_free, 1ULL);
	KUNIT_EXPECT_EQ(test, (s64)((after->sum.nmalloc[cls] - after->sum.nfree[cls]) -
				    (before->sum.nmalloc[cls] - before->sum.nfree[cls])), 0LL);
	/* counted wholly free once: still its pool's empty span, not released */
	KUNIT_EXPECT_FALSE(test, mstat_in_limbo(cls, span_of(p, cls)));
	/* every object of the span to be had, once, and none lost */
	n = take_all(cls, objs, max);
	KUNIT_EXPECT_LT(test, n, max);
	expect_no_repeats(test, objs, n);
	for (i = 0, in_span = 0; i < n; i++)
		in_span += span_of(objs[i], cls) == span_of(p, cls);
	KUNIT_EXPECT_EQ(test, in_span, nobjs);
	KUNIT_EXPECT_EQ(test, put_back(cls, objs, n), 0U);
	migrate_enable();
	expect_distinct(test, 96, 2 * nobjs);
}

/*
 * The same on a span with live objects.  With two, the count never reads
 * all free: the refill takes the object listed twice once, meets it again
 * on the list, and makes the list again from the states (its state says
 * cached now) instead of cutting it and losing the span's other objects.
 * With one, the count reads all free with that one live: it is not on the
 * list, so it is no copy to withdraw; the object the list loops back to is.
 */
static void mstat_test_partial_listed_twice(struct kunit *test)
{
	unsigned int cls = mstat_size_to_class(96), nobjs = mstat_classes[cls].nobjs, n, i;
	unsigned int max = 4096, in_span, seen_p, nq;
	void **objs = kunit_kcalloc(test, max, sizeof(void *), GFP_KERNEL);
	struct mstat_site_stats sb, sa;
	struct mstat_totals *before, *after;
	void *p, *q[2];
	u32 *st, key;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	expect_reports(test);
	for (nq = 1; nq <= 2; nq++) {
		/* one node's pool throughout (may sleep); no assertion of its own until the end */
		migrate_disable();
		p = fresh_span_obj(test, 96);
		mstat_limbo_drain();
		for (i = 0; i < nq; i++)
			q[i] = live_neighbour(test, p, 96);
		st = mstat_obj_state(p, cls);
		key = mstat_state_key_bits(READ_ONCE(*st));
		mstat_free(p);
		drain_all_cpus();	/* p heads its span's list */
		before = snap(test);
		sb = site_row(test, fresh_line);
		late_hand_out(p, cls, st, key, true);
		mstat_free(p);		/* its owner's free */
		drain_all_cpus();	/* p listed twice, pointing on to itself */
		n = take_all(cls, objs, max);
		after = snap(test);
		sa = site_row(test, fresh_line);
		/* the copy withdrawn, counted to p's site: it and the class balanced */
		KUNIT_EXPECT_EQ(test, sa.nmalloc - sa.nfree, sb.nmalloc - sb.nfree);
		/* the live ones left alone */
		KUNIT_EXPECT_EQ(test, after->nwrite_after_free - before->nwrite_after_free, 1ULL);
		KUNIT_EXPECT_EQ(test, after->sum.nmalloc[cls] - after->sum.nfree[cls],
				before->sum.nmalloc[cls] - before->sum.nfree[cls]);
		KUNIT_EXPECT_LT(test, n, max);
		expect_no_repeats(test, objs, n);
		for (i = 0, in_span = 0, seen_p = 0; i < n; i++) {
			in_span += span_of(objs[i], cls) == span_of(p, cls);
			seen_p += objs[i] == p;
		}
		KUNIT_EXPECT_EQ(test, seen_p, 1U);
		KUNIT_EXPECT_EQ(test, in_span, nobjs - nq);
		KUNIT_EXPECT_EQ(test, put_back(cls, objs, n), 0U);
		for (i = 0; i < nq; i++) {
			st = mstat_obj_state(q[i], cls);
			KUNIT_EXPECT_EQ(test, mstat_state_link(READ_ONCE(*st)), MSTAT_LINK_LIVE);
		}
		for (i = 0; i < nq; i++)
			mstat_free(q[i]);
		migrate_enable();
		expect_distinct(test, 96, 2 * nobjs);
	}
}

static struct mstat_pcpu *put_race_cache;
static void *put_race_obj;

/* The other copy handed out, from its (stand-in) cache, as the put claims p. */
static void put_race_hand_out(void *obj)
{
	unsigned int cls = mstat_size_to_class(96);
	struct mstat_pcpu *c = put_race_cache;
	u32 *st = mstat_obj_state(obj, cls);

	if (obj != put_race_obj || !c->cls[cls].count)
		return;
	c->cls[cls].count = 0;
	mstat_key_count_alloc(c, mstat_state_key(READ_ONCE(*st), cls), cls);
	WRITE_ONCE(*st, MSTAT_STATE(mstat_state_key_bits(READ_ONCE(*st)), MSTAT_LINK_LIVE));
	mstat_kasan_live(obj, mstat_classes[cls].size);
}

/*
 * Two copies of p in two caches (two CPUs freed it at once): one is handed
 * out between the other's put reading p's state and writing it.  The put
 * must not list p, which has an owner: withdrawn, and the pool never gives
 * it out while its owner holds it.
 */
static void mstat_test_put_races_hand_out(struct kunit *test)
{
	struct mstat_pcpu *a = fake_cache(test), *b = fake_cache(test);
	unsigned int cls = mstat_size_to_class(96), i, n, max = 4096;
	void **objs = kunit_kcalloc(test, max, sizeof(void *), GFP_KERNEL);
	struct mstat_totals *before, *after;
	struct mstat_pcpu *copies[2] = { a, b };
	void *p, *hold;
	u32 *st, state;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	expect_reports(test);
	p = mstat_alloc(96, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	hold = live_neighbour(test, p, 96);	/* keeps p's span */
	st = mstat_obj_state(p, cls);
	state = READ_ONCE(*st);
	for (i = 0; i < 2; i++) {	/* the two frees at once */
		mstat_key_count_free(copies[i], mstat_state_key(state, cls), cls);
		copies[i]->cls[cls].objs[0] = p;
		copies[i]->cls[cls].count = 1;
	}
	mstat_obj_cached(st, state);
	mstat_kasan_free(p, &mstat_classes[cls]);

	before = snap(test);
	put_race_cache = a;
	put_race_obj = p;
	WRITE_ONCE(mstat_put_hook, put_race_hand_out);
	mstat_pcpu_drain(b);
	WRITE_ONCE(mstat_put_hook, NULL);
	after = snap(test);
	KUNIT_EXPECT_EQ(test, mstat_state_link(READ_ONCE(*st)), MSTAT_LINK_LIVE);
	KUNIT_EXPECT_EQ(test, after->nwrite_after_free - before->nwrite_after_free, 1ULL);
	KUNIT_EXPECT_EQ(test, cache_nmalloc(b, cls), 1ULL);

	/* the pool does not hand p out while a holds it */
	fill(p, 96, 3);
	drain_all_cpus();
	n = take_all(cls, objs, max);
	KUNIT_ASSERT_LT(test, n, max);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_PTR_NE(test, objs[i], p);
	expect_no_repeats(test, objs, n);
	KUNIT_EXPECT_EQ(test, put_back(cls, objs, n), 0U);
	KUNIT_EXPECT_TRUE(test, check(p, 96, 3));
	mstat_free(p);
	mstat_free(hold);
	expect_distinct(test, 96, 2 * mstat_classes[cls].nobjs);
}

/* ------------------------------------------- defects found by review */

/* Objects of class @cls cache @c holds by its counters, as a read computes it. */
static s64 counted_cached(const struct mstat_pcpu *c, unsigned int cls)
{
	u64 nmalloc[MSTAT_NR_CLASSES] = { }, nfree[MSTAT_NR_CLASSES] = { };

	mstat_read_keys(c, mstat_nr_keys_read(), false, nmalloc, NULL);
	mstat_read_keys(c, mstat_nr_keys_read(), true, nfree, NULL);
	return (s64)(c->stats.nrefill_objs[cls] - c->stats.nflush_objs[cls] - nmalloc[cls] +
		     nfree[cls]);
}

/*
 * An allocation whose cache's last object is withdrawn (two CPUs freed it
 * at once) and whose pool is empty grows the pool: it must then take an
 * object of the new span, never the withdrawn one, which has an owner.
 */
static void mstat_test_grow_after_withdrawn(struct kunit *test)
{
	unsigned int cls = mstat_size_to_class(160), n, max = 4096;
	void **objs = kunit_kcalloc(test, max, sizeof(void *), GFP_KERNEL);
	struct mstat_pcpu *c;
	void *p, *q;
	u32 *st;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	expect_reports(test);
	p = mstat_alloc(160, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	fill(p, 160, 1);
	migrate_disable();
	drain_here(NULL);
	n = take_all(cls, objs, max);		/* the pool empty: the refill grows it */
	local_lock(&mstat_caches[MSTAT_TASK]->lock);
	c = this_cpu_ptr(mstat_caches[MSTAT_TASK]);
	/* p freed here too, as by a second CPU freeing it at once: counted so */
	st = mstat_obj_state(p, cls);
	mstat_key_count_free(c, mstat_state_key(READ_ONCE(*st), cls), cls);
	c->cls[cls].objs[0] = p;
	c->cls[cls].count = 1;
	local_unlock(&mstat_caches[MSTAT_TASK]->lock);
	q = mstat_alloc(160, GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, counted_cached(c, cls), (s64)c->cls[cls].count);
	migrate_enable();
	KUNIT_ASSERT_LT(test, n, max);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_PTR_NE(test, q, p);
	KUNIT_EXPECT_TRUE(test, check(p, 160, 1));
	KUNIT_EXPECT_EQ(test, mstat_state_link(READ_ONCE(*st)), MSTAT_LINK_LIVE);
	put_back(cls, objs, n);
	mstat_free(q);
	mstat_free(p);
	expect_distinct(test, 160, 64);
}

/*
 * A fallback span's object passes through no cache: its allocation and
 * its free (in another cache) leave each cache's counters telling what it
 * holds, as a read computes cached_bytes from them.
 */
static void mstat_test_fallback_counters(struct kunit *test)
{
	unsigned int cls = mstat_size_to_class(24576), n, max = 256;
	void **objs = kunit_kcalloc(test, max, sizeof(void *), GFP_KERNEL);
	struct mstat_pcpu *task, *irq;
	unsigned long pfn;
	void *p;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	migrate_disable();
	drain_here(NULL);
	n = take_all(cls, objs, max);
	task = this_cpu_ptr(mstat_caches[MSTAT_TASK]);
	irq = this_cpu_ptr(mstat_caches[MSTAT_IRQ]);
	mstat_fail_preferred = true;
	p = mstat_alloc(24576, GFP_KERNEL);
	mstat_fail_preferred = false;
	KUNIT_EXPECT_EQ(test, counted_cached(task, cls), (s64)task->cls[cls].count);
	if (p) {
		KUNIT_EXPECT_EQ(test, mstat_info_order(mstat_page_info(p, &pfn)),
				mstat_classes[cls].fb_order);
		free_in_hardirq(test, p);
		KUNIT_EXPECT_EQ(test, counted_cached(irq, cls), (s64)irq->cls[cls].count);
	}
	migrate_enable();
	put_back(cls, objs, n);
	KUNIT_EXPECT_NOT_NULL(test, p);
}

struct pages_seen {
	unsigned int n;
	struct { gfp_t gfp; unsigned int order; } calls[8];
};

static struct pages_seen *pages_seen;

static void pages_hook(gfp_t gfp, unsigned int order, unsigned int cls)
{
	struct pages_seen *ps = pages_seen;

	if (ps->n < ARRAY_SIZE(ps->calls)) {
		ps->calls[ps->n].gfp = gfp;
		ps->calls[ps->n].order = order;
	}
	ps->n++;
}

/*
 * The orders mstat asks the page allocator for, as SLUB's: above the
 * least order that holds one object only quietly (__GFP_NORETRY and
 * __GFP_NOWARN, never __GFP_NOFAIL, which the page allocator refuses
 * above order 1); with the caller's flags, at most order 1 up to a page
 * and at most kmalloc's order above.  Each class, its preferred span had
 * and not had, with GFP_KERNEL | __GFP_NOFAIL and with GFP_ATOMIC.
 */
static void mstat_test_span_orders(struct kunit *test)
{
	static const gfp_t flags[] = { GFP_KERNEL | __GFP_NOFAIL, GFP_ATOMIC };
	unsigned int cls, round, f, i, n, max = 1 << 16;
	void **objs = kunit_kcalloc(test, max, sizeof(void *), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, objs);
	pages_seen = kunit_kzalloc(test, sizeof(*pages_seen), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages_seen);
	for (cls = 0; cls < MSTAT_NR_SIZES; cls++) {
		unsigned int size = mstat_classes[cls].size;
		unsigned int limit = size <= PAGE_SIZE ? 1 : get_order(size);

		for (round = 0; round < 2 * ARRAY_SIZE(flags); round++) {
			void *p;

			f = round % ARRAY_SIZE(flags);
			migrate_disable();
			drain_here(NULL);
			n = take_all(cls, objs, max);
			memset(pages_seen, 0, sizeof(*pages_seen));
			mstat_fail_preferred = round >= ARRAY_SIZE(flags);
			WRITE_ONCE(mstat_pages_hook, pages_hook);
			p = mstat_alloc(size, flags[f]);
			WRITE_ONCE(mstat_pages_hook, NULL);
			mstat_fail_preferred = false;
			mstat_free(p);
			drain_here(NULL);
			migrate_enable();
			put_back(cls, objs, n);
			KUNIT_EXPECT_LT(test, n, max);
			KUNIT_EXPECT_NOT_NULL(test, p);
			KUNIT_EXPECT_GE(test, pages_seen->n, 1U);
			for (i = 0; i < min_t(unsigned int, pages_seen->n, 8); i++) {
				gfp_t gfp = pages_seen->calls[i].gfp;
				unsigned int order = pages_seen->calls[i].order;
				bool quiet = (gfp & __GFP_NORETRY) && (gfp & __GFP_NOWARN) &&
					     !(gfp & __GFP_NOFAIL);

				KUNIT_EXPECT_TRUE_MSG(test, quiet || order <= limit,
						      "%u B: order %u with gfp %pGg", size, order,
						      &gfp);
			}
		}
	}
}

/*
 * A free decodes the object's page once: if the page's private changes
 * between the lookup and the use (a stale pointer racing its span's
 * release), the free goes on with what it decoded, never with another
 * span's layout read afresh.  Here the object's page is made to read as a
 * one-page fallback span right after the lookup; that layout would take
 * the neighbour's first bytes, zero (live), for the object's state.
 */
static struct {
	void *p;
	unsigned long forged;
} decode_once;

static void decode_once_hook(const void *ptr)
{
	if (ptr != decode_once.p)
		return;
	WRITE_ONCE(mstat_free_hook, NULL);
	WRITE_ONCE(virt_to_page(ptr)->private, decode_once.forged);
}

static void mstat_test_free_decodes_once(struct kunit *test)
{
	unsigned int cls = mstat_size_to_class(1024), i, k, n = 96;
	const struct mstat_class *mc = &mstat_classes[cls];
	void **objs = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	struct mstat_totals *before, *after;
	unsigned long real, pfn;
	void *p = NULL, *nb = NULL;
	struct mstat_pcpu *irq;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	KUNIT_ASSERT_EQ(test, mc->fb_order, 0U);
	for (i = 0; i < n; i++) {
		objs[i] = mstat_alloc(1024, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	/* an object at the start of a page other than its span's first, and its neighbour */
	for (i = 0; i < n && !p; i++) {
		if (offset_in_page(objs[i]) || !((unsigned long)objs[i] & mc->span_mask))
			continue;
		for (k = 0; k < n; k++) {
			if (objs[k] == objs[i] + 1024) {
				p = objs[i];
				nb = objs[k];
			}
		}
	}
	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(nb, 0, 1024);
	real = mstat_page_info(p, &pfn);
	decode_once.p = p;
	decode_once.forged = (real & ~(MSTAT_INFO_ORDER_MASK << MSTAT_INFO_ORDER_SHIFT)) |
			     (unsigned long)mc->fb_order << MSTAT_INFO_ORDER_SHIFT;
	before = snap(test);
	migrate_disable();
	irq = this_cpu_ptr(mstat_caches[MSTAT_IRQ]);
	WRITE_ONCE(mstat_free_hook, decode_once_hook);
	free_in_hardirq(test, p);
	WRITE_ONCE(mstat_free_hook, NULL);
	WRITE_ONCE(virt_to_page(p)->private, real);
	KUNIT_EXPECT_GT(test, irq->cls[cls].count, 0U);
	if (irq->cls[cls].count)
		KUNIT_EXPECT_PTR_EQ(test, irq->cls[cls].objs[irq->cls[cls].count - 1], p);
	migrate_enable();
	after = snap(test);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(nb, 0, 1024));
	KUNIT_EXPECT_EQ(test, mstat_state_link(READ_ONCE(*mstat_obj_state(p, cls))),
			MSTAT_LINK_CACHED);
	KUNIT_EXPECT_EQ(test, after->sum.nfree[cls] - before->sum.nfree[cls], 1ULL);
	KUNIT_EXPECT_EQ(test, after->nbad_ptr, before->nbad_ptr);
	KUNIT_EXPECT_EQ(test, after->ndouble_free, before->ndouble_free);
	for (i = 0; i < n; i++)
		if (objs[i] != p)
			mstat_free(objs[i]);
}

/*
 * Two frees of one large object: the slower one looked the object up,
 * then the faster one freed it and its pages became another large object
 * before the slower one claimed it.  The slower one must find a double
 * free, not the new object's bit, and leave the new object alone.  The
 * objects are the core's own (mstat_large_alloc()), counted by no cache.
 */
static struct {
	void *victim, *reborn;
	size_t usable;
} large_race;

/* Free @obj, one of mstat_large_alloc()'s, as a free that claims it would. */
static bool large_release(void *obj)
{
	unsigned long pfn = PHYS_PFN(__pa(obj));

	if (!mstat_large_claim(pfn, page_private(pfn_to_page(pfn))))
		return false;
	mstat_large_free(obj, SZ_64K);
	return true;
}

static void large_race_hook(const void *ptr)
{
	void *miss[128];
	unsigned int i, n = 0;
	size_t usable;

	if (ptr != large_race.victim)
		return;
	WRITE_ONCE(mstat_free_hook, NULL);
	large_release((void *)ptr);
	/* the page allocator's next blocks, until one is the victim's */
	while ((large_race.reborn = mstat_large_alloc(SZ_64K, NUMA_NO_NODE, GFP_ATOMIC, &usable)) &&
	       large_race.reborn != ptr && n < ARRAY_SIZE(miss))
		miss[n++] = large_race.reborn;
	for (i = 0; i < n; i++)
		large_release(miss[i]);
}

static void mstat_test_large_free_race(struct kunit *test)
{
	struct mstat_totals *before;
	unsigned long pfn, info;
	unsigned int cls;
	size_t usable;

	expect_reports(test);
	large_race.victim = mstat_large_alloc(SZ_64K, NUMA_NO_NODE, GFP_KERNEL,
					      &large_race.usable);
	KUNIT_ASSERT_NOT_NULL(test, large_race.victim);
	large_race.reborn = NULL;
	before = snap(test);
	WRITE_ONCE(mstat_free_hook, large_race_hook);
	free_in_hardirq(test, large_race.victim);
	WRITE_ONCE(mstat_free_hook, NULL);
	expect_refused(test, before, 0, 1, 0);
	if (!large_race.reborn)
		kunit_skip(test, "no 64 KiB block in hard interrupt context: the race was not run");
	if (large_race.reborn != large_race.victim) {
		large_release(large_race.reborn);
		kunit_skip(test, "the victim's pages were not reused: the race was not run");
	}
	KUNIT_ASSERT_EQ(test, mstat_owner(large_race.reborn, &cls, &usable, &pfn, &info),
			MSTAT_LARGE);
	KUNIT_EXPECT_EQ(test, usable, (size_t)SZ_64K);
	memset(large_race.reborn, 0x5a, SZ_64K);
	KUNIT_EXPECT_TRUE(test, large_release(large_race.reborn));
}

/*
 * A large object's count and bytes are read together: CPUs allocate and
 * free one large object each, over and over at one site, while this one
 * reads the site's row and the totals; every read must show live bytes
 * exactly when it shows live objects.  A race, not an injection: a torn
 * read is rare (reviewers saw 37 in 175,904 reads in 30 s), so this one
 * is a chance to catch it, and make torture runs it for minutes.
 */
#define MAX_ROWS 512

static int pair_churn_fn(void *unused)
{
	while (!kthread_should_stop()) {
		void *p = mstat_alloc(40000 + 30000 * (raw_smp_processor_id() & 1), GFP_KERNEL);

		mstat_free(p);
		cond_resched();
	}
	return 0;
}

static void mstat_test_large_pairs_race(struct kunit *test)
{
	struct task_struct *t[8];
	unsigned int cpu, n = 0, i, reads = 0, torn = 0, gap = mstat_read_gap_us;
	struct mstat_totals *tot = kunit_kzalloc(test, sizeof(*tot), GFP_KERNEL);
	struct mstat_site_stats *rows;
	unsigned long end;
	int nrows;

	KUNIT_ASSERT_NOT_NULL(test, tot);
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs a second online CPU");
	rows = kunit_kcalloc(test, MAX_ROWS, sizeof(*rows), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rows);
	for_each_online_cpu(cpu) {
		if (cpu == raw_smp_processor_id() || n == ARRAY_SIZE(t))
			continue;
		t[n] = kthread_create_on_cpu(pair_churn_fn, NULL, cpu, "mstat_pairs/%u");
		if (IS_ERR(t[n]))
			break;
		wake_up_process(t[n++]);
	}
	WRITE_ONCE(mstat_read_gap_us, 0);
	end = jiffies + 3 * HZ;
	while (time_before(jiffies, end)) {
		nrows = mstat_read_sites(rows, MAX_ROWS);
		for (i = 0; i < nrows; i++) {
			if (strcmp(rows[i].function, "pair_churn_fn"))
				continue;
			torn += !rows[i].live_bytes != !rows[i].live_objects;
		}
		mstat_collect(tot, NULL);
		torn += (tot->sum.large_alloc_bytes == tot->sum.large_free_bytes) !=
			(tot->sum.large_nmalloc == tot->sum.large_nfree);
		reads++;
		cond_resched();
	}
	WRITE_ONCE(mstat_read_gap_us, gap);
	for (i = 0; i < n; i++)
		kthread_stop(t[i]);
	kunit_info(test, "%u reads by %u allocating CPUs\n", reads, n);
	KUNIT_EXPECT_GT(test, n, 0U);
	KUNIT_EXPECT_EQ(test, torn, 0U);
}

/*
 * /proc/mstat and /proc/mstat_sites are printed from one collection made
 * at open into a buffer sized for it: seq_file, if the text overflowed,
 * would call show() again, and each call would collect again.  Every
 * counter at its widest must fit the size the open asks for.
 */
static void mstat_test_proc_sizes(struct kunit *test)
{
	struct mstat_totals *cpus = kunit_kcalloc(test, nr_cpu_ids + 1, sizeof(*cpus),
						  GFP_KERNEL);
	struct mstat_site_stats rows[16] = { };
	struct seq_file m = { };
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, cpus);
	memset(cpus, 0xff, (nr_cpu_ids + 1) * sizeof(*cpus));
	m.size = mstat_text_size();
	m.buf = kunit_kzalloc(test, m.size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m.buf);
	mstat_render(&m, &cpus[nr_cpu_ids], cpus);
	KUNIT_EXPECT_FALSE(test, seq_has_overflowed(&m));
	KUNIT_EXPECT_GT(test, m.count, (size_t)(MSTAT_NR_CLASSES * 40));

	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		rows[i].live_bytes = U64_MAX;
		rows[i].live_objects = U64_MAX;
		rows[i].nmalloc = U64_MAX;
		rows[i].nfree = U64_MAX;
		rows[i].line = UINT_MAX;
		rows[i].file = "/a path with spaces/\n\n\n/and\\many\tseparators.c";
		rows[i].module = "  ";
		rows[i].function = "\n";
	}
	m.count = 0;
	m.size = mstat_sites_text_size(rows, ARRAY_SIZE(rows));
	m.buf = kunit_kzalloc(test, m.size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m.buf);
	mstat_sites_render(&m, rows, ARRAY_SIZE(rows));
	KUNIT_EXPECT_FALSE(test, seq_has_overflowed(&m));
}

/*
 * A client's names go into /proc/mstat_sites escaped: a file name with a
 * space and a newline (a #line directive can give any) stays one field of
 * one row.
 */
static struct mstat_site odd_site = {
	.file = "dir with space/x\ny.c",
	.function = "odd\tfn",
	.modname = KBUILD_MODNAME,
	.owner = THIS_MODULE,
	.line = 4242,
	.last = MSTAT_SITE_NO_CLASS,
};

static void mstat_test_sites_escaped(struct kunit *test)
{
	const char *want = " dir\\040with\\040space/x\\012y.c:4242 mstat odd\\011fn\n";
	struct seq_file m = { };
	char *line, *text;
	unsigned int rows = 0, found = 0;
	void *p;

	p = mstat_alloc_site(64, GFP_KERNEL, &odd_site);
	KUNIT_ASSERT_NOT_NULL(test, p);
	m.size = 256 * 1024;
	m.buf = kunit_kzalloc(test, m.size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m.buf);
	KUNIT_ASSERT_EQ(test, mstat_sites_show(&m, NULL), 0);
	mstat_free(p);
	KUNIT_ASSERT_FALSE(test, seq_has_overflowed(&m));
	KUNIT_ASSERT_LT(test, m.count, m.size);
	text = m.buf;
	text[m.count] = '\0';
	KUNIT_EXPECT_NOT_NULL(test, strstr(text, want));
	/* every row has its seven fields */
	while ((line = strsep(&text, "\n")) && *line) {
		unsigned int fields = 1;
		char *c;

		if (rows++ < 2)
			continue;
		for (c = line; *c; c++)
			fields += *c == ' ';
		KUNIT_EXPECT_EQ_MSG(test, fields, 7U, "%s", line);
		found += !!strstr(line, "4242");
	}
	KUNIT_EXPECT_EQ(test, found, 1U);
}

/*
 * Two frees of a fallback span's object at the same instant: the slower
 * one read the object's state as live, then the faster one freed it whole
 * (its span released) before the slower one wrote the state.  The slower
 * one must find a double free: written over, the state would put the
 * object back on a released span and release the span a second time.
 */
static struct {
	void *obj;
	unsigned int cls;
} fb_race;

static void fb_race_hook(const void *ptr)
{
	const struct mstat_class *mc = &mstat_classes[fb_race.cls];
	struct mstat_pcpu *c = this_cpu_ptr(mstat_caches[MSTAT_IRQ]);
	u32 *st, state;

	if (ptr != fb_race.obj)
		return;
	WRITE_ONCE(mstat_free_hook, NULL);
	/* the faster free, whole, counted in this CPU's irq cache (its lock is held) */
	st = mstat_obj_state_order(ptr, mc, mc->fb_order);
	state = READ_ONCE(*st);
	if (!mstat_obj_claim(st, state))
		return;
	mstat_key_count_free(c, mstat_state_key(state, fb_race.cls), fb_race.cls);
	if (!mstat_central_put(fb_race.cls, &fb_race.obj, 1, mc->fb_order))
		c->stats.nflush_objs[fb_race.cls]++;
}

/* Objects of class @cls in every cache of every CPU, at a moment. */
static unsigned int cached_everywhere(unsigned int cls)
{
	unsigned int i, n = 0;

	for (i = 0; i < nr_cpu_ids * MSTAT_NR_CTX; i++) {
		if (mstat_cpu_caches[i])
			n += READ_ONCE(mstat_cpu_caches[i]->cls[cls].count);
	}
	return n;
}

static void mstat_test_fallback_freed_twice_at_once(struct kunit *test)
{
	unsigned int cls = mstat_size_to_class(1024), n, max = 1024, cached;
	void **objs = kunit_kcalloc(test, max, sizeof(void *), GFP_KERNEL);
	struct mstat_totals *before, *after;
	unsigned long pfn;
	u64 base;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	expect_reports(test);
	migrate_disable();
	drain_here(NULL);
	n = take_all(cls, objs, max);
	mstat_fail_preferred = true;
	fb_race.obj = mstat_alloc(1024, GFP_KERNEL);
	mstat_fail_preferred = false;
	migrate_enable();
	put_back(cls, objs, n);
	KUNIT_ASSERT_NOT_NULL(test, fb_race.obj);
	KUNIT_ASSERT_EQ(test, mstat_info_order(mstat_page_info(fb_race.obj, &pfn)),
			mstat_classes[cls].fb_order);
	fb_race.cls = cls;
	base = mstat_span_bytes() - (PAGE_SIZE << mstat_classes[cls].fb_order);
	cached = cached_everywhere(cls);
	before = snap(test);
	WRITE_ONCE(mstat_free_hook, fb_race_hook);
	free_in_hardirq(test, fb_race.obj);
	WRITE_ONCE(mstat_free_hook, NULL);
	after = snap(test);
	KUNIT_EXPECT_EQ(test, after->ndouble_free - before->ndouble_free, 1ULL);
	KUNIT_EXPECT_EQ(test, after->nwrite_after_free, before->nwrite_after_free);
	/* freed once, its span released once */
	KUNIT_EXPECT_EQ(test, after->sum.nfree[cls] - before->sum.nfree[cls], 1ULL);
	KUNIT_EXPECT_EQ(test, after->sum.nmalloc[cls], before->sum.nmalloc[cls]);
	KUNIT_EXPECT_EQ(test, mstat_span_bytes(), base);
	/* in no cache, on any CPU (the test may have moved since its drain) */
	KUNIT_EXPECT_EQ(test, cached_everywhere(cls), cached);
	mstat_limbo_drain();
	KUNIT_EXPECT_EQ(test, mstat_span_bytes(), base);
}

/*
 * A large object's count and bytes, read while the CPU that owns them
 * frees one: the reader stops between the two words of the pair and lets
 * that CPU free (waiting a tenth of a second at most).  The read must not
 * see the free's bytes without its count.
 */
static struct {
	struct completion go;
	unsigned int cache, key;
	void *obj;
	bool done, fired;
} pair_step;

static int pair_step_writer(void *unused)
{
	wait_for_completion(&pair_step.go);
	mstat_free(pair_step.obj);
	WRITE_ONCE(pair_step.done, true);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

static void pair_step_hook(unsigned int pass, unsigned int idx)
{
	unsigned int us;

	if (pass != 3 || pair_step.fired ||
	    idx != pair_step.cache * MSTAT_MAX_KEYS + pair_step.key)
		return;
	pair_step.fired = true;
	complete(&pair_step.go);
	for (us = 0; us < 100000 && !READ_ONCE(pair_step.done); us++)
		udelay(1);
}

static void mstat_test_large_pair_step(struct kunit *test)
{
	static struct mstat_site site = { .file = "pairs.c", .function = "pair_fn",
					  .modname = "pairs", .line = 1,
					  .last = MSTAT_SITE_NO_CLASS };
	struct task_struct *writer;
	struct mstat_site_stats *rows;
	unsigned int cpu, wcpu = nr_cpu_ids;
	int i, nrows;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs a second online CPU");
	for_each_online_cpu(cpu)
		if (cpu != raw_smp_processor_id() && wcpu == nr_cpu_ids)
			wcpu = cpu;
	rows = kunit_kcalloc(test, MAX_ROWS, sizeof(*rows), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rows);
	pair_step.obj = mstat_alloc_site(40000, GFP_KERNEL, &site);
	KUNIT_ASSERT_NOT_NULL(test, pair_step.obj);
	pair_step.key = mstat_site_key(&site, MSTAT_LARGE_CLS, GFP_KERNEL);
	pair_step.cache = wcpu * MSTAT_NR_CTX + MSTAT_TASK;
	pair_step.done = false;
	pair_step.fired = false;
	init_completion(&pair_step.go);
	writer = kthread_create_on_cpu(pair_step_writer, NULL, wcpu, "mstat_pair/%u");
	KUNIT_ASSERT_FALSE(test, IS_ERR(writer));
	wake_up_process(writer);
	WRITE_ONCE(mstat_read_hook, pair_step_hook);
	nrows = mstat_read_sites(rows, MAX_ROWS);
	WRITE_ONCE(mstat_read_hook, NULL);
	if (!pair_step.fired)
		complete(&pair_step.go);
	kthread_stop(writer);
	KUNIT_EXPECT_TRUE(test, pair_step.fired);
	for (i = 0; i < nrows; i++) {
		if (strcmp(rows[i].file, "pairs.c"))
			continue;
		KUNIT_EXPECT_EQ_MSG(test, !rows[i].live_bytes, !rows[i].live_objects,
				    "live_bytes %llu live_objects %llu", rows[i].live_bytes,
				    rows[i].live_objects);
	}
}

/*
 * mstat_reclaim_scan() as the shrinker calls it, again whenever a reclaim
 * under way made it stop (the kernel's own shrinking: KASAN's quarantine
 * can press a test kernel's memory).
 */
static unsigned long reclaim_scan(unsigned long nr, int nid)
{
	unsigned long freed;

	for (;;) {
		freed = mstat_reclaim_scan(nr, nid);
		if (freed != SHRINK_STOP)
			return freed;
		usleep_range(500, 1000);
	}
}

/*
 * The shrinker gives back what it is asked for: a scan of one object takes
 * a wholly free span and leaves the CPUs' caches alone; a scan of all
 * empties them.
 */
static void mstat_test_shrink_scan(struct kunit *test)
{
	unsigned int cls = mstat_size_to_class(512), nobjs = mstat_classes[cls].nobjs;
	unsigned int i, n = 3 * nobjs, cached;
	void **objs = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	struct mstat_pcpu *c;
	unsigned long freed;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	mstat_reclaim_all();
	/* spans of 512 B, freed whole: one at least wholly free in the pool */
	for (i = 0; i < n; i++) {
		objs[i] = mstat_alloc(512, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	migrate_disable();
	for (i = 0; i < n; i++)
		mstat_free(objs[i]);
	c = this_cpu_ptr(mstat_caches[MSTAT_TASK]);
	cached = READ_ONCE(c->cls[cls].count);
	freed = reclaim_scan(1, NUMA_NO_NODE);
	KUNIT_EXPECT_EQ(test, READ_ONCE(c->cls[cls].count), cached);
	migrate_enable();
	KUNIT_EXPECT_GT(test, cached, 0U);
	KUNIT_EXPECT_GE(test, freed, 1UL);
	freed = reclaim_scan(ULONG_MAX, NUMA_NO_NODE);
	KUNIT_EXPECT_EQ(test, mstat_cached_count(cls), 0U);
}

/*
 * A key that needs a new chunk of counters (two per possible CPU, 2 KiB
 * each) is not made in hard interrupt context: the allocation counts to
 * its class with no site, and a work item makes the chunk, after which the
 * site gets its key.
 */
static struct {
	struct hrtimer timer;
	struct completion done;
	struct mstat_site *site;
	unsigned int cls, key;
} chunk_irq;

static enum hrtimer_restart chunk_irq_fn(struct hrtimer *timer)
{
	chunk_irq.key = mstat_site_key(chunk_irq.site, chunk_irq.cls, GFP_ATOMIC);
	complete(&chunk_irq.done);
	return HRTIMER_NORESTART;
}

static void mstat_test_chunk_not_in_irq(struct kunit *test)
{
	const unsigned int max = 2 * MSTAT_SITE_CHUNK;
	struct mstat_site *sites = kunit_kcalloc(test, max + 1, sizeof(*sites), GFP_KERNEL);
	unsigned int cls = mstat_size_to_class(8), i;

	KUNIT_ASSERT_NOT_NULL(test, sites);
	/* keys in task context up to a chunk's end */
	for (i = 0; i < max && mstat_nr_keys_read() % MSTAT_SITE_CHUNK; i++) {
		sites[i] = (struct mstat_site) { .file = "chunk.c", .function = "chunk_fn",
						 .modname = "chunk", .owner = &sites,
						 .line = i + 1, .last = MSTAT_SITE_NO_CLASS };
		KUNIT_ASSERT_NE(test, mstat_site_key(&sites[i], cls, GFP_KERNEL), cls);
	}
	KUNIT_ASSERT_EQ(test, mstat_nr_keys_read() % MSTAT_SITE_CHUNK, 0U);
	sites[max] = (struct mstat_site) { .file = "chunk.c", .function = "chunk_fn",
					   .modname = "chunk", .owner = &sites,
					   .line = max + 1, .last = MSTAT_SITE_NO_CLASS };
	chunk_irq.site = &sites[max];
	chunk_irq.cls = cls;
	init_completion(&chunk_irq.done);
	hrtimer_init(&chunk_irq.timer, CLOCK_MONOTONIC, IRQ_MODE);
	chunk_irq.timer.function = chunk_irq_fn;
	hrtimer_start(&chunk_irq.timer, ns_to_ktime(1000), IRQ_MODE);
	KUNIT_ASSERT_GT(test, wait_for_completion_timeout(&chunk_irq.done, 10 * HZ), 0UL);
	hrtimer_cancel(&chunk_irq.timer);
	KUNIT_EXPECT_EQ(test, chunk_irq.key, cls);
	mstat_sites_flush();
	KUNIT_EXPECT_NE(test, mstat_site_key(&sites[max], cls, GFP_ATOMIC), cls);
}

/*
 * KASAN sees which objects of a span are free: a free object's shadow says
 * freed, a handed-out one's says accessible, every class, through the fast
 * and the general paths, so that a use after free inside a span (which is
 * one valid block to the page allocator) is reported.
 */
static void mstat_test_kasan_shadow(struct kunit *test)
{
#if IS_ENABLED(CONFIG_KASAN_GENERIC)
	unsigned int cls;

	if (!mstat_kasan_poison)
		kunit_skip(test, "kasan_poison() is not exported by this kernel");
	for (cls = 0; cls < MSTAT_NR_SIZES; cls++) {
		unsigned int size = mstat_classes[cls].size;
		u8 *p = mstat_alloc(size, GFP_KERNEL), *q;

		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_EQ(test, *(u8 *)kasan_mem_to_shadow(p), 0);
		KUNIT_EXPECT_EQ(test, *(u8 *)kasan_mem_to_shadow(p + size - 8), 0);
		p[size - 1] = 1;
		mstat_free(p);
		KUNIT_EXPECT_EQ_MSG(test, *(u8 *)kasan_mem_to_shadow(p), MSTAT_KASAN_FREE,
				    "%u B", size);
		KUNIT_EXPECT_EQ(test, *(u8 *)kasan_mem_to_shadow(p + size - 8), MSTAT_KASAN_FREE);
		q = mstat_alloc(size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, q);
		free_in_hardirq(test, q);
		KUNIT_EXPECT_EQ(test, *(u8 *)kasan_mem_to_shadow(q), MSTAT_KASAN_FREE);
	}
#else
	/* lower case: a KTAP line saying KASAN in capitals reads as a report */
	kunit_skip(test, "needs generic kasan");
#endif
}

/*
 * Once MSTAT_MAX_SITES records are kept, a module loaded again still finds
 * its rows: the match comes before the full table's refusal.  It fills the
 * table for good, so it runs last.
 */
static void mstat_test_sites_full(struct kunit *test)
{
	const unsigned int max = MSTAT_MAX_SITES;
	struct mstat_site *sites = kunit_kcalloc(test, max, sizeof(*sites), GFP_KERNEL);
	struct mstat_site first, again;
	unsigned int cls = mstat_size_to_class(8), i, key;

	KUNIT_ASSERT_NOT_NULL(test, sites);
	first = (struct mstat_site) { .file = "reload.c", .function = "reload_fn",
				      .modname = "reload", .owner = &sites, .line = 1,
				      .last = MSTAT_SITE_NO_CLASS };
	again = first;
	key = mstat_site_key(&first, cls, GFP_KERNEL);
	KUNIT_ASSERT_NE(test, first.id, 0U);
	KUNIT_ASSERT_NE(test, first.id, MSTAT_SITE_UNATTRIBUTED);
	for (i = 0; i < max; i++) {
		sites[i] = first;
		sites[i].id = 0;
		sites[i].line = i + 2;
		sites[i].last = MSTAT_SITE_NO_CLASS;
		mstat_site_key(&sites[i], cls, GFP_KERNEL);
		if (sites[i].id == MSTAT_SITE_UNATTRIBUTED)
			break;
	}
	KUNIT_ASSERT_LT(test, i, max);
	/* the same site of the module loaded again: its row, its key */
	KUNIT_EXPECT_EQ(test, mstat_site_key(&again, cls, GFP_KERNEL), key);
	KUNIT_EXPECT_EQ(test, again.id, first.id);
	/* a site new to a full table is unattributed, and looks no more */
	KUNIT_EXPECT_EQ(test, mstat_site_key(&sites[i], cls, GFP_KERNEL), cls);
}

/* -------------------------------------------------------------- sites */

/* The rows of one read, through the exported call. */
static struct mstat_site_stats *read_sites(struct kunit *test, int *n)
{
	struct mstat_site_stats *rows = kunit_kcalloc(test, MAX_ROWS, sizeof(*rows), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, rows);
	*n = mstat_read_sites(rows, MAX_ROWS);
	KUNIT_ASSERT_GE(test, *n, 0);
	KUNIT_ASSERT_LE(test, *n, MAX_ROWS);
	return rows;
}

/* The row of this file's site at @line, or zeros if it has none yet. */
static struct mstat_site_stats site_row(struct kunit *test, unsigned int line)
{
	struct mstat_site_stats none = { };
	struct mstat_site_stats *rows;
	int n, i;

	rows = read_sites(test, &n);
	for (i = 0; i < n; i++) {
		if (rows[i].line == line && !strcmp(rows[i].file, __FILE__))
			return rows[i];
	}
	return none;
}

/* Every row of a read keeps the per-site guarantees, and comes in order. */
static void expect_sites_sane(struct kunit *test)
{
	struct mstat_site_stats *rows;
	int n, i;

	rows = read_sites(test, &n);
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_LE(test, rows[i].nfree, rows[i].nmalloc);
		KUNIT_EXPECT_EQ(test, rows[i].live_objects, rows[i].nmalloc - rows[i].nfree);
		KUNIT_EXPECT_LT(test, rows[i].live_bytes, 1ULL << 40);	/* never "negative" */
		if (i)
			KUNIT_EXPECT_GE(test, rows[i - 1].live_bytes, rows[i].live_bytes);
	}
}

/* Three sites, each a line of its own: known sizes from known lines. */
static unsigned int site_lines[3];

static void *site_alloc(unsigned int which, size_t size)
{
	switch (which) {
	case 0:
		site_lines[0] = __LINE__ + 1;
		return mstat_alloc(size, GFP_KERNEL);
	case 1:
		site_lines[1] = __LINE__ + 1;
		return mstat_zalloc(size, GFP_KERNEL);
	default:
		site_lines[2] = __LINE__ + 1;
		return mstat_alloc(size, GFP_ATOMIC);
	}
}

#define SITE_OBJS 30

/*
 * Counts per site after a known workload: site 0 allocates 100-byte
 * objects (class 104), site 1 5000-byte ones (class 5120), site 2 large
 * 40000-byte ones (10 pages); some are freed here, some from interrupt
 * context, some on another CPU.
 */
static void mstat_test_site_counts(struct kunit *test)
{
	static const size_t sizes[3] = { 100, 5000, 40000 };
	static const unsigned int nalloc[3] = { SITE_OBJS, SITE_OBJS / 2, SITE_OBJS / 3 };
	struct mstat_site_stats before[3], after[3];
	unsigned int w, i, nfreed[3] = { };
	void *objs[3][SITE_OBJS];
	int other = -1, cpu;

	for_each_online_cpu(cpu) {
		if (cpu != raw_smp_processor_id())
			other = cpu;
	}
	for (w = 0; w < 3; w++)
		objs[w][0] = site_alloc(w, 8);	/* registers the site: its line is known */
	for (w = 0; w < 3; w++) {
		mstat_free(objs[w][0]);
		before[w] = site_row(test, site_lines[w]);
		KUNIT_ASSERT_GT(test, before[w].nmalloc, 0ULL);
		KUNIT_EXPECT_STREQ(test, before[w].module, KBUILD_MODNAME);
		KUNIT_EXPECT_STREQ(test, before[w].function, "site_alloc");
	}
	for (w = 0; w < 3; w++) {
		for (i = 0; i < nalloc[w]; i++) {
			objs[w][i] = site_alloc(w, sizes[w]);
			KUNIT_ASSERT_NOT_NULL(test, objs[w][i]);
		}
		/* a third freed here, a third in interrupt context or on another CPU */
		for (i = 0; i < 2 * nalloc[w] / 3; i++) {
			if (i % 2)
				mstat_free(objs[w][i]);
			else if (other >= 0)
				KUNIT_EXPECT_EQ(test, work_on_cpu(other, free_on_cpu, objs[w][i]),
						0L);
			else
				free_in_hardirq(test, objs[w][i]);
			nfreed[w]++;
		}
	}
	for (w = 0; w < 3; w++) {
		size_t usable = mstat_usable_size(objs[w][nalloc[w] - 1]);

		after[w] = site_row(test, site_lines[w]);
		KUNIT_EXPECT_EQ(test, after[w].nmalloc - before[w].nmalloc, (u64)nalloc[w]);
		KUNIT_EXPECT_EQ(test, after[w].nfree - before[w].nfree, (u64)nfreed[w]);
		KUNIT_EXPECT_EQ(test, after[w].live_objects - before[w].live_objects,
				(u64)(nalloc[w] - nfreed[w]));
		KUNIT_EXPECT_EQ(test, after[w].live_bytes - before[w].live_bytes,
				(u64)(nalloc[w] - nfreed[w]) * usable);
	}
	KUNIT_EXPECT_EQ(test, mstat_usable_size(objs[0][SITE_OBJS - 1]), (size_t)104);
	KUNIT_EXPECT_EQ(test, mstat_usable_size(objs[2][0 + SITE_OBJS / 3 - 1]),
			(size_t)PAGE_ALIGN(40000));
	expect_sites_sane(test);
	for (w = 0; w < 3; w++) {
		for (i = nfreed[w]; i < nalloc[w]; i++)
			mstat_free(objs[w][i]);
		after[w] = site_row(test, site_lines[w]);
		KUNIT_EXPECT_EQ(test, after[w].live_objects, before[w].live_objects);
		KUNIT_EXPECT_EQ(test, after[w].live_bytes, before[w].live_bytes);
	}
}

#define RACE_SITE 70	/* in the second chunk */

static void site_race_event(void)
{
	struct mstat_pcpu *a = race->caches[race->on_alloc], *f = race->caches[race->on_free];

	KEY_CTR(a, nmalloc, RACE_SITE)++;
	KEY_CTR(a, alloc_bytes, RACE_SITE) += 96;
	KEY_CTR(f, nfree, RACE_SITE)++;
	KEY_CTR(f, free_bytes, RACE_SITE) += 96;
	race->nevents++;
	race->fired = true;
}

static void site_race_hook(unsigned int pass, unsigned int idx)
{
	if (pass == race->pass && idx == race->idx)
		site_race_event();
}

/*
 * The two-pass guarantee per site, driven step by step as
 * mstat_test_read_consistency() drives it for the totals: an object
 * allocated through one cache and freed through another at every point of
 * a read never shows a site freeing more than it allocated; a plain
 * one-pass sum does.
 */
static void mstat_test_site_read_consistency(struct kunit *test)
{
	struct mstat_site_counters *sums = kunit_kcalloc(test, RACE_SITE + 1, sizeof(*sums),
							 GFP_KERNEL);
	struct mstat_site_counters naive;
	bool naive_broken = false;
	unsigned int k, c;

	race = kunit_kzalloc(test, sizeof(*race), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sums);
	KUNIT_ASSERT_NOT_NULL(test, race);
	for (c = 0; c < 2; c++)
		race->caches[c] = fake_cache(test);
	for (k = 0; k < 16; k++) {
		race_at(k);
		mstat_read_hook = site_race_hook;
		mstat_read_site_caches(sums, RACE_SITE + 1, race->caches, 2);
		mstat_read_hook = NULL;
		KUNIT_EXPECT_TRUE(test, race->fired);
		KUNIT_EXPECT_LE(test, sums[RACE_SITE].nfree, sums[RACE_SITE].nmalloc);
		KUNIT_EXPECT_LE(test, sums[RACE_SITE].free_bytes, sums[RACE_SITE].alloc_bytes);

		/* a plain sum, cache by cache, each cache's counters at once */
		memset(&naive, 0, sizeof(naive));
		for (c = 0; c < 2; c++) {
			if (c == 1 && race->pass == 1 && race->idx == 0)
				site_race_event();
			naive.nmalloc += KEY_CTR(race->caches[c], nmalloc, RACE_SITE);
			naive.nfree += KEY_CTR(race->caches[c], nfree, RACE_SITE);
		}
		naive_broken |= naive.nfree > naive.nmalloc;
	}
	KUNIT_EXPECT_TRUE(test, naive_broken);
	mstat_read_site_caches(sums, RACE_SITE + 1, race->caches, 2);
	KUNIT_EXPECT_EQ(test, race->nevents, 16U + 4U);
	KUNIT_EXPECT_EQ(test, sums[RACE_SITE].nmalloc, (u64)race->nevents);
	KUNIT_EXPECT_EQ(test, sums[RACE_SITE].nfree, (u64)race->nevents);
	KUNIT_EXPECT_EQ(test, sums[RACE_SITE].alloc_bytes, 96ULL * race->nevents);
	for (k = 0; k < RACE_SITE; k++)
		KUNIT_EXPECT_EQ(test, sums[k].nmalloc, 0ULL);
}

/* A donation moves every site's counters, and only the donor's are zeroed. */
static void mstat_test_site_donation(struct kunit *test)
{
	struct mstat_pcpu *from = fake_cache(test), *to = fake_cache(test);
	struct mstat_site_counters *sums = kunit_kcalloc(test, MSTAT_MAX_KEYS, sizeof(*sums),
							 GFP_KERNEL);
	struct mstat_pcpu *both[2] = { from, to };
	unsigned int id;

	KUNIT_ASSERT_NOT_NULL(test, sums);
	for (id = 0; id < MSTAT_MAX_KEYS; id += 37) {
		KEY_CTR(from, nfree, id) = id + 1;
		KEY_CTR(from, free_bytes, id) = 8 * (id + 1);
		KEY_CTR(from, nmalloc, id) = id + 3;
		KEY_CTR(from, alloc_bytes, id) = 8 * (id + 3);
		KEY_CTR(to, nfree, id) = 1;
		KEY_CTR(to, free_bytes, id) = 16;
		KEY_CTR(to, nmalloc, id) = 2;
		KEY_CTR(to, alloc_bytes, id) = 32;
	}
	to->sites[5] = NULL;	/* a chunk the recipient has not got yet: skipped */
	mstat_donate_sites(from, to);
	mstat_read_site_caches(sums, MSTAT_MAX_KEYS, both, 2);
	for (id = 0; id < MSTAT_MAX_KEYS; id++) {
		u64 had = id % 37 ? 0 : 1;

		if (id / 64 == 5) {
			KUNIT_EXPECT_EQ(test, KEY_CTR(from, nmalloc, id), had * (id + 3));
			continue;
		}
		KUNIT_EXPECT_EQ(test, sums[id].nmalloc, had * (id + 3 + 2));
		KUNIT_EXPECT_EQ(test, sums[id].nfree, had * (id + 1 + 1));
		KUNIT_EXPECT_EQ(test, sums[id].alloc_bytes, had * (8 * (id + 3) + 32));
		KUNIT_EXPECT_EQ(test, KEY_CTR(from, nmalloc, id), 0ULL);
		KUNIT_EXPECT_EQ(test, KEY_CTR(from, free_bytes, id), 0ULL);
	}
}

/*
 * Objects withdrawn from a cache (the second copy of an object two CPUs
 * freed at once) are charged to their site as allocations, as to their
 * class, so that the site never shows more frees than allocations.
 */
static void mstat_test_site_withdrawn(struct kunit *test)
{
	struct mstat_pcpu *other = fake_cache(test);
	unsigned int cls = mstat_size_to_class(96), id;
	struct mstat_site_stats before, after;
	void *p, *hold;

	expect_reports(test);
	migrate_disable();
	p = site_alloc(0, 96);
	KUNIT_ASSERT_NOT_NULL(test, p);
	hold = live_neighbour(test, p, 96);
	id = mstat_state_key_bits(*mstat_obj_state(p, cls));
	KUNIT_EXPECT_GT(test, id, (unsigned int)MSTAT_LARGE_CLS);	/* the site's key */
	mstat_free(p);
	other->cls[cls].objs[0] = p;		/* the racing second free, counted there */
	other->cls[cls].count = 1;
	KEY_CTR(other, nfree, id) = 1;
	drain_here(NULL);
	migrate_enable();
	before = site_row(test, site_lines[0]);
	mstat_pcpu_drain(other);
	after = site_row(test, site_lines[0]);
	KUNIT_EXPECT_EQ(test, KEY_CTR(other, nmalloc, id), 1ULL);
	KUNIT_EXPECT_EQ(test, after.nmalloc, before.nmalloc);
	mstat_free(hold);
	expect_sites_sane(test);
}

/* ------------------------------------------------------------ reclaim */

/* Free objects in every per-CPU cache, counted slot by slot. */
static u64 cached_for_real(void)
{
	unsigned int i, cls;
	u64 bytes = 0;

	for (i = 0; i < nr_cpu_ids * MSTAT_NR_CTX; i++) {
		const struct mstat_pcpu *c = mstat_cpu_caches[i];

		for (cls = 0; c && cls < MSTAT_NR_CLASSES; cls++)
			bytes += mstat_class_bytes(cls, READ_ONCE(c->cls[cls].count));
	}
	return bytes;
}

/* A burst: @n objects of each size allocated, then all freed. */
static void burst(struct kunit *test, unsigned int n)
{
	static const size_t sizes[] = { 64, 1000, 20000, 100000 };
	void **objs = kunit_kcalloc(test, n * ARRAY_SIZE(sizes), sizeof(void *), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	for (i = 0; i < n * ARRAY_SIZE(sizes); i++) {
		objs[i] = mstat_alloc(sizes[i % ARRAY_SIZE(sizes)], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	for (i = 0; i < n * ARRAY_SIZE(sizes); i++)
		mstat_free(objs[i]);
	kunit_kfree(test, objs);
}

/* Every counter but reclaim's own is what it was: reclaim is a flush like any other. */
static void expect_same_work(struct kunit *test, const struct mstat_totals *a,
			     const struct mstat_totals *b)
{
	KUNIT_EXPECT_EQ(test, memcmp(a->sum.nmalloc, b->sum.nmalloc, sizeof(a->sum.nmalloc)), 0);
	KUNIT_EXPECT_EQ(test, memcmp(a->sum.nfree, b->sum.nfree, sizeof(a->sum.nfree)), 0);
	KUNIT_EXPECT_EQ(test, a->sum.large_nmalloc, b->sum.large_nmalloc);
	KUNIT_EXPECT_EQ(test, a->sum.large_nfree, b->sum.large_nfree);
	KUNIT_EXPECT_EQ(test, a->sum.nrefill, b->sum.nrefill);
	KUNIT_EXPECT_EQ(test, a->sum.nflush, b->sum.nflush);
	KUNIT_EXPECT_EQ(test, a->sum.ndonations, b->sum.ndonations);
}

static void mstat_test_shrinker(struct kunit *test)
{
	struct mstat_totals *before, *after;
	unsigned long count;

	burst(test, 50);
	before = snap(test);
	KUNIT_ASSERT_GT(test, before->cached_bytes, 0ULL);
	KUNIT_EXPECT_EQ(test, before->cached_bytes, cached_for_real());
	count = mstat_reclaim_count(NUMA_NO_NODE);
	KUNIT_EXPECT_GE(test, count, (unsigned long)before->cached_bytes / SZ_32K);
	KUNIT_EXPECT_GT(test, count, 0UL);

	mstat_reclaim_all();
	mstat_limbo_drain();
	after = snap(test);
	/* every cache emptied (by its own CPU), every wholly free span returned */
	KUNIT_EXPECT_EQ(test, cached_for_real(), 0ULL);
	KUNIT_EXPECT_EQ(test, after->cached_bytes, 0ULL);
	KUNIT_EXPECT_EQ(test, mstat_central_empty_objs(NUMA_NO_NODE), 0UL);
	KUNIT_EXPECT_EQ(test, mstat_reclaim_count(NUMA_NO_NODE), 0UL);
	KUNIT_EXPECT_LT(test, after->sys_bytes, before->sys_bytes);
	/* counted as reclaim, and nothing else moved */
	KUNIT_EXPECT_GT(test, after->sum.nreclaim, before->sum.nreclaim);
	KUNIT_EXPECT_EQ(test, after->sum.reclaimed_bytes - before->sum.reclaimed_bytes,
			before->cached_bytes);
	expect_same_work(test, before, after);
}

/*
 * idle_ms written while the module loads or unloads (its parameters are
 * writable then): no shepherd queued over per-CPU work not yet made or
 * already freed; and queued again once the module is up.
 */
static void mstat_test_idle_ms_while_down(struct kunit *test)
{
	mstat_reclaim_test_up(false);
	KUNIT_EXPECT_FALSE(test, mstat_shepherd_queued());
	mstat_set_idle_ms(60000);
	KUNIT_EXPECT_FALSE(test, mstat_shepherd_queued());
	mstat_reclaim_test_up(true);
	mstat_set_idle_ms(60000);
	KUNIT_EXPECT_TRUE(test, mstat_shepherd_queued());
	/* its last run over (the next tests assert exact cache counts), not queued again */
	mstat_set_idle_ms(0);
	KUNIT_EXPECT_FALSE(test, mstat_shepherd_queued());
}

static void mstat_test_idle_reclaim(struct kunit *test)
{
	struct mstat_totals *base, *before, *after;
	unsigned int waited = 0;

	mstat_reclaim_all();
	mstat_limbo_drain();
	base = snap(test);
	burst(test, 50);
	before = snap(test);
	KUNIT_ASSERT_GT(test, before->cached_bytes, 0ULL);
	mstat_set_idle_ms(50);
	while ((cached_for_real() || mstat_central_empty_objs(NUMA_NO_NODE)) && waited < 10000) {
		msleep(50);
		waited += 50;
	}
	mstat_set_idle_ms(0);
	mstat_limbo_drain();
	after = snap(test);
	kunit_info(test, "idle caches and pools emptied after %u ms\n", waited);
	KUNIT_EXPECT_EQ(test, cached_for_real(), 0ULL);
	KUNIT_EXPECT_EQ(test, mstat_central_empty_objs(NUMA_NO_NODE), 0UL);
	/* what the burst took is back, to 256 KiB */
	KUNIT_EXPECT_LE(test, after->sys_bytes - live_bytes(after),
			base->sys_bytes - live_bytes(base) + SZ_256K);
	KUNIT_EXPECT_EQ(test, after->sum.reclaimed_bytes - before->sum.reclaimed_bytes,
			before->cached_bytes);
	expect_same_work(test, before, after);
}

static void mstat_test_gfp(struct kunit *test)
{
	const gfp_t extra = __GFP_COMP | __GFP_ZERO | __GFP_MOVABLE | __GFP_RECLAIMABLE |
			    __GFP_ACCOUNT;
	static const size_t sizes[] = { 64, 16384, MSTAT_MAX_SMALL, 100000 };
	unsigned int i;

	KUNIT_EXPECT_EQ(test,
			(GFP_KERNEL | __GFP_NOFAIL | __GFP_NOWARN | extra) & MSTAT_GFP_SPAN,
			GFP_KERNEL | __GFP_NOFAIL | __GFP_NOWARN);
	KUNIT_EXPECT_EQ(test, (GFP_ATOMIC | extra) & MSTAT_GFP_LARGE,
			GFP_ATOMIC | __GFP_ZERO | __GFP_ACCOUNT);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		u8 *p;

		drain_all_cpus();	/* so that the pools grow with these flags */
		p = mstat_alloc(sizes[i], GFP_KERNEL | __GFP_NOFAIL | extra);
		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_FALSE(test, PageCompound(virt_to_page(p)));
		KUNIT_EXPECT_FALSE(test, memchr_inv(p, 0, sizes[i]));
		mstat_free(p);
	}
}

/*
 * A class whose spans are above PAGE_ALLOC_COSTLY_ORDER falls back on
 * spans of the order kmalloc would use for one object when the page
 * allocator has none at once: the objects there are whole objects in
 * every way.
 */
static void mstat_test_span_fallback(struct kunit *test)
{
	unsigned int cls = mstat_size_to_class(24576), i;
	const struct mstat_class *mc = &mstat_classes[cls];
	struct mstat_totals *before, *after;
	unsigned long pfn;
	void *objs[6];
	u64 base;

	KUNIT_ASSERT_GT(test, mc->span_order, (unsigned int)PAGE_ALLOC_COSTLY_ORDER);
	KUNIT_EXPECT_EQ(test, mc->fb_order, (unsigned int)get_order(24576 + 4));
	KUNIT_EXPECT_EQ(test, mc->fb_nobjs,
			(unsigned int)((PAGE_SIZE << mc->fb_order) / (24576 + 4)));
	expect_reports(test);
	mstat_reclaim_all();
	mstat_limbo_drain();
	base = mstat_span_bytes();
	mstat_fail_preferred = true;
	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		objs[i] = mstat_alloc(24000, (i & 1 ? GFP_ATOMIC : GFP_KERNEL) | __GFP_NOFAIL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		KUNIT_EXPECT_EQ(test, mstat_usable_size(objs[i]), 24576UL);
		KUNIT_EXPECT_EQ(test, mstat_info_order(mstat_page_info(objs[i], &pfn)),
				mc->fb_order);
		fill(objs[i], 24576, i);
	}
	mstat_fail_preferred = false;
	KUNIT_EXPECT_EQ(test, mstat_span_bytes() - base,
			(u64)DIV_ROUND_UP(ARRAY_SIZE(objs), mc->fb_nobjs) *
			(PAGE_SIZE << mc->fb_order));
	before = snap(test);
	mstat_free(objs[0] + 8);
	mstat_free(objs[1] + 24576);
	expect_refused(test, before, 2, 0, 0);
	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		KUNIT_EXPECT_TRUE(test, check(objs[i], 24576, i));
		mstat_free(objs[i]);
	}
	/*
	 * Each went back to its span, never to a per-CPU cache (whose objects
	 * the fast allocation takes as of the class's own order), and each
	 * span went back at once.
	 */
	after = snap(test);
	KUNIT_EXPECT_EQ(test, after->sum.nfree[cls] - before->sum.nfree[cls],
			(u64)ARRAY_SIZE(objs));
	KUNIT_EXPECT_EQ(test, after->ndouble_free, before->ndouble_free);
	KUNIT_EXPECT_EQ(test, mstat_cached_count(cls), 0U);
	KUNIT_EXPECT_EQ(test, mstat_span_bytes(), base);
	/* refused: its span is not mstat's any more */
	mstat_free(objs[ARRAY_SIZE(objs) - 1]);
	expect_refused(test, after, 1, 0, 0);
	mstat_reclaim_all();
	mstat_limbo_drain();
	KUNIT_EXPECT_EQ(test, mstat_span_bytes(), base);
	/* with the page allocator willing again, spans are of the class's order */
	objs[0] = mstat_alloc(24000, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs[0]);
	KUNIT_EXPECT_EQ(test, mstat_info_order(mstat_page_info(objs[0], &pfn)),
			mc->span_order);
	mstat_free(objs[0]);
}

/* The largest object is the page allocator's largest block, on every kernel. */
static void mstat_test_largest_size(struct kunit *test)
{
	void *p;

	KUNIT_EXPECT_EQ(test, MSTAT_MAX_LARGE, PAGE_SIZE * MAX_ORDER_NR_PAGES);
#ifdef MAX_PAGE_ORDER
	KUNIT_EXPECT_EQ(test, MSTAT_MAX_LARGE_ORDER, MAX_PAGE_ORDER);
#endif
	p = mstat_alloc(MSTAT_MAX_LARGE, GFP_KERNEL | __GFP_NOWARN);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, mstat_usable_size(p), MSTAT_MAX_LARGE);
	mstat_free(p);
	KUNIT_EXPECT_NULL(test, mstat_alloc(MSTAT_MAX_LARGE + 1, GFP_KERNEL));
}

static unsigned int nr_regions(void)
{
	unsigned long start, end, *bits;
	unsigned int r = 0;

	while (mstat_region(r, &start, &end, &bits))
		r++;
	return r;
}

/*
 * Memory onlined after load gets a bitmap of its own (the memory notifier
 * calls mstat_add_extent() at MEM_GOING_ONLINE); here a range past the end
 * of memory stands for it, which no pointer can reach.
 */
static void mstat_test_memory_extents(struct kunit *test)
{
	unsigned long start = mstat_owned_pfns + 64 * BITS_PER_LONG, end = start + 32768;
	unsigned long s, e, *bits, *w;
	unsigned int n = nr_regions();

	KUNIT_EXPECT_NULL(test, mstat_owned_word(start));
	KUNIT_ASSERT_EQ(test, mstat_add_extent(start + 5, end - 3), 0);
	KUNIT_ASSERT_EQ(test, nr_regions(), n + 1);
	KUNIT_ASSERT_TRUE(test, mstat_region(n, &s, &e, &bits));
	KUNIT_EXPECT_EQ(test, s, start);	/* widened to whole words */
	KUNIT_EXPECT_EQ(test, e, end);
	w = mstat_owned_word(start + BITS_PER_LONG + 3);
	KUNIT_EXPECT_PTR_EQ(test, w, &bits[1]);
	KUNIT_EXPECT_PTR_EQ(test, mstat_owned_word(end - 1), &bits[BIT_WORD(end - 1 - start)]);
	KUNIT_EXPECT_NULL(test, mstat_owned_word(end));
	KUNIT_EXPECT_NULL(test, mstat_owned_word(start - 1));
	KUNIT_EXPECT_FALSE(test, bits[0] | bits[1]);
	/* onlined again: nothing new; ranges the load-time bitmap covers: nothing */
	KUNIT_EXPECT_EQ(test, mstat_add_extent(start, end), 0);
	KUNIT_EXPECT_EQ(test, mstat_add_extent(0, mstat_owned_pfns), 0);
	KUNIT_EXPECT_EQ(test, nr_regions(), n + 1);
	KUNIT_EXPECT_PTR_EQ(test, mstat_owned_word(BITS_PER_LONG), &mstat_owned[1]);
}

/*
 * read_gap_us is bounded (1 s): every reader, in-kernel callers and rmmod
 * included, may wait that long for each collection ahead of it.  Above the
 * bound the write is refused and the gap left as it was.
 */
static void mstat_test_read_gap_bounded(struct kunit *test)
{
	unsigned int gap = READ_ONCE(mstat_read_gap_us);

	KUNIT_EXPECT_EQ(test, mstat_read_gap_set("1000001", NULL), -ERANGE);
	KUNIT_EXPECT_EQ(test, mstat_read_gap_set("4294967295", NULL), -ERANGE);
	KUNIT_EXPECT_EQ(test, READ_ONCE(mstat_read_gap_us), gap);
	KUNIT_EXPECT_EQ(test, mstat_read_gap_set("1000000", NULL), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(mstat_read_gap_us), 1000000U);
	KUNIT_EXPECT_EQ(test, mstat_read_gap_set("0", NULL), 0);
	WRITE_ONCE(mstat_read_gap_us, gap);
}

/*
 * The array, copy and resize calls (issue 29): kmalloc_array()'s overflow
 * check, kcalloc()'s zeroing, krealloc()'s contract (NULL allocates, in
 * place while it fits, __GFP_ZERO zeroes what grows, 0 frees, the old
 * object kept on failure), kmemdup(), kstrdup(), kstrndup(); each counted
 * to the line that called it.
 */
static void mstat_test_array_copy_calls(struct kunit *test)
{
	struct mstat_totals *t0, *t1;
	unsigned int line[6], i;
	size_t usable;
	char *p, *q;

	t0 = snap(test);
	KUNIT_EXPECT_NULL(test, mstat_alloc_array(SIZE_MAX / 2, 4, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, mstat_calloc(SIZE_MAX / 8, 16, GFP_KERNEL));
	t1 = snap(test);
	KUNIT_EXPECT_EQ(test, mstat_nmalloc(&t1->sum), mstat_nmalloc(&t0->sum));

	line[0] = __LINE__ + 1;
	p = mstat_calloc(10, 100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	usable = mstat_usable_size(p);
	KUNIT_EXPECT_GE(test, usable, (size_t)1000);
	KUNIT_EXPECT_NULL(test, memchr_inv(p, 0, usable));
	mstat_free(p);

	line[1] = __LINE__ + 1;
	p = mstat_realloc(NULL, 100, GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 0xab, 100);
	/* shrinking stays in place, and zeroes the tail for a later growth */
	KUNIT_EXPECT_PTR_EQ(test, (char *)mstat_realloc(p, 60, GFP_KERNEL | __GFP_ZERO), p);
	KUNIT_EXPECT_NULL(test, memchr_inv(p + 60, 0, mstat_usable_size(p) - 60));
	KUNIT_EXPECT_PTR_EQ(test, (char *)mstat_realloc(p, mstat_usable_size(p), GFP_KERNEL), p);
	t0 = snap(test);
	line[2] = __LINE__ + 1;
	q = mstat_realloc(p, 5000, GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_PTR_NE(test, q, p);
	KUNIT_EXPECT_NULL(test, memchr_inv(q, 0xab, 60));
	KUNIT_EXPECT_NULL(test, memchr_inv(q + 60, 0, mstat_usable_size(q) - 60));
	t1 = snap(test);
	/* one allocation, one free: the old object went back */
	KUNIT_EXPECT_EQ(test, mstat_nmalloc(&t1->sum) - mstat_nmalloc(&t0->sum), 1ULL);
	KUNIT_EXPECT_EQ(test, mstat_nfree(&t1->sum) - mstat_nfree(&t0->sum), 1ULL);
	/* too large: NULL, and the object is as it was */
	KUNIT_EXPECT_NULL(test, mstat_realloc(q, SIZE_MAX, GFP_KERNEL | __GFP_NOWARN));
	KUNIT_EXPECT_NULL(test, memchr_inv(q, 0xab, 60));
	KUNIT_EXPECT_EQ(test, mstat_usable_size(q),
			(size_t)mstat_classes[mstat_size_to_class(5000)].size);
	t0 = snap(test);
	KUNIT_EXPECT_PTR_EQ(test, mstat_realloc(q, 0, GFP_KERNEL), ZERO_SIZE_PTR);
	t1 = snap(test);
	KUNIT_EXPECT_EQ(test, mstat_nfree(&t1->sum) - mstat_nfree(&t0->sum), 1ULL);

	line[3] = __LINE__ + 1;
	p = mstat_memdup("\x01\x02\x03\x00\x05", 5, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, memcmp(p, "\x01\x02\x03\x00\x05", 5), 0);
	line[4] = __LINE__ + 1;
	q = mstat_strdup("mstat", GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_STREQ(test, q, "mstat");
	mstat_free(q);
	line[5] = __LINE__ + 1;
	q = mstat_strndup("allocator", 5, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_STREQ(test, q, "alloc");
	KUNIT_EXPECT_NULL(test, mstat_strdup(NULL, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, mstat_strndup(NULL, 3, GFP_KERNEL));

	/* each object counted to its own line; p and q still live */
	for (i = 0; i < ARRAY_SIZE(line); i++) {
		struct mstat_site_stats r = site_row(test, line[i]);

		KUNIT_EXPECT_EQ_MSG(test, r.nmalloc, 1ULL, "line %u", line[i]);
		KUNIT_EXPECT_STREQ(test, r.function ? r.function : "", __func__);
	}
	KUNIT_EXPECT_EQ(test, site_row(test, line[3]).live_objects, 1ULL);
	KUNIT_EXPECT_EQ(test, site_row(test, line[5]).live_objects, 1ULL);
	mstat_free(p);
	mstat_free(q);
}

/* --- NUMA: on a kernel booted with two nodes (scripts/kunit.sh --arch x86_64) --- */

struct numa_batch {
	void **objs;
	unsigned int n;
	size_t size;
	int node;		/* for mstat_alloc_node(), or NUMA_NO_NODE */
	gfp_t gfp;
};

static long numa_alloc_fn(void *arg)
{
	struct numa_batch *b = arg;
	unsigned int i;

	for (i = 0; i < b->n; i++) {
		b->objs[i] = b->node == NUMA_NO_NODE ? mstat_alloc(b->size, GFP_KERNEL) :
			     mstat_alloc_node(b->size, b->gfp, b->node);
		if (!b->objs[i])
			return -ENOMEM;
	}
	return 0;
}

static long numa_free_fn(void *arg)
{
	struct numa_batch *b = arg;
	unsigned int i;

	for (i = 0; i < b->n; i++)
		mstat_free(b->objs[i]);
	return 0;
}

/* How many of @n objects lie on node @nid. */
static unsigned int numa_on_node(void **objs, unsigned int n, int nid)
{
	unsigned int i, on = 0;

	for (i = 0; i < n; i++)
		on += page_to_nid(virt_to_page(kasan_reset_tag(objs[i]))) == nid;
	return on;
}

/* ------------------------------------------------------------ typed caches */

struct typed_obj {
	u32 magic;
	u32 val;
	u8 rest[32];
};

#define TYPED_MAGIC	0x5eedf00dU
static atomic_t typed_ctor_calls;

static void typed_ctor(void *p)
{
	struct typed_obj *o = p;

	atomic_inc(&typed_ctor_calls);
	o->magic = TYPED_MAGIC;
	o->val = 0;
}

static void count_span_pages(struct page *span, void *arg)
{
	*(unsigned long *)arg += 1UL << mstat_info_order(page_private(span));
}

/* A class's pages, span by span: not the counters mstat_class_pages() sums. */
static unsigned long class_pages_walked(unsigned int cls)
{
	unsigned long pages = 0;

	mstat_walk_spans(cls, count_span_pages, &pages);
	return pages;
}

/* The row of typed cache @name in /proc/mstat_caches; false if it has none. */
struct typed_row {
	unsigned int cls, size, align;
	char flags[32];
	u64 nmalloc, nfree, live, bytes, cached;
	unsigned long pages;
};

static bool typed_row(struct kunit *test, const char *name, struct typed_row *r)
{
	struct seq_file m = { .size = 16384 };
	char *line, want[64];
	int n;

	m.buf = kunit_kzalloc(test, m.size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m.buf);
	KUNIT_ASSERT_EQ(test, mstat_typed_show(&m, NULL), 0);
	KUNIT_ASSERT_FALSE(test, seq_has_overflowed(&m));
	KUNIT_EXPECT_EQ(test, strncmp(m.buf, "mstat_caches version 1\n", 23), 0);
	snprintf(want, sizeof(want), "\n%s class", name);
	line = strstr(m.buf, want);
	if (!line)
		return false;
	n = sscanf(line + strlen(name) + 2, "class%u %u %u %31s %llu %llu %llu %llu %llu %lu",
		   &r->cls, &r->size, &r->align, r->flags, &r->nmalloc, &r->nfree, &r->live,
		   &r->bytes, &r->cached, &r->pages);
	KUNIT_EXPECT_EQ(test, n, 10);
	return true;
}

/*
 * The constructor runs once per object, when its span is carved, not at
 * each allocation; a freed object comes back as its client left it (mstat
 * writes no object); the cache's pages all go back at its destruction.
 */
static void mstat_test_typed_ctor(struct kunit *test)
{
	struct typed_obj *objs[64], *p;
	const struct mstat_class *mc;
	unsigned int i, calls, cls;
	struct mstat_cache *s;
	struct typed_row r;

	atomic_set(&typed_ctor_calls, 0);
	s = mstat_cache_create("kunit_ctor", sizeof(struct typed_obj), 0, 0, typed_ctor);
	KUNIT_ASSERT_NOT_NULL(test, s);
	mc = &mstat_classes[s->cls];
	KUNIT_EXPECT_EQ(test, atomic_read(&typed_ctor_calls), 0);
	migrate_disable();	/* the frees and allocations below meet in one cache */
	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		objs[i] = mstat_cache_alloc(s, GFP_KERNEL);
		if (!objs[i]) {
			migrate_enable();
			KUNIT_FAIL(test, "allocation %u failed", i);
			return;
		}
		KUNIT_EXPECT_EQ(test, objs[i]->magic, TYPED_MAGIC);
		KUNIT_EXPECT_EQ(test, mstat_usable_size(objs[i]), (size_t)mc->size);
	}
	calls = atomic_read(&typed_ctor_calls);
	/* every object of every span carved, once: spans are all of the class's order */
	KUNIT_EXPECT_EQ(test, (unsigned long)calls,
			(mstat_class_pages(s->cls) >> mc->span_order) * mc->nobjs);
	KUNIT_EXPECT_EQ(test, calls % mc->nobjs, 0U);
	KUNIT_EXPECT_GE(test, calls, (unsigned int)ARRAY_SIZE(objs));
	/* the client's value survives the free: the next allocation here is the same object */
	objs[5]->val = 1234;
	p = objs[5];
	mstat_cache_free(s, p);
	KUNIT_EXPECT_PTR_EQ(test, (struct typed_obj *)mstat_cache_alloc(s, GFP_KERNEL), p);
	KUNIT_EXPECT_EQ(test, p->val, 1234U);
	KUNIT_EXPECT_EQ(test, p->magic, TYPED_MAGIC);
	for (i = 0; i < ARRAY_SIZE(objs); i++)
		mstat_cache_free(s, objs[i]);
	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		objs[i] = mstat_cache_alloc(s, GFP_KERNEL);
		if (!objs[i]) {
			migrate_enable();
			KUNIT_FAIL(test, "allocation %u failed", i);
			return;
		}
		KUNIT_EXPECT_EQ(test, objs[i]->magic, TYPED_MAGIC);
	}
	migrate_enable();
	/* no object constructed twice */
	KUNIT_EXPECT_EQ(test, atomic_read(&typed_ctor_calls), calls);
	KUNIT_ASSERT_TRUE(test, typed_row(test, "kunit_ctor", &r));
	KUNIT_EXPECT_STREQ(test, r.flags, "ctor");
	KUNIT_EXPECT_EQ(test, r.live, (u64)ARRAY_SIZE(objs));
	KUNIT_EXPECT_EQ(test, r.pages, class_pages_walked(s->cls));
	for (i = 0; i < ARRAY_SIZE(objs); i++)
		mstat_cache_free(s, objs[i]);
	cls = s->cls;
	mstat_cache_destroy(s);
	KUNIT_EXPECT_FALSE(test, typed_row(test, "kunit_ctor", &r));
	KUNIT_EXPECT_EQ(test, class_pages_walked(cls), 0UL);
	KUNIT_EXPECT_EQ(test, mstat_class_pages(cls), 0UL);
}

/* Objects start at the alignment asked for, and a cache line with SLAB_HWCACHE_ALIGN. */
static void mstat_test_typed_align(struct kunit *test)
{
	static const struct {
		unsigned int size, align;
		slab_flags_t flags;
	} c[] = {
		{ 24, 64, 0 }, { 100, 0, SLAB_HWCACHE_ALIGN }, { 8, 0, SLAB_HWCACHE_ALIGN },
		{ 300, 256, 0 }, { 5000, 4096, 0 }, { 13, 0, 0 },
	};
	unsigned int i, j, want;
	struct mstat_cache *s;
	void *objs[40];

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		s = mstat_cache_create("kunit_align", c[i].size, c[i].align, c[i].flags, NULL);
		KUNIT_ASSERT_NOT_NULL(test, s);
		want = max(c[i].align, 8U);
		if (c[i].flags & SLAB_HWCACHE_ALIGN) {
			want = cache_line_size();
			while (c[i].size <= want / 2)
				want /= 2;
		}
		for (j = 0; j < ARRAY_SIZE(objs); j++) {
			objs[j] = mstat_cache_zalloc(s, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, objs[j]);
			KUNIT_EXPECT_EQ_MSG(test, (unsigned long)objs[j] % want, 0UL,
					    "size %u align %u", c[i].size, want);
			KUNIT_EXPECT_NULL(test, memchr_inv(objs[j], 0, c[i].size));
			fill(objs[j], c[i].size, j);
		}
		for (j = 0; j < ARRAY_SIZE(objs); j++) {
			KUNIT_EXPECT_TRUE(test, check(objs[j], c[i].size, j));
			mstat_cache_free(s, objs[j]);
		}
		/* the filled objects again, from the cache by the fast path: zeroed too */
		for (j = 0; j < ARRAY_SIZE(objs); j++) {
			objs[j] = mstat_cache_zalloc(s, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, objs[j]);
			KUNIT_EXPECT_NULL(test, memchr_inv(objs[j], 0, c[i].size));
		}
		for (j = 0; j < ARRAY_SIZE(objs); j++)
			mstat_cache_free(s, objs[j]);
		mstat_cache_destroy(s);
	}
}

/*
 * A cache's own statistics, exact and from one read; its sites counted as
 * every other; a free into the wrong cache refused; the slot a destroyed
 * cache gives back starts its next cache's counts from zero.
 */
static void mstat_test_typed_stats(struct kunit *test)
{
	struct mstat_cache *a, *b;
	struct mstat_totals *t0, *t1;
	struct mstat_site_stats row;
	unsigned int line, cls, i;
	struct typed_row r;
	void *objs[10], *g;

	a = mstat_cache_create("kunit_stats_a", 200, 0, 0, NULL);
	b = mstat_cache_create("kunit_stats_b", 200, 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_NE(test, a->cls, b->cls);
	t0 = snap(test);
	line = __LINE__ + 2;
	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		objs[i] = mstat_cache_alloc(a, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	for (i = 0; i < 4; i++)
		mstat_cache_free(a, objs[i]);
	t1 = snap(test);
	KUNIT_EXPECT_EQ(test, t1->sum.nmalloc[a->cls] - t0->sum.nmalloc[a->cls], 10ULL);
	KUNIT_EXPECT_EQ(test, t1->sum.nfree[a->cls] - t0->sum.nfree[a->cls], 4ULL);
	KUNIT_EXPECT_EQ(test, mstat_nmalloc(&t1->sum) - mstat_nmalloc(&t0->sum), 10ULL);
	KUNIT_ASSERT_TRUE(test, typed_row(test, "kunit_stats_a", &r));
	KUNIT_EXPECT_EQ(test, r.cls, a->cls);
	KUNIT_EXPECT_EQ(test, r.size, 200U);
	KUNIT_EXPECT_STREQ(test, r.flags, "-");
	KUNIT_EXPECT_EQ(test, r.nmalloc, 10ULL);
	KUNIT_EXPECT_EQ(test, r.nfree, 4ULL);
	KUNIT_EXPECT_EQ(test, r.live, 6ULL);
	KUNIT_EXPECT_EQ(test, r.bytes, 1200ULL);
	KUNIT_EXPECT_EQ(test, r.pages, class_pages_walked(a->cls));
	KUNIT_EXPECT_GT(test, r.pages, 0UL);
	row = site_row(test, line);
	KUNIT_EXPECT_EQ(test, row.nmalloc, 10ULL);
	KUNIT_EXPECT_EQ(test, row.nfree, 4ULL);
	KUNIT_EXPECT_EQ(test, row.live_bytes, 1200ULL);
	KUNIT_ASSERT_TRUE(test, typed_row(test, "kunit_stats_b", &r));
	KUNIT_EXPECT_EQ(test, r.nmalloc, 0ULL);

	/* into the wrong cache, or a general object into a typed one: refused, nothing moves */
	expect_reports(test);
	g = mstat_alloc(200, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, g);
	t0 = snap(test);
	mstat_cache_free(b, objs[4]);
	mstat_cache_free(a, g);
	mstat_cache_free(a, objs[0]);	/* already free */
	expect_refused(test, t0, 2, 1, 0);
	mstat_free(g);
	/* mstat_free() takes a typed object, as kfree() takes a kmem_cache one */
	mstat_free(objs[4]);
	for (i = 5; i < ARRAY_SIZE(objs); i++)
		mstat_cache_free(a, objs[i]);
	KUNIT_ASSERT_TRUE(test, typed_row(test, "kunit_stats_a", &r));
	KUNIT_EXPECT_EQ(test, r.nmalloc, 10ULL);
	KUNIT_EXPECT_EQ(test, r.nfree, 10ULL);
	KUNIT_EXPECT_EQ(test, r.live, 0ULL);

	/* the slot goes to the next cache of its size, whose counts start at 0 */
	cls = a->cls;
	mstat_cache_destroy(a);
	KUNIT_EXPECT_EQ(test, mstat_class_pages(cls), 0UL);
	a = mstat_cache_create("kunit_stats_c", 200, 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_EXPECT_EQ(test, a->cls, cls);
	KUNIT_ASSERT_TRUE(test, typed_row(test, "kunit_stats_c", &r));
	KUNIT_EXPECT_EQ(test, r.nmalloc, 0ULL);
	KUNIT_EXPECT_EQ(test, r.nfree, 0ULL);
	g = mstat_cache_alloc_node(a, GFP_KERNEL, first_memory_node);
	KUNIT_ASSERT_NOT_NULL(test, g);
	KUNIT_EXPECT_EQ(test, page_to_nid(virt_to_page(g)), first_memory_node);
	KUNIT_ASSERT_TRUE(test, typed_row(test, "kunit_stats_c", &r));
	KUNIT_EXPECT_EQ(test, r.nmalloc, 1ULL);
	mstat_cache_free(a, g);
	mstat_cache_destroy(a);
	mstat_cache_destroy(b);
	KUNIT_EXPECT_FALSE(test, typed_row(test, "kunit_stats_c", &r));
}

/*
 * A cache destroyed with live objects leaks them and keeps its class and
 * pages: they can still be freed, and no other cache gets the slot.
 */
/*
 * More caches of new sizes, one after another, than there are slots: once
 * no new slot is left, a clean one of another size is retyped, and a
 * read's cumulative bytes still move by each cache's objects at its own
 * size (the past objects of a retyped class keep their old size's bytes).
 */
static void mstat_test_typed_retype(struct kunit *test)
{
	const unsigned int ncaches = 3 * MSTAT_MAX_TYPED;
	struct mstat_totals *t0, *t1;
	unsigned int i, j;
	u64 want = 0;

	t0 = snap(test);
	for (i = 0; i < ncaches; i++) {
		unsigned int size = 24 + 40 * i;
		struct mstat_cache *s;
		void *p[3];

		s = mstat_cache_create("kunit_retype", size, 0, 0, NULL);
		KUNIT_ASSERT_NOT_NULL_MSG(test, s, "cache %u, size %u", i, size);
		for (j = 0; j < ARRAY_SIZE(p); j++) {
			p[j] = mstat_cache_alloc(s, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, p[j]);
			KUNIT_EXPECT_EQ(test, mstat_usable_size(p[j]), (size_t)size);
			memset(p[j], i, size);
		}
		for (j = 0; j < ARRAY_SIZE(p); j++)
			mstat_cache_free(s, p[j]);
		want += ARRAY_SIZE(p) * size;
		mstat_cache_destroy(s);
	}
	t1 = snap(test);
	KUNIT_EXPECT_EQ(test, mstat_total_alloc_bytes(t1) - mstat_total_alloc_bytes(t0), want);
	KUNIT_EXPECT_EQ(test, mstat_total_free_bytes(t1) - mstat_total_free_bytes(t0), want);
	KUNIT_EXPECT_EQ(test, live_bytes(t1), live_bytes(t0));
}

static void mstat_test_typed_destroy_leaks(struct kunit *test)
{
	struct mstat_cache *s, *t;
	struct typed_row r;
	void *objs[3];
	unsigned int i, cls;

	s = mstat_cache_create("kunit_leaky", 136, 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	cls = s->cls;
	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		objs[i] = mstat_cache_alloc(s, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		fill(objs[i], 136, i);
	}
	mstat_cache_destroy(s);
	KUNIT_ASSERT_TRUE(test, typed_row(test, "kunit_leaky", &r));
	KUNIT_EXPECT_STREQ(test, r.flags, "leaked");
	KUNIT_EXPECT_EQ(test, r.live, 3ULL);
	KUNIT_EXPECT_GT(test, r.pages, 0UL);
	KUNIT_EXPECT_GT(test, mstat_class_pages(cls), 0UL);
	t = mstat_cache_create("kunit_leaky2", 136, 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_EXPECT_NE(test, t->cls, cls);
	mstat_cache_destroy(t);
	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		KUNIT_EXPECT_TRUE(test, check(objs[i], 136, i));
		mstat_free(objs[i]);
	}
	KUNIT_ASSERT_TRUE(test, typed_row(test, "kunit_leaky", &r));
	KUNIT_EXPECT_EQ(test, r.live, 0ULL);
	KUNIT_EXPECT_EQ(test, r.nfree, 3ULL);
}

/*
 * SLAB_TYPESAFE_BY_RCU: inside a read-side section a freed object's memory
 * stays an object of its cache, readable and as it was left, even once
 * its span is released; the span goes back to the page allocator only
 * after a grace period.
 */
static void mstat_test_typed_rcu(struct kunit *test)
{
	unsigned int i, n, cls, same = 0;
	struct typed_obj **objs;
	struct mstat_cache *s;
	unsigned long pages;
	bool limbo;

	s = mstat_cache_create("kunit_rcu", sizeof(struct typed_obj), 0,
			       SLAB_TYPESAFE_BY_RCU | SLAB_HWCACHE_ALIGN, NULL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	cls = s->cls;
	n = 2 * mstat_classes[cls].nobjs;
	objs = kunit_kcalloc(test, n, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	/* one CPU: no other CPU's cache keeps a span of the class partly free */
	migrate_disable();
	for (i = 0; i < n; i++) {
		objs[i] = mstat_cache_alloc(s, GFP_KERNEL);
		if (!objs[i])
			break;
		objs[i]->val = i;
	}
	if (i < n) {
		migrate_enable();
		KUNIT_FAIL(test, "allocation %u failed", i);
		return;
	}
	rcu_read_lock();
	for (i = 0; i < n; i++)
		mstat_cache_free(s, objs[i]);
	mstat_drain_this_cpu();
	mstat_central_shrink(cls, NUMA_NO_NODE, 0);
	pages = mstat_class_pages(cls);
	limbo = mstat_in_limbo(cls, NULL);
	/* a reader that found the object before its free still reads it (KASAN too) */
	for (i = 0; i < n; i++)
		same += READ_ONCE(objs[i]->val) == i;
	rcu_read_unlock();
	migrate_enable();
	KUNIT_EXPECT_EQ(test, pages, 0UL);
	KUNIT_EXPECT_TRUE(test, limbo);
	KUNIT_EXPECT_EQ(test, same, n);
	mstat_cache_destroy(s);
	KUNIT_EXPECT_FALSE(test, mstat_in_limbo(cls, NULL));
}

/* Bulk calls: all objects distinct and counted, all freed. */
static void mstat_test_bulk(struct kunit *test)
{
	struct mstat_totals *t0, *t1;
	struct mstat_cache *s;
	void *p[20];
	unsigned int i;

	t0 = snap(test);
	KUNIT_ASSERT_EQ(test, mstat_alloc_bulk(100, GFP_KERNEL, ARRAY_SIZE(p), p),
			(int)ARRAY_SIZE(p));
	for (i = 0; i < ARRAY_SIZE(p); i++)
		fill(p[i], 100, i);
	for (i = 0; i < ARRAY_SIZE(p); i++)
		KUNIT_EXPECT_TRUE(test, check(p[i], 100, i));
	mstat_free_bulk(ARRAY_SIZE(p), p);
	/* a zone mstat does not serve: nothing allocated, nothing counted, large too */
	KUNIT_EXPECT_EQ(test, mstat_alloc_bulk(100, GFP_KERNEL | __GFP_DMA, ARRAY_SIZE(p), p), 0);
	KUNIT_EXPECT_NULL(test, mstat_alloc(40000, GFP_KERNEL | __GFP_DMA));
	KUNIT_EXPECT_NULL(test, mstat_alloc(40000, GFP_KERNEL | __GFP_DMA32));
	KUNIT_EXPECT_NULL(test, mstat_cache_create("kunit_dma", 64, 0, SLAB_CACHE_DMA, NULL));
	/* the sixth fails: the five made are freed, all or nothing */
	mstat_fail_allocs_after = 5;
	KUNIT_EXPECT_EQ(test, mstat_alloc_bulk(100, GFP_KERNEL | __GFP_ZERO, ARRAY_SIZE(p), p), 0);
	mstat_fail_allocs_after = -1;
	s = mstat_cache_create("kunit_bulk", 72, 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_ASSERT_EQ(test, mstat_cache_alloc_bulk(s, GFP_KERNEL, ARRAY_SIZE(p), p),
			(int)ARRAY_SIZE(p));
	for (i = 0; i < ARRAY_SIZE(p); i++)
		KUNIT_EXPECT_EQ(test, mstat_usable_size(p[i]), (size_t)72);
	mstat_cache_free_bulk(s, ARRAY_SIZE(p), p);
	t1 = snap(test);
	KUNIT_EXPECT_EQ(test, mstat_nmalloc(&t1->sum) - mstat_nmalloc(&t0->sum), 45ULL);
	KUNIT_EXPECT_EQ(test, mstat_nfree(&t1->sum) - mstat_nfree(&t0->sum), 45ULL);
	mstat_cache_destroy(s);
}

/*
 * A bulk call of more objects than one lock hold takes (MSTAT_BULK_MAX):
 * the next hold goes on where the last stopped, general and typed, every
 * object distinct and counted once.
 */
static void mstat_test_bulk_long(struct kunit *test)
{
	const unsigned int n = 2 * MSTAT_BULK_MAX + 88;
	struct mstat_totals *t0, *t1;
	struct mstat_cache *s;
	void **p;
	unsigned int i;

	p = kunit_kcalloc(test, n, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	s = mstat_cache_create("kunit_bulk_long", 40, 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	t0 = snap(test);
	KUNIT_ASSERT_EQ(test, mstat_alloc_bulk(24, GFP_KERNEL, n, p), (int)n);
	for (i = 0; i < n; i++)
		fill(p[i], 24, i);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_TRUE(test, check(p[i], 24, i));
	mstat_free_bulk(n, p);
	KUNIT_ASSERT_EQ(test, mstat_cache_alloc_bulk(s, GFP_KERNEL, n, p), (int)n);
	for (i = 0; i < n; i++)
		fill(p[i], 40, i);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_TRUE(test, check(p[i], 40, i));
	mstat_cache_free_bulk(s, n, p);
	t1 = snap(test);
	KUNIT_EXPECT_EQ(test, mstat_nmalloc(&t1->sum) - mstat_nmalloc(&t0->sum), 2ULL * n);
	KUNIT_EXPECT_EQ(test, mstat_nfree(&t1->sum) - mstat_nfree(&t0->sum), 2ULL * n);
	mstat_cache_destroy(s);
}

/*
 * All or nothing when the fast path gave some: a new cache's first
 * allocation grows its pool by one span (the general path), the bulk
 * path then takes that span's objects, and the next growth fails.
 */
static void mstat_test_bulk_partial(struct kunit *test)
{
	const unsigned int n = 300;
	struct mstat_totals *t0, *t1;
	struct mstat_cache *s;
	void **p;

	p = kunit_kcalloc(test, n, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	s = mstat_cache_create("kunit_bulk_partial", 72, 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_ASSERT_LT(test, mstat_classes[s->cls].nobjs, n / 2);
	t0 = snap(test);
	mstat_fail_allocs_after = 1;
	KUNIT_EXPECT_EQ(test, mstat_cache_alloc_bulk(s, GFP_KERNEL, n, p), 0);
	mstat_fail_allocs_after = -1;
	t1 = snap(test);
	/* the span's objects were handed out, then freed again */
	KUNIT_EXPECT_GE(test, mstat_nmalloc(&t1->sum) - mstat_nmalloc(&t0->sum),
			(u64)mstat_classes[s->cls].nobjs);
	KUNIT_EXPECT_EQ(test, mstat_nmalloc(&t1->sum) - mstat_nmalloc(&t0->sum),
			mstat_nfree(&t1->sum) - mstat_nfree(&t0->sum));
	mstat_cache_destroy(s);
}

static void bulk_race_free(void *obj)
{
	mstat_free(obj);
}

static bool bulk_race_done;

/* A stale free of the batch's first object, from another CPU, inside the bulk call. */
static void bulk_race_hook(void **p, unsigned int n)
{
	unsigned int cpu = cpumask_any_but(cpu_online_mask, smp_processor_id());

	/* once: the call may make its objects live in more than one run */
	if (n && cpu < nr_cpu_ids && !xchg(&bulk_race_done, true))
		smp_call_function_single(cpu, bulk_race_free, p[0], 1);
}

/*
 * A bulk allocation counts its objects before any of them is live: a stale
 * free on another CPU (a client's mistake, no hand-over orders it) inside
 * the call finds the object free and is refused, so no read could see its
 * free counted without its allocation.  (Counted after going live, the
 * free was taken, and a read between the two saw one free too many.)
 */
static void mstat_test_bulk_counted_first(struct kunit *test)
{
	struct mstat_totals *t0, *t1;
	void *p[8];
	u64 dbl0;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs a second online CPU");
	/* the stale free comes in an IPI: mstat is not for hard interrupts on RT */
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		kunit_skip(test, "PREEMPT_RT: no mstat_free() in hard interrupt context");
	expect_reports(test);
	t0 = snap(test);
	dbl0 = mstat_nmistakes(MSTAT_DOUBLE_FREE);
	cpus_read_lock();
	WRITE_ONCE(bulk_race_done, false);
	WRITE_ONCE(mstat_bulk_hook, bulk_race_hook);
	KUNIT_EXPECT_EQ(test, mstat_alloc_bulk(64, GFP_KERNEL, ARRAY_SIZE(p), p),
			(int)ARRAY_SIZE(p));
	WRITE_ONCE(mstat_bulk_hook, NULL);
	cpus_read_unlock();
	t1 = snap(test);
	KUNIT_EXPECT_EQ(test, mstat_nmistakes(MSTAT_DOUBLE_FREE) - dbl0, 1ULL);
	KUNIT_EXPECT_EQ(test, mstat_nmalloc(&t1->sum) - mstat_nmalloc(&t0->sum),
			(u64)ARRAY_SIZE(p));
	KUNIT_EXPECT_EQ(test, mstat_nfree(&t1->sum), mstat_nfree(&t0->sum));
	/* refused, p[0] is still the caller's */
	mstat_free_bulk(ARRAY_SIZE(p), p);
	t1 = snap(test);
	KUNIT_EXPECT_EQ(test, mstat_nfree(&t1->sum) - mstat_nfree(&t0->sum), (u64)ARRAY_SIZE(p));
}

/* An object two CPUs freed at once: the other copy, flushed as a refill of its class starts. */
static void *bulk_copy_obj;
static unsigned int bulk_copy_cls;

static void bulk_copy_hook(unsigned int cls)
{
	struct mstat_pcpu *c;
	void *obj;
	u32 state;

	if (cls != bulk_copy_cls)
		return;
	obj = xchg(&bulk_copy_obj, NULL);
	if (!obj)
		return;
	/* the bulk call holds this CPU's lock: the copy's CPU is played on this one */
	c = this_cpu_ptr(mstat_caches[MSTAT_TASK]);
	state = READ_ONCE(*mstat_obj_state(obj, cls));
	mstat_key_count_free(c, mstat_state_key(state, cls), cls);
	if (mstat_central_put(cls, &obj, 1, mstat_classes[cls].span_order))
		mstat_site_withdrawn(c, cls, &obj, 1);
}

/*
 * A bulk allocation whose refill, inside the call, meets the other copy of
 * an object it took from its cache just before (two CPUs freed it at once,
 * and the other flushed its copy meanwhile): the object is live by then,
 * so the copy is withdrawn, not listed, and the refill cannot take it back
 * and hand it out a second time in the same batch.  (Made live only once
 * the whole call was counted, the object was still cached at the refill,
 * its copy listed and taken again: the batch held it twice.)
 */
static void mstat_test_bulk_refill_meets_copy(struct kunit *test)
{
	struct mstat_class_cache *cc;
	struct mstat_totals *t0, *t1;
	struct mstat_cache *s;
	void **p, *first;
	unsigned int n;

	p = kunit_kcalloc(test, 2 * MSTAT_CACHE_SLOTS, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	s = mstat_cache_create("kunit_bulk_copy", 64, 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	expect_reports(test);
	/* one CPU's caches throughout (may sleep); no assertion of its own until the end */
	migrate_disable();
	/* a span grown for it, a batch taken into the cache, one handed out */
	first = mstat_cache_alloc(s, GFP_KERNEL);
	cc = &this_cpu_ptr(mstat_caches[MSTAT_TASK])->cls[s->cls];
	n = cc->count + mstat_classes[s->cls].batch;
	t0 = snap(test);
	/* the call's first object, then its refill of one batch, all handed out */
	bulk_copy_cls = s->cls;
	WRITE_ONCE(bulk_copy_obj, cc->count ? cc->objs[cc->count - 1] : NULL);
	WRITE_ONCE(mstat_take_hook, bulk_copy_hook);
	KUNIT_EXPECT_EQ(test, mstat_cache_alloc_bulk(s, GFP_KERNEL, n, p), (int)n);
	WRITE_ONCE(mstat_take_hook, NULL);
	t1 = snap(test);
	KUNIT_EXPECT_NOT_NULL(test, first);
	KUNIT_EXPECT_NULL(test, READ_ONCE(bulk_copy_obj));
	expect_no_repeats(test, p, n);
	KUNIT_EXPECT_EQ(test, t1->nwrite_after_free - t0->nwrite_after_free, 1ULL);
	mstat_cache_free_bulk(s, n, p);
	mstat_cache_free(s, first);
	migrate_enable();
	t1 = snap(test);
	/* the batch and the copy's withdrawal; the batch, first, the copy's second free */
	KUNIT_EXPECT_EQ(test, mstat_nmalloc(&t1->sum) - mstat_nmalloc(&t0->sum), (u64)n + 1);
	KUNIT_EXPECT_EQ(test, mstat_nfree(&t1->sum) - mstat_nfree(&t0->sum), (u64)n + 2);
	KUNIT_EXPECT_EQ(test, t1->ndouble_free - t0->ndouble_free, 0ULL);
	mstat_cache_destroy(s);
}

/* An object the client frees twice at once, the other free on another CPU as a flush starts. */
static void *bulk_flush_obj;
static unsigned int bulk_flush_cls, bulk_flush_cpu;

static void bulk_flush_hook(unsigned int cls)
{
	unsigned int cpu;
	void *obj;

	/* the test's flush only: its class, its CPU, task context */
	if (cls != bulk_flush_cls || smp_processor_id() != bulk_flush_cpu || !in_task() ||
	    irqs_disabled())
		return;
	obj = xchg(&bulk_flush_obj, NULL);
	cpu = cpumask_any_but(cpu_online_mask, bulk_flush_cpu);
	if (obj && cpu < nr_cpu_ids)
		smp_call_function_single(cpu, bulk_race_free, obj, 1);
}

/*
 * A bulk free meets a full cache at an object its client frees a second
 * time, on another CPU, just then (the other free lands while the cache
 * is flushed): the bulk free reads the object's state after the flush and
 * finds it cached there, a double free, refused; the object is in one
 * cache, and the class balanced.  (Read before the flush, the state said
 * live, and the bulk free cached the object over the other CPU's cached
 * state: two copies, one free too many until one was withdrawn; with a
 * hand-out on that CPU meanwhile, its new owner's state overwritten.)
 */
static void mstat_test_bulk_free_flush_race(struct kunit *test)
{
	struct mstat_totals *t0, *t1;
	struct mstat_cache *s;
	unsigned int cap, m;
	void **p;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs a second online CPU");
	/* the other free comes in an IPI: mstat is not for hard interrupts on RT */
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		kunit_skip(test, "PREEMPT_RT: no mstat_free() in hard interrupt context");
	s = mstat_cache_create("kunit_bulk_flush", 64, 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	cap = mstat_classes[s->cls].cache_cap;
	m = cap + 1;
	p = kunit_kcalloc(test, m, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	expect_reports(test);
	/* one CPU's caches throughout (may sleep); no assertion of its own until the end */
	migrate_disable();
	KUNIT_EXPECT_EQ(test, mstat_cache_alloc_bulk(s, GFP_KERNEL, m, p), (int)m);
	drain_all_cpus();
	t0 = snap(test);
	/* the first cap fill the empty cache; the last finds it full */
	bulk_flush_cls = s->cls;
	bulk_flush_cpu = smp_processor_id();
	WRITE_ONCE(bulk_flush_obj, p[cap]);
	WRITE_ONCE(mstat_flush_hook, bulk_flush_hook);
	mstat_cache_free_bulk(s, m, p);
	WRITE_ONCE(mstat_flush_hook, NULL);
	migrate_enable();
	drain_all_cpus();
	t1 = snap(test);
	KUNIT_EXPECT_NULL(test, READ_ONCE(bulk_flush_obj));
	KUNIT_EXPECT_EQ(test, t1->ndouble_free - t0->ndouble_free, 1ULL);
	KUNIT_EXPECT_EQ(test, t1->nwrite_after_free, t0->nwrite_after_free);
	KUNIT_EXPECT_EQ(test, mstat_nmalloc(&t1->sum), mstat_nmalloc(&t0->sum));
	KUNIT_EXPECT_EQ(test, mstat_nfree(&t1->sum) - mstat_nfree(&t0->sum), (u64)m);
	mstat_cache_destroy(s);
}

/*
 * A bulk call takes its objects under one lock (mstat_pcpu_alloc_bulk(),
 * mstat_pcpu_free_bulk()) across refills and flushes, and hands whatever
 * the fast path would not take to the general one: a second free inside
 * the batch is refused once, a foreign pointer reported, a general object
 * in a typed cache's batch refused; the rest are freed and counted once.
 */
static void mstat_test_bulk_batched(struct kunit *test)
{
	const unsigned int n = 100;
	struct mstat_totals *t0, *t1;
	void **p, *again, *other, *kobj;
	u64 dbl0, bad0;
	struct mstat_cache *s;
	unsigned int i, j;

	p = kunit_kcalloc(test, n, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	kobj = kmalloc(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, kobj);
	expect_reports(test);
	t0 = snap(test);
	KUNIT_ASSERT_EQ(test, mstat_alloc_bulk(64, GFP_KERNEL, n, p), (int)n);
	for (i = 0; i < n; i++)
		fill(p[i], 64, i);
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_TRUE(test, check(p[i], 64, i));
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_PTR_NE(test, p[i], p[j]);
	}
	dbl0 = mstat_nmistakes(MSTAT_DOUBLE_FREE);
	bad0 = mstat_nmistakes(MSTAT_BAD_POINTER);
	/* p[50] freed twice in the batch, p[60] foreign: both refused, the rest freed */
	again = p[51];
	other = p[60];
	p[51] = p[50];
	p[60] = kobj;
	mstat_free_bulk(n, p);
	KUNIT_EXPECT_EQ(test, mstat_nmistakes(MSTAT_DOUBLE_FREE) - dbl0, 1ULL);
	KUNIT_EXPECT_EQ(test, mstat_nmistakes(MSTAT_BAD_POINTER) - bad0, 1ULL);
	t1 = snap(test);
	/* two of the hundred are live still: the one p[51] was, and the one p[60] was */
	KUNIT_EXPECT_EQ(test, mstat_nmalloc(&t1->sum) - mstat_nmalloc(&t0->sum), (u64)n);
	KUNIT_EXPECT_EQ(test, mstat_nfree(&t1->sum) - mstat_nfree(&t0->sum), (u64)n - 2);
	mstat_free(again);
	mstat_free(other);
	kfree(kobj);

	/* a typed cache's batch: a general object in it is refused and left live */
	s = mstat_cache_create("kunit_bulk2", 64, 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_ASSERT_EQ(test, mstat_cache_alloc_bulk(s, GFP_KERNEL, n, p), (int)n);
	again = p[10];
	p[10] = mstat_alloc(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p[10]);
	bad0 = mstat_nmistakes(MSTAT_BAD_POINTER);
	mstat_cache_free_bulk(s, n, p);
	KUNIT_EXPECT_EQ(test, mstat_nmistakes(MSTAT_BAD_POINTER) - bad0, 1ULL);
	KUNIT_EXPECT_TRUE(test, mstat_live(p[10]));
	KUNIT_EXPECT_TRUE(test, mstat_live(again));
	KUNIT_EXPECT_FALSE(test, mstat_live(p[11]));
	mstat_free(p[10]);
	mstat_cache_free(s, again);
	t0 = snap(test);
	KUNIT_EXPECT_EQ(test, mstat_nmalloc(&t0->sum) - mstat_nfree(&t0->sum),
			mstat_nmalloc(&t1->sum) - mstat_nfree(&t1->sum) - 2);
	mstat_cache_destroy(s);
}

/*
 * A bulk free counts each run of one key's objects once: objects of two
 * sites, interleaved in runs, across the class cache's flushes, each
 * site's frees counted to it exactly.
 */
static void mstat_test_bulk_sites(struct kunit *test)
{
	struct mstat_site_stats a0, b0, a1, b1;
	void *p[96], *q[48];
	unsigned int i, j = 0, bline;

	q[0] = site_alloc(0, 64);	/* site 0 has its row */
	KUNIT_ASSERT_NOT_NULL(test, q[0]);
	mstat_free(q[0]);
	a0 = site_row(test, site_lines[0]);
	bline = __LINE__ + 1;
	i = mstat_alloc_bulk(64, GFP_KERNEL, ARRAY_SIZE(q), q);
	KUNIT_ASSERT_EQ(test, i, (unsigned int)ARRAY_SIZE(q));
	b0 = site_row(test, bline);
	for (i = 0; i < ARRAY_SIZE(p); i++) {
		/* runs of a few of one site, then of the other */
		if ((i / ((i % 4) + 1)) % 2 && j < ARRAY_SIZE(q)) {
			p[i] = q[j];
			q[j++] = NULL;
		} else {
			p[i] = site_alloc(0, 64);
		}
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	mstat_free_bulk(ARRAY_SIZE(p), p);
	mstat_free_bulk(ARRAY_SIZE(q), q);	/* the ones left, NULL where taken */
	a1 = site_row(test, site_lines[0]);
	b1 = site_row(test, bline);
	KUNIT_EXPECT_EQ(test, b1.nfree - b0.nfree, (u64)ARRAY_SIZE(q));
	KUNIT_EXPECT_EQ(test, a1.nfree - a0.nfree, a1.nmalloc - a0.nmalloc);
	KUNIT_EXPECT_EQ(test, a1.live_objects, a0.live_objects);
	KUNIT_EXPECT_EQ(test, b1.live_objects, 0ULL);
	expect_sites_sane(test);
}

/* ------------------------------------------------------------ RCU frees */

struct rcu_obj {
	u64 a;
	struct rcu_head rcu;
	u8 rest[40];
};

struct rcu_big {
	u64 a;
	u8 rest[40000];
	struct rcu_head rcu;	/* in the large object's tenth page */
};

static u64 rcu_pending(const struct mstat_totals *t)
{
	return t->sum.rcu_queued - t->sum.rcu_freed;
}

/*
 * Objects waiting for their grace period, from every cache's counters as
 * they are now (no read: this does not sleep); @freed set to the frees.
 */
static u64 rcu_raw(unsigned int *freed)
{
	u64 q = 0, f = 0;
	unsigned int i;

	for (i = 0; i < nr_cpu_ids * MSTAT_NR_CTX; i++) {
		if (!mstat_cpu_caches[i])
			continue;
		q += READ_ONCE(mstat_cpu_caches[i]->stats.rcu_queued);
		f += READ_ONCE(mstat_cpu_caches[i]->stats.rcu_freed);
	}
	*freed = f;
	return q - f;
}

/*
 * mstat_rcu_barrier() returns with every object given to mstat_free_rcu()
 * before it freed, across the batch's runs of MSTAT_RCU_CHAIN objects under
 * one lock (typed objects among them) and an object it leaves to the
 * general free (a large one): the frees counted exactly, none pending, none
 * live.  With @heads, the objects wait chained through their heads, which
 * the pointer pages' way never writes.
 */
static void rcu_barrier_run(struct kunit *test, bool heads)
{
	const unsigned int n = 700;
	struct mstat_totals *t0, *t1;
	struct rcu_obj **p;
	struct rcu_big *big;
	unsigned int i, written;
	struct mstat_cache *s;

	p = kunit_kcalloc(test, n, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	s = mstat_cache_create("kunit_rcu_barrier", sizeof(struct rcu_obj), 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	mstat_rcu_barrier();
	t0 = snap(test);
	mstat_rcu_no_blocks = heads;
	for (i = 0; i < n; i++) {
		p[i] = i % 100 == 7 ? mstat_cache_alloc(s, GFP_KERNEL) :
				      mstat_alloc(sizeof(*p[i]), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	big = mstat_alloc(sizeof(*big), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, big);
	/* no batch is freed before the heads are looked at */
	rcu_read_lock();
	for (i = 0; i < n; i++) {
		memset(&p[i]->rcu, 0x5a, sizeof(p[i]->rcu));
		mstat_free_rcu(p[i], rcu);
		if (i == n / 2)
			mstat_free_rcu(big, rcu);
	}
	/*
	 * The fallback chains objects through their heads.  (Pointer pages
	 * leave them be, but one may not be had, with no reclaim: not checked.)
	 */
	for (i = 0, written = 0; i < n; i++)
		written += !!memchr_inv(&p[i]->rcu, 0x5a, sizeof(p[i]->rcu));
	rcu_read_unlock();
	if (heads)
		KUNIT_EXPECT_EQ(test, written, n);
	mstat_rcu_no_blocks = false;
	mstat_rcu_barrier();
	t1 = snap(test);
	KUNIT_EXPECT_EQ(test, rcu_pending(t1), rcu_pending(t0));
	KUNIT_EXPECT_EQ(test, t1->sum.rcu_freed - t0->sum.rcu_freed, (u64)n + 1);
	KUNIT_EXPECT_EQ(test, mstat_nmalloc(&t1->sum) - mstat_nmalloc(&t0->sum),
			mstat_nfree(&t1->sum) - mstat_nfree(&t0->sum));
	KUNIT_EXPECT_EQ(test, t1->sum.large_nfree - t0->sum.large_nfree, 1ULL);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_FALSE(test, mstat_live(p[i]));
	KUNIT_EXPECT_FALSE(test, mstat_live(big));
	mstat_cache_destroy(s);
}

static void rcu_blocks_on(void *unused)
{
	mstat_rcu_no_blocks = false;
}

/* In pages of pointers, and chained through the objects' heads (the fallback). */
static void mstat_test_rcu_barrier(struct kunit *test)
{
	/* the knob goes back even if an assertion ends the case */
	KUNIT_ASSERT_EQ(test, kunit_add_action(test, rcu_blocks_on, NULL), 0);
	rcu_barrier_run(test, false);
	rcu_barrier_run(test, true);
}

static long rcu_queue_on_cpu(void *arg)
{
	struct rcu_obj **objs = arg;
	unsigned int i;

	for (i = 0; i < 4; i++)
		mstat_free_rcu(objs[i], rcu);
	return 0;
}

/*
 * mstat_free_rcu(): general, large and typed objects stay live, counted in
 * rcu_pending, until the batch's grace period is over; a second free by
 * either call, a stale one and a head outside the object are refused with
 * nothing moved; a typed cache's destruction frees its pending objects
 * first; a CPU that dies with objects waiting hands them on (SMP).
 */
static void mstat_test_free_rcu(struct kunit *test)
{
	struct mstat_totals *t0, *t1, *t2;
	struct rcu_obj *p[4], *q[4], *r;
	unsigned int i, victim, freed, freed2;
	u64 pending, queued, still;
	struct mstat_cache *s;
	struct rcu_big *big;
	struct typed_row row;
	void *k;

	mstat_rcu_flush();	/* no batch of an earlier case ends inside the section below */
	s = mstat_cache_create("kunit_rcu_free", sizeof(struct rcu_obj), 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	for (i = 0; i < ARRAY_SIZE(p); i++) {
		p[i] = i < 2 ? mstat_alloc(sizeof(*p[i]), GFP_KERNEL) :
			       mstat_cache_alloc(s, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	big = mstat_alloc(sizeof(*big), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, big);
	k = kmalloc(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, k);
	r = mstat_alloc(sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	expect_reports(test);
	t0 = snap(test);
	/*
	 * Queued inside this read-side section, no batch can be freed before
	 * it ends: every object below is still waiting when freed again.
	 */
	rcu_read_lock();
	pending = rcu_raw(&freed);
	for (i = 0; i < ARRAY_SIZE(p); i++)
		mstat_free_rcu(p[i], rcu);
	mstat_free_rcu(big, rcu);
	queued = rcu_raw(&i) - pending;
	mstat_free_rcu(p[0], rcu);
	mstat_free(p[1]);
	mstat_cache_free(s, p[2]);
	mstat_free_rcu(big, rcu);
	mstat_free(big);
	mstat_free_rcu_ptr(k, k);
	mstat_free_rcu_ptr(r, &p[3]->rcu);	/* a head outside the object */
	still = rcu_raw(&freed2) - pending;
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, queued, 5ULL);
	KUNIT_EXPECT_EQ(test, still, 5ULL);
	KUNIT_EXPECT_EQ(test, freed2, freed);	/* none freed yet */
	kfree(k);
	t1 = snap(test);
	KUNIT_EXPECT_EQ(test, t1->ndouble_free - t0->ndouble_free, 5ULL);
	KUNIT_EXPECT_EQ(test, t1->nbad_ptr - t0->nbad_ptr, 2ULL);
	/* live until freed: never more frees than the five */
	KUNIT_EXPECT_LE(test, mstat_nfree(&t1->sum) - mstat_nfree(&t0->sum), 5ULL);

	mstat_rcu_flush();
	t2 = snap(test);
	KUNIT_EXPECT_EQ(test, rcu_pending(t2), rcu_pending(t0));
	KUNIT_EXPECT_EQ(test, mstat_nfree(&t2->sum) - mstat_nfree(&t0->sum), 5ULL);
	KUNIT_EXPECT_EQ(test, t2->sum.large_nfree - t0->sum.large_nfree, 1ULL);
	/* stale: freed already */
	mstat_free_rcu(p[0], rcu);
	t1 = snap(test);
	KUNIT_EXPECT_EQ(test, t1->ndouble_free - t2->ndouble_free, 1ULL);
	KUNIT_EXPECT_EQ(test, rcu_pending(t1), rcu_pending(t0));
	mstat_free_rcu(r, rcu);

	/* the destruction frees what waits first: nothing leaked */
	r = mstat_cache_alloc(s, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	mstat_free_rcu(r, rcu);
	mstat_cache_destroy(s);
	KUNIT_EXPECT_FALSE(test, typed_row(test, "kunit_rcu_free", &row));

	victim = cpumask_last(cpu_online_mask);
	if (!IS_ENABLED(CONFIG_HOTPLUG_CPU) || !victim)
		return;
	for (i = 0; i < ARRAY_SIZE(q); i++) {
		q[i] = mstat_alloc(sizeof(*q[i]), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, q[i]);
	}
	t0 = snap(test);
	KUNIT_ASSERT_EQ(test, work_on_cpu(victim, rcu_queue_on_cpu, q), 0L);
	/* the victim's own batching would beat the teardown to them: not this time */
	mstat_rcu_hold(victim);
	KUNIT_ASSERT_EQ(test, remove_cpu(victim), 0);
	mstat_rcu_flush();
	t1 = snap(test);
	KUNIT_EXPECT_EQ(test, add_cpu(victim), 0);
	KUNIT_EXPECT_EQ(test, rcu_pending(t1), rcu_pending(t0));
	KUNIT_EXPECT_EQ(test, mstat_nfree(&t1->sum) - mstat_nfree(&t0->sum), 4ULL);
}

/* A CPU of each of two nodes with memory; false if there are not two. */
static bool numa_two_cpus(unsigned int *a, unsigned int *b)
{
	unsigned int cpu;

	*a = *b = nr_cpu_ids;
	for_each_online_cpu(cpu) {
		if (*a == nr_cpu_ids)
			*a = cpu;
		else if (cpu_to_mem(cpu) != cpu_to_mem(*a) && *b == nr_cpu_ids)
			*b = cpu;
	}
	return *b < nr_cpu_ids && node_state(cpu_to_mem(*a), N_MEMORY) &&
	       node_state(cpu_to_mem(*b), N_MEMORY);
}

/*
 * Two CPUs a and b of two nodes, and a batch of @n objects of 64 B for
 * them to allocate and free; false (the case skipped) on one node.
 */
static bool numa_setup(struct kunit *test, unsigned int *a, unsigned int *b,
		       struct numa_batch *batch, unsigned int n)
{
	if (!numa_two_cpus(a, b)) {
		kunit_mark_skipped(test, "one memory node (run with --arch x86_64: two)");
		return false;
	}
	batch->objs = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, batch->objs);
	batch->n = n;
	batch->size = 64;
	batch->node = NUMA_NO_NODE;
	batch->gfp = GFP_KERNEL;
	return true;
}

/* The per-node counters; their refills add up to every refill, exactly. */
static struct mstat_node_counters *numa_read(struct kunit *test)
{
	struct mstat_node_counters *sum;
	u64 refill_objs, refills = 0;
	int nid;

	sum = kunit_kcalloc(test, nr_node_ids, sizeof(*sum), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sum);
	mstat_read_nodes(sum, &refill_objs);
	for_each_node(nid)
		refills += sum[nid].refill_local + sum[nid].refill_remote;
	KUNIT_EXPECT_EQ(test, refills, refill_objs);
	return sum;
}

/*
 * The issue's own measure: a CPU of node A allocates, a CPU of node B frees
 * every object and allocates as many again.  B's objects are all on B's
 * node (each freed object went home, in batches, never into B's cache), and
 * the remote frees are counted to A's node, exactly.  With remote frees
 * put in the freeing CPU's cache, B got 0 of 2,048 on its node.
 */
static void mstat_test_numa_remote_frees_go_home(struct kunit *test)
{
	static const size_t sizes[] = { 64, 512, 4096 };
	struct mstat_node_counters *n0, *n1;
	unsigned int a, b, k, n = 2048;
	struct numa_batch batch;
	int na, nb;

	if (!numa_setup(test, &a, &b, &batch, n))
		return;
	na = cpu_to_mem(a);
	nb = cpu_to_mem(b);
	for (k = 0; k < ARRAY_SIZE(sizes); k++) {
		batch.size = sizes[k];
		drain_all_cpus();
		n0 = numa_read(test);
		KUNIT_ASSERT_EQ(test, work_on_cpu(a, numa_alloc_fn, &batch), 0L);
		KUNIT_EXPECT_EQ(test, numa_on_node(batch.objs, n, na), n);
		KUNIT_ASSERT_EQ(test, work_on_cpu(b, numa_free_fn, &batch), 0L);
		KUNIT_ASSERT_EQ(test, work_on_cpu(b, numa_alloc_fn, &batch), 0L);
		KUNIT_EXPECT_EQ(test, numa_on_node(batch.objs, n, nb), n);
		n1 = numa_read(test);
		KUNIT_EXPECT_EQ(test, n1[na].remote_frees - n0[na].remote_frees, (u64)n);
		KUNIT_EXPECT_EQ(test, n1[nb].remote_frees, n0[nb].remote_frees);
		KUNIT_EXPECT_EQ(test, n1[na].refill_remote, n0[na].refill_remote);
		KUNIT_EXPECT_GE(test, n1[nb].refill_local - n0[nb].refill_local, (u64)n);
		KUNIT_ASSERT_EQ(test, work_on_cpu(b, numa_free_fn, &batch), 0L);
	}
}

/*
 * mstat_alloc_node() honours its node from a CPU of either node, small and
 * large, with and without __GFP_THISNODE; a node that does not exist is
 * any node, or NULL with __GFP_THISNODE.  Frees from the other node go home.
 */
static void mstat_test_numa_alloc_node(struct kunit *test)
{
	static const size_t sizes[] = { 16, 700, 20000, 100000 };
	unsigned int a, b, i, k, n = 300, cpus[2];
	struct numa_batch batch;
	void *p;

	if (!numa_setup(test, &a, &b, &batch, n))
		return;
	cpus[0] = a;
	cpus[1] = b;
	for (k = 0; k < ARRAY_SIZE(sizes); k++) {
		batch.size = sizes[k];
		/* i: bit 0 the node's CPU, bit 1 the allocating CPU, bit 2 __GFP_THISNODE */
		for (i = 0; i < 8; i++) {
			batch.node = cpu_to_mem(cpus[i & 1]);
			batch.gfp = i & 4 ? GFP_KERNEL | __GFP_THISNODE : GFP_KERNEL;
			KUNIT_ASSERT_EQ(test, work_on_cpu(cpus[i >> 1 & 1], numa_alloc_fn, &batch),
					0L);
			KUNIT_EXPECT_EQ(test, numa_on_node(batch.objs, n, batch.node), n);
			/* freed on the other node's CPU: they go home */
			KUNIT_ASSERT_EQ(test, work_on_cpu(cpus[~i & 1], numa_free_fn, &batch), 0L);
		}
	}
	p = mstat_alloc_node(64, GFP_KERNEL, nr_node_ids);
	KUNIT_EXPECT_NOT_NULL(test, p);
	mstat_free(p);
	KUNIT_EXPECT_NULL(test, mstat_alloc_node(64, GFP_KERNEL | __GFP_THISNODE, nr_node_ids));
	drain_all_cpus();
}

static long numa_cached_fn(void *arg)
{
	return mstat_cached_count(mstat_size_to_class(64));
}

/*
 * The shrinker works per node: a scan of node B's memory empties the
 * caches of B's CPUs and sends B's objects home from the other CPUs'
 * remote buffers, and leaves A's CPUs' caches alone, also after a full
 * reclaim (whose per-CPU class bits once stayed set and made every later
 * scan drain every CPU).
 */
static void mstat_test_numa_shrink_per_node(struct kunit *test)
{
	struct numa_batch batch;
	unsigned int a, b, n = 20;
	long before;
	int na, nb;

	if (!numa_setup(test, &a, &b, &batch, n))
		return;
	na = cpu_to_mem(a);
	nb = cpu_to_mem(b);
	mstat_reclaim_all();
	/*
	 * The spans a reclaim released go back after a purge, which sends
	 * every CPU's remote buffer home: done before a buffer is filled.
	 */
	mstat_limbo_drain();
	/* A's cache holds 64 B objects; B's remote buffer holds n of A's */
	KUNIT_ASSERT_EQ(test, work_on_cpu(a, numa_alloc_fn, &batch), 0L);
	KUNIT_ASSERT_EQ(test, work_on_cpu(a, numa_free_fn, &batch), 0L);
	KUNIT_ASSERT_EQ(test, work_on_cpu(a, numa_alloc_fn, &batch), 0L);
	KUNIT_ASSERT_EQ(test, work_on_cpu(b, numa_free_fn, &batch), 0L);
	before = work_on_cpu(a, numa_cached_fn, NULL);
	KUNIT_ASSERT_GT(test, before, 0L);
	KUNIT_EXPECT_EQ(test, READ_ONCE(mstat_cpu_caches[b * MSTAT_NR_CTX + MSTAT_TASK]->nremote),
			n);

	reclaim_scan(ULONG_MAX, nb);
	mstat_limbo_drain();
	KUNIT_EXPECT_EQ(test, work_on_cpu(a, numa_cached_fn, NULL), before);
	/* B's caches were emptied, its remote buffer with them: fill it again */
	KUNIT_ASSERT_EQ(test, work_on_cpu(a, numa_alloc_fn, &batch), 0L);
	KUNIT_ASSERT_EQ(test, work_on_cpu(b, numa_free_fn, &batch), 0L);
	KUNIT_EXPECT_EQ(test, READ_ONCE(mstat_cpu_caches[b * MSTAT_NR_CTX + MSTAT_TASK]->nremote),
			n);
	reclaim_scan(ULONG_MAX, na);
	KUNIT_EXPECT_EQ(test, work_on_cpu(a, numa_cached_fn, NULL), 0L);
	KUNIT_EXPECT_EQ(test, READ_ONCE(mstat_cpu_caches[b * MSTAT_NR_CTX + MSTAT_TASK]->nremote),
			0U);
}

static struct kunit_case mstat_test_cases[] = {
	KUNIT_CASE(mstat_test_size_classes),
	KUNIT_CASE(mstat_test_span_layout),
	KUNIT_CASE(mstat_test_roundtrip_classes),
	KUNIT_CASE(mstat_test_roundtrip_large),
	KUNIT_CASE(mstat_test_zeroing),
	KUNIT_CASE(mstat_test_counter_deltas),
	KUNIT_CASE(mstat_test_totals_are_sum_of_cpus),
	KUNIT_CASE(mstat_test_donate_conserves),
	KUNIT_CASE(mstat_test_read_consistency),
	KUNIT_CASE(mstat_test_cached_between_passes),
	KUNIT_CASE(mstat_test_read_stats),
	KUNIT_CASE(mstat_test_read_pacing),
	KUNIT_CASE(mstat_test_drain_returns_objects),
	KUNIT_CASE(mstat_test_refill_flush_boundaries),
	KUNIT_CASE(mstat_test_sys_bytes_falls),
	KUNIT_CASE(mstat_test_proc_render),
	KUNIT_CASE(mstat_test_bad_input),
	KUNIT_CASE(mstat_test_atomic_contexts),
	KUNIT_CASE(mstat_test_irq_inside_task_section),
	KUNIT_CASE(mstat_test_hotplug_donation),
	KUNIT_CASE(mstat_test_double_free),
	KUNIT_CASE(mstat_test_stale_pointers),
	KUNIT_CASE(mstat_test_limbo),
	KUNIT_CASE(mstat_test_forged_page_info),
	KUNIT_CASE(mstat_test_forged_key),
	KUNIT_CASE(mstat_test_write_after_free),
	KUNIT_CASE(mstat_test_freed_twice_at_once),
	KUNIT_CASE(mstat_test_copy_outlives_span),
	KUNIT_CASE(mstat_test_counted_free_while_out),
	KUNIT_CASE(mstat_test_put_races_hand_out),
	KUNIT_CASE(mstat_test_refill_meets_out),
	KUNIT_CASE(mstat_test_revive_meets_out),
	KUNIT_CASE(mstat_test_all_free_listed_twice),
	KUNIT_CASE(mstat_test_partial_listed_twice),
	KUNIT_CASE(mstat_test_grow_after_withdrawn),
	KUNIT_CASE(mstat_test_fallback_counters),
	KUNIT_CASE(mstat_test_span_orders),
	KUNIT_CASE(mstat_test_free_decodes_once),
	KUNIT_CASE(mstat_test_large_free_race),
	KUNIT_CASE(mstat_test_large_pairs_race),
	KUNIT_CASE(mstat_test_large_pair_step),
	KUNIT_CASE(mstat_test_fallback_freed_twice_at_once),
	KUNIT_CASE(mstat_test_proc_sizes),
	KUNIT_CASE(mstat_test_sites_escaped),
	KUNIT_CASE(mstat_test_shrink_scan),
	KUNIT_CASE(mstat_test_chunk_not_in_irq),
	KUNIT_CASE(mstat_test_kasan_shadow),
	KUNIT_CASE(mstat_test_shrinker),
	KUNIT_CASE(mstat_test_idle_reclaim),
	KUNIT_CASE(mstat_test_idle_ms_while_down),
	KUNIT_CASE(mstat_test_gfp),
	KUNIT_CASE(mstat_test_span_fallback),
	KUNIT_CASE(mstat_test_memory_extents),
	KUNIT_CASE(mstat_test_largest_size),
	KUNIT_CASE(mstat_test_site_counts),
	KUNIT_CASE(mstat_test_site_read_consistency),
	KUNIT_CASE(mstat_test_site_donation),
	KUNIT_CASE(mstat_test_site_withdrawn),
	KUNIT_CASE(mstat_test_read_gap_bounded),
	KUNIT_CASE(mstat_test_array_copy_calls),
	KUNIT_CASE(mstat_test_typed_ctor),
	KUNIT_CASE(mstat_test_typed_align),
	KUNIT_CASE(mstat_test_typed_stats),
	KUNIT_CASE(mstat_test_typed_retype),
	KUNIT_CASE(mstat_test_typed_destroy_leaks),
	KUNIT_CASE(mstat_test_typed_rcu),
	KUNIT_CASE(mstat_test_bulk),
	KUNIT_CASE(mstat_test_bulk_batched),
	KUNIT_CASE(mstat_test_bulk_counted_first),
	KUNIT_CASE(mstat_test_bulk_refill_meets_copy),
	KUNIT_CASE(mstat_test_bulk_free_flush_race),
	KUNIT_CASE(mstat_test_bulk_sites),
	KUNIT_CASE(mstat_test_bulk_partial),
	KUNIT_CASE(mstat_test_bulk_long),
	KUNIT_CASE(mstat_test_free_rcu),
	KUNIT_CASE(mstat_test_rcu_barrier),
	KUNIT_CASE(mstat_test_numa_remote_frees_go_home),
	KUNIT_CASE(mstat_test_numa_alloc_node),
	KUNIT_CASE(mstat_test_numa_shrink_per_node),
	KUNIT_CASE(mstat_test_sites_full),	/* last: it fills the table for good */
	{}
};

/* No idle reclaim behind the tests' backs: exact cache counts are asserted. */
static unsigned int mstat_test_idle_ms;

static int mstat_test_suite_init(struct kunit_suite *suite)
{
	mstat_test_idle_ms = mstat_idle_ms;
	mstat_set_idle_ms(0);
	return 0;
}

static void mstat_test_suite_exit(struct kunit_suite *suite)
{
	mstat_set_idle_ms(mstat_test_idle_ms);
}

/*
 * Nothing left running from the test before: its RCU frees' batch, a purge
 * (mstat_pcpu_purge()) or a limbo callback it queued would free or withdraw
 * objects and change counters under this one's exact deltas, or read a
 * page info a test forged.  The RCU frees first: they may release spans.
 */
static int mstat_test_init(struct kunit *test)
{
	mstat_rcu_barrier();
	mstat_limbo_drain();
	return 0;
}

static struct kunit_suite mstat_test_suite = {
	.name = "mstat",
	.suite_init = mstat_test_suite_init,
	.suite_exit = mstat_test_suite_exit,
	.init = mstat_test_init,
	.test_cases = mstat_test_cases,
};

kunit_test_suite(mstat_test_suite);

/* ------------------------------------------------------------ debug mode */

/*
 * Run with mstat.debug=1 on the kernel command line (scripts/kunit.sh
 * --debug); skipped otherwise.
 */
static int mstat_debug_test_init(struct kunit *test)
{
	if (!mstat_debug())
		kunit_skip(test, "needs mstat.debug=1");
	return mstat_test_init(test);
}

/* Every class round trip in debug mode: no red zone disturbed by full use. */
static void mstat_debug_test_roundtrip(struct kunit *test)
{
	struct mstat_totals *before = snap(test);
	unsigned int cls;

	for (cls = 0; cls < MSTAT_NR_SIZES; cls++) {
		const struct mstat_class *mc = &mstat_classes[cls];

		KUNIT_EXPECT_GE(test, mc->stride, mc->size + 2 * mc->red_left);
		expect_distinct(test, mc->size, 3);
	}
	KUNIT_EXPECT_EQ(test, snap(test)->nredzone, before->nredzone);
}

static void mstat_debug_test_redzones(struct kunit *test)
{
	static const int offsets[] = { -1, -16, 104, 104 + 15 };
	struct mstat_totals *before, *after;
	unsigned int i;
	u8 *p;

	expect_reports(test);
	for (i = 0; i < ARRAY_SIZE(offsets); i++) {
		p = mstat_alloc(100, GFP_KERNEL);	/* class 104 */
		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_ASSERT_EQ(test, mstat_usable_size(p), 104UL);
		fill(p, 100, i);
		p[offsets[i]] ^= 0xff;
		before = snap(test);
		mstat_free(p);
		after = snap(test);
		KUNIT_EXPECT_EQ_MSG(test, after->nredzone - before->nredzone, 1ULL,
				    "write at %d", offsets[i]);
		/* reported, restored, and the object freed all the same */
		KUNIT_EXPECT_EQ(test, mstat_nfree(&after->sum) - mstat_nfree(&before->sum), 1ULL);
	}
	/* within the usable size, past the requested one, is no error */
	p = mstat_alloc(100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 0, mstat_usable_size(p));
	before = snap(test);
	mstat_free(p);
	KUNIT_EXPECT_EQ(test, snap(test)->nredzone, before->nredzone);
}

/*
 * The size contract is the default mode's: mstat_zalloc() zeroes the whole
 * usable size, and a client may write all of it (review found 982 of
 * 1,000 zeroed objects with a red-zone byte at the requested size).
 */
static void mstat_debug_test_size_contract(struct kunit *test)
{
	struct mstat_totals *before = snap(test);
	size_t req, usable;
	u8 *p;

	for (req = 1; req <= 4096; req += 7) {
		p = mstat_zalloc(req, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		usable = mstat_usable_size(p);
		KUNIT_EXPECT_GE(test, usable, req);
		KUNIT_EXPECT_FALSE_MSG(test, memchr_inv(p, 0, usable), "%zu of %zu", req, usable);
		memset(p, 0x3c, usable);
		mstat_free(p);
	}
	KUNIT_EXPECT_EQ(test, snap(test)->nredzone, before->nredzone);
}

static void mstat_debug_test_poison(struct kunit *test)
{
	struct mstat_totals *before, *after;
	u8 *p, *q;

	expect_reports(test);
	migrate_disable();
	p = mstat_alloc(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	mstat_free(p);
	kasan_disable_current();		/* KASAN reports these: not here */
	/* poisoned whole: mstat keeps nothing in a free object */
	KUNIT_EXPECT_FALSE(test, memchr_inv(p, 0x6b, 64));
	p[0] = 0;				/* the write after free */
	kasan_enable_current();
	before = snap(test);
	q = mstat_alloc(64, GFP_KERNEL);
	after = snap(test);
	migrate_enable();
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_PTR_NE(test, p, q);
	KUNIT_EXPECT_EQ(test, after->nwrite_after_free - before->nwrite_after_free, 1ULL);
	mstat_free(q);

	/* double free and the slot's own start, in debug mode too */
	before = snap(test);
	mstat_free(q);
	mstat_free(q - mstat_classes[0].red_left);
	expect_refused(test, before, 1, 1, 0);
}

static noinline void *leak_site_a(size_t size)
{
	void *p = mstat_alloc(size, GFP_KERNEL);

	OPTIMIZER_HIDE_VAR(p);	/* no tail call: the site is this function */
	return p;
}

static noinline void *leak_site_b(size_t size)
{
	/* other flags than leak_site_a's, so that the two are not folded into one */
	void *p = mstat_alloc(size, GFP_KERNEL | __GFP_NOWARN);

	OPTIMIZER_HIDE_VAR(p);	/* no tail call: the site is this function */
	return p;
}

/*
 * Typed caches in debug mode: red zones around each object, the alignment
 * asked for kept, and no poison in a constructed or RCU object, whose
 * contents are its client's also while it is free.
 */
static void mstat_debug_test_typed(struct kunit *test)
{
	struct mstat_totals *before = snap(test), *after;
	struct typed_obj *p, *q;
	struct mstat_cache *s;
	unsigned int i, a;
	void *objs[8];

	s = mstat_cache_create("kunit_debug_ctor", sizeof(struct typed_obj), 0, 0, typed_ctor);
	KUNIT_ASSERT_NOT_NULL(test, s);
	migrate_disable();
	p = mstat_cache_alloc(s, GFP_KERNEL);
	if (p) {
		p->val = 77;
		mstat_cache_free(s, p);
	}
	q = mstat_cache_alloc(s, GFP_KERNEL);
	migrate_enable();
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_PTR_EQ(test, q, p);
	KUNIT_EXPECT_EQ(test, q->magic, TYPED_MAGIC);
	KUNIT_EXPECT_EQ(test, q->val, 77U);
	mstat_cache_free(s, q);
	mstat_cache_destroy(s);

	for (a = 128; a <= PAGE_SIZE; a *= 32) {
		s = mstat_cache_create("kunit_debug_align", 40, a, SLAB_TYPESAFE_BY_RCU, NULL);
		KUNIT_ASSERT_NOT_NULL(test, s);
		for (i = 0; i < ARRAY_SIZE(objs); i++) {
			objs[i] = mstat_cache_alloc(s, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, objs[i]);
			KUNIT_EXPECT_EQ(test, (unsigned long)objs[i] % a, 0UL);
			KUNIT_EXPECT_EQ(test, mstat_usable_size(objs[i]), (size_t)40);
			fill(objs[i], 40, i);
		}
		for (i = 0; i < ARRAY_SIZE(objs); i++) {
			KUNIT_EXPECT_TRUE(test, check(objs[i], 40, i));
			mstat_cache_free(s, objs[i]);
			/* not poisoned: a reader under RCU may still look */
			KUNIT_EXPECT_TRUE(test, check(objs[i], 40, i));
		}
		mstat_cache_destroy(s);
	}
	after = snap(test);
	KUNIT_EXPECT_EQ(test, after->nredzone, before->nredzone);
	KUNIT_EXPECT_EQ(test, after->nwrite_after_free, before->nwrite_after_free);
}

/* The /proc/mstat_leaks row of a site: objects and bytes; false if none. */
static bool leak_row(struct kunit *test, const char *site, u64 *objects, u64 *bytes)
{
	struct seq_file m = { };
	char *line, *text;
	bool found = false;

	m.size = 64 * 1024;
	m.buf = kunit_kzalloc(test, m.size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m.buf);
	KUNIT_ASSERT_EQ(test, mstat_leaks_show(&m, NULL), 0);
	KUNIT_ASSERT_LT(test, m.count, m.size);
	text = m.buf;
	KUNIT_EXPECT_TRUE(test, str_has_prefix(text, "mstat_leaks version 2\n"
					       "# objects bytes file:line module function\n"));
	while ((line = strsep(&text, "\n"))) {
		u64 o, b;
		char where[256], mod[64], name[64];

		/* named as /proc/mstat_sites names the site: its function, not a caller */
		if (sscanf(line, "%llu %llu %255s %63s %63s", &o, &b, where, mod, name) == 5 &&
		    !strcmp(name, site) && !strcmp(mod, "mstat")) {
			KUNIT_EXPECT_FALSE_MSG(test, found, "two rows for %s", site);
			found = true;
			*objects = o;
			*bytes = b;
		}
	}
	kunit_kfree(test, m.buf);
	return found;
}

static void mstat_debug_test_leaks(struct kunit *test)
{
	void *a[3], *b[2], *large;
	u64 objects = 0, bytes = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(a); i++) {
		a[i] = leak_site_a(200);
		KUNIT_ASSERT_NOT_NULL(test, a[i]);
	}
	for (i = 0; i < ARRAY_SIZE(b); i++) {
		b[i] = leak_site_b(3000);
		KUNIT_ASSERT_NOT_NULL(test, b[i]);
	}
	large = leak_site_a(50000);
	KUNIT_ASSERT_NOT_NULL(test, large);

	KUNIT_ASSERT_TRUE(test, leak_row(test, "leak_site_a", &objects, &bytes));
	KUNIT_EXPECT_EQ(test, objects, 4ULL);
	KUNIT_EXPECT_EQ(test, bytes, 3 * mstat_usable_size(a[0]) + PAGE_ALIGN(50000));
	KUNIT_ASSERT_TRUE(test, leak_row(test, "leak_site_b", &objects, &bytes));
	KUNIT_EXPECT_EQ(test, objects, 2ULL);
	KUNIT_EXPECT_EQ(test, bytes, 2 * mstat_usable_size(b[0]));

	/* freed, in caches or not, they are no longer leaks */
	mstat_free(a[0]);
	KUNIT_ASSERT_TRUE(test, leak_row(test, "leak_site_a", &objects, &bytes));
	KUNIT_EXPECT_EQ(test, objects, 3ULL);
	for (i = 1; i < ARRAY_SIZE(a); i++)
		mstat_free(a[i]);
	for (i = 0; i < ARRAY_SIZE(b); i++)
		mstat_free(b[i]);
	mstat_free(large);
	drain_all_cpus();
	KUNIT_EXPECT_FALSE(test, leak_row(test, "leak_site_a", &objects, &bytes));
	KUNIT_EXPECT_FALSE(test, leak_row(test, "leak_site_b", &objects, &bytes));
}

static struct kunit_case mstat_debug_test_cases[] = {
	KUNIT_CASE(mstat_debug_test_roundtrip),
	KUNIT_CASE(mstat_debug_test_redzones),
	KUNIT_CASE(mstat_debug_test_size_contract),
	KUNIT_CASE(mstat_debug_test_poison),
	KUNIT_CASE(mstat_debug_test_leaks),
	KUNIT_CASE(mstat_debug_test_typed),
	{}
};

static struct kunit_suite mstat_debug_test_suite = {
	.name = "mstat_debug",
	.suite_init = mstat_test_suite_init,
	.suite_exit = mstat_test_suite_exit,
	.init = mstat_debug_test_init,
	.test_cases = mstat_debug_test_cases,
};

kunit_test_suite(mstat_debug_test_suite);

// SPDX-License-Identifier: GPL-2.0
/*
 * mstat_replay: a recorded kernel allocation trace (bench/traces/README
 * says the format and how the shipped traces were made) played through
 * mstat and through kmalloc in the same boot.  Driven by scripts/bench.py;
 * a benchmark, never a test.
 *
 * First one untimed play through each allocator on one thread: the peak
 * of the bytes held from the page allocator (mstat: all its sys_bytes;
 * kmalloc: the node statistics' slab bytes, large kmallocs included, less
 * what they were before, which a merged cache's older slabs keep low) against
 * the peak of the usable bytes live, both every 256 events.  After each
 * play of mstat, its sites and summary are read back: allocations, frees
 * and live objects against the trace's own counts, live bytes against the
 * usable sizes of the objects the play left live.
 *
 * Then @reps timed rounds, each a play through both allocators, the one
 * that goes first alternating: time per event.  With threads=1 (UML)
 * every event runs on one thread in recorded order.  With threads=N the
 * events of recorded CPU c run on thread c % N, one thread on each of N
 * CPUs, each in recorded order; a free whose allocation another thread
 * has not made yet waits for it, and the wait is not counted.
 *
 * The trace's caches are made as mstat typed caches, most used first, as
 * many as mstat allows (a boot per trace: a destroyed cache's slot is kept
 * for its size); the others are allocated by size.  kmalloc's side makes a
 * kmem_cache for each, which SLUB may merge as the kernel's own are.
 * Objects still live at a play's end are freed after it, untimed.  Lines
 * start with "BENCH ".
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/fs.h>
#include <linux/initrd.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/reboot.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>

#include <mstat.h>

static char *trace = "";
module_param(trace, charp, 0444);
MODULE_PARM_DESC(trace, "path of the trace to play (none: do nothing)");
static char *name = "trace";
module_param(name, charp, 0444);
MODULE_PARM_DESC(name, "the trace's name in the BENCH lines");
static unsigned int reps = 5;
module_param(reps, uint, 0444);
MODULE_PARM_DESC(reps, "timed rounds");
static unsigned int threads = 1;
module_param(threads, uint, 0444);
MODULE_PARM_DESC(threads, "replay threads, one per CPU (recorded CPU c on thread c % threads)");
static bool poweroff;
module_param(poweroff, bool, 0444);
MODULE_PARM_DESC(poweroff, "power off when done (UML)");

#define RP_MAX_CACHES	1024
#define RP_MAX_THREADS	64
#define RP_MAX_REPS	31
#define RP_MAX_SITES	8192
#define RP_SAMPLE	256	/* events between two samples of the bytes held */

enum { RP_KMALLOC, RP_CACHE_ALLOC, RP_FREE, RP_CACHE_FREE };
#define RP_ATOMIC	BIT(0)
#define RP_ZERO		BIT(1)

struct rp_event {
	u32 id;
	u32 size;
	u16 cache;
	u8 op;
	u8 flags;
	u16 cpu;
	u16 site;	/* into sites[]: the trace's, else one per cache and per size */
};

struct rp_cache {
	char name[32];
	u32 size;
	u32 uses;
	struct mstat_cache *mc;
	struct kmem_cache *kc;
};

enum rp_alloc { RP_MSTAT, RP_SLAB };
static const char *const rp_names[] = { "mstat", "kmalloc" };

/* An allocation that failed, or an object already freed in this play. */
#define RP_FAILED	((void *)1UL)
#define RP_DONE		((void *)2UL)

static struct rp_event *events;
static u32 nevents, nallocs, nfrees, nzero, nzero_frees, ncaches;
static struct rp_cache *caches;

/*
 * mstat's call sites for the replay: the trace's own ("site" lines), else
 * one per cache and one per kmalloc size (to 8 KiB in steps of 8 bytes,
 * one above), as a kernel's call sites mostly allocate one size each: a
 * single site for all would make mstat look its key up at every change
 * of class, which no real site does.
 */
#define RP_MAX_SITES_TRACE	2048
#define RP_SIZE_SITES		(SZ_8K / 8 + 1)
struct rp_site {
	struct mstat_site site;
	char name[48];
	u32 first;	/* its first allocation's event + 1; 0: none */
};

static struct rp_site *sites;
static u32 nsites;		/* the trace's */
static bool trace_sites;
/* objs[id]: written by the thread that allocates id, then read by the one that frees it */
static void **objs;
/* kinds[id]: the cache index + 1 of a typed object, 0 for kmalloc's */
static u16 *kinds;

struct rp_thread {
	struct task_struct *task;
	u32 *idx;		/* this thread's events, in order */
	u32 n;
	enum rp_alloc a;
	u64 busy_ns;
	u64 failed;
	struct completion done;
};

static struct rp_thread *rthreads;
static unsigned int nthreads;
static DECLARE_COMPLETION(rp_go);

/* --------------------------------------------------------------- parsing */

static bool rp_tok(const char **p, const char *end, const char **tok, size_t *len)
{
	const char *s = *p;

	while (s < end && *s == ' ')
		s++;
	*tok = s;
	while (s < end && *s != ' ')
		s++;
	*len = s - *tok;
	*p = s;
	return *len;
}

static bool rp_u32(const char *s, size_t len, u32 *v)
{
	u64 x = 0;
	size_t i;

	if (!len || len > 10)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (s[i] - '0');
	}
	if (x > U32_MAX)
		return false;
	*v = x;
	return true;
}

static int rp_cache_line(const char *p, const char *end)
{
	const char *t;
	size_t n;
	u32 idx, size;
	struct rp_cache *c;

	if (!rp_tok(&p, end, &t, &n) || !rp_u32(t, n, &idx) || idx != ncaches ||
	    idx >= RP_MAX_CACHES || !rp_tok(&p, end, &t, &n) || !rp_u32(t, n, &size) ||
	    !size || size > KMALLOC_MAX_SIZE || !rp_tok(&p, end, &t, &n))
		return -EINVAL;
	c = &caches[ncaches++];
	c->size = size;
	memcpy(c->name, t, min(n, sizeof(c->name) - 1));
	return 0;
}

static int rp_site_line(const char *p, const char *end)
{
	const char *t;
	size_t n;
	u32 idx;

	if (!rp_tok(&p, end, &t, &n) || !rp_u32(t, n, &idx) || idx != nsites ||
	    idx >= RP_MAX_SITES_TRACE || !rp_tok(&p, end, &t, &n))
		return -EINVAL;
	memcpy(sites[nsites++].name, t, min(n, sizeof(sites->name) - 1));
	return 0;
}

/*
 * One event line; @live: the parse's own view of which ids are live;
 * @zero: which were of size 0.
 */
static int rp_event_line(const char *p, const char *end, unsigned long *live,
			 unsigned long *zero)
{
	struct rp_event *e = &events[nevents];
	const char *t;
	size_t n, i;
	u32 v;

	if (!rp_tok(&p, end, &t, &n) || !rp_u32(t, n, &v) || v > U16_MAX)
		return -EINVAL;
	e->cpu = v;
	if (!rp_tok(&p, end, &t, &n))
		return -EINVAL;
	if (n == 1 && (*t == 'a' || *t == 'f' || *t == 'F')) {
		e->op = *t == 'a' ? RP_KMALLOC : *t == 'f' ? RP_FREE : RP_CACHE_FREE;
	} else if (n > 1 && *t == 'c' && rp_u32(t + 1, n - 1, &v) && v < ncaches) {
		e->op = RP_CACHE_ALLOC;
		e->cache = v;
	} else {
		return -EINVAL;
	}
	if (!rp_tok(&p, end, &t, &n) || !rp_u32(t, n, &e->id) || !rp_tok(&p, end, &t, &n) ||
	    !rp_u32(t, n, &e->size) || !rp_tok(&p, end, &t, &n))
		return -EINVAL;
	if (e->op == RP_KMALLOC || e->op == RP_CACHE_ALLOC) {
		/* ids count allocations from 1, so objs[] is indexed by them */
		if (e->id != nallocs + 1 || (e->op == RP_KMALLOC && e->size > KMALLOC_MAX_SIZE))
			return -EINVAL;
		if (e->op == RP_CACHE_ALLOC) {
			e->size = caches[e->cache].size;
			caches[e->cache].uses++;
		}
		for (i = 0; i < n; i++) {
			if (t[i] == 'a')
				e->flags |= RP_ATOMIC;
			else if (t[i] == 'z')
				e->flags |= RP_ZERO;
			else if (t[i] != 'k')
				return -EINVAL;
		}
		/* the call site, in every allocation of a trace that has "site" lines */
		if (nsites) {
			if (!rp_tok(&p, end, &t, &n) || !rp_u32(t, n, &v) || v >= nsites)
				return -EINVAL;
			e->site = v;
		} else if (e->op == RP_CACHE_ALLOC) {
			e->site = e->cache;
		} else {
			e->site = ncaches + min_t(u32, e->size, SZ_8K) / 8;
		}
		if (!sites[e->site].first)
			sites[e->site].first = nevents + 1;
		nallocs++;
		if (!e->size) {
			nzero++;
			__set_bit(e->id, zero);
		}
		__set_bit(e->id, live);
	} else {
		if (!e->id || e->id > nallocs || !__test_and_clear_bit(e->id, live))
			return -EINVAL;
		nfrees++;
		nzero_frees += test_bit(e->id, zero);
	}
	nevents++;
	return 0;
}

static int rp_parse(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *eol;
	unsigned long *live = NULL, *zero = NULL;
	u32 lines = 0, line = 0;
	int ret = -EINVAL;

	for (eol = buf; eol < end; eol++)
		lines += *eol == '\n';
	events = vzalloc(array_size(lines + 1, sizeof(*events)));
	caches = vzalloc(array_size(RP_MAX_CACHES, sizeof(*caches)));
	sites = vzalloc(array_size(max(RP_MAX_SITES_TRACE, RP_MAX_CACHES + RP_SIZE_SITES),
				   sizeof(*sites)));
	live = vzalloc(BITS_TO_LONGS(lines + 2) * sizeof(long));
	zero = vzalloc(BITS_TO_LONGS(lines + 2) * sizeof(long));
	if (!events || !caches || !sites || !live || !zero) {
		ret = -ENOMEM;
		goto out;
	}
	for (; p < end; p = eol + 1) {
		eol = memchr(p, '\n', end - p) ?: end;
		line++;
		if (line == 1) {
			if (eol - p != 15 || memcmp(p, "# mstat-trace 1", 15))
				goto bad;
			continue;
		}
		if (eol == p || *p == '#')
			continue;
		if (eol - p > 6 && !memcmp(p, "cache ", 6)) {
			if (nevents || nsites || rp_cache_line(p + 6, eol))
				goto bad;
			continue;
		}
		if (eol - p > 5 && !memcmp(p, "site ", 5)) {
			if (nevents || rp_site_line(p + 5, eol))
				goto bad;
			continue;
		}
		if (rp_event_line(p, eol, live, zero))
			goto bad;
	}
	ret = nevents ? 0 : -ENODATA;
	trace_sites = nsites;
	if (!trace_sites)
		nsites = ncaches + RP_SIZE_SITES;
	goto out;
bad:
	pr_err("%s: line %u is not of trace format 1\n", trace, line);
out:
	vfree(zero);
	vfree(live);
	return ret;
}

/* ----------------------------------------------------------------- plays */

static gfp_t rp_gfp(const struct rp_event *e)
{
	/* a failure is counted in failed=, not warned about */
	return (e->flags & RP_ATOMIC ? GFP_ATOMIC : GFP_KERNEL) | __GFP_NOWARN |
	       (e->flags & RP_ZERO ? __GFP_ZERO : 0);
}

static __always_inline void *rp_do_alloc(enum rp_alloc a, const struct rp_event *e)
{
	if (e->op == RP_CACHE_ALLOC) {
		struct rp_cache *c = &caches[e->cache];

		if (a == RP_SLAB)
			return kmem_cache_alloc(c->kc, rp_gfp(e));
		if (c->mc)
			return mstat_cache_alloc_site(c->mc, rp_gfp(e), &sites[e->site].site);
		return mstat_alloc_site(c->size, rp_gfp(e), &sites[e->site].site);
	}
	if (a == RP_SLAB)
		return kmalloc(e->size, rp_gfp(e));
	return mstat_alloc_site(e->size, rp_gfp(e), &sites[e->site].site);
}

/* Typed objects go back to their cache whichever free the trace made. */
static __always_inline void rp_do_free(enum rp_alloc a, u32 id, void *p)
{
	struct rp_cache *c = kinds[id] ? &caches[kinds[id] - 1] : NULL;

	if (a == RP_SLAB) {
		if (c)
			kmem_cache_free(c->kc, p);
		else
			kfree(p);
	} else if (c && c->mc) {
		mstat_cache_free(c->mc, p);
	} else {
		mstat_free(p);
	}
}

static size_t rp_usable(enum rp_alloc a, const void *p)
{
	if (ZERO_OR_NULL_PTR(p))
		return 0;
	return a == RP_SLAB ? ksize(p) : mstat_usable_size(p);
}

/* Bytes the allocator holds from the page allocator; mstat's in its CPU caches in @cached. */
static u64 rp_held(enum rp_alloc a, u64 *cached)
{
	struct mstat_stats st;

	*cached = 0;
	if (a == RP_SLAB)
		return (global_node_page_state_pages(NR_SLAB_UNRECLAIMABLE_B) +
			global_node_page_state_pages(NR_SLAB_RECLAIMABLE_B)) << PAGE_SHIFT;
	mstat_read_stats(&st);
	*cached = st.cached_bytes;
	return st.sys_bytes;
}

static void rp_free_leftovers(enum rp_alloc a)
{
	u32 id;

	for (id = 1; id <= nallocs; id++) {
		void *p = objs[id];

		if (p && p != RP_FAILED && p != RP_DONE)
			rp_do_free(a, id, p);
		objs[id] = NULL;
		if (!(id & 1023))
			cond_resched();
	}
}

/* One thread's part of a timed play. */
static int rp_thread_fn(void *arg)
{
	struct rp_thread *t = arg;
	enum rp_alloc a = t->a;
	u64 start, wait = 0;
	u32 i;

	wait_for_completion(&rp_go);
	start = ktime_get_ns();
	for (i = 0; i < t->n; i++) {
		const struct rp_event *e = &events[t->idx[i]];
		void *p;

		if (e->op == RP_KMALLOC || e->op == RP_CACHE_ALLOC) {
			p = rp_do_alloc(a, e);
			if (unlikely(!p)) {
				p = RP_FAILED;
				t->failed++;
			}
			/* pairs with the acquire of the thread that frees it */
			smp_store_release(&objs[e->id], p);
		} else {
			/* pairs with the release of the thread that allocated it */
			p = smp_load_acquire(&objs[e->id]);
			if (unlikely(!p)) {
				u64 w = ktime_get_ns();

				/* its allocation is another thread's, not made yet */
				while (!(p = smp_load_acquire(&objs[e->id])))
					cond_resched();
				wait += ktime_get_ns() - w;
			}
			if (p != RP_FAILED)
				rp_do_free(a, e->id, p);
			WRITE_ONCE(objs[e->id], RP_DONE);
		}
		if (!(i & 255))
			cond_resched();
	}
	t->busy_ns = ktime_get_ns() - start - wait;
	/* not back into this module's text: rmmod may follow at once */
	kthread_complete_and_exit(&t->done, 0);
}

struct rp_sites {
	u64 nmalloc, nfree, live_objects, live_bytes;
	u64 unattributed;	/* allocations counted to the row of no site */
};

static struct mstat_site_stats *site_rows;

/*
 * The replay's rows summed, and the row of no site (README: an allocation
 * of a site that could not get a key, such as a new site's first one in
 * atomic context, is counted there): nothing else allocates from mstat in
 * the boots that replay.
 */
static int rp_read_sites(struct rp_sites *s)
{
	int i, n = mstat_read_sites(site_rows, RP_MAX_SITES);

	if (n < 0 || n > RP_MAX_SITES)
		return -ENOSPC;
	memset(s, 0, sizeof(*s));
	for (i = 0; i < n; i++) {
		const struct mstat_site_stats *r = &site_rows[i];
		bool none = !strcmp(r->file, "(unattributed)");

		if (!none && strcmp(r->module, KBUILD_MODNAME))
			continue;
		s->nmalloc += r->nmalloc;
		s->nfree += r->nfree;
		s->live_objects += r->live_objects;
		s->live_bytes += r->live_bytes;
		if (none)
			s->unattributed += r->nmalloc;
	}
	return 0;
}

/* mstat's statistics before a play, to check those after it against the trace. */
struct rp_before {
	struct rp_sites s;
	struct mstat_stats t;
};

static int rp_stats_before(struct rp_before *b)
{
	mstat_read_stats(&b->t);
	return rp_read_sites(&b->s);
}

/*
 * After a play of mstat, before its leftovers are freed: the sites' and the
 * summary's deltas against the trace's counts (@live: usable bytes of the
 * objects the play left live).  kmalloc(0) is ZERO_SIZE_PTR for both
 * allocators, counted by neither.
 */
static void rp_stats_check(const char *play, const struct rp_before *b, u64 live, u64 failed)
{
	u32 want_allocs = nallocs - nzero, want_frees = nfrees - nzero_frees;
	u64 want_live = want_allocs - want_frees;
	struct mstat_stats t;
	struct rp_sites s;
	bool exact;

	mstat_read_stats(&t);
	if (rp_read_sites(&s))
		return;
	exact = !failed && s.nmalloc - b->s.nmalloc == want_allocs &&
		s.nfree - b->s.nfree == want_frees &&
		s.live_objects - b->s.live_objects == want_live &&
		s.live_bytes - b->s.live_bytes == live &&
		t.nmalloc - b->t.nmalloc == want_allocs && t.nfree - b->t.nfree == want_frees &&
		t.alloc_bytes - b->t.alloc_bytes == live && t.rcu_pending == b->t.rcu_pending;
	pr_info("BENCH replay_stats trace=%s play=%s threads=%u exact=%d allocs=%u frees=%u live=%llu live_bytes=%llu site_nmalloc=%llu site_nfree=%llu site_live=%llu site_live_bytes=%llu unattributed=%llu nmalloc=%llu nfree=%llu alloc_bytes=%llu\n",
		name, play, !strcmp(play, "timed") ? nthreads : 1, exact, want_allocs, want_frees,
		want_live, live, s.nmalloc - b->s.nmalloc, s.nfree - b->s.nfree,
		s.live_objects - b->s.live_objects, s.live_bytes - b->s.live_bytes,
		s.unattributed - b->s.unattributed,
		t.nmalloc - b->t.nmalloc, t.nfree - b->t.nfree, t.alloc_bytes - b->t.alloc_bytes);
}

/* Usable bytes of the objects a play left live. */
static u64 rp_live_bytes(enum rp_alloc a)
{
	u64 live = 0;
	u32 id;

	for (id = 1; id <= nallocs; id++) {
		void *p = objs[id];

		if (p && p != RP_FAILED && p != RP_DONE)
			live += rp_usable(a, p);
	}
	return live;
}

/*
 * A timed play through @a: ns per event (x1000), waits excluded; for mstat,
 * its statistics checked after it, untimed.
 */
static u64 rp_play_timed(enum rp_alloc a, u64 *failed)
{
	struct rp_before before;
	unsigned int i;
	int cpu = -1;
	u64 busy = 0;

	if (a == RP_MSTAT && rp_stats_before(&before))
		return 0;
	reinit_completion(&rp_go);
	*failed = 0;
	/* the CPUs stay online until every thread is bound and woken */
	cpus_read_lock();
	for (i = 0; i < nthreads; i++) {
		struct rp_thread *t = &rthreads[i];

		t->a = a;
		init_completion(&t->done);
		cpu = cpumask_next(cpu, cpu_online_mask);
		t->task = cpu < nr_cpu_ids ?
			  kthread_create(rp_thread_fn, t, "mstat_replay/%u", i) : ERR_PTR(-ENODEV);
		if (IS_ERR(t->task)) {
			while (i--)	/* not woken yet: their function never runs */
				kthread_stop(rthreads[i].task);
			cpus_read_unlock();
			return 0;
		}
		kthread_bind(t->task, cpu);
	}
	for (i = 0; i < nthreads; i++)
		wake_up_process(rthreads[i].task);
	cpus_read_unlock();
	complete_all(&rp_go);
	for (i = 0; i < nthreads; i++) {
		wait_for_completion(&rthreads[i].done);
		busy += rthreads[i].busy_ns;
		*failed += rthreads[i].failed;
		rthreads[i].failed = 0;
	}
	if (a == RP_MSTAT)
		rp_stats_check("timed", &before, rp_live_bytes(a), *failed);
	rp_free_leftovers(a);
	return div64_u64(busy * 1000, nevents);
}

/*
 * The untimed play, one thread: the memory figure and, for mstat, the
 * statistics against the trace's own counts (taken before the leftovers
 * are freed).
 */
static void rp_play_memory(enum rp_alloc a)
{
	/*
	 * mstat's held is all it holds (the replay is its only user where it
	 * runs, and the warm-up's spans are ones the play needs); kmalloc's is
	 * what its slabs grew by.
	 */
	u64 cached = 0, cached_peak = 0, base = a == RP_SLAB ? rp_held(a, &cached) : 0;
	u64 held, held_peak = 0;
	u64 live = 0, live_peak = 0, failed = 0;
	struct rp_before before;
	u32 i;

	if (a == RP_MSTAT && rp_stats_before(&before))
		return;
	for (i = 0; i < nevents; i++) {
		const struct rp_event *e = &events[i];
		void *p;

		if (e->op == RP_KMALLOC || e->op == RP_CACHE_ALLOC) {
			p = rp_do_alloc(a, e);
			if (!p) {
				p = RP_FAILED;
				failed++;
			} else {
				live += rp_usable(a, p);
			}
			objs[e->id] = p;
		} else {
			p = objs[e->id];
			if (p != RP_FAILED) {
				live -= rp_usable(a, p);
				rp_do_free(a, e->id, p);
			}
			objs[e->id] = RP_DONE;
		}
		/* both peaks at the same instants: neither ratio reads low */
		if (!(i % RP_SAMPLE) || i == nevents - 1) {
			live_peak = max(live_peak, live);
			held = rp_held(a, &cached);
			held = held > base ? held - base : 0;
			if (held > held_peak) {
				held_peak = held;
				cached_peak = cached;
			}
			cond_resched();
		}
	}
	pr_info("BENCH replay_mem trace=%s alloc=%s held=%llu live=%llu cached=%llu failed=%llu\n",
		name, rp_names[a], held_peak, live_peak, cached_peak, failed);
	if (a == RP_MSTAT)
		rp_stats_check("memory", &before, live, failed);
	rp_free_leftovers(a);
}

/* ----------------------------------------------------------------- setup */

static int rp_cmp_uses(const void *a, const void *b)
{
	const struct rp_cache *x = *(const struct rp_cache * const *)a;
	const struct rp_cache *y = *(const struct rp_cache * const *)b;

	return x->uses < y->uses ? 1 : x->uses > y->uses ? -1 : 0;
}

static int rp_make_caches(unsigned int *typed)
{
	struct rp_cache **order;
	char cname[48];
	bool full = false;
	u32 i;

	order = kcalloc(ncaches ?: 1, sizeof(*order), GFP_KERNEL);
	if (!order)
		return -ENOMEM;
	for (i = 0; i < ncaches; i++)
		order[i] = &caches[i];
	sort(order, ncaches, sizeof(*order), rp_cmp_uses, NULL);
	*typed = 0;
	for (i = 0; i < ncaches; i++) {
		struct rp_cache *c = order[i];

		/* the index: two caches of one name and another size are two */
		snprintf(cname, sizeof(cname), "replay-%u-%s", (u32)(c - caches), c->name);
		c->kc = kmem_cache_create(cname, c->size, 0, 0, NULL);
		if (!c->kc) {
			kfree(order);
			return -ENOMEM;
		}
		/* mstat has room for a few typed caches: the most used get them */
		if (c->uses && !full) {
			c->mc = mstat_cache_create(cname, c->size, 0, 0, NULL);
			*typed += !!c->mc;
			full = !c->mc;
		}
	}
	kfree(order);
	return 0;
}

static void rp_destroy_caches(void)
{
	u32 i;

	for (i = 0; caches && i < ncaches; i++) {
		if (caches[i].mc)
			mstat_cache_destroy(caches[i].mc);
		kmem_cache_destroy(caches[i].kc);
	}
}

/* mstat_site_register() copies the strings: these may go with the module. */
static void rp_setup_sites(void)
{
	u32 i;

	for (i = 0; i < nsites; i++) {
		struct rp_site *rs = &sites[i];

		if (!trace_sites && i < ncaches)
			snprintf(rs->name, sizeof(rs->name), "cache-%s", caches[i].name);
		else if (!trace_sites)
			snprintf(rs->name, sizeof(rs->name), "kmalloc-%u", (i - ncaches) * 8);
		rs->site = (struct mstat_site){
			.file = trace, .function = rs->name, .modname = KBUILD_MODNAME,
			.owner = THIS_MODULE, .line = i, .last = MSTAT_SITE_NO_CLASS,
		};
	}
}

/*
 * One allocation and free at each site, as its first allocation in the
 * trace but allowed to sleep, before any play: every site is registered
 * with a key for its first class (a site's first allocation in atomic
 * context may be counted to the row of no site), and a record left by an
 * earlier load of this module with the same trace is back among the rows
 * the plays' statistics are taken against.
 */
static void rp_warm_sites(void)
{
	u32 i;

	for (i = 0; i < nsites; i++) {
		struct rp_event e;
		void *p;

		if (!sites[i].first)
			continue;
		e = events[sites[i].first - 1];
		e.flags &= ~RP_ATOMIC;
		p = rp_do_alloc(RP_MSTAT, &e);
		if (p)
			rp_do_free(RP_MSTAT, e.id, p);
	}
}

static int rp_setup_threads(void)
{
	u32 *counts, i;
	int ret = -ENOMEM;

	nthreads = clamp(threads, 1U, min_t(unsigned int, num_online_cpus(), RP_MAX_THREADS));
	rthreads = kcalloc(nthreads, sizeof(*rthreads), GFP_KERNEL);
	counts = kcalloc(nthreads, sizeof(*counts), GFP_KERNEL);
	if (!rthreads || !counts)
		goto out;
	for (i = 0; i < nevents; i++)
		counts[events[i].cpu % nthreads]++;
	for (i = 0; i < nthreads; i++) {
		rthreads[i].idx = vmalloc(array_size(counts[i] ?: 1, sizeof(u32)));
		if (!rthreads[i].idx)
			goto out;
	}
	for (i = 0; i < nevents; i++) {
		struct rp_thread *t = &rthreads[events[i].cpu % nthreads];

		t->idx[t->n++] = i;
	}
	ret = 0;
out:
	kfree(counts);
	return ret;
}

/* The whole file at @path, in a vmalloc()ed buffer. */
static ssize_t rp_read(const char *path, void **bufp)
{
	struct file *f = filp_open(path, O_RDONLY, 0);
	loff_t size, pos = 0;
	ssize_t ret;
	void *buf;

	if (IS_ERR(f))
		return PTR_ERR(f);
	size = i_size_read(file_inode(f));
	ret = -EFBIG;
	if (size > INT_MAX)
		goto out;
	ret = -ENOMEM;
	buf = vmalloc(size ?: 1);
	if (!buf)
		goto out;
	while (pos < size) {
		ret = kernel_read(f, buf + pos, size - pos, &pos);
		if (ret <= 0) {
			vfree(buf);
			ret = ret ?: -EIO;
			goto out;
		}
	}
	*bufp = buf;
	ret = size;
out:
	filp_close(f, NULL);
	return ret;
}

static int rp_run(void)
{
	u64 ns[2], failed[2];
	unsigned int typed, r, k;
	void *buf = NULL;
	ssize_t len;
	u32 id;
	int ret;

	len = rp_read(trace, &buf);
	if (len < 0) {
		pr_err("cannot read %s: %zd\n", trace, len);
		return len;
	}
	ret = rp_parse(buf, len);
	vfree(buf);
	if (ret)
		return ret;
	objs = vzalloc(array_size(nallocs + 1, sizeof(*objs)));
	kinds = vzalloc(array_size(nallocs + 1, sizeof(*kinds)));
	site_rows = vmalloc(array_size(RP_MAX_SITES, sizeof(*site_rows)));
	if (!objs || !kinds || !site_rows)
		return -ENOMEM;
	for (id = 0; id < nevents; id++)
		if (events[id].op == RP_CACHE_ALLOC)
			kinds[events[id].id] = events[id].cache + 1;
	ret = rp_make_caches(&typed);
	if (ret)
		return ret;
	rp_setup_sites();
	rp_warm_sites();
	ret = rp_setup_threads();
	if (ret)
		return ret;
	pr_info("BENCH replay trace=%s events=%u allocs=%u frees=%u caches=%u typed=%u sites=%u sites_from=%s threads=%u\n",
		name, nevents, nallocs, nfrees, ncaches, typed, nsites,
		trace_sites ? "trace" : "sizes", nthreads);

	rp_play_memory(RP_MSTAT);
	rp_play_memory(RP_SLAB);
	for (r = 0; r < min_t(unsigned int, reps, RP_MAX_REPS); r++) {
		for (k = 0; k < 2; k++) {
			enum rp_alloc a = (r + k) & 1 ? RP_SLAB : RP_MSTAT;

			ns[a] = rp_play_timed(a, &failed[a]);
			if (!ns[a])	/* a thread not made, or its CPU gone */
				return -ENODEV;
		}
		pr_info("BENCH replay_round trace=%s round=%u mstat_ps=%llu kmalloc_ps=%llu failed=%llu\n",
			name, r, ns[RP_MSTAT], ns[RP_SLAB], failed[RP_MSTAT] + failed[RP_SLAB]);
	}
	return 0;
}

static void rp_cleanup(void)
{
	unsigned int i;

	mstat_rcu_barrier();
	rp_destroy_caches();
	for (i = 0; rthreads && i < nthreads; i++)
		vfree(rthreads[i].idx);
	kfree(rthreads);
	vfree(site_rows);
	vfree(kinds);
	vfree(objs);
	vfree(sites);
	vfree(caches);
	vfree(events);
}

static int __init mstat_replay_init(void)
{
	int ret;

	if (!*trace)
		return 0;
#if !defined(MODULE) && IS_ENABLED(CONFIG_BLK_DEV_INITRD)
	/* built in (UML): the trace comes in the initramfs */
	wait_for_initramfs();
#endif
	ret = rp_run();
	rp_cleanup();
	pr_info("BENCH done mode=replay trace=%s ret=%d\n", name, ret);
	if (poweroff)
		kernel_power_off();
	return ret;
}

static void __exit mstat_replay_exit(void)
{
}

/* Built in (UML), run after mstat and mstat_bench. */
late_initcall(mstat_replay_init);
module_exit(mstat_replay_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("a recorded allocation trace played through mstat and kmalloc");

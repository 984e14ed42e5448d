// SPDX-License-Identifier: GPL-2.0
/*
 * mstat_bench: mstat_alloc()/mstat_free() against kmalloc()/kfree() and a
 * dedicated kmem_cache per size, in the same kernel and the same boot.
 * Driven by scripts/bench.py; a benchmark, never a test.
 *
 * mode=fast   fast-path patterns per size, each allocator, @reps repetitions:
 *             hot (alloc, free, repeat), batch-fifo / batch-lifo /
 *             batch-random (BATCH allocs, then free them in order, in
 *             reverse, in random order), mixed (random sizes 8..4096 with a
 *             random live set of BATCH objects); then the memory figure
 *             after the mixed workload, and the cost of one
 *             local_irq_save()/local_irq_restore() pair (see scripts/bench.py).
 * mode=scale  one thread per online CPU, each freeing and allocating
 *             random sizes for @seconds, mstat and kmalloc alternately:
 *             operations per second.  With reader=1, mstat only, the last
 *             CPU runs a thread calling mstat_read_stats() as fast as it
 *             can, one calling mstat_read_sites() so, or, as the control,
 *             one as busy that reads nothing.
 * mode=read   the cost of mstat_read_stats(), @reps x 1000 calls.
 * mode=api    the slab API's other calls, each against its kmem_cache or
 *             kfree_rcu() counterpart: the typed-cache hot pair; bulk
 *             allocation and free of batches of 16 and 64 (and mstat's
 *             single calls for as many); 10,000 RCU frees and the wait
 *             until all are freed.
 *
 * mode=none   nothing (the boots that play a trace: bench/mstat_replay.c).
 *
 * One "op" is one allocation or one free.  Lines start with "BENCH ".
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/reboot.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmstat.h>

#include <mstat.h>

#ifndef MAX_PAGE_ORDER		/* before 6.8 */
#define MAX_PAGE_ORDER	(MAX_ORDER - 1)
#endif

static char *mode = "fast";
module_param(mode, charp, 0444);
static char *variant = "percpu";
module_param(variant, charp, 0444);
static unsigned int reps = 7;
module_param(reps, uint, 0444);
static unsigned int seconds = 2;
module_param(seconds, uint, 0444);
static bool reader;
module_param(reader, bool, 0444);
/* mstat's read_gap_us, which the control imitates */
static unsigned int read_gap_us = 1000;
module_param(read_gap_us, uint, 0444);
static bool poweroff;
module_param(poweroff, bool, 0444);
/* mode=fast for this one size and pattern only (0, "": all), to profile one cell */
static unsigned int only_size;
module_param(only_size, uint, 0444);
static char *only_pattern = "";
module_param(only_pattern, charp, 0444);
/*
 * Objects of the size each allocator holds while it runs the hot pair, so
 * that the pair runs on another object: which object it is moves the
 * pair's time by up to a tenth, mstat's and kmalloc's alike (make bench
 * varies it from boot to boot, as it varies the code's placement).
 */
#define MAX_HOT_HOLD	4U
static unsigned int hot_hold;
module_param(hot_hold, uint, 0444);
/*
 * kmalloc against itself: a fourth allocator, "kmalloc-aa", the same calls
 * as "kmalloc", measured in the same rotation.  Its ratio to kmalloc is
 * what "level" reads as in this boot (make bench's A/A row).
 */
static bool aa;
module_param(aa, bool, 0444);

#define BATCH		10000
#define HOT_ITERS	200000
#define MAX_REPS	31

static const size_t sizes[] = { 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096,
				16384, 65536 };

enum bench_alloc { A_MSTAT, A_KMALLOC, A_CACHE, A_KMALLOC_AA, NR_ALLOCS };
static const char *const alloc_names[] = { "mstat", "kmalloc", "kmem_cache", "kmalloc-aa" };
#define ALL_ALLOCS	(BIT(A_MSTAT) | BIT(A_KMALLOC) | BIT(A_CACHE) | BIT(A_KMALLOC_AA))

struct bench_ctx {
	enum bench_alloc a;
	struct kmem_cache *cache;
	size_t size;
	void **objs;
	u32 *order;		/* a random permutation of 0..BATCH-1 */
	u32 *msizes;		/* random sizes for the mixed pattern */
};

static __always_inline void *b_alloc(struct bench_ctx *b, size_t size)
{
	switch (b->a) {
	case A_MSTAT:
		return mstat_alloc(size, GFP_KERNEL);
	case A_KMALLOC:
	case A_KMALLOC_AA:
		return kmalloc(size, GFP_KERNEL);
	default:
		return kmem_cache_alloc(b->cache, GFP_KERNEL);
	}
}

static __always_inline void b_free(struct bench_ctx *b, void *p)
{
	switch (b->a) {
	case A_MSTAT:
		mstat_free(p);
		break;
	case A_KMALLOC:
	case A_KMALLOC_AA:
		kfree(p);
		break;
	default:
		kmem_cache_free(b->cache, p);
	}
}

/* Returns picoseconds per op, or 0 if an allocation failed. */
static u64 run_hot(struct bench_ctx *b)
{
	unsigned int i, nheld;
	void *held[MAX_HOT_HOLD];
	u64 t0, ps = 0;

	for (nheld = 0; nheld < min(hot_hold, MAX_HOT_HOLD); nheld++) {
		held[nheld] = b_alloc(b, b->size);
		if (!held[nheld])
			goto out;
	}
	t0 = ktime_get_ns();
	for (i = 0; i < HOT_ITERS; i++) {
		void *p = b_alloc(b, b->size);

		if (!p)
			goto out;
		WRITE_ONCE(*(char *)p, 1);
		b_free(b, p);
	}
	ps = (ktime_get_ns() - t0) * 1000 / (2 * HOT_ITERS);
out:
	while (nheld)
		b_free(b, held[--nheld]);
	return ps;
}

enum batch_order { FIFO, LIFO, RANDOM };

static u64 run_batch(struct bench_ctx *b, enum batch_order how)
{
	u64 t0 = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < BATCH; i++) {
		b->objs[i] = b_alloc(b, b->size);
		if (!b->objs[i])
			return 0;
		WRITE_ONCE(*(char *)b->objs[i], 1);
	}
	for (i = 0; i < BATCH; i++) {
		unsigned int j = how == FIFO ? i : how == LIFO ? BATCH - 1 - i : b->order[i];

		b_free(b, b->objs[j]);
	}
	return (ktime_get_ns() - t0) * 1000 / (2 * BATCH);
}

static bool mixed_fill(struct bench_ctx *b)
{
	unsigned int i;

	for (i = 0; i < BATCH; i++) {
		b->objs[i] = b_alloc(b, b->msizes[i]);
		if (!b->objs[i])
			return false;
	}
	return true;
}

static void mixed_empty(struct bench_ctx *b)
{
	unsigned int i;

	for (i = 0; i < BATCH; i++)
		b_free(b, b->objs[i]);
}

/* Replace random live objects with new ones of random size. */
static u64 run_mixed(struct bench_ctx *b)
{
	unsigned int i, n = 4 * BATCH;
	u64 t0, dt;

	if (!mixed_fill(b))
		return 0;
	t0 = ktime_get_ns();
	for (i = 0; i < n; i++) {
		u32 slot = b->order[i % BATCH];

		b_free(b, b->objs[slot]);
		b->objs[slot] = b_alloc(b, b->msizes[(i * 7 + 3) % BATCH]);
		if (!b->objs[slot])
			return 0;
	}
	dt = ktime_get_ns() - t0;
	mixed_empty(b);
	return dt * 1000 / (2 * n);
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * Run @fn for the allocators in @mask, @reps times, interleaved so that
 * drift on the host shifts all of them alike, each repetition in another
 * order so that none always runs right after the same one (whose freed
 * memory the next finds in the page allocator): three allocators take
 * their six orders, four a Williams square, in which each follows every
 * other once in four repetitions.
 */
static const u8 orders3[][3] = {
	{ 0, 1, 2 }, { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 }, { 1, 0, 2 }, { 0, 2, 1 },
};

static const u8 orders4[][4] = {
	{ 0, 1, 3, 2 }, { 1, 2, 0, 3 }, { 2, 3, 1, 0 }, { 3, 0, 2, 1 },
};

static void report(struct bench_ctx *b, const char *pattern, u64 (*fn)(struct bench_ctx *),
		   unsigned long mask)
{
	u64 ps[NR_ALLOCS][MAX_REPS];
	unsigned int r, a, k, n = min_t(unsigned int, reps, MAX_REPS);
	const unsigned int nord = aa ? 4 : 3;

	if (*only_pattern && strcmp(pattern, only_pattern))
		return;
	if (!aa)
		mask &= ~BIT(A_KMALLOC_AA);

	for_each_set_bit(a, &mask, NR_ALLOCS) {	/* warm up: fill the caches and pools */
		b->a = a;
		fn(b);
	}
	for (r = 0; r < n; r++) {
		for (k = 0; k < nord; k++) {
			a = aa ? orders4[r % ARRAY_SIZE(orders4)][k] :
				 orders3[r % ARRAY_SIZE(orders3)][k];
			if (!(mask & BIT(a)))
				continue;
			b->a = a;
			ps[a][r] = fn(b);
			if (!ps[a][r]) {
				pr_err("BENCH alloc=%s pattern=%s size=%zu failed\n",
				       alloc_names[a], pattern, b->size);
				return;
			}
		}
		cond_resched();
	}
	for_each_set_bit(a, &mask, NR_ALLOCS) {
		sort(ps[a], n, sizeof(ps[a][0]), cmp_u64, NULL);
		pr_info("BENCH variant=%s alloc=%s pattern=%s size=%zu median_ps=%llu min_ps=%llu max_ps=%llu reps=%u\n",
			variant, alloc_names[a], pattern, b->size, ps[a][n / 2], ps[a][0],
			ps[a][n - 1], n);
	}
}

static u64 run_fifo(struct bench_ctx *b) { return run_batch(b, FIFO); }
static u64 run_lifo(struct bench_ctx *b) { return run_batch(b, LIFO); }
static u64 run_random(struct bench_ctx *b) { return run_batch(b, RANDOM); }

static void bench_size(struct bench_ctx *b)
{
	report(b, "hot", run_hot, ALL_ALLOCS);
	report(b, "batch-fifo", run_fifo, ALL_ALLOCS);
	report(b, "batch-lifo", run_lifo, ALL_ALLOCS);
	report(b, "batch-random", run_random, ALL_ALLOCS);
}

/*
 * One local_irq_save()/local_irq_restore() pair: on UML two calls into the
 * host side, where on x86 hardware SLUB's fast path uses an unlocked
 * cmpxchg16b instead.  The report uses it to tell how much UML's way of
 * disabling interrupts weighs in kmalloc's fast path.
 */
static void report_irq_pair(void)
{
	u64 ps[MAX_REPS], t0;
	unsigned int r, i, n = min_t(unsigned int, reps, MAX_REPS);
	unsigned long flags;

	for (r = 0; r < n; r++) {
		t0 = ktime_get_ns();
		for (i = 0; i < HOT_ITERS; i++) {
			local_irq_save(flags);
			barrier();
			local_irq_restore(flags);
		}
		ps[r] = (ktime_get_ns() - t0) * 1000 / HOT_ITERS;
	}
	sort(ps, n, sizeof(ps[0]), cmp_u64, NULL);
	pr_info("BENCH variant=%s irqpair median_ps=%llu min_ps=%llu max_ps=%llu reps=%u\n",
		variant, ps[n / 2], ps[0], ps[n - 1], n);
}

/* Memory after the mixed workload: pages held per byte handed out. */
static void report_memory(struct bench_ctx *b)
{
	unsigned long slab0, slab1, used = 0;
	struct mstat_stats st;
	unsigned int i;

	b->a = A_MSTAT;
	if (!mixed_fill(b))
		return;
	mstat_read_stats(&st);
	pr_info("BENCH variant=%s memory alloc=mstat sys_bytes=%llu alloc_bytes=%llu\n",
		variant, st.sys_bytes, st.alloc_bytes);
	mixed_empty(b);

	b->a = A_KMALLOC;
	slab0 = global_node_page_state_pages(NR_SLAB_UNRECLAIMABLE_B);
	if (!mixed_fill(b))
		return;
	slab1 = global_node_page_state_pages(NR_SLAB_UNRECLAIMABLE_B);
	for (i = 0; i < BATCH; i++)
		used += ksize(b->objs[i]);
	pr_info("BENCH variant=%s memory alloc=kmalloc sys_bytes=%lu alloc_bytes=%lu\n",
		variant, (slab1 - slab0) << PAGE_SHIFT, used);
	mixed_empty(b);
}

/*
 * Touch every free page once before measuring.  Under UML the kernel's
 * memory is a host mapping that faults in on first touch (a host page fault
 * and a zeroed page, microseconds): without this, whichever allocator first
 * reaches fresh memory pays for it, and which one that is depends on what
 * the page allocator happens to hand out.  Harmless elsewhere.
 */
static void prefault_free_memory(void)
{
	unsigned int order = MAX_PAGE_ORDER;
	LIST_HEAD(pages);
	struct page *page, *tmp;
	unsigned long i, n = 0;

	while ((page = alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, order))) {
		for (i = 0; i < 1UL << order; i++)
			WRITE_ONCE(*(char *)page_address(page + i), 0);
		list_add(&page->lru, &pages);
		n++;
	}
	list_for_each_entry_safe(page, tmp, &pages, lru)
		__free_pages(page, order);
	pr_info("BENCH prefaulted %lu MiB\n", (n << order) >> (20 - PAGE_SHIFT));
}

static int bench_fast(void)
{
	struct bench_ctx b = { };
	unsigned int i, s;
	int ret = -ENOMEM;

	b.objs = kvcalloc(BATCH, sizeof(*b.objs), GFP_KERNEL);
	b.order = kvcalloc(BATCH, sizeof(*b.order), GFP_KERNEL);
	b.msizes = kvcalloc(BATCH, sizeof(*b.msizes), GFP_KERNEL);
	if (!b.objs || !b.order || !b.msizes)
		goto out;
	for (i = 0; i < BATCH; i++) {
		u32 j = get_random_u32() % (i + 1);

		b.order[i] = b.order[j];
		b.order[j] = i;
		b.msizes[i] = 8 + get_random_u32() % 4089;
	}
	prefault_free_memory();

	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		if (only_size && sizes[s] != only_size)
			continue;
		b.size = sizes[s];
		b.cache = kmem_cache_create("mstat_bench", b.size, 0, 0, NULL);
		if (!b.cache)
			goto out;
		bench_size(&b);
		kmem_cache_destroy(b.cache);
		b.cache = NULL;
	}
	b.size = 0;
	/* kmem_cache has one size */
	report(&b, "mixed", run_mixed, ALL_ALLOCS & ~BIT(A_CACHE));
	report_memory(&b);
	report_irq_pair();
	ret = 0;
out:
	kvfree(b.objs);
	kvfree(b.order);
	kvfree(b.msizes);
	return ret;
}

/* ---- scaling: every online CPU at once ---- */

struct scale_thread {
	struct task_struct *task;
	enum bench_alloc a;
	u64 ops;
	unsigned int cpu;
};

static DECLARE_COMPLETION(scale_go);
static atomic_t scale_stop = ATOMIC_INIT(0);

static int scale_fn(void *arg)
{
	struct scale_thread *t = arg;
	struct bench_ctx b = { .a = t->a };
	void *keep[64] = { };
	u32 r = get_random_u32();
	u64 ops = 0;

	wait_for_completion(&scale_go);
	while (!atomic_read(&scale_stop)) {
		unsigned int k = r % ARRAY_SIZE(keep);

		r = r * 1103515245 + 12345;
		b_free(&b, keep[k]);	/* NULL-safe for both */
		keep[k] = b_alloc(&b, 8 + (r >> 16) % 1024);
		ops += 2;
		if ((ops & 1023) == 0)
			cond_resched();
	}
	for (r = 0; r < ARRAY_SIZE(keep); r++)
		b_free(&b, keep[r]);
	t->ops = ops;
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

enum third { THIRD_NONE, THIRD_BUSY, THIRD_READER, THIRD_SITES };
static const char *const third_names[] = { "none", "busy", "reader", "sites" };

/* What the control reads instead of the counters: the same amount, its own. */
#define CONTROL_WORDS	(8 * 256)
static u64 control_words[CONTROL_WORDS];
static DEFINE_MUTEX(control_lock);

static u64 control_read(void)
{
	unsigned int i, cpu, n = min_t(unsigned int, num_possible_cpus(), 8) * 256;
	u64 sum = 0;

	cpus_read_lock();
	mutex_lock(&control_lock);
	for (cpu = 0; cpu < 2; cpu++)	/* two passes, like a real read */
		for (i = 0; i < n; i++)
			sum += READ_ONCE(control_words[i]);
	mutex_unlock(&control_lock);
	cpus_read_unlock();
	return sum;
}

/*
 * The extra thread on the last CPU: a reader calling mstat_read_stats() (or
 * mstat_read_sites()) as fast as it can, or, as the control, a thread doing the same amount of
 * work (locks and reads, then the wait a paced read makes) on memory of
 * its own, so that only the touching of the allocating CPUs' counters
 * differs.
 */
static struct mstat_site_stats site_rows[64];

static int third_fn(void *arg)
{
	struct mstat_stats st;
	u64 *count = arg;
	enum third what = *count;

	*count = 0;
	wait_for_completion(&scale_go);
	while (!atomic_read(&scale_stop)) {
		if (what == THIRD_READER) {
			mstat_read_stats(&st);
		} else if (what == THIRD_SITES) {
			mstat_read_sites(site_rows, ARRAY_SIZE(site_rows));
		} else {
			WRITE_ONCE(control_words[0], control_read());
			/* and waits as a paced read does (mstat's read_gap_us) */
			fsleep(read_gap_us);
		}
		(*count)++;
		cond_resched();
	}
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

static void scale_run(enum bench_alloc a, enum third third)
{
	struct scale_thread t[8] = { };
	struct task_struct *extra = NULL;
	unsigned int n = 0, cpu, i, last = 0, nalloc;
	u64 total = 0, count = third;

	for_each_online_cpu(cpu)
		last = cpu;
	nalloc = min_t(unsigned int, num_online_cpus() - (third != THIRD_NONE),
		       ARRAY_SIZE(t));
	reinit_completion(&scale_go);
	atomic_set(&scale_stop, 0);
	for_each_online_cpu(cpu) {
		if (n == nalloc)
			break;
		t[n].a = a;
		t[n].cpu = cpu;
		t[n].task = kthread_create(scale_fn, &t[n], "mstat_bench/%u", cpu);
		if (IS_ERR(t[n].task))
			break;
		kthread_bind(t[n].task, cpu);
		wake_up_process(t[n].task);
		n++;
	}
	if (third != THIRD_NONE) {
		extra = kthread_create(third_fn, &count, "mstat_bench_%s", third_names[third]);
		if (IS_ERR(extra)) {
			extra = NULL;
		} else {
			kthread_bind(extra, last);
			wake_up_process(extra);
		}
	}
	complete_all(&scale_go);
	msleep(seconds * 1000);
	atomic_set(&scale_stop, 1);
	for (i = 0; i < n; i++) {
		kthread_stop(t[i].task);
		total += t[i].ops;
	}
	if (extra)
		kthread_stop(extra);
	pr_info("BENCH variant=%s scale alloc=%s cpus=%u third=%s ops_per_sec=%llu third_loops=%llu\n",
		variant, alloc_names[a], n, third_names[third], div_u64(total, seconds), count);
}

static void bench_scale(void)
{
	unsigned int i;

	if (reader) {
		/*
		 * Each reader's run between two runs of the same-work control on
		 * the last CPU: under TCG throughput drifts within a boot, and
		 * bench.py compares each reader's run with the mean of its two.
		 */
		for (i = 0; i < 7; i++) {
			scale_run(A_MSTAT, THIRD_BUSY);
			scale_run(A_MSTAT, THIRD_READER);
			scale_run(A_MSTAT, THIRD_BUSY);
			scale_run(A_MSTAT, THIRD_SITES);
		}
		scale_run(A_MSTAT, THIRD_BUSY);
		return;
	}
	scale_run(A_MSTAT, THIRD_NONE);
	scale_run(A_KMALLOC, THIRD_NONE);
	scale_run(A_MSTAT, THIRD_NONE);
	scale_run(A_KMALLOC, THIRD_NONE);
}

static void bench_read(void)
{
	struct mstat_stats st;
	u64 ns[MAX_REPS];
	unsigned int r, i, n = min_t(unsigned int, reps, MAX_REPS);

	for (r = 0; r < n; r++) {
		u64 t0 = ktime_get_ns();

		for (i = 0; i < 1000; i++)
			mstat_read_stats(&st);
		ns[r] = (ktime_get_ns() - t0) / 1000;
	}
	sort(ns, n, sizeof(ns[0]), cmp_u64, NULL);
	pr_info("BENCH variant=%s read cpus_possible=%u median_ns=%llu min_ns=%llu max_ns=%llu\n",
		variant, num_possible_cpus(), ns[n / 2], ns[0], ns[n - 1]);
}

/* ---- the slab API's other calls: typed caches, bulk, RCU frees ---- */

/*
 * One measured way of doing a thing, and what it works on: a typed cache
 * and a kmem_cache of @size, a batch of @n objects.
 */
struct api_ctx {
	struct mstat_cache *mc;
	struct kmem_cache *kc;
	size_t size;
	unsigned int n;
	void **objs;
};

struct api_way {
	const char *name;
	u64 (*fn)(struct api_ctx *x);	/* ps per object, or 0 if it failed */
};

static u64 api_typed_hot(struct api_ctx *x)
{
	u64 t0 = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < HOT_ITERS; i++) {
		void *p = mstat_cache_alloc(x->mc, GFP_KERNEL);

		if (!p)
			return 0;
		WRITE_ONCE(*(char *)p, 1);
		mstat_cache_free(x->mc, p);
	}
	return (ktime_get_ns() - t0) * 1000 / (2 * HOT_ITERS);
}

static u64 api_kmem_cache_hot(struct api_ctx *x)
{
	u64 t0 = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < HOT_ITERS; i++) {
		void *p = kmem_cache_alloc(x->kc, GFP_KERNEL);

		if (!p)
			return 0;
		WRITE_ONCE(*(char *)p, 1);
		kmem_cache_free(x->kc, p);
	}
	return (ktime_get_ns() - t0) * 1000 / (2 * HOT_ITERS);
}

/*
 * Bulk ways: @n objects allocated by @alloc, then freed by @free,
 * HOT_ITERS / @n times; ps per object and operation, or 0 if @alloc failed.
 */
static u64 api_bulk_run(struct api_ctx *x, bool (*alloc)(struct api_ctx *x),
			void (*free)(struct api_ctx *x))
{
	unsigned int r, rounds = HOT_ITERS / x->n;
	u64 t0 = ktime_get_ns();

	for (r = 0; r < rounds; r++) {
		if (!alloc(x))
			return 0;
		free(x);
	}
	return (ktime_get_ns() - t0) * 1000 / (2ULL * rounds * x->n);
}

static bool api_single_alloc(struct api_ctx *x)
{
	unsigned int i;

	for (i = 0; i < x->n; i++) {
		x->objs[i] = mstat_alloc(x->size, GFP_KERNEL);
		if (!x->objs[i]) {
			while (i)
				mstat_free(x->objs[--i]);
			return false;
		}
	}
	return true;
}

static void api_single_free(struct api_ctx *x)
{
	unsigned int i;

	for (i = 0; i < x->n; i++)
		mstat_free(x->objs[i]);
}

static bool api_bulk_alloc(struct api_ctx *x)
{
	return mstat_alloc_bulk(x->size, GFP_KERNEL, x->n, x->objs);
}

static void api_bulk_free(struct api_ctx *x)
{
	mstat_free_bulk(x->n, x->objs);
}

static bool api_typed_bulk_alloc(struct api_ctx *x)
{
	return mstat_cache_alloc_bulk(x->mc, GFP_KERNEL, x->n, x->objs);
}

static void api_typed_bulk_free(struct api_ctx *x)
{
	mstat_cache_free_bulk(x->mc, x->n, x->objs);
}

static bool api_kc_bulk_alloc(struct api_ctx *x)
{
	return kmem_cache_alloc_bulk(x->kc, GFP_KERNEL, x->n, x->objs);
}

static void api_kc_bulk_free(struct api_ctx *x)
{
	kmem_cache_free_bulk(x->kc, x->n, x->objs);
}

static u64 api_mstat_single(struct api_ctx *x)
{
	return api_bulk_run(x, api_single_alloc, api_single_free);
}

static u64 api_mstat_bulk(struct api_ctx *x)
{
	return api_bulk_run(x, api_bulk_alloc, api_bulk_free);
}

static u64 api_typed_bulk(struct api_ctx *x)
{
	return api_bulk_run(x, api_typed_bulk_alloc, api_typed_bulk_free);
}

static u64 api_kmem_cache_bulk(struct api_ctx *x)
{
	return api_bulk_run(x, api_kc_bulk_alloc, api_kc_bulk_free);
}

/*
 * RCU frees: @n objects (allocated before the clock starts) freed after a
 * grace period, and the wait until every one of them is really freed: ps
 * per object, the wait included.
 */
struct api_rcu_obj {
	struct rcu_head rcu;
};

static u64 api_mstat_rcu(struct api_ctx *x)
{
	unsigned int i;
	u64 t0;

	for (i = 0; i < x->n; i++) {
		x->objs[i] = mstat_alloc(x->size, GFP_KERNEL);
		if (!x->objs[i]) {
			while (i)
				mstat_free(x->objs[--i]);
			return 0;
		}
	}
	t0 = ktime_get_ns();
	for (i = 0; i < x->n; i++) {
		struct api_rcu_obj *o = x->objs[i];

		mstat_free_rcu(o, rcu);
	}
	mstat_rcu_barrier();
	return (ktime_get_ns() - t0) * 1000 / x->n;
}

static u64 api_kfree_rcu(struct api_ctx *x)
{
	unsigned int i;
	u64 t0;

	for (i = 0; i < x->n; i++) {
		x->objs[i] = kmalloc(x->size, GFP_KERNEL);
		if (!x->objs[i]) {
			while (i)
				kfree(x->objs[--i]);
			return 0;
		}
	}
	t0 = ktime_get_ns();
	for (i = 0; i < x->n; i++) {
		struct api_rcu_obj *o = x->objs[i];

		kfree_rcu(o, rcu);
	}
#ifdef MSTAT_HAVE_KVFREE_RCU_BARRIER
	kvfree_rcu_barrier();	/* every batch freed, as mstat_rcu_barrier() waits */
#else
	rcu_barrier();		/* before 6.12: the grace period only */
#endif
	return (ktime_get_ns() - t0) * 1000 / x->n;
}

/* @nways ways, @reps times, each repetition starting with the next way. */
static void api_report(struct api_ctx *x, const char *pattern, const struct api_way *ways,
		       unsigned int nways)
{
	u64 ps[4][MAX_REPS];
	unsigned int r, k, w, n = min_t(unsigned int, reps, MAX_REPS);

	for (w = 0; w < nways; w++)	/* warm up */
		ways[w].fn(x);
	for (r = 0; r < n; r++) {
		for (k = 0; k < nways; k++) {
			w = (r + k) % nways;
			ps[w][r] = ways[w].fn(x);
			if (!ps[w][r]) {
				pr_err("BENCH alloc=%s pattern=%s size=%zu failed\n",
				       ways[w].name, pattern, x->size);
				return;
			}
		}
		cond_resched();
	}
	for (w = 0; w < nways; w++) {
		sort(ps[w], n, sizeof(ps[w][0]), cmp_u64, NULL);
		pr_info("BENCH variant=%s alloc=%s pattern=%s size=%zu batch=%u median_ps=%llu min_ps=%llu max_ps=%llu reps=%u\n",
			variant, ways[w].name, pattern, x->size, x->n, ps[w][n / 2], ps[w][0],
			ps[w][n - 1], n);
	}
}

static const struct api_way api_hot[] = {
	{ "mstat_cache", api_typed_hot }, { "kmem_cache", api_kmem_cache_hot },
};

static const struct api_way api_bulk[] = {
	{ "mstat-bulk", api_mstat_bulk }, { "mstat-single", api_mstat_single },
	{ "mstat_cache-bulk", api_typed_bulk }, { "kmem_cache-bulk", api_kmem_cache_bulk },
};

static const struct api_way api_rcu[] = {
	{ "mstat_free_rcu", api_mstat_rcu }, { "kfree_rcu", api_kfree_rcu },
};

#define API_RCU_OBJS	10000

static int bench_api(void)
{
	static const unsigned int batches[] = { 16, 64 };
	struct api_ctx x = { };
	unsigned int s, b;
	int ret = -ENOMEM;

	x.objs = kvcalloc(API_RCU_OBJS, sizeof(*x.objs), GFP_KERNEL);
	if (!x.objs)
		return ret;
	prefault_free_memory();
	for (s = 0; s < ARRAY_SIZE(sizes) && sizes[s] <= 4096; s++) {
		x.size = sizes[s];
		x.mc = mstat_cache_create("mstat_bench", x.size, 0, 0, NULL);
		x.kc = kmem_cache_create("mstat_bench", x.size, 0, 0, NULL);
		if (!x.mc || !x.kc)
			goto out;
		x.n = 1;
		api_report(&x, "typed-hot", api_hot, ARRAY_SIZE(api_hot));
		for (b = 0; b < ARRAY_SIZE(batches); b++) {
			x.n = batches[b];
			api_report(&x, "bulk", api_bulk, ARRAY_SIZE(api_bulk));
		}
		mstat_cache_destroy(x.mc);
		kmem_cache_destroy(x.kc);
		x.mc = NULL;
		x.kc = NULL;
	}
	x.size = 64;
	x.n = API_RCU_OBJS;
	api_report(&x, "rcu", api_rcu, ARRAY_SIZE(api_rcu));
	ret = 0;
out:
	if (x.mc)
		mstat_cache_destroy(x.mc);
	kmem_cache_destroy(x.kc);
	kvfree(x.objs);
	return ret;
}

static int __init mstat_bench_init(void)
{
	int ret = 0;

	if (!strcmp(mode, "fast"))
		ret = bench_fast();
	else if (!strcmp(mode, "scale"))
		bench_scale();
	else if (!strcmp(mode, "read"))
		bench_read();
	else if (!strcmp(mode, "api"))
		ret = bench_api();
	else if (!strcmp(mode, "none"))	/* UML boots that run mstat_replay */
		ret = 0;
	else
		ret = -EINVAL;
	pr_info("BENCH done mode=%s ret=%d\n", mode, ret);
	if (poweroff)
		kernel_power_off();
	return ret;
}

static void __exit mstat_bench_exit(void)
{
}

/* Built in (UML), run after mstat itself is up. */
late_initcall(mstat_bench_init);
module_exit(mstat_bench_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mstat against kmalloc, side by side");

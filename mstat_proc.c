// SPDX-License-Identifier: GPL-2.0
/*
 * mstat statistics reader: sums the per-CPU counters and prints
 * /proc/mstat.
 *
 * The format follows /proc/vmstat and /proc/slabinfo: a version line,
 * "name value" lines that later versions only append to, then a class
 * table and a CPU table, each led by a "# " legend naming its columns.
 */
#include <linux/cpu.h>
#include <linux/export.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/slab.h>

#include <mstat.h>
#include "mstat_internal.h"

#define MSTAT_FORMAT_VERSION	1

/**
 * mstat_counters_add - add one set of counters into another
 * @sum: the running sum
 * @c: counters to add, not being written meanwhile
 */
void mstat_counters_add(struct mstat_counters *sum, const struct mstat_counters *c)
{
	const u64 *src = (const u64 *)c;
	u64 *dst = mstat_counter_array(sum);
	unsigned int i;

	for (i = 0; i < MSTAT_NR_COUNTERS; i++)
		dst[i] += src[i];
}

u64 mstat_nmalloc(const struct mstat_counters *c)
{
	u64 n = c->large_nmalloc;
	unsigned int cls;

	for (cls = 0; cls < MSTAT_NR_CLASSES; cls++)
		n += c->nmalloc[cls];
	return n;
}

u64 mstat_nfree(const struct mstat_counters *c)
{
	u64 n = c->large_nfree;
	unsigned int cls;

	for (cls = 0; cls < MSTAT_NR_CLASSES; cls++)
		n += c->nfree[cls];
	return n;
}

/* The typed classes' sizes and the retypings' bytes, for a read just made. */
static void mstat_read_sizes(struct mstat_totals *t)
{
	unsigned int i;

	for (i = 0; i < MSTAT_MAX_TYPED; i++)
		t->typed_size[i] = mstat_classes[MSTAT_NR_SIZES + i].size;
	t->retyped_bytes = mstat_retyped_bytes();
}

/* Usable bytes of @nobjs objects of class @cls, at the size read @t took. */
u64 mstat_read_class_bytes(const struct mstat_totals *t, unsigned int cls, u64 nobjs)
{
	if (cls >= MSTAT_NR_SIZES)
		return nobjs * t->typed_size[cls - MSTAT_NR_SIZES];
	return mstat_class_bytes(cls, nobjs);
}

/* Net bytes of @c (read @t's totals or one of its rows): its allocations' less its frees'. */
static s64 mstat_net_bytes(const struct mstat_totals *t, const struct mstat_counters *c)
{
	u64 bytes = c->large_alloc_bytes - c->large_free_bytes;
	unsigned int cls;

	for (cls = 0; cls < MSTAT_NR_CLASSES; cls++)
		bytes += mstat_read_class_bytes(t, cls, c->nmalloc[cls] - c->nfree[cls]);
	return bytes;
}

/* Bytes of @n[cls] objects per class, as @t reads the classes' sizes. */
static u64 mstat_class_sum_bytes(const struct mstat_totals *t, const u64 *n)
{
	unsigned int cls;
	u64 bytes = 0;

	for (cls = 0; cls < MSTAT_NR_CLASSES; cls++)
		bytes += mstat_read_class_bytes(t, cls, n[cls]);
	return bytes;
}

u64 mstat_total_alloc_bytes(const struct mstat_totals *t)
{
	return t->sum.large_alloc_bytes + t->retyped_bytes +
	       mstat_class_sum_bytes(t, t->sum.nmalloc);
}

u64 mstat_total_free_bytes(const struct mstat_totals *t)
{
	return t->sum.large_free_bytes + t->retyped_bytes +
	       mstat_class_sum_bytes(t, t->sum.nfree);
}

/* Add counters [@from, @to) of @c to @t's sum and, if given, to @row's. */
static void mstat_read_range(struct mstat_totals *t, struct mstat_totals *row,
			     struct mstat_pcpu *c, unsigned int from, unsigned int to)
{
	const u64 *src = mstat_counter_array(&c->stats);
	u64 *sum = mstat_counter_array(&t->sum);
	unsigned long flags;
	unsigned int i;

	/* the large objects' counts with their bytes */
	raw_spin_lock_irqsave(&c->large_lock, flags);
	for (i = from; i < to; i++) {
		u64 v = READ_ONCE(src[i]);

		sum[i] += v;
		if (row)
			mstat_counter_array(&row->sum)[i] += v;
	}
	raw_spin_unlock_irqrestore(&c->large_lock, flags);
}

/*
 * The second pass over one cache that works meanwhile: its allocations
 * per class, added to @sum and @row, and its cached_bytes from its
 * counters (struct mstat_counters), returned.  The frees are read again,
 * last, after what takes objects out, so that the frees between a read's
 * two passes count (the first pass's would miss them).  Off by the
 * objects that move while the cache is read.
 */
static noinline u64 mstat_read_cache_second(const struct mstat_pcpu *c, unsigned int nkeys,
					    u64 *sum, u64 *row)
{
	u64 keys[MSTAT_NR_CLASSES] = { };	/* nmalloc, then nfree */
	s64 held[MSTAT_NR_CLASSES];
	unsigned int cls;
	u64 bytes = 0;

	for (cls = 0; cls < MSTAT_NR_CLASSES; cls++)
		held[cls] = READ_ONCE(c->stats.nrefill_objs[cls]) -
			    READ_ONCE(c->stats.nflush_objs[cls]);
	mstat_read_keys(c, nkeys, false, keys, NULL);
	for (cls = 0; cls < MSTAT_NR_CLASSES; cls++) {
		sum[cls] += keys[cls];
		if (row)
			row[cls] += keys[cls];
		held[cls] -= keys[cls];
		keys[cls] = 0;
	}
	/* nfree after: a free is not missed for an allocation it came before */
	smp_rmb();
	mstat_read_keys(c, nkeys, true, keys, NULL);
	for (cls = 0; cls < MSTAT_NR_CLASSES; cls++) {
		s64 n = held[cls] + keys[cls];

		if (n > 0)
			bytes += mstat_class_bytes(cls, n);
	}
	return bytes;
}

/**
 * mstat_read_caches - read the counters of a set of caches consistently
 * @t: filled with the totals
 * @rows: if not NULL, an array of @n / @per_row filled with the part of
 *	each run of @per_row caches (a CPU's task and irq caches, say)
 * @caches: the caches, owned by CPUs that may be counting meanwhile; NULL
 *	entries are skipped
 * @n: number of entries in @caches
 * @per_row: caches summed into one row
 *
 * A plain sum over CPUs is not a snapshot: an object allocated on CPU A
 * after A was read, and freed on CPU B before B is read, would be counted
 * freed but never allocated.  So the read takes two passes.  The first
 * takes every free counter (each key's nfree, large_nfree,
 * large_free_bytes) of every cache; the second, after smp_rmb(), every
 * other counter.  The small objects' counts of each class are the sums
 * of its keys' (mstat_read_keys()), over the keys made when the read
 * began: an object counted to a later key is neither allocated nor freed
 * in this read.  A free counter
 * is written with release semantics (mstat_stat_add_free()), after the
 * allocation it follows was counted on the same CPU or on one that handed
 * the object over, so the second pass sees every allocation whose free the
 * first saw (litmus/ has the argument for the memory model).  Hence,
 * in every read, per class and in total: nfree <= nmalloc, bytes freed <=
 * bytes allocated, and the rows' counters (read once each) sum to the
 * totals (cached_bytes, a gauge, only at rest).  The
 * writers pay no sequence count, no atomic and, on x86, no fence.  What a
 * read gives up is a single instant: allocations made during the read may
 * be counted whose frees are not, which is a state the allocator really
 * was in between the two passes.
 *
 * The caller must keep donations out (cpus_read_lock()) for the counters
 * to be monotonic from one read to the next.
 */
void mstat_read_caches(struct mstat_totals *t, struct mstat_totals *rows,
		       struct mstat_pcpu *const *caches, unsigned int n,
		       unsigned int per_row)
{
	unsigned int i, nkeys = mstat_nr_keys_read();

	memset(t, 0, sizeof(*t));
	if (rows)
		memset(rows, 0, n / per_row * sizeof(*rows));
	for (i = 0; i < n; i++) {
		struct mstat_totals *row = rows ? &rows[i / per_row] : NULL;

		if (!caches[i])
			continue;
		mstat_read_range(t, row, caches[i], 0, MSTAT_NR_FREE_COUNTERS);
		mstat_read_keys(caches[i], nkeys, true, t->sum.nfree, row ? row->sum.nfree : NULL);
		mstat_read_step(1, i);
	}
	/* Pairs with the release that made each free follow its allocation. */
	smp_rmb();
	for (i = 0; i < n; i++) {
		struct mstat_totals *row = rows ? &rows[i / per_row] : NULL;
		u64 cached;

		if (!caches[i])
			continue;
		mstat_read_range(t, row, caches[i], MSTAT_NR_FREE_COUNTERS, MSTAT_NR_COUNTERS);
		cached = mstat_read_cache_second(caches[i], nkeys, t->sum.nmalloc,
						 row ? row->sum.nmalloc : NULL);
		t->cached_bytes += cached;
		if (row)
			row->cached_bytes += cached;
		mstat_read_step(2, i);
	}
	t->sys_bytes = mstat_span_bytes() + t->sum.large_alloc_bytes - t->sum.large_free_bytes;
	t->nbad_ptr = mstat_nmistakes(MSTAT_BAD_POINTER);
	t->ndouble_free = mstat_nmistakes(MSTAT_DOUBLE_FREE);
	t->nwrite_after_free = mstat_nmistakes(MSTAT_CORRUPT_FREE);
	t->nredzone = mstat_nmistakes(MSTAT_REDZONE);
}

/* mstat_collect() between mstat_collect_begin() and mstat_collect_end() */
static void mstat_collect_locked(struct mstat_totals *t, struct mstat_totals *cpus)
{
	unsigned int cpu;

	mstat_read_caches(t, cpus, mstat_cpu_caches, nr_cpu_ids * MSTAT_NR_CTX,
			  MSTAT_NR_CTX);
	/* under the same lock as a retyping: the sizes the counts were made at */
	mstat_read_sizes(t);
	/* under the same lock: a row says online only with its CPU's own counts */
	for_each_possible_cpu(cpu) {
		if (cpus)
			cpus[cpu].online = cpu_online(cpu);
	}
}

/**
 * mstat_collect - read the statistics of every possible CPU
 * @t: filled with the totals
 * @cpus: if not NULL, an array of nr_cpu_ids filled with each CPU's part,
 *	from the same reads the totals are summed from
 *
 * Holds cpus_read_lock(): a donation runs under the hotplug lock held for
 * writing, so it is seen either wholly or not at all.  Paced (read_gap_us):
 * may wait before it reads.  May sleep.
 */
void mstat_collect(struct mstat_totals *t, struct mstat_totals *cpus)
{
	mstat_collect_begin();
	mstat_collect_locked(t, cpus);
	mstat_collect_end();
}

/**
 * mstat_collect_killable - mstat_collect() for a reader a fatal signal may stop
 * @t: filled with the totals
 * @cpus: as for mstat_collect()
 *
 * Return: 0, or -EINTR (nothing read).
 */
int mstat_collect_killable(struct mstat_totals *t, struct mstat_totals *cpus)
{
	int ret = mstat_collect_begin_killable();

	if (ret)
		return ret;
	mstat_collect_locked(t, cpus);
	mstat_collect_end();
	return 0;
}

/* The summary of a read, as /proc/mstat and mstat_read_stats() give it. */
static void mstat_fill_stats(struct mstat_stats *st, const struct mstat_totals *t)
{
	const struct mstat_counters *s = &t->sum;

	st->total_alloc_bytes = mstat_total_alloc_bytes(t);
	st->total_free_bytes = mstat_total_free_bytes(t);
	st->alloc_bytes = st->total_alloc_bytes - st->total_free_bytes;
	st->sys_bytes = t->sys_bytes;
	st->cached_bytes = t->cached_bytes;
	st->nmalloc = mstat_nmalloc(s);
	st->nfree = mstat_nfree(s);
	st->live_objects = st->nmalloc - st->nfree;
	st->large_nmalloc = s->large_nmalloc;
	st->large_nfree = s->large_nfree;
	st->large_alloc_bytes = s->large_alloc_bytes - s->large_free_bytes;
	st->nrefill = s->nrefill;
	st->nflush = s->nflush;
	st->cpu_donations = s->ndonations;
	st->bad_pointers = t->nbad_ptr;
	st->double_frees = t->ndouble_free;
	st->write_after_free = t->nwrite_after_free;
	st->redzone_errors = t->nredzone;
	st->nreclaim = s->nreclaim;
	st->reclaimed_bytes = s->reclaimed_bytes;
	st->rcu_pending = s->rcu_queued - s->rcu_freed;
}

/* mstat_read_stats() reads into this rather than onto a caller's stack. */
static DEFINE_MUTEX(mstat_stats_lock);
static struct mstat_totals mstat_stats_buf;

/**
 * mstat_read_stats - read mstat's statistics
 * @st: filled with one consistent read, the same /proc/mstat prints
 *
 * Costs the allocating CPUs nothing: see mstat_read_caches() for how the
 * read is made consistent.  May sleep.
 */
void mstat_read_stats(struct mstat_stats *st)
{
	mutex_lock(&mstat_stats_lock);
	mstat_collect(&mstat_stats_buf, NULL);
	mstat_fill_stats(st, &mstat_stats_buf);
	mutex_unlock(&mstat_stats_lock);
}
EXPORT_SYMBOL_GPL(mstat_read_stats);

static void mstat_show_totals(struct seq_file *m, const struct mstat_totals *t)
{
	struct mstat_stats st;

	mstat_fill_stats(&st, t);
	seq_printf(m, "mstat version %d\n", MSTAT_FORMAT_VERSION);
	seq_printf(m, "alloc_bytes %llu\n", st.alloc_bytes);
	seq_printf(m, "total_alloc_bytes %llu\n", st.total_alloc_bytes);
	seq_printf(m, "total_free_bytes %llu\n", st.total_free_bytes);
	seq_printf(m, "sys_bytes %llu\n", st.sys_bytes);
	seq_printf(m, "cached_bytes %llu\n", st.cached_bytes);
	seq_printf(m, "nmalloc %llu\n", st.nmalloc);
	seq_printf(m, "nfree %llu\n", st.nfree);
	seq_printf(m, "live_objects %llu\n", st.live_objects);
	seq_printf(m, "large_nmalloc %llu\n", st.large_nmalloc);
	seq_printf(m, "large_nfree %llu\n", st.large_nfree);
	seq_printf(m, "large_alloc_bytes %llu\n", st.large_alloc_bytes);
	seq_printf(m, "nrefill %llu\n", st.nrefill);
	seq_printf(m, "nflush %llu\n", st.nflush);
	seq_printf(m, "cpu_donations %llu\n", st.cpu_donations);
	seq_printf(m, "bad_pointers %llu\n", st.bad_pointers);
	seq_printf(m, "nr_classes %u\n", MSTAT_NR_CLASSES);
	seq_printf(m, "double_frees %llu\n", st.double_frees);
	seq_printf(m, "write_after_free %llu\n", st.write_after_free);
	seq_printf(m, "redzone_errors %llu\n", st.redzone_errors);
	seq_printf(m, "nreclaim %llu\n", st.nreclaim);
	seq_printf(m, "reclaimed_bytes %llu\n", st.reclaimed_bytes);
	seq_printf(m, "rcu_pending %llu\n", st.rcu_pending);
}

static void mstat_show_classes(struct seq_file *m, const struct mstat_totals *t)
{
	const struct mstat_counters *s = &t->sum;
	unsigned int cls;

	seq_puts(m, "# class size nmalloc nfree live_objects alloc_bytes\n");
	for (cls = 0; cls < MSTAT_NR_CLASSES; cls++) {
		u64 live = s->nmalloc[cls] - s->nfree[cls];

		seq_printf(m, "class%u %llu %llu %llu %llu %llu\n", cls,
			   mstat_read_class_bytes(t, cls, 1), s->nmalloc[cls], s->nfree[cls],
			   live, mstat_read_class_bytes(t, cls, live));
	}
}

static void mstat_show_cpus(struct seq_file *m, const struct mstat_totals *t,
			    const struct mstat_totals *cpus)
{
	unsigned int cpu;

	seq_puts(m, "# cpu online nmalloc nfree alloc_bytes cached_bytes nrefill nflush\n");
	for_each_possible_cpu(cpu) {
		const struct mstat_counters *c = &cpus[cpu].sum;

		/* A CPU frees what others allocated: its alloc_bytes may be < 0. */
		seq_printf(m, "cpu%u %d %llu %llu %lld %llu %llu %llu\n", cpu,
			   cpus[cpu].online, mstat_nmalloc(c), mstat_nfree(c),
			   mstat_net_bytes(t, c), cpus[cpu].cached_bytes, c->nrefill, c->nflush);
	}
}

/**
 * mstat_render - print one read as /proc/mstat
 * @m: the seq_file
 * @t: the totals of the read
 * @cpus: its per-CPU rows, from mstat_collect()
 */
void mstat_render(struct seq_file *m, const struct mstat_totals *t,
		  const struct mstat_totals *cpus)
{
	mstat_show_totals(m, t);
	mstat_show_classes(m, t);
	mstat_show_cpus(m, t, cpus);
}

/**
 * mstat_text_size - the most bytes mstat_render() prints
 *
 * Every counter at its widest (20 digits, or 19 and a sign), the summary
 * lines' names included: a buffer this large holds any read, so seq_file
 * never asks for the file again.
 *
 * Return: the size in bytes.
 */
size_t mstat_text_size(void)
{
	return 2048 + 128 * MSTAT_NR_CLASSES + 192 * nr_cpu_ids;
}

/**
 * mstat_show - print /proc/mstat from a collection made for it
 * @m: the seq_file
 * @v: unused
 *
 * The totals, the class rows and the CPU rows all come from one read of
 * every CPU's counters, so they agree with each other.  Without a
 * collection (m->private NULL) it makes one.
 *
 * Return: 0, or -ENOMEM.
 */
int mstat_show(struct seq_file *m, void *v)
{
	/* the last element holds the totals */
	struct mstat_totals *cpus = m->private;

	if (cpus) {
		mstat_render(m, &cpus[nr_cpu_ids], cpus);
		return 0;
	}
	cpus = kvcalloc(nr_cpu_ids + 1, sizeof(*cpus), GFP_KERNEL);
	if (!cpus)
		return -ENOMEM;
	mstat_collect(&cpus[nr_cpu_ids], cpus);
	mstat_render(m, &cpus[nr_cpu_ids], cpus);
	kvfree(cpus);
	return 0;
}

/*
 * One collection per open, in a buffer sized for it: seq_file, which
 * calls show() again with a buffer twice as large when the text does not
 * fit, would collect again each time (and each collection is paced).
 */
static int mstat_proc_open(struct inode *inode, struct file *file)
{
	struct mstat_totals *cpus = kvcalloc(nr_cpu_ids + 1, sizeof(*cpus), GFP_KERNEL);
	int ret;

	if (!cpus)
		return -ENOMEM;
	ret = mstat_collect_begin_killable();
	if (ret) {
		kvfree(cpus);
		return ret;
	}
	mstat_collect_locked(&cpus[nr_cpu_ids], cpus);
	mstat_collect_end();
	ret = single_open_size(file, mstat_show, cpus, mstat_text_size());
	if (ret)
		kvfree(cpus);
	return ret;
}

/* Release a file opened with a snapshot in m->private, kvmalloc()ed. */
static int mstat_proc_release(struct inode *inode, struct file *file)
{
	struct seq_file *m = file->private_data;

	kvfree(m->private);
	return single_release(inode, file);
}

static const struct proc_ops mstat_proc_ops = {
	.proc_open	= mstat_proc_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_release	= mstat_proc_release,
};

/* mstat_read_nodes() between mstat_collect_begin() and mstat_collect_end() */
static void mstat_read_nodes_locked(struct mstat_node_counters *sum, u64 *refill_objs)
{
	unsigned int i, j, cls;
	unsigned long flags;
	u64 *f, *t;

	*refill_objs = 0;
	memset(sum, 0, nr_node_ids * sizeof(*sum));
	for (i = 0; i < nr_cpu_ids * MSTAT_NR_CTX; i++) {
		struct mstat_pcpu *c = mstat_cpu_caches[i];

		if (!c)
			continue;
		raw_spin_lock_irqsave(&c->large_lock, flags);
		for (cls = 0; cls < MSTAT_NR_CLASSES; cls++)
			*refill_objs += READ_ONCE(c->stats.nrefill_objs[cls]);
		f = (u64 *)c->nodes;
		t = (u64 *)sum;
		for (j = 0; j < nr_node_ids * MSTAT_NODE_COUNTERS; j++)
			t[j] += READ_ONCE(f[j]);
		raw_spin_unlock_irqrestore(&c->large_lock, flags);
	}
}

/**
 * mstat_read_nodes - sum the per-node counters of every CPU
 * @sum: an array of nr_node_ids, filled with the sums
 * @refill_objs: set to the objects refilled, summed over classes, from
 *	the same reads: the refills in @sum add up to it exactly
 *
 * Each cache is read under its large_lock, which its owner holds while it
 * counts a refill.  Paced as mstat_collect(); may sleep.
 */
void mstat_read_nodes(struct mstat_node_counters *sum, u64 *refill_objs)
{
	mstat_collect_begin();
	mstat_read_nodes_locked(sum, refill_objs);
	mstat_collect_end();
}

/* /proc/mstat_nodes: summary lines, then a row per possible node. */
static int mstat_nodes_show(struct seq_file *m, void *v)
{
	struct mstat_node_counters *sum;
	unsigned long pages, partial;
	u64 refill_objs;
	int ret, nid;

	sum = kvcalloc(nr_node_ids, sizeof(*sum), GFP_KERNEL);
	if (!sum)
		return -ENOMEM;
	ret = mstat_collect_begin_killable();
	if (ret) {
		kvfree(sum);
		return ret;
	}
	mstat_read_nodes_locked(sum, &refill_objs);
	mstat_collect_end();

	seq_printf(m, "refill_objs %llu\n", refill_objs);
	seq_printf(m, "span_pages %llu\n", mstat_span_bytes() >> PAGE_SHIFT);
	seq_puts(m, "node pages partial_spans refill_local refill_remote remote_frees\n");
	for_each_node(nid) {
		mstat_pool_node_stats(nid, &pages, &partial);
		seq_printf(m, "%d %lu %lu %llu %llu %llu\n", nid, pages, partial,
			   sum[nid].refill_local, sum[nid].refill_remote, sum[nid].remote_frees);
	}
	kvfree(sum);
	return 0;
}

static int mstat_nodes_open(struct inode *inode, struct file *file)
{
	return single_open_size(file, mstat_nodes_show, NULL, 256 + 128 * nr_node_ids);
}

static const struct proc_ops mstat_nodes_proc_ops = {
	.proc_open	= mstat_nodes_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_release	= single_release,
};

/*
 * Root only by default, as /proc/slabinfo and /proc/allocinfo are: exact
 * per-class and per-CPU counts tell whoever grooms the heap when an object
 * of a given size was allocated or freed, and where.
 */
static bool mstat_world_readable;
module_param_named(world_readable, mstat_world_readable, bool, 0444);
MODULE_PARM_DESC(world_readable, "make /proc/mstat readable by every user (default 0: root only)");

int mstat_proc_init(void)
{
	if (!proc_create("mstat", mstat_world_readable ? 0444 : 0400, NULL, &mstat_proc_ops))
		return -ENOMEM;
	/* root only, whatever world_readable says: it names code */
	if (!proc_create("mstat_sites", 0400, NULL, &mstat_sites_proc_ops)) {
		remove_proc_entry("mstat", NULL);
		return -ENOMEM;
	}
	if (!proc_create("mstat_nodes", mstat_world_readable ? 0444 : 0400, NULL,
			 &mstat_nodes_proc_ops)) {
		remove_proc_entry("mstat_sites", NULL);
		remove_proc_entry("mstat", NULL);
		return -ENOMEM;
	}
	/* root only: object addresses and sites help whoever grooms the heap */
	if (mstat_debug() &&
	    !proc_create_single("mstat_leaks", 0400, NULL, mstat_leaks_show)) {
		remove_proc_entry("mstat_nodes", NULL);
		remove_proc_entry("mstat_sites", NULL);
		remove_proc_entry("mstat", NULL);
		return -ENOMEM;
	}
	return 0;
}

void mstat_proc_exit(void)
{
	if (mstat_debug())
		remove_proc_entry("mstat_leaks", NULL);
	remove_proc_entry("mstat_nodes", NULL);
	remove_proc_entry("mstat_sites", NULL);
	remove_proc_entry("mstat", NULL);
}

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
#include <linux/proc_fs.h>
#include <linux/slab.h>

#include "mstat_internal.h"

#define MSTAT_FORMAT_VERSION	1

/**
 * mstat_counters_add - add one set of counters into another
 * @sum: the running sum
 * @c: counters to add, possibly another CPU's (read with READ_ONCE())
 */
void mstat_counters_add(struct mstat_counters *sum, const struct mstat_counters *c)
{
	unsigned int cls;

	for (cls = 0; cls < MSTAT_NR_CLASSES; cls++) {
		sum->nmalloc[cls] += READ_ONCE(c->nmalloc[cls]);
		sum->nfree[cls] += READ_ONCE(c->nfree[cls]);
	}
	sum->large_nmalloc += READ_ONCE(c->large_nmalloc);
	sum->large_nfree += READ_ONCE(c->large_nfree);
	sum->large_alloc_bytes += READ_ONCE(c->large_alloc_bytes);
	sum->large_free_bytes += READ_ONCE(c->large_free_bytes);
	sum->nrefill += READ_ONCE(c->nrefill);
	sum->nflush += READ_ONCE(c->nflush);
	sum->ndonations += READ_ONCE(c->ndonations);
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

u64 mstat_total_alloc_bytes(const struct mstat_counters *c)
{
	u64 bytes = c->large_alloc_bytes;
	unsigned int cls;

	for (cls = 0; cls < MSTAT_NR_CLASSES; cls++)
		bytes += mstat_class_bytes(cls, c->nmalloc[cls]);
	return bytes;
}

u64 mstat_total_free_bytes(const struct mstat_counters *c)
{
	u64 bytes = c->large_free_bytes;
	unsigned int cls;

	for (cls = 0; cls < MSTAT_NR_CLASSES; cls++)
		bytes += mstat_class_bytes(cls, c->nfree[cls]);
	return bytes;
}

/**
 * mstat_collect - sum the statistics of every CPU
 * @t: filled with the totals
 * @cpus: if not NULL, an array of nr_cpu_ids filled with each CPU's part,
 *	from the same reads the totals are summed from
 *
 * Holds cpus_read_lock(): a donation runs under the hotplug lock held for
 * writing, so it is seen either wholly or not at all.
 */
void mstat_collect(struct mstat_totals *t, struct mstat_totals *cpus)
{
	unsigned int cpu;

	memset(t, 0, sizeof(*t));
	cpus_read_lock();
	for_each_possible_cpu(cpu) {
		const struct mstat_cache *c = per_cpu_ptr(mstat_caches, cpu);
		u64 cached = mstat_cache_cached_bytes(c);

		if (cpus) {
			memset(&cpus[cpu], 0, sizeof(cpus[cpu]));
			mstat_counters_add(&cpus[cpu].sum, &c->stats);
			cpus[cpu].cached_bytes = cached;
			mstat_counters_add(&t->sum, &cpus[cpu].sum);
		} else {
			mstat_counters_add(&t->sum, &c->stats);
		}
		t->cached_bytes += cached;
	}
	cpus_read_unlock();
	t->sys_bytes = mstat_sys_bytes();
	t->nbad_ptr = mstat_nbad_ptr();
}

static void mstat_show_totals(struct seq_file *m, const struct mstat_totals *t)
{
	const struct mstat_counters *s = &t->sum;
	u64 nmalloc = mstat_nmalloc(s), nfree = mstat_nfree(s);
	u64 total_alloc = mstat_total_alloc_bytes(s);
	u64 total_free = mstat_total_free_bytes(s);

	seq_printf(m, "mstat version %d\n", MSTAT_FORMAT_VERSION);
	seq_printf(m, "alloc_bytes %llu\n", total_alloc - total_free);
	seq_printf(m, "total_alloc_bytes %llu\n", total_alloc);
	seq_printf(m, "total_free_bytes %llu\n", total_free);
	seq_printf(m, "sys_bytes %llu\n", t->sys_bytes);
	seq_printf(m, "cached_bytes %llu\n", t->cached_bytes);
	seq_printf(m, "nmalloc %llu\n", nmalloc);
	seq_printf(m, "nfree %llu\n", nfree);
	seq_printf(m, "live_objects %llu\n", nmalloc - nfree);
	seq_printf(m, "large_nmalloc %llu\n", s->large_nmalloc);
	seq_printf(m, "large_nfree %llu\n", s->large_nfree);
	seq_printf(m, "large_alloc_bytes %llu\n",
		   s->large_alloc_bytes - s->large_free_bytes);
	seq_printf(m, "nrefill %llu\n", s->nrefill);
	seq_printf(m, "nflush %llu\n", s->nflush);
	seq_printf(m, "cpu_donations %llu\n", s->ndonations);
	seq_printf(m, "bad_pointers %llu\n", t->nbad_ptr);
	seq_printf(m, "nr_classes %u\n", MSTAT_NR_CLASSES);
}

static void mstat_show_classes(struct seq_file *m, const struct mstat_counters *s)
{
	unsigned int cls;

	seq_puts(m, "# class size nmalloc nfree live_objects alloc_bytes\n");
	for (cls = 0; cls < MSTAT_NR_CLASSES; cls++) {
		u64 live = s->nmalloc[cls] - s->nfree[cls];

		seq_printf(m, "class%u %u %llu %llu %llu %llu\n", cls,
			   mstat_classes[cls].size, s->nmalloc[cls], s->nfree[cls],
			   live, mstat_class_bytes(cls, live));
	}
}

static void mstat_show_cpus(struct seq_file *m, const struct mstat_totals *cpus)
{
	unsigned int cpu;

	seq_puts(m, "# cpu online nmalloc nfree alloc_bytes cached_bytes nrefill nflush\n");
	for_each_possible_cpu(cpu) {
		const struct mstat_counters *c = &cpus[cpu].sum;

		/* A CPU frees what others allocated: its alloc_bytes may be < 0. */
		seq_printf(m, "cpu%u %d %llu %llu %lld %llu %llu %llu\n", cpu,
			   cpu_online(cpu), mstat_nmalloc(c), mstat_nfree(c),
			   (s64)(mstat_total_alloc_bytes(c) - mstat_total_free_bytes(c)),
			   cpus[cpu].cached_bytes, c->nrefill, c->nflush);
	}
}

/**
 * mstat_show - print /proc/mstat
 * @m: the seq_file
 * @v: unused
 *
 * The totals, the class rows and the CPU rows all come from one read of
 * every CPU's counters, so they agree with each other.
 *
 * Return: 0, or -ENOMEM.
 */
int mstat_show(struct seq_file *m, void *v)
{
	/* the last element holds the totals */
	struct mstat_totals *cpus = kvcalloc(nr_cpu_ids + 1, sizeof(*cpus), GFP_KERNEL);
	struct mstat_totals *t;

	if (!cpus)
		return -ENOMEM;
	t = &cpus[nr_cpu_ids];
	mstat_collect(t, cpus);
	mstat_show_totals(m, t);
	mstat_show_classes(m, &t->sum);
	mstat_show_cpus(m, cpus);
	kvfree(cpus);
	return 0;
}

int mstat_proc_init(void)
{
	if (!proc_create_single("mstat", 0444, NULL, mstat_show))
		return -ENOMEM;
	return 0;
}

void mstat_proc_exit(void)
{
	remove_proc_entry("mstat", NULL);
}

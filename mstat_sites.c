// SPDX-License-Identifier: GPL-2.0
/*
 * mstat per-site statistics: the registry of allocation sites, their
 * per-CPU counters and /proc/mstat_sites.
 *
 * A site (struct mstat_site, static in the calling module) registers on
 * its first allocation: mstat copies its strings into a record that
 * outlives the module, and gives it an id.  Each object keeps the id of
 * the site that allocated it in its span's site vector (or, for a large
 * object, in its first page), so its free is counted to that site on
 * whichever CPU frees it.  The counters are kept per cache, beside the
 * totals' and with the same rules: written by their owner only, free
 * counters with release, read in two passes under the hotplug lock, and
 * donated with the rest when a CPU dies.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/export.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include <mstat.h>
#include "mstat_internal.h"

#define MSTAT_SITES_FORMAT_VERSION	1

/**
 * struct mstat_site_rec - mstat's record of a registered site
 * @file: copy of the site's file
 * @function: copy of its function
 * @modname: copy of its module's name
 * @owner: its module while loaded (NULL if built in, or gone)
 * @line: its line
 * @gone: its module has unloaded; the row stays while objects live
 */
struct mstat_site_rec {
	const char *file;
	const char *function;
	const char *modname;
	const void *owner;
	unsigned int line;
	bool gone;
};

/* Records by id, written under mstat_sites_lock; never freed before unload. */
static struct mstat_site_rec *mstat_site_recs[MSTAT_MAX_SITES];
/* Ids in use; published with release after the record and its counters. */
static unsigned int mstat_nr_sites;
static bool mstat_sites_full;
/* Chunks every cache has; under mstat_sites_lock. */
static DECLARE_BITMAP(mstat_chunks_in, MSTAT_SITE_CHUNKS);
static DEFINE_SPINLOCK(mstat_sites_lock);

static struct mstat_site_rec mstat_site_unknown = {
	.file = "(unattributed)",
	.function = "-",
	.modname = KBUILD_MODNAME,
};

/* Free a chunk set mstat_alloc_chunk() made and nobody got. */
static void mstat_free_chunk(struct mstat_site_counters **chunks)
{
	unsigned int i;

	if (!chunks)
		return;
	for (i = 0; i < nr_cpu_ids * MSTAT_NR_CTX; i++)
		kfree(chunks[i]);
	kfree(chunks);
}

/* A chunk of counters for every possible CPU's caches, on its node. */
static struct mstat_site_counters **mstat_alloc_chunk(gfp_t gfp)
{
	struct mstat_site_counters **chunks;
	unsigned int cpu, ctx;

	chunks = kcalloc(nr_cpu_ids * MSTAT_NR_CTX, sizeof(*chunks), gfp);
	if (!chunks)
		return NULL;
	for_each_possible_cpu(cpu) {
		for (ctx = 0; ctx < MSTAT_NR_CTX; ctx++) {
			struct mstat_site_counters **p = &chunks[cpu * MSTAT_NR_CTX + ctx];

			*p = kzalloc_node(MSTAT_SITE_CHUNK * sizeof(**p), gfp, cpu_to_node(cpu));
			if (!*p) {
				mstat_free_chunk(chunks);
				return NULL;
			}
		}
	}
	return chunks;
}

/* Give every cache its chunk @k; mstat_sites_lock held (or at init). */
static void mstat_install_chunk(unsigned int k, struct mstat_site_counters **chunks)
{
	unsigned int i;

	for (i = 0; i < nr_cpu_ids * MSTAT_NR_CTX; i++) {
		if (mstat_cpu_caches[i])
			WRITE_ONCE(mstat_cpu_caches[i]->sites[k], chunks[i]);
		else
			kfree(chunks[i]);
	}
	kfree(chunks);
	__set_bit(k, mstat_chunks_in);
}

static bool mstat_rec_matches(const struct mstat_site_rec *rec, const struct mstat_site *site)
{
	return rec->line == site->line && !strcmp(rec->file, site->file) &&
	       !strcmp(rec->function, site->function) && !strcmp(rec->modname, site->modname);
}

static struct mstat_site_rec *mstat_new_rec(const struct mstat_site *site, gfp_t gfp)
{
	size_t lf = strlen(site->file) + 1, lfn = strlen(site->function) + 1;
	size_t lm = strlen(site->modname) + 1;
	struct mstat_site_rec *rec = kmalloc(sizeof(*rec) + lf + lfn + lm, gfp);
	char *p;

	if (!rec)
		return NULL;
	p = (char *)(rec + 1);
	rec->file = memcpy(p, site->file, lf);
	rec->function = memcpy(p + lf, site->function, lfn);
	rec->modname = memcpy(p + lf + lfn, site->modname, lm);
	rec->owner = site->owner;
	rec->line = site->line;
	rec->gone = false;
	return rec;
}

/**
 * mstat_site_register - give a site its id, on its first allocation
 * @site: the site
 * @flags: the allocation's GFP flags: the record is allocated as they allow
 *
 * A site whose strings match a record already kept (its module was
 * unloaded and loaded again) gets that record's id back.  The id is
 * published with release, after the record and the counters it leads to.
 *
 * Return: the id; 0, the row of what no site is charged with, if none
 * could be had (memory short in atomic context, or MSTAT_MAX_SITES sites):
 * the next allocation of the site tries again.
 */
unsigned int mstat_site_register(struct mstat_site *site, gfp_t flags)
{
	gfp_t gfp = (flags & (__GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HIGH)) | __GFP_NOWARN;
	struct mstat_site_counters **chunks = NULL;
	struct mstat_site_rec *rec = NULL;
	unsigned int id, n, k;
	unsigned long irqflags;

	if (!site || READ_ONCE(mstat_sites_full))
		return 0;
	rec = mstat_new_rec(site, gfp);
	if (!rec)
		return 0;
	n = READ_ONCE(mstat_nr_sites);
	if (n < MSTAT_MAX_SITES && !(n % MSTAT_SITE_CHUNK))
		chunks = mstat_alloc_chunk(gfp);

	spin_lock_irqsave(&mstat_sites_lock, irqflags);
	id = site->id;
	if (id)
		goto unlock;
	n = mstat_nr_sites;
	for (id = 1; id < n; id++) {
		struct mstat_site_rec *old = mstat_site_recs[id];

		if ((old->gone || old->owner == site->owner) && mstat_rec_matches(old, site)) {
			old->owner = site->owner;
			old->gone = false;
			goto publish;
		}
	}
	id = 0;
	if (n == MSTAT_MAX_SITES) {
		WRITE_ONCE(mstat_sites_full, true);
		goto unlock;
	}
	k = n / MSTAT_SITE_CHUNK;
	if (!test_bit(k, mstat_chunks_in)) {
		if (!chunks)
			goto unlock;	/* raced with another chunk's registration */
		mstat_install_chunk(k, chunks);
		chunks = NULL;
	}
	id = n;
	mstat_site_recs[id] = rec;
	rec = NULL;
	/* the record and the chunk before the id that leads to them */
	smp_store_release(&mstat_nr_sites, n + 1);
publish:
	/* pairs with the address dependency in mstat_site_id() */
	smp_store_release(&site->id, id);
unlock:
	spin_unlock_irqrestore(&mstat_sites_lock, irqflags);
	kfree(rec);
	mstat_free_chunk(chunks);
	return id;
}

#ifdef CONFIG_MODULES
/*
 * A module that goes away leaves its sites' records: their objects may
 * live on.  Its static sites go with it, so the records no longer point
 * at the module.
 */
static int mstat_module_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	struct module *mod = data;
	unsigned long irqflags;
	unsigned int id;

	if (action != MODULE_STATE_GOING)
		return NOTIFY_DONE;
	spin_lock_irqsave(&mstat_sites_lock, irqflags);
	for (id = 1; id < mstat_nr_sites; id++) {
		if (mstat_site_recs[id]->owner == mod) {
			mstat_site_recs[id]->owner = NULL;
			mstat_site_recs[id]->gone = true;
		}
	}
	spin_unlock_irqrestore(&mstat_sites_lock, irqflags);
	return NOTIFY_DONE;
}

static struct notifier_block mstat_module_nb = {
	.notifier_call = mstat_module_notify,
};
#else
/* no module ever goes away */
static struct notifier_block mstat_module_nb;
#endif

/**
 * mstat_donate_sites - add one cache's site counters to another's, zero the first
 * @from: the donor, whose CPU is dead
 * @to: the recipient, the calling CPU's own cache with its lock held
 *
 * A chunk registered meanwhile may not have reached one of the two yet:
 * the dead CPU counted nothing in it.
 */
void mstat_donate_sites(struct mstat_cache *from, struct mstat_cache *to)
{
	unsigned int k, i;

	for (k = 0; k < MSTAT_SITE_CHUNKS; k++) {
		u64 *f = (u64 *)READ_ONCE(from->sites[k]), *t = (u64 *)READ_ONCE(to->sites[k]);

		if (!f || !t)
			continue;
		for (i = 0; i < MSTAT_SITE_CHUNK * sizeof(struct mstat_site_counters) / sizeof(u64);
		     i++) {
			WRITE_ONCE(t[i], t[i] + f[i]);
			WRITE_ONCE(f[i], 0);
		}
	}
}

/**
 * mstat_site_withdrawn - count withdrawn objects as allocated by their sites
 * @c: the cache they leave, its lock held (or its CPU dead)
 * @cls: their class
 * @objs: the objects
 * @n: how many
 *
 * An object withdrawn from a cache (struct mstat_central_put()) leaves it as
 * an allocation, to nobody; its site is charged as its class is, so that
 * the site's frees (two, for an object two CPUs freed at once) never
 * exceed its allocations.
 */
void mstat_site_withdrawn(struct mstat_cache *c, unsigned int cls, void *const *objs,
			  unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		u32 state = READ_ONCE(*mstat_obj_state(objs[i], cls));

		/* the id from a state, which a client may have written over */
		__mstat_site_count_alloc(mstat_site_ctrs(c, mstat_state_site(state)),
					 mstat_classes[cls].size);
	}
}

/**
 * mstat_read_site_caches - read the site counters of a set of caches consistently
 * @sums: an array of @nsites, filled with each site's sums
 * @nsites: sites to read
 * @caches: the caches, owned by CPUs that may be counting meanwhile; NULL
 *	entries are skipped
 * @n: number of entries in @caches
 *
 * The two passes of mstat_read_caches(), per site: every free counter of
 * every cache first, then, after smp_rmb(), every other counter.  So in
 * every read a site's nfree <= nmalloc and free_bytes <= alloc_bytes.
 */
void mstat_read_site_caches(struct mstat_site_counters *sums, unsigned int nsites,
			    struct mstat_cache *const *caches, unsigned int n)
{
	unsigned int i, id, pass;

	memset(sums, 0, nsites * sizeof(*sums));
	for (pass = 1; pass <= 2; pass++) {
		for (i = 0; i < n; i++) {
			if (!caches[i])
				continue;
			for (id = 0; id < nsites; id++) {
				const struct mstat_site_counters *sc =
					READ_ONCE(caches[i]->sites[id / MSTAT_SITE_CHUNK]);

				if (!sc)
					continue;
				sc += id % MSTAT_SITE_CHUNK;
				if (pass == 1) {
					sums[id].nfree += READ_ONCE(sc->nfree);
					sums[id].free_bytes += READ_ONCE(sc->free_bytes);
				} else {
					sums[id].nmalloc += READ_ONCE(sc->nmalloc);
					sums[id].alloc_bytes += READ_ONCE(sc->alloc_bytes);
				}
			}
			mstat_read_step(pass, i);
		}
		/* Pairs with the release that made each free follow its allocation. */
		smp_rmb();
	}
}

static int mstat_site_cmp(const void *a, const void *b)
{
	const struct mstat_site_stats *x = a, *y = b;

	if (x->live_bytes != y->live_bytes)
		return x->live_bytes < y->live_bytes ? 1 : -1;
	if (x->nmalloc != y->nmalloc)
		return x->nmalloc < y->nmalloc ? 1 : -1;
	return 0;
}

/*
 * One paced, consistent read of every site; the rows of those that ever
 * allocated, sorted by live bytes, in a kvmalloc()ed array.  Return: the
 * number of rows, or -ENOMEM.
 */
static int mstat_collect_sites(struct mstat_site_stats **rowsp)
{
	struct mstat_site_counters *sums;
	struct mstat_site_stats *rows;
	unsigned int nsites, id, n = 0;
	unsigned long irqflags;

	/* a site registered after this is neither freed nor allocated in the read */
	nsites = smp_load_acquire(&mstat_nr_sites);
	sums = kvcalloc(nsites, sizeof(*sums), GFP_KERNEL);
	rows = kvcalloc(nsites, sizeof(*rows), GFP_KERNEL);
	if (!sums || !rows) {
		kvfree(sums);
		kvfree(rows);
		return -ENOMEM;
	}
	mstat_collect_begin();
	mstat_read_site_caches(sums, nsites, mstat_cpu_caches, nr_cpu_ids * MSTAT_NR_CTX);
	mstat_collect_end();

	spin_lock_irqsave(&mstat_sites_lock, irqflags);
	for (id = 0; id < nsites; id++) {
		const struct mstat_site_rec *rec = id ? mstat_site_recs[id] : &mstat_site_unknown;
		const struct mstat_site_counters *s = &sums[id];
		struct mstat_site_stats *r = &rows[n];

		/* never allocated; or gone with its module and all its objects */
		if (!s->nmalloc || (rec->gone && s->nmalloc == s->nfree))
			continue;
		r->nmalloc = s->nmalloc;
		r->nfree = s->nfree;
		r->live_objects = s->nmalloc - s->nfree;
		r->live_bytes = s->alloc_bytes - s->free_bytes;
		r->file = rec->file;
		r->function = rec->function;
		r->module = rec->modname;
		r->line = rec->line;
		n++;
	}
	spin_unlock_irqrestore(&mstat_sites_lock, irqflags);
	kvfree(sums);
	sort(rows, n, sizeof(*rows), mstat_site_cmp, NULL);
	*rowsp = rows;
	return n;
}

/**
 * mstat_read_sites - read the statistics of every allocation site
 * @rows: filled with up to @max rows, largest live_bytes first
 * @max: room in @rows
 *
 * One consistent read, as /proc/mstat_sites prints it: for every site that
 * ever allocated (those of an unloaded module while its objects live),
 * nfree <= nmalloc and the live counts are never negative.  The strings
 * stay valid while mstat is loaded.  May sleep.
 *
 * Return: the number of sites, which may be more than @max; or -ENOMEM.
 */
int mstat_read_sites(struct mstat_site_stats *rows, unsigned int max)
{
	struct mstat_site_stats *all;
	int n = mstat_collect_sites(&all);

	if (n < 0)
		return n;
	memcpy(rows, all, min_t(unsigned int, n, max) * sizeof(*rows));
	kvfree(all);
	return n;
}
EXPORT_SYMBOL_GPL(mstat_read_sites);

/**
 * mstat_sites_show - print /proc/mstat_sites
 * @m: the seq_file
 * @v: unused
 *
 * Return: 0, or -ENOMEM.
 */
int mstat_sites_show(struct seq_file *m, void *v)
{
	struct mstat_site_stats *rows;
	int n = mstat_collect_sites(&rows), i;

	if (n < 0)
		return n;
	seq_printf(m, "mstat_sites version %d\n", MSTAT_SITES_FORMAT_VERSION);
	seq_puts(m, "# live_bytes live_objects nmalloc nfree file:line module function\n");
	for (i = 0; i < n; i++)
		seq_printf(m, "%llu %llu %llu %llu %s:%u %s %s\n", rows[i].live_bytes,
			   rows[i].live_objects, rows[i].nmalloc, rows[i].nfree, rows[i].file,
			   rows[i].line, rows[i].module, rows[i].function);
	kvfree(rows);
	return 0;
}

/* Chunk 0, with id 0's counters, for every cache; and the module notifier. */
int mstat_sites_init(void)
{
	struct mstat_site_counters **chunks = mstat_alloc_chunk(GFP_KERNEL);

	if (!chunks)
		return -ENOMEM;
	mstat_install_chunk(0, chunks);
	mstat_site_recs[0] = &mstat_site_unknown;
	mstat_nr_sites = 1;
	return register_module_notifier(&mstat_module_nb);
}

void mstat_sites_exit(void)
{
	unsigned int i, k;

	unregister_module_notifier(&mstat_module_nb);
	for (i = 1; i < mstat_nr_sites; i++)
		kfree(mstat_site_recs[i]);
	for (i = 0; mstat_cpu_caches && i < nr_cpu_ids * MSTAT_NR_CTX; i++) {
		for (k = 0; mstat_cpu_caches[i] && k < MSTAT_SITE_CHUNKS; k++)
			kfree(mstat_cpu_caches[i]->sites[k]);
	}
}

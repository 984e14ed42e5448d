// SPDX-License-Identifier: GPL-2.0
/*
 * mstat per-site statistics: the registry of allocation sites, their
 * per-CPU counters and /proc/mstat_sites.
 *
 * A site (struct mstat_site, static in the calling module) registers on
 * its first allocation: mstat copies its strings into a record that
 * outlives the module, and gives it an id.  It gets a key for each class
 * it allocates from (mstat_internal.h, "Keys"); the key of the class it
 * last allocated from is cached in the site itself.  Each object keeps
 * its key in its span's state vector (or, for a large object, in its
 * second page), so its free is counted to that key on whichever CPU frees
 * it.  The counters are kept per cache and per key, with the totals'
 * rules: written by their owner only, free counters with release, read in
 * two passes under the hotplug lock, and donated with the rest when a CPU
 * dies.  A class's totals are the sum of its keys: counting per site
 * costs the fast paths no second counter.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/export.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/rcupdate.h>
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
 * @keys: its key for each class and for large objects, 0 until made;
 *	published with release
 */
struct mstat_site_rec {
	const char *file;
	const char *function;
	const char *modname;
	const void *owner;
	unsigned int line;
	bool gone;
	u16 keys[MSTAT_NR_CLASSES + 1];
};

/* What /proc/mstat_sites escapes in a client's strings: its field and row separators. */
#define MSTAT_SITES_ESC	" \t\n\\"

/* Records by id, written under mstat_sites_lock; never freed before unload. */
static struct mstat_site_rec *mstat_site_recs[MSTAT_MAX_SITES];
/* Ids in use; published with release after the record. */
static unsigned int mstat_nr_sites;
static bool mstat_sites_full;
/* Keys made; published with release after the key's class, site and chunk. */
static unsigned int mstat_nr_keys;
u8 mstat_key_cls[MSTAT_MAX_KEYS];
static u16 mstat_key_site[MSTAT_MAX_KEYS];
/* Chunks every cache has; under mstat_sites_lock. */
static DECLARE_BITMAP(mstat_chunks_in, MSTAT_SITE_CHUNKS);
static DEFINE_SPINLOCK(mstat_sites_lock);

static struct mstat_site_rec mstat_site_unknown = {
	.file = "(unattributed)",
	.function = "-",
	.modname = KBUILD_MODNAME,
};

/* Free a chunk set mstat_alloc_chunk() made and nobody got. */
static void mstat_free_chunk(struct mstat_site_chunk **chunks)
{
	unsigned int i;

	if (!chunks)
		return;
	for (i = 0; i < nr_cpu_ids * MSTAT_NR_CTX; i++)
		kfree(chunks[i]);
	kfree(chunks);
}

/* A chunk of counters for every possible CPU's caches, on its node. */
static struct mstat_site_chunk **mstat_alloc_chunk(gfp_t gfp)
{
	struct mstat_site_chunk **chunks;
	unsigned int cpu, ctx;

	chunks = kcalloc(nr_cpu_ids * MSTAT_NR_CTX, sizeof(*chunks), gfp);
	if (!chunks)
		return NULL;
	for_each_possible_cpu(cpu) {
		for (ctx = 0; ctx < MSTAT_NR_CTX; ctx++) {
			struct mstat_site_chunk **p = &chunks[cpu * MSTAT_NR_CTX + ctx];

			*p = kzalloc_node(sizeof(**p), gfp, cpu_to_node(cpu));
			if (!*p) {
				mstat_free_chunk(chunks);
				return NULL;
			}
		}
	}
	return chunks;
}

/* Give every cache its chunk @k; mstat_sites_lock held (or at init). */
static void mstat_install_chunk(unsigned int k, struct mstat_site_chunk **chunks)
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
	memset(rec->keys, 0, sizeof(rec->keys));
	return rec;
}

/**
 * mstat_site_register - give a site its id, on its first allocation
 * @site: the site
 * @gfp: how to allocate the record (mstat_site_key())
 *
 * A site whose strings match a record already kept (its module was
 * unloaded and loaded again) gets that record's id back, and its keys.
 * The id is published with release, after the record.
 *
 * Return: the id; 0 if none could be had: memory short in atomic
 * context, and the next allocation of the site tries again; or
 * MSTAT_MAX_SITES records kept and none of them the site's, and the site
 * stays unattributed (MSTAT_SITE_UNATTRIBUTED) without looking again.
 */
static unsigned int mstat_site_register(struct mstat_site *site, gfp_t gfp)
{
	struct mstat_site_rec *rec = NULL;
	unsigned long irqflags;
	unsigned int id, n;

	/* a full table still holds the rows of a module loaded again */
	if (!READ_ONCE(mstat_sites_full)) {
		rec = mstat_new_rec(site, gfp);
		if (!rec)
			return 0;
	}

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
		/* not again at each allocation: the search takes the lock */
		WRITE_ONCE(site->id, MSTAT_SITE_UNATTRIBUTED);
		goto unlock;
	}
	if (!rec)	/* the table was full when the record was not made */
		goto unlock;
	id = n;
	mstat_site_recs[id] = rec;
	rec = NULL;
	/* the record before the id that leads to it */
	smp_store_release(&mstat_nr_sites, n + 1);
publish:
	/* pairs with the acquire in mstat_site_key() */
	smp_store_release(&site->id, id);
unlock:
	spin_unlock_irqrestore(&mstat_sites_lock, irqflags);
	kfree(rec);
	return id;
}

/*
 * The next chunk, for a key whose allocation could not make it: a chunk is
 * two per possible CPU of 2 KiB each, too much to ask of an allocation
 * that may not sleep (in hard interrupt context, say).  Until it is in,
 * such allocations count to their class with no site.
 */
static void mstat_chunk_fn(struct work_struct *work)
{
	struct mstat_site_chunk **chunks = mstat_alloc_chunk(GFP_KERNEL);
	unsigned long irqflags;
	unsigned int k;

	if (!chunks)
		return;
	spin_lock_irqsave(&mstat_sites_lock, irqflags);
	k = mstat_nr_keys / MSTAT_SITE_CHUNK;
	if (mstat_nr_keys < MSTAT_MAX_KEYS && !test_bit(k, mstat_chunks_in)) {
		mstat_install_chunk(k, chunks);
		chunks = NULL;
	}
	spin_unlock_irqrestore(&mstat_sites_lock, irqflags);
	mstat_free_chunk(chunks);
}

static DECLARE_WORK(mstat_chunk_work, mstat_chunk_fn);

/**
 * mstat_key_site_id - the site a key counts to, for debug mode's leak report
 * @key: a key, as an object's state or a large object's page holds it
 *
 * Return: the site's id, 0 (no site) if @key was never made.
 */
unsigned int mstat_key_site_id(unsigned int key)
{
	return key < mstat_nr_keys_read() ? mstat_key_site[key] : 0;
}

/**
 * mstat_site_print - print a site as /proc/mstat_sites names it
 * @m: the seq_file
 * @id: the site's id (mstat_key_site_id())
 *
 * "file:line module function", escaped as in /proc/mstat_sites.
 */
void mstat_site_print(struct seq_file *m, unsigned int id)
{
	/* pairs with the release in mstat_site_register(): the record is there */
	const struct mstat_site_rec *rec = id && id < smp_load_acquire(&mstat_nr_sites) ?
					   mstat_site_recs[id] : &mstat_site_unknown;

	seq_escape(m, rec->file, MSTAT_SITES_ESC);
	seq_printf(m, ":%u ", rec->line);
	seq_escape(m, rec->modname, MSTAT_SITES_ESC);
	seq_putc(m, ' ');
	seq_escape(m, rec->function, MSTAT_SITES_ESC);
}

/* Wait for a chunk mstat_key_make() asked for (the tests). */
void mstat_sites_flush(void)
{
	flush_work(&mstat_chunk_work);
}

/*
 * Make the key of record @id for class @cls (MSTAT_LARGE_CLS for large
 * objects), and with it, if it is the first of its chunk, the chunk for
 * every cache (where @gfp may sleep; else mstat_chunk_fn() makes it).
 * Return: the key; 0 if none could be had.
 */
static unsigned int mstat_key_make(unsigned int id, unsigned int cls, gfp_t gfp)
{
	struct mstat_site_rec *rec = mstat_site_recs[id];
	struct mstat_site_chunk **chunks = NULL;
	unsigned int key, n, k;
	unsigned long irqflags;

	n = READ_ONCE(mstat_nr_keys);
	if (n == MSTAT_MAX_KEYS)
		return 0;	/* all made: no lock to take on every allocation */
	if (!(n % MSTAT_SITE_CHUNK) && !test_bit(n / MSTAT_SITE_CHUNK, mstat_chunks_in)) {
		if (!gfpflags_allow_blocking(gfp)) {
			schedule_work(&mstat_chunk_work);
			return 0;
		}
		chunks = mstat_alloc_chunk(gfp);
	}

	spin_lock_irqsave(&mstat_sites_lock, irqflags);
	key = rec->keys[cls];
	if (key)
		goto unlock;
	n = mstat_nr_keys;
	if (n == MSTAT_MAX_KEYS)
		goto unlock;
	k = n / MSTAT_SITE_CHUNK;
	if (!test_bit(k, mstat_chunks_in)) {
		if (!chunks)
			goto unlock;	/* raced with another chunk's first key */
		mstat_install_chunk(k, chunks);
		chunks = NULL;
	}
	key = n;
	mstat_key_site[key] = id;
	/* the chunk before the class: pairs with mstat_state_key() */
	smp_store_release(&mstat_key_cls[key], cls);
	/* the chunk, class and site before the key that leads to them */
	smp_store_release(&mstat_nr_keys, n + 1);
	/* and before the key its record leads to: pairs with mstat_site_key() */
	smp_store_release(&rec->keys[cls], key);
unlock:
	spin_unlock_irqrestore(&mstat_sites_lock, irqflags);
	mstat_free_chunk(chunks);
	return key;
}

/**
 * mstat_site_key - the key an allocation of a class by a site counts to
 * @site: the site
 * @cls: the class, or MSTAT_LARGE_CLS for a large object
 * @flags: the allocation's GFP flags: what mstat allocates to register
 *	the site or make its key is allocated as they allow
 *
 * Registers the site on its first allocation and makes its key for @cls
 * on its first allocation of that class; the key of the class the site
 * last allocated from is kept in the site, for mstat_alloc()'s fast path.
 *
 * Return: the key; the key of @cls with no site if none could be had (the
 * next allocation tries again).
 */
unsigned int mstat_site_key(struct mstat_site *site, unsigned int cls, gfp_t flags)
{
	gfp_t gfp = (flags & (__GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HIGH)) | __GFP_NOWARN;
	unsigned int id, key;

#ifdef MSTAT_NO_SITES
	return cls;
#endif
	if (mstat_last_key(READ_ONCE(site->last), cls, &key))
		return key;
	/* pairs with the release in mstat_site_register() */
	id = smp_load_acquire(&site->id);
	if (!id)
		id = mstat_site_register(site, gfp);
	if (!id || id == MSTAT_SITE_UNATTRIBUTED)
		return cls;
	/* pairs with the release in mstat_key_make() */
	key = smp_load_acquire(&mstat_site_recs[id]->keys[cls]);
	if (!key)
		key = mstat_key_make(id, cls, gfp);
	if (!key)
		return cls;
	/* no class, not even large, reads as MSTAT_SITE_NO_CLASS */
	BUILD_BUG_ON(MSTAT_LARGE_CLS >= MSTAT_SITE_NO_CLASS);
	BUILD_BUG_ON(MSTAT_SITE_NO_CLASS > MSTAT_LAST_CLS);
	/* the chunk before the key: pairs with the address dependency in mstat_alloc_site() */
	smp_store_release(&site->last, key << MSTAT_LAST_KEY_SHIFT | cls);
	return key;
}

#ifdef CONFIG_MODULES
/*
 * A module that goes away leaves its sites' records: their objects may
 * live on.  Its static sites go with it, so the records no longer point
 * at the module.
 */
/*
 * Modules loaded since mstat, each with its load's generation: a return
 * address that debug mode kept names code of the module instance it came
 * from only if no instance loaded since holds that address now
 * (mstat_ip_newer()).
 */
struct mstat_mod_gen {
	struct list_head list;
	struct module *mod;
	unsigned long gen;
};

static LIST_HEAD(mstat_mods);
static DEFINE_SPINLOCK(mstat_mods_lock);
static unsigned long mstat_mod_loads;

unsigned long mstat_module_gen(void)
{
	return READ_ONCE(mstat_mod_loads);
}

/**
 * mstat_ip_newer - whether @ip is code of a module loaded after generation @gen
 * @ip: a return address debug mode kept
 * @gen: mstat_module_gen() when it was kept
 *
 * Return: true if the module that made the call has gone and another
 * holds its address now: %pS would name the newer one's code.
 */
bool mstat_ip_newer(unsigned long ip, unsigned long gen)
{
	struct mstat_mod_gen *e;
	unsigned long flags;
	bool newer = false;

	spin_lock_irqsave(&mstat_mods_lock, flags);
	list_for_each_entry(e, &mstat_mods, list) {
		if (within_module(ip, e->mod)) {
			newer = e->gen > gen;
			break;
		}
	}
	spin_unlock_irqrestore(&mstat_mods_lock, flags);
	return newer;
}

static void mstat_module_gen_notify(struct module *mod, unsigned long action)
{
	struct mstat_mod_gen *e, *found = NULL;
	unsigned long flags;

	if (action == MODULE_STATE_COMING) {
		e = kmalloc(sizeof(*e), GFP_KERNEL);
		spin_lock_irqsave(&mstat_mods_lock, flags);
		/* without a record, every older address there reads as newer */
		WRITE_ONCE(mstat_mod_loads, mstat_mod_loads + 1);
		if (e) {
			e->mod = mod;
			e->gen = mstat_mod_loads;
			list_add(&e->list, &mstat_mods);
		}
		spin_unlock_irqrestore(&mstat_mods_lock, flags);
	} else if (action == MODULE_STATE_GOING) {
		spin_lock_irqsave(&mstat_mods_lock, flags);
		list_for_each_entry(e, &mstat_mods, list) {
			if (e->mod == mod) {
				list_del(&e->list);
				found = e;
				break;
			}
		}
		spin_unlock_irqrestore(&mstat_mods_lock, flags);
		kfree(found);
	}
}

static int mstat_module_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	struct module *mod = data;
	unsigned long irqflags;
	unsigned int id;

	mstat_module_gen_notify(mod, action);
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

unsigned long mstat_module_gen(void)
{
	return 0;
}

bool mstat_ip_newer(unsigned long ip, unsigned long gen)
{
	return false;
}
#endif

/**
 * mstat_donate_sites - add one cache's key counters to another's, zero the first
 * @from: the donor, whose CPU is dead
 * @to: the recipient, the calling CPU's own cache with its lock held
 *
 * A chunk made meanwhile may not have reached one of the two yet: the
 * dead CPU counted nothing in it.
 */
void mstat_donate_sites(struct mstat_pcpu *from, struct mstat_pcpu *to)
{
	unsigned int k, i;

	for (k = 0; k < MSTAT_SITE_CHUNKS; k++) {
		u64 *f = (u64 *)READ_ONCE(from->sites[k]), *t = (u64 *)READ_ONCE(to->sites[k]);

		if (!f || !t)
			continue;
		for (i = 0; i < MSTAT_CHUNK_WORDS; i++) {
			WRITE_ONCE(t[i], t[i] + f[i]);
			WRITE_ONCE(f[i], 0);
		}
	}
}

/* Whether a cache counted anything per key: a dead CPU's have to be donated. */
bool mstat_sites_counted(const struct mstat_pcpu *c)
{
	unsigned int k;

	for (k = 0; k < MSTAT_SITE_CHUNKS; k++) {
		if (c->sites[k] && memchr_inv(c->sites[k], 0, sizeof(*c->sites[k])))
			return true;
	}
	return false;
}

/**
 * mstat_site_withdrawn - count withdrawn objects as allocated
 * @c: the cache they leave, its lock held (or its CPU dead)
 * @cls: their class
 * @objs: the objects
 * @n: how many
 *
 * An object withdrawn from a cache (struct mstat_central_put()) leaves it as
 * an allocation, to nobody: it is counted to the key of its last
 * allocation, so that the key's frees (two, for an object two CPUs freed
 * at once) never exceed its allocations, in its class or its site.
 */
void mstat_site_withdrawn(struct mstat_pcpu *c, unsigned int cls, void *const *objs,
			  unsigned int n)
{
	unsigned int i;

	/* their spans may be released meanwhile, and freed after a grace period */
	RCU_LOCKDEP_WARN(n && !rcu_read_lock_any_held(),
			 "mstat: withdrawn objects' states read outside RCU");
	/*
	 * A copy whose span was released is still in mstat's memory: its
	 * pages go back only after every CPU withdrew such copies (the purge,
	 * mstat_pool.c), so its state says the key.
	 */
	for (i = 0; i < n; i++)
		mstat_key_count_alloc(c, mstat_state_key(READ_ONCE(*mstat_obj_state(objs[i], cls)),
							 cls), cls);
}

/* The number of keys made, with acquire: their chunks and classes are there. */
unsigned int mstat_nr_keys_read(void)
{
	/* pairs with the release in mstat_key_make() */
	return smp_load_acquire(&mstat_nr_keys);
}

/**
 * mstat_read_keys - add one cache's small-object counts into per-class sums
 * @c: the cache, owned by a CPU that may be counting meanwhile
 * @nkeys: keys to read (mstat_nr_keys_read())
 * @frees: read the free counters, else the allocation counters
 * @sum: an array of MSTAT_NR_CLASSES the counts are added to
 * @row: another, or NULL
 *
 * One pass of a consistent read (mstat_read_caches()): each key's counter
 * is read once and added to its class.
 */
void mstat_read_keys(const struct mstat_pcpu *c, unsigned int nkeys, bool frees, u64 *sum,
		     u64 *row)
{
	unsigned int key;

	for (key = 0; key < nkeys; key++) {
		const struct mstat_site_chunk *chunk = READ_ONCE(c->sites[key / MSTAT_SITE_CHUNK]);
		unsigned int cls = mstat_key_cls[key];
		u64 v;

		if (!chunk || cls == MSTAT_LARGE_CLS)
			continue;
		v = READ_ONCE(*(frees ? &chunk->nfree[key % MSTAT_SITE_CHUNK] :
				&chunk->nmalloc[key % MSTAT_SITE_CHUNK]));
		sum[cls] += v;
		if (row)
			row[cls] += v;
	}
}

/* Add allocations plus frees of each class in @c to @ops, for idle reclaim. */
void mstat_pcpu_class_ops(const struct mstat_pcpu *c, unsigned int nkeys, u64 *ops)
{
	mstat_read_keys(c, nkeys, true, ops, NULL);
	mstat_read_keys(c, nkeys, false, ops, NULL);
}

/*
 * Key @k of chunk @sc, for pass @pass of a read (1: its frees, 2: the
 * rest), added to @s; @step names the spot between a pair's two words to
 * the tests.
 */
static void mstat_read_key(struct mstat_site_counters *s, const struct mstat_site_chunk *sc,
			   unsigned int k, unsigned int pass, unsigned int step)
{
	if (pass == 1) {
		s->nfree += READ_ONCE(sc->nfree[k]);
		mstat_read_step(3, step);
		s->free_bytes += READ_ONCE(sc->free_bytes[k]);
	} else {
		s->nmalloc += READ_ONCE(sc->nmalloc[k]);
		s->alloc_bytes += READ_ONCE(sc->alloc_bytes[k]);
	}
}

/* A large key's count with its bytes, under its cache's large_lock: struct mstat_pcpu */
static void mstat_read_large_key(struct mstat_pcpu *c, struct mstat_site_counters *s,
				 const struct mstat_site_chunk *sc, unsigned int k,
				 unsigned int pass, unsigned int step)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&c->large_lock, flags);
	mstat_read_key(s, sc, k, pass, step);
	raw_spin_unlock_irqrestore(&c->large_lock, flags);
}

/**
 * mstat_read_site_caches - read the key counters of a set of caches consistently
 * @sums: an array of @nkeys, filled with each key's sums
 * @nkeys: keys to read
 * @caches: the caches, owned by CPUs that may be counting meanwhile; NULL
 *	entries are skipped
 * @n: number of entries in @caches
 *
 * The two passes of mstat_read_caches(), per key: every free counter of
 * every cache first, then, after smp_rmb(), every other counter.  So in
 * every read a key's nfree <= nmalloc and free_bytes <= alloc_bytes.
 * Small keys' bytes are left 0: they are counts times the class size.
 */
void mstat_read_site_caches(struct mstat_site_counters *sums, unsigned int nkeys,
			    struct mstat_pcpu *const *caches, unsigned int n)
{
	unsigned int i, key, pass;

	memset(sums, 0, nkeys * sizeof(*sums));
	for (pass = 1; pass <= 2; pass++) {
		for (i = 0; i < n; i++) {
			if (!caches[i])
				continue;
			for (key = 0; key < nkeys; key++) {
				const struct mstat_site_chunk *sc =
					READ_ONCE(caches[i]->sites[key / MSTAT_SITE_CHUNK]);
				unsigned int k = key % MSTAT_SITE_CHUNK;
				unsigned int step = i * MSTAT_MAX_KEYS + key;

				if (!sc)
					continue;
				if (mstat_key_cls[key] == MSTAT_LARGE_CLS)
					mstat_read_large_key(caches[i], &sums[key], sc, k, pass,
							     step);
				else
					mstat_read_key(&sums[key], sc, k, pass, step);
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
 * allocated, sorted by live bytes, in a kvmalloc()ed array.  @killable: a
 * fatal signal may end the wait for the collections ahead (a /proc read).
 * Return: the number of rows, -ENOMEM or -EINTR.
 */
static int mstat_collect_sites(struct mstat_site_stats **rowsp, bool killable)
{
	struct mstat_site_counters *sums, *keys;
	unsigned int nsites, nkeys, id, key, n = 0;
	struct mstat_site_stats *rows;
	unsigned long irqflags;

	/* a key made after this is neither freed nor allocated in the read */
	nkeys = mstat_nr_keys_read();
	/* read after the keys: every key's site is below it */
	nsites = smp_load_acquire(&mstat_nr_sites);
	keys = kvcalloc(nkeys, sizeof(*keys), GFP_KERNEL);
	sums = kvcalloc(nsites, sizeof(*sums), GFP_KERNEL);
	rows = kvcalloc(nsites, sizeof(*rows), GFP_KERNEL);
	if (!keys || !sums || !rows) {
		kvfree(keys);
		kvfree(sums);
		kvfree(rows);
		return -ENOMEM;
	}
	if (!killable) {
		mstat_collect_begin();
	} else if (mstat_collect_begin_killable()) {
		kvfree(keys);
		kvfree(sums);
		kvfree(rows);
		return -EINTR;
	}
	mstat_read_site_caches(keys, nkeys, mstat_cpu_caches, nr_cpu_ids * MSTAT_NR_CTX);
	/* the bytes too under the collections' lock, which a retyping takes */
	for (key = 0; key < nkeys; key++) {
		struct mstat_site_counters *k = &keys[key], *s = &sums[mstat_key_site[key]];
		unsigned int cls = mstat_key_cls[key];

		s->nfree += k->nfree;
		s->nmalloc += k->nmalloc;
		if (cls == MSTAT_LARGE_CLS) {
			s->free_bytes += k->free_bytes;
			s->alloc_bytes += k->alloc_bytes;
		} else {
			s->free_bytes += mstat_class_bytes(cls, k->nfree);
			s->alloc_bytes += mstat_class_bytes(cls, k->nmalloc);
		}
	}
	mstat_collect_end();
	kvfree(keys);
	/*
	 * An object whose key was written over (a client writing past a
	 * span's last object) is freed to its class with no site, and its
	 * allocation stays with its site: no more frees show here than
	 * allocations.
	 */
	sums[0].nfree = min(sums[0].nfree, sums[0].nmalloc);
	sums[0].free_bytes = min(sums[0].free_bytes, sums[0].alloc_bytes);

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
	int n = mstat_collect_sites(&all, false);

	if (n < 0)
		return n;
	memcpy(rows, all, min_t(unsigned int, n, max) * sizeof(*rows));
	kvfree(all);
	return n;
}
EXPORT_SYMBOL_GPL(mstat_read_sites);

/**
 * struct mstat_sites_snap - one collection of the sites, for one open file
 * @n: rows
 * @rows: the rows, sorted (mstat_collect_sites())
 */
struct mstat_sites_snap {
	int n;
	struct mstat_site_stats *rows;
};

/**
 * mstat_sites_render - print rows as /proc/mstat_sites
 * @m: the seq_file
 * @rows: the rows
 * @n: how many
 *
 * A client's file, function and module names are its own strings: the
 * characters that separate fields and rows (and the backslash) are printed
 * as octal escapes, as /proc/mounts prints paths, so that no name breaks
 * a row or makes one.
 */
void mstat_sites_render(struct seq_file *m, const struct mstat_site_stats *rows, int n)
{
	int i;

	seq_printf(m, "mstat_sites version %d\n", MSTAT_SITES_FORMAT_VERSION);
	seq_puts(m, "# live_bytes live_objects nmalloc nfree file:line module function\n");
	for (i = 0; i < n; i++) {
		seq_printf(m, "%llu %llu %llu %llu ", rows[i].live_bytes, rows[i].live_objects,
			   rows[i].nmalloc, rows[i].nfree);
		seq_escape(m, rows[i].file, MSTAT_SITES_ESC);
		seq_printf(m, ":%u ", rows[i].line);
		seq_escape(m, rows[i].module, MSTAT_SITES_ESC);
		seq_putc(m, ' ');
		seq_escape(m, rows[i].function, MSTAT_SITES_ESC);
		seq_putc(m, '\n');
	}
}

/**
 * mstat_sites_text_size - the most bytes mstat_sites_render() prints for @rows
 * @rows: the rows
 * @n: how many
 *
 * Return: the size in bytes: every counter at its widest, every character
 * of a name escaped (four bytes).
 */
size_t mstat_sites_text_size(const struct mstat_site_stats *rows, int n)
{
	size_t size = 128;
	int i;

	for (i = 0; i < n; i++)
		size += 4 * 21 + 12 + 3 + 4 * (strlen(rows[i].file) + strlen(rows[i].module) +
					      strlen(rows[i].function));
	return size;
}

/**
 * mstat_sites_show - print /proc/mstat_sites
 * @m: the seq_file; m->private a struct mstat_sites_snap, or NULL to
 *	collect here
 * @v: unused
 *
 * Return: 0, or -ENOMEM.
 */
int mstat_sites_show(struct seq_file *m, void *v)
{
	struct mstat_sites_snap *snap = m->private;
	struct mstat_site_stats *rows;
	int n;

	if (snap) {
		mstat_sites_render(m, snap->rows, snap->n);
		return 0;
	}
	n = mstat_collect_sites(&rows, false);
	if (n < 0)
		return n;
	mstat_sites_render(m, rows, n);
	kvfree(rows);
	return 0;
}

/* One collection per open, as /proc/mstat (mstat_proc_open()). */
static int mstat_sites_open(struct inode *inode, struct file *file)
{
	struct mstat_sites_snap *snap = kzalloc(sizeof(*snap), GFP_KERNEL);
	int ret;

	if (!snap)
		return -ENOMEM;
	snap->n = mstat_collect_sites(&snap->rows, true);
	if (snap->n < 0) {
		ret = snap->n;
		kfree(snap);
		return ret;
	}
	ret = single_open_size(file, mstat_sites_show, snap,
			       mstat_sites_text_size(snap->rows, snap->n));
	if (ret) {
		kvfree(snap->rows);
		kfree(snap);
	}
	return ret;
}

static int mstat_sites_release(struct inode *inode, struct file *file)
{
	struct mstat_sites_snap *snap = ((struct seq_file *)file->private_data)->private;

	kvfree(snap->rows);
	kfree(snap);
	return single_release(inode, file);
}

const struct proc_ops mstat_sites_proc_ops = {
	.proc_open	= mstat_sites_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_release	= mstat_sites_release,
};

/*
 * The chunks of the keys of no site, one per class and one for large
 * objects, for every cache; and the module notifier.
 */
int mstat_sites_init(void)
{
	unsigned int k, key;

	for (k = 0; k <= MSTAT_LARGE_CLS / MSTAT_SITE_CHUNK; k++) {
		struct mstat_site_chunk **chunks = mstat_alloc_chunk(GFP_KERNEL);

		if (!chunks)
			return -ENOMEM;
		mstat_install_chunk(k, chunks);
	}
	memset(mstat_key_cls, 0xff, sizeof(mstat_key_cls));
	for (key = 0; key <= MSTAT_LARGE_CLS; key++) {
		mstat_key_cls[key] = key;
		mstat_key_site[key] = 0;
		mstat_site_unknown.keys[key] = key;
	}
	mstat_nr_keys = MSTAT_LARGE_CLS + 1;
	mstat_site_recs[0] = &mstat_site_unknown;
	mstat_nr_sites = 1;
	return register_module_notifier(&mstat_module_nb);
}

void mstat_sites_exit(void)
{
	unsigned int i, k;

	unregister_module_notifier(&mstat_module_nb);
#ifdef CONFIG_MODULES
	{
		struct mstat_mod_gen *e, *tmp;

		list_for_each_entry_safe(e, tmp, &mstat_mods, list)
			kfree(e);
	}
#endif
	cancel_work_sync(&mstat_chunk_work);
	for (i = 1; i < mstat_nr_sites; i++)
		kfree(mstat_site_recs[i]);
	for (i = 0; mstat_cpu_caches && i < nr_cpu_ids * MSTAT_NR_CTX; i++) {
		for (k = 0; mstat_cpu_caches[i] && k < MSTAT_SITE_CHUNKS; k++)
			kfree(mstat_cpu_caches[i]->sites[k]);
	}
}

// SPDX-License-Identifier: GPL-2.0
/*
 * mstat_e2e: the test client the end-to-end tests drive (scripts/mstat_vm.py).
 *
 * Commands written to /proc/mstat_e2e:
 *   alloc CPU COUNT SIZE  on CPU, allocate COUNT objects of SIZE, fill them
 *                         and queue them (FIFO)
 *   site S CPU COUNT SIZE as alloc, from site line S (1..3, E2E_SITE<S>)
 *   free CPU COUNT        on CPU, free the COUNT oldest queued objects after
 *                         checking their contents; COUNT "all" frees all
 *   stress_start N        start N threads, thread i kept to CPU i while it is
 *                         online, that allocate, pass objects to each other
 *                         through a shared ring and free them, half of the
 *                         time with GFP_ATOMIC under a spinlock
 *   stress_stop           stop them and free everything they hold
 *   leak                  leave the queued objects live at unload
 *   pressure              take free pages until the page allocator, after
 *                         direct reclaim (shrinkers included), has none
 *                         left; then give them back
 *   frag N                fragment free memory (every block above order 3
 *                         taken, and of every order-4 block the upper
 *                         order-3 half), then try N
 *                         GFP_ATOMIC 24 KiB allocations from mstat and N
 *                         from kmalloc, alternately
 *   mistake KIND          make one client mistake (repro, double_cross,
 *                         double_pool, double_large, interior, foreign,
 *                         write_after_free); mstat must refuse and report
 *                         each (a write after free: survive it)
 * Reading it prints counters in "name value" lines.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpu.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kthread.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include <mstat.h>

#define E2E_QUEUE	BIT(16)
#define E2E_RING	1024
#define E2E_THREADS	16

struct e2e_obj {
	u8 *ptr;
	u32 size;
};

/* The FIFO of queued objects, driven by commands. */
static DEFINE_MUTEX(e2e_lock);
static struct e2e_obj *e2e_queue;
static unsigned int e2e_head, e2e_tail;
static bool e2e_leak;
static atomic_long_t e2e_bad_contents = ATOMIC_LONG_INIT(0);

/* The stress ring, shared by the stress threads. */
static DEFINE_SPINLOCK(ring_lock);
static struct e2e_obj ring[E2E_RING];
static unsigned int ring_count;
static struct task_struct *stress_threads[E2E_THREADS];
static unsigned int stress_nthreads;
static atomic64_t stress_nalloc = ATOMIC64_INIT(0);
static atomic64_t stress_nfree = ATOMIC64_INIT(0);
static atomic64_t stress_nfail = ATOMIC64_INIT(0);

static void e2e_fill(u8 *p, u32 size)
{
	u8 seed = (unsigned long)p >> 3;
	u32 i;

	for (i = 0; i < size; i++)
		p[i] = seed + i;
}

static void e2e_check_free(u8 *p, u32 size)
{
	u8 seed = (unsigned long)p >> 3;
	u32 i;

	for (i = 0; i < size; i++) {
		if (p[i] != (u8)(seed + i)) {
			atomic_long_inc(&e2e_bad_contents);
			break;
		}
	}
	mstat_free(p);
}

struct e2e_cmd {
	unsigned int count;
	u32 size;
	unsigned int site;	/* 1..3: one of the three site lines; 0: alloc's own */
	int node;		/* nalloc: mstat_alloc_node()'s node */
	bool nalloc;
};

/*
 * Three allocation sites on lines of their own: the checks find their
 * line numbers by the E2E_SITE markers and expect their rows in
 * /proc/mstat_sites to match exactly.
 */
static void *e2e_site_alloc(unsigned int site, u32 size)
{
	switch (site) {
	case 1:
		return mstat_alloc(size, GFP_KERNEL);	/* E2E_SITE1 */
	case 2:
		return mstat_zalloc(size, GFP_KERNEL);	/* E2E_SITE2 */
	default:
		return mstat_alloc(size, GFP_ATOMIC);	/* E2E_SITE3 */
	}
}

/* Runs on the chosen CPU (work_on_cpu); e2e_lock held by the caller. */
static long e2e_alloc_here(void *arg)
{
	struct e2e_cmd *cmd = arg;
	unsigned int i;

	for (i = 0; i < cmd->count; i++) {
		u8 *p;

		if (e2e_tail - e2e_head >= E2E_QUEUE)
			return -ENOSPC;
		if (cmd->site)
			p = e2e_site_alloc(cmd->site, cmd->size);
		else if (cmd->nalloc)
			p = mstat_alloc_node(cmd->size, GFP_KERNEL, cmd->node);
		else
			p = mstat_alloc(cmd->size, GFP_KERNEL);
		if (!p)
			return -ENOMEM;
		e2e_fill(p, cmd->size);
		e2e_queue[e2e_tail % E2E_QUEUE] = (struct e2e_obj){ p, cmd->size };
		e2e_tail++;
	}
	return 0;
}

static long e2e_free_here(void *arg)
{
	struct e2e_cmd *cmd = arg;
	unsigned int i;

	for (i = 0; i < cmd->count && e2e_head != e2e_tail; i++) {
		struct e2e_obj *o = &e2e_queue[e2e_head % E2E_QUEUE];

		e2e_check_free(o->ptr, o->size);
		e2e_head++;
	}
	return 0;
}

static int e2e_on_cpu(unsigned int cpu, long (*fn)(void *), struct e2e_cmd *cmd)
{
	long ret;

	cpus_read_lock();
	if (cpu >= nr_cpu_ids || !cpu_online(cpu))
		ret = -EINVAL;
	else
		ret = work_on_cpu(cpu, fn, cmd);
	cpus_read_unlock();
	return ret;
}

static bool stress_push(struct e2e_obj o)
{
	bool ok = false;

	spin_lock(&ring_lock);
	if (ring_count < E2E_RING) {
		ring[ring_count++] = o;
		ok = true;
	}
	spin_unlock(&ring_lock);
	return ok;
}

/* Take a random object: most were queued by threads on other CPUs. */
static bool stress_pop(struct e2e_obj *o)
{
	bool ok = false;

	spin_lock(&ring_lock);
	if (ring_count) {
		unsigned int i = get_random_u32() % ring_count;

		*o = ring[i];
		ring[i] = ring[--ring_count];
		ok = true;
	}
	spin_unlock(&ring_lock);
	return ok;
}

static void stress_free(struct e2e_obj o)
{
	e2e_check_free(o.ptr, min_t(u32, o.size, 64));
	atomic64_inc(&stress_nfree);
}

static u32 stress_size(void)
{
	u32 r = get_random_u32();

	/* one in 64 large, the rest 8..4096 */
	return (r & 63) == 0 ? 32769 + (r >> 20) : 8 + (r >> 8) % 4089;
}

static void stress_one(void)
{
	struct e2e_obj o = { .size = stress_size() }, old;
	unsigned long flags;

	if (get_random_u32() & 1) {
		o.ptr = mstat_alloc(o.size, GFP_KERNEL);
	} else {
		/* as a driver would from its own locked section */
		spin_lock_irqsave(&ring_lock, flags);
		o.ptr = mstat_alloc(o.size, GFP_ATOMIC | __GFP_NOWARN);
		spin_unlock_irqrestore(&ring_lock, flags);
	}
	if (!o.ptr) {
		atomic64_inc(&stress_nfail);
		return;
	}
	atomic64_inc(&stress_nalloc);
	e2e_fill(o.ptr, min_t(u32, o.size, 64));
	if (stress_push(o))
		return;
	/* ring full: free one of someone else's to make room */
	if (stress_pop(&old))
		stress_free(old);
	if (!stress_push(o))
		stress_free(o);
}

/*
 * Thread i keeps to CPU i (when it is online), so that the objects it puts
 * in the ring are mostly freed by threads on other CPUs.
 */
static void stress_keep_to(unsigned int cpu)
{
	/*
	 * Not on PREEMPT_RT: there, re-pinning a thread while its CPU goes
	 * offline and online trips a scheduler warning (affine_move_task()
	 * from migrate_enable(), in Debian's 6.12 RT kernel) that has nothing
	 * to do with mstat; the threads float and still free each other's
	 * objects through the ring.
	 */
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		return;
	if (raw_smp_processor_id() != cpu && cpu_online(cpu))
		set_cpus_allowed_ptr(current, cpumask_of(cpu));
}

static int stress_fn(void *arg)
{
	unsigned int cpu = (unsigned long)arg % nr_cpu_ids;
	unsigned long n = 0;
	struct e2e_obj o;

	while (!kthread_should_stop()) {
		if (n++ % 256 == 0)
			stress_keep_to(cpu);
		stress_one();
		if ((get_random_u32() & 3) == 0 && stress_pop(&o))
			stress_free(o);
		cond_resched();
	}
	return 0;
}

static int stress_start(unsigned int n)
{
	unsigned int i;

	if (stress_nthreads || !n || n > E2E_THREADS)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		struct task_struct *t = kthread_run(stress_fn, (void *)(unsigned long)i,
						    "mstat_e2e/%u", i);

		if (IS_ERR(t))
			return PTR_ERR(t);
		stress_threads[stress_nthreads++] = t;
	}
	return 0;
}

static void stress_stop(void)
{
	struct e2e_obj o;

	while (stress_nthreads)
		kthread_stop(stress_threads[--stress_nthreads]);
	while (stress_pop(&o))
		stress_free(o);
}

static unsigned long pressure_pages;

/* Memory pressure: every free page taken, with direct reclaim, then returned. */
static int e2e_pressure(void)
{
	struct page *page, *tmp;
	LIST_HEAD(pages);
	unsigned long n = 0;

	while ((page = alloc_page(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN))) {
		list_add(&page->lru, &pages);
		n++;
		cond_resched();
	}
	list_for_each_entry_safe(page, tmp, &pages, lru)
		__free_page(page);
	pressure_pages = n;
	return 0;
}

static unsigned int frag_mstat_ok, frag_kmalloc_ok;

#ifdef MAX_PAGE_ORDER
#define E2E_MAX_ORDER	MAX_PAGE_ORDER
#else
#define E2E_MAX_ORDER	(MAX_ORDER - 1)
#endif

/* A block e2e_frag() took, its order in page->private. */
static void e2e_free_block(struct page *page)
{
	unsigned int order = page_private(page);

	set_page_private(page, 0);
	__free_pages(page, order);
}

static int e2e_frag(unsigned int n)
{
	void **m = kcalloc(n, sizeof(void *), GFP_KERNEL);
	void **k = kcalloc(n, sizeof(void *), GFP_KERNEL);
	struct page *page, *tmp;
	LIST_HEAD(held);
	LIST_HEAD(spare);
	unsigned int i, order;

	if (!m || !k) {
		kfree(m);
		kfree(k);
		return -ENOMEM;
	}
	/* every block above order 3, atomic reserves included, is held */
	for (order = E2E_MAX_ORDER; order > 3; order--) {
		while ((page = alloc_pages(GFP_ATOMIC | __GFP_NOWARN, order))) {
			set_page_private(page, order);
			list_add(&page->lru, &held);
		}
	}
	/* and the upper order-3 half of every order-4 block: nothing merges above 3 */
	while ((page = alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, 3))) {
		set_page_private(page, 3);
		list_add(&page->lru, page_to_pfn(page) & BIT(3) ? &held : &spare);
	}
	list_for_each_entry_safe(page, tmp, &spare, lru)
		e2e_free_block(page);
	frag_mstat_ok = 0;
	frag_kmalloc_ok = 0;
	for (i = 0; i < n; i++) {
		m[i] = mstat_alloc(24576, GFP_ATOMIC | __GFP_NOWARN);
		k[i] = kmalloc(24576, GFP_ATOMIC | __GFP_NOWARN);
		frag_mstat_ok += !!m[i];
		frag_kmalloc_ok += !!k[i];
	}
	for (i = 0; i < n; i++) {
		mstat_free(m[i]);
		kfree(k[i]);
	}
	list_for_each_entry_safe(page, tmp, &held, lru)
		e2e_free_block(page);
	kfree(m);
	kfree(k);
	return 0;
}

/* ---- client mistakes, each made on purpose ---- */

struct e2e_mistake {
	u8 *p;
	size_t size;
};

static unsigned int mistakes_run, mistakes_distinct;

static long mistake_alloc(void *arg)
{
	struct e2e_mistake *m = arg;

	m->p = mstat_alloc(m->size, GFP_KERNEL);
	return m->p ? 0 : -ENOMEM;
}

static long mistake_free(void *arg)
{
	mstat_free(((struct e2e_mistake *)arg)->p);
	return 0;
}

/* The next two allocations of the size on this CPU: distinct, or a failure. */
static void mistake_two_more(size_t size)
{
	u8 *a = mstat_alloc(size, GFP_KERNEL), *b = mstat_alloc(size, GFP_KERNEL);

	if (a && b && a != b)
		mistakes_distinct++;
	mstat_free(a);
	mstat_free(b);
}

/* The first report: a 96-byte object freed twice. */
static long mistake_repro(void *arg)
{
	u8 *p = mstat_alloc(96, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	mstat_free(p);
	mstat_free(p);
	mistake_two_more(96);
	return 0;
}

/* Freed, pushed out of this CPU's cache to its span by 200 frees, freed again. */
static long mistake_double_pool(void *arg)
{
	u8 *p = mstat_alloc(256, GFP_KERNEL), **q = kcalloc(200, sizeof(*q), GFP_KERNEL);
	unsigned int i;

	if (!p || !q)
		return -ENOMEM;
	for (i = 0; i < 200; i++)
		q[i] = mstat_alloc(256, GFP_KERNEL);
	mstat_free(p);
	for (i = 0; i < 200; i++)
		mstat_free(q[i]);
	kfree(q);
	mstat_free(p);
	mistake_two_more(256);
	return 0;
}

static long mistake_double_large(void *arg)
{
	u8 *p = mstat_alloc(50000, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	mstat_free(p);
	mstat_free(p);
	return 0;
}

static long mistake_interior(void *arg)
{
	u8 *p = mstat_alloc(100, GFP_KERNEL), *k = kmalloc(64, GFP_KERNEL);

	if (!p || !k)
		return -ENOMEM;
	mstat_free(p + 8);
	mstat_free(p);
	mstat_free(k);
	kfree(k);
	return 0;
}

/*
 * Freed, written to, then pushed to the pool by 200 frees: harmless to
 * mstat, which never reads a free object outside debug mode.
 */
static long mistake_write_after_free(void *arg)
{
	u8 *p = mstat_alloc(256, GFP_KERNEL), **q = kcalloc(200, sizeof(*q), GFP_KERNEL);
	unsigned int i;

	if (!p || !q)
		return -ENOMEM;
	for (i = 0; i < 200; i++)
		q[i] = mstat_alloc(256, GFP_KERNEL);
	mstat_free(p);
	memset(p, 0xab, 8);
	for (i = 0; i < 200; i++)
		mstat_free(q[i]);
	kfree(q);
	mistake_two_more(256);
	return 0;
}

static int e2e_mistake(const char *kind)
{
	struct e2e_mistake m = { .size = 128 };
	long ret;

	cpus_read_lock();
	if (num_online_cpus() < 3) {
		ret = -EINVAL;
	} else if (!strcmp(kind, "repro")) {
		ret = work_on_cpu(0, mistake_repro, NULL);
	} else if (!strcmp(kind, "double_cross")) {
		/* allocated on CPU 0, freed on CPU 1, freed again on CPU 2 */
		ret = work_on_cpu(0, mistake_alloc, &m) ?: work_on_cpu(1, mistake_free, &m) ?:
		      work_on_cpu(2, mistake_free, &m);
	} else if (!strcmp(kind, "double_pool")) {
		ret = work_on_cpu(2, mistake_double_pool, NULL);
	} else if (!strcmp(kind, "double_large")) {
		ret = work_on_cpu(1, mistake_double_large, NULL);
	} else if (!strcmp(kind, "interior")) {
		ret = work_on_cpu(0, mistake_interior, NULL);
	} else if (!strcmp(kind, "write_after_free")) {
		ret = work_on_cpu(1, mistake_write_after_free, NULL);
	} else {
		ret = -EINVAL;
	}
	cpus_read_unlock();
	if (!ret)
		mistakes_run++;
	return ret;
}

/*
 * kmalloc's side of the NUMA measure: CPU a allocates n objects, CPU b
 * frees them and allocates n again; how many of those lie on b's node.
 */
struct kchurn {
	void **objs;
	unsigned int n;
	size_t size;
	bool free;
};

static long kchurn_here(void *arg)
{
	struct kchurn *k = arg;
	unsigned int i;

	for (i = 0; i < k->n; i++) {
		if (k->free) {
			kfree(k->objs[i]);
		} else {
			k->objs[i] = kmalloc(k->size, GFP_KERNEL);
			if (!k->objs[i])
				return -ENOMEM;
		}
	}
	return 0;
}

static unsigned int kchurn_local, kchurn_size;

static int e2e_kchurn(unsigned int a, unsigned int b, unsigned int n, unsigned int size)
{
	struct kchurn k = { .n = n, .size = size };
	unsigned int i;
	int ret, nid;

	if (!n || n > E2E_QUEUE || a >= nr_cpu_ids || b >= nr_cpu_ids)
		return -EINVAL;
	k.objs = kcalloc(n, sizeof(void *), GFP_KERNEL);
	if (!k.objs)
		return -ENOMEM;
	cpus_read_lock();
	ret = -EINVAL;
	if (!cpu_online(a) || !cpu_online(b))
		goto out;
	ret = work_on_cpu(a, kchurn_here, &k);
	k.free = true;
	ret = ret ?: work_on_cpu(b, kchurn_here, &k);
	k.free = false;
	ret = ret ?: work_on_cpu(b, kchurn_here, &k);
	if (ret)
		goto out;
	nid = cpu_to_node(b);
	kchurn_local = 0;
	kchurn_size = size;
	for (i = 0; i < n; i++)
		kchurn_local += page_to_nid(virt_to_page(k.objs[i])) == nid;
	k.free = true;
	work_on_cpu(b, kchurn_here, &k);
out:
	cpus_read_unlock();
	kfree(k.objs);
	return ret;
}

static int e2e_command(char *line)
{
	struct e2e_cmd cmd = { };
	unsigned int cpu, n;
	char what[32];
	int ret;

	if (sscanf(line, "alloc %u %u %u", &cpu, &cmd.count, &cmd.size) == 3)
		return e2e_on_cpu(cpu, e2e_alloc_here, &cmd);
	if (sscanf(line, "kchurn %u %u %u %u", &cpu, &n, &cmd.count, &cmd.size) == 4)
		return e2e_kchurn(cpu, n, cmd.count, cmd.size);
	if (sscanf(line, "nalloc %u %u %u %d", &cpu, &cmd.count, &cmd.size, &cmd.node) == 4) {
		cmd.nalloc = true;
		return e2e_on_cpu(cpu, e2e_alloc_here, &cmd);
	}
	if (sscanf(line, "site %u %u %u %u", &cmd.site, &cpu, &cmd.count, &cmd.size) == 4) {
		if (cmd.site < 1 || cmd.site > 3)
			return -EINVAL;
		return e2e_on_cpu(cpu, e2e_alloc_here, &cmd);
	}
	if (sscanf(line, "free %u %31s", &cpu, what) == 2) {
		cmd.count = UINT_MAX;
		if (strcmp(what, "all")) {
			ret = kstrtouint(what, 10, &cmd.count);
			if (ret)
				return ret;
		}
		return e2e_on_cpu(cpu, e2e_free_here, &cmd);
	}
	if (sscanf(line, "stress_start %u", &n) == 1)
		return stress_start(n);
	if (!strcmp(line, "stress_stop")) {
		stress_stop();
		return 0;
	}
	if (!strcmp(line, "leak")) {
		e2e_leak = true;
		return 0;
	}
	if (!strcmp(line, "pressure"))
		return e2e_pressure();
	if (sscanf(line, "frag %u", &n) == 1)
		return e2e_frag(n);
	if (sscanf(line, "mistake %31s", what) == 1)
		return e2e_mistake(what);
	return -EINVAL;
}

static ssize_t e2e_write(struct file *file, const char __user *ubuf, size_t len,
			 loff_t *ppos)
{
	char buf[64];
	int ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	strim(buf);
	mutex_lock(&e2e_lock);
	ret = e2e_command(buf);
	mutex_unlock(&e2e_lock);
	return ret ? ret : len;
}

/* The highest page frame a queued object lies in. */
static unsigned long e2e_max_pfn(void)
{
	unsigned long top = 0;
	unsigned int i;

	mutex_lock(&e2e_lock);
	for (i = e2e_head; i != e2e_tail; i++)
		top = max_t(unsigned long, top,
			    PHYS_PFN(virt_to_phys(e2e_queue[i % E2E_QUEUE].ptr)));
	mutex_unlock(&e2e_lock);
	return top;
}

/* "node_objs": how many queued objects lie on each node, 0 to 3. */
static void e2e_show_nodes(struct seq_file *m)
{
	unsigned int i, on[4] = { };
	int nid;

	for (i = e2e_head; i != e2e_tail; i++) {
		nid = page_to_nid(virt_to_page(e2e_queue[i % E2E_QUEUE].ptr));
		if ((unsigned int)nid < ARRAY_SIZE(on))
			on[nid]++;
	}
	seq_printf(m, "node_objs %u %u %u %u\n", on[0], on[1], on[2], on[3]);
}

static int e2e_show(struct seq_file *m, void *v)
{
	seq_printf(m, "queued %u\n", e2e_tail - e2e_head);
	e2e_show_nodes(m);
	seq_printf(m, "max_pfn %lu\n", e2e_max_pfn());
	seq_printf(m, "bad_contents %ld\n", atomic_long_read(&e2e_bad_contents));
	seq_printf(m, "stress_nalloc %lld\n", atomic64_read(&stress_nalloc));
	seq_printf(m, "stress_nfree %lld\n", atomic64_read(&stress_nfree));
	seq_printf(m, "stress_nfail %lld\n", atomic64_read(&stress_nfail));
	seq_printf(m, "pressure_pages %lu\n", pressure_pages);
	seq_printf(m, "frag_mstat_ok %u\n", frag_mstat_ok);
	seq_printf(m, "frag_kmalloc_ok %u\n", frag_kmalloc_ok);
	seq_printf(m, "kchurn_local %u\n", kchurn_local);
	seq_printf(m, "kchurn_size %u\n", kchurn_size);
	seq_printf(m, "mistakes_run %u\n", mistakes_run);
	seq_printf(m, "mistakes_distinct %u\n", mistakes_distinct);
	return 0;
}

static int e2e_open(struct inode *inode, struct file *file)
{
	return single_open(file, e2e_show, NULL);
}

static const struct proc_ops e2e_proc_ops = {
	.proc_open = e2e_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
	.proc_write = e2e_write,
};

static int __init mstat_e2e_init(void)
{
	e2e_queue = kvcalloc(E2E_QUEUE, sizeof(*e2e_queue), GFP_KERNEL);
	if (!e2e_queue)
		return -ENOMEM;
	if (!proc_create("mstat_e2e", 0600, NULL, &e2e_proc_ops)) {
		kvfree(e2e_queue);
		return -ENOMEM;
	}
	return 0;
}

static void __exit mstat_e2e_exit(void)
{
	remove_proc_entry("mstat_e2e", NULL);
	stress_stop();
	if (e2e_leak)
		pr_info("leaving %u objects live on purpose\n", e2e_tail - e2e_head);
	else
		while (e2e_head != e2e_tail)
			mstat_free(e2e_queue[e2e_head++ % E2E_QUEUE].ptr);
	kvfree(e2e_queue);
}

module_init(mstat_e2e_init);
module_exit(mstat_e2e_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mstat end-to-end test client");

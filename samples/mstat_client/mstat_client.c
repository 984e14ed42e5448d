// SPDX-License-Identifier: GPL-2.0
/*
 * mstat_client: an example module that uses mstat instead of kmalloc.
 *
 * Copy this directory to start a module of your own.  On load, every
 * online CPU allocates objects of a few sizes and writes them; it frees a
 * quarter itself, the next CPU frees another quarter (mstat_free() may run
 * on any CPU), and the other half stays allocated until the module is
 * unloaded, so /proc/mstat has live objects to show.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include <mstat.h>

static unsigned int nobjs = 64;
module_param(nobjs, uint, 0444);
MODULE_PARM_DESC(nobjs, "objects each CPU allocates (default 64)");

static const size_t client_sizes[] = { 16, 96, 512, 4096, 40000 };

/* Objects kept until unload: nobjs / 2 per CPU. */
static void **client_kept;
static unsigned int client_nkept;

struct client_batch {
	void **objs;
	unsigned int first, last;	/* the slice of objs this step handles */
	size_t bytes;
};

/* Runs on one CPU: allocate and fill the objects. */
static long client_alloc_here(void *arg)
{
	struct client_batch *b = arg;
	unsigned int i;

	for (i = b->first; i < b->last; i++) {
		size_t size = client_sizes[i % ARRAY_SIZE(client_sizes)];

		b->objs[i] = mstat_alloc(size, GFP_KERNEL);
		if (!b->objs[i])
			return -ENOMEM;
		memset(b->objs[i], i, size);
		b->bytes += mstat_usable_size(b->objs[i]);
	}
	return 0;
}

/* Runs on some CPU, not necessarily the allocating one: free a slice. */
static long client_free_here(void *arg)
{
	struct client_batch *b = arg;
	unsigned int i;

	for (i = b->first; i < b->last; i++) {
		mstat_free(b->objs[i]);
		b->objs[i] = NULL;
	}
	return 0;
}

static long client_run_on(unsigned int cpu, unsigned int next)
{
	struct client_batch b = { };
	void **objs = kcalloc(nobjs, sizeof(*objs), GFP_KERNEL);
	unsigned int q = nobjs / 4;
	long ret;

	if (!objs)
		return -ENOMEM;
	b.objs = objs;
	b.last = nobjs;
	ret = work_on_cpu(cpu, client_alloc_here, &b);
	if (!ret) {
		pr_info("cpu%u allocated %u objects (%zu bytes); it frees %u, cpu%u frees %u, %u stay until unload\n",
			cpu, nobjs, b.bytes, q, next, q, nobjs - 2 * q);
		b.first = 0;
		b.last = q;
		work_on_cpu(cpu, client_free_here, &b);
		b.first = q;
		b.last = 2 * q;
		work_on_cpu(next, client_free_here, &b);
		memcpy(client_kept + client_nkept, objs + 2 * q,
		       (nobjs - 2 * q) * sizeof(*objs));
		client_nkept += nobjs - 2 * q;
	} else {
		b.first = 0;
		work_on_cpu(cpu, client_free_here, &b);	/* mstat_free(NULL) is fine */
	}
	kfree(objs);
	return ret;
}

static void client_free_kept(void)
{
	while (client_nkept)
		mstat_free(client_kept[--client_nkept]);
	kfree(client_kept);
}

static int __init mstat_client_init(void)
{
	unsigned int cpu, next;
	long ret = 0;

	client_kept = kcalloc(num_possible_cpus(), nobjs * sizeof(*client_kept), GFP_KERNEL);
	if (!client_kept)
		return -ENOMEM;

	cpus_read_lock();
	for_each_online_cpu(cpu) {
		next = cpumask_next(cpu, cpu_online_mask);
		if (next >= nr_cpu_ids)
			next = cpumask_first(cpu_online_mask);
		ret = client_run_on(cpu, next);
		if (ret)
			break;
	}
	cpus_read_unlock();
	if (ret)
		client_free_kept();
	return ret;
}

static void __exit mstat_client_exit(void)
{
	pr_info("freeing the %u objects kept\n", client_nkept);
	client_free_kept();
}

module_init(mstat_client_init);
module_exit(mstat_client_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Example mstat client: allocates and frees on every online CPU");

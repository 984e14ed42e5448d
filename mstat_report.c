// SPDX-License-Identifier: GPL-2.0
/*
 * mstat report: the client mistakes mstat refuses, counted and told.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/bug.h>
#include <linux/cache.h>
#include <linux/printk.h>

#include "mstat_internal.h"

/* The client mistakes mstat refused, by kind (enum mstat_mistake). */
static atomic_long_t mstat_mistakes[MSTAT_NR_MISTAKES];

static const char *const mstat_mistake_text[MSTAT_NR_MISTAKES] = {
	[MSTAT_BAD_POINTER] =
		"not an object mstat allocated, or its memory went back to the page allocator",
	[MSTAT_DOUBLE_FREE] = "double free: the object is already free",
	[MSTAT_CORRUPT_FREE] =
		"object freed twice at once, or (debug mode) written to after its free; withdrawn",
	[MSTAT_REDZONE] = "red zone around the object written to",
};

/* debug mode's account of a reported object, which mstat_core.c hands in */
static void (*mstat_report_detail)(const void *ptr) __ro_after_init;

/**
 * mstat_report_init - take the function that prints what is known of an object
 * @detail: called in debug mode after a report, with the pointer at fault
 */
void mstat_report_init(void (*detail)(const void *ptr))
{
	mstat_report_detail = detail;
}

/**
 * mstat_report - count and report a client's mistake
 * @what: the kind of mistake
 * @fn: the API function that found it
 * @ptr: the pointer at fault
 * @caller: return address of @fn's caller, or 0 if unknown
 *
 * The first mistake of each kind is a WARN (with a stack trace), each
 * later one a rate-limited line.  In debug mode the object's allocation
 * and free sites follow.
 */
void __cold mstat_report(enum mstat_mistake what, const char *fn, const void *ptr,
			 unsigned long caller)
{
	static unsigned long warned;

	atomic_long_inc(&mstat_mistakes[what]);
	if (!test_and_set_bit(what, &warned))
		WARN(1, "mstat: %s(%p) from %pS: %s\n", fn, ptr, (void *)caller,
		     mstat_mistake_text[what]);
	else
		pr_err_ratelimited("%s(%p) from %pS: %s\n", fn, ptr, (void *)caller,
				   mstat_mistake_text[what]);
	if (mstat_debug() && what != MSTAT_BAD_POINTER && mstat_report_detail)
		mstat_report_detail(ptr);
}

/* Count a mistake that was reported some other way. */
void mstat_count_mistake(enum mstat_mistake what)
{
	atomic_long_inc(&mstat_mistakes[what]);
}

u64 mstat_nmistakes(enum mstat_mistake what)
{
	return atomic_long_read(&mstat_mistakes[what]);
}

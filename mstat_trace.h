/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mstat's tracepoints, after include/trace/events/kmem.h: mstat:mstat_alloc
 * and mstat:mstat_free for every allocation and accepted free, small and
 * large; mstat:mstat_cpu_donate when a dead CPU's caches and counters are
 * handed on; mstat:mstat_reclaim when reclaim empties a CPU's class cache.
 * mstat_core.c defines them (CREATE_TRACE_POINTS).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM mstat

#if !defined(_MSTAT_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _MSTAT_TRACE_H

#include <linux/types.h>
#include <linux/tracepoint.h>
#include <trace/events/mmflags.h>

/* the fast paths are off while either of the first two is enabled: mstat_fast_off() */
int mstat_trace_reg(void);
void mstat_trace_unreg(void);

TRACE_EVENT_FN(mstat_alloc,
	       TP_PROTO(unsigned long call_site, const void *ptr, size_t bytes_req,
			size_t bytes_alloc, gfp_t gfp_flags),
	       TP_ARGS(call_site, ptr, bytes_req, bytes_alloc, gfp_flags),
	       TP_STRUCT__entry(__field(unsigned long, call_site)
				__field(const void *, ptr)
				__field(size_t, bytes_req)
				__field(size_t, bytes_alloc)
				__field(unsigned long, gfp_flags)),
	       TP_fast_assign(__entry->call_site = call_site;
			      __entry->ptr = ptr;
			      __entry->bytes_req = bytes_req;
			      __entry->bytes_alloc = bytes_alloc;
			      __entry->gfp_flags = (__force unsigned long)gfp_flags;),
	       TP_printk("call_site=%pS ptr=%p bytes_req=%zu bytes_alloc=%zu gfp_flags=%s",
			 (void *)__entry->call_site, __entry->ptr, __entry->bytes_req,
			 __entry->bytes_alloc, show_gfp_flags(__entry->gfp_flags)),
	       mstat_trace_reg, mstat_trace_unreg
);

TRACE_EVENT_FN(mstat_free,
	       TP_PROTO(unsigned long call_site, const void *ptr),
	       TP_ARGS(call_site, ptr),
	       TP_STRUCT__entry(__field(unsigned long, call_site)
				__field(const void *, ptr)),
	       TP_fast_assign(__entry->call_site = call_site;
			      __entry->ptr = ptr;),
	       TP_printk("call_site=%pS ptr=%p", (void *)__entry->call_site, __entry->ptr),
	       mstat_trace_reg, mstat_trace_unreg
);

TRACE_EVENT(mstat_cpu_donate,
	    TP_PROTO(unsigned int dead, unsigned int recipient, unsigned long objects,
		     unsigned long bytes),
	    TP_ARGS(dead, recipient, objects, bytes),
	    TP_STRUCT__entry(__field(unsigned int, dead)
			     __field(unsigned int, recipient)
			     __field(unsigned long, objects)
			     __field(unsigned long, bytes)),
	    TP_fast_assign(__entry->dead = dead;
			   __entry->recipient = recipient;
			   __entry->objects = objects;
			   __entry->bytes = bytes;),
	    TP_printk("dead=%u recipient=%u objects=%lu bytes=%lu",
		      __entry->dead, __entry->recipient, __entry->objects, __entry->bytes)
);

TRACE_EVENT(mstat_reclaim,
	    TP_PROTO(unsigned int size, unsigned long objects, unsigned long bytes),
	    TP_ARGS(size, objects, bytes),
	    TP_STRUCT__entry(__field(unsigned int, size)
			     __field(unsigned long, objects)
			     __field(unsigned long, bytes)),
	    TP_fast_assign(__entry->size = size;
			   __entry->objects = objects;
			   __entry->bytes = bytes;),
	    TP_printk("size=%u objects=%lu bytes=%lu",
		      __entry->size, __entry->objects, __entry->bytes)
);

#endif /* _MSTAT_TRACE_H */

/* outside include/trace/events: define_trace.h finds this file through -I$(src) */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE mstat_trace
#include <trace/define_trace.h>

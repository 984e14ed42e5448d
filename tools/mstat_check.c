// SPDX-License-Identifier: GPL-2.0
/*
 * mstat_check: read /proc/mstat as fast as possible and check, on every
 * single read, the invariants mstat promises:
 *   1. live_objects == nmalloc - nfree >= 0, alloc_bytes >= 0 and equal to
 *      total_alloc_bytes - total_free_bytes;
 *   2. every class row: nfree <= nmalloc, live_objects and alloc_bytes
 *      consistent with them;
 *   3. the class rows plus the large objects sum to the totals;
 *   4. nmalloc, nfree and total_alloc_bytes never decrease between reads;
 *   5. the CPU rows sum to the totals.
 * Columns are found by the legends.
 *
 * With -s it reads /proc/mstat_sites instead and checks, on every read,
 * every site row: nfree <= nmalloc, live_objects == nmalloc - nfree,
 * live_bytes >= 0 and 0 exactly when live_objects is; rows sorted by
 * live_bytes, largest first; a site's nmalloc and nfree never decrease
 * between reads.
 *
 * usage: mstat_check [-s] [-t SECONDS] [-n MIN_READS] [-f FILE]
 * Reads for at least SECONDS and MIN_READS reads (at most 15 x SECONDS;
 * with -t 0 exactly MIN_READS reads), then prints "mstat_check: reads N
 * violations M" and exits 0 only if M is 0 and N reached MIN_READS.  A
 * legend without a column the checks need, or a row without a value for
 * every column of its legend, is a violation.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MAX_COLS	64
#define MAX_READ_MIB	64	/* a read larger than this is not checked */

/* A table's legend: its columns, pointing into the read's text. */
struct table {
	const char *cols[MAX_COLS];
	int ncols;
};

struct totals {
	unsigned long long nmalloc, nfree, live_objects, alloc_bytes;
	unsigned long long total_alloc_bytes, total_free_bytes;
	unsigned long long large_nmalloc, large_nfree, large_alloc_bytes;
};

static long long violations;
static long long reads;

static void violation(const char *fmt, ...)
{
	va_list ap;

	if (violations++ < 20) {
		printf("mstat_check: read %lld: ", reads);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		putchar('\n');
	}
}

static int col(const struct table *t, const char *name)
{
	int i;

	for (i = 0; i < t->ncols; i++)
		if (!strcmp(t->cols[i], name))
			return i;
	return -1;
}

/*
 * Read a legend into @t and find in it the columns named in @need (after
 * the table's name, so that they index a row's values): @idx gets them.
 * 0, or -1 and a violation when the legend lacks one.
 */
static int parse_legend(struct table *t, char *line, const char *const *need, int *idx)
{
	char *tok, *save;
	int i;

	t->ncols = 0;
	for (tok = strtok_r(line + 2, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (t->ncols == MAX_COLS) {
			violation("legend '%s' has more than %d columns", t->cols[0], MAX_COLS);
			return -1;
		}
		t->cols[t->ncols++] = tok;
	}
	for (i = 0; need[i]; i++) {
		idx[i] = col(t, need[i]) - 1;
		if (idx[i] < 0) {
			violation("%s legend has no %s column", t->cols[0], need[i]);
			return -1;
		}
	}
	return 0;
}

/*
 * Split a row into its key and its values, one for each column of the
 * legend @t after the first: 0, or -1 if it has more or fewer, or one is
 * not a number.
 */
static int split_row(char *line, const struct table *t, long long *v)
{
	char *tok, *save, *end;
	int n = 0;

	strtok_r(line, " ", &save);
	while ((tok = strtok_r(NULL, " ", &save))) {
		if (n == t->ncols - 1)
			return -1;
		errno = 0;
		v[n++] = strtoll(tok, &end, 10);
		if (errno || *end || end == tok)
			return -1;
	}
	return n == t->ncols - 1 ? 0 : -1;
}

static void set_total(struct totals *s, const char *name, unsigned long long v)
{
	static const struct { const char *name; size_t off; } fields[] = {
#define F(x) { #x, offsetof(struct totals, x) }
		F(nmalloc), F(nfree), F(live_objects), F(alloc_bytes),
		F(total_alloc_bytes), F(total_free_bytes), F(large_nmalloc),
		F(large_nfree), F(large_alloc_bytes),
#undef F
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fields); i++)
		if (!strcmp(fields[i].name, name))
			*(unsigned long long *)((char *)s + fields[i].off) = v;
}

/* The columns the checks need, found by name in the legends, and their order here. */
static const char *const class_cols[] = {
	"size", "nmalloc", "nfree", "live_objects", "alloc_bytes", NULL
};

enum { C_SIZE, C_NMALLOC, C_NFREE, C_LIVE, C_BYTES, C_NR };

static const char *const cpu_cols[] = { "nmalloc", "nfree", "alloc_bytes", NULL };

enum { P_NMALLOC, P_NFREE, P_BYTES, P_NR };

static void check_read(char *text, struct totals *prev)
{
	unsigned long long c_nmalloc = 0, c_nfree = 0, c_live = 0, c_bytes = 0;
	unsigned long long p_nmalloc = 0, p_nfree = 0;
	long long p_bytes = 0, v[MAX_COLS];
	struct table classes = { .ncols = 0 }, cpus = { .ncols = 0 };
	struct table *cur = NULL;
	struct totals s = { 0 };
	int ci[C_NR], pi[P_NR];
	char *line, *save;

	line = strtok_r(text, "\n", &save);
	if (!line || strcmp(line, "mstat version 1")) {
		violation("first line is not 'mstat version 1'");
		return;
	}
	while ((line = strtok_r(NULL, "\n", &save))) {
		if (!strncmp(line, "# class ", 8)) {
			if (parse_legend(&classes, line, class_cols, ci))
				return;
			cur = &classes;
		} else if (!strncmp(line, "# cpu ", 6)) {
			if (parse_legend(&cpus, line, cpu_cols, pi))
				return;
			cur = &cpus;
		} else if (!cur) {
			char name[64];
			unsigned long long val;

			if (sscanf(line, "%63s %llu", name, &val) == 2)
				set_total(&s, name, val);
		} else if (cur == &classes) {
			long long nm, nf, live;

			if (split_row(line, cur, v)) {
				violation("class row '%s' does not match its legend", line);
				continue;
			}
			nm = v[ci[C_NMALLOC]];
			nf = v[ci[C_NFREE]];
			live = v[ci[C_LIVE]];
			if (nf > nm)
				violation("%s: nfree %lld > nmalloc %lld", line, nf, nm);
			if (live != nm - nf || v[ci[C_BYTES]] != live * v[ci[C_SIZE]])
				violation("%s: live_objects/alloc_bytes inconsistent", line);
			c_nmalloc += nm;
			c_nfree += nf;
			c_live += live;
			c_bytes += v[ci[C_BYTES]];
		} else {
			if (split_row(line, cur, v)) {
				violation("cpu row '%s' does not match its legend", line);
				continue;
			}
			p_nmalloc += v[pi[P_NMALLOC]];
			p_nfree += v[pi[P_NFREE]];
			p_bytes += v[pi[P_BYTES]];
		}
	}

	/* 1 */
	if (s.nfree > s.nmalloc || s.live_objects != s.nmalloc - s.nfree)
		violation("nmalloc %llu nfree %llu live_objects %llu", s.nmalloc, s.nfree,
			  s.live_objects);
	if (s.total_free_bytes > s.total_alloc_bytes ||
	    s.alloc_bytes != s.total_alloc_bytes - s.total_free_bytes)
		violation("alloc_bytes %llu total_alloc_bytes %llu total_free_bytes %llu",
			  s.alloc_bytes, s.total_alloc_bytes, s.total_free_bytes);
	if (s.large_nfree > s.large_nmalloc)
		violation("large_nfree %llu > large_nmalloc %llu", s.large_nfree, s.large_nmalloc);
	/* 3 */
	if (c_nmalloc + s.large_nmalloc != s.nmalloc || c_nfree + s.large_nfree != s.nfree ||
	    c_live + s.large_nmalloc - s.large_nfree != s.live_objects ||
	    c_bytes + s.large_alloc_bytes != s.alloc_bytes)
		violation("class rows + large do not sum to the totals");
	/* 4 */
	if (s.nmalloc < prev->nmalloc || s.nfree < prev->nfree ||
	    s.total_alloc_bytes < prev->total_alloc_bytes)
		violation("decreased: nmalloc %llu->%llu nfree %llu->%llu total_alloc %llu->%llu",
			  prev->nmalloc, s.nmalloc, prev->nfree, s.nfree,
			  prev->total_alloc_bytes, s.total_alloc_bytes);
	/* 5 */
	if (p_nmalloc != s.nmalloc || p_nfree != s.nfree ||
	    (unsigned long long)p_bytes != s.alloc_bytes)
		violation("cpu rows: %llu %llu %lld, totals: %llu %llu %llu",
			  p_nmalloc, p_nfree, p_bytes, s.nmalloc, s.nfree, s.alloc_bytes);
	*prev = s;
}

/* A site's counts in the previous read, to check that they never go back. */
#define MAX_SITES	4096
static struct site_seen {
	char *key;		/* "file:line module function", as printed */
	size_t len;
	long long nmalloc, nfree;
} seen[MAX_SITES];
static int nseen;

static struct site_seen *site_seen(const char *key, size_t len)
{
	int i;

	for (i = 0; i < nseen; i++)
		if (seen[i].len == len && !memcmp(seen[i].key, key, len))
			return &seen[i];
	if (nseen == MAX_SITES)
		return NULL;
	seen[nseen].key = malloc(len + 1);
	if (!seen[nseen].key) {
		printf("mstat_check: out of memory\n");
		exit(2);
	}
	memcpy(seen[nseen].key, key, len);
	seen[nseen].key[len] = '\0';
	seen[nseen].len = len;
	seen[nseen].nmalloc = 0;
	seen[nseen].nfree = 0;
	return &seen[nseen++];
}

/*
 * Find the space-separated fields of @line, of any length, without
 * changing it: at most @max in @f and @len; returns how many there are
 * (@max + 1 if more).
 */
static int split_fields(const char *line, const char **f, size_t *len, int max)
{
	int n = 0;

	for (;;) {
		line += strspn(line, " ");
		if (!*line)
			return n;
		if (n == max)
			return max + 1;
		f[n] = line;
		len[n] = strcspn(line, " ");
		line += len[n++];
	}
}

/* Field @f of length @len as a whole decimal number: 0 and *@v, or -1. */
static int field_number(const char *f, size_t len, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(f, &end, 10);
	return errno || end == f || end != f + len ? -1 : 0;
}

static void check_sites_read(char *text)
{
	static const char legend[] =
		"# live_bytes live_objects nmalloc nfree file:line module function";
	long long prev_bytes = -1;
	char *line, *save;

	line = strtok_r(text, "\n", &save);
	if (!line || strcmp(line, "mstat_sites version 1")) {
		violation("first line is not 'mstat_sites version 1'");
		return;
	}
	line = strtok_r(NULL, "\n", &save);
	if (!line || strcmp(line, legend)) {
		violation("second line is not the legend");
		return;
	}
	while ((line = strtok_r(NULL, "\n", &save))) {
		long long bytes, live, nm, nf;
		struct site_seen *s;
		const char *f[7], *key;
		size_t len[7], klen;

		if (split_fields(line, f, len, 7) != 7 ||
		    field_number(f[0], len[0], &bytes) || field_number(f[1], len[1], &live) ||
		    field_number(f[2], len[2], &nm) || field_number(f[3], len[3], &nf)) {
			violation("site row '%s' does not have seven fields", line);
			continue;
		}
		if (nf > nm || live != nm - nf || bytes < 0 || !live != !bytes)
			violation("site row '%s' inconsistent", line);
		if (prev_bytes >= 0 && bytes > prev_bytes)
			violation("site rows not sorted by live_bytes at '%s'", line);
		prev_bytes = bytes;
		key = f[4];			/* file:line module function */
		klen = f[6] + len[6] - f[4];
		s = site_seen(key, klen);
		if (s && (nm < s->nmalloc || nf < s->nfree))
			violation("site %.*s went back: nmalloc %lld->%lld nfree %lld->%lld",
				  (int)klen, key, s->nmalloc, nm, s->nfree, nf);
		if (s) {
			s->nmalloc = nm;
			s->nfree = nf;
		}
	}
}

/*
 * Double the buffer *@buf of *@size bytes: 0, or -1 and errno (EFBIG past
 * MAX_READ_MIB, ENOMEM).
 */
static int grow(char **buf, size_t *size)
{
	char *bigger;

	if (*size >= (size_t)MAX_READ_MIB << 20) {
		errno = EFBIG;
		return -1;
	}
	bigger = realloc(*buf, *size * 2);
	if (!bigger)
		return -1;
	*buf = bigger;
	*size *= 2;
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *path = "/proc/mstat";
	double seconds = 20, start;
	long long min_reads = 10000;
	struct totals prev = { 0 };
	size_t size = 64 * 1024;
	char *buf = malloc(size);
	int opt, sites = 0;

	while ((opt = getopt(argc, argv, "st:n:f:")) != -1) {
		if (opt == 's') {
			sites = 1;
			path = "/proc/mstat_sites";
		} else if (opt == 't') {
			seconds = atof(optarg);
		} else if (opt == 'n') {
			min_reads = atoll(optarg);
		} else if (opt == 'f') {
			path = optarg;
		} else {
			return 2;
		}
	}
	if (!buf)
		return 2;
	start = now();
	for (;;) {
		double elapsed = now() - start;
		ssize_t len = 0, r;
		int fd, err;

		if ((elapsed >= seconds && reads >= min_reads) ||
		    (seconds > 0 && elapsed >= 15 * seconds))
			break;
		fd = open(path, O_RDONLY);
		if (fd < 0) {
			printf("mstat_check: %s: %s\n", path, strerror(errno));
			return 1;
		}
		/* the whole file, however long: a cut read would fail or pass wrongly */
		while ((r = read(fd, buf + len, size - 1 - len)) > 0) {
			len += r;
			if (len == (ssize_t)size - 1 && grow(&buf, &size)) {
				r = -1;
				break;
			}
		}
		err = errno;
		close(fd);
		buf[len] = '\0';
		reads++;
		if (r < 0) {
			violation("%s: not read whole: %s", path, strerror(err));
			continue;
		}
		if (sites)
			check_sites_read(buf);
		else
			check_read(buf, &prev);
	}
	printf("mstat_check: reads %lld violations %lld in %.1f s\n", reads, violations,
	       now() - start);
	return violations || reads < min_reads;
}

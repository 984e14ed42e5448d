// SPDX-License-Identifier: GPL-2.0
/*
 * mstat: a viewer for /proc/mstat, in the spirit of tools/mm/slabinfo.c
 * and vmstat.
 *
 *   mstat [FILE]            summary, the classes and CPUs that were used
 *   mstat -d SECONDS [FILE] the same every SECONDS, with rates per second
 *   mstat --json [FILE]     one read as JSON (with -d: one object per line)
 *   mstat --nodes [FILE]    the memory nodes: /proc/mstat_nodes, or a copy
 *   mstat --caches [FILE]   the typed caches: /proc/mstat_caches, or a copy
 *
 * FILE defaults to /proc/mstat; a saved copy works as well.  Summary
 * fields are "name value" lines, tables are found by their legend lines
 * ("# class size nmalloc ..."), so fields and columns appended later are
 * carried along (in --json) and never break it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define MAX_FIELDS	64
#define MAX_COLS	32
#define MAX_ROWS	4096
#define NAME_LEN	64

struct field {
	char name[NAME_LEN];
	unsigned long long value;
};

struct table {
	char kind[NAME_LEN];			/* "class", "cpu" */
	char cols[MAX_COLS][NAME_LEN];		/* cols[0] is the kind */
	int ncols, nrows;
	unsigned int id[MAX_ROWS];
	long long val[MAX_ROWS][MAX_COLS];
};

struct read {
	int version;
	struct field f[MAX_FIELDS];
	int nf;
	struct table t[2];
	int nt;
};

/* Why parse() refused its input, and on which line (0: at the end). */
static char why[160];
static int why_line;

static int refuse(int line, const char *fmt, ...)
{
	va_list ap;

	why_line = line;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return -1;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* @s as a whole decimal number that fits: 0 and *@v, or -1. */
static int number(const char *s, long long *v)
{
	char *end;

	if (!is_digit(*s) && !(*s == '-' && is_digit(s[1])))
		return -1;
	errno = 0;
	*v = strtoll(s, &end, 10);
	return errno || *end ? -1 : 0;
}

/* The same, not negative. */
static int unumber(const char *s, unsigned long long *v)
{
	char *end;

	if (!is_digit(*s))
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || *end ? -1 : 0;
}

/* @line without its "\n" or "\r\n", checked: 0, or -1 and why. */
static int clean(char *line, ssize_t len, int no)
{
	ssize_t i;

	if (len && line[len - 1] == '\n')
		line[--len] = '\0';
	if (len && line[len - 1] == '\r')	/* a serial console's capture */
		line[--len] = '\0';
	for (i = 0; i < len; i++)
		if ((line[i] < ' ' || line[i] > '~') && line[i] != '\t')
			return refuse(no, "byte 0x%02x is not printable ASCII",
				      (unsigned char)line[i]);
	return 0;
}

/* A legend: a new table, its kind and columns in @w[1..@n-1]. */
static int add_legend(struct read *r, char **w, int n, int no)
{
	struct table *t;
	int i;

	if (n < 2)
		return refuse(no, "a legend without columns");
	if (r->nt == 2)
		return refuse(no, "a third table");
	t = &r->t[r->nt++];
	for (i = 1; i < n; i++) {
		if (strlen(w[i]) >= NAME_LEN)
			return refuse(no, "a column name of %d characters or more", NAME_LEN);
		snprintf(t->cols[i - 1], NAME_LEN, "%s", w[i]);
	}
	snprintf(t->kind, NAME_LEN, "%s", w[1]);
	t->ncols = n - 1;
	return 0;
}

/* A row of @t: "<kind>N" and a value for every column of the legend. */
static int add_row(struct table *t, char **w, int n, int no)
{
	size_t k = strlen(t->kind);
	unsigned long long id;
	int i;

	if (strncmp(w[0], t->kind, k) || unumber(w[0] + k, &id) || id > ~0U)
		return refuse(no, "not a row of the %s table", t->kind);
	if (n != t->ncols)
		return refuse(no, "%d values where the legend names %d", n - 1, t->ncols - 1);
	if (t->nrows == MAX_ROWS)
		return refuse(no, "more than %d rows", MAX_ROWS);
	for (i = 1; i < n; i++)
		if (number(w[i], &t->val[t->nrows][i]))
			return refuse(no, "\"%.40s\" is not a number", w[i]);
	t->id[t->nrows++] = id;
	return 0;
}

/* A summary field: "name value". */
static int add_field(struct read *r, char **w, int n, int no)
{
	struct field *f = &r->f[r->nf];

	if (n != 2)
		return refuse(no, "not a \"name value\" line");
	if (r->nf == MAX_FIELDS)
		return refuse(no, "more than %d fields", MAX_FIELDS);
	if (strlen(w[0]) >= NAME_LEN)
		return refuse(no, "a name of %d characters or more", NAME_LEN);
	if (unumber(w[1], &f->value))
		return refuse(no, "\"%.40s\" is not a number", w[1]);
	snprintf(f->name, NAME_LEN, "%s", w[0]);
	r->nf++;
	return 0;
}

static const struct table *table(const struct read *r, const char *kind)
{
	int i;

	for (i = 0; i < r->nt; i++)
		if (!strcmp(r->t[i].kind, kind))
			return &r->t[i];
	return NULL;
}

/*
 * One read: "mstat version N", "name value" lines, then the tables, each
 * led by its legend.  Lines may end in "\r\n"; whatever else /proc/mstat
 * would not print is refused.
 */
static int parse(FILE *in, struct read *r)
{
	char *line = NULL, *w[MAX_COLS + 2], *save;
	int n, no = 0, ret = 0;
	size_t size = 0;
	ssize_t len;
	long long v;

	memset(r, 0, sizeof(*r));
	while (!ret && (len = getline(&line, &size, in)) >= 0) {
		ret = clean(line, len, ++no);
		if (ret)
			break;
		n = 0;
		for (w[n] = strtok_r(line, " \t", &save); w[n] && n <= MAX_COLS;
		     w[++n] = strtok_r(NULL, " \t", &save))
			;
		if (n > MAX_COLS)
			ret = refuse(no, "more than %d words", MAX_COLS);
		else if (no == 1 && (n != 3 || strcmp(w[0], "mstat") || strcmp(w[1], "version") ||
				     number(w[2], &v) || v < 1 || v > 1000000))
			ret = refuse(no, "the first line is not \"mstat version N\"");
		else if (no == 1)
			r->version = v;
		else if (!n)
			continue;
		else if (!strcmp(w[0], "#"))
			ret = add_legend(r, w, n, no);
		else if (r->nt)
			ret = add_row(&r->t[r->nt - 1], w, n, no);
		else
			ret = add_field(r, w, n, no);
	}
	free(line);
	if (ret)
		return ret;
	if (ferror(in))
		return refuse(0, "%s", strerror(errno));
	if (!no)
		return refuse(1, "the first line is not \"mstat version N\"");
	if (!table(r, "class") || !table(r, "cpu"))
		return refuse(0, "no %s table", table(r, "class") ? "cpu" : "class");
	return 0;
}

static int read_file(const char *path, struct read *r)
{
	FILE *in = fopen(path, "r");
	int ret;

	if (!in) {
		fprintf(stderr, "mstat: %s: %s\n", path, strerror(errno));
		return -1;
	}
	ret = parse(in, r);
	fclose(in);
	if (ret && why_line)
		fprintf(stderr, "mstat: %s:%d: not an mstat read: %s\n", path, why_line, why);
	else if (ret)
		fprintf(stderr, "mstat: %s: not an mstat read: %s\n", path, why);
	return ret;
}

static long long field(const struct read *r, const char *name)
{
	int i;

	for (i = 0; i < r->nf; i++)
		if (!strcmp(r->f[i].name, name))
			return r->f[i].value;
	return 0;
}

static int col(const struct table *t, const char *name)
{
	int i;

	for (i = 1; t && i < t->ncols; i++)
		if (!strcmp(t->cols[i], name))
			return i;
	return -1;
}

static long long cell(const struct table *t, int row, const char *name)
{
	int c = col(t, name);

	return c < 0 ? 0 : t->val[row][c];
}

/* The row of @id in @t, or -1. */
static int row_of(const struct table *t, unsigned int id)
{
	int i;

	for (i = 0; t && i < t->nrows; i++)
		if (t->id[i] == id)
			return i;
	return -1;
}

/* Bytes in human units, as "1.5 MiB". */
static const char *human(long long v, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double d = v < 0 ? -(double)v : (double)v;
	int u = 0;

	while (d >= 1024 && u < 4) {
		d /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%s%.1f %s" : "%s%.0f %s", v < 0 ? "-" : "", d, unit[u]);
	return buf;
}

/* Per second since @old, or 0 without an earlier read. */
static double rate(long long now, long long then, double secs)
{
	return secs > 0 ? (now - then) / secs : 0;
}

/* Row @i of @t: its allocations and frees per second since the read @old, then the line's end. */
static void show_rates(const struct table *t, int i, const struct table *old, double secs)
{
	int o = row_of(old, t->id[i]);

	if (old)
		printf(" %10.0f %10.0f",
		       o < 0 ? 0 : rate(cell(t, i, "nmalloc"), cell(old, o, "nmalloc"), secs),
		       o < 0 ? 0 : rate(cell(t, i, "nfree"), cell(old, o, "nfree"), secs));
	printf("\n");
}

static void show(const struct read *r, const struct read *old, double secs)
{
	const struct table *cl = table(r, "class"), *cp = table(r, "cpu");
	const struct table *ocl = old ? table(old, "class") : NULL;
	const struct table *ocp = old ? table(old, "cpu") : NULL;
	char a[32], b[32], c[32], d[32];
	int i;

	printf("live %s in %lld objects (large: %lld, %s); held %s, cached %s\n",
	       human(field(r, "alloc_bytes"), a, sizeof(a)), field(r, "live_objects"),
	       field(r, "large_nmalloc") - field(r, "large_nfree"),
	       human(field(r, "large_alloc_bytes"), b, sizeof(b)),
	       human(field(r, "sys_bytes"), c, sizeof(c)),
	       human(field(r, "cached_bytes"), d, sizeof(d)));
	printf("allocs %lld, frees %lld, refills %lld, flushes %lld, donations %lld, ",
	       field(r, "nmalloc"), field(r, "nfree"), field(r, "nrefill"), field(r, "nflush"),
	       field(r, "cpu_donations"));
	printf("reclaimed %s\n",
	       human(field(r, "reclaimed_bytes"), a, sizeof(a)));
	if (field(r, "bad_pointers") || field(r, "double_frees") ||
	    field(r, "write_after_free") || field(r, "redzone_errors")) {
		printf("client mistakes: bad pointers %lld, double frees %lld, ",
		       field(r, "bad_pointers"), field(r, "double_frees"));
		printf("written after free %lld, red zones %lld\n",
		       field(r, "write_after_free"), field(r, "redzone_errors"));
	}
	if (old)
		printf("per second: allocs %.0f, frees %.0f, allocated %s\n",
		       rate(field(r, "nmalloc"), field(old, "nmalloc"), secs),
		       rate(field(r, "nfree"), field(old, "nfree"), secs),
		       human((long long)rate(field(r, "total_alloc_bytes"),
					     field(old, "total_alloc_bytes"), secs), a, sizeof(a)));

	printf("\n%8s %8s %12s %12s %12s %12s", "class", "size", "live", "live_bytes",
	       "nmalloc", "nfree");
	printf(old ? " %10s %10s\n" : "\n", "allocs/s", "frees/s");
	for (i = 0; cl && i < cl->nrows; i++) {
		if (!cell(cl, i, "nmalloc"))
			continue;	/* never used */
		printf("%8u %8lld %12lld %12s %12lld %12lld", cl->id[i], cell(cl, i, "size"),
		       cell(cl, i, "live_objects"),
		       human(cell(cl, i, "alloc_bytes"), a, sizeof(a)),
		       cell(cl, i, "nmalloc"), cell(cl, i, "nfree"));
		show_rates(cl, i, ocl, secs);
	}

	printf("\n%8s %6s %12s %12s %12s %12s", "cpu", "online", "nmalloc", "nfree",
	       "alloc_bytes", "cached");
	printf(old ? " %10s %10s\n" : "\n", "allocs/s", "frees/s");
	for (i = 0; cp && i < cp->nrows; i++) {
		if (!cell(cp, i, "nmalloc") && !cell(cp, i, "nfree"))
			continue;	/* never used, or donated and back at 0 */
		printf("%8u %6lld %12lld %12lld %12s %12s", cp->id[i], cell(cp, i, "online"),
		       cell(cp, i, "nmalloc"), cell(cp, i, "nfree"),
		       human(cell(cp, i, "alloc_bytes"), a, sizeof(a)),
		       human(cell(cp, i, "cached_bytes"), b, sizeof(b)));
		show_rates(cp, i, ocp, secs);
	}
}

/* @s as a JSON string (RFC 8259): in quotes, '"', '\\' and control characters escaped. */
static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < ' ')
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* Every field and every column, by its own name, so appended ones come along. */
static void show_json(const struct read *r, const struct read *old, double secs)
{
	int i, j, k;

	printf("{\"version\": %d, \"summary\": {", r->version);
	for (i = 0; i < r->nf; i++) {
		printf("%s", i ? ", " : "");
		json_string(r->f[i].name);
		printf(": %llu", r->f[i].value);
	}
	printf("}");
	for (k = 0; k < r->nt; k++) {
		const struct table *t = &r->t[k];

		printf(", ");
		json_string(t->kind);
		printf(": [");
		for (i = 0; i < t->nrows; i++) {
			printf("%s{", i ? ", " : "");
			json_string(t->kind);
			printf(": %u", t->id[i]);
			for (j = 1; j < t->ncols; j++) {
				printf(", ");
				json_string(t->cols[j]);
				printf(": %lld", t->val[i][j]);
			}
			printf("}");
		}
		printf("]");
	}
	if (old) {
		printf(", \"per_second\": {\"nmalloc\": %.1f, \"nfree\": %.1f, ",
		       rate(field(r, "nmalloc"), field(old, "nmalloc"), secs),
		       rate(field(r, "nfree"), field(old, "nfree"), secs));
		printf("\"alloc_bytes\": %.1f}",
		       rate(field(r, "total_alloc_bytes"), field(old, "total_alloc_bytes"), secs));
	}
	printf("}\n");
}

/* Seconds on the monotonic clock: the time between two reads, measured. */
/*
 * The node view, from /proc/mstat_nodes: "name value" lines, then a legend
 * "node pages ..." and a row per node, columns found by the legend.
 */
static int show_nodes(const char *path)
{
	char line[512], *w[MAX_COLS];
	int ncol = 0, nrows = 0, i, n, c[5];
	static const char *const want[5] = { "pages", "partial_spans", "refill_local",
					     "refill_remote", "remote_frees" };
	unsigned long long refill_objs = 0, v[MAX_COLS];
	FILE *in = fopen(path, "r");

	if (!in) {
		fprintf(stderr, "mstat: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), in)) {
		n = 0;
		for (w[n] = strtok(line, " \t\r\n"); w[n] && n < MAX_COLS - 1;
		     w[++n] = strtok(NULL, " \t\r\n"))
			;
		if (n == 2 && !strcmp(w[0], "refill_objs"))
			unumber(w[1], &refill_objs);
		if (n > 1 && !strcmp(w[0], "node")) {
			ncol = n;
			for (i = 0; i < 5; i++) {
				for (c[i] = 1; c[i] < n && strcmp(w[c[i]], want[i]); c[i]++)
					;
				if (c[i] == n) {
					fprintf(stderr, "mstat: %s: no column %s\n", path, want[i]);
					fclose(in);
					return 1;
				}
			}
			printf("%6s %12s %8s %14s %14s %14s %7s\n", "node", "held", "partial",
			       "refill_local", "refill_remote", "remote_frees", "local%");
			continue;
		}
		if (!ncol || n != ncol || !is_digit(w[0][0]))
			continue;
		for (i = 1; i < n; i++)
			if (unumber(w[i], &v[i]))
				v[i] = 0;
		{
			unsigned long long in_all = v[c[2]] + v[c[3]];
			char a[32];

			printf("%6s %12s %8llu %14llu %14llu %14llu %6.1f%%\n", w[0],
			       human((long long)v[c[0]] * sysconf(_SC_PAGESIZE), a, sizeof(a)),
			       v[c[1]], v[c[2]], v[c[3]], v[c[4]],
			       in_all ? 100.0 * v[c[2]] / in_all : 100.0);
		}
		nrows++;
	}
	fclose(in);
	if (!ncol) {
		fprintf(stderr, "mstat: %s: not an mstat_nodes read\n", path);
		return 1;
	}
	printf("%d nodes; objects refilled %llu\n", nrows, refill_objs);
	return 0;
}

/*
 * The typed-cache view, from /proc/mstat_caches (slabinfo's role): a
 * legend "# name class size ...", then a row per cache, columns found by
 * the legend; the caches with the most live bytes first.
 */
struct cache_row {
	char name[NAME_LEN], flags[NAME_LEN];
	unsigned long long v[7];
};

static int cache_cmp(const void *a, const void *b)
{
	const struct cache_row *x = a, *y = b;

	return x->v[4] < y->v[4] ? 1 : x->v[4] > y->v[4] ? -1 : strcmp(x->name, y->name);
}

static int show_caches(const char *path)
{
	static const char *const want[9] = { "size", "align", "nmalloc", "nfree",
					     "live_objects", "live_bytes", "cached_objects",
					     "pages", "flags" };
	static const int col[7] = { 0, 1, 2, 3, 5, 7, 6 };	/* want[] of each v[] */
	static struct cache_row rows[MAX_ROWS];
	char line[512], *w[MAX_COLS], a[32], b[32];
	int ncol = 0, nrows = 0, i, n, c[9];
	unsigned long long live = 0, held = 0;
	FILE *in = fopen(path, "r");

	if (!in) {
		fprintf(stderr, "mstat: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), in)) {
		n = 0;
		for (w[n] = strtok(line, " \t\r\n"); w[n] && n < MAX_COLS - 1;
		     w[++n] = strtok(NULL, " \t\r\n"))
			;
		if (n > 2 && !strcmp(w[0], "#") && !strcmp(w[1], "name")) {
			ncol = n - 1;
			for (i = 0; i < 9; i++) {
				for (c[i] = 1; c[i] < ncol && strcmp(w[c[i] + 1], want[i]); c[i]++)
					;
				if (c[i] == ncol) {
					fprintf(stderr, "mstat: %s: no column %s\n", path, want[i]);
					fclose(in);
					return 1;
				}
			}
			continue;
		}
		if (!ncol || n != ncol || w[0][0] == '#' || nrows == MAX_ROWS)
			continue;
		snprintf(rows[nrows].name, NAME_LEN, "%s", w[0]);
		snprintf(rows[nrows].flags, NAME_LEN, "%s", w[c[8]]);
		/* v: size, align, nmalloc, nfree, live_bytes (the sort key), pages, cached */
		for (i = 0; i < 7; i++)
			if (unumber(w[c[col[i]]], &rows[nrows].v[i]))
				rows[nrows].v[i] = 0;
		nrows++;
	}
	fclose(in);
	if (!ncol) {
		fprintf(stderr, "mstat: %s: not an mstat_caches read\n", path);
		return 1;
	}
	qsort(rows, nrows, sizeof(rows[0]), cache_cmp);
	printf("%-24s %6s %5s %12s %12s %10s %10s %10s %8s %s\n", "cache", "size", "align",
	       "nmalloc", "nfree", "live", "live_bytes", "held", "cached", "flags");
	for (i = 0; i < nrows; i++) {
		struct cache_row *r = &rows[i];

		printf("%-24s %6llu %5llu %12llu %12llu %10llu %10s %10s %8llu %s\n", r->name,
		       r->v[0], r->v[1], r->v[2], r->v[3], r->v[2] - r->v[3],
		       human((long long)r->v[4], a, sizeof(a)),
		       human((long long)r->v[5] * sysconf(_SC_PAGESIZE), b, sizeof(b)),
		       r->v[6], r->flags);
		live += r->v[4];
		held += r->v[5];
	}
	printf("%d caches; live %s in %s held\n", nrows, human((long long)live, a, sizeof(a)),
	       human((long long)held * sysconf(_SC_PAGESIZE), b, sizeof(b)));
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void print_usage(void)
{
	fputs("usage: mstat [-d SECONDS] [--json] [FILE] | mstat --nodes [FILE] |\n"
	      "       mstat --caches [FILE]\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	static struct read reads[2];
	double at[2] = { 0, 0 };
	const char *path = NULL;
	unsigned int delay = 0, n;
	int json = 0, nodes = 0, caches = 0, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "--nodes"))
			nodes = 1;
		else if (!strcmp(argv[i], "--caches"))
			caches = 1;
		else if (!strcmp(argv[i], "-d") && i + 1 < argc)
			delay = strtoul(argv[++i], NULL, 10);
		else if (argv[i][0] == '-')
			print_usage();
		else
			path = argv[i];
	}
	if (argc > 1 && delay == 0 && !strcmp(argv[1], "-d"))
		print_usage();
	if ((nodes || caches) && (json || delay || (nodes && caches)))
		print_usage();
	if (nodes)
		return show_nodes(path ? path : "/proc/mstat_nodes");
	if (caches)
		return show_caches(path ? path : "/proc/mstat_caches");
	if (!path)
		path = "/proc/mstat";
	for (n = 0;; n++) {
		struct read *r = &reads[n % 2], *old = n ? &reads[(n + 1) % 2] : NULL;

		if (read_file(path, r))
			return 1;
		at[n % 2] = now();	/* the rates are over the time that passed, not the delay */
		if (json)
			show_json(r, old, at[n % 2] - at[(n + 1) % 2]);
		else
			show(r, old, at[n % 2] - at[(n + 1) % 2]);
		fflush(stdout);
		if (!delay)
			return 0;
		if (!json)
			printf("\n");
		sleep(delay);
	}
}

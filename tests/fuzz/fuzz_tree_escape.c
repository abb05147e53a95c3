/*
 * libFuzzer harness for the name escaping that tree and the metrics file's label values share
 * (escape.c): a model with one process, the namespace's init, whose comm is the input (cut to
 * what a comm holds), and whose cgroup is the input whole. Whatever the name:
 * - the tree is exactly its two lines, in valid UTF-8 without control characters (C1
 *   included), and unescaping the name gives the comm back byte for byte;
 * - the metrics file is valid UTF-8 without control characters but its line ends, every
 *   line of it reads as Go's expfmt (node_exporter's parser) reads the text format, and each
 *   label value, once the format's escapes are undone, is the name as tree shows it: the
 *   comm and the cgroup come back byte for byte.
 */
#include <glib.h>
#include <stdbool.h>
#include <string.h>

#include "format_metrics.h"
#include "format_ns.h"
#include "fuzz.h"
#include "nsmodel.h"
#include "strategy.h"

#define ROOT	     UINT64_C(4026531836)
#define ROOT_LABEL   "4026531836"
#define CGROUP_MAX   4096 /* more than a cgroup path needs: the file is read whole */
#define METRICS_ROWS 13	  /* series of the namespace: 9 families, one with 4 states */

static int hex_digit(char c)
{
	return g_ascii_xdigit_value(c);
}

/* Undo the escaping of [p, end); NULL if something there is neither plain nor an escape. */
static GString *unescape(const char *p, const char *end)
{
	GString *s = g_string_new(NULL);

	while (p < end) {
		if (*p != '\\') {
			g_string_append_c(s, *p++);
			continue;
		}
		if (p + 1 < end && (p[1] == '\\' || p[1] == 'n' || p[1] == 't')) {
			g_string_append_c(s, p[1] == 'n' ? '\n' : p[1] == 't' ? '\t' : '\\');
			p += 2;
		} else if (p + 3 < end && p[1] == 'x' && hex_digit(p[2]) >= 0 &&
			   hex_digit(p[3]) >= 0) {
			g_string_append_c(s, (char)(hex_digit(p[2]) * 16 + hex_digit(p[3])));
			p += 4;
		} else {
			g_string_free(s, TRUE);
			return NULL;
		}
	}
	return s;
}

/* The name in line, between prefix and suffix, unescaped; NULL if the line is not so framed. */
static GString *name_in(const char *line, size_t len, const char *prefix, const char *suffix)
{
	size_t pl = strlen(prefix), sl = strlen(suffix);

	if (len < pl + sl || memcmp(line, prefix, pl) || memcmp(line + len - sl, suffix, sl))
		return NULL;
	return unescape(line + pl, line + len - sl);
}

static void check_tree(const struct ns_model *m, const char *comm)
{
	GString *tree = format_tree(m, ns_model_root(m)), *a, *b;
	const char *nl;
	size_t first;

	FUZZ_CHECK(strlen(tree->str) == tree->len);
	FUZZ_CHECK(g_utf8_validate(tree->str, (gssize)tree->len, NULL));
	FUZZ_CHECK(fuzz_free_of_controls(tree->str, tree->len, true));
	/* Exactly two lines, each ending in '\n'. */
	nl = memchr(tree->str, '\n', tree->len);
	FUZZ_CHECK(nl);
	first = (size_t)(nl - tree->str) + 1;
	FUZZ_CHECK(first < tree->len);
	nl = memchr(tree->str + first, '\n', tree->len - first);
	FUZZ_CHECK(nl && nl == tree->str + tree->len - 1);

	a = name_in(tree->str, first, "ns 4026531836 level 0 init 1 (", ")\n");
	b = name_in(tree->str + first, tree->len - first, "  1 ", "\n");
	FUZZ_CHECK(a && strcmp(a->str, comm) == 0 && a->len == strlen(comm));
	FUZZ_CHECK(b && strcmp(b->str, comm) == 0 && b->len == strlen(comm));
	g_string_free(a, TRUE);
	g_string_free(b, TRUE);
	g_string_free(tree, TRUE);
}

static bool is_name_char(char c, bool first)
{
	return g_ascii_isalpha(c) || c == '_' || c == ':' || (!first && g_ascii_isdigit(c));
}

/* A metric or label name at *p, moved past it; false if there is none. */
static bool read_name(const char **p)
{
	const char *s = *p;

	if (!is_name_char(*s, true))
		return false;
	while (is_name_char(*s, false))
		s++;
	*p = s;
	return true;
}

/*
 * A quoted label value at *p, decoded as expfmt does: within it a backslash may start only
 * \\, \" or \n, and anything else is refused, as is a raw newline (the line would end in it).
 * *p moves past the closing quote; NULL if expfmt would refuse the value.
 */
static GString *read_label_value(const char **p)
{
	GString *v = g_string_new(NULL);
	const char *s = *p;

	if (*s++ != '"')
		goto refused;
	for (; *s != '"'; s++) {
		if (*s == '\0' || *s == '\n')
			goto refused;
		if (*s != '\\') {
			g_string_append_c(v, *s);
			continue;
		}
		s++;
		if (*s != '\\' && *s != '"' && *s != 'n')
			goto refused;
		g_string_append_c(v, *s == 'n' ? '\n' : *s);
	}
	*p = s + 1;
	return v;
refused:
	g_string_free(v, TRUE);
	return NULL;
}

/*
 * One sample line at *p, up to and past its newline: NAME{LABEL="VALUE",...} VALUE. The labels
 * go into labels (name -> decoded value); false if expfmt would refuse the line.
 */
static bool read_sample(const char **p, GHashTable *labels)
{
	const char *s = *p, *value;

	if (!read_name(&s))
		return false;
	if (*s == '{') {
		s++;
		while (*s != '}') {
			const char *name = s;
			gsize name_len;
			GString *v;

			if (!read_name(&s))
				return false;
			name_len = (gsize)(s - name);
			if (*s++ != '=' || !(v = read_label_value(&s)))
				return false;
			g_hash_table_replace(labels, g_strndup(name, name_len),
					     g_string_free(v, FALSE));
			if (*s == ',')
				s++;
			else if (*s != '}')
				return false;
		}
		s++;
	}
	if (*s++ != ' ')
		return false;
	value = s;
	s = strchr(s, '\n');
	if (!s || s == value)
		return false;
	*p = s + 1;
	return true;
}

/* A label value of the file, as tree shows a name: unescaped, it must be want exactly. */
static void check_label(GHashTable *labels, const char *label, const char *want)
{
	const char *v = g_hash_table_lookup(labels, label);
	GString *name;

	FUZZ_CHECK(v);
	name = unescape(v, v + strlen(v));
	FUZZ_CHECK(name && name->len == strlen(want) && strcmp(name->str, want) == 0);
	g_string_free(name, TRUE);
}

/* Every line a comment or a sample; each sample of the namespace carries both names intact. */
static void check_metrics_text(const GString *text, const char *comm, const char *cgroup)
{
	unsigned rows = 0;

	FUZZ_CHECK(strlen(text->str) == text->len);
	FUZZ_CHECK(g_utf8_validate(text->str, (gssize)text->len, NULL));
	FUZZ_CHECK(fuzz_free_of_controls(text->str, text->len, true));
	for (const char *p = text->str; *p;) {
		GHashTable *labels;
		const char *ns;

		if (*p == '#') {
			p = strchr(p, '\n');
			FUZZ_CHECK(p);
			p++;
			continue;
		}
		labels = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
		FUZZ_CHECK(read_sample(&p, labels));
		ns = g_hash_table_lookup(labels, "ns");
		if (ns && strcmp(ns, ROOT_LABEL) == 0) {
			check_label(labels, "init_comm", comm);
			check_label(labels, "cgroup", cgroup);
			rows++;
		}
		g_hash_table_unref(labels);
	}
	FUZZ_CHECK(rows == METRICS_ROWS);
}

static void check_metrics(const struct ns_model *m, const char *comm, const char *cgroup)
{
	struct metrics_facts f;
	struct metrics_init in = {
	    .ns_ino = ROOT,
	    .sigterm = SIGTERM_BLOCKED,
	    .cgroup = g_strdup(cgroup),
	    .has_pids = true,
	    .pids_current = 3,
	    .pids_max = -1,
	};
	GString *text;

	metrics_facts_init(&f);
	metrics_facts_add(&f, &in);
	f.boot_time_us = INT64_C(1700000000) * 1000000;
	f.clk_tck = 100;
	f.whole_host = true; /* every family with labels: pids.current too */
	text = format_metrics(m, ns_model_root(m), &f);
	check_metrics_text(text, comm, cgroup);
	g_string_free(text, TRUE);
	metrics_facts_clear(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *cgroup = fuzz_dup_cstr(data, size, CGROUP_MAX);
	char *comm = fuzz_dup_cstr(data, size, NS_COMM_MAX - 1);
	const pid_t nspid[] = {1};
	struct ns_model *m = ns_model_new(ROOT);

	ns_model_add_proc(m, 1, 'S', 1, comm, ROOT, nspid, 1, 100);
	ns_model_finish(m);
	check_tree(m, comm);
	check_metrics(m, comm, cgroup);
	ns_model_unref(m);
	free(comm);
	free(cgroup);
	return 0;
}

/*
 * The daemon's own families are left out (no stats), so these are never called; format_metrics.c
 * names them, and their sources would bring in the whole core.
 */
const char *strategy_name(enum strategy_id id)
{
	(void)id;
	abort();
}

const char *stats_result_name(enum stats_result r)
{
	(void)r;
	abort();
}

const char *stats_refusal_name(enum stats_refusal why)
{
	(void)why;
	abort();
}

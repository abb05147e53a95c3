/*
 * Unit tests for the metrics file's text (format_metrics.c) on hand-built models and facts,
 * and for the pure parsers its collector reads /proc and cgroupfs with (metrics.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cases.h"
#include "format_metrics.h"
#include "metrics.h"

#define ROOT UINT64_C(4026531836)
#define NS_A UINT64_C(4026532306)
#define NS_B UINT64_C(4026532400)
#define NS_E UINT64_C(4026532700)

#define ADD(m, host, state, threads, start, comm, ns, ...)                                         \
	do {                                                                                       \
		const pid_t nspid_[] = {__VA_ARGS__};                                              \
		ns_model_add_proc(m, host, state, threads, comm, ns, nspid_, G_N_ELEMENTS(nspid_), \
				  start);                                                          \
	} while (0)

/*
 * A name with everything a label value must escape: ", \, newline, bad UTF-8. The value reads
 * we"ird\\na\nme\xffé (as tree shows the name); the file doubles its backslashes.
 */
#define ODD_COMM	 "we\"ird\\na\nme\xff\xc3\xa9"
#define ODD_COMM_ESCAPED "we\\\"ird\\\\\\\\na\\\\nme\\\\xff\xc3\xa9"

/*
 * ROOT (level 0): systemd, sshd, a zombie
 *   A (level 1): tini, nginx with 4 threads, two zombies, a zombie leader whose threads run
 *     B (level 2): its init has an odd name; one more process
 *   E (level 1): no init (its last process is exiting): not shown
 */
static struct ns_model *model(void)
{
	struct ns_model *m = ns_model_new(ROOT);

	ns_model_add_ns(m, NS_A, ROOT, 1);
	ns_model_add_ns(m, NS_B, NS_A, 2);
	ns_model_add_ns(m, NS_E, ROOT, 1);
	ADD(m, 1, 'S', 1, 7, "systemd", ROOT, 1);
	ADD(m, 523, 'S', 2, 900, "sshd", ROOT, 523);
	ADD(m, 600, 'Z', 1, 950, "oldjob", ROOT, 600);
	ADD(m, 5123, 'S', 1, 12345, "tini", NS_A, 5123, 1);
	ADD(m, 5124, 'R', 4, 12346, "nginx", NS_A, 5124, 7);
	ADD(m, 5125, 'Z', 1, 12347, "defunct", NS_A, 5125, 8);
	ADD(m, 5126, 'X', 1, 12348, "defunct", NS_A, 5126, 9);
	ADD(m, 5127, 'Z', 3, 12349, "java", NS_A, 5127, 10);
	ADD(m, 5140, 'S', 1, 20000, ODD_COMM, NS_B, 5140, 11, 1);
	ADD(m, 5141, 'S', 2, 20001, "worker", NS_B, 5141, 12, 2);
	ns_model_finish(m);
	return m;
}

static struct stats_counts counts = {
    .lookups =
	{
	    [STRATEGY_IOCTL] = {10, 2, 0},
	    [STRATEGY_STATUS] = {0, 0, 1},
	    [STRATEGY_CREDS] = {3, 1, 4},
	},
    .helper_forks = 8,
    .helper_timeouts = 4,
    .proc_passes = 9,
    .proc_updates = 11,
    .helper_kills = 3,
    .helper_stops = 2,
    .helper_refusals = {[STATS_REFUSED_SUSPENDED] = 7, [STATS_REFUSED_RATE] = 6},
    .process_cache = {.hits = 100, .misses = 7, .entries = 5, .descriptors = 5},
    .reader_cache = {.hits = 90, .misses = 2, .entries = 1, .descriptors = 1},
    .namespace_cache = {.hits = 30, .misses = 3, .entries = 2, .descriptors = 5},
    .open_files = 11,
    .open_file_bytes = 4096,
};

#define A_ID  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define A_POD "1b4e28ba-2fa1-11d2-883f-0016d3cca427"

static void add_init(struct metrics_facts *f, uint64_t ino, enum sigterm_state sig,
		     const char *cgroup, bool has_pids, int64_t current, int64_t max)
{
	struct metrics_init in = {
	    .ns_ino = ino,
	    .sigterm = sig,
	    .cgroup = g_strdup(cgroup),
	    .has_pids = has_pids,
	    .pids_current = current,
	    .pids_max = max,
	};

	metrics_facts_add(f, &in);
}

static void facts(struct metrics_facts *f)
{
	metrics_facts_init(f);
	f->boot_time_us = INT64_C(1700000000) * 1000000;
	f->clk_tck = 100;
	f->build_us = 1500;
	f->whole_host = true;
	f->stats = &counts;
	f->version = "0.1.0";
	f->strategy = "auto";
	add_init(f, ROOT, SIGTERM_DROPPED, "/", false, 0, 0);
	add_init(f, NS_A, SIGTERM_CAUGHT, "/docker/abc", true, 5, 100);
	{
		/* A Kubernetes container's, as the collector names it. */
		struct metrics_init in = *metrics_facts_find(f, NS_A);

		in.cgroup = g_strdup(in.cgroup);
		g_strlcpy(in.container_id, "docker://" A_ID, sizeof(in.container_id));
		g_strlcpy(in.pod_uid, A_POD, sizeof(in.pod_uid));
		metrics_facts_add(f, &in);
	}
	add_init(f, NS_B, SIGTERM_BLOCKED, "/odd\"dir\\x", true, 2, -1);
	/* Facts about a namespace that has no init: ignored. */
	add_init(f, NS_E, SIGTERM_IGNORED, "/gone", true, 1, 1);
}

#define NO_CONTAINER ",container_id=\"\",pod_uid=\"\""
#define L_ROOT	     "ns=\"4026531836\",level=\"0\",init_comm=\"systemd\",cgroup=\"/\"" NO_CONTAINER
#define L_A                                                                                        \
	"ns=\"4026532306\",level=\"1\",init_comm=\"tini\",cgroup=\"/docker/abc\","                 \
	"container_id=\"docker://" A_ID "\",pod_uid=\"" A_POD "\""
#define L_B                                                                                        \
	"ns=\"4026532400\",level=\"2\",init_comm=\"" ODD_COMM_ESCAPED                              \
	"\",cgroup=\"/odd\\\"dir\\\\\\\\x\"" NO_CONTAINER

/* One string per line: ISO C limits the length of one literal. */
static const char *const expected_full[] = {
    "# HELP nspidfs_namespaces PID namespaces with a live init, the top one shown and those "
    "below it.\n",
    "# TYPE nspidfs_namespaces gauge\n",
    "nspidfs_namespaces 3\n",
    "# HELP nspidfs_processes Live processes with a PID in the top PID namespace shown.\n",
    "# TYPE nspidfs_processes gauge\n",
    "nspidfs_processes 7\n",
    "# HELP nspidfs_namespace_level Depth of the PID namespace below the daemon's own (level "
    "0), as ns/INODE/level.\n",
    "# TYPE nspidfs_namespace_level gauge\n",
    "nspidfs_namespace_level{" L_ROOT "} 0\n",
    "nspidfs_namespace_level{" L_A "} 1\n",
    "nspidfs_namespace_level{" L_B "} 2\n",
    "# HELP nspidfs_namespace_init_pid Host PID of the init (PID 1) of the PID namespace.\n",
    "# TYPE nspidfs_namespace_init_pid gauge\n",
    "nspidfs_namespace_init_pid{" L_ROOT "} 1\n",
    "nspidfs_namespace_init_pid{" L_A "} 5123\n",
    "nspidfs_namespace_init_pid{" L_B "} 5140\n",
    "# HELP nspidfs_namespace_init_start_time_seconds Start time of the init of the PID "
    "namespace, in seconds since the Unix epoch.\n",
    "# TYPE nspidfs_namespace_init_start_time_seconds gauge\n",
    "nspidfs_namespace_init_start_time_seconds{" L_ROOT "} 1700000000.07\n",
    "nspidfs_namespace_init_start_time_seconds{" L_A "} 1700000123.45\n",
    "nspidfs_namespace_init_start_time_seconds{" L_B "} 1700000200\n",
    "# HELP nspidfs_namespace_processes Live processes whose own PID namespace this is.\n",
    "# TYPE nspidfs_namespace_processes gauge\n",
    "nspidfs_namespace_processes{" L_ROOT "} 2\n",
    "nspidfs_namespace_processes{" L_A "} 3\n",
    "nspidfs_namespace_processes{" L_B "} 2\n",
    "# HELP nspidfs_namespace_subtree_processes Live processes with a PID in this PID "
    "namespace: its own and those of the namespaces below it.\n",
    "# TYPE nspidfs_namespace_subtree_processes gauge\n",
    "nspidfs_namespace_subtree_processes{" L_ROOT "} 7\n",
    "nspidfs_namespace_subtree_processes{" L_A "} 5\n",
    "nspidfs_namespace_subtree_processes{" L_B "} 2\n",
    "# HELP nspidfs_namespace_threads Threads of the live processes whose own PID namespace "
    "this is.\n",
    "# TYPE nspidfs_namespace_threads gauge\n",
    "nspidfs_namespace_threads{" L_ROOT "} 3\n",
    "nspidfs_namespace_threads{" L_A "} 8\n",
    "nspidfs_namespace_threads{" L_B "} 3\n",
    "# HELP nspidfs_namespace_zombies Zombie processes (exited, not yet reaped) whose own PID "
    "namespace this is.\n",
    "# TYPE nspidfs_namespace_zombies gauge\n",
    "nspidfs_namespace_zombies{" L_ROOT "} 1\n",
    "nspidfs_namespace_zombies{" L_A "} 2\n",
    "nspidfs_namespace_zombies{" L_B "} 0\n",
    "# HELP nspidfs_namespace_init_sigterm How the init of the PID namespace treats SIGTERM, 1 "
    "for the state that holds: caught (a handler), blocked (blocked, or awaited in "
    "sigtimedwait), ignored (SIG_IGN), dropped (default action, which the kernel discards for "
    "a namespace init: docker stop waits for its timeout, then kills).\n",
    "# TYPE nspidfs_namespace_init_sigterm gauge\n",
    "nspidfs_namespace_init_sigterm{" L_ROOT ",state=\"caught\"} 0\n",
    "nspidfs_namespace_init_sigterm{" L_ROOT ",state=\"blocked\"} 0\n",
    "nspidfs_namespace_init_sigterm{" L_ROOT ",state=\"ignored\"} 0\n",
    "nspidfs_namespace_init_sigterm{" L_ROOT ",state=\"dropped\"} 1\n",
    "nspidfs_namespace_init_sigterm{" L_A ",state=\"caught\"} 1\n",
    "nspidfs_namespace_init_sigterm{" L_A ",state=\"blocked\"} 0\n",
    "nspidfs_namespace_init_sigterm{" L_A ",state=\"ignored\"} 0\n",
    "nspidfs_namespace_init_sigterm{" L_A ",state=\"dropped\"} 0\n",
    "nspidfs_namespace_init_sigterm{" L_B ",state=\"caught\"} 0\n",
    "nspidfs_namespace_init_sigterm{" L_B ",state=\"blocked\"} 1\n",
    "nspidfs_namespace_init_sigterm{" L_B ",state=\"ignored\"} 0\n",
    "nspidfs_namespace_init_sigterm{" L_B ",state=\"dropped\"} 0\n",
    "# HELP nspidfs_namespace_pids_current pids.current of the cgroup of the init: tasks in "
    "that cgroup and below it.\n",
    "# TYPE nspidfs_namespace_pids_current gauge\n",
    "nspidfs_namespace_pids_current{" L_A "} 5\n",
    "nspidfs_namespace_pids_current{" L_B "} 2\n",
    "# HELP nspidfs_namespace_pids_max pids.max of the cgroup of the init: its own task "
    "limit, +Inf for max.\n",
    "# TYPE nspidfs_namespace_pids_max gauge\n",
    "nspidfs_namespace_pids_max{" L_A "} 100\n",
    "nspidfs_namespace_pids_max{" L_B "} +Inf\n",
    "# HELP nspidfs_lookups_total PID translations and reverse lookups since the daemon "
    "started, by strategy and result (ok, enoent: no such process, error: anything else).\n",
    "# TYPE nspidfs_lookups_total counter\n",
    "nspidfs_lookups_total{strategy=\"ioctl\",result=\"ok\"} 10\n",
    "nspidfs_lookups_total{strategy=\"ioctl\",result=\"enoent\"} 2\n",
    "nspidfs_lookups_total{strategy=\"ioctl\",result=\"error\"} 0\n",
    "nspidfs_lookups_total{strategy=\"status\",result=\"ok\"} 0\n",
    "nspidfs_lookups_total{strategy=\"status\",result=\"enoent\"} 0\n",
    "nspidfs_lookups_total{strategy=\"status\",result=\"error\"} 1\n",
    "nspidfs_lookups_total{strategy=\"creds\",result=\"ok\"} 3\n",
    "nspidfs_lookups_total{strategy=\"creds\",result=\"enoent\"} 1\n",
    "nspidfs_lookups_total{strategy=\"creds\",result=\"error\"} 4\n",
    "# HELP nspidfs_helper_forks_total Helpers forked by the creds strategy since the daemon "
    "started.\n",
    "# TYPE nspidfs_helper_forks_total counter\n",
    "nspidfs_helper_forks_total 8\n",
    "# HELP nspidfs_helper_timeouts_total Helpers of the creds strategy killed at the helper "
    "timeout since the daemon started.\n",
    "# TYPE nspidfs_helper_timeouts_total counter\n",
    "nspidfs_helper_timeouts_total 4\n",
    "# HELP nspidfs_proc_passes_total Passes over the whole of /proc since the daemon started "
    "(shared by every reader, spaced by at least three times the last one's length).\n",
    "# TYPE nspidfs_proc_passes_total counter\n",
    "nspidfs_proc_passes_total 9\n",
    "# HELP nspidfs_proc_updates_total Models made since the daemon started by reading again "
    "only the processes the kernel's process events named, instead of a pass over /proc.\n",
    "# TYPE nspidfs_proc_updates_total counter\n",
    "nspidfs_proc_updates_total 11\n",
    "# HELP nspidfs_helper_kills_total Helpers of the creds strategy that hung up without "
    "answering while their namespace lived (killed by a process that sees them) since the "
    "daemon started.\n",
    "# TYPE nspidfs_helper_kills_total counter\n",
    "nspidfs_helper_kills_total 3\n",
    "# HELP nspidfs_helper_stops_total Helpers of the creds strategy stopped by a signal since "
    "the daemon started.\n",
    "# TYPE nspidfs_helper_stops_total counter\n",
    "nspidfs_helper_stops_total 2\n",
    "# HELP nspidfs_helper_refusals_total Helpers of the creds strategy not forked since the "
    "daemon started, by reason (suspended: the namespace's helpers were interfered with "
    "lately, rate: it spent its forks a second, busy: it held its share of the helpers).\n",
    "# TYPE nspidfs_helper_refusals_total counter\n",
    "nspidfs_helper_refusals_total{reason=\"suspended\"} 7\n",
    "nspidfs_helper_refusals_total{reason=\"rate\"} 6\n",
    "nspidfs_helper_refusals_total{reason=\"busy\"} 0\n",
    "# HELP nspidfs_cache_entries Live tasks the daemon keeps answers about, one pidfd each: "
    "processes read, the threads reading, and the inits of the PID namespaces seen.\n",
    "# TYPE nspidfs_cache_entries gauge\n",
    "nspidfs_cache_entries{cache=\"process\"} 5\n",
    "nspidfs_cache_entries{cache=\"reader\"} 1\n",
    "nspidfs_cache_entries{cache=\"namespace\"} 2\n",
    "# HELP nspidfs_cache_descriptors Descriptors the caches hold: each entry's pidfd, and for "
    "namespaces those of the namespace and its ancestors below the daemon's.\n",
    "# TYPE nspidfs_cache_descriptors gauge\n",
    "nspidfs_cache_descriptors{cache=\"process\"} 5\n",
    "nspidfs_cache_descriptors{cache=\"reader\"} 1\n",
    "nspidfs_cache_descriptors{cache=\"namespace\"} 5\n",
    "# HELP nspidfs_cache_hits_total Requests answered from a cache since the daemon started.\n",
    "# TYPE nspidfs_cache_hits_total counter\n",
    "nspidfs_cache_hits_total{cache=\"process\"} 100\n",
    "nspidfs_cache_hits_total{cache=\"reader\"} 90\n",
    "nspidfs_cache_hits_total{cache=\"namespace\"} 30\n",
    "# HELP nspidfs_cache_misses_total Requests that had to read /proc (or translate, or walk a "
    "namespace chain) since the daemon started.\n",
    "# TYPE nspidfs_cache_misses_total counter\n",
    "nspidfs_cache_misses_total{cache=\"process\"} 7\n",
    "nspidfs_cache_misses_total{cache=\"reader\"} 2\n",
    "nspidfs_cache_misses_total{cache=\"namespace\"} 3\n",
    "# HELP nspidfs_open_files Files open through the mount, each holding the content it was "
    "opened with.\n",
    "# TYPE nspidfs_open_files gauge\n",
    "nspidfs_open_files 11\n",
    "# HELP nspidfs_open_file_bytes Bytes of content the open files hold, each copy once: "
    "opens of a file by one view that built the same content share a copy.\n",
    "# TYPE nspidfs_open_file_bytes gauge\n",
    "nspidfs_open_file_bytes 4096\n",
    "# HELP nspidfs_build_info Version of the daemon and its configured strategy; always 1.\n",
    "# TYPE nspidfs_build_info gauge\n",
    "nspidfs_build_info{version=\"0.1.0\",strategy=\"auto\"} 1\n",
    "# HELP nspidfs_metrics_build_seconds Time taken to build this file: the /proc pass "
    "(unless a recent one was reused) and the facts about each init.\n",
    "# TYPE nspidfs_metrics_build_seconds gauge\n",
    "nspidfs_metrics_build_seconds 0.001500\n",
    NULL,
};

static char *format(const struct ns_model *m, uint64_t top, const struct metrics_facts *f)
{
	const struct ns_info *ns = ns_model_find(m, top);
	GString *s;

	assert_non_null(ns);
	s = format_metrics(m, ns, f);
	assert_int_equal(s->len, strlen(s->str));
	return g_string_free(s, FALSE);
}

static void test_full_output(void **state)
{
	g_autoptr(ns_model) m = model();
	struct metrics_facts f;
	g_autofree char *text = NULL, *want = NULL;

	(void)state;
	facts(&f);
	text = format(m, ROOT, &f);
	metrics_facts_clear(&f);
	want = g_strjoinv("", (char **)expected_full);
	assert_string_equal(text, want);
}

/* The name a sample line is of: up to "{" or " ". */
static char *sample_name(const char *line)
{
	return g_strndup(line, strcspn(line, "{ "));
}

/*
 * Every family has HELP and TYPE before its first sample, exactly once, and its samples are
 * contiguous; every sample line is NAME[{LABELS}] VALUE with a numeric value.
 */
static void check_families(const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autoptr(GHashTable) done = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autofree char *help = NULL, *type = NULL, *current = NULL;
	guint n = g_strv_length(lines);

	assert_true(n > 1);
	assert_string_equal(lines[n - 1], ""); /* ends with a newline */
	for (guint i = 0; i + 1 < n; i++) {
		const char *l = lines[i];
		g_autofree char *name = NULL;
		const char *value;
		char *end;

		if (g_str_has_prefix(l, "# HELP ")) {
			g_free(help);
			help = sample_name(l + 7);
			continue;
		}
		if (g_str_has_prefix(l, "# TYPE ")) {
			g_free(type);
			type = sample_name(l + 7);
			assert_string_equal(type, help);
			assert_true(g_str_has_suffix(l, " gauge") ||
				    g_str_has_suffix(l, " counter"));
			if (g_str_has_suffix(l, " counter"))
				assert_true(g_str_has_suffix(type, "_total"));
			else
				assert_false(g_str_has_suffix(type, "_total"));
			assert_false(g_hash_table_contains(done, type));
			g_hash_table_add(done, g_strdup(type));
			g_free(current);
			current = g_strdup(type);
			continue;
		}
		assert_true(l[0] != '#' && l[0] != '\0');
		name = sample_name(l);
		if (!current || strcmp(name, current) != 0)
			fail_msg("sample of %s without its HELP and TYPE: %s", name, l);
		assert_true(g_str_has_prefix(name, "nspidfs_"));
		value = strrchr(l, ' ') + 1;
		if (strcmp(value, "+Inf") != 0) {
			g_ascii_strtod(value, &end);
			assert_true(end != value && *end == '\0');
		}
	}
}

static void test_help_and_type_for_every_family(void **state)
{
	g_autoptr(ns_model) m = model();
	struct metrics_facts f;
	g_autofree char *text = NULL;

	(void)state;
	facts(&f);
	text = format(m, ROOT, &f);
	check_families(text);
	f.whole_host = false;
	g_free(text);
	text = format(m, NS_A, &f);
	check_families(text);
	metrics_facts_clear(&f);
}

/* Each of has (up to a NULL) is in text, and none of lacks. */
static void expect_text(const char *text, const char *const *has, const char *const *lacks)
{
	for (; *has; has++)
		if (!strstr(text, *has))
			fail_msg("no \"%s\" in:\n%s", *has, text);
	for (; *lacks; lacks++)
		if (strstr(text, *lacks))
			fail_msg("\"%s\" in:\n%s", *lacks, text);
}

/*
 * From a namespace below the daemon's: only it and below, levels still from the daemon's.
 * Whatever it is given, the formatter leaves out for such a reader every figure computed over
 * what it cannot see: the daemon's counters, the build time, and pids.current, which counts
 * whatever shares the init's cgroup. pids.max, a setting, stays.
 */
static void test_top_below_root(void **state)
{
	static const char *const has[] = {
	    "\nnspidfs_namespaces 2\n",
	    "\nnspidfs_processes 5\n",
	    "\nnspidfs_namespace_level{" L_A "} 1\n",
	    "\nnspidfs_namespace_level{ns=\"4026532400\",level=\"2\",",
	    "\nnspidfs_namespace_pids_max{" L_A "} 100\n",
	    NULL,
	};
	static const char *const lacks[] = {
	    "ns=\"4026531836\"",
	    "nspidfs_namespace_pids_current",
	    "nspidfs_lookups_total",
	    "nspidfs_helper_",
	    "nspidfs_cache_",
	    "nspidfs_open_file",
	    "nspidfs_build_info",
	    "nspidfs_metrics_build_seconds",
	    NULL,
	};
	g_autoptr(ns_model) m = model();
	struct metrics_facts f;
	g_autofree char *text = NULL;

	(void)state;
	facts(&f);
	f.whole_host = false; /* as for a reader in a container; the counters are still given */
	text = format(m, NS_A, &f);
	metrics_facts_clear(&f);
	check_families(text);
	expect_text(text, has, lacks);
}
/* No facts (the init exited during collection): counts still, no state set, no pids. */
static void test_without_facts(void **state)
{
	static const char *const has[] = {
	    "\nnspidfs_namespace_zombies{ns=\"4026532306\",level=\"1\",init_comm=\"tini\","
	    "cgroup=\"\",container_id=\"\",pod_uid=\"\"} 2\n",
	    NULL,
	};
	static const char *const lacks[] = {
	    "nspidfs_namespace_init_sigterm",
	    "nspidfs_namespace_pids_",
	    "nspidfs_namespace_init_start_time_seconds",
	    NULL,
	};
	g_autoptr(ns_model) m = model();
	struct metrics_facts f;
	g_autofree char *text = NULL;

	(void)state;
	facts(&f);
	g_hash_table_remove_all(f.inits);
	f.clk_tck = 0;
	text = format(m, ROOT, &f);
	metrics_facts_clear(&f);
	check_families(text);
	expect_text(text, has, lacks);
}
/*
 * A label value: the name as tree shows it, so a terminal gets no control from it; written in
 * the file with its backslashes doubled, as the format's parsers accept no \x escape.
 */
struct label_case {
	const char *name;
	const char *in, *want;
};

static const struct label_case labels[] = {
    {"label: empty", "", ""},
    {"label: plain", "plain /docker/abc-123", "plain /docker/abc-123"},
    /* The value reads a\\b: a backslash in a name cannot pass for an escape. */
    {"label: a backslash", "a\\b", "a\\\\\\\\b"},
    {"label: a double quote", "a\"b", "a\\\"b"},
    /* The value reads a\nb, two characters where the newline was. */
    {"label: a newline", "a\nb", "a\\\\nb"},
    {"label: a backslash, a quote, a newline", "\\\"\n", "\\\\\\\\\\\"\\\\n"},
    /* Every other control is visible text too: C0, DEL. */
    {"label: C0 controls and DEL", "tab\there\x01\x7f", "tab\\\\there\\\\x01\\\\x7f"},
    /* ESC ] 0 ; x BEL ESC [ 2 J: retitle the terminal, clear the screen. Reads \x1b]0;x... */
    {"label: retitle and clear a terminal", "\x1b]0;x\a\x1b[2J", "\\\\x1b]0;x\\\\x07\\\\x1b[2J"},
    /* A name that spells the escape is not the escape: it reads \\x1b. */
    {"label: a name spelling an escape", "\\x1b", "\\\\\\\\x1b"},
    /* C1 controls are valid UTF-8 but obeyed as controls: U+009B is CSI, U+0085 NEL. */
    {"label: CSI as U+009B", "\302\2332J", "\\\\xc2\\\\x9b2J"}, /* octal: hex takes the 2 */
    {"label: NEL as U+0085", "\xc2\x85", "\\\\xc2\\\\x85"},
    /* Valid, printable UTF-8 is kept, U+00A0 just past C1 included. */
    {"label: two-byte UTF-8", "caf\xc3\xa9", "caf\xc3\xa9"},
    {"label: U+00A0, just past C1", "\xc2\xa0", "\xc2\xa0"},
    /* Each byte of invalid UTF-8 as \xNN, as tree: valid UTF-8 out, nothing lost. */
    {"label: a byte never in UTF-8", "\xff", "\\\\xff"},
    {"label: a sequence cut before ASCII", "a\xc3(b", "a\\\\xc3(b"},
    {"label: a sequence cut at the end", "\xe2\x82", "\\\\xe2\\\\x82"},
    {"label: a UTF-16 surrogate", "\xed\xa0\x80", "\\\\xed\\\\xa0\\\\x80"},
    {"label: the odd name of the model", ODD_COMM, ODD_COMM_ESCAPED},
};

static void test_label(void **state)
{
	const struct label_case *c = *state;
	g_autoptr(GString) s = g_string_new(NULL);

	metrics_append_label_value(s, c->in);
	if (strcmp(s->str, c->want) != 0)
		fail_msg("%s: got %s, want %s", c->name, s->str, c->want);
}
/*
 * The attack in every label a container controls: its init's name (ESC ] 0 ; x BEL ESC [ 2 J,
 * set with prctl(PR_SET_NAME)) and its cgroup's (with U+009B, CSI). Every series shows both
 * as visible text, and the file holds no control byte but its line ends.
 */
static void test_attack_in_labels(void **state)
{
	struct ns_model *m = ns_model_new(ROOT);
	const pid_t init_pids[] = {1}, attacker_pids[] = {4000, 1};
	struct metrics_facts f;
	g_autofree char *text = NULL;

	(void)state;
	ns_model_add_ns(m, NS_A, ROOT, 1);
	ns_model_add_proc(m, 1, 'S', 1, "systemd", ROOT, init_pids, 1, 7);
	ns_model_add_proc(m, 4000, 'S', 1, "\x1b]0;x\a\x1b[2J", NS_A, attacker_pids, 2, 9);
	ns_model_finish(m);
	facts(&f);
	g_hash_table_remove_all(f.inits);
	add_init(&f, NS_A, SIGTERM_DROPPED, "/evil\302\2332J\x1b]0;x\a", false, 0, 0);
	text = format(m, ROOT, &f);
	metrics_facts_clear(&f);
	ns_model_unref(m);
	assert_non_null(strstr(
	    text, "\nnspidfs_namespace_level{ns=\"4026532306\",level=\"1\","
		  "init_comm=\"\\\\x1b]0;x\\\\x07\\\\x1b[2J\","
		  "cgroup=\"/evil\\\\xc2\\\\x9b2J\\\\x1b]0;x\\\\x07\"" NO_CONTAINER "} 1\n"));
	for (const char *p = text; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n')
			fail_msg("control byte %#x at offset %td", (unsigned char)*p, p - text);
	assert_null(strchr(text, 0x7f));
	assert_null(strstr(text, "\xc2\x9b"));
}

/*
 * One container (A, just below the top) that made 70 namespaces in all: 64 are shown, its own
 * first, and 6 counted as omitted; its sibling C and the top are shown as ever.
 */
static void test_namespaces_capped_per_container(void **state)
{
	struct ns_model *m = ns_model_new(ROOT);
	const uint64_t c_ns = NS_A + 1000;
	struct metrics_facts f;
	g_autoptr(GString) s = NULL;
	g_auto(GStrv) lines = NULL;
	unsigned rows = 0;

	(void)state;
	ns_model_add_ns(m, NS_A, ROOT, 1);
	ns_model_add_ns(m, c_ns, ROOT, 1);
	ADD(m, 1, 'S', 1, 7, "systemd", ROOT, 1);
	ADD(m, 100, 'S', 1, 8, "tini", NS_A, 100, 1);
	ADD(m, 101, 'S', 1, 9, "other", c_ns, 101, 1);
	for (pid_t i = 0; i < 69; i++) {
		uint64_t ns = NS_A + 1 + (uint64_t)i;

		ns_model_add_ns(m, ns, NS_A, 2);
		ADD(m, 200 + i, 'S', 1, 10, "nested", ns, 200 + i, 2 + i, 1);
	}
	ns_model_finish(m);
	metrics_facts_init(&f);
	s = format_metrics(m, ns_model_root(m), &f);
	assert_non_null(strstr(s->str, "\nnspidfs_namespaces 72\n"));
	assert_non_null(strstr(s->str, "\nnspidfs_namespaces_omitted{ns=\"4026532306\"} 6\n"));
	lines = g_strsplit(s->str, "\n", -1);
	for (char **l = lines; *l; l++)
		rows += g_str_has_prefix(*l, "nspidfs_namespace_level{");
	assert_int_equal(rows, 1 + 64 + 1);
	/* A's own row is among them, and so is the sibling's. */
	assert_non_null(strstr(s->str, "nspidfs_namespace_level{ns=\"4026532306\""));
	assert_non_null(strstr(s->str, "nspidfs_namespace_level{ns=\"4026533306\""));
	metrics_facts_clear(&f);
	ns_model_unref(m);
}

struct cgroup_case {
	const char *name;
	const char *text;
	enum cgroup_kind kind;
	const char *path;
	const char *dir;
};

static const struct cgroup_case cgroups[] = {
    /* This machine's hybrid layout: the pids line wins over 0:: and name=systemd. */
    {"cgroup: hybrid, the pids line wins",
     "9:name=systemd:/\n8:pids:/libpod_parent/libpod-1a2b\n7:blkio:/\n"
     "4:memory:/process_api/dd43\n1:cpu:/\n0::/\n",
     CGROUP_V1_PIDS, "/libpod_parent/libpod-1a2b", "pids"},
    /* Co-mounted controllers: the hierarchy's directory is named by the list. */
    {"cgroup: co-mounted controllers", "3:cpu,pids:/x\n2:name=systemd:/y\n", CGROUP_V1_PIDS, "/x",
     "cpu,pids"},
    /* Pure v2. */
    {"cgroup: pure v2", "0::/system.slice/docker-abc.scope\n", CGROUP_V2,
     "/system.slice/docker-abc.scope", NULL},
    {"cgroup: v2 at the root", "0::/\n", CGROUP_V2, "/", NULL},
    /* v1 without pids: name=systemd, no pids files. */
    {"cgroup: v1 without pids, name=systemd",
     "5:memory:/m\n1:name=systemd:/user.slice/s\n0::/user.slice/u\n", CGROUP_OTHER, "/user.slice/s",
     NULL},
    /* v1 with neither: the unified path, still no pids files. */
    {"cgroup: v1 with neither, the unified path", "5:memory:/m\n0::/u\n", CGROUP_OTHER, "/u", NULL},
    /* A path may hold colons; no trailing newline. */
    {"cgroup: colons in the path, no newline", "8:pids:/a:b:c", CGROUP_V1_PIDS, "/a:b:c", "pids"},
    /* "pidsx" is not pids; a name=pids hierarchy is not either. */
    {"cgroup: pidsx and name=pids are not pids", "8:pidsx:/p\n7:name=pids:/q\n6:name=systemd:/s\n",
     CGROUP_OTHER, "/s", NULL},
    {"cgroup: empty", "", CGROUP_NONE, NULL, NULL},
    {"cgroup: garbage", "garbage\n", CGROUP_NONE, NULL, NULL},
    {"cgroup: v1 without pids or name=systemd or unified", "5:memory:/m\n", CGROUP_NONE, NULL,
     NULL},
};

static void test_parse_cgroup(void **state)
{
	const struct cgroup_case *c = *state;
	g_autofree char *path = NULL, *dir = NULL;
	enum cgroup_kind kind = metrics_parse_cgroup(c->text, &path, &dir);

	if (kind != c->kind)
		fail_msg("%s: kind %d, want %d", c->name, kind, c->kind);
	if (g_strcmp0(path, c->path) != 0 || g_strcmp0(dir, c->dir) != 0)
		fail_msg("%s: path %s dir %s, want %s and %s", c->name, path, dir, c->path, c->dir);
}
static const char status_text[] = "Name:\ttini\nState:\tS (sleeping)\nSigQ:\t0/96365\n"
				  "SigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\n"
				  "SigBlk:\t0000000000004002\nSigIgn:\t0000000000000006\n"
				  "SigCgt:\tfffffffe7ffbfeff\nCapInh:\t0000000000000000\n";

struct sigmask_case {
	const char *name;
	const char *text, *field;
	int ret;
	uint64_t mask;
};

static const struct sigmask_case sigmasks[] = {
    {"sigmask: SigBlk", status_text, "SigBlk", 0, 0x4002},
    {"sigmask: SigIgn", status_text, "SigIgn", 0, 0x6},
    {"sigmask: SigCgt", status_text, "SigCgt", 0, UINT64_C(0xfffffffe7ffbfeff)},
    /* ShdPnd is not SigPnd; a field must start a line. */
    {"sigmask: ShdPnd is not SigPnd", "ShdPnd:\t1\n", "SigPnd", -ENOENT, 0},
    {"sigmask: a field ending another's name", "XSigCgt:\t1\n", "SigCgt", -ENOENT, 0},
    {"sigmask: a field starting with another's name", "SigCgtX:\t1\n", "SigCgt", -ENOENT, 0},
    {"sigmask: empty", "", "SigCgt", -ENOENT, 0},
    {"sigmask: no value", "SigCgt:\t\n", "SigCgt", -EINVAL, 0},
    {"sigmask: not hex", "SigCgt:\t12zz\n", "SigCgt", -EINVAL, 0},
    {"sigmask: 65 bits", "SigCgt:\t1ffffffffffffffff\n", "SigCgt", -EINVAL, 0},
    /* Found by fuzz_metrics: the kernel writes bare hex digits, never a 0x prefix. */
    {"sigmask: a 0x prefix", "SigCgt:\t0x4000\n", "SigCgt", -EINVAL, 0},
    {"sigmask: no newline", "SigCgt:\t4000", "SigCgt", 0, 0x4000},
};

static void test_parse_sigmask(void **state)
{
	const struct sigmask_case *c = *state;
	uint64_t mask = 0;
	int r = metrics_parse_sigmask(c->text, c->field, &mask);

	if (r != c->ret || (r == 0 && mask != c->mask))
		fail_msg("%s: returned %d and %#" PRIx64 ", want %d and %#" PRIx64, c->name, r,
			 mask, c->ret, c->mask);
}
/* Whether an init sleeps in sigtimedwait, by /proc/PID/syscall and wchan (NULL: unread). */
struct sigtimedwait_case {
	const char *name;
	const char *syscall, *wchan;
	bool waits;
};

static const struct sigtimedwait_case sigtimedwaits[] = {
/* x86_64's rt_sigtimedwait is 128; other architectures have their own number. */
#if defined(__x86_64__)
    {"sigtimedwait: by its system call",
     "128 0x7ffc933e42d0 0x7ffc933e4350 0x0 0x8 0x0 0x0 0x7ffc933e4200 0x7f666ee5ac2f\n", NULL,
     true},
    {"sigtimedwait: a longer number", "1280 0x1\n", NULL, false},
    {"sigtimedwait: a shorter number", "12 0x1\n", NULL, false},
#endif
    {"sigtimedwait: in wait()", "61 0x2 0x7fff4c12d2f8 0x0\n", "do_wait", false},
    {"sigtimedwait: running", "running\n", NULL, false},
    {"sigtimedwait: not in a system call", "-1 0x7ffc 0x7f66\n", "", false},
    {"sigtimedwait: nothing read", NULL, NULL, false},
    {"sigtimedwait: by its wchan", NULL, "do_sigtimedwait.isra.0", true},
    {"sigtimedwait: by its wchan, while running", "running\n", "do_sigtimedwait", true},
    {"sigtimedwait: a wchan starting with its name", NULL, "do_sigtimedwaitx", false},
    {"sigtimedwait: wchan 0", NULL, "0", false},
};

static void test_sigtimedwait(void **state)
{
	const struct sigtimedwait_case *c = *state;

	if (metrics_in_sigtimedwait(c->syscall, c->wchan) != c->waits)
		fail_msg("%s: want %s", c->name, c->waits ? "waiting" : "not waiting");
}
#define TERM  (UINT64_C(1) << 14)
#define OTHER UINT64_C(0x2)

struct sigterm_case {
	const char *name;
	uint64_t caught, blocked, ignored;
	bool in_sigtimedwait;
	enum sigterm_state want;
};

static const struct sigterm_case sigterms[] = {
    {"sigterm: nothing set", 0, 0, 0, false, SIGTERM_DROPPED},
    {"sigterm: other signals only", OTHER, OTHER, OTHER, false, SIGTERM_DROPPED},
    {"sigterm: caught", TERM, 0, 0, false, SIGTERM_CAUGHT},
    {"sigterm: blocked", 0, TERM, 0, false, SIGTERM_BLOCKED},
    {"sigterm: awaited in sigtimedwait", 0, 0, 0, true, SIGTERM_BLOCKED},
    {"sigterm: ignored", 0, 0, TERM, false, SIGTERM_IGNORED},
    /* Precedence: a handler runs once unblocked; a blocked signal is never discarded. */
    {"sigterm: caught before blocked", TERM, TERM, 0, true, SIGTERM_CAUGHT},
    {"sigterm: blocked before ignored", 0, TERM, TERM, false, SIGTERM_BLOCKED},
    {"sigterm: awaited before ignored", 0, 0, TERM, true, SIGTERM_BLOCKED},
};

static void test_sigterm_state(void **state)
{
	const struct sigterm_case *c = *state;
	enum sigterm_state got =
	    metrics_sigterm_state(c->caught, c->blocked, c->ignored, c->in_sigtimedwait);

	if (got != c->want)
		fail_msg("%s: state %d, want %d", c->name, got, c->want);
}
/* A parser of one number: what it must return, and the number when it returns 0. */
struct number_case {
	const char *name;
	const char *text;
	int ret;
	int64_t value;
};

static const struct number_case pids_values[] = {
    {"pids value: max", "max\n", 0, -1},
    {"pids value: max without a newline", "max", 0, -1},
    {"pids value: a number", "42\n", 0, 42},
    {"pids value: 0", "0\n", 0, 0},
    {"pids value: empty", "", -EINVAL, 0},
    {"pids value: negative", "-1\n", -EINVAL, 0},
    {"pids value: a number and garbage", "12x\n", -EINVAL, 0},
    {"pids value: a word starting with max", "maximum\n", -EINVAL, 0},
    {"pids value: above INT64_MAX", "99999999999999999999\n", -EINVAL, 0},
};

static const struct number_case btimes[] = {
    {"btime: among the other lines", "cpu  1 2 3\nintr 5\nbtime 1795432734\nprocs 3\n", 0,
     1795432734},
    {"btime: missing", "cpu 1\n", -ENOENT, 0},
    {"btime: not a number", "btime x\n", -EINVAL, 0},
    {"btime: 0", "btime 0\n", -EINVAL, 0},
    /* Found by fuzz_metrics: a number is read on its own line only, with no sign. */
    {"btime: the number on the next line", "btime \n1795432734\n", -EINVAL, 0},
    {"btime: two blanks", "btime  1795432734\n", -EINVAL, 0},
    {"btime: a plus sign", "btime +1795432734\n", -EINVAL, 0},
};

static void check_number(const struct number_case *c, int (*parse)(const char *, int64_t *))
{
	int64_t v = 0;
	int r = parse(c->text, &v);

	if (r != c->ret || (r == 0 && v != c->value))
		fail_msg("%s: returned %d and %" PRId64 ", want %d and %" PRId64, c->name, r, v,
			 c->ret, c->value);
}

static void test_parse_pids_value(void **state)
{
	check_number(*state, metrics_parse_pids_value);
}

static void test_parse_btime(void **state)
{
	check_number(*state, metrics_parse_btime);
}
int main(void)
{
	const struct CMUnitTest fixed[] = {
	    cmocka_unit_test(test_full_output),
	    cmocka_unit_test(test_help_and_type_for_every_family),
	    cmocka_unit_test(test_top_below_root),
	    cmocka_unit_test(test_without_facts),
	    cmocka_unit_test(test_attack_in_labels),
	    cmocka_unit_test(test_namespaces_capped_per_container),
	};
	GArray *tests = case_tests_new(fixed);

	case_tests_add(tests, labels, test_label);
	case_tests_add(tests, cgroups, test_parse_cgroup);
	case_tests_add(tests, sigmasks, test_parse_sigmask);
	case_tests_add(tests, sigtimedwaits, test_sigtimedwait);
	case_tests_add(tests, sigterms, test_sigterm_state);
	case_tests_add(tests, pids_values, test_parse_pids_value);
	case_tests_add(tests, btimes, test_parse_btime);
	return case_tests_run("format_metrics", tests);
}

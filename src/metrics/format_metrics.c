#include "format_metrics.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "strategy.h"

static void metrics_init_free(gpointer p)
{
	struct metrics_init *init = p;

	g_free(init->cgroup);
	g_free(init);
}

void metrics_facts_init(struct metrics_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->inits = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, metrics_init_free);
}

void metrics_facts_add(struct metrics_facts *f, const struct metrics_init *init)
{
	struct metrics_init *copy = g_memdup2(init, sizeof(*init));

	/* The key lives in the value, which the table frees. */
	g_hash_table_replace(f->inits, &copy->ns_ino, copy);
}

const struct metrics_init *metrics_facts_find(const struct metrics_facts *f, uint64_t ns_ino)
{
	return f->inits ? g_hash_table_lookup(f->inits, &ns_ino) : NULL;
}

void metrics_facts_clear(struct metrics_facts *f)
{
	g_clear_pointer(&f->inits, g_hash_table_unref);
}

/*
 * A label value is the name as tree shows it (escape.h): C0, DEL and C1 controls and bytes of
 * invalid UTF-8 as \xNN, a backslash as \\, so that no name reaches a terminal raw and the
 * value is always valid UTF-8, which Prometheus requires (one bad value and node_exporter
 * drops the whole file). The format's own escaping comes on top: its parsers (Go's expfmt,
 * behind node_exporter) accept only \\, \" and \n and reject any other escape, so
 * \xNN could not be written as such; written \\xNN, it reads \xNN. No newline is left
 * for the format to escape.
 */
void metrics_append_label_value(GString *s, const char *v)
{
	g_autoptr(GString) shown = g_string_sized_new(strlen(v) + 16);

	escape_append_name(shown, v, strlen(v));
	for (gsize i = 0; i < shown->len; i++) {
		if (shown->str[i] == '\\' || shown->str[i] == '"')
			g_string_append_c(s, '\\');
		g_string_append_c(s, shown->str[i]);
	}
}

/* Microseconds as decimal seconds, exactly, without trailing zeros: 1.5, 0.000042, 7. */
static void append_seconds(GString *s, int64_t us)
{
	char frac[8];
	int end;

	if (us < 0) {
		g_string_append_c(s, '-');
		us = -us;
	}
	g_string_append_printf(s, "%" PRId64, us / 1000000);
	if (us % 1000000 == 0)
		return;
	snprintf(frac, sizeof(frac), "%06" PRId64, us % 1000000);
	for (end = 6; frac[end - 1] == '0'; end--)
		;
	g_string_append_printf(s, ".%.*s", end, frac);
}

/* One namespace of the file, with what is counted from the model. */
struct ns_row {
	const struct ns_info *ns;
	const struct metrics_init *facts; /* NULL if the collector found nothing */
	GString *labels;		  /* ns, level, init_comm, cgroup, container_id, pod_uid */
	unsigned processes;		  /* live processes whose own namespace it is */
	unsigned threads;		  /* their threads */
	unsigned zombies;		  /* dead ones, not yet reaped */
	unsigned subtree;		  /* live processes with a PID in it */
	const struct ns_proc *init;
};

/*
 * Dead: exited and not reaped. A zombie thread-group leader whose other threads still run is
 * a live process (its PID still names it), as the per-process files treat it.
 */
static bool is_dead(const struct ns_proc *p)
{
	return ns_proc_is_zombie(p) && p->threads <= 1;
}

static void row_count(struct ns_row *r, const struct ns_model *m)
{
	const struct ns_info *ns = r->ns;

	for (guint i = 0; i < ns->members->len; i++) {
		const struct ns_proc *p = ns_member(ns, i);
		bool own = p->ns_ino == ns->ino, dead = is_dead(p);

		r->subtree += !dead;
		if (own && p->host_pid == ns->init)
			r->init = p;
		if (own && dead)
			r->zombies++;
		else if (own) {
			r->processes++;
			r->threads += p->threads;
		}
	}
}

static void row_labels(struct ns_row *r)
{
	r->labels = g_string_sized_new(128);
	g_string_append_printf(r->labels, "ns=\"%" PRIu64 "\",level=\"%u\",init_comm=\"",
			       r->ns->ino, r->ns->level);
	metrics_append_label_value(r->labels, r->init ? r->init->comm : "");
	g_string_append(r->labels, "\",cgroup=\"");
	metrics_append_label_value(r->labels, r->facts && r->facts->cgroup ? r->facts->cgroup : "");
	/* As kube-state-metrics and cAdvisor label containers, for joins: still one series. */
	g_string_append(r->labels, "\",container_id=\"");
	metrics_append_label_value(r->labels, r->facts ? r->facts->container_id : "");
	g_string_append(r->labels, "\",pod_uid=\"");
	metrics_append_label_value(r->labels, r->facts ? r->facts->pod_uid : "");
	g_string_append_c(r->labels, '"');
}

static void row_free(gpointer p)
{
	struct ns_row *r = p;

	g_string_free(r->labels, TRUE);
	g_free(r);
}

/* The namespace just below top that ns is at or below (ns itself, or one of its ancestors). */
static const struct ns_info *child_of_top(const struct ns_model *m, const struct ns_info *top,
					  const struct ns_info *ns)
{
	while (ns && ns->level > top->level + 1)
		ns = ns_model_find(m, ns->parent);
	return ns;
}

static void count_omitted(GArray *omitted, uint64_t child)
{
	struct metrics_omitted o = {.child = child, .count = 1};

	for (guint i = 0; i < omitted->len; i++) {
		if (g_array_index(omitted, struct metrics_omitted, i).child == child) {
			g_array_index(omitted, struct metrics_omitted, i).count++;
			return;
		}
	}
	g_array_append_val(omitted, o);
}

GPtrArray *metrics_shown(const struct ns_model *m, const struct ns_info *top, GArray *omitted)
{
	GPtrArray *shown = g_ptr_array_new();
	g_autoptr(GHashTable) counts = g_hash_table_new(g_int64_hash, g_int64_equal);

	for (guint i = 0; i < m->order->len; i++) {
		const struct ns_info *ns = g_ptr_array_index(m->order, i), *child;
		guint n;

		if (ns->init <= 0 || !ns_model_is_below(m, top, ns->ino))
			continue;
		child = ns == top ? NULL : child_of_top(m, top, ns);
		if (!child) {
			g_ptr_array_add(shown, (gpointer)ns);
			continue;
		}
		/* The model owns child->ino for as long as the table lives. */
		n = GPOINTER_TO_UINT(g_hash_table_lookup(counts, &child->ino)) + 1;
		g_hash_table_insert(counts, (gpointer)&child->ino, GUINT_TO_POINTER(n));
		if (n <= METRICS_MAX_NS_PER_CHILD)
			g_ptr_array_add(shown, (gpointer)ns);
		else
			count_omitted(omitted, child->ino);
	}
	return shown;
}

/* The rows of the namespaces shown, in their order. */
static GPtrArray *collect_rows(const struct ns_model *m, const GPtrArray *shown,
			       const struct metrics_facts *f)
{
	GPtrArray *rows = g_ptr_array_new_with_free_func(row_free);

	for (guint i = 0; i < shown->len; i++) {
		struct ns_row *r = g_new0(struct ns_row, 1);

		r->ns = g_ptr_array_index(shown, i);
		r->facts = metrics_facts_find(f, r->ns->ino);
		row_count(r, m);
		row_labels(r);
		g_ptr_array_add(rows, r);
	}
	return rows;
}

static void family_head(GString *s, const char *name, const char *type, const char *help)
{
	g_string_append_printf(s, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

enum row_field {
	RF_LEVEL,
	RF_INIT_PID,
	RF_INIT_START,
	RF_PROCESSES,
	RF_SUBTREE,
	RF_THREADS,
	RF_ZOMBIES,
	RF_PIDS_CURRENT,
	RF_PIDS_MAX,
};

struct row_family {
	enum row_field field;
	const char *name;
	const char *help;
};

static const struct row_family row_families[] = {
    {RF_LEVEL, "nspidfs_namespace_level",
     "Depth of the PID namespace below the daemon's own (level 0), as ns/INODE/level."},
    {RF_INIT_PID, "nspidfs_namespace_init_pid",
     "Host PID of the init (PID 1) of the PID namespace."},
    {RF_INIT_START, "nspidfs_namespace_init_start_time_seconds",
     "Start time of the init of the PID namespace, in seconds since the Unix epoch."},
    {RF_PROCESSES, "nspidfs_namespace_processes",
     "Live processes whose own PID namespace this is."},
    {RF_SUBTREE, "nspidfs_namespace_subtree_processes",
     "Live processes with a PID in this PID namespace: its own and those of the namespaces "
     "below it."},
    {RF_THREADS, "nspidfs_namespace_threads",
     "Threads of the live processes whose own PID namespace this is."},
    {RF_ZOMBIES, "nspidfs_namespace_zombies",
     "Zombie processes (exited, not yet reaped) whose own PID namespace this is."},
    {RF_PIDS_CURRENT, "nspidfs_namespace_pids_current",
     "pids.current of the cgroup of the init: tasks in that cgroup and below it."},
    {RF_PIDS_MAX, "nspidfs_namespace_pids_max",
     "pids.max of the cgroup of the init: its own task limit, +Inf for max."},
};

/* Append the row's value of field and true, or false if it has none. */
static bool row_value(GString *s, const struct ns_row *r, enum row_field field,
		      const struct metrics_facts *f)
{
	const struct metrics_init *in = r->facts;

	switch (field) {
	case RF_LEVEL:
		g_string_append_printf(s, "%u", r->ns->level);
		return true;
	case RF_INIT_PID:
		g_string_append_printf(s, "%d", r->ns->init);
		return true;
	case RF_INIT_START:
		if (!f->clk_tck || !f->boot_time_us)
			return false;
		append_seconds(s, f->boot_time_us +
				      (int64_t)(r->ns->init_start * 1000000 / f->clk_tck));
		return true;
	case RF_PROCESSES:
		g_string_append_printf(s, "%u", r->processes);
		return true;
	case RF_SUBTREE:
		g_string_append_printf(s, "%u", r->subtree);
		return true;
	case RF_THREADS:
		g_string_append_printf(s, "%u", r->threads);
		return true;
	case RF_ZOMBIES:
		g_string_append_printf(s, "%u", r->zombies);
		return true;
	case RF_PIDS_CURRENT:
		/* The cgroup may hold processes the reader cannot see, even the host's. */
		if (!in || !in->has_pids || !f->whole_host)
			return false;
		g_string_append_printf(s, "%" PRId64, in->pids_current);
		return true;
	case RF_PIDS_MAX:
		if (!in || !in->has_pids)
			return false;
		if (in->pids_max < 0)
			g_string_append(s, "+Inf");
		else
			g_string_append_printf(s, "%" PRId64, in->pids_max);
		return true;
	}
	return false;
}

/* A family with one series per row that has a value; nothing at all if none has. */
static void row_family(GString *s, GPtrArray *rows, const struct row_family *fam,
		       const struct metrics_facts *f)
{
	g_autoptr(GString) body = g_string_new(NULL);

	for (guint i = 0; i < rows->len; i++) {
		const struct ns_row *r = g_ptr_array_index(rows, i);
		gsize mark = body->len;

		g_string_append_printf(body, "%s{%s} ", fam->name, r->labels->str);
		if (row_value(body, r, fam->field, f))
			g_string_append_c(body, '\n');
		else
			g_string_truncate(body, mark);
	}
	if (!body->len)
		return;
	family_head(s, fam->name, "gauge", fam->help);
	g_string_append_len(s, body->str, (gssize)body->len);
}

static const char *const sigterm_names[SIGTERM_STATE_COUNT] = {
    [SIGTERM_CAUGHT] = "caught",
    [SIGTERM_BLOCKED] = "blocked",
    [SIGTERM_IGNORED] = "ignored",
    [SIGTERM_DROPPED] = "dropped",
};

/* A state set: each state of each init with known state, 1 for the one that holds. */
static void sigterm_family(GString *s, GPtrArray *rows)
{
	static const char name[] = "nspidfs_namespace_init_sigterm";
	g_autoptr(GString) body = g_string_new(NULL);

	for (guint i = 0; i < rows->len; i++) {
		const struct ns_row *r = g_ptr_array_index(rows, i);

		if (!r->facts || r->facts->sigterm == SIGTERM_UNKNOWN ||
		    r->facts->sigterm >= SIGTERM_STATE_COUNT)
			continue;
		for (unsigned k = SIGTERM_CAUGHT; k < SIGTERM_STATE_COUNT; k++)
			g_string_append_printf(body, "%s{%s,state=\"%s\"} %d\n", name,
					       r->labels->str, sigterm_names[k],
					       r->facts->sigterm == k);
	}
	if (!body->len)
		return;
	family_head(s, name, "gauge",
		    "How the init of the PID namespace treats SIGTERM, 1 for the state that "
		    "holds: caught (a handler), blocked (blocked, or awaited in sigtimedwait), "
		    "ignored (SIG_IGN), dropped (default action, which the kernel discards for a "
		    "namespace init: docker stop waits for its timeout, then kills).");
	g_string_append_len(s, body->str, (gssize)body->len);
}

/* One sample per cache of the count at offset in struct live_table_counts. */
static void cache_samples(GString *s, const char *family, const struct stats_counts *c,
			  size_t offset)
{
	const struct {
		const char *name;
		const struct live_table_counts *counts;
	} caches[] = {
	    {"process", &c->process_cache},
	    {"reader", &c->reader_cache},
	    {"namespace", &c->namespace_cache},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(caches); i++)
		g_string_append_printf(s, "%s{cache=\"%s\"} %" PRIu64 "\n", family, caches[i].name,
				       G_STRUCT_MEMBER(uint64_t, caches[i].counts, offset));
}

static void cache_families(GString *s, const struct stats_counts *c)
{
	family_head(s, "nspidfs_cache_entries", "gauge",
		    "Live tasks the daemon keeps answers about, one pidfd each: processes read, "
		    "the threads reading, and the inits of the PID namespaces seen.");
	cache_samples(s, "nspidfs_cache_entries", c,
		      G_STRUCT_OFFSET(struct live_table_counts, entries));
	family_head(s, "nspidfs_cache_descriptors", "gauge",
		    "Descriptors the caches hold: each entry's pidfd, and for namespaces those of "
		    "the namespace and its ancestors below the daemon's.");
	cache_samples(s, "nspidfs_cache_descriptors", c,
		      G_STRUCT_OFFSET(struct live_table_counts, descriptors));
	family_head(s, "nspidfs_cache_hits_total", "counter",
		    "Requests answered from a cache since the daemon started.");
	cache_samples(s, "nspidfs_cache_hits_total", c,
		      G_STRUCT_OFFSET(struct live_table_counts, hits));
	family_head(
	    s, "nspidfs_cache_misses_total", "counter",
	    "Requests that had to read /proc (or translate, or walk a namespace chain) since "
	    "the daemon started.");
	cache_samples(s, "nspidfs_cache_misses_total", c,
		      G_STRUCT_OFFSET(struct live_table_counts, misses));
}

static void daemon_families(GString *s, const struct metrics_facts *f)
{
	const struct stats_counts *c = f->stats;

	family_head(s, "nspidfs_lookups_total", "counter",
		    "PID translations and reverse lookups since the daemon started, by strategy "
		    "and result (ok, enoent: no such process, error: anything else).");
	for (unsigned id = STRATEGY_IOCTL; id < STRATEGY_COUNT; id++)
		for (unsigned res = 0; res < STATS_RESULT_COUNT; res++)
			g_string_append_printf(
			    s, "nspidfs_lookups_total{strategy=\"%s\",result=\"%s\"} %" PRIu64 "\n",
			    strategy_name((enum strategy_id)id),
			    stats_result_name((enum stats_result)res), c->lookups[id][res]);
	family_head(s, "nspidfs_helper_forks_total", "counter",
		    "Helpers forked by the creds strategy since the daemon started.");
	g_string_append_printf(s, "nspidfs_helper_forks_total %" PRIu64 "\n", c->helper_forks);
	family_head(s, "nspidfs_helper_timeouts_total", "counter",
		    "Helpers of the creds strategy killed at the helper timeout since the daemon "
		    "started.");
	g_string_append_printf(s, "nspidfs_helper_timeouts_total %" PRIu64 "\n",
			       c->helper_timeouts);
	family_head(s, "nspidfs_proc_passes_total", "counter",
		    "Passes over the whole of /proc since the daemon started (shared by every "
		    "reader, spaced by at least three times the last one's length).");
	g_string_append_printf(s, "nspidfs_proc_passes_total %" PRIu64 "\n", c->proc_passes);
	family_head(s, "nspidfs_proc_updates_total", "counter",
		    "Models made since the daemon started by reading again only the processes "
		    "the kernel's process events named, instead of a pass over /proc.");
	g_string_append_printf(s, "nspidfs_proc_updates_total %" PRIu64 "\n", c->proc_updates);
	family_head(
	    s, "nspidfs_helper_kills_total", "counter",
	    "Helpers of the creds strategy that hung up without answering while their "
	    "namespace lived (killed by a process that sees them) since the daemon started.");
	g_string_append_printf(s, "nspidfs_helper_kills_total %" PRIu64 "\n", c->helper_kills);
	family_head(s, "nspidfs_helper_stops_total", "counter",
		    "Helpers of the creds strategy stopped by a signal since the daemon started.");
	g_string_append_printf(s, "nspidfs_helper_stops_total %" PRIu64 "\n", c->helper_stops);
	family_head(s, "nspidfs_helper_refusals_total", "counter",
		    "Helpers of the creds strategy not forked since the daemon started, by reason "
		    "(suspended: the namespace's helpers were interfered with lately, rate: it "
		    "spent its forks a second, busy: it held its share of the helpers).");
	for (unsigned r = 0; r < STATS_REFUSAL_COUNT; r++)
		g_string_append_printf(
		    s, "nspidfs_helper_refusals_total{reason=\"%s\"} %" PRIu64 "\n",
		    stats_refusal_name((enum stats_refusal)r), c->helper_refusals[r]);
	cache_families(s, c);
	family_head(s, "nspidfs_open_files", "gauge",
		    "Files open through the mount, each holding the content it was opened with.");
	g_string_append_printf(s, "nspidfs_open_files %" PRIu64 "\n", c->open_files);
	family_head(s, "nspidfs_open_file_bytes", "gauge",
		    "Bytes of content the open files hold, each copy once: opens of a file by one "
		    "view that built the same content share a copy.");
	g_string_append_printf(s, "nspidfs_open_file_bytes %" PRIu64 "\n", c->open_file_bytes);
	family_head(s, "nspidfs_build_info", "gauge",
		    "Version of the daemon and its configured strategy; always 1.");
	g_string_append(s, "nspidfs_build_info{version=\"");
	metrics_append_label_value(s, f->version ? f->version : "");
	g_string_append(s, "\",strategy=\"");
	metrics_append_label_value(s, f->strategy ? f->strategy : "");
	g_string_append(s, "\"} 1\n");
}

/*
 * The /proc pass takes about as long per process on the host, whoever reads: for a reader in
 * a container the time would tell how many processes it cannot see.
 */
static void build_seconds(GString *s, const struct metrics_facts *f)
{
	family_head(s, "nspidfs_metrics_build_seconds", "gauge",
		    "Time taken to build this file: the /proc pass (unless a recent one was "
		    "reused) and the facts about each init.");
	/*
	 * Always six decimals: stat computes the size from one build and sendfile() reads up to
	 * it from the next, so the length must not change with the digits of a duration.
	 */
	g_string_append_printf(s, "nspidfs_metrics_build_seconds %" PRId64 ".%06" PRId64 "\n",
			       MAX(f->build_us, 0) / 1000000, MAX(f->build_us, 0) % 1000000);
}

static unsigned live_subtree(const struct ns_model *m, const struct ns_info *top)
{
	struct ns_row r = {.ns = top};

	row_count(&r, m);
	return r.subtree;
}

static void omitted_family(GString *s, const GArray *omitted)
{
	if (!omitted->len)
		return;
	family_head(
	    s, "nspidfs_namespaces_omitted", "gauge",
	    "PID namespaces at or below this one (just below the top shown) left out of this "
	    "file: at most " G_STRINGIFY(METRICS_MAX_NS_PER_CHILD) " are shown there.");
	for (guint i = 0; i < omitted->len; i++) {
		const struct metrics_omitted *o =
		    &g_array_index(omitted, struct metrics_omitted, i);

		g_string_append_printf(s, "nspidfs_namespaces_omitted{ns=\"%" PRIu64 "\"} %u\n",
				       o->child, o->count);
	}
}

static unsigned omitted_total(const GArray *omitted)
{
	unsigned n = 0;

	for (guint i = 0; i < omitted->len; i++)
		n += g_array_index(omitted, struct metrics_omitted, i).count;
	return n;
}

GString *format_metrics(const struct ns_model *m, const struct ns_info *top,
			const struct metrics_facts *f)
{
	GString *s = g_string_sized_new(4096);
	g_autoptr(GArray) omitted = g_array_new(FALSE, FALSE, sizeof(struct metrics_omitted));
	g_autoptr(GPtrArray) shown = metrics_shown(m, top, omitted);
	g_autoptr(GPtrArray) rows = collect_rows(m, shown, f);

	family_head(s, "nspidfs_namespaces", "gauge",
		    "PID namespaces with a live init, the top one shown and those below it.");
	g_string_append_printf(s, "nspidfs_namespaces %u\n", rows->len + omitted_total(omitted));
	omitted_family(s, omitted);
	family_head(s, "nspidfs_processes", "gauge",
		    "Live processes with a PID in the top PID namespace shown.");
	g_string_append_printf(s, "nspidfs_processes %u\n", live_subtree(m, top));
	for (size_t i = 0; i < G_N_ELEMENTS(row_families); i++) {
		row_family(s, rows, &row_families[i], f);
		/* The state set goes with the init's other facts. */
		if (row_families[i].field == RF_ZOMBIES)
			sigterm_family(s, rows);
	}
	/* A reader who does not see every process gets no figure computed over them. */
	if (f->whole_host && f->stats)
		daemon_families(s, f);
	if (f->whole_host)
		build_seconds(s, f);
	return s;
}

/*
 * The Prometheus textfile (text exposition format 0.0.4) of metrics/nspidfs.prom, from one
 * namespace model and the facts the collector (metrics.c) gathered about each namespace's init.
 * A pure function of its inputs, so that tests can build both by hand.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "container_parse.h"
#include "nsmodel.h"
#include "stats.h"

/* How an init treats SIGTERM, in the order of precedence the collector decides it by. */
enum sigterm_state {
	SIGTERM_UNKNOWN, /* its status could not be read: no series */
	SIGTERM_CAUGHT,	 /* a handler is installed (SigCgt) */
	SIGTERM_BLOCKED, /* blocked (SigBlk), or waited for in sigtimedwait(2) */
	SIGTERM_IGNORED, /* SIG_IGN (SigIgn) */
	SIGTERM_DROPPED, /* default action: the kernel discards it for a namespace init */
	SIGTERM_STATE_COUNT,
};

/* What the collector found about the init of one namespace, beyond the model. */
struct metrics_init {
	uint64_t ns_ino;
	enum sigterm_state sigterm;
	char *cgroup;  /* its cgroup path, owned; NULL if unknown (the label is then empty) */
	bool has_pids; /* the cgroup has pids.current and pids.max */
	int64_t pids_current; /* tasks in the cgroup */
	int64_t pids_max;     /* its limit; -1 for "max" (no limit) */
	/* Its container as kube-state-metrics and cAdvisor name it ("containerd://ID"), or "". */
	char container_id[CONTAINER_ID_MAX + 16];
	char pod_uid[POD_UID_LEN + 1]; /* its Kubernetes pod's, or "" */
};

struct metrics_facts {
	GHashTable *inits;    /* uint64_t ns inode -> struct metrics_init, owned */
	int64_t boot_time_us; /* boot time, microseconds since the epoch (btime of /proc/stat) */
	unsigned clk_tck;     /* sysconf(_SC_CLK_TCK): the unit of ns_info.init_start */
	int64_t build_us;     /* how long building the file took, reported as given */
	/*
	 * The reader sees every process. Only then is a figure shown that is computed over more
	 * than the namespaces in the file: the daemon's own families (other readers' lookups),
	 * the build time (the /proc pass takes time with every process of the host) and a
	 * cgroup's pids.current (which counts whatever shares the cgroup, the host's included).
	 */
	bool whole_host;
	/* The daemon's own families (lookups, helpers, caches, build info); NULL: none. */
	const struct stats_counts *stats;
	const char *version;
	const char *strategy;
};

void metrics_facts_init(struct metrics_facts *f);
/* Add (or replace) the facts of namespace init->ns_ino; takes init->cgroup. */
void metrics_facts_add(struct metrics_facts *f, const struct metrics_init *init);
const struct metrics_init *metrics_facts_find(const struct metrics_facts *f, uint64_t ns_ino);
void metrics_facts_clear(struct metrics_facts *f);

/*
 * Append v as a label value: the value is v as tree shows it (escape.h: controls and invalid
 * bytes as \xNN, a backslash as \\), then escaped as the format requires (\\ and \").
 */
void metrics_append_label_value(GString *s, const char *v);

/*
 * At most this many namespaces below each namespace just below the top shown (it counted), so
 * that one container cannot make the file, its series and the collector's reads grow without
 * bound by making namespaces; those left out are counted in nspidfs_namespaces_omitted.
 */
#define METRICS_MAX_NS_PER_CHILD 64

struct metrics_omitted {
	uint64_t child; /* a namespace just below the top */
	unsigned count; /* namespaces at or below it left out */
};

/*
 * The namespaces the file shows, as const struct ns_info *, depth first: top and those below
 * it that have a live init, within METRICS_MAX_NS_PER_CHILD; omitted (struct metrics_omitted)
 * gets what was left out.
 */
GPtrArray *metrics_shown(const struct ns_model *m, const struct ns_info *top, GArray *omitted);

/*
 * The whole file for top and the namespaces below it (those with a live init); levels are
 * depths below the daemon's namespace, as everywhere. A reader in a container gets its own
 * namespace as top and whole_host false.
 */
GString *format_metrics(const struct ns_model *m, const struct ns_info *top,
			const struct metrics_facts *f);

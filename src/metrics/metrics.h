/*
 * The metrics file: the collector of what the namespace model does not hold about each
 * namespace's init (its signal dispositions, whether it waits in sigtimedwait, its cgroup and
 * that cgroup's pids controller), read with the pure parsers of metrics_parse.h.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "format_metrics.h"
#include "metrics_parse.h"
#include "nsmodel.h"

/* Gather the facts about the init of top and of each namespace below it. */
void metrics_collect(const struct ns_model *m, const struct ns_info *top, struct metrics_facts *f);
/* What the tree above tells of itself: the open files and the content they hold. */
struct metrics_tree_counts {
	uint64_t open_files, open_file_bytes;
};

/*
 * The file's text for top and below; whole_host for a reader who sees every process, who
 * alone gets the figures computed over more than top's namespaces (struct metrics_facts).
 * began is when the request started (g_get_monotonic_time()), for
 * nspidfs_metrics_build_seconds.
 */
GString *metrics_text(const struct ns_model *m, const struct ns_info *top, bool whole_host,
		      gint64 began, const struct metrics_tree_counts *tree);

/*
 * The metrics file: the collector of what the namespace model does not hold about each
 * namespace's init (its signal dispositions, whether it waits in sigtimedwait, its cgroup and
 * that cgroup's pids controller), and the pure parsers it reads /proc and cgroupfs with.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "format_metrics.h"
#include "nsmodel.h"

/* Which line of /proc/PID/cgroup a path came from. */
enum cgroup_kind {
	CGROUP_NONE,
	CGROUP_V1_PIDS, /* a v1 hierarchy with the pids controller: its files are there */
	CGROUP_V2,	/* the 0:: line of a system with only the unified hierarchy */
	CGROUP_OTHER,	/* v1 or hybrid without pids: name=systemd's path (else 0::'s) */
};

/*
 * The cgroup to report from /proc/PID/cgroup text: with any v1 hierarchy (v1 or hybrid), the
 * pids controller's path, else name=systemd's; with v2 only, the 0:: path. *path is new,
 * *dir (if not NULL) the v1 hierarchy's controller list ("pids", "cpu,pids"), or NULL.
 */
enum cgroup_kind metrics_parse_cgroup(const char *text, char **path, char **dir);
/* The hex mask of a status field such as "SigCgt"; -ENOENT if absent, -EINVAL if malformed. */
int metrics_parse_sigmask(const char *status, const char *field, uint64_t *mask);
/* Whether /proc/PID/syscall or /proc/PID/wchan (either may be NULL) shows sigtimedwait. */
bool metrics_in_sigtimedwait(const char *syscall_text, const char *wchan_text);
/* Precedence: caught, blocked (or in sigtimedwait), ignored, else dropped. */
enum sigterm_state metrics_sigterm_state(uint64_t caught, uint64_t blocked, uint64_t ignored,
					 bool in_sigtimedwait);
/* pids.current or pids.max: a decimal count, or "max" as -1. */
int metrics_parse_pids_value(const char *text, int64_t *out);
/* btime of /proc/stat text, seconds since the epoch. */
int metrics_parse_btime(const char *stat_text, int64_t *btime);

/* Gather the facts about the init of top and of each namespace below it. */
void metrics_collect(const struct ns_model *m, const struct ns_info *top, struct metrics_facts *f);
/*
 * The file's text for top and below; whole_host for a reader who sees every process, who
 * alone gets the figures computed over more than top's namespaces (struct metrics_facts).
 * began is when the request started (g_get_monotonic_time()), for
 * nspidfs_metrics_build_seconds.
 */
GString *metrics_text(const struct ns_model *m, const struct ns_info *top, bool whole_host,
		      gint64 began);

/*
 * The pure parsers the metrics' collector reads /proc and cgroupfs with: text in, facts out,
 * no system call, so that they are fuzzed alone (tests/fuzz/fuzz_metrics.c).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "format_metrics.h"

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

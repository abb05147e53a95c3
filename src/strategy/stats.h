/*
 * The daemon's own counters, for the metrics file: lookups by strategy and result, helper
 * forks, timeouts, interference and refusals. Lock-free atomic counters, safe to bump from any FUSE
 * worker thread; they only grow, from 0 at start-up.
 */
#pragma once

#include <stdint.h>

#include "cache_counts.h"
#include "strategy_id.h"

enum stats_result {
	STATS_OK,     /* the strategy answered */
	STATS_ENOENT, /* no such process, or it vanished: final, as strategy_error_is_final() */
	STATS_ERROR,  /* anything else (EACCES, ETIMEDOUT, EAGAIN, ...) */
	STATS_RESULT_COUNT,
};

/* Why a creds helper was not forked (another strategy answered, or the read got EAGAIN). */
enum stats_refusal {
	STATS_REFUSED_SUSPENDED, /* its namespace's helpers were interfered with lately */
	STATS_REFUSED_RATE,	 /* its namespace spent its forks for now */
	STATS_REFUSED_BUSY,	 /* its namespace held its share of the slots already */
	STATS_REFUSAL_COUNT,
};

struct stats_counts {
	uint64_t lookups[STRATEGY_COUNT][STATS_RESULT_COUNT]; /* [STRATEGY_AUTO] stays 0 */
	uint64_t helper_forks;
	uint64_t helper_timeouts;
	uint64_t helper_kills; /* hung up without answering, the namespace alive */
	uint64_t helper_stops; /* stopped by a signal */
	uint64_t helper_refusals[STATS_REFUSAL_COUNT];
	/*
	 * Filled by the caller (metrics.c): /proc passes, the caches of processes and readers,
	 * the open files and the content they hold.
	 */
	uint64_t proc_passes;
	uint64_t proc_updates;
	struct live_table_counts process_cache, reader_cache, namespace_cache;
	uint64_t open_files, open_file_bytes;
};

/* One translation or reverse lookup by strategy id, with its result. */
void stats_lookup(enum strategy_id id, enum stats_result result);
void stats_helper_fork(void);
void stats_helper_timeout(void);
void stats_helper_kill(void);
void stats_helper_stop(void);
void stats_helper_refused(enum stats_refusal why);
const char *stats_refusal_name(enum stats_refusal why);
/* The counters now; each is read atomically, not all of them at one instant. */
void stats_read(struct stats_counts *out);
const char *stats_result_name(enum stats_result r);

#include "stats.h"

#include <stdatomic.h>
#include <stddef.h>

/* Relaxed: each counter is independent, and readers need no ordering with anything else. */
static atomic_uint_fast64_t lookups[STRATEGY_COUNT][STATS_RESULT_COUNT];
static atomic_uint_fast64_t helper_forks;
static atomic_uint_fast64_t helper_timeouts;
static atomic_uint_fast64_t helper_kills;
static atomic_uint_fast64_t helper_stops;
static atomic_uint_fast64_t helper_refusals[STATS_REFUSAL_COUNT];

static const char *const result_names[STATS_RESULT_COUNT] = {
    [STATS_OK] = "ok",
    [STATS_ENOENT] = "enoent",
    [STATS_ERROR] = "error",
};

static const char *const refusal_names[STATS_REFUSAL_COUNT] = {
    [STATS_REFUSED_SUSPENDED] = "suspended",
    [STATS_REFUSED_RATE] = "rate",
    [STATS_REFUSED_BUSY] = "busy",
};

void stats_lookup(enum strategy_id id, enum stats_result result)
{
	if ((unsigned)id < STRATEGY_COUNT && (unsigned)result < STATS_RESULT_COUNT)
		atomic_fetch_add_explicit(&lookups[id][result], 1, memory_order_relaxed);
}

void stats_helper_fork(void)
{
	atomic_fetch_add_explicit(&helper_forks, 1, memory_order_relaxed);
}

void stats_helper_timeout(void)
{
	atomic_fetch_add_explicit(&helper_timeouts, 1, memory_order_relaxed);
}

void stats_helper_kill(void)
{
	atomic_fetch_add_explicit(&helper_kills, 1, memory_order_relaxed);
}

void stats_helper_stop(void)
{
	atomic_fetch_add_explicit(&helper_stops, 1, memory_order_relaxed);
}

void stats_helper_refused(enum stats_refusal why)
{
	if ((unsigned)why < STATS_REFUSAL_COUNT)
		atomic_fetch_add_explicit(&helper_refusals[why], 1, memory_order_relaxed);
}

void stats_read(struct stats_counts *out)
{
	for (unsigned i = 0; i < STRATEGY_COUNT; i++)
		for (unsigned j = 0; j < STATS_RESULT_COUNT; j++)
			out->lookups[i][j] =
			    atomic_load_explicit(&lookups[i][j], memory_order_relaxed);
	out->helper_forks = atomic_load_explicit(&helper_forks, memory_order_relaxed);
	out->helper_timeouts = atomic_load_explicit(&helper_timeouts, memory_order_relaxed);
	out->helper_kills = atomic_load_explicit(&helper_kills, memory_order_relaxed);
	out->helper_stops = atomic_load_explicit(&helper_stops, memory_order_relaxed);
	for (unsigned i = 0; i < STATS_REFUSAL_COUNT; i++)
		out->helper_refusals[i] =
		    atomic_load_explicit(&helper_refusals[i], memory_order_relaxed);
}

const char *stats_result_name(enum stats_result r)
{
	return (unsigned)r < STATS_RESULT_COUNT ? result_names[r] : "?";
}

const char *stats_refusal_name(enum stats_refusal why)
{
	return (unsigned)why < STATS_REFUSAL_COUNT ? refusal_names[why] : "?";
}

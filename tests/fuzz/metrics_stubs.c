/*
 * What src/metrics/metrics.c calls besides its parsers: the collector's /proc reads, the formatter,
 * the counters and the strategy's name. The parsers alone are fuzzed, so these stand in for
 * the rest of the daemon, whose sources would bring in libfuse and the whole core; reaching
 * one means the harness called more than the parsers.
 */
#include <stdio.h>
#include <stdlib.h>

#include "format_metrics.h"
#include "handle.h"
#include "nscache.h"
#include "nsmodel.h"
#include "pidcache.h"
#include "proc.h"
#include "snapshot.h"
#include "stats.h"
#include "strategy.h"
#include "visibility.h"

static void __attribute__((noreturn)) not_fuzzed(const char *what)
{
	fprintf(stderr, "fuzz_metrics: %s is not part of the parsers\n", what);
	abort();
}

int proc_open_dir(pid_t pid)
{
	not_fuzzed(__func__);
}

int proc_read_stat_at(int dirfd, pid_t pid, struct proc_stat *out)
{
	not_fuzzed(__func__);
}

void metrics_facts_init(struct metrics_facts *f)
{
	not_fuzzed(__func__);
}

void metrics_facts_add(struct metrics_facts *f, const struct metrics_init *init)
{
	not_fuzzed(__func__);
}

void metrics_facts_clear(struct metrics_facts *f)
{
	not_fuzzed(__func__);
}

GString *format_metrics(const struct ns_model *m, const struct ns_info *top,
			const struct metrics_facts *f)
{
	not_fuzzed(__func__);
}

bool ns_model_is_below(const struct ns_model *m, const struct ns_info *ns, uint64_t inner)
{
	not_fuzzed(__func__);
}

void pidcache_counts(struct live_table_counts *out)
{
	not_fuzzed(__func__);
}

void visibility_counts(struct live_table_counts *out)
{
	not_fuzzed(__func__);
}

void nscache_counts(struct live_table_counts *out)
{
	not_fuzzed(__func__);
}

void handle_counts(uint64_t *files, uint64_t *bytes)
{
	not_fuzzed(__func__);
}

void stats_read(struct stats_counts *out)
{
	not_fuzzed(__func__);
}

GPtrArray *metrics_shown(const struct ns_model *m, const struct ns_info *top, GArray *omitted)
{
	not_fuzzed(__func__);
}

uint64_t snapshot_passes(void)
{
	not_fuzzed(__func__);
}

const char *strategy_name(enum strategy_id id)
{
	not_fuzzed(__func__);
}

enum strategy_id strategy_active(void)
{
	not_fuzzed(__func__);
}

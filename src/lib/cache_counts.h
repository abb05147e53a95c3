/* What a cache reports of itself, for the metrics: below every layer that keeps or counts one. */
#pragma once

#include <stdint.h>

struct live_table_counts {
	uint64_t hits, misses, entries;
	uint64_t descriptors; /* the entries' pidfds and what their values hold */
};

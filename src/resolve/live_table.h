/*
 * A bounded table of facts about live tasks, each entry tied to its task by a pidfd. What the
 * kernel fixes for a task's life (its PID namespaces, its PIDs, its start time) can be kept as
 * long as the task lives, and whether it lives is whether the pidfd polls readable: readable
 * means it exited, and its PID may name another task by now. The pidfd must be opened before
 * the facts are read: an entry is served only while its task lives, and then the facts are
 * about that task, not a PID's next holder. The table's epoll set holds every entry's pidfd,
 * so that one call tells whether any of them exited; a hit costs that call while none did.
 *
 * Entries of exited tasks are never served; they go with their pidfds at the next sweep (a
 * store, a hit that finds some task exited, the counts, or live_tables_sweep()). When full, those
 * least recently used go. Thread-safe.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pidfd_compat.h"
#include "cache_counts.h"

struct live_table;

/* capacity 0: a table that stores nothing. pidfd_flags: 0 (processes) or PIDFD_THREAD. */
struct live_table *live_table_new(unsigned capacity, size_t value_size, unsigned pidfd_flags);
/*
 * For values that hold resources (descriptors): copy makes what live_table_get hands out,
 * under the table's lock, so that an entry dropped meanwhile cannot take it away; clear frees
 * a value the table owns. A put then takes ownership of the value too, stored or not.
 */
struct live_table_value_ops {
	void (*copy)(void *dst, const void *src);
	void (*clear)(void *value);
	unsigned (*descriptors)(const void *value); /* for the counts */
};
void live_table_set_value_ops(struct live_table *t, const struct live_table_value_ops *ops);
void live_table_free(struct live_table *t);
bool live_table_enabled(const struct live_table *t);
/* A close-on-exec pidfd to hold across reading facts about pid, or -1 (then store nothing). */
int live_table_pidfd(const struct live_table *t, pid_t pid);
/* Copy key's value into out if its task still lives. */
bool live_table_get(struct live_table *t, uint64_t key, void *out);
/*
 * Store value for key (the task's PID, or what names what the task's life bounds), taking
 * ownership of pidfd (-1: nothing is stored). Without replace, an entry whose task still lives
 * stays as it is.
 */
void live_table_put(struct live_table *t, uint64_t key, int pidfd, const void *value, bool replace);
/* All 0 for a NULL table. */
void live_table_counts(struct live_table *t, struct live_table_counts *out);
/* Drop the entries of exited tasks from every table (how many): for when the daemon idles. */
unsigned live_tables_sweep(void);
/* Up to max descriptors that poll readable when a task of some table's entries exits. */
unsigned live_tables_exit_fds(int *fds, unsigned max);
/* Drop every entry, closing their pidfds. */
void live_table_clear(struct live_table *t);

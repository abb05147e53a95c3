/*
 * What was resolved about live processes, kept while they live: a process's PID namespaces,
 * its PID at every level and its namespaces' inits never change, so a hit only needs to know
 * that the PID is still held by the same process, which the entry's pidfd tells (live_table.h).
 * Every function answers as resolve.h's uncached counterpart does; a miss calls it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "live_table.h"
#include "model.h"

#define PIDCACHE_DEFAULT_ENTRIES 4096
#define PIDCACHE_MAX_ENTRIES	 65536

/* Before serving; 0 turns the cache off. */
void pidcache_configure(unsigned max_entries);
bool pidcache_enabled(void);
/* The identity bits of the process holding pid now (resolve_identity). */
int pidcache_identity(pid_t pid, uint64_t *start);
/* 0 if pid is still held by the process with these identity bits, else -ENOENT or -errno. */
int pidcache_check(pid_t pid, uint64_t start);
/* The process's model (resolve_process_fd). */
int pidcache_model(pid_t pid, uint64_t start, struct proc_model *out);
/* The identity bits and model of the process holding pid now. */
int pidcache_resolve(pid_t pid, uint64_t *start, struct proc_model *out);
/*
 * pidcache_resolve in two halves, for a caller that answers in between. The first gives the
 * identity bits and, on a miss, a pidfd that holds the process (else -1)...
 */
int pidcache_identify(pid_t pid, uint64_t *start, int *pidfd);
/* ...which the second takes, to resolve the process and keep its model. */
int pidcache_resolve_held(pid_t pid, uint64_t start, int pidfd, struct proc_model *out);
/*
 * What the cache alone knows, reading nothing: 0, or PIDCACHE_* bits and what they say (model
 * may be NULL).
 */
#define PIDCACHE_IDENTITY 1 /* *start */
#define PIDCACHE_MODEL	  2 /* *model */
int pidcache_peek(pid_t pid, uint64_t *start, struct proc_model *model);
void pidcache_counts(struct live_table_counts *out);
/* Close every pidfd (at unmount). */
void pidcache_clear(void);

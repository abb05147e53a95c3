/* PID namespace -> host PID of its init, for the status strategy and ns/ lookups; entries are
 * re-validated on use. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Find the init of namespace ns_ino, starting the search
 * from member, a process of that namespace. -ESRCH when it has no live init.
 */
int init_cache_find(uint64_t ns_ino, pid_t member, pid_t *init);
/* Remember that init (with its start time) is namespace ns_ino's init. */
void init_cache_note(uint64_t ns_ino, pid_t init, uint64_t start);
/* The init of ns_ino as last recorded, alive or not: no /proc read at all. */
bool init_cache_last(uint64_t ns_ino, pid_t *init);
/* The init of ns_ino if it is cached and still alive: no /proc scan. */
bool init_cache_peek(uint64_t ns_ino, pid_t *init, uint64_t *start);

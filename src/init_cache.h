/* PID namespace -> host PID of its init, for the status strategy; entries are re-validated. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

/*
 * Find the init of namespace ns_ino, starting the search
 * from member, a process of that namespace. -ESRCH when it has no live init.
 */
int init_cache_find(uint64_t ns_ino, pid_t member, pid_t *init);
void init_cache_clear(void);

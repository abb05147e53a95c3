/*
 * Limits shared by every forked helper: how long one may run, how many may run at once (and
 * how many of them for one namespace), and how one is watched, killed and reaped.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

void helper_configure(unsigned timeout_ms, unsigned max_concurrent, unsigned test_delay_ms);
unsigned helper_timeout_ms(void);
/* Test-only: how long a helper waits before answering (NSPIDFS_TEST_HELPER_DELAY_MS). */
unsigned helper_test_delay_ms(void);
/* How many slots one namespace below the daemon's may hold at once: half, at least one. */
unsigned helper_share(void);
/*
 * Wait for a free helper slot for namespace ns until deadline (g_get_monotonic_time() units):
 * 0, or -EAGAIN if none came. When ns holds its share already and refuse_when_busy (another
 * strategy can answer), STRATEGY_REFUSED at once instead of waiting.
 */
int helper_slot_acquire(uint64_t ns, gint64 deadline, bool refuse_when_busy);
void helper_slot_release(uint64_t ns);
/* Reap the helper (the group's leader), killing its group first if kill_first. */
void helper_end_group(pid_t leader, bool kill_first);
/*
 * Kill and reap member, the grandchild the helper forked with CLONE_PARENT (0 if its PID is
 * unknown), and what else the helper's group holds. Never waits for a zombie a tracer holds:
 * that is reaped later, by a thread that tries again while any is held.
 */
void helper_reap_member(pid_t leader, pid_t member);
/* Whether a process of the helper's group is stopped by a signal (it stays waitable). */
bool helper_group_stopped(pid_t leader);

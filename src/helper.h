/*
 * Limits shared by every forked helper: how long one may run, how many may run at once, and
 * how one is watched, killed and reaped.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

void helper_configure(unsigned timeout_ms, unsigned max_concurrent, unsigned test_delay_ms);
unsigned helper_timeout_ms(void);
/* Test-only: how long a helper waits before answering (NSPIDFS_TEST_HELPER_DELAY_MS). */
unsigned helper_test_delay_ms(void);
/* Wait for a free helper slot until deadline (g_get_monotonic_time() units); -EAGAIN if none. */
int helper_slot_acquire(gint64 deadline);
void helper_slot_release(void);
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

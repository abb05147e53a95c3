/*
 * Limits shared by every forked helper: how long one may run, how many may run at once, and
 * how one is killed and reaped.
 */
#pragma once

#include <glib.h>
#include <sys/types.h>

void helper_configure(unsigned timeout_ms, unsigned max_concurrent, unsigned test_delay_ms);
unsigned helper_timeout_ms(void);
/* Test-only: how long a helper waits before answering (NSPIDFS_TEST_HELPER_DELAY_MS). */
unsigned helper_test_delay_ms(void);
/* Wait for a free helper slot until deadline (g_get_monotonic_time() units); -EAGAIN if none. */
int helper_slot_acquire(gint64 deadline);
void helper_slot_release(void);
/* Kill the helper's process group and reap the leader and every member forked with it. */
void helper_reap_group(pid_t leader);

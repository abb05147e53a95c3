#include "helper.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

static unsigned timeout_ms = 1000;
static unsigned test_delay_ms;
static unsigned max_running = 4;

static GMutex slot_lock;
static GCond slot_freed;
static unsigned running;

void helper_configure(unsigned timeout, unsigned max_concurrent, unsigned delay)
{
	timeout_ms = timeout;
	max_running = max_concurrent;
	test_delay_ms = delay;
}

unsigned helper_timeout_ms(void)
{
	return timeout_ms;
}

unsigned helper_test_delay_ms(void)
{
	return test_delay_ms;
}

int helper_slot_acquire(gint64 deadline)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&slot_lock);

	while (running >= max_running) {
		if (!g_cond_wait_until(&slot_freed, &slot_lock, deadline)) {
			g_debug("all %u helper slots stayed busy until the deadline", max_running);
			return -EAGAIN;
		}
	}
	running++;
	return 0;
}

void helper_slot_release(void)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&slot_lock);

	running--;
	g_cond_signal(&slot_freed);
}

void helper_reap_group(pid_t leader)
{
	siginfo_t si;

	/*
	 * The leader is our unreaped child, so its PID (and the group ID it names) cannot be
	 * reused before the waits below: the kill cannot hit a stranger. SIGKILL also bounds
	 * the waits, whatever state the helpers were in.
	 */
	kill(-leader, SIGKILL);
	kill(leader, SIGKILL);
	while (waitpid(leader, NULL, 0) < 0 && errno == EINTR)
		;
	/* Helpers forked with CLONE_PARENT are our children too, in the leader's group. */
	while (waitid(P_PGID, (id_t)leader, &si, WEXITED) == 0 || errno == EINTR)
		;
}

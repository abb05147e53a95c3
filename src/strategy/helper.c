#include "helper.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>

#include "stats.h"
#include "strategy.h"

static unsigned timeout_ms = 1000;
static unsigned test_delay_ms;
static unsigned max_running = 4;

/*
 * The slots, and which namespace (the one below the daemon's that a helper's target is in or
 * below) holds each: one namespace may hold only its share, so that helpers that a container
 * stalls never hold every slot while other namespaces' readers wait.
 */
static GMutex slot_lock;
static GCond slot_freed;
static unsigned running;
static struct holder {
	uint64_t ns;
	unsigned n;
} * holders; /* max_running entries; n == 0 for a free one */

void helper_configure(unsigned timeout, unsigned max_concurrent, unsigned delay)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&slot_lock);

	timeout_ms = timeout;
	max_running = max_concurrent;
	test_delay_ms = delay;
	g_free(holders);
	holders = g_new0(struct holder, max_running);
}

unsigned helper_timeout_ms(void)
{
	return timeout_ms;
}

unsigned helper_test_delay_ms(void)
{
	return test_delay_ms;
}

unsigned helper_share(void)
{
	return MAX(max_running / 2, 1);
}

/* With the lock held: ns's entry, or a free one if it holds none. */
static struct holder *holder_of(uint64_t ns)
{
	struct holder *free_one = NULL;

	for (unsigned i = 0; i < max_running; i++) {
		if (holders[i].n && holders[i].ns == ns)
			return &holders[i];
		if (!holders[i].n && !free_one)
			free_one = &holders[i];
	}
	return free_one;
}

int helper_slot_acquire(uint64_t ns, gint64 deadline, bool refuse_when_busy)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&slot_lock);
	struct holder *h;

	if (!holders)
		holders = g_new0(struct holder, max_running);
	for (;;) {
		bool over_share = (h = holder_of(ns)) && h->n >= helper_share();

		if (!over_share && running < max_running)
			break;
		if (over_share && refuse_when_busy) {
			stats_helper_refused(STATS_REFUSED_BUSY);
			return STRATEGY_REFUSED;
		}
		if (!g_cond_wait_until(&slot_freed, &slot_lock, deadline)) {
			g_debug("no helper slot for namespace %" G_GUINT64_FORMAT
				" until the deadline",
				ns);
			return -EAGAIN;
		}
	}
	/* running < max_running: some entry is free, if ns holds none. */
	h->ns = ns;
	h->n++;
	running++;
	return 0;
}

void helper_slot_release(uint64_t ns)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&slot_lock);
	struct holder *h = holder_of(ns);

	if (h && h->n && h->ns == ns)
		h->n--;
	running--;
	/* A waiter may wait for the total or for its namespace's share: wake them all. */
	g_cond_broadcast(&slot_freed);
}

/*
 * Children of ours a tracer held when their helper ended: a zombie that another process
 * ptrace(2)s is visible only to its tracer until the tracer lets it go, and waiting for it
 * would hold the worker as long as a container pleased. An entry is a member's PID or, where
 * the group kept more than it, the group's (as -PGID, as waitpid() takes it); neither can be
 * reused while a child of ours holds it. Nothing tells the daemon when a tracer lets go (but
 * a SIGCHLD, which it leaves alone), and a namespace whose init exits waits until all its
 * members are reaped: a thread of its own tries them again every HELD_RETRY_MS while any is
 * held.
 */
#define MAX_HELD      64
#define HELD_RETRY_MS 50
static GMutex held_lock;
static GCond held_more;
static pid_t held[MAX_HELD];
static unsigned n_held;
static GThread *reaper;

/* Reap what is reapable of one entry; true once nothing is left of it. */
static bool reap_entry(pid_t who)
{
	for (;;) {
		pid_t r = waitpid(who, NULL, WNOHANG);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || r == who)
			return r == who || errno == ECHILD;
		if (r == 0 || who > 0)
			return false;
		/* One of the group: try for more. */
	}
}

/* With held_lock held. */
static void reap_held_locked(void)
{
	for (unsigned i = 0; i < n_held;) {
		if (reap_entry(held[i]))
			held[i] = held[--n_held];
		else
			i++;
	}
}

static void reap_held(void)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&held_lock);

	reap_held_locked();
}

static gpointer reaper_main(gpointer unused)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&held_lock);

	for (;;) {
		if (n_held == 0)
			g_cond_wait(&held_more, &held_lock);
		else
			g_cond_wait_until(&held_more, &held_lock,
					  g_get_monotonic_time() + HELD_RETRY_MS * 1000);
		reap_held_locked();
	}
	return NULL;
}

static void hold(pid_t who)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&held_lock);

	g_debug("creds helper %s %d is held by a tracer: reaped once it is let go",
		who > 0 ? "member" : "group", who > 0 ? who : -who);
	if (n_held == MAX_HELD) {
		g_warning("%u creds helpers held by tracers: %d is left unreaped", MAX_HELD, who);
		return;
	}
	held[n_held++] = who;
	if (!reaper)
		reaper = g_thread_new("nspidfs-reaper", reaper_main, NULL);
	g_cond_signal(&held_more);
}

void helper_end_group(pid_t leader, bool kill_first)
{
	/*
	 * The leader is our unreaped child, so its PID (and the group ID it names) cannot be
	 * reused meanwhile: the kill cannot hit a stranger. The leader is never visible to a
	 * container; without a kill it ends by itself at once.
	 */
	if (kill_first)
		kill(-leader, SIGKILL);
	while (waitpid(leader, NULL, 0) < 0 && errno == EINTR)
		;
}

/* How long a killed member may take to become a zombie: a process in D state can take long. */
#define MEMBER_EXIT_MS 1000

/* Kill and reap a child of ours, or hold it if a tracer keeps its zombie. */
static void reap_member(pid_t member)
{
	struct pollfd p = {.events = POLLIN};

	/* Our unreaped child: its PID is still its own. */
	kill(member, SIGKILL);
	p.fd = pidfd_open(member, 0);
	if (p.fd < 0) {
		/* No pidfds (before Linux 5.3): wait, as its parent. */
		while (waitpid(member, NULL, 0) < 0 && errno == EINTR)
			;
		return;
	}
	/* Readable once it has exited, whether or not a tracer holds the zombie. */
	while (poll(&p, 1, MEMBER_EXIT_MS) < 0 && errno == EINTR)
		;
	close(p.fd);
	if (!reap_entry(member))
		hold(member);
}

/* Whether a child of ours is in the group: then its ID is still the group's. */
static bool group_has_children(pid_t leader)
{
	siginfo_t si;

	return waitid(P_PGID, (id_t)leader, &si,
		      WEXITED | WSTOPPED | WCONTINUED | WNOHANG | WNOWAIT) == 0;
}

void helper_reap_member(pid_t leader, pid_t member)
{
	reap_held();
	if (member > 0)
		reap_member(member);
	/*
	 * Anything else of the group: a member whose PID never came (its helper was killed
	 * before it said it), or what a member forked before it forbade itself clone(2).
	 */
	if (group_has_children(leader)) {
		kill(-leader, SIGKILL);
		if (!reap_entry(-leader))
			hold(-leader);
	}
}

bool helper_group_stopped(pid_t leader)
{
	siginfo_t si = {.si_pid = 0};

	/* WNOWAIT: the stop stays to be seen (and the process to be reaped) afterwards. */
	return waitid(P_PGID, (id_t)leader, &si, WSTOPPED | WNOHANG | WNOWAIT) == 0 &&
	       si.si_pid != 0 && si.si_code == CLD_STOPPED;
}

/*
 * The shared model. With the kernel's process events it is brought up to date by reading
 * again only the processes an event named since the last model (and zombies since reaped,
 * which no event names); without them, or after events were lost, by a full pass.
 */
#include "snapshot.h"

#include <errno.h>
#include <signal.h>

#include "changes.h"
#include "pass.h"
#include "util.h"

static GMutex lock;
static struct ns_model *current;
static unsigned validity_ms = SNAPSHOT_DEFAULT_VALIDITY_MS;

void snapshot_configure(unsigned ms, unsigned events_kib)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);
	int r;

	validity_ms = ms;
	g_clear_pointer(&current, ns_model_unref);
	if (events_kib == 0) {
		g_info("process events off: each new model is a /proc pass");
		return;
	}
	r = changes_enabled() ? 0 : changes_open(events_kib);
	if (r < 0)
		g_info("process events unavailable (%s): each new model is a /proc pass",
		       g_strerror(-r));
}

void snapshot_stop(void)
{
	changes_stop();
}

int snapshot_build(struct ns_model **out)
{
	return pass_full(out);
}

/*
 * current is exact while no event came since it was built and none of its zombies was reaped
 * (no event says so); confirmed_at is when it was last found so. resync: a build failed, and
 * the changes it took are lost with it.
 */
static GArray *zombies; /* pid_t: current's zombies */
static gint64 confirmed_at;
static bool resync;

static gint64 exact_since(gint64 at)
{
	return MAX(at, confirmed_at);
}

static bool fresh(const struct ns_model *m)
{
	/* From the pass's end: a pass longer than the validity must still serve its readers. */
	return m && g_get_monotonic_time() - exact_since(m->done_at) < (gint64)validity_ms * 1000;
}

/* With lock held: add current's zombies reaped since to pids (if given); whether any was. */
static bool reaped(GArray *pids)
{
	bool any = false;

	for (guint i = 0; zombies && i < zombies->len; i++) {
		pid_t pid = g_array_index(zombies, pid_t, i);

		/* A PID reused since is named by its fork's event. */
		if (kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		any = true;
		if (pids)
			g_array_append_val(pids, pid);
	}
	return any;
}

/* With lock held: whether current is still exact, as the events show. */
static bool confirm(void)
{
	if (!changes_enabled() || !current || resync || changes_pending() || reaped(NULL))
		return false;
	confirmed_at = g_get_monotonic_time();
	return true;
}

/*
 * Passes are shared and spaced: a new one starts at least PASS_GAP_FACTOR times the last
 * one's length after it ended (and PASS_GAP_MIN_US), so that however many readers ask (a
 * flood of names that do not exist included), passes take at most a fraction of one CPU.
 * A reader who needs a newer pass (the last is older than the validity, or lacks a name it
 * asks for) waits for the next allowed one, unless MAX_WAITERS do already: then it is
 * answered from the last, so that waiting cannot take every worker.
 */
#define PASS_GAP_FACTOR 3
#define PASS_GAP_MIN_US 10000
#define MAX_WAITERS	2
static GCond pass_done;
static unsigned waiters;
static guint64 passes, updates;
static bool last_full; /* whether current was a full pass */

uint64_t snapshot_passes(void)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);

	return passes;
}

uint64_t snapshot_updates(void)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);

	return updates;
}

/*
 * With lock held: when the next pass may start. An update costs what changed, so only the
 * factor spaces it: a reader waits for a few times its length, not for the minimum.
 */
static gint64 next_pass_at(void)
{
	if (!current)
		return 0;
	return current->done_at + MAX(last_full ? PASS_GAP_MIN_US : 0,
				      PASS_GAP_FACTOR * (current->done_at - current->built_at));
}

static gint compare_pid(gconstpointer a, gconstpointer b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/*
 * m's zombies: after an update, the last model's less those read again, and those read again
 * that are zombies now (changed runs ascending); after a full pass (changed NULL), all of them.
 */
static void note_zombies(const struct ns_model *m, GArray *changed)
{
	g_autoptr(GArray) was = zombies;
	const GPtrArray *procs = ns_model_procs(m);

	zombies = g_array_new(FALSE, FALSE, sizeof(pid_t));
	for (guint i = 0; changed && was && i < was->len; i++) {
		pid_t pid = g_array_index(was, pid_t, i);
		guint at;

		if (!g_array_binary_search(changed, &pid, compare_pid, &at))
			g_array_append_val(zombies, pid);
	}
	for (guint i = 0; changed && i < changed->len; i++) {
		const struct ns_proc *p = ns_model_proc_of(m, g_array_index(changed, pid_t, i));

		if (p && ns_proc_is_zombie(p))
			g_array_append_val(zombies, p->host_pid);
	}
	for (guint i = 0; !changed && i < procs->len; i++) {
		const struct ns_proc *p = g_ptr_array_index(procs, i);

		if (ns_proc_is_zombie(p))
			g_array_append_val(zombies, p->host_pid);
	}
}

/* With lock held: an update of current if the events allow, else a full pass. */
static int build(struct ns_model **m, GArray *changed)
{
	bool lost = true;
	int r;

	if (changes_enabled()) {
		reaped(changed);
		lost = changes_take(changed);
	}
	if (current && !lost && !resync) {
		r = pass_update(current, changed, m);
		updates += r == 0;
		last_full = false;
	} else {
		r = pass_full(m);
		passes += r == 0;
		last_full = true;
	}
	resync = r < 0;
	return r;
}

static struct ns_model *build_now(int *err)
{
	g_autoptr(GArray) changed = g_array_new(FALSE, FALSE, sizeof(pid_t));
	struct ns_model *m;

	*err = build(&m, changed);
	if (*err < 0)
		return NULL;
	g_clear_pointer(&current, ns_model_unref);
	current = m;
	confirmed_at = 0;
	note_zombies(m, last_full ? NULL : changed);
	g_cond_broadcast(&pass_done);
	return ns_model_ref(m);
}

/*
 * With lock held: the shared model if it was built after not_before, or is still exact; else
 * a new one when one is allowed, waited for unless too many wait already, then the last one.
 */
static struct ns_model *rebuild(gint64 not_before, int *err)
{
	bool waiting = false;
	struct ns_model *m;

	for (;;) {
		gint64 at = next_pass_at();

		if (current && exact_since(current->built_at) >= not_before)
			break;
		if (confirm())
			break;
		if (g_get_monotonic_time() >= at) {
			m = build_now(err);
			goto out;
		}
		if (!waiting && waiters >= MAX_WAITERS)
			break;
		if (!waiting)
			waiters++;
		waiting = true;
		g_cond_wait_until(&pass_done, &lock, at);
	}
	m = ns_model_ref(current);
out:
	if (waiting)
		waiters--;
	return m;
}

struct ns_model *snapshot_get(int *err)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);

	/* Readers wait for one pass in progress rather than start their own. */
	if (fresh(current))
		return ns_model_ref(current);
	return rebuild(g_get_monotonic_time() - (gint64)validity_ms * 1000 + 1, err);
}

struct ns_model *snapshot_refresh(struct ns_model *seen, int *err)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = NULL;

	if (pass_last_pid() == seen->last_pid)
		return ns_model_ref(seen);
	locker = g_mutex_locker_new(&lock);
	return rebuild(seen->built_at + 1, err);
}

struct ns_model *snapshot_find(snapshot_found found, const void *arg, int *err)
{
	struct ns_model *m = snapshot_get(err);

	if (m && !found(m, arg)) {
		struct ns_model *newer = snapshot_refresh(m, err);

		ns_model_unref(m);
		m = newer;
	}
	return m;
}

struct member_query {
	uint64_t ns_ino;
	pid_t nspid;
	pid_t *host;
};

static bool member_found(const struct ns_model *m, const void *arg)
{
	const struct member_query *q = arg;

	return ns_model_find_member(m, q->ns_ino, q->nspid, q->host) == 0;
}

int snapshot_find_member(uint64_t ns_ino, pid_t nspid, pid_t *host)
{
	struct member_query q = {.ns_ino = ns_ino, .nspid = nspid, .host = host};
	int r = 0;
	g_autoptr(ns_model) m = snapshot_find(member_found, &q, &r);

	if (!m)
		return r;
	return member_found(m, &q) ? 0 : -ESRCH;
}

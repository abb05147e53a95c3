/*
 * The drain thread sleeps while no reader has asked for a model for DRAIN_IDLE_US: then the
 * kernel's buffer fills, events are lost, and the next reader's model is a full pass, as it
 * would be anyway after so long; an idle daemon costs nothing. Otherwise it drains at most
 * every DRAIN_BATCH_US, so that a busy host wakes it a few times a second, not per event.
 */
#include "changes.h"

#include <poll.h>

#include "proc_events.h"
#include "util.h"

#define DRAIN_IDLE_US  (60 * G_USEC_PER_SEC)
#define DRAIN_BATCH_US (50 * 1000)
/* Past this many different processes, reading each costs more than a pass. */
#define PENDING_MAX 32768

static GMutex lock;
static GCond asked;
static struct proc_events *events;
static GArray *pending; /* pid_t */
static bool lost;
static gint64 last_asked;

static gint compare_pids(gconstpointer a, gconstpointer b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

static void sort_unique(GArray *pids)
{
	guint n = 0;

	g_array_sort(pids, compare_pids);
	for (guint i = 0; i < pids->len; i++) {
		pid_t v = g_array_index(pids, pid_t, i);

		if (n == 0 || g_array_index(pids, pid_t, n - 1) != v)
			g_array_index(pids, pid_t, n++) = v;
	}
	g_array_set_size(pids, n);
}

/* With lock held. Processes making threads by the thousand name themselves each time. */
static void drain_locked(void)
{
	if (proc_events_drain(events, pending))
		lost = true;
	if (pending->len > 2 * PENDING_MAX) {
		sort_unique(pending);
		if (pending->len > PENDING_MAX) {
			lost = true;
			g_array_set_size(pending, 0);
		}
	}
}

static gpointer drain_main(gpointer unused)
{
	struct pollfd p = {.fd = proc_events_fd(events), .events = POLLIN};

	for (;;) {
		g_mutex_lock(&lock);
		while (g_get_monotonic_time() - last_asked > DRAIN_IDLE_US)
			g_cond_wait(&asked, &lock);
		g_mutex_unlock(&lock);
		if (poll(&p, 1, -1) <= 0)
			continue;
		g_mutex_lock(&lock);
		drain_locked();
		g_mutex_unlock(&lock);
		g_usleep(DRAIN_BATCH_US);
	}
	return unused;
}

int changes_open(unsigned buffer_kib)
{
	int r;

	g_return_val_if_fail(events == NULL, -EALREADY);
	r = proc_events_open(buffer_kib, &events);
	if (r < 0)
		return r;
	pending = g_array_new(FALSE, FALSE, sizeof(pid_t));
	g_thread_unref(g_thread_new("nspidfs-events", drain_main, NULL));
	return 0;
}

void changes_stop(void)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);

	if (events)
		proc_events_ignore(events);
}

bool changes_enabled(void)
{
	return events != NULL;
}

/* With lock held: a reader asks; wake the drain thread if it slept. */
static void asked_locked(void)
{
	if (g_get_monotonic_time() - last_asked > DRAIN_IDLE_US)
		g_cond_signal(&asked);
	last_asked = g_get_monotonic_time();
	drain_locked();
}

bool changes_pending(void)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);

	asked_locked();
	return lost || pending->len > 0;
}

bool changes_take(GArray *pids)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);
	bool was_lost;

	asked_locked();
	was_lost = lost;
	g_array_append_vals(pids, pending->data, pending->len);
	sort_unique(pids);
	g_array_set_size(pending, 0);
	lost = false;
	return was_lost;
}

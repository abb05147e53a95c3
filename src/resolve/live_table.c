#include "live_table.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include "proc.h"

struct entry {
	uint64_t key;	   /* the table's key to it */
	int epfd, wake_fd; /* the table's, to leave its sets before the pidfd is closed */
	int pidfd;
	void (*clear)(void *value); /* the table's */
	uint64_t used;		    /* the table's clock at its last use */
	char value[];
};

struct live_table {
	GMutex lock;
	GHashTable *entries; /* &entry.key -> struct entry */
	/*
	 * Two epoll sets, each of every entry's pidfd. epfd tells a hit whether a task exited,
	 * and is read only under the lock. wake_fd is for a thread that sleeps until one does:
	 * it goes in that thread's own set, and the kernel scans a set so nested whenever it
	 * polls the outer one. A scan empties the ready list for a moment, and an epoll_wait()
	 * that looks then, without the set's lock, may find nothing ready.
	 */
	int epfd, wake_fd;
	unsigned capacity;
	size_t value_size;
	unsigned pidfd_flags;
	struct live_table_value_ops ops;
	uint64_t clock, hits, misses;
};

/* Every table, for live_tables_sweep(). */
static GMutex tables_lock;
static GSList *tables;

static void entry_free(gpointer p)
{
	struct entry *e = p;

	/*
	 * A helper started a moment ago may still hold a copy of the pidfd: without this,
	 * the closed entry would stay in the set, and report events matching no entry.
	 */
	epoll_ctl(e->epfd, EPOLL_CTL_DEL, e->pidfd, NULL);
	epoll_ctl(e->wake_fd, EPOLL_CTL_DEL, e->pidfd, NULL);
	close(e->pidfd);
	if (e->clear)
		e->clear(e->value);
	g_free(e);
}

struct live_table *live_table_new(unsigned capacity, size_t value_size, unsigned pidfd_flags)
{
	struct live_table *t = g_new0(struct live_table, 1);

	g_mutex_init(&t->lock);
	t->entries = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, entry_free);
	t->epfd = capacity ? epoll_create1(EPOLL_CLOEXEC) : -1;
	t->wake_fd = capacity ? epoll_create1(EPOLL_CLOEXEC) : -1;
	if (capacity && (t->epfd < 0 || t->wake_fd < 0)) {
		g_warning("epoll_create1: %s: caching nothing", g_strerror(errno));
		capacity = 0;
	}
	t->capacity = capacity;
	t->value_size = value_size;
	t->pidfd_flags = pidfd_flags;
	g_mutex_lock(&tables_lock);
	tables = g_slist_prepend(tables, t);
	g_mutex_unlock(&tables_lock);
	return t;
}

void live_table_set_value_ops(struct live_table *t, const struct live_table_value_ops *ops)
{
	t->ops = *ops;
}

void live_table_free(struct live_table *t)
{
	if (!t)
		return;
	g_mutex_lock(&tables_lock);
	tables = g_slist_remove(tables, t);
	g_mutex_unlock(&tables_lock);
	g_hash_table_unref(t->entries);
	if (t->epfd >= 0)
		close(t->epfd);
	if (t->wake_fd >= 0)
		close(t->wake_fd);
	g_mutex_clear(&t->lock);
	g_free(t);
}

bool live_table_enabled(const struct live_table *t)
{
	return t && t->capacity > 0;
}

int live_table_pidfd(const struct live_table *t, pid_t pid)
{
	int fd;

	if (!live_table_enabled(t))
		return -1;
	fd = pidfd_open(pid, t->pidfd_flags);
	/* ESRCH: gone. Anything else (EMFILE, a thread ID, an old kernel): answer uncached. */
	if (fd < 0 && errno != ESRCH)
		g_debug("pid %d: no pidfd (%s), not cached", pid, g_strerror(errno));
	return fd;
}

/*
 * Locked: drop entries of tasks that exited, so that a dead task's pidfd is not held until its
 * entry is next looked up or evicted. One batch per call: calls come with every store, and
 * with every hit while some task exited.
 */
static unsigned sweep(struct live_table *t)
{
	struct epoll_event ev[64];
	int n = epoll_wait(t->epfd, ev, G_N_ELEMENTS(ev), 0);
	unsigned dropped = 0;

	for (int i = 0; i < n; i++) {
		uint64_t key = ev[i].data.u64;
		struct entry *e = g_hash_table_lookup(t->entries, &key);

		/* An event may be about an entry replaced since: check this one. */
		if (e && proc_pidfd_exited(e->pidfd, 0))
			dropped += g_hash_table_remove(t->entries, &key);
	}
	return dropped;
}

/*
 * Locked: whether every entry's task still holds its PID, in one call however many there are.
 * The kernel wakes a pidfd's waiters as its task exits and again as it is reaped, before its
 * PID is freed (release_task()), and epoll queues the pidfd as ready within that wake-up: a
 * set with nothing ready holds no pidfd of a task whose PID a request could name by now. That
 * holds while nothing scans the set meanwhile, hence the lock and the separate wake_fd. An
 * empty epoll_wait() costs a third of a poll() here, and every hit needs one.
 */
static bool all_live(struct live_table *t)
{
	struct epoll_event ev;

	return epoll_wait(t->epfd, &ev, 1, 0) == 0;
}

/* Locked: key's entry if its task lives. */
static struct entry *live_entry(struct live_table *t, uint64_t key)
{
	struct entry *e = g_hash_table_lookup(t->entries, &key);

	if (!e || all_live(t))
		return e;
	/* Some task exited: drop what one sweep can, then ask about this one. */
	sweep(t);
	e = g_hash_table_lookup(t->entries, &key);
	if (e && proc_pidfd_exited(e->pidfd, 0)) {
		g_hash_table_remove(t->entries, &key);
		e = NULL;
	}
	return e;
}

bool live_table_get(struct live_table *t, uint64_t key, void *out)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = NULL;
	struct entry *e;

	if (!live_table_enabled(t))
		return false;
	locker = g_mutex_locker_new(&t->lock);
	e = live_entry(t, key);
	if (!e) {
		t->misses++;
		return false;
	}
	t->hits++;
	e->used = ++t->clock;
	if (t->ops.copy)
		t->ops.copy(out, e->value);
	else
		memcpy(out, e->value, t->value_size);
	return true;
}

static gboolean steal_older(gpointer key, gpointer value, gpointer user_data)
{
	void **args = user_data;

	if (((struct entry *)value)->used >= *(const uint64_t *)args[0])
		return FALSE;
	g_ptr_array_add(args[1], value);
	return TRUE;
}

/*
 * Locked, after a sweep: room for one more, taking out what was not used lately (all, if
 * everything was). They are freed after the lock is let go: closing thousands of pidfds must
 * not hold up the reading thread.
 */
static void make_room(struct live_table *t, GPtrArray *evicted)
{
	uint64_t half_ago = t->clock - MIN(t->clock, t->capacity / 2), all = G_MAXUINT64;
	void *args[2] = {&half_ago, evicted};

	if (g_hash_table_size(t->entries) < t->capacity)
		return;
	g_hash_table_foreach_steal(t->entries, steal_older, args);
	args[0] = &all;
	if (g_hash_table_size(t->entries) >= t->capacity)
		g_hash_table_foreach_steal(t->entries, steal_older, args);
}

/* A value put but not stored: what it holds goes, as the put took it. */
static void drop_value(const struct live_table *t, const void *value)
{
	if (t && t->ops.clear)
		t->ops.clear((void *)value);
}

void live_table_put(struct live_table *t, uint64_t key, int pidfd, const void *value, bool replace)
{
	g_autoptr(GPtrArray) evicted = g_ptr_array_new_with_free_func(entry_free);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = key};
	struct entry *e, *old;

	if (pidfd < 0) {
		drop_value(t, value);
		return;
	}
	/*
	 * A task that exited while its facts were read is not checked for here: its pidfd is
	 * ready in the set by then, so every hit asks about its entry, never served, and the
	 * sweep drops it.
	 */
	if (!live_table_enabled(t) || epoll_ctl(t->epfd, EPOLL_CTL_ADD, pidfd, &ev) < 0) {
		close(pidfd);
		drop_value(t, value);
		return;
	}
	if (epoll_ctl(t->wake_fd, EPOLL_CTL_ADD, pidfd, &ev) < 0) {
		epoll_ctl(t->epfd, EPOLL_CTL_DEL, pidfd, NULL);
		close(pidfd);
		drop_value(t, value);
		return;
	}
	e = g_malloc(sizeof(*e) + t->value_size);
	e->key = key;
	e->epfd = t->epfd;
	e->wake_fd = t->wake_fd;
	e->pidfd = pidfd;
	e->clear = t->ops.clear;
	memcpy(e->value, value, t->value_size);
	g_mutex_lock(&t->lock);
	old = g_hash_table_lookup(t->entries, &key);
	/* What a racing thread stored about the same live task may be the fuller fact. */
	if (old && !replace && !proc_pidfd_exited(old->pidfd, 0)) {
		g_mutex_unlock(&t->lock);
		entry_free(e);
		return;
	}
	sweep(t);
	make_room(t, evicted);
	e->used = ++t->clock;
	g_hash_table_replace(t->entries, &e->key, e);
	g_mutex_unlock(&t->lock);
}

unsigned live_tables_sweep(void)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) all = g_mutex_locker_new(&tables_lock);
	unsigned dropped = 0;

	for (GSList *l = tables; l; l = l->next) {
		struct live_table *t = l->data;
		G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = NULL;

		if (!live_table_enabled(t))
			continue;
		locker = g_mutex_locker_new(&t->lock);
		dropped += sweep(t);
	}
	return dropped;
}

unsigned live_tables_exit_fds(int *fds, unsigned max)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) all = g_mutex_locker_new(&tables_lock);
	unsigned n = 0;

	for (GSList *l = tables; l && n < max; l = l->next)
		if (live_table_enabled(l->data))
			fds[n++] = ((struct live_table *)l->data)->wake_fd;
	return n;
}

void live_table_counts(struct live_table *t, struct live_table_counts *out)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = NULL;

	*out = (struct live_table_counts){0};
	if (!t)
		return;
	locker = g_mutex_locker_new(&t->lock);

	if (t->epfd >= 0)
		sweep(t);
	out->hits = t->hits;
	out->misses = t->misses;
	out->entries = g_hash_table_size(t->entries);
	out->descriptors = out->entries;
	if (t->ops.descriptors) {
		GHashTableIter it;
		gpointer value;

		g_hash_table_iter_init(&it, t->entries);
		while (g_hash_table_iter_next(&it, NULL, &value))
			out->descriptors += t->ops.descriptors(((struct entry *)value)->value);
	}
}

void live_table_clear(struct live_table *t)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = NULL;

	if (!t)
		return;
	locker = g_mutex_locker_new(&t->lock);
	g_hash_table_remove_all(t->entries);
}

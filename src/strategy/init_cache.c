/*
 * Finding a namespace's init from /proc alone. An init is the member whose PID in its own
 * namespace is 1. The cheap path walks up the member's parents, which almost always passes
 * through the init; failing that, one scan of /proc records every init at once. Entries are
 * keyed by namespace inode and hold the init's start time: a process never changes PID
 * namespace, so an init with the same PID and start time is still that namespace's init.
 */
#include "init_cache.h"

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <sys/stat.h>

#include "proc.h"
#include "util.h"

#define PARENT_WALK_MAX 128
#define CACHE_MAX	8192

struct init_entry {
	pid_t pid;
	uint64_t start;
};

static GMutex cache_lock;
static GHashTable *cache; /* uint64_t ns inode -> struct init_entry */

static void cache_put(uint64_t ns_ino, pid_t pid, uint64_t start)
{
	struct init_entry *e = g_new(struct init_entry, 1);
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&cache_lock);

	if (!cache)
		cache = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	/* Entries of dead namespaces are never looked up again: bound them crudely. */
	if (g_hash_table_size(cache) >= CACHE_MAX)
		g_hash_table_remove_all(cache);
	e->pid = pid;
	e->start = start;
	g_hash_table_replace(cache, g_memdup2(&ns_ino, sizeof(ns_ino)), e);
}

static bool cache_get(uint64_t ns_ino, struct init_entry *out)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&cache_lock);
	struct init_entry *e = cache ? g_hash_table_lookup(cache, &ns_ino) : NULL;

	if (e)
		*out = *e;
	return e != NULL;
}

static void cache_drop(uint64_t ns_ino)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&cache_lock);

	if (cache)
		g_hash_table_remove(cache, &ns_ino);
}

static bool entry_alive(const struct init_entry *e)
{
	struct proc_stat st;

	return proc_read_stat(e->pid, &st) == 0 && st.start == e->start && !proc_is_zombie(&st);
}

/*
 * Record q if it is an init (of any namespace below the daemon's); true if it is ns_ino's.
 * All reads go through one /proc/q descriptor, so they describe one process even if q exits
 * and its PID is reused meanwhile. *ppid is q's parent, for the walk up.
 */
static bool consider(pid_t q, uint64_t ns_ino, pid_t *ppid)
{
	autofd dir = proc_open_dir(q);
	struct proc_status status;
	struct proc_stat st;
	uint64_t ino = 0;

	*ppid = 0;
	if (dir < 0 || proc_read_status_at(dir, q, &status) < 0)
		return false;
	*ppid = status.ppid;
	if (status.nspid_count < 2 || status.nspid[status.nspid_count - 1] != 1)
		return false;
	if (proc_ns_ino_at(dir, q, &ino) < 0 || proc_read_stat_at(dir, q, &st) < 0 ||
	    proc_is_zombie(&st))
		return false;
	cache_put(ino, q, st.start);
	return ino == ns_ino;
}

static int walk_parents(uint64_t ns_ino, pid_t member, pid_t *init)
{
	pid_t q = member;

	for (unsigned i = 0; i < PARENT_WALK_MAX && q > 0; i++) {
		pid_t parent;

		if (consider(q, ns_ino, &parent)) {
			*init = q;
			return 0;
		}
		q = parent;
	}
	return -ESRCH;
}

static void scan_proc(uint64_t ns_ino)
{
	g_autoptr(GArray) pids = g_array_new(FALSE, FALSE, sizeof(pid_t));

	g_debug("init of namespace %" G_GUINT64_FORMAT " not on the parent chain: scanning /proc",
		ns_ino);
	if (proc_list_pids(pids) < 0)
		return;
	for (guint i = 0; i < pids->len; i++) {
		pid_t parent;

		consider(g_array_index(pids, pid_t, i), ns_ino, &parent);
	}
}

void init_cache_note(uint64_t ns_ino, pid_t init, uint64_t start)
{
	cache_put(ns_ino, init, start);
}

bool init_cache_last(uint64_t ns_ino, pid_t *init)
{
	struct init_entry e;

	if (!cache_get(ns_ino, &e))
		return false;
	*init = e.pid;
	return true;
}

bool init_cache_peek(uint64_t ns_ino, pid_t *init, uint64_t *start)
{
	struct init_entry e;

	if (!cache_get(ns_ino, &e))
		return false;
	if (!entry_alive(&e)) {
		cache_drop(ns_ino);
		return false;
	}
	*init = e.pid;
	*start = e.start;
	return true;
}

int init_cache_find(uint64_t ns_ino, pid_t member, pid_t *init)
{
	struct init_entry e;

	if (cache_get(ns_ino, &e)) {
		if (entry_alive(&e)) {
			*init = e.pid;
			return 0;
		}
		cache_drop(ns_ino);
	}
	if (walk_parents(ns_ino, member, init) == 0)
		return 0;
	scan_proc(ns_ino);
	if (cache_get(ns_ino, &e) && entry_alive(&e)) {
		*init = e.pid;
		return 0;
	}
	return -ESRCH;
}

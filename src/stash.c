#include "stash.h"

#define STASH_VALID_US G_USEC_PER_SEC

struct key {
	fuse_ino_t ino;
	pid_t tid;
};

struct entry {
	struct key key;
	GString *sized; /* built by a GETATTR, not yet opened */
	gint64 sized_at;
	uint64_t fh; /* open as this handle (0: not open) */
	size_t open_len;
};

static GMutex lock;
static GHashTable *entries; /* struct key -> struct entry */

static guint key_hash(gconstpointer p)
{
	const struct key *k = p;

	return g_int64_hash(&k->ino) ^ (guint)k->tid;
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
	const struct key *x = a, *y = b;

	return x->ino == y->ino && x->tid == y->tid;
}

static void entry_free(gpointer p)
{
	struct entry *e = p;

	if (e->sized)
		g_string_free(e->sized, TRUE);
	g_free(e);
}

static bool fresh(const struct entry *e, gint64 now)
{
	return e->sized && now - e->sized_at < STASH_VALID_US;
}

static gboolean stale(gpointer key, gpointer value, gpointer now)
{
	const struct entry *e = value;

	return !e->fh && !fresh(e, *(const gint64 *)now);
}

/* Locked: the entry for (ino, tid), made if need be; stale ones go first. */
static struct entry *entry_for(fuse_ino_t ino, pid_t tid)
{
	struct key k = {.ino = ino, .tid = tid};
	gint64 now = g_get_monotonic_time();
	struct entry *e;

	if (!entries)
		entries = g_hash_table_new_full(key_hash, key_equal, NULL, entry_free);
	g_hash_table_foreach_remove(entries, stale, &now);
	e = g_hash_table_lookup(entries, &k);
	if (!e) {
		e = g_new0(struct entry, 1);
		e->key = k;
		g_hash_table_insert(entries, &e->key, e);
	}
	return e;
}

GString *stash_take(fuse_ino_t ino, pid_t tid)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);
	struct key k = {.ino = ino, .tid = tid};
	struct entry *e = entries ? g_hash_table_lookup(entries, &k) : NULL;

	if (!e || !fresh(e, g_get_monotonic_time()))
		return NULL;
	return g_steal_pointer(&e->sized);
}

void stash_sized(fuse_ino_t ino, pid_t tid, GString *content)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);
	struct entry *e = entry_for(ino, tid);

	if (e->sized)
		g_string_free(e->sized, TRUE);
	e->sized = content;
	e->sized_at = g_get_monotonic_time();
}

void stash_opened(fuse_ino_t ino, pid_t tid, uint64_t fh, size_t len)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);
	struct entry *e = entry_for(ino, tid);

	e->fh = fh;
	e->open_len = len;
}

bool stash_size(fuse_ino_t ino, pid_t tid, size_t *len)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);
	struct key k = {.ino = ino, .tid = tid};
	struct entry *e = entries ? g_hash_table_lookup(entries, &k) : NULL;

	if (e && e->fh) {
		*len = e->open_len;
		return true;
	}
	if (e && fresh(e, g_get_monotonic_time())) {
		*len = e->sized->len;
		return true;
	}
	return false;
}

static gboolean has_handle(gpointer key, gpointer value, gpointer fh)
{
	struct entry *e = value;

	if (e->fh != *(const uint64_t *)fh)
		return FALSE;
	e->fh = 0;
	return !e->sized;
}

void stash_released(uint64_t fh)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);

	if (entries && fh)
		g_hash_table_foreach_remove(entries, has_handle, &fh);
}

void stash_clear(void)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);

	g_clear_pointer(&entries, g_hash_table_unref);
}

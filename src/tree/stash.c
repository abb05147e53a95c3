#include "stash.h"

#define STASH_VALID_US G_USEC_PER_SEC

struct key {
	fuse_ino_t ino;
	pid_t tid;
};

struct entry {
	struct key key;
	enum viewer_scope scope; /* the view the content was built for */
	uint64_t ns_ino;
	GString *sized; /* built by a GETATTR, not yet opened */
	gint64 sized_at;
	struct timespec sized_when; /* the same in real time, for its mtime */
	uint64_t fh;		    /* open as this handle (0: not open) */
	size_t open_len;
	struct timespec open_when; /* when what it reads was built */
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

static bool same_view(const struct entry *e, const struct viewer *v)
{
	return e->scope == v->scope && e->ns_ino == v->ns_ino;
}

/* Locked: the reader's entry, or NULL; one made for another view (a reused TID) goes. */
static struct entry *find(fuse_ino_t ino, const struct viewer *v)
{
	struct key k = {.ino = ino, .tid = v->pid};
	struct entry *e = entries && v->pid > 0 ? g_hash_table_lookup(entries, &k) : NULL;

	if (e && !same_view(e, v)) {
		g_hash_table_remove(entries, &k);
		e = NULL;
	}
	return e;
}

/* Entries of readers gone quiet: what a burst of new readers left at most. */
#define STASH_MAX_ENTRIES 1024

/* Locked: the reader's entry, made if need be; stale ones go first. */
static struct entry *entry_for(fuse_ino_t ino, const struct viewer *v)
{
	gint64 now = g_get_monotonic_time();
	struct entry *e;

	if (!entries)
		entries = g_hash_table_new_full(key_hash, key_equal, NULL, entry_free);
	g_hash_table_foreach_remove(entries, stale, &now);
	if (g_hash_table_size(entries) >= STASH_MAX_ENTRIES) {
		gint64 never = G_MAXINT64;

		/* Every unopened one, as if stale: the next GETATTR builds again. */
		g_hash_table_foreach_remove(entries, stale, &never);
	}
	e = find(ino, v);
	if (!e) {
		e = g_new0(struct entry, 1);
		e->key = (struct key){.ino = ino, .tid = v->pid};
		e->scope = v->scope;
		e->ns_ino = v->ns_ino;
		g_hash_table_insert(entries, &e->key, e);
	}
	return e;
}

GString *stash_take(fuse_ino_t ino, const struct viewer *v, struct timespec *built)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);
	struct entry *e = find(ino, v);

	if (!e || !fresh(e, g_get_monotonic_time()))
		return NULL;
	*built = e->sized_when;
	return g_steal_pointer(&e->sized);
}

void stash_sized(fuse_ino_t ino, const struct viewer *v, GString *content, struct timespec built)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);
	struct entry *e;

	/* Readers the daemon cannot name all come as TID 0: nothing is theirs alone. */
	if (v->pid <= 0) {
		g_string_free(content, TRUE);
		return;
	}
	e = entry_for(ino, v);

	if (e->sized)
		g_string_free(e->sized, TRUE);
	e->sized = content;
	e->sized_at = g_get_monotonic_time();
	e->sized_when = built;
}

void stash_opened(fuse_ino_t ino, const struct viewer *v, uint64_t fh, size_t len,
		  struct timespec built)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);
	struct entry *e;

	if (v->pid <= 0)
		return;
	e = entry_for(ino, v);

	e->fh = fh;
	e->open_len = len;
	e->open_when = built;
}

bool stash_size(fuse_ino_t ino, const struct viewer *v, size_t *len, struct timespec *built)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);
	struct entry *e = find(ino, v);

	if (e && e->fh) {
		*len = e->open_len;
		*built = e->open_when;
		return true;
	}
	if (e && fresh(e, g_get_monotonic_time())) {
		*len = e->sized->len;
		*built = e->sized_when;
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

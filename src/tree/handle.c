#include "handle.h"

#include <stdbool.h>
#include <string.h>

#include "quota.h"

/* A file as one view sees it: its copies are compared with each other, with no other. */
struct key {
	uint64_t view;
	uint64_t ino;
};

/*
 * One copy of content, in an atomic rc box with the bytes after it: a reference for each
 * handle holding it and each READ reading it, which reads without the lock.
 */
struct shared {
	struct content c; /* first: handle_put is given its address */
	struct key key;
	guint opens; /* handles holding it, under the lock */
};

static GMutex lock;
static GHashTable *handles; /* uint64_t id -> struct shared (a reference each) */
/*
 * For each file and view, the copy its last differing build made, while a handle holds it:
 * the one the next open's content is compared with. Only that one: a build that differs from
 * it came from a file that changed, and is unlikely to match an older copy either.
 */
static GHashTable *latest; /* &shared.key -> struct shared (no reference) */
static uint64_t next_id = 1;
static uint64_t held_bytes; /* each copy's len, once */

static guint key_hash(gconstpointer p)
{
	const struct key *k = p;

	return g_int64_hash(&k->ino) ^ g_int64_hash(&k->view);
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
	const struct key *x = a, *y = b;

	return x->ino == y->ino && x->view == y->view;
}

static void shared_unref(gpointer s)
{
	g_atomic_rc_box_release(s);
}

static struct shared *copy_of(const GString *text, const struct key *k)
{
	struct shared *s = g_atomic_rc_box_alloc(sizeof(*s) + text->len);
	char *data = (char *)(s + 1);

	memcpy(data, text->str, text->len);
	s->c = (struct content){.data = data, .len = text->len};
	s->key = *k;
	s->opens = 0;
	return s;
}

/* A reference to the copy the next open of k is compared with, or NULL. */
static struct shared *latest_ref(const struct key *k)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);
	struct shared *s = latest ? g_hash_table_lookup(latest, k) : NULL;

	/* A copy in the table has a handle, and so a reference, until the lock is let go. */
	return s ? g_atomic_rc_box_acquire(s) : NULL;
}

static bool same_text(const struct shared *s, const GString *text)
{
	return s->c.len == text->len && memcmp(s->c.data, text->str, text->len) == 0;
}

/*
 * A new handle holding s (taking the reference): made is whether s is a new copy, which then
 * is what the next opens are compared with. An older one may have lost all its handles while
 * it was compared: it holds the same bytes still, and counts again.
 */
static uint64_t insert(struct shared *s, bool made)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);
	uint64_t id = next_id++;

	if (!handles) {
		handles = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, shared_unref);
		latest = g_hash_table_new(key_hash, key_equal);
	}
	g_hash_table_insert(handles, g_memdup2(&id, sizeof(id)), s);
	if (s->opens++ == 0)
		held_bytes += s->c.len;
	/* Replace, not insert: the key is the new value's, the old one's may go with it. */
	if (made || !g_hash_table_contains(latest, &s->key))
		g_hash_table_replace(latest, &s->key, s);
	return id;
}

int handle_new(const GString *text, uint64_t view, uint64_t ino, uint64_t *id)
{
	struct key k = {.view = view, .ino = ino};
	struct shared *s;
	int r = quota_take(view);

	if (r < 0)
		return r;
	/* Compared and copied without the lock, which every READ takes. */
	s = latest_ref(&k);
	if (s && same_text(s, text)) {
		*id = insert(s, false);
		return 0;
	}
	if (s)
		shared_unref(s);
	*id = insert(copy_of(text, &k), true);
	return 0;
}

const struct content *handle_get(uint64_t id)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);
	struct shared *s = handles ? g_hash_table_lookup(handles, &id) : NULL;

	return s ? &((struct shared *)g_atomic_rc_box_acquire(s))->c : NULL;
}

void handle_put(const struct content *c)
{
	shared_unref((struct shared *)c);
}

/* Locked: a handle of s went. */
static void drop_open(struct shared *s)
{
	if (--s->opens > 0)
		return;
	held_bytes -= s->c.len;
	if (g_hash_table_lookup(latest, &s->key) == s)
		g_hash_table_remove(latest, &s->key);
}

void handle_release(uint64_t id)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);
	struct shared *s = handles ? g_hash_table_lookup(handles, &id) : NULL;

	if (!s)
		return;
	quota_give(s->key.view);
	drop_open(s);
	g_hash_table_remove(handles, &id);
}

void handle_release_all(void)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);

	g_clear_pointer(&latest, g_hash_table_unref);
	g_clear_pointer(&handles, g_hash_table_unref);
	held_bytes = 0;
	quota_clear();
}

void handle_counts(uint64_t *files, uint64_t *bytes)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);

	*files = handles ? g_hash_table_size(handles) : 0;
	*bytes = held_bytes;
}

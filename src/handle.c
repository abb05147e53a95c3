#include "handle.h"

#include <string.h>

#include "quota.h"

static GMutex lock;
static GHashTable *handles; /* uint64_t id -> struct handle (an atomic rc box) */
static uint64_t next_id = 1;
static uint64_t held_bytes; /* the sum of every handle's len */

static void box_unref(gpointer h)
{
	g_atomic_rc_box_release(h);
}

static uint64_t insert(struct handle *h)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);
	uint64_t id = next_id++;

	if (!handles)
		handles = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, box_unref);
	g_hash_table_insert(handles, g_memdup2(&id, sizeof(id)), h);
	held_bytes += h->len;
	return id;
}

int handle_new(const GString *content, uint64_t view, uint64_t *id)
{
	struct handle *h;
	int r = quota_take(view);

	if (r < 0)
		return r;
	h = g_atomic_rc_box_alloc(sizeof(*h) + content->len);
	h->view = view;
	h->len = content->len;
	memcpy(h->data, content->str, content->len);
	*id = insert(h);
	return 0;
}

struct handle *handle_get(uint64_t id)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);
	struct handle *h = handles ? g_hash_table_lookup(handles, &id) : NULL;

	return h ? g_atomic_rc_box_acquire(h) : NULL;
}

void handle_put(struct handle *h)
{
	g_atomic_rc_box_release(h);
}

void handle_release(uint64_t id)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);
	struct handle *h = handles ? g_hash_table_lookup(handles, &id) : NULL;

	if (!h)
		return;
	quota_give(h->view);
	held_bytes -= h->len;
	g_hash_table_remove(handles, &id);
}

void handle_release_all(void)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);

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

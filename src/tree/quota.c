#include "quota.h"

#include <errno.h>
#include <glib.h>

#include "node.h"

static GMutex lock;
static GHashTable *held; /* uint64_t view -> guint opens (never 0: such views are removed) */

int quota_take(uint64_t view)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);
	guint n;

	if (view == VIEW_ALL)
		return 0;
	if (!held)
		held = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	n = GPOINTER_TO_UINT(g_hash_table_lookup(held, &view));
	if (n >= QUOTA_MAX_OPEN) {
		g_debug("view %" G_GUINT64_FORMAT ": %u files open, the most allowed: EMFILE", view,
			n);
		return -EMFILE;
	}
	if (n == QUOTA_MAX_OPEN - 1)
		g_warning("PID namespace %" G_GUINT64_FORMAT " holds %u files of the tree open: "
			  "its further opens fail with EMFILE until it closes some",
			  view, QUOTA_MAX_OPEN);
	g_hash_table_insert(held, g_memdup2(&view, sizeof(view)), GUINT_TO_POINTER(n + 1));
	return 0;
}

void quota_give(uint64_t view)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);
	guint n;

	if (view == VIEW_ALL || !held)
		return;
	n = GPOINTER_TO_UINT(g_hash_table_lookup(held, &view));
	if (n > 1)
		g_hash_table_insert(held, g_memdup2(&view, sizeof(view)), GUINT_TO_POINTER(n - 1));
	else
		g_hash_table_remove(held, &view);
}

unsigned quota_held(uint64_t view)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);

	return held ? GPOINTER_TO_UINT(g_hash_table_lookup(held, &view)) : 0;
}

void quota_clear(void)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);

	g_clear_pointer(&held, g_hash_table_unref);
}

#include "pagecache.h"

/*
 * Per node: (open files << 1) | whether its name was looked up since its last open, as a
 * pointer. A node with neither is not in the table, so a value is never NULL.
 */
static GHashTable *nodes; /* GSIZE_TO_POINTER(ino) -> GSIZE_TO_POINTER(value) */
static struct fuse_session *session;

/* Marks of names looked up but never opened (a stat) go, past this many nodes. */
#define MAX_NODES 4096
/*
 * An open that fails on a worker, or whose answer finds its reader gone, has no RELEASE: its
 * count stays. Past this many counted nodes, counting (and storing) stops for good, which
 * costs first reads their READ and nothing else.
 */
#define MAX_COUNTED 65536
static bool gave_up;

#define FRESH 1

void pagecache_configure(struct fuse_session *se)
{
	session = se;
}

static gsize get(fuse_ino_t ino)
{
	if (!nodes)
		nodes = g_hash_table_new(g_direct_hash, g_direct_equal);
	return GPOINTER_TO_SIZE(g_hash_table_lookup(nodes, GSIZE_TO_POINTER(ino)));
}

static void set(fuse_ino_t ino, gsize value)
{
	if (value)
		g_hash_table_insert(nodes, GSIZE_TO_POINTER(ino), GSIZE_TO_POINTER(value));
	else
		g_hash_table_remove(nodes, GSIZE_TO_POINTER(ino));
}

static gboolean only_fresh(gpointer key, gpointer value, gpointer user_data)
{
	return GPOINTER_TO_SIZE(value) == FRESH;
}

void pagecache_looked_up(fuse_ino_t ino)
{
	gsize v;

	if (gave_up)
		return;
	v = get(ino);

	/* Open files are always counted; only the marks make room. */
	if (!v && g_hash_table_size(nodes) >= MAX_NODES)
		g_hash_table_foreach_remove(nodes, only_fresh, NULL);
	set(ino, v | FRESH);
}

bool pagecache_opening(fuse_ino_t ino)
{
	gsize v;

	if (gave_up)
		return false;
	v = get(ino);
	if (!v && g_hash_table_size(nodes) >= MAX_COUNTED) {
		g_message("%u files counted as open: no more stores at first open",
			  g_hash_table_size(nodes));
		gave_up = true;
		g_clear_pointer(&nodes, g_hash_table_unref);
		return false;
	}
	set(ino, (v & ~(gsize)FRESH) + 2);
	return session && v == FRESH;
}

void pagecache_released(fuse_ino_t ino)
{
	gsize v;

	if (gave_up)
		return;
	v = get(ino);

	/* An open this table never saw (before a clear) is not taken from another's count. */
	if (v >= 2)
		set(ino, v - 2);
}

void pagecache_store(fuse_ino_t ino, const GString *text)
{
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(text->len);
	int r;

	bv.buf[0].mem = text->str;
	r = fuse_lowlevel_notify_store(session, ino, 0, &bv, 0);
	if (r < 0)
		g_debug("inode %#llx: content not stored (%s): READ serves it",
			(unsigned long long)ino, g_strerror(-r));
}

void pagecache_clear(void)
{
	g_clear_pointer(&nodes, g_hash_table_unref);
	session = NULL;
}

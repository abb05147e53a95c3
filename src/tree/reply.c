#include "reply.h"

#include <glib.h>
#include <string.h>
#include <time.h>

#include "handle.h"
#include "node_class.h"
#include "visibility.h"

static time_t mount_time;
static bool fixed_pages, pids_cached;

/*
 * Sizes are exact: read() ignores them with direct I/O, but sendfile() and splice() (busybox
 * cat uses them) read up to i_size, tar(1) and du(1) believe them, and tail(1) seeks from
 * them. A fixed file's is its text's length from the model (fixed_file_size); any other's is
 * computed at each GETATTR, whose content the OPEN that follows then serves (stash.h).
 */

void reply_init(bool processes_cached, bool ids_unique)
{
	mount_time = time(NULL);
	pids_cached = processes_cached;
	/* A PID reused within a clock tick would find the old pages: only with pidfs identities. */
	fixed_pages = processes_cached && ids_unique;
}

/* A fixed file not kept in the page cache is read with direct I/O, and sized like the rest. */
bool node_attrs_change(const struct node *n)
{
	const struct node_class *c = node_class_of(n);

	return c && (c->cache == NC_CHANGING || (c->cache == NC_FIXED && !fixed_pages));
}

double node_attr_ttl(const struct node *n)
{
	return node_attrs_change(n) ? TTL_NONE : TTL_FOREVER;
}

bool node_content_is_fixed(const struct node *n)
{
	const struct node_class *c = node_class_of(n);

	return fixed_pages && c && c->cache == NC_FIXED;
}

void node_fill_attr(const struct node *n, fuse_ino_t ino, struct stat *st)
{
	mode_t type = node_type(n);

	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_blksize = 4096;
	st->st_atime = st->st_mtime = st->st_ctime = mount_time;
	st->st_mode = type | (type == S_IFDIR ? 0555 : type == S_IFLNK ? 0777 : 0444);
	st->st_nlink = type == S_IFDIR ? 2 : 1;
}

double pid_dir_ttl(void)
{
	return visibility_all() && pids_cached ? PID_DIR_TTL : TTL_NONE;
}

/* size < 0: the node's own (node_fill_attr). */
static void reply_entry(fuse_req_t req, const struct node *n, double entry_ttl, double attr_ttl,
			off_t size)
{
	struct fuse_entry_param e = {
	    .ino = node_ino(n),
	    .attr_timeout = attr_ttl,
	    .entry_timeout = entry_ttl,
	};

	node_fill_attr(n, e.ino, &e.attr);
	if (size >= 0)
		e.attr.st_size = size;
	fuse_reply_entry(req, &e);
}

void reply_node(fuse_req_t req, const struct node *n, double entry_ttl)
{
	reply_entry(req, n, entry_ttl, node_attr_ttl(n), -1);
}

off_t fixed_file_size(const struct node *n, const struct proc_model *m)
{
	g_autoptr(GString) text = pid_file_text(n, m);

	return (off_t)text->len;
}

void reply_file(fuse_req_t req, const struct node *n, off_t size)
{
	if (size < 0)
		reply_entry(req, n, TTL_FOREVER, TTL_NONE, 0);
	else
		reply_entry(req, n, TTL_FOREVER, node_attr_ttl(n), size);
}

bool reply_open_handle(fuse_req_t req, struct fuse_file_info *fi, bool fixed)
{
	if (fixed) {
		fi->keep_cache = 1;
		fi->noflush = 1;
	} else {
		fi->direct_io = 1;
	}
	if (fuse_reply_open(req, fi) == 0)
		return true;
	handle_release(fi->fh);
	return false;
}

void reply_node_or_err(fuse_req_t req, int r, const struct node *n, double entry_ttl)
{
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		reply_node(req, n, entry_ttl);
}

void reply_slice(fuse_req_t req, const char *data, size_t len, size_t size, off_t off)
{
	if (off < 0 || (size_t)off >= len)
		fuse_reply_buf(req, NULL, 0);
	else
		fuse_reply_buf(req, data + off, MIN(size, len - (size_t)off));
}

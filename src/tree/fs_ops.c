/*
 * FUSE request handlers: decode the inode, resolve, compute, format, reply exactly once. Each
 * handler dispatches on the kind of node to the file of the directory it is in (dir_*.c), so
 * that what one directory means is read in one place.
 *
 * Caching: the name "<pid>" in the root means a different process after PID reuse, so its
 * dentry is never cached (entry timeout 0) and every path walk revalidates it with a LOOKUP
 * that checks the current holder of the PID (and who asks). Everything below a pid directory
 * carries that identity in its inode number, so it may be cached for long, content included:
 * a process's init, nspid, ancestors, ns and level never change while it lives, are the same
 * for every reader allowed to open them, and a reused PID gets new inodes. Those files live in
 * the page cache (filled by READ, kept across opens); OPEN, which always reaches the daemon,
 * still decides who may read and whether the process is alive. Everything else changes or
 * depends on the reader: it is computed at open and served with direct I/O.
 */
#include "fs_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include "handle.h"
#include "node.h"
#include "node_class.h"
#include "nscache.h"
#include "pidcache.h"
#include "reply.h"
#include "resolve.h"
#include "stash.h"
#include "tree_internal.h"
#include "visibility.h"

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	reply_init(pidcache_enabled(), resolve_ids_unique());
	/* Plain READDIR: READDIRPLUS would make every listing resolve every process. */
	conn->want &= ~(unsigned)(FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO);
}

static void op_destroy(void *userdata)
{
	dir_handles_clear();
	handle_release_all();
	pidcache_clear();
	nscache_clear();
	stash_clear();
	visibility_clear();
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	const struct node_class *c;
	struct node dir;
	int r = node_decode(parent, &dir, &c);

	if (r == 0 && c->cache != NC_DIR)
		r = -ENOTDIR;
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		c->lookup(req, &dir, name);
}

static int file_content(fuse_req_t req, const struct node *n, GString **out)
{
	const struct node_class *c = node_class_of(n);
	struct viewer v;

	if (c->cache == NC_DIR || c->cache == NC_LINK)
		return c->cache == NC_DIR ? -EISDIR : -ELOOP;
	viewer_of(fuse_req_ctx(req)->pid, &v);
	return c->content(&v, n, out);
}

/*
 * The size of what this reader is reading, or would read now (kept for its OPEN), and when
 * that was built: a changing file's mtime. A file whose content cannot be built now gives
 * the error a read would: it does not stat fine and then fail.
 */
static int changing_file_size(fuse_req_t req, fuse_ino_t ino, const struct node *n, off_t *size,
			      struct timespec *built)
{
	GString *content = NULL;
	struct viewer v;
	size_t len;
	int r;

	viewer_of(fuse_req_ctx(req)->pid, &v);
	if (stash_size(ino, &v, &len, built)) {
		*size = (off_t)len;
		return 0;
	}
	clock_gettime(CLOCK_REALTIME, built);
	r = file_content(req, n, &content);
	if (r < 0)
		return r;
	*size = (off_t)content->len;
	stash_sized(ino, &v, content, *built);
	return 0;
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	const struct node_class *c;
	struct node n;
	struct stat st;
	int r = node_decode(ino, &n, &c);

	if (r == 0)
		r = check_view(req, &n);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	node_fill_attr(&n, ino, &st);
	if (node_attrs_change(&n)) {
		r = changing_file_size(req, ino, &n, &st.st_size, &st.st_mtim);
		if (r < 0) {
			fuse_reply_err(req, -r);
			return;
		}
		st.st_ctim = st.st_mtim;
	}
	if (node_content_is_fixed(&n)) {
		off_t size;

		r = fixed_size_now(&n, &size);
		if (r < 0) {
			fuse_reply_err(req, -r);
			return;
		}
		/* Not known now: size 0, not to be kept, should it be readable later. */
		st.st_size = MAX(size, 0);
		fuse_reply_attr(req, &st, size < 0 ? TTL_NONE : node_attr_ttl(&n));
		return;
	}
	fuse_reply_attr(req, &st, node_attr_ttl(&n));
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	g_autoptr(GString) target = NULL;
	const struct node_class *c;
	struct viewer v;
	struct node n;
	int r = node_decode(ino, &n, &c);

	if (r == 0 && c->cache != NC_LINK)
		r = -EINVAL;
	viewer_of(fuse_req_ctx(req)->pid, &v);
	if (r == 0)
		r = c->content(&v, &n, &target);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_readlink(req, target->str);
}

/*
 * The PID now names another process than this inode's. If its name was cached (visibility
 * all), ESTALE makes the kernel walk the path again, asking the daemon, so the open reaches
 * the new process; through a descriptor of the old directory that walk ends in ENOENT.
 */
static int stale_if_reused(const struct node *n, int r)
{
	uint64_t now;

	/* Asked of the kernel, not the cache: this is no lookup of its own to count. */
	if (r == -ENOENT && n->kind == NODE_PID_FILE && resolve_identity(n->pid, &now) == 0 &&
	    now != n->start)
		return -ESTALE;
	return r;
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	const struct node_class *c;
	struct node n;
	g_autoptr(GString) content = NULL;
	struct timespec built;
	struct viewer v;
	int r = node_decode(ino, &n, &c);

	clock_gettime(CLOCK_REALTIME, &built);
	viewer_of(fuse_req_ctx(req)->pid, &v);
	if (r == 0 && (fi->flags & O_ACCMODE) != O_RDONLY)
		r = -EROFS;
	if (r == 0)
		r = check_view(req, &n);
	/* What this reader was told the size of, if it asked just before. */
	if (r == 0 && node_attrs_change(&n))
		content = stash_take(ino, &v, &built);
	if (r == 0 && !content)
		r = stale_if_reused(&n, file_content(req, &n, &content));
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	r = handle_new(content, viewer_view(&v), ino, &fi->fh);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	/* Before the reply: an fstat() may follow it at once. */
	if (node_attrs_change(&n))
		stash_opened(ino, &v, fi->fh, content->len, built);
	if (!reply_open_handle(req, fi, node_content_is_fixed(&n)))
		stash_released(fi->fh);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	const struct content *c = handle_get(fi->fh);

	if (!c) {
		fuse_reply_err(req, EBADF);
		return;
	}
	reply_slice(req, c->data, c->len, size, off);
	handle_put(c);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	const struct node_class *c;
	struct node n;

	if (node_decode(ino, &n, &c) == 0 && node_attrs_change(&n))
		stash_released(fi->fh);
	handle_release(fi->fh);
	fuse_reply_err(req, 0);
}

/* The tree is read-only: the kernel stops most writes at the ro mount, these stop the rest. */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	fuse_reply_err(req, EROFS);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	fuse_reply_err(req, EROFS);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	fuse_reply_err(req, EROFS);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, EROFS);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, EROFS);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	fuse_reply_err(req, EROFS);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	fuse_reply_err(req, EROFS);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	fuse_reply_err(req, EROFS);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	fuse_reply_err(req, EROFS);
}

static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
			size_t size, int flags)
{
	fuse_reply_err(req, EROFS);
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	fuse_reply_err(req, EROFS);
}

const struct fuse_lowlevel_ops nspidfs_ops = {
    .init = op_init,
    .destroy = op_destroy,
    .lookup = op_lookup,
    .getattr = op_getattr,
    .readlink = op_readlink,
    .opendir = op_opendir,
    .readdir = op_readdir,
    .releasedir = op_releasedir,
    .open = op_open,
    .read = op_read,
    .release = op_release,
    .setattr = op_setattr,
    .mknod = op_mknod,
    .mkdir = op_mkdir,
    .unlink = op_unlink,
    .rmdir = op_unlink,
    .symlink = op_symlink,
    .rename = op_rename,
    .link = op_link,
    .write = op_write,
    .create = op_create,
    .setxattr = op_setxattr,
    .removexattr = op_removexattr,
};

/*
 * FUSE request handlers: decode the inode, resolve, compute, format, reply exactly once.
 *
 * Caching: the name "<pid>" in the root means a different process after PID reuse, so its
 * dentry is never cached (entry timeout 0) and every path walk revalidates it with a LOOKUP
 * that reads the current start time. Everything below a pid directory carries that identity
 * in its inode number, so it may be cached for long. File content is computed at open and
 * served with direct I/O from the open file, never from the page cache.
 */
#include "fs_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "format.h"
#include "handle.h"
#include "node.h"
#include "proc.h"
#include "resolve.h"

#define TTL_FOREVER (24.0 * 3600.0)
#define TTL_NONE    0.0

struct dir_entry {
	const char *name;
	fuse_ino_t ino;
	mode_t type;
};

static time_t mount_time;

static void fill_attr(const struct node *n, fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_blksize = 4096;
	st->st_atime = st->st_mtime = st->st_ctime = mount_time;
	switch (n->kind) {
	case NODE_ROOT:
	case NODE_PID_DIR:
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
		break;
	case NODE_SELF:
		st->st_mode = S_IFLNK | 0777;
		st->st_nlink = 1;
		break;
	case NODE_PID_FILE:
		/* Like /proc: content is made at open, read with direct I/O whatever the size. */
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		break;
	}
}

static void reply_node(fuse_req_t req, const struct node *n, double entry_ttl)
{
	struct fuse_entry_param e = {
	    .ino = node_ino(n),
	    .attr_timeout = TTL_FOREVER,
	    .entry_timeout = entry_ttl,
	};

	fill_attr(n, e.ino, &e.attr);
	fuse_reply_entry(req, &e);
}

/* The directory still names the process it was looked up as. */
static int check_pid_node(const struct node *n)
{
	uint64_t start;
	int r = resolve_identity(n->pid, &start);

	if (r < 0)
		return r;
	return start == n->start ? 0 : -ENOENT;
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	mount_time = time(NULL);
	/* Plain READDIR: READDIRPLUS would make every listing resolve every process. */
	conn->want &= ~(unsigned)(FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO);
}

static void lookup_in_root(fuse_req_t req, const char *name)
{
	struct node n = {.kind = NODE_PID_DIR};
	int r;

	if (strcmp(name, "self") == 0) {
		n.kind = NODE_SELF;
		reply_node(req, &n, TTL_FOREVER);
		return;
	}
	r = parse_pid_name(name, &n.pid);
	if (r == 0)
		r = resolve_identity(n.pid, &n.start);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	reply_node(req, &n, TTL_NONE);
}

static void lookup_in_pid_dir(fuse_req_t req, const struct node *dir, const char *name)
{
	struct node n = *dir;
	int r = pid_file_from_name(name, &n.file);

	if (r == 0)
		r = check_pid_node(dir);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	n.kind = NODE_PID_FILE;
	reply_node(req, &n, TTL_FOREVER);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct node dir;

	if (node_from_ino(parent, &dir) < 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (dir.kind == NODE_ROOT)
		lookup_in_root(req, name);
	else if (dir.kind == NODE_PID_DIR)
		lookup_in_pid_dir(req, &dir, name);
	else
		fuse_reply_err(req, ENOTDIR);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct node n;
	struct stat st;

	if (node_from_ino(ino, &n) < 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_attr(&n, ino, &st);
	fuse_reply_attr(req, &st, TTL_FOREVER);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct proc_status st;
	char target[16];

	if (ino != node_ino(&(struct node){.kind = NODE_SELF})) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	/* FUSE names the calling thread (0 if outside our namespace); self is its group. */
	if (ctx->pid <= 0 || proc_read_status(ctx->pid, &st) < 0) {
		g_debug("self: caller pid %d is not visible", ctx->pid);
		fuse_reply_err(req, ENOENT);
		return;
	}
	snprintf(target, sizeof(target), "%d", st.tgid);
	fuse_reply_readlink(req, target);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct node n;
	int r = node_from_ino(ino, &n);

	if (r == 0 && n.kind != NODE_ROOT && n.kind != NODE_PID_DIR)
		r = -ENOTDIR;
	if (r == 0 && n.kind == NODE_PID_DIR)
		r = check_pid_node(&n);
	if (r == 0 && n.kind == NODE_ROOT) {
		/* Snapshot at opendir so that offsets stay meaningful across READDIR calls. */
		GArray *pids = g_array_new(FALSE, FALSE, sizeof(pid_t));

		r = proc_list_pids(pids);
		fi->fh = (uintptr_t)pids;
		if (r < 0)
			g_array_unref(pids);
	}
	if (r < 0)
		fuse_reply_err(req, -r);
	else if (fuse_reply_open(req, fi) != 0 && fi->fh)
		g_array_unref((GArray *)(uintptr_t)fi->fh); /* interrupted: no RELEASEDIR comes */
}

/* Entry i of a directory listing, or false past the end. */
static bool dir_entry_at(const struct node *dir, const GArray *pids, size_t i, struct dir_entry *e,
			 char *namebuf, size_t namelen)
{
	struct node n = *dir;

	if (i < 2) {
		e->name = i == 0 ? "." : "..";
		e->ino = i == 0 ? node_ino(dir) : FUSE_ROOT_ID;
		e->type = S_IFDIR;
		return true;
	}
	i -= 2;
	if (dir->kind == NODE_PID_DIR) {
		if (i >= PF_COUNT)
			return false;
		n.kind = NODE_PID_FILE;
		n.file = (enum pid_file)i;
		e->name = pid_file_name(n.file);
		e->ino = node_ino(&n);
		e->type = S_IFREG;
		return true;
	}
	if (i == 0) {
		e->name = "self";
		e->ino = node_ino(&(struct node){.kind = NODE_SELF});
		e->type = S_IFLNK;
		return true;
	}
	if (i - 1 >= pids->len)
		return false;
	/* Start time unknown here (reading it for every process would be slow): low bits 0. */
	n = (struct node){.kind = NODE_PID_DIR, .pid = g_array_index(pids, pid_t, i - 1)};
	snprintf(namebuf, namelen, "%d", n.pid);
	e->name = namebuf;
	e->ino = node_ino(&n);
	e->type = S_IFDIR;
	return true;
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	g_autofree char *buf = g_malloc(size);
	const GArray *pids = (const GArray *)(uintptr_t)fi->fh;
	struct node dir;
	struct dir_entry e;
	char name[16];
	size_t used = 0;

	if (node_from_ino(ino, &dir) < 0 || off < 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	for (size_t i = (size_t)off; dir_entry_at(&dir, pids, i, &e, name, sizeof(name)); i++) {
		struct stat st = {.st_ino = e.ino, .st_mode = e.type};
		size_t need =
		    fuse_add_direntry(req, buf + used, size - used, e.name, &st, (off_t)(i + 1));

		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (fi->fh)
		g_array_unref((GArray *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct node n;
	struct proc_model m;
	g_autoptr(GString) content = NULL;
	int r = node_from_ino(ino, &n);

	if (r == 0 && n.kind != NODE_PID_FILE)
		r = n.kind == NODE_SELF ? -ELOOP : -EISDIR;
	if (r == 0 && (fi->flags & O_ACCMODE) != O_RDONLY)
		r = -EROFS;
	if (r == 0)
		r = resolve_process(n.pid, n.start, &m);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	content = format_pid_file(n.file, &m);
	fi->fh = handle_new(content);
	fi->direct_io = 1;
	/* The open was interrupted: no RELEASE will come for this handle. */
	if (fuse_reply_open(req, fi) != 0)
		handle_release(fi->fh);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct handle *h = handle_get(fi->fh);

	if (!h) {
		fuse_reply_err(req, EBADF);
		return;
	}
	if (off < 0 || (size_t)off >= h->len)
		fuse_reply_buf(req, NULL, 0);
	else
		fuse_reply_buf(req, h->data + off, MIN(size, h->len - (size_t)off));
	handle_put(h);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
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

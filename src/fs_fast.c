/*
 * A warm read of <pid>/init is a LOOKUP of <pid> (its entry is never cached), an OPEN and a
 * RELEASE; its content comes from the page cache. All three are answered here when the reader
 * and the process are cached, so they never wait for a worker thread to wake up.
 */
#include "fs_fast.h"

#include <fcntl.h>

#include "format.h"
#include "pidcache.h"
#include "proc_parse.h"
#include "reply.h"
#include "visibility.h"

/* The live process n names, if the cache knows it and the reader may see it. */
static bool cached_visible(fuse_req_t req, const struct node *n, struct proc_model *m)
{
	struct viewer v;
	uint64_t start;
	int known = pidcache_peek(n->pid, &start, m);

	if (!(known & PIDCACHE_MODEL) || start != n->start)
		return false;
	return viewer_cached(fuse_req_ctx(req)->pid, &v) && viewer_check_model(&v, m) == 0;
}

bool fs_fast_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct proc_model m;
	struct node dir, n;
	enum pid_file f;

	if (node_from_ino(parent, &dir) < 0)
		return false;
	if (dir.kind == NODE_ROOT) {
		n = (struct node){.kind = NODE_PID_DIR};
		if (parse_pid_name(name, &n.pid) < 0 || !pidcache_peek(n.pid, &n.start, &m) ||
		    !cached_visible(req, &n, &m))
			return false;
		reply_node(req, &n, pid_dir_entry_ttl(&n));
		return true;
	}
	if (dir.kind != NODE_PID_DIR || pid_file_from_name(name, &f) < 0 ||
	    !cached_visible(req, &dir, &m))
		return false;
	n = dir;
	n.kind = NODE_PID_FILE;
	n.file = f;
	reply_node(req, &n, TTL_FOREVER);
	return true;
}

bool fs_fast_getattr(fuse_req_t req, fuse_ino_t ino)
{
	struct node n;
	struct stat st;

	if (node_from_ino(ino, &n) < 0 || node_attrs_change(&n))
		return false;
	node_fill_attr(&n, ino, &st);
	fuse_reply_attr(req, &st, node_attr_ttl(&n));
	return true;
}

bool fs_fast_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct proc_model m;
	struct node n;

	if (node_from_ino(ino, &n) < 0 || !node_content_is_fixed(&n) ||
	    (fi->flags & O_ACCMODE) != O_RDONLY || !cached_visible(req, &n, &m))
		return false;
	fi->fh = 0;
	fi->keep_cache = 1;
	fi->noflush = 1;
	fuse_reply_open(req, fi);
	return true;
}

bool fs_fast_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	g_autoptr(GString) text = NULL;
	struct proc_model m;
	struct node n;
	uint64_t start;

	if (fi->fh != 0 || node_from_ino(ino, &n) < 0 || !node_content_is_fixed(&n) ||
	    (pidcache_peek(n.pid, &start, &m) & PIDCACHE_MODEL) == 0 || start != n.start)
		return false;
	text = format_pid_file(n.file, &m);
	reply_slice(req, text->str, text->len, size, off);
	return true;
}

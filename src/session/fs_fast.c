/*
 * A warm read of <pid>/init is a LOOKUP of <pid> (its entry is never cached unless every
 * reader sees everything), an OPEN and a RELEASE; its content comes from the page cache. All
 * are answered here when the reader and the process are cached, so none waits for a worker
 * thread to wake up. (A READ needs nothing here: every open file holds its content.)
 */
#include "fs_fast.h"

#include <fcntl.h>

#include "handle.h"
#include "node_class.h"
#include "pagecache.h"
#include "pidcache.h"
#include "proc_parse.h"
#include "reply.h"
#include "visibility.h"

/* The model of the live process n names, if the cache has it. */
static bool cached_model(const struct node *n, struct proc_model *m)
{
	uint64_t start;

	return (pidcache_peek(n->pid, &start, m) & PIDCACHE_MODEL) && start == n->start;
}

/* The reader may see the process of model m, as far as the cache knows. */
static bool cached_visible(fuse_req_t req, const struct proc_model *m)
{
	struct viewer v;

	return viewer_cached(fuse_req_ctx(req)->pid, &v) && viewer_check_model(&v, m) == 0;
}

bool fs_fast_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct proc_model m;
	struct node dir, n;
	int f;

	if (node_from_ino(parent, &dir) < 0)
		return false;
	if (dir.kind == NODE_ROOT) {
		struct viewer v;
		int r;

		n = (struct node){.kind = NODE_PID_DIR};
		if (parse_pid_name(name, &n.pid) < 0 || !viewer_cached(fuse_req_ctx(req)->pid, &v))
			return false;
		/* Before the cache is asked: what it holds must not tell a hidden PID apart. */
		r = v.scope == VIEWER_ALL ? 0 : viewer_check_process(&v, n.pid);
		if (r < 0) {
			fuse_reply_err(req, -r);
			return true;
		}
		if (!(pidcache_peek(n.pid, &n.start, &m) & PIDCACHE_MODEL) ||
		    viewer_check_model(&v, &m) < 0)
			return false;
		reply_node(req, &n, pid_dir_ttl());
		return true;
	}
	if (dir.kind != NODE_PID_DIR || (f = pid_file_find(name)) < 0 || !cached_model(&dir, &m) ||
	    !cached_visible(req, &m))
		return false;
	n = dir;
	n.kind = NODE_PID_FILE;
	n.file = (unsigned)f;
	if (node_content_is_fixed(&n)) {
		pagecache_looked_up(node_ino(&n));
		reply_file(req, &n, fixed_file_size(&n, &m));
	} else
		reply_node(req, &n, TTL_FOREVER);
	return true;
}

bool fs_fast_getattr(fuse_req_t req, fuse_ino_t ino)
{
	struct proc_model m;
	struct node n;
	struct stat st;

	if (node_from_ino(ino, &n) < 0 || !node_class_of(&n) || node_attrs_change(&n))
		return false;
	node_fill_attr(&n, ino, &st);
	if (node_content_is_fixed(&n)) {
		if (!cached_model(&n, &m))
			return false;
		st.st_size = fixed_file_size(&n, &m);
	}
	fuse_reply_attr(req, &st, node_attr_ttl(&n));
	return true;
}

bool fs_fast_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, bool store)
{
	g_autoptr(GString) text = NULL;
	struct proc_model m;
	struct viewer v;
	struct node n;
	int r;

	if (node_from_ino(ino, &n) < 0 || !node_content_is_fixed(&n) ||
	    (fi->flags & O_ACCMODE) != O_RDONLY || !cached_model(&n, &m) ||
	    !viewer_cached(fuse_req_ctx(req)->pid, &v) || viewer_check_model(&v, &m) < 0)
		return false;
	text = pid_file_text(&n, &m);
	r = handle_new(text, viewer_view(&v), ino, &fi->fh);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return true;
	}
	if (store)
		pagecache_store(ino, text);
	reply_open_handle(req, fi, true);
	return true;
}

/*
 * What every directory of the tree asks about the reader of a request: may it see a PID, its
 * view of the namespaces, and which inode is its view of tree and metrics. Below the
 * directories' files, which all use it.
 */
#include <errno.h>

#include "node_class.h"
#include "reply.h"
#include "snapshot.h"
#include "tree_internal.h"
#include "visibility.h"

/* 0 if the request's reader may see process pid (a namespace's init, for ns nodes). */
int check_visible(fuse_req_t req, pid_t pid)
{
	struct viewer v;

	viewer_of(fuse_req_ctx(req)->pid, &v);
	return viewer_check_process(&v, pid);
}

/*
 * tree and metrics/nspidfs.prom as the request's reader sees them: an inode per view, so no
 * page of one view is ever in another's page cache. The name means another inode to the next
 * reader, so it is kept only where every reader has the same view.
 */
void reply_view_file(fuse_req_t req, struct node *n)
{
	struct viewer v;

	viewer_of(fuse_req_ctx(req)->pid, &v);
	n->view = viewer_view(&v);
	reply_node(req, n, visibility_all() ? TTL_FOREVER : TTL_NONE);
}

/* A view's inode is its reader's alone; another reader (given the descriptor) must walk again. */
int check_view(fuse_req_t req, const struct node *n)
{
	struct viewer v;

	if (!node_class_of(n)->per_view)
		return 0;
	viewer_of(fuse_req_ctx(req)->pid, &v);
	return viewer_view(&v) == n->view ? 0 : -ESTALE;
}

static bool holds_viewer(const struct ns_model *m, const void *v)
{
	return viewer_top(v, m) != NULL;
}

/* A model holding the viewer's namespace (a container started a moment ago included). */
int viewer_model(const struct viewer *v, struct ns_model **out, const struct ns_info **top)
{
	int r = 0;
	struct ns_model *m = snapshot_find(holds_viewer, v, &r);

	if (!m)
		return r;
	*out = m;
	*top = viewer_top(v, m);
	return 0;
}

int view_file_content(const struct viewer *v, view_builder build, GString **out)
{
	gint64 began = g_get_monotonic_time();
	g_autoptr(ns_model) m = NULL;
	const struct ns_info *top = NULL;
	int r = v->scope == VIEWER_NONE ? -EACCES : viewer_model(v, &m, &top);

	if (r < 0)
		return r;
	*out = top ? build(v, m, top, began) : g_string_new("");
	return 0;
}

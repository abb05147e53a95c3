/*
 * The root directory: self, ns, tree, metrics and a directory per PID the reader may see; and
 * the files that are the reader's view of the whole (tree here, and metrics/nspidfs.prom).
 */
#include <errno.h>
#include <string.h>

#include "format_ns.h"
#include "node.h"
#include "proc.h"
#include "reply.h"
#include "snapshot.h"
#include "tree_internal.h"
#include "util.h"
#include "visibility.h"

/*
 * Names whose meaning changes over time (a PID, a namespace inode, a PID inside a namespace)
 * get entry timeout 0, so every path walk asks again; the nodes below them carry the identity
 * they were looked up with in their inode numbers and may be cached.
 */
void lookup_in_root(fuse_req_t req, const char *name)
{
	struct node n = {.kind = NODE_PID_DIR};

	if (strcmp(name, "metrics") == 0) {
		n.kind = NODE_METRICS_DIR;
		reply_node(req, &n, TTL_FOREVER);
		return;
	}
	if (strcmp(name, "tree") == 0) {
		reply_view_file(req, NODE_TREE);
		return;
	}
	if (strcmp(name, "self") == 0 || strcmp(name, "ns") == 0) {
		n.kind = name[0] == 's' ? NODE_SELF : NODE_NS_ROOT;
		reply_node(req, &n, TTL_FOREVER);
		return;
	}
	if (parse_pid_name(name, &n.pid) < 0)
		fuse_reply_err(req, ENOENT);
	else
		lookup_pid(req, &n);
}

/* FUSE names the calling thread (0 if outside our namespace); self is its thread group. */
int self_target(fuse_req_t req, GString *out)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct proc_status st;

	if (ctx->pid <= 0 || proc_read_status(ctx->pid, &st) < 0)
		return log_debug_ret(-ENOENT, "self: caller pid %d is not visible", ctx->pid);
	g_string_printf(out, "%d", st.tgid);
	return 0;
}

static gint compare_pids(gconstpointer a, gconstpointer b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/* The PIDs the viewer may see: all of /proc, or its namespace's members from the model. */
int list_visible_pids(struct dir_handle *h)
{
	g_autoptr(ns_model) m = NULL;
	const struct ns_info *top = NULL;
	int r;

	h->pids = g_array_new(FALSE, FALSE, sizeof(pid_t));
	if (h->viewer.scope == VIEWER_ALL)
		return proc_list_pids(h->pids);
	if (h->viewer.scope == VIEWER_NONE)
		return 0;
	r = viewer_model(&h->viewer, &m, &top);
	for (guint i = 0; r == 0 && top && i < top->members->len; i++) {
		const struct ns_proc *p = ns_model_proc(m, g_array_index(top->members, guint, i));

		g_array_append_val(h->pids, p->host_pid);
	}
	g_array_sort(h->pids, compare_pids);
	return r;
}

/* Entries after "." and "..": 1 for an entry, 0 to skip index i, -1 past the end. */
int root_entry(struct dir_handle *h, size_t i, struct dir_entry *e)
{
	static const enum node_kind fixed[] = {NODE_SELF, NODE_NS_ROOT, NODE_TREE,
					       NODE_METRICS_DIR};
	static const char *const names[] = {"self", "ns", "tree", "metrics"};
	struct node n = {.kind = NODE_PID_DIR};

	if (i < G_N_ELEMENTS(fixed)) {
		n.kind = fixed[i];
		n.view = viewer_view(&h->viewer);
		entry_set(e, names[i], &n);
		return 1;
	}
	i -= G_N_ELEMENTS(fixed);
	if (i >= h->pids->len)
		return -1;
	/* Start time unknown here (reading it for every process would be slow): low bits 0. */
	n.pid = g_array_index(h->pids, pid_t, i);
	entry_set(e, numbered(h, (uint64_t)n.pid), &n);
	return 1;
}

int tree_content(const struct viewer *v, GString **out)
{
	g_autoptr(ns_model) m = NULL;
	const struct ns_info *top = NULL;
	int r = v->scope == VIEWER_NONE ? -EACCES : viewer_model(v, &m, &top);

	if (r < 0)
		return r;
	*out = top ? format_tree(m, top) : g_string_new("");
	return 0;
}

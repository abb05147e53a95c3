/*
 * The root directory: self, ns, tree, metrics and a directory per PID the reader may see; and
 * the files that are the reader's view of the whole (tree here, and metrics/nspidfs.prom).
 */
#include <errno.h>
#include <string.h>

#include "format_ns.h"
#include "node.h"
#include "node_class.h"
#include "proc.h"
#include "reply.h"
#include "snapshot.h"
#include "tree_internal.h"
#include "util.h"
#include "visibility.h"

/* The root's named entries, in the order it lists them; then a directory per PID. */
static const enum node_kind root_named[] = {NODE_SELF, NODE_NS_ROOT, NODE_TREE, NODE_METRICS_DIR};

/*
 * Names whose meaning changes over time (a PID, a namespace inode, a PID inside a namespace)
 * get entry timeout 0, so every path walk asks again; the nodes below them carry the identity
 * they were looked up with in their inode numbers and may be cached.
 */
static void lookup_in_root(fuse_req_t req, const struct node *dir, const char *name)
{
	struct node n = {.kind = NODE_PID_DIR};

	for (size_t i = 0; i < G_N_ELEMENTS(root_named); i++) {
		n.kind = root_named[i];
		if (strcmp(name, node_class_of(&n)->name) != 0)
			continue;
		if (node_class_of(&n)->per_view)
			reply_view_file(req, &n);
		else
			reply_node(req, &n, TTL_FOREVER);
		return;
	}
	n.kind = NODE_PID_DIR;
	if (parse_pid_name(name, &n.pid) < 0)
		fuse_reply_err(req, ENOENT);
	else
		lookup_pid(req, &n);
}

/* FUSE names the calling thread (0 if outside our namespace); self is its thread group. */
static int self_target(const struct viewer *v, const struct node *n, GString **out)
{
	struct proc_status st;

	if (v->pid <= 0 || proc_read_status(v->pid, &st) < 0)
		return log_debug_ret(-ENOENT, "self: caller pid %d is not visible", v->pid);
	*out = g_string_new(NULL);
	g_string_printf(*out, "%d", st.tgid);
	return 0;
}

static gint compare_pids(gconstpointer a, gconstpointer b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/* The PIDs the viewer may see: all of /proc, or its namespace's members from the model. */
static int list_visible_pids(struct dir_handle *h)
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
		const struct ns_proc *p = ns_member(top, i);

		g_array_append_val(h->pids, p->host_pid);
	}
	g_array_sort(h->pids, compare_pids);
	return r;
}

/* Entries after "." and "..": 1 for an entry, 0 to skip index i, -1 past the end. */
static int root_entry(struct dir_handle *h, size_t i, struct dir_entry *e)
{
	struct node n = {.kind = NODE_PID_DIR};

	if (i < G_N_ELEMENTS(root_named)) {
		n.kind = root_named[i];
		n.view = viewer_view(&h->viewer);
		entry_set(e, node_class_of(&n)->name, &n);
		return 1;
	}
	i -= G_N_ELEMENTS(root_named);
	if (i >= h->pids->len)
		return -1;
	/* Start time unknown here (reading it for every process would be slow): low bits 0. */
	n.pid = g_array_index(h->pids, pid_t, i);
	entry_set(e, numbered(h, (uint64_t)n.pid), &n);
	return 1;
}

static GString *build_tree(const struct viewer *v, const struct ns_model *m,
			   const struct ns_info *top, gint64 began)
{
	return format_tree(m, top);
}

static int tree_content(const struct viewer *v, const struct node *n, GString **out)
{
	return view_file_content(v, build_tree, out);
}

const struct node_class root_class = {
    .cache = NC_DIR,
    .lookup = lookup_in_root,
    .open_dir = list_visible_pids,
    .entry = root_entry,
};

const struct node_class self_class = {
    .name = "self",
    .cache = NC_LINK,
    .content = self_target,
};

const struct node_class tree_class = {
    .name = "tree",
    .cache = NC_CHANGING,
    .per_view = true,
    .content = tree_content,
};

/*
 * ns/, a directory per PID namespace the reader may see, named by its inode; ns/<inode>/ with
 * the namespace's files; and ns/<inode>/pid/, a link per PID in it to the process's directory.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "container.h"
#include "format_container.h"
#include "format_ns.h"
#include "node.h"
#include "node_class.h"
#include "nsview.h"
#include "proc_parse.h"
#include "reply.h"
#include "tree_internal.h"
#include "visibility.h"

/* A namespace as ns/ lists it. */
struct ns_entry {
	uint64_t ino;
	pid_t init;
	uint64_t init_start;
	uint64_t init_id;
	bool has_init_id;
};

/* A file of ns/<inode>/: its text, from the namespace's model. */
struct ns_file {
	struct node_class class;
	GString *(*format)(const struct ns_model *m, const struct ns_info *ns);
	bool nested_only; /* not in the daemon's own namespace's directory */
};

static int ns_file_content(const struct viewer *v, const struct node *n, GString **out);
static int ns_container_content(const struct viewer *v, const struct node *n, GString **out);
static int ns_json_content(const struct viewer *v, const struct node *n, GString **out);

#define NS_FILE(name_, cache_, format_, nested_only_)                                              \
	{                                                                                          \
		.class = {.name = (name_), .cache = (cache_), .content = ns_file_content},         \
		.format = (format_), .nested_only = (nested_only_),                                \
	}

/* Append only: a row's index is in its inode numbers (node.h). */
static const struct ns_file ns_files[] = {
    NS_FILE("init", NC_CHANGING, format_ns_init, false),
    NS_FILE("level", NC_CHANGING, format_ns_level, false),
    NS_FILE("parent", NC_LINK, format_ns_parent_target, true),
    NS_FILE("children", NC_CHANGING, format_ns_children, false),
    NS_FILE("pids", NC_CHANGING, format_ns_pids, false),
    {.class = {.name = "json", .cache = NC_CHANGING, .content = ns_json_content}},
    {.class = {.name = "container", .cache = NC_CHANGING, .content = ns_container_content}},
};

G_STATIC_ASSERT(G_N_ELEMENTS(ns_files) <= NS_FILES_MAX);

size_t ns_file_count(void)
{
	return G_N_ELEMENTS(ns_files);
}

const struct node_class *ns_file_class(unsigned file)
{
	return file < G_N_ELEMENTS(ns_files) ? &ns_files[file].class : NULL;
}

int ns_file_find(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(ns_files); i++) {
		if (strcmp(name, ns_files[i].class.name) == 0)
			return (int)i;
	}
	return -ENOENT;
}

/* Whether file is in the directory of a namespace at level. */
static bool ns_file_present(unsigned file, unsigned level)
{
	return !ns_files[file].nested_only || level > 0;
}

static void lookup_in_ns_dir(fuse_req_t req, const struct node *dir, const char *name)
{
	struct node n = *dir;
	struct ns_target t;
	int f = 0, r = 0;

	if (strcmp(name, ns_pid_dir_class.name) == 0)
		n.kind = NODE_NS_PID_DIR;
	else if ((r = f = ns_file_find(name)) >= 0)
		n.kind = NODE_NS_FILE;
	n.file = (unsigned)MAX(f, 0);
	/* dir->pid is the namespace's init: who may see it is decided before it is checked. */
	if (r >= 0)
		r = check_visible(req, dir->pid);
	if (r == 0)
		r = ns_target_of(dir, &t);
	if (r == 0 && n.kind == NODE_NS_FILE && !ns_file_present(n.file, t.level))
		r = -ENOENT;
	reply_node_or_err(req, r, &n, TTL_FOREVER);
}

static void lookup_in_ns_pid_dir(fuse_req_t req, const struct node *dir, const char *name)
{
	struct node n = *dir;
	struct ns_target t;
	pid_t host;
	int r = parse_pid_name(name, &n.nspid);

	if (r == 0)
		r = check_visible(req, dir->pid);
	if (r == 0)
		r = ns_target_of(dir, &t);
	if (r == 0)
		r = nsview_reverse(&t, n.nspid, &host);
	n.kind = NODE_NS_PID_LINK;
	reply_node_or_err(req, r, &n, TTL_NONE);
}

/*
 * Whether the reader may see namespace name, decided from what is known of it before anything
 * about it is resolved, so that a hidden namespace costs what a missing one does: both ask a
 * fresher pass (shared, and only if a process came since) before the answer.
 */
static int ns_name_visible(fuse_req_t req, const char *name)
{
	struct viewer v;
	pid_t init;

	viewer_of(fuse_req_ctx(req)->pid, &v);
	if (v.scope != VIEWER_NS)
		return v.scope == VIEWER_ALL ? 0 : -EACCES;
	for (int fresher = 0; fresher < 2; fresher++) {
		bool known = nsview_last_init(name, fresher, &init) == 0;

		/*
		 * A name with no init is checked against the daemon's PID 1, which a reader of
		 * another namespace never sees: the check a hidden name's init gets, at its cost.
		 */
		if (viewer_check_process(&v, known ? init : 1) == 0 && known)
			return 0;
	}
	return -ENOENT;
}

static void lookup_in_ns_root(fuse_req_t req, const struct node *dir, const char *name)
{
	struct ns_name ns = {0};
	struct node n;
	int r = ns_name_visible(req, name);

	if (r == 0)
		r = nsview_lookup(name, &ns);
	n = (struct node){.kind = NODE_NS_DIR, .pid = ns.init, .start = ns.id};
	if (r == 0)
		r = check_visible(req, n.pid);
	reply_node_or_err(req, r, &n, TTL_NONE);
}

static int reverse_target(const struct viewer *v, const struct node *n, GString **out)
{
	struct ns_target t;
	pid_t host;
	int r = ns_target_of(n, &t);

	if (r == 0)
		r = viewer_check_process(v, t.init);
	if (r == 0)
		r = nsview_reverse(&t, n->nspid, &host);
	/* The namespace was still the one the link was looked up in. */
	if (r == 0)
		r = ns_target_of(n, &t);
	if (r == 0)
		*out = g_string_new(NULL);
	if (r == 0)
		g_string_printf(*out, "../../../%d", host);
	return r;
}

/* ns/: the namespaces at and below the top of what the viewer may see. */
static int list_visible_ns(struct dir_handle *h)
{
	g_autoptr(ns_model) m = NULL;
	const struct ns_info *top = NULL;
	int r = 0;

	h->ns_list = g_array_new(FALSE, FALSE, sizeof(struct ns_entry));
	if (h->viewer.scope != VIEWER_NONE)
		r = viewer_model(&h->viewer, &m, &top);
	for (guint i = 0; r == 0 && top && i < m->order->len; i++) {
		const struct ns_info *ns = g_ptr_array_index(m->order, i);
		struct ns_entry e = {.ino = ns->ino,
				     .init = ns->init,
				     .init_start = ns->init_start,
				     .init_id = ns->init_id,
				     .has_init_id = ns->has_init_id};

		if (ns->init > 0 && ns_model_is_below(m, top, ns->ino))
			g_array_append_val(h->ns_list, e);
	}
	return r;
}

/* ns/<inode>/pid/: the PIDs in the namespace of its live members (zombies left out). */
static int list_ns_pids(struct dir_handle *h, const struct ns_target *t)
{
	g_autoptr(ns_model) m = NULL;
	const struct ns_info *ns;
	int r = nsview_model(t, &m, &ns);

	h->pids = g_array_new(FALSE, FALSE, sizeof(pid_t));
	for (guint i = 0; r == 0 && i < ns->members->len; i++) {
		const struct ns_proc *p = ns_member(ns, i);
		pid_t nspid = ns_proc_pid_at(p, ns->level);

		if (!ns_proc_is_zombie(p))
			g_array_append_val(h->pids, nspid);
	}
	return r;
}

static int ns_root_entry(struct dir_handle *h, size_t i, struct dir_entry *e)
{
	const struct ns_entry *ns;
	struct node n = {.kind = NODE_NS_DIR};

	if (i >= h->ns_list->len)
		return -1;
	ns = &g_array_index(h->ns_list, struct ns_entry, i);
	n.pid = ns->init;
	/* An init gone since the model was made: its namespace is too. */
	if (nsview_listed_identity(ns->init, ns->init_start, ns->has_init_id ? &ns->init_id : NULL,
				   &n.start) < 0)
		return 0;
	entry_set(e, numbered(h, ns->ino), &n);
	return 1;
}

static int ns_dir_entry(struct dir_handle *h, size_t i, struct dir_entry *e)
{
	struct node n = h->dir;

	if (i > G_N_ELEMENTS(ns_files))
		return -1;
	if (i == G_N_ELEMENTS(ns_files)) {
		n.kind = NODE_NS_PID_DIR;
		entry_set(e, ns_pid_dir_class.name, &n);
		return 1;
	}
	if (!ns_file_present((unsigned)i, h->level))
		return 0;
	n.kind = NODE_NS_FILE;
	n.file = (unsigned)i;
	entry_set(e, ns_files[i].class.name, &n);
	return 1;
}

static int ns_pid_dir_entry(struct dir_handle *h, size_t i, struct dir_entry *e)
{
	struct node n = h->dir;

	if (i >= h->pids->len)
		return -1;
	n.kind = NODE_NS_PID_LINK;
	n.nspid = g_array_index(h->pids, pid_t, i);
	entry_set(e, numbered(h, (uint64_t)n.nspid), &n);
	return 1;
}

static int ns_file_content(const struct viewer *v, const struct node *n, GString **out)
{
	g_autoptr(ns_model) m = NULL;
	const struct ns_info *ns;
	struct ns_target t;
	int r = ns_target_of(n, &t);

	if (r == 0)
		r = viewer_check_process(v, t.init);
	if (r == 0)
		r = nsview_model(&t, &m, &ns);
	if (r == 0 && !ns_file_present(n->file, ns->level))
		r = -ENOENT;
	if (r < 0)
		return r;
	*out = ns_files[n->file].format(m, ns);
	/* The init outlived the computation: the namespace was the one the node names. */
	r = ns_target_of(n, &t);
	if (r < 0) {
		g_string_free(*out, TRUE);
		*out = NULL;
	}
	return r;
}

static int open_ns_root(struct dir_handle *h)
{
	return list_visible_ns(h);
}

/* The namespace an open directory of ns/<inode>/ lists, once the reader may see its init. */
static int open_target(struct dir_handle *h, struct ns_target *t)
{
	int r = viewer_check_process(&h->viewer, h->dir.pid);

	return r < 0 ? r : ns_target_of(&h->dir, t);
}

static int open_ns_dir(struct dir_handle *h)
{
	struct ns_target t = {.level = 0};
	int r = open_target(h, &t);

	h->level = t.level;
	return r;
}

static int open_ns_pid_dir(struct dir_handle *h)
{
	struct ns_target t;
	int r = open_target(h, &t);

	return r < 0 ? r : list_ns_pids(h, &t);
}

const struct node_class ns_root_class = {
    .name = "ns",
    .cache = NC_DIR,
    .lookup = lookup_in_ns_root,
    .open_dir = open_ns_root,
    .entry = ns_root_entry,
};

const struct node_class ns_dir_class = {
    .cache = NC_DIR,
    .lookup = lookup_in_ns_dir,
    .open_dir = open_ns_dir,
    .entry = ns_dir_entry,
};

const struct node_class ns_pid_dir_class = {
    .name = "pid",
    .cache = NC_DIR,
    .lookup = lookup_in_ns_pid_dir,
    .open_dir = open_ns_pid_dir,
    .entry = ns_pid_dir_entry,
};

const struct node_class reverse_link_class = {
    .cache = NC_LINK,
    .content = reverse_target,
};

/*
 * The namespace's model and the container its init is in (-ENOENT: none, the daemon's own
 * namespace), then the check that the init outlived the reading: its file's text from both.
 */
static int ns_with_container(const struct viewer *v, const struct node *n,
			     GString *(*text)(const struct ns_model *m, const struct ns_info *ns,
					      const struct container_info *c),
			     GString **out)
{
	g_autoptr(ns_model) m = NULL;
	const struct ns_info *ns = NULL;
	struct container_info c;
	struct ns_target t;
	int r = ns_target_of(n, &t);

	if (r == 0)
		r = viewer_check_process(v, t.init);
	if (r == 0)
		r = nsview_model(&t, &m, &ns);
	if (r < 0)
		return r;
	r = t.level > 0 ? container_of(t.init, &c) : -ENOENT;
	if (r < 0 && r != -ENOENT)
		return r;
	*out = text(m, ns, r == 0 ? &c : NULL);
	r = ns_target_of(n, &t);
	if (r < 0) {
		g_string_free(*out, TRUE);
		*out = NULL;
	}
	return r;
}

static GString *container_text(const struct ns_model *m, const struct ns_info *ns,
			       const struct container_info *c)
{
	return format_container(c);
}

static int ns_container_content(const struct viewer *v, const struct node *n, GString **out)
{
	return ns_with_container(v, n, container_text, out);
}

static int ns_json_content(const struct viewer *v, const struct node *n, GString **out)
{
	return ns_with_container(v, n, format_ns_json, out);
}

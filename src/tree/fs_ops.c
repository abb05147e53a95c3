/*
 * FUSE request handlers: decode the inode, resolve, compute, format, reply exactly once.
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
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "format.h"
#include "format_ns.h"
#include "handle.h"
#include "metrics.h"
#include "node.h"
#include "nsview.h"
#include "nscache.h"
#include "pagecache.h"
#include "pidcache.h"
#include "proc.h"
#include "quota.h"
#include "reply.h"
#include "resolve.h"
#include "snapshot.h"
#include "stash.h"
#include "strategy.h"
#include "visibility.h"
#include "util.h"

struct dir_entry {
	const char *name;
	fuse_ino_t ino;
	mode_t type;
};

/* A namespace as ns/ lists it. */
struct ns_entry {
	uint64_t ino;
	pid_t init;
	uint64_t init_start;
};

/*
 * What a directory listing walks, fixed at opendir so offsets keep their meaning: only what
 * the reader may see, so offsets count nothing hidden, and only what it lists, so an open
 * directory holds no whole model.
 */
struct dir_handle {
	struct node dir;
	struct viewer viewer;
	GArray *pids;	 /* root: host PIDs; ns/<inode>/pid/: PIDs in that namespace */
	GArray *ns_list; /* ns/: struct ns_entry */
	unsigned level;	 /* ns/<inode>/ */
	bool counted;	 /* in its reader's quota */
	char name[24];	 /* storage for a numeric entry name */
};

/*
 * Open directories, so that the ones whose RELEASEDIR never comes (the session ends first)
 * are freed at unmount rather than leaked.
 */
static GMutex dirs_lock;
static GHashTable *open_dirs;

/* 0 if the request's reader may see process pid (a namespace's init, for ns nodes). */
static int check_visible(fuse_req_t req, pid_t pid)
{
	struct viewer v;

	viewer_of(fuse_req_ctx(req)->pid, &v);
	return viewer_check_process(&v, pid);
}

/* The directory still names the process it was looked up as. */
static int check_pid_node(const struct node *n)
{
	return pidcache_check(n->pid, n->start);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	reply_init_time();
	/* Plain READDIR: READDIRPLUS would make every listing resolve every process. */
	conn->want &= ~(unsigned)(FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO);
}

/*
 * A file of the process is about to be read: resolve it now, so that the LOOKUP of that file,
 * its OPEN and READ are answered from the cache without waiting for a worker. A reader who
 * sees every process needs nothing but the PID's identity for this entry: it is answered
 * first and the process resolved after, while the kernel makes the entry and sends the next
 * LOOKUP, which this thread then reads. Not where resolving forks helpers (creds): a listing
 * with stat(), like ls -l, would fork one per process. Nor without the cache, where it would
 * be done again at open. A process without a model (a kernel thread) still has its directory.
 */
static void lookup_pid(fuse_req_t req, struct node *n)
{
	struct proc_model m;
	struct viewer v;
	int fd, r;

	viewer_of(fuse_req_ctx(req)->pid, &v);
	/*
	 * Whether the reader may see the PID, first: a hidden PID then costs what a missing one
	 * does, and leaves nothing cached behind.
	 */
	r = v.scope == VIEWER_ALL ? 0 : viewer_check_process(&v, n->pid);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	if (strategy_active() == STRATEGY_CREDS || !pidcache_enabled()) {
		r = pidcache_identity(n->pid, &n->start);
	} else if (v.scope == VIEWER_ALL) {
		r = pidcache_identify(n->pid, &n->start, &fd);
		reply_node_or_err(req, r, n, r == 0 ? pid_dir_ttl() : TTL_NONE);
		if (r == 0 && fd >= 0)
			(void)pidcache_resolve_held(n->pid, n->start, fd, &m);
		return;
	} else if (pidcache_resolve(n->pid, &n->start, &m) == 0) {
		/* The PID may have gone to another process since the check. */
		r = viewer_check_model(&v, &m);
		reply_node_or_err(req, r, n, r == 0 ? pid_dir_ttl() : TTL_NONE);
		return;
	} else {
		r = pidcache_identity(n->pid, &n->start);
	}
	if (r == 0 && v.scope != VIEWER_ALL)
		r = viewer_check_process(&v, n->pid);
	reply_node_or_err(req, r, n, r == 0 ? pid_dir_ttl() : TTL_NONE);
}

/*
 * tree and metrics/nspidfs.prom as the request's reader sees them: an inode per view, so no
 * page of one view is ever in another's page cache. The name means another inode to the next
 * reader, so it is kept only where every reader has the same view.
 */
static void reply_view_file(fuse_req_t req, enum node_kind kind)
{
	struct node n = {.kind = kind};
	struct viewer v;

	viewer_of(fuse_req_ctx(req)->pid, &v);
	n.view = viewer_view(&v);
	reply_node(req, &n, visibility_all() ? TTL_FOREVER : TTL_NONE);
}

/* A view's inode is its reader's alone; another reader (given the descriptor) must walk again. */
static int check_view(fuse_req_t req, const struct node *n)
{
	struct viewer v;

	if (n->kind != NODE_TREE && n->kind != NODE_METRICS_FILE)
		return 0;
	viewer_of(fuse_req_ctx(req)->pid, &v);
	return viewer_view(&v) == n->view ? 0 : -ESTALE;
}

/*
 * Names whose meaning changes over time (a PID, a namespace inode, a PID inside a namespace)
 * get entry timeout 0, so every path walk asks again; the nodes below them carry the identity
 * they were looked up with in their inode numbers and may be cached.
 */
static void lookup_in_root(fuse_req_t req, const char *name)
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

/*
 * A fixed file's exact size, or -1 if it has none now: a process without a model (a kernel
 * thread, an unreadable namespace) has the file, and its open gives the error. Other errors
 * (the process is gone) are the file's too.
 */
static int fixed_size_now(const struct node *n, off_t *size)
{
	struct proc_model m;
	int r = pidcache_model(n->pid, n->start, &m);

	if (r < 0 && r != -ENODATA && r != -EACCES)
		return r;
	*size = r == 0 ? fixed_file_size(n, &m) : -1;
	return 0;
}

static void reply_fixed_file(fuse_req_t req, const struct node *n)
{
	off_t size;
	int r = fixed_size_now(n, &size);

	if (r < 0)
		fuse_reply_err(req, -r);
	else
		reply_file(req, n, size);
}

static void lookup_in_pid_dir(fuse_req_t req, const struct node *dir, const char *name)
{
	struct node n = *dir;
	enum pid_file f;
	int r = pid_file_from_name(name, &f);

	if (r == 0)
		r = check_visible(req, dir->pid);
	if (r == 0)
		r = check_pid_node(dir);
	n.kind = NODE_PID_FILE;
	n.file = f;
	if (r == 0 && node_content_is_fixed(&n))
		reply_fixed_file(req, &n);
	else
		reply_node_or_err(req, r, &n, TTL_FOREVER);
}

static void lookup_in_ns_dir(fuse_req_t req, const struct node *dir, const char *name)
{
	struct node n = *dir;
	struct ns_target t;
	enum ns_file f = NF_INIT;
	int r = 0;

	if (strcmp(name, "pid") == 0)
		n.kind = NODE_NS_PID_DIR;
	else if ((r = ns_file_from_name(name, &f)) == 0)
		n.kind = NODE_NS_FILE;
	n.file = f;
	/* dir->pid is the namespace's init: who may see it is decided before it is checked. */
	if (r == 0)
		r = check_visible(req, dir->pid);
	if (r == 0)
		r = nsview_target(dir, &t);
	if (r == 0 && n.kind == NODE_NS_FILE && f == NF_PARENT && t.level == 0)
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
		r = nsview_target(dir, &t);
	if (r == 0)
		r = nsview_reverse(&t, n.nspid, &host);
	n.kind = NODE_NS_PID_LINK;
	reply_node_or_err(req, r, &n, TTL_NONE);
}

static void lookup_in_metrics_dir(fuse_req_t req, const char *name)
{
	if (strcmp(name, METRICS_FILE_NAME) == 0)
		reply_view_file(req, NODE_METRICS_FILE);
	else
		fuse_reply_err(req, ENOENT);
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
		if (nsview_last_init(name, fresher, &init) == 0 &&
		    viewer_check_process(&v, init) == 0)
			return 0;
	}
	return -ENOENT;
}

static void op_destroy(void *userdata)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&dirs_lock);

	g_clear_pointer(&open_dirs, g_hash_table_unref);
	handle_release_all();
	pagecache_clear();
	pidcache_clear();
	nscache_clear();
	stash_clear();
	visibility_clear();
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct node dir, n;
	int r;

	if (node_from_ino(parent, &dir) < 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	switch (dir.kind) {
	case NODE_ROOT:
		lookup_in_root(req, name);
		break;
	case NODE_PID_DIR:
		lookup_in_pid_dir(req, &dir, name);
		break;
	case NODE_NS_ROOT:
		r = ns_name_visible(req, name);
		if (r == 0)
			r = nsview_lookup(name, &n);
		if (r == 0)
			r = check_visible(req, n.pid);
		reply_node_or_err(req, r, &n, TTL_NONE);
		break;
	case NODE_NS_DIR:
		lookup_in_ns_dir(req, &dir, name);
		break;
	case NODE_NS_PID_DIR:
		lookup_in_ns_pid_dir(req, &dir, name);
		break;
	case NODE_METRICS_DIR:
		lookup_in_metrics_dir(req, name);
		break;
	default:
		fuse_reply_err(req, ENOTDIR);
	}
}

static int file_content(fuse_req_t req, const struct node *n, GString **out);

/* What this reader is reading, or would read now (kept for its OPEN); 0 for an error. */
static size_t changing_file_size(fuse_req_t req, fuse_ino_t ino, const struct node *n)
{
	GString *content = NULL;
	struct viewer v;
	size_t len;

	viewer_of(fuse_req_ctx(req)->pid, &v);
	if (stash_size(ino, &v, &len))
		return len;
	if (file_content(req, n, &content) < 0)
		return 0;
	len = content->len;
	stash_sized(ino, &v, content);
	return len;
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct node n;
	struct stat st;
	int r = node_from_ino(ino, &n);

	if (r == 0)
		r = check_view(req, &n);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	node_fill_attr(&n, ino, &st);
	if (node_attrs_change(&n))
		st.st_size = (off_t)changing_file_size(req, ino, &n);
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

/* FUSE names the calling thread (0 if outside our namespace); self is its thread group. */
static int self_target(fuse_req_t req, GString *out)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct proc_status st;

	if (ctx->pid <= 0 || proc_read_status(ctx->pid, &st) < 0)
		return log_debug_ret(-ENOENT, "self: caller pid %d is not visible", ctx->pid);
	g_string_printf(out, "%d", st.tgid);
	return 0;
}

static int pidns_target(fuse_req_t req, const struct node *n, GString *out)
{
	struct proc_model m;
	int r = check_visible(req, n->pid);

	if (r == 0)
		r = pidcache_model(n->pid, n->start, &m);
	if (r == 0)
		g_string_printf(out, "../ns/%" PRIu64, model_own(&m)->ns_ino);
	return r;
}

static int parent_target(fuse_req_t req, const struct node *n, GString *out)
{
	g_autoptr(ns_model) m = NULL;
	const struct ns_info *ns;
	struct ns_target t;
	int r = nsview_target(n, &t);

	if (r == 0)
		r = check_visible(req, t.init);
	if (r == 0)
		r = nsview_model(&t, &m, &ns);
	if (r == 0 && ns->level == 0)
		r = -ENOENT;
	if (r == 0)
		g_string_printf(out, "../%" PRIu64, ns->parent);
	return r;
}

static int reverse_target(fuse_req_t req, const struct node *n, GString *out)
{
	struct ns_target t;
	pid_t host;
	int r = nsview_target(n, &t);

	if (r == 0)
		r = check_visible(req, t.init);
	if (r == 0)
		r = nsview_reverse(&t, n->nspid, &host);
	/* The namespace was still the one the link was looked up in. */
	if (r == 0)
		r = nsview_target(n, &t);
	if (r == 0)
		g_string_printf(out, "../../../%d", host);
	return r;
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	g_autoptr(GString) target = g_string_sized_new(32);
	struct node n;
	int r = node_from_ino(ino, &n);

	if (r == 0 && node_type(&n) != S_IFLNK)
		r = -EINVAL;
	if (r == 0) {
		if (n.kind == NODE_SELF)
			r = self_target(req, target);
		else if (n.kind == NODE_PID_FILE)
			r = pidns_target(req, &n, target);
		else if (n.kind == NODE_NS_FILE)
			r = parent_target(req, &n, target);
		else
			r = reverse_target(req, &n, target);
	}
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_readlink(req, target->str);
}

static void dir_handle_free(struct dir_handle *h)
{
	if (h->pids)
		g_array_unref(h->pids);
	if (h->ns_list)
		g_array_unref(h->ns_list);
	if (h->counted)
		quota_give(viewer_view(&h->viewer));
	g_free(h);
}

static void dir_track(struct dir_handle *h, bool open)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&dirs_lock);

	if (!open_dirs)
		open_dirs =
		    g_hash_table_new_full(NULL, NULL, (GDestroyNotify)dir_handle_free, NULL);
	if (open)
		g_hash_table_add(open_dirs, h);
	else
		g_hash_table_steal(open_dirs, h);
}

/* A model holding the viewer's namespace (a container started a moment ago included). */
static int viewer_model(const struct viewer *v, struct ns_model **out, const struct ns_info **top)
{
	int r = 0;
	struct ns_model *m = snapshot_get(&r);

	if (m && !viewer_top(v, m)) {
		struct ns_model *newer = snapshot_refresh(m, &r);

		ns_model_unref(m);
		m = newer;
	}
	if (!m)
		return r;
	*out = m;
	*top = viewer_top(v, m);
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
		const struct ns_proc *p = ns_model_proc(m, g_array_index(top->members, guint, i));

		g_array_append_val(h->pids, p->host_pid);
	}
	g_array_sort(h->pids, compare_pids);
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
		struct ns_entry e = {
		    .ino = ns->ino, .init = ns->init, .init_start = ns->init_start};

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
		const struct ns_proc *p = ns_model_proc(m, g_array_index(ns->members, guint, i));
		pid_t nspid = ns_proc_pid_at(m, p, ns->level);

		if (!ns_proc_is_zombie(p))
			g_array_append_val(h->pids, nspid);
	}
	return r;
}

static int dir_handle_fill(struct dir_handle *h)
{
	struct ns_target t;
	int r = 0;

	switch (h->dir.kind) {
	case NODE_ROOT:
		return list_visible_pids(h);
	case NODE_PID_DIR:
		r = viewer_check_process(&h->viewer, h->dir.pid);
		return r < 0 ? r : check_pid_node(&h->dir);
	case NODE_NS_ROOT:
		return list_visible_ns(h);
	case NODE_NS_DIR:
		r = viewer_check_process(&h->viewer, h->dir.pid);
		if (r == 0)
			r = nsview_target(&h->dir, &t);
		h->level = t.level;
		return r;
	case NODE_NS_PID_DIR:
		r = viewer_check_process(&h->viewer, h->dir.pid);
		if (r == 0)
			r = nsview_target(&h->dir, &t);
		return r < 0 ? r : list_ns_pids(h, &t);
	case NODE_METRICS_DIR:
		return 0;
	default:
		return -ENOTDIR;
	}
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dir_handle *h = g_new0(struct dir_handle, 1);
	int r = node_from_ino(ino, &h->dir);

	viewer_of(fuse_req_ctx(req)->pid, &h->viewer);
	if (r == 0)
		r = quota_take(viewer_view(&h->viewer));
	h->counted = r == 0;
	if (r == 0)
		r = dir_handle_fill(h);
	if (r < 0) {
		dir_handle_free(h);
		fuse_reply_err(req, -r);
		return;
	}
	fi->fh = (uintptr_t)h;
	dir_track(h, true);
	if (fuse_reply_open(req, fi) != 0) {
		dir_track(h, false); /* interrupted: no RELEASEDIR comes */
		dir_handle_free(h);
	}
}

static void entry_set(struct dir_entry *e, const char *name, const struct node *n)
{
	e->name = name;
	e->ino = node_ino(n);
	e->type = node_type(n);
}

static const char *numbered(struct dir_handle *h, uint64_t v)
{
	snprintf(h->name, sizeof(h->name), "%" PRIu64, v);
	return h->name;
}

/* Entries after "." and "..": 1 for an entry, 0 to skip index i, -1 past the end. */
static int root_entry(struct dir_handle *h, size_t i, struct dir_entry *e)
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

static int pid_dir_entry(struct dir_handle *h, size_t i, struct dir_entry *e)
{
	struct node n = h->dir;

	if (i >= PF_COUNT)
		return -1;
	n.kind = NODE_PID_FILE;
	n.file = (unsigned)i;
	entry_set(e, pid_file_name(n.file), &n);
	return 1;
}

static int ns_root_entry(struct dir_handle *h, size_t i, struct dir_entry *e)
{
	const struct ns_entry *ns;
	struct node n = {.kind = NODE_NS_DIR};

	if (i >= h->ns_list->len)
		return -1;
	ns = &g_array_index(h->ns_list, struct ns_entry, i);
	n.pid = ns->init;
	/* An init gone since the /proc pass: its namespace is too. */
	if (nsview_init_identity(ns->init, ns->init_start, &n.start) < 0)
		return 0;
	entry_set(e, numbered(h, ns->ino), &n);
	return 1;
}

static int ns_dir_entry(struct dir_handle *h, size_t i, struct dir_entry *e)
{
	struct node n = h->dir;

	if (i > NF_COUNT)
		return -1;
	if (i == NF_COUNT) {
		n.kind = NODE_NS_PID_DIR;
		entry_set(e, "pid", &n);
		return 1;
	}
	if (i == NF_PARENT && h->level == 0)
		return 0;
	n.kind = NODE_NS_FILE;
	n.file = (unsigned)i;
	entry_set(e, ns_file_name(n.file), &n);
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

static int metrics_dir_entry(struct dir_handle *h, size_t i, struct dir_entry *e)
{
	struct node n = {.kind = NODE_METRICS_FILE, .view = viewer_view(&h->viewer)};

	if (i > 0)
		return -1;
	entry_set(e, METRICS_FILE_NAME, &n);
	return 1;
}

static int dir_entry_at(struct dir_handle *h, size_t i, struct dir_entry *e)
{
	if (i < 2) {
		e->name = i == 0 ? "." : "..";
		e->ino = i == 0 ? node_ino(&h->dir) : FUSE_ROOT_ID;
		e->type = S_IFDIR;
		return 1;
	}
	switch (h->dir.kind) {
	case NODE_ROOT:
		return root_entry(h, i - 2, e);
	case NODE_PID_DIR:
		return pid_dir_entry(h, i - 2, e);
	case NODE_NS_ROOT:
		return ns_root_entry(h, i - 2, e);
	case NODE_NS_DIR:
		return ns_dir_entry(h, i - 2, e);
	case NODE_NS_PID_DIR:
		return ns_pid_dir_entry(h, i - 2, e);
	case NODE_METRICS_DIR:
		return metrics_dir_entry(h, i - 2, e);
	default:
		return -1;
	}
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	g_autofree char *buf = g_malloc(size);
	struct dir_handle *h = (struct dir_handle *)(uintptr_t)fi->fh;
	struct dir_entry e;
	size_t used = 0;
	int more;

	if (off < 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	for (size_t i = (size_t)off; (more = dir_entry_at(h, i, &e)) >= 0; i++) {
		struct stat st = {.st_ino = e.ino, .st_mode = e.type};
		size_t need;

		if (more == 0)
			continue;
		need = fuse_add_direntry(req, buf + used, size - used, e.name, &st, (off_t)(i + 1));
		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dir_handle *h = (struct dir_handle *)(uintptr_t)fi->fh;

	dir_track(h, false);
	dir_handle_free(h);
	fuse_reply_err(req, 0);
}

/*
 * The name is the one fact about a process that changes while it lives (exec, PR_SET_NAME):
 * read it now, not from the cached model, and check the PID still names the process after.
 */
static int fresh_comm(const struct node *n, struct proc_model *m)
{
	struct proc_stat st;
	int r = proc_read_stat(n->pid, &st);

	if (r == 0)
		r = pidcache_check(n->pid, n->start);
	if (r == 0)
		g_strlcpy(m->comm, st.comm, sizeof(m->comm));
	return r;
}

static int pid_file_content(const struct viewer *v, const struct node *n, GString **out)
{
	struct proc_model m;
	int r = viewer_check_process(v, n->pid);

	if (r == 0)
		r = pidcache_model(n->pid, n->start, &m);
	if (r == 0 && n->file == PF_JSON)
		r = fresh_comm(n, &m);
	if (r < 0)
		return r;
	*out = n->file == PF_JSON ? format_pid_json(&m) : format_pid_file(n->file, &m);
	return 0;
}

static int tree_content(const struct viewer *v, GString **out)
{
	g_autoptr(ns_model) m = NULL;
	const struct ns_info *top = NULL;
	int r = v->scope == VIEWER_NONE ? -EACCES : viewer_model(v, &m, &top);

	if (r < 0)
		return r;
	*out = top ? format_tree(m, top) : g_string_new("");
	return 0;
}

/*
 * The namespaces the reader may see, as tree shows them; the daemon's own counters only for a
 * reader who sees the whole host. Timed from before the /proc pass.
 */
static int metrics_content(const struct viewer *v, GString **out)
{
	gint64 began = g_get_monotonic_time();
	g_autoptr(ns_model) m = NULL;
	const struct ns_info *top = NULL;
	int r = v->scope == VIEWER_NONE ? -EACCES : viewer_model(v, &m, &top);

	if (r < 0)
		return r;
	*out = top ? metrics_text(m, top, v->scope == VIEWER_ALL, began) : g_string_new("");
	return 0;
}

static GString *format_ns_file(enum ns_file f, const struct ns_model *m, const struct ns_info *ns)
{
	switch (f) {
	case NF_INIT:
		return format_ns_init(m, ns);
	case NF_LEVEL:
		return format_ns_level(m, ns);
	case NF_CHILDREN:
		return format_ns_children(m, ns);
	case NF_PIDS:
		return format_ns_pids(m, ns);
	default:
		return format_ns_json(m, ns);
	}
}

static int ns_file_content(const struct viewer *v, const struct node *n, GString **out)
{
	g_autoptr(ns_model) m = NULL;
	const struct ns_info *ns;
	struct ns_target t;
	int r = nsview_target(n, &t);

	if (r == 0)
		r = viewer_check_process(v, t.init);
	if (r == 0)
		r = nsview_model(&t, &m, &ns);
	if (r < 0)
		return r;
	*out = format_ns_file((enum ns_file)n->file, m, ns);
	/* The init outlived the computation: the namespace was the one the node names. */
	r = nsview_target(n, &t);
	if (r < 0) {
		g_string_free(*out, TRUE);
		*out = NULL;
	}
	return r;
}

static int file_content(fuse_req_t req, const struct node *n, GString **out)
{
	mode_t type = node_type(n);
	struct viewer v;

	if (type != S_IFREG)
		return type == S_IFDIR ? -EISDIR : -ELOOP;
	viewer_of(fuse_req_ctx(req)->pid, &v);
	if (n->kind == NODE_PID_FILE)
		return pid_file_content(&v, n, out);
	if (n->kind == NODE_TREE)
		return tree_content(&v, out);
	if (n->kind == NODE_METRICS_FILE)
		return metrics_content(&v, out);
	return ns_file_content(&v, n, out);
}

/*
 * The PID now names another process than this inode's. If its name was cached (visibility
 * all), ESTALE makes the kernel walk the path again, asking the daemon, so the open reaches
 * the new process; through a descriptor of the old directory that walk ends in ENOENT.
 */
static int stale_if_reused(const struct node *n, int r)
{
	uint64_t now;

	if (r == -ENOENT && n->kind == NODE_PID_FILE && pidcache_identity(n->pid, &now) == 0 &&
	    now != n->start)
		return -ESTALE;
	return r;
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct node n;
	g_autoptr(GString) content = NULL;
	struct viewer v;
	int r = node_from_ino(ino, &n);

	viewer_of(fuse_req_ctx(req)->pid, &v);
	if (r == 0 && (fi->flags & O_ACCMODE) != O_RDONLY)
		r = -EROFS;
	if (r == 0)
		r = check_view(req, &n);
	/* What this reader was told the size of, if it asked just before. */
	if (r == 0 && node_attrs_change(&n))
		content = stash_take(ino, &v);
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
		stash_opened(ino, &v, fi->fh, content->len);
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
	struct node n;

	if (node_from_ino(ino, &n) == 0 && node_attrs_change(&n))
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

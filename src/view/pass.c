/*
 * Passes over /proc. Each process is read through a descriptor of its /proc directory, so its
 * status, namespace and start time all describe the same process even if it exits and its PID
 * is reused during the pass. Namespaces that no scanned process names as its own (they sit
 * between levels) are found by walking NS_GET_PARENT up from the first process below them.
 */
#include "pass.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "init_cache.h"
#include "nsfs_compat.h"
#include "nsview.h"
#include "pidns.h"
#include "proc.h"
#include "strategy.h"
#include "util.h"

static int fd_ino(int fd, uint64_t *ino)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	*ino = st.st_ino;
	return 0;
}

/*
 * One pass's working state. The descriptors of the namespaces met so far stay open until the
 * pass ends, so that a process's PID at each level is one NS_GET_PID_IN_PIDNS away instead of
 * a read of its status (which the kernel must generate whole: most of a pass's cost).
 */
struct pass {
	struct ns_model *m;
	GHashTable *ns_fds; /* uint64_t inode -> descriptor + 1 */
	bool ioctls;
};

static void pass_keep_fd(struct pass *p, uint64_t ino, int fd)
{
	if (g_hash_table_contains(p->ns_fds, &ino)) {
		close(fd);
		return;
	}
	g_hash_table_insert(p->ns_fds, g_memdup2(&ino, sizeof(ino)), GINT_TO_POINTER(fd + 1));
}

/*
 * Put the process's namespace, ino, and those above it in the model as the kernel has them:
 * one walk up (NS_GET_PARENT) to the daemon's namespace or to a level this pass has checked
 * already, then top down. A level the model has with another parent is a namespace that ended
 * and gave its inode number to a new one: it is forgotten, with the processes the last model
 * had there (which have all ended too), and added anew. Each level's descriptor is kept, for
 * the ioctls.
 */
static int ensure_chain(struct pass *p, int dirfd, pid_t pid, uint64_t ino)
{
	struct {
		uint64_t ino, parent;
		int fd;
	} up[NSPIDFS_MAX_LEVELS];
	unsigned n = 0;
	int fd = openat(dirfd, "ns/pid", O_RDONLY | O_CLOEXEC), r = 0;
	uint64_t cur = 0;

	if (fd < 0 || fd_ino(fd, &cur) < 0 || cur != ino) {
		nspidfs_close_fd(fd);
		return log_debug_ret(-ENOENT, "pid %d: namespace changed or vanished", pid);
	}
	while (r == 0 && cur != p->m->root_ino && nspidfs_fd_table_get(p->ns_fds, cur) < 0) {
		if (n == NSPIDFS_MAX_LEVELS)
			break;
		up[n].ino = cur;
		up[n].fd = fd;
		fd = ioctl(fd, NS_GET_PARENT);
		if (fd < 0 || fd_ino(fd, &cur) < 0)
			r = log_debug_ret(-EIO, "pid %d: NS_GET_PARENT: %s", pid,
					  g_strerror(errno));
		up[n++].parent = cur;
	}
	nspidfs_close_fd(fd);
	/* Top down: by each level, its parent is in the model. */
	while (n-- > 0) {
		const struct ns_info *ns = ns_model_find(p->m, up[n].ino), *parent;

		if (r == 0 && ns && ns->parent != up[n].parent) {
			g_debug("namespace %" G_GUINT64_FORMAT ": the number of one that ended",
				up[n].ino);
			ns_model_forget_ns(p->m, up[n].ino);
			ns = NULL;
		}
		/* Looked up after the forgetting, which replaces the infos above. */
		parent = ns_model_find(p->m, up[n].parent);
		if (r == 0 && !ns && parent)
			ns_model_add_ns(p->m, up[n].ino, parent->ino, parent->level + 1);
		if (r == 0 && ns_model_has_ns(p->m, up[n].ino))
			pass_keep_fd(p, up[n].ino, up[n].fd);
		else
			close(up[n].fd);
	}
	return r == 0 && ns_model_has_ns(p->m, ino) ? 0 : -EIO;
}

/* Its PID at each level, from the namespaces' descriptors; nspid[0] is the host PID. */
static int nspid_by_ioctl(struct pass *p, pid_t pid, const struct ns_info *ns, pid_t *nspid,
			  unsigned *depth)
{
	*depth = ns->level + 1;
	nspid[0] = pid;
	for (; ns && ns->level > 0; ns = ns_model_find(p->m, ns->parent)) {
		int fd = nspidfs_fd_table_get(p->ns_fds, ns->ino);
		int v = fd < 0 ? -1 : ioctl(fd, NS_GET_PID_IN_PIDNS, pid);

		if (v <= 0)
			return -ESRCH;
		nspid[ns->level] = v;
	}
	return 0;
}

static void add_proc(struct pass *p, pid_t pid, const struct proc_stat *ps, uint64_t ino,
		     const pid_t *nspid, unsigned depth)
{
	ns_model_add_proc(p->m, pid, ps->state, ps->threads, ps->comm, ino, nspid, depth,
			  ps->start);
}

/* Without the ioctls, or where they fail: NSpid from the status file. */
static void scan_by_status(struct pass *p, int dir, pid_t pid, const struct proc_stat *ps)
{
	struct proc_status st;
	uint64_t ino = p->m->root_ino;
	const struct ns_info *ns;

	if (proc_read_status_at(dir, pid, &st) < 0)
		return;
	/* NSpid of one entry: the daemon's own namespace, whose link may be unreadable (PID 1). */
	if (st.nspid_count > 1) {
		if (proc_ns_ino_at(dir, pid, &ino) < 0)
			return;
		if (ensure_chain(p, dir, pid, ino) < 0)
			return;
		ns = ns_model_find(p->m, ino);
		if (!ns || ns->level + 1 != st.nspid_count)
			return;
	}
	add_proc(p, pid, ps, ino, st.nspid, st.nspid_count);
}

static void scan_one(struct pass *p, pid_t pid)
{
	autofd dir = proc_open_dir(pid);
	struct proc_stat ps;
	pid_t nspid[NSPIDFS_MAX_LEVELS];
	unsigned depth = 1;
	uint64_t ino;
	const struct ns_info *ns = NULL;
	bool by_status = !p->ioctls;

	if (dir < 0)
		return;
	if (!by_status && proc_ns_ino_at(dir, pid, &ino) < 0)
		by_status = true;
	nspid[0] = pid;
	if (!by_status && ino != p->m->root_ino) {
		if (ensure_chain(p, dir, pid, ino) < 0)
			return;
		ns = ns_model_find(p->m, ino);
		by_status = !ns || nspid_by_ioctl(p, pid, ns, nspid, &depth) < 0;
	}
	/*
	 * Read last, through the directory: it fails if the process is gone, so the PID the
	 * ioctls were given still named this process when they answered.
	 */
	if (proc_read_stat_at(dir, pid, &ps) < 0 || proc_is_kthread(&ps))
		return;
	if (by_status)
		scan_by_status(p, dir, pid, &ps);
	else
		add_proc(p, pid, &ps, ino, nspid, depth);
}

pid_t pass_last_pid(void)
{
	g_autofree char *text = NULL;

	if (!g_file_get_contents("/proc/sys/kernel/ns_last_pid", &text, NULL, NULL))
		return -1;
	return (pid_t)g_ascii_strtoll(text, NULL, 10);
}

/*
 * Each init's identity names its namespace's directory, and the init cache lets a later
 * lookup by inode need no new model while the init lives: both once per init, for the
 * namespaces new or changed in this model (the others keep theirs).
 */
static void note_init(struct ns_info *ns)
{
	if (ns->init <= 0)
		return;
	if (!ns->has_init_id)
		ns->has_init_id = nsview_init_identity(ns->init, ns->init_start, &ns->init_id) == 0;
	if (ns->level > 0)
		init_cache_note(ns->ino, ns->init, ns->init_start);
}

/* A pass over a new model, or over one derived from base. */
static int pass_begin(struct pass *p, struct ns_model *base)
{
	uint64_t root = pidns_own_ino();

	if (!root)
		return log_debug_ret(-EACCES, "cannot scan /proc: own PID namespace unknown");
	p->m = base ? ns_model_derive(base) : ns_model_new(root);
	p->m->last_pid = pass_last_pid();
	p->ns_fds = nspidfs_fd_table_new();
	p->ioctls = nsfs_pid_ioctls_work();
	return 0;
}

static void pass_end(struct pass *p, const char *what, struct ns_model **out)
{
	g_hash_table_unref(p->ns_fds);
	ns_model_finish_with(p->m, note_init);
	p->m->done_at = g_get_monotonic_time();
	g_debug("%s: %u processes in %u PID namespaces, %" G_GINT64_FORMAT " us", what,
		ns_model_procs(p->m)->len, p->m->order->len, p->m->done_at - p->m->built_at);
	*out = p->m;
}

int pass_full(struct ns_model **out)
{
	g_autoptr(GArray) pids = g_array_new(FALSE, FALSE, sizeof(pid_t));
	struct pass p;
	int r = pass_begin(&p, NULL);

	if (r < 0)
		return r;
	r = proc_list_pids(pids);
	if (r < 0) {
		ns_model_unref(p.m);
		g_hash_table_unref(p.ns_fds);
		return log_debug_ret(r, "cannot scan /proc: %s", g_strerror(-r));
	}
	for (guint i = 0; i < pids->len; i++)
		scan_one(&p, g_array_index(pids, pid_t, i));
	pass_end(&p, "/proc pass", out);
	return 0;
}

int pass_update(struct ns_model *old, const GArray *changed, struct ns_model **out)
{
	struct pass p;
	int r = pass_begin(&p, old);

	if (r < 0)
		return r;
	for (guint i = 0; i < changed->len; i++) {
		pid_t pid = g_array_index(changed, pid_t, i);

		ns_model_drop_proc(p.m, pid);
		scan_one(&p, pid);
	}
	pass_end(&p, "update", out);
	return 0;
}

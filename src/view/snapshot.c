/*
 * One pass over /proc. Each process is read through a descriptor of its /proc directory, so
 * its status, namespace and start time all describe the same process even if it exits and its
 * PID is reused during the pass. Namespaces that no scanned process names as its own (they
 * sit between levels) are found by walking NS_GET_PARENT up from the first process below them.
 */
#include "snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "init_cache.h"
#include "nsfs_compat.h"
#include "pidns.h"
#include "proc.h"
#include "strategy.h"
#include "util.h"

static GMutex lock;
static struct ns_model *current;
static unsigned validity_ms = SNAPSHOT_DEFAULT_VALIDITY_MS;

void snapshot_configure(unsigned ms)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);

	validity_ms = ms;
	g_clear_pointer(&current, ns_model_unref);
}

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
 * Add namespace ino, the process's own, and every namespace above it the model lacks: walk
 * NS_GET_PARENT up to one the model knows (at worst the daemon's), then add them top down.
 */
static int add_chain(struct pass *p, int dirfd, pid_t pid, uint64_t ino)
{
	struct {
		uint64_t ino;
		int fd;
	} up[NSPIDFS_MAX_LEVELS];
	unsigned n = 0;
	int fd = openat(dirfd, "ns/pid", O_RDONLY | O_CLOEXEC), r = 0;
	uint64_t cur = 0;
	const struct ns_info *known;

	if (fd < 0 || fd_ino(fd, &cur) < 0 || cur != ino) {
		if (fd >= 0)
			close(fd);
		return log_debug_ret(-ENOENT, "pid %d: namespace changed or vanished", pid);
	}
	while (!ns_model_has_ns(p->m, cur) && n < NSPIDFS_MAX_LEVELS) {
		up[n].ino = cur;
		up[n++].fd = fd;
		fd = ioctl(fd, NS_GET_PARENT);
		if (fd < 0 || fd_ino(fd, &cur) < 0) {
			r = log_debug_ret(-EIO, "pid %d: NS_GET_PARENT: %s", pid,
					  g_strerror(errno));
			break;
		}
	}
	known = r == 0 ? ns_model_find(p->m, cur) : NULL;
	if (fd >= 0)
		close(fd);
	while (n-- > 0) {
		if (known) {
			ns_model_add_ns(p->m, up[n].ino, known->ino, known->level + 1);
			known = ns_model_find(p->m, up[n].ino);
			pass_keep_fd(p, up[n].ino, up[n].fd);
		} else {
			close(up[n].fd);
		}
	}
	return known ? 0 : -EIO;
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
	/* An init's start time names its namespace's directory. */
	ns_model_add_proc(p->m, pid, ps->state, ps->threads, ps->comm, ino, nspid, depth,
			  nspid[depth - 1] == 1 ? ps->start : 0);
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
		if (!ns_model_has_ns(p->m, ino) && add_chain(p, dir, pid, ino) < 0)
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
		if (!ns_model_has_ns(p->m, ino) && add_chain(p, dir, pid, ino) < 0)
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

/* The last PID allocated in the daemon's namespace: any new process anywhere below moves it. */
static pid_t last_pid(void)
{
	g_autofree char *text = NULL;

	if (!g_file_get_contents("/proc/sys/kernel/ns_last_pid", &text, NULL, NULL))
		return -1;
	return (pid_t)g_ascii_strtoll(text, NULL, 10);
}

/* So that a later lookup of a namespace by inode needs no pass while its init lives. */
static void remember_inits(const struct ns_model *m)
{
	for (guint i = 0; i < m->order->len; i++) {
		const struct ns_info *ns = g_ptr_array_index(m->order, i);

		if (ns->init > 0 && ns->level > 0)
			init_cache_note(ns->ino, ns->init, ns->init_start);
	}
}

int snapshot_build(struct ns_model **out)
{
	g_autoptr(GArray) pids = g_array_new(FALSE, FALSE, sizeof(pid_t));
	gint64 began = g_get_monotonic_time();
	pid_t before = last_pid();
	uint64_t root = pidns_own_ino();
	struct ns_model *m;
	struct pass pass;
	int r = root ? 0 : -EACCES;

	if (r == 0)
		r = proc_list_pids(pids);
	if (r < 0)
		return log_debug_ret(r, "cannot scan /proc: %s", g_strerror(-r));
	m = ns_model_new(root);
	m->last_pid = before;
	m->built_at = began;
	pass.m = m;
	pass.ns_fds = nspidfs_fd_table_new();
	pass.ioctls = nsfs_pid_ioctls_work();
	for (guint i = 0; i < pids->len; i++)
		scan_one(&pass, g_array_index(pids, pid_t, i));
	g_hash_table_unref(pass.ns_fds);
	ns_model_finish(m);
	m->done_at = g_get_monotonic_time();
	remember_inits(m);
	g_debug("/proc pass: %u processes in %u PID namespaces, %" G_GINT64_FORMAT " us",
		m->procs->len, m->order->len, g_get_monotonic_time() - began);
	*out = m;
	return 0;
}

static bool fresh(const struct ns_model *m)
{
	/* From the pass's end: a pass longer than the validity must still serve its readers. */
	return m && g_get_monotonic_time() - m->done_at < (gint64)validity_ms * 1000;
}

/*
 * Passes are shared and spaced: a new one starts at least PASS_GAP_FACTOR times the last
 * one's length after it ended (and PASS_GAP_MIN_US), so that however many readers ask (a
 * flood of names that do not exist included), passes take at most a fraction of one CPU.
 * A reader who needs a newer pass (the last is older than the validity, or lacks a name it
 * asks for) waits for the next allowed one, unless MAX_WAITERS do already: then it is
 * answered from the last, so that waiting cannot take every worker.
 */
#define PASS_GAP_FACTOR 3
#define PASS_GAP_MIN_US 10000
#define MAX_WAITERS	2
static GCond pass_done;
static unsigned waiters;
static guint64 passes;

uint64_t snapshot_passes(void)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);

	return passes;
}

/* With lock held: when the next pass may start. */
static gint64 next_pass_at(void)
{
	if (!current)
		return 0;
	return current->done_at +
	       MAX(PASS_GAP_MIN_US, PASS_GAP_FACTOR * (current->done_at - current->built_at));
}

static struct ns_model *build_now(int *err)
{
	struct ns_model *m;

	*err = snapshot_build(&m);
	if (*err < 0)
		return NULL;
	g_clear_pointer(&current, ns_model_unref);
	current = m;
	passes++;
	g_cond_broadcast(&pass_done);
	return ns_model_ref(m);
}

/*
 * With lock held: the shared model if it was built after not_before; else a new pass when one
 * is allowed, waited for unless too many wait already, then the last one.
 */
static struct ns_model *rebuild(gint64 not_before, int *err)
{
	bool waiting = false;
	struct ns_model *m;

	for (;;) {
		gint64 at = next_pass_at();

		if (current && current->built_at >= not_before)
			break;
		if (g_get_monotonic_time() >= at) {
			m = build_now(err);
			goto out;
		}
		if (!waiting && waiters >= MAX_WAITERS)
			break;
		if (!waiting)
			waiters++;
		waiting = true;
		g_cond_wait_until(&pass_done, &lock, at);
	}
	m = ns_model_ref(current);
out:
	if (waiting)
		waiters--;
	return m;
}

struct ns_model *snapshot_get(int *err)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);

	/* Readers wait for one pass in progress rather than start their own. */
	if (fresh(current))
		return ns_model_ref(current);
	return rebuild(g_get_monotonic_time() - (gint64)validity_ms * 1000 + 1, err);
}

struct ns_model *snapshot_refresh(struct ns_model *seen, int *err)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = NULL;

	if (last_pid() == seen->last_pid)
		return ns_model_ref(seen);
	locker = g_mutex_locker_new(&lock);
	return rebuild(seen->built_at + 1, err);
}

struct ns_model *snapshot_find(snapshot_found found, const void *arg, int *err)
{
	struct ns_model *m = snapshot_get(err);

	if (m && !found(m, arg)) {
		struct ns_model *newer = snapshot_refresh(m, err);

		ns_model_unref(m);
		m = newer;
	}
	return m;
}

struct member_query {
	uint64_t ns_ino;
	pid_t nspid;
	pid_t *host;
};

static bool member_found(const struct ns_model *m, const void *arg)
{
	const struct member_query *q = arg;

	return ns_model_find_member(m, q->ns_ino, q->nspid, q->host) == 0;
}

int snapshot_find_member(uint64_t ns_ino, pid_t nspid, pid_t *host)
{
	struct member_query q = {.ns_ino = ns_ino, .nspid = nspid, .host = host};
	int r = 0;
	g_autoptr(ns_model) m = snapshot_find(member_found, &q, &r);

	if (!m)
		return r;
	return member_found(m, &q) ? 0 : -ESRCH;
}

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
#include "proc.h"
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

static int own_ns_ino(uint64_t *ino)
{
	struct stat st;

	if (stat("/proc/self/ns/pid", &st) < 0)
		return -errno;
	*ino = st.st_ino;
	return 0;
}

static int fd_ino(int fd, uint64_t *ino)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	*ino = st.st_ino;
	return 0;
}

/* Add namespace ino (at level) and those above it that the model lacks. */
static int add_chain(struct ns_model *m, int dirfd, pid_t pid, uint64_t ino, unsigned level)
{
	autofd fd = openat(dirfd, "ns/pid", O_RDONLY | O_CLOEXEC);
	uint64_t check;

	if (fd < 0 || fd_ino(fd, &check) < 0 || check != ino)
		return log_debug_ret(-ENOENT, "pid %d: namespace changed or vanished", pid);
	while (!ns_model_has_ns(m, ino)) {
		uint64_t parent;
		int pfd;

		/* Level 1's parent is the daemon's namespace: no need to ask. */
		if (level == 1) {
			ns_model_add_ns(m, ino, m->root_ino, 1);
			break;
		}
		pfd = ioctl(fd, NS_GET_PARENT);
		if (pfd < 0)
			return log_debug_ret(-errno, "pid %d: NS_GET_PARENT: %s", pid,
					     g_strerror(errno));
		close(fd);
		fd = pfd;
		if (fd_ino(fd, &parent) < 0)
			return -EIO;
		ns_model_add_ns(m, ino, parent, level);
		ino = parent;
		level--;
	}
	return 0;
}

static void scan_one(struct ns_model *m, pid_t pid)
{
	autofd dir = proc_open_dir(pid);
	struct proc_status st;
	struct proc_stat ps = {.start = 0};
	uint64_t ino = m->root_ino;
	unsigned level;

	if (dir < 0 || proc_read_status_at(dir, pid, &st) < 0 || st.kthread)
		return;
	level = st.nspid_count - 1;
	/* NSpid of one entry: the daemon's own namespace, whose link may be unreadable (PID 1). */
	if (level > 0) {
		if (proc_ns_ino_at(dir, pid, &ino) < 0 || add_chain(m, dir, pid, ino, level) < 0)
			return;
	}
	/* An init's start time names its namespace's directory. */
	if (st.nspid[level] == 1 && proc_read_stat_at(dir, pid, &ps) < 0)
		return;
	ns_model_add_proc(m, pid, st.state, st.threads, st.name, ino, st.nspid, st.nspid_count,
			  ps.start);
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
	uint64_t root = 0;
	struct ns_model *m;
	int r = own_ns_ino(&root);

	if (r == 0)
		r = proc_list_pids(pids);
	if (r < 0)
		return log_debug_ret(r, "cannot scan /proc: %s", g_strerror(-r));
	m = ns_model_new(root);
	m->last_pid = before;
	m->built_at = began;
	for (guint i = 0; i < pids->len; i++)
		scan_one(m, g_array_index(pids, pid_t, i));
	ns_model_finish(m);
	remember_inits(m);
	g_debug("/proc pass: %u processes in %u PID namespaces, %" G_GINT64_FORMAT " us",
		m->procs->len, m->order->len, g_get_monotonic_time() - began);
	*out = m;
	return 0;
}

static bool fresh(const struct ns_model *m)
{
	return m && g_get_monotonic_time() - m->built_at < (gint64)validity_ms * 1000;
}

/* With lock held: replace the shared model unless one built after not_before exists. */
static struct ns_model *rebuild(gint64 not_before, int *err)
{
	struct ns_model *m;

	if (current && current->built_at >= not_before)
		return ns_model_ref(current);
	*err = snapshot_build(&m);
	if (*err < 0)
		return NULL;
	g_clear_pointer(&current, ns_model_unref);
	current = m;
	return ns_model_ref(m);
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

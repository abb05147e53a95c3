/*
 * The rule is applied where every request reaches the daemon whatever the kernel caches:
 * LOOKUP of names with entry timeout 0 (PIDs, namespace inodes, reverse-lookup PIDs), OPEN,
 * OPENDIR/READDIR and READLINK. The kernel's dentry cache is shared by every reader and every
 * bind mount, so a check anywhere else could be bypassed by what another reader looked up.
 */
#include "visibility.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "live_table.h"
#include "nsfs_compat.h"
#include "pidns.h"
#include "proc.h"
#include "strategy.h"
#include "util.h"

static enum visibility_mode mode = VISIBILITY_CALLER;
static uint64_t daemon_ns; /* set before the FUSE loop starts, read-only after */

/*
 * Who a calling thread is, kept while it lives: its PID namespace cannot change, and reading it
 * costs a stat of /proc/TID/ns/pid on every request otherwise. Keyed by thread, as FUSE names
 * the caller.
 */
#define VIEWER_CACHE_ENTRIES 1024
static struct live_table *viewers;

static const char *const mode_names[] = {
    [VISIBILITY_CALLER] = "caller",
    [VISIBILITY_ALL] = "all",
};

const char *visibility_name(enum visibility_mode m)
{
	return m <= VISIBILITY_ALL ? mode_names[m] : "?";
}

int visibility_from_name(const char *name, enum visibility_mode *out)
{
	for (unsigned i = 0; i < G_N_ELEMENTS(mode_names); i++) {
		if (strcmp(name, mode_names[i]) == 0) {
			*out = (enum visibility_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * Descriptors of the readers' PID namespaces, by inode. Whether a reader may see a PID is then
 * one NS_GET_PID_IN_PIDNS, which costs the same for a PID it may not see as for one that does
 * not exist, and which is asked before anything is resolved, read or cached about that PID:
 * so neither the answer, nor its time, nor what the daemon keeps tells them apart. A reader's
 * namespace lives at least as long as the reader, so a descriptor is never about another
 * namespace; past NS_FDS_MAX, all go (the namespaces of readers gone since pile up otherwise).
 */
#define NS_FDS_MAX 1024
static GMutex ns_fds_lock;
static GHashTable *ns_fds; /* uint64_t inode -> descriptor + 1 */
static bool pid_ioctls;

/* Keep fd as namespace ino's descriptor (or close it: one is kept already). */
static void ns_fd_keep(uint64_t ino, int fd)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&ns_fds_lock);

	if (!ns_fds)
		ns_fds = nspidfs_fd_table_new();
	if (g_hash_table_contains(ns_fds, &ino)) {
		close(fd);
		return;
	}
	if (g_hash_table_size(ns_fds) >= NS_FDS_MAX)
		g_hash_table_remove_all(ns_fds);
	g_hash_table_insert(ns_fds, g_memdup2(&ino, sizeof(ino)), GINT_TO_POINTER(fd + 1));
}

static void ns_fds_clear(void)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&ns_fds_lock);

	g_clear_pointer(&ns_fds, g_hash_table_unref);
}

/* 1 if pid (of the daemon's namespace) has a PID in namespace ino, 0 if not, -1 if unknown. */
static int ns_holds(uint64_t ino, pid_t pid)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&ns_fds_lock);
	int fd = nspidfs_fd_table_get(ns_fds, ino);

	/* Under the lock: a clear cannot close the descriptor meanwhile. */
	if (fd < 0)
		return -1;
	return pid > 0 && ioctl(fd, NS_GET_PID_IN_PIDNS, pid) > 0;
}

/*
 * The reader's namespace inode; for a namespace other than the daemon's, its descriptor kept
 * for ns_holds() if it can be opened (else the checks fall back on /proc).
 */
static int viewer_ns(pid_t caller, uint64_t *ino)
{
	char path[64];
	struct stat st;
	int fd, r = proc_ns_ino_at(-1, caller, ino);

	if (r < 0 || !pid_ioctls || *ino == daemon_ns)
		return r;
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)caller);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0 && st.st_ino == *ino)
		ns_fd_keep(*ino, fd);
	else
		close(fd);
	return 0;
}

void visibility_configure(enum visibility_mode m)
{
	mode = m;
	live_table_free(viewers);
	viewers = live_table_new(VIEWER_CACHE_ENTRIES, sizeof(struct viewer), PIDFD_THREAD);
	ns_fds_clear();
	pid_ioctls = m == VISIBILITY_CALLER && nsfs_pid_ioctls_work();
	if (proc_ns_ino_at(-1, getpid(), &daemon_ns) < 0)
		g_warning("cannot read the daemon's own PID namespace: every reader is a stranger");
}

static void viewer_read(pid_t caller, struct viewer *v)
{
	struct proc_status st;

	memset(v, 0, sizeof(*v));
	v->pid = caller;
	v->scope = VIEWER_ALL;
	if (mode == VISIBILITY_ALL)
		return;
	v->scope = VIEWER_NONE;
	if (caller <= 0 || viewer_ns(caller, &v->ns_ino) < 0) {
		g_debug("request from pid %d: not identifiable, shown nothing", caller);
		return;
	}
	if (v->ns_ino == daemon_ns) {
		v->scope = VIEWER_ALL;
		return;
	}
	if (proc_read_status(caller, &st) < 0 || st.nspid_count < 2)
		return;
	v->scope = VIEWER_NS;
	v->level = st.nspid_count - 1;
}

bool visibility_all(void)
{
	return mode == VISIBILITY_ALL;
}

void viewer_of(pid_t caller, struct viewer *v)
{
	int fd;

	if (mode == VISIBILITY_ALL || caller <= 0) {
		viewer_read(caller, v);
		return;
	}
	if (live_table_get(viewers, caller, v))
		return;
	fd = live_table_pidfd(viewers, caller);
	viewer_read(caller, v);
	/* Not readable now is not a fact about the thread: ask again next time. */
	if (v->scope == VIEWER_NONE && fd >= 0) {
		close(fd);
		fd = -1;
	}
	live_table_put(viewers, caller, fd, v, true);
}

bool viewer_cached(pid_t caller, struct viewer *v)
{
	if (mode == VISIBILITY_ALL) {
		viewer_read(caller, v);
		return true;
	}
	return caller > 0 && live_table_get(viewers, caller, v);
}

int viewer_check_model(const struct viewer *v, const struct proc_model *m)
{
	if (v->scope == VIEWER_ALL)
		return 0;
	if (v->scope == VIEWER_NONE)
		return -EACCES;
	return m->depth > v->level && m->lv[v->level].ns_ino == v->ns_ino ? 0 : -ENOENT;
}

void visibility_counts(struct live_table_counts *out)
{
	live_table_counts(viewers, out);
}

void visibility_clear(void)
{
	live_table_clear(viewers);
	ns_fds_clear();
}

/*
 * ns_holds() for v's namespace, its descriptor opened again if it was let go (past
 * NS_FDS_MAX): whatever pid is, so that the cost cannot tell hidden from missing either.
 */
static int reader_ns_holds(const struct viewer *v, pid_t pid)
{
	uint64_t ino;
	int r = ns_holds(v->ns_ino, pid);

	if (r >= 0 || !pid_ioctls || viewer_ns(v->pid, &ino) < 0 || ino != v->ns_ino)
		return r;
	return ns_holds(v->ns_ino, pid);
}

int viewer_check_process(const struct viewer *v, pid_t pid)
{
	autochain struct pidns_chain chain = {.depth = 0};
	uint64_t ino;

	if (v->scope == VIEWER_ALL)
		return 0;
	if (v->scope == VIEWER_NONE)
		return -EACCES;
	switch (reader_ns_holds(v, pid)) {
	case 1:
		return 0;
	case 0:
		return -ENOENT;
	}
	/* Without the ioctls. Most often the process is in the viewer's own namespace: one stat. */
	if (proc_ns_ino_at(-1, pid, &ino) < 0)
		return -ENOENT;
	if (ino == v->ns_ino)
		return 0;
	if (pidns_chain_open(pid, &chain) < 0 || chain.depth <= v->level ||
	    chain.ino[v->level] != v->ns_ino)
		return log_debug_ret(-ENOENT, "pid %d: hidden from pid %d's namespace", pid,
				     v->pid);
	return 0;
}

uint64_t viewer_view(const struct viewer *v)
{
	switch (v->scope) {
	case VIEWER_ALL:
		return VIEW_ALL;
	case VIEWER_NS:
		return v->ns_ino;
	default:
		return VIEW_NONE;
	}
}

const struct ns_info *viewer_top(const struct viewer *v, const struct ns_model *m)
{
	switch (v->scope) {
	case VIEWER_ALL:
		return ns_model_root(m);
	case VIEWER_NS:
		return ns_model_find(m, v->ns_ino);
	default:
		return NULL;
	}
}

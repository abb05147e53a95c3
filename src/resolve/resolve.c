/*
 * request -> resolve -> compute: tie a lookup to the process's identity, open its namespace
 * chain, let the strategy translate, then check the identity again. If the PID names the same
 * process (same identity) after the computation, that process held the PID throughout, so
 * every fact gathered in between is about it.
 */
#include "resolve.h"

#include <errno.h>
#include <glib.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "nscache.h"
#include "pidfd_compat.h"
#include "pidns.h"
#include "proc.h"
#include "strategy.h"
#include "util.h"

/*
 * Where pidfds live on pidfs (Linux 6.9), a pidfd's inode number is unique to its task for the
 * whole boot (a 64-bit counter), so it tells a reused PID from its previous holder even when
 * both started within one clock tick, which start times cannot. The kernel caches a process's
 * files under inode numbers built from these bits: they must never match the next holder's.
 */
bool resolve_ids_unique(void)
{
	static gsize once;
	static bool yes;

	if (g_once_init_enter(&once)) {
		struct statfs sf;
		int fd = pidfd_open(getpid(), 0);

		yes = fd >= 0 && fstatfs(fd, &sf) == 0 && sf.f_type == PIDFS_MAGIC;
		if (fd >= 0)
			close(fd);
		if (!yes)
			g_info("pidfds have no inodes of their own (Linux < 6.9): processes are "
			       "told apart by start time, to a clock tick");
		g_once_init_leave(&once, 1);
	}
	return yes;
}

int resolve_identity_of(int pidfd, pid_t pid, uint64_t *id)
{
	struct proc_stat ps;
	struct stat st;
	int fd = pidfd, r = 0;

	if (!resolve_ids_unique()) {
		r = proc_read_stat(pid, &ps);
		if (r == 0)
			*id = resolve_id_bits(ps.start);
		return r;
	}
	if (fd < 0)
		fd = pidfd_open(pid, PIDFD_THREAD);
	if (fd < 0)
		return errno == ESRCH ? -ENOENT : -errno;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else
		*id = resolve_id_bits(st.st_ino);
	if (fd != pidfd)
		close(fd);
	return r;
}

int resolve_identity(pid_t pid, uint64_t *id)
{
	return resolve_identity_of(-1, pid, id);
}

/*
 * The identity before the read: if it is the same at the end of the computation, one process
 * held the PID throughout (identities are never reused), so everything read is about it. A
 * zombie is answered for as /proc still shows it, until it is reaped.
 */
static int check_identity_stat(int pidfd, pid_t pid, uint64_t want, struct proc_stat *out)
{
	struct proc_stat st;
	uint64_t id;
	int r = resolve_identity_of(pidfd, pid, &id);

	if (r == 0 && id != want)
		return log_debug_ret(-ENOENT, "pid %d: reused by another process", pid);
	if (r == 0)
		r = proc_read_stat(pid, &st);
	if (r < 0)
		return r == -ENOENT ? log_debug_ret(r, "pid %d: no such process", pid) : r;
	if (out)
		*out = st;
	return 0;
}

/*
 * Still the process the computation began with? With a pidfd held since before it, that is
 * one poll(): a process that has not exited holds its PID. Without one, or for a zombie (whose
 * pidfd says it exited from the start), read it again.
 */
static int check_identity(int pidfd, pid_t pid, uint64_t want, bool zombie)
{
	if (pidfd >= 0 && resolve_ids_unique() && !zombie)
		return proc_pidfd_exited(pidfd, 0) ? -ENOENT : 0;
	return check_identity_stat(-1, pid, want, NULL);
}

/*
 * A namespace being torn down fails its translations (a helper cannot join it) a moment
 * before the kernel has killed its processes: one that exits within DYING_MS of a failure
 * was one of them, and the answer is ENOENT, not the helper's error.
 */
#define DYING_MS 50

static bool dying(int pidfd)
{
	/* Not on the thread that reads requests: every reader would wait. */
	int wait_ms = strategy_helpers_forbidden() ? 0 : DYING_MS;

	return pidfd >= 0 && resolve_ids_unique() && proc_pidfd_exited(pidfd, wait_ms);
}

/*
 * Surely not a kernel thread: every kernel thread is a child of kthreadd (PID 2) or of the
 * idle task (PID 0 for PID 1 and 2), and PIDFD_GET_INFO (Linux 6.13) gives the parent. The
 * few user processes whose parent is kthreadd (usermode helpers) go the /proc way.
 */
static bool surely_not_kthread(int pidfd)
{
	struct nspidfs_pidfd_info info = {.mask = NSPIDFS_PIDFD_INFO_PID};

	return ioctl(pidfd, NSPIDFS_PIDFD_GET_INFO, &info) == 0 &&
	       (info.mask & NSPIDFS_PIDFD_INFO_PID) && info.ppid != 0 && info.ppid != 2;
}

/* chain_by_pidfd() could not settle it: read /proc. */
#define NOT_SETTLED 1

/*
 * The namespace chain straight from the pidfd (Linux 6.11), without /proc: instantiating a new
 * process's /proc entries cost more than all the rest of its first read. Whether it lives
 * is the final poll() of the pidfd; whether it is a kernel thread needs asking only in the
 * daemon's own namespace, the only one that has them (Linux 6.13 answers). Anything unusual
 * (an older kernel, a zombie leader whose threads live on, which has no namespaces left to
 * ask for, a child of kthreadd, PID 1's unreadable namespace) is NOT_SETTLED, for /proc.
 */
static int chain_by_pidfd(int pidfd, struct pidns_chain *chain, bool *walked)
{
	int fd, r;

	if (pidfd < 0 || !resolve_ids_unique())
		return NOT_SETTLED;
	fd = ioctl(pidfd, NSPIDFS_PIDFD_GET_PID_NAMESPACE, 0);
	if (fd < 0)
		return NOT_SETTLED;
	r = nscache_chain(fd, chain);
	if (r == NSCACHE_HIT)
		return 0;
	if (r == 0 && chain->depth == 1 && !surely_not_kthread(pidfd)) {
		pidns_chain_close(chain);
		return NOT_SETTLED;
	}
	*walked = r == 0;
	return r;
}

/*
 * A process whose namespace link the kernel refuses to open (EACCES, even for root on some
 * hosts: PID 1 with a non-dumpable init and no CAP_SYS_PTRACE, or under an LSM) still shows its
 * PIDs in its status: one level there is a member of the daemon's own namespace, whose chain
 * the daemon knows.
 */
static int own_member_chain(pid_t pid, struct pidns_chain *chain)
{
	struct proc_status st;
	int r = proc_read_status(pid, &st);

	if (r < 0)
		return r;
	if (st.nspid_count != 1)
		return log_debug_ret(-EACCES, "pid %d: namespace not readable, %u levels", pid,
				     st.nspid_count);
	return pidns_chain_own(chain);
}

/*
 * The chain as /proc gives it. A kernel thread is in the daemon's namespace too: /proc/2/status
 * says NSpid: 2.
 */
static int chain_by_proc(int pidfd, pid_t pid, uint64_t want, struct pidns_chain *chain,
			 struct proc_stat *st)
{
	int r = check_identity_stat(pidfd, pid, want, st);

	if (r == 0)
		r = pidns_chain_open(pid, chain);
	return r == -EACCES ? own_member_chain(pid, chain) : r;
}

int resolve_process_fd(int pidfd, pid_t pid, uint64_t want, struct proc_model *out)
{
	autochain struct pidns_chain chain = {.depth = 0};
	struct proc_stat st = {.comm = ""};
	bool walked = false, zombie = false;
	int r = chain_by_pidfd(pidfd, &chain, &walked);

	if (r == NOT_SETTLED) {
		r = chain_by_proc(pidfd, pid, want, &chain, &st);
		zombie = proc_is_zombie(&st);
	}
	/* /proc answers EACCES, not ENOENT, for a task reaped while its ns link is followed. */
	if (r < 0) {
		if (check_identity(pidfd, pid, want, zombie) == -ENOENT)
			r = -ENOENT;
		strategy_count_unasked(r);
		return r;
	}
	out->host_pid = pid;
	out->start = want;
	g_strlcpy(out->comm, st.comm, sizeof(out->comm));
	out->depth = chain.depth;
	for (unsigned k = 0; k < chain.depth; k++)
		out->lv[k].ns_ino = chain.ino[k];
	/* In the daemon's own namespace the host PID is the PID and PID 1 is the init. */
	out->lv[0].pid = pid;
	out->lv[0].init = 1;
	r = strategy_translate(&chain, pid, out);
	if (r == -ESRCH)
		r = -ENOENT;
	/* EAGAIN (no helper may be forked now) is no sign of a teardown: no wait for one. */
	if (check_identity(pidfd, pid, want, zombie) == -ENOENT ||
	    (r < 0 && r != -ENOENT && r != -EAGAIN && !zombie && dying(pidfd)))
		return log_debug_ret(-ENOENT, "pid %d: exited while being resolved", pid);
	if (r == 0 && walked)
		nscache_store(&chain, pidfd, out);
	return r;
}

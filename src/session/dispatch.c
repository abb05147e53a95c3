#include "dispatch.h"

#include <glib.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "adopt.h"
#include "fs_fast.h"
#include "fs_ops.h"
#include "live_table.h"
#include "pagecache.h"
#include "strategy.h"
#include "util.h"

enum op { OP_LOOKUP, OP_GETATTR, OP_READLINK, OP_OPENDIR, OP_READDIR, OP_OPEN };

/* A request as the blocking handler will see it. */
struct job {
	enum op op;
	fuse_req_t req;
	fuse_ino_t ino;
	struct fuse_file_info fi;
	bool has_fi;
	size_t size;
	off_t off;
	char name[]; /* OP_LOOKUP */
};

static GThreadPool *pool;

static void run(gpointer data, gpointer user_data)
{
	struct job *j = data;
	struct fuse_file_info *fi = j->has_fi ? &j->fi : NULL;
	const struct fuse_lowlevel_ops *ops = &nspidfs_ops;

	/* Their replies carry an fh, which adopt.c tags with this server's generation. */
	adopt_replying_open(j->op == OP_OPEN || j->op == OP_OPENDIR);
	switch (j->op) {
	case OP_LOOKUP:
		ops->lookup(j->req, j->ino, j->name);
		break;
	case OP_GETATTR:
		ops->getattr(j->req, j->ino, fi);
		break;
	case OP_READLINK:
		ops->readlink(j->req, j->ino);
		break;
	case OP_OPENDIR:
		ops->opendir(j->req, j->ino, fi);
		break;
	case OP_READDIR:
		ops->readdir(j->req, j->ino, j->size, j->off, fi);
		break;
	case OP_OPEN:
		ops->open(j->req, j->ino, fi);
		break;
	}
	adopt_replying_open(false);
	g_free(j);
}

static void defer(enum op op, fuse_req_t req, fuse_ino_t ino, const char *name,
		  const struct fuse_file_info *fi, size_t size, off_t off)
{
	size_t name_len = name ? strlen(name) + 1 : 0;
	struct job *j = g_malloc0(sizeof(*j) + name_len);

	j->op = op;
	j->req = req;
	j->ino = ino;
	j->has_fi = fi != NULL;
	if (fi)
		j->fi = *fi;
	j->size = size;
	j->off = off;
	if (name)
		memcpy(j->name, name, name_len);
	/* Never fails: the pool's threads all exist, and a job is queued whatever it returns. */
	if (pool)
		g_thread_pool_push(pool, j, NULL);
	else
		run(j, NULL);
}

void dispatch_stop(void)
{
	if (pool)
		g_thread_pool_free(g_steal_pointer(&pool), FALSE, TRUE);
}

/*
 * A name in the root (a PID, mostly) is looked up here even when the process is new: its
 * resolution asks the kernel through the pidfd and nsfs (or reads /proc), which never waits,
 * and a first read then needs no worker at all. Where it would need a helper, this thread
 * does not fork: the PID's identity answers the LOOKUP and a worker resolves it at OPEN.
 */
static void d_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	if (fs_fast_lookup(req, parent, name))
		return;
	if (pool && parent == FUSE_ROOT_ID)
		nspidfs_ops.lookup(req, parent, name);
	else
		defer(OP_LOOKUP, req, parent, name, NULL, 0, 0);
}

static void d_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (!fs_fast_getattr(req, ino))
		defer(OP_GETATTR, req, ino, NULL, fi, 0, 0);
}

static void d_readlink(fuse_req_t req, fuse_ino_t ino)
{
	defer(OP_READLINK, req, ino, NULL, NULL, 0, 0);
}

static void d_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	defer(OP_OPENDIR, req, ino, NULL, fi, 0, 0);
}

static void d_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	defer(OP_READDIR, req, ino, NULL, fi, size, off);
}

static void d_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	bool answered;

	/* Deferred, it is stored nothing: a READ serves it, as it would any other. */
	adopt_replying_open(true);
	answered = fs_fast_open(req, ino, fi, pagecache_opening(ino));
	adopt_replying_open(false);
	if (!answered)
		defer(OP_OPEN, req, ino, NULL, fi, 0, 0);
}

static void d_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	pagecache_released(ino);
	nspidfs_ops.release(req, ino, fi);
}

/* READs (every open file holds its content), releases, refused writes never block: they run
 * where they arrive. */
const struct fuse_lowlevel_ops *dispatch_ops(void)
{
	static struct fuse_lowlevel_ops ops;

	ops = nspidfs_ops;
	ops.lookup = d_lookup;
	ops.getattr = d_getattr;
	ops.readlink = d_readlink;
	ops.opendir = d_opendir;
	ops.readdir = d_readdir;
	ops.open = d_open;
	ops.release = d_release;
	return &ops;
}

/* The signals that stop the session (libfuse's handlers set it exited). */
static void stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
}

void dispatch_start(unsigned workers)
{
	g_autoptr(GError) err = NULL;
	sigset_t stops, old;

	if (workers == 0)
		return;
	/*
	 * Exclusive: every worker is started now and kept, so serving never needs a new thread,
	 * which could fail when processes cannot be made (as helpers then fail). The stop
	 * signals are blocked in them (as libfuse does in its workers): delivered to a worker,
	 * one would end the session while the reading thread sleeps on, never to notice.
	 */
	stop_signals(&stops);
	pthread_sigmask(SIG_BLOCK, &stops, &old);
	pool = g_thread_pool_new(run, NULL, (gint)workers, TRUE, &err);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		g_warning("%u of %u worker threads started: %s",
			  g_thread_pool_get_num_threads(pool), workers, err->message);
	if (g_thread_pool_get_num_threads(pool) == 0) {
		g_warning("no worker threads: every request runs on the reading thread");
		g_thread_pool_free(g_steal_pointer(&pool), TRUE, FALSE);
	}
}

/* Whether spinning can help: the reader needs a CPU of its own while this thread spins. */
static unsigned usable_spin(unsigned spin_us)
{
	cpu_set_t set;

	if (spin_us && sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) < 2) {
		g_info("one CPU: --spin-us ignored");
		return 0;
	}
	return spin_us;
}

/* Read the next request; -EAGAIN once the spin is over and nothing came. */
static int receive(struct fuse_session *se, struct fuse_buf *buf, gint64 spin_until)
{
	int r;

	do
		r = fuse_session_receive_buf(se, buf);
	while (r == -EAGAIN && g_get_monotonic_time() < spin_until);
	return r;
}

/* Take a stop signal that came while it was blocked: its handler runs now. */
static void take_pending(const sigset_t *stops, const sigset_t *waitmask)
{
	sigset_t pending;

	if (sigpending(&pending) < 0)
		return;
	for (int sig = 1; sig < NSIG; sig++) {
		if (sigismember(stops, sig) == 1 && sigismember(&pending, sig) == 1) {
			pthread_sigmask(SIG_SETMASK, waitmask, NULL);
			pthread_sigmask(SIG_BLOCK, stops, NULL);
			return;
		}
	}
}

#define SIGNAL_CHECK_US 10000
#define MAX_EXIT_FDS	8

/*
 * What the reading thread sleeps on: /dev/fuse, and the caches' sets of pidfds, which poll
 * readable when a cached process exits. One epoll set holds them all, so that a sleep
 * registers nothing (ppoll() would, on every descriptor, at every sleep).
 */
struct idle {
	int epfd;
	int exit_fds[MAX_EXIT_FDS];
	unsigned n_exit;
	bool watching; /* the exit_fds are in the set */
};

static void idle_watch_exits(struct idle *w, bool on)
{
	struct epoll_event ev = {.events = EPOLLIN};

	if (on == w->watching)
		return;
	for (unsigned i = 0; i < w->n_exit; i++)
		epoll_ctl(w->epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, w->exit_fds[i], &ev);
	w->watching = on;
}

static int idle_open(struct idle *w, int fuse_fd)
{
	struct epoll_event ev = {.events = EPOLLIN};

	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0 || epoll_ctl(w->epfd, EPOLL_CTL_ADD, fuse_fd, &ev) < 0)
		return -errno;
	w->n_exit = live_tables_exit_fds(w->exit_fds, MAX_EXIT_FDS);
	w->watching = false;
	idle_watch_exits(w, true);
	return 0;
}

/*
 * Nothing to read: let go of what exited processes' cache entries hold, and sleep until a
 * request comes or a cached process exits. A wake-up that dropped nothing and saw no request
 * stops the watch on exits until the next request, so that a readiness no sweep clears
 * cannot keep this thread busy. EINTR: a stop signal, seen by fuse_session_exited().
 */
static int idle_wait(struct idle *w, bool request_since, const sigset_t *waitmask)
{
	struct epoll_event ev;

	idle_watch_exits(w, live_tables_sweep() > 0 || request_since);
	if (epoll_pwait(w->epfd, &ev, 1, -1, waitmask) < 0 && errno != EINTR)
		return -errno;
	return 0;
}

static struct idle idle = {.epfd = -1};

int dispatch_open(struct fuse_session *se)
{
	int fd = fuse_session_fd(se), r;

	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		return -errno;
	pagecache_configure(se);
	r = idle_open(&idle, fd);
	if (r < 0)
		dispatch_close();
	return r;
}

void dispatch_close(void)
{
	pagecache_clear();
	nspidfs_close_fd(idle.epfd);
	idle.epfd = -1;
}

/*
 * The stop signals are blocked here too, but for epoll_pwait(), which lets them in atomically
 * while it sleeps: a signal that came between the check of fuse_session_exited() and a sleep
 * would otherwise end the session while this thread slept on. One that comes while requests
 * keep coming is taken between two of them, within SIGNAL_CHECK_US.
 */
int dispatch_loop(struct fuse_session *se, unsigned spin_us)
{
	struct fuse_buf buf = {.mem = NULL};
	gint64 spin_until = 0, next_signal_check = 0, now;
	sigset_t stops, waitmask;
	bool request_since = true;
	int r = 0;

	if (pool)
		strategy_forbid_helpers();
	spin_us = usable_spin(spin_us);
	stop_signals(&stops);
	pthread_sigmask(SIG_BLOCK, &stops, &waitmask);
	while (!fuse_session_exited(se)) {
		r = receive(se, &buf, spin_until);
		if (r == -EAGAIN) {
			r = idle_wait(&idle, request_since, &waitmask);
			request_since = false;
			if (r < 0)
				break;
			continue;
		}
		if (r == -EINTR)
			continue;
		if (r <= 0)
			break;
		fuse_session_process_buf(se, &buf);
		request_since = true;
		now = g_get_monotonic_time();
		spin_until = now + spin_us;
		/* A syscall per request otherwise; a stop waits SIGNAL_CHECK_US and a request. */
		if (now >= next_signal_check) {
			take_pending(&stops, &waitmask);
			next_signal_check = now + SIGNAL_CHECK_US;
		}
	}
	pthread_sigmask(SIG_SETMASK, &waitmask, NULL);
	free(buf.mem);
	fuse_session_reset(se);
	return r < 0 && r != -EAGAIN && r != -EINTR ? r : 0;
}

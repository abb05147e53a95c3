/*
 * Translation by SCM_CREDENTIALS (any kernel with setns(2) for PID namespaces).
 *
 * For one namespace level, the daemon forks a helper that joins the namespace with setns()
 * and forks again: only that grandchild is a member. The grandchild sends credentials naming
 * a PID of its namespace (1, or the PID a reverse lookup asks about), which the kernel
 * translates into the daemon's namespace: the host PID. For a forward translation the daemon
 * then sends credentials naming the target's host PID, which the kernel translates into the
 * grandchild's namespace: the target's PID there, returned as data.
 *
 * The daemon is multithreaded, so the helpers make only async-signal-safe calls (raw system
 * calls, no malloc, no stdio, no locks) and leave with _exit(). The grandchild is forked with
 * CLONE_PARENT so that the daemon reaps it too; both share a process group that the daemon
 * kills once the exchange ends or the deadline passes.
 *
 * The grandchild is visible to every process of the namespace it joined, and of those above
 * it: before it is forked, the helper joins empty namespaces and seals itself
 * (helper_sandbox.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"
#include "helper_sandbox.h"
#include "stats.h"
#include "strategy.h"
#include "util.h"

enum msg_type {
	MSG_ERROR = 'E', /* helper -> daemon: value is the errno that stopped it */
	MSG_NAMED = 'N', /* grandchild -> daemon: credentials name the PID it was asked about */
	MSG_QUERY = 'Q', /* daemon -> grandchild: credentials name the target */
	MSG_PID = 'P',	 /* grandchild -> daemon: value is the target's PID in the namespace */
};

struct msg {
	int type;
	int value;
};

union cred_cmsg {
	char buf[CMSG_SPACE(sizeof(struct ucred))];
	struct cmsghdr align;
};

/* Async-signal-safe: called in the helpers as well as in the daemon. */
static int send_msg(int sock, int type, int value, pid_t cred_pid)
{
	struct msg m = {.type = type, .value = value};
	struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
	union cred_cmsg control;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	if (cred_pid > 0) {
		struct ucred cred = {.pid = cred_pid, .uid = getuid(), .gid = getgid()};
		struct cmsghdr *c;

		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = sizeof(control.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_CREDENTIALS;
		c->cmsg_len = CMSG_LEN(sizeof(cred));
		memcpy(CMSG_DATA(c), &cred, sizeof(cred));
	}
	while (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

/* Async-signal-safe. *cred_pid is the sender's credential PID as translated for us, or 0. */
static int recv_msg(int sock, struct msg *m, pid_t *cred_pid)
{
	struct iovec iov = {.iov_base = m, .iov_len = sizeof(*m)};
	union cred_cmsg control;
	struct msghdr mh = {
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = control.buf,
	    .msg_controllen = sizeof(control.buf),
	};
	ssize_t n;

	while ((n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC)) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	if (n == 0)
		return -ECONNRESET;
	if (n != sizeof(*m) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		return -EPROTO;
	*cred_pid = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
			struct ucred cred;

			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
			*cred_pid = cred.pid;
		}
	}
	return 0;
}

static void test_delay(void)
{
	unsigned ms = helper_test_delay_ms();
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (ms && clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}

static __attribute__((noreturn)) void grandchild(int sock, pid_t name)
{
	struct msg q;
	pid_t translated;
	/* Non-dumpable and filtered already: forbid itself the clone(2) its helper needed. */
	int r = helper_sandbox_member();

	test_delay();
	/* The kernel refuses credentials naming a PID that its namespace does not hold: ESRCH. */
	if (r == 0)
		r = send_msg(sock, MSG_NAMED, 0, name);
	if (r < 0) {
		send_msg(sock, MSG_ERROR, -r, 0);
		_exit(1);
	}
	if (recv_msg(sock, &q, &translated) < 0 || q.type != MSG_QUERY)
		_exit(1);
	send_msg(sock, MSG_PID, translated, 0);
	_exit(0);
}

static __attribute__((noreturn)) void helper(int sock, int nsfd, pid_t name)
{
	long g;
	int r;

	setpgid(0, 0);
	/* Empty namespaces, then the target's PID namespace for the child; sealed. */
	r = helper_sandbox_enter(nsfd, sock);
	if (r < 0) {
		send_msg(sock, MSG_ERROR, -r, 0);
		_exit(1);
	}
	/* A raw clone: no atfork handlers, and CLONE_PARENT hands the child to the daemon. */
	g = syscall(SYS_clone, (unsigned long)(CLONE_PARENT | SIGCHLD), 0, 0, 0, 0);
	if (g < 0) {
		send_msg(sock, MSG_ERROR, errno, 0);
		_exit(1);
	}
	if (g == 0)
		grandchild(sock, name);
	_exit(0);
}

static int recv_before(int sock, gint64 deadline, struct msg *m, pid_t *cred_pid)
{
	struct pollfd pfd = {.fd = sock, .events = POLLIN};

	for (;;) {
		gint64 left = deadline - g_get_monotonic_time();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, (int)((left + 999) / 1000));
		if (r > 0)
			return recv_msg(sock, m, cred_pid);
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static int helper_error(int err)
{
	/* A namespace whose init has died refuses new members with ENOMEM. */
	return err == ENOMEM ? -ESRCH : -err;
}

/* What one helper is asked: the host PID of name, and if query > 0, query's PID inside. */
struct creds_job {
	pid_t name;
	pid_t query;
	pid_t named_host;
	pid_t query_in_ns;
};

static int exchange(int sock, gint64 deadline, struct creds_job *job)
{
	struct msg m;
	pid_t cred_pid;
	int r = recv_before(sock, deadline, &m, &cred_pid);

	if (r < 0)
		return r;
	if (m.type == MSG_ERROR)
		return helper_error(m.value);
	if (m.type != MSG_NAMED || cred_pid <= 0)
		return -ESRCH;
	job->named_host = cred_pid;
	if (job->query <= 0)
		return 0;
	r = send_msg(sock, MSG_QUERY, 0, job->query);
	if (r < 0) /* EPIPE: the grandchild is gone, as with an early end of file */
		return r == -EPIPE ? -ECONNRESET : r;
	r = recv_before(sock, deadline, &m, &cred_pid);
	if (r < 0)
		return r;
	if (m.type != MSG_PID)
		return -EPROTO;
	/* 0: the kernel could not name the target in that namespace (it is not a member). */
	job->query_in_ns = m.value;
	return m.value > 0 ? 0 : -ESRCH;
}

static int socketpair_passcred(int sv[2])
{
	int on = 1;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	if (setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) < 0 ||
	    setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) < 0) {
		int r = -errno;

		close(sv[0]);
		close(sv[1]);
		return r;
	}
	return 0;
}

/* Set while helpers cannot be forked: one warning when that starts, one notice when it ends. */
static gint out_of_processes;

/*
 * The daemon (fork) or a helper (clone) could not make a process: a pids cgroup limit, the
 * system's pid_max or threads-max, or memory. Every read that needs a helper fails with
 * EAGAIN meanwhile, which a reader may retry; logging each one would flood the log.
 */
static int fork_failed(int err)
{
	if (g_atomic_int_compare_and_exchange(&out_of_processes, 0, 1))
		g_warning("cannot fork a creds helper: %s; reads that need one fail with EAGAIN "
			  "until processes can be made again",
			  g_strerror(err));
	return -EAGAIN;
}

static void fork_worked(void)
{
	if (g_atomic_int_compare_and_exchange(&out_of_processes, 1, 0))
		g_message("creds helpers can be forked again");
}

/* What an exchange's result says about the helpers, logged; r is returned. */
static int note_exchange(int r, const struct creds_job *job)
{
	if (r == 0)
		fork_worked();
	/* EAGAIN from the helper: its clone of the grandchild failed. */
	if (r == -EAGAIN)
		fork_failed(EAGAIN);
	if (r == -ETIMEDOUT) {
		stats_helper_timeout();
		g_warning("creds helper for pid %d did not answer within %u ms: killed",
			  job->query > 0 ? job->query : job->name, helper_timeout_ms());
	}
	return r;
}

static int run_helper(int nsfd, gint64 deadline, struct creds_job *job)
{
	int sv[2], r;
	pid_t child;

	r = socketpair_passcred(sv);
	if (r < 0)
		return r;
	child = fork();
	if (child == 0)
		helper(sv[1], nsfd, job->name);
	close(sv[1]);
	if (child < 0) {
		r = errno;
		close(sv[0]);
		return r == EAGAIN || r == ENOMEM ? fork_failed(r) : -r;
	}
	/* Both sides set the group, so that it exists whichever runs first. */
	setpgid(child, child);
	stats_helper_fork();
	r = note_exchange(exchange(sv[0], deadline, job), job);
	helper_reap_group(child);
	close(sv[0]);
	return r;
}

/*
 * A helper that hangs up without answering was killed: most often because the namespace is
 * being torn down (its init died and the kernel kills every member, our grandchild first
 * perhaps). One more helper then fails to enter it (ENOMEM, which means ESRCH); if it
 * answers, the first one was killed by something else.
 */
static int run_helper_slot(int nsfd, gint64 deadline, struct creds_job *job)
{
	int r = -ECONNRESET;

	for (int attempt = 0; attempt < 2 && r == -ECONNRESET; attempt++) {
		r = helper_slot_acquire(deadline);
		if (r < 0)
			return r;
		r = run_helper(nsfd, deadline, job);
		helper_slot_release();
	}
	return r == -ECONNRESET ? log_debug_ret(-EIO, "creds helper hung up twice") : r;
}

static int translate_creds(const struct pidns_chain *chain, pid_t pid, struct proc_model *m)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)helper_timeout_ms() * 1000;

	for (unsigned k = 1; k < chain->depth; k++) {
		struct creds_job job = {.name = 1, .query = pid};
		int r = run_helper_slot(chain->fd[k], deadline, &job);

		m->lv[k].pid = job.query_in_ns;
		m->lv[k].init = job.named_host;
		if (r < 0)
			return log_debug_ret(r, "pid %d: creds at level %u: %s", pid, k,
					     g_strerror(-r));
	}
	return 0;
}

/* The helpers would show the host unless they can be isolated from it. */
static int probe_creds(void)
{
	return helper_sandbox_init();
}

static int reverse_creds(const struct ns_ref *ns, pid_t nspid, pid_t *host)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)helper_timeout_ms() * 1000;
	struct creds_job job = {.name = nspid};
	int r = run_helper_slot(ns->fd, deadline, &job);

	if (r < 0)
		return log_debug_ret(r, "pid %d of namespace %" G_GUINT64_FORMAT ": creds: %s",
				     nspid, ns->ino, g_strerror(-r));
	*host = job.named_host;
	return 0;
}

const struct strategy strategy_creds = {
    .name = "creds",
    .probe = probe_creds,
    .translate = translate_creds,
    .reverse = reverse_creds,
};

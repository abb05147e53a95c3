/*
 * Translation by SCM_CREDENTIALS (any kernel with setns(2) for PID namespaces).
 *
 * For one namespace level, a helper (cloned by the spawner, helper_spawner.c, never by the
 * daemon itself) joins the namespace with setns() and clones again: only that grandchild is a
 * member. The grandchild sends credentials naming PID 1 of its namespace, then (a reverse
 * lookup) the PID asked about, which the kernel translates into the daemon's namespace: the
 * host PIDs. For a forward translation the daemon has sent credentials naming the target's
 * host PID ahead, which the kernel translates into the grandchild's namespace as it receives
 * them: the target's PID there, returned as data.
 *
 * The helpers are copies of a multithreaded process, so they make only async-signal-safe
 * calls (raw system calls, no malloc, no stdio, no locks) and leave with _exit(). Both they
 * and the grandchild are cloned with CLONE_PARENT so that the daemon reaps them; both share a
 * process group that the daemon kills once the exchange ends or the deadline passes.
 *
 * The grandchild is visible to every process of the namespace it joined, and of those above
 * it: before it is forked, the helper joins empty namespaces and seals itself
 * (helper_sandbox.c), and the grandchild lives only for its two messages. A process there can
 * still kill or stop it: the daemon watches for both (a hang-up, a stop its waitid() sees, no
 * answer by the deadline) and then forks no helper for that namespace for a while
 * (helper_guard.c), nor more than a few a second for any namespace; the strategy then
 * refuses, and another answers (strategy.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"
#include "helper_guard.h"
#include "helper_sandbox.h"
#include "helper_spawner.h"
#include "nsfs_compat.h"
#include "proc.h"
#include "stats.h"
#include "strategy.h"
#include "util.h"

enum msg_type {
	MSG_ERROR = 'E',  /* helper -> daemon: value is the errno that stopped it */
	MSG_INIT = 'I',	  /* grandchild -> daemon, first: credentials name PID 1 */
	MSG_NAMED = 'N',  /* grandchild -> daemon: credentials name the PID it was asked about */
	MSG_QUERY = 'Q',  /* daemon -> grandchild: credentials name the target */
	MSG_PID = 'P',	  /* grandchild -> daemon: value is the target's PID in the namespace */
	MSG_MEMBER = 'M', /* helper -> daemon: value is the grandchild's PID in the daemon's */
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
	struct msghdr mh = MSGHDR_ONE(&iov, control);
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

/*
 * The member of the target namespace. It names PID 1 first, so that the daemon knows the
 * namespace's init whatever happens next; then (reverse lookup) the PID it was asked about,
 * or (translation) it receives the daemon's query, waiting on the socket already, and answers.
 */
static __attribute__((noreturn)) void grandchild(int sock, pid_t name, bool query)
{
	struct msg q;
	pid_t translated;
	int r = helper_sandbox_member();

	/* The kernel refuses credentials naming a PID that its namespace does not hold: ESRCH. */
	if (r == 0)
		r = send_msg(sock, MSG_INIT, 0, 1);
	if (r == 0) {
		test_delay();
		if (name != 1 && !query)
			r = send_msg(sock, MSG_NAMED, 0, name);
	}
	if (r < 0) {
		send_msg(sock, MSG_ERROR, -r, 0);
		_exit(1);
	}
	if (!query)
		_exit(0);
	if (recv_msg(sock, &q, &translated) < 0 || q.type != MSG_QUERY)
		_exit(1);
	send_msg(sock, MSG_PID, translated, 0);
	_exit(0);
}

/* What a helper is asked, as the spawner passes it on. */
struct helper_req {
	pid_t name;
	int query; /* 0 or 1: no padding goes over the socket */
};

static __attribute__((noreturn)) void helper(const void *req, int nsfd, int sock)
{
	const struct helper_req *q = req;
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
		grandchild(sock, q->name, q->query);
	/* The daemon's namespace is ours: g is the PID it knows the grandchild by. */
	send_msg(sock, MSG_MEMBER, (int)g, 0);
	_exit(0);
}

/* How often a wait for a helper looks whether it was stopped. */
#define STOP_CHECK_MS 10

/* One helper's exchange with the daemon, as the daemon sees it. */
struct session {
	int sock;
	pid_t group;  /* the helper's PID, and its process group's */
	pid_t member; /* the grandchild's PID, once the helper said it */
	gint64 deadline;
	enum helper_trouble trouble;
};

/* Messages without waiting: the helper's MEMBER, left behind when the exchange ended early. */
static void drain(struct session *s)
{
	struct pollfd pfd = {.fd = s->sock, .events = POLLIN};
	struct msg m;
	pid_t cred_pid;

	while (s->member <= 0 && poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN) &&
	       recv_msg(s->sock, &m, &cred_pid) == 0) {
		if (m.type == MSG_MEMBER)
			s->member = m.value;
	}
}

/*
 * The grandchild's next message before the deadline (the helper's MEMBER is noted on the
 * way). A helper stopped by a signal (the daemon is its parent, so waitid() sees it) would
 * answer no sooner than the deadline: -ETIMEDOUT at once, with the trouble noted.
 */
static int recv_before(struct session *s, struct msg *m, pid_t *cred_pid)
{
	struct pollfd pfd = {.fd = s->sock, .events = POLLIN};

	for (;;) {
		gint64 left = s->deadline - g_get_monotonic_time();
		int r;

		if (left <= 0) {
			s->trouble = HELPER_SILENT;
			return -ETIMEDOUT;
		}
		r = poll(&pfd, 1, (int)MIN((left + 999) / 1000, STOP_CHECK_MS));
		if (r > 0) {
			r = recv_msg(s->sock, m, cred_pid);
			if (r < 0 || m->type != MSG_MEMBER)
				return r;
			s->member = m->value;
			continue;
		}
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r == 0 && helper_group_stopped(s->group)) {
			s->trouble = HELPER_STOPPED;
			return -ETIMEDOUT;
		}
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
	pid_t init_host; /* the namespace's init, as soon as the member named it */
	pid_t named_host;
	pid_t query_in_ns;
};

/* The query went ahead: the grandchild's answers, in order. */
static int exchange(struct session *s, struct creds_job *job)
{
	struct msg m;
	pid_t cred_pid;
	int r = recv_before(s, &m, &cred_pid);

	if (r < 0)
		return r;
	if (m.type == MSG_ERROR)
		return helper_error(m.value);
	if (m.type != MSG_INIT || cred_pid <= 0)
		return -ESRCH;
	job->init_host = cred_pid;
	if (job->name == 1)
		job->named_host = cred_pid;
	if (job->name == 1 && job->query <= 0)
		return 0;
	r = recv_before(s, &m, &cred_pid);
	if (r < 0)
		return r;
	if (m.type == MSG_ERROR)
		return helper_error(m.value);
	if (job->query <= 0) {
		if (m.type != MSG_NAMED || cred_pid <= 0)
			return -ESRCH;
		job->named_host = cred_pid;
		return 0;
	}
	if (m.type != MSG_PID)
		return -EPROTO;
	/* 0: the kernel could not name the target in that namespace (it is not a member). */
	job->query_in_ns = m.value;
	return m.value > 0 ? 0 : -ESRCH;
}

/*
 * After an answer the helper has only its MEMBER message to send and _exit(): wait for that,
 * so that the grandchild's PID is known. Otherwise the group is killed at once.
 */
static void end_session(struct session *s, bool answered)
{
	helper_end_group(s->group, !answered);
	drain(s);
	helper_reap_member(s->group, s->member);
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
 * The spawner or a helper could not make a process, or the spawner could not be made: a pids
 * cgroup limit, the system's pid_max or threads-max, or memory. Every read that needs a helper
 * fails with EAGAIN meanwhile, which a reader may retry; logging each one would flood the log.
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

/* What an exchange's result says about the helpers, counted and logged; r is returned. */
static int note_exchange(int r, enum helper_trouble trouble)
{
	if (r == 0)
		fork_worked();
	/* EAGAIN from the helper: its clone of the grandchild failed. */
	if (r == -EAGAIN)
		fork_failed(EAGAIN);
	if (trouble == HELPER_SILENT)
		stats_helper_timeout();
	if (trouble == HELPER_STOPPED)
		stats_helper_stop();
	return r;
}

/* The namespace a helper enters, and the inode numbers of it and its ancestors. */
struct creds_target {
	int fd;
	unsigned level;
	const uint64_t *ino; /* ino[1..level]; ino[level] is fd's */
};

static int run_helper(const struct creds_target *t, gint64 deadline, struct creds_job *job,
		      enum helper_trouble *trouble)
{
	struct session s = {.deadline = deadline};
	struct helper_req req = {.name = job->name, .query = job->query > 0};
	int sv[2], r;
	pid_t child;

	r = socketpair_passcred(sv);
	if (r < 0)
		return r;
	child = helper_spawn(helper, &req, sizeof(req), t->fd, sv[1], deadline);
	close(sv[1]);
	if (child < 0) {
		close(sv[0]);
		return child == -EAGAIN || child == -ENOMEM ? fork_failed(-child) : child;
	}
	/* Both sides set the group, so that it exists whichever runs first. */
	setpgid(child, child);
	stats_helper_fork();
	s.sock = sv[0];
	s.group = child;
	/* The query goes ahead of the member: the kernel translates it as the member receives. */
	r = job->query > 0 ? send_msg(sv[0], MSG_QUERY, 0, job->query) : 0;
	/* EPIPE: the helpers are gone already; what they said is still to be read. */
	if (r == 0 || r == -EPIPE)
		r = exchange(&s, job);
	*trouble = s.trouble;
	r = note_exchange(r, s.trouble);
	end_session(&s, r == 0);
	close(sv[0]);
	return r;
}

/* One helper, if its namespace may have one now. */
static int attempt(const struct creds_target *t, gint64 deadline, struct creds_job *job,
		   enum helper_trouble *trouble)
{
	const char *fallback = strategy_fallback();
	uint64_t top = helper_guard_top(t->ino, t->level);
	int r = helper_slot_acquire(top, deadline, fallback != NULL);

	if (r < 0)
		return r;
	r = helper_guard_admit(t->ino, t->level, fallback);
	if (r == 0)
		r = run_helper(t, deadline, job, trouble);
	helper_slot_release(top);
	return r;
}

/* How long the init of a namespace whose member was killed may take to die with it. */
#define DYING_MS 50

/*
 * Whether the process init (a namespace's init, by its host PID) exits within DYING_MS. A
 * namespace being torn down, or one above it, kills every member, its init included: the
 * init of the namespace a helper entered dies with any of them.
 */
static bool init_dying(pid_t init)
{
	struct pollfd p = {.events = POLLIN};
	struct proc_stat st;
	bool gone;

	p.fd = pidfd_open(init, 0);
	/* Before Linux 5.3: only whether it is gone already. */
	if (p.fd < 0 && errno == ENOSYS)
		return kill(init, 0) < 0 && errno == ESRCH;
	if (p.fd < 0)
		return errno == ESRCH;
	/* A killed init waits in do_exit() for its members, which may outlast DYING_MS. */
	gone = (proc_read_stat(init, &st) == 0 && (st.flags & NSPIDFS_PF_EXITING)) ||
	       poll(&p, 1, DYING_MS) == 1;
	close(p.fd);
	return gone;
}

/* The host PID of the init of nsfd's namespace where the kernel says it, -1 if gone, else 0. */
static pid_t init_of(int nsfd)
{
	int r;

	if (!nsfs_pid_ioctls_work())
		return 0;
	r = ioctl(nsfd, NS_GET_PID_FROM_PIDNS, 1);
	if (r > 0)
		return r;
	/* Some 6.12-6.18 kernels answer ENOTTY for a PID that is not found. */
	return r == 0 || errno == ESRCH || errno == ENOTTY ? -1 : 0;
}

/*
 * A helper that hangs up without answering was killed: because its namespace is being torn
 * down (its init, or one above it, died, and the kernel kills every member), or by a process
 * that sees it. Its init tells which: the member names it first, and Linux 6.11 tells it
 * too. Where neither did, one more helper follows, which a dying namespace refuses (ENOMEM,
 * that is ESRCH); a namespace below a dying one does not refuse it, hence the init again,
 * from the second member. Two members killed before they said a word make a kill.
 *
 * A kill, a helper stopped by a signal, or one silent until the deadline suspends the
 * helpers of the namespace it entered. The read is refused, for the fallback to answer,
 * unless it has an answer (the second helper's) or its time is spent (a timeout: ETIMEDOUT).
 */
static int run_guarded(const struct creds_target *t, gint64 deadline, struct creds_job *job)
{
	enum helper_trouble trouble = HELPER_FINE;
	bool hung_up = false;
	int r;

	if (helper_guard_suspended(t->ino, t->level))
		return STRATEGY_REFUSED;
	r = attempt(t, deadline, job, &trouble);
	if (r == -ECONNRESET) {
		hung_up = true;
		if (job->init_host == 0)
			job->init_host = init_of(t->fd);
		if (job->init_host == 0)
			r = attempt(t, deadline, job, &trouble);
	}
	/*
	 * Processes cannot be made now (a pids limit): a member that failed to start, or its
	 * helper, may hang up without a word. That is no container's doing.
	 */
	if (hung_up && r != 0 && g_atomic_int_get(&out_of_processes))
		return -EAGAIN;
	if (hung_up && (r == 0 || r == -ECONNRESET)) {
		if (job->init_host < 0 || (job->init_host > 0 && init_dying(job->init_host)))
			return r == 0 ? 0
				      : log_debug_ret(-ESRCH,
						      "creds helper killed with its namespace");
		/* Its init lives, or two members were killed before they said a word. */
		trouble = HELPER_KILLED;
	}
	if (trouble == HELPER_FINE)
		return r;
	if (trouble == HELPER_KILLED)
		stats_helper_kill();
	helper_guard_trouble(t->ino, t->level, t->fd, trouble, helper_timeout_ms(),
			     strategy_fallback());
	return r == 0 || trouble == HELPER_SILENT ? r : STRATEGY_REFUSED;
}

static int translate_creds(const struct pidns_chain *chain, pid_t pid, struct proc_model *m)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)helper_timeout_ms() * 1000;

	for (unsigned k = 1; k < chain->depth; k++) {
		struct creds_target t = {.fd = chain->fd[k], .level = k, .ino = chain->ino};
		struct creds_job job = {.name = 1, .query = pid};
		int r = run_guarded(&t, deadline, &job);

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

/* ino[1..ns->level]: ns and its ancestors below the daemon's namespace. */
static int ancestors_of(const struct ns_ref *ns, uint64_t *ino)
{
	int fd = ns->fd, r = 0;

	ino[ns->level] = ns->ino;
	for (unsigned l = ns->level; l > 1 && r == 0; l--) {
		int parent = ioctl(fd, NS_GET_PARENT);
		struct stat st;

		if (parent < 0 || fstat(parent, &st) < 0)
			r = -errno;
		else
			ino[l - 1] = st.st_ino;
		if (fd != ns->fd)
			close(fd);
		fd = parent;
	}
	if (fd >= 0 && fd != ns->fd)
		close(fd);
	return r;
}

static int reverse_creds(const struct ns_ref *ns, pid_t nspid, pid_t *host)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)helper_timeout_ms() * 1000;
	uint64_t ino[NSPIDFS_MAX_LEVELS] = {0};
	struct creds_target t = {.fd = ns->fd, .level = ns->level, .ino = ino};
	struct creds_job job = {.name = nspid};
	int r = ns->level < NSPIDFS_MAX_LEVELS ? ancestors_of(ns, ino) : -EINVAL;

	if (r == 0)
		r = run_guarded(&t, deadline, &job);
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

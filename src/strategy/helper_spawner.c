/*
 * The daemon does not fork its creds helpers. A fork copies the page tables of the whole
 * daemon under its mmap lock and write-protects every page it has, and glibc's fork() holds
 * malloc's arena locks the while: every other thread that allocates or faults waits, a
 * scheduler tick and more when the forking worker is descheduled. Under one container's flood
 * of lookups that need helpers, that put a host reader's p99 at milliseconds. A vfork-style
 * clone (CLONE_VM | CLONE_VFORK) spares the daemon that copy, but not the member's: the
 * member must not share the daemon's memory (whoever ptraces it would own the daemon), so it
 * is copied from the shared memory, the same page tables under the same lock, which measured
 * little better.
 *
 * So the helpers are cloned by the spawner: a raw clone of the daemon, made when a helper is
 * first needed (again if it died), that does nothing else. It copies its own memory under its
 * own lock, and clones with CLONE_PARENT: each helper, and the member it clones the same way,
 * is the daemon's child still, which waits for them, sees their stops and kills their group.
 * A worker passes it the request and two descriptors (the target's PID namespace, the
 * helper's socket) and reads back the helper's PID, under a lock: one request at a time, as
 * the spawner serves them anyway.
 *
 * The spawner is a copy of a multithreaded process: raw system calls only, as in a helper.
 * It keeps no descriptor of the daemon's but its socket, the standard ones and the empty
 * namespaces (no nsfs descriptor of a reader's namespace, no /dev/fuse), and exits when the
 * daemon closes its end, at the daemon's exit or crash. Its memory is the daemon's as it was
 * when it started, shared until the daemon writes it; a helper's is a copy of that. No
 * container sees it: it lives in the daemon's namespaces.
 */
#include "helper_spawner.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper_sandbox.h"
#include "util.h"

union fds_cmsg {
	char buf[CMSG_SPACE(2 * sizeof(int))];
	struct cmsghdr align;
};

/* ------------------------------------------------------------------ in the spawner */

/* The two descriptors of a request, or -1s (the daemon sends two, always). */
static void take_fds(struct msghdr *mh, int fds[2])
{
	struct cmsghdr *c = CMSG_FIRSTHDR(mh);

	fds[0] = fds[1] = -1;
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
	    c->cmsg_len == CMSG_LEN(2 * sizeof(int)))
		memcpy(fds, CMSG_DATA(c), 2 * sizeof(int));
}

static __attribute__((noreturn)) void spawner_main(int ctl, helper_body body)
{
	helper_sandbox_close_for_spawner(ctl);
	/* Raw, as in the helpers: a sanitizer's prctl() takes a lock a copy may hold for ever. */
	syscall(SYS_prctl, PR_SET_NAME, (unsigned long)HELPER_SPAWNER_NAME, 0, 0, 0);
	for (;;) {
		unsigned char req[HELPER_SPAWN_MAX_REQ];
		struct iovec iov = {.iov_base = req, .iov_len = sizeof(req)};
		union fds_cmsg control;
		struct msghdr mh = MSGHDR_ONE(&iov, control);
		ssize_t n = recvmsg(ctl, &mh, MSG_CMSG_CLOEXEC);
		int fds[2], reply = -EPROTO;

		if (n < 0 && errno == EINTR)
			continue;
		/* The daemon closed its end, or is gone. */
		if (n <= 0)
			_exit(0);
		take_fds(&mh, fds);
		if (fds[0] >= 0 && fds[1] >= 0 && !(mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
			long pid =
			    syscall(SYS_clone, (unsigned long)(CLONE_PARENT | SIGCHLD), 0, 0, 0, 0);

			if (pid == 0) {
				close(ctl);
				body(req, fds[0], fds[1]);
			}
			reply = pid < 0 ? -errno : (int)pid;
		}
		for (int i = 0; i < 2; i++) {
			if (fds[i] >= 0)
				close(fds[i]);
		}
		while (send(ctl, &reply, sizeof(reply), MSG_NOSIGNAL) < 0 && errno == EINTR)
			;
	}
}

/* ------------------------------------------------------------------ in the daemon */

static GMutex lock;
static int ctl = -1; /* our end of the spawner's socket */
static pid_t spawner;

static int start_spawner(helper_body body)
{
	int sv[2], r;
	long pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	/* Raw: no atfork handlers, no malloc locks. The one copy of the daemon helpers cost. */
	pid = syscall(SYS_clone, (unsigned long)SIGCHLD, 0, 0, 0, 0);
	if (pid == 0) {
		close(sv[0]);
		spawner_main(sv[1], body);
	}
	r = pid < 0 ? -errno : 0;
	close(sv[1]);
	if (r < 0) {
		close(sv[0]);
		return r;
	}
	ctl = sv[0];
	spawner = (pid_t)pid;
	g_debug("creds helper spawner %d started", spawner);
	return 0;
}

/* With the lock held. Our unreaped child: its PID cannot name another process. */
static void end_spawner(void)
{
	close(ctl);
	ctl = -1;
	kill(spawner, SIGKILL);
	while (waitpid(spawner, NULL, 0) < 0 && errno == EINTR)
		;
	spawner = 0;
}

/* Send one request; *sent once the spawner has it. The helper's PID, or a negative errno. */
static int ask(const void *req, size_t len, const int fds[2], gint64 deadline, bool *sent)
{
	struct iovec iov = {.iov_base = (void *)req, .iov_len = len};
	union fds_cmsg control;
	struct msghdr mh = MSGHDR_ONE(&iov, control);
	struct pollfd pfd = {.fd = ctl, .events = POLLIN};
	struct cmsghdr *c;
	ssize_t n;
	int reply;

	memset(&control, 0, sizeof(control));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(2 * sizeof(int));
	memcpy(CMSG_DATA(c), fds, 2 * sizeof(int));
	while (sendmsg(ctl, &mh, MSG_NOSIGNAL) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	*sent = true;
	for (;;) {
		gint64 left = deadline - g_get_monotonic_time();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, (int)MIN((left + 999) / 1000, INT_MAX));
		if (r > 0)
			break;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
	while ((n = recv(ctl, &reply, sizeof(reply), 0)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return -errno;
	/* Its end closed: it died with the request. */
	return n == sizeof(reply) ? reply : -EIO;
}

pid_t helper_spawn(helper_body body, const void *req, size_t len, int nsfd, int sock,
		   gint64 deadline)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);
	const int fds[2] = {nsfd, sock};

	g_return_val_if_fail(len <= HELPER_SPAWN_MAX_REQ, -EINVAL);
	for (int tries = 0;; tries++) {
		bool sent = false;
		int r = ctl < 0 ? start_spawner(body) : 0;

		if (r < 0)
			return r;
		r = ask(req, len, fds, deadline, &sent);
		/* A PID, or the errno of the spawner's clone: it is fine. */
		if (r > 0 || (sent && r != -ETIMEDOUT && r != -EIO))
			return r;
		/*
		 * Gone (killed by the host, say), or stuck: the next request gets a new one. One
		 * that never had this request may take it; otherwise it may have made a helper
		 * whose PID we do not know, talking on sock.
		 */
		g_warning("creds helper spawner %d %s: a new one starts", spawner,
			  r == -ETIMEDOUT ? "did not answer in time" : "is gone");
		end_spawner();
		if (sent || tries > 0)
			return r;
	}
}

void helper_spawner_stop(void)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);

	if (ctl >= 0)
		end_spawner();
}

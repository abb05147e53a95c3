#include "ready.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"
#include "util.h"

bool ready_daemonize(struct ready *r)
{
	int started[2], null_fd, status;
	ssize_t n;
	pid_t pid;
	char c;

	if (pipe2(started, O_CLOEXEC) < 0) {
		g_printerr("nspidfs: cannot daemonize: %s\n", g_strerror(errno));
		return false;
	}
	/* An inherited SIG_IGN would leave nothing to wait for. */
	signal(SIGCHLD, SIG_DFL);
	pid = fork();
	if (pid < 0) {
		g_printerr("nspidfs: cannot daemonize: %s\n", g_strerror(errno));
		close(started[0]);
		close(started[1]);
		return false;
	}
	if (pid > 0) {
		/* The keeper owns the mount now: leave without touching it. */
		close(started[1]);
		do
			n = read(started[0], &c, 1);
		while (n < 0 && errno == EINTR);
		if (n == 1)
			_exit(0);
		while (waitpid(pid, &status, 0) < 0) {
			if (errno != EINTR)
				_exit(1);
		}
		_exit(WIFEXITED(status) && WEXITSTATUS(status) ? WEXITSTATUS(status) : 1);
	}
	close(started[0]);
	r->started_wr = started[1];
	if (setsid() < 0)
		g_warning("setsid: %s", g_strerror(errno));
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(null_fd, STDOUT_FILENO) < 0) {
		g_printerr("nspidfs: cannot daemonize: /dev/null: %s\n", g_strerror(errno));
		nspidfs_close_fd(null_fd);
		return false;
	}
	close(null_fd);
	return true;
}

void ready_tell(struct ready *r)
{
	static const char msg[] = "READY=1\n";
	int e = notify_send("READY=1", NULL, 0);

	if (e < 0)
		g_warning("cannot tell systemd READY=1: %s", g_strerror(-e));
	if (r->started_wr >= 0) {
		if (write(r->started_wr, "", 1) < 0)
			g_warning("cannot tell the command that started it: %s", g_strerror(errno));
		nspidfs_close_fd(r->started_wr);
		r->started_wr = -1;
		log_serving();
	}
	if (r->user_fd < 0)
		return;
	if (write(r->user_fd, msg, sizeof(msg) - 1) < 0)
		g_warning("--ready-fd %d: %s", r->user_fd, g_strerror(errno));
	nspidfs_close_fd(r->user_fd);
	r->user_fd = -1;
}

void ready_clear(struct ready *r)
{
	nspidfs_close_fd(r->user_fd);
	nspidfs_close_fd(r->started_wr);
	r->user_fd = r->started_wr = -1;
}

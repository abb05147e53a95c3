#include "keeper.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "adopt.h"
#include "connection.h"
#include "handover.h"
#include "log.h"
#include "mountpoint.h"
#include "ready.h"
#include "util.h"

/* Servers in a row that may die before serving, and the longest pause between them. */
#define MAX_FAILURES   8
#define MAX_BACKOFF_MS 2000
/* How long a server may take to stop on SIGTERM before SIGKILL. */
#define STOP_GRACE_MS	   10000
#define SERVER_EXIT_ORPHAN 126

/* A server process and what the keeper knows of it. */
struct server {
	pid_t pid;	     /* 0: none */
	int ready_rd;	     /* its ready pipe, until it said READY=1 */
	bool ready;	     /* it serves */
	unsigned generation; /* its number among the connection's servers */
};

#define NO_SERVER ((struct server){.ready_rd = -1})

struct keeper {
	const struct nspidfs_options *o;
	char **argv;
	struct connection conn;
	int sig_fd;
	struct ready ready; /* who waits for the first server to serve */
	char *exe_path;	    /* where the binary was started from: a reload runs what is there now */
	int exe_fd;   /* the binary new servers run (O_PATH): the keeper's, or the last reload's */
	int next_exe; /* the reload candidate's binary, until it serves */
	/* The one serving (or starting); a reload's candidate; the one a reload replaced. */
	struct server cur, next, old;
	bool ever_ready;
	unsigned generation; /* the last server's */
	unsigned failures;   /* servers in a row that died before serving */
	bool stopping;
	gint64 spawn_at; /* when the next server starts (0: none due) */
	gint64 kill_at;	 /* stopping: when SIGKILL follows SIGTERM */
	int status;
};

/* Between fork() and execve(): a message with no allocation, and the exit. */
static void __attribute__((noreturn)) server_fails(const char *msg)
{
	if (write(STDERR_FILENO, msg, strlen(msg)) < 0)
		_exit(127);
	_exit(127);
}

/* Between fork() and execve(): async-signal-safe calls only. */
static void __attribute__((noreturn)) exec_server(const struct keeper *k, pid_t keeper, int exe_fd,
						  int ready_wr, char **env, char *pid_slot)
{
	int from[HANDOVER_COUNT] = {connection_fd(&k->conn), k->conn.init_fd, ready_wr};
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	sigaction(SIGPIPE, &dfl, NULL);
	/* A server never outlives its keeper: a new keeper could not mount over its mount. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != keeper)
		_exit(SERVER_EXIT_ORPHAN);
	/* Out of the way of 3, 4, 5 first (close-on-exec: these copies go at exec). */
	for (int i = 0; i < HANDOVER_COUNT; i++) {
		from[i] = fcntl(from[i], F_DUPFD_CLOEXEC, HANDOVER_FDS_START + HANDOVER_COUNT);
		if (from[i] < 0)
			server_fails("nspidfs: cannot hand the FUSE connection to a server\n");
	}
	exe_fd = fcntl(exe_fd, F_DUPFD_CLOEXEC, HANDOVER_FDS_START + HANDOVER_COUNT);
	for (int i = 0; i < HANDOVER_COUNT; i++) {
		if (dup2(from[i], HANDOVER_FDS_START + i) < 0)
			server_fails("nspidfs: cannot hand the FUSE connection to a server\n");
	}
	handover_set_pid(pid_slot, getpid());
	/* By descriptor: the binary opened when it was chosen, whatever lies at its path now. */
	fexecve(exe_fd, k->argv, env);
	server_fails("nspidfs: cannot execute the server's binary\n");
}

/* Start a server running exe_fd into slot s; false (logged) if none could be started. */
static bool start_server(struct keeper *k, struct server *s, int exe_fd)
{
	pid_t keeper = getpid();
	char *pid_slot = NULL;
	g_auto(GStrv) env = NULL;
	int ready[2];

	if (pipe2(ready, O_CLOEXEC) < 0) {
		g_warning("cannot make a pipe for a server: %s", g_strerror(errno));
		return false;
	}
	env = handover_env(++k->generation, &pid_slot);
	connection_note_generation(&k->conn, k->generation);
	s->pid = fork();
	if (s->pid == 0)
		exec_server(k, keeper, exe_fd, ready[1], env, pid_slot);
	close(ready[1]);
	if (s->pid < 0) {
		g_warning("cannot start a server: %s", g_strerror(errno));
		close(ready[0]);
		s->pid = 0;
		return false;
	}
	s->ready_rd = ready[0];
	s->ready = false;
	s->generation = k->generation;
	g_debug("server %u is process %d", s->generation, (int)s->pid);
	return true;
}

static void spawn(struct keeper *k)
{
	k->spawn_at = 0;
	if (!start_server(k, &k->cur, k->exe_fd)) {
		k->spawn_at = g_get_monotonic_time() + MAX_BACKOFF_MS * 1000;
		return;
	}
	if (!k->conn.resend)
		connection_let_go(&k->conn);
}

/*
 * SIGHUP: the binary now at the path the keeper was started from, with the configuration
 * read again, takes over the same connection. The one serving stops only once the new one
 * serves, so that a reload that fails (a bad configuration, a broken binary) changes nothing.
 */
static void reload(struct keeper *k)
{
	int exe_fd;

	if (!k->conn.resend) {
		g_warning("SIGHUP: a reload needs a kernel that resends requests; restart instead");
		return;
	}
	if (k->next.pid || k->old.pid || !k->cur.pid || !k->cur.ready) {
		g_warning("SIGHUP: a server is starting; try again once it serves");
		return;
	}
	exe_fd = open(k->exe_path, O_PATH | O_CLOEXEC);
	if (exe_fd < 0) {
		g_warning("SIGHUP: cannot open %s: %s", k->exe_path, g_strerror(errno));
		return;
	}
	g_message("SIGHUP: starting %s as server %u to take over from server %u", k->exe_path,
		  k->generation + 1, k->cur.generation);
	if (start_server(k, &k->next, exe_fd))
		k->next_exe = exe_fd;
	else
		close(exe_fd);
}

static void server_clear(struct server *s)
{
	nspidfs_close_fd(s->ready_rd);
	*s = NO_SERVER;
}

/* The candidate is the serving one now, and its binary the one new servers run. */
static void candidate_takes_over(struct keeper *k)
{
	nspidfs_close_fd(k->exe_fd);
	k->exe_fd = k->next_exe;
	k->next_exe = -1;
	k->cur = k->next;
	k->next = NO_SERVER;
}

/* The reload's server serves: the one it replaces stops, after answering what it read. */
static void promote(struct keeper *k)
{
	g_message("server %u serves; server %u stops", k->next.generation, k->cur.generation);
	if (k->cur.pid)
		kill(k->cur.pid, SIGTERM);
	/* A reload is refused until the last one's replaced server is gone: the slot is free. */
	k->old = k->cur;
	candidate_takes_over(k);
}

static void read_ready(struct keeper *k, struct server *s)
{
	char buf[16] = "";
	ssize_t n = read(s->ready_rd, buf, sizeof(buf) - 1);

	if (n < 0 && errno == EINTR)
		return;
	nspidfs_close_fd(s->ready_rd);
	s->ready_rd = -1;
	if (n <= 0 || strncmp(buf, "READY=1", 7) != 0)
		return; /* it died first: SIGCHLD tells */
	if (!k->ever_ready)
		ready_tell(&k->ready);
	s->ready = k->ever_ready = true;
	k->failures = 0;
	if (s == &k->next)
		promote(k);
}

static void request_stop(struct keeper *k, int sig)
{
	struct server *all[] = {&k->cur, &k->next, &k->old};

	if (!k->stopping)
		g_debug("signal %d: stopping", sig);
	k->stopping = true;
	if (k->kill_at)
		return;
	for (size_t i = 0; i < G_N_ELEMENTS(all); i++) {
		if (all[i]->pid > 0)
			kill(all[i]->pid, SIGTERM);
	}
	k->kill_at = g_get_monotonic_time() + STOP_GRACE_MS * 1000;
}

static bool servers_gone(const struct keeper *k)
{
	return !k->cur.pid && !k->next.pid && !k->old.pid;
}

static void describe(int status, char *buf, size_t size)
{
	if (WIFSIGNALED(status))
		g_snprintf(buf, size, "was killed by signal %d (%s)", WTERMSIG(status),
			   g_strsignal(WTERMSIG(status)));
	else
		g_snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
}

/*
 * What a dying server had read but not answered goes back to the kernel's queue, for
 * whichever server reads next (a reload's other server may be serving already).
 */
static void resend(struct keeper *k)
{
	int r;

	if (!k->conn.resend || connection_state(&k->conn) != CONN_ALIVE)
		return;
	r = connection_resend(&k->conn);
	if (r < 0)
		g_warning("FUSE_NOTIFY_RESEND refused: %s", g_strerror(-r));
}

/* Its connection ended (unmounted or aborted): stop, or mount anew. False: stop. */
static bool after_connection_end(struct keeper *k, const char *what)
{
	g_autoptr(GError) err = NULL;

	if (connection_state(&k->conn) == CONN_UNMOUNTED) {
		g_message("%s was unmounted: stopping", k->o->mountpoint);
		return false;
	}
	g_warning("%s; the mount at %s is dead: mounting again (bind mounts of the dead one stay "
		  "broken unless they bind a shared parent)",
		  what, k->o->mountpoint);
	connection_close(&k->conn);
	if (!mountpoint_prepare(k->conn.mountpoint, &err) || !connection_open(&k->conn)) {
		g_warning("cannot mount %s again (%s): stopping", k->o->mountpoint,
			  err ? err->message : "see above");
		k->status = 1;
		return false;
	}
	connection_store(&k->conn);
	k->spawn_at = g_get_monotonic_time();
	return true;
}

/* The serving server ended: false when the keeper should stop too. */
static bool server_ended(struct keeper *k, unsigned generation, bool was_ready, int status)
{
	char how[96];
	bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;

	/* Stopping: the grace period still runs for a reload's servers, if any are left. */
	if (k->stopping)
		return false;
	describe(status, how, sizeof(how));
	if (WIFEXITED(status) && WEXITSTATUS(status) == NSPIDFS_EXIT_CONNECTION_ENDED)
		return after_connection_end(k, "the FUSE connection was aborted");
	/* Told to stop by someone else (systemd signals every process of the unit). */
	if (clean)
		return false;
	if (!k->ever_ready) {
		/*
		 * It explained why on stderr; it would fail the same way again. Whatever its own
		 * status (127: it could not even run), the start failed: 1, as documented.
		 */
		k->status = 1;
		return false;
	}
	if (connection_state(&k->conn) != CONN_ALIVE) {
		g_autofree char *what = g_strdup_printf("server %u %s", generation, how);

		return after_connection_end(k, what);
	}
	resend(k);
	if (!was_ready && ++k->failures >= MAX_FAILURES) {
		g_critical("server %u %s, the %u-th in a row to die before serving: giving up",
			   generation, how, k->failures);
		k->status = 1;
		return false;
	}
	if (k->next.pid) {
		g_warning("server %u %s: server %u, starting, takes over the connection",
			  generation, how, k->next.generation);
		return true;
	}
	g_warning("server %u %s: server %u takes over the connection", generation, how,
		  k->generation + 1);
	k->spawn_at = g_get_monotonic_time();
	if (k->failures)
		k->spawn_at += MIN(100 << (k->failures - 1), MAX_BACKOFF_MS) * 1000;
	return true;
}

/* A server other than the serving one ended: a reload's candidate, or the one it replaced. */
static void other_ended(struct keeper *k, struct server *s, int status)
{
	bool candidate = s == &k->next;
	char how[96];

	describe(status, how, sizeof(how));
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		resend(k);
	if (candidate && !k->stopping)
		g_warning("reload failed: server %u %s before serving; server %u goes on serving",
			  s->generation, how, k->cur.generation);
	else
		g_debug("server %u %s", s->generation, how);
	if (candidate)
		nspidfs_close_fd(k->next_exe);
	server_clear(s);
	/* The serving one died while the candidate started: a new one takes over. */
	if (candidate && !k->cur.pid && !k->stopping)
		k->spawn_at = g_get_monotonic_time();
}

/* A child was reaped: false when the keeper should stop. */
static bool reaped(struct keeper *k, pid_t pid, int status)
{
	struct server done;

	if (pid == k->next.pid || pid == k->old.pid) {
		other_ended(k, pid == k->next.pid ? &k->next : &k->old, status);
		return !k->stopping || !servers_gone(k);
	}
	if (pid != k->cur.pid)
		return true;
	done = k->cur;
	server_clear(&k->cur);
	if (!server_ended(k, done.generation, done.ready, status)) {
		request_stop(k, 0);
		return !servers_gone(k);
	}
	/* A reload's candidate, starting, is the serving one now. */
	if (k->next.pid)
		candidate_takes_over(k);
	return true;
}

/* False once the keeper should stop. */
static bool take_signals(struct keeper *k)
{
	struct signalfd_siginfo si;
	bool go_on = true;
	int status;
	pid_t pid;

	while (read(k->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			if (!k->stopping)
				reload(k);
			continue;
		}
		if (si.ssi_signo != SIGCHLD) {
			request_stop(k, (int)si.ssi_signo);
			if (servers_gone(k))
				go_on = false;
			continue;
		}
		/* Every child of the keeper is a server (helpers are their own children's). */
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			go_on = reaped(k, pid, status) && go_on;
	}
	return go_on;
}

static int next_timeout_ms(const struct keeper *k)
{
	gint64 now = g_get_monotonic_time(), at = 0;

	if (k->stopping && k->kill_at)
		at = k->kill_at;
	else if (!k->stopping && !k->cur.pid && k->spawn_at)
		at = k->spawn_at;
	if (!at)
		return -1;
	return at <= now ? 0 : (int)MIN((at - now + 999) / 1000, G_MAXINT);
}

static void kill_all(struct keeper *k)
{
	struct server *all[] = {&k->cur, &k->next, &k->old};

	for (size_t i = 0; i < G_N_ELEMENTS(all); i++) {
		if (all[i]->pid > 0) {
			g_warning("server %d did not stop within %d s: killing it",
				  (int)all[i]->pid, STOP_GRACE_MS / 1000);
			kill(all[i]->pid, SIGKILL);
		}
	}
	k->kill_at = 0;
}

static void serve_loop(struct keeper *k)
{
	for (;;) {
		struct pollfd p[3] = {{.fd = k->sig_fd, .events = POLLIN},
				      {.fd = k->cur.ready_rd, .events = POLLIN},
				      {.fd = k->next.ready_rd, .events = POLLIN}};
		gint64 now;

		if (poll(p, 3, next_timeout_ms(k)) < 0 && errno != EINTR) {
			g_warning("poll: %s", g_strerror(errno));
			k->status = 1;
			request_stop(k, 0);
		}
		if (k->cur.ready_rd >= 0 && p[1].revents)
			read_ready(k, &k->cur);
		if (k->next.ready_rd >= 0 && p[2].revents)
			read_ready(k, &k->next);
		if (p[0].revents && !take_signals(k))
			return;
		now = g_get_monotonic_time();
		if (k->stopping && k->kill_at && now >= k->kill_at)
			kill_all(k);
		if (k->stopping && servers_gone(k))
			return;
		if (!k->stopping && !k->cur.pid && k->spawn_at && now >= k->spawn_at)
			spawn(k);
	}
}

static bool setup_signals(struct keeper *k)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Blocked, taken from the signalfd; inherited ignored ones are made to count. */
	signal(SIGCHLD, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	/* A reader of --ready-fd that went away must not kill the keeper. */
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return false;
	k->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return k->sig_fd >= 0;
}

static void log_mode(const struct keeper *k)
{
	if (k->conn.resend)
		g_message("server restarts keep the FUSE connection of %s: a new server adopts it "
			  "and the kernel resends what the dead one left unanswered",
			  k->o->mountpoint);
	else
		g_message("%s: a crash of the server aborts the FUSE connection and %s is mounted "
			  "again; bind mounts of it break (bind a shared parent)",
			  adopt_resend_disabled_for_test() ? "NSPIDFS_TEST_NO_RESEND is set"
							   : "this kernel cannot resend requests",
			  k->o->mountpoint);
}

/*
 * The binary servers run, held open so that a crash's new server runs the same code even
 * after a newer one was installed at the path, which a reload (SIGHUP) then starts.
 */
static bool find_binary(struct keeper *k)
{
	g_autoptr(GError) err = NULL;
	char *deleted;

	k->exe_fd = open("/proc/self/exe", O_PATH | O_CLOEXEC);
	k->exe_path = g_file_read_link("/proc/self/exe", &err);
	if (k->exe_fd < 0 || !k->exe_path) {
		g_printerr("nspidfs: cannot find its own binary: %s\n",
			   err ? err->message : g_strerror(errno));
		return false;
	}
	/* Replaced since it started: the path is still where the new one is. */
	deleted = g_strrstr(k->exe_path, " (deleted)");
	if (deleted && deleted[strlen(" (deleted)")] == '\0')
		*deleted = '\0';
	return true;
}

int keeper_run(const struct nspidfs_options *o, char **argv, const struct handover *h)
{
	struct keeper k = {
	    .o = o,
	    .argv = argv,
	    .conn = {.o = o, .init_fd = -1, .state_fd = -1},
	    .sig_fd = -1,
	    .ready = {.user_fd = o->ready_fd, .started_wr = -1},
	    .exe_fd = -1,
	    .next_exe = -1,
	    .cur = NO_SERVER,
	    .next = NO_SERVER,
	    .old = NO_SERVER,
	};

	if (!find_binary(&k))
		return 1;
	/* Servers must not hold it: its reader waits for end of file if the first one fails. */
	if (k.ready.user_fd >= 0)
		fcntl(k.ready.user_fd, F_SETFD, FD_CLOEXEC);
	/*
	 * libfuse chdir()s to / and unmounts by this string: it must be absolute. An adopted
	 * connection's mount answers nothing until a server runs: canonicalised as text, as
	 * realpath() would stat it and wait.
	 */
	k.conn.mountpoint =
	    h ? g_canonicalize_filename(o->mountpoint, NULL) : realpath(o->mountpoint, NULL);
	if (!k.conn.mountpoint ||
	    !(h ? connection_adopt(&k.conn, h, &k.generation) : connection_open(&k.conn))) {
		if (!k.conn.mountpoint)
			g_printerr("nspidfs: cannot mount at %s\n", o->mountpoint);
		connection_close(&k.conn);
		g_free(k.conn.mountpoint);
		nspidfs_close_fd(k.exe_fd);
		g_free(k.exe_path);
		return 1;
	}
	/* What the dead keeper's servers read and never answered comes back for ours. */
	if (h)
		resend(&k);
	else
		connection_store(&k.conn);
	/* Nothing may hold the directory it was started from busy. */
	if (chdir("/") < 0 || (!o->foreground && !ready_daemonize(&k.ready)) ||
	    !setup_signals(&k)) {
		k.status = 1;
		goto out;
	}
	if (!o->foreground)
		log_daemonized();
	log_mode(&k);
	spawn(&k);
	/* None could be started: the next would fail the same way, and nothing serves yet. */
	if (!k.cur.pid) {
		k.status = 1;
		goto out;
	}
	serve_loop(&k);
out:
	nspidfs_close_fd(k.sig_fd);
	server_clear(&k.cur);
	server_clear(&k.next);
	server_clear(&k.old);
	ready_clear(&k.ready);
	connection_close(&k.conn);
	nspidfs_close_fd(k.conn.state_fd);
	nspidfs_close_fd(k.exe_fd);
	nspidfs_close_fd(k.next_exe);
	g_free(k.exe_path);
	g_free(k.conn.mountpoint); /* GLib allocates with malloc() */
	return k.status;
}

/*
 * Restarts readers must not see (issue 16). The server is killed with SIGKILL again and
 * again while readers in another mount namespace read through a bind of the mount point
 * itself, made after the daemon serves, with a request in flight at every kill (a creds
 * helper made slow by NSPIDFS_TEST_HELPER_DELAY_MS): every read must succeed with the
 * kernel's answer, and the longest wait is reported (how long is the benchmark's to say:
 * a sanitizer build on a loaded machine takes seconds to start a server). A reload (SIGHUP)
 * runs the binary newly installed at the path, unnoticed. Open files and directories outlive
 * their server. An aborted connection is mounted again, with a log line. SIGTERM and
 * fusermount3 -u leave no process, connection or mount. Without resend (simulated), a
 * crash fails the reads in flight rather than leaving them waiting, and the mount is made
 * again.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"

#define KILLS	     20
#define HELPER_DELAY "100"
#define DEADLINE_US  (30 * G_USEC_PER_SEC)
#define FUSECTL	     "/sys/fs/fuse/connections"

static struct nstree tree;
static int nested; /* a member, not the init, of a namespace two levels down */

enum reader_kind { R_IN_FLIGHT, R_PID_FILES, R_NS_FILES, R_TREE, R_LISTING, READERS };

static const char *const reader_names[READERS] = {
    [R_IN_FLIGHT] = "PID/init needing a helper",
    [R_PID_FILES] = "PID/{init,nspid,level,ancestors}",
    [R_NS_FILES] = "ns/INODE/{init,level}",
    [R_TREE] = "tree",
    [R_LISTING] = "the root listing",
};

struct reader_result {
	long reads, errors, wrong;
	gint64 max_wait_us;
	char problem[200];
};

/* Shared with the reader process (another mount namespace). */
struct shared {
	int stop;
	int bound; /* 1 once the bind serves, -1 if it failed */
	char bind[96];
	struct reader_result r[READERS];
};

static struct shared *sh;

static int make_shared(struct fixture *f)
{
	nested = nstree_add(&tree, nstree_add(&tree, nstree_add(&tree, -1, true), true), false);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return sh == MAP_FAILED ? -1 : 0;
}

static int unmap_shared(struct fixture *f)
{
	if (sh && sh != MAP_FAILED)
		munmap(sh, sizeof(*sh));
	sh = NULL;
	return 0;
}

/* Each test starts and stops its own daemons. */
static struct fixture fx = {
    .tree = &tree,
    .before_start = make_shared,
    .after_stop = unmap_shared,
};

/* ------------------------------------------------------------------ readers */

static void note(struct reader_result *r, bool error, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void note(struct reader_result *r, bool error, const char *fmt, ...)
{
	va_list ap;

	if (error)
		r->errors++;
	else
		r->wrong++;
	if (r->problem[0])
		return;
	va_start(ap, fmt);
	vsnprintf(r->problem, sizeof(r->problem), fmt, ap);
	va_end(ap);
}

/* Read a file of the bind; false (noted) on an error. */
static bool timed_read(struct reader_result *r, const char *rel, char *buf, size_t size)
{
	char path[256];
	gint64 t0 = g_get_monotonic_time(), dt;
	int n;

	snprintf(path, sizeof(path), "%s/%s", sh->bind, rel);
	n = read_file(path, buf, size);
	dt = g_get_monotonic_time() - t0;
	__atomic_add_fetch(&r->reads, 1, __ATOMIC_RELEASE);
	r->max_wait_us = MAX(r->max_wait_us, dt);
	if (n < 0)
		note(r, true, "%s: %s", rel, strerror(-n));
	return n >= 0;
}

static void expect_text(struct reader_result *r, const char *rel, const char *want)
{
	char buf[4096];

	if (timed_read(r, rel, buf, sizeof(buf)) && strcmp(buf, want) != 0)
		note(r, false, "%s: '%s', want '%s'", rel, buf, want);
}

static void read_in_flight(struct reader_result *r)
{
	const struct member *m = &tree.m[nested];
	char rel[64], want[32];

	snprintf(rel, sizeof(rel), "%d/init", m->host);
	snprintf(want, sizeof(want), "%d\n", m->inits[m->level]);
	expect_text(r, rel, want);
}

/* Processes of the daemon's namespace need no helper: the kernel's NSpid is their PID. */
static void read_pid_files(struct reader_result *r)
{
	pid_t pids[] = {getpid(), getppid()}, nspid[TREE_LEVELS];
	char rel[64], want[64];
	unsigned n;

	for (size_t i = 0; i < G_N_ELEMENTS(pids); i++) {
		if (kernel_nspid(pids[i], nspid, TREE_LEVELS, &n) < 0 || n != 1) {
			note(r, false, "kernel NSpid of %d unreadable", pids[i]);
			continue;
		}
		snprintf(rel, sizeof(rel), "%d/nspid", pids[i]);
		snprintf(want, sizeof(want), "%d\n", nspid[0]);
		expect_text(r, rel, want);
		snprintf(rel, sizeof(rel), "%d/init", pids[i]);
		expect_text(r, rel, "1\n");
		snprintf(rel, sizeof(rel), "%d/level", pids[i]);
		expect_text(r, rel, "0\n");
	}
}

static void read_ns_files(struct reader_result *r)
{
	const struct member *m = &tree.m[nested];
	uint64_t ns = kernel_ns_ino(m->host);
	char rel[64], want[32];

	snprintf(rel, sizeof(rel), "ns/%llu/init", (unsigned long long)ns);
	snprintf(want, sizeof(want), "%d\n", m->inits[m->level]);
	expect_text(r, rel, want);
	snprintf(rel, sizeof(rel), "ns/%llu/level", (unsigned long long)ns);
	snprintf(want, sizeof(want), "%u\n", m->level);
	expect_text(r, rel, want);
}

static void read_tree(struct reader_result *r)
{
	const struct member *m = &tree.m[nested];
	g_autofree char *buf = g_malloc(1 << 20);
	char line[96];

	snprintf(line, sizeof(line), "ns %llu level %u init %d ",
		 (unsigned long long)kernel_ns_ino(m->host), m->level, m->inits[m->level]);
	if (timed_read(r, "tree", buf, 1 << 20) && !strstr(buf, line))
		note(r, false, "tree lacks '%s'", line);
}

static void read_listing(struct reader_result *r)
{
	gint64 t0 = g_get_monotonic_time();
	DIR *dir = opendir(sh->bind);
	char want[16];
	bool seen = false;
	struct dirent *e;

	snprintf(want, sizeof(want), "%d", getpid());
	__atomic_add_fetch(&r->reads, 1, __ATOMIC_RELEASE);
	if (!dir) {
		note(r, true, "opendir: %s", strerror(errno));
		return;
	}
	errno = 0;
	while ((e = readdir(dir)))
		seen |= strcmp(e->d_name, want) == 0;
	if (errno)
		note(r, true, "readdir: %s", strerror(errno));
	else if (!seen)
		note(r, false, "the root does not list %s", want);
	closedir(dir);
	r->max_wait_us = MAX(r->max_wait_us, g_get_monotonic_time() - t0);
}

static void *reader_main(void *arg)
{
	enum reader_kind kind = (enum reader_kind)(intptr_t)arg;
	struct reader_result *r = &sh->r[kind];

	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
		switch (kind) {
		case R_IN_FLIGHT:
			read_in_flight(r);
			break;
		case R_PID_FILES:
			read_pid_files(r);
			break;
		case R_NS_FILES:
			read_ns_files(r);
			break;
		case R_TREE:
			read_tree(r);
			break;
		default:
			read_listing(r);
			break;
		}
	}
	return NULL;
}

/*
 * A process in a mount namespace of its own binds the mount point itself (as a container
 * runtime does with -v MOUNTPOINT:...), then reads through the bind until told to stop.
 */
static pid_t start_readers(const struct daemon *d)
{
	pid_t pid;

	memset(sh, 0, sizeof(*sh));
	snprintf(sh->bind, sizeof(sh->bind), "%s/bind", d->dir);
	assert_int_equal(mkdir(sh->bind, 0755), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pthread_t th[READERS];
		char buf[16], level[128];

		/* A failed test must not leave readers spinning on a dead mount. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		snprintf(level, sizeof(level), "%s/self/level", sh->bind);
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount(d->mnt, sh->bind, NULL, MS_BIND, NULL) < 0 ||
		    read_file(level, buf, sizeof(buf)) < 0) {
			__atomic_store_n(&sh->bound, -1, __ATOMIC_RELEASE);
			_exit(1);
		}
		__atomic_store_n(&sh->bound, 1, __ATOMIC_RELEASE);
		for (intptr_t i = 0; i < READERS; i++)
			pthread_create(&th[i], NULL, reader_main, (void *)i);
		for (int i = 0; i < READERS; i++)
			pthread_join(th[i], NULL);
		_exit(0);
	}
	/* Bounded wait for the bind, by the readers' own word. */
	for (gint64 end = g_get_monotonic_time() + DEADLINE_US;
	     !__atomic_load_n(&sh->bound, __ATOMIC_ACQUIRE) && g_get_monotonic_time() < end;)
		sched_yield();
	assert_int_equal(__atomic_load_n(&sh->bound, __ATOMIC_ACQUIRE), 1);
	return pid;
}

/* Stop the readers; fail if one of them still waits (a read nobody answers) at the deadline. */
static void stop_readers(pid_t pid)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), status;
	struct pollfd p = {.fd = pidfd, .events = POLLIN};

	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	assert_true(pidfd >= 0);
	if (poll(&p, 1, (int)(DEADLINE_US / 1000)) != 1) {
		kill(pid, SIGKILL);
		fail_msg("a reader was still waiting %d s after the last kill",
			 (int)(DEADLINE_US / G_USEC_PER_SEC));
	}
	close(pidfd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ------------------------------------------------------------------ the daemon's processes */

/*
 * Whether the server has a helper in namespace ns (0: anywhere), serving a request in
 * flight. (The test delay runs before a helper joins the namespace.)
 */
static bool has_helper_in(pid_t server, uint64_t ns)
{
	g_autoptr(GArray) kids = daemon_helpers(server, ns);

	return kids->len > 0;
}

/* Fail at the readers' first error or wrong answer (sh->r is zeroed when none read). */
static void check_readers(void)
{
	for (int i = 0; i < READERS; i++) {
		const struct reader_result *r = &sh->r[i];

		if (__atomic_load_n(&r->errors, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&r->wrong, __ATOMIC_ACQUIRE))
			fail_msg("%s: %s", reader_names[i], r->problem);
	}
}

/* Bounded: until a read is in flight in the server, waiting for its helper. */
static void wait_helper(pid_t server, uint64_t ns)
{
	gint64 end = g_get_monotonic_time() + DEADLINE_US;

	while (!has_helper_in(server, ns)) {
		check_readers();
		if (g_get_monotonic_time() > end)
			fail_msg("no read in flight in server %d", server);
		sched_yield();
	}
}

/* Bounded: until the reader finished more than `done` reads. */
static void wait_reads(enum reader_kind kind, long done)
{
	gint64 end = g_get_monotonic_time() + DEADLINE_US;

	while (__atomic_load_n(&sh->r[kind].reads, __ATOMIC_ACQUIRE) <= done) {
		check_readers();
		if (g_get_monotonic_time() > end)
			fail_msg("%s: the read in flight at the kill was never answered",
				 reader_names[kind]);
		sched_yield();
	}
}

/* Bounded: the keeper's child once it is not `old`. */
static pid_t wait_new_server(const struct daemon *d, pid_t old)
{
	gint64 end = g_get_monotonic_time() + DEADLINE_US;
	pid_t s;

	while ((s = daemon_server(d)) <= 0 || s == old) {
		if (g_get_monotonic_time() > end)
			fail_msg("no new server %d s after server %d died",
				 (int)(DEADLINE_US / G_USEC_PER_SEC), old);
		sched_yield();
	}
	return s;
}

static void kill_and_reap_check(pid_t server)
{
	int pidfd = (int)syscall(SYS_pidfd_open, server, 0);
	struct pollfd p = {.fd = pidfd, .events = POLLIN};

	assert_true(pidfd >= 0);
	assert_int_equal(kill(server, SIGKILL), 0);
	/* Gone (the pidfd polls readable when it exits), whoever reaps it. */
	assert_int_equal(poll(&p, 1, (int)(DEADLINE_US / 1000)), 1);
	close(pidfd);
}

static unsigned count_in_log(const struct daemon *d, const char *what)
{
	g_autofree char *log = NULL;
	unsigned n = 0;

	g_file_get_contents(d->log, &log, NULL, NULL);
	for (const char *p = log; p && (p = strstr(p, what)); p++)
		n++;
	return n;
}

static void report(void)
{
	gint64 others = 0;

	for (int i = 0; i < READERS; i++) {
		const struct reader_result *r = &sh->r[i];

		printf("  %-34s %6ld reads, %ld errors, %ld wrong, longest wait %.1f ms%s%s\n",
		       reader_names[i], r->reads, r->errors, r->wrong, r->max_wait_us / 1000.0,
		       r->problem[0] ? ": " : "", r->problem);
		if (i != R_IN_FLIGHT)
			others = MAX(others, r->max_wait_us);
	}
	printf("  longest wait of a reader with no helper: %.1f ms\n", others / 1000.0);
}

/*
 * SIGKILL of the server, KILLS times, each while a read waits for its helper: the readers
 * through a bind of the mount point itself see nothing of it.
 */
static void test_kills_are_invisible(void **state)
{
	const char *args[] = {"--strategy=creds", "--pid-cache=0", "--helper-timeout=5000", NULL};
	uint64_t ns = kernel_ns_ino(tree.m[nested].host);
	struct daemon d;
	pid_t readers, server;

	/* Every read of the nested member forks a helper (no cache), which takes this long. */
	setenv("NSPIDFS_TEST_HELPER_DELAY_MS", HELPER_DELAY, 1);
	assert_true(daemon_start(&d, args));
	unsetenv("NSPIDFS_TEST_HELPER_DELAY_MS");
	d.restarts_expected = true;
	readers = start_readers(&d);
	server = d.server;
	for (int i = 0; i < KILLS; i++) {
		long done;

		/* A read is in flight (its helper runs): kill its server. */
		wait_helper(server, ns);
		done = __atomic_load_n(&sh->r[R_IN_FLIGHT].reads, __ATOMIC_ACQUIRE);
		kill_and_reap_check(server);
		server = wait_new_server(&d, server);
		/* The next server answered it (the kernel sent it again). */
		wait_reads(R_IN_FLIGHT, done);
	}
	stop_readers(readers);
	printf("%d kills of the server under %d readers bound in another mount namespace:\n", KILLS,
	       READERS);
	report();
	for (int i = 0; i < READERS; i++) {
		assert_true(sh->r[i].reads > 0);
		if (sh->r[i].errors || sh->r[i].wrong)
			fail_msg("%s: %ld errors, %ld wrong answers; first: %s", reader_names[i],
				 sh->r[i].errors, sh->r[i].wrong, sh->r[i].problem);
	}
	assert_int_equal(count_in_log(&d, "takes over the connection"), KILLS);
	assert_int_equal(daemon_stop(&d), 0);
}

/* ------------------------------------------------------------------ reload */

/* The keeper's children: how many, and the first. */
static unsigned keeper_children(const struct daemon *d, pid_t *first)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/task/%d/children", d->pid, d->pid);
	g_autofree char *text = NULL;
	g_auto(GStrv) pids = NULL;

	*first = 0;
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return 0;
	pids = g_strsplit(g_strstrip(text), " ", -1);
	if (pids[0] && *pids[0])
		*first = atoi(pids[0]);
	return *first ? g_strv_length(pids) : 0;
}

/* As a package manager installs: a new file renamed over the old. Returns its inode. */
static ino_t install(const char *path, const char *content, gsize len)
{
	g_autofree char *tmp = g_strconcat(path, ".new", NULL);
	struct stat st;

	assert_true(g_file_set_contents_full(tmp, content, (gssize)len,
					     G_FILE_SET_CONTENTS_CONSISTENT, 0755, NULL));
	assert_int_equal(rename(tmp, path), 0);
	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

/* Bounded: until the keeper's only server runs the binary of inode ino. */
static pid_t wait_sole_server_of(const struct daemon *d, ino_t ino)
{
	gint64 end = g_get_monotonic_time() + DEADLINE_US;
	struct stat st;
	pid_t s;

	for (;;) {
		g_autofree char *exe = NULL;

		check_readers();
		if (keeper_children(d, &s) == 1) {
			exe = g_strdup_printf("/proc/%d/exe", s);
			if (stat(exe, &st) == 0 && st.st_ino == ino)
				return s;
		}
		if (g_get_monotonic_time() > end)
			fail_msg("no server of the new binary %d s after SIGHUP",
				 (int)(DEADLINE_US / G_USEC_PER_SEC));
		sched_yield();
	}
}

/* Bounded: until the log says `what` more than `seen` times. */
static void wait_log(const struct daemon *d, const char *what, unsigned seen)
{
	gint64 end = g_get_monotonic_time() + DEADLINE_US;

	while (count_in_log(d, what) <= seen) {
		check_readers();
		if (g_get_monotonic_time() > end)
			fail_msg("the log never said '%s'", what);
		sched_yield();
	}
}

#define RELOADS 5

/*
 * SIGHUP, as `systemctl reload` sends it, after a new binary was installed at the daemon's
 * path: the new binary serves, the old server stops, and readers bound to the mount point see
 * nothing. A reload that cannot work (a configuration the new server refuses, a binary that
 * does not run) changes nothing: the server that served goes on.
 */
static void test_reload_is_invisible(void **state)
{
	g_autofree char *bin = NULL, *conf = NULL, *conf_arg = NULL, *image = NULL;
	const char *real = getenv("NSPIDFS_BIN");
	const char *args[3] = {"--strategy=creds", NULL, NULL};
	struct daemon d;
	gsize len;
	pid_t readers, server, s;
	ino_t ino;

	assert_non_null(real);
	assert_true(g_file_get_contents(real, &image, &len, NULL));
	bin = g_strdup_printf("/tmp/nspidfs-reload-%d", getpid());
	conf = g_strdup_printf("%s.conf", bin);
	conf_arg = g_strdup_printf("--config=%s", conf);
	args[1] = conf_arg;
	ino = install(bin, image, len);
	assert_true(g_file_set_contents(conf, "[nspidfs]\n", -1, NULL));
	setenv("NSPIDFS_BIN", bin, 1);
	assert_true(daemon_start(&d, args));
	setenv("NSPIDFS_BIN", real, 1);
	readers = start_readers(&d);
	server = wait_sole_server_of(&d, ino);
	for (int i = 0; i < RELOADS; i++) {
		long done = __atomic_load_n(&sh->r[R_TREE].reads, __ATOMIC_ACQUIRE);

		ino = install(bin, image, len);
		assert_int_equal(kill(d.pid, SIGHUP), 0);
		s = wait_sole_server_of(&d, ino);
		assert_int_not_equal(s, server);
		server = s;
		wait_reads(R_TREE, done);
	}
	/* A configuration the new server refuses: the old one goes on. */
	assert_true(g_file_set_contents(conf, "[nspidfs]\nno-such-key=1\n", -1, NULL));
	assert_int_equal(kill(d.pid, SIGHUP), 0);
	wait_log(&d, "reload failed", 0);
	/* A binary that does not run. */
	install(bin, "#!/nonexistent\n", strlen("#!/nonexistent\n"));
	assert_true(g_file_set_contents(conf, "[nspidfs]\n", -1, NULL));
	assert_int_equal(kill(d.pid, SIGHUP), 0);
	wait_log(&d, "reload failed", 1);
	assert_int_equal(keeper_children(&d, &s), 1);
	assert_int_equal(s, server);
	wait_reads(R_TREE, __atomic_load_n(&sh->r[R_TREE].reads, __ATOMIC_ACQUIRE));
	stop_readers(readers);
	printf("%d reloads, then two that failed, under %d readers bound in another mount "
	       "namespace:\n",
	       RELOADS, READERS);
	report();
	for (int i = 0; i < READERS; i++) {
		if (sh->r[i].errors || sh->r[i].wrong)
			fail_msg("%s: %ld errors, %ld wrong answers; first: %s", reader_names[i],
				 sh->r[i].errors, sh->r[i].wrong, sh->r[i].problem);
	}
	assert_int_equal(count_in_log(&d, "takes over the connection"), 0);
	assert_int_equal(daemon_stop(&d), 0);
	unlink(bin);
	unlink(conf);
}

/* Whether mountinfo has a mount at mnt. */
static bool mounted_at(const char *mnt)
{
	g_autofree char *info = NULL;
	g_autofree char *needle = g_strdup_printf(" %s ", mnt);

	assert_true(g_file_get_contents("/proc/self/mountinfo", &info, NULL, NULL));
	return strstr(info, needle) != NULL;
}

/* ------------------------------------------------------------------ systemd's fd store */

/* systemd's side of sd_notify(3): the socket, what the daemon stored in it, and READY=1. */
struct store {
	int sock;
	int fd[3]; /* "fuse", "init", "state" */
	unsigned ready;
};

static void store_keep(struct store *st, const char *text, const int *fds, unsigned n)
{
	static const char *const names[] = {"FDNAME=fuse", "FDNAME=init", "FDNAME=state"};

	for (unsigned i = 0; i < n; i++) {
		int slot = -1;

		for (int k = 0; k < 3; k++) {
			if (strstr(text, "FDSTORE=1") && strstr(text, names[k]))
				slot = k;
		}
		if (slot < 0) {
			close(fds[i]);
			continue;
		}
		if (st->fd[slot] >= 0)
			close(st->fd[slot]);
		st->fd[slot] = fds[i];
	}
}

/* Bounded: take notifications until one more READY=1. */
static void store_wait_ready(struct store *st)
{
	gint64 end = g_get_monotonic_time() + DEADLINE_US;
	unsigned ready = st->ready;

	while (st->ready == ready) {
		union {
			struct cmsghdr h;
			char buf[CMSG_SPACE(sizeof(int) * 4)];
		} control;
		char text[512];
		struct iovec iov = {.iov_base = text, .iov_len = sizeof(text) - 1};
		struct msghdr msg = {.msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = control.buf,
				     .msg_controllen = sizeof(control.buf)};
		struct pollfd p = {.fd = st->sock, .events = POLLIN};
		struct cmsghdr *c;
		ssize_t n;

		check_readers();
		if (g_get_monotonic_time() > end)
			fail_msg("no READY=1 on the notification socket");
		if (poll(&p, 1, 100) != 1)
			continue;
		n = recvmsg(st->sock, &msg, MSG_CMSG_CLOEXEC);
		assert_true(n >= 0);
		text[n] = '\0';
		for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
				store_keep(st, text, (const int *)CMSG_DATA(c),
					   (unsigned)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int)));
		}
		if (strstr(text, "READY=1"))
			st->ready++;
	}
}

/* As systemd restarts a unit: the stored descriptors as 3 and 4, named by LISTEN_FDNAMES. */
static pid_t start_from_store(const struct daemon *d, const struct store *st)
{
	const char *argv[] = {"nspidfs", "-f", d->mnt, NULL};
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int log = open(d->log, O_WRONLY | O_APPEND | O_CLOEXEC);
		int fuse = fcntl(st->fd[0], F_DUPFD_CLOEXEC, 10);
		int init = fcntl(st->fd[1], F_DUPFD_CLOEXEC, 10);
		int state = fcntl(st->fd[2], F_DUPFD_CLOEXEC, 10);
		char pid_text[16];

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (log < 0 || fuse < 0 || init < 0 || state < 0 || dup2(log, 2) < 0 ||
		    dup2(fuse, 3) < 0 || dup2(init, 4) < 0 || dup2(state, 5) < 0)
			_exit(127);
		snprintf(pid_text, sizeof(pid_text), "%d", getpid());
		setenv("LISTEN_PID", pid_text, 1);
		setenv("LISTEN_FDS", "3", 1);
		setenv("LISTEN_FDNAMES", "fuse:init:state", 1);
		execv(getenv("NSPIDFS_BIN"), (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/*
 * Under systemd the keeper stores the connection in the unit's fd store. Here the test plays
 * systemd: it takes the notifications, kills the keeper and its server with SIGKILL (the
 * keeper's own crash), and starts the daemon again with the stored descriptors. Readers bound
 * to the mount point see nothing, and SIGTERM to the new keeper unmounts.
 */
static void test_fd_store_outlives_the_keeper(void **state)
{
	g_autofree char *sock_path = NULL;
	struct store st = {.fd = {-1, -1, -1}};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct daemon d;
	pid_t readers;
	long done;
	int status;

	st.sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(st.sock >= 0);
	sock_path = g_strdup_printf("/tmp/nspidfs-notify-%d", getpid());
	unlink(sock_path);
	g_strlcpy(sa.sun_path, sock_path, sizeof(sa.sun_path));
	assert_int_equal(bind(st.sock, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setenv("NOTIFY_SOCKET", sock_path, 1);
	assert_true(daemon_start(&d, NULL));
	store_wait_ready(&st);
	assert_true(st.fd[0] >= 0 && st.fd[1] >= 0 && st.fd[2] >= 0);
	readers = start_readers(&d);
	done = __atomic_load_n(&sh->r[R_TREE].reads, __ATOMIC_ACQUIRE);
	wait_reads(R_TREE, done);
	/* The keeper's crash, then systemd's clean-up of what is left of the unit. */
	assert_int_equal(kill(d.pid, SIGKILL), 0);
	assert_int_equal(waitpid(d.pid, &status, 0), d.pid);
	kill_and_reap_check(d.server);
	d.pid = start_from_store(&d, &st);
	unsetenv("NOTIFY_SOCKET");
	store_wait_ready(&st);
	d.server = daemon_server(&d);
	done = __atomic_load_n(&sh->r[R_TREE].reads, __ATOMIC_ACQUIRE);
	wait_reads(R_TREE, done);
	stop_readers(readers);
	printf("the keeper killed, and started again from the fd store, under %d readers:\n",
	       READERS);
	report();
	for (int i = 0; i < READERS; i++) {
		if (sh->r[i].errors || sh->r[i].wrong)
			fail_msg("%s: %ld errors, %ld wrong answers; first: %s", reader_names[i],
				 sh->r[i].errors, sh->r[i].wrong, sh->r[i].problem);
	}
	assert_true(count_in_log(&d, "from the service manager's fd store") == 1);
	/* A stop unmounts the adopted connection as the first keeper would have. */
	assert_int_equal(kill(d.pid, SIGTERM), 0);
	assert_int_equal(waitpid(d.pid, &status, 0), d.pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	d.pid = 0;
	assert_false(mounted_at(d.mnt));
	for (int i = 0; i < 3; i++)
		close(st.fd[i]);
	close(st.sock);
	unlink(sock_path);
	assert_int_equal(daemon_stop(&d), 0);
}

/* ------------------------------------------------------------------ open files */

/*
 * A file and a directory opened from one server are read through another: the new server
 * opens them again for the reader instead of trusting the dead one's handles (a directory
 * handle was a pointer into the dead process).
 */
static void test_open_files_outlive_the_server(void **state)
{
	char path[160], before[4096], after[4096];
	struct daemon d;
	int fd, n;
	DIR *dir;
	struct dirent *e;
	unsigned entries = 0;
	bool own = false;
	pid_t server;

	assert_true(daemon_start(&d, NULL));
	d.restarts_expected = true;
	snprintf(path, sizeof(path), "%s/%d/json", d.mnt, tree.m[nested].host);
	assert_true(read_file(path, before, sizeof(before)) > 0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	dir = opendir(d.mnt);
	assert_non_null(dir);
	/* Part of the listing from the first server. */
	for (int i = 0; i < 3 && (e = readdir(dir)); i++)
		entries++;
	server = d.server;
	for (int round = 0; round < 2; round++) {
		kill_and_reap_check(server);
		server = wait_new_server(&d, server);
	}
	n = (int)pread(fd, after, sizeof(after) - 1, 0);
	assert_true(n > 0);
	after[n] = '\0';
	assert_string_equal(after, before);
	errno = 0;
	while ((e = readdir(dir))) {
		char want[16];

		snprintf(want, sizeof(want), "%d", getpid());
		own |= strcmp(e->d_name, want) == 0;
		entries++;
	}
	assert_int_equal(errno, 0);
	assert_true(own);
	closedir(dir);
	close(fd);
	/* The handles were released to the server that opened them again; no server died. */
	assert_int_equal(daemon_server(&d), server);
	assert_int_equal(count_in_log(&d, "takes over the connection"), 2);
	assert_int_equal(daemon_stop(&d), 0);
}

/* ------------------------------------------------------------------ the connection's end */

static void mount_fusectl(void)
{
	struct stat st;

	if (stat(FUSECTL "/..", &st) == 0 && access(FUSECTL, F_OK) == 0) {
		g_autoptr(GDir) dir = g_dir_open(FUSECTL, 0, NULL);

		/* Empty: not mounted in this mount namespace. */
		if (dir && !g_dir_read_name(dir))
			mount("fusectl", FUSECTL, "fusectl", 0, NULL);
	}
}

static unsigned connection_of(const char *mnt)
{
	struct stat st;

	assert_int_equal(stat(mnt, &st), 0);
	return minor(st.st_dev);
}

static bool connection_exists(unsigned conn)
{
	g_autofree char *path = g_strdup_printf(FUSECTL "/%u", conn);

	return access(path, F_OK) == 0;
}

/* Bounded: until the mount point answers again (after a new mount). */
static void wait_serving(const char *mnt)
{
	g_autofree char *path = g_strdup_printf("%s/self/level", mnt);
	gint64 end = g_get_monotonic_time() + DEADLINE_US;
	char buf[16];

	while (read_file(path, buf, sizeof(buf)) < 0) {
		if (g_get_monotonic_time() > end)
			fail_msg("%s did not serve again", mnt);
		sched_yield();
	}
	assert_string_equal(buf, "0\n");
}

/* An abort (fusectl) kills the connection: the keeper says so and mounts again. */
static void test_abort_mounts_again(void **state)
{
	struct daemon d;
	unsigned conn, again;
	g_autofree char *abort_path = NULL;

	mount_fusectl();
	assert_true(daemon_start(&d, NULL));
	d.restarts_expected = true;
	conn = connection_of(d.mnt);
	abort_path = g_strdup_printf(FUSECTL "/%u/abort", conn);
	if (access(abort_path, W_OK) < 0) {
		daemon_stop(&d);
		skip();
	}
	assert_int_equal(write_file(abort_path, "1"), 0);
	wait_serving(d.mnt);
	/* (The new connection may get the dead one's device number.) */
	again = connection_of(d.mnt);
	assert_int_equal(count_in_log(&d, "the FUSE connection was aborted"), 1);
	assert_int_equal(daemon_stop(&d), 0);
	assert_false(connection_exists(again));
}

/* SIGTERM to the keeper, and fusermount3 -u: no process, connection or mount is left. */
static void test_stop_leaves_nothing(void **state)
{
	for (int how = 0; how < 2; how++) {
		struct daemon d;
		unsigned conn;
		pid_t server;
		int status;

		mount_fusectl();
		assert_true(daemon_start(&d, NULL));
		conn = connection_of(d.mnt);
		server = d.server;
		assert_true(connection_exists(conn));
		if (how == 0) {
			assert_int_equal(kill(d.pid, SIGTERM), 0);
		} else {
			g_autofree char *cmd = g_strdup_printf("fusermount3 -u %s", d.mnt);

			assert_int_equal(system(cmd), 0);
		}
		assert_int_equal(waitpid(d.pid, &status, 0), d.pid);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		d.pid = 0;
		/* Before daemon_stop(), which would detach a mount left behind. */
		assert_false(mounted_at(d.mnt));
		assert_int_equal(daemon_stop(&d), 0);
		assert_true(kill(server, 0) < 0 && errno == ESRCH);
		assert_false(connection_exists(conn));
	}
}

/*
 * A kernel that cannot resend (simulated): the server holds the only descriptor, so its
 * death ends the reads in flight with an error at once, not never; the keeper then mounts
 * again where the mount was.
 */
static void test_without_resend_nothing_hangs(void **state)
{
	const char *args[] = {"--strategy=creds", "--pid-cache=0", "--helper-timeout=60000", NULL};
	char path[160], buf[64];
	struct daemon d;
	int p[2], r;
	pid_t reader;
	struct pollfd pf;

	setenv("NSPIDFS_TEST_NO_RESEND", "1", 1);
	/* The read in flight would wait a minute for its helper. */
	setenv("NSPIDFS_TEST_HELPER_DELAY_MS", "60000", 1);
	assert_true(daemon_start(&d, args));
	unsetenv("NSPIDFS_TEST_NO_RESEND");
	unsetenv("NSPIDFS_TEST_HELPER_DELAY_MS");
	d.restarts_expected = true;
	assert_true(count_in_log(&d, "NSPIDFS_TEST_NO_RESEND is set") == 1);
	snprintf(path, sizeof(path), "%s/%d/init", d.mnt, tree.m[nested].host);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	reader = fork();
	if (reader == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		r = read_file(path, buf, sizeof(buf));
		_exit(write(p[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	close(p[1]);
	pf = (struct pollfd){.fd = p[0], .events = POLLIN};
	if (poll(&pf, 1, 0) == 1 && read(p[0], &r, sizeof(r)) == sizeof(r))
		fail_msg("the read ended before the kill: %d", r);
	wait_helper(d.server, 0);
	kill_and_reap_check(d.server);
	pf = (struct pollfd){.fd = p[0], .events = POLLIN};
	if (poll(&pf, 1, 10000) != 1)
		fail_msg("the read in flight at the crash still waits 10 s later");
	assert_int_equal(read(p[0], &r, sizeof(r)), sizeof(r));
	assert_true(r < 0);
	close(p[0]);
	waitpid(reader, NULL, 0);
	wait_serving(d.mnt);
	assert_int_equal(daemon_stop(&d), 0);
}

/* argv[1], if given: only the tests whose names match it (a glob), for debugging. */
int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kills_are_invisible),
	    cmocka_unit_test(test_reload_is_invisible),
	    cmocka_unit_test(test_fd_store_outlives_the_keeper),
	    cmocka_unit_test(test_open_files_outlive_the_server),
	    cmocka_unit_test(test_abort_mounts_again),
	    cmocka_unit_test(test_stop_leaves_nothing),
	    cmocka_unit_test(test_without_resend_nothing_hangs),
	};

	harness_init();
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return fixture_run("restart", tests, &fx);
}

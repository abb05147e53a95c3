/*
 * The creds helpers' contract, with a helper made to hang (NSPIDFS_TEST_HELPER_DELAY_MS):
 * the read fails with ETIMEDOUT at the configured timeout, every helper is reaped before the
 * reply, a helper holds no descriptor but its socket and namespace, and other reads are
 * served meanwhile; a stop with a read in flight answers it before the unmount; the helpers
 * come from one spawner, not from the daemon.
 */
#include <errno.h>
#include <glib.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"

static struct daemon d;
static struct nstree tree;
static int nested;

static int add_nested(struct fixture *f)
{
	nested = nstree_add(&tree, nstree_add(&tree, -1, true), false);
	/* Far beyond the timeout: the daemon must kill the helper, not wait for it. */
	setenv("NSPIDFS_TEST_HELPER_DELAY_MS", "60000", 1);
	return 0;
}

static struct fixture fx = {
    .tree = &tree,
    .before_start = add_nested,
    .daemons = {{.d = &d, .args = {"--strategy=creds", "--helper-timeout=1500"}}},
};

static GArray *helpers_in(uint64_t ns_ino)
{
	return daemon_helpers(d.server, ns_ino);
}

struct reader {
	const char *mnt;
	pid_t target;
	int result;
};

static void *read_init(void *arg)
{
	struct reader *r = arg;
	char buf[64];

	r->result = read_file_at(r->mnt ? r->mnt : d.mnt, r->target, "init", buf, sizeof(buf));
	return NULL;
}

/* The helper's descriptors beyond stdio: sockets and namespaces only. */
static void check_helper_fds(pid_t helper)
{
	g_autofree char *fddir = g_strdup_printf("/proc/%d/fd", helper);
	g_autoptr(GDir) dir = g_dir_open(fddir, 0, NULL);
	const char *fd;
	unsigned extra = 0;

	assert_non_null(dir);
	while ((fd = g_dir_read_name(dir))) {
		g_autofree char *path = g_strdup_printf("%s/%s", fddir, fd);
		g_autofree char *target = g_file_read_link(path, NULL);

		if (atoi(fd) <= 2 || !target)
			continue;
		extra++;
		if (!g_str_has_prefix(target, "socket:") && !g_str_has_prefix(target, "pid:"))
			fail_msg("helper %d holds fd %s -> %s", helper, fd, target);
	}
	assert_true(extra >= 1 && extra <= 2);
}

static void test_timeout_kill_reap(void **state)
{
	/* static: if an assertion ends the test early, the thread must not use a dead frame. */
	static struct reader r;
	g_autoptr(GArray) kids = g_array_new(FALSE, FALSE, sizeof(pid_t));
	g_autofree char *warn = NULL;
	gint64 deadline = g_get_monotonic_time() + 1400 * 1000;
	char buf[64];
	pthread_t th;

	uint64_t target_ns = kernel_ns_ino(tree.m[nested].host);

	r = (struct reader){.target = tree.m[nested].host, .result = 1};
	assert_int_equal(pthread_create(&th, NULL, read_init, &r), 0);
	/*
	 * The hung helper lives until the 1.5 s timeout by construction: poll for it, bounded
	 * well inside that window. It was forked with CLONE_PARENT: it is the daemon's child.
	 */
	while (kids->len == 0) {
		if (g_get_monotonic_time() > deadline)
			fail_msg("no helper appeared");
		poll(NULL, 0, 2);
		g_array_unref(kids);
		kids = helpers_in(target_ns);
	}
	for (guint i = 0; i < kids->len; i++)
		check_helper_fds(g_array_index(kids, pid_t, i));
	/* A read that needs no helper is served while the helper hangs. */
	assert_true(read_file_at(d.mnt, getpid(), "init", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "1\n");
	assert_int_equal(r.result, 1);
	pthread_join(th, NULL);
	assert_int_equal(r.result, -ETIMEDOUT);
	/* Every helper was killed and reaped before the reply. */
	g_array_unref(kids);
	kids = helpers_in(0);
	assert_int_equal(kids->len, 0);
	warn = daemon_warnings(&d);
	assert_non_null(strstr(warn, "did not answer within 1500 ms"));
}

static bool start_creds_daemon(struct daemon *x, const char *delay_ms, const char *max)
{
	const char *args[] = {"--strategy=creds", "--helper-timeout=5000", max, NULL};

	setenv("NSPIDFS_TEST_HELPER_DELAY_MS", delay_ms, 1);
	return daemon_start(x, args);
}

/* Many readers at once: helpers never exceed --max-helpers, and every reader is served. */
static void test_helper_cap(void **state)
{
	struct daemon x;
	struct reader r[6];
	pthread_t th[6];
	guint most = 0;
	bool running = true, done[6] = {false};

	assert_true(start_creds_daemon(&x, "200", "--max-helpers=2"));
	for (int i = 0; i < 6; i++) {
		r[i] = (struct reader){.mnt = x.mnt, .target = tree.m[nested].host};
		pthread_create(&th[i], NULL, read_init, &r[i]);
	}
	/* Sample the daemon's children until every reader is done (a helper is two processes). */
	while (running) {
		g_autoptr(GArray) kids = daemon_helpers(x.server, 0);

		guint alive = 0;

		/* The lists are read thread by thread: skip what was reaped meanwhile. */
		for (guint k = 0; k < kids->len; k++)
			alive += kill(g_array_index(kids, pid_t, k), 0) == 0;
		most = MAX(most, alive);
		running = false;
		for (int i = 0; i < 6; i++) {
			done[i] = done[i] || pthread_tryjoin_np(th[i], NULL) == 0;
			running |= !done[i];
		}
	}
	for (int i = 0; i < 6; i++) {
		if (r[i].result <= 0)
			fail_msg("reader %d: %s", i, strerror(-r[i].result));
	}
	printf("# at most %u helper processes at once with --max-helpers=2\n", most);
	assert_true(most <= 4);
	assert_int_equal(daemon_stop(&x), 0);
}

/*
 * A helper killed mid-exchange, its namespace alive: the read is answered by the fallback
 * (or fails with EAGAIN where there is none); the daemon serves on.
 */
static void test_helper_killed(void **state)
{
	struct daemon x;
	struct reader r = {.target = tree.m[nested].host};
	uint64_t ns = kernel_ns_ino(tree.m[nested].host);
	g_autoptr(GArray) victims = NULL;
	pthread_t th;
	char buf[64];

	assert_true(start_creds_daemon(&x, "300", "--max-helpers=4"));
	r.mnt = x.mnt;
	pthread_create(&th, NULL, read_init, &r);
	/* Wait, bounded, for the helper to join the namespace, then kill it. */
	for (int i = 0; i < 100000; i++) {
		g_clear_pointer(&victims, g_array_unref);
		victims = daemon_helpers(x.server, ns);
		if (victims->len)
			break;
		sched_yield();
	}
	assert_true(victims->len > 0);
	kill(g_array_index(victims, pid_t, 0), SIGKILL);
	pthread_join(th, NULL);
	if (r.result <= 0 && r.result != -EAGAIN)
		fail_msg("read with its helper killed: %s, want an answer or EAGAIN",
			 strerror(-r.result));
	setenv("NSPIDFS_TEST_HELPER_DELAY_MS", "0", 1);
	assert_true(read_file_at(x.mnt, tree.m[nested].host, "init", buf, sizeof(buf)) > 0);
	assert_int_equal(daemon_stop(&x), 0);
}

/* Out of descriptors: reads fail with an errno, and succeed again once there are some. */
static void test_out_of_fds(void **state)
{
	const char *args[] = {"--strategy=ioctl", NULL};
	struct rlimit low = {.rlim_max = 1024}, back = {1024, 1024};
	struct daemon x;
	char buf[256];
	int failed = 0;

	assert_true(daemon_start(&x, args));
	/* No new descriptor at all: stdio is open, so any new one would be 3 or more. */
	low.rlim_cur = 3;
	assert_true(process_fd_count(x.server) > 3);
	assert_int_equal(prlimit(x.server, RLIMIT_NOFILE, &low, NULL), 0);
	for (int i = 0; i < 20; i++) {
		int r = read_file_at(x.mnt, tree.m[nested].host, "ancestors", buf, sizeof(buf));

		if (r < 0 && r != -EMFILE && r != -ENFILE)
			fail_msg("with no descriptors left: %s, want EMFILE", strerror(-r));
		failed += r < 0;
	}
	assert_true(failed > 0);
	assert_int_equal(prlimit(x.server, RLIMIT_NOFILE, &back, NULL), 0);
	assert_true(read_file_at(x.mnt, tree.m[nested].host, "ancestors", buf, sizeof(buf)) > 0);
	assert_int_equal(daemon_stop(&x), 0);
}

/*
 * A stop while a read waits for a helper: the worker finishes it (at the helper timeout) and
 * its answer reaches the reader before the unmount; the daemon exits 0.
 */
static void test_stop_with_read_in_flight(void **state)
{
	const char *args[] = {"--strategy=creds", "--helper-timeout=1000", NULL};
	struct daemon x;
	struct reader r;
	pthread_t th;
	g_autoptr(GArray) kids = NULL;

	setenv("NSPIDFS_TEST_HELPER_DELAY_MS", "60000", 1);
	assert_true(daemon_start(&x, args));
	r = (struct reader){.mnt = x.mnt, .target = tree.m[nested].host};
	pthread_create(&th, NULL, read_init, &r);
	/* The read is in flight once its helper exists; it lives until the timeout. */
	do {
		g_clear_pointer(&kids, g_array_unref);
		kids = daemon_helpers(x.server, 0);
		sched_yield();
	} while (kids->len == 0);
	assert_int_equal(daemon_stop(&x), 0);
	pthread_join(th, NULL);
	/* Answered before the unmount, which would have given it ENOTCONN. */
	if (r.result != -ETIMEDOUT)
		fail_msg("the read in flight at the stop: %s, want ETIMEDOUT",
			 r.result < 0 ? strerror(-r.result) : "success");
}

/* The spawner's descriptors beyond stdio: its socket and the empty namespaces only. */
static void check_spawner_fds(pid_t spawner)
{
	static const char *const allowed[] = {"socket:", "mnt:", "net:", "ipc:", "uts:", "cgroup:"};
	g_autofree char *fddir = g_strdup_printf("/proc/%d/fd", spawner);
	g_autoptr(GDir) dir = g_dir_open(fddir, 0, NULL);
	const char *fd;
	unsigned sockets = 0;

	assert_non_null(dir);
	while ((fd = g_dir_read_name(dir))) {
		g_autofree char *path = g_strdup_printf("%s/%s", fddir, fd);
		g_autofree char *target = g_file_read_link(path, NULL);
		bool ok = false;

		if (atoi(fd) <= 2 || !target)
			continue;
		for (size_t i = 0; i < G_N_ELEMENTS(allowed); i++)
			ok |= g_str_has_prefix(target, allowed[i]);
		if (!ok)
			fail_msg("spawner %d holds fd %s -> %s", spawner, fd, target);
		sockets += g_str_has_prefix(target, "socket:");
	}
	assert_int_equal(sockets, 1);
}

/* Until pid, a child of the daemon's, has exited. */
static void wait_exited(pid_t pid)
{
	struct pollfd p = {.fd = (int)syscall(SYS_pidfd_open, pid, 0), .events = POLLIN};

	if (p.fd < 0)
		return;
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
	close(p.fd);
}

/*
 * The daemon forks no helper: one spawner, started when a helper is first needed, clones them
 * all, so that no copy of the daemon's memory is made per helper. It outlives the reads,
 * holds none of the daemon's descriptors but its socket and the empty namespaces (no reader's
 * namespace, no /dev/fuse), is replaced when it was killed, and is reaped at the stop.
 */
static void test_spawner(void **state)
{
	const char *args[] = {"--strategy=creds", "--pid-cache=0", NULL};
	g_autofree char *warn = NULL;
	g_autoptr(GArray) kids = NULL;
	pid_t first, second;
	struct daemon x;
	char buf[64];

	setenv("NSPIDFS_TEST_HELPER_DELAY_MS", "0", 1);
	assert_true(daemon_start(&x, args));
	assert_int_equal(daemon_spawner(&x), 0);
	assert_true(read_file_at(x.mnt, tree.m[nested].host, "init", buf, sizeof(buf)) > 0);
	first = daemon_spawner(&x);
	assert_true(first > 0);
	check_spawner_fds(first);
	/* No cache: another helper, from the same spawner. */
	assert_true(read_file_at(x.mnt, tree.m[nested].host, "init", buf, sizeof(buf)) > 0);
	assert_int_equal(daemon_spawner(&x), first);
	kids = daemon_helpers(x.server, 0);
	assert_int_equal(kids->len, 0);
	/* Killed (only the host sees it), it is replaced by the next read, which is answered. */
	assert_int_equal(kill(first, SIGKILL), 0);
	wait_exited(first);
	assert_true(read_file_at(x.mnt, tree.m[nested].host, "init", buf, sizeof(buf)) > 0);
	second = daemon_spawner(&x);
	assert_true(second > 0 && second != first);
	warn = daemon_warnings(&x);
	assert_non_null(strstr(warn, "spawner"));
	assert_int_equal(daemon_stop(&x), 0);
	/* Reaped, the old one at its replacement and the new one at the stop. */
	assert_true(kill(first, 0) < 0 && errno == ESRCH);
	assert_true(kill(second, 0) < 0 && errno == ESRCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_timeout_kill_reap),
	    cmocka_unit_test(test_helper_cap),
	    cmocka_unit_test(test_helper_killed),
	    cmocka_unit_test(test_out_of_fds),
	    cmocka_unit_test(test_stop_with_read_in_flight),
	    cmocka_unit_test(test_spawner),
	};

	harness_init();
	return fixture_run("helpers", tests, &fx);
}

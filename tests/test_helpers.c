/*
 * The creds helpers' contract, with a helper made to hang (NSPIDFS_TEST_HELPER_DELAY_MS):
 * the read fails with ETIMEDOUT at the configured timeout, every helper is reaped before the
 * reply, a helper holds no descriptor but its socket and namespace, and other reads are
 * served meanwhile.
 */
#include <errno.h>
#include <glib.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static int setup(void **state)
{
	const char *args[] = {"--strategy=creds", "--helper-timeout=1500", NULL};

	nstree_init(&tree);
	nested = nstree_add(&tree, nstree_add(&tree, -1, true), false);
	/* Far beyond the timeout: the daemon must kill the helper, not wait for it. */
	setenv("NSPIDFS_TEST_HELPER_DELAY_MS", "60000", 1);
	return daemon_start(&d, args) ? 0 : -1;
}

static int teardown(void **state)
{
	int status = daemon_stop(&d);

	nstree_destroy(&tree);
	return status == 0 ? 0 : -1;
}

/*
 * The daemon's children that are members of namespace ns_ino: the helpers that joined the
 * target's namespace. They exist only after their parent closed its descriptors and called
 * setns(), so what they hold is what a container could see.
 */
static GArray *helpers_in(uint64_t ns_ino)
{
	GArray *kids = g_array_new(FALSE, FALSE, sizeof(pid_t));
	g_autofree char *taskdir = g_strdup_printf("/proc/%d/task", d.pid);
	g_autoptr(GDir) dir = g_dir_open(taskdir, 0, NULL);
	const char *tid;

	while (dir && (tid = g_dir_read_name(dir))) {
		g_autofree char *path = g_strdup_printf("%s/%s/children", taskdir, tid);
		g_autofree char *text = NULL;
		g_auto(GStrv) pids = NULL;

		if (!g_file_get_contents(path, &text, NULL, NULL))
			continue;
		pids = g_strsplit(g_strstrip(text), " ", -1);
		for (char **p = pids; *p; p++) {
			pid_t pid = (pid_t)atoi(*p);

			if (pid > 0 && (ns_ino == 0 || kernel_ns_ino(pid) == ns_ino))
				g_array_append_val(kids, pid);
		}
	}
	return kids;
}

struct reader {
	pid_t target;
	int result;
};

static void *read_init(void *arg)
{
	struct reader *r = arg;
	char buf[64];

	r->result = read_file_at(d.mnt, r->target, "init", buf, sizeof(buf));
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_timeout_kill_reap),
	};

	harness_init();
	return cmocka_run_group_tests_name("helpers", tests, setup, teardown);
}

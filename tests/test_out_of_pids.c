/*
 * Out of process slots under the creds strategy, which forks a helper (and the helper a
 * grandchild) for every namespace level it translates: reads that need a helper fail with
 * EAGAIN, logged once as a warning rather than per read, reads that need none are served as
 * before, no helper is left behind, and everything works again once processes can be made.
 *
 * Why a pids cgroup rather than RLIMIT_NPROC: the kernel does not apply RLIMIT_NPROC to a
 * process with CAP_SYS_ADMIN or CAP_SYS_RESOURCE, nor to uid 0, and the daemon runs as root
 * with both (it mounts FUSE and joins PID namespaces). Running it under another uid with only
 * some capabilities would test a daemon nobody deploys. A pids cgroup binds root too, and
 * fork() and clone() fail there with EAGAIN, as they do at RLIMIT_NPROC. The daemon and the
 * spawner that clones its helpers, as a service manager would hold them, are moved into a new
 * cgroup of the pids hierarchy (v1, or v2 where the controller can be enabled), whose pids.max
 * is then set to their own task count: no new process fits.
 *
 * The daemon keeps no cache (--pid-cache=0), so every read of the nested process needs a
 * helper. Its --max-threads=2 workers are all started at mount, so the limit binds the
 * helpers' forks alone.
 *
 * The cgroup is removed and the limit lifted in the teardown, whatever failed; a cgroup left
 * by a test that was killed is removed at the next run (rmdir only removes an empty one).
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
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

#define CGROUP_PREFIX "nspidfs-test-"

static struct daemon d;
static struct nstree tree;
static int nested;     /* a member of a nested namespace: reading its init needs a helper */
static char *pids_dir; /* where the pids controller is mounted, or NULL */
static char *cgroup;   /* the daemon's pids cgroup, or NULL */
static pid_t spawner;  /* the daemon's child that clones its helpers */
static unsigned base;  /* the task count of both when the limit was set */

/* ------------------------------------------------------------------ cgroups */

static bool has_word(const char *list, const char *sep, const char *word)
{
	g_auto(GStrv) words = g_strsplit_set(list, sep, -1);

	return g_strv_contains((const char *const *)words, word);
}

static int cg_write(const char *dir, const char *file, const char *text)
{
	g_autofree char *path = g_build_filename(dir, file, NULL);

	return write_file(path, text);
}

/* A v2 mount can hold the daemon's cgroup if it offers pids and lets us enable it below. */
static bool v2_pids_usable(const char *mnt)
{
	g_autofree char *path = g_build_filename(mnt, "cgroup.controllers", NULL);
	g_autofree char *controllers = NULL;

	if (!g_file_get_contents(path, &controllers, NULL, NULL) ||
	    !has_word(g_strstrip(controllers), " ", "pids"))
		return false;
	return cg_write(mnt, "cgroup.subtree_control", "+pids") == 0;
}

/* Where the pids controller is mounted: a v1 hierarchy of its own, else a v2 one; or NULL. */
static char *pids_hierarchy(void)
{
	g_autofree char *mounts = NULL;
	g_auto(GStrv) lines = NULL;
	char *v2 = NULL;

	if (!g_file_get_contents("/proc/self/mounts", &mounts, NULL, NULL))
		return NULL;
	lines = g_strsplit(mounts, "\n", -1);
	for (char **l = lines; *l; l++) {
		g_auto(GStrv) f = g_strsplit(*l, " ", -1);

		if (g_strv_length(f) < 4)
			continue;
		if (strcmp(f[2], "cgroup") == 0 && has_word(f[3], ",", "pids")) {
			g_free(v2);
			return g_strdup(f[1]);
		}
		if (!v2 && strcmp(f[2], "cgroup2") == 0 && v2_pids_usable(f[1]))
			v2 = g_strdup(f[1]);
	}
	return v2;
}

/* Cgroups of earlier runs that were killed before their teardown. */
static void remove_stale(const char *hierarchy)
{
	g_autoptr(GDir) dir = g_dir_open(hierarchy, 0, NULL);
	const char *name;

	while (dir && (name = g_dir_read_name(dir))) {
		g_autofree char *path = g_build_filename(hierarchy, name, NULL);

		if (g_str_has_prefix(name, CGROUP_PREFIX))
			g_rmdir(path);
	}
}

static long cg_read_number(const char *file, const char *key)
{
	g_autofree char *path = g_build_filename(cgroup, file, NULL);
	g_autofree char *text = NULL;
	const char *p;

	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	p = key ? strstr(text, key) : text;
	assert_non_null(p);
	return strtol(p + (key ? strlen(key) : 0), NULL, 10);
}

static void set_max(const char *max)
{
	assert_int_equal(cg_write(cgroup, "pids.max", max), 0);
}

static unsigned threads_of(pid_t pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/status", pid);
	g_autofree char *text = NULL;
	const char *p;

	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	p = strstr(text, "\nThreads:");
	assert_non_null(p);
	return (unsigned)strtoul(p + 9, NULL, 10);
}

/* ------------------------------------------------------------------ set-up */

static int add_nested(struct fixture *f)
{
	nested = nstree_add(&tree, nstree_add(&tree, -1, true), false);
	return 0;
}

/* The daemon and its spawner, once it has one, into a pids cgroup of their own. */
static int move_into_cgroup(struct fixture *f)
{
	g_autofree char *pid = NULL, *spawner_pid = NULL;
	char buf[64];

	/* A helper forked and answered, and FUSE's INIT was served. */
	if (read_file_at(d.mnt, tree.m[nested].host, "init", buf, sizeof(buf)) <= 0)
		return -1;
	/* Started by that read. */
	spawner = daemon_spawner(&d);
	if (spawner <= 0) {
		fprintf(stderr, "the daemon has no helper spawner after a helper's read\n");
		return -1;
	}
	cgroup = g_strdup_printf("%s/" CGROUP_PREFIX "%d", pids_dir, getpid());
	pid = g_strdup_printf("%d", d.server);
	spawner_pid = g_strdup_printf("%d", spawner);
	if (g_mkdir(cgroup, 0755) < 0 || cg_write(cgroup, "cgroup.procs", pid) < 0 ||
	    cg_write(cgroup, "cgroup.procs", spawner_pid) < 0) {
		fprintf(stderr, "cannot move the daemon into %s: %s\n", cgroup, g_strerror(errno));
		return -1;
	}
	return 0;
}

static int lift_limit(struct fixture *f)
{
	if (cgroup)
		cg_write(cgroup, "pids.max", "max");
	return 0;
}

/* Empty now: the daemon has exited and been reaped, and it reaps its helpers and its spawner. */
static int remove_cgroup(struct fixture *f)
{
	int r = 0;

	if (cgroup && g_rmdir(cgroup) < 0) {
		fprintf(stderr, "cannot remove %s: %s\n", cgroup, g_strerror(errno));
		r = -1;
	}
	g_clear_pointer(&cgroup, g_free);
	return r;
}

static struct fixture fx = {
    .tree = &tree,
    .before_start = add_nested,
    .daemons = {{.d = &d, .args = {"--strategy=creds", "--max-threads=2", "--pid-cache=0"}}},
    .after_start = move_into_cgroup,
    .before_stop = lift_limit,
    .after_stop = remove_cgroup,
};

/* ------------------------------------------------------------------ tests */

static int read_nested_init(char *buf, size_t size)
{
	return read_file_at(d.mnt, tree.m[nested].host, "init", buf, size);
}

/* Reads about the test's own process need no helper: it is in the daemon's namespace. */
static void check_own_reads(void)
{
	char buf[256], want[64];

	assert_int_equal(read_file_at(d.mnt, getpid(), "init", buf, sizeof(buf)), 2);
	assert_string_equal(buf, "1\n");
	snprintf(want, sizeof(want), "%d\n", getpid());
	assert_true(read_file_at(d.mnt, getpid(), "nspid", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, want);
	assert_true(read_file_at(d.mnt, getpid(), "ancestors", buf, sizeof(buf)) > 0);
}

/* No helper can be made: EAGAIN every time, promptly, and the other reads are served. */
static void test_daemon_cannot_fork(void **state)
{
	g_autofree char *max = NULL;
	long refused;
	char buf[64];

	if (!cgroup)
		skip();
	base = threads_of(d.server) + threads_of(spawner);
	assert_int_equal(cg_read_number("pids.current", NULL), base);
	refused = cg_read_number("pids.events", "max ");
	max = g_strdup_printf("%u", base);
	set_max(max);
	for (int i = 0; i < 5; i++) {
		int r = read_nested_init(buf, sizeof(buf));

		if (r != -EAGAIN)
			fail_msg("read %d needing a helper with no process slot: %s, want EAGAIN",
				 i, r < 0 ? strerror(-r) : buf);
		check_own_reads();
	}
	/* The kernel refused the forks, and nothing was left behind. */
	assert_true(cg_read_number("pids.events", "max ") >= refused + 5);
	assert_int_equal(cg_read_number("pids.current", NULL), base);
	assert_int_equal(threads_of(d.server) + threads_of(spawner), base);
}

/* One slot: the helper is forked, but cannot fork the grandchild that joins the namespace. */
static void test_helper_cannot_fork(void **state)
{
	g_autofree char *max = NULL;
	char buf[64];

	if (!cgroup)
		skip();
	max = g_strdup_printf("%u", base + 1);
	set_max(max);
	for (int i = 0; i < 3; i++) {
		int r = read_nested_init(buf, sizeof(buf));

		if (r != -EAGAIN)
			fail_msg("read %d with room for the helper only: %s, want EAGAIN", i,
				 r < 0 ? strerror(-r) : buf);
		check_own_reads();
	}
	/* Each helper was reaped before its read was answered. */
	assert_int_equal(cg_read_number("pids.current", NULL), base);
}

/* Slots again: the same reads succeed, and the log told the story once. */
static void test_recovers(void **state)
{
	g_autofree char *warnings = NULL;
	g_autofree char *log = NULL;
	g_auto(GStrv) lines = NULL;
	char buf[64], want[64];

	if (!cgroup)
		skip();
	set_max("max");
	snprintf(want, sizeof(want), "%d\n", tree.m[nested].inits[1]);
	for (int i = 0; i < 3; i++) {
		assert_true(read_nested_init(buf, sizeof(buf)) > 0);
		assert_string_equal(buf, want);
	}
	assert_int_equal(cg_read_number("pids.current", NULL), base);
	warnings = daemon_warnings(&d);
	lines = g_strsplit(g_strstrip(warnings), "\n", -1);
	if (g_strv_length(lines) != 1 ||
	    !strstr(lines[0], "cannot fork a creds helper: Resource temporarily unavailable"))
		fail_msg("want one warning that helpers cannot be forked, got:\n%s", warnings);
	assert_true(g_file_get_contents(d.log, &log, NULL, NULL));
	assert_non_null(strstr(log, "notice: creds helpers can be forked again"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_daemon_cannot_fork),
	    cmocka_unit_test(test_helper_cannot_fork),
	    cmocka_unit_test(test_recovers),
	};

	/* Without a pids hierarchy every test skips: there is nothing to set up. */
	static struct fixture nothing;

	harness_init();
	pids_dir = pids_hierarchy();
	if (!pids_dir) {
		fprintf(stderr, "no pids cgroup controller to use: nothing tested\n");
		return fixture_run("out-of-pids", tests, &nothing);
	}
	remove_stale(pids_dir);
	return fixture_run("out-of-pids", tests, &fx);
}

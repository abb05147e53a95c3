/*
 * The three strategies, each in its own daemon, must give byte-identical files for every
 * process and every namespace of the same namespace tree, reverse lookups included.
 */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"

static const char *const strategies[] = {"ioctl", "status", "creds"};
#define N_STRATEGIES G_N_ELEMENTS(strategies)

static struct daemon daemons[N_STRATEGIES];
static struct nstree tree;

/* creds's own answers too: it must not hand a read to ioctl or status. */
static struct fixture fx = {
    .tree = &tree,
    .standard_tree = true,
    .daemons =
	{
	    {.d = &daemons[0], .strategy = "ioctl"},
	    {.d = &daemons[1], .strategy = "status"},
	    {.d = &daemons[2], .strategy = "creds"},
	},
};

/* A file's content, or a symlink's target, below one daemon's mount; -errno on failure. */
static int get(size_t i, const char *rel, char *buf, size_t size)
{
	g_autofree char *path = g_strdup_printf("%s/%s", daemons[i].mnt, rel);
	ssize_t n = readlink(path, buf, size - 1);

	if (n >= 0) {
		buf[n] = '\0';
		return (int)n;
	}
	return errno == EINVAL ? read_file(path, buf, size) : -errno;
}

static void compare_path(const char *rel)
{
	char first[16384], other[16384];
	int r0 = get(0, rel, first, sizeof(first));

	for (size_t i = 1; i < N_STRATEGIES; i++) {
		int r = get(i, rel, other, sizeof(other));

		if (r != r0 || (r0 >= 0 && strcmp(first, other) != 0))
			fail_msg("%s: %s gave (%d) \"%s\", %s gave (%d) \"%s\"", rel, strategies[0],
				 r0, r0 >= 0 ? first : "", strategies[i], r, r >= 0 ? other : "");
	}
}

static void compare_all(pid_t pid)
{
	const char *files[] = {"init",	"nspid", "ancestors", "ns",	"level",
			       "pidns", "json",	 "container", "cgroup", NULL};

	for (const char **f = files; *f; f++) {
		g_autofree char *rel = g_strdup_printf("%d/%s", pid, *f);

		compare_path(rel);
	}
}

/* Every file of ns/<inode>/ below the host's, and the reverse link of each PID in it. */
static void compare_namespaces(const struct member *m)
{
	const char *files[] = {"init", "level", "parent",    "children",
			       "pids", "json",	"container", NULL};
	pid_t nspid[TREE_LEVELS];
	unsigned depth;

	assert_int_equal(kernel_nspid(m->host, nspid, TREE_LEVELS, &depth), 0);
	for (unsigned k = 1; k <= m->level; k++) {
		uint64_t ino = kernel_ns_ino(m->inits[k]);

		for (const char **f = files; *f; f++) {
			g_autofree char *rel = g_strdup_printf("ns/%" PRIu64 "/%s", ino, *f);

			compare_path(rel);
		}
		g_autofree char *link = g_strdup_printf("ns/%" PRIu64 "/pid/%d", ino, nspid[k]);
		g_autofree char *none = g_strdup_printf("ns/%" PRIu64 "/pid/30000", ino);

		compare_path(link);
		compare_path(none);
	}
}

static void test_identical(void **state)
{
	compare_all(getpid());
	compare_all(1);
	compare_all(2);
	for (unsigned i = 0; i < tree.n; i++) {
		compare_all(tree.m[i].host);
		compare_namespaces(&tree.m[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_identical),
	};

	harness_init();
	return fixture_run("strategies-agree", tests, &fx);
}

/*
 * The three strategies, each in its own daemon, must give byte-identical files for every
 * process of the same namespace tree.
 */
#include <glib.h>
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

static int setup(void **state)
{
	nstree_build_standard(&tree);
	for (size_t i = 0; i < N_STRATEGIES; i++) {
		g_autofree char *arg = g_strdup_printf("--strategy=%s", strategies[i]);
		const char *args[] = {arg, NULL};

		if (!daemon_start(&daemons[i], args))
			return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	int bad = 0;

	for (size_t i = 0; i < N_STRATEGIES; i++)
		bad |= daemon_stop(&daemons[i]) != 0;
	nstree_destroy(&tree);
	return bad ? -1 : 0;
}

static void compare_all(pid_t pid)
{
	const char *files[] = {"init", "nspid", "ancestors", "ns", "level", NULL};

	for (const char **f = files; *f; f++) {
		char first[4096], other[4096];
		int r0 = read_file_at(daemons[0].mnt, pid, *f, first, sizeof(first));

		for (size_t i = 1; i < N_STRATEGIES; i++) {
			int r = read_file_at(daemons[i].mnt, pid, *f, other, sizeof(other));

			if (r != r0 || (r0 >= 0 && strcmp(first, other) != 0))
				fail_msg("%d/%s: %s gave (%d) \"%s\", %s gave (%d) \"%s\"", pid, *f,
					 strategies[0], r0, r0 >= 0 ? first : "", strategies[i], r,
					 r >= 0 ? other : "");
		}
	}
}

static void test_identical(void **state)
{
	compare_all(getpid());
	compare_all(1);
	compare_all(2);
	for (unsigned i = 0; i < tree.n; i++)
		compare_all(tree.m[i].host);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_identical),
	};

	harness_init();
	return cmocka_run_group_tests_name("strategies-agree", tests, setup, teardown);
}

/*
 * Per-caller visibility, with readers that really live in nested PID namespaces (as a
 * container's processes do) and read the same mount: each sees its own namespace and those
 * below it, never the host's processes or a sibling's, even right after the host looked
 * them up, so that the kernel's dentry cache holds them.
 */
#include <dirent.h>
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"

static struct daemon d, d_all;
static struct nstree tree;
static int sibling; /* index of the init of a level-1 namespace beside tree.m[0]'s */

static int setup(void **state)
{
	const char *all[] = {"--visibility=all", NULL};

	nstree_build_standard(&tree);
	sibling = nstree_add(&tree, -1, true);
	nstree_add(&tree, sibling, false);
	return daemon_start(&d, NULL) && daemon_start(&d_all, all) ? 0 : -1;
}

static int teardown(void **state)
{
	int bad = daemon_stop(&d) != 0;

	bad |= daemon_stop(&d_all) != 0;
	nstree_destroy(&tree);
	return bad ? -1 : 0;
}

/* What a reader is asked to check: which mount, and what it may and may not see. */
struct expect {
	const char *mnt;
	pid_t visible[TREE_MAX];
	unsigned n_visible;
	pid_t hidden[TREE_MAX];
	unsigned n_hidden;
	uint64_t ns_visible[8];
	unsigned n_ns_visible;
	uint64_t ns_hidden[8];
	unsigned n_ns_hidden;
};

static bool listed(const char *dir, const char *name)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	bool found = false;

	if (!dh)
		return false;
	while ((de = readdir(dh)))
		found |= strcmp(de->d_name, name) == 0;
	closedir(dh);
	return found;
}

static char *complain(GString *errs)
{
	return g_string_free(errs, errs->len == 0);
}

/* Runs inside the reader's namespace: only plain calls, results as text. */
static char *reader_checks(void *arg)
{
	const struct expect *e = arg;
	GString *errs = g_string_new("");
	char self[64], proc_self[64], buf[4096];
	ssize_t n;

	/* self names the reader's host PID, which it cannot learn otherwise here. */
	n = readlink(g_strdup_printf("%s/self", e->mnt), self, sizeof(self) - 1);
	if (n < 0)
		g_string_append_printf(errs, "readlink self: %s\n", strerror(errno));
	else {
		self[n] = '\0';
		n = readlink("/proc/self", proc_self, sizeof(proc_self) - 1);
		proc_self[n > 0 ? n : 0] = '\0';
		if (strcmp(self, proc_self) != 0)
			g_string_append_printf(errs, "self is %s, host PID %s\n", self, proc_self);
	}
	if (read_file(g_strdup_printf("%s/self/ancestors", e->mnt), buf, sizeof(buf)) < 0)
		g_string_append(errs, "self/ancestors unreadable\n");
	for (unsigned i = 0; i < e->n_visible; i++) {
		g_autofree char *p = g_strdup_printf("%s/%d/init", e->mnt, e->visible[i]);
		g_autofree char *name = g_strdup_printf("%d", e->visible[i]);
		int r = read_file(p, buf, sizeof(buf));

		if (r < 0)
			g_string_append_printf(errs, "%s: %s, want readable\n", p, strerror(-r));
		if (!listed(e->mnt, name))
			g_string_append_printf(errs, "%d not listed, want listed\n", e->visible[i]);
	}
	for (unsigned i = 0; i < e->n_hidden; i++) {
		g_autofree char *p = g_strdup_printf("%s/%d/init", e->mnt, e->hidden[i]);
		g_autofree char *dir = g_strdup_printf("%s/%d", e->mnt, e->hidden[i]);
		g_autofree char *name = g_strdup_printf("%d", e->hidden[i]);
		struct stat st;
		int r = read_file(p, buf, sizeof(buf));

		if (r != -ENOENT)
			g_string_append_printf(errs, "%s: %s, want ENOENT\n", p,
					       r < 0 ? strerror(-r) : "readable");
		if (stat(dir, &st) == 0)
			g_string_append_printf(errs, "stat %s succeeded, want ENOENT\n", dir);
		if (listed(e->mnt, name))
			g_string_append_printf(errs, "%d listed, want hidden\n", e->hidden[i]);
	}
	for (unsigned i = 0; i < e->n_ns_visible; i++) {
		g_autofree char *p =
		    g_strdup_printf("%s/ns/%" PRIu64 "/init", e->mnt, e->ns_visible[i]);
		g_autofree char *nsdir = g_strdup_printf("%s/ns", e->mnt);
		g_autofree char *name = g_strdup_printf("%" PRIu64, e->ns_visible[i]);

		if (read_file(p, buf, sizeof(buf)) < 0)
			g_string_append_printf(errs, "%s unreadable, want readable\n", p);
		if (!listed(nsdir, name))
			g_string_append_printf(errs, "ns %s not listed\n", name);
	}
	for (unsigned i = 0; i < e->n_ns_hidden; i++) {
		g_autofree char *p =
		    g_strdup_printf("%s/ns/%" PRIu64 "/init", e->mnt, e->ns_hidden[i]);
		g_autofree char *nsdir = g_strdup_printf("%s/ns", e->mnt);
		g_autofree char *name = g_strdup_printf("%" PRIu64, e->ns_hidden[i]);
		g_autofree char *tree_path = g_strdup_printf("%s/tree", e->mnt);
		g_autofree char *text = g_malloc(1 << 20);
		int r = read_file(p, buf, sizeof(buf));

		if (r != -ENOENT)
			g_string_append_printf(errs, "%s: %s, want ENOENT\n", p,
					       r < 0 ? strerror(-r) : "readable");
		if (listed(nsdir, name))
			g_string_append_printf(errs, "ns %s listed, want hidden\n", name);
		if (read_file(tree_path, text, 1 << 20) < 0)
			g_string_append(errs, "tree unreadable\n");
		else if (strstr(text, name))
			g_string_append_printf(errs, "tree shows ns %s:\n%s\n", name, text);
	}
	return complain(errs);
}

static uint64_t ns_of(int idx)
{
	return kernel_ns_ino(tree.m[idx].host);
}

/* The host reads everything first, so that the kernel's caches hold every entry. */
static void host_reads_everything(const char *mnt)
{
	char buf[4096];

	for (unsigned i = 0; i < tree.n; i++) {
		g_autofree char *p = g_strdup_printf("%s/%d/init", mnt, tree.m[i].host);
		g_autofree char *q = g_strdup_printf("%s/ns/%" PRIu64 "/init", mnt, ns_of((int)i));

		assert_true(read_file(p, buf, sizeof(buf)) > 0);
		assert_true(read_file(q, buf, sizeof(buf)) > 0);
	}
	g_autofree char *me = g_strdup_printf("%s/%d/init", mnt, getpid());

	assert_true(read_file(me, buf, sizeof(buf)) > 0);
}

static void expect_from(pid_t member, struct expect *e)
{
	g_autofree char *complaint = NULL;

	host_reads_everything(e->mnt);
	complaint = run_in_pidns_of(member, reader_checks, e);
	if (complaint)
		fail_msg("reader in the namespace of %d:\n%s", member, complaint);
}

/* tree.m[0] is a level-1 init; 1-10 live in its namespace or below; sibling beside it. */
static void test_container_sees_its_subtree(void **state)
{
	struct expect e = {.mnt = d.mnt};

	for (int i = 0; i < sibling; i++)
		e.visible[e.n_visible++] = tree.m[i].host;
	e.hidden[e.n_hidden++] = getpid();
	e.hidden[e.n_hidden++] = tree.m[sibling].host;
	e.hidden[e.n_hidden++] = tree.m[sibling + 1].host;
	e.ns_visible[e.n_ns_visible++] = ns_of(0);
	e.ns_visible[e.n_ns_visible++] = ns_of(3);
	e.ns_hidden[e.n_ns_hidden++] = kernel_ns_ino(getpid());
	e.ns_hidden[e.n_ns_hidden++] = ns_of(sibling);
	expect_from(tree.m[1].host, &e);
}

/* One level down, the level-1 namespace's own processes are out of sight. */
static void test_deeper_reader_sees_less(void **state)
{
	struct expect e = {.mnt = d.mnt};

	for (int i = 3; i <= 8; i++)
		e.visible[e.n_visible++] = tree.m[i].host;
	e.hidden[e.n_hidden++] = tree.m[0].host;
	e.hidden[e.n_hidden++] = tree.m[1].host;
	e.hidden[e.n_hidden++] = tree.m[9].host; /* level-2 sibling */
	e.ns_visible[e.n_ns_visible++] = ns_of(3);
	e.ns_visible[e.n_ns_visible++] = ns_of(6);
	e.ns_hidden[e.n_ns_hidden++] = ns_of(0);
	e.ns_hidden[e.n_ns_hidden++] = ns_of(9);
	expect_from(tree.m[4].host, &e);
}

static void test_sibling_sees_only_itself(void **state)
{
	struct expect e = {.mnt = d.mnt};

	e.visible[e.n_visible++] = tree.m[sibling].host;
	e.visible[e.n_visible++] = tree.m[sibling + 1].host;
	for (int i = 0; i < sibling; i++)
		e.hidden[e.n_hidden++] = tree.m[i].host;
	e.ns_visible[e.n_ns_visible++] = ns_of(sibling);
	e.ns_hidden[e.n_ns_hidden++] = ns_of(0);
	expect_from(tree.m[sibling + 1].host, &e);
}

/* visibility=all: a trusted reader in a namespace sees the host too. */
static void test_visibility_all(void **state)
{
	struct expect e = {.mnt = d_all.mnt};

	e.visible[e.n_visible++] = getpid();
	e.visible[e.n_visible++] = tree.m[sibling].host;
	e.ns_visible[e.n_ns_visible++] = ns_of(sibling);
	e.ns_visible[e.n_ns_visible++] = kernel_ns_ino(getpid());
	expect_from(tree.m[1].host, &e);
}

/* The reader's tree starts at its own namespace; the host's starts at the top. */
static char *reader_tree_top(void *arg)
{
	const uint64_t *want = arg;
	g_autofree char *text = g_malloc(1 << 20);
	g_autofree char *head = g_strdup_printf("ns %" PRIu64 " level 1 ", *want);

	if (read_file(g_strdup_printf("%s/tree", d.mnt), text, 1 << 20) < 0)
		return g_strdup("tree unreadable");
	return strncmp(text, head, strlen(head)) == 0
		   ? NULL
		   : g_strdup_printf("tree starts \"%.60s\", want \"%s\"", text, head);
}

static void test_tree_starts_at_reader(void **state)
{
	uint64_t want = ns_of(0);
	g_autofree char *complaint = run_in_pidns_of(tree.m[2].host, reader_tree_top, &want);

	if (complaint)
		fail_msg("%s", complaint);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_container_sees_its_subtree),
	    cmocka_unit_test(test_deeper_reader_sees_less),
	    cmocka_unit_test(test_sibling_sees_only_itself),
	    cmocka_unit_test(test_visibility_all),
	    cmocka_unit_test(test_tree_starts_at_reader),
	};

	harness_init();
	return cmocka_run_group_tests_name("visibility", tests, setup, teardown);
}

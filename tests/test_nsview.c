/*
 * The namespace view against the kernel, for one strategy (argv[1]): ns/<inode>/ files, the
 * reverse lookup links, <pid>/pidns, the tree and the JSON files, on a real three-level
 * namespace tree with siblings and a middle level whose only member is its init.
 */
#include <dirent.h>
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"

static const char *strategy = "auto";
static struct daemon d;
static struct nstree tree;

static struct fixture fx = {
    .tree = &tree,
    .standard_tree = true,
    /* Every read sees a fresh /proc pass; test_snapshot_validity covers the reuse. */
    .daemons = {{.d = &d, .strategy = "auto", .args = {"--snapshot-ms=0"}}},
};

/* A namespace of the test tree, from the kernel's point of view. */
struct tns {
	uint64_t ino;
	uint64_t parent;
	unsigned level;
	pid_t init;
};

static uint64_t ns_of_level(const struct member *m, unsigned k)
{
	return kernel_ns_ino(k == 0 ? getpid() : m->inits[k]);
}

/* Every namespace of the tree (the host's included), each once. */
static unsigned tree_namespaces(struct tns *out, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < tree.n; i++) {
		const struct member *m = &tree.m[i];

		for (unsigned k = 0; k <= m->level; k++) {
			uint64_t ino = ns_of_level(m, k);
			bool seen = false;

			for (unsigned j = 0; j < n; j++)
				seen |= out[j].ino == ino;
			if (seen || n == max)
				continue;
			out[n++] = (struct tns){
			    .ino = ino,
			    .parent = k ? ns_of_level(m, k - 1) : 0,
			    .level = k,
			    .init = m->inits[k],
			};
		}
	}
	return n;
}

static char *ns_path(uint64_t ino, const char *rest)
{
	return g_strdup_printf("%s/ns/%" PRIu64 "%s%s", d.mnt, ino, rest ? "/" : "",
			       rest ? rest : "");
}

static void expect_path(const char *path, const char *want)
{
	char got[65536];
	int r = read_file(path, got, sizeof(got));

	if (r < 0)
		fail_msg("%s: %s", path, strerror(-r));
	if (strcmp(got, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", path, got, want);
}

static void expect_link(const char *path, const char *want)
{
	char got[256];
	ssize_t n = readlink(path, got, sizeof(got) - 1);

	if (n < 0)
		fail_msg("readlink %s: %s", path, strerror(errno));
	got[n] = '\0';
	if (strcmp(got, want) != 0)
		fail_msg("readlink %s: got \"%s\", want \"%s\"", path, got, want);
}

static void expect_missing(const char *path, int want)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		fail_msg("%s exists, want %s", path, strerror(want));
	if (errno != want)
		fail_msg("%s: got %s, want %s", path, strerror(errno), strerror(want));
}

/* "HOST NSPID" of every tree member with a PID in ns (sorted by NSPID), as pids lists them. */
static char *expected_pids(const struct tns *ns)
{
	g_autoptr(GString) s = g_string_new("");
	pid_t hosts[TREE_MAX], inner[TREE_MAX];
	unsigned n = 0;

	for (unsigned i = 0; i < tree.n; i++) {
		const struct member *m = &tree.m[i];
		pid_t nspid[TREE_LEVELS];
		unsigned depth;

		if (m->level < ns->level || ns_of_level(m, ns->level) != ns->ino)
			continue;
		assert_int_equal(kernel_nspid(m->host, nspid, TREE_LEVELS, &depth), 0);
		hosts[n] = m->host;
		inner[n++] = nspid[ns->level];
	}
	for (unsigned i = 0; i < n; i++) {
		unsigned best = i;

		for (unsigned j = i + 1; j < n; j++)
			best = inner[j] < inner[best] ? j : best;
		G_STATIC_ASSERT(sizeof(pid_t) == sizeof(int));
		pid_t h = hosts[i], x = inner[i];

		hosts[i] = hosts[best], inner[i] = inner[best];
		hosts[best] = h, inner[best] = x;
		g_string_append_printf(s, "%d %d\n", hosts[i], inner[i]);
	}
	return g_strdup(s->str);
}

static char *expected_children(const struct tns *all, unsigned n, const struct tns *ns)
{
	g_autoptr(GString) s = g_string_new("");
	uint64_t last = 0;

	/* Ascending: pick the next larger inode each round. */
	for (;;) {
		uint64_t next = UINT64_MAX;

		for (unsigned i = 0; i < n; i++) {
			if (all[i].parent == ns->ino && all[i].ino > last && all[i].ino < next)
				next = all[i].ino;
		}
		if (next == UINT64_MAX)
			break;
		g_string_append_printf(s, "%" PRIu64 "\n", next);
		last = next;
	}
	return g_strdup(s->str);
}

static void test_ns_files(void **state)
{
	struct tns all[TREE_MAX];
	unsigned n = tree_namespaces(all, TREE_MAX);

	assert_true(n >= 6);
	for (unsigned i = 0; i < n; i++) {
		g_autofree char *init = g_strdup_printf("%d\n", all[i].init);
		g_autofree char *level = g_strdup_printf("%u\n", all[i].level);
		g_autofree char *p_init = ns_path(all[i].ino, "init");
		g_autofree char *p_level = ns_path(all[i].ino, "level");
		g_autofree char *p_parent = ns_path(all[i].ino, "parent");

		expect_path(p_init, init);
		expect_path(p_level, level);
		if (all[i].level == 0) {
			expect_missing(p_parent, ENOENT);
			continue;
		}
		g_autofree char *parent = g_strdup_printf("../%" PRIu64, all[i].parent);
		g_autofree char *p_pids = ns_path(all[i].ino, "pids");
		g_autofree char *p_children = ns_path(all[i].ino, "children");
		g_autofree char *pids = expected_pids(&all[i]);
		g_autofree char *children = expected_children(all, n, &all[i]);

		expect_link(p_parent, parent);
		expect_path(p_pids, pids);
		expect_path(p_children, children);
		/* Following parent lands on the parent's directory. */
		g_autofree char *via = ns_path(all[i].ino, "parent/level");
		g_autofree char *plevel = g_strdup_printf("%u\n", all[i].level - 1);

		expect_path(via, plevel);
	}
}

static void test_reverse_lookup(void **state)
{
	for (unsigned i = 0; i < tree.n; i++) {
		const struct member *m = &tree.m[i];
		pid_t nspid[TREE_LEVELS];
		unsigned depth;

		assert_int_equal(kernel_nspid(m->host, nspid, TREE_LEVELS, &depth), 0);
		for (unsigned k = 0; k <= m->level; k++) {
			g_autofree char *rel = g_strdup_printf("pid/%d", nspid[k]);
			g_autofree char *link = ns_path(ns_of_level(m, k), rel);
			g_autofree char *want = g_strdup_printf("../../../%d", m->host);
			g_autofree char *through = g_strdup_printf("%s/nspid", link);
			g_autofree char *own = g_strdup_printf("%d\n", nspid[m->level]);

			expect_link(link, want);
			expect_path(through, own);
		}
	}
}

static void test_reverse_lookup_missing(void **state)
{
	const struct member *l1 = &tree.m[0];
	const char *bad[] = {"pid/4000000", "pid/0", "pid/-1", "pid/01", "pid/abc", "pid/1x", NULL};

	for (const char **b = bad; *b; b++) {
		g_autofree char *p = ns_path(kernel_ns_ino(l1->host), *b);

		expect_missing(p, ENOENT);
	}
	/* An unused PID inside the namespace: the namespace holds only a few. */
	g_autofree char *p = ns_path(kernel_ns_ino(l1->host), "pid/30000");

	expect_missing(p, ENOENT);
}

static void test_bad_ns_names(void **state)
{
	/* No "": the kernel drops an empty path component before the daemon could see it. */
	const char *bad[] = {"0", "abc", "04026531836", "4026531836x", "99999999999", "-1", NULL};

	for (const char **b = bad; *b; b++) {
		g_autofree char *p = g_strdup_printf("%s/ns/%s/init", d.mnt, *b);

		expect_missing(p, ENOENT);
	}
}

static void test_pidns_link(void **state)
{
	for (unsigned i = 0; i < tree.n; i++) {
		pid_t host = tree.m[i].host;
		g_autofree char *link = g_strdup_printf("%s/%d/pidns", d.mnt, host);
		g_autofree char *want = g_strdup_printf("../ns/%" PRIu64, kernel_ns_ino(host));
		g_autofree char *init = g_strdup_printf("%s/init", link);
		g_autofree char *init_want =
		    g_strdup_printf("%d\n", tree.m[i].inits[tree.m[i].level]);

		expect_link(link, want);
		expect_path(init, init_want);
	}
}

static bool dir_has(const char *path, const char *name)
{
	DIR *dir = opendir(path);
	struct dirent *de;
	bool found = false;

	if (!dir)
		fail_msg("opendir %s: %s", path, strerror(errno));
	while ((de = readdir(dir)))
		found |= strcmp(de->d_name, name) == 0;
	closedir(dir);
	return found;
}

static void test_listings(void **state)
{
	struct tns all[TREE_MAX];
	unsigned n = tree_namespaces(all, TREE_MAX);
	g_autofree char *nsdir = g_strdup_printf("%s/ns", d.mnt);
	g_autofree char *root = g_strdup(d.mnt);

	assert_true(dir_has(root, "ns"));
	assert_true(dir_has(root, "tree"));
	for (unsigned i = 0; i < n; i++) {
		g_autofree char *name = g_strdup_printf("%" PRIu64, all[i].ino);
		g_autofree char *dir = ns_path(all[i].ino, NULL);
		g_autofree char *piddir = ns_path(all[i].ino, "pid");

		assert_true(dir_has(nsdir, name));
		assert_true(dir_has(dir, "init"));
		assert_true(dir_has(dir, "pid"));
		assert_int_equal(dir_has(dir, "parent"), all[i].level > 0);
		if (all[i].level == 0)
			continue;
		/* pid/ lists exactly the NSPIDs of pids. */
		g_autofree char *pids = expected_pids(&all[i]);
		g_auto(GStrv) lines = g_strsplit(pids, "\n", -1);
		unsigned entries = 0;
		DIR *dh = opendir(piddir);
		struct dirent *de;

		assert_non_null(dh);
		while ((de = readdir(dh)))
			entries += de->d_name[0] != '.';
		closedir(dh);
		assert_int_equal(entries, g_strv_length(lines) - 1);
		for (char **l = lines; *l && **l; l++)
			assert_true(dir_has(piddir, strchr(*l, ' ') + 1));
	}
}

/* Each tree namespace has its header line, and each member its chain, indented by level. */
static void test_tree_file(void **state)
{
	g_autofree char *path = g_strdup_printf("%s/tree", d.mnt);
	g_autofree char *text = g_malloc(1 << 20);
	struct tns all[TREE_MAX];
	unsigned n = tree_namespaces(all, TREE_MAX);

	assert_true(read_file(path, text, 1 << 20) > 0);
	for (unsigned i = 0; i < n; i++) {
		g_autofree char *head =
		    g_strdup_printf("\n%*sns %" PRIu64 " level %u init %d", 2 * all[i].level, "",
				    all[i].ino, all[i].level, all[i].init);

		if (all[i].level > 0 && !strstr(text, head))
			fail_msg("tree lacks \"%s\":\n%s", head + 1, text);
	}
	for (unsigned i = 0; i < tree.n; i++) {
		pid_t nspid[TREE_LEVELS];
		unsigned depth;
		g_autoptr(GString) line = g_string_new("\n");

		assert_int_equal(kernel_nspid(tree.m[i].host, nspid, TREE_LEVELS, &depth), 0);
		g_string_append_printf(line, "%*s%d", 2 * (depth), "", nspid[0]);
		for (unsigned k = 1; k < depth; k++)
			g_string_append_printf(line, ":%d", nspid[k]);
		g_string_append_c(line, ' ');
		if (!strstr(text, line->str))
			fail_msg("tree lacks \"%s\"", line->str + 1);
	}
}

/* Run python3's json module on a file: the output of expr, or fail. */
static char *json_eval(const char *path, const char *expr)
{
	g_autofree char *code = g_strdup_printf(
	    "import json,sys\nd=json.load(open(sys.argv[1],'rb'))\nprint(%s)", expr);
	const char *argv[] = {"python3", "-c", code, path, NULL};
	g_autofree char *err = NULL;
	char *out = NULL;
	int status = 0;

	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
			  &status, NULL) ||
	    !g_spawn_check_wait_status(status, NULL))
		fail_msg("python3 json on %s: %s", path, err ? err : "spawn failed");
	g_strchomp(out);
	return out;
}

static void test_json_matches_plain(void **state)
{
	const struct member *m = &tree.m[6]; /* the level-3 init */
	g_autofree char *pj = g_strdup_printf("%s/%d/json", d.mnt, m->host);
	g_autofree char *facts = json_eval(pj, "d['pid'], d['nspid'], d['init'], d['level'], "
					       "d['ns'], len(d['ancestors'])");
	pid_t nspid[TREE_LEVELS];
	unsigned depth;

	assert_int_equal(kernel_nspid(m->host, nspid, TREE_LEVELS, &depth), 0);
	g_autofree char *want =
	    g_strdup_printf("%d %d %d %u %" PRIu64 " %u", m->host, nspid[depth - 1],
			    m->inits[m->level], m->level, kernel_ns_ino(m->host), depth);

	assert_string_equal(facts, want);

	g_autofree char *nj = ns_path(kernel_ns_ino(m->host), "json");
	g_autofree char *nfacts =
	    json_eval(nj, "d['ns'], d['level'], d['parent'], d['init'], len(d['children']), "
			  "' '.join('%d:%d' % (p['host_pid'], p['ns_pid']) for p in d['pids'])");
	g_autofree char *want_ns =
	    g_strdup_printf("%" PRIu64 " %u %" PRIu64 " %d 0 %d:1", kernel_ns_ino(m->host),
			    m->level, kernel_ns_ino(m->inits[m->level - 1]), m->host, m->host);

	/* The level-3 namespace holds its init and two members. */
	assert_non_null(strstr(nfacts, want_ns));
}

/* A process whose name holds what JSON and the tree must escape. */
static void test_odd_names(void **state)
{
	static const char odd[] = "a\"b\\c\nd\te\x01\xff";
	int ready[2], release[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(release), 0);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_NAME, odd);
		close(release[1]);
		close(ready[0]);
		close(ready[1]);
		_exit(read(release[0], &c, 1) < 0);
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 0); /* the child named itself */
	{
		g_autofree char *pj = g_strdup_printf("%s/%d/json", d.mnt, pid);
		g_autofree char *comm = json_eval(pj, "ascii(d['comm'])");
		g_autofree char *tpath = g_strdup_printf("%s/tree", d.mnt);
		g_autofree char *text = g_malloc(1 << 20);
		g_autofree char *needle = g_strdup_printf("\n  %d ", pid);
		const char *line;

		assert_string_equal(comm, "'a\"b\\\\c\\nd\\te\\x01\\ufffd'");
		assert_true(read_file(tpath, text, 1 << 20) > 0);
		line = strstr(text, needle);
		if (!line) {
			/* The snapshot may predate the process: a fresh one must have it. */
			fail_msg("tree lacks pid %d", pid);
		}
		/* Still one line: the newline in the name was escaped. */
		assert_non_null(strchr(line + 1, '\n'));
		assert_null(memchr(line + 1, '\x01', (size_t)(strchr(line + 1, '\n') - line)));
	}
	close(release[1]);
	close(release[0]);
	close(ready[0]);
	waitpid(pid, NULL, 0);
}

struct race {
	pthread_barrier_t go;
	char path[256];
	char want[64];
	int result; /* 0 right answer, -errno, or 1 a wrong answer */
	char got[64];
};

static void *race_readlink(void *arg)
{
	struct race *r = arg;
	ssize_t n;

	pthread_barrier_wait(&r->go);
	n = readlink(r->path, r->got, sizeof(r->got) - 1);

	if (n < 0) {
		r->result = -errno;
		return NULL;
	}
	r->got[n] = '\0';
	r->result = strcmp(r->got, r->want) == 0 ? 0 : 1;
	return NULL;
}

/* Not a synchronisation: it only moves the kill along the lookup. */
static void busy_wait_us(gint64 us)
{
	gint64 end = g_get_monotonic_time() + us;

	while (g_get_monotonic_time() < end)
		;
}

/*
 * A process that exits while its reverse link is read: its host PID or ENOENT, nothing else.
 * The kill lands at a different point of the lookup each round (a growing busy wait, 0-24 ms, after
 * both sides are released together), so some rounds hit the window between translation and
 * the answer; whatever the timing, the assertion is the same.
 */
static void test_reverse_lookup_exit_race(void **state)
{
	const struct member *l1 = &tree.m[0];
	uint64_t ino = kernel_ns_ino(l1->host);
	unsigned right = 0, gone = 0;

	for (int i = 0; i < 60; i++) {
		int idx = nstree_add(&tree, 0, false);
		pid_t host = tree.m[idx].host, nspid[TREE_LEVELS];
		unsigned depth;
		struct race r = {.result = 0};
		pthread_t th;

		assert_int_equal(kernel_nspid(host, nspid, TREE_LEVELS, &depth), 0);
		snprintf(r.path, sizeof(r.path), "%s/ns/%" PRIu64 "/pid/%d", d.mnt, ino, nspid[1]);
		snprintf(r.want, sizeof(r.want), "../../../%d", host);
		pthread_barrier_init(&r.go, NULL, 2);
		assert_int_equal(pthread_create(&th, NULL, race_readlink, &r), 0);
		pthread_barrier_wait(&r.go);
		busy_wait_us(i * 400);
		kill(host, SIGKILL);
		assert_int_equal(pthread_join(th, NULL), 0);
		pthread_barrier_destroy(&r.go);
		waitpid(host, NULL, 0);
		tree.m[idx].host = 0;
		tree.n--;
		if (r.result == 1)
			fail_msg("%s: got \"%s\", want \"%s\" or ENOENT", r.path, r.got, r.want);
		if (r.result < 0 && r.result != -ENOENT)
			fail_msg("%s: %s, want ENOENT", r.path, strerror(-r.result));
		right += r.result == 0;
		gone += r.result == -ENOENT;
	}
	printf("# exit race: %u answered, %u ENOENT\n", right, gone);
}

/*
 * With a long validity, listings come from the first pass: a namespace created afterwards is
 * not listed, yet a lookup of it by name succeeds (a process was created since the pass, so
 * the daemon makes a new one), and from then on it is listed.
 */
static void test_snapshot_validity(void **state)
{
	struct daemon slow;
	int idx;

	assert_true(daemon_start_strategy(&slow, strategy, "--snapshot-ms=60000"));
	g_autofree char *nsdir = g_strdup_printf("%s/ns", slow.mnt);
	g_autofree char *first = g_strdup_printf("%" PRIu64, kernel_ns_ino(tree.m[0].host));

	assert_true(dir_has(nsdir, first));
	idx = nstree_add(&tree, -1, true);
	g_autofree char *fresh = g_strdup_printf("%" PRIu64, kernel_ns_ino(tree.m[idx].host));
	g_autofree char *init = g_strdup_printf("%s/%s/init", nsdir, fresh);
	g_autofree char *want = g_strdup_printf("%d\n", tree.m[idx].host);

	assert_false(dir_has(nsdir, fresh));
	expect_path(init, want);
	assert_true(dir_has(nsdir, fresh));
	assert_int_equal(daemon_stop(&slow), 0);
}

static char *compare_sendfile(const char *path)
{
	g_autofree char *a = g_malloc(1 << 20);
	g_autofree char *b = g_malloc(1 << 20);
	int ra = read_file(path, a, 1 << 20);
	int rb = sendfile_file(path, b, 1 << 20);

	if (ra <= 0 || rb != ra || memcmp(a, b, (size_t)ra) != 0)
		return g_strdup_printf("%s: read() gave %d bytes, sendfile() %d", path, ra, rb);
	/* Twice: the first short read trims the size the kernel caches. */
	rb = sendfile_file(path, b, 1 << 20);
	if (rb != ra)
		return g_strdup_printf("%s: second sendfile() gave %d bytes, want %d", path, rb,
				       ra);
	return NULL;
}

/* Read from inside the level-1 namespace: its tree holds only the test's processes. */
static char *compare_tree_sendfile(void *arg)
{
	return compare_sendfile(arg);
}

/* busybox cat uses sendfile(): it must see what read() sees, big files included. */
static void test_sendfile(void **state)
{
	const struct member *m = &tree.m[7];
	g_autofree char *tree_path = g_strdup_printf("%s/tree", d.mnt);
	g_autofree char *complaint =
	    run_in_pidns_of(tree.m[1].host, compare_tree_sendfile, tree_path);
	char *paths[] = {
	    g_strdup_printf("%s/%d/init", d.mnt, m->host),
	    g_strdup_printf("%s/%d/ancestors", d.mnt, m->host),
	    g_strdup_printf("%s/%d/json", d.mnt, m->host),
	    g_strdup_printf("%s/ns/%" PRIu64 "/pids", d.mnt, kernel_ns_ino(tree.m[0].host)),
	    g_strdup_printf("%s/ns/%" PRIu64 "/json", d.mnt, kernel_ns_ino(tree.m[0].host)),
	};

	if (complaint)
		fail_msg("%s", complaint);
	for (size_t i = 0; i < G_N_ELEMENTS(paths); i++) {
		g_autofree char *c = compare_sendfile(paths[i]);

		if (c)
			fail_msg("%s", c);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(paths); i++)
		g_free(paths[i]);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ns_files),
	    cmocka_unit_test(test_reverse_lookup),
	    cmocka_unit_test(test_reverse_lookup_missing),
	    cmocka_unit_test(test_bad_ns_names),
	    cmocka_unit_test(test_pidns_link),
	    cmocka_unit_test(test_listings),
	    cmocka_unit_test(test_tree_file),
	    cmocka_unit_test(test_json_matches_plain),
	    cmocka_unit_test(test_odd_names),
	    cmocka_unit_test(test_reverse_lookup_exit_race),
	    cmocka_unit_test(test_sendfile),
	    cmocka_unit_test(test_snapshot_validity),
	};
	g_autofree char *name = NULL;

	if (argc > 1)
		strategy = argv[1];
	fx.daemons[0].strategy = strategy;
	name = g_strdup_printf("nsview-%s", strategy);
	harness_init();
	return fixture_run(name, tests, &fx);
}

/*
 * The mounted filesystem against the kernel, for one strategy (argv[1]): every file of every
 * process of a real three-level namespace tree, self, threads, zombies, kernel threads,
 * bad names, vanishing processes, read semantics and the read-only contract.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"

static struct daemon d;
static struct nstree tree;

static struct fixture fx = {
    .tree = &tree,
    .standard_tree = true,
    .daemons = {{.d = &d, .strategy = "auto"}},
};

static void expect_file(pid_t pid, const char *name, const char *want)
{
	char got[4096];
	int r = read_file_at(d.mnt, pid, name, got, sizeof(got));

	if (r < 0)
		fail_msg("%d/%s: %s", pid, name, strerror(-r));
	if (strcmp(got, want) != 0)
		fail_msg("%d/%s: got \"%s\", want \"%s\"", pid, name, got, want);
}

static void expect_errno(const char *path, int want)
{
	char buf[64];
	int r = read_file(path, buf, sizeof(buf));

	if (r != -want)
		fail_msg("%s: got %s, want %s", path, r < 0 ? strerror(-r) : "success",
			 strerror(want));
}

/* What every file of a tree member must say, from the kernel's NSpid and ns links. */
static void check_member(const struct member *m)
{
	pid_t nspid[TREE_LEVELS];
	unsigned n = 0;
	g_autoptr(GString) anc = g_string_new("");
	g_autofree char *s = NULL;

	assert_int_equal(kernel_nspid(m->host, nspid, TREE_LEVELS, &n), 0);
	assert_int_equal(n, m->level + 1);
	for (unsigned k = 0; k <= m->level; k++) {
		pid_t ns_of = k == 0 ? getpid() : m->inits[k];

		g_string_append_printf(anc, "%u %" PRIu64 " %d %d\n", k, kernel_ns_ino(ns_of),
				       nspid[k], m->inits[k]);
	}
	expect_file(m->host, "ancestors", anc->str);
	s = g_strdup_printf("%d\n", m->inits[m->level]);
	expect_file(m->host, "init", s);
	g_free(s);
	s = g_strdup_printf("%d\n", nspid[n - 1]);
	expect_file(m->host, "nspid", s);
	g_free(s);
	s = g_strdup_printf("%" PRIu64 "\n", kernel_ns_ino(m->host));
	expect_file(m->host, "ns", s);
	g_free(s);
	s = g_strdup_printf("%u\n", m->level);
	expect_file(m->host, "level", s);
}

static void test_tree_matches_kernel(void **state)
{
	for (unsigned i = 0; i < tree.n; i++)
		check_member(&tree.m[i]);
	/* The tree really is three levels deep below the host. */
	assert_int_equal(tree.m[7].level, 3);
}

/*
 * The kernel recycles namespace inode numbers: a namespace created after another died often
 * gets its inode. Answers about the new one must name its own init, never the dead one's.
 */
static void test_namespace_recycled(void **state)
{
	for (int round = 0; round < 3; round++) {
		struct nstree t;
		int init;

		nstree_init(&t);
		init = nstree_add(&t, -1, true);
		nstree_add(&t, init, false);
		nstree_add(&t, nstree_add(&t, init, true), false);
		for (unsigned i = 0; i < t.n; i++)
			check_member(&t.m[i]);
		nstree_destroy(&t);
	}
}

static void test_host_process(void **state)
{
	g_autofree char *anc =
	    g_strdup_printf("0 %" PRIu64 " %d 1\n", kernel_ns_ino(getpid()), getpid());
	g_autofree char *pid = g_strdup_printf("%d\n", getpid());

	expect_file(getpid(), "ancestors", anc);
	expect_file(getpid(), "init", "1\n");
	expect_file(getpid(), "nspid", pid);
	expect_file(getpid(), "level", "0\n");
}

static void *thread_readlink_self(void *arg)
{
	char *buf = arg;
	char path[128];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/self", d.mnt);
	n = readlink(path, buf, 63);
	buf[n < 0 ? 0 : n] = '\0';
	snprintf(buf + 32, 32, "%ld", (long)syscall(SYS_gettid));
	return NULL;
}

static void test_self(void **state)
{
	char path[128], target[64] = "", from_thread[64] = "";
	g_autofree char *want = g_strdup_printf("%d", getpid());
	char tid_dir[160];
	pthread_t th;
	struct stat st;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/self", d.mnt);
	n = readlink(path, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_string_equal(target, want);
	/* A thread's self is its thread group, as with /proc/self. */
	assert_int_equal(pthread_create(&th, NULL, thread_readlink_self, from_thread), 0);
	pthread_join(th, NULL);
	assert_string_equal(from_thread, want);
	assert_string_not_equal(from_thread + 32, want);
	/* ...yet the thread id itself can be looked up, like /proc/TID. */
	snprintf(tid_dir, sizeof(tid_dir), "%s/%s/level", d.mnt, from_thread + 32);
	/* The thread has exited by now: its id is gone, cleanly. */
	assert_int_equal(stat(tid_dir, &st), -1);
	assert_int_equal(errno, ENOENT);
	/* Paths through self resolve to the reader's directory. */
	snprintf(path, sizeof(path), "%s/self/nspid", d.mnt);
	assert_true(read_file(path, target, sizeof(target)) > 0);
	assert_int_equal(atoi(target), getpid());
}

static void *thread_block(void *arg)
{
	int *fds = arg;
	char c;
	long tid = syscall(SYS_gettid);

	assert_int_equal(write(fds[1], &tid, sizeof(tid)), sizeof(tid));
	while (read(fds[2], &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

static void test_thread_id(void **state)
{
	/* static: if an assertion ends the test early, the thread must not use a dead frame. */
	static int fds[3];
	int p1[2], p2[2];
	long tid;
	pthread_t th;
	g_autofree char *want = NULL;
	g_autofree char *tidname = NULL;
	struct dirent *de;
	DIR *dir;
	bool listed = false;

	assert_int_equal(pipe2(p1, O_CLOEXEC), 0);
	assert_int_equal(pipe2(p2, O_CLOEXEC), 0);
	fds[1] = p1[1];
	fds[2] = p2[0];
	assert_int_equal(pthread_create(&th, NULL, thread_block, fds), 0);
	assert_int_equal(read(p1[0], &tid, sizeof(tid)), sizeof(tid));
	want = g_strdup_printf("%ld\n", tid);
	expect_file((pid_t)tid, "nspid", want);
	expect_file((pid_t)tid, "level", "0\n");
	/* readdir lists thread-group leaders only. */
	tidname = g_strdup_printf("%ld", tid);
	dir = opendir(d.mnt);
	assert_non_null(dir);
	while ((de = readdir(dir)))
		listed |= strcmp(de->d_name, tidname) == 0;
	closedir(dir);
	assert_false(listed);
	close(p2[1]);
	pthread_join(th, NULL);
	close(p1[0]);
	close(p1[1]);
	close(p2[0]);
}

static void test_bad_names(void **state)
{
	const char *names[] = {"0",	 "-1",	  "007", "1e3",	    "abc",
			       "12a",	 "+1",	  " 1",	 "4194304", "99999999999999999999",
			       "..self", "selfx", NULL};
	char path[256];
	struct stat st;

	for (const char **n = names; *n; n++) {
		snprintf(path, sizeof(path), "%s/%s", d.mnt, *n);
		if (stat(path, &st) != -1 || errno != ENOENT)
			fail_msg("%s: want ENOENT, got %s", *n, strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/%d/nosuchfile", d.mnt, getpid());
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
	snprintf(path, sizeof(path), "%s/%d/init/x", d.mnt, getpid());
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(errno, ENOTDIR);
}

static pid_t spawn_and_reap(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return pid;
}

static void test_gone_pid(void **state)
{
	char path[128];
	pid_t pid = spawn_and_reap();

	snprintf(path, sizeof(path), "%s/%d/init", d.mnt, pid);
	expect_errno(path, ENOENT);
}

static void test_zombie(void **state)
{
	char path[128];
	siginfo_t si;
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	char nspid[16];

	/* Wait for the exit without reaping: it stays a zombie, answered for as /proc shows it. */
	assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	snprintf(nspid, sizeof(nspid), "%d\n", pid);
	expect_file(pid, "init", "1\n");
	expect_file(pid, "nspid", nspid);
	expect_file(pid, "level", "0\n");
	/* Reaped: gone. */
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	snprintf(path, sizeof(path), "%s/%d/init", d.mnt, pid);
	expect_errno(path, ENOENT);
}

static void *block_on_fd(void *arg)
{
	char c;

	return (void *)(intptr_t)read((int)(intptr_t)arg, &c, 1);
}

/*
 * A thread-group leader that called exit(2) alone is a zombie while its other threads run:
 * the process is alive and must still be answered for.
 */
static void test_zombie_leader_with_threads(void **state)
{
	int ready[2], release[2];
	char c, path[128];
	pid_t pid;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(release), 0);
	pid = fork();
	if (pid == 0) {
		pthread_t th;

		close(release[1]);
		close(ready[0]);
		pthread_create(&th, NULL, block_on_fd, (void *)(intptr_t)release[0]);
		close(ready[1]);
		syscall(SYS_exit, 0); /* the leader alone */
	}
	close(release[0]);
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 0);
	close(ready[0]);
	/* The leader's exit is visible once its state reads Z. */
	for (char st = 0; st != 'Z';) {
		char stat[512];
		int n;

		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		n = read_file(path, stat, sizeof(stat));
		assert_true(n > 0);
		st = strrchr(stat, ')')[2];
		if (st != 'Z')
			sched_yield();
	}
	expect_file(pid, "level", "0\n");
	close(release[1]);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	snprintf(path, sizeof(path), "%s/%d/level", d.mnt, pid);
	expect_errno(path, ENOENT);
}

/* A kernel thread other than kthreadd: a child of it, as every other one is. */
/* A kernel thread is a member of the daemon's namespace: /proc/2/status says NSpid: 2. */
static void test_kernel_thread(void **state)
{
	char path[128], nspid[16];
	struct stat st;
	pid_t kworker = harness_kworker();

	assert_true(kworker > 0);
	snprintf(nspid, sizeof(nspid), "%d\n", kworker);
	expect_file(kworker, "init", "1\n");
	expect_file(kworker, "nspid", nspid);
	expect_file(kworker, "level", "0\n");
	expect_file(2, "init", "1\n");
	expect_file(2, "nspid", "2\n");
	snprintf(path, sizeof(path), "%s/2/init", d.mnt);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode, S_IFREG | 0444);
	assert_int_equal(st.st_size, 2);
}

/*
 * PID 1 is the init of the daemon's namespace, whether or not its namespace link can be opened
 * (here it cannot, even for root): the daemon answers what its status says.
 */
static void test_pid1(void **state)
{
	expect_file(1, "level", "0\n");
	expect_file(1, "init", "1\n");
	expect_file(1, "nspid", "1\n");
}

static void test_exit_while_open(void **state)
{
	struct nstree t;
	char path[160], before[256], after[256];
	int fd, dirfd, idx;
	ssize_t n;

	nstree_init(&t);
	idx = nstree_add(&t, -1, true);
	idx = nstree_add(&t, idx, false);
	snprintf(path, sizeof(path), "%s/%d", d.mnt, t.m[idx].host);
	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dirfd >= 0);
	fd = openat(dirfd, "ancestors", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail_msg("open %s/ancestors: %s", path, strerror(errno));
	assert_true(read_file_at(d.mnt, t.m[idx].host, "ancestors", before, sizeof(before)) > 0);
	nstree_destroy(&t);
	/* The open file keeps the snapshot made at open. */
	n = pread(fd, after, sizeof(after) - 1, 0);
	assert_true(n > 0);
	after[n] = '\0';
	assert_string_equal(before, after);
	close(fd);
	/* The directory names a dead process: nothing more is served through it. */
	assert_int_equal(openat(dirfd, "init", O_RDONLY | O_CLOEXEC), -1);
	assert_int_equal(errno, ENOENT);
	close(dirfd);
	expect_errno(path, ENOENT);
}

static void test_read_semantics(void **state)
{
	char path[128], whole[512], bytewise[512] = "", c;
	size_t len = 0;
	int fd;
	const struct member *deep = &tree.m[7];

	expect_file(deep->host, "level", "3\n");
	assert_true(read_file_at(d.mnt, deep->host, "ancestors", whole, sizeof(whole)) > 0);
	snprintf(path, sizeof(path), "%s/%d/ancestors", d.mnt, deep->host);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	while (read(fd, &c, 1) == 1 && len < sizeof(bytewise) - 1)
		bytewise[len++] = c;
	assert_string_equal(bytewise, whole);
	/* pread anywhere, and past the end. */
	for (size_t off = 0; off < strlen(whole); off += 7) {
		char part[8] = "";
		ssize_t n = pread(fd, part, 7, (off_t)off);

		assert_true(n > 0);
		assert_memory_equal(part, whole + off, (size_t)n);
	}
	assert_int_equal(pread(fd, &c, 1, (off_t)strlen(whole)), 0);
	assert_int_equal(pread(fd, &c, 1, 1 << 20), 0);
	close(fd);
}

static void test_read_only(void **state)
{
	char path[256], dir[128], other[256];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/%d", d.mnt, getpid());
	snprintf(path, sizeof(path), "%s/init", dir);
	snprintf(other, sizeof(other), "%s/new", dir);
#define EXPECT_REFUSED(call)                                                                       \
	do {                                                                                       \
		errno = 0;                                                                         \
		if ((call) != -1 || (errno != EROFS && errno != EACCES && errno != EPERM))         \
			fail_msg("%s: want EROFS or EACCES, got %s", #call, strerror(errno));      \
	} while (0)
	EXPECT_REFUSED(open(path, O_WRONLY | O_CLOEXEC));
	EXPECT_REFUSED(open(path, O_RDWR | O_CLOEXEC));
	EXPECT_REFUSED(open(path, O_RDONLY | O_TRUNC | O_CLOEXEC) < 0 ? -1 : 0);
	EXPECT_REFUSED(open(other, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	EXPECT_REFUSED(mkdir(other, 0755));
	EXPECT_REFUSED(unlink(path));
	EXPECT_REFUSED(rmdir(dir));
	EXPECT_REFUSED(rename(path, other));
	EXPECT_REFUSED(link(path, other));
	EXPECT_REFUSED(symlink("x", other));
	EXPECT_REFUSED(chmod(path, 0777));
	EXPECT_REFUSED(chown(path, 1, 1));
	EXPECT_REFUSED(truncate(path, 0));
	EXPECT_REFUSED(setxattr(path, "user.x", "1", 1, 0));
	EXPECT_REFUSED(mknod(other, S_IFIFO | 0644, 0));
#undef EXPECT_REFUSED
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode, S_IFREG | 0444);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode, S_IFDIR | 0555);
	assert_int_equal(stat(d.mnt, &st), 0);
	assert_int_equal(st.st_mode, S_IFDIR | 0555);
}

static void expect_listed(GHashTable *seen, const char *dir, const char *name)
{
	if (!g_hash_table_contains(seen, name))
		fail_msg("%s: no %s in the listing", dir, name);
}

static void test_readdir(void **state)
{
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	const char *top[] = {"self", "ns", "tree", "1", NULL};
	const char *files[] = {"init",	"nspid", "ancestors", "ns",	"level",
			       "pidns", "json",	 "container", "cgroup", NULL};
	char path[128];
	struct dirent *de;
	DIR *dir = opendir(d.mnt);

	assert_non_null(dir);
	while ((de = readdir(dir)))
		g_hash_table_add(seen, g_strdup(de->d_name));
	closedir(dir);
	for (const char **t = top; *t; t++)
		expect_listed(seen, d.mnt, *t);
	for (unsigned i = 0; i < tree.n; i++) {
		g_autofree char *name = g_strdup_printf("%d", tree.m[i].host);

		expect_listed(seen, d.mnt, name);
	}
	g_hash_table_remove_all(seen);
	snprintf(path, sizeof(path), "%s/%d", d.mnt, tree.m[0].host);
	dir = opendir(path);
	assert_non_null(dir);
	while ((de = readdir(dir)))
		g_hash_table_add(seen, g_strdup(de->d_name));
	closedir(dir);
	assert_int_equal(g_hash_table_size(seen), 2 + G_N_ELEMENTS(files) - 1);
	for (const char **f = files; *f; f++)
		expect_listed(seen, path, *f);
}

static void test_no_warnings(void **state)
{
	g_autofree char *w = daemon_warnings(&d);

	if (*w)
		fail_msg("the daemon logged warnings:\n%s", w);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tree_matches_kernel),
	    cmocka_unit_test(test_namespace_recycled),
	    cmocka_unit_test(test_host_process),
	    cmocka_unit_test(test_self),
	    cmocka_unit_test(test_thread_id),
	    cmocka_unit_test(test_bad_names),
	    cmocka_unit_test(test_gone_pid),
	    cmocka_unit_test(test_zombie),
	    cmocka_unit_test(test_zombie_leader_with_threads),
	    cmocka_unit_test(test_kernel_thread),
	    cmocka_unit_test(test_pid1),
	    cmocka_unit_test(test_exit_while_open),
	    cmocka_unit_test(test_read_semantics),
	    cmocka_unit_test(test_read_only),
	    cmocka_unit_test(test_readdir),
	    cmocka_unit_test(test_no_warnings),
	};
	g_autofree char *name = NULL;

	if (argc > 1)
		fx.daemons[0].strategy = argv[1];
	name = g_strdup_printf("mount-%s", fx.daemons[0].strategy);
	harness_init();
	return fixture_run(name, tests, &fx);
}

/*
 * What stat() says agrees with what read() gives, as tar, du, rsync and node_exporter rely on:
 * for every file of every kind of process (a host process, a nested one and its init, kernel
 * threads, zombies on the host and in a namespace, a process whose namespace link the kernel
 * refuses to open), under every caching option; and a changing file's mtime is when its
 * content was built.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"

static struct nstree tree;
static int nested_init, nested_member;
static pid_t host_zombie;

/* Each member of the tree leaves one zombie child behind: it never reaps. */
static void leave_a_zombie(void)
{
	if (fork() == 0)
		_exit(0);
}

static bool is_zombie(pid_t pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/stat", pid);
	g_autofree char *text = NULL;

	return g_file_get_contents(path, &text, NULL, NULL) && strrchr(text, ')') &&
	       strrchr(text, ')')[2] == 'Z';
}

/*
 * The zombie child a member of the tree left (leave_a_zombie): the member forks it as it
 * starts, and the child exits at once; wait for both, within ten seconds.
 */
static pid_t zombie_child_of(pid_t parent)
{
	gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

	while (g_get_monotonic_time() < deadline) {
		g_autoptr(GArray) kids = process_children(parent);

		for (guint i = 0; i < kids->len; i++) {
			if (is_zombie(g_array_index(kids, pid_t, i)))
				return g_array_index(kids, pid_t, i);
		}
		sched_yield();
	}
	return 0;
}

/* The tree's members each leave a zombie; one more is the test's own, on the host. */
static int make_processes(struct fixture *fx)
{
	tree.on_start = leave_a_zombie;
	nested_init = nstree_add(&tree, -1, true);
	nested_member = nstree_add(&tree, nested_init, false);
	host_zombie = fork();
	if (host_zombie == 0)
		_exit(0);
	return host_zombie > 0 ? 0 : -1;
}

static int reap_host_zombie(struct fixture *fx)
{
	if (host_zombie > 0)
		waitpid(host_zombie, NULL, 0);
	return 0;
}

/* Read path whole; its length, or -errno. */
static ssize_t read_length(const char *path)
{
	char buf[65536];
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	if (n < 0)
		total = -errno;
	close(fd);
	return total;
}

/* path: a regular file whose size is what a read gives, or a link that reads; else fail. */
static void check_entry(const char *path)
{
	char target[256];
	struct stat st;
	ssize_t n;

	if (lstat(path, &st) < 0)
		fail_msg("%s: stat: %s", path, strerror(errno));
	if (S_ISLNK(st.st_mode)) {
		if (readlink(path, target, sizeof(target)) < 0)
			fail_msg("%s: stats as a link, readlink: %s", path, strerror(errno));
		return;
	}
	if (S_ISDIR(st.st_mode))
		return;
	n = read_length(path);
	if (n < 0)
		fail_msg("%s: stats fine (size %lld), read: %s", path, (long long)st.st_size,
			 strerror((int)-n));
	if (n != st.st_size)
		fail_msg("%s: size %lld, read %zd bytes", path, (long long)st.st_size, n);
}

/* Every entry a listing of dir names. */
static void check_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned entries = 0;

	if (!d)
		fail_msg("%s: opendir: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		g_autofree char *path = g_strdup_printf("%s/%s", dir, e->d_name);

		if (e->d_name[0] == '.')
			continue;
		check_entry(path);
		entries++;
	}
	closedir(d);
	if (entries == 0)
		fail_msg("%s: lists nothing", dir);
}

/* The host PIDs of every kind of process the tree shows. */
static void processes_of_every_kind(pid_t *out, size_t *n)
{
	*n = 0;
	out[(*n)++] = getpid();
	out[(*n)++] = tree.m[nested_init].host;
	out[(*n)++] = tree.m[nested_member].host;
	out[(*n)++] = 2; /* kthreadd */
	out[(*n)++] = harness_kworker();
	out[(*n)++] = host_zombie;
	out[(*n)++] = zombie_child_of(tree.m[nested_init].host);   /* a namespace's */
	out[(*n)++] = zombie_child_of(tree.m[nested_member].host); /* and one below it */
	for (size_t i = 0; i < *n; i++)
		if (out[i] <= 0)
			fail_msg("process %zu of every kind: none found", i);
}

static void test_sizes_are_what_reads_give(void **state)
{
	static const char *const option_sets[][3] = {
	    {NULL},
	    {"--pid-cache=0", NULL},
	    {"--visibility=all", NULL},
	    {"--pid-cache=0", "--visibility=all", NULL},
	};
	pid_t pids[9];
	size_t n;

	processes_of_every_kind(pids, &n);
	for (size_t o = 0; o < G_N_ELEMENTS(option_sets); o++) {
		struct daemon d;
		g_autofree char *ns = NULL, *metrics = NULL, *tree_file = NULL;

		assert_true(daemon_start(&d, option_sets[o]));
		for (size_t i = 0; i < n; i++) {
			g_autofree char *dir = g_strdup_printf("%s/%d", d.mnt, pids[i]);

			check_dir(dir);
		}
		ns = g_strdup_printf("%s/ns/%" PRIu64, d.mnt, kernel_ns_ino(pids[1]));
		check_dir(ns);
		/* Not the root's listing: other processes come and go between it and a stat. */
		tree_file = g_strdup_printf("%s/tree", d.mnt);
		check_entry(tree_file);
		metrics = g_strdup_printf("%s/metrics", d.mnt);
		check_dir(metrics);
		assert_int_equal(daemon_stop(&d), 0);
	}
}

static bool later(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/*
 * A changing file's mtime (and ctime) is when what a read gives was built: stat() builds it
 * for the open that follows, fstat() of that open says the same, and the next stat() after
 * the open is a new build, later. A fixed file's stays.
 */
static void test_changing_files_mtime(void **state)
{
	uint64_t ns = kernel_ns_ino(tree.m[nested_init].host);
	g_autofree char *json = g_strdup_printf("%d/json", tree.m[nested_member].host);
	g_autofree char *pids = g_strdup_printf("ns/%" PRIu64 "/pids", ns);
	g_autofree char *children = g_strdup_printf("ns/%" PRIu64 "/children", ns);
	const char *changing[] = {"tree", "metrics/nspidfs.prom", json, pids, children};
	struct daemon d;

	assert_true(daemon_start(&d, NULL));
	for (size_t i = 0; i < G_N_ELEMENTS(changing); i++) {
		const char *name = changing[i];
		g_autofree char *path = g_strdup_printf("%s/%s", d.mnt, name);
		struct stat before, open_st, after;
		char buf[4096];
		int fd;

		assert_int_equal(stat(path, &before), 0);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		assert_true(fd >= 0);
		assert_int_equal(fstat(fd, &open_st), 0);
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
		assert_int_equal(stat(path, &after), 0);
		if (!same_time(&before.st_mtim, &open_st.st_mtim))
			fail_msg("%s: fstat of the open says another build than the stat before",
				 name);
		if (!later(&after.st_mtim, &before.st_mtim))
			fail_msg("%s: mtime %lld.%09ld after a new build, %lld.%09ld before", name,
				 (long long)after.st_mtim.tv_sec, after.st_mtim.tv_nsec,
				 (long long)before.st_mtim.tv_sec, before.st_mtim.tv_nsec);
		assert_true(same_time(&after.st_ctim, &after.st_mtim));
	}
	{
		g_autofree char *fixed = g_strdup_printf("%s/%d/init", d.mnt, getpid());
		struct stat a, b;

		assert_int_equal(stat(fixed, &a), 0);
		assert_true(read_length(fixed) > 0);
		assert_int_equal(stat(fixed, &b), 0);
		assert_true(same_time(&a.st_mtim, &b.st_mtim));
	}
	assert_int_equal(daemon_stop(&d), 0);
}

/*
 * Drop CAP_SYS_PTRACE for good: from the bounding set (what the daemon started from here gets)
 * and from this process's own sets (a reader the daemon, without it, can still identify).
 */
static int drop_ptrace(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];
	unsigned i = CAP_TO_INDEX(CAP_SYS_PTRACE);
	uint32_t bit = CAP_TO_MASK(CAP_SYS_PTRACE);

	if (prctl(PR_CAPBSET_DROP, CAP_SYS_PTRACE, 0, 0, 0) < 0 ||
	    syscall(SYS_capget, &h, data) < 0)
		return -1;
	data[i].effective &= ~bit;
	data[i].permitted &= ~bit;
	data[i].inheritable &= ~bit;
	return syscall(SYS_capset, &h, data) < 0 ? -1 : 0;
}

/* In a process without CAP_SYS_PTRACE: the daemon's answers for target; exit status 0 if right. */
static int unreadable_link_case(pid_t target)
{
	struct daemon d;
	char want[32];
	int bad = 0;

	if (drop_ptrace() < 0)
		return 77;
	/* As the daemon will be: root, but no CAP_SYS_PTRACE over a process that is not dumpable.
	 */
	{
		g_autofree char *cmd =
		    g_strdup_printf("readlink /proc/%d/ns/pid >/dev/null 2>&1", target);

		if (system(cmd) == 0)
			return 77;
	}
	if (!daemon_start(&d, NULL))
		return 2;
	snprintf(want, sizeof(want), "%d\n", target);
	{
		static const char *const names[] = {"init", "level", "nspid", "ns"};
		g_autofree char *ns = g_strdup_printf("%" PRIu64 "\n", kernel_ns_ino(getpid()));
		const char *wants[] = {"1\n", "0\n", want, ns};

		for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
			char got[64] = "";
			int r = read_file_at(d.mnt, target, names[i], got, sizeof(got));

			if (r < 0 || strcmp(got, wants[i]) != 0) {
				fprintf(stderr, "%d/%s: got \"%s\" (%s), want \"%s\"\n", target,
					names[i], got, r < 0 ? strerror(-r) : "ok", wants[i]);
				bad = 1;
			}
		}
	}
	{
		g_autofree char *dir = g_strdup_printf("%s/%d", d.mnt, target);
		DIR *dd = opendir(dir);
		struct dirent *e;

		while (dd && (e = readdir(dd))) {
			g_autofree char *path = g_strdup_printf("%s/%s", dir, e->d_name);
			struct stat st;

			if (e->d_name[0] == '.' || lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
				continue;
			if (read_length(path) != st.st_size) {
				fprintf(stderr, "%s: size %lld, read %zd\n", path,
					(long long)st.st_size, read_length(path));
				bad = 1;
			}
		}
		if (dd)
			closedir(dd);
	}
	return daemon_stop(&d) != 0 ? 3 : bad;
}

/*
 * A process of the daemon's namespace whose namespace link the kernel refuses to open (as for
 * PID 1 on some hosts, EACCES even for root): its status still says one level, so it is a
 * member of the daemon's namespace, and the daemon answers so instead of EACCES.
 */
static void test_unreadable_namespace_link(void **state)
{
	int hold[2], ready[2], status;
	pid_t target, tester;
	char c;

	assert_int_equal(pipe(hold), 0);
	assert_int_equal(pipe(ready), 0);
	target = fork();
	if (target == 0) {
		close(hold[1]);
		close(ready[0]);
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		close(ready[1]);
		(void)!read(hold[0], &c, 1);
		_exit(0);
	}
	close(hold[0]);
	close(ready[1]);
	/* Not dumpable before it is asked about. */
	assert_int_equal(read(ready[0], &c, 1), 0);
	close(ready[0]);
	tester = fork();
	if (tester == 0)
		_exit(unreadable_link_case(target));
	assert_int_equal(waitpid(tester, &status, 0), tester);
	close(hold[1]);
	assert_int_equal(waitpid(target, NULL, 0), target);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sizes_are_what_reads_give),
	    cmocka_unit_test(test_changing_files_mtime),
	    cmocka_unit_test(test_unreadable_namespace_link),
	};

	static struct fixture fx = {
	    .tree = &tree, .before_start = make_processes, .after_stop = reap_host_zombie};

	harness_init();
	return fixture_run("stat-read", tests, &fx);
}

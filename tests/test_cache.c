/*
 * What the daemon and the kernel keep about a process must end with the process. A PID reused
 * by a new process (forced with ns_last_pid) is answered for the new process, through the same
 * path, even though the old one's answers sit in the daemon's cache and the page cache; a
 * directory opened before the reuse gives ENOENT. json shows a process's name after it changed.
 * Attributes asked for while pages are filled never pad them; an open file keeps its content
 * after its process exits; a changing file's size is that of the content its reader reads.
 * An exited process's entry and its pidfd go;
 * the cache is bounded by --pid-cache, and --pid-cache=0 keeps nothing.
 */
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
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/close_range.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"

static struct daemon d, d_all;

/* A process blocked on a pipe until finish(); with new_ns, the init of a new PID namespace. */
struct proc {
	pid_t pid;
	int release;
};

static struct proc spawn(bool new_ns)
{
	unsigned long flags = SIGCHLD | (new_ns ? CLONE_NEWPID : 0);
	int p[2];
	struct proc pr;
	char c;

	if (pipe2(p, O_CLOEXEC) < 0)
		fail_msg("pipe2: %s", strerror(errno));
	pr.pid = (pid_t)syscall(SYS_clone, flags, 0, 0, 0, 0);
	if (pr.pid == 0) {
		/* Only this process's pipe: one holding another's would keep that one alive. */
		close_range(3, (unsigned)p[0] - 1, 0);
		close_range((unsigned)p[0] + 1, ~0U, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	if (pr.pid < 0)
		fail_msg("clone: %s", strerror(errno));
	close(p[0]);
	pr.release = p[1];
	return pr;
}

static void finish(struct proc *pr)
{
	close(pr->release);
	waitpid(pr->pid, NULL, 0);
}

/* A new process holding PID want, by setting the last PID the host handed out. */
static bool spawn_as(pid_t want, bool new_ns, struct proc *out)
{
	/* Other tests fork meanwhile and may take the PID first: try for a while. */
	for (int tries = 0; tries < 1000; tries++) {
		FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "we");

		if (!f)
			return false;
		fprintf(f, "%d", want - 1);
		fclose(f);
		*out = spawn(new_ns);
		if (out->pid == want)
			return true;
		finish(out); /* another process took it first */
	}
	return false;
}

/* The file as nspidfs gives it, checked to be the kernel's answer for pid. */
static void expect_nspid(const char *mnt, pid_t pid)
{
	pid_t levels[TREE_LEVELS];
	unsigned n;
	char buf[64], want[32];

	assert_int_equal(kernel_nspid(pid, levels, TREE_LEVELS, &n), 0);
	snprintf(want, sizeof(want), "%d\n", levels[n - 1]);
	assert_true(read_file_at(mnt, pid, "nspid", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, want);
}

static long metric(const struct daemon *dm, const char *sample)
{
	g_autofree char *path = g_strdup_printf("%s/metrics/nspidfs.prom", dm->mnt);
	g_autofree char *text = NULL;
	double v;

	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	if (!metrics_sample(text, sample, &v))
		fail_msg("no sample %s in:\n%s", sample, text);
	return (long)v;
}

#define PROCESS_ENTRIES "nspidfs_cache_entries{cache=\"process\"}"

static void check_reuse(const char *mnt)
{
	struct proc old = spawn(true), reuse = {0};
	pid_t pid = old.pid;
	char buf[64], dir[256];
	int dfd;

	/* Nothing allocated here: skip() and a failure leave the function by longjmp. */
	snprintf(dir, sizeof(dir), "%s/%d", mnt, pid);

	/* Cached twice over: the daemon's entry, and the page cache of its files. */
	expect_nspid(mnt, pid);
	expect_nspid(mnt, pid);
	assert_true(read_file_at(mnt, pid, "init", buf, sizeof(buf)) > 0);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	finish(&old);
	if (!spawn_as(pid, false, &reuse)) {
		close(dfd);
		skip();
	}
	/* Was "1" (the init of its own namespace); now a host process, whose PID is pid. */
	expect_nspid(mnt, pid);
	assert_true(read_file_at(mnt, pid, "init", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "1\n");
	/* The directory opened before names the process that is gone. */
	assert_int_equal(openat(dfd, "nspid", O_RDONLY | O_CLOEXEC), -1);
	assert_int_equal(errno, ENOENT);
	close(dfd);
	finish(&reuse);
}

static void test_reused_pid_is_the_new_process(void **state)
{
	check_reuse(d.mnt);
}

/* Where the kernel keeps "<pid>" itself (visibility=all), a reuse within that time too. */
static void test_reused_pid_with_cached_names(void **state)
{
	check_reuse(d_all.mnt);
}

/* A process that renames itself when told to (one byte on go), then says so (on done). */
static pid_t renamer(int *go, int *done)
{
	int to[2], from[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe2(to, O_CLOEXEC), 0);
	assert_int_equal(pipe2(from, O_CLOEXEC), 0);
	pid = fork();
	if (pid == 0) {
		close(to[1]);
		close(from[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		prctl(PR_SET_NAME, "before");
		if (write(from[1], "r", 1) != 1 || read(to[0], &c, 1) != 1)
			_exit(1);
		prctl(PR_SET_NAME, "after");
		if (write(from[1], "r", 1) != 1)
			_exit(1);
		while (read(to[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(to[0]);
	close(from[1]);
	assert_int_equal(read(from[0], &c, 1), 1);
	*go = to[1];
	*done = from[0];
	return pid;
}

/* The name is the one fact that changes while a process lives: json is never stale. */
static void test_json_has_the_current_name(void **state)
{
	int go, done;
	pid_t pid = renamer(&go, &done);
	char buf[512], c;

	assert_true(read_file_at(d.mnt, pid, "json", buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"comm\":\"before\""));
	expect_nspid(d.mnt, pid); /* cached now */
	assert_int_equal(write(go, "g", 1), 1);
	assert_int_equal(read(done, &c, 1), 1);
	assert_true(read_file_at(d.mnt, pid, "json", buf, sizeof(buf)) > 0);
	if (!strstr(buf, "\"comm\":\"after\""))
		fail_msg("json after the rename: %s", buf);
	close(go);
	close(done);
	waitpid(pid, NULL, 0);
}

struct statx_loop {
	const char *path;
	int stop;
};

static void *statx_main(void *arg)
{
	struct statx_loop *l = arg;
	struct statx stx;

	while (!g_atomic_int_get(&l->stop))
		statx(AT_FDCWD, l->path, AT_STATX_FORCE_SYNC, STATX_SIZE, &stx);
	return NULL;
}

/*
 * Attributes asked for (GETATTR) while the page is filled must not leave it padded: the size
 * the kernel reads up to is the content's, always.
 */
static void test_attributes_racing_reads(void **state)
{
	struct proc p = spawn(true);
	g_autofree char *path = g_strdup_printf("%s/%d/nspid", d.mnt, p.pid);
	struct statx_loop l = {.path = path};
	char first[64], buf[4200];
	pthread_t th;
	int bad = 0, n = 0;

	assert_true(read_file(path, first, sizeof(first)) > 0);
	pthread_create(&th, NULL, statx_main, &l);
	for (int i = 0; i < 3000; i++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		/* Drop the page, so that reads refill it while attributes are asked for. */
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		n = (int)read(fd, buf, sizeof(buf));
		close(fd);
		if (n != (int)strlen(first) || memcmp(buf, first, (size_t)n) != 0)
			bad++;
	}
	g_atomic_int_set(&l.stop, 1);
	pthread_join(th, NULL);
	finish(&p);
	if (bad)
		fail_msg("%d of 3000 reads were not \"%s\" (last: %d bytes)", bad, first, n);
}

/* An open file keeps its content after the process is gone, even when the page is dropped. */
static void test_open_file_outlives_process(void **state)
{
	struct proc p = spawn(true);
	g_autofree char *path = g_strdup_printf("%s/%d/ancestors", d.mnt, p.pid);
	char first[512], again[512];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	n = pread(fd, first, sizeof(first), 0);
	assert_true(n > 0);
	finish(&p);
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	assert_int_equal(pread(fd, again, sizeof(again), 0), n);
	assert_memory_equal(first, again, (size_t)n);
	close(fd);
}

/*
 * A fixed file's first open hands its content to the page cache before it is answered: mapped
 * right after the open, before anything reads it, its page is there, and no READ is needed.
 */
static void test_first_open_fills_the_page_cache(void **state)
{
	struct proc p = spawn(true);
	char path[256];
	unsigned char resident = 0;
	bool mapped, same = false;
	void *map = MAP_FAILED;
	int fd;

	snprintf(path, sizeof(path), "%s/%d/nspid", d.mnt, p.pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	mapped = map != MAP_FAILED;
	if (mapped) {
		/* mincore() asks the page cache for a page not faulted in: nothing is read. */
		if (mincore(map, 4096, &resident) < 0)
			resident = 0;
		/* The init of its own namespace. */
		same = memcmp(map, "1\n", 2) == 0;
		munmap(map, 4096);
	}
	if (fd >= 0)
		close(fd);
	finish(&p);
	assert_true(mapped);
	assert_true(resident & 1);
	assert_true(same);
}

#define RACE_READERS 4
#define RACE_ROUNDS  40

struct race {
	const char *mnt;
	pid_t pids[RACE_ROUNDS];
	pthread_barrier_t round;
	int wrong;
};

/* Every reader opens the same new files at once, and drops their pages to read them again. */
static void *race_main(void *arg)
{
	struct race *r = arg;

	for (int i = 0; i < RACE_ROUNDS; i++) {
		char path[256], want[32], buf[64];
		int fd;

		snprintf(path, sizeof(path), "%s/%d/init", r->mnt, r->pids[i]);
		snprintf(want, sizeof(want), "%d\n", r->pids[i]);
		pthread_barrier_wait(&r->round);
		for (int k = 0; k < 3; k++) {
			ssize_t n;

			fd = open(path, O_RDONLY | O_CLOEXEC);
			n = fd < 0 ? -1 : pread(fd, buf, sizeof(buf) - 1, 0);
			if (n < 0 || (size_t)n != strlen(want) || memcmp(buf, want, (size_t)n) != 0)
				g_atomic_int_inc(&r->wrong);
			if (fd >= 0) {
				posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
				close(fd);
			}
		}
	}
	return NULL;
}

/*
 * First opens racing each other and READs of dropped pages, every answer checked. A store of
 * a page whose READ waits would wait for the thread that answers it: the daemon would hang
 * (as it did, with the store moved after the OPEN's answer).
 */
static void test_first_opens_race(void **state)
{
	static struct race r;
	struct proc procs[RACE_ROUNDS];
	pthread_t th[RACE_READERS];

	r.mnt = d.mnt;
	r.wrong = 0;
	for (int i = 0; i < RACE_ROUNDS; i++) {
		procs[i] = spawn(true);
		r.pids[i] = procs[i].pid;
	}
	pthread_barrier_init(&r.round, NULL, RACE_READERS);
	for (int t = 0; t < RACE_READERS; t++)
		assert_int_equal(pthread_create(&th[t], NULL, race_main, &r), 0);
	for (int t = 0; t < RACE_READERS; t++)
		pthread_join(th[t], NULL);
	pthread_barrier_destroy(&r.round);
	for (int i = 0; i < RACE_ROUNDS; i++)
		finish(&procs[i]);
	assert_int_equal(r.wrong, 0);
}

static void *churn_main(void *arg)
{
	int *stop = arg;

	while (!g_atomic_int_get(stop)) {
		struct proc p = spawn(true);

		finish(&p);
	}
	return NULL;
}

/*
 * GLib's g_file_get_contents() opens, fstat()s and reads as many bytes as the size says: the
 * size of a changing file must be that of the content this reader reads, however processes
 * come and go in between.
 */
static void test_size_matches_content(void **state)
{
	const char *args[] = {"--snapshot-ms=0", NULL};
	const char *const files[] = {"tree", "metrics/nspidfs.prom"};
	struct daemon own;
	pthread_t th;
	int stop = 0, cut = 0;

	assert_true(daemon_start(&own, args));
	pthread_create(&th, NULL, churn_main, &stop);
	for (int i = 0; i < 200; i++) {
		g_autofree char *path = g_strdup_printf("%s/%s", own.mnt, files[i % 2]);
		g_autofree char *text = NULL;
		gsize len = 0;

		assert_true(g_file_get_contents(path, &text, &len, NULL));
		if (len == 0 || text[len - 1] != '\n' ||
		    (i % 2 &&
		     !g_str_has_prefix(strrchr(text, '#'), "# TYPE nspidfs_metrics_build")))
			cut++;
	}
	g_atomic_int_set(&stop, 1);
	pthread_join(th, NULL);
	assert_int_equal(daemon_stop(&own), 0);
	if (cut)
		fail_msg("%d of 200 reads were cut short", cut);
}

/*
 * A reader in a new PID namespace whose host PID is want (taken back as spawn_as does): it
 * reads path once (open and read, no stat) and its bytes come back in out.
 */
static bool read_as(pid_t want, const char *path, char *out, size_t size)
{
	for (int tries = 0; tries < 1000; tries++) {
		int go[2], back[2];
		FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "we");
		pid_t pid;
		char c = 'n';
		ssize_t n;

		if (!f || pipe2(go, O_CLOEXEC) < 0 || pipe2(back, O_CLOEXEC) < 0)
			return false;
		fprintf(f, "%d", want - 1);
		fclose(f);
		pid =
		    (pid_t)syscall(SYS_clone, (unsigned long)(SIGCHLD | CLONE_NEWPID), 0, 0, 0, 0);
		if (pid == 0) {
			char buf[8192];
			int r = 0;

			if (read(go[0], &c, 1) == 1 && c == 'g')
				r = read_file(path, buf, sizeof(buf));
			if (r <= 0)
				r = snprintf(buf, sizeof(buf), "error: %s", strerror(-r));
			if (write(back[1], buf, (size_t)r) < 0)
				_exit(1);
			_exit(0);
		}
		close(go[0]);
		close(back[1]);
		c = pid == want ? 'g' : 'n';
		if (write(go[1], &c, 1) != 1)
			c = 'n';
		close(go[1]);
		n = read(back[0], out, size - 1);
		close(back[0]);
		waitpid(pid, NULL, 0);
		if (c == 'g') {
			out[n > 0 ? n : 0] = '\0';
			return true;
		}
	}
	return false;
}

/*
 * What a changing file was sized for is kept for its reader's thread: a thread ID taken by a
 * reader in another namespace must not be served it. A host reader stats tree and exits; a
 * container's init with its host PID then reads tree and sees its own namespace only.
 */
static void test_reused_thread_gets_its_own_view(void **state)
{
	/* A new /proc pass for every read: the reader's namespace is in it, however new. */
	const char *args[] = {"--snapshot-ms=0", NULL};
	struct daemon own;
	char path[256], out[8192];
	struct stat st;
	pid_t host;
	bool ran;

	assert_true(daemon_start(&own, args));
	snprintf(path, sizeof(path), "%s/tree", own.mnt);
	host = fork();

	if (host == 0)
		_exit(stat(path, &st) == 0 ? 0 : 1);
	assert_true(host > 0);
	waitpid(host, NULL, 0);
	ran = read_as(host, path, out, sizeof(out));
	assert_int_equal(daemon_stop(&own), 0);
	if (!ran)
		skip();
	/* Its tree starts at its own namespace, level 1; the host's at level 0. */
	if (!g_str_has_prefix(out, "ns ") || strstr(out, " level 0 "))
		fail_msg("a reader in a new namespace was served another view of tree:\n%.300s",
			 out);
}

static void test_exited_process_leaves_the_cache(void **state)
{
	struct proc p[5];
	long before = metric(&d, PROCESS_ENTRIES);
	unsigned fds = process_fd_count(d.server);

	for (int i = 0; i < 5; i++) {
		p[i] = spawn(true);
		expect_nspid(d.mnt, p[i].pid);
	}
	assert_true(metric(&d, PROCESS_ENTRIES) >= before + 5);
	for (int i = 0; i < 5; i++)
		finish(&p[i]);
	/* At most: a reader elsewhere may only have made entries go. */
	assert_true(metric(&d, PROCESS_ENTRIES) <= before);
	assert_true(process_fd_count(d.server) <= fds);
}

/* pid's start time in clock ticks since boot: field 22 of /proc/PID/stat. */
static unsigned long long start_ticks(pid_t pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/stat", pid);
	g_autofree char *text = NULL;
	unsigned long long t = 0;
	const char *p;

	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	p = strrchr(text, ')');
	assert_non_null(p);
	/* After the name: fields 3 to 21, then the start time. */
	assert_int_equal(sscanf(p + 2,
				"%*c"
				"%*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
				"%*s %*s %*s %*s %*s %*s %llu",
				&t),
			 1);
	return t;
}

/* The content of name in the directory dirfd, or NULL with errno. */
static char *read_at(int dirfd, const char *name)
{
	char buf[64];
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n < 0 ? NULL : g_strndup(buf, (gsize)n);
}

/* The target of the link name in the directory dirfd, or NULL with errno. */
static char *link_at(int dirfd, const char *name)
{
	char buf[256];
	ssize_t n = readlinkat(dirfd, name, buf, sizeof(buf) - 1);

	return n < 0 ? NULL : g_strndup(buf, (gsize)n);
}

/*
 * A directory of ns/ held open names its namespace by its init's identity: once the init died
 * and its PID went to the init of another namespace, within the same clock tick (which start
 * times cannot tell apart), it answers ENOENT, not about the other namespace.
 */
static void test_reused_init_pid_is_another_namespace(void **state)
{
	for (int attempt = 0; attempt < 20; attempt++) {
		struct proc a = spawn(true), b;
		pid_t pid = a.pid;
		unsigned long long started = start_ticks(pid);
		g_autofree char *path =
		    g_strdup_printf("%s/ns/%" PRIu64, d.mnt, kernel_ns_ino(pid));
		g_autofree char *want = g_strdup_printf("%d\n", pid);
		g_autofree char *before = NULL, *after = NULL;
		int dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err;

		assert_true(dirfd >= 0);
		before = read_at(dirfd, "init");
		assert_non_null(before);
		assert_string_equal(before, want);
		finish(&a);
		if (!spawn_as(pid, true, &b)) {
			close(dirfd);
			skip();
		}
		if (start_ticks(b.pid) != started) {
			/* Not within one tick: start times would tell them apart. Again. */
			close(dirfd);
			finish(&b);
			continue;
		}
		/* The reverse lookup asks the kernel, not a /proc pass: it would find b. */
		after = link_at(dirfd, "pid/1");
		err = errno;
		close(dirfd);
		finish(&b);
		if (after)
			fail_msg("the dead namespace's pid/1 answered %s", after);
		assert_int_equal(err, ENOENT);
		return;
	}
	skip();
}

/*
 * Whether pid's descriptors come down to want, by themselves (nothing is asked of the
 * daemon meanwhile), within a few seconds.
 */
static bool wait_for_fd_count(pid_t pid, unsigned want)
{
	gint64 give_up = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

	while (process_fd_count(pid) > want) {
		if (g_get_monotonic_time() > give_up)
			return false;
		sched_yield();
	}
	return true;
}

/* Every line of m's ancestors file is the kernel's: its PID and its namespace's init. */
static void expect_ancestors(const char *mnt, const struct member *m)
{
	pid_t levels[TREE_LEVELS];
	unsigned n;
	char buf[512];
	g_auto(GStrv) lines = NULL;

	assert_int_equal(kernel_nspid(m->host, levels, TREE_LEVELS, &n), 0);
	assert_true(read_file_at(mnt, m->host, "ancestors", buf, sizeof(buf)) > 0);
	lines = g_strsplit(g_strchomp(buf), "\n", -1);
	assert_int_equal(g_strv_length(lines), n);
	for (unsigned k = 0; k < n; k++) {
		unsigned level;
		unsigned long long ns;
		int pid, init;

		assert_int_equal(sscanf(lines[k], "%u %llu %d %d", &level, &ns, &pid, &init), 4);
		assert_int_equal(level, k);
		assert_int_equal(pid, levels[k]);
		assert_int_equal(init, m->inits[k]);
	}
}

#define NS_HITS	   "nspidfs_cache_hits_total{cache=\"namespace\"}"
#define NS_ENTRIES "nspidfs_cache_entries{cache=\"namespace\"}"

/*
 * A process of a namespace seen before takes its chain from the namespace cache, and answers
 * as the kernel does at every level; the entry and the namespaces' descriptors go with the
 * init.
 */
static void test_namespace_cache(void **state)
{
	long entries = metric(&d, NS_ENTRIES), hits;
	unsigned fds = process_fd_count(d.server);
	struct nstree t;
	int l1, l2, a, b;

	nstree_init(&t);
	l1 = nstree_add(&t, -1, true);
	l2 = nstree_add(&t, l1, true);
	a = nstree_add(&t, l2, false);
	b = nstree_add(&t, l2, false);
	expect_ancestors(d.mnt, &t.m[a]);
	assert_true(metric(&d, NS_ENTRIES) >= entries + 1);
	hits = metric(&d, NS_HITS);
	expect_ancestors(d.mnt, &t.m[b]);
	assert_int_equal(metric(&d, NS_HITS), hits + 1);
	nstree_destroy(&t);
	/* Unasked: the daemon wakes when a cached process exits, and lets go of its entries. */
	assert_true(wait_for_fd_count(d.server, fds));
	/* At most: a reader elsewhere may only have made entries go. */
	assert_true(metric(&d, NS_ENTRIES) <= entries);
}

static void test_bounded(void **state)
{
	const char *args[] = {"--pid-cache=4", NULL};
	struct daemon small;
	struct proc p[10];

	assert_true(daemon_start(&small, args));
	for (int i = 0; i < 10; i++)
		p[i] = spawn(true);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 10; i++) {
			expect_nspid(small.mnt, p[i].pid);
			assert_true(metric(&small, PROCESS_ENTRIES) <= 4);
		}
	}
	for (int i = 0; i < 10; i++)
		finish(&p[i]);
	assert_int_equal(daemon_stop(&small), 0);
}

static void test_cache_off(void **state)
{
	const char *args[] = {"--pid-cache=0", "--strategy=ioctl", NULL};
	const char *ok = "nspidfs_lookups_total{strategy=\"ioctl\",result=\"ok\"}";
	struct daemon off;
	struct proc p = spawn(true);
	long before;

	assert_true(daemon_start(&off, args));
	before = metric(&off, ok);
	expect_nspid(off.mnt, p.pid);
	expect_nspid(off.mnt, p.pid);
	/* Every read translates again, and nothing is held. */
	assert_int_equal(metric(&off, ok), before + 2);
	assert_int_equal(metric(&off, PROCESS_ENTRIES), 0);
	finish(&p);
	assert_int_equal(daemon_stop(&off), 0);
}

static struct fixture fx = {
    .daemons = {{.d = &d}, {.d = &d_all, .args = {"--visibility=all"}}},
};

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reused_pid_is_the_new_process),
	    cmocka_unit_test(test_reused_pid_with_cached_names),
	    cmocka_unit_test(test_json_has_the_current_name),
	    cmocka_unit_test(test_attributes_racing_reads),
	    cmocka_unit_test(test_open_file_outlives_process),
	    cmocka_unit_test(test_first_open_fills_the_page_cache),
	    cmocka_unit_test(test_first_opens_race),
	    cmocka_unit_test(test_size_matches_content),
	    cmocka_unit_test(test_reused_thread_gets_its_own_view),
	    cmocka_unit_test(test_exited_process_leaves_the_cache),
	    cmocka_unit_test(test_namespace_cache),
	    cmocka_unit_test(test_reused_init_pid_is_another_namespace),
	    cmocka_unit_test(test_bounded),
	    cmocka_unit_test(test_cache_off),
	};

	harness_init();
	return fixture_run("cache", tests, &fx);
}

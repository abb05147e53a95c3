/*
 * The namespace model kept current by the kernel's process events: after each change the test
 * makes in a namespace of its own (a process made, renamed, given threads, exec'd, exited into
 * a zombie, reaped; a namespace nested, a namespace ended), what the daemon serves about that
 * namespace is what the kernel says, and what a daemon making a full /proc pass for every read
 * says. A daemon whose event buffer is too small to hold a burst must notice it lost events
 * and make a full pass.
 *
 * Workers are the test's children, made in the namespace a test step names, and obey one-byte
 * commands. Each acknowledges a command by a byte (an exec'd one from the program it became),
 * or by its exit, which the test waits for, so the test never sleeps to wait for one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"

#define RENAMED "renamed-nspid"

static struct daemon ev, full, tiny, sparse;

struct worker {
	pid_t pid;
	int cmd; /* the test's end */
	int ack;
};

static void *blocked_thread(void *arg)
{
	for (;;)
		pause();
	return arg;
}

/*
 * Become a shell that acknowledges once it runs, and so after its exec's event was queued (the
 * worker's descriptors close, and its name changes, earlier in the exec), then waits on the
 * command pipe for good.
 */
static void exec_shell(int cmd, int ack)
{
	if (dup2(cmd, 0) == 0 && dup2(ack, 4) == 4)
		execl("/bin/sh", "sh", "-c", "echo k >&4; exec 4>&-; read x", (char *)NULL);
	_exit(1);
}

static void __attribute__((noreturn)) worker_main(int cmd, int ack)
{
	char c;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (write(ack, "r", 1) != 1)
		_exit(1);
	while (read(cmd, &c, 1) == 1) {
		pthread_t t;

		if (c == 'n')
			prctl(PR_SET_NAME, RENAMED);
		else if (c == 't' && pthread_create(&t, NULL, blocked_thread, NULL) != 0)
			_exit(1);
		else if (c == 'e')
			exec_shell(cmd, ack);
		else if (c == 'x')
			_exit(0);
		if (write(ack, "k", 1) != 1)
			_exit(1);
	}
	_exit(0);
}

struct worker_pipes {
	int cmd[2], ack[2];
};

static void worker_start(void *arg)
{
	struct worker_pipes *wp = arg;

	close(wp->cmd[1]);
	close(wp->ack[0]);
	worker_main(wp->cmd[0], wp->ack[1]);
}

/* A worker in the namespace of in (0: the test's), or the init of a new one below it. */
static struct worker spawn(pid_t in, bool new_ns)
{
	struct worker_pipes wp;
	struct worker w;
	char c;

	assert_int_equal(pipe2(wp.cmd, O_CLOEXEC), 0);
	assert_int_equal(pipe2(wp.ack, O_CLOEXEC), 0);
	w.pid = harness_spawn(in, new_ns, worker_start, &wp);
	close(wp.cmd[0]);
	close(wp.ack[1]);
	w.cmd = wp.cmd[1];
	w.ack = wp.ack[0];
	assert_int_equal(read(w.ack, &c, 1), 1);
	return w;
}

/* Send c and wait for its acknowledgement: a byte, or the end of the pipe (exit, exec). */
static void order(struct worker *w, char c)
{
	char got;

	assert_int_equal(write(w->cmd, &c, 1), 1);
	assert_true(read(w->ack, &got, 1) >= 0);
}

static void worker_close(struct worker *w)
{
	close(w->cmd);
	close(w->ack);
}

static char *read_text(const struct daemon *d, const char *rel)
{
	g_autofree char *path = g_strdup_printf("%s/%s", d->mnt, rel);
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return NULL;
	return text;
}

static char *ns_json(const struct daemon *d, uint64_t ino)
{
	g_autofree char *rel = g_strdup_printf("ns/%" PRIu64 "/json", ino);

	return read_text(d, rel);
}

static bool ns_listed(const struct daemon *d, uint64_t ino)
{
	g_autofree char *path = g_strdup_printf("%s/ns", d->mnt);
	g_autofree char *name = g_strdup_printf("%" PRIu64, ino);
	DIR *dir = opendir(path);
	struct dirent *de;
	bool found = false;

	assert_non_null(dir);
	while ((de = readdir(dir)))
		found |= strcmp(de->d_name, name) == 0;
	closedir(dir);
	return found;
}

/* The value of family's series for namespace ino in d's metrics, or -1. */
static double ns_metric(const struct daemon *d, const char *family, uint64_t ino)
{
	g_autofree char *text = read_text(d, "metrics/nspidfs.prom");
	g_autofree char *key = g_strdup_printf("\n%s{ns=\"%" PRIu64 "\"", family, ino);
	const char *p = text ? strstr(text, key) : NULL;
	const char *end = p ? strchr(p + 1, '\n') : NULL;
	const char *space = end ? g_strrstr_len(p, end - p, " ") : NULL;

	return space ? g_ascii_strtod(space + 1, NULL) : -1;
}

static double counter(const struct daemon *d, const char *name)
{
	g_autofree char *text = read_text(d, "metrics/nspidfs.prom");
	double v = -1;

	assert_non_null(text);
	assert_true(metrics_sample(text, name, &v));
	return v;
}

/* d's JSON of namespace ino, which must be the full-pass daemon's, and hold every entry. */
static char *agree(const struct daemon *d, uint64_t ino, const char *const *holds)
{
	char *got = ns_json(d, ino);
	g_autofree char *want = ns_json(&full, ino);

	assert_non_null(want);
	if (!got || strcmp(got, want) != 0)
		fail_msg("ns %" PRIu64 ":\n got  %s\n want %s", ino, got ? got : "(none)", want);
	for (; holds && *holds; holds++) {
		if (!strstr(got, *holds))
			fail_msg("ns %" PRIu64 ": no %s in %s", ino, *holds, got);
	}
	return got;
}

static char *member(pid_t host, pid_t nspid)
{
	return g_strdup_printf("{\"host_pid\":%d,\"ns_pid\":%d,", host, nspid);
}

static void agree_metric(const char *family, uint64_t ino, double want)
{
	double got = ns_metric(&ev, family, ino), oracle = ns_metric(&full, family, ino);

	if (got != want || oracle != want)
		fail_msg("%s of ns %" PRIu64 ": %g, full pass %g, kernel %g", family, ino, got,
			 oracle, want);
}

/*
 * The namespace ino, whose init was init, ended: not listed, or (its inode number given to a
 * new namespace, perhaps another test's) listed with another init.
 */
static void assert_ended(const struct daemon *d, uint64_t ino, pid_t init)
{
	g_autofree char *json = ns_listed(d, ino) ? ns_json(d, ino) : NULL;
	g_autofree char *was = g_strdup_printf("\"init\":%d,", init);

	if (json && strstr(json, was))
		fail_msg("%s: ended namespace %" PRIu64 " still listed: %s", d->mnt, ino, json);
}

static void test_follows_changes(void **state)
{
	double updates = counter(&ev, "nspidfs_proc_updates_total");
	struct worker init = spawn(0, true), a, b, nested;
	uint64_t ino = kernel_ns_ino(init.pid), nested_ino;
	g_autofree char *m_init = member(init.pid, 1), *m_a = NULL, *m_b = NULL;
	g_autofree char *text = NULL, *nested_init = NULL;

	(void)state;
	assert_true(ns_listed(&ev, ino));
	g_free(agree(&ev, ino, (const char *const[]){m_init, NULL}));

	a = spawn(init.pid, false);
	b = spawn(init.pid, false);
	m_a = member(a.pid, 2);
	m_b = member(b.pid, 3);
	g_free(agree(&ev, ino, (const char *const[]){m_init, m_a, m_b, NULL}));

	order(&a, 'n');
	g_free(agree(&ev, ino, (const char *const[]){"\"comm\":\"" RENAMED "\"", NULL}));

	order(&a, 't');
	order(&a, 't');
	agree_metric("nspidfs_namespace_threads", ino, 5);

	order(&b, 'e');
	g_free(agree(&ev, ino, (const char *const[]){"\"comm\":\"sh\"", NULL}));

	/*
	 * A zombie until the test reaps it: no event says when. Its descriptors close before it
	 * is a zombie, so wait for that (WNOWAIT leaves it one); its exit event is queued by the
	 * same exit a few instructions later, long before the daemon hears of the next read.
	 */
	order(&a, 'x');
	assert_int_equal(waitid(P_PID, (id_t)a.pid, &(siginfo_t){0}, WEXITED | WNOWAIT), 0);
	agree_metric("nspidfs_namespace_zombies", ino, 1);
	assert_int_equal(waitpid(a.pid, NULL, 0), a.pid);
	agree_metric("nspidfs_namespace_zombies", ino, 0);
	text = agree(&ev, ino, NULL);
	if (strstr(text, m_a))
		fail_msg("reaped %d still listed: %s", a.pid, text);

	nested = spawn(init.pid, true);
	nested_ino = kernel_ns_ino(nested.pid);
	nested_init = member(nested.pid, 1);
	assert_true(ns_listed(&ev, nested_ino));
	g_free(agree(&ev, nested_ino, (const char *const[]){nested_init, NULL}));

	/* The init's end takes its namespace, and the one below, with it. */
	order(&init, 'x');
	assert_int_equal(waitpid(b.pid, NULL, 0), b.pid);
	assert_int_equal(waitpid(nested.pid, NULL, 0), nested.pid);
	assert_int_equal(waitpid(init.pid, NULL, 0), init.pid);
	assert_ended(&ev, ino, init.pid);
	assert_ended(&ev, nested_ino, nested.pid);
	assert_ended(&full, ino, init.pid);

	if (counter(&ev, "nspidfs_proc_updates_total") <= updates)
		fail_msg("no update from events: every model was a full pass");
	worker_close(&init);
	worker_close(&a);
	worker_close(&b);
	worker_close(&nested);
}

/*
 * A namespace ends, and a new one takes its inode number (the kernel frees the number a grace
 * period after the last process is reaped, and hands out the lowest free one) before the
 * daemon's next model: the last model's namespace of that number must not adopt the new one's
 * processes. Namespaces are made until one has the number; NULL if none did.
 */
static bool reuse_number(uint64_t ino, GArray *made, struct worker *got)
{
	for (int i = 0; i < 500; i++) {
		struct worker w = spawn(0, true);

		if (kernel_ns_ino(w.pid) == ino) {
			*got = w;
			return true;
		}
		g_array_append_val(made, w);
	}
	return false;
}

static void end_all(GArray *made)
{
	for (guint i = 0; i < made->len; i++) {
		struct worker *w = &g_array_index(made, struct worker, i);

		kill(w->pid, SIGKILL);
		assert_int_equal(waitpid(w->pid, NULL, 0), w->pid);
		worker_close(w);
	}
	g_array_set_size(made, 0);
}

static void test_inode_numbers_reused(void **state)
{
	g_autoptr(GArray) made = g_array_new(FALSE, FALSE, sizeof(struct worker));
	struct worker old = spawn(0, true), inner = spawn(old.pid, true), top, below;
	uint64_t inner_ino = kernel_ns_ino(inner.pid);
	g_autofree char *m_below = NULL;

	(void)state;
	/* Two levels in the daemon's model; then the second level's number, at the first. */
	assert_true(ns_listed(&ev, inner_ino));
	order(&old, 'x');
	assert_int_equal(waitpid(inner.pid, NULL, 0), inner.pid);
	assert_int_equal(waitpid(old.pid, NULL, 0), old.pid);
	worker_close(&old);
	worker_close(&inner);
	if (!reuse_number(inner_ino, made, &top)) {
		end_all(made);
		print_message("no namespace got the number %" PRIu64 " again\n", inner_ino);
		skip();
	}
	below = spawn(top.pid, true);
	m_below = g_strdup_printf("\"children\":[%" PRIu64 "]", kernel_ns_ino(below.pid));
	g_free(agree(&ev, inner_ino, (const char *const[]){"\"level\":1,", m_below, NULL}));
	g_free(agree(&ev, kernel_ns_ino(below.pid), (const char *const[]){"\"level\":2,", NULL}));
	g_array_append_val(made, below);
	g_array_append_val(made, top);
	end_all(made);
}

/*
 * A worker in the namespace of in whose host PID is pid: made by setting the host's
 * ns_last_pid just below it (other tests' forks can take it first: then try again). Returns
 * false if it could not be had.
 */
static bool spawn_as(pid_t in, pid_t pid, struct worker *got)
{
	g_autofree char *last = g_strdup_printf("%d", pid - 1);

	for (int i = 0; i < 500; i++) {
		struct worker w;

		assert_int_equal(write_file("/proc/sys/kernel/ns_last_pid", last), 0);
		w = spawn(in, false);
		if (w.pid == pid) {
			*got = w;
			return true;
		}
		kill(w.pid, SIGKILL);
		assert_int_equal(waitpid(w.pid, NULL, 0), w.pid);
		worker_close(&w);
	}
	return false;
}

/*
 * A process ends and its host PID is given to a process of another namespace before the
 * daemon's next model: the model must drop the first and read the second, not keep the first
 * under the PID.
 */
static void test_pid_reused(void **state)
{
	struct worker a = spawn(0, true), b = spawn(0, true), x,
		      y = {.pid = -1, .cmd = -1, .ack = -1};
	uint64_t ino_a = kernel_ns_ino(a.pid), ino_b = kernel_ns_ino(b.pid);
	g_autofree char *m_y = NULL, *listed = NULL;
	char *text;
	pid_t reused, nspid[2];
	unsigned depth = 0;

	(void)state;
	x = spawn(a.pid, false);
	reused = x.pid;
	g_free(agree(&ev, ino_a, NULL));
	order(&x, 'x');
	assert_int_equal(waitpid(x.pid, NULL, 0), x.pid);
	worker_close(&x);
	if (!spawn_as(b.pid, reused, &y)) {
		kill(a.pid, SIGKILL);
		kill(b.pid, SIGKILL);
		waitpid(a.pid, NULL, 0);
		waitpid(b.pid, NULL, 0);
		skip();
	}
	/* Its PID in b's namespace: the attempts before it took some. */
	assert_int_equal(kernel_nspid(reused, nspid, 2, &depth), 0);
	m_y = member(reused, nspid[depth - 1]);
	g_free(agree(&ev, ino_b, (const char *const[]){m_y, NULL}));
	text = agree(&ev, ino_a, NULL);
	listed = g_strdup_printf("\"host_pid\":%d,", reused);
	if (strstr(text, listed))
		fail_msg("%d, reused in another namespace, still listed in its old one: %s", reused,
			 text);
	g_free(text);
	kill(a.pid, SIGKILL);
	kill(b.pid, SIGKILL);
	assert_int_equal(waitpid(y.pid, NULL, 0), y.pid);
	assert_int_equal(waitpid(a.pid, NULL, 0), a.pid);
	assert_int_equal(waitpid(b.pid, NULL, 0), b.pid);
	worker_close(&a);
	worker_close(&b);
	worker_close(&y);
}

/* Processes that start and end at once: two events each, which the tiny buffer cannot hold. */
static void burst(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		pid_t p = fork();

		if (p == 0)
			_exit(0);
		assert_true(p > 0);
		assert_int_equal(waitpid(p, NULL, 0), p);
	}
}

static void test_lost_events_mean_a_full_pass(void **state)
{
	struct worker init = spawn(0, true), late;
	uint64_t ino = kernel_ns_ino(init.pid);
	g_autofree char *m_late = NULL;
	double passes;

	(void)state;
	g_free(agree(&tiny, ino, NULL));
	passes = counter(&tiny, "nspidfs_proc_passes_total");
	burst(200);
	/* Made after the buffer filled: its own event is lost. */
	late = spawn(init.pid, false);
	m_late = member(late.pid, 2);
	g_free(agree(&tiny, ino, (const char *const[]){m_late, NULL}));
	if (counter(&tiny, "nspidfs_proc_passes_total") <= passes)
		fail_msg("events were lost, and no full pass was made");
	kill(init.pid, SIGKILL);
	assert_int_equal(waitpid(late.pid, NULL, 0), late.pid);
	assert_int_equal(waitpid(init.pid, NULL, 0), init.pid);
	worker_close(&init);
	worker_close(&late);
}

/* The bytes queued on d's server's proc connector socket, as /proc/net/netlink shows them. */
static long events_queued(const struct daemon *d)
{
	g_autofree char *fds = g_strdup_printf("/proc/%d/fd", d->server);
	g_autofree char *table = NULL;
	g_auto(GStrv) lines = NULL;
	GHashTable *inodes = g_hash_table_new(NULL, NULL);
	GDir *dir = g_dir_open(fds, 0, NULL);
	const char *name;
	long queued = -1;

	assert_non_null(dir);
	while ((name = g_dir_read_name(dir))) {
		g_autofree char *link = g_strdup_printf("%s/%s", fds, name);
		g_autofree char *target = g_file_read_link(link, NULL);
		unsigned long ino;

		if (target && sscanf(target, "socket:[%lu]", &ino) == 1)
			g_hash_table_add(inodes, GSIZE_TO_POINTER(ino));
	}
	g_dir_close(dir);
	assert_true(g_file_get_contents("/proc/net/netlink", &table, NULL, NULL));
	lines = g_strsplit(table, "\n", -1);
	/* sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode; NETLINK_CONNECTOR is 11. */
	for (char **l = lines; *l; l++) {
		unsigned long sk, ino;
		int eth;
		unsigned pid, groups, wmem, dump, locks, drops;
		long rmem;

		if (sscanf(*l, "%lx %d %u %x %ld %u %u %u %u %lu", &sk, &eth, &pid, &groups, &rmem,
			   &wmem, &dump, &locks, &drops, &ino) == 10 &&
		    eth == 11 && g_hash_table_contains(inodes, GSIZE_TO_POINTER(ino)))
			queued = rmem;
	}
	g_hash_table_unref(inodes);
	return queued;
}

/*
 * Wait (up to 10 s) for d's events to be drained, with no reader asking, to a quarter of its
 * buffer (the kernel doubles the 512 KiB asked for): other tests' events keep coming.
 */
static void wait_drained(const struct daemon *d)
{
	gint64 until = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	long q;

	for (;;) {
		q = events_queued(d);
		assert_true(q >= 0);
		if (q <= 256 * 1024)
			return;
		if (g_get_monotonic_time() > until)
			fail_msg("%ld bytes of events still queued after 10 s", q);
		g_usleep(1000); /* polling a file: /proc/net/netlink notifies nothing */
	}
}

/*
 * Far more events than the buffer holds come between two reads, but in bursts it holds: the
 * daemon drains them meanwhile, and the next read is an update, not a full pass.
 */
static void test_events_drained_between_reads(void **state)
{
	struct worker init = spawn(0, true), late;
	uint64_t ino = kernel_ns_ino(init.pid);
	g_autofree char *m_late = NULL;
	double passes;

	(void)state;
	g_free(agree(&sparse, ino, NULL));
	passes = counter(&sparse, "nspidfs_proc_passes_total");
	/* About 4,000 events, three times what the buffer holds, 400 at a time. */
	for (int i = 0; i < 10; i++) {
		burst(200);
		wait_drained(&sparse);
	}
	late = spawn(init.pid, false);
	m_late = member(late.pid, 2);
	g_free(agree(&sparse, ino, (const char *const[]){m_late, NULL}));
	if (counter(&sparse, "nspidfs_proc_passes_total") != passes)
		fail_msg("a full pass: the events between the reads were lost");
	kill(init.pid, SIGKILL);
	assert_int_equal(waitpid(late.pid, NULL, 0), late.pid);
	assert_int_equal(waitpid(init.pid, NULL, 0), init.pid);
	worker_close(&init);
	worker_close(&late);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_follows_changes),
	    cmocka_unit_test(test_inode_numbers_reused),
	    cmocka_unit_test(test_pid_reused),
	    cmocka_unit_test(test_lost_events_mean_a_full_pass),
	    cmocka_unit_test(test_events_drained_between_reads),
	};
	static struct fixture fx = {
	    .daemons =
		{
		    {.d = &ev, .args = {"--snapshot-ms=0"}},
		    {.d = &full, .args = {"--snapshot-ms=0", "--event-buffer-kib=0"}},
		    {.d = &tiny, .args = {"--snapshot-ms=0", "--event-buffer-kib=1"}},
		    {.d = &sparse, .args = {"--snapshot-ms=0", "--event-buffer-kib=512"}},
		},
	};

	harness_init();
	return fixture_run("live-model", tests, &fx);
}

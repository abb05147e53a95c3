/*
 * live_table against real tasks: an entry is never served once its task exited and its PID
 * went to another, with nothing swept in between (no daemon here to sweep when idle). The
 * tests run as PID 1 of a PID namespace of their own, where ns_last_pid hands a dead task's
 * PID to the next one at once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "live_table.h"

#define TRIES 1000

/* The next task made in this namespace gets pid, if pid is free; skips where it cannot. */
static void next_pid_is(pid_t pid)
{
	FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "we");

	if (!f)
		skip();
	fprintf(f, "%d", pid - 1);
	if (fclose(f) != 0)
		skip();
}

/* A child that waits to be killed, and dies with this process. */
static pid_t child(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	return pid;
}

/* Kill pid and wait until it is a zombie, which it stays until reaped. */
static void end(pid_t pid)
{
	siginfo_t si;

	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* A child whose PID is pid, or a failure. */
static pid_t child_as(pid_t pid)
{
	for (int i = 0; i < TRIES; i++) {
		pid_t got;

		next_pid_is(pid);
		got = child();
		if (got == pid)
			return got;
		reap(got);
	}
	fail_msg("no child got PID %d in %d tries", pid, TRIES);
	return -1;
}

static void put_child(struct live_table *t, pid_t pid, int value)
{
	live_table_put(t, pid, live_table_pidfd(t, pid), &value, true);
}

static void test_reused_process_pid_is_a_miss(void **state)
{
	struct live_table *t = live_table_new(16, sizeof(int), 0);
	pid_t pid = child(), again;
	int out = 0;

	(void)state;
	put_child(t, pid, 42);
	assert_true(live_table_get(t, pid, &out));
	assert_int_equal(out, 42);
	end(pid);
	reap(pid);
	again = child_as(pid);
	assert_false(live_table_get(t, pid, &out));
	reap(again);
	live_table_free(t);
}

/*
 * More exited entries than one sweep takes (64), the one looked up among those left: it is
 * asked about on its own, not served.
 */
static void test_beyond_one_sweep(void **state)
{
	enum { N = 70 };
	struct live_table *t = live_table_new(128, sizeof(int), 0);
	pid_t pid[N], again;
	int out = 0;

	(void)state;
	for (int i = 0; i < N; i++) {
		pid[i] = child();
		put_child(t, pid[i], i);
	}
	/* In this order, the last is last in the set's ready list. */
	for (int i = 0; i < N; i++)
		end(pid[i]);
	reap(pid[N - 1]);
	again = child_as(pid[N - 1]);
	assert_false(live_table_get(t, pid[N - 1], &out));
	reap(again);
	for (int i = 0; i < N - 1; i++)
		reap(pid[i]);
	live_table_free(t);
}

/*
 * Keys are 64-bit (a namespace's inode number keys the namespaces' table): keys equal in their
 * low 32 bits are different entries, and an exit found through the set drops the right one.
 */
static void test_wide_keys(void **state)
{
	const uint64_t low = UINT64_C(4026532400), high = low | (UINT64_C(1) << 40);
	struct live_table *t = live_table_new(16, sizeof(int), 0);
	pid_t a = child(), b = child();
	int out = 0, one = 1, two = 2;

	(void)state;
	live_table_put(t, low, live_table_pidfd(t, a), &one, true);
	live_table_put(t, high, live_table_pidfd(t, b), &two, true);
	assert_true(live_table_get(t, low, &out));
	assert_int_equal(out, 1);
	assert_true(live_table_get(t, high, &out));
	assert_int_equal(out, 2);
	assert_false(live_table_get(t, (uint32_t)high + 1, &out));
	end(b);
	assert_false(live_table_get(t, high, &out));
	assert_true(live_table_get(t, low, &out));
	assert_int_equal(out, 1);
	reap(a);
	reap(b);
	live_table_free(t);
}

/* Once any entry's task exited, each is asked about alone: the live one served, not the zombie. */
static void test_exit_of_another_entry(void **state)
{
	struct live_table *t = live_table_new(16, sizeof(int), 0);
	pid_t a = child(), b = child();
	int out = 0;

	(void)state;
	put_child(t, a, 1);
	put_child(t, b, 2);
	end(b);
	assert_true(live_table_get(t, a, &out));
	assert_int_equal(out, 1);
	assert_false(live_table_get(t, b, &out));
	reap(a);
	reap(b);
	live_table_free(t);
}

struct thread {
	pthread_t th;
	int gate[2];
	int ready[2];
	pid_t tid;
};

static void *thread_main(void *arg)
{
	struct thread *th = arg;
	pid_t tid = (pid_t)syscall(SYS_gettid);
	char c;

	if (write(th->ready[1], &tid, sizeof(tid)) != sizeof(tid))
		return NULL;
	(void)!read(th->gate[0], &c, 1);
	return NULL;
}

static void thread_start(struct thread *th)
{
	assert_int_equal(pipe2(th->gate, O_CLOEXEC), 0);
	assert_int_equal(pipe2(th->ready, O_CLOEXEC), 0);
	assert_int_equal(pthread_create(&th->th, NULL, thread_main, th), 0);
	assert_int_equal(read(th->ready[0], &th->tid, sizeof(th->tid)), sizeof(th->tid));
}

static void thread_end(struct thread *th)
{
	close(th->gate[1]);
	pthread_join(th->th, NULL);
	close(th->gate[0]);
	close(th->ready[0]);
	close(th->ready[1]);
}

/*
 * The viewers' table: a reader is a thread, and a thread ID can go to another thread of
 * another namespace while the table holds the first one.
 */
static void test_reused_thread_id_is_a_miss(void **state)
{
	struct live_table *t = live_table_new(16, sizeof(int), PIDFD_THREAD);
	struct thread first, next = {.tid = 0};
	int value = 7, out = 0, fd;

	(void)state;
	thread_start(&first);
	fd = live_table_pidfd(t, first.tid);
	if (fd < 0) {
		/* Before Linux 6.9 there are no thread pidfds, and the table keeps nothing. */
		thread_end(&first);
		live_table_free(t);
		skip();
	}
	live_table_put(t, first.tid, fd, &value, true);
	assert_true(live_table_get(t, first.tid, &out));
	thread_end(&first);
	for (int i = 0; i < TRIES; i++) {
		next_pid_is(first.tid);
		thread_start(&next);
		if (next.tid == first.tid)
			break;
		thread_end(&next);
	}
	assert_int_equal(next.tid, first.tid);
	assert_false(live_table_get(t, first.tid, &out));
	thread_end(&next);
	live_table_free(t);
}

static int run_all(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reused_process_pid_is_a_miss),
	    cmocka_unit_test(test_beyond_one_sweep),
	    cmocka_unit_test(test_exit_of_another_entry),
	    cmocka_unit_test(test_wide_keys),
	    cmocka_unit_test(test_reused_thread_id_is_a_miss),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

int main(void)
{
	pid_t pid;
	int status;

	int own = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);

	if (own < 0 || unshare(CLONE_NEWPID) < 0) {
		fprintf(stderr, "skipped: no PID namespace of its own: %s\n", strerror(errno));
		return 77;
	}
	pid = fork();
	/* Later children here (a sanitizer's, at exit) must not go to a namespace that died. */
	if (pid != 0 && setns(own, CLONE_NEWPID) < 0)
		perror("setns");
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		/* PID 1 here: its children die with it, and it with this process. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(run_all());
	}
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

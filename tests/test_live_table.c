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
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "live_table.h"

#define TRIES 1000

/* The next task made in this namespace gets pid, if pid is free. */
static void next_pid_is(pid_t pid)
{
	FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "we");

	assert_non_null(f);
	fprintf(f, "%d", pid - 1);
	assert_int_equal(fclose(f), 0);
}

/* A child that exits when its pipe closes; *gate is that pipe's write end. */
static pid_t child(int *gate)
{
	int p[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[1]);
		_exit(read(p[0], &c, 1) < 0);
	}
	close(p[0]);
	*gate = p[1];
	return pid;
}

/* A child whose PID is pid, or 0 if none could be made. */
static pid_t child_as(pid_t pid, int *gate)
{
	for (int i = 0; i < TRIES; i++) {
		pid_t got;

		next_pid_is(pid);
		got = child(gate);
		if (got == pid)
			return got;
		close(*gate);
		waitpid(got, NULL, 0);
	}
	return 0;
}

static void test_reused_process_pid_is_a_miss(void **state)
{
	struct live_table *t = live_table_new(16, sizeof(int), 0);
	int gate, value = 42, out = 0;
	pid_t pid = child(&gate), again;

	(void)state;
	live_table_put(t, pid, live_table_pidfd(t, pid), &value, true);
	assert_true(live_table_get(t, pid, &out));
	assert_int_equal(out, 42);
	close(gate);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	again = child_as(pid, &gate);
	assert_int_equal(again, pid);
	assert_false(live_table_get(t, pid, &out));
	close(gate);
	waitpid(again, NULL, 0);
	live_table_free(t);
}

static pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

struct thread {
	pthread_t th;
	int gate[2];
	pid_t tid;
	int ready[2];
};

static void *thread_main(void *arg)
{
	struct thread *th = arg;
	pid_t tid = gettid_();
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
	int value = 7, out = 0;

	(void)state;
	thread_start(&first);
	live_table_put(t, first.tid, live_table_pidfd(t, first.tid), &value, true);
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

/* Once any entry's task exited, each is asked about alone: the live one served, not the zombie. */
static void test_exit_of_another_entry(void **state)
{
	struct live_table *t = live_table_new(16, sizeof(int), 0);
	int gate_a, gate_b, a_value = 1, b_value = 2, out = 0;
	pid_t a = child(&gate_a), b = child(&gate_b);
	siginfo_t si;

	(void)state;
	live_table_put(t, a, live_table_pidfd(t, a), &a_value, true);
	live_table_put(t, b, live_table_pidfd(t, b), &b_value, true);
	close(gate_b);
	/* Exited, not reaped: its pidfd polls readable. */
	assert_int_equal(waitid(P_PID, (id_t)b, &si, WEXITED | WNOWAIT), 0);
	assert_true(live_table_get(t, a, &out));
	assert_int_equal(out, 1);
	assert_false(live_table_get(t, b, &out));
	close(gate_a);
	waitpid(a, NULL, 0);
	waitpid(b, NULL, 0);
	live_table_free(t);
}

static int run_all(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reused_process_pid_is_a_miss),
	    cmocka_unit_test(test_reused_thread_id_is_a_miss),
	    cmocka_unit_test(test_exit_of_another_entry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

int main(void)
{
	pid_t pid;
	int status;

	if (geteuid() != 0) {
		fprintf(stderr, "needs root (a PID namespace, ns_last_pid)\n");
		return 77;
	}
	pid = (pid_t)syscall(SYS_clone, (unsigned long)(SIGCHLD | CLONE_NEWPID), 0, 0, 0, 0);
	if (pid < 0) {
		perror("clone(CLONE_NEWPID)");
		return 1;
	}
	if (pid == 0)
		_exit(run_all());
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

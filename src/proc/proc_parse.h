/* Pure parsers for /proc/PID/stat and /proc/PID/status text: no I/O, so they can be fuzzed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "model.h"

#define PROC_COMM_MAX 64 /* TASK_COMM_LEN is 16; kernel threads' names may be longer */

struct proc_stat {
	char comm[PROC_COMM_MAX];
	char state; /* R, S, D, Z, X, ... */
	pid_t ppid;
	unsigned flags;	  /* PF_* task flags */
	unsigned threads; /* num_threads */
	uint64_t start;	  /* start time since boot, clock ticks */
};

struct proc_status {
	char name[PROC_COMM_MAX]; /* Name:, with the kernel's \\ and \n escapes undone */
	char state;		  /* first letter of State:, 0 if absent */
	unsigned threads;
	bool kthread; /* Kthread: 1, or on kernels without that line, no memory and not a zombie */
	pid_t tgid;
	pid_t ppid;
	unsigned nspid_count;
	pid_t nspid[NSPIDFS_MAX_LEVELS]; /* outermost (reader's namespace) first */
};

/* PF_KTHREAD from include/linux/sched.h: the task is a kernel thread. */
#define NSPIDFS_PF_KTHREAD 0x00200000u
/* PF_EXITING: the task is in do_exit(), as a killed namespace init is while it reaps. */
#define NSPIDFS_PF_EXITING 0x00000004u

int parse_proc_stat(const char *buf, size_t len, struct proc_stat *out);
int parse_proc_status(const char *buf, size_t len, struct proc_status *out);
/* A canonical positive decimal PID as /proc names it; -ENOENT for anything else. */
int parse_pid_name(const char *name, pid_t *out);

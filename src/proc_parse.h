/* Pure parsers for /proc/PID/stat and /proc/PID/status text: no I/O, so they can be fuzzed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "model.h"

struct proc_stat {
	char state; /* R, S, D, Z, X, ... */
	pid_t ppid;
	unsigned flags; /* PF_* task flags */
	uint64_t start; /* start time since boot, clock ticks */
};

struct proc_status {
	pid_t tgid;
	pid_t ppid;
	unsigned nspid_count;
	pid_t nspid[NSPIDFS_MAX_LEVELS]; /* outermost (reader's namespace) first */
};

/* PF_KTHREAD from include/linux/sched.h: the task is a kernel thread. */
#define NSPIDFS_PF_KTHREAD 0x00200000u

int parse_proc_stat(const char *buf, size_t len, struct proc_stat *out);
int parse_proc_status(const char *buf, size_t len, struct proc_status *out);
/* A canonical positive decimal PID as /proc names it; -ENOENT for anything else. */
int parse_pid_name(const char *name, pid_t *out);

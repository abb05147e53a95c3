/* The facts nspidfs serves about one process: its PID-namespace chain and PIDs at each level. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The kernel nests at most 32 PID namespaces below the initial one (MAX_PID_NS_LEVEL). */
#define NSPIDFS_MAX_LEVELS 33

struct pidns_level {
	uint64_t ns_ino; /* inode of the PID namespace at this level */
	pid_t pid;	 /* the process's PID in that namespace */
	pid_t init;	 /* host PID (daemon's namespace) of that namespace's PID 1 */
};

struct proc_model {
	pid_t host_pid;
	uint64_t start; /* start time in clock ticks: with host_pid, the process's identity */
	char comm[64];	/* its name as /proc/PID/stat gives it (any bytes but NUL), or empty */
	unsigned depth; /* levels, from the daemon's namespace (0) to the process's own */
	struct pidns_level lv[NSPIDFS_MAX_LEVELS];
};

/* The process's own (innermost) level. */
static inline const struct pidns_level *model_own(const struct proc_model *m)
{
	return &m->lv[m->depth - 1];
}

/*
 * Whether a process state letter (/proc/PID/stat, status) is an exited one: a zombie, or
 * dead ('X'; 'x' on kernels before 4.14). One rule, for every reader of a state.
 */
static inline bool model_state_exited(char state)
{
	return state == 'Z' || state == 'X' || state == 'x';
}

/* Compute the model of one process, tied to its identity (PID and identity bits). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "model.h"

/*
 * A process's identity bits: the low RESOLVE_ID_BITS of its identity, which is all the tree's
 * inode numbers have room for beside a PID (node.h).
 */
#define RESOLVE_ID_BITS 36
static inline uint64_t resolve_id_bits(uint64_t id)
{
	return id & ((UINT64_C(1) << RESOLVE_ID_BITS) - 1);
}

/*
 * The model of process pid, whose identity bits (the low RESOLVE_ID_BITS of the inode number
 * of a pidfd for it, unique for the boot (Linux 6.9, pidfs), or of its start time where pidfds
 * have no inodes) are want, what the caller looked it up with. pidfd: held since before the
 * call and checked to be that process's (-1: none), so that no /proc is read where the kernel
 * allows (Linux 6.11; 6.13 for processes of the daemon's own namespace). Errors: -ENOENT gone,
 * PID reused (a zombie is answered for until it is reaped); -EACCES namespace not readable;
 * -ETIMEDOUT/-EAGAIN from helpers; -EIO unexpected /proc content.
 */
int resolve_process_fd(int pidfd, pid_t pid, uint64_t want, struct proc_model *out);
/* Whether identities are unique for the boot (pidfs), not start times to a clock tick. */
bool resolve_ids_unique(void);
/* The identity bits of the task holding pid now (a zombie's too), for lookup. */
int resolve_identity(pid_t pid, uint64_t *id);
/* The same from a pidfd already open for pid (-1: none). */
int resolve_identity_of(int pidfd, pid_t pid, uint64_t *id);

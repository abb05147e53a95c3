/* Compute the model of one process, tied to its identity (PID and start time). */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "model.h"

/*
 * want_start holds the low NODE_START_BITS of the start time the caller looked the process up
 * with. Errors: -ENOENT gone, exited (zombie) or PID reused; -ENODATA kernel thread; -EACCES
 * namespace not readable; -ETIMEDOUT/-EAGAIN from helpers; -EIO unexpected /proc content.
 */
int resolve_process(pid_t pid, uint64_t want_start, struct proc_model *out);
/* The identity of a live, non-zombie task, for lookup: its start time. */
int resolve_identity(pid_t pid, uint64_t *start);

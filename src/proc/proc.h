/* Reading /proc: a process's identity, its status fields, the list of processes. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "proc_parse.h"

/* Return -ENOENT when the process is gone, whatever /proc answered (ENOENT, ESRCH). */
int proc_read_stat(pid_t pid, struct proc_stat *out);
int proc_read_status(pid_t pid, struct proc_status *out);
/*
 * A descriptor of /proc/PID: reads through it (dirfd >= 0) fail with -ENOENT once that
 * process is gone, even if its PID was reused since, so several reads describe one process.
 * With dirfd -1 they read /proc/PID by name.
 */
int proc_open_dir(pid_t pid);
int proc_read_stat_at(int dirfd, pid_t pid, struct proc_stat *out);
int proc_read_status_at(int dirfd, pid_t pid, struct proc_status *out);
/* The inode of the process's PID namespace (/proc/PID/ns/pid). */
int proc_ns_ino_at(int dirfd, pid_t pid, uint64_t *ino);
/* Thread-group leaders, ascending, as /proc lists them. */
int proc_list_pids(GArray *pids);
bool proc_is_zombie(const struct proc_stat *st);
/* For a zombie: whether it is a thread-group leader whose other threads still run. */
bool proc_has_live_threads(pid_t pid);
/*
 * Whether the task of pidfd exits within wait_ms (0: has exited): its pidfd polls readable.
 * An unpollable pidfd counts as exited, so that nothing is kept about it.
 */
bool proc_pidfd_exited(int pidfd, int wait_ms);
bool proc_is_kthread(const struct proc_stat *st);

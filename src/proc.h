/* Reading /proc: a process's identity, its status fields, the list of processes. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "proc_parse.h"

/* Return -ENOENT when the process is gone, whatever /proc answered (ENOENT, ESRCH). */
int proc_read_stat(pid_t pid, struct proc_stat *out);
int proc_read_status(pid_t pid, struct proc_status *out);
/* Thread-group leaders, ascending, as /proc lists them. */
int proc_list_pids(GArray *pids);
bool proc_is_zombie(const struct proc_stat *st);
bool proc_is_kthread(const struct proc_stat *st);

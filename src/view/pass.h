/*
 * Building the namespace model from /proc: whole (every process read), or as an update of the
 * last model (only the processes named again read, every other one carried over).
 */
#pragma once

#include <glib.h>
#include <sys/types.h>

#include "nsmodel.h"

/* Read every process /proc lists. */
int pass_full(struct ns_model **out);
/*
 * old (the newest model), with each process of changed (host PIDs, no repeats) read again:
 * dropped if gone, replaced if its PID names another process now, added if new. Every other
 * process of old is shared as it was, so the caller must know that nothing else changed.
 */
int pass_update(struct ns_model *old, const GArray *changed, struct ns_model **out);
/* The last PID allocated in the daemon's namespace: any new process anywhere below moves it. */
pid_t pass_last_pid(void);

/*
 * The kernel's process events (the proc connector): which processes were created, exec'd,
 * renamed or exited, so that a model of every process is brought up to date by reading only
 * those. Events are queued on a socket by the task that causes them, before its fork(), exit()
 * or prctl() returns, so a drain sees everything a reader could already have seen happen.
 */
#pragma once

#include <glib.h>

struct proc_events;

/*
 * Subscribe, with buffer_kib of kernel buffer for the events between two drains. -EPERM when
 * the kernel does not answer the subscription: it reports events only to a listener in the
 * initial PID and user namespaces, and the connector exists only in the initial network one.
 */
int proc_events_open(unsigned buffer_kib, struct proc_events **out);
void proc_events_close(struct proc_events *e);
/*
 * Tell the kernel this listener is done, before the process exits: it counts listeners, and
 * makes events while it counts any, but forgets no listener that closes without saying so.
 */
void proc_events_ignore(struct proc_events *e);
/* The socket, to poll for events. */
int proc_events_fd(const struct proc_events *e);
/*
 * Append to tgids the thread-group ID of every process an event named since the last drain
 * (unsorted, with repeats). 1 if the buffer overflowed since then, so that some events were
 * lost and nothing less than a full /proc pass is current; 0 otherwise.
 */
int proc_events_drain(struct proc_events *e, GArray *tgids);

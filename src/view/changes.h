/*
 * What changed since the last model, as the kernel's process events tell it: the processes
 * to read again. A thread of its own gathers them while readers come, so that the kernel's
 * buffer need not hold every event between two reads far apart (a scraper's).
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

/* Subscribe with buffer_kib of kernel buffer; -errno if the kernel gives no events. */
int changes_open(unsigned buffer_kib);
bool changes_enabled(void);
/* Whether anything changed (or events were lost) since the last changes_take(). */
bool changes_pending(void);
/*
 * Add the host PIDs named since the last take to pids, which then runs ascending without
 * repeats, and start over; true if events were lost meanwhile: only a full pass is current.
 */
bool changes_take(GArray *pids);
/* The process is about to exit: unsubscribe (the socket stays, for the drain thread). */
void changes_stop(void);

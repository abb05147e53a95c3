/*
 * Who runs a request. One thread reads every request from the kernel and answers at once what
 * the caches answer (fs_fast.h); everything that may read /proc, wait or fork goes to a pool of
 * worker threads running the blocking handlers (fs_ops.h). Handing each request to a worker,
 * as libfuse's multithreaded loop does, costs the wake-up of a cold thread per request: a
 * cached read (three round trips) took 51 us that way and 31 us on one thread, here. The
 * workers are all started at mount and kept.
 */
#pragma once

#include <fuse_lowlevel.h>

#define DISPATCH_DEFAULT_SPIN_US 20

/* The session's operations. */
const struct fuse_lowlevel_ops *dispatch_ops(void);
/*
 * Before the loop, after any fork (threads do not survive one): workers 0 runs every request
 * on the reading thread.
 */
void dispatch_start(unsigned workers);
/* After the loop, before the session goes: waits for the requests the workers hold. */
void dispatch_stop(void);
/*
 * Before the daemon says it is ready: what the loop sleeps on, made now so that the loop
 * needs no descriptor of its own once serving (readers may see it run out of them).
 */
int dispatch_open(struct fuse_session *se);
void dispatch_close(void);
/*
 * The reading thread's loop (after dispatch_open()), until the session ends: 0 for an unmount or a
 * stop signal. After each request it keeps reading for up to spin_us microseconds before it sleeps:
 * the next request of a reader (a cat's OPEN after its LOOKUP) comes within a few microseconds, and
 * a sleeping thread's wake-up costs about a third of a round trip here. No spinning with one CPU,
 * where it would only delay the reader it waits for.
 */
int dispatch_loop(struct fuse_session *se, unsigned spin_us);

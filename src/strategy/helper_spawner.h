/*
 * How creds helpers are started: cloned by a process of the daemon's own, the spawner, so
 * that starting one copies nothing of the daemon and stalls none of its threads.
 */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <sys/types.h>

/* The comm the spawner shows (its helpers take their own). */
#define HELPER_SPAWNER_NAME "nspidfs-spawner"
/* The most bytes of a request a helper is started with. */
#define HELPER_SPAWN_MAX_REQ 32

/*
 * A helper's body, run in the new process with the request and the two descriptors the
 * daemon passed; it never returns. Async-signal-safe calls only: the process is a copy of a
 * multithreaded one.
 */
typedef void (*helper_body)(const void *req, int nsfd, int sock);

/*
 * Start a helper running body (one body for the daemon's life: the first call's), a child of
 * the daemon. Its PID, or a negative errno: -EAGAIN or -ENOMEM where no process could be made
 * (a pids limit), -ETIMEDOUT if the spawner did not answer by deadline
 * (g_get_monotonic_time() units), -EIO if it died with the request.
 */
pid_t helper_spawn(helper_body body, const void *req, size_t len, int nsfd, int sock,
		   gint64 deadline);
/* End the spawner, if one runs, and reap it: at the daemon's exit, once no helper starts. */
void helper_spawner_stop(void);

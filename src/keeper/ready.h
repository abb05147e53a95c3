/*
 * Who waits for the mount to serve, and how each is told: systemd (READY=1 on its notify
 * socket), --ready-fd, and, in the background (no -f), the command that started the daemon.
 */
#pragma once

#include <stdbool.h>

struct ready {
	int user_fd;	/* --ready-fd, until the first server serves, or -1 */
	int started_wr; /* daemonized: to the command's first process, until then, or -1 */
};

/*
 * Into the background, as fuse_daemonize() does, except that the command returns only once
 * the first server serves (ready_tell), or with the keeper's exit status if none does: a start
 * that fails after the mount (a server that cannot serve) must not look like a success. Until
 * then stderr stays the command's, where the reason is told. False (said on stderr) if it
 * cannot.
 */
bool ready_daemonize(struct ready *r);
/* The first server serves: tell everyone waiting. */
void ready_tell(struct ready *r);
void ready_clear(struct ready *r);

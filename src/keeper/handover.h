/*
 * How a server is handed the FUSE connection it adopts: systemd's sd_listen_fds convention
 * (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES; descriptors from 3 on), so that the keeper and,
 * later, systemd's fd store start a server the same way. Names:
 *   fuse   the /dev/fuse descriptor of the mounted connection
 *   init   a sealed memfd holding the FUSE_INIT request the kernel sent at mount
 *   ready  optional: a pipe the server writes READY=1 to once it serves
 * NSPIDFS_GENERATION numbers the servers of one connection (see adopt.h: file handles).
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#define HANDOVER_FDS_START 3

/* A server's exit status when the connection ended under it (an unmount or an abort). */
#define NSPIDFS_EXIT_CONNECTION_ENDED 3

enum handover_fd { HANDOVER_FUSE, HANDOVER_INIT, HANDOVER_READY, HANDOVER_COUNT };

struct handover {
	int fd[HANDOVER_COUNT]; /* -1 if not given */
	int state;		/* systemd's store only: "state", the keeper's memfd (keeper.c) */
	unsigned generation;	/* 0 if not given */
};

/*
 * In a server: the descriptors the environment names, made close-on-exec, and the variables
 * removed (helpers must not see them). 1 if handed a connection, 0 if started plainly,
 * -EINVAL (logged) if the variables are there but wrong.
 */
int handover_receive(struct handover *h);

/*
 * In the keeper, before fork(): the environment of a server of this generation, as
 * handover_receive() reads it with the descriptors dup2()ed to 3, 4, 5. LISTEN_PID is left
 * blank in *pid_slot for handover_set_pid() after the fork. Free with g_strfreev().
 */
char **handover_env(unsigned generation, char **pid_slot);
/* Async-signal-safe: write pid into the slot handover_env() left. */
void handover_set_pid(char *pid_slot, pid_t pid);

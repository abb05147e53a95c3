/*
 * The daemon's two roles. Started plainly, it is the keeper (keeper.h): it mounts and runs
 * servers. Handed a connection (handover.h), it is a server: it adopts the connection
 * (adopt.h) and serves it until a stop signal or the connection's end.
 */
#pragma once

#include <fuse_lowlevel.h>
#include <stdbool.h>

#include "options.h"

/* A server's exit status when the connection ended under it (an unmount or an abort). */
#define NSPIDFS_EXIT_CONNECTION_ENDED 3

/* Returns the process exit status. argv: the command line, for the keeper's servers. */
int daemon_run(const struct nspidfs_options *o, char **argv);
/* The keeper's checks before mounting, or adopting (each failure explained on stderr). */
bool daemon_check_start(const struct nspidfs_options *o, bool mounting);
/* libfuse's arguments for these options: the user's -o, then the ones always imposed. */
void daemon_fuse_args(const struct nspidfs_options *o, struct fuse_args *args);

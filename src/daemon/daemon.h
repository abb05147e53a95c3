/*
 * The daemon's two roles. Started plainly, it is the keeper (keeper.h): it mounts and runs
 * servers. Handed a connection (handover.h), it is a server: it adopts the connection
 * (adopt.h) and serves it until a stop signal or the connection's end.
 */
#pragma once

#include "options.h"

/* Returns the process exit status. argv: the command line, for the keeper's servers. */
int daemon_run(const struct nspidfs_options *o, char **argv);

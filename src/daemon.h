/* The FUSE session's life: mount, daemonize, serve, unmount. */
#pragma once

#include "options.h"

/* Returns the process exit status. */
int daemon_run(const struct nspidfs_options *o);

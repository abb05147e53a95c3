/*
 * Which container a namespace's init is in, read from what the kernel and the runtimes leave
 * on the host: its cgroup (the primary source), the command line of the runtime's process
 * above it, and the runtime's files on disk; the parsing is container_parse.h's. No call to
 * any runtime's API.
 */
#pragma once

#include <sys/types.h>

#include "container_parse.h"

/* 0 with *out filled; -ENOENT for no container (a host process); -errno if init is gone. */
int container_of(pid_t init, struct container_info *out);

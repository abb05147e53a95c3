/* A minimal FUSE filesystem to measure what FUSE itself costs. */
#pragma once

#include <sys/types.h>

/* Mount at mnt in a child process; its PID once mounted, or -1. */
pid_t floorfs_start(const char *mnt);
void floorfs_stop(pid_t pid);

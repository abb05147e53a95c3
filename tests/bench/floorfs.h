/* A minimal FUSE filesystem to measure what FUSE itself costs. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/*
 * Mount at mnt in a child process; its PID once mounted, or -1. single_thread: libfuse's
 * single-threaded loop instead of its default multithreaded one.
 */
pid_t floorfs_start(const char *mnt, bool single_thread);
void floorfs_stop(pid_t pid);

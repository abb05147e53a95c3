/*
 * Content of a changing file (tree, metrics, ns/ files, json) built for one reading thread's
 * GETATTR or OPEN, so that the size it is told and the bytes it then reads agree. Each build
 * can differ (a process appeared, a counter grew), and readers trust the size: GLib's
 * g_file_get_contents() opens, fstat()s and reads that many bytes; others stat() and then
 * open. Keyed by inode and thread, since one thread's requests come one at a time, and tied
 * to the reader's view (its namespace), since a thread ID can be another reader's by now.
 */
#pragma once

#include <fuse_lowlevel.h>
#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "visibility.h"

/*
 * The content a GETATTR of this reader (v->pid, the thread) built and no OPEN has used yet, and
 * when it was built, or NULL: take it.
 */
GString *stash_take(fuse_ino_t ino, const struct viewer *v, struct timespec *built);
/* A GETATTR built content at built: keep it for this thread's next OPEN (a second at most). */
void stash_sized(fuse_ino_t ino, const struct viewer *v, GString *content, struct timespec built);
/* This thread opened the inode as handle fh, of len bytes built at built. */
void stash_opened(fuse_ino_t ino, const struct viewer *v, uint64_t fh, size_t len,
		  struct timespec built);
/*
 * The size and build time (a changing file's mtime) to tell this thread: its open file's, else
 * what its last GETATTR built.
 */
bool stash_size(fuse_ino_t ino, const struct viewer *v, size_t *len, struct timespec *built);
/* Handle fh was released (RELEASE comes without a thread). */
void stash_released(uint64_t fh);
void stash_clear(void);

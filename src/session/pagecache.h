/*
 * A fixed file's content handed to the kernel's page cache at its first open, so that the
 * reader's first read() finds it there instead of sending a READ: one round trip fewer for
 * the first read of a process (FUSE_NOTIFY_STORE).
 *
 * The kernel locks a page while a READ of it waits for an answer, and a store locks it too:
 * a store from the thread that answers READs, of a page whose READ is pending, would wait for
 * itself. So a file is stored only at an open that no other open of it precedes since its name
 * was looked up (no one can be reading it), and before that open is answered (no one can start
 * to). Every open and release of every file is counted here for that. Only for the thread that
 * reads requests: every OPEN, RELEASE and LOOKUP passes through it, in the kernel's order.
 * An open that never gets its RELEASE (it failed on a worker) keeps its count: past a bound,
 * counting and storing stop for good.
 */
#pragma once

#include <fuse_lowlevel.h>
#include <glib.h>
#include <stdbool.h>

/* The session stores go to; NULL: none. */
void pagecache_configure(struct fuse_session *se);
/* The kernel made an entry for this fixed file: its pages are none yet. */
void pagecache_looked_up(fuse_ino_t ino);
/* An OPEN of ino came: whether its content is to be stored before it is answered. */
bool pagecache_opening(fuse_ino_t ino);
/* A RELEASE of ino came: that open file is closed, and nothing reads through it any more. */
void pagecache_released(fuse_ino_t ino);
/* Give the kernel text as ino's content from offset 0 (if it fails, READ serves it). */
void pagecache_store(fuse_ino_t ino, const GString *text);
/* Forget every count (at unmount). */
void pagecache_clear(void);

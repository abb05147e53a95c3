/*
 * Open-file handles: the content computed at open, shared by READs and dropped by RELEASE.
 * A reader killed mid-read makes the kernel send RELEASE without waiting for its READ, and
 * two worker threads may then run them in either order: READ must find the content alive or
 * find nothing, never freed memory. So fuse_file_info.fh holds an id, not a pointer.
 *
 * Every open still computes its content, as fresh as the file promises; but the opens of one
 * file by one view (node.h) whose content came out the same, byte for byte, keep one copy
 * between them. Otherwise a container holding thousands of descriptors of an unchanged file
 * would cost the daemon a copy each: 2,000 of a 108 KB metrics file took 211 MiB.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

/* What an open file reads: never changed while any handle or READ holds it. */
struct content {
	const char *data;
	size_t len;
};

/*
 * A new handle of file ino opened by a reader of view, reading text (which stays the
 * caller's): -EMFILE past the view's quota.
 */
int handle_new(const GString *text, uint64_t view, uint64_t ino, uint64_t *id);
/* A reference to the handle's content, or NULL once it was released; drop with handle_put. */
const struct content *handle_get(uint64_t id);
void handle_put(const struct content *c);
void handle_release(uint64_t id);
/* At unmount: the handles whose RELEASE never came. */
void handle_release_all(void);
/* Open files now, and the bytes of content they hold, each copy once (the metrics). */
void handle_counts(uint64_t *files, uint64_t *bytes);

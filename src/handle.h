/*
 * Open-file handles: the content computed at open, shared by READs and dropped by RELEASE.
 * A reader killed mid-read makes the kernel send RELEASE without waiting for its READ, and
 * two worker threads may then run them in either order: READ must find the content alive or
 * find nothing, never freed memory. So fuse_file_info.fh holds an id, not a pointer.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

struct handle {
	uint64_t view; /* whose open it is, for quota.h */
	size_t len;
	char data[];
};

/* A new handle holding a copy of content, opened by a reader of view: -EMFILE past its quota. */
int handle_new(const GString *content, uint64_t view, uint64_t *id);
/* A reference to the handle's content, or NULL once it was released; drop with handle_put. */
struct handle *handle_get(uint64_t id);
void handle_put(struct handle *h);
void handle_release(uint64_t id);
/* At unmount: the handles whose RELEASE never came. */
void handle_release_all(void);
/* Open files now, and the bytes of content they hold (the metrics). */
void handle_counts(uint64_t *files, uint64_t *bytes);

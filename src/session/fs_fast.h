/*
 * Answers from the caches alone, for the thread that reads requests: nothing here reads /proc,
 * waits, or forks. Each returns true if it replied; false leaves the request untouched for
 * the blocking handlers (fs_ops.h), which answer every case, this one's included.
 */
#pragma once

#include <fuse_lowlevel.h>
#include <stdbool.h>

bool fs_fast_lookup(fuse_req_t req, fuse_ino_t parent, const char *name);
bool fs_fast_getattr(fuse_req_t req, fuse_ino_t ino);
/* store: give the kernel the content before the answer (pagecache_opening()). */
bool fs_fast_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, bool store);

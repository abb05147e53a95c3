/*
 * How nodes are described to the kernel: their attributes, how long the kernel may cache
 * them, and the replies that carry them. Shared by the blocking handlers and the fast paths.
 */
#pragma once

#include <stdbool.h>
#include <sys/stat.h>

#include "model.h"
#include "node.h"

#define TTL_FOREVER (24.0 * 3600.0)
#define TTL_NONE    0.0

/*
 * At INIT: the time every node reports; whether processes are cached (pidcache.h), and told
 * apart for the whole boot (resolve.h), which decide what the kernel may keep.
 */
void reply_init(bool processes_cached, bool ids_unique);
/* Content that changes (or depends on the reader): attributes never cached, size computed. */
bool node_attrs_change(const struct node *n);
double node_attr_ttl(const struct node *n);
/* Content the same for every reader and fixed for the process's life: the page cache's. */
bool node_content_is_fixed(const struct node *n);
void node_fill_attr(const struct node *n, fuse_ino_t ino, struct stat *st);
/*
 * How long the kernel may keep the name "<pid>" in the root, once the LOOKUP has identified
 * the process: 0 (every path walk asks the daemon, which checks the reader) unless every
 * reader may see everything and processes are cached. Not longer than PID_DIR_TTL: a process
 * that exits leaves its name for that long.
 */
#define PID_DIR_TTL 1.0
double pid_dir_ttl(void);
void reply_node(fuse_req_t req, const struct node *n, double entry_ttl);
/*
 * A fixed file's exact size, from its process's model: the kernel reads up to it from the page
 * cache. (A size trimmed by a short first read could be set back by a GETATTR racing that read,
 * leaving the page padded with zeros for every reader.)
 */
off_t fixed_file_size(const struct node *n, const struct proc_model *m);
/* size < 0: the content is not known now (an error): size 0, not kept by the kernel. */
void reply_file(fuse_req_t req, const struct node *n, off_t size);
void reply_node_or_err(fuse_req_t req, int r, const struct node *n, double entry_ttl);
/*
 * Reply to an OPEN whose content is in handle fi->fh: kept in the page cache if fixed (the same
 * for every reader, for the process's life), else read with direct I/O. False if the open was
 * interrupted: no RELEASE will come, and the handle is released here.
 */
bool reply_open_handle(fuse_req_t req, struct fuse_file_info *fi, bool fixed);
/* The part of data a READ of size bytes at off asks for. */
void reply_slice(fuse_req_t req, const char *data, size_t len, size_t size, off_t off);

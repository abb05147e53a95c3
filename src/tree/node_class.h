/*
 * What a node of the tree is, as the FUSE handlers need it: each directory's file holds a
 * table of the nodes in it (dir_root.c, dir_pid.c, dir_ns.c, dir_metrics.c), and the handlers
 * (fs_ops.c, dir_handle.c) only ask a node's class, never which node it is.
 *
 * To add a file to <pid>/: a formatter of its text from the process's model (format/format.h),
 * and a row at the end of pid_files[] in dir_pid.c. Likewise for ns/<inode>/ with ns_files[]
 * in dir_ns.c. A row's place is part of its inode numbers: rows are only ever appended.
 */
#pragma once

#include <fuse_lowlevel.h>
#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "model.h"
#include "node.h"
#include "visibility.h"

struct dir_handle;
struct dir_entry;

/* What a node is, and so how long the kernel may keep its content and attributes. */
enum node_cache {
	NC_DIR,
	NC_LINK, /* a symlink: its target is built at each READLINK */
	/*
	 * The same for every reader allowed to read it, and fixed for its process's life: kept
	 * in the page cache across opens, exact size from the model.
	 */
	NC_FIXED,
	/* Changes, or depends on the reader: built at OPEN, read with direct I/O. */
	NC_CHANGING,
};

struct node_class {
	const char *name; /* in its directory; NULL for a numbered name */
	enum node_cache cache;
	/* tree and metrics/nspidfs.prom: an inode for each reader's view (node.h: view). */
	bool per_view;
	/* Directories: a name in it, what an open of it holds, and its i-th entry. */
	void (*lookup)(fuse_req_t req, const struct node *dir, const char *name);
	int (*open_dir)(struct dir_handle *h);
	int (*entry)(struct dir_handle *h, size_t i, struct dir_entry *e);
	/* Files: the text reader v reads; links: their target, as v follows it. */
	int (*content)(const struct viewer *v, const struct node *n, GString **out);
};

/* The class of node n, or NULL if n names no node (a file index past its table's end). */
const struct node_class *node_class_of(const struct node *n);
/* node_from_ino(), and the node's class: -ENOENT if either fails. */
int node_decode(fuse_ino_t ino, struct node *n, const struct node_class **c);
mode_t node_type(const struct node *n);

/* The files of <pid>/ and ns/<inode>/ by their index (NULL past the end), and by name. */
size_t pid_file_count(void);
const struct node_class *pid_file_class(unsigned file);
int pid_file_find(const char *name);
/* The text of file n of <pid>/, from its process's model. */
GString *pid_file_text(const struct node *n, const struct proc_model *m);
size_t ns_file_count(void);
const struct node_class *ns_file_class(unsigned file);
int ns_file_find(const char *name);

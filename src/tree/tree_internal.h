/*
 * What the files of the tree share: one file per directory of the mounted tree (dir_*.c), each
 * answering LOOKUP, listing and content for its own entries; fs_ops.c dispatches to them by the
 * kind of the node asked about, dir_handle.c keeps open directories, and reader.c answers what
 * they all ask about the reader.
 */
#pragma once

#include <fuse_lowlevel.h>
#include <glib.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "node.h"
#include "node_class.h"
#include "nsmodel.h"
#include "nsview.h"
#include "visibility.h"

struct dir_entry {
	const char *name;
	fuse_ino_t ino;
	mode_t type;
};

/*
 * What a directory listing walks, fixed at opendir so offsets keep their meaning: only what
 * the reader may see, so offsets count nothing hidden, and only what it lists, so an open
 * directory holds no whole model.
 */
struct dir_handle {
	struct node dir;
	const struct node_class *class;
	struct viewer viewer;
	GArray *pids;	 /* root: host PIDs; ns/<inode>/pid/: PIDs in that namespace */
	GArray *ns_list; /* ns/: struct ns_entry (dir_ns.c) */
	unsigned level;	 /* ns/<inode>/ */
	bool counted;	 /* in its reader's quota */
	char name[24];	 /* storage for a numeric entry name */
};

/* An entry of a listing: its name, and the node it names. */
static inline void entry_set(struct dir_entry *e, const char *name, const struct node *n)
{
	e->name = name;
	e->ino = node_ino(n);
	e->type = node_type(n);
}

/* A number as an entry's name, in the handle's buffer. */
static inline const char *numbered(struct dir_handle *h, uint64_t v)
{
	snprintf(h->name, sizeof(h->name), "%" PRIu64, v);
	return h->name;
}

/* The namespace a node of ns/<inode>/ names (its directory, a file, pid/ or a link in it). */
static inline int ns_target_of(const struct node *n, struct ns_target *t)
{
	struct ns_name name = {
	    .init = n->pid,
	    .id = n->start,
	    .id_bits = n->kind == NODE_NS_PID_LINK ? NODE_LINK_START_BITS : NODE_START_BITS,
	};

	return nsview_target(&name, t);
}

/* reader.c */
int check_visible(fuse_req_t req, pid_t pid);
/* Reply to a LOOKUP of n, a file with an inode for each view, with the reader's. */
void reply_view_file(fuse_req_t req, struct node *n);
/* A view's inode is its reader's alone; another reader (given the descriptor) must walk again. */
int check_view(fuse_req_t req, const struct node *n);
int viewer_model(const struct viewer *v, struct ns_model **out, const struct ns_info **top);
/*
 * tree and metrics/nspidfs.prom: the text build makes of what v may see (from top down in m,
 * asked at began, before the /proc pass), or an empty text if it sees nothing of the model.
 */
typedef GString *(*view_builder)(const struct viewer *v, const struct ns_model *m,
				 const struct ns_info *top, gint64 began);
int view_file_content(const struct viewer *v, view_builder build, GString **out);

/* dir_handle.c */
void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi);
void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
/* At unmount: the directories whose RELEASEDIR never came. */
void dir_handles_clear(void);

/* The classes of the nodes (node_class.h), each in the file of its directory. */
extern const struct node_class root_class, self_class, tree_class; /* dir_root.c */
extern const struct node_class pid_dir_class;			   /* dir_pid.c */
extern const struct node_class ns_root_class, ns_dir_class, ns_pid_dir_class,
    reverse_link_class;						      /* dir_ns.c */
extern const struct node_class metrics_dir_class, metrics_file_class; /* dir_metrics.c */

/* dir_pid.c */
int check_pid_node(const struct node *n);
void lookup_pid(fuse_req_t req, struct node *n);
int fixed_size_now(const struct node *n, off_t *size);

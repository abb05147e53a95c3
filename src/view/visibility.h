/*
 * Who may see what. A reader inside a container is untrusted: like /proc, it sees the
 * processes and namespaces of its own PID namespace and of those below it, and nothing else.
 * A reader in the daemon's namespace sees all; a reader the kernel cannot name to us (FUSE
 * gives PID 0) sees nothing.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "live_table.h"
#include "nsmodel.h"

enum visibility_mode {
	VISIBILITY_CALLER, /* the rule above */
	VISIBILITY_ALL,	   /* every reader sees everything (trusted readers only) */
};

enum viewer_scope {
	VIEWER_ALL,
	VIEWER_NS,   /* its namespace and those below */
	VIEWER_NONE, /* not identifiable: nothing */
};

struct viewer {
	enum viewer_scope scope;
	pid_t pid;	 /* the reading thread, in the daemon's namespace */
	uint64_t ns_ino; /* VIEWER_NS: its PID namespace */
	unsigned level;	 /* VIEWER_NS: that namespace's depth below the daemon's */
};

const char *visibility_name(enum visibility_mode mode);
int visibility_from_name(const char *name, enum visibility_mode *out);
void visibility_configure(enum visibility_mode mode);

/* Every reader sees everything: nothing the kernel caches can leak between readers. */
bool visibility_all(void);
/* The viewer of a request from thread caller (fuse_req_ctx()->pid). */
void viewer_of(pid_t caller, struct viewer *v);
/* viewer_of from what is cached alone; false if that would need reading /proc. */
bool viewer_cached(pid_t caller, struct viewer *v);
/* viewer_check_process for a process whose model is known: reads nothing. */
int viewer_check_model(const struct viewer *v, const struct proc_model *m);
/* The cache of readers, for the metrics. */
void visibility_counts(struct live_table_counts *out);
/* Forget the callers known so far (at unmount). */
void visibility_clear(void);
/* 0 if v may see process pid; -ENOENT if not (as if it did not exist), -EACCES for NONE. */
int viewer_check_process(const struct viewer *v, pid_t pid);
/*
 * Which view of tree and metrics v reads: VIEW_ALL, VIEW_NONE or its namespace's inode. Each
 * view has inodes of its own (node.h).
 */
#define VIEW_ALL  0
#define VIEW_NONE 1 /* namespace inode numbers are far above it */
uint64_t viewer_view(const struct viewer *v);
/* The namespace v's listings start from, in m; NULL when v sees nothing of m. */
const struct ns_info *viewer_top(const struct viewer *v, const struct ns_model *m);

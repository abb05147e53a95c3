/*
 * Inode numbers of the tree. An inode number carries all the daemon needs to serve it: the
 * node's kind and, for nodes about a process or a namespace, a PID and the low bits of that
 * process's identity (resolve.h; for a namespace, its init's start time). A namespace is named
 * by its init, which lives exactly as long as the namespace has processes. A reused PID therefore
 * gets new inode numbers, and a request about an old one is detected without any table, so the
 * daemon keeps no per-inode state.
 */
#pragma once

#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "resolve.h"
#include "visibility.h"

enum node_kind {
	NODE_ROOT,
	NODE_SELF,
	NODE_NS_ROOT, /* ns/ */
	NODE_TREE,
	/* metrics/ and its one file, metrics/nspidfs.prom */
	NODE_METRICS_DIR,
	NODE_METRICS_FILE,
	NODE_PID_DIR,	 /* <pid>/: pid, start */
	NODE_PID_FILE,	 /* <pid>/<file>: pid, start, file */
	NODE_NS_DIR,	 /* ns/<inode>/: pid and start of the namespace's init */
	NODE_NS_FILE,	 /* ns/<inode>/<file>: as NODE_NS_DIR, file */
	NODE_NS_PID_DIR, /* ns/<inode>/pid/ */
	NODE_NS_PID_LINK /* ns/<inode>/pid/<nspid>: as NODE_NS_DIR (start truncated), nspid */
};

/*
 * How many files <pid>/ and ns/<inode>/ may have: their index in their directory's table
 * (dir_pid.c, dir_ns.c) is part of their inode numbers.
 */
#define PID_FILES_MAX 23
#define NS_FILES_MAX  22

struct node {
	enum node_kind kind;
	unsigned file; /* its row in its directory's table of files */
	pid_t pid;     /* the process, or the namespace's init */
	/*
	 * A process's identity bits (resolve.h: pidfs inode, else start time); for a namespace's
	 * nodes, the low NODE_START_BITS of its init's start time.
	 */
	uint64_t start;
	pid_t nspid; /* NODE_NS_PID_LINK */
	/*
	 * NODE_TREE, NODE_METRICS_FILE: whose view the file shows (VIEW_ALL, VIEW_NONE, or the
	 * reader's PID namespace inode). Each view is an inode of its own, because the page
	 * cache and i_size belong to an inode, and sendfile(), splice() and mmap() read through
	 * them even from files opened for direct I/O.
	 */
	uint64_t view;
};

#define NODE_START_BITS	     RESOLVE_ID_BITS
#define NODE_LINK_START_BITS 14 /* what is left beside two PIDs */
#define NODE_PID_BITS	     22 /* PID_MAX_LIMIT is 2^22 */

fuse_ino_t node_ino(const struct node *n);
int node_from_ino(fuse_ino_t ino, struct node *out);
uint64_t node_start_bits(uint64_t start);
/* Whether a's start bits match start (full or truncated), for the node's kind. */
bool node_start_matches(const struct node *n, uint64_t start);

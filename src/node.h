/*
 * Inode numbers of the tree. An inode number carries all the daemon needs to serve it: the
 * node's kind, and for per-process nodes the PID and the low bits of the process's start
 * time. A reused PID therefore gets new inode numbers, and a request about an old one is
 * detected without any table, so the daemon keeps no per-inode state.
 */
#pragma once

#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum node_kind {
	NODE_ROOT,
	NODE_SELF,
	NODE_PID_DIR,
	NODE_PID_FILE, /* one of enum pid_file */
};

enum pid_file {
	PF_INIT,
	PF_NSPID,
	PF_ANCESTORS,
	PF_NS,
	PF_LEVEL,
	PF_COUNT,
};

struct node {
	enum node_kind kind;
	enum pid_file file; /* NODE_PID_FILE only */
	pid_t pid;	    /* per-process nodes */
	uint64_t start;	    /* low NODE_START_BITS of the start time */
};

#define NODE_START_BITS 36
#define NODE_PID_BITS	22 /* PID_MAX_LIMIT is 2^22 */

fuse_ino_t node_ino(const struct node *n);
int node_from_ino(fuse_ino_t ino, struct node *out);
uint64_t node_start_bits(uint64_t start);
const char *pid_file_name(enum pid_file f);
int pid_file_from_name(const char *name, enum pid_file *out);

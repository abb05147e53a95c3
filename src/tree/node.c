#include "node.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

/*
 * Layout: kind in the top 6 bits; below it a PID and NODE_START_BITS of start time, or for a
 * reverse-lookup link two PIDs and NODE_LINK_START_BITS. Kind 0 holds the fixed nodes.
 */
#define KIND_SHIFT (NODE_PID_BITS + NODE_START_BITS)
#define PID_MASK   ((UINT64_C(1) << NODE_PID_BITS) - 1)

/*
 * The first seven files of <pid>/ and six of ns/<inode>/ were numbered before the rest: files
 * added since take kinds after every earlier one, so that a server reloaded to a newer binary
 * decodes the inode numbers the kernel still holds as the old server made them.
 */
#define PID_FILES_FIRST 7
#define NS_FILES_FIRST	6

enum ino_kind {
	IK_FIXED,
	IK_PID_DIR,
	IK_PID_FILE0,
	IK_NS_DIR = IK_PID_FILE0 + PID_FILES_FIRST,
	IK_NS_PID_DIR,
	IK_NS_PID_LINK,
	IK_NS_FILE0,
	IK_VIEW_TREE = IK_NS_FILE0 + NS_FILES_FIRST, /* tree for one view other than VIEW_ALL */
	IK_VIEW_METRICS,			     /* metrics/nspidfs.prom, likewise */
	IK_PID_FILE_MORE,
	IK_NS_FILE_MORE = IK_PID_FILE_MORE + PID_FILES_MAX - PID_FILES_FIRST,
	IK_END = IK_NS_FILE_MORE + NS_FILES_MAX - NS_FILES_FIRST,
};

G_STATIC_ASSERT(IK_END <= 64); /* the kind's 6 bits */

#define VIEW_MASK UINT64_C(0xffffffff)

enum fixed_ino {
	INO_ROOT = FUSE_ROOT_ID,
	INO_SELF,
	INO_NS_ROOT,
	INO_TREE,
	INO_METRICS_DIR,
	INO_METRICS_FILE,
};

uint64_t node_start_bits(uint64_t start)
{
	return start & ((UINT64_C(1) << NODE_START_BITS) - 1);
}

static uint64_t link_start_bits(uint64_t start)
{
	return start & ((UINT64_C(1) << NODE_LINK_START_BITS) - 1);
}

bool node_start_matches(const struct node *n, uint64_t start)
{
	if (n->kind == NODE_NS_PID_LINK)
		return link_start_bits(start) == n->start;
	return node_start_bits(start) == n->start;
}

static fuse_ino_t fixed_ino(enum node_kind kind)
{
	switch (kind) {
	case NODE_SELF:
		return INO_SELF;
	case NODE_NS_ROOT:
		return INO_NS_ROOT;
	case NODE_TREE:
		return INO_TREE;
	case NODE_METRICS_DIR:
		return INO_METRICS_DIR;
	case NODE_METRICS_FILE:
		return INO_METRICS_FILE;
	default:
		return INO_ROOT;
	}
}

static uint64_t file_kind(unsigned file, unsigned first, unsigned n_first, unsigned more)
{
	return file < n_first ? first + file : more + (file - n_first);
}

fuse_ino_t node_ino(const struct node *n)
{
	uint64_t kind, pid = (uint64_t)n->pid & PID_MASK;

	switch (n->kind) {
	case NODE_PID_DIR:
		kind = IK_PID_DIR;
		break;
	case NODE_PID_FILE:
		kind = file_kind(n->file, IK_PID_FILE0, PID_FILES_FIRST, IK_PID_FILE_MORE);
		break;
	case NODE_NS_DIR:
		kind = IK_NS_DIR;
		break;
	case NODE_NS_FILE:
		kind = file_kind(n->file, IK_NS_FILE0, NS_FILES_FIRST, IK_NS_FILE_MORE);
		break;
	case NODE_NS_PID_DIR:
		kind = IK_NS_PID_DIR;
		break;
	case NODE_NS_PID_LINK:
		return ((uint64_t)IK_NS_PID_LINK << KIND_SHIFT) | (pid << NODE_START_BITS) |
		       (((uint64_t)n->nspid & PID_MASK) << NODE_LINK_START_BITS) |
		       link_start_bits(n->start);
	case NODE_TREE:
	case NODE_METRICS_FILE:
		/* The whole host's view keeps the number it always had. */
		if (n->view == VIEW_ALL)
			return fixed_ino(n->kind);
		kind = n->kind == NODE_TREE ? IK_VIEW_TREE : IK_VIEW_METRICS;
		return (kind << KIND_SHIFT) | (n->view & VIEW_MASK);
	default:
		return fixed_ino(n->kind);
	}
	return (kind << KIND_SHIFT) | (pid << NODE_START_BITS) | node_start_bits(n->start);
}

static int fixed_from_ino(fuse_ino_t ino, struct node *out)
{
	switch (ino) {
	case INO_ROOT:
		out->kind = NODE_ROOT;
		return 0;
	case INO_SELF:
		out->kind = NODE_SELF;
		return 0;
	case INO_NS_ROOT:
		out->kind = NODE_NS_ROOT;
		return 0;
	case INO_TREE:
		out->kind = NODE_TREE;
		return 0;
	case INO_METRICS_DIR:
		out->kind = NODE_METRICS_DIR;
		return 0;
	case INO_METRICS_FILE:
		out->kind = NODE_METRICS_FILE;
		return 0;
	default:
		return -ENOENT;
	}
}

int node_from_ino(fuse_ino_t ino, struct node *out)
{
	uint64_t kind = (uint64_t)ino >> KIND_SHIFT;

	memset(out, 0, sizeof(*out));
	if (kind == IK_FIXED)
		return fixed_from_ino(ino, out);
	if (kind >= IK_END)
		return -ENOENT;
	if (kind == IK_VIEW_TREE || kind == IK_VIEW_METRICS) {
		out->kind = kind == IK_VIEW_TREE ? NODE_TREE : NODE_METRICS_FILE;
		out->view = ino & VIEW_MASK;
		return out->view != VIEW_ALL && ino == node_ino(out) ? 0 : -ENOENT;
	}
	out->pid = (pid_t)((ino >> NODE_START_BITS) & PID_MASK);
	out->start = node_start_bits(ino);
	if (kind == IK_PID_DIR) {
		out->kind = NODE_PID_DIR;
	} else if (kind < IK_NS_DIR) {
		out->kind = NODE_PID_FILE;
		out->file = (unsigned)(kind - IK_PID_FILE0);
	} else if (kind == IK_NS_DIR) {
		out->kind = NODE_NS_DIR;
	} else if (kind == IK_NS_PID_DIR) {
		out->kind = NODE_NS_PID_DIR;
	} else if (kind == IK_NS_PID_LINK) {
		out->kind = NODE_NS_PID_LINK;
		out->nspid = (pid_t)((ino >> NODE_LINK_START_BITS) & PID_MASK);
		out->start = link_start_bits(ino);
		if (out->nspid <= 0)
			return -ENOENT;
	} else if (kind < IK_VIEW_TREE) {
		out->kind = NODE_NS_FILE;
		out->file = (unsigned)(kind - IK_NS_FILE0);
	} else if (kind < IK_NS_FILE_MORE) {
		out->kind = NODE_PID_FILE;
		out->file = PID_FILES_FIRST + (unsigned)(kind - IK_PID_FILE_MORE);
	} else {
		out->kind = NODE_NS_FILE;
		out->file = NS_FILES_FIRST + (unsigned)(kind - IK_NS_FILE_MORE);
	}
	return out->pid > 0 ? 0 : -ENOENT;
}

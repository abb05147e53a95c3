#include "node.h"

#include <errno.h>
#include <string.h>

/* Top bits of an inode number: 0 for the fixed nodes, then one value per per-process kind. */
#define KIND_SHIFT     (NODE_PID_BITS + NODE_START_BITS)
#define KIND_FIXED     0u
#define KIND_PID_DIR   1u
#define KIND_PID_FILE0 2u
#define INO_SELF       2u

static const char *const pid_file_names[PF_COUNT] = {
    [PF_INIT] = "init", [PF_NSPID] = "nspid", [PF_ANCESTORS] = "ancestors",
    [PF_NS] = "ns",	[PF_LEVEL] = "level",
};

uint64_t node_start_bits(uint64_t start)
{
	return start & ((UINT64_C(1) << NODE_START_BITS) - 1);
}

fuse_ino_t node_ino(const struct node *n)
{
	uint64_t kind;

	switch (n->kind) {
	case NODE_ROOT:
		return FUSE_ROOT_ID;
	case NODE_SELF:
		return INO_SELF;
	case NODE_PID_DIR:
		kind = KIND_PID_DIR;
		break;
	case NODE_PID_FILE:
	default:
		kind = KIND_PID_FILE0 + (uint64_t)n->file;
		break;
	}
	return (kind << KIND_SHIFT) |
	       (((uint64_t)n->pid & ((UINT64_C(1) << NODE_PID_BITS) - 1)) << NODE_START_BITS) |
	       node_start_bits(n->start);
}

int node_from_ino(fuse_ino_t ino, struct node *out)
{
	uint64_t kind = (uint64_t)ino >> KIND_SHIFT;

	memset(out, 0, sizeof(*out));
	if (kind == KIND_FIXED) {
		if (ino == FUSE_ROOT_ID)
			out->kind = NODE_ROOT;
		else if (ino == INO_SELF)
			out->kind = NODE_SELF;
		else
			return -ENOENT;
		return 0;
	}
	if (kind >= KIND_PID_FILE0 + PF_COUNT)
		return -ENOENT;
	out->kind = kind == KIND_PID_DIR ? NODE_PID_DIR : NODE_PID_FILE;
	out->file = kind == KIND_PID_DIR ? PF_INIT : (enum pid_file)(kind - KIND_PID_FILE0);
	out->pid = (pid_t)((ino >> NODE_START_BITS) & ((UINT64_C(1) << NODE_PID_BITS) - 1));
	out->start = node_start_bits(ino);
	return out->pid > 0 ? 0 : -ENOENT;
}

const char *pid_file_name(enum pid_file f)
{
	return f < PF_COUNT ? pid_file_names[f] : NULL;
}

int pid_file_from_name(const char *name, enum pid_file *out)
{
	for (unsigned i = 0; i < PF_COUNT; i++) {
		if (strcmp(name, pid_file_names[i]) == 0) {
			*out = (enum pid_file)i;
			return 0;
		}
	}
	return -ENOENT;
}

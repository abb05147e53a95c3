/* A process's chain of PID namespaces, as open nsfs descriptors, from the daemon's down. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "model.h"

struct pidns_chain {
	unsigned depth;			  /* 1 for a process of the daemon's own namespace */
	int fd[NSPIDFS_MAX_LEVELS];	  /* fd[0] is the daemon's namespace */
	uint64_t ino[NSPIDFS_MAX_LEVELS]; /* st_ino of each */
};

/* Open /proc/PID/ns/pid and its ancestors. -ENOENT if gone, -EACCES if the kernel refuses. */
int pidns_chain_open(pid_t pid, struct pidns_chain *chain);
/* The chain of a member of the daemon's own namespace, without a descriptor (fd[0] is -1). */
int pidns_chain_own(struct pidns_chain *chain);
/* The inode number of the daemon's own PID namespace (0 if unknown). */
uint64_t pidns_own_ino(void);
/* The same from a descriptor of the process's own namespace, which the chain then owns. */
int pidns_chain_from_fd(int fd, struct pidns_chain *chain);
void pidns_chain_close(struct pidns_chain *chain);

/* A chain closed when it goes out of scope: `autochain struct pidns_chain c = {.depth = 0};` */
static inline void pidns_chain_cleanup(struct pidns_chain *chain)
{
	pidns_chain_close(chain);
}
#define autochain __attribute__((cleanup(pidns_chain_cleanup)))

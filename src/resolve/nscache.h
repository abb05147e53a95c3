/*
 * The chains of PID namespaces seen, by the inode number of the namespace they end in, each
 * kept while that namespace's init lives: a process's chain without walking up to the
 * daemon's namespace.
 */
#pragma once

#include "live_table.h"
#include "model.h"
#include "pidns.h"

#define NSCACHE_MAX_ENTRIES 1024

/* Before serving; 0 turns the cache off. */
void nscache_configure(unsigned max_entries);
/*
 * pidns_chain_from_fd(), from the cache where it can: NSCACHE_HIT then, 0 after a walk (hand
 * that chain to nscache_store once it proved good), or -errno. Takes fd.
 */
#define NSCACHE_HIT 1
int nscache_chain(int fd, struct pidns_chain *chain);
/*
 * Keep a walked chain of the process of pidfd, which m describes, tied to the pidfd of its
 * namespace's init. Takes the chain's descriptors below the daemon's namespace.
 */
void nscache_store(struct pidns_chain *chain, int pidfd, const struct proc_model *m);
void nscache_counts(struct live_table_counts *out);
/* Drop every entry (at unmount). */
void nscache_clear(void);

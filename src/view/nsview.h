/*
 * The ns/ view: namespaces named by inode number, each tied to its init's identity, and the
 * reverse lookup of a PID inside one.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "nsmodel.h"

/*
 * A namespace as the tree names it: by its init's PID and the low id_bits of the init's
 * identity (resolve.h).
 */
struct ns_name {
	pid_t init;
	uint64_t id;
	unsigned id_bits;
};

/* The namespace a name names, while its init lives. */
struct ns_target {
	pid_t init;
	uint64_t ino;
	unsigned level;
};

/* Check n's init is alive and is the init it was looked up as; -ENOENT otherwise. */
int nsview_target(const struct ns_name *n, struct ns_target *t);
/* A model holding t's namespace, and that namespace in it; -ENOENT if it has gone. */
int nsview_model(const struct ns_target *t, struct ns_model **m, const struct ns_info **ns);
/*
 * The identity bits a node names the init of a namespace by, from the init's PID and start
 * time as a /proc pass saw them (start is used only where pidfds have no inode numbers).
 */
int nsview_init_identity(pid_t init, uint64_t start, uint64_t *id);
/*
 * The identity bits to list an init's namespace by: known (the model's, taken when it first
 * saw that init) if given, while a task holds the PID; else as nsview_init_identity().
 */
int nsview_listed_identity(pid_t init, uint64_t start, const uint64_t *known, uint64_t *id);
/* The namespace named by decimal inode number name. */
int nsview_lookup(const char *name, struct ns_name *out);
/*
 * The host PID of the init that namespace name had when last seen (the init cache or the last
 * /proc pass; fresher: a pass after any process was created since), perhaps gone since: enough
 * to decide who may see the name before anything about it is resolved.
 */
int nsview_last_init(const char *name, bool fresher, pid_t *init);
/* The host PID of the process whose PID in t's namespace is nspid. */
int nsview_reverse(const struct ns_target *t, pid_t nspid, pid_t *host);

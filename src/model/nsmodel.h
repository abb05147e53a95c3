/*
 * The namespace model: every PID namespace below the daemon's and every process in them. The
 * ns/ directories, the tree, their JSON and the metrics are all formatted from one immutable
 * model, so they cannot disagree with each other.
 *
 * Built whole by adding processes (and, for namespaces no process names as its own, the parent
 * links found through NS_GET_PARENT), then frozen by ns_model_finish(); after that it is
 * read-only and shared between threads by reference. Or derived from the last model: only the
 * processes dropped or added, and the namespaces above them, are new; every other process
 * record and namespace is shared with it, so a new model costs what changed (and a copy of the
 * list of every process, a pointer each, which the daemon's own namespace holds).
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "model.h"

#define NS_COMM_MAX 64

struct ns_proc {
	pid_t host_pid;
	char state; /* as in /proc/PID/status State: R, S, D, Z, ... */
	unsigned threads;
	unsigned depth;	 /* number of NSpid entries: its own namespace's level + 1 */
	uint64_t ns_ino; /* its own namespace */
	uint64_t start;	 /* start time, clock ticks since boot: with host_pid, its identity */
	char comm[NS_COMM_MAX];
	pid_t nspid[]; /* its NSpid, outermost first: depth entries */
};

struct ns_info {
	uint64_t ino;
	uint64_t parent; /* 0 at level 0 */
	unsigned level;
	pid_t init;	     /* host PID of its PID 1; 0 if the scan saw none (it is exiting) */
	uint64_t init_start; /* the init's start time, clock ticks since boot */
	uint64_t init_id;    /* the init's identity bits (nsview_init_identity()), if has_init_id */
	bool has_init_id;
	GArray *children; /* uint64_t inode numbers, ascending */
	GPtrArray
	    *members; /* const struct ns_proc *: every process with a PID here (its own
			 namespace's or a deeper one's), by PID in this namespace, ascending */
	guint direct; /* how many of members have this namespace as their own */
};

struct ns_model {
	gint64 built_at;   /* g_get_monotonic_time() when the scan began */
	gint64 done_at;	   /* and when it ended: its validity runs from then */
	uint64_t root_ino; /* the daemon's own namespace, level 0 */
	pid_t last_pid;	   /* the daemon's namespace's ns_last_pid when the scan began */
	GHashTable *by_ino;
	GPtrArray *order; /* struct ns_info *, depth first from the root, children by inode */
	/* Private: who frees what (see nsmodel.c), and the state of a build. */
	struct ns_model *newer;
	GPtrArray *retired_procs, *retired_ns;
	struct ns_model *base; /* while derived from it */
	GPtrArray *added;      /* struct ns_proc *, while building */
	GHashTable *dropped;   /* const struct ns_proc * set, while deriving */
	GHashTable *fresh_ns;  /* struct ns_info * set: made for this model, while deriving */
};

struct ns_model *ns_model_new(uint64_t root_ino);
struct ns_model *ns_model_ref(struct ns_model *m);
void ns_model_unref(struct ns_model *m);
typedef struct ns_model ns_model; /* for g_autoptr */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ns_model, ns_model_unref)

/* Record that namespace ino, at level, has parent as its parent. */
void ns_model_add_ns(struct ns_model *m, uint64_t ino, uint64_t parent, unsigned level);
bool ns_model_has_ns(const struct ns_model *m, uint64_t ino);
/*
 * A model derived from base, the newest one (none was derived from it yet): it holds base's
 * namespaces and processes until ns_model_drop_proc() and ns_model_add_proc() change them.
 */
struct ns_model *ns_model_derive(struct ns_model *base);
/* In a derived model: take out the process base has with host PID pid, if any. */
void ns_model_drop_proc(struct ns_model *m, pid_t pid);
/*
 * In a derived model: namespace ino, as base had it, ended, and its inode number now names
 * another: take it out, with the namespaces below it and every process base had there.
 */
void ns_model_forget_ns(struct ns_model *m, uint64_t ino);
/*
 * Add a process; nspid has depth entries, outermost first. Its namespace must be added. In a
 * whole build, by host PID ascending.
 */
void ns_model_add_proc(struct ns_model *m, pid_t host_pid, char state, unsigned threads,
		       const char *comm, uint64_t ns_ino, const pid_t *nspid, unsigned depth,
		       uint64_t start);
/* Derive children, members, inits and the order; no more additions afterwards. */
void ns_model_finish(struct ns_model *m);
/*
 * The same, calling changed for each namespace that is new in this model or whose processes
 * changed: the only ones it may still write to (the others are shared with older models).
 */
typedef void (*ns_changed_fn)(struct ns_info *ns);
void ns_model_finish_with(struct ns_model *m, ns_changed_fn changed);

const struct ns_info *ns_model_find(const struct ns_model *m, uint64_t ino);
/* The host PID of the member of namespace ns_ino whose PID there is nspid, or -ESRCH. */
int ns_model_find_member(const struct ns_model *m, uint64_t ns_ino, pid_t nspid, pid_t *host);
const struct ns_info *ns_model_root(const struct ns_model *m);
/* Every process of the model, by host PID ascending: the root namespace's members. */
const GPtrArray *ns_model_procs(const struct ns_model *m);
/* The process with host PID pid, or NULL. */
const struct ns_proc *ns_model_proc_of(const struct ns_model *m, pid_t pid);
static inline const struct ns_proc *ns_member(const struct ns_info *ns, guint i)
{
	return g_ptr_array_index(ns->members, i);
}
static inline pid_t ns_proc_pid_at(const struct ns_proc *p, unsigned level)
{
	return level < p->depth ? p->nspid[level] : 0;
}
/* Whether namespace inner is ns itself or a namespace below it. */
bool ns_model_is_below(const struct ns_model *m, const struct ns_info *ns, uint64_t inner);
static inline bool ns_proc_is_zombie(const struct ns_proc *p)
{
	return model_state_exited(p->state);
}

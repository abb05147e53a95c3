/*
 * The namespace model: every PID namespace below the daemon's and every process in them, as one
 * /proc pass saw them. The ns/ directories, the tree, their JSON and the metrics are all
 * formatted from one immutable model, so they cannot disagree with each other.
 *
 * Built by adding processes (and, for namespaces no process names as its own, the parent links
 * found through NS_GET_PARENT), then frozen by ns_model_finish(); after that it is read-only
 * and shared between threads by reference.
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
	guint nspid_off; /* its NSpid, outermost first: model->nspids[nspid_off .. + depth) */
	uint64_t ns_ino; /* its own namespace */
	uint64_t start;	 /* start time, clock ticks since boot: with host_pid, its identity */
	char comm[NS_COMM_MAX];
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
	GArray *members;  /* guint indexes into procs: every process with a PID here (its own
			     namespace's or a deeper one's), by PID in this namespace, ascending */
	guint direct;	  /* how many of members have this namespace as their own */
};

struct ns_model {
	gint64 built_at;   /* g_get_monotonic_time() when the scan began */
	gint64 done_at;	   /* and when it ended: its validity runs from then */
	uint64_t root_ino; /* the daemon's own namespace, level 0 */
	pid_t last_pid;	   /* the daemon's namespace's ns_last_pid when the scan began */
	GArray *procs;	   /* struct ns_proc, by host PID ascending */
	GArray *nspids;	   /* pid_t pool for struct ns_proc.nspid_off */
	GHashTable *by_ino;
	GPtrArray *order; /* struct ns_info *, depth first from the root, children by inode */
};

struct ns_model *ns_model_new(uint64_t root_ino);
struct ns_model *ns_model_ref(struct ns_model *m);
void ns_model_unref(struct ns_model *m);
typedef struct ns_model ns_model; /* for g_autoptr */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ns_model, ns_model_unref)

/* Record that namespace ino, at level, has parent as its parent. */
void ns_model_add_ns(struct ns_model *m, uint64_t ino, uint64_t parent, unsigned level);
bool ns_model_has_ns(const struct ns_model *m, uint64_t ino);
/* Add a process; nspid has depth entries, outermost first. Its namespace must be added. */
void ns_model_add_proc(struct ns_model *m, pid_t host_pid, char state, unsigned threads,
		       const char *comm, uint64_t ns_ino, const pid_t *nspid, unsigned depth,
		       uint64_t start);
/* Derive children, members, inits and the order; no more additions afterwards. */
void ns_model_finish(struct ns_model *m);

const struct ns_info *ns_model_find(const struct ns_model *m, uint64_t ino);
/* The host PID of the member of namespace ns_ino whose PID there is nspid, or -ESRCH. */
int ns_model_find_member(const struct ns_model *m, uint64_t ns_ino, pid_t nspid, pid_t *host);
const struct ns_info *ns_model_root(const struct ns_model *m);
const struct ns_proc *ns_model_proc(const struct ns_model *m, guint index);
pid_t ns_proc_pid_at(const struct ns_model *m, const struct ns_proc *p, unsigned level);
/* Whether namespace inner is ns itself or a namespace below it. */
bool ns_model_is_below(const struct ns_model *m, const struct ns_info *ns, uint64_t inner);
static inline bool ns_proc_is_zombie(const struct ns_proc *p)
{
	return model_state_exited(p->state);
}

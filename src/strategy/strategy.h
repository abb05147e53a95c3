/*
 * Translation strategies: each fills, for every level of a process's namespace chain below the
 * daemon's own, the process's PID there and the host PID of that namespace's init.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <sys/types.h>

#include "model.h"
#include "pidns.h"
#include "strategy_id.h"

/* An open PID namespace, for reverse lookups. */
struct ns_ref {
	int fd;
	uint64_t ino;
	unsigned level; /* below the daemon's namespace */
};

struct strategy {
	const char *name;
	/* 0 when usable on this kernel, else a negative errno (logged once at start-up). */
	int (*probe)(void);
	/* Fill m->lv[1..chain->depth-1].pid and .init; level 0 is filled by the caller. */
	int (*translate)(const struct pidns_chain *chain, pid_t pid, struct proc_model *m);
	/* The host PID (or TID) of whatever holds nspid in ns; -ESRCH if nothing does. */
	int (*reverse)(const struct ns_ref *ns, pid_t nspid, pid_t *host);
};

/*
 * A strategy's answer (creds only) meaning "not now, for this namespace": its helpers are
 * suspended or rate-limited there. strategy_translate() and strategy_reverse() then ask the
 * fallback, or give -EAGAIN; it never reaches a reader.
 */
#define STRATEGY_REFUSED (-ECONNREFUSED)

extern const struct strategy strategy_ioctl;
extern const struct strategy strategy_status;
extern const struct strategy strategy_creds;

const char *strategy_name(enum strategy_id id);
int strategy_from_name(const char *name, enum strategy_id *out);

/* Test-only (NSPIDFS_TEST_NO_FALLBACK): creds never falls back, as where nothing else works. */
void strategy_forbid_fallback(void);
/* Probe the kernel and make id the strategy resolve_process_fd() uses. */
int strategy_select(enum strategy_id id);
/*
 * Under --strategy=creds, the first strategy that answers when creds refuses (ioctl, else
 * status, where usable), or NULL: under auto, which tried them before creds, or where none is.
 */
const char *strategy_fallback(void);
enum strategy_id strategy_active(void);
/*
 * Whether resolving a process forks a helper, so that a caller that could resolve early (a
 * LOOKUP, which ls -l makes for every process listed) should wait for a read instead.
 */
bool strategy_forks_per_process(void);
/*
 * A lookup that failed before any strategy was asked (a PID that does not exist, a namespace
 * the kernel will not open): counted under the strategy that would have been asked first, so
 * that every failed read shows in the metrics.
 */
void strategy_count_unasked(int err);
/* Whether a failure of one strategy may be overcome by the next one under auto. */
bool strategy_error_is_final(int err);
/* Run the selected strategy, or under auto each usable one in turn until one answers. */
int strategy_translate(const struct pidns_chain *chain, pid_t pid, struct proc_model *m);
/*
 * From now on, this thread's translations never fork a helper: where one would be needed
 * (creds, or auto falling back to it) they give -EWOULDBLOCK.
 */
void strategy_forbid_helpers(void);
/* Whether this is such a thread (the one reading requests), which must not wait either. */
bool strategy_helpers_forbidden(void);
int strategy_reverse(const struct ns_ref *ns, pid_t nspid, pid_t *host);
/*
 * Where a strategy that reads /proc rather than asking the kernel finds a namespace's member
 * by its PID there, for reverse lookups: the index of the last /proc pass, which the view
 * above keeps (snapshot.c) and hands down at start; without one such lookups find nothing.
 */
typedef int (*strategy_member_index)(uint64_t ns_ino, pid_t nspid, pid_t *host);
void strategy_use_member_index(strategy_member_index find);
/* NS_GET_PID_IN_PIDNS and NS_GET_PID_FROM_PIDNS answer on this kernel (6.11 and later). */
bool nsfs_pid_ioctls_work(void);

/*
 * request -> resolve -> compute: tie a lookup to the process's identity, open its namespace
 * chain, let the strategy translate, then check the identity again. If the PID names the same
 * process (same start time) after the computation, that process held the PID throughout, so
 * every fact gathered in between is about it.
 */
#include "resolve.h"

#include <errno.h>
#include <glib.h>

#include "node.h"
#include "pidns.h"
#include "proc.h"
#include "strategy.h"
#include "util.h"

static int check_identity_stat(pid_t pid, uint64_t want_start, struct proc_stat *out)
{
	struct proc_stat st;
	int r = proc_read_stat(pid, &st);

	if (r < 0)
		return r == -ENOENT ? log_debug_ret(r, "pid %d: no such process", pid) : r;
	if (node_start_bits(st.start) != want_start)
		return log_debug_ret(-ENOENT, "pid %d: reused by another process", pid);
	if (proc_is_zombie(&st) && !proc_has_live_threads(pid))
		return log_debug_ret(-ENOENT, "pid %d: exited (zombie, not yet reaped)", pid);
	if (proc_is_kthread(&st))
		return log_debug_ret(-ENODATA, "pid %d: kernel thread, no PID namespace to report",
				     pid);
	if (out)
		*out = st;
	return 0;
}

static int check_identity(pid_t pid, uint64_t want_start)
{
	return check_identity_stat(pid, want_start, NULL);
}

int resolve_identity(pid_t pid, uint64_t *start)
{
	struct proc_stat st;
	int r = proc_read_stat(pid, &st);

	if (r < 0)
		return r;
	*start = node_start_bits(st.start);
	return 0;
}

int resolve_process(pid_t pid, uint64_t want_start, struct proc_model *out)
{
	autochain struct pidns_chain chain = {.depth = 0};
	struct proc_stat st;
	int r = check_identity_stat(pid, want_start, &st);

	if (r < 0)
		return r;
	r = pidns_chain_open(pid, &chain);
	/* /proc answers EACCES, not ENOENT, for a task reaped while its ns link is followed. */
	if (r < 0)
		return check_identity(pid, want_start) == -ENOENT ? -ENOENT : r;
	out->host_pid = pid;
	out->start = want_start;
	g_strlcpy(out->comm, st.comm, sizeof(out->comm));
	out->depth = chain.depth;
	for (unsigned k = 0; k < chain.depth; k++)
		out->lv[k].ns_ino = chain.ino[k];
	/* In the daemon's own namespace the host PID is the PID and PID 1 is the init. */
	out->lv[0].pid = pid;
	out->lv[0].init = 1;
	r = strategy_translate(&chain, pid, out);
	if (r == -ESRCH)
		r = -ENOENT;
	if (check_identity(pid, want_start) == -ENOENT)
		return log_debug_ret(-ENOENT, "pid %d: exited while being resolved", pid);
	return r;
}

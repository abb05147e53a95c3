/* Translation from /proc/PID/status: NSpid for the PIDs, the init cache for each level's init. */
#include <errno.h>
#include <glib.h>
#include <unistd.h>

#include "init_cache.h"
#include "proc.h"
#include "strategy.h"
#include "util.h"

static int probe_status(void)
{
	struct proc_status st;
	int r = proc_read_status(getpid(), &st);

	if (r < 0)
		return r;
	/* NSpid lists PIDs from /proc's namespace down: /proc must be the daemon's namespace's. */
	if (st.nspid_count != 1 || st.nspid[0] != getpid())
		return -EXDEV;
	return 0;
}

static int translate_status(const struct pidns_chain *chain, pid_t pid, struct proc_model *m)
{
	struct proc_status st;
	int r = proc_read_status(pid, &st);

	if (r < 0)
		return r == -ENOENT ? -ESRCH : r;
	if (st.nspid_count != chain->depth)
		return log_debug_ret(-EIO, "pid %d: NSpid has %u levels, namespace chain %u", pid,
				     st.nspid_count, chain->depth);
	for (unsigned k = 1; k < chain->depth; k++) {
		m->lv[k].pid = st.nspid[k];
		r = init_cache_find(chain->ino[k], pid, &m->lv[k].init);
		if (r < 0)
			return log_debug_ret(
			    r, "pid %d: no live init for namespace %" G_GUINT64_FORMAT, pid,
			    chain->ino[k]);
	}
	return 0;
}

static strategy_member_index member_index;

void strategy_use_member_index(strategy_member_index find)
{
	member_index = find;
}

/* The index of the last /proc pass: the caller checks the answer against the process. */
static int reverse_status(const struct ns_ref *ns, pid_t nspid, pid_t *host)
{
	return member_index ? member_index(ns->ino, nspid, host) : -ESRCH;
}

const struct strategy strategy_status = {
    .name = "status",
    .probe = probe_status,
    .translate = translate_status,
    .reverse = reverse_status,
};

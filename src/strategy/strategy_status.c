/* Translation from /proc/PID/status: NSpid for the PIDs, the init cache for each level's init. */
#include <errno.h>
#include <glib.h>
#include <unistd.h>

#include "init_cache.h"
#include "proc.h"
#include "snapshot.h"
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

/* members are sorted by their PID at the namespace's level. */
static int find_member(const struct ns_model *m, const struct ns_info *ns, pid_t nspid, pid_t *host)
{
	guint lo = 0, hi = ns->members->len;

	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;
		const struct ns_proc *p = ns_model_proc(m, g_array_index(ns->members, guint, mid));
		pid_t v = ns_proc_pid_at(m, p, ns->level);

		if (v == nspid) {
			*host = p->host_pid;
			return 0;
		}
		if (v < nspid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -ESRCH;
}

/* The index from the last /proc pass: the caller checks the answer against the process. */
static int reverse_status(const struct ns_ref *ns, pid_t nspid, pid_t *host)
{
	int r = 0;
	g_autoptr(ns_model) m = snapshot_get(&r);
	const struct ns_info *info;

	for (int pass = 0; m && pass < 2; pass++) {
		info = ns_model_find(m, ns->ino);
		if (info && find_member(m, info, nspid, host) == 0)
			return 0;
		if (pass == 0) {
			struct ns_model *newer = snapshot_refresh(m, &r);

			g_clear_pointer(&m, ns_model_unref);
			m = newer;
		}
	}
	return m ? -ESRCH : r;
}

const struct strategy strategy_status = {
    .name = "status",
    .probe = probe_status,
    .translate = translate_status,
    .reverse = reverse_status,
};

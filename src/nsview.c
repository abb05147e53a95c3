/*
 * A namespace has no identity of its own that survives inode reuse, but its init does: the
 * namespace lives exactly as long as its init (the kernel kills every member when the init
 * dies). So nodes name a namespace by its init's PID and start time, and every request checks
 * the init is still that process before answering, and after, for answers computed in between.
 */
#include "nsview.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>

#include "init_cache.h"
#include "pidns.h"
#include "proc.h"
#include "snapshot.h"
#include "strategy.h"
#include "util.h"

/* The daemon's own namespace: its init is PID 1, whose ns link may be unreadable. */
static int own_ns(struct ns_target *t)
{
	t->ino = pidns_own_ino();
	t->level = 0;
	return t->ino ? 0 : -EACCES;
}

int nsview_target(const struct node *n, struct ns_target *t)
{
	autofd dir = proc_open_dir(n->pid);
	struct proc_stat ps;
	struct proc_status st;

	t->init = n->pid;
	if (dir < 0 || proc_read_stat_at(dir, n->pid, &ps) < 0 ||
	    !node_start_matches(n, ps.start) || proc_is_zombie(&ps))
		return log_debug_ret(-ENOENT, "namespace of init %d: gone", n->pid);
	if (n->pid == 1)
		return own_ns(t);
	if (proc_read_status_at(dir, n->pid, &st) < 0 || st.nspid_count < 2 ||
	    st.nspid[st.nspid_count - 1] != 1 || proc_ns_ino_at(dir, n->pid, &t->ino) < 0)
		return log_debug_ret(-ENOENT, "pid %d: not a namespace's init any more", n->pid);
	t->level = st.nspid_count - 1;
	return 0;
}

int nsview_model(const struct ns_target *t, struct ns_model **out, const struct ns_info **ns)
{
	int r = 0;
	struct ns_model *m = snapshot_get(&r);

	if (m && !ns_model_find(m, t->ino)) {
		struct ns_model *newer = snapshot_refresh(m, &r);

		ns_model_unref(m);
		m = newer;
	}
	if (!m)
		return r;
	*ns = ns_model_find(m, t->ino);
	if (!*ns || (*ns)->init != t->init) {
		ns_model_unref(m);
		return log_debug_ret(-ENOENT, "namespace %" G_GUINT64_FORMAT ": not in /proc",
				     t->ino);
	}
	*out = m;
	return 0;
}

/* Inode numbers of namespaces are 32-bit, printed in decimal without leading zeros. */
static int parse_ns_name(const char *name, uint64_t *ino)
{
	char *end;
	guint64 v;

	if (name[0] < '1' || name[0] > '9')
		return -ENOENT;
	errno = 0;
	v = g_ascii_strtoull(name, &end, 10);
	if (*end || errno || v > UINT32_MAX)
		return -ENOENT;
	*ino = v;
	return 0;
}

int nsview_lookup(const char *name, struct node *out)
{
	uint64_t ino, start;
	pid_t init;
	int r = parse_ns_name(name, &ino);
	g_autoptr(ns_model) m = NULL;
	const struct ns_info *ns;

	if (r < 0)
		return r;
	/* A namespace seen before, whose init lives: no /proc pass. */
	if (init_cache_peek(ino, &init, &start)) {
		*out = (struct node){
		    .kind = NODE_NS_DIR, .pid = init, .start = node_start_bits(start)};
		return 0;
	}
	m = snapshot_get(&r);
	if (m && !ns_model_find(m, ino)) {
		struct ns_model *newer = snapshot_refresh(m, &r);

		g_clear_pointer(&m, ns_model_unref);
		m = newer;
	}
	if (!m)
		return r;
	ns = ns_model_find(m, ino);
	if (!ns || ns->init <= 0)
		return log_debug_ret(-ENOENT, "namespace %s: none with that inode", name);
	*out = (struct node){
	    .kind = NODE_NS_DIR,
	    .pid = ns->init,
	    .start = node_start_bits(ns->init_start),
	};
	return 0;
}

static int open_ns(const struct ns_target *t, struct ns_ref *ref)
{
	char path[64];
	struct stat st;

	if (t->init == 1)
		snprintf(path, sizeof(path), "/proc/self/ns/pid");
	else
		snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)t->init);
	ref->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ref->fd < 0)
		return errno == EACCES ? -EACCES : -ENOENT;
	if (fstat(ref->fd, &st) < 0 || st.st_ino != t->ino) {
		close(ref->fd);
		return -ENOENT;
	}
	ref->ino = t->ino;
	ref->level = t->level;
	return 0;
}

/* host holds nspid in t's namespace, is a live thread-group leader, and still is after. */
static int verify(const struct ns_target *t, pid_t host, pid_t nspid)
{
	autochain struct pidns_chain chain = {.depth = 0};
	autofd dir = proc_open_dir(host);
	struct proc_status st;
	struct proc_stat ps;

	if (dir < 0 || proc_read_status_at(dir, host, &st) < 0)
		return -ENOENT;
	if (st.tgid != host)
		return log_debug_ret(-ENOENT, "pid %d: a thread, not a process", nspid);
	if (st.state == 'Z' || st.state == 'X' || st.nspid_count <= t->level ||
	    st.nspid[t->level] != nspid)
		return -ENOENT;
	/* Every process the daemon sees has a PID in its own namespace: nothing to check. */
	if (t->level > 0 && (pidns_chain_open(host, &chain) < 0 || chain.depth <= t->level ||
			     chain.ino[t->level] != t->ino))
		return -ENOENT;
	/* Still the process read through dir: the chain was its own. */
	return proc_read_stat_at(dir, host, &ps) == 0 ? 0 : -ENOENT;
}

int nsview_reverse(const struct ns_target *t, pid_t nspid, pid_t *host)
{
	struct ns_ref ref;
	int r = open_ns(t, &ref);

	if (r < 0)
		return r;
	r = strategy_reverse(&ref, nspid, host);
	close(ref.fd);
	if (r == -ESRCH)
		r = -ENOENT;
	if (r == 0)
		r = verify(t, *host, nspid);
	if (r == -ENOENT)
		g_debug("pid %d of namespace %" G_GUINT64_FORMAT ": no such process", nspid,
			t->ino);
	return r;
}

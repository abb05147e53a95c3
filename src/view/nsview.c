/*
 * A namespace has no identity of its own that survives inode reuse, but its init does: the
 * namespace lives exactly as long as its init (the kernel kills every member when the init
 * dies). So nodes name a namespace by its init's PID and identity (as PID directories do: the
 * inode number of a pidfd, else the start time), and every request checks the init is still
 * that process before answering, and after, for answers computed in between.
 */
#include "nsview.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/pidfd.h>
#include <sys/stat.h>

#include "init_cache.h"
#include "pidns.h"
#include "proc.h"
#include "resolve.h"
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

/*
 * n's init is the task holding its PID: with unique identities, the pidfd's, which is opened
 * before /proc/PID is and polled after it was read, so that everything read is about that
 * task; else the start time read through the same /proc/PID.
 */
static bool id_matches(const struct ns_name *n, uint64_t id)
{
	return (id & ((UINT64_C(1) << n->id_bits) - 1)) == n->id;
}

static bool is_the_init(const struct ns_name *n, int pidfd, int dir)
{
	struct proc_stat ps;
	uint64_t id;

	if (pidfd >= 0)
		return resolve_identity_of(pidfd, n->init, &id) == 0 && id_matches(n, id);
	return proc_read_stat_at(dir, n->init, &ps) == 0 && id_matches(n, ps.start) &&
	       !proc_is_zombie(&ps);
}

int nsview_target(const struct ns_name *n, struct ns_target *t)
{
	autofd pidfd = resolve_ids_unique() ? pidfd_open(n->init, 0) : -1;
	autofd dir = proc_open_dir(n->init);
	struct proc_status st;

	t->init = n->init;
	if (dir < 0 || (resolve_ids_unique() && pidfd < 0) || !is_the_init(n, pidfd, dir))
		return log_debug_ret(-ENOENT, "namespace of init %d: gone", n->init);
	if (n->init == 1)
		return own_ns(t);
	if (proc_read_status_at(dir, n->init, &st) < 0 || st.nspid_count < 2 ||
	    st.nspid[st.nspid_count - 1] != 1 || proc_ns_ino_at(dir, n->init, &t->ino) < 0)
		return log_debug_ret(-ENOENT, "pid %d: not a namespace's init any more", n->init);
	if (pidfd >= 0 && proc_pidfd_exited(pidfd, 0))
		return log_debug_ret(-ENOENT, "namespace of init %d: gone", n->init);
	t->level = st.nspid_count - 1;
	return 0;
}

int nsview_init_identity(pid_t init, uint64_t start, uint64_t *id)
{
	*id = resolve_id_bits(start);
	return resolve_ids_unique() ? resolve_identity(init, id) : 0;
}

int nsview_listed_identity(pid_t init, uint64_t start, const uint64_t *known, uint64_t *id)
{
	if (!known)
		return nsview_init_identity(init, start, id);
	/* A PID reused since is named by the new task's lookup, which then fails. */
	if (kill(init, 0) < 0 && errno == ESRCH)
		return -ENOENT;
	*id = *known;
	return 0;
}

/*
 * The name of namespace ino, whose init was pid (from a cache or a /proc pass, so perhaps no
 * more): the identity of the task holding pid now, which must be ino's init.
 */
static int name_of_init(uint64_t ino, pid_t pid, uint64_t start, struct ns_name *out)
{
	struct ns_target t;
	int r;

	*out = (struct ns_name){.init = pid, .id_bits = RESOLVE_ID_BITS};
	r = nsview_init_identity(pid, start, &out->id);
	if (r == 0)
		r = nsview_target(out, &t);
	if (r == 0 && t.ino != ino)
		r = log_debug_ret(
		    -ENOENT, "pid %d: no more the init of namespace %" G_GUINT64_FORMAT, pid, ino);
	return r < 0 ? -ENOENT : 0;
}

static bool holds_ns(const struct ns_model *m, const void *ino)
{
	return ns_model_find(m, *(const uint64_t *)ino) != NULL;
}

int nsview_model(const struct ns_target *t, struct ns_model **out, const struct ns_info **ns)
{
	int r = 0;
	struct ns_model *m = snapshot_find(holds_ns, &t->ino, &r);

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

/*
 * ns's node from a /proc pass's model, if ns is there and its init still is ino's; else (no
 * model, no such namespace, or an init gone since, whose inode number the kernel may have
 * given to a new namespace at once) -ENOENT.
 */
struct name_query {
	uint64_t ino;
	struct ns_name *out;
};

/* The name of namespace q->ino as m saw it, if its init still is that: in q->out. */
static bool name_from_model(const struct ns_model *m, const void *arg)
{
	const struct name_query *q = arg;
	const struct ns_info *ns = ns_model_find(m, q->ino);

	return ns && ns->init > 0 && name_of_init(q->ino, ns->init, ns->init_start, q->out) == 0;
}

int nsview_last_init(const char *name, bool fresher, pid_t *init)
{
	g_autoptr(ns_model) m = NULL;
	const struct ns_info *ns;
	uint64_t ino;
	int r = parse_ns_name(name, &ino);

	if (r < 0)
		return r;
	if (!fresher && init_cache_last(ino, init))
		return 0;
	m = snapshot_get(&r);
	if (m && fresher) {
		struct ns_model *newer = snapshot_refresh(m, &r);

		g_clear_pointer(&m, ns_model_unref);
		m = newer;
	}
	ns = m ? ns_model_find(m, ino) : NULL;
	if (!ns || ns->init <= 0)
		return m ? -ENOENT : r;
	*init = ns->init;
	return 0;
}

int nsview_lookup(const char *name, struct ns_name *out)
{
	uint64_t ino, start;
	pid_t init;
	int r = parse_ns_name(name, &ino);
	struct name_query q = {.out = out};
	g_autoptr(ns_model) m = NULL;

	if (r < 0)
		return r;
	/*
	 * A namespace seen before, whose init lives: no /proc pass. The cache checks inits by
	 * start time, which a PID reused within a clock tick passes: then ask /proc.
	 */
	if (init_cache_peek(ino, &init, &start) && name_of_init(ino, init, start, out) == 0)
		return 0;
	/* Not in the last pass, or not as it is now: a new one, if a process came since. */
	q.ino = ino;
	m = snapshot_find(name_from_model, &q, &r);
	if (!m)
		return r;
	if (!name_from_model(m, &q))
		return log_debug_ret(-ENOENT, "namespace %s: none with that inode", name);
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
	if (model_state_exited(st.state) || st.nspid_count <= t->level ||
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

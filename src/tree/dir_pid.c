/* A PID's directory, <pid>/, and its files: what the process is, seen from each namespace. */
#include <errno.h>
#include <inttypes.h>

#include "format.h"
#include "node.h"
#include "pidcache.h"
#include "proc.h"
#include "reply.h"
#include "strategy.h"
#include "tree_internal.h"
#include "visibility.h"

/* The directory still names the process it was looked up as. */
int check_pid_node(const struct node *n)
{
	return pidcache_check(n->pid, n->start);
}

/*
 * A file of the process is about to be read: resolve it now, so that the LOOKUP of that file,
 * its OPEN and READ are answered from the cache without waiting for a worker. A reader who
 * sees every process needs nothing but the PID's identity for this entry: it is answered
 * first and the process resolved after, while the kernel makes the entry and sends the next
 * LOOKUP, which this thread then reads. Not where resolving forks helpers (creds): a listing
 * with stat(), like ls -l, would fork one per process. Nor without the cache, where it would
 * be done again at open. A process without a model (a kernel thread) still has its directory.
 */
void lookup_pid(fuse_req_t req, struct node *n)
{
	struct proc_model m;
	struct viewer v;
	int fd, r;

	viewer_of(fuse_req_ctx(req)->pid, &v);
	/*
	 * Whether the reader may see the PID, first: a hidden PID then costs what a missing one
	 * does, and leaves nothing cached behind.
	 */
	r = v.scope == VIEWER_ALL ? 0 : viewer_check_process(&v, n->pid);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	if (strategy_forks_per_process() || !pidcache_enabled()) {
		r = pidcache_identity(n->pid, &n->start);
	} else if (v.scope == VIEWER_ALL) {
		r = pidcache_identify(n->pid, &n->start, &fd);
		reply_node_or_err(req, r, n, r == 0 ? pid_dir_ttl() : TTL_NONE);
		if (r == 0 && fd >= 0)
			(void)pidcache_resolve_held(n->pid, n->start, fd, &m);
		return;
	} else if (pidcache_resolve(n->pid, &n->start, &m) == 0) {
		/* The PID may have gone to another process since the check. */
		r = viewer_check_model(&v, &m);
		reply_node_or_err(req, r, n, r == 0 ? pid_dir_ttl() : TTL_NONE);
		return;
	} else {
		r = pidcache_identity(n->pid, &n->start);
	}
	if (r == 0 && v.scope != VIEWER_ALL)
		r = viewer_check_process(&v, n->pid);
	reply_node_or_err(req, r, n, r == 0 ? pid_dir_ttl() : TTL_NONE);
}

/*
 * A fixed file's exact size, or -1 if it has none now: a process without a model (a kernel
 * thread, an unreadable namespace) has the file, and its open gives the error. Other errors
 * (the process is gone) are the file's too.
 */
int fixed_size_now(const struct node *n, off_t *size)
{
	struct proc_model m;
	int r = pidcache_model(n->pid, n->start, &m);

	if (r < 0 && r != -ENODATA && r != -EACCES)
		return r;
	*size = r == 0 ? fixed_file_size(n, &m) : -1;
	return 0;
}

static void reply_fixed_file(fuse_req_t req, const struct node *n)
{
	off_t size;
	int r = fixed_size_now(n, &size);

	if (r < 0)
		fuse_reply_err(req, -r);
	else
		reply_file(req, n, size);
}

void lookup_in_pid_dir(fuse_req_t req, const struct node *dir, const char *name)
{
	struct node n = *dir;
	enum pid_file f;
	int r = pid_file_from_name(name, &f);

	if (r == 0)
		r = check_visible(req, dir->pid);
	if (r == 0)
		r = check_pid_node(dir);
	n.kind = NODE_PID_FILE;
	n.file = f;
	if (r == 0 && node_content_is_fixed(&n))
		reply_fixed_file(req, &n);
	else
		reply_node_or_err(req, r, &n, TTL_FOREVER);
}

int pidns_target(fuse_req_t req, const struct node *n, GString *out)
{
	struct proc_model m;
	int r = check_visible(req, n->pid);

	if (r == 0)
		r = pidcache_model(n->pid, n->start, &m);
	if (r == 0) {
		g_autofree char *target = format_pidns_target(&m);

		g_string_assign(out, target);
	}
	return r;
}

int pid_dir_entry(struct dir_handle *h, size_t i, struct dir_entry *e)
{
	struct node n = h->dir;

	if (i >= PF_COUNT)
		return -1;
	n.kind = NODE_PID_FILE;
	n.file = (unsigned)i;
	entry_set(e, pid_file_name(n.file), &n);
	return 1;
}

/*
 * The name is the one fact about a process that changes while it lives (exec, PR_SET_NAME):
 * read it now, not from the cached model, and check the PID still names the process after.
 */
static int fresh_comm(const struct node *n, struct proc_model *m)
{
	struct proc_stat st;
	int r = proc_read_stat(n->pid, &st);

	if (r == 0)
		r = pidcache_check(n->pid, n->start);
	if (r == 0)
		g_strlcpy(m->comm, st.comm, sizeof(m->comm));
	return r;
}

int pid_file_content(const struct viewer *v, const struct node *n, GString **out)
{
	struct proc_model m;
	int r = viewer_check_process(v, n->pid);

	if (r == 0)
		r = pidcache_model(n->pid, n->start, &m);
	if (r == 0 && n->file == PF_JSON)
		r = fresh_comm(n, &m);
	if (r < 0)
		return r;
	*out = n->file == PF_JSON ? format_pid_json(&m) : format_pid_file(n->file, &m);
	return 0;
}

/* A PID's directory, <pid>/, and its files: what the process is, seen from each namespace. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "container.h"
#include "format.h"
#include "format_container.h"
#include "metrics_parse.h"
#include "node.h"
#include "node_class.h"
#include "pidcache.h"
#include "proc.h"
#include "reply.h"
#include "strategy.h"
#include "tree_internal.h"
#include "visibility.h"

/* A file of <pid>/: its text, from the process's model. */
struct pid_file {
	struct node_class class;
	GString *(*format)(const struct proc_model *m);
};

static int pid_file_content(const struct viewer *v, const struct node *n, GString **out);
static int pid_container_content(const struct viewer *v, const struct node *n, GString **out);
static int pid_json_content(const struct viewer *v, const struct node *n, GString **out);
static int pid_cgroup_content(const struct viewer *v, const struct node *n, GString **out);

#define PID_FILE(name_, cache_, format_)                                                           \
	{                                                                                          \
		.class = {.name = (name_), .cache = (cache_), .content = pid_file_content},        \
		.format = (format_),                                                               \
	}

/* A file read from more than the model, by content. */
#define PID_FILE_READ(name_, content_)                                                             \
	{                                                                                          \
		.class = {.name = (name_), .cache = NC_CHANGING, .content = (content_)},           \
	}

/* Append only: a row's index is in its inode numbers (node.h). */
static const struct pid_file pid_files[] = {
    PID_FILE("init", NC_FIXED, format_pid_init),
    PID_FILE("nspid", NC_FIXED, format_pid_nspid),
    PID_FILE("ancestors", NC_FIXED, format_pid_ancestors),
    PID_FILE("ns", NC_FIXED, format_pid_ns),
    PID_FILE("level", NC_FIXED, format_pid_level),
    PID_FILE("pidns", NC_LINK, format_pidns_target),
    /* Changing: it holds the process's name, which exec and PR_SET_NAME change. */
    PID_FILE_READ("json", pid_json_content),
    PID_FILE_READ("container", pid_container_content),
    PID_FILE_READ("cgroup", pid_cgroup_content),
};

G_STATIC_ASSERT(G_N_ELEMENTS(pid_files) <= PID_FILES_MAX);

size_t pid_file_count(void)
{
	return G_N_ELEMENTS(pid_files);
}

const struct node_class *pid_file_class(unsigned file)
{
	return file < G_N_ELEMENTS(pid_files) ? &pid_files[file].class : NULL;
}

int pid_file_find(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(pid_files); i++) {
		if (strcmp(name, pid_files[i].class.name) == 0)
			return (int)i;
	}
	return -ENOENT;
}

GString *pid_file_text(const struct node *n, const struct proc_model *m)
{
	return pid_files[n->file].format(m);
}

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
 * LOOKUP, which this thread then reads. Not where resolving forks helpers: a listing
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

static void lookup_in_pid_dir(fuse_req_t req, const struct node *dir, const char *name)
{
	struct node n = *dir;
	int f = pid_file_find(name);
	int r = f < 0 ? f : check_visible(req, dir->pid);

	if (r == 0)
		r = check_pid_node(dir);
	n.kind = NODE_PID_FILE;
	n.file = (unsigned)f;
	if (r == 0 && node_content_is_fixed(&n))
		reply_fixed_file(req, &n);
	else
		reply_node_or_err(req, r, &n, TTL_FOREVER);
}

static int pid_dir_entry(struct dir_handle *h, size_t i, struct dir_entry *e)
{
	struct node n = h->dir;

	if (i >= G_N_ELEMENTS(pid_files))
		return -1;
	n.kind = NODE_PID_FILE;
	n.file = (unsigned)i;
	entry_set(e, pid_files[i].class.name, &n);
	return 1;
}

/*
 * The name is the one fact about a process that changes while it lives (exec, PR_SET_NAME):
 * read it now for a changing file, not from the cached model, and check the PID still names
 * the process after.
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

static int pid_file_content(const struct viewer *v, const struct node *n, GString **out)
{
	struct proc_model m;
	int r = viewer_check_process(v, n->pid);

	if (r == 0)
		r = pidcache_model(n->pid, n->start, &m);
	if (r == 0 && pid_files[n->file].class.cache == NC_CHANGING)
		r = fresh_comm(n, &m);
	if (r < 0)
		return r;
	*out = pid_file_text(n, &m);
	return 0;
}

static int open_pid_dir(struct dir_handle *h)
{
	int r = viewer_check_process(&h->viewer, h->dir.pid);

	return r < 0 ? r : check_pid_node(&h->dir);
}

const struct node_class pid_dir_class = {
    .cache = NC_DIR,
    .lookup = lookup_in_pid_dir,
    .open_dir = open_pid_dir,
    .entry = pid_dir_entry,
};

/*
 * The process's model, with its name read now if fresh, and the container of its namespace's
 * init in *c (*in_one false: none, as for the daemon's own namespace).
 */
static int model_and_container(const struct viewer *v, const struct node *n, bool fresh,
			       struct proc_model *m, struct container_info *c, bool *in_one)
{
	int r = viewer_check_process(v, n->pid);

	if (r == 0)
		r = pidcache_model(n->pid, n->start, m);
	if (r == 0 && fresh)
		r = fresh_comm(n, m);
	if (r < 0)
		return r;
	r = m->depth > 1 ? container_of(model_own(m)->init, c) : -ENOENT;
	*in_one = r == 0;
	return r == -ENOENT ? 0 : r;
}

static int pid_container_content(const struct viewer *v, const struct node *n, GString **out)
{
	struct container_info c;
	struct proc_model m;
	bool in_one;
	int r = model_and_container(v, n, false, &m, &c, &in_one);

	if (r == 0)
		*out = format_container(in_one ? &c : NULL);
	return r;
}

static int pid_json_content(const struct viewer *v, const struct node *n, GString **out)
{
	struct container_info c;
	struct proc_model m;
	bool in_one;
	int r = model_and_container(v, n, true, &m, &c, &in_one);

	if (r == 0)
		*out = format_pid_json(&m, in_one ? &c : NULL);
	return r;
}

/* As the metrics' cgroup label, from the host's cgroup namespace, the daemon's. */
static int pid_cgroup_content(const struct viewer *v, const struct node *n, GString **out)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/cgroup", n->pid);
	g_autofree char *text = NULL, *cgroup = NULL;
	int r = viewer_check_process(v, n->pid);

	if (r < 0)
		return r;
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return -ENOENT;
	metrics_parse_cgroup(text, &cgroup, NULL);
	/* Read through the PID: it must still name the process the node does. */
	r = pidcache_check(n->pid, n->start);
	if (r < 0)
		return r;
	*out = g_string_new(cgroup ? cgroup : "");
	g_string_append_c(*out, '\n');
	return 0;
}

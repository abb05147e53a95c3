#include "nsmodel.h"

#include <errno.h>
#include <string.h>

static void ns_info_free(gpointer p)
{
	struct ns_info *ns = p;

	g_array_unref(ns->children);
	g_array_unref(ns->members);
	g_free(ns);
}

static struct ns_info *ns_info_new(uint64_t ino, uint64_t parent, unsigned level)
{
	struct ns_info *ns = g_new0(struct ns_info, 1);

	ns->ino = ino;
	ns->parent = parent;
	ns->level = level;
	ns->children = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	ns->members = g_array_new(FALSE, FALSE, sizeof(guint));
	return ns;
}

struct ns_model *ns_model_new(uint64_t root_ino)
{
	struct ns_model *m = g_atomic_rc_box_new0(struct ns_model);

	m->built_at = g_get_monotonic_time();
	m->root_ino = root_ino;
	m->procs = g_array_new(FALSE, FALSE, sizeof(struct ns_proc));
	m->nspids = g_array_new(FALSE, FALSE, sizeof(pid_t));
	m->by_ino = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, ns_info_free);
	m->order = g_ptr_array_new();
	ns_model_add_ns(m, root_ino, 0, 0);
	return m;
}

struct ns_model *ns_model_ref(struct ns_model *m)
{
	return g_atomic_rc_box_acquire(m);
}

static void ns_model_clear(struct ns_model *m)
{
	g_array_unref(m->procs);
	g_array_unref(m->nspids);
	g_ptr_array_unref(m->order);
	g_hash_table_unref(m->by_ino);
}

void ns_model_unref(struct ns_model *m)
{
	if (m)
		g_atomic_rc_box_release_full(m, (GDestroyNotify)ns_model_clear);
}

void ns_model_add_ns(struct ns_model *m, uint64_t ino, uint64_t parent, unsigned level)
{
	struct ns_info *ns;

	if (g_hash_table_contains(m->by_ino, &ino))
		return;
	/* The key lives in the value, which the table frees. */
	ns = ns_info_new(ino, parent, level);
	g_hash_table_insert(m->by_ino, &ns->ino, ns);
}

bool ns_model_has_ns(const struct ns_model *m, uint64_t ino)
{
	return g_hash_table_contains(m->by_ino, &ino);
}

void ns_model_add_proc(struct ns_model *m, pid_t host_pid, char state, unsigned threads,
		       const char *comm, uint64_t ns_ino, const pid_t *nspid, unsigned depth,
		       uint64_t start)
{
	struct ns_proc p = {
	    .host_pid = host_pid,
	    .state = state,
	    .threads = threads,
	    .depth = depth,
	    .nspid_off = m->nspids->len,
	    .ns_ino = ns_ino,
	    .start = start,
	};
	struct ns_info *ns = g_hash_table_lookup(m->by_ino, &ns_ino);

	g_strlcpy(p.comm, comm, sizeof(p.comm));
	g_array_append_vals(m->nspids, nspid, depth);
	g_array_append_val(m->procs, p);
	/* The process whose PID in its own namespace is 1 is that namespace's init. */
	if (ns && depth == ns->level + 1 && nspid[depth - 1] == 1 && !ns_proc_is_zombie(&p)) {
		ns->init = host_pid;
		ns->init_start = start;
	}
}

const struct ns_info *ns_model_find(const struct ns_model *m, uint64_t ino)
{
	return g_hash_table_lookup(m->by_ino, &ino);
}

const struct ns_info *ns_model_root(const struct ns_model *m)
{
	return ns_model_find(m, m->root_ino);
}

const struct ns_proc *ns_model_proc(const struct ns_model *m, guint index)
{
	return &g_array_index(m->procs, struct ns_proc, index);
}

pid_t ns_proc_pid_at(const struct ns_model *m, const struct ns_proc *p, unsigned level)
{
	return level < p->depth ? g_array_index(m->nspids, pid_t, p->nspid_off + level) : 0;
}

bool ns_model_is_below(const struct ns_model *m, const struct ns_info *ns, uint64_t inner)
{
	const struct ns_info *q = ns_model_find(m, inner);

	while (q && q->level > ns->level)
		q = ns_model_find(m, q->parent);
	return q == ns;
}

static gint compare_u64(gconstpointer a, gconstpointer b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Sort context for members: the level whose PIDs order them. */
struct member_order {
	const struct ns_model *m;
	unsigned level;
};

static gint compare_members(gconstpointer a, gconstpointer b, gpointer data)
{
	const struct member_order *o = data;
	pid_t x = ns_proc_pid_at(o->m, ns_model_proc(o->m, *(const guint *)a), o->level);
	pid_t y = ns_proc_pid_at(o->m, ns_model_proc(o->m, *(const guint *)b), o->level);

	return (x > y) - (x < y);
}

/*
 * Members are added by host PID, and PIDs are handed out rising in every namespace at once,
 * so they are mostly in order already: checking is linear, sorting is not.
 */
static bool members_sorted(const struct member_order *o, const GArray *members)
{
	for (guint i = 1; i < members->len; i++) {
		if (compare_members(&g_array_index(members, guint, i - 1),
				    &g_array_index(members, guint, i), (gpointer)o) > 0)
			return false;
	}
	return true;
}

/* Add process i to its own namespace and each one above it. */
static void add_member(struct ns_model *m, guint i)
{
	const struct ns_proc *p = ns_model_proc(m, i);
	struct ns_info *ns = g_hash_table_lookup(m->by_ino, &p->ns_ino);

	if (ns)
		ns->direct++;
	for (; ns; ns = ns->level ? g_hash_table_lookup(m->by_ino, &ns->parent) : NULL)
		g_array_append_val(ns->members, i);
}

static void visit(struct ns_model *m, struct ns_info *ns)
{
	g_ptr_array_add(m->order, ns);
	for (guint i = 0; i < ns->children->len; i++)
		visit(m, g_hash_table_lookup(m->by_ino, &g_array_index(ns->children, uint64_t, i)));
}

void ns_model_finish(struct ns_model *m)
{
	GHashTableIter it;
	struct ns_info *ns, *root = NULL;

	g_hash_table_iter_init(&it, m->by_ino);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&ns)) {
		struct ns_info *parent =
		    ns->level ? g_hash_table_lookup(m->by_ino, &ns->parent) : NULL;

		if (parent)
			g_array_append_val(parent->children, ns->ino);
		else if (ns->level == 0)
			root = ns;
	}
	for (guint i = 0; i < m->procs->len; i++)
		add_member(m, i);
	g_hash_table_iter_init(&it, m->by_ino);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&ns)) {
		struct member_order o = {.m = m, .level = ns->level};

		g_array_sort(ns->children, compare_u64);
		if (!members_sorted(&o, ns->members))
			g_array_sort_with_data(ns->members, compare_members, &o);
	}
	if (root)
		visit(m, root);
}

/* members are sorted by their PID at the namespace's level. */
int ns_model_find_member(const struct ns_model *m, uint64_t ns_ino, pid_t nspid, pid_t *host)
{
	const struct ns_info *ns = ns_model_find(m, ns_ino);
	guint lo = 0, hi = ns ? ns->members->len : 0;

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

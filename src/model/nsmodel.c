/*
 * Who frees what. Every process record and namespace info belongs to the newest model that
 * holds it. A model derived from another takes over what it shares with it; what it does not
 * share (processes dropped, namespaces changed or gone) stays with the older one, in its
 * retired lists. The older model holds a reference to the newer, so a shared object outlives
 * every model that holds it. A model with no newer one frees everything it holds.
 */
#include "nsmodel.h"

#include <errno.h>
#include <string.h>

static struct ns_info *ns_info_new(uint64_t ino, uint64_t parent, unsigned level)
{
	struct ns_info *ns = g_new0(struct ns_info, 1);

	ns->ino = ino;
	ns->parent = parent;
	ns->level = level;
	ns->children = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	ns->members = g_ptr_array_new();
	return ns;
}

static void ns_info_free(gpointer p)
{
	struct ns_info *ns = p;

	g_array_unref(ns->children);
	g_ptr_array_unref(ns->members);
	g_free(ns);
}

/* A copy of what ns says of itself, for a model in which its processes change. */
static struct ns_info *ns_info_copy(const struct ns_info *ns)
{
	struct ns_info *c = ns_info_new(ns->ino, ns->parent, ns->level);

	c->init_id = ns->init_id;
	c->has_init_id = ns->has_init_id;
	c->init = ns->init;
	c->init_start = ns->init_start;
	return c;
}

/* A model being built, holding no namespace yet. */
static struct ns_model *model_alloc(uint64_t root_ino)
{
	struct ns_model *m = g_atomic_rc_box_new0(struct ns_model);

	m->built_at = g_get_monotonic_time();
	m->root_ino = root_ino;
	m->by_ino = g_hash_table_new(g_int64_hash, g_int64_equal);
	m->order = g_ptr_array_new();
	m->retired_procs = g_ptr_array_new_with_free_func(g_free);
	m->retired_ns = g_ptr_array_new_with_free_func(ns_info_free);
	m->added = g_ptr_array_new();
	m->fresh_ns = g_hash_table_new(NULL, NULL);
	return m;
}

struct ns_model *ns_model_new(uint64_t root_ino)
{
	struct ns_model *m = model_alloc(root_ino);

	ns_model_add_ns(m, root_ino, 0, 0);
	return m;
}

struct ns_model *ns_model_ref(struct ns_model *m)
{
	return g_atomic_rc_box_acquire(m);
}

static void free_held(struct ns_model *m)
{
	GHashTableIter it;
	struct ns_info *ns;
	const struct ns_info *root = ns_model_root(m);

	for (guint i = 0; root && i < root->members->len; i++)
		g_free(g_ptr_array_index(root->members, i));
	g_hash_table_iter_init(&it, m->by_ino);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&ns))
		ns_info_free(ns);
}

static void ns_model_clear(struct ns_model *m)
{
	g_ptr_array_unref(m->retired_procs);
	g_ptr_array_unref(m->retired_ns);
	if (m->newer)
		ns_model_unref(m->newer);
	else
		free_held(m);
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
	/* The key lives in the value. */
	ns = ns_info_new(ino, parent, level);
	g_hash_table_insert(m->by_ino, &ns->ino, ns);
	g_hash_table_add(m->fresh_ns, ns);
}

bool ns_model_has_ns(const struct ns_model *m, uint64_t ino)
{
	return g_hash_table_contains(m->by_ino, &ino);
}

static struct ns_info *own_ns(struct ns_model *m, uint64_t ino);

struct ns_model *ns_model_derive(struct ns_model *base)
{
	struct ns_model *m;
	GHashTableIter it;
	gpointer key, value;

	g_return_val_if_fail(base->newer == NULL, NULL);
	m = model_alloc(base->root_ino);
	g_hash_table_iter_init(&it, base->by_ino);
	while (g_hash_table_iter_next(&it, &key, &value))
		g_hash_table_insert(m->by_ino, key, value);
	m->dropped = g_hash_table_new(NULL, NULL);
	m->base = base;
	return m;
}

/*
 * Namespaces no process of a derived model has a PID in leave it. A whole build keeps those it
 * was told of (a process it met there vanished): they leave at the next derived model.
 */
static void mark_empty(struct ns_model *m)
{
	g_autoptr(GArray) empty = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	GHashTableIter it;
	struct ns_info *ns;

	g_hash_table_iter_init(&it, m->by_ino);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&ns)) {
		if (ns->level > 0 && ns->members->len == 0)
			g_array_append_val(empty, ns->ino);
	}
	for (guint i = 0; i < empty->len; i++)
		own_ns(m, g_array_index(empty, uint64_t, i));
}

const GPtrArray *ns_model_procs(const struct ns_model *m)
{
	return ns_model_root(m)->members;
}

/* Root members run by host PID. */
const struct ns_proc *ns_model_proc_of(const struct ns_model *m, pid_t pid)
{
	const GPtrArray *all = ns_model_procs(m);
	guint lo = 0, hi = all->len;

	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;
		const struct ns_proc *p = g_ptr_array_index(all, mid);

		if (p->host_pid == pid)
			return p;
		if (p->host_pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void ns_model_drop_proc(struct ns_model *m, pid_t pid)
{
	const struct ns_proc *p = m->base ? ns_model_proc_of(m->base, pid) : NULL;

	if (p)
		g_hash_table_add(m->dropped, (gpointer)p);
}

void ns_model_add_proc(struct ns_model *m, pid_t host_pid, char state, unsigned threads,
		       const char *comm, uint64_t ns_ino, const pid_t *nspid, unsigned depth,
		       uint64_t start)
{
	struct ns_proc *p = g_malloc0(sizeof(*p) + depth * sizeof(pid_t));

	p->host_pid = host_pid;
	p->state = state;
	p->threads = threads;
	p->depth = depth;
	p->ns_ino = ns_ino;
	p->start = start;
	g_strlcpy(p->comm, comm, sizeof(p->comm));
	memcpy(p->nspid, nspid, depth * sizeof(pid_t));
	g_ptr_array_add(m->added, p);
}

const struct ns_info *ns_model_find(const struct ns_model *m, uint64_t ino)
{
	return g_hash_table_lookup(m->by_ino, &ino);
}

const struct ns_info *ns_model_root(const struct ns_model *m)
{
	return ns_model_find(m, m->root_ino);
}

bool ns_model_is_below(const struct ns_model *m, const struct ns_info *ns, uint64_t inner)
{
	const struct ns_info *q;

	if (ns->level == 0)
		return ns_model_has_ns(m, inner);
	q = ns_model_find(m, inner);
	while (q && q->level > ns->level)
		q = ns_model_find(m, q->parent);
	return q == ns;
}

static gint compare_u64(gconstpointer a, gconstpointer b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static gint compare_at(const struct ns_proc *a, const struct ns_proc *b, unsigned level)
{
	pid_t x = ns_proc_pid_at(a, level), y = ns_proc_pid_at(b, level);

	return (x > y) - (x < y);
}

static gint compare_members(gconstpointer a, gconstpointer b, gpointer level)
{
	return compare_at(*(const struct ns_proc *const *)a, *(const struct ns_proc *const *)b,
			  GPOINTER_TO_UINT(level));
}

/*
 * Processes are added by host PID, and PIDs are handed out rising in every namespace at once,
 * so each namespace's share is mostly in order already: checking is linear, sorting is not.
 */
static void sort_at(GPtrArray *procs, unsigned level)
{
	for (guint i = 1; i < procs->len; i++) {
		if (compare_at(g_ptr_array_index(procs, i - 1), g_ptr_array_index(procs, i),
			       level) > 0) {
			g_ptr_array_sort_with_data(procs, compare_members, GUINT_TO_POINTER(level));
			return;
		}
	}
}

/* With a derived model: the namespace ino as this model's own, copied from the base's. */
static struct ns_info *own_ns(struct ns_model *m, uint64_t ino)
{
	struct ns_info *ns = g_hash_table_lookup(m->by_ino, &ino), *c;

	if (!ns || g_hash_table_contains(m->fresh_ns, ns))
		return ns;
	c = ns_info_copy(ns);
	g_ptr_array_add(m->base->retired_ns, ns);
	g_hash_table_replace(m->by_ino, &c->ino, c);
	g_hash_table_add(m->fresh_ns, c);
	return c;
}

/*
 * Every namespace a dropped or added process has a PID in changes: each gets a new info, and
 * adds (ino -> GPtrArray) the processes added there.
 */
static void mark_changed(struct ns_model *m, const struct ns_proc *p, GHashTable *adds)
{
	for (struct ns_info *ns = own_ns(m, p->ns_ino); ns;
	     ns = ns->level ? own_ns(m, ns->parent) : NULL) {
		GPtrArray *a;

		if (!adds)
			continue;
		a = g_hash_table_lookup(adds, &ns->ino);
		if (!a) {
			a = g_ptr_array_new();
			g_hash_table_insert(adds, &ns->ino, a);
		}
		g_ptr_array_add(a, (gpointer)p);
	}
}

/*
 * ns and every namespace the base had below it leave the model, with their processes; not a
 * namespace this model already has anew under another parent (its number was reused too).
 */
static void forget_below(struct ns_model *m, struct ns_info *ns)
{
	const struct ns_info *was = ns_model_find(m->base, ns->ino);

	for (guint i = 0; was && i < was->members->len; i++)
		g_hash_table_add(m->dropped, (gpointer)ns_member(was, i));
	for (guint i = 0; was && i < was->children->len; i++) {
		struct ns_info *c =
		    g_hash_table_lookup(m->by_ino, &g_array_index(was->children, uint64_t, i));

		if (c && c->parent == ns->ino)
			forget_below(m, c);
	}
	g_hash_table_remove(m->by_ino, &ns->ino);
	if (g_hash_table_remove(m->fresh_ns, ns))
		ns_info_free(ns);
	else
		g_ptr_array_add(m->base->retired_ns, ns);
}

void ns_model_forget_ns(struct ns_model *m, uint64_t ino)
{
	struct ns_info *ns = g_hash_table_lookup(m->by_ino, &ino);

	if (!ns || !m->base || ns->level == 0)
		return;
	/* The namespaces above lose those processes: they change, as the processes' walk up
	 * from a namespace no longer here would not find them. */
	for (uint64_t up = ns->parent; up;) {
		struct ns_info *a = own_ns(m, up);

		up = a && a->level ? a->parent : 0;
	}
	forget_below(m, ns);
}

/* Whether p's namespace and every one above it are in the model: else it cannot be listed. */
static bool chain_known(const struct ns_model *m, const struct ns_proc *p)
{
	const struct ns_info *ns = ns_model_find(m, p->ns_ino);

	while (ns && ns->level > 0)
		ns = ns_model_find(m, ns->parent);
	return ns != NULL;
}

/* ns's members: the base's less those dropped, merged with those added (sorted). */
static void merge_members(struct ns_model *m, struct ns_info *ns, GPtrArray *add)
{
	const struct ns_info *was = m->base ? ns_model_find(m->base, ns->ino) : NULL;
	const GPtrArray *old = was ? was->members : NULL;
	guint i = 0, j = 0, n_old = old ? old->len : 0, n_add = add ? add->len : 0;
	bool dropping = m->dropped && g_hash_table_size(m->dropped) > 0;

	if (add)
		sort_at(add, ns->level);
	g_ptr_array_set_size(ns->members, 0);
	while (i < n_old || j < n_add) {
		const struct ns_proc *a = i < n_old ? g_ptr_array_index(old, i) : NULL;
		const struct ns_proc *b = j < n_add ? g_ptr_array_index(add, j) : NULL;

		if (a && dropping && g_hash_table_contains(m->dropped, a)) {
			i++;
			continue;
		}
		if (a && (!b || compare_at(a, b, ns->level) <= 0)) {
			g_ptr_array_add(ns->members, (gpointer)a);
			i++;
		} else {
			g_ptr_array_add(ns->members, (gpointer)b);
			j++;
		}
	}
}

/* The init, direct count; whether the namespace stays (see mark_empty()). */
static bool settle(struct ns_info *ns, bool derived)
{
	const struct ns_proc *first = ns->members->len ? ns_member(ns, 0) : NULL;
	bool had = ns->init > 0;
	pid_t init = ns->init;

	ns->direct = 0;
	for (guint i = 0; i < ns->members->len; i++)
		ns->direct += ns_member(ns, i)->ns_ino == ns->ino;
	/* The process whose PID in its own namespace is 1 is that namespace's init. */
	if (first && first->ns_ino == ns->ino && ns_proc_pid_at(first, ns->level) == 1 &&
	    !ns_proc_is_zombie(first)) {
		ns->init = first->host_pid;
		ns->init_start = first->start;
	} else {
		ns->init = 0;
		ns->init_start = 0;
	}
	if (!had || init != ns->init)
		ns->has_init_id = false;
	return ns->members->len > 0 || ns->level == 0 || !derived;
}

static void drop_ns(struct ns_model *m, struct ns_info *ns)
{
	g_hash_table_remove(m->by_ino, &ns->ino);
	ns_info_free(ns);
}

static void visit(struct ns_model *m, struct ns_info *ns)
{
	g_ptr_array_add(m->order, ns);
	for (guint i = 0; i < ns->children->len; i++)
		visit(m, g_hash_table_lookup(m->by_ino, &g_array_index(ns->children, uint64_t, i)));
}

/* Children of each changed namespace, from every namespace's parent link. */
static void link_children(struct ns_model *m)
{
	GHashTableIter it;
	struct ns_info *ns, *parent;

	g_hash_table_iter_init(&it, m->fresh_ns);
	while (g_hash_table_iter_next(&it, (gpointer *)&ns, NULL))
		g_array_set_size(ns->children, 0);
	g_hash_table_iter_init(&it, m->by_ino);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&ns)) {
		parent = ns->level ? g_hash_table_lookup(m->by_ino, &ns->parent) : NULL;
		if (parent && g_hash_table_contains(m->fresh_ns, parent))
			g_array_append_val(parent->children, ns->ino);
	}
	g_hash_table_iter_init(&it, m->fresh_ns);
	while (g_hash_table_iter_next(&it, (gpointer *)&ns, NULL))
		g_array_sort(ns->children, compare_u64);
}

void ns_model_finish(struct ns_model *m)
{
	ns_model_finish_with(m, NULL);
}

void ns_model_finish_with(struct ns_model *m, ns_changed_fn changed)
{
	g_autoptr(GHashTable) adds = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL,
							   (GDestroyNotify)g_ptr_array_unref);
	g_autoptr(GPtrArray) fresh = g_ptr_array_new();
	GHashTableIter it;
	struct ns_proc *p;
	struct ns_info *ns;

	if (m->base) {
		mark_empty(m);
		g_hash_table_iter_init(&it, m->dropped);
		while (g_hash_table_iter_next(&it, (gpointer *)&p, NULL)) {
			mark_changed(m, p, NULL);
			g_ptr_array_add(m->base->retired_procs, p);
		}
	}
	for (guint i = 0; i < m->added->len; i++) {
		p = g_ptr_array_index(m->added, i);
		if (chain_known(m, p))
			mark_changed(m, p, adds);
		else
			g_free(p);
	}
	/* Dead namespaces leave the table while it is walked: walk a list. */
	g_hash_table_iter_init(&it, m->fresh_ns);
	while (g_hash_table_iter_next(&it, (gpointer *)&ns, NULL))
		g_ptr_array_add(fresh, ns);
	for (guint i = 0; i < fresh->len; i++) {
		ns = g_ptr_array_index(fresh, i);
		merge_members(m, ns, g_hash_table_lookup(adds, &ns->ino));
		if (!settle(ns, m->base != NULL)) {
			g_hash_table_remove(m->fresh_ns, ns);
			drop_ns(m, ns);
		} else if (changed) {
			changed(ns);
		}
	}
	link_children(m);
	visit(m, g_hash_table_lookup(m->by_ino, &m->root_ino));
	if (m->base)
		m->base->newer = ns_model_ref(m);
	m->base = NULL;
	g_clear_pointer(&m->added, g_ptr_array_unref);
	g_clear_pointer(&m->dropped, g_hash_table_unref);
	g_clear_pointer(&m->fresh_ns, g_hash_table_unref);
}

/* members are sorted by their PID at the namespace's level. */
int ns_model_find_member(const struct ns_model *m, uint64_t ns_ino, pid_t nspid, pid_t *host)
{
	const struct ns_info *ns = ns_model_find(m, ns_ino);
	guint lo = 0, hi = ns ? ns->members->len : 0;

	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;
		const struct ns_proc *p = ns_member(ns, mid);
		pid_t v = ns_proc_pid_at(p, ns->level);

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

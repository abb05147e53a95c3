#include "format_ns.h"

#include <inttypes.h>
#include <string.h>

#include "escape.h"
#include "format_container.h"
#include "json.h"

GString *format_ns_children(const struct ns_model *m, const struct ns_info *ns)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < ns->children->len; i++)
		g_string_append_printf(s, "%" PRIu64 "\n",
				       g_array_index(ns->children, uint64_t, i));
	return s;
}

/* Zombies are left out here and in every view: they have exited and only wait to be reaped. */
GString *format_ns_pids(const struct ns_model *m, const struct ns_info *ns)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < ns->members->len; i++) {
		const struct ns_proc *p = ns_member(ns, i);

		if (!ns_proc_is_zombie(p))
			g_string_append_printf(s, "%d %d\n", p->host_pid,
					       ns_proc_pid_at(p, ns->level));
	}
	return s;
}

GString *format_ns_init(const struct ns_model *m, const struct ns_info *ns)
{
	GString *s = g_string_new(NULL);

	g_string_append_printf(s, "%d\n", ns->init);
	return s;
}

GString *format_ns_level(const struct ns_model *m, const struct ns_info *ns)
{
	GString *s = g_string_new(NULL);

	g_string_append_printf(s, "%u\n", ns->level);
	return s;
}

static void json_children(GString *s, const struct ns_info *ns)
{
	g_string_append(s, "[");
	for (guint i = 0; i < ns->children->len; i++)
		g_string_append_printf(s, "%s%" PRIu64, i ? "," : "",
				       g_array_index(ns->children, uint64_t, i));
	g_string_append(s, "]");
}

static void json_pids(GString *s, const struct ns_model *m, const struct ns_info *ns)
{
	bool first = true;

	g_string_append(s, "[");
	for (guint i = 0; i < ns->members->len; i++) {
		const struct ns_proc *p = ns_member(ns, i);

		if (ns_proc_is_zombie(p))
			continue;
		g_string_append_printf(s, "%s{\"host_pid\":%d,\"ns_pid\":%d,\"comm\":",
				       first ? "" : ",", p->host_pid, ns_proc_pid_at(p, ns->level));
		json_append_string(s, p->comm);
		g_string_append(s, "}");
		first = false;
	}
	g_string_append(s, "]");
}

GString *format_ns_parent_target(const struct ns_model *m, const struct ns_info *ns)
{
	GString *s = g_string_sized_new(32);

	g_string_printf(s, "../%" PRIu64, ns->parent);
	return s;
}

GString *format_ns_json(const struct ns_model *m, const struct ns_info *ns,
			const struct container_info *c)
{
	GString *s = g_string_sized_new(256);

	g_string_append_printf(s, "{\"ns\":%" PRIu64 ",\"level\":%u,\"parent\":", ns->ino,
			       ns->level);
	/* Level 0 is the daemon's own namespace: its parent, if any, is not ours to show. */
	if (ns->level)
		g_string_append_printf(s, "%" PRIu64, ns->parent);
	else
		g_string_append(s, "null");
	g_string_append_printf(s, ",\"init\":%d,\"children\":", ns->init);
	json_children(s, ns);
	g_string_append(s, ",\"pids\":");
	json_pids(s, m, ns);
	g_string_append(s, ",\"container\":");
	json_append_container(s, c);
	g_string_append(s, "}\n");
	return s;
}

static void tree_indent(GString *s, unsigned depth)
{
	for (unsigned k = 0; k < depth; k++)
		g_string_append(s, "  ");
}

/* The init is a direct member with PID 1 here, so first in members, but search to be sure. */
static const struct ns_proc *find_init(const struct ns_model *m, const struct ns_info *ns)
{
	for (guint i = 0; ns->init && i < ns->members->len; i++) {
		const struct ns_proc *p = ns_member(ns, i);

		if (p->host_pid == ns->init)
			return p;
	}
	return NULL;
}

static void tree_ns_line(GString *s, const struct ns_model *m, const struct ns_info *ns,
			 unsigned depth)
{
	const struct ns_proc *init = find_init(m, ns);

	tree_indent(s, depth);
	g_string_append_printf(s, "ns %" PRIu64 " level %u init %d", ns->ino, ns->level, ns->init);
	if (init) {
		g_string_append(s, " (");
		escape_append_name(s, init->comm, strlen(init->comm));
		g_string_append(s, ")");
	}
	g_string_append(s, "\n");
}

/* A process's PIDs from the host's namespace inwards, then its name. */
static void tree_proc_line(GString *s, const struct ns_model *m, const struct ns_proc *p,
			   unsigned depth)
{
	tree_indent(s, depth);
	for (unsigned k = 0; k < p->depth; k++)
		g_string_append_printf(s, "%s%d", k ? ":" : "", ns_proc_pid_at(p, k));
	g_string_append(s, " ");
	escape_append_name(s, p->comm, strlen(p->comm));
	g_string_append(s, "\n");
}

/*
 * Levels grow on the way down, so the recursion ends, at most 33 deep as the kernel nests no
 * more: checked rather than trusted, as inodes recycled during a scan could link in a loop.
 */
static void tree_ns(GString *s, const struct ns_model *m, const struct ns_info *ns, unsigned depth)
{
	tree_ns_line(s, m, ns, depth);
	for (guint i = 0; i < ns->members->len; i++) {
		const struct ns_proc *p = ns_member(ns, i);

		if (p->ns_ino == ns->ino && !ns_proc_is_zombie(p))
			tree_proc_line(s, m, p, depth + 1);
	}
	for (guint i = 0; i < ns->children->len; i++) {
		const struct ns_info *child =
		    ns_model_find(m, g_array_index(ns->children, uint64_t, i));

		if (child && child->level > ns->level)
			tree_ns(s, m, child, depth + 1);
	}
}

/*
 * One line per namespace, "ns INO level L init I (INIT_NAME)" ("init 0" and no name when it
 * has no init), then one per live process whose own namespace it is, "PID:PID:... NAME" with
 * the host's PID first, then its child namespaces the same way; each nesting indented two
 * spaces more. Children come by ascending inode, processes by their PID in the namespace.
 * Names are escaped (escape.h) so that each process is exactly one line and no name can drive
 * the terminal that shows it.
 */
GString *format_tree(const struct ns_model *m, const struct ns_info *top)
{
	GString *s = g_string_sized_new(1024);

	tree_ns(s, m, top, 0);
	return s;
}

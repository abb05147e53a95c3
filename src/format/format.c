#include "format.h"

#include <inttypes.h>
#include <string.h>

#include "json.h"

static void format_ancestors(GString *s, const struct proc_model *m)
{
	for (unsigned k = 0; k < m->depth; k++)
		g_string_append_printf(s, "%u %" PRIu64 " %d %d\n", k, m->lv[k].ns_ino,
				       m->lv[k].pid, m->lv[k].init);
}

GString *format_pid_file(enum pid_file f, const struct proc_model *m)
{
	const struct pidns_level *own = model_own(m);
	GString *s = g_string_sized_new(64);

	switch (f) {
	case PF_INIT:
		g_string_append_printf(s, "%d\n", own->init);
		break;
	case PF_NSPID:
		g_string_append_printf(s, "%d\n", own->pid);
		break;
	case PF_ANCESTORS:
		format_ancestors(s, m);
		break;
	case PF_NS:
		g_string_append_printf(s, "%" PRIu64 "\n", own->ns_ino);
		break;
	case PF_LEVEL:
		g_string_append_printf(s, "%u\n", m->depth - 1);
		break;
	case PF_PIDNS: /* a symlink, and JSON has its own formatter */
	case PF_JSON:
	case PF_COUNT:
		break;
	}
	return s;
}

static void json_ancestors(GString *s, const struct proc_model *m)
{
	g_string_append(s, "[");
	for (unsigned k = 0; k < m->depth; k++)
		g_string_append_printf(
		    s, "%s{\"level\":%u,\"ns\":%" PRIu64 ",\"pid\":%d,\"init\":%d}", k ? "," : "",
		    k, m->lv[k].ns_ino, m->lv[k].pid, m->lv[k].init);
	g_string_append(s, "]");
}

/* Apart from format_pid_file(): enum pid_file, in node.h, has no JSON file (yet). */
GString *format_pid_json(const struct proc_model *m)
{
	const struct pidns_level *own = model_own(m);
	GString *s = g_string_sized_new(256);

	g_string_append_printf(s, "{\"pid\":%d,\"comm\":", m->host_pid);
	/* comm is a fixed array: bounded, in case a model's name fills it. */
	json_append_string_len(s, m->comm, strnlen(m->comm, sizeof(m->comm)));
	g_string_append_printf(
	    s, ",\"nspid\":%d,\"init\":%d,\"level\":%u,\"ns\":%" PRIu64 ",\"ancestors\":", own->pid,
	    own->init, m->depth - 1, own->ns_ino);
	json_ancestors(s, m);
	g_string_append(s, "}\n");
	return s;
}

/* Relative, so that it resolves inside whatever mount point the tree is at. */
char *format_pidns_target(const struct proc_model *m)
{
	return g_strdup_printf("../ns/%" PRIu64, model_own(m)->ns_ino);
}

#include "format.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "format_container.h"
#include "json.h"

static G_GNUC_PRINTF(1, 2) GString *printed(const char *fmt, ...)
{
	GString *s = g_string_sized_new(24);
	va_list ap;

	va_start(ap, fmt);
	g_string_append_vprintf(s, fmt, ap);
	va_end(ap);
	return s;
}

GString *format_pid_init(const struct proc_model *m)
{
	return printed("%d\n", model_own(m)->init);
}

GString *format_pid_nspid(const struct proc_model *m)
{
	return printed("%d\n", model_own(m)->pid);
}

GString *format_pid_ancestors(const struct proc_model *m)
{
	GString *s = g_string_sized_new(64);

	for (unsigned k = 0; k < m->depth; k++)
		g_string_append_printf(s, "%u %" PRIu64 " %d %d\n", k, m->lv[k].ns_ino,
				       m->lv[k].pid, m->lv[k].init);
	return s;
}

GString *format_pid_ns(const struct proc_model *m)
{
	return printed("%" PRIu64 "\n", model_own(m)->ns_ino);
}

GString *format_pid_level(const struct proc_model *m)
{
	return printed("%u\n", m->depth - 1);
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

GString *format_pid_json(const struct proc_model *m, const struct container_info *c)
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
	g_string_append(s, ",\"container\":");
	json_append_container(s, c);
	g_string_append(s, "}\n");
	return s;
}

/* Relative, so that it resolves inside whatever mount point the tree is at. */
GString *format_pidns_target(const struct proc_model *m)
{
	return printed("../ns/%" PRIu64, model_own(m)->ns_ino);
}

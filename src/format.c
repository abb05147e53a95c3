#include "format.h"

#include <inttypes.h>

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
	case PF_COUNT:
		break;
	}
	return s;
}

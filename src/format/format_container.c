#include "format_container.h"

#include <string.h>

#include "escape.h"
#include "json.h"

/* The facts in the order both forms give them; absent ones are left out. */
static void each_fact(const struct container_info *c,
		      void (*fn)(const char *key, const char *value, void *arg), void *arg)
{
	const struct {
		const char *key, *value;
	} facts[] = {
	    {"runtime", container_runtime_name(c->runtime)},
	    {"id", c->id},
	    {"name", c->name},
	    {"pod_uid", c->pod_uid},
	    {"pod_name", c->pod_name},
	    {"pod_namespace", c->pod_namespace},
	    {"qos", pod_qos_name(c->qos)},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(facts); i++) {
		if (facts[i].value[0])
			fn(facts[i].key, facts[i].value, arg);
	}
}

static void text_line(const char *key, const char *value, void *s)
{
	g_string_append_printf(s, "%s ", key);
	/* Checked by the parsers already; escaped all the same, as every name a reader sees. */
	escape_append_name(s, value, strlen(value));
	g_string_append_c(s, '\n');
}

GString *format_container(const struct container_info *c)
{
	GString *s = g_string_sized_new(128);

	if (c)
		each_fact(c, text_line, s);
	return s;
}

struct json_state {
	GString *s;
	bool first;
};

static void json_member(const char *key, const char *value, void *arg)
{
	struct json_state *st = arg;

	g_string_append_printf(st->s, "%s\"%s\":", st->first ? "" : ",", key);
	json_append_string(st->s, value);
	st->first = false;
}

void json_append_container(GString *s, const struct container_info *c)
{
	struct json_state st = {.s = s, .first = true};

	if (!c) {
		g_string_append(s, "null");
		return;
	}
	g_string_append_c(s, '{');
	each_fact(c, json_member, &st);
	g_string_append_c(s, '}');
}

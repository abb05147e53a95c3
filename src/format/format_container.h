/*
 * A container's identity as text: one "KEY VALUE" line per fact known, in a fixed order
 * (runtime, id, name, pod_uid, pod_name, pod_namespace, qos); nothing for a host process. Values
 * hold no blank (container_parse.h), so `while read key value` and `grep ^id` take them as they
 * are. And the same facts as a JSON object.
 */
#pragma once

#include <glib.h>

#include "container_parse.h"

/* c NULL: not in a container, an empty text. */
GString *format_container(const struct container_info *c);
/* c NULL: null. */
void json_append_container(GString *s, const struct container_info *c);

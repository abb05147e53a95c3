/* Text of the per-process files, from the model. */
#pragma once

#include <glib.h>

#include "model.h"
#include "node.h"

GString *format_pid_file(enum pid_file f, const struct proc_model *m);
/* The process as one JSON object and a newline. */
GString *format_pid_json(const struct proc_model *m);
/* Target of the <pid>/pidns symlink: its own namespace's directory. */
char *format_pidns_target(const struct proc_model *m);

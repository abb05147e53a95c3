/* Text of the per-process files, from the model. */
#pragma once

#include <glib.h>

#include "container_parse.h"
#include "model.h"

/* The files of <pid>/, each a line: see the README for their formats. */
GString *format_pid_init(const struct proc_model *m);
GString *format_pid_nspid(const struct proc_model *m);
/* "LEVEL NS PID INIT" a line, from the root namespace down to the process's own. */
GString *format_pid_ancestors(const struct proc_model *m);
GString *format_pid_ns(const struct proc_model *m);
GString *format_pid_level(const struct proc_model *m);
/* The process as one JSON object and a newline; c its container's, or NULL (null) for none. */
GString *format_pid_json(const struct proc_model *m, const struct container_info *c);
/* Target of the <pid>/pidns symlink: its own namespace's directory. */
GString *format_pidns_target(const struct proc_model *m);

/* Text of the per-process files, from the model. */
#pragma once

#include <glib.h>

#include "model.h"
#include "node.h"

GString *format_pid_file(enum pid_file f, const struct proc_model *m);

/*
 * Text of the namespace view, from one namespace model: the files of ns/<ino>/, their JSON,
 * and the tree. Pure functions: each returns a new GString and leaves the model as it was.
 */
#pragma once

#include <glib.h>

#include "container_parse.h"
#include "nsmodel.h"

/* Child namespace inodes, one a line, ascending. */
GString *format_ns_children(const struct ns_model *m, const struct ns_info *ns);
/* "HOST_PID NS_PID" a line for each live process with a PID in ns, by NS_PID. */
GString *format_ns_pids(const struct ns_model *m, const struct ns_info *ns);
GString *format_ns_init(const struct ns_model *m, const struct ns_info *ns);
GString *format_ns_level(const struct ns_model *m, const struct ns_info *ns);
/* Target of the ns/<inode>/parent symlink: its parent's directory, beside it. */
GString *format_ns_parent_target(const struct ns_model *m, const struct ns_info *ns);
/* All of the above as one JSON object and a newline, with c the init's container (NULL: null). */
GString *format_ns_json(const struct ns_model *m, const struct ns_info *ns,
			const struct container_info *c);
/* top and every namespace below it, with their processes: see format_ns.c for the format. */
GString *format_tree(const struct ns_model *m, const struct ns_info *top);

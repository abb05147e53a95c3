/* metrics/: the Prometheus text file, one per view like tree. */
#include <errno.h>
#include <string.h>

#include "handle.h"
#include "metrics.h"
#include "node.h"
#include "node_class.h"
#include "tree_internal.h"
#include "visibility.h"

static void lookup_in_metrics_dir(fuse_req_t req, const struct node *dir, const char *name)
{
	struct node n = {.kind = NODE_METRICS_FILE};

	if (strcmp(name, metrics_file_class.name) == 0)
		reply_view_file(req, &n);
	else
		fuse_reply_err(req, ENOENT);
}

static int metrics_dir_entry(struct dir_handle *h, size_t i, struct dir_entry *e)
{
	struct node n = {.kind = NODE_METRICS_FILE, .view = viewer_view(&h->viewer)};

	if (i > 0)
		return -1;
	entry_set(e, metrics_file_class.name, &n);
	return 1;
}

/*
 * The namespaces the reader may see, as tree shows them; the daemon's own counters only for a
 * reader who sees the whole host.
 */
static GString *build_metrics(const struct viewer *v, const struct ns_model *m,
			      const struct ns_info *top, gint64 began)
{
	struct metrics_tree_counts tree;

	handle_counts(&tree.open_files, &tree.open_file_bytes);
	return metrics_text(m, top, v->scope == VIEWER_ALL, began, &tree);
}

static int metrics_content(const struct viewer *v, const struct node *n, GString **out)
{
	return view_file_content(v, build_metrics, out);
}

static int open_metrics_dir(struct dir_handle *h)
{
	return 0;
}

const struct node_class metrics_dir_class = {
    .name = "metrics",
    .cache = NC_DIR,
    .lookup = lookup_in_metrics_dir,
    .open_dir = open_metrics_dir,
    .entry = metrics_dir_entry,
};

const struct node_class metrics_file_class = {
    .name = "nspidfs.prom",
    .cache = NC_CHANGING,
    .per_view = true,
    .content = metrics_content,
};

/* metrics/: the Prometheus text file, one per view like tree. */
#include <errno.h>
#include <string.h>

#include "metrics.h"
#include "node.h"
#include "tree_internal.h"
#include "visibility.h"

void lookup_in_metrics_dir(fuse_req_t req, const char *name)
{
	if (strcmp(name, METRICS_FILE_NAME) == 0)
		reply_view_file(req, NODE_METRICS_FILE);
	else
		fuse_reply_err(req, ENOENT);
}

int metrics_dir_entry(struct dir_handle *h, size_t i, struct dir_entry *e)
{
	struct node n = {.kind = NODE_METRICS_FILE, .view = viewer_view(&h->viewer)};

	if (i > 0)
		return -1;
	entry_set(e, METRICS_FILE_NAME, &n);
	return 1;
}

/*
 * The namespaces the reader may see, as tree shows them; the daemon's own counters only for a
 * reader who sees the whole host. Timed from before the /proc pass.
 */
int metrics_content(const struct viewer *v, GString **out)
{
	gint64 began = g_get_monotonic_time();
	g_autoptr(ns_model) m = NULL;
	const struct ns_info *top = NULL;
	int r = v->scope == VIEWER_NONE ? -EACCES : viewer_model(v, &m, &top);

	if (r < 0)
		return r;
	*out = top ? metrics_text(m, top, v->scope == VIEWER_ALL, began) : g_string_new("");
	return 0;
}

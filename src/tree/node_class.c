/* From a node to its class: the one place that maps the inode codec's kinds to the tables. */
#include "node_class.h"

#include <errno.h>

#include "tree_internal.h"

static const struct node_class *const kind_classes[] = {
    [NODE_ROOT] = &root_class,
    [NODE_SELF] = &self_class,
    [NODE_NS_ROOT] = &ns_root_class,
    [NODE_TREE] = &tree_class,
    [NODE_METRICS_DIR] = &metrics_dir_class,
    [NODE_METRICS_FILE] = &metrics_file_class,
    [NODE_PID_DIR] = &pid_dir_class,
    [NODE_NS_DIR] = &ns_dir_class,
    [NODE_NS_PID_DIR] = &ns_pid_dir_class,
    [NODE_NS_PID_LINK] = &reverse_link_class,
};

const struct node_class *node_class_of(const struct node *n)
{
	if (n->kind == NODE_PID_FILE)
		return pid_file_class(n->file);
	if (n->kind == NODE_NS_FILE)
		return ns_file_class(n->file);
	return (size_t)n->kind < G_N_ELEMENTS(kind_classes) ? kind_classes[n->kind] : NULL;
}

int node_decode(fuse_ino_t ino, struct node *n, const struct node_class **c)
{
	int r = node_from_ino(ino, n);

	if (r < 0)
		return r;
	*c = node_class_of(n);
	return *c ? 0 : -ENOENT;
}

mode_t node_type(const struct node *n)
{
	const struct node_class *c = node_class_of(n);

	if (!c)
		return S_IFREG;
	return c->cache == NC_DIR ? S_IFDIR : c->cache == NC_LINK ? S_IFLNK : S_IFREG;
}

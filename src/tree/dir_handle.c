/*
 * Open directories, whichever directory they list: their lifetime (the reader's quota, freeing
 * at unmount) is the same for all, while what each lists comes from the directory's own file.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>

#include "node.h"
#include "nsview.h"
#include "quota.h"
#include "tree_internal.h"
#include "visibility.h"

/*
 * Open directories, so that the ones whose RELEASEDIR never comes (the session ends first)
 * are freed at unmount rather than leaked.
 */
static GMutex dirs_lock;
static GHashTable *open_dirs;

static void dir_handle_free(struct dir_handle *h)
{
	if (h->pids)
		g_array_unref(h->pids);
	if (h->ns_list)
		g_array_unref(h->ns_list);
	if (h->counted)
		quota_give(viewer_view(&h->viewer));
	g_free(h);
}

static void dir_track(struct dir_handle *h, bool open)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&dirs_lock);

	if (!open_dirs)
		open_dirs =
		    g_hash_table_new_full(NULL, NULL, (GDestroyNotify)dir_handle_free, NULL);
	if (open)
		g_hash_table_add(open_dirs, h);
	else
		g_hash_table_steal(open_dirs, h);
}

void dir_handles_clear(void)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&dirs_lock);

	g_clear_pointer(&open_dirs, g_hash_table_unref);
}

void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dir_handle *h = g_new0(struct dir_handle, 1);
	int r = node_decode(ino, &h->dir, &h->class);

	viewer_of(fuse_req_ctx(req)->pid, &h->viewer);
	if (r == 0 && h->class->cache != NC_DIR)
		r = -ENOTDIR;
	if (r == 0)
		r = quota_take(viewer_view(&h->viewer));
	h->counted = r == 0;
	if (r == 0)
		r = h->class->open_dir(h);
	if (r < 0) {
		dir_handle_free(h);
		fuse_reply_err(req, -r);
		return;
	}
	fi->fh = (uintptr_t)h;
	dir_track(h, true);
	if (fuse_reply_open(req, fi) != 0) {
		dir_track(h, false); /* interrupted: no RELEASEDIR comes */
		dir_handle_free(h);
	}
}

static int dir_entry_at(struct dir_handle *h, size_t i, struct dir_entry *e)
{
	if (i < 2) {
		e->name = i == 0 ? "." : "..";
		e->ino = i == 0 ? node_ino(&h->dir) : FUSE_ROOT_ID;
		e->type = S_IFDIR;
		return 1;
	}
	return h->class->entry(h, i - 2, e);
}

void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	g_autofree char *buf = g_malloc(size);
	struct dir_handle *h = (struct dir_handle *)(uintptr_t)fi->fh;
	struct dir_entry e;
	size_t used = 0;
	int more;

	if (off < 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	for (size_t i = (size_t)off; (more = dir_entry_at(h, i, &e)) >= 0; i++) {
		struct stat st = {.st_ino = e.ino, .st_mode = e.type};
		size_t need;

		if (more == 0)
			continue;
		need = fuse_add_direntry(req, buf + used, size - used, e.name, &st, (off_t)(i + 1));
		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
}

void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dir_handle *h = (struct dir_handle *)(uintptr_t)fi->fh;

	dir_track(h, false);
	dir_handle_free(h);
	fuse_reply_err(req, 0);
}

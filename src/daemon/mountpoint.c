#include "mountpoint.h"

#include <errno.h>
#include <gio/gunixmounts.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define FSTYPE "fuse.nspidfs"

bool preflight_check_privileges(GError **error)
{
	if (geteuid() != 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM,
			    "must run as root: it reads every process's namespaces and mounts "
			    "with allow_other");
		return false;
	}
	if (access("/dev/fuse", R_OK | W_OK) < 0) {
		int e = errno;

		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
			    "cannot use /dev/fuse: %s (is the fuse module loaded?)", g_strerror(e));
		return false;
	}
	return true;
}

static bool live_nspidfs_at(const char *path)
{
	g_autofree char *real = realpath(path, NULL);
	GUnixMountEntry *m = real ? g_unix_mount_at(real, NULL) : NULL;
	bool ours = m && g_strcmp0(g_unix_mount_get_fs_type(m), FSTYPE) == 0;

	if (m)
		g_unix_mount_free(m);
	return ours;
}

bool mountpoint_is_nspidfs(const char *path)
{
	g_autofree char *canon = g_canonicalize_filename(path, NULL);
	GUnixMountEntry *m = g_unix_mount_at(canon, NULL);
	bool ours = m && g_strcmp0(g_unix_mount_get_fs_type(m), FSTYPE) == 0;

	if (m)
		g_unix_mount_free(m);
	return ours;
}

/* The path cannot be resolved through a dead FUSE mount: canonicalize it textually. */
static bool stale_mount_is_ours(const char *path, GError **error)
{
	g_autofree char *canon = g_canonicalize_filename(path, NULL);
	GUnixMountEntry *m = g_unix_mount_at(canon, NULL);
	bool ours = m && g_strcmp0(g_unix_mount_get_fs_type(m), FSTYPE) == 0;

	if (!ours)
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
			    "%s is a disconnected mount of %s, not of nspidfs: not touching it",
			    path, m ? g_unix_mount_get_fs_type(m) : "an unknown filesystem");
	if (m)
		g_unix_mount_free(m);
	return ours;
}

/*
 * A dead daemon's mount answers ENOTCONN; several may be stacked after repeated crashes.
 * statfs() always reaches the daemon, where stat() may be answered from cached attributes.
 */
static bool detach_stale(const char *path, GError **error)
{
	struct statvfs vfs;

	for (int i = 0; i < 16 && statvfs(path, &vfs) < 0 && errno == ENOTCONN; i++) {
		if (!stale_mount_is_ours(path, error))
			return false;
		if (umount2(path, MNT_DETACH) < 0) {
			int e = errno;

			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
				    "cannot detach the stale mount at %s: %s", path, g_strerror(e));
			return false;
		}
		g_message("detached a stale mount at %s left by a daemon that died", path);
	}
	return true;
}

void mountpoint_detach_stale(const char *path)
{
	g_autoptr(GError) err = NULL;

	if (!detach_stale(path, &err))
		g_warning("%s", err->message);
}

bool mountpoint_prepare(const char *path, GError **error)
{
	struct stat st;

	if (!detach_stale(path, error))
		return false;
	if (stat(path, &st) < 0) {
		int e = errno;

		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "mount point %s: %s",
			    path, g_strerror(e));
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR,
			    "mount point %s is not a directory", path);
		return false;
	}
	if (live_nspidfs_at(path)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
			    "%s is already mounted by a running nspidfs", path);
		return false;
	}
	return true;
}

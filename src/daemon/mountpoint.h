/* Checks before mounting: who we are, /dev/fuse, and what is at the mount point now. */
#pragma once

#include <glib.h>
#include <stdbool.h>

bool preflight_check_privileges(GError **error);
/* Detach a stale nspidfs mount; refuse a live one, a missing path or a non-directory. */
bool mountpoint_prepare(const char *path, GError **error);
/*
 * Whether the top mount at path is an nspidfs one, from the mount table alone: no access to
 * the path, which a connection no server answers yet would never answer.
 */
bool mountpoint_is_nspidfs(const char *path);
/* At the end: detach the nspidfs mounts at path whose connection is gone (logged). */
void mountpoint_detach_stale(const char *path);

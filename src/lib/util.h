/* Small helpers shared by every file: scoped fd cleanup and errno logging. */
#pragma once

#include <errno.h>
#include <glib.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

/* A message of one buffer, iov, with room for its ancillary data in control's buf. */
#define MSGHDR_ONE(iov_, control_)                                                                 \
	((struct msghdr){.msg_iov = (iov_),                                                        \
			 .msg_iovlen = 1,                                                          \
			 .msg_control = (control_).buf,                                            \
			 .msg_controllen = sizeof((control_).buf)})

/* g_autofd needs GLib 2.76; Debian 12 has 2.74. */
typedef int nspidfs_fd;
static inline void nspidfs_close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}
G_DEFINE_AUTO_CLEANUP_FREE_FUNC(nspidfs_fd, nspidfs_close_fd, -1)
#define autofd g_auto(nspidfs_fd)

/*
 * A table of descriptors by a 64-bit key (a namespace's inode), which owns them: a value is
 * the descriptor + 1, so that a missing key reads as -1.
 */
static inline void nspidfs_close_fd_value(gpointer fd_plus_one)
{
	close(GPOINTER_TO_INT(fd_plus_one) - 1);
}

static inline GHashTable *nspidfs_fd_table_new(void)
{
	return g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, nspidfs_close_fd_value);
}

static inline int nspidfs_fd_table_get(GHashTable *t, uint64_t key)
{
	return t ? GPOINTER_TO_INT(g_hash_table_lookup(t, &key)) - 1 : -1;
}

/* Log at debug level and yield ret (a negative errno), so error paths stay one line. */
G_GNUC_PRINTF(2, 3) static inline int log_debug_ret(int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_logv(G_LOG_DOMAIN, G_LOG_LEVEL_DEBUG, fmt, ap);
	va_end(ap);
	return ret;
}

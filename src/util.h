/* Small helpers shared by every file: scoped fd cleanup and errno logging. */
#pragma once

#include <errno.h>
#include <glib.h>
#include <stdarg.h>
#include <unistd.h>

/* g_autofd needs GLib 2.76; Debian 12 has 2.74. */
typedef int nspidfs_fd;
static inline void nspidfs_close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}
G_DEFINE_AUTO_CLEANUP_FREE_FUNC(nspidfs_fd, nspidfs_close_fd, -1)
#define autofd g_auto(nspidfs_fd)

/* Log at debug level and yield ret (a negative errno), so error paths stay one line. */
G_GNUC_PRINTF(2, 3) static inline int log_debug_ret(int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_logv(G_LOG_DOMAIN, G_LOG_LEVEL_DEBUG, fmt, ap);
	va_end(ap);
	return ret;
}

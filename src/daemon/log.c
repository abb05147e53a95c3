#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse_log.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

static bool debug_enabled;
static bool use_syslog;
/* Daemonized but not serving yet: problems go to the stderr of the command too. */
static bool starting;
static bool set_up;
/* Start-up, single-threaded: libfuse's messages kept for an error that explains them. */
static GString *fuse_capture;

static int syslog_priority(GLogLevelFlags level)
{
	if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
		return LOG_ERR;
	if (level & G_LOG_LEVEL_WARNING)
		return LOG_WARNING;
	if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
		return LOG_INFO;
	return LOG_DEBUG;
}

static const char *level_name(GLogLevelFlags level)
{
	if (level & G_LOG_LEVEL_ERROR)
		return "error";
	if (level & G_LOG_LEVEL_CRITICAL)
		return "critical";
	if (level & G_LOG_LEVEL_WARNING)
		return "warning";
	if (level & G_LOG_LEVEL_MESSAGE)
		return "notice";
	if (level & G_LOG_LEVEL_INFO)
		return "info";
	return "debug";
}

static void handler(const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
	if ((level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO)) && !debug_enabled)
		return;
	if (use_syslog)
		syslog(syslog_priority(level), "%s", message);
	if (!use_syslog || (starting && syslog_priority(level) <= LOG_WARNING))
		fprintf(stderr, "nspidfs: %s: %s\n", level_name(level), message);
}

/*
 * libfuse writes some messages in pieces (each unknown option apart), ending the last with a
 * newline: gathered per thread, in a buffer that needs no freeing when the thread ends.
 */
static __thread char fuse_line[1024];
static __thread size_t fuse_line_len;

G_GNUC_PRINTF(2, 0)
static void fuse_to_glib(enum fuse_log_level level, const char *fmt, va_list ap)
{
	GLogLevelFlags glevel = level <= FUSE_LOG_ERR	   ? G_LOG_LEVEL_WARNING
				: level <= FUSE_LOG_NOTICE ? G_LOG_LEVEL_MESSAGE
							   : G_LOG_LEVEL_DEBUG;
	const size_t last = sizeof(fuse_line) - 1;
	int n = g_vsnprintf(fuse_line + fuse_line_len, sizeof(fuse_line) - fuse_line_len, fmt, ap);
	const char *msg = fuse_line;

	if (n > 0)
		fuse_line_len = MIN(fuse_line_len + (size_t)n, last);
	/* A piece: wait for the rest, unless there is no room left for it. */
	if (!fuse_line_len || (fuse_line[fuse_line_len - 1] != '\n' && fuse_line_len < last))
		return;
	/* g_log adds its own newline. */
	if (fuse_line[fuse_line_len - 1] == '\n')
		fuse_line[fuse_line_len - 1] = '\0';
	fuse_line_len = 0;
	if (!fuse_capture) {
		g_log("fuse", glevel, "%s", msg);
		return;
	}
	if (g_str_has_prefix(msg, "fuse: "))
		msg += strlen("fuse: ");
	g_string_append_printf(fuse_capture, "%s%s", fuse_capture->len ? "; " : "", msg);
}

void log_setup(bool debug)
{
	const char *env = g_getenv("NSPIDFS_DEBUG");

	debug_enabled = debug || (env && *env && strcmp(env, "0") != 0);
	g_log_set_default_handler(handler, NULL);
	fuse_set_log_func(fuse_to_glib);
	set_up = true;
}

void log_fuse_capture_begin(void)
{
	fuse_capture = g_string_new(NULL);
	fuse_set_log_func(fuse_to_glib);
}

char *log_fuse_capture_end(void)
{
	GString *said = g_steal_pointer(&fuse_capture);

	/* Before log_setup(), libfuse's own: messages on stderr, as they were. */
	fuse_set_log_func(set_up ? fuse_to_glib : NULL);
	return g_string_free(said, said->len == 0);
}

/* glibc's syslog() drops what no socket at /dev/log takes: find out before relying on it. */
static bool syslog_listens(void)
{
	static const int types[] = {SOCK_DGRAM, SOCK_STREAM};
	struct sockaddr_un sa = {.sun_family = AF_UNIX, .sun_path = _PATH_LOG};

	for (size_t i = 0; i < G_N_ELEMENTS(types); i++) {
		int fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC, 0);
		bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;

		if (fd >= 0)
			close(fd);
		if (ok)
			return true;
	}
	return false;
}

void log_daemonized(void)
{
	/* No syslog (a container, a minimal host): the command's stderr is all there is. */
	if (!syslog_listens())
		return;
	openlog("nspidfs", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	use_syslog = true;
	starting = true;
}

void log_serving(void)
{
	int null_fd;

	if (!starting)
		return;
	starting = false;
	/* Let go of the command's stderr: a pipe's reader waits for its end. */
	null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null_fd < 0 || dup2(null_fd, STDERR_FILENO) < 0)
		g_warning("cannot let go of stderr: %s", g_strerror(errno));
	if (null_fd >= 0)
		close(null_fd);
}

#include "log.h"

#include <fuse_log.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

static bool debug_enabled;
static bool use_syslog;

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
	else
		fprintf(stderr, "nspidfs: %s: %s\n", level_name(level), message);
}

G_GNUC_PRINTF(2, 0)
static void fuse_to_glib(enum fuse_log_level level, const char *fmt, va_list ap)
{
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	size_t len = strlen(msg);
	GLogLevelFlags glevel = level <= FUSE_LOG_ERR	   ? G_LOG_LEVEL_WARNING
				: level <= FUSE_LOG_NOTICE ? G_LOG_LEVEL_MESSAGE
							   : G_LOG_LEVEL_DEBUG;

	/* libfuse ends its messages with a newline; g_log adds its own. */
	if (len && msg[len - 1] == '\n')
		msg[len - 1] = '\0';
	g_log("fuse", glevel, "%s", msg);
}

void log_setup(bool debug)
{
	const char *env = g_getenv("NSPIDFS_DEBUG");

	debug_enabled = debug || (env && *env && strcmp(env, "0") != 0);
	g_log_set_default_handler(handler, NULL);
	fuse_set_log_func(fuse_to_glib);
}

void log_to_syslog(void)
{
	openlog("nspidfs", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	use_syslog = true;
}

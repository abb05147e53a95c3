#include "handover.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <string.h>
#include <unistd.h>

static const char *const fd_names[HANDOVER_COUNT] = {
    [HANDOVER_FUSE] = "fuse",
    [HANDOVER_INIT] = "init",
    [HANDOVER_READY] = "ready",
};

/* Wide enough for any pid_t, blank-padded. */
#define PID_DIGITS 12

static bool env_uint(const char *name, guint64 max, guint64 *out)
{
	const char *s = g_getenv(name);

	return s && g_ascii_string_to_unsigned(s, 10, 0, max, out, NULL);
}

static void forget_env(void)
{
	g_unsetenv("LISTEN_PID");
	g_unsetenv("LISTEN_FDS");
	g_unsetenv("LISTEN_FDNAMES");
	g_unsetenv("NSPIDFS_GENERATION");
}

int handover_receive(struct handover *h)
{
	g_auto(GStrv) names = NULL;
	guint64 pid, n, gen = 0;
	int r = 0;

	for (int i = 0; i < HANDOVER_COUNT; i++)
		h->fd[i] = -1;
	h->state = -1;
	h->generation = 0;
	/* Meant for another process (a parent that did not clear them): not ours. */
	if (!env_uint("LISTEN_PID", G_MAXINT32, &pid) || (pid_t)pid != getpid())
		return 0;
	if (!env_uint("LISTEN_FDS", 64, &n) || !g_getenv("LISTEN_FDNAMES")) {
		g_warning("LISTEN_PID is ours but LISTEN_FDS or LISTEN_FDNAMES is missing or bad");
		forget_env();
		return -EINVAL;
	}
	env_uint("NSPIDFS_GENERATION", G_MAXUINT32, &gen);
	names = g_strsplit(g_getenv("LISTEN_FDNAMES"), ":", -1);
	for (guint64 i = 0; i < n && names[i]; i++) {
		int fd = HANDOVER_FDS_START + (int)i;

		if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
			g_warning("handed descriptor %d (%s): %s", fd, names[i], g_strerror(errno));
			r = -EINVAL;
			continue;
		}
		for (int k = 0; k < HANDOVER_COUNT; k++) {
			if (strcmp(names[i], fd_names[k]) == 0)
				h->fd[k] = fd;
		}
		if (strcmp(names[i], "state") == 0)
			h->state = fd;
	}
	forget_env();
	if (r == 0 && (h->fd[HANDOVER_FUSE] < 0 || h->fd[HANDOVER_INIT] < 0)) {
		g_warning("handed descriptors lack \"fuse\" or \"init\"");
		r = -EINVAL;
	}
	h->generation = (unsigned)gen;
	return r < 0 ? r : 1;
}

static bool is_handover_var(const char *entry)
{
	static const char *const vars[] = {
	    "LISTEN_PID=", "LISTEN_FDS=", "LISTEN_FDNAMES=", "NSPIDFS_GENERATION="};

	for (size_t i = 0; i < G_N_ELEMENTS(vars); i++) {
		if (g_str_has_prefix(entry, vars[i]))
			return true;
	}
	return false;
}

char **handover_env(unsigned generation, char **pid_slot)
{
	GPtrArray *env = g_ptr_array_new();
	char **environ_now = g_get_environ();
	char *pid_var;

	for (char **e = environ_now; *e; e++) {
		if (!is_handover_var(*e))
			g_ptr_array_add(env, g_strdup(*e));
	}
	g_strfreev(environ_now);
	g_ptr_array_add(env, g_strdup_printf("LISTEN_FDS=%d", HANDOVER_COUNT));
	g_ptr_array_add(env, g_strjoin(":", "LISTEN_FDNAMES=fuse", "init", "ready", NULL));
	g_ptr_array_add(env, g_strdup_printf("NSPIDFS_GENERATION=%u", generation));
	pid_var = g_strnfill(strlen("LISTEN_PID=") + PID_DIGITS, ' ');
	memcpy(pid_var, "LISTEN_PID=", strlen("LISTEN_PID="));
	*pid_slot = pid_var + strlen("LISTEN_PID=");
	g_ptr_array_add(env, pid_var);
	g_ptr_array_add(env, NULL);
	return (char **)g_ptr_array_free(env, FALSE);
}

void handover_set_pid(char *pid_slot, pid_t pid)
{
	char digits[PID_DIGITS];
	int n = 0;

	do
		digits[n++] = (char)('0' + pid % 10);
	while ((pid /= 10) > 0 && n < PID_DIGITS);
	for (int i = 0; i < n; i++)
		pid_slot[i] = digits[n - 1 - i];
	pid_slot[n] = '\0';
}

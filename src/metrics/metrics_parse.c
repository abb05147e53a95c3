#include "metrics_parse.h"

#include <errno.h>
#include <glib.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>

/* Whether comma-separated list holds item. */
static bool list_has(const char *list, size_t len, const char *item)
{
	size_t n = strlen(item);

	for (const char *p = list, *end = list + len; p <= end;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma ? comma : end;

		if ((size_t)(stop - p) == n && memcmp(p, item, n) == 0)
			return true;
		p = stop + 1;
	}
	return false;
}

enum cgroup_kind metrics_parse_cgroup(const char *text, char **path, char **dir)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	const char *pids = NULL, *pids_dir = NULL, *named = NULL, *unified = NULL;
	size_t pids_dir_len = 0;
	bool v1 = false;

	*path = NULL;
	if (dir)
		*dir = NULL;
	for (char **l = lines; *l; l++) {
		/* "ID:CONTROLLERS:PATH"; the path may itself hold colons. */
		char *c1 = strchr(*l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		size_t clen;

		if (!c2)
			continue;
		clen = (size_t)(c2 - c1 - 1);
		if (strncmp(*l, "0:", 2) == 0 && clen == 0) {
			unified = c2 + 1;
			continue;
		}
		v1 = true;
		if (!pids && list_has(c1 + 1, clen, "pids")) {
			pids = c2 + 1;
			pids_dir = c1 + 1;
			pids_dir_len = clen;
		}
		if (!named && list_has(c1 + 1, clen, "name=systemd"))
			named = c2 + 1;
	}
	if (v1 && pids) {
		*path = g_strdup(pids);
		if (dir)
			*dir = g_strndup(pids_dir, pids_dir_len);
		return CGROUP_V1_PIDS;
	}
	if (!v1 && unified) {
		*path = g_strdup(unified);
		return CGROUP_V2;
	}
	/* v1 or hybrid without a pids hierarchy: a path to join on, no pids files. */
	if (named || unified) {
		*path = g_strdup(named ? named : unified);
		return CGROUP_OTHER;
	}
	return CGROUP_NONE;
}

int metrics_parse_sigmask(const char *status, const char *field, uint64_t *mask)
{
	size_t n = strlen(field);

	for (const char *l = status; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		char *end;
		guint64 v;
		size_t digits;

		if (strncmp(l, field, n) != 0 || l[n] != ':')
			continue;
		l += n + 1;
		while (*l == ' ' || *l == '\t')
			l++;
		/* Bare hex digits, as the kernel writes them: strtoull would take "0x" too. */
		digits = strspn(l, "0123456789abcdefABCDEF");
		if (!digits)
			return -EINVAL;
		errno = 0;
		v = g_ascii_strtoull(l, &end, 16);
		if (errno || end != l + digits || (*end && *end != '\n'))
			return -EINVAL;
		*mask = v;
		return 0;
	}
	return -ENOENT;
}

bool metrics_in_sigtimedwait(const char *syscall_text, const char *wchan_text)
{
#ifdef SYS_rt_sigtimedwait
	if (syscall_text && g_ascii_isdigit(*syscall_text)) {
		char *end;
		guint64 nr = g_ascii_strtoull(syscall_text, &end, 10);

		if ((*end == ' ' || *end == '\n' || !*end) && nr == SYS_rt_sigtimedwait)
			return true;
	}
#endif
	/* The kernel function, possibly with a compiler suffix: do_sigtimedwait.isra.0 */
	return wchan_text && strncmp(wchan_text, "do_sigtimedwait", 15) == 0 &&
	       (wchan_text[15] == '\0' || wchan_text[15] == '.' || wchan_text[15] == '\n');
}

enum sigterm_state metrics_sigterm_state(uint64_t caught, uint64_t blocked, uint64_t ignored,
					 bool in_sigtimedwait)
{
	uint64_t bit = UINT64_C(1) << (SIGTERM - 1);

	if (caught & bit)
		return SIGTERM_CAUGHT;
	/*
	 * sigtimedwait() unblocks the signals it waits for while it sleeps, so SigBlk does not
	 * show them then: an init like tini blocks every signal and waits in it.
	 */
	if ((blocked & bit) || in_sigtimedwait)
		return SIGTERM_BLOCKED;
	if (ignored & bit)
		return SIGTERM_IGNORED;
	return SIGTERM_DROPPED;
}

int metrics_parse_pids_value(const char *text, int64_t *out)
{
	char *end;
	guint64 v;

	if (strcmp(text, "max") == 0 || strcmp(text, "max\n") == 0) {
		*out = -1;
		return 0;
	}
	if (!g_ascii_isdigit(*text))
		return -EINVAL;
	errno = 0;
	v = g_ascii_strtoull(text, &end, 10);
	if (errno || v > INT64_MAX || (*end && strcmp(end, "\n") != 0))
		return -EINVAL;
	*out = (int64_t)v;
	return 0;
}

int metrics_parse_btime(const char *stat_text, int64_t *btime)
{
	for (const char *l = stat_text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		char *end;
		gint64 v;

		if (strncmp(l, "btime ", 6) != 0)
			continue;
		/* strtoll would skip blanks and newlines, and read the next line's number. */
		if (!g_ascii_isdigit(l[6]))
			return -EINVAL;
		errno = 0;
		v = g_ascii_strtoll(l + 6, &end, 10);
		if (errno || end == l + 6 || v <= 0 || (*end && *end != '\n'))
			return -EINVAL;
		*btime = v;
		return 0;
	}
	return -ENOENT;
}

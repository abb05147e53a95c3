/*
 * libFuzzer harness for the parsers behind metrics/nspidfs.prom (src/metrics/metrics_parse.c): the
 * /proc/PID/cgroup reader, the signal masks of /proc/PID/status, the sigtimedwait test of
 * /proc/PID/syscall and wchan, pids.current and pids.max, and btime of /proc/stat. The daemon
 * reads each of those files whole and hands the parsers a C string, so the input is cut at its
 * first NUL, and every parser gets the same text: the seeds hold each kind of file.
 *
 * Each answer is checked against a reading of the kernel's format written here independently:
 * what the kernel writes must parse to the value it holds, and anything else must be refused.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>

#include <glib.h>

#include "fuzz.h"
#include "metrics.h"

#define TEXT_MAX (64 * 1024) /* the daemon reads at most this much of a /proc file */

/* The first line of text that starts with key, or NULL. */
static const char *line_with(const char *text, const char *key)
{
	size_t n = strlen(key);

	for (const char *l = text; *l; l++) {
		if (strncmp(l, key, n) == 0)
			return l;
		l = strchr(l, '\n');
		if (!l)
			break;
	}
	return NULL;
}

static int digit_value(char c, unsigned base)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (base == 16 && c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (base == 16 && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Plain digits at *p, moved past them; false if there are none or they overflow 64 bits. */
static bool read_number(const char **p, unsigned base, uint64_t *v)
{
	const char *s = *p;
	int d;

	*v = 0;
	for (; (d = digit_value(*s, base)) >= 0; s++) {
		if (*v > (UINT64_MAX - (unsigned)d) / base)
			return false;
		*v = *v * base + (unsigned)d;
	}
	if (s == *p)
		return false;
	*p = s;
	return true;
}

static bool line_ends_at(const char *p)
{
	return *p == '\0' || *p == '\n';
}

/* "SigCgt:\t0000000000004002": blanks, hex digits, end of line. */
static void check_sigmask(const char *text, const char *field)
{
	char key[16];
	const char *l;
	uint64_t mask = 0, want;
	int r = metrics_parse_sigmask(text, field, &mask);

	snprintf(key, sizeof(key), "%s:", field);
	l = line_with(text, key);
	if (!l) {
		FUZZ_CHECK(r == -ENOENT);
		return;
	}
	l += strlen(key);
	l += strspn(l, " \t");
	if (read_number(&l, 16, &want) && line_ends_at(l))
		FUZZ_CHECK(r == 0 && mask == want);
	else
		FUZZ_CHECK(r == -EINVAL);
}

/* "max", or a decimal count that fits in int64_t; one newline may follow either. */
static void check_pids_value(const char *text)
{
	const char *p = text;
	int64_t v = -2;
	uint64_t want;
	int r = metrics_parse_pids_value(text, &v);

	if (strcmp(text, "max") == 0 || strcmp(text, "max\n") == 0)
		FUZZ_CHECK(r == 0 && v == -1);
	else if (read_number(&p, 10, &want) && want <= INT64_MAX &&
		 (*p == '\0' || strcmp(p, "\n") == 0))
		FUZZ_CHECK(r == 0 && v == (int64_t)want);
	else
		FUZZ_CHECK(r == -EINVAL);
}

/* "btime 1795432734": one blank, then seconds since the epoch, more than zero. */
static void check_btime(const char *text)
{
	const char *l = line_with(text, "btime ");
	int64_t v = 0;
	uint64_t want;
	int r = metrics_parse_btime(text, &v);

	if (!l) {
		FUZZ_CHECK(r == -ENOENT);
		return;
	}
	l += 6;
	if (read_number(&l, 10, &want) && want > 0 && want <= INT64_MAX && line_ends_at(l))
		FUZZ_CHECK(r == 0 && v == (int64_t)want);
	else
		FUZZ_CHECK(r == -EINVAL);
}

/* syscall: the number first, then a blank, a newline or nothing; wchan: the function name. */
static bool want_sigtimedwait(const char *syscall_text, const char *wchan_text)
{
	const char *p = syscall_text;
	uint64_t nr;

	if (p && read_number(&p, 10, &nr) && (*p == ' ' || line_ends_at(p)) &&
	    nr == SYS_rt_sigtimedwait)
		return true;
	return wchan_text && strncmp(wchan_text, "do_sigtimedwait", 15) == 0 &&
	       (wchan_text[15] == '.' || line_ends_at(wchan_text + 15));
}

static void check_sigtimedwait(const char *text)
{
	FUZZ_CHECK(metrics_in_sigtimedwait(text, NULL) == want_sigtimedwait(text, NULL));
	FUZZ_CHECK(metrics_in_sigtimedwait(NULL, text) == want_sigtimedwait(NULL, text));
}

/* Whether some line of text is exactly "ID:" controllers ":" path, with any ID. */
static bool has_cgroup_line(const char *text, const char *controllers, const char *path)
{
	g_autofree char *tail = g_strdup_printf(":%s:%s", controllers, path);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

	for (char **l = lines; *l; l++) {
		const char *colon = strchr(*l, ':');

		if (colon && strcmp(colon, tail) == 0)
			return true;
	}
	return false;
}

/* Whether some line of text is "ID:CONTROLLERS:" path, with any ID and controllers. */
static bool has_path_line(const char *text, const char *path)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

	for (char **l = lines; *l; l++) {
		const char *c1 = strchr(*l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (c2 && strcmp(c2 + 1, path) == 0)
			return true;
	}
	return false;
}

static bool list_has_pids(const char *controllers)
{
	g_auto(GStrv) items = g_strsplit(controllers, ",", -1);

	return g_strv_contains((const char *const *)items, "pids");
}

/* Whatever the kind, the path (and for v1, the controllers) come from one line of text. */
static void check_cgroup(const char *text)
{
	char *path = NULL, *dir = NULL, *path2 = NULL;
	enum cgroup_kind kind = metrics_parse_cgroup(text, &path, &dir);

	/* Without dir, the same answer. */
	FUZZ_CHECK(metrics_parse_cgroup(text, &path2, NULL) == kind);
	FUZZ_CHECK((path == NULL) == (path2 == NULL) && (!path || strcmp(path, path2) == 0));
	switch (kind) {
	case CGROUP_NONE:
		FUZZ_CHECK(!path && !dir);
		break;
	case CGROUP_V1_PIDS:
		FUZZ_CHECK(path && dir && list_has_pids(dir));
		FUZZ_CHECK(has_cgroup_line(text, dir, path));
		break;
	case CGROUP_V2:
		FUZZ_CHECK(path && !dir && has_cgroup_line(text, "", path));
		FUZZ_CHECK(strncmp(text, "0::", 3) == 0 || strstr(text, "\n0::"));
		break;
	case CGROUP_OTHER:
		FUZZ_CHECK(path && !dir);
		FUZZ_CHECK(has_path_line(text, path));
		break;
	default:
		FUZZ_CHECK(!"a kind that does not exist");
	}
	g_free(path);
	g_free(path2);
	g_free(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_dup_cstr(data, size, TEXT_MAX);

	check_cgroup(text);
	check_sigmask(text, "SigCgt");
	check_sigmask(text, "SigBlk");
	check_sigmask(text, "SigIgn");
	check_sigtimedwait(text);
	check_pids_value(text);
	check_btime(text);
	free(text);
	return 0;
}

#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "handle.h"
#include "proc.h"
#include "nscache.h"
#include "pidcache.h"
#include "snapshot.h"
#include "stats.h"
#include "visibility.h"
#include "strategy.h"
#include "util.h"

#define CGROUP_ROOT    "/sys/fs/cgroup"
#define SMALL_FILE_MAX (64 * 1024)

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

/* A small /proc file read through the process's directory, NUL-terminated; NULL on error. */
static char *read_at(int dirfd, const char *name)
{
	autofd fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	GString *s;

	if (fd < 0)
		return NULL;
	s = g_string_sized_new(1024);
	for (;;) {
		char buf[4096];
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || s->len + (size_t)n > SMALL_FILE_MAX) {
			g_string_free(s, TRUE);
			return NULL;
		}
		if (n == 0)
			return g_string_free(s, FALSE);
		g_string_append_len(s, buf, n);
	}
}

static bool read_pids_file(const char *dir, const char *path, const char *file, int64_t *out)
{
	g_autofree char *name = g_strconcat(CGROUP_ROOT, dir ? "/" : "", dir ? dir : "", path,
					    path[strlen(path) - 1] == '/' ? "" : "/", file, NULL);
	g_autofree char *text = NULL;

	return g_file_get_contents(name, &text, NULL, NULL) &&
	       metrics_parse_pids_value(text, out) == 0;
}

static void collect_cgroup(int dirfd, struct metrics_init *in)
{
	g_autofree char *text = read_at(dirfd, "cgroup");
	g_autofree char *dir = NULL;
	enum cgroup_kind kind;

	if (!text)
		return;
	kind = metrics_parse_cgroup(text, &in->cgroup, &dir);
	/* A path outside our cgroup namespace ("/../x") names nothing under our mount. */
	if (kind != CGROUP_V1_PIDS && kind != CGROUP_V2)
		return;
	if (!in->cgroup[0] || strstr(in->cgroup, "/.."))
		return;
	in->has_pids = read_pids_file(dir, in->cgroup, "pids.current", &in->pids_current) &&
		       read_pids_file(dir, in->cgroup, "pids.max", &in->pids_max);
}

static enum sigterm_state collect_sigterm(int dirfd)
{
	g_autofree char *status = read_at(dirfd, "status");
	/* Both need ptrace access to the init: root has it. */
	g_autofree char *sc = read_at(dirfd, "syscall");
	g_autofree char *wchan = read_at(dirfd, "wchan");
	uint64_t cgt, blk, ign;

	if (!status || metrics_parse_sigmask(status, "SigCgt", &cgt) < 0 ||
	    metrics_parse_sigmask(status, "SigBlk", &blk) < 0 ||
	    metrics_parse_sigmask(status, "SigIgn", &ign) < 0)
		return SIGTERM_UNKNOWN;
	return metrics_sigterm_state(cgt, blk, ign, metrics_in_sigtimedwait(sc, wchan));
}

/* Everything is read through one descriptor of /proc/INIT, checked to be the model's init. */
static void collect_init(const struct ns_info *ns, struct metrics_facts *f)
{
	struct metrics_init in = {.ns_ino = ns->ino, .sigterm = SIGTERM_UNKNOWN};
	autofd dir = proc_open_dir(ns->init);
	struct proc_stat st;

	if (dir < 0 || proc_read_stat_at(dir, ns->init, &st) < 0 || st.start != ns->init_start) {
		g_debug("metrics: init %d of namespace %" G_GUINT64_FORMAT " has gone", ns->init,
			ns->ino);
		return;
	}
	in.sigterm = collect_sigterm(dir);
	collect_cgroup(dir, &in);
	metrics_facts_add(f, &in);
}

void metrics_collect(const struct ns_model *m, const struct ns_info *top, struct metrics_facts *f)
{
	g_autoptr(GArray) omitted = g_array_new(FALSE, FALSE, sizeof(struct metrics_omitted));
	g_autoptr(GPtrArray) shown = metrics_shown(m, top, omitted);

	/* Only what the file shows: reads about namespaces left out would be for nothing. */
	for (guint i = 0; i < shown->len; i++)
		collect_init(g_ptr_array_index(shown, i), f);
}

/* Boot time does not change while the system runs: read it once. */
static int64_t boot_time_us(void)
{
	static gsize once;
	static int64_t us;

	if (g_once_init_enter(&once)) {
		g_autofree char *text = NULL;
		int64_t btime = 0;

		if (g_file_get_contents("/proc/stat", &text, NULL, NULL) &&
		    metrics_parse_btime(text, &btime) == 0)
			us = btime * 1000000;
		g_once_init_leave(&once, 1);
	}
	return us;
}

GString *metrics_text(const struct ns_model *m, const struct ns_info *top, bool whole_host,
		      gint64 began)
{
	struct metrics_facts f;
	struct stats_counts counts;
	long hz = sysconf(_SC_CLK_TCK);
	GString *s;

	metrics_facts_init(&f);
	metrics_collect(m, top, &f);
	stats_read(&counts);
	counts.proc_passes = snapshot_passes();
	pidcache_counts(&counts.process_cache);
	visibility_counts(&counts.reader_cache);
	nscache_counts(&counts.namespace_cache);
	handle_counts(&counts.open_files, &counts.open_file_bytes);
	f.boot_time_us = boot_time_us();
	f.clk_tck = hz > 0 ? (unsigned)hz : 0;
	/* Other readers' lookups, the daemon's set-up, the host's size: the host's business. */
	f.whole_host = whole_host;
	f.stats = &counts;
	f.version = NSPIDFS_VERSION;
	f.strategy = strategy_name(strategy_active());
	f.build_us = g_get_monotonic_time() - began;
	s = format_metrics(m, top, &f);
	metrics_facts_clear(&f);
	return s;
}

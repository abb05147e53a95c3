#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "container.h"
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

/* The daemon's own namespace is in no container, whatever its init's cgroup says. */
static void collect_container(const struct ns_info *ns, struct metrics_init *in)
{
	struct container_info c;

	if (ns->level == 0 || container_of(ns->init, &c) < 0)
		return;
	if (container_id_uri(&c, in->container_id, sizeof(in->container_id)) < 0)
		in->container_id[0] = '\0';
	g_strlcpy(in->pod_uid, c.pod_uid, sizeof(in->pod_uid));
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
	collect_container(ns, &in);
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
		      gint64 began, const struct metrics_tree_counts *tree)
{
	struct metrics_facts f;
	struct stats_counts counts;
	long hz = sysconf(_SC_CLK_TCK);
	GString *s;

	metrics_facts_init(&f);
	metrics_collect(m, top, &f);
	stats_read(&counts);
	counts.proc_passes = snapshot_passes();
	counts.proc_updates = snapshot_updates();
	pidcache_counts(&counts.process_cache);
	visibility_counts(&counts.reader_cache);
	nscache_counts(&counts.namespace_cache);
	counts.open_files = tree->open_files;
	counts.open_file_bytes = tree->open_file_bytes;
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

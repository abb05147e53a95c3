/*
 * Soak: PID namespaces (nested up to three deep) and processes are created and destroyed
 * continuously while reader threads read every file of random live and just-dead processes,
 * and the JSON of their namespaces, which the daemon's shared model (kept current by process
 * events) answers.
 * Every answer is checked against what the kernel said about that very process: an answer is
 * right for the process its directory names, or ENOENT; never another process's data, never
 * EIO. At the end: reads, wrong answers, errors by errno, zombies left, the daemon's fds and
 * RSS at start and end. The daemon is stopped with SIGTERM and must exit 0: in a sanitizer
 * build LeakSanitizer then checks it for leaks, and daemon_stop() fails on any sanitizer
 * report in its log (meson forces detect_leaks=1 for the tests).
 *
 *   soak STRATEGY [SECONDS]     (default 60; meson test runs a short one per strategy)
 *
 * The oracle: the reader opens the process's directory, then checks (through /proc) that the
 * PID still has the start time recorded when the process was made. If so the directory names
 * that process (it was alive before and after the lookup), and every file read through the
 * directory descriptor must hold exactly what the kernel said, or ENOENT once it has exited.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"

#define MAX_LEVEL 3
#define READERS	  3
#define HISTORY	  4096 /* processes remembered, live or dead */

/* What the kernel said about one process when the soak made it. */
struct record {
	pid_t host;
	uint64_t start;
	char files[5][512]; /* expected init, nspid, level, ns, ancestors */
};

static const char *const names[5] = {"init", "nspid", "level", "ns", "ancestors"};

static GMutex lock;
static struct record history[HISTORY];
static unsigned n_history;
static struct daemon d;
static volatile gint stop;

static gint reads, wrong, err_enoent, err_other, exited, listed;
static GHashTable *other_errnos; /* errno -> count, under lock */

static uint64_t start_of(pid_t pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/stat", pid);
	g_autofree char *text = NULL;
	const char *p;
	unsigned long long v = 0;

	if (!g_file_get_contents(path, &text, NULL, NULL) || !(p = strrchr(text, ')')))
		return 0;
	/* Field 22: p moves to the blank before each field from the 3rd on. */
	for (int field = 3; field <= 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (p)
		v = strtoull(p + 1, NULL, 10);
	return v;
}

/* The kernel's view of pid, as nspidfs must render it; false if it is already gone. */
static bool describe(pid_t pid, struct record *r)
{
	pid_t nspid[TREE_LEVELS], inits[TREE_LEVELS];
	uint64_t inos[TREE_LEVELS];
	unsigned depth;
	g_autoptr(GString) anc = g_string_new("");

	r->host = pid;
	r->start = start_of(pid);
	if (!r->start || kernel_nspid(pid, nspid, TREE_LEVELS, &depth) < 0)
		return false;
	/* Each level's init: the ancestor whose last NSpid entry is 1 at that depth. */
	inits[0] = 1;
	inos[0] = kernel_ns_ino(getpid());
	for (unsigned k = 1; k < depth; k++) {
		pid_t q = pid;

		inits[k] = 0;
		while (q > 1) {
			pid_t qn[TREE_LEVELS];
			unsigned qd;
			g_autofree char *path = g_strdup_printf("/proc/%d/stat", q);
			g_autofree char *text = NULL;
			const char *p;

			if (kernel_nspid(q, qn, TREE_LEVELS, &qd) < 0)
				return false;
			if (qd == k + 1 && qn[k] == 1) {
				inits[k] = q;
				break;
			}
			if (!g_file_get_contents(path, &text, NULL, NULL) ||
			    !(p = strrchr(text, ')')))
				return false;
			q = (pid_t)strtol(p + 4, NULL, 10); /* ") S PPID" */
		}
		if (!inits[k])
			return false;
		inos[k] = kernel_ns_ino(inits[k]);
	}
	for (unsigned k = 0; k < depth; k++)
		g_string_append_printf(anc, "%u %" PRIu64 " %d %d\n", k, inos[k], nspid[k],
				       inits[k]);
	snprintf(r->files[0], sizeof(r->files[0]), "%d\n", inits[depth - 1]);
	snprintf(r->files[1], sizeof(r->files[1]), "%d\n", nspid[depth - 1]);
	snprintf(r->files[2], sizeof(r->files[2]), "%u\n", depth - 1);
	snprintf(r->files[3], sizeof(r->files[3]), "%" PRIu64 "\n", inos[depth - 1]);
	g_strlcpy(r->files[4], anc->str, sizeof(r->files[4]));
	/* Still the same process after all those reads: the description is of it. */
	return start_of(pid) == r->start;
}

static void remember(pid_t pid)
{
	struct record r;

	if (!describe(pid, &r))
		return;
	g_mutex_lock(&lock);
	history[n_history++ % HISTORY] = r;
	g_mutex_unlock(&lock);
}

/* ------------------------------------------------------------------ churn */

static void __attribute__((noreturn)) unit_main(int level, int ready);

/* In a unit process: a member (blocks) or a nested init, reported through ready. */
static pid_t spawn(int level, int ready, bool new_ns)
{
	pid_t p = (pid_t)syscall(SYS_clone, (unsigned long)((new_ns ? CLONE_NEWPID : 0) | SIGCHLD),
				 0, 0, 0, 0);

	if (p == 0) {
		if (new_ns)
			unit_main(level + 1, ready);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	return p;
}

/*
 * An init: makes a few members and maybe a nested namespace, tells the soak its members'
 * host PIDs through ready (the init cannot know them: it writes its own namespace's PIDs, the
 * soak finds host PIDs through /proc children lists), then lives a random while.
 */
static void __attribute__((noreturn)) unit_main(int level, int ready)
{
	/* Forked from a threaded process: no GLib here, only plain system calls. */
	unsigned seed = (unsigned)getpid() * 2654435761u ^ (unsigned)level;
	int members = 1 + (int)(rand_r(&seed) % 4);
	char c = 'u';

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (int i = 0; i < members; i++)
		spawn(level, ready, false);
	if (level < MAX_LEVEL && rand_r(&seed) % 2)
		spawn(level, ready, true);
	/* Only the outermost unit is waited for; a nested one's write may find nobody. */
	if (write(ready, &c, 1) < 0)
		c = 0;
	/* Lives until the soak kills the outermost init, which ends every namespace below. */
	for (;;)
		pause();
}

static void remember_tree(pid_t pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/task/%d/children", pid, pid);
	g_autofree char *text = NULL;
	g_auto(GStrv) kids = NULL;

	remember(pid);
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return;
	kids = g_strsplit(g_strstrip(text), " ", -1);
	for (char **k = kids; *k && **k; k++)
		remember_tree((pid_t)strtol(*k, NULL, 10));
}

static void *churn_main(void *arg)
{
	GArray *units = g_array_new(FALSE, FALSE, sizeof(pid_t));

	while (!g_atomic_int_get(&stop)) {
		int ready[2];
		char c;
		pid_t u;

		if (pipe2(ready, O_CLOEXEC) < 0)
			break;
		u = spawn(0, ready[1], true);
		close(ready[1]);
		/* The first unit of each nesting level reports; the rest follow on their own. */
		if (read(ready[0], &c, 1) == 1)
			remember_tree(u);
		close(ready[0]);
		g_array_append_val(units, u);
		/* Reap units that ended (their alarm went off), keep about eight alive. */
		for (guint i = 0; i < units->len;) {
			pid_t p = g_array_index(units, pid_t, i);

			if (waitpid(p, NULL, WNOHANG) == p ||
			    (units->len > 8 && i == 0 && kill(p, SIGKILL) == 0 &&
			     waitpid(p, NULL, 0) == p))
				g_array_remove_index(units, i);
			else
				i++;
		}
	}
	for (guint i = 0; i < units->len; i++) {
		kill(g_array_index(units, pid_t, i), SIGKILL);
		waitpid(g_array_index(units, pid_t, i), NULL, 0);
	}
	g_array_unref(units);
	return NULL;
}

/* ------------------------------------------------------------------ readers */

static void count_errno(int e)
{
	g_mutex_lock(&lock);
	g_hash_table_insert(
	    other_errnos, GINT_TO_POINTER(e),
	    GINT_TO_POINTER(GPOINTER_TO_INT(g_hash_table_lookup(other_errnos, GINT_TO_POINTER(e))) +
			    1));
	g_mutex_unlock(&lock);
}

static void check_one(const struct record *r)
{
	g_autofree char *dir = g_strdup_printf("%s/%d", d.mnt, r->host);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0) {
		g_atomic_int_inc(errno == ENOENT ? &err_enoent : &err_other);
		if (errno != ENOENT)
			count_errno(errno);
		return;
	}
	/* The directory names r's process only if r's process still held the PID after. */
	if (start_of(r->host) != r->start) {
		g_atomic_int_inc(&exited);
		close(dfd);
		return;
	}
	for (int f = 0; f < 5; f++) {
		char buf[1024];
		int fd = openat(dfd, names[f], O_RDONLY | O_CLOEXEC);
		ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		int e = errno;

		if (fd >= 0)
			close(fd);
		g_atomic_int_inc(&reads);
		if (n < 0) {
			g_atomic_int_inc(e == ENOENT ? &err_enoent : &err_other);
			if (e != ENOENT)
				count_errno(e);
			continue;
		}
		buf[n] = '\0';
		if (strcmp(buf, r->files[f]) != 0) {
			g_atomic_int_inc(&wrong);
			fprintf(stderr, "WRONG %d/%s: got \"%s\", want \"%s\"\n", r->host, names[f],
				buf, r->files[f]);
		}
	}
	close(dfd);
}

/*
 * The namespace view of r's own namespace, from the daemon's shared model: if it lists r's
 * process (which lived before the read and after it), then with r's PID there.
 */
static void check_model(const struct record *r)
{
	g_autofree char *path =
	    g_strdup_printf("%s/ns/%.*s/json", d.mnt, (int)strcspn(r->files[3], "\n"), r->files[3]);
	g_autofree char *entry = g_strdup_printf("{\"host_pid\":%d,\"ns_pid\":", r->host);
	g_autofree char *text = NULL;
	g_autoptr(GError) error = NULL;
	const char *p;

	/* Only processes alive now: the dead ones' namespaces are mostly gone. */
	if (start_of(r->host) != r->start)
		return;
	g_atomic_int_inc(&reads);
	if (!g_file_get_contents(path, &text, NULL, &error)) {
		if (!g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
			g_atomic_int_inc(&err_other);
			count_errno(EIO);
			fprintf(stderr, "%s: %s\n", path, error->message);
		} else {
			g_atomic_int_inc(&err_enoent);
		}
		return;
	}
	p = strstr(text, entry);
	if (!p || start_of(r->host) != r->start)
		return;
	g_atomic_int_inc(&listed);
	if (strtol(p + strlen(entry), NULL, 10) != strtol(r->files[1], NULL, 10)) {
		g_atomic_int_inc(&wrong);
		fprintf(stderr, "WRONG %s lists %d as %ld, want %s", path, r->host,
			strtol(p + strlen(entry), NULL, 10), r->files[1]);
	}
}

static void *reader_main(void *arg)
{
	while (!g_atomic_int_get(&stop)) {
		struct record r;

		g_mutex_lock(&lock);
		if (!n_history) {
			g_mutex_unlock(&lock);
			sched_yield();
			continue;
		}
		r = history[g_random_int_range(0, (gint32)MIN(n_history, HISTORY))];
		g_mutex_unlock(&lock);
		check_one(&r);
		check_model(&r);
	}
	return NULL;
}

static long rss_kib(pid_t pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/status", pid);
	g_autofree char *text = NULL;
	const char *p;

	if (!g_file_get_contents(path, &text, NULL, NULL) || !(p = strstr(text, "VmRSS:")))
		return -1;
	return strtol(p + 6, NULL, 10);
}

static unsigned zombies_of(pid_t parent)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/task/%d/children", parent, parent);
	g_autofree char *text = NULL;

	/* Any child left at the end is a process the soak failed to reap. */
	g_auto(GStrv) kids = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL) || !*g_strstrip(text))
		return 0;
	kids = g_strsplit(text, " ", -1);
	return g_strv_length(kids);
}

/* The descriptors the daemon's caches hold, by its metrics: what it may hold beyond its start. */
static unsigned cache_entries(const struct daemon *dm)
{
	g_autofree char *path = g_strdup_printf("%s/metrics/nspidfs.prom", dm->mnt);
	g_autofree char *text = NULL;
	unsigned n = 0;
	const char *p;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return 0;
	for (p = text; (p = strstr(p, "\nnspidfs_cache_descriptors{")); p++)
		n += (unsigned)strtoul(strchr(p, '}') + 1, NULL, 10);
	return n;
}

int main(int argc, char **argv)
{
	const char *strategy = argc > 1 ? argv[1] : "auto";
	unsigned seconds = argc > 2 ? (unsigned)atoi(argv[2]) : 60;
	pthread_t churn, readers[READERS];
	unsigned fds0, fds1, leftover, cached, spawner;
	long rss0, rss1;
	int status;
	GHashTableIter it;
	gpointer k, v;

	harness_init();
	other_errnos = g_hash_table_new(NULL, NULL);
	/* Every read of the namespace view current: from a model of this very moment. */
	if (!daemon_start_strategy(&d, strategy, "--snapshot-ms=0"))
		return 1;
	rss0 = rss_kib(d.server);
	fds0 = process_fd_count(d.server);
	pthread_create(&churn, NULL, churn_main, NULL);
	for (int i = 0; i < READERS; i++)
		pthread_create(&readers[i], NULL, reader_main, NULL);
	g_usleep((gulong)seconds * G_USEC_PER_SEC); /* the soak's duration, not a synchronisation */
	g_atomic_int_set(&stop, 1);
	pthread_join(churn, NULL);
	for (int i = 0; i < READERS; i++)
		pthread_join(readers[i], NULL);
	rss1 = rss_kib(d.server);
	cached = cache_entries(&d); /* reading the metrics drops entries of the dead first */
	fds1 = process_fd_count(d.server);
	/* The errors the daemon explained: its log goes when it stops. */
	if (g_atomic_int_get(&err_other) || g_atomic_int_get(&wrong)) {
		g_autofree char *log = NULL;

		g_file_get_contents(d.log, &log, NULL, NULL);
		fprintf(stderr, "daemon log:\n%s\n", log ? log : "(none)");
	}
	/* A daemon whose helpers ran holds the socket of their spawner. */
	spawner = daemon_spawner(&d) > 0;
	/* The daemon alive at the end: it did not crash. */
	status = kill(d.pid, 0) == 0 ? daemon_stop(&d) : -1;
	leftover = zombies_of(getpid());
	printf("soak %s, %u s: %d reads through %u processes, %d wrong, %d ENOENT, %d other "
	       "errors, %d exited before the check; %d listed in their namespace's JSON\n",
	       strategy, seconds, g_atomic_int_get(&reads), MIN(n_history, HISTORY),
	       g_atomic_int_get(&wrong), g_atomic_int_get(&err_enoent),
	       g_atomic_int_get(&err_other), g_atomic_int_get(&exited), g_atomic_int_get(&listed));
	g_hash_table_iter_init(&it, other_errnos);
	while (g_hash_table_iter_next(&it, &k, &v))
		printf("  errno %s: %d\n", strerror(GPOINTER_TO_INT(k)), GPOINTER_TO_INT(v));
	printf("daemon: fds %u -> %u (%u held by the caches, %u the spawner's), RSS %ld -> %ld "
	       "KiB, exit status %d; children left: %u\n",
	       fds0, fds1, cached, spawner, rss0, rss1, status, leftover);
	return wrong == 0 && err_other == 0 && status == 0 && leftover == 0 &&
		       g_atomic_int_get(&listed) > 0 && fds1 <= fds0 + 2 + cached + spawner &&
		       g_atomic_int_get(&reads) > 0
		   ? 0
		   : 1;
}

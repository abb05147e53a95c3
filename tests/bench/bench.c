/*
 * The benchmark: what a read through nspidfs costs, against the FUSE floor (a trivial file
 * of a minimal libfuse filesystem mounted with the same options), /proc, lxcfs if installed,
 * and a fork per query. Every figure is a median of samples taken interleaved in one run, so
 * the ratios compare like with like on a machine doing whatever else it does.
 *
 *   bench [--quick] [--flood-only | --restart-only | --scale-only]
 *         (meson test --benchmark runs it with --quick; --flood-only: section 6 alone;
 *         --restart-only: section 7 alone; --scale-only: sections 3-4 alone)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "floorfs.h"
#include "harness.h"

static bool quick;

/* ------------------------------------------------------------------ samples and table */

struct series {
	const char *name;
	GArray *us; /* double */
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static gint cmp_double(gconstpointer a, gconstpointer b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(const struct series *s)
{
	if (!s->us->len)
		return 0;
	g_array_sort(s->us, cmp_double);
	return g_array_index(s->us, double, s->us->len / 2);
}

static struct series *series_new(const char *name)
{
	struct series *s = g_new0(struct series, 1);

	s->name = name;
	s->us = g_array_new(FALSE, FALSE, sizeof(double));
	return s;
}

static void add(struct series *s, double us)
{
	g_array_append_val(s->us, us);
}

static void row(const char *what, double us, double base, const char *base_name)
{
	if (base > 0)
		printf("  %-52s %10.1f us %8.2fx %s\n", what, us, us / base, base_name);
	else
		printf("  %-52s %10.1f us\n", what, us);
}

/* ------------------------------------------------------------------ operations */

/* open + read + close, as `cat` does; returns microseconds, or -1 on error. */
static double timed_cat(const char *path)
{
	char buf[4096];
	double t0 = now_us();
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
	return n < 0 ? -1 : now_us() - t0;
}

static double timed_readdir(const char *path, unsigned *entries)
{
	double t0 = now_us();
	DIR *d = opendir(path);
	unsigned n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	if (entries)
		*entries = n;
	return now_us() - t0;
}

static void must(double us, const char *what)
{
	if (us < 0) {
		fprintf(stderr, "bench: %s failed: %s\n", what, strerror(errno));
		exit(1);
	}
}

/* ------------------------------------------------------------------ the daemons */

/*
 * A daemon per strategy, and the default strategy where every reader sees everything. creds
 * forks without the per-container rate and never hands a read to another strategy: what it
 * measures is its helpers.
 */
static const struct config {
	const char *name;
	const char *args[3];
} configs[] = {
    {"auto", {"--strategy=auto", NULL}},
    {"ioctl", {"--strategy=ioctl", NULL}},
    {"status", {"--strategy=status", NULL}},
    {"creds", {"--strategy=creds", HARNESS_NO_RATE_CAP, NULL}},
    {"auto, visibility=all", {"--strategy=auto", "--visibility=all", NULL}},
};
#define N_STRATEGIES G_N_ELEMENTS(configs)
#define CREDS	     3
#define ALL	     (N_STRATEGIES - 1)

static struct daemon daemons[N_STRATEGIES];
/*
 * Two floors: [0] libfuse's default multithreaded loop, what a libfuse filesystem gets
 * unless it works at it; [1] its single-threaded loop, cheaper per request, but one slow
 * request stalls every reader. Ratios are to [0] and, after a slash, to [1].
 */
#define N_FLOORS 2
static char floor_dir[N_FLOORS][64], floor_mnt[N_FLOORS][80];
static pid_t floor_pid[N_FLOORS];

/* A row against both floors. */
static void row_floors(const char *what, double us, const double fl[N_FLOORS])
{
	printf("  %-52s %10.1f us %6.2fx / %.2fx of floor\n", what, us, us / fl[0], us / fl[1]);
}

static void floor_rows(const double fl[N_FLOORS], const char *what)
{
	printf("  %-52s %10.1f us\n", "FUSE floor (libfuse multithreaded loop)", fl[0]);
	printf("  %-52s %10.1f us\n", "FUSE floor (libfuse single-threaded loop)", fl[1]);
	if (what)
		printf("  (floor: %s)\n", what);
}

static void start_all(void)
{
	for (size_t i = 0; i < N_STRATEGIES; i++) {
		harness_strategy_alone(i == CREDS ? "creds" : "");
		if (!daemon_start(&daemons[i], configs[i].args)) {
			fprintf(stderr, "bench: nspidfs (%s) did not start\n", configs[i].name);
			exit(1);
		}
	}
	for (int f = 0; f < N_FLOORS; f++) {
		snprintf(floor_dir[f], sizeof(floor_dir[f]), "/tmp/nspidfs-floor-XXXXXX");
		if (!mkdtemp(floor_dir[f]))
			exit(1);
		snprintf(floor_mnt[f], sizeof(floor_mnt[f]), "%s/mnt", floor_dir[f]);
		mkdir(floor_mnt[f], 0755);
		floor_pid[f] = floorfs_start(floor_mnt[f], f == 1);
		if (floor_pid[f] < 0) {
			fprintf(stderr, "bench: the floor filesystem did not mount\n");
			exit(1);
		}
	}
}

static void stop_all(void)
{
	for (size_t i = 0; i < N_STRATEGIES; i++)
		daemon_stop(&daemons[i]);
	for (int f = 0; f < N_FLOORS; f++) {
		floorfs_stop(floor_pid[f]);
		rmdir(floor_mnt[f]);
		rmdir(floor_dir[f]);
	}
}

/* ------------------------------------------------------------------ 1. reads */

static const char *const files[] = {"init", "nspid", "ancestors"};

static void bench_warm(pid_t target, unsigned iters)
{
	g_autofree char *status = g_strdup_printf("/proc/%d/status", target);
	struct series *proc = series_new("/proc/PID/status");
	struct series *floor[N_FLOORS], *floor_next[N_FLOORS];
	char *floor_file[N_FLOORS];
	struct series *s[N_STRATEGIES][G_N_ELEMENTS(files)];
	char *paths[N_STRATEGIES][G_N_ELEMENTS(files)];
	double fl[N_FLOORS], fl_next[N_FLOORS];

	for (int f = 0; f < N_FLOORS; f++) {
		floor[f] = series_new("FUSE floor");
		floor_next[f] = series_new("FUSE floor, next");
		floor_file[f] = g_strdup_printf("%s/f0", floor_mnt[f]);
		must(timed_cat(floor_file[f]), "floor");
	}
	for (size_t d = 0; d < N_STRATEGIES; d++) {
		for (size_t f = 0; f < G_N_ELEMENTS(files); f++) {
			s[d][f] = series_new(files[f]);
			paths[d][f] = g_strdup_printf("%s/%d/%s", daemons[d].mnt, target, files[f]);
			must(timed_cat(paths[d][f]), paths[d][f]); /* warm it */
		}
	}
	for (unsigned i = 0; i < iters; i++) {
		add(proc, timed_cat(status));
		/* Read as the daemons' three files are: once after the others, twice right after.
		 */
		for (int f = 0; f < N_FLOORS; f++) {
			add(floor[f], timed_cat(floor_file[f]));
			add(floor_next[f], timed_cat(floor_file[f]));
			add(floor_next[f], timed_cat(floor_file[f]));
		}
		for (size_t d = 0; d < N_STRATEGIES; d++) {
			for (size_t f = 0; f < G_N_ELEMENTS(files); f++)
				add(s[d][f], timed_cat(paths[d][f]));
		}
	}
	printf("\n1a. warm reads (the same process again), one reader, %u rounds\n", iters);
	for (int f = 0; f < N_FLOORS; f++) {
		fl[f] = median(floor[f]);
		fl_next[f] = median(floor_next[f]);
		g_free(floor_file[f]);
	}
	printf(
	    "  Each round reads every file system in turn, three files each: the first read of\n"
	    "  a round (init) finds the server idle, the next two (nspid, ancestors) right\n"
	    "  after a read. The floor is read the same way and compared position by position.\n");
	floor_rows(fl, "a trivial file, same mount options; first read of a round");
	floor_rows(fl_next, "the same, read right after a read");
	row_floors("/proc/PID/status", median(proc), fl);
	for (size_t d = 0; d < N_STRATEGIES; d++) {
		for (size_t f = 0; f < G_N_ELEMENTS(files); f++) {
			g_autofree char *what =
			    g_strdup_printf("nspidfs %s: PID/%s", configs[d].name, files[f]);

			row_floors(what, median(s[d][f]), f == 0 ? fl : fl_next);
			g_free(paths[d][f]);
		}
	}
}

/* Point pid_for_children at pid's PID namespace. */
static void children_in_ns_of(pid_t pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/ns/pid", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || setns(fd, CLONE_NEWPID) < 0) {
		perror(path);
		exit(1);
	}
	close(fd);
}

/*
 * n processes blocked on a pipe: each the init of a new PID namespace (member 0), or each a
 * process of member's namespace. Close *release to end them.
 */
static pid_t *spawn(unsigned n, pid_t member, int *release)
{
	pid_t *pids = g_new(pid_t, n);
	int p[2];
	char c;

	if (pipe2(p, O_CLOEXEC) < 0)
		exit(1);
	if (member)
		children_in_ns_of(member);
	for (unsigned i = 0; i < n; i++) {
		pids[i] = (pid_t)syscall(
		    SYS_clone, (unsigned long)((member ? 0 : CLONE_NEWPID) | SIGCHLD), 0, 0, 0, 0);
		if (pids[i] == 0) {
			close(p[1]);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			while (read(p[0], &c, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
		if (pids[i] < 0)
			exit(1);
	}
	if (member)
		children_in_ns_of(getpid());
	close(p[0]);
	*release = p[1];
	return pids;
}

static void end_spawned(pid_t *pids, unsigned n, int release)
{
	close(release);
	for (unsigned i = 0; i < n; i++)
		waitpid(pids[i], NULL, 0);
	g_free(pids);
}

/* A first read of pid through daemon d. */
static double cold_read(size_t d, pid_t pid)
{
	g_autofree char *p = g_strdup_printf("%s/%d/init", daemons[d].mnt, pid);
	double us = timed_cat(p);

	must(us, p);
	return us;
}

/*
 * Cold: each process read once, a new floor name each time (a LOOKUP as for a new PID). The
 * medians per strategy go to cold_us for the one-translation comparison.
 */
static void bench_cold(pid_t member, unsigned n, double cold_us[N_STRATEGIES])
{
	struct series *floor[N_FLOORS];
	struct series *s[N_STRATEGIES];
	int release;
	pid_t *pids = spawn(n, member, &release);
	double fl[N_FLOORS];

	g_assert(strcmp(configs[CREDS].name, "creds") == 0);
	for (int f = 0; f < N_FLOORS; f++)
		floor[f] = series_new("floor cold");
	for (size_t d = 0; d < N_STRATEGIES; d++)
		s[d] = series_new(configs[d].name);
	for (unsigned i = 0; i < n; i++) {
		for (int f = 0; f < N_FLOORS; f++) {
			g_autofree char *fp = g_strdup_printf("%s/f%u", floor_mnt[f], 1000 + i);

			add(floor[f], timed_cat(fp));
		}
		/*
		 * The first daemon to read a process may pay for /proc instantiating its
		 * entries: each daemon goes first in turn.
		 */
		for (size_t k = 0; k < N_STRATEGIES; k++) {
			size_t d = (i + k) % N_STRATEGIES;

			if (d != CREDS)
				add(s[d], cold_read(d, pids[i]));
		}
	}
	/*
	 * creds in a pass of its own: the helpers it forks exit after its read, and on a
	 * machine with few CPUs that slowed whichever server was read next by a third.
	 */
	for (unsigned i = 0; i < n; i++)
		add(s[CREDS], cold_read(CREDS, pids[i]));
	printf("\n1b. cold reads (first read of a process: PID/init), %u processes\n", n);
	printf("  Each round reads a new name of each floor, then the process through each daemon\n"
	       "  but creds, in turn; creds reads them all after (its helpers' exits would slow\n"
	       "  whatever is read next).\n");
	for (int f = 0; f < N_FLOORS; f++)
		fl[f] = median(floor[f]);
	floor_rows(fl, "the first open of a new name");
	for (size_t d = 0; d < N_STRATEGIES; d++) {
		g_autofree char *what =
		    g_strdup_printf("nspidfs %s: PID/init, cold", configs[d].name);

		cold_us[d] = median(s[d]);
		row_floors(what, cold_us[d], fl);
	}
	end_spawned(pids, n, release);
}

struct reader {
	const char *path;
	unsigned iters;
	struct series *s;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	for (unsigned i = 0; i < r->iters; i++)
		add(r->s, timed_cat(r->path));
	return NULL;
}

/* Two readers at once on the same file: medians per read of both together. */
static double parallel(const char *path, unsigned iters)
{
	struct reader r[2] = {{path, iters, series_new("a")}, {path, iters, series_new("b")}};
	pthread_t th[2];

	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, reader_main, &r[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	g_array_append_vals(r[0].s->us, r[1].s->us->data, r[1].s->us->len);
	return median(r[0].s);
}

static void bench_parallel(pid_t target, unsigned iters)
{
	double fl[N_FLOORS];

	for (int f = 0; f < N_FLOORS; f++) {
		g_autofree char *fp = g_strdup_printf("%s/f0", floor_mnt[f]);

		fl[f] = parallel(fp, iters);
	}
	printf("\n1c. warm reads, two readers in parallel, %u rounds each\n", iters);
	floor_rows(fl, NULL);
	for (size_t d = 0; d < N_STRATEGIES; d++) {
		g_autofree char *p = g_strdup_printf("%s/%d/init", daemons[d].mnt, target);
		g_autofree char *what = g_strdup_printf("nspidfs %s: PID/init", configs[d].name);

		row_floors(what, parallel(p, iters), fl);
	}
}

/* n reads of path in a row: a loop of cat, as watch(1) or a script runs. */
static double burst(const char *path, unsigned n)
{
	struct series *s = series_new("burst");

	for (unsigned i = 0; i < n; i++)
		add(s, timed_cat(path));
	return median(s);
}

/* What 1d measured, for 2's speed-up over a fork per query. */
struct loop_result {
	double us, all; /* medians of the rounds: default, visibility=all */
};

#define LOOP_ROUNDS 9

/* The median of the rounds' medians, and the median and range of their ratios to the floor. */
static void row_rounds(const char *what, double us, struct series *ratios)
{
	double mid = median(ratios); /* sorts */

	printf("  %-52s %10.1f us %8.2fx of floor, median round (%.2f-%.2fx)\n", what, us, mid,
	       g_array_index(ratios->us, double, 0),
	       g_array_index(ratios->us, double, ratios->us->len - 1));
}

/*
 * One file system at a time, in a loop, in the order floor, nspidfs, nspidfs, floor: no other
 * server's threads in between (in 1a, each daemon's reading thread is still looking for work
 * while the next daemon is read, on a machine with two CPUs). In rounds, because where the
 * scheduler puts the reader and a daemon's reading thread (one CPU or two) lasts for a burst
 * and changes a read's cost by half: each round is one more draw.
 */
static struct loop_result bench_loop(pid_t target, unsigned iters)
{
	g_autofree char *fp = g_strdup_printf("%s/f0", floor_mnt[0]);
	g_autofree char *p = g_strdup_printf("%s/%d/init", daemons[0].mnt, target);
	g_autofree char *pa = g_strdup_printf("%s/%d/init", daemons[ALL].mnt, target);
	struct series *fl = series_new("floor"), *us = series_new("default"),
		      *ua = series_new("all"), *r = series_new("ratio"),
		      *ra = series_new("ratio all");
	unsigned n = iters / LOOP_ROUNDS;
	struct loop_result out;

	for (unsigned i = 0; i < LOOP_ROUNDS; i++) {
		double f1 = burst(fp, n), u = burst(p, n), a = burst(pa, n);
		double f = (f1 + burst(fp, n)) / 2;

		add(fl, f);
		add(us, u);
		add(ua, a);
		add(r, u / f);
		add(ra, a / f);
	}
	out = (struct loop_result){.us = median(us), .all = median(ua)};
	printf(
	    "\n1d. warm reads in a loop, one file system at a time, %u rounds of %u reads each\n",
	    LOOP_ROUNDS, n);
	row("FUSE floor (libfuse multithreaded loop), before and after", median(fl), 0, "");
	row_rounds("nspidfs auto: PID/init", out.us, r);
	row_rounds("nspidfs auto, visibility=all: PID/init", out.all, ra);
	return out;
}

/* Cold reads as 1d reads warm ones: floor, nspidfs, floor, each a burst of new names. */
static void bench_cold_loop(unsigned n)
{
	int release;
	pid_t *pids = spawn(n, 0, &release);
	struct series *f = series_new("floor"), *s = series_new("nspidfs");

	for (int round = 0; round < 2; round++) {
		for (unsigned i = 0; i < n; i++) {
			g_autofree char *fp =
			    g_strdup_printf("%s/f%u", floor_mnt[0], 5000 + round * n + i);

			add(f, timed_cat(fp));
		}
		for (unsigned i = 0; round == 0 && i < n; i++) {
			g_autofree char *p = g_strdup_printf("%s/%d/init", daemons[0].mnt, pids[i]);
			double us = timed_cat(p);

			must(us, p);
			add(s, us);
		}
	}
	printf("\n1e. cold reads in a row, one file system at a time, %u new processes\n", n);
	row("FUSE floor (libfuse multithreaded loop): new names", median(f), 0, "");
	row("nspidfs auto: PID/init of new processes", median(s), median(f), "of floor");
	end_spawned(pids, n, release);
}

/* ------------------------------------------------------------------ 2. fork per query */

/*
 * What a tool without nspidfs does: fork nsenter into the namespace and ask. Against it,
 * nspidfs warm (read right after each fork, and in a loop, 1d) and cold; and each strategy's
 * one translation, as its cold read (1b).
 */
static void bench_fork_per_query(pid_t target, unsigned iters, const double cold_us[N_STRATEGIES],
				 const struct loop_result *loop)
{
	g_autofree char *ns = g_strdup_printf("--target=%d", target);
	struct series *s = series_new("fork");
	g_autofree char *p = g_strdup_printf("%s/%d/init", daemons[0].mnt, target);
	g_autofree char *p_all = g_strdup_printf("%s/%d/init", daemons[ALL].mnt, target);
	struct series *fs = series_new("nspidfs"), *fs_all = series_new("nspidfs all");
	double fork_us;

	for (unsigned i = 0; i < iters; i++) {
		double t0 = now_us();
		pid_t c = fork();

		if (c == 0) {
			int null = open("/dev/null", O_WRONLY);

			dup2(null, 1);
			execlp("nsenter", "nsenter", ns, "--pid", "--", "true", (char *)NULL);
			_exit(127);
		}
		waitpid(c, NULL, 0);
		add(s, now_us() - t0);
		add(fs, timed_cat(p));
		add(fs_all, timed_cat(p_all));
	}
	fork_us = median(s);
	printf("\n2. one translation\n");
	row("fork + nsenter --pid into the namespace", fork_us, 0, "");
	printf("  %-52s %10.0fx / %.0fx a warm read in a loop (1d): default / all\n",
	       "  a fork + nsenter costs", fork_us / loop->us, fork_us / loop->all);
	row("nspidfs auto: PID/init, warm, read after each fork", median(fs), fork_us,
	    "of fork + nsenter");
	row("nspidfs auto, visibility=all: the same", median(fs_all), fork_us, "of fork + nsenter");
	row("nspidfs auto: PID/init, cold (1b)", cold_us[0], fork_us, "of fork + nsenter");
	for (size_t d = 1; d < N_STRATEGIES; d++) {
		g_autofree char *what =
		    g_strdup_printf("nspidfs %s: PID/init, cold (1b)", configs[d].name);

		row(what, cold_us[d], cold_us[0], "of auto, cold");
	}
}

/* ------------------------------------------------------------------ 3-4. scale */

struct scale {
	int release[2];
	GArray *inits; /* pid_t */
};

static void __attribute__((noreturn)) ns_init_main(int release, int ready, unsigned members)
{
	char c;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (unsigned i = 1; i < members; i++) {
		if (fork() == 0) {
			close(ready);
			while (read(release, &c, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
	}
	if (write(ready, "r", 1) != 1)
		_exit(1);
	close(ready);
	while (read(release, &c, 1) < 0 && errno == EINTR)
		;
	/* The namespace's init leaving takes every member with it. */
	_exit(0);
}

static void scale_up(struct scale *sc, unsigned namespaces, unsigned per_ns)
{
	int ready[2];
	char c;

	if (pipe(sc->release) < 0 || pipe(ready) < 0)
		exit(1);
	sc->inits = g_array_new(FALSE, FALSE, sizeof(pid_t));
	for (unsigned i = 0; i < namespaces; i++) {
		pid_t p =
		    (pid_t)syscall(SYS_clone, (unsigned long)(CLONE_NEWPID | SIGCHLD), 0, 0, 0, 0);

		if (p == 0) {
			close(sc->release[1]);
			close(ready[0]);
			ns_init_main(sc->release[0], ready[1], per_ns);
		}
		if (p < 0) {
			fprintf(stderr, "bench: clone: %s\n", strerror(errno));
			exit(1);
		}
		g_array_append_val(sc->inits, p);
	}
	close(ready[1]);
	for (unsigned i = 0; i < namespaces; i++) {
		if (read(ready[0], &c, 1) != 1)
			exit(1);
	}
	close(ready[0]);
}

static void scale_down(struct scale *sc)
{
	close(sc->release[1]);
	close(sc->release[0]);
	for (guint i = 0; i < sc->inits->len; i++)
		waitpid(g_array_index(sc->inits, pid_t, i), NULL, 0);
	g_array_unref(sc->inits);
}

static long status_field(pid_t pid, const char *key)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/status", pid);
	g_autofree char *text = NULL;
	const char *p;

	if (!g_file_get_contents(path, &text, NULL, NULL) || !(p = strstr(text, key)))
		return -1;
	return strtol(p + strlen(key), NULL, 10);
}

/* The build time the metrics file reports about itself, in microseconds. */
static double metrics_build_us(const char *path)
{
	g_autofree char *text = NULL;
	double s;

	if (!g_file_get_contents(path, &text, NULL, NULL) ||
	    !metrics_sample(text, "nspidfs_metrics_build_seconds", &s))
		return -1;
	return s * 1e6;
}

/* `lsns -t pid`, as a person would run it: fork, exec, its output read and dropped. */
static double timed_lsns(void)
{
	const char *argv[] = {"lsns", "-t", "pid", NULL};
	g_autofree char *out = NULL;
	double t0 = now_us();
	gint status = 0;

	if (!g_spawn_sync(NULL, (char **)argv, NULL,
			  G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
			  &status, NULL) ||
	    status != 0)
		return -1;
	return now_us() - t0;
}

/* One listing of the scale section: where, and how it is read. */
struct listing {
	const char *name;
	const char *rel; /* below the mount point, or below ns/HOST/ with in_host_ns */
	bool dir, in_host_ns;
	struct series *s;
	char path[160];
};

static double read_listing(const struct listing *l)
{
	return l->dir ? timed_readdir(l->path, NULL) : timed_cat(l->path);
}

#define GROWTH_PACE_US 50000

/* Processes that block until released: n of them started at once, in the host's namespace. */
static double growth_read(const char *path, unsigned n)
{
	int release[2];
	pid_t *pids = g_new(pid_t, n);
	double us;
	char c;

	if (pipe(release) < 0)
		exit(1);
	/* A read first, so that the model is current before the n start. */
	must(timed_readdir(path, NULL), path);
	for (unsigned i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			close(release[1]);
			while (read(release[0], &c, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
	}
	/*
	 * Paced as a reader polling far less often than this would be: the daemon spaces its
	 * updates by three times the last one's length, which this measures no wait for.
	 */
	g_usleep(GROWTH_PACE_US);
	us = timed_readdir(path, NULL);
	close(release[1]);
	close(release[0]);
	for (unsigned i = 0; i < n; i++)
		waitpid(pids[i], NULL, 0);
	g_free(pids);
	return us;
}

static void bench_growth(const struct daemon *d, unsigned rounds)
{
	static const unsigned started[] = {0, 10, 100, 1000};
	g_autofree char *path = g_strdup_printf("%s/ns", d->mnt);
	struct series *s[G_N_ELEMENTS(started)];

	for (unsigned k = 0; k < G_N_ELEMENTS(started); k++)
		s[k] = series_new("growth");
	for (unsigned r = 0; r < rounds; r++)
		for (unsigned k = 0; k < G_N_ELEMENTS(started); k++)
			add(s[k], growth_read(path, started[k]));
	for (unsigned k = 0; k < G_N_ELEMENTS(started); k++) {
		g_autofree char *what =
		    g_strdup_printf("readdir of ns/ after %u processes started", started[k]);

		row(what, median(s[k]), started[k] ? median(s[0]) : 0,
		    started[k] ? "of none started" : "");
	}
}

static void bench_scale(unsigned namespaces, unsigned per_ns, unsigned iters, bool growth)
{
	struct scale sc;
	const char *live_args[] = {"--snapshot-ms=0", NULL};
	const char *pass_args[] = {"--snapshot-ms=0", "--event-buffer-kib=0", NULL};
	struct daemon live, passes;
	struct listing ls[] = {
	    {.name = "readdir of ns/", .rel = "ns", .dir = true},
	    {.name = "read ns/HOST/pids (every process)", .rel = "pids", .in_host_ns = true},
	    {.name = "read ns/HOST/children", .rel = "children", .in_host_ns = true},
	    {.name = "read ns/HOST/json", .rel = "json", .in_host_ns = true},
	    {.name = "read tree", .rel = "tree"},
	    {.name = "read metrics/nspidfs.prom", .rel = "metrics/nspidfs.prom"},
	};
	struct series *proc = series_new("proc"), *lsns = series_new("lsns"),
		      *root = series_new("root"), *pass_ns = series_new("pass ns"),
		      *pass_tree = series_new("pass tree"), *build = series_new("metrics build");
	g_autofree char *host = g_strdup_printf("%" PRIu64, kernel_ns_ino(getpid()));
	g_autofree char *nsp = NULL, *treep = NULL, *promp = NULL;
	unsigned n_proc = 0, n_ns = 0;
	long rss_half = 0;
	double t0 = now_us(), pr, ln;

	scale_up(&sc, namespaces, per_ns);
	printf("\n3. scale: %u PID namespaces x %u processes made in %.1f s\n", namespaces, per_ns,
	       (now_us() - t0) / 1e6);
	if (!daemon_start(&live, live_args) || !daemon_start(&passes, pass_args))
		exit(1);
	for (unsigned k = 0; k < G_N_ELEMENTS(ls); k++) {
		if (ls[k].in_host_ns)
			snprintf(ls[k].path, sizeof(ls[k].path), "%s/ns/%s/%s", live.mnt, host,
				 ls[k].rel);
		else
			snprintf(ls[k].path, sizeof(ls[k].path), "%s/%s", live.mnt, ls[k].rel);
		ls[k].s = series_new(ls[k].name);
	}
	nsp = g_strdup_printf("%s/ns", passes.mnt);
	treep = g_strdup_printf("%s/tree", passes.mnt);
	promp = g_strdup_printf("%s/metrics/nspidfs.prom", live.mnt);
	for (unsigned i = 0; i < iters; i++) {
		if (i == iters / 2)
			rss_half = status_field(live.server, "VmRSS:");
		add(proc, timed_readdir("/proc", &n_proc));
		if (i < 3 || !quick)
			add(lsns, timed_lsns());
		add(root, timed_readdir(daemons[0].mnt, NULL));
		for (unsigned k = 0; k < G_N_ELEMENTS(ls); k++)
			add(ls[k].s, read_listing(&ls[k]));
		add(pass_ns, timed_readdir(nsp, &n_ns));
		add(pass_tree, timed_cat(treep));
		add(build, metrics_build_us(promp));
	}
	pr = median(proc);
	ln = median(lsns);
	row("readdir /proc", pr, 0, "");
	row("lsns -t pid", ln, pr, "of /proc");
	printf("  (%u entries in /proc, %u in ns/)\n", n_proc, n_ns);
	row("nspidfs: readdir of the root", median(root), pr, "of /proc");
	printf("  every read current (--snapshot-ms=0), kept so by process events:\n");
	for (unsigned k = 0; k < G_N_ELEMENTS(ls); k++) {
		double v = median(ls[k].s);

		row(ls[k].name, v, pr, "of /proc");
		row("", v, ln, "of lsns -t pid");
	}
	row("  of which the metrics' build (nspidfs_metrics_build_seconds)", median(build), 0, "");
	printf("  every read a full /proc pass (--event-buffer-kib=0), as before events:\n");
	row("readdir of ns/", median(pass_ns), pr, "of /proc");
	row("read tree", median(pass_tree), pr, "of /proc");
	if (growth) {
		printf("  the cost of a read grows with what changed since the last:\n");
		bench_growth(&live, quick ? 5 : 15);
	}
	printf("\n4. the serving daemon at that scale (after the reads above)\n");
	printf("  %-52s %10ld KiB\n", "RSS, --snapshot-ms=0 daemon, half-way through", rss_half);
	printf("  %-52s %10ld KiB\n", "RSS, --snapshot-ms=0 daemon, after them",
	       status_field(live.server, "VmRSS:"));
	printf("  %-52s %10ld KiB\n", "RSS, default daemon",
	       status_field(daemons[0].server, "VmRSS:"));
	printf("  %-52s %10ld KiB\n", "RSS, --event-buffer-kib=0 daemon",
	       status_field(passes.server, "VmRSS:"));
	printf("  %-52s %10ld\n", "threads", status_field(live.server, "Threads:"));
	printf("  %-52s %10u\n", "open descriptors", process_fd_count(live.server));
	daemon_stop(&passes);
	daemon_stop(&live);
	scale_down(&sc);
}

/* ------------------------------------------------------------------ 5. lxcfs */

static void bench_lxcfs(unsigned iters)
{
	char dir[] = "/tmp/nspidfs-lxcfs-XXXXXX";
	g_autofree char *path = NULL, *fp = g_strdup_printf("%s/f0", floor_mnt[0]);
	g_autofree char *ours = g_strdup_printf("%s/%d/init", daemons[0].mnt, getpid());
	g_autofree char *ours_all = g_strdup_printf("%s/%d/init", daemons[ALL].mnt, getpid());
	struct series *ns = series_new("nspidfs"), *ns_all = series_new("nspidfs all");
	struct series *lx = series_new("lxcfs"), *fl = series_new("floor");
	pid_t pid;

	printf("\n5. the nearest peer: lxcfs\n");
	if (!g_find_program_in_path("lxcfs")) {
		printf("  lxcfs is not installed: skipped\n");
		return;
	}
	if (!mkdtemp(dir))
		return;
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(null, 1);
		dup2(null, 2);
		execlp("lxcfs", "lxcfs", "-f", dir, (char *)NULL);
		_exit(127);
	}
	path = g_strdup_printf("%s/proc/uptime", dir);
	/* lxcfs has no readiness signal: poll for its file, bounded. */
	for (int i = 0; i < 500 && timed_cat(path) < 0; i++)
		g_usleep(10000);
	must(timed_cat(ours), ours);
	must(timed_cat(ours_all), ours_all);
	for (unsigned i = 0; i < iters; i++) {
		add(lx, timed_cat(path));
		add(fl, timed_cat(fp));
		add(ns, timed_cat(ours));
		add(ns_all, timed_cat(ours_all));
	}
	double f = median(fl), l = median(lx);

	row("FUSE floor (libfuse multithreaded loop)", f, 0, "");
	row("lxcfs: proc/uptime", l, f, "of floor");
	row("nspidfs auto: PID/init, warm", median(ns), l, "of lxcfs");
	row("nspidfs auto, visibility=all: PID/init, warm", median(ns_all), l, "of lxcfs");
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	umount2(dir, MNT_DETACH);
	rmdir(dir);
}

/* ------------------------------------------------------------------ 6. a flood */

/*
 * A host reader while one container floods. The container is a PID namespace of its own, with
 * sandboxes' namespaces nested below it, and FLOODERS of its processes read through the same
 * mount as the host reader, as fast as they can. The host reader reads a warm PID/init of a
 * host process (itself) in a loop, as in 1d, and keeps each read's time. The same flood,
 * mapped onto the floor's operations, hits the floor in alternate bursts while the same reader
 * reads the floor's file: the ratio is what a flood costs a host reader of nspidfs beyond what
 * it costs one of the cheapest FUSE file system, on the same two CPUs.
 *
 * A flood is one kind of request, or every kind in turn:
 *   tree, metrics: cat the file (floor: cat its file);
 *   misses: make a process, then stat() a name that does not exist in the root and one in ns/,
 *     so that each miss may ask for a fresher /proc pass (floor: the process, and two names
 *     that do not exist);
 *   held: HELD_PER_FLOODER descriptors of tree, metrics, the root and ns/ kept open, the files
 *     among them read again in turn (floor: its file and its root);
 *   reverse: readlink ns/INODE/pid/N of its own namespace, three requests (floor: three names
 *     that do not exist).
 * Only reverse lookups depend on the strategy (under auto they are ioctls; under creds each
 * forks two helpers in the daemon), and a host reader reads through the one daemon its host
 * runs: so creds has rows of its own, its host reader reading the creds daemon, with floor
 * bursts of their own. One more row reads auto's mount during the creds flood: whether what
 * that flood costs the reader is the machine's (helpers on two CPUs) or the creds daemon's.
 */
#define FLOODERS	 4
#define HELD_PER_FLOODER 1000
#define FLOOD_SETTLE_US	 50000

enum flood_kind {
	FLOOD_NONE,
	FLOOD_TREE,
	FLOOD_METRICS,
	FLOOD_MISSES,
	FLOOD_HELD,
	FLOOD_REVERSE,
	FLOOD_ALL, /* the kinds from FLOOD_TREE to FLOOD_REVERSE in turn */
};
#define FLOOD_ALL_KINDS (FLOOD_ALL - FLOOD_TREE)

static const struct flood_case {
	const char *name;
	enum flood_kind kind;
	size_t daemon; /* the one the container floods */
	size_t reader; /* the one the host reader reads */
} flood_cases[] = {
    {"auto: no flood", FLOOD_NONE, 0, 0},
    {"auto: cat tree", FLOOD_TREE, 0, 0},
    {"auto: cat metrics/nspidfs.prom", FLOOD_METRICS, 0, 0},
    {"auto: misses, making processes", FLOOD_MISSES, 0, 0},
    {"auto: held descriptors", FLOOD_HELD, 0, 0},
    {"auto: reverse lookups (ioctl)", FLOOD_REVERSE, 0, 0},
    {"auto: all of these in turn", FLOOD_ALL, 0, 0},
    {"creds: no flood", FLOOD_NONE, CREDS, CREDS},
    {"creds: reverse lookups (helpers)", FLOOD_REVERSE, CREDS, CREDS},
    {"  the same, host reads auto", FLOOD_REVERSE, CREDS, 0},
    {"creds: all in turn", FLOOD_ALL, CREDS, CREDS},
};
#define N_FLOOD_CASES G_N_ELEMENTS(flood_cases)

/* What the host reader asks the flooders to do, in memory they share. */
struct flood_ctl {
	unsigned gen;	/* futex word: bumped whenever what follows changes */
	unsigned ready; /* flooders that have taken gen (and opened what they hold) */
	enum flood_kind kind;
	bool on_floor;
	char mnt[96];
	uint64_t ns_ino;	   /* the container's namespace, for reverse lookups */
	unsigned pid_range;	   /* misses in the root name PIDs from 300 to 300 + this */
	unsigned long ops, errors; /* flood operations done, and those that failed */
	int last_errno;
};

/* One flooder's state, in its own process. */
struct flooder {
	struct flood_ctl *c;
	unsigned id;
	unsigned long n; /* operations done: names and turns come from it */
	enum flood_kind kind;
	bool on_floor;
	char mnt[96];
	int held[HELD_PER_FLOODER];
	unsigned n_held;
};

static void flood_error(struct flooder *f)
{
	__atomic_add_fetch(&f->c->errors, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&f->c->last_errno, errno, __ATOMIC_RELAXED);
}

/* stat() of a name that does not exist, or that the container may not see. */
static void flood_miss(struct flooder *f, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0 && errno != ENOENT)
		flood_error(f);
}

static void flood_cat(struct flooder *f, const char *name)
{
	g_autofree char *p = g_strdup_printf("%s/%s", f->mnt, f->on_floor ? "f0" : name);

	if (timed_cat(p) < 0)
		flood_error(f);
}

static void flood_misses(struct flooder *f)
{
	g_autofree char *root = NULL, *ns = NULL;
	pid_t child = fork();

	if (child == 0)
		_exit(0);
	if (child < 0 || waitpid(child, NULL, 0) < 0)
		flood_error(f);
	if (f->on_floor) {
		root = g_strdup_printf("%s/x%lu", f->mnt, f->n);
		ns = g_strdup_printf("%s/n%lu", f->mnt, f->n);
	} else {
		/*
		 * A PID: no process, most often, or one the container may not see (or, rarely,
		 * one of its own); and a namespace that does not exist.
		 */
		root = g_strdup_printf("%s/%lu", f->mnt,
				       300 + (f->n * 7919 + f->id) % f->c->pid_range);
		ns = g_strdup_printf("%s/ns/%lu", f->mnt, 4026600000UL + f->n * FLOODERS + f->id);
	}
	flood_miss(f, root);
	flood_miss(f, ns);
}

static bool held_is_file(unsigned i)
{
	return i % 4 < 2;
}

static void flood_hold(struct flooder *f)
{
	static const char *const ours[] = {"tree", "metrics/nspidfs.prom", ".", "ns"};
	static const char *const floor_names[] = {"f0", "f0", ".", "."};

	for (unsigned i = 0; i < HELD_PER_FLOODER; i++) {
		g_autofree char *p = g_strdup_printf(
		    "%s/%s", f->mnt, f->on_floor ? floor_names[i % 4] : ours[i % 4]);
		int fd = open(p, O_RDONLY | O_CLOEXEC | (held_is_file(i) ? 0 : O_DIRECTORY));

		if (fd < 0) {
			flood_error(f);
			break;
		}
		f->held[f->n_held++] = fd;
	}
}

static void flood_read_held(struct flooder *f)
{
	char buf[4096];
	unsigned n_files = f->n_held / 4 * 2, j, i;

	if (!n_files)
		return; /* the open failed, and counted */
	/* The j-th file among the held: two of every four. */
	j = (unsigned)(f->n % n_files);
	i = j / 2 * 4 + j % 2;
	if (pread(f->held[i], buf, sizeof(buf), 0) < 0)
		flood_error(f);
}

static void flood_reverse(struct flooder *f)
{
	char buf[64];

	if (f->on_floor) {
		for (int k = 0; k < 3; k++) {
			g_autofree char *p = g_strdup_printf("%s/r%lu.%d", f->mnt, f->n, k);

			flood_miss(f, p);
		}
	} else {
		/* Its own PID and its init's, as the container sees them. */
		g_autofree char *p = g_strdup_printf("%s/ns/%" PRIu64 "/pid/%d", f->mnt,
						     f->c->ns_ino, f->n % 2 ? getpid() : 1);

		if (readlink(p, buf, sizeof(buf)) < 0)
			flood_error(f);
	}
}

static void flood_op(struct flooder *f, enum flood_kind kind)
{
	switch (kind) {
	case FLOOD_TREE:
		flood_cat(f, "tree");
		break;
	case FLOOD_METRICS:
		flood_cat(f, "metrics/nspidfs.prom");
		break;
	case FLOOD_MISSES:
		flood_misses(f);
		break;
	case FLOOD_HELD:
		flood_read_held(f);
		break;
	case FLOOD_REVERSE:
		flood_reverse(f);
		break;
	default:
		break;
	}
}

/* Take what the control now says: drop what was held, open what is to be held. */
static void flooder_take(struct flooder *f)
{
	while (f->n_held > 0)
		close(f->held[--f->n_held]);
	f->kind = f->c->kind;
	f->on_floor = f->c->on_floor;
	g_strlcpy(f->mnt, f->c->mnt, sizeof(f->mnt));
	if (f->kind == FLOOD_HELD || f->kind == FLOOD_ALL)
		flood_hold(f);
}

static void __attribute__((noreturn)) flooder_main(struct flood_ctl *c, unsigned id)
{
	struct flooder f = {.c = c, .id = id};
	unsigned seen = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		unsigned gen = __atomic_load_n(&c->gen, __ATOMIC_ACQUIRE);

		if (gen != seen) {
			seen = gen;
			flooder_take(&f);
			__atomic_add_fetch(&c->ready, 1, __ATOMIC_RELEASE);
		} else if (f.kind == FLOOD_NONE) {
			syscall(SYS_futex, &c->gen, FUTEX_WAIT, gen, NULL, NULL, 0);
		} else {
			flood_op(&f, f.kind == FLOOD_ALL
					 ? (enum flood_kind)(FLOOD_TREE + f.n % FLOOD_ALL_KINDS)
					 : f.kind);
			f.n++;
			__atomic_add_fetch(&c->ops, 1, __ATOMIC_RELAXED);
		}
	}
}

/* Point the flood at mnt, and wait until every flooder holds what it is to hold. */
static void flood_switch(struct flood_ctl *c, enum flood_kind kind, const char *mnt, bool on_floor)
{
	double deadline = now_us() + 60e6;

	c->kind = kind;
	c->on_floor = on_floor;
	g_strlcpy(c->mnt, mnt, sizeof(c->mnt));
	__atomic_store_n(&c->ready, 0, __ATOMIC_RELAXED);
	__atomic_add_fetch(&c->gen, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &c->gen, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	while (__atomic_load_n(&c->ready, __ATOMIC_ACQUIRE) < FLOODERS) {
		if (now_us() > deadline) {
			/* Exiting kills the flooders, the container and the daemons. */
			fprintf(stderr, "bench: the flooders did not take a new flood in 60 s\n");
			exit(1);
		}
		g_usleep(1000);
	}
}

/* The host reader's reads during one burst, and what the flood did meanwhile. */
struct flood_result {
	struct series *us;
	unsigned reader_errors;
	double ops, secs;
	unsigned long errors;
	int last_errno;
	long rss_kib; /* the daemon's, at most, while the flood held descriptors */
};

static void flood_burst(struct flood_ctl *c, const struct flood_case *fc, bool on_floor,
			double burst_us, struct flood_result *res)
{
	g_autofree char *path =
	    on_floor ? g_strdup_printf("%s/f0", floor_mnt[0])
		     : g_strdup_printf("%s/%d/init", daemons[fc->reader].mnt, getpid());
	unsigned long ops, errors;
	double t0, t;

	flood_switch(c, fc->kind, on_floor ? floor_mnt[0] : daemons[fc->daemon].mnt, on_floor);
	if (!on_floor && (fc->kind == FLOOD_HELD || fc->kind == FLOOD_ALL))
		res->rss_kib = MAX(res->rss_kib, status_field(daemons[fc->daemon].pid, "VmRSS:"));
	/* Releases of what was held before, and a pass begun, end before the burst. */
	g_usleep(FLOOD_SETTLE_US);
	ops = __atomic_load_n(&c->ops, __ATOMIC_RELAXED);
	errors = __atomic_load_n(&c->errors, __ATOMIC_RELAXED);
	t0 = now_us();
	while ((t = now_us()) - t0 < burst_us) {
		double us = timed_cat(path);

		if (us < 0)
			res->reader_errors++;
		else
			add(res->us, us);
	}
	res->secs += (t - t0) / 1e6;
	res->ops += (double)(__atomic_load_n(&c->ops, __ATOMIC_RELAXED) - ops);
	if (__atomic_load_n(&c->errors, __ATOMIC_RELAXED) != errors) {
		res->errors += __atomic_load_n(&c->errors, __ATOMIC_RELAXED) - errors;
		res->last_errno = __atomic_load_n(&c->last_errno, __ATOMIC_RELAXED);
	}
}

/* The q-th quantile (nearest rank). */
static double percentile(const struct series *s, double q)
{
	size_t n = s->us->len, i = (size_t)(q * (double)n);

	if (!n)
		return 0;
	g_array_sort(s->us, cmp_double);
	if ((double)i < q * (double)n)
		i++;
	return g_array_index(s->us, double, i ? MIN(i, n) - 1 : 0);
}

static void flood_errors_line(const struct flood_result *r, const char *who)
{
	if (r->errors)
		printf("    %s: %lu flood operations failed (the last: %s)\n", who, r->errors,
		       strerror(r->last_errno));
	if (r->reader_errors)
		printf("    %s: %u of the host reader's reads failed\n", who, r->reader_errors);
}

/*
 * The container: its init, eight sandboxes' namespaces nested below it with a process each, and
 * the flooders. Every process here has PR_SET_PDEATHSIG and the mounts live in the harness's
 * private mount namespace, so an exit on failure leaves neither behind.
 */
static void bench_flood(unsigned rounds, double burst_ms)
{
	struct nstree box;
	struct flood_ctl *c =
	    mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	g_autofree char *pid_max = NULL;
	struct flood_result res[N_FLOOD_CASES][2] = {{{0}}}; /* [1]: nspidfs */
	pid_t flooders[FLOODERS];
	long rss_before[N_STRATEGIES];
	double t_start = now_us();

	if (c == MAP_FAILED)
		exit(1);
	nstree_init(&box);
	nstree_add(&box, -1, true);
	for (int i = 0; i < 8; i++)
		nstree_add(&box, nstree_add(&box, 0, true), false);
	c->ns_ino = kernel_ns_ino(box.m[0].host);
	/* Misses in the root name PIDs from 300 to pid_max. */
	c->pid_range = 32768 - 300;
	if (g_file_get_contents("/proc/sys/kernel/pid_max", &pid_max, NULL, NULL))
		c->pid_range = (unsigned)MAX(1000, g_ascii_strtoll(pid_max, NULL, 10)) - 300;
	children_in_ns_of(box.m[0].host);
	for (unsigned i = 0; i < FLOODERS; i++) {
		flooders[i] = fork();
		if (flooders[i] == 0)
			flooder_main(c, i);
		if (flooders[i] < 0)
			exit(1);
	}
	children_in_ns_of(getpid());
	for (size_t i = 0; i < N_FLOOD_CASES; i++) {
		g_autofree char *p =
		    g_strdup_printf("%s/%d/init", daemons[flood_cases[i].reader].mnt, getpid());

		must(timed_cat(p), p); /* warm */
		res[i][0].us = series_new("floor");
		res[i][1].us = series_new("nspidfs");
		rss_before[flood_cases[i].daemon] =
		    status_field(daemons[flood_cases[i].daemon].pid, "VmRSS:");
	}
	/*
	 * Rounds over every case, and in each case the floor and nspidfs in turn, first one then
	 * the other: what the machine does meanwhile falls on both, and on every case, alike.
	 */
	for (unsigned r = 0; r < rounds; r++) {
		for (size_t i = 0; i < N_FLOOD_CASES; i++) {
			for (int k = 0; k < 2; k++) {
				int ours = (k + (int)(r + i)) % 2;

				flood_burst(c, &flood_cases[i], !ours, burst_ms * 1000,
					    &res[i][ours]);
			}
		}
	}
	flood_switch(c, FLOOD_NONE, floor_mnt[0], true);
	for (unsigned i = 0; i < FLOODERS; i++) {
		kill(flooders[i], SIGKILL);
		waitpid(flooders[i], NULL, 0);
	}
	nstree_destroy(&box);
	munmap(c, sizeof(*c));

	printf("\n6. a host reader while one container floods: %u flooders, %u rounds of %.0f ms"
	       " (%.0f s)\n",
	       FLOODERS, rounds, burst_ms, (now_us() - t_start) / 1e6);
	printf(
	    "  The container (a PID namespace with 8 nested ones) floods through the same mount\n"
	    "  as the host reader, which reads PID/init of a host process, warm, in a loop; the\n"
	    "  same flood on the floor, with the floor's file read, in alternate bursts. Held:\n"
	    "  %u descriptors of tree, metrics, the root and ns/ (floor: its file and root).\n",
	    FLOODERS * HELD_PER_FLOODER);
	printf("  %-32s %16s %16s %15s %17s\n", "", "floor (us)", "nspidfs (us)", "nspidfs/floor",
	       "flood ops/s");
	printf("  %-32s %8s %7s %8s %7s %7s %7s %17s\n", "flood", "p50", "p99", "p50", "p99", "p50",
	       "p99", "floor / nspidfs");
	for (size_t i = 0; i < N_FLOOD_CASES; i++) {
		const struct flood_result *f = &res[i][0], *o = &res[i][1];
		double fp50 = percentile(f->us, 0.5), fp99 = percentile(f->us, 0.99);
		double op50 = percentile(o->us, 0.5), op99 = percentile(o->us, 0.99);

		printf("  %-32s %8.1f %7.1f %8.1f %7.1f %6.2fx %6.2fx %8.0f / %-8.0f\n",
		       flood_cases[i].name, fp50, fp99, op50, op99, op50 / fp50, op99 / fp99,
		       f->secs > 0 ? f->ops / f->secs : 0, o->secs > 0 ? o->ops / o->secs : 0);
		flood_errors_line(f, "floor");
		flood_errors_line(o, "nspidfs");
		if (o->rss_kib)
			printf("    daemon RSS with the descriptors held: %ld KiB (%ld before)\n",
			       o->rss_kib, rss_before[flood_cases[i].daemon]);
	}
}

/* ------------------------------------------------------------------ 7. restarts */

/* A reader in a loop, each read's start and end, until told to stop. */
struct restart_reader {
	const char *path;
	int stop;
	GMutex lock;
	GArray *spans; /* double pairs: start, end (us) */
	long errors;
};

static gpointer restart_reader_main(gpointer arg)
{
	struct restart_reader *r = arg;

	while (!g_atomic_int_get(&r->stop)) {
		double t0 = now_us(), us = timed_cat(r->path), span[2] = {t0, now_us()};

		g_mutex_lock(&r->lock);
		if (us < 0)
			r->errors++;
		g_array_append_vals(r->spans, span, 2);
		g_mutex_unlock(&r->lock);
	}
	return NULL;
}

static unsigned restart_reads(struct restart_reader *r)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) l = g_mutex_locker_new(&r->lock);

	return r->spans->len / 2;
}

/* Bounded: until the reader finished `more` reads after this call. */
static void restart_wait_reads(struct restart_reader *r, unsigned more)
{
	unsigned until = restart_reads(r) + more;
	double end = now_us() + 30e6;

	while (restart_reads(r) < until) {
		if (now_us() > end) {
			fprintf(stderr, "bench: the reader never got an answer after a restart\n");
			exit(1);
		}
		g_usleep(1000); /* pacing a benchmark's loop, not a test's synchronisation */
	}
}

/* The reads from the `from`-th on, into s. */
static void restart_add_warm(struct restart_reader *r, guint from, struct series *s)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) l = g_mutex_locker_new(&r->lock);

	for (guint k = from * 2; k + 1 < r->spans->len; k += 2)
		add(s, g_array_index(r->spans, double, k + 1) - g_array_index(r->spans, double, k));
}

/* The longest read that was in progress at `at` or started after it (the wait it caused). */
static double restart_wait_at(struct restart_reader *r, double at)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) l = g_mutex_locker_new(&r->lock);
	double longest = 0;

	for (guint i = 0; i + 1 < r->spans->len; i += 2) {
		double t0 = g_array_index(r->spans, double, i);
		double t1 = g_array_index(r->spans, double, i + 1);

		if (t1 >= at)
			longest = MAX(longest, t1 - t0);
	}
	return longest;
}

/* Bounded: the keeper's only child once it is not `old`. */
static pid_t restart_new_server(const struct daemon *d, pid_t old)
{
	double end = now_us() + 30e6;
	pid_t s;

	while ((s = daemon_server(d)) <= 0 || s == old) {
		if (now_us() > end) {
			fprintf(stderr, "bench: no new server after server %d ended\n", old);
			exit(1);
		}
		g_usleep(1000);
	}
	return s;
}

/*
 * What a reader sees of a crash (SIGKILL of the server) and of a reload (SIGHUP to the
 * keeper): the longest read around each, against the same reader's warm read meanwhile.
 */
static void bench_restart(unsigned rounds)
{
	struct series *warm = series_new("warm"), *killed = series_new("kill"),
		      *reloaded = series_new("reload");
	struct restart_reader r = {.spans = g_array_new(FALSE, FALSE, sizeof(double))};
	g_autofree char *path = NULL;
	struct daemon d;
	GThread *th;
	double max_kill = 0, max_reload = 0;

	harness_strategy_alone("");
	if (!daemon_start(&d, NULL)) {
		fprintf(stderr, "bench: nspidfs did not start for the restart section\n");
		exit(1);
	}
	d.restarts_expected = true;
	path = g_strdup_printf("%s/%d/init", d.mnt, getpid());
	r.path = path;
	g_mutex_init(&r.lock);
	th = g_thread_new("reader", restart_reader_main, &r);
	for (unsigned i = 0; i < rounds; i++) {
		pid_t old = daemon_server(&d);
		unsigned before = restart_reads(&r);
		double at;

		restart_wait_reads(&r, 200);
		restart_add_warm(&r, (guint)before, warm);
		at = now_us();
		kill(old, SIGKILL);
		restart_new_server(&d, old);
		restart_wait_reads(&r, 50);
		add(killed, restart_wait_at(&r, at));
		max_kill = MAX(max_kill, restart_wait_at(&r, at));
		old = daemon_server(&d);
		at = now_us();
		kill(d.pid, SIGHUP);
		restart_new_server(&d, old);
		restart_wait_reads(&r, 50);
		add(reloaded, restart_wait_at(&r, at));
		max_reload = MAX(max_reload, restart_wait_at(&r, at));
	}
	g_atomic_int_set(&r.stop, 1);
	g_thread_join(th);
	printf("\n7. restarts: a reader of PID/init in a loop, %u kills and %u reloads\n", rounds,
	       rounds);
	printf("  %-52s %10.1f us\n", "warm read (median), meanwhile", median(warm));
	printf("  %-52s %10.1f us   max %.1f us\n", "the read across a SIGKILL of the server",
	       median(killed), max_kill);
	printf("  %-52s %10.1f us   max %.1f us\n", "the read across a reload (SIGHUP)",
	       median(reloaded), max_reload);
	printf("  reader errors: %ld\n", r.errors);
	if (daemon_stop(&d) != 0)
		fprintf(stderr, "bench: the restart section's daemon failed\n");
	g_mutex_clear(&r.lock);
	g_array_unref(r.spans);
}

int main(int argc, char **argv)
{
	struct nstree t;
	unsigned iters, namespaces, per_ns;
	double cold_us[N_STRATEGIES];
	struct loop_result loop;
	pid_t target;
	bool flood_only = false, restart_only = false, scale_only = false;

	for (int i = 1; i < argc; i++) {
		quick |= strcmp(argv[i], "--quick") == 0;
		flood_only |= strcmp(argv[i], "--flood-only") == 0;
		restart_only |= strcmp(argv[i], "--restart-only") == 0;
		scale_only |= strcmp(argv[i], "--scale-only") == 0;
	}
	iters = quick ? 300 : 3000;
	namespaces = quick ? 100 : 1000;
	per_ns = 10;
	harness_init();
	nstree_build_standard(&t);
	target = t.m[4].host; /* a member two namespaces deep */
	start_all();
	printf("nspidfs benchmark: medians of interleaved samples%s\n",
	       quick ? " (--quick: fewer rounds, 100 namespaces)" : "");
	if (restart_only) {
		bench_restart(quick ? 5 : 20);
		goto out;
	}
	if (flood_only)
		goto flood;
	if (scale_only)
		goto scale;
	bench_warm(target, iters);
	bench_cold(t.m[3].host, quick ? 45 : 200, cold_us); /* two namespaces deep */
	bench_parallel(target, iters);
	loop = bench_loop(target, iters);
	bench_cold_loop(quick ? 100 : 400);
	bench_fork_per_query(target, quick ? 50 : 200, cold_us, &loop);
scale:
	bench_scale(100, per_ns, quick ? 5 : 20, quick);
	if (!quick)
		bench_scale(namespaces, per_ns, 10, true);
	if (scale_only)
		goto out;
	bench_lxcfs(iters);
flood:
	bench_flood(quick ? 3 : 9, quick ? 200 : 500);
	if (!flood_only)
		bench_restart(quick ? 5 : 20);
out:
	stop_all();
	nstree_destroy(&t);
	return 0;
}

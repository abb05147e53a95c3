/*
 * metrics/nspidfs.prom against the kernel, on a real namespace tree: the standard tree, plus
 * one namespace whose init never reaps (so it keeps zombies), inits that catch, ignore, block
 * or sigtimedwait for SIGTERM, an init with an odd name in a pids cgroup with an odd name, and
 * inits named to attack a terminal (OSC and CSI sequences, CSI as U+009B), whose names every
 * file must show escaped.
 * Also: a reader in a container sees only its namespaces, sendfile() copies the file whole,
 * and the daemon's counters move by exactly the lookups, helper forks and timeouts made.
 * The file must pass `promtool check metrics` and be served by node_exporter's textfile
 * collector without a scrape error. promtool and prometheus-node-exporter are required
 * (tests/install-deps.sh installs them): a missing one fails the test.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"

#define ZOMBIES		 3
#define PROMTOOL	 "/usr/bin/promtool"
#define NODE_EXPORTER	 "/usr/bin/prometheus-node-exporter"
#define CGROUP_PIDS_MAX	 77
#define TEXT_MAX	 (16 << 20) /* the host's view, with other tests' namespaces */
#define EXPORTER_WAIT_US (10 * G_USEC_PER_SEC)

/* The label value reads a"b\\c\n\xffé, as tree shows the name; the file doubles backslashes. */
#define ODD_COMM       "a\"b\\c\n\xff\xc3\xa9"
#define ODD_COMM_LABEL "a\\\"b\\\\\\\\c\\\\n\\\\xff\xc3\xa9"

/*
 * Names a process can give itself (15 bytes at most): ESC ] 0 ; x BEL retitles a terminal,
 * ESC [ 2 J clears it; U+009B (C2 9B, valid UTF-8) is CSI. Their label values read as tree
 * shows them (\x1b]0;x...), their JSON strings escape every control. Octal: hex takes the 2.
 */
#define ATTACK_COMM  "\x1b]0;x\a\x1b[2J"
#define ATTACK_LABEL "init_comm=\"\\\\x1b]0;x\\\\x07\\\\x1b[2J\""
#define ATTACK_JSON  "\"\\u001b]0;x\\u0007\\u001b[2J\""
#define ATTACK_TREE  "\\x1b]0;x\\x07\\x1b[2J"
#define C1_COMM	     "\302\2332J"
#define C1_LABEL     "init_comm=\"\\\\xc2\\\\x9b2J\""
#define C1_JSON	     "\"\\u009b2J\""

static struct daemon d;
static struct nstree tree;
static int ready[2] = {-1, -1}; /* each special init writes a byte once it is set up */

/* Indexes into tree.m of the special inits. */
static int zombie_init, caught_init, ignored_init, blocked_init, waiting_init, odd_init;
static int attack_init, c1_init;
/* A process of the host's namespace, in the cgroup of the first init of the standard tree. */
static int host_sharer;

/* The pids cgroups made for the test ("" if none), and the exporter, for teardown. */
static char cgroup_odd[256], cgroup_plain[256], cgroup_shared[256];
static pid_t exporter;

static void say_ready(void)
{
	char c = 1;

	if (write(ready[1], &c, 1) != 1)
		_exit(1);
}

static void make_zombies(void)
{
	siginfo_t si;

	for (int i = 0; i < ZOMBIES; i++) {
		pid_t c = fork();

		if (c == 0)
			_exit(0);
		/* Wait until it is a zombie, without reaping it. */
		while (c > 0 && waitid(P_PID, (id_t)c, &si, WEXITED | WNOWAIT) < 0 &&
		       errno == EINTR)
			;
	}
	say_ready();
}

static void on_term(int sig)
{
	(void)sig;
}

static void catch_term(void)
{
	struct sigaction sa = {.sa_handler = on_term};

	sigaction(SIGTERM, &sa, NULL);
	say_ready();
}

static void ignore_term(void)
{
	signal(SIGTERM, SIG_IGN);
	say_ready();
}

static void block_term(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	say_ready();
}

/* Like tini: block the signals, then wait for them in sigtimedwait, forever. */
static void __attribute__((noreturn)) wait_for_term(void)
{
	sigset_t set;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	say_ready();
	for (;;)
		sigtimedwait(&set, NULL, NULL);
}

static void odd_name(void)
{
	prctl(PR_SET_NAME, ODD_COMM);
	say_ready();
}

static void attack_name(void)
{
	prctl(PR_SET_NAME, ATTACK_COMM);
	say_ready();
}

static void c1_name(void)
{
	prctl(PR_SET_NAME, C1_COMM);
	say_ready();
}

static int add_init(void (*on_start)(void))
{
	char c;
	int idx;

	tree.on_start = on_start;
	idx = nstree_add(&tree, -1, true);
	tree.on_start = NULL;
	assert_int_equal(read(ready[0], &c, 1), 1);
	return idx;
}

/* The init is asleep in sigtimedwait: poll its wchan, bounded. */
static void wait_until_in_sigtimedwait(pid_t pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/wchan", pid);

	for (int i = 0; i < 200; i++) {
		g_autofree char *wchan = NULL;

		if (g_file_get_contents(path, &wchan, NULL, NULL) &&
		    g_str_has_prefix(wchan, "do_sigtimedwait"))
			return;
		g_usleep(10000);
	}
	fail_msg("pid %d never waited in sigtimedwait", pid);
}

/* Where the pids controller's cgroups are made: v1 (or hybrid), or v2 with pids enabled. */
static const char *pids_base(void)
{
	struct statfs fs;
	g_autofree char *controllers = NULL;

	if (statfs("/sys/fs/cgroup/pids", &fs) == 0 && fs.f_type == 0x27e0eb /* CGROUP */)
		return "/sys/fs/cgroup/pids";
	if (statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == 0x63677270 /* CGROUP2 */ &&
	    g_file_get_contents("/sys/fs/cgroup/cgroup.controllers", &controllers, NULL, NULL) &&
	    strstr(controllers, "pids")) {
		/* Children of the root get the controller once it is in subtree_control. */
		write_file("/sys/fs/cgroup/cgroup.subtree_control", "+pids");
		return "/sys/fs/cgroup";
	}
	return NULL;
}

/* Make cgroup name under base, with pids.max max (-1: leave "max"), and move pid into it. */
static bool make_cgroup(const char *base, const char *name, int max, pid_t pid, char *out,
			size_t size)
{
	g_autofree char *max_path = NULL, *procs = NULL, *max_text = NULL, *pid_text = NULL;

	snprintf(out, size, "%s/%s", base, name);
	max_path = g_strdup_printf("%s/pids.max", out);
	procs = g_strdup_printf("%s/cgroup.procs", out);
	max_text = g_strdup_printf("%d", max);
	pid_text = g_strdup_printf("%d", pid);
	if (mkdir(out, 0755) < 0) {
		out[0] = '\0';
		return false;
	}
	return (max < 0 || write_file(max_path, max_text) == 0) && write_file(procs, pid_text) == 0;
}

static void place_in_cgroups(void)
{
	const char *base = pids_base();
	g_autofree char *odd = g_strdup_printf("nspidfs-test-\"q\\-%d", getpid());
	g_autofree char *plain = g_strdup_printf("nspidfs-test-%d", getpid());
	g_autofree char *shared = g_strdup_printf("nspidfs-test-shared-%d", getpid());
	g_autofree char *shared_procs = NULL;
	g_autofree char *sharer = g_strdup_printf("%d", tree.m[host_sharer].host);

	if (!base) {
		printf("# no pids cgroup controller here: cgroup series not checked\n");
		return;
	}
	assert_true(make_cgroup(base, odd, CGROUP_PIDS_MAX, tree.m[odd_init].host, cgroup_odd,
				sizeof(cgroup_odd)));
	assert_true(make_cgroup(base, plain, -1, tree.m[caught_init].host, cgroup_plain,
				sizeof(cgroup_plain)));
	/*
	 * The namespace a container's reader is in, with its init in a cgroup that also holds a
	 * host process: pids.current counts what that reader cannot see.
	 */
	assert_true(
	    make_cgroup(base, shared, -1, tree.m[0].host, cgroup_shared, sizeof(cgroup_shared)));
	shared_procs = g_strdup_printf("%s/cgroup.procs", cgroup_shared);
	assert_int_equal(write_file(shared_procs, sharer), 0);
}

/* What the standard tree lacks: the special inits, the cgroups and a process sharing one. */
static int add_special_inits(struct fixture *f)
{
	if (pipe(ready) < 0)
		return -1;
	zombie_init = add_init(make_zombies);
	caught_init = add_init(catch_term);
	ignored_init = add_init(ignore_term);
	blocked_init = add_init(block_term);
	waiting_init = add_init(wait_for_term);
	odd_init = add_init(odd_name);
	attack_init = add_init(attack_name);
	c1_init = add_init(c1_name);
	host_sharer = nstree_add(&tree, -1, false);
	wait_until_in_sigtimedwait(tree.m[waiting_init].host);
	place_in_cgroups();
	return 0;
}

static void stop_exporter(void)
{
	if (exporter > 0) {
		kill(exporter, SIGTERM);
		while (waitpid(exporter, NULL, 0) < 0 && errno == EINTR)
			;
		exporter = 0;
	}
}

static int end_exporter(struct fixture *f)
{
	stop_exporter();
	return 0;
}

/* Every member, the zombies' init included, is gone before its cgroup can go. */
static int remove_cgroups(struct fixture *f)
{
	char *const cgroups[] = {cgroup_odd, cgroup_plain, cgroup_shared};

	for (size_t i = 0; i < G_N_ELEMENTS(cgroups); i++) {
		if (cgroups[i][0] && rmdir(cgroups[i]) < 0)
			fprintf(stderr, "rmdir %s: %s\n", cgroups[i], strerror(errno));
		cgroups[i][0] = '\0';
	}
	for (int i = 0; i < 2; i++) {
		if (ready[i] >= 0)
			close(ready[i]);
		ready[i] = -1;
	}
	return 0;
}

static struct fixture fx = {
    .tree = &tree,
    .standard_tree = true,
    .before_start = add_special_inits,
    .daemons = {{.d = &d, .args = {"--snapshot-ms=0"}}},
    .before_stop = end_exporter,
    .after_stop = remove_cgroups,
};

static char *metrics_path(const struct daemon *dm)
{
	return g_strdup_printf("%s/metrics/nspidfs.prom", dm->mnt);
}

static char *read_metrics(const struct daemon *dm)
{
	g_autofree char *path = metrics_path(dm);
	char *text = g_malloc(TEXT_MAX);
	int r = read_file(path, text, TEXT_MAX);

	if (r <= 0)
		fail_msg("%s: %s", path, r < 0 ? strerror(-r) : "empty");
	return text;
}

/*
 * The value of the one sample of family whose line holds ns="NS" (unless ns is 0) and extra
 * (unless NULL), as text; NULL if there is none. Works on node_exporter's output too, which
 * orders labels by name.
 */
static char *sample(const char *text, const char *family, uint64_t ns, const char *extra)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autofree char *nslabel = g_strdup_printf("ns=\"%" PRIu64 "\"", ns);
	char *found = NULL;

	for (char **l = lines; *l; l++) {
		size_t n = strlen(family);

		if (strncmp(*l, family, n) != 0 || ((*l)[n] != '{' && (*l)[n] != ' '))
			continue;
		if ((ns && !strstr(*l, nslabel)) || (extra && !strstr(*l, extra)))
			continue;
		if (found)
			fail_msg("two samples of %s match ns %" PRIu64 " and %s", family, ns,
				 extra ? extra : "");
		found = g_strdup(strrchr(*l, ' ') + 1);
	}
	return found;
}

static double value(const char *text, const char *family, uint64_t ns, const char *extra)
{
	g_autofree char *v = sample(text, family, ns, extra);
	char *end;
	double x;

	if (!v)
		fail_msg("no sample of %s for ns %" PRIu64 " %s", family, ns, extra ? extra : "");
	x = g_ascii_strtod(v, &end);
	if (end == v || *end)
		fail_msg("%s for ns %" PRIu64 ": value \"%s\"", family, ns, v);
	return x;
}

static void expect_sample(const char *text, const char *family, uint64_t ns, const char *extra,
			  double want)
{
	double got = value(text, family, ns, extra);

	if (got != want)
		fail_msg("%s (ns %" PRIu64 ", %s): got %g, want %g", family, ns, extra ? extra : "",
			 got, want);
}

static uint64_t ns_of(int idx)
{
	return kernel_ns_ino(tree.m[idx].host);
}

static void test_listing(void **state)
{
	g_autofree char *dir = g_strdup_printf("%s/metrics", d.mnt);
	g_autofree char *file = metrics_path(&d);
	g_autofree char *other = g_strdup_printf("%s/metrics/other.prom", d.mnt);
	g_autoptr(GDir) root = g_dir_open(d.mnt, 0, NULL);
	g_autoptr(GDir) md = g_dir_open(dir, 0, NULL);
	const char *name;
	bool listed = false;
	unsigned entries = 0;
	struct stat st;

	assert_non_null(root);
	while ((name = g_dir_read_name(root)))
		listed |= strcmp(name, "metrics") == 0;
	assert_true(listed);
	assert_non_null(md);
	while ((name = g_dir_read_name(md))) {
		assert_string_equal(name, "nspidfs.prom");
		entries++;
	}
	assert_int_equal(entries, 1);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0555);
	assert_int_equal(stat(file, &st), 0);
	assert_true(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0444);
	assert_int_equal(stat(other, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(open(file, O_WRONLY), -1);
	assert_int_equal(errno, EROFS);
}

/*
 * sendfile() reads through the page cache up to the size stat gave: that must be the whole
 * content, not a page. Read as a reader in a test namespace, whose view holds only the
 * test's processes, so that two builds of the file have the same length.
 */
static char *compare_sendfile(void *arg)
{
	const char *path = arg;
	g_autofree char *a = g_malloc(TEXT_MAX), *b = g_malloc(TEXT_MAX);
	int ra = read_file(path, a, TEXT_MAX), rb = sendfile_file(path, b, TEXT_MAX);
	struct stat st;

	if (stat(path, &st) < 0 || st.st_size <= 4096)
		return g_strdup_printf("%s: size %jd, want more than a page", path,
				       (intmax_t)st.st_size);
	if (ra <= 0 || rb != ra)
		return g_strdup_printf("%s: read() gave %d bytes, sendfile() %d", path, ra, rb);
	/* No build time in this view: two builds of an unchanged tree are the same bytes. */
	if (!g_str_has_suffix(b, "\n") || strcmp(a, b) != 0)
		return g_strdup_printf("sendfile() copy differs from read():\n...%s",
				       b + MAX(rb, 200) - 200);
	return NULL;
}

static void test_sendfile_reads_it_whole(void **state)
{
	g_autofree char *path = metrics_path(&d);
	g_autofree char *complaint = run_in_pidns_of(tree.m[1].host, compare_sendfile, path);

	if (complaint)
		fail_msg("%s", complaint);
}

static void test_zombies(void **state)
{
	g_autofree char *text = read_metrics(&d);
	uint64_t ns = ns_of(zombie_init);

	expect_sample(text, "nspidfs_namespace_zombies", ns, NULL, ZOMBIES);
	expect_sample(text, "nspidfs_namespace_processes", ns, NULL, 1);
	expect_sample(text, "nspidfs_namespace_threads", ns, NULL, 1);
	expect_sample(text, "nspidfs_namespace_subtree_processes", ns, NULL, 1);
	/* The standard tree's namespaces have none. */
	expect_sample(text, "nspidfs_namespace_zombies", ns_of(0), NULL, 0);
	expect_sample(text, "nspidfs_namespace_zombies", ns_of(6), NULL, 0);
}

static void expect_sigterm(const char *text, int idx, const char *holds)
{
	static const char *const states[] = {"caught", "blocked", "ignored", "dropped"};

	for (size_t i = 0; i < G_N_ELEMENTS(states); i++) {
		g_autofree char *label = g_strdup_printf("state=\"%s\"", states[i]);

		expect_sample(text, "nspidfs_namespace_init_sigterm", ns_of(idx), label,
			      strcmp(states[i], holds) == 0);
	}
}

static void test_sigterm(void **state)
{
	g_autofree char *text = read_metrics(&d);

	expect_sigterm(text, caught_init, "caught");
	/* The harness's members have the default action: the kernel drops SIGTERM for an init. */
	expect_sigterm(text, 0, "dropped");
	expect_sigterm(text, zombie_init, "dropped");
	expect_sigterm(text, ignored_init, "ignored");
	expect_sigterm(text, blocked_init, "blocked");
	expect_sigterm(text, waiting_init, "blocked");
}

/* Start time of pid from /proc/PID/stat and btime, in seconds since the epoch. */
static double start_time(pid_t pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/stat", pid);
	g_autofree char *stat = NULL, *procstat = NULL;
	g_auto(GStrv) fields = NULL;
	const char *btime;

	assert_true(g_file_get_contents(path, &stat, NULL, NULL));
	assert_true(g_file_get_contents("/proc/stat", &procstat, NULL, NULL));
	fields = g_strsplit(strrchr(stat, ')') + 2, " ", -1);
	btime = strstr(procstat, "\nbtime ");
	assert_non_null(btime);
	/* Field 22 of stat is the 20th after the name. */
	return g_ascii_strtod(btime + 7, NULL) +
	       g_ascii_strtod(fields[19], NULL) / (double)sysconf(_SC_CLK_TCK);
}

/* For each namespace of the standard tree, what the harness knows about it. */
static void test_namespace_facts(void **state)
{
	g_autofree char *text = read_metrics(&d);

	for (unsigned i = 0; i < tree.n; i++) {
		const struct member *m = &tree.m[i];
		uint64_t ns = kernel_ns_ino(m->host);
		unsigned own = 0, below = 0;
		char level[32];

		if (m->inits[m->level] != m->host)
			continue; /* not an init */
		for (unsigned j = 0; j < tree.n; j++) {
			const struct member *o = &tree.m[j];

			below += o->level >= m->level && o->inits[m->level] == m->host;
			own += o->level == m->level && o->inits[m->level] == m->host;
		}
		snprintf(level, sizeof(level), "level=\"%u\"", m->level);
		expect_sample(text, "nspidfs_namespace_level", ns, level, m->level);
		expect_sample(text, "nspidfs_namespace_init_pid", ns, NULL, m->host);
		expect_sample(text, "nspidfs_namespace_processes", ns, NULL, own);
		expect_sample(text, "nspidfs_namespace_threads", ns, NULL, own);
		expect_sample(text, "nspidfs_namespace_subtree_processes", ns, NULL, below);
		if (fabs(value(text, "nspidfs_namespace_init_start_time_seconds", ns, NULL) -
			 start_time(m->host)) > 0.001)
			fail_msg("start time of init %d", m->host);
	}
	/* The host's namespace holds every live process of the file. */
	expect_sample(text, "nspidfs_processes", 0, NULL,
		      value(text, "nspidfs_namespace_subtree_processes", kernel_ns_ino(getpid()),
			    "level=\"0\""));
	assert_true(value(text, "nspidfs_namespaces", 0, NULL) >= 12);
	assert_true(value(text, "nspidfs_metrics_build_seconds", 0, NULL) < 5);
	assert_non_null(strstr(text, "\nnspidfs_build_info{version=\"" NSPIDFS_VERSION
				     "\",strategy=\"auto\"} 1\n"));
}

/* The odd name and cgroup, escaped; the cgroup's pids controller. */
static void test_cgroup_and_escaping(void **state)
{
	g_autofree char *text = read_metrics(&d);
	uint64_t odd = ns_of(odd_init), caught = ns_of(caught_init);
	g_autofree char *comm = g_strdup_printf("init_comm=\"%s\"", ODD_COMM_LABEL);
	g_autofree char *cg = NULL, *cg_plain = NULL;

	expect_sample(text, "nspidfs_namespace_processes", odd, comm, 1);
	if (!cgroup_odd[0])
		skip();
	cg = g_strdup_printf("cgroup=\"/nspidfs-test-\\\"q\\\\\\\\-%d\"", getpid());
	cg_plain = g_strdup_printf("cgroup=\"/nspidfs-test-%d\"", getpid());
	expect_sample(text, "nspidfs_namespace_pids_max", odd, cg, CGROUP_PIDS_MAX);
	expect_sample(text, "nspidfs_namespace_pids_current", odd, cg, 1);
	expect_sample(text, "nspidfs_namespace_pids_current", caught, cg_plain, 1);
	g_autofree char *inf = sample(text, "nspidfs_namespace_pids_max", caught, cg_plain);

	assert_non_null(inf);
	assert_string_equal(inf, "+Inf");
}

/* promtool check metrics on text, kept in a file for the message. */
static void promtool_check(const char *text)
{
	g_autofree char *copy = g_strdup_printf("%s/copy.prom", d.dir);
	const char *argv[] = {"sh", "-c", "exec " PROMTOOL " check metrics <\"$1\" 2>&1",
			      "sh", copy, NULL};
	g_autofree char *out = NULL;
	g_autoptr(GError) err = NULL;
	int status = -1;

	if (access(PROMTOOL, X_OK) < 0)
		fail_msg("%s is missing: install Debian's prometheus (tests/install-deps.sh)",
			 PROMTOOL);
	assert_true(g_file_set_contents(copy, text, -1, NULL));
	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL,
			  &status, &err))
		fail_msg("sh: %s", err->message);
	unlink(copy);
	if (!g_spawn_check_wait_status(status, NULL) || *out)
		fail_msg("promtool check metrics: status %#x:\n%s", status, out);
}

static void test_promtool(void **state)
{
	g_autofree char *text = read_metrics(&d);

	/* The file itself: one consistent copy. */
	promtool_check(text);
}

/* Whether text holds a byte a terminal would obey: C0 but newline, DEL, or C1 (C2 80..C2 9F). */
static const char *control_in(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if ((*p < 0x20 && *p != '\n') || *p == 0x7f ||
		    (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			return (const char *)p;
	}
	return NULL;
}

/* The complaint shows the bytes around it escaped: the log must not drive a terminal either. */
static void expect_no_control(const char *what, const char *text)
{
	const char *c = control_in(text);
	const char *from = c && c - text > 40 ? c - 40 : text;
	g_autofree char *around = c ? g_strndup(from, 80) : NULL;
	g_autofree char *shown = around ? g_strescape(around, NULL) : NULL;

	if (c)
		fail_msg("%s shows a control byte %#x: ...%s", what, (unsigned char)*c, shown);
}

/* The file's text at path, which must hold want and no control byte. */
static void expect_escaped(const char *path, const char *want)
{
	g_autofree char *text = g_malloc(TEXT_MAX);
	int r = read_file(path, text, TEXT_MAX);

	if (r <= 0)
		fail_msg("%s: %s", path, r < 0 ? strerror(-r) : "empty");
	if (!strstr(text, want)) {
		g_autofree char *head = g_strndup(text, 2000);
		g_autofree char *shown = g_strescape(head, "\n");

		fail_msg("%s lacks %s:\n%s", path, want, shown);
	}
	expect_no_control(path, text);
}

/*
 * Real inits named to attack a terminal: every file that shows their names shows them
 * escaped, and the metrics file still passes promtool.
 */
static void test_attack_names_escaped(void **state)
{
	g_autofree char *text = read_metrics(&d);
	pid_t attack = tree.m[attack_init].host, c1 = tree.m[c1_init].host;
	g_autofree char *pid_json = g_strdup_printf("%s/%d/json", d.mnt, attack);
	g_autofree char *c1_json = g_strdup_printf("%s/%d/json", d.mnt, c1);
	g_autofree char *ns_json =
	    g_strdup_printf("%s/ns/%" PRIu64 "/json", d.mnt, ns_of(attack_init));
	g_autofree char *tree_path = g_strdup_printf("%s/tree", d.mnt);
	g_autofree char *pid_want = g_strdup_printf("\"comm\":" ATTACK_JSON ",");
	g_autofree char *ns_want =
	    g_strdup_printf("{\"host_pid\":%d,\"ns_pid\":1,\"comm\":" ATTACK_JSON "}", attack);
	g_autofree char *tree_want = g_strdup_printf(" init %d (" ATTACK_TREE ")\n", attack);

	expect_no_control("metrics/nspidfs.prom", text);
	expect_sample(text, "nspidfs_namespace_processes", ns_of(attack_init), ATTACK_LABEL, 1);
	expect_sample(text, "nspidfs_namespace_processes", ns_of(c1_init), C1_LABEL, 1);
	promtool_check(text);
	expect_escaped(pid_json, pid_want);
	expect_escaped(c1_json, "\"comm\":" C1_JSON ",");
	expect_escaped(ns_json, ns_want);
	expect_escaped(tree_path, tree_want);
}

/* What a reader in a container must find, checked inside its namespace with plain calls. */
struct container_view {
	const char *path;
	uint64_t own;	 /* its namespace: shown, at level 1 */
	uint64_t host;	 /* the host's: not shown */
	uint64_t beside; /* a namespace beside its own: not shown */
};

static char *container_checks(void *arg)
{
	const struct container_view *c = arg;
	g_autofree char *text = g_malloc(TEXT_MAX);
	g_autofree char *own =
	    g_strdup_printf("\nnspidfs_namespace_level{ns=\"%" PRIu64 "\",level=\"1\",", c->own);
	g_autofree char *host = g_strdup_printf("ns=\"%" PRIu64 "\"", c->host);
	g_autofree char *beside = g_strdup_printf("ns=\"%" PRIu64 "\"", c->beside);
	const char *const absent[] = {host, beside};
	int r = read_file(c->path, text, TEXT_MAX);

	if (r <= 0)
		return g_strdup_printf("%s: %s", c->path, r < 0 ? strerror(-r) : "empty");
	/* Its namespace and the five below it in the standard tree. */
	if (!strstr(text, "\nnspidfs_namespaces 6\n") || !strstr(text, own))
		return g_strdup_printf("want 6 namespaces from %" PRIu64 ", got:\n%s", c->own,
				       text);
	for (size_t i = 0; i < G_N_ELEMENTS(absent); i++) {
		if (strstr(text, absent[i]))
			return g_strdup_printf("a reader in a container sees %s", absent[i]);
	}
	return NULL;
}

/*
 * Like tree: a reader in a container sees its own namespace and below (and which families it
 * does not get: test_host_only_families).
 */
static void test_reader_in_container(void **state)
{
	g_autofree char *path = metrics_path(&d);
	struct container_view c = {
	    .path = path,
	    .own = ns_of(0),
	    .host = kernel_ns_ino(getpid()),
	    .beside = ns_of(zombie_init),
	};
	g_autofree char *complaint = run_in_pidns_of(tree.m[1].host, container_checks, &c);

	if (complaint)
		fail_msg("%s", complaint);
}

/*
 * The families a reader gets only if it sees every process, each computed over more than a
 * container's reader sees: the daemon's counters (other readers' lookups), the build time
 * (the /proc pass costs about as much per host process: it counts the host's processes) and
 * pids.current (the shared cgroup holds a host process).
 */
static const char *const host_only[] = {
    "nspidfs_metrics_build_seconds",  "nspidfs_lookups_total",	    "nspidfs_helper_forks_total",
    "nspidfs_helper_timeouts_total",  "nspidfs_cache_entries",	    "nspidfs_cache_descriptors",
    "nspidfs_cache_hits_total",	      "nspidfs_cache_misses_total", "nspidfs_build_info",
    "nspidfs_namespace_pids_current", "nspidfs_open_files",	    "nspidfs_open_file_bytes",
};

/* Whether a line of text starts with family. */
static bool has_family(const char *text, const char *family)
{
	g_autofree char *sample = g_strdup_printf("\n%s", family);

	return strstr(text, sample) != NULL;
}

struct host_only_view {
	const char *path;
	uint64_t own; /* the reader's namespace, whose init is in the shared cgroup */
};

static char *without_host_only(void *arg)
{
	const struct host_only_view *v = arg;
	g_autofree char *text = g_malloc(TEXT_MAX);
	g_autofree char *own =
	    g_strdup_printf("nspidfs_namespace_pids_max{ns=\"%" PRIu64 "\",", v->own);
	int r = read_file(v->path, text, TEXT_MAX);

	if (r <= 0)
		return g_strdup_printf("%s: %s", v->path, r < 0 ? strerror(-r) : "empty");
	for (size_t i = 0; i < G_N_ELEMENTS(host_only); i++) {
		if (has_family(text, host_only[i]))
			return g_strdup_printf("a reader in a container gets %s", host_only[i]);
	}
	/* Its init's cgroup is in the file: only the count of what is in it is left out. */
	if (cgroup_shared[0] && !strstr(text, own))
		return g_strdup_printf("no %s... for the reader's own namespace", own);
	return NULL;
}

static void test_host_only_families(void **state)
{
	g_autofree char *path = metrics_path(&d);
	g_autofree char *text = read_metrics(&d);
	struct host_only_view v = {.path = path, .own = ns_of(0)};
	g_autofree char *complaint = NULL;

	for (size_t i = 0; i < G_N_ELEMENTS(host_only); i++) {
		if (!has_family(text, host_only[i]) &&
		    (cgroup_shared[0] || !g_str_has_suffix(host_only[i], "_pids_current")))
			fail_msg("the host's reader lacks %s", host_only[i]);
	}
	/* The init and the host's process: one more than the container's reader could count. */
	if (cgroup_shared[0])
		expect_sample(text, "nspidfs_namespace_pids_current", ns_of(0), NULL, 2);
	complaint = run_in_pidns_of(tree.m[1].host, without_host_only, &v);
	if (complaint)
		fail_msg("%s", complaint);
}

/* Counter deltas, read from the file. */
static double lookups(const char *text, const char *result)
{
	double sum = 0;
	const char *const strategies[] = {"ioctl", "status", "creds"};

	for (size_t i = 0; i < G_N_ELEMENTS(strategies); i++) {
		g_autofree char *labels =
		    g_strdup_printf("strategy=\"%s\",result=\"%s\"", strategies[i], result);

		sum += value(text, "nspidfs_lookups_total", 0, labels);
	}
	return sum;
}

/* A daemon of its own, so that no process was read (and cached) before. */
static void test_lookup_counters(void **state)
{
	const char *args[] = {NULL};
	struct daemon own;
	g_autofree char *before = NULL, *after = NULL, *missing = NULL;
	char buf[64];
	struct stat st;

	assert_true(daemon_start(&own, args));
	before = read_metrics(&own);
	missing = g_strdup_printf("%s/ns/%" PRIu64 "/pid/30000", own.mnt, ns_of(0));
	/* Three reads: one translation, then the cache. One reverse lookup of a PID unheld. */
	for (int i = 0; i < 3; i++)
		assert_true(read_file_at(own.mnt, tree.m[3].host, "nspid", buf, sizeof(buf)) > 0);
	assert_int_equal(stat(missing, &st), -1);
	after = read_metrics(&own);
	assert_int_equal(daemon_stop(&own), 0);
	assert_true(lookups(after, "ok") - lookups(before, "ok") == 1);
	assert_true(value(after, "nspidfs_cache_hits_total", 0, "cache=\"process\"") >=
		    value(before, "nspidfs_cache_hits_total", 0, "cache=\"process\"") + 2);
	assert_true(lookups(after, "enoent") - lookups(before, "enoent") == 1);
	assert_true(lookups(after, "error") == lookups(before, "error"));
	expect_sample(after, "nspidfs_helper_forks_total", 0, NULL, 0);
}

/* Reads of a PID nothing holds fail before any strategy is asked: each counts, as enoent. */
static void test_failed_reads_counted(void **state)
{
	const char *args[] = {NULL};
	struct daemon own;
	g_autofree char *before = NULL, *after = NULL;
	char buf[64];
	pid_t gone = fork();

	if (gone == 0)
		_exit(0);
	assert_int_equal(waitpid(gone, NULL, 0), gone);
	assert_true(daemon_start(&own, args));
	before = read_metrics(&own);
	for (int i = 0; i < 5; i++)
		assert_int_equal(read_file_at(own.mnt, gone, "init", buf, sizeof(buf)), -ENOENT);
	after = read_metrics(&own);
	assert_int_equal(daemon_stop(&own), 0);
	assert_true(lookups(after, "enoent") - lookups(before, "enoent") == 5);
	assert_true(lookups(after, "ok") == lookups(before, "ok"));
}

/* The creds strategy forks one helper per level, and one that hangs is counted at the timeout. */
static void test_helper_counters(void **state)
{
	const char *args[] = {"--strategy=creds", "--snapshot-ms=0", "--helper-timeout=100", NULL};
	struct daemon creds;
	char buf[64];
	pid_t member = tree.m[1].host; /* level 1 */

	assert_true(daemon_start(&creds, args));
	assert_true(read_file_at(creds.mnt, member, "nspid", buf, sizeof(buf)) > 0);
	{
		g_autofree char *text = read_metrics(&creds);

		expect_sample(text, "nspidfs_helper_forks_total", 0, NULL, 1);
		expect_sample(text, "nspidfs_helper_timeouts_total", 0, NULL, 0);
		expect_sample(text, "nspidfs_lookups_total", 0, "strategy=\"creds\",result=\"ok\"",
			      1);
		assert_non_null(strstr(text, "strategy=\"creds\"} 1\n"));
	}
	assert_int_equal(daemon_stop(&creds), 0);

	/* Helpers that answer only after the timeout. */
	setenv("NSPIDFS_TEST_HELPER_DELAY_MS", "2000", 1);
	assert_true(daemon_start(&creds, args));
	unsetenv("NSPIDFS_TEST_HELPER_DELAY_MS");
	assert_int_equal(read_file_at(creds.mnt, member, "nspid", buf, sizeof(buf)), -ETIMEDOUT);
	{
		g_autofree char *text = read_metrics(&creds);

		expect_sample(text, "nspidfs_helper_forks_total", 0, NULL, 1);
		expect_sample(text, "nspidfs_helper_timeouts_total", 0, NULL, 1);
		expect_sample(text, "nspidfs_lookups_total", 0,
			      "strategy=\"creds\",result=\"error\"", 1);
	}
	assert_int_equal(daemon_stop(&creds), 0);
}

/* A loopback port nothing listens on now (the exporter may still lose a race for it). */
static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static pid_t start_exporter(int port, const char *log)
{
	g_autofree char *dir = g_strdup_printf("--collector.textfile.directory=%s/metrics", d.mnt);
	g_autofree char *listen = g_strdup_printf("--web.listen-address=127.0.0.1:%d", port);
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		execl(NODE_EXPORTER, NODE_EXPORTER, "--collector.disable-defaults",
		      "--collector.textfile", dir, listen, (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	return pid;
}

/*
 * GET /metrics over HTTP/1.0 (the server closes when done): the body, or NULL while nothing
 * listens yet. Fails on any other error.
 */
static char *http_get_metrics(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct timeval tv = {.tv_sec = 5};
	static const char req[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
	g_autoptr(GString) resp = g_string_new(NULL);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	const char *body;
	char buf[16384];
	ssize_t n;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;

		close(fd);
		if (e != ECONNREFUSED)
			fail_msg("connect 127.0.0.1:%d: %s", port, strerror(e));
		return NULL;
	}
	assert_int_equal(write(fd, req, sizeof(req) - 1), (ssize_t)(sizeof(req) - 1));
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		g_string_append_len(resp, buf, n);
	close(fd);
	if (n < 0)
		fail_msg("reading from 127.0.0.1:%d: %s", port, strerror(errno));
	if (!g_str_has_prefix(resp->str, "HTTP/1.") || strncmp(resp->str + 8, " 200 ", 5) != 0)
		fail_msg("node_exporter answered:\n%.500s", resp->str);
	body = strstr(resp->str, "\r\n\r\n");
	assert_non_null(body);
	return g_strdup(body + 4);
}

/* Start node_exporter and fetch /metrics once it answers, within EXPORTER_WAIT_US. */
static char *scrape_exporter(const char *log)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		int port = free_port(), status;
		gint64 deadline = g_get_monotonic_time() + EXPORTER_WAIT_US;
		gulong backoff = 5000;

		exporter = start_exporter(port, log);
		while (g_get_monotonic_time() < deadline) {
			char *body = http_get_metrics(port);

			if (body)
				return body;
			if (waitpid(exporter, &status, WNOHANG) == exporter) {
				exporter = 0;
				break; /* lost the port, say: try another */
			}
			g_usleep(backoff);
			backoff = MIN(backoff * 2, 200000);
		}
		if (exporter > 0) {
			g_autofree char *text = NULL;

			g_file_get_contents(log, &text, NULL, NULL);
			fail_msg("node_exporter did not answer within 10 s:\n%s", text);
		}
	}
	fail_msg("node_exporter exited three times before answering");
	return NULL;
}

/* node_exporter's textfile collector reads the mount and serves every family of the file. */
static void test_node_exporter(void **state)
{
	g_autofree char *log = g_strdup_printf("%s/exporter.log", d.dir);
	g_autofree char *file = read_metrics(&d);
	g_autofree char *body = NULL;
	g_auto(GStrv) lines = NULL;
	g_autofree char *comm = g_strdup_printf("init_comm=\"%s\"", ODD_COMM_LABEL);

	if (access(NODE_EXPORTER, X_OK) < 0)
		fail_msg("%s is missing: install Debian's prometheus-node-exporter "
			 "(tests/install-deps.sh)",
			 NODE_EXPORTER);
	body = scrape_exporter(log);
	stop_exporter();
	unlink(log);
	expect_sample(body, "node_textfile_scrape_error", 0, NULL, 0);
	expect_sample(body, "nspidfs_namespace_zombies", ns_of(zombie_init), NULL, ZOMBIES);
	expect_sample(body, "nspidfs_namespace_init_sigterm", ns_of(caught_init),
		      "state=\"caught\"", 1);
	expect_sample(body, "nspidfs_namespace_init_sigterm", ns_of(0), "state=\"dropped\"", 1);
	expect_sample(body, "nspidfs_namespace_processes", ns_of(odd_init), comm, 1);
	/* Go's parser took the escaped names, and gives the same values back. */
	expect_sample(body, "nspidfs_namespace_processes", ns_of(attack_init), ATTACK_LABEL, 1);
	expect_sample(body, "nspidfs_namespace_processes", ns_of(c1_init), C1_LABEL, 1);
	expect_sample(body, "nspidfs_build_info", 0, "strategy=\"auto\"", 1);
	if (cgroup_odd[0])
		expect_sample(body, "nspidfs_namespace_pids_max", ns_of(caught_init), NULL,
			      INFINITY);
	/* Every family of the file, under the same type. */
	lines = g_strsplit(file, "\n", -1);
	for (char **l = lines; *l; l++) {
		if (g_str_has_prefix(*l, "# TYPE ") && !strstr(body, *l))
			fail_msg("node_exporter lacks \"%s\"", *l);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_listing),
	    cmocka_unit_test(test_sendfile_reads_it_whole),
	    cmocka_unit_test(test_zombies),
	    cmocka_unit_test(test_sigterm),
	    cmocka_unit_test(test_namespace_facts),
	    cmocka_unit_test(test_cgroup_and_escaping),
	    cmocka_unit_test(test_promtool),
	    cmocka_unit_test(test_attack_names_escaped),
	    cmocka_unit_test(test_reader_in_container),
	    cmocka_unit_test(test_host_only_families),
	    cmocka_unit_test(test_lookup_counters),
	    cmocka_unit_test(test_failed_reads_counted),
	    cmocka_unit_test(test_helper_counters),
	    cmocka_unit_test(test_node_exporter),
	};

	sigset_t term;

	harness_init();
	/* The members inherit our disposition: the default, whatever started this test. */
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_UNBLOCK, &term, NULL);
	return fixture_run("metrics", tests, &fx);
}

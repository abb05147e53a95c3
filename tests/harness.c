#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* cmocka needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

void harness_init(void)
{
	/* Mounts made from here on vanish with the last process of this mount namespace. */
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		fprintf(stderr, "cannot make a private mount namespace: %s\n", strerror(errno));
		exit(1);
	}
}

static const char *daemon_binary(void)
{
	const char *bin = getenv("NSPIDFS_BIN");

	if (!bin) {
		fprintf(stderr, "NSPIDFS_BIN is not set\n");
		exit(1);
	}
	return bin;
}

static void __attribute__((noreturn))
exec_daemon(const struct daemon *d, int ready, const char *const *extra)
{
	const char *argv[32] = {"nspidfs", "-f", "--ready-fd=3"};
	int n = 3, logfd = open(d->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (; extra && *extra && n < 30; extra++)
		argv[n++] = *extra;
	argv[n++] = d->mnt;
	argv[n] = NULL;
	if (logfd < 0 || dup2(ready, 3) < 0 || dup2(logfd, 2) < 0)
		_exit(127);
	execv(daemon_binary(), (char *const *)argv);
	_exit(127);
}

pid_t daemon_server(const struct daemon *d)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/task/%d/children", d->pid, d->pid);
	g_autofree char *kids = NULL;

	if (!g_file_get_contents(path, &kids, NULL, NULL) || !kids[0])
		return -1;
	return (pid_t)atoi(kids);
}

bool daemon_start(struct daemon *d, const char *const *extra_args)
{
	char buf[16] = "";
	int ready[2];
	ssize_t n;

	snprintf(d->dir, sizeof(d->dir), "/tmp/nspidfs-test-XXXXXX");
	if (!mkdtemp(d->dir))
		return false;
	snprintf(d->mnt, sizeof(d->mnt), "%s/mnt", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/log", d->dir);
	if (mkdir(d->mnt, 0755) < 0 || pipe2(ready, O_CLOEXEC) < 0)
		return false;
	d->pid = fork();
	if (d->pid == 0)
		exec_daemon(d, ready[1], extra_args);
	close(ready[1]);
	/* READY=1 once mounted; end of file if the daemon died first. */
	do
		n = read(ready[0], buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	close(ready[0]);
	if (n <= 0 || strncmp(buf, "READY=1", 7) != 0) {
		g_autofree char *log = NULL;

		g_file_get_contents(d->log, &log, NULL, NULL);
		fprintf(stderr, "daemon did not mount:\n%s\n", log ? log : "");
		return false;
	}
	d->server = daemon_server(d);
	d->restarts_expected = false;
	return true;
}

/*
 * Whether a sanitizer reported on the daemon's stderr. LeakSanitizer's report also sets the
 * exit status, but UndefinedBehaviorSanitizer recovers and exits 0, and options from the
 * environment (exitcode=0) can hide either: the log is what counts.
 */
static bool sanitizer_reported(const char *log)
{
	return log && (strstr(log, "ERROR: AddressSanitizer") ||
		       strstr(log, "ERROR: LeakSanitizer") || strstr(log, ": runtime error: "));
}

int daemon_stop(struct daemon *d)
{
	g_autofree char *log = NULL;
	int status = -1, code;

	if (d->pid > 0) {
		kill(d->pid, SIGTERM);
		while (waitpid(d->pid, &status, 0) < 0 && errno == EINTR)
			;
		d->pid = 0;
	} else {
		status = 0; /* the test reaped it, and checked its status */
	}
	g_file_get_contents(d->log, &log, NULL, NULL);
	code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (code == 0 && sanitizer_reported(log))
		code = DAEMON_SANITIZER_REPORT;
	/* The keeper hides a crash from readers: not from the tests. */
	if (code == 0 && !d->restarts_expected && log && strstr(log, "takes over the connection"))
		code = DAEMON_SERVER_REPLACED;
	if (code != 0)
		fprintf(stderr, "daemon failed (wait status %#x); its log:\n%s\n", status,
			log ? log : "");
	/* Only needed when the daemon failed to unmount: then this test fails anyway. */
	umount2(d->mnt, MNT_DETACH);
	rmdir(d->mnt);
	unlink(d->log);
	rmdir(d->dir);
	return code;
}

void harness_strategy_alone(const char *strategy)
{
	if (strcmp(strategy, "creds") == 0)
		setenv("NSPIDFS_TEST_NO_FALLBACK", "1", 1);
	else
		unsetenv("NSPIDFS_TEST_NO_FALLBACK");
}

/* daemon_start() of strategy alone (if not NULL), with the arguments of extra up to a NULL. */
static bool start_with(struct daemon *d, const char *strategy, const char *const *extra,
		       size_t n_extra)
{
	g_autofree char *arg = NULL;
	const char *args[32];
	size_t n = 0;

	if (strategy) {
		arg = g_strdup_printf("--strategy=%s", strategy);
		args[n++] = arg;
		args[n++] = HARNESS_NO_RATE_CAP;
		harness_strategy_alone(strategy);
	}
	for (size_t i = 0; i < n_extra && extra[i] && n + 1 < G_N_ELEMENTS(args); i++)
		args[n++] = extra[i];
	args[n] = NULL;
	return daemon_start(d, args);
}

bool daemon_start_strategy(struct daemon *d, const char *strategy, const char *extra)
{
	return start_with(d, strategy, &extra, 1);
}

char *daemon_warnings(const struct daemon *d)
{
	g_autofree char *log = NULL;
	g_auto(GStrv) lines = NULL;
	GString *out = g_string_new("");

	if (!g_file_get_contents(d->log, &log, NULL, NULL))
		return g_string_free(out, FALSE);
	lines = g_strsplit(log, "\n", -1);
	for (char **l = lines; *l; l++) {
		if (strstr(*l, ": warning: ") || strstr(*l, ": critical: ") ||
		    strstr(*l, ": error: "))
			g_string_append_printf(out, "%s\n", *l);
	}
	return g_string_free(out, FALSE);
}

bool harness_is_spawner(pid_t pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/comm", pid);
	g_autofree char *comm = NULL;

	return g_file_get_contents(path, &comm, NULL, NULL) &&
	       strcmp(comm, "nspidfs-spawner\n") == 0;
}

GArray *process_children(pid_t pid)
{
	GArray *kids = g_array_new(FALSE, FALSE, sizeof(pid_t));
	g_autofree char *taskdir = g_strdup_printf("/proc/%d/task", pid);
	g_autoptr(GDir) dir = g_dir_open(taskdir, 0, NULL);
	const char *tid;

	while (dir && (tid = g_dir_read_name(dir))) {
		g_autofree char *path = g_strdup_printf("%s/%s/children", taskdir, tid);
		g_autofree char *text = NULL;
		g_auto(GStrv) pids = NULL;

		if (!g_file_get_contents(path, &text, NULL, NULL))
			continue;
		pids = g_strsplit(g_strstrip(text), " ", -1);
		for (char **p = pids; *p; p++) {
			pid_t kid = (pid_t)atoi(*p);

			if (kid > 0)
				g_array_append_val(kids, kid);
		}
	}
	return kids;
}

unsigned process_fd_count(pid_t pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/fd", pid);
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	unsigned n = 0;

	while (dir && g_dir_read_name(dir))
		n++;
	return n;
}

pid_t daemon_spawner(const struct daemon *d)
{
	g_autoptr(GArray) kids = process_children(d->server);

	for (guint i = 0; i < kids->len; i++) {
		if (harness_is_spawner(g_array_index(kids, pid_t, i)))
			return g_array_index(kids, pid_t, i);
	}
	return 0;
}

GArray *daemon_helpers(pid_t server, uint64_t ns_ino)
{
	GArray *kids = process_children(server);

	for (guint i = kids->len; i-- > 0;) {
		pid_t kid = g_array_index(kids, pid_t, i);

		if (harness_is_spawner(kid) || (ns_ino != 0 && kernel_ns_ino(kid) != ns_ino))
			g_array_remove_index(kids, i);
	}
	return kids;
}

bool metrics_sample(const char *text, const char *series, double *value)
{
	g_autofree char *key = g_strdup_printf("\n%s ", series);
	const char *p = strstr(text, key);

	if (p)
		*value = g_ascii_strtod(p + strlen(key), NULL);
	return p != NULL;
}

int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) != 0) {
		if (n < 0) {
			int e = errno;

			close(fd);
			return -e;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	close(fd);
	return (int)len;
}

int sendfile_file(const char *path, char *buf, size_t size)
{
	int in = open(path, O_RDONLY | O_CLOEXEC), out, r = 0;
	ssize_t n, total = 0;

	if (in < 0)
		return -errno;
	out = memfd_create("sendfile", MFD_CLOEXEC);
	assert_true(out >= 0);
	while ((n = sendfile(out, in, NULL, 1 << 20)) > 0)
		total += n;
	if (n < 0)
		r = -errno;
	if (r == 0 && (size_t)total >= size)
		r = -E2BIG;
	if (r == 0 && pread(out, buf, (size_t)total, 0) != total)
		r = -EIO;
	if (r == 0)
		buf[total] = '\0';
	close(in);
	close(out);
	return r < 0 ? r : (int)total;
}

int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	if (n < 0)
		r = -errno;
	else if ((size_t)n != strlen(text))
		r = -EIO;
	close(fd);
	return r;
}

int read_file_at(const char *mnt, pid_t pid, const char *name, char *buf, size_t size)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%d/%s", mnt, (int)pid, name);
	return read_file(path, buf, size);
}

/* Deliberately independent of the daemon's own parser. */
int kernel_nspid(pid_t pid, pid_t *levels, unsigned max, unsigned *n)
{
	char path[64], line[512];
	FILE *f;
	int r = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *p = line + 6, *end;

		if (strncmp(line, "NSpid:", 6) != 0)
			continue;
		for (*n = 0; *n < max; (*n)++) {
			long v = strtol(p, &end, 10);

			if (end == p)
				break;
			levels[*n] = (pid_t)v;
			p = end;
		}
		r = 0;
	}
	fclose(f);
	return r;
}

uint64_t kernel_ns_ino(pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

void nstree_init(struct nstree *t)
{
	memset(t, 0, sizeof(*t));
	assert_int_equal(pipe2(t->release, O_CLOEXEC), 0);
}

static void __attribute__((noreturn)) member_main(int release)
{
	char c;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* Blocks until the test closes the write end (or dies). */
	while (read(release, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

static void enter_pidns_of(pid_t pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(setns(fd, CLONE_NEWPID), 0);
	close(fd);
}

/* The children of the calling thread, as a set of PIDs. */
static GHashTable *children_now(void)
{
	g_autofree char *text = NULL;
	GHashTable *set = g_hash_table_new(NULL, NULL);

	assert_true(g_file_get_contents("/proc/thread-self/children", &text, NULL, NULL));
	for (char *p = text, *end; *p; p = end) {
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		g_hash_table_add(set, GINT_TO_POINTER(v));
	}
	return set;
}

static pid_t clone_child(bool new_ns, unsigned long more, void (*child)(void *), void *arg)
{
	pid_t pid = (pid_t)syscall(
	    SYS_clone, (unsigned long)((new_ns ? CLONE_NEWPID : 0) | more | SIGCHLD), 0, 0, 0, 0);

	if (pid == 0) {
		child(arg);
		_exit(1);
	}
	return pid;
}

/*
 * The kernel creates a PID namespace only from a process whose pid_for_children is its own
 * namespace: a nested one must come from a member of the parent namespace. That member forks
 * the init with CLONE_PARENT, so the init is still our child (the one that is new), and exits.
 */
static pid_t clone_nested_init(void (*child)(void *), void *arg)
{
	g_autoptr(GHashTable) before = children_now(), after = NULL;
	GHashTableIter it;
	gpointer key;
	int status;
	pid_t via = fork();

	if (via == 0)
		_exit(clone_child(true, CLONE_PARENT, child, arg) < 0);
	assert_true(via > 0);
	assert_int_equal(waitpid(via, &status, 0), via);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	after = children_now();
	g_hash_table_iter_init(&it, after);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		if (!g_hash_table_contains(before, key))
			return GPOINTER_TO_INT(key);
	}
	fail_msg("the new init is not among our children");
	return -1;
}

pid_t harness_spawn(pid_t in, bool new_ns, void (*child)(void *), void *arg)
{
	pid_t pid;

	/* Children are born in pid_for_children: point it at in's namespace. */
	if (in > 0)
		enter_pidns_of(in);
	if (in > 0 && new_ns)
		pid = clone_nested_init(child, arg);
	else
		pid = clone_child(new_ns, 0, child, arg);
	if (in > 0)
		enter_pidns_of(getpid());
	if (pid < 0)
		fail_msg("clone: %s", strerror(errno));
	return pid;
}

static void member_start(void *arg)
{
	struct nstree *t = arg;

	close(t->release[1]);
	if (t->on_start)
		t->on_start();
	member_main(t->release[0]);
}

int nstree_add(struct nstree *t, int parent_idx, bool new_ns)
{
	struct member *m = &t->m[t->n];
	pid_t child;

	assert_true(t->n < TREE_MAX);
	if (parent_idx >= 0) {
		m->level = t->m[parent_idx].level;
		memcpy(m->inits, t->m[parent_idx].inits, sizeof(m->inits));
	} else {
		m->level = 0;
		m->inits[0] = 1;
	}
	child = harness_spawn(parent_idx >= 0 ? t->m[parent_idx].host : 0, new_ns, member_start, t);
	m->host = child;
	if (new_ns)
		m->inits[++m->level] = child;
	return (int)t->n++;
}

void nstree_build_standard(struct nstree *t)
{
	int l1, l2, l2b, mid, l3;

	nstree_init(t);
	l1 = nstree_add(t, -1, true);
	nstree_add(t, l1, false);
	nstree_add(t, l1, false);
	l2 = nstree_add(t, l1, true);
	nstree_add(t, l2, false);
	nstree_add(t, l2, false);
	l3 = nstree_add(t, l2, true);
	nstree_add(t, l3, false);
	nstree_add(t, l3, false);
	/* A sibling of level 2 under the same parent. */
	l2b = nstree_add(t, l1, true);
	nstree_add(t, l2b, false);
	/* A middle level whose only member is its init, with a deeper level below it. */
	mid = nstree_add(t, l2b, true);
	nstree_add(t, nstree_add(t, mid, true), false);
}

void nstree_destroy(struct nstree *t)
{
	close(t->release[1]);
	close(t->release[0]);
	for (unsigned i = 0; i < t->n; i++)
		kill(t->m[i].host, SIGKILL);
	/*
	 * A dying init waits until every member of its namespace is reaped, and the members
	 * are our children: reap in reverse order of creation, deepest first.
	 */
	for (unsigned i = t->n; i-- > 0;) {
		while (waitpid(t->m[i].host, NULL, 0) < 0 && errno == EINTR)
			;
	}
	t->n = 0;
}

static void __attribute__((noreturn)) report_and_exit(int fd, char *msg)
{
	size_t len = msg ? strlen(msg) : 0;

	if (len && write(fd, msg, len) < 0)
		_exit(3);
	_exit(msg ? 1 : 0);
}

char *run_in_pidns_of(pid_t member, char *(*fn)(void *), void *arg)
{
	GString *out = g_string_new("");
	int p[2], status = 0;
	char buf[512];
	ssize_t n;
	pid_t child;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	child = fork();
	if (child == 0) {
		pid_t inner;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		/* setns() moves only the children made afterwards into the namespace. */
		enter_pidns_of(member);
		inner = fork();
		if (inner == 0)
			report_and_exit(p[1], fn(arg));
		if (inner < 0 || waitpid(inner, &status, 0) < 0)
			_exit(4);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 5);
	}
	close(p[1]);
	while ((n = read(p[0], buf, sizeof(buf))) > 0)
		g_string_append_len(out, buf, n);
	close(p[0]);
	assert_int_equal(waitpid(child, &status, 0), child);
	if (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && out->len == 0))
		g_string_append_printf(out, "reader in the namespace of %d failed: status %#x",
				       member, status);
	return g_string_free(out, out->len == 0);
}

int fixture_teardown(void **state)
{
	struct fixture *fx = *state;
	bool bad = false;

	if (!fx->made)
		return 0;
	fx->made = false;
	if (fx->before_stop)
		bad |= fx->before_stop(fx) != 0;
	for (size_t i = 0; i < FIXTURE_DAEMONS && fx->daemons[i].d; i++) {
		struct fixture_daemon *spec = &fx->daemons[i];

		if (spec->started || (spec->by_test && spec->d->pid > 0))
			bad |= daemon_stop(spec->d) != 0;
		spec->started = false;
	}
	if (fx->tree_made)
		nstree_destroy(fx->tree);
	fx->tree_made = false;
	if (fx->after_stop)
		bad |= fx->after_stop(fx) != 0;
	return bad ? -1 : 0;
}

int fixture_setup(void **state)
{
	struct fixture *fx = *state;

	fx->made = true;
	/* Before it is made: members forked by a build that failed half-way must be ended. */
	fx->tree_made = fx->tree != NULL;
	if (fx->tree && fx->standard_tree)
		nstree_build_standard(fx->tree);
	else if (fx->tree)
		nstree_init(fx->tree);
	if (fx->before_start && fx->before_start(fx) != 0)
		goto failed;
	for (size_t i = 0; i < FIXTURE_DAEMONS && fx->daemons[i].d; i++) {
		struct fixture_daemon *spec = &fx->daemons[i];

		if (spec->by_test)
			continue;
		spec->started = true;
		if (!start_with(spec->d, spec->strategy, spec->args, FIXTURE_ARGS))
			goto failed;
	}
	if (fx->after_start && fx->after_start(fx) != 0)
		goto failed;
	return 0;
failed:
	fixture_teardown(state);
	return -1;
}

static struct fixture *group_fixture;

static int group_setup(void **state)
{
	*state = group_fixture;
	return fixture_setup(state);
}

static int group_teardown(void **state)
{
	*state = group_fixture;
	return fixture_teardown(state);
}

int fixture_run_group(const char *name, const struct CMUnitTest *tests, size_t n,
		      struct fixture *fx)
{
	group_fixture = fx;
	return _cmocka_run_group_tests(name, tests, n, group_setup, group_teardown);
}

pid_t harness_kworker(void)
{
	g_autoptr(GDir) dir = g_dir_open("/proc", 0, NULL);
	const char *name;

	while (dir && (name = g_dir_read_name(dir))) {
		g_autofree char *path = g_strdup_printf("/proc/%s/stat", name);
		g_autofree char *text = NULL;
		int ppid;
		unsigned flags;

		if (!g_ascii_isdigit(name[0]) || !g_file_get_contents(path, &text, NULL, NULL) ||
		    !strrchr(text, ')'))
			continue;
		/* After the name: state, ppid, pgrp, session, tty, tpgid, flags. */
		if (sscanf(strrchr(text, ')') + 2, "%*c %d %*d %*d %*d %*d %u", &ppid, &flags) ==
			2 &&
		    ppid == 2 && (flags & 0x00200000)) /* PF_KTHREAD */
			return atoi(name);
	}
	return 0;
}

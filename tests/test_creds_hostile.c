/*
 * What a container can learn from, and do to, the creds helpers that enter its PID namespace.
 * The container is a process of this test in new PID, mount, network, IPC and UTS namespaces
 * with its own /proc (as `unshare -p -f -m -n --mount-proc` makes one), and the host side
 * makes a real nspidfs translate its processes with --strategy=creds, so that helpers enter it:
 *
 * - test_nothing_of_the_host: the container reads, for every new process it sees, the /proc
 *   files a root there can read; the host made a marker mount, an abstract unix socket and a
 *   TCP listener after the container's namespaces were made, so only a leak can show them.
 *   Helpers linger (NSPIDFS_TEST_HELPER_DELAY_MS) so that the container wins the race, which
 *   it must prove by having read them.
 * - test_hijack_blocked: a container holding CAP_SYS_PTRACE (and no other capability) makes a
 *   helper run a system call that needs CAP_SYS_ADMIN, and fork (x86-64 only).
 * - test_killer_*, test_stopper_*: the container SIGKILLs, or SIGSTOPs, every new process:
 *   translations about it answer through the fallback (or fail with EAGAIN where there is
 *   none) well within the helper timeout, another namespace's translations keep their
 *   helpers, one line is logged, and no process or descriptor is left behind.
 * - test_staller: the container holds helpers in ptrace stops: another namespace keeps its
 *   helpers, and no read waits past the timeout for a zombie the container holds.
 * - test_fork_cap_*: a flood of translations about one namespace forks at most its rate,
 *   while another namespace still gets helpers.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <netinet/in.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"

/* ------------------------------------------------------------------ the container */

enum mode {
	SPY,	  /* read what a root there can read about every new process */
	HIJACKER, /* with CAP_SYS_PTRACE only, make a helper call unshare(2) and clone(2) */
	KILLER,	  /* SIGKILL every new process */
	STOPPER,  /* SIGSTOP every new process */
	STALLER,  /* hold every new process in a ptrace stop, for good */
};

/* What the spy looks for: strings that only the host's view holds. One write, one read. */
struct markers {
	char mount_source[64]; /* the marker tmpfs's source, in mountinfo */
	char mount_dir[96];    /* where it is mounted: a path under the host's root */
	char unix_name[64];    /* an abstract unix socket's name, in net/unix */
	char tcp_port[8];      /* ":PORT" in hex, a loopback listener's, in net/tcp */
	char daemon_mnt[96];   /* the daemon's mount point, in its command line */
	char secret[64];       /* a variable of the daemon's environment */
};

struct container {
	pid_t pid; /* host PID of its init (PID 1 there), our child */
	int cmd;   /* markers, then closed: the container stops and reports */
	int out;   /* "R" once ready, then the report */
};

struct report {
	unsigned helpers;  /* new processes: helpers */
	unsigned complete; /* of those, read entirely before they went */
	unsigned signalled;
	GString *text; /* what leaked, or what else went wrong */
};

static bool stop_asked(int cmd)
{
	struct pollfd p = {.fd = cmd, .events = POLLIN};

	return poll(&p, 1, 0) != 0;
}

/* A small /proc file of pid; false if it could not be read (the process went). */
static bool slurp(pid_t pid, const char *name, GString *into)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/%s", pid, name);
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	g_string_truncate(into, 0);
	if (fd < 0)
		return false;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		g_string_append_len(into, buf, n);
	close(fd);
	/* cmdline and environ hold NULs: search them as text. */
	for (gsize i = 0; i < into->len; i++)
		into->str[i] = into->str[i] ? into->str[i] : ' ';
	return n == 0;
}

static void leak(struct report *rep, pid_t pid, const char *what, const char *marker)
{
	g_string_append_printf(rep->text, "helper %d: %s shows the host's \"%s\"\n", pid, what,
			       marker);
}

/* Look in one file for markers; false if it could not be read. */
static bool check_file(struct report *rep, pid_t pid, const char *name, const char *const *m,
		       GString *buf)
{
	if (!slurp(pid, name, buf))
		return false;
	for (; *m; m++) {
		if (**m && strstr(buf->str, *m))
			leak(rep, pid, name, *m);
	}
	return true;
}

/* Its root and descriptors: root may read them (CAP_SYS_PTRACE), and they must hold nothing. */
static bool check_root_and_fds(struct report *rep, pid_t pid, const struct markers *mk)
{
	g_autofree char *root = g_strdup_printf("/proc/%d/root", pid);
	g_autofree char *marker = g_strdup_printf("%s%s", root, mk->mount_dir);
	g_autofree char *fddir = g_strdup_printf("/proc/%d/fd", pid);
	DIR *dir = opendir(root);
	struct dirent *e;
	unsigned entries = 0;

	if (!dir)
		return false;
	while ((e = readdir(dir)))
		entries += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(dir);
	if (entries)
		g_string_append_printf(rep->text, "helper %d: its root holds %u entries\n", pid,
				       entries);
	if (access(marker, F_OK) == 0)
		leak(rep, pid, "root", mk->mount_dir);
	dir = opendir(fddir);
	if (!dir)
		return false;
	while ((e = readdir(dir))) {
		g_autofree char *link = g_strdup_printf("%s/%s", fddir, e->d_name);
		char target[256];
		ssize_t n = readlink(link, target, sizeof(target) - 1);

		if (n <= 0)
			continue;
		target[n] = '\0';
		/* A socket or an nsfs descriptor is anonymous; a path is something of the host's.
		 */
		if (strchr(target, '/'))
			g_string_append_printf(rep->text, "helper %d: fd %s is %s\n", pid,
					       e->d_name, target);
	}
	closedir(dir);
	return true;
}

/* Sealed: non-dumpable, one capability, no new privileges, filtered. */
static void check_status(struct report *rep, pid_t pid, GString *buf)
{
	static const char *const want[] = {
		"CapEff:\t0000000000200000",
		"NoNewPrivs:\t1",
#if defined(__x86_64__) || defined(__aarch64__)
		"Seccomp:\t2",
#endif
	};

	if (!slurp(pid, "status", buf))
		return;
	for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
		if (!strstr(buf->str, want[i]))
			g_string_append_printf(rep->text, "helper %d: status lacks \"%s\"\n", pid,
					       want[i]);
	}
}

static void spy_on(struct report *rep, pid_t pid, const struct markers *mk)
{
	const char *mounts[] = {mk->mount_source, mk->mount_dir, NULL};
	const char *unixes[] = {mk->unix_name, NULL};
	const char *tcp[] = {mk->tcp_port, NULL};
	const char *argv[] = {mk->daemon_mnt, "--strategy", NULL};
	const char *env[] = {mk->secret, NULL};
	g_autoptr(GString) buf = g_string_new("");
	bool all = slurp(pid, "comm", buf);

	if (all && strcmp(buf->str, "nspidfs-creds\n") != 0)
		g_string_append_printf(rep->text, "helper %d: comm is %s", pid, buf->str);
	all &= check_file(rep, pid, "mountinfo", mounts, buf);
	all &= check_file(rep, pid, "mounts", mounts, buf);
	all &= check_file(rep, pid, "net/unix", unixes, buf);
	all &= check_file(rep, pid, "net/tcp", tcp, buf);
	all &= check_file(rep, pid, "cmdline", argv, buf);
	all &= check_file(rep, pid, "environ", env, buf);
	all &= check_root_and_fds(rep, pid, mk);
	check_status(rep, pid, buf);
	rep->complete += all;
}

#ifdef __x86_64__
/* A system call to make the helper run, and what it returned. */
struct call {
	long nr, a0;
	long result;
};

/* Stop it at a system call's entry (the sleep's restart) or exit; its status. */
static int syscall_stop(pid_t pid)
{
	int status;

	if (ptrace(PTRACE_SYSCALL, pid, 0, 0) < 0 || waitpid(pid, &status, __WALL) < 0)
		return -errno;
	if (!WIFSTOPPED(status))
		return -ESRCH; /* gone: killed by the daemon, which had its answer */
	return WSTOPSIG(status) == (SIGTRAP | 0x80) ? 0 : -ECHILD;
}

/*
 * Seize the helper in its sleep and make it run calls[] instead of the sleep's restart, one
 * after the other, each by stepping back onto its syscall instruction; then put the restart
 * back, so that it sleeps on and answers as if nothing happened.
 */
static long inject(pid_t pid, struct call *calls, size_t n)
{
	struct user_regs_struct saved, regs;
	int status, r;

	if (ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_TRACESYSGOOD) < 0 ||
	    ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0 || waitpid(pid, &status, __WALL) < 0)
		return -errno;
	/* The interrupted sleep restarts: its entry, where the first call takes its place. */
	if ((r = syscall_stop(pid)) < 0 || ptrace(PTRACE_GETREGS, pid, 0, &saved) < 0)
		return r < 0 ? r : -errno;
	regs = saved;
	for (size_t i = 0; i < n; i++) {
		if (i == 0) {
			regs.orig_rax = (unsigned long long)calls[i].nr;
		} else {
			regs.rip = saved.rip - 2;
			regs.rax = (unsigned long long)calls[i].nr;
		}
		regs.rdi = (unsigned long long)calls[i].a0;
		regs.rsi = regs.rdx = regs.r10 = regs.r8 = regs.r9 = 0;
		if (ptrace(PTRACE_SETREGS, pid, 0, &regs) < 0)
			return -errno;
		if (i > 0 && (r = syscall_stop(pid)) < 0)
			return r;
		if ((r = syscall_stop(pid)) < 0 || ptrace(PTRACE_GETREGS, pid, 0, &regs) < 0)
			return r < 0 ? r : -errno;
		calls[i].result = (long)regs.rax;
	}
	regs = saved;
	regs.rip = saved.rip - 2;
	regs.rax = saved.orig_rax;
	if (ptrace(PTRACE_SETREGS, pid, 0, &regs) < 0)
		return -errno;
	return ptrace(PTRACE_DETACH, pid, 0, 0) < 0 ? -errno : 0;
}

/*
 * Until the helper sleeps (NSPIDFS_TEST_HELPER_DELAY_MS), so that the system call we take
 * over is that sleep's restart and not one of its exchange. False if it went first.
 */
static bool sleeping(pid_t pid)
{
	g_autoptr(GString) call = g_string_new("");

	while (slurp(pid, "syscall", call)) {
		if (atoi(call->str) == __NR_clock_nanosleep)
			return true;
	}
	return false;
}

/*
 * unshare(CLONE_NEWUTS) needs CAP_SYS_ADMIN, which the helper keeps and we lack; clone(2)
 * with the helper's own flags would make us a process the daemon must reap. Both must fail.
 */
static void hijack(struct report *rep, pid_t pid)
{
	struct call calls[] = {
	    {.nr = __NR_clone, .a0 = CLONE_PARENT | SIGCHLD, .result = 1},
	    {.nr = __NR_unshare, .a0 = CLONE_NEWUTS, .result = 1},
	};
	long r = sleeping(pid) ? inject(pid, calls, G_N_ELEMENTS(calls)) : -ESRCH;

	/* 1: not reached, as where the helper went before we took its next call. */
	for (size_t i = 0; i < G_N_ELEMENTS(calls); i++) {
		if (calls[i].result != -EPERM && calls[i].result != 1)
			g_string_append_printf(rep->text, "helper %d: system call %ld gave %ld\n",
					       pid, calls[i].nr, calls[i].result);
	}
	if (r < 0)
		g_string_append_printf(rep->text, "ptrace of helper %d: %s\n", pid,
				       strerror((int)-r));
	else
		rep->complete++;
}
#endif

/*
 * Every process this one never saw before: what mode does with it. Nothing but helpers
 * appears in the container (its init is this process), so each is one.
 */
static void on_new(enum mode mode, struct report *rep, pid_t pid, const struct markers *mk)
{
	rep->helpers++;
	if (mode == STALLER) {
		rep->signalled += ptrace(PTRACE_SEIZE, pid, 0, 0) == 0 &&
				  ptrace(PTRACE_INTERRUPT, pid, 0, 0) == 0;
		return;
	}
	if (mode == KILLER || mode == STOPPER) {
		rep->signalled += kill(pid, mode == KILLER ? SIGKILL : SIGSTOP) == 0;
		return;
	}
	if (mode == SPY)
		spy_on(rep, pid, mk);
#ifdef __x86_64__
	if (mode == HIJACKER && rep->complete == 0)
		hijack(rep, pid);
#endif
}

static void scan(enum mode mode, int cmd, struct report *rep, const struct markers *mk)
{
	g_autoptr(GHashTable) seen = g_hash_table_new(NULL, NULL);

	while (!stop_asked(cmd)) {
		DIR *proc = opendir("/proc");
		struct dirent *e;

		while (proc && (e = readdir(proc))) {
			int pid = atoi(e->d_name);

			if (pid <= 1 || g_hash_table_contains(seen, GINT_TO_POINTER(pid)))
				continue;
			g_hash_table_add(seen, GINT_TO_POINTER(pid));
			on_new(mode, rep, pid, mk);
		}
		if (proc)
			closedir(proc);
	}
}

/* Only CAP_SYS_PTRACE: what a container given it for a debugger holds of interest. */
static int keep_ptrace_only(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {{0}};

	d[CAP_TO_INDEX(CAP_SYS_PTRACE)].effective = CAP_TO_MASK(CAP_SYS_PTRACE);
	d[CAP_TO_INDEX(CAP_SYS_PTRACE)].permitted = CAP_TO_MASK(CAP_SYS_PTRACE);
	return (int)syscall(SYS_capset, &h, d);
}

static void __attribute__((noreturn)) container_main(enum mode mode, int cmd, int out)
{
	struct report rep = {.text = g_string_new("")};
	struct markers mk;
	g_autofree char *line = NULL;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ||
	    (mode == HIJACKER && keep_ptrace_only() < 0)) {
		dprintf(out, "container set-up: %s\n", strerror(errno));
		_exit(1);
	}
	if (write(out, "R", 1) != 1 || read(cmd, &mk, sizeof(mk)) != (ssize_t)sizeof(mk))
		_exit(1);
	scan(mode, cmd, &rep, &mk);
	line = g_strdup_printf("helpers=%u complete=%u signalled=%u\n%s", rep.helpers, rep.complete,
			       rep.signalled, rep.text->str);
	_exit(write(out, line, strlen(line)) < 0);
}

static void container_start(struct container *c, enum mode mode)
{
	int cmd[2], out[2];
	char ready = 0;
	pid_t pid;

	assert_int_equal(pipe2(cmd, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	pid = (pid_t)syscall(SYS_clone,
			     (unsigned long)(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET |
					     CLONE_NEWIPC | CLONE_NEWUTS | SIGCHLD),
			     0, 0, 0, 0);
	if (pid == 0) {
		close(cmd[1]);
		close(out[0]);
		container_main(mode, cmd[0], out[1]);
	}
	assert_true(pid > 0);
	close(cmd[0]);
	close(out[1]);
	*c = (struct container){.pid = pid, .cmd = cmd[1], .out = out[0]};
	if (read(c->out, &ready, 1) != 1 || ready != 'R')
		fail_msg("the container did not start");
}

static void container_go(struct container *c, const struct markers *mk)
{
	assert_int_equal(write(c->cmd, mk, sizeof(*mk)), sizeof(*mk));
}

/* Stop it; its report ("helpers=N complete=N signalled=N" and complaints). */
static char *container_stop(struct container *c)
{
	GString *out = g_string_new("");
	char buf[512];
	ssize_t n;

	close(c->cmd);
	while ((n = read(c->out, buf, sizeof(buf))) > 0)
		g_string_append_len(out, buf, n);
	close(c->out);
	while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
		;
	c->pid = 0;
	return g_string_free(out, FALSE);
}

static void container_kill(struct container *c)
{
	if (c->pid <= 0)
		return;
	kill(c->pid, SIGKILL);
	close(c->cmd);
	close(c->out);
	while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
		;
	c->pid = 0;
}

static unsigned report_count(const char *report, const char *key)
{
	const char *p = strstr(report, key);

	return p ? (unsigned)strtoul(p + strlen(key), NULL, 10) : 0;
}

/* The report's lines after the counts: what went wrong. */
static const char *report_complaints(const char *report)
{
	const char *nl = strchr(report, '\n');

	return nl ? nl + 1 : "";
}

/* ------------------------------------------------------------------ the host side */

/* In the daemon's environment: a helper's environ must not show it. */
#define SECRET "nspidfs-marker-env-secret"

static struct daemon d;
static struct container box;
static struct nstree tree;
static char marker_dir[64];
static int marker_fds[2] = {-1, -1};

static int kill_container(struct fixture *f)
{
	container_kill(&box);
	return 0;
}

static int remove_markers(struct fixture *f)
{
	if (marker_dir[0]) {
		umount2(marker_dir, MNT_DETACH);
		rmdir(marker_dir);
		marker_dir[0] = '\0';
	}
	for (int i = 0; i < 2; i++) {
		if (marker_fds[i] >= 0)
			close(marker_fds[i]);
		marker_fds[i] = -1;
	}
	unsetenv("NSPIDFS_TEST_HELPER_DELAY_MS");
	unsetenv("NSPIDFS_TEST_NO_FALLBACK");
	return 0;
}

/* Made for each test, which starts the daemon as it needs it. */
static struct fixture fx = {
    .tree = &tree,
    .daemons = {{.d = &d, .by_test = true}},
    .before_stop = kill_container,
    .after_stop = remove_markers,
};

static void start_daemon(const char *delay_ms, bool fallback, const char *const *extra)
{
	const char *args[16] = {"--strategy=creds", "--pid-cache=0"};
	unsigned n = 2;

	for (; extra && *extra && n < 15; extra++)
		args[n++] = *extra;
	args[n] = NULL;
	setenv("NSPIDFS_TEST_HELPER_DELAY_MS", delay_ms, 1);
	if (fallback)
		unsetenv("NSPIDFS_TEST_NO_FALLBACK");
	else
		setenv("NSPIDFS_TEST_NO_FALLBACK", "1", 1);
	assert_true(daemon_start(&d, args));
}

/* The host's marker mount, abstract unix socket and loopback listener, made now. */
static void make_markers(struct markers *mk)
{
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(in);
	int n;

	memset(mk, 0, sizeof(*mk));
	g_strlcpy(marker_dir, "/tmp/nspidfs-marker-XXXXXX", sizeof(marker_dir));
	assert_non_null(mkdtemp(marker_dir));
	g_snprintf(mk->mount_source, sizeof(mk->mount_source), "nspidfs-marker-src-%d", getpid());
	assert_int_equal(mount(mk->mount_source, marker_dir, "tmpfs", 0, "size=4k"), 0);
	g_strlcpy(mk->mount_dir, marker_dir, sizeof(mk->mount_dir));

	n = g_snprintf(mk->unix_name, sizeof(mk->unix_name), "nspidfs-marker-sock-%d", getpid());
	memcpy(un.sun_path + 1, mk->unix_name, (size_t)n);
	marker_fds[0] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(marker_fds[0], (struct sockaddr *)&un,
			      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n)),
			 0);
	assert_int_equal(listen(marker_fds[0], 1), 0);

	marker_fds[1] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(marker_fds[1], (struct sockaddr *)&in, sizeof(in)), 0);
	assert_int_equal(listen(marker_fds[1], 1), 0);
	assert_int_equal(getsockname(marker_fds[1], (struct sockaddr *)&in, &len), 0);
	g_snprintf(mk->tcp_port, sizeof(mk->tcp_port), ":%04X", ntohs(in.sin_port));

	g_strlcpy(mk->daemon_mnt, d.mnt, sizeof(mk->daemon_mnt));
	g_strlcpy(mk->secret, SECRET, sizeof(mk->secret));
}

/* Our view of the markers: present here, so their absence there means something. */
static void check_markers_visible(const struct markers *mk)
{
	g_autofree char *mi = NULL, *un = NULL, *tcp = NULL;

	assert_true(g_file_get_contents("/proc/self/mountinfo", &mi, NULL, NULL));
	assert_true(g_file_get_contents("/proc/self/net/unix", &un, NULL, NULL));
	assert_true(g_file_get_contents("/proc/self/net/tcp", &tcp, NULL, NULL));
	assert_non_null(strstr(mi, mk->mount_source));
	assert_non_null(strstr(un, mk->unix_name));
	assert_non_null(strstr(tcp, mk->tcp_port));
}

/* A translation that forks a helper into the container's namespace (no cache). */
static int translate(pid_t pid, char *buf, size_t size)
{
	return read_file_at(d.mnt, pid, "nspid", buf, size);
}

/* What the kernel says pid's PID is in its own namespace. */
static pid_t kernel_own_pid(pid_t pid)
{
	pid_t levels[TREE_LEVELS];
	unsigned n = 0;

	assert_int_equal(kernel_nspid(pid, levels, TREE_LEVELS, &n), 0);
	assert_true(n > 0);
	return levels[n - 1];
}

static void expect_translation(pid_t pid, int r, const char *got)
{
	g_autofree char *want = g_strdup_printf("%d\n", kernel_own_pid(pid));

	if (r < 0)
		fail_msg("nspid of %d: %s", pid, strerror(-r));
	assert_string_equal(got, want);
}

/* A reverse lookup through the container's namespace: ns/INODE/pid/1 -> its init. */
static void reverse_lookup(pid_t init)
{
	g_autofree char *link =
	    g_strdup_printf("%s/ns/%" PRIu64 "/pid/1", d.mnt, kernel_ns_ino(init));
	g_autofree char *target = g_file_read_link(link, NULL);

	assert_non_null(target);
}

static void test_nothing_of_the_host(void **state)
{
	const char *extra[] = {HARNESS_NO_RATE_CAP, NULL};
	g_autofree char *report = NULL;
	struct markers mk;
	char buf[64];

	setenv("NSPIDFS_TEST_SECRET", SECRET, 1);
	start_daemon("100", false, extra);
	unsetenv("NSPIDFS_TEST_SECRET");
	container_start(&box, SPY);
	/* Only now, with the container's namespaces made: only a leak can show them there. */
	make_markers(&mk);
	check_markers_visible(&mk);
	container_go(&box, &mk);
	for (int i = 0; i < 8; i++) {
		expect_translation(box.pid, translate(box.pid, buf, sizeof(buf)), buf);
		if (i % 2)
			reverse_lookup(box.pid);
	}
	report = container_stop(&box);
	printf("# the container's report: %s", report);
	/* The race must be won for the rest to mean anything. */
	assert_true(report_count(report, "helpers=") >= 8);
	assert_true(report_count(report, "complete=") >= 4);
	if (*report_complaints(report))
		fail_msg("%s", report_complaints(report));
}

static void test_hijack_blocked(void **state)
{
#ifdef __x86_64__
	const char *extra[] = {HARNESS_NO_RATE_CAP, NULL};
	g_autofree char *report = NULL;
	struct markers mk = {.secret = ""};
	char buf[64];

	start_daemon("300", false, extra);
	container_start(&box, HIJACKER);
	container_go(&box, &mk);
	expect_translation(box.pid, translate(box.pid, buf, sizeof(buf)), buf);
	report = container_stop(&box);
	printf("# the container's report: %s", report);
	assert_true(report_count(report, "complete=") >= 1);
	if (*report_complaints(report))
		fail_msg("%s", report_complaints(report));
#else
	skip();
#endif
}

/* ------------------------------------------------------------------ killers and stoppers */

/* The daemon's children, whichever thread made them, but the spawner: its helpers. */
static unsigned daemon_children(void)
{
	g_autoptr(GArray) kids = daemon_helpers(d.server, 0);

	return kids->len;
}

/* The daemon's descriptors, as their targets, sorted. */
static GPtrArray *daemon_fds(void)
{
	g_autofree char *fddir = g_strdup_printf("/proc/%d/fd", d.server);
	g_autoptr(GDir) dir = g_dir_open(fddir, 0, NULL);
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	const char *fd;

	while (dir && (fd = g_dir_read_name(dir))) {
		g_autofree char *path = g_strdup_printf("%s/%s", fddir, fd);
		char *target = g_file_read_link(path, NULL);

		if (target)
			g_ptr_array_add(out, target);
	}
	g_ptr_array_sort(out, (GCompareFunc)g_strcmp0);
	return out;
}

static guint count_prefixed(GPtrArray *a, const char *prefix)
{
	guint n = 0;

	for (guint i = 0; i < a->len; i++)
		n += g_str_has_prefix(g_ptr_array_index(a, i), prefix);
	return n;
}

static char *metrics(void)
{
	g_autofree char *path = g_strdup_printf("%s/metrics/nspidfs.prom", d.mnt);
	char *text = NULL;

	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	return text;
}

/* One sample of a family (with its labels, if any); 0 if absent. */
static double sample(const char *text, const char *series)
{
	double v;

	return metrics_sample(text, series, &v) ? v : 0;
}

/* Lines of the daemon's log that contain every one of the strings. */
static unsigned log_lines(const char *a, const char *b)
{
	g_autofree char *log = NULL;
	g_auto(GStrv) lines = NULL;
	unsigned n = 0;

	assert_true(g_file_get_contents(d.log, &log, NULL, NULL));
	lines = g_strsplit(log, "\n", -1);
	for (char **l = lines; *l; l++)
		n += strstr(*l, a) && (!b || strstr(*l, b));
	return n;
}

static double ms_since(gint64 t0)
{
	return (double)(g_get_monotonic_time() - t0) / 1000.0;
}

/*
 * The container signals every new process; the host reads its init's nspid, and another
 * namespace's, in turn. The helper timeout is 5 s: a read about the container must take far
 * less, and once the first helper failed, no helper may enter the container any more.
 */
static void interfere(enum mode mode, bool fallback)
{
	const char *extra[] = {"--helper-timeout=5000", HARNESS_NO_RATE_CAP, NULL};
	g_autofree char *before_metrics = NULL, *after_metrics = NULL, *report = NULL;
	g_autoptr(GPtrArray) fds0 = NULL, fds1 = NULL;
	g_autofree char *ns_link = NULL, *ns_text = NULL;
	struct markers mk = {.secret = ""};
	const unsigned reads = 12;
	double slowest = 0, first = 0;
	uint64_t ns;
	pid_t other;
	char buf[64];

	other = tree.m[nstree_add(&tree, -1, true)].host;
	start_daemon("50", fallback, extra);
	container_start(&box, mode);
	ns = kernel_ns_ino(box.pid);
	container_go(&box, &mk);
	expect_translation(other, translate(other, buf, sizeof(buf)), buf);
	fds0 = daemon_fds();
	before_metrics = metrics();
	for (unsigned i = 0; i < reads; i++) {
		gint64 t0 = g_get_monotonic_time();
		int r = translate(box.pid, buf, sizeof(buf));
		double ms = ms_since(t0);

		if (fallback)
			expect_translation(box.pid, r, buf);
		else if (r != -EAGAIN)
			fail_msg("read %u about the container: %s, want EAGAIN", i,
				 r < 0 ? strerror(-r) : buf);
		if (i == 0)
			first = ms;
		else
			slowest = MAX(slowest, ms);
		/* Another namespace's translations are answered (by helpers, without fallback). */
		expect_translation(other, translate(other, buf, sizeof(buf)), buf);
	}
	after_metrics = metrics();
	report = container_stop(&box);
	printf("# first read %.1f ms, slowest after it %.1f ms; the container: %s", first, slowest,
	       report);
	/* The first helper was killed (and one more, to tell it from a dying namespace), or
	 * stopped; after that none entered the container. */
	assert_true(report_count(report, "helpers=") >= 1);
	assert_true(report_count(report, "helpers=") <= (mode == KILLER ? 2 : 1));
	/* No read waited for the timeout, not even the first: a stop is seen as it happens. */
	assert_true(first < 1000 && slowest < 1000);
	/* Helpers entered the other namespace all along: one per read of it. */
	assert_true(sample(after_metrics, "nspidfs_helper_forks_total") -
			sample(before_metrics, "nspidfs_helper_forks_total") >=
		    reads);
	assert_true(sample(after_metrics, mode == KILLER ? "nspidfs_helper_kills_total"
							 : "nspidfs_helper_stops_total") >= 1);
	assert_true(sample(after_metrics, "nspidfs_helper_refusals_total{reason=\"suspended\"}") >=
		    reads - 1);
	/* One line about it; none other but the notice of the start. */
	ns_text = g_strdup_printf("PID namespace %" PRIu64, ns);
	assert_int_equal(log_lines(ns_text, mode == KILLER ? "killed" : "stopped"), 1);
	assert_int_equal(log_lines(": warning: ", NULL), 1);
	/* Every helper was reaped; the only new descriptor is the suspended namespace's. */
	assert_int_equal(daemon_children(), 0);
	fds1 = daemon_fds();
	ns_link = g_strdup_printf("pid:[%" PRIu64 "]", ns);
	assert_int_equal(fds1->len, fds0->len + 1);
	assert_int_equal(count_prefixed(fds1, ns_link), count_prefixed(fds0, ns_link) + 1);
	assert_int_equal(count_prefixed(fds1, "socket:"), count_prefixed(fds0, "socket:"));
	assert_int_equal(daemon_stop(&d), 0);
}

static void test_killer_fallback(void **state)
{
	interfere(KILLER, true);
}

static void test_killer_no_fallback(void **state)
{
	interfere(KILLER, false);
}

static void test_stopper_fallback(void **state)
{
	interfere(STOPPER, true);
}

static void test_stopper_no_fallback(void **state)
{
	interfere(STOPPER, false);
}

/* One read in a thread of its own, and how long it took. */
struct timed_read {
	pid_t target;
	pthread_t th;
	int r;
	char buf[64];
	double ms;
};

static void *timed_read_main(void *arg)
{
	struct timed_read *t = arg;
	gint64 t0 = g_get_monotonic_time();

	t->r = translate(t->target, t->buf, sizeof(t->buf));
	t->ms = ms_since(t0);
	return NULL;
}

/*
 * A container holding CAP_SYS_PTRACE keeps every helper that enters it in a ptrace stop,
 * which its parent, the daemon, cannot see: they answer nothing until the helper timeout
 * (2 s), and a zombie a tracer holds cannot be reaped until the tracer lets it go. Four reads
 * about it at once hold only its share of the four helper slots (the others fall back at
 * once), so that another namespace's read gets a helper meanwhile; none of the four waits
 * past the timeout for the reaping; later reads about it fall back at once; once the tracer
 * is gone, no child is left.
 */
static void test_staller(void **state)
{
	const char *extra[] = {"--helper-timeout=2000", "--max-helpers=4", HARNESS_NO_RATE_CAP,
			       NULL};
	static struct timed_read rd[4];
	g_autofree char *report = NULL, *ns_text = NULL;
	struct markers mk = {.secret = ""};
	struct timed_read other_read;
	gint64 t0, until;
	unsigned timed_out = 0;
	pid_t other;
	char buf[64];

	other = tree.m[nstree_add(&tree, -1, true)].host;
	start_daemon("50", true, extra);
	container_start(&box, STALLER);
	container_go(&box, &mk);
	t0 = g_get_monotonic_time();
	for (int i = 0; i < 4; i++) {
		rd[i] = (struct timed_read){.target = box.pid};
		assert_int_equal(pthread_create(&rd[i].th, NULL, timed_read_main, &rd[i]), 0);
	}
	/* The stalled helpers exist until the timeout by construction: poll for them, bounded. */
	while (daemon_children() < 2) {
		if (ms_since(t0) > 1500)
			fail_msg("no helper was held");
		poll(NULL, 0, 2);
	}
	other_read = (struct timed_read){.target = other};
	timed_read_main(&other_read);
	expect_translation(other, other_read.r, other_read.buf);
	printf("# another namespace's read while two helpers were held: %.1f ms\n", other_read.ms);
	assert_true(other_read.ms < 1000);
	until = t0 + 4000 * 1000;
	for (int i = 0; i < 4; i++) {
		struct timespec ts = {.tv_sec = until / G_USEC_PER_SEC,
				      .tv_nsec = (until % G_USEC_PER_SEC) * 1000};

		/* g_get_monotonic_time() is CLOCK_MONOTONIC; the join's deadline is REALTIME. */
		ts.tv_sec += time(NULL) - g_get_monotonic_time() / G_USEC_PER_SEC;
		if (pthread_timedjoin_np(rd[i].th, NULL, &ts) != 0)
			fail_msg("read %d about the container still waits after 4 s", i);
		if (rd[i].r == -ETIMEDOUT)
			timed_out++;
		else
			expect_translation(box.pid, rd[i].r, rd[i].buf);
		printf("# read %d about the container: %s in %.1f ms\n", i,
		       rd[i].r < 0 ? strerror(-rd[i].r) : "answered", rd[i].ms);
	}
	assert_true(timed_out >= 1 && timed_out <= 2);
	/* Suspended now: answered by the fallback, at once. */
	t0 = g_get_monotonic_time();
	expect_translation(box.pid, translate(box.pid, buf, sizeof(buf)), buf);
	assert_true(ms_since(t0) < 1000);
	ns_text = g_strdup_printf("PID namespace %" PRIu64, kernel_ns_ino(box.pid));
	assert_int_equal(log_lines(ns_text, "did not answer within 2000 ms"), 1);
	assert_int_equal(log_lines(": warning: ", NULL), 1);
	report = container_stop(&box);
	printf("# the container: %s", report);
	assert_true(report_count(report, "signalled=") >= 1);
	/* The tracer is gone: the next helper's end reaps what it held. */
	expect_translation(other, translate(other, buf, sizeof(buf)), buf);
	assert_int_equal(daemon_children(), 0);
	assert_int_equal(daemon_stop(&d), 0);
}

/* ------------------------------------------------------------------ the fork cap */

#define FLOODERS 3

struct flood {
	pid_t target;
	gint64 until;
	bool fallback;
	unsigned ok, again;
	char wrong[128];
};

static void *flood(void *arg)
{
	struct flood *f = arg;
	g_autofree char *want = g_strdup_printf("%d\n", kernel_own_pid(f->target));
	char buf[64];

	while (g_get_monotonic_time() < f->until) {
		int r = translate(f->target, buf, sizeof(buf));

		if (r > 0 && strcmp(buf, want) == 0)
			f->ok++;
		else if (r == -EAGAIN && !f->fallback)
			f->again++;
		else if (!f->wrong[0])
			g_snprintf(f->wrong, sizeof(f->wrong), "%s", r < 0 ? strerror(-r) : buf);
	}
	return NULL;
}

static void fork_cap(bool fallback)
{
	const char *extra[] = {"--helper-rate=5", "--helper-timeout=5000", NULL};
	g_autofree char *m0 = NULL, *m1 = NULL;
	static struct flood fl[FLOODERS];
	pthread_t th[FLOODERS];
	unsigned other_reads = 0, ok = 0, again = 0;
	double forks, seconds, cap;
	pid_t target, other;
	gint64 t0;
	char buf[64];

	target = tree.m[nstree_add(&tree, -1, true)].host;
	other = tree.m[nstree_add(&tree, -1, true)].host;
	start_daemon("0", fallback, extra);
	m0 = metrics();
	t0 = g_get_monotonic_time();
	for (int i = 0; i < FLOODERS; i++) {
		fl[i] = (struct flood){
		    .target = target, .until = t0 + 1500 * 1000, .fallback = fallback};
		assert_int_equal(pthread_create(&th[i], NULL, flood, &fl[i]), 0);
	}
	/* Meanwhile, another namespace's reads, well within its own rate. */
	while (g_get_monotonic_time() < t0 + 1500 * 1000) {
		struct timespec tick = {.tv_nsec = 250 * 1000000L};

		expect_translation(other, translate(other, buf, sizeof(buf)), buf);
		other_reads++;
		/* A pause between reads, not a synchronisation: each read is checked on its own. */
		nanosleep(&tick, NULL);
	}
	for (int i = 0; i < FLOODERS; i++) {
		pthread_join(th[i], NULL);
		if (fl[i].wrong[0])
			fail_msg("flood: %s", fl[i].wrong);
		ok += fl[i].ok;
		again += fl[i].again;
	}
	seconds = ms_since(t0) / 1000.0;
	m1 = metrics();
	forks = sample(m1, "nspidfs_helper_forks_total") -
		sample(m0, "nspidfs_helper_forks_total") - other_reads;
	/* A burst of 5, then 5 a second; one more for a refill the clock splits. */
	cap = 5 + 5 * seconds + 1;
	printf("# %.1f s: %u answers and %u EAGAIN about the flooded namespace, %.0f forks "
	       "for it (at most %.1f), %u reads of another\n",
	       seconds, ok, again, forks, cap, other_reads);
	assert_true(forks <= cap);
	assert_true(forks >= 5);
	assert_true(sample(m1, "nspidfs_helper_refusals_total{reason=\"rate\"}") > 0);
	if (fallback) {
		assert_int_equal(again, 0);
		assert_true(ok > forks);
	} else {
		assert_true(again > 0);
		assert_true(ok <= forks);
	}
	/* Once per episode: a notice where the fallback answers, a warning where reads fail. */
	assert_int_equal(log_lines("forks a second", NULL), 1);
	assert_int_equal(log_lines(": warning: ", NULL), fallback ? 0 : 1);
	assert_int_equal(daemon_stop(&d), 0);
}

static void test_fork_cap_fallback(void **state)
{
	fork_cap(true);
}

static void test_fork_cap_no_fallback(void **state)
{
	fork_cap(false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    fixture_test(test_nothing_of_the_host, &fx),
	    fixture_test(test_hijack_blocked, &fx),
	    fixture_test(test_killer_fallback, &fx),
	    fixture_test(test_killer_no_fallback, &fx),
	    fixture_test(test_stopper_fallback, &fx),
	    fixture_test(test_stopper_no_fallback, &fx),
	    fixture_test(test_staller, &fx),
	    fixture_test(test_fork_cap_fallback, &fx),
	    fixture_test(test_fork_cap_no_fallback, &fx),
	};

	harness_init();
	return cmocka_run_group_tests_name("creds-hostile", tests, NULL, NULL);
}

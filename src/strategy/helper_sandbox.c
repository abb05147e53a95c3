/*
 * The member a creds helper forks into a reader's PID namespace is a process of that
 * namespace: every process there sees it in /proc, and a root there may read much of it
 * without ptrace access: mountinfo and mounts (its mount namespace), net/ (its network
 * namespace), cmdline, comm, status, cgroup. What it shows must be nothing of the host's.
 *
 * At start-up a short-lived child unshares mount, network, IPC, UTS and cgroup namespaces,
 * makes its mount namespace hold a single read-only empty tmpfs (pivot_root and a detach of
 * the old root), and names its UTS namespace; the daemon keeps descriptors of them (O_CLOEXEC)
 * for its life. Each helper then joins them with setns(2), which costs microseconds, before it
 * enters the target's PID namespace; creating a network namespace per helper would cost
 * milliseconds and a cleanup the kernel does asynchronously.
 *
 * Before it forks its member the helper also closes every descriptor but its socket, becomes
 * non-dumpable (its /proc files then need CAP_SYS_PTRACE), takes a comm and command line of its
 * own (the daemon's argv and environment are overwritten in its copy of the memory), keeps
 * only CAP_SYS_ADMIN (which naming another PID in SCM_CREDENTIALS needs), and installs a
 * seccomp filter: a member taken over with ptrace(2) can then do nothing but what it does.
 * All of this runs in a copy of a multithreaded daemon (the spawner's clone, itself a raw
 * clone of the daemon), until _exit(): raw system calls and plain memory writes only.
 */
#include "helper_sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

static const struct {
	int type;
	const char *name;
} kinds[] = {
    {CLONE_NEWNS, "mnt"},  {CLONE_NEWNET, "net"},	{CLONE_NEWIPC, "ipc"},
    {CLONE_NEWUTS, "uts"}, {CLONE_NEWCGROUP, "cgroup"},
};
#define KINDS G_N_ELEMENTS(kinds)

/* Written once by helper_sandbox_init() before any helper exists, read-only afterwards. */
static int ns_fd[KINDS] = {-1, -1, -1, -1, -1};
static bool ready;
/* The daemon's argv and environment strings, as the kernel shows them in cmdline and environ. */
static char *arg_start, *arg_end, *env_start, *env_end;

/* ------------------------------------------------------------------ the seccomp filter */

#if defined(__x86_64__)
#define SANDBOX_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SANDBOX_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef SANDBOX_AUDIT_ARCH
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG0_LO offsetof(struct seccomp_data, args[0])
#define ARG0_HI (offsetof(struct seccomp_data, args[0]) + 4)
#else
#define ARG0_LO (offsetof(struct seccomp_data, args[0]) + 4)
#define ARG0_HI offsetof(struct seccomp_data, args[0])
#endif
#define LOAD(off)	   BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define RET(v)		   BPF_STMT(BPF_RET | BPF_K, (v))
#define ALLOW_NR(nr)	   BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), RET(SECCOMP_RET_ALLOW)
#define HELPER_CLONE_FLAGS (CLONE_PARENT | SIGCHLD)

static struct sock_filter filter[] = {
    LOAD(offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_AUDIT_ARCH, 1, 0),
    RET(SECCOMP_RET_KILL),
    LOAD(offsetof(struct seccomp_data, nr)),
#ifdef __x86_64__
    /* The x32 ABI shares the architecture number: refuse its system calls outright. */
    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),
    RET(SECCOMP_RET_KILL),
#endif
    ALLOW_NR(__NR_sendmsg),
    ALLOW_NR(__NR_recvmsg),
    ALLOW_NR(__NR_getuid),
    ALLOW_NR(__NR_getgid),
    ALLOW_NR(__NR_clock_nanosleep),
    ALLOW_NR(__NR_restart_syscall),
    ALLOW_NR(__NR_rt_sigreturn),
    ALLOW_NR(__NR_exit),
    ALLOW_NR(__NR_exit_group),
    /* Filters only ever add restrictions: the member's own, below. */
    ALLOW_NR(__NR_seccomp),
    /* clone(2) with exactly the helper's flags: its first argument, all 64 bits. */
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 4),
    LOAD(ARG0_HI),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2),
    LOAD(ARG0_LO),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, HELPER_CLONE_FLAGS, 1, 0),
    RET(SECCOMP_RET_ERRNO | EPERM),
    RET(SECCOMP_RET_ALLOW),
};

static const struct sock_fprog filter_prog = {
    .len = (unsigned short)G_N_ELEMENTS(filter),
    .filter = filter,
};

static int install_filter(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter_prog, 0, 0) < 0)
		return -errno;
	return 0;
}

/* The member's: no clone(2) either, which the helper's filter had to allow for it. */
static struct sock_filter member_filter[] = {
    LOAD(offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 1),
    RET(SECCOMP_RET_ERRNO | EPERM),
    RET(SECCOMP_RET_ALLOW),
};

static const struct sock_fprog member_prog = {
    .len = (unsigned short)G_N_ELEMENTS(member_filter),
    .filter = member_filter,
};

int helper_sandbox_member(void)
{
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &member_prog) < 0 ? -errno : 0;
}
#else
static int install_filter(void)
{
	return 0;
}

int helper_sandbox_member(void)
{
	return 0;
}
#endif

/* ------------------------------------------------------------------ in the helper */

/* Only CAP_SYS_ADMIN, which SCM_CREDENTIALS naming a PID other than the sender's needs. */
static int keep_sys_admin_only(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof(d));
	d[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective = CAP_TO_MASK(CAP_SYS_ADMIN);
	d[CAP_TO_INDEX(CAP_SYS_ADMIN)].permitted = CAP_TO_MASK(CAP_SYS_ADMIN);
	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

/* Plain memory writes to this process's copy of the daemon's argv and environment strings. */
static void rename_self(void)
{
	static const char name[] = HELPER_SANDBOX_NAME;

	if (arg_start) {
		size_t room = (size_t)(arg_end - arg_start);

		memset(arg_start, 0, room);
		memcpy(arg_start, name, MIN(sizeof(name), room) - 1);
	}
	if (env_start)
		memset(env_start, 0, (size_t)(env_end - env_start));
	/* Raw: a sanitizer's prctl() takes a lock that a copy of a multithreaded process may
	 * hold for ever. */
	syscall(SYS_prctl, PR_SET_NAME, (unsigned long)name, 0, 0, 0);
}

static bool kept(int fd, const int *keep, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (keep[i] == fd)
			return true;
	}
	return false;
}

/* Every descriptor but keep[0..n), which is sorted in place; negative entries keep nothing. */
static void close_all_except(int *keep, unsigned n)
{
	struct rlimit rl = {.rlim_cur = 1024};
	unsigned from = 0;
	int r = 0;

	for (unsigned i = 1; i < n; i++) {
		for (unsigned j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
			int t = keep[j];

			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	}
	for (unsigned i = 0; i < n && r == 0; i++) {
		if (keep[i] < 0 || (unsigned)keep[i] < from)
			continue;
		if ((unsigned)keep[i] > from)
			r = close_range(from, (unsigned)keep[i] - 1, 0);
		from = (unsigned)keep[i] + 1;
	}
	if (r == 0 && close_range(from, UINT_MAX, 0) == 0)
		return;
	/* Kernels before 5.9 have no close_range(): close one by one. */
	getrlimit(RLIMIT_NOFILE, &rl);
	for (int fd = 0; fd < (int)MIN(rl.rlim_cur, (rlim_t)INT_MAX); fd++) {
		if (!kept(fd, keep, n))
			close(fd);
	}
}

static void close_all_but(int keep)
{
	close_all_except(&keep, 1);
}

void helper_sandbox_close_for_spawner(int keep)
{
	/* Standard ones too: what it receives then takes numbers above them, as in the daemon. */
	int fds[KINDS + 4] = {keep, 0, 1, 2};
	unsigned n = 4;

	for (unsigned i = 0; i < KINDS; i++) {
		if (ns_fd[i] >= 0)
			fds[n++] = ns_fd[i];
	}
	close_all_except(fds, n);
}

int helper_sandbox_enter(int pidns_fd, int sock)
{
	int r;

	/* The PID namespace last: it only decides where the member will be born. */
	for (unsigned i = 0; i < KINDS; i++) {
		if (ns_fd[i] >= 0 && setns(ns_fd[i], kinds[i].type) < 0)
			return -errno;
	}
	if (setns(pidns_fd, CLONE_NEWPID) < 0)
		return -errno;
	close_all_but(sock);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	rename_self();
	r = keep_sys_admin_only();
	return r < 0 ? r : install_filter();
}

/* ------------------------------------------------------------------ at start-up */

enum holder_step { STEP_UNSHARE = 1, STEP_PRIVATE, STEP_TMPFS, STEP_PIVOT, STEP_DETACH, STEP_UTS };

static const char *const step_names[] = {
    [STEP_UNSHARE] = "unshare the namespaces", [STEP_PRIVATE] = "make the mounts private",
    [STEP_TMPFS] = "mount an empty tmpfs",     [STEP_PIVOT] = "pivot_root into it",
    [STEP_DETACH] = "detach the old root",     [STEP_UTS] = "set the host name",
};

struct holder_report {
	int step; /* 0: ready */
	int err;
};

/* The holder's mount namespace: one empty read-only tmpfs as its root, nothing else. */
static int empty_root(void)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return STEP_PRIVATE;
	/* Any directory will do as the place to mount it; /proc exists wherever we run. */
	if (mount("nspidfs", "/proc", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "size=4k,mode=0555") < 0)
		return STEP_TMPFS;
	if (chdir("/proc") < 0 || syscall(SYS_pivot_root, ".", ".") < 0)
		return STEP_PIVOT;
	/* The old root now sits on top of the new one: take it away. */
	if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		return STEP_DETACH;
	return 0;
}

static __attribute__((noreturn)) void holder(int report_fd, int wait_fd, int flags)
{
	struct holder_report rep = {0};
	char c;

	if (unshare(flags) < 0)
		rep.step = STEP_UNSHARE;
	if (rep.step == 0)
		rep.step = empty_root();
	if (rep.step == 0 && sethostname("nspidfs", 7) < 0)
		rep.step = STEP_UTS;
	rep.err = rep.step ? errno : 0;
	if (write(report_fd, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
		_exit(1);
	/* Until the daemon has opened our namespaces and closed its end. */
	while (read(wait_fd, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

static int open_ns_of(pid_t pid, int flags)
{
	for (unsigned i = 0; i < KINDS; i++) {
		g_autofree char *path = NULL;

		if (!(flags & kinds[i].type))
			continue;
		path = g_strdup_printf("/proc/%d/ns/%s", pid, kinds[i].name);
		ns_fd[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (ns_fd[i] < 0)
			return log_debug_ret(-errno, "%s: %s", path, g_strerror(errno));
	}
	return 0;
}

static void close_ns(void)
{
	for (unsigned i = 0; i < KINDS; i++) {
		if (ns_fd[i] >= 0)
			close(ns_fd[i]);
		ns_fd[i] = -1;
	}
}

/* Fork the holder with these namespace flags; its namespaces are ours once this returns 0. */
static int make_namespaces(int flags, struct holder_report *rep)
{
	int report[2], wait_fds[2], status, r;
	pid_t pid;

	if (pipe2(report, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(wait_fds, O_CLOEXEC) < 0) {
		r = -errno;
		close(report[0]);
		close(report[1]);
		return r;
	}
	pid = fork();
	if (pid == 0) {
		close(report[0]);
		close(wait_fds[1]);
		holder(report[1], wait_fds[0], flags);
	}
	close(report[1]);
	close(wait_fds[0]);
	r = pid < 0 ? -errno : 0;
	if (r == 0 && read(report[0], rep, sizeof(*rep)) != (ssize_t)sizeof(*rep))
		r = -EPROTO;
	if (r == 0 && rep->step == 0)
		r = open_ns_of(pid, flags);
	else if (r == 0)
		r = -rep->err;
	close(report[0]);
	close(wait_fds[1]);
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		close_ns();
	return r;
}

/*
 * A helper's first steps, forked, into our own PID namespace: what every helper will do. The
 * filter leaves it no write(2): it answers by its exit status, through the raw system call
 * (a sanitizer's _exit() would check for leaks first, which the filter forbids, and fail).
 */
static int try_entering(void)
{
	autofd own = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	int status = 0;
	pid_t pid;

	if (own < 0)
		return -errno;
	pid = fork();
	if (pid == 0)
		syscall(SYS_exit_group, -helper_sandbox_enter(own, -1) & 0xff);
	if (pid < 0)
		return -errno;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status))
		return -EPROTO;
	return -WEXITSTATUS(status);
}

/* Where the kernel shows this process's argv and environment from: /proc/self/stat 48-51. */
static void find_strings(void)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) f = NULL;
	const char *paren;
	guint64 v[4];

	if (!g_file_get_contents("/proc/self/stat", &text, NULL, NULL) ||
	    !(paren = strrchr(text, ')')))
		return;
	f = g_strsplit(paren + 2, " ", -1);
	/* Field 3 (state) is f[0]: arg_start (48) is f[45], env_end (51) f[48]. */
	if (g_strv_length(f) < 49)
		return;
	for (int i = 0; i < 4; i++) {
		if (!g_ascii_string_to_unsigned(f[45 + i], 10, 0, G_MAXUINT64, &v[i], NULL))
			return;
	}
	/* A megabyte at most: more would be someone else's layout, not exec's. */
	if (v[1] > v[0] && v[1] - v[0] < (1u << 20)) {
		arg_start = (char *)(uintptr_t)v[0];
		arg_end = (char *)(uintptr_t)v[1];
	}
	if (v[3] > v[2] && v[3] - v[2] < (1u << 20)) {
		env_start = (char *)(uintptr_t)v[2];
		env_end = (char *)(uintptr_t)v[3];
	}
}

int helper_sandbox_init(void)
{
	const int all = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;
	struct holder_report rep = {0};
	int r;

	if (ready)
		return 0;
	/* Cgroup namespaces came in Linux 4.6: without them, the other four. */
	r = make_namespaces(all | CLONE_NEWCGROUP, &rep);
	if (r == -EINVAL && rep.step == STEP_UNSHARE)
		r = make_namespaces(all, &rep);
	if (r < 0) {
		g_message("creds helpers cannot be isolated from the host: %s: %s",
			  rep.step ? step_names[rep.step] : "open their namespaces",
			  g_strerror(-r));
		return r;
	}
	find_strings();
	if (!arg_start)
		g_info("creds helpers: the daemon's argv was not found: they show it in cmdline");
#ifndef SANDBOX_AUDIT_ARCH
	g_info("creds helpers: no seccomp filter for this architecture");
#endif
	r = try_entering();
	if (r < 0) {
		g_message("creds helpers cannot join their empty namespaces: %s%s", g_strerror(-r),
			  r == -EPERM ? " (setns(2) of a mount namespace needs CAP_SYS_CHROOT)"
				      : "");
		close_ns();
		return r;
	}
	ready = true;
	return 0;
}

bool helper_sandbox_ready(void)
{
	return ready;
}

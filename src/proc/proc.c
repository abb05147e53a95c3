/*
 * /proc readers. A process can vanish between any two reads; every way /proc reports that
 * (ENOENT on open, ESRCH on read of a reaped task) becomes -ENOENT here, so callers see one
 * errno for "gone".
 */
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "util.h"

#define PROC_STAT_SIZE	  1024
#define PROC_STATUS_SIZE  4096
#define PROC_STATUS_LIMIT (1u << 20) /* Groups: of 65536 groups fits with room to spare */

static int gone_errno(int e)
{
	return (e == ENOENT || e == ESRCH) ? -ENOENT : -e;
}

static int openat_proc(int dirfd, pid_t pid, const char *name)
{
	char path[64];
	int fd;

	if (dirfd >= 0)
		fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	else {
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	}
	return fd < 0 ? gone_errno(errno) : fd;
}

/*
 * Read a /proc file whole into buf, growing it up to limit. /proc generates seq files on the
 * first read and hands out the rest on the next ones, so short reads continue until EOF.
 */
static int read_proc_file(int dirfd, pid_t pid, const char *name, GByteArray *buf, guint limit)
{
	autofd fd = openat_proc(dirfd, pid, name);

	if (fd < 0)
		return fd;
	g_byte_array_set_size(buf, 0);
	for (;;) {
		guint used = buf->len, room = MAX(used, 1024u);
		ssize_t n;

		if (used >= limit)
			return log_debug_ret(-EFBIG, "pid %d: /proc/%d/%s exceeds %u bytes", pid,
					     pid, name, limit);
		g_byte_array_set_size(buf, used + room);
		do
			n = read(fd, buf->data + used, room);
		while (n < 0 && errno == EINTR);
		g_byte_array_set_size(buf, used + (guint)MAX(n, 0));
		if (n < 0)
			return gone_errno(errno);
		if (n == 0)
			return 0;
	}
}

int proc_open_dir(pid_t pid)
{
	char path[32];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? gone_errno(errno) : fd;
}

int proc_read_stat_at(int dirfd, pid_t pid, struct proc_stat *out)
{
	g_autoptr(GByteArray) buf = g_byte_array_sized_new(PROC_STAT_SIZE);
	int r = read_proc_file(dirfd, pid, "stat", buf, PROC_STAT_SIZE * 4);

	if (r < 0)
		return r;
	if (parse_proc_stat((const char *)buf->data, buf->len, out) < 0)
		return log_debug_ret(-EIO, "pid %d: malformed /proc/%d/stat", pid, pid);
	return 0;
}

int proc_read_status_at(int dirfd, pid_t pid, struct proc_status *out)
{
	g_autoptr(GByteArray) buf = g_byte_array_sized_new(PROC_STATUS_SIZE);
	int r = read_proc_file(dirfd, pid, "status", buf, PROC_STATUS_LIMIT);

	if (r < 0)
		return r;
	if (parse_proc_status((const char *)buf->data, buf->len, out) < 0)
		return log_debug_ret(-EIO, "pid %d: malformed /proc/%d/status", pid, pid);
	return 0;
}

int proc_read_stat(pid_t pid, struct proc_stat *out)
{
	return proc_read_stat_at(-1, pid, out);
}

int proc_read_status(pid_t pid, struct proc_status *out)
{
	return proc_read_status_at(-1, pid, out);
}

int proc_ns_ino_at(int dirfd, pid_t pid, uint64_t *ino)
{
	char path[64];
	struct stat st;
	int r;

	if (dirfd >= 0)
		r = fstatat(dirfd, "ns/pid", &st, 0);
	else {
		snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
		r = stat(path, &st);
	}
	if (r < 0)
		return gone_errno(errno);
	*ino = st.st_ino;
	return 0;
}

static gint compare_pids(gconstpointer a, gconstpointer b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

int proc_list_pids(GArray *pids)
{
	DIR *dir = opendir("/proc");
	struct dirent *de;

	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		pid_t pid;

		if (parse_pid_name(de->d_name, &pid) == 0)
			g_array_append_val(pids, pid);
	}
	closedir(dir);
	g_array_sort(pids, compare_pids);
	return 0;
}

bool proc_is_zombie(const struct proc_stat *st)
{
	return model_state_exited(st->state);
}

bool proc_is_kthread(const struct proc_stat *st)
{
	return (st->flags & NSPIDFS_PF_KTHREAD) != 0;
}

bool proc_has_live_threads(pid_t pid)
{
	struct proc_status st;

	/* A zombie leader still counts itself until the whole group is reaped. */
	return proc_read_status(pid, &st) == 0 && st.threads > 1;
}

bool proc_pidfd_exited(int pidfd, int wait_ms)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};

	return poll(&p, 1, wait_ms) != 0;
}

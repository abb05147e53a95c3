/*
 * /proc readers. A process can vanish between any two reads; every way /proc reports that
 * (ENOENT on open, ESRCH on read of a reaped task) becomes -ENOENT here, so callers see one
 * errno for "gone".
 */
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

#define PROC_STATUS_MAX 8192

static int gone_errno(int e)
{
	return (e == ENOENT || e == ESRCH) ? -ENOENT : -e;
}

/* Read a small /proc file in one go; /proc generates it whole on the first read. */
static int read_proc_file(pid_t pid, const char *name, char *buf, size_t size, size_t *len)
{
	char path[64];
	autofd fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return gone_errno(errno);
	do
		n = read(fd, buf, size);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return gone_errno(errno);
	*len = (size_t)n;
	return 0;
}

int proc_read_stat(pid_t pid, struct proc_stat *out)
{
	char buf[1024];
	size_t len;
	int r = read_proc_file(pid, "stat", buf, sizeof(buf), &len);

	if (r < 0)
		return r;
	if (parse_proc_stat(buf, len, out) < 0)
		return log_debug_ret(-EIO, "pid %d: malformed /proc/%d/stat", pid, pid);
	return 0;
}

int proc_read_status(pid_t pid, struct proc_status *out)
{
	g_autofree char *buf = g_malloc(PROC_STATUS_MAX);
	size_t len;
	int r = read_proc_file(pid, "status", buf, PROC_STATUS_MAX, &len);

	if (r < 0)
		return r;
	if (parse_proc_status(buf, len, out) < 0)
		return log_debug_ret(-EIO, "pid %d: malformed /proc/%d/status", pid, pid);
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
	return st->state == 'Z' || st->state == 'X' || st->state == 'x';
}

bool proc_is_kthread(const struct proc_stat *st)
{
	return (st->flags & NSPIDFS_PF_KTHREAD) != 0;
}

#include "pidns.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "nsfs_compat.h"
#include "util.h"

static void chain_reset(struct pidns_chain *chain)
{
	chain->depth = 0;
	for (unsigned i = 0; i < NSPIDFS_MAX_LEVELS; i++)
		chain->fd[i] = -1;
}

void pidns_chain_close(struct pidns_chain *chain)
{
	/* Only the first depth descriptors are ours: a zeroed chain owns none (not fd 0). */
	for (unsigned i = 0; i < chain->depth && i < NSPIDFS_MAX_LEVELS; i++)
		nspidfs_close_fd(chain->fd[i]);
	chain_reset(chain);
}

static int open_own_ns(pid_t pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (errno == ENOENT || errno == ESRCH)
		return -ENOENT;
	fd = -errno;
	return log_debug_ret(fd, "pid %d: cannot open %s: %s", pid, path, g_strerror(-fd));
}

int pidns_chain_open(pid_t pid, struct pidns_chain *chain)
{
	int stack[NSPIDFS_MAX_LEVELS];
	unsigned n = 0;
	int fd = open_own_ns(pid), r = 0;

	chain_reset(chain);
	if (fd < 0)
		return fd;
	/* Walk up until the kernel says EPERM: that is the top of what the daemon may see. */
	while (fd >= 0) {
		if (n == NSPIDFS_MAX_LEVELS) {
			close(fd);
			r = -ELOOP;
			break;
		}
		stack[n++] = fd;
		fd = ioctl(fd, NS_GET_PARENT);
		/* The kernel opens the parent's descriptor with O_CLOEXEC already. */
		if (fd < 0 && errno != EPERM) {
			r = -errno;
			g_debug("pid %d: NS_GET_PARENT: %s", pid, g_strerror(-r));
		}
	}
	/* stack[] runs from the process's namespace up; the chain runs from the daemon's down. */
	for (unsigned i = 0; i < n; i++) {
		struct stat st = {0};

		chain->fd[i] = stack[n - 1 - i];
		if (r == 0 && fstat(chain->fd[i], &st) < 0)
			r = -errno;
		chain->ino[i] = st.st_ino;
	}
	chain->depth = n;
	if (r < 0)
		pidns_chain_close(chain);
	return r;
}

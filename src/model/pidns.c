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

/*
 * The daemon's own PID namespace, where a walk up ends (0 if unknown: walk to EPERM). Its
 * descriptor stays open: the kernel then keeps the namespace's nsfs inode, which it would
 * otherwise allocate and free again for every walk that reaches it.
 */
uint64_t pidns_own_ino(void)
{
	static gsize once;
	static uint64_t ino;
	static int held = -1;

	if (g_once_init_enter(&once)) {
		struct stat st;

		held = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
		if (held >= 0 && fstat(held, &st) == 0)
			ino = st.st_ino;
		g_once_init_leave(&once, 1);
	}
	return ino;
}

int pidns_chain_from_fd(int fd, struct pidns_chain *chain)
{
	int stack[NSPIDFS_MAX_LEVELS];
	uint64_t ino[NSPIDFS_MAX_LEVELS] = {0};
	unsigned n = 0;
	int r = 0;

	chain_reset(chain);
	/*
	 * Walk up to the daemon's namespace, whose parent the kernel would refuse (EPERM): that is
	 * the top of what the daemon may see. Stopping there saves an ioctl.
	 */
	while (fd >= 0) {
		struct stat st;

		if (n == NSPIDFS_MAX_LEVELS) {
			close(fd);
			r = -ELOOP;
			break;
		}
		stack[n] = fd;
		if (fstat(fd, &st) < 0) {
			r = -errno;
			n++;
			break;
		}
		ino[n++] = st.st_ino;
		if (st.st_ino == pidns_own_ino())
			break;
		/* The kernel opens the parent's descriptor with O_CLOEXEC already. */
		fd = ioctl(fd, NS_GET_PARENT);
		if (fd < 0 && errno != EPERM) {
			r = -errno;
			g_debug("NS_GET_PARENT: %s", g_strerror(-r));
		}
	}
	/* stack[] runs from the process's namespace up; the chain runs from the daemon's down. */
	for (unsigned i = 0; i < n; i++) {
		chain->fd[i] = stack[n - 1 - i];
		chain->ino[i] = ino[n - 1 - i];
	}
	chain->depth = n;
	if (r < 0)
		pidns_chain_close(chain);
	return r;
}

int pidns_chain_own(struct pidns_chain *chain)
{
	chain_reset(chain);
	chain->ino[0] = pidns_own_ino();
	if (!chain->ino[0])
		return -EACCES;
	chain->depth = 1;
	return 0;
}

int pidns_chain_open(pid_t pid, struct pidns_chain *chain)
{
	int fd = open_own_ns(pid);

	if (fd < 0) {
		chain_reset(chain);
		return fd;
	}
	return pidns_chain_from_fd(fd, chain);
}

/* Translation by nsfs ioctls (Linux 6.11+): no fork, no /proc scan. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <unistd.h>

#include "nsfs_compat.h"
#include "strategy.h"
#include "util.h"

/* Set by a successful probe: from then on ENOTTY from these requests means "not found". */
static bool ioctl_probed;

static int probe_ioctl(void)
{
	autofd fd = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	r = ioctl(fd, NS_GET_PID_FROM_PIDNS, 1);
	if (r != 1)
		return r < 0 ? -errno : -EPROTO;
	r = ioctl(fd, NS_GET_PID_IN_PIDNS, getpid());
	if (r != getpid())
		return r < 0 ? -errno : -EPROTO;
	ioctl_probed = true;
	return 0;
}

bool nsfs_pid_ioctls_work(void)
{
	static gsize probed;
	static bool works;

	/* The strategy's probe may not have run (another strategy chosen): probe once here. */
	if (g_once_init_enter(&probed)) {
		works = ioctl_probed || probe_ioctl() == 0;
		g_once_init_leave(&probed, 1);
	}
	return works;
}

static int ns_ioctl(int fd, unsigned long req, pid_t arg)
{
	int r = ioctl(fd, req, arg);

	if (r > 0)
		return r;
	if (r == 0)
		return -ESRCH;
	/* Some 6.12-6.18 kernels answer ENOTTY instead of ESRCH for a PID that is not found. */
	if (errno == ESRCH || (errno == ENOTTY && ioctl_probed))
		return -ESRCH;
	return -errno;
}

static int translate_ioctl(const struct pidns_chain *chain, pid_t pid, struct proc_model *m)
{
	for (unsigned k = 1; k < chain->depth; k++) {
		int in = ns_ioctl(chain->fd[k], NS_GET_PID_IN_PIDNS, pid);
		int init = ns_ioctl(chain->fd[k], NS_GET_PID_FROM_PIDNS, 1);

		if (in < 0)
			return log_debug_ret(in, "pid %d: NS_GET_PID_IN_PIDNS at level %u: %s", pid,
					     k, g_strerror(-in));
		if (init < 0)
			return log_debug_ret(init, "pid %d: init of level %u: %s", pid, k,
					     g_strerror(-init));
		m->lv[k].pid = in;
		m->lv[k].init = init;
	}
	return 0;
}

static int reverse_ioctl(const struct ns_ref *ns, pid_t nspid, pid_t *host)
{
	int r = ns_ioctl(ns->fd, NS_GET_PID_FROM_PIDNS, nspid);

	if (r < 0)
		return log_debug_ret(r, "pid %d of namespace %" G_GUINT64_FORMAT ": %s", nspid,
				     ns->ino, g_strerror(-r));
	*host = r;
	return 0;
}

const struct strategy strategy_ioctl = {
    .name = "ioctl",
    .probe = probe_ioctl,
    .translate = translate_ioctl,
    .reverse = reverse_ioctl,
};

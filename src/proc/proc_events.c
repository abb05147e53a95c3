/*
 * A NETLINK_CONNECTOR socket in the CN_IDX_PROC group. Only the thread-group ID of each event
 * is kept: whatever changed, the model reads that process again, so events need no order.
 */
#include "proc_events.h"

#include <errno.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "util.h"

/* How long the kernel may take to acknowledge the subscription (it does so within send()). */
#define ACK_WAIT_MS 200

struct proc_events {
	int fd;
	bool ignored;
};

static int send_op(int fd, enum proc_cn_mcast_op op, uint32_t ack)
{
	char buf[NLMSG_SPACE(sizeof(struct cn_msg) + sizeof(op))] __attribute__((aligned(8)));
	struct nlmsghdr *nl = (struct nlmsghdr *)buf;
	struct cn_msg *cn = NLMSG_DATA(nl);

	memset(buf, 0, sizeof(buf));
	nl->nlmsg_len = NLMSG_LENGTH(sizeof(*cn) + sizeof(op));
	nl->nlmsg_type = NLMSG_DONE;
	cn->id.idx = CN_IDX_PROC;
	cn->id.val = CN_VAL_PROC;
	cn->ack = ack;
	cn->len = sizeof(op);
	memcpy(cn->data, &op, sizeof(op));
	return send(fd, buf, nl->nlmsg_len, 0) < 0 ? -errno : 0;
}

/*
 * The event in one datagram, copied out (in the datagram it follows the 20-byte connector
 * header, short of its 8-byte alignment); false if it is not a whole proc connector message.
 */
static bool event_of(const void *buf, ssize_t n, struct proc_event *ev, uint32_t *ack)
{
	const struct nlmsghdr *nl = buf;
	const struct cn_msg *cn;

	if (n < (ssize_t)(NLMSG_HDRLEN + sizeof(struct cn_msg) + sizeof(struct proc_event)) ||
	    !NLMSG_OK(nl, (size_t)n) || nl->nlmsg_type != NLMSG_DONE)
		return false;
	cn = NLMSG_DATA(nl);
	if (cn->id.idx != CN_IDX_PROC || cn->len < sizeof(struct proc_event))
		return false;
	memcpy(ev, cn->data, sizeof(*ev));
	*ack = cn->ack;
	return true;
}

/*
 * The kernel acknowledges to the whole group, so other listeners' acknowledgements pass by
 * too: ours answers our ack number plus one.
 */
static int wait_ack(int fd, uint32_t ack)
{
	gint64 until = g_get_monotonic_time() + ACK_WAIT_MS * 1000;
	char buf[256] __attribute__((aligned(8)));

	for (gint64 left; (left = until - g_get_monotonic_time()) > 0;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		struct proc_event ev;
		uint32_t got;
		ssize_t n;

		if (poll(&p, 1, (int)(left / 1000) + 1) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (event_of(buf, n, &ev, &got) && ev.what == PROC_EVENT_NONE && got == ack + 1)
			return -(int)ev.event_data.ack.err;
	}
	return -EPERM;
}

static void set_buffer(int fd, unsigned kib)
{
	int bytes = (int)MIN(kib, (unsigned)(G_MAXINT / 2048)) * 1024;

	/* FORCE passes net.core.rmem_max, which is far smaller than a busy host's bursts. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) < 0)
		g_info("process events: cannot size the buffer: %s", g_strerror(errno));
}

int proc_events_open(unsigned buffer_kib, struct proc_events **out)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC};
	uint32_t ack = g_random_int() & 0x7fffffff;
	autofd fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
	int r;

	if (fd < 0)
		return -errno;
	set_buffer(fd, buffer_kib);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	r = send_op(fd, PROC_CN_MCAST_LISTEN, ack);
	if (r == 0)
		r = wait_ack(fd, ack);
	if (r < 0)
		return r;
	*out = g_new0(struct proc_events, 1);
	(*out)->fd = g_steal_fd(&fd);
	return 0;
}

int proc_events_fd(const struct proc_events *e)
{
	return e->fd;
}

void proc_events_ignore(struct proc_events *e)
{
	if (!e->ignored)
		send_op(e->fd, PROC_CN_MCAST_IGNORE, 0);
	e->ignored = true;
}

void proc_events_close(struct proc_events *e)
{
	if (!e)
		return;
	proc_events_ignore(e);
	close(e->fd);
	g_free(e);
}

static void note(const struct proc_event *ev, GArray *tgids)
{
	pid_t tgid;

	switch (ev->what) {
	case PROC_EVENT_FORK:
		/* A new process, or a new thread of child_tgid: its thread count changed. */
		tgid = ev->event_data.fork.child_tgid;
		break;
	case PROC_EVENT_EXEC:
		tgid = ev->event_data.exec.process_tgid;
		break;
	case PROC_EVENT_COMM:
		tgid = ev->event_data.comm.process_tgid;
		break;
	case PROC_EVENT_EXIT:
		tgid = ev->event_data.exit.process_tgid;
		break;
	default:
		return;
	}
	g_array_append_val(tgids, tgid);
}

int proc_events_drain(struct proc_events *e, GArray *tgids)
{
	char buf[4096] __attribute__((aligned(8)));
	int lost = 0;

	for (;;) {
		ssize_t n = recv(e->fd, buf, sizeof(buf), MSG_DONTWAIT);
		struct proc_event ev;
		uint32_t ack;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			lost = 1;
			continue;
		}
		if (n < 0)
			break;
		if (event_of(buf, n, &ev, &ack))
			note(&ev, tgids);
	}
	return lost;
}

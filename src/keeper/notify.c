#include "notify.h"

#include <errno.h>
#include <glib.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util.h"

#define MAX_FDS 4

bool notify_available(void)
{
	const char *s = g_getenv("NOTIFY_SOCKET");

	return s && (s[0] == '/' || s[0] == '@');
}

/* The socket's address: a path, or (a leading @) a name in the abstract namespace. */
static socklen_t notify_address(struct sockaddr_un *sa)
{
	const char *s = g_getenv("NOTIFY_SOCKET");
	size_t len = strlen(s);

	if (len >= sizeof(sa->sun_path))
		return 0;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, s, len);
	if (s[0] == '@')
		sa->sun_path[0] = '\0';
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (s[0] == '/'));
}

int notify_send(const char *state, const int *fds, unsigned n_fds)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
	} control = {0};
	struct iovec iov = {.iov_base = (void *)state, .iov_len = strlen(state)};
	struct sockaddr_un sa;
	struct msghdr msg = {.msg_name = &sa, .msg_iov = &iov, .msg_iovlen = 1};
	autofd sock = -1;

	if (!notify_available())
		return 0;
	if (n_fds > MAX_FDS)
		return -EINVAL;
	msg.msg_namelen = notify_address(&sa);
	if (msg.msg_namelen == 0)
		return -ENAMETOOLONG;
	if (n_fds) {
		struct cmsghdr *c;

		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
	}
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

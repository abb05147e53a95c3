/*
 * systemd's service notification protocol ($NOTIFY_SOCKET, sd_notify(3)), spoken directly:
 * a datagram of NAME=value lines, with descriptors for the fd store (FDSTORE=1). A daemon
 * not started by systemd (no NOTIFY_SOCKET) sends nothing.
 */
#pragma once

#include <stdbool.h>

bool notify_available(void);
/* Send state, with n_fds descriptors (0 for none); -errno, or 0 if nobody listens. */
int notify_send(const char *state, const int *fds, unsigned n_fds);

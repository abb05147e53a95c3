/*
 * What a creds helper shows of the host once its child is a member of a reader's PID
 * namespace: empty mount, network, IPC, UTS and cgroup namespaces made once at start-up, no
 * descriptor but its socket, a name and command line of its own, no core dumps or ptrace by
 * the unprivileged, one capability, and a seccomp filter that leaves it nothing but its
 * exchange with the daemon.
 */
#pragma once

#include <stdbool.h>

/* The comm and command line every helper shows. */
#define HELPER_SANDBOX_NAME "nspidfs-creds"

/*
 * Make the empty namespaces, once, before any helper is forked, and check that a helper can
 * join them (setns(2) of a mount namespace needs CAP_SYS_CHROOT as well as CAP_SYS_ADMIN).
 * 0, or a negative errno after a message saying what failed: the creds strategy is then not
 * usable, since its helpers would show the host.
 */
int helper_sandbox_init(void);
/* Whether helper_sandbox_init() succeeded (and so, where the filter exists, what it holds). */
bool helper_sandbox_ready(void);
/*
 * Async-signal-safe, in a freshly forked helper: join the empty namespaces, then make pidns_fd
 * the PID namespace of the children it forks, close every descriptor but sock (stdio
 * included), and seal the process. Afterwards it may only clone(2) its member with
 * CLONE_PARENT | SIGCHLD, sendmsg(2), recvmsg(2), sleep and exit: anything else fails with
 * EPERM. 0, or a negative errno.
 */
int helper_sandbox_enter(int pidns_fd, int sock);
/*
 * Async-signal-safe, first thing in the member the helper forked: forbid it clone(2) too, so
 * that a member taken over with ptrace(2) cannot fork. 0, or a negative errno.
 */
int helper_sandbox_member(void);
/*
 * Async-signal-safe, in the process that clones the helpers (helper_spawner.c): close every
 * descriptor but keep, the standard ones and the empty namespaces', which its helpers join.
 */
void helper_sandbox_close_for_spawner(int keep);

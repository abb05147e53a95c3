/*
 * A server taking over a FUSE connection that is mounted and initialised already, through
 * libfuse 3.14's custom I/O (fuse_session_custom_io()): no mount of its own, and so no
 * unmount either (the keeper, keeper.h, owns the mount).
 *
 * - INIT: the kernel sends FUSE_INIT once per connection, and libfuse answers everything
 *   else with EIO until it saw one. The session's first read is the saved INIT request; its
 *   reply is written to the kernel, which takes it if no server answered it yet (the first
 *   server) and refuses it with ENOENT otherwise, which is fine.
 * - RESEND (Linux 6.9+): requests a dead server read but never answered come back, with
 *   FUSE_UNIQUE_RESEND set in their unique, which libfuse 3.14 copies into the reply as it is.
 *   The keeper asks for them (a server dies, or it adopts a connection whose servers died),
 *   not a new server: another server may be serving already, whose requests would come twice.
 * - File handles: an open file's fh was made by the server that answered its OPEN, and means
 *   nothing (or, worse, another file) to the next one. Each server tags the fh it hands out
 *   with its generation in the top 16 bits; a READ or READDIR with another generation's fh
 *   is served by opening the file anew for the same reader (a request made up here, never
 *   sent to the kernel) and keeping that handle for the rest of the file's reads.
 */
#pragma once

#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Not in Debian 12's <linux/fuse.h> (7.38); from Linux 6.9's (7.40). */
#define NSPIDFS_FUSE_HAS_RESEND	   (UINT64_C(1) << 39)
#define NSPIDFS_FUSE_NOTIFY_RESEND 7
#define NSPIDFS_FUSE_UNIQUE_RESEND (UINT64_C(1) << 63)

/* Whether a saved FUSE_INIT request is one, and its kernel offers FUSE_NOTIFY_RESEND. */
bool adopt_init_valid(const void *init, size_t len);
bool adopt_init_has_resend(const void *init, size_t len);
/* NSPIDFS_TEST_NO_RESEND=1: act as on a kernel without it (tests of the fallback). */
bool adopt_resend_disabled_for_test(void);

/*
 * Give the session its I/O: fuse_fd (the session closes it when destroyed) and the INIT
 * saved in init_fd. generation 0: pick one at random.
 */
int adopt_attach(struct fuse_session *se, int fuse_fd, int init_fd, unsigned generation);
/* Feed the saved INIT through the session; 0 once the session is initialised. */
int adopt_replay_init(struct fuse_session *se);
/* Ask the kernel to resend what was read and not answered, on a descriptor of a connection. */
int adopt_notify_resend(int fuse_fd);
/* Around an OPEN or OPENDIR handler, on its thread: its reply carries an fh to tag. */
void adopt_replying_open(bool on);
/* After the session is gone. */
void adopt_detach(void);

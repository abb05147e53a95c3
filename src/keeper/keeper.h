/*
 * The process started (by a user, systemd, a container runtime): it mounts, keeps the
 * /dev/fuse connection and its FUSE_INIT request, and runs the server as its child, handing
 * both over (handover.h). When a server dies (a crash, kill -9, the OOM killer), the next one
 * adopts the same connection (adopt.h): no mount changes, so every bind of it, in any mount
 * namespace, keeps working, and the kernel resends what the dead server left unanswered.
 *
 * It stays small on purpose, since its death is the one readers see: one thread, no /proc
 * scanning, no allocation while serving; it sleeps in poll() on a signalfd and the server's
 * ready pipe. Where the kernel cannot resend, a server's death must not leave readers
 * waiting forever on requests nobody will answer: the keeper then lets the server hold the
 * only descriptor (a crash aborts the connection, as without a keeper) and mounts anew.
 */
#pragma once

#include "handover.h"
#include "options.h"

/*
 * Returns the process exit status. h: a connection handed over by systemd's fd store
 * (names "fuse" and "init"), adopted instead of mounting; NULL to mount.
 */
int keeper_run(const struct nspidfs_options *o, char **argv, const struct handover *h);

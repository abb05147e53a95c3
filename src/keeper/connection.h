/*
 * The FUSE connection a keeper holds across its servers: mounted here (its FUSE_INIT read
 * once and kept in a sealed memfd), or adopted from systemd's fd store; stored there under
 * systemd; closed with its mount at the end.
 */
#pragma once

#include <fuse_lowlevel.h>
#include <stdbool.h>

#include "handover.h"
#include "options.h"

struct connection {
	const struct nspidfs_options *o;
	char *mountpoint;	 /* absolute: libfuse chdir()s to / and unmounts by it */
	struct fuse_session *se; /* its descriptor is the connection, while held */
	int init_fd;		 /* sealed memfd: the FUSE_INIT request */
	int state_fd;		 /* memfd: the last server's generation, for a keeper after us */
	bool resend;		 /* the kernel resends what a dead server left unanswered */
	bool adopted;		 /* handed over by systemd's fd store, not mounted here */
};

enum conn_state { CONN_ALIVE, CONN_UNMOUNTED, CONN_DEAD };

/* Mount at c->mountpoint and read FUSE_INIT; false, explained on stderr, if not. */
bool connection_open(struct connection *c);
/* Take a connection from the fd store; *generation: the last one its servers used. */
bool connection_adopt(struct connection *c, const struct handover *h, unsigned *generation);
/* Under systemd: into the unit's fd store, so that a keeper's crash does not end it. */
void connection_store(struct connection *c);
enum conn_state connection_state(const struct connection *c);
/* Without resend: the server holds the only descriptor, so that its crash ends it. */
void connection_let_go(struct connection *c);
/* Close it and remove its mount (a live one as libfuse would, a dead one detached). */
void connection_close(struct connection *c);
int connection_fd(const struct connection *c);
/* FUSE_NOTIFY_RESEND: what a dead server read comes back for the next one. */
int connection_resend(const struct connection *c);
/* For a keeper that adopts the connection later (connection_adopt). */
void connection_note_generation(const struct connection *c, unsigned generation);

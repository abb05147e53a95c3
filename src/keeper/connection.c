#include "connection.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "adopt.h"
#include "fuse_args.h"
#include "log.h"
#include "mountpoint.h"
#include "notify.h"
#include "util.h"

/* Room for a FUSE_INIT read: the kernel refuses buffers smaller than a request can be. */
#define INIT_READ_BUFFER ((256 + 1) * 4096)

int connection_fd(const struct connection *c)
{
	return c->se ? fuse_session_fd(c->se) : -1;
}

static int save_init(const void *init, size_t len)
{
	int fd = memfd_create("nspidfs-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -errno;
	if (write(fd, init, len) != (ssize_t)len ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		int e = errno ? errno : EIO;

		close(fd);
		return -e;
	}
	return fd;
}

/*
 * The kernel queues FUSE_INIT when the mount is made, and never sends it again: read it
 * now, once, so that every server (the first included) starts the same way, from a copy.
 */
static int read_init(struct connection *c)
{
	g_autofree char *buf = g_malloc(INIT_READ_BUFFER);
	int fd = connection_fd(c);
	ssize_t n;

	do
		n = read(fd, buf, INIT_READ_BUFFER);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (!adopt_init_valid(buf, (size_t)n))
		return -EPROTO;
	c->resend = adopt_init_has_resend(buf, (size_t)n) && !adopt_resend_disabled_for_test();
	c->init_fd = save_init(buf, (size_t)n);
	return c->init_fd < 0 ? c->init_fd : 0;
}

/*
 * A session that only holds the connection (the keeper answers no request): mounted at
 * where, or, for "/dev/fd/N", given that descriptor.
 */
static bool session_mount(struct connection *c, const char *where)
{
	static const struct fuse_lowlevel_ops no_ops;
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);

	fuse_args_for(c->o, &args);
	c->se = fuse_session_new(&args, &no_ops, sizeof(no_ops), NULL);
	fuse_opt_free_args(&args);
	if (c->se && fuse_session_mount(c->se, where) == 0)
		return true;
	g_clear_pointer(&c->se, fuse_session_destroy);
	return false;
}

bool connection_open(struct connection *c)
{
	g_autofree char *said = NULL;
	bool mounted;
	int r;

	/* libfuse says why a mount failed, apart: one line with ours. */
	log_fuse_capture_begin();
	mounted = session_mount(c, c->mountpoint);
	said = log_fuse_capture_end();
	if (!mounted) {
		g_printerr("nspidfs: cannot mount at %s: %s\n", c->o->mountpoint,
			   said ? said : "libfuse gave no reason");
		return false;
	}
	if (said)
		g_warning("mounting %s: %s", c->o->mountpoint, said);
	r = read_init(c);
	if (r < 0) {
		g_printerr("nspidfs: cannot read FUSE_INIT from the new mount: %s\n",
			   g_strerror(-r));
		return false;
	}
	return true;
}

enum conn_state connection_state(const struct connection *c)
{
	struct pollfd p = {.fd = connection_fd(c)};
	struct statvfs vfs;

	if (c->resend && c->se && poll(&p, 1, 0) == 0)
		return CONN_ALIVE;
	/* Dead: a mount still there answers ENOTCONN at once (it asks no server). */
	if (statvfs(c->mountpoint, &vfs) < 0 && errno == ENOTCONN)
		return CONN_DEAD;
	return CONN_UNMOUNTED;
}

/*
 * Under systemd, the connection goes into the unit's fd store: if the keeper itself dies
 * (kill -9, the OOM killer), the connection lives on there, and the unit's next start is
 * handed it (connection_adopt) instead of mounting anew. What a mount replaced goes first.
 */
void connection_store(struct connection *c)
{
	int fuse_fd = connection_fd(c), r;

	/* Without resend, a server's crash must end its connection, which a store would keep. */
	if (!notify_available() || !c->resend)
		return;
	notify_send("FDSTOREREMOVE=1\nFDNAME=fuse", NULL, 0);
	notify_send("FDSTOREREMOVE=1\nFDNAME=init", NULL, 0);
	r = notify_send("FDSTORE=1\nFDNAME=fuse", &fuse_fd, 1);
	if (r == 0)
		r = notify_send("FDSTORE=1\nFDNAME=init", &c->init_fd, 1);
	if (r == 0 && c->state_fd < 0) {
		c->state_fd = memfd_create("nspidfs-state", MFD_CLOEXEC);
		r = c->state_fd < 0 ? -errno
				    : notify_send("FDSTORE=1\nFDNAME=state", &c->state_fd, 1);
	}
	if (r < 0)
		g_warning("cannot store the FUSE connection with systemd: %s; a crash of the "
			  "keeper will need a new mount",
			  g_strerror(-r));
}

/*
 * A connection from systemd's fd store, mounted by an earlier keeper: libfuse takes a
 * descriptor as /dev/fd/N, and then never unmounts it (connection_close does).
 */
bool connection_adopt(struct connection *c, const struct handover *h, unsigned *generation)
{
	g_autofree char *dev = g_strdup_printf("/dev/fd/%d", h->fd[HANDOVER_FUSE]);
	guint8 init[4096];
	ssize_t n = pread(h->fd[HANDOVER_INIT], init, sizeof(init), 0);

	c->init_fd = h->fd[HANDOVER_INIT];
	nspidfs_close_fd(h->fd[HANDOVER_READY]);
	if (n <= 0 || !adopt_init_valid(init, (size_t)n)) {
		g_printerr("nspidfs: the handed FUSE_INIT request is unusable\n");
		nspidfs_close_fd(h->fd[HANDOVER_FUSE]);
		return false;
	}
	c->resend = adopt_init_has_resend(init, (size_t)n) && !adopt_resend_disabled_for_test();
	if (!session_mount(c, dev)) {
		g_printerr("nspidfs: cannot take the handed FUSE connection\n");
		nspidfs_close_fd(h->fd[HANDOVER_FUSE]);
		return false;
	}
	c->adopted = true;
	/*
	 * Servers tag file handles with their generation: a new one must not reuse a number
	 * that an earlier keeper's server gave out, or it would take their handles for its own.
	 */
	c->state_fd = h->state;
	if (c->state_fd < 0 ||
	    pread(c->state_fd, generation, sizeof(*generation), 0) != sizeof(*generation))
		*generation = (unsigned)g_random_int_range(1, 0x10000);
	g_message("took over the FUSE connection of %s from the service manager's fd store",
		  c->o->mountpoint);
	return true;
}

/* An adopted connection's mount, if it is one of ours, goes as libfuse's own would. */
static void unmount_adopted(const struct connection *c)
{
	if (mountpoint_is_nspidfs(c->mountpoint) &&
	    umount2(c->mountpoint, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
		g_warning("cannot unmount %s: %s", c->mountpoint, g_strerror(errno));
}

/*
 * Close the keeper's descriptor and remove the mount: libfuse unmounts only a live
 * connection (not after fusermount3 -u, which would make it detach what lies below); a dead
 * one (an abort, a server that held the only descriptor) is detached here.
 */
void connection_close(struct connection *c)
{
	if (c->se && c->adopted && connection_state(c) == CONN_ALIVE)
		unmount_adopted(c);
	if (c->se) {
		fuse_session_unmount(c->se);
		g_clear_pointer(&c->se, fuse_session_destroy);
	}
	c->adopted = false;
	nspidfs_close_fd(c->init_fd);
	c->init_fd = -1;
	mountpoint_detach_stale(c->mountpoint);
}

/*
 * Without resend the server must hold the only descriptor. The session's descriptor number
 * gets a /dev/fuse never mounted, which polls as an error: libfuse then takes the
 * connection for gone and unmounts nothing itself.
 */
void connection_let_go(struct connection *c)
{
	int idle = open("/dev/fuse", O_RDWR | O_CLOEXEC);

	if (idle < 0 || dup3(idle, connection_fd(c), O_CLOEXEC) < 0)
		g_warning("cannot let go of the FUSE connection: %s", g_strerror(errno));
	nspidfs_close_fd(idle);
}

int connection_resend(const struct connection *c)
{
	return adopt_notify_resend(connection_fd(c));
}

void connection_note_generation(const struct connection *c, unsigned generation)
{
	if (c->state_fd >= 0 &&
	    pwrite(c->state_fd, &generation, sizeof(generation), 0) != sizeof(generation))
		g_warning("cannot note server %u's generation: %s", generation, g_strerror(errno));
}

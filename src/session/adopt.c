#include "adopt.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <linux/fuse.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/* The generation tag's place in an fh: user-space pointers and handle ids stay below it. */
#define TAG_SHIFT 48
#define FH_MASK	  ((UINT64_C(1) << TAG_SHIFT) - 1)
/* Requests made up here: kernel uniques count up by 2 from 0 and never get near this bit. */
#define SYNTH_BIT      (UINT64_C(1) << 62)
#define FOREIGN_FAILED UINT64_MAX
/* A made-up open runs on a worker like any OPEN: a strategy's helper may take a second. */
#define REOPEN_WAIT_US (5 * G_USEC_PER_SEC)
#define MAX_INIT_LEN   4096

enum init_state { INIT_PENDING, INIT_TAKEN, INIT_ANSWERED_BEFORE, INIT_FAILED };

static struct {
	int fd;
	guint8 *init;
	size_t init_len;
	uint64_t init_unique;
	bool init_fed;
	enum init_state init_state;
	int init_errno;
	uint64_t tag;
	GMutex lock;
	GCond reopened;
	GHashTable *foreign; /* another server's fh -> this one's, or FOREIGN_FAILED */
	/* The reading thread's request that waits for the made-up open of its file. */
	guint8 *held;
	size_t held_len;
	uint64_t held_fh;
	uint64_t synth_unique, synth_count;
	bool tag_overflow_logged;
} st = {.fd = -1};

static __thread bool replying_open;

static bool parse_init(const void *init, size_t len, struct fuse_in_header *h,
		       struct fuse_init_in *in)
{
	if (len < sizeof(*h) || len > MAX_INIT_LEN)
		return false;
	memcpy(h, init, sizeof(*h));
	if (h->opcode != FUSE_INIT || h->len != len)
		return false;
	/* Older kernels send a shorter fuse_init_in: what they leave out is zero. */
	memset(in, 0, sizeof(*in));
	memcpy(in, (const guint8 *)init + sizeof(*h), MIN(len - sizeof(*h), sizeof(*in)));
	return len - sizeof(*h) >= offsetof(struct fuse_init_in, flags) + sizeof(in->flags);
}

bool adopt_init_valid(const void *init, size_t len)
{
	struct fuse_in_header h;
	struct fuse_init_in in;

	return parse_init(init, len, &h, &in);
}

bool adopt_init_has_resend(const void *init, size_t len)
{
	struct fuse_in_header h;
	struct fuse_init_in in;
	uint64_t flags;

	if (!parse_init(init, len, &h, &in))
		return false;
	flags = in.flags;
	if (flags & FUSE_INIT_EXT)
		flags |= (uint64_t)in.flags2 << 32;
	return (flags & NSPIDFS_FUSE_HAS_RESEND) != 0;
}

bool adopt_resend_disabled_for_test(void)
{
	const char *s = g_getenv("NSPIDFS_TEST_NO_RESEND");

	return s && *s && strcmp(s, "0") != 0;
}

static size_t iov_total(const struct iovec *iov, int count)
{
	size_t n = 0;

	for (int i = 0; i < count; i++)
		n += iov[i].iov_len;
	return n;
}

static void iov_gather(const struct iovec *iov, int count, guint8 *out)
{
	for (int i = 0; i < count; i++) {
		memcpy(out, iov[i].iov_base, iov[i].iov_len);
		out += iov[i].iov_len;
	}
}

/* Answer a request here, without libfuse (it never saw it). */
static void answer(uint64_t unique, int error)
{
	struct fuse_out_header out = {.len = sizeof(out), .error = error, .unique = unique};

	if (write(st.fd, &out, sizeof(out)) < 0 && errno != ENOENT)
		g_warning("answering request %#llx: %s", (unsigned long long)unique,
			  g_strerror(errno));
}

static void foreign_set(uint64_t theirs, uint64_t ours)
{
	g_hash_table_insert(st.foreign, g_memdup2(&theirs, sizeof(theirs)),
			    g_memdup2(&ours, sizeof(ours)));
}

/* Replace the request with an OPEN (or OPENDIR) of its inode for the same reader. */
static ssize_t make_open(guint8 *buf, size_t n, const struct fuse_in_header *in, uint64_t fh)
{
	struct {
		struct fuse_in_header h;
		struct fuse_open_in o;
	} req = {
	    .h =
		{
		    .len = sizeof(req),
		    .opcode = in->opcode == FUSE_READ ? FUSE_OPEN : FUSE_OPENDIR,
		    .nodeid = in->nodeid,
		    .uid = in->uid,
		    .gid = in->gid,
		    .pid = in->pid,
		},
	    .o = {.flags = O_RDONLY},
	};

	st.held = g_memdup2(buf, n);
	st.held_len = n;
	st.held_fh = fh;
	g_mutex_lock(&st.lock);
	st.synth_unique = req.h.unique = SYNTH_BIT | (++st.synth_count << 1);
	g_mutex_unlock(&st.lock);
	g_debug("inode %#llx read through a handle of an earlier server: opening it again",
		(unsigned long long)in->nodeid);
	memcpy(buf, &req, sizeof(req));
	return sizeof(req);
}

/*
 * Make the fh of a request one of this server's. Returns the request's length, or 0 if it
 * was answered here.
 */
static ssize_t translate(guint8 *buf, size_t n)
{
	enum { REOPEN, RELEASE, ATTR } kind;
	struct fuse_in_header in;
	struct fuse_getattr_in ga;
	size_t at = sizeof(in);
	uint64_t fh, ours = FOREIGN_FAILED;
	gpointer value = NULL;
	bool found;

	if (n < sizeof(in))
		return (ssize_t)n;
	memcpy(&in, buf, sizeof(in));
	switch (in.opcode) {
	case FUSE_READ:
	case FUSE_READDIR:
	case FUSE_READDIRPLUS:
		kind = REOPEN;
		break;
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR:
		kind = RELEASE;
		break;
	case FUSE_GETATTR:
		if (n < sizeof(in) + sizeof(ga))
			return (ssize_t)n;
		memcpy(&ga, buf + sizeof(in), sizeof(ga));
		if (!(ga.getattr_flags & FUSE_GETATTR_FH))
			return (ssize_t)n;
		at += offsetof(struct fuse_getattr_in, fh);
		kind = ATTR;
		break;
	default:
		return (ssize_t)n;
	}
	if (n < at + sizeof(fh))
		return (ssize_t)n;
	memcpy(&fh, buf + at, sizeof(fh));
	if (fh >> TAG_SHIFT == st.tag) {
		fh &= FH_MASK;
		memcpy(buf + at, &fh, sizeof(fh));
		return (ssize_t)n;
	}
	g_mutex_lock(&st.lock);
	found = g_hash_table_lookup_extended(st.foreign, &fh, NULL, &value);
	if (found)
		ours = *(uint64_t *)value;
	if (found && kind == RELEASE)
		g_hash_table_remove(st.foreign, &fh);
	g_mutex_unlock(&st.lock);
	if (ours != FOREIGN_FAILED) {
		memcpy(buf + at, &ours, sizeof(ours));
		return (ssize_t)n;
	}
	switch (kind) {
	case RELEASE: /* nothing of it lives here */
		answer(in.unique, 0);
		return 0;
	case ATTR: /* the inode alone answers a GETATTR */
		ga.getattr_flags &= ~(uint32_t)FUSE_GETATTR_FH;
		memcpy(buf + sizeof(in), &ga, sizeof(ga));
		return (ssize_t)n;
	default:
		if (!found)
			return make_open(buf, n, &in, fh);
		/* Opening it again failed: the process it described is gone. */
		answer(in.unique, -EIO);
		return 0;
	}
}

/* The held request, once its made-up open was answered (or given up on). */
static ssize_t take_held(guint8 *buf, size_t cap)
{
	gint64 deadline = g_get_monotonic_time() + REOPEN_WAIT_US;
	size_t n = MIN(st.held_len, cap);

	g_mutex_lock(&st.lock);
	while (!g_hash_table_contains(st.foreign, &st.held_fh)) {
		if (!g_cond_wait_until(&st.reopened, &st.lock, deadline)) {
			g_warning(
			    "opening a file again for a READ took over %d s: failing the READ",
			    (int)(REOPEN_WAIT_US / G_USEC_PER_SEC));
			st.synth_unique = 0;
			foreign_set(st.held_fh, FOREIGN_FAILED);
		}
	}
	g_mutex_unlock(&st.lock);
	memcpy(buf, st.held, n);
	g_clear_pointer(&st.held, g_free);
	return (ssize_t)n;
}

static ssize_t io_read(int fd, void *buf, size_t len, void *userdata)
{
	ssize_t n;

	if (!st.init_fed) {
		if (len < st.init_len) {
			errno = EINVAL;
			return -1;
		}
		memcpy(buf, st.init, st.init_len);
		st.init_fed = true;
		return (ssize_t)st.init_len;
	}
	for (;;) {
		n = st.held ? take_held(buf, len) : read(fd, buf, len);
		if (n <= 0)
			return n;
		n = translate(buf, (size_t)n);
		if (n > 0)
			return n;
	}
}

static ssize_t init_reply(int fd, const struct iovec *iov, int count,
			  const struct fuse_out_header *out)
{
	ssize_t r;

	/* An error would leave the connection refusing every request: never send one. */
	if (out->error != 0) {
		st.init_state = INIT_FAILED;
		st.init_errno = -out->error;
		return (ssize_t)iov_total(iov, count);
	}
	r = writev(fd, iov, count);
	if (r >= 0) {
		st.init_state = INIT_TAKEN;
	} else if (errno == ENOENT) {
		st.init_state = INIT_ANSWERED_BEFORE;
		r = (ssize_t)iov_total(iov, count);
	} else {
		st.init_state = INIT_FAILED;
		st.init_errno = errno;
	}
	return r;
}

/* The answer to a made-up open: kept here, never sent. */
static ssize_t synth_reply(const struct iovec *iov, int count, const struct fuse_out_header *out)
{
	guint8 msg[sizeof(struct fuse_out_header) + sizeof(struct fuse_open_out)];
	size_t total = iov_total(iov, count);
	struct fuse_open_out o;
	uint64_t ours = FOREIGN_FAILED;

	if (out->error == 0 && total == sizeof(msg)) {
		iov_gather(iov, count, msg);
		memcpy(&o, msg + sizeof(*out), sizeof(o));
		ours = o.fh;
	}
	g_mutex_lock(&st.lock);
	if (out->unique == st.synth_unique) {
		foreign_set(st.held_fh, ours);
		st.synth_unique = 0;
		g_cond_broadcast(&st.reopened);
	}
	g_mutex_unlock(&st.lock);
	return (ssize_t)total;
}

static ssize_t tagged_open_reply(int fd, const struct iovec *iov, int count)
{
	guint8 msg[sizeof(struct fuse_out_header) + sizeof(struct fuse_open_out)];
	struct fuse_open_out o;

	if (iov_total(iov, count) != sizeof(msg))
		return writev(fd, iov, count);
	iov_gather(iov, count, msg);
	memcpy(&o, msg + sizeof(struct fuse_out_header), sizeof(o));
	if (o.fh >> TAG_SHIFT) {
		if (!st.tag_overflow_logged)
			g_warning("file handle %#llx leaves no room for a generation: an open "
				  "file may not survive a restart",
				  (unsigned long long)o.fh);
		st.tag_overflow_logged = true;
		return writev(fd, iov, count);
	}
	o.fh |= st.tag << TAG_SHIFT;
	memcpy(msg + sizeof(struct fuse_out_header), &o, sizeof(o));
	return write(fd, msg, sizeof(msg));
}

static ssize_t io_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	struct fuse_out_header out;

	if (count < 1 || iov[0].iov_len < sizeof(out))
		return writev(fd, iov, count);
	memcpy(&out, iov[0].iov_base, sizeof(out));
	if (out.unique & SYNTH_BIT)
		return synth_reply(iov, count, &out);
	if (out.unique != 0 && out.unique == st.init_unique && st.init_state == INIT_PENDING)
		return init_reply(fd, iov, count, &out);
	if (replying_open && out.unique != 0 && out.error == 0)
		return tagged_open_reply(fd, iov, count);
	return writev(fd, iov, count);
}

static int load_init(int init_fd)
{
	struct fuse_in_header h;
	struct stat sb;
	ssize_t n;

	if (fstat(init_fd, &sb) < 0)
		return -errno;
	if (sb.st_size <= 0 || sb.st_size > MAX_INIT_LEN)
		return -EINVAL;
	st.init_len = (size_t)sb.st_size;
	st.init = g_malloc(st.init_len);
	n = pread(init_fd, st.init, st.init_len, 0);
	if (n < 0)
		return -errno;
	if ((size_t)n != st.init_len || !adopt_init_valid(st.init, st.init_len))
		return -EINVAL;
	memcpy(&h, st.init, sizeof(h));
	st.init_unique = h.unique;
	return 0;
}

int adopt_attach(struct fuse_session *se, int fuse_fd, int init_fd, unsigned generation)
{
	static const struct fuse_custom_io io = {.read = io_read, .writev = io_writev};
	int r = load_init(init_fd);

	close(init_fd);
	if (r < 0) {
		g_warning("the saved FUSE_INIT request is unusable: %s", g_strerror(-r));
		close(fuse_fd);
		return r;
	}
	st.fd = fuse_fd;
	st.init_fed = false;
	st.init_state = INIT_PENDING;
	/* 1..65535: a tag of 0 would let an untagged fh pass for ours. */
	st.tag =
	    generation ? (generation - 1) % 0xffff + 1 : (uint64_t)g_random_int_range(1, 0x10000);
	st.foreign = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	r = fuse_session_custom_io(se, &io, fuse_fd);
	if (r < 0) {
		g_warning("fuse_session_custom_io: %s", g_strerror(-r));
		close(fuse_fd);
		st.fd = -1;
	}
	return r;
}

int adopt_replay_init(struct fuse_session *se)
{
	struct fuse_buf buf = {.mem = NULL};
	int r = fuse_session_receive_buf(se, &buf);

	if (r > 0)
		fuse_session_process_buf(se, &buf);
	free(buf.mem);
	if (r <= 0)
		return r < 0 ? r : -EIO;
	switch (st.init_state) {
	case INIT_TAKEN:
		g_debug("answered the connection's FUSE_INIT");
		return 0;
	case INIT_ANSWERED_BEFORE:
		g_debug("FUSE_INIT was answered by an earlier server");
		return 0;
	case INIT_FAILED:
		g_warning("answering the saved FUSE_INIT failed: %s", g_strerror(st.init_errno));
		return -st.init_errno;
	default:
		g_warning("libfuse did not answer the saved FUSE_INIT");
		return -EPROTO;
	}
}

int adopt_notify_resend(int fuse_fd)
{
	struct fuse_out_header h = {
	    .len = sizeof(h), .error = NSPIDFS_FUSE_NOTIFY_RESEND, .unique = 0};

	return write(fuse_fd, &h, sizeof(h)) < 0 ? -errno : 0;
}

void adopt_replying_open(bool on)
{
	replying_open = on;
}

void adopt_detach(void)
{
	g_clear_pointer(&st.init, g_free);
	g_clear_pointer(&st.held, g_free);
	g_clear_pointer(&st.foreign, g_hash_table_unref);
	st.fd = -1;
}

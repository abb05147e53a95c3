#include "daemon.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "adopt.h"
#include "dispatch.h"
#include "fuse_args.h"
#include "handover.h"
#include "keeper.h"
#include "helper.h"
#include "helper_guard.h"
#include "helper_spawner.h"
#include "snapshot.h"
#include "visibility.h"
#include "log.h"
#include "mountpoint.h"
#include "nscache.h"
#include "pidns.h"
#include "pidcache.h"
#include "util.h"

static void signal_ready(int fd)
{
	static const char msg[] = "READY=1\n";

	if (fd < 0)
		return;
	if (write(fd, msg, sizeof(msg) - 1) < 0)
		g_warning("--ready-fd %d: %s", fd, g_strerror(errno));
	close(fd);
}

static unsigned test_delay_from_env(void)
{
	const char *s = g_getenv("NSPIDFS_TEST_HELPER_DELAY_MS");
	guint64 v = 0;

	if (s && !g_ascii_string_to_unsigned(s, 10, 0, 600000, &v, NULL))
		g_warning("ignoring NSPIDFS_TEST_HELPER_DELAY_MS=%s", s);
	return (unsigned)v;
}

/* Test-only: as where only the helpers work, their refusals are answered by nothing else. */
static void test_fallback_from_env(void)
{
	if (g_strcmp0(g_getenv("NSPIDFS_TEST_NO_FALLBACK"), "1") == 0)
		strategy_forbid_fallback();
}

/*
 * Each request may hold a namespace descriptor per level, and each helper a socket: use the
 * whole hard limit (nothing here uses select(), so high descriptor numbers are fine).
 */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			g_info("cannot raise RLIMIT_NOFILE: %s", g_strerror(errno));
	}
}

/*
 * glibc gives each thread that allocates an arena of its own, and keeps what was freed in it:
 * with a model of 10,000 processes built now by one worker, now by another, the daemon held
 * 48 MiB where two arenas hold 15 (measured by the benchmark).
 */
static void limit_arenas(void)
{
	if (mallopt(M_ARENA_MAX, 2) != 1)
		g_info("mallopt(M_ARENA_MAX) refused");
}

/* What a server needs before it serves; the keeper checked the rest before mounting. */
static bool prepare(const struct nspidfs_options *o)
{
	int r;

	/* Every walk up a namespace chain ends there: known once, for the daemon's life. */
	if (pidns_own_ino() == 0) {
		g_printerr("nspidfs: cannot open /proc/self/ns/pid: %s\n", g_strerror(errno));
		return false;
	}
	test_fallback_from_env();
	strategy_use_member_index(snapshot_find_member);
	r = strategy_select(o->strategy);
	if (r < 0) {
		g_printerr("nspidfs: strategy %s cannot be used here: %s\n",
			   strategy_name(o->strategy), g_strerror(-r));
		return false;
	}
	raise_fd_limit();
	limit_arenas();
	helper_configure(o->helper_timeout_ms, o->max_helpers, test_delay_from_env());
	helper_guard_configure(o->helper_rate, o->helper_suspend_ms);
	snapshot_configure(o->snapshot_ms, o->event_buffer_kib);
	pidcache_configure(o->pid_cache);
	nscache_configure(MIN(o->pid_cache, NSCACHE_MAX_ENTRIES));
	visibility_configure(o->visibility);
	return true;
}

/* False if the connection is still there: a stop signal ended the loop. */
static bool connection_ended(struct fuse_session *se)
{
	struct pollfd p = {.fd = fuse_session_fd(se)};

	return poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

/* Serve the connection handed over, until a stop signal or the connection's end. */
static int serve(const struct nspidfs_options *o, const struct handover *h)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	const struct fuse_lowlevel_ops *ops;
	struct fuse_session *se;
	int status = 1, r;

	/* Started as /proc/self/exe, whose name would be "exe". */
	prctl(PR_SET_NAME, "nspidfs");
	if (!o->foreground)
		log_daemonized();
	if (!prepare(o)) {
		nspidfs_close_fd(h->fd[HANDOVER_FUSE]);
		nspidfs_close_fd(h->fd[HANDOVER_INIT]);
		nspidfs_close_fd(h->fd[HANDOVER_READY]);
		return 1;
	}
	fuse_args_for(o, &args);
	ops = dispatch_ops();
	se = fuse_session_new(&args, ops, sizeof(*ops), NULL);
	fuse_opt_free_args(&args);
	if (!se || adopt_attach(se, h->fd[HANDOVER_FUSE], h->fd[HANDOVER_INIT], h->generation) < 0)
		goto out_destroy;
	/*
	 * A shell starts background jobs with SIGINT ignored, and libfuse only handles signals
	 * left at their default: make the documented stop signals work however we were started.
	 */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	/* An inherited SIG_IGN would make the kernel reap helpers behind helper_reap_member(). */
	signal(SIGCHLD, SIG_DFL);
	if (fuse_set_signal_handlers(se) != 0)
		goto out_destroy;
	if (adopt_replay_init(se) < 0)
		goto out_signals;
	g_message("serving %s with strategy %s, visibility %s", o->mountpoint,
		  strategy_name(strategy_active()), visibility_name(o->visibility));
	r = dispatch_open(se);
	if (r < 0) {
		g_printerr("nspidfs: cannot wait for requests: %s\n", g_strerror(-r));
		goto out_signals;
	}
	dispatch_start(o->single_thread ? 0 : o->max_threads);
	signal_ready(h->fd[HANDOVER_READY]);
	if (!o->foreground)
		log_serving();
	/* A signal ends the loop with the signal's number: a requested, clean stop. */
	r = dispatch_loop(se, o->spin_us);
	if (r < 0)
		g_warning("serving stopped: %s", g_strerror(-r));
	status = r < 0 ? 1 : 0;
	/* Unmounted or aborted: the keeper tells which, and mounts again after an abort. */
	if (r == 0 && connection_ended(se))
		status = NSPIDFS_EXIT_CONNECTION_ENDED;
	/* Before the session closes /dev/fuse: workers reply through it. */
	dispatch_stop();
	dispatch_close();
out_signals:
	fuse_remove_signal_handlers(se);
out_destroy:
	dispatch_stop();
	if (se)
		fuse_session_destroy(se);
	/* No worker asks for a helper, or a model, any more. */
	helper_spawner_stop();
	snapshot_stop();
	adopt_detach();
	nspidfs_close_fd(h->fd[HANDOVER_READY]);
	return status;
}

/* The kernel's fixed inode number for the initial PID namespace (PROC_PID_INIT_INO). */
#define HOST_PIDNS_INO 0xEFFFFFFCU

/*
 * Started in a PID namespace below the host's (a container without the host's PIDs), it
 * would see only that namespace's processes, and the readers outside it, the host's and
 * every other container's, nothing: refused, unless that is what is meant.
 */
static bool check_pidns(const struct nspidfs_options *o)
{
	uint64_t own = pidns_own_ino();

	if (own == 0) {
		g_printerr("nspidfs: cannot open /proc/self/ns/pid: %s\n", g_strerror(errno));
		return false;
	}
	if (own == HOST_PIDNS_INO || o->allow_nested_pidns)
		return true;
	g_printerr("nspidfs: not in the host's PID namespace but in %" PRIu64 ": it would see only "
		   "the processes of that namespace and answer no reader outside it; run it with "
		   "the host's PIDs (Kubernetes: hostPID: true; docker, podman: --pid=host), or "
		   "give --allow-nested-pidns if this is meant\n",
		   own);
	return false;
}

/* Before mounting, or adopting: each failure explained on stderr. */
static bool check_start(const struct nspidfs_options *o, bool mounting)
{
	g_autoptr(GError) err = NULL;

	if (o->ready_fd >= 0 && fcntl(o->ready_fd, F_GETFD) < 0) {
		g_printerr("nspidfs: --ready-fd %d: %s\n", o->ready_fd, g_strerror(errno));
		return false;
	}
	if (!preflight_check_privileges(&err)) {
		g_printerr("nspidfs: %s\n", err->message);
		return false;
	}
	if (!check_pidns(o))
		return false;
	/* An adopted connection's mount is there, live, and no server answers it yet. */
	if (mounting && !mountpoint_prepare(o->mountpoint, &err)) {
		g_printerr("nspidfs: %s\n", err->message);
		return false;
	}
	return true;
}

int daemon_run(const struct nspidfs_options *o, char **argv)
{
	struct handover h;
	int r = handover_receive(&h);

	if (r < 0)
		return 1;
	/* A generation: handed by a keeper, to serve; none: by systemd, to keep. */
	if (r > 0 && h.generation > 0)
		return serve(o, &h);
	if (!check_start(o, r == 0))
		return 1;
	return keeper_run(o, argv, r > 0 ? &h : NULL);
}

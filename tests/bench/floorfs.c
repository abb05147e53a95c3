/*
 * The FUSE floor: the cheapest file a libfuse low-level filesystem can serve, mounted with
 * nspidfs's options (ro, allow_other, default_permissions, direct I/O) so that the difference
 * between the two is what nspidfs itself costs. Any name "fN" in its root is a file holding
 * "1234\n": a name not looked up before costs a LOOKUP, as a new process's directory does.
 */
#include "floorfs.h"

#include <errno.h>
#include <fuse_lowlevel.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char content[] = "1234\n";

static void fill(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = ino == FUSE_ROOT_ID ? S_IFDIR | 0555 : S_IFREG | 0444;
	st->st_nlink = 1;
	st->st_size = sizeof(content) - 1;
}

static void floor_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e = {.attr_timeout = 86400, .entry_timeout = 86400};
	char *end;
	unsigned long n = name[0] == 'f' ? strtoul(name + 1, &end, 10) : 0;

	if (parent != FUSE_ROOT_ID || name[0] != 'f' || *end) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	e.ino = 2 + n;
	fill(e.ino, &e.attr);
	fuse_reply_entry(req, &e);
}

static void floor_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	fill(ino, &st);
	fuse_reply_attr(req, &st, 86400);
}

static void floor_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fi->direct_io = 1;
	fuse_reply_open(req, fi);
}

static void floor_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	size_t len = sizeof(content) - 1;

	if ((size_t)off >= len)
		fuse_reply_buf(req, NULL, 0);
	else
		fuse_reply_buf(req, content + off,
			       len - (size_t)off < size ? len - (size_t)off : size);
}

static const struct fuse_lowlevel_ops floor_ops = {
    .lookup = floor_lookup,
    .getattr = floor_getattr,
    .open = floor_open,
    .read = floor_read,
};

static void __attribute__((noreturn)) serve(const char *mnt, bool single_thread, int ready)
{
	char *argv[] = {"floorfs", "-o", "ro,allow_other,default_permissions", NULL};
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	struct fuse_session *se = fuse_session_new(&args, &floor_ops, sizeof(floor_ops), NULL);
	struct fuse_loop_config *cfg = fuse_loop_cfg_create();

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (!se || fuse_set_signal_handlers(se) != 0 || fuse_session_mount(se, mnt) != 0)
		_exit(1);
	if (write(ready, "R", 1) != 1)
		_exit(1);
	close(ready);
	fuse_loop_cfg_set_max_threads(cfg, 16);
	if (single_thread)
		fuse_session_loop(se);
	else
		fuse_session_loop_mt(se, cfg);
	fuse_session_unmount(se);
	_exit(0);
}

pid_t floorfs_start(const char *mnt, bool single_thread)
{
	int p[2];
	char c;
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		serve(mnt, single_thread, p[1]);
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &c, 1) != 1) {
		close(p[0]);
		return -1;
	}
	close(p[0]);
	return pid;
}

void floorfs_stop(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

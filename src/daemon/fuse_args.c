#include "fuse_args.h"

#include "log.h"

/* Always imposed, after the user's -o, so that they win over anything given there. */
static const char forced_opts[] =
    "fsname=nspidfs,subtype=nspidfs,allow_other,ro,nosuid,nodev,noexec,default_permissions";

void fuse_args_for(const struct nspidfs_options *o, struct fuse_args *args)
{
	fuse_opt_add_arg(args, "nspidfs");
	if (o->fuse_debug)
		fuse_opt_add_arg(args, "-d");
	for (char **opt = o->fuse_opts; opt && *opt; opt++) {
		fuse_opt_add_arg(args, "-o");
		fuse_opt_add_arg(args, *opt);
	}
	fuse_opt_add_arg(args, "-o");
	fuse_opt_add_arg(args, forced_opts);
}

enum { KEY_MAX_READ };

static int note_refused(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	if (key == KEY_MAX_READ)
		*(bool *)data = true;
	return 1;
}

bool fuse_args_check(const struct nspidfs_options *o, GError **error)
{
	static const struct fuse_opt refused[] = {
	    FUSE_OPT_KEY("max_read=", KEY_MAX_READ),
	    FUSE_OPT_END,
	};
	static const struct fuse_lowlevel_ops no_ops;
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	g_autofree char *said = NULL;
	struct fuse_session *se = NULL;
	bool max_read = false;

	fuse_args_for(o, &args);
	/* libfuse checks the options when it makes a session, which mounts nothing. */
	log_fuse_capture_begin();
	if (fuse_opt_parse(&args, &max_read, refused, note_refused) == 0)
		se = fuse_session_new(&args, &no_ops, sizeof(no_ops), NULL);
	said = log_fuse_capture_end();
	fuse_opt_free_args(&args);
	if (!se) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "libfuse refuses the -o options: %s", said ? said : "no reason given");
		return false;
	}
	fuse_session_destroy(se);
	/*
	 * libfuse would mount with it, then refuse the kernel's FUSE_INIT, as nspidfs does not
	 * ask for the same limit there: every server would die before serving.
	 */
	if (max_read) {
		g_set_error(
		    error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "-o max_read is not supported: the kernel's own limit on reads is used");
		return false;
	}
	return true;
}

#include "fuse_args.h"

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

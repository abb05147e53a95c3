/* libfuse's arguments for nspidfs's options: the same for the keeper's mount and its servers. */
#pragma once

#include <fuse_lowlevel.h>

#include "options.h"

/* The user's -o, then the ones always imposed. */
void fuse_args_for(const struct nspidfs_options *o, struct fuse_args *args);
/*
 * Whether libfuse and nspidfs take the user's -o: a refusal explained in one line (libfuse's
 * own words), before anything is mounted.
 */
bool fuse_args_check(const struct nspidfs_options *o, GError **error);

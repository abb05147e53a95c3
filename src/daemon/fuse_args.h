/* libfuse's arguments for nspidfs's options: the same for the keeper's mount and its servers. */
#pragma once

#include <fuse_lowlevel.h>

#include "options.h"

/* The user's -o, then the ones always imposed. */
void fuse_args_for(const struct nspidfs_options *o, struct fuse_args *args);

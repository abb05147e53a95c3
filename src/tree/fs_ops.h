/* The FUSE low-level operations of the tree. */
#pragma once

#include <fuse_lowlevel.h>

extern const struct fuse_lowlevel_ops nspidfs_ops;

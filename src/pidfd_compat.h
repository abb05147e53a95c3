/* pidfd and pidfs constants, defined here when the installed kernel headers predate them. */
#pragma once

#include <fcntl.h>

/* Linux 6.9: a pidfd for one thread (any task ID), readable when that thread exits. */
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif
/* Linux 6.9: pidfds live on pidfs, one inode per task, numbered uniquely for the boot. */
#ifndef PIDFS_MAGIC
#define PIDFS_MAGIC 0x50494446
#endif

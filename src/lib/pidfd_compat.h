/* pidfd and pidfs constants, defined here when the installed kernel headers predate them. */
#pragma once

#include <fcntl.h>
#include <linux/types.h>
#include <sys/ioctl.h>

/* Linux 6.9: a pidfd for one thread (any task ID), readable when that thread exits. */
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif
/* Linux 6.9: pidfds live on pidfs, one inode per task, numbered uniquely for the boot. */
#ifndef PIDFS_MAGIC
#define PIDFS_MAGIC 0x50494446
#endif

/* The pidfs ioctls (linux/pidfd.h), under names of our own: newer headers define the same. */
#define NSPIDFS_PIDFS_IOCTL_MAGIC 0xFF
/* Linux 6.11: an nsfs descriptor of the task's PID namespace, without a walk of /proc. */
#define NSPIDFS_PIDFD_GET_PID_NAMESPACE _IO(NSPIDFS_PIDFS_IOCTL_MAGIC, 5)

/* Linux 6.13: facts about the task; the kernel sets in mask the ones it knows. */
struct nspidfs_pidfd_info {
	__u64 mask;
	__u64 cgroupid;
	__u32 pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
	__s32 exit_code;
	__u32 coredump_mask; /* Linux 6.16 */
	__u32 spare;
};
#define NSPIDFS_PIDFD_GET_INFO _IOWR(NSPIDFS_PIDFS_IOCTL_MAGIC, 11, struct nspidfs_pidfd_info)
#define NSPIDFS_PIDFD_INFO_PID (1ULL << 0) /* pid, tgid, ppid: always given */

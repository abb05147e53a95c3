/* nsfs ioctl numbers, defined here when the installed kernel headers predate them. */
#pragma once

#include <linux/nsfs.h>
#include <sys/ioctl.h>

#ifndef NSIO
#define NSIO 0xb7
#endif
#ifndef NS_GET_PARENT
#define NS_GET_PARENT _IO(NSIO, 0x2)
#endif
/* Linux 6.11: translate PIDs between a PID namespace and the caller's. */
#ifndef NS_GET_PID_FROM_PIDNS
#define NS_GET_PID_FROM_PIDNS _IOR(NSIO, 0x6, int)
#endif
#ifndef NS_GET_TGID_FROM_PIDNS
#define NS_GET_TGID_FROM_PIDNS _IOR(NSIO, 0x7, int)
#endif
#ifndef NS_GET_PID_IN_PIDNS
#define NS_GET_PID_IN_PIDNS _IOR(NSIO, 0x8, int)
#endif
#ifndef NS_GET_TGID_IN_PIDNS
#define NS_GET_TGID_IN_PIDNS _IOR(NSIO, 0x9, int)
#endif

/*
 * How many files and directories of the tree each container (a reader's view: its PID
 * namespace) holds open. Each open holds memory in the daemon (its content, its listing)
 * until the reader closes it, so one container could otherwise make the daemon hold as much
 * as it likes; past QUOTA_MAX_OPEN, its opens fail with EMFILE. The host's view is not
 * counted: it is trusted, and an administrator's tools must not fail.
 */
#pragma once

#include <stdint.h>

#define QUOTA_MAX_OPEN 4096

/* One more open by view (node.h's VIEW_*, or a namespace inode): 0, or -EMFILE past the cap. */
int quota_take(uint64_t view);
/* That open was closed (or never answered). */
void quota_give(uint64_t view);
/* Opens now counted for view. */
unsigned quota_held(uint64_t view);
/* At unmount: every open is gone. */
void quota_clear(void);

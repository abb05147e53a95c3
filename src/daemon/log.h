/* Where messages go: stderr in the foreground, syslog once daemonized; libfuse's too. */
#pragma once

#include <stdbool.h>

void log_setup(bool debug);
/* After daemonizing, stderr is /dev/null: switch to syslog. */
void log_to_syslog(void);
/*
 * Until log_fuse_capture_end(), libfuse's messages are kept rather than logged, so that an
 * error can say what libfuse refused. Start-up only: not thread-safe.
 */
void log_fuse_capture_begin(void);
/* What libfuse said since, its messages joined by "; " (NULL if nothing). Free with g_free. */
char *log_fuse_capture_end(void);

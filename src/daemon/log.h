/*
 * Where messages go: stderr in the foreground, syslog once daemonized (stderr still where no
 * syslog listens); libfuse's too.
 */
#pragma once

#include <stdbool.h>

void log_setup(bool debug);
/*
 * Daemonized: messages go to syslog if a syslog socket listens at /dev/log, else they stay
 * on stderr, the command's. With syslog, until log_serving(), warnings and errors go to
 * stderr too, where the command waits for the start's outcome.
 */
void log_daemonized(void);
/* Serving: a daemonized process that logs to syslog lets go of the command's stderr. */
void log_serving(void);
/*
 * Until log_fuse_capture_end(), libfuse's messages are kept rather than logged, so that an
 * error can say what libfuse refused. Start-up only: not thread-safe.
 */
void log_fuse_capture_begin(void);
/* What libfuse said since, its messages joined by "; " (NULL if nothing). Free with g_free. */
char *log_fuse_capture_end(void);

/* Where messages go: stderr in the foreground, syslog once daemonized; libfuse's too. */
#pragma once

#include <stdbool.h>

void log_setup(bool debug);
/*
 * Daemonized: messages go to syslog. Until log_serving(), warnings and errors go to stderr
 * too, the command's, which waits for the start's outcome.
 */
void log_daemonized(void);
/* Serving: a daemonized process lets go of the command's stderr. */
void log_serving(void);
/*
 * Until log_fuse_capture_end(), libfuse's messages are kept rather than logged, so that an
 * error can say what libfuse refused. Start-up only: not thread-safe.
 */
void log_fuse_capture_begin(void);
/* What libfuse said since, its messages joined by "; " (NULL if nothing). Free with g_free. */
char *log_fuse_capture_end(void);

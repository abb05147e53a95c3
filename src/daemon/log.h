/* Where messages go: stderr in the foreground, syslog once daemonized; libfuse's too. */
#pragma once

#include <stdbool.h>

void log_setup(bool debug);
/* After daemonizing, stderr is /dev/null: switch to syslog. */
void log_to_syslog(void);

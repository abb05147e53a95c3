/* Command line and configuration file: one settings struct, the command line winning. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "strategy.h"
#include "visibility.h"

#define NSPIDFS_DEFAULT_MOUNTPOINT "/var/lib/nspidfs"
#define NSPIDFS_DEFAULT_CONFIG	   NSPIDFS_SYSCONFDIR "/nspidfs/nspidfs.conf"
#define NSPIDFS_CONFIG_GROUP	   "nspidfs"

struct nspidfs_options {
	char *mountpoint;
	char *config_path; /* the file that was read, or NULL */
	enum strategy_id strategy;
	enum visibility_mode visibility;
	unsigned helper_timeout_ms;
	unsigned max_helpers;
	unsigned helper_rate;
	unsigned helper_suspend_ms;
	unsigned max_threads;
	unsigned snapshot_ms;
	unsigned event_buffer_kib;
	unsigned pid_cache;
	unsigned spin_us;
	bool foreground;
	bool debug;
	bool fuse_debug; /* -d: libfuse's request trace too */
	bool single_thread;
	bool show_version;
	bool allow_nested_pidns; /* serve from a PID namespace that is not the host's */
	int ready_fd;
	char **fuse_opts; /* each -o argument, as given */
};

/* Exit status for usage and configuration errors. */
#define NSPIDFS_EXIT_USAGE 2

/* Parse argv (GLib removes what it consumed) and the configuration file. */
bool options_parse(int argc, char **argv, struct nspidfs_options *o, GError **error);
/* The --help text, for tests comparing it with the man page. */
char *options_help(void);
void options_clear(struct nspidfs_options *o);

/*
 * Settings come from three layers: built-in defaults, the configuration file (GKeyFile, group
 * [nspidfs]), and the command line. A value given on the command line always wins, so the
 * command line is parsed into "unset" sentinels first and applied last.
 */
#include "options.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "dispatch.h"
#include "fuse_args.h"
#include "pidcache.h"
#include "snapshot.h"
#include "visibility.h"

/* GOption leaves an int untouched when absent; no valid value is this low. */
#define UNSET_NUM G_MININT

/*
 * The numeric settings, each once: its option, its configuration key, where it goes, its
 * range and default, and its --help line. Both the command line and the file check the range.
 */
struct num_setting {
	const char *option, *key;
	size_t offset; /* of an unsigned in struct nspidfs_options */
	gint64 min, max;
	unsigned def;
	const char *help, *arg;
};

#define NUM(option_, field_, min_, max_, def_, help_, arg_)                                        \
	{                                                                                          \
		.option = (option_), .key = #field_,                                               \
		.offset = offsetof(struct nspidfs_options, field_), .min = (min_), .max = (max_),  \
		.def = (def_), .help = (help_), .arg = (arg_),                                     \
	}

static const struct num_setting num_settings[] = {
    NUM("helper-timeout", helper_timeout_ms, 1, 600000, 1000,
	"Milliseconds a creds helper may take (default 1000)", "MS"),
    NUM("max-helpers", max_helpers, 1, 1024, 4,
	"Creds helpers running at once, at most (default 4)", "N"),
    NUM("helper-rate", helper_rate, 1, 10000, 50,
	"Creds helpers started a second for one container's namespaces, at most (default 50)", "N"),
    NUM("helper-suspend", helper_suspend_ms, 1, 3600000, 60000,
	"Milliseconds no creds helper enters a namespace after one was killed, stopped or silent "
	"there (default 60000)",
	"MS"),
    NUM("snapshot-ms", snapshot_ms, 0, 60000, SNAPSHOT_DEFAULT_VALIDITY_MS,
	"Milliseconds one model serves ns/ and tree (default 100; 0: every read)", "MS"),
    NUM("event-buffer-kib", event_buffer_kib, 0, 1048576, SNAPSHOT_DEFAULT_EVENTS_KIB,
	"KiB of kernel buffer for process events until the daemon drains them (default 2048; "
	"0: no events, a /proc pass each time)",
	"KIB"),
    NUM("pid-cache", pid_cache, 0, PIDCACHE_MAX_ENTRIES, PIDCACHE_DEFAULT_ENTRIES,
	"Live processes whose answers are kept, at most (default 4096; 0: none)", "N"),
    NUM("spin-us", spin_us, 0, 1000, DISPATCH_DEFAULT_SPIN_US,
	"Microseconds to wait for the next request before sleeping (default 20; 0: none)", "US"),
    NUM("max-threads", max_threads, 1, 1024, 16,
	"Worker threads for requests that read /proc, wait or fork (default 16)", "N"),
};

#define N_NUMS G_N_ELEMENTS(num_settings)

static unsigned *num_field(struct nspidfs_options *o, const struct num_setting *n)
{
	return (unsigned *)(void *)((char *)o + n->offset);
}

struct cli {
	char *mountpoint; /* from the positional argument */
	char *config;
	char *strategy;
	char *visibility;
	gint nums[N_NUMS]; /* num_settings[]'s, UNSET_NUM where not given */
	gint ready_fd;
	gboolean foreground;
	gboolean debug;
	gboolean single_thread;
	gboolean version;
	gboolean allow_nested_pidns;
	char **fuse_opts;
	char **rest;
};

static void cli_clear(struct cli *c)
{
	g_free(c->mountpoint);
	g_free(c->config);
	g_free(c->strategy);
	g_free(c->visibility);
	g_strfreev(c->fuse_opts);
	g_strfreev(c->rest);
}

static const char summary[] =
    "Mounts a read-only tree that maps host PIDs (PIDs in the daemon's namespace) to\n"
    "PID-namespace PIDs. Under MOUNTPOINT (default " NSPIDFS_DEFAULT_MOUNTPOINT "):\n"
    "  self                  link to the reader's own PID directory\n"
    "  tree                  every PID namespace and its processes, nested\n"
    "  metrics/nspidfs.prom  Prometheus metrics of every PID namespace\n"
    "  PID/init              host PID of PID 1 of the process's PID namespace\n"
    "  PID/nspid             its PID inside its own PID namespace\n"
    "  PID/ns                inode number of its PID namespace\n"
    "  PID/level             depth of its namespace below the daemon's\n"
    "  PID/ancestors         LEVEL NS_INODE PID INIT_HOST_PID, one line per level\n"
    "  PID/pidns             link to ns/NS_INODE, its namespace's directory\n"
    "  PID/json              the above as one JSON object\n"
    "  PID/container         its namespace's container: runtime, id, name, pod (KEY VALUE)\n"
    "  PID/cgroup            its cgroup path, as the host sees it\n"
    "  ns/INODE/init         host PID of PID 1 of the namespace\n"
    "  ns/INODE/level        depth of the namespace below the daemon's\n"
    "  ns/INODE/parent       link to the parent namespace's directory\n"
    "  ns/INODE/children     inode numbers of the namespaces directly below\n"
    "  ns/INODE/pids         HOST_PID NS_PID of every process with a PID there\n"
    "  ns/INODE/json         the namespace as one JSON object\n"
    "  ns/INODE/container    the container its init is in\n"
    "  ns/INODE/pid/NSPID    link to the directory of the process with that PID there";

static GOptionContext *make_context(struct cli *c)
{
	const GOptionEntry entries[] = {
	    {"version", 'V', 0, G_OPTION_ARG_NONE, &c->version, "Print the version and exit", NULL},
	    {"foreground", 'f', 0, G_OPTION_ARG_NONE, &c->foreground, "Do not daemonize", NULL},
	    {"debug", 'd', 0, G_OPTION_ARG_NONE, &c->debug,
	     "Debug messages and libfuse's request trace; implies -f", NULL},
	    {"single-thread", 's', 0, G_OPTION_ARG_NONE, &c->single_thread,
	     "Serve requests from one thread", NULL},
	    {"option", 'o', 0, G_OPTION_ARG_STRING_ARRAY, &c->fuse_opts,
	     "FUSE mount options for libfuse (repeatable)", "OPT[,OPT...]"},
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &c->config,
	     "Configuration file (default " NSPIDFS_DEFAULT_CONFIG " if it exists)", "FILE"},
	    {"strategy", 0, 0, G_OPTION_ARG_STRING, &c->strategy,
	     "PID translation strategy (default auto)", "auto|ioctl|status|creds"},
	    {"visibility", 0, 0, G_OPTION_ARG_STRING, &c->visibility,
	     "What a reader sees: its own namespace and below, or everything (default caller)",
	     "caller|all"},
	    {"ready-fd", 0, 0, G_OPTION_ARG_INT, &c->ready_fd,
	     "Write READY=1 to FD once mounted, then close it", "FD"},
	    {"allow-nested-pidns", 0, 0, G_OPTION_ARG_NONE, &c->allow_nested_pidns,
	     "Serve even from a PID namespace that is not the host's: only its own processes "
	     "and those below are seen, by readers there only",
	     NULL},
	    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &c->rest, NULL, "[MOUNTPOINT]"},
	    G_OPTION_ENTRY_NULL,
	};
	GOptionContext *ctx = g_option_context_new(NULL);
	GOptionEntry nums[N_NUMS + 1] = {G_OPTION_ENTRY_NULL};

	for (size_t i = 0; i < N_NUMS; i++)
		nums[i] = (GOptionEntry){num_settings[i].option, 0,	      0,
					 G_OPTION_ARG_INT,	 &c->nums[i], num_settings[i].help,
					 num_settings[i].arg};
	g_option_context_set_summary(ctx, summary);
	g_option_context_set_description(
	    ctx, "SIGTERM, SIGINT or fusermount3 -u unmount and stop. SIGHUP reloads: the binary "
		 "now at nspidfs's path, with the configuration read again, takes over the same "
		 "mount.\n"
		 "Messages go to stderr; daemonized, to syslog (/dev/log), or, where no syslog "
		 "listens there, to the stderr it was started with: redirect it to a file.\n"
		 "See nspidfs(8) for the file formats, strategies, restarts and configuration "
		 "keys.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_add_main_entries(ctx, nums, NULL);
	g_option_context_set_strict_posix(ctx, FALSE);
	return ctx;
}

static void set_defaults(struct nspidfs_options *o)
{
	memset(o, 0, sizeof(*o));
	o->mountpoint = g_strdup(NSPIDFS_DEFAULT_MOUNTPOINT);
	o->strategy = STRATEGY_AUTO;
	o->visibility = VISIBILITY_CALLER;
	for (size_t i = 0; i < N_NUMS; i++)
		*num_field(o, &num_settings[i]) = num_settings[i].def;
	o->ready_fd = -1;
}

static bool check_range(const char *name, gint64 v, gint64 min, gint64 max, GError **error)
{
	if (v >= min && v <= max)
		return true;
	g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "%s must be between %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT
		    ", not %" G_GINT64_FORMAT,
		    name, min, max, v);
	return false;
}

static bool set_strategy(struct nspidfs_options *o, const char *name, GError **error)
{
	if (strategy_from_name(name, &o->strategy) == 0)
		return true;
	g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "unknown strategy \"%s\" (auto, ioctl, status or creds)", name);
	return false;
}

static bool set_visibility(struct nspidfs_options *o, const char *name, GError **error)
{
	if (visibility_from_name(name, &o->visibility) == 0)
		return true;
	g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "unknown visibility \"%s\" (caller or all)", name);
	return false;
}

/* An integer key if present; absent keys keep the default. */
static bool key_uint(GKeyFile *kf, const char *key, gint64 min, gint64 max, unsigned *out,
		     GError **error)
{
	g_autoptr(GError) err = NULL;
	gint64 v = g_key_file_get_int64(kf, NSPIDFS_CONFIG_GROUP, key, &err);

	if (g_error_matches(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND) ||
	    g_error_matches(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND))
		return true;
	if (err) {
		g_propagate_prefixed_error(error, g_steal_pointer(&err), "%s: ", key);
		return false;
	}
	if (!check_range(key, v, min, max, error))
		return false;
	*out = (unsigned)v;
	return true;
}

/* A boolean key if present; absent keys keep *out. */
static bool key_bool(GKeyFile *kf, const char *key, bool *out, GError **error)
{
	g_autoptr(GError) err = NULL;
	gboolean v = g_key_file_get_boolean(kf, NSPIDFS_CONFIG_GROUP, key, &err);

	if (g_error_matches(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND) ||
	    g_error_matches(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND))
		return true;
	if (err) {
		g_propagate_prefixed_error(error, g_steal_pointer(&err), "%s: ", key);
		return false;
	}
	*out = v;
	return true;
}

/* The keys that are not numeric settings. */
static const char *const other_keys[] = {
    "mountpoint", "strategy", "visibility", "debug", "allow_nested_pidns", NULL,
};

static bool known_key(const char *key)
{
	for (size_t i = 0; i < N_NUMS; i++) {
		if (strcmp(key, num_settings[i].key) == 0)
			return true;
	}
	return g_strv_contains(other_keys, key);
}

/* A misspelled section would otherwise take its settings with it, silently. */
static bool check_groups(GKeyFile *kf, GError **error)
{
	g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);

	for (char **g = groups; g && *g; g++) {
		if (strcmp(*g, NSPIDFS_CONFIG_GROUP) != 0) {
			g_set_error(
			    error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
			    "unknown section [%s]: settings belong in [" NSPIDFS_CONFIG_GROUP "]",
			    *g);
			return false;
		}
	}
	return true;
}

static bool check_keys(GKeyFile *kf, GError **error)
{
	g_auto(GStrv) keys = g_key_file_get_keys(kf, NSPIDFS_CONFIG_GROUP, NULL, NULL);

	for (char **k = keys; k && *k; k++) {
		if (!known_key(*k)) {
			g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
				    "unknown key \"%s\"", *k);
			return false;
		}
	}
	return true;
}

static bool apply_keyfile(GKeyFile *kf, struct nspidfs_options *o, GError **error)
{
	g_autofree char *mp = g_key_file_get_string(kf, NSPIDFS_CONFIG_GROUP, "mountpoint", NULL);
	g_autofree char *strategy =
	    g_key_file_get_string(kf, NSPIDFS_CONFIG_GROUP, "strategy", NULL);
	g_autofree char *visibility =
	    g_key_file_get_string(kf, NSPIDFS_CONFIG_GROUP, "visibility", NULL);
	bool debug = false;

	if (!check_groups(kf, error) || !check_keys(kf, error))
		return false;
	if (mp) {
		g_free(o->mountpoint);
		o->mountpoint = g_steal_pointer(&mp);
	}
	if (strategy && !set_strategy(o, strategy, error))
		return false;
	if (visibility && !set_visibility(o, visibility, error))
		return false;
	for (size_t i = 0; i < N_NUMS; i++) {
		const struct num_setting *n = &num_settings[i];

		if (!key_uint(kf, n->key, n->min, n->max, num_field(o, n), error))
			return false;
	}
	if (!key_bool(kf, "debug", &debug, error) ||
	    !key_bool(kf, "allow_nested_pidns", &o->allow_nested_pidns, error))
		return false;
	o->debug |= debug;
	return true;
}

static bool load_config(const char *path, bool must_exist, struct nspidfs_options *o,
			GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) err = NULL;

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &err)) {
		if (!must_exist && g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return true;
		g_propagate_prefixed_error(error, g_steal_pointer(&err), "%s: ", path);
		return false;
	}
	if (!apply_keyfile(kf, o, error)) {
		g_prefix_error(error, "%s: ", path);
		return false;
	}
	o->config_path = g_strdup(path);
	return true;
}

static bool apply_cli(struct cli *c, struct nspidfs_options *o, GError **error)
{
	if (c->rest && c->rest[0] && c->rest[1]) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
			    "one mount point expected, got \"%s\" too", c->rest[1]);
		return false;
	}
	if (c->rest && c->rest[0]) {
		g_free(o->mountpoint);
		o->mountpoint = g_strdup(c->rest[0]);
	}
	if (c->strategy && !set_strategy(o, c->strategy, error))
		return false;
	if (c->visibility && !set_visibility(o, c->visibility, error))
		return false;
	for (size_t i = 0; i < N_NUMS; i++) {
		const struct num_setting *n = &num_settings[i];
		g_autofree char *name = g_strconcat("--", n->option, NULL);

		if (c->nums[i] == UNSET_NUM)
			continue;
		if (!check_range(name, c->nums[i], n->min, n->max, error))
			return false;
		*num_field(o, n) = (unsigned)c->nums[i];
	}
	if (c->ready_fd != UNSET_NUM && !check_range("--ready-fd", c->ready_fd, 3, G_MAXINT, error))
		return false;
	if (c->ready_fd != UNSET_NUM)
		o->ready_fd = c->ready_fd;
	o->debug |= c->debug;
	o->fuse_debug = c->debug;
	o->foreground = c->foreground || c->debug;
	o->single_thread = c->single_thread;
	o->allow_nested_pidns |= c->allow_nested_pidns;
	o->show_version = c->version;
	o->fuse_opts = g_steal_pointer(&c->fuse_opts);
	return true;
}

bool options_parse(int argc, char **argv, struct nspidfs_options *o, GError **error)
{
	struct cli c = {.ready_fd = UNSET_NUM};
	g_autoptr(GOptionContext) ctx = make_context(&c);
	g_auto(GStrv) args = g_new0(char *, (gsize)argc + 1);
	bool ok;

	for (int i = 0; i < argc; i++)
		args[i] = g_strdup(argv[i]);
	for (size_t i = 0; i < N_NUMS; i++)
		c.nums[i] = UNSET_NUM;
	set_defaults(o);
	ok = g_option_context_parse_strv(ctx, &args, error);
	if (ok && !c.version)
		ok = load_config(c.config ? c.config : NSPIDFS_DEFAULT_CONFIG, c.config != NULL, o,
				 error);
	if (ok)
		ok = apply_cli(&c, o, error);
	if (ok && !c.version)
		ok = fuse_args_check(o, error);
	cli_clear(&c);
	return ok;
}

char *options_help(void)
{
	struct cli c = {0};
	g_autoptr(GOptionContext) ctx = make_context(&c);

	return g_option_context_get_help(ctx, TRUE, NULL);
}

void options_clear(struct nspidfs_options *o)
{
	g_free(o->mountpoint);
	g_free(o->config_path);
	g_strfreev(o->fuse_opts);
	memset(o, 0, sizeof(*o));
}

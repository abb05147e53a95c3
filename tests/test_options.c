/* Unit tests for the command line and configuration file parser (options.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "options.h"

/* A directory for the configuration files of this run, and an empty file in it. */
static char *tmpdir;
static char *empty_conf;
static unsigned conf_serial;

static int group_setup(void **state)
{
	g_autoptr(GError) err = NULL;

	(void)state;
	tmpdir = g_dir_make_tmp("nspidfs-test-options-XXXXXX", &err);
	if (!tmpdir) {
		print_error("g_dir_make_tmp: %s\n", err->message);
		return -1;
	}
	empty_conf = g_build_filename(tmpdir, "empty.conf", NULL);
	if (!g_file_set_contents(empty_conf, "", 0, &err)) {
		print_error("%s: %s\n", empty_conf, err->message);
		return -1;
	}
	return 0;
}

/* Removes whatever a failed test left behind, too. */
static int group_teardown(void **state)
{
	GDir *dir;
	const char *name;

	(void)state;
	if (!tmpdir)
		return 0;
	dir = g_dir_open(tmpdir, 0, NULL);
	while (dir && (name = g_dir_read_name(dir))) {
		g_autofree char *path = g_build_filename(tmpdir, name, NULL);

		g_unlink(path);
	}
	if (dir)
		g_dir_close(dir);
	g_rmdir(tmpdir);
	g_clear_pointer(&tmpdir, g_free);
	g_clear_pointer(&empty_conf, g_free);
	return 0;
}

/* Write a configuration file with the given text; the caller frees and remove_conf()s it. */
static char *write_conf(const char *text)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *name = g_strdup_printf("test-%u.conf", conf_serial++);
	char *path = g_build_filename(tmpdir, name, NULL);

	if (!g_file_set_contents(path, text, -1, &err))
		fail_msg("%s: %s", path, err->message);
	return path;
}

static void remove_conf(char *path)
{
	assert_int_equal(g_unlink(path), 0);
	g_free(path);
}

/* options_parse() on "nspidfs" followed by args (NULL-terminated). */
static bool parse_args(struct nspidfs_options *o, GError **error, const char *const *args)
{
	GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
	bool ok;

	g_ptr_array_add(argv, g_strdup("nspidfs"));
	for (; *args; args++)
		g_ptr_array_add(argv, g_strdup(*args));
	/* Poison the output: options_parse() must set every field. */
	memset(o, 0x5a, sizeof(*o));
	ok = options_parse((int)argv->len, (char **)argv->pdata, o, error);
	g_ptr_array_free(argv, TRUE);
	return ok;
}

/*
 * With --config pointing at the empty file first, so that a configuration file installed on
 * the machine running the tests cannot change the results; a later --config wins.
 */
static bool parse_hermetic(struct nspidfs_options *o, GError **error, const char *const *args)
{
	g_autofree char *cfg = g_strconcat("--config=", empty_conf, NULL);
	GPtrArray *all = g_ptr_array_new();
	bool ok;

	g_ptr_array_add(all, cfg);
	for (; *args; args++)
		g_ptr_array_add(all, (gpointer)*args);
	g_ptr_array_add(all, NULL);
	ok = parse_args(o, error, (const char *const *)all->pdata);
	g_ptr_array_free(all, TRUE);
	return ok;
}

#define ARGS(...)	       ((const char *const[]){__VA_ARGS__, NULL})
#define PARSE(o, err, ...)     parse_hermetic(o, err, ARGS(__VA_ARGS__))
#define PARSE_NO_ARGS(o, err)  parse_hermetic(o, err, ARGS(NULL))
#define PARSE_RAW(o, err, ...) parse_args(o, err, ARGS(__VA_ARGS__))

static void assert_error_contains(const GError *err, const char *what)
{
	assert_non_null(err);
	assert_non_null(err->message);
	if (!strstr(err->message, what))
		fail_msg("error \"%s\" does not mention \"%s\"", err->message, what);
}

#define ANY_CODE (-1)

/*
 * A parse that must fail with an error of domain and code (not checked when domain is 0,
 * any code when code is ANY_CODE) and a message naming what; the options are cleared.
 */
static void expect_failure(const char *const *args, GQuark domain, int code, const char *what)
{
	struct nspidfs_options o;
	g_autoptr(GError) err = NULL;
	bool ok = parse_hermetic(&o, &err, args);

	options_clear(&o);
	if (ok)
		fail_msg("parse of %s succeeded, expected an error mentioning \"%s\"",
			 args[0] ? args[0] : "nothing", what);
	assert_error_contains(err, what);
	if (domain && (err->domain != domain || (code != ANY_CODE && err->code != code)))
		fail_msg("error \"%s\" is %s %d, expected %s %d", err->message,
			 g_quark_to_string(err->domain), err->code, g_quark_to_string(domain),
			 code);
}

#define EXPECT_FAILURE(domain, code, what, ...)                                                    \
	expect_failure(ARGS(__VA_ARGS__), domain, code, what)

static void assert_defaults_except_config(const struct nspidfs_options *o)
{
	assert_string_equal(o->mountpoint, "/var/lib/nspidfs");
	assert_int_equal(o->strategy, STRATEGY_AUTO);
	assert_int_equal(o->helper_timeout_ms, 1000);
	assert_int_equal(o->max_helpers, 4);
	assert_int_equal(o->helper_rate, 50);
	assert_int_equal(o->helper_suspend_ms, 60000);
	assert_int_equal(o->max_threads, 16);
	assert_int_equal(o->ready_fd, -1);
	assert_false(o->foreground);
	assert_false(o->debug);
	assert_false(o->fuse_debug);
	assert_false(o->single_thread);
	assert_false(o->show_version);
	assert_false(o->allow_nested_pidns);
	assert_null(o->fuse_opts);
}

/* No argument and no configuration file at all: the built-in defaults. */
static void test_defaults_no_config(void **state)
{
	struct nspidfs_options o;
	g_autoptr(GError) err = NULL;
	const char *const none[] = {NULL};

	(void)state;
	if (g_file_test(NSPIDFS_DEFAULT_CONFIG, G_FILE_TEST_EXISTS))
		skip();
	assert_true(parse_args(&o, &err, none));
	assert_null(err);
	assert_defaults_except_config(&o);
	assert_null(o.config_path);
	options_clear(&o);
}

/* An empty configuration file changes nothing. */
static void test_defaults(void **state)
{
	struct nspidfs_options o;
	g_autoptr(GError) err = NULL;

	(void)state;
	assert_string_equal(NSPIDFS_DEFAULT_MOUNTPOINT, "/var/lib/nspidfs");
	assert_true(PARSE_NO_ARGS(&o, &err));
	assert_null(err);
	assert_defaults_except_config(&o);
	assert_string_equal(o.config_path, empty_conf);
	options_clear(&o);
}

static void test_options_clear(void **state)
{
	struct nspidfs_options o;
	const struct nspidfs_options zero = {0};
	g_autoptr(GError) err = NULL;

	(void)state;
	assert_true(PARSE(&o, &err, "-o", "ro", "/mnt/x"));
	options_clear(&o);
	assert_memory_equal(&o, &zero, sizeof(o));
	/* Clearing twice is harmless. */
	options_clear(&o);
}

static void test_positional_mountpoint(void **state)
{
	struct nspidfs_options o;
	g_autoptr(GError) err = NULL;

	(void)state;
	assert_true(PARSE(&o, &err, "/mnt/pids"));
	assert_null(err);
	assert_string_equal(o.mountpoint, "/mnt/pids");
	assert_int_equal(o.strategy, STRATEGY_AUTO);
	assert_false(o.foreground);
	options_clear(&o);

	/* Options after the mount point are parsed too. */
	assert_true(PARSE(&o, &err, "relative/dir", "-f"));
	assert_string_equal(o.mountpoint, "relative/dir");
	assert_true(o.foreground);
	options_clear(&o);
}

static void test_two_positionals(void **state)
{
	(void)state;
	EXPECT_FAILURE(G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "/mnt/second", "/mnt/first",
		       "/mnt/second");
	EXPECT_FAILURE(G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "/b", "-f", "/a", "/b", "/c");
}

static void test_foreground(void **state)
{
	struct nspidfs_options o;
	g_autoptr(GError) err = NULL;

	(void)state;
	assert_true(PARSE(&o, &err, "-f"));
	assert_true(o.foreground);
	assert_false(o.debug);
	assert_false(o.fuse_debug);
	assert_false(o.single_thread);
	options_clear(&o);

	assert_true(PARSE(&o, &err, "--foreground"));
	assert_true(o.foreground);
	assert_false(o.debug);
	options_clear(&o);
}

static void test_debug(void **state)
{
	struct nspidfs_options o;
	g_autoptr(GError) err = NULL;

	(void)state;
	assert_true(PARSE(&o, &err, "-d"));
	assert_null(err);
	assert_true(o.debug);
	assert_true(o.fuse_debug);
	assert_true(o.foreground);
	assert_false(o.single_thread);
	options_clear(&o);

	assert_true(PARSE(&o, &err, "--debug"));
	assert_true(o.debug);
	assert_true(o.fuse_debug);
	assert_true(o.foreground);
	options_clear(&o);
}

/* From the command line or the file; the file cannot take back the command line's. */
static void test_allow_nested_pidns(void **state)
{
	struct nspidfs_options o;
	g_autoptr(GError) err = NULL;
	char *yes = write_conf("[nspidfs]\nallow_nested_pidns=true\n");
	char *no = write_conf("[nspidfs]\nallow_nested_pidns=false\n");
	char *bad = write_conf("[nspidfs]\nallow_nested_pidns=maybe\n");

	(void)state;
	assert_true(PARSE(&o, &err, "--allow-nested-pidns"));
	assert_true(o.allow_nested_pidns);
	options_clear(&o);
	assert_true(PARSE(&o, &err, "-c", yes));
	assert_true(o.allow_nested_pidns);
	options_clear(&o);
	assert_true(PARSE(&o, &err, "-c", no));
	assert_false(o.allow_nested_pidns);
	options_clear(&o);
	assert_true(PARSE(&o, &err, "-c", no, "--allow-nested-pidns"));
	assert_true(o.allow_nested_pidns);
	options_clear(&o);
	EXPECT_FAILURE(G_KEY_FILE_ERROR, ANY_CODE, "allow_nested_pidns", "-c", bad);
	remove_conf(yes);
	remove_conf(no);
	remove_conf(bad);
}

static void test_single_thread(void **state)
{
	struct nspidfs_options o;
	g_autoptr(GError) err = NULL;

	(void)state;
	assert_true(PARSE(&o, &err, "-s"));
	assert_true(o.single_thread);
	assert_false(o.foreground);
	assert_false(o.debug);
	options_clear(&o);

	assert_true(PARSE(&o, &err, "--single-thread"));
	assert_true(o.single_thread);
	options_clear(&o);

	/* Short options combine. */
	assert_true(PARSE(&o, &err, "-sf"));
	assert_true(o.single_thread);
	assert_true(o.foreground);
	options_clear(&o);
}

static void test_fuse_opts(void **state)
{
	struct nspidfs_options o;
	g_autoptr(GError) err = NULL;

	(void)state;
	assert_true(PARSE(&o, &err, "-o", "allow_root", "-o", "noatime,dirsync", "/mnt/p"));
	assert_null(err);
	assert_non_null(o.fuse_opts);
	assert_int_equal(g_strv_length(o.fuse_opts), 2);
	assert_string_equal(o.fuse_opts[0], "allow_root");
	assert_string_equal(o.fuse_opts[1], "noatime,dirsync");
	assert_null(o.fuse_opts[2]);
	assert_string_equal(o.mountpoint, "/mnt/p");
	options_clear(&o);

	assert_true(PARSE(&o, &err, "--option=noatime"));
	assert_int_equal(g_strv_length(o.fuse_opts), 1);
	assert_string_equal(o.fuse_opts[0], "noatime");
	options_clear(&o);

	/* Long and short forms mix, order kept. */
	assert_true(PARSE(&o, &err, "--option", "sync", "-o", "dirsync", "--option=noatime"));
	assert_int_equal(g_strv_length(o.fuse_opts), 3);
	assert_string_equal(o.fuse_opts[0], "sync");
	assert_string_equal(o.fuse_opts[1], "dirsync");
	assert_string_equal(o.fuse_opts[2], "noatime");
	options_clear(&o);
}

/*
 * What libfuse refuses is a usage error before anything is mounted, in one line although
 * libfuse says it in pieces; max_read, which libfuse takes but then fails the kernel's
 * FUSE_INIT with, too.
 */
static void test_fuse_opts_refused(void **state)
{
	static const char *const refused[][2] = {
	    {"bogusopt", "bogusopt"},
	    {"noatime,bogusopt", "bogusopt"},
	    {"max_read=4096", "max_read"},
	    {"noatime,max_read=65536", "max_read"},
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(refused); i++) {
		struct nspidfs_options o;
		g_autoptr(GError) err = NULL;

		assert_false(PARSE(&o, &err, "-o", refused[i][0]));
		options_clear(&o);
		assert_error_contains(err, refused[i][1]);
		if (err->domain != G_OPTION_ERROR || strchr(err->message, '\n'))
			fail_msg("-o %s: \"%s\" is not one usage error line", refused[i][0],
				 err->message);
	}
	EXPECT_FAILURE(G_OPTION_ERROR, ANY_CODE, "bogusopt", "-o", "noatime", "-o", "bogusopt");
}

static void test_strategy_valid(void **state)
{
	static const struct {
		const char *arg;
		enum strategy_id id;
	} cases[] = {
	    {"--strategy=auto", STRATEGY_AUTO},
	    {"--strategy=ioctl", STRATEGY_IOCTL},
	    {"--strategy=status", STRATEGY_STATUS},
	    {"--strategy=creds", STRATEGY_CREDS},
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct nspidfs_options o;
		g_autoptr(GError) err = NULL;

		if (!PARSE(&o, &err, cases[i].arg))
			fail_msg("%s: %s", cases[i].arg, err ? err->message : "?");
		assert_int_equal(o.strategy, cases[i].id);
		options_clear(&o);
	}

	/* The separate-argument form, and the last one given wins. */
	{
		struct nspidfs_options o;
		g_autoptr(GError) err = NULL;

		assert_true(PARSE(&o, &err, "--strategy", "creds"));
		assert_int_equal(o.strategy, STRATEGY_CREDS);
		options_clear(&o);
		assert_true(PARSE(&o, &err, "--strategy=ioctl", "--strategy=status"));
		assert_int_equal(o.strategy, STRATEGY_STATUS);
		options_clear(&o);
	}
}

/*
 * Values every option must refuse with G_OPTION_ERROR_BAD_VALUE, and what the message says.
 * Names are case-sensitive and exact; a missing value is GLib's error; -1 must not pass for
 * "not given"; an out-of-range number names the option or the value.
 */
static const struct {
	const char *arg;
	const char *says;
} bad_values[] = {
    {"--strategy=bogus", "\"bogus\""},
    {"--strategy=IOCTL", "\"IOCTL\""},
    {"--strategy=auto ", "\"auto \""},
    {"--strategy=", "\"\""},
    {"--strategy", "--strategy"},
    {"--helper-timeout=0", "--helper-timeout"},
    {"--helper-timeout=600001", "600001"},
    {"--helper-timeout=-5", "-5"},
    {"--helper-timeout=abc", "abc"},
    {"--helper-timeout=10ms", "10ms"},
    {"--helper-timeout=99999999999", "99999999999"},
    {"--max-helpers=0", "--max-helpers"},
    {"--max-helpers=1025", "1025"},
    {"--max-helpers=x", "x"},
    {"--max-helpers=-1", "-1"},
    {"--helper-timeout=-1", "-1"},
    {"--ready-fd=-1", "-1"},
    {"--helper-rate=0", "--helper-rate"},
    {"--helper-rate=10001", "10001"},
    {"--helper-rate=-1", "-1"},
    {"--helper-suspend=0", "--helper-suspend"},
    {"--helper-suspend=3600001", "3600001"},
    {"--helper-suspend=1s", "1s"},
    {"--max-threads=0", "--max-threads"},
    {"--max-threads=1025", "1025"},
    {"--max-threads=many", "many"},
    {"--ready-fd=2", "--ready-fd"},
    {"--ready-fd=0", "--ready-fd"},
    {"--ready-fd=fd", "fd"},
};

static void test_bad_values(void **state)
{
	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(bad_values); i++)
		EXPECT_FAILURE(G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, bad_values[i].says,
			       bad_values[i].arg);
}

static void test_helper_timeout(void **state)
{
	struct nspidfs_options o;
	g_autoptr(GError) err = NULL;

	(void)state;
	assert_true(PARSE(&o, &err, "--helper-timeout=250"));
	assert_int_equal(o.helper_timeout_ms, 250);
	options_clear(&o);
	assert_true(PARSE(&o, &err, "--helper-timeout=1"));
	assert_int_equal(o.helper_timeout_ms, 1);
	options_clear(&o);
	assert_true(PARSE(&o, &err, "--helper-timeout", "600000"));
	assert_int_equal(o.helper_timeout_ms, 600000);
	assert_int_equal(o.max_helpers, 4);
	options_clear(&o);
}

static void test_max_helpers(void **state)
{
	struct nspidfs_options o;
	g_autoptr(GError) err = NULL;

	(void)state;
	assert_true(PARSE(&o, &err, "--max-helpers=1"));
	assert_int_equal(o.max_helpers, 1);
	options_clear(&o);
	assert_true(PARSE(&o, &err, "--max-helpers=1024"));
	assert_int_equal(o.max_helpers, 1024);
	assert_int_equal(o.max_threads, 16);
	assert_int_equal(o.helper_timeout_ms, 1000);
	options_clear(&o);
}

/* The creds helpers' per-namespace limits: forks a second, and the suspension's length. */
static void test_helper_rate_and_suspend(void **state)
{
	struct nspidfs_options o;
	g_autoptr(GError) err = NULL;

	(void)state;
	assert_true(PARSE(&o, &err, "--helper-rate=1", "--helper-suspend=1"));
	assert_int_equal(o.helper_rate, 1);
	assert_int_equal(o.helper_suspend_ms, 1);
	assert_int_equal(o.max_helpers, 4);
	options_clear(&o);
	assert_true(PARSE(&o, &err, "--helper-rate=10000", "--helper-suspend=3600000"));
	assert_int_equal(o.helper_rate, 10000);
	assert_int_equal(o.helper_suspend_ms, 3600000);
	options_clear(&o);
}

static void test_max_threads(void **state)
{
	struct nspidfs_options o;
	g_autoptr(GError) err = NULL;

	(void)state;
	assert_true(PARSE(&o, &err, "--max-threads=8"));
	assert_int_equal(o.max_threads, 8);
	assert_int_equal(o.max_helpers, 4);
	options_clear(&o);
	assert_true(PARSE(&o, &err, "--max-threads=1"));
	assert_int_equal(o.max_threads, 1);
	options_clear(&o);
	assert_true(PARSE(&o, &err, "--max-threads=1024"));
	assert_int_equal(o.max_threads, 1024);
	options_clear(&o);
}

static void test_ready_fd(void **state)
{
	struct nspidfs_options o;
	g_autoptr(GError) err = NULL;

	(void)state;
	assert_true(PARSE(&o, &err, "--ready-fd=5"));
	assert_null(err);
	assert_int_equal(o.ready_fd, 5);
	options_clear(&o);
	assert_true(PARSE(&o, &err, "--ready-fd=3"));
	assert_int_equal(o.ready_fd, 3);
	options_clear(&o);

	/* Standard input, output and error are not for this. */
}

static void test_unknown_option(void **state)
{
	(void)state;
	EXPECT_FAILURE(G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION, "--frobnicate",
		       "--frobnicate");
	EXPECT_FAILURE(G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION, "-q", "-q");
	/* A valid option before does not help. */
	EXPECT_FAILURE(G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION, "--frobnicate", "-f", "-o",
		       "ro", "--frobnicate", "/mnt");
}

/* The errors are independent of each other: a failure leaves nothing behind for the next. */
static void test_error_then_success(void **state)
{
	struct nspidfs_options o;
	g_autoptr(GError) err = NULL;

	(void)state;
	assert_false(PARSE(&o, &err, "-o", "ro", "--strategy=ioctl", "--max-threads=0"));
	assert_error_contains(err, "--max-threads");
	options_clear(&o);
	g_clear_error(&err);

	assert_true(PARSE_NO_ARGS(&o, &err));
	assert_null(err);
	assert_defaults_except_config(&o);
	options_clear(&o);
}

static void test_version(void **state)
{
	struct nspidfs_options o;
	g_autoptr(GError) err = NULL;

	(void)state;
	assert_true(PARSE(&o, &err, "-V"));
	assert_null(err);
	assert_true(o.show_version);
	assert_false(o.foreground);
	options_clear(&o);

	assert_true(PARSE(&o, &err, "--version"));
	assert_true(o.show_version);
	options_clear(&o);

	/* --version does not read the configuration file, so a missing one is no error. */
	assert_true(PARSE_RAW(&o, &err, "--config=/nonexistent/nspidfs-test.conf", "-V"));
	assert_null(err);
	assert_true(o.show_version);
	assert_null(o.config_path);
	options_clear(&o);
}

static void test_config_all_keys(void **state)
{
	struct nspidfs_options o;
	g_autoptr(GError) err = NULL;
	char *path = write_conf("# a comment\n"
				"[nspidfs]\n"
				"mountpoint=/srv/pids\n"
				"strategy=status\n"
				"helper_timeout_ms=2500\n"
				"max_helpers=7\n"
				"helper_rate=9\n"
				"helper_suspend_ms=5000\n"
				"max_threads=3\n"
				"debug=true\n");
	g_autofree char *arg = g_strconcat("--config=", path, NULL);

	(void)state;
	assert_true(PARSE(&o, &err, arg));
	assert_null(err);
	assert_string_equal(o.mountpoint, "/srv/pids");
	assert_int_equal(o.strategy, STRATEGY_STATUS);
	assert_int_equal(o.helper_timeout_ms, 2500);
	assert_int_equal(o.max_helpers, 7);
	assert_int_equal(o.helper_rate, 9);
	assert_int_equal(o.helper_suspend_ms, 5000);
	assert_int_equal(o.max_threads, 3);
	assert_true(o.debug);
	assert_string_equal(o.config_path, path);
	/* Nothing on the command line: the rest stay defaults. */
	assert_int_equal(o.ready_fd, -1);
	assert_false(o.single_thread);
	assert_false(o.show_version);
	assert_null(o.fuse_opts);
	options_clear(&o);
	remove_conf(path);
}

/* The shipped sample: every key, at its default value. */
static void test_config_explicit_defaults(void **state)
{
	struct nspidfs_options o;
	g_autoptr(GError) err = NULL;
	char *path = write_conf("[nspidfs]\n"
				"mountpoint=/var/lib/nspidfs\n"
				"strategy=auto\n"
				"helper_timeout_ms=1000\n"
				"max_helpers=4\n"
				"helper_rate=50\n"
				"helper_suspend_ms=60000\n"
				"max_threads=16\n"
				"debug=false\n"
				"allow_nested_pidns=false\n");

	(void)state;
	assert_true(PARSE(&o, &err, "-c", path));
	assert_null(err);
	assert_defaults_except_config(&o);
	assert_string_equal(o.config_path, path);
	options_clear(&o);
	remove_conf(path);
}

static void test_config_each_key_alone(void **state)
{
	struct nspidfs_options o;
	g_autoptr(GError) err = NULL;
	char *path;

	(void)state;
	path = write_conf("[nspidfs]\nmax_threads=99\n");
	assert_true(PARSE(&o, &err, "-c", path));
	assert_int_equal(o.max_threads, 99);
	assert_int_equal(o.max_helpers, 4);
	assert_int_equal(o.helper_timeout_ms, 1000);
	assert_string_equal(o.mountpoint, "/var/lib/nspidfs");
	options_clear(&o);
	remove_conf(path);

	path = write_conf("[nspidfs]\nstrategy=creds\n");
	assert_true(PARSE(&o, &err, "-c", path));
	assert_int_equal(o.strategy, STRATEGY_CREDS);
	assert_int_equal(o.max_threads, 16);
	assert_false(o.debug);
	options_clear(&o);
	remove_conf(path);

	path = write_conf("[nspidfs]\ndebug=false\n");
	assert_true(PARSE(&o, &err, "-c", path));
	assert_false(o.debug);
	options_clear(&o);
	/* The configuration cannot turn off -d. */
	assert_true(PARSE(&o, &err, "-c", path, "-d"));
	assert_true(o.debug);
	assert_true(o.fuse_debug);
	assert_true(o.foreground);
	options_clear(&o);
	remove_conf(path);
}

static void test_config_cli_overrides(void **state)
{
	struct nspidfs_options o;
	g_autoptr(GError) err = NULL;
	char *path = write_conf("[nspidfs]\n"
				"mountpoint=/srv/pids\n"
				"strategy=status\n"
				"helper_timeout_ms=2500\n"
				"max_helpers=7\n"
				"max_threads=3\n");
	g_autofree char *arg = g_strconcat("--config=", path, NULL);

	(void)state;
	assert_true(PARSE(&o, &err, arg, "--strategy=creds"));
	assert_int_equal(o.strategy, STRATEGY_CREDS);
	assert_int_equal(o.helper_timeout_ms, 2500);
	assert_string_equal(o.mountpoint, "/srv/pids");
	options_clear(&o);

	assert_true(PARSE(&o, &err, arg, "--helper-timeout=40"));
	assert_int_equal(o.helper_timeout_ms, 40);
	assert_int_equal(o.strategy, STRATEGY_STATUS);
	options_clear(&o);

	assert_true(PARSE(&o, &err, arg, "/mnt/cli"));
	assert_string_equal(o.mountpoint, "/mnt/cli");
	assert_int_equal(o.strategy, STRATEGY_STATUS);
	assert_int_equal(o.max_helpers, 7);
	options_clear(&o);

	assert_true(PARSE(&o, &err, arg, "--helper-rate=3", "--helper-suspend=700"));
	assert_int_equal(o.helper_rate, 3);
	assert_int_equal(o.helper_suspend_ms, 700);
	assert_int_equal(o.max_helpers, 7);
	options_clear(&o);

	assert_true(PARSE(&o, &err, arg, "--max-helpers=9", "--max-threads=11"));
	assert_int_equal(o.max_helpers, 9);
	assert_int_equal(o.max_threads, 11);
	assert_int_equal(o.helper_timeout_ms, 2500);
	assert_string_equal(o.config_path, path);
	options_clear(&o);

	/* The command line overriding the configuration with the default itself. */
	assert_true(PARSE(&o, &err, arg, "--strategy=auto", "--helper-timeout=1000"));
	assert_int_equal(o.strategy, STRATEGY_AUTO);
	assert_int_equal(o.helper_timeout_ms, 1000);
	options_clear(&o);

	/* A bad command line value is an error even though the file's is good. */
	assert_false(PARSE(&o, &err, arg, "--strategy=nope"));
	assert_error_contains(err, "nope");
	options_clear(&o);

	remove_conf(path);
}

/* A configuration that must be refused, with a message naming what and the file. */
static void expect_config_failure(const char *text, GQuark domain, int code, const char *what)
{
	char *path = write_conf(text);

	EXPECT_FAILURE(domain, code, what, "-c", path);
	EXPECT_FAILURE(domain, code, path, "-c", path);
	remove_conf(path);
}

static void test_config_unknown_key(void **state)
{
	(void)state;
	expect_config_failure("[nspidfs]\nfrobnicate=1\n", 0, 0, "frobnicate");
	/* Keys are case-sensitive; the mistake is reported even next to good keys. */
	expect_config_failure("[nspidfs]\nmax_helpers=2\nMax_Threads=4\n", 0, 0, "Max_Threads");
	/* The option names are not key names. */
	expect_config_failure("[nspidfs]\nhelper-timeout=5\n", 0, 0, "helper-timeout");
}

/* A misspelled or extra section is an error, not settings silently lost. */
static void test_config_unknown_section(void **state)
{
	(void)state;
	expect_config_failure("[nspid]\nstrategy=creds\n", 0, 0, "[nspid]");
	expect_config_failure("[nspidfs]\nstrategy=creds\n[extra]\nx=1\n", 0, 0, "[extra]");
	expect_config_failure("[NSPIDFS]\ndebug=true\n", 0, 0, "[NSPIDFS]");
}

static void test_config_bad_integer(void **state)
{
	(void)state;
	expect_config_failure("[nspidfs]\nhelper_timeout_ms=abc\n", G_KEY_FILE_ERROR,
			      G_KEY_FILE_ERROR_INVALID_VALUE, "helper_timeout_ms");
	expect_config_failure("[nspidfs]\nmax_helpers=four\n", G_KEY_FILE_ERROR,
			      G_KEY_FILE_ERROR_INVALID_VALUE, "max_helpers");
	expect_config_failure("[nspidfs]\nmax_threads=1.5\n", G_KEY_FILE_ERROR,
			      G_KEY_FILE_ERROR_INVALID_VALUE, "max_threads");
	expect_config_failure("[nspidfs]\nmax_threads=\n", G_KEY_FILE_ERROR,
			      G_KEY_FILE_ERROR_INVALID_VALUE, "max_threads");
}

static void test_config_out_of_range(void **state)
{
	(void)state;
	expect_config_failure("[nspidfs]\nhelper_timeout_ms=0\n", G_OPTION_ERROR,
			      G_OPTION_ERROR_BAD_VALUE, "helper_timeout_ms");
	expect_config_failure("[nspidfs]\nhelper_timeout_ms=600001\n", G_OPTION_ERROR,
			      G_OPTION_ERROR_BAD_VALUE, "helper_timeout_ms");
	expect_config_failure("[nspidfs]\nhelper_timeout_ms=-1\n", G_OPTION_ERROR,
			      G_OPTION_ERROR_BAD_VALUE, "helper_timeout_ms");
	/* Would be 1000 if truncated to 32 bits. */
	expect_config_failure("[nspidfs]\nhelper_timeout_ms=4294968296\n", G_OPTION_ERROR,
			      G_OPTION_ERROR_BAD_VALUE, "helper_timeout_ms");
	expect_config_failure("[nspidfs]\nmax_helpers=0\n", G_OPTION_ERROR,
			      G_OPTION_ERROR_BAD_VALUE, "max_helpers");
	expect_config_failure("[nspidfs]\nmax_helpers=1025\n", G_OPTION_ERROR,
			      G_OPTION_ERROR_BAD_VALUE, "max_helpers");
	expect_config_failure("[nspidfs]\nhelper_rate=0\n", G_OPTION_ERROR,
			      G_OPTION_ERROR_BAD_VALUE, "helper_rate");
	expect_config_failure("[nspidfs]\nhelper_rate=10001\n", G_OPTION_ERROR,
			      G_OPTION_ERROR_BAD_VALUE, "helper_rate");
	expect_config_failure("[nspidfs]\nhelper_suspend_ms=0\n", G_OPTION_ERROR,
			      G_OPTION_ERROR_BAD_VALUE, "helper_suspend_ms");
	expect_config_failure("[nspidfs]\nhelper_suspend_ms=3600001\n", G_OPTION_ERROR,
			      G_OPTION_ERROR_BAD_VALUE, "helper_suspend_ms");
	expect_config_failure("[nspidfs]\nmax_threads=0\n", G_OPTION_ERROR,
			      G_OPTION_ERROR_BAD_VALUE, "max_threads");
	expect_config_failure("[nspidfs]\nmax_threads=1025\n", G_OPTION_ERROR,
			      G_OPTION_ERROR_BAD_VALUE, "max_threads");
}

static void test_config_range_limits(void **state)
{
	struct nspidfs_options o;
	g_autoptr(GError) err = NULL;
	char *path;

	(void)state;
	path = write_conf("[nspidfs]\nhelper_timeout_ms=600000\nmax_helpers=1024\n"
			  "max_threads=1024\n");
	assert_true(PARSE(&o, &err, "-c", path));
	assert_int_equal(o.helper_timeout_ms, 600000);
	assert_int_equal(o.max_helpers, 1024);
	assert_int_equal(o.max_threads, 1024);
	options_clear(&o);
	remove_conf(path);

	path = write_conf("[nspidfs]\nhelper_timeout_ms=1\nmax_helpers=1\nmax_threads=1\n");
	assert_true(PARSE(&o, &err, "-c", path));
	assert_int_equal(o.helper_timeout_ms, 1);
	assert_int_equal(o.max_helpers, 1);
	assert_int_equal(o.max_threads, 1);
	options_clear(&o);
	remove_conf(path);
}

/* A value the command line overrides is still checked: the file itself is wrong. */
static void test_config_bad_value_not_hidden(void **state)
{
	char *path = write_conf("[nspidfs]\nmax_helpers=0\n");

	(void)state;
	EXPECT_FAILURE(G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "max_helpers", "-c", path,
		       "--max-helpers=2");
	remove_conf(path);
}

static void test_config_bad_strategy(void **state)
{
	(void)state;
	expect_config_failure("[nspidfs]\nstrategy=bogus\n", G_OPTION_ERROR,
			      G_OPTION_ERROR_BAD_VALUE, "\"bogus\"");
	expect_config_failure("[nspidfs]\nstrategy=\n", G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			      "strategy");
}

static void test_config_bad_debug(void **state)
{
	(void)state;
	expect_config_failure("[nspidfs]\ndebug=maybe\n", G_KEY_FILE_ERROR,
			      G_KEY_FILE_ERROR_INVALID_VALUE, "debug");
}

/* A file without [nspidfs] (comments only) sets nothing: the defaults stay. */
static void test_config_missing_group(void **state)
{
	struct nspidfs_options o;
	g_autoptr(GError) err = NULL;
	char *path = write_conf("# nothing set here\n");

	(void)state;
	assert_true(PARSE(&o, &err, "-c", path));
	assert_null(err);
	assert_defaults_except_config(&o);
	assert_string_equal(o.config_path, path);
	options_clear(&o);
	remove_conf(path);
}

static void test_config_missing_file(void **state)
{
	g_autofree char *path = g_build_filename(tmpdir, "does-not-exist.conf", NULL);
	g_autofree char *arg = g_strconcat("--config=", path, NULL);

	(void)state;
	EXPECT_FAILURE(G_FILE_ERROR, G_FILE_ERROR_NOENT, path, arg);
	/* The same without the hermetic --config in front. */
	{
		struct nspidfs_options o;
		g_autoptr(GError) err = NULL;

		assert_false(PARSE_RAW(&o, &err, "-c", path));
		assert_true(g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT));
		assert_error_contains(err, path);
		options_clear(&o);
	}
	/* A directory is not a configuration file either. */
	EXPECT_FAILURE(0, 0, tmpdir, "-c", tmpdir);
}

static void test_config_malformed(void **state)
{
	(void)state;
	/* GLib reports these as "does not start with a group" or as a parse error. */
	expect_config_failure("this is not a key file\n", G_KEY_FILE_ERROR, ANY_CODE, "group");
	expect_config_failure("max_helpers=2\n[nspidfs]\n", G_KEY_FILE_ERROR, ANY_CODE, "group");
	expect_config_failure("[nspidfs\nmax_helpers=2\n", G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE,
			      "[nspidfs");
	expect_config_failure("[nspidfs]\njust words\n", G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE,
			      "just words");
	expect_config_failure("\x7f\x45\x4c\x46\x02\x01\x01\n", G_KEY_FILE_ERROR, ANY_CODE, "");
}

static void test_config_path(void **state)
{
	struct nspidfs_options o;
	g_autoptr(GError) err = NULL;
	char *first = write_conf("[nspidfs]\nmax_threads=5\n");
	char *second = write_conf("[nspidfs]\nmax_threads=6\n");

	(void)state;
	assert_true(PARSE_RAW(&o, &err, "--config", first));
	assert_string_equal(o.config_path, first);
	assert_int_equal(o.max_threads, 5);
	options_clear(&o);

	/* Only one file is read: the last one given. */
	assert_true(PARSE_RAW(&o, &err, "-c", first, "-c", second));
	assert_string_equal(o.config_path, second);
	assert_int_equal(o.max_threads, 6);
	options_clear(&o);

	remove_conf(first);
	remove_conf(second);
}

static void test_help(void **state)
{
	static const char *const longs[] = {
	    "--foreground",  "--debug",		 "--single-thread",	 "--option",
	    "--config",	     "--strategy",	 "--helper-timeout",	 "--max-helpers",
	    "--helper-rate", "--helper-suspend", "--max-threads",	 "--ready-fd",
	    "--version",     "--help",		 "--allow-nested-pidns",
	};
	static const char *const shorts[] = {"-f,", "-d,", "-s,", "-o,", "-c,", "-V,", "-h,"};
	char *help = options_help();

	(void)state;
	assert_non_null(help);
	for (size_t i = 0; i < G_N_ELEMENTS(longs); i++) {
		if (!strstr(help, longs[i]))
			fail_msg("help lacks %s:\n%s", longs[i], help);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(shorts); i++) {
		if (!strstr(help, shorts[i]))
			fail_msg("help lacks %s:\n%s", shorts[i], help);
	}
	assert_non_null(strstr(help, "MOUNTPOINT"));
	assert_non_null(strstr(help, NSPIDFS_DEFAULT_CONFIG));
	assert_non_null(strstr(help, "auto|ioctl|status|creds"));
	g_free(help);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_no_config),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_options_clear),
	    cmocka_unit_test(test_positional_mountpoint),
	    cmocka_unit_test(test_two_positionals),
	    cmocka_unit_test(test_foreground),
	    cmocka_unit_test(test_debug),
	    cmocka_unit_test(test_allow_nested_pidns),
	    cmocka_unit_test(test_single_thread),
	    cmocka_unit_test(test_fuse_opts),
	    cmocka_unit_test(test_fuse_opts_refused),
	    cmocka_unit_test(test_strategy_valid),
	    cmocka_unit_test(test_bad_values),
	    cmocka_unit_test(test_helper_timeout),
	    cmocka_unit_test(test_max_helpers),
	    cmocka_unit_test(test_helper_rate_and_suspend),
	    cmocka_unit_test(test_max_threads),
	    cmocka_unit_test(test_ready_fd),
	    cmocka_unit_test(test_unknown_option),
	    cmocka_unit_test(test_error_then_success),
	    cmocka_unit_test(test_version),
	    cmocka_unit_test(test_config_all_keys),
	    cmocka_unit_test(test_config_explicit_defaults),
	    cmocka_unit_test(test_config_each_key_alone),
	    cmocka_unit_test(test_config_cli_overrides),
	    cmocka_unit_test(test_config_unknown_key),
	    cmocka_unit_test(test_config_unknown_section),
	    cmocka_unit_test(test_config_bad_integer),
	    cmocka_unit_test(test_config_out_of_range),
	    cmocka_unit_test(test_config_range_limits),
	    cmocka_unit_test(test_config_bad_value_not_hidden),
	    cmocka_unit_test(test_config_bad_strategy),
	    cmocka_unit_test(test_config_bad_debug),
	    cmocka_unit_test(test_config_missing_group),
	    cmocka_unit_test(test_config_missing_file),
	    cmocka_unit_test(test_config_malformed),
	    cmocka_unit_test(test_config_path),
	    cmocka_unit_test(test_help),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

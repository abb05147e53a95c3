/* Unit tests for the namespace view's text (format_ns.c) and the JSON strings (json.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <string.h>

#include "format_ns.h"
#include "json.h"
#include "json_check.h"

/* Inodes are in the usual range; C's is below B's, though added after it, to test sorting. */
#define ROOT UINT64_C(4026531836)
#define NS_A UINT64_C(4026532306)
#define NS_B UINT64_C(4026532400)
#define NS_C UINT64_C(4026532350)
#define NS_D UINT64_C(4026532600)
#define NS_E UINT64_C(4026532700)

typedef GString *(*ns_formatter)(const struct ns_model *m, const struct ns_info *ns);

#define ADD(m, host, state, comm, ns, ...)                                                         \
	do {                                                                                       \
		const pid_t nspid_[] = {__VA_ARGS__};                                              \
		ns_model_add_proc(m, host, state, 1, comm, ns, nspid_, G_N_ELEMENTS(nspid_), 100); \
	} while (0)

/*
 * ROOT (level 0): systemd, sshd, a zombie
 *   A (level 1): only its init live, and a zombie
 *     B (level 2): a leaf, whose PIDs sort otherwise than the host's; a zombie
 *     C (level 2)
 *       D (level 3)
 *   E (level 1): no process at all, as when a namespace's last process is exiting
 */
static struct ns_model *model_three_levels(void)
{
	struct ns_model *m = ns_model_new(ROOT);

	ns_model_add_ns(m, NS_E, ROOT, 1);
	ns_model_add_ns(m, NS_B, NS_A, 2);
	ns_model_add_ns(m, NS_C, NS_A, 2);
	ns_model_add_ns(m, NS_D, NS_C, 3);
	ns_model_add_ns(m, NS_A, ROOT, 1);
	ADD(m, 1, 'S', "systemd", ROOT, 1);
	ADD(m, 523, 'S', "sshd", ROOT, 523);
	ADD(m, 600, 'Z', "oldjob", ROOT, 600);
	ADD(m, 5123, 'S', "sh", NS_A, 5123, 1);
	ADD(m, 5124, 'Z', "defunct", NS_A, 5124, 2);
	ADD(m, 5130, 'S', "init", NS_C, 5130, 3, 1);
	ADD(m, 5131, 'R', "worker", NS_C, 5131, 4, 2);
	ADD(m, 5140, 'S', "sh", NS_B, 5140, 9, 1);
	ADD(m, 5141, 'S', "sleep", NS_B, 5141, 10, 7);
	ADD(m, 5145, 'D', "cat", NS_B, 5145, 11, 2);
	ADD(m, 5146, 'X', "gone", NS_B, 5146, 12, 3);
	ADD(m, 5170, 'S', "app", NS_D, 5170, 6, 5, 1);
	ns_model_finish(m);
	return m;
}

static const struct ns_info *find(const struct ns_model *m, uint64_t ino)
{
	const struct ns_info *ns = ns_model_find(m, ino);

	assert_non_null(ns);
	return ns;
}

/* Format and compare the whole text, length included. */
static void expect(ns_formatter f, const struct ns_model *m, uint64_t ino, const char *expected)
{
	GString *s = f(m, find(m, ino));

	assert_non_null(s);
	assert_string_equal(s->str, expected);
	assert_int_equal(s->len, strlen(expected));
	g_string_free(s, TRUE);
}

static unsigned count_lines(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_children(void **state)
{
	g_autoptr(ns_model) m = model_three_levels();

	(void)state;
	expect(format_ns_children, m, ROOT, "4026532306\n4026532700\n");
	expect(format_ns_children, m, NS_A, "4026532350\n4026532400\n");
	expect(format_ns_children, m, NS_C, "4026532600\n");
	expect(format_ns_children, m, NS_B, "");
	expect(format_ns_children, m, NS_E, "");
}

static void test_pids(void **state)
{
	g_autoptr(ns_model) m = model_three_levels();

	(void)state;
	expect(format_ns_pids, m, ROOT,
	       "1 1\n523 523\n5123 5123\n5130 5130\n5131 5131\n5140 5140\n5141 5141\n"
	       "5145 5145\n5170 5170\n");
	/* Ordered by the PID inside the namespace, not the host's. */
	expect(format_ns_pids, m, NS_A,
	       "5123 1\n5130 3\n5131 4\n5170 6\n5140 9\n5141 10\n5145 11\n");
	expect(format_ns_pids, m, NS_B, "5140 1\n5145 2\n5141 7\n");
	expect(format_ns_pids, m, NS_C, "5130 1\n5131 2\n5170 5\n");
	expect(format_ns_pids, m, NS_D, "5170 1\n");
	expect(format_ns_pids, m, NS_E, "");
}

static void test_init_level(void **state)
{
	g_autoptr(ns_model) m = model_three_levels();

	(void)state;
	expect(format_ns_init, m, ROOT, "1\n");
	expect(format_ns_init, m, NS_A, "5123\n");
	expect(format_ns_init, m, NS_B, "5140\n");
	expect(format_ns_init, m, NS_D, "5170\n");
	expect(format_ns_init, m, NS_E, "0\n");
	expect(format_ns_level, m, ROOT, "0\n");
	expect(format_ns_level, m, NS_A, "1\n");
	expect(format_ns_level, m, NS_C, "2\n");
	expect(format_ns_level, m, NS_D, "3\n");
}

static void test_json(void **state)
{
	g_autoptr(ns_model) m = model_three_levels();

	(void)state;
	expect(format_ns_json, m, ROOT,
	       "{\"ns\":4026531836,\"level\":0,\"parent\":null,\"init\":1,"
	       "\"children\":[4026532306,4026532700],\"pids\":["
	       "{\"host_pid\":1,\"ns_pid\":1,\"comm\":\"systemd\"},"
	       "{\"host_pid\":523,\"ns_pid\":523,\"comm\":\"sshd\"},"
	       "{\"host_pid\":5123,\"ns_pid\":5123,\"comm\":\"sh\"},"
	       "{\"host_pid\":5130,\"ns_pid\":5130,\"comm\":\"init\"},"
	       "{\"host_pid\":5131,\"ns_pid\":5131,\"comm\":\"worker\"},"
	       "{\"host_pid\":5140,\"ns_pid\":5140,\"comm\":\"sh\"},"
	       "{\"host_pid\":5141,\"ns_pid\":5141,\"comm\":\"sleep\"},"
	       "{\"host_pid\":5145,\"ns_pid\":5145,\"comm\":\"cat\"},"
	       "{\"host_pid\":5170,\"ns_pid\":5170,\"comm\":\"app\"}]}\n");
	expect(format_ns_json, m, NS_A,
	       "{\"ns\":4026532306,\"level\":1,\"parent\":4026531836,\"init\":5123,"
	       "\"children\":[4026532350,4026532400],\"pids\":["
	       "{\"host_pid\":5123,\"ns_pid\":1,\"comm\":\"sh\"},"
	       "{\"host_pid\":5130,\"ns_pid\":3,\"comm\":\"init\"},"
	       "{\"host_pid\":5131,\"ns_pid\":4,\"comm\":\"worker\"},"
	       "{\"host_pid\":5170,\"ns_pid\":6,\"comm\":\"app\"},"
	       "{\"host_pid\":5140,\"ns_pid\":9,\"comm\":\"sh\"},"
	       "{\"host_pid\":5141,\"ns_pid\":10,\"comm\":\"sleep\"},"
	       "{\"host_pid\":5145,\"ns_pid\":11,\"comm\":\"cat\"}]}\n");
	expect(format_ns_json, m, NS_B,
	       "{\"ns\":4026532400,\"level\":2,\"parent\":4026532306,\"init\":5140,"
	       "\"children\":[],\"pids\":["
	       "{\"host_pid\":5140,\"ns_pid\":1,\"comm\":\"sh\"},"
	       "{\"host_pid\":5145,\"ns_pid\":2,\"comm\":\"cat\"},"
	       "{\"host_pid\":5141,\"ns_pid\":7,\"comm\":\"sleep\"}]}\n");
	expect(format_ns_json, m, NS_E,
	       "{\"ns\":4026532700,\"level\":1,\"parent\":4026531836,\"init\":0,"
	       "\"children\":[],\"pids\":[]}\n");
	for (guint i = 0; i < m->order->len; i++) {
		GString *s = format_ns_json(m, g_ptr_array_index(m->order, i));

		assert_true(json_is_valid(s->str));
		g_string_free(s, TRUE);
	}
}

static const char tree_root[] = "ns 4026531836 level 0 init 1 (systemd)\n"
				"  1 systemd\n"
				"  523 sshd\n"
				"  ns 4026532306 level 1 init 5123 (sh)\n"
				"    5123:1 sh\n"
				"    ns 4026532350 level 2 init 5130 (init)\n"
				"      5130:3:1 init\n"
				"      5131:4:2 worker\n"
				"      ns 4026532600 level 3 init 5170 (app)\n"
				"        5170:6:5:1 app\n"
				"    ns 4026532400 level 2 init 5140 (sh)\n"
				"      5140:9:1 sh\n"
				"      5145:11:2 cat\n"
				"      5141:10:7 sleep\n"
				"  ns 4026532700 level 1 init 0\n";

static void test_tree(void **state)
{
	g_autoptr(ns_model) m = model_three_levels();

	(void)state;
	expect(format_tree, m, ROOT, tree_root);
}

/* A subtree is indented from its own top, and shows nothing of its parent's or siblings'. */
static void test_subtree(void **state)
{
	g_autoptr(ns_model) m = model_three_levels();

	(void)state;
	expect(format_tree, m, NS_A,
	       "ns 4026532306 level 1 init 5123 (sh)\n"
	       "  5123:1 sh\n"
	       "  ns 4026532350 level 2 init 5130 (init)\n"
	       "    5130:3:1 init\n"
	       "    5131:4:2 worker\n"
	       "    ns 4026532600 level 3 init 5170 (app)\n"
	       "      5170:6:5:1 app\n"
	       "  ns 4026532400 level 2 init 5140 (sh)\n"
	       "    5140:9:1 sh\n"
	       "    5145:11:2 cat\n"
	       "    5141:10:7 sleep\n");
	expect(format_tree, m, NS_C,
	       "ns 4026532350 level 2 init 5130 (init)\n"
	       "  5130:3:1 init\n"
	       "  5131:4:2 worker\n"
	       "  ns 4026532600 level 3 init 5170 (app)\n"
	       "    5170:6:5:1 app\n");
	expect(format_tree, m, NS_B,
	       "ns 4026532400 level 2 init 5140 (sh)\n"
	       "  5140:9:1 sh\n"
	       "  5145:11:2 cat\n"
	       "  5141:10:7 sleep\n");
	expect(format_tree, m, NS_E, "ns 4026532700 level 1 init 0\n");
}

/* A model with no process and no child namespace: every text is empty or a single value. */
static void test_empty_model(void **state)
{
	g_autoptr(ns_model) m = ns_model_new(ROOT);

	(void)state;
	ns_model_finish(m);
	expect(format_ns_children, m, ROOT, "");
	expect(format_ns_pids, m, ROOT, "");
	expect(format_ns_init, m, ROOT, "0\n");
	expect(format_ns_level, m, ROOT, "0\n");
	expect(format_ns_json, m, ROOT,
	       "{\"ns\":4026531836,\"level\":0,\"parent\":null,\"init\":0,"
	       "\"children\":[],\"pids\":[]}\n");
	expect(format_tree, m, ROOT, "ns 4026531836 level 0 init 0\n");
}

/* A namespace whose init is a zombie has no init, and its zombies appear nowhere. */
static void test_zombie_init(void **state)
{
	g_autoptr(ns_model) m = ns_model_new(ROOT);

	(void)state;
	ns_model_add_ns(m, NS_A, ROOT, 1);
	ADD(m, 1, 'S', "init", ROOT, 1);
	ADD(m, 700, 'Z', "dead-init", NS_A, 700, 1);
	ADD(m, 701, 'Z', "dead-child", NS_A, 701, 2);
	ns_model_finish(m);
	expect(format_ns_init, m, NS_A, "0\n");
	expect(format_ns_pids, m, NS_A, "");
	expect(format_ns_pids, m, ROOT, "1 1\n");
	expect(format_ns_json, m, NS_A,
	       "{\"ns\":4026532306,\"level\":1,\"parent\":4026531836,\"init\":0,"
	       "\"children\":[],\"pids\":[]}\n");
	expect(format_tree, m, ROOT,
	       "ns 4026531836 level 0 init 1 (init)\n"
	       "  1 init\n"
	       "  ns 4026532306 level 1 init 0\n");
}

struct escape_case {
	const char *in, *json, *tree;
};

/*
 * Name, its JSON string, its form in the tree. The invalid ones: a lone continuation byte, a
 * truncated sequence, an overlong '/', a UTF-16 surrogate, a code point above U+10FFFF; each
 * byte is replaced. U+009B (CSI) is valid UTF-8, but a terminal would obey it: JSON escapes it
 * as it does C0 controls, tree shows its bytes. The attack is a name a process can give itself
 * (15 bytes at most): ESC ] 0 ; x BEL retitles the terminal, ESC [ 2 J clears it.
 */
static const struct escape_case escapes[] = {
    {"plain", "\"plain\"", "plain"},
    {"", "\"\"", ""},
    {"a\"b", "\"a\\\"b\"", "a\"b"},
    {"back\\slash", "\"back\\\\slash\"", "back\\\\slash"},
    {"new\nline", "\"new\\nline\"", "new\\nline"},
    {"tab\there", "\"tab\\there\"", "tab\\there"},
    {"\r\b\f", "\"\\r\\b\\f\"", "\\x0d\\x08\\x0c"},
    {"\x01_ctl\x7f", "\"\\u0001_ctl\\u007f\"", "\\x01_ctl\\x7f"},
    {"\x1b[31mred", "\"\\u001b[31mred\"", "\\x1b[31mred"},
    {"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", "\"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac\"",
     "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac"},
    {"\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"", "\xf0\x9f\x98\x80"},
    {"\xff", "\"\\ufffd\"", "\\xff"},
    {"x\xe6\x97", "\"x\\ufffd\\ufffd\"", "x\\xe6\\x97"},
    {"\xe6\x97z", "\"\\ufffd\\ufffdz\"", "\\xe6\\x97z"},
    {"\xf0\x9f\x98", "\"\\ufffd\\ufffd\\ufffd\"", "\\xf0\\x9f\\x98"},
    {"\xc0\xaf", "\"\\ufffd\\ufffd\"", "\\xc0\\xaf"},
    {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"", "\\xed\\xa0\\x80"},
    {"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", "\\xf4\\x90\\x80\\x80"},
    {"\x80z", "\"\\ufffdz\"", "\\x80z"},
    {"\xc2\x9bJ", "\"\\u009bJ\"", "\\xc2\\x9bJ"},
    {"\x1b]0;x\a\x1b[2J", "\"\\u001b]0;x\\u0007\\u001b[2J\"", "\\x1b]0;x\\x07\\x1b[2J"},
    {"\302\2332J", "\"\\u009b2J\"", "\\xc2\\x9b2J"}, /* octal: hex would take the 2 */
    {"\xc2\x80\xc2\x9f\xc2\x85", "\"\\u0080\\u009f\\u0085\"", "\\xc2\\x80\\xc2\\x9f\\xc2\\x85"},
    {"\\x1b", "\"\\\\x1b\"", "\\\\x1b"}, /* spells an escape: is not one */
    {"\xc2\xa0", "\"\xc2\xa0\"", "\xc2\xa0"},
};

static void test_json_string(void **state)
{
	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(escapes); i++) {
		GString *s = g_string_new(NULL);

		json_append_string(s, escapes[i].in);
		assert_string_equal(s->str, escapes[i].json);
		assert_true(json_is_valid(s->str));
		g_string_free(s, TRUE);
	}
}

/* With a length, NUL is just another control byte. */
static void test_json_string_len(void **state)
{
	GString *s = g_string_new(NULL);

	(void)state;
	json_append_string_len(s, "a\0b\xe6\x97\xa5", 4);
	assert_string_equal(s->str, "\"a\\u0000b\\ufffd\"");
	assert_true(json_is_valid(s->str));
	g_string_free(s, TRUE);
}

/* One process per name, each the init of its own namespace, to see the name twice. */
static struct ns_model *model_named(const char *const *names, unsigned n)
{
	struct ns_model *m = ns_model_new(ROOT);

	for (unsigned i = 0; i < n; i++) {
		pid_t host = (pid_t)(100 + i);

		ns_model_add_ns(m, NS_A + i, ROOT, 1);
		ADD(m, host, 'S', names[i], NS_A + i, host, 1);
	}
	ns_model_finish(m);
	return m;
}

static void test_escaped_names(void **state)
{
	const char *names[G_N_ELEMENTS(escapes)];
	g_autoptr(ns_model) m = NULL;
	GString *want = g_string_new("ns 4026531836 level 0 init 0\n");
	GString *json;

	(void)state;
	for (unsigned i = 0; i < G_N_ELEMENTS(escapes); i++) {
		names[i] = escapes[i].in;
		g_string_append_printf(want, "  ns %" PRIu64 " level 1 init %u (%s)\n", NS_A + i,
				       100 + i, escapes[i].tree);
		g_string_append_printf(want, "    %u:1 %s\n", 100 + i, escapes[i].tree);
	}
	m = model_named(names, G_N_ELEMENTS(names));
	expect(format_tree, m, ROOT, want->str);
	assert_int_equal(count_lines(want->str), 1 + 2 * G_N_ELEMENTS(escapes));
	g_string_free(want, TRUE);

	/* Each namespace's JSON, whose one process has the name, exactly. */
	for (unsigned i = 0; i < G_N_ELEMENTS(escapes); i++) {
		g_autofree char *want_json = g_strdup_printf(
		    "{\"ns\":%" PRIu64 ",\"level\":1,\"parent\":4026531836,\"init\":%u,"
		    "\"children\":[],\"pids\":[{\"host_pid\":%u,\"ns_pid\":1,\"comm\":%s}]}\n",
		    NS_A + i, 100 + i, 100 + i, escapes[i].json);

		expect(format_ns_json, m, NS_A + i, want_json);
	}
	json = format_ns_json(m, find(m, ROOT));
	assert_true(json_is_valid(json->str));
	g_string_free(json, TRUE);
}

/* Whatever the bytes of the names: valid JSON, valid UTF-8 and one line per process. */
static void test_random_names(void **state)
{
	enum { NAMES = 200 };
	g_autoptr(GRand) rand = g_rand_new_with_seed(8259);
	char buf[NAMES][NS_COMM_MAX];
	const char *names[NAMES];
	g_autoptr(ns_model) m = NULL;
	GString *s;

	(void)state;
	for (unsigned i = 0; i < NAMES; i++) {
		unsigned len = (unsigned)g_rand_int_range(rand, 0, NS_COMM_MAX);

		for (unsigned k = 0; k < len; k++)
			buf[i][k] = (char)g_rand_int_range(rand, 1, 256);
		buf[i][len] = '\0';
		names[i] = buf[i];
	}
	m = model_named(names, NAMES);
	s = format_ns_json(m, find(m, ROOT));
	assert_true(json_is_valid(s->str));
	g_string_free(s, TRUE);
	s = format_tree(m, find(m, ROOT));
	assert_true(g_utf8_validate(s->str, -1, NULL));
	assert_int_equal(count_lines(s->str), 1 + 2 * NAMES);
	g_string_free(s, TRUE);
}

/* The checker must reject, or the tests above that rely on it prove nothing. */
static void test_json_checker(void **state)
{
	static const char *const bad[] = {
	    "",	       "{",	      "{\"a\":1,}", "[1 2]", "01",    "1.",  "\"\x01\"",
	    "\"\\x\"", "\"\\ud800\"", "\"\xff\"",   "[1] x", "{a:1}", "nul", "\"abc",
	};

	(void)state;
	assert_true(
	    json_is_valid(" {\"a\":[1,-2.5e3,true,false,null,\"x\\u00e9\\n\"],\"b\":{}}\n"));
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		assert_false(json_is_valid(bad[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_children),	  cmocka_unit_test(test_pids),
	    cmocka_unit_test(test_init_level),	  cmocka_unit_test(test_json),
	    cmocka_unit_test(test_tree),	  cmocka_unit_test(test_subtree),
	    cmocka_unit_test(test_empty_model),	  cmocka_unit_test(test_zombie_init),
	    cmocka_unit_test(test_json_string),	  cmocka_unit_test(test_json_string_len),
	    cmocka_unit_test(test_escaped_names), cmocka_unit_test(test_random_names),
	    cmocka_unit_test(test_json_checker),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

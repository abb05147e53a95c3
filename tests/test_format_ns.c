/* Unit tests for the namespace view's text (format_ns.c) and the JSON strings (json.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <string.h>

#include "cases.h"
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

/* A model with no process and no child namespace: every text is empty or a single value. */
static struct ns_model *model_empty(void)
{
	struct ns_model *m = ns_model_new(ROOT);

	ns_model_finish(m);
	return m;
}

/* A namespace whose init is a zombie has no init, and its zombies appear nowhere. */
static struct ns_model *model_zombie_init(void)
{
	struct ns_model *m = ns_model_new(ROOT);

	ns_model_add_ns(m, NS_A, ROOT, 1);
	ADD(m, 1, 'S', "init", ROOT, 1);
	ADD(m, 700, 'Z', "dead-init", NS_A, 700, 1);
	ADD(m, 701, 'Z', "dead-child", NS_A, 701, 2);
	ns_model_finish(m);
	return m;
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

/* The whole text one formatter makes of one namespace of a model. */
struct format_case {
	const char *name;
	struct ns_model *(*model)(void);
	ns_formatter format;
	uint64_t ns;
	const char *want;
};

/* The JSON of a namespace whose init is in no container. */
static GString *ns_json(const struct ns_model *m, const struct ns_info *ns)
{
	return format_ns_json(m, ns, NULL);
}

static const struct format_case format_cases[] = {
    {"children of the top", model_three_levels, format_ns_children, ROOT,
     "4026532306\n4026532700\n"},
    {"children, sorted by inode", model_three_levels, format_ns_children, NS_A,
     "4026532350\n4026532400\n"},
    {"children of a middle level", model_three_levels, format_ns_children, NS_C, "4026532600\n"},
    {"children of a leaf", model_three_levels, format_ns_children, NS_B, ""},
    {"children of a namespace without processes", model_three_levels, format_ns_children, NS_E, ""},

    {"pids of the top", model_three_levels, format_ns_pids, ROOT,
     "1 1\n523 523\n5123 5123\n5130 5130\n5131 5131\n5140 5140\n5141 5141\n5145 5145\n"
     "5170 5170\n"},
    /* Ordered by the PID inside the namespace, not the host's. */
    {"pids, by the PID inside", model_three_levels, format_ns_pids, NS_A,
     "5123 1\n5130 3\n5131 4\n5170 6\n5140 9\n5141 10\n5145 11\n"},
    {"pids of a leaf whose PIDs sort otherwise", model_three_levels, format_ns_pids, NS_B,
     "5140 1\n5145 2\n5141 7\n"},
    {"pids of a middle level", model_three_levels, format_ns_pids, NS_C,
     "5130 1\n5131 2\n5170 5\n"},
    {"pids of the deepest level", model_three_levels, format_ns_pids, NS_D, "5170 1\n"},
    {"pids of a namespace without processes", model_three_levels, format_ns_pids, NS_E, ""},

    {"init of the top", model_three_levels, format_ns_init, ROOT, "1\n"},
    {"init whose namespace has zombies", model_three_levels, format_ns_init, NS_A, "5123\n"},
    {"init of a leaf", model_three_levels, format_ns_init, NS_B, "5140\n"},
    {"init of the deepest level", model_three_levels, format_ns_init, NS_D, "5170\n"},
    {"init of a namespace without processes", model_three_levels, format_ns_init, NS_E, "0\n"},
    {"level of the top", model_three_levels, format_ns_level, ROOT, "0\n"},
    {"level 1", model_three_levels, format_ns_level, NS_A, "1\n"},
    {"level 2", model_three_levels, format_ns_level, NS_C, "2\n"},
    {"level 3", model_three_levels, format_ns_level, NS_D, "3\n"},

    {"json of the top", model_three_levels, ns_json, ROOT,
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
     "{\"host_pid\":5170,\"ns_pid\":5170,\"comm\":\"app\"}],\"container\":null}\n"},
    {"json of level 1", model_three_levels, ns_json, NS_A,
     "{\"ns\":4026532306,\"level\":1,\"parent\":4026531836,\"init\":5123,"
     "\"children\":[4026532350,4026532400],\"pids\":["
     "{\"host_pid\":5123,\"ns_pid\":1,\"comm\":\"sh\"},"
     "{\"host_pid\":5130,\"ns_pid\":3,\"comm\":\"init\"},"
     "{\"host_pid\":5131,\"ns_pid\":4,\"comm\":\"worker\"},"
     "{\"host_pid\":5170,\"ns_pid\":6,\"comm\":\"app\"},"
     "{\"host_pid\":5140,\"ns_pid\":9,\"comm\":\"sh\"},"
     "{\"host_pid\":5141,\"ns_pid\":10,\"comm\":\"sleep\"},"
     "{\"host_pid\":5145,\"ns_pid\":11,\"comm\":\"cat\"}],\"container\":null}\n"},
    {"json of a leaf", model_three_levels, ns_json, NS_B,
     "{\"ns\":4026532400,\"level\":2,\"parent\":4026532306,\"init\":5140,"
     "\"children\":[],\"pids\":["
     "{\"host_pid\":5140,\"ns_pid\":1,\"comm\":\"sh\"},"
     "{\"host_pid\":5145,\"ns_pid\":2,\"comm\":\"cat\"},"
     "{\"host_pid\":5141,\"ns_pid\":7,\"comm\":\"sleep\"}],\"container\":null}\n"},
    {"json of a namespace without processes", model_three_levels, ns_json, NS_E,
     "{\"ns\":4026532700,\"level\":1,\"parent\":4026531836,\"init\":0,"
     "\"children\":[],\"pids\":[],\"container\":null}\n"},

    {"tree from the top", model_three_levels, format_tree, ROOT, tree_root},
    /* A subtree is indented from its own top, and shows nothing of its parent's or siblings'. */
    {"tree from level 1", model_three_levels, format_tree, NS_A,
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
     "    5141:10:7 sleep\n"},
    {"tree from a middle level", model_three_levels, format_tree, NS_C,
     "ns 4026532350 level 2 init 5130 (init)\n"
     "  5130:3:1 init\n"
     "  5131:4:2 worker\n"
     "  ns 4026532600 level 3 init 5170 (app)\n"
     "    5170:6:5:1 app\n"},
    {"tree from a leaf", model_three_levels, format_tree, NS_B,
     "ns 4026532400 level 2 init 5140 (sh)\n"
     "  5140:9:1 sh\n"
     "  5145:11:2 cat\n"
     "  5141:10:7 sleep\n"},
    {"tree from a namespace without processes", model_three_levels, format_tree, NS_E,
     "ns 4026532700 level 1 init 0\n"},

    {"empty model: children", model_empty, format_ns_children, ROOT, ""},
    {"empty model: pids", model_empty, format_ns_pids, ROOT, ""},
    {"empty model: init", model_empty, format_ns_init, ROOT, "0\n"},
    {"empty model: level", model_empty, format_ns_level, ROOT, "0\n"},
    {"empty model: json", model_empty, ns_json, ROOT,
     "{\"ns\":4026531836,\"level\":0,\"parent\":null,\"init\":0,"
     "\"children\":[],\"pids\":[],\"container\":null}\n"},
    {"empty model: tree", model_empty, format_tree, ROOT, "ns 4026531836 level 0 init 0\n"},

    {"zombie init: init", model_zombie_init, format_ns_init, NS_A, "0\n"},
    {"zombie init: its namespace's pids", model_zombie_init, format_ns_pids, NS_A, ""},
    {"zombie init: pids of the top", model_zombie_init, format_ns_pids, ROOT, "1 1\n"},
    {"zombie init: json", model_zombie_init, ns_json, NS_A,
     "{\"ns\":4026532306,\"level\":1,\"parent\":4026531836,\"init\":0,"
     "\"children\":[],\"pids\":[],\"container\":null}\n"},
    {"zombie init: tree", model_zombie_init, format_tree, ROOT,
     "ns 4026531836 level 0 init 1 (init)\n"
     "  1 init\n"
     "  ns 4026532306 level 1 init 0\n"},
};

static void test_format(void **state)
{
	const struct format_case *c = *state;
	g_autoptr(ns_model) m = c->model();
	const struct ns_info *ns = ns_model_find(m, c->ns);
	g_autoptr(GString) s = NULL;

	if (!ns)
		fail_msg("%s: no namespace %" PRIu64 " in the model", c->name, c->ns);
	s = c->format(m, ns);
	if (strcmp(s->str, c->want) != 0 || s->len != strlen(c->want))
		fail_msg("%s: got (%zu bytes)\n%s\nwant\n%s", c->name, s->len, s->str, c->want);
	if (c->format == ns_json && !json_is_valid(s->str))
		fail_msg("%s: not valid JSON", c->name);
}

/* Every namespace's JSON, not only those written out above. */
static void test_json_valid(void **state)
{
	g_autoptr(ns_model) m = model_three_levels();

	(void)state;
	for (guint i = 0; i < m->order->len; i++) {
		GString *s = format_ns_json(m, g_ptr_array_index(m->order, i), NULL);

		assert_true(json_is_valid(s->str));
		g_string_free(s, TRUE);
	}
}

struct escape_case {
	const char *name;
	const char *in, *json, *tree;
};

/*
 * A process name, its JSON string, its form in the tree. The invalid ones: a lone continuation
 * byte, a truncated sequence, an overlong '/', a UTF-16 surrogate, a code point above U+10FFFF;
 * each byte is replaced. U+009B (CSI) is valid UTF-8, but a terminal would obey it: JSON escapes it
 * as it does C0 controls, tree shows its bytes. The attack is a name a process can give itself
 * (15 bytes at most): ESC ] 0 ; x BEL retitles the terminal, ESC [ 2 J clears it.
 */
static const struct escape_case escapes[] = {
    {"json string: plain", "plain", "\"plain\"", "plain"},
    {"json string: empty", "", "\"\"", ""},
    {"json string: a double quote", "a\"b", "\"a\\\"b\"", "a\"b"},
    {"json string: a backslash", "back\\slash", "\"back\\\\slash\"", "back\\\\slash"},
    {"json string: a newline", "new\nline", "\"new\\nline\"", "new\\nline"},
    {"json string: a tab", "tab\there", "\"tab\\there\"", "tab\\there"},
    {"json string: CR, BS and FF", "\r\b\f", "\"\\r\\b\\f\"", "\\x0d\\x08\\x0c"},
    {"json string: C0 controls and DEL", "\x01_ctl\x7f", "\"\\u0001_ctl\\u007f\"",
     "\\x01_ctl\\x7f"},
    {"json string: a colour sequence", "\x1b[31mred", "\"\\u001b[31mred\"", "\\x1b[31mred"},
    {"json string: two- and three-byte UTF-8", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac",
     "\"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac\"", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac"},
    {"json string: four-byte UTF-8", "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"",
     "\xf0\x9f\x98\x80"},
    {"json string: a byte never in UTF-8", "\xff", "\"\\ufffd\"", "\\xff"},
    {"json string: a sequence cut at the end", "x\xe6\x97", "\"x\\ufffd\\ufffd\"", "x\\xe6\\x97"},
    {"json string: a sequence cut before ASCII", "\xe6\x97z", "\"\\ufffd\\ufffdz\"", "\\xe6\\x97z"},
    {"json string: a four-byte sequence cut", "\xf0\x9f\x98", "\"\\ufffd\\ufffd\\ufffd\"",
     "\\xf0\\x9f\\x98"},
    {"json string: an overlong '/'", "\xc0\xaf", "\"\\ufffd\\ufffd\"", "\\xc0\\xaf"},
    {"json string: a UTF-16 surrogate", "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"",
     "\\xed\\xa0\\x80"},
    {"json string: above U+10FFFF", "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
     "\\xf4\\x90\\x80\\x80"},
    {"json string: a lone continuation byte", "\x80z", "\"\\ufffdz\"", "\\x80z"},
    {"json string: CSI as U+009B", "\xc2\x9bJ", "\"\\u009bJ\"", "\\xc2\\x9bJ"},
    {"json string: retitle and clear a terminal", "\x1b]0;x\a\x1b[2J",
     "\"\\u001b]0;x\\u0007\\u001b[2J\"", "\\x1b]0;x\\x07\\x1b[2J"},
    {"json string: CSI as U+009B, then a digit", "\302\2332J", "\"\\u009b2J\"",
     "\\xc2\\x9b2J"}, /* octal: hex would take the 2 */
    {"json string: C1 controls", "\xc2\x80\xc2\x9f\xc2\x85", "\"\\u0080\\u009f\\u0085\"",
     "\\xc2\\x80\\xc2\\x9f\\xc2\\x85"},
    {"json string: a name spelling an escape", "\\x1b", "\"\\\\x1b\"",
     "\\\\x1b"}, /* spells an escape: is not one */
    {"json string: U+00A0, just past C1", "\xc2\xa0", "\"\xc2\xa0\"", "\xc2\xa0"},
};

static void test_json_string(void **state)
{
	const struct escape_case *c = *state;
	g_autoptr(GString) s = g_string_new(NULL);

	json_append_string(s, c->in);
	if (strcmp(s->str, c->json) != 0)
		fail_msg("%s: got %s, want %s", c->name, s->str, c->json);
	if (!json_is_valid(s->str))
		fail_msg("%s: %s is not valid JSON", c->name, s->str);
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
	assert_int_equal(text_lines(want->str), 1 + 2 * G_N_ELEMENTS(escapes));
	g_string_free(want, TRUE);

	/* Each namespace's JSON, whose one process has the name, exactly. */
	for (unsigned i = 0; i < G_N_ELEMENTS(escapes); i++) {
		g_autofree char *want_json = g_strdup_printf(
		    "{\"ns\":%" PRIu64 ",\"level\":1,\"parent\":4026531836,\"init\":%u,"
		    "\"children\":[],\"pids\":[{\"host_pid\":%u,\"ns_pid\":1,\"comm\":%s}],"
		    "\"container\":null}\n",
		    NS_A + i, 100 + i, 100 + i, escapes[i].json);

		expect(ns_json, m, NS_A + i, want_json);
	}
	json = format_ns_json(m, find(m, ROOT), NULL);
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
	s = format_ns_json(m, find(m, ROOT), NULL);
	assert_true(json_is_valid(s->str));
	g_string_free(s, TRUE);
	s = format_tree(m, find(m, ROOT));
	assert_true(g_utf8_validate(s->str, -1, NULL));
	assert_int_equal(text_lines(s->str), 1 + 2 * NAMES);
	g_string_free(s, TRUE);
}

/* The checker must reject, or the tests above that rely on it prove nothing. */
struct json_refused {
	const char *name;
	const char *text;
};

static const struct json_refused json_refused[] = {
    {"json checker: nothing", ""},
    {"json checker: an object left open", "{"},
    {"json checker: a trailing comma", "{\"a\":1,}"},
    {"json checker: no comma", "[1 2]"},
    {"json checker: a leading zero", "01"},
    {"json checker: no digit after the point", "1."},
    {"json checker: a raw control", "\"\x01\""},
    {"json checker: an unknown escape", "\"\\x\""},
    {"json checker: a lone surrogate", "\"\\ud800\""},
    {"json checker: invalid UTF-8", "\"\xff\""},
    {"json checker: text after the value", "[1] x"},
    {"json checker: a bare key", "{a:1}"},
    {"json checker: a cut literal", "nul"},
    {"json checker: a string left open", "\"abc"},
};

static void test_json_checker_refuses(void **state)
{
	const struct json_refused *c = *state;

	if (json_is_valid(c->text))
		fail_msg("%s: accepted", c->name);
}

static void test_json_checker_accepts(void **state)
{
	(void)state;
	assert_true(
	    json_is_valid(" {\"a\":[1,-2.5e3,true,false,null,\"x\\u00e9\\n\"],\"b\":{}}\n"));
}

int main(void)
{
	const struct CMUnitTest fixed[] = {
	    cmocka_unit_test(test_json_valid),		 cmocka_unit_test(test_json_string_len),
	    cmocka_unit_test(test_escaped_names),	 cmocka_unit_test(test_random_names),
	    cmocka_unit_test(test_json_checker_accepts),
	};
	GArray *tests = case_tests_new(fixed);

	case_tests_add(tests, format_cases, test_format);
	case_tests_add(tests, escapes, test_json_string);
	case_tests_add(tests, json_refused, test_json_checker_refuses);
	return case_tests_run("format_ns", tests);
}

/* Unit tests for the text of the per-process files (format.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "format.h"
#include "format_container.h"
#include "json_check.h"

/* The host namespace's inode on most systems; any value would do. */
#define HOST_NS UINT64_C(4026531836)

/* A model whose unused levels hold garbage, so that reading past depth is noticed. */
static void model_init(struct proc_model *m, pid_t host_pid, unsigned depth)
{
	memset(m, 0xa5, sizeof(*m));
	m->host_pid = host_pid;
	m->start = 123456;
	m->depth = depth;
}

static void set_level(struct proc_model *m, unsigned k, uint64_t ns, pid_t pid, pid_t init)
{
	m->lv[k].ns_ino = ns;
	m->lv[k].pid = pid;
	m->lv[k].init = init;
}

/* A process in the daemon's own namespace. */
static void model_host(struct proc_model *m)
{
	model_init(m, 3312, 1);
	set_level(m, 0, HOST_NS, 3312, 1);
}

/* A process two namespaces below the daemon's (a container in a container). */
static void model_nested(struct proc_model *m)
{
	model_init(m, 3312, 3);
	set_level(m, 0, HOST_NS, 3312, 1);
	set_level(m, 1, UINT64_C(4026532306), 40, 3244);
	set_level(m, 2, UINT64_C(4026532400), 5, 3300);
}

typedef GString *(*pid_format)(const struct proc_model *m);

/* The JSON of a process in no container. */
static GString *pid_json(const struct proc_model *m)
{
	return format_pid_json(m, NULL);
}

/* Every formatter of a file of <pid>/, the JSON and the pidns link's target included. */
static const pid_format all_formats[] = {format_pid_init,    format_pid_nspid, format_pid_ancestors,
					 format_pid_ns,	     format_pid_level, pid_json,
					 format_pidns_target};

/* Format with f and compare the whole text, length included. */
static void expect_file(const struct proc_model *m, pid_format f, const char *expected)
{
	GString *s = f(m);

	assert_non_null(s);
	assert_string_equal(s->str, expected);
	assert_int_equal(s->len, strlen(expected));
	g_string_free(s, TRUE);
}

static void test_host_process(void **state)
{
	struct proc_model m;

	(void)state;
	model_host(&m);
	expect_file(&m, format_pid_init, "1\n");
	expect_file(&m, format_pid_nspid, "3312\n");
	expect_file(&m, format_pid_ns, "4026531836\n");
	expect_file(&m, format_pid_level, "0\n");
	expect_file(&m, format_pid_ancestors, "0 4026531836 3312 1\n");
}

static void test_nested_process(void **state)
{
	struct proc_model m;

	(void)state;
	model_nested(&m);
	expect_file(&m, format_pid_init, "3300\n");
	expect_file(&m, format_pid_nspid, "5\n");
	expect_file(&m, format_pid_ns, "4026532400\n");
	expect_file(&m, format_pid_level, "2\n");
	expect_file(&m, format_pid_ancestors,
		    "0 4026531836 3312 1\n"
		    "1 4026532306 40 3244\n"
		    "2 4026532400 5 3300\n");
}

/* The per-file answers come from the innermost level, not from level 0 or host_pid. */
static void test_own_level_used(void **state)
{
	struct proc_model m;

	(void)state;
	model_init(&m, 777, 2);
	set_level(&m, 0, HOST_NS, 777, 1);
	set_level(&m, 1, UINT64_C(4026532999), 1, 777);
	expect_file(&m, format_pid_init, "777\n");
	expect_file(&m, format_pid_nspid, "1\n");
	expect_file(&m, format_pid_ns, "4026532999\n");
	expect_file(&m, format_pid_level, "1\n");
	expect_file(&m, format_pid_ancestors,
		    "0 4026531836 777 1\n"
		    "1 4026532999 1 777\n");
}

static void test_max_depth(void **state)
{
	struct proc_model m;
	GString *expected = g_string_new("0 4026531836 4000000 1\n");
	GString *s;

	(void)state;
	assert_int_equal(NSPIDFS_MAX_LEVELS, 33);
	model_init(&m, 4000000, NSPIDFS_MAX_LEVELS);
	/* Level 0 is the host namespace, whose init is PID 1. */
	set_level(&m, 0, HOST_NS, 4000000, 1);
	for (unsigned k = 1; k < NSPIDFS_MAX_LEVELS; k++) {
		set_level(&m, k, HOST_NS + 470 + k, (pid_t)(4000000 - k), (pid_t)(100 + k));
		g_string_append_printf(expected, "%u %llu %d %d\n", k,
				       (unsigned long long)(HOST_NS + 470 + k), 4000000 - (int)k,
				       100 + (int)k);
	}

	s = format_pid_ancestors(&m);
	assert_int_equal(text_lines(s->str), 33);
	assert_string_equal(s->str, expected->str);
	assert_true(g_str_has_suffix(s->str, "\n32 4026532338 3999968 132\n"));
	g_string_free(s, TRUE);
	g_string_free(expected, TRUE);

	expect_file(&m, format_pid_level, "32\n");
	expect_file(&m, format_pid_nspid, "3999968\n");
	expect_file(&m, format_pid_init, "132\n");
	expect_file(&m, format_pid_ns, "4026532338\n");
}

/* Namespace inodes are 64-bit: nothing may be truncated to 32 bits. */
static void test_wide_ns_inode(void **state)
{
	struct proc_model m;

	(void)state;
	model_init(&m, 3312, 3);
	set_level(&m, 0, HOST_NS, 3312, 1);
	set_level(&m, 1, UINT64_MAX, 40, 3244);
	set_level(&m, 2, (UINT64_C(1) << 32) + 5, 5, 3300);
	expect_file(&m, format_pid_ns, "4294967301\n");
	expect_file(&m, format_pid_ancestors,
		    "0 4026531836 3312 1\n"
		    "1 18446744073709551615 40 3244\n"
		    "2 4294967301 5 3300\n");

	set_level(&m, 2, UINT64_C(0x123456789abcdef0), 5, 3300);
	expect_file(&m, format_pid_ns, "1311768467463790320\n");
}

/* The largest PID the kernel hands out (PID_MAX_LIMIT - 1). */
static void test_large_pids(void **state)
{
	struct proc_model m;

	(void)state;
	model_init(&m, 4194303, 2);
	set_level(&m, 0, HOST_NS, 4194303, 1);
	set_level(&m, 1, UINT64_C(4026532306), 4194302, 4194301);
	expect_file(&m, format_pid_init, "4194301\n");
	expect_file(&m, format_pid_nspid, "4194302\n");
	expect_file(&m, format_pid_ancestors,
		    "0 4026531836 4194303 1\n"
		    "1 4026532306 4194302 4194301\n");
}

/* The model is only read: formatting twice gives the same text. */
static void test_model_unchanged(void **state)
{
	struct proc_model m, copy;

	(void)state;
	model_nested(&m);
	memcpy(&copy, &m, sizeof(m));
	for (size_t f = 0; f < G_N_ELEMENTS(all_formats); f++)
		g_string_free(all_formats[f](&m), TRUE);
	assert_memory_equal(&m, &copy, sizeof(m));
}

static void expect_json_with(const struct proc_model *m, const struct container_info *c,
			     const char *expected)
{
	GString *s = format_pid_json(m, c);

	assert_string_equal(s->str, expected);
	assert_int_equal(s->len, strlen(expected));
	assert_true(json_is_valid(s->str));
	g_string_free(s, TRUE);
}

static void expect_json(const struct proc_model *m, const char *expected)
{
	expect_json_with(m, NULL, expected);
}

/* A name with a quote, a backslash, a newline, a control byte, invalid and valid UTF-8. */
static void test_json_nested(void **state)
{
	struct proc_model m;

	(void)state;
	model_nested(&m);
	strcpy(m.comm, "we\"ird\\\n\x01\xff\xe6\x97\xa5");
	expect_json(
	    &m, "{\"pid\":3312,\"comm\":\"we\\\"ird\\\\\\n\\u0001\\ufffd\xe6\x97\xa5\","
		"\"nspid\":5,\"init\":3300,\"level\":2,\"ns\":4026532400,\"ancestors\":["
		"{\"level\":0,\"ns\":4026531836,\"pid\":3312,\"init\":1},"
		"{\"level\":1,\"ns\":4026532306,\"pid\":40,\"init\":3244},"
		"{\"level\":2,\"ns\":4026532400,\"pid\":5,\"init\":3300}],\"container\":null}\n");
}

static void test_json_host(void **state)
{
	struct proc_model m;

	(void)state;
	model_host(&m);
	strcpy(m.comm, "systemd");
	expect_json(
	    &m, "{\"pid\":3312,\"comm\":\"systemd\",\"nspid\":3312,\"init\":1,\"level\":0,"
		"\"ns\":4026531836,\"ancestors\":["
		"{\"level\":0,\"ns\":4026531836,\"pid\":3312,\"init\":1}],\"container\":null}\n");
}

/*
 * Names a process can give itself to attack a terminal that shows the file: ESC ] 0 ; x BEL
 * (retitle) ESC [ 2 J (clear), and CSI 2 J with CSI as U+009B, valid UTF-8 (C2 9B).
 */
static void test_json_terminal_controls(void **state)
{
	struct proc_model m;

	(void)state;
	model_host(&m);
	strcpy(m.comm, "\x1b]0;x\a\x1b[2J");
	expect_json(
	    &m, "{\"pid\":3312,\"comm\":\"\\u001b]0;x\\u0007\\u001b[2J\","
		"\"nspid\":3312,\"init\":1,\"level\":0,\"ns\":4026531836,\"ancestors\":["
		"{\"level\":0,\"ns\":4026531836,\"pid\":3312,\"init\":1}],\"container\":null}\n");
	strcpy(m.comm, "\302\2332J\xc2\x80\xc2\x9f"); /* octal: hex would take the 2 */
	expect_json(
	    &m, "{\"pid\":3312,\"comm\":\"\\u009b2J\\u0080\\u009f\","
		"\"nspid\":3312,\"init\":1,\"level\":0,\"ns\":4026531836,\"ancestors\":["
		"{\"level\":0,\"ns\":4026531836,\"pid\":3312,\"init\":1}],\"container\":null}\n");
}

/* A name that fills comm with no NUL is cut at the array's end, not read past it. */
static void test_json_unterminated_comm(void **state)
{
	struct proc_model m;
	GString *want = g_string_new("{\"pid\":3312,\"comm\":\"");

	(void)state;
	model_host(&m); /* comm is all 0xa5, invalid UTF-8 */
	for (size_t i = 0; i < sizeof(m.comm); i++)
		g_string_append(want, "\\ufffd");
	g_string_append(want, "\",\"nspid\":3312,\"init\":1,\"level\":0,\"ns\":4026531836,"
			      "\"ancestors\":[{\"level\":0,\"ns\":4026531836,\"pid\":3312,\"init\":"
			      "1}],\"container\":null}\n");
	expect_json(&m, want->str);
	g_string_free(want, TRUE);
}

/* The container's facts, as the container file gives them, in the process's JSON. */
static void test_json_container(void **state)
{
	struct container_info c = {.runtime = CONTAINER_CONTAINERD, .qos = POD_QOS_BURSTABLE};
	struct proc_model m;
	GString *text;

	(void)state;
	model_host(&m);
	strcpy(m.comm, "app");
	strcpy(c.id, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	strcpy(c.name, "web");
	strcpy(c.pod_uid, "1b4e28ba-2fa1-11d2-883f-0016d3cca427");
	expect_json_with(&m, &c,
			 "{\"pid\":3312,\"comm\":\"app\",\"nspid\":3312,\"init\":1,\"level\":0,"
			 "\"ns\":4026531836,\"ancestors\":["
			 "{\"level\":0,\"ns\":4026531836,\"pid\":3312,\"init\":1}],\"container\":"
			 "{\"runtime\":\"containerd\",\"id\":"
			 "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\","
			 "\"name\":\"web\",\"pod_uid\":\"1b4e28ba-2fa1-11d2-883f-0016d3cca427\","
			 "\"qos\":\"burstable\"}}\n");
	text = format_container(&c);
	assert_string_equal(
	    text->str, "runtime containerd\n"
		       "id 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
		       "name web\npod_uid 1b4e28ba-2fa1-11d2-883f-0016d3cca427\nqos burstable\n");
	g_string_free(text, TRUE);
	text = format_container(NULL);
	assert_string_equal(text->str, "");
	g_string_free(text, TRUE);
}

static void test_pidns_target(void **state)
{
	struct proc_model m;

	(void)state;
	model_nested(&m);
	expect_file(&m, format_pidns_target, "../ns/4026532400");
	model_host(&m);
	expect_file(&m, format_pidns_target, "../ns/4026531836");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_host_process),
	    cmocka_unit_test(test_nested_process),
	    cmocka_unit_test(test_own_level_used),
	    cmocka_unit_test(test_max_depth),
	    cmocka_unit_test(test_wide_ns_inode),
	    cmocka_unit_test(test_large_pids),
	    cmocka_unit_test(test_model_unchanged),
	    cmocka_unit_test(test_json_nested),
	    cmocka_unit_test(test_json_host),
	    cmocka_unit_test(test_json_terminal_controls),
	    cmocka_unit_test(test_json_unterminated_comm),
	    cmocka_unit_test(test_json_container),
	    cmocka_unit_test(test_pidns_target),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

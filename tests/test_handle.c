/*
 * Open-file handles: the opens of one file by one view whose content is the same share one
 * copy, counted once; other views, other files and changed content get copies of their own;
 * a READ's reference outlives the RELEASE of its handle.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "handle.h"

/* Two views of containers (namespace inodes) and two files. */
#define VIEW_A 4026532306u
#define VIEW_B 4026532400u
#define INO_1  0x1000
#define INO_2  0x2000

static uint64_t open_text(const char *text, uint64_t view, uint64_t ino)
{
	g_autoptr(GString) s = g_string_new(text);
	uint64_t id = 0;

	assert_int_equal(handle_new(s, view, ino, &id), 0);
	return id;
}

static uint64_t held_bytes(void)
{
	uint64_t files, bytes;

	handle_counts(&files, &bytes);
	return bytes;
}

/* The content's address, so that copies can be told from a shared one. */
static const char *data_of(uint64_t id)
{
	const struct content *c = handle_get(id);
	const char *data;

	assert_non_null(c);
	data = c->data;
	handle_put(c);
	return data;
}

static int teardown(void **state)
{
	handle_release_all();
	return 0;
}

static void test_same_content_shared(void **state)
{
	uint64_t a = open_text("hello\n", VIEW_A, INO_1), b = open_text("hello\n", VIEW_A, INO_1);
	uint64_t files, bytes;

	assert_ptr_equal(data_of(a), data_of(b));
	handle_counts(&files, &bytes);
	assert_int_equal(files, 2);
	assert_int_equal(bytes, 6);
	handle_release(a);
	assert_int_equal(held_bytes(), 6);
	assert_memory_equal(data_of(b), "hello\n", 6);
	handle_release(b);
	handle_counts(&files, &bytes);
	assert_int_equal(files, 0);
	assert_int_equal(bytes, 0);
}

/* The same bytes, but another view's or another file's: never the same copy. */
static void test_views_and_files_apart(void **state)
{
	uint64_t a = open_text("same", VIEW_A, INO_1), b = open_text("same", VIEW_B, INO_1);
	uint64_t c = open_text("same", VIEW_A, INO_2);

	assert_ptr_not_equal(data_of(a), data_of(b));
	assert_ptr_not_equal(data_of(a), data_of(c));
	assert_int_equal(held_bytes(), 12);
}

/* A build that differs gets a copy, which the next opens are compared with. */
static void test_changed_content(void **state)
{
	uint64_t a = open_text("one", VIEW_A, INO_1), b = open_text("two", VIEW_A, INO_1);
	uint64_t c = open_text("two", VIEW_A, INO_1), d = open_text("one", VIEW_A, INO_1);

	assert_ptr_not_equal(data_of(a), data_of(b));
	assert_ptr_equal(data_of(b), data_of(c));
	/* Only the latest copy is compared with: one more copy, still the right bytes. */
	assert_ptr_not_equal(data_of(d), data_of(a));
	assert_memory_equal(data_of(d), "one", 3);
	assert_int_equal(held_bytes(), 9);
	handle_release(b);
	handle_release(c);
	handle_release(d);
	assert_int_equal(held_bytes(), 3);
	assert_memory_equal(data_of(a), "one", 3);
}

/* A copy whose handles all went is not found again: the next open makes a new one. */
static void test_closed_copy_gone(void **state)
{
	uint64_t a = open_text("gone", VIEW_A, INO_1);

	handle_release(a);
	assert_int_equal(held_bytes(), 0);
	a = open_text("gone", VIEW_A, INO_1);
	assert_int_equal(held_bytes(), 4);
	assert_memory_equal(data_of(a), "gone", 4);
}

/* A READ racing the RELEASE of its handle keeps reading what it had. */
static void test_read_outlives_release(void **state)
{
	uint64_t a = open_text("racing", VIEW_A, INO_1);
	const struct content *c = handle_get(a);

	assert_non_null(c);
	handle_release(a);
	assert_null(handle_get(a));
	assert_int_equal(c->len, 6);
	assert_memory_equal(c->data, "racing", 6);
	handle_put(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_same_content_shared, teardown),
	    cmocka_unit_test_teardown(test_views_and_files_apart, teardown),
	    cmocka_unit_test_teardown(test_changed_content, teardown),
	    cmocka_unit_test_teardown(test_closed_copy_gone, teardown),
	    cmocka_unit_test_teardown(test_read_outlives_release, teardown),
	};

	return cmocka_run_group_tests_name("handle", tests, NULL, NULL);
}

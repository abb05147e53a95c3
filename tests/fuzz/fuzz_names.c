/*
 * libFuzzer harness for the names a lookup() gets: a PID directory (parse_pid_name) and the
 * files of <pid>/ and ns/<inode>/ (pid_file_find, ns_file_find). A name is a C string,
 * so the input is cut at its first NUL. parse_ns_name is static in nsview.c and not fuzzed here.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "node_class.h"
#include "proc_parse.h"

#define NAME_MAX_FUZZ 300 /* longer than any name of ours, and than NAME_MAX */
#define PID_MAX_LIMIT 4194303

/* The spec, written independently: what /proc itself would name a PID. */
static bool is_canonical_pid(const char *name)
{
	size_t len = strlen(name);
	long v = 0;

	if (len == 0 || len > 7 || name[0] == '0')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (name[i] < '0' || name[i] > '9')
			return false;
		v = v * 10 + (name[i] - '0');
	}
	return v <= PID_MAX_LIMIT;
}

static void check_pid_name(const char *name)
{
	pid_t pid = -1;
	int r = parse_pid_name(name, &pid);
	char back[16];

	FUZZ_CHECK(r == 0 || r == -ENOENT);
	FUZZ_CHECK((r == 0) == is_canonical_pid(name));
	if (r == 0) {
		FUZZ_CHECK(pid >= 1 && pid <= PID_MAX_LIMIT);
		snprintf(back, sizeof(back), "%d", (int)pid);
		FUZZ_CHECK(strcmp(back, name) == 0);
	} else {
		FUZZ_CHECK(pid == -1); /* untouched on failure */
	}
}

/* A directory's table finds a name exactly when one of its rows has it, and finds that row. */
static void check_table(const char *name, int (*find)(const char *), size_t (*count)(void),
			const struct node_class *(*row)(unsigned))
{
	int r = find(name);

	FUZZ_CHECK(r >= 0 || r == -ENOENT);
	if (r >= 0) {
		FUZZ_CHECK((size_t)r < count());
		FUZZ_CHECK(strcmp(row((unsigned)r)->name, name) == 0);
	} else {
		for (unsigned i = 0; i < count(); i++)
			FUZZ_CHECK(strcmp(row(i)->name, name) != 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *name = fuzz_dup_cstr(data, size, NAME_MAX_FUZZ);

	check_pid_name(name);
	check_table(name, pid_file_find, pid_file_count, pid_file_class);
	check_table(name, ns_file_find, ns_file_count, ns_file_class);
	free(name);
	return 0;
}

/*
 * libFuzzer harness for the names a lookup() gets: a PID directory (parse_pid_name) and the
 * files of <pid>/ and ns/<inode>/ (pid_file_from_name, ns_file_from_name). A name is a C string,
 * so the input is cut at its first NUL. parse_ns_name is static in nsview.c and not fuzzed here.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "node.h"
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

static void check_pid_file(const char *name)
{
	enum pid_file f = PF_COUNT;
	int r = pid_file_from_name(name, &f);

	FUZZ_CHECK(r == 0 || r == -ENOENT);
	if (r == 0) {
		FUZZ_CHECK(f < PF_COUNT);
		FUZZ_CHECK(strcmp(pid_file_name(f), name) == 0);
	} else {
		for (unsigned i = 0; i < PF_COUNT; i++)
			FUZZ_CHECK(strcmp(pid_file_name((enum pid_file)i), name) != 0);
	}
}

static void check_ns_file(const char *name)
{
	enum ns_file f = NF_COUNT;
	int r = ns_file_from_name(name, &f);

	FUZZ_CHECK(r == 0 || r == -ENOENT);
	if (r == 0) {
		FUZZ_CHECK(f < NF_COUNT);
		FUZZ_CHECK(strcmp(ns_file_name(f), name) == 0);
	} else {
		for (unsigned i = 0; i < NF_COUNT; i++)
			FUZZ_CHECK(strcmp(ns_file_name((enum ns_file)i), name) != 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *name = fuzz_dup_cstr(data, size, NAME_MAX_FUZZ);

	check_pid_name(name);
	check_pid_file(name);
	check_ns_file(name);
	free(name);
	return 0;
}

/* Unit tests for the inode number encoding of the tree (node.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "node.h"

#define START_MASK ((UINT64_C(1) << NODE_START_BITS) - 1)
#define PID_MAX	   ((pid_t)((1 << NODE_PID_BITS) - 1)) /* 4194303 */
/* The top bits of an inode number hold the kind; see node.c. */
#define KIND_SHIFT (NODE_PID_BITS + NODE_START_BITS)

static const enum pid_file all_files[] = {PF_INIT, PF_NSPID, PF_ANCESTORS, PF_NS, PF_LEVEL};

/* Decode ino and expect success; poisons out first so stale fields are noticed. */
static struct node decode(fuse_ino_t ino)
{
	struct node out;

	memset(&out, 0xa5, sizeof(out));
	assert_int_equal(node_from_ino(ino, &out), 0);
	return out;
}

static void test_root(void **state)
{
	struct node n = {.kind = NODE_ROOT};
	struct node out;

	(void)state;
	assert_int_equal(FUSE_ROOT_ID, 1);
	assert_int_equal(node_ino(&n), FUSE_ROOT_ID);
	/* pid and start are irrelevant for the root. */
	n.pid = 1234;
	n.start = 5678;
	assert_int_equal(node_ino(&n), FUSE_ROOT_ID);

	out = decode(FUSE_ROOT_ID);
	assert_int_equal(out.kind, NODE_ROOT);
	assert_int_equal(out.pid, 0);
	assert_int_equal(out.start, 0);
}

static void test_self(void **state)
{
	struct node n = {.kind = NODE_SELF, .pid = 99, .start = 7};
	struct node out;
	fuse_ino_t ino = node_ino(&n);

	(void)state;
	assert_true(ino != 0);
	assert_true(ino != FUSE_ROOT_ID);
	/* A fixed node: no kind in the top bits. */
	assert_true(ino >> KIND_SHIFT == 0);
	out = decode(ino);
	assert_int_equal(out.kind, NODE_SELF);
	assert_int_equal(out.pid, 0);
	assert_int_equal(out.start, 0);
}

static void test_start_bits(void **state)
{
	(void)state;
	assert_int_equal(NODE_START_BITS, 36);
	assert_true(node_start_bits(0) == 0);
	assert_true(node_start_bits(72821) == 72821);
	assert_true(node_start_bits(START_MASK) == START_MASK);
	assert_true(node_start_bits(START_MASK + 1) == 0);
	assert_true(node_start_bits(UINT64_MAX) == START_MASK);
	assert_true(node_start_bits(UINT64_C(0xfedcba9876543210)) == UINT64_C(0x876543210));
}

static void test_pid_dir_round_trip(void **state)
{
	struct node n = {
	    .kind = NODE_PID_DIR, .pid = 4194303, .start = UINT64_C(0xfedcba9876543210)};
	struct node out;
	fuse_ino_t ino = node_ino(&n);

	(void)state;
	assert_int_equal(PID_MAX, 4194303);
	out = decode(ino);
	assert_int_equal(out.kind, NODE_PID_DIR);
	assert_int_equal(out.pid, 4194303);
	/* Only the low 36 bits of the start time are kept. */
	assert_true(out.start == node_start_bits(n.start));
	assert_true(out.start == UINT64_C(0x876543210));
	assert_true(out.start != n.start);

	/* Smallest PID, zero start time. */
	n.pid = 1;
	n.start = 0;
	out = decode(node_ino(&n));
	assert_int_equal(out.kind, NODE_PID_DIR);
	assert_int_equal(out.pid, 1);
	assert_true(out.start == 0);

	/* All start bits set. */
	n.pid = 12345;
	n.start = START_MASK;
	out = decode(node_ino(&n));
	assert_int_equal(out.kind, NODE_PID_DIR);
	assert_int_equal(out.pid, 12345);
	assert_true(out.start == START_MASK);
}

static void test_pid_file_round_trip(void **state)
{
	static const pid_t pids[] = {1, 2, 3312, 65536, 4194303};
	static const uint64_t starts[] = {0, 1, 72821, START_MASK, UINT64_C(0xfedcba9876543210)};

	(void)state;
	assert_int_equal(sizeof(all_files) / sizeof(all_files[0]), PF_COUNT);
	for (size_t f = 0; f < PF_COUNT; f++) {
		for (size_t i = 0; i < sizeof(pids) / sizeof(pids[0]); i++) {
			for (size_t j = 0; j < sizeof(starts) / sizeof(starts[0]); j++) {
				struct node n = {.kind = NODE_PID_FILE,
						 .file = all_files[f],
						 .pid = pids[i],
						 .start = starts[j]};
				struct node out = decode(node_ino(&n));

				assert_int_equal(out.kind, NODE_PID_FILE);
				assert_int_equal(out.file, all_files[f]);
				assert_int_equal(out.pid, pids[i]);
				assert_true(out.start == node_start_bits(starts[j]));
			}
		}
	}
}

static void test_inos_distinct(void **state)
{
	/* The directory and each of its files, for one process: all different. */
	fuse_ino_t inos[PF_COUNT + 3];
	struct node n = {.kind = NODE_PID_DIR, .pid = 42, .start = 1000};

	(void)state;
	inos[0] = node_ino(&n);
	for (unsigned f = 0; f < PF_COUNT; f++) {
		n.kind = NODE_PID_FILE;
		n.file = (enum pid_file)f;
		inos[1 + f] = node_ino(&n);
	}
	n.kind = NODE_ROOT;
	inos[PF_COUNT + 1] = node_ino(&n);
	n.kind = NODE_SELF;
	inos[PF_COUNT + 2] = node_ino(&n);
	for (size_t i = 0; i < sizeof(inos) / sizeof(inos[0]); i++)
		for (size_t j = i + 1; j < sizeof(inos) / sizeof(inos[0]); j++)
			assert_true(inos[i] != inos[j]);
}

static void test_start_time_changes_ino(void **state)
{
	struct node a = {.kind = NODE_PID_DIR, .pid = 3312, .start = 72821};
	struct node b = a;
	struct node c = a;

	(void)state;
	/* A reused PID (another start time) gets another inode number. */
	b.start = 72822;
	assert_true(node_ino(&a) != node_ino(&b));
	a.kind = b.kind = NODE_PID_FILE;
	a.file = b.file = PF_NSPID;
	assert_true(node_ino(&a) != node_ino(&b));

	/* Another PID with the same start time, too. */
	c = a;
	c.pid = 3313;
	assert_true(node_ino(&a) != node_ino(&c));

	/* Start times equal in their low 36 bits share the number (documented limitation). */
	c = a;
	c.start = a.start + (UINT64_C(1) << NODE_START_BITS);
	assert_true(node_ino(&a) == node_ino(&c));
}

static void test_from_ino_rejects(void **state)
{
	const fuse_ino_t bad[] = {
	    0,
	    3,
	    4,
	    START_MASK,
	    /* Fixed kind (0) with PID bits set. */
	    ((fuse_ino_t)5 << NODE_START_BITS) | 1,
	    /* Kinds past the last PID file. */
	    ((fuse_ino_t)(2 + PF_COUNT) << KIND_SHIFT) | ((fuse_ino_t)42 << NODE_START_BITS),
	    ((fuse_ino_t)63 << KIND_SHIFT) | ((fuse_ino_t)42 << NODE_START_BITS) | 7,
	    UINT64_MAX,
	    /* PID 0 in a PID_DIR and in a PID_FILE inode number. */
	    (fuse_ino_t)1 << KIND_SHIFT,
	    ((fuse_ino_t)1 << KIND_SHIFT) | 72821,
	    ((fuse_ino_t)2 << KIND_SHIFT) | 72821,
	    ((fuse_ino_t)(1 + PF_COUNT) << KIND_SHIFT) | START_MASK,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct node out;

		if (node_from_ino(bad[i], &out) != -ENOENT)
			fail_msg("node_from_ino(%#llx) did not answer -ENOENT",
				 (unsigned long long)bad[i]);
	}
}

static void test_from_ino_layout(void **state)
{
	/* The last valid kind and the first PID_DIR value are accepted, proving the bounds. */
	struct node out;

	(void)state;
	out = decode(((fuse_ino_t)(1 + PF_COUNT) << KIND_SHIFT) |
		     ((fuse_ino_t)7 << NODE_START_BITS) | 9);
	assert_int_equal(out.kind, NODE_PID_FILE);
	assert_int_equal(out.file, PF_COUNT - 1);
	assert_int_equal(out.pid, 7);
	assert_true(out.start == 9);

	out = decode(((fuse_ino_t)1 << KIND_SHIFT) | ((fuse_ino_t)1 << NODE_START_BITS));
	assert_int_equal(out.kind, NODE_PID_DIR);
	assert_int_equal(out.pid, 1);
	assert_true(out.start == 0);
}

static void test_pid_file_names(void **state)
{
	static const struct {
		enum pid_file f;
		const char *name;
	} cases[] = {
	    {PF_INIT, "init"}, {PF_NSPID, "nspid"}, {PF_ANCESTORS, "ancestors"},
	    {PF_NS, "ns"},     {PF_LEVEL, "level"},
	};

	(void)state;
	assert_int_equal(sizeof(cases) / sizeof(cases[0]), PF_COUNT);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum pid_file f = PF_COUNT;

		assert_non_null(pid_file_name(cases[i].f));
		assert_string_equal(pid_file_name(cases[i].f), cases[i].name);
		assert_int_equal(pid_file_from_name(cases[i].name, &f), 0);
		assert_int_equal(f, cases[i].f);
	}
	assert_null(pid_file_name(PF_COUNT));
}

static void test_pid_file_from_name_rejects(void **state)
{
	static const char *const names[] = {
	    "",	 "INIT",   "Init", "init/", "/init",	"init ",  " init", "..",
	    ".", "nspid2", "nsp",  "n",	    "ancestor", "levels", "self",  "1",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		enum pid_file f = PF_COUNT;

		if (pid_file_from_name(names[i], &f) != -ENOENT)
			fail_msg("pid_file_from_name(\"%s\") did not answer -ENOENT", names[i]);
		assert_int_equal(f, PF_COUNT);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_root),
	    cmocka_unit_test(test_self),
	    cmocka_unit_test(test_start_bits),
	    cmocka_unit_test(test_pid_dir_round_trip),
	    cmocka_unit_test(test_pid_file_round_trip),
	    cmocka_unit_test(test_inos_distinct),
	    cmocka_unit_test(test_start_time_changes_ino),
	    cmocka_unit_test(test_from_ino_rejects),
	    cmocka_unit_test(test_from_ino_layout),
	    cmocka_unit_test(test_pid_file_names),
	    cmocka_unit_test(test_pid_file_from_name_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

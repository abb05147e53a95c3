/*
 * Unit tests for the inode number encoding of the tree (node.c), and for the classes the tables
 * of the directories give their nodes (node_class.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "node.h"
#include "node_class.h"

#define START_MASK	((UINT64_C(1) << NODE_START_BITS) - 1)
#define LINK_START_MASK ((UINT64_C(1) << NODE_LINK_START_BITS) - 1)
#define PID_MAX		((pid_t)((1 << NODE_PID_BITS) - 1)) /* 4194303 */
/* The top bits of an inode number hold the kind; see node.c. */
#define KIND_SHIFT    (NODE_PID_BITS + NODE_START_BITS)
#define KIND_MAX      ((fuse_ino_t)63)
#define LOW_MASK      (((fuse_ino_t)1 << KIND_SHIFT) - 1)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Kinds outside kind 0 in the top bits: pid dir, pid files, ns dir, ns files, ns pid dir, link,
 * and the two views. The codec numbers every file its capacity allows, in tables or not yet.
 */
#define NON_FIXED_KINDS (1 + PID_FILES_MAX + 1 + NS_FILES_MAX + 1 + 1 + 2)
/* The two kinds of a view's tree and metrics file (kind 0 is the whole host's view). */
#define VIEW_KIND_TREE	  18
#define VIEW_KIND_METRICS 19
/* Every node of one process or namespace: the six fixed nodes and all the others but views. */
#define ALL_NODES (6 + NON_FIXED_KINDS - 2)

/* A file by its name, as the tables of dir_pid.c and dir_ns.c know it. */
#define PID_FILE(name) ((unsigned)pid_file_find(name))
#define NS_FILE(name)  ((unsigned)ns_file_find(name))

static bool is_view_kind(fuse_ino_t kind)
{
	return kind == VIEW_KIND_TREE || kind == VIEW_KIND_METRICS;
}

static const pid_t pids[] = {1, 2, 3312, 65536, 4194303};
static const uint64_t starts[] = {
    0, 1, 72821, LINK_START_MASK, START_MASK, UINT64_MAX, UINT64_C(0xfedcba9876543210)};

/* Decode ino and expect success; poisons out first so stale fields are noticed. */
static struct node decode(fuse_ino_t ino)
{
	struct node out;

	memset(&out, 0xa5, sizeof(out));
	if (node_from_ino(ino, &out) != 0)
		fail_msg("node_from_ino(%#llx) failed", (unsigned long long)ino);
	return out;
}

static void expect_enoent(fuse_ino_t ino)
{
	struct node out;

	if (node_from_ino(ino, &out) != -ENOENT)
		fail_msg("node_from_ino(%#llx) did not answer -ENOENT", (unsigned long long)ino);
}

/* Every node of the process or namespace pid (started at start), with nspid for the link. */
static size_t all_nodes(pid_t pid, uint64_t start, pid_t nspid, struct node *out)
{
	static const enum node_kind simple[] = {NODE_ROOT,    NODE_SELF,	NODE_NS_ROOT,
						NODE_TREE,    NODE_METRICS_DIR, NODE_METRICS_FILE,
						NODE_PID_DIR, NODE_NS_DIR,	NODE_NS_PID_DIR};
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(simple); i++)
		out[n++] = (struct node){.kind = simple[i], .pid = pid, .start = start};
	for (unsigned f = 0; f < PID_FILES_MAX; f++)
		out[n++] =
		    (struct node){.kind = NODE_PID_FILE, .file = f, .pid = pid, .start = start};
	for (unsigned f = 0; f < NS_FILES_MAX; f++)
		out[n++] =
		    (struct node){.kind = NODE_NS_FILE, .file = f, .pid = pid, .start = start};
	out[n++] =
	    (struct node){.kind = NODE_NS_PID_LINK, .pid = pid, .start = start, .nspid = nspid};
	return n;
}

static bool is_fixed(enum node_kind kind)
{
	return kind == NODE_ROOT || kind == NODE_SELF || kind == NODE_NS_ROOT ||
	       kind == NODE_TREE || kind == NODE_METRICS_DIR || kind == NODE_METRICS_FILE;
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
	n.nspid = 9;
	assert_int_equal(node_ino(&n), FUSE_ROOT_ID);

	out = decode(FUSE_ROOT_ID);
	assert_int_equal(out.kind, NODE_ROOT);
	assert_int_equal(out.pid, 0);
	assert_int_equal(out.start, 0);
	assert_int_equal(out.nspid, 0);
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

static void test_fixed_nodes(void **state)
{
	static const struct {
		enum node_kind kind;
		fuse_ino_t ino;
	} cases[] = {
	    {NODE_ROOT, 1}, {NODE_SELF, 2},	   {NODE_NS_ROOT, 3},
	    {NODE_TREE, 4}, {NODE_METRICS_DIR, 5}, {NODE_METRICS_FILE, 6},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct node n = {.kind = cases[i].kind};
		struct node out;

		assert_int_equal(node_ino(&n), cases[i].ino);
		/* The PID, start time and nspid do not change a fixed node's number. */
		n.pid = PID_MAX;
		n.start = UINT64_MAX;
		n.nspid = 17;
		n.file = PID_FILE("json");
		assert_int_equal(node_ino(&n), cases[i].ino);

		out = decode(cases[i].ino);
		assert_int_equal(out.kind, cases[i].kind);
		assert_int_equal(out.file, 0);
		assert_int_equal(out.pid, 0);
		assert_true(out.start == 0);
		assert_int_equal(out.nspid, 0);
	}
}

static void test_start_bits(void **state)
{
	(void)state;
	assert_int_equal(NODE_START_BITS, 36);
	assert_int_equal(NODE_LINK_START_BITS, 14);
	assert_int_equal(NODE_PID_BITS, 22);
	/* A link's two PIDs and its start bits fill exactly what a PID and a start fill. */
	assert_int_equal(2 * NODE_PID_BITS + NODE_LINK_START_BITS, NODE_PID_BITS + NODE_START_BITS);
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
	assert_int_equal(out.nspid, 0);
	/* Only the low 36 bits of the start time are kept. */
	assert_true(out.start == node_start_bits(n.start));
	assert_true(out.start == UINT64_C(0x876543210));
	assert_true(out.start != n.start);

	/* Largest PID and start: every bit below the kind is used. */
	n.start = START_MASK;
	assert_true((node_ino(&n) & LOW_MASK) == LOW_MASK);

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
	(void)state;
	for (unsigned f = 0; f < PID_FILES_MAX; f++) {
		for (size_t i = 0; i < ARRAY_SIZE(pids); i++) {
			for (size_t j = 0; j < ARRAY_SIZE(starts); j++) {
				struct node n = {.kind = NODE_PID_FILE,
						 .file = f,
						 .pid = pids[i],
						 .start = starts[j]};
				struct node out = decode(node_ino(&n));

				assert_int_equal(out.kind, NODE_PID_FILE);
				assert_int_equal(out.file, f);
				assert_int_equal(out.pid, pids[i]);
				assert_true(out.start == node_start_bits(starts[j]));
				assert_int_equal(out.nspid, 0);
			}
		}
	}
}

/* NODE_NS_DIR and NODE_NS_PID_DIR: a namespace's init and its start, nothing else. */
static void test_ns_dir_round_trip(void **state)
{
	static const enum node_kind kinds[] = {NODE_NS_DIR, NODE_NS_PID_DIR};

	(void)state;
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		for (size_t i = 0; i < ARRAY_SIZE(pids); i++) {
			for (size_t j = 0; j < ARRAY_SIZE(starts); j++) {
				struct node n = {
				    .kind = kinds[k], .pid = pids[i], .start = starts[j]};
				struct node out = decode(node_ino(&n));

				assert_int_equal(out.kind, kinds[k]);
				assert_int_equal(out.file, 0);
				assert_int_equal(out.pid, pids[i]);
				assert_true(out.start == node_start_bits(starts[j]));
				assert_int_equal(out.nspid, 0);
			}
		}
	}
}

static void test_ns_file_round_trip(void **state)
{
	(void)state;
	for (unsigned f = 0; f < NS_FILES_MAX; f++) {
		for (size_t i = 0; i < ARRAY_SIZE(pids); i++) {
			for (size_t j = 0; j < ARRAY_SIZE(starts); j++) {
				struct node n = {.kind = NODE_NS_FILE,
						 .file = f,
						 .pid = pids[i],
						 .start = starts[j]};
				struct node out = decode(node_ino(&n));

				assert_int_equal(out.kind, NODE_NS_FILE);
				assert_int_equal(out.file, f);
				assert_int_equal(out.pid, pids[i]);
				assert_true(out.start == node_start_bits(starts[j]));
				assert_int_equal(out.nspid, 0);
			}
		}
	}
}

static void test_ns_pid_link_round_trip(void **state)
{
	static const pid_t nspids[] = {1, 2, 300, 65536, 4194303};
	struct node n = {.kind = NODE_NS_PID_LINK,
			 .pid = PID_MAX,
			 .start = UINT64_C(0xfedcba9876543210),
			 .nspid = PID_MAX};
	struct node out;

	(void)state;
	/* Both PIDs at their maximum, start bits truncated to 14. */
	out = decode(node_ino(&n));
	assert_int_equal(out.kind, NODE_NS_PID_LINK);
	assert_int_equal(out.pid, 4194303);
	assert_int_equal(out.nspid, 4194303);
	assert_int_equal(out.file, 0);
	assert_true(out.start == UINT64_C(0x3210));
	assert_true(out.start == (n.start & LINK_START_MASK));

	/* Largest PIDs and start: every bit below the kind is used, no field overlaps. */
	n.start = LINK_START_MASK;
	assert_true((node_ino(&n) & LOW_MASK) == LOW_MASK);
	out = decode(node_ino(&n));
	assert_int_equal(out.pid, PID_MAX);
	assert_int_equal(out.nspid, PID_MAX);
	assert_true(out.start == LINK_START_MASK);

	/* One PID at its maximum does not spill into the other, nor into the start. */
	n = (struct node){.kind = NODE_NS_PID_LINK, .pid = 1, .start = 0, .nspid = PID_MAX};
	out = decode(node_ino(&n));
	assert_int_equal(out.pid, 1);
	assert_int_equal(out.nspid, PID_MAX);
	assert_true(out.start == 0);
	n = (struct node){.kind = NODE_NS_PID_LINK, .pid = PID_MAX, .start = 0, .nspid = 1};
	out = decode(node_ino(&n));
	assert_int_equal(out.pid, PID_MAX);
	assert_int_equal(out.nspid, 1);
	assert_true(out.start == 0);

	for (size_t i = 0; i < ARRAY_SIZE(pids); i++) {
		for (size_t k = 0; k < ARRAY_SIZE(nspids); k++) {
			for (size_t j = 0; j < ARRAY_SIZE(starts); j++) {
				n = (struct node){.kind = NODE_NS_PID_LINK,
						  .pid = pids[i],
						  .start = starts[j],
						  .nspid = nspids[k]};
				out = decode(node_ino(&n));
				assert_int_equal(out.kind, NODE_NS_PID_LINK);
				assert_int_equal(out.pid, pids[i]);
				assert_int_equal(out.nspid, nspids[k]);
				assert_true(out.start == (starts[j] & LINK_START_MASK));
				/* Encoding the decoded node gives the same number back. */
				assert_true(node_ino(&out) == node_ino(&n));
			}
		}
	}
}

/* Decoding then encoding any valid node gives the same inode number. */
static void test_ino_round_trip_all_kinds(void **state)
{
	struct node nodes[ALL_NODES];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(pids); i++) {
		for (size_t j = 0; j < ARRAY_SIZE(starts); j++) {
			size_t count = all_nodes(pids[i], starts[j], PID_MAX - pids[i] + 1, nodes);

			assert_int_equal(count, ALL_NODES);
			for (size_t k = 0; k < count; k++) {
				fuse_ino_t ino = node_ino(&nodes[k]);
				struct node out = decode(ino);

				assert_int_equal(out.kind, nodes[k].kind);
				assert_true(node_ino(&out) == ino);
				if (is_fixed(nodes[k].kind))
					continue;
				assert_int_equal(out.pid, nodes[k].pid);
				assert_true(node_start_matches(&out, starts[j]));
			}
		}
	}
}

static void assert_all_distinct(const struct node *nodes, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		for (size_t j = i + 1; j < count; j++) {
			if (node_ino(&nodes[i]) == node_ino(&nodes[j]))
				fail_msg("nodes %zu (kind %d) and %zu (kind %d) share %#llx", i,
					 nodes[i].kind, j, nodes[j].kind,
					 (unsigned long long)node_ino(&nodes[i]));
		}
	}
}

static void test_inos_distinct(void **state)
{
	/* Every node of one process or namespace, of every kind: all different. */
	struct node nodes[ALL_NODES];

	(void)state;
	assert_int_equal(all_nodes(42, 1000, 1, nodes), ALL_NODES);
	assert_all_distinct(nodes, ALL_NODES);
	/* Also with every field at its largest, and with the link's nspid equal to the pid. */
	assert_int_equal(all_nodes(PID_MAX, START_MASK, PID_MAX, nodes), ALL_NODES);
	assert_all_distinct(nodes, ALL_NODES);
	assert_int_equal(all_nodes(1, 0, 1, nodes), ALL_NODES);
	assert_all_distinct(nodes, ALL_NODES);
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
	a.file = b.file = PID_FILE("nspid");
	assert_true(node_ino(&a) != node_ino(&b));
	a.kind = b.kind = NODE_NS_DIR;
	a.file = b.file = 0;
	assert_true(node_ino(&a) != node_ino(&b));
	a.kind = b.kind = NODE_NS_FILE;
	a.file = b.file = NS_FILE("pids");
	assert_true(node_ino(&a) != node_ino(&b));
	a.kind = b.kind = NODE_NS_PID_DIR;
	a.file = b.file = 0;
	assert_true(node_ino(&a) != node_ino(&b));

	/* Another PID with the same start time, too. */
	a.kind = NODE_PID_FILE;
	a.file = PID_FILE("nspid");
	c = a;
	c.pid = 3313;
	assert_true(node_ino(&a) != node_ino(&c));

	/* Start times equal in their low 36 bits share the number (documented limitation). */
	c = a;
	c.start = a.start + (UINT64_C(1) << NODE_START_BITS);
	assert_true(node_ino(&a) == node_ino(&c));
	/* A difference in bit 14 and above matters outside links. */
	c.start = a.start + (UINT64_C(1) << NODE_LINK_START_BITS);
	assert_true(node_ino(&a) != node_ino(&c));
}

static void test_link_fields_change_ino(void **state)
{
	struct node a = {.kind = NODE_NS_PID_LINK, .pid = 3312, .start = 72821, .nspid = 5};
	struct node b = a;

	(void)state;
	b.start = a.start + 1;
	assert_true(node_ino(&a) != node_ino(&b));
	b = a;
	b.pid = 3313;
	assert_true(node_ino(&a) != node_ino(&b));
	b = a;
	b.nspid = 6;
	assert_true(node_ino(&a) != node_ino(&b));
	/* pid and nspid swapped are different links. */
	b = a;
	b.pid = a.nspid;
	b.nspid = a.pid;
	assert_true(node_ino(&a) != node_ino(&b));
	/* Only 14 start bits: start times equal in them share the number. */
	b = a;
	b.start = a.start + (UINT64_C(1) << NODE_LINK_START_BITS);
	assert_true(node_ino(&a) == node_ino(&b));
	b.start = a.start + (UINT64_C(1) << NODE_START_BITS);
	assert_true(node_ino(&a) == node_ino(&b));
}

static void test_node_type(void **state)
{
	struct node nodes[ALL_NODES];
	size_t count = all_nodes(42, 1000, 7, nodes);

	(void)state;
	for (size_t i = 0; i < count; i++) {
		mode_t want;

		switch (nodes[i].kind) {
		case NODE_SELF:
		case NODE_NS_PID_LINK:
			want = S_IFLNK;
			break;
		case NODE_ROOT:
		case NODE_NS_ROOT:
		case NODE_PID_DIR:
		case NODE_NS_DIR:
		case NODE_NS_PID_DIR:
		case NODE_METRICS_DIR:
			want = S_IFDIR;
			break;
		case NODE_PID_FILE:
			if (nodes[i].file >= pid_file_count())
				continue; /* no file yet */
			want = nodes[i].file == PID_FILE("pidns") ? S_IFLNK : S_IFREG;
			break;
		case NODE_NS_FILE:
			if (nodes[i].file >= ns_file_count())
				continue;
			want = nodes[i].file == NS_FILE("parent") ? S_IFLNK : S_IFREG;
			break;
		case NODE_TREE:
		default:
			want = S_IFREG;
			break;
		}
		if (node_type(&nodes[i]) != want)
			fail_msg("node %zu (kind %d, file %u): type %#o, want %#o", i,
				 nodes[i].kind, nodes[i].file, (unsigned)node_type(&nodes[i]),
				 (unsigned)want);
		/* The decoded node has the same type. */
		{
			struct node out = decode(node_ino(&nodes[i]));

			assert_int_equal(node_type(&out), want);
		}
	}
}

static void test_node_type_explicit(void **state)
{
	struct node n = {.pid = 1, .start = 1, .nspid = 1};

	(void)state;
	n.kind = NODE_ROOT;
	assert_int_equal(node_type(&n), S_IFDIR);
	n.kind = NODE_SELF;
	assert_int_equal(node_type(&n), S_IFLNK);
	n.kind = NODE_NS_ROOT;
	assert_int_equal(node_type(&n), S_IFDIR);
	n.kind = NODE_TREE;
	assert_int_equal(node_type(&n), S_IFREG);
	n.kind = NODE_METRICS_DIR;
	assert_int_equal(node_type(&n), S_IFDIR);
	n.kind = NODE_METRICS_FILE;
	assert_int_equal(node_type(&n), S_IFREG);
	n.kind = NODE_PID_DIR;
	assert_int_equal(node_type(&n), S_IFDIR);
	n.kind = NODE_NS_DIR;
	assert_int_equal(node_type(&n), S_IFDIR);
	n.kind = NODE_NS_PID_DIR;
	assert_int_equal(node_type(&n), S_IFDIR);
	n.kind = NODE_NS_PID_LINK;
	assert_int_equal(node_type(&n), S_IFLNK);

	/* The links among the files, by name; every other file is a regular one. */
	n.kind = NODE_PID_FILE;
	for (unsigned f = 0; f < pid_file_count(); f++) {
		n.file = f;
		assert_int_equal(node_type(&n),
				 strcmp(pid_file_class(f)->name, "pidns") == 0 ? S_IFLNK : S_IFREG);
	}
	n.kind = NODE_NS_FILE;
	for (unsigned f = 0; f < ns_file_count(); f++) {
		n.file = f;
		assert_int_equal(node_type(&n),
				 strcmp(ns_file_class(f)->name, "parent") == 0 ? S_IFLNK : S_IFREG);
	}
}

/* tree and the metrics file: one inode per view, the host's keeping its fixed number. */
static void test_view_inodes(void **state)
{
	static const enum node_kind kinds[] = {NODE_TREE, NODE_METRICS_FILE};
	static const uint64_t views[] = {VIEW_NONE, UINT64_C(4026531836), UINT64_C(4026532175),
					 UINT32_MAX};

	(void)state;
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct node host = {.kind = kinds[k], .view = VIEW_ALL};
		fuse_ino_t host_ino = node_ino(&host);

		assert_int_equal(host_ino, k == 0 ? 4 : 6);
		for (size_t v = 0; v < ARRAY_SIZE(views); v++) {
			struct node n = {.kind = kinds[k], .view = views[v]};
			struct node out = decode(node_ino(&n));

			assert_int_equal(out.kind, kinds[k]);
			assert_int_equal(out.view, views[v]);
			assert_int_not_equal(node_ino(&n), host_ino);
			for (size_t w = 0; w < v; w++) {
				struct node m = {.kind = kinds[k], .view = views[w]};

				assert_int_not_equal(node_ino(&m), node_ino(&n));
			}
			n.kind = kinds[1 - k];
			assert_int_not_equal(
			    node_ino(&n),
			    node_ino(&(struct node){.kind = kinds[k], .view = views[v]}));
		}
	}
	/* A view number wider than a namespace inode, or the host's under a view kind: none. */
	expect_enoent(node_ino(&(struct node){.kind = NODE_TREE, .view = VIEW_NONE}) &
		      ~(fuse_ino_t)UINT32_MAX);
}

static void test_start_matches(void **state)
{
	static const enum node_kind full_kinds[] = {NODE_PID_DIR, NODE_PID_FILE, NODE_NS_DIR,
						    NODE_NS_FILE, NODE_NS_PID_DIR};
	const uint64_t start = UINT64_C(0xfedcba9876543210);

	(void)state;
	/* Kinds with the full 36 start bits. */
	for (size_t k = 0; k < ARRAY_SIZE(full_kinds); k++) {
		struct node n = {.kind = full_kinds[k], .pid = 77, .start = start};
		struct node out = decode(node_ino(&n));

		assert_true(node_start_matches(&out, start));
		assert_true(node_start_matches(&out, node_start_bits(start)));
		/* Bits above the 36 kept ones are not compared. */
		assert_true(node_start_matches(&out, start + (UINT64_C(1) << NODE_START_BITS)));
		assert_false(node_start_matches(&out, start + 1));
		assert_false(node_start_matches(&out, start - 1));
		/* Differences above the 14 link bits but within 36 are noticed. */
		assert_false(node_start_matches(&out, start ^ (UINT64_C(1) << 14)));
		assert_false(node_start_matches(&out, start ^ (UINT64_C(1) << 35)));
		assert_false(node_start_matches(&out, start & LINK_START_MASK));
		assert_false(node_start_matches(&out, 0));
	}

	/* A link keeps 14 start bits only. */
	{
		struct node n = {.kind = NODE_NS_PID_LINK, .pid = 77, .start = start, .nspid = 3};
		struct node out = decode(node_ino(&n));

		assert_true(out.start == (start & LINK_START_MASK));
		assert_true(node_start_matches(&out, start));
		assert_true(node_start_matches(&out, start & LINK_START_MASK));
		assert_true(node_start_matches(&out, node_start_bits(start)));
		assert_true(
		    node_start_matches(&out, start + (UINT64_C(1) << NODE_LINK_START_BITS)));
		assert_true(node_start_matches(&out, start ^ (UINT64_C(1) << 35)));
		assert_false(node_start_matches(&out, start + 1));
		assert_false(node_start_matches(&out, start ^ (UINT64_C(1) << 13)));
		assert_false(node_start_matches(&out, 0));
	}

	/* Zero start matches zero and multiples of the truncation only. */
	{
		struct node n = {.kind = NODE_NS_PID_LINK, .pid = 77, .start = 0, .nspid = 3};
		struct node d = {.kind = NODE_PID_DIR, .pid = 77, .start = 0};
		struct node out = decode(node_ino(&n));

		assert_true(node_start_matches(&out, 0));
		assert_true(node_start_matches(&out, UINT64_C(1) << NODE_LINK_START_BITS));
		assert_false(node_start_matches(&out, 1));
		out = decode(node_ino(&d));
		assert_true(node_start_matches(&out, 0));
		assert_false(node_start_matches(&out, UINT64_C(1) << NODE_LINK_START_BITS));
		assert_true(node_start_matches(&out, UINT64_C(1) << NODE_START_BITS));
	}
}

/* The kind (top bits) of the number of every non-fixed node is one of 1..NON_FIXED_KINDS. */
static void test_kinds_contiguous(void **state)
{
	struct node nodes[ALL_NODES];
	size_t count = all_nodes(42, 9, 5, nodes);
	bool seen[KIND_MAX + 1] = {false};

	(void)state;
	for (size_t i = 0; i < count; i++) {
		fuse_ino_t kind = node_ino(&nodes[i]) >> KIND_SHIFT;

		if (is_fixed(nodes[i].kind)) {
			assert_true(kind == 0);
			continue;
		}
		assert_true(kind >= 1 && kind <= NON_FIXED_KINDS);
		assert_false(is_view_kind(kind));
		assert_false(seen[kind]);
		seen[kind] = true;
	}
	seen[node_ino(&(struct node){.kind = NODE_TREE, .view = 4026531836}) >> KIND_SHIFT] = true;
	seen[node_ino(&(struct node){.kind = NODE_METRICS_FILE, .view = 4026531836}) >>
	     KIND_SHIFT] = true;
	for (fuse_ino_t k = 1; k <= NON_FIXED_KINDS; k++)
		assert_true(seen[k]);
}

static void test_from_ino_rejects(void **state)
{
	const fuse_ino_t bad[] = {
	    0,
	    7,
	    8,
	    255,
	    START_MASK,
	    /* Fixed kind (0) with PID bits set. */
	    ((fuse_ino_t)5 << NODE_START_BITS) | 1,
	    ((fuse_ino_t)1 << NODE_START_BITS) | 1,
	    ((fuse_ino_t)1 << NODE_START_BITS) | 3,
	    LOW_MASK,
	    /* Kinds past the last valid one. */
	    ((fuse_ino_t)(NON_FIXED_KINDS + 1) << KIND_SHIFT) | ((fuse_ino_t)42 << NODE_START_BITS),
	    ((fuse_ino_t)(NON_FIXED_KINDS + 1) << KIND_SHIFT) | LOW_MASK,
	    (KIND_MAX << KIND_SHIFT) | ((fuse_ino_t)42 << NODE_START_BITS) | 7,
	    UINT64_MAX,
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		expect_enoent(bad[i]);

	/* Fixed numbers: 1 to 6 only. */
	for (fuse_ino_t ino = 7; ino < 4096; ino++)
		expect_enoent(ino);

	/* Every kind past the last valid one, whatever the rest. */
	for (fuse_ino_t k = NON_FIXED_KINDS + 1; k <= KIND_MAX; k++) {
		expect_enoent(k << KIND_SHIFT);
		expect_enoent((k << KIND_SHIFT) | ((fuse_ino_t)42 << NODE_START_BITS) | 72821);
		expect_enoent((k << KIND_SHIFT) | LOW_MASK);
	}

	/* PID 0 in every non-fixed kind but a view's, whatever the start (and nspid). */
	for (fuse_ino_t k = 1; k <= NON_FIXED_KINDS; k++) {
		if (is_view_kind(k))
			continue;
		expect_enoent(k << KIND_SHIFT);
		expect_enoent((k << KIND_SHIFT) | 72821);
		expect_enoent((k << KIND_SHIFT) | START_MASK);
	}
}

static void test_from_ino_rejects_link_zeros(void **state)
{
	struct node n = {.kind = NODE_NS_PID_LINK, .pid = 42, .start = 7, .nspid = 5};
	fuse_ino_t good = node_ino(&n);
	fuse_ino_t kind = good >> KIND_SHIFT;
	fuse_ino_t nspid_bits = (fuse_ino_t)PID_MAX << NODE_LINK_START_BITS;
	fuse_ino_t pid_bits = (fuse_ino_t)PID_MAX << NODE_START_BITS;

	(void)state;
	decode(good);
	/* nspid 0. */
	expect_enoent(good & ~nspid_bits);
	n.nspid = 0;
	expect_enoent(node_ino(&n));
	n.start = LINK_START_MASK;
	n.pid = PID_MAX;
	expect_enoent(node_ino(&n));
	/* pid 0, with a valid nspid. */
	expect_enoent(good & ~pid_bits);
	n = (struct node){.kind = NODE_NS_PID_LINK, .pid = 0, .start = 7, .nspid = PID_MAX};
	expect_enoent(node_ino(&n));
	/* Both 0. */
	expect_enoent(kind << KIND_SHIFT);
	expect_enoent((kind << KIND_SHIFT) | LINK_START_MASK);
}

static void test_from_ino_rejects_pid_zero(void **state)
{
	struct node nodes[ALL_NODES];
	size_t count = all_nodes(0, 72821, 5, nodes);

	(void)state;
	for (size_t i = 0; i < count; i++) {
		if (is_fixed(nodes[i].kind))
			continue;
		expect_enoent(node_ino(&nodes[i]));
	}
}

static void test_from_ino_layout(void **state)
{
	/* The last valid kind and the first PID_DIR value are accepted, proving the bounds. */
	struct node out;
	struct node nodes[ALL_NODES];
	size_t count = all_nodes(7, 9, 3, nodes);
	fuse_ino_t max_kind = 0, last;

	(void)state;
	for (size_t i = 0; i < count; i++) {
		fuse_ino_t k = node_ino(&nodes[i]) >> KIND_SHIFT;

		if (k > max_kind)
			max_kind = k;
	}
	assert_true(max_kind == NON_FIXED_KINDS);

	/* Each kind 1..max decodes with a PID (and an nspid for the link), and encodes back. */
	for (fuse_ino_t k = 1; k <= max_kind; k++) {
		if (is_view_kind(k))
			continue;
		fuse_ino_t ino = (k << KIND_SHIFT) | ((fuse_ino_t)7 << NODE_START_BITS) |
				 ((fuse_ino_t)3 << NODE_LINK_START_BITS) | 9;

		out = decode(ino);
		assert_int_equal(out.pid, 7);
		assert_false(is_fixed(out.kind));
		assert_true(node_ino(&out) == ino);
	}

	/* The last valid kind with every other bit set is accepted; one kind more is not. */
	last = (max_kind << KIND_SHIFT) | LOW_MASK;
	out = decode(last);
	assert_int_equal(out.pid, PID_MAX);
	assert_true(node_ino(&out) == last);
	expect_enoent(last + 1);

	out = decode(((fuse_ino_t)1 << KIND_SHIFT) | ((fuse_ino_t)1 << NODE_START_BITS));
	assert_int_equal(out.kind, NODE_PID_DIR);
	assert_int_equal(out.pid, 1);
	assert_true(out.start == 0);
}

/*
 * The numbers the kernel holds across a reload to a newer binary: those of every file that
 * exists now must never change, whatever files are added.
 */
static void test_inode_numbers_stable(void **state)
{
	static const struct {
		enum node_kind kind;
		const char *name;
		fuse_ino_t kind_bits;
	} cases[] = {
	    {NODE_PID_FILE, "init", 2},	     {NODE_PID_FILE, "nspid", 3},
	    {NODE_PID_FILE, "ancestors", 4}, {NODE_PID_FILE, "ns", 5},
	    {NODE_PID_FILE, "level", 6},     {NODE_PID_FILE, "pidns", 7},
	    {NODE_PID_FILE, "json", 8},	     {NODE_NS_FILE, "init", 12},
	    {NODE_NS_FILE, "level", 13},     {NODE_NS_FILE, "parent", 14},
	    {NODE_NS_FILE, "children", 15},  {NODE_NS_FILE, "pids", 16},
	    {NODE_NS_FILE, "json", 17},
	};
	static const struct {
		enum node_kind kind;
		fuse_ino_t kind_bits;
	} dirs[] = {{NODE_PID_DIR, 1}, {NODE_NS_DIR, 9}, {NODE_NS_PID_DIR, 10}};
	fuse_ino_t low = ((fuse_ino_t)3312 << NODE_START_BITS) | 72821;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int f = cases[i].kind == NODE_PID_FILE ? pid_file_find(cases[i].name)
						       : ns_file_find(cases[i].name);
		struct node n = {.kind = cases[i].kind, .pid = 3312, .start = 72821};

		if (f < 0)
			fail_msg("%s: no such file", cases[i].name);
		n.file = (unsigned)f;
		if (node_ino(&n) != ((cases[i].kind_bits << KIND_SHIFT) | low))
			fail_msg("%s moved to %#llx", cases[i].name,
				 (unsigned long long)node_ino(&n));
	}
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		struct node n = {.kind = dirs[i].kind, .pid = 3312, .start = 72821};

		assert_true(node_ino(&n) == ((dirs[i].kind_bits << KIND_SHIFT) | low));
	}
	/* Files added later go after the views, not in their place. */
	assert_true(node_ino(&(struct node){.kind = NODE_PID_FILE, .file = 7, .pid = 1}) >>
			KIND_SHIFT ==
		    20);
	assert_true(node_ino(&(struct node){.kind = NODE_NS_FILE, .file = 6, .pid = 1}) >>
			KIND_SHIFT ==
		    20 + PID_FILES_MAX - 7);
}

/* Each file's name finds its row, and its row has that name; all names differ. */
static void test_file_names(void **state)
{
	static const char *const pid_names[] = {"init",	 "nspid", "ancestors", "ns",	"level",
						"pidns", "json",  "container", "cgroup"};
	static const char *const ns_names[] = {"init", "level", "parent",   "children",
					       "pids", "json",	"container"};

	(void)state;
	assert_int_equal(pid_file_count(), ARRAY_SIZE(pid_names));
	for (unsigned i = 0; i < ARRAY_SIZE(pid_names); i++) {
		assert_int_equal(pid_file_find(pid_names[i]), i);
		assert_string_equal(pid_file_class(i)->name, pid_names[i]);
	}
	assert_null(pid_file_class((unsigned)pid_file_count()));
	assert_null(pid_file_class(PID_FILES_MAX));
	assert_int_equal(ns_file_count(), ARRAY_SIZE(ns_names));
	for (unsigned i = 0; i < ARRAY_SIZE(ns_names); i++) {
		assert_int_equal(ns_file_find(ns_names[i]), i);
		assert_string_equal(ns_file_class(i)->name, ns_names[i]);
	}
	assert_null(ns_file_class((unsigned)ns_file_count()));
	assert_null(ns_file_class(NS_FILES_MAX));
}

/* A file index the codec numbers but no table holds names no node. */
static void test_file_past_table_is_no_node(void **state)
{
	const struct node_class *c;
	struct node n = {.kind = NODE_PID_FILE, .pid = 42, .file = (unsigned)pid_file_count()};
	struct node out;

	(void)state;
	assert_int_equal(node_decode(node_ino(&n), &out, &c), -ENOENT);
	n = (struct node){.kind = NODE_NS_FILE, .pid = 42, .file = (unsigned)ns_file_count()};
	assert_int_equal(node_decode(node_ino(&n), &out, &c), -ENOENT);
	n.file = 0;
	assert_int_equal(node_decode(node_ino(&n), &out, &c), 0);
	assert_ptr_equal(c, ns_file_class(0));
}

static void test_pid_file_find_rejects(void **state)
{
	static const char *const names[] = {
	    "",	      "INIT",  "Init", "init/",	   "/init",  "init ",	 " init", "..",	   ".",
	    "nspid2", "nsp",   "n",    "ancestor", "levels", "self",	 "1",	  "PIDNS", "pidns/",
	    "pid",    "json.", "JSON", "js",	   "parent", "children", "pids",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (pid_file_find(names[i]) != -ENOENT)
			fail_msg("pid_file_find(\"%s\") did not answer -ENOENT", names[i]);
	}
}

static void test_ns_file_find_rejects(void **state)
{
	static const char *const names[] = {
	    "",		 "INIT",      "Init",  "init/",	  "/init", "init ", " init",
	    "..",	 ".",	      "pid",   "pid/",	  "PIDS",  "pids/", "child",
	    "childrens", "Parent",    "paren", "parents", "json ", "JSON",  "levels",
	    "nspid",	 "ancestors", "ns",    "pidns",	  "self",  "tree",  "1",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (ns_file_find(names[i]) != -ENOENT)
			fail_msg("ns_file_find(\"%s\") did not answer -ENOENT", names[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_root),
	    cmocka_unit_test(test_self),
	    cmocka_unit_test(test_fixed_nodes),
	    cmocka_unit_test(test_start_bits),
	    cmocka_unit_test(test_pid_dir_round_trip),
	    cmocka_unit_test(test_pid_file_round_trip),
	    cmocka_unit_test(test_ns_dir_round_trip),
	    cmocka_unit_test(test_ns_file_round_trip),
	    cmocka_unit_test(test_ns_pid_link_round_trip),
	    cmocka_unit_test(test_ino_round_trip_all_kinds),
	    cmocka_unit_test(test_inos_distinct),
	    cmocka_unit_test(test_start_time_changes_ino),
	    cmocka_unit_test(test_link_fields_change_ino),
	    cmocka_unit_test(test_node_type),
	    cmocka_unit_test(test_node_type_explicit),
	    cmocka_unit_test(test_view_inodes),
	    cmocka_unit_test(test_start_matches),
	    cmocka_unit_test(test_kinds_contiguous),
	    cmocka_unit_test(test_from_ino_rejects),
	    cmocka_unit_test(test_from_ino_rejects_link_zeros),
	    cmocka_unit_test(test_from_ino_rejects_pid_zero),
	    cmocka_unit_test(test_from_ino_layout),
	    cmocka_unit_test(test_inode_numbers_stable),
	    cmocka_unit_test(test_file_names),
	    cmocka_unit_test(test_file_past_table_is_no_node),
	    cmocka_unit_test(test_pid_file_find_rejects),
	    cmocka_unit_test(test_ns_file_find_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

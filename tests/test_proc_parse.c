/* Unit tests for the pure /proc parsers: parse_proc_stat, parse_proc_status, parse_pid_name. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guard.h"
#include "cases.h"
#include "proc_parse.h"

/* A text a parser must refuse: with -EINVAL, or -ENOENT for a PID's name. */
struct refused {
	const char *name;
	const char *text;
};

typedef int (*parser)(const char *buf, size_t len, void *out);

/*
 * parse() of text into out (of size bytes): its answer, which must be the same for a copy of
 * text that ends where the readable memory does, since a parser that reads one byte past the
 * end crashes on that copy.
 */
static int parse_both(const char *name, const char *text, parser parse, void *out, size_t size)
{
	struct guarded g;
	size_t len = strlen(text);
	g_autofree void *copy = g_malloc0(size);
	int r, guarded;

	memset(out, 0, size);
	r = parse(text, len, out);
	guarded = parse(guard_place(&g, text, len), len, copy);
	guard_release(&g);
	if (r != guarded || (r == 0 && memcmp(out, copy, size) != 0))
		fail_msg("%s: returned %d, but %d and another answer at the end of readable memory",
			 name, r, guarded);
	return r;
}

/* ---------------------------------------------------------------- parse_proc_stat */

/*
 * Fields 3..52 of a real /proc/PID/stat line, in the format of /proc/self/stat. Field values
 * around 22 are all different so that an off-by-one in the field count is caught:
 * state=S (3), ppid=3317 (4), flags=4194560=0x400100 (9), field 21=0, starttime=72821 (22),
 * vsize=3133440 (23).
 */
#define STAT_TAIL_TO_21 "S 3317 3318 2544 0 -1 4194560 102 0 0 0 0 0 0 0 20 0 1 0"
#define STAT_TAIL_FROM_23                                                                          \
	" 3133440 374 18446744073709551615 94266136793088 94266136812969 140733044415632 0 0 0 "   \
	"0 0 0 0 0 0 17 0 0 0 0 0 0 94266136828976 94266136830592 94267028656128 "                 \
	"140733044419007 140733044419027 140733044419027 140733044420587 0\n"
#define STAT_TAIL STAT_TAIL_TO_21 " 72821" STAT_TAIL_FROM_23
#define STAT_LINE "3325 (cat) " STAT_TAIL

/* A line parse_proc_stat() must read, and what it must make of it. */
struct stat_case {
	const char *name;
	const char *line;
	const char *comm;
	char state;
	pid_t ppid;
	unsigned flags;
	uint64_t start;
	bool kthread;
};

static const struct stat_case stat_cases[] = {
    {"stat: a real line", STAT_LINE, "cat", 'S', 3317, 0x400100, 72821, false},
    {"stat: the last start time a clock can give",
     "1 (systemd) R 0 1 1 0 -1 4194560 100 200 300 400 500 600 700 800 20 0 1 0 "
     "18446744073709551615 3133440 374\n",
     "systemd", 'R', 0, 4194560, UINT64_MAX, false},
    {"stat: comm holding \") \"", "1234 (a) b) (c) " STAT_TAIL, "a) b) (c", 'S', 3317, 0x400100,
     72821, false},
    /* A comm that imitates the fields must not be taken for them. */
    {"stat: comm imitating the fields after it", "1234 (x) Z 77 1 1 0 -1 9 ) " STAT_TAIL,
     "x) Z 77 1 1 0 -1 9 ", 'S', 3317, 0x400100, 72821, false},
    {"stat: comm of parentheses", "1234 (()) " STAT_TAIL, "()", 'S', 3317, 0x400100, 72821, false},
    {"stat: empty comm", "1234 () " STAT_TAIL, "", 'S', 3317, 0x400100, 72821, false},
    {"stat: comm with spaces", "1234 (  sp ace  ) " STAT_TAIL, "  sp ace  ", 'S', 3317, 0x400100,
     72821, false},
    /* kthreadd: flags 0x208040 = PF_KTHREAD | PF_NOFREEZE | PF_FORKNOEXEC. */
    {"stat: a kernel thread",
     "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 3 0 0 18446744073709551615 0 "
     "0 0 0 0 0 0 2147483647 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
     "kthreadd", 'S', 0, 0x208040, 3, true},
    {"stat: start time UINT64_MAX",
     "3325 (cat) " STAT_TAIL_TO_21 " 18446744073709551615" STAT_TAIL_FROM_23, "cat", 'S', 3317,
     0x400100, UINT64_MAX, false},
    {"stat: ppid INT32_MAX", "1 (x) S 2147483647 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0\n", "x",
     'S', 2147483647, 0, 5, false},
    {"stat: flags UINT32_MAX", "1 (x) S 1 0 0 0 -1 4294967295 0 0 0 0 0 0 0 0 20 0 1 0 5 0\n", "x",
     'S', 1, 4294967295u, 5, true},
};

static const struct refused stat_refused[] = {
    {"stat: comm without its ')'", "3325 (cat " STAT_TAIL},
    {"stat: comm without parentheses", "3325 cat " STAT_TAIL},
    {"stat: empty", ""},
    /* ')' before '(' is not a comm. */
    {"stat: ')' before '('", "1234 )x( " STAT_TAIL},
    {"stat: ends before field 22", "3325 (cat) " STAT_TAIL_TO_21},
    {"stat: ends with the blank before field 22", "3325 (cat) " STAT_TAIL_TO_21 " "},
    {"stat: ends with blanks before field 22", "3325 (cat) " STAT_TAIL_TO_21 "\t \t"},
    {"stat: ends after ppid", "3325 (cat) S 3317"},
    {"stat: ends after comm and a blank", "3325 (cat) "},
    {"stat: ends after comm", "3325 (cat)"},
    {"stat: start time with a letter inside",
     "3325 (cat) " STAT_TAIL_TO_21 " 72a21" STAT_TAIL_FROM_23},
    {"stat: start time of letters", "3325 (cat) " STAT_TAIL_TO_21 " abc" STAT_TAIL_FROM_23},
    {"stat: negative start time", "3325 (cat) " STAT_TAIL_TO_21 " -1" STAT_TAIL_FROM_23},
    {"stat: start time with a plus sign", "3325 (cat) " STAT_TAIL_TO_21 " +1" STAT_TAIL_FROM_23},
    {"stat: start time in hex", "3325 (cat) " STAT_TAIL_TO_21 " 0x10" STAT_TAIL_FROM_23},
    {"stat: start time UINT64_MAX + 1",
     "3325 (cat) " STAT_TAIL_TO_21 " 18446744073709551616" STAT_TAIL_FROM_23},
    {"stat: start time UINT64_MAX and one more digit",
     "3325 (cat) " STAT_TAIL_TO_21 " 184467440737095516150" STAT_TAIL_FROM_23},
    {"stat: start time of 30 digits",
     "3325 (cat) " STAT_TAIL_TO_21 " 999999999999999999999999999999" STAT_TAIL_FROM_23},
    {"stat: ppid INT32_MAX + 1", "1 (x) S 2147483648 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0\n"},
    {"stat: flags UINT32_MAX + 1", "1 (x) S 1 0 0 0 -1 4294967296 0 0 0 0 0 0 0 0 20 0 1 0 5 0\n"},
    {"stat: state of two letters", "1 (x) SS 1 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0\n"},
    {"stat: negative ppid", "1 (x) S -1 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0\n"},
    {"stat: ppid of a letter", "1 (x) S x 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0\n"},
    {"stat: negative flags", "1 (x) S 1 0 0 0 -1 -5 0 0 0 0 0 0 0 0 20 0 1 0 5 0\n"},
};

static int parse_stat(const char *buf, size_t len, void *out)
{
	return parse_proc_stat(buf, len, out);
}

static void test_stat_case(void **state)
{
	const struct stat_case *c = *state;
	struct proc_stat st;
	int r = parse_both(c->name, c->line, parse_stat, &st, sizeof(st));

	if (r != 0)
		fail_msg("%s: returned %d, want 0", c->name, r);
	if (strcmp(st.comm, c->comm) != 0 || st.state != c->state || st.ppid != c->ppid ||
	    st.flags != c->flags || st.start != c->start ||
	    ((st.flags & NSPIDFS_PF_KTHREAD) != 0) != c->kthread)
		fail_msg("%s: got comm \"%s\" state %c ppid %d flags %#x start %" PRIu64
			 ", want \"%s\" %c %d %#x %" PRIu64 " (%s kernel thread)",
			 c->name, st.comm, st.state, st.ppid, st.flags, st.start, c->comm, c->state,
			 c->ppid, c->flags, c->start, c->kthread ? "a" : "not a");
}

static void test_stat_refused(void **state)
{
	const struct refused *c = *state;
	struct proc_stat st;
	int r = parse_both(c->name, c->text, parse_stat, &st, sizeof(st));

	if (r != -EINVAL)
		fail_msg("%s: returned %d, want -EINVAL", c->name, r);
}

static void test_stat_len_honoured(void **state)
{
	static const char line[] = STAT_LINE;
	const char *f22 = strstr(line, " 72821 ");
	const char *paren = strchr(line, ')');
	struct proc_stat st;

	(void)state;
	assert_non_null(f22);
	assert_non_null(paren);
	assert_int_equal(parse_proc_stat("x", 0, &st), -EINVAL);
	/* Cut just before field 22, and just after its separator: both drop it. */
	assert_int_equal(parse_proc_stat(line, (size_t)(f22 - line), &st), -EINVAL);
	assert_int_equal(parse_proc_stat(line, (size_t)(f22 - line) + 1, &st), -EINVAL);
	/* Cut before the ')' closing comm: the ')' past len must not be found. */
	assert_int_equal(parse_proc_stat(line, (size_t)(paren - line), &st), -EINVAL);
	/* Cut right after field 22 and its separator: field 22 is whole. */
	assert_int_equal(parse_proc_stat(line, (size_t)(f22 - line) + 7, &st), 0);
	assert_int_equal(st.start, 72821);
	assert_int_equal(st.ppid, 3317);
}

static void test_stat_ignores_bytes_after_len(void **state)
{
	/* Valid within len; past len, a ')' that would make it invalid if it were looked at. */
	static const char buf[] = STAT_LINE "9 (evil) 9 9 9)";
	/* Invalid within len (no ')'); past len, the rest that would make it valid. */
	static const char buf2[] = "3325 (cat"
				   ") " STAT_TAIL;
	struct proc_stat st;

	(void)state;
	assert_int_equal(parse_proc_stat(buf, strlen(STAT_LINE), &st), 0);
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.ppid, 3317);
	assert_int_equal(st.flags, 0x400100u);
	assert_int_equal(st.start, 72821);
	assert_int_equal(parse_proc_stat(buf, strlen(buf), &st), -EINVAL);

	assert_int_equal(parse_proc_stat(buf2, strlen("3325 (cat"), &st), -EINVAL);
}

static void test_stat_not_nul_terminated(void **state)
{
	static const char line[] = STAT_LINE;
	static const char bad[] = "3325 (cat S 3317 3318 2544 0 -1 4194560 102 0 0 0 0 0 0";
	static const char short_[] = "3325 (cat) " STAT_TAIL_TO_21 " ";
	struct guarded g;
	const char *p;
	struct proc_stat st;

	(void)state;
	p = guard_place(&g, line, sizeof(line) - 1);
	assert_int_equal(parse_proc_stat(p, sizeof(line) - 1, &st), 0);
	assert_int_equal(st.start, 72821);
	assert_int_equal(st.ppid, 3317);
	guard_release(&g);

	p = guard_place(&g, bad, sizeof(bad) - 1);
	assert_int_equal(parse_proc_stat(p, sizeof(bad) - 1, &st), -EINVAL);
	guard_release(&g);

	p = guard_place(&g, short_, sizeof(short_) - 1);
	assert_int_equal(parse_proc_stat(p, sizeof(short_) - 1, &st), -EINVAL);
	guard_release(&g);
}

static void test_stat_cut_inside_starttime(void **state)
{
	static const char line[] = "3325 (cat) S 3317 3318 2544 0 -1 4194560 102 0 0 0 0 0 0 0 20 "
				   "0 1 0 72821 3133440 374\n";
	const char *f22 = strstr(line, " 72821 ");
	struct proc_stat st;

	(void)state;
	/* Every cut inside the start time must be refused, never read as a smaller value. */
	for (size_t cut = 2; cut <= 6; cut++)
		assert_int_equal(parse_proc_stat(line, (size_t)(f22 - line) + cut, &st), -EINVAL);
	assert_int_equal(parse_proc_stat(line, (size_t)(f22 - line) + 7, &st), 0);
	assert_int_equal(st.start, 72821);
}

/* -------------------------------------------------------------- parse_proc_status */

#define STATUS_HEAD                                                                                \
	"Name:\tsleep\n"                                                                           \
	"Umask:\t0022\n"                                                                           \
	"State:\tS (sleeping)\n"                                                                   \
	"Tgid:\t3312\n"                                                                            \
	"Ngid:\t0\n"                                                                               \
	"Pid:\t3313\n"                                                                             \
	"PPid:\t3300\n"                                                                            \
	"TracerPid:\t0\n"                                                                          \
	"Uid:\t1000\t1000\t1000\t1000\n"                                                           \
	"Gid:\t1000\t1000\t1000\t1000\n"                                                           \
	"FDSize:\t256\n"                                                                           \
	"Groups:\t4 24 27 1000 \n"
#define STATUS_TAIL                                                                                \
	"NSpgid:\t3300\t4\t1\n"                                                                    \
	"NSsid:\t3290\t1\t1\n"                                                                     \
	"Kthread:\t0\n"                                                                            \
	"VmPeak:\t    3904 kB\n"                                                                   \
	"VmSize:\t    3904 kB\n"                                                                   \
	"Threads:\t1\n"                                                                            \
	"SigQ:\t0/63422\n"                                                                         \
	"Cpus_allowed_list:\t0-7\n"                                                                \
	"voluntary_ctxt_switches:\t1\n"                                                            \
	"nonvoluntary_ctxt_switches:\t0\n"

/* Lines of a status text besides the PIDs. */
struct status_info {
	const char *name;
	char state;
	unsigned threads;
	bool kthread;
};

static const struct status_info sleep_info = {"sleep", 'S', 1, false};
/* The kernel escapes '\\' and '\n' in Name:; the parser undoes exactly that. */
static const struct status_info escaped_zombie = {"a\\b\nc d", 'Z', 3, false};
/* No Kthread: line (older kernels), no memory, not a zombie: a kernel thread. */
static const struct status_info old_kernel_thread = {"kworker/0:1", 'I', 1, true};

/* A text parse_proc_status() must read: its PIDs (NSpid up to the first 0), and info if set. */
struct status_case {
	const char *name;
	const char *text;
	pid_t tgid, ppid;
	pid_t nspid[4];
	const struct status_info *info;
};

static const struct status_case status_cases[] = {
    {"status: one level",
     STATUS_HEAD "NStgid:\t3312\nNSpid:\t3313\n" STATUS_TAIL,
     3312,
     3300,
     {3313},
     &sleep_info},
    {"status: three levels",
     STATUS_HEAD "NStgid:\t3312\t4\t1\nNSpid:\t3312\t5\t1\n" STATUS_TAIL,
     3312,
     3300,
     {3312, 5, 1},
     &sleep_info},
    {"status: an escaped name, a zombie",
     "Name:\ta\\\\b\\nc d\nState:\tZ (zombie)\nTgid:\t5\nPPid:\t1\nThreads:\t3\nNSpid:\t5\n",
     5,
     1,
     {5},
     &escaped_zombie},
    {"status: a kernel thread, without a Kthread: line",
     "Name:\tkworker/0:1\nState:\tI (idle)\nTgid:\t9\nPPid:\t2\nNSpid:\t9\nThreads:\t1\n",
     9,
     2,
     {9},
     &old_kernel_thread},
    {"status: spaces instead of tabs", "Tgid: 12\nPPid: 7\nNSpid: 12 3\n", 12, 7, {12, 3}, NULL},
    {"status: blanks everywhere, and none after a colon",
     "Tgid:   \t 42  \t\nPPid:0\nNSpid:  \t 42 \t  9  \t 1 \t\n",
     42,
     0,
     {42, 9, 1},
     NULL},
    {"status: keys in any order",
     "NSpid:\t8\t2\nPPid:\t5\nName:\tx\nTgid:\t8\n",
     8,
     5,
     {8, 2},
     NULL},
    {"status: the needed keys alone", "Tgid:\t1\nPPid:\t0\nNSpid:\t1\n", 1, 0, {1}, NULL},
    /* Trailing blanks are not garbage. */
    {"status: trailing blanks", "Tgid:\t12 \t\nPPid:\t3  \nNSpid:\t12\n", 12, 3, {12}, NULL},
    {"status: INT32_MAX",
     "Tgid:\t2147483647\nPPid:\t2147483647\nNSpid:\t2147483647\t1\n",
     2147483647,
     2147483647,
     {2147483647, 1},
     NULL},
    /* A last line without '\n' may have been cut: it is ignored, malformed or not. */
    {"status: a cut line after the needed ones",
     "Tgid:\t1\nPPid:\t0\nNSpid:\t7\t1\nNSpgid:\t",
     1,
     0,
     {7, 1},
     NULL},
    {"status: a cut malformed line after the needed ones",
     "Tgid:\t1\nPPid:\t0\nNSpid:\t7\nTgid:\tgarbage",
     1,
     0,
     {7},
     NULL},
    /* Look-alike keys around the real one, with values that would differ, are ignored. */
    {"status: look-alike keys",
     "XTgid:\t99\nTgid:\t1\nTgidX:\t98\nPPid:\t4\nTracerPid:\tjunk\nNSpidX:\t999\t998\n"
     "XNSpid:\t997\nNSpid:\t1\t2\nNSpgid:\t0\n",
     1,
     4,
     {1, 2},
     NULL},
};

static const struct refused status_refused[] = {
    /* No NSpid (pre-4.1 kernel): only NStgid, which must not stand in for it. */
    {"status: NStgid without NSpid", STATUS_HEAD "NStgid:\t3312\n" STATUS_TAIL},
    {"status: no NSpid", "Tgid:\t1\nPPid:\t0\n"},
    {"status: no Tgid", "PPid:\t0\nNSpid:\t1\n"},
    {"status: Pid without Tgid", "Pid:\t1\nPPid:\t0\nNSpid:\t1\n"},
    {"status: no PPid", "Tgid:\t1\nNSpid:\t1\n"},
    {"status: TracerPid without PPid", "Tgid:\t1\nTracerPid:\t0\nNSpid:\t1\n"},
    {"status: NSpid 0", "Tgid:\t1\nPPid:\t0\nNSpid:\t0\n"},
    {"status: NSpid 0 at a middle level", "Tgid:\t1\nPPid:\t0\nNSpid:\t12\t0\t1\n"},
    {"status: negative NSpid", "Tgid:\t1\nPPid:\t0\nNSpid:\t-1\n"},
    {"status: negative NSpid at a lower level", "Tgid:\t1\nPPid:\t0\nNSpid:\t12\t-5\n"},
    {"status: NSpid of letters", "Tgid:\t1\nPPid:\t0\nNSpid:\tabc\n"},
    {"status: NSpid ending in a letter", "Tgid:\t1\nPPid:\t0\nNSpid:\t12a\n"},
    {"status: NSpid with a plus sign", "Tgid:\t1\nPPid:\t0\nNSpid:\t+12\n"},
    {"status: empty NSpid", "Tgid:\t1\nPPid:\t0\nNSpid:\n"},
    {"status: NSpid of blanks", "Tgid:\t1\nPPid:\t0\nNSpid:\t \t \n"},
    {"status: NSpid ending in a carriage return", "Tgid:\t1\nPPid:\t0\nNSpid:\t1\r\n"},
    {"status: two Tgid values, by a space", "Tgid:\t12 13\nPPid:\t0\nNSpid:\t12\n"},
    {"status: two Tgid values, by a tab", "Tgid:\t12\t13\nPPid:\t0\nNSpid:\t12\n"},
    {"status: Tgid and garbage", "Tgid:\t12 x\nPPid:\t0\nNSpid:\t12\n"},
    {"status: PPid and garbage", "Tgid:\t12\nPPid:\t1 x\nNSpid:\t12\n"},
    {"status: empty Tgid", "Tgid:\t\nPPid:\t0\nNSpid:\t12\n"},
    {"status: Tgid of a letter", "Tgid:\tx\nPPid:\t0\nNSpid:\t12\n"},
    {"status: negative Tgid", "Tgid:\t-12\nPPid:\t0\nNSpid:\t12\n"},
    {"status: negative PPid", "Tgid:\t12\nPPid:\t-1\nNSpid:\t12\n"},
    {"status: NSpid INT32_MAX + 1", "Tgid:\t1\nPPid:\t0\nNSpid:\t2147483648\n"},
    {"status: NSpid above UINT32_MAX at a lower level",
     "Tgid:\t1\nPPid:\t0\nNSpid:\t5\t4294967297\n"},
    {"status: NSpid of 30 digits", "Tgid:\t1\nPPid:\t0\nNSpid:\t123456789012345678901234567890\n"},
    {"status: Tgid INT32_MAX + 1", "Tgid:\t2147483648\nPPid:\t0\nNSpid:\t1\n"},
    {"status: Tgid of 30 digits", "Tgid:\t123456789012345678901234567890\nPPid:\t0\nNSpid:\t1\n"},
    {"status: PPid INT32_MAX + 1", "Tgid:\t1\nPPid:\t2147483648\nNSpid:\t1\n"},
    /* A last line without its '\n' may have been cut: it is ignored. */
    {"status: NSpid line without its newline",
     STATUS_HEAD "NStgid:\t3312\t4\t1\nNSpid:\t3312\t5\t1"},
    {"status: short, NSpid line without its newline", "Tgid:\t1\nPPid:\t0\nNSpid:\t1"},
    {"status: Tgid line without its newline", "PPid:\t0\nNSpid:\t1\nTgid:\t1"},
    {"status: empty lines", "\n\n\n"},
    {"status: NSpidX", "Tgid:\t1\nPPid:\t0\nNSpidX:\t1\n"},
    {"status: XNSpid", "Tgid:\t1\nPPid:\t0\nXNSpid:\t1\n"},
    {"status: NSpi", "Tgid:\t1\nPPid:\t0\nNSpi:\t1\n"},
    {"status: a blank before NSpid's colon", "Tgid:\t1\nPPid:\t0\nNSpid :\t1\n"},
    {"status: a blank before NSpid", "Tgid:\t1\nPPid:\t0\n NSpid:\t1\n"},
    {"status: nspid in lower case", "Tgid:\t1\nPPid:\t0\nnspid:\t1\n"},
    {"status: NSpid without a colon", "Tgid:\t1\nPPid:\t0\nNSpid\t1\n"},
    {"status: Tgidx", "Tgidx:\t1\nPPid:\t0\nNSpid:\t1\n"},
    {"status: XPPid", "Tgid:\t1\nXPPid:\t0\nNSpid:\t1\n"},
};

static int parse_status(const char *buf, size_t len, void *out)
{
	return parse_proc_status(buf, len, out);
}

static void test_status_case(void **state)
{
	const struct status_case *c = *state;
	const struct status_info *info = c->info;
	struct proc_status st;
	int r = parse_both(c->name, c->text, parse_status, &st, sizeof(st));
	unsigned n = 0;

	if (r != 0)
		fail_msg("%s: returned %d, want 0", c->name, r);
	if (st.tgid != c->tgid || st.ppid != c->ppid)
		fail_msg("%s: Tgid %d PPid %d, want %d %d", c->name, st.tgid, st.ppid, c->tgid,
			 c->ppid);
	while (n < G_N_ELEMENTS(c->nspid) && c->nspid[n])
		n++;
	if (st.nspid_count != n)
		fail_msg("%s: %u levels, want %u", c->name, st.nspid_count, n);
	/* And zeroes beyond them. */
	for (unsigned i = 0; i < NSPIDFS_MAX_LEVELS; i++) {
		pid_t want = i < n ? c->nspid[i] : 0;

		if (st.nspid[i] != want)
			fail_msg("%s: NSpid level %u is %d, want %d", c->name, i, st.nspid[i],
				 want);
	}
	if (info && (strcmp(st.name, info->name) != 0 || st.state != info->state ||
		     st.threads != info->threads || st.kthread != info->kthread))
		fail_msg("%s: name \"%s\" state %c threads %u kthread %d, want \"%s\" %c %u %d",
			 c->name, st.name, st.state, st.threads, st.kthread, info->name,
			 info->state, info->threads, info->kthread);
}

static void test_status_refused(void **state)
{
	const struct refused *c = *state;
	struct proc_status st;
	int r = parse_both(c->name, c->text, parse_status, &st, sizeof(st));

	if (r != -EINVAL)
		fail_msg("%s: returned %d, want -EINVAL", c->name, r);
}

/* "Tgid:\t1\nPPid:\t0\nNSpid:" followed by n values 100, 101, ... and a newline. */
static size_t status_with_levels(char *buf, size_t size, unsigned n)
{
	size_t off = (size_t)snprintf(buf, size, "Tgid:\t1\nPPid:\t0\nNSpid:");

	for (unsigned i = 0; i < n; i++)
		off += (size_t)snprintf(buf + off, size - off, "\t%u", 100 + i);
	off += (size_t)snprintf(buf + off, size - off, "\n");
	assert_true(off < size);
	return off;
}

static void test_status_max_levels(void **state)
{
	char buf[512];
	struct proc_status st;
	size_t len;

	(void)state;
	assert_int_equal(NSPIDFS_MAX_LEVELS, 33);
	len = status_with_levels(buf, sizeof(buf), NSPIDFS_MAX_LEVELS);
	assert_int_equal(parse_proc_status(buf, len, &st), 0);
	assert_int_equal(st.nspid_count, NSPIDFS_MAX_LEVELS);
	for (unsigned i = 0; i < NSPIDFS_MAX_LEVELS; i++)
		assert_int_equal(st.nspid[i], 100 + i);

	len = status_with_levels(buf, sizeof(buf), NSPIDFS_MAX_LEVELS + 1);
	assert_int_equal(parse_proc_status(buf, len, &st), -EINVAL);
	len = status_with_levels(buf, sizeof(buf), 40);
	assert_int_equal(parse_proc_status(buf, len, &st), -EINVAL);
}

static void test_status_empty(void **state)
{
	struct proc_status st;

	(void)state;
	assert_int_equal(parse_proc_status("", 0, &st), -EINVAL);
	assert_int_equal(parse_proc_status("Tgid:\t1\nPPid:\t0\nNSpid:\t1\n", 0, &st), -EINVAL);
}

static void test_status_len_honoured(void **state)
{
	/* Valid within len; past len, a duplicate bad Tgid that would make it invalid. */
	static const char buf[] = "Tgid:\t10\nPPid:\t2\nNSpid:\t10\t3\nTgid:\tbad\n";
	/* Invalid within len (NSpid line cut); past len, the '\n' that would complete it. */
	static const char buf2[] = "Tgid:\t10\nPPid:\t2\nNSpid:\t10\t3\n";
	const size_t good_len = strlen("Tgid:\t10\nPPid:\t2\nNSpid:\t10\t3\n");
	struct proc_status st;

	(void)state;
	assert_int_equal(parse_proc_status(buf, good_len, &st), 0);
	assert_int_equal(st.tgid, 10);
	assert_int_equal(st.ppid, 2);
	assert_int_equal(st.nspid_count, 2);
	assert_int_equal(st.nspid[0], 10);
	assert_int_equal(st.nspid[1], 3);
	assert_int_equal(parse_proc_status(buf, strlen(buf), &st), -EINVAL);

	assert_int_equal(parse_proc_status(buf2, sizeof(buf2) - 2, &st), -EINVAL);
	/* Cut inside the NSpid values: "NSpid:\t10" must not be read as a one-level answer. */
	assert_int_equal(parse_proc_status(buf2, sizeof(buf2) - 4, &st), -EINVAL);
	assert_int_equal(parse_proc_status(buf2, sizeof(buf2) - 1, &st), 0);
	assert_int_equal(st.nspid_count, 2);
}

static void test_status_not_nul_terminated(void **state)
{
	static const char text[] = STATUS_HEAD "NStgid:\t3312\t4\t1\n"
					       "NSpid:\t3312\t5\t1\n" STATUS_TAIL;
	static const char cut[] = STATUS_HEAD "NStgid:\t3312\t4\t1\n"
					      "NSpid:\t3312\t5\t1";
	static const char nokey[] = "Tgid:\t1\nPPid:\t0\nNSpid";
	struct guarded g;
	const char *p;
	struct proc_status st;

	(void)state;
	p = guard_place(&g, text, sizeof(text) - 1);
	assert_int_equal(parse_proc_status(p, sizeof(text) - 1, &st), 0);
	assert_int_equal(st.tgid, 3312);
	assert_int_equal(st.nspid_count, 3);
	assert_int_equal(st.nspid[2], 1);
	guard_release(&g);

	p = guard_place(&g, cut, sizeof(cut) - 1);
	assert_int_equal(parse_proc_status(p, sizeof(cut) - 1, &st), -EINVAL);
	guard_release(&g);

	p = guard_place(&g, nokey, sizeof(nokey) - 1);
	assert_int_equal(parse_proc_status(p, sizeof(nokey) - 1, &st), -EINVAL);
	guard_release(&g);
}

/* ------------------------------------------------------------------ parse_pid_name */

struct pid_name_case {
	const char *name;
	const char *text;
	pid_t pid;
};

static const struct pid_name_case pid_names[] = {
    {"pid name: 1", "1", 1},
    {"pid name: two digits", "42", 42},
    {"pid name: 9", "9", 9},
    {"pid name: 10", "10", 10},
    {"pid name: PID_MAX_LIMIT - 1", "4194303", 4194303},
    {"pid name: a million", "1000000", 1000000},
};

static const struct refused pid_names_refused[] = {
    {"pid name: empty", ""},
    {"pid name: 0", "0"},
    {"pid name: 00", "00"},
    {"pid name: a leading zero", "007"},
    {"pid name: a minus sign", "-1"},
    {"pid name: a plus sign", "+1"},
    {"pid name: an exponent", "1e3"},
    {"pid name: letters", "abc"},
    {"pid name: a trailing letter", "12a"},
    {"pid name: a leading blank", " 1"},
    {"pid name: a trailing blank", "1 "},
    {"pid name: a trailing newline", "1\n"},
    {"pid name: PID_MAX_LIMIT", "4194304"},
    {"pid name: seven nines", "9999999"},
    {"pid name: eight nines", "99999999"},
    {"pid name: above UINT64_MAX", "12345678901234567890"},
    {"pid name: PID_MAX_LIMIT - 1 with a leading zero", "04194303"},
    {"pid name: self", "self"},
    {"pid name: thread-self", "thread-self"},
    {"pid name: .", "."},
    {"pid name: ..", ".."},
};

static void test_pid_name(void **state)
{
	const struct pid_name_case *c = *state;
	pid_t pid = -7;
	int r = parse_pid_name(c->text, &pid);

	if (r != 0 || pid != c->pid)
		fail_msg("%s: \"%s\" gave %d and %d, want 0 and %d", c->name, c->text, r, pid,
			 c->pid);
}

static void test_pid_name_refused(void **state)
{
	const struct refused *c = *state;
	pid_t pid = -7;
	int r = parse_pid_name(c->text, &pid);

	/* And the answer is left alone. */
	if (r != -ENOENT || pid != -7)
		fail_msg("%s: \"%s\" gave %d and %d, want -ENOENT and no PID", c->name, c->text, r,
			 pid);
}

int main(void)
{
	const struct CMUnitTest fixed[] = {
	    cmocka_unit_test(test_stat_len_honoured),
	    cmocka_unit_test(test_stat_ignores_bytes_after_len),
	    cmocka_unit_test(test_stat_not_nul_terminated),
	    cmocka_unit_test(test_stat_cut_inside_starttime),
	    cmocka_unit_test(test_status_max_levels),
	    cmocka_unit_test(test_status_empty),
	    cmocka_unit_test(test_status_len_honoured),
	    cmocka_unit_test(test_status_not_nul_terminated),
	};
	GArray *tests = case_tests_new(fixed);

	case_tests_add(tests, stat_cases, test_stat_case);
	case_tests_add(tests, stat_refused, test_stat_refused);
	case_tests_add(tests, status_cases, test_status_case);
	case_tests_add(tests, status_refused, test_status_refused);
	case_tests_add(tests, pid_names, test_pid_name);
	case_tests_add(tests, pid_names_refused, test_pid_name_refused);
	return case_tests_run("proc_parse", tests);
}

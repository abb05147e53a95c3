/* Unit tests for the pure /proc parsers: parse_proc_stat, parse_proc_status, parse_pid_name. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "proc_parse.h"

/*
 * A buffer placed so that its last byte is the last readable byte before a PROT_NONE page:
 * a parser reading even one byte past len crashes the test instead of passing by luck.
 */
struct guarded {
	char *map;
	size_t page;
};

static const char *guard_place(struct guarded *g, const char *data, size_t len)
{
	char *dst;

	g->page = (size_t)sysconf(_SC_PAGESIZE);
	assert_true(len <= g->page);
	g->map =
	    mmap(NULL, 2 * g->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(g->map != MAP_FAILED);
	assert_int_equal(mprotect(g->map + g->page, g->page, PROT_NONE), 0);
	dst = g->map + g->page - len;
	memcpy(dst, data, len);
	return dst;
}

static void guard_release(struct guarded *g)
{
	assert_int_equal(munmap(g->map, 2 * g->page), 0);
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

static int stat_str(const char *s, struct proc_stat *st)
{
	return parse_proc_stat(s, strlen(s), st);
}

static void test_stat_real_line(void **state)
{
	struct proc_stat st;

	(void)state;
	assert_int_equal(stat_str(STAT_LINE, &st), 0);
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.ppid, 3317);
	assert_int_equal(st.flags, 0x400100u);
	assert_int_equal(st.start, 72821);
	assert_int_equal(st.flags & NSPIDFS_PF_KTHREAD, 0);
}

static void test_stat_real_line_other_values(void **state)
{
	static const char line[] =
	    "1 (systemd) R 0 1 1 0 -1 4194560 100 200 300 400 500 600 700 800 20 0 1 0 "
	    "18446744073709551615 3133440 374\n";
	struct proc_stat st;

	(void)state;
	assert_int_equal(stat_str(line, &st), 0);
	assert_int_equal(st.state, 'R');
	assert_int_equal(st.ppid, 0);
	assert_int_equal(st.flags, 4194560u);
	assert_true(st.start == UINT64_MAX);
}

static void test_stat_comm_with_parens_and_spaces(void **state)
{
	struct proc_stat st;

	(void)state;
	assert_int_equal(stat_str("1234 (a) b) (c) " STAT_TAIL, &st), 0);
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.ppid, 3317);
	assert_int_equal(st.flags, 0x400100u);
	assert_int_equal(st.start, 72821);

	/* A comm that imitates the fields must not be taken for them. */
	assert_int_equal(stat_str("1234 (x) Z 77 1 1 0 -1 9 ) " STAT_TAIL, &st), 0);
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.ppid, 3317);
	assert_int_equal(st.start, 72821);

	assert_int_equal(stat_str("1234 (()) " STAT_TAIL, &st), 0);
	assert_int_equal(st.start, 72821);
	assert_int_equal(stat_str("1234 () " STAT_TAIL, &st), 0);
	assert_int_equal(st.start, 72821);
	assert_int_equal(stat_str("1234 (  sp ace  ) " STAT_TAIL, &st), 0);
	assert_int_equal(st.start, 72821);
}

static void test_stat_kernel_thread(void **state)
{
	/* kthreadd: flags 0x208040 = PF_KTHREAD | PF_NOFREEZE | PF_FORKNOEXEC. */
	static const char line[] = "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 "
				   "3 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 "
				   "17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
	struct proc_stat st;

	(void)state;
	assert_int_equal(stat_str(line, &st), 0);
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.ppid, 0);
	assert_int_equal(st.flags, 0x208040u);
	assert_int_equal(st.flags & NSPIDFS_PF_KTHREAD, NSPIDFS_PF_KTHREAD);
	assert_int_equal(st.start, 3);
}

static void test_stat_missing_close_paren(void **state)
{
	struct proc_stat st;

	(void)state;
	assert_int_equal(stat_str("3325 (cat " STAT_TAIL, &st), -EINVAL);
	assert_int_equal(stat_str("3325 cat " STAT_TAIL, &st), -EINVAL);
	assert_int_equal(stat_str("", &st), -EINVAL);
	assert_int_equal(parse_proc_stat("x", 0, &st), -EINVAL);
}

static void test_stat_truncated_before_field_22(void **state)
{
	struct proc_stat st;

	(void)state;
	assert_int_equal(stat_str("3325 (cat) " STAT_TAIL_TO_21, &st), -EINVAL);
	assert_int_equal(stat_str("3325 (cat) " STAT_TAIL_TO_21 " ", &st), -EINVAL);
	assert_int_equal(stat_str("3325 (cat) " STAT_TAIL_TO_21 "\t \t", &st), -EINVAL);
	assert_int_equal(stat_str("3325 (cat) S 3317", &st), -EINVAL);
	assert_int_equal(stat_str("3325 (cat) ", &st), -EINVAL);
	assert_int_equal(stat_str("3325 (cat)", &st), -EINVAL);
}

static void test_stat_bad_starttime(void **state)
{
	struct proc_stat st;

	(void)state;
	assert_int_equal(stat_str("3325 (cat) " STAT_TAIL_TO_21 " 72a21" STAT_TAIL_FROM_23, &st),
			 -EINVAL);
	assert_int_equal(stat_str("3325 (cat) " STAT_TAIL_TO_21 " abc" STAT_TAIL_FROM_23, &st),
			 -EINVAL);
	assert_int_equal(stat_str("3325 (cat) " STAT_TAIL_TO_21 " -1" STAT_TAIL_FROM_23, &st),
			 -EINVAL);
	assert_int_equal(stat_str("3325 (cat) " STAT_TAIL_TO_21 " +1" STAT_TAIL_FROM_23, &st),
			 -EINVAL);
	assert_int_equal(stat_str("3325 (cat) " STAT_TAIL_TO_21 " 0x10" STAT_TAIL_FROM_23, &st),
			 -EINVAL);
}

static void test_stat_overflow(void **state)
{
	struct proc_stat st;

	(void)state;
	/* UINT64_MAX + 1 */
	assert_int_equal(
	    stat_str("3325 (cat) " STAT_TAIL_TO_21 " 18446744073709551616" STAT_TAIL_FROM_23, &st),
	    -EINVAL);
	/* UINT64_MAX followed by one more digit */
	assert_int_equal(
	    stat_str("3325 (cat) " STAT_TAIL_TO_21 " 184467440737095516150" STAT_TAIL_FROM_23, &st),
	    -EINVAL);
	assert_int_equal(stat_str("3325 (cat) " STAT_TAIL_TO_21
				  " 999999999999999999999999999999" STAT_TAIL_FROM_23,
				  &st),
			 -EINVAL);
	/* UINT64_MAX itself is fine. */
	assert_int_equal(
	    stat_str("3325 (cat) " STAT_TAIL_TO_21 " 18446744073709551615" STAT_TAIL_FROM_23, &st),
	    0);
	assert_true(st.start == UINT64_MAX);

	/* ppid above INT32_MAX, flags above UINT32_MAX. */
	assert_int_equal(
	    stat_str("1 (x) S 2147483648 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0\n", &st), -EINVAL);
	assert_int_equal(
	    stat_str("1 (x) S 2147483647 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0\n", &st), 0);
	assert_int_equal(st.ppid, 2147483647);
	assert_int_equal(
	    stat_str("1 (x) S 1 0 0 0 -1 4294967296 0 0 0 0 0 0 0 0 20 0 1 0 5 0\n", &st), -EINVAL);
	assert_int_equal(
	    stat_str("1 (x) S 1 0 0 0 -1 4294967295 0 0 0 0 0 0 0 0 20 0 1 0 5 0\n", &st), 0);
	assert_int_equal(st.flags, 4294967295u);
}

static void test_stat_bad_state_and_ppid(void **state)
{
	struct proc_stat st;

	(void)state;
	assert_int_equal(stat_str("1 (x) SS 1 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0\n", &st),
			 -EINVAL);
	assert_int_equal(stat_str("1 (x) S -1 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0\n", &st),
			 -EINVAL);
	assert_int_equal(stat_str("1 (x) S x 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0\n", &st),
			 -EINVAL);
	assert_int_equal(stat_str("1 (x) S 1 0 0 0 -1 -5 0 0 0 0 0 0 0 0 20 0 1 0 5 0\n", &st),
			 -EINVAL);
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
	assert_int_equal(stat_str(buf, &st), -EINVAL);

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

static int status_str(const char *s, struct proc_status *st)
{
	return parse_proc_status(s, strlen(s), st);
}

static void test_status_name_state_threads(void **state)
{
	static const char text[] = STATUS_HEAD "NStgid:\t3312\n"
					       "NSpid:\t3313\n" STATUS_TAIL;
	static const char escaped[] = "Name:\ta\\\\b\\nc d\nState:\tZ (zombie)\nTgid:\t5\n"
				      "PPid:\t1\nThreads:\t3\nNSpid:\t5\n";
	static const char kthread[] = "Name:\tkworker/0:1\nState:\tI (idle)\nTgid:\t9\n"
				      "PPid:\t2\nNSpid:\t9\nThreads:\t1\n";
	struct proc_status st;

	(void)state;
	assert_int_equal(status_str(text, &st), 0);
	assert_string_equal(st.name, "sleep");
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.threads, 1);
	assert_false(st.kthread);
	/* The kernel escapes '\\' and '\n' in Name:; the parser undoes exactly that. */
	assert_int_equal(status_str(escaped, &st), 0);
	assert_string_equal(st.name, "a\\b\nc d");
	assert_int_equal(st.state, 'Z');
	assert_int_equal(st.threads, 3);
	/* No Kthread: line (older kernels), no memory, not a zombie: a kernel thread. */
	assert_false(st.kthread);
	assert_int_equal(status_str(kthread, &st), 0);
	assert_true(st.kthread);
}

static void test_stat_comm(void **state)
{
	struct proc_stat st;

	(void)state;
	assert_int_equal(stat_str("1234 (a) b) (c) " STAT_TAIL, &st), 0);
	assert_string_equal(st.comm, "a) b) (c");
	assert_int_equal(stat_str("1234 () " STAT_TAIL, &st), 0);
	assert_string_equal(st.comm, "");
	/* ')' before '(' is not a comm. */
	assert_int_equal(stat_str("1234 )x( " STAT_TAIL, &st), -EINVAL);
}

static void test_status_single_level(void **state)
{
	static const char text[] = STATUS_HEAD "NStgid:\t3312\n"
					       "NSpid:\t3313\n" STATUS_TAIL;
	struct proc_status st;

	(void)state;
	assert_int_equal(status_str(text, &st), 0);
	assert_int_equal(st.tgid, 3312);
	assert_int_equal(st.ppid, 3300);
	assert_int_equal(st.nspid_count, 1);
	assert_int_equal(st.nspid[0], 3313);
	assert_int_equal(st.nspid[1], 0);
}

static void test_status_three_levels(void **state)
{
	static const char text[] = STATUS_HEAD "NStgid:\t3312\t4\t1\n"
					       "NSpid:\t3312\t5\t1\n" STATUS_TAIL;
	struct proc_status st;

	(void)state;
	assert_int_equal(status_str(text, &st), 0);
	assert_int_equal(st.tgid, 3312);
	assert_int_equal(st.ppid, 3300);
	assert_int_equal(st.nspid_count, 3);
	assert_int_equal(st.nspid[0], 3312);
	assert_int_equal(st.nspid[1], 5);
	assert_int_equal(st.nspid[2], 1);
	assert_int_equal(st.nspid[3], 0);
}

static void test_status_spaces(void **state)
{
	struct proc_status st;

	(void)state;
	/* Spaces instead of tabs. */
	assert_int_equal(status_str("Tgid: 12\nPPid: 7\nNSpid: 12 3\n", &st), 0);
	assert_int_equal(st.tgid, 12);
	assert_int_equal(st.ppid, 7);
	assert_int_equal(st.nspid_count, 2);
	assert_int_equal(st.nspid[0], 12);
	assert_int_equal(st.nspid[1], 3);

	/* Extra blanks everywhere, and no blank at all after the colon. */
	assert_int_equal(
	    status_str("Tgid:   \t 42  \t\nPPid:0\nNSpid:  \t 42 \t  9  \t 1 \t\n", &st), 0);
	assert_int_equal(st.tgid, 42);
	assert_int_equal(st.ppid, 0);
	assert_int_equal(st.nspid_count, 3);
	assert_int_equal(st.nspid[0], 42);
	assert_int_equal(st.nspid[1], 9);
	assert_int_equal(st.nspid[2], 1);
}

static void test_status_order_independent(void **state)
{
	struct proc_status st;

	(void)state;
	assert_int_equal(status_str("NSpid:\t8\t2\nPPid:\t5\nName:\tx\nTgid:\t8\n", &st), 0);
	assert_int_equal(st.tgid, 8);
	assert_int_equal(st.ppid, 5);
	assert_int_equal(st.nspid_count, 2);
	assert_int_equal(st.nspid[0], 8);
	assert_int_equal(st.nspid[1], 2);
}

static void test_status_missing_keys(void **state)
{
	struct proc_status st;

	(void)state;
	/* No NSpid (pre-4.1 kernel): only NStgid, which must not stand in for it. */
	assert_int_equal(status_str(STATUS_HEAD "NStgid:\t3312\n" STATUS_TAIL, &st), -EINVAL);
	assert_int_equal(status_str("Tgid:\t1\nPPid:\t0\n", &st), -EINVAL);
	/* No Tgid. */
	assert_int_equal(status_str("PPid:\t0\nNSpid:\t1\n", &st), -EINVAL);
	assert_int_equal(status_str("Pid:\t1\nPPid:\t0\nNSpid:\t1\n", &st), -EINVAL);
	/* No PPid. */
	assert_int_equal(status_str("Tgid:\t1\nNSpid:\t1\n", &st), -EINVAL);
	assert_int_equal(status_str("Tgid:\t1\nTracerPid:\t0\nNSpid:\t1\n", &st), -EINVAL);
	/* Sanity: the same keys all present parse. */
	assert_int_equal(status_str("Tgid:\t1\nPPid:\t0\nNSpid:\t1\n", &st), 0);
	assert_int_equal(st.tgid, 1);
	assert_int_equal(st.nspid_count, 1);
	assert_int_equal(st.nspid[0], 1);
}

static void test_status_bad_nspid_values(void **state)
{
	struct proc_status st;

	(void)state;
	assert_int_equal(status_str("Tgid:\t1\nPPid:\t0\nNSpid:\t0\n", &st), -EINVAL);
	assert_int_equal(status_str("Tgid:\t1\nPPid:\t0\nNSpid:\t12\t0\t1\n", &st), -EINVAL);
	assert_int_equal(status_str("Tgid:\t1\nPPid:\t0\nNSpid:\t-1\n", &st), -EINVAL);
	assert_int_equal(status_str("Tgid:\t1\nPPid:\t0\nNSpid:\t12\t-5\n", &st), -EINVAL);
	assert_int_equal(status_str("Tgid:\t1\nPPid:\t0\nNSpid:\tabc\n", &st), -EINVAL);
	assert_int_equal(status_str("Tgid:\t1\nPPid:\t0\nNSpid:\t12a\n", &st), -EINVAL);
	assert_int_equal(status_str("Tgid:\t1\nPPid:\t0\nNSpid:\t+12\n", &st), -EINVAL);
	assert_int_equal(status_str("Tgid:\t1\nPPid:\t0\nNSpid:\n", &st), -EINVAL);
	assert_int_equal(status_str("Tgid:\t1\nPPid:\t0\nNSpid:\t \t \n", &st), -EINVAL);
	assert_int_equal(status_str("Tgid:\t1\nPPid:\t0\nNSpid:\t1\r\n", &st), -EINVAL);
}

static void test_status_bad_tgid_ppid_values(void **state)
{
	struct proc_status st;

	(void)state;
	assert_int_equal(status_str("Tgid:\t12 13\nPPid:\t0\nNSpid:\t12\n", &st), -EINVAL);
	assert_int_equal(status_str("Tgid:\t12\t13\nPPid:\t0\nNSpid:\t12\n", &st), -EINVAL);
	assert_int_equal(status_str("Tgid:\t12 x\nPPid:\t0\nNSpid:\t12\n", &st), -EINVAL);
	assert_int_equal(status_str("Tgid:\t12\nPPid:\t1 x\nNSpid:\t12\n", &st), -EINVAL);
	assert_int_equal(status_str("Tgid:\t\nPPid:\t0\nNSpid:\t12\n", &st), -EINVAL);
	assert_int_equal(status_str("Tgid:\tx\nPPid:\t0\nNSpid:\t12\n", &st), -EINVAL);
	assert_int_equal(status_str("Tgid:\t-12\nPPid:\t0\nNSpid:\t12\n", &st), -EINVAL);
	assert_int_equal(status_str("Tgid:\t12\nPPid:\t-1\nNSpid:\t12\n", &st), -EINVAL);
	/* Trailing blanks are not garbage. */
	assert_int_equal(status_str("Tgid:\t12 \t\nPPid:\t3  \nNSpid:\t12\n", &st), 0);
	assert_int_equal(st.tgid, 12);
	assert_int_equal(st.ppid, 3);
}

static void test_status_huge_numbers(void **state)
{
	struct proc_status st;

	(void)state;
	assert_int_equal(status_str("Tgid:\t1\nPPid:\t0\nNSpid:\t2147483648\n", &st), -EINVAL);
	assert_int_equal(status_str("Tgid:\t1\nPPid:\t0\nNSpid:\t5\t4294967297\n", &st), -EINVAL);
	assert_int_equal(
	    status_str("Tgid:\t1\nPPid:\t0\nNSpid:\t123456789012345678901234567890\n", &st),
	    -EINVAL);
	assert_int_equal(status_str("Tgid:\t2147483648\nPPid:\t0\nNSpid:\t1\n", &st), -EINVAL);
	assert_int_equal(
	    status_str("Tgid:\t123456789012345678901234567890\nPPid:\t0\nNSpid:\t1\n", &st),
	    -EINVAL);
	assert_int_equal(status_str("Tgid:\t1\nPPid:\t2147483648\nNSpid:\t1\n", &st), -EINVAL);
	/* INT32_MAX itself is accepted. */
	assert_int_equal(
	    status_str("Tgid:\t2147483647\nPPid:\t2147483647\nNSpid:\t2147483647\t1\n", &st), 0);
	assert_int_equal(st.tgid, 2147483647);
	assert_int_equal(st.ppid, 2147483647);
	assert_int_equal(st.nspid_count, 2);
	assert_int_equal(st.nspid[0], 2147483647);
	assert_int_equal(st.nspid[1], 1);
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

static void test_status_incomplete_last_line(void **state)
{
	struct proc_status st;

	(void)state;
	/* The NSpid line is complete-looking but has no '\n': it may have been cut, so ignored. */
	assert_int_equal(status_str(STATUS_HEAD "NStgid:\t3312\t4\t1\nNSpid:\t3312\t5\t1", &st),
			 -EINVAL);
	assert_int_equal(status_str("Tgid:\t1\nPPid:\t0\nNSpid:\t1", &st), -EINVAL);
	/* Likewise for a cut Tgid line. */
	assert_int_equal(status_str("PPid:\t0\nNSpid:\t1\nTgid:\t1", &st), -EINVAL);
	/* A cut line after all the needed ones does not matter. */
	assert_int_equal(status_str("Tgid:\t1\nPPid:\t0\nNSpid:\t7\t1\nNSpgid:\t", &st), 0);
	assert_int_equal(st.tgid, 1);
	assert_int_equal(st.nspid_count, 2);
	assert_int_equal(st.nspid[0], 7);
	assert_int_equal(st.nspid[1], 1);
	/* Nor does a malformed one, if cut (no '\n'). */
	assert_int_equal(status_str("Tgid:\t1\nPPid:\t0\nNSpid:\t7\nTgid:\tgarbage", &st), 0);
	assert_int_equal(st.tgid, 1);
}

static void test_status_empty(void **state)
{
	struct proc_status st;

	(void)state;
	assert_int_equal(parse_proc_status("", 0, &st), -EINVAL);
	assert_int_equal(parse_proc_status("Tgid:\t1\nPPid:\t0\nNSpid:\t1\n", 0, &st), -EINVAL);
	assert_int_equal(status_str("\n\n\n", &st), -EINVAL);
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
	assert_int_equal(status_str(buf, &st), -EINVAL);

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

static void test_status_key_prefixes(void **state)
{
	struct proc_status st;

	(void)state;
	assert_int_equal(status_str("Tgid:\t1\nPPid:\t0\nNSpidX:\t1\n", &st), -EINVAL);
	assert_int_equal(status_str("Tgid:\t1\nPPid:\t0\nXNSpid:\t1\n", &st), -EINVAL);
	assert_int_equal(status_str("Tgid:\t1\nPPid:\t0\nNSpi:\t1\n", &st), -EINVAL);
	assert_int_equal(status_str("Tgid:\t1\nPPid:\t0\nNSpid :\t1\n", &st), -EINVAL);
	assert_int_equal(status_str("Tgid:\t1\nPPid:\t0\n NSpid:\t1\n", &st), -EINVAL);
	assert_int_equal(status_str("Tgid:\t1\nPPid:\t0\nnspid:\t1\n", &st), -EINVAL);
	assert_int_equal(status_str("Tgid:\t1\nPPid:\t0\nNSpid\t1\n", &st), -EINVAL);
	assert_int_equal(status_str("Tgidx:\t1\nPPid:\t0\nNSpid:\t1\n", &st), -EINVAL);
	assert_int_equal(status_str("Tgid:\t1\nXPPid:\t0\nNSpid:\t1\n", &st), -EINVAL);

	/* Look-alike keys around the real one, with values that would differ, are ignored. */
	assert_int_equal(status_str("XTgid:\t99\nTgid:\t1\nTgidX:\t98\nPPid:\t4\nTracerPid:\tjunk\n"
				    "NSpidX:\t999\t998\nXNSpid:\t997\nNSpid:\t1\t2\n"
				    "NSpgid:\t0\n",
				    &st),
			 0);
	assert_int_equal(st.tgid, 1);
	assert_int_equal(st.ppid, 4);
	assert_int_equal(st.nspid_count, 2);
	assert_int_equal(st.nspid[0], 1);
	assert_int_equal(st.nspid[1], 2);
}

/* ------------------------------------------------------------------ parse_pid_name */

static void test_pid_name_valid(void **state)
{
	static const struct {
		const char *name;
		pid_t pid;
	} cases[] = {
	    {"1", 1}, {"42", 42}, {"9", 9}, {"10", 10}, {"4194303", 4194303}, {"1000000", 1000000},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pid_t pid = -7;

		assert_int_equal(parse_pid_name(cases[i].name, &pid), 0);
		assert_int_equal(pid, cases[i].pid);
	}
}

static void test_pid_name_invalid(void **state)
{
	static const char *const names[] = {
	    "",		"0",	   "00",	  "007",
	    "-1",	"+1",	   "1e3",	  "abc",
	    "12a",	" 1",	   "1 ",	  "1\n",
	    "4194304",	"9999999", "99999999",	  "12345678901234567890",
	    "04194303", "self",	   "thread-self", ".",
	    "..",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		pid_t pid = -7;

		if (parse_pid_name(names[i], &pid) != -ENOENT)
			fail_msg("parse_pid_name(\"%s\") did not answer -ENOENT", names[i]);
		assert_int_equal(pid, -7);
	}
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stat_real_line),
	    cmocka_unit_test(test_stat_cut_inside_starttime),
	    cmocka_unit_test(test_stat_real_line_other_values),
	    cmocka_unit_test(test_stat_comm_with_parens_and_spaces),
	    cmocka_unit_test(test_stat_kernel_thread),
	    cmocka_unit_test(test_stat_missing_close_paren),
	    cmocka_unit_test(test_stat_truncated_before_field_22),
	    cmocka_unit_test(test_stat_bad_starttime),
	    cmocka_unit_test(test_stat_overflow),
	    cmocka_unit_test(test_stat_bad_state_and_ppid),
	    cmocka_unit_test(test_stat_len_honoured),
	    cmocka_unit_test(test_stat_ignores_bytes_after_len),
	    cmocka_unit_test(test_stat_not_nul_terminated),
	    cmocka_unit_test(test_status_single_level),
	    cmocka_unit_test(test_status_name_state_threads),
	    cmocka_unit_test(test_stat_comm),
	    cmocka_unit_test(test_status_three_levels),
	    cmocka_unit_test(test_status_spaces),
	    cmocka_unit_test(test_status_order_independent),
	    cmocka_unit_test(test_status_missing_keys),
	    cmocka_unit_test(test_status_bad_nspid_values),
	    cmocka_unit_test(test_status_bad_tgid_ppid_values),
	    cmocka_unit_test(test_status_huge_numbers),
	    cmocka_unit_test(test_status_max_levels),
	    cmocka_unit_test(test_status_incomplete_last_line),
	    cmocka_unit_test(test_status_empty),
	    cmocka_unit_test(test_status_len_honoured),
	    cmocka_unit_test(test_status_not_nul_terminated),
	    cmocka_unit_test(test_status_key_prefixes),
	    cmocka_unit_test(test_pid_name_valid),
	    cmocka_unit_test(test_pid_name_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

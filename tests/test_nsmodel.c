/*
 * Unit tests for derived namespace models (nsmodel.c): a model derived from another with
 * processes dropped and added must equal the model built whole from the same processes, and
 * share with its base every namespace those changes did not touch. Models are released in
 * every order; under the sanitizers a leak or a use after free fails the test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "format_ns.h"
#include "nsmodel.h"

#define ROOT UINT64_C(4026531836)
#define NS_A UINT64_C(4026532306)
#define NS_B UINT64_C(4026532400)
#define NS_C UINT64_C(4026532500)

/* A process as a test step names it: host PID, its namespace and its NSpid. */
struct proc {
	pid_t host;
	char state;
	const char *comm;
	uint64_t ns;
	unsigned depth;
	pid_t nspid[4];
};

static void add_ns_chain(struct ns_model *m, uint64_t ns)
{
	if (ns == NS_A || ns == NS_C)
		ns_model_add_ns(m, ns, ROOT, 1);
	if (ns == NS_B) {
		ns_model_add_ns(m, NS_A, ROOT, 1);
		ns_model_add_ns(m, NS_B, NS_A, 2);
	}
}

static void add(struct ns_model *m, const struct proc *p)
{
	add_ns_chain(m, p->ns);
	ns_model_add_proc(m, p->host, p->state, 1, p->comm, p->ns, p->nspid, p->depth, 100);
}

static const struct proc base_procs[] = {
    {1, 'S', "systemd", ROOT, 1, {1}},		 {500, 'S', "sshd", ROOT, 1, {500}},
    {5000, 'S', "initA", NS_A, 2, {5000, 1}},	 {5001, 'S', "workA", NS_A, 2, {5001, 2}},
    {5100, 'S', "initB", NS_B, 3, {5100, 3, 1}}, {5101, 'S', "workB", NS_B, 3, {5101, 4, 2}},
    {5200, 'S', "initC", NS_C, 2, {5200, 1}},
};

/* A whole model of base_procs, less the host PIDs in skip, plus extra. */
static struct ns_model *whole(const pid_t *skip, size_t n_skip, const struct proc *extra,
			      size_t n_extra)
{
	struct ns_model *m = ns_model_new(ROOT);
	GArray *all = g_array_new(FALSE, FALSE, sizeof(struct proc));

	for (size_t i = 0; i < G_N_ELEMENTS(base_procs); i++) {
		bool skipped = false;

		for (size_t k = 0; k < n_skip; k++)
			skipped |= base_procs[i].host == skip[k];
		if (!skipped)
			g_array_append_val(all, base_procs[i]);
	}
	g_array_append_vals(all, extra, (guint)n_extra);
	/* A whole build adds by host PID. */
	for (guint i = 0; i < all->len; i++)
		for (guint j = i + 1; j < all->len; j++)
			if (g_array_index(all, struct proc, j).host <
			    g_array_index(all, struct proc, i).host) {
				struct proc t = g_array_index(all, struct proc, i);

				g_array_index(all, struct proc, i) =
				    g_array_index(all, struct proc, j);
				g_array_index(all, struct proc, j) = t;
			}
	for (guint i = 0; i < all->len; i++)
		add(m, &g_array_index(all, struct proc, i));
	g_array_unref(all);
	ns_model_finish(m);
	return m;
}

static struct ns_model *derive(struct ns_model *base, const pid_t *drop, size_t n_drop,
			       const struct proc *extra, size_t n_extra)
{
	struct ns_model *m = ns_model_derive(base);

	for (size_t k = 0; k < n_drop; k++)
		ns_model_drop_proc(m, drop[k]);
	for (size_t k = 0; k < n_extra; k++)
		add(m, &extra[k]);
	ns_model_finish(m);
	return m;
}

/* Both models say the same of every namespace: the tree and each namespace's JSON. */
static void assert_same(const struct ns_model *got, const struct ns_model *want)
{
	g_autoptr(GString) t1 = format_tree(got, ns_model_root(got));
	g_autoptr(GString) t2 = format_tree(want, ns_model_root(want));

	assert_string_equal(t1->str, t2->str);
	assert_int_equal(got->order->len, want->order->len);
	for (guint i = 0; i < want->order->len; i++) {
		const struct ns_info *w = g_ptr_array_index(want->order, i);
		const struct ns_info *g = ns_model_find(got, w->ino);
		g_autoptr(GString) j1 = NULL, j2 = format_ns_json(want, w, NULL);

		assert_non_null(g);
		j1 = format_ns_json(got, g, NULL);
		assert_string_equal(j1->str, j2->str);
		assert_int_equal(g->direct, w->direct);
		assert_int_equal(g->init, w->init);
	}
}

static void test_nothing_changed_shares_all(void **state)
{
	struct ns_model *base = whole(NULL, 0, NULL, 0), *m = derive(base, NULL, 0, NULL, 0);

	(void)state;
	assert_same(m, base);
	for (guint i = 0; i < base->order->len; i++) {
		const struct ns_info *ns = g_ptr_array_index(base->order, i);

		assert_ptr_equal(ns_model_find(m, ns->ino), ns);
	}
	ns_model_unref(base);
	ns_model_unref(m);
}

static void test_drop_and_add(void **state)
{
	static const pid_t drop[] = {5101};
	static const struct proc extra[] = {{5102, 'S', "newB", NS_B, 3, {5102, 5, 3}},
					    {7000, 'R', "late", ROOT, 1, {7000}}};
	struct ns_model *base = whole(NULL, 0, NULL, 0);
	struct ns_model *m = derive(base, drop, 1, extra, 2);
	struct ns_model *want = whole(drop, 1, extra, 2);

	(void)state;
	assert_same(m, want);
	/* C had no change: shared. A and B, where 5101 and 5102 have PIDs, are new. */
	assert_ptr_equal(ns_model_find(m, NS_C), ns_model_find(base, NS_C));
	assert_ptr_not_equal(ns_model_find(m, NS_B), ns_model_find(base, NS_B));
	assert_ptr_not_equal(ns_model_find(m, NS_A), ns_model_find(base, NS_A));
	/* The newer model released first: the older still reads what it had. */
	ns_model_unref(m);
	ns_model_unref(want);
	assert_int_equal(ns_model_find(base, NS_B)->members->len, 2);
	ns_model_unref(base);
}

static void test_namespace_ends_with_its_last_process(void **state)
{
	static const pid_t drop[] = {5200};
	struct ns_model *base = whole(NULL, 0, NULL, 0), *m = derive(base, drop, 1, NULL, 0);
	struct ns_model *want = whole(drop, 1, NULL, 0);

	(void)state;
	assert_null(ns_model_find(m, NS_C));
	assert_same(m, want);
	ns_model_unref(base);
	ns_model_unref(want);
	ns_model_unref(m);
}

static void test_init_replaced_by_a_zombie(void **state)
{
	/* The init read again as a zombie: its namespace has no init now. */
	static const pid_t drop[] = {5000};
	static const struct proc extra[] = {{5000, 'Z', "initA", NS_A, 2, {5000, 1}}};
	struct ns_model *base = whole(NULL, 0, NULL, 0), *m = derive(base, drop, 1, extra, 1);

	(void)state;
	assert_int_equal(ns_model_find(base, NS_A)->init, 5000);
	assert_int_equal(ns_model_find(m, NS_A)->init, 0);
	ns_model_unref(m);
	ns_model_unref(base);
}

static void test_new_namespace_below_a_shared_one(void **state)
{
	static const struct proc extra[] = {
	    {8000, 'S', "initD", UINT64_C(4026532900), 4, {8000, 9, 5, 1}}};
	struct ns_model *base = whole(NULL, 0, NULL, 0), *m = ns_model_derive(base);
	const struct ns_info *d, *b;

	(void)state;
	ns_model_add_ns(m, UINT64_C(4026532900), NS_B, 3);
	ns_model_add_proc(m, extra[0].host, 'S', 1, "initD", extra[0].ns, extra[0].nspid, 4, 100);
	ns_model_finish(m);
	d = ns_model_find(m, UINT64_C(4026532900));
	b = ns_model_find(m, NS_B);
	assert_non_null(d);
	assert_int_equal(d->init, 8000);
	assert_int_equal(b->children->len, 1);
	assert_int_equal(ns_model_find(base, NS_B)->children->len, 0);
	assert_int_equal(ns_model_root(m)->members->len, G_N_ELEMENTS(base_procs) + 1);
	ns_model_unref(base);
	ns_model_unref(m);
}

static void test_chain_released_in_any_order(void **state)
{
	static const pid_t drop1[] = {500}, drop2[] = {5001};
	static const struct proc add1[] = {{600, 'S', "a", ROOT, 1, {600}}};
	static const struct proc add2[] = {{5003, 'S', "b", NS_A, 2, {5003, 3}}};
	struct ns_model *m0 = whole(NULL, 0, NULL, 0);
	struct ns_model *m1 = derive(m0, drop1, 1, add1, 1);
	struct ns_model *m2 = derive(m1, drop2, 1, add2, 1);
	struct ns_model *m3 = derive(m2, NULL, 0, NULL, 0);

	(void)state;
	/* The middle ones first, then the newest, then the oldest. */
	ns_model_unref(m1);
	ns_model_unref(m2);
	assert_int_equal(ns_model_root(m0)->members->len, G_N_ELEMENTS(base_procs));
	ns_model_unref(m3);
	assert_int_equal(ns_model_find(m0, NS_A)->members->len, 4);
	ns_model_unref(m0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nothing_changed_shares_all),
	    cmocka_unit_test(test_drop_and_add),
	    cmocka_unit_test(test_namespace_ends_with_its_last_process),
	    cmocka_unit_test(test_init_replaced_by_a_zombie),
	    cmocka_unit_test(test_new_namespace_below_a_shared_one),
	    cmocka_unit_test(test_chain_released_in_any_order),
	};

	return cmocka_run_group_tests_name("nsmodel", tests, NULL, NULL);
}

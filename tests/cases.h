/*
 * Tables of cases run as cmocka tests, one test per row: a failing row is reported by its
 * name, and the rows after it still run. Include after cmocka.h.
 */
#pragma once

#include <glib.h>

/* A list of tests to run, starting with fixed ones (an array of struct CMUnitTest). */
#define case_tests_new(fixed)                                                                      \
	g_array_append_vals(g_array_new(FALSE, FALSE, sizeof(struct CMUnitTest)), fixed,           \
			    G_N_ELEMENTS(fixed))

/* One test per row of table (rows have a name), run as check with the row as its state. */
#define case_tests_add(tests, table, check)                                                        \
	do {                                                                                       \
		for (size_t i_ = 0; i_ < G_N_ELEMENTS(table); i_++) {                              \
			struct CMUnitTest t_ = {(table)[i_].name, check, NULL, NULL,               \
						(void *)&(table)[i_]};                             \
			g_array_append_val(tests, t_);                                             \
		}                                                                                  \
	} while (0)

static inline int case_tests_run(const char *group, GArray *tests)
{
	int failed = _cmocka_run_group_tests(group, (const struct CMUnitTest *)(void *)tests->data,
					     tests->len, NULL, NULL);

	g_array_unref(tests);
	return failed;
}

/* Unit tests of parsers: text placed where reading past its end faults. */
#pragma once

#include <stddef.h>

/*
 * A buffer placed so that its last byte is the last readable byte before a PROT_NONE page:
 * a parser reading even one byte past len crashes the test instead of passing by luck.
 */
struct guarded {
	char *map;
	size_t page;
};

/* data's len bytes (at most a page), ending at the guard page. */
const char *guard_place(struct guarded *g, const char *data, size_t len);
void guard_release(struct guarded *g);

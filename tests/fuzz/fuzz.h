/* What the libFuzzer harnesses share: the entry point's prototype, exact copies, a check. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A failed invariant is a crash, so that libFuzzer saves the input that broke it. */
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__,       \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/*
 * The input in a heap block of exactly size bytes, no terminator: AddressSanitizer then
 * reports a read even one byte past the end, which libFuzzer's own buffer might not.
 */
static inline char *fuzz_dup_exact(const uint8_t *data, size_t size)
{
	char *p = malloc(size ? size : 1);

	FUZZ_CHECK(p);
	if (size)
		memcpy(p, data, size);
	return p;
}

/*
 * The input up to its first NUL and at most max bytes, as a C string in a block of exactly its
 * length and the terminator: a name as the kernel hands it over.
 */
static inline char *fuzz_dup_cstr(const uint8_t *data, size_t size, size_t max)
{
	size_t n = size < max ? size : max;
	const uint8_t *nul = memchr(data, '\0', n);
	char *p;

	if (nul)
		n = (size_t)(nul - data);
	p = malloc(n + 1);

	FUZZ_CHECK(p);
	if (n)
		memcpy(p, data, n);
	p[n] = '\0';
	return p;
}

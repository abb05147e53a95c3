/*
 * What the libFuzzer harnesses share: the entry point's prototype, exact copies, a check, and
 * the test that a text shows a terminal no control.
 */
#pragma once

#include <stdbool.h>
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

/* Length of the UTF-8 sequence at u (avail bytes) as its lead and continuation bytes say, or 0. */
static inline size_t fuzz_utf8_len(const unsigned char *u, size_t avail)
{
	size_t n;

	if (u[0] < 0x80)
		return 1;
	if (u[0] < 0xc2 || u[0] > 0xf4)
		return 0;
	n = u[0] < 0xe0 ? 2 : u[0] < 0xf0 ? 3 : 4;
	if (n > avail)
		return 0;
	for (size_t k = 1; k < n; k++)
		if ((u[k] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * Whether len bytes of text hold nothing a terminal obeys: no C0 control (but newline, where
 * newline_ok), no DEL, and no C1 control, neither encoded (C2 80..C2 9F) nor as a raw byte
 * 0x80..0x9f outside a multibyte sequence. Decoded here, apart from the code under test.
 */
static inline bool fuzz_free_of_controls(const char *text, size_t len, bool newline_ok)
{
	const unsigned char *u = (const unsigned char *)text;

	for (size_t i = 0, n; i < len; i += n ? n : 1) {
		n = fuzz_utf8_len(u + i, len - i);
		if ((u[i] < 0x20 && !(newline_ok && u[i] == '\n')) || u[i] == 0x7f)
			return false;
		if (n == 0 && u[i] >= 0x80 && u[i] <= 0x9f)
			return false;
		if (n == 2 && u[i] == 0xc2 && u[i + 1] <= 0x9f)
			return false;
	}
	return true;
}

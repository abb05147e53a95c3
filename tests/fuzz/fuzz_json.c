/*
 * libFuzzer harness for json_append_string_len: any bytes, NUL included, must become one valid
 * JSON string, in valid UTF-8, that decodes to the input with each byte of invalid UTF-8
 * replaced by U+FFFD. The expected decoding is derived with GLib's UTF-8 decoder, not json.c's.
 * The string must show a terminal no control: C0, DEL and C1 (U+0080..U+009F) are escaped.
 */
#include <glib.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "json.h"
#include "json_check.h"

/* What the string should decode to: valid characters as they are, one U+FFFD a bad byte. */
static GString *expected_decoding(const char *in, size_t len)
{
	GString *e = g_string_sized_new(len * 3 + 1);

	for (size_t i = 0; i < len;) {
		gunichar c;

		if (in[i] == '\0') {
			g_string_append_c(e, '\0');
			i++;
			continue;
		}
		c = g_utf8_get_char_validated(in + i, (gssize)(len - i));
		if (c == (gunichar)-1 || c == (gunichar)-2) {
			g_string_append_unichar(e, 0xfffd);
			i++;
		} else {
			g_string_append_unichar(e, c);
			i += (size_t)g_utf8_skip[(unsigned char)in[i]];
		}
	}
	return e;
}

/* Decode a JSON string (already checked to be valid); NULL if it is not just one string. */
static GString *decode(const char *json, size_t len)
{
	GString *d = g_string_sized_new(len);
	const char *p = json + 1, *end = json + len - 1;

	if (len < 2 || json[0] != '"' || json[len - 1] != '"') {
		g_string_free(d, TRUE);
		return NULL;
	}
	while (p < end) {
		if (*p != '\\') {
			g_string_append_c(d, *p++);
			continue;
		}
		FUZZ_CHECK(p + 1 < end);
		switch (p[1]) {
		case 'u': {
			char hex[5] = {0};

			FUZZ_CHECK(p + 6 <= end);
			memcpy(hex, p + 2, 4);
			g_string_append_unichar(d, (gunichar)g_ascii_strtoull(hex, NULL, 16));
			p += 6;
			continue;
		}
		case 'b':
			g_string_append_c(d, '\b');
			break;
		case 'f':
			g_string_append_c(d, '\f');
			break;
		case 'n':
			g_string_append_c(d, '\n');
			break;
		case 'r':
			g_string_append_c(d, '\r');
			break;
		case 't':
			g_string_append_c(d, '\t');
			break;
		default: /* \" \\ \/ */
			g_string_append_c(d, p[1]);
		}
		p += 2;
	}
	return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_dup_exact(data, size);
	GString *s = g_string_new("x");
	GString *want = expected_decoding(in, size), *got;

	/* It appends: what was there stays. */
	json_append_string_len(s, in, size);
	FUZZ_CHECK(s->str[0] == 'x');
	FUZZ_CHECK(strlen(s->str) == s->len); /* no raw NUL */
	FUZZ_CHECK(g_utf8_validate(s->str + 1, (gssize)s->len - 1, NULL));
	FUZZ_CHECK(json_is_valid(s->str + 1));
	got = decode(s->str + 1, s->len - 1);
	FUZZ_CHECK(got);
	FUZZ_CHECK(got->len == want->len && memcmp(got->str, want->str, got->len) == 0);
	/* Nothing a terminal obeys, though JSON would allow raw DEL and C1: no newline either. */
	FUZZ_CHECK(fuzz_free_of_controls(s->str, s->len, false));
	g_string_free(got, TRUE);
	g_string_free(want, TRUE);
	g_string_free(s, TRUE);
	free(in);
	return 0;
}

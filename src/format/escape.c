#include "escape.h"

/*
 * Unicode's table of well-formed byte sequences (RFC 3629): the second byte's range excludes
 * overlong forms, UTF-16 surrogates and code points above U+10FFFF, which JSON parsers reject.
 */
size_t utf8_seq_len(const char *p, size_t avail)
{
	const unsigned char *u = (const unsigned char *)p;
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (!avail)
		return 0;
	if (u[0] < 0x80)
		return 1;
	if (u[0] < 0xc2 || u[0] > 0xf4)
		return 0;
	n = u[0] < 0xe0 ? 2 : u[0] < 0xf0 ? 3 : 4;
	if (u[0] == 0xe0)
		lo = 0xa0;
	else if (u[0] == 0xed)
		hi = 0x9f;
	else if (u[0] == 0xf0)
		lo = 0x90;
	else if (u[0] == 0xf4)
		hi = 0x8f;
	if (avail < n || u[1] < lo || u[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((u[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * C1 controls are U+0080..U+009F, encoded C2 80..C2 9F: valid UTF-8, which is why a check of
 * the bytes below 0x20 alone misses them, and a UTF-8 terminal obeys U+009B as CSI.
 */
enum text_kind text_next(const char *p, size_t avail, size_t *n)
{
	const unsigned char *u = (const unsigned char *)p;

	*n = utf8_seq_len(p, avail);
	if (*n == 0) {
		*n = 1;
		return TEXT_INVALID;
	}
	if (*n == 1)
		return u[0] < 0x20 || u[0] == 0x7f ? TEXT_CONTROL : TEXT_PLAIN;
	return *n == 2 && u[0] == 0xc2 && u[1] < 0xa0 ? TEXT_CONTROL : TEXT_PLAIN;
}

static void append_hex(GString *s, const char *p, size_t n)
{
	for (size_t k = 0; k < n; k++)
		g_string_append_printf(s, "\\x%02x", (unsigned char)p[k]);
}

/* Newline and tab have short forms, as C and the shell write them; the rest goes by bytes. */
static void append_control(GString *s, const char *p, size_t n)
{
	if (n == 1 && p[0] == '\n')
		g_string_append(s, "\\n");
	else if (n == 1 && p[0] == '\t')
		g_string_append(s, "\\t");
	else
		append_hex(s, p, n);
}

void escape_append_name(GString *s, const char *name, size_t len)
{
	for (size_t i = 0, n; i < len; i += n) {
		switch (text_next(name + i, len - i, &n)) {
		case TEXT_PLAIN:
			/* Doubled, so that a backslash in a name never reads as an escape. */
			if (name[i] == '\\')
				g_string_append(s, "\\\\");
			else
				g_string_append_len(s, name + i, (gssize)n);
			break;
		case TEXT_CONTROL:
			append_control(s, name + i, n);
			break;
		case TEXT_INVALID:
			append_hex(s, name + i, n);
			break;
		}
	}
}

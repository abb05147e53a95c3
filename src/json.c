#include "json.h"

#include <string.h>

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

static void json_append_ascii(GString *s, unsigned char c)
{
	switch (c) {
	case '"':
		g_string_append(s, "\\\"");
		break;
	case '\\':
		g_string_append(s, "\\\\");
		break;
	case '\b':
		g_string_append(s, "\\b");
		break;
	case '\f':
		g_string_append(s, "\\f");
		break;
	case '\n':
		g_string_append(s, "\\n");
		break;
	case '\r':
		g_string_append(s, "\\r");
		break;
	case '\t':
		g_string_append(s, "\\t");
		break;
	default:
		/* JSON only requires < 0x20 escaped; DEL is escaped too, as no one wants it raw. */
		if (c < 0x20 || c == 0x7f)
			g_string_append_printf(s, "\\u%04x", c);
		else
			g_string_append_c(s, (char)c);
	}
}

void json_append_string_len(GString *s, const char *str, size_t len)
{
	size_t i = 0;

	g_string_append_c(s, '"');
	while (i < len) {
		size_t n = utf8_seq_len(str + i, len - i);

		if (n == 1) {
			json_append_ascii(s, (unsigned char)str[i]);
		} else if (n) {
			g_string_append_len(s, str + i, (gssize)n);
		} else {
			/* One replacement per byte, so a reader can tell how much was lost. */
			g_string_append(s, "\\ufffd");
			n = 1;
		}
		i += n;
	}
	g_string_append_c(s, '"');
}

void json_append_string(GString *s, const char *str)
{
	json_append_string_len(s, str, strlen(str));
}

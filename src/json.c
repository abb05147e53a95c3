#include "json.h"

#include <string.h>

#include "escape.h"

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

#include "json.h"

#include <string.h>

#include "escape.h"

/*
 * A control character as an escape: the short forms JSON has, else \u00XX. JSON requires only
 * those below 0x20 escaped; DEL and C1 (U+0080..U+009F, valid UTF-8 that a terminal obeys as
 * a control) are escaped too, so that a JSON file shown raw cannot drive a terminal either.
 */
static void json_append_control(GString *s, gunichar c)
{
	switch (c) {
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
		g_string_append_printf(s, "\\u%04x", c);
	}
}

void json_append_string_len(GString *s, const char *str, size_t len)
{
	g_string_append_c(s, '"');
	for (size_t i = 0, n; i < len; i += n) {
		switch (text_next(str + i, len - i, &n)) {
		case TEXT_PLAIN:
			if (str[i] == '"' || str[i] == '\\')
				g_string_append_c(s, '\\');
			g_string_append_len(s, str + i, (gssize)n);
			break;
		case TEXT_CONTROL:
			/* A NUL too: the sequence is valid, so it decodes even from "\0". */
			json_append_control(s, g_utf8_get_char(str + i));
			break;
		case TEXT_INVALID:
			/* One replacement per byte, so a reader can tell how much was lost. */
			g_string_append(s, "\\ufffd");
			break;
		}
	}
	g_string_append_c(s, '"');
}

void json_append_string(GString *s, const char *str)
{
	json_append_string_len(s, str, strlen(str));
}

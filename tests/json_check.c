#include "json_check.h"

#include <glib.h>
#include <string.h>

/* Deeper than anything the formatters write; it only bounds the recursion. */
#define MAX_NESTING 64

static bool value(const char **p, unsigned nesting);

static void skip_ws(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
		(*p)++;
}

static bool literal(const char **p, const char *word)
{
	size_t n = strlen(word);

	if (strncmp(*p, word, n))
		return false;
	*p += n;
	return true;
}

static bool digits(const char **p)
{
	const char *start = *p;

	while (g_ascii_isdigit(**p))
		(*p)++;
	return *p > start;
}

static bool number(const char **p)
{
	if (**p == '-')
		(*p)++;
	if (**p == '0')
		(*p)++;
	else if (!digits(p))
		return false;
	if (**p == '.') {
		(*p)++;
		if (!digits(p))
			return false;
	}
	if (**p == 'e' || **p == 'E') {
		(*p)++;
		if (**p == '+' || **p == '-')
			(*p)++;
		if (!digits(p))
			return false;
	}
	return true;
}

/* The formatters never write surrogate pairs, so any escaped surrogate is an error here. */
static bool unicode_escape(const char **p)
{
	unsigned cp = 0;

	for (int k = 0; k < 4; k++) {
		int d = g_ascii_xdigit_value((*p)[k]);

		if (d < 0)
			return false;
		cp = cp * 16 + (unsigned)d;
	}
	*p += 4;
	return cp < 0xd800 || cp > 0xdfff;
}

static bool string(const char **p)
{
	if (*(*p)++ != '"')
		return false;
	for (;;) {
		unsigned char c = (unsigned char)*(*p)++;

		if (c == '"')
			return true;
		if (c < 0x20) /* NUL, the end of the text, is one of these */
			return false;
		if (c != '\\')
			continue;
		c = (unsigned char)*(*p)++;
		if (c == 'u') {
			if (!unicode_escape(p))
				return false;
		} else if (!c || !strchr("\"\\/bfnrt", c)) {
			return false;
		}
	}
}

/* Members of an object or elements of an array, up to the closing bracket. */
static bool sequence(const char **p, char close, bool keys, unsigned nesting)
{
	(*p)++;
	skip_ws(p);
	if (**p == close) {
		(*p)++;
		return true;
	}
	for (;;) {
		skip_ws(p);
		if (keys) {
			if (!string(p))
				return false;
			skip_ws(p);
			if (*(*p)++ != ':')
				return false;
		}
		if (!value(p, nesting + 1))
			return false;
		skip_ws(p);
		if (**p == close) {
			(*p)++;
			return true;
		}
		if (*(*p)++ != ',')
			return false;
	}
}

static bool value(const char **p, unsigned nesting)
{
	if (nesting > MAX_NESTING)
		return false;
	skip_ws(p);
	switch (**p) {
	case '{':
		return sequence(p, '}', true, nesting);
	case '[':
		return sequence(p, ']', false, nesting);
	case '"':
		return string(p);
	case 't':
		return literal(p, "true");
	case 'f':
		return literal(p, "false");
	case 'n':
		return literal(p, "null");
	default:
		return number(p);
	}
}

bool json_is_valid(const char *text)
{
	const char *p = text;

	if (!g_utf8_validate(text, -1, NULL) || !value(&p, 0))
		return false;
	skip_ws(&p);
	return *p == '\0';
}

unsigned text_lines(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* A bounded scanner of JSON text for the string value of a key. */
#include "container_parse.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "container_text.h"

/* ---------------------------------------------------------------- JSON */

static const char *json_skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static bool json_u4(const char **pp, const char *end, uint32_t *cp)
{
	const char *p = *pp;

	*cp = 0;
	if (end - p < 4)
		return false;
	for (int i = 0; i < 4; i++) {
		int d = hex_digit(p[i]);

		if (d < 0)
			return false;
		*cp = *cp << 4 | (uint32_t)d;
	}
	*pp = p + 4;
	return true;
}

struct json_out {
	char *buf;
	size_t size, n; /* n counts what did not fit too */
};

static void json_put(struct json_out *o, char c)
{
	if (o->n < o->size)
		o->buf[o->n] = c;
	o->n++;
}

static void json_put_utf8(struct json_out *o, uint32_t cp)
{
	char u[4];
	int n = g_unichar_to_utf8(cp, u);

	for (int i = 0; i < n; i++)
		json_put(o, u[i]);
}

/*
 * The string whose opening quote *pp points at, unescaped into o (as much as fits); *pp moves
 * past its closing quote. Raw bytes are kept as they are; their UTF-8 is checked by the caller
 * that keeps the value.
 */
static int json_string(const char **pp, const char *end, struct json_out *o)
{
	const char *p = *pp + 1;

	for (;;) {
		unsigned char c;
		uint32_t cp, lo;

		if (p >= end)
			return -EINVAL;
		c = (unsigned char)*p++;
		if (c == '"')
			break;
		if (c < 0x20)
			return -EINVAL;
		if (c != '\\') {
			json_put(o, (char)c);
			continue;
		}
		if (p >= end)
			return -EINVAL;
		switch (*p++) {
		case '"':
			json_put(o, '"');
			break;
		case '\\':
			json_put(o, '\\');
			break;
		case '/':
			json_put(o, '/');
			break;
		case 'b':
			json_put(o, '\b');
			break;
		case 'f':
			json_put(o, '\f');
			break;
		case 'n':
			json_put(o, '\n');
			break;
		case 'r':
			json_put(o, '\r');
			break;
		case 't':
			json_put(o, '\t');
			break;
		case 'u':
			if (!json_u4(&p, end, &cp) || (cp >= 0xdc00 && cp <= 0xdfff))
				return -EINVAL;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				/* UTF-16's pair for a code point above U+FFFF: both halves or none.
				 */
				if (end - p < 2 || p[0] != '\\' || p[1] != 'u')
					return -EINVAL;
				p += 2;
				if (!json_u4(&p, end, &lo) || lo < 0xdc00 || lo > 0xdfff)
					return -EINVAL;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			json_put_utf8(o, cp);
			break;
		default:
			return -EINVAL;
		}
	}
	*pp = p;
	return 0;
}

static bool json_literal(const char **pp, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(end - *pp) < n || memcmp(*pp, lit, n) != 0)
		return false;
	*pp += n;
	return true;
}

static bool json_digits(const char **pp, const char *end)
{
	const char *p = *pp;

	while (p < end && is_digit(*p))
		p++;
	if (p == *pp)
		return false;
	*pp = p;
	return true;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool json_number(const char **pp, const char *end)
{
	const char *p = *pp;

	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if (!json_digits(&p, end))
		return false;
	if (p < end && *p == '.') {
		p++;
		if (!json_digits(&p, end))
			return false;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (!json_digits(&p, end))
			return false;
	}
	*pp = p;
	return true;
}

/* Whether a decoded text can be kept: UTF-8, and no control a terminal would obey. */
static bool text_ok(const char *s, size_t n)
{
	const char *end = s + n;

	if (!g_utf8_validate_len(s, n, NULL))
		return false;
	for (const char *p = s; p < end; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
			return false;
	}
	return true;
}

/* The value of the key the scanner stopped at: it must be a string, kept in out. */
static int json_take_value(const char **pp, const char *end, char *out, size_t size)
{
	struct json_out o = {out, size, 0};
	int r;

	if (*pp >= end || **pp != '"')
		return -EINVAL;
	r = json_string(pp, end, &o);
	if (r < 0)
		return r;
	if (o.n >= size || o.n > INT_MAX)
		return -ENOSPC;
	out[o.n] = '\0';
	return text_ok(out, o.n) ? (int)o.n : -EINVAL;
}

enum json_expect {
	J_VALUE,
	J_VALUE_OR_CLOSE, /* after '[' */
	J_KEY_OR_CLOSE,	  /* after '{' */
	J_KEY,		  /* after ',' in an object */
	J_COLON,
	J_COMMA_OR_CLOSE,
	J_END, /* after the top-level value */
};

/*
 * One pass over the document, checking it as JSON, until the target's key: matched counts the
 * levels of the path that the objects open at 1..matched were entered by, so that a key deeper
 * in a matching object, or in an array, is not taken for the path's.
 */
int json_find(const char *doc, size_t len, const struct json_target *t, char *out, size_t size)
{
	const char *p = doc, *end = doc + len;
	char stack[JSON_DEPTH_MAX];
	size_t depth = 0, matched = 0;
	enum json_expect expect = J_VALUE;
	bool want = false;

	for (;;) {
		char c;

		p = json_skip_ws(p, end);
		if (p == end)
			return expect == J_END ? -ENOENT : -EINVAL;
		c = *p;
		switch (expect) {
		case J_END:
			return -EINVAL;
		case J_COLON:
			if (c != ':')
				return -EINVAL;
			p++;
			expect = J_VALUE;
			continue;
		case J_COMMA_OR_CLOSE:
			if (c == ',') {
				p++;
				expect = stack[depth - 1] == '{' ? J_KEY : J_VALUE;
				continue;
			}
			if (c != (stack[depth - 1] == '{' ? '}' : ']'))
				return -EINVAL;
			break; /* closes, below */
		case J_KEY_OR_CLOSE:
			if (c == '}')
				break;
			/* fall through */
		case J_KEY: {
			char key[JSON_KEY_MAX + 1];
			struct json_out o = {key, sizeof(key), 0};
			int r;

			if (c != '"')
				return -EINVAL;
			r = json_string(&p, end, &o);
			if (r < 0)
				return r;
			/* A new key at this depth ends what the previous one's value matched. */
			if (matched > depth - 1)
				matched = depth - 1;
			if (o.n > JSON_KEY_MAX) {
				/* longer than any target: matches none */
			} else if (!t->path) {
				want = strlen(t->key) == o.n && memcmp(key, t->key, o.n) == 0;
			} else if (matched == depth - 1 && depth <= t->depth &&
				   strlen(t->path[depth - 1]) == o.n &&
				   memcmp(key, t->path[depth - 1], o.n) == 0) {
				if (depth == t->depth)
					want = true;
				else
					matched = depth;
			}
			expect = J_COLON;
			continue;
		}
		case J_VALUE_OR_CLOSE:
			if (c == ']')
				break;
			/* fall through */
		case J_VALUE:
			if (want && !t->each)
				return json_take_value(&p, end, out, size);
			if (want && c == '"') {
				struct json_out o = {out, size, 0};
				int r = json_string(&p, end, &o);

				if (r < 0)
					return r;
				want = false;
				if (o.n < size && o.n <= INT_MAX) {
					out[o.n] = '\0';
					if (text_ok(out, o.n) && t->each(out, o.n, t->arg))
						return (int)o.n;
				}
				expect = depth ? J_COMMA_OR_CLOSE : J_END;
				continue;
			}
			want = false;
			if (c == '{' || c == '[') {
				if (depth == JSON_DEPTH_MAX)
					return -EINVAL;
				stack[depth++] = c;
				p++;
				expect = c == '{' ? J_KEY_OR_CLOSE : J_VALUE_OR_CLOSE;
				continue;
			}
			if (c == '"') {
				struct json_out o = {NULL, 0, 0};
				int r = json_string(&p, end, &o);

				if (r < 0)
					return r;
			} else if (!json_literal(&p, end, "true") &&
				   !json_literal(&p, end, "false") &&
				   !json_literal(&p, end, "null") && !json_number(&p, end)) {
				return -EINVAL;
			}
			expect = depth ? J_COMMA_OR_CLOSE : J_END;
			continue;
		}
		/* A '}' or ']' that closes the innermost open object or array. */
		p++;
		depth--;
		if (matched > depth)
			matched = depth;
		expect = depth ? J_COMMA_OR_CLOSE : J_END;
	}
}

static int json_checked(const char *doc, size_t len, const struct json_target *t, char *out,
			size_t size)
{
	int r;

	if (size == 0)
		return -ENOSPC;
	out[0] = '\0';
	r = json_find(doc, len, t, out, size);
	if (r < 0)
		out[0] = '\0';
	return r;
}

int json_string_value(const char *doc, size_t len, const char *key, char *out, size_t size)
{
	struct json_target t = {key, NULL, 0, NULL, NULL};

	if (!key || strlen(key) > JSON_KEY_MAX) {
		if (size > 0)
			out[0] = '\0';
		return -EINVAL;
	}
	return json_checked(doc, len, &t, out, size);
}

int json_string_at(const char *doc, size_t len, const char *const *path, char *out, size_t size)
{
	struct json_target t = {NULL, path, 0, NULL, NULL};

	while (path && path[t.depth] && strlen(path[t.depth]) <= JSON_KEY_MAX &&
	       t.depth < JSON_DEPTH_MAX)
		t.depth++;
	if (!path || t.depth == 0 || path[t.depth]) {
		if (size > 0)
			out[0] = '\0';
		return -EINVAL;
	}
	return json_checked(doc, len, &t, out, size);
}

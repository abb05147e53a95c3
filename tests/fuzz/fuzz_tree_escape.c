/*
 * libFuzzer harness for the tree's name escaping (format_ns.c): a model with one process, the
 * namespace's init, whose comm is the input. Whatever the name, the tree must be exactly its two
 * lines, in valid UTF-8 without control characters (C1 included), and unescaping the name must
 * give the comm back byte for byte.
 */
#include <glib.h>
#include <stdbool.h>
#include <string.h>

#include "format_ns.h"
#include "fuzz.h"
#include "nsmodel.h"

#define ROOT UINT64_C(4026531836)

static int hex_digit(char c)
{
	return g_ascii_xdigit_value(c);
}

/* Undo the escaping of [p, end); NULL if something there is neither plain nor an escape. */
static GString *unescape(const char *p, const char *end)
{
	GString *s = g_string_new(NULL);

	while (p < end) {
		if (*p != '\\') {
			g_string_append_c(s, *p++);
			continue;
		}
		if (p + 1 < end && (p[1] == '\\' || p[1] == 'n' || p[1] == 't')) {
			g_string_append_c(s, p[1] == 'n' ? '\n' : p[1] == 't' ? '\t' : '\\');
			p += 2;
		} else if (p + 3 < end && p[1] == 'x' && hex_digit(p[2]) >= 0 &&
			   hex_digit(p[3]) >= 0) {
			g_string_append_c(s, (char)(hex_digit(p[2]) * 16 + hex_digit(p[3])));
			p += 4;
		} else {
			g_string_free(s, TRUE);
			return NULL;
		}
	}
	return s;
}

/* Nothing a terminal would obey: no C0 control but the line ends, no DEL, no C1 control. */
static bool printable(const char *s, size_t len)
{
	const char *end = s + len;

	if (!g_utf8_validate(s, (gssize)len, NULL))
		return false;
	for (const char *p = s; p < end; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if ((c < 0x20 && c != '\n') || (c >= 0x7f && c <= 0x9f))
			return false;
	}
	return true;
}

/* The name in line, between prefix and suffix, unescaped; NULL if the line is not so framed. */
static GString *name_in(const char *line, size_t len, const char *prefix, const char *suffix)
{
	size_t pl = strlen(prefix), sl = strlen(suffix);

	if (len < pl + sl || memcmp(line, prefix, pl) || memcmp(line + len - sl, suffix, sl))
		return NULL;
	return unescape(line + pl, line + len - sl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *comm = fuzz_dup_cstr(data, size, NS_COMM_MAX - 1);
	const pid_t nspid[] = {1};
	struct ns_model *m = ns_model_new(ROOT);
	GString *tree, *a, *b;
	const char *nl;
	size_t first;

	ns_model_add_proc(m, 1, 'S', 1, comm, ROOT, nspid, 1, 100);
	ns_model_finish(m);
	tree = format_tree(m, ns_model_root(m));

	FUZZ_CHECK(strlen(tree->str) == tree->len);
	FUZZ_CHECK(printable(tree->str, tree->len));
	/* Exactly two lines, each ending in '\n'. */
	nl = memchr(tree->str, '\n', tree->len);
	FUZZ_CHECK(nl);
	first = (size_t)(nl - tree->str) + 1;
	FUZZ_CHECK(first < tree->len);
	nl = memchr(tree->str + first, '\n', tree->len - first);
	FUZZ_CHECK(nl && nl == tree->str + tree->len - 1);

	a = name_in(tree->str, first, "ns 4026531836 level 0 init 1 (", ")\n");
	b = name_in(tree->str + first, tree->len - first, "  1 ", "\n");
	FUZZ_CHECK(a && strcmp(a->str, comm) == 0 && a->len == strlen(comm));
	FUZZ_CHECK(b && strcmp(b->str, comm) == 0 && b->len == strlen(comm));

	g_string_free(a, TRUE);
	g_string_free(b, TRUE);
	g_string_free(tree, TRUE);
	ns_model_unref(m);
	free(comm);
	return 0;
}

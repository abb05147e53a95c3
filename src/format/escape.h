/*
 * How a name reaches a reader, for every text output (tree, metrics, JSON). A process names
 * itself (prctl(PR_SET_NAME), /proc/self/comm) and a container names its cgroups: a name is
 * any bytes but NUL, chosen by whoever is least trusted, and shown raw it could drive the
 * terminal that displays the file (an OSC sequence retitles it, a CSI one clears the screen)
 * or break a line-based format. One classification of what must not be shown raw, and one
 * visible form for text formats, so that no output escapes less than another.
 */
#pragma once

#include <glib.h>
#include <stddef.h>

/* Length of the well-formed UTF-8 sequence at p, which has avail bytes, or 0 if there is none. */
size_t utf8_seq_len(const char *p, size_t avail);

/* What one character of a name is, to whoever shows it. */
enum text_kind {
	TEXT_PLAIN,   /* valid, printable UTF-8: safe to show as it is */
	TEXT_CONTROL, /* C0 (NUL included), DEL or C1 (U+0080..U+009F): terminals obey these */
	TEXT_INVALID, /* a byte that starts no well-formed UTF-8 sequence */
};

/*
 * The kind of the character at p, which has avail > 0 bytes, and in *n its length: 1 for an
 * invalid byte, so that the caller resynchronises on the next byte.
 */
enum text_kind text_next(const char *p, size_t avail, size_t *n);

/*
 * Append len bytes of name as visible text: printable UTF-8 as it is, a backslash as \\,
 * newline \n, tab \t, and each byte of any other control character or of invalid UTF-8 as
 * \xNN. Only printable ASCII and printable UTF-8 come out, and the escaping can be undone.
 */
void escape_append_name(GString *s, const char *name, size_t len);

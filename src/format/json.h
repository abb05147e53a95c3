/*
 * Writing JSON (RFC 8259) into a GString. Process names are any bytes but NUL, so strings are
 * escaped and repaired until the output is valid JSON whatever the input.
 */
#pragma once

#include <glib.h>
#include <stddef.h>

/*
 * Append str as a quoted JSON string: control characters (C0, DEL, C1: escape.h) escaped, as
 * \u00XX where JSON has no shorter form, and each byte of invalid UTF-8 as U+FFFD.
 */
void json_append_string(GString *s, const char *str);
/* The same for len bytes, which may hold NUL. */
void json_append_string_len(GString *s, const char *str, size_t len);

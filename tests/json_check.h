/*
 * Checks of formatted text the format tests share: a strict JSON (RFC 8259) checker, so that
 * the tests need no JSON library, and a line count.
 */
#pragma once

#include <stdbool.h>

/* Whether text is valid UTF-8 holding exactly one JSON value, with whitespace around it. */
bool json_is_valid(const char *text);
/* The newlines in s. */
unsigned text_lines(const char *s);

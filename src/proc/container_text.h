/*
 * What the container parsers share (container_parse.h's implementation, in container_*.c and
 * json_scan.c): bounds, spans of untrusted text and the checks of IDs and names.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "container_parse.h"

#define CGROUP_LEVEL_MAX  255 /* NAME_MAX: what mkdir in cgroupfs accepts */
#define CONTAINERD_ID_MAX 76  /* containerd's identifiers package */
#define K8S_LABEL_MAX	  63  /* a DNS label: a namespace's or a container's name */
#define JSON_DEPTH_MAX	  64
#define JSON_KEY_MAX	  255

/* A piece of a longer text: s is not NUL-terminated. s is NULL for none. */
struct span {
	const char *s;
	size_t n;
};

static inline struct span span_of(const char *s, size_t n)
{
	return (struct span){s, n};
}

static inline bool span_eq(struct span a, const char *lit)
{
	size_t n = strlen(lit);

	return a.s && a.n == n && memcmp(a.s, lit, n) == 0;
}

static inline bool has_prefix(struct span a, const char *lit)
{
	size_t n = strlen(lit);

	return n == 0 || (a.n >= n && memcmp(a.s, lit, n) == 0);
}

static inline bool has_suffix(struct span a, const char *lit)
{
	size_t n = strlen(lit);

	return n == 0 || (a.n >= n && memcmp(a.s + a.n - n, lit, n) == 0);
}

/* Copy a span that the caller has checked fits, with its NUL. */
static inline void copy_span(char *dst, size_t size, struct span a)
{
	g_assert(a.n < size);
	memcpy(dst, a.s, a.n);
	dst[a.n] = '\0';
}

static inline bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool all_lower_hex(struct span a)
{
	for (size_t i = 0; i < a.n; i++)
		if (!is_lower_hex(a.s[i]))
			return false;
	return true;
}

/* Every runtime's IDs are SHA-256 digests in lowercase hex: a shorter or longer one is not. */
static inline bool hex_id_ok(struct span a)
{
	return a.n == CONTAINER_HEX_ID_LEN && all_lower_hex(a);
}

/* Printable ASCII without blanks or '/': what every runtime's names are made of. */
static inline bool name_ok(struct span a, size_t max)
{
	if (a.n == 0 || a.n > max)
		return false;
	for (size_t i = 0; i < a.n; i++)
		if (a.s[i] <= ' ' || a.s[i] > '~' || a.s[i] == '/')
			return false;
	return true;
}

/* containerd's namespaces and IDs: runs of letters and digits joined by one of '.', '_', '-'. */
static inline bool containerd_identifier_ok(struct span a)
{
	if (a.n == 0 || a.n > CONTAINERD_ID_MAX || !is_alnum(a.s[0]) || !is_alnum(a.s[a.n - 1]))
		return false;
	for (size_t i = 1; i < a.n; i++) {
		if (is_alnum(a.s[i]))
			continue;
		if ((a.s[i] != '.' && a.s[i] != '_' && a.s[i] != '-') || !is_alnum(a.s[i - 1]))
			return false;
	}
	return true;
}

/*
 * A pod UID, 8-4-4-4-12 lowercase hex digits split by sep ('-' as the API writes it, '_' in a
 * systemd slice's name, where '-' means a level), or a static pod's 32 digits (the hash of its
 * manifest, which kubelet uses as its UID). Written with dashes.
 */
static inline bool pod_uid_parse(struct span a, char sep, char out[POD_UID_LEN + 1])
{
	if (a.n == POD_STATIC_UID_LEN && all_lower_hex(a)) {
		copy_span(out, POD_UID_LEN + 1, a);
		return true;
	}
	if (a.n != POD_UID_LEN)
		return false;
	for (size_t i = 0; i < a.n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? a.s[i] != sep : !is_lower_hex(a.s[i]))
			return false;
		out[i] = dash ? '-' : a.s[i];
	}
	out[a.n] = '\0';
	return true;
}

/* Defined in one part, used by another. */
int put_str(char *field, size_t size, struct span v);
int put_runtime(struct container_info *c, enum container_runtime r);
int hex_digit(char c);
bool k8s_name_ok(struct span a, size_t max);
bool parse_k8s_name(struct span s, struct container_info *out);
bool containerd_namespace_ok(struct span a);
int check_levels(const char *path, size_t len);
struct span basename_of(struct span a);

/* What json_find looks for (json_scan.c). */
struct json_target {
	const char *key;	 /* anywhere, or */
	const char *const *path; /* from the top-level object */
	size_t depth;		 /* of path */
	/*
	 * With each, every string value of the target is passed to it, in document order, until it
	 * returns true; a value out cannot hold, or that is not text, is passed over, as is a value
	 * of another type.
	 */
	bool (*each)(const char *value, size_t n, void *arg);
	void *arg;
};
int json_find(const char *doc, size_t len, const struct json_target *t, char *out, size_t size);

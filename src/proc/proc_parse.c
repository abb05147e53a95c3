/*
 * Parsers for the /proc formats nspidfs reads. They take a buffer and its length (not a C
 * string), never read past it, and answer -EINVAL for anything malformed, so a truncated or
 * hostile file can cause an error but never a wrong value.
 */
#include "proc_parse.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define PID_NAME_MAX_DIGITS 7 /* "4194303" */

/* Parse exactly [s, s+len) as an unsigned decimal without sign or leading blanks. */
static int parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int parse_pid(const char *s, size_t len, pid_t *out)
{
	uint64_t v;
	int r = parse_u64(s, len, &v);

	if (r < 0)
		return r;
	if (v > INT32_MAX)
		return -ERANGE;
	*out = (pid_t)v;
	return 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* Next blank-separated token in [*p, end); 0 or -EINVAL when there is none. */
static int next_token(const char **p, const char *end, const char **tok, size_t *len)
{
	const char *s = *p;

	while (s < end && is_blank(*s))
		s++;
	if (s == end)
		return -EINVAL;
	*tok = s;
	while (s < end && !is_blank(*s))
		s++;
	*len = (size_t)(s - *tok);
	*p = s;
	return 0;
}

static void copy_name(char dst[PROC_COMM_MAX], const char *src, size_t len)
{
	len = len < PROC_COMM_MAX - 1 ? len : PROC_COMM_MAX - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
	/* A NUL cannot occur in a name; if /proc gave one anyway, the name ends there. */
}

/* Fields of /proc/PID/stat counted from 1, as proc(5) numbers them. */
enum {
	STAT_STATE = 3,
	STAT_PPID = 4,
	STAT_FLAGS = 9,
	STAT_THREADS = 20,
	STAT_STARTTIME = 22,
};

int parse_proc_stat(const char *buf, size_t len, struct proc_stat *out)
{
	/* comm may hold spaces and parentheses: the fields start after the last ')'. */
	const char *close = memrchr(buf, ')', len);
	const char *open = memchr(buf, '(', len);
	const char *p, *end = buf + len, *tok;
	size_t toklen;
	uint64_t v;

	if (!close || !open || open > close)
		return -EINVAL;
	p = close + 1;
	memset(out, 0, sizeof(*out));
	copy_name(out->comm, open + 1, (size_t)(close - open - 1));
	for (int field = STAT_STATE; field <= STAT_STARTTIME; field++) {
		if (next_token(&p, end, &tok, &toklen) < 0)
			return -EINVAL;
		switch (field) {
		case STAT_STATE:
			if (toklen != 1)
				return -EINVAL;
			out->state = tok[0];
			break;
		case STAT_PPID:
			if (parse_pid(tok, toklen, &out->ppid) < 0)
				return -EINVAL;
			break;
		case STAT_FLAGS:
			if (parse_u64(tok, toklen, &v) < 0 || v > UINT32_MAX)
				return -EINVAL;
			out->flags = (unsigned)v;
			break;
		case STAT_THREADS:
			if (parse_u64(tok, toklen, &v) < 0 || v > UINT32_MAX)
				return -EINVAL;
			out->threads = (unsigned)v;
			break;
		case STAT_STARTTIME:
			/* A value that ends the buffer may have been cut short. */
			if (tok + toklen == end || parse_u64(tok, toklen, &out->start) < 0)
				return -EINVAL;
			break;
		default:
			break;
		}
	}
	return 0;
}

static int parse_nspid(const char *p, const char *end, struct proc_status *out)
{
	const char *tok;
	size_t toklen;

	out->nspid_count = 0;
	while (next_token(&p, end, &tok, &toklen) == 0) {
		pid_t v;

		if (out->nspid_count == NSPIDFS_MAX_LEVELS)
			return -EINVAL;
		if (parse_pid(tok, toklen, &v) < 0 || v <= 0)
			return -EINVAL;
		out->nspid[out->nspid_count++] = v;
	}
	return out->nspid_count > 0 ? 0 : -EINVAL;
}

static int parse_single_pid(const char *p, const char *end, pid_t *out)
{
	const char *tok;
	size_t toklen;

	if (next_token(&p, end, &tok, &toklen) < 0 || parse_pid(tok, toklen, out) < 0)
		return -EINVAL;
	/* Nothing may follow the value. */
	return next_token(&p, end, &tok, &toklen) == 0 ? -EINVAL : 0;
}

/* Name: is printed with '\\' and '\n' escaped, after one tab. */
static void parse_name(const char *p, const char *end, char dst[PROC_COMM_MAX])
{
	size_t n = 0;

	if (p < end && *p == '\t')
		p++;
	for (; p < end && n < PROC_COMM_MAX - 1; p++) {
		char c = *p;

		if (c == '\\' && p + 1 < end && (p[1] == 'n' || p[1] == '\\'))
			c = *++p == 'n' ? '\n' : '\\';
		dst[n++] = c;
	}
	dst[n] = '\0';
}

/* State:\tS (sleeping): the letter is what counts. */
static int parse_state(const char *p, const char *end, char *state)
{
	const char *tok;
	size_t toklen;

	if (next_token(&p, end, &tok, &toklen) < 0 || toklen != 1)
		return -EINVAL;
	*state = tok[0];
	return 0;
}

static int parse_count(const char *p, const char *end, unsigned *out)
{
	pid_t v = 0;
	int r = parse_single_pid(p, end, &v);

	*out = (unsigned)v;
	return r;
}

static bool key_is(const char *line, size_t keylen, const char *key)
{
	return strlen(key) == keylen && memcmp(line, key, keylen) == 0;
}

int parse_proc_status(const char *buf, size_t len, struct proc_status *out)
{
	const char *p = buf, *end = buf + len;
	bool have_tgid = false, have_ppid = false, have_nspid = false;
	bool have_kthread = false, have_vm = false;

	memset(out, 0, sizeof(*out));
	/* A last line without '\n' may have been cut short: it is ignored. */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *colon;
		size_t keylen;
		int r = 0;

		if (!nl)
			break;
		colon = memchr(p, ':', (size_t)(nl - p));
		if (colon) {
			keylen = (size_t)(colon - p);
			if (key_is(p, keylen, "Tgid")) {
				r = parse_single_pid(colon + 1, nl, &out->tgid);
				if (r == 0 && out->tgid <= 0)
					r = -EINVAL;
				have_tgid = true;
			} else if (key_is(p, keylen, "PPid")) {
				r = parse_single_pid(colon + 1, nl, &out->ppid);
				have_ppid = true;
			} else if (key_is(p, keylen, "Name")) {
				parse_name(colon + 1, nl, out->name);
			} else if (key_is(p, keylen, "State")) {
				r = parse_state(colon + 1, nl, &out->state);
			} else if (key_is(p, keylen, "Kthread")) {
				unsigned v = 0;

				r = parse_count(colon + 1, nl, &v);
				out->kthread = v != 0;
				have_kthread = true;
			} else if (key_is(p, keylen, "VmSize")) {
				have_vm = true;
			} else if (key_is(p, keylen, "Threads")) {
				r = parse_count(colon + 1, nl, &out->threads);
			} else if (key_is(p, keylen, "NSpid")) {
				r = parse_nspid(colon + 1, nl, out);
				have_nspid = true;
			}
		}
		if (r < 0)
			return -EINVAL;
		p = nl + 1;
	}
	if (!have_kthread)
		out->kthread = !have_vm && !model_state_exited(out->state);
	return have_tgid && have_ppid && have_nspid ? 0 : -EINVAL;
}

int parse_pid_name(const char *name, pid_t *out)
{
	size_t len = strnlen(name, PID_NAME_MAX_DIGITS + 1);
	uint64_t v;

	if (len == 0 || len > PID_NAME_MAX_DIGITS || name[0] == '0')
		return -ENOENT;
	if (parse_u64(name, len, &v) < 0 || v >= (1u << 22))
		return -ENOENT;
	*out = (pid_t)v;
	return 0;
}

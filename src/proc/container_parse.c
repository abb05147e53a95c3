/*
 * Which container a process is in, from its cgroup path, its runtime's command line and the
 * runtime's files. Every parser takes text it must distrust (a command line is its process's to
 * rewrite, a container names its own cgroups below the runtime's), reads only within its bounds
 * and writes only within the fixed arrays of struct container_info.
 */
#include "container_parse.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

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

static struct span span_of(const char *s, size_t n)
{
	return (struct span){s, n};
}

static bool span_eq(struct span a, const char *lit)
{
	size_t n = strlen(lit);

	return a.s && a.n == n && memcmp(a.s, lit, n) == 0;
}

static bool has_prefix(struct span a, const char *lit)
{
	size_t n = strlen(lit);

	return n == 0 || (a.n >= n && memcmp(a.s, lit, n) == 0);
}

static bool has_suffix(struct span a, const char *lit)
{
	size_t n = strlen(lit);

	return n == 0 || (a.n >= n && memcmp(a.s + a.n - n, lit, n) == 0);
}

/* Copy a span that the caller has checked fits, with its NUL. */
static void copy_span(char *dst, size_t size, struct span a)
{
	g_assert(a.n < size);
	memcpy(dst, a.s, a.n);
	dst[a.n] = '\0';
}

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool all_lower_hex(struct span a)
{
	for (size_t i = 0; i < a.n; i++)
		if (!is_lower_hex(a.s[i]))
			return false;
	return true;
}

/* Every runtime's IDs are SHA-256 digests in lowercase hex: a shorter or longer one is not. */
static bool hex_id_ok(struct span a)
{
	return a.n == CONTAINER_HEX_ID_LEN && all_lower_hex(a);
}

/* Printable ASCII without blanks or '/': what every runtime's names are made of. */
static bool name_ok(struct span a, size_t max)
{
	if (a.n == 0 || a.n > max)
		return false;
	for (size_t i = 0; i < a.n; i++)
		if (a.s[i] <= ' ' || a.s[i] > '~' || a.s[i] == '/')
			return false;
	return true;
}

/* containerd's namespaces and IDs: runs of letters and digits joined by one of '.', '_', '-'. */
static bool containerd_identifier_ok(struct span a)
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
static bool pod_uid_parse(struct span a, char sep, char out[POD_UID_LEN + 1])
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

/* ---------------------------------------------------------------- names and merging */

const char *container_runtime_name(enum container_runtime r)
{
	switch (r) {
	case CONTAINER_DOCKER:
		return "docker";
	case CONTAINER_PODMAN:
		return "podman";
	case CONTAINER_CONTAINERD:
		return "containerd";
	case CONTAINER_CRIO:
		return "cri-o";
	case CONTAINER_LXC:
		return "lxc";
	case CONTAINER_NSPAWN:
		return "systemd-nspawn";
	case CONTAINER_NONE:
		break;
	}
	return "";
}

const char *pod_qos_name(enum pod_qos q)
{
	switch (q) {
	case POD_QOS_GUARANTEED:
		return "guaranteed";
	case POD_QOS_BURSTABLE:
		return "burstable";
	case POD_QOS_BESTEFFORT:
		return "besteffort";
	case POD_QOS_NONE:
		break;
	}
	return "";
}

int container_id_uri(const struct container_info *c, char *buf, size_t size)
{
	/* The runtime names kubelet puts before "://" (the CRI's RuntimeName). */
	const char *scheme = c->runtime == CONTAINER_DOCKER	  ? "docker"
			     : c->runtime == CONTAINER_CONTAINERD ? "containerd"
			     : c->runtime == CONTAINER_CRIO	  ? "cri-o"
								  : NULL;
	size_t id_len = strnlen(c->id, sizeof(c->id));
	int n;

	if (size > 0)
		buf[0] = '\0';
	if (!scheme || id_len == 0 || id_len == sizeof(c->id))
		return -ENOENT;
	n = snprintf(buf, size, "%s://%s", scheme, c->id);
	if (n < 0 || (size_t)n >= size) {
		if (size > 0)
			buf[0] = '\0';
		return -ENOSPC;
	}
	return n;
}

/* Set a field of *c unless it already holds something else: -EXDEV then. */
static int put_str(char *field, size_t size, struct span v)
{
	size_t have = strnlen(field, size);

	if (v.n >= size)
		return -EINVAL;
	if (have > 0 && !(have == v.n && memcmp(field, v.s, v.n) == 0))
		return -EXDEV;
	copy_span(field, size, v);
	return 0;
}

static int put_runtime(struct container_info *c, enum container_runtime r)
{
	if (r == CONTAINER_NONE)
		return 0;
	if (c->runtime != CONTAINER_NONE && c->runtime != r)
		return -EXDEV;
	c->runtime = r;
	return 0;
}

#define INFO_STRING(field)                                                                         \
	{                                                                                          \
		offsetof(struct container_info, field),                                            \
		    sizeof(((struct container_info *)0)->field)                                    \
	}

/* Every string of struct container_info, so that merging forgets none. */
static const struct {
	size_t offset, size;
} info_strings[] = {
    INFO_STRING(id),	   INFO_STRING(name),	       INFO_STRING(pod_uid),
    INFO_STRING(pod_name), INFO_STRING(pod_namespace), INFO_STRING(sandbox_id),
};

int container_info_merge(struct container_info *into, const struct container_info *from)
{
	struct container_info t = *into;

	if (put_runtime(&t, from->runtime) < 0)
		return -EXDEV;
	for (size_t i = 0; i < G_N_ELEMENTS(info_strings); i++) {
		char *dst = (char *)&t + info_strings[i].offset;
		const char *src = (const char *)from + info_strings[i].offset;
		size_t n = strnlen(src, info_strings[i].size);

		if (n > 0 && put_str(dst, info_strings[i].size, span_of(src, n)) < 0)
			return -EXDEV;
	}
	if (from->qos != POD_QOS_NONE) {
		if (t.qos != POD_QOS_NONE && t.qos != from->qos)
			return -EXDEV;
		t.qos = from->qos;
	}
	t.sandbox = t.sandbox || from->sandbox;
	*into = t;
	return 0;
}

/* ---------------------------------------------------------------- cgroup paths */

enum id_form {
	ID_HEX,	      /* 64 lowercase hex digits */
	ID_NAME,      /* a name, which is also the ID */
	ID_UNIT_NAME, /* a name escaped for a systemd unit's */
};

enum layout_where {
	ANYWHERE,
	BELOW_PARENT, /* directly below a level named parent */
	BELOW_POD,    /* directly below a pod's level */
	SECOND_LEVEL, /* the second level, the first one a containerd namespace */
	AFTER_SLICE,  /* SLICE.slice:PREFIX:ID, one level: the rest after the first ':' */
};

/* One way a runtime names a container's cgroup: PREFIX ID SUFFIX, at a place in the path. */
struct cgroup_layout {
	const char *what;
	enum container_runtime runtime;
	enum layout_where where;
	const char *prefix, *suffix;
	enum id_form form;
	const char *parent;
	/* A level below that makes it the runtime's own process, not the container. */
	const char *not_above;
};

/* First match at a level wins: the colon form and the prefixed ones before bare IDs and names. */
static const struct cgroup_layout cgroup_layouts[] = {
    {"containerd CRI, systemd-style path given to cgroupfs", CONTAINER_CONTAINERD, AFTER_SLICE,
     "cri-containerd:", "", ID_HEX, NULL, NULL},
    {"CRI-O, systemd-style path given to cgroupfs", CONTAINER_CRIO, AFTER_SLICE, "crio:", "",
     ID_HEX, NULL, NULL},
    {"Docker, systemd-style path given to cgroupfs", CONTAINER_DOCKER, AFTER_SLICE, "docker:", "",
     ID_HEX, NULL, NULL},
    {"Docker, systemd driver", CONTAINER_DOCKER, ANYWHERE, "docker-", ".scope", ID_HEX, NULL, NULL},
    {"podman, systemd manager", CONTAINER_PODMAN, ANYWHERE, "libpod-", ".scope", ID_HEX, NULL,
     NULL},
    {"podman, --cgroups=split", CONTAINER_PODMAN, ANYWHERE, "libpod-payload-", "", ID_HEX, NULL,
     NULL},
    {"podman, cgroupfs manager", CONTAINER_PODMAN, ANYWHERE, "libpod-", "", ID_HEX, NULL, NULL},
    {"containerd CRI, systemd driver", CONTAINER_CONTAINERD, ANYWHERE, "cri-containerd-", ".scope",
     ID_HEX, NULL, NULL},
    {"nerdctl, systemd driver", CONTAINER_CONTAINERD, ANYWHERE, "nerdctl-", ".scope", ID_HEX, NULL,
     NULL},
    {"CRI-O, systemd manager", CONTAINER_CRIO, ANYWHERE, "crio-", ".scope", ID_HEX, NULL, NULL},
    {"CRI-O, cgroupfs manager", CONTAINER_CRIO, ANYWHERE, "crio-", "", ID_HEX, NULL, NULL},
    {"Docker, cgroupfs driver", CONTAINER_DOCKER, BELOW_PARENT, "", "", ID_HEX, "docker", NULL},
    {"kubelet, cgroupfs driver: the runtime is not in the path", CONTAINER_NONE, BELOW_POD, "", "",
     ID_HEX, NULL, NULL},
    {"LXC 4 and later", CONTAINER_LXC, ANYWHERE, "lxc.payload.", "", ID_NAME, NULL, NULL},
    {"LXC before 4", CONTAINER_LXC, BELOW_PARENT, "", "", ID_NAME, "lxc", NULL},
    {"systemd-nspawn, registered with machined", CONTAINER_NSPAWN, ANYWHERE, "machine-", ".scope",
     ID_UNIT_NAME, NULL, "supervisor"},
    {"systemd-nspawn, its template unit", CONTAINER_NSPAWN, ANYWHERE, "systemd-nspawn@", ".service",
     ID_UNIT_NAME, NULL, "supervisor"},
    {"ctr or nerdctl, cgroupfs: /NAMESPACE/ID", CONTAINER_CONTAINERD, SECOND_LEVEL, "", "", ID_HEX,
     NULL, NULL},
};

/*
 * First levels that other software puts hex-named groups below, which /NAMESPACE/ID must not
 * take for containerd's: podman's pods (libpod_parent/POD_ID), the runtimes' own parents, and
 * any systemd unit.
 */
static bool containerd_namespace_ok(struct span a)
{
	static const char *const taken[] = {"docker",  "kubepods", "libpod_parent", "lxc",
					    "machine", "system",   "user"};

	if (!containerd_identifier_ok(a))
		return false;
	for (size_t i = 0; i < G_N_ELEMENTS(taken); i++)
		if (span_eq(a, taken[i]))
			return false;
	return !has_suffix(a, ".slice") && !has_suffix(a, ".scope") && !has_suffix(a, ".service");
}

/* The levels around the one being matched; .s NULL where there is none. */
struct levels {
	struct span up2, up, cur, next;
	size_t index;
	bool up_is_pod;
};

struct pod {
	char uid[POD_UID_LEN + 1];
	enum pod_qos qos;
};

static int hex_digit(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * A name from a unit's: systemd writes '/' as '-' and any other byte a unit name cannot hold as
 * \xNN (a machine's '-' is \x2d). The result must still be a name, so a '/' refuses it.
 */
static bool unit_name_unescape(struct span a, char *out, size_t size)
{
	size_t k = 0;

	for (size_t i = 0; i < a.n; i++) {
		char c = a.s[i];

		if (c == '-') {
			c = '/';
		} else if (c == '\\') {
			int hi, lo;

			if (i + 3 >= a.n || a.s[i + 1] != 'x')
				return false;
			hi = hex_digit(a.s[i + 2]);
			lo = hex_digit(a.s[i + 3]);
			if (hi < 0 || lo < 0)
				return false;
			c = (char)(hi << 4 | lo);
			i += 3;
		}
		if (k + 1 >= size)
			return false;
		out[k++] = c;
	}
	out[k] = '\0';
	return name_ok(span_of(out, k), size - 1);
}

/* libvirt registers its machines as qemu-N-NAME and lxc-N-NAME: not systemd-nspawn's. */
static bool is_libvirt_machine(const char *name)
{
	const char *p;

	if (strncmp(name, "qemu-", 5) == 0)
		p = name + 5;
	else if (strncmp(name, "lxc-", 4) == 0)
		p = name + 4;
	else
		return false;
	if (!is_digit(*p))
		return false;
	while (is_digit(*p))
		p++;
	return *p == '-';
}

static bool take_id(const struct cgroup_layout *l, struct span mid, struct container_info *out)
{
	char name[CONTAINER_ID_MAX + 1];

	switch (l->form) {
	case ID_HEX:
		if (!hex_id_ok(mid))
			return false;
		copy_span(out->id, sizeof(out->id), mid);
		return true;
	case ID_NAME:
		if (!name_ok(mid, CONTAINER_ID_MAX))
			return false;
		copy_span(name, sizeof(name), mid);
		break;
	case ID_UNIT_NAME:
		if (!unit_name_unescape(mid, name, sizeof(name)) || is_libvirt_machine(name))
			return false;
		break;
	}
	strcpy(out->id, name);
	strcpy(out->name, name);
	return true;
}

static bool layout_matches(const struct cgroup_layout *l, const struct levels *lv,
			   struct container_info *out)
{
	struct span s = lv->cur;
	size_t pre = strlen(l->prefix), suf = strlen(l->suffix);
	const char *colon;

	switch (l->where) {
	case ANYWHERE:
		break;
	case BELOW_PARENT:
		if (!span_eq(lv->up, l->parent))
			return false;
		break;
	case BELOW_POD:
		if (!lv->up_is_pod)
			return false;
		break;
	case SECOND_LEVEL:
		if (lv->index != 1 || !containerd_namespace_ok(lv->up))
			return false;
		break;
	case AFTER_SLICE:
		colon = memchr(s.s, ':', s.n);
		if (!colon || !has_suffix(span_of(s.s, (size_t)(colon - s.s)), ".slice"))
			return false;
		s = span_of(colon + 1, s.n - (size_t)(colon - s.s) - 1);
		break;
	}
	if (s.n < pre + suf || !has_prefix(s, l->prefix) || !has_suffix(s, l->suffix))
		return false;
	if (l->not_above && span_eq(lv->next, l->not_above))
		return false;
	memset(out, 0, sizeof(*out));
	out->runtime = l->runtime;
	return take_id(l, span_of(s.s + pre, s.n - pre - suf), out);
}

/*
 * kubelet's systemd driver: [ROOT-]kubepods[-QOS]-podUID.slice, the UID with '_' for '-'. A
 * systemd-style path given to a cgroupfs runtime carries it before a ':'.
 */
static bool pod_of_slice(struct span s, struct pod *pod)
{
	static const struct {
		const char *tail;
		enum pod_qos qos;
	} qos_tails[] = {
	    {"kubepods", POD_QOS_GUARANTEED},
	    {"kubepods-burstable", POD_QOS_BURSTABLE},
	    {"kubepods-besteffort", POD_QOS_BESTEFFORT},
	};
	const char *colon = memchr(s.s, ':', s.n);
	size_t i;

	if (colon)
		s.n = (size_t)(colon - s.s);
	if (!has_suffix(s, ".slice"))
		return false;
	s.n -= strlen(".slice");
	/* The UID holds no '-', so the last "-pod" starts it. */
	for (i = s.n; i >= 4; i--)
		if (memcmp(s.s + i - 4, "-pod", 4) == 0)
			break;
	if (i < 4 || !pod_uid_parse(span_of(s.s + i, s.n - i), '_', pod->uid))
		return false;
	s.n = i - 4;
	for (size_t k = 0; k < G_N_ELEMENTS(qos_tails); k++) {
		size_t n = strlen(qos_tails[k].tail);

		if (has_suffix(s, qos_tails[k].tail) && (s.n == n || s.s[s.n - n - 1] == '-')) {
			pod->qos = qos_tails[k].qos;
			return true;
		}
	}
	return false;
}

/* kubelet's cgroupfs driver: kubepods/podUID (guaranteed) or kubepods/QOS/podUID. */
static bool pod_of_dir(const struct levels *lv, struct pod *pod)
{
	if (!has_prefix(lv->cur, "pod") ||
	    !pod_uid_parse(span_of(lv->cur.s + 3, lv->cur.n - 3), '-', pod->uid))
		return false;
	if (span_eq(lv->up, "kubepods"))
		pod->qos = POD_QOS_GUARANTEED;
	else if (span_eq(lv->up, "burstable") && span_eq(lv->up2, "kubepods"))
		pod->qos = POD_QOS_BURSTABLE;
	else if (span_eq(lv->up, "besteffort") && span_eq(lv->up2, "kubepods"))
		pod->qos = POD_QOS_BESTEFFORT;
	else
		return false;
	return true;
}

/* The level after *p (which points at its '/'), moving *p to the '/' after it. */
static bool next_level(const char **p, const char *end, struct span *lv)
{
	const char *s, *e;

	if (*p >= end)
		return false;
	s = *p + 1;
	e = memchr(s, '/', (size_t)(end - s));
	if (!e)
		e = end;
	*lv = span_of(s, (size_t)(e - s));
	*p = e;
	return true;
}

/* What the kernel never writes in a path from the host's cgroup namespace. */
static int check_levels(const char *path, size_t len)
{
	const char *p = path, *end = path + len;
	struct span lv;

	while (next_level(&p, end, &lv)) {
		if (lv.n == 0 || lv.n > CGROUP_LEVEL_MAX || span_eq(lv, ".") || span_eq(lv, ".."))
			return -EINVAL;
		for (size_t i = 0; i < lv.n; i++)
			if ((unsigned char)lv.s[i] < 0x20 || lv.s[i] == 0x7f)
				return -EINVAL;
	}
	return 0;
}

int parse_container_cgroup(const char *path, struct container_info *out)
{
	struct levels lv = {0};
	struct container_info found = {0}, here;
	struct pod pod = {0}, pod_here;
	bool have_found = false, have_pod = false;
	const char *p, *end;
	size_t len;
	int r;

	memset(out, 0, sizeof(*out));
	if (!path)
		return -EINVAL;
	len = strnlen(path, CONTAINER_CGROUP_PATH_MAX + 1);
	if (len == 0 || len > CONTAINER_CGROUP_PATH_MAX || path[0] != '/')
		return -EINVAL;
	if (len == 1)
		return -ENOENT;
	r = check_levels(path, len);
	if (r < 0)
		return r;

	p = path;
	end = path + len;
	next_level(&p, end, &lv.cur);
	if (!next_level(&p, end, &lv.next))
		lv.next = span_of(NULL, 0);
	for (;;) {
		bool is_pod = false, is_container = false;

		memset(&pod_here, 0, sizeof(pod_here));
		if (pod_of_slice(lv.cur, &pod_here) || pod_of_dir(&lv, &pod_here)) {
			pod = pod_here;
			have_pod = is_pod = true;
		}
		for (size_t i = 0; i < G_N_ELEMENTS(cgroup_layouts) && !is_container; i++)
			is_container = layout_matches(&cgroup_layouts[i], &lv, &here);
		if (is_container) {
			/* The pod above this container, and none of those above the container
			 * above. */
			if (have_pod) {
				strcpy(here.pod_uid, pod.uid);
				here.qos = pod.qos;
			}
			have_pod = false;
			found = here;
			have_found = true;
		}
		if (!lv.next.s)
			break;
		lv.up2 = lv.up;
		lv.up = lv.cur;
		lv.cur = lv.next;
		lv.up_is_pod = is_pod && !is_container;
		lv.index++;
		if (!next_level(&p, end, &lv.next))
			lv.next = span_of(NULL, 0);
	}
	if (have_pod) {
		/* A pod's process outside its containers. */
		strcpy(out->pod_uid, pod.uid);
		out->qos = pod.qos;
		return 0;
	}
	if (!have_found)
		return -ENOENT;
	*out = found;
	return 0;
}

int parse_container_cgroup_file(const char *text, size_t len, struct container_info *out)
{
	char path[CONTAINER_CGROUP_PATH_MAX + 1];
	struct container_info all = {0}, one;
	const char *p = text, *end = text + len;
	bool any = false;
	size_t lines = 0;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl ? nl : end;
		const char *c1 = memchr(p, ':', (size_t)(line_end - p));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(line_end - c1 - 1)) : NULL;
		size_t n;
		int r;

		if (!c2 || c1 == p)
			return -EINVAL;
		for (const char *d = p; d < c1; d++)
			if (!is_digit(*d))
				return -EINVAL;
		n = (size_t)(line_end - c2 - 1);
		if (n > CONTAINER_CGROUP_PATH_MAX || memchr(c2 + 1, '\0', n))
			return -EINVAL;
		memcpy(path, c2 + 1, n);
		path[n] = '\0';
		r = parse_container_cgroup(path, &one);
		if (r == -EINVAL)
			return r;
		lines++;
		if (r == 0) {
			if (any && container_info_merge(&all, &one) < 0)
				return -EXDEV;
			if (!any)
				all = one;
			any = true;
		}
		p = nl ? nl + 1 : end;
	}
	if (lines == 0)
		return -EINVAL;
	if (!any)
		return -ENOENT;
	*out = all;
	return 0;
}

/* ---------------------------------------------------------------- command lines */

/* The part after the last '/': a program's name from its path. */
static struct span basename_of(struct span a)
{
	size_t i = a.n;

	while (i > 0 && a.s[i - 1] != '/')
		i--;
	return span_of(a.s + i, a.n - i);
}

/* Whether some '/'-separated level of a path is exactly lit. */
static bool path_has_level(struct span path, const char *lit)
{
	size_t start = 0;

	for (size_t i = 0; i <= path.n; i++) {
		if (i < path.n && path.s[i] != '/')
			continue;
		if (span_eq(span_of(path.s + start, i - start), lit))
			return true;
		start = i + 1;
	}
	return false;
}

/* A Kubernetes object name: lowercase letters, digits, '-' and '.'; never '_', which splits. */
static bool k8s_name_ok(struct span a, size_t max)
{
	if (a.n == 0 || a.n > max)
		return false;
	for (size_t i = 0; i < a.n; i++)
		if (!is_digit(a.s[i]) && !(a.s[i] >= 'a' && a.s[i] <= 'z') && a.s[i] != '-' &&
		    a.s[i] != '.')
			return false;
	return true;
}

/*
 * The names kubelet gave Docker's containers and CRI-O gives its own (conmon's -n):
 * k8s_CONTAINER_POD_NAMESPACE_UID_ATTEMPT, CONTAINER "POD" for the sandbox, and CRI-O's
 * k8s_PODNAME_NAMESPACE_UID_ATTEMPT for a pod's sandbox. Kubernetes names hold no '_', so the split
 * is exact.
 */
static bool parse_k8s_name(struct span s, struct container_info *out)
{
	struct span f[7];
	size_t nf = 0, start = 0;
	struct container_info t = {0};
	struct span ctr = {NULL, 0};

	for (size_t i = 0; i <= s.n; i++) {
		if (i < s.n && s.s[i] != '_')
			continue;
		if (nf == G_N_ELEMENTS(f))
			return false;
		f[nf++] = span_of(s.s + start, i - start);
		start = i + 1;
	}
	if ((nf != 5 && nf != 6) || !span_eq(f[0], "k8s"))
		return false;
	if (nf == 6)
		ctr = f[1];
	if (f[nf - 1].n == 0 || f[nf - 1].n > 10)
		return false;
	for (size_t i = 0; i < f[nf - 1].n; i++)
		if (!is_digit(f[nf - 1].s[i]))
			return false;
	if (!k8s_name_ok(f[nf - 4], POD_NAME_MAX) || !k8s_name_ok(f[nf - 3], K8S_LABEL_MAX) ||
	    !pod_uid_parse(f[nf - 2], '-', t.pod_uid))
		return false;
	copy_span(t.pod_name, sizeof(t.pod_name), f[nf - 4]);
	copy_span(t.pod_namespace, sizeof(t.pod_namespace), f[nf - 3]);
	if (!ctr.s || span_eq(ctr, "POD"))
		t.sandbox = true;
	else if (k8s_name_ok(ctr, K8S_LABEL_MAX))
		copy_span(t.name, sizeof(t.name), ctr);
	else
		return false;
	*out = t;
	return true;
}

/* The argument at *p in [*p, end), moving *p past its NUL; the last one may have none. */
static bool next_arg(const char **p, const char *end, struct span *arg)
{
	const char *nul;

	if (*p >= end)
		return false;
	nul = memchr(*p, '\0', (size_t)(end - *p));
	*arg = span_of(*p, (size_t)((nul ? nul : end) - *p));
	*p = nul ? nul + 1 : end;
	return true;
}

struct option_spec {
	const char *name;
	char short_name;
	bool takes_value;
};

/* conmon 2.1's options (src/cli.c); those with no value are listed so that none is taken. */
static const struct option_spec conmon_options[] = {
    {"api-version", 0, false},
    {"bundle", 'b', true},
    {"cid", 'c', true},
    {"conmon-pidfile", 'P', true},
    {"container-pidfile", 'p', true},
    {"cuuid", 'u', true},
    {"exec", 'e', false},
    {"exec-attach", 0, false},
    {"exec-process-spec", 0, true},
    {"exit-command", 0, true},
    {"exit-command-arg", 0, true},
    {"exit-delay", 0, true},
    {"exit-dir", 0, true},
    {"full-attach", 0, false},
    {"leave-stdin-open", 0, false},
    {"log-global-size-max", 0, true},
    {"log-level", 0, true},
    {"log-path", 'l', true},
    {"log-size-max", 0, true},
    {"log-tag", 0, true},
    {"name", 'n', true},
    {"no-new-keyring", 0, false},
    {"no-pivot", 0, false},
    {"no-sync-log", 0, false},
    {"persist-dir", '0', true},
    {"pidfile", 0, true},
    {"replace-listen-pid", 0, false},
    {"restore", 0, true},
    {"restore-arg", 0, true},
    {"runtime", 'r', true},
    {"runtime-arg", 0, true},
    {"runtime-opt", 0, true},
    {"sdnotify-socket", 0, true},
    {"seccomp-notify-plugins", 0, true},
    {"seccomp-notify-socket", 0, true},
    {"socket-dir-path", 0, true},
    {"stdin", 'i', false},
    {"sync", 0, false},
    {"syslog", 0, false},
    {"systemd-cgroup", 's', false},
    {"terminal", 't', false},
    {"timeout", 'T', true},
    {"version", 0, false},
};

/* containerd's shims (runtime v2 and the v1 containerd-shim): Go flags. */
static const struct option_spec shim_options[] = {
    {"address", 0, true},   {"bundle", 0, true},	  {"containerd-binary", 0, true},
    {"criu", 0, true},	    {"debug", 0, false},	  {"id", 0, true},
    {"namespace", 0, true}, {"publish-binary", 0, true},  {"runtime-root", 0, true},
    {"socket", 0, true},    {"systemd-cgroup", 0, false}, {"v", 0, false},
    {"workdir", 0, true},
};

/* The values of the options a parser wants, by the option's long name. */
struct wanted {
	const char *name;
	struct span value;
};

static const struct option_spec *option_by_name(const struct option_spec *opts, size_t n,
						struct span name)
{
	for (size_t i = 0; i < n; i++)
		if (span_eq(name, opts[i].name))
			return &opts[i];
	return NULL;
}

static void keep_value(struct wanted *w, size_t nw, const struct option_spec *o, struct span v)
{
	for (size_t i = 0; o && i < nw; i++)
		if (strcmp(w[i].name, o->name) == 0)
			w[i].value = v; /* the last one wins, as in GLib and Go */
}

/*
 * Read options from args after argv[0]. Long options are --NAME VALUE or --NAME=VALUE (Go also
 * takes a single '-', go_style); GLib's short ones may be grouped (-ts), each that needs a value
 * taking the next argument. An unknown option is taken for one without a value, and other
 * arguments are skipped rather than ending the options (Go stops there, but an option added
 * later, with a value, must not hide the ones after it). "--" ends the options.
 */
static void read_options(const char *p, const char *end, const struct option_spec *opts,
			 size_t nopts, bool go_style, struct wanted *w, size_t nw)
{
	struct span arg, v;

	while (next_arg(&p, end, &arg)) {
		const struct option_spec *o;
		size_t dashes;

		if (span_eq(arg, "--"))
			return;
		if (arg.n < 2 || arg.s[0] != '-')
			continue;
		dashes = arg.s[1] == '-' ? 2 : 1;
		if (dashes == 2 || go_style) {
			struct span name = span_of(arg.s + dashes, arg.n - dashes);
			const char *eq = memchr(name.s, '=', name.n);

			if (eq)
				name.n = (size_t)(eq - name.s);
			o = option_by_name(opts, nopts, name);
			if (!o || !o->takes_value)
				continue;
			if (eq)
				v = span_of(eq + 1, arg.n - dashes - name.n - 1);
			else if (!next_arg(&p, end, &v))
				return;
			keep_value(w, nw, o, v);
			continue;
		}
		for (size_t i = 1; i < arg.n; i++) {
			o = NULL;
			for (size_t k = 0; k < nopts && !o; k++)
				if (opts[k].short_name && opts[k].short_name == arg.s[i])
					o = &opts[k];
			if (!o || !o->takes_value)
				continue;
			if (!next_arg(&p, end, &v))
				return;
			keep_value(w, nw, o, v);
		}
	}
}

static int parse_conmon(const char *p, const char *end, struct container_info *out)
{
	enum { CID, NAME, EXIT_COMMAND, EXIT_DIR, SOCKET_DIR };
	struct wanted w[] = {
	    [CID] = {"cid", {NULL, 0}},
	    [NAME] = {"name", {NULL, 0}},
	    [EXIT_COMMAND] = {"exit-command", {NULL, 0}},
	    [EXIT_DIR] = {"exit-dir", {NULL, 0}},
	    [SOCKET_DIR] = {"socket-dir-path", {NULL, 0}},
	};
	bool k8s = false;

	read_options(p, end, conmon_options, G_N_ELEMENTS(conmon_options), false, w,
		     G_N_ELEMENTS(w));
	if (!hex_id_ok(w[CID].value))
		return -ENOENT;
	if (w[NAME].value.s) {
		k8s = parse_k8s_name(w[NAME].value, out);
		if (!k8s && !name_ok(w[NAME].value, CONTAINER_NAME_MAX))
			return -ENOENT;
		if (!k8s)
			copy_span(out->name, sizeof(out->name), w[NAME].value);
	}
	copy_span(out->id, sizeof(out->id), w[CID].value);
	/* Each caller passes its own exit command or directories; CRI-O alone names pods so. */
	if (w[EXIT_COMMAND].value.s && span_eq(basename_of(w[EXIT_COMMAND].value), "podman"))
		out->runtime = CONTAINER_PODMAN;
	else if ((w[EXIT_DIR].value.s && path_has_level(w[EXIT_DIR].value, "crio")) ||
		 (w[SOCKET_DIR].value.s && path_has_level(w[SOCKET_DIR].value, "crio")) || k8s)
		out->runtime = CONTAINER_CRIO;
	return 0;
}

static int parse_shim(const char *p, const char *end, bool v1, struct container_info *out)
{
	enum { NAMESPACE, ID, WORKDIR };
	struct wanted w[] = {
	    [NAMESPACE] = {"namespace", {NULL, 0}},
	    [ID] = {"id", {NULL, 0}},
	    [WORKDIR] = {"workdir", {NULL, 0}},
	};
	struct span ns, id;
	bool per_pod;

	read_options(p, end, shim_options, G_N_ELEMENTS(shim_options), true, w, G_N_ELEMENTS(w));
	ns = w[NAMESPACE].value;
	/* The v1 shim has no -id: its work directory is .../NAMESPACE/ID. */
	if (v1 && w[WORKDIR].value.s)
		id = basename_of(w[WORKDIR].value);
	else
		id = v1 ? span_of(NULL, 0) : w[ID].value;
	if (!ns.s || !id.s || !containerd_identifier_ok(ns))
		return -ENOENT;
	/* The CRI plugin starts one v2 shim per pod, for its sandbox; v1 shims were per container.
	 */
	per_pod = span_eq(ns, "k8s.io") && !v1;
	if ((span_eq(ns, "moby") || span_eq(ns, "k8s.io")) ? !hex_id_ok(id)
							   : !containerd_identifier_ok(id))
		return -ENOENT;
	out->runtime = span_eq(ns, "moby") ? CONTAINER_DOCKER : CONTAINER_CONTAINERD;
	if (per_pod)
		copy_span(out->sandbox_id, sizeof(out->sandbox_id), id);
	else
		copy_span(out->id, sizeof(out->id), id);
	return 0;
}

/* "[lxc monitor] LXCPATH NAME": the monitor's title replaces its whole command line. */
static int parse_lxc_monitor(struct span title, struct container_info *out)
{
	static const char prefix[] = "[lxc monitor] ";
	struct span rest = span_of(title.s + strlen(prefix), title.n - strlen(prefix));
	const char *blank = NULL;

	for (size_t i = rest.n; i > 0 && !blank; i--)
		if (rest.s[i - 1] == ' ')
			blank = rest.s + i - 1;
	if (!blank || blank == rest.s || rest.s[0] != '/')
		return -ENOENT;
	rest = span_of(blank + 1, rest.n - (size_t)(blank + 1 - rest.s));
	if (!name_ok(rest, CONTAINER_ID_MAX))
		return -ENOENT;
	out->runtime = CONTAINER_LXC;
	copy_span(out->id, sizeof(out->id), rest);
	copy_span(out->name, sizeof(out->name), rest);
	return 0;
}

int parse_container_cmdline(const char *buf, size_t len, struct container_info *out)
{
	const char *p = buf, *end = buf + len;
	struct span argv0, prog;
	int r = -ENOENT;

	memset(out, 0, sizeof(*out));
	if (!next_arg(&p, end, &argv0))
		return -ENOENT;
	prog = basename_of(argv0);
	if (has_prefix(argv0, "[lxc monitor] "))
		r = parse_lxc_monitor(argv0, out);
	else if (span_eq(prog, "conmon"))
		r = parse_conmon(p, end, out);
	else if (span_eq(prog, "containerd-shim") || span_eq(prog, "docker-containerd-shim"))
		r = parse_shim(p, end, true, out);
	else if (has_prefix(prog, "containerd-shim-"))
		r = parse_shim(p, end, false, out);
	if (r < 0)
		memset(out, 0, sizeof(*out));
	return r;
}

/* ---------------------------------------------------------------- JSON */

struct json_target {
	const char *key;	 /* anywhere, or */
	const char *const *path; /* from the top-level object */
	size_t depth;		 /* of path */
};

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
static int json_find(const char *doc, size_t len, const struct json_target *t, char *out,
		     size_t size)
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
			if (want)
				return json_take_value(&p, end, out, size);
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
	struct json_target t = {key, NULL, 0};

	if (!key || strlen(key) > JSON_KEY_MAX) {
		if (size > 0)
			out[0] = '\0';
		return -EINVAL;
	}
	return json_checked(doc, len, &t, out, size);
}

int json_string_at(const char *doc, size_t len, const char *const *path, char *out, size_t size)
{
	struct json_target t = {NULL, path, 0};

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

/* ---------------------------------------------------------------- runtimes' files */

enum field {
	F_ID,
	F_SANDBOX_ID,
	F_NAME,		 /* any runtime's name */
	F_DOCKER_NAME,	 /* "/NAME", maybe kubelet's k8s_... */
	F_K8S_CONTAINER, /* a container's name in its pod; "POD" for the sandbox */
	F_POD_NAME,
	F_POD_NAMESPACE,
	F_POD_UID,
	F_TYPE,	   /* sandbox or container */
	F_MANAGER, /* io.container.manager */
};

/* One value of a runtime's file into *t, checked; -EXDEV where t already holds another. */
static int put_field(struct container_info *t, enum field f, struct span v)
{
	struct container_info k8s;
	char uid[POD_UID_LEN + 1];
	bool ok = true;

	switch (f) {
	case F_ID:
	case F_SANDBOX_ID:
		if (!hex_id_ok(v))
			return -EINVAL;
		return f == F_ID ? put_str(t->id, sizeof(t->id), v)
				 : put_str(t->sandbox_id, sizeof(t->sandbox_id), v);
	case F_NAME:
		ok = name_ok(v, CONTAINER_NAME_MAX);
		return ok ? put_str(t->name, sizeof(t->name), v) : -EINVAL;
	case F_DOCKER_NAME:
		if (v.n < 2 || v.s[0] != '/')
			return -EINVAL;
		v = span_of(v.s + 1, v.n - 1);
		if (parse_k8s_name(v, &k8s))
			return container_info_merge(t, &k8s);
		return put_field(t, F_NAME, v);
	case F_K8S_CONTAINER:
		if (span_eq(v, "POD")) {
			t->sandbox = true;
			return 0;
		}
		ok = k8s_name_ok(v, K8S_LABEL_MAX);
		return ok ? put_str(t->name, sizeof(t->name), v) : -EINVAL;
	case F_POD_NAME:
	case F_POD_NAMESPACE:
		if (!k8s_name_ok(v, f == F_POD_NAME ? POD_NAME_MAX : K8S_LABEL_MAX))
			return -EINVAL;
		return f == F_POD_NAME ? put_str(t->pod_name, sizeof(t->pod_name), v)
				       : put_str(t->pod_namespace, sizeof(t->pod_namespace), v);
	case F_POD_UID:
		if (!pod_uid_parse(v, '-', uid))
			return -EINVAL;
		return put_str(t->pod_uid, sizeof(t->pod_uid), span_of(uid, strlen(uid)));
	case F_TYPE:
		/* containerd and CRI-O write "sandbox", dockershim's labels "podsandbox". */
		if (span_eq(v, "sandbox") || span_eq(v, "podsandbox"))
			t->sandbox = true;
		else if (!span_eq(v, "container"))
			return -EINVAL;
		return 0;
	case F_MANAGER:
		if (span_eq(v, "cri-o"))
			return put_runtime(t, CONTAINER_CRIO);
		if (span_eq(v, "libpod"))
			return put_runtime(t, CONTAINER_PODMAN);
		return 0; /* another manager: says nothing we keep */
	}
	return -EINVAL;
}

struct file_key {
	const char *path[4];
	enum field field;
};

static const struct file_key docker_keys[] = {
    {{"ID", NULL}, F_ID},
    {{"Name", NULL}, F_DOCKER_NAME},
    /* dockershim's and cri-dockerd's labels on a Kubernetes container. */
    {{"Config", "Labels", "io.kubernetes.container.name", NULL}, F_K8S_CONTAINER},
    {{"Config", "Labels", "io.kubernetes.pod.name", NULL}, F_POD_NAME},
    {{"Config", "Labels", "io.kubernetes.pod.namespace", NULL}, F_POD_NAMESPACE},
    {{"Config", "Labels", "io.kubernetes.pod.uid", NULL}, F_POD_UID},
    {{"Config", "Labels", "io.kubernetes.sandbox.id", NULL}, F_SANDBOX_ID},
    {{"Config", "Labels", "io.kubernetes.docker.type", NULL}, F_TYPE},
};

static const struct file_key oci_keys[] = {
    {{"annotations", "io.container.manager", NULL}, F_MANAGER},
    /* containerd's CRI plugin */
    {{"annotations", "io.kubernetes.cri.container-type", NULL}, F_TYPE},
    {{"annotations", "io.kubernetes.cri.container-name", NULL}, F_K8S_CONTAINER},
    {{"annotations", "io.kubernetes.cri.sandbox-name", NULL}, F_POD_NAME},
    {{"annotations", "io.kubernetes.cri.sandbox-namespace", NULL}, F_POD_NAMESPACE},
    {{"annotations", "io.kubernetes.cri.sandbox-uid", NULL}, F_POD_UID},
    {{"annotations", "io.kubernetes.cri.sandbox-id", NULL}, F_SANDBOX_ID},
    /* CRI-O */
    {{"annotations", "io.kubernetes.cri-o.ContainerType", NULL}, F_TYPE},
    {{"annotations", "io.kubernetes.cri-o.ContainerID", NULL}, F_ID},
    {{"annotations", "io.kubernetes.cri-o.SandboxID", NULL}, F_SANDBOX_ID},
    {{"annotations", "io.kubernetes.container.name", NULL}, F_K8S_CONTAINER},
    {{"annotations", "io.kubernetes.pod.name", NULL}, F_POD_NAME},
    {{"annotations", "io.kubernetes.pod.namespace", NULL}, F_POD_NAMESPACE},
    {{"annotations", "io.kubernetes.pod.uid", NULL}, F_POD_UID},
    /* nerdctl passes its labels on as annotations */
    {{"annotations", "nerdctl/name", NULL}, F_NAME},
};

static int names_from_file(const char *doc, size_t len, const struct file_key *keys, size_t nkeys,
			   enum container_runtime runtime, struct container_info *info)
{
	struct container_info t = {.runtime = runtime};
	char v[CONTAINER_NAME_MAX + 2]; /* Docker's "/" before the longest name */
	bool any = false;

	for (size_t i = 0; i < nkeys; i++) {
		int r = json_string_at(doc, len, keys[i].path, v, sizeof(v));

		if (r == -ENOENT)
			continue;
		if (r < 0)
			return -EINVAL; /* -ENOSPC too: no field holds it */
		r = put_field(&t, keys[i].field, span_of(v, (size_t)r));
		if (r < 0)
			return r;
		any = true;
	}
	/* A sandbox's own spec names it by its ID: the container is the sandbox. */
	if (t.sandbox && t.sandbox_id[0] &&
	    put_str(t.id, sizeof(t.id), span_of(t.sandbox_id, strlen(t.sandbox_id))) < 0)
		return -EXDEV;
	if (!any)
		return -ENOENT;
	return container_info_merge(info, &t);
}

int container_names_from_docker_config(const char *doc, size_t len, struct container_info *info)
{
	return names_from_file(doc, len, docker_keys, G_N_ELEMENTS(docker_keys), CONTAINER_DOCKER,
			       info);
}

int container_names_from_oci_config(const char *doc, size_t len, struct container_info *info)
{
	return names_from_file(doc, len, oci_keys, G_N_ELEMENTS(oci_keys), CONTAINER_NONE, info);
}

/* Which container a cgroup path names: the layouts' table and the path's walk. */
#include "container_parse.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "container_text.h"

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
bool containerd_namespace_ok(struct span a)
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

int hex_digit(char c)
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
int check_levels(const char *path, size_t len)
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

/* Runtime and QoS names, Kubernetes' container IDs, and merging what two sources say. */
#include "container_parse.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "container_text.h"

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
int put_str(char *field, size_t size, struct span v)
{
	size_t have = strnlen(field, size);

	if (v.n >= size)
		return -EINVAL;
	if (have > 0 && !(have == v.n && memcmp(field, v.s, v.n) == 0))
		return -EXDEV;
	copy_span(field, size, v);
	return 0;
}

int put_runtime(struct container_info *c, enum container_runtime r)
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

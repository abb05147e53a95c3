/* Names from the runtimes' files on disk, merged into what the cgroup says. */
#include "container_parse.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "container_text.h"

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

/* The files Docker binds into every container from its directory, DATA_ROOT/containers/ID. */
static const char *const docker_binds[] = {"hostname", "hosts", "resolv.conf"};

struct docker_dir {
	const char *id;
	size_t n; /* the directory's length in the value taken */
};

static bool docker_bind_source(const char *v, size_t n, void *arg)
{
	struct docker_dir *d = arg;
	struct span file = basename_of(span_of(v, n)), dir, parent;
	bool bound = false;

	for (size_t i = 0; i < G_N_ELEMENTS(docker_binds); i++)
		bound = bound || span_eq(file, docker_binds[i]);
	if (!bound || n == file.n || v[0] != '/')
		return false;
	dir = span_of(v, n - file.n - 1);
	if (!span_eq(basename_of(dir), d->id))
		return false;
	parent = span_of(v, dir.n - strlen(d->id));
	if (parent.n < 2 || !span_eq(basename_of(span_of(v, parent.n - 1)), "containers") ||
	    check_levels(v, dir.n) < 0)
		return false;
	d->n = dir.n;
	return true;
}

int docker_dir_from_oci_config(const char *doc, size_t len, const char *id, char *out, size_t size)
{
	struct docker_dir d = {id, 0};
	struct json_target t = {"source", NULL, 0, docker_bind_source, &d};
	char source[CONTAINER_CGROUP_PATH_MAX + 1];
	int r;

	if (size > 0)
		out[0] = '\0';
	if (!id || !hex_id_ok(span_of(id, strnlen(id, CONTAINER_HEX_ID_LEN + 1))))
		return -EINVAL;
	r = json_find(doc, len, &t, source, sizeof(source));
	if (r < 0)
		return r;
	if (d.n >= size)
		return -ENOSPC;
	memcpy(out, source, d.n);
	out[d.n] = '\0';
	return (int)d.n;
}

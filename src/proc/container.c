#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"
#include "util.h"

/* Far above any cgroup file, command line or runtime config a container has. */
#define SMALL_FILE_MAX (1024 * 1024)
/* The runtime's process is the init's parent (conmon, a shim, LXC's monitor), or near it. */
#define PARENTS_MAX 3

/* The whole of a small file, NUL-terminated; NULL (errno set) if absent or larger. */
static char *read_small(const char *path, size_t *len)
{
	g_autofree char *buf = g_malloc(SMALL_FILE_MAX + 1);
	autofd fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t n = 0;
	ssize_t r = 0;

	if (fd < 0)
		return NULL;
	while (n < SMALL_FILE_MAX && (r = read(fd, buf + n, SMALL_FILE_MAX - n)) > 0)
		n += (size_t)r;
	if (r < 0 || n == SMALL_FILE_MAX) {
		errno = r < 0 ? errno : EFBIG;
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return g_realloc(g_steal_pointer(&buf), n + 1);
}

static char *read_proc(pid_t pid, const char *name, size_t *len)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	return read_small(path, len);
}

/* What the runtime's process above init says: kept only where it agrees with the cgroup. */
static void add_runtime_process(pid_t init, struct container_info *c)
{
	pid_t p = init;

	for (int i = 0; i < PARENTS_MAX; i++) {
		struct container_info from, merged = *c;
		struct proc_stat st;
		g_autofree char *cmd = NULL;
		size_t len;

		if (proc_read_stat(p, &st) < 0 || st.ppid <= 1)
			return;
		p = st.ppid;
		cmd = read_proc(p, "cmdline", &len);
		if (!cmd || parse_container_cmdline(cmd, len, &from) < 0)
			continue;
		if (container_info_merge(&merged, &from) == 0)
			*c = merged;
		else
			g_debug("init %d: its runtime's process %d names another container", init,
				p);
		return;
	}
}

/* Where each runtime keeps a container's OCI configuration: before and after its ID. */
static const struct {
	const char *dir, *file;
} oci_configs[] = {
    {"/run/containerd/io.containerd.runtime.v2.task/k8s.io/", "/config.json"},
    {"/run/containerd/io.containerd.runtime.v2.task/moby/", "/config.json"},
    {"/run/containerd/io.containerd.runtime.v2.task/default/", "/config.json"},
    {"/run/containers/storage/overlay-containers/", "/userdata/config.json"},
    {"/var/lib/containers/storage/overlay-containers/", "/userdata/config.json"},
};

/* Names the runtime's files add (a container's name, its pod's), where they agree. */
static void add_runtime_files(struct container_info *c)
{
	g_autofree char *docker = NULL;
	size_t len;

	if (!c->id[0] || c->runtime == CONTAINER_LXC || c->runtime == CONTAINER_NSPAWN)
		return;
	docker = g_strconcat("/var/lib/docker/containers/", c->id, "/config.v2.json", NULL);
	{
		g_autofree char *doc = read_small(docker, &len);

		if (doc && container_names_from_docker_config(doc, len, c) == 0)
			return;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(oci_configs); i++) {
		g_autofree char *path =
		    g_strconcat(oci_configs[i].dir, c->id, oci_configs[i].file, NULL);
		g_autofree char *doc = read_small(path, &len);

		if (doc && container_names_from_oci_config(doc, len, c) == 0)
			return;
	}
}

int container_of(pid_t init, struct container_info *out)
{
	g_autofree char *cgroup = NULL;
	size_t len;
	int r;

	memset(out, 0, sizeof(*out));
	cgroup = read_proc(init, "cgroup", &len);
	if (!cgroup)
		return errno == ENOENT || errno == ESRCH ? -ENOENT : -errno;
	r = parse_container_cgroup_file(cgroup, len, out);
	if (r < 0)
		return r == -EXDEV || r == -EINVAL ? -ENOENT : r;
	add_runtime_process(init, out);
	add_runtime_files(out);
	return 0;
}

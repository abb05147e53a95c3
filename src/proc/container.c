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

/*
 * The runtime's process above init (conmon, a containerd shim, LXC's monitor): its PID, with its
 * command line in *cmd; 0 if none of the nearest parents is one.
 */
static pid_t runtime_process(pid_t init, char **cmd, size_t *len)
{
	pid_t p = init;

	for (int i = 0; i < PARENTS_MAX; i++) {
		struct container_info from;
		struct proc_stat st;

		if (proc_read_stat(p, &st) < 0 || st.ppid <= 1)
			return 0;
		p = st.ppid;
		*cmd = read_proc(p, "cmdline", len);
		if (*cmd && parse_container_cmdline(*cmd, *len, &from) == 0)
			return p;
		g_clear_pointer(cmd, g_free);
	}
	return 0;
}

/* What the runtime's process says: kept only where it agrees with the cgroup. */
static bool add_runtime_process(pid_t init, pid_t runtime, const struct container_info *from,
				struct container_info *c)
{
	struct container_info merged = *c;

	if (container_info_merge(&merged, from) < 0) {
		g_debug("init %d: its runtime's process %d names another container", init, runtime);
		return false;
	}
	*c = merged;
	return true;
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

/* Names from Docker's config.v2.json in dir, as the runtime's process sees the path. */
static bool add_docker_config(pid_t runtime, const char *dir, struct container_info *c)
{
	g_autofree char *path = NULL, *doc = NULL;
	size_t len;

	if (runtime > 0)
		path = g_strdup_printf("/proc/%d/root%s/config.v2.json", (int)runtime, dir);
	else
		path = g_strconcat(dir, "/config.v2.json", NULL);
	doc = read_small(path, &len);
	return doc && container_names_from_docker_config(doc, len, c) == 0;
}

/*
 * Names from the files of a containerd shim's runtime, wherever its state directory and Docker's
 * data root are: containerd starts each shim in its task's bundle, STATE/NAMESPACE/ID, so the
 * container's bundle is beside the shim's working directory (a pod's shim works in its
 * sandbox's), and Docker's bundle names Docker's directory for the container.
 */
static bool add_shim_files(pid_t shim, struct container_info *c)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/cwd/../%s/config.json", (int)shim, c->id);
	g_autofree char *doc = NULL;
	char dir[CONTAINER_CGROUP_PATH_MAX + 1];
	size_t len;

	doc = read_small(path, &len);
	if (!doc)
		return false;
	if (c->runtime == CONTAINER_DOCKER &&
	    docker_dir_from_oci_config(doc, len, c->id, dir, sizeof(dir)) > 0 &&
	    add_docker_config(shim, dir, c))
		return true;
	return container_names_from_oci_config(doc, len, c) == 0;
}

/*
 * Names the runtime's files add (a container's name, its pod's), where they agree: first where
 * the runtime's process shows them, then at each runtime's default paths.
 */
static void add_runtime_files(pid_t runtime, const struct container_info *said,
			      struct container_info *c)
{
	g_autofree char *docker = NULL;
	size_t len;

	if (!c->id[0] || c->runtime == CONTAINER_LXC || c->runtime == CONTAINER_NSPAWN)
		return;
	if (runtime > 0 &&
	    (said->runtime == CONTAINER_DOCKER || said->runtime == CONTAINER_CONTAINERD) &&
	    add_shim_files(runtime, c))
		return;
	docker = g_strconcat("/var/lib/docker/containers/", c->id, NULL);
	if (add_docker_config(0, docker, c))
		return;
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
	g_autofree char *cgroup = NULL, *cmd = NULL;
	struct container_info said = {0};
	size_t len, cmd_len = 0;
	pid_t runtime;
	int r;

	memset(out, 0, sizeof(*out));
	cgroup = read_proc(init, "cgroup", &len);
	if (!cgroup)
		return errno == ENOENT || errno == ESRCH ? -ENOENT : -errno;
	r = parse_container_cgroup_file(cgroup, len, out);
	if (r == -EXDEV || r == -EINVAL)
		return -ENOENT;
	runtime = runtime_process(init, &cmd, &cmd_len);
	if (runtime > 0)
		parse_container_cmdline(cmd, cmd_len, &said);
	/* A task ctr named: its shim names it, and its cgroup path is the one ctr gives. */
	if (r == -ENOENT && runtime > 0)
		r = parse_container_by_shim(cgroup, len, cmd, cmd_len, out);
	if (r < 0)
		return r;
	/* A process that names another container is not this one's runtime: its files neither. */
	if (runtime > 0 && !add_runtime_process(init, runtime, &said, out))
		runtime = 0;
	add_runtime_files(runtime, &said, out);
	return 0;
}

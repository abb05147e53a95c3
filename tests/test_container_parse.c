/*
 * Unit tests for the container parsers (src/proc/container_parse.c): cgroup paths and files,
 * runtimes' command lines, the JSON scanner, Docker's and OCI's files, merging, and the names.
 * Each table row says what it checks; inputs are real ones from podman on the development
 * machine (podman with runc, cgroup v1, cgroupfs manager) and the layouts each runtime documents.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guard.h"
#include "container_parse.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* A real podman container's ID, and others in the forms every runtime uses. */
#define ID_A	   "d77d42c50d0343933b41086e726d93c375b040b97194558e56969ec65df4d9fa"
#define ID_B	   "4e49863bc665e1f7d2f73b8775937f788be22e2f1e066505acdaf58790a615f2"
#define ID_C	   "134b58ab2e0cfd7432a9db818b1b4ec52fdc747333f0ba2c9342860dc2ea7c50"
#define ID_63	   "d77d42c50d0343933b41086e726d93c375b040b97194558e56969ec65df4d9f"
#define ID_UPPER   "D77D42C50D0343933B41086E726D93C375B040B97194558E56969EC65DF4D9FA"
#define ID_NOT_HEX "g77d42c50d0343933b41086e726d93c375b040b97194558e56969ec65df4d9fa"
#define A8	   "aaaaaaaa"
#define A64	   A8 A8 A8 A8 A8 A8 A8 A8
#define UID	   "8dbc5577-d0e2-4706-8787-57d52c03ddf2"
#define UID_	   "8dbc5577_d0e2_4706_8787_57d52c03ddf2" /* as a systemd slice writes it */
#define STATIC_UID "5e5d3b1d3b5c3b0c6e9f0bbdfb7e9e1b"	  /* a static pod's, its manifest's hash */
#define KUBEPODS_BURSTABLE                                                                         \
	"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice"
#define KUBEPODS_BESTEFFORT                                                                        \
	"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice"

/* What a parser should give; NULL strings are "". */
struct want {
	enum container_runtime runtime;
	const char *id, *name, *pod_uid;
	enum pod_qos qos;
	const char *pod_name, *pod_namespace, *sandbox_id;
	bool sandbox;
};

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static void check_str(const char *what, const char *field, const char *got, size_t size,
		      const char *want)
{
	if (!memchr(got, '\0', size))
		fail_msg("%s: %s is not terminated", what, field);
	if (strcmp(got, or_empty(want)) != 0)
		fail_msg("%s: %s is \"%s\", want \"%s\"", what, field, got, or_empty(want));
}

#define CHECK_STR(what, got, want, field)                                                          \
	check_str(what, #field, (got)->field, sizeof((got)->field), (want)->field)

static void check_info(const char *what, const struct container_info *got, const struct want *w)
{
	if (got->runtime != w->runtime)
		fail_msg("%s: runtime \"%s\", want \"%s\"", what,
			 container_runtime_name(got->runtime), container_runtime_name(w->runtime));
	CHECK_STR(what, got, w, id);
	CHECK_STR(what, got, w, name);
	CHECK_STR(what, got, w, pod_uid);
	CHECK_STR(what, got, w, pod_name);
	CHECK_STR(what, got, w, pod_namespace);
	CHECK_STR(what, got, w, sandbox_id);
	if (got->qos != w->qos)
		fail_msg("%s: qos \"%s\", want \"%s\"", what, pod_qos_name(got->qos),
			 pod_qos_name(w->qos));
	if (got->sandbox != w->sandbox)
		fail_msg("%s: sandbox %d, want %d", what, got->sandbox, w->sandbox);
}

static void check_ret(const char *what, int got, int want)
{
	if (got != want)
		fail_msg("%s: returned %d (%s), want %d (%s)", what, got, strerror(-got), want,
			 strerror(-want));
}

static void fill_garbage(struct container_info *c)
{
	memset(c, 'x', sizeof(*c));
	c->runtime = CONTAINER_LXC;
	c->qos = POD_QOS_BURSTABLE;
}

static void want_to_info(const struct want *w, struct container_info *c)
{
	memset(c, 0, sizeof(*c));
	c->runtime = w->runtime;
	snprintf(c->id, sizeof(c->id), "%s", or_empty(w->id));
	snprintf(c->name, sizeof(c->name), "%s", or_empty(w->name));
	snprintf(c->pod_uid, sizeof(c->pod_uid), "%s", or_empty(w->pod_uid));
	snprintf(c->pod_name, sizeof(c->pod_name), "%s", or_empty(w->pod_name));
	snprintf(c->pod_namespace, sizeof(c->pod_namespace), "%s", or_empty(w->pod_namespace));
	snprintf(c->sandbox_id, sizeof(c->sandbox_id), "%s", or_empty(w->sandbox_id));
	c->qos = w->qos;
	c->sandbox = w->sandbox;
}

/* ------------------------------------------------------------------ cgroup paths */

struct cgroup_row {
	const char *what;
	const char *path;
	int ret;
	struct want want;
};

#define DOCKER(id)                                                                                 \
	{                                                                                          \
		CONTAINER_DOCKER, id, NULL, NULL, POD_QOS_NONE, NULL, NULL, NULL, false            \
	}
#define PODMAN(id)                                                                                 \
	{                                                                                          \
		CONTAINER_PODMAN, id, NULL, NULL, POD_QOS_NONE, NULL, NULL, NULL, false            \
	}
#define CONTAINERD(id)                                                                             \
	{                                                                                          \
		CONTAINER_CONTAINERD, id, NULL, NULL, POD_QOS_NONE, NULL, NULL, NULL, false        \
	}
#define CRIO(id)                                                                                   \
	{                                                                                          \
		CONTAINER_CRIO, id, NULL, NULL, POD_QOS_NONE, NULL, NULL, NULL, false              \
	}
#define NAMED(rt, name)                                                                            \
	{                                                                                          \
		rt, name, name, NULL, POD_QOS_NONE, NULL, NULL, NULL, false                        \
	}
#define IN_POD(rt, id, uid, qos)                                                                   \
	{                                                                                          \
		rt, id, NULL, uid, qos, NULL, NULL, NULL, false                                    \
	}
#define NOTHING                                                                                    \
	{                                                                                          \
		CONTAINER_NONE, NULL, NULL, NULL, POD_QOS_NONE, NULL, NULL, NULL, false            \
	}

static const struct cgroup_row cgroup_rows[] = {
    /* Docker */
    {"Docker, systemd driver (v2 0:: line, v1 name=systemd)", "/system.slice/docker-" ID_A ".scope",
     0, DOCKER(ID_A)},
    {"Docker, cgroupfs driver (v1 controllers)", "/docker/" ID_A, 0, DOCKER(ID_A)},
    {"Docker, cgroupfs, the container's own subgroup", "/docker/" ID_A "/sub/deeper", 0,
     DOCKER(ID_A)},
    {"Docker, systemd, a subgroup below the scope", "/system.slice/docker-" ID_A ".scope/init", 0,
     DOCKER(ID_A)},
    {"Docker, --cgroup-parent slice", "/custom.slice/docker-" ID_A ".scope", 0, DOCKER(ID_A)},
    {"Docker, rootless (user manager)",
     "/user.slice/user-1000.slice/user@1000.service/app.slice/docker-" ID_A ".scope", 0,
     DOCKER(ID_A)},
    {"Docker in Docker, cgroupfs: the innermost wins", "/docker/" ID_A "/docker/" ID_B, 0,
     DOCKER(ID_B)},
    {"Docker in Docker, systemd outside: the innermost wins",
     "/system.slice/docker-" ID_A ".scope/docker/" ID_B, 0, DOCKER(ID_B)},
    {"Docker, the daemon itself is not a container", "/system.slice/docker.service", -ENOENT,
     NOTHING},
    {"Docker, cgroupfs, short ID", "/docker/d77d42c50d03", -ENOENT, NOTHING},
    {"Docker, cgroupfs, 63 digits", "/docker/" ID_63, -ENOENT, NOTHING},
    {"Docker, cgroupfs, 65 digits", "/docker/" ID_A "0", -ENOENT, NOTHING},
    {"Docker, cgroupfs, uppercase hex", "/docker/" ID_UPPER, -ENOENT, NOTHING},
    {"Docker, cgroupfs, a letter past f", "/docker/" ID_NOT_HEX, -ENOENT, NOTHING},
    {"Docker, systemd, no ID", "/system.slice/docker-.scope", -ENOENT, NOTHING},
    {"Docker, systemd, no .scope", "/system.slice/docker-" ID_A, -ENOENT, NOTHING},
    {"Docker, systemd, another suffix", "/system.slice/docker-" ID_A ".scopex", -ENOENT, NOTHING},
    {"Docker, systemd, a service, not a scope", "/system.slice/docker-" ID_A ".service", -ENOENT,
     NOTHING},
    {"Docker, buildkit's group below docker/", "/docker/buildkit/" ID_A, -ENOENT, NOTHING},

    /* podman */
    {"podman, cgroupfs manager, as seen on v1 here", "/libpod_parent/libpod-" ID_A, 0,
     PODMAN(ID_A)},
    {"podman, systemd manager", "/machine.slice/libpod-" ID_A ".scope", 0, PODMAN(ID_A)},
    {"podman, systemd, its container/ subgroup", "/machine.slice/libpod-" ID_A ".scope/container",
     0, PODMAN(ID_A)},
    {"podman, rootless",
     "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID_A ".scope", 0,
     PODMAN(ID_A)},
    {"podman pod, systemd: the pod's slice is not systemd-nspawn's",
     "/machine.slice/machine-libpod_pod_" ID_B ".slice/libpod-" ID_A ".scope", 0, PODMAN(ID_A)},
    {"podman pod, cgroupfs", "/libpod_parent/" ID_B "/libpod-" ID_A, 0, PODMAN(ID_A)},
    {"podman, --cgroups=split", "/system.slice/web.service/libpod-payload-" ID_A, 0, PODMAN(ID_A)},
    {"podman, conmon's scope is the monitor", "/machine.slice/libpod-conmon-" ID_A ".scope",
     -ENOENT, NOTHING},
    {"podman, conmon's group under cgroupfs", "/libpod_parent/conmon", -ENOENT, NOTHING},
    {"podman pod level, cgroupfs: not a ctr container", "/libpod_parent/" ID_B, -ENOENT, NOTHING},
    {"podman pod's conmon, cgroupfs", "/libpod_parent/" ID_B "/conmon", -ENOENT, NOTHING},
    {"podman, short ID", "/machine.slice/libpod-d77d42c50d03.scope", -ENOENT, NOTHING},

    /* containerd */
    {"containerd CRI, systemd, burstable pod", KUBEPODS_BURSTABLE "/cri-containerd-" ID_A ".scope",
     0, IN_POD(CONTAINER_CONTAINERD, ID_A, UID, POD_QOS_BURSTABLE)},
    {"containerd CRI, systemd, guaranteed pod (no QoS level)",
     "/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" ID_A ".scope", 0,
     IN_POD(CONTAINER_CONTAINERD, ID_A, UID, POD_QOS_GUARANTEED)},
    {"containerd CRI, systemd, besteffort pod",
     KUBEPODS_BESTEFFORT "/cri-containerd-" ID_A ".scope", 0,
     IN_POD(CONTAINER_CONTAINERD, ID_A, UID, POD_QOS_BESTEFFORT)},
    {"containerd CRI, systemd-style path given to cgroupfs runc",
     KUBEPODS_BESTEFFORT ":cri-containerd:" ID_A, 0,
     IN_POD(CONTAINER_CONTAINERD, ID_A, UID, POD_QOS_BESTEFFORT)},
    {"containerd CRI, that path relative to containerd's own group",
     "/system.slice/containerd.service/kubepods-burstable-pod" UID_ ".slice:cri-containerd:" ID_A,
     0, IN_POD(CONTAINER_CONTAINERD, ID_A, UID, POD_QOS_BURSTABLE)},
    {"CRI-O, systemd-style path given to cgroupfs",
     "/kubepods-burstable-pod" UID_ ".slice:crio:" ID_A, 0,
     IN_POD(CONTAINER_CRIO, ID_A, UID, POD_QOS_BURSTABLE)},
    {"colon form without a slice before it", "/kubepods-burstable-pod" UID_ ":cri-containerd:" ID_A,
     -ENOENT, NOTHING},
    {"colon form with an unknown runtime: the pod alone", KUBEPODS_BESTEFFORT ":runq:" ID_A, 0,
     IN_POD(CONTAINER_NONE, NULL, UID, POD_QOS_BESTEFFORT)},
    {"kind: a node in Docker, its pod's container innermost",
     "/system.slice/docker-" ID_B ".scope/kubelet.slice/kubelet-kubepods.slice/"
     "kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" UID_
     ".slice/cri-containerd-" ID_A ".scope",
     0, IN_POD(CONTAINER_CONTAINERD, ID_A, UID, POD_QOS_BESTEFFORT)},
    {"a pod slice whose root is not '-'-joined is not a pod's",
     "/xkubepods-pod" UID_ ".slice/cri-containerd-" ID_A ".scope", 0, CONTAINERD(ID_A)},
    {"a static pod's UID (32 digits)",
     "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" STATIC_UID
     ".slice/cri-containerd-" ID_A ".scope",
     0, IN_POD(CONTAINER_CONTAINERD, ID_A, STATIC_UID, POD_QOS_BURSTABLE)},
    {"ctr run, cgroupfs: /NAMESPACE/ID", "/default/" ID_A, 0, CONTAINERD(ID_A)},
    {"ctr run, a subgroup below", "/default/" ID_A "/sub", 0, CONTAINERD(ID_A)},
    {"ctr run in k8s.io", "/k8s.io/" ID_A, 0, CONTAINERD(ID_A)},
    {"nerdctl, systemd driver", "/system.slice/nerdctl-" ID_A ".scope", 0, CONTAINERD(ID_A)},
    {"ctr run with an ID chosen by hand: left to the shim", "/default/redis", -ENOENT, NOTHING},
    {"a hex ID two levels down is not ctr's", "/a/b/" ID_A, -ENOENT, NOTHING},
    {"a hex ID below a systemd unit is not ctr's", "/machine.slice/" ID_A, -ENOENT, NOTHING},
    {"a hex ID below user is not ctr's", "/user/" ID_A, -ENOENT, NOTHING},
    {"a hex ID below kubepods is not a container", "/kubepods/" ID_A, -ENOENT, NOTHING},
    {"a namespace that is no containerd identifier", "/a..b/" ID_A, -ENOENT, NOTHING},
    {"containerd's daemon", "/system.slice/containerd.service", -ENOENT, NOTHING},

    /* CRI-O */
    {"CRI-O, systemd", KUBEPODS_BURSTABLE "/crio-" ID_A ".scope", 0,
     IN_POD(CONTAINER_CRIO, ID_A, UID, POD_QOS_BURSTABLE)},
    {"CRI-O, systemd, container/ subgroup", KUBEPODS_BURSTABLE "/crio-" ID_A ".scope/container", 0,
     IN_POD(CONTAINER_CRIO, ID_A, UID, POD_QOS_BURSTABLE)},
    {"CRI-O, cgroupfs", "/kubepods/burstable/pod" UID "/crio-" ID_A, 0,
     IN_POD(CONTAINER_CRIO, ID_A, UID, POD_QOS_BURSTABLE)},
    {"CRI-O, conmon's scope is the monitor: the pod alone",
     KUBEPODS_BURSTABLE "/crio-conmon-" ID_A ".scope", 0,
     IN_POD(CONTAINER_NONE, NULL, UID, POD_QOS_BURSTABLE)},
    {"CRI-O outside a pod", "/system.slice/crio-" ID_A ".scope", 0, CRIO(ID_A)},

    /* kubelet */
    {"kubelet cgroupfs, burstable: the runtime is not in the path",
     "/kubepods/burstable/pod" UID "/" ID_A, 0,
     IN_POD(CONTAINER_NONE, ID_A, UID, POD_QOS_BURSTABLE)},
    {"kubelet cgroupfs, guaranteed", "/kubepods/pod" UID "/" ID_A, 0,
     IN_POD(CONTAINER_NONE, ID_A, UID, POD_QOS_GUARANTEED)},
    {"kubelet cgroupfs, besteffort", "/kubepods/besteffort/pod" UID "/" ID_A, 0,
     IN_POD(CONTAINER_NONE, ID_A, UID, POD_QOS_BESTEFFORT)},
    {"kubelet cgroupfs, a subgroup of the container", "/kubepods/besteffort/pod" UID "/" ID_A "/x",
     0, IN_POD(CONTAINER_NONE, ID_A, UID, POD_QOS_BESTEFFORT)},
    {"kubelet cgroupfs under another cgroup root", "/kubelet/kubepods/burstable/pod" UID "/" ID_A,
     0, IN_POD(CONTAINER_NONE, ID_A, UID, POD_QOS_BURSTABLE)},
    {"kubelet cgroupfs, the pod's level alone", "/kubepods/besteffort/pod" UID, 0,
     IN_POD(CONTAINER_NONE, NULL, UID, POD_QOS_BESTEFFORT)},
    {"kubelet systemd, the pod's slice alone", KUBEPODS_BURSTABLE, 0,
     IN_POD(CONTAINER_NONE, NULL, UID, POD_QOS_BURSTABLE)},
    {"dockershim, systemd", KUBEPODS_BURSTABLE "/docker-" ID_A ".scope", 0,
     IN_POD(CONTAINER_DOCKER, ID_A, UID, POD_QOS_BURSTABLE)},
    {"kubelet, the QoS levels alone", "/kubepods.slice/kubepods-burstable.slice", -ENOENT, NOTHING},
    {"kubelet cgroupfs, an unknown QoS level", "/kubepods/other/pod" UID "/" ID_A, -ENOENT,
     NOTHING},
    {"kubelet cgroupfs, no kubepods above", "/burstable/pod" UID "/" ID_A, -ENOENT, NOTHING},
    {"pod UID with uppercase hex", "/kubepods/pod8DBC5577-d0e2-4706-8787-57d52c03ddf2/" ID_A,
     -ENOENT, NOTHING},
    {"pod UID with a dash out of place", "/kubepods/pod8dbc557-7d0e2-4706-8787-57d52c03ddf2/" ID_A,
     -ENOENT, NOTHING},
    {"pod UID one digit short", "/kubepods/pod8dbc5577-d0e2-4706-8787-57d52c03ddf/" ID_A, -ENOENT,
     NOTHING},
    {"pod UID with '_' in a cgroupfs directory", "/kubepods/pod" UID_ "/" ID_A, -ENOENT, NOTHING},
    {"pod slice with dashes in the UID",
     "/kubepods.slice/kubepods-pod" UID ".slice/cri-containerd-" ID_A ".scope", 0,
     CONTAINERD(ID_A)},
    {"pod slice with an unknown QoS",
     "/kubepods.slice/kubepods-weird-pod" UID_ ".slice/cri-containerd-" ID_A ".scope", 0,
     CONTAINERD(ID_A)},
    {"Docker inside a pod's container: its pod is not Docker's container's",
     "/kubepods/burstable/pod" UID "/" ID_A "/docker/" ID_B, 0, DOCKER(ID_B)},
    {"a pod below the innermost container: the pod alone",
     "/docker/" ID_B "/kubepods/burstable/pod" UID, 0,
     IN_POD(CONTAINER_NONE, NULL, UID, POD_QOS_BURSTABLE)},

    /* LXC */
    {"LXC 4 and later, as seen here", "/lxc.payload.web", 0, NAMED(CONTAINER_LXC, "web")},
    {"LXC, systemd inside the container", "/lxc.payload.web/init.scope", 0,
     NAMED(CONTAINER_LXC, "web")},
    {"LXD, a project's container", "/lxc.payload.proj_web", 0, NAMED(CONTAINER_LXC, "proj_web")},
    {"LXC before 4", "/lxc/web", 0, NAMED(CONTAINER_LXC, "web")},
    {"LXC before 4, a unit inside", "/lxc/web/system.slice/sshd.service", 0,
     NAMED(CONTAINER_LXC, "web")},
    {"LXC in LXC: the innermost wins", "/lxc.payload.outer/lxc.payload.inner", 0,
     NAMED(CONTAINER_LXC, "inner")},
    {"Docker in LXC", "/lxc.payload.host/docker/" ID_A, 0, DOCKER(ID_A)},
    {"LXC's monitor is not the container", "/lxc.monitor.web", -ENOENT, NOTHING},
    {"LXC, an empty name", "/lxc.payload.", -ENOENT, NOTHING},
    {"LXC, a name with a blank", "/lxc.payload.a b", -ENOENT, NOTHING},
    {"LXC, a name of 129 bytes", "/lxc.payload." A64 A64 "a", -ENOENT, NOTHING},
    {"LXC, the parent alone", "/lxc", -ENOENT, NOTHING},

    /* systemd-nspawn */
    {"systemd-nspawn, machined's scope", "/machine.slice/machine-debian.scope", 0,
     NAMED(CONTAINER_NSPAWN, "debian")},
    {"systemd-nspawn, \\x2d unescaped, payload below",
     "/machine.slice/machine-my\\x2dbox.scope/payload/system.slice/cron.service", 0,
     NAMED(CONTAINER_NSPAWN, "my-box")},
    {"systemd-nspawn, uppercase escape digits", "/machine.slice/machine-a\\x2Eb.scope", 0,
     NAMED(CONTAINER_NSPAWN, "a.b")},
    {"systemd-nspawn@.service", "/machine.slice/systemd-nspawn@debian.service/payload", 0,
     NAMED(CONTAINER_NSPAWN, "debian")},
    {"systemd-nspawn, v1: init.scope inside", "/machine.slice/machine-debian.scope/init.scope", 0,
     NAMED(CONTAINER_NSPAWN, "debian")},
    {"systemd-nspawn's supervisor is not the container",
     "/machine.slice/machine-debian.scope/supervisor", -ENOENT, NOTHING},
    {"systemd-nspawn@'s supervisor", "/machine.slice/systemd-nspawn@debian.service/supervisor",
     -ENOENT, NOTHING},
    {"libvirt's virtual machine", "/machine.slice/machine-qemu\\x2d1\\x2dvm.scope", -ENOENT,
     NOTHING},
    {"libvirt's LXC", "/machine.slice/machine-lxc\\x2d1234\\x2dweb.scope", -ENOENT, NOTHING},
    {"a machine named qemu-x (no number) is nspawn's", "/machine.slice/machine-qemu\\x2dx.scope", 0,
     NAMED(CONTAINER_NSPAWN, "qemu-x")},
    {"a raw '-' in a unit's name is a '/'", "/machine.slice/machine-a-b.scope", -ENOENT, NOTHING},
    {"a cut escape", "/machine.slice/machine-bad\\x2.scope", -ENOENT, NOTHING},
    {"an escape that is not \\x", "/machine.slice/machine-bad\\y2d.scope", -ENOENT, NOTHING},
    {"an escaped blank", "/machine.slice/machine-a\\x20b.scope", -ENOENT, NOTHING},
    {"an escaped NUL", "/machine.slice/machine-a\\x00b.scope", -ENOENT, NOTHING},
    {"machine-.scope, no name", "/machine.slice/machine-.scope", -ENOENT, NOTHING},

    /* Host processes */
    {"the root", "/", -ENOENT, NOTHING},
    {"PID 1", "/init.scope", -ENOENT, NOTHING},
    {"a service", "/system.slice/sshd.service", -ENOENT, NOTHING},
    {"a session", "/user.slice/user-1000.slice/session-3.scope", -ENOENT, NOTHING},
    {"a random two-level path", "/foo/bar", -ENOENT, NOTHING},
    {"this sandbox's own group", "/process_api/dae89859edc93aa289a9284f0636d8ce", -ENOENT, NOTHING},

    /* What the kernel never writes */
    {"empty", "", -EINVAL, NOTHING},
    {"no leading slash", "docker/" ID_A, -EINVAL, NOTHING},
    {"an empty level", "//docker/" ID_A, -EINVAL, NOTHING},
    {"a trailing slash", "/docker/" ID_A "/", -EINVAL, NOTHING},
    {"a . level", "/docker/./" ID_A, -EINVAL, NOTHING},
    {"outside the reader's cgroup namespace", "/../../docker/" ID_A, -EINVAL, NOTHING},
    {"a .. level at the end", "/docker/" ID_A "/..", -EINVAL, NOTHING},
    {"a newline", "/docker/" ID_A "\n", -EINVAL, NOTHING},
    {"a tab", "/doc\tker/" ID_A, -EINVAL, NOTHING},
    {"a DEL", "/docker/" ID_A "\x7f", -EINVAL, NOTHING},
    {"an escape character", "/\x1b[2J/docker/" ID_A, -EINVAL, NOTHING},
};

static void test_cgroup_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(cgroup_rows); i++) {
		const struct cgroup_row *row = &cgroup_rows[i];
		struct container_info c;

		fill_garbage(&c);
		check_ret(row->what, parse_container_cgroup(row->path, &c), row->ret);
		check_info(row->what, &c, &row->want);
	}
}

static void test_cgroup_bounds(void **state)
{
	char path[CONTAINER_CGROUP_PATH_MAX + 2];
	struct container_info c;

	(void)state;
	fill_garbage(&c);
	check_ret("NULL", parse_container_cgroup(NULL, &c), -EINVAL);
	check_info("NULL", &c, &(struct want)NOTHING);

	/* The longest path taken, of short levels: not a container. */
	for (size_t i = 0; i < CONTAINER_CGROUP_PATH_MAX; i += 2)
		memcpy(path + i, "/a", 2);
	path[CONTAINER_CGROUP_PATH_MAX] = '\0';
	check_ret("a path of the longest length", parse_container_cgroup(path, &c), -ENOENT);
	/* One byte more is refused, even with a container at its end. */
	memcpy(path + CONTAINER_CGROUP_PATH_MAX - 72, "/docker/" ID_A, 72);
	check_ret("a container at the end of the longest path", parse_container_cgroup(path, &c),
		  0);
	memmove(path + 1, path, CONTAINER_CGROUP_PATH_MAX + 1);
	path[0] = '/';
	path[1] = 'a';
	check_ret("a path one byte too long", parse_container_cgroup(path, &c), -EINVAL);

	/* A level of 255 bytes is taken; 256 is not. */
	path[0] = '/';
	memset(path + 1, 'a', 255);
	path[256] = '\0';
	check_ret("a level of 255 bytes", parse_container_cgroup(path, &c), -ENOENT);
	path[256] = 'a';
	path[257] = '\0';
	check_ret("a level of 256 bytes", parse_container_cgroup(path, &c), -EINVAL);
}

/* ------------------------------------------------------------------ cgroup files */

#define V1_LINES(path)                                                                             \
	"9:name=systemd:" path "\n8:pids:" path "\n7:blkio:" path "\n6:freezer:" path              \
	"\n5:devices:" path "\n4:memory:" path "\n3:cpuset:" path "\n2:cpuacct:" path              \
	"\n1:cpu:" path "\n0::" path "\n"

struct file_row {
	const char *what;
	const char *text;
	int ret;
	struct want want;
};

static const struct file_row file_rows[] = {
    {"podman on this machine: v1 controllers and the 0:: line",
     V1_LINES("/libpod_parent/libpod-" ID_A), 0, PODMAN(ID_A)},
    {"a host process here", V1_LINES("/"), -ENOENT, NOTHING},
    {"v2 only", "0::/system.slice/docker-" ID_A ".scope\n", 0, DOCKER(ID_A)},
    {"no final newline", "0::/system.slice/docker-" ID_A ".scope", 0, DOCKER(ID_A)},
    {"hybrid: Docker cgroupfs in v1 only",
     "2:pids:/docker/" ID_A "\n1:name=systemd:/docker/" ID_A "\n0::/system.slice/docker.service\n",
     0, DOCKER(ID_A)},
    {"the pod in one hierarchy, its container in another",
     "2:cpu:/kubepods/burstable/pod" UID "\n0::/kubepods/burstable/pod" UID "/" ID_A "\n", 0,
     IN_POD(CONTAINER_NONE, ID_A, UID, POD_QOS_BURSTABLE)},
    {"two hierarchies, two containers", "2:pids:/docker/" ID_A "\n0::/docker/" ID_B "\n", -EXDEV,
     NOTHING},
    {"two runtimes for one ID", "2:pids:/docker/" ID_A "\n0::/libpod_parent/libpod-" ID_A "\n",
     -EXDEV, NOTHING},
    {"a cgroup path with ':' in it", "0::" KUBEPODS_BESTEFFORT ":cri-containerd:" ID_A "\n", 0,
     IN_POD(CONTAINER_CONTAINERD, ID_A, UID, POD_QOS_BESTEFFORT)},
    {"empty", "", -EINVAL, NOTHING},
    {"an empty line", "0::/docker/" ID_A "\n\n", -EINVAL, NOTHING},
    {"no colons", "garbage\n", -EINVAL, NOTHING},
    {"one colon", "0:/docker/" ID_A "\n", -EINVAL, NOTHING},
    {"a hierarchy that is not a number", "x::/docker/" ID_A "\n", -EINVAL, NOTHING},
    {"no hierarchy", "::/docker/" ID_A "\n", -EINVAL, NOTHING},
    {"a path without its slash", "0::docker/" ID_A "\n", -EINVAL, NOTHING},
    {"a bad line after a good one", "0::/docker/" ID_A "\nbad\n", -EINVAL, NOTHING},
};

static void test_cgroup_file_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(file_rows); i++) {
		const struct file_row *row = &file_rows[i];
		size_t len = strlen(row->text);
		struct guarded g;
		const char *text = guard_place(&g, row->text, len);
		struct container_info c;

		fill_garbage(&c);
		check_ret(row->what, parse_container_cgroup_file(text, len, &c), row->ret);
		check_info(row->what, &c, &row->want);
		guard_release(&g);
	}
}

static void test_cgroup_file_nul(void **state)
{
	static const char text[] = "0::/docker/" ID_A "\0/x\n";
	struct container_info c;

	(void)state;
	check_ret("a NUL in a path", parse_container_cgroup_file(text, sizeof(text) - 1, &c),
		  -EINVAL);
}

/* ------------------------------------------------------------------ command lines */

struct cmdline_row {
	const char *what;
	const char *buf;
	size_t len;
	int ret;
	struct want want;
};

/* A command line with its NULs: the literal's own terminator is not part of it. */
#define CMD(s) s, sizeof(s) - 1

/* podman 4.3's conmon on this machine, read from /proc/PID/cmdline. */
#define PODMAN_CONMON                                                                              \
	"/usr/bin/conmon\0"                                                                        \
	"--api-version\0"                                                                          \
	"1\0"                                                                                      \
	"-c\0" ID_A "\0"                                                                           \
	"-u\0" ID_A "\0"                                                                           \
	"-r\0"                                                                                     \
	"/usr/bin/runc\0"                                                                          \
	"-b\0"                                                                                     \
	"/var/lib/containers/storage/overlay-containers/" ID_A "/userdata\0"                       \
	"-p\0"                                                                                     \
	"/run/containers/storage/overlay-containers/" ID_A "/userdata/pidfile\0"                   \
	"-n\0"                                                                                     \
	"wt19probe\0"                                                                              \
	"--exit-dir\0"                                                                             \
	"/run/libpod/exits\0"                                                                      \
	"--full-attach\0"                                                                          \
	"-l\0"                                                                                     \
	"k8s-file:/var/lib/containers/storage/overlay-containers/" ID_A "/userdata/ctr.log\0"      \
	"--log-level\0"                                                                            \
	"warning\0"                                                                                \
	"--runtime-arg\0"                                                                          \
	"--log-format=json\0"                                                                      \
	"--runtime-arg\0"                                                                          \
	"--log\0"                                                                                  \
	"--runtime-arg=/run/containers/storage/overlay-containers/" ID_A "/userdata/oci-log\0"     \
	"--conmon-pidfile\0"                                                                       \
	"/run/containers/storage/overlay-containers/" ID_A "/userdata/conmon.pid\0"                \
	"--exit-command\0"                                                                         \
	"/usr/bin/podman\0"                                                                        \
	"--exit-command-arg\0"                                                                     \
	"--root\0"                                                                                 \
	"--exit-command-arg\0"                                                                     \
	"/var/lib/containers/storage\0"                                                            \
	"--exit-command-arg\0"                                                                     \
	"--runroot\0"                                                                              \
	"--exit-command-arg\0"                                                                     \
	"/run/containers/storage\0"                                                                \
	"--exit-command-arg\0"                                                                     \
	"--log-level\0"                                                                            \
	"--exit-command-arg\0"                                                                     \
	"warning\0"                                                                                \
	"--exit-command-arg\0"                                                                     \
	"--cgroup-manager\0"                                                                       \
	"--exit-command-arg\0"                                                                     \
	"cgroupfs\0"                                                                               \
	"--exit-command-arg\0"                                                                     \
	"--tmpdir\0"                                                                               \
	"--exit-command-arg\0"                                                                     \
	"/run/libpod\0"                                                                            \
	"--exit-command-arg\0"                                                                     \
	"--network-config-dir\0"                                                                   \
	"--exit-command-arg\0"                                                                     \
	"\0"                                                                                       \
	"--exit-command-arg\0"                                                                     \
	"--network-backend\0"                                                                      \
	"--exit-command-arg\0"                                                                     \
	"cni\0"                                                                                    \
	"--exit-command-arg\0"                                                                     \
	"--volumepath\0"                                                                           \
	"--exit-command-arg\0"                                                                     \
	"/var/lib/containers/storage/volumes\0"                                                    \
	"--exit-command-arg\0"                                                                     \
	"--runtime\0"                                                                              \
	"--exit-command-arg\0"                                                                     \
	"runc\0"                                                                                   \
	"--exit-command-arg\0"                                                                     \
	"--events-backend\0"                                                                       \
	"--exit-command-arg\0"                                                                     \
	"file\0"                                                                                   \
	"--exit-command-arg\0"                                                                     \
	"container\0"                                                                              \
	"--exit-command-arg\0"                                                                     \
	"cleanup\0"                                                                                \
	"--exit-command-arg\0" ID_A "\0"

/* CRI-O's conmon, as CRI-O 1.2x starts it. */
#define CRIO_CONMON(name)                                                                          \
	"/usr/bin/conmon\0-b\0/run/containers/storage/overlay-containers/" ID_A "/userdata\0"      \
	"-c\0" ID_A "\0--exit-dir\0/var/run/crio/exits\0-l\0/var/log/pods/default_web_" UID        \
	"/web/0.log\0--log-level\0info\0-n\0" name "\0-P\0/run/containers/storage/"                \
	"overlay-containers/" ID_A "/userdata/conmon-pidfile\0-p\0/run/containers/storage/"        \
	"overlay-containers/" ID_A "/userdata/pidfile\0--persist-dir\0/var/lib/containers/"        \
	"storage/overlay-containers/" ID_A "/userdata\0-r\0/usr/bin/runc\0--runtime-arg\0"         \
	"--root=/run/runc\0--socket-dir-path\0/var/run/crio\0--syslog\0-u\0" ID_A "\0-s\0"

#define K8S_WANT(rt, id, name, sandbox)                                                            \
	{                                                                                          \
		rt, id, name, UID, POD_QOS_NONE, "mypod", "default", NULL, sandbox                 \
	}

static const struct cmdline_row cmdline_rows[] = {
    /* conmon */
    {"podman's conmon here, values that look like options skipped",
     CMD(PODMAN_CONMON),
     0,
     {CONTAINER_PODMAN, ID_A, "wt19probe", NULL, POD_QOS_NONE, NULL, NULL, NULL, false}},
    {"podman's conmon, its last NUL cut",
     PODMAN_CONMON,
     sizeof(PODMAN_CONMON) - 2,
     0,
     {CONTAINER_PODMAN, ID_A, "wt19probe", NULL, POD_QOS_NONE, NULL, NULL, NULL, false}},
    {"CRI-O's conmon for a pod's container", CMD(CRIO_CONMON("k8s_web_mypod_default_" UID "_0")), 0,
     K8S_WANT(CONTAINER_CRIO, ID_A, "web", false)},
    {"CRI-O's conmon for the sandbox (POD)", CMD(CRIO_CONMON("k8s_POD_mypod_default_" UID "_3")), 0,
     K8S_WANT(CONTAINER_CRIO, ID_A, NULL, true)},
    {"CRI-O's conmon with the pod's own name", CMD(CRIO_CONMON("k8s_mypod_default_" UID "_0")), 0,
     K8S_WANT(CONTAINER_CRIO, ID_A, NULL, true)},
    {"conmon, k8s_ name without CRI-O's directories: still CRI-O's",
     CMD("conmon\0-c\0" ID_A "\0-n\0k8s_web_mypod_default_" UID "_12\0"), 0,
     K8S_WANT(CONTAINER_CRIO, ID_A, "web", false)},
    {"conmon, a k8s_ look-alike with an '_' too many is a plain name",
     CMD("conmon\0-c\0" ID_A "\0-n\0k8s_a_b_c_d_e_f\0"),
     0,
     {CONTAINER_NONE, ID_A, "k8s_a_b_c_d_e_f", NULL, POD_QOS_NONE, NULL, NULL, NULL, false}},
    {"conmon, a k8s_ name with a bad UID is a plain name",
     CMD("conmon\0-c\0" ID_A "\0-n\0k8s_web_mypod_default_nouid_0\0"),
     0,
     {CONTAINER_NONE, ID_A, "k8s_web_mypod_default_nouid_0", NULL, POD_QOS_NONE, NULL, NULL, NULL,
      false}},
    {"conmon, long options with '='",
     CMD("/usr/libexec/podman/conmon\0--cid=" ID_A "\0--name=web\0"),
     0,
     {CONTAINER_NONE, ID_A, "web", NULL, POD_QOS_NONE, NULL, NULL, NULL, false}},
    {"conmon, long options with their values after",
     CMD("conmon\0--cid\0" ID_A "\0--name\0web\0--exit-command\0/usr/local/bin/podman\0"),
     0,
     {CONTAINER_PODMAN, ID_A, "web", NULL, POD_QOS_NONE, NULL, NULL, NULL, false}},
    {"conmon, grouped short flags",
     CMD("conmon\0-st\0-c\0" ID_A "\0"),
     0,
     {CONTAINER_NONE, ID_A, NULL, NULL, POD_QOS_NONE, NULL, NULL, NULL, false}},
    {"conmon, a group whose last flag takes the value",
     CMD("conmon\0-sc\0" ID_A "\0"),
     0,
     {CONTAINER_NONE, ID_A, NULL, NULL, POD_QOS_NONE, NULL, NULL, NULL, false}},
    {"conmon, -c as another option's value is not the ID",
     CMD("conmon\0-c\0" ID_A "\0--exit-command-arg\0-c\0--exit-command-arg\0" ID_B "\0"),
     0,
     {CONTAINER_NONE, ID_A, NULL, NULL, POD_QOS_NONE, NULL, NULL, NULL, false}},
    {"conmon, -n as a runtime argument is not the name",
     CMD("conmon\0-c\0" ID_A "\0--runtime-arg\0-n\0--runtime-arg\0evil\0"),
     0,
     {CONTAINER_NONE, ID_A, NULL, NULL, POD_QOS_NONE, NULL, NULL, NULL, false}},
    {"conmon, the last -c wins, as in GLib",
     CMD("conmon\0-c\0" ID_B "\0-c\0" ID_A "\0"),
     0,
     {CONTAINER_NONE, ID_A, NULL, NULL, POD_QOS_NONE, NULL, NULL, NULL, false}},
    {"conmon, options after -- are not options", CMD("conmon\0--\0-c\0" ID_A "\0"), -ENOENT,
     NOTHING},
    {"conmon, no ID", CMD("conmon\0-n\0web\0"), -ENOENT, NOTHING},
    {"conmon, -c without its value", CMD("conmon\0-c\0"), -ENOENT, NOTHING},
    {"conmon, a short ID", CMD("conmon\0-c\0d77d42c50d03\0"), -ENOENT, NOTHING},
    {"conmon, an uppercase ID", CMD("conmon\0-c\0" ID_UPPER "\0"), -ENOENT, NOTHING},
    {"conmon, a name with a blank", CMD("conmon\0-c\0" ID_A "\0-n\0a b\0"), -ENOENT, NOTHING},
    {"conmon, an empty name", CMD("conmon\0-c\0" ID_A "\0-n\0\0"), -ENOENT, NOTHING},
    {"conmon, an escape in the name", CMD("conmon\0-c\0" ID_A "\0-n\0a\x1b[2J\0"), -ENOENT,
     NOTHING},
    {"conmon-rs is not conmon", CMD("/usr/bin/conmonrs\0--runtime\0/usr/bin/runc\0"), -ENOENT,
     NOTHING},

    /* containerd's shims */
    {"Docker's shim",
     CMD("/usr/bin/containerd-shim-runc-v2\0-namespace\0moby\0-id\0" ID_A
	 "\0-address\0/run/containerd/containerd.sock\0"),
     0, DOCKER(ID_A)},
    {"the CRI plugin's shim is the pod's: its sandbox",
     CMD("/usr/bin/containerd-shim-runc-v2\0-namespace\0k8s.io\0-id\0" ID_C
	 "\0-address\0/run/containerd/containerd.sock\0"),
     0,
     {CONTAINER_CONTAINERD, NULL, NULL, NULL, POD_QOS_NONE, NULL, NULL, ID_C, false}},
    {"gVisor's shim in k8s.io",
     CMD("containerd-shim-runsc-v1\0-namespace\0k8s.io\0-id\0" ID_C "\0"),
     0,
     {CONTAINER_CONTAINERD, NULL, NULL, NULL, POD_QOS_NONE, NULL, NULL, ID_C, false}},
    {"ctr's container, an ID chosen by hand",
     CMD("containerd-shim-runc-v2\0-namespace\0default\0-id\0redis\0-address\0/run/c.sock\0"), 0,
     CONTAINERD("redis")},
    {"Go's --flag=value", CMD("containerd-shim-runc-v2\0--namespace=moby\0--id=" ID_A "\0"), 0,
     DOCKER(ID_A)},
    {"a bool flag before",
     CMD("containerd-shim-runc-v2\0-debug\0-namespace\0moby\0-id\0" ID_A "\0"), 0, DOCKER(ID_A)},
    {"the start action after the flags",
     CMD("containerd-shim-runc-v2\0-namespace\0moby\0-address\0/a\0-publish-binary\0/b\0-id\0" ID_A
	 "\0start\0"),
     0, DOCKER(ID_A)},
    {"an -id after -- is not read",
     CMD("containerd-shim-runc-v2\0-namespace\0moby\0-id\0" ID_A "\0--\0-id\0" ID_B "\0"), 0,
     DOCKER(ID_A)},
    {"Docker's v1 shim: the ID ends its work directory",
     CMD("docker-containerd-shim\0-namespace\0moby\0-workdir\0/var/lib/docker/containerd/daemon/"
	 "io.containerd.runtime.v1.linux/moby/" ID_A "\0-address\0/var/run/docker/containerd/"
	 "docker-containerd.sock\0-containerd-binary\0/usr/bin/docker-containerd\0-runtime-root\0"
	 "/var/run/docker/runtime-runc\0"),
     0, DOCKER(ID_A)},
    {"containerd's v1 shim in k8s.io: one per container",
     CMD("containerd-shim\0-namespace\0k8s.io\0-workdir\0/var/lib/containerd/"
	 "io.containerd.runtime.v1.linux/k8s.io/" ID_A
	 "\0-address\0/run/containerd/containerd.sock\0"),
     0, CONTAINERD(ID_A)},
    {"a v1 shim without its work directory",
     CMD("containerd-shim\0-namespace\0moby\0-id\0" ID_A "\0"), -ENOENT, NOTHING},
    {"Docker's shim, a short ID", CMD("containerd-shim-runc-v2\0-namespace\0moby\0-id\0abc\0"),
     -ENOENT, NOTHING},
    {"a shim without its namespace", CMD("containerd-shim-runc-v2\0-id\0" ID_A "\0"), -ENOENT,
     NOTHING},
    {"a shim without its ID", CMD("containerd-shim-runc-v2\0-namespace\0moby\0"), -ENOENT, NOTHING},
    {"a namespace that is no identifier",
     CMD("containerd-shim-runc-v2\0-namespace\0a..b\0-id\0redis\0"), -ENOENT, NOTHING},
    {"an ID that is no identifier", CMD("containerd-shim-runc-v2\0-namespace\0default\0-id\0a/b\0"),
     -ENOENT, NOTHING},
    {"an ID of 77 bytes",
     CMD("containerd-shim-runc-v2\0-namespace\0default\0-id\0"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\0"),
     -ENOENT, NOTHING},
    {"containerd itself", CMD("/usr/bin/containerd\0"), -ENOENT, NOTHING},
    {"containerd-shimx is not a shim", CMD("containerd-shimx\0-namespace\0moby\0-id\0" ID_A "\0"),
     -ENOENT, NOTHING},

    /* LXC */
    {"LXC's monitor", CMD("[lxc monitor] /var/lib/lxc web\0"), 0, NAMED(CONTAINER_LXC, "web")},
    {"LXC's monitor, no NUL", CMD("[lxc monitor] /var/lib/lxc web"), 0,
     NAMED(CONTAINER_LXC, "web")},
    {"LXC's monitor, padded with NULs", CMD("[lxc monitor] /var/lib/lxc web\0\0\0\0"), 0,
     NAMED(CONTAINER_LXC, "web")},
    {"LXD's monitor", CMD("[lxc monitor] /var/snap/lxd/common/lxd/containers proj_web\0"), 0,
     NAMED(CONTAINER_LXC, "proj_web")},
    {"LXC's monitor, a path with a blank", CMD("[lxc monitor] /srv/my lxc web\0"), 0,
     NAMED(CONTAINER_LXC, "web")},
    {"LXC's monitor without a name", CMD("[lxc monitor] /var/lib/lxc\0"), -ENOENT, NOTHING},
    {"LXC's monitor, a trailing blank", CMD("[lxc monitor] /var/lib/lxc web \0"), -ENOENT, NOTHING},
    {"LXC's monitor without a path", CMD("[lxc monitor] web\0"), -ENOENT, NOTHING},
    {"LXC's monitor, a relative path", CMD("[lxc monitor] lxc web\0"), -ENOENT, NOTHING},
    {"LXC's monitor, a control in the name",
     CMD("[lxc monitor] /var/lib/lxc we\x01"
	 "b\0"),
     -ENOENT, NOTHING},
    {"[lxc monitor] as a later argument", CMD("sh\0[lxc monitor] /var/lib/lxc web\0"), -ENOENT,
     NOTHING},

    /* Others */
    {"empty", CMD(""), -ENOENT, NOTHING},
    {"one NUL", CMD("\0"), -ENOENT, NOTHING},
    {"podman itself", CMD("/usr/bin/podman\0run\0-c\0" ID_A "\0"), -ENOENT, NOTHING},
    {"a container's process",
     CMD("sleep\0"
	 "600\0"),
     -ENOENT, NOTHING},
};

static void test_cmdline_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(cmdline_rows); i++) {
		const struct cmdline_row *row = &cmdline_rows[i];
		struct guarded g;
		const char *buf = guard_place(&g, row->buf, row->len);
		struct container_info c;

		fill_garbage(&c);
		check_ret(row->what, parse_container_cmdline(buf, row->len, &c), row->ret);
		check_info(row->what, &c, &row->want);
		guard_release(&g);
	}
}

/* Every prefix of a real command line: a read cut anywhere is refused or still right. */
static void test_cmdline_cut(void **state)
{
	static const char line[] = PODMAN_CONMON;

	(void)state;
	for (size_t len = 0; len < sizeof(line) - 1; len++) {
		struct guarded g;
		const char *buf = guard_place(&g, line, len);
		struct container_info c;
		int r = parse_container_cmdline(buf, len, &c);

		assert_true(r == 0 || r == -ENOENT);
		if (r == 0) {
			assert_string_equal(c.id, ID_A);
			assert_true(c.runtime == CONTAINER_PODMAN || c.runtime == CONTAINER_NONE);
		}
		guard_release(&g);
	}
}

/* ------------------------------------------------------------------ JSON */

struct json_row {
	const char *what;
	const char *doc;
	const char *key;
	int ret;
	const char *value;
};

static const struct json_row json_rows[] = {
    {"a top-level key", "{\"Name\":\"/web\"}", "Name", 4, "/web"},
    {"blanks everywhere", " \r\n\t{ \"Name\" :\t\"/web\" }\n", "Name", 4, "/web"},
    {"the first in document order, nested or not", "{\"A\":{\"Name\":\"x\"},\"Name\":\"y\"}",
     "Name", 1, "x"},
    {"the first of two equal keys", "{\"Name\":\"x\",\"Name\":\"y\"}", "Name", 1, "x"},
    {"inside an array's object", "{\"a\":[1,{\"Name\":\"x\"}]}", "Name", 1, "x"},
    {"a key inside another string is not a key",
     "{\"A\":\"\\\"Name\\\":\\\"evil\\\"\",\"Name\":\"ok\"}", "Name", 2, "ok"},
    {"a value equal to the key is not a key", "{\"A\":\"Name\",\"B\":\"x\"}", "Name", -ENOENT, ""},
    {"array items are not keys", "[\"Name\",\"x\"]", "Name", -ENOENT, ""},
    {"absent", "{\"A\":1}", "Name", -ENOENT, ""},
    {"a prefix of the key is not the key", "{\"Nam\":\"x\",\"Names\":\"y\"}", "Name", -ENOENT, ""},
    {"keys are compared unescaped", "{\"N\\u0061me\":\"x\"}", "Name", 1, "x"},
    {"escapes", "{\"k\":\"a\\\"b\\\\c\\/d\"}", "k", 7, "a\"b\\c/d"},
    {"\\u to UTF-8", "{\"k\":\"caf\\u00e9\"}", "k", 5, "caf\xc3\xa9"},
    {"\\u, a surrogate pair", "{\"k\":\"\\ud83d\\ude00\"}", "k", 4, "\xf0\x9f\x98\x80"},
    {"raw UTF-8 is kept", "{\"k\":\"caf\xc3\xa9\"}", "k", 5, "caf\xc3\xa9"},
    {"an empty value", "{\"k\":\"\"}", "k", 0, ""},
    {"every kind of value before it",
     "{\"a\":-1.5e+3,\"b\":[true,false,null,{},[]],\"c\":0,\"d\":2E-2,\"e\":\"s\",\"k\":\"v\"}",
     "k", 1, "v"},
    {"what follows the value is not read", "{\"k\":\"v\"} garbage", "k", 1, "v"},
    {"a lone high surrogate", "{\"k\":\"\\ud83d\"}", "k", -EINVAL, ""},
    {"a high surrogate and no low one", "{\"k\":\"\\ud83d\\u0041\"}", "k", -EINVAL, ""},
    {"a lone low surrogate", "{\"k\":\"\\ude00\"}", "k", -EINVAL, ""},
    {"a \\u with a letter past f", "{\"k\":\"\\u12g4\"}", "k", -EINVAL, ""},
    {"a cut \\u", "{\"k\":\"\\u12\"}", "k", -EINVAL, ""},
    {"an unknown escape", "{\"k\":\"\\x41\"}", "k", -EINVAL, ""},
    {"an escaped newline", "{\"k\":\"a\\nb\"}", "k", -EINVAL, ""},
    {"an escaped NUL", "{\"k\":\"a\\u0000b\"}", "k", -EINVAL, ""},
    {"an escaped DEL", "{\"k\":\"\\u007f\"}", "k", -EINVAL, ""},
    {"an escaped C1 control", "{\"k\":\"\\u009b\"}", "k", -EINVAL, ""},
    {"a raw C1 control in UTF-8",
     "{\"k\":\"a\xc2\x9b"
     "b\"}",
     "k", -EINVAL, ""},
    {"a raw control byte",
     "{\"k\":\"a\x01"
     "b\"}",
     "k", -EINVAL, ""},
    {"invalid UTF-8",
     "{\"k\":\"a\xff"
     "b\"}",
     "k", -EINVAL, ""},
    {"a null value", "{\"Name\":null}", "Name", -EINVAL, ""},
    {"a number value", "{\"Name\":1}", "Name", -EINVAL, ""},
    {"an object value", "{\"Name\":{\"Name\":\"x\"}}", "Name", -EINVAL, ""},
    {"cut in the value", "{\"Name\":\"/we", "Name", -EINVAL, ""},
    {"cut after a comma", "{\"A\":1,", "Name", -EINVAL, ""},
    {"empty", "", "Name", -EINVAL, ""},
    {"blanks only", "  \n", "Name", -EINVAL, ""},
    {"a misspelt literal before", "{\"A\":tru,\"k\":\"x\"}", "k", -EINVAL, ""},
    {"a leading zero before", "{\"A\":01,\"k\":\"x\"}", "k", -EINVAL, ""},
    {"a bare minus before", "{\"A\":-,\"k\":\"x\"}", "k", -EINVAL, ""},
    {"a point without digits before", "{\"A\":1.,\"k\":\"x\"}", "k", -EINVAL, ""},
    {"an exponent without digits before", "{\"A\":1e,\"k\":\"x\"}", "k", -EINVAL, ""},
    {"no colon", "{\"A\" 1,\"k\":\"x\"}", "k", -EINVAL, ""},
    {"no comma", "{\"A\":1 \"k\":\"x\"}", "k", -EINVAL, ""},
    {"a key that is no string", "{A:1,\"k\":\"x\"}", "k", -EINVAL, ""},
    {"an array closed by '}'", "{\"A\":[1,2},\"k\":\"x\"}", "k", -EINVAL, ""},
    {"a lone comma", "{,\"k\":\"x\"}", "k", -EINVAL, ""},
    {"a trailing comma", "{\"A\":1,}", "k", -EINVAL, ""},
    {"garbage after the document", "{\"A\":1} x", "k", -EINVAL, ""},
    {"two documents", "{} {}", "k", -EINVAL, ""},
    {"a raw NUL", "{\"A\":1\0}", "k", -EINVAL, ""},
    {"a raw newline in a string", "{\"A\":\"a\nb\",\"k\":\"x\"}", "k", -EINVAL, ""},
    {"a scalar document", "\"k\"", "k", -ENOENT, ""},
};

static void test_json_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(json_rows); i++) {
		const struct json_row *row = &json_rows[i];
		/* The "raw NUL" row's document runs past its NUL. */
		size_t len = strlen(row->doc) + (strstr(row->what, "raw NUL") ? 2 : 0);
		struct guarded g;
		const char *doc = guard_place(&g, row->doc, len);
		char out[64];

		memset(out, 'x', sizeof(out));
		check_ret(row->what, json_string_value(doc, len, row->key, out, sizeof(out)),
			  row->ret);
		if (strcmp(out, row->value) != 0)
			fail_msg("%s: value \"%s\", want \"%s\"", row->what, out, row->value);
		guard_release(&g);
	}
}

struct json_path_row {
	const char *what;
	const char *doc;
	const char *path[4];
	int ret;
	const char *value;
};

static const struct json_path_row json_path_rows[] = {
    {"an annotation", "{\"annotations\":{\"k\":\"v\"}}", {"annotations", "k"}, 1, "v"},
    {"a top-level key, not a nested one first",
     "{\"MountPoints\":{\"/d\":{\"Name\":\"vol\"}},\"Name\":\"/web\"}",
     {"Name"},
     4,
     "/web"},
    {"the path deeper than the document",
     "{\"x\":{\"annotations\":{\"k\":\"v\"}}}",
     {"annotations", "k"},
     -ENOENT,
     ""},
    {"not inside an array", "{\"annotations\":[{\"k\":\"v\"}]}", {"annotations", "k"}, -ENOENT, ""},
    {"not in an object below the path's",
     "{\"annotations\":{\"a\":{\"k\":\"bad\"},\"k\":\"good\"}}",
     {"annotations", "k"},
     4,
     "good"},
    {"not in a sibling before",
     "{\"a\":{\"k\":\"bad\"},\"annotations\":{\"k\":\"good\"}}",
     {"annotations", "k"},
     4,
     "good"},
    {"after an array value of the first key",
     "{\"annotations\":[],\"annotations2\":{\"k\":\"bad\"}}",
     {"annotations", "k"},
     -ENOENT,
     ""},
    {"three levels",
     "{\"Config\":{\"Hostname\":\"h\",\"Labels\":{\"a\":\"1\",\"b\":\"2\"}}}",
     {"Config", "Labels", "b"},
     1,
     "2"},
    {"three levels, the label in another object",
     "{\"Config\":{\"Other\":{\"b\":\"2\"}}}",
     {"Config", "Labels", "b"},
     -ENOENT,
     ""},
    {"a key equal to a later level is not it",
     "{\"Labels\":{\"b\":\"2\"}}",
     {"Config", "Labels", "b"},
     -ENOENT,
     ""},
    {"no path", "{\"k\":\"v\"}", {NULL}, -EINVAL, ""},
};

static void test_json_path_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(json_path_rows); i++) {
		const struct json_path_row *row = &json_path_rows[i];
		char out[64];

		memset(out, 'x', sizeof(out));
		check_ret(row->what,
			  json_string_at(row->doc, strlen(row->doc), row->path, out, sizeof(out)),
			  row->ret);
		if (strcmp(out, row->value) != 0)
			fail_msg("%s: value \"%s\", want \"%s\"", row->what, out, row->value);
	}
}

static void test_json_bounds(void **state)
{
	static const char pairs[] = "{\"k\":\"\\ud83d\\ude00\\ud83d\\ude00\"}";
	char doc[600], out[8];
	size_t n = 0;

	(void)state;
	/* The value and its NUL must fit. */
	assert_int_equal(json_string_value("{\"k\":\"1234567\"}", 15, "k", out, 8), 7);
	assert_string_equal(out, "1234567");
	assert_int_equal(json_string_value("{\"k\":\"12345678\"}", 16, "k", out, 8), -ENOSPC);
	assert_string_equal(out, "");
	assert_int_equal(json_string_value("{\"k\":\"1\"}", 9, "k", out, 0), -ENOSPC);
	/* An escape decoding to more bytes than it is long must fit too. */
	assert_int_equal(json_string_value(pairs, strlen(pairs), "k", out, 8), -ENOSPC);

	/* 64 levels are taken, 65 refused. */
	for (int i = 0; i < 63; i++)
		doc[n++] = '[';
	memcpy(doc + n, "{\"k\":\"v\"}", 9);
	n += 9;
	for (int i = 0; i < 63; i++)
		doc[n++] = ']';
	assert_int_equal(json_string_value(doc, n, "k", out, sizeof(out)), 1);
	memmove(doc + 1, doc, n);
	doc[0] = '[';
	assert_int_equal(json_string_value(doc, n + 1, "k", out, sizeof(out)), -EINVAL);

	/* Keys: none over 255 bytes is asked for; one in the document matches nothing. */
	memset(doc, 'a', 256);
	doc[256] = '\0';
	assert_int_equal(json_string_value("{}", 2, doc, out, sizeof(out)), -EINVAL);
	doc[255] = '\0';
	assert_int_equal(json_string_value("{}", 2, doc, out, sizeof(out)), -ENOENT);
	n = (size_t)snprintf(doc, sizeof(doc), "{\"%0300d\":\"x\",\"k\":\"y\"}", 0);
	assert_int_equal(json_string_value(doc, n, "k", out, sizeof(out)), 1);
	assert_string_equal(out, "y");
}

/* ------------------------------------------------------------------ runtimes' files */

/* Docker 28's containers/ID/config.v2.json, cut down; a volume's "Name" comes after. */
#define DOCKER_CONFIG(name, labels)                                                                \
	"{\"StreamConfig\":{},\"State\":{\"Running\":true,\"Paused\":false,\"Pid\":3244,"          \
	"\"ExitCode\":0,\"Health\":null},\"ID\":\"" ID_A                                           \
	"\",\"Created\":\"2025-01-01T00:00:00Z\","                                                 \
	"\"Managed\":false,\"Path\":\"sleep\",\"Args\":[\"600\"],\"Config\":{\"Hostname\":"        \
	"\"d77d42c50d03\",\"Env\":[\"PATH=/usr/"                                                   \
	"bin\"],\"Cmd\":[\"sleep\",\"600\"],\"Labels\":{" labels "}},\"Image\":\"sha256:" ID_B     \
	"\",\"NetworkSettings\":{\"Networks\":{\"bridge\":{"                                       \
	"\"NetworkID\":\"" ID_C "\"}}},\"LogPath\":\"\",\"Name\":\"" name "\",\"Driver\":"         \
	"\"overlay2\",\"MountPoints\":{\"/data\":{\"Source\":\"/var/lib/docker/volumes/v/_data\"," \
	"\"Destination\":\"/data\",\"RW\":true,\"Name\":\"v\",\"Driver\":\"local\"}}}"

#define DOCKERSHIM_LABELS(ctr, type, sandbox)                                                      \
	"\"io.kubernetes.container.name\":\"" ctr "\",\"io.kubernetes.docker.type\":\"" type       \
	"\",\"io.kubernetes.pod.name\":\"mypod\",\"io.kubernetes.pod.namespace\":\"default\","     \
	"\"io.kubernetes.pod.uid\":\"" UID "\",\"io.kubernetes.sandbox.id\":\"" sandbox "\""

/* containerd's CRI annotations on a pod's container and on its sandbox. */
#define CRI_CONFIG(type, extra)                                                                    \
	"{\"ociVersion\":\"1.1.0\",\"process\":{\"args\":[\"/pause\"]},\"annotations\":{"          \
	"\"io.kubernetes.cri.container-type\":\"" type "\"," extra                                 \
	"\"io.kubernetes.cri.sandbox-id\":\"" ID_C "\",\"io.kubernetes.cri.sandbox-name\":"        \
	"\"mypod\",\"io.kubernetes.cri.sandbox-namespace\":\"default\","                           \
	"\"io.kubernetes.cri.sandbox-uid\":\"" UID "\"},\"linux\":{\"cgroupsPath\":"               \
	"\"kubepods-besteffort-pod" UID_ ".slice:cri-containerd:" ID_A "\"}}"

/* A CRI-O sandbox's, from a published bug report, cut down. */
#define CRIO_SANDBOX_CONFIG                                                                        \
	"{\"ociVersion\":\"1.0.2-dev\",\"annotations\":{\"io.kubernetes.cri-o.CgroupParent\":"     \
	"\"kubepods-besteffort-podaaaa2b4a_f398_41c0_928b_049e1cc4ec40.slice\","                   \
	"\"io.kubernetes.pod.name\":\"segfaulter\",\"run\":\"segfaulter\","                        \
	"\"io.kubernetes.cri-o.ContainerName\":\"k8s_POD_segfaulter_default_"                      \
	"aaaa2b4a-f398-41c0-928b-049e1cc4ec40_0\",\"io.kubernetes.container.name\":\"POD\","       \
	"\"io.kubernetes.cri-o.SandboxID\":\"" ID_C "\",\"io.container.manager\":\"cri-o\","       \
	"\"io.kubernetes.pod.uid\":\"aaaa2b4a-f398-41c0-928b-049e1cc4ec40\","                      \
	"\"io.kubernetes.cri-o.Metadata\":\"{\\\"Name\\\":\\\"segfaulter\\\",\\\"UID\\\":"         \
	"\\\"aaaa2b4a-f398-41c0-928b-049e1cc4ec40\\\",\\\"Namespace\\\":\\\"default\\\","          \
	"\\\"Attempt\\\":0}\",\"io.kubernetes.cri-o.ContainerType\":\"sandbox\","                  \
	"\"io.kubernetes.cri-o.Labels\":\"{\\\"io.kubernetes.container.name\\\":\\\"POD\\\","      \
	"\\\"io.kubernetes.pod.namespace\\\":\\\"default\\\"}\","                                  \
	"\"io.kubernetes.pod.namespace\":\"default\",\"io.kubernetes.cri-o.ContainerID\":\"" ID_C  \
	"\"},\"linux\":{\"cgroupsPath\":\"kubepods-besteffort-podaaaa2b4a_f398_41c0_928b_"         \
	"049e1cc4ec40.slice:crio:" ID_C "\"}}"

/* podman 4.3's, on this machine, cut down: only the manager says anything. */
#define PODMAN_CONFIG                                                                              \
	"{\"ociVersion\":\"1.0.2-dev\",\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":"      \
	"[\"/bin/sleep\",\"300\"],\"env\":[\"container=podman\"],\"cwd\":\"/\"},\"root\":"         \
	"{\"path\":\"/tmp/wt19-NQ51/rootfs\"},\"hostname\":\"d77d42c50d03\",\"annotations\":{"     \
	"\"io.container.manager\":\"libpod\",\"io.kubernetes.cri-o.Created\":"                     \
	"\"2026-12-04T19:22:27.176835163Z\",\"io.kubernetes.cri-o.TTY\":\"false\","                \
	"\"io.podman.annotations.autoremove\":\"FALSE\",\"io.podman.annotations.init\":\"FALSE\"," \
	"\"org.opencontainers.image.stopSignal\":\"15\"},\"linux\":{\"cgroupsPath\":"              \
	"\"/libpod_parent/libpod-" ID_A "\"}}"

enum file_kind { DOCKER_FILE, OCI_FILE };

struct runtime_file_row {
	const char *what;
	enum file_kind kind;
	const char *doc;
	struct want before; /* what the caller knew */
	int ret;
	struct want after;
};

static const struct runtime_file_row file_doc_rows[] = {
    {"Docker, a plain container",
     DOCKER_FILE,
     DOCKER_CONFIG("/web", "\"maintainer\":\"x\""),
     NOTHING,
     0,
     {CONTAINER_DOCKER, ID_A, "web", NULL, POD_QOS_NONE, NULL, NULL, NULL, false}},
    {"Docker, merged with the cgroup's answer",
     DOCKER_FILE,
     DOCKER_CONFIG("/web", ""),
     DOCKER(ID_A),
     0,
     {CONTAINER_DOCKER, ID_A, "web", NULL, POD_QOS_NONE, NULL, NULL, NULL, false}},
    {"Docker, kubelet's cgroupfs answer gets its runtime",
     DOCKER_FILE,
     DOCKER_CONFIG("/web", ""),
     IN_POD(CONTAINER_NONE, ID_A, UID, POD_QOS_BURSTABLE),
     0,
     {CONTAINER_DOCKER, ID_A, "web", UID, POD_QOS_BURSTABLE, NULL, NULL, NULL, false}},
    {"Docker, another container's file", DOCKER_FILE, DOCKER_CONFIG("/web", ""), DOCKER(ID_B),
     -EXDEV, DOCKER(ID_B)},
    {"Docker, the cgroup says podman", DOCKER_FILE, DOCKER_CONFIG("/web", ""), PODMAN(ID_A), -EXDEV,
     PODMAN(ID_A)},
    {"dockershim's container: name and labels agree",
     DOCKER_FILE,
     DOCKER_CONFIG("/k8s_web_mypod_default_" UID "_0", DOCKERSHIM_LABELS("web", "container", ID_C)),
     NOTHING,
     0,
     {CONTAINER_DOCKER, ID_A, "web", UID, POD_QOS_NONE, "mypod", "default", ID_C, false}},
    {"dockershim's sandbox",
     DOCKER_FILE,
     DOCKER_CONFIG("/k8s_POD_mypod_default_" UID "_0",
		   DOCKERSHIM_LABELS("POD", "podsandbox", ID_A)),
     NOTHING,
     0,
     {CONTAINER_DOCKER, ID_A, NULL, UID, POD_QOS_NONE, "mypod", "default", ID_A, true}},
    {"dockershim's labels against its name", DOCKER_FILE,
     DOCKER_CONFIG("/k8s_db_mypod_default_" UID "_0", DOCKERSHIM_LABELS("web", "container", ID_C)),
     NOTHING, -EXDEV, NOTHING},
    {"Docker, a name without its '/'", DOCKER_FILE, DOCKER_CONFIG("web", ""), NOTHING, -EINVAL,
     NOTHING},
    {"Docker, a name with a blank", DOCKER_FILE, DOCKER_CONFIG("/a b", ""), NOTHING, -EINVAL,
     NOTHING},
    {"Docker, a short ID", DOCKER_FILE, "{\"ID\":\"d77d42c50d03\",\"Name\":\"/web\"}", NOTHING,
     -EINVAL, NOTHING},
    {"Docker, a bad pod UID label", DOCKER_FILE,
     "{\"Config\":{\"Labels\":{\"io.kubernetes.pod.uid\":\"nope\"}}}", NOTHING, -EINVAL, NOTHING},
    {"Docker, nothing in it", DOCKER_FILE, "{}", NOTHING, -ENOENT, NOTHING},
    {"Docker, not JSON", DOCKER_FILE, "{\"ID\":", NOTHING, -EINVAL, NOTHING},
    {"containerd's CRI, a pod's container",
     OCI_FILE,
     CRI_CONFIG("container", "\"io.kubernetes.cri.container-name\":\"web\","),
     IN_POD(CONTAINER_CONTAINERD, ID_A, UID, POD_QOS_BESTEFFORT),
     0,
     {CONTAINER_CONTAINERD, ID_A, "web", UID, POD_QOS_BESTEFFORT, "mypod", "default", ID_C, false}},
    {"containerd's CRI, the sandbox names itself",
     OCI_FILE,
     CRI_CONFIG("sandbox", ""),
     IN_POD(CONTAINER_CONTAINERD, ID_C, UID, POD_QOS_BESTEFFORT),
     0,
     {CONTAINER_CONTAINERD, ID_C, NULL, UID, POD_QOS_BESTEFFORT, "mypod", "default", ID_C, true}},
    {"containerd's CRI, a sandbox's file for another container", OCI_FILE,
     CRI_CONFIG("sandbox", ""), IN_POD(CONTAINER_CONTAINERD, ID_A, UID, POD_QOS_BESTEFFORT), -EXDEV,
     IN_POD(CONTAINER_CONTAINERD, ID_A, UID, POD_QOS_BESTEFFORT)},
    {"containerd's CRI keys leave the runtime to the cgroup",
     OCI_FILE,
     CRI_CONFIG("container", ""),
     NOTHING,
     0,
     {CONTAINER_NONE, NULL, NULL, UID, POD_QOS_NONE, "mypod", "default", ID_C, false}},
    {"containerd's CRI, an unknown container type", OCI_FILE, CRI_CONFIG("other", ""), NOTHING,
     -EINVAL, NOTHING},
    {"CRI-O's sandbox",
     OCI_FILE,
     CRIO_SANDBOX_CONFIG,
     NOTHING,
     0,
     {CONTAINER_CRIO, ID_C, NULL, "aaaa2b4a-f398-41c0-928b-049e1cc4ec40", POD_QOS_NONE,
      "segfaulter", "default", ID_C, true}},
    {"CRI-O's sandbox, the cgroup says Docker", OCI_FILE, CRIO_SANDBOX_CONFIG, DOCKER(ID_C), -EXDEV,
     DOCKER(ID_C)},
    {"podman's", OCI_FILE, PODMAN_CONFIG, PODMAN(ID_A), 0, PODMAN(ID_A)},
    {"nerdctl's name",
     OCI_FILE,
     "{\"annotations\":{\"nerdctl/name\":\"web\"}}",
     CONTAINERD(ID_A),
     0,
     {CONTAINER_CONTAINERD, ID_A, "web", NULL, POD_QOS_NONE, NULL, NULL, NULL, false}},
    {"containerd's and CRI-O's keys disagree", OCI_FILE,
     "{\"annotations\":{\"io.kubernetes.cri.sandbox-name\":\"a\",\"io.kubernetes.pod.name\":"
     "\"b\"}}",
     NOTHING, -EXDEV, NOTHING},
    {"a pod name with uppercase", OCI_FILE,
     "{\"annotations\":{\"io.kubernetes.pod.name\":\"MyPod\"}}", NOTHING, -EINVAL, NOTHING},
    {"a pod name of 254 bytes", OCI_FILE,
     "{\"annotations\":{\"io.kubernetes.pod.name\":\"" A64 A64 A64 A8 A8 A8 A8 A8 A8 A8
     "aaaaaa\"}}",
     NOTHING, -EINVAL, NOTHING},
    {"a value too long for any field", OCI_FILE,
     "{\"annotations\":{\"nerdctl/name\":\"" A64 A64 A64 A64 A8 A8 A8 A8 A8 "aaaa\"}}", NOTHING,
     -EINVAL, NOTHING},
    {"no annotations", OCI_FILE, "{\"ociVersion\":\"1.0.2\"}", NOTHING, -ENOENT, NOTHING},
    {"another manager says nothing", OCI_FILE,
     "{\"annotations\":{\"io.container.manager\":\"other\"}}", DOCKER(ID_A), 0, DOCKER(ID_A)},
};

static void test_runtime_file_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(file_doc_rows); i++) {
		const struct runtime_file_row *row = &file_doc_rows[i];
		size_t len = strlen(row->doc);
		struct guarded g;
		const char *doc = guard_place(&g, row->doc, len);
		struct container_info c;
		int r;

		want_to_info(&row->before, &c);
		r = row->kind == DOCKER_FILE ? container_names_from_docker_config(doc, len, &c)
					     : container_names_from_oci_config(doc, len, &c);
		check_ret(row->what, r, row->ret);
		check_info(row->what, &c, r == 0 ? &row->after : &row->before);
		guard_release(&g);
	}
}

/* ------------------------------------------------------------------ where the runtime keeps it */

/* containerd 1.6's runc shim as `ctr run` starts it here, with a socket of its own. */
#define CTR_SHIM(ns, id)                                                                           \
	"/usr/bin/containerd-shim-runc-v2\0-namespace\0" ns "\0-id\0" id                           \
	"\0-address\0/tmp/nspidfs-runtimes-x/containerd.sock\0"

struct shim_row {
	const char *what;
	const char *cgroup;
	const char *cmd;
	size_t cmd_len;
	int ret;
	struct want want;
};

static const struct shim_row shim_rows[] = {
    {"ctr run here: v1 controllers and the 0:: line", V1_LINES("/default/nspidfs-ctr"),
     CMD(CTR_SHIM("default", "nspidfs-ctr")), 0, CONTAINERD("nspidfs-ctr")},
    {"v2 only, the last line without its newline", "0::/default/redis",
     CMD(CTR_SHIM("default", "redis")), 0, CONTAINERD("redis")},
    {"one line is enough", "1:name=systemd:/\n0::/build/job-1.2_x\n",
     CMD(CTR_SHIM("build", "job-1.2_x")), 0, CONTAINERD("job-1.2_x")},
    {"a level below the task's: the container's own", "0::/default/redis/init.scope\n",
     CMD(CTR_SHIM("default", "redis")), 0, CONTAINERD("redis")},
    {"a hex ID, which the cgroup alone names too", V1_LINES("/default/" ID_A),
     CMD(CTR_SHIM("default", ID_A)), 0, CONTAINERD(ID_A)},
    {"Go's --flag=value", "0::/default/redis\n",
     CMD("containerd-shim-runc-v2\0--namespace=default\0--id=redis\0"), 0, CONTAINERD("redis")},
    {"another task's cgroup", V1_LINES("/default/db"), CMD(CTR_SHIM("default", "redis")), -ENOENT,
     NOTHING},
    {"a task whose name starts the cgroup's", "0::/default/redis2\n",
     CMD(CTR_SHIM("default", "redis")), -ENOENT, NOTHING},
    {"another namespace's cgroup", V1_LINES("/other/redis"), CMD(CTR_SHIM("default", "redis")),
     -ENOENT, NOTHING},
    {"the task's path deeper in the tree", "0::/x/default/redis\n",
     CMD(CTR_SHIM("default", "redis")), -ENOENT, NOTHING},
    {"Docker's namespace is the cgroup's to say", V1_LINES("/moby/" ID_A),
     CMD(CTR_SHIM("moby", ID_A)), -ENOENT, NOTHING},
    {"so is the CRI plugin's", V1_LINES("/k8s.io/" ID_A), CMD(CTR_SHIM("k8s.io", ID_A)), -ENOENT,
     NOTHING},
    {"a namespace named as systemd's slices", "0::/user/redis\n", CMD(CTR_SHIM("user", "redis")),
     -ENOENT, NOTHING},
    {"an ID that is no identifier", "0::/default/a..b\n", CMD(CTR_SHIM("default", "a..b")), -ENOENT,
     NOTHING},
    {"the v1 shim", "0::/default/redis\n",
     CMD("containerd-shim\0-namespace\0default\0-workdir\0/run/containerd/default/redis\0"),
     -ENOENT, NOTHING},
    {"not a shim", "0::/default/redis\n", CMD("/bin/sleep\0-namespace\0default\0-id\0redis\0"),
     -ENOENT, NOTHING},
    {"LXC's monitor's title ending as a shim's path", "0::/default/redis\n",
     CMD("[lxc monitor] /x/containerd-shim-runc-v2\0-namespace\0default\0-id\0redis\0"), -ENOENT,
     NOTHING},
    {"-id after --", "0::/default/redis\n",
     CMD("containerd-shim-runc-v2\0-namespace\0default\0--\0-id\0redis\0"), -ENOENT, NOTHING},
    {"a host process", V1_LINES("/"), CMD(CTR_SHIM("default", "redis")), -ENOENT, NOTHING},
    {"lines without paths", "redis\n/default/redis\n", CMD(CTR_SHIM("default", "redis")), -ENOENT,
     NOTHING},
    {"no cgroup text", "", CMD(CTR_SHIM("default", "redis")), -ENOENT, NOTHING},
    {"no command line", "0::/default/redis\n", CMD(""), -ENOENT, NOTHING},
};

static void test_shim_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(shim_rows); i++) {
		const struct shim_row *row = &shim_rows[i];
		size_t len = strlen(row->cgroup);
		struct guarded gc, gl;
		const char *cmd = guard_place(&gc, row->cmd, row->cmd_len);
		const char *cgroup = guard_place(&gl, row->cgroup, len);
		struct container_info c;

		fill_garbage(&c);
		check_ret(row->what, parse_container_by_shim(cgroup, len, cmd, row->cmd_len, &c),
			  row->ret);
		check_info(row->what, &c, &row->want);
		guard_release(&gl);
		guard_release(&gc);
	}
}

/* A mount of Docker's, as in the config.json it writes for containerd. */
#define BIND(dst, src)                                                                             \
	"{\"destination\":\"" dst "\",\"type\":\"bind\",\"source\":\"" src                         \
	"\",\"options\":[\"rbind\",\"rprivate\"]}"

/* Docker 20.10's config.json for a container run here with --network none, cut down. */
#define DOCKER_BUNDLE(resolv, hostname, hosts)                                                     \
	"{\"ociVersion\":\"1.0.2-dev\",\"process\":{\"args\":[\"/bin/sleep\",\"600\"]},"           \
	"\"root\":{\"path\":\"/var/lib/docker/vfs/dir/" ID_B "\"},\"hostname\":\"d77d42c50d03\","  \
	"\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\","            \
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},{\"destination\":\"/dev\",\"type\":"       \
	"\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"strictatime\",\"mode=755\","     \
	"\"size=65536k\"]},{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":"    \
	"\"cgroup\",\"options\":[\"ro\",\"nosuid\",\"noexec\",\"nodev\"]}," resolv "," hostname    \
	"," hosts "],\"hooks\":{\"prestart\":[{\"path\":\"/proc/521/exe\",\"args\":["              \
	"\"libnetwork-setkey\",\"-exec-root=/var/run/docker\",\"" ID_A "\",\"d0deaeb0fa94\"]}]},"  \
	"\"linux\":{\"cgroupsPath\":\"/docker/" ID_A "\"}}"
#define DOCKER_DIR(root) root "/containers/" ID_A
#define DOCKER_BINDS(dir)                                                                          \
	DOCKER_BUNDLE(BIND("/etc/resolv.conf", dir "/resolv.conf"),                                \
		      BIND("/etc/hostname", dir "/hostname"), BIND("/etc/hosts", dir "/hosts"))

struct docker_dir_row {
	const char *what;
	const char *doc;
	const char *id;
	int ret;
	const char *dir;
};

static const struct docker_dir_row docker_dir_rows[] = {
    {"Docker's default data root", DOCKER_BINDS(DOCKER_DIR("/var/lib/docker")), ID_A, 0,
     DOCKER_DIR("/var/lib/docker")},
    {"a data root of its own, as the runtimes test gives it",
     DOCKER_BINDS(DOCKER_DIR("/tmp/nspidfs-runtimes-AbC123/docker/root")), ID_A, 0,
     DOCKER_DIR("/tmp/nspidfs-runtimes-AbC123/docker/root")},
    {"resolv.conf from a volume: hostname says it",
     DOCKER_BUNDLE(BIND("/etc/resolv.conf", "/srv/resolv.conf"),
		   BIND("/etc/hostname", DOCKER_DIR("/data/docker") "/hostname"),
		   BIND("/etc/hosts", "/srv/hosts")),
     ID_A, 0, DOCKER_DIR("/data/docker")},
    {"only hosts says it",
     DOCKER_BUNDLE(BIND("/a", "/srv/a"), BIND("/b", "/srv/b"),
		   BIND("/etc/hosts", DOCKER_DIR("/var/lib/docker") "/hosts")),
     ID_A, 0, DOCKER_DIR("/var/lib/docker")},
    {"escaped slashes are slashes",
     "{\"mounts\":[{\"source\":\"\\/d\\/containers\\/" ID_A "\\/hostname\"}]}", ID_A, 0,
     "/d/containers/" ID_A},
    {"another container's files (--network container:)",
     DOCKER_BINDS("/var/lib/docker/containers/" ID_B), ID_A, -ENOENT, ""},
    {"not below containers/", DOCKER_BINDS("/var/lib/docker/volumes/" ID_A), ID_A, -ENOENT, ""},
    {"another file of its directory",
     DOCKER_BUNDLE(BIND("/a", DOCKER_DIR("") "/config.v2.json"),
		   BIND("/b", DOCKER_DIR("") "/hostname2"), BIND("/c", DOCKER_DIR("") "/")),
     ID_A, -ENOENT, ""},
    {"a relative source", DOCKER_BINDS("containers/" ID_A), ID_A, -ENOENT, ""},
    {"containers/ at the root", DOCKER_BINDS("/containers/" ID_A), ID_A, 0, "/containers/" ID_A},
    {"a .. level", DOCKER_BINDS("/var/lib/docker/../containers/" ID_A), ID_A, -ENOENT, ""},
    {"an empty level", DOCKER_BINDS("/var/lib//containers/" ID_A), ID_A, -ENOENT, ""},
    {"a control character", DOCKER_BINDS("/var/\\u0001/containers/" ID_A), ID_A, -ENOENT, ""},
    {"a source that is no string",
     "{\"mounts\":[{\"source\":1},{\"source\":[\"/containers/" ID_A "/hostname\"]}]}", ID_A,
     -ENOENT, ""},
    {"no mounts", "{\"ociVersion\":\"1.0.2\"}", ID_A, -ENOENT, ""},
    {"podman's config", PODMAN_CONFIG, ID_A, -ENOENT, ""},
    {"not JSON after the mounts", "{\"mounts\":[]", ID_A, -EINVAL, ""},
    {"found before what is not JSON", "{\"source\":\"/containers/" ID_A "/hosts\",", ID_A, 0,
     "/containers/" ID_A},
    {"an ID that is not hex", DOCKER_BINDS(DOCKER_DIR("/var/lib/docker")), "web", -EINVAL, ""},
    {"a short ID", DOCKER_BINDS(DOCKER_DIR("/var/lib/docker")), ID_63, -EINVAL, ""},
};

static void test_docker_dir_rows(void **state)
{
	char out[256];

	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(docker_dir_rows); i++) {
		const struct docker_dir_row *row = &docker_dir_rows[i];
		size_t len = strlen(row->doc);
		struct guarded g;
		const char *doc = guard_place(&g, row->doc, len);
		int r;

		memset(out, 'x', sizeof(out));
		r = docker_dir_from_oci_config(doc, len, row->id, out, sizeof(out));
		check_ret(row->what, r, row->ret == 0 ? (int)strlen(row->dir) : row->ret);
		if (strcmp(out, row->dir) != 0)
			fail_msg("%s: \"%s\", want \"%s\"", row->what, out, row->dir);
		if (r > 0) {
			/* Exactly its length and a NUL are needed. */
			check_ret(row->what,
				  docker_dir_from_oci_config(doc, len, row->id, out, (size_t)r + 1),
				  r);
			check_ret(row->what,
				  docker_dir_from_oci_config(doc, len, row->id, out, (size_t)r),
				  -ENOSPC);
			assert_string_equal(out, "");
		}
		guard_release(&g);
	}
	check_ret("no room at all", docker_dir_from_oci_config("{}", 2, ID_A, out, 0), -ENOENT);
}

/* ------------------------------------------------------------------ merging */

struct merge_row {
	const char *what;
	struct want into, from;
	int ret;
	struct want after;
};

static const struct merge_row merge_rows[] = {
    {"podman: conmon adds the name",
     PODMAN(ID_A),
     {CONTAINER_PODMAN, ID_A, "web", NULL, POD_QOS_NONE, NULL, NULL, NULL, false},
     0,
     {CONTAINER_PODMAN, ID_A, "web", NULL, POD_QOS_NONE, NULL, NULL, NULL, false}},
    {"kubelet cgroupfs: Docker's shim adds the runtime",
     IN_POD(CONTAINER_NONE, ID_A, UID, POD_QOS_BURSTABLE), DOCKER(ID_A), 0,
     IN_POD(CONTAINER_DOCKER, ID_A, UID, POD_QOS_BURSTABLE)},
    {"containerd's CRI: the shim adds the sandbox",
     IN_POD(CONTAINER_CONTAINERD, ID_A, UID, POD_QOS_BESTEFFORT),
     {CONTAINER_CONTAINERD, NULL, NULL, NULL, POD_QOS_NONE, NULL, NULL, ID_C, false},
     0,
     {CONTAINER_CONTAINERD, ID_A, NULL, UID, POD_QOS_BESTEFFORT, NULL, NULL, ID_C, false}},
    {"kubelet cgroupfs: containerd's pod shim adds the runtime",
     IN_POD(CONTAINER_NONE, ID_A, UID, POD_QOS_BURSTABLE),
     {CONTAINER_CONTAINERD, NULL, NULL, NULL, POD_QOS_NONE, NULL, NULL, ID_C, false},
     0,
     {CONTAINER_CONTAINERD, ID_A, NULL, UID, POD_QOS_BURSTABLE, NULL, NULL, ID_C, false}},
    {"LXC: both name it", NAMED(CONTAINER_LXC, "web"), NAMED(CONTAINER_LXC, "web"), 0,
     NAMED(CONTAINER_LXC, "web")},
    {"a runtime added to nothing", NOTHING, DOCKER(ID_A), 0, DOCKER(ID_A)},
    {"nothing added", DOCKER(ID_A), NOTHING, 0, DOCKER(ID_A)},
    {"the sandbox flag from either",
     DOCKER(ID_A),
     {CONTAINER_NONE, NULL, NULL, NULL, POD_QOS_NONE, NULL, NULL, NULL, true},
     0,
     {CONTAINER_DOCKER, ID_A, NULL, NULL, POD_QOS_NONE, NULL, NULL, NULL, true}},
    {"the sandbox flag kept",
     {CONTAINER_DOCKER, ID_A, NULL, NULL, POD_QOS_NONE, NULL, NULL, NULL, true},
     DOCKER(ID_A),
     0,
     {CONTAINER_DOCKER, ID_A, NULL, NULL, POD_QOS_NONE, NULL, NULL, NULL, true}},
    {"runtimes differ", PODMAN(ID_A), DOCKER(ID_A), -EXDEV, PODMAN(ID_A)},
    {"IDs differ", DOCKER(ID_A), DOCKER(ID_B), -EXDEV, DOCKER(ID_A)},
    {"names differ", NAMED(CONTAINER_LXC, "web"), NAMED(CONTAINER_LXC, "db"), -EXDEV,
     NAMED(CONTAINER_LXC, "web")},
    {"pods differ", IN_POD(CONTAINER_CRIO, ID_A, UID, POD_QOS_NONE),
     IN_POD(CONTAINER_CRIO, ID_A, STATIC_UID, POD_QOS_NONE), -EXDEV,
     IN_POD(CONTAINER_CRIO, ID_A, UID, POD_QOS_NONE)},
    {"QoS differ", IN_POD(CONTAINER_CRIO, ID_A, UID, POD_QOS_BURSTABLE),
     IN_POD(CONTAINER_CRIO, ID_A, UID, POD_QOS_BESTEFFORT), -EXDEV,
     IN_POD(CONTAINER_CRIO, ID_A, UID, POD_QOS_BURSTABLE)},
    {"sandboxes differ",
     {CONTAINER_CONTAINERD, ID_A, NULL, NULL, POD_QOS_NONE, NULL, NULL, ID_B, false},
     {CONTAINER_CONTAINERD, NULL, NULL, NULL, POD_QOS_NONE, NULL, NULL, ID_C, false},
     -EXDEV,
     {CONTAINER_CONTAINERD, ID_A, NULL, NULL, POD_QOS_NONE, NULL, NULL, ID_B, false}},
};

static void test_merge_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(merge_rows); i++) {
		const struct merge_row *row = &merge_rows[i];
		struct container_info into, from, again;

		want_to_info(&row->into, &into);
		want_to_info(&row->from, &from);
		check_ret(row->what, container_info_merge(&into, &from), row->ret);
		check_info(row->what, &into, &row->after);
		/* Merging again, or merging the result into itself, changes nothing. */
		again = into;
		if (row->ret == 0)
			check_ret(row->what, container_info_merge(&again, &from), 0);
		check_ret(row->what, container_info_merge(&again, &into), 0);
		assert_memory_equal(&again, &into, sizeof(into));
	}
}

/* The cgroup's answer, the command line's and the file's, merged as the daemon will. */
static void test_sources_together(void **state)
{
	static const char cgroup[] = V1_LINES("/libpod_parent/libpod-" ID_A);
	static const char cmdline[] = PODMAN_CONMON;
	static const char config[] = PODMAN_CONFIG;
	struct container_info c, more;

	(void)state;
	assert_int_equal(parse_container_cgroup_file(cgroup, sizeof(cgroup) - 1, &c), 0);
	assert_int_equal(parse_container_cmdline(cmdline, sizeof(cmdline) - 1, &more), 0);
	assert_int_equal(container_info_merge(&c, &more), 0);
	assert_int_equal(container_names_from_oci_config(config, sizeof(config) - 1, &c), 0);
	check_info("podman here, all three sources", &c,
		   &(struct want){CONTAINER_PODMAN, ID_A, "wt19probe", NULL, POD_QOS_NONE, NULL,
				  NULL, NULL, false});
}

/* ------------------------------------------------------------------ names */

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(container_runtime_name(CONTAINER_NONE), "");
	assert_string_equal(container_runtime_name(CONTAINER_DOCKER), "docker");
	assert_string_equal(container_runtime_name(CONTAINER_PODMAN), "podman");
	assert_string_equal(container_runtime_name(CONTAINER_CONTAINERD), "containerd");
	assert_string_equal(container_runtime_name(CONTAINER_CRIO), "cri-o");
	assert_string_equal(container_runtime_name(CONTAINER_LXC), "lxc");
	assert_string_equal(container_runtime_name(CONTAINER_NSPAWN), "systemd-nspawn");
	assert_string_equal(container_runtime_name((enum container_runtime)99), "");
	assert_string_equal(pod_qos_name(POD_QOS_NONE), "");
	assert_string_equal(pod_qos_name(POD_QOS_GUARANTEED), "guaranteed");
	assert_string_equal(pod_qos_name(POD_QOS_BURSTABLE), "burstable");
	assert_string_equal(pod_qos_name(POD_QOS_BESTEFFORT), "besteffort");
	assert_string_equal(pod_qos_name((enum pod_qos)99), "");
}

struct uri_row {
	const char *what;
	struct want c;
	size_t size;
	int ret;
	const char *uri;
};

static const struct uri_row uri_rows[] = {
    {"Docker", DOCKER(ID_A), 128, 73, "docker://" ID_A},
    {"containerd", CONTAINERD(ID_A), 128, 77, "containerd://" ID_A},
    {"CRI-O", CRIO(ID_A), 128, 72, "cri-o://" ID_A},
    {"exactly fits", CRIO(ID_A), 73, 72, "cri-o://" ID_A},
    {"one byte short", CRIO(ID_A), 72, -ENOSPC, ""},
    {"podman has no Kubernetes form", PODMAN(ID_A), 128, -ENOENT, ""},
    {"LXC has none", NAMED(CONTAINER_LXC, "web"), 128, -ENOENT, ""},
    {"systemd-nspawn has none", NAMED(CONTAINER_NSPAWN, "web"), 128, -ENOENT, ""},
    {"an unknown runtime has none", IN_POD(CONTAINER_NONE, ID_A, UID, POD_QOS_BURSTABLE), 128,
     -ENOENT, ""},
    {"no ID", DOCKER(NULL), 128, -ENOENT, ""},
};

static void test_id_uri(void **state)
{
	char buf[128];
	struct container_info c;

	(void)state;
	for (size_t i = 0; i < N_ELEMENTS(uri_rows); i++) {
		const struct uri_row *row = &uri_rows[i];

		want_to_info(&row->c, &c);
		memset(buf, 'x', sizeof(buf));
		check_ret(row->what, container_id_uri(&c, buf, row->size), row->ret);
		assert_string_equal(buf, row->uri);
	}
	check_ret("no room at all", container_id_uri(&c, buf, 0), -ENOENT);
	want_to_info(&(struct want)DOCKER(ID_A), &c);
	check_ret("no room at all, with an ID", container_id_uri(&c, buf, 0), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cgroup_rows),
	    cmocka_unit_test(test_cgroup_bounds),
	    cmocka_unit_test(test_cgroup_file_rows),
	    cmocka_unit_test(test_cgroup_file_nul),
	    cmocka_unit_test(test_cmdline_rows),
	    cmocka_unit_test(test_cmdline_cut),
	    cmocka_unit_test(test_json_rows),
	    cmocka_unit_test(test_json_path_rows),
	    cmocka_unit_test(test_json_bounds),
	    cmocka_unit_test(test_runtime_file_rows),
	    cmocka_unit_test(test_shim_rows),
	    cmocka_unit_test(test_docker_dir_rows),
	    cmocka_unit_test(test_merge_rows),
	    cmocka_unit_test(test_sources_together),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_id_uri),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

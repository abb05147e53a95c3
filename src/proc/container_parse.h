/*
 * Which container a process belongs to, from what the host says about it: the path of its cgroup
 * (/proc/PID/cgroup), the command line of the runtime's process that watches it (conmon, a
 * containerd shim, the LXC monitor: /proc/PID/cmdline), and the runtime's files on disk (Docker's
 * config.v2.json, an OCI bundle's config.json). Pure parsers, no I/O, so that they are fuzzed
 * (tests/fuzz/fuzz_container.c); the caller reads the files.
 *
 * Trust: the cgroup path is written by the runtime or systemd on the host, out of the container's
 * reach, so it is the primary source. A command line can be rewritten by its own process and a
 * runtime's files are the runtime's, so they only add names to what the cgroup says, and
 * container_info_merge() refuses them when they disagree with it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The IDs every runtime here gives its containers: 64 lowercase hex digits (a SHA-256). */
#define CONTAINER_HEX_ID_LEN 64
/* Longest ID kept: a hex ID, a containerd ID chosen by hand (76), an LXC or machine name. */
#define CONTAINER_ID_MAX   128
#define CONTAINER_NAME_MAX 255
/* A pod UID as the API shows it, 8-4-4-4-12 hex digits; a static pod's is 32 hex digits. */
#define POD_UID_LEN	   36
#define POD_STATIC_UID_LEN 32
#define POD_NAME_MAX	   253 /* a DNS subdomain, as Kubernetes requires */
/* Longer cgroup paths are refused (-EINVAL): PATH_MAX, far beyond any runtime's layout. */
#define CONTAINER_CGROUP_PATH_MAX 4096

enum container_runtime {
	CONTAINER_NONE, /* not known (yet): a host process, or a path that names no runtime */
	CONTAINER_DOCKER,
	CONTAINER_PODMAN,
	CONTAINER_CONTAINERD, /* the CRI plugin (Kubernetes), ctr and nerdctl */
	CONTAINER_CRIO,
	CONTAINER_LXC, /* LXC and LXD */
	CONTAINER_NSPAWN,
};

enum pod_qos {
	POD_QOS_NONE, /* not in a Kubernetes pod, or not known */
	POD_QOS_GUARANTEED,
	POD_QOS_BURSTABLE,
	POD_QOS_BESTEFFORT,
};

/*
 * What is known of one container. Every string is NUL-terminated within its array and "" when
 * unknown. Names hold only printable ASCII without blanks or '/' (what every runtime here allows),
 * so they can be shown as they are.
 */
struct container_info {
	enum container_runtime runtime;
	/*
	 * 64 lowercase hex digits for Docker, podman, CRI-O and containerd's CRI; any containerd
	 * identifier for ctr and nerdctl outside Kubernetes (from a shim's command line only); the
	 * name for LXC and systemd-nspawn, which have no other ID. Set with runtime
	 * CONTAINER_NONE by kubelet's cgroupfs layout, which does not say the runtime.
	 */
	char id[CONTAINER_ID_MAX + 1];
	/* The runtime's name of the container; for a Kubernetes container, its name in the pod. */
	char name[CONTAINER_NAME_MAX + 1];
	/* With dashes (8-4-4-4-12) as the API shows it, or a static pod's 32 hex digits. */
	char pod_uid[POD_UID_LEN + 1];
	enum pod_qos qos;
	char pod_name[POD_NAME_MAX + 1];
	char pod_namespace[POD_NAME_MAX + 1];
	/*
	 * The ID of the pod's sandbox (pause) container. containerd runs one shim per pod, named
	 * by this ID, so its command line gives this rather than the container's ID.
	 */
	char sandbox_id[CONTAINER_ID_MAX + 1];
	bool sandbox; /* the container is its pod's sandbox (pause) container */
};

/* "docker", "podman", "containerd", "cri-o", "lxc", "systemd-nspawn"; "" for none. */
const char *container_runtime_name(enum container_runtime r);
/* "guaranteed", "burstable", "besteffort"; "" for none. */
const char *pod_qos_name(enum pod_qos q);

/*
 * The container ID as Kubernetes reports it (a pod's status.containerStatuses[].containerID,
 * kube-state-metrics' container_id label): "docker://ID", "containerd://ID", "cri-o://ID". The
 * length written, -ENOENT for a runtime Kubernetes does not run (podman, LXC, systemd-nspawn) or
 * without an ID, -ENOSPC if buf is too small; buf is "" on error (when size > 0).
 */
int container_id_uri(const struct container_info *c, char *buf, size_t size);

/*
 * The container of a cgroup path: the part after the second ':' of a line of /proc/PID/cgroup,
 * v1 or v2, as the host's cgroup namespace shows it. Recognised, each wherever it lies in the
 * path (rootless and nested runtimes put it deeper):
 *
 *   docker-ID.scope                      Docker, systemd driver
 *   docker/ID                            Docker, cgroupfs driver
 *   libpod-ID.scope, libpod-ID           podman, systemd or cgroupfs manager
 *   libpod-payload-ID                    podman, --cgroups=split
 *   cri-containerd-ID.scope              containerd's CRI, systemd driver
 *   nerdctl-ID.scope                     nerdctl, systemd driver
 *   crio-ID.scope, crio-ID               CRI-O, systemd or cgroupfs manager
 *   SLICE.slice:PREFIX:ID                a systemd-style path given to a cgroupfs runtime
 *                                        (PREFIX cri-containerd, crio or docker)
 *   lxc.payload.NAME, lxc/NAME           LXC 4 and later, LXC before 4
 *   machine-NAME.scope                   systemd-nspawn, registered with machined
 *   systemd-nspawn@NAME.service          systemd-nspawn's template unit
 *
 * and only as the first two levels, where other two-level paths are common:
 *
 *   /NAMESPACE/ID                        ctr and nerdctl, cgroupfs: NAMESPACE a containerd
 *                                        namespace (not a systemd unit), ID 64 hex digits;
 *                                        an ID chosen by hand is left to the shim's command
 *                                        line (parse_container_by_shim)
 *
 * Kubernetes pods, whose level lies above their containers':
 *
 *   ...kubepods[-QOS]-podUID.slice       kubelet, systemd driver (UID with '_' for '-'; kind
 *                                        and other cgroup roots prefix the slice names)
 *   kubepods[/QOS]/podUID                kubelet, cgroupfs driver
 *   kubepods[/QOS]/podUID/ID             a container there: the runtime is not in the path,
 *                                        so runtime is CONTAINER_NONE with the ID set
 *
 * QOS is burstable or besteffort; none is guaranteed. Hex IDs are exactly 64 lowercase digits;
 * names are 1 to CONTAINER_ID_MAX bytes of printable ASCII without blanks or '/', systemd's
 * \xNN escapes undone in unit names. A runtime's own processes are not its containers:
 * libpod-conmon-ID.scope, crio-conmon-ID.scope, lxc.monitor.NAME and systemd-nspawn's
 * supervisor/ subgroup are not recognised, nor are libvirt's machine scopes (qemu-N-NAME,
 * lxc-N-NAME), which are virtual machines or not systemd-nspawn's.
 *
 * Levels below a container's (the container's own cgroups, or the runtime's: .../container) still
 * name it. Where containers nest (Docker in Docker, kind's nodes), the innermost wins, with the
 * pod whose level lies between it and the container above it. A pod level below the innermost
 * container gives the pod alone (runtime CONTAINER_NONE, id ""): a process of the pod, outside
 * any container.
 *
 * 0 if a container or pod is recognised; -ENOENT if not (a host process, or a look-alike of a
 * layout with an ID that is not one); -EINVAL for what the kernel does not write: no leading '/',
 * an empty, "." or ".." level (a path outside the reader's cgroup namespace starts with /..),
 * control characters, a level over 255 bytes or a path over CONTAINER_CGROUP_PATH_MAX. *out is
 * always written, zeroed unless 0 is returned.
 */
int parse_container_cgroup(const char *path, struct container_info *out);

/*
 * The container of a whole /proc/PID/cgroup text (len bytes, "ID:CONTROLLERS:PATH" lines). Every
 * line's path is parsed; the lines that name a container must agree, and what they say is merged
 * (a v1 hierarchy can hold a pod's level where the unified one does not). 0, -ENOENT if no line
 * names a container, -EXDEV if two lines name different ones (the process is being moved), or
 * -EINVAL if a line is malformed or there is none. *out is zeroed unless 0 is returned.
 */
int parse_container_cgroup_file(const char *text, size_t len, struct container_info *out);

/*
 * The container a runtime's process watches, from its command line (/proc/PID/cmdline: len bytes
 * of NUL-terminated arguments; the last NUL may be missing). Parse the container's init's parent:
 *
 *   conmon ... -c|--cid ID ... -n|--name NAME  podman's or CRI-O's monitor; podman's passes
 *                                    --exit-command .../podman, CRI-O's --exit-dir or
 *                                    --socket-dir-path under .../crio; a name k8s_CTR_POD_NS_UID_N
 *                                    (k8s_PODNAME_NS_UID_N for a sandbox) is CRI-O's and gives
 *                                    the pod
 *   containerd-shim-*  -namespace NS -id ID    containerd's shims (v2): NS "moby" is Docker's;
 *                                    "k8s.io" is the CRI plugin's, whose shim serves a whole pod
 *                                    and is named by its sandbox, so ID goes to sandbox_id
 *   containerd-shim -namespace NS -workdir .../ID  the v1 shim (also docker-containerd-shim)
 *   "[lxc monitor] LXCPATH NAME"     LXC's monitor (one argument, its title); a NAME with blanks
 *                                    cannot be told from the path and is not recognised
 *
 * Options are read the way each program reads them: conmon's with GLib's rules (values after the
 * option or after '=', grouped short flags), the shims' with Go's flag package ('-' or '--').
 * Options after "--" are not read. 0 if recognised, -ENOENT otherwise (including a recognised
 * program with a malformed ID). *out is always written, zeroed unless 0 is returned.
 */
int parse_container_cmdline(const char *buf, size_t len, struct container_info *out);

/*
 * The containerd task a v2 shim serves, for an ID of the user's choosing that the cgroup path alone
 * does not tell from other software's two-level paths: `ctr run IMAGE NAME` puts the task in
 * /NAMESPACE/NAME. 0 if the shim's command line (cmd, as parse_container_cmdline reads it) names
 * -namespace NS and -id ID and a line of the init's /proc/PID/cgroup text (cgroup) has the path
 * /NS/ID or one below it (the container's own): *out is then the containerd container ID. Not for
 * Docker's namespace (moby) nor the CRI plugin's (k8s.io), whose cgroups parse_container_cgroup
 * reads, nor for a namespace that path could not hold (see its /NAMESPACE/ID). -ENOENT
 * otherwise; *out is always written, zeroed unless 0 is returned.
 */
int parse_container_by_shim(const char *cgroup, size_t cgroup_len, const char *cmd, size_t cmd_len,
			    struct container_info *out);

/*
 * Fill *into with what *from adds, after checking that the two agree: every field both hold
 * (runtime, each string, qos) must be equal; sandbox is set if either says so. 0, or -EXDEV with
 * *into unchanged if they disagree. Merge a command line's or a runtime file's answer into the
 * cgroup's. A disagreement means one of them is not about this container: the runtime's process
 * read was not the container's (its PID was reused, or it is not the parent the caller thought),
 * or the process rewrote its command line. The caller should then keep the cgroup's answer alone
 * (the most trusted), not the merge, and may log the disagreement.
 */
int container_info_merge(struct container_info *into, const struct container_info *from);

/*
 * The first string value of key as an object key anywhere in a JSON document (len bytes, not
 * NUL-terminated), in document order, not counting text inside other strings. Unescaped into out
 * (\" \\ \/ \b \f \n \r \t and \uXXXX, with surrogate pairs, to UTF-8). The document is checked
 * as JSON up to the value; what follows it is not read. Returns the value's length; -ENOENT if
 * the key is not there; -EINVAL if the document is not JSON up to there, nests deeper than 64,
 * the key's value is not a string, or the value holds invalid UTF-8, \u0000 or a control
 * character (C0, DEL, C1), which no name holds; -ENOSPC if out cannot hold the value and its
 * NUL. out is "" on error (when size > 0). A key over 255 bytes is refused with -EINVAL.
 */
int json_string_value(const char *doc, size_t len, const char *key, char *out, size_t size);
/*
 * The same for the value at a path of keys from the top-level object (path is NULL-terminated,
 * one key per level, objects only): {"annotations": {"KEY": "..."}} is {"annotations", "KEY"}.
 */
int json_string_at(const char *doc, size_t len, const char *const *path, char *out, size_t size);

/*
 * Names from Docker's containers/ID/config.v2.json, merged into *info (as
 * container_info_merge): runtime Docker, the ID, the name ("Name": "/web" is "web"; a
 * Kubernetes container's, "k8s_CTR_POD_NS_UID_N" is split), and the pod from the labels
 * dockershim and cri-dockerd set (Config.Labels io.kubernetes.pod.name and the like). 0; -ENOENT
 * if the document names nothing; -EINVAL if it is not JSON or a value is malformed; -EXDEV if it
 * disagrees with *info (or with itself). *info is unchanged unless 0 is returned.
 */
int container_names_from_docker_config(const char *doc, size_t len, struct container_info *info);
/*
 * Names from an OCI bundle's config.json annotations, merged into *info likewise: containerd's
 * CRI (io.kubernetes.cri.container-name, sandbox-name, sandbox-namespace, sandbox-uid,
 * sandbox-id, container-type), CRI-O's (io.kubernetes.container.name, io.kubernetes.pod.name,
 * .namespace, .uid, io.kubernetes.cri-o.ContainerID, SandboxID, ContainerType), nerdctl's
 * (nerdctl/name), and io.container.manager ("cri-o", "libpod") for the runtime. containerd's CRI
 * keys do not set the runtime: other runtimes (Kata) write them too. Same returns.
 */
int container_names_from_oci_config(const char *doc, size_t len, struct container_info *info);

/*
 * Where Docker keeps the files of container id (64 hex digits), DATA_ROOT/containers/ID (whatever
 * --data-root says), from the OCI config.json it gave containerd: the source of a mount of one of
 * the files it binds from there (hostname, hosts, resolv.conf). Written to out, without a trailing
 * '/'. Its length; -ENOENT if no mount names it (the config is not Docker's, or the container
 * shares another's files); -EINVAL if id is not a hex ID or the document is not JSON up to there;
 * -ENOSPC if out cannot hold it and its NUL. out is "" on error (when size > 0). The path is as
 * the runtime sees it, in its own mount namespace.
 */
int docker_dir_from_oci_config(const char *doc, size_t len, const char *id, char *out, size_t size);

#!/bin/bash
# The container image and config/kubernetes run for real, as far as one node with podman
# allows. TAP output.
#
# The image is built from this tree with config/container/Containerfile, on a Debian 12 base
# made from Debian's packages (no registry here: tests/packaging/debian-base.sh). Debian 12's
# podman 4.3 `kube play` honours mountPropagation but ignores hostPID, so the DaemonSet's pod
# is run with `podman run`, its command, security context, volumes and propagation taken from
# daemonset.yaml itself (tests/packaging/kube_podman.py); its probes' commands are run in it;
# example-pod.yaml is played with `podman kube play`, its image replaced by a busybox one made
# here and its name made unique. The host here is this test's own mount namespace, whose
# /var/lib/nspidfs is a shared mount of a scratch directory, as a node's is under systemd.
#
#   test_image.sh CACHE_DIR      (the base is kept there between runs)
set -euo pipefail

CACHE=${1:?usage: test_image.sh CACHE_DIR}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$SRC/tests/packaging
K8S=$SRC/config/kubernetes
MNT=/var/lib/nspidfs # the manifests' hostPath

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (podman run --privileged, mounts)"
	exit 0
fi
for tool in podman mmdebstrap busybox catatonit; do
	if ! command -v "$tool" >/dev/null; then
		echo "1..0 # SKIP $tool is not installed (tests/packaging/install-deps.sh installs it)"
		exit 0
	fi
done
if ! python3 -c 'import yaml' 2>/dev/null; then
	echo "1..0 # SKIP python3-yaml is not installed (tests/packaging/install-deps.sh)"
	exit 0
fi

# Everything below runs in a private mount namespace: no mount made here reaches the machine
# (nor another nspidfs mounted at /var/lib/nspidfs there), and none is left behind.
if [ -z "${NSPIDFS_IN_PRIVATE_NS:-}" ]; then
	CACHE=$(mkdir -p "$CACHE" && realpath "$CACHE")
	NSPIDFS_IN_PRIVATE_NS=1 exec unshare --mount --propagation private bash "$0" "$CACHE"
fi

export CONTAINERS_CONF=$HERE/containers.conf
T=$(mktemp -d /tmp/nspidfs-image-XXXXXX)
TAG=$$-$(basename "$T" | cut -d- -f3)
IMAGE=localhost/nspidfs-test:$TAG
BUSYBOX=localhost/nspidfs-test-busybox:$TAG
DAEMON=nspidfs-test-$TAG
POD=nspidfs-example-$TAG
CREATED_MNT=
N=0
FAILED=0

ok() {
	N=$((N + 1))
	echo "ok $N - $1"
}

not_ok() {
	N=$((N + 1))
	FAILED=$((FAILED + 1))
	echo "not ok $N - $1"
	if [ -n "${2:-}" ]; then printf '%s\n' "$2" | sed 's/^/# /'; fi
}

# todo NAME REASON COMMAND...: a known failure, reported as a TAP TODO; its passing fails the
# test (meson counts it an unexpected pass), so that the documentation is then corrected.
todo() {
	local name=$1 reason=$2
	shift 2
	N=$((N + 1))
	if "$@" >/dev/null 2>&1; then
		FAILED=$((FAILED + 1))
		echo "ok $N - $name # TODO $reason"
	else
		echo "not ok $N - $name # TODO $reason"
	fi
}

# check NAME GOT WANT
check() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got: '$2'"$'\n'"want: '$3'"; fi
}

bail_out() {
	echo "Bail out! $1"
	if [ -n "${2:-}" ] && [ -f "$2" ]; then tail -n 40 "$2" | sed 's/^/# /'; fi
	exit 1
}

cleanup() {
	set +e
	local c
	for c in "$POD" "$POD-b"; do podman pod rm -f -i -t 0 "$c" >/dev/null 2>&1; done
	for c in "$DAEMON" "$DAEMON-2"; do podman rm -f -i -t 0 "$c" >/dev/null 2>&1; done
	for c in "$IMAGE" "$BUSYBOX"; do podman rmi -i "$c" >/dev/null 2>&1; done
	umount -l "$MNT" 2>/dev/null
	[ -n "$CREATED_MNT" ] && rmdir "$MNT" 2>/dev/null
	rm -rf "$T"
	echo "1..$N"
}
trap cleanup EXIT

# wait_for SECONDS COMMAND...: poll COMMAND until it succeeds, for at most SECONDS, or until
# it sets exit_wait (it has seen that it never will).
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	exit_wait=
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] && [ -z "$exit_wait" ] || return 1
		sleep 0.1
	done
}

# mountinfo_opts PID PATH: the mount options and optional fields (shared:N, master:N) of the
# volume mounted at PATH (the first mount there) as PID sees it.
mountinfo_opts() {
	awk -v p="$2" '$5 == p { o = $6; for (i = 7; $i != "-"; i++) o = o " " $i; print o; exit }' \
		"/proc/$1/mountinfo"
}

host_level() { [ "$(cat "$MNT/self/level" 2>/dev/null)" = 0 ]; }
# tree_up CONTAINER: the host reads the tree, or CONTAINER has stopped (which wait_for ends).
tree_up() {
	host_level && return 0
	[ "$(podman inspect --format '{{.State.Running}}' "$1" 2>/dev/null)" = true ] || exit_wait=1
	return 1
}
no_tree() { ! findmnt -n -t fuse.nspidfs -M "$MNT"; }

### The host's shared /var/lib/nspidfs (a scratch directory here)

if [ ! -d "$MNT" ]; then
	mkdir -p "$MNT"
	CREATED_MNT=1
fi
# Whatever the machine has mounted there (a demo's nspidfs) goes, in this namespace only.
while umount -l "$MNT" 2>/dev/null; do :; done
mkdir "$T/host"
mount --bind "$T/host" "$MNT" && mount --make-shared "$MNT" ||
	bail_out "cannot make $MNT a shared mount"

### The image

BASE=$(bash "$HERE/debian-base.sh" image "$CACHE" 2>"$T/base.log") ||
	bail_out "cannot make the Debian base image" "$T/base.log"
# --layers=false: no intermediate images are left in the machine's store.
podman build --layers=false --build-arg BASE="$BASE" -f "$SRC/config/container/Containerfile" \
	-t "$IMAGE" "$SRC" >"$T/build.log" 2>&1 || bail_out "podman build failed" "$T/build.log"
ok "podman build of config/container/Containerfile on a Debian 12 base"

want_tag=$(python3 -c 'import sys, yaml
d = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "DaemonSet"][0]
print(d["spec"]["template"]["spec"]["containers"][0]["image"])' "$K8S/daemonset.yaml")
check "the image's nspidfs is the version the DaemonSet's image tag names" \
	"$(podman run --rm --entrypoint /usr/sbin/nspidfs "$IMAGE" --version 2>&1)" \
	"nspidfs ${want_tag##*:}"
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
if [ "$size" -lt $((120 * 1000 * 1000)) ]; then
	ok "the image is small: $((size / 1000000)) MB"
else
	not_ok "the image is small" "$((size / 1000000)) MB, want under 120"
fi

### The DaemonSet's pod, from daemonset.yaml

mapfile -d '' run_args < <(python3 "$HERE/kube_podman.py" run-args "$K8S/daemonset.yaml" "$T" \
	"$IMAGE" "$DAEMON") && [ ${#run_args[@]} -gt 0 ] ||
	bail_out "cannot read the DaemonSet's container from daemonset.yaml"
printf '# podman run -d'
printf ' %q' "${run_args[@]}"
echo
podman run -d "${run_args[@]}" >/dev/null 2>"$T/run.log" || bail_out "podman run failed" "$T/run.log"
if wait_for 60 tree_up "$DAEMON"; then
	ok "the host sees the tree the DaemonSet's container mounted at $MNT"
else
	podman logs "$DAEMON" >"$T/daemon.log" 2>&1
	bail_out "no tree at $MNT (within 60 s, while the container ran)" "$T/daemon.log"
fi
check "the host's mount is nspidfs's" "$(findmnt -n -o FSTYPE "$MNT" | tail -n 1)" fuse.nspidfs
# cd is a builtin: the subshell itself resolves self.
self=$(cd -P "$MNT/self" && echo "${PWD##*/} $BASHPID") || self="- unresolved"
check "self, resolved on the host, names the reader's host PID" "${self% *}" "${self#* }"
DPID=$(podman inspect --format '{{.State.Pid}}' "$DAEMON") || bail_out "no PID for $DAEMON"
check "hostPID: the daemon runs in the host's PID namespace" \
	"$(stat -L -c %i "/proc/$DPID/ns/pid")" "$(stat -L -c %i /proc/self/ns/pid)"
check "hostNetwork: the daemon runs in the host's network namespace" \
	"$(stat -L -c %i "/proc/$DPID/ns/net")" "$(stat -L -c %i /proc/self/ns/net)"
# A namespace made now, and looked up at once: the model lacks it, and a new one is made.
updates() { sed -n 's/^nspidfs_proc_updates_total //p' "$MNT/metrics/nspidfs.prom"; }
before=$(updates)
unshare -p -f --kill-child sleep 30 &
sleeper=$!
for _ in $(seq 2000); do inner=$(pgrep -P "$sleeper") && break; done
ls "$MNT/ns/$(stat -L -c %i "/proc/$inner/ns/pid")" >/dev/null 2>&1
after=$(updates)
kill "$sleeper"
wait "$sleeper" 2>/dev/null
if [ -n "$before" ] && [ -n "$after" ] && [ "$after" -gt "$before" ]; then
	ok "process events: a new namespace made an update, not a pass over /proc"
else
	not_ok "process events: a new namespace made an update, not a pass over /proc" \
		"nspidfs_proc_updates_total $before, then $after"
fi
check "Bidirectional: the daemon's $MNT is an rshared mount" \
	"$(mountinfo_opts "$DPID" "$MNT" | grep -o 'shared:[0-9]*' | head -n 1 | cut -d: -f1)" shared
check "privileged" "$(podman inspect --format '{{.HostConfig.Privileged}}' "$DAEMON")" true
check "readOnlyRootFilesystem: the container's root is read-only" \
	"$(podman exec "$DAEMON" sh -c 'touch /x 2>/dev/null; echo $?')" 1
check "the ConfigMap is the daemon's configuration" \
	"$(podman exec "$DAEMON" cat /etc/nspidfs/nspidfs.conf)" "$(cat "$T/configmap/nspidfs-config/nspidfs.conf")"

for probe in readinessProbe livenessProbe; do
	mapfile -d '' cmd < <(python3 "$HERE/kube_podman.py" probe "$K8S/daemonset.yaml" "$probe")
	if out=$(podman exec "$DAEMON" "${cmd[@]}" 2>&1); then
		ok "$probe succeeds: ${cmd[*]}"
	else
		not_ok "$probe succeeds: ${cmd[*]}" "$out"
	fi
done

### example-pod.yaml, played

mkdir "$T/busybox"
mkdir -p "$T/busybox/bin" "$T/busybox/proc" "$T/busybox/sys" "$T/busybox/dev" "$T/busybox/tmp"
cp "$(command -v busybox)" "$T/busybox/bin/"
for a in sh cat sleep ls readlink; do ln -s busybox "$T/busybox/bin/$a"; done
tar -C "$T/busybox" -cf "$T/busybox.tar" . &&
	podman import --quiet --change 'ENV PATH=/bin' "$T/busybox.tar" "$BUSYBOX" >/dev/null ||
	bail_out "cannot import a busybox image"
python3 "$HERE/kube_podman.py" pod "$K8S/example-pod.yaml" "$BUSYBOX" "$POD" >"$T/pod.yaml" ||
	bail_out "cannot read example-pod.yaml"
podman kube play "$T/pod.yaml" >"$T/play.log" 2>&1 || bail_out "podman kube play failed" "$T/play.log"
APP=$POD-app
pod_said() { [ "$(podman logs "$APP" 2>/dev/null | wc -l)" -ge 2 ]; }
wait_for 30 pod_said || true
APID=$(podman inspect --format '{{.State.Pid}}' "$APP") || bail_out "no PID for $APP"
app_ns=$(stat -L -c %i "/proc/$APID/ns/pid")
host_ns=$(stat -L -c %i /proc/self/ns/pid)
said=$(podman logs "$APP" 2>&1)
check "the example pod read its own self/ancestors: the host's level, then its own namespace" \
	"$(cut -d' ' -f1,2,4 <<<"$said" | sed -n 1p)|$(sed -n 2p <<<"$said" | cut -d' ' -f1,2,4)" \
	"0 $host_ns 1|1 $app_ns $APID"
check "HostToContainer: the pod's $MNT is an rslave, read-only mount" \
	"$(mountinfo_opts "$APID" "$MNT" | grep -o -e 'master:' -e '^ro' | tr -d '\n')" "romaster:"
check "the pod (uid 65534, no capabilities) reads the tree: its level is 1" \
	"$(podman exec "$APP" cat "$MNT/self/level" 2>&1)" 1

### A restart of the DaemonSet's container, under running pods

# A pod bound to /var/lib/nspidfs while the daemon served holds that FUSE mount itself (a bind
# of a path binds the mount on top of it), not a slave of the host's directory: the stopped
# daemon's unmount does not reach it, nor does the next daemon's mount. A pod bound before the
# daemon mounted holds a slave of the host's directory, which every later mount reaches.
podman stop "$DAEMON" >/dev/null 2>&1
if wait_for 30 no_tree; then
	ok "stopping the DaemonSet's container unmounts the tree on the host"
else
	not_ok "stopping the DaemonSet's container unmounts the tree on the host" \
		"$(findmnt "$MNT" 2>&1)"
fi
check "the daemon exited 0 on SIGTERM" "$(podman inspect --format '{{.State.ExitCode}}' "$DAEMON")" 0
python3 "$HERE/kube_podman.py" pod "$K8S/example-pod.yaml" "$BUSYBOX" "$POD-b" >"$T/pod-b.yaml" &&
	podman kube play "$T/pod-b.yaml" >"$T/play.log" 2>&1 ||
	bail_out "podman kube play of a second example pod failed" "$T/play.log"
run_args[1]=$DAEMON-2 # --name
podman run -d "${run_args[@]}" >/dev/null 2>"$T/run.log" || bail_out "podman run failed" "$T/run.log"
wait_for 60 tree_up "$DAEMON-2" || bail_out "no tree at $MNT within 60 s of the second start"
pod_level() { [ "$(podman exec "$1" cat "$MNT/self/level" 2>/dev/null)" = 1 ]; }
check "the second pod's $MNT is a read-only, rslave bind of the host's directory" \
	"$(mountinfo_opts "$(podman inspect --format '{{.State.Pid}}' "$POD-b-app")" "$MNT" |
		grep -o -e 'master:' -e '^ro' | tr -d '\n')" "romaster:"
if wait_for 30 pod_level "$POD-b-app"; then
	ok "a pod played before the daemon mounted reads the mount of a later DaemonSet pod"
else
	not_ok "a pod played before the daemon mounted reads the mount of a later DaemonSet pod" \
		"$(podman exec "$POD-b-app" ls "$MNT" 2>&1)"
fi
# Known, as with lxcfs (README, "Deployment").
todo "a pod played while a daemon served reads a later daemon's mount" \
	"it holds the old mount: ENOTCONN until it restarts" pod_level "$APP"

[ "$FAILED" -eq 0 ]

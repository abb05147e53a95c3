#!/bin/bash
# PID/container, ns/INODE/container and PID/cgroup against containers of the real runtimes
# Debian ships (issue 19), each started here with no network and no registry: podman with
# runc, Docker (dockerd over its own containerd), containerd alone (ctr), and LXC; then the
# Kubernetes layouts of both kubelet cgroup drivers, made by hand in the cgroup tree with the
# init of a new PID namespace moved into them. TAP output.
#
# Every daemon runs from this test, in its own private state under a scratch directory: its
# data and state roots, its socket, its runc root. nspidfs must find each container's names
# where the runtime really keeps them, not at a default path (see the README's File formats).
# Names that the machine shares (cgroup paths, LXC's) carry a tag of this run. Everything
# started is stopped at the end; so are the cgroups the runtimes leave empty behind them.
#
# Docker stores its layers with vfs, containerd with its native snapshotter: no overlay mount
# is needed, so the scratch directory may itself be on overlayfs. A runtime whose package is
# missing or that cannot start here is skipped, with the reason; with NSPIDFS_REQUIRE_RUNTIMES=1
# (CI's slow suite, on this project's machines, where all of them run) it fails instead.
#
#   test_runtimes.sh NSPIDFS_BINARY
# shellcheck disable=SC2016 # wait_for's conditions are expanded when it evaluates them
set -uo pipefail

BIN=${1:?usage: test_runtimes.sh NSPIDFS_BINARY}
BIN=$(realpath "$BIN")

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (the runtimes' daemons, cgroups, mounts)"
	exit 0
fi
if ! command -v busybox >/dev/null; then
	echo "1..0 # SKIP busybox is not installed (tests/packaging/install-deps.sh installs it)"
	exit 0
fi

# Everything below runs in a private mount namespace: the daemons' mounts (layers, rootfs,
# network namespaces) and nspidfs's end with it.
if [ -z "${NSPIDFS_IN_PRIVATE_NS:-}" ]; then
	NSPIDFS_IN_PRIVATE_NS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi

N=0
FAILED=0
T=$(mktemp -d /tmp/nspidfs-runtimes-XXXXXX)
TAG=$(basename "$T" | cut -d- -f3 | tr '[:upper:]' '[:lower:]')
MNT=$T/mnt
ROOTFS=$T/rootfs
DAEMON=
CONTAINERD=
DOCKERD=
CTRD_SOCK=$T/containerd.sock
DOCKER=()
CTR=(ctr -a "$CTRD_SOCK")
DOCKER_IDS=()
CTR_IDS=()
PODMAN_IDS=()
LXC_NAME=
INITS=()      # host PIDs of the containers' inits, killed at the end if still there
UNSHARES=()   # the parents of the hand-made pods' inits
KUBE_TOP=     # the top of the hand-made Kubernetes cgroups
# Cgroups a runtime makes at the top of each hierarchy and leaves when its last container
# ends (containerd's namespace, Docker's cgroupfs parent, LXC's pivot): removed at the end if
# this run made them and they are empty.
RUNTIME_CGROUPS=(default docker lxc.pivot)
declare -A HAD_CGROUP=()
for h in /sys/fs/cgroup /sys/fs/cgroup/*/; do
	for c in "${RUNTIME_CGROUPS[@]}"; do
		[ -d "${h%/}/$c" ] && HAD_CGROUP["${h%/}/$c"]=1
	done
done
# Directories of the runtimes' that no option moves (containerd's shim sockets, Docker's
# plugins, LXC's locks, named by the container's path): emptied ones are removed at the end
# if this run made them.
RUN_DIRS=(/run/containerd /run/docker /run/lxc)
declare -A HAD_RUN_DIR=()
for d in "${RUN_DIRS[@]}"; do [ -d "$d" ] && HAD_RUN_DIR[$d]=1; done

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

# skip WHAT REASON [LOG]: a runtime that cannot run here; a failure when CI requires them all.
skip() {
	if [ "${NSPIDFS_REQUIRE_RUNTIMES:-}" = 1 ]; then
		not_ok "$1: $2 (NSPIDFS_REQUIRE_RUNTIMES=1)" "${3:-}"
		return
	fi
	N=$((N + 1))
	echo "ok $N - $1 # SKIP $2"
	if [ -n "${3:-}" ]; then printf '%s\n' "$3" | sed 's/^/# /'; fi
}

# check NAME GOT WANT
check() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got: '$2'"$'\n'"want: '$3'"; fi
}

# Bounded polls of other processes' state (a daemon's socket, a task's PID): no sleep stands
# in for a synchronisation the test could wait on.
wait_for() {
	for _ in $(seq 600); do
		eval "$1" && return 0
		sleep 0.05
	done
	return 1
}

# stop_process PID: SIGTERM, a bounded wait for the end, then SIGKILL.
stop_process() {
	kill "$1" 2>/dev/null || return 0
	wait_for '! kill -0 '"$1"' 2>/dev/null' || kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

cleanup() {
	local pid dir h c cmd
	# The hand-made pods' inits ended (with their unshare), then their cgroups removed.
	for pid in "${UNSHARES[@]}"; do
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [ -n "$KUBE_TOP" ]; then
		wait_for '[ -z "$(find "$KUBE_TOP" -name cgroup.procs -exec cat {} +)" ]'
		find "$KUBE_TOP" -depth -type d -exec rmdir {} \;
	fi
	if [ -n "$LXC_NAME" ]; then
		lxc-stop -P "$T/lxc" -n "$LXC_NAME" -k >/dev/null 2>&1
		lxc-destroy -P "$T/lxc" -n "$LXC_NAME" >/dev/null 2>&1
		rm -rf "/run/lxc/lock$T"
	fi
	for c in "${PODMAN_IDS[@]}"; do podman rm -f -t 0 "$c" >/dev/null 2>&1; done
	for c in "${DOCKER_IDS[@]}"; do "${DOCKER[@]}" rm -f "$c" >/dev/null 2>&1; done
	[ -n "$DOCKERD" ] && stop_process "$DOCKERD"
	for c in "${CTR_IDS[@]}"; do
		"${CTR[@]}" task rm -f "$c" >/dev/null 2>&1
		"${CTR[@]}" container rm "$c" >/dev/null 2>&1
	done
	[ -n "$CONTAINERD" ] && stop_process "$CONTAINERD"
	# Whatever a daemon that ended badly left: its shims (named by this run's socket) and
	# the containers' inits, each ended by its PID.
	for pid in "${INITS[@]}"; do kill -9 "$pid" 2>/dev/null; done
	for dir in /proc/[0-9]*; do
		cmd=$(tr '\0' ' ' <"$dir/cmdline" 2>/dev/null) || continue
		case $cmd in
		*containerd-shim*" -address $CTRD_SOCK "*) kill -9 "${dir#/proc/}" 2>/dev/null ;;
		esac
	done
	[ -n "$DAEMON" ] && kill -9 "$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null
	umount -l "$MNT" 2>/dev/null
	for h in /sys/fs/cgroup /sys/fs/cgroup/*/; do
		for c in "${RUNTIME_CGROUPS[@]}"; do
			dir=${h%/}/$c
			[ -d "$dir" ] && [ -z "${HAD_CGROUP[$dir]:-}" ] && rmdir "$dir" 2>/dev/null
		done
	done
	for dir in "${RUN_DIRS[@]}"; do
		[ -d "$dir" ] && [ -z "${HAD_RUN_DIR[$dir]:-}" ] && find "$dir" -depth -type d -empty -delete
	done
	# Mounts under $T are this namespace's and end with it; never follow one out of $T.
	rm -rf --one-file-system "$T"
}
trap cleanup EXIT

# start_daemon: nspidfs in the foreground, waited for on --ready-fd (no sleeping).
start_daemon() {
	local fifo=$T/ready
	mkdir -p "$MNT"
	mkfifo "$fifo"
	"$BIN" -f --ready-fd=3 "$MNT" 3>"$fifo" 2>>"$T/nspidfs.log" &
	DAEMON=$!
	read -r READY <"$fifo" || READY=
	[ "$READY" = READY=1 ]
}

make_rootfs() {
	mkdir -p "$ROOTFS"/{bin,proc,sys,dev,etc,tmp}
	cp "$(command -v busybox)" "$ROOTFS/bin/"
	for a in sh sleep cat; do
		ln -sf busybox "$ROOTFS/bin/$a"
	done
}

# The path nspidfs shows in PID/cgroup, read from /proc as its manual says: the pids
# hierarchy's, else name=systemd's, else the unified one's.
proc_cgroup() {
	awk -F: '$2 == "pids" { p = $3 } $2 == "name=systemd" { s = $3 } $1 == "0" { u = $3 }
		END { print p != "" ? p : s != "" ? s : u }' "/proc/$1/cgroup"
}

# check_container WHAT INIT WANT ID: PID/container of a container's init is WANT, so is
# ns/INODE/container of its namespace, and PID/cgroup is its cgroup, naming ID.
check_container() {
	local what=$1 init=$2 want=$3 id=$4 ns cgroup
	ns=$(stat -L -c %i "/proc/$init/ns/pid")
	check "$what: PID/container of its init" "$(cat "$MNT/$init/container")" "$want"
	check "$what: ns/INODE/container of its namespace" "$(cat "$MNT/ns/$ns/container")" "$want"
	cgroup=$(cat "$MNT/$init/cgroup")
	check "$what: PID/cgroup is the init's cgroup, and names $id" \
		"$cgroup $(grep -c -- "$id" <<<"$cgroup")" "$(proc_cgroup "$init") 1"
}

random_hex() {
	od -An -tx1 -N32 /dev/urandom | tr -d ' \n'
}

start_daemon || {
	echo "Bail out! nspidfs did not start"
	cat "$T/nspidfs.log"
	exit 1
}
make_rootfs

### podman, with runc (as tests/test_containers.sh runs it)

if ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
	skip podman "podman or runc is not installed (tests/packaging/install-deps.sh installs them)"
elif ! id=$(podman --runtime=runc run -d --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
	--network none --name "nspidfs-podman-$TAG" --rootfs "$ROOTFS" /bin/sleep 600 2>"$T/podman.err"); then
	skip podman "podman cannot start a container here" "$(tail -n 5 "$T/podman.err")"
else
	PODMAN_IDS+=("$id")
	init=$(podman inspect --format '{{.State.Pid}}' "$id")
	INITS+=("$init")
	check_container podman "$init" \
		"runtime podman"$'\n'"id $id"$'\n'"name nspidfs-podman-$TAG" "$id"
fi

### containerd, for Docker and for ctr: private root, state, socket and plugin directory

containerd_up=
if ! command -v containerd >/dev/null || ! command -v ctr >/dev/null; then
	containerd_why="containerd is not installed (tests/packaging/install-deps.sh installs it)"
else
	mkdir -p "$T/containerd"
	cat >"$T/containerd.toml" <<-EOF
		version = 2
		root = "$T/containerd/root"
		state = "$T/containerd/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$CTRD_SOCK"
		[ttrpc]
		  address = "$CTRD_SOCK.ttrpc"
		[plugins."io.containerd.internal.v1.opt"]
		  path = "$T/containerd/opt"
	EOF
	containerd --config "$T/containerd.toml" >"$T/containerd.log" 2>&1 &
	CONTAINERD=$!
	if wait_for '! kill -0 $CONTAINERD 2>/dev/null || "${CTR[@]}" version >/dev/null 2>&1' &&
		kill -0 "$CONTAINERD" 2>/dev/null; then
		containerd_up=1
	else
		containerd_why="containerd did not start"
	fi
fi

### Docker: dockerd over that containerd, no iptables, no bridge, an imported busybox image

IMAGE=nspidfs-test/busybox:$TAG
docker_up=
if [ -z "$containerd_up" ]; then
	skip docker "$containerd_why" "$(tail -n 5 "$T/containerd.log" 2>/dev/null)"
elif ! command -v dockerd >/dev/null; then
	skip docker "docker.io is not installed (tests/packaging/install-deps.sh installs it)"
else
	# Debian's client, which speaks to Debian's daemon, before any other in PATH.
	if [ -x /usr/bin/docker ]; then cli=/usr/bin/docker; else cli=$(command -v docker); fi
	DOCKER=("$cli" -H "unix://$T/docker.sock")
	# The trust key, which dockerd would write to /etc/docker, kept here too.
	printf '{"deprecated-key-path": "%s"}\n' "$T/docker/key.json" >"$T/daemon.json"
	mkdir -p "$T/docker"
	# vfs: no overlay needed (the scratch directory may be on one); no host sysctl changed.
	dockerd --data-root "$T/docker/root" --exec-root "$T/docker/exec" --pidfile "$T/docker/pid" \
		-H "unix://$T/docker.sock" --containerd "$CTRD_SOCK" --config-file "$T/daemon.json" \
		--iptables=false --ip-forward=false --bridge=none --storage-driver=vfs \
		>"$T/dockerd.log" 2>&1 &
	DOCKERD=$!
	if ! wait_for '! kill -0 $DOCKERD 2>/dev/null || "${DOCKER[@]}" info >/dev/null 2>&1' ||
		! kill -0 "$DOCKERD" 2>/dev/null; then
		skip docker "dockerd did not start" "$(tail -n 5 "$T/dockerd.log")"
	elif ! tar -C "$ROOTFS" -c . | "${DOCKER[@]}" import - "$IMAGE" >/dev/null 2>"$T/docker.err" ||
		! id=$("${DOCKER[@]}" run -d --network none --name nspidfs-web "$IMAGE" \
			/bin/sleep 600 2>>"$T/docker.err"); then
		skip docker "docker cannot run a container here" "$(tail -n 5 "$T/docker.err")"
	else
		docker_up=1
		DOCKER_IDS+=("$id")
		init=$("${DOCKER[@]}" inspect --format '{{.State.Pid}}' "$id")
		INITS+=("$init")
		check_container docker "$init" "runtime docker"$'\n'"id $id"$'\n'"name nspidfs-web" "$id"
	fi
fi

### containerd alone: ctr, with the image Docker saved (or the rootfs itself without Docker)

# ctr_run ID: a task of that ID, detached; its init's host PID in CTR_INIT.
ctr_run() {
	local id=$1
	CTR_INIT=
	if [ -n "$docker_up" ]; then
		"${CTR[@]}" run -d --null-io --snapshotter native --runc-root "$T/runc" \
			"docker.io/$IMAGE" "$id" /bin/sleep 600
	else
		"${CTR[@]}" run -d --null-io --runc-root "$T/runc" --rootfs "$ROOTFS" "$id" \
			/bin/sleep 600
	fi >/dev/null 2>>"$T/ctr.err" || return 1
	CTR_IDS+=("$id")
	CTR_INIT=$("${CTR[@]}" task ls | awk -v id="$id" '$1 == id { print $2 }')
	[ -n "$CTR_INIT" ] && INITS+=("$CTR_INIT")
}

if [ -z "$containerd_up" ]; then
	skip containerd "$containerd_why" "$(tail -n 5 "$T/containerd.log" 2>/dev/null)"
elif [ -n "$docker_up" ] && ! { "${DOCKER[@]}" save -o "$T/image.tar" "$IMAGE" &&
	"${CTR[@]}" images import --snapshotter native "$T/image.tar" >/dev/null; } 2>"$T/ctr.err"; then
	skip containerd "ctr cannot import Docker's image" "$(tail -n 5 "$T/ctr.err")"
elif ! ctr_run "nspidfs-ctr-$TAG"; then
	skip containerd "ctr cannot run a container here" "$(tail -n 5 "$T/ctr.err")"
else
	init=$CTR_INIT
	# ctr's ID is the one it was given, and its only name.
	check_container "containerd, ctr run" "$init" \
		"runtime containerd"$'\n'"id nspidfs-ctr-$TAG" "nspidfs-ctr-$TAG"
	# A 64-hex-digit ID, as nerdctl gives its containers: its cgroup path names it too.
	hex=$(random_hex)
	if ctr_run "$hex"; then
		check_container "containerd, ctr run with a hex ID" "$CTR_INIT" \
			"runtime containerd"$'\n'"id $hex" "$hex"
	else
		not_ok "ctr runs a second container" "$(tail -n 5 "$T/ctr.err")"
	fi
fi

### LXC: the busybox template, no network (there is no lxcbr0)

if ! command -v lxc-create >/dev/null; then
	skip lxc "lxc is not installed (tests/packaging/install-deps.sh installs it)"
else
	LXC_NAME=nspidfs-lxc-$TAG
	echo 'lxc.net.0.type = empty' >"$T/lxc.conf"
	if ! lxc-create -P "$T/lxc" -n "$LXC_NAME" -t busybox -f "$T/lxc.conf" >"$T/lxc.err" 2>&1 ||
		! lxc-start -P "$T/lxc" -n "$LXC_NAME" -o "$T/lxc.log" >>"$T/lxc.err" 2>&1 ||
		! lxc-wait -P "$T/lxc" -n "$LXC_NAME" -s RUNNING -t 30 >>"$T/lxc.err" 2>&1; then
		skip lxc "LXC cannot start a container here" \
			"$(tail -n 5 "$T/lxc.err"; tail -n 5 "$T/lxc.log" 2>/dev/null)"
	else
		init=$(lxc-info -P "$T/lxc" -n "$LXC_NAME" -p -H)
		INITS+=("$init")
		check_container lxc "$init" \
			"runtime lxc"$'\n'"id $LXC_NAME"$'\n'"name $LXC_NAME" "$LXC_NAME"
	fi
fi

### Kubernetes: kubelet's cgroups, both drivers, made by hand

# The hierarchy PID/cgroup reads (see proc_cgroup): the pids one, else name=systemd's, else
# the unified one. The layouts go below a directory of this run's, as under kind's nodes,
# where the kubelet's cgroups lie below the node's: nspidfs finds them at any depth.
CG=
for h in /sys/fs/cgroup/pids /sys/fs/cgroup/systemd /sys/fs/cgroup; do
	case $(stat -f -c %T "$h" 2>/dev/null) in
	cgroupfs | cgroup2fs) [ -e "$h/cgroup.procs" ] && CG=$h && break ;;
	esac
done

# pod_init: the init of a new PID namespace, as a pod's container's; its host PID in POD_INIT.
pod_init() {
	local u
	POD_INIT=
	unshare -p -f --kill-child sleep 600 >/dev/null 2>&1 &
	u=$!
	UNSHARES+=("$u")
	wait_for '[ -n "$(cat /proc/'"$u"'/task/'"$u"'/children 2>/dev/null)" ]' || return 1
	POD_INIT=$(awk '{ print $1 }' "/proc/$u/task/$u/children")
	INITS+=("$POD_INIT")
}

# move_to PID DIR: DIR made (with its parents) and PID moved into it.
move_to() {
	mkdir -p "$2" && echo "$1" >"$2/cgroup.procs"
}

if [ -z "$CG" ]; then
	skip kubernetes "no cgroup hierarchy found under /sys/fs/cgroup"
elif ! { mkdir "$CG/nspidfs-test-$TAG" && KUBE_TOP=$CG/nspidfs-test-$TAG && pod_init; } \
	2>"$T/kube.err"; then
	skip kubernetes "cannot make cgroups or a PID namespace here" "$(cat "$T/kube.err")"
else
	init=$POD_INIT
	# The systemd driver: slices named from the QoS class and the pod's UID ('_' for '-'),
	# a scope per container named by the runtime and the container's ID.
	uid=$(cat /proc/sys/kernel/random/uuid)
	hex=$(random_hex)
	pod=$KUBE_TOP/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uid//-/_}.slice
	if move_to "$init" "$pod/cri-containerd-$hex.scope"; then
		check_container "Kubernetes, systemd driver, a burstable pod's container" "$init" \
			"runtime containerd"$'\n'"id $hex"$'\n'"pod_uid $uid"$'\n'"qos burstable" "$hex"
	else
		not_ok "the systemd driver's cgroups can be made"
	fi
	# The cgroupfs driver: kubepods/QOS/podUID/ID, which does not say the runtime.
	uid=$(cat /proc/sys/kernel/random/uuid)
	hex=$(random_hex)
	pod=$KUBE_TOP/kubepods/besteffort/pod$uid
	if move_to "$init" "$pod"; then
		check_container "Kubernetes, cgroupfs driver, a besteffort pod outside its containers" \
			"$init" "pod_uid $uid"$'\n'"qos besteffort" "$uid"
	else
		not_ok "the cgroupfs driver's pod cgroup can be made"
	fi
	if move_to "$init" "$pod/$hex"; then
		check_container "Kubernetes, cgroupfs driver, a besteffort pod's container" "$init" \
			"id $hex"$'\n'"pod_uid $uid"$'\n'"qos besteffort" "$hex"
	else
		not_ok "the cgroupfs driver's container cgroup can be made"
	fi
	# A guaranteed pod has no QoS level of its own: kubepods.slice/kubepods-podUID.slice.
	uid=$(cat /proc/sys/kernel/random/uuid)
	hex=$(random_hex)
	pod=$KUBE_TOP/kubepods.slice/kubepods-pod${uid//-/_}.slice
	if move_to "$init" "$pod/cri-containerd-$hex.scope"; then
		check_container "Kubernetes, systemd driver, a guaranteed pod's container" "$init" \
			"runtime containerd"$'\n'"id $hex"$'\n'"pod_uid $uid"$'\n'"qos guaranteed" "$hex"
	else
		not_ok "the systemd driver's cgroups of a guaranteed pod can be made"
	fi
fi

echo "1..$N"
[ "$FAILED" -eq 0 ]

#!/bin/bash
# Real containers (podman with runc, a busybox rootfs, no image registry) reading nspidfs
# through a read-only bind mount: what each container sees, against what the host knows
# (podman inspect, NSpid), server kills that a container binding the mount point itself does
# not notice, and recovery after the keeper is killed. TAP output.
#
# Layout, as the README recommends: a shared mount point ($SHARE) holds the nspidfs mount
# point ($SHARE/fs); containers bind $SHARE with slave propagation, so a daemon restarted
# after a crash reappears inside running containers.
set -uo pipefail

BIN=${1:?usage: test_containers.sh NSPIDFS_BINARY}
BIN=$(realpath "$BIN")

# Everything below runs in a private mount namespace: a failed run cannot leave a mount behind.
if [ -z "${NSPIDFS_IN_PRIVATE_NS:-}" ]; then
	NSPIDFS_IN_PRIVATE_NS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi

for tool in podman runc busybox; do
	if ! command -v "$tool" >/dev/null; then
		echo "1..0 # SKIP $tool is not installed (tests/install-deps.sh installs it)"
		exit 0
	fi
done

N=0
FAILED=0
T=$(mktemp -d /tmp/nspidfs-containers-XXXXXX)
SHARE=$T/share
MNT=$SHARE/fs
ROOTFS=$T/rootfs
DAEMON=
CONTAINERS=()

ok() {
	N=$((N + 1))
	echo "ok $N - $1"
}

not_ok() {
	N=$((N + 1))
	FAILED=$((FAILED + 1))
	echo "not ok $N - $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/# /'
}

# check NAME GOT WANT
check() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got: '$2'"$'\n'"want: '$3'"; fi
}

cleanup() {
	for c in "${CONTAINERS[@]}"; do podman rm -f -t 0 "$c" >/dev/null 2>&1; done
	[ -n "$DAEMON" ] && kill -9 "$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null
	umount -l "$MNT" 2>/dev/null
	umount -l "$SHARE" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# start_daemon: nspidfs in the foreground, waited for on --ready-fd (no sleeping).
start_daemon() {
	local fifo=$T/ready
	rm -f "$fifo"
	mkfifo "$fifo"
	"$BIN" -f --ready-fd=3 "$MNT" 3>"$fifo" 2>>"$T/daemon.log" &
	DAEMON=$!
	read -r READY <"$fifo" || READY=
	[ "$READY" = READY=1 ]
}

make_rootfs() {
	mkdir -p "$ROOTFS"/{bin,proc,sys,dev,etc,tmp}
	cp "$(command -v busybox)" "$ROOTFS/bin/"
	for a in sh sleep cat ls readlink unshare basename grep wc mkfifo; do
		ln -sf busybox "$ROOTFS/bin/$a"
	done
}

run_container() {
	# CAP_SYS_ADMIN only so that the test can make a PID namespace inside the container.
	podman --runtime=runc run -d --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
		--cap-add=SYS_ADMIN \
		-v "$SHARE:/nspidfs:ro,rslave" --rootfs "$ROOTFS" /bin/sleep 600
}

# inside CONTAINER SCRIPT: run a shell script inside the container, stderr merged.
inside() {
	podman exec "$1" sh -c "$2" 2>&1
}

host_nspid() {
	awk '/^NSpid:/ { print $NF }' "/proc/$1/status"
}

mkdir -p "$SHARE"
mount --bind "$SHARE" "$SHARE" && mount --make-shared "$SHARE" && mkdir -p "$MNT" ||
	{ echo "Bail out! cannot prepare the shared mount point"; exit 1; }
make_rootfs
start_daemon || { echo "Bail out! nspidfs did not start"; cat "$T/daemon.log"; exit 1; }

A=$(run_container) || { echo "Bail out! podman cannot start a container"; exit 1; }
CONTAINERS+=("$A")
B=$(run_container) || { echo "Bail out! podman cannot start a second container"; exit 1; }
CONTAINERS+=("$B")
A_INIT=$(podman inspect --format '{{.State.Pid}}' "$A")
B_INIT=$(podman inspect --format '{{.State.Pid}}' "$B")
A_NS=$(stat -L -c %i "/proc/$A_INIT/ns/pid")
B_NS=$(stat -L -c %i "/proc/$B_INIT/ns/pid")
HOST_NS=$(stat -L -c %i /proc/self/ns/pid)

### Inside a container: self, init, nspid, ancestors against the host's view

# cd is a shell builtin: self resolves for the shell itself, which then becomes a sleep (same
# PID) so that the host can check it while it lives; its first line is read through a FIFO.
mkfifo "$T/first"
podman exec "$A" sh -c 'cd -P /nspidfs/fs/self &&
	echo "$(basename "$PWD") $$ $(cat nspid) $(cat init)" && exec sleep 600' >"$T/first" 2>&1 &
read -r self_host in_pid nspid init <"$T/first"
check "self names the reader's host PID (its NSpid ends with its PID in the container)" \
	"$(host_nspid "$self_host" 2>/dev/null)" "$in_pid"
check "self/nspid is the reader's PID in the container" "$nspid" "$in_pid"
check "self/init is the container's PID 1 as podman reports it" "$init" "$A_INIT"
check "its ancestors, read in the container: host level, then the container's" \
	"$(inside "$A" "cat /nspidfs/fs/$self_host/ancestors")" \
	"0 $HOST_NS $self_host 1"$'\n'"1 $A_NS $in_pid $A_INIT"
kill "$self_host"
check "the container's init reads as PID 1 of its namespace" \
	"$(inside "$A" "cat /nspidfs/fs/$A_INIT/nspid /nspidfs/fs/$A_INIT/init")" "1"$'\n'"$A_INIT"
check "the reverse lookup of PID 1 names the container's init" \
	"$(inside "$A" "readlink /nspidfs/fs/ns/$A_NS/pid/1")" "../../../$A_INIT"
check "busybox cat (sendfile) reads tree: it starts at the container's namespace" \
	"$(inside "$A" 'cat /nspidfs/fs/tree' | head -n1 | cut -d' ' -f1-5)" "ns $A_NS level 1 init"

### What a container must not see

# The host reads everything first, so that the kernel's caches hold every entry.
cat "$MNT/1/level" "$MNT/$B_INIT/init" "$MNT/ns/$B_NS/init" "$MNT/ns/$HOST_NS/pids" \
	>/dev/null 2>&1
out=$(inside "$A" "cat /nspidfs/fs/1/level")
check "host PID 1 is hidden from the container, right after the host read it" \
	"$(grep -c 'No such file' <<<"$out")" 1
out=$(inside "$A" "cat /nspidfs/fs/$B_INIT/init")
check "the sibling container's init is hidden (ENOENT)" "$(grep -c 'No such file' <<<"$out")" 1
out=$(inside "$A" "cat /nspidfs/fs/ns/$B_NS/init; cat /nspidfs/fs/ns/$HOST_NS/pids")
check "the sibling's and the host's namespaces are hidden" \
	"$(grep -c 'No such file' <<<"$out")" 2
listed=$(inside "$A" 'ls /nspidfs/fs' | grep -E '^[0-9]+$' | sort -n)
strangers=0
for p in $listed; do
	# The listing may name a process that has exited since (ls itself): only live ones count.
	ns=$(stat -L -c %i "/proc/$p/ns/pid" 2>/dev/null) || continue
	[ "$ns" = "$A_NS" ] || strangers=$((strangers + 1))
done
check "the container's listing holds only its own processes" "$strangers" 0
check "the container's listing holds its init" "$(grep -cx "$A_INIT" <<<"$listed")" 1
check "ns/ lists only the container's namespace" "$(inside "$A" 'ls /nspidfs/fs/ns')" "$A_NS"
check "the other container sees itself, not the first" \
	"$(inside "$B" "ls /nspidfs/fs/ns; cat /nspidfs/fs/$A_INIT/init 2>&1 | grep -c 'No such'")" \
	"$B_NS"$'\n'"1"

# The page cache belongs to an inode: a container holding tree open while the host copies it
# with sendfile (busybox cat, as here, or cp) must still read only its own view from it.
rm -f "$ROOTFS/tmp/held" "$ROOTFS/tmp/go"
mkfifo "$ROOTFS/tmp/held" "$ROOTFS/tmp/go"
inside "$A" 'exec 3</nspidfs/fs/tree; echo >/tmp/held; read x </tmp/go; cat <&3' >"$T/held" &
held=$!
read -r _ <"$ROOTFS/tmp/held"
busybox cat "$MNT/tree" >"$T/host-copy"
echo >"$ROOTFS/tmp/go"
wait "$held"
check "the host's sendfile copy leaves the container's held tree its own" \
	"$(head -n1 "$T/held" | cut -d' ' -f1-4) $(grep -c "ns $HOST_NS " "$T/held")" \
	"ns $A_NS level 1 0"
check "the host's copy was the host's tree" "$(head -n1 "$T/host-copy" | cut -d' ' -f1-4)" \
	"ns $HOST_NS level 0"

### A PID namespace inside the container

out=$(inside "$A" 'unshare -p -f sh -c "cd -P /nspidfs/fs/self && cat level nspid init && basename \$PWD"')
read -r -d '' lvl inner_nspid inner_init inner_host <<<"$out"
check "a nested namespace in the container: level 2, PID 1 there, its own init" \
	"$lvl $inner_nspid $inner_init" "2 1 $inner_host"
# The nested init signals through a FIFO once it runs; then the container's shell lists ns/.
check "the container sees the nested namespace in ns/" \
	"$(inside "$A" 'mkfifo /tmp/up; unshare -p -f sh -c "echo >/tmp/up; exec sleep 600" &
		read x </tmp/up; ls /nspidfs/fs/ns | wc -l; kill $!')" 2

### Which container: runtime, full ID and name, from the host and from inside

A_NAME=$(podman inspect --format '{{.Name}}' "$A")
check "PID/container names podman, the full ID and the name" \
	"$(cat "$MNT/$A_INIT/container")" "runtime podman"$'\n'"id $A"$'\n'"name $A_NAME"
check "ns/INODE/container says the same of the container's namespace" \
	"$(cat "$MNT/ns/$A_NS/container")" "$(cat "$MNT/$A_INIT/container")"
check "a process of the container has its init's container" \
	"$(inside "$A" 'cat /nspidfs/fs/self/container' | grep '^id ')" "id $A"
check "the container reads its own identity, not the other's" \
	"$(inside "$B" 'cat /nspidfs/fs/self/container' | grep -c "$A")" 0
check "a host process is in no container: an empty file" "$(cat "$MNT/$$/container" | wc -c)" 0
check "PID/json holds the same facts" \
	"$(grep -c "\"container\":{\"runtime\":\"podman\",\"id\":\"$A\",\"name\":\"$A_NAME\"}" \
		"$MNT/$A_INIT/json")" 1
check "ns/INODE/json too" \
	"$(grep -c "\"container\":{\"runtime\":\"podman\",\"id\":\"$A\"" "$MNT/ns/$A_NS/json")" 1
check "a host process's JSON says null" "$(grep -c '"container":null}' "$MNT/$$/json")" 1
check "PID/cgroup is the container's cgroup, as the host's namespace shows it" \
	"$(grep -c "libpod-$A" "$MNT/$A_INIT/cgroup")" 1
### The server killed again and again: a container binding the mount point itself sees nothing

# server_of KEEPER: the keeper's child, the process that serves.
server_of() {
	awk '{ print $1 }' "/proc/$1/task/$1/children" 2>/dev/null
}

B=$(podman --runtime=runc run -d --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
	-v "$MNT:/nspidfs:ro" --rootfs "$ROOTFS" /bin/sleep 600) && CONTAINERS+=("$B")
podman exec -d "$B" >/dev/null sh -c 'n=0 e=0; while [ ! -e /tmp/stop ]; do
	if cat /nspidfs/self/level >/dev/null 2>/tmp/last; then n=$((n + 1));
	else e=$((e + 1)); cat /tmp/last >>/tmp/errors; fi; echo "$n $e" >/tmp/count; done
	echo done >/tmp/finished'
reads_in_b() { inside "$B" 'cat /tmp/count 2>/dev/null' | cut -d' ' -f1; }
# Bounded polls of other processes' state (a new server, the container's count): no sleep
# stands in for a synchronisation the test could wait on.
wait_for() {
	for _ in $(seq 600); do
		eval "$1" && return 0
		sleep 0.05
	done
	return 1
}
kills=0
for _ in 1 2 3 4 5; do
	before=$(reads_in_b)
	server=$(server_of "$DAEMON")
	[ -n "$server" ] && kill -9 "$server" || break
	wait_for '[ -n "$(server_of "$DAEMON")" ] && [ "$(server_of "$DAEMON")" != "$server" ]' ||
		break
	wait_for '[ "$(reads_in_b)" -gt "${before:-0}" ]' || break
	kills=$((kills + 1))
done
inside "$B" 'touch /tmp/stop' >/dev/null
wait_for '[ -n "$(inside "$B" "cat /tmp/finished 2>/dev/null")" ]'
count=$(inside "$B" 'cat /tmp/count')
check "5 kills of the server under a container that binds the mount point itself" "$kills" 5
check "its reads across them: no error ($count; $(inside "$B" 'head -n 3 /tmp/errors 2>/dev/null'))" \
	"$(cut -d' ' -f2 <<<"$count")" 0

### Daemon killed and restarted: the running container answers again

{
	kill -9 "$DAEMON"
	wait "$DAEMON"
} 2>/dev/null
DAEMON=
out=$(inside "$A" 'cat /nspidfs/fs/self/level')
check "with the daemon killed the container gets ENOTCONN, not a hang" \
	"$(grep -c 'not connected' <<<"$out")" 1
if start_daemon; then ok "a new daemon replaces the stale mount"; else not_ok "restart"; fi
check "the running container answers again, not restarted" \
	"$(inside "$A" 'cat /nspidfs/fs/self/level')" 1
C=$(run_container) && CONTAINERS+=("$C")
check "a new container answers too" "$(inside "$C" 'cat /nspidfs/fs/self/level')" 1

echo "1..$N"
[ "$FAILED" -eq 0 ]

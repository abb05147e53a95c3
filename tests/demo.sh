#!/bin/bash
# Quick start: install what building and running nspidfs need, build it, mount it at the
# default place, and show what it says about a process two PID namespaces deep, like a process
# of a container that runs a sandbox: that process's files, and only its part of the tree.
# Then unmount. It all happens in a private mount namespace: nothing of it is seen outside,
# a mount the host may have there is left alone, and nothing is left mounted.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${NSPIDFS_DEMO_IN_MNTNS:-}" ]; then
	bash tests/install-deps.sh build
	[ -d build/meson-private ] || meson setup build >/dev/null
	meson compile -C build >/dev/null
	exec unshare -m --propagation private env NSPIDFS_DEMO_IN_MNTNS=1 bash "$0" "$@"
fi

tmp=$(mktemp -d)
mnt=/var/lib/nspidfs
# A nspidfs the host runs there is the host's: use a directory of our own instead.
if mountpoint -q "$mnt" 2>/dev/null; then
	mnt=$tmp/nspidfs
fi
mkdir -p "$mnt"
daemon=''
holder=''
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	# Whatever fails here, the rest must still run (and a killed process's wait "fails").
	set +e
	# unshare --fork ignores SIGTERM; with --kill-child its death takes the namespaces with it.
	[ -z "$holder" ] || { kill -KILL "$holder" 2>/dev/null; wait "$holder" 2>/dev/null; }
	# The daemon unmounts on SIGTERM; wait, so that nothing of it outlives the demo.
	[ -z "$daemon" ] || { kill -TERM "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null; }
	rm -rf "$tmp"
}
trap cleanup EXIT

show() {
	printf '$ %s\n' "$*"
	"$@"
}

# In the foreground, to stop it and wait for it at the end; --ready-fd says when it serves.
# (Without -f it daemonizes, and returns once it serves.)
printf '$ %s\n' "build/src/nspidfs -f --ready-fd=3 $mnt 3>ready &"
mkfifo "$tmp/ready"
build/src/nspidfs -f --ready-fd=3 "$mnt" 3>"$tmp/ready" 2>"$tmp/daemon.log" &
daemon=$!
read -r ready <"$tmp/ready" || true
if [ "$ready" != READY=1 ]; then
	cat "$tmp/daemon.log" >&2
	exit 1
fi
show findmnt "$mnt"

# A process two PID namespaces deep. It learns its own host PID from nspidfs (`cd -P self`
# resolves self for the shell itself) and reports it through a FIFO: nothing polls or sleeps.
mkfifo "$tmp/pid"
cat >"$tmp/inner.sh" <<INNER
# PID 1 of the inner namespace starts a member (PID 2) that reports its host PID.
sh -c 'cd -P $mnt/self && basename "\$PWD" && exec sleep 600 >/dev/null' &
wait
INNER
unshare --pid --fork --kill-child \
	unshare --pid --fork --kill-child sh "$tmp/inner.sh" >"$tmp/pid" &
holder=$!
read -r deep <"$tmp/pid"
# Its namespace, and the one above it (the "container" running the "sandbox").
inner=$(cat "$mnt/$deep/ns")
outer=$(awk '$1 == 1 { print $2 }' "$mnt/$deep/ancestors")

echo
echo "# Host PID $deep is PID 2 of a PID namespace inside another:"
show cat "$mnt/$deep/init"
show cat "$mnt/$deep/nspid"
show cat "$mnt/$deep/level"
show cat "$mnt/$deep/ancestors"
show grep NSpid "/proc/$deep/status"
show cat "$mnt/$deep/json"

echo
echo "# The outer namespace, $outer, and the inner one, $inner:"
show ls "$mnt/ns/$outer"
show cat "$mnt/ns/$outer/children"
show cat "$mnt/ns/$outer/pids"
show readlink "$mnt/ns/$inner/parent"

echo
echo "# The other way round: PID 2 of the inner namespace, as a container's log would name it."
show readlink "$mnt/$deep/pidns"
show readlink "$mnt/$deep/pidns/pid/2"

echo
echo "# Its part of $mnt/tree: the outer namespace and everything below it."
printf '$ %s\n' "awk '...' $mnt/tree"
# From the outer namespace's line, while the lines are indented deeper than it.
awk -v ns="$outer" '
	{ match($0, /^ */); depth = RLENGTH }
	on && depth <= top { exit }
	!on && $1 == "ns" && $2 == ns { on = 1; top = depth }
	on' "$mnt/tree"

echo
echo "Stopping nspidfs: nothing stays mounted."

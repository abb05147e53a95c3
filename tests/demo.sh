#!/bin/bash
# Quick start: build nspidfs, mount it at the default place, and show it answering for a
# process in nested PID namespaces. Leaves the daemon running; stop it with
#   fusermount3 -u /var/lib/nspidfs
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/install-deps.sh
[ -d build/meson-private ] || meson setup build >/dev/null
meson compile -C build >/dev/null
mnt=/var/lib/nspidfs
mkdir -p "$mnt"
if grep -q " $mnt fuse.nspidfs " /proc/self/mounts; then
	fusermount3 -u "$mnt"
fi
build/src/nspidfs "$mnt"
show() { printf '$ %s\n' "$*"; "$@"; }
show grep " $mnt " /proc/self/mounts

# A process two PID namespaces deep, like a process of a container that runs a sandbox.
# It learns its own host PID from nspidfs (`cd -P self` resolves self for the shell itself)
# and reports it through a FIFO, so nothing here polls or sleeps.
tmp=$(mktemp -d)
mkfifo "$tmp/pid"
# unshare --fork ignores SIGTERM; with --kill-child its death takes the namespaces with it.
trap 'kill -KILL $holder 2>/dev/null; wait $holder 2>/dev/null || true; rm -rf "$tmp"' EXIT
cat >"$tmp/inner.sh" <<INNER
# PID 1 of the inner namespace starts a member (PID 2) that reports its host PID.
sh -c 'cd -P $mnt/self && basename "\$PWD" && exec sleep 600 >/dev/null' &
wait
INNER
unshare --pid --fork --kill-child \
	unshare --pid --fork --kill-child sh "$tmp/inner.sh" >"$tmp/pid" &
holder=$!
read -r deep <"$tmp/pid"

show cat "$mnt/self/ancestors"
show cat "$mnt/$deep/init"
show cat "$mnt/$deep/nspid"
show cat "$mnt/$deep/level"
show cat "$mnt/$deep/ancestors"
show grep NSpid "/proc/$deep/status"
show cat "$mnt/tree"
# The other way round: PID 2 of that namespace, as a container's log would name it.
show readlink "$mnt/$deep/pidns"
show readlink "$mnt/$deep/pidns/pid/2"
show cat "$mnt/$deep/pidns/pid/2/json"
echo "nspidfs stays mounted at $mnt; stop it with: fusermount3 -u $mnt"

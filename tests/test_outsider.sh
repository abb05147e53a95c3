#!/bin/bash
# A reader the daemon cannot name: the daemon runs in a PID namespace of its own, so FUSE gives
# it PID 0 for a reader of the parent namespace. Such a reader must see nothing, never
# everything. TAP output.
set -uo pipefail

BIN=$(realpath "${1:?usage: test_outsider.sh NSPIDFS_BINARY}")
if [ -z "${NSPIDFS_IN_PRIVATE_NS:-}" ]; then
	NSPIDFS_IN_PRIVATE_NS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi

N=0
FAILED=0
T=$(mktemp -d /tmp/nspidfs-outsider-XXXXXX)
SHARE=$T/share
MNT=$SHARE/fs
HOLDER=

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

check() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got: '$2'"$'\n'"want: '$3'"; fi
}

daemon_pid() {
	cut -d' ' -f1 "/proc/$HOLDER/task/$HOLDER/children" 2>/dev/null
}

# unshare --fork ignores SIGTERM while it waits: stop the daemon (its child) instead.
cleanup() {
	[ -n "$HOLDER" ] && kill "$(daemon_pid)" 2>/dev/null && wait "$HOLDER" 2>/dev/null
	umount -l "$MNT" 2>/dev/null
	umount -l "$SHARE" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

mkdir -p "$SHARE"
mount --bind "$SHARE" "$SHARE" && mount --make-shared "$SHARE" && mkdir -p "$MNT" ||
	{ echo "Bail out! cannot prepare the shared mount point"; exit 1; }

# The daemon's namespace gets its own /proc (in its own mount namespace, whose mounts under
# $SHARE still propagate here); it is PID 1 there, so it is stopped by killing unshare. Out of
# the host's PID namespace it refuses to start unless told that this is meant.
mkfifo "$T/ready"
unshare --pid --fork --kill-child --mount --propagation unchanged \
	bash -c 'mount --make-private /proc && mount -t proc proc /proc &&
		exec "$0" -f --allow-nested-pidns --ready-fd=3 "$1" 3>"$2"' \
	"$BIN" "$MNT" "$T/ready" 2>"$T/log" &
HOLDER=$!
read -r READY <"$T/ready"
if [ "$READY" != READY=1 ]; then
	echo "Bail out! the daemon in its own namespace did not start"
	cat "$T/log"
	exit 1
fi

out=$(cat "$MNT/self/level" 2>&1)
check "self is nothing to an outsider" "$(grep -c 'No such file' <<<"$out")" 1
check "the root lists no process to an outsider" "$(ls "$MNT" | grep -c '^[0-9]')" 0
out=$(cat "$MNT/1/level" 2>&1)
check "a PID, even the daemon's namespace's PID 1, is refused (EACCES)" \
	"$(grep -c 'Permission denied' <<<"$out")" 1
out=$(cat "$MNT/tree" 2>&1)
check "tree is refused (EACCES)" "$(grep -c 'Permission denied' <<<"$out")" 1
check "ns/ lists nothing" "$(ls "$MNT/ns" | wc -l)" 0
# A reader inside the daemon's namespace still sees everything there.
check "a reader in the daemon's namespace sees its PID 1" \
	"$(nsenter --target "$(daemon_pid)" \
		--pid --mount cat "$MNT/1/level" 2>&1)" 0

echo "1..$N"
[ "$FAILED" -eq 0 ]

#!/bin/bash
# Command-line, start-up and shutdown behaviour of the nspidfs daemon, as TAP.
#
# Usage: test_cli.sh [PATH_TO_NSPIDFS]   (default: $NSPIDFS_BIN)
# Needs root and a working /dev/fuse. Runs in a private mount namespace so that nothing it
# mounts can leak into the caller's; every daemon it starts is killed on exit.

# Re-exec in a private mount namespace first: mounts made below vanish with it.
if [ -z "${NSPIDFS_IN_MNTNS:-}" ]; then
	exec unshare -m --propagation private env NSPIDFS_IN_MNTNS=1 bash "$0" "$@"
fi

set -u

BIN=${1:-${NSPIDFS_BIN:-}}
if [ -z "$BIN" ] || [ ! -x "$BIN" ]; then
	echo "Bail out! no nspidfs binary: pass its path as \$1 or set NSPIDFS_BIN"
	exit 1
fi
# The daemon's argv[0] is this path: make it absolute so that the commands below and the
# daemonized daemon (which changes to /) agree on it.
BIN=$(realpath -- "$BIN")

T=$(mktemp -d) || exit 1
T=$(realpath -- "$T")
MNT=$T/mnt
mkdir "$MNT" || exit 1

# Every daemon started, so that the EXIT trap can kill whatever is left.
PIDS=()
N=0
FAILED=0

# The mount points, from /proc/self/mountinfo, at or under $1 (octal escapes kept).
mounts_under() {
	awk -v p="$1" '$5 == p || index($5, p "/") == 1 { print $5 }' /proc/self/mountinfo
}

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	local p m
	for p in "${PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	# Deepest first, each stacked mount once per line.
	for m in $(mounts_under "$T" | sort -r); do
		umount -l "$m" 2>/dev/null || fusermount3 -u -z "$m" 2>/dev/null
	done
	rm -rf -- "$T"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

ok() {
	N=$((N + 1))
	echo "ok $N - $1"
}

# not_ok NAME DIAGNOSTIC [FILE...]: the diagnostic and the files' contents as '# ' lines.
not_ok() {
	local name=$1 diag=$2 f
	shift 2
	N=$((N + 1))
	FAILED=$((FAILED + 1))
	echo "not ok $N - $name"
	printf '%s\n' "$diag" | sed 's/^/#   /'
	for f in "$@"; do
		echo "#   --- $f:"
		sed 's/^/#   | /' "$f" 2>/dev/null
	done
}

# check NAME RESULT DIAGNOSTIC [FILE...]: RESULT is a status, 0 meaning passed.
check() {
	if [ "$2" -eq 0 ]; then
		ok "$1"
	else
		not_ok "$1" "$3" "${@:4}"
	fi
}

# expect_fail NAME WANT_RC PHRASE CMD...: CMD exits WANT_RC with PHRASE on stderr.
# Bounded by timeout, in case a daemon starts serving when it should have refused to.
expect_fail() {
	local name=$1 want=$2 phrase=$3 rc err=$T/err.$((N + 1))
	shift 3
	timeout -k 5 30 "$@" >"$T/out" 2>"$err"
	rc=$?
	if [ "$rc" -eq "$want" ] && grep -qF -- "$phrase" "$err"; then
		ok "$name"
	else
		not_ok "$name" "command: $* | want exit $want and '$phrase' on stderr, got exit $rc" \
			"$err"
	fi
}

# expect_refusal NAME WANT_RC PHRASE CMD...: as expect_fail, and the reason is one line (the
# usage hint aside), and nothing is left mounted at $MNT.
expect_refusal() {
	local name=$1 want=$2 phrase=$3 rc lines err=$T/err.$((N + 1))
	shift 3
	timeout -k 5 30 "$@" >"$T/out" 2>"$err"
	rc=$?
	lines=$(grep -cv "^Try 'nspidfs --help'" "$err")
	if [ "$rc" -eq "$want" ] && grep -qF -- "$phrase" "$err" && [ "$lines" -eq 1 ] &&
		[ -z "$(mounts_under "$MNT")" ]; then
		ok "$name"
	else
		not_ok "$name" "command: $* | want exit $want and '$phrase' on one line of stderr,
got exit $rc, $lines lines; mounts: $(mounts_under "$MNT")" "$err"
	fi
}

# start_daemon LOG ARGS...: run "$BIN -f --ready-fd=3 ARGS..." in the background and wait
# for it to be mounted. Sets DPID and READY (READY=1, or empty if the daemon died first).
start_daemon() {
	local log=$1 fifo=$T/ready
	shift
	rm -f "$fifo"
	mkfifo "$fifo" || return 1
	# A background command of a non-interactive shell ignores SIGINT; restore it so that the
	# daemon installs its handler (libfuse leaves an ignored signal ignored).
	env --default-signal=INT "$BIN" -f --ready-fd=3 "$@" 3>"$fifo" 2>"$log" &
	DPID=$!
	PIDS+=("$DPID")
	READY=
	read -r -t 30 READY <"$fifo"
	rm -f "$fifo"
}

# stop_daemon PID [SIGNAL]: signal it (unless SIGNAL is "none") and reap it, without waiting
# forever. Sets RC to its exit status, RC=255 if it had already exited before the signal.
stop_daemon() {
	local pid=$1 sig=${2:-TERM} alive=0
	kill -0 "$pid" 2>/dev/null || alive=1
	[ "$sig" = none ] || kill -s "$sig" "$pid" 2>/dev/null
	# Bash reaps its children as they exit, so tail --pid sees it go.
	timeout 10 tail -s 0.1 --pid="$pid" -f /dev/null
	if kill -0 "$pid" 2>/dev/null; then
		echo "# daemon $pid still running 10 s after SIG$sig; killing it"
		kill -9 "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	RC=$?
	if [ "$alive" -ne 0 ] && [ "$sig" != none ]; then
		echo "# daemon $pid had exited (status $RC) before SIG$sig"
		RC=255
	fi
}

# server_of KEEPER: the serving process, the keeper's child (empty if there is none).
server_of() {
	cat "/proc/$1/task/$1/children" 2>/dev/null | awk '{ print $1 }'
}

# daemonized_keeper: the daemonized daemon's keeper, an nspidfs process whose command line
# is exactly "$BIN $MNT" (its server's is the same) and whose parent is not nspidfs.
daemonized_keeper() {
	local p parent
	for p in $(pgrep -f -- "$MNT"); do
		parent=$(awk '{ print $4 }' "/proc/$p/stat" 2>/dev/null)
		if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = nspidfs ] &&
			[ "$(cat "/proc/$parent/comm" 2>/dev/null)" != nspidfs ] &&
			[ "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" = "$BIN $MNT " ]; then
			echo "$p"
		fi
	done
}

# mountinfo_line MOUNTPOINT: the topmost mountinfo line for MOUNTPOINT, if any.
mountinfo_line() {
	awk -v p="$1" '$5 == p { l = $0 } END { if (l != "") print l }' /proc/self/mountinfo
}

# The file system type of that line: the first field after the " - " separator.
line_fstype() {
	sed -n 's/.* - \([^ ]*\) .*/\1/p' <<<"$1"
}

mounted_nspidfs() {
	local l
	l=$(mountinfo_line "$1")
	[ -n "$l" ] && [ "$(line_fstype "$l")" = fuse.nspidfs ]
}

# has_opts LIST WANTED...: every WANTED is one of the comma-separated LIST.
has_opts() {
	local list=",$1," o
	shift
	for o in "$@"; do
		case $list in
		*",$o,"*) ;;
		*) return 1 ;;
		esac
	done
}

### 1. --version and --help

out=$("$BIN" --version 2>"$T/err"); rc=$?
[ "$rc" -eq 0 ] && [[ $out =~ ^nspidfs\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
check "--version prints the version and exits 0" $? "exit $rc, stdout '$out'" "$T/err"

"$BIN" --help >"$T/out" 2>"$T/err"; rc=$?
[ "$rc" -eq 0 ] && grep -q -- '--strategy' "$T/out"
check "--help exits 0 and lists --strategy" $? "exit $rc" "$T/out" "$T/err"

# The whole tree, each path at the start of a line of its own as the README's table names it,
# and where the formats are told.
missing=
for name in self tree metrics/nspidfs.prom PID/init PID/nspid PID/ns PID/level PID/ancestors \
	PID/pidns PID/json ns/INODE/init ns/INODE/level ns/INODE/parent ns/INODE/children \
	ns/INODE/pids ns/INODE/json ns/INODE/pid/NSPID; do
	awk -v n="$name" '$1 == n { f = 1 } END { exit !f }' "$T/out" || missing="$missing $name"
done
grep -qF 'nspidfs(8)' "$T/out" || missing="$missing nspidfs(8)"
check "--help names every file of the tree and points to nspidfs(8)" \
	"$([ -z "$missing" ]; echo $?)" "missing:$missing" "$T/out"

### 2. Usage and configuration errors: exit 2

expect_fail "an unknown option is a usage error" 2 "--no-such-option" \
	"$BIN" --no-such-option "$MNT"
expect_fail "--strategy=bogus is a usage error naming bogus" 2 '"bogus"' \
	"$BIN" -f --strategy=bogus "$MNT"
expect_fail "two mount points are a usage error" 2 "one mount point expected" \
	"$BIN" -f "$MNT" "$T/other"
expect_fail "a missing --config file is a configuration error" 2 "$T/missing.conf" \
	"$BIN" -f --config="$T/missing.conf" "$MNT"
printf '[nspidfs]\nstrategy=auto\nno_such_key=1\n' >"$T/unknown.conf"
expect_fail "an unknown configuration key is a configuration error" 2 'unknown key "no_such_key"' \
	"$BIN" -f --config="$T/unknown.conf" "$MNT"
printf '[nspid]\nstrategy=auto\n' >"$T/section.conf"
expect_fail "a misspelled section is a configuration error" 2 'unknown section [nspid]' \
	"$BIN" -f --config="$T/section.conf" "$MNT"

# GLib writes its messages in UTF-8 and quotes with “ ”: shown as written in a UTF-8 locale,
# not as "?" (which it prints for any character the C locale's ASCII cannot show).
printf '[nspidfs\n' >"$T/unclosed.conf"
env -u LC_ALL -u LC_CTYPE -u LC_MESSAGES LANG=C.UTF-8 \
	"$BIN" -f --config="$T/unclosed.conf" "$MNT" >/dev/null 2>"$T/err.locale"
rc=$?
[ "$rc" -eq 2 ] && grep -qF '“[nspidfs”' "$T/err.locale" && ! grep -qF '?' "$T/err.locale"
check "under LANG=C.UTF-8 a configuration error keeps GLib's quotes" $? "exit $rc" \
	"$T/err.locale"

# libfuse says which -o it does not know in pieces: one line, and a usage error.
expect_refusal "an unknown -o is a usage error, told in one line" 2 "bogusopt" \
	"$BIN" -f -o bogusopt "$MNT"
# libfuse mounts with max_read, then refuses FUSE_INIT: refused before mounting, in every mode.
expect_refusal "-o max_read is refused before mounting (-f)" 2 "max_read" \
	"$BIN" -f -o max_read=4096 "$MNT"
expect_refusal "-o max_read is refused before mounting (daemonized)" 2 "max_read" \
	"$BIN" -o max_read=4096 "$MNT"
expect_refusal "-o max_read is refused before mounting (--ready-fd)" 2 "max_read" \
	"$BIN" --ready-fd=3 -o max_read=4096 "$MNT" 3>/dev/null
# libfuse says why a mount failed apart from ours.
expect_refusal "a mount the kernel refuses fails, with its reason in one line" 1 \
	"cannot mount at $MNT: mount failed: Invalid argument" "$BIN" -f -o blksize=4096 "$MNT"

expect_fail "--snapshot-ms out of range is a usage error" 2 "--snapshot-ms" \
	"$BIN" -f --snapshot-ms=-1 "$MNT"
printf '[nspidfs]\nsnapshot_ms=abc\n' >"$T/snap.conf"
expect_fail "a bad snapshot_ms in the file is a configuration error" 2 "snapshot_ms" \
	"$BIN" -f --config="$T/snap.conf" "$MNT"
expect_fail "--ready-fd naming a closed descriptor fails before mounting" 1 "--ready-fd 77" \
	"$BIN" -f --ready-fd=77 "$MNT"

### 3. Bad mount points: exit 1

expect_fail "a missing mount point fails, naming it" 1 "$T/absent" \
	"$BIN" -f "$T/absent"
: >"$T/file"
expect_fail "a regular file as mount point fails: not a directory" 1 "not a directory" \
	"$BIN" -f "$T/file"

### 4. Not root

expect_fail "not root: refuses to start" 1 "root" \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" -f "$MNT"

### 5. No /dev/fuse

# shellcheck disable=SC2016 # expanded by the inner bash, from its arguments
expect_fail "no /dev/fuse: refuses to start, naming it" 1 "/dev/fuse" \
	unshare -m --propagation private \
	bash -c 'mount -t tmpfs none /dev && exec "$1" -f "$2"' inner "$BIN" "$MNT"

### 6. A normal mount

start_daemon "$T/log6" "$MNT"
pid6=$DPID
check "normal start: READY=1 on --ready-fd" "$([ "$READY" = READY=1 ]; echo $?)" \
	"read '$READY'" "$T/log6"

line=$(mountinfo_line "$MNT")
fstype=$(line_fstype "$line")
mntopts=$(awk '{ print $6 }' <<<"$line")
superopts=$(awk '{ print $NF }' <<<"$line")
[ "$fstype" = fuse.nspidfs ] && has_opts "$mntopts" ro nosuid nodev noexec &&
	has_opts "$superopts" allow_other
check "mounted as fuse.nspidfs, ro,nosuid,nodev,noexec with allow_other" $? \
	"mountinfo line: '$line'"

mount | grep -qF " on $MNT type fuse.nspidfs "
check "mount(8) lists fuse.nspidfs at the mount point" $? "$(mount | grep -F "$T")"

level=$(cat "$MNT/self/level" 2>&1)
check "self/level is 0 for a process of the daemon's namespace" \
	"$([ "$level" = 0 ]; echo $?)" "self/level: '$level'"

nspid=$(cat "$MNT/$$/nspid" 2>&1)
check "\$\$/nspid is \$\$ in the daemon's namespace" "$([ "$nspid" = "$$" ]; echo $?)" \
	"$$/nspid: '$nspid'"

### 7. A second daemon on a live mount

expect_fail "a second daemon on a live mount point refuses: already mounted" 1 \
	"already mounted" "$BIN" -f "$MNT"
mounted_nspidfs "$MNT"
check "the first daemon's mount survives the refused second daemon" $? \
	"$(mountinfo_line "$MNT")"

### 8. SIGTERM and SIGINT unmount cleanly

stop_daemon "$pid6" TERM
[ "$RC" -eq 0 ] && [ -z "$(mounts_under "$MNT")" ]
check "SIGTERM: exit 0 and unmounted" $? \
	"exit $RC, mounts left: $(mounts_under "$MNT")" "$T/log6"

start_daemon "$T/log8" "$MNT"
pid8=$DPID
if [ "$READY" = READY=1 ]; then
	stop_daemon "$pid8" INT
	[ "$RC" -eq 0 ] && [ -z "$(mounts_under "$MNT")" ]
	check "SIGINT: exit 0 and unmounted" $? \
		"exit $RC, mounts left: $(mounts_under "$MNT")" "$T/log8"
else
	stop_daemon "$pid8" none
	not_ok "SIGINT: exit 0 and unmounted" "daemon not ready: '$READY', exit $RC" "$T/log8"
fi

# SIGHUP reloads: a new server takes over, the mount stays and serves.
start_daemon "$T/log8h" "$MNT"
if [ "$READY" = READY=1 ]; then
	before=$(server_of "$DPID")
	kill -s HUP "$DPID"
	for _ in $(seq 300); do
		after=$(server_of "$DPID")
		[ -n "$after" ] && [ "$after" != "$before" ] &&
			[ "$(wc -w <"/proc/$DPID/task/$DPID/children")" -eq 1 ] && break
		sleep 0.1 # a bounded poll for another process's state, not a synchronisation
	done
	level=$(cat "$MNT/self/level" 2>&1)
	stop_daemon "$DPID" TERM
	[ "$after" != "$before" ] && [ "$level" = 0 ] && [ "$RC" -eq 0 ] &&
		[ -z "$(mounts_under "$MNT")" ]
	check "SIGHUP: a new server serves the same mount" $? \
		"servers $before -> $after, self/level '$level', exit $RC" "$T/log8h"
else
	stop_daemon "$DPID" none
	not_ok "SIGHUP: a new server serves the same mount" "daemon not ready: '$READY'" "$T/log8h"
fi

# kill(2) with a thread's ID hands the signal to that thread unless it blocks it: a worker
# that took SIGTERM would end the session while the reading thread slept on. The server
# that stops so stops its keeper too.
start_daemon "$T/log8w" "$MNT"
if [ "$READY" = READY=1 ]; then
	server=$(server_of "$DPID")
	worker=$(ls "/proc/$server/task" | grep -vx "$server" | tail -n 1)
	kill -s TERM "$worker"
	stop_daemon "$DPID" none
	[ -n "$worker" ] && [ "$RC" -eq 0 ] && [ -z "$(mounts_under "$MNT")" ]
	check "SIGTERM to a worker thread: exit 0 and unmounted" $? \
		"worker '$worker', exit $RC, mounts left: $(mounts_under "$MNT")" "$T/log8w"
else
	stop_daemon "$DPID" none
	not_ok "SIGTERM to a worker thread: exit 0 and unmounted" \
		"daemon not ready: '$READY', exit $RC" "$T/log8w"
fi

start_daemon "$T/log8u" "$MNT"
if [ "$READY" = READY=1 ]; then
	fusermount3 -u "$MNT" 2>"$T/err"
	rc=$?
	stop_daemon "$DPID" none
	[ "$rc" -eq 0 ] && [ "$RC" -eq 0 ] && [ -z "$(mounts_under "$MNT")" ]
	check "fusermount3 -u: the foreground daemon exits 0" $? \
		"fusermount3 exit $rc, daemon exit $RC, mounts left: $(mounts_under "$MNT")" \
		"$T/err" "$T/log8u"
else
	stop_daemon "$DPID" none
	not_ok "fusermount3 -u: the foreground daemon exits 0" \
		"daemon not ready: '$READY', exit $RC" "$T/log8u"
fi

### 9. A stale mount left by a killed daemon

start_daemon "$T/log9a" "$MNT"
server9=$(server_of "$DPID")
# (stderr: bash's "Killed" job notice.)
{ stop_daemon "$DPID" KILL; } 2>/dev/null
# The server stops on its own once its keeper is gone; until then it may still answer, or
# abort what it read (ECONNABORTED). The mount is stale once both are gone.
[ -n "$server9" ] && timeout 10 tail -s 0.1 --pid="$server9" -f /dev/null
err=$(stat "$MNT" 2>&1)
rc=$?
[ "$RC" -eq 137 ] && [ "$rc" -ne 0 ] && [[ $err == *"Transport endpoint is not connected"* ]]
check "after kill -9 the mount is stale (ENOTCONN)" $? \
	"daemon exit $RC (want 137), stat exit $rc: $err" "$T/log9a"

start_daemon "$T/log9b" "$MNT"
pid9=$DPID
[ "$READY" = READY=1 ] && grep -q "stale" "$T/log9b"
check "a new daemon replaces the stale mount, logging it" $? "read '$READY'" "$T/log9b"

level=$(cat "$MNT/self/level" 2>&1)
check "the replacing daemon serves" "$([ "$level" = 0 ]; echo $?)" "self/level: '$level'"

stop_daemon "$pid9" TERM
[ "$RC" -eq 0 ] && [ -z "$(mounts_under "$MNT")" ] && stat "$MNT" >/dev/null 2>&1
check "SIGTERM after the replacement: exit 0, no stale mount left" $? \
	"exit $RC, mounts left: $(mounts_under "$MNT")" "$T/log9b"

### 10. The configuration file, overridden by the command line

printf '[nspidfs]\nstrategy=status\n' >"$T/status.conf"

start_daemon "$T/log10a" --config="$T/status.conf" "$MNT"
pid10=$DPID
grep -qF "serving $MNT with strategy status" "$T/log10a"
check "strategy=status from the configuration file is used" $? "read '$READY'" "$T/log10a"
stop_daemon "$pid10" TERM
check "the daemon configured by file exits 0 on SIGTERM" "$RC" "exit $RC" "$T/log10a"

start_daemon "$T/log10b" --config="$T/status.conf" --strategy=ioctl "$MNT"
pid10=$DPID
grep -qF "serving $MNT with strategy ioctl" "$T/log10b"
check "--strategy=ioctl on the command line overrides the file" $? "read '$READY'" \
	"$T/log10b"
stop_daemon "$pid10" TERM
check "the daemon with the overriding option exits 0 on SIGTERM" "$RC" "exit $RC" \
	"$T/log10b"

### 11. Daemonized (no -f)

timeout -k 5 30 "$BIN" "$MNT" >"$T/out11" 2>"$T/log11"
rc=$?
mounted_nspidfs "$MNT"
mounted=$?
[ "$rc" -eq 0 ] && [ "$mounted" -eq 0 ]
check "daemonized: returns 0 once mounted" $? "exit $rc, mountinfo: $(mountinfo_line "$MNT")" \
	"$T/log11"

dpid=$(daemonized_keeper)
if [ -n "$dpid" ]; then
	PIDS+=("$dpid")
	ok "daemonized: the daemon runs in the background (pid $dpid)"
	level=$(cat "$MNT/self/level" 2>&1)
	check "daemonized: serves" "$([ "$level" = 0 ]; echo $?)" "self/level: '$level'"
	fusermount3 -u "$MNT" 2>"$T/err"
	rc=$?
	# Not our child: poll until it is gone, bounded.
	for _ in 1 2 3; do
		kill -0 "$dpid" 2>/dev/null || break
		timeout 10 tail -s 0.1 --pid="$dpid" -f /dev/null
	done
	! kill -0 "$dpid" 2>/dev/null && [ "$rc" -eq 0 ] && [ -z "$(mounts_under "$MNT")" ]
	check "daemonized: fusermount3 -u unmounts and the daemon exits" $? \
		"fusermount3 exit $rc; $(ps -o pid=,stat=,args= -p "$dpid"); mounts left: $(mounts_under "$MNT")" \
		"$T/err"
else
	not_ok "daemonized: the daemon runs in the background" \
		"no nspidfs process for $MNT: $(pgrep -a nspidfs)"
fi

### 12. A start that fails once mounted: exit 1, the reason on stderr, nothing left

# Without CAP_SYS_CHROOT the creds helpers cannot be isolated, which only the server finds,
# after the keeper mounted. Daemonized, the command must wait for that outcome.
nochroot=(setpriv --bounding-set=-sys_chroot)
for mode in -f daemonized --ready-fd; do
	case $mode in
	-f) args=(-f) ;;
	daemonized) args=() ;;
	--ready-fd) args=(--ready-fd=3) ;;
	esac
	: >"$T/ready12"
	timeout -k 5 30 "${nochroot[@]}" "$BIN" "${args[@]}" --strategy=creds "$MNT" \
		3>"$T/ready12" >"$T/out" 2>"$T/err12"
	rc=$?
	[ "$rc" -eq 1 ] && grep -qF "strategy creds cannot be used here" "$T/err12" &&
		[ -z "$(mounts_under "$MNT")" ] && [ ! -s "$T/ready12" ] &&
		[ -z "$(pgrep -f -- "--strategy=creds $MNT")" ]
	check "a server that cannot serve: exit 1, told, nothing left ($mode)" $? \
		"exit $rc; mounts: $(mounts_under "$MNT"); ready: '$(cat "$T/ready12")';
processes: $(pgrep -af -- "--strategy=creds $MNT")" "$T/err12"
done

### 13. Daemonized with no syslog: messages go to the stderr it was started with

# Whatever this host has at /dev/log, this private mount namespace has no syslog there from
# now on (a socket overmounted by /dev/null refuses connections).
if [ -S /dev/log ] && ! mount --bind /dev/null /dev/log; then
	echo "Bail out! cannot hide /dev/log"
	exit 1
fi
timeout -k 5 30 "$BIN" "$MNT" >/dev/null 2>"$T/log13"
rc=$?
dpid=$(daemonized_keeper)
[ -n "$dpid" ] && PIDS+=("$dpid")
# Its stop is logged once it has long been serving: told on stderr, or nowhere.
fusermount3 -u "$MNT" 2>"$T/err"
[ -n "$dpid" ] && timeout 10 tail -s 0.1 --pid="$dpid" -f /dev/null
[ "$rc" -eq 0 ] && [ -n "$dpid" ] && ! kill -0 "$dpid" 2>/dev/null &&
	grep -qF "$MNT was unmounted: stopping" "$T/log13"
check "daemonized without syslog: the stop is logged on the stderr it was started with" $? \
	"exit $rc, keeper '$dpid'" "$T/log13" "$T/err"

### 14. Outside the host's PID namespace: refused, unless an option says it is meant

# It would see only the processes of its own namespace and answer no reader outside it.
expect_refusal "in a PID namespace of its own: refuses, naming the option" 1 \
	"--allow-nested-pidns" unshare -p -f --mount-proc "$BIN" -f "$MNT"

# nested_serves LOG ARGS...: in a new PID namespace (and mount namespace, for its /proc), the
# daemon with ARGS serves its own namespace there: prints "READY=1 LEVEL STATUS" from inside,
# LEVEL being self/level of a reader there and STATUS the daemon's at SIGTERM. Its init is
# the shell, whose end kills everything left in the namespace.
nested_serves() {
	local log=$1
	shift
	rm -f "$T/ready14"
	mkfifo "$T/ready14" || return 1
	# shellcheck disable=SC2016 # expanded by the inner bash, from its arguments
	timeout -k 5 30 unshare -p -f --mount-proc bash -c '
		bin=$1 mnt=$2 fifo=$3 log=$4
		shift 4
		"$bin" -f --ready-fd=3 "$@" "$mnt" 3>"$fifo" 2>"$log" &
		read -r -t 30 ready <"$fifo"
		level=$(cat "$mnt/self/level" 2>&1)
		kill -TERM $! && wait $!
		echo "$ready $level $?"' inner "$BIN" "$MNT" "$T/ready14" "$log" "$@"
}

out=$(nested_serves "$T/log14a" --allow-nested-pidns)
check "--allow-nested-pidns: serves its own namespace" "$([ "$out" = "READY=1 0 0" ]; echo $?)" \
	"got '$out' (want 'READY=1 0 0')" "$T/log14a"
printf '[nspidfs]\nallow_nested_pidns=true\n' >"$T/nested.conf"
out=$(nested_serves "$T/log14b" --config="$T/nested.conf")
check "allow_nested_pidns=true in the configuration file: serves" \
	"$([ "$out" = "READY=1 0 0" ]; echo $?)" "got '$out' (want 'READY=1 0 0')" "$T/log14b"

echo "1..$N"
if [ "$FAILED" -ne 0 ]; then
	echo "# $FAILED of $N failed"
	exit 1
fi
exit 0

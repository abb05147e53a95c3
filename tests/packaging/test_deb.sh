#!/bin/bash
# The Debian packages as a user gets them: built from this tree with `dpkg-buildpackage -b`,
# checked with lintian, installed with `apt install ./nspidfs_*.deb` into a scratch Debian 12
# root (made from Debian's packages: tests/packaging/debian-base.sh), the installed daemon
# mounted there and read, with the installed Python module too, then purged. TAP output.
#
#   test_deb.sh CACHE_DIR      (the base is kept there between runs)
set -euo pipefail

CACHE=${1:?usage: test_deb.sh CACHE_DIR}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$SRC/tests/packaging
MNT=/var/lib/nspidfs # the unit's mount point, inside the scratch root

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (chroot, mounts)"
	exit 0
fi
for tool in dpkg-buildpackage lintian mmdebstrap dh_python3; do
	if ! command -v "$tool" >/dev/null; then
		echo "1..0 # SKIP $tool is not installed (tests/packaging/install-deps.sh installs it)"
		exit 0
	fi
done

# Everything below runs in a private mount namespace: the scratch root's mounts go with it.
if [ -z "${NSPIDFS_IN_PRIVATE_NS:-}" ]; then
	CACHE=$(mkdir -p "$CACHE" && realpath "$CACHE")
	NSPIDFS_IN_PRIVATE_NS=1 exec unshare --mount --propagation private bash "$0" "$CACHE"
fi

T=$(mktemp -d /tmp/nspidfs-deb-XXXXXX)
R=$T/root
DAEMON=
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
	if [ -n "$DAEMON" ]; then
		kill -9 "$DAEMON" 2>/dev/null
		wait "$DAEMON" 2>/dev/null
	fi
	[ -d "$R" ] && umount -R -l "$R/proc" "$R/dev" "$R/run" "$R$MNT" 2>/dev/null
	rm -rf "$T"
	echo "1..$N"
}
trap cleanup EXIT

# in_root COMMAND...: run COMMAND in the scratch root, as on a Debian 12 machine.
in_root() {
	chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@"
}

### Build and lint

# The tree as git has it (tracked and new files, not ignored ones such as build directories).
mkdir "$T/src"
if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$SRC" ls-files -z --cached --others --exclude-standard |
		(cd "$SRC" && xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh) |
		tar -C "$SRC" --null -T - -cf - | tar -C "$T/src" -xf -
else
	tar -C "$SRC" --exclude='./build*' --exclude=./obj-* -cf - . | tar -C "$T/src" -xf -
fi
version=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$SRC/meson.build" | head -n 1)
check "debian/changelog's version is the project's" \
	"$(cd "$T/src" && dpkg-parsechangelog -S Version)" "$version"
if (cd "$T/src" && dpkg-buildpackage -b -us -uc) >"$T/build.log" 2>&1; then
	ok "dpkg-buildpackage -b -us -uc"
else
	bail_out "dpkg-buildpackage failed" "$T/build.log"
fi
deb=$T/nspidfs_${version}_$(dpkg --print-architecture).deb
pydeb=$T/python3-nspidfs_${version}_all.deb
[ -f "$deb" ] && [ -f "$pydeb" ] || bail_out "no $deb and $pydeb"

# Errors and warnings fail; what lintian says besides (info, pedantic, overrides) is shown.
if lintian --fail-on error,warning --display-info --pedantic --show-overrides \
	"$T"/nspidfs_*.changes >"$T/lintian.log" 2>&1; then
	ok "lintian: no error, no warning"
	grep -v '^running with root privileges' "$T/lintian.log" | sed 's/^/# lintian: /' || true
else
	not_ok "lintian: no error, no warning" "$(grep -v '^running with root' "$T/lintian.log")"
fi

### apt install ./nspidfs_*.deb on a fresh Debian 12

base=$(bash "$HERE/debian-base.sh" tar "$CACHE" 2>"$T/base.log") ||
	bail_out "cannot make the Debian base" "$T/base.log"
mkdir "$R"
tar -C "$R" -xf "$base"
# A Debian 12 machine has manual pages: the base's slimming is for images.
rm -f "$R/etc/dpkg/dpkg.cfg.d/99mmdebstrap"
cp /etc/resolv.conf "$R/etc/resolv.conf"
mount -t proc proc "$R/proc" && mount --rbind /dev "$R/dev" && mount -t tmpfs tmpfs "$R/run" ||
	bail_out "cannot mount /proc, /dev and /run in the scratch root"
cp "$deb" "$pydeb" "$R/tmp/"
# No /run/systemd/system there: maintainer scripts enable the unit but start nothing.
if in_root sh -c 'apt-get update -qq && cd /tmp && apt install -y -q ./nspidfs_*.deb' \
	>"$T/install.log" 2>&1; then
	ok "apt install ./nspidfs_*.deb"
else
	bail_out "apt install ./nspidfs_*.deb failed" "$T/install.log"
fi
check "dpkg knows nspidfs $version as installed" \
	"$(in_root dpkg-query -W -f '${Status} ${Version}' nspidfs)" "install ok installed $version"
check "/usr/sbin/nspidfs runs" "$(in_root /usr/sbin/nspidfs --version 2>&1)" "nspidfs $version"
check "/etc/nspidfs/nspidfs.conf is a conffile" \
	"$(in_root dpkg-query -W -f '${Conffiles}\n' nspidfs | awk 'NF { print $1 }')" \
	/etc/nspidfs/nspidfs.conf
check "the daemon's default configuration is /etc/nspidfs/nspidfs.conf" \
	"$(in_root /usr/sbin/nspidfs --help 2>&1 | tr -s ' \n' '  ' |
		grep -o '(default /etc/nspidfs/nspidfs.conf if it exists)')" \
	"(default /etc/nspidfs/nspidfs.conf if it exists)"
check "the manual page is installed" \
	"$(in_root sh -c 'zcat /usr/share/man/man8/nspidfs.8.gz | grep -c "^\.TH \"*nspidfs\"* \"*8"')" 1
unit=/lib/systemd/system/nspidfs.service
check "the systemd unit is installed and starts /usr/sbin/nspidfs" \
	"$(grep '^ExecStart=' "$R$unit")" 'ExecStart=/usr/sbin/nspidfs -f ${NSPIDFS_MOUNTPOINT}'
check "the unit is enabled (deb-systemd-helper)" \
	"$(readlink "$R/etc/systemd/system/multi-user.target.wants/nspidfs.service")" "$unit"
dsh=var/lib/systemd/deb-systemd-helper-enabled
check "deb-systemd-helper recorded it, for purge" \
	"$(cat "$R/$dsh/nspidfs.service.dsh-also" 2>&1)" \
	/etc/systemd/system/multi-user.target.wants/nspidfs.service

### The installed daemon, mounted and read

mkdir -p "$R$MNT"
mkfifo "$T/ready"
chroot "$R" /usr/sbin/nspidfs -f --ready-fd=3 "$MNT" 3>"$T/ready" 2>"$T/daemon.log" &
DAEMON=$!
read -r ready <"$T/ready" || ready=
[ "$ready" = READY=1 ] || bail_out "the installed nspidfs did not start" "$T/daemon.log"
ok "the installed daemon mounts $MNT (with the installed configuration)"
check "its tree answers: self/level is 0" "$(in_root cat "$MNT/self/level" 2>&1)" 0
self=$(cd -P "$R$MNT/self" && echo "${PWD##*/} $BASHPID")
check "self names the reader" "${self% *}" "${self#* }"

if in_root sh -c 'cd /tmp && apt install -y -q ./python3-nspidfs_*.deb' >"$T/install.log" 2>&1
then
	ok "apt install ./python3-nspidfs_*.deb"
	check "the installed Python module reads the mount" \
		"$(in_root python3 -c 'import os, nspidfs
me = nspidfs.self_pid()
print(nspidfs.__file__, me == os.getpid(), nspidfs.init_pid(me), nspidfs.ancestors(me)[-1].level)' 2>&1)" \
		"/usr/lib/python3/dist-packages/nspidfs/__init__.py True 1 0"
else
	not_ok "apt install ./python3-nspidfs_*.deb" "$(tail -n 20 "$T/install.log")"
fi

kill -TERM "$DAEMON"
status=0
wait "$DAEMON" || status=$?
DAEMON=
check "SIGTERM: the daemon exits 0" "$status" 0
check "and leaves no mount" "$(findmnt -n -o FSTYPE -M "$R$MNT" 2>&1)" ""

# The conffile is what it reads: a bad value there is a configuration error (exit 2).
echo 'strategy=nonsense' >>"$R/etc/nspidfs/nspidfs.conf"
status=0
in_root /usr/sbin/nspidfs -f "$MNT" >"$T/bad.log" 2>&1 || status=$?
check "a bad /etc/nspidfs/nspidfs.conf stops it (exit 2)" "$status" 2

### Purge

if in_root apt-get purge -y -q nspidfs python3-nspidfs >"$T/purge.log" 2>&1; then
	ok "apt-get purge nspidfs python3-nspidfs"
else
	not_ok "apt-get purge nspidfs python3-nspidfs" "$(tail -n 20 "$T/purge.log")"
fi
left=$(cd "$R" && ls -d usr/sbin/nspidfs etc/nspidfs lib/systemd/system/nspidfs.service \
	etc/systemd/system/multi-user.target.wants/nspidfs.service "$dsh/nspidfs.service.dsh-also" \
	usr/lib/python3/dist-packages/nspidfs 2>/dev/null || true)
check "nothing is left: binary, configuration, unit, its enablement, Python module" "$left" ""

[ "$FAILED" -eq 0 ]

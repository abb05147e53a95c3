#!/bin/bash
# A Debian 12 base for the slow packaging tests, made from Debian's packages where no image
# can be pulled: mmdebstrap's minbase variant (the required packages and apt), slimmed as the
# debian:bookworm-slim image is (no manual pages, documentation or translations), from the
# host's Debian sources. Kept in CACHE_DIR, and in podman's store, under a key of the recipe
# and the ISO week, so that a week's runs share it and a new week gets security updates.
#
#   debian-base.sh tar CACHE_DIR     make the tarball if missing; print its path
#   debian-base.sh image CACHE_DIR   also import it into podman if missing; print the image
set -euo pipefail

mode=${1:?usage: debian-base.sh tar|image CACHE_DIR}
cache=${2:?usage: debian-base.sh tar|image CACHE_DIR}
mkdir -p "$cache"
cache=$(realpath "$cache")

# The host's Debian sources where it has them (a local mirror keeps working), else
# mmdebstrap's default mirrors for a stable release (with its updates and security).
mirror=()
if [ -s /etc/apt/sources.list.d/debian.sources ]; then
	mirror=(/etc/apt/sources.list.d/debian.sources)
elif grep -qs '^deb ' /etc/apt/sources.list; then
	mirror=(/etc/apt/sources.list)
fi
slim=(
	--dpkgopt='path-exclude=/usr/share/man/*'
	--dpkgopt='path-exclude=/usr/share/doc/*'
	--dpkgopt='path-include=/usr/share/doc/*/copyright'
	--dpkgopt='path-exclude=/usr/share/info/*'
	--dpkgopt='path-exclude=/usr/share/locale/*'
	--dpkgopt='path-include=/usr/share/locale/locale.alias'
	--dpkgopt='path-exclude=/usr/share/lintian/*'
)
# merged-usr: /usr merged by the hook, as Debian 12's images are, not by usrmerge and Perl.
recipe=(mmdebstrap --variant=minbase --mode=root --format=tar
	--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr "${slim[@]}" bookworm)
key=$({
	printf '%s\n' "${recipe[@]}" "$(date -u +%G-%V)"
	[ ${#mirror[@]} -eq 0 ] || cat "${mirror[@]}"
} | sha256sum | cut -c1-16)
tarball=$cache/debian-base-$key.tar
image=localhost/nspidfs-test-base:$key

# One maker at a time (meson may run tests at once; other build trees share podman's store).
exec 9>"$cache/debian-base.lock"
flock 9

if [ ! -s "$tarball" ]; then
	rm -f "$cache"/debian-base-*.tar
	"${recipe[@]}" "$tarball.part" "${mirror[@]}" </dev/null >"$cache/mmdebstrap.log" 2>&1 ||
		{ tail -n 30 "$cache/mmdebstrap.log" >&2; rm -f "$tarball.part"; exit 1; }
	mv "$tarball.part" "$tarball"
fi

case $mode in
tar) echo "$tarball" ;;
image)
	if ! podman image exists "$image"; then
		podman import --quiet "$tarball" "$image" >/dev/null
		# Earlier weeks' bases: gone unless a container still uses them.
		podman images --format '{{.Repository}}:{{.Tag}}' localhost/nspidfs-test-base |
			grep -vxF "$image" | xargs -r podman rmi >/dev/null 2>&1 || true
	fi
	echo "$image"
	;;
*)
	echo "debian-base.sh: unknown mode $mode" >&2
	exit 2
	;;
esac

#!/bin/bash
# The whole test suite: install what it needs, build, run every test (as root: the tests
# mount FUSE filesystems and create PID namespaces). Extra arguments go to `meson setup`,
# e.g. -Db_sanitize=address,undefined. The build directory is $NSPIDFS_BUILD_DIR or build.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
	echo "tests/run.sh: run as root (the tests mount FUSE and create PID namespaces)" >&2
	exit 1
fi
bash tests/install-deps.sh
builddir=${NSPIDFS_BUILD_DIR:-build}
if [ -d "$builddir/meson-private" ]; then
	meson setup --reconfigure "$builddir" "$@" >/dev/null
else
	meson setup "$builddir" "$@" >/dev/null
fi
meson compile -C "$builddir"
meson test -C "$builddir" --print-errorlogs

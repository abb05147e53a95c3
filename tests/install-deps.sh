#!/bin/bash
# Debian packages (Debian 12) needed to build nspidfs and run it (`install-deps.sh build`, as
# tests/demo.sh does), or to build it and run its whole test suite (no argument).
set -euo pipefail
build=(
	meson ninja-build pkg-config gcc
	libfuse3-dev fuse3 libglib2.0-dev
	libcmocka-dev # meson configures the unit tests with the build, even if they never run
	util-linux mount python3
)
tests=(
	clang clang-format
	libclang-rt-14-dev # libFuzzer and the sanitizers' runtimes for clang 14
	scdoc procps coreutils
	podman runc busybox-static
	# test_metrics: promtool (in prometheus) and node_exporter
	prometheus prometheus-node-exporter
	python3-pytest python3-yaml golang-go groff-base
	systemd # for systemd-analyze only: PID 1 need not be systemd
)
case ${1:-all} in
build) packages=("${build[@]}") ;;
all) packages=("${build[@]}" "${tests[@]}") ;;
*)
	echo "usage: install-deps.sh [build]" >&2
	exit 2
	;;
esac
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

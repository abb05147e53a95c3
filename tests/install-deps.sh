#!/bin/bash
# Debian packages needed to build nspidfs and run its whole test suite (Debian 12).
set -euo pipefail
packages=(
	meson ninja-build pkg-config gcc clang clang-format
	libclang-rt-14-dev # libFuzzer and the sanitizers' runtimes for clang 14
	libfuse3-dev fuse3 libglib2.0-dev libcmocka-dev scdoc
	util-linux mount procps coreutils python3
	podman runc busybox-static
	# test_metrics: promtool (in prometheus) and node_exporter
	prometheus prometheus-node-exporter
	python3-pytest python3-yaml golang-go groff-base
	systemd # for systemd-analyze only: PID 1 need not be systemd
)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

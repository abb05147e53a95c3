#!/bin/bash
# Debian packages the slow suite needs (Debian 12), beyond tests/install-deps.sh: building and
# checking the .deb (its Build-Depends are read from debian/control), making a Debian base
# image from packages, running the image and the Kubernetes manifests with podman, and the
# container runtimes of tests/test_runtimes.sh (its daemons are started by the test itself).
set -euo pipefail
cd "$(dirname "$0")/../.."
packages=(
	dpkg-dev debhelper dh-python lintian # dpkg-buildpackage -b, lintian
	mmdebstrap                           # the base image, where none can be pulled
	podman runc catatonit                # catatonit: the pods' infra container
	busybox-static python3-yaml          # the example pod's image; the manifests
	docker.io containerd                 # dockerd over containerd, and ctr alone
	lxc                                  # its busybox template needs busybox-static
)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
export DEBIAN_FRONTEND=noninteractive
if ((${#missing[@]})) || ! dpkg-checkbuilddeps >/dev/null 2>&1; then
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	dpkg-checkbuilddeps >/dev/null 2>&1 ||
		apt-get build-dep -y -qq --no-install-recommends "$PWD" >/dev/null
fi

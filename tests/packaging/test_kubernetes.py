"""config/kubernetes: the DaemonSet and the example pod parse, and the fields that make
nspidfs work in a cluster are right and agree with each other, with the binary's options
and with the project's version."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml
from conftest import SOURCE_ROOT

K8S = SOURCE_ROOT / "config" / "kubernetes"
MOUNT = "/var/lib/nspidfs"


def load(name: str) -> List[Dict[str, Any]]:
    with open(K8S / name) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def by_kind(docs: List[Dict[str, Any]], kind: str) -> Dict[str, Any]:
    found = [d for d in docs if d.get("kind") == kind]
    assert len(found) == 1, f"want one {kind}, got {len(found)}"
    return found[0]


def project_version() -> str:
    m = re.search(r"version\s*:\s*'([^']+)'", (SOURCE_ROOT / "meson.build").read_text())
    assert m, "no version in meson.build"
    return m.group(1)


@pytest.fixture(scope="module")
def daemonset() -> Dict[str, Any]:
    return by_kind(load("daemonset.yaml"), "DaemonSet")


@pytest.fixture(scope="module")
def container(daemonset) -> Dict[str, Any]:
    (c,) = daemonset["spec"]["template"]["spec"]["containers"]
    return c


def volumes(pod_spec: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    return {v["name"]: v for v in pod_spec.get("volumes", [])}


def mount_of(container: Dict[str, Any], path: str) -> Dict[str, Any]:
    found = [m for m in container.get("volumeMounts", []) if m["mountPath"] == path]
    assert len(found) == 1, f"want one volume mounted at {path}, got {found}"
    return found[0]


def test_daemonset_basics(daemonset) -> None:
    assert daemonset["apiVersion"] == "apps/v1"
    spec = daemonset["spec"]
    labels = spec["template"]["metadata"]["labels"]
    assert spec["selector"]["matchLabels"].items() <= labels.items(), "selector matches pods"
    assert spec["template"]["spec"]["hostPID"] is True, "the daemon must see every process"
    assert spec["template"]["spec"]["hostNetwork"] is True, "process events are the host's"


def test_daemonset_mount_propagation(daemonset, container) -> None:
    pod = daemonset["spec"]["template"]["spec"]
    m = mount_of(container, MOUNT)
    assert m["mountPropagation"] == "Bidirectional", "the FUSE mount must reach the host"
    assert not m.get("readOnly", False)
    vol = volumes(pod)[m["name"]]
    assert vol["hostPath"]["path"] == MOUNT
    assert vol["hostPath"].get("type") in ("Directory", "DirectoryOrCreate")
    # Kubernetes refuses Bidirectional propagation outside privileged containers.
    assert container["securityContext"]["privileged"] is True


def test_daemonset_fuse_device(daemonset, container) -> None:
    m = mount_of(container, "/dev/fuse")
    vol = volumes(daemonset["spec"]["template"]["spec"])[m["name"]]
    assert vol["hostPath"] == {"path": "/dev/fuse", "type": "CharDevice"}


def test_daemonset_command_and_image(container, nspidfs_bin: Path) -> None:
    cmd = container["command"]
    assert cmd[0] == "/usr/sbin/nspidfs", "meson install --prefix=/usr puts it there"
    assert "-f" in cmd or "--foreground" in cmd, "in the foreground, or the container exits"
    assert cmd[-1] == MOUNT == mount_of(container, MOUNT)["mountPath"]
    image = container["image"]
    assert image.rsplit(":", 1)[-1] == project_version(), f"{image}: tag is not the version"
    # Every option it passes is one the binary has.
    help_text = subprocess.run(
        [str(nspidfs_bin), "--help"], capture_output=True, text=True, check=True
    ).stdout
    for arg in cmd[1:-1]:
        if arg.startswith("--"):
            assert re.search(rf"\s{re.escape(arg.split('=')[0])}[=\s]", help_text), arg


def test_daemonset_config(daemonset, container, nspidfs_bin: Path, tmp_path: Path) -> None:
    docs = load("daemonset.yaml")
    (config_arg,) = [a for a in container["command"] if a.startswith("--config=")]
    path = Path(config_arg.split("=", 1)[1])
    m = mount_of(container, str(path.parent))
    cm_name = volumes(daemonset["spec"]["template"]["spec"])[m["name"]]["configMap"]["name"]
    cm = by_kind(docs, "ConfigMap")
    assert cm["metadata"]["name"] == cm_name
    assert cm["metadata"]["namespace"] == daemonset["metadata"]["namespace"]
    conf = tmp_path / path.name
    conf.write_text(cm["data"][path.name])
    # A bad file is a configuration error (exit 2), found before the mount point (exit 1).
    cp = subprocess.run(
        [str(nspidfs_bin), "-f", f"--config={conf}", str(tmp_path / "absent")],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert cp.returncode == 1 and "absent" in cp.stderr, (cp.returncode, cp.stderr)


def test_daemonset_probes(container) -> None:
    for probe in ("readinessProbe", "livenessProbe"):
        cmd = " ".join(container[probe]["exec"]["command"])
        assert f"{MOUNT}/self/" in cmd, f"{probe} reads the tree: {cmd}"


def test_example_pod() -> None:
    pod = by_kind(load("example-pod.yaml"), "Pod")
    (c,) = pod["spec"]["containers"]
    (m,) = [m for m in c["volumeMounts"] if volumes(pod["spec"])[m["name"]].get("hostPath")]
    assert m["readOnly"] is True
    assert m["mountPropagation"] == "HostToContainer", "sees the mount after a restart"
    assert volumes(pod["spec"])[m["name"]]["hostPath"]["path"] == MOUNT
    sc = c.get("securityContext", {})
    assert not sc.get("privileged", False)
    assert sc.get("allowPrivilegeEscalation") is False
    assert MOUNT in " ".join(c["command"])

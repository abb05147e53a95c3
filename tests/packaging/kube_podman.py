#!/usr/bin/env python3
"""Turn config/kubernetes's manifests into what podman runs, for tests/packaging/test_image.sh.

Debian 12's podman 4.3 `kube play` ignores hostPID, so the DaemonSet's pod is run with
`podman run`, its arguments taken from the manifest here: the command, the security context,
the volumes and their propagation. A field this does not know fails it, so that a manifest
that grows one is not tested as something else.

  kube_podman.py run-args DAEMONSET_YAML WORKDIR IMAGE NAME
      podman run's arguments (NUL-separated) for the DaemonSet template's container, the
      image replaced by IMAGE; its ConfigMap volumes are written under WORKDIR
  kube_podman.py probe DAEMONSET_YAML readinessProbe|livenessProbe
      the probe's command (NUL-separated)
  kube_podman.py pod POD_YAML IMAGE NAME
      the Pod manifest (YAML) with its name NAME and its containers' image IMAGE
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any, Dict, List

import yaml

PROPAGATION = {"Bidirectional": "rshared", "HostToContainer": "rslave", "None": "rprivate"}
# Fields that change nothing a single node can show: scheduling, pulling, requests.
IGNORED_POD = {"priorityClassName", "tolerations", "containers", "volumes"}
IGNORED_CONTAINER = {"name", "image", "imagePullPolicy", "readinessProbe", "livenessProbe"}


def fail(msg: str) -> None:
    sys.exit(f"kube_podman.py: {msg}")


def load(path: str) -> List[Dict[str, Any]]:
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def one(docs: List[Dict[str, Any]], kind: str) -> Dict[str, Any]:
    found = [d for d in docs if d.get("kind") == kind]
    if len(found) != 1:
        fail(f"want one {kind}, got {len(found)}")
    return found[0]


def template(docs: List[Dict[str, Any]]) -> Dict[str, Any]:
    return one(docs, "DaemonSet")["spec"]["template"]["spec"]


def container(pod: Dict[str, Any]) -> Dict[str, Any]:
    if len(pod["containers"]) != 1:
        fail("want one container in the DaemonSet's pod")
    return pod["containers"][0]


def memory(quantity: str) -> str:
    for suffix, unit in (("Ki", "k"), ("Mi", "m"), ("Gi", "g")):
        if quantity.endswith(suffix):
            return quantity[: -len(suffix)] + unit
    fail(f"memory limit {quantity}: not in Ki, Mi or Gi")
    return ""


def run_args(docs: List[Dict[str, Any]], workdir: Path, image: str, name: str) -> List[str]:
    pod = template(docs)
    c = container(pod)
    args = ["--name", name]
    for key, value in pod.items():
        if key == "hostPID":
            if value:
                args.append("--pid=host")
        elif key == "hostNetwork":
            if value:
                args.append("--network=host")
        elif key == "terminationGracePeriodSeconds":
            args += ["--stop-timeout", str(value)]
        elif key not in IGNORED_POD:
            fail(f"pod field {key} is not translated")
    for key, value in c.get("securityContext", {}).items():
        if key == "privileged":
            if value:
                args.append("--privileged")
        elif key == "readOnlyRootFilesystem":
            if value:
                args.append("--read-only")
        else:
            fail(f"securityContext field {key} is not translated")
    for key in c.get("resources", {}).get("limits", {}):
        if key != "memory":
            fail(f"resource limit {key} is not translated")
    if "memory" in c.get("resources", {}).get("limits", {}):
        args += ["--memory", memory(c["resources"]["limits"]["memory"])]
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for m in c.get("volumeMounts", []):
        unknown = set(m) - {"name", "mountPath", "readOnly", "mountPropagation"}
        if unknown:
            fail(f"volumeMount fields {sorted(unknown)} are not translated")
        v = volumes[m["name"]]
        if "hostPath" in v:
            source = v["hostPath"]["path"]
            kind = v["hostPath"].get("type", "")
            if kind == "DirectoryOrCreate":
                os.makedirs(source, exist_ok=True)
            elif kind == "Directory" and not os.path.isdir(source):
                fail(f"hostPath {source} is not a directory")
            elif kind == "CharDevice" and not stat.S_ISCHR(os.stat(source).st_mode):
                fail(f"hostPath {source} is not a character device")
            elif kind not in ("DirectoryOrCreate", "Directory", "CharDevice"):
                fail(f"hostPath type {kind!r} is not translated")
        elif "configMap" in v:
            cm_name = v["configMap"]["name"]
            cms = [d for d in docs if d.get("kind") == "ConfigMap"
                   and d["metadata"]["name"] == cm_name]  # fmt: skip
            if len(cms) != 1:
                fail(f"want one ConfigMap {cm_name}, got {len(cms)}")
            source = str(workdir / "configmap" / cm_name)
            os.makedirs(source, exist_ok=True)
            for file, text in cms[0]["data"].items():
                Path(source, file).write_text(text)
        else:
            fail(f"volume {m['name']}: only hostPath and configMap are translated")
        opts = [PROPAGATION[m.get("mountPropagation", "None")]]
        if m.get("readOnly"):
            opts.append("ro")
        args += ["-v", f"{source}:{m['mountPath']}:{','.join(opts)}"]
    for key in c:
        if key not in IGNORED_CONTAINER | {"command", "args", "securityContext", "resources",
                                           "volumeMounts"}:  # fmt: skip
            fail(f"container field {key} is not translated")
    # Kubernetes' command replaces the image's ENTRYPOINT, its args the CMD.
    if "command" in c:
        args += ["--entrypoint", json.dumps(c["command"])]
    args.append(image)
    args += c.get("args", [])
    return args


def probe(docs: List[Dict[str, Any]], which: str) -> List[str]:
    p = container(template(docs))[which]
    if set(p) - {"exec", "periodSeconds", "timeoutSeconds", "failureThreshold"}:
        fail(f"{which}: only exec probes are run")
    return p["exec"]["command"]


def pod(docs: List[Dict[str, Any]], image: str, name: str) -> str:
    p = one(docs, "Pod")
    p["metadata"]["name"] = name
    for c in p["spec"]["containers"]:
        c["image"] = image
    return yaml.safe_dump(p, sort_keys=False)


def main(argv: List[str]) -> None:
    if len(argv) == 6 and argv[1] == "run-args":
        out = run_args(load(argv[2]), Path(argv[3]), argv[4], argv[5])
    elif len(argv) == 4 and argv[1] == "probe":
        out = probe(load(argv[2]), argv[3])
    elif len(argv) == 5 and argv[1] == "pod":
        sys.stdout.write(pod(load(argv[2]), argv[3], argv[4]))
        return
    else:
        sys.exit(__doc__)
    sys.stdout.write("".join(a + "\0" for a in out))


if __name__ == "__main__":
    main(sys.argv)

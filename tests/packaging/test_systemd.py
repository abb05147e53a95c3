"""config/systemd/nspidfs.service: systemd-analyze accepts it, and its commands do what
the unit promises when run by hand the way systemd would run them (PID 1 here need not be
systemd): an idempotent shared mount point, a daemon that serves with only the unit's
capabilities, and a container's slave bind mount that sees the mount again after a clean
restart and after a crash."""

from __future__ import annotations

import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Dict, List

import pytest
from conftest import SOURCE_ROOT

UNIT = SOURCE_ROOT / "config" / "systemd" / "nspidfs.service"

# Options that give a service its own mount namespace: the FUSE mount would not reach the
# host. (systemd.exec(5): each of these sets up a mount namespace.)
MOUNT_NAMESPACE_OPTIONS = {
    "ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices", "PrivateMounts",
    "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs",
    "ProtectControlGroups", "ProtectHostname", "ProtectClock", "ReadOnlyPaths",
    "ReadWritePaths", "InaccessiblePaths", "ExecPaths", "NoExecPaths", "TemporaryFileSystem",
    "BindPaths", "BindReadOnlyPaths", "RootDirectory", "RootImage", "MountFlags",
    "ProtectProc", "ProcSubset", "PrivateUsers", "PrivateNetwork", "DynamicUser",
    "RuntimeDirectory", "StateDirectory", "CacheDirectory", "LogsDirectory",
}  # fmt: skip


def parse_unit(path: Path) -> Dict[str, Dict[str, List[str]]]:
    """Sections -> key -> values, in order (keys such as ExecStartPre may repeat)."""
    sections: Dict[str, Dict[str, List[str]]] = {}
    current = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        assert current is not None, f"{path}: key outside a section: {raw}"
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


@pytest.fixture(scope="module")
def unit() -> Dict[str, Dict[str, List[str]]]:
    return parse_unit(UNIT)


def one(unit, section: str, key: str) -> str:
    values = unit[section].get(key, [])
    assert len(values) == 1, f"[{section}] {key}: want one value, got {values}"
    return values[0]


def test_systemd_analyze_verify(nspidfs_bin: Path, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed (Debian: systemd)")
    # verify wants ExecStart's binary to exist: point it at the built one.
    text = UNIT.read_text()
    assert "ExecStart=/usr/sbin/nspidfs " in text
    copy = tmp_path / "nspidfs.service"
    copy.write_text(text.replace("/usr/sbin/nspidfs", str(nspidfs_bin)))
    env = dict(os.environ, SYSTEMD_LOG_LEVEL="notice", SYSTEMD_LOG_COLOR="0")
    cp = subprocess.run(
        [analyze, "verify", "--man=no", str(copy)], capture_output=True, text=True, env=env
    )
    # PID 1 need not be systemd here: only what verify says about this unit counts.
    about_unit = [line for line in cp.stderr.splitlines() if "nspidfs.service" in line]
    assert cp.returncode == 0 and not about_unit, cp.stderr


def test_unit_settings(unit) -> None:
    svc = unit["Service"]
    assert one(unit, "Service", "Type") == "notify", "READY=1 and the fd store"
    assert int(one(unit, "Service", "FileDescriptorStoreMax")) >= 3, "fuse, init, state"
    assert "kill -HUP $MAINPID" in one(unit, "Service", "ExecReload")
    assert one(unit, "Service", "Restart") == "on-failure"
    start = shlex.split(one(unit, "Service", "ExecStart"))
    assert start[0] == "/usr/sbin/nspidfs" and "-f" in start, "runs in the foreground"
    assert start[-1] == "${NSPIDFS_MOUNTPOINT}"
    assert "NSPIDFS_MOUNTPOINT=/var/lib/nspidfs" in svc["Environment"]
    assert all(v.startswith("-") for v in svc["ExecStopPost"]), "unmount failures are ignored"
    assert "mount --make-shared" in " ".join(svc["ExecStartPre"])
    clash = MOUNT_NAMESPACE_OPTIONS & svc.keys()
    assert not clash, f"these give the service its own mount namespace: {sorted(clash)}"
    caps = set(one(unit, "Service", "CapabilityBoundingSet").split())
    assert {"CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_NET_ADMIN"} <= caps
    families = one(unit, "Service", "RestrictAddressFamilies").split()
    assert "AF_NETLINK" in families, "process events come over a netlink socket"
    assert "/dev/fuse rw" in svc.get("DeviceAllow", []), "DevicePolicy=closed needs it"
    assert one(unit, "Install", "WantedBy") == "multi-user.target"


# --- The unit's commands, run by hand --------------------------------------------------


def command(line: str, mnt: Path) -> List[str]:
    """An Exec line as systemd runs it: the '-' prefix dropped, $$ unescaped, the
    environment variable substituted."""
    line = line.lstrip("-@:+!")
    line = line.replace("${NSPIDFS_MOUNTPOINT}", shlex.quote(str(mnt))).replace("$$", "$")
    return shlex.split(line)


def run_exec(unit, key: str, mnt: Path) -> None:
    for line in unit["Service"][key]:
        cp = subprocess.run(command(line, mnt), capture_output=True, text=True)
        if not line.startswith("-"):
            assert cp.returncode == 0, f"{key}: {line}: exit {cp.returncode}\n{cp.stderr}"


def mounts_at(path: Path) -> List[List[str]]:
    """The mountinfo lines (split) whose mount point is ``path``, bottom first."""
    with open("/proc/self/mountinfo") as f:
        return [ln.split() for ln in f if ln.split()[4] == str(path)]


def fstype(fields: List[str]) -> str:
    return fields[fields.index("-") + 1]


def start(unit, mnt: Path, *extra: str) -> subprocess.Popen:
    """ExecStart under the unit's capability bounding set and NoNewPrivileges, with
    --ready-fd to know when it serves."""
    caps = one(unit, "Service", "CapabilityBoundingSet").split()
    bounding = "-all," + ",".join("+" + c.lower().removeprefix("cap_") for c in caps)
    argv = command(one(unit, "Service", "ExecStart"), mnt)
    binary = os.environ["NSPIDFS_BIN"]
    r, w = os.pipe()
    proc = subprocess.Popen(
        ["setpriv", "--no-new-privs", f"--bounding-set={bounding}", binary, *argv[1:-1],
         f"--ready-fd={w}", *extra, argv[-1]],
        pass_fds=(w,), stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    os.close(w)
    ready = select.select([r], [], [], 30)[0] and os.read(r, 64)
    os.close(r)
    if ready != b"READY=1\n":
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"nspidfs did not get ready under the unit's settings: {err}")
    return proc


def stop(proc: subprocess.Popen, sig: int) -> None:
    proc.send_signal(sig)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def serves(path: Path) -> bool:
    try:
        return (path / "self" / "level").read_text() == "0\n"
    except OSError:
        return False


def metric(mnt: Path, name: str) -> float:
    text = (mnt / "metrics" / "nspidfs.prom").read_text()
    (line,) = [ln for ln in text.splitlines() if ln.startswith(name + " ")]
    return float(line.split()[1])


def updates_from_events(mnt: Path) -> bool:
    """Whether a process started after a model makes the next one an update, not a pass."""
    before = metric(mnt, "nspidfs_proc_updates_total")
    subprocess.run(["true"], check=True)
    os.listdir(mnt / "ns")
    return metric(mnt, "nspidfs_proc_updates_total") > before


def test_mount_point_restart_and_capabilities(
    nspidfs_bin: Path, unit, private_mounts, tmp_path: Path
) -> None:
    if shutil.which("setpriv") is None or shutil.which("findmnt") is None:
        pytest.skip("setpriv and findmnt (util-linux) are needed")
    mnt = tmp_path / "nspidfs"
    ctr = tmp_path / "container"
    ctr.mkdir()
    procs: List[subprocess.Popen] = []
    sleeper = None
    try:
        # ExecStartPre makes mnt a shared bind mount of itself, once however often it runs.
        run_exec(unit, "ExecStartPre", mnt)
        run_exec(unit, "ExecStartPre", mnt)
        stack = mounts_at(mnt)
        assert len(stack) == 1, f"one bind mount, not {len(stack)}"
        assert any(f.startswith("shared:") for f in stack[0][6 : stack[0].index("-")])

        # A container binds it with slave propagation (docker: rslave; Kubernetes:
        # HostToContainer), before the daemon has mounted anything.
        subprocess.run(["mount", "--rbind", str(mnt), str(ctr)], check=True)
        subprocess.run(["mount", "--make-rslave", str(ctr)], check=True)

        # The daemon, with no capabilities but the unit's, serves every strategy's needs:
        # the creds strategy joins a PID namespace of another user with setns(2).
        sleeper = subprocess.Popen(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             "unshare", "-U", "-r", "-p", "-f", "--kill-child", "sleep", "1000"]
        )  # fmt: skip
        for strategy in ("auto", "creds"):
            procs.append(start(unit, mnt, f"--strategy={strategy}", "--snapshot-ms=0"))
            assert serves(ctr), "the container sees the daemon's mount"
            assert updates_from_events(mnt), "no process events under the unit's settings"
            deadline = time.monotonic() + 10
            while not (kids := (Path(f"/proc/{sleeper.pid}/task/{sleeper.pid}/children")
                                .read_text().split())):  # fmt: skip
                assert time.monotonic() < deadline, "unshare never forked"
                time.sleep(0.005)
            inner = kids[0]
            ancestors = (ctr / inner / "ancestors").read_text().splitlines()
            assert len(ancestors) == 2 and ancestors[1].split()[2] == "1", ancestors
            stop(procs[-1], signal.SIGTERM)
            assert procs[-1].returncode == 0, procs[-1].stderr.read() if procs[-1].stderr else ""
            run_exec(unit, "ExecStopPost", mnt)
            assert [fstype(f) for f in mounts_at(mnt)] != [], "the bind mount stays"
            assert all(fstype(f) != "fuse.nspidfs" for f in mounts_at(mnt))
            assert not serves(ctr)

        # A crash leaves a dead mount; ExecStopPost detaches it but keeps the bind mount,
        # so the restarted daemon's mount reaches the container again.
        procs.append(start(unit, mnt))
        stop(procs[-1], signal.SIGKILL)
        assert not serves(ctr)
        run_exec(unit, "ExecStopPost", mnt)
        assert len(mounts_at(mnt)) == 1 and fstype(mounts_at(mnt)[0]) != "fuse.nspidfs"
        run_exec(unit, "ExecStartPre", mnt)
        assert len(mounts_at(mnt)) == 1
        procs.append(start(unit, mnt))
        assert serves(ctr), "after a crash and restart the container sees the new mount"
        assert re.fullmatch(r"\d+\n", (ctr / "self" / "nspid").read_text())
    finally:
        if sleeper is not None:
            sleeper.kill()
            sleeper.wait()
        for p in procs:
            if p.poll() is None:
                stop(p, signal.SIGKILL)
        for path in (ctr, mnt):
            while mounts_at(path):
                if subprocess.run(["umount", "-l", str(path)]).returncode != 0:
                    break

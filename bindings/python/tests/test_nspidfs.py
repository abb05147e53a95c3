"""The Python bindings against a real nspidfs mount and real PID namespaces, compared
with what the kernel says in /proc (NSpid of /proc/PID/status, /proc/PID/ns/pid)."""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import select
import signal
import subprocess
from pathlib import Path
from typing import Optional

import pytest

import nspidfs
from conftest import nspid_of, pidns_inode, poll

HOST_NS = pidns_inode(os.getpid())


def pid_max() -> int:
    """A PID no process can hold: PIDs are below kernel.pid_max."""
    with open("/proc/sys/kernel/pid_max") as f:
        return int(f.read())


def expected_levels(pid: int, inits: list) -> list:
    """What ancestors(pid) must be, from the kernel: ``inits`` are the host PIDs of the
    inits of the namespaces below the host's, outermost first."""
    pids = nspid_of(pid)
    chain = [1] + inits[: len(pids) - 1]
    # Level 0 is the test's own namespace (PID 1's may be closed to us: read our own).
    ns = [HOST_NS] + [pidns_inode(init) for init in chain[1:]]
    return [nspidfs.Level(level=i, ns=ns[i], pid=pids[i], init=chain[i]) for i in range(len(pids))]


def test_module_metadata() -> None:
    here = Path(nspidfs.__file__).parent
    assert (here / "py.typed").exists(), "py.typed marks the package as typed"
    assert nspidfs.DEFAULT_ROOT == "/var/lib/nspidfs"


def test_root_comes_from_the_environment(mount: Path) -> None:
    assert os.environ["NSPIDFS_ROOT"] == str(mount)
    assert nspidfs.default_root() == str(mount)


def test_self_pid_is_the_callers_pid(mount: Path) -> None:
    assert nspidfs.self_pid() == os.getpid()
    assert nspidfs.self_pid(root=mount) == os.getpid()


def test_a_host_process(mount: Path) -> None:
    me = os.getpid()
    assert nspidfs.ns_pid(me) == nspid_of(me)[-1] == me
    assert nspidfs.init_pid(me) == 1
    assert nspidfs.ns_inode(me) == HOST_NS
    assert nspidfs.ancestors(me) == [nspidfs.Level(0, HOST_NS, me, 1)]


def test_nested_namespaces_match_the_kernel(mount: Path, pidns) -> None:
    chain = pidns(2)
    ns1, ns2 = chain.inits
    # The leaf is PID 1 of level 2 and PID 2 of level 1 (its parent unshare is PID 1 there).
    assert nspid_of(ns2) == [ns2, 2, 1]
    for pid in chain.inits:
        levels = nspidfs.ancestors(pid)
        assert levels == expected_levels(pid, chain.inits)
        assert [lv.pid for lv in levels] == nspid_of(pid)
        assert nspidfs.ns_pid(pid) == nspid_of(pid)[-1] == 1
        assert nspidfs.init_pid(pid) == pid
        assert nspidfs.ns_inode(pid) == pidns_inode(pid)
    assert nspidfs.ancestors(ns2)[1] == nspidfs.Level(1, pidns_inode(ns1), 2, ns1)


def test_reverse_lookup(mount: Path, pidns) -> None:
    chain = pidns(2)
    ns1, ns2 = chain.inits
    assert nspidfs.host_pid(pidns_inode(ns1), 1) == ns1
    assert nspidfs.host_pid(pidns_inode(ns1), 2) == ns2
    assert nspidfs.host_pid(pidns_inode(ns2), 1) == ns2
    assert nspidfs.host_pid(HOST_NS, os.getpid()) == os.getpid()
    with pytest.raises(ProcessLookupError, match=f"PID 3 in PID namespace {pidns_inode(ns1)}"):
        nspidfs.host_pid(pidns_inode(ns1), 3)


def test_namespaces(mount: Path, pidns) -> None:
    chain = pidns(2)
    ns1, ns2 = (pidns_inode(p) for p in chain.inits)
    listed = nspidfs.namespaces()
    by_ns = {n.ns: n for n in listed}
    host = by_ns[HOST_NS]
    assert host.level == 0 and host.parent is None and host.init == 1
    assert ns1 in host.children
    assert by_ns[ns1] == nspidfs.Namespace(ns1, 1, HOST_NS, chain.inits[0], (ns2,))
    assert by_ns[ns2] == nspidfs.Namespace(ns2, 2, ns1, chain.inits[1], ())
    assert nspidfs.namespace(ns2) == by_ns[ns2]
    assert listed == sorted(listed, key=lambda n: (n.level, n.ns))


def test_records_are_frozen() -> None:
    lv = nspidfs.Level(0, 1, 2, 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        lv.pid = 5  # type: ignore[misc]
    assert hash(nspidfs.Namespace(1, 0, None, 1, (2,)))


@pytest.mark.parametrize("call", ["init_pid", "ns_pid", "ns_inode", "ancestors"])
def test_no_such_process(mount: Path, call: str) -> None:
    missing = pid_max()
    with pytest.raises(ProcessLookupError, match=f"PID {missing}: no such process") as e:
        getattr(nspidfs, call)(missing)
    assert e.value.errno == errno.ESRCH


def test_a_zombie_until_reaped(mount: Path) -> None:
    child = subprocess.Popen(["true"])
    try:
        # Unreaped, it stays a zombie, answered for as /proc shows it.
        def zombie() -> Optional[bool]:
            with open(f"/proc/{child.pid}/stat") as f:
                return True if f.read().rsplit(")", 1)[1].split()[0] == "Z" else None

        poll(f"{child.pid} to become a zombie", zombie)
        assert nspidfs.ns_pid(child.pid) == child.pid
        assert nspidfs.init_pid(child.pid) == 1
    finally:
        child.wait()
    with pytest.raises(ProcessLookupError):
        nspidfs.ns_pid(child.pid)


def test_no_such_namespace(mount: Path) -> None:
    with pytest.raises(ProcessLookupError, match="no such PID namespace"):
        nspidfs.namespace(1)
    with pytest.raises(ProcessLookupError):
        nspidfs.host_pid(1, 1)


def kernel_thread() -> Optional[int]:
    PF_KTHREAD = 0x00200000
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[6]) & PF_KTHREAD:
            return int(name)
    return None


def test_a_kernel_thread(mount: Path) -> None:
    kt = kernel_thread()
    if kt is None:
        pytest.skip("no kernel thread is visible in this PID namespace")
    # A member of the daemon's namespace, as /proc/2/status says (NSpid: 2).
    assert nspidfs.init_pid(kt) == 1
    assert nspidfs.ns_pid(kt) == kt


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        nspidfs.ns_pid(0)
    with pytest.raises(TypeError):
        nspidfs.ns_pid(True)
    with pytest.raises(TypeError):
        nspidfs.ns_pid("1")  # type: ignore[arg-type]


def test_mount_absent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "absent"
    with pytest.raises(FileNotFoundError, match=f"not mounted at {missing}: it does not exist"):
        nspidfs.ns_pid(1, root=missing)
    monkeypatch.setenv("NSPIDFS_ROOT", str(missing))
    for call in (nspidfs.self_pid, nspidfs.namespaces):
        with pytest.raises(FileNotFoundError, match=str(missing)):
            call()
    with pytest.raises(FileNotFoundError, match=str(missing)):
        nspidfs.host_pid(4026531836, 1)


def test_not_mounted(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="holds no nspidfs tree") as e:
        nspidfs.init_pid(os.getpid(), root=tmp_path)
    assert e.value.filename == str(tmp_path)


def test_stale_mount(spare_daemon) -> None:
    d = spare_daemon()
    assert nspidfs.self_pid(root=d.mnt) == os.getpid()
    # The process started is the keeper; its server ends a moment after it (parent-death
    # signal), and only then is the mount stale: wait for the server too.
    with open(f"/proc/{d.proc.pid}/task/{d.proc.pid}/children") as f:
        server = os.pidfd_open(int(f.read().split()[0]))
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait()
    p = select.poll()
    p.register(server, select.POLLIN)
    assert p.poll(10_000), "the server outlived its keeper by 10 s"
    os.close(server)
    with pytest.raises(FileNotFoundError, match="daemon has gone") as e:
        nspidfs.ns_pid(os.getpid(), root=d.mnt)
    assert e.value.errno == errno.ENOTCONN


def test_permission_denied(mount: Path) -> None:
    """A user who may not enter the mount's parent directory (0700) gets PermissionError."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        result = "no exception"
        try:
            os.close(r)
            os.setgroups([])
            os.setresgid(65534, 65534, 65534)
            os.setresuid(65534, 65534, 65534)
            nspidfs.ns_pid(1, root=mount)
        except BaseException as e:  # noqa: BLE001 - report whatever it was
            result = f"{type(e).__name__}: {e}"
        finally:
            os.write(w, result.encode())
            os._exit(0)
    os.close(w)
    with os.fdopen(r) as f:
        result = f.read()
    os.waitpid(pid, 0)
    assert result.startswith("PermissionError: [Errno 13] PID 1: permission denied"), result


# --- From inside a container ---------------------------------------------------------

IN_CONTAINER = r"""
import json, os, nspidfs
me = nspidfs.self_pid()
try:
    nspidfs.ns_pid(int(open("/proc/sys/kernel/pid_max").read()))
    missing = "no exception"
except ProcessLookupError as e:
    missing = "ProcessLookupError"
print(json.dumps({
    "self": me, "getpid": os.getpid(), "nspid": nspidfs.ns_pid(me),
    "init": nspidfs.init_pid(me), "ns": nspidfs.ns_inode(me),
    "ancestors": [[lv.level, lv.ns, lv.pid, lv.init] for lv in nspidfs.ancestors(me)],
    "host_of_1": nspidfs.host_pid(nspidfs.ns_inode(me), 1), "missing": missing,
}))
"""


def podman(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    cp = subprocess.run(
        ["podman", "--runtime=runc", *args], capture_output=True, text=True, timeout=120
    )
    if check and cp.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)}: exit {cp.returncode}\n{cp.stderr}")
    return cp


def test_from_inside_a_container(mount: Path, tmp_path: Path) -> None:
    """A podman container with the mount bound in read-only reads its own facts."""
    import shutil

    missing = [p for p in ("podman", "runc") if shutil.which(p) is None]
    if missing:
        pytest.skip(
            f"{' and '.join(missing)} not installed: the in-container test needs podman with "
            "runc (apt-get install podman runc); CI does not install them"
        )
    # A root file system from the host's /usr, bound read-only: no image to fetch.
    rootfs = tmp_path / "rootfs"
    for d in ("usr", "proc", "sys", "dev", "etc", "tmp", "run", "nspidfs", "bindings"):
        (rootfs / d).mkdir(parents=True)
    for link in ("bin", "sbin", "lib", "lib64"):
        if os.path.exists(f"/usr/{link}"):
            (rootfs / link).symlink_to(f"usr/{link}")
    bindings = Path(nspidfs.__file__).resolve().parent.parent
    cp = podman(
        "run", "-d", "--network=none", "--ulimit", "nofile=1024:1024",
        "--ulimit", "nproc=1024:1024",
        "-v", "/usr:/usr:ro", "-v", f"{mount}:/nspidfs:ro", "-v", f"{bindings}:/bindings:ro",
        "--rootfs", str(rootfs), "/usr/bin/sleep", "300",
    )  # fmt: skip
    cid = cp.stdout.strip()
    try:
        init = int(podman("inspect", "--format", "{{.State.Pid}}", cid).stdout)
        out = podman(
            "exec", "-e", "NSPIDFS_ROOT=/nspidfs", "-e", "PYTHONPATH=/bindings",
            "-e", "PYTHONDONTWRITEBYTECODE=1", cid, "/usr/bin/python3", "-c", IN_CONTAINER,
        ).stdout  # fmt: skip
        got = json.loads(out)
        ns = pidns_inode(init)
        assert nspid_of(init)[-1] == 1
        assert got["init"] == init, "the container's init, as a host PID"
        assert got["ns"] == ns
        assert got["nspid"] == got["getpid"], "its PID in the container, as getpid() there"
        assert got["self"] != got["getpid"], "self_pid() is the host PID"
        assert got["ancestors"] == [[0, HOST_NS, got["self"], 1], [1, ns, got["getpid"], init]]
        assert got["host_of_1"] == init
        assert got["missing"] == "ProcessLookupError"
    finally:
        podman("rm", "-f", "-t", "0", cid, check=False)

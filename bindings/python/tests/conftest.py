"""Fixtures: a real nspidfs daemon on a temporary mount point, and real PID namespaces.

The daemon is the built binary named by $NSPIDFS_BIN; the tests need root. Run them in a
private mount namespace (meson does: `unshare -m --propagation private`) so that a mount
cannot outlive a crashed run; the fixtures unmount and kill what they started anyway.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, List, Optional

import pytest

# Test this checkout's package, not an installed one.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

READY_TIMEOUT = 30.0
POLL_TIMEOUT = 10.0


def mounted_at(path: Path) -> List[str]:
    """Mount lines of /proc/self/mountinfo whose mount point is ``path``."""
    p = str(path)
    with open("/proc/self/mountinfo") as f:
        return [line for line in f if line.split()[4] == p]


def poll(what: str, check: Callable[[], Optional[object]], timeout: float = POLL_TIMEOUT):
    """Call ``check`` until it returns something other than None; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got is not None:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.005)


def _kill_on_parent_death() -> None:
    """preexec_fn: SIGKILL the child if the test process dies (PR_SET_PDEATHSIG)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)


@dataclass
class Daemon:
    proc: subprocess.Popen
    mnt: Path
    log: Path

    def stop(self, sig: int = signal.SIGTERM) -> Optional[int]:
        """Signal the daemon, reap it, and make sure nothing stays mounted."""
        rc: Optional[int] = None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for _ in mounted_at(self.mnt):
            subprocess.run(["umount", "-l", str(self.mnt)], stderr=subprocess.DEVNULL)
        return rc


def start_daemon(binary: str, mnt: Path, *args: str) -> Daemon:
    """Start ``binary -f --ready-fd=N ARGS MNT`` and wait for READY=1 on the pipe."""
    log = mnt.parent / f"{mnt.name}.log"
    r, w = os.pipe()
    try:
        with open(log, "wb") as logf:
            proc = subprocess.Popen(
                [binary, "-f", f"--ready-fd={w}", *args, str(mnt)],
                pass_fds=(w,),
                stdin=subprocess.DEVNULL,
                stdout=logf,
                stderr=subprocess.STDOUT,
                preexec_fn=_kill_on_parent_death,
            )
        os.close(w)
        w = -1
        daemon = Daemon(proc, mnt, log)
        data = b""
        deadline = time.monotonic() + READY_TIMEOUT
        while b"\n" not in data:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([r], [], [], left)[0]:
                break
            chunk = os.read(r, 64)
            if not chunk:
                break
            data += chunk
    finally:
        if w >= 0:
            os.close(w)
        os.close(r)
    if data.strip() != b"READY=1":
        rc = daemon.stop(signal.SIGKILL)
        raise RuntimeError(
            f"nspidfs did not get ready on {mnt} (read {data!r}, exit {rc}):\n"
            + log.read_text(errors="replace")
        )
    return daemon


def daemon_binary() -> str:
    binary = os.environ.get("NSPIDFS_BIN")
    if not binary:
        pytest.skip("NSPIDFS_BIN is not set: point it at a built nspidfs (build/src/nspidfs)")
    if not os.access(binary, os.X_OK):
        pytest.fail(f"NSPIDFS_BIN={binary} is not an executable")
    if os.geteuid() != 0:
        pytest.skip("needs root: the tests mount FUSE and create PID namespaces")
    return os.path.abspath(binary)


@pytest.fixture(scope="session")
def private_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory only root can enter, holding the mount points."""
    d = tmp_path_factory.mktemp("nspidfs")
    os.chmod(d, 0o700)
    return d


@pytest.fixture(scope="session")
def mount(private_dir: Path) -> Iterator[Path]:
    """A live nspidfs mount; NSPIDFS_ROOT names it for the whole session."""
    binary = daemon_binary()
    mnt = private_dir / "mnt"
    mnt.mkdir()
    # --snapshot-ms=0: the ns/ listings come from a new /proc pass at every read, so they
    # include the namespaces a test has just made (by default a pass serves 100 ms).
    daemon = start_daemon(binary, mnt, "--snapshot-ms=0")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NSPIDFS_ROOT", str(mnt))
        try:
            yield mnt
        finally:
            rc = daemon.stop()
            if rc != 0:
                print(f"nspidfs exited {rc}:\n" + daemon.log.read_text(errors="replace"))


@pytest.fixture
def spare_daemon(private_dir: Path) -> Iterator[Callable[..., Daemon]]:
    """Start extra daemons on fresh mount points; all are stopped at the end."""
    started: List[Daemon] = []
    binary = daemon_binary()

    def start(*args: str) -> Daemon:
        mnt = private_dir / f"spare{len(started)}-{os.getpid()}-{time.monotonic_ns()}"
        mnt.mkdir()
        d = start_daemon(binary, mnt, *args)
        started.append(d)
        return d

    try:
        yield start
    finally:
        for d in started:
            d.stop(signal.SIGKILL)


def children(pid: int) -> List[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except FileNotFoundError:
        return []


def comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except FileNotFoundError:
        return ""


def nspid_of(pid: int) -> List[int]:
    """The NSpid field of /proc/PID/status: the PID at each level, the host's first."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("NSpid:"):
                return [int(x) for x in line.split()[1:]]
    raise AssertionError(f"no NSpid in /proc/{pid}/status")


def pidns_inode(pid: int) -> int:
    return os.stat(f"/proc/{pid}/ns/pid").st_ino


@dataclass
class PidnsChain:
    """Nested PID namespaces: inits[i] is the host PID of the init of the namespace at
    level i + 1; the last is a `sleep` that is its namespace's init."""

    outer: subprocess.Popen
    inits: List[int]

    @property
    def leaf(self) -> int:
        return self.inits[-1]


@pytest.fixture
def pidns() -> Iterator[Callable[[int], PidnsChain]]:
    """Make a chain of ``depth`` nested PID namespaces, each entered by `unshare -p -f`.

    `unshare -p -f --kill-child CMD` forks CMD as PID 1 of a new namespace and kills it
    when unshare dies; nesting unshare gives the deeper levels. Killing the outermost
    unshare takes the whole chain down.
    """
    started: List[subprocess.Popen] = []
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare(1) (util-linux) is not installed")

    def make(depth: int) -> PidnsChain:
        argv: List[str] = []
        for _ in range(depth):
            argv += [unshare, "-p", "-f", "--kill-child"]
        argv += ["sleep", "1000"]
        outer = subprocess.Popen(argv, preexec_fn=_kill_on_parent_death)
        started.append(outer)

        def chain() -> Optional[List[int]]:
            pids: List[int] = []
            cur = outer.pid
            for _ in range(depth):
                kids = children(cur)
                if len(kids) != 1:
                    return None
                cur = kids[0]
                pids.append(cur)
            return pids if comm(pids[-1]) == "sleep" else None

        inits = poll(f"{depth} nested PID namespaces under unshare {outer.pid}", chain)
        return PidnsChain(outer, inits)

    try:
        yield make
    finally:
        for p in started:
            p.kill()
            p.wait()

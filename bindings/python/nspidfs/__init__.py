"""Read an nspidfs mount: PID-namespace facts about the processes of a host.

nspidfs is a FUSE filesystem, usually mounted at ``/var/lib/nspidfs``, that serves for
every process the host PID of its PID namespace's init, its PID inside that namespace,
and the chain of namespaces above it; and for every PID namespace its init, parent,
children and the reverse lookup from a PID inside it to the host PID. This module reads
that tree; it needs nothing but the standard library.

Every function takes the mount point as the keyword ``root``; it defaults to the
environment variable ``NSPIDFS_ROOT``, else ``/var/lib/nspidfs``. "Host PID" means a PID
in the PID namespace of the nspidfs daemon.

Errors are the built-in exceptions, with messages that say which PID and which mount:

``ProcessLookupError``
    No such process (or it has exited and been reaped, or its PID was reused), no
    namespace with that inode number, or no process with that PID in the namespace.
``PermissionError``
    Access to the mount, or the kernel's access to the process, was denied (``EACCES``).
``FileNotFoundError``
    Nothing is mounted at the root: it does not exist, it holds no nspidfs tree, or it
    is a mount whose daemon has gone (``ENOTCONN``).
``OSError``
    Any other error the filesystem returns (``ETIMEDOUT``, ``EAGAIN``; see nspidfs(8)).

Example::

    import nspidfs
    me = nspidfs.self_pid()
    for lv in nspidfs.ancestors(me):
        print(lv.level, lv.ns, lv.pid, lv.init)
"""

from __future__ import annotations

import errno
import json
import operator
import os
from dataclasses import dataclass
from typing import List, Optional, Tuple, Union

__all__ = [
    "DEFAULT_ROOT",
    "ROOT_ENV",
    "Level",
    "Namespace",
    "ancestors",
    "default_root",
    "host_pid",
    "init_pid",
    "namespace",
    "namespaces",
    "ns_inode",
    "ns_pid",
    "self_pid",
]

__version__ = "0.1.0"

#: The mount point used when neither ``root`` nor ``NSPIDFS_ROOT`` is given.
DEFAULT_ROOT = "/var/lib/nspidfs"
#: The environment variable naming the mount point.
ROOT_ENV = "NSPIDFS_ROOT"

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class Level:
    """One line of ``PID/ancestors``: the process seen from one PID namespace."""

    level: int
    """Depth of this namespace below the daemon's (0 is the daemon's own)."""
    ns: int
    """Inode number of the namespace."""
    pid: int
    """The process's PID in this namespace."""
    init: int
    """Host PID of PID 1 of this namespace."""


@dataclass(frozen=True)
class Namespace:
    """One PID namespace, as ``ns/INODE/json`` describes it."""

    ns: int
    """Inode number of the namespace."""
    level: int
    """Depth below the daemon's namespace."""
    parent: Optional[int]
    """Inode number of the parent namespace; None at level 0."""
    init: int
    """Host PID of PID 1 of the namespace."""
    children: Tuple[int, ...]
    """Inode numbers of the namespaces directly below, ascending."""


def default_root() -> str:
    """The mount point to read: ``$NSPIDFS_ROOT`` if set and not empty, else the default."""
    return os.environ.get(ROOT_ENV) or DEFAULT_ROOT


def _root(root: Optional[PathLike]) -> str:
    return os.fspath(root) if root is not None else default_root()


def _pid_arg(pid: int, name: str = "pid") -> int:
    if isinstance(pid, bool):
        raise TypeError(f"{name} must be an int, not bool")
    value = operator.index(pid)
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return value


def _mount_error(root: str, exc: OSError) -> Optional[FileNotFoundError]:
    """A FileNotFoundError if ``root`` holds no live nspidfs tree, else None."""
    stale = errno.ENOTCONN
    if exc.errno != stale:
        try:
            os.lstat(os.path.join(root, "self"))
            return None
        except OSError as e:
            stale = e.errno
    if stale == errno.ENOTCONN:
        why = "it is a mount whose daemon has gone (Transport endpoint is not connected)"
        return FileNotFoundError(errno.ENOTCONN, _mount_message(root, why), root)
    if not os.path.lexists(root):
        why = "it does not exist"
    elif not os.path.isdir(root):
        why = "it is not a directory"
    else:
        why = "it holds no nspidfs tree (is the daemon running and mounted there?)"
    return FileNotFoundError(errno.ENOENT, _mount_message(root, why), root)


def _mount_message(root: str, why: str) -> str:
    return f"nspidfs is not mounted at {root}: {why}; set {ROOT_ENV} to its mount point"


def _translate(exc: OSError, root: str, path: str, what: str, gone: str) -> OSError:
    """Map an OSError from reading ``path`` (about ``what``) to the documented exceptions.

    ``gone`` says what ENOENT means on a live mount, e.g. "no such process".
    """
    code = exc.errno
    if code in (errno.ENOENT, errno.ENOTCONN, errno.ENOTDIR):
        mount = _mount_error(root, exc)
        if mount is not None:
            return mount
        return ProcessLookupError(errno.ESRCH, f"{what}: {gone}", path)
    if code in (errno.EACCES, errno.EPERM):
        return PermissionError(code, f"{what}: permission denied", path)
    return OSError(code, f"{what}: {exc.strerror or os.strerror(code or 0)}", path)


_NO_PROCESS = "no such process"
_NO_NS = "no such PID namespace (its init has exited?)"


def _read(root: str, rel: str, what: str, gone: str = _NO_PROCESS) -> str:
    path = os.path.join(root, rel)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise _translate(e, root, path, what, gone) from None
    return data.decode("utf-8", errors="replace")


def _readlink(root: str, rel: str, what: str, gone: str = _NO_PROCESS) -> str:
    path = os.path.join(root, rel)
    try:
        return os.readlink(path)
    except OSError as e:
        raise _translate(e, root, path, what, gone) from None


def _int(text: str, path: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError(f"unexpected content in {path}: {text!r}") from None


def _link_pid(target: str, path: str) -> int:
    """The PID a link such as ``../../../1234`` or ``1234`` ends in."""
    return _int(target.rstrip("/").rsplit("/", 1)[-1], path)


def _pid_file(pid: int, name: str, root: Optional[PathLike]) -> int:
    pid = _pid_arg(pid)
    r = _root(root)
    rel = f"{pid}/{name}"
    return _int(_read(r, rel, f"PID {pid}"), os.path.join(r, rel))


def init_pid(pid: int, *, root: Optional[PathLike] = None) -> int:
    """Host PID of PID 1 of the PID namespace of host PID ``pid`` (``PID/init``)."""
    return _pid_file(pid, "init", root)


def ns_pid(pid: int, *, root: Optional[PathLike] = None) -> int:
    """The PID of host PID ``pid`` inside its own PID namespace (``PID/nspid``)."""
    return _pid_file(pid, "nspid", root)


def ns_inode(pid: int, *, root: Optional[PathLike] = None) -> int:
    """Inode number of the PID namespace of host PID ``pid`` (``PID/ns``)."""
    return _pid_file(pid, "ns", root)


def ancestors(pid: int, *, root: Optional[PathLike] = None) -> List[Level]:
    """The chain of PID namespaces of host PID ``pid``, the daemon's (level 0) first."""
    pid = _pid_arg(pid)
    r = _root(root)
    rel = f"{pid}/ancestors"
    text = _read(r, rel, f"PID {pid}")
    levels: List[Level] = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) != 4:
            raise ValueError(f"unexpected line in {os.path.join(r, rel)}: {line!r}")
        lv, ns, p, init = (_int(x, os.path.join(r, rel)) for x in fields)
        levels.append(Level(level=lv, ns=ns, pid=p, init=init))
    return levels


def host_pid(ns: int, nspid: int, *, root: Optional[PathLike] = None) -> int:
    """Host PID of the process whose PID in namespace ``ns`` (an inode number) is ``nspid``.

    This is the reverse lookup ``ns/NS/pid/NSPID``. ProcessLookupError if no live process
    holds that PID there, or no live namespace has that inode number.
    """
    ns = _pid_arg(ns, "ns")
    nspid = _pid_arg(nspid, "nspid")
    r = _root(root)
    rel = f"ns/{ns}/pid/{nspid}"
    what = f"PID {nspid} in PID namespace {ns}"
    target = _readlink(r, rel, what, "no such process in that namespace, or no such namespace")
    return _link_pid(target, os.path.join(r, rel))


def _namespace_from_json(text: str, path: str) -> Namespace:
    try:
        obj = json.loads(text)
        parent = obj["parent"]
        return Namespace(
            ns=int(obj["ns"]),
            level=int(obj["level"]),
            parent=None if parent is None else int(parent),
            init=int(obj["init"]),
            children=tuple(int(c) for c in obj["children"]),
        )
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"unexpected content in {path}: {e}") from None


def namespace(ns: int, *, root: Optional[PathLike] = None) -> Namespace:
    """The PID namespace with inode number ``ns`` (``ns/NS/json``)."""
    ns = _pid_arg(ns, "ns")
    r = _root(root)
    rel = f"ns/{ns}/json"
    text = _read(r, rel, f"PID namespace {ns}", _NO_NS)
    return _namespace_from_json(text, os.path.join(r, rel))


def namespaces(*, root: Optional[PathLike] = None) -> List[Namespace]:
    """Every live PID namespace, ordered by level then inode number.

    A namespace whose init exits between the listing and the read is left out.
    """
    r = _root(root)
    path = os.path.join(r, "ns")
    try:
        names = os.listdir(path)
    except OSError as e:
        raise _translate(e, r, path, "the namespace list", "not found") from None
    out: List[Namespace] = []
    for name in names:
        if not name.isdigit():
            continue
        try:
            out.append(namespace(int(name), root=r))
        except ProcessLookupError:
            continue  # gone since the listing
    out.sort(key=lambda n: (n.level, n.ns))
    return out


def self_pid(*, root: Optional[PathLike] = None) -> int:
    """The caller's host PID, as the daemon sees it (the target of ``self``).

    Inside a container this is the host PID, unlike ``os.getpid()``.
    """
    r = _root(root)
    target = _readlink(r, "self", "self", "the reading process has no directory")
    return _link_pid(target, os.path.join(r, "self"))

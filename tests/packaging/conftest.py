"""Shared by the packaging tests: where the source, build and binary are (from meson's
environment), and a private mount namespace for tests that mount."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import subprocess
from pathlib import Path

import pytest

SOURCE_ROOT = Path(__file__).resolve().parent.parent.parent


def env_path(name: str) -> Path:
    value = os.environ.get(name)
    if not value:
        pytest.skip(f"{name} is not set (meson test sets it)")
    return Path(value)


@pytest.fixture(scope="session")
def nspidfs_bin() -> Path:
    binary = env_path("NSPIDFS_BIN")
    if not os.access(binary, os.X_OK):
        pytest.fail(f"NSPIDFS_BIN={binary} is not an executable")
    return binary


@pytest.fixture(scope="session")
def build_root() -> Path:
    return env_path("NSPIDFS_BUILD_ROOT")


@pytest.fixture(scope="session")
def private_mounts() -> None:
    """Move this test process into a new mount namespace whose mounts are private, so that
    nothing mounted here is seen by, or left behind on, the host."""
    if os.geteuid() != 0:
        pytest.skip("needs root: mounts FUSE and bind mounts")
    CLONE_NEWNS = 0x00020000
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.unshare(CLONE_NEWNS) != 0:
        err = ctypes.get_errno()
        pytest.fail(f"unshare(CLONE_NEWNS): {os.strerror(err)}")
    subprocess.run(["mount", "--make-rprivate", "/"], check=True)

"""doc/nspidfs.8.scd against `nspidfs --help`: every long option is in both, and the
page renders with scdoc and groff without a warning."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Set

import pytest
from conftest import SOURCE_ROOT

SCD = SOURCE_ROOT / "doc" / "nspidfs.8.scd"


def help_options(binary: Path) -> Set[str]:
    out = subprocess.run(
        [str(binary), "--help"], capture_output=True, text=True, check=True
    ).stdout
    # Option lines: "  -f, --foreground   ..." or "  --strategy=...   ...".
    opts = set(re.findall(r"^\s+(?:-\w, )?(--[a-z][a-z0-9-]*)", out, re.MULTILINE))
    assert "--help" in opts and len(opts) > 5, f"could not read the options from:\n{out}"
    return opts


def section(text: str, name: str) -> str:
    m = re.search(rf"^# {name}\n(.*?)(?=^# |\Z)", text, re.MULTILINE | re.DOTALL)
    assert m, f"no {name} section in {SCD}"
    return m.group(1)


def test_options_match_help(nspidfs_bin: Path) -> None:
    text = SCD.read_text()
    in_help = help_options(nspidfs_bin)
    options = section(text, "OPTIONS")
    in_options = set(re.findall(r"^\*(?:-\w\*, \*)?(--[a-z][a-z0-9-]*)\*", options, re.MULTILINE))
    # Options the text refers to, in bold (examples of other commands are not).
    anywhere = set(re.findall(r"\*(--[a-z][a-z0-9-]*)", text))
    assert not in_help - in_options, f"in --help, not in OPTIONS: {sorted(in_help - in_options)}"
    assert not in_options - in_help, f"in OPTIONS, not in --help: {sorted(in_options - in_help)}"
    assert not anywhere - in_help, f"named in the page, unknown to --help: {sorted(anywhere - in_help)}"


def test_renders_without_warnings(tmp_path: Path) -> None:
    scdoc, groff = shutil.which("scdoc"), shutil.which("groff")
    if scdoc is None or groff is None:
        pytest.skip("scdoc and groff are needed (Debian: scdoc, groff-base)")
    with open(SCD, "rb") as src:
        cp = subprocess.run([scdoc], stdin=src, capture_output=True)
    assert cp.returncode == 0, cp.stderr.decode()
    page = tmp_path / "nspidfs.8"
    page.write_bytes(cp.stdout)
    cp = subprocess.run(
        [groff, "-man", "-Tutf8", "-wall", str(page)], capture_output=True, text=True
    )
    assert cp.returncode == 0 and cp.stderr == "", cp.stderr
    plain = re.sub(r".\x08", "", cp.stdout).replace("\u2010", "-")  # no overstrike
    assert "--snapshot-ms=MS" in plain

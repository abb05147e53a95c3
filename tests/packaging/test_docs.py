"""The docs agree with themselves: the README's examples about one process give the same
answers wherever they appear, and the man page's complete configuration file holds every key
its CONFIGURATION section (and the README's) documents."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Dict, List, Set

from conftest import SOURCE_ROOT

README = SOURCE_ROOT / "README.md"
SCD = SOURCE_ROOT / "doc" / "nspidfs.8.scd"


def shown_files() -> Dict[str, List[str]]:
    """Every `$ cat /var/lib/nspidfs/PID/FILE` in the README and the lines shown after it."""
    shown: Dict[str, List[str]] = defaultdict(list)
    for block in re.findall(r"^```\n(.*?)^```", README.read_text(), re.DOTALL | re.MULTILINE):
        lines = block.splitlines()
        for i, line in enumerate(lines):
            m = re.match(r"\$ cat /var/lib/nspidfs/(\d+/[a-z]+)\s*(#.*)?$", line)
            if not m:
                continue
            out = []
            for after in lines[i + 1 :]:
                if after.startswith("$"):
                    break
                out.append(after)
            shown[m.group(1)].append("\n".join(out))
    return shown


def test_readme_examples_agree() -> None:
    shown = shown_files()
    assert shown, "no `$ cat /var/lib/nspidfs/PID/FILE` example in the README"
    for name, outputs in shown.items():
        assert len(set(outputs)) == 1, f"{name} is shown as {outputs}"
    for name, outputs in shown.items():
        pid, file = name.split("/")
        if file != "ancestors":
            continue
        level, _ns, nspid, init = outputs[0].splitlines()[-1].split()
        want = {"init": init, "nspid": nspid, "level": level}
        for other, value in want.items():
            for out in shown.get(f"{pid}/{other}", []):
                assert out == value, f"{pid}/{other} shows {out}, its ancestors say {value}"


def documented_keys() -> Set[str]:
    text = SCD.read_text()
    section = re.search(r"^# CONFIGURATION\n(.*?)^A complete file:", text, re.DOTALL | re.MULTILINE)
    assert section, "no key list in the man page's CONFIGURATION"
    return set(re.findall(r"^\*([a-z_]+)\*$", section.group(1), re.MULTILINE))


def test_complete_file_has_every_key() -> None:
    text = SCD.read_text()
    example = re.search(r"^A complete file:\n\n```\n(.*?)```", text, re.DOTALL | re.MULTILINE)
    assert example, "no complete file in the man page"
    in_example = set(re.findall(r"^([a-z_]+)=", example.group(1), re.MULTILINE))
    keys = documented_keys()
    assert len(keys) > 5
    assert keys == in_example, (
        f"documented, not in the complete file: {sorted(keys - in_example)}; "
        f"in the file, not documented: {sorted(in_example - keys)}"
    )
    readme = README.read_text()
    missing = sorted(k for k in keys if not re.search(rf"^{k}=", readme, re.MULTILINE))
    assert not missing, f"keys the README's configuration example lacks: {missing}"

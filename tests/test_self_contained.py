"""The suite runs from the repository alone: a user's clone has nothing beside it.

Collection is run in a copy of the tracked files only, in a folder with no `shared/` next to it,
so a test that reads anything outside the repository fails here rather than on a user's machine.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tracked_files() -> list[str]:
    if not (ROOT / ".git").exists():
        pytest.fail(f"{ROOT} is not a git checkout; this test copies the tracked files")
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    return [name for name in listing.stdout.decode().split("\0") if name]


def test_no_file_reads_outside_the_repository():
    pattern = re.compile(r"""parents\[[2-9]\]|\.\./shared|["']shared["']\s*/""")
    offenders = []
    for name in _tracked_files():
        if not name.endswith((".py", "Makefile", ".toml", ".cfg", ".ini")) or name == __file__:
            continue
        path = ROOT / name
        if path.resolve() == Path(__file__).resolve() or not path.exists():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if pattern.search(line):
                offenders.append(f"{name}:{number}: {line.strip()}")
    assert offenders == []


def test_collection_passes_in_a_lone_copy(tmp_path):
    lone = tmp_path / "alone" / "yrdplan-clone"  # no shared/ beside it
    for name in _tracked_files():
        source = ROOT / name
        if not source.is_file():
            continue
        target = lone / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    # `python -m pytest` puts the copy first on sys.path, so the copy's package is the one imported.
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=lone,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert " error" not in result.stdout.splitlines()[-1], result.stdout[-3000:]
    collected = int(re.search(r"(\d+) tests? collected", result.stdout).group(1))
    assert collected > 1000

"""Repository conventions: module size, environment access, import layers, lint and types."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "mltrail"
SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if "migrations/versions" not in p.as_posix())


def _tool(name: str) -> str:
    path = Path(sys.executable).parent / name
    found = str(path) if path.exists() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed; install the 'dev' extra")
    return found


def test_modules_stay_under_the_size_limit() -> None:
    too_big = {
        str(p.relative_to(ROOT)): n
        for p in SOURCES
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 800
    }
    assert too_big == {}


def test_only_config_reads_the_environment() -> None:
    pattern = re.compile(r"os\.environ|os\.getenv|getenv\(")
    offenders = [
        str(p.relative_to(ROOT))
        for p in SOURCES
        if p.name != "config.py" and pattern.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_no_print_in_package() -> None:
    pattern = re.compile(r"^\s*print\(", re.MULTILINE)
    offenders = [
        str(p.relative_to(ROOT))
        for p in SOURCES
        if "/cli/" not in p.as_posix() and pattern.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_import_layers_hold() -> None:
    result = subprocess.run(
        [_tool("lint-imports")], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_is_clean() -> None:
    result = subprocess.run(
        [_tool("ruff"), "check", "mltrail", "tests", "bench"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_applied() -> None:
    result = subprocess.run(
        [_tool("ruff"), "format", "--check", "mltrail", "tests", "bench"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, "run `ruff format mltrail tests bench`:\n" + result.stdout


def test_mypy_strict_is_clean() -> None:
    result = subprocess.run(
        [_tool("mypy"), "mltrail"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr

"""``core/`` (and the service layer in ``core/service/``) never imports Textual, Rich or
``mediatui``.

Each module is found by walking the package directory, so a module added later is
covered without touching this test, and is imported alone in a fresh interpreter: what
it pulls in shows in ``sys.modules`` whatever other tests imported before.
"""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("textual", "rich", "mediatui")  # core/__init__.py promises all three


def core_modules() -> list[str]:
    """Every importable module under core/, as a dotted name (packages included)."""
    names = []
    for path in sorted((ROOT / "core").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(parts))
    return names


_PROBE = f"""
import importlib, sys
importlib.import_module(sys.argv[1])
bad = sorted(m for m in sys.modules if m.split(".")[0] in {set(FORBIDDEN)!r})
print(" ".join(bad))
"""


def test_the_walk_finds_the_packages() -> None:
    modules = core_modules()
    assert {"core", "core.errors", "core.stream.engine", "core.virtual.backend"} <= set(modules)


def _import_alone(module: str) -> str:
    """"" when ``module`` imports cleanly and pulls in no UI library, else the problem."""
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, module],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    if proc.returncode != 0:
        return f"{module}: import failed: {proc.stderr.strip().splitlines()[-1:]}"
    if proc.stdout.strip():
        return f"{module} pulled in {proc.stdout.strip()}"
    return ""


def test_every_core_module_imports_no_ui_library() -> None:
    # One fresh interpreter per module, a few at a time (each is mostly start-up wait).
    with ThreadPoolExecutor(max_workers=4) as pool:
        problems = [p for p in pool.map(_import_alone, core_modules()) if p]
    assert not problems, "\n".join(problems)


def test_the_probe_can_fail() -> None:
    """The probe sees a UI import (rich is installed as Textual's dependency)."""
    assert "pulled in" in _import_alone("rich.text")
    assert "import failed" in _import_alone("core.no_such_module")

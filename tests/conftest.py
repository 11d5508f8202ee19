"""Shared pytest configuration.

The kernel tier (tests/kernel/, run inside a QEMU guest) is wired in here; its code
lives in tests/kernel/vm.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_TESTS_DIR = str(Path(__file__).resolve().parent)
if _TESTS_DIR not in sys.path:
    sys.path.insert(0, _TESTS_DIR)

from kernel import vm as kernel_vm  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    kernel_vm.register(config)

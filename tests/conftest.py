"""Shared fixtures: the repository root, a runner for the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # for tests/bruteforce.py


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``python -m negosim ARGS`` in a subprocess and capture its output."""
    env = dict(os.environ)
    env.pop("NEGOSIM_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "negosim", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=timeout, env=env)


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def root() -> Path:
    return ROOT

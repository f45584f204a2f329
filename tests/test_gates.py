"""The house gates (DESIGN.md rule 12) run with the test suite, so CI enforces them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

GATES = {
    "ruff check": ["ruff", "check", "src", "tests", "bench"],
    "ruff format": ["ruff", "format", "--check", "src", "tests", "bench"],
    "mypy": [sys.executable, "-m", "mypy", "src"],
    "import-linter": ["lint-imports"],
}


@pytest.mark.parametrize("gate", sorted(GATES))
def test_gate_passes(gate: str) -> None:
    command = GATES[gate]
    if shutil.which(command[0]) is None and command[0] != sys.executable:
        pytest.fail(f"{command[0]} is not installed: `pip install -e '.[test]'`")
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, f"{gate} failed:\n{result.stdout}\n{result.stderr}"

"""Design invariants: the runtime imports no training library, reads no clock, and the tree is lint-clean."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TRAINING_ONLY = {"lightgbm", "mlflow", "sklearn", "dask", "distributed", "onnxmltools", "skl2onnx", "training"}
CLOCK_CALLS = {("date", "today"), ("datetime", "now"), ("datetime", "today"), ("datetime", "utcnow"), ("time", "time")}


def _runtime_files() -> list[Path]:
    return sorted((ROOT / "assistant").rglob("*.py"))


@pytest.mark.parametrize("path", _runtime_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_runtime_imports_no_training_library(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            assert name.split(".")[0] not in TRAINING_ONLY, f"{path}: imports {name}"


@pytest.mark.parametrize("path", _runtime_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_runtime_reads_no_clock_outside_the_cli(path: Path) -> None:
    if path.name == "cli.py":
        return  # the command line supplies today's date as the default argument
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            assert (owner_name, node.func.attr) not in CLOCK_CALLS, f"{path}:{node.lineno} reads the clock"


def test_no_pickle_files_in_tree() -> None:
    found = [p for ext in ("*.pkl", "*.pickle", "*.joblib") for p in ROOT.rglob(ext) if ".venv" not in p.parts]
    assert not found


def test_ruff_clean() -> None:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert ruff, "ruff is part of the dev extra"
    res = subprocess.run([ruff, "check", "--no-cache", str(ROOT)], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stdout + res.stderr

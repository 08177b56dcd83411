"""Writing a model pack folder (used by training's ``promote``; no training imports here)."""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from .manifest import CARD_FILE, MANIFEST_FILE, MODEL_FILE, Manifest
from .pack import sha256_bytes

__all__ = ["write_pack"]


def _finite(obj: Any) -> Any:
    """JSON-safe copy: NaN/inf become null (strict JSON has no NaN)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def write_pack(directory: str | Path, onnx_bytes: bytes, manifest: Manifest, card_markdown: str) -> Path:
    """Write ``model.onnx``, ``manifest.json`` and ``model_card.md`` into ``directory``.

    The manifest's ``onnx_sha256`` is (re)computed from ``onnx_bytes``. The folder is assembled next
    to the target and swapped in with renames, so a crash never leaves a half-written pack behind;
    an existing pack at ``directory`` is replaced.
    """
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    manifest = replace(manifest, onnx_sha256=sha256_bytes(onnx_bytes))
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        (tmp / MODEL_FILE).write_bytes(onnx_bytes)
        (tmp / MANIFEST_FILE).write_text(
            json.dumps(_finite(manifest.to_dict()), ensure_ascii=False, indent=2, allow_nan=False) + "\n",
            encoding="utf-8",
        )
        (tmp / CARD_FILE).write_text(card_markdown, encoding="utf-8")
        os.chmod(tmp, 0o755)
        old = None
        if directory.exists():
            old = directory.with_name(f".{directory.name}.old")
            if old.exists():
                shutil.rmtree(old)
            directory.rename(old)
        tmp.rename(directory)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return directory

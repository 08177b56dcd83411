"""The follow-up risk model at run time: a scorer for :func:`~assistant.followup.schedule.schedule`.

The model pack ``models/followup_risk`` (trained by ``gp-assistant train followup-risk``, promoted
with ``gp-assistant models promote --name followup_risk``) estimates, for one patient and program,
the probability of an adverse follow-up outcome in the next 90 days: off target at the next visit,
no visit within 90 days, or an urgent event. :func:`load_risk_scorer` loads and checks it;
the returned :class:`RiskScorer` takes the feature table of
:func:`~assistant.followup.features.feature_table` and returns one probability per row, computed
with onnxruntime in batches. Rows of programs the model was not trained on get NaN (no answer),
never a guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pandas as pd

from ..features.spec import FeatureSpec
from ..modelpack import MODEL_FILE, Manifest, ModelPack, ModelPackError, load_pack, sha256_bytes
from .features import FEATURE_COLUMNS, FEATURE_SPEC_HASH

__all__ = [
    "EVENT_LABEL",
    "RISK_FEATURE_SPEC",
    "RISK_KIND",
    "RISK_PACK",
    "RiskScorer",
    "load_risk_scorer",
]

RISK_PACK = "followup_risk"
"""Folder name of the pack under the models folder, and the registered model's name."""
RISK_KIND = "followup_risk"
EVENT_LABEL = "event"
"""Label id of the positive class (the probability the scorer returns)."""
RISK_FEATURE_SPEC = FeatureSpec(names=FEATURE_COLUMNS, version=f"followup-{FEATURE_SPEC_HASH[:12]}")
"""The spec a follow-up risk pack must carry: :data:`FEATURE_COLUMNS` in order, versioned by their hash."""


class RiskScorer:
    """Calibrated P(adverse follow-up outcome within 90 days) for rows of the feature table.

    ``programs``: the programs the model was trained on (from the pack's manifest,
    ``training.programs``); rows of other programs get NaN. ``None`` scores every row.

    The scorer can be sent to Dask workers: it travels as the ONNX bytes and the manifest (JSON
    form), and the receiving side checks the bytes' sha256 against the manifest and opens its own
    onnxruntime session (one per worker). Nothing is ever stored as a pickle.
    """

    def __init__(
        self,
        pack: ModelPack,
        *,
        programs: Sequence[str] | None = None,
        batch_size: int = 65_536,
        threads: int = 1,
    ) -> None:
        self._setup(pack, programs, batch_size, threads)

    def _setup(self, pack: ModelPack, programs: Sequence[str] | None, batch_size: int, threads: int) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.pack = pack
        self.programs: tuple[str, ...] | None = None if programs is None else tuple(programs)
        self.batch_size = int(batch_size)
        self.threads = int(threads)
        self._column = [label.id for label in pack.labels].index(EVENT_LABEL)

    def __getstate__(self) -> dict[str, Any]:
        return {
            "path": str(self.pack.path),
            "manifest": self.pack.manifest.to_dict(),
            "onnx": (self.pack.path / MODEL_FILE).read_bytes(),
            "programs": self.programs,
            "batch_size": self.batch_size,
            "threads": self.threads,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        path = Path(state["path"])
        manifest = Manifest.from_dict(state["manifest"])
        blob: bytes = state["onnx"]
        if sha256_bytes(blob) != manifest.onnx_sha256:
            raise ModelPackError(
                str(path), MODEL_FILE, "sha256 mismatch after transfer (the model file changed meanwhile)",
                "传输后 sha256 校验失败（模型文件已被修改）",
            )  # fmt: skip
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, int(state["threads"]))
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        session = ort.InferenceSession(blob, options, providers=["CPUExecutionProvider"])
        pack = ModelPack(path=path, manifest=manifest, session=session)
        self._setup(pack, state["programs"], state["batch_size"], state["threads"])

    def describe(self) -> dict[str, str]:
        """``name``, ``version``, ``sha256`` of the pack."""
        return self.pack.describe()

    def __call__(self, features: pd.DataFrame) -> np.ndarray:
        """One probability (float64, 0-1) per row of ``features``; NaN for uncovered programs."""
        missing = [c for c in FEATURE_COLUMNS if c not in features.columns]
        if missing:
            raise ValueError(f"the feature table lacks column(s) {missing[:5]}")
        n = len(features)
        out = np.full(n, np.nan)
        if n == 0:
            return out
        rows = np.arange(n)
        if self.programs is not None and "program" in features.columns:
            rows = np.flatnonzero(features["program"].isin(self.programs).to_numpy())
        if rows.size == 0:
            return out
        X = features[list(FEATURE_COLUMNS)].to_numpy(dtype=np.float32, na_value=np.nan)
        if rows.size != n:
            X = X[rows]
        X = np.ascontiguousarray(X)
        for i in range(0, len(X), self.batch_size):
            proba = self.pack.predict_proba(X[i : i + self.batch_size])
            out[rows[i : i + self.batch_size]] = proba[:, self._column]
        return np.clip(out, 0.0, 1.0)


def _default_models_dir() -> Path:
    from ..assess import models_dir

    return models_dir()


def load_risk_scorer(
    models_dir: str | Path | None = None,
    *,
    threads: int = 1,
    batch_size: int = 65_536,
    reasons: list[str] | None = None,
) -> RiskScorer | None:
    """The installed follow-up risk model as a scorer, or ``None`` when no pack is installed.

    ``models_dir``: the models folder (default ``$GP_ASSISTANT_MODELS`` or the project's
    ``models/``); the pack is its ``followup_risk`` subfolder. When it is absent the reason (Chinese
    and English) is appended to ``reasons`` if given, and the follow-up list is made without risk.
    A pack that is present but cannot be trusted (sha256, feature spec other than
    :data:`RISK_FEATURE_SPEC`, not a follow-up risk model) raises
    :class:`~assistant.modelpack.ModelPackError`: it is refused, not silently ignored.
    """
    root = Path(models_dir) if models_dir is not None else _default_models_dir()
    path = root / RISK_PACK
    if not path.is_dir():
        if reasons is not None:
            reasons.append(
                f"未安装随访风险模型（{path}），随访清单的风险一栏为空 / no follow-up risk model "
                f"pack at {path}, the list's risk column stays empty (train one with `gp-assistant "
                f"train followup-risk`, then `gp-assistant models promote --name {RISK_PACK}`)"
            )
        return None
    pack = load_pack(path, expected_spec=RISK_FEATURE_SPEC, threads=threads)
    ids = [label.id for label in pack.labels]
    if pack.manifest.kind != RISK_KIND or len(ids) != 2 or EVENT_LABEL not in ids:
        raise ModelPackError(
            str(path),
            "manifest.json",
            f"not a follow-up risk model: kind {pack.manifest.kind!r}, labels {ids} (expected kind "
            f"{RISK_KIND!r} with two labels, one of them {EVENT_LABEL!r})",
            f"不是随访风险模型：类型 {pack.manifest.kind!r}，标签 {ids}",
        )
    programs = pack.manifest.training.get("programs")
    if programs is not None and (
        not isinstance(programs, list) or not all(isinstance(p, str) for p in programs)
    ):
        raise ModelPackError(
            str(path), "manifest.json", "training.programs must be a list of program codes",
            "training.programs 应为管理项目代码列表",
        )  # fmt: skip
    return RiskScorer(pack, programs=programs, batch_size=batch_size, threads=threads)

"""The runtime side of model packs: feature spec hashing, loading, refusing what cannot be trusted."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from assistant.features import FeatureSpec, FeatureSpecError
from assistant.modelpack import (
    MANIFEST_FILE,
    MODEL_FILE,
    Label,
    Manifest,
    ModelPackError,
    load_pack,
    write_pack,
)

# --------------------------------------------------------------------------- feature spec


def test_feature_spec_hash_is_stable_and_order_sensitive() -> None:
    spec = FeatureSpec(("age_years", "sex_male", "fever"), "v1")
    # Pinned: changing the canonical form would silently invalidate every installed pack.
    assert spec.sha256 == "4709c290fded5a7419e3bef5fbce9474000fd853d3879e47de2f4104bcf5f9f3"
    assert spec.sha256 == FeatureSpec(["age_years", "sex_male", "fever"], "v1").sha256  # type: ignore[arg-type]
    assert spec.sha256 != FeatureSpec(("sex_male", "age_years", "fever"), "v1").sha256
    assert spec.sha256 != FeatureSpec(("age_years", "sex_male", "fever"), "v2").sha256
    assert spec.sha256 != FeatureSpec(("age_years", "sex_male"), "v1").sha256
    assert FeatureSpec.from_dict(spec.to_dict()) == spec
    assert FeatureSpec.from_dict(json.loads(json.dumps(spec.to_dict()))).sha256 == spec.sha256


def test_feature_spec_rejects_bad_input() -> None:
    with pytest.raises(FeatureSpecError, match="duplicate"):
        FeatureSpec(("a", "b", "a"), "v1")
    with pytest.raises(FeatureSpecError, match="no features"):
        FeatureSpec((), "v1")
    with pytest.raises(FeatureSpecError, match="version"):
        FeatureSpec(("a",), "")
    tampered = FeatureSpec(("a", "b"), "v1").to_dict()
    tampered["names"] = ["b", "a"]
    with pytest.raises(FeatureSpecError, match="sha256"):
        FeatureSpec.from_dict(tampered)


def test_feature_spec_diff_explains() -> None:
    a = FeatureSpec(("x", "y", "z"), "v1")
    assert "different order" in a.diff(FeatureSpec(("x", "z", "y"), "v1"))
    assert "only in second: ['w']" in a.diff(FeatureSpec(("x", "y", "z", "w"), "v1"))
    assert "version" in a.diff(FeatureSpec(("x", "y", "z"), "v2"))


# --------------------------------------------------------------------------- packs


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory):
    """A small real pack trained by the pipeline (no MLflow)."""
    from training.config import TrainConfig
    from training.pipeline import train_model
    from training.toy import make_toy_world, toy_training_set

    world = make_toy_world(5, 12, 2, seed=11)
    data = toy_training_set(world, 2500, seed=1)
    result = train_model(
        data, created=dt.date(2026, 1, 5), config=TrainConfig(max_rounds=40, parity_rows=500), track=False
    )
    folder = result.write_pack(tmp_path_factory.mktemp("packs") / "diagnosis")
    return result, data, folder


def _copy(folder: Path, tmp: Path) -> Path:
    dst = tmp / "pack"
    dst.mkdir()
    for f in folder.iterdir():
        (dst / f.name).write_bytes(f.read_bytes())
    return dst


def test_load_and_predict_matches_training(trained) -> None:
    result, data, folder = trained
    pack = load_pack(folder, expected_spec=data.spec)
    assert pack.describe() == {
        "name": "diagnosis",
        "version": "unregistered",
        "sha256": result.manifest.onnx_sha256,
    }
    assert [label.id for label in pack.labels] == [label.id for label in data.labels]
    proba = pack.predict_proba(data.X[:200])
    assert proba.dtype == np.float32 and proba.shape == (200, 5)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    from training.calibrate import softmax
    from training.fit import raw_logits

    expected = softmax(raw_logits(result.fit.booster, data.X[:200]), result.calibration.temperature)
    assert np.abs(proba - expected).max() <= 1e-5
    one = pack.predict_proba(data.X[0])  # a single vector works too
    assert one.shape == (1, 5)
    with_nan = data.X[:3].copy()
    with_nan[:, 2] = np.nan
    assert np.isfinite(pack.predict_proba(with_nan)).all()
    with pytest.raises(ValueError, match="columns"):
        pack.predict_proba(np.zeros((1, 3), dtype=np.float32))
    assert "## Limitations" in pack.card()


def test_loader_refuses_modified_model(trained, tmp_path: Path) -> None:
    _, data, folder = trained
    pack_dir = _copy(folder, tmp_path)
    blob = bytearray((pack_dir / MODEL_FILE).read_bytes())
    blob[len(blob) // 2] ^= 0x01
    (pack_dir / MODEL_FILE).write_bytes(bytes(blob))
    with pytest.raises(ModelPackError) as err:
        load_pack(pack_dir, expected_spec=data.spec)
    msg = str(err.value)
    assert "model.onnx" in msg and "sha256 mismatch" in msg and "校验失败" in msg
    manifest = json.loads((pack_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest["onnx"]["sha256"] in msg  # expected value shown
    assert err.value.file == MODEL_FILE


def test_loader_refuses_other_feature_spec(trained) -> None:
    _, data, folder = trained
    reordered = FeatureSpec((data.spec.names[1], data.spec.names[0], *data.spec.names[2:]), data.spec.version)
    with pytest.raises(ModelPackError, match="feature spec mismatch") as err:
        load_pack(folder, expected_spec=reordered)
    assert "different order" in str(err.value) and "特征规格不一致" in str(err.value)
    newer = FeatureSpec(data.spec.names, "toy-2")
    with pytest.raises(ModelPackError, match="'toy-2'"):
        load_pack(folder, expected_spec=newer)


def test_loader_refuses_inconsistent_pack(trained, tmp_path: Path) -> None:
    result, _, folder = trained
    # a manifest whose (self-consistent) spec lists fewer features than the graph takes
    short = FeatureSpec(result.manifest.features.names[:-1], "toy-1")
    bad = write_pack(
        tmp_path / "short", result.onnx_bytes, replace(result.manifest, features=short), result.card
    )
    with pytest.raises(ModelPackError, match="model expects 16 features, the feature spec lists 15"):
        load_pack(bad)
    # fewer labels than outputs
    fewer = write_pack(
        tmp_path / "fewer",
        result.onnx_bytes,
        replace(result.manifest, labels=result.manifest.labels[:4]),
        result.card,
    )
    with pytest.raises(ModelPackError, match="returns 5 classes"):
        load_pack(fewer)
    # broken manifest, missing folder, missing model
    broken = _copy(folder, tmp_path)
    (broken / MANIFEST_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelPackError, match="manifest.json: not valid JSON"):
        load_pack(broken)
    with pytest.raises(ModelPackError, match="folder not found"):
        load_pack(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelPackError, match="manifest.json: file not found"):
        load_pack(tmp_path / "empty")


def test_manifest_round_trip_and_validation(trained) -> None:
    result, _, _ = trained
    m = result.manifest
    again = Manifest.from_dict(json.loads(json.dumps(m.to_dict())))
    assert again.to_dict() == m.to_dict()
    d = m.to_dict()
    d["format_version"] = 99
    from assistant.modelpack import ManifestError

    with pytest.raises(ManifestError, match="format_version"):
        Manifest.from_dict(d)
    with pytest.raises(ManifestError, match="duplicate"):
        replace(m, labels=(Label("A", "a", "a"), Label("A", "b", "b")))


def test_write_pack_replaces_atomically(trained, tmp_path: Path) -> None:
    result, _, _ = trained
    target = tmp_path / "models" / "diagnosis"
    write_pack(target, result.onnx_bytes, result.manifest, "old card\n")
    write_pack(target, result.onnx_bytes, result.manifest, result.card)
    assert sorted(p.name for p in target.parent.iterdir()) == ["diagnosis"]
    assert load_pack(target).card() == result.card
    assert not list(target.rglob("*.pkl")) and not list(target.rglob("*.pickle"))


def test_runtime_imports_no_training_library() -> None:
    code = (
        "import sys, assistant.modelpack, assistant.features\n"
        "bad = [m for m in ('lightgbm', 'sklearn', 'mlflow', 'dask', 'onnxmltools', 'onnx', 'training')"
        " if m in sys.modules]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

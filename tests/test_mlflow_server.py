"""The pipeline against a real ``mlflow server`` (one worker, job execution off) on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from training.config import TrainConfig
from training.pipeline import train_model
from training.toy import make_toy_world, toy_training_set

MLFLOW = Path(sys.executable).with_name("mlflow")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("mlflow_server")
    port = _free_port()
    env = {
        **os.environ,
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
    }
    env.pop("MLFLOW_TRACKING_URI", None)
    log = (root / "server.log").open("wb")
    proc = subprocess.Popen(
        [
            str(MLFLOW),
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--backend-store-uri",
            f"sqlite:///{root / 'mlflow.db'}",
            "--artifacts-destination",
            str(root / "mlartifacts"),
        ],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so the uvicorn worker stops with it
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"mlflow server exited:\n{(root / 'server.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"mlflow server did not start:\n{(root / 'server.log').read_text()[-3000:]}"
                )
            time.sleep(0.3)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


def test_pipeline_against_real_server(server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server)
    world = make_toy_world(4, 10, 1, seed=21)
    data = toy_training_set(world, 2000, seed=3)
    data_dir = tmp_path / "data"
    r = train_model(
        data,
        created=dt.date(2026, 4, 1),
        config=TrainConfig(max_rounds=25, parity_rows=500),
        data_dir=data_dir,
    )
    assert r.tracking is not None and r.tracking.tracking_uri == server
    assert not (data_dir / "mlflow.db").exists()  # nothing went to the local default store

    import mlflow
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=server, registry_uri=server)
    mv = client.get_model_version_by_alias("diagnosis", "candidate")
    assert mv.version == r.tracking.model_version and mv.run_id == r.tracking.run_id
    run = client.get_run(mv.run_id)
    assert run.data.params["engine"] == "local"
    assert run.data.params["feature_spec_sha256"] == data.spec.sha256
    assert run.data.metrics["test.top1"] == pytest.approx(r.metrics["test"]["top1"])
    assert "test.bayes.top1" in run.data.metrics and "parity.max_abs_diff" in run.data.metrics
    top = {a.path for a in client.list_artifacts(mv.run_id)}
    assert {"model_card.md", "metrics.json", "lightgbm_model.txt", "feature_spec.json", "pack"} <= top
    model_dir = Path(
        mlflow.artifacts.download_artifacts(
            artifact_uri="models:/diagnosis@candidate", dst_path=str(tmp_path / "dl")
        )
    )
    assert (model_dir / "model.onnx").is_file() and (model_dir / "MLmodel").is_file()
    assert "signature" in (model_dir / "MLmodel").read_text()

    from training.promote import promote

    pack = promote(tmp_path / "models", "diagnosis", data_dir=data_dir, expected_spec=data.spec)
    assert pack.version == mv.version and pack.sha256 == r.manifest.onnx_sha256
    assert (tmp_path / "models" / "diagnosis" / "model.onnx").read_bytes() == (
        model_dir / "model.onnx"
    ).read_bytes()

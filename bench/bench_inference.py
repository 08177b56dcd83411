"""Benchmark: a realistic-size diagnosis model, LightGBM vs its ONNX pack, measured in one run.

    .venv/bin/python bench/bench_inference.py                 # 200k cases, 100 classes, 300 features
    .venv/bin/python bench/bench_inference.py --rows 50000    # quicker
    .venv/bin/python bench/bench_inference.py --reuse         # reuse the model from the last run

Trains on a toy generative world of the target shape (or reuses the pack and LightGBM text model
left in --workdir), then prints: training time, pack size, load time (with sha256 check), single-case
latency of LightGBM's own ``predict`` and of the pack's ``predict_proba`` (median, p99, ratio), batch
throughput, parity, and the model's quality against the Bayes-optimal predictor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.modelpack import load_pack  # noqa: E402


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def _time_calls(fn, rows: np.ndarray, repeat: int) -> list[float]:
    times = []
    for i in range(repeat):
        x = rows[i % len(rows)][None, :]
        t0 = time.perf_counter()
        fn(x)
        times.append(time.perf_counter() - t0)
    return times


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=200_000)
    p.add_argument("--classes", type=int, default=100)
    p.add_argument("--binary-features", type=int, default=290)
    p.add_argument("--measures", type=int, default=8)
    p.add_argument("--engine", choices=["local", "dask"], default="local")
    p.add_argument("--max-rounds", type=int, default=None)
    p.add_argument("--workdir", type=Path, default=Path("data/bench"))
    p.add_argument("--reuse", action="store_true", help="reuse the pack and LightGBM model in --workdir")
    p.add_argument("--single", type=int, default=2000, help="single-case calls per engine")
    args = p.parse_args(argv)

    import lightgbm as lgb

    from training.config import TrainConfig
    from training.pipeline import train_model
    from training.toy import make_toy_world, toy_training_set

    world = make_toy_world(
        args.classes, args.binary_features, args.measures, signal_features=4, measure_spread=0.5, seed=1
    )
    pack_dir = args.workdir / "pack"
    booster_file = args.workdir / "lightgbm_model.txt"
    report: dict[str, object] = {
        "shape": {"rows": args.rows, "classes": args.classes, "features": len(world.feature_names)},
        "cpu_count": os.cpu_count(),
    }
    if args.reuse and pack_dir.is_dir() and booster_file.is_file():
        booster = lgb.Booster(model_file=str(booster_file))
        print(f"reusing {pack_dir}")
    else:
        t0 = time.perf_counter()
        data = toy_training_set(world, args.rows, seed=1)
        gen_s = time.perf_counter() - t0
        config = TrainConfig() if args.max_rounds is None else TrainConfig(max_rounds=args.max_rounds)
        t0 = time.perf_counter()
        result = train_model(
            data, created=dt.date(2026, 1, 1), config=config, engine=args.engine, track=False
        )
        total_s = time.perf_counter() - t0
        args.workdir.mkdir(parents=True, exist_ok=True)
        result.write_pack(pack_dir)
        booster_file.write_text(result.fit.model_text, encoding="utf-8")
        booster = result.fit.booster
        report["training"] = {
            "generate_s": round(gen_s, 1),
            "fit_s": round(result.fit.seconds, 1),
            "pipeline_s": round(total_s, 1),
            "best_iteration": result.fit.best_iteration,
            "rounds_trained": result.fit.rounds_trained,
            "trees": booster.num_trees(),
            "stage_seconds": result.manifest.training["stage_seconds"],
            "calibration": result.calibration.to_dict(),
        }
        del data

    loads = []
    for _ in range(5):
        t0 = time.perf_counter()
        pack = load_pack(pack_dir, threads=1)
        loads.append(time.perf_counter() - t0)
    size = sum(f.stat().st_size for f in pack_dir.iterdir())
    m = pack.manifest.metrics.get("test", {})
    report["pack"] = {
        "size_mb": round(size / 1e6, 2),
        "onnx_mb": round((pack_dir / "model.onnx").stat().st_size / 1e6, 2),
        "load_s_median": round(statistics.median(loads), 3),
        "load_s_max": round(max(loads), 3),
    }
    report["quality"] = {
        k: round(m.get(k, float("nan")), 4) for k in ("top1", "top3", "top5", "macro_f1", "ece", "brier")
    } | {"bayes_top1": round(m.get("bayes", {}).get("top1", float("nan")), 4)}

    bench = world.sample(10_000, seed=99).X
    temperature = pack.manifest.calibration.temperature

    # single case: LightGBM's own predict (default threads and 1 thread) vs the pack (1 thread)
    for fn in (lambda x: booster.predict(x), pack.predict_proba):  # warm-up
        _time_calls(fn, bench, 50)
    lgb_default = _time_calls(lambda x: booster.predict(x), bench, args.single)
    lgb_one = _time_calls(lambda x: booster.predict(x, num_threads=1), bench, args.single)
    onnx_one = _time_calls(pack.predict_proba, bench, args.single)
    pack2 = load_pack(pack_dir, threads=2)
    onnx_two = _time_calls(pack2.predict_proba, bench, args.single)

    def stats(ts: list[float]) -> dict[str, float]:
        return {
            "median_ms": round(statistics.median(ts) * 1e3, 3),
            "p99_ms": round(_percentile(ts, 99) * 1e3, 3),
        }

    report["single_case"] = {
        "lightgbm_predict": stats(lgb_default),
        "lightgbm_predict_1thread": stats(lgb_one),
        "onnx_pack_1thread": stats(onnx_one),
        "onnx_pack_2threads": stats(onnx_two),
        "ratio_onnx1_over_lightgbm_median": round(
            statistics.median(onnx_one) / statistics.median(lgb_default), 3
        ),
        "ratio_onnx1_over_lightgbm_p99": round(_percentile(onnx_one, 99) / _percentile(lgb_default, 99), 3),
    }

    # batch throughput on 10k cases
    t0 = time.perf_counter()
    p_lgb = booster.predict(bench)
    lgb_batch = time.perf_counter() - t0
    t0 = time.perf_counter()
    p_onnx1 = pack.predict_proba(bench)
    onnx_batch1 = time.perf_counter() - t0
    t0 = time.perf_counter()
    pack2.predict_proba(bench)
    onnx_batch2 = time.perf_counter() - t0
    report["batch_10k_rows_per_s"] = {
        "lightgbm": round(len(bench) / lgb_batch),
        "onnx_1thread": round(len(bench) / onnx_batch1),
        "onnx_2threads": round(len(bench) / onnx_batch2),
    }
    from training.calibrate import softmax
    from training.fit import raw_logits

    expected = softmax(raw_logits(booster, bench), temperature)
    report["parity_max_abs_diff_10k"] = float(np.abs(p_onnx1 - expected).max())
    report["uncalibrated_lightgbm_vs_pack_max_diff"] = float(np.abs(p_onnx1 - p_lgb).max())

    print(json.dumps(report, indent=2))
    targets = {
        "pack <= 30 MB": size <= 30e6,
        "load <= 1 s": statistics.median(loads) <= 1.0,
        "ONNX single case no slower than LightGBM (median)": statistics.median(onnx_one)
        <= statistics.median(lgb_default),
        "ECE <= 0.03": m.get("ece", 1.0) <= 0.03,
        "parity <= 1e-5": report["parity_max_abs_diff_10k"] <= 1e-5,
    }
    if "training" in report:
        targets["pipeline <= 600 s"] = report["training"]["pipeline_s"] <= 600  # type: ignore[index]
    for name, ok in targets.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

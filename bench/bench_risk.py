"""Benchmark: the follow-up risk model on a realistic synthetic cohort, and scoring throughput.

    .venv/bin/python bench/bench_risk.py                        # 20,000 patients, 1,000,000 rows scored
    .venv/bin/python bench/bench_risk.py --patients 5000 --rows 200000   # quicker
    .venv/bin/python bench/bench_risk.py --track --data-dir data         # also log to MLflow

Generates the cohort (:mod:`training.cohort`), builds rows at quarterly cut-offs, holds out 20 % of
the patients, trains through the shared pipeline (LightGBM → calibration → ONNX with parity) and
prints AUC, ECE of P(event), Brier (pipeline test split and held-out patients), rule baselines,
the reliability table, subgroup AUCs, and the scoring throughput of the runtime scorer
(:func:`assistant.followup.risk.load_risk_scorer`, onnxruntime, batched) on ``--rows`` feature rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--patients", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--rows", type=int, default=1_000_000, help="feature rows to score for throughput")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="onnxruntime threads to try")
    ap.add_argument("--track", action="store_true", help="log the run to MLflow in --data-dir")
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()

    import numpy as np
    import pandas as pd

    from assistant.followup.risk import RISK_PACK, load_risk_scorer
    from training.cohort.commands import fit_followup_risk

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or f"{tmp}/data"
        t0 = time.perf_counter()
        run = fit_followup_risk(
            args.patients, args.seed, created=dt.date.today(), track=args.track, data_dir=data_dir
        )
        total = time.perf_counter() - t0
        r = run.result
        keep = ("n", "base_rate", "mean_predicted", "auc", "ece", "brier", "brier_skill")
        print(f"cohort: {run.cohort.describe()}")
        print(
            f"rows: {len(run.train_rows):,} to the pipeline, {len(run.holdout_rows):,} held out; "
            f"outcomes {json.dumps({k: round(v, 4) for k, v in run.metrics['outcomes'].items()})}"
        )
        print(
            f"training: {total:.1f} s end to end (pipeline {r.seconds:.1f} s, stages "
            f"{r.manifest.training['stage_seconds']}), best iteration {r.fit.best_iteration}, "
            f"ONNX {len(r.onnx_bytes) / 1e3:.0f} kB, calibration {r.calibration.method} "
            f"T={r.calibration.temperature:.3f}, parity max |dp| {r.parity.max_abs_diff:.1e}"
        )
        for name in ("test", "holdout"):
            m = run.metrics[name]
            print(
                f"{name:8s}",
                "  ".join(f"{k} {m[k]:.4f}" if isinstance(m[k], float) else f"{k} {m[k]}" for k in keep),
            )
        print(
            "baselines (held-out AUC):",
            {k: round(v, 4) for k, v in run.metrics["baselines_auc_holdout"].items()},
        )
        print("reliability (held-out deciles: predicted -> observed):")
        for row in run.metrics["holdout"]["reliability"]:
            print(f"   {row['predicted']:.3f} -> {row['observed']:.3f}  (n {row['n']})")
        for group, values in run.metrics["holdout"]["subgroups"].items():
            cells = [
                f"{v}: auc {m['auc']:.3f} ece {m['ece']:.4f} (n {m['n']})"
                if "auc" in m and m["auc"]
                else f"{v}: n {m['n']}"
                for v, m in values.items()
            ]
            print(f"by {group}: " + "; ".join(cells))
        if r.tracking is not None:
            print(f"mlflow: {r.tracking.to_dict()}")

        models = Path(tmp) / "models"
        r.write_pack(models / RISK_PACK)
        base = run.holdout_rows.features
        reps = int(np.ceil(args.rows / len(base)))
        big = pd.concat([base] * reps, ignore_index=True).iloc[: args.rows]
        for threads in args.threads:
            scorer = load_risk_scorer(models, threads=threads)
            assert scorer is not None
            scorer(big.iloc[:1000])  # warm up
            best = float("inf")
            for _ in range(3):
                t = time.perf_counter()
                p = scorer(big)
                best = min(best, time.perf_counter() - t)
            assert p.shape == (len(big),) and np.isfinite(p).all()
            print(
                f"scoring {len(big):,} rows, {threads} thread(s): {best:.2f} s "
                f"({len(big) / best / 1e6:.2f} M rows/s, batches of {scorer.batch_size:,})"
            )


if __name__ == "__main__":
    main()

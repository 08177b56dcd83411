"""Benchmark: the synthetic consultation generator and the feature encoder, measured in one run.

    .venv/bin/python bench/bench_generator.py                  # 200,000 consultations
    .venv/bin/python bench/bench_generator.py --n 20000        # quicker
    .venv/bin/python bench/bench_generator.py --encode 20000   # encode (parse) only the first 20k

Prints one JSON object: time and throughput of each stage (world, sampling, exact posterior,
rendering to encounters, encoding = validating + reading the complaint + features), the
Bayes-optimal top-1/top-3 accuracy on the generated consultations (argmax of the exact posterior,
and the posterior's own expectation of it), and how nearly the encoder read back what was meant.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.features.encode import DiagnosisEncoder, diagnosis_feature_spec  # noqa: E402
from assistant.knowledge import KNOWLEDGE_DIR  # noqa: E402
from assistant.knowledge import conditions as conditions_mod  # noqa: E402
from assistant.knowledge import findings as findings_mod  # noqa: E402
from assistant.records import parse_encounter  # noqa: E402
from training.generator import observations_from_features, posterior, sample_cases, world_from_knowledge  # noqa: E402
from training.generator.render import build_vocabulary, parse_agreement, render_encounters  # noqa: E402


def _topk(post: np.ndarray, y: np.ndarray, k: int) -> float:
    top = np.argpartition(-post, k - 1, axis=1)[:, :k] if k > 1 else post.argmax(axis=1)[:, None]
    return float((top == y[:, None]).any(axis=1).mean())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200_000, help="consultations to generate")
    ap.add_argument("--encode", type=int, default=None, help="consultations to encode (default: all)")
    ap.add_argument("--seed", type=int, default=2025)
    args = ap.parse_args(argv)
    n = args.n
    n_enc = n if args.encode is None else min(args.encode, n)
    out: dict[str, object] = {"n": n, "n_encoded": n_enc, "seed": args.seed}

    t = time.perf_counter()
    kb = SimpleNamespace(findings=findings_mod.load(KNOWLEDGE_DIR), conditions=conditions_mod.load(KNOWLEDGE_DIR))
    world = world_from_knowledge(kb)
    encoder = DiagnosisEncoder(kb)
    vocab = build_vocabulary(world, kb, encoder.parse)
    out["setup_s"] = round(time.perf_counter() - t, 3)
    out["conditions"] = world.n_conditions
    out["findings"] = world.n_findings
    out["finding_groups"] = [len(g.members) for g in world.groups]

    t = time.perf_counter()
    sample = sample_cases(world, n, args.seed)
    dt_s = time.perf_counter() - t
    out["sample_s"] = round(dt_s, 3)
    out["sample_per_s"] = round(n / dt_s)

    t = time.perf_counter()
    post = posterior(world, sample)
    dt_s = time.perf_counter() - t
    out["posterior_s"] = round(dt_s, 3)
    out["posterior_per_s"] = round(n / dt_s)
    out["bayes_top1"] = round(_topk(post, sample.y, 1), 4)
    out["bayes_top3"] = round(_topk(post, sample.y, 3), 4)
    out["bayes_top5"] = round(_topk(post, sample.y, 5), 4)
    out["posterior_expected_top1"] = round(float(post.max(axis=1).mean()), 4)
    out["mean_present_written"] = round(float((sample.mentions == 1).sum(axis=1).mean()), 2)
    out["mean_negated_written"] = round(float((sample.mentions == 2).sum(axis=1).mean()), 2)

    t = time.perf_counter()
    encounters = render_encounters(world, sample, seed=args.seed, vocabulary=vocab)
    dt_s = time.perf_counter() - t
    out["render_s"] = round(dt_s, 3)
    out["render_per_s"] = round(n / dt_s)

    sub = sample.take(slice(0, n_enc))
    t = time.perf_counter()
    validated = [parse_encounter(e, default_date=dt.date(2000, 1, 1)) for e in encounters[:n_enc]]
    t_valid = time.perf_counter() - t
    spec = diagnosis_feature_spec(kb)
    t = time.perf_counter()
    batch = encoder.encode(validated, spec)
    t_enc = time.perf_counter() - t
    out["validate_s"] = round(t_valid, 3)
    out["encode_s"] = round(t_enc, 3)
    out["encode_per_s"] = round(n_enc / t_enc)
    out["encode_ms_per_case"] = round(1000 * t_enc / max(n_enc, 1), 3)
    out["parse_agreement"] = {k: round(v, 4) for k, v in parse_agreement(world, sub, batch.findings).items()}
    obs = observations_from_features(world, batch.X, spec)
    parsed_post = np.nan_to_num(posterior(world, obs))
    out["bayes_top1_on_encoded"] = round(_topk(parsed_post, sub.y, 1), 4)
    out["bayes_top3_on_encoded"] = round(_topk(parsed_post, sub.y, 3), 4)
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Rendered consultations: valid encounters, reproducible, read back by the real complaint reader."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pytest

from assistant.features.encode import DiagnosisEncoder, diagnosis_feature_spec
from assistant.knowledge import KNOWLEDGE_DIR
from assistant.knowledge import conditions as conditions_mod
from assistant.knowledge import findings as findings_mod
from assistant.records import parse_encounter
from training.generator import observations_from_features, posterior, sample_cases, world_from_knowledge
from training.generator.render import build_vocabulary, case_records, parse_agreement, render_encounters


@pytest.fixture(scope="module")
def kb() -> SimpleNamespace:
    return SimpleNamespace(findings=findings_mod.load(KNOWLEDGE_DIR), conditions=conditions_mod.load(KNOWLEDGE_DIR))


@pytest.fixture(scope="module")
def setup(kb):
    world = world_from_knowledge(kb)
    encoder = DiagnosisEncoder(kb)
    vocab = build_vocabulary(world, kb, encoder.parse)
    sample = sample_cases(world, 1500, seed=31)
    encounters = render_encounters(world, sample, seed=31, vocabulary=vocab)
    return world, encoder, vocab, sample, encounters


def test_encounters_are_valid_and_reproducible(setup) -> None:
    world, _, vocab, sample, encounters = setup
    assert len(encounters) == len(sample)
    for e in encounters:
        enc = parse_encounter(e, default_date=dt.date(2000, 1, 1))  # raises InputError when invalid
        assert enc.complaint or enc.findings
        assert enc.date is not None and enc.date.year == 2025
    again = render_encounters(world, sample, seed=31, vocabulary=vocab)
    assert again == encounters
    other = render_encounters(world, sample, seed=32, vocabulary=vocab)
    assert other != encounters
    langs = ["zh" if any("\u4e00" <= ch <= "\u9fff" for ch in (e.get("complaint") or "")) else "en" for e in encounters]
    assert 0.6 < langs.count("zh") / len(langs) < 0.9
    assert any("findings" in e for e in encounters) and any(e["patient"].get("history") for e in encounters)


def test_reader_reads_back_what_was_meant(setup) -> None:
    world, encoder, _, sample, encounters = setup
    validated = [parse_encounter(e, default_date=dt.date(2000, 1, 1)) for e in encounters]
    spec = diagnosis_feature_spec(encoder.kb)
    batch = encoder.encode(validated, spec)
    agreement = parse_agreement(world, sample, batch.findings)
    # typing slips (1% of words) and the reader's limits cost a little; most statements survive
    assert agreement["recall"] > 0.97, agreement
    assert agreement["precision"] > 0.98, agreement
    assert agreement["flipped"] < 0.02, agreement
    assert agreement["case_exact"] > 0.8, agreement
    # vitals and durations come back as written (a few are lost with the text around them)
    obs = observations_from_features(world, batch.X, spec)
    same_values = np.all((obs.values == sample.values) | (np.isnan(obs.values) & np.isnan(sample.values)), axis=1)
    assert same_values.mean() > 0.9
    assert np.array_equal(obs.age, sample.age) and np.array_equal(obs.male, sample.male)
    assert np.array_equal(obs.pregnant, sample.pregnant) and np.array_equal(obs.season, sample.season)
    # where everything was read exactly, the posterior from the features is the generator's posterior
    exact = (obs.written == sample.written).all(axis=1) & same_values
    assert exact.mean() > 0.6
    np.testing.assert_allclose(posterior(world, obs)[exact], posterior(world, sample)[exact], rtol=1e-9, atol=1e-12)


def test_case_records_carry_truth(setup) -> None:
    world, _, _, sample, encounters = setup
    post = posterior(world, sample.take(slice(0, 20)))
    recs = case_records(world, sample.take(slice(0, 20)), encounters[:20], post)
    for rec, y in zip(recs, sample.y[:20], strict=True):
        assert rec["synthetic"]["condition"] == world.condition_ids[y]
        assert set(rec["synthetic"]["written"]) >= set(rec["synthetic"]["mentioned"])
        assert abs(sum(rec["synthetic"]["posterior"].values()) - 1) < 0.2
        assert {k: v for k, v in rec.items() if k != "synthetic"} in encounters

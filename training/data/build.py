"""Generated consultations or a validated table → the pipeline's :class:`~training.dataset.TrainingSet`.

Both paths build features with the runtime encoder (:func:`assistant.features.encode.encode_batch`)
on validated :class:`~assistant.records.Encounter` objects, exactly as an assessment does
(DESIGN decision 1). Generated sets can top up rare conditions (``min_per_class``): extra consultations of those
conditions, drawn from the same generative model given the condition, marked ``train_only``. With
soft labels (their exact posterior) they need no correction; with hard labels the model corrects
for them by a per-class log bias (see :class:`~training.dataset.TrainingSet`).
Labels are the knowledge base's conditions (``Label.id`` = condition id,
``Label.icd10`` = its reported code: two conditions may share a code, e.g. hypertension and
hypertensive crisis, I10). Subgroups: ``age_band`` (children / adults / elderly / unknown) and
``sex`` (male / female / unknown).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from assistant.features import FeatureSpec
from assistant.features.encode import EncodedBatch, KnowledgeLike, diagnosis_feature_spec, encoder_for
from assistant.knowledge.conditions import age_band
from assistant.modelpack import Label
from assistant.records import Encounter, parse_encounter

from ..dataset import TrainingSet
from ..generator import (
    Sample,
    World,
    natural_class_prior,
    posterior,
    sample_cases,
    sample_condition_cases,
    world_from_knowledge,
)
from ..generator.params import ObservationParams
from ..generator.render import Vocabulary, build_vocabulary, render_encounters
from .table import ValidatedTable

__all__ = [
    "GeneratedSet",
    "condition_labels",
    "generate_training_set",
    "subgroups",
    "training_set_from_sample",
    "training_set_from_table",
]


def condition_labels(kb: KnowledgeLike, ids: Sequence[str] | None = None) -> tuple[Label, ...]:
    """One :class:`Label` per condition (all of ``kb`` in file order, or ``ids`` in that order)."""
    rows = list(kb.conditions) if ids is None else [kb.conditions[i] for i in ids]
    return tuple(Label(id=c.id, name_zh=c.name_zh, name_en=c.name_en, icd10=c.icd10) for c in rows)


def subgroups(encounters: Sequence[Encounter]) -> dict[str, np.ndarray]:
    """``age_band`` and ``sex`` of each encounter (``unknown`` when not recorded)."""
    bands = [age_band(e.patient.age_years) if e.patient.age_years is not None else "unknown" for e in encounters]
    sexes = [e.patient.sex or "unknown" for e in encounters]
    return {"age_band": np.array(bands, dtype=object), "sex": np.array(sexes, dtype=object)}


def training_set_from_table(
    table: ValidatedTable,
    kb: KnowledgeLike,
    *,
    spec: FeatureSpec | None = None,
    labels: Literal["all", "present"] = "all",
    source: str = "consultation table",
) -> tuple[TrainingSet, EncodedBatch]:
    """Features, labels and subgroups of a validated table (no posterior: the truth is unknown).

    ``labels="all"`` keeps every condition of ``kb`` as a class (the model covers the knowledge
    base); ``"present"`` only the conditions that occur in the table.
    """
    spec = spec or diagnosis_feature_spec(kb)
    batch = encoder_for(kb).encode(table.encounters, spec)
    ids = [c.id for c in kb.conditions] if labels == "all" else sorted(set(table.conditions), key=[c.id for c in kb.conditions].index)
    pos = {cid: i for i, cid in enumerate(ids)}
    y = np.array([pos[c] for c in table.conditions], dtype=np.int64)
    ts = TrainingSet(
        X=batch.X,
        y=y,
        spec=spec,
        labels=condition_labels(kb, ids),
        groups=subgroups(table.encounters),
        bayes_posterior=None,
        source=source,
    )
    return ts, batch


@dataclass(frozen=True)
class GeneratedSet:
    """A generated training set with everything behind it (world, latent sample, encounters)."""

    training: TrainingSet
    world: World
    sample: Sample
    encounters: list[dict[str, Any]]
    batch: EncodedBatch


def training_set_from_sample(
    world: World,
    sample: Sample,
    encounters: Sequence[dict[str, Any]],
    kb: KnowledgeLike,
    *,
    spec: FeatureSpec | None = None,
    with_posterior: bool = True,
    source: str = "synthetic",
    train_only: np.ndarray | None = None,
    class_prior: np.ndarray | None = None,
) -> tuple[TrainingSet, EncodedBatch]:
    """Encode rendered encounters of ``sample``; ``bayes_posterior`` is the exact posterior given
    what the doctor wrote (:func:`training.generator.posterior`), always under the natural prior.
    ``train_only`` / ``class_prior`` are passed on to the :class:`TrainingSet`."""
    spec = spec or diagnosis_feature_spec(kb)
    ids = [c.id for c in kb.conditions]
    if list(world.condition_ids) != ids:
        raise ValueError("the world was built from other conditions than the knowledge base's")
    validated = [parse_encounter(e, default_date=dt.date(2000, 1, 1)) for e in encounters]
    batch = encoder_for(kb).encode(validated, spec)
    ts = TrainingSet(
        X=batch.X,
        y=sample.y.astype(np.int64),
        spec=spec,
        labels=condition_labels(kb),
        groups=subgroups(validated),
        bayes_posterior=posterior(world, sample) if with_posterior else None,
        source=source,
        train_only=train_only,
        class_prior=class_prior,
    )
    return ts, batch


def generate_training_set(
    kb: KnowledgeLike,
    n: int,
    seed: int,
    *,
    params: ObservationParams | None = None,
    spec: FeatureSpec | None = None,
    start: dt.date = dt.date(2025, 1, 1),
    end: dt.date = dt.date(2025, 12, 31),
    vocabulary: Vocabulary | None = None,
    with_posterior: bool = True,
    min_per_class: int = 0,
) -> GeneratedSet:
    """``n`` synthetic consultations from ``kb``'s world, rendered, encoded and labelled (seeded).

    With ``min_per_class`` > 0, each condition with fewer natural cases gets that many minus its
    count extra consultations drawn given the condition (:func:`~training.generator.
    sample_condition_cases`), appended after the ``n`` natural rows and marked ``train_only``;
    ``class_prior`` is then the average normalised prior of the natural rows, from which the
    pipeline derives the log bias that restores the natural prior. The natural rows are the same
    as without top-up.
    """
    if min_per_class < 0:
        raise ValueError("min_per_class must be at least 0")
    world = world_from_knowledge(kb, params)
    sample = sample_cases(world, n, seed, start=start, end=end)
    vocab = vocabulary or build_vocabulary(world, kb)
    encounters = render_encounters(world, sample, seed=seed, vocabulary=vocab)
    extra = np.maximum(0, min_per_class - np.bincount(sample.y, minlength=world.n_conditions))
    source = f"synthetic generator (seed {seed}, {n} consultations, {start}..{end})"
    train_only = prior = None
    if extra.sum() > 0:
        top_seed = int(np.random.SeedSequence([seed, 1]).generate_state(1)[0])
        top = sample_condition_cases(world, extra, top_seed, start=start, end=end)
        prior = natural_class_prior(world, sample)
        encounters += render_encounters(world, top, seed=top_seed, vocabulary=vocab, id_prefix="SYNTOP")
        sample = Sample(
            *(np.concatenate([getattr(sample, f), getattr(top, f)]) for f in Sample.__dataclass_fields__)
        )
        train_only = np.arange(len(sample)) >= n
        source += (
            f" + {int(extra.sum())} train-only cases topping up {int((extra > 0).sum())} conditions "
            f"to {min_per_class} (the natural prior is kept: by the soft labels, or else by a per-class bias in the model)"
        )
    ts, batch = training_set_from_sample(
        world, sample, encounters, kb, spec=spec, with_posterior=with_posterior, source=source,
        train_only=train_only, class_prior=prior,
    )  # fmt: skip
    return GeneratedSet(ts, world, sample, encounters, batch)

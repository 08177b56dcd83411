"""The follow-up risk model's data and training: a synthetic longitudinal cohort and its pipeline.

cohort = generate_cohort(20_000, seed=2026)     # patients, visits, urgent events, latent truth
rows = cohort_rows(cohort)                      # feature_table as of quarterly cut-offs + 90-day outcome
run = fit_followup_risk(20_000, 2026, created=day, track=False)   # train, evaluate, export
summary = train_followup_risk(20_000, 2026, created=day)          # the CLI's entry point (MLflow)

Importing this package imports the runtime's follow-up modules, numpy and pandas; the training
stack (LightGBM, MLflow, onnxmltools) only when a model is trained.
"""

from __future__ import annotations

from .params import CohortParams
from .rows import AGE_BANDS, HORIZON_DAYS, OUTCOMES, CohortRows, cohort_rows, cutoff_dates, known_on, outcomes
from .simulate import EVENT_KINDS, PROGRAMS, Cohort, generate_cohort

__all__ = [
    "AGE_BANDS",
    "EVENT_KINDS",
    "HORIZON_DAYS",
    "OUTCOMES",
    "PROGRAMS",
    "Cohort",
    "CohortParams",
    "CohortRows",
    "cohort_rows",
    "cutoff_dates",
    "fit_followup_risk",
    "generate_cohort",
    "known_on",
    "outcomes",
    "train_followup_risk",
]


def __getattr__(name: str) -> object:
    if name in ("fit_followup_risk", "train_followup_risk"):
        from . import commands

        return getattr(commands, name)
    raise AttributeError(name)

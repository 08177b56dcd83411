"""Synthetic village-clinic consultations with an explicit generative model and its exact posterior.

world = world_from_knowledge(kb)              # compile knowledge + observation.yaml
sample = sample_cases(world, 20_000, seed=1)  # latent truth and what the doctor wrote
post = posterior(world, sample)               # exact P(condition | what was written)
encounters = render_encounters(world, sample, seed=1)   # CONTRACTS §1 dicts (zh/en text)
"""

from __future__ import annotations

from .params import PARAMS_FILE, ObservationParams, load_params
from .posterior import Observations, log_likelihood, log_prior, observations_from_features, posterior
from .render import Vocabulary, build_vocabulary, case_records, parse_agreement, render_encounters
from .sample import Sample, natural_class_prior, sample_cases, sample_condition_cases
from .world import DURATION, Group, Variable, World, build_world, world_from_knowledge

__all__ = [
    "DURATION",
    "PARAMS_FILE",
    "Group",
    "ObservationParams",
    "Observations",
    "Sample",
    "Variable",
    "Vocabulary",
    "World",
    "build_vocabulary",
    "build_world",
    "case_records",
    "load_params",
    "natural_class_prior",
    "log_likelihood",
    "log_prior",
    "observations_from_features",
    "parse_agreement",
    "posterior",
    "render_encounters",
    "sample_cases",
    "sample_condition_cases",
    "world_from_knowledge",
]

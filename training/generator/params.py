"""The observation-model parameters of the generator (``observation.yaml``), validated.

These are the numbers of the synthetic world that are not clinical knowledge about a condition:
who visits a village clinic (age, sex, pregnancy), how often a doctor writes down a finding the
patient has (``mentions.present``) or one the patient does not have (``mentions.negated``, higher for
pertinent negatives), background rates, healthy vital signs by age, how often each vital sign is
measured, and how the record is typed (language, structured findings, typos).

Rates that change with age are *steps*: ``[[0, a], [18, b]]`` means ``a`` below 18 years and ``b``
from 18 on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assistant.knowledge.base import KnowledgeError, Meta, read_yaml

__all__ = ["PARAMS_FILE", "ObservationParams", "Steps", "load_params", "step_values"]

PARAMS_FILE = Path(__file__).resolve().parent / "observation.yaml"

Prob = Annotated[float, Field(ge=0.0, le=1.0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AgeBand(_Model):
    from_: float = Field(alias="from", ge=0)
    to: float = Field(gt=0, le=120)
    weight: float = Field(gt=0)


class AgeRange(_Model):
    age_from: float = Field(ge=0)
    age_to: float = Field(le=120)


class Pregnancy(AgeRange):
    probability: Prob


class Visits(_Model):
    age_bands: tuple[AgeBand, ...]
    male_share: Prob
    pregnancy: Pregnancy
    pregnancy_recorded_ages: AgeRange

    @model_validator(mode="after")
    def _check(self) -> Visits:
        prev = 0.0
        for band in self.age_bands:
            if band.from_ != prev or band.to <= band.from_:
                raise ValueError("age_bands must be contiguous and start at 0")
            prev = band.to
        return self


class Negated(_Model):
    own: Prob
    differential: Prob
    other: Prob
    # finding code -> probability of being written as negated in a routine review of systems,
    # whatever the condition (a floor under the three rates above)
    routine: dict[str, Prob] = {}


class Mentions(_Model):
    present: dict[str, Prob]
    negated: Negated


Steps = tuple[tuple[float, float], ...]


def _check_steps(steps: tuple[tuple[float, object], ...], what: str) -> None:
    ages = [a for a, _ in steps]
    if not ages or ages[0] != 0 or ages != sorted(ages) or len(set(ages)) != len(ages):
        raise ValueError(f"{what}: steps must start at age 0 and increase")


class Background(_Model):
    symptom: Prob
    sign: Prob
    course: Prob
    history: Prob
    vital: Prob
    by_age: dict[str, Steps] = {}

    @model_validator(mode="after")
    def _check(self) -> Background:
        for code, steps in self.by_age.items():
            _check_steps(steps, f"background.by_age.{code}")
            if any(not 0 <= p <= 1 for _, p in steps):
                raise ValueError(f"background.by_age.{code}: probabilities must be in [0, 1]")
        return self


class Written(_Model):
    step: float = Field(gt=0)
    min: float
    max: float


class Link(_Model):
    finding: str
    when_present: tuple[float, float]


class VitalParams(_Model):
    recorded: dict[str, Steps]
    written: dict[str, Written]
    together: dict[str, str] = {}
    min_pulse_pressure: float = 0.0
    links: dict[str, Link] = {}

    @model_validator(mode="after")
    def _check(self) -> VitalParams:
        if set(self.recorded) != set(self.written):
            raise ValueError("vitals.recorded and vitals.written must name the same vitals")
        for name in self.recorded:
            _check_steps(self.recorded[name], f"vitals.recorded.{name}")
            if any(not 0 <= p <= 1 for _, p in self.recorded[name]):
                raise ValueError(f"vitals.recorded.{name}: probabilities must be in [0, 1]")
        for name, w in self.written.items():
            if w.max <= w.min:
                raise ValueError(f"vitals.written.{name}: max must be above min")
        for a, b in self.together.items():
            if a not in self.recorded or b not in self.recorded or b in self.together:
                raise ValueError(f"vitals.together: {a} -> {b} must name two vitals, the second not itself tied")
        unknown = set(self.links) - set(self.recorded)
        if unknown:
            raise ValueError(f"vitals.links: unknown vitals {sorted(unknown)}")
        return self


class LogNormal(_Model):
    median_days: float = Field(gt=0)
    spread: float = Field(gt=0)


class DurationLink(LogNormal):
    finding: str


class DurationParams(_Model):
    links: tuple[DurationLink, ...] = ()
    otherwise: LogNormal


class Writing(_Model):
    chinese: Prob
    structured_case: Prob
    structured_item: Prob
    vitals_in_text: Prob
    history_in_list: Prob
    history_as_code: Prob
    duration: Prob
    typo: Prob
    synonym: Prob


class ObservationParams(_Model):
    meta: Meta
    visits: Visits
    mentions: Mentions
    background: Background
    vitals: VitalParams
    duration: DurationParams
    writing: Writing


def load_params(path: Path | None = None) -> ObservationParams:
    """Read and validate ``observation.yaml`` (or another file of the same shape)."""
    path = Path(path) if path is not None else PARAMS_FILE
    data = read_yaml(path)
    try:
        return ObservationParams.model_validate(data)
    except ValidationError as exc:
        lines = [f"{path.name}: field '{'.'.join(map(str, e['loc']))}': {e['msg']}" for e in exc.errors()]
        raise KnowledgeError("\n".join(lines)) from exc


def step_values(steps: Steps, ages: np.ndarray) -> np.ndarray:
    """The value of a step function of age (``[[0, a], [18, b]]``) at each of ``ages``."""
    edges = np.array([a for a, _ in steps[1:]], dtype=float)
    idx = np.searchsorted(edges, np.asarray(ages, dtype=float), side="right")
    return np.asarray([v for _, v in steps], dtype=float)[idx]

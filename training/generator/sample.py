"""Drawing consultations from a :class:`~.world.World`: seeded, vectorised, reproducible.

Per consultation, in this order (one ``numpy.random.Generator`` seeded once):

1. date, uniform over ``[start, end]`` → season (China, by month);
2. patient: age from the village-clinic visit mix (uniform inside each band; written to 0.1 year
   under two, whole years after), sex, pregnancy (women 18-45 with a small probability; recorded
   true/false for every woman 15-49, not recorded otherwise);
3. condition ∝ prevalence × season × age-band × sex multipliers, among the conditions this
   patient can have (age range, sex, pregnancy);
4. latent findings: independent given the condition, except the coherent groups (see
   :mod:`.world`);
5. what the doctor writes about each finding: present findings written with probability
   ``m+`` (by category), absent ones written as negated with ``m-`` (higher for the condition's own
   findings and red flags, then for the findings of its group's conditions);
6. variables: each vital sign written with a probability that depends on age only, its value from
   the condition (or the linked finding's state), written at the doctor's precision; the illness
   duration likewise;
7. what the encoder will report: the mentions, plus the findings the knowledge base's rules derive
   (``resolve_findings`` of the runtime encoder, on the same values);
8. a consultation that misses its condition's ``presents_with`` findings and measurements is drawn
   again from step 4 (the patient would not have come; rejection keeps the model exact).

:func:`sample_condition_cases` draws consultations *of a given condition* from the same model
(rare classes' "top-up" for training): the patient (date, age, sex, pregnancy) is drawn from its
exact conditional distribution given the condition by rejection sampling, steps 4-7 are unchanged.
So ``P(what was written | condition)`` is the natural one and only the class frequencies differ:
training on the exact posterior (soft labels) is unaffected by them; training on hard labels
corrects them with a per-class log bias.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from .params import step_values
from .world import NEGATED, PRESENT, UNMENTIONED, World, group_regions, presented, resolve_group

__all__ = ["MONTH_SEASON", "Sample", "natural_class_prior", "sample_cases", "sample_condition_cases"]

#: Season index (winter, spring, summer, autumn) of each month 1-12 (index 0 unused).
MONTH_SEASON = np.array([-1, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 0], dtype=np.int8)


@dataclass(frozen=True)
class Sample:
    """``n`` generated consultations as columns (the latent truth and what was written).

    ``pregnant``: 1 pregnant, 0 recorded as not pregnant, -1 not recorded. ``present``: latent
    findings; ``mentions``: what the doctor wrote (0 not mentioned, 1 present, 2 negated);
    ``written``: what a perfect reader and the encoder report (mentions plus derived findings);
    ``values``: written variables (vitals, then the illness duration), NaN when not written.
    """

    y: np.ndarray
    day: np.ndarray
    age: np.ndarray
    male: np.ndarray
    pregnant: np.ndarray
    season: np.ndarray
    present: np.ndarray
    mentions: np.ndarray
    written: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.y)

    def take(self, idx: np.ndarray | slice) -> Sample:
        """The consultations at ``idx``."""
        return Sample(*(getattr(self, f)[idx] for f in self.__dataclass_fields__))


def _choose(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category per row of ``probs`` (rows need not be normalised)."""
    cum = np.cumsum(probs, axis=1)
    total = cum[:, -1]
    if np.any(total <= 0):
        raise ValueError(
            "a case has no possible condition (check the conditions' age, sex and pregnancy limits)"
        )
    u = rng.random(len(probs)) * total
    idx = (cum <= u[:, None]).sum(axis=1)
    return np.minimum(idx, probs.shape[1] - 1)


def _demographics(
    world: World, rng: np.random.Generator, n: int, start: dt.date, end: dt.date
) -> tuple[np.ndarray, ...]:
    visits = world.params.visits
    span = (end - start).days + 1
    day = np.datetime64(start.isoformat()) + rng.integers(0, span, size=n).astype("timedelta64[D]")
    month = (day.astype("datetime64[M]").astype(np.int64) % 12) + 1
    season = MONTH_SEASON[month]
    weights = np.array([b.weight for b in visits.age_bands])
    band = rng.choice(len(weights), size=n, p=weights / weights.sum())
    lo = np.array([b.from_ for b in visits.age_bands])[band]
    hi = np.array([b.to for b in visits.age_bands])[band]
    raw = lo + (hi - lo) * rng.random(n)
    age = np.where(raw < 2, np.maximum(np.round(raw, 1), 0.1), np.floor(raw))
    male = rng.random(n) < visits.male_share
    preg = visits.pregnancy
    can = ~male & (age >= preg.age_from) & (age < preg.age_to)
    is_pregnant = can & (rng.random(n) < preg.probability)
    rec = visits.pregnancy_recorded_ages
    recorded = ~male & (age >= rec.age_from) & (age < rec.age_to)
    pregnant = np.where(recorded, is_pregnant.astype(np.int8), -1).astype(np.int8)
    return day, age, male, pregnant, season


def _redraw_pressures(world: World, rng: np.random.Generator, values: np.ndarray, band: np.ndarray, y: np.ndarray) -> None:
    """Redraw written blood pressures whose systolic does not exceed the diastolic by the minimum."""
    gap = world.params.vitals.min_pulse_pressure
    if world.log_bp_accept is None:
        return
    names = [v.name for v in world.variables]
    si, di = names.index("systolic_bp"), names.index("diastolic_bp")
    s_var, d_var = world.variables[si], world.variables[di]
    for _ in range(1000):
        bad = np.flatnonzero(~np.isnan(values[:, si]) & (values[:, si] - values[:, di] < gap - 1e-9))
        if len(bad) == 0:
            return
        for vi, var in ((si, s_var), (di, d_var)):
            raw = var.mean[band[bad], 0, y[bad]] + var.sd[band[bad], 0, y[bad]] * rng.standard_normal(len(bad))
            values[bad, vi] = var.write(raw)
    raise RuntimeError("blood pressures could not be drawn with the minimum pulse pressure")


def _chunk(world: World, rng: np.random.Generator, n: int, start: dt.date, end: dt.date) -> Sample:
    day, age, male, pregnant, season = _demographics(world, rng, n, start, end)
    y = _choose(rng, world.prior_weights(age, male, pregnant, season))
    return _observe(world, rng, y, day, age, male, pregnant, season)


def _observe(
    world: World,
    rng: np.random.Generator,
    y: np.ndarray,
    day: np.ndarray,
    age: np.ndarray,
    male: np.ndarray,
    pregnant: np.ndarray,
    season: np.ndarray,
) -> Sample:
    """Steps 4-8: what is written for patients whose condition ``y`` is drawn, drawn again for the
    consultations that miss their condition's ``presents_with``."""
    drawn = _observe_once(world, rng, y, age)
    todo = np.flatnonzero(~presented(world, drawn[2], drawn[3], y))
    rounds = 0
    while len(todo):
        rounds += 1
        if rounds > 1000:
            raise RuntimeError("presents_with: a condition almost never shows its presenting findings")
        redo = _observe_once(world, rng, y[todo], age[todo])
        for whole, part in zip(drawn, redo, strict=True):
            whole[todo] = part
        todo = todo[~presented(world, redo[2], redo[3], y[todo])]
    return Sample(y, day, age, male, pregnant, season, *drawn)


def _observe_once(
    world: World, rng: np.random.Generator, y: np.ndarray, age: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Steps 4-7 for patients whose condition ``y`` is already drawn: the latent findings, the
    mentions, what the encoder reports and the written values."""
    n, F = len(y), world.n_findings
    stratum = world.stratum(age)
    band = world.stratum_band[stratum]

    # latent findings
    present = np.zeros((n, F), dtype=bool)
    singles = world.singles
    p = world.p[stratum, y][:, singles]
    present[:, singles] = rng.random(p.shape) < p
    for g in world.groups:
        conf = _choose(rng, g.pi[stratum, y])
        present[:, list(g.members)] = g.z_bits[conf]

    # mentions
    u = rng.random((n, F))
    mentions = np.full((n, F), UNMENTIONED, dtype=np.int8)
    mentions[present & (u < world.m_plus[None, :])] = PRESENT
    mentions[~present & (u < world.m_minus[y])] = NEGATED

    # variables
    values = np.full((n, len(world.variables)), np.nan)
    together = world.params.vitals.together
    recorded_by: dict[str, np.ndarray] = {}
    for vi, var in enumerate(world.variables):
        recorded = rng.random(n) < step_values(var.recorded, age)
        if var.name in together:
            recorded = recorded_by[together[var.name]]
        recorded_by[var.name] = recorded
        state = np.full(n, len(var.links), dtype=np.int64)
        for pos in reversed(range(len(var.links))):
            state = np.where(present[:, var.links[pos]], pos, state)
        mean = var.mean[band, state, y]
        sd = var.sd[band, state, y]
        raw = mean + sd * rng.standard_normal(n)
        if var.log:
            raw = np.exp(raw)
        values[:, vi] = np.where(recorded, var.write(raw), np.nan)

    _redraw_pressures(world, rng, values, band, y)
    written = mentions.copy()
    for g in world.groups:
        members = list(g.members)
        written[:, members] = resolve_group(world, g, mentions[:, members], group_regions(world, g, values))
    return present, mentions, written, values


def sample_cases(
    world: World,
    n: int,
    seed: int,
    *,
    start: dt.date = dt.date(2025, 1, 1),
    end: dt.date = dt.date(2025, 12, 31),
    chunk: int = 20_000,
) -> Sample:
    """``n`` consultations dated between ``start`` and ``end`` (inclusive); the same ``seed`` (and
    ``chunk``) always gives the same consultations."""
    if n < 0:
        raise ValueError("n must be at least 0")
    if end < start:
        raise ValueError("end is before start")
    rng = np.random.default_rng(seed)
    parts = [_chunk(world, rng, min(chunk, n - i), start, end) for i in range(0, n, chunk)] or [
        _chunk(world, rng, 0, start, end)
    ]
    if len(parts) == 1:
        return parts[0]
    return Sample(*(np.concatenate([getattr(s, f) for s in parts]) for f in Sample.__dataclass_fields__))


def _prior_share(
    world: World, age: np.ndarray, male: np.ndarray, pregnant: np.ndarray, season: np.ndarray
) -> np.ndarray:
    """Normalised prior P(condition | age, sex, pregnancy, season), shape (n, K); 0 rows stay 0."""
    w = world.prior_weights(age, male, pregnant, season)
    total = w.sum(axis=1, keepdims=True)
    return np.divide(w, total, out=np.zeros_like(w), where=total > 0)


def _share_bounds(world: World) -> np.ndarray:
    """An upper bound of P(condition k | patient) over every patient the generator can draw, (K,).

    Taken over a grid holding every age the generator writes (0.1-year steps under two, whole
    years after), both sexes, every pregnancy code a woman can have, and the four seasons.
    """
    top = max(b.to for b in world.params.visits.age_bands)
    ages = np.unique(np.concatenate([np.round(np.arange(1, 21) * 0.1, 1), np.arange(0, np.ceil(top) + 1)]))
    combos = [(True, -1), (False, -1), (False, 0), (False, 1)]
    rows = [(a, m, p, s) for a in ages for m, p in combos for s in range(4)]
    age, male, preg, season = (np.array(c) for c in zip(*rows, strict=True))
    share = _prior_share(
        world, age.astype(float), male.astype(bool), preg.astype(np.int8), season.astype(np.int8)
    )
    return share.max(axis=0)


def natural_class_prior(world: World, sample: Sample) -> np.ndarray:
    """The average of the normalised prior P(condition | patient) over ``sample``'s patients, (K,).

    For a natural sample this is an unbiased estimate of the marginal class frequencies with much
    less noise than the class counts (it does not depend on which condition was drawn).
    """
    if len(sample) == 0:
        raise ValueError("an empty sample has no class prior")
    return _prior_share(world, sample.age, sample.male, sample.pregnant, sample.season).mean(axis=0)


def sample_condition_cases(
    world: World,
    counts: np.ndarray,
    seed: int,
    *,
    start: dt.date = dt.date(2025, 1, 1),
    end: dt.date = dt.date(2025, 12, 31),
    batch: int = 20_000,
    max_draws: int = 50_000_000,
) -> Sample:
    """``counts[k]`` consultations of condition ``k`` for each ``k`` (rows grouped by condition).

    Patients are drawn as in :func:`sample_cases` and kept with probability
    ``P(k | patient) / max P(k | ·)`` (rejection sampling), so they follow exactly
    ``P(patient | k)``; the findings and measurements are then drawn given ``k`` as usual. Seeded.
    Raises ``ValueError`` for a condition no patient can have and ``RuntimeError`` when more than
    ``max_draws`` patients were needed for one condition.
    """
    counts = np.asarray(counts, dtype=np.int64)
    if counts.shape != (world.n_conditions,) or (counts < 0).any():
        raise ValueError(f"counts must be {world.n_conditions} non-negative whole numbers")
    if end < start:
        raise ValueError("end is before start")
    rng = np.random.default_rng(seed)
    bounds = _share_bounds(world)
    parts: list[Sample] = []
    for k in np.flatnonzero(counts > 0):
        if bounds[k] <= 0:
            raise ValueError(f"no patient can have condition {world.condition_ids[k]!r}")
        need, drawn = int(counts[k]), 0
        kept: list[tuple[np.ndarray, ...]] = []
        while need > 0:
            if drawn >= max_draws:
                raise RuntimeError(
                    f"condition {world.condition_ids[k]!r}: {drawn} patients drawn, too few have it"
                )
            demo = _demographics(world, rng, batch, start, end)
            drawn += batch
            share = _prior_share(world, demo[1], demo[2], demo[3], demo[4])[:, k]
            take = np.flatnonzero(rng.random(batch) * bounds[k] < share)[:need]
            kept.append(tuple(col[take] for col in demo))
            need -= len(take)
        day, age, male, pregnant, season = (np.concatenate(cols) for cols in zip(*kept, strict=True))
        y = np.full(len(age), k, dtype=np.int64)
        parts.append(_observe(world, rng, y, day, age, male, pregnant, season))
    if not parts:
        return sample_cases(world, 0, seed, start=start, end=end)
    if len(parts) == 1:
        return parts[0]
    return Sample(*(np.concatenate([getattr(s, f) for s in parts]) for f in Sample.__dataclass_fields__))

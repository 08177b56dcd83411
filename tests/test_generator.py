"""The synthetic generator: reproducibility, the prior, and the exact posterior.

The posterior is checked three ways: (1) against a brute-force sum over every latent state and
every mention of a tiny world with implied findings, vital-sign and duration rules; (2) the
Bayes-optimal top-1 (argmax of the posterior) on generated cases has the accuracy the posterior
itself predicts (mean of its maximum); (3) observation patterns seen many times have condition
frequencies matching the posterior.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from types import SimpleNamespace

import numpy as np
import pytest
from scipy.stats import norm

from assistant.features.encode import resolve_findings
from assistant.knowledge import KNOWLEDGE_DIR
from assistant.knowledge import conditions as conditions_mod
from assistant.knowledge import findings as findings_mod
from assistant.knowledge.conditions import Condition, ConditionsMeta, age_band, season_of
from assistant.knowledge.findings import Finding
from training.generator import (
    Observations,
    build_world,
    load_params,
    posterior,
    sample_cases,
    world_from_knowledge,
)
from training.generator.world import NEGATED, PRESENT, UNMENTIONED, presented

SEASONS = ("winter", "spring", "summer", "autumn")


@pytest.fixture(scope="module")
def kb() -> SimpleNamespace:
    return SimpleNamespace(findings=findings_mod.load(KNOWLEDGE_DIR), conditions=conditions_mod.load(KNOWLEDGE_DIR))


@pytest.fixture(scope="module")
def world(kb):
    return world_from_knowledge(kb)


RULES = {
    "fever": {"from_vital": {"vital": "temperature_c", "at_least": 37.3}},
    "high_fever": {"implies": ("fever",), "from_vital": {"vital": "temperature_c", "at_least": 39.0}},
    "dry_cough": {"implies": ("cough",)},
    "productive_cough": {"implies": ("cough",)},
    "purulent_sputum": {"implies": ("productive_cough",)},
    "prolonged_cough": {"implies": ("cough",), "from_duration": {"of": "cough", "at_least_days": 14}},
    "acute_course": {"from_duration": {"at_most_days": 14}},
    "chronic_course": {"from_duration": {"at_least_days": 90}},
    **{c: {"implies": ("abdominal_pain",)} for c in ("epigastric_pain", "rlq_pain", "ruq_pain", "periumbilical_pain",
                                                     "lower_abdominal_pain", "colicky_abdominal_pain")},
    "tachypnea": {"from_vital": {"vital": "respiratory_rate", "at_least": 24}},
}


@pytest.fixture(scope="module")
def rules_world(kb):
    """The shipped knowledge with derivation rules of the kind findings.yaml carries (bigger groups)."""
    from assistant.knowledge.base import Table

    rows = []
    for f in kb.findings:
        if f.code in RULES:
            f = Finding.model_validate({**f.model_dump(), **RULES[f.code]})
        rows.append(f)
    t = kb.findings
    table = Table(path=t.path, meta=t.meta, rows=tuple(rows), key="code", index={f.code: f for f in rows})
    return world_from_knowledge(SimpleNamespace(findings=table, conditions=kb.conditions))


def _same(a, b) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f), equal_nan=getattr(a, f).dtype.kind == "f")
               for f in a.__dataclass_fields__)  # fmt: skip


# ------------------------------------------------------------------------------ reproducibility


def test_world_builds_without_problems(world) -> None:
    assert world.problems == ()
    assert world.n_conditions == 96 or world.n_conditions >= 90


def test_same_seed_same_consultations(world) -> None:
    a = sample_cases(world, 3000, seed=11)
    b = sample_cases(world, 3000, seed=11)
    c = sample_cases(world, 3000, seed=12)
    assert _same(a, b)
    assert not np.array_equal(a.y, c.y)


def test_chunking_keeps_cases_valid(world) -> None:
    s = sample_cases(world, 2500, seed=3, chunk=1000)
    assert len(s) == 2500
    assert s.mentions.shape == (2500, world.n_findings)


def test_dates_inside_range_and_demographics_coherent(world) -> None:
    s = sample_cases(world, 5000, seed=4, start=dt.date(2024, 12, 1), end=dt.date(2025, 2, 28))
    assert s.day.min() >= np.datetime64("2024-12-01") and s.day.max() <= np.datetime64("2025-02-28")
    assert set(np.unique(s.season)) == {0}  # all winter
    assert not (s.male & (s.pregnant >= 0)).any()
    assert (s.age >= 0).all() and (s.age <= 95).all()
    # a condition that needs pregnancy only for pregnant women; sex-specific ones only for that sex
    ok = world.prior_weights(s.age, s.male, s.pregnant, s.season)[np.arange(len(s)), s.y]
    assert (ok > 0).all()


# ---------------------------------------------------------------------------------------- prior


def test_prior_weights_match_condition_prior_weight(world) -> None:
    rng = np.random.default_rng(0)
    ages = rng.uniform(0, 95, 60).round()
    males = rng.random(60) < 0.5
    preg = np.where(~males & (ages >= 18) & (ages < 45), rng.integers(0, 2, 60), 0).astype(np.int8)
    seasons = rng.integers(0, 4, 60)
    got = world.prior_weights(ages, males, preg, seasons)
    for i in range(60):
        for k, c in enumerate(world.conditions):
            want = c.prior_weight(float(ages[i]), "male" if males[i] else "female", bool(preg[i]), SEASONS[seasons[i]])
            assert got[i, k] == pytest.approx(want, rel=1e-12, abs=1e-12)


def test_condition_frequencies_match_prevalence_times_multipliers(world) -> None:
    """Observed counts per condition against Σ over cases of prevalence × season × age band × sex
    (normalised over the conditions the case can have): a chi-square test."""
    s = sample_cases(world, 60_000, seed=21)
    w = np.array(
        [[c.prior_weight(float(a), "male" if m else "female", bool(p == 1), SEASONS[z]) for c in world.conditions]
         for a, m, p, z in zip(s.age[:4000], s.male[:4000], s.pregnant[:4000], s.season[:4000], strict=True)]
    )  # fmt: skip
    # the independent computation above agrees with the vectorised one the sampler uses …
    fast = world.prior_weights(s.age, s.male, s.pregnant, s.season)
    assert np.allclose(fast[:4000], w, rtol=1e-12)
    # … and the sampled conditions follow it
    expected = (fast / fast.sum(axis=1, keepdims=True)).sum(axis=0)
    observed = np.bincount(s.y, minlength=world.n_conditions)
    big = expected >= 20
    chi2 = (((observed - expected) ** 2) / expected)[big].sum()
    dof = int(big.sum()) - 1
    assert chi2 < dof + 4 * math.sqrt(2 * dof), (chi2, dof)
    assert observed[~big].sum() < 3 * expected[~big].sum() + 10
    # seasonality is visible: influenza is far more frequent in winter than in summer
    flu = world.condition_ids.index("influenza")
    winter = (s.y[s.season == 0] == flu).mean()
    summer = (s.y[s.season == 2] == flu).mean()
    assert winter > 4 * summer


# ------------------------------------------------------------------- posterior: proper and exact


def test_posterior_is_a_distribution(world) -> None:
    s = sample_cases(world, 5000, seed=5)
    post = posterior(world, s)
    assert post.shape == (5000, world.n_conditions)
    assert not np.isnan(post).any()
    assert (post >= 0).all()
    assert np.allclose(post.sum(axis=1), 1.0)
    assert (post[np.arange(5000), s.y] > 0).all()  # the true condition is always possible
    # conditions a patient cannot have get exactly zero
    allowed = world.prior_weights(s.age, s.male, s.pregnant, s.season) > 0
    assert (post[~allowed] == 0).all()


@pytest.mark.parametrize("which", ["world", "rules_world"])
def test_bayes_top1_equals_mean_max_posterior(which, request) -> None:
    """Accuracy of argmax posterior (counted against the true conditions) equals the posterior's own
    expected accuracy E[max_c P(c | obs)] within sampling error."""
    world = request.getfixturevalue(which)
    if which == "rules_world":
        assert max(len(g.members) for g in world.groups) >= 7
    s = sample_cases(world, 20_000, seed=6)
    post = posterior(world, s)
    top = post.argmax(axis=1)
    acc = (top == s.y).mean()
    predicted = post.max(axis=1).mean()
    se = math.sqrt(predicted * (1 - predicted) / len(s))
    assert abs(acc - predicted) < 4 * se, (acc, predicted)
    top3 = np.argsort(-post, axis=1)[:, :3]
    acc3 = (top3 == s.y[:, None]).any(axis=1).mean()
    pred3 = np.take_along_axis(post, top3, axis=1).sum(axis=1).mean()
    assert abs(acc3 - pred3) < 4 * math.sqrt(pred3 * (1 - pred3) / len(s)) + 1e-3


# ----------------------------------------------------------------------------- the tiny world


def _finding(code: str, category: str = "symptom", **kw) -> Finding:
    return Finding(code=code, name_zh=code, name_en=code, category=category, **kw)


TINY_FINDINGS = (
    _finding("fever", from_vital={"vital": "temperature_c", "at_least": 37.3}),
    _finding("high_fever", implies=("fever",), from_vital={"vital": "temperature_c", "at_least": 39.0}),
    _finding("cough"),
    _finding("dry_cough", implies=("cough",)),
    _finding("rash", category="sign"),
    _finding("acute_course", category="course", from_duration={"at_most_days": 14}),
)


def _condition(cid: str, prevalence: float, findings: dict[str, float], **kw) -> Condition:
    return Condition.model_validate(
        {"id": cid, "icd10": kw.pop("icd10"), "name_zh": cid, "name_en": cid, "group": "respiratory",
         "triage": "manage", "prevalence": prevalence, "findings": findings, "source": "test", **kw}
    )  # fmt: skip


TINY_CONDITIONS = (
    _condition("flu", 30, {"fever": 0.9, "high_fever": 0.5, "cough": 0.7, "dry_cough": 0.5, "rash": 0.05,
               "acute_course": 0.9}, icd10="J11.1", season={"winter": 3.0, "summer": 0.3},
               vitals={"temperature_c": [38.9, 0.5]}),
    _condition("cold", 60, {"fever": 0.3, "high_fever": 0.03, "cough": 0.5, "dry_cough": 0.2, "rash": 0.02,
               "acute_course": 0.95}, icd10="J00", age_profile={"children": 2.0}),
    _condition("measles", 5, {"fever": 0.95, "high_fever": 0.6, "cough": 0.6, "dry_cough": 0.4, "rash": 0.9,
               "acute_course": 0.6}, icd10="B05.9", age_profile={"children": 4.0, "elderly": 0.2},
               vitals={"temperature_c": [38.5, 0.6]}),
)

TINY_META = ConditionsMeta.model_validate(
    {"background_rate": {"symptom": 0.03, "sign": 0.02, "course": 0.05, "history": 0.05, "vital": 0.02},
     "normal_vitals": {band: {v: [36.6, 0.3] if v == "temperature_c" else [100.0, 10.0]
                              for v in conditions_mod.VITAL_SIGNS} for band in ("children", "adults", "elderly")}}
)  # fmt: skip


@pytest.fixture(scope="module")
def tiny():
    p = load_params()
    vitals = p.vitals.model_copy(
        update={"recorded": {"temperature_c": ((0.0, 0.6),)}, "written": {"temperature_c": p.vitals.written["temperature_c"]},
                "together": {}, "min_pulse_pressure": 0.0}
    )  # fmt: skip
    duration = p.duration.model_copy(update={"links": tuple(d for d in p.duration.links if d.finding == "acute_course")})
    bg = p.background.model_copy(update={"by_age": {}})
    params = p.model_copy(update={"vitals": vitals, "duration": duration, "background": bg})
    return build_world(TINY_FINDINGS, TINY_CONDITIONS, TINY_META, params)


def _latent_mass(p: np.ndarray, parent: dict, z: tuple[int, ...]) -> float:
    """P(latent configuration z) with specific findings only inside their general ones."""
    pz = 1.0
    for j in range(len(z)):
        if any(z[q] == 0 for q in parent[j]):
            pz *= 1.0 - z[j]
            continue
        q = p[j] / np.prod([p[x] for x in parent[j]]) if parent[j] else p[j]
        pz *= q if z[j] else 1 - q
    return pz


@pytest.fixture(scope="module")
def tiny_presenting(tiny):
    """The tiny world where flu is only seen with a cough, measles with a rash, and a cold with a dry
    cough or a measured temperature (``presents_with``)."""
    extra = {"flu": {"presents_with": ("cough",)}, "measles": {"presents_with": ("rash",)},
             "cold": {"presents_with": ("dry_cough",), "presents_with_measured": ("temperature_c",)}}  # fmt: skip
    conds = tuple(c.model_copy(update=extra[c.id]) for c in TINY_CONDITIONS)
    return build_world(TINY_FINDINGS, conds, TINY_META, tiny.params)


def _brute_force(world, obs: Observations) -> np.ndarray:
    """P(c | obs) by summing over every latent configuration and every mention of all six findings."""
    codes = world.codes
    F, K = len(codes), world.n_conditions
    parent = {j: [codes.index(q) for q in f.implies] for j, f in enumerate(world.findings)}
    params = world.params
    m_plus = np.array([params.mentions.present[f.category] for f in world.findings])
    dur = world.variable("duration_days")
    t_w = params.vitals.written["temperature_c"]
    t_recorded = params.vitals.recorded["temperature_c"][0][1]
    link = params.vitals.links["temperature_c"]
    d_link = params.duration.links[0]
    d_other = params.duration.otherwise
    zs = list(itertools.product((0, 1), repeat=F))
    os_ = list(itertools.product((UNMENTIONED, PRESENT, NEGATED), repeat=F))
    # what the encoder reports from the mentions alone (no measurement written)
    bare = [resolve_findings({codes[j]: o[j] == PRESENT for j in range(F) if o[j] != UNMENTIONED}, {}, None, world.rules)
            for o in os_]  # fmt: skip
    out = np.zeros((len(obs), K))
    for i in range(len(obs)):
        t = obs.values[i, 0]
        d = obs.values[i, 1]
        vitals = {} if np.isnan(t) else {"temperature_c": float(t)}
        duration = None if np.isnan(d) else float(d)
        want = tuple(int(x) for x in obs.written[i])
        consistent = []
        for o in os_:
            got = resolve_findings({codes[j]: o[j] == PRESENT for j in range(F) if o[j] != UNMENTIONED}, vitals, duration, world.rules)
            if tuple(UNMENTIONED if c not in got else (PRESENT if got[c] else NEGATED) for c in codes) == want:
                consistent.append(o)
        band = age_band(float(obs.age[i]))
        for k, cond in enumerate(world.conditions):
            p = np.array([cond.findings.get(c, TINY_META.background_rate[world.findings[j].category]) for j, c in enumerate(codes)])
            for j in reversed(range(F)):  # general findings at least as likely as their specific ones
                for q in parent[j]:
                    p[q] = max(p[q], p[j])
            neg = params.mentions.negated  # every tiny finding is listed by every condition
            m_minus = np.array([max(neg.own, neg.routine.get(f.code, 0.0)) for f in world.findings])

            def p_mentions(o, z, m_minus=m_minus):
                po = 1.0
                for j in range(F):
                    if z[j]:
                        po *= {UNMENTIONED: 1 - m_plus[j], PRESENT: m_plus[j], NEGATED: 0.0}[o[j]]
                    else:
                        po *= {UNMENTIONED: 1 - m_minus[j], PRESENT: 0.0, NEGATED: m_minus[j]}[o[j]]
                return po

            total = 0.0
            for z in zs:
                pz = _latent_mass(p, parent, z)
                if pz == 0:
                    continue
                # temperature: febrile distribution while the patient has fever, else healthy
                if vitals:
                    if z[codes.index("fever")]:
                        mean, sd = cond.vitals.get("temperature_c", link.when_present)
                        if mean < link.when_present[0]:
                            mean, sd = link.when_present
                    else:
                        mean, sd = TINY_META.normal_vitals[band]["temperature_c"]
                    lo = -np.inf if t <= t_w.min else t - t_w.step / 2
                    hi = np.inf if t >= t_w.max else t + t_w.step / 2
                    pz *= norm.cdf(hi, mean, sd) - norm.cdf(lo, mean, sd)
                if duration is not None:
                    g = int(np.argmin(np.abs(dur.grid - duration)))
                    lo, hi = dur.edges[g], dur.edges[g + 1]
                    med, spread = (d_link.median_days, d_link.spread) if z[codes.index("acute_course")] else (d_other.median_days, d_other.spread)
                    lo_z = -np.inf if lo <= 0 else (math.log(lo) - math.log(med)) / spread
                    hi_z = np.inf if hi == np.inf else (math.log(hi) - math.log(med)) / spread
                    pz *= norm.cdf(hi_z) - norm.cdf(lo_z)
                for o in consistent:
                    total += pz * p_mentions(o, z)
            if cond.presents_with or cond.presents_with_measured:
                # only consultations showing a presenting finding (or the measurement) are generated
                shown = any(want[codes.index(c)] == PRESENT for c in cond.presents_with)
                shown |= bool(vitals) and "temperature_c" in cond.presents_with_measured
                silent = 0.0
                for z in zs:
                    pz = _latent_mass(p, parent, z)
                    if pz == 0:
                        continue
                    for o, got in zip(os_, bare, strict=True):
                        if not any(got.get(c) is True for c in cond.presents_with):
                            silent += pz * p_mentions(o, z)
                if "temperature_c" in cond.presents_with_measured:
                    silent *= 1 - t_recorded
                total = total / (1 - silent) if shown else 0.0
            prior = cond.prior_weight(float(obs.age[i]), "male" if obs.male[i] else "female", None, SEASONS[int(obs.season[i])])
            out[i, k] = prior * total
    return out / out.sum(axis=1, keepdims=True)


def test_posterior_equals_brute_force_on_tiny_world(tiny) -> None:
    assert tiny.problems == ()
    # fever/high_fever/temperature form one group, cough/dry_cough another, acute_course with the
    # duration a third; rash is independent
    assert sorted(len(g.members) for g in tiny.groups) == [1, 2, 2]
    s = sample_cases(tiny, 40, seed=7)
    obs = Observations.from_sample(s)
    assert (~np.isnan(obs.values[:, 0])).any() and (~np.isnan(obs.values[:, 1])).any()
    fast = posterior(tiny, obs)
    slow = _brute_force(tiny, obs)
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-12)


def test_presents_with_posterior_equals_brute_force(tiny_presenting) -> None:
    world = tiny_presenting
    assert world.problems == ()
    s = sample_cases(world, 40, seed=17)
    codes = world.codes
    flu, measles = s.y == 0, s.y == 2
    assert (s.written[flu, codes.index("cough")] == PRESENT).all()
    assert (s.written[measles, codes.index("rash")] == PRESENT).all()
    cold = s.y == 1
    assert ((s.written[cold, codes.index("dry_cough")] == PRESENT) | ~np.isnan(s.values[cold, 0])).all()
    own = presented(world, s.written, s.values, s.y)
    assert own.all() and (own == presented(world, s.written, s.values)[np.arange(len(s)), s.y]).all()
    fast = posterior(world, s)
    slow = _brute_force(world, Observations.from_sample(s))
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-12)


def test_presents_with_frequencies_match_posterior(tiny_presenting) -> None:
    s = sample_cases(tiny_presenting, 100_000, seed=18)
    post = posterior(tiny_presenting, s)
    assert np.isfinite(post).all()
    p_true = post[np.arange(len(s))[:, None], np.arange(3)[None, :]]
    hit = s.y[:, None] == np.arange(3)[None, :]
    for lo, hi in ((0.05, 0.3), (0.3, 0.7), (0.7, 0.95)):
        sel = (p_true >= lo) & (p_true < hi)
        n = sel.sum()
        assert n > 500
        mean_p = p_true[sel].mean()
        assert abs(hit[sel].mean() - mean_p) < 4 * math.sqrt(mean_p * (1 - mean_p) / n) + 2e-3


def test_presents_with_refuses_findings_set_by_measurements(tiny) -> None:
    conds = tuple(c.model_copy(update={"presents_with": ("fever",)}) if c.id == "flu" else c for c in TINY_CONDITIONS)
    world = build_world(TINY_FINDINGS, conds, TINY_META, tiny.params)
    assert any("flu" in p and "fever" in p and "measurement" in p for p in world.problems)


def test_tiny_world_frequencies_match_posterior(tiny) -> None:
    """Among many generated cases with the same observations, each condition appears as often as
    the posterior says (the observations are coarsened to the findings and the temperature band)."""
    s = sample_cases(tiny, 150_000, seed=8)
    post = posterior(tiny, s)
    acc = (post.argmax(axis=1) == s.y).mean()
    assert abs(acc - post.max(axis=1).mean()) < 4 * math.sqrt(0.25 / len(s))
    # calibration: among cases given probability in a bin, the truth occurs at that rate
    p_true = post[np.arange(len(s))[:, None], np.arange(tiny.n_conditions)[None, :]]
    hit = s.y[:, None] == np.arange(tiny.n_conditions)[None, :]
    for lo, hi in ((0.05, 0.2), (0.2, 0.5), (0.5, 0.8), (0.8, 0.95)):
        sel = (p_true >= lo) & (p_true < hi)
        n = sel.sum()
        assert n > 1000
        mean_p = p_true[sel].mean()
        assert abs(hit[sel].mean() - mean_p) < 4 * math.sqrt(mean_p * (1 - mean_p) / n) + 2e-3


def test_coherent_hierarchy_in_tiny_world(tiny) -> None:
    s = sample_cases(tiny, 20_000, seed=9)
    codes = tiny.codes
    fever, high = codes.index("fever"), codes.index("high_fever")
    cough, dry = codes.index("cough"), codes.index("dry_cough")
    assert not (s.present[:, high] & ~s.present[:, fever]).any()
    assert not (s.present[:, dry] & ~s.present[:, cough]).any()
    # a negated general finding never comes with its specific one written present
    assert not ((s.written[:, cough] == NEGATED) & (s.written[:, dry] == PRESENT)).any()
    # marginals as listed for flu (P(dry cough | flu) = 0.5)
    flu = s.y == 0
    assert abs(s.present[flu, dry].mean() - 0.5) < 0.03
    assert abs(s.present[flu, cough].mean() - 0.7) < 0.03
    # febrile patients have raised temperatures, afebrile ones normal temperatures
    t = s.values[:, 0]
    seen = ~np.isnan(t)
    assert np.nanmean(t[seen & s.present[:, fever]]) > 38.0
    assert abs(np.nanmean(t[seen & ~s.present[:, fever]]) - 36.6) < 0.05


def test_season_of_matches_sampler(world) -> None:
    s = sample_cases(world, 400, seed=10)
    for day, season in zip(s.day, s.season, strict=True):
        assert SEASONS[season] == season_of(dt.date.fromisoformat(str(day)))


def test_empty_and_bad_requests(world) -> None:
    s = sample_cases(world, 0, seed=1)
    assert len(s) == 0 and posterior(world, s).shape == (0, world.n_conditions)
    with pytest.raises(ValueError):
        sample_cases(world, -1, seed=1)
    with pytest.raises(ValueError):
        sample_cases(world, 5, seed=1, start=dt.date(2025, 2, 1), end=dt.date(2025, 1, 1))


def test_routine_negations_name_known_findings() -> None:
    from assistant.knowledge import load_knowledge
    from training.generator.params import load_params

    known = set(load_knowledge().findings.keys())
    routine = load_params().mentions.negated.routine
    assert routine and set(routine) <= known, sorted(set(routine) - known)

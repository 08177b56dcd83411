"""A synthetic longitudinal cohort: hypertension and type 2 diabetes patients followed by village doctors.

The generative model is explicit and seeded (numbers in :class:`~training.cohort.params.CohortParams`).
Per patient, fixed at enrolment: age, sex, programs (hypertension, diabetes or both), village
(remoteness ``r`` in 0-1 and the doctor's diligence ``z``), an adherence trait ``mu`` (logit), the
untreated systolic pressure and fasting glucose. Then one visit after another, vectorised over all
patients (each loop step is every patient's next visit):

1. **Adherence** over the interval since the last visit evolves: ``A = mu + phi (A_prev - mu) + noise``,
   lowered after an adverse reaction, raised after a new complication; ``sigmoid(A)`` is the share
   of days the medicines are taken.
2. **True values** during the interval: untreated level + slow drift - (drug steps x effect per step
   x adherence), for systolic/diastolic pressure and fasting glucose.
3. **Hazards** over the interval (per year, from the true values, age and complications): an urgent
   event (cardiovascular, hypertensive crisis, hypoglycaemia, hyperglycaemic crisis), a new
   complication, death from other causes. An urgent event brings the patient to the village doctor
   within 0-3 days (danger signs recorded, referred) or straight to hospital; some cardiovascular
   events are fatal.
4. **The visit**: measured values (true + visit-to-visit noise, sometimes not recorded), adverse
   reaction, the doctor's judgement with the *protocol's own target rows*
   (:func:`assistant.followup.engine.off_target`), titration (add a step when off target, with
   clinical inertia), referral, and the next due date (14 days after an off-target visit, an adverse
   reaction, a referral or a danger sign, else 90: the protocols' intervals).
5. **Attendance**: on time or late (more likely late with low adherence and a remote village), or
   the patient stops coming (for good, or for 6-18 months).

A comorbid patient attends once per visit and gets one row per program. The output has the CSV
shapes of CONTRACTS §3 (``patients``, ``visits`` plus ``temperature_c``), the urgent ``events`` per
program, each patient's ``traits`` (latent values, death and loss dates) and each visit row's latent
state (``visit_latent``, row-aligned with ``visits``) so the model can be inspected and tested.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from assistant.followup.engine import off_target
from assistant.followup.protocols import Protocols, load_protocols

from .params import CohortParams

__all__ = ["EVENT_KINDS", "PROGRAMS", "Cohort", "generate_cohort"]

PROGRAMS: tuple[str, ...] = ("hypertension", "diabetes")
"""Programs the cohort covers (the risk model is trained, and used, for these only)."""

EVENT_KINDS: tuple[str, ...] = (
    "cardiovascular",
    "hypertensive_crisis",
    "hypoglycaemia",
    "hyperglycaemic_crisis",
)
"""Urgent events; the first two concern every program of the patient, the glycaemic ones diabetes."""

_GLYCAEMIC = np.array([False, False, True, True])
_DANGER_TEXT: dict[str, tuple[str, ...]] = {
    "cardiovascular": ("突发一侧肢体无力;言语不清", "胸痛持续不缓解;大汗", "意识模糊"),
    "hypertensive_crisis": ("剧烈头痛;恶心呕吐", "视物模糊;剧烈头痛", "胸闷;心悸"),
    "hypoglycaemia": ("心悸出汗;手抖", "意识模糊;出冷汗"),
    "hyperglycaemic_crisis": ("呼气烂苹果味;深大呼吸", "多饮多尿明显;恶心呕吐"),
}
_EPOCH = np.datetime64("1970-01-01", "D")


@dataclass(frozen=True)
class Cohort:
    """One generated cohort (see the module docstring). Dates in ``patients``/``visits`` are ISO
    strings as in the CSV files; ``events`` and ``traits`` use ``datetime64``."""

    patients: pd.DataFrame
    visits: pd.DataFrame
    events: pd.DataFrame  # patient_id, program, date, kind, fatal, seen_in_village
    # patient_id, adherence_trait, remoteness, doctor_z, sbp/fpg_untreated, died_on, lost_on
    traits: pd.DataFrame
    visit_latent: pd.DataFrame  # row-aligned with visits: adherence, sbp, fpg (true values), steps, urgent
    start: date
    end: date
    seed: int
    params: CohortParams

    def describe(self) -> str:
        """One line for the model card's data source."""
        n = len(self.patients)
        both = self.patients["programs"].str.contains(";").sum()
        return (
            f"synthetic longitudinal cohort (training.cohort, seed {self.seed}): {n} patients "
            f"({both} with both programs), {len(self.visits)} visit rows, {len(self.events)} urgent "
            f"event rows, {self.start.isoformat()} to {self.end.isoformat()}"
        )


def _d(x: date) -> int:
    return int((np.datetime64(x, "D") - _EPOCH).astype(np.int64))


def _iso(days: np.ndarray) -> np.ndarray:
    return np.datetime_as_string((_EPOCH + days.astype(np.int64)).astype("datetime64[D]"), unit="D").astype(
        object
    )


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _p(rate_per_year: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Probability of at least one event in ``days`` at a constant yearly rate."""
    return 1.0 - np.exp(-rate_per_year * days / 365.25)


def generate_cohort(
    n_patients: int = 2_000,
    *,
    seed: int = 2026,
    start: date = date(2022, 1, 1),
    end: date = date(2026, 6, 30),
    params: CohortParams | None = None,
    protocols: Protocols | None = None,
) -> Cohort:
    """Simulate ``n_patients`` from their enrolment (between ``start`` and about ``end`` - 180 days)
    to ``end``; same arguments, same cohort."""
    if n_patients < 1:
        raise ValueError("n_patients must be at least 1")
    P = params or CohortParams()
    protocols = protocols or load_protocols()
    programs = {code: protocols[code] for code in PROGRAMS}
    rng = np.random.default_rng(seed)
    n = n_patients
    s, e = _d(start), _d(end)
    if e - s < 400:
        raise ValueError("the cohort needs more than 400 days between start and end")

    # ---------------------------------------------------------------- fixed at enrolment
    age0 = np.clip(rng.normal(P.age_mean, P.age_sd, n), 35, 90)
    male = rng.random(n) < P.male_share
    htn = rng.random(n) < P.htn_share
    dm = ~htn | (rng.random(n) < P.dm_share_with_htn)
    n_vill = max(1, int(np.ceil(n / P.patients_per_village)))
    village = rng.integers(0, n_vill, n)
    remote = rng.random(n_vill)[village]
    doctor_z = rng.normal(0, 1, n_vill)[village]
    span = e - s
    enrol = s + np.where(
        rng.random(n) < P.initial_registry_share,
        rng.integers(0, 181, n),
        rng.integers(181, max(182, span - 180), n),
    )
    birth = enrol - np.round(age0 * 365.25).astype(np.int64)
    mu = (
        P.adherence_mean
        + P.adherence_age_60_75 * ((age0 >= 60) & (age0 < 75))
        + P.adherence_age_80 * (age0 >= 80)
        + P.adherence_male * male
        + P.adherence_remote * remote
        + P.adherence_doctor * doctor_z
        + rng.normal(0, P.adherence_sd, n)
    )
    A = mu + rng.normal(0, P.adherence_noise / np.sqrt(1 - P.adherence_phi**2), n)
    sbp0 = np.where(
        htn,
        rng.normal(P.sbp_untreated_mean, P.sbp_untreated_sd, n),
        rng.normal(P.sbp_no_htn_mean, P.sbp_no_htn_sd, n),
    )
    dbp0 = np.minimum(0.45 * sbp0 + rng.normal(24, 6, n) - 0.25 * (age0 - 60), sbp0 - 25)
    fpg0 = np.where(dm, np.clip(rng.normal(P.fpg_untreated_mean, P.fpg_untreated_sd, n), 6.5, 20), np.nan)
    k_h = np.where(htn, P.start_steps_htn, 0).astype(np.int64)
    k_d = np.where(dm, P.start_steps_dm, 0).astype(np.int64)

    # ---------------------------------------------------------------- state
    last = enrol.copy()
    nxt = enrol + np.where(
        rng.random(n) < P.never_seen_share, rng.integers(120, 400, n), rng.integers(0, 31, n)
    )
    alive = np.ones(n, dtype=bool)
    gone = np.zeros(n, dtype=bool)
    died_on = np.full(n, -1, dtype=np.int64)
    lost_on = np.full(n, -1, dtype=np.int64)
    compl = np.zeros(n, dtype=np.int64)
    prev_adverse = np.zeros(n, dtype=bool)
    prev_compl = np.zeros(n, dtype=bool)
    prev_off_h = np.zeros(n, dtype=bool)
    prev_off_d = np.zeros(n, dtype=bool)
    rows: list[dict[str, np.ndarray]] = []
    events: list[dict[str, np.ndarray]] = []
    kinds = np.array(EVENT_KINDS, dtype=object)

    while True:
        idx = np.flatnonzero(alive & ~gone & (nxt <= e))
        if idx.size == 0:
            break
        k = idx.size
        gap = np.maximum(nxt[idx] - last[idx], 1).astype(float)
        # 1. adherence over the interval
        A[idx] = (
            mu[idx]
            + P.adherence_phi * (A[idx] - mu[idx])
            + rng.normal(0, P.adherence_noise, k)
            + P.adherence_after_adverse * prev_adverse[idx]
            + P.adherence_after_complication * prev_compl[idx]
        )
        adh = _sigmoid(A[idx])
        # 2. true values
        years = (nxt[idx] - enrol[idx]) / 365.25
        age = (nxt[idx] - birth[idx]) / 365.25
        sbp_t = sbp0[idx] + P.sbp_drift_per_year * years - P.sbp_per_step * k_h[idx] * adh
        dbp_t = dbp0[idx] + 0.3 * P.sbp_drift_per_year * years - P.dbp_per_step * k_h[idx] * adh
        is_dm = dm[idx]
        fpg_t = np.clip(fpg0[idx] + P.fpg_drift_per_year * years - P.fpg_per_step * k_d[idx] * adh, 3.0, None)
        fpg_ex = np.where(is_dm, np.clip(np.nan_to_num(fpg_t - 7.0), 0, None), 0.0)
        # 3. hazards over the interval
        h = np.stack(
            [
                P.cv_base * np.exp(0.02 * (sbp_t - 140) + 0.04 * (age - 60) + 0.4 * compl[idx] + 0.3 * is_dm),
                P.crisis_base * np.exp(0.06 * (sbp_t - 140)),
                np.where(
                    is_dm, P.hypo_base * k_d[idx] * adh * np.exp(-0.6 * (np.nan_to_num(fpg_t) - 7.0)), 0.0
                ),
                np.where(
                    is_dm, P.hyper_base * np.exp(0.35 * np.clip(np.nan_to_num(fpg_t) - 10.0, 0, None)), 0.0
                ),
            ],
            axis=1,
        )
        total = h.sum(axis=1)
        ev = rng.random(k) < _p(total, gap)
        t_ev = np.minimum(last[idx] + 1 + np.floor(rng.random(k) * gap).astype(np.int64), nxt[idx])
        cum = np.cumsum(h, axis=1) / total[:, None]
        kind = np.minimum((rng.random(k)[:, None] > cum).sum(axis=1), len(EVENT_KINDS) - 1)
        death = rng.random(k) < _p(np.full(k, P.other_death_rate), gap)
        t_death = last[idx] + 1 + np.floor(rng.random(k) * gap).astype(np.int64)
        died_other = death & (t_death <= np.where(ev, t_ev, nxt[idx]))
        ev &= ~died_other
        fatal = ev & (kind == 0) & (rng.random(k) < P.cv_fatal)
        seen = ev & ~fatal & (rng.random(k) < P.event_seen_in_village)
        h_c = np.where(
            htn[idx], P.complication_htn * np.exp(0.03 * np.clip(sbp_t - 140, 0, None)), 0.0
        ) + np.where(is_dm, P.complication_dm * np.exp(0.25 * fpg_ex), 0.0)
        new_c = rng.random(k) < _p(h_c, gap)
        new_c |= ev & ~seen & ~fatal & (kind == 0)  # a stroke or heart attack treated in hospital
        # record events (one row per program concerned) and deaths
        ev_rec = ev & (t_ev <= e)
        for prog, member in (("hypertension", htn[idx] & ~_GLYCAEMIC[kind]), ("diabetes", is_dm)):
            m = ev_rec & member
            if m.any():
                events.append(
                    {
                        "p": idx[m],
                        "program": np.full(m.sum(), prog, dtype=object),
                        "date": t_ev[m],
                        "kind": kinds[kind[m]],
                        "fatal": fatal[m].astype(np.int64),
                        "seen_in_village": seen[m].astype(np.int64),
                    }
                )
        dead = died_other | fatal
        died_on[idx[died_other]] = t_death[died_other]
        died_on[idx[fatal]] = t_ev[fatal]
        alive[idx[dead]] = False
        # 4. the visit
        tv = np.where(seen, t_ev + rng.integers(0, 4, k), nxt[idx])
        visit = ~dead & (tv <= e)
        urgent = seen & visit
        sbp = np.round(sbp_t + rng.normal(0, P.sbp_visit_sd, k))
        dbp = np.round(dbp_t + rng.normal(0, P.dbp_visit_sd, k))
        crisis = urgent & (kind == 1)
        sbp = np.where(crisis, np.maximum(sbp, rng.integers(180, 221, k)), sbp)
        dbp = np.where(crisis, np.maximum(dbp, rng.integers(100, 126, k)), dbp)
        sbp = np.where(urgent & (kind == 0), sbp + 10, sbp)
        sbp = np.clip(sbp, 80, 250)
        dbp = np.clip(np.minimum(dbp, sbp - 20), 45, 140)
        hr = np.round(rng.normal(76, 9, k) + 10 * urgent)
        fpg = np.round(np.clip(fpg_t + rng.normal(0, P.fpg_visit_sd, k), 2.5, 33), 1)
        fpg = np.where(urgent & (kind == 2), np.round(rng.uniform(2.2, 3.8, k), 1), fpg)
        fpg = np.where(urgent & (kind == 3), np.round(rng.uniform(16.7, 30.0, k), 1), fpg)
        fpg = np.where(is_dm, fpg, np.nan)
        miss_bp = ~urgent & (rng.random(k) < P.measurement_missing)
        miss_fpg = ~urgent & (rng.random(k) < P.measurement_missing)
        sbp_rec = np.where(miss_bp, np.nan, sbp)
        dbp_rec = np.where(miss_bp, np.nan, dbp)
        fpg_rec = np.where(miss_fpg, np.nan, fpg)
        temp = np.where(
            is_dm & (rng.random(k) < P.temperature_measured), np.round(rng.normal(36.6, 0.35, k), 1), np.nan
        )
        steps = k_h[idx] + k_d[idx]
        adverse = visit & (rng.random(k) < P.adverse_base + P.adverse_per_step * steps)
        to_htn = rng.random(k) * np.maximum(steps, 1) < k_h[idx]  # the drug blamed: by steps
        adverse_htn = adverse & htn[idx] & (to_htn | ~is_dm)
        adverse_dm = adverse & is_dm & ~adverse_htn
        age_years = np.floor((tv - birth[idx]) / 365.25)  # at the visit, for the protocol's targets
        values = {"systolic_bp": sbp_rec, "diastolic_bp": dbp_rec, "fasting_glucose_mmol_l": fpg_rec}
        off_h = (off_target(programs["hypertension"], values, age_years)[0] == 1) & htn[idx]
        off_d = (off_target(programs["diabetes"], values, age_years)[0] == 1) & is_dm
        danger_text = np.full(k, "", dtype=object)
        for j, name in enumerate(EVENT_KINDS):
            m = urgent & (kind == j)
            if m.any():
                texts = np.array(_DANGER_TEXT[name], dtype=object)
                danger_text[m] = texts[rng.integers(0, len(texts), m.sum())]
        twice = (off_h & prev_off_h[idx]) | (off_d & prev_off_d[idx])
        referred = urgent | (new_c & visit) | (twice & (rng.random(k) < P.refer_off_twice))
        # visit rows: every program, except glycaemic emergencies (diabetes form only)
        glyc_urgent = urgent & _GLYCAEMIC[kind]
        for prog, member in (("hypertension", htn[idx] & ~glyc_urgent), ("diabetes", is_dm)):
            m = visit & member
            if not m.any():
                continue
            is_h = prog == "hypertension"
            rows.append(
                {
                    "p": idx[m],
                    "date": tv[m],
                    "program": np.full(m.sum(), prog, dtype=object),
                    "systolic_bp": sbp_rec[m],
                    "diastolic_bp": dbp_rec[m],
                    "fasting_glucose_mmol_l": np.full(m.sum(), np.nan) if is_h else fpg_rec[m],
                    "heart_rate": hr[m],
                    "danger_signs": danger_text[m],
                    "adverse_reaction": (adverse_htn if is_h else adverse_dm)[m].astype(np.int64),
                    "new_complication": new_c[m].astype(np.int64),
                    "referred": referred[m].astype(np.int64),
                    "temperature_c": np.full(m.sum(), np.nan) if is_h else temp[m],
                    "latent_adherence": adh[m],
                    "latent_sbp": sbp_t[m],
                    "latent_fpg": fpg_t[m],
                    "latent_steps": (k_h[idx] if is_h else k_d[idx])[m],
                    "latent_urgent": urgent[m],
                }
            )
        # the doctor's decisions
        titrate = _sigmoid(P.titrate_logit + 0.5 * doctor_z[idx])
        add_h = visit & off_h & (rng.random(k) < titrate)
        add_d = visit & off_d & (rng.random(k) < titrate)
        add_h |= visit & referred & off_h & (rng.random(k) < P.referral_adds_step)
        add_d |= visit & referred & off_d & (rng.random(k) < P.referral_adds_step)
        k_h[idx] = np.minimum(k_h[idx] + add_h, P.max_steps)
        k_d[idx] = np.minimum(k_d[idx] + add_d, P.max_steps)
        reduce = rng.random(k) < P.reduce_after_adverse
        k_h[idx] = np.where(adverse_htn & reduce & (k_h[idx] > 1), k_h[idx] - 1, k_h[idx])
        lower_d = (adverse_dm & reduce) | (urgent & (kind == 2))  # after hypoglycaemia too
        k_d[idx] = np.where(lower_d & (k_d[idx] > 1), k_d[idx] - 1, k_d[idx])
        compl[idx] += new_c & visit
        # 5. attendance
        soon = (
            off_h | off_d | adverse | referred | urgent
            | (htn[idx] & np.isnan(sbp_rec)) | (is_dm & np.isnan(fpg_rec))
        )  # fmt: skip
        interval = np.where(soon, 14, 90)
        on_time = rng.random(k) < _sigmoid(
            P.on_time_logit
            + P.on_time_adherence * (A[idx] - 1.0)
            + P.on_time_remote * remote[idx]
            + P.on_time_short_interval * soon
        )
        late = rng.gamma(2.0, (P.late_mean_days + P.late_mean_remote_days * remote[idx]) / 2.0)
        delay = np.where(on_time, rng.integers(-10, 8, k), np.round(late).astype(np.int64))
        new_next = tv + np.maximum(interval + delay, 7)
        drop_rate = P.dropout_rate * np.exp(
            P.dropout_adherence * (A[idx] - 1.0)
            + P.dropout_remote * (remote[idx] - 0.5)
            + P.dropout_age * np.clip(age - 75, 0, None)
        )
        drop = rng.random(k) < _p(drop_rate, (new_next - tv).astype(float))
        permanent = visit & drop & (rng.random(k) < P.dropout_permanent)
        new_next = np.where(visit & drop & ~permanent, new_next + rng.integers(180, 541, k), new_next)
        gone[idx[permanent]] = True
        lost_on[idx[permanent]] = tv[permanent]
        # patients without a visit (died, or an event visit after the end) just leave the loop
        prev_adverse[idx] = np.where(visit, adverse, prev_adverse[idx])
        prev_compl[idx] = np.where(visit, new_c, prev_compl[idx])
        prev_off_h[idx] = np.where(visit, off_h, prev_off_h[idx])
        prev_off_d[idx] = np.where(visit, off_d, prev_off_d[idx])
        last[idx] = np.where(visit, tv, last[idx])
        nxt[idx] = np.where(visit, new_next, np.maximum(tv, nxt[idx] + 1))

    width = max(6, len(str(n)))
    pid = np.char.add("C", np.char.zfill(np.arange(1, n + 1).astype(str), width)).astype(object)
    progs = np.where(htn & dm, "hypertension;diabetes", np.where(htn, "hypertension", "diabetes")).astype(
        object
    )
    patients = pd.DataFrame(
        {
            "patient_id": pid,
            "name": np.char.add("随访对象", np.char.zfill(np.arange(1, n + 1).astype(str), width)).astype(
                object
            ),
            "sex": np.where(male, "male", "female").astype(object),
            "birth_date": _iso(birth),
            "resident_id": np.full(n, "", dtype=object),
            "phone": np.full(n, "", dtype=object),
            "village": np.char.add(np.char.zfill((village + 1).astype(str), 3), "村").astype(object),
            "doctor": np.char.add("村医", np.char.zfill((village + 1).astype(str), 3)).astype(object),
            "programs": progs,
            "enrolled_on": _iso(enrol),
        }
    )
    visits = _frame(rows, pid)
    latent_cols = [c for c in visits.columns if c.startswith("latent_")]
    visit_latent = (
        visits[latent_cols].rename(columns=lambda c: c.removeprefix("latent_")).reset_index(drop=True)
    )
    visits = visits.drop(columns=latent_cols)
    for c in ("systolic_bp", "diastolic_bp", "heart_rate"):
        visits[c] = pd.array(np.where(np.isnan(visits[c]), None, visits[c]), dtype="Int64")
    ev_frame = pd.concat([pd.DataFrame(x) for x in events], ignore_index=True) if events else pd.DataFrame(
        {"p": np.zeros(0, np.int64), "program": [], "date": np.zeros(0, np.int64), "kind": [], "fatal": [],
         "seen_in_village": []}
    )  # fmt: skip
    ev_frame = ev_frame.sort_values(["date", "p", "program"], kind="stable").reset_index(drop=True)
    ev_frame.insert(0, "patient_id", pid[ev_frame.pop("p").to_numpy(dtype=np.int64)])
    ev_frame["date"] = (_EPOCH + ev_frame["date"].to_numpy(dtype=np.int64)).astype("datetime64[D]")

    def opt_day(x: np.ndarray) -> np.ndarray:
        out = (_EPOCH + np.maximum(x, 0)).astype("datetime64[D]")
        out[x < 0] = np.datetime64("NaT")
        return out

    traits = pd.DataFrame(
        {
            "patient_id": pid,
            "adherence_trait": mu,
            "remoteness": remote,
            "doctor_z": doctor_z,
            "sbp_untreated": sbp0,
            "fpg_untreated": fpg0,
            "died_on": opt_day(died_on),
            "lost_on": opt_day(lost_on),
        }
    )
    return Cohort(patients, visits, ev_frame, traits, visit_latent, start, end, seed, P)


def _frame(rows: list[dict[str, np.ndarray]], pid: np.ndarray) -> pd.DataFrame:
    frame = pd.concat([pd.DataFrame(r) for r in rows], ignore_index=True)
    frame = frame.sort_values(["date", "p", "program"], kind="stable").reset_index(drop=True)
    frame.insert(0, "patient_id", pid[frame.pop("p").to_numpy(dtype=np.int64)])
    frame["date"] = _iso(frame["date"].to_numpy(dtype=np.int64))
    return frame

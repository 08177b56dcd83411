"""The numbers of the synthetic follow-up cohort's generative model, in one frozen dataclass.

They describe a made-up population, not clinical knowledge the assistant uses at the bedside; the
orders of magnitude are chosen to be plausible for hypertension and type 2 diabetes managed by
village doctors, with the reasoning next to each group. Rates are per year unless named otherwise;
"logit" quantities are on the log-odds scale. See :mod:`training.cohort.simulate` for the model.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

__all__ = ["CohortParams"]


@dataclass(frozen=True)
class CohortParams:
    """Parameters of :func:`training.cohort.simulate.generate_cohort` (all have defaults)."""

    # --- who is enrolled ---------------------------------------------------------------------------
    age_mean: float = 62.0  # age at enrolment ~ Normal(age_mean, age_sd), clipped to 35-90
    age_sd: float = 10.0
    male_share: float = 0.47
    htn_share: float = 0.78  # share enrolled for hypertension (the rest: diabetes only)
    dm_share_with_htn: float = 0.22  # hypertensive patients also enrolled for diabetes
    patients_per_village: int = 60  # one village doctor per village
    initial_registry_share: float = 0.5  # enrolled in the first 6 months; the rest spread later
    never_seen_share: float = 0.04  # enrolled but the first visit is months late

    # --- adherence: logit of the share of days the medicines are taken --------------------------
    # Trait mu_i ~ Normal(adherence_mean + covariates, adherence_sd); per interval
    # A = mu + phi (A_prev - mu) + Normal(0, adherence_noise) + shocks. sigmoid(1.0) = 0.73:
    # typical self-reported adherence in Chinese primary care is 50-80 %.
    adherence_mean: float = 1.0
    adherence_sd: float = 1.0
    adherence_phi: float = 0.7
    adherence_noise: float = 0.6
    adherence_age_60_75: float = 0.3  # retired, routine
    adherence_age_80: float = -0.5  # frailty, cognition
    adherence_male: float = -0.3
    adherence_remote: float = -0.6  # per unit of village remoteness (0-1)
    adherence_doctor: float = 0.25  # per SD of the doctor's diligence
    adherence_after_adverse: float = -0.8  # an adverse reaction lowers adherence in the next interval
    adherence_after_complication: float = 0.4  # a new complication frightens into taking medicines

    # --- blood pressure (mmHg) ---------------------------------------------------------------------
    # Untreated systolic at enrolment ~ Normal(sbp_untreated_mean, sbp_untreated_sd); one
    # standard-dose drug lowers it by ~9 mmHg, effects roughly additive (Law et al., BMJ 2009),
    # scaled by adherence. Visit-to-visit variability SD 8-10 mmHg.
    sbp_untreated_mean: float = 158.0
    sbp_untreated_sd: float = 14.0
    sbp_per_step: float = 9.0
    dbp_per_step: float = 5.0
    sbp_drift_per_year: float = 0.6
    sbp_visit_sd: float = 8.0
    dbp_visit_sd: float = 5.0
    sbp_no_htn_mean: float = 128.0  # diabetic patients without hypertension (untreated)
    sbp_no_htn_sd: float = 10.0
    max_steps: int = 4  # standard-dose drug equivalents
    start_steps_htn: int = 1
    start_steps_dm: int = 1

    # --- fasting glucose (mmol/L) ------------------------------------------------------------------
    # Untreated ~ Normal(fpg_untreated_mean, sd) clipped 6.5-20; one step (metformin, then a
    # sulfonylurea or insulin) lowers it ~1.4 mmol/L; slow beta-cell decline (UKPDS).
    fpg_untreated_mean: float = 9.6
    fpg_untreated_sd: float = 2.0
    fpg_per_step: float = 1.4
    fpg_drift_per_year: float = 0.15
    fpg_visit_sd: float = 0.8

    # --- the doctor at each visit ------------------------------------------------------------------
    titrate_logit: float = 0.4  # P(add a step when off target) = sigmoid(titrate_logit + 0.5 z_doctor)
    adverse_base: float = 0.02  # P(adverse reaction at a visit) = base + per_step * steps
    adverse_per_step: float = 0.008
    reduce_after_adverse: float = 0.3  # P(remove a step after an adverse reaction)
    refer_off_twice: float = 0.35  # P(the doctor refers a patient off target at two visits running)
    referral_adds_step: float = 0.5  # P(the hospital adds a step for a referred off-target patient)
    measurement_missing: float = 0.03  # P(the visit's key measurement is not recorded)
    temperature_measured: float = 0.3  # diabetes visits with a temperature

    # --- attendance ---------------------------------------------------------------------------------
    # Next visit due 14 days after an off-target visit, an adverse reaction, a referral or a danger
    # sign, else 90 (the protocols). P(on time) = sigmoid(on_time_logit + on_time_adherence (A - 1)
    # + on_time_remote r + on_time_short_interval [14-day recall]): a two-week recall is kept less
    # often than a routine visit. On time is due + Uniform(-10, 7) days; late is due +
    # Gamma(2, mean/2) days, the mean growing with remoteness. After a visit the patient may stop
    # coming (rate below): for good (moved, gave up) with probability dropout_permanent, else for
    # 6-18 months.
    on_time_logit: float = 1.8
    on_time_adherence: float = 0.9
    on_time_remote: float = -1.2
    on_time_short_interval: float = -0.7
    late_mean_days: float = 30.0
    late_mean_remote_days: float = 25.0
    # Stopping is a rate per year: rate = dropout_rate exp(dropout_adherence (A - 1) + dropout_remote
    # (r - 0.5) + dropout_age (age - 75)+), so a 14-day recall adds little risk of its own.
    dropout_rate: float = 0.07
    dropout_adherence: float = -0.8
    dropout_remote: float = 0.8
    dropout_age: float = 0.04
    dropout_permanent: float = 0.4

    # --- complications and urgent events (rates per year) ------------------------------------------
    # New complication (retinopathy, nephropathy, heart disease, foot ulcer...), found at the next
    # visit: base * exp(0.03 (sbp - 140)+ + 0.25 (fpg - 7)+ for diabetes).
    complication_htn: float = 0.015
    complication_dm: float = 0.03
    # Cardiovascular event (stroke, acute coronary syndrome): base * exp(0.02 (sbp - 140) +
    # 0.04 (age - 60) + 0.4 complications + 0.3 diabetes), fatal in cv_fatal of cases.
    cv_base: float = 0.008
    cv_fatal: float = 0.15
    # Hypertensive crisis: base * exp(0.06 (sbp - 140)) (about 4 %/year at 180 mmHg).
    crisis_base: float = 0.004
    # Hypoglycaemia needing help (diabetes): base * steps * adherence * exp(-0.6 (fpg - 7)).
    hypo_base: float = 0.012
    # Hyperglycaemic crisis (diabetes): base * exp(0.35 (fpg - 10)+).
    hyper_base: float = 0.003
    # An urgent event brings the patient to the village doctor (danger signs recorded, referred)
    # within 0-3 days with this probability; otherwise they go straight to hospital.
    event_seen_in_village: float = 0.75
    other_death_rate: float = 0.01  # deaths from other causes (end of follow-up, known to the clinic)

    def with_(self, **changes: Any) -> CohortParams:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

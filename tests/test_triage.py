"""Every triage rule fires on its example and stays quiet on its counter-example; levels combine."""

from __future__ import annotations

import pytest

from assistant.diagnosis import TriageCase, assign_triage, load_policy
from assistant.knowledge import load_knowledge

POLICY = load_policy()


@pytest.mark.parametrize("rule", list(POLICY.rules), ids=lambda r: r.id)
def test_rule_examples(rule) -> None:  # type: ignore[no-untyped-def]
    assert rule.fires(TriageCase.from_example(rule.example_fires)) is not False
    assert rule.fires(TriageCase.from_example(rule.example_quiet)) is False


def test_rule_findings_and_vitals_are_known() -> None:
    kb = load_knowledge()
    vitals = {"temperature_c", "systolic_bp", "diastolic_bp", "heart_rate", "respiratory_rate", "spo2",
              "glucose_mmol_l", "fasting_glucose_mmol_l"}
    for rule in POLICY.rules:
        for code in (rule.finding, rule.also_finding):
            assert code is None or code in kb.findings, f"{rule.id}: unknown finding {code}"
        assert rule.vital is None or rule.vital in vitals, rule.id


def test_quiet_case_is_manage_and_reasons_in_both_languages() -> None:
    calm = TriageCase(vitals={"temperature_c": 37.8, "spo2": 98}, findings={"cough": True}, age_years=30)
    assert assign_triage(calm, []).level == "manage"
    sick = TriageCase(vitals={"spo2": 85, "systolic_bp": 150}, findings={}, age_years=70)
    t = assign_triage(sick, [])
    assert t.level == "urgent"
    d_zh, d_en = t.to_dict("zh"), t.to_dict("en")
    assert "血氧" in d_zh["reasons"][0] and "SpO2" in d_en["reasons"][0]
    assert "tr.vital.spo2_low" in d_zh["rules"]


def test_condition_levels_and_uncertainty() -> None:
    kb = load_knowledge()
    calm = TriageCase(vitals={}, findings={"abdominal_pain": True}, age_years=25)
    appendicitis = kb.conditions["appendicitis"]
    assert assign_triage(calm, [(appendicitis, 0.5)]).level == "urgent"
    assert assign_triage(calm, [(appendicitis, 0.004)]).level == "manage"
    assert assign_triage(calm, [], uncertain=True).level == "refer"


def test_condition_red_flag_escalates() -> None:
    kb = load_knowledge()
    pneu = kb.conditions["pneumonia"]
    case = TriageCase(vitals={}, findings={"cough": True, "confusion": True}, age_years=80)
    t = assign_triage(case, [(pneu, 0.4)])
    assert t.level == "urgent"
    assert any(r.rule == "tr.condition_red_flag.pneumonia" for r in t.reasons)


def test_candidate_rules_lose_no_firing_rule() -> None:
    """The policy only evaluates the finding rules of present findings; on random cases it fires
    exactly the rules that evaluating every rule fires, in the same order."""
    import random

    policy = load_policy()
    codes = sorted({r.finding for r in policy.rules if r.finding} | {r.also_finding for r in policy.rules if r.also_finding})
    rng = random.Random(5)
    for _ in range(500):
        findings = {c: rng.random() < 0.5 for c in rng.sample(codes, rng.randint(0, len(codes)))}
        vitals = {"spo2": rng.uniform(80, 100), "heart_rate": rng.uniform(30, 200), "temperature_c": rng.uniform(34, 41.5)}
        case = TriageCase(vitals=vitals, findings=findings, age_years=rng.choice([0.1, 3, 30, 80]), pregnant=rng.random() < 0.2)
        every = [r.id for r in policy.rules if r.fires(case) is not False]
        assert [r.id for r in policy.candidates(case) if r.fires(case) is not False] == every

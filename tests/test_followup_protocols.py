"""Every protocol row through its examples with the real engine, and the protocol loader's checks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from assistant.followup import classify, load_protocols, validate
from assistant.followup.examples import EXAMPLE_PATIENT_ID, example_tables
from assistant.followup.protocols import PROTOCOL_DIR, evaluate, load_protocols_from, parse_condition
from assistant.knowledge.base import KnowledgeError

AS_OF = date(2026, 6, 15)
PROTOCOLS = load_protocols()
ROWS = [(prog.code, row) for prog in PROTOCOLS for row in prog.table]


def fired(program: str, example) -> set[str]:  # noqa: ANN001
    patients, visits = example_tables(program, example, AS_OF)
    data = validate(patients, visits, AS_OF)
    assert not [p for p in data.problems if p.action == "rejected"], data.problems
    out = classify(data)
    row = out[(out.patient_id == EXAMPLE_PATIENT_ID) & (out.program == program)]
    assert len(row) == 1
    r = row.iloc[0]
    ids = {r["rule"], r["contact"]}
    if r["off_target"] is not pd.NA and bool(r["off_target"]):
        ids.add(r["target_rule"])
    return ids


@pytest.mark.parametrize(("program", "row"), ROWS, ids=[r.id for _, r in ROWS])
def test_row_fires_on_its_example(program: str, row) -> None:  # noqa: ANN001
    assert row.id in fired(program, row.examples.fires)


@pytest.mark.parametrize(("program", "row"), ROWS, ids=[r.id for _, r in ROWS])
def test_row_does_not_fire_on_its_counter_example(program: str, row) -> None:  # noqa: ANN001
    assert row.id not in fired(program, row.examples.does_not_fire)


def test_every_program_names_its_source_and_edition() -> None:
    assert set(PROTOCOLS.codes()) == {
        "hypertension", "diabetes", "elderly", "child", "pregnancy", "tuberculosis", "mental",
    }  # fmt: skip
    for prog in PROTOCOLS:
        assert "国家基本公共卫生服务规范（第三版）2017" in prog.meta.source
        assert "国卫基层发〔2017〕13号" in prog.meta.source
        assert prog.meta.edition
    assert "国家基层高血压防治管理指南2020版" in PROTOCOLS["hypertension"].meta.source


def test_rule_ids_named_in_the_issue_exist() -> None:
    htn = PROTOCOLS["hypertension"].table
    assert "fu.htn.uncontrolled_first" in htn
    assert "fu.htn.danger.sbp180" in htn


def test_hypertension_targets_by_age() -> None:
    targets = {t.id: t for t in PROTOCOLS["hypertension"].targets}
    ctx = {"age": [70.0, 50.0], "systolic_bp": [145.0, 145.0], "diastolic_bp": [85.0, 85.0]}
    import numpy as np

    arr = {k: np.asarray(v) for k, v in ctx.items()}
    assert list(evaluate(targets["fu.htn.target.age65"].applies, arr)) == [True, False]
    assert list(evaluate(targets["fu.htn.target.age65"].when, arr)) == [False, False]
    assert list(evaluate(targets["fu.htn.target.under65"].when, arr)) == [True, True]


def test_aliases_resolve_chinese_names() -> None:
    assert PROTOCOLS.resolve("高血压") == "hypertension"
    assert PROTOCOLS.resolve(" 糖尿病 ") == "diabetes"
    assert PROTOCOLS.resolve("肺结核") == "tuberculosis"
    assert PROTOCOLS.resolve("hepatitis") is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([["systolic", ">=", 180]], "unknown field"),
        ([["systolic_bp", "=>", 180]], "unknown operator"),
        ([["systolic_bp", ">="]], "needs a value"),
        ([["sex", "<", 3]], "text field"),
        ({"either": []}, "unknown condition key"),
    ],
)
def test_bad_conditions_are_rejected(raw, message: str) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match=message):
        parse_condition(raw)


def test_a_bad_protocol_file_names_file_row_and_field(tmp_path: Path) -> None:
    text = (PROTOCOL_DIR / "hypertension.yaml").read_text(encoding="utf-8")
    (tmp_path / "hypertension.yaml").write_text(
        text.replace('when: [[systolic_bp, ">=", 180]]', 'when: [[sbp, ">=", 180]]'), encoding="utf-8"
    )
    with pytest.raises(
        KnowledgeError, match=r"hypertension.yaml row \d+ \(id=fu.htn.danger.sbp180\).*unknown field 'sbp'"
    ):
        load_protocols_from(tmp_path)


def test_a_program_without_a_no_visit_row_is_refused(tmp_path: Path) -> None:
    text = (PROTOCOL_DIR / "elderly.yaml").read_text(encoding="utf-8")
    start = text.index("  - id: fu.elderly.no_visit")
    end = text.index("  - id: fu.elderly.danger.signs")
    (tmp_path / "elderly.yaml").write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(KnowledgeError, match="no_visit"):
        load_protocols_from(tmp_path)

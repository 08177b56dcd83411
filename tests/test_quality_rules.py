"""Every quality rule row fires on its example and stays quiet on its counter-example; the tables are
valid, reference only what the knowledge base holds, and cover every category of the contract."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from assistant.knowledge import KnowledgeError, load_knowledge
from assistant.quality import (
    CATEGORIES,
    QUALITY_DIR,
    check_rules,
    is_alarm,
    load_rules,
    load_rules_from,
    run_example,
)

RULES = load_rules()
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("rule", list(RULES), ids=lambda r: r.id)
def test_rule_fires_on_its_example(rule) -> None:  # type: ignore[no-untyped-def]
    fired = [i for i in run_example(rule, "fires") if i.rule == rule.id]
    assert fired, f"{rule.id} did not fire on example_fires"
    issue = fired[0]
    assert issue.category == rule.category and issue.severity == rule.severity
    assert CJK.search(issue.message_zh), issue.message_zh
    assert issue.message_en and not CJK.search(rule.message_en), rule.message_en
    assert "{" not in issue.message_zh + issue.message_en
    json.dumps(issue.to_dict(), ensure_ascii=False)  # evidence is JSON


@pytest.mark.parametrize("rule", list(RULES), ids=lambda r: r.id)
def test_rule_quiet_example_is_a_correct_record(rule) -> None:  # type: ignore[no-untyped-def]
    issues = run_example(rule, "quiet")
    assert not [i for i in issues if i.rule == rule.id], f"{rule.id} fired on example_quiet"
    alarms = [(i.rule, i.message_en) for i in issues if is_alarm(i)]
    assert not alarms, f"{rule.id}: example_quiet should be a correct record, got {alarms}"


def test_tables_reference_the_knowledge_base() -> None:
    assert check_rules(RULES, load_knowledge()) == []


def test_every_category_has_rules_and_ids_are_stable_and_unique() -> None:
    categories = {r.category for r in RULES}
    assert categories == set(CATEGORIES)
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    for rid in ("qc.allergy.penicillin", "qc.contra.barium_obstruction", "qc.contra.metformin_egfr",
                "qc.contra.acei_pregnancy", "qc.contra.arb_pregnancy", "qc.contra.fluoroquinolone_child",
                "qc.contra.aspirin_child_fever", "qc.contra.nonselective_bb_asthma", "qc.contra.nsaid_ulcer",
                "qc.contra.nsaid_bleeding", "qc.contra.contrast_renal"):  # fmt: skip
        assert rid in RULES.by_id


def test_each_table_names_its_source() -> None:
    for table in RULES.tables.values():
        assert table.meta.source and table.meta.edition, table.path.name
        for row in table.rows:
            assert row.guideline.strip(), row.id


def _copy_tables(tmp_path: Path) -> Path:
    target = tmp_path / "quality"
    shutil.copytree(QUALITY_DIR, target)
    return target


def test_a_bad_row_is_refused_naming_file_row_and_field(tmp_path: Path) -> None:
    d = _copy_tables(tmp_path)
    path = d / "dosage.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("severity: error", "severity: fatal", 1), encoding="utf-8"
    )
    with pytest.raises(
        KnowledgeError, match=r"dosage\.yaml row 1 \(id=qc\.dose\.over_max_dose\): field 'severity'"
    ):
        load_rules_from(d)


def test_an_unknown_placeholder_is_refused(tmp_path: Path) -> None:
    d = _copy_tables(tmp_path)
    path = d / "duplicate_exams.yaml"
    text = path.read_text(encoding="utf-8").replace("{item_zh}已于", "{itme_zh}已于", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError, match="unknown placeholders"):
        load_rules_from(d)


def test_a_missing_generic_row_and_an_unknown_drug_are_reported(tmp_path: Path) -> None:
    d = _copy_tables(tmp_path)
    path = d / "contraindications.yaml"
    text = path.read_text(encoding="utf-8").replace("drugs: [metformin]", "drugs: [metformine]")
    text = text.replace(
        "  - id: qc.contra.min_age\n", "  - id: qc.contra.min_age\n    drugs: [doxycycline]\n"
    )
    path.write_text(text, encoding="utf-8")
    problems = check_rules(load_rules_from(d), load_knowledge())
    assert any("qc.contra.metformin_egfr" in p and "metformine" in p for p in problems), problems
    assert any("'drug_min_age' needs a generic row" in p for p in problems), problems

"""The reader's data: every finding has words in both languages, every word reads back as its own
finding, and a broken lexicon or findings file gives a clear error naming the file and entry."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from assistant.knowledge import KNOWLEDGE_DIR, KnowledgeError
from assistant.knowledge import findings as findings_module
from assistant.text import LEXICON_FILE, ComplaintParser, build_lexicon, get_parser

_BRACKETS = re.compile(r"\s*[（(][^）)]*[）)]")


@pytest.fixture(scope="module")
def table():  # type: ignore[no-untyped-def]
    return findings_module.load(KNOWLEDGE_DIR)


def test_every_finding_has_chinese_and_english_words(table) -> None:  # type: ignore[no-untyped-def]
    assert len(table) >= 234
    thin = [f.code for f in table if len(f.synonyms_zh) < 3 or len(f.synonyms_en) < 3]
    assert not thin, thin
    assert findings_module.check_table(table) == []


def test_meta_source_says_the_words_were_written_by_the_team() -> None:
    meta = yaml.safe_load((KNOWLEDGE_DIR / "findings.yaml").read_text(encoding="utf-8"))["meta"]
    assert "written by the team" in meta["source"] and "not" in meta["source"]
    lex_meta = yaml.safe_load(LEXICON_FILE.read_text(encoding="utf-8"))["meta"]
    assert "gp-assistant team" in lex_meta["source"]


def test_every_word_reads_back_as_its_own_finding(table) -> None:  # type: ignore[no-untyped-def]
    parser = get_parser()
    wrong = []
    for f in table:
        for lang in ("zh", "en"):
            name = _BRACKETS.sub("", getattr(f, f"name_{lang}")).strip()
            for word in (name, *getattr(f, f"synonyms_{lang}")):
                if parser.parse(word).findings.get(f.code) is not True:
                    wrong.append((f.code, word))
            for word in getattr(f, f"absent_{lang}"):
                if parser.parse(word).findings.get(f.code) is not False:
                    wrong.append((f.code, "absent: " + word))
    assert not wrong, wrong[:20]


def test_implications_reference_known_codes(table) -> None:  # type: ignore[no-untyped-def]
    for f in table:
        for code in (*f.implies, *f.when_relative):
            assert code in table, (f.code, code)


def _copy_kb(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(KNOWLEDGE_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def test_findings_problems_name_file_row_and_field(tmp_path: Path) -> None:
    kb = _copy_kb(tmp_path)
    path = kb / "findings.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["rows"][1]["implies"] = ["no_such_code"]
    data["rows"][2]["absent_zh"] = [data["rows"][2]["name_zh"]]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    problems = findings_module.check_table(findings_module.load(kb))
    assert any("row 2" in p and "'implies'" in p and "no_such_code" in p for p in problems), problems
    assert any("row 3" in p and "'absent_zh'" in p for p in problems), problems


def test_broken_lexicon_is_reported(tmp_path: Path, table) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(LEXICON_FILE.read_text(encoding="utf-8"))
    data["combinations"].append({"site": "head", "sensation": "pain", "findings": ["not_a_finding"]})
    bad = tmp_path / "lexicon.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"lexicon\.yaml: combinations entry \d+ .*not_a_finding"):
        build_lexicon(table, bad)
    data = yaml.safe_load(LEXICON_FILE.read_text(encoding="utf-8"))
    data["sites"]["head"]["parents"] = ["nowhere"]
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(KnowledgeError, match="unknown parent site 'nowhere'"):
        build_lexicon(table, bad)
    data = yaml.safe_load(LEXICON_FILE.read_text(encoding="utf-8"))
    del data["negation"]
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(KnowledgeError, match="lexicon.yaml: field 'negation'"):
        build_lexicon(table, bad)


def test_a_lexicon_can_be_built_from_a_changed_findings_table(tmp_path: Path) -> None:
    kb = _copy_kb(tmp_path)
    path = kb / "findings.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for row in data["rows"]:
        if row["code"] == "cough":
            row["synonyms_zh"] = [*row["synonyms_zh"], "咳咳咳咳"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    parser = ComplaintParser(build_lexicon(findings_module.load(kb)))
    assert parser.parse("咳咳咳咳两天").findings["cough"] is True

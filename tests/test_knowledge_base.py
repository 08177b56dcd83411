"""The knowledge base loads, names its sources, and a broken file gives a clear error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from assistant.knowledge import KNOWLEDGE_DIR, KnowledgeError, load_knowledge, load_knowledge_from
from assistant.knowledge.base import read_yaml


def _copy_kb(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(KNOWLEDGE_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def test_shipped_knowledge_loads_and_cross_checks() -> None:
    kb = load_knowledge()
    assert len(kb.findings) >= 150
    assert len(kb.conditions) >= 1
    assert len(kb.exams) >= 1


@pytest.mark.parametrize("path", sorted(KNOWLEDGE_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_every_file_names_source_and_edition(path: Path) -> None:
    meta = read_yaml(path)["meta"]
    assert meta["source"].strip() and meta["source"] != "stub"
    assert str(meta["edition"]).strip()


def test_finding_codes_and_names_are_unique() -> None:
    kb = load_knowledge()
    for attr in ("name_zh", "name_en"):
        names = [getattr(f, attr) for f in kb.findings]
        dupes = {n for n in names if names.count(n) > 1}
        assert not dupes, f"duplicate {attr}: {dupes}"


def _edit_findings(kb_dir: Path, edit) -> None:  # type: ignore[no-untyped-def]
    path = kb_dir / "findings.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_missing_field_names_file_row_and_field(tmp_path: Path) -> None:
    kb_dir = _copy_kb(tmp_path)
    _edit_findings(kb_dir, lambda d: d["rows"][2].pop("name_zh"))
    with pytest.raises(KnowledgeError) as err:
        load_knowledge_from(kb_dir)
    msg = str(err.value)
    assert "findings.yaml row 3" in msg and "name_zh" in msg and "required" in msg.lower()


def test_wrong_value_and_unknown_field(tmp_path: Path) -> None:
    kb_dir = _copy_kb(tmp_path)

    def edit(d: dict) -> None:  # type: ignore[type-arg]
        d["rows"][0]["category"] = "gossip"
        d["rows"][1]["colour"] = "red"

    _edit_findings(kb_dir, edit)
    with pytest.raises(KnowledgeError) as err:
        load_knowledge_from(kb_dir)
    lines = str(err.value).splitlines()
    assert any("row 1" in ln and "'category'" in ln for ln in lines)
    assert any("row 2" in ln and "'colour'" in ln for ln in lines)


def test_duplicate_code(tmp_path: Path) -> None:
    kb_dir = _copy_kb(tmp_path)
    _edit_findings(kb_dir, lambda d: d["rows"].append(dict(d["rows"][0])))
    with pytest.raises(KnowledgeError, match=r"field 'code': duplicate value 'fever'"):
        load_knowledge_from(kb_dir)


def test_missing_header_and_bad_yaml(tmp_path: Path) -> None:
    kb_dir = _copy_kb(tmp_path)
    _edit_findings(kb_dir, lambda d: d["meta"].pop("source"))
    with pytest.raises(KnowledgeError, match=r"findings.yaml: header field 'meta.source'"):
        load_knowledge_from(kb_dir)
    (kb_dir / "findings.yaml").write_text("meta: [unclosed\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"findings.yaml line \d+: not valid YAML"):
        load_knowledge_from(kb_dir)
    (kb_dir / "findings.yaml").unlink()
    with pytest.raises(KnowledgeError, match="findings.yaml: file not found"):
        load_knowledge_from(kb_dir)

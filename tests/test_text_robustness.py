"""The complaint reader never fails and never lies about spans, whatever it is given."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.knowledge import KNOWLEDGE_DIR
from assistant.knowledge import findings as findings_module
from assistant.text import MAX_CHARS, get_parser, parse_complaint

KNOWN = set(findings_module.load(KNOWLEDGE_DIR).keys())

# text made of the reader's own pieces, so that the interesting paths run, plus anything at all
_PIECES = [
    "咳嗽", "无", "否认", "发热", "伴", "但", "右下腹", "痛", "疼", "3天", "两周", "半个月", "1年余", "体温",
    "39.5℃", "BP", "180/110", "mmHg", "SpO2", "88%", "心率", "120次/分", "，", "。", "、", "；", "：", "(-)",
    "阳性", "父亲", "家族史", "no", "denies", "fever", "chills", "or", "cough", "pain", "in the", "right lower quadrant",
    "swollen", "left calf", "x3d", "for 2 weeks", ".", ",", " ", "\n", "以", "为主", "呈", "紧箍样", "夜间加重",
    "😀", "\x00", "\u200b", "\ud800", "ＢＰ", "１８０", "℃", "°F", "-", "/", "'", "年", "月", "天", "小时",
]  # fmt: skip
_pieces_text = st.lists(st.sampled_from(_PIECES), max_size=40).map("".join)
_any_text = st.text(max_size=300)
_settings = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(text: str) -> None:
    r = parse_complaint(text)
    assert r.text == text[:MAX_CHARS]
    for m in r.mentions:
        assert 0 <= m.start <= m.end <= len(r.text) and r.text[m.start : m.end] == m.text
        assert set(m.codes) <= KNOWN
    for v in r.readings:
        assert r.text[v.start : v.end] == v.text
    for d in r.durations:
        assert r.text[d.start : d.end] == d.text and d.days >= 0
    for c in r.cues:
        assert r.text[c.start : c.end] == c.text
    assert set(r.findings) <= KNOWN
    assert all(isinstance(v, bool) for v in r.findings.values())
    assert r.duration_days is None or r.duration_days >= 0
    r.to_dict()


@_settings
@given(_pieces_text)
def test_any_combination_of_pieces(text: str) -> None:
    _check(text)


@_settings
@given(_any_text)
def test_any_text(text: str) -> None:
    _check(text)


@_settings
@given(_pieces_text)
def test_reading_is_deterministic(text: str) -> None:
    assert parse_complaint(text).to_dict() == parse_complaint(text).to_dict()


def test_non_text_inputs() -> None:
    for value in (None, "", "   ", b"\xff\xfe cough", 42, 3.5, ["咳嗽"], object()):
        r = parse_complaint(value)  # type: ignore[arg-type]
        assert isinstance(r.findings, dict)
    assert parse_complaint(b"cough").findings == {"cough": True}  # type: ignore[arg-type]


def test_huge_input_is_read_in_linear_time() -> None:
    p = get_parser()
    text = "咳嗽3天，无发热，右下腹痛，BP 180/110。no fever, chills or cough. " * 2000
    start = time.perf_counter()
    r = p.parse(text)
    elapsed = time.perf_counter() - start
    assert len(r.text) == MAX_CHARS and r.findings["cough"] is True
    assert elapsed < 5.0  # generous: a shared CI machine; typically ~0.1 s

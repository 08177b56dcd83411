"""What the complaint reader returns: findings, vital signs, duration, and the spans it heard."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from .quantities import DurationReading, VitalReading

__all__ = ["CueMention", "FindingMention", "ParsedComplaint"]

Subject = Literal["patient", "relative"]
Via = Literal["word", "site", "default"]
CueKind = Literal["negation", "pseudo_negation", "post_negation", "post_affirmation", "scope_end", "relative"]


@dataclass(frozen=True, slots=True)
class FindingMention:
    """Words of the text that name one or more findings.

    ``present`` is False when the words are negated (``无发热``) or say absence themselves
    (``afebrile``). ``subject`` is ``relative`` inside a family-history scope (those findings are
    not the patient's). ``via``: ``word`` (a listed word), ``site`` (a body site with a sensation,
    ``肚子右下边痛``), ``default`` (a sensation alone, ``压痛``).
    """

    codes: tuple[str, ...]
    present: bool
    start: int
    end: int
    text: str
    subject: Subject = "patient"
    via: Via = "word"

    def to_dict(self) -> dict[str, Any]:
        return {
            "codes": list(self.codes),
            "present": self.present,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "subject": self.subject,
            "via": self.via,
        }


@dataclass(frozen=True, slots=True)
class CueMention:
    """A word that changed how nearby findings are read (``无``, ``denies``, ``父亲``, ``但``)."""

    kind: CueKind
    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True)
class ParsedComplaint:
    """The reading of one complaint.

    - ``findings``: finding code → present (True) or absent (False); codes not mentioned are left out.
    - ``vitals``: contract vital-sign names → value (the most abnormal reading when several).
    - ``duration_days``: how long the present illness has lasted (the longest duration attached to
      a symptom), or None.
    - ``mentions`` / ``readings`` / ``durations`` / ``cues``: what was heard, with character spans
      into ``text`` (for highlighting).
    - ``derived``: code → why it was set without being named (implied by another finding, read
      from a vital sign or a duration).
    """

    text: str
    findings: dict[str, bool] = field(default_factory=dict)
    vitals: dict[str, float] = field(default_factory=dict)
    duration_days: float | None = None
    mentions: tuple[FindingMention, ...] = ()
    readings: tuple[VitalReading, ...] = ()
    durations: tuple[DurationReading, ...] = ()
    cues: tuple[CueMention, ...] = ()
    derived: dict[str, str] = field(default_factory=dict)

    @property
    def present(self) -> list[str]:
        return [c for c, v in self.findings.items() if v]

    @property
    def absent(self) -> list[str]:
        return [c for c, v in self.findings.items() if not v]

    def to_dict(self) -> dict[str, Any]:
        return {
            "findings": dict(self.findings),
            "vitals": dict(self.vitals),
            "duration_days": self.duration_days,
            "mentions": [m.to_dict() for m in self.mentions],
            "readings": [
                {"name": r.name, "value": r.value, "start": r.start, "end": r.end, "text": r.text}
                for r in self.readings
            ],
            "durations": [
                {"days": d.days, "start": d.start, "end": d.end, "text": d.text} for d in self.durations
            ],
            "cues": [c.to_dict() for c in self.cues],
            "derived": dict(self.derived),
        }

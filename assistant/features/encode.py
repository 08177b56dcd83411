"""Encounters → the diagnosis model's feature matrix. Training and runtime call these functions.

Feature layout (:func:`diagnosis_feature_spec`, version :data:`FEATURE_VERSION`):

=====================  ===========================================================================
``age_years``          resolved age (from ``age_years``, birth date or resident ID); NaN unknown
``sex_male``           1 male, 0 female, NaN unknown
``pregnant``           1 pregnant, 0 recorded as not pregnant, NaN not recorded
``month``              month of the encounter date (1-12)
``season_<s>``         1 for the encounter's season (winter, spring, summer, autumn; China, by month)
``duration_days``      how long the illness has lasted, read from the complaint; NaN unknown
``vital_<name>``       each vital sign of CONTRACTS §1 (structured ``vitals`` first, else read from
                       the complaint); NaN when not measured
``finding_<code>``     every finding of the knowledge base: 1.0 present, 0.0 absent (negated),
                       NaN not mentioned
=====================  ===========================================================================

Findings come from four places, merged in this order (a later one wins for a code it names):
the complaint text (explicit mentions only, as read by :func:`assistant.text.parse_complaint`),
``patient.history`` (each entry read as an ICD-10 code or a zh/en condition name and mapped to
its history finding, see ``history.yaml``), then the structured ``findings``. Then the rules of
``findings.yaml`` fill the codes still unmentioned, exactly as the complaint reader does
(:func:`resolve_findings`): implied findings, findings read from vital signs (using the merged
vitals, so a temperature typed in the text and one in ``vitals`` give the same features),
findings read from the illness duration, and implied findings again. A derivation never changes a
code that was mentioned.

The merged findings (what the assistant understood) come back with the matrix as
:attr:`EncodedBatch.findings`, for the assessment's ``findings_used``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import InputError, Problem
from ..knowledge.base import KnowledgeError, Meta, read_yaml
from ..knowledge.conditions import ConditionIndex, normalise_icd10, normalise_name, season_of
from ..knowledge.findings import VITAL_NAMES
from ..records.ranges import possible_vitals
from .spec import FeatureSpec, FeatureSpecError

if TYPE_CHECKING:
    from ..knowledge.base import Table
    from ..knowledge.conditions import Condition
    from ..knowledge.findings import Finding
    from ..records import Encounter

__all__ = [
    "BASE_FEATURES",
    "FEATURE_VERSION",
    "FINDING_PREFIX",
    "HISTORY_FILE",
    "SEASONS",
    "VITAL_FEATURES",
    "VITAL_PREFIX",
    "DiagnosisEncoder",
    "EncodedBatch",
    "FindingRules",
    "HistoryLookup",
    "diagnosis_feature_spec",
    "encode_batch",
    "encode_encounters",
    "encoder_for",
    "explicit_findings",
    "resolve_findings",
]

FEATURE_VERSION = "diagnosis-v1"
FINDING_PREFIX = "finding_"
VITAL_PREFIX = "vital_"
SEASONS: tuple[str, ...] = ("winter", "spring", "summer", "autumn")
BASE_FEATURES: tuple[str, ...] = (
    "age_years",
    "sex_male",
    "pregnant",
    "month",
    *(f"season_{s}" for s in SEASONS),
    "duration_days",
)
VITAL_FEATURES: tuple[str, ...] = tuple(f"{VITAL_PREFIX}{v}" for v in VITAL_NAMES)
HISTORY_FILE = Path(__file__).resolve().parent / "history.yaml"


class KnowledgeLike(Protocol):
    """What the encoder needs of :class:`assistant.knowledge.Knowledge`."""

    @property
    def findings(self) -> Table[Finding]: ...

    @property
    def conditions(self) -> Table[Condition]: ...


# ------------------------------------------------------------------------------------------- spec


def diagnosis_feature_spec(kb: KnowledgeLike) -> FeatureSpec:
    """The full feature layout for ``kb``: base features, vitals, then every finding in file order."""
    names = (*BASE_FEATURES, *VITAL_FEATURES, *(f"{FINDING_PREFIX}{f.code}" for f in kb.findings))
    return FeatureSpec(names=names, version=FEATURE_VERSION)


# ------------------------------------------------------------------------------------------ rules


@dataclass(frozen=True)
class FindingRules:
    """The derivation rules of ``findings.yaml``, compiled.

    ``closure[code]``: the findings ``code`` implies, transitively (without itself);
    ``vital_rules``: (code, vital, at_least); ``duration_rules``: (code, of, at_least, at_most), both
    in file order; ``when_relative``: findings asserted about the patient when a relative has one.
    """

    closure: Mapping[str, tuple[str, ...]]
    vital_rules: tuple[tuple[str, str, float], ...]
    duration_rules: tuple[tuple[str, str | None, float | None, float | None], ...]
    when_relative: Mapping[str, tuple[str, ...]]
    # duration rules whose finding is only ever set present (``sets_absent: false`` in findings.yaml)
    never_absent: frozenset[str] = frozenset()

    @classmethod
    def from_findings(cls, findings: Iterable[Finding]) -> FindingRules:
        rows = list(findings)
        implies = {f.code: tuple(f.implies) for f in rows if f.implies}
        closure: dict[str, tuple[str, ...]] = {}
        for code in implies:
            out: list[str] = []
            todo = list(implies[code])
            while todo:
                c = todo.pop(0)
                if c != code and c not in out:
                    out.append(c)
                    todo.extend(implies.get(c, ()))
            closure[code] = tuple(out)
        vital_rules = tuple(
            (f.code, f.from_vital.vital, float(f.from_vital.at_least))
            for f in rows
            if f.from_vital is not None
        )
        duration_rules = tuple(
            (f.code, f.from_duration.of, f.from_duration.at_least_days, f.from_duration.at_most_days)
            for f in rows
            if f.from_duration is not None
        )
        when_relative = {f.code: tuple(f.when_relative) for f in rows if f.when_relative}
        never_absent = frozenset(
            f.code for f in rows if f.from_duration is not None and not f.from_duration.sets_absent
        )
        return cls(closure, vital_rules, duration_rules, when_relative, never_absent)


def _imply(findings: dict[str, bool], rules: FindingRules, derived: dict[str, str] | None) -> None:
    for code, value in list(findings.items()):
        if value:
            for c in rules.closure.get(code, ()):
                if c not in findings:
                    findings[c] = True
                    if derived is not None:
                        derived[c] = f"implied by {code}"


def resolve_findings(
    explicit: Mapping[str, bool],
    vitals: Mapping[str, float],
    duration_days: float | None,
    rules: FindingRules,
    *,
    duration_overrides: Mapping[str, bool] | None = None,
    derived: dict[str, str] | None = None,
) -> dict[str, bool]:
    """Fill the unmentioned findings that the rules decide; mentioned codes are never changed.

    Steps (as the complaint reader): implied findings; findings read from ``vitals``; findings read
    from ``duration_days`` (a rule ``of`` another finding applies only when that finding is present;
    ``duration_overrides`` gives the reader's own per-finding reading for such a rule); implied
    findings again. ``derived`` (optional) receives code → reason for each filled code.
    """
    out = dict(explicit)
    _imply(out, rules, derived)
    for code, vital, at_least in rules.vital_rules:
        if code in out:
            continue
        value = vitals.get(vital)
        if value is None or not math.isfinite(value):
            continue
        out[code] = value >= at_least
        if derived is not None:
            derived[code] = f"{vital} {value:g} {'≥' if value >= at_least else '<'} {at_least:g}"
    for code, of, lo, hi in rules.duration_rules:
        if code in out:
            continue
        if of is not None:
            if not out.get(of):
                continue
            if duration_overrides is not None and code in duration_overrides:
                out[code] = duration_overrides[code]
                if derived is not None:
                    derived[code] = f"{of} duration"
                continue
        if duration_days is None or not math.isfinite(duration_days):
            continue
        within = (lo is None or duration_days >= lo) and (hi is None or duration_days <= hi)
        if not within and code in rules.never_absent:
            continue
        out[code] = within
        if derived is not None:
            derived[code] = f"{of + ' ' if of else ''}duration {duration_days:g} d"
    _imply(out, rules, derived)
    return out


# ---------------------------------------------------------------------------------------- history


class _HistoryRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
    finding: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    conditions: tuple[str, ...] = ()
    icd10: tuple[str, ...] = ()
    names: tuple[str, ...] = ()


class _HistoryFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    meta: Meta
    rows: tuple[_HistoryRow, ...]


_HISTORY_AFFIXES = re.compile(
    r"^(?:既往|有|患|h/o|history of|hx of|known|pmh:?)\s*|\s*(?:病史|史|病|history)$", re.I
)


class HistoryLookup:
    """``patient.history`` entries (ICD-10 code or zh/en name) → history finding codes."""

    def __init__(self, kb: KnowledgeLike, path: Path = HISTORY_FILE) -> None:
        try:
            data = _HistoryFile.model_validate(read_yaml(path))
        except ValidationError as exc:
            lines = [f"{path.name}: field '{'.'.join(map(str, e['loc']))}': {e['msg']}" for e in exc.errors()]
            raise KnowledgeError("\n".join(lines)) from exc
        self.rows = data.rows
        self.problems: list[str] = []
        self._by_code: dict[str, str] = {}
        self._by_condition: dict[str, str] = {}
        self._by_name: dict[str, str] = {}
        for i, row in enumerate(data.rows, start=1):
            where = f"{path.name} row {i} (finding={row.finding})"
            finding = kb.findings.get(row.finding)
            if finding is None or finding.category != "history":
                self.problems.append(f"{where}: field 'finding': not a history finding of findings.yaml")
                continue
            for cid in row.conditions:
                if cid not in kb.conditions:
                    self.problems.append(f"{where}: field 'conditions': unknown condition {cid!r}")
                self._by_condition[cid] = row.finding
            for code in row.icd10:
                norm = normalise_icd10(code)
                if norm is None:
                    self.problems.append(f"{where}: field 'icd10': {code!r} is not an ICD-10 code")
                    continue
                self._by_code[norm] = row.finding
            for name in row.names:
                self._by_name.setdefault(normalise_name(name), row.finding)
        for f in kb.findings:
            if f.category == "history":
                for name in (f.name_zh, f.name_en, *f.synonyms_zh, *f.synonyms_en, f.code):
                    self._by_name.setdefault(normalise_name(name), f.code)
        self._conditions = ConditionIndex.build(kb.conditions)
        self._cache: dict[str, tuple[str, ...]] = {}

    def lookup(self, text: str) -> tuple[str, ...]:
        """History finding codes named by one ``patient.history`` entry (empty when not understood)."""
        got = self._cache.get(text)
        if got is None:
            got = self._lookup(text)
            if len(self._cache) < 10_000:
                self._cache[text] = got
        return got

    def _lookup(self, text: str) -> tuple[str, ...]:
        code = normalise_icd10(text)
        if code is not None:
            for candidate in (code, code[:5], code[:3]):
                if candidate in self._by_code:
                    return (self._by_code[candidate],)
            for row in self._conditions.by_icd10(code):
                if row.id in self._by_condition:
                    return (self._by_condition[row.id],)
            return ()
        stripped = text.strip()
        for candidate in (
            stripped,
            _HISTORY_AFFIXES.sub("", stripped),
            _HISTORY_AFFIXES.sub("", _HISTORY_AFFIXES.sub("", stripped)),
        ):
            if not candidate:
                continue
            key = normalise_name(candidate)
            if key in self._by_name:
                return (self._by_name[key],)
            row = self._conditions.by_name(candidate)
            if row is not None and row.id in self._by_condition:
                return (self._by_condition[row.id],)
        return ()


# ---------------------------------------------------------------------------------------- encoder


@dataclass(frozen=True)
class EncodedBatch:
    """The feature matrix and, per encounter, the findings understood and history entries not understood."""

    X: np.ndarray
    findings: list[dict[str, bool]]
    unknown_history: list[list[str]] = field(default_factory=list)
    vitals: list[dict[str, float]] = field(default_factory=list)


def explicit_findings(parsed: Any, rules: FindingRules) -> tuple[dict[str, bool], dict[str, bool]]:
    """What a complaint reading states explicitly: the patient's mentions (a present mention wins
    over a negated one) and the findings a relative's illness asserts, without the reader's
    derivations; plus the reader's own readings of duration rules tied to a finding (``of``),
    which need the per-finding durations only it knows."""
    out: dict[str, bool] = {}
    mentions = getattr(parsed, "mentions", ())
    for m in mentions:
        if m.subject != "patient":
            continue
        for c in m.codes:
            if m.present:
                out[c] = True
            elif c not in out:
                out[c] = False
    for m in mentions:
        if m.subject != "relative":
            continue
        for c in m.codes:
            for r in rules.when_relative.get(c, ()):
                if m.present:
                    out[r] = True
                elif r not in out:
                    out[r] = False
    overrides: dict[str, bool] = {}
    found = parsed.findings
    for code, of, _, _ in rules.duration_rules:
        if of is not None and code in found and code not in out:
            overrides[code] = found[code]
    return out, overrides


class _EmptyReading:
    """The reading of an encounter without a complaint."""

    findings: Mapping[str, bool] = {}
    vitals: Mapping[str, float] = {}
    duration_days = None
    mentions = ()


def _reader_for(kb: KnowledgeLike) -> Any:
    """The complaint reader built on ``kb``'s findings (shared with the rest of the runtime when
    ``kb`` is a loaded :class:`~assistant.knowledge.Knowledge`)."""
    from ..knowledge import Knowledge
    from ..text import ComplaintParser, build_lexicon, get_parser

    if isinstance(kb, Knowledge):
        return get_parser(kb).parse
    return ComplaintParser(build_lexicon(kb.findings)).parse


class DiagnosisEncoder:
    """Encodes encounters for one knowledge base (rules, history lookup and parser built once).

    ``parse`` is the complaint reader (default: :mod:`assistant.text`'s reader built on ``kb``'s
    findings, the same one :func:`assistant.text.parse_complaint` uses for the shipped knowledge).
    """

    def __init__(self, kb: KnowledgeLike, parse: Any = None) -> None:
        self.kb = kb
        self.rules = FindingRules.from_findings(kb.findings)
        self.history = HistoryLookup(kb)
        self._parse = parse
        self.full_spec = diagnosis_feature_spec(kb)
        self._codes = tuple(f.code for f in kb.findings)
        self._columns: dict[str, np.ndarray] = {}

    @property
    def parse(self) -> Any:
        if self._parse is None:
            self._parse = _reader_for(self.kb)
        return self._parse

    # -- one encounter → its parts
    def understand(
        self, enc: Encounter, readings: dict[str, Any] | None = None
    ) -> tuple[dict[str, bool], dict[str, float], float | None, list[str]]:
        """(findings, vitals, duration_days, history entries not understood) of one encounter.

        ``readings`` (optional) caches complaint readings by text across a batch.
        """
        if not enc.complaint:
            parsed: Any = _EmptyReading()
        elif readings is None:
            parsed = self.parse(enc.complaint)
        else:
            parsed = readings.get(enc.complaint)
            if parsed is None:
                parsed = readings[enc.complaint] = self.parse(enc.complaint)
        explicit, overrides = explicit_findings(parsed, self.rules)
        unknown: list[str] = []
        for entry in enc.patient.history:
            codes = self.history.lookup(entry)
            if not codes:
                unknown.append(entry)
            for c in codes:
                explicit[c] = True
        known = self.kb.findings
        for code, value in enc.findings.items():
            if code in known:
                explicit[code] = bool(value)
        vitals: dict[str, float] = {k: float(v) for k, v in parsed.vitals.items() if v is not None}
        for name in VITAL_NAMES:
            value = getattr(enc.vitals, name, None)
            if value is not None:
                vitals[name] = float(value)
        vitals = possible_vitals(vitals)
        duration = parsed.duration_days
        findings = resolve_findings(explicit, vitals, duration, self.rules, duration_overrides=overrides)
        return findings, vitals, duration, unknown

    def columns(self, spec: FeatureSpec) -> np.ndarray:
        """For each feature of ``spec``, its column in :attr:`full_spec` (refuses unknown features)."""
        got = self._columns.get(spec.sha256)
        if got is not None:
            return got
        full = {n: i for i, n in enumerate(self.full_spec.names)}
        unknown = [n for n in spec.names if n not in full]
        if unknown:
            raise FeatureSpecError(
                f"the feature spec names features this encoder does not make: {unknown[:5]}"
                f"{' …' if len(unknown) > 5 else ''}"
            )
        if spec.version != FEATURE_VERSION:
            raise FeatureSpecError(
                f"feature spec version {spec.version!r}; this encoder makes {FEATURE_VERSION!r}"
            )
        src = np.array([full[n] for n in spec.names], dtype=np.int64)
        self._columns[spec.sha256] = src
        return src

    def encode(self, encounters: Sequence[Encounter], spec: FeatureSpec | None = None) -> EncodedBatch:
        """Feature rows (float32, NaN = missing) for ``encounters`` laid out as ``spec`` (default: all)."""
        spec = spec or self.full_spec
        src = self.columns(spec)
        n = len(encounters)
        n_base = len(BASE_FEATURES) + len(VITAL_FEATURES)
        code_index = {c: n_base + j for j, c in enumerate(self._codes)}
        vital_index = {v: len(BASE_FEATURES) + j for j, v in enumerate(VITAL_NAMES)}
        full = np.full((n, len(self.full_spec)), np.nan, dtype=np.float32)
        rows_i: list[int] = []
        cols_i: list[int] = []
        vals: list[float] = []
        all_findings: list[dict[str, bool]] = []
        all_vitals: list[dict[str, float]] = []
        unknown_history: list[list[str]] = []
        base = np.full((n, len(BASE_FEATURES)), np.nan, dtype=np.float64)
        readings: dict[str, Any] = {}  # the same complaint text is read once per batch
        for i, enc in enumerate(encounters):
            findings, vitals, duration, unknown = self.understand(enc, readings)
            all_findings.append(findings)
            all_vitals.append(vitals)
            unknown_history.append(unknown)
            for code, value in findings.items():
                j = code_index.get(code)
                if j is not None:
                    rows_i.append(i)
                    cols_i.append(j)
                    vals.append(1.0 if value else 0.0)
            for name, value in vitals.items():
                j = vital_index.get(name)
                if j is not None:
                    rows_i.append(i)
                    cols_i.append(j)
                    vals.append(value)
            p = enc.patient
            base[i, 0] = np.nan if p.age_years is None else p.age_years
            base[i, 1] = np.nan if p.sex is None else (1.0 if p.sex == "male" else 0.0)
            base[i, 2] = np.nan if p.pregnant is None else float(p.pregnant)
            if enc.date is not None:
                base[i, 3] = enc.date.month
                base[i, 4:8] = 0.0
                base[i, 4 + SEASONS.index(season_of(enc.date))] = 1.0
            base[i, 8] = np.nan if duration is None else duration
        full[:, : len(BASE_FEATURES)] = base
        if vals:
            full[np.asarray(rows_i), np.asarray(cols_i)] = np.asarray(vals, dtype=np.float32)
        X = (
            full
            if len(src) == full.shape[1] and np.array_equal(src, np.arange(full.shape[1]))
            else full[:, src]
        )
        return EncodedBatch(X=np.ascontiguousarray(X, dtype=np.float32), findings=all_findings,
                            unknown_history=unknown_history, vitals=all_vitals)  # fmt: skip


_ENCODERS: dict[int, tuple[KnowledgeLike, DiagnosisEncoder]] = {}


def encoder_for(kb: KnowledgeLike) -> DiagnosisEncoder:
    """The (cached) encoder of a knowledge base."""
    got = _ENCODERS.get(id(kb))
    if got is not None and got[0] is kb:
        return got[1]
    enc = DiagnosisEncoder(kb)
    if len(_ENCODERS) >= 8:
        _ENCODERS.pop(next(iter(_ENCODERS)))
    _ENCODERS[id(kb)] = (kb, enc)
    return enc


def _as_encounters(items: Sequence[Any], default_date: dt.date | None) -> list[Encounter]:
    from ..records import Encounter, parse_encounter

    out: list[Encounter] = []
    problems: list[Problem] = []
    for i, item in enumerate(items):
        if isinstance(item, Encounter):
            out.append(item)
            continue
        if not isinstance(item, Mapping):
            problems.append(Problem(f"[{i}]", f"must be an encounter object, got {type(item).__name__}"))
            continue
        on = default_date
        if on is None:
            if item.get("date") is None:
                problems.append(Problem(f"[{i}].date", "is required here (no default date given)"))
                continue
            on = dt.date(1970, 1, 1)  # unused: the encounter's own date is set
        try:
            out.append(parse_encounter(item, default_date=on))
        except InputError as exc:
            problems.extend(Problem(f"[{i}].{p.field}", p.reason) for p in exc.problems)
    if problems:
        raise InputError(problems)
    return out


def encode_encounters(
    encounters: Sequence[Encounter | Mapping[str, Any]],
    kb: KnowledgeLike,
    spec: FeatureSpec | None = None,
    *,
    default_date: dt.date | None = None,
) -> np.ndarray:
    """The feature matrix (float32, one row per encounter, NaN = missing) laid out as ``spec``.

    Encounters may be :class:`~assistant.records.Encounter` objects or mappings (validated with
    :func:`~assistant.records.parse_encounter`; ``default_date`` fills a missing date, otherwise
    every mapping must carry its date). Bad mappings raise one :class:`~assistant.errors.InputError`
    naming each (``[i].field``).
    """
    return encode_batch(encounters, kb, spec, default_date=default_date).X


def encode_batch(
    encounters: Sequence[Encounter | Mapping[str, Any]],
    kb: KnowledgeLike,
    spec: FeatureSpec | None = None,
    *,
    default_date: dt.date | None = None,
) -> EncodedBatch:
    """As :func:`encode_encounters`, also returning the findings understood for each encounter."""
    return encoder_for(kb).encode(_as_encounters(encounters, default_date), spec)

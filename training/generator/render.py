"""Generated consultations → encounter dicts (CONTRACTS §1), written the way village doctors type.

What the doctor mentioned (:attr:`~.sample.Sample.mentions`) becomes a Chinese or English
complaint: the chief symptoms with the illness duration (``咳嗽、咳痰3天`` / ``Cough for 3 days``),
accompanying symptoms (``伴…`` / ``with …``), pertinent negatives (``无…、…``, ``否认…``, ``不伴…`` /
``No … or …``, ``Denies …``), examination (``查体：…`` / ``O/E: …``), history (``既往…病史`` /
``PMH: …``) and sometimes vital signs typed into the text; the rest of the vitals go to
``vitals``. Some findings are given as structured ``findings`` instead, history items mostly in
``patient.history`` (as an ICD-10 code or a condition name), and a few words carry a typing slip.

Only words that the complaint reader understands as exactly that one finding (checked once per
reader, alone and negated) are used; a finding without such a word in the language of the
record is given as a structured finding. So, typos aside, the encoder reads back what was meant;
:func:`parse_agreement` measures how nearly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.features.encode import FindingRules, HistoryLookup, explicit_findings

from .sample import Sample
from .world import DURATION, PRESENT, World

__all__ = ["Vocabulary", "build_vocabulary", "case_records", "parse_agreement", "render_encounters"]

Parse = Callable[[str], Any]


@dataclass(frozen=True)
class Vocabulary:
    """Words the reader understands, per finding and language: ``present[lang][j]`` (words naming
    finding ``j``), ``negated[lang][j]`` (words that can follow 无 / No); ``history_entries[j]``:
    ``patient.history`` entries read back as history finding ``j``."""

    present: dict[str, list[tuple[str, ...]]]
    negated: dict[str, list[tuple[str, ...]]]
    history_entries: list[tuple[str, ...]]


def build_vocabulary(world: World, kb: Any, parse: Parse | None = None) -> Vocabulary:
    """Check every name and synonym of every finding with the reader (``parse``, default the
    runtime's reader for ``kb``)."""
    if parse is None:
        from assistant.features.encode import encoder_for

        parse = encoder_for(kb).parse
    rules = FindingRules.from_findings(world.findings)

    def explicit(text: str) -> dict[str, bool] | None:
        """The explicit reading of ``text``; None when the reader also hears a number in it (a
        word such as 病程超过三个月 would write a duration)."""
        reading = parse(text)
        if reading.duration_days is not None or reading.vitals:
            return None
        return explicit_findings(reading, rules)[0]

    present: dict[str, list[tuple[str, ...]]] = {"zh": [], "en": []}
    negated: dict[str, list[tuple[str, ...]]] = {"zh": [], "en": []}
    for f in world.findings:
        for lang, words, frames in (
            ("zh", (f.name_zh, *f.synonyms_zh), ("{}", "无{}")),
            ("en", (f.name_en, *f.synonyms_en), ("{}.", "No {}.")),
        ):
            ok_p = tuple(w for w in _writable(words, lang) if explicit(frames[0].format(w)) == {f.code: True})
            ok_n = tuple(
                w for w in _writable(words, lang) if explicit(frames[1].format(w)) == {f.code: False}
            )
            present[lang].append(ok_p)
            negated[lang].append(ok_n)
    lookup = HistoryLookup(kb)
    conditions = {c.id: c for c in kb.conditions}
    history: list[tuple[str, ...]] = []
    by_finding = {row.finding: row for row in lookup.rows}
    for f in world.findings:
        row = by_finding.get(f.code)
        entries: list[str] = []
        if row is not None:
            entries.extend(row.names)
            first = conditions.get(row.conditions[0]) if row.conditions else None
            if first is not None:
                entries.extend((first.icd10, first.name_zh, first.name_en))
            entries.extend(row.icd10[:3])
        history.append(tuple(e for e in dict.fromkeys(entries) if lookup.lookup(e) == (f.code,)))
    return Vocabulary(present, negated, history)


# ------------------------------------------------------------------------------------ formatting

# Synonym lists are written for reading: they hold fragments ("contact with someone with"),
# first-person phrases and typing errors. A record is written with the plain ones only.
_EN_AWKWARD = frozenset(
    [
        "his",
        "her",
        "him",
        "he",
        "she",
        "someone",
        "somebody",
        "i",
        "my",
        "me",
        "cannot",
        "can't",
        "cant",
        "unable",
        "is",
        "are",
        "was",
        "were",
        "been",
        "feels",
        "feel",
        "felt",
        "not",
        "no",
    ]
)
_EN_DANGLING = frozenset(
    ["with", "of", "to", "on", "in", "for", "at", "from", "by", "and", "or", "the", "a", "an"]
)


_ZH_NEGATIVE = ("无", "不", "没", "未", "否", "非")
_ZH_DANGLING = ("都", "的", "后", "时", "了", "得")


def _writable(words: Sequence[str], lang: str) -> list[str]:
    """Candidate words for writing, name first: fragments and awkward phrases left out; a name
    with a bracketed gloss ("cyanosis (blue lips)") goes after the plain synonyms."""
    out: list[str] = []
    for w in dict.fromkeys(words):
        if lang == "zh" and (w.startswith(_ZH_NEGATIVE) or w.endswith(_ZH_DANGLING)):
            continue
        if lang == "en":
            tokens = w.lower().replace("-", " ").split()
            if (
                not tokens
                or set(tokens) & _EN_AWKWARD
                or tokens[-1] in _EN_DANGLING
                or tokens[0] in _EN_DANGLING
            ):
                continue
        out.append(w)
    plain = [w for w in out if "(" not in w and "（" not in w]
    return plain + [w for w in out if w not in plain] if plain else out


def _duration_text(days: float, lang: str) -> str:
    if days < 1:
        h = int(round(days * 24))
        return f"{h}小时" if lang == "zh" else f"{h} hour{'s' if h != 1 else ''}"
    if days < 14:
        d = int(round(days))
        return f"{d}天" if lang == "zh" else f"{d} day{'s' if d != 1 else ''}"
    if days < 60:
        w = int(round(days / 7))
        return f"{w}周" if lang == "zh" else f"{w} weeks"
    if days < 365:
        m = int(round(days / 30))
        return f"{m}个月" if lang == "zh" else f"{m} months"
    y = int(round(days / 365))
    return f"{y}年" if lang == "zh" else f"{y} year{'s' if y != 1 else ''}"


def _num(value: float) -> str:
    return f"{value:.1f}" if value != int(value) else f"{int(value)}"


_VITAL_TEXT = {
    "zh": {
        "temperature_c": ("体温{}℃", "T {}℃", "T{}℃"),
        "heart_rate": ("心率{}次/分", "P {}次/分", "脉搏{}次/分"),
        "respiratory_rate": ("呼吸{}次/分", "R {}次/分"),
        "spo2": ("血氧饱和度{}%", "SpO2 {}%", "指脉氧{}%"),
        "glucose_mmol_l": ("随机血糖{}mmol/L", "血糖{}mmol/L", "末梢血糖{}mmol/L"),
        "bp": ("血压{}/{}mmHg", "BP {}/{}mmHg"),
    },
    "en": {
        "temperature_c": ("T {} C", "temp {}C", "temperature {} C"),
        "heart_rate": ("HR {}", "pulse {}", "HR {}/min"),
        "respiratory_rate": ("RR {}", "RR {}/min"),
        "spo2": ("SpO2 {}%", "sats {}%"),
        "glucose_mmol_l": ("glucose {}", "random glucose {} mmol/L", "BG {}"),
        "bp": ("BP {}/{}", "BP {}/{} mmHg"),
    },
}

_JOIN = {"zh": "、", "en": ", "}


def _en_list(items: Sequence[str], last: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {last} " + items[-1]


def _chunks(items: Sequence[str], rng: np.random.Generator) -> list[list[str]]:
    """A long list of negatives cut into short runs (two to four), as doctors write them."""
    out: list[list[str]] = []
    i = 0
    while i < len(items):
        size = int(rng.integers(2, 5))
        out.append(list(items[i : i + size]))
        i += size
    return out


def _typo(word: str, lang: str, rng: np.random.Generator) -> str:
    """A slip of the finger: a character dropped, doubled or two swapped."""
    if len(word) < 2:
        return word
    i = int(rng.integers(0, len(word) - 1))
    kind = int(rng.integers(0, 3))
    if kind == 0:
        return word[:i] + word[i + 1 :]
    if kind == 1:
        return word[: i + 1] + word[i] + word[i + 1 :]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


@dataclass
class _Case:
    lang: str
    chief: list[str]
    accompany: list[str]
    course: list[str]
    negated: list[str]
    denied: list[str]
    signs: list[str]
    history: list[str]
    history_denied: list[str]
    exposures: list[str]
    vitals_text: list[str]
    duration: str | None


def _punctuate(text: str, lang: str, rng: np.random.Generator) -> str:
    """Typing habits: ASCII commas or semicolons in Chinese, all lower case in English."""
    if lang == "zh":
        if rng.random() < 0.1:
            text = text.replace("，", ",")
        if rng.random() < 0.1:
            text = text[:-1].replace("。", "；") + text[-1:]
        return text
    if rng.random() < 0.15:
        text = text.lower()
    return text


def _compose(c: _Case, rng: np.random.Generator) -> str:
    return _punctuate(_compose_plain(c, rng), c.lang, rng)


def _compose_plain(c: _Case, rng: np.random.Generator) -> str:
    if c.lang == "zh":
        parts: list[str] = list(c.course[:1])
        if c.chief:
            parts.append("、".join(c.chief) + (c.duration or ""))
        else:
            parts.insert(0, "门诊就诊")
            if c.duration:
                parts.append("病程" + c.duration)
        if c.accompany:
            parts.append(("伴" if rng.random() < 0.8 else "并有") + "、".join(c.accompany))
        parts.extend(c.exposures)
        for chunk in _chunks(c.negated, rng):
            parts.append(("无" if rng.random() < 0.7 else "不伴") + "、".join(chunk))
        for chunk in _chunks(c.denied, rng):
            parts.append("否认" + "、".join(chunk))
        text = "，".join(parts) + "。"
        if c.signs:
            text += "查体：" + "，".join(c.signs) + "。"
        if c.vitals_text:
            text += "，".join(c.vitals_text) + "。"
        if c.history:
            text += "既往" + "、".join(c.history) + "。"
        if c.history_denied:
            text += "否认" + "、".join(c.history_denied) + "。"
        return text
    sentences: list[str] = []
    if c.chief:
        first = " and ".join(c.chief)
        first = first[:1].upper() + first[1:]
        s = first + (f" for {c.duration}" if c.duration else "")
        if c.accompany:
            s += ", with " + _en_list(c.accompany, "and")
        sentences.append(s)
    else:
        sentences.append("Clinic visit")
        if c.duration:
            sentences.append(f"Duration {c.duration}")
        if c.accompany:
            sentences.append("With " + _en_list(c.accompany, "and"))
    if c.course:
        sentences.append(c.course[0][:1].upper() + c.course[0][1:])
    sentences.extend(e[:1].upper() + e[1:] for e in c.exposures)
    for chunk in _chunks(c.negated, rng):
        sentences.append("No " + _en_list(chunk, "or"))
    for chunk in _chunks(c.denied, rng):
        sentences.append("Denies " + _en_list(chunk, "or"))
    if c.signs:
        sentences.append("O/E: " + ", ".join(c.signs))
    if c.vitals_text:
        sentences.append(", ".join(c.vitals_text))
    sentences.extend(h[:1].upper() + h[1:] for h in c.history)
    sentences.extend("No " + h for h in c.history_denied)
    return ". ".join(sentences) + "."


# -------------------------------------------------------------------------------------- rendering


def _records(
    world: World, sample: Sample, vocab: Vocabulary, seed: int, id_prefix: str
) -> Iterator[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    writing = world.params.writing
    cats = world.categories
    is_hx = [c.startswith("hx_") for c in world.codes]
    var_names = [v.name for v in world.variables]
    vi_dur = var_names.index(DURATION)
    for i in range(len(sample)):
        lang = "zh" if rng.random() < writing.chinese else "en"
        y = int(sample.y[i])
        structured_case = rng.random() < writing.structured_case
        mentioned = np.flatnonzero(sample.mentions[i])
        # most characteristic first: the condition's probability, then file order
        weight = world.p[world.stratum(sample.age[i : i + 1])[0], y, mentioned]
        mentioned = mentioned[np.argsort(-weight, kind="stable")]
        implied = {
            c
            for j in mentioned
            if sample.mentions[i, j] == PRESENT
            for c in world.rules.closure.get(world.codes[j], ())
        }
        structured: dict[str, bool] = {}
        history_list: list[str] = []
        case = _Case(lang, [], [], [], [], [], [], [], [], [], [], None)
        for j in mentioned:
            code = world.codes[j]
            is_present = sample.mentions[i, j] == PRESENT
            if is_present and code in implied:
                continue  # "干咳" says "咳嗽" already
            words = (vocab.present if is_present else vocab.negated)[lang][j]
            if (
                is_present
                and is_hx[j]
                and vocab.history_entries[j]
                and rng.random() < writing.history_in_list
            ):
                entries = vocab.history_entries[j]
                codes_first = [e for e in entries if e[:1].isupper() and e[1:3].isdigit()]
                names = [e for e in entries if e not in codes_first]
                pool = (
                    codes_first
                    if (codes_first and (rng.random() < writing.history_as_code or not names))
                    else names
                )
                history_list.append(pool[int(rng.integers(0, len(pool)))])
                continue
            if not words or (structured_case and rng.random() < writing.structured_item):
                structured[code] = bool(is_present)
                continue
            word = (
                words[0]
                if (len(words) == 1 or rng.random() >= writing.synonym)
                else words[int(rng.integers(1, len(words)))]
            )
            if rng.random() < writing.typo:
                word = _typo(word, lang, rng)
            cat = cats[j]
            if cat == "history" and is_hx[j]:
                (case.history if is_present else case.history_denied).append(word)
            elif cat == "history":
                (case.exposures if is_present else case.denied).append(word)
            elif not is_present:
                (case.negated if rng.random() < 0.75 else case.denied).append(word)
            elif cat == "sign":
                case.signs.append(word)
            elif cat == "course":
                case.course.append(word)
            elif len(case.chief) < (1 if rng.random() < 0.6 else 2):
                case.chief.append(word)
            else:
                case.accompany.append(word)
        if len(case.course) > 1:
            extra = case.course[1:]
            case.course = case.course[:1]
            case.accompany.extend(extra)
        # variables
        vitals: dict[str, float] = {}
        values = sample.values[i]
        in_text = rng.random(len(var_names)) < writing.vitals_in_text
        for vi, name in enumerate(var_names):
            v = values[vi]
            if np.isnan(v) or name in (DURATION, "diastolic_bp"):
                continue
            if name == "systolic_bp":
                dia = values[var_names.index("diastolic_bp")] if "diastolic_bp" in var_names else np.nan
                if in_text[vi] and not np.isnan(dia):
                    fmt = _VITAL_TEXT[lang]["bp"]
                    case.vitals_text.append(fmt[int(rng.integers(0, len(fmt)))].format(_num(v), _num(dia)))
                    continue
                vitals[name] = float(v)
                if not np.isnan(dia):
                    vitals["diastolic_bp"] = float(dia)
                continue
            if in_text[vi] and name in _VITAL_TEXT[lang]:
                fmt = _VITAL_TEXT[lang][name]
                case.vitals_text.append(fmt[int(rng.integers(0, len(fmt)))].format(_num(v)))
            else:
                vitals[name] = float(v)
        if "diastolic_bp" in var_names:
            dia = values[var_names.index("diastolic_bp")]
            if not np.isnan(dia) and np.isnan(values[var_names.index("systolic_bp")]):
                vitals["diastolic_bp"] = float(dia)
        if not np.isnan(values[vi_dur]):
            case.duration = _duration_text(float(values[vi_dur]), lang)
        has_text = any((case.chief, case.accompany, case.course, case.negated, case.denied, case.signs,
                        case.history, case.history_denied, case.exposures, case.vitals_text,
                        case.duration))  # fmt: skip
        patient: dict[str, Any] = {
            "id": f"{id_prefix}{i:06d}",
            "age_years": float(sample.age[i]) if sample.age[i] < 2 else int(sample.age[i]),
            "sex": "male" if sample.male[i] else "female",
        }
        if sample.pregnant[i] >= 0:
            patient["pregnant"] = bool(sample.pregnant[i])
        if history_list:
            patient["history"] = history_list
        record: dict[str, Any] = {"date": str(sample.day[i]), "patient": patient}
        if has_text or not structured:
            record["complaint"] = _compose(case, rng)
        if structured:
            record["findings"] = structured
        if vitals:
            record["vitals"] = vitals
        yield record


def render_encounters(
    world: World,
    sample: Sample,
    *,
    seed: int,
    vocabulary: Vocabulary,
    id_prefix: str = "SYN",
) -> list[dict[str, Any]]:
    """One encounter dict (CONTRACTS §1) per generated consultation; the same seed gives the same text."""
    return list(_records(world, sample, vocabulary, seed, id_prefix))


def case_records(
    world: World,
    sample: Sample,
    encounters: Sequence[dict[str, Any]],
    posterior: np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """Each encounter with a ``synthetic`` block: the true condition, the latent findings, what was
    written (and the exact posterior's top five when given). The encounter part is unchanged, so the
    records can be assessed as they are."""
    out = []
    for i, enc in enumerate(encounters):
        cond = world.conditions[int(sample.y[i])]
        truth: dict[str, Any] = {
            "condition": cond.id,
            "icd10": cond.icd10,
            "present": [world.codes[j] for j in np.flatnonzero(sample.present[i])],
            "mentioned": {
                world.codes[j]: bool(sample.mentions[i, j] == PRESENT)
                for j in np.flatnonzero(sample.mentions[i])
            },
            "written": {
                world.codes[j]: bool(sample.written[i, j] == PRESENT)
                for j in np.flatnonzero(sample.written[i])
            },
        }
        if posterior is not None:
            top = np.argsort(-posterior[i])[:5]
            truth["posterior"] = {world.condition_ids[k]: round(float(posterior[i, k]), 4) for k in top}
        out.append({**enc, "synthetic": truth})
    return out


def parse_agreement(world: World, sample: Sample, understood: Sequence[dict[str, bool]]) -> dict[str, float]:
    """How nearly the encoder read back what the generator meant (``understood``: the findings the
    encoder reports per encounter, e.g. :attr:`~assistant.features.encode.EncodedBatch.findings`).

    ``case_exact``: share of consultations read exactly; ``recall``: share of the intended
    (finding, present/absent) statements read as such; ``precision``: share of the statements read
    that were intended; ``flipped``: share of intended statements read with the opposite value.
    """
    n_cases = len(sample)
    exact = 0
    intended_total = read_total = hits = flipped = 0
    codes = world.codes
    for i in range(n_cases):
        want = {codes[j]: bool(sample.written[i, j] == PRESENT) for j in np.flatnonzero(sample.written[i])}
        got = dict(understood[i])
        exact += want == got
        intended_total += len(want)
        read_total += len(got)
        for c, v in want.items():
            if c in got:
                hits += got[c] == v
                flipped += got[c] != v
    return {
        "cases": float(n_cases),
        "case_exact": exact / max(n_cases, 1),
        "recall": hits / max(intended_total, 1),
        "precision": hits / max(read_total, 1),
        "flipped": flipped / max(intended_total, 1),
    }

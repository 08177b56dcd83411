"""Numbers in a complaint: vital signs (``体温39.5``, ``BP 180/110``, ``SpO2 88%``) and durations
(``3天``, ``两周``, ``1年余``, ``for 10 days``, ``x3d``), each with its character span.

Labels and relative time words come from ``lexicon.yaml``; units are converted here (°F → °C,
kPa → mmHg, 斤 and lb → kg, mg/dL → mmol/L, m → cm). Every pattern is linear (no nested
repetition), so any text is read in time proportional to its length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .normalize import zh_number

__all__ = ["DurationReading", "QuantityReader", "VitalReading", "squeeze"]


@dataclass(frozen=True, slots=True)
class VitalReading:
    """One vital sign read from the text, in the unit of its name."""

    name: str
    value: float
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class DurationReading:
    """A duration (``3天``, ``for two weeks``) or a relative time (``昨天``, ``relative``), in days."""

    days: float
    start: int
    end: int
    text: str
    relative: bool = False


_DAY_UNITS = {
    "分钟": 1 / 1440, "min": 1 / 1440, "mins": 1 / 1440, "minute": 1 / 1440, "minutes": 1 / 1440,
    "小时": 1 / 24, "钟头": 1 / 24, "h": 1 / 24, "hr": 1 / 24, "hrs": 1 / 24, "hour": 1 / 24, "hours": 1 / 24,
    "天": 1.0, "日": 1.0, "d": 1.0, "day": 1.0, "days": 1.0,
    "周": 7.0, "星期": 7.0, "礼拜": 7.0, "w": 7.0, "wk": 7.0, "wks": 7.0, "week": 7.0, "weeks": 7.0,
    "月": 30.0, "mo": 30.0, "mos": 30.0, "month": 30.0, "months": 30.0,
    "年": 365.0, "y": 365.0, "yr": 365.0, "yrs": 365.0, "year": 365.0, "years": 365.0,
}  # fmt: skip

_EN_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "a": 1, "an": 1, "a few": 3, "few": 3, "several": 3,
    "a couple of": 2, "a couple": 2, "couple of": 2, "many": 5, "half a": 0.5, "half an": 0.5,
    "one and a half": 1.5,
}  # fmt: skip

_ZH_NUM = r"(?:\d{1,4}(?:\.\d{1,2})?|[零〇一二两三四五六七八九十百几数半]{1,4})"
_ZH_DURATION = re.compile(
    rf"(?P<num>{_ZH_NUM})(?:\s*[-~到至]\s*(?P<num2>{_ZH_NUM}))?\s*(?P<more>多|余|来)?\s*(?P<ge>个)?"
    r"(?P<half>多|余|半)?\s*(?P<unit>小时|钟头|分钟|天|日|周|星期|礼拜|月|年)"
    r"(?P<after>余|多|半|左右|许|以上)?"
)
_ZH_UNIT_MORE = re.compile(r"(?<![\d零〇一二两三四五六七八九十百几数半个])(?P<unit>月|年|周)(?P<after>余)")
_EN_NUM = (
    r"(?:\d{1,4}(?:\.\d{1,2})?|one and a half|a couple of|a couple|couple of|a few|half an?|"
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|few|several|many|an?)"
)
_EN_DURATION = re.compile(
    rf"(?:(?<=[x×])|(?<![a-z0-9.]))(?P<num>{_EN_NUM})(?:\s*(?:-|to|~|or)\s*(?P<num2>{_EN_NUM}))?"
    r"(?P<sp>\s*(?P<plus>\+)?\s*-?\s*)(?:(?:more|plus)\s+)?"
    r"(?P<unit>minutes?|mins?|hours?|hrs?|h|days?|d|weeks?|wks?|w|months?|mos?|years?|yrs?|y)(?![a-z0-9])"
)
_EN_SLASH = re.compile(r"(?:[x×]|for)\s*(?P<num>\d{1,3})\s*/\s*(?P<den>7|52|12)(?![\d/])")
_AFTER_EN_AGE = re.compile(r"\s*-?\s*(?:old\b|of age\b|/\s*o\b)")
_BEFORE_EN_SKIP = re.compile(
    r"(?:\bage|\baged|\btimes|\bper|\bevery|\bonce|\btwice|\bq|\bpregnant|\bgestation|\bga|\bpregnancy)\s*$"
)
_AFTER_EN_SKIP = re.compile(r"\s*(?:pregnant|gestation|of pregnancy|of gestation|postpartum)\b")
_BEFORE_EN_ARTICLE_OK = re.compile(
    r"(?:\bfor|\bpast|\blast|\bover|\babout|\bwithin|\bnearly|\balmost|\bsince|\bof|\bin|\bapproximately|\bx)\s*$"
)
_AFTER_EN_ARTICLE_OK = re.compile(r"\s*(?:ago|history|duration|hx)\b")
_BEFORE_ZH_SKIP = ("每", "第", "孕", "妊娠", "怀孕", "餐后", "饭后", "服药后", "用药后", "术后第", "隔", "患儿", "婴儿", "宝宝",
                   "男婴", "女婴", "小儿", "出生", "生后")
_AGE_AFTER = re.compile(r"\s*(?:龄|大的|大[,，。;；\s]|大$|的婴儿|的宝宝|的患儿)")
_FREQUENCY_AFTER = re.compile(r"[^,，。;；]{0,3}?[\d一二两三四五六七八九十几数]+\s*[次回遍]")
_DATE_AFTER_MONTH = re.compile(r"\s*(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*[日号]|份|初|中旬|下旬|上旬|底")

_HAS_DIGIT = re.compile(r"\d")
_SPACES = re.compile(r"\s+")


def squeeze(text: str) -> str:
    """``text`` without white space (the form the substring prefilters compare)."""
    return _SPACES.sub("", text)


_NUM = r"(?P<v>\d{1,3}(?:\.\d{1,2})?)"
_NUM2 = r"(?P<v2>\d{1,3}(?:\.\d{1,2})?)"
_NOT_DURATION = (
    r"(?!\d|\.\d)(?!\s*(?:天|日|周|星期|个|月|年|小时|钟头|分钟|岁|次(?!\s*/)|days?\b|weeks?\b|months?\b|"
    r"years?\b|hours?\b|hrs?\b|mins?\b|minutes?\b|times\b|y/?o\b|yo\b|d\b|h\b))"
)
_TEMP_UNIT = r"(?P<u>℃|°\s*[cf]?|摄氏度|度|c\b|f\b)"
_UNITS = {
    "temperature_c": _TEMP_UNIT,
    "bp": r"(?P<u>mmhg|mm\s*hg|kpa)",
    "systolic_bp": r"(?P<u>mmhg|mm\s*hg|kpa)",
    "diastolic_bp": r"(?P<u>mmhg|mm\s*hg|kpa)",
    "heart_rate": r"(?P<u>次\s*/\s*分钟?|次\s*/\s*min|次每分钟?|次/分|bpm|/\s*min|beats)",
    "respiratory_rate": r"(?P<u>次\s*/\s*分钟?|次\s*/\s*min|次每分钟?|bpm|/\s*min|breaths)",
    "spo2": r"(?P<u>%)",
    "weight_kg": r"(?P<u>kg|公斤|千克|斤|lbs?\b|pounds?)",
    "height_cm": r"(?P<u>cm|厘米|公分|m\b|米)",
    "glucose_mmol_l": r"(?P<u>mmol\s*/\s*l|mmol|mg\s*/\s*dl)",
    "fasting_glucose_mmol_l": r"(?P<u>mmol\s*/\s*l|mmol|mg\s*/\s*dl)",
}
_RANGES = {
    "temperature_c": (34.0, 43.5),
    "systolic_bp": (50.0, 300.0),
    "diastolic_bp": (20.0, 200.0),
    "heart_rate": (20.0, 300.0),
    "respiratory_rate": (4.0, 100.0),
    "spo2": (40.0, 100.0),
    "weight_kg": (0.5, 400.0),
    "height_cm": (30.0, 250.0),
    "glucose_mmol_l": (0.5, 60.0),
    "fasting_glucose_mmol_l": (0.5, 60.0),
}
#: Order matters: a longer label owns its span before a shorter one inside it (空腹血糖 before 血糖).
_ORDER = (
    "fasting_glucose_mmol_l",
    "glucose_mmol_l",
    "bp",
    "systolic_bp",
    "diastolic_bp",
    "temperature_c",
    "spo2",
    "heart_rate",
    "respiratory_rate",
    "weight_kg",
    "height_cm",
)
#: How several readings of one vital combine: the most abnormal, or the first.
_COMBINE = {
    "temperature_c": max,
    "systolic_bp": max,
    "heart_rate": max,
    "respiratory_rate": max,
    "spo2": min,
    "glucose_mmol_l": max,
    "fasting_glucose_mmol_l": max,
}


def _label_pattern(labels: Iterable[str]) -> str:
    parts = []
    for label in sorted({lb.lower() for lb in labels if lb.strip()}, key=len, reverse=True):
        esc = re.escape(label).replace(r"\ ", r"\s*")
        if label[0].isascii() and label[0].isalnum():
            esc = r"(?<![a-z0-9])" + esc
        if label[-1].isascii() and label[-1].isalnum():
            esc = esc + r"(?![a-z])"
        parts.append(esc)
    return "(?:" + "|".join(parts) + ")" if parts else "(?!)"


def _gap_pattern(words: Iterable[str]) -> str:
    alts = sorted({w.lower() for w in words if w.strip()}, key=len, reverse=True)
    word_alt = "|".join(re.escape(w) for w in alts)
    return rf"(?:\s*(?:[:=]|{word_alt})){{0,3}}\s*" if alts else r"\s*[:=]?\s*"


def _days(num: str, unit: str) -> float | None:
    value = zh_number(num) if not num.isascii() else _en_number(num)
    if value is None:
        return None
    return value * _DAY_UNITS[unit]


def _en_number(s: str) -> float | None:
    s = re.sub(r"\s+", " ", s.strip())
    if s in _EN_NUMBERS:
        return float(_EN_NUMBERS[s])
    try:
        return float(s)
    except ValueError:
        return None


class QuantityReader:
    """Reads vital signs and durations; built once from the lexicon's labels."""

    def __init__(
        self,
        vital_labels: Mapping[str, Sequence[str]],
        label_gap: Sequence[str],
        relative_times: Mapping[str, float],
    ) -> None:
        gap = _gap_pattern(label_gap)
        self._vitals: list[tuple[str, re.Pattern[str]]] = []
        # plain substring tests (spaces removed) tell which labels may occur; only their patterns
        # run, and each pattern still checks the label with its word boundaries
        self._label_keys: list[tuple[str, tuple[str, ...]]] = [
            (name, tuple(sorted({squeeze(lb.lower()) for lb in vital_labels[name] if lb.strip()})))
            for name in _ORDER
            if vital_labels.get(name)
        ]
        for name in _ORDER:
            labels = vital_labels.get(name, ())
            if not labels:
                continue
            unit = _UNITS.get(name, r"(?P<u>)")
            if name == "bp":
                body = rf"{_NUM}\s*/\s*{_NUM2}(?!\d|\.\d)\s*{unit}?"
            elif name == "temperature_c":
                body = rf"{_NUM}(?:\s*[-~到至]\s*{_NUM2})?{_NOT_DURATION}\s*{unit}?"
            else:
                body = rf"{_NUM}{_NOT_DURATION}\s*{unit}?"
            pattern = _label_pattern(labels) + gap + body
            self._vitals.append((name, re.compile(pattern)))
        # units that identify the vital without a label
        self._temp_unit_only = re.compile(
            rf"(?<![\d./]){_NUM}(?:\s*[-~到至]\s*{_NUM2})?\s*(?P<u>℃|°\s*[cf]|°|摄氏度|度(?!数))"
        )
        self._bp_unit_only = re.compile(rf"(?<![\d./]){_NUM}\s*/\s*{_NUM2}\s*(?P<u>mmhg|mm\s*hg|kpa)")
        rel = sorted(relative_times, key=len, reverse=True)
        self._relative = dict(relative_times)
        # a substring test (spaces removed) tells whether the alternation below needs to run
        self._relative_keys = tuple(sorted({squeeze(w.lower()) for w in rel if w.strip()}))
        if rel:
            alts = []
            for w in rel:
                esc = re.escape(w).replace(r"\ ", r"\s+")
                if w[0].isascii():
                    esc = r"(?<![a-z0-9])" + esc + r"(?![a-z0-9])"
                alts.append(esc)
            self._relative_re: re.Pattern[str] | None = re.compile("|".join(alts))
        else:
            self._relative_re = None

    # ------------------------------------------------------------------ vitals
    def vitals(self, norm: str, original: str, squeezed: str | None = None) -> list[VitalReading]:
        """Every vital-sign reading in ``norm`` (normalised text); ``original`` gives span text;
        ``squeezed``: ``norm`` without white space (:func:`squeeze`), when the caller has it."""
        taken: set[int] = set()
        out: list[VitalReading] = []

        def free(s: int, e: int) -> bool:
            return not any(i in taken for i in range(s, e))

        if not _HAS_DIGIT.search(norm):
            return out
        squeezed = squeeze(norm) if squeezed is None else squeezed
        present = {name for name, keys in self._label_keys if any(k in squeezed for k in keys)}
        for name, pattern in self._vitals:
            if name not in present:
                continue
            for m in pattern.finditer(norm):
                if not free(m.start("v"), m.end()):
                    continue
                readings = self._convert(name, m)
                if readings:
                    taken.update(range(m.start(), m.end()))
                    out.extend(
                        VitalReading(n, v, m.start(), m.end(), original[m.start() : m.end()]) for n, v in readings
                    )
        for pattern, name, marks in (
            (self._bp_unit_only, "bp", ("mm", "kpa")),
            (self._temp_unit_only, "temperature_c", ("℃", "°", "度")),
        ):
            if not any(mk in norm for mk in marks):
                continue
            for m in pattern.finditer(norm):
                if not free(m.start(), m.end()):
                    continue
                if name == "temperature_c" and m.group("u") in ("度", "°") and not self._plausible_bare_temp(m):
                    continue
                readings = self._convert(name, m)
                if readings:
                    taken.update(range(m.start(), m.end()))
                    out.extend(
                        VitalReading(n, v, m.start(), m.end(), original[m.start() : m.end()]) for n, v in readings
                    )
        out.sort(key=lambda r: r.start)
        return out

    @staticmethod
    def _plausible_bare_temp(m: re.Match[str]) -> bool:
        v = float(m.group("v"))
        return 35.0 <= v <= 43.0

    @staticmethod
    def _convert(name: str, m: re.Match[str]) -> list[tuple[str, float]]:
        unit = (m.group("u") or "").replace(" ", "")
        v = float(m.group("v"))
        v2 = m.groupdict().get("v2")
        if name == "bp":
            d = float(v2) if v2 else None
            if d is None:
                return []
            if unit == "kpa":
                v, d = v * 7.5, d * 7.5
            lo, hi = _RANGES["systolic_bp"]
            dlo, dhi = _RANGES["diastolic_bp"]
            if lo <= v <= hi and dlo <= d <= dhi:
                return [("systolic_bp", round(v, 1)), ("diastolic_bp", round(d, 1))]
            return []
        if name == "temperature_c":
            if v2:
                v = max(v, float(v2))
            if unit.endswith("f") or (not unit.endswith("c") and unit != "℃" and 93.0 <= v <= 110.0):
                v = (v - 32.0) * 5.0 / 9.0
            v = round(v, 1)
        elif name in ("systolic_bp", "diastolic_bp") and unit == "kpa":
            v = v * 7.5
        elif name == "weight_kg":
            if unit == "斤":
                v = v / 2.0
            elif unit.startswith(("lb", "pound")):
                v = round(v * 0.45359237, 1)
        elif name == "height_cm":
            if unit in ("m", "米") or (not unit and v < 3.0):
                v = v * 100.0
        elif name in ("glucose_mmol_l", "fasting_glucose_mmol_l") and (
            unit.startswith("mg") or (not unit and v > 35.0)
        ):
            v = round(v / 18.016, 1)
        lo, hi = _RANGES[name]
        if not lo <= v <= hi:
            return []
        return [(name, v)]

    @staticmethod
    def combine(readings: Iterable[VitalReading]) -> dict[str, float]:
        """One value per vital: the highest (temperature, pressure, rates, glucose), the lowest
        SpO2, the first weight and height. Diastolic pressure goes with its systolic reading."""
        by_name: dict[str, list[VitalReading]] = {}
        for r in readings:
            by_name.setdefault(r.name, []).append(r)
        out: dict[str, float] = {}
        for name, rs in by_name.items():
            if name == "diastolic_bp":
                continue
            how = _COMBINE.get(name)
            out[name] = how(r.value for r in rs) if how else rs[0].value
        dia = by_name.get("diastolic_bp")
        if dia:
            sys_reads = by_name.get("systolic_bp", [])
            if sys_reads:
                top = max(sys_reads, key=lambda r: r.value)
                paired = [d for d in dia if d.start == top.start]
                out["diastolic_bp"] = paired[0].value if paired else max(d.value for d in dia)
            else:
                out["diastolic_bp"] = max(d.value for d in dia)
        return out

    # ------------------------------------------------------------------ durations
    def durations(
        self, norm: str, original: str, skip: Sequence[tuple[int, int]] = (), squeezed: str | None = None
    ) -> list[DurationReading]:
        """Durations and relative times; spans inside ``skip`` (vital readings) are ignored."""
        out: list[DurationReading] = []
        taken: set[int] = set()
        for a, b in skip:
            taken.update(range(a, b))

        def add(days: float | None, s: int, e: int, relative: bool = False) -> None:
            if days is None or days < 0 or days > 120 * 365:
                return
            if any(i in taken for i in range(s, e)):
                return
            taken.update(range(s, e))
            out.append(DurationReading(round(days, 4), s, e, original[s:e], relative))

        for m in _ZH_DURATION.finditer(norm):
            add(self._zh_days(m, norm), m.start(), m.end())
        for m in _ZH_UNIT_MORE.finditer(norm):
            add(_DAY_UNITS[m.group("unit")], m.start(), m.end())
        for m in _EN_SLASH.finditer(norm):
            den = m.group("den")
            unit = {"7": 1.0, "52": 7.0, "12": 30.0}[den]
            add(float(m.group("num")) * unit, m.start(), m.end())
        for m in _EN_DURATION.finditer(norm):
            add(self._en_days(m, norm), m.start(), m.end())
        squeezed = squeeze(norm) if squeezed is None else squeezed
        if self._relative_re is not None and any(k in squeezed for k in self._relative_keys):
            for m in self._relative_re.finditer(norm):
                key = re.sub(r"\s+", " ", m.group())
                add(self._relative.get(key), m.start(), m.end(), relative=True)
        out.sort(key=lambda r: r.start)
        return out

    @staticmethod
    def _zh_days(m: re.Match[str], norm: str) -> float | None:
        num, num2, unit = m.group("num"), m.group("num2"), m.group("unit")
        s, e = m.start(), m.end()
        before = norm[max(0, s - 3) : s]
        if any(before.endswith(w) for w in _BEFORE_ZH_SKIP):
            return None
        if s > 0 and (norm[s - 1].isdigit() or norm[s - 1] == "."):
            return None
        if _AGE_AFTER.match(norm, e):
            return None  # 8月龄, 3个月大: an age
        if num and num.isdigit() and len(num) == 4 and unit == "年":
            return None  # a year (2019年), not a duration
        if unit == "月" and not m.group("ge"):
            if s > 0 and norm[s - 1] == "年":
                return None
            if _DATE_AFTER_MONTH.match(norm, e):
                return None
        if unit == "日" and s > 0 and norm[s - 1] == "月":
            return None
        if unit in ("天", "日") and _FREQUENCY_AFTER.match(norm, e) and zh_number(num) == 1:
            return None
        value = zh_number(num)
        if value is None:
            return None
        if num2:
            v2 = zh_number(num2)
            if v2 is not None:
                value = max(value, v2)
        if m.group("half") == "半" or m.group("after") == "半":
            value += 0.5
        elif {m.group("more"), m.group("half"), m.group("after")} & {"多", "余", "以上"}:
            value += 0.5  # 三个多月, 10余天, 1年余, 两周以上: half a unit more (a convention)
        return value * _DAY_UNITS[unit]

    @staticmethod
    def _en_days(m: re.Match[str], norm: str) -> float | None:
        num, unit = m.group("num"), m.group("unit")
        s, e = m.start(), m.end()
        if _AFTER_EN_AGE.match(norm, e) or _AFTER_EN_SKIP.match(norm, e):
            return None
        before = norm[max(0, s - 12) : s]
        if _BEFORE_EN_SKIP.search(before):
            return None
        if (
            unit in ("h", "d", "w", "y")
            and " " in m.group("sp")
            and not before.rstrip().endswith(("x", "×"))
        ):
            return None
        if num in ("a", "an", "half a", "half an") and not (
            _BEFORE_EN_ARTICLE_OK.search(before) or _AFTER_EN_ARTICLE_OK.match(norm, e)
        ):
            return None
        value = _en_number(num)
        if value is None:
            return None
        num2 = m.group("num2")
        if num2:
            v2 = _en_number(num2)
            if v2 is not None:
                value = max(value, v2)
        if m.group("plus") or re.search(r"\bmore than\s*$", before):
            value += 0.5  # 2+ weeks, more than 2 weeks: half a unit more (a convention)
        return value * _DAY_UNITS[unit]

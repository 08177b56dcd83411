"""Validation of the follow-up tables (CONTRACTS.md §3): typed, clean data plus every problem.

Nothing is dropped silently: each rejected row, ignored value and deferred row becomes a
:class:`~assistant.followup.problems.RowProblem` with its file, line (header = line 1) and reason in
Chinese and English. Parsing is vectorised: Arrow casts the whole column, and only when that fails
are the column's distinct values parsed one by one to find and name the bad ones.

Patients (``patients.csv``): a row is **rejected** when it has no ``patient_id``, repeats an earlier
``patient_id`` or names no known program. An unknown program next to known ones, an impossible
date, a resident ID that is not valid or disagrees with the birth date or sex are reported and the
row is **kept** (the value is ignored; a missing birth date or sex is taken from a valid resident
ID). A patient enrolled after the as-of date is **deferred**.

Visits (``visits.csv``): a row is **rejected** for an unknown patient, an unknown program or one the
patient is not enrolled in, a missing or impossible date (or one before 1900 or the birth date),
text where a number belongs, a value outside what can be measured (``assistant/records/
ranges.yaml``), a systolic pressure not above the diastolic, a flag that is not 0/1, a danger grade
outside 0-5. A visit after the as-of date is **deferred** (it has not happened yet on that date).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError, Problem
from ..records.ranges import value_ranges
from ..records.resident_id import PROVINCES, WEIGHTS, validate_resident_id
from .csvio import LINE
from .problems import Action, RowProblem
from .protocols import Protocols, load_protocols

__all__ = [
    "PATIENT_COLUMNS",
    "PATIENT_OPTIONAL_COLUMNS",
    "VISIT_COLUMNS",
    "VISIT_OPTIONAL_COLUMNS",
    "FollowupData",
    "resident_id_valid",
    "validate",
]

PATIENT_COLUMNS: tuple[str, ...] = (
    "patient_id", "name", "sex", "birth_date", "resident_id", "phone", "village", "doctor",
    "programs", "enrolled_on",
)  # fmt: skip
PATIENT_OPTIONAL_COLUMNS: tuple[str, ...] = ("lmp", "delivery_date")
"""Added to the contract for the pregnancy program: last menstrual period and delivery date."""
VISIT_COLUMNS: tuple[str, ...] = (
    "patient_id", "date", "program", "systolic_bp", "diastolic_bp", "fasting_glucose_mmol_l",
    "heart_rate", "danger_signs", "adverse_reaction", "new_complication", "referred",
)  # fmt: skip
VISIT_OPTIONAL_COLUMNS: tuple[str, ...] = ("temperature_c", "danger_grade")
"""Added to the contract: temperature (diabetes danger sign) and the danger grade 0-5 of the
severe-mental-disorder program."""

_REQUIRED_PATIENTS = ("patient_id", "programs")
_REQUIRED_VISITS = ("patient_id", "date", "program")
_NUMBER_RANGES = {  # visit column -> field of assistant/records/ranges.yaml
    "systolic_bp": "vitals.systolic_bp",
    "diastolic_bp": "vitals.diastolic_bp",
    "fasting_glucose_mmol_l": "vitals.fasting_glucose_mmol_l",
    "heart_rate": "vitals.heart_rate",
    "temperature_c": "vitals.temperature_c",
}
_FLAGS = ("adverse_reaction", "new_complication", "referred")
_EARLIEST = np.datetime64("1900-01-01", "D")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．－／：Ｘｘ", "0123456789.-/:Xx")
_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_DATE_RE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_DATE8_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_TRUE = {"1", "1.0", "true", "yes", "y", "是", "有", "t"}
_FALSE = {"0", "0.0", "false", "no", "n", "否", "无", "f"}
_NO_DANGER = {"0", "无", "否", "没有", "none", "no", "nil", "n", "-", "—", "/", "无异常"}
_SEX = {
    "male": "male", "m": "male", "男": "male", "1": "male", "女": "female", "female": "female",
    "f": "female", "2": "female",
}  # fmt: skip
_PROGRAM_SPLIT = re.compile(r"[;；,，、|]+")


@dataclass
class FollowupData:
    """Validated tables. ``patients`` rows are addressed by position (``p`` in the other tables);
    ``enrolments`` and ``visits`` carry the program as an index into ``programs``."""

    as_of: date
    programs: tuple[str, ...]
    patients: pd.DataFrame
    enrolments: pd.DataFrame
    visits: pd.DataFrame
    problems: list[RowProblem] = field(default_factory=list)


# --------------------------------------------------------------------------- column helpers
def _columns(frame: pd.DataFrame, required: Sequence[str], label: str) -> pd.DataFrame:
    frame = frame.rename(columns=lambda c: str(c).strip().lstrip("\ufeff").lower())
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(
            [Problem(label, f"missing column(s): {', '.join(missing)} / 缺少列：{'、'.join(missing)}")]
        )
    return frame


def _lines(frame: pd.DataFrame) -> np.ndarray:
    if LINE in frame.columns:
        return frame[LINE].to_numpy(dtype=np.int64)
    return np.arange(2, len(frame) + 2, dtype=np.int64)


def _text(s: pd.Series | None, n: int) -> pa.ChunkedArray:
    """The column as trimmed Arrow strings, missing as ''."""
    if s is None:
        return pa.chunked_array([pa.array([""] * n, type=pa.string())])
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        s = s.dt.strftime("%Y-%m-%d")
    try:
        arr = pa.array(s, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        arr = pa.array([None if _isna(v) else str(v) for v in s], type=pa.string())
    if isinstance(arr, pa.Array):
        arr = pa.chunked_array([arr])
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        if pa.types.is_floating(arr.type):  # 150.0 -> "150"
            arr = pa.chunked_array(
                [pa.array([None if v is None else f"{v:g}" for v in arr.to_pylist()], type=pa.string())]
            )
        else:
            arr = pc.cast(arr, pa.string())
    return pc.utf8_trim_whitespace(pc.fill_null(arr, ""))


def _isna(v: Any) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _np(arr: pa.ChunkedArray | pa.Array) -> np.ndarray:
    if isinstance(arr, pa.ChunkedArray):
        return np.asarray(arr.to_numpy())
    return arr.to_numpy(zero_copy_only=False)


def _unique(text: pa.ChunkedArray, parse: Callable[[str], Any]) -> tuple[np.ndarray, np.ndarray]:
    """Apply ``parse`` to each distinct value once: (results per distinct value, index of each row's
    value). Derive per-value arrays from the results and index them with the second array, so no
    Python code runs per row."""
    uniq = pc.unique(text)
    results = np.empty(len(uniq), dtype=object)
    for i, u in enumerate(uniq.to_pylist()):
        results[i] = parse(u)
    idx = _np(pc.index_in(text, value_set=uniq)).astype(np.int64) if len(text) else np.empty(0, np.int64)
    return results, idx


def _by_unique(text: pa.ChunkedArray, parse: Callable[[str], Any]) -> np.ndarray:
    """``parse`` of each row's value for values that are numbers, bools or short text."""
    results, idx = _unique(text, parse)
    return results[idx]


def _series(arr: pa.ChunkedArray) -> pd.Series:
    """Arrow strings (always ``string``, not ``large_string``) as a pandas Series without copying
    them into Python objects."""
    if not pa.types.is_string(arr.type):
        arr = arr.cast(pa.string())
    return arr.to_pandas(types_mapper=pd.ArrowDtype)


def _nonempty(text: pa.ChunkedArray) -> np.ndarray:
    return _np(pc.not_equal(text, "")).astype(bool)


def _numbers(s: pd.Series | None, n: int) -> tuple[np.ndarray, np.ndarray, pa.ChunkedArray | None]:
    """Parse numbers: (float values with NaN for empty or bad, bad mask, the text or None)."""
    if s is None:
        return np.full(n, np.nan), np.zeros(n, dtype=bool), None
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        v = s.to_numpy(dtype=float, na_value=np.nan)
        return v, ~np.isfinite(v) & ~np.isnan(v), None
    text = _text(s, n)
    nonempty = _nonempty(text)
    try:
        vals = pc.cast(pc.if_else(pc.not_equal(text, ""), text, pa.scalar(None, pa.string())), pa.float64())
        v = _np(pc.fill_null(vals, np.nan)).astype(float)
        bad = nonempty & ~np.isfinite(v)
        return np.where(bad, np.nan, v), bad, text
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass

    def parse(u: str) -> float | None:
        if u == "":
            return np.nan
        t = u.translate(_FULL_WIDTH).replace(" ", "")
        return float(t) if _NUMBER_RE.match(t) else None

    results, idx = _unique(text, parse)
    u_bad = np.array([r is None for r in results], dtype=bool)
    u_val = np.array([np.nan if r is None else r for r in results], dtype=float)
    return u_val[idx], u_bad[idx], text


def _parse_date_text(u: str) -> Any:
    """date, NaT for empty, or an error string ('impossible' / 'format')."""
    if u == "":
        return None
    t = u.translate(_FULL_WIDTH)
    m = _DATE_RE.match(t) or _DATE8_RE.match(t)
    if not m:
        return "format"
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return "impossible"


def _dates(s: pd.Series | None, n: int) -> tuple[np.ndarray, np.ndarray, pa.ChunkedArray | None]:
    """Parse dates: (datetime64[D] with NaT, error codes '' / 'format' / 'impossible', text)."""
    errors = np.full(n, "", dtype=object)
    if s is None:
        return np.full(n, np.datetime64("NaT"), dtype="datetime64[D]"), errors, None
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s.to_numpy(dtype="datetime64[D]"), errors, None
    try:
        arr = pa.array(s, from_pandas=True)
        if pa.types.is_date(arr.type) or pa.types.is_timestamp(arr.type):
            return _np(pc.cast(arr, pa.date32())).astype("datetime64[D]"), errors, None
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    text = _text(s, n)
    try:
        d = pc.cast(pc.if_else(pc.not_equal(text, ""), text, pa.scalar(None, pa.string())), pa.date32())
        return _np(d).astype("datetime64[D]"), errors, text
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    results, idx = _unique(text, _parse_date_text)
    u_date = np.array([r if isinstance(r, date) else None for r in results], dtype="datetime64[D]")
    u_err = np.array([r if isinstance(r, str) else "" for r in results], dtype=object)
    return u_date[idx], u_err[idx], text


def _choices(s: pd.Series | None, n: int, mapping: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Map text through ``mapping`` (case-insensitive): (values with None for empty/bad, bad mask)."""
    if s is None:
        return np.full(n, None, dtype=object), np.zeros(n, dtype=bool)
    text = _text(s, n)
    missing = object()

    def parse(u: str) -> Any:
        if u == "":
            return None
        return mapping.get(u.casefold(), mapping.get(u.translate(_FULL_WIDTH).casefold(), missing))

    results, idx = _unique(text, parse)
    u_bad = np.array([r is missing for r in results], dtype=bool)
    results[u_bad] = None
    return results[idx], u_bad[idx]


def _flags(s: pd.Series | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    """0/1 flags: (float 1.0/0.0/NaN for empty, bad mask)."""
    if s is None:
        return np.full(n, np.nan), np.zeros(n, dtype=bool)
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
        v = s.to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isnan(v) & (v != 0) & (v != 1)
        return np.where(bad, np.nan, v), bad
    mapping: dict[str, Any] = {k: 1.0 for k in _TRUE} | {k: 0.0 for k in _FALSE}
    if s is None:
        return np.full(n, np.nan), np.zeros(n, dtype=bool)
    text = _text(s, n)
    missing = object()

    def parse(u: str) -> Any:
        return np.nan if u == "" else mapping.get(u.casefold(), missing)

    results, idx = _unique(text, parse)
    u_bad = np.array([r is missing for r in results], dtype=bool)
    u_val = np.array([np.nan if r is missing else r for r in results], dtype=float)
    return u_val[idx], u_bad[idx]


# --------------------------------------------------------------------------- resident IDs
def resident_id_valid(ids: Sequence[str] | np.ndarray | pd.Series | pa.ChunkedArray) -> np.ndarray:
    """Vectorised :func:`~assistant.records.resident_id.is_valid_resident_id` (no reference date).

    Values with characters other than ASCII (full-width digits typed with a Chinese input method)
    are checked one by one with the scalar function, so the answer is always the scalar one's.
    """
    if isinstance(ids, pa.ChunkedArray):
        text = pc.utf8_trim_whitespace(pc.fill_null(ids, ""))
    else:
        text = _text(
            pd.Series(np.asarray(ids, dtype=object) if not isinstance(ids, pd.Series) else ids), len(ids)
        )
    n = len(text)
    valid = np.zeros(n, dtype=bool)
    if n == 0:
        return valid
    lengths = _np(pc.utf8_length(text)).astype(np.int64)
    ascii_ = _np(pc.string_is_ascii(text)).astype(bool)
    cand = np.flatnonzero((lengths == 18) & ascii_)
    if cand.size:
        sub = text.take(pa.array(cand)).combine_chunks()
        off_type = np.int64 if pa.types.is_large_string(sub.type) else np.int32
        offsets = np.frombuffer(sub.buffers()[1], dtype=off_type)[sub.offset : sub.offset + len(sub) + 1]
        raw = np.frombuffer(sub.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
        b = raw.reshape(-1, 18)
        digits = b[:, :17] - ord("0")
        ok = (digits <= 9).all(axis=1)  # uint8 wraps below '0'
        last = b[:, 17]
        last_ok = ((last >= ord("0")) & (last <= ord("9"))) | (last == ord("X")) | (last == ord("x"))
        total = (digits.astype(np.int64) * np.asarray(WEIGHTS)).sum(axis=1) % 11
        expected = np.frombuffer(b"10X98765432", dtype=np.uint8)[total]
        upper_last = np.where(last == ord("x"), ord("X"), last)
        prov_codes = np.array(sorted(int(p) for p in PROVINCES))
        prov = digits[:, 0].astype(np.int64) * 10 + digits[:, 1]
        prov_ok = np.isin(prov, prov_codes) | (digits[:, 0] == 9)
        y = digits[:, 6:10].astype(np.int64) @ np.array([1000, 100, 10, 1])
        m = digits[:, 10:12].astype(np.int64) @ np.array([10, 1])
        d = digits[:, 12:14].astype(np.int64) @ np.array([10, 1])
        date_ok = _valid_ymd(y, m, d) & (y >= 1880)
        valid[cand] = ok & last_ok & (upper_last == expected) & prov_ok & date_ok
    for i in np.flatnonzero(~ascii_ & (lengths >= 18)):
        try:
            validate_resident_id(text[int(i)].as_py())
            valid[i] = True
        except ValueError:
            pass
    return valid


def _valid_ymd(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    mdays = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    ok_m = (m >= 1) & (m <= 12)
    dim = mdays[np.clip(m, 0, 12)] + ((m == 2) & leap)
    return ok_m & (d >= 1) & (d <= dim) & (y > 0)


def _id_birth_and_sex(ids: pa.ChunkedArray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(ids)
    birth = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    sex = np.full(n, None, dtype=object)
    idx = np.flatnonzero(valid)
    if idx.size:
        sub = ids.take(pa.array(idx))
        wide = ~_np(pc.string_is_ascii(sub)).astype(bool)
        if wide.any():  # full-width digits: normalise those few in Python
            vals = sub.to_pylist()
            sub = pa.chunked_array(
                [
                    pa.array(
                        [v.translate(_FULL_WIDTH) if w else v for v, w in zip(vals, wide, strict=True)],
                        pa.string(),
                    )
                ]
            )
        ymd = pc.utf8_slice_codeunits(sub, 6, 14)
        birth[idx] = _np(pc.cast(pc.strptime(ymd, format="%Y%m%d", unit="s"), pa.date32())).astype(
            "datetime64[D]"
        )
        seq = _np(pc.cast(pc.utf8_slice_codeunits(sub, 16, 17), pa.int64()))
        sex[idx] = np.where(seq % 2 == 1, "male", "female")
    return birth, sex


# --------------------------------------------------------------------------- problem helpers
class _Report:
    def __init__(self, file: str, lines: np.ndarray, pid: pa.ChunkedArray, frame: pd.DataFrame) -> None:
        self.file = file
        self.lines = lines
        self.pid = pid
        self.frame = frame
        self.items: list[tuple[int, RowProblem]] = []
        self.rejected = np.zeros(len(lines), dtype=bool)

    def add(
        self,
        mask: np.ndarray,
        field_name: str,
        action: Action,
        en: Callable[[int], str] | str,
        zh: Callable[[int], str] | str,
    ) -> None:
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return
        pids = self.pid.take(pa.array(idx)).to_pylist()
        for i, pid in zip(idx.tolist(), pids, strict=True):
            self.items.append(
                (
                    i,
                    RowProblem(
                        file=self.file,
                        line=int(self.lines[i]),
                        field=field_name,
                        reason_en=en(i) if callable(en) else en,
                        reason_zh=zh(i) if callable(zh) else zh,
                        action=action,
                        patient_id=pid,
                    ),
                )
            )
        if action == "rejected":
            self.rejected[idx] = True

    def finish(self) -> list[RowProblem]:
        """Problems in line order, each rejected row carrying its raw cells."""
        rejected_idx = sorted({i for i, p in self.items if p.action == "rejected"})
        raw: dict[int, str] = {}
        if rejected_idx:
            cols = [c for c in self.frame.columns if c != LINE]
            sub = self.frame.iloc[rejected_idx][cols].astype(object)
            for i, row in zip(rejected_idx, sub.itertuples(index=False), strict=True):
                raw[i] = ",".join("" if _isna(v) else str(v) for v in row)
        out = [
            RowProblem(**{**p.__dict__, "raw": raw.get(i, "")}) if p.action == "rejected" else p
            for i, p in self.items
        ]
        out.sort(key=lambda p: (p.line or 0, p.field))
        return out


def _value(text: pa.ChunkedArray | None, frame_col: pd.Series | None) -> Callable[[int], str]:
    def get(i: int) -> str:
        if text is not None:
            return str(text[i].as_py())
        if frame_col is not None:
            return str(frame_col.iloc[i])
        return ""

    return get


# --------------------------------------------------------------------------- validate
def validate(
    patients: pd.DataFrame,
    visits: pd.DataFrame,
    as_of: date,
    *,
    protocols: Protocols | None = None,
    patients_file: str = "patients.csv",
    visits_file: str = "visits.csv",
    allow_no_program: bool = False,
) -> FollowupData:
    """Check and type both tables. Raises :class:`~assistant.errors.InputError` only when a required
    column is missing; every row-level problem is returned in ``problems``. With
    ``allow_no_program`` a patient whose ``programs`` is blank is kept (a walk-in patient the clinic
    registers but does not follow up); the follow-up files themselves require a program."""
    protocols = protocols or load_protocols()
    codes = tuple(protocols.codes())
    asof = np.datetime64(as_of, "D")
    pats, member, p_problems, pat_ids_all = _validate_patients(
        patients, asof, protocols, codes, patients_file, allow_no_program
    )
    enrol = _enrolments(member)
    vis, v_problems = _validate_visits(visits, asof, protocols, codes, pats, enrol, pat_ids_all, visits_file)
    return FollowupData(
        as_of=as_of,
        programs=codes,
        patients=pats,
        enrolments=enrol,
        visits=vis,
        problems=p_problems + v_problems,
    )


def _validate_patients(
    frame: pd.DataFrame,
    asof: np.datetime64,
    protocols: Protocols,
    codes: tuple[str, ...],
    label: str,
    allow_no_program: bool = False,
) -> tuple[
    pd.DataFrame, np.ndarray, list[RowProblem], tuple[pa.ChunkedArray, np.ndarray, np.ndarray, np.ndarray]
]:
    frame = _columns(frame, _REQUIRED_PATIENTS, label)
    n = len(frame)
    lines = _lines(frame)
    col = frame.get
    pid = _text(col("patient_id"), n)
    rep = _Report(label, lines, pid, frame)

    empty_id = ~_nonempty(pid)
    rep.add(empty_id, "patient_id", "rejected", "missing patient_id", "缺少患者编号")
    pid_series = _series(pid)
    dup = pid_series.duplicated(keep="first").to_numpy(dtype=bool) & ~empty_id
    first_line = None
    if dup.any():
        codes_, _ = pd.factorize(pid_series)
        first_line = pd.Series(lines).groupby(codes_).transform("min").to_numpy()
    rep.add(
        dup,
        "patient_id",
        "rejected",
        lambda i: f"duplicate patient_id (first on line {first_line[i]})",
        lambda i: f"患者编号重复（首次出现在第{first_line[i]}行）",
    )

    # programs: parse each distinct value once
    def parse_programs(u: str) -> tuple[tuple[int, ...], tuple[str, ...]]:
        known: list[int] = []
        unknown: list[str] = []
        for tok in _PROGRAM_SPLIT.split(u):
            tok = tok.strip()
            if not tok:
                continue
            code = protocols.resolve(tok)
            if code is None:
                unknown.append(tok)
            elif codes.index(code) not in known:
                known.append(codes.index(code))
        return tuple(known), tuple(unknown)

    prog_text = _text(col("programs"), n)
    u_parsed, u_idx = _unique(prog_text, parse_programs)
    u_member = np.zeros((len(u_parsed), len(codes)), dtype=bool)
    for u, (kn, _) in enumerate(u_parsed):
        u_member[u, list(kn)] = True
    member = u_member[u_idx]
    has_known = member.any(axis=1)
    unknown = np.array([bool(r[1]) for r in u_parsed], dtype=bool)[u_idx]
    parsed = u_parsed[u_idx]
    listing = "、".join(codes)
    blank = ~has_known & ~unknown  # no program written at all
    rep.add(
        ~has_known & ~empty_id & ~dup & ~(blank & allow_no_program),
        "programs",
        "rejected",
        lambda i: f"no known program in {prog_text[i].as_py()!r} (known: {', '.join(codes)})",
        lambda i: f"没有可识别的管理项目：{prog_text[i].as_py()!r}（可用：{listing}）",
    )
    rep.add(
        unknown & has_known & ~empty_id & ~dup,
        "programs",
        "kept",
        lambda i: f"unknown program(s) {', '.join(parsed[i][1])} ignored",
        lambda i: f"无法识别的管理项目已忽略：{'、'.join(parsed[i][1])}",
    )

    dates: dict[str, np.ndarray] = {}
    for name, zh in (("birth_date", "出生日期"), ("enrolled_on", "纳入管理日期"), ("lmp", "末次月经"),
                     ("delivery_date", "分娩日期")):  # fmt: skip
        values, errs, text = _dates(col(name), n)
        get = _value(text, col(name))
        bad = errs != ""
        rep.add(
            errs == "impossible", name, "kept", lambda i, g=get: f"not a real date: {g(i)!r} (ignored)",
            lambda i, g=get, z=zh: f"{z}不是有效日期：{g(i)!r}（已忽略）",
        )  # fmt: skip
        rep.add(
            errs == "format", name, "kept", lambda i, g=get: f"not a date (use YYYY-MM-DD): {g(i)!r} (ignored)",
            lambda i, g=get, z=zh: f"{z}格式不对（应为YYYY-MM-DD）：{g(i)!r}（已忽略）",
        )  # fmt: skip
        early = ~bad & (values < _EARLIEST)
        rep.add(early, name, "kept", "date before 1900 (ignored)", f"{zh}早于1900年（已忽略）")
        values = np.where(early, np.datetime64("NaT"), values)
        if name in ("birth_date", "lmp", "delivery_date"):
            future = values > asof
            rep.add(
                future, name, "kept", "date after the as-of date (ignored)", f"{zh}晚于统计日期（已忽略）"
            )
            values = np.where(future, np.datetime64("NaT"), values)
        dates[name] = values.astype("datetime64[D]")

    rid_text = _text(col("resident_id"), n)
    rid_present = _nonempty(rid_text)
    rid_valid = resident_id_valid(rid_text)

    def rid_reason(i: int) -> str:
        try:
            validate_resident_id(rid_text[i].as_py())
        except ValueError as exc:
            return str(exc)
        return "not valid"

    rep.add(
        rid_present & ~rid_valid, "resident_id", "kept",
        lambda i: f"resident ID not valid: {rid_reason(i)} (kept, not used)",
        lambda i: f"身份证号无效：{rid_reason(i)}（未使用）",
    )  # fmt: skip
    id_birth, id_sex = _id_birth_and_sex(rid_text, rid_valid)
    sex, bad_sex = _choices(col("sex"), n, _SEX)
    rep.add(bad_sex, "sex", "kept", "sex not male/female (ignored)", "性别无法识别（已忽略）")
    birth = dates["birth_date"]
    both = ~np.isnat(birth) & ~np.isnat(id_birth)
    rep.add(
        both & (birth != id_birth), "birth_date", "kept",
        "birth date disagrees with the resident ID (the birth_date column is used)",
        "出生日期与身份证号不一致（采用出生日期列）",
    )  # fmt: skip
    rep.add(
        (sex != None) & (id_sex != None) & (sex != id_sex), "sex", "kept",  # noqa: E711
        "sex disagrees with the resident ID (the sex column is used)", "性别与身份证号不一致（采用性别列）",
    )  # fmt: skip
    birth = np.where(np.isnat(birth) & (id_birth <= asof), id_birth, birth).astype("datetime64[D]")
    sex = np.where(sex == None, id_sex, sex)  # noqa: E711

    enrolled = dates["enrolled_on"]
    keep = ~rep.rejected
    late = keep & (enrolled > asof)
    rep.add(
        late, "enrolled_on", "deferred", "enrolled after the as-of date (not scheduled yet)",
        "纳入管理日期晚于统计日期（暂不安排）",
    )  # fmt: skip
    keep_idx = np.flatnonzero(keep & ~late)

    take = pa.array(keep_idx, type=pa.int64())

    def text_col(arr: pa.ChunkedArray) -> pd.Series:
        return _series(arr.take(take))

    out = pd.DataFrame(
        {
            "patient_id": text_col(pid),
            "name": text_col(_text(col("name"), n)),
            "sex": sex[keep_idx],
            "birth_date": birth[keep_idx].astype("datetime64[s]"),
            "resident_id": text_col(rid_text),
            "phone": text_col(_text(col("phone"), n)),
            "village": text_col(_text(col("village"), n)),
            "doctor": text_col(_text(col("doctor"), n)),
            "enrolled_on": enrolled[keep_idx].astype("datetime64[s]"),
            "lmp": dates["lmp"][keep_idx].astype("datetime64[s]"),
            "delivery_date": dates["delivery_date"][keep_idx].astype("datetime64[s]"),
            LINE: lines[keep_idx],
        }
    )
    all_ids = (pid, lines, rep.rejected.copy(), late)
    return out, member[keep_idx], rep.finish(), all_ids


def _enrolments(member: np.ndarray) -> pd.DataFrame:
    p, g = np.nonzero(member)  # row-major: by patient, then program
    return pd.DataFrame({"p": p.astype(np.int64), "program": g.astype(np.int16)})


def _validate_visits(
    frame: pd.DataFrame,
    asof: np.datetime64,
    protocols: Protocols,
    codes: tuple[str, ...],
    pats: pd.DataFrame,
    enrol: pd.DataFrame,
    pat_ids_all: tuple[pa.ChunkedArray, np.ndarray, np.ndarray, np.ndarray],
    label: str,
) -> tuple[pd.DataFrame, list[RowProblem]]:
    frame = _columns(frame, _REQUIRED_VISITS, label)
    n = len(frame)
    lines = _lines(frame)
    col = frame.get
    pid = _text(col("patient_id"), n)
    rep = _Report(label, lines, pid, frame)

    kept_ids = (
        pa.chunked_array(pa.array(pats["patient_id"])).combine_chunks()
        if len(pats)
        else pa.array([], pa.string())
    )
    kept_ids = kept_ids.cast(pa.string())
    p_idx = (
        _np(pc.fill_null(pc.index_in(pid, value_set=kept_ids), -1)).astype(np.int64)
        if n
        else np.empty(0, np.int64)
    )
    unknown = p_idx < 0
    if unknown.any():
        all_pid, all_lines, all_rejected, all_late = pat_ids_all

        def lookup(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            ids = all_pid.filter(pa.array(mask)).combine_chunks()
            where = _np(pc.fill_null(pc.index_in(pid, value_set=ids), -1)).astype(np.int64)
            return where, all_lines[mask]

        where_late, late_lines = lookup(all_late)
        where_dropped, dropped_lines = lookup(all_rejected)
        where_dropped[where_late >= 0] = -2  # an ID that is both rejected and deferred: deferred wins
        missing_id = ~_nonempty(pid)
        rep.add(unknown & missing_id, "patient_id", "rejected", "missing patient_id", "缺少患者编号")
        rep.add(
            unknown & ~missing_id & (where_late >= 0), "patient_id", "deferred",
            lambda i: f"patient {pid[i].as_py()!r} is enrolled after the as-of date (patients file line {late_lines[where_late[i]]})",
            lambda i: f"患者{pid[i].as_py()!r}纳入管理日期晚于统计日期（患者表第{late_lines[where_late[i]]}行）",
        )  # fmt: skip
        rep.add(
            unknown & ~missing_id & (where_dropped >= 0), "patient_id", "rejected",
            lambda i: f"patient {pid[i].as_py()!r} was not accepted (patients file line {dropped_lines[where_dropped[i]]})",
            lambda i: f"患者{pid[i].as_py()!r}的登记行未被接受（患者表第{dropped_lines[where_dropped[i]]}行）",
        )  # fmt: skip
        rep.add(
            unknown & ~missing_id & (where_dropped == -1) & (where_late < 0), "patient_id", "rejected",
            lambda i: f"unknown patient {pid[i].as_py()!r} (not in the patients file)",
            lambda i: f"患者{pid[i].as_py()!r}不在患者表中",
        )  # fmt: skip

    prog_text = _text(col("program"), n)

    def parse_prog(u: str) -> int:
        code = protocols.resolve(u) if u else None
        return -1 if code is None else codes.index(code)

    prog = _by_unique(prog_text, parse_prog).astype(np.int64) if n else np.empty(0, np.int64)
    rep.add(
        prog < 0, "program", "rejected",
        lambda i: f"unknown program {prog_text[i].as_py()!r} (known: {', '.join(codes)})",
        lambda i: f"无法识别的管理项目：{prog_text[i].as_py()!r}",
    )  # fmt: skip
    n_prog = len(codes)
    enrolled = np.zeros(len(pats) * n_prog, dtype=bool)
    enrolled[enrol["p"].to_numpy() * n_prog + enrol["program"].to_numpy()] = True
    check = (p_idx >= 0) & (prog >= 0)
    not_enrolled = np.zeros(n, dtype=bool)
    not_enrolled[check] = ~enrolled[p_idx[check] * n_prog + prog[check]]
    rep.add(
        not_enrolled, "program", "rejected",
        lambda i: f"patient {pid[i].as_py()!r} is not enrolled in {codes[prog[i]]}",
        lambda i: f"患者{pid[i].as_py()!r}未纳入{protocols[codes[prog[i]]].spec.name_zh}管理",
    )  # fmt: skip

    vdate, errs, dtext = _dates(col("date"), n)
    get = _value(dtext, col("date"))
    missing_date = np.isnat(vdate) & (errs == "")
    rep.add(missing_date, "date", "rejected", "missing visit date", "缺少随访日期")
    rep.add(
        errs == "impossible", "date", "rejected", lambda i: f"not a real date: {get(i)!r}",
        lambda i: f"随访日期不是有效日期：{get(i)!r}",
    )  # fmt: skip
    rep.add(
        errs == "format", "date", "rejected", lambda i: f"not a date (use YYYY-MM-DD): {get(i)!r}",
        lambda i: f"随访日期格式不对（应为YYYY-MM-DD）：{get(i)!r}",
    )  # fmt: skip
    rep.add(vdate < _EARLIEST, "date", "rejected", "visit date before 1900", "随访日期早于1900年")
    birth = pats["birth_date"].to_numpy(dtype="datetime64[D]")
    vbirth = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    vbirth[p_idx >= 0] = birth[p_idx[p_idx >= 0]]
    rep.add(
        vdate < vbirth,
        "date",
        "rejected",
        "visit date before the patient's birth date",
        "随访日期早于出生日期",
    )

    values: dict[str, np.ndarray] = {}
    ranges = value_ranges()
    for name in (*_NUMBER_RANGES, "danger_grade"):
        v, bad, text = _numbers(col(name), n)
        getv = _value(text, col(name))
        rep.add(
            bad, name, "rejected", lambda i, g=getv: f"not a number: {g(i)!r}",
            lambda i, g=getv: f"应为数字：{g(i)!r}",
        )  # fmt: skip
        if name == "danger_grade":
            out_range = ~np.isnan(v) & ((v < 0) | (v > 5) | (v != np.round(v)))
            rep.add(
                out_range, name, "rejected", lambda i, v=v: f"danger grade must be 0-5, got {v[i]:g}",
                lambda i, v=v: f"危险性分级应为0~5级，实为{v[i]:g}",
            )  # fmt: skip
        else:
            r = ranges[_NUMBER_RANGES[name]]
            with np.errstate(invalid="ignore"):
                out_range = (v < r.possible_low) | (v > r.possible_high)
            rep.add(
                out_range, name, "rejected",
                lambda i, v=v, r=r: f"{v[i]:g} {r.unit} is impossible (possible {r.possible_low:g}-{r.possible_high:g})",
                lambda i, v=v, r=r: f"{v[i]:g} {r.unit}不可能（可能范围{r.possible_low:g}~{r.possible_high:g}）",
            )  # fmt: skip
        values[name] = v
    with np.errstate(invalid="ignore"):
        swapped = values["systolic_bp"] <= values["diastolic_bp"]
    rep.add(
        swapped, "systolic_bp", "rejected",
        lambda i: f"systolic {values['systolic_bp'][i]:g} is not above diastolic {values['diastolic_bp'][i]:g} (swapped?)",
        lambda i: f"收缩压{values['systolic_bp'][i]:g}不高于舒张压{values['diastolic_bp'][i]:g}（是否填反？）",
    )  # fmt: skip
    for name in _FLAGS:
        v, bad = _flags(col(name), n)
        rep.add(bad, name, "rejected", f"{name} must be 0 or 1", f"{name}应为0或1")
        values[name] = v

    danger_text = _text(col("danger_signs"), n)

    def no_danger(u: str) -> bool:
        return u.strip().casefold() in _NO_DANGER

    negative = _by_unique(danger_text, no_danger).astype(bool) if n else np.zeros(0, dtype=bool)
    danger = _nonempty(danger_text) & ~negative
    danger_str = np.full(n, "", dtype=object)
    if danger.any():
        where = np.flatnonzero(danger)
        danger_str[where] = danger_text.take(pa.array(where)).to_pylist()

    future = ~rep.rejected & (vdate > asof) & (p_idx >= 0)
    rep.add(
        future, "date", "deferred", "visit after the as-of date (not used for this date)",
        "随访日期晚于统计日期（本次不计）",
    )  # fmt: skip
    keep = ~rep.rejected & ~future & (p_idx >= 0)
    problems = rep.finish()
    del rep, frame, col

    def kept(a: np.ndarray) -> np.ndarray:
        return a if keep.all() else a[keep]

    columns = {
        "p": kept(p_idx),
        "program": kept(prog).astype(np.int16),
        "date": kept(vdate).astype("datetime64[s]"),
    }
    for k in list(values):
        columns[k] = kept(values.pop(k))
    columns["danger"] = kept(danger).astype(float)
    columns["danger_signs"] = kept(danger_str)
    columns[LINE] = kept(lines)
    return pd.DataFrame(columns, copy=False), problems

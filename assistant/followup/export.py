"""Exports for public-health staff: CSV (UTF-8 with BOM, opens in Excel) and XLSX.

- Identifiers: :func:`mask_identifiers` masks ``resident_id`` (as
  :func:`assistant.records.mask_resident_id`: ``340102********1234``) and ``phone``
  (``138****5678``); exports mask unless ``unmasked=True``. Masking is idempotent.
- Formula injection: a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
  return gets a leading apostrophe (OWASP's advice), in CSV and XLSX alike.
- XLSX: bold header row, frozen below the header, column widths from the content (Chinese
  characters count double), dates as real dates. Needs ``openpyxl``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError, Problem
from ..records.resident_id import mask_resident_id
from .validate import resident_id_valid

__all__ = [
    "XLSX_MAX_ROWS",
    "export_table",
    "mask_identifiers",
    "mask_phones",
    "mask_resident_ids",
    "neutralise",
    "write_csv",
    "write_xlsx",
]

XLSX_MAX_ROWS = 1_048_575  # Excel's limit less the header row
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


_STARS = np.array(["*" * k for k in range(64)], dtype=object)


def _strings(s: pd.Series) -> pd.Series:
    return s.astype(object).where(s.notna(), "").astype(str)


def _stars(k: pd.Series) -> np.ndarray:
    return _STARS[np.clip(k.to_numpy(dtype=np.int64), 0, len(_STARS) - 1)]


def mask_resident_ids(values: pd.Series) -> pd.Series:
    """Masked resident IDs, vectorised; equal to :func:`mask_resident_id` value by value (a value
    that already contains ``*`` is left as it is)."""
    s = _strings(values).str.strip()
    done = s.str.contains("*", regex=False)
    valid = resident_id_valid(s) & ~done.to_numpy()
    ascii_ = pc.string_is_ascii(pa.array(s.to_numpy(dtype=object), type=pa.string())).to_numpy(
        zero_copy_only=False
    )
    out = pd.Series(_stars(s.str.len().clip(upper=18)), index=s.index, dtype=object)
    ok = valid & ascii_
    out[ok] = s[ok].str.slice(0, 6) + "********" + s[ok].str.slice(-4).str.upper()
    odd = valid & ~ascii_  # full-width characters: the scalar function normalises them
    if odd.any():
        out[odd] = [mask_resident_id(v) for v in s[odd]]
    out[done.to_numpy()] = s[done.to_numpy()]
    return out.astype(object)


def mask_phones(values: pd.Series) -> pd.Series:
    """``13812345678`` → ``138****5678``: the first 3 and last 4 characters stay, the rest are
    stars (at least 4); a number shorter than 8 characters is masked completely."""
    s = _strings(values).str.strip()
    n = s.str.len()
    done = s.str.contains("*", regex=False)
    stars = pd.Series(_stars((n - 7).clip(lower=4)), index=s.index, dtype=object)
    out = (s.str.slice(0, 3).astype(object) + stars + s.str.slice(-4).astype(object)).astype(object)
    short = n < 8
    out[short] = _stars(n[short])
    out[done] = s[done]
    return out.astype(object)


def mask_identifiers(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with ``resident_id`` and ``phone`` masked (columns that are absent are ignored)."""
    out = frame.copy(deep=False)
    if "resident_id" in out.columns:
        out["resident_id"] = mask_resident_ids(out["resident_id"])
    if "phone" in out.columns:
        out["phone"] = mask_phones(out["phone"])
    return out


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot start a formula (leading ``'`` added where needed)."""
    out = frame.copy()
    for c in out.columns:
        s = out[c]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            text = _strings(s)
            bad = text.str.startswith(_DANGEROUS)
            if bad.any():
                text = text.where(~bad, "'" + text)
            out[c] = text.where(s.notna(), None) if s.isna().any() else text
    return out


def _for_output(frame: pd.DataFrame, unmasked: bool) -> pd.DataFrame:
    out = frame if unmasked else mask_identifiers(frame)
    return neutralise(out)


def write_csv(frame: pd.DataFrame, path: str | Path, *, unmasked: bool = False) -> Path:
    """CSV in UTF-8 with BOM; dates as ``YYYY-MM-DD``; identifiers masked unless ``unmasked``."""
    path = Path(path)
    out = _for_output(frame, unmasked)
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c].dtype):
            out[c] = out[c].dt.strftime("%Y-%m-%d")
    out.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    return path


def _width(values: pd.Series, header: str) -> float:
    sample = _strings(values.head(2000))

    def w(t: str) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in t)

    longest = max([w(header), *(w(t) for t in sample)]) if len(sample) else w(header)
    return float(min(max(longest + 2, 8), 60))


def write_xlsx(
    frame: pd.DataFrame, path: str | Path, *, unmasked: bool = False, sheet_name: str = "follow-up"
) -> Path:
    """XLSX with a bold, frozen header row and fitted column widths (needs ``openpyxl``)."""
    try:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter
    except ImportError as exc:
        raise InputError(
            [
                Problem(
                    "out",
                    "writing .xlsx needs the openpyxl package; write .csv instead / 需要openpyxl，请改用.csv",
                )
            ]
        ) from exc
    if len(frame) > XLSX_MAX_ROWS:
        raise InputError(
            [Problem("out", f"{len(frame)} rows do not fit in one Excel sheet; write .csv instead")]
        )
    path = Path(path)
    out = _for_output(frame, unmasked)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_name[:31])
    ws.freeze_panes = "A2"
    date_cols = [c for c in out.columns if pd.api.types.is_datetime64_any_dtype(out[c].dtype)]
    for i, c in enumerate(out.columns, start=1):
        width = 12.0 if c in date_cols else _width(out[c], str(c))
        ws.column_dimensions[get_column_letter(i)].width = width
    bold = Font(bold=True)
    header = []
    for c in out.columns:
        cell = WriteOnlyCell(ws, value=str(c))
        cell.font = bold
        header.append(cell)
    ws.append(header)
    columns = []
    for c in out.columns:
        s = out[c]
        if c in date_cols:
            columns.append([None if pd.isna(v) else v.date() for v in s])
        elif (
            pd.api.types.is_bool_dtype(s.dtype)
            or pd.api.types.is_integer_dtype(s.dtype)
            or pd.api.types.is_float_dtype(s.dtype)
        ):
            columns.append(
                [None if pd.isna(v) else v.item() if hasattr(v, "item") else v for v in s.astype(object)]
            )
        else:
            columns.append(
                [None if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in s.astype(object)]
            )
    date_idx = {i for i, c in enumerate(out.columns) if c in date_cols}
    for values in zip(*columns, strict=True):
        row = []
        for i, v in enumerate(values):
            if i in date_idx and v is not None:
                cell = WriteOnlyCell(ws, value=v)
                cell.number_format = "yyyy-mm-dd"
                row.append(cell)
            else:
                row.append(v)
        ws.append(row)
    wb.save(path)
    return path


def export_table(frame: pd.DataFrame, path: str | Path, *, unmasked: bool = False) -> Path:
    """Write ``.csv`` or ``.xlsx`` by the file's suffix."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return write_csv(frame, path, unmasked=unmasked)
    if suffix == ".xlsx":
        return write_xlsx(frame, path, unmasked=unmasked)
    raise InputError([Problem("out", f"unknown output type {suffix or '(none)'!r}: use .csv or .xlsx")])

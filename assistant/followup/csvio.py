"""Reading the follow-up CSV files with the line number of every row.

UTF-8 with or without a byte-order mark; every cell is read as text (validation parses it) and
each row carries ``_line``, its line in the file with the header as line 1. Rows with the wrong
number of fields are reported with their line and left out (not guessed); entirely empty rows are
skipped. Large files are parsed by Arrow's multi-threaded reader; a file whose layout Arrow cannot
number exactly (line breaks inside quoted cells) is read again with Python's ``csv`` module.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from ..errors import InputError, Problem
from .problems import RowProblem

__all__ = ["LINE", "read_csv_table"]

LINE = "_line"
_BOM = b"\xef\xbb\xbf"


def _not_utf8(label: str, path: Path) -> InputError:
    return InputError(
        [
            Problem(
                label,
                f"{path} is not UTF-8 text (Excel's 'CSV' is often GBK: save as 'CSV UTF-8') / "
                "文件不是UTF-8编码（请在Excel中另存为“CSV UTF-8”）",
            )
        ]
    )


def read_csv_table(path: str | Path, *, label: str | None = None) -> tuple[pd.DataFrame, list[RowProblem]]:
    """Read a CSV file as text cells plus ``_line``; returns the frame and the rows it could not read.

    Column names are stripped and lower-cased. Raises :class:`~assistant.errors.InputError` when the
    file is missing, unreadable, not UTF-8 or has no header.
    """
    path = Path(path)
    label = label or path.name
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError([Problem(label, f"no such file: {path} / 文件不存在")]) from exc
    except OSError as exc:
        raise InputError([Problem(label, f"cannot read {path}: {exc.strerror}")]) from exc
    return read_csv_bytes(data, label=label, path=path)


def read_csv_bytes(
    data: bytes, *, label: str, path: Path | None = None
) -> tuple[pd.DataFrame, list[RowProblem]]:
    """As :func:`read_csv_table`, from the file's bytes."""
    where = path or Path(label)
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    end = data.find(b"\n")
    header_bytes = data if end < 0 else data[:end]
    try:
        header_text = header_bytes.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError as exc:
        raise _not_utf8(label, where) from exc
    header = next(csv.reader([header_text]), [])
    columns = [c.strip().lstrip("\ufeff").lower() for c in header]
    if not any(columns):
        raise InputError([Problem(label, "the file is empty or has no header row / 文件为空或缺少表头")])
    dup = sorted({c for c in columns if columns.count(c) > 1})
    if dup:
        raise InputError(
            [Problem(label, f"duplicate column(s) in the header: {', '.join(dup)} / 表头列名重复")]
        )
    if end < 0:
        return pd.DataFrame(
            {c: pd.Series([], dtype=str) for c in columns} | {LINE: pd.Series([], dtype="int64")}
        ), []
    try:
        return _read_arrow(data, end + 1, columns, label)
    except _Fallback:
        pass
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(label, where) from exc
    return _read_python(text, columns, label)


class _Fallback(Exception):
    """Arrow's reading cannot be numbered exactly: use the Python reader."""


def _line_of(data: bytes, pos: int) -> int:
    return data.count(b"\n", 0, pos) + 1


def _read_arrow(
    data: bytes, body: int, columns: list[str], label: str
) -> tuple[pd.DataFrame, list[RowProblem]]:
    invalid: list[str] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        invalid.append(row.text)
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(memoryview(data)[body:]),
            read_options=pacsv.ReadOptions(column_names=columns, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid, newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in columns},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:  # e.g. not UTF-8: the Python reader names the problem
        raise _Fallback from exc
    # Physical lines after the header: every line is a data row, an empty line or an invalid row.
    n_lines = data.count(b"\n", body) + (0 if data.endswith(b"\n") else 1)
    skipped: list[int] = []
    for pattern in (b"\n\n", b"\n\r\n"):
        start = body - 1
        while (pos := data.find(pattern, start)) >= 0:
            skipped.append(_line_of(data, pos + 1))
            start = pos + 1
    if len(skipped) > 1000:
        raise _Fallback
    problems: list[RowProblem] = []
    used: set[int] = set()
    for text in invalid:
        needle = b"\n" + text.encode("utf-8")
        pos = data.find(needle, body - 1)
        while pos >= 0:
            after = data[pos + len(needle) : pos + len(needle) + 2]
            if pos not in used and (after[:1] in (b"", b"\n") or after == b"\r\n" or after == b"\r"):
                break
            pos = data.find(needle, pos + 1)
        if pos < 0:
            raise _Fallback
        used.add(pos)
        line = _line_of(data, pos + 1)
        skipped.append(line)
        problems.append(_bad_width(label, line, len(columns), next(csv.reader([text]), [])))
    problems.sort(key=lambda p: p.line or 0)
    skipped_arr = np.unique(np.asarray(skipped, dtype=np.int64))
    lines = np.setdiff1d(np.arange(2, n_lines + 2, dtype=np.int64), skipped_arr, assume_unique=True)
    if len(lines) != table.num_rows:
        raise _Fallback
    frame = table.to_pandas(types_mapper=pd.ArrowDtype)
    del table
    frame[LINE] = lines
    return _drop_empty(frame, columns), problems


def _bad_width(label: str, line: int, expected: int, cells: list[str]) -> RowProblem:
    return RowProblem(
        file=label,
        line=line,
        field="(row)",
        reason_en=f"expected {expected} fields, found {len(cells)}",
        reason_zh=f"应有{expected}列，实有{len(cells)}列",
        action="rejected",
        patient_id=cells[0].strip() if cells else "",
        raw=",".join(cells),
    )


def _read_python(text: str, columns: list[str], label: str) -> tuple[pd.DataFrame, list[RowProblem]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader, None)  # header
    cols: list[list[str]] = [[] for _ in columns]
    lines: list[int] = []
    problems: list[RowProblem] = []
    last_line = 1
    for row in reader:
        line = last_line + 1  # the row starts on the line after the previous row ended
        last_line = reader.line_num
        if not row:
            continue
        if len(row) != len(columns):
            problems.append(_bad_width(label, line, len(columns), row))
            continue
        for c, v in zip(cols, row, strict=True):
            c.append(v)
        lines.append(line)
    frame = pd.DataFrame({c: pd.Series(v, dtype=str) for c, v in zip(columns, cols, strict=True)})
    frame[LINE] = np.asarray(lines, dtype=np.int64)
    return _drop_empty(frame, columns), problems


def _drop_empty(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    if frame.empty:
        return frame
    empty = np.ones(len(frame), dtype=bool)
    for c in columns:
        empty &= (frame[c].str.strip() == "").to_numpy(dtype=bool, na_value=True)
        if not empty.any():
            return frame
    return frame.loc[~empty].reset_index(drop=True)

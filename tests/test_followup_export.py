"""Exports: masking, formula injection, CSV with BOM, XLSX header / frozen panes / widths."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from assistant.followup import export_table, mask_phones, mask_resident_ids, neutralise, schedule
from assistant.records.resident_id import check_character, mask_resident_id

SAMPLES = Path(__file__).resolve().parents[1] / "data_samples" / "village"


def test_resident_id_masking_equals_the_records_function() -> None:
    valid = "34010219900307123" + check_character("34010219900307123")
    values = [valid, valid.lower(), "12345", "", "11010519491231002x", "１１０１０５１９４９１２３１００２Ｘ",
              "340102199003071239", "x" * 30]  # fmt: skip
    got = list(mask_resident_ids(pd.Series(values)))
    assert got == [mask_resident_id(v) for v in values]
    assert got[0] == valid[:6] + "********" + valid[-4:]
    assert list(mask_resident_ids(pd.Series(got))) == got  # idempotent


def test_phone_masking() -> None:
    got = list(mask_phones(pd.Series(["13812345678", "", "0371-65123456", "12345", None, "138****5678"])))
    assert got == ["138****5678", "", "037******3456", "*****", "", "138****5678"]


def test_formula_injection_is_neutralised() -> None:
    frame = pd.DataFrame(
        {"name": ['=HYPERLINK("x")', "+1", "-2", "@SUM(A1)", "\tx", "\rx", "王芳", None], "n": range(8)}
    )
    out = neutralise(frame)
    assert list(out["name"][:6]) == ['\'=HYPERLINK("x")', "'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx"]
    assert out["name"][6] == "王芳" and pd.isna(out["name"][7])
    assert list(out["n"]) == list(range(8))


def _listing() -> pd.DataFrame:
    patients = pd.read_csv(SAMPLES / "patients.csv", dtype=str, keep_default_na=False)
    visits = pd.read_csv(SAMPLES / "visits.csv", dtype=str, keep_default_na=False)
    patients.loc[0, "name"] = "=cmd|' /C calc'!A0"
    return schedule(patients, visits, date(2026, 11, 30), unmasked=True, problems=[])


def test_csv_export(tmp_path: Path) -> None:
    frame = _listing()
    path = export_table(frame, tmp_path / "list.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(back.columns) == list(frame.columns)
    assert not back["name"].str.startswith(("=", "+", "-", "@")).any()
    assert back["resident_id"].str.contains(r"^\d{6}\*{8}\d{3}[\dX]$|^$").all()  # masked by default
    assert back["due_date"].str.match(r"^\d{4}-\d{2}-\d{2}$|^$").all()
    unmasked = pd.read_csv(
        export_table(frame, tmp_path / "u.csv", unmasked=True), dtype=str, keep_default_na=False
    )
    assert set(unmasked["phone"]) == set(frame["phone"])


def test_xlsx_export(tmp_path: Path) -> None:
    frame = _listing().head(50)
    path = export_table(frame, tmp_path / "list.xlsx")
    ws = load_workbook(path).active
    assert ws.freeze_panes == "A2"
    header = [c.value for c in ws[1]]
    assert header == list(frame.columns)
    assert all(c.font.bold for c in ws[1])
    widths = {k: v.width for k, v in ws.column_dimensions.items()}
    assert widths["A"] >= 8 and widths["K"] > widths["A"]  # reason is wider than patient_id
    names = [ws.cell(row=r, column=2).value for r in range(2, ws.max_row + 1)]
    assert not any(str(n).startswith("=") for n in names)
    due_col = header.index("due_date") + 1
    assert ws.cell(row=2, column=due_col).number_format == "yyyy-mm-dd"
    rid = [ws.cell(row=r, column=header.index("resident_id") + 1).value for r in range(2, ws.max_row + 1)]
    assert all(v is None or "********" in v for v in rid)


def test_unknown_output_type() -> None:
    from assistant.errors import InputError

    with pytest.raises(InputError, match="csv or .xlsx"):
        export_table(pd.DataFrame({"a": [1]}), "list.pdf")

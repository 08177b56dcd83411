"""Working days in mainland China: weekends, public holidays and make-up working days (调休).

A follow-up date that falls on a weekend or a public holiday moves to the next working day.

- Years the official calendar covers (the ``chinesecalendar`` package: 2004-2026 in version 1.11.0)
  use the State Council's published holidays **and** make-up working days (a Saturday or Sunday
  that is a working day).
- Later years (and any year when ``chinesecalendar`` is not installed) use the statutory holidays
  computed from the lunar calendar (``statutory_holidays.yaml``, 2027-2050, with its source) and
  no make-up days. Every date decided with them is *estimated*; :meth:`WorkCalendar.roll_forward`
  returns that flag next to each date so the caller never presents a guess as fact. Years outside
  the table (after 2050) know only weekends and the fixed-date holidays (New Year, Labour Day,
  National Day); they are estimated too. Nothing here fails for lack of data.

Dates are arguments; the module never reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..knowledge.base import Row, Table, load_table

__all__ = [
    "HOLIDAY_FILE",
    "DayInfo",
    "WorkCalendar",
    "default_calendar",
]

HOLIDAY_FILE = Path(__file__).resolve().parent / "statutory_holidays.yaml"

# Names of the holidays, zh / en.
_NAMES: dict[str, tuple[str, str]] = {
    "new_year": ("元旦", "New Year's Day"),
    "spring_festival": ("春节", "Spring Festival"),
    "qingming": ("清明节", "Qingming Festival"),
    "labour_day": ("劳动节", "Labour Day"),
    "dragon_boat": ("端午节", "Dragon Boat Festival"),
    "mid_autumn": ("中秋节", "Mid-Autumn Festival"),
    "national_day": ("国庆节", "National Day"),
}
# chinesecalendar's English holiday names → our keys.
_CC_NAMES: dict[str, str] = {
    "New Year's Day": "new_year",
    "Spring Festival": "spring_festival",
    "Tomb-sweeping Day": "qingming",
    "Labour Day": "labour_day",
    "Dragon Boat Festival": "dragon_boat",
    "Mid-autumn Festival": "mid_autumn",
    "National Day": "national_day",
}


class HolidayYear(Row):
    """Lunar-calendar festival dates of one year (Gregorian dates)."""

    year: int
    spring_festival: date
    qingming: date
    dragon_boat: date
    mid_autumn: date


@dataclass(frozen=True)
class DayInfo:
    """What one day is: working day or not, which holiday, make-up day, and whether it is estimated."""

    day: date
    workday: bool
    holiday: str | None  # key of _NAMES (or chinesecalendar's name for a one-off holiday)
    makeup_workday: bool
    estimated: bool

    @property
    def holiday_zh(self) -> str | None:
        return _NAMES.get(self.holiday, (self.holiday, self.holiday))[0] if self.holiday else None

    @property
    def holiday_en(self) -> str | None:
        return _NAMES.get(self.holiday, (self.holiday, self.holiday))[1] if self.holiday else None


def _official_tables() -> tuple[dict[date, str], dict[date, str], tuple[int, int]] | None:
    """chinesecalendar's holidays, make-up working days and covered years; None when not installed."""
    try:
        import chinese_calendar as cc  # MIT licence; a runtime dependency
    except ImportError:
        return None
    holidays: dict[date, Any] = dict(cc.holidays)
    workdays: dict[date, Any] = dict(cc.workdays)
    years = sorted({d.year for d in holidays})
    if not years:  # pragma: no cover - an empty package
        return None

    def name(value: Any) -> str:
        text = str(getattr(value, "value", value))
        text = text.split(",")[0]
        return _CC_NAMES.get(text, text)

    return (
        {d: name(v) for d, v in holidays.items()},
        {d: name(v) for d, v in workdays.items()},
        (years[0], years[-1]),
    )


class WorkCalendar:
    """Working-day calendar: official years from ``chinesecalendar``, later years estimated.

    ``use_official=False`` ignores ``chinesecalendar`` (every year estimated); tests use it to check
    the fallback. ``holiday_file`` is the lunar table (default: the packaged one).
    """

    def __init__(self, *, use_official: bool = True, holiday_file: Path | None = None) -> None:
        official = _official_tables() if use_official else None
        if official is None:
            self._holidays: dict[date, str] = {}
            self._makeup: dict[date, str] = {}
            self.official_years: tuple[int, int] | None = None
        else:
            self._holidays, self._makeup, self.official_years = official
        table: Table[HolidayYear] = load_table(holiday_file or HOLIDAY_FILE, HolidayYear, key="year")
        self.lunar_years: tuple[int, int] = (min(r.year for r in table), max(r.year for r in table))
        self._estimated: dict[date, str] = {}
        for r in table:
            self._estimated.update(self._statutory(r))
        self._fixed_cache: dict[int, dict[date, str]] = {}

    # ------------------------------------------------------------------ single days
    @staticmethod
    def _statutory(r: HolidayYear) -> dict[date, str]:
        days = dict(WorkCalendar._fixed(r.year))
        for i in range(-1, 3):  # 除夕 (the last day of the lunar year) and 正月初一 to 初三
            days[r.spring_festival + timedelta(days=i)] = "spring_festival"
        days[r.qingming] = "qingming"
        days[r.dragon_boat] = "dragon_boat"
        days.setdefault(r.mid_autumn, "mid_autumn")  # may coincide with National Day
        return days

    @staticmethod
    def _fixed(year: int) -> dict[date, str]:
        days = {date(year, 1, 1): "new_year", date(year, 5, 1): "labour_day", date(year, 5, 2): "labour_day"}
        for d in (1, 2, 3):
            days[date(year, 10, d)] = "national_day"
        return days

    def is_official_year(self, year: int) -> bool:
        """True when the year's holidays and make-up days come from the official table."""
        return self.official_years is not None and self.official_years[0] <= year <= self.official_years[1]

    def info(self, day: date) -> DayInfo:
        """Everything the calendar knows about ``day``."""
        if self.is_official_year(day.year):
            holiday = self._holidays.get(day)
            makeup = day in self._makeup
            workday = makeup or (holiday is None and day.weekday() < 5)
            return DayInfo(day, workday, holiday, makeup, estimated=False)
        if self.lunar_years[0] <= day.year <= self.lunar_years[1]:
            holiday = self._estimated.get(day)
        else:
            holiday = self._fixed_cache.setdefault(day.year, self._fixed(day.year)).get(day)
        workday = holiday is None and day.weekday() < 5
        return DayInfo(day, workday, holiday, False, estimated=True)

    def is_workday(self, day: date) -> bool:
        return self.info(day).workday

    def next_workday(self, day: date) -> tuple[date, bool]:
        """``day`` itself when it is a working day, else the next one; and whether that is estimated
        (any day looked at lies in a year without the official table)."""
        estimated = False
        d = day
        while True:
            info = self.info(d)
            estimated = estimated or info.estimated
            if info.workday:
                return d, estimated
            d += timedelta(days=1)

    # ------------------------------------------------------------------ vectorised
    def roll_forward(self, dates: Any) -> tuple[np.ndarray, np.ndarray]:
        """Move every date to the next working day (vectorised).

        ``dates``: anything ``pandas.to_datetime`` accepts as an array (NaT allowed). Returns
        ``(datetime64[D] array, bool array estimated)``; NaT stays NaT with ``estimated`` False.
        """
        arr = pd.to_datetime(pd.Series(np.asarray(dates)) if not isinstance(dates, pd.Series) else dates)
        days = arr.to_numpy(dtype="datetime64[D]")
        valid = ~np.isnat(days)
        out = days.copy()
        est = np.zeros(len(days), dtype=bool)
        if not valid.any():
            return out, est
        ints = days[valid].astype(np.int64)
        lo, hi = int(ints.min()), int(ints.max()) + 40  # no run of days off is longer than 40 days
        span = np.arange(lo, hi + 1)
        workday, estimated = self._span_flags(lo, hi)
        work_pos = np.flatnonzero(workday)
        rel = ints - lo
        nxt = work_pos[np.searchsorted(work_pos, rel)]
        cum = np.concatenate(([0], np.cumsum(estimated)))
        out[valid] = span[nxt].astype("datetime64[D]")
        est[valid] = (cum[nxt + 1] - cum[rel]) > 0
        return out, est

    def _span_flags(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        return _span_flags_cached(self, lo, hi)

    def __hash__(self) -> int:
        return id(self)


@lru_cache(maxsize=32)
def _span_flags_cached(cal: WorkCalendar, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    epoch = date(1970, 1, 1)
    n = hi - lo + 1
    workday = np.empty(n, dtype=bool)
    estimated = np.empty(n, dtype=bool)
    for i in range(n):
        info = cal.info(epoch + timedelta(days=lo + i))
        workday[i] = info.workday
        estimated[i] = info.estimated
    workday.flags.writeable = False
    estimated.flags.writeable = False
    return workday, estimated


@lru_cache(maxsize=1)
def default_calendar() -> WorkCalendar:
    """The calendar shipped with the package, built once per process."""
    return WorkCalendar()

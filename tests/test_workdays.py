"""Working days: official 2026 calendar with make-up days, estimated 2027+, vectorised = scalar."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import numpy as np
import pytest

from assistant.followup.workdays import HOLIDAY_FILE, HolidayYear, WorkCalendar, default_calendar
from assistant.knowledge.base import load_table

CAL = default_calendar()


def test_official_years_come_from_chinesecalendar() -> None:
    assert CAL.official_years is not None
    assert CAL.official_years[1] == 2026
    assert CAL.is_official_year(2026) and not CAL.is_official_year(2027)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 2, 15), date(2026, 2, 24)),  # Spring Festival 15-23 Feb 2026
        (date(2026, 2, 20), date(2026, 2, 24)),  # a Friday inside the holiday
        (date(2026, 2, 14), date(2026, 2, 14)),  # Saturday, official make-up working day
        (date(2026, 1, 4), date(2026, 1, 4)),  # Sunday, make-up working day after New Year
        (date(2026, 1, 3), date(2026, 1, 4)),  # New Year holiday -> the Sunday make-up day
        (date(2026, 10, 1), date(2026, 10, 8)),  # National Day week 1-7 Oct
        (date(2026, 3, 7), date(2026, 3, 9)),  # ordinary Saturday -> Monday
        (date(2026, 3, 10), date(2026, 3, 10)),  # ordinary Tuesday
    ],
)
def test_2026_official(day: date, expected: date) -> None:
    assert CAL.next_workday(day) == (expected, False)


def test_2026_make_up_day_is_a_working_weekend_day() -> None:
    info = CAL.info(date(2026, 2, 28))
    assert info.day.weekday() == 5 and info.workday and info.makeup_workday and not info.estimated


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2027, 2, 5), date(2027, 2, 9)),  # 除夕 (5 Feb) to 初三 (8 Feb) 2027
        (date(2027, 2, 6), date(2027, 2, 9)),
        (date(2027, 4, 5), date(2027, 4, 6)),  # Qingming 2027 is a Monday
        (date(2027, 6, 9), date(2027, 6, 10)),  # Dragon Boat 2027
        (date(2027, 9, 15), date(2027, 9, 16)),  # Mid-Autumn 2027
        (date(2027, 10, 1), date(2027, 10, 4)),  # National Day 1-3 Oct, then Monday
        (date(2027, 3, 10), date(2027, 3, 10)),  # an ordinary Wednesday is still estimated
    ],
)
def test_2027_is_estimated(day: date, expected: date) -> None:
    assert CAL.next_workday(day) == (expected, True)


def test_years_after_the_table_still_answer_and_say_estimated() -> None:
    assert CAL.next_workday(date(2060, 10, 1)) == (date(2060, 10, 4), True)


def test_without_chinesecalendar_every_year_is_estimated() -> None:
    cal = WorkCalendar(use_official=False)
    day, estimated = cal.next_workday(date(2026, 2, 14))  # the make-up Saturday is unknown
    assert estimated and day == date(2026, 2, 16)


def test_qingming_in_the_table_matches_the_solar_term() -> None:
    table = load_table(HOLIDAY_FILE, HolidayYear, key="year")
    assert {r.year for r in table} == set(range(2027, 2051))
    for r in table:
        terms = chinese_calendar.get_solar_terms(date(r.year, 4, 1), date(r.year, 4, 10))
        assert (r.qingming, "清明") in terms


def test_known_spring_festivals() -> None:
    table = load_table(HOLIDAY_FILE, HolidayYear, key="year")
    known = {2027: date(2027, 2, 6), 2028: date(2028, 1, 26), 2029: date(2029, 2, 13), 2030: date(2030, 2, 3)}
    for year, day in known.items():
        assert table[str(year)].spring_festival == day


def test_roll_forward_equals_next_workday() -> None:
    days = [date(2025, 12, 1) + timedelta(days=i) for i in range(800)]
    arr = np.array(days + [None], dtype="datetime64[D]")
    rolled, estimated = CAL.roll_forward(arr)
    for i, d in enumerate(days):
        want, est = CAL.next_workday(d)
        assert rolled[i] == np.datetime64(want) and bool(estimated[i]) == est, d
    assert np.isnat(rolled[-1]) and not estimated[-1]


def test_a_date_rolling_from_an_official_into_an_estimated_year_is_estimated() -> None:
    # 31 Dec 2026 is a Thursday working day; 2 Jan 2027 (Saturday) rolls to Monday 4 Jan, estimated
    assert CAL.next_workday(date(2026, 12, 31)) == (date(2026, 12, 31), False)
    assert CAL.next_workday(date(2027, 1, 2)) == (date(2027, 1, 4), True)

"""China's resident identity number (公民身份号码, GB 11643-1999) and exact age.

Layout of the 18 characters::

    340102 19900307 123 X
    |      |        |   `-- check character (ISO 7064 MOD 11-2): 0-9 or X
    |      |        `------ sequence; the 17th digit is odd for men, even for women
    |      `--------------- birth date YYYYMMDD (characters 7-14)
    `---------------------- region code (GB/T 2260), the first two digits name the province

Validation never reads the clock: a birth date in the future is only detected when the caller gives
the reference date (``on=``). Error messages never repeat the number itself, and :class:`ResidentId`
shows itself masked (``repr``/``str``); the full number is in ``.value``.

Choices worth knowing:

- Outer whitespace is ignored; full-width digits and ``Ｘ`` typed with a Chinese input method are
  read as ASCII; a lowercase ``x`` is accepted. Inner spaces or dashes are errors.
- The first two digits must be a province-level code of GB/T 2260 (11-65), 71 (Taiwan),
  81/82 (Hong Kong, Macao), 83 (residence permits for Taiwan residents) or start with 9 (foreigners'
  permanent residence ID card, 2023 edition, which follows the same layout and check character).
- A birth year before 1880 is impossible for a living person and rejected.
- :func:`age_on` counts a birthday on 29 February as reached on 28 February in common years.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Sex = Literal["male", "female"]

WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
EARLIEST_BIRTH_YEAR = 1880

# Province-level codes of GB/T 2260 (first two digits of the region code).
PROVINCES: dict[str, str] = {
    "11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古",
    "21": "辽宁", "22": "吉林", "23": "黑龙江",
    "31": "上海", "32": "江苏", "33": "浙江", "34": "安徽", "35": "福建", "36": "江西", "37": "山东",
    "41": "河南", "42": "湖北", "43": "湖南", "44": "广东", "45": "广西", "46": "海南",
    "50": "重庆", "51": "四川", "52": "贵州", "53": "云南", "54": "西藏",
    "61": "陕西", "62": "甘肃", "63": "青海", "64": "宁夏", "65": "新疆",
    "71": "台湾", "81": "香港", "82": "澳门", "83": "台湾居民居住证",
}  # fmt: skip

ErrorKind = Literal[
    "type", "length", "non_digit", "check_character", "region", "birth_date", "future_birth_date"
]

_FULL_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx")
_DIGITS = frozenset("0123456789")


class ResidentIdError(ValueError):
    """A resident ID that is not valid. ``kind`` says which rule failed, the message says why."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        self.kind: ErrorKind = kind
        super().__init__(message)


def check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for 17 ASCII digits (``'0'``-``'9'`` or ``'X'``)."""
    if len(first17) != 17 or not set(first17) <= _DIGITS:
        raise ValueError("check_character needs exactly 17 ASCII digits")
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


@dataclass(frozen=True)
class ResidentId:
    """A valid resident ID and what it says. ``repr``/``str`` are masked; ``value`` is the full number."""

    value: str = field(repr=False)
    region_code: str
    birth_date: date
    sequence: str
    sex: Sex

    @property
    def province(self) -> str | None:
        """Chinese name of the province (or 外国人永久居留 for a 9-prefix card); None if unknown."""
        if self.value.startswith("9"):
            return "外国人永久居留"
        return PROVINCES.get(self.value[:2])

    @property
    def masked(self) -> str:
        return self.value[:6] + "*" * 8 + self.value[-4:]

    def age_on(self, on: date) -> float:
        """Exact age in years on ``on`` (see :func:`age_on`)."""
        return age_on(self.birth_date, on)

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"ResidentId({self.masked!r}, birth_date={self.birth_date.isoformat()}, sex={self.sex!r})"


def _normalise(s: object) -> str:
    if not isinstance(s, str):
        raise ResidentIdError("type", f"must be text (a string), got {type(s).__name__}")
    return s.strip().translate(_FULL_WIDTH)


def validate_resident_id(s: object, *, on: date | None = None) -> ResidentId:
    """Validate an 18-character resident ID and return what it encodes.

    ``on`` is the reference date (the consultation day): a birth date after it is rejected. Without
    it only the calendar is checked. Raises :class:`ResidentIdError` with the reason (wrong length,
    non-digit, unknown province, impossible or future birth date, wrong check character and the
    expected one). Lowercase ``x`` is accepted; ``value`` is normalised to uppercase.
    """
    text = _normalise(s)
    if len(text) != 18:
        raise ResidentIdError("length", f"must be 18 characters, got {len(text)}")
    for pos, ch in enumerate(text[:17], start=1):
        if ch not in _DIGITS:
            raise ResidentIdError("non_digit", f"characters 1-17 must be digits; character {pos} is not")
    last = text[17].upper()
    if last not in _DIGITS and last != "X":
        raise ResidentIdError("non_digit", "character 18 must be a digit or X")
    if not (text[:2] in PROVINCES or text[0] == "9"):
        raise ResidentIdError("region", f"unknown province code {text[:2]!r} (characters 1-2)")
    y, m, d = int(text[6:10]), int(text[10:12]), int(text[12:14])
    try:
        birth = date(y, m, d)
    except ValueError:
        raise ResidentIdError(
            "birth_date", f"birth date {text[6:14]} (characters 7-14) is not a real date"
        ) from None
    if y < EARLIEST_BIRTH_YEAR:
        raise ResidentIdError(
            "birth_date", f"birth year {y} (characters 7-10) is before {EARLIEST_BIRTH_YEAR}"
        )
    if on is not None and birth > on:
        raise ResidentIdError(
            "future_birth_date",
            f"birth date {birth.isoformat()} (characters 7-14) is after {on.isoformat()}",
        )
    expected = check_character(text[:17])
    if last != expected:
        raise ResidentIdError(
            "check_character", f"check character (character 18) is {last!r} but should be {expected!r}"
        )
    value = text[:17] + last
    return ResidentId(
        value=value,
        region_code=value[:6],
        birth_date=birth,
        sequence=value[14:17],
        sex="male" if int(value[16]) % 2 == 1 else "female",
    )


def is_valid_resident_id(s: object, *, on: date | None = None) -> bool:
    """True when :func:`validate_resident_id` accepts ``s``."""
    try:
        validate_resident_id(s, on=on)
    except ResidentIdError:
        return False
    return True


MASK_CAP = 18


def mask_resident_id(s: object) -> str:
    """Mask a resident ID for screens and exports: ``340102********1234``.

    Only a valid ID keeps its first 6 and last 4 characters. Anything else (too short, wrong check
    character, not a string) is masked completely, one ``*`` per character up to 18, so it never
    reveals more than the 10 characters a valid ID shows. ``None`` gives an empty string.
    """
    if s is None:
        return ""
    try:
        return validate_resident_id(s).masked
    except ResidentIdError:
        pass
    n = len(s.strip()) if isinstance(s, str) else MASK_CAP
    return "*" * min(n, MASK_CAP)


def _anniversary(birth: date, year: int) -> date:
    if birth.month == 2 and birth.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return birth.replace(year=year)


def age_on(birth_date: date, on_date: date) -> float:
    """Exact age in years: completed years plus the elapsed fraction of the current year of life.

    The fraction is days since the last birthday divided by the days until the next one, so a
    six-month-old is about 0.5 and the age grows monotonically. Raises ``ValueError`` when
    ``on_date`` is before ``birth_date``.
    """
    if on_date < birth_date:
        raise ValueError(f"date {on_date.isoformat()} is before the birth date {birth_date.isoformat()}")
    years = on_date.year - birth_date.year
    if on_date < _anniversary(birth_date, on_date.year):
        years -= 1
    last = _anniversary(birth_date, birth_date.year + years)
    if last.year >= date.max.year:  # no next birthday in the calendar: count a 365-day year
        return years + (on_date - last).days / 365
    nxt = _anniversary(birth_date, birth_date.year + years + 1)
    return years + (on_date - last).days / (nxt - last).days


__all__ = [
    "CHECK_CHARACTERS",
    "PROVINCES",
    "WEIGHTS",
    "ResidentId",
    "ResidentIdError",
    "Sex",
    "age_on",
    "check_character",
    "is_valid_resident_id",
    "mask_resident_id",
    "validate_resident_id",
]

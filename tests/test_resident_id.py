"""Resident identity number (GB 11643-1999) and exact age."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.records.resident_id import (
    ResidentId,
    ResidentIdError,
    age_on,
    is_valid_resident_id,
    mask_resident_id,
    validate_resident_id,
)

# Written out again here (not imported) so that the test checks the module against the standard.
_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def make_id(region: str, birth: date, seq: str) -> str:
    body = f"{region}{birth:%Y%m%d}{seq}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, _WEIGHTS, strict=True)) % 11]


# Anhui counties (GB/T 2260): 临泉县, 霍邱县, 利辛县, 合肥市瑶海区
REGIONS = ["341221", "341522", "341623", "340102"]


def test_examples_printed_in_the_standard() -> None:
    rid = validate_resident_id("11010519491231002X")
    assert (rid.region_code, rid.birth_date, rid.sex, rid.sequence) == (
        "110105",
        date(1949, 12, 31),
        "female",
        "002",
    )
    old = validate_resident_id("440524188001010014")
    assert (old.birth_date, old.sex) == (date(1880, 1, 1), "male")


def test_built_ids_with_every_check_character_validate() -> None:
    seen: set[str] = set()
    birth = date(1957, 8, 21)
    for n in range(200):
        value = make_id(REGIONS[n % 4], birth + timedelta(days=n), f"{n % 1000:03d}")
        rid = validate_resident_id(value)
        assert rid.value == value
        assert rid.birth_date == birth + timedelta(days=n)
        assert rid.region_code == REGIONS[n % 4]
        assert rid.sex == ("male" if n % 2 else "female")
        seen.add(value[-1])
    assert seen == set("0123456789X")


def test_lowercase_x_spaces_and_full_width_digits_are_accepted() -> None:
    assert validate_resident_id("  11010519491231002x ").value == "11010519491231002X"
    full_width = "１１０１０５１９４９１２３１００２Ｘ"
    assert validate_resident_id(full_width).value == "11010519491231002X"
    assert is_valid_resident_id("11010519491231002x")


@pytest.mark.parametrize(
    ("value", "kind", "words"),
    [
        ("1101051949123100", "length", "18 characters, got 16"),
        ("110105194912310021X", "length", "got 19"),
        ("", "length", "got 0"),
        ("11010519A91231002X", "non_digit", "character 9"),
        ("110105 19491231002", "non_digit", "character 7"),
        ("11010519491231002Y", "non_digit", "character 18"),
        ("001051194912310020", "region", "province code '00'"),
        ("110105199002300020", "birth_date", "19900230"),
        ("110105199013010020", "birth_date", "not a real date"),
        ("110105187912310020", "birth_date", "before 1880"),
        ("110105194912310021", "check_character", "is '1' but should be 'X'"),
    ],
)
def test_invalid_ids_say_why(value: str, kind: str, words: str) -> None:
    with pytest.raises(ResidentIdError) as err:
        validate_resident_id(value)
    assert err.value.kind == kind
    assert words in str(err.value)
    assert not is_valid_resident_id(value)


def test_wrong_check_character_names_the_expected_one() -> None:
    good = make_id("341221", date(1990, 3, 7), "123")
    wrong = good[:17] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ResidentIdError, match=f"should be '{good[-1]}'"):
        validate_resident_id(wrong)


def test_birth_date_after_the_reference_date_is_invalid_only_with_a_reference() -> None:
    value = make_id("341522", date(2026, 6, 1), "042")
    assert validate_resident_id(value).birth_date == date(2026, 6, 1)  # no clock is read
    with pytest.raises(ResidentIdError) as err:
        validate_resident_id(value, on=date(2026, 5, 31))
    assert err.value.kind == "future_birth_date" and "after 2026-05-31" in str(err.value)
    assert validate_resident_id(value, on=date(2026, 6, 1)).sex == "female"


def test_not_a_string_is_a_resident_id_error() -> None:
    with pytest.raises(ResidentIdError) as err:
        validate_resident_id(341221195708210316)
    assert err.value.kind == "type"


def test_errors_and_repr_never_contain_the_number() -> None:
    value = make_id("341221", date(1957, 8, 21), "031")
    rid = validate_resident_id(value)
    assert value not in repr(rid) and value not in str(rid)
    assert "19570821" not in repr(rid).replace("1957-08-21", "")
    bad = value[:17] + ("0" if value[-1] != "0" else "1")
    with pytest.raises(ResidentIdError) as err:
        validate_resident_id(bad)
    assert bad[:17] not in str(err.value)


def test_mask_keeps_first_six_and_last_four_of_a_valid_id() -> None:
    value = make_id("340102", date(1990, 3, 7), "123")
    masked = mask_resident_id(value)
    assert masked == value[:6] + "********" + value[-4:]
    assert "19900307" not in masked


@pytest.mark.parametrize(
    "value", ["123", "3401021990030712", "340102199003071230", "abcdefghijklmnopqr", "", 42]
)
def test_mask_hides_invalid_input_completely(value: object) -> None:
    masked = mask_resident_id(value)
    assert set(masked) <= {"*"}
    assert mask_resident_id(None) == ""


@given(st.text(max_size=40))
def test_any_string_validates_or_raises_the_module_error(s: str) -> None:
    try:
        rid = validate_resident_id(s, on=date(2026, 1, 1))
    except ResidentIdError:
        return
    assert isinstance(rid, ResidentId) and len(rid.value) == 18


@given(st.one_of(st.text(max_size=60), st.from_regex(r"\A[0-9]{17}[0-9Xx]\Z"), st.none(), st.integers()))
def test_mask_never_reveals_more_than_ten_characters(s: object) -> None:
    masked = mask_resident_id(s)
    shown = [c for c in masked if c != "*"]
    assert len(shown) <= 10
    if shown:
        assert isinstance(s, str)
        text = unicodedata.normalize("NFKC", s).strip().upper()
        assert masked[:6] == text[:6] and masked[-4:] == text[-4:] and masked[6:14] == "*" * 8


@given(
    st.sampled_from(REGIONS),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 12, 31)),
    st.integers(min_value=0, max_value=999),
)
def test_generated_ids_round_trip(region: str, birth: date, seq: int) -> None:
    value = make_id(region, birth, f"{seq:03d}")
    rid = validate_resident_id(value, on=birth)
    assert rid.birth_date == birth
    assert rid.sex == ("male" if seq % 2 else "female")
    assert mask_resident_id(value)[6:14] == "********"
    # ISO 7064 MOD 11-2 catches every single-digit change and every swap of two different neighbours
    pos = seq % 17
    changed = value[:pos] + str((int(value[pos]) + 1) % 10) + value[pos + 1 :]
    assert not is_valid_resident_id(changed)
    if value[pos] != value[pos + 1] and pos < 16:
        swapped = value[:pos] + value[pos + 1] + value[pos] + value[pos + 2 :]
        assert not is_valid_resident_id(swapped)


# --- exact age ----------------------------------------------------------------------------------


def test_age_on_examples() -> None:
    assert age_on(date(1957, 8, 21), date(2026, 8, 21)) == 69
    assert 68.5 < age_on(date(1957, 8, 21), date(2026, 3, 14)) < 68.6
    assert age_on(date(2025, 9, 1), date(2026, 3, 1)) == pytest.approx(0.5, abs=0.01)
    assert age_on(date(2026, 1, 1), date(2026, 1, 1)) == 0
    assert age_on(date(2024, 2, 29), date(2025, 2, 28)) == 1  # leap-day birthday: 28 Feb in common years
    assert age_on(date(2024, 2, 29), date(2025, 2, 27)) < 1
    with pytest.raises(ValueError, match="before the birth date"):
        age_on(date(2026, 1, 2), date(2026, 1, 1))


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)),
    st.integers(min_value=0, max_value=45_000),
    st.integers(min_value=0, max_value=400),
)
def test_age_is_exact_and_monotonic(birth: date, days: int, more: int) -> None:
    d1 = birth + timedelta(days=days)
    d2 = d1 + timedelta(days=more)
    a1, a2 = age_on(birth, d1), age_on(birth, d2)
    assert 0 <= a1 <= a2
    completed = d1.year - birth.year - ((d1.month, d1.day) < (birth.month, birth.day))
    if not (birth.month == 2 and birth.day == 29):
        assert int(a1) == completed

"""Validated consultation records (CONTRACTS.md §1) and China's resident identity number.

- :func:`read_encounters` / :func:`parse_encounter`: JSON text or a decoded mapping → validated
  :class:`Encounter`, or :class:`~assistant.errors.InputError` naming every bad field. The caller
  supplies ``default_date`` (the library never reads the clock).
- :func:`implausible_values`: impossible or swapped numbers, for the ``data_entry`` quality check;
  :attr:`Encounter.demographics` holds the conflicts for the ``demographics`` check.
- :func:`validate_resident_id`, :func:`mask_resident_id`, :func:`age_on`.
"""

from __future__ import annotations

from .encounter import (
    Conflict,
    Demographics,
    Encounter,
    Labs,
    Patient,
    Prescription,
    PriorExam,
    Vitals,
    parse_encounter,
    unknown_finding_codes,
)
from .io import ReadRecord, ReadResult, RecordProblem, decode_input, read_encounters, read_encounters_partial
from .ranges import ImplausibleValue, ValueRange, implausible_values, value_ranges
from .resident_id import (
    ResidentId,
    ResidentIdError,
    age_on,
    is_valid_resident_id,
    mask_resident_id,
    validate_resident_id,
)

__all__ = [
    "Conflict",
    "Demographics",
    "Encounter",
    "ImplausibleValue",
    "Labs",
    "Patient",
    "Prescription",
    "PriorExam",
    "ReadRecord",
    "ReadResult",
    "RecordProblem",
    "ResidentId",
    "ResidentIdError",
    "ValueRange",
    "Vitals",
    "age_on",
    "decode_input",
    "implausible_values",
    "is_valid_resident_id",
    "mask_resident_id",
    "parse_encounter",
    "read_encounters",
    "read_encounters_partial",
    "unknown_finding_codes",
    "validate_resident_id",
    "value_ranges",
]

"""Masking identifiers for screens: resident ID ``340102********1234``, phone ``138****5678``.

The same rules as the follow-up exports (:func:`assistant.followup.mask_phones`,
:func:`assistant.records.mask_resident_id`), one value at a time and without pandas.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..records.resident_id import mask_resident_id

__all__ = ["mask_phone", "masked"]


def mask_phone(phone: object) -> str:
    """``13812345678`` → ``138****5678``: the first 3 and last 4 characters stay, the rest are stars
    (at least 4); a number shorter than 8 characters is masked completely; empty stays empty."""
    if phone is None:
        return ""
    s = str(phone).strip()
    if "*" in s:
        return s
    if len(s) < 8:
        return "*" * len(s)
    return s[:3] + "*" * max(len(s) - 7, 4) + s[-4:]


def masked(patient: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a patient record with ``resident_id`` and ``phone`` masked, for display."""
    out = dict(patient)
    if "resident_id" in out:
        rid = out["resident_id"]
        out["resident_id"] = mask_resident_id(rid) if rid else ""
    if "phone" in out:
        out["phone"] = mask_phone(out["phone"])
    return out

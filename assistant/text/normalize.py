"""Character normalisation that keeps every character in place, and Chinese numerals.

:func:`normalize` maps full-width letters, digits and punctuation to ASCII, lowers ASCII case,
turns control characters and unusual spaces into spaces and applies a character map (traditional
to simplified characters, single-character typing errors) — always one character for one, so a
span found in the normalised text is the same span in the doctor's text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["build_table", "cjk_prefix_counts", "is_cjk", "normalize", "zh_number"]


def build_table(char_map: Mapping[str, str] | None = None) -> dict[int, str]:
    """The translation table used by :func:`normalize` (one character to one character)."""
    table: dict[int, str] = {}
    for cp in range(0x00, 0x20):
        table[cp] = " "
    table[ord("\n")] = "\n"
    table[ord("\r")] = "\n"
    table[0x7F] = " "
    for cp in range(0x80, 0xA0):
        table[cp] = " "
    for cp in range(ord("A"), ord("Z") + 1):
        table[cp] = chr(cp + 32)
    for cp in range(0xFF01, 0xFF5F):  # full-width ASCII block
        ch = chr(cp - 0xFEE0)
        table[cp] = ch.lower()
    for cp in (0x00A0, 0x3000, 0x200B, 0x200C, 0x200D, 0x2028, 0x2029, 0xFEFF, *range(0x2000, 0x200B)):
        table[cp] = " "
    extra = {
        "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2032": "'",
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
        "\u2212": "-", "\ufe63": "-", "\u301c": "~", "\u2053": "~",
        "\u2082": "2", "\u00b2": "2", "\u3002": "。", "\uff61": "。", "\ufe50": ",", "\ufe51": "、",
        "\u2236": ":", "\ufe55": ":", "\u00d7": "×", "\u2715": "×", "\u2716": "×",
        "\u2103": "℃", "\u00ba": "°",
    }  # fmt: skip
    for k, v in extra.items():
        table[ord(k)] = v
    if char_map:
        for k, v in char_map.items():
            if len(k) == 1 and len(v) == 1:
                table[ord(k)] = v
    return table


_DEFAULT_TABLE = build_table()


def normalize(text: str, table: Mapping[int, str] | None = None) -> str:
    """Normalise ``text`` character by character; the result has exactly ``len(text)`` characters."""
    out = text.translate(table if table is not None else _DEFAULT_TABLE)
    if len(out) != len(text):  # pragma: no cover - the tables map one to one
        raise AssertionError("normalisation changed the length of the text")
    return out


def is_cjk(ch: str) -> bool:
    """A CJK ideograph (the characters Chinese words are made of)."""
    cp = ord(ch)
    return 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0xF900 <= cp <= 0xFAFF


_CJK_RUN = re.compile("[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]+")


def cjk_prefix_counts(text: str) -> list[int]:
    """``out[i]``: how many CJK ideographs ``text[:i]`` holds (length ``len(text) + 1``)."""
    out = [0] * (len(text) + 1)
    count = 0
    last = 0
    for m in _CJK_RUN.finditer(text):
        s, e = m.span()
        out[last + 1 : s + 1] = [count] * (s - last)
        out[s + 1 : e + 1] = range(count + 1, count + 1 + e - s)
        count += e - s
        last = e
    out[last + 1 :] = [count] * (len(text) - last)
    return out


_ZH_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5,
    "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
_VAGUE = {"几": 3.0, "数": 3.0, "多": 3.0}


def zh_number(s: str) -> float | None:
    """Arabic or Chinese numeral → number; ``None`` when ``s`` is not one.

    ``十五`` 15, ``二十`` 20, ``三十五`` 35, ``两`` 2, ``半`` 0.5, ``七八`` 8 (a range: the larger),
    ``十几`` 15, ``几`` 3, ``1.5`` 1.5.
    """
    s = s.strip()
    if not s:
        return None
    try:
        return float(s)
    except ValueError:
        pass
    if s == "半":
        return 0.5
    if s in _VAGUE:
        return _VAGUE[s]
    # two adjacent digits without a unit are a range: 七八 → 8, 三四 → 4
    if len(s) == 2 and s[0] in _ZH_DIGITS and s[1] in _ZH_DIGITS:
        return float(max(_ZH_DIGITS[s[0]], _ZH_DIGITS[s[1]]))
    total = 0.0
    current: float | None = None
    for i, ch in enumerate(s):
        if ch in _ZH_DIGITS:
            if current is not None:  # two digits in a row inside a larger number: not a numeral
                return None
            current = float(_ZH_DIGITS[ch])
        elif ch in _ZH_UNITS:
            unit = _ZH_UNITS[ch]
            total += (current if current is not None else 1.0) * unit
            current = None
        elif ch in ("几", "数"):
            current = 5.0 if i > 0 and s[i - 1] == "十" else 3.0
        else:
            return None
    if current is not None:
        total += current
    return total

"""Name normalisation shared by drug, drug-class, allergy and examination lookup.

Doctors type names in many shapes: ``阿莫西林胶囊 0.25g``, ``Amoxicillin 500 mg caps``, ``ＣＴ``,
``复查血常规``, ``对青霉素类药物过敏``. Lookup is exact on a normalised *key* (Unicode NFKC so
full-width letters become ASCII, case folded, everything but letters and digits removed), tried
first on the whole text and then on shorter variants with dosage forms, strengths, salts and filler
words removed. There is no substring or fuzzy matching: ``阿莫西林克拉维酸钾`` never falls back to
``阿莫西林``, it is either a known name or nothing.

The word lists below are language, not clinical knowledge: what a dosage form or a filler word
looks like in Chinese and English.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

__all__ = [
    "ALLERGY_NAME_RULES",
    "DRUG_NAME_RULES",
    "EXAM_NAME_RULES",
    "NameIndex",
    "NameRules",
    "name_key",
    "split_names",
]

_BRACKETS = re.compile(r"[(\[{【〔《]([^)\]}】〕》]*)[)\]}】〕》]")
_STRENGTH = re.compile(
    r"\d+(?:\.\d+)?\s*(?:mg|g|μg|ug|mcg|ml|iu|u|万单位|万u|万iu|单位|毫克|克|微克|毫升|%)(?![a-z])"
    r"(?:\s*/\s*(?:片|粒|支|袋|瓶|ml|毫升|tab|cap))?"
)
_PACK = re.compile(r"[x×*]\s*\d+\s*(?:粒|片|支|袋|瓶|盒|s)?(?![a-z])")
_MAX_AFFIX_REMOVALS = 6
_LIST_SEPARATORS = re.compile(r"[,，、;；|\n]+|\s+and\s+|\s*(?:以及|和|及|与|或)\s*|\s+or\s+")


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def name_key(text: str) -> str:
    """The lookup key of a name: NFKC, case folded, only letters and digits kept.

    >>> name_key("Amoxicillin-Clavulanate") == name_key("amoxicillin clavulanate")
    True
    >>> name_key("ＣＴ")
    'ct'
    """
    return "".join(ch for ch in _nfkc(text) if ch.isalnum())


def _word_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    items = sorted({w.casefold() for w in words}, key=len, reverse=True)
    if not items:
        return None
    alternatives = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in items)
    return re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?![a-z0-9])")


@dataclass(frozen=True)
class NameRules:
    """How to shorten a typed name before looking it up again.

    ``words`` are English words or phrases removed wherever they stand (``tablets``, ``for
    injection``, ``hydrochloride``); ``zh_prefixes`` / ``zh_suffixes`` are stripped one at a time
    from the start or end of the key (``注射用``, ``盐酸``; ``缓释片``, ``胶囊``, ``钠``).
    ``strip_strength`` removes strengths and pack sizes (``0.25g``, ``500 mg``, ``×24粒``).
    """

    words: tuple[str, ...] = ()
    zh_prefixes: tuple[str, ...] = ()
    zh_suffixes: tuple[str, ...] = ()
    strip_strength: bool = False
    _words_re: re.Pattern[str] | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_words_re", _word_pattern(self.words))
        object.__setattr__(self, "zh_prefixes", tuple(sorted(set(self.zh_prefixes), key=len, reverse=True)))
        object.__setattr__(self, "zh_suffixes", tuple(sorted(set(self.zh_suffixes), key=len, reverse=True)))

    def extended(
        self,
        *,
        words: Iterable[str] = (),
        zh_prefixes: Iterable[str] = (),
        zh_suffixes: Iterable[str] = (),
    ) -> NameRules:
        """These rules plus more words and affixes."""
        return NameRules(
            words=self.words + tuple(words),
            zh_prefixes=self.zh_prefixes + tuple(zh_prefixes),
            zh_suffixes=self.zh_suffixes + tuple(zh_suffixes),
            strip_strength=self.strip_strength,
        )

    def _affix_variants(self, key: str) -> Iterator[str]:
        """Keys with prefixes and suffixes removed, fewest removals first, in either order.

        ``硫酸氢氯吡格雷片`` gives ``硫酸氢氯吡格雷`` (suffix only) as well as ``氢氯吡格雷片``
        (prefix only): a salt prefix that is part of the registered name must not block the suffix.
        """
        seen = {key}
        level = [key]
        for _ in range(_MAX_AFFIX_REMOVALS):
            following: list[str] = []
            for current in level:
                for prefix in self.zh_prefixes:
                    if current.startswith(prefix) and len(current) > len(prefix):
                        following.append(current[len(prefix) :])
                for suffix in self.zh_suffixes:
                    if current.endswith(suffix) and len(current) > len(suffix):
                        following.append(current[: -len(suffix)])
            level = []
            for candidate in following:
                if candidate not in seen:
                    seen.add(candidate)
                    level.append(candidate)
                    yield candidate
            if not level:
                return

    def variants(self, text: str) -> list[str]:
        """Lookup keys for ``text``, most literal first, without duplicates or empty keys."""
        base = _nfkc(text)
        pieces = [base]
        inner = [m.group(1) for m in _BRACKETS.finditer(base)]
        if inner:
            pieces.append(_BRACKETS.sub(" ", base))
            pieces.extend(inner)
        out: list[str] = []

        def add(candidate: str) -> None:
            k = name_key(candidate)
            if k and k not in out:
                out.append(k)

        for piece in pieces:
            add(piece)
            if self.strip_strength:
                piece = _PACK.sub(" ", _STRENGTH.sub(" ", piece))
                add(piece)
            shortened = [piece]
            if self._words_re is not None:
                # drop filler words one at a time from the right: "antibiotic allergy" -> "antibiotic"
                for match in reversed(list(self._words_re.finditer(piece))):
                    piece = piece[: match.start()] + " " + piece[match.end() :]
                    add(piece)
                    shortened.append(piece)
            for candidate in shortened:
                for shorter in self._affix_variants(name_key(candidate)):
                    add(shorter)
        return out


def split_names(text: str) -> list[str]:
    """Split a typed list (``青霉素、头孢类``, ``penicillin and sulfa``) into its items."""
    return [part.strip() for part in _LIST_SEPARATORS.split(text) if part and part.strip()]


class NameIndex:
    """Normalised names → codes, refusing a name that would point at two different codes."""

    def __init__(self) -> None:
        self._codes: dict[str, str] = {}
        self._origins: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._codes)

    def add(self, name: str, code: str, origin: str) -> str | None:
        """Register ``name`` for ``code``; returns a problem message when the name is taken.

        ``origin`` says where the name comes from (``drugs.yaml row 3 (code=x): field 'synonyms'``).
        """
        key = name_key(name)
        if not key:
            return f"{origin}: name {name!r} has no letters or digits"
        other = self._codes.get(key)
        if other is not None and other != code:
            return f"{origin}: name {name!r} is already a name of {other!r} ({self._origins[key]})"
        self._codes.setdefault(key, code)
        self._origins.setdefault(key, origin)
        return None

    def lookup(self, text: str, rules: NameRules) -> str | None:
        """The code whose name matches ``text`` (whole text first, then its shorter variants)."""
        for key in rules.variants(text):
            code = self._codes.get(key)
            if code is not None:
                return code
        return None


_FORMS_ZH = (
    "片", "片剂", "胶囊", "胶囊剂", "软胶囊", "胶丸", "丸", "滴丸", "颗粒", "颗粒剂", "散", "散剂", "粉剂",
    "缓释片", "控释片", "肠溶片", "分散片", "咀嚼片", "泡腾片", "含片", "薄膜衣片", "口腔崩解片", "舌下片",
    "缓释胶囊", "肠溶胶囊", "控释胶囊",
    "注射液", "注射剂", "注射用粉针", "粉针剂", "粉针", "针剂", "针", "输液", "大输液",
    "口服液", "口服溶液", "溶液", "混悬液", "干混悬剂", "混悬剂", "混悬滴剂", "口服混悬液", "糖浆", "糖浆剂", "滴剂",
    "乳膏", "软膏", "凝胶", "搽剂", "洗剂", "栓", "栓剂", "贴剂", "贴",
    "滴眼液", "眼膏", "滴耳液", "滴鼻液", "鼻喷雾剂", "喷雾剂",
    "气雾剂", "吸入气雾剂", "粉雾剂", "吸入粉雾剂", "吸入剂", "吸入用混悬液", "雾化液", "雾化吸入",
    "缓释", "控释", "肠溶",
)
_SALTS_ZH_SUFFIX = ("钠", "钾", "钙", "镁", "磷酸钠", "琥珀酸钠", "醋酸钠")
_SALTS_ZH_PREFIX = (
    "盐酸", "硫酸", "苯磺酸", "甲磺酸", "马来酸", "酒石酸", "琥珀酸", "磷酸", "醋酸", "乳酸", "枸橼酸",
    "富马酸", "氢溴酸", "甲苯磺酸", "门冬氨酸", "注射用", "复合",
)
_FORMS_EN = (
    "tablet", "tablets", "tab", "tabs", "capsule", "capsules", "cap", "caps", "granules", "sachet",
    "sachets", "powder", "injection", "injections", "inj", "for injection", "infusion", "solution",
    "oral solution", "oral suspension", "suspension", "syrup", "drops", "oral drops", "eye drops",
    "ear drops", "cream", "ointment", "gel", "suppository", "suppositories", "patch", "inhaler",
    "aerosol", "nebuliser solution", "nebulizer solution", "nebules", "respules", "mdi", "spray",
    "sr", "er", "xl", "xr", "mr", "cr", "la", "ec", "dt", "gits", "enteric coated", "film coated",
    "extended release", "sustained release", "modified release", "controlled release", "prolonged release",
    "dispersible", "chewable", "effervescent", "orally disintegrating",
    "sodium", "potassium", "calcium", "magnesium", "hydrochloride", "hcl", "hydrobromide", "sulfate",
    "sulphate", "bisulfate", "hydrogen sulfate", "besylate", "besilate", "mesylate", "mesilate", "maleate",
    "tartrate", "succinate", "phosphate", "sodium phosphate", "acetate", "lactate", "fumarate", "citrate",
    "hyclate", "monohydrate", "trihydrate", "dihydrate", "axetil", "ethylsuccinate", "stearate",
    "lactobionate",
)

DRUG_NAME_RULES = NameRules(
    words=_FORMS_EN,
    zh_prefixes=_SALTS_ZH_PREFIX,
    zh_suffixes=_FORMS_ZH + _SALTS_ZH_SUFFIX,
    strip_strength=True,
)
"""Drug names: dosage forms, strengths, pack sizes and salts are dropped."""

ALLERGY_NAME_RULES = DRUG_NAME_RULES.extended(
    words=(
        "allergy", "allergies", "allergic", "allergic to", "hypersensitivity", "hypersensitive to",
        "intolerance", "reaction", "reactions", "history of", "drug", "drugs", "medicine", "medicines",
        "class", "group", "family", "type", "antibiotic", "antibiotics", "agent", "agents",
    ),
    zh_prefixes=("对", "有", "既往", "曾对"),
    zh_suffixes=(
        "过敏", "过敏史", "过敏反应", "类药物", "类药", "类", "药物", "药", "制剂", "成分",
        "抗生素", "抗菌药", "抗菌药物",
    ),
)
"""Allergy text: also ``对…过敏``, ``…类药物``, ``allergic to …``, ``… antibiotics``."""

EXAM_NAME_RULES = NameRules(
    words=(
        "test", "tests", "testing", "exam", "examination", "scan", "study", "check", "level", "levels",
        "panel", "screen", "screening", "assay", "profile", "repeat", "urgent", "stat", "the",
    ),
    zh_prefixes=("复查", "急查", "急诊", "床旁", "床边", "查", "做", "行", "予", "完善"),
    zh_suffixes=("检查", "检测", "化验", "测定", "项目", "结果", "报告", "一次", "复查"),
)
"""Examination names: ``复查…``, ``…检查``, ``… test`` are dropped."""

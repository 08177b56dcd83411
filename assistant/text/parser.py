"""Complaint → findings: the reading steps.

1. normalise (one character for one, so spans stay valid);
2. numbers: vital signs and durations (:mod:`.quantities`);
3. words: longest-match scan of Chinese characters and English word stems against one lexicon
   (findings, cues, body sites, sensations, qualifiers) plus punctuation;
4. compose body sites with sensations (``右下腹`` + ``痛`` → ``rlq_pain``) from the lexicon's table;
5. scope: negation (``无``/``denies`` … until a comma in Chinese, through a list in English,
   ended by ``但``/``but`` or ``伴``/``with``), post-cues (``阴性``, ``(-)``), family history,
   qualifiers (``瘙痒，夜间加重`` → itching worse at night);
6. attach durations to the findings they follow; derive course, vital-sign and implied findings.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from .english import stem, words
from .lexicon import Lexicon, Payload
from .normalize import cjk_prefix_counts, normalize
from .quantities import DurationReading, VitalReading, squeeze
from .result import CueMention, FindingMention, ParsedComplaint

__all__ = ["MAX_CHARS", "ComplaintParser"]

#: Longer texts are read up to this many characters (a complaint is a few hundred).
MAX_CHARS = 20_000

_PUNCT = re.compile(r"[。;!?\n]|\.(?!\d)|(?<!\d)\.|[,，]|、")
_STOP_CHARS = frozenset("。;!?\n.")
_CONJUNCTIONS = frozenset({"or", "nor", "and", "/"})

# gap limits, in units (an uncovered Chinese character or an English word counts one)
_SITE_GAP = {"zh": 5, "en": 3}
_CONTINUE_GAP = {"zh": 2, "en": 2}
_POST_GAP = 2
_FOCUS_AFTER = ("为主", "为著", "为甚", "为重", "明显", "最明显", "较明显", "最重")
_DESCRIBE_BEFORE = ("呈", "为", "是", "似", "如")
_PRIORITY = "FUNPQBRCVKTLSEM"
_RESETS = frozenset({"COMMA", "STOP", "F", "U", "N", "P", "Q", "R"})
_LOOK = 40  # how many tokens a look-back or look-ahead inspects at most


@dataclass(slots=True, eq=False)
class _Tok:
    start: int
    end: int
    lang: str
    role: str  # F U M N P Q B R C V L K T S E W NUM COMMA STOP; X once consumed
    payloads: tuple[Payload, ...] = ()
    p: Payload | None = None
    weight: int = 0
    pre_gap: int = 0
    present_codes: tuple[str, ...] = ()
    absent_codes: tuple[str, ...] = ()
    via: str = "word"
    duration: DurationReading | None = None
    clause: int = 0
    sentence: int = 0

    def names(self, kind: str) -> list[str]:
        return [p.name for p in self.payloads if p.kind == kind]

    def has(self, kind: str) -> bool:
        return any(p.kind == kind for p in self.payloads)


@dataclass(slots=True)
class _Neg:
    max_gap: int
    lang: str
    through_commas: bool
    negated: int = 0
    gap: int = 0
    after_comma: bool = False


@dataclass(slots=True)
class _Mention:
    codes: tuple[str, ...]
    present: bool
    start: int
    end: int
    subject: str
    via: str
    clause: int
    sentence: int
    history: bool = False


@dataclass(slots=True)
class _State:
    mentions: list[_Mention] = field(default_factory=list)
    cues: list[CueMention] = field(default_factory=list)


class ComplaintParser:
    """Reads complaints with one compiled :class:`~.lexicon.Lexicon` (build once, reuse; the
    parser keeps no state between calls and may be shared by threads)."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lex = lexicon
        self._closure_cache: dict[str, tuple[str, ...]] = {}
        self._resolved: dict[int, _Resolved] = {}

    # ------------------------------------------------------------------ public
    def parse(self, text: object) -> ParsedComplaint:
        """Read ``text`` (anything: None and non-text give an empty reading, never an error)."""
        original = _as_text(text)
        if len(original) > MAX_CHARS:
            original = original[:MAX_CHARS]
        if not original.strip():
            return ParsedComplaint(text=original)
        lex = self.lex
        norm = normalize(original, lex.table)
        squeezed = squeeze(norm)
        readings = lex.quantities.vitals(norm, original, squeezed)
        durs = lex.quantities.durations(norm, original, [(r.start, r.end) for r in readings], squeezed)
        toks = self._tokens(norm, readings, durs)
        self._compose(toks, norm)
        state = _State()
        self._scope(toks, state, original, norm)
        return self._assemble(original, toks, state, readings, durs)

    # ------------------------------------------------------------------ tokens
    def _tokens(self, norm: str, readings: list[VitalReading], durs: list[DurationReading]) -> list[_Tok]:
        lex = self.lex
        toks: list[_Tok] = []
        numbers = _Spans([(r.start, r.end) for r in readings] + [(d.start, d.end) for d in durs])

        for s, e, payloads in lex.zh.scan(norm):
            toks.append(_Tok(s, e, "zh", "", payloads))
        ws = words(norm)
        if ws:
            stems = [stem(w) for _, _, w in ws]
            covered = [False] * len(ws)
            for i, j, payloads in lex.en.scan(stems):
                toks.append(_Tok(ws[i][0], ws[j - 1][1], "en", "", payloads))
                for k in range(i, j):
                    covered[k] = True
            zh_spans = _Spans([(t.start, t.end) for t in toks if t.lang == "zh"])
            for k, (s, e, _w) in enumerate(ws):
                if covered[k] or numbers.contains(s, e) or zh_spans.contains(s, e):
                    continue
                toks.append(_Tok(s, e, "en", "W", weight=1))
        word_spans = _Spans([(t.start, t.end) for t in toks if t.payloads and t.end - t.start > 1])
        for m in _PUNCT.finditer(norm):
            if word_spans.contains(m.start(), m.end()):
                continue  # punctuation inside a listed phrase (red, hot, swollen)
            ch = m.group()
            if ch in _STOP_CHARS:
                if ch == "." and _is_decimal_point(norm, m.start()):
                    continue
                toks.append(_Tok(m.start(), m.end(), "zh", "STOP"))
            elif ch == "、":
                toks.append(_Tok(m.start(), m.end(), "zh", "L"))
            else:
                toks.append(_Tok(m.start(), m.end(), "zh", "COMMA"))
        for r in readings:
            toks.append(_Tok(r.start, r.end, "zh", "NUM"))
        for d in durs:
            toks.append(_Tok(d.start, d.end, "zh", "NUM", duration=d))
        toks.sort(key=lambda t: (t.start, -t.end))

        # uncovered Chinese characters before each token
        cjk = cjk_prefix_counts(norm)
        covered_end = 0
        for t in toks:
            if t.start > covered_end:
                t.pre_gap = cjk[t.start] - cjk[covered_end]
            if t.end > covered_end:
                covered_end = t.end
            if not t.role:
                _resolve(t, self._resolved)
        return toks

    # ------------------------------------------------------------------ sites × sensations
    def _lookup(self, site: str, sensation: str) -> tuple[str, ...]:
        """The table's findings for a site and a sensation: the most specific site with any of the
        sensation's ancestors, together with the most specific sensation at any of the site's
        ancestors (右侧头部 × 搏动性痛 → one-sided and throbbing headache)."""
        lex = self.lex
        sites = lex.site_chain.get(site, (site,))
        senses = lex.sensation_chain.get(sensation, (sensation,))
        out: list[str] = []
        for a in sites:
            hit = next((lex.combos[(a, b)] for b in senses if (a, b) in lex.combos), None)
            if hit:
                out.extend(c for c in hit if c not in out)
                break
        for b in senses:
            hit = next((lex.combos[(a, b)] for a in sites if (a, b) in lex.combos), None)
            if hit:
                out.extend(c for c in hit if c not in out)
                break
        return tuple(out)

    def _origin_sites(self, f_tok: _Tok) -> set[str]:
        origin: set[str] = set()
        for c in f_tok.present_codes:
            origin |= self.lex.code_sites.get(c, frozenset())
        return origin

    def _compatible(self, site_names: list[str], f_tok: _Tok) -> list[str]:
        """Site names that refine the finding ``f_tok`` names: sites inside the finding's own site
        (右下腹 refines 腹痛; 左侧 does not refine 胸痛)."""
        origin = self._origin_sites(f_tok)
        return [n for n in site_names if origin & set(self.lex.site_chain.get(n, (n,)))]

    def _closure_of(self, codes: tuple[str, ...]) -> set[str]:
        out: set[str] = set()
        for c in codes:
            out.update(self._closure(c))
        return out

    def _combine(
        self,
        sites: list[_Tok],
        sens: list[_Tok],
        toks: list[_Tok],
        index: _Index,
        site_names: list[list[str]] | None = None,
    ) -> bool:
        """Turn sites and sensations into one finding token when the table knows a pair.

        A sensation may be a finding word (腹痛 + 以右下腹为主): its sensation and only sites
        inside its own site count. ``site_names`` overrides the sites' names (virtual sites).
        """
        lex = self.lex
        codes: list[str] = []
        used: list[_Tok] = []
        for si, st in enumerate(sites):
            names = site_names[si] if site_names is not None else st.names("S")
            got = False
            for se in sens:
                sens_names = se.names("E")
                use_names = names
                if not sens_names:  # a finding word lends its sensation
                    sens_names = [lex.code_sensation[c] for c in se.present_codes if c in lex.code_sensation]
                    use_names = self._compatible(names, se)
                for sn in use_names:
                    for en in sens_names:
                        for c in self._lookup(sn, en):
                            if c not in codes:
                                codes.append(c)
                            got = True
            if got:
                used.append(st)
        if not codes:
            return False
        new_closure = self._closure_of(tuple(codes))
        keep: list[_Tok] = []
        for se in sens:
            if se.has("E"):
                if any(n in lex.keep_sensations for n in se.names("E")) and se.present_codes:
                    keep.append(se)  # 手足 + 疱疹: the blisters stay
                    se.role = "F"
            elif set(se.present_codes) <= new_closure:
                keep.append(se)  # 腹痛 stays beside 右下腹痛; 关节肿痛 after 右踝 does not
        real_sites = [t for t in used if t.end > t.start]
        span = real_sites + sens
        start = min(p.start for p in span)
        end = max(p.end for p in span)
        first = min(span, key=lambda t: t.start)
        for t in index.overlapping(toks, start, end):  # everything inside the span belongs to the new token
            if (
                start <= t.start
                and t.end <= end
                and t.role not in ("NUM", "X")
                and t not in keep
                and t.via == "word"
            ):
                t.role = "X"
        for t in keep:
            t.role = "F"
        toks.append(_Tok(start, end, first.lang, "F", present_codes=tuple(codes), via="site", pre_gap=first.pre_gap))
        return True

    def _virtual_site(self, names: tuple[str, ...] | list[str], at: _Tok) -> _Tok:
        return _Tok(at.start, at.start, at.lang, "S", tuple(Payload("S", name=n) for n in names))

    def _compose(self, toks: list[_Tok], norm: str) -> None:
        lex = self.lex
        n = len(toks)
        index = _Index([t.start for t in toks])
        # 1. site then sensation (both languages): 右下腹痛, 肚子右下边有点痛, knee is painful;
        #    a finding word that begins with a site lends it (左侧肢体麻木 + 无力)
        pending: list[_Tok] = []
        gap = 0
        for i in range(n):
            t = toks[i]
            if t.role in ("NUM", "X"):
                continue
            g = t.pre_gap
            near = pending and gap + g <= _SITE_GAP[t.lang]
            if near and t.role in ("E", "F", "S") and t.has("E") and self._combine(pending, [t], toks, index):
                gap = 0
                continue
            if (
                near
                and t.role == "F"
                and any(c in lex.code_sensation for c in t.present_codes)
                and self._combine(pending, [t], toks, index)
            ):
                pending = []
                gap = 0
                continue
            if t.role == "S":
                if not (pending and gap + g == 0):
                    pending = []
                pending.append(t)
                gap = 0
                continue
            if t.role == "F" and t.lang == "zh":
                prefix = lex.zh_site_prefix.get(norm[t.start : t.end])
                pending = [self._virtual_site(prefix, t)] if prefix else []
                gap = 0
                continue
            if t.role in _RESETS or (t.role == "B" and t.p is not None and t.p.name != "weak"):
                pending = []
                gap = 0
                continue
            if t.role in ("L", "T", "M"):
                gap += g
                continue
            gap += g + t.weight
        # 2. sensation then site: pain in the right lower quadrant, swollen legs, 放射至左肩
        i = 0
        while i < n:
            t = toks[i]
            forward = False
            if t.role == "E" or (t.role == "F" and t.has("E")):
                forward = t.lang == "en" or any(nm in lex.zh_site_after for nm in t.names("E"))
            elif t.role == "F" and t.lang == "en" and any(c in lex.code_sensation for c in t.present_codes):
                forward = True
            if not forward:
                i += 1
                continue
            sens = [t]
            j = i + 1
            while t.lang == "en" and j < n:  # more sensations (pain and swelling in …, painful swollen calf)
                if toks[j].role == "E":
                    sens.append(toks[j])
                    j += 1
                elif j + 1 < n and toks[j].role in ("L", "COMMA") and toks[j + 1].role == "E":
                    sens.append(toks[j + 1])
                    j += 2
                else:
                    break
            links = 0
            words_between = 0
            while j < n and toks[j].role in ("K", "L", "W", "NUM") and links + words_between <= 4:
                if toks[j].role == "K":
                    links += 1
                elif toks[j].role == "W":
                    words_between += 1
                j += 1
            if t.lang == "en" and t.role == "E" and j == i + len(sens) and j < n and toks[j].role == "F":
                # a sensation right before a finding word: its own site (cramping lower abdominal pain)
                f = toks[j]
                origin = sorted(self._origin_sites(f))
                if origin and f.pre_gap == 0 and self._combine([self._virtual_site(origin, f)], sens, toks, index, [origin]):
                    i = j + 1
                    continue
            ok = j < n and toks[j].role == "S"
            if ok and t.lang == "zh":
                ok = toks[j].pre_gap <= 3 and all(x.role in ("L", "NUM") for x in toks[i + 1 : j])
            if ok and t.lang == "en":
                ok = words_between <= 1 and not (t.role == "F" and links == 0)
            if not ok:
                i += 1
                continue
            sites = [toks[j]]
            k = j + 1
            while k < n:  # more sites (in the chest and back, cervical lymph nodes)
                if toks[k].role == "S":
                    sites.append(toks[k])
                    k += 1
                elif k + 1 < n and toks[k].role == "L" and toks[k + 1].role == "S":
                    sites.append(toks[k + 1])
                    k += 2
                else:
                    break
            if not self._combine(sites, sens, toks, index):
                i += 1
                continue
            i = k
        # 3. Chinese: a site or a description after the finding (腹痛，以右下腹为主; 头痛，呈紧箍样)
        for i in range(n):
            t = toks[i]
            if t.lang != "zh" or t.role not in ("S", "E"):
                continue
            before = norm[max(0, t.start - 1) : t.start]
            after = norm[t.end : t.end + 4]
            if t.role == "S" and not (before == "以" or after.startswith(_FOCUS_AFTER)):
                continue
            if t.role == "E" and before not in _DESCRIBE_BEFORE:
                continue
            prev = _previous_finding(toks, i, lex.code_sensation)
            if prev is None:
                continue
            if t.role == "S":
                if self._compatible(t.names("S"), prev):
                    self._combine([t], [prev], toks, index)
            else:
                origin = sorted(self._origin_sites(prev))
                if origin:
                    self._combine([self._virtual_site(origin, prev)], [t], toks, index, [origin])
        # 4. what is left: a sensation with a default finding (压痛 → abdominal tenderness); other
        # sites and sensations are ordinary words
        for t in toks[:n]:
            if t.role == "E":
                codes: list[str] = []
                for nm in t.names("E"):
                    codes.extend(c for c in lex.sensation_defaults.get(nm, ()) if c not in codes)
                if codes:
                    t.role = "F"
                    t.present_codes = tuple(codes)
                    t.via = "default"
                elif t.present_codes or t.absent_codes:
                    t.role = "F"
            if t.role in ("S", "E"):
                t.role = "M" if t.has("M") else "W"
            elif t.role == "K":
                t.role = "L"
            elif t.role == "F" and not t.present_codes and not t.absent_codes:
                t.role = "W"
        kept = [t for t in toks if t.role != "X"]
        kept.sort(key=lambda t: (t.start, -t.end))
        toks[:] = kept

    # ------------------------------------------------------------------ scope
    def _scope(self, toks: list[_Tok], st: _State, original: str, norm: str) -> None:
        lex = self.lex
        neg: _Neg | None = None
        family: str | None = None
        family_lang = "zh"
        clause = 0
        sentence = 0
        last: _Mention | None = None
        last_idx = 0
        prev_role = ""

        def cue(kind: str, t: _Tok) -> None:
            st.cues.append(CueMention(kind, t.start, t.end, original[t.start : t.end]))  # type: ignore[arg-type]

        for idx, t in enumerate(toks):
            t.clause, t.sentence = clause, sentence
            r = t.role
            if r == "NUM":
                continue
            if r == "STOP":
                neg, family, last = None, None, None
                sentence += 1
                clause += 1
                prev_role = r
                continue
            if r == "COMMA":
                clause += 1
                if neg is not None:
                    if neg.lang == "zh" or neg.negated == 0:
                        neg = None
                    elif neg.through_commas or _list_closes(toks, idx, norm):
                        neg.after_comma = True
                        neg.gap = 0
                    else:
                        neg = None
                if family == "relative" and family_lang == "zh":
                    family = None
                last = None
                prev_role = r
                continue
            if neg is not None:
                neg.gap += t.pre_gap
            if t.has("M"):
                self._qualify(t, st, sentence, clause)
            if r == "N":
                assert t.p is not None
                neg = _Neg(t.p.gap, t.p.lang, t.p.name == "list")
                cue("negation", t)
            elif r == "P":
                neg = None
                cue("pseudo_negation", t)
            elif r == "B":
                assert t.p is not None
                kind = t.p.name
                if kind == "contrast":
                    if neg is not None or family is not None:
                        cue("scope_end", t)
                    neg, family = None, None
                elif kind == "strong" or (neg is not None and neg.negated):
                    if neg is not None:
                        cue("scope_end", t)
                    neg = None
            elif r in ("L", "T", "M"):
                pass
            elif r == "U":  # a finding without a code: continues or ends a negated list like one
                if neg is not None:
                    if neg.gap <= self._limit(neg):
                        _negate_one(neg)
                    else:
                        neg = None
                last = None
            elif r == "R":
                assert t.p is not None
                cancel = prev_role == "C" or _next_has(toks, idx, "V")
                if not cancel:
                    family = t.p.name
                    family_lang = t.p.lang
                    cue("relative", t)
            elif r == "Q":
                assert t.p is not None
                value = t.p.value
                if t.p.name == "clause":
                    targets = [m for m in st.mentions if m.clause == clause and m.sentence == sentence]
                elif last is not None and _units_between(toks, last_idx, idx) <= _POST_GAP:
                    targets = [last]
                else:
                    targets = []
                for m in targets:
                    m.present = value
                if targets:
                    cue("post_affirmation" if value else "post_negation", t)
                if value:
                    neg = None
            elif r == "F":
                negated = False
                if neg is not None:
                    if neg.gap <= self._limit(neg):
                        negated = True
                        _negate_one(neg)
                    else:
                        neg = None
                subject = "relative" if family is not None else "patient"
                if subject == "relative" and set(t.present_codes + t.absent_codes) <= lex.contact_findings:
                    subject = "patient"  # 家人也有类似症状, wife tested positive: about the patient's exposure
                hist = lex.history_codes
                if t.present_codes:
                    last = _Mention(
                        t.present_codes, not negated, t.start, t.end, subject, t.via, clause, sentence,
                        all(c in hist for c in t.present_codes),
                    )  # fmt: skip
                    st.mentions.append(last)
                if t.absent_codes:
                    m = _Mention(
                        t.absent_codes, False, t.start, t.end, subject, t.via, clause, sentence,
                        all(c in hist for c in t.absent_codes),
                    )  # fmt: skip
                    st.mentions.append(m)
                    if not t.present_codes:
                        last = m
                last_idx = idx
            elif neg is not None:  # W, C, V and leftovers count as words between
                neg.gap += t.weight
            if r != "L":
                prev_role = r

    @staticmethod
    def _limit(neg: _Neg) -> int:
        if neg.negated == 0:
            return neg.max_gap
        return 1 if neg.after_comma else _CONTINUE_GAP[neg.lang]

    def _qualify(self, t: _Tok, st: _State, sentence: int, clause: int) -> None:
        """A qualifier (夜间加重, worse on exertion) makes an earlier finding of the sentence more
        specific: itching → itching worse at night."""
        for name in t.names("M"):
            rules = self.lex.qualifiers.get(name, ())
            for m in reversed(st.mentions):
                if m.sentence != sentence:
                    break
                closure = self._closure_of(m.codes)
                results = tuple(res for base, res in rules if base in closure and res not in m.codes)
                if results:
                    st.mentions.append(
                        _Mention(results, m.present, t.start, t.end, m.subject, "site", clause, sentence)
                    )
                    break

    # ------------------------------------------------------------------ assemble
    def _closure(self, code: str) -> tuple[str, ...]:
        got = self._closure_cache.get(code)
        if got is not None:
            return got
        out = [code]
        i = 0
        while i < len(out):
            for c in self.lex.implies.get(out[i], ()):
                if c not in out:
                    out.append(c)
            i += 1
        res = tuple(out)
        self._closure_cache[code] = res
        return res

    def _assemble(
        self,
        original: str,
        toks: list[_Tok],
        st: _State,
        readings: list[VitalReading],
        durs: list[DurationReading],
    ) -> ParsedComplaint:
        lex = self.lex
        findings: dict[str, bool] = {}
        derived: dict[str, str] = {}
        # explicit mentions: a positive mention wins over a negated one
        for m in st.mentions:
            if m.subject != "patient":
                continue
            for c in m.codes:
                if m.present:
                    findings[c] = True
                elif c not in findings:
                    findings[c] = False
        for m in st.mentions:
            if m.subject != "relative":
                continue
            for c in m.codes:
                for r in lex.when_relative.get(c, ()):
                    if m.present:
                        findings[r] = True
                    elif r not in findings:
                        findings[r] = False
                    derived.setdefault(r, f"relative: {c}")
        self._imply(findings, derived)

        # durations → illness course and per-finding durations
        illness, per_code = self._attach(toks, st)
        duration_days = max(illness) if illness else None
        vitals = lex.quantities.combine(readings)
        for code, vital, at_least in lex.vital_rules:
            if code in findings or vital not in vitals:
                continue
            value = vitals[vital]
            findings[code] = value >= at_least
            derived[code] = f"{vital} {value:g} {'≥' if value >= at_least else '<'} {at_least:g}"
        for code, of, lo, hi, sets_absent in lex.duration_rules:
            if code in findings:
                continue
            if of is None:
                days = duration_days
            else:
                if not findings.get(of):
                    continue
                own = [d for c, d in per_code if of in self._closure(c)]
                days = max(own) if own else duration_days
            if days is None:
                continue
            ok = (lo is None or days >= lo) and (hi is None or days <= hi)
            if not ok and not sets_absent:
                continue
            findings[code] = ok
            derived[code] = f"{of + ' ' if of else ''}duration {days:g} d"
        self._imply(findings, derived)

        mentions = tuple(
            FindingMention(m.codes, m.present, m.start, m.end, original[m.start : m.end], m.subject, m.via)  # type: ignore[arg-type]
            for m in st.mentions
        )
        return ParsedComplaint(
            text=original,
            findings=findings,
            vitals=vitals,
            duration_days=None if duration_days is None else round(duration_days, 4),
            mentions=mentions,
            readings=tuple(readings),
            durations=tuple(durs),
            cues=tuple(st.cues),
            derived=derived,
        )

    def _imply(self, findings: dict[str, bool], derived: dict[str, str]) -> None:
        for code, value in list(findings.items()):
            if not value:
                continue
            for c in self._closure(code)[1:]:
                if c not in findings:
                    findings[c] = True
                    derived[c] = f"implied by {code}"

    def _attach(self, toks: list[_Tok], st: _State) -> tuple[list[float], list[tuple[str, float]]]:
        """Durations → (durations of the illness, (code, days) for the findings they belong to).

        A duration belongs to the findings before it in its clause (``咳嗽3天``), or when there are
        none to those after it (``3天前出现发热``); from a clause of symptoms it also reaches back over
        earlier clauses of symptoms in the sentence (``咳嗽，咳痰，发热3周``). Durations of history
        items (``高血压10年``), of a relative's illness and of single episodes (``每次持续5分钟``,
        ``晨僵1小时``) are not the illness's; the time since an injury, bite or exposure is. A
        relative time (``昨天``) counts only when it belongs to a symptom.
        """
        dur_idx = [i for i, t in enumerate(toks) if t.role == "NUM" and t.duration is not None]
        if not dur_idx:
            return [], []
        lex = self.lex
        by_clause: dict[int, list[_Mention]] = {}
        for m in st.mentions:
            by_clause.setdefault(m.clause, []).append(m)
        clause_sentence = {t.clause: t.sentence for t in toks}
        clauses_with_duration = {toks[i].clause for i in dur_idx}

        def counts(m: _Mention) -> bool:  # a finding whose duration is the illness's
            return m.subject == "patient" and (not m.history or bool(set(m.codes) & lex.onset_findings))

        illness: list[float] = []
        loose: list[float] = []
        per_code: list[tuple[str, float]] = []
        for i in dur_idx:
            d = toks[i]
            assert d.duration is not None
            days = d.duration.days
            episode = days < 1.0 and _after_episode_cue(toks, i)
            here = by_clause.get(d.clause, [])
            attached = [m for m in here if m.end <= d.start and m.present]
            episode_clause = bool(attached) and all(set(m.codes) <= lex.episode_findings for m in attached)
            if attached and not episode_clause and all(counts(m) for m in attached):
                c = d.clause - 1
                while c >= 0 and clause_sentence.get(c, -1) == d.sentence and c not in clauses_with_duration:
                    ms = by_clause.get(c, [])
                    if any(not counts(m) for m in ms):
                        break
                    attached.extend(m for m in ms if m.present)
                    c -= 1
            if not attached:
                attached = [m for m in here if m.start >= d.end and m.present]
            own = [m for m in attached if counts(m)]
            for m in own:
                per_code.extend((c, days) for c in m.codes)
            if episode or episode_clause:
                continue  # the length of one episode, not of the illness
            if own:
                illness.append(days)
            elif not attached and not d.duration.relative:
                loose.append(days)
        # a duration that belongs to no finding (病程3天, 服药3天无好转) counts only when none belongs
        # to a symptom (not 绝经10年 beside 腹胀3个月)
        return (illness or loose), per_code


# ---------------------------------------------------------------------- helpers
_Resolved = tuple[tuple[Payload, ...], tuple[str, ...], tuple[str, ...], str, Payload | None]
_RESOLVED_MAX = 100_000


def _resolve(t: _Tok, memo: dict[int, _Resolved]) -> None:
    """Pick the token's role from its payloads (composition may still change it). ``memo`` keeps
    the answer per payload tuple (keyed by identity; the value holds the tuple, so its id stays
    taken while the entry lives)."""
    got = memo.get(id(t.payloads))
    if got is None:
        present: list[str] = []
        absent: list[str] = []
        for p in t.payloads:
            if p.kind == "F":
                target = present if p.value else absent
                target.extend(c for c in p.codes if c not in present and c not in absent)
        kinds = {p.kind for p in t.payloads}
        role, chosen = "", None
        for k in _PRIORITY:
            if k in kinds:
                role, chosen = k, next(p for p in t.payloads if p.kind == k)
                break
        got = (t.payloads, tuple(present), tuple(absent), role, chosen)
        if len(memo) < _RESOLVED_MAX:
            memo[id(t.payloads)] = got
    _, t.present_codes, t.absent_codes, role, chosen = got
    if role:
        t.role = role
        t.p = chosen
    t.weight = max(1, t.end - t.start) if t.lang == "zh" else 1


def _previous_finding(toks: list[_Tok], i: int, code_sensation: dict[str, str]) -> _Tok | None:
    for k in range(i - 1, max(-1, i - 1 - _LOOK), -1):
        f = toks[k]
        if f.role == "STOP":
            return None
        if f.role == "F" and any(c in code_sensation for c in f.present_codes):
            return f
    return None


def _negate_one(neg: _Neg) -> None:
    neg.negated += 1
    neg.gap = 0
    neg.after_comma = False


def _list_closes(toks: list[_Tok], idx: int, norm: str) -> bool:
    """English: whether the list after this comma ends with or/nor/and before the sentence ends
    (no fever, chills or cough), so the negation reaches through the commas."""
    for t in toks[idx + 1 : idx + 1 + _LOOK]:
        if t.role in ("STOP", "N", "B", "P"):
            return False
        if t.role == "L" and norm[t.start : t.end] in _CONJUNCTIONS:
            return True
    return False


def _as_text(text: object) -> str:
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    if isinstance(text, bytes | bytearray):
        return bytes(text).decode("utf-8", errors="replace")
    try:
        return str(text)
    except Exception:  # noqa: BLE001 - an object whose __str__ fails is just unreadable
        return ""


def _is_decimal_point(norm: str, i: int) -> bool:
    return 0 < i < len(norm) - 1 and norm[i - 1].isdigit() and norm[i + 1].isdigit()


def _next_has(toks: list[_Tok], idx: int, kind: str) -> bool:
    for t in toks[idx + 1 : idx + 1 + _LOOK]:
        if t.role in ("NUM", "L"):
            continue
        return t.has(kind)
    return False


def _after_episode_cue(toks: list[_Tok], i: int) -> bool:
    """Whether duration token ``i`` follows an episode cue (每次, 持续约, lasting) closely."""
    gap = toks[i].pre_gap
    for k in range(i - 1, max(-1, i - 1 - _LOOK), -1):
        t = toks[k]
        if t.role == "T" or t.has("T"):
            return gap <= 2
        if t.role in ("NUM", "L"):
            gap += t.pre_gap
            continue
        if t.role in ("W", "B") and gap == 0 and t.lang == "en" and t.weight <= 1:
            gap += 1
            continue
        return False
    return False


def _units_between(toks: list[_Tok], a: int, b: int) -> int:
    """Words and uncovered Chinese characters between token ``a`` and token ``b``."""
    units = 0
    for k in range(a + 1, b + 1):
        t = toks[k]
        units += t.pre_gap
        if k != b and t.role in ("W", "C", "V"):
            units += t.weight
        if units > _POST_GAP:
            break
    return units


class _Index:
    """Start positions of the sorted tokens before composition appends new ones."""

    __slots__ = ("n", "starts")

    def __init__(self, starts: list[int]) -> None:
        self.starts = starts
        self.n = len(starts)

    def overlapping(self, toks: list[_Tok], start: int, end: int) -> list[_Tok]:
        """Tokens that may lie inside ``start..end``: the sorted original ones found by bisection,
        and the few composed ones appended after them."""
        lo = bisect_right(self.starts, start - 1)
        hi = bisect_right(self.starts, end)
        return toks[lo:hi] + toks[self.n :]


class _Spans:
    """Sorted character spans; ``contains`` tells whether a span lies inside one of them."""

    __slots__ = ("ends", "starts")

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        merged: list[list[int]] = []
        for a, b in sorted(spans):
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        self.starts = [a for a, _ in merged]
        self.ends = [b for _, b in merged]

    def contains(self, s: int, e: int) -> bool:
        k = bisect_right(self.starts, s) - 1
        return k >= 0 and e <= self.ends[k]

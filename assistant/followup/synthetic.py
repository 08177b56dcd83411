"""A synthetic village (or province): patients and follow-up visits with realistic shape.

Everything is made up: names from common surnames and given-name characters, fictional villages
and doctors, resident IDs that pass the check-character test (GB 11643) but belong to no one,
mobile numbers of the usual shape. Visits follow the protocols roughly (2 weeks after an
off-target visit, about 3 months otherwise) with late visits and drop-outs, so the follow-up list
has every status. Fully vectorised: one million patients take seconds. ``seed`` makes it
reproducible. Used for ``data_samples/village/`` and ``bench/bench_followup.py``.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from ..records.resident_id import WEIGHTS

__all__ = ["generate_village"]

_SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_GIVEN_MALE = list("建国伟强军平刚明辉勇杰涛斌超鹏华林峰磊志海东波春雷德福贵生庆永")
_GIVEN_FEMALE = list("秀英兰芳娟敏静丽艳玲桂珍凤霞梅萍红燕琴云莲翠玉彩淑美")
_VILLAGE_A = ["李家", "王庄", "石桥", "河口", "柳树湾", "东山", "西岭", "北坡", "南洼", "杨树沟", "马家", "张庄",
              "后营", "前寨", "红旗", "新民", "大槐树", "小河", "白沙", "青龙", "枣林", "双井", "高庙", "孙家"]  # fmt: skip
_REGIONS = [
    "410522",
    "410523",
    "411421",
    "341221",
    "341222",
    "511621",
    "430723",
    "360733",
    "370826",
    "130626",
]
_DANGER = ["剧烈头痛", "胸闷;心悸", "视物模糊", "意识模糊", "恶心呕吐", "呼吸困难不能平卧"]
_DM_DANGER = ["呼气烂苹果味", "多饮多尿明显", "心悸出汗", "深大呼吸"]
_CHILD_DANGER = ["拒奶", "高热惊厥", "精神萎靡"]
_PREG_DANGER = ["阴道流血", "头痛视物模糊", "胎动减少"]

_EPOCH = np.datetime64("1970-01-01", "D")


def _d(x: date | np.datetime64) -> np.int64:
    return np.int64((np.datetime64(x, "D") - _EPOCH).astype(np.int64))


def _check_chars(first17: np.ndarray) -> np.ndarray:
    """ISO 7064 MOD 11-2 check character for rows of 17 digits (uint8 0-9)."""
    total = (first17.astype(np.int64) * np.asarray(WEIGHTS)).sum(axis=1) % 11
    return np.array(list("10X98765432"))[total]


def _names(rng: np.random.Generator, n: int, male: np.ndarray) -> np.ndarray:
    sur = np.array(_SURNAMES, dtype=object)[rng.integers(0, len(_SURNAMES), n)]
    gm = np.array(_GIVEN_MALE, dtype=object)
    gf = np.array(_GIVEN_FEMALE, dtype=object)
    first = np.where(male, gm[rng.integers(0, len(gm), n)], gf[rng.integers(0, len(gf), n)])
    second = np.where(male, gm[rng.integers(0, len(gm), n)], gf[rng.integers(0, len(gf), n)])
    two = rng.random(n) < 0.7
    return sur + first + np.where(two, second, "")


def _resident_ids(
    rng: np.random.Generator, birth: np.ndarray, male: np.ndarray, region: np.ndarray
) -> np.ndarray:
    n = len(birth)
    ymd = pd.to_datetime(birth).strftime("%Y%m%d").to_numpy(dtype=object)
    seq = rng.integers(0, 100, n) * 10 + np.where(
        male, rng.choice([1, 3, 5, 7, 9], n), rng.choice([0, 2, 4, 6, 8], n)
    )
    seq_s = pd.Series(seq).astype(str).str.zfill(3).to_numpy(dtype=object)
    first17 = region + ymd + seq_s
    digits = np.frombuffer("".join(first17).encode("ascii"), dtype=np.uint8).reshape(n, 17) - ord("0")
    return first17 + _check_chars(digits).astype(object)


def _phones(rng: np.random.Generator, n: int) -> np.ndarray:
    second = np.array(list("35789"), dtype=object)[rng.integers(0, 5, n)]
    rest = pd.Series(rng.integers(0, 10**9, n)).astype(str).str.zfill(9).to_numpy(dtype=object)
    return "1" + second + rest


def generate_village(
    n_patients: int = 300,
    *,
    start: date = date(2025, 1, 1),
    end: date = date(2026, 11, 30),
    seed: int = 20261126,
    patients_per_village: int = 60,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(patients, visits)`` in the CSV shapes of CONTRACTS §3 (plus ``lmp``, ``delivery_date``,
    ``temperature_c``, ``danger_grade``); visits dated from ``start`` to ``end``."""
    rng = np.random.default_rng(seed)
    n = n_patients
    s, e = _d(start), _d(end)
    kind = rng.choice(["adult", "child", "pregnant"], n, p=[0.88, 0.08, 0.04])
    male = np.where(kind == "pregnant", False, rng.random(n) < 0.48)
    age_end = np.where(
        kind == "adult",
        np.clip(rng.normal(64, 11, n), 35, 95),
        np.where(kind == "child", rng.uniform(0, 7.5, n), rng.uniform(21, 40, n)),
    )
    birth_d = e - np.round(age_end * 365.25).astype(np.int64) - rng.integers(0, 30, n)
    birth = (_EPOCH + birth_d).astype("datetime64[D]")
    n_vill = max(1, int(np.ceil(n / patients_per_village)))
    base_names = [a + "村" for a in _VILLAGE_A]
    vnames = np.array(
        [
            base_names[i % len(base_names)] + ("" if i < len(base_names) else str(i // len(base_names) + 1))
            for i in range(n_vill)
        ],
        dtype=object,
    )
    village_idx = rng.integers(0, n_vill, n)
    doc_rng = np.random.default_rng(seed + 1)
    doctors = _names(doc_rng, n_vill, doc_rng.random(n_vill) < 0.6)
    region = np.array(_REGIONS, dtype=object)[village_idx % len(_REGIONS)]

    age_start = age_end - (e - s) / 365.25
    htn = (kind == "adult") & (rng.random(n) < np.clip(0.35 + (age_end - 35) * 0.008, 0, 0.8))
    dm = (kind == "adult") & (rng.random(n) < 0.22)
    elderly = (kind == "adult") & (age_start >= 65) & (rng.random(n) < 0.85)
    tb = (kind == "adult") & (rng.random(n) < 0.01)
    mental = (kind == "adult") & (rng.random(n) < 0.02)
    adult_none = (kind == "adult") & ~(htn | dm | elderly | tb | mental)
    htn |= adult_none
    child = kind == "child"
    preg = kind == "pregnant"
    prog_cols = {"hypertension": htn, "diabetes": dm, "elderly": elderly, "tuberculosis": tb,
                 "mental": mental, "child": child, "pregnancy": preg}  # fmt: skip
    programs = np.full(n, "", dtype=object)
    for code, m in prog_cols.items():
        programs = np.where(m, np.where(programs == "", code, programs + ";" + code), programs)

    enrolled_d = np.where(
        rng.random(n) < 0.85, s - rng.integers(30, 2500, n), s + rng.integers(0, max(1, e - s - 30), n)
    )
    tb_start = s + rng.integers(0, max(1, e - s - 20), n)
    enrolled_d = np.where(tb, tb_start, enrolled_d)
    enrolled_d = np.where(child, np.maximum(birth_d + rng.integers(0, 4, n), birth_d), enrolled_d)
    lmp_d = s - 200 + rng.integers(0, max(1, e - s + 170), n)
    enrolled_d = np.where(preg, lmp_d + rng.integers(40, 90, n), enrolled_d)
    enrolled_d = np.maximum(enrolled_d, birth_d)
    delivered_d = lmp_d + 266 + rng.integers(0, 21, n)
    has_delivery = preg & (delivered_d <= e)

    ids = _resident_ids(rng, birth, male, region)
    ids = np.where(rng.random(n) < 0.08, "", ids)
    phones = np.where(rng.random(n) < 0.05, "", _phones(rng, n))
    width = len(str(n))
    pid = np.char.add("P", np.char.zfill(np.arange(1, n + 1).astype(str), max(5, width))).astype(object)

    def iso(days: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        out = np.datetime_as_string((_EPOCH + days).astype("datetime64[D]"), unit="D").astype(object)
        return out if mask is None else np.where(mask, out, "")

    patients = pd.DataFrame(
        {
            "patient_id": pid,
            "name": _names(rng, n, male),
            "sex": np.where(male, "male", "female"),
            "birth_date": iso(birth_d),
            "resident_id": ids,
            "phone": phones,
            "village": vnames[village_idx],
            "doctor": doctors[village_idx],
            "programs": programs,
            "enrolled_on": iso(enrolled_d),
            "lmp": iso(lmp_d, preg),
            "delivery_date": iso(delivered_d, has_delivery),
        }
    )

    parts: list[pd.DataFrame] = []
    # chronic programs with targets or grades: hypertension, diabetes, mental
    for code in ("hypertension", "diabetes", "mental"):
        parts.append(_chronic(rng, code, np.flatnonzero(prog_cols[code]), enrolled_d, s, e, age_end))
    parts.append(_elderly(rng, np.flatnonzero(elderly), enrolled_d, s, e))
    parts.append(_tb(rng, np.flatnonzero(tb), enrolled_d, s, e))
    parts.append(_contacts(rng, "child", np.flatnonzero(child), birth_d, None, s, e))
    parts.append(
        _contacts(
            rng, "pregnancy", np.flatnonzero(preg), lmp_d, np.where(has_delivery, delivered_d, -1), s, e
        )
    )
    visits = pd.concat([p for p in parts if len(p)], ignore_index=True)
    visits = visits.sort_values(["date", "p"], kind="stable").reset_index(drop=True)
    visits.insert(0, "patient_id", pid[visits.pop("p").to_numpy()])
    visits["date"] = iso(visits["date"].to_numpy(dtype=np.int64))
    for c in ("systolic_bp", "diastolic_bp", "heart_rate", "danger_grade"):
        visits[c] = pd.array(np.where(np.isnan(visits[c]), None, np.round(visits[c])), dtype="Int64")
    visits["fasting_glucose_mmol_l"] = np.round(visits["fasting_glucose_mmol_l"], 1)
    visits["temperature_c"] = np.round(visits["temperature_c"], 1)
    for c in ("adverse_reaction", "new_complication", "referred"):
        visits[c] = visits[c].astype(np.int64)
    cols = ["patient_id", "date", "program", "systolic_bp", "diastolic_bp", "fasting_glucose_mmol_l",
            "heart_rate", "danger_signs", "adverse_reaction", "new_complication", "referred",
            "temperature_c", "danger_grade"]  # fmt: skip
    return patients, visits[cols]


def _frame(rng: np.random.Generator, p: np.ndarray, d: np.ndarray, program: str) -> dict[str, np.ndarray]:
    k = len(p)
    return {
        "p": p,
        "date": d,
        "program": np.full(k, program, dtype=object),
        "systolic_bp": np.full(k, np.nan),
        "diastolic_bp": np.full(k, np.nan),
        "fasting_glucose_mmol_l": np.full(k, np.nan),
        "heart_rate": np.round(rng.normal(76, 9, k)),
        "danger_signs": np.full(k, "", dtype=object),
        "adverse_reaction": (rng.random(k) < 0.02).astype(np.int64),
        "new_complication": (rng.random(k) < 0.01).astype(np.int64),
        "referred": np.zeros(k, dtype=np.int64),
        "temperature_c": np.full(k, np.nan),
        "danger_grade": np.full(k, np.nan),
    }


def _chronic(
    rng: np.random.Generator,
    code: str,
    who: np.ndarray,
    enrolled: np.ndarray,
    s: np.int64,
    e: np.int64,
    age: np.ndarray,
) -> pd.DataFrame:
    """Visits every ~90 days, ~14 after an off-target one; some late, some drop out."""
    if who.size == 0:
        return pd.DataFrame()
    mu_sbp = rng.normal(138, 13, who.size)
    mu_fpg = rng.normal(7.0, 1.5, who.size)
    p_grade = rng.random(who.size)
    t = np.maximum(enrolled[who], s) + rng.integers(0, 75, who.size)
    active = (rng.random(who.size) > 0.03) & (t <= e)
    chunks = []
    while active.any():
        idx = np.flatnonzero(active)
        p = who[idx]
        f = _frame(rng, p, t[idx], code)
        k = len(idx)
        off = np.zeros(k, dtype=bool)
        if code in ("hypertension", "diabetes"):
            sbp = np.clip(np.round(mu_sbp[idx] + rng.normal(0, 10, k)), 85, 230)
            dbp = np.clip(np.round(0.5 * sbp + rng.normal(12, 6, k)), 50, 130)
            dbp = np.minimum(dbp, sbp - 20)
            f["systolic_bp"], f["diastolic_bp"] = sbp, dbp
            limit = np.where(age[p] >= 65, 150, 140)
            if code == "hypertension":
                off = (sbp >= limit) | (dbp >= 90)
                f["danger_signs"] = np.where(
                    rng.random(k) < 0.004,
                    np.array(_DANGER, dtype=object)[rng.integers(0, len(_DANGER), k)],
                    "",
                )
            else:
                fpg = np.clip(np.round(mu_fpg[idx] + rng.normal(0, 0.9, k), 1), 2.8, 25)
                f["fasting_glucose_mmol_l"] = fpg
                off = fpg >= 7.0
                f["danger_signs"] = np.where(
                    rng.random(k) < 0.004,
                    np.array(_DM_DANGER, dtype=object)[rng.integers(0, len(_DM_DANGER), k)],
                    "",
                )
                f["temperature_c"] = np.where(
                    rng.random(k) < 0.3, np.round(rng.normal(36.6, 0.4, k), 1), np.nan
                )
            missing = rng.random(k) < 0.03  # a visit without the measurement
            for c in ("systolic_bp", "diastolic_bp", "fasting_glucose_mmol_l"):
                f[c] = np.where(missing, np.nan, f[c])
        else:
            grade = np.where(
                p_grade[idx] < 0.8,
                0,
                np.where(rng.random(k) < 0.75, rng.integers(1, 3, k), rng.integers(3, 6, k)),
            )
            grade = np.where(rng.random(k) < 0.85, np.where(p_grade[idx] < 0.8, 0, grade), grade)
            f["danger_grade"] = grade.astype(float)
            off = grade >= 1
        f["referred"] = ((f["danger_signs"] != "") | (f["new_complication"] == 1)).astype(np.int64)
        chunks.append(pd.DataFrame(f))
        gap = np.where(off | (f["adverse_reaction"] == 1), rng.integers(10, 20, k), rng.integers(75, 100, k))
        gap = np.where(rng.random(k) < 0.15, (gap * rng.uniform(1.3, 2.5, k)).astype(np.int64), gap)
        t[idx] = t[idx] + gap
        active[idx] = (t[idx] <= e) & (rng.random(k) > 0.02)
    return pd.concat(chunks, ignore_index=True)


def _elderly(
    rng: np.random.Generator, who: np.ndarray, enrolled: np.ndarray, s: np.int64, e: np.int64
) -> pd.DataFrame:
    if who.size == 0:
        return pd.DataFrame()
    t = np.maximum(enrolled[who], s) + rng.integers(0, 365, who.size)
    chunks = []
    active = (t <= e) & (rng.random(who.size) > 0.1)
    while active.any():
        idx = np.flatnonzero(active)
        f = _frame(rng, who[idx], t[idx], "elderly")
        k = len(idx)
        f["systolic_bp"] = np.round(rng.normal(136, 15, k))
        f["diastolic_bp"] = np.minimum(np.round(rng.normal(80, 9, k)), f["systolic_bp"] - 20)
        f["fasting_glucose_mmol_l"] = np.round(rng.normal(5.8, 1.0, k), 1).clip(3.0, 20)
        f["referred"] = (rng.random(k) < 0.03).astype(np.int64)
        chunks.append(pd.DataFrame(f))
        t[idx] = t[idx] + rng.integers(330, 420, k)
        active[idx] = t[idx] <= e
    return pd.concat(chunks, ignore_index=True)


def _tb(
    rng: np.random.Generator, who: np.ndarray, enrolled: np.ndarray, s: np.int64, e: np.int64
) -> pd.DataFrame:
    if who.size == 0:
        return pd.DataFrame()
    start = enrolled[who]
    t = start + rng.integers(1, 5, who.size)
    active = t <= e
    chunks = []
    while active.any():
        idx = np.flatnonzero(active)
        f = _frame(rng, who[idx], t[idx], "tuberculosis")
        chunks.append(pd.DataFrame(f))
        k = len(idx)
        day = t[idx] - start[idx]
        gap = np.where(day < 60, rng.integers(9, 12, k), rng.integers(27, 34, k))
        t[idx] = t[idx] + gap
        active[idx] = (t[idx] <= e) & (t[idx] - start[idx] <= 185) & (rng.random(k) > 0.02)
    return pd.concat(chunks, ignore_index=True)


def _contacts(
    rng: np.random.Generator,
    code: str,
    who: np.ndarray,
    anchor: np.ndarray,
    delivered: np.ndarray | None,
    s: np.int64,
    e: np.int64,
) -> pd.DataFrame:
    """Visits near each scheduled contact (85 % attendance)."""
    if who.size == 0:
        return pd.DataFrame()
    if code == "child":
        offsets = (
            [3, 29]
            + [round(m * 30.4375) for m in (3, 6, 8, 12, 18, 24, 30, 36)]
            + [round(y * 365.25) for y in (4, 5, 6)]
        )
        plan = [(o, anchor[who]) for o in offsets]
    else:
        plan = [(o, anchor[who]) for o in (70, 125, 160, 220, 270)]
        plan += [(o, delivered[who]) for o in (4, 45)]  # type: ignore[index]
    chunks = []
    for offset, base in plan:
        d = base + offset + rng.integers(-3, 10, who.size)
        ok = (base >= 0) & (d >= s) & (d <= e) & (rng.random(who.size) < 0.85)
        if code == "pregnancy" and delivered is not None:
            dv = delivered[who]
            ok &= (dv < 0) | (offset in (4, 45)) | (d < dv)
        if not ok.any():
            continue
        idx = np.flatnonzero(ok)
        f = _frame(rng, who[idx], d[idx], code)
        k = len(idx)
        danger = _CHILD_DANGER if code == "child" else _PREG_DANGER
        f["danger_signs"] = np.where(
            rng.random(k) < 0.01, np.array(danger, dtype=object)[rng.integers(0, len(danger), k)], ""
        )
        if code == "pregnancy":
            f["systolic_bp"] = np.round(rng.normal(115, 11, k))
            f["diastolic_bp"] = np.minimum(np.round(rng.normal(72, 8, k)), f["systolic_bp"] - 20)
        f["adverse_reaction"] = np.zeros(k, dtype=np.int64)
        f["referred"] = ((f["danger_signs"] != "") | (f["new_complication"] == 1)).astype(np.int64)
        chunks.append(pd.DataFrame(f))
    return pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()

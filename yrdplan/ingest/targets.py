"""Quantitative targets in a plan's clean text: which indicator, how much, by when, where.

:func:`extract_targets` works on *clean* text (simplified, pinyin glosses removed, ASCII
digits; see ``yrdplan.ingest.clean``) and the nodes parsed from it, and returns every
quantitative target as an :class:`~yrdplan.domain.plans.ExtractedTarget` with clean-text
offsets, plus problems (unknown indicator, no target year, a standard it cannot resolve).

What counts as a target
-----------------------
A number is a target only when a target verb governs it: "达到 / 提高到 / 不低于 / 超过 /
突破 / 力争 …" (at least), "不超过 / 控制在 / 降低到 / 缩小到 …" (at most), "保持在 / 稳定在"
(about), "较2017年下降" (relative to a base year), "下降 / 增长 X%" (relative, no base year),
or a building verb with a count ("打造 / 培育 / 建成 / 新增 2—3个 …"). Years, dates
(``4月1日``), item numbers, plan names (``2024—2026年``) and numbers with no verb ("9个方面165项")
are never targets. A sentence that reports the past ("截至去年底 … 超7100公里", "目前累计结算
超3800万人次", "已实现") is not a target either.

Fields and comparators
----------------------
=================================  ===========  ===============================================
written                            comparator   fields
=================================  ===========  ===============================================
达到3.2%以上, 不低于, 超过, 突破          ``>=``       value 3.2, unit "%"
以下, 以内, 不超过, 控制在…以内           ``<=``       value
2:1左右, 约85%, 保持在                ``~``        value 2, unit ":1", value_high None
2—3个, 5%—6%                       ``between``  value 2, value_high 3
较2017年下降10%                      ``<=``       value None, base_year 2017, relative_change -0.10
较2017年提高10%                      ``>=``       relative_change +0.10 ("以上" keeps the sign)
达到国家标准 (PM2.5)                   ``<=``       value 35, standard "GB 3095-2012"
plain 达到X                          by direction  higher ``>=``, lower ``<=``, band ``~``,
                                                 unknown indicator ``>=``
=================================  ===========  ===============================================

* The unit is kept as written, including magnitude ("2.2万元" → 2.2 "万元", "1万亿元" → 1
  "万亿元"); a ratio "a:b" becomes value a/b with unit ":1". Relative targets have no value
  (it needs the base value) and take the catalogue unit of their indicator; "提高5个百分点"
  keeps value 5 with unit "个百分点" (an absolute change, not a level).
* "年均增长7%" is a rate target: indicator "<name>年均增长", ``>=``, value 7, unit "%"
  ("年均下降3%" likewise: "<name>年均下降", at least 3 % a year).
* A band ("~") carries only its centre. Downstream turns it into an interval with
  :func:`band_bounds` and a configurable relative ``tolerance`` (default
  :data:`DEFAULT_BAND_TOLERANCE`, ±5 %, so "2:1左右" is 1.9–2.1).
* The year is the nearest governing "到2025年" / "2025年" before the verb in the same node,
  else in the lead text of an ancestor (before its first child); base years ("较2017年"),
  dates ("2019年5月"), ranges ("2024—2026年") and status dates ("截至2023年") never govern.
  With no node, the search stays on the target's own line.
* "A、B和C分别达到3%、70%和90%" pairs names and values in order; a list that cannot be
  paired becomes one nameless target (and a warning) rather than a wrong pairing.
* ``node`` is the deepest node whose span contains the target.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass

from yrdplan.domain.plans import ExtractedTarget, ParsedNode, TargetComparator
from yrdplan.domain.problems import Problem
from yrdplan.ingest.catalogue import Catalogue, load_catalogue

__all__ = [
    "DEFAULT_BAND_TOLERANCE",
    "NAMED_STANDARDS",
    "NamedStandard",
    "band_bounds",
    "extract_targets",
    "parse_chinese_number",
]

DEFAULT_BAND_TOLERANCE = 0.05
"""Relative half-width of a "左右" band: "2:1左右" → 2 × (1 ± 0.05)."""


@dataclass(frozen=True, slots=True)
class NamedStandard:
    """A limit a named standard sets for one indicator."""

    standard: str
    value: float
    unit: str
    comparator: TargetComparator


# GB 3095-2012 《环境空气质量标准》, Table 1 (basic pollutants) annual / 8-hour limits.
# Grade II applies to class-2 areas (residential, commercial, industrial: every city in the
# seeds), so "达到国家标准" without a grade means grade II. Keys: (indicator code, grade).
NAMED_STANDARDS: dict[tuple[str, int], NamedStandard] = {
    ("PM25", 2): NamedStandard("GB 3095-2012", 35.0, "微克/立方米", "<="),  # PM2.5 annual mean
    ("PM25", 1): NamedStandard("GB 3095-2012", 15.0, "微克/立方米", "<="),
    ("PM10", 2): NamedStandard("GB 3095-2012", 70.0, "微克/立方米", "<="),  # PM10 annual mean
    ("PM10", 1): NamedStandard("GB 3095-2012", 40.0, "微克/立方米", "<="),
    ("NO2", 2): NamedStandard("GB 3095-2012", 40.0, "微克/立方米", "<="),  # NO2 annual mean
    ("NO2", 1): NamedStandard("GB 3095-2012", 40.0, "微克/立方米", "<="),
    ("SO2", 2): NamedStandard("GB 3095-2012", 60.0, "微克/立方米", "<="),  # SO2 annual mean
    ("SO2", 1): NamedStandard("GB 3095-2012", 20.0, "微克/立方米", "<="),
    ("O3", 2): NamedStandard("GB 3095-2012", 160.0, "微克/立方米", "<="),  # O3 daily max 8-h mean
    ("O3", 1): NamedStandard("GB 3095-2012", 100.0, "微克/立方米", "<="),
}

# --- numbers -------------------------------------------------------------------------------

_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_CN_MULTIPLIERS = {"十": 10, "百": 100, "千": 1000}


def _parse_cn_integer(text: str) -> int | None:
    """A Chinese integer below 10,000 ("十二", "一百零五", "二〇二五"), or None if malformed."""
    if not text:
        return None
    if len(text) > 1 and all(c in _CN_DIGITS for c in text):
        if any(_CN_DIGITS[c] == 0 for c in text):  # digit-by-digit form: 二〇二五
            return int("".join(str(_CN_DIGITS[c]) for c in text))
        return None  # "十四五"-like strings of digits are names, not numbers
    total, digit, last_multiplier, after_zero = 0, None, 10_000, False
    for char in text:
        if char in _CN_DIGITS:
            value = _CN_DIGITS[char]
            if digit is not None:
                return None
            if value == 0:
                after_zero = True
                continue
            digit = value
        elif char in _CN_MULTIPLIERS:
            multiplier = _CN_MULTIPLIERS[char]
            if multiplier >= last_multiplier or (digit is None and total) or after_zero:
                return None
            total += (1 if digit is None else digit) * multiplier
            digit, last_multiplier = None, multiplier
        else:
            return None
    return total + (digit or 0)


def parse_chinese_number(text: str) -> float | None:
    """The value of a Chinese numeral without magnitude suffix, or None.

    Parameters
    ----------
    text : str
        E.g. "三", "十二", "一百零五", "三点五"; 万 and 亿 are units and stay out.

    Returns
    -------
    float or None

    Examples
    --------
    >>> parse_chinese_number("一百零五"), parse_chinese_number("三点五")
    (105.0, 3.5)
    >>> parse_chinese_number("十四五") is None
    True
    """
    whole, _, fraction = text.partition("点")
    integer = _parse_cn_integer(whole)
    if integer is None:
        return None
    if not fraction:
        return float(integer)
    if not all(c in _CN_DIGITS for c in fraction):
        return None
    return float(f"{integer}.{''.join(str(_CN_DIGITS[c]) for c in fraction)}")


def _number(text: str) -> float | None:
    if text[:1].isdigit():
        return float(text.replace(",", ""))
    return parse_chinese_number(text)


# --- lexicon -------------------------------------------------------------------------------


def _alternation(words: list[str] | tuple[str, ...]) -> str:
    """Regex alternation, longest first so that "达到" wins over "达" at the same spot."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_MEASURE_WORDS = tuple("个家项所条座处支名户件只台艘辆张套间架")
_BASE_UNITS = _MEASURE_WORDS + (
    "元", "美元", "人", "人次", "公里", "千米", "米", "平方公里", "平方千米", "平方米", "公顷",
    "亩", "吨", "吨标准煤", "标准煤", "千瓦", "千瓦时", "瓦", "年", "岁", "天", "小时", "分钟",
    "倍", "标箱", "标准箱", "TEU", "立方米", "微克", "毫克", "床", "GW", "MW", "Mbps",
)  # fmt: skip
_MAG = "万亿|亿|万|千|百"
_BASE = _alternation(_BASE_UNITS)
_UNIT = rf"个百分点|百分点|%|‰|(?:(?:{_MAG})?(?:{_BASE})(?:/(?:{_MAG})?(?:{_BASE}))?)|万亿|亿|万"
_ARABIC = r"\d+(?:,\d{3}(?!\d))*(?:\.\d+)?"
_CN = r"[零〇一二两三四五六七八九十百千]+(?:点[零〇一二三四五六七八九]+)?"
_NUM = rf"(?:{_ARABIC}|{_CN})"
_SEP = r"(?:——|—|–|－|-|~|～|至|到)"
_VALUE_RE = re.compile(
    rf"(?P<mod>大约|约|近|超过|达到|到|为)?\s*(?P<a>{_NUM})\s*(?P<ua>{_UNIT})?"
    rf"(?:\s*{_SEP}\s*(?P<b>{_NUM})\s*(?P<ub>{_UNIT})?)?"
    rf"(?:\s*[:∶：]\s*(?P<r>{_ARABIC}))?"
    r"(?P<suf>及以上|以上|以下|以内|之内|左右|上下|内)?"
)
_STANDARD_RE = re.compile(
    r"(?:或优于|或好于)?(?P<std>(?:国家|国标)(?:环境空气质量)?"
    r"(?P<grade>[一二三]级|Ⅰ级|Ⅱ级|I级|II级)?标准)"
)
# GB 3838-2002 《地表水环境质量标准》 classes Ⅰ (best) to Ⅴ: "水质达到Ⅲ类" means class Ⅲ or better,
# so the class number is a ceiling.
_WATER_CLASS_RE = re.compile(
    r"(?:或优于|或好于|及以上|以上)?(?P<cls>Ⅴ|Ⅳ|Ⅲ|Ⅱ|Ⅰ|IV|V|III|II|I|[一二三四五])\s*类"
    r"(?:水质|水体|标准)?(?:及以上|以上|或优于|或好于)?"
)
_WATER_CLASSES = {"Ⅰ": 1, "Ⅱ": 2, "Ⅲ": 3, "Ⅳ": 4, "Ⅴ": 5, "I": 1, "II": 2, "III": 3, "IV": 4}
_WATER_CLASSES |= {"V": 5, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
WATER_STANDARD = "GB 3838-2002"

_GE_WORDS = ("不低于", "不少于", "超过", "突破", "高于", "大于", "多于", "提高到", "提高至",
             "提升到", "提升至", "增加到", "增加至", "增长到", "增长至", "扩大到", "扩大至", "超")  # fmt: skip
_REACH_WORDS = ("达到", "达", "力争")  # comparator from the indicator's direction
_LE_WORDS = ("不超过", "不高于", "不多于", "低于", "少于", "小于", "控制在", "控制到", "降低到",
             "降低至", "降到", "降至", "下降到", "下降至", "缩小到", "缩小至", "减少到", "减少至",
             "压减到", "压减至")  # fmt: skip
_ABOUT_WORDS = ("保持在", "稳定在", "维持在")
_COUNT_WORDS = ("打造", "培育", "建成", "新建", "新增", "创建", "建设", "引进", "创成", "认定", "组建")  # fmt: skip
_DOWN = ("下降", "降低", "减少", "削减", "压减")
_UP = ("提高", "增长", "增加", "上升", "提升")
_CHANGE = _alternation(_DOWN + _UP)

_TRIGGER_RE = re.compile(
    rf"(?P<rel>(?:较|比|与|和)(?:于)?\s*(?P<base>(?:19|20)\d{{2}})\s*年(?:末|底|水平)?(?:相比|比)?"
    rf"[,，]?\s*(?:累计)?(?P<rverb>{_CHANGE})了?)"
    rf"|(?P<le>{_alternation(_LE_WORDS)})"
    rf"|(?P<ge>{_alternation(_GE_WORDS)})"
    r"|(?P<attain>(?:总体|全面|稳定|基本|持续)?达标(?=[，,。；;、\s]|$))"
    rf"|(?P<reach>{_alternation(_REACH_WORDS)})"
    rf"|(?P<about>{_alternation(_ABOUT_WORDS)})"
    rf"|(?P<count>{_alternation(_COUNT_WORDS)})"
    rf"|(?P<chg>(?P<annual>年均)?(?:累计)?(?P<cverb>{_CHANGE})了?)"
)
_COUNT_RE = re.compile(
    rf"(?P<mod>约|近)?(?P<a>{_NUM})(?:{_SEP}(?P<b>{_NUM}))?(?P<unit>{_alternation(_MEASURE_WORDS)})"
    r"(?P<suf>以上|左右)?"
)

_CLAUSE_DELIMS = frozenset(",，。；;：:、!！?？\n\r\t")
_SENTENCE_DELIMS = frozenset("。；;!！?？\n\r")
_PAST_IN_SENTENCE_RE = re.compile(r"截至|截止|目前|去年|上年|同比|近年来|过去")
_PAST_IN_CLAUSE_RE = re.compile(r"已")
_DATE_AFTER_RE = re.compile(r"\s*[月日号时]")
_CJK_RE = re.compile(r"[\u3400-\u9fff]")
_NAME_PREFIX_RE = re.compile(
    r"(?:(?:到|至|在|于)?(?:19|20)\d{2}年(?:底|末|前)?|全市|全省|全区|全县|全域|我市|我省|"
    r"本市|本省|其中|同时|力争|确保|努力|争取|预计|进一步|并且|以及)+"
)
_NAME_SUFFIX_RE = re.compile(r"(?:分别|均|要|将|力争|确保|稳定|持续|逐步|基本|总体|可|能够|累计)+$")
_MAX_NAME = 40
_MAX_SENTENCE = 200
_MAX_COUNT_NAME = 15
_QUOTES = {"“": "”", "「": "」", "『": "』", "《": "》"}
_YEAR_RE = re.compile(r"(?P<pre>到|至|截至|截止|于|在)?(?P<year>(?:19|20)\d{2})\s*年(?!度|代|份)")
_YEAR_BLOCKERS = frozenset("较比与和—–－-~～/第")
_RANGE_START_RE = re.compile(r"(?:19|20)\d{2}\s*年?\s*$")
_BARE_MAGNITUDES = ("万亿", "亿", "万")


def band_bounds(value: float, tolerance: float = DEFAULT_BAND_TOLERANCE) -> tuple[float, float]:
    """The interval a "左右" (``~``) target stands for.

    Parameters
    ----------
    value : float
        The band's centre, ``ExtractedTarget.value``.
    tolerance : float
        Relative half-width, >= 0.

    Returns
    -------
    tuple of float
        ``(low, high)``.

    Examples
    --------
    >>> band_bounds(2.0)
    (1.9, 2.1)
    """
    if not tolerance >= 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance!r}")
    half = abs(value) * tolerance
    return (round(value - half, 12), round(value + half, 12))


# --- value parsing -------------------------------------------------------------------------


@dataclass(slots=True)
class _Value:
    value: float | None
    value_high: float | None
    unit: str
    suffix: str
    mod: str
    end: int
    standard: str | None = None
    grade: int = 2


def _is_year_value(number: float | None, unit: str) -> bool:
    return unit == "年" and number is not None and number.is_integer() and 1900 <= number <= 2100


def _parse_value(text: str, pos: int) -> _Value | None:
    """The value written at ``pos`` (after a target verb), or None if what follows is no value."""
    m = _VALUE_RE.match(text, pos)
    if not m:
        return None
    a, b = _number(m["a"]), _number(m["b"]) if m["b"] else None
    if a is None or (m["b"] and b is None):
        return None
    unit_a, unit_b = m["ua"] or "", m["ub"] or ""
    unit = unit_b or unit_a
    if _is_year_value(a, unit_a or unit) or _is_year_value(b, unit):
        return None
    end = m.end()
    if unit in _BARE_MAGNITUDES and not m["suf"] and end < len(text) and _CJK_RE.match(text[end]):
        return None  # "达到千亿级": a magnitude glued to a word
    if not unit and not m["r"]:
        if not m["a"][0].isdigit():
            return None  # a Chinese numeral with no unit is a word ("一体化", "三区"), not a value
        if _DATE_AFTER_RE.match(text, m.end("b") if m["b"] else m.end("a")):
            return None
        if not m["suf"] and end < len(text) and (_CJK_RE.match(text[end]) or text[end].isalnum()):
            return None  # "达到3级", "达到5G": a number glued to a word
    if m["r"]:
        ratio = float(m["r"])
        if ratio == 0 or unit or m["b"]:
            return None
        a, unit = a / ratio, ":1"
    return _Value(a, b, unit, m["suf"] or "", m["mod"] or "", end)


def _parse_standard(text: str, pos: int) -> _Value | None:
    m = _STANDARD_RE.match(text, pos)
    if not m:
        return None
    grade = 1 if m["grade"] in ("一级", "Ⅰ级", "I级") else 2
    return _Value(None, None, "", "", "", m.end(), standard=m["std"], grade=grade)


def _parse_water_class(text: str, pos: int) -> _Value | None:
    m = _WATER_CLASS_RE.match(text, pos)
    if not m:
        return None
    number = _WATER_CLASSES[m["cls"]]
    return _Value(float(number), None, "类", "", "", m.end(), standard=WATER_STANDARD)


def _comparator(kind: str, value: _Value, direction: str | None) -> TargetComparator:
    if value.value_high is not None:
        return "between"
    if value.suffix in ("以上", "及以上"):
        return ">="
    if value.suffix in ("以下", "以内", "之内", "内"):
        return "<="
    if value.suffix in ("左右", "上下") or value.mod in ("约", "大约", "近"):
        return "~"
    if kind in ("ge", "count") or value.mod == "超过":
        return ">="
    if kind == "le":
        return "<="
    if kind == "about":
        return "~"
    return {"lower": "<=", "band": "~"}.get(direction or "", ">=")


# --- context: names, years, nodes ----------------------------------------------------------


def _name_before(text: str, pos: int) -> tuple[str, int, int]:
    """The indicator name ending at ``pos``: back to the clause start, minus fillers."""
    start = pos
    while start > 0 and pos - start < _MAX_NAME and text[start - 1] not in _CLAUSE_DELIMS:
        start -= 1
    name_start, name_end = start, pos
    prefix = _NAME_PREFIX_RE.match(text, name_start, name_end)
    if prefix:
        name_start = prefix.end()
    suffix = _NAME_SUFFIX_RE.search(text[name_start:name_end])
    if suffix and suffix.start() > 0:
        name_end = name_start + suffix.start()
    while name_start < name_end and text[name_start].isspace():
        name_start += 1
    return text[name_start:name_end].strip(), name_start, name_end


def _name_after(text: str, pos: int) -> tuple[str, int]:
    """The thing counted after "打造2—3个": up to the clause end, quoted epithets dropped."""
    end = pos
    while end < len(text) and end - pos < _MAX_NAME and text[end] not in _CLAUSE_DELIMS:
        close = _QUOTES.get(text[end])
        quote_end = text.find(close, end + 1, pos + _MAX_NAME) if close else -1
        # a 、 inside a quotation (“全省第一、全国前三”) does not end the name
        end = quote_end + 1 if quote_end > 0 else end + 1
    written = text[pos:end]
    name = re.sub(r"[“\"「『][^”\"」』]*[”\"」』]", "", written).strip()
    return (name or written.strip('“”"「」『』 ')), end


def _is_past_statement(text: str, trigger: int) -> bool:
    """True when the sentence reports what has been done rather than what is to be done."""
    sentence = clause = trigger
    # Bounded look-back: a page with no full stops must not make this quadratic.
    while sentence > max(trigger - _MAX_SENTENCE, 0) and text[sentence - 1] not in _SENTENCE_DELIMS:
        sentence -= 1
    while clause > sentence and text[clause - 1] not in _CLAUSE_DELIMS:
        clause -= 1
    return bool(
        _PAST_IN_SENTENCE_RE.search(text, sentence, trigger)
        or _PAST_IN_CLAUSE_RE.search(text, clause, trigger)
    )


def _is_governing(text: str, m: re.Match[str]) -> bool:
    """Whether a year mention can govern later targets (see module docstring)."""
    if m["pre"] in ("截至", "截止"):
        return False  # a status date, not a deadline
    before = text[m.start() - 1] if m.start() > 0 else ""
    if m["pre"] is None and (before.isdigit() or before in _YEAR_BLOCKERS):
        return False  # 较2017年 (a base year), 2024—2026年 (a range), 202025年 (an id)
    if m["pre"] in ("到", "至") and _RANGE_START_RE.search(text, max(m.start() - 6, 0), m.start()):
        return False  # 2024至2026年
    after = text[m.end() : m.end() + 8]
    if re.match(r"\s*\d{1,2}\s*月", after) and m["pre"] not in ("到", "至", "于"):
        return False  # a date such as 2020年3月8日印发
    # not the start of a range such as 2024年—2026年
    return not re.match(r"\s*[—–－\-~～至到]\s*(?:19|20)\d{2}", after)


@dataclass(frozen=True, slots=True)
class _YearMarks:
    """Every governing year mention, found once per text so that lookups are a bisection."""

    starts: list[int]
    ends: list[int]
    years: list[int]

    @classmethod
    def find(cls, text: str) -> _YearMarks:
        marks = [
            (m.start(), m.end(), int(m["year"]))
            for m in _YEAR_RE.finditer(text)
            if _is_governing(text, m)
        ]
        return cls([m[0] for m in marks], [m[1] for m in marks], [m[2] for m in marks])

    def last(self, start: int, end: int) -> int | None:
        """The last year mention lying wholly inside ``[start, end)``."""
        i = bisect.bisect_right(self.ends, end) - 1
        return self.years[i] if i >= 0 and self.starts[i] >= start else None


@dataclass(slots=True)
class _NodeIndex:
    """Node spans clamped to the text, and each node's lead text (before its first child)."""

    nodes: list[ParsedNode]
    spans: dict[str, tuple[int, int]]
    lead_end: dict[str, int]
    by_id: dict[str, ParsedNode]
    years: _YearMarks

    @classmethod
    def build(cls, nodes: list[ParsedNode], text: str) -> _NodeIndex:
        length = len(text)
        spans: dict[str, tuple[int, int]] = {}
        for node in nodes:
            start = min(max(int(node.start), 0), length)
            spans[node.id] = (start, min(max(int(node.end), start), length))
        lead_end = {nid: end for nid, (_, end) in spans.items()}
        for node in nodes:
            if node.parent in spans:
                lead_end[node.parent] = min(lead_end[node.parent], spans[node.id][0])
        return cls(list(nodes), spans, lead_end, {n.id: n for n in nodes}, _YearMarks.find(text))

    def deepest(self, start: int, end: int) -> ParsedNode | None:
        best, best_size = None, None
        for node in self.nodes:
            s, e = self.spans[node.id]
            if s <= start and end <= e and (best_size is None or e - s <= best_size):
                best, best_size = node, e - s
        return best

    def year(self, text: str, node: ParsedNode | None, trigger: int) -> int | None:
        if node is None:
            return self.years.last(text.rfind("\n", 0, trigger) + 1, trigger)
        year = self.years.last(self.spans[node.id][0], trigger)
        seen = {node.id}
        parent = self.by_id.get(node.parent) if node.parent else None
        while year is None and parent is not None and parent.id not in seen:
            seen.add(parent.id)
            start = self.spans[parent.id][0]
            year = self.years.last(start, min(self.lead_end[parent.id], trigger))
            parent = self.by_id.get(parent.parent) if parent.parent else None
        return year


# --- the extractor -------------------------------------------------------------------------


@dataclass(slots=True)
class _Found:
    """A target before context (node, year, code) is attached."""

    name: str
    start: int
    end: int
    trigger: int
    kind: str
    value: _Value
    base_year: int | None = None
    relative_change: float | None = None
    rate: str = ""
    change: bool = False


def _find_one(text: str, m: re.Match[str]) -> _Found | list[_Found] | None:
    """Read the target a trigger match starts, or None when no value follows it."""
    kind = m.lastgroup if m.lastgroup in ("le", "ge", "reach", "about", "count") else None
    if m["attain"]:
        # "细颗粒物平均浓度总体达标": the indicator meets its national standard.
        value = _Value(None, None, "", "", "", m.end(), standard="达标", grade=2)
        name, start, _ = _name_before(text, m.start())
        return _Found(name, start if name else m.start(), m.end(), m.start(), "reach", value)
    if m["rel"]:
        kind = "rel"
    elif m["chg"]:
        kind = "chg"
    if kind is None:
        return None
    if kind == "count":
        return _find_count(text, m)
    value = _parse_value(text, m.end())
    if value is None and kind == "reach" and m.group() != "力争":
        value = _parse_standard(text, m.end()) or _parse_water_class(text, m.end())
    if value is None:
        return None
    if text.endswith("分别", 0, m.start()):
        return _find_respectively(text, m, kind, value)
    name, start, _ = _name_before(text, m.start())
    found = _Found(name, start if name else m.start(), value.end, m.start(), kind, value)
    return _as_change(found, m) if kind in ("rel", "chg") else found


def _listed_names(text: str, start: int, end: int, count: int) -> list[tuple[str, int]] | None:
    """The ``count`` names listed in ``text[start:end]`` with their starts, split at 、 (then
    also at 和/及 when 、 alone gives too few), or None when the count does not match."""
    for separators in ("、", "、和及"):
        names, pos = [], start
        for part in re.split(f"[{separators}]", text[start:end]):
            prefix = _NAME_PREFIX_RE.match(part)  # "到2025年，全市…" before the first name
            skip = prefix.end() if prefix else 0
            skip += len(part[skip:]) - len(part[skip:].lstrip())
            names.append((part[skip:].rstrip(), pos + skip))
            pos += len(part) + 1
        if len(names) == count and all(name for name, _ in names):
            return names
    return None


def _find_respectively(text: str, m: re.Match[str], kind: str, first: _Value) -> list[_Found]:
    """ "A、B分别达到3%、70%": pair the listed names with the listed values, in order."""
    values = [first]
    while values[-1].end < len(text) - 1 and text[values[-1].end] in "、和及":
        following = _parse_value(text, values[-1].end + 1)
        if following is None:
            break
        values.append(following)
    names_end = m.start() - 2
    start = names_end
    while start > max(names_end - 3 * _MAX_NAME, 0) and (
        text[start - 1] == "、" or text[start - 1] not in _CLAUSE_DELIMS
    ):
        start -= 1
    names = _listed_names(text, start, names_end, len(values))
    if names is None:
        # A list we cannot pair is kept as one nameless target, which the user is warned about.
        return [_Found("", m.start(), values[-1].end, m.start(), kind, first)]
    found = [
        _Found(n, s, v.end, m.start(), kind, v) for (n, s), v in zip(names, values, strict=True)
    ]
    if kind in ("rel", "chg"):
        found = [f for f in (_as_change(f, m) for f in found) if f is not None]
    return found


def _find_count(text: str, m: re.Match[str]) -> _Found | None:
    c = _COUNT_RE.match(text, m.end())
    if not c:
        return _find_named_count(text, m)
    a, b = _number(c["a"]), _number(c["b"]) if c["b"] else None
    if a is None or (c["b"] and b is None) or (not c["a"][0].isdigit() and a == 1 and b is None):
        return None  # "打造一个…" uses 一 as an article, not a count
    name, end = _name_after(text, c.end())
    value = _Value(a, b, c["unit"], c["suf"] or "", c["mod"] or "", c.end())
    return _Found(name, m.start(), end, m.start(), "count", value)


def _find_named_count(text: str, m: re.Match[str]) -> _Found | None:
    """Counts written "新增高新技术企业1,200家": the name sits between verb and number."""
    limit = min(len(text), m.end() + _MAX_COUNT_NAME + 1)
    for pos in range(m.end() + 1, limit):
        if text[pos] in _CLAUSE_DELIMS:
            return None
        if not text[pos].isdigit() or text[pos - 1].isdigit() or text[pos - 1] in ".,":
            continue
        value = _parse_value(text, pos)
        if value is not None and value.unit and value.unit not in _BARE_MAGNITUDES:
            name = text[m.end() : pos].strip()
            return _Found(name, m.end(), value.end, m.start(), "count", value)
    return None


def _as_change(found: _Found, m: re.Match[str]) -> _Found | None:
    """A "下降10%" / "较2017年下降10%" / "年均增长7%" target."""
    value, verb = found.value, m["rverb"] or m["cverb"]
    if value.value is None or value.value_high is not None:
        return None
    if value.unit not in ("%", "个百分点", "百分点", "倍"):
        return None
    down = verb in _DOWN
    found.base_year = int(m["base"]) if m["base"] else None
    if m["annual"]:
        found.rate = "年均" + verb
        found.kind = "ge"
        return found
    found.kind, found.change = ("le" if down else "ge"), True
    if value.unit in ("%", "倍"):
        change = value.value / 100 if value.unit == "%" else value.value
        found.relative_change = round(-change if down else change, 12)
        value.value = None
    elif down:
        value.value = -value.value  # "下降5个百分点": a signed absolute change
    return found


def _scan(text: str) -> list[_Found]:
    found: list[_Found] = []
    pos = 0
    while True:
        m = _TRIGGER_RE.search(text, pos)
        if m is None:
            return found
        targets = _find_one(text, m)
        if not targets or _is_past_statement(text, m.start()):
            pos = m.start() + 1
            continue
        targets = targets if isinstance(targets, list) else [targets]
        found.extend(targets)
        pos = max(max(t.value.end for t in targets), m.end())


def _warn(
    problems: list[Problem], kind: str, message: str, found: _Found, value: str | None = None
) -> None:
    problems.append(Problem(kind, message, "warning", found.start, found.end, value=value))


def _apply_standard(found: _Found, code: str | None, problems: list[Problem]) -> tuple:
    """(standard, value, unit, comparator override or None) for a "达到国家标准" target."""
    written = found.value.standard
    if written == WATER_STANDARD:
        return written, found.value.value, "类", "<="
    named = NAMED_STANDARDS.get((code or "", found.value.grade))
    if named is None:
        label = found.name or "this target"
        _warn(
            problems,
            "target_standard_unresolved",
            f"cannot resolve {written!r} for {label}; give its limit by hand",
            found,
            written,
        )
        return written, None, found.value.unit, None
    return named.standard, named.value, named.unit, named.comparator


def _resolve(
    found: _Found,
    text: str,
    nodes: _NodeIndex,
    catalogue: Catalogue,
    problems: list[Problem],
) -> ExtractedTarget:
    name = found.name + found.rate
    code = catalogue.match(name) if name else None
    indicator = catalogue.get(code) if code else None
    value, unit, standard = found.value.value, found.value.unit, None
    comparator = _comparator(found.kind, found.value, indicator.direction if indicator else None)
    if found.change:
        # "下降10%以上" is still a fall: 以上/以下 qualify the size of the change, not its sign.
        approx = found.value.suffix in ("左右", "上下") or found.value.mod in ("约", "大约", "近")
        comparator = "~" if approx else ("<=" if found.kind == "le" else ">=")
    if found.value.standard is not None:
        standard, value, unit, override = _apply_standard(found, code, problems)
        comparator = override or comparator
    if found.relative_change is not None:
        # The value is base × (1 + change), so it is in the indicator's own unit.
        unit = indicator.unit if indicator is not None else ""
    node = nodes.deepest(found.start, found.end)
    year = nodes.year(text, node, found.trigger)
    if not name:
        _warn(
            problems,
            "target_indicator_missing",
            "a target value with no indicator name before it",
            found,
            text[found.start : found.end],
        )
    elif code is None:
        _warn(
            problems,
            "target_indicator_unknown",
            f"indicator {name!r} is not in the catalogue",
            found,
            name,
        )
    if year is None:
        _warn(
            problems,
            "target_year_missing",
            f"no target year governs {name or 'this target'}",
            found,
        )
    return ExtractedTarget(
        indicator=name,
        indicator_code=code,
        value=value,
        value_high=found.value.value_high if comparator == "between" else None,
        unit=unit,
        comparator=comparator,
        year=year,
        base_year=found.base_year,
        relative_change=found.relative_change,
        standard=standard,
        node=node.id if node else None,
        start=found.start,
        end=found.end,
    )


@functools.cache
def _default_catalogue() -> Catalogue:
    return load_catalogue()


def default_catalogue() -> Catalogue:
    """The shipped indicator catalogue, loaded once per process."""
    return _default_catalogue()


def extract_targets(
    clean_text: str,
    nodes: list[ParsedNode],
    catalogue: Catalogue | None = None,
) -> tuple[list[ExtractedTarget], list[Problem]]:
    """Every quantitative target in a plan's clean text.

    Parameters
    ----------
    clean_text : str
        The cleaned (simplified, de-glossed, ASCII-digit) text of one plan.
    nodes : list of ParsedNode
        Its parsed structure, with offsets into ``clean_text``; may be empty.
    catalogue : Catalogue, optional
        Indicator catalogue for codes and directions; the shipped one by default.

    Returns
    -------
    targets : list of ExtractedTarget
        In text order, each with clean-text ``start``/``end``.
    problems : list of Problem
        Warnings: unknown indicator, missing name, missing year, unresolved standard.

    Notes
    -----
    Never raises on any text; the rules are in the module docstring.

    Examples
    --------
    >>> targets, _ = extract_targets("到2025年，研发投入强度达到3.2%以上。", [])
    >>> t = targets[0]
    >>> t.indicator, t.indicator_code, t.value, t.unit, t.comparator, t.year
    ('研发投入强度', 'RD_INTENSITY', 3.2, '%', '>=', 2025)
    """
    if not isinstance(clean_text, str) or not clean_text:
        return [], []
    catalogue = catalogue if catalogue is not None else _default_catalogue()
    index = _NodeIndex.build(list(nodes or []), clean_text)
    problems: list[Problem] = []
    targets = [_resolve(f, clean_text, index, catalogue, problems) for f in _scan(clean_text)]
    return targets, problems

"""Tell a plan's past results from its targets.

A plan's background reports what was achieved ("“十三五”时期年均增长7.1%", "2020年…达到2.9%",
"较2015年提高5.2个百分点"); the same verbs state targets elsewhere. A value found by the target
extractor is a **past result**, offered as a baseline instead of a target, when

* it stands in a background section (a node titled 发展基础, 发展成就, 现实基础, 取得成效 …,
  or under one), or
* its sentence, before it, names an earlier plan period ("十三五"时期/期间/以来, when the plan's
  own period is later), or
* the year governing it is written without 到/至 ("2020年，…达到") and is not after the plan's
  base year (the year before it was issued, or its period's start: 十四五 → 2020).

Its year is that year, or the end of the named period. Nothing is reclassified when neither the
plan's date nor its period is known and no background section or earlier period is named.
"""

from __future__ import annotations

import re

from yrdplan.domain.plans import ExtractedBaseline, ExtractedTarget, ParsedNode

_BACKGROUND_RE = re.compile(
    r"发展基础|发展成就|现实基础|工作基础|发展现状|取得成效|主要成效|主要成就|成效显著|回顾|"
    r"基础条件|发展环境|形势与基础|基础与形势|现状与形势"
)
_PERIOD_RE = re.compile(r"十([一二三四五六七])五[”\"]?(?:时期|期间|以来|末|期末|规划实施以来)")
_PLAN_PERIOD_RE = re.compile(r"十([一二三四五六七])个?五")
_PERIOD_END = {"一": 2010, "二": 2015, "三": 2020, "四": 2025, "五": 2030, "六": 2035, "七": 2040}
_SENTENCE_DELIMS = "。；;!！?？\n"
_BARE_YEAR_RE = re.compile(
    r"(?<![到至较比与和—–\-~～/第\d])((?:19|20)\d{2})\s*年(?!度|代|份|[—–\-~～至到])"
)


def plan_base_year(title: str, date: str | None) -> int | None:
    """The last year before the plan: its period's start (十四五 → 2020), else the year before
    it was issued.

    >>> plan_base_year("南京市“十四五”规划", None), plan_base_year("行动计划", "2024-03-01")
    (2020, 2023)
    """
    m = _PLAN_PERIOD_RE.search(title or "")
    if m:
        return _PERIOD_END[m.group(1)] - 5
    if date and date[:4].isdigit():
        return int(date[:4]) - 1
    return None


def _sentence_before(text: str, pos: int) -> str:
    start = pos
    while start > 0 and pos - start < 300 and text[start - 1] not in _SENTENCE_DELIMS:
        start -= 1
    return text[start:pos]


def _background_nodes(nodes: list[ParsedNode]) -> set[str]:
    by_id = {n.id: n for n in nodes}
    found = set()
    for node in nodes:
        current, seen = node, set()
        while current is not None and current.id not in seen:
            seen.add(current.id)
            if _BACKGROUND_RE.search(current.title or ""):
                found.add(node.id)
                break
            current = by_id.get(current.parent) if current.parent else None
    return found


def split_past_results(
    targets: list[ExtractedTarget],
    text: str,
    nodes: list[ParsedNode],
    base_year: int | None,
) -> tuple[list[ExtractedTarget], list[ExtractedBaseline]]:
    """Split text targets into (targets, baselines); offsets are those of ``text``.

    Examples
    --------
    >>> from yrdplan.ingest.targets import extract_targets
    >>> text = "“十三五”时期，地区生产总值年均增长7.1%。到2025年，研发投入强度达到4%。"
    >>> found, _ = extract_targets(text, [])
    >>> kept, past = split_past_results(found, text, [], 2020)
    >>> [t.indicator for t in kept], [(b.indicator, b.value, b.year) for b in past]
    (['研发投入强度'], [('地区生产总值年均增长', 7.1, 2020)])
    """
    background = _background_nodes(nodes)
    kept: list[ExtractedTarget] = []
    past: list[ExtractedBaseline] = []
    for target in targets:
        year = _past_year(target, text, background, base_year)
        if year is False:
            kept.append(target)
            continue
        year = year if isinstance(year, int) else target.year
        base = target.base_year
        if base is None and year is not None and "年均" in target.indicator:
            # "“十三五”时期年均增长7.1%": an average over the period, not that year's value.
            period = _period_in(_sentence_before(text, target.start))
            base = (period - 5) if period is not None and period == year else None
        past.append(
            ExtractedBaseline(
                indicator=target.indicator,
                indicator_code=target.indicator_code,
                value=target.value,
                unit=target.unit,
                year=year,
                base_year=base,
                relative_change=target.relative_change,
                node=target.node,
                start=target.start,
                end=target.end,
            )
        )
    return kept, past


def _period_in(sentence: str) -> int | None:
    """The end year of the last plan period the sentence names ("十三五"时期 → 2020)."""
    period = None
    for m in _PERIOD_RE.finditer(sentence):
        period = _PERIOD_END[m.group(1)]
    return period


def _past_year(
    target: ExtractedTarget, text: str, background: set[str], base_year: int | None
) -> int | None | bool:
    """The year of a past result (None when unknown), or False for a target."""
    sentence = _sentence_before(text, target.start)
    period = _period_in(sentence)
    bare = [int(m.group(1)) for m in _BARE_YEAR_RE.finditer(sentence)]
    stated = bare[-1] if bare else None
    if target.node in background:
        return stated or period or target.year
    since = re.search(r"五[”\"]?以来", sentence) is not None
    if period is not None and (period <= base_year if base_year is not None else since):
        return stated if stated and stated <= period else period
    if (
        base_year is not None
        and stated is not None
        and stated <= base_year
        and target.year == stated
    ):
        return stated
    return False

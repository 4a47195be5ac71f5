"""Find a plan's numbered structure, title, issuer and date in its clean text.

Chinese official documents number their units in a fixed hierarchy, and this module reads it:

======================  =========  ==============================  =======
printed                 kind       example label                   ordinal
======================  =========  ==============================  =======
第X章                   chapter    ``第三章``                       3
第X节                   section    ``第一节``                       1
X、 / 第X部分            part       ``四、``                         4
(X) / （X）              subpart    ``（一）``                       1
1. / 1、 / 1．           item       ``12.``                          12
(1) / （1） / ⑴          subitem    ``(3)``                          3
① … ㊿                  subitem    ``⑤`` (below ``(1)`` if both)    5
一是 / 二是              paragraph  ``二是``                         2
lead sentence           paragraph  ``""``                           1…
======================  =========  ==============================  =======

Only a line that *starts* with a number is a heading, so a ``1.`` inside a sentence, a decimal
(``3.2%``) or a date never opens a node. A lead-sentence task is a paragraph whose first sentence
is a short title (``强化区域联动发展。增强……``); such paragraphs become nodes only inside a
numbered node that has no numbered children (as under a national outline's 第X节), or in a
document with no numbering at all, and only when at least two of them stand together.

Node text and spans: ``text`` is the node's OWN text, from its label to the start of the next
node in document order (its first child, its next sibling, or the next node above it), so the
spans of all nodes are disjoint and a target or clause belongs to exactly one node. A node's
whole extent is its own span plus those of its descendants. ``start``/``end`` are offsets into
the text given to :func:`parse_structure`; ``parse_plan`` maps them to the original file.

Checks reported as problems (all warnings): numbering gaps and restarts within a parent
(``numbering``), a document's own count of its tasks or parts that differs from what was parsed
(``count_mismatch``), and a document with no structure at all (``no_structure``), which is
still returned as one ``paragraph`` node the user can split.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

from yrdplan.domain.plans import ParsedNode
from yrdplan.domain.problems import Problem

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CN_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100}
_CN = "[一二三四五六七八九十百零〇两]{1,5}"
_CN_SMALL = "[一二三四五六七八九十]{1,3}"

# Circled and parenthesised digits: ①-⑳, ㉑-㉟, ㊱-㊿ and ⑴-⒇.
_CIRCLED = {chr(0x2460 + i): i + 1 for i in range(20)}
_CIRCLED |= {chr(0x3251 + i): i + 21 for i in range(15)}
_CIRCLED |= {chr(0x32B1 + i): i + 36 for i in range(15)}
_PAREN_DIGITS = {chr(0x2474 + i): i + 1 for i in range(20)}

# Ranks order the hierarchy; a heading closes every open node of equal or lower rank.
_RANK = {
    "chapter": 1,
    "section": 2,
    "part": 3,
    "subpart": 4,
    "item": 5,
    "subitem": 6,
    "circled": 7,
    "enumerated": 8,
    "lead": 9,
}
_KIND = {"circled": "subitem", "enumerated": "paragraph", "lead": "paragraph"}

_HEADINGS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("chapter", re.compile(rf"^第\s*({_CN}|\d{{1,3}})\s*章")),
    ("section", re.compile(rf"^第\s*({_CN}|\d{{1,3}})\s*节")),
    ("part", re.compile(rf"^第\s*({_CN}|\d{{1,3}})\s*部分")),
    # "一、" but not an enumeration inside a sentence such as "一、二季度" or "一、二、三产业".
    (
        "part",
        re.compile(rf"^({_CN})\s*[、.](?!{_CN_SMALL}(?:[、，,和及至到]|季度|产业|等))"),
    ),
    ("subpart", re.compile(rf"^[（(]\s*({_CN})\s*[）)][、.]?")),
    # "1." / "1、" but not a decimal ("3.2%") or a range ("1、2月").
    ("item", re.compile(r"^(\d{1,3})\s*[.、](?!\d)")),
    ("subitem", re.compile(r"^[（(]\s*(\d{1,3})\s*[）)][、.]?")),
    ("subitem", re.compile(f"^([{''.join(_PAREN_DIGITS)}])")),
    ("circled", re.compile(f"^([{''.join(_CIRCLED)}])")),
    ("enumerated", re.compile(rf"^({_CN_SMALL})是(?=\S)")),
)

_SENTENCE_END = re.compile(r"[。！？；]")
_TITLE_MAX = 120

_META_LABEL = r"来源|信息来源|文章来源|发布者|发布单位|发布机构|发文机关|作者|日期|发布日期|发布时间|发文日期|成文日期|时间|浏览次数|点击"
_META_RE = re.compile(rf"(?:^|\s)(?:{_META_LABEL})\s*[：:]")
_ISSUER_RE = re.compile(
    rf"(?:来源|信息来源|文章来源|发布者|发布单位|发布机构|发文机关)\s*[：:]\s*(.+?)(?=\s|(?:{_META_LABEL})\s*[：:]|$)"
)
_DATE_LABEL_RE = re.compile(
    r"(?:日期|发布日期|发布时间|发文日期|成文日期|时间)\s*[：:]\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})"
)
_DATE_LINE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_SIGNED_DATE_RE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日(?:印发|发布|起施行)?$")
_ISSUING_BODY_RE = re.compile(
    r"^[\u4e00-\u9fff（）()]{2,40}(?:办公厅|办公室|委员会|人民政府|政府|党委|省委|市委|区委|县委|领导小组|发展改革委|局|厅)$"
)
_TITLE_ISSUER_RE = re.compile(r"^([\u4e00-\u9fff、]{2,24}?)(?:联合)?(?:印发|发布|出台)[《【]")
_UNKNOWN_ISSUERS = frozenset({"未知", "本站", "网络", "互联网", "原创", "综合", "佚名", "网友"})
_SIGNATURE_RE = re.compile(
    r"(?:办公厅|办公室|委员会|人民政府|政府|党委|省委|市委|领导小组|发展改革委|通讯员|印发|发布|/文)$"
    r"|^\d{4}年\d{1,2}月\d{1,2}日|^[（(]此件|^附件|记者"
)

_N = r"(\d{1,4}|[一二三四五六七八九十百零两]{1,5})"
_TASK_CLAIM_RES = (
    re.compile(rf"共(?:计|有)?\s*{_N}\s*(?:条|项)"),
    re.compile(rf"{_N}\s*(?:条|项)\s*(?:具体|重点|主要)?\s*(?:任务|举措|措施|工作|事项)"),
)
_PART_CLAIM_RE = re.compile(rf"{_N}\s*个部分")


@dataclass(slots=True)
class _Line:
    number: int
    start: int  # offset of the first non-space character
    text: str  # the line without surrounding spaces


@dataclass(slots=True)
class _Draft:
    """A node under construction; ``parent`` indexes the draft list."""

    kind: str  # a key of _RANK
    label: str
    ordinal: int
    title: str
    start: int
    line: int
    parent: int | None = None


def parse_structure(text: str) -> tuple[list[ParsedNode], dict, list[Problem]]:
    """Parse the numbered structure and the title, issuer and date of a clean plan text.

    Parameters
    ----------
    text : str
        Clean text (see :func:`yrdplan.ingest.clean.clean_text`).

    Returns
    -------
    nodes : list of ParsedNode
        Flat, in document order, ids ``n1``, ``n2`` …; offsets into ``text``.
    meta : dict
        ``title`` (str, "" if none), ``issuer`` and ``date`` (ISO) or None.
    problems : list of Problem
        Numbering, count and no-structure warnings, offsets into ``text``.

    Examples
    --------
    >>> nodes, meta, problems = parse_structure("规划\\n一、总体要求\\n（一）发展目标。到2025年……\\n1.加快发展。推进……")
    >>> [(n.id, n.parent, n.kind, n.label, n.ordinal, n.title) for n in nodes]
    [('n1', None, 'part', '一、', 1, '总体要求'), ('n2', 'n1', 'subpart', '（一）', 1, '发展目标'), ('n3', 'n2', 'item', '1.', 1, '加快发展')]
    >>> meta["title"], problems
    ('规划', [])
    """
    lines = _split_lines(text)
    meta = parse_meta(lines)
    problems: list[Problem] = []
    drafts = _numbered_drafts(lines, problems)
    if drafts:
        body_end = _postamble_start(lines, drafts[-1].line, len(text))
        drafts = _add_lead_paragraphs(drafts, lines, body_end)
    else:
        drafts = _unnumbered_drafts(lines)
        body_end = _postamble_start(lines, drafts[-1].line, len(text)) if drafts else len(text)
    if not drafts:
        return _no_structure(text, meta, problems)
    nodes = _finish(drafts, text, body_end)
    problems.extend(_check_counts(text, nodes))
    return nodes, meta, problems


# -- lines and headings -------------------------------------------------------------------------


def _split_lines(text: str) -> list[_Line]:
    lines = []
    pos = 0
    for number, raw in enumerate(text.split("\n")):
        lead = len(raw) - len(raw.lstrip())
        lines.append(_Line(number, pos + lead, raw.strip()))
        pos += len(raw) + 1
    return lines


def chinese_numeral(numeral: str) -> int | None:
    """The value of a Chinese (or Arabic) numeral as used in numbering, or None.

    Examples
    --------
    >>> [chinese_numeral(s) for s in ("三", "十", "十二", "二十", "三十五", "一百零五", "12", "一二")]
    [3, 10, 12, 20, 35, 105, 12, None]
    """
    if numeral.isdigit():
        return int(numeral)
    total = 0
    current: int | None = None
    for ch in numeral:
        if ch in _CN_DIGITS:
            if current:  # two digits in a row ("一二") is not a number
                return None
            current = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (current if current is not None else 1) * _CN_UNITS[ch]
            current = None
        else:
            return None
    value = total + (current or 0)
    return value or None


def _match_heading(line: str) -> tuple[str, str, int, str] | None:
    """(kind key, label, ordinal, title) when ``line`` opens a numbered node."""
    for kind, pattern in _HEADINGS:
        m = pattern.match(line)
        if m is None:
            continue
        raw = m.group(1)
        ordinal = _CIRCLED.get(raw) or _PAREN_DIGITS.get(raw) or chinese_numeral(raw)
        if not ordinal:
            continue
        label = line[: m.end()].rstrip()
        return kind, label, ordinal, _title_of(line[m.end() :])
    return None


def _title_of(rest: str) -> str:
    """The heading up to its first sentence end, or the whole heading line."""
    rest = rest.lstrip(" 、.:：")
    m = _SENTENCE_END.search(rest)
    title = rest[: m.start()] if m else rest
    return title.strip()[:_TITLE_MAX]


# -- numbered structure -------------------------------------------------------------------------


def _numbered_drafts(lines: list[_Line], problems: list[Problem]) -> list[_Draft]:
    drafts: list[_Draft] = []
    stack: list[int] = []
    last_child: dict[tuple[int | None, str], int] = {}  # (parent, kind) -> draft index
    last_any: dict[str, int] = {}  # kind -> last ordinal anywhere, for continued numbering
    for line in lines:
        found = _match_heading(line.text)
        if found is None:
            continue
        kind, label, ordinal, title = found
        while stack and _RANK[drafts[stack[-1]].kind] >= _RANK[kind]:
            stack.pop()
        parent = stack[-1] if stack else None
        draft = _Draft(kind, label, ordinal, title, line.start, line.number, parent)
        previous = last_child.get((parent, kind))
        problem = _check_numbering(
            draft, drafts[previous] if previous is not None else None, last_any.get(kind), drafts
        )
        if problem:
            problems.append(problem)
        drafts.append(draft)
        index = len(drafts) - 1
        last_child[(parent, kind)] = index
        last_any[kind] = ordinal
        stack.append(index)
    return drafts


def _check_numbering(
    draft: _Draft, previous: _Draft | None, last_any: int | None, drafts: list[_Draft]
) -> Problem | None:
    """A warning when ``draft`` does not follow its previous sibling's number."""
    span = {"start": draft.start, "end": draft.start + len(draft.label)}
    if previous is None:
        # The first child starts at 1, or continues the numbering of the previous parent's
        # children, as 江苏 documents number (一)…(三十) straight through their parts.
        if draft.ordinal == 1 or (last_any is not None and draft.ordinal == last_any + 1):
            return None
        where = drafts[draft.parent].label if draft.parent is not None else "the document"
        message = f"{draft.label} is the first of its kind under {where}; expected 1"
        if last_any is not None:
            message += f" or {last_any + 1}"
        return Problem(kind="numbering", message=message, severity="warning", **span)
    if draft.ordinal == previous.ordinal + 1:
        return None
    if draft.ordinal <= previous.ordinal:
        message = f"numbering restarts or repeats: {draft.label} follows {previous.label}"
    else:
        missing = draft.ordinal - previous.ordinal - 1
        message = f"numbering gap: {draft.label} follows {previous.label} ({missing} missing)"
    return Problem(kind="numbering", message=message, severity="warning", **span)


def _add_lead_paragraphs(drafts: list[_Draft], lines: list[_Line], body_end: int) -> list[_Draft]:
    """Add lead-sentence paragraphs inside numbered nodes that have no numbered children."""
    parents = {d.parent for d in drafts}
    result: list[_Draft] = []
    for index, draft in enumerate(drafts):
        result.append(draft)
        if index in parents:
            continue
        stop = drafts[index + 1].line if index + 1 < len(drafts) else len(lines)
        inside = [ln for ln in lines[draft.line + 1 : stop] if ln.start < body_end]
        result.extend(_lead_drafts(inside, parent=index))
    # Parents still index the old list; paragraphs inserted after their container shift them.
    position = {id(d): i for i, d in enumerate(result)}
    for d in result:
        if d.parent is not None:
            d.parent = position[id(drafts[d.parent])]
    return result


def _lead_drafts(lines: list[_Line], parent: int | None) -> list[_Draft]:
    """Paragraph drafts for lead-sentence lines, when at least two stand together."""
    leads = [(ln, title) for ln in lines if (title := lead_title(ln.text))]
    if len(leads) < 2:
        return []
    return [
        _Draft("lead", "", n, title, ln.start, ln.number, parent)
        for n, (ln, title) in enumerate(leads, start=1)
    ]


def lead_title(paragraph: str) -> str | None:
    """The title of a lead-sentence paragraph, or None if ``paragraph`` is not one.

    The first sentence must be short (4-25 characters), contain no comma, semicolon or colon,
    and be followed by more text.

    Examples
    --------
    >>> lead_title("强化区域联动发展。增强城市空间统筹能力，全面提升区域发展整体水平。")
    '强化区域联动发展'
    >>> lead_title("到2025年，区域一体化发展取得实质性进展。") is None
    True
    """
    end = paragraph.find("。")
    if not 4 <= end <= 25 or end == len(paragraph) - 1:
        return None
    head = paragraph[:end]
    if any(c in head for c in "，,；;：:") or head[0].isdigit() or _match_heading(head):
        return None
    return head


# -- documents without numbering ------------------------------------------------------------------


def _unnumbered_drafts(lines: list[_Line]) -> list[_Draft]:
    """Drafts from unnumbered subheadings or, failing that, lead-sentence paragraphs."""
    body = [i for i, ln in enumerate(lines) if _is_body(ln.text)]
    if not body:
        return []
    headings = [
        ln
        for i, ln in enumerate(lines)
        if i > body[0] and _is_subheading(ln.text) and _next_is_body(lines, i)
    ]
    if len(headings) >= 2:
        return [
            _Draft("lead", "", n, ln.text[:_TITLE_MAX], ln.start, ln.number)
            for n, ln in enumerate(headings, start=1)
        ]
    return _lead_drafts(lines[body[0] :], parent=None)


def _is_body(line: str) -> bool:
    return len(line) > 30 and ("。" in line or "，" in line)


def _is_subheading(line: str) -> bool:
    return (
        4 <= len(line) <= 30
        and not any(c in line for c in "。，,；;：:！？!?")
        and not _DATE_LINE_RE.match(line)
        and not _META_RE.search(line)
        and not _SIGNATURE_RE.search(line)
    )


def _next_is_body(lines: list[_Line], index: int) -> bool:
    for ln in lines[index + 1 :]:
        if ln.text:
            return _is_body(ln.text)
    return False


def _no_structure(text: str, meta: dict, problems: list[Problem]) -> tuple[list, dict, list]:
    body = text.strip()
    start = text.find(body) if body else 0
    first = body.split("\n", 1)[0]
    node = ParsedNode(
        id="n1",
        parent=None,
        kind="paragraph",
        label="",
        ordinal=1,
        title=_title_of(first),
        text=body,
        start=start,
        end=start + len(body),
    )
    problems.append(
        Problem(
            kind="no_structure",
            message="no numbered structure found; the whole text is one node to split by hand",
            severity="warning",
            start=start,
            end=start + len(body),
        )
    )
    return [node], meta, problems


# -- finishing ---------------------------------------------------------------------------------


def _postamble_start(lines: list[_Line], last_heading_line: int, text_end: int) -> int:
    """Where the signature block (issuing body, date, byline) after the last node begins."""
    start = text_end
    for ln in reversed(lines[last_heading_line + 1 :]):
        if not ln.text:
            continue
        if len(ln.text) <= 40 and "。" not in ln.text and _SIGNATURE_RE.search(ln.text):
            start = ln.start
            continue
        break
    return start


def _finish(drafts: list[_Draft], text: str, body_end: int) -> list[ParsedNode]:
    """Turn drafts into nodes: own text up to the next node, ids in document order."""
    ids = [f"n{i}" for i in range(1, len(drafts) + 1)]
    nodes = []
    for i, d in enumerate(drafts):
        stop = drafts[i + 1].start if i + 1 < len(drafts) else max(body_end, d.start)
        own = text[d.start : stop].rstrip()
        nodes.append(
            ParsedNode(
                id=ids[i],
                parent=ids[d.parent] if d.parent is not None else None,
                kind=_KIND.get(d.kind, d.kind),
                label=d.label,
                ordinal=d.ordinal,
                title=d.title,
                text=own,
                start=d.start,
                end=d.start + len(own),
            )
        )
    return nodes


def _check_counts(text: str, nodes: list[ParsedNode]) -> list[Problem]:
    """Compare the document's own counts ("60条重点任务", "四个部分") with the parse."""
    problems = []
    task_claim = _first_claim(text, _TASK_CLAIM_RES)
    if task_claim:
        stated, start, end = task_claim
        by_kind = Counter(n.kind for n in nodes)
        parents = {n.parent for n in nodes}
        leaves = sum(n.id not in parents for n in nodes)
        if stated not in {*by_kind.values(), leaves}:
            kind, count = by_kind.most_common(1)[0]
            problems.append(
                Problem(
                    kind="count_mismatch",
                    message=f"the document states {stated} tasks ({text[start:end]!r}) but "
                    f"{leaves} leaf nodes were parsed (most numerous: {count} {kind})",
                    severity="warning",
                    start=start,
                    end=end,
                )
            )
    part_claim = _first_claim(text, (_PART_CLAIM_RE,))
    if part_claim:
        stated, start, end = part_claim
        top = [n for n in nodes if n.parent is None]
        if stated != len(top):
            problems.append(
                Problem(
                    kind="count_mismatch",
                    message=f"the document states {stated} parts ({text[start:end]!r}) but "
                    f"{len(top)} top-level nodes were parsed",
                    severity="warning",
                    start=start,
                    end=end,
                )
            )
    return problems


def _first_claim(text: str, patterns: tuple[re.Pattern[str], ...]) -> tuple[int, int, int] | None:
    """The first stated count in the text: a document states its own counts before others'."""
    best = None
    for pattern in patterns:
        for m in pattern.finditer(text):
            value = chinese_numeral(m.group(1))
            if value and (best is None or m.start() < best[1]):
                best = (value, m.start(), m.end())
            if value:
                break
    return best


# -- title, issuer and date -----------------------------------------------------------------------


def parse_meta(lines: list[_Line]) -> dict:
    """Title, issuer and ISO date where the page states them (see ``parse_structure``)."""
    texts = [ln.text for ln in lines if ln.text]
    head, tail = texts[:12], texts[-8:]
    return {
        "title": _find_title(texts),
        "issuer": _find_issuer(head, tail, texts),
        "date": _find_date(head, tail),
    }


def _find_title(texts: list[str]) -> str:
    for line in texts[:5]:
        if _META_RE.search(line) or _DATE_LINE_RE.match(line):
            continue
        if _match_heading(line):
            return ""
        return line[:200]
    return ""


def _find_issuer(head: list[str], tail: list[str], texts: list[str]) -> str | None:
    for line in head:
        for m in _ISSUER_RE.finditer(line):
            value = m.group(1).strip()
            if re.search(r"[\u4e00-\u9fff]", value) and value not in _UNKNOWN_ISSUERS:
                return value
    for line in tail:
        if _ISSUING_BODY_RE.match(line):
            return line
    if texts:
        m = _TITLE_ISSUER_RE.match(texts[0])
        if m:
            return m.group(1)
    return None


def _find_date(head: list[str], tail: list[str]) -> str | None:
    """A labelled date, else the document's own signing date, else a bare date near the top."""
    candidates = [m for line in head for m in _DATE_LABEL_RE.finditer(line)]
    candidates += [m for line in tail if (m := _SIGNED_DATE_RE.match(line))]
    candidates += [m for line in head if (m := _DATE_LINE_RE.match(line))]
    for m in candidates:
        iso = _iso_date(*m.groups()[:3])
        if iso:
            return iso
    return None


def _iso_date(year: str, month: str, day: str) -> str | None:
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None

"""Clean a plan's text for parsing, and remember where every clean character came from.

Scraped plan pages carry navigation menus, share buttons, view counters, spam, traditional
characters, pinyin glued after characters (``區(qū)``) and mojibake (``?;A(chǔ)``). Cleaning is
kept apart from parsing so that the structure parser only ever sees simplified, normalised text,
while every offset it produces can still be mapped back to the exact clause of the original.

The pipeline is a series of small steps. Each step looks at the current text and returns a list
of edits ``(start, end, replacement)``; one driver applies them and carries, for every character
of the current text, the span of the original text it stands for. Steps never need to know about
offsets, and the map stays right however many characters a step adds or removes.

Order matters:

1. control characters and line endings (``\\r\\n`` -> ``\\n``, zero-width characters dropped);
2. pinyin glosses (before mojibake detection, so a gloss is not mistaken for garbage);
3. unreadable spans, each replaced by one U+FFFD and reported as a ``Problem`` (kind
   ``unreadable``) with its original offsets, never dropped silently;
4. traditional -> simplified with OpenCC ``t2s``;
5. full-width / half-width letters, digits and punctuation;
6. page furniture (on simplified, normalised text, so the patterns are written once);
7. whitespace at line ends and runs of blank lines.

Normalisation convention (what the structure parser and target extractor can rely on):
full-width ASCII letters, digits and symbols become ASCII (``３．２％`` -> ``3.2%``); the Chinese
sentence punctuation ``，；：？！`` is kept full-width, and the ASCII forms ``,;:!?`` become
full-width where they touch a Chinese character (``2:1`` and ``16:13`` stay ASCII). Brackets
are left as printed, ``(`` and ``（`` alike, so labels such as ``（一）`` stay exactly as printed;
the parser accepts both forms.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from yrdplan.domain.problems import Problem

Edit = tuple[int, int, str]
"""Replace ``text[start:end]`` with ``replacement`` (an empty replacement deletes)."""

REPLACEMENT_CHAR = "\ufffd"

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RE = re.compile(f"[{_CJK}]")
# Chinese punctuation that counts as "Chinese context" when deciding whether an ASCII comma
# between two words is really a Chinese comma.
_CJK_PUNCT = "，。、；：？！“”‘’《》〈〉「」『』【】（）…—"

# Pinyin with tone marks. A gloss must carry at least one tone mark: that is what separates
# ``(qū)`` from an English or code parenthesis such as ``(PM2.5)`` or ``(IPv6)``.
_TONES = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_PINYIN = f"a-zü{_TONES}"
_GLOSS_RE = re.compile(f"[(（][{_PINYIN}]{{0,6}}[{_TONES}][{_PINYIN}]{{0,6}}[)）]")
# A gloss whose opening bracket was eaten by an encoding accident: ``?yún)``.
_GLOSS_FRAGMENT_RE = re.compile(f"[{_PINYIN}]{{0,6}}[{_TONES}][{_PINYIN}]{{0,6}}[)）]")

# Characters that turn up glued to ``?`` in mojibake (``?;A``, ``?yún)⑴c``, ``??鐓^``) and
# hardly ever next to a genuine question mark.
_JUNK_RE = re.compile(r"[A-Za-z;^\\\[\]{}|`~@#$&*_=+<>\u2460-\u24ff]+")
_LOST_RE = re.compile(r"[?\ufffd]")
_CJK_BEFORE_JUNK_RE = re.compile(f"[{_CJK}]{{1,2}}(?=[?\\ufffd]|{_JUNK_RE.pattern})")

_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_SPACES = "\u00a0\u3000\u2002\u2003\u2009\t"
_LINE_BREAKS = "\r\x0b\x0c\x85\u2028\u2029"
# "\r\n" first so that it becomes one "\n"; then every other character that is not text.
_CONTROL_RE = re.compile(f"\r\n|[{_LINE_BREAKS}{_SPACES}{_ZERO_WIDTH}\x00-\x08\x0e-\x1f\x7f]")

# Full-width forms kept as they are: Chinese sentence punctuation and brackets.
_KEEP_FULL_WIDTH = frozenset("，；：？！（）")
_TO_FULL_WIDTH = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？"}
_HALF_WIDTH_CJK = {"｡": "。", "､": "、", "｢": "「", "｣": "」"}

STAT_KEYS = (
    "pinyin_glosses",
    "unreadable_spans",
    "chars_simplified",
    "chars_normalised",
    "furniture_lines",
    "counters",
)


@dataclass(slots=True)
class CleanedText:
    """Clean text plus the map from each of its characters back to the original.

    Attributes
    ----------
    text : str
        The clean text: simplified Chinese, normalised punctuation, no furniture or glosses.
    original : str
        The text that was cleaned.
    starts, ends : list of int
        ``original[starts[i]:ends[i]]`` is what clean character ``i`` stands for.
    problems : list of Problem
        What cleaning could not read, in ORIGINAL offsets.
    stats : dict
        Counts per step, keys ``STAT_KEYS``.
    """

    text: str
    original: str
    starts: list[int]
    ends: list[int]
    problems: list[Problem] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)

    def to_original(self, offset: int, *, end: bool = False) -> int:
        """Map a clean offset to the original text.

        Parameters
        ----------
        offset : int
            An offset into ``text``, ``0 <= offset <= len(text)`` (clamped otherwise).
        end : bool
            Treat ``offset`` as an exclusive end: map it to the end of the character before it,
            so that a span never swallows text removed right after it.

        Examples
        --------
        >>> c = clean_text("區(qū)域")
        >>> c.text, c.to_original(1), c.to_original(2, end=True)
        ('区域', 5, 6)
        """
        size = len(self.text)
        offset = min(max(offset, 0), size)
        if end and offset > 0:
            return self.ends[offset - 1]
        if offset < size:
            return self.starts[offset]
        return self.ends[-1] if size else len(self.original)

    def span_to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a clean span ``[start, end)`` to the original; an empty span stays empty."""
        if end <= start:
            point = self.to_original(start)
            return point, point
        return self.to_original(start), self.to_original(end, end=True)


def clean_text(text: str) -> CleanedText:
    """Clean ``text`` for parsing and keep the offset map back to it.

    Parameters
    ----------
    text : str
        A plan document's text as read from its file.

    Returns
    -------
    CleanedText
        The clean text, its offset map, the unreadable spans found (as problems) and counts.

    Examples
    --------
    >>> c = clean_text("當前位置:主頁 > 新聞\\n一、加強區(qū)域合作,點擊:12次")
    >>> c.text
    '一、加强区域合作，'
    >>> c.stats["pinyin_glosses"], c.stats["furniture_lines"], c.stats["counters"]
    (1, 1, 1)
    """
    draft = _Draft(text)
    draft.apply(normalise_controls(draft.text))
    glosses = find_pinyin_glosses(draft.text)
    draft.stats["pinyin_glosses"] = len(glosses)
    draft.absorb(glosses)
    unreadable = find_unreadable_spans(draft.text)
    draft.report_unreadable(unreadable)
    draft.apply([(s, e, REPLACEMENT_CHAR) for s, e in unreadable])
    simplified = simplify(draft.text)
    draft.stats["chars_simplified"] = _count_changed(draft.text, simplified)
    draft.apply(simplified)
    widths = normalise_widths(draft.text)
    draft.stats["chars_normalised"] = len(widths)
    draft.apply(widths)
    lines, counters = find_furniture(draft.text)
    draft.stats["furniture_lines"] = len(lines)
    draft.stats["counters"] = len(counters)
    draft.apply(sorted([(s, e, "") for s, e in lines + counters]))
    draft.apply(tidy_whitespace(draft.text))
    return draft.finish()


def _count_changed(text: str, edits: list[Edit]) -> int:
    """How many characters the edits change (a longer replacement counts in full)."""
    changed = 0
    for s, e, repl in edits:
        if len(repl) == e - s:
            changed += sum(map(str.__ne__, text[s:e], repl))
        else:
            changed += len(repl)
    return changed


class _Draft:
    """The text between steps and, per character, the original span it stands for."""

    def __init__(self, original: str) -> None:
        self.original = original
        self.text = original
        self.starts = list(range(len(original)))
        self.ends = list(range(1, len(original) + 1))
        self.problems: list[Problem] = []
        self.stats = dict.fromkeys(STAT_KEYS, 0)

    def apply(self, edits: list[Edit]) -> None:
        """Apply sorted, non-overlapping edits to the text and its map."""
        if not edits:
            return
        if all(len(r) == e - s for s, e, r in edits):
            self._substitute(edits)
            return
        pieces: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        pos = 0
        for s, e, repl in edits:
            pieces.append(self.text[pos:s])
            starts.extend(self.starts[pos:s])
            ends.extend(self.ends[pos:s])
            if repl:
                if len(repl) == e - s:  # one-to-one: each character keeps its own span
                    starts.extend(self.starts[s:e])
                    ends.extend(self.ends[s:e])
                else:  # every new character stands for the whole replaced span
                    lo, hi = self._span(s, e)
                    starts.extend([lo] * len(repl))
                    ends.extend([hi] * len(repl))
                pieces.append(repl)
            pos = e
        pieces.append(self.text[pos:])
        starts.extend(self.starts[pos:])
        ends.extend(self.ends[pos:])
        self.text = "".join(pieces)
        self.starts, self.ends = starts, ends

    def _substitute(self, edits: list[Edit]) -> None:
        """Same-length replacements leave the map as it is: only the text changes."""
        pieces: list[str] = []
        pos = 0
        for s, e, repl in edits:
            pieces.append(self.text[pos:s])
            pieces.append(repl)
            pos = e
        pieces.append(self.text[pos:])
        self.text = "".join(pieces)

    def absorb(self, spans: list[tuple[int, int]]) -> None:
        """Delete ``spans``, each becoming part of the character before it.

        A pinyin gloss belongs to the character it glosses, so ``区`` maps back to ``區(qū)``
        and a clause ending in a glossed character keeps its gloss in the original span.
        """
        for s, e in spans:
            if s > 0:
                self.ends[s - 1] = self.ends[e - 1]
        self.apply([(s, e, "") for s, e in spans])

    def _span(self, s: int, e: int) -> tuple[int, int]:
        if e > s:
            return self.starts[s], self.ends[e - 1]
        if s < len(self.starts):  # an insertion: a point in the original
            return self.starts[s], self.starts[s]
        point = self.ends[-1] if self.ends else len(self.original)
        return point, point

    def report_unreadable(self, spans: list[tuple[int, int]]) -> None:
        self.stats["unreadable_spans"] = len(spans)
        for s, e in spans:
            lo, hi = self._span(s, e)
            snippet = self.original[lo:hi]
            self.problems.append(
                Problem(
                    kind="unreadable",
                    message=f"unreadable text {snippet[:40]!r} (lost or mis-decoded characters)",
                    severity="warning",
                    start=lo,
                    end=hi,
                    value=snippet[:80],
                )
            )

    def finish(self) -> CleanedText:
        return CleanedText(
            text=self.text,
            original=self.original,
            starts=self.starts,
            ends=self.ends,
            problems=self.problems,
            stats=self.stats,
        )


# -- steps ----------------------------------------------------------------------------------


def normalise_controls(text: str) -> list[Edit]:
    """Edits that make line ends ``\\n``, drop zero-width and control characters, unify spaces."""
    return [
        (m.start(), m.end(), _control_replacement(m.group())) for m in _CONTROL_RE.finditer(text)
    ]


def _control_replacement(found: str) -> str:
    if found == "\r\n":
        return "\n"
    if found in _LINE_BREAKS:
        return "\n"  # a lone "\r" (old Mac files), a vertical tab, U+2028 …
    if found in _SPACES:
        return " "
    return ""  # zero-width and other control characters


def find_pinyin_glosses(text: str) -> list[tuple[int, int]]:
    """Spans of pinyin glosses such as ``(qū)`` in ``區(qū)``.

    Examples
    --------
    >>> find_pinyin_glosses("區(qū)域(PM2.5)")
    [(1, 5)]
    """
    return [m.span() for m in _GLOSS_RE.finditer(text)]


def find_unreadable_spans(text: str) -> list[tuple[int, int]]:
    """Spans of mojibake and lost characters.

    A span starts at a ``?`` or U+FFFD and grows over further ``?``, pinyin fragments
    (``yún)``), junk glued to it (``;A``, ``⑴c``) and up to two Chinese characters that sit
    between such pieces. A lone ``?`` with nothing glued to it is a question mark, not damage.

    Examples
    --------
    >>> text = "以上?;A設施，國際??品?wù)中心，要嗎?好"
    >>> [text[s:e] for s, e in find_unreadable_spans(text)]
    ['?;A', '??品?wù)']
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    while (m := _LOST_RE.search(text, pos)) is not None:
        start = m.start()
        if _is_ascii_question(text, start):
            pos = start + 1
            continue
        end = _extend_unreadable(text, start + 1)
        piece = text[start:end]
        if REPLACEMENT_CHAR in piece or end - start > 1:
            spans.append((start, end))
        pos = end
    return spans


def _is_ascii_question(text: str, i: int) -> bool:
    """A ``?`` inside ASCII text ("a.php?id=3", "Why?"), unless another ``?`` follows it."""
    before = text[i - 1] if i else ""
    after = text[i + 1 : i + 2]
    return text[i] == "?" and before.isascii() and before.isalnum() and after not in ("?", "\ufffd")


def _extend_unreadable(text: str, end: int) -> int:
    while end < len(text):
        if text[end] in "?\ufffd":
            end += 1
            continue
        for pattern in (_GLOSS_RE, _GLOSS_FRAGMENT_RE, _JUNK_RE, _CJK_BEFORE_JUNK_RE):
            m = pattern.match(text, end)
            if m:
                end = m.end()
                break
        else:
            return end
    return end


@lru_cache(maxsize=1)
def _opencc_t2s() -> Callable[[str], str]:
    import opencc

    return opencc.OpenCC("t2s").convert


def simplify(text: str, convert: Callable[[str], str] | None = None) -> list[Edit]:
    """Edits that turn traditional characters into simplified ones (OpenCC ``t2s``).

    ``t2s`` maps character for character in practice (checked on every seed), so the whole text
    is converted at once and, when the length is unchanged, returned as one same-length edit that
    leaves the offset map as it is. Should a conversion ever change the length, the text is
    converted line by line and, in a line that changes length, character by character, so that
    each converted piece still maps to the character it came from.

    Parameters
    ----------
    text : str
    convert : callable, optional
        The converter; OpenCC ``t2s`` by default (a parameter so tests can exercise the
        length-changing path).
    """
    convert = convert or _opencc_t2s()
    converted = convert(text)
    if len(converted) == len(text):
        return [(0, len(text), converted)] if converted != text else []
    edits: list[Edit] = []
    for start, line in _iter_lines(text):
        out = convert(line)
        if len(out) == len(line):
            edits.extend(_char_edits(line, out, start))
            continue
        for i, ch in enumerate(line):
            piece = convert(ch)
            if piece != ch:
                edits.append((start + i, start + i + 1, piece))
    return edits


def _char_edits(before: str, after: str, offset: int) -> list[Edit]:
    return [
        (offset + i, offset + i + 1, b)
        for i, (a, b) in enumerate(zip(before, after, strict=True))
        if a != b
    ]


def _iter_lines(text: str) -> Iterator[tuple[int, str]]:
    pos = 0
    for line in text.split("\n"):
        yield pos, line
        pos += len(line) + 1


def normalise_widths(text: str) -> list[Edit]:
    """Edits that apply the full-width / half-width convention (see the module docstring).

    Examples
    --------
    >>> t = "增长３．２％,比例2:1;來源:本站"
    >>> edits = normalise_widths(t)
    >>> "".join(dict((s, r) for s, _, r in edits).get(i, c) for i, c in enumerate(t))
    '增长3.2%，比例2:1；來源：本站'
    """
    edits: list[Edit] = []
    for m in _WIDTH_RE.finditer(text):
        i, ch = m.start(), m.group()
        if ch in _TO_FULL_WIDTH:
            if _touches_chinese(text, i):
                edits.append((i, i + 1, _TO_FULL_WIDTH[ch]))
        elif ch in _HALF_WIDTH_CJK:
            edits.append((i, i + 1, _HALF_WIDTH_CJK[ch]))
        else:
            edits.append((i, i + 1, chr(ord(ch) - 0xFEE0)))
    return edits


# Full-width ASCII forms (U+FF01-U+FF5E) except the ones kept, plus the characters mapped above.
_WIDTH_RE = re.compile(
    "["
    + "".join(
        re.escape(c)
        for c in (
            *(chr(code) for code in range(0xFF01, 0xFF5F) if chr(code) not in _KEEP_FULL_WIDTH),
            *_HALF_WIDTH_CJK,
            *_TO_FULL_WIDTH,
        )
    )
    + "]"
)


def _touches_chinese(text: str, i: int) -> bool:
    before = text[i - 1] if i else ""
    after = text[i + 1 : i + 2]
    return any(c and (_CJK_RE.match(c) or c in _CJK_PUNCT) for c in (before, after))


# -- page furniture ---------------------------------------------------------------------------

_BREADCRUMB_RE = re.compile(r"^(?:当前位置|您的位置|您现在的位置|所在位置|当前页面)\s*[：:]")
_TOOLBAR_RE = re.compile(r"^[【\[].{0,30}(?:字号|打印|关闭|收藏|纠错|默认|大\s*中\s*小)")
_ACTION_RE = re.compile(
    r"^(?:分享到|分享至|上一篇|下一篇|返回顶部|返回首页|关闭窗口|打印本页|打印此页|扫一扫|微信扫一扫)"
)
_RELATED_RE = re.compile(
    r"^(?:相关文章|相关阅读|相关新闻|相关链接|相关推荐|延伸阅读|推荐阅读)(?:推荐)?\s*[：:]?\s*$"
)
_BYLINE_RE = re.compile(r"^(?:作者|编辑|责任编辑|责编|审核|校对|来源编辑)\s*[：:]")
_BULLET_RE = re.compile(r"^[-•·*]\s*\S")
_SYMBOLS_ONLY_RE = re.compile(r"^[^\w]+$")
_LONE_NUMBER_RE = re.compile(r"^\d{1,3}$")
_LONE_LETTERS_RE = re.compile(r"^[A-Za-z]{1,2}$")
_LATIN_WORDS_RE = re.compile(r"^[A-Za-z][A-Za-z &'-]{0,30}$")
_COUNTER_RE = re.compile(
    r"(?:点击(?:数|量)?|浏览(?:次数|量)?|阅读(?:数|量|次数)?|访问(?:量|次数)?)\s*[：:]\s*\d*\s*次?"
)
_SPAM_WORDS = (
    "彩",
    "棋牌",
    "赚钱",
    "开奖",
    "选5",
    "麻将",
    "博彩",
    "娱乐城",
    "百家乐",
    "股票",
    "赌",
)
_SENTENCE_MARKS = frozenset("。，；！？")


def find_furniture(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Spans of page furniture: whole lines (with their line break) and in-line view counters.

    Returns
    -------
    lines : list of (start, end)
        Furniture lines: navigation menus and breadcrumbs, toolbars (【字号】【打印】), share
        buttons, "相关文章" blocks, bylines, view counters standing alone, decoration (``▼``,
        ``01``) and spam lines.
    counters : list of (start, end)
        View counters inside a line that also says something useful (``日期:… 点击:次``).
    """
    lines = list(_iter_lines(text))
    stripped = [line.strip() for _, line in lines]
    first_body, last_body = _body_bounds(stripped)
    drop: set[int] = set()
    counters: list[tuple[int, int, int]] = []
    related = False
    for n, line in enumerate(stripped):
        outside_body = n < first_body or n > last_body
        if related and len(line) <= 40 and not (_SENTENCE_MARKS & set(line)):
            drop.add(n)  # the link list under a "相关文章" heading
            continue
        related = False
        if _RELATED_RE.match(line):
            related = True
            drop.add(n)
        elif _is_furniture_line(line, outside_body):
            drop.add(n)
        else:
            found = _find_counters(*lines[n])
            if found and not _COUNTER_RE.sub("", line).strip():
                drop.add(n)  # a counter alone on its line
            else:
                counters.extend((s, e, n) for s, e in found)
    drop |= _navigation_runs(stripped, first_body, last_body)
    inline = [(s, e) for s, e, n in counters if n not in drop]
    spans = []
    for n in sorted(drop):
        start, line = lines[n]
        end = start + len(line) + (1 if start + len(line) < len(text) else 0)
        spans.append((start, end))
    return spans, inline


def _find_counters(start: int, line: str) -> list[tuple[int, int]]:
    return [(start + m.start(), start + m.end()) for m in _COUNTER_RE.finditer(line)]


def _is_furniture_line(line: str, outside_body: bool) -> bool:
    if not line:
        return False
    if (
        _BREADCRUMB_RE.match(line)
        or (_TOOLBAR_RE.match(line) and len(line) <= 40)
        or (_ACTION_RE.match(line) and len(line) <= 30)
        or (_BYLINE_RE.match(line) and len(line) <= 40)
        or _SYMBOLS_ONLY_RE.match(line)
        or _LONE_NUMBER_RE.match(line)
        or _LONE_LETTERS_RE.match(line)
        or _is_spam(line)
    ):
        return True
    # A bare English word above the content is a site's menu or logo text ("Network").
    return outside_body and bool(_LATIN_WORDS_RE.match(line))


def _is_spam(line: str) -> bool:
    """A line of many short space-separated phrases and no sentence: a spam or tag cloud."""
    tokens = line.split()
    if len(tokens) < 6 or _SENTENCE_MARKS & set(line):
        return False
    if any(len(t) > 15 for t in tokens):
        return False
    spammy = sum(any(w in t for w in _SPAM_WORDS) for t in tokens)
    return spammy >= 2 or len(tokens) >= 12


def _body_bounds(stripped: list[str]) -> tuple[int, int]:
    """First and last line that reads as running text (long, with sentence punctuation)."""
    body = [
        n
        for n, line in enumerate(stripped)
        if len(line) >= 30 and ("。" in line or "，" in line or "," in line)
    ]
    return (body[0], body[-1]) if body else (len(stripped), -1)


def _navigation_runs(stripped: list[str], first_body: int, last_body: int) -> set[int]:
    """Runs of three or more short bullet lines outside the running text: a site menu."""
    found: set[int] = set()
    run: list[int] = []
    for n, line in enumerate([*stripped, ""]):
        outside = n < first_body or n > last_body
        if (
            outside
            and _BULLET_RE.match(line)
            and len(line) <= 30
            and not (_SENTENCE_MARKS & set(line))
        ):
            run.append(n)
            continue
        if len(run) >= 3:
            found.update(run)
        run = []
    return found


def tidy_whitespace(text: str) -> list[Edit]:
    """Edits that strip spaces at line ends, keep at most one blank line and trim the ends."""
    edits: list[Edit] = []
    blank_run = 0
    seen_text = False
    for start, line in _iter_lines(text):
        content = line.strip(" ")
        if not content:
            blank_run += 1
            # Drop blank lines at the top and all but the first of a run.
            if not seen_text or blank_run > 1:
                end = start + len(line) + 1
                edits.append((start, min(end, len(text)), ""))
            elif line:
                edits.append((start, start + len(line), ""))
            continue
        blank_run = 0
        seen_text = True
        lead = len(line) - len(line.lstrip(" "))
        trail = len(line) - len(line.rstrip(" "))
        if lead:
            edits.append((start, start + lead, ""))
        if trail:
            edits.append((start + len(line) - trail, start + len(line), ""))
    edits = _trim_trailing_newlines(text, edits)
    return edits


def _trim_trailing_newlines(text: str, edits: list[Edit]) -> list[Edit]:
    """Also delete the line breaks (and blank lines) at the very end of the text."""
    end = len(text.rstrip(" \n"))
    if end == len(text):
        return edits
    kept = [e for e in edits if e[1] <= end]
    clipped = [(s, end, r) for s, e, r in edits if s < end < e]
    return [*kept, *clipped, (end, len(text), "")]

"""Numbered sub-items written inside one paragraph become child nodes.

Plans often list a task's measures in its own paragraph: "加强治理：（1）推进污水管网建设；
（2）实施河道综合整治；（3）开展农业面源污染防治。" The structure parser opens nodes only at line
starts, so such a paragraph stays one node; :func:`split_inline_items` gives it one ``subitem``
child per ``（1）``/``(1)``/``⑴`` marker when the markers run 1, 2, 3 … on one line after a
clause break (：；。，). The parent keeps the text before the first marker and the last item
runs to where the parent ended (node spans stay disjoint); ids are renumbered in document order.
"""

from __future__ import annotations

import dataclasses
import re

from yrdplan.domain.plans import ParsedNode

_MARKER_RE = re.compile(r"(?<=[：:；;。，,\s])\s*(?:[（(]\s*(\d{1,2})\s*[）)]|([⑴-⒇]))")
_SENTENCE_END = re.compile(r"[。；;！？]")
_TITLE_MAX = 120


def _markers(text: str, start: int, end: int) -> list[tuple[int, int, int]]:
    """(marker start, marker end, number) of the first run 1, 2, … on one line."""
    for line_start, line in _lines(text, start, end):
        found, expected = [], 1
        for m in _MARKER_RE.finditer(line):
            number = int(m.group(1)) if m.group(1) else ord(m.group(2)) - 0x2473
            if number != expected:
                if found:
                    break
                continue
            begin = line_start + m.start() + (len(m.group(0)) - len(m.group(0).lstrip()))
            found.append((begin, line_start + m.end(), number))
            expected += 1
        if len(found) >= 2:
            return found
    return []


def _lines(text: str, start: int, end: int):
    pos = start
    while pos < end:
        stop = text.find("\n", pos, end)
        stop = end if stop < 0 else stop
        yield pos, text[pos:stop]
        pos = stop + 1


def split_inline_items(nodes: list[ParsedNode], text: str) -> list[ParsedNode]:
    """Nodes with inline sub-items split out; offsets into ``text``.

    Examples
    --------
    >>> text = "1.加强治理：（1）推进管网建设；（2）实施河道整治。"
    >>> node = ParsedNode("n1", None, "item", "1.", 1, "加强治理", text, 0, len(text))
    >>> [(n.id, n.parent, n.label, n.title) for n in split_inline_items([node], text)]
    [('n1', None, '1.', '加强治理'), ('n2', 'n1', '（1）', '推进管网建设'), ('n3', 'n1', '（2）', '实施河道整治')]
    """
    out: list[ParsedNode] = []
    for node in nodes:
        markers = _markers(text, node.start, node.end)
        if not markers:
            out.append(dataclasses.replace(node))
            continue
        head_end = markers[0][0]
        head = text[node.start : head_end].rstrip()
        first_label = text[markers[0][0] : markers[0][1]].strip()
        title = node.title.split(first_label, 1)[0].rstrip(" ：:，,") or node.title
        out.append(dataclasses.replace(node, text=head, end=node.start + len(head), title=title))
        for index, (begin, label_end, number) in enumerate(markers):
            stop = markers[index + 1][0] if index + 1 < len(markers) else node.end
            own = text[begin:stop].rstrip()
            rest = text[label_end : begin + len(own)].lstrip(" 、.:：")
            m = _SENTENCE_END.search(rest)
            title = (rest[: m.start()] if m else rest).strip()[:_TITLE_MAX]
            out.append(
                ParsedNode(
                    id=f"{node.id}.{number}",
                    parent=node.id,
                    kind="subitem",
                    label=text[begin:label_end].strip(),
                    ordinal=number,
                    title=title,
                    text=own,
                    start=begin,
                    end=begin + len(own),
                )
            )
    if len(out) == len(nodes):
        return out
    out.sort(key=lambda n: n.start)
    ids = {n.id: f"n{i}" for i, n in enumerate(out, start=1)}
    return [
        dataclasses.replace(n, id=ids[n.id], parent=ids.get(n.parent) if n.parent else None)
        for n in out
    ]

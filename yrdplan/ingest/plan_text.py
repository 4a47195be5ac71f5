"""Parse a plan document into its structure, targets and problems: read, clean, parse, extract.

Every offset in the result (nodes, targets, baselines, tables, problems) points into the
ORIGINAL text, the document's text as read from its file, so the review screen can show the
exact clause a node or target came from. Titles and texts are simplified and cleaned (they come
from the clean text).

Beyond the text: numbered sub-items inside a paragraph become child nodes
(:mod:`~yrdplan.ingest.inline_items`); past results stated in the text become baselines, not
targets (:mod:`~yrdplan.ingest.past_results`); and each indicator table of an HTML, Word, PDF
document gives its targets and baselines row by row (:mod:`~yrdplan.ingest.plan_tables`),
in place of whatever the text extractor read from the table's lines.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path
from typing import BinaryIO

from yrdplan.domain.plans import (
    ExtractedBaseline,
    ExtractedTarget,
    ParsedNode,
    ParsedPlan,
    PlanTable,
)
from yrdplan.domain.problems import Problem
from yrdplan.errors import InputError
from yrdplan.ingest.clean import CleanedText, clean_text
from yrdplan.ingest.inline_items import split_inline_items
from yrdplan.ingest.past_results import plan_base_year, split_past_results
from yrdplan.ingest.read import SourceDocument, read_document
from yrdplan.ingest.source import Source
from yrdplan.ingest.structure import parse_structure

_TARGETS_MODULE = "yrdplan.ingest.targets"


def parse_plan(source: Path | str | BinaryIO | Source, *, name: str | None = None) -> ParsedPlan:
    """Parse a plan document; nothing is written anywhere.

    Parameters
    ----------
    source : Path, binary file object, Source or str
        A :class:`~pathlib.Path` is read as a file (.txt in any common encoding, .html, .docx,
        .pdf, .ofd), a binary file object as an upload of one; a ``str`` is the document's text
        itself.
    name : str, optional
        The source name to record (an upload's file name); defaults to the file name, or
        ``"<text>"`` for a string.

    Returns
    -------
    ParsedPlan
        Nodes with ids ``n1``, ``n2`` … in document order, targets, problems, the original and
        the clean text; all offsets into ``original_text``.

    Raises
    ------
    InputError
        The file cannot be read (missing, empty, binary, unsupported) or the text is empty.

    Examples
    --------
    >>> plan = parse_plan("南京实施方案\\n一、總體要求\\n(一)發展目標。到2025年……")
    >>> [(n.id, n.label, n.title, plan.original_text[n.start:n.end][:6]) for n in plan.nodes]
    [('n1', '一、', '总体要求', '一、總體要求'), ('n2', '(一)', '发展目标', '(一)發展目')]
    """
    document = _load(source, name)
    cleaned = clean_text(document.text)
    nodes, meta, structure_problems = parse_structure(cleaned.text)
    nodes = split_inline_items(nodes, cleaned.text)
    title = meta["title"] or Path(document.name).stem
    targets, target_problems = _extract_targets(cleaned.text, nodes)
    base_year = plan_base_year(title, meta["date"])
    targets, past = split_past_results(targets, cleaned.text, nodes, base_year)
    # A past result needs no target year: its warnings went with it.
    past_spans = {(b.start, b.end) for b in past}
    target_problems = [p for p in target_problems if (p.start, p.end) not in past_spans]
    original_nodes = [_node_to_original(n, cleaned) for n in nodes]
    targets = [_target_to_original(t, cleaned) for t in targets]
    baselines = [_target_to_original(b, cleaned) for b in past]
    problems = [_problem_to_original(p, cleaned) for p in [*structure_problems, *target_problems]]
    tables = []
    if document.tables:
        tables, targets, baselines, problems = _read_tables(
            document, original_nodes, targets, baselines, problems, base_year
        )
    return ParsedPlan(
        title=title,
        issuer=meta["issuer"],
        date=meta["date"],
        nodes=original_nodes,
        targets=targets,
        problems=[*cleaned.problems, *problems],
        baselines=baselines,
        tables=tables,
        original_text=document.text,
        clean_text=cleaned.text,
        source_name=document.name,
        source_format=document.format,
        encoding=document.encoding,
    )


def _load(source: Path | str | BinaryIO | Source, name: str | None) -> SourceDocument:
    if isinstance(source, Path | Source) or hasattr(source, "read"):
        return read_document(source, name=name)  # a file on disk, or an upload's bytes
    if not isinstance(source, str):
        raise InputError(
            f"cannot parse a plan from {type(source).__name__}; give a path, a file or text"
        )
    label = name or "<text>"
    if not source.strip():
        raise InputError(f"{label}: the document is empty")
    return SourceDocument(name=label, text=source, encoding="utf-8", format="text")


def _extract_targets(
    text: str, nodes: list[ParsedNode]
) -> tuple[list[ExtractedTarget], list[Problem]]:
    """Run the target extractor (``yrdplan.ingest.targets``) when it is installed."""
    try:
        from yrdplan.ingest.targets import extract_targets
    except ModuleNotFoundError as err:
        if err.name != _TARGETS_MODULE:  # a missing dependency inside it is a real error
            raise
        return [], []
    return extract_targets(text, nodes)


def _read_tables(
    document: SourceDocument,
    nodes: list[ParsedNode],
    targets: list[ExtractedTarget],
    baselines: list[ExtractedBaseline],
    problems: list[Problem],
    base_year: int | None,
) -> tuple[list[PlanTable], list[ExtractedTarget], list[ExtractedBaseline], list[Problem]]:
    """Read each indicator table; its targets replace what the text extractor read from its
    lines. Offsets are the original text's."""
    from yrdplan.ingest.plan_tables import TableContext, read_indicator_table
    from yrdplan.ingest.targets import default_catalogue

    def node_at(start: int, end: int) -> str | None:
        """The node whose own text the span starts in: the last one starting before it."""
        best = None
        for node in nodes:
            if node.start > start:
                break
            best = node.id
        return best

    years = Counter(t.year for t in targets if t.year)
    text_year = years.most_common(1)[0][0] if years else None
    tables: list[PlanTable] = []
    table_targets: list[ExtractedTarget] = []
    table_baselines: list[ExtractedBaseline] = []
    table_problems: list[Problem] = []
    covered: list[tuple[int, int]] = []
    for number, source in enumerate(document.tables, start=1):
        table = PlanTable(
            id=f"t{number}",
            rows=source.rows,
            row_spans=list(source.row_spans),
            notes=list(source.notes),
            start=source.start,
            end=source.end,
            node=node_at(source.start, source.end),
        )
        caption_start = document.text.rfind(
            "\n", 0, max(document.text.rfind("\n", 0, source.start), 0)
        )
        context = TableContext(
            table_id=table.id,
            row_spans=table.row_spans,
            notes=table.notes,
            caption=document.text[max(caption_start, 0) : source.start],
            year=text_year,
            base_year=base_year,
            node_at=node_at,
        )
        reading = read_indicator_table(source.rows, context, default_catalogue())
        tables.append(table)
        if reading is None:
            continue
        table.is_indicator_table = True
        covered.append((table.start, table.end))
        table_targets.extend(reading.targets)
        table_baselines.extend(reading.baselines)
        table_problems.extend(reading.problems)

    def outside(start: int | None, end: int | None) -> bool:
        if start is None:
            return True
        end = start if end is None else end
        return not any(s <= start and end <= e for s, e in covered)

    targets = sorted(
        [t for t in targets if outside(t.start, t.end)] + table_targets, key=lambda t: t.start
    )
    baselines = sorted(
        [b for b in baselines if outside(b.start, b.end)] + table_baselines,
        key=lambda b: b.start,
    )
    problems = [p for p in problems if outside(p.start, p.end)] + table_problems
    return tables, targets, baselines, problems


def _node_to_original(node: ParsedNode, cleaned: CleanedText) -> ParsedNode:
    start, end = cleaned.span_to_original(node.start, node.end)
    return dataclasses.replace(node, start=start, end=end)


def _target_to_original(target, cleaned: CleanedText):
    """A target's or baseline's clean-text span mapped to the original text."""
    start, end = cleaned.span_to_original(target.start, target.end)
    return dataclasses.replace(target, start=start, end=end)


def _problem_to_original(problem: Problem, cleaned: CleanedText) -> Problem:
    if problem.start is None:
        return problem
    end = problem.end if problem.end is not None else problem.start
    start, end = cleaned.span_to_original(problem.start, end)
    return dataclasses.replace(problem, start=start, end=end)

"""Parse a plan document into its structure, targets and problems: read, clean, parse, extract.

Every offset in the result (nodes, targets, problems) points into the ORIGINAL text, the
document's text as read from its file, so the review screen can show the exact clause a node or
target came from. Titles and texts are simplified and cleaned (they come from the clean text).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from yrdplan.domain.plans import ExtractedTarget, ParsedNode, ParsedPlan
from yrdplan.domain.problems import Problem
from yrdplan.errors import InputError
from yrdplan.ingest.clean import CleanedText, clean_text
from yrdplan.ingest.read import SourceDocument, read_document
from yrdplan.ingest.structure import parse_structure

_TARGETS_MODULE = "yrdplan.ingest.targets"


def parse_plan(source: Path | str, *, name: str | None = None) -> ParsedPlan:
    """Parse a plan document; nothing is written anywhere.

    Parameters
    ----------
    source : Path or str
        A :class:`~pathlib.Path` is read as a file (.txt in any common encoding, .html, .docx);
        a ``str`` is the document's text itself.
    name : str, optional
        The source name to record; defaults to the file name, or ``"<text>"`` for a string.

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
    targets, target_problems = _extract_targets(cleaned.text, nodes)
    return ParsedPlan(
        title=meta["title"] or Path(document.name).stem,
        issuer=meta["issuer"],
        date=meta["date"],
        nodes=[_node_to_original(n, cleaned) for n in nodes],
        targets=[_target_to_original(t, cleaned) for t in targets],
        problems=[
            *cleaned.problems,
            *(_problem_to_original(p, cleaned) for p in [*structure_problems, *target_problems]),
        ],
        original_text=document.text,
        clean_text=cleaned.text,
        source_name=document.name,
        source_format=document.format,
        encoding=document.encoding,
    )


def _load(source: Path | str, name: str | None) -> SourceDocument:
    if isinstance(source, Path):
        document = read_document(source)
        return dataclasses.replace(document, name=name) if name else document
    if not isinstance(source, str):
        raise InputError(f"cannot parse a plan from {type(source).__name__}; give a path or text")
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


def _node_to_original(node: ParsedNode, cleaned: CleanedText) -> ParsedNode:
    start, end = cleaned.span_to_original(node.start, node.end)
    return dataclasses.replace(node, start=start, end=end)


def _target_to_original(target: ExtractedTarget, cleaned: CleanedText) -> ExtractedTarget:
    start, end = cleaned.span_to_original(target.start, target.end)
    return dataclasses.replace(target, start=start, end=end)


def _problem_to_original(problem: Problem, cleaned: CleanedText) -> Problem:
    if problem.start is None:
        return problem
    end = problem.end if problem.end is not None else problem.start
    start, end = cleaned.span_to_original(problem.start, end)
    return dataclasses.replace(problem, start=start, end=end)

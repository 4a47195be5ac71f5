"""Plans, their node trees and the targets found in them, as plain records.

The field names follow the JSON that ``yrdplan plan parse --format json`` prints (see README).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from yrdplan.domain.problems import Problem

PlanKind = Literal["outline", "implementation_plan", "action_plan", "annual_priorities", "guidance"]
PLAN_KINDS: tuple[str, ...] = (
    "outline",
    "implementation_plan",
    "action_plan",
    "annual_priorities",
    "guidance",
)
PLAN_STATUSES: tuple[str, ...] = ("draft", "confirmed", "superseded")

NodeKind = Literal["chapter", "section", "part", "subpart", "item", "subitem", "paragraph"]
NODE_KINDS: tuple[str, ...] = (
    "chapter",
    "section",
    "part",
    "subpart",
    "item",
    "subitem",
    "paragraph",
)

TargetComparator = Literal[">=", "<=", "=", "~", "between"]
TargetKind = Literal["binding", "indicative"]


@dataclass(slots=True)
class ParsedNode:
    """One numbered (or lead-sentence) unit of a plan.

    ``start``/``end`` are offsets into the text the node was parsed from; ``parse_plan`` maps
    them to the original file's text before returning.
    """

    id: str
    parent: str | None
    kind: NodeKind
    label: str  # the numbering exactly as printed: "一、", "（一）", "1.", "①", or ""
    ordinal: int
    title: str
    text: str
    start: int
    end: int

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(slots=True)
class ExtractedTarget:
    """A quantitative target found in a plan's text."""

    indicator: str  # the name as written, simplified
    indicator_code: str | None
    value: float | None
    value_high: float | None
    unit: str
    comparator: TargetComparator
    year: int | None
    base_year: int | None
    relative_change: float | None
    standard: str | None
    node: str | None
    start: int
    end: int
    kind: TargetKind | None = None  # 约束性 binding / 预期性 indicative, where the plan says
    table: str | None = None  # the id of the indicator table it was read from ("t1")
    note: str | None = None  # a note under that table which applies to it

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(slots=True)
class ExtractedBaseline:
    """A past or base-year value a plan states ("2020年…达到2.9%"): a baseline, not a target.

    ``value`` is a level when ``base_year`` and ``relative_change`` are None; otherwise it is a
    change over ``base_year``…``year`` ("较2015年提高5.2个百分点"), which is no observation.
    """

    indicator: str
    indicator_code: str | None
    value: float | None
    unit: str
    year: int | None
    base_year: int | None
    relative_change: float | None
    node: str | None
    start: int
    end: int
    table: str | None = None

    @property
    def is_level(self) -> bool:
        """Whether this is a value of the indicator itself, one observation for ``year``."""
        return self.value is not None and self.base_year is None and self.relative_change is None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(slots=True)
class PlanTable:
    """A table of a plan document, merged cells written into every cell they cover.

    ``start``/``end`` span the table's rows in the text it was read with (the original text
    once ``parse_plan`` returns); ``row_spans`` give each row's own span there.
    """

    id: str
    rows: list[list[str]]
    row_spans: list[tuple[int, int]]
    notes: list[str]
    start: int
    end: int
    node: str | None = None
    is_indicator_table: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(slots=True)
class ParsedPlan:
    """Everything the importer read from one document, before anything is stored."""

    title: str
    issuer: str | None
    date: str | None  # ISO date where the page gives one
    nodes: list[ParsedNode] = field(default_factory=list)
    targets: list[ExtractedTarget] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    baselines: list[ExtractedBaseline] = field(default_factory=list)
    tables: list[PlanTable] = field(default_factory=list)
    original_text: str = ""
    clean_text: str = ""
    source_name: str = ""
    source_format: str = "text"
    encoding: str = "utf-8"

    def to_json_dict(self) -> dict:
        """The documented machine-readable form (README: plan parse JSON).

        ``baselines`` and ``tables`` are present only when the document has any, so the
        object for a plan in running text is what it always was.
        """
        data = {
            "title": self.title,
            "issuer": self.issuer,
            "date": self.date,
            "nodes": [n.to_dict() for n in self.nodes],
            "targets": [t.to_dict() for t in self.targets],
            "problems": [
                {"kind": p.kind, "message": p.message, "start": p.start, "end": p.end}
                for p in self.problems
            ],
        }
        if self.baselines:
            data["baselines"] = [b.to_dict() for b in self.baselines]
        if self.tables:
            data["tables"] = [t.to_dict() for t in self.tables]
        return data

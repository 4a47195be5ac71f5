"""The parts of a plan's review page that come from the document as published: its indicator
tables with the targets read from each, and the baselines (past values, never targets)."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy.orm import Session

from yrdplan.ingest.plan_tables import header_rows
from yrdplan.services.plans import baseline_rows
from yrdplan.store.repos import plans as plan_repo
from yrdplan.store.schema import PlanVersion


class PlanTablePublic(BaseModel):
    key: str
    node_id: int | None
    rows: list[list[str]]
    header_rows: int
    notes: list[str]
    target_indexes: list[int]  # positions in the page's target list
    start: int
    end: int


class PlanBaselinePublic(BaseModel):
    id: int
    node_id: int | None
    indicator: str
    indicator_code: str | None
    value: float | None
    unit: str
    year: int | None
    base_year: int | None
    relative_change: float | None
    table: str | None
    skip: str | None  # why it cannot become an observation: change, indicator, year, unit
    original: str


class PlanSourcesPublic(BaseModel):
    tables: list[PlanTablePublic]
    baselines: list[PlanBaselinePublic]
    text_target_indexes: list[int]
    can_import_baselines: bool


def plan_sources_view(
    session: Session, version: PlanVersion, has_region: bool
) -> PlanSourcesPublic:
    """Indicator tables (each with the indexes of its targets) and baselines of a version."""
    targets = plan_repo.targets_of(session, version)
    by_table: dict[str, list[int]] = {}
    text_targets = []
    for index, target in enumerate(targets):
        if target.table_key:
            by_table.setdefault(target.table_key, []).append(index)
        else:
            text_targets.append(index)
    tables = [
        PlanTablePublic(
            key=t.table_key,
            node_id=t.node_id,
            rows=t.rows,
            header_rows=header_rows(t.rows),
            notes=t.notes,
            target_indexes=by_table.get(t.table_key, []),
            start=t.start,
            end=t.end,
        )
        for t in plan_repo.tables_of(session, version)
        if t.is_indicator_table
    ]
    source = version.original_text
    baselines = [
        PlanBaselinePublic(**item, original=source[item["start"] : item["end"]])
        for item in baseline_rows(session, version)
    ]
    return PlanSourcesPublic(
        tables=tables,
        baselines=baselines,
        text_target_indexes=text_targets,
        can_import_baselines=has_region and any(b.skip is None for b in baselines),
    )

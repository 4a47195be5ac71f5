"""What the warnings page shows (预警清单): the red, orange, yellow or green rows of a monitor run,
filtered, each with the tasks and units behind it. It is also ``GET /api/warnings``."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy.orm import Session

from yrdplan.errors import InputError
from yrdplan.services.indicator_warnings import (
    BASES,
    LEVELS,
    basis_of,
    level_counts,
    run_stamp,
    select_warnings,
)
from yrdplan.services.monitor import MonitorRunResult
from yrdplan.web.views.indicators import LinkedTaskPublic, MonitorRowPublic, RunPublic, row_fields


class WarningPublic(MonitorRowPublic):
    """A warning: its row of the run, and the tasks serving the indicator in the region."""

    tasks: list[LinkedTaskPublic]


class WarningFiltersPublic(BaseModel):
    levels: list[str]
    region: str | None
    indicator: str | None
    basis: str  # target, trend or all


class WarningsPagePublic(BaseModel):
    run: RunPublic
    filters: WarningFiltersPublic
    bases: list[str]  # the bases one may filter by
    simulated: bool
    counts: dict[str, int]  # rows of the basis per level, whatever the other filters
    warnings: list[WarningPublic]


def checked_filters(levels: list[str] | None, basis: str) -> list[str] | None:
    """``levels`` and ``basis`` as asked, or ``InputError`` naming the first one not known."""
    bad = [level for level in levels or [] if level not in LEVELS]
    if bad:
        raise InputError(f"level {bad[0]!r} is not one of {', '.join(LEVELS)}")
    if basis not in BASES:
        raise InputError(f"basis {basis!r} is not one of {', '.join(BASES)}")
    return levels or None


def warnings_page(
    session: Session,
    result: MonitorRunResult,
    *,
    levels: list[str] | None = None,
    region: str | None = None,
    indicator: str | None = None,
    basis: str = "target",
) -> WarningsPagePublic:
    """``/warnings``: by default the red and orange rows measured against a target."""
    levels = levels or ["red", "orange"]
    chosen = select_warnings(
        session, result, levels=levels, region=region, indicator=indicator, basis=basis
    )
    rows = [
        WarningPublic(**row_fields(row), tasks=[LinkedTaskPublic(**t) for t in tasks])
        for row, tasks in chosen
    ]
    return WarningsPagePublic(
        run=RunPublic(**run_stamp(result)),
        filters=WarningFiltersPublic(
            levels=levels, region=region, indicator=indicator, basis=basis
        ),
        bases=list(BASES),
        simulated=any(r.simulated for r in rows),
        counts=level_counts(r for r in result.rows if basis == "all" or basis_of(r) == basis),
        warnings=rows,
    )

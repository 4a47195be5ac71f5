"""Warnings (预警): every red, orange or yellow indicator, filtered, each with the tasks and the
units behind it; and the API."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from yrdplan.errors import InputError
from yrdplan.services.computed import cached
from yrdplan.services.monitor import current_results
from yrdplan.services.monitor_views import LEVELS, warnings_view_data
from yrdplan.web.deps import DatabaseDep, OptionalUser, SessionDep
from yrdplan.web.render import render
from yrdplan.web.routes.indicators import STATUS_ZH

router = APIRouter()
BASES = ("target", "trend", "all")


def _checked(levels: list[str] | None, basis: str) -> list[str] | None:
    bad = [level for level in levels or [] if level not in LEVELS]
    if bad:
        raise InputError(f"level {bad[0]!r} is not one of {', '.join(LEVELS)}")
    if basis not in BASES:
        raise InputError(f"basis {basis!r} is not one of {', '.join(BASES)}")
    return levels or None


@router.get("/warnings", include_in_schema=False)
def warnings_page(
    request: Request,
    session: SessionDep,
    database: DatabaseDep,
    user: OptionalUser,
    level: Annotated[list[str] | None, Query()] = None,
    region: str | None = None,
    indicator: str | None = None,
    basis: str = "target",
):
    levels = _checked(level, basis)
    data = _warnings(session, database, levels, region or None, indicator or None, basis)
    return render(
        request, "warnings.html", data, user, extra={"status_zh": STATUS_ZH, "bases": BASES}
    )


@router.get("/api/warnings", tags=["indicators"])
def api_warnings(
    session: SessionDep,
    database: DatabaseDep,
    level: Annotated[
        list[Literal["red", "orange", "yellow", "green"]] | None,
        Query(description="red, orange, yellow, green (default red and orange)"),
    ] = None,
    region: str | None = None,
    indicator: str | None = None,
    basis: Annotated[
        Literal["target", "trend", "all"],
        Query(description="target (rows with a target, the default), trend or all"),
    ] = "target",
) -> dict:
    """Warnings with the tasks serving each indicator and their lead and supporting units."""
    levels = _checked(level, basis)
    return _warnings(session, database, levels, region, indicator, basis)


def _warnings(session, database, levels, region, indicator, basis) -> dict:
    def build(s):
        result = current_results(s, database)
        return warnings_view_data(
            s, result, levels=levels, region=region, indicator=indicator, basis=basis
        )

    key = ("warnings", tuple(levels) if levels else None, region, indicator, basis)
    return cached(session, key, build)

"""Warnings (预警): every red, orange or yellow indicator, filtered, each with the tasks and the
units behind it; the page and its API alias render one view."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from yrdplan.services.monitor import current_results
from yrdplan.store.computed import cached
from yrdplan.web.deps import DatabaseDep, OptionalUser, SessionDep
from yrdplan.web.render import json_response, render
from yrdplan.web.views import warnings as views

router = APIRouter()


@router.get("/warnings", response_model=views.WarningsPagePublic, tags=["indicators"])
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
    """Warnings with the tasks serving each indicator and their lead and supporting units; by
    default the red and orange ones against a target."""
    data = _warnings(session, database, level, region or None, indicator or None, basis)
    return render(request, "warnings.html", data, user)


@router.get("/api/warnings", response_model=views.WarningsPagePublic, tags=["indicators"])
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
):
    """The JSON of `/warnings` (its parameters checked by the schema)."""
    return json_response(_warnings(session, database, level, region, indicator, basis))


def _warnings(session, database, level, region, indicator, basis) -> dict:
    levels = views.checked_filters(level, basis)

    def build(s):
        page = views.warnings_page(
            s,
            current_results(s, database),
            levels=levels,
            region=region,
            indicator=indicator,
            basis=basis,
        )
        return page.model_dump(mode="json")

    key = ("warnings", tuple(levels) if levels else None, region, indicator, basis)
    return cached(session, key, build)

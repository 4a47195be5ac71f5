"""Indicators (监测): the list with every target's status, one indicator's page, data import and
correction; and the API for indicators, observations, targets and the monitor."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from yrdplan.domain.indicators import Observation
from yrdplan.domain.people import UserInfo
from yrdplan.errors import InputError, PermissionDenied
from yrdplan.reports.maps import MapArea, render_svg_map
from yrdplan.services import indicator_data
from yrdplan.services.catalogue import stored_indicators
from yrdplan.services.computed import cached
from yrdplan.services.import_report import ImportFailed
from yrdplan.services.imports import ImportOptions, import_file
from yrdplan.services.monitor import (
    MonitorOptions,
    current_results,
    public_row,
    rows_for,
    run_monitor,
)
from yrdplan.services.monitor_views import (
    LEVEL_COLOURS,
    NO_DATA_COLOUR,
    indicator_view_data,
    indicators_view_data,
)
from yrdplan.store.repos import regions as region_repo
from yrdplan.web.deps import (
    CurrentUser,
    DatabaseDep,
    OptionalUser,
    SessionDep,
    actor_of,
    verify_csrf,
)
from yrdplan.web.render import render, wants_json
from yrdplan.web.uploads import upload_limit, upload_source

router = APIRouter()

STATUS_ZH = {
    "achieved": "已达成",
    "on_track": "正常推进",
    "moderate": "进展一般",
    "limited": "进展缓慢",
    "deteriorating": "趋势恶化",
    "insufficient_data": "数据不足",
}


def _can_import(user: UserInfo | None) -> bool:
    return bool(user and (user.can_manage or user.role == "data_steward"))


def _require_importer(user: UserInfo) -> UserInfo:
    if not _can_import(user):
        raise PermissionDenied(
            "only the office, an admin or a data steward may load indicator data"
        )
    return user


def status_map_svg(session: Session, map_rows: list[dict], code: str) -> str:
    """The 41 cities coloured by the warning level of their latest status for one indicator."""
    by_code = {m["code"]: m for m in map_rows}
    areas = []
    for city, name, geometry in region_repo.outlines(session, "city"):
        row = by_code.get(city, {})
        level = row.get("warning")
        status = STATUS_ZH.get(row.get("status"), "无数据")
        basis = "（按趋势）" if row.get("basis") == "trend" else ""
        areas.append(
            MapArea(
                city,
                name,
                geometry,
                fill=LEVEL_COLOURS.get(level, NO_DATA_COLOUR),
                tooltip=f"{name}：{status}{basis}",
                href=f"/indicators/{code}?regions={city}",
                label=name.removesuffix("市"),
            )
        )
    return render_svg_map(areas, width=560, title="最新状态（41城）")


@router.get("/indicators", include_in_schema=False)
def indicators_page(
    request: Request,
    session: SessionDep,
    database: DatabaseDep,
    user: OptionalUser,
    region: str | None = None,
):
    region = region or None
    data = dict(
        cached(
            session,
            ("indicators.view", region),
            lambda s: indicators_view_data(
                current_results(s, database), stored_indicators(s), region=region
            ),
        )
    )
    data["can_import"] = _can_import(user)
    return render(request, "indicators.html", data, user, extra={"status_zh": STATUS_ZH})


@router.get("/indicators/import", include_in_schema=False)
def import_form(request: Request, user: CurrentUser):
    _require_importer(user)
    data = {
        "report": None,
        "error": None,
        "problems": [],
        "regions": user.region_codes if not user.can_manage else None,
    }
    return render(request, "indicators_import.html", data, user)


@router.post("/indicators/import", include_in_schema=False, dependencies=[Depends(verify_csrf)])
async def import_upload(
    request: Request,
    database: DatabaseDep,
    user: CurrentUser,
    file: Annotated[UploadFile, File()],
    source: Annotated[str, Form()] = "",
    vintage: Annotated[str, Form()] = "",
):
    _require_importer(user)
    upload = await upload_source(file, upload_limit(request), "observations.csv")
    data = {
        "report": None,
        "error": None,
        "problems": [],
        "regions": None if user.can_manage else user.region_codes,
    }
    status = 200
    options = ImportOptions(source=source.strip(), vintage=vintage.strip() or None)
    try:
        with database.write(actor_of(user)) as session:
            report = import_file(session, user, "observations", upload, options)
        data["report"] = report.to_dict()
    except ImportFailed as err:
        data["error"] = str(err)
        data["problems"] = [p.to_dict() for p in err.problems]
        status = 400
    return render(request, "indicators_import.html", data, user, status_code=status)


@router.get("/indicators/{code}", include_in_schema=False)
def indicator_page(
    code: str,
    request: Request,
    session: SessionDep,
    database: DatabaseDep,
    user: OptionalUser,
    regions: str | None = None,
):
    chosen = [c.strip() for c in (regions or "").replace("，", ",").split(",") if c.strip()] or None
    key = ("indicators.one", code, tuple(chosen) if chosen else None)

    def build(s):
        return indicator_view_data(s, current_results(s, database), code, chosen)

    data = dict(cached(session, key, build))
    data["can_edit"] = _can_import(user)
    extra = {"status_zh": STATUS_ZH}
    if not wants_json(request):
        extra["map_svg"] = cached(
            session,
            ("indicators.map", *key[1:]),
            lambda s: status_map_svg(s, cached(s, key, build)["map"], code),
        )
    return render(request, "indicator.html", data, user, extra=extra)


@router.post(
    "/indicators/{code}/values", include_in_schema=False, dependencies=[Depends(verify_csrf)]
)
def correct_value(
    code: str,
    database: DatabaseDep,
    user: CurrentUser,
    region_code: Annotated[str, Form()],
    period: Annotated[str, Form()],
    value: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
    source: Annotated[str, Form()] = "",
):
    """A steward's correction: a new revision of one value, with a note saying why."""
    _require_importer(user)
    try:
        number = float(value.replace(",", ""))
    except ValueError as err:
        raise InputError(f"value {value!r} is not a number") from err
    record = Observation(
        region_code.strip(),
        code,
        period.strip(),
        number,
        source.strip() or "web",
        "",
        False,
        note.strip(),
    )
    with database.write(actor_of(user)) as session:
        indicator_data.add_observation_values(session, [record], user=user)
    return RedirectResponse(f"/indicators/{code}?regions={region_code.strip()}", status_code=303)


def _members(session: Session, code: str) -> set[str]:
    """A region code, or the member codes of a region group."""
    for group in region_repo.list_groups(session):
        if group.code == code:
            return set(group.members)
    return {code}


# -- API --------------------------------------------------------------------------------------


class ObservationIn(BaseModel):
    """One value to store (a revision of what is there for the same key)."""

    region_code: str
    indicator_code: str
    period: str = Field(description="2024, 2024Q3 or 2024-07")
    value: float
    source: str = ""
    vintage: str = Field("", description="default: today (YYYY-MM-DD)")
    note: str = ""


@router.get("/api/indicators", tags=["indicators"])
def api_indicators(session: SessionDep) -> list[dict]:
    """The indicator catalogue."""
    return [indicator_data.indicator_public(i) for i in stored_indicators(session).values()]


@router.get("/api/indicators/{code}", tags=["indicators"])
def api_indicator(code: str, session: SessionDep) -> dict:
    """One catalogue entry with its current targets."""
    indicator = indicator_data.get_indicator(session, code)
    return indicator_data.indicator_public(indicator) | {
        "targets": indicator_data.list_targets(session, indicator=indicator.code)
    }


@router.get("/api/observations", tags=["indicators"])
def api_observations(
    session: SessionDep,
    region: str | None = None,
    indicator: str | None = None,
    vintage: str | None = None,
) -> list[dict]:
    """Current observations (or as of a past vintage); each says whether it is simulated."""
    return indicator_data.list_observations(
        session, region=region, indicator=indicator, vintage=vintage
    )


@router.post("/api/observations", tags=["indicators"], dependencies=[Depends(verify_csrf)])
def api_add_observations(
    items: list[ObservationIn], database: DatabaseDep, user: CurrentUser
) -> dict:
    """Store values as revisions, all or nothing. A data steward may write only their regions."""
    _require_importer(user)
    records = [
        Observation(
            i.region_code,
            i.indicator_code,
            i.period,
            i.value,
            i.source or "api",
            i.vintage,
            False,
            i.note,
        )
        for i in items
    ]
    try:
        with database.write(actor_of(user)) as session:
            report = indicator_data.add_observation_values(session, records, user=user)
    except ImportFailed as err:
        raise InputError(str(err)) from err
    return report.to_dict()


@router.get("/api/targets", tags=["indicators"])
def api_targets(
    session: SessionDep, region: str | None = None, indicator: str | None = None
) -> list[dict]:
    """Current targets (a region's include those of its region groups)."""
    return indicator_data.list_targets(session, region=region, indicator=indicator)


@router.get("/api/monitor", tags=["indicators"])
def api_monitor(
    session: SessionDep,
    database: DatabaseDep,
    region: str | None = None,
    indicator: str | None = None,
    vintage: str | None = None,
    as_of: Annotated[date | None, Query(description="boundaries of this day")] = None,
    until: str | None = None,
    trends: bool = False,
) -> list[dict]:
    """One row per region × indicator × target (the `yrdplan monitor --format json` fields, plus
    ``simulated``). Past vintages, boundaries or periods are computed on request, not stored."""
    if vintage or as_of or until:
        options = MonitorOptions(
            region=region,
            indicator=indicator,
            vintage=vintage,
            boundaries=as_of,
            until=until,
            include_trends=trends,
        )
        rows = run_monitor(session, options, store=False).rows
    else:
        rows = rows_for(current_results(session, database), indicator=indicator)
        if region:
            wanted = _members(session, region)
            rows = [r for r in rows if r["region_code"] in wanted]
        if not trends:
            rows = [r for r in rows if r["comparator"] != "none"]
    return [public_row(r) | {"simulated": bool(r["simulated"])} for r in rows]

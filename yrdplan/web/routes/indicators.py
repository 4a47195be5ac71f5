"""Indicators (监测): the list with every target's status, one indicator's page, data import and
correction; and the API for indicators, observations, targets and the monitor."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from yrdplan.domain.indicators import Observation
from yrdplan.domain.people import UserInfo
from yrdplan.errors import InputError, PermissionDenied
from yrdplan.services import indicator_data
from yrdplan.services.catalogue import stored_indicators
from yrdplan.services.import_report import ImportFailed
from yrdplan.services.imports import ImportOptions, import_file
from yrdplan.services.monitor import MonitorOptions, current_results
from yrdplan.store.computed import cached
from yrdplan.web.deps import (
    CurrentUser,
    DatabaseDep,
    OptionalUser,
    SessionDep,
    actor_of,
    language,
    verify_csrf,
)
from yrdplan.web.i18n import translate
from yrdplan.web.monitor_render import fill_text_keys, indicator_figure
from yrdplan.web.render import render, wants_json
from yrdplan.web.uploads import upload_limit, upload_source
from yrdplan.web.views import indicators as views

router = APIRouter()


def _can_import(user: UserInfo | None) -> bool:
    return bool(user and (user.can_manage or user.role == "data_steward"))


def _require_importer(user: UserInfo) -> UserInfo:
    if not _can_import(user):
        raise PermissionDenied(
            "only the office, an admin or a data steward may load indicator data"
        )
    return user


@router.get("/indicators", response_model=views.IndicatorsPagePublic, tags=["indicators"])
def indicators_page(
    request: Request,
    session: SessionDep,
    database: DatabaseDep,
    user: OptionalUser,
    region: str | None = None,
):
    """Every target's status with its calculation (of one region, if asked), and the catalogue."""
    region = region or None
    data = dict(
        cached(
            session,
            ("indicators.view", region),
            lambda s: views.indicators_page(
                current_results(s, database), stored_indicators(s), region=region
            ).model_dump(mode="json"),
        )
    )
    data["can_import"] = _can_import(user)
    return render(request, "indicators.html", data, user)


@router.get("/indicators/import", response_model=views.ImportFormPublic, tags=["indicators"])
def import_form(request: Request, user: CurrentUser):
    """The form to upload observations (the office, an admin, a data steward)."""
    _require_importer(user)
    model = views.import_form(user)
    return render(request, "indicators_import.html", model.model_dump(mode="json"), user)


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


@router.get("/indicators/{code}", response_model=views.IndicatorPagePublic, tags=["indicators"])
def indicator_page(
    code: str,
    request: Request,
    session: SessionDep,
    database: DatabaseDep,
    user: OptionalUser,
    regions: str | None = None,
):
    """One indicator: the series of the chosen regions (default: those with targets) against
    the target paths, the calculation, a map of the latest status in the 41 cities, the tasks."""
    chosen = [c.strip() for c in (regions or "").replace("，", ",").split(",") if c.strip()] or None
    key = ("indicators.one", code, tuple(chosen) if chosen else None)

    def build(s):
        page = views.indicator_page(s, current_results(s, database), code, chosen, with_tasks=False)
        return page.model_dump(mode="json")

    data = dict(cached(session, key, build))
    # Kept apart from the series, map and chart: accepting a report changes the tasks only.
    shown_code, shown_regions = data["indicator"]["code"], [r["code"] for r in data["regions"]]
    data["tasks"] = cached(
        session,
        ("indicators.one.tasks", shown_code, tuple(shown_regions)),
        lambda s: [
            t.model_dump(mode="json") for t in views.indicator_tasks(s, shown_code, shown_regions)
        ],
    )
    data["can_edit"] = _can_import(user)
    if wants_json(request):
        return render(request, "indicator.html", data, user)
    lang = language(request)

    def t(text_key: str) -> str:
        return translate(text_key, lang)

    svg = cached(
        session,
        ("indicators.map", *key[1:]),
        lambda s: views.status_map_svg(s, cached(s, key, build)["map"], code),
    )
    extra = {"map_svg": fill_text_keys(svg, t), "chart": indicator_figure(data, t)}
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


@router.get("/api/indicators", response_model=list[views.IndicatorPublic], tags=["indicators"])
def api_indicators(session: SessionDep):
    """The indicator catalogue."""
    return views.catalogue(session)


@router.get(
    "/api/indicators/{code}", response_model=views.IndicatorDetailPublic, tags=["indicators"]
)
def api_indicator(code: str, session: SessionDep):
    """One catalogue entry with its current targets."""
    return views.indicator_detail(session, code)


@router.get("/api/observations", response_model=list[views.ObservationPublic], tags=["indicators"])
def api_observations(
    session: SessionDep,
    region: str | None = None,
    indicator: str | None = None,
    vintage: str | None = None,
):
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


@router.get("/api/targets", response_model=list[views.TargetPublic], tags=["indicators"])
def api_targets(session: SessionDep, region: str | None = None, indicator: str | None = None):
    """Current targets (a region's include those of its region groups)."""
    return indicator_data.list_targets(session, region=region, indicator=indicator)


@router.get("/api/monitor", response_model=list[views.MonitorApiRowPublic], tags=["indicators"])
def api_monitor(
    session: SessionDep,
    database: DatabaseDep,
    region: str | None = None,
    indicator: str | None = None,
    vintage: str | None = None,
    as_of: Annotated[date | None, Query(description="boundaries of this day")] = None,
    until: str | None = None,
    trends: bool = False,
):
    """One row per region × indicator × target (the `yrdplan monitor --format json` fields, plus
    ``simulated``). Past vintages, boundaries or periods are computed on request, not stored."""
    options = MonitorOptions(
        region=region,
        indicator=indicator,
        vintage=vintage,
        boundaries=as_of,
        until=until,
        include_trends=trends,
    )
    return views.monitor_rows(session, database, options)

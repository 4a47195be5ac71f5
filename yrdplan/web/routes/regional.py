"""Regional coordination (区域协调): disparity over time, the integration index, benchmarking;
and their API. Routes parse input, call a view or service, and render."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import RedirectResponse

from yrdplan.errors import NotFoundError
from yrdplan.services import index_builds
from yrdplan.services import regional as service
from yrdplan.web.deps import CurrentUser, DatabaseDep, OptionalUser, SessionDep, verify_csrf
from yrdplan.web.render import render, wants_json
from yrdplan.web.views import regional as views
from yrdplan.web.views import regional_results as results

router = APIRouter()


@router.get("/regional", response_model=views.DisparityPagePublic, tags=["regional"])
def disparity_page(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    indicator: str = "GDP_PER_CAPITA",
    grouping: str = "province",
    weighted: bool = True,
    regions: str | None = None,
):
    """Disparity of an indicator across the 41 cities over time, its decomposition and map."""
    model = views.disparity_page(session, indicator, grouping, weighted, regions or None)
    # The map is for the HTML page only; the JSON twin carries its data (``map``).
    svg = (
        views.relative_map_svg(session, model.map, indicator)
        if model.map and not wants_json(request)
        else ""
    )
    colours = list(zip(views.RELATIVE_EDGES, views.RELATIVE_COLOURS, strict=False))
    return render(
        request,
        "regional_disparity.html",
        model.model_dump(mode="json"),
        user,
        extra={"map_svg": svg, "bins": colours, "last_colour": views.RELATIVE_COLOURS[-1]},
    )


@router.get("/regional/index", response_model=views.IndexPagePublic, tags=["regional"])
def index_page(request: Request, session: SessionDep, user: OptionalUser, build: int | None = None):
    """The latest stored integration-index build: scores, ranks with 5–95 % rank intervals,
    each region's dimension scores."""
    model = views.index_page(session, user, build)
    return render(request, "regional_index.html", model.model_dump(mode="json"), user)


@router.post("/regional/index/build", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def rebuild_index(session: SessionDep, database: DatabaseDep, user: CurrentUser):
    """Rebuild with the latest build's config (the shipped demo config if there is none)."""
    latest = index_builds.latest_config_text(session)
    index_builds.build_index(
        database, latest or index_builds.demo_config_text(), user, where="stored config"
    )
    return RedirectResponse("/regional/index", status_code=303)


@router.get("/regional/benchmark", response_model=views.BenchmarkPagePublic, tags=["regional"])
def benchmark_page(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    indicator: str = "RD_INTENSITY",
    regions: str = "340000",
    peers: str = "310000,320000,330000",
    period: str | None = None,
):
    """对照学习: each region against the best, the top quartile and the peers' best."""
    model = views.benchmark_page(session, indicator, regions, peers or None, period or None)
    return render(request, "regional_benchmark.html", model.model_dump(mode="json"), user)


# -- API ----------------------------------------------------------------------------------------


@router.get(
    "/api/regional/disparity",
    tags=["regional"],
    response_model=results.DisparityResultPublic,
    response_model_exclude_unset=True,
)
def api_disparity(
    session: SessionDep,
    indicator: str,
    period: str,
    regions: str | None = None,
    by: str | None = None,
    weight: str | None = None,
    level: str = "city",
):
    """The object `yrdplan disparity --format json` prints."""
    return service.disparity_of(
        session, indicator, period, regions=regions, by=by, weight=weight, level=level
    )


@router.get(
    "/api/regional/convergence",
    tags=["regional"],
    response_model=results.ConvergenceResultPublic,
    response_model_exclude_unset=True,
)
def api_convergence(
    session: SessionDep,
    indicator: str,
    start: str,
    end: str,
    regions: str | None = None,
    clubs: str | None = None,
):
    """The object `yrdplan convergence --format json` prints (``start``/``end`` = --from/--to)."""
    return service.convergence_of(session, indicator, start, end, regions=regions, clubs=clubs)


@router.get(
    "/api/regional/benchmark", tags=["regional"], response_model=results.BenchmarkResultPublic
)
def api_benchmark(
    session: SessionDep,
    indicator: str,
    period: str | None = None,
    regions: str | None = None,
    peers: str | None = None,
    level: str = "city",
):
    """The object `yrdplan benchmark --format json` prints."""
    return service.benchmark_of(
        session, indicator, period, regions=regions, peers=peers, level=level
    )


@router.get("/api/index/builds", tags=["regional"], response_model=list[results.IndexBuildSummary])
def api_builds(session: SessionDep):
    """Stored index builds, newest first."""
    return index_builds.list_builds(session)


@router.get("/api/index/builds/latest", tags=["regional"], response_model=results.LeagueTablePublic)
def api_latest_build(database: DatabaseDep):
    """The latest build, as `yrdplan index build --format json` prints it."""
    table = service.league_table(database)
    if table is None:
        raise NotFoundError("no index build yet")
    return table


@router.get(
    "/api/index/builds/{build_id}", tags=["regional"], response_model=results.LeagueTablePublic
)
def api_build(database: DatabaseDep, build_id: int):
    return service.league_table(database, build_id)


@router.post(
    "/api/index/builds",
    tags=["regional"],
    dependencies=[Depends(verify_csrf)],
    response_model=results.LeagueTablePublic,
)
def api_build_index(
    database: DatabaseDep,
    user: CurrentUser,
    config: Annotated[str, Body(embed=True, description="The index config, TOML text.")],
):
    """Build the index from a TOML config and store it (office or admin)."""
    return index_builds.build_index(database, config, user, where="config")

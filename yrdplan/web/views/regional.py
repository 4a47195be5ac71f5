"""The data of the regional-coordination pages (区域协调): disparity over time with its
decomposition and map, the integration index league table, benchmarking. Codes and numbers
only; the templates turn codes into zh/en text."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo
from yrdplan.errors import InputError
from yrdplan.reports.maps import MapArea, render_svg_map
from yrdplan.services import index_builds
from yrdplan.services import regional as service
from yrdplan.store.repos import regions as region_repo
from yrdplan.web.views.regional_results import BenchmarkResultPublic, BenchmarkRow, ExcludedRegion

#: Groupings the disparity page offers: code -> (the ``by`` argument, default regions).
GROUPINGS = {
    "province": ("province", None),
    "jiangsu": ("sunan,suzhong,subei", "320000"),  # Jiangsu's 13 cities
    "central": ("central", None),
}
#: Bins of a city's value relative to the (weighted) mean, and their colours (low → high).
RELATIVE_EDGES = (0.6, 0.8, 1.0, 1.25, 1.6)
RELATIVE_COLOURS = ("#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#2166ac")
NO_DATA = "#e5e7eb"


class IndicatorChoice(BaseModel):
    code: str
    name: str
    name_en: str
    unit: str


class DisparityPoint(BaseModel):
    period: str
    n: int
    mean: float
    cv: float
    theil_t: float
    theil_l: float | None
    gini: float
    between: float
    within: float
    between_share: float | None


class GroupPartPublic(BaseModel):
    code: str
    name: str
    n: int
    mean: float
    share: float
    within: float | None
    contribution: float | None


class DecompositionPublic(BaseModel):
    total: float
    between: float
    within: float
    between_share: float | None
    groups: list[GroupPartPublic]


class MeasuresPublic(BaseModel):
    n: int
    mean: float | None
    sd: float | None
    cv: float | None
    weighted_cv: float | None
    theil_t: float | None
    theil_l: float | None
    ge2: float | None
    gini: float | None
    max_min_ratio: float | None


class ConvergencePublic(BaseModel):
    start: str
    end: str
    n: int
    beta: float
    beta_se: float
    half_life: float | None
    sigma_slope: float | None
    sigma_slope_se: float | None


class MapCell(BaseModel):
    code: str
    name: str
    value: float | None
    relative: float | None  # value / (weighted) mean
    bin: int | None  # index into RELATIVE_COLOURS


class DisparityPagePublic(BaseModel):
    indicator: str
    indicator_name: str
    unit: str
    regions: str
    grouping: str
    weight: str | None
    indicators: list[IndicatorChoice]
    groupings: list[str]
    periods: list[DisparityPoint]
    latest_period: str | None
    latest: MeasuresPublic | None
    decomposition: dict[str, DecompositionPublic | None]
    convergence: ConvergencePublic | None
    map: list[MapCell]
    excluded: list[ExcludedRegion]
    skipped_periods: list[str]  # periods with data that no measure can use (e.g. negative values)
    simulated: bool


def _choices(session: Session) -> list[IndicatorChoice]:
    return [
        IndicatorChoice(code=i.code, name=i.name, name_en=i.name_en, unit=i.unit)
        for i in service.indicators_with_data_cached(session)
        if i.direction in ("higher", "lower")
    ]


def _bin(relative: float) -> int:
    return sum(relative >= edge for edge in RELATIVE_EDGES)


def disparity_page(
    session: Session,
    indicator: str = "GDP_PER_CAPITA",
    grouping: str = "province",
    weighted: bool = True,
    regions: str | None = None,
) -> DisparityPagePublic:
    """Disparity of ``indicator`` over time across the cities, its decomposition and a map."""
    if grouping not in GROUPINGS:
        raise InputError(f"grouping {grouping!r} is not one of {', '.join(GROUPINGS)}")
    by, default_regions = GROUPINGS[grouping]
    over = service.disparity_over_time(
        session,
        indicator,
        regions=regions or default_regions,
        by=by,
        weight="default" if weighted else None,
    )
    latest = over["latest"]
    convergence = None
    beta, trend = over["convergence"], over["sigma_trend"] or {}
    if beta is not None:
        convergence = ConvergencePublic(
            start=beta["from"],
            end=beta["to"],
            n=beta["n"],
            beta=beta["beta"],
            beta_se=beta["beta_se"],
            half_life=beta["half_life"],
            sigma_slope=trend.get("slope"),
            sigma_slope_se=trend.get("slope_se"),
        )
    cells: list[MapCell] = []
    mean = latest["mean"] if latest else None
    for row in over["values"]:
        value = row["value"]
        relative = value / mean if value is not None and mean else None
        cells.append(
            MapCell(
                code=row["code"],
                name=row["name"],
                value=value,
                relative=relative,
                bin=None if relative is None else _bin(relative),
            )
        )
    return DisparityPagePublic(
        indicator=indicator,
        indicator_name=over["indicator_name"],
        unit=over["unit"],
        regions=over["regions"],
        grouping=grouping,
        weight=over["weight"],
        indicators=_choices(session),
        groupings=list(GROUPINGS),
        periods=[DisparityPoint(**row) for row in over["periods"]],
        latest_period=latest["period"] if latest else None,
        latest=MeasuresPublic(**{k: latest[k] for k in MeasuresPublic.model_fields})
        if latest
        else None,
        decomposition={
            k: None if v is None else DecompositionPublic(**v)
            for k, v in (latest or {}).get("decomposition", {}).items()
        },
        convergence=convergence,
        map=cells,
        excluded=[ExcludedRegion(**e) for e in (latest or {}).get("excluded", [])],
        skipped_periods=[row["period"] for row in over["skipped"]],
        simulated=over["simulated"],
    )


def relative_map_svg(session: Session, cells: list[MapCell], indicator: str) -> str:
    """The 41 cities coloured by their value relative to the mean (the map of the page).

    Drawing 41 outlines costs more than the rest of the page, so a map is kept, per process,
    under what it shows (the cells' colours and tooltips); outlines change only when the
    boundary package is reloaded, which restarts the app."""
    key = (
        str(session.get_bind().url),
        indicator,
        tuple((c.code, c.bin, c.relative) for c in cells),
    )
    if key not in _MAPS:
        if len(_MAPS) >= 32:
            _MAPS.pop(next(iter(_MAPS)))
        _MAPS[key] = _draw_map(session, cells, indicator)
    return _MAPS[key]


_MAPS: dict[tuple, str] = {}


def _draw_map(session: Session, cells: list[MapCell], indicator: str) -> str:
    by_code = {c.code: c for c in cells}
    areas = []
    for code, name, geometry in region_repo.outlines(session, "city"):
        cell = by_code.get(code)
        fill = NO_DATA if cell is None or cell.bin is None else RELATIVE_COLOURS[cell.bin]
        tip = name if cell is None or cell.relative is None else f"{name}: {cell.relative:.2f}"
        areas.append(
            MapArea(
                code,
                name,
                geometry,
                fill=fill,
                tooltip=tip,
                href=f"/indicators/{indicator}?regions={code}",
                label=name.removesuffix("市"),
            )
        )
    return render_svg_map(areas, width=560, title=indicator)


# -- the index ----------------------------------------------------------------------------------


class LeagueRow(BaseModel):
    code: str
    name: str
    score: float | None
    rank: int
    rank_p05: int
    rank_p50: int
    rank_p95: int
    dimensions: dict[str, float | None]
    imputed: list[str]


class DimensionPublic(BaseModel):
    code: str
    name: str
    name_en: str
    weight: float


class IndicatorWeightPublic(BaseModel):
    code: str
    name: str
    direction: str
    dimension: str
    weight: float | None
    drop_one_mean_abs: float | None
    drop_one_max_abs: int | None
    imputed: int


class BuildPublic(BaseModel):
    id: int
    name: str
    period: str
    regions: str
    created_at: str
    data_vintage: str
    fingerprint: str
    simulated: bool
    runs: int | None
    seed: int | None


class IndexPagePublic(BaseModel):
    build: BuildPublic | None
    regions: list[LeagueRow]
    dimensions: list[DimensionPublic]
    indicators: list[IndicatorWeightPublic]
    warnings: list[str]
    excluded: list[ExcludedRegion]
    config: dict
    can_build: bool


def index_page(
    session: Session, user: UserInfo | None, build_id: int | None = None
) -> IndexPagePublic:
    """The league table of the latest (or a given) stored index build; nothing is computed."""
    table = index_builds.stored_build(session, build_id)
    can_build = bool(user and user.can_manage)
    if table is None:
        return IndexPagePublic(
            build=None,
            regions=[],
            dimensions=[],
            indicators=[],
            warnings=[],
            excluded=[],
            config={},
            can_build=can_build,
        )
    return IndexPagePublic(
        build=BuildPublic(**table["build"]),
        regions=[LeagueRow(**r) for r in table["regions"]],
        dimensions=[DimensionPublic(**d) for d in table["dimensions"]],
        indicators=[IndicatorWeightPublic(**i) for i in table["indicators"]],
        warnings=table["warnings"],
        excluded=[ExcludedRegion(**e) for e in table["excluded"]],
        config=table["config"],
        can_build=can_build,
    )


# -- benchmarking -------------------------------------------------------------------------------


class BenchmarkPagePublic(BenchmarkResultPublic):
    """The API's answer and the indicators to choose from."""

    indicators: list[IndicatorChoice]


def benchmark_page(
    session: Session,
    indicator: str = "RD_INTENSITY",
    regions: str = "340000",
    peers: str | None = "310000,320000,330000",
    period: str | None = None,
    level: str = "city",
) -> BenchmarkPagePublic:
    """对照学习: ``regions`` (default Anhui's cities) against the best of ``peers`` (沪苏浙)."""
    out = service.benchmark_of(
        session, indicator, period, regions=regions, peers=peers or None, level=level
    )
    return BenchmarkPagePublic(
        **{k: out[k] for k in BenchmarkPagePublic.model_fields if k in out and k != "rows"},
        rows=[BenchmarkRow(**r) for r in out["rows"]],
        indicators=_choices(session),
    )

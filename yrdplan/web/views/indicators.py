"""What the indicator pages show (指标监测): the list with every target's status, one indicator's
series against its targets with the calculation, map and tasks, a region's indicators, and the
API's catalogue, targets, observations and monitor rows.

The page functions take the rows of a monitor run (:func:`yrdplan.services.monitor.current_results`)
and return a language-free ``…Public`` model: codes and numbers, which the templates (and the
chart, built at rendering from the same model: ``yrdplan.web.monitor_render``) turn into zh/en
text. The warnings page is in :mod:`yrdplan.web.views.warnings`.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel
from sqlalchemy.orm import Session

from yrdplan.domain.indicators import Indicator
from yrdplan.domain.people import UserInfo
from yrdplan.domain.periods import parse_period
from yrdplan.errors import NotFoundError
from yrdplan.reports.bulletin import LEVEL_COLOURS
from yrdplan.reports.maps import MapArea, render_svg_map
from yrdplan.services.catalogue import stored_indicators
from yrdplan.services.indicator_data import get_indicator, indicator_public, list_targets
from yrdplan.services.indicator_warnings import (
    LEVEL_ORDER,
    basis_of,
    indicator_tallies,
    level_counts,
    linked_tasks,
    run_stamp,
)
from yrdplan.services.monitor import (
    MonitorOptions,
    MonitorRunResult,
    current_results,
    load_series,
    public_row,
    rows_for,
    run_monitor,
)
from yrdplan.store.database import Database
from yrdplan.store.repos import regions as region_repo

# The bulletins' level colours; a lighter grey than theirs for no data, as on the other maps.
NO_DATA_COLOUR = "#e5e7eb"
#: The capitals a chart shows when no region of an indicator has a target.
CAPITALS = ["310100", "320100", "330100", "340100"]

# -- shared parts -----------------------------------------------------------------------------


class RunPublic(BaseModel):
    """The monitor run the figures come from."""

    run_id: str
    computed_at: str | None


class RegionRef(BaseModel):
    code: str
    name: str


class MonitorRowPublic(BaseModel):
    """One region × indicator × target (or trend) of a run: the documented monitor fields, the
    engine's components a reader needs to follow the calculation, and the ``basis``."""

    region_code: str
    region_name: str
    indicator_code: str
    indicator_name: str
    unit: str | None
    kind: str | None
    target_id: int | None
    group_code: str | None
    target_year: int | None
    comparator: str
    target_value: float | None
    value_high: float | None
    relative_change: float | None
    standard: str | None
    base_period: str | None
    base_value: float | None
    latest_period: str | None
    latest_value: float | None
    expected_value: float | None
    trajectory_gap: float | None
    observed_rate: float | None
    required_rate: float | None
    ratio: float | None
    projected_value: float | None
    anticipated_progress: float | None
    score: float | None
    method: str | None
    band_low: float | None
    band_high: float | None
    aim_value: float | None
    unrealistic: bool | None
    status: str  # achieved, on_track, moderate, limited, deteriorating, insufficient_data
    warning: str | None  # red, orange, yellow, green; None for insufficient data
    simulated: bool
    how: str | None  # observed, derived, aggregated, crosswalk, mixed, none
    problem: str | None
    basis: str  # target or trend


def row_fields(row: dict) -> dict:
    """The fields of :class:`MonitorRowPublic` of a run's row."""
    fields = {name: row.get(name) for name in MonitorRowPublic.model_fields}
    fields["simulated"] = bool(row.get("simulated"))
    fields["basis"] = basis_of(row)
    return fields


def monitor_row(row: dict) -> MonitorRowPublic:
    """A run's row for a page: the public fields and what a reader needs to follow it."""
    return MonitorRowPublic(**row_fields(row))


class UnitRef(BaseModel):
    code: str
    name: str


class LinkedTaskPublic(BaseModel):
    """A task serving an indicator, with its lead and supporting units."""

    id: int
    key: str
    label: str | None
    title: str
    region_code: str | None
    inherited: bool  # a task of a plan above the region
    plan_code: str | None
    plan_title: str | None
    lead_unit: UnitRef | None
    supporting_units: list[UnitRef]


def _sort_key(row: dict) -> tuple:
    return (
        LEVEL_ORDER.get(row["warning"], 9),
        row["region_code"],
        row["indicator_code"],
        row["target_year"] or 0,
    )


# -- the indicator list -----------------------------------------------------------------------


class CatalogueEntryPublic(BaseModel):
    code: str
    name: str
    unit: str | None
    area: str | None
    direction: str
    kind: str
    formula: str | None
    regions: int  # regions with data
    targets: int
    warnings: dict[str, int]  # rows per level, every level named
    simulated: bool


class IndicatorsPagePublic(BaseModel):
    run: RunPublic
    region: str | None
    simulated: bool
    counts: dict[str, int]  # target rows per level
    target_regions: list[RegionRef]
    targets: list[MonitorRowPublic]
    indicators: list[CatalogueEntryPublic]
    can_import: bool = False


def indicators_page(
    result: MonitorRunResult, indicators: dict[str, Indicator], *, region: str | None = None
) -> IndicatorsPagePublic:
    """``/indicators``: every target's status with its calculation, and the catalogue."""
    targets = [
        r
        for r in result.rows
        if basis_of(r) == "target" and (region is None or r["region_code"] == region)
    ]
    catalogue = indicator_tallies(result, indicators)
    return IndicatorsPagePublic(
        run=RunPublic(**run_stamp(result)),
        region=region,
        simulated=any(r["simulated"] for r in targets) or any(c["simulated"] for c in catalogue),
        counts=level_counts(targets),
        target_regions=[
            RegionRef(code=code, name=name)
            for code, name in sorted(
                {
                    (r["region_code"], r["region_name"])
                    for r in result.rows
                    if basis_of(r) == "target"
                }
            )
        ],
        targets=[
            monitor_row(r)
            for r in sorted(
                targets, key=lambda r: (r["region_code"], r["indicator_code"], r["target_year"])
            )
        ],
        indicators=[CatalogueEntryPublic(**c) for c in catalogue],
    )


# -- one indicator ----------------------------------------------------------------------------


class IndicatorPublic(BaseModel):
    """One catalogue entry (its two names are data)."""

    code: str
    name: str
    name_en: str | None
    unit: str | None
    direction: str
    kind: str
    area: str | None
    aggregation: str | None
    weight_indicator: str | None
    formula: str | None
    frequency: str | None
    definition: str | None
    synonyms: list[str]


class SeriesPointPublic(BaseModel):
    period: str
    value: float | None
    simulated: bool
    how: str | None


class SeriesPublic(BaseModel):
    region_code: str
    region_name: str
    points: list[SeriesPointPublic]


class MapCellPublic(BaseModel):
    """A city's latest status for one indicator: its nearest milestone's, else its trend's."""

    code: str
    name: str
    status: str | None
    warning: str | None
    basis: str | None
    latest_period: str | None
    latest_value: float | None
    simulated: bool


class IndicatorPagePublic(BaseModel):
    run: RunPublic
    indicator: IndicatorPublic
    simulated: bool
    regions: list[RegionRef]  # the regions shown (asked for, else those with targets)
    series: list[SeriesPublic]
    rows: list[MonitorRowPublic]  # the shown regions' rows, in the order of ``regions``
    targets: list[MonitorRowPublic]  # every region's target rows, most urgent first
    map: list[MapCellPublic]  # the 41 cities
    tasks: list[LinkedTaskPublic]
    can_edit: bool = False


def headline_rows(rows: Iterable[dict]) -> dict[str, dict]:
    """Per region, the row its status is shown by: the nearest milestone, else the trend."""
    best: dict[str, dict] = {}
    for row in rows:
        current = best.get(row["region_code"])
        if current is None or _headline_rank(row) < _headline_rank(current):
            best[row["region_code"]] = row
    return best


def _headline_rank(row: dict) -> tuple:
    if basis_of(row) == "trend":
        return (1, 0)
    latest = row["latest_period"]
    year = parse_period(latest).year if latest else 0
    # The first milestone not yet passed; past milestones after all future ones.
    return (
        0,
        0 if row["target_year"] >= year else 1,
        row["target_year"] if row["target_year"] >= year else -row["target_year"],
    )


def city_map(result: MonitorRunResult, session: Session, code: str) -> list[MapCellPublic]:
    """The latest status of one indicator in each of the 41 cities, for the map and its twin."""
    heads = headline_rows(r for r in result.rows if r["indicator_code"] == code)
    out = []
    for city in region_repo.list_regions(session, level="city"):
        row = heads.get(city.code)
        out.append(
            MapCellPublic(
                code=city.code,
                name=city.name,
                status=row["status"] if row else None,
                warning=row["warning"] if row else None,
                basis=basis_of(row) if row else None,
                latest_period=row["latest_period"] if row else None,
                latest_value=row["latest_value"] if row else None,
                simulated=bool(row and row["simulated"]),
            )
        )
    return out


def default_regions(result: MonitorRunResult, code: str) -> list[str]:
    """The regions a chart shows unless asked: those with targets, else the four capitals."""
    with_targets = sorted(
        {
            r["region_code"]
            for r in result.rows
            if r["indicator_code"] == code and basis_of(r) == "target"
        }
    )
    return with_targets or list(CAPITALS)


def indicator_page(
    session: Session,
    result: MonitorRunResult,
    code: str,
    regions: list[str] | None = None,
    *,
    with_tasks: bool = True,
) -> IndicatorPagePublic:
    """``/indicators/{code}``: series against trajectories and milestones, components, map.

    ``with_tasks=False`` leaves the linked tasks out (:func:`indicator_tasks` gives them): they
    change with delivery, the rest with monitoring, so a page may keep the two apart."""
    indicator = get_indicator(session, code)
    code = indicator.code
    chosen = regions or default_regions(result, code)
    names = region_repo.region_names(session, include_history=True, include_groups=True)
    unknown = [c for c in chosen if c not in names]
    if unknown:
        raise NotFoundError(f"unknown region code {unknown[0]!r}")
    book, _, _ = load_series(session, stored_indicators(session), MonitorOptions(indicator=code))
    series = [
        SeriesPublic(
            region_code=region,
            region_name=names[region],
            points=[
                SeriesPointPublic(period=p, value=pt.value, simulated=pt.simulated, how=pt.how)
                for p, pt in book.series(region, code).items()
            ],
        )
        for region in chosen
    ]
    rows = [r for r in result.rows if r["indicator_code"] == code]
    chosen_rows = sorted(
        (r for r in rows if r["region_code"] in chosen),
        key=lambda r: (chosen.index(r["region_code"]), r["target_year"] or 0),
    )
    cells = city_map(result, session, code)
    simulated = any(pt.simulated for s in series for pt in s.points) or any(
        c.simulated for c in cells
    )
    return IndicatorPagePublic(
        run=RunPublic(**run_stamp(result)),
        indicator=IndicatorPublic(**indicator_public(indicator)),
        simulated=simulated,
        regions=[RegionRef(code=c, name=names[c]) for c in chosen],
        series=series,
        rows=[monitor_row(r) for r in chosen_rows],
        targets=[
            monitor_row(r)
            for r in sorted((r for r in rows if basis_of(r) == "target"), key=_sort_key)
        ],
        map=cells,
        tasks=indicator_tasks(session, code, chosen) if with_tasks else [],
    )


def indicator_tasks(session: Session, code: str, regions: list[str]) -> list[LinkedTaskPublic]:
    """The tasks serving indicator ``code`` in ``regions`` or in a region above them."""
    return [LinkedTaskPublic(**t) for t in linked_tasks(session, code, regions)]


def status_map_svg(session: Session, cells: list[dict], code: str) -> str:
    """The 41 cities coloured by the warning level of their latest status for one indicator.

    The tooltips hold text keys between ``⟦`` and ``⟧`` (the status, "on the trend"), so that
    one drawing, kept under a key without a language, serves both languages:
    ``yrdplan.web.monitor_render.fill_text_keys`` puts the reader's words in when rendering.
    """
    by_code = {c["code"]: c for c in cells}
    areas = []
    for city, name, geometry in region_repo.outlines(session, "city"):
        cell = by_code.get(city, {})
        status = cell.get("status")
        tip = f"{name}⟦mon.map.colon⟧⟦{'mon.status.' + status if status else 'mon.how.none'}⟧"
        if cell.get("basis") == "trend":
            tip += "⟦mon.map.by_trend⟧"
        areas.append(
            MapArea(
                city,
                name,
                geometry,
                fill=LEVEL_COLOURS.get(cell.get("warning"), NO_DATA_COLOUR),
                tooltip=tip,
                href=f"/indicators/{code}?regions={city}",
                label=name.removesuffix("市"),
            )
        )
    return render_svg_map(areas, width=560, title="⟦mon.map⟧")


# -- a region ---------------------------------------------------------------------------------


class RegionIndicatorsPublic(BaseModel):
    """The region page's section: every indicator of the region with its status."""

    run: RunPublic
    simulated: bool
    counts: dict[str, int]
    rows: list[MonitorRowPublic]


def region_indicators_data(result: MonitorRunResult, code: str) -> RegionIndicatorsPublic:
    """Every row of region ``code`` (targets and trends), most urgent first."""
    rows = sorted((r for r in result.rows if r["region_code"] == code), key=_sort_key)
    return RegionIndicatorsPublic(
        run=RunPublic(**run_stamp(result)),
        simulated=any(r["simulated"] for r in rows),
        counts=level_counts(rows),
        rows=[monitor_row(r) for r in rows],
    )


# -- the import form --------------------------------------------------------------------------


class ProblemPublic(BaseModel):
    """A problem found in a file: what, how bad, and where."""

    kind: str
    message: str
    severity: str  # error or warning
    start: int | None = None
    end: int | None = None
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None


class ImportReportPublic(BaseModel):
    """What an import wrote, and the warnings it let through."""

    file: str
    kind: str
    read: int
    added: int
    revised: int
    unchanged: int
    historical: int
    simulated: bool
    problems: list[ProblemPublic]


class ImportFormPublic(BaseModel):
    """``/indicators/import``: the form, and after an upload its report or its problems."""

    report: ImportReportPublic | None = None
    error: str | None = None
    problems: list[ProblemPublic] = []
    regions: list[str] | None  # the regions the user may write; None: every region


def import_form(user: UserInfo) -> ImportFormPublic:
    return ImportFormPublic(regions=None if user.can_manage else list(user.region_codes))


# -- API --------------------------------------------------------------------------------------


class TargetPublic(BaseModel):
    """One current target revision."""

    id: int
    target_key: str
    revision: int
    region_code: str | None
    group_code: str | None
    indicator_code: str
    year: int
    comparator: str
    value: float | None
    value_high: float | None
    base_year: int | None
    base_value: float | None
    relative_change: float | None
    standard: str | None
    plan_id: int | None
    note: str | None


class IndicatorDetailPublic(IndicatorPublic):
    """A catalogue entry with its current targets."""

    targets: list[TargetPublic]


class ObservationPublic(BaseModel):
    region_code: str
    indicator_code: str
    period: str
    value: float
    source: str | None
    vintage: str | None
    simulated: bool
    note: str | None


class MonitorApiRowPublic(BaseModel):
    """A row of ``yrdplan monitor --format json``, plus ``simulated``."""

    region_code: str
    indicator_code: str
    target_year: int | None
    target_value: float | None
    comparator: str
    base_period: str | None
    base_value: float | None
    latest_period: str | None
    latest_value: float | None
    expected_value: float | None
    observed_rate: float | None
    required_rate: float | None
    ratio: float | None
    projected_value: float | None
    status: str
    warning: str | None
    simulated: bool


def catalogue(session: Session) -> list[IndicatorPublic]:
    """``GET /api/indicators``: the catalogue."""
    return [IndicatorPublic(**indicator_public(i)) for i in stored_indicators(session).values()]


def indicator_detail(session: Session, code: str) -> IndicatorDetailPublic:
    """``GET /api/indicators/{code}``: one catalogue entry with its current targets."""
    indicator = get_indicator(session, code)
    return IndicatorDetailPublic(
        **indicator_public(indicator),
        targets=[TargetPublic(**t) for t in list_targets(session, indicator=indicator.code)],
    )


def monitor_rows(
    session: Session, database: Database | None, options: MonitorOptions
) -> list[dict]:
    """``GET /api/monitor``: the rows (:class:`MonitorApiRowPublic`) of the current run, filtered
    by ``options``' region (or region group), indicator and trends; with a vintage, boundaries
    or an end period, a run computed on request and not stored."""
    if options.vintage or options.boundaries or options.until:
        rows = run_monitor(session, options, store=False).rows
    else:
        rows = rows_for(current_results(session, database), indicator=options.indicator)
        if options.region:
            wanted = _members(session, options.region)
            rows = [r for r in rows if r["region_code"] in wanted]
        if not options.include_trends:
            rows = [r for r in rows if r["comparator"] != "none"]
    return [public_row(r) | {"simulated": bool(r["simulated"])} for r in rows]


def _members(session: Session, code: str) -> set[str]:
    """A region code, or the member codes of a region group."""
    for group in region_repo.list_groups(session):
        if group.code == code:
            return set(group.members)
    return {code}

"""The monitor (监测预警): targets and observations from the store through the progress engine.

One run:

1. reads the current observations (or those current as of a past ``vintage``), drops periods
   after ``until``, and carries them onto the boundaries of ``boundaries`` (default today)
   through the crosswalk (:mod:`yrdplan.analytics.crosswalk`);
2. resolves the series of every region × indicator asked for: observed, derived from a formula,
   or aggregated from the region's children (:mod:`yrdplan.analytics.series`);
3. takes the current targets; a target set for a region group applies to each member region;
   a target that names a standard instead of a value gets the standard's limit
   (``monitoring.toml``); with ``include_trends`` every observed series without a target gets a
   no-target row (comparator ``none``: the direction-only assessment);
4. runs :func:`yrdplan.analytics.progress.compute_progress` over all rows at once, assigns the
   warning levels (:mod:`yrdplan.services.warning_rules`), stores every calculation component in ``monitor_results`` under one run id
   (with a ``monitor_runs`` row saying who ran it on which data with which options) and returns
   the rows.

The public row (``yrdplan monitor --format json``) has exactly :data:`PUBLIC_FIELDS`; the
stored components add names, method, band edges, trajectory gap, score, anticipated progress,
the unrealistic-target flag, how the series was obtained and whether it is simulated.
"""

from __future__ import annotations

import math
import secrets
from collections import defaultdict
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from yrdplan.analytics.crosswalk import carry_observations
from yrdplan.analytics.progress import (
    Panel,
    ProgressOptions,
    TargetTable,
    compute_progress,
)
from yrdplan.analytics.series import Point, SeriesBook
from yrdplan.domain.indicators import Indicator
from yrdplan.domain.periods import parse_period
from yrdplan.errors import InputError, NotFoundError
from yrdplan.services.catalogue import stored_indicators
from yrdplan.services.geography import hierarchy, period_end, stored_changes
from yrdplan.services.indicator_data import resolve_standard
from yrdplan.services.warning_rules import (
    MonitorWarningRules,
    engine_warnings,
    raise_binding,
    stored_thresholds,
    warning_rules,
)
from yrdplan.store.computed import cached
from yrdplan.store.repos import indicators as repo
from yrdplan.store.repos import regions as region_repo
from yrdplan.store.schema import MonitorRun, TargetRecord, utcnow

#: The fields of one row of ``yrdplan monitor --format json``, in order (README exchange format).
PUBLIC_FIELDS: tuple[str, ...] = (
    "region_code",
    "indicator_code",
    "target_year",
    "target_value",
    "comparator",
    "base_period",
    "base_value",
    "latest_period",
    "latest_value",
    "expected_value",
    "observed_rate",
    "required_rate",
    "ratio",
    "projected_value",
    "status",
    "warning",
)
# Engine components kept in monitor_results beside the public fields.
_COMPONENTS = (
    "method",
    "direction_sign",
    "band_low",
    "band_high",
    "aim_value",
    "trajectory_gap",
    "trajectory_gap_share",
    "progress_value",
    "threshold_scale",
    "score",
    "projected_linear",
    "projected_compound",
    "anticipated_progress",
    "best_rate",
    "unrealistic",
)


@dataclass(frozen=True)
class MonitorOptions:
    """What to assess and how; the defaults are the published methods on today's data.

    Parameters
    ----------
    region : str, optional
        Only rows of this region, or of the members of this region group.
    indicator : str, optional
        Only rows of this indicator.
    vintage : str, optional
        Recompute on the data as they stood at this vintage (see the store's revision rules).
    boundaries : date, optional
        Boundary vintage: map every series onto the regions of this day (default today).
    until : str, optional
        Ignore observations of periods after this one (``2022``): a past assessment.
    include_trends : bool
        Add a no-target row for every series without a target (the direction-only method).
    trend_window, projection :
        The projection's window (years) and kind (``linear`` or ``compound``).
    """

    region: str | None = None
    indicator: str | None = None
    vintage: str | None = None
    boundaries: date | None = None
    until: str | None = None
    include_trends: bool = False
    trend_window: float = 5.0
    projection: str = "linear"

    @property
    def is_default(self) -> bool:
        """Unfiltered, on current data and boundaries, with trend rows: what pages show."""
        return self == MonitorOptions(include_trends=True)

    def to_json(self) -> dict:
        out = asdict(self)
        out["boundaries"] = self.boundaries.isoformat() if self.boundaries else None
        return out


@dataclass
class MonitorRunResult:
    """The rows of one run (internal dicts: public fields plus components), and its id."""

    run_id: str
    rows: list[dict]
    options: MonitorOptions
    computed_at: Any = None
    simulated: bool = False
    notes: list[str] = field(default_factory=list)

    def public_rows(self) -> list[dict]:
        return [public_row(row) for row in self.rows]


def public_row(row: dict) -> dict:
    """Exactly the documented fields of a row."""
    return {name: row.get(name) for name in PUBLIC_FIELDS}


# -- inputs -----------------------------------------------------------------------------------


def needed_indicators(indicators: dict[str, Indicator], wanted: str | None) -> set[str] | None:
    """The indicator and everything its series may be built from (components, weights)."""
    if wanted is None:
        return None
    from yrdplan.analytics.series import Formula

    needed, todo = set(), [wanted]
    while todo:
        code = todo.pop()
        if code in needed or code not in indicators:
            continue
        needed.add(code)
        indicator = indicators[code]
        if indicator.formula:
            todo.extend(Formula.parse(indicator.formula).references)
        if indicator.weight_indicator:
            todo.append(indicator.weight_indicator)
    return needed


def _until_end(until: str | None) -> date | None:
    if until is None:
        return None
    try:
        return period_end(until)
    except ValueError as err:
        raise InputError(f"--until {until!r}: {err}") from err


def load_series(
    session: Session, indicators: dict[str, Indicator], options: MonitorOptions
) -> tuple[SeriesBook, dict[str, list[str]], dict]:
    """The series book for a run: observations as of the vintage, cut, carried, resolvable."""
    wanted = needed_indicators(indicators, options.indicator)
    rows = repo.observations(session, vintage=options.vintage, indicators=wanted)
    cut = _until_end(options.until)
    ends: dict[str, date] = {}
    observed: dict[tuple[str, str], dict[str, Point]] = defaultdict(dict)
    for row in rows:
        if row.period not in ends:
            ends[row.period] = period_end(row.period)
        if cut is not None and ends[row.period] > cut:
            continue
        observed[(row.region_code, row.indicator_code)][row.period] = Point(
            row.value, row.is_simulated
        )
    as_of = options.boundaries or date.today()
    summed = {code for code, ind in indicators.items() if ind.aggregation == "sum"}
    carried = carry_observations(observed, ends, stored_changes(session), as_of, summed)
    children = hierarchy(session, as_of)
    info = {"observations": len(rows), "carried": carried.carried, "dropped": carried.dropped}
    return SeriesBook(carried.series, indicators, children), children, info


@dataclass
class _Row:
    """One assessment to make: a region × indicator, with a target or without (trend)."""

    region_code: str
    indicator: Indicator
    target: TargetRecord | None = None
    value: float | None = None  # the target value, with a standard resolved
    group_code: str | None = None


def _target_rows(
    session: Session,
    indicators: dict[str, Indicator],
    children: dict[str, list[str]],
    options: MonitorOptions,
) -> list[_Row]:
    rows = []
    for target in repo.current_targets(
        session, indicators=[options.indicator] if options.indicator else None
    ):
        indicator = indicators.get(target.indicator_code)
        if indicator is None:
            continue
        value = target.value
        if value is None and target.comparator != "relative":
            value = resolve_standard(target.standard, target.indicator_code)
        if target.region_code:
            rows.append(_Row(target.region_code, indicator, target, value))
        elif target.group_code:
            # A target set for a region group applies to each member region.
            for member in children.get(target.group_code, []):
                rows.append(_Row(member, indicator, target, value, target.group_code))
    return rows


def _region_filter(
    options: MonitorOptions, children: dict[str, list[str]], session: Session
) -> set[str] | None:
    if options.region is None:
        return None
    code = options.region
    groups = {g.code for g in region_repo.list_groups(session)}
    if code in groups:
        return set(children.get(code, []))
    # Past units (江干区) too: a past boundary vintage is asked about in its own codes.
    if code not in {r.code for r in region_repo.list_regions(session, include_history=True)}:
        raise NotFoundError(f"unknown region code {code!r}")
    return {code}


def _trend_rows(
    book: SeriesBook,
    indicators: dict[str, Indicator],
    regions: set[str] | None,
    options: MonitorOptions,
    taken: set[tuple[str, str]],
) -> list[_Row]:
    """No-target rows for every resolvable series without a target row."""
    if regions is None:
        regions = {region for region, _ in book.observed}
    codes = [options.indicator] if options.indicator else sorted(indicators)
    rows = []
    for region in sorted(regions):
        for code in codes:
            if (region, code) in taken or code not in indicators:
                continue
            if indicators[code].direction == "band":
                continue  # nothing to assess without a target: more is neither better nor worse
            if book.series(region, code):
                rows.append(_Row(region, indicators[code]))
    return rows


# -- the run ----------------------------------------------------------------------------------


def _natural_limit(indicator: Indicator) -> float:
    # A share in % that should rise cannot pass 100 (Statistics Canada's natural limit).
    if indicator.unit.strip() == "%" and indicator.direction == "higher":
        return 100.0
    return math.nan


def _engine_ready(row: _Row) -> str | None:
    """Why a target row cannot go through the engine (None when it can)."""
    target = row.target
    if target is None:
        return None
    if target.comparator == "relative":
        if target.relative_change is None or target.base_year is None:
            return "relative target without base year or change"
    elif row.value is None:
        return (
            f"no value (standard {target.standard!r} unresolved)" if target.standard else "no value"
        )
    if target.comparator == "between" and target.value_high is None:
        return "band without its high edge"
    if target.base_year is not None and target.base_year >= target.year:
        return "base year not before target year"
    if target.value_high is not None and row.value is not None and target.value_high < row.value:
        return "band edges inverted"
    return None


def run_monitor(
    session: Session,
    options: MonitorOptions | None = None,
    *,
    actor_id: int | None = None,
    store: bool = True,
) -> MonitorRunResult:
    """Assess every target (and, with ``include_trends``, every series); store the run.

    Raises
    ------
    NotFoundError
        ``options.region`` or ``options.indicator`` names nothing.
    InputError
        A bad ``until`` period or projection option.
    """
    options = options or MonitorOptions()
    indicators = stored_indicators(session)
    if options.indicator and options.indicator not in indicators:
        raise NotFoundError(f"unknown indicator {options.indicator!r}")
    if options.projection not in ("linear", "compound"):
        raise InputError(f"projection must be linear or compound, not {options.projection!r}")
    fingerprint = repo.data_fingerprint(session)
    book, children, info = load_series(session, indicators, options)
    regions = _region_filter(options, children, session)
    rows = [
        r
        for r in _target_rows(session, indicators, children, options)
        if regions is None or r.region_code in regions
    ]
    if options.include_trends:
        taken = {(r.region_code, r.indicator.code) for r in rows}
        rows += _trend_rows(book, indicators, regions, options, taken)
    results = assess(book, rows, options, warning_rules(stored_thresholds(session)))
    names = region_repo.region_names(session, include_history=True, include_groups=True)
    for result in results:
        result["region_name"] = names.get(result["region_code"], result["region_code"])
    run = MonitorRunResult(
        run_id=utcnow().strftime("%Y%m%dT%H%M%S") + secrets.token_hex(4),
        rows=results,
        options=options,
        computed_at=utcnow(),
        simulated=any(r["simulated"] for r in results),
        notes=[f"{k}: {v}" for k, v in info.items()],
    )
    if store:
        _store(session, run, fingerprint, actor_id)
    return run


def assess(
    book: SeriesBook,
    rows: list[_Row],
    options: MonitorOptions,
    rules: MonitorWarningRules | None = None,
) -> list[dict]:
    """Run the engine over ``rows``; one result dict per row, in order (warning levels by
    ``rules``, default the shipped ones)."""
    series_index: dict[tuple[str, str], int] = {}
    labels: list[dict[float, str]] = []
    sims: list[bool] = []
    hows: list[str] = []
    times: list[float] = []
    values: list[float] = []
    ids: list[int] = []
    decimal: dict[str, float] = {}  # period label -> decimal year, parsed once per label
    for row in rows:
        key = (row.region_code, row.indicator.code)
        if key in series_index:
            continue
        index = series_index[key] = len(labels)
        points = book.series(*key)
        by_time = {}
        for period, point in points.items():
            t = decimal.get(period)
            if t is None:
                t = decimal[period] = parse_period(period).decimal_year
            by_time[t] = period
            ids.append(index)
            times.append(t)
            values.append(point.value)
        labels.append(by_time)
        sims.append(any(p.simulated for p in points.values()))
        kinds = {p.how for p in points.values()}
        hows.append(kinds.pop() if len(kinds) == 1 else ("mixed" if kinds else "none"))
    panel = Panel.from_long(np.array(ids, dtype=np.int64), times, values, n_series=len(labels))
    ready = [(i, row) for i, row in enumerate(rows) if _engine_ready(row) is None]
    table = _target_table(ready, series_index)
    progress = compute_progress(
        panel,
        table,
        ProgressOptions(trend_window=options.trend_window, projection=options.projection),
    )
    rules = rules or warning_rules()
    levels = engine_warnings(progress, rules)
    out: list[dict] = []
    by_row = {
        i: record | {"warning": level}
        for (i, _), record, level in zip(ready, progress.to_records(), levels, strict=True)
    }
    for i, row in enumerate(rows):
        s = series_index[(row.region_code, row.indicator.code)]
        record = by_row.get(i)
        out.append(_result(row, record, labels[s], sims[s], hows[s], _engine_ready(row)))
    raise_binding(out, rules)
    return out


def _target_table(
    ready: list[tuple[int, _Row]], series_index: dict[tuple[str, str], int]
) -> TargetTable:
    def column(get) -> np.ndarray:
        return np.array([get(row) for _, row in ready], dtype=np.float64)

    def opt(value) -> float:
        return math.nan if value is None else float(value)

    return TargetTable(
        series=np.array(
            [series_index[(r.region_code, r.indicator.code)] for _, r in ready], dtype=np.int64
        ),
        target_year=column(lambda r: r.target.year if r.target else math.nan),
        comparator=[r.target.comparator if r.target else "none" for _, r in ready]
        or np.zeros(0, np.int8),
        direction=[r.indicator.direction for _, r in ready] or np.zeros(0, np.int8),
        target_value=column(
            lambda r: opt(r.value) if r.target and r.target.comparator != "relative" else math.nan
        ),
        target_value_high=column(lambda r: opt(r.target.value_high) if r.target else math.nan),
        base_year=column(lambda r: opt(r.target.base_year) if r.target else math.nan),
        base_value=column(
            lambda r: opt(r.target.base_value) if r.target and r.target.base_year else math.nan
        ),
        relative_change=column(lambda r: opt(r.target.relative_change) if r.target else math.nan),
        natural_limit=column(lambda r: math.nan if r.target else _natural_limit(r.indicator)),
    )


def _label(
    time: float | None, labels: dict[float, str], explicit_year: int | None = None
) -> str | None:
    if time is None:
        return None
    if time in labels:
        return labels[time]
    if explicit_year is not None and abs(time - explicit_year) < 1e-9:
        return str(explicit_year)
    return f"{time:g}"


def _result(
    row: _Row,
    record: dict | None,
    labels: dict[float, str],
    simulated: bool,
    how: str,
    problem: str | None,
) -> dict:
    target, indicator = row.target, row.indicator
    base = {
        "region_code": row.region_code,
        "indicator_code": indicator.code,
        "target_year": target.year if target else None,
        "target_value": row.value if target else None,
        "comparator": target.comparator if target else "none",
        "target_id": target.id if target else None,
        "group_code": row.group_code,
        "plan_id": target.plan_id if target else None,
        "standard": target.standard if target else None,
        "value_high": target.value_high if target else None,
        "relative_change": target.relative_change if target else None,
        "indicator_name": indicator.name,
        "unit": indicator.unit,
        "direction": indicator.direction,
        "kind": indicator.kind,
        "simulated": simulated,
        "how": how,
        "problem": problem,
    }
    if record is None:
        empty = dict.fromkeys((*PUBLIC_FIELDS, *_COMPONENTS))
        return {
            **empty,
            **base,
            "status": "insufficient_data",
            "method": "none",
            "unrealistic": False,
        }
    explicit = target.base_year if target else None
    result = {**base}
    for name in _COMPONENTS:
        result[name] = record[name]
    result.update(
        base_period=_label(record["base_period"], labels, explicit),
        base_value=record["base_value"],
        latest_period=_label(record["latest_period"], labels),
        latest_value=record["latest_value"],
        expected_value=record["expected_value"],
        observed_rate=record["observed_rate"],
        required_rate=record["required_rate"],
        ratio=record["ratio"],
        projected_value=record["projected_value"],
        status=record["status"],
        warning=record["warning"],
        unrealistic=bool(record["unrealistic"]),
    )
    if target is not None:
        # A relative target's value is base × (1 + change): the engine computed it.
        result["target_value"] = record["target_value"]
    return result


def _store(session: Session, run: MonitorRunResult, fingerprint: str, actor_id: int | None) -> None:
    scope = {
        k: v for k, v in (("region", run.options.region), ("indicator", run.options.indicator)) if v
    }
    options = run.options.to_json() | {"default": run.options.is_default}
    repo.add_run(
        session,
        MonitorRun(
            run_id=run.run_id,
            computed_at=run.computed_at,
            created_by=actor_id,
            scope=scope,
            options=options,
            fingerprint=fingerprint,
            rows=len(run.rows),
            simulated=run.simulated,
        ),
        [
            {
                "run_id": run.run_id,
                "computed_at": run.computed_at,
                "region_code": row["region_code"],
                "indicator_code": row["indicator_code"],
                "target_id": row["target_id"],
                "components": _jsonable(row),
                "status": row["status"],
                "warning": row["warning"],
            }
            for row in run.rows
        ],
    )


def _jsonable(row: dict) -> dict:
    out = {}
    for key, value in row.items():
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        elif isinstance(value, np.generic):
            value = value.item()
        out[key] = value
    return out


# -- reading stored runs ----------------------------------------------------------------------


def current_results(session: Session, database=None) -> MonitorRunResult:
    """The latest full run if it still matches the data, else a fresh one (stored).

    Pages call this: a run is recomputed only after observations, targets, the crosswalk or task
    links changed. ``database`` (a :class:`~yrdplan.store.database.Database`) lets a read-only
    page session store the fresh run in its own transaction; with it, the run's decoded rows
    are also kept in this process until the data change (:mod:`yrdplan.store.computed`), so a
    page view neither decodes the stored rows nor runs the engine. Treat the rows as read-only.
    """
    if database is None:
        return _current_results(session, None)
    # Shared too: another worker loads the decoded rows instead of decoding them again.
    return cached(session, ("monitor.current_results",), lambda s: _current_results(s, database))


def _current_results(session: Session, database) -> MonitorRunResult:
    fingerprint = repo.data_fingerprint(session)
    run = repo.latest_run(session, fingerprint=fingerprint)
    if run is not None:
        return MonitorRunResult(
            run_id=run.run_id,
            rows=repo.run_components(session, run.run_id),
            options=MonitorOptions(include_trends=True),
            computed_at=run.computed_at,
            simulated=run.simulated,
        )
    options = MonitorOptions(include_trends=True)
    if database is None:
        return run_monitor(session, options)
    with database.write() as writer:
        return run_monitor(writer, options)


def rows_for(
    result: MonitorRunResult, *, region: str | None = None, indicator: str | None = None
) -> list[dict]:
    return [
        r
        for r in result.rows
        if (region is None or r["region_code"] == region)
        and (indicator is None or r["indicator_code"] == indicator)
    ]


def with_options(result: MonitorRunResult, **changes) -> MonitorOptions:
    return replace(result.options, **changes)

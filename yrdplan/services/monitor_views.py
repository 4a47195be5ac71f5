"""The data of the monitoring pages, built once and rendered twice (HTML and ``?format=json``).

Each function takes the rows of a monitor run (:func:`yrdplan.services.monitor.current_results`)
and returns one plain dict; the chart's Plotly figure is built here too, so the chart shows
exactly the numbers the page's table and JSON twin give.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from yrdplan.domain.indicators import Indicator
from yrdplan.domain.periods import parse_period
from yrdplan.domain.regions import YRD_CODE
from yrdplan.errors import NotFoundError
from yrdplan.services.catalogue import stored_indicators
from yrdplan.services.computed import shared
from yrdplan.services.indicator_data import get_indicator, indicator_public
from yrdplan.services.monitor import MonitorOptions, MonitorRunResult, load_series
from yrdplan.store.repos import indicators as repo
from yrdplan.store.repos import regions as region_repo
from yrdplan.store.schema import Plan, TaskSupportingUnit, Unit

LEVELS = ("red", "orange", "yellow", "green")
LEVEL_ORDER = {level: i for i, level in enumerate(LEVELS)}
LEVEL_COLOURS = {"green": "#27ae60", "yellow": "#f1c40f", "orange": "#e67e22", "red": "#c0392b"}
NO_DATA_COLOUR = "#e5e7eb"
# Region colours of the chart: distinct, and none of them a warning colour.
PALETTE = ("#0b5394", "#8e44ad", "#16a085", "#d35400", "#2c3e50", "#7f8c8d", "#b03a2e", "#1abc9c")


def _finite(value) -> float | None:
    return value if isinstance(value, (int, float)) and math.isfinite(value) else None


def _basis(row: dict) -> str:
    return "trend" if row["comparator"] == "none" else "target"


def run_info(result: MonitorRunResult) -> dict:
    computed = result.computed_at
    return {
        "run_id": result.run_id,
        "computed_at": computed.isoformat(timespec="seconds") if computed else None,
    }


def summary_row(row: dict) -> dict:
    """A monitor row for a page: the public fields and what a reader needs to follow it."""
    keep = (
        "region_code", "region_name", "indicator_code", "indicator_name", "unit", "kind",
        "target_id", "group_code", "target_year", "comparator", "target_value", "value_high",
        "relative_change",
        "standard", "base_period", "base_value", "latest_period", "latest_value",
        "expected_value", "trajectory_gap", "observed_rate", "required_rate", "ratio",
        "projected_value", "anticipated_progress", "score", "method", "band_low", "band_high",
        "aim_value", "unrealistic", "status", "warning", "simulated", "how", "problem",
    )  # fmt: skip
    out = {name: row.get(name) for name in keep}
    out["basis"] = _basis(row)
    return out


def _sort_key(row: dict) -> tuple:
    return (
        LEVEL_ORDER.get(row["warning"], 9),
        row["region_code"],
        row["indicator_code"],
        row["target_year"] or 0,
    )


# -- the indicator list -----------------------------------------------------------------------


def indicators_view_data(
    result: MonitorRunResult, indicators: dict[str, Indicator], *, region: str | None = None
) -> dict:
    """``/indicators``: every target's status with its calculation, and the catalogue."""
    targets = [
        r
        for r in result.rows
        if _basis(r) == "target" and (region is None or r["region_code"] == region)
    ]
    per_indicator: dict[str, Counter] = defaultdict(Counter)
    regions_with_data: dict[str, set] = defaultdict(set)
    simulated: dict[str, bool] = defaultdict(bool)
    for row in result.rows:
        per_indicator[row["indicator_code"]][row["warning"]] += 1
        if row["latest_period"]:
            regions_with_data[row["indicator_code"]].add(row["region_code"])
        simulated[row["indicator_code"]] |= bool(row["simulated"])
    target_counts = Counter(r["indicator_code"] for r in result.rows if _basis(r) == "target")
    catalogue = [
        {
            "code": ind.code,
            "name": ind.name,
            "unit": ind.unit,
            "area": ind.area,
            "direction": ind.direction,
            "kind": ind.kind,
            "formula": ind.formula,
            "regions": len(regions_with_data[ind.code]),
            "targets": target_counts[ind.code],
            "warnings": {level: per_indicator[ind.code][level] for level in LEVELS},
            "simulated": simulated[ind.code],
        }
        for ind in sorted(indicators.values(), key=lambda i: (i.area, i.code))
    ]
    return {
        "run": run_info(result),
        "region": region,
        "simulated": any(r["simulated"] for r in targets) or any(c["simulated"] for c in catalogue),
        "counts": {level: sum(r["warning"] == level for r in targets) for level in LEVELS},
        "target_regions": [
            {"code": code, "name": name}
            for code, name in sorted(
                {(r["region_code"], r["region_name"]) for r in result.rows if _basis(r) == "target"}
            )
        ],
        "targets": [
            summary_row(r)
            for r in sorted(
                targets, key=lambda r: (r["region_code"], r["indicator_code"], r["target_year"])
            )
        ],
        "indicators": catalogue,
    }


# -- one indicator ----------------------------------------------------------------------------


def headline_rows(rows: Iterable[dict]) -> dict[str, dict]:
    """Per region, the row its status is shown by: the nearest milestone, else the trend."""
    best: dict[str, dict] = {}
    for row in rows:
        current = best.get(row["region_code"])
        if current is None or _headline_rank(row) < _headline_rank(current):
            best[row["region_code"]] = row
    return best


def _headline_rank(row: dict) -> tuple:
    if _basis(row) == "trend":
        return (1, 0)
    latest = row["latest_period"]
    year = parse_period(latest).year if latest else 0
    # The first milestone not yet passed; past milestones after all future ones.
    return (
        0,
        0 if row["target_year"] >= year else 1,
        row["target_year"] if row["target_year"] >= year else -row["target_year"],
    )


def city_map(result: MonitorRunResult, session: Session, code: str) -> list[dict]:
    """The latest status of one indicator in each of the 41 cities, for the map and its twin."""
    rows = [r for r in result.rows if r["indicator_code"] == code]
    heads = headline_rows(rows)
    out = []
    for city in region_repo.list_regions(session, level="city"):
        row = heads.get(city.code)
        out.append(
            {
                "code": city.code,
                "name": city.name,
                "status": row["status"] if row else None,
                "warning": row["warning"] if row else None,
                "basis": _basis(row) if row else None,
                "latest_period": row["latest_period"] if row else None,
                "latest_value": row["latest_value"] if row else None,
                "simulated": bool(row and row["simulated"]),
            }
        )
    return out


def default_regions(result: MonitorRunResult, code: str) -> list[str]:
    """The regions a chart shows unless asked: those with targets, else the four capitals."""
    with_targets = sorted(
        {
            r["region_code"]
            for r in result.rows
            if r["indicator_code"] == code and _basis(r) == "target"
        }
    )
    return with_targets or ["310100", "320100", "330100", "340100"]


def indicator_view_data(
    session: Session, result: MonitorRunResult, code: str, regions: list[str] | None = None
) -> dict:
    """``/indicators/{code}``: series against trajectories and milestones, components, map."""
    indicator = get_indicator(session, code)
    code = indicator.code
    chosen = regions or default_regions(result, code)
    names = region_repo.region_names(session, include_history=True, include_groups=True)
    unknown = [c for c in chosen if c not in names]
    if unknown:
        raise NotFoundError(f"unknown region code {unknown[0]!r}")
    book, _, _ = load_series(session, stored_indicators(session), MonitorOptions(indicator=code))
    series = []
    for region in chosen:
        points = book.series(region, code)
        series.append(
            {
                "region_code": region,
                "region_name": names[region],
                "points": [
                    {"period": p, "value": pt.value, "simulated": pt.simulated, "how": pt.how}
                    for p, pt in points.items()
                ],
            }
        )
    rows = [r for r in result.rows if r["indicator_code"] == code]
    chosen_rows = sorted(
        (r for r in rows if r["region_code"] in chosen),
        key=lambda r: (chosen.index(r["region_code"]), r["target_year"] or 0),
    )
    map_rows = city_map(result, session, code)
    simulated = any(pt["simulated"] for s in series for pt in s["points"]) or any(
        m["simulated"] for m in map_rows
    )
    return {
        "run": run_info(result),
        "indicator": indicator_public(indicator),
        "simulated": simulated,
        "regions": [{"code": c, "name": names[c]} for c in chosen],
        "series": series,
        "rows": [summary_row(r) for r in chosen_rows],
        "targets": [
            summary_row(r)
            for r in sorted((r for r in rows if _basis(r) == "target"), key=_sort_key)
        ],
        "map": map_rows,
        "chart": figure(indicator, series, chosen_rows),
        "tasks": linked_tasks(session, code, chosen),
    }


def _t(label: str | None) -> float | None:
    return parse_period(label).decimal_year if label else None


def figure(indicator: Indicator, series: list[dict], rows: list[dict]) -> dict:
    """A Plotly figure (plain JSON): each region's series, and per target the straight path from
    the base to the milestone, the milestone itself (a band as an error bar), the projection."""
    traces = []
    for i, item in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        name = item["region_name"]
        demo = any(p["simulated"] for p in item["points"])
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": f"{name}{'（演示数据）' if demo else ''}",
                "x": [_t(p["period"]) for p in item["points"]],
                "y": [p["value"] for p in item["points"]],
                "text": [p["period"] for p in item["points"]],
                "hovertemplate": "%{text}: %{y:.4g}<extra>" + name + "</extra>",
                "line": {"color": colour},
                "legendgroup": item["region_code"],
            }
        )
        for row in rows:
            if row["region_code"] != item["region_code"] or _basis(row) != "target":
                continue
            traces.extend(_target_traces(row, colour, name))
    unit = indicator.unit or ""
    return {
        "data": traces,
        "layout": {
            "margin": {"l": 60, "r": 20, "t": 20, "b": 40},
            "height": 380,
            "xaxis": {"tickformat": "d", "dtick": 1},  # years need no axis title
            # The unit alone: the indicator's name is the page's title, and long names clip.
            "yaxis": {"title": {"text": unit}},
            "legend": {"orientation": "h", "y": -0.12},
            "hovermode": "closest",
        },
    }


def _target_traces(row: dict, colour: str, name: str) -> list[dict]:
    traces = []
    year = row["target_year"]
    base_t, aim = _t(row["base_period"]), _finite(row["aim_value"])
    if base_t is not None and aim is not None and _finite(row["base_value"]) is not None:
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"{name} 目标路径（{year}）",
                "x": [base_t, year],
                "y": [row["base_value"], aim],
                "line": {"color": colour, "dash": "dash", "width": 1.5},
                "legendgroup": row["region_code"],
                "hoverinfo": "skip",
            }
        )
    target = _finite(row["target_value"])
    if target is not None:
        marker = {
            "type": "scatter",
            "mode": "markers",
            "name": f"{name} {year}年目标",
            "x": [year],
            "y": [target],
            "marker": {"symbol": "star", "size": 13, "color": colour},
            "legendgroup": row["region_code"],
            "hovertemplate": f"{year}年目标: %{{y:.4g}}<extra>{name}</extra>",
        }
        low, high = _finite(row["band_low"]), _finite(row["band_high"])
        if low is not None and high is not None:
            marker["error_y"] = {
                "type": "data",
                "symmetric": False,
                "array": [high - target],
                "arrayminus": [target - low],
                "color": colour,
            }
        traces.append(marker)
    latest_t, projected = _t(row["latest_period"]), _finite(row["projected_value"])
    if latest_t is not None and projected is not None and latest_t < year:
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"{name} 趋势外推",
                "x": [latest_t, year],
                "y": [row["latest_value"], projected],
                "line": {"color": colour, "dash": "dot", "width": 1},
                "legendgroup": row["region_code"],
                "showlegend": False,
                "hovertemplate": f"外推至{year}年: %{{y:.4g}}<extra>{name}</extra>",
            }
        )
    return traces


# -- tasks behind a warning -------------------------------------------------------------------


def _ancestors(session: Session) -> dict[str, list[str]]:
    parents = {
        r.code: r.parent_code for r in region_repo.list_regions(session, include_history=True)
    }
    out = {}
    for code in parents:
        chain, current = [], parents.get(code)
        while current and current not in chain:
            chain.append(current)
            current = parents.get(current)
        if YRD_CODE not in chain and code != YRD_CODE:
            chain.append(YRD_CODE)
        out[code] = chain
    return out


def linked_tasks(
    session: Session, code: str, regions: list[str], ancestors: dict | None = None
) -> list[dict]:
    """The tasks serving ``code`` in ``regions`` (or in a region above them), with their units."""
    # The warnings list asks once per region: one build reads each indicator's tasks once.
    found, supporting = shared(
        session, ("monitor.linked_tasks", code), lambda: _tasks_serving(session, code)
    )
    if not found:
        return []
    ancestors = ancestors or _ancestors(session)
    wanted = {r: 0 for r in regions}
    for region in regions:
        for level, above in enumerate(ancestors.get(region, []), start=1):
            wanted.setdefault(above, level)
    plans = shared(session, ("monitor.plans",), lambda: _plan_titles(session))
    out = []
    for task, unit in found:
        if task.region_code not in wanted:
            continue
        plan = plans.get(task.plan_id)
        out.append(
            {
                "id": task.id,
                "key": task.key,
                "label": task.label,
                "title": task.title,
                "region_code": task.region_code,
                "inherited": wanted[task.region_code] > 0,  # a task of a plan above the region
                "plan_code": plan[0] if plan else None,
                "plan_title": plan[1] if plan else None,
                "lead_unit": {"code": unit.code, "name": unit.name} if unit else None,
                "supporting_units": supporting.get(task.id, []),
            }
        )
    return sorted(out, key=lambda t: (t["inherited"], t["plan_code"] or "", t["id"]))


def _tasks_serving(session: Session, code: str) -> tuple[list, dict[int, list[dict]]]:
    links = repo.task_links(session, [code]).get(code, [])
    if not links:
        return [], {}
    found = repo.tasks_with_units(session, links)
    supporting = defaultdict(list)
    rows = session.execute(
        select(TaskSupportingUnit.task_id, Unit.code, Unit.name)
        .join(Unit, Unit.id == TaskSupportingUnit.unit_id)
        .where(TaskSupportingUnit.task_id.in_([t.id for t, _ in found]))
        .order_by(TaskSupportingUnit.task_id, TaskSupportingUnit.position)
    )
    for task_id, unit_code, unit_name in rows:
        supporting[task_id].append({"code": unit_code, "name": unit_name})
    return found, supporting


def _plan_titles(session: Session) -> dict[int, tuple[str, str]]:
    return {
        pid: (code, title)
        for pid, code, title in session.execute(select(Plan.id, Plan.code, Plan.title))
    }


# -- warnings ---------------------------------------------------------------------------------


def warnings_view_data(
    session: Session,
    result: MonitorRunResult,
    *,
    levels: list[str] | None = None,
    region: str | None = None,
    indicator: str | None = None,
    basis: str = "target",
) -> dict:
    """``/warnings``: rows filtered by level, region, indicator and basis, each with its tasks.

    By default the red and orange rows measured against a target: the commitments at risk.
    ``basis="trend"`` gives the direction-only rows of series without a target, ``"all"`` both.
    """
    levels = levels or ["red", "orange"]
    rows = [
        r
        for r in result.rows
        if r["warning"] in levels
        and (region is None or r["region_code"] == region)
        and (indicator is None or r["indicator_code"] == indicator)
        and (basis == "all" or _basis(r) == basis)
    ]
    ancestors = _ancestors(session)
    task_cache: dict[tuple[str, str], list[dict]] = {}
    out = []
    for row in sorted(
        rows,
        key=lambda r: (
            LEVEL_ORDER[r["warning"]],
            _basis(r) != "target",
            r["region_code"],
            r["indicator_code"],
        ),
    ):
        key = (row["indicator_code"], row["region_code"])
        if key not in task_cache:
            task_cache[key] = linked_tasks(session, key[0], [key[1]], ancestors)
        out.append(summary_row(row) | {"tasks": task_cache[key]})
    counts = Counter(r["warning"] for r in result.rows if (basis == "all" or _basis(r) == basis))
    return {
        "run": run_info(result),
        "filters": {"levels": levels, "region": region, "indicator": indicator, "basis": basis},
        "simulated": any(r["simulated"] for r in out),
        "counts": {level: counts[level] for level in LEVELS},
        "warnings": out,
    }


# -- a region ---------------------------------------------------------------------------------


def region_indicators_data(result: MonitorRunResult, code: str) -> dict:
    """The region page's section: every indicator of the region with its status."""
    rows = sorted((r for r in result.rows if r["region_code"] == code), key=_sort_key)
    return {
        "run": run_info(result),
        "simulated": any(r["simulated"] for r in rows),
        "counts": {level: sum(r["warning"] == level for r in rows) for level in LEVELS},
        "rows": [summary_row(r) for r in rows],
    }

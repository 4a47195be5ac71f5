"""Which indicators warn, and the tasks and units behind them.

The use case the monitoring pages and the bulletins share: over the rows of a monitor run
(:func:`yrdplan.services.monitor.current_results`), choose the warnings by level, region,
indicator and basis, find the tasks serving each indicator in its region (or in a region above
it), and tally each indicator's warnings for the catalogue. Codes and numbers only: what a page
shows of them is in ``yrdplan.web.views.indicators``.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from sqlalchemy.orm import Session

from yrdplan.domain.indicators import Indicator
from yrdplan.domain.regions import YRD_CODE
from yrdplan.services.monitor import MonitorRunResult
from yrdplan.store.computed import shared
from yrdplan.store.repos import indicators as repo
from yrdplan.store.repos import plans as plan_repo
from yrdplan.store.repos import regions as region_repo

#: Warning levels, the most urgent first.
LEVELS = ("red", "orange", "yellow", "green")
LEVEL_ORDER = {level: i for i, level in enumerate(LEVELS)}
#: What a row is measured against: a target, or (a series without one) its trend.
BASES = ("target", "trend", "all")


def basis_of(row: dict) -> str:
    return "trend" if row["comparator"] == "none" else "target"


def run_stamp(result: MonitorRunResult) -> dict:
    """Which run the figures come from: its id and when it was computed."""
    computed = result.computed_at
    return {
        "run_id": result.run_id,
        "computed_at": computed.isoformat(timespec="seconds") if computed else None,
    }


def level_counts(rows) -> dict[str, int]:
    """How many of ``rows`` are at each level (every level named, most urgent first)."""
    counts = Counter(r["warning"] for r in rows)
    return {level: counts[level] for level in LEVELS}


# -- warnings ---------------------------------------------------------------------------------


def select_warnings(
    session: Session,
    result: MonitorRunResult,
    *,
    levels: list[str] | None = None,
    region: str | None = None,
    indicator: str | None = None,
    basis: str = "target",
) -> list[tuple[dict, list[dict]]]:
    """The rows at ``levels`` (default red and orange), each with the tasks behind it.

    ``basis="target"`` (the default) keeps the rows measured against a target: the commitments
    at risk; ``"trend"`` the direction-only rows of series without a target, ``"all"`` both.
    Rows come most urgent first, target rows before trend rows, then by region and indicator.
    """
    levels = levels or ["red", "orange"]
    rows = [
        r
        for r in result.rows
        if r["warning"] in levels
        and (region is None or r["region_code"] == region)
        and (indicator is None or r["indicator_code"] == indicator)
        and (basis == "all" or basis_of(r) == basis)
    ]
    ancestors = region_ancestors(session)
    tasks: dict[tuple[str, str], list[dict]] = {}
    out = []
    for row in sorted(
        rows,
        key=lambda r: (
            LEVEL_ORDER[r["warning"]],
            basis_of(r) != "target",
            r["region_code"],
            r["indicator_code"],
        ),
    ):
        key = (row["indicator_code"], row["region_code"])
        if key not in tasks:
            tasks[key] = linked_tasks(session, key[0], [key[1]], ancestors)
        out.append((row, tasks[key]))
    return out


def region_ancestors(session: Session) -> dict[str, list[str]]:
    """Per region, the regions above it, nearest first, ending with the YRD."""
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
    """The tasks serving ``code`` in ``regions`` (or in a region above them), with their units.

    Each task says whether it is ``inherited`` (a task of a plan above the region); the region's
    own tasks come first."""
    # The warnings list asks once per region: one build reads each indicator's tasks once.
    found, supporting = shared(
        session, ("monitor.linked_tasks", code), lambda: _tasks_serving(session, code)
    )
    if not found:
        return []
    ancestors = ancestors or region_ancestors(session)
    wanted = {r: 0 for r in regions}
    for region in regions:
        for level, above in enumerate(ancestors.get(region, []), start=1):
            wanted.setdefault(above, level)
    plans = shared(session, ("monitor.plans",), lambda: plan_repo.plan_titles(session))
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
                "inherited": wanted[task.region_code] > 0,
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
    units = repo.supporting_units(session, [t.id for t, _ in found])
    supporting = {
        task_id: [{"code": c, "name": n} for c, n in pairs] for task_id, pairs in units.items()
    }
    return found, supporting


# -- the catalogue ----------------------------------------------------------------------------


def indicator_tallies(result: MonitorRunResult, indicators: dict[str, Indicator]) -> list[dict]:
    """Every catalogue entry with its regions with data, its targets, its rows per warning
    level and whether any of its values is simulated; by area, then code."""
    per_indicator: dict[str, Counter] = defaultdict(Counter)
    regions_with_data: dict[str, set] = defaultdict(set)
    simulated: dict[str, bool] = defaultdict(bool)
    for row in result.rows:
        per_indicator[row["indicator_code"]][row["warning"]] += 1
        if row["latest_period"]:
            regions_with_data[row["indicator_code"]].add(row["region_code"])
        simulated[row["indicator_code"]] |= bool(row["simulated"])
    target_counts = Counter(r["indicator_code"] for r in result.rows if basis_of(r) == "target")
    return [
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

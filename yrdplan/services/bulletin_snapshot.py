"""The frozen data of a bulletin (通报) or an evaluation report: gathered once, stored with it.

Every number here comes from the services that own it: completion rates from
``services.completion``, reporting timeliness from ``services.cycles.completeness``, overdue and
lagging tasks and blockers from ``services.oversight.watchlist``, indicator warnings and the
indicator dashboard from the stored monitoring run (``services.monitor`` and
``services.indicator_warnings``). This module only chooses the scope (a cycle, a period, a plan),
keeps the fields a document needs, and makes the result plain JSON: lists in a fixed order,
dates as ISO text, floats as they are. ``reports.documents`` turns a snapshot into documents
without touching the database, which is what makes a rebuild reproducible.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo
from yrdplan.domain.periods import parse_period
from yrdplan.errors import InputError, NotFoundError
from yrdplan.reports.task_text import status_label, status_reason_text
from yrdplan.services import cycles as cycle_service
from yrdplan.services.callers import require_manager
from yrdplan.services.catalogue import stored_indicators
from yrdplan.services.completion import completion_rows, completion_trend
from yrdplan.services.geography import period_end
from yrdplan.services.indicator_warnings import (
    LEVELS,
    basis_of,
    indicator_tallies,
    level_counts,
    run_stamp,
    select_warnings,
)
from yrdplan.services.monitor import current_results
from yrdplan.services.oversight import watchlist
from yrdplan.services.regional import disparity_over_time, league_table
from yrdplan.store.repos import plans as plan_repo
from yrdplan.store.repos import regions as region_repo
from yrdplan.store.repos import tasks as task_repo
from yrdplan.store.schema import (
    Bulletin,
    EvaluationAssessment,
    Plan,
    PlanVersion,
    TargetRecord,
)

SNAPSHOT_FORMAT = 1
STAGES: tuple[str, ...] = ("ex_ante", "mid_term", "final")
ASSESSMENT_KINDS: tuple[str, ...] = ("self", "third_party")
#: Outline coordinates kept in a snapshot: 0.001° (~100 m) is finer than a printed page shows.
OUTLINE_DECIMALS = 3

_TASK_FIELDS = (
    "id", "plan", "label", "title", "area", "lead_unit", "supporting_units", "deadline",
    "status", "status_label", "status_explanation", "percent", "is_simulated",
)  # fmt: skip
_BLOCKER_FIELDS = (
    "task_id", "task_label", "task_title", "plan", "unit", "lead_unit", "cycle", "blockers",
    "task_status", "is_simulated",
)  # fmt: skip
_WARNING_FIELDS = (
    "region_code", "region_name", "indicator_code", "indicator_name", "unit", "kind",
    "target_year", "comparator", "target_value", "value_high", "base_period", "base_value",
    "latest_period", "latest_value", "expected_value", "ratio", "projected_value", "method",
    "status", "warning", "simulated",
)  # fmt: skip


#: Indicators whose disparity across the 41 cities the evaluation reports (区域协调发展评价:
#: output, income, and the urban–rural gap), where the catalogue has them.
DISPARITY_INDICATORS: tuple[str, ...] = (
    "GDP_PER_CAPITA",
    "DISPOSABLE_INCOME",
    "URBAN_RURAL_INCOME_RATIO",
)
_DISPARITY_FIELDS = ("period", "n", "mean", "cv", "theil_t", "gini", "between_share")


def _in_words(row: dict) -> dict:
    """A task row with its status and rule in Chinese, as a bulletin prints them (frozen)."""
    return row | {
        "status_label": status_label(row["status"], "zh"),
        "status_explanation": status_reason_text(row["status_reason"], "zh"),
    }


def snapshot_digest(snapshot: dict) -> str:
    """SHA-256 of the snapshot's canonical JSON: the same data, the same digest."""
    text = json.dumps(snapshot, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(value):
    """Dates and datetimes as ISO text, tuples as lists, recursively."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _pick(row: dict, fields: tuple[str, ...]) -> dict:
    return {name: row.get(name) for name in fields}


def _total(rows: list[dict]) -> dict:
    total = round(sum(r["total"] for r in rows), 9)
    completed = round(sum(r["completed"] for r in rows), 9)
    return {
        "total": total,
        "completed": completed,
        "suspended": sum(r["suspended"] for r in rows),
        "rate": completed / total if total > 0 else None,
    }


def period_start(label: str) -> date:
    """The first day of a period label (2025, 2025Q3, 2025-07)."""
    try:
        period = parse_period(label)
    except ValueError as err:
        raise InputError(f"--period: {err}") from err
    if period.frequency == "year":
        return date(period.year, 1, 1)
    month = (period.sub - 1) * 3 + 1 if period.frequency == "quarter" else period.sub
    return date(period.year, month, 1)


def _region_filter(session: Session, region_code: str | None):
    """A predicate on region codes: the plan's region and, for a province, its cities and
    counties; everything for the YRD as a whole (000000) or no region."""
    if not region_code or region_code == "000000":
        return lambda code: True
    if region_code.endswith("0000"):
        province = {
            r.code for r in region_repo.list_regions(session) if r.province_code == region_code
        }
        province.add(region_code)
        return lambda code: code in province
    return lambda code: (
        code == region_code or (code[:4] == region_code[:4] and code != code[:4] + "00")
    )


def _outlines(session: Session) -> list[dict]:
    """The 41 cities' outlines, rounded, so that the map draws from the snapshot alone."""

    def rounded(coords):
        if coords and isinstance(coords[0], int | float):
            return [round(c, OUTLINE_DECIMALS) for c in coords]
        return [rounded(c) for c in coords]

    out = []
    for code, name, geometry in region_repo.outlines(session, "city"):
        shape = json.loads(geometry)
        out.append(
            {
                "code": code,
                "name": name,
                "geometry": {"type": shape["type"], "coordinates": rounded(shape["coordinates"])},
            }
        )
    return out


def _indicator_sections(session: Session, region_code: str | None, database=None) -> dict:
    """Warnings (with the calculation behind each), the per-city worst level for the map, and
    the indicator dashboard, from the current monitoring run."""
    result = current_results(session, database)
    keep = _region_filter(session, region_code)
    warnings = select_warnings(session, result, levels=["red", "orange", "yellow"])
    rows = []
    for row, tasks in warnings:
        if not keep(row["region_code"]):
            continue
        entry = _pick(row, _WARNING_FIELDS)
        entry["lead_units"] = sorted({t["lead_unit"]["name"] for t in tasks if t.get("lead_unit")})
        rows.append(entry)
    worst: dict[str, str] = {}
    for row in result.rows:
        if row["comparator"] == "none" or row["warning"] not in LEVELS:
            continue
        current = worst.get(row["region_code"])
        if current is None or LEVELS.index(row["warning"]) < LEVELS.index(current):
            worst[row["region_code"]] = row["warning"]
    targets = [r for r in result.rows if basis_of(r) == "target"]
    tallies = indicator_tallies(result, stored_indicators(session))
    return {
        "run": run_stamp(result),
        "counts": {level: sum(r["warning"] == level for r in rows) for level in LEVELS[:3]},
        "warnings": rows,
        "city_levels": {code: level for code, level in sorted(worst.items())},
        "dashboard": {
            "counts": level_counts(targets),
            "indicators": [
                {
                    k: c[k]
                    for k in (
                        "code",
                        "name",
                        "unit",
                        "area",
                        "kind",
                        "regions",
                        "targets",
                        "warnings",
                        "simulated",
                    )
                }
                for c in tallies
                if c["targets"] or c["regions"]
            ],
        },
        "simulated": any(r["simulated"] for r, _ in warnings)
        or any(r["simulated"] for r in targets)
        or any(c["simulated"] for c in tallies),
    }


def _league(session: Session) -> dict | None:
    """The latest stored integration-index build (``services.regional.league_table``): ranks
    with their 5–95 % intervals; None when no index has been built."""
    table = league_table(session)
    if table is None:
        return None
    build = table["build"]
    return {
        "build": {
            k: build.get(k)
            for k in (
                "id",
                "name",
                "period",
                "created_at",
                "data_vintage",
                "runs",
                "seed",
                "simulated",
            )
        },
        "dimensions": [
            {"code": d["code"], "name": d["name"], "weight": d["weight"]}
            for d in table["dimensions"]
        ],
        "rows": [
            {
                k: r.get(k)
                for k in ("code", "name", "score", "rank", "rank_p05", "rank_p50", "rank_p95")
            }
            for r in table["regions"]
        ],
    }


def _disparity(session: Session) -> dict | None:
    """Disparity over time across the 41 cities (``services.regional.disparity_over_time``) of
    ``DISPARITY_INDICATORS``; None when none of them has data."""
    indicators = stored_indicators(session)
    series = []
    for code in DISPARITY_INDICATORS:
        if code not in indicators:
            continue
        try:
            result = disparity_over_time(session, code)
        except (InputError, NotFoundError):
            continue  # no data for this indicator
        if not result["periods"]:
            continue
        series.append(
            {
                "indicator": code,
                "name": indicators[code].name,
                "weight": result["weight"],
                "periods": [{k: p.get(k) for k in _DISPARITY_FIELDS} for p in result["periods"]],
                "sigma_trend": result.get("sigma_trend"),
                "simulated": bool(result["simulated"]),
            }
        )
    return {"regions": "41 cities", "by": "province", "series": series} if series else None


def _previous(session: Session, plan_id: int | None, as_of: date) -> dict | None:
    """The latest earlier bulletin of the same scope that was not withdrawn: the base of the
    'change since the last bulletin'."""
    query = select(Bulletin).where(Bulletin.kind == "bulletin", Bulletin.status != "withdrawn")
    query = query.where(
        Bulletin.plan_id == plan_id if plan_id is not None else Bulletin.plan_id.is_(None)
    )
    best = None
    for row in session.scalars(query):
        earlier = row.snapshot.get("scope", {}).get("as_of")
        if earlier is None or earlier >= as_of.isoformat():
            continue
        if best is None or earlier > best.snapshot["scope"]["as_of"]:
            best = row
    if best is None:
        return None
    overall = best.snapshot.get("completion", {}).get("overall", {})
    return {
        "id": best.id,
        "title": best.title,
        "as_of": best.snapshot["scope"]["as_of"],
        "rate": overall.get("rate"),
    }


def _plan_completion(session: Session, plan: Plan, as_of: date, trend_dates: list[date]) -> dict:
    overall = completion_rows(session, plan.id, "plan", as_of=as_of)
    return {
        "plan": plan.code,
        "plan_title": plan.title,
        "overall": _total(overall),
        "by_area": completion_rows(session, plan.id, "area", as_of=as_of),
        "by_unit": sorted(
            completion_rows(session, plan.id, "unit", as_of=as_of),
            key=lambda r: (-(r["rate"] if r["rate"] is not None else -1), r["group"]),
        ),
        "by_region": completion_rows(session, plan.id, "region", as_of=as_of),
        "trend": completion_trend(session, plan.id, trend_dates) if trend_dates else [],
    }


def bulletin_snapshot(
    session: Session,
    user: UserInfo,
    *,
    cycle_id: int | None = None,
    period: str | None = None,
    issuer: str,
    today: date | None = None,
    database=None,
) -> dict:
    """The data of a 通报 for one reporting cycle (its plan, as of the day the cycle closed, else
    today) or one period (every confirmed plan, as of the period's end); ``today`` caps the date.
    It reads every unit's reports: the office (or an admin) builds bulletins."""
    user = require_manager(user, "build bulletins")
    if (cycle_id is None) == (period is None):
        raise InputError("give either a cycle (--cycle ID) or a period (--period 2026Q3), not both")
    today = today or date.today()
    if cycle_id is not None:
        cycle = task_repo.get_cycle(session, cycle_id)
        if cycle.plan_id is None:
            raise InputError(f"cycle {cycle_id} belongs to no plan")
        plans = [plan_repo.find_plan(session, cycle.plan_id)]
        # A closed cycle is read as of its closing day (its reports are final); an open one today.
        closed = cycle.closed_at.date() if cycle.closed_at else None
        as_of = min(closed, today) if closed else today
        cycles = [cycle]
        scope = {
            "type": "cycle",
            "cycle_id": cycle.id,
            "cycle_name": cycle.name,
            "opens_on": cycle.opens_on,
            "due_on": cycle.due_on,
            "plan": plans[0].code,
            "plan_title": plans[0].title,
            "region_code": plans[0].region_code,
            "period": "",
        }
    else:
        start = period_start(period)
        as_of = min(period_end(period), today)
        if start > today:
            raise InputError(f"--period {period}: the period has not begun")
        plans = [p for p in plan_repo.list_plans(session) if p.status == "confirmed"]
        cycles = [c for c in task_repo.cycles(session) if start <= c.due_on <= as_of]
        scope = {
            "type": "period",
            "period": str(parse_period(period)),
            "starts_on": start,
            "plan": None,
            "plan_title": None,
            "region_code": None,
        }
    scope["as_of"] = as_of
    all_cycles = sorted(
        {c.id: c for p in plans for c in task_repo.cycles(session, p.id)}.values(),
        key=lambda c: (c.due_on, c.id),
    )
    trend_dates = sorted({c.due_on for c in all_cycles if c.due_on <= as_of} | {as_of})
    per_plan = []
    for plan in plans:
        if not task_repo.tasks_of_plan(session, plan.id):
            continue
        per_plan.append(_plan_completion(session, plan, as_of, trend_dates))
    overall = _total([p["overall"] for p in per_plan])
    plan_id = plans[0].id if cycle_id is not None else None
    watched = {"overdue_or_lagging": [], "blockers": []}
    for plan in plans:
        found = watchlist(session, user, plan.id, as_of=as_of)
        watched["overdue_or_lagging"] += found["overdue_or_lagging"]
        watched["blockers"] += found["blockers"]
    timeliness = cycle_service.completeness(session, [c.id for c in cycles], as_of=as_of)
    region = scope["region_code"]
    snapshot = {
        "format": SNAPSHOT_FORMAT,
        "kind": "bulletin",
        "issuer": issuer,
        "taken_at": datetime.now().replace(microsecond=0),
        "scope": scope,
        "completion": {
            "overall": overall,
            "previous": _previous(session, plan_id, as_of),
            "plans": per_plan,
            "definition": "完成率 = 已完成任务数 ÷ 应完成任务数（暂停实施的任务不计入）",
        },
        "timeliness": timeliness,
        "problems": [_pick(_in_words(r), _TASK_FIELDS) for r in watched["overdue_or_lagging"]],
        # Only what the office has accepted: a published bulletin shows no unreviewed report.
        "blockers": [
            _pick(r, _BLOCKER_FIELDS)
            for r in watched["blockers"]
            if r["review_state"] == "accepted"
        ],
        "indicators": _indicator_sections(session, region, database),
        "outlines": _outlines(session),
        "league": _league(session),
        "simulated": any(
            r.get("is_simulated") for r in watched["overdue_or_lagging"] + watched["blockers"]
        ),
    }
    snapshot["simulated"] = (
        snapshot["simulated"]
        or snapshot["indicators"]["simulated"]
        or bool(snapshot["league"] and snapshot["league"]["build"]["simulated"])
    )
    return _plain(snapshot)


# --- evaluations ------------------------------------------------------------------------------


def _assessments(session: Session, plan: Plan, stage: str) -> dict:
    rows = session.scalars(
        select(EvaluationAssessment)
        .where(EvaluationAssessment.plan_id == plan.id, EvaluationAssessment.stage == stage)
        .order_by(EvaluationAssessment.kind, EvaluationAssessment.assessor, EvaluationAssessment.id)
    ).all()
    out: dict[str, list] = {kind: [] for kind in ASSESSMENT_KINDS}
    for row in rows:
        out[row.kind].append(
            {
                "assessor": row.assessor,
                "scores": {k: row.scores[k] for k in sorted(row.scores)},
                "text": row.text,
                "entered_at": row.entered_at,
            }
        )
    return out


def _revisions(session: Session, plan: Plan) -> dict:
    versions = session.scalars(
        select(PlanVersion).where(PlanVersion.plan_id == plan.id).order_by(PlanVersion.version)
    ).all()
    targets = session.scalars(
        select(TargetRecord)
        .where(TargetRecord.plan_id == plan.id, TargetRecord.revision > 1)
        .order_by(TargetRecord.created_at, TargetRecord.id)
    ).all()
    return {
        "versions": [
            {
                "version": v.version,
                "status": v.status,
                "source_name": v.source_name,
                "note": v.note,
                "created_at": v.created_at,
                "confirmed_at": v.confirmed_at,
            }
            for v in versions
        ],
        "target_revisions": [
            {
                "indicator_code": t.indicator_code,
                "region_code": t.region_code,
                "year": t.year,
                "revision": t.revision,
                "comparator": t.comparator,
                "value": t.value,
                "note": t.note,
                "created_at": t.created_at,
            }
            for t in targets
        ],
    }


def evaluation_snapshot(
    session: Session,
    user: UserInfo,
    plan_ref: str | int,
    stage: str,
    *,
    issuer: str,
    today: date | None = None,
    database=None,
) -> dict:
    """The data of an evaluation report of a plan: completion by part and area, every target's
    attainment and projection, the assessments entered so far, and the plan's revisions."""
    user = require_manager(user, "build evaluation reports")
    if stage not in STAGES:
        raise InputError(f"--stage {stage!r}: use one of {', '.join(STAGES)}")
    plan = plan_repo.find_plan(session, plan_ref)
    as_of = today or date.today()
    cycles = task_repo.cycles(session, plan.id)
    trend_dates = sorted({c.due_on for c in cycles if c.due_on <= as_of} | {as_of})
    completion = (
        _plan_completion(session, plan, as_of, trend_dates)
        if task_repo.tasks_of_plan(session, plan.id)
        else None
    )
    result = current_results(session, database)
    targets = sorted(
        (
            _pick(r, _WARNING_FIELDS)
            for r in result.rows
            if r.get("plan_id") == plan.id and r["comparator"] != "none"
        ),
        key=lambda r: (r["indicator_code"], r["region_code"], r["target_year"] or 0),
    )
    snapshot = {
        "format": SNAPSHOT_FORMAT,
        "kind": "evaluation",
        "stage": stage,
        "issuer": issuer,
        "taken_at": datetime.now().replace(microsecond=0),
        "scope": {
            "type": "plan",
            "plan": plan.code,
            "plan_title": plan.title,
            "plan_issuer": plan.issuer,
            "issued_on": plan.issued_on,
            "region_code": plan.region_code,
            "as_of": as_of,
            "period": "",
        },
        "completion": completion,
        "targets": targets,
        "monitor_run": {"run_id": result.run_id},
        "disparity": _disparity(session),
        "assessments": _assessments(session, plan, stage),
        "revisions": _revisions(session, plan),
        "simulated": any(r["simulated"] for r in targets)
        or any(t.is_simulated for t in task_repo.tasks_of_plan(session, plan.id)),
    }
    disparity = snapshot["disparity"]
    if disparity and any(s["simulated"] for s in disparity["series"]):
        snapshot["simulated"] = True
    return _plain(snapshot)

"""The data of the reporting pages (调度): a unit's "my tasks" with the reports it owes, the
office's review queue, the cycles with their completeness, and the reminders list. Codes and
numbers only; the templates turn codes into zh/en text (``d.st.*``, ``d.review.*``,
``d.kind.*``). The API's GETs of cycles, reports and the review queue answer with the same
models."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel
from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo
from yrdplan.domain.tasks import CYCLE_KINDS
from yrdplan.errors import PermissionDenied
from yrdplan.services import cycles as cycle_service
from yrdplan.services import reminders
from yrdplan.services import tasks as task_service
from yrdplan.services.callers import require_caller
from yrdplan.store.computed import cached, who
from yrdplan.store.repos import plans as plan_repo
from yrdplan.store.repos import tasks as task_repo
from yrdplan.web.views import tasks as task_views

COMPLETENESS_COUNTS = ("expected", "submitted", "on_time", "late", "missing", "pending")


def _as_utc(moment: datetime) -> datetime:
    # The database keeps naive UTC (store.schema.utcnow); an API's date-time names its zone.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


#: A moment in UTC, written with its zone (``2026-10-30T18:00:00Z``).
UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]


class CyclePublic(BaseModel):
    id: int
    plan: str | None
    name: str
    kind: str  # monthly, quarterly, ad_hoc
    opens_on: date
    due_on: date
    status: str  # open, closed
    closed_at: UtcDatetime | None
    is_simulated: bool


class EvidencePublic(BaseModel):
    id: int
    filename: str
    content_type: str | None = None
    size: int
    sha256: str


class ReportPublic(BaseModel):
    id: int
    cycle_id: int
    cycle: str | None
    task_id: int
    unit: str | None
    unit_code: str | None
    status: str  # a task status code
    percent: float
    narrative: str
    blockers: str
    submitted_by: str | None
    submitted_at: UtcDatetime
    review_state: str  # submitted, accepted, returned
    reviewed_by: str | None
    reviewed_at: UtcDatetime | None
    review_comment: str | None
    row_version: int
    evidence: list[EvidencePublic]
    is_simulated: bool


class CompletenessPublic(BaseModel):
    """One unit's lead-unit reports in one cycle (``analytics.completion.ReportingRow``)."""

    cycle_id: int
    cycle: str
    unit: str
    unit_code: str
    expected: int
    submitted: int
    on_time: int
    late: int
    missing: int
    pending: int
    submission_rate: float | None
    on_time_rate: float | None


class ReminderPublic(BaseModel):
    cycle_id: int
    cycle: str
    plan: str | None
    due_on: date
    days_left: int
    overdue: bool
    unit_code: str
    unit: str
    contact: str | None
    owed: int
    task_ids: list[int]
    tasks: str


class MyTaskPublic(task_views.TaskRowPublic):
    """A task of the reporter's unit, as the task board lists it, with the unit's role on it."""

    role: str  # lead, supporting


class OwedTaskPublic(MyTaskPublic):
    report: ReportPublic | None
    expected: bool  # the cycle expects this unit's report on it (it leads the task)
    needs_report: bool  # expected and not in, or returned: the form opens by itself


class MyCyclePublic(CyclePublic):
    tasks: list[OwedTaskPublic]
    owed: int


class MinePagePublic(BaseModel):
    unit: task_views.UnitPublic | None
    reminders: list[ReminderPublic]
    cycles: list[MyCyclePublic]
    tasks: list[MyTaskPublic]
    reportable_statuses: list[str]


class QueuedReportPublic(ReportPublic):
    task_label: str
    task_title: str
    task_percent: float | None
    plan: str
    is_lead_report: bool


class ReviewPagePublic(BaseModel):
    queue: list[QueuedReportPublic]


class PlanChoice(BaseModel):
    id: int
    code: str
    title: str
    round: str | None


class CycleCompletenessPublic(CyclePublic):
    completeness: list[CompletenessPublic]
    totals: dict[str, int]


class CyclesPagePublic(BaseModel):
    cycles: list[CycleCompletenessPublic]
    plans: list[PlanChoice]
    kinds: list[str]


class RemindersPagePublic(BaseModel):
    enabled: bool
    days_before: int
    as_of: date
    rows: list[ReminderPublic]


# -- my tasks -----------------------------------------------------------------------------------


def mine_page(session: Session, user: UserInfo, *, today: date | None = None) -> MinePagePublic:
    """A unit reporter's tasks, and for each open cycle the report it owes or has made (kept
    under the reporter and the data's versions)."""
    if today is not None:
        return _mine(session, user, today)
    return cached(session, ("delivery.mine", who(user)), lambda s: _mine(s, user, None))


@dataclass(frozen=True)
class _OpenCycle:
    public: dict  # cycle_service.cycle_public
    rows: list[dict]  # the unit's task rows in this cycle's plan
    expected: frozenset[int]  # the task ids this cycle expects the unit's report on


@dataclass(frozen=True)
class _MyTasks:
    """Everything on "my tasks" but the reports and the reminders (which read them): a report
    submitted or reviewed anywhere leaves it valid, and only those are read again."""

    unit: task_views.UnitPublic
    rows: list[dict]
    cycles: list[_OpenCycle]


def _mine(session: Session, user: UserInfo, today: date | None) -> MinePagePublic:
    user = require_caller(user)
    statuses = list(cycle_service.REPORTABLE_STATUSES)
    if user.role != "unit_reporter" or not user.unit_id:
        return MinePagePublic(
            unit=None, reminders=[], cycles=[], tasks=[], reportable_statuses=statuses
        )
    if today is None:
        mine = cached(
            session, ("delivery.mine.tasks", who(user)), lambda s: _my_tasks(s, user, date.today())
        )
    else:
        mine = _my_tasks(session, user, today)
    reports = task_repo.reports(
        session,
        cycle_ids=[c.public["id"] for c in mine.cycles],
        task_ids=[r["id"] for r in mine.rows],
        unit_id=user.unit_id,
    )
    described = {
        (d["cycle_id"], d["task_id"]): d for d in cycle_service.describe_reports(session, reports)
    }
    cycles = []
    for cycle in mine.cycles:
        entries = []
        for row in cycle.rows:
            report = described.get((cycle.public["id"], row["id"]))
            owed = row["role"] == "lead" and row["id"] in cycle.expected
            returned = report is not None and report["review_state"] == "returned"
            entries.append(
                OwedTaskPublic(
                    **row,
                    report=report,
                    expected=owed,
                    needs_report=(owed and not report) or returned,
                )
            )
        cycles.append(
            MyCyclePublic(
                **cycle.public,
                tasks=entries,
                owed=sum(1 for e in entries if e.expected and not e.report),
            )
        )
    return MinePagePublic(
        unit=mine.unit,
        reminders=reminders.my_reminders(session, user, today=today),
        cycles=cycles,
        tasks=[MyTaskPublic(**row) for row in mine.rows],
        reportable_statuses=statuses,
    )


def _my_tasks(session: Session, user: UserInfo, today: date) -> _MyTasks:
    unit = task_service.unit_by_id(session, user.unit_id)
    ids = task_repo.task_ids_of_unit(session, user.unit_id)
    tasks = list(task_service.tasks_by_ids(session, ids).values())
    evaluated = task_service.evaluate(session, tasks)
    rows = task_service.describe_tasks(
        session, sorted(tasks, key=lambda t: (t.plan_id, t.id)), evaluated
    )
    for row in rows:
        row["role"] = "lead" if row["lead_unit_code"] == unit.code else "supporting"
    open_now = cycle_service.open_cycles(session, today)
    codes = {
        p.id: p.code for p in task_repo.plans_by_id(session, {c.plan_id for c in open_now}).values()
    }
    cycles = []
    for cycle in open_now:
        in_cycle = [
            r for r in rows if cycle.plan_id is None or r["plan"] == codes.get(cycle.plan_id)
        ]
        if in_cycle:
            expected = {t.id for t, _ in cycle_service.expected_pairs(session, cycle)}
            public = cycle_service.cycle_public(cycle, codes.get(cycle.plan_id))
            cycles.append(_OpenCycle(public, in_cycle, frozenset(expected)))
    return _MyTasks(
        unit=task_views.UnitPublic(
            id=unit.id,
            code=unit.code,
            name=unit.name,
            kind=unit.kind,
            region=unit.region_code,
            aliases=list(unit.aliases or []),
        ),
        rows=rows,
        cycles=cycles,
    )


# -- review -------------------------------------------------------------------------------------


def review_page(session: Session, user: UserInfo) -> ReviewPagePublic:
    """Reports awaiting review, oldest first, with their task (office)."""
    user = require_caller(user)
    if not user.can_manage:
        raise PermissionDenied("only the office (or an admin) reviews reports")
    return cached(session, ("delivery.review", who(user)), lambda s: _review(s, user))


def _review(session: Session, user: UserInfo) -> ReviewPagePublic:
    rows = cycle_service.list_reports(session, user, review_state="submitted")
    tasks = task_service.tasks_by_ids(session, {r["task_id"] for r in rows})
    plans = task_repo.plans_by_id(session, {t.plan_id for t in tasks.values()})
    leads = task_repo.units_by_id(
        session, {t.lead_unit_id for t in tasks.values() if t.lead_unit_id}
    )
    queue = []
    for row in sorted(rows, key=lambda r: (r["submitted_at"], r["id"])):
        task = tasks[row["task_id"]]
        lead = leads.get(task.lead_unit_id)
        queue.append(
            QueuedReportPublic(
                **row,
                task_label=task.label,
                task_title=task.title,
                task_percent=task.percent,
                plan=plans[task.plan_id].code,
                is_lead_report=lead is not None and lead.code == row["unit_code"],
            )
        )
    return ReviewPagePublic(queue=queue)


# -- cycles -------------------------------------------------------------------------------------


def list_cycles(session: Session, plan: str | None = None) -> list[CyclePublic]:
    return [CyclePublic(**c) for c in cycle_service.list_cycles(session, plan)]


def completeness(
    session: Session, user: UserInfo, cycle_ids: list[int], *, as_of: date | None = None
) -> list[CompletenessPublic]:
    """Completeness per unit of ``cycle_ids``; a unit reporter sees its own unit's rows."""
    user = require_caller(user)
    unit_id = None if user.role != "unit_reporter" else user.unit_id or -1
    rows = cycle_service.completeness(session, cycle_ids, as_of=as_of, unit_id=unit_id)
    return [CompletenessPublic(**row) for row in rows]


def cycles_page(session: Session, user: UserInfo, *, as_of: date | None = None) -> CyclesPagePublic:
    """Every cycle with its completeness per unit and totals; the plans a cycle may be for."""
    cycles = list_cycles(session)
    rows = completeness(session, user, [c.id for c in cycles], as_of=as_of)
    by_cycle: dict[int, list[CompletenessPublic]] = {}
    for row in rows:
        by_cycle.setdefault(row.cycle_id, []).append(row)
    result = []
    for cycle in cycles:
        mine = by_cycle.get(cycle.id, [])
        totals = {key: sum(getattr(r, key) for r in mine) for key in COMPLETENESS_COUNTS}
        result.append(
            CycleCompletenessPublic(**cycle.model_dump(), completeness=mine, totals=totals)
        )
    plans = [
        PlanChoice(id=p.id, code=p.code, title=p.title, round=p.round)
        for p in plan_repo.list_plans(session)
        if p.status == "confirmed"
    ]
    return CyclesPagePublic(cycles=result, plans=plans, kinds=list(CYCLE_KINDS))


# -- reports ------------------------------------------------------------------------------------


def list_reports(
    session: Session,
    user: UserInfo,
    *,
    cycle: int | None = None,
    task: int | None = None,
    state: str | None = None,
) -> list[ReportPublic]:
    """Progress reports the user may read, newest cycle first."""
    return cached(
        session,
        ("delivery.reports", who(user), cycle, task, state),
        lambda s: [
            ReportPublic(**r)
            for r in cycle_service.list_reports(
                s, user, cycle_id=cycle, task_id=task, review_state=state
            )
        ],
    )


def report(session: Session, user: UserInfo, report_id: int) -> ReportPublic:
    """One report, if the user may read its task."""
    (row,) = cycle_service.describe_reports(
        session, [cycle_service.readable_report(session, user, report_id)]
    )
    return ReportPublic(**row)


# -- reminders ----------------------------------------------------------------------------------


def reminders_page(
    session: Session, user: UserInfo, *, as_of: date | None = None
) -> RemindersPagePublic:
    """Units that still owe reports in open cycles due soon or overdue (the office's list)."""
    return RemindersPagePublic(**reminders.office_reminders(session, user, today=as_of))

"""The data of the task pages: the index of plans, a plan's task board, one task in full.

Codes and numbers only: a task's status is its code (``status``) with the rule that decided it
and the numbers that rule names (``status_reason``); the templates turn them into zh/en words
(``yrdplan.reports.task_text``).

A task's history is read from the audit log (every write is recorded there automatically), so
it shows every change to the task, its supporting units, its milestones and its reports — who,
when, old → new — without a history table of its own.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel
from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo
from yrdplan.domain.tasks import STANDING_DEADLINE_PHRASES, TASK_STATUSES
from yrdplan.services import cycles as cycle_service
from yrdplan.services import delivery_settings, oversight
from yrdplan.services import tasks as task_service
from yrdplan.services.callers import require_caller
from yrdplan.services.completion import plan_completion
from yrdplan.services.task_access import readable_task, visible_task_ids
from yrdplan.services.units import list_units, unit_public
from yrdplan.store.repos import plans as plan_repo
from yrdplan.store.repos import tasks as task_repo
from yrdplan.store.schema import Task

# -- shared parts -------------------------------------------------------------------------------


def _as_utc(value: datetime) -> datetime:
    # Stored times are naive UTC (store.schema.utcnow); an RFC 3339 date-time names its zone.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


#: A stored time, answered with its zone (UTC).
UtcDateTime = Annotated[datetime, AfterValidator(_as_utc)]


class PlanRefPublic(BaseModel):
    id: int
    code: str
    title: str
    round: str | None = None


class UnitPublic(BaseModel):
    id: int
    code: str
    name: str
    kind: str
    region: str | None
    aliases: list[str]


class MilestonePublic(BaseModel):
    title: str
    due_date: date | None
    completed_on: date | None


class TaskRowPublic(BaseModel):
    """A task as ``yrdplan tasks list --format json`` prints it (docs/delivery.md)."""

    id: int
    plan: str
    key: str | None
    label: str
    title: str
    area: str | None
    lead_unit: str | None
    lead_unit_code: str | None
    supporting_units: list[str]
    supporting_unit_codes: list[str]
    start_date: date | None
    deadline: str | None
    deadline_note: str
    status: str
    status_rule: str
    #: ``{"code": <rule>, ...numbers}``, see ``analytics.task_status.RULE_FIELDS``.
    status_reason: dict[str, Any]
    elapsed_percent: float | None
    percent: float | None
    reported_percent: float | None
    completed_on: date | None
    progress: str | None
    milestones: list[MilestonePublic]
    parent_task_id: int | None
    upper_task_id: int | None
    weight: float | None
    region: str | None
    is_suspended: bool
    is_major_project: bool
    planned_investment: float | None
    actual_investment: float | None
    location_code: str | None
    row_version: int
    is_simulated: bool
    depth: int | None = None  # on the task board: 0 for a plan's task, 1 for its sub-task, …


class CompletionPublic(BaseModel):
    """A completion-rate row (``yrdplan completion --format json``)."""

    group: str | None = None
    title: str | None = None  # the plan's title, on rows by plan
    total: float
    completed: float
    suspended: int
    rate: float | None


def plan_ref(plan) -> PlanRefPublic:
    return PlanRefPublic(id=plan.id, code=plan.code, title=plan.title, round=plan.round)


def _units(rows: list[dict]) -> list[UnitPublic]:
    return [UnitPublic(**row) for row in rows]


# -- the index ----------------------------------------------------------------------------------


class PlanSummaryPublic(BaseModel):
    id: int
    code: str
    title: str
    round: str | None
    tasks: int
    visible_tasks: int
    assigned: int
    completion: CompletionPublic
    has_simulated: bool


class CyclePublic(BaseModel):
    id: int
    plan: str | None
    name: str
    kind: str
    opens_on: date
    due_on: date
    status: str
    closed_at: UtcDateTime | None
    is_simulated: bool


class TasksIndexPagePublic(BaseModel):
    plans: list[PlanSummaryPublic]
    unit: UnitPublic | None
    open_cycles: list[CyclePublic]
    awaiting_review: int | None  # reports awaiting review; only for the office


def index_page(session: Session, user: UserInfo) -> TasksIndexPagePublic:
    """Every confirmed plan the user may see, with its completion; the user's unit and cycles."""
    user = require_caller(user)
    unit = task_service.unit_by_id(session, user.unit_id)
    return TasksIndexPagePublic(
        plans=[PlanSummaryPublic(**p) for p in oversight.plan_summaries(session, user)],
        unit=UnitPublic(**unit_public(unit)) if unit else None,
        open_cycles=[
            CyclePublic(**cycle_service.cycle_public(c)) for c in cycle_service.open_cycles(session)
        ],
        awaiting_review=len(oversight.review_queue(session, user)) if user.can_manage else None,
    )


# -- the task board -----------------------------------------------------------------------------


class BoardFiltersPublic(BaseModel):
    area: str
    unit: str
    status: str
    due_by: date | None


class BoardOptionsPublic(BaseModel):
    areas: list[str]
    units: list[UnitPublic]
    statuses: list[str]  # status codes, in order


class BoardPagePublic(BaseModel):
    plan: PlanRefPublic
    filters: BoardFiltersPublic
    options: BoardOptionsPublic
    tasks: list[TaskRowPublic]
    status_counts: dict[str, int]
    completion: CompletionPublic | None
    margin: float
    has_simulated: bool


def board_page(
    session: Session,
    user: UserInfo,
    plan_ref_text: str,
    filters: task_service.TaskFilter,
    *,
    as_of: date | None = None,
) -> BoardPagePublic:
    """The task board: one plan's tasks the user may see, filtered."""
    user = require_caller(user)
    plan = plan_repo.find_plan(session, plan_ref_text)
    every = task_service.task_rows(session, plan.id, user, as_of=as_of)
    rows = task_service.filter_rows(session, every, filters, plan.id)
    completion = plan_completion(session, plan, as_of=as_of)
    return BoardPagePublic(
        plan=plan_ref(plan),
        filters=BoardFiltersPublic(
            area=filters.area or "",
            unit=filters.unit or "",
            status=filters.status or "",
            due_by=filters.due_by,
        ),
        options=BoardOptionsPublic(
            areas=sorted({r["area"] for r in every if r["area"]}),
            units=_units(list_units(session, plan.id)),
            statuses=list(TASK_STATUSES),
        ),
        tasks=[TaskRowPublic(**r) for r in rows],
        status_counts=dict(Counter(r["status"] for r in rows)),
        completion=CompletionPublic(**completion) if completion else None,
        margin=delivery_settings.lagging_margin(session),
        has_simulated=any(r["is_simulated"] for r in rows),
    )


# -- one task -----------------------------------------------------------------------------------


class EvidencePublic(BaseModel):
    id: int
    filename: str
    content_type: str | None
    size: int
    sha256: str


class TaskReportPublic(BaseModel):
    """A progress report on the task (``GET /api/reports/{id}`` without the words)."""

    id: int
    cycle_id: int
    cycle: str | None
    task_id: int
    unit: str | None
    unit_code: str | None
    status: str
    percent: float
    narrative: str | None
    blockers: str | None
    submitted_by: str | None
    submitted_at: UtcDateTime | None
    review_state: str
    reviewed_by: str | None
    reviewed_at: UtcDateTime | None
    review_comment: str | None
    row_version: int
    evidence: list[EvidencePublic]
    is_simulated: bool


class ChangePublic(BaseModel):
    field: str
    old: Any
    new: Any


class HistoryEntryPublic(BaseModel):
    at: UtcDateTime
    username: str | None
    action: str  # insert, update, delete
    what: str  # task, supporting_unit, milestone, report
    entity_id: str
    changes: list[ChangePublic]


class AssignmentOptionsPublic(BaseModel):
    """What the office's assignment form offers."""

    units: list[UnitPublic]
    standing_phrases: list[str]


class TaskPagePublic(BaseModel):
    task: TaskRowPublic
    plan: PlanRefPublic
    parent: TaskRowPublic | None
    upper: TaskRowPublic | None
    subtasks: list[TaskRowPublic]
    lower: list[TaskRowPublic]
    reports: list[TaskReportPublic]
    history: list[HistoryEntryPublic]
    margin: float
    assignment: AssignmentOptionsPublic | None  # office and admin only


def task_page(
    session: Session,
    user: UserInfo | None,
    task_id: int,
    *,
    as_of: date | None = None,
    margin: float | None = None,
) -> TaskPagePublic:
    """One task in full: assignment, status, tree, reports, history (also ``GET /api/tasks/{id}``
    and ``yrdplan tasks show``)."""
    user = require_caller(user)
    task = readable_task(session, user, task_id)
    visible = visible_task_ids(session, user)
    plan = task_service.plan_of(session, task)
    below = list(task_repo.children_of(session, [task.id]))
    related = [task] + below
    upper = session.get(Task, task.upper_task_id) if task.upper_task_id else None
    parent = session.get(Task, task.parent_task_id) if task.parent_task_id else None
    related += [extra for extra in (upper, parent) if extra is not None]
    evaluated = task_service.evaluate(session, related, as_of=as_of, margin=margin)
    rows = task_service.describe_tasks(session, related, evaluated)
    by_id = {r["id"]: TaskRowPublic(**r) for r in rows}

    def allowed(other: Task | None) -> TaskRowPublic | None:
        if other is None or (visible is not None and other.id not in visible):
            return None
        return by_id[other.id]

    assignment = None
    if user.can_manage:
        assignment = AssignmentOptionsPublic(
            units=_units(list_units(session, plan.id)),
            standing_phrases=list(STANDING_DEADLINE_PHRASES),
        )
    return TaskPagePublic(
        task=by_id[task.id],
        plan=plan_ref(plan),
        parent=allowed(parent),
        upper=allowed(upper),
        subtasks=[by_id[t.id] for t in below if t.parent_task_id == task.id and allowed(t)],
        lower=[by_id[t.id] for t in below if t.upper_task_id == task.id and allowed(t)],
        reports=[
            TaskReportPublic(**r)
            for r in cycle_service.list_reports(session, user, task_id=task.id)
        ],
        history=[HistoryEntryPublic(**h) for h in task_history(session, task)],
        margin=delivery_settings.lagging_margin(session) if margin is None else margin,
        assignment=assignment,
    )


# Columns that mean something to a reader of the history, in the order shown.
_TASK_FIELDS = (
    "lead_unit_id",
    "deadline",
    "deadline_note",
    "start_date",
    "percent",
    "progress_text",
    "completed_on",
    "is_suspended",
    "is_major_project",
    "planned_investment",
    "actual_investment",
    "location_code",
    "upper_task_id",
    "weight",
    "title",
)
_REPORT_FIELDS = ("status", "percent", "narrative", "blockers", "review_state", "review_comment")


def _unit_name(units: dict, value) -> object:
    if isinstance(value, int) and value in units:
        return units[value].name
    return value


def task_history(session: Session, task: Task) -> list[dict]:
    """Changes to the task and what hangs on it, oldest first, from the audit log."""
    entries = []
    for entry in task_repo.audit_entries(session, "tasks", [str(task.id)]):
        entries.append((entry, "task", _TASK_FIELDS))
    for entry in task_repo.audit_entries(session, "task_supporting_units", prefix=f"{task.id}/"):
        entries.append((entry, "supporting_unit", ("unit_id",)))
    for entry in task_repo.audit_entries(session, "milestones"):
        owner = (entry.new or entry.old or {}).get("task_id")
        if owner == task.id:
            entries.append((entry, "milestone", ("title", "due_date", "completed_on")))
    report_ids = [str(r.id) for r in task_repo.reports(session, task_ids=[task.id])]
    for entry in task_repo.audit_entries(session, "progress_reports", report_ids):
        entries.append((entry, "report", ("unit_id", *_REPORT_FIELDS)))
    unit_ids = set()
    for entry, _, _ in entries:
        for values in (entry.old or {}, entry.new or {}):
            for key in ("lead_unit_id", "unit_id"):
                if isinstance(values.get(key), int):
                    unit_ids.add(values[key])
    units = task_repo.units_by_id(session, unit_ids)
    history = []
    for entry, what, shown in sorted(entries, key=lambda e: e[0].id):
        old, new = entry.old or {}, entry.new or {}
        changes = []
        for name in shown:
            if entry.action == "insert" and new.get(name) in (None, "", False):
                continue
            if entry.action == "update" and name not in new and name not in old:
                continue
            before = _unit_name(units, old.get(name)) if entry.action != "insert" else None
            after = _unit_name(units, new.get(name)) if entry.action != "delete" else None
            if before == after:
                continue
            changes.append({"field": name, "old": before, "new": after})
        if not changes and entry.action == "update":
            continue
        history.append(
            {
                "at": entry.at,
                "username": entry.username,
                "action": entry.action,
                "what": what,
                "entity_id": entry.entity_id,
                "changes": changes,
            }
        )
    return history

"""Reporting cycles (调度): the office opens and closes them, units report, the office reviews.

Rules
-----
* A cycle belongs to one plan. While it is open (and its opening date has come) each unit on a
  task — its lead unit or a supporting unit — may submit one report per task: status, percent
  (0–100), narrative, blockers (难点堵点) and evidence files. The **lead unit's** report is the
  one expected (completeness counts it); supporting units may add their own.
* A submitted report may be changed by its unit until the office reviews it. The office
  accepts it (the report is then locked) or returns it with a comment (the unit may resubmit
  while the cycle is open).
* Accepting the lead unit's report updates the task: its progress (percent and text) and, for
  a report of status ``completed`` (which needs 100 %), the completion date — the day the report
  was first submitted. Supporting units' reports stay on the record without changing the task.
* Every change carries the ``row_version`` the writer read; a stale one is a ``ConflictError``
  and nothing is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from yrdplan.analytics.completion import reporting_completeness
from yrdplan.domain.evidence import check_evidence
from yrdplan.domain.people import UserInfo
from yrdplan.domain.tasks import CYCLE_KINDS, REVIEW_STATE_LABELS_ZH
from yrdplan.errors import ConflictError, FieldError, InputError, PermissionDenied
from yrdplan.ingest.free_text import clean_free_text
from yrdplan.services.callers import require_caller, require_manager, user_id_of
from yrdplan.services.task_access import readable_task, unit_roles, visible_task_ids
from yrdplan.store.audit import changes_since
from yrdplan.store.repos import plans as plan_repo
from yrdplan.store.repos import tasks as task_repo
from yrdplan.store.row_versions import flush_or_conflict
from yrdplan.store.schema import EvidenceFile, ProgressReport, ReportingCycle, Task, utcnow

#: Statuses a unit may report. Overdue and completed-late are judged by the system, and
#: suspension is the office's decision.
REPORTABLE_STATUSES: tuple[str, ...] = ("not_started", "on_track", "lagging", "completed")


def _require_reviewer(user: UserInfo | None) -> None:
    require_manager(user, "open, close and review")


def parse_version(text: object) -> int | None:
    """The ``row_version`` a form sent (empty: none); a JSON body's number passes as it is."""
    if text is None or isinstance(text, int):
        return text
    text = str(text).strip()
    if not text:
        return None
    if not text.isdigit():
        raise FieldError("row_version", f"{text!r} is not a number", "fe.not_number", text=text)
    return int(text)


def parse_decision(decision: str) -> bool:
    """A review decision, ``accept`` or ``return``: whether it accepts."""
    if decision not in ("accept", "return"):
        raise FieldError("decision", "one of accept, return", "fe.one_of", choices="accept, return")
    return decision == "accept"


def cycle_fields(given: dict[str, object]) -> dict[str, object]:
    """The arguments of :func:`open_cycle` from a form's text or a JSON body's values: ``plan``,
    ``name``, ``due_on`` (required), ``kind`` (default monthly), ``opens_on`` (default today)."""
    for name in ("plan", "name", "due_on"):
        if given.get(name) in (None, ""):
            raise FieldError(name, "required", "fe.required")
    kind = str(given.get("kind") or "monthly")
    if kind not in CYCLE_KINDS:
        raise FieldError(
            "kind", f"one of {', '.join(CYCLE_KINDS)}", "fe.one_of", choices=", ".join(CYCLE_KINDS)
        )
    dates = {}
    for name in ("due_on", "opens_on"):
        value = given.get(name)
        if value in (None, "") or isinstance(value, date):
            dates[name] = value or None
            continue
        try:
            dates[name] = date.fromisoformat(str(value).strip())
        except ValueError as err:
            raise FieldError(
                name, f"{value!r} is not a date (YYYY-MM-DD)", "fe.date", text=value
            ) from err
    return {"plan_ref": given["plan"], "name": str(given["name"]), "kind": kind, **dates}


# --- cycles -----------------------------------------------------------------------------------


def open_cycle(
    session: Session,
    plan_ref: str | int,
    *,
    name: str,
    due_on: date,
    kind: str = "monthly",
    opens_on: date | None = None,
    user: UserInfo | None,
    is_simulated: bool = False,
) -> ReportingCycle:
    """Open a reporting cycle for a plan."""
    _require_reviewer(user)
    plan = plan_repo.find_plan(session, plan_ref)
    if kind not in CYCLE_KINDS:
        raise InputError(f"cycle kind {kind!r} is not one of {', '.join(CYCLE_KINDS)}")
    name = " ".join(clean_free_text(name).split())
    if not name:
        raise InputError("a reporting cycle needs a name, e.g. 2025年第三季度调度")
    opens_on = opens_on or date.today()
    if due_on < opens_on:
        raise InputError(f"due date {due_on} is before the opening date {opens_on}")
    cycle = ReportingCycle(
        plan_id=plan.id,
        name=name[:200],
        kind=kind,
        opens_on=opens_on,
        due_on=due_on,
        status="open",
        created_by=user_id_of(user),
        is_simulated=is_simulated,
    )
    session.add(cycle)
    session.flush()
    return cycle


def close_cycle(session: Session, cycle_id: int, *, user: UserInfo | None) -> ReportingCycle:
    """Close a cycle: no more submissions; reports already in can still be accepted."""
    _require_reviewer(user)
    cycle = task_repo.get_cycle(session, cycle_id)
    if cycle.status == "closed":
        raise ConflictError(f"cycle {cycle.id} ({cycle.name}) is closed already")
    cycle.status = "closed"
    cycle.closed_at = utcnow()
    return cycle


def cycle_public(cycle: ReportingCycle, plan_code: str | None = None) -> dict:
    return {
        "id": cycle.id,
        "plan": plan_code,
        "name": cycle.name,
        "kind": cycle.kind,
        "opens_on": cycle.opens_on,
        "due_on": cycle.due_on,
        "status": cycle.status,
        "closed_at": cycle.closed_at,
        "is_simulated": cycle.is_simulated,
    }


def list_cycles(session: Session, plan_ref: str | int | None = None) -> list[dict]:
    plan = plan_repo.find_plan(session, plan_ref) if plan_ref is not None else None
    cycles = task_repo.cycles(session, plan.id if plan else None)
    plans = task_repo.plans_by_id(session, {c.plan_id for c in cycles if c.plan_id})
    return [cycle_public(c, plans[c.plan_id].code if c.plan_id in plans else None) for c in cycles]


def open_cycles(session: Session, today: date | None = None) -> list[ReportingCycle]:
    today = today or date.today()
    found = [c for c in task_repo.cycles(session) if c.status == "open" and c.opens_on <= today]
    return sorted(found, key=lambda c: (c.opens_on, c.id), reverse=True)  # newest first


# --- reports ----------------------------------------------------------------------------------


@dataclass
class ReportIn:
    """A unit's progress report on one task in one cycle (``ReportCreate`` / ``ReportUpdate``)."""

    cycle_id: int
    task_id: int
    status: str
    percent: float | str  # a form's text is read by the use case, with its checks
    narrative: str = ""
    blockers: str = ""


@dataclass
class Upload:
    filename: str
    content: bytes


def _check_report(report: ReportIn) -> tuple[float, str]:
    if report.status not in REPORTABLE_STATUSES:
        allowed = ", ".join(REPORTABLE_STATUSES)
        raise FieldError(
            "status",
            f"{report.status!r} cannot be reported; choose one of {allowed}",
            "fe.one_of",
            choices=allowed,
        )
    try:
        percent = float(report.percent)
    except (TypeError, ValueError) as err:
        raise FieldError(
            "percent", f"{report.percent!r} is not a number", "fe.not_number", text=report.percent
        ) from err
    if not 0 <= percent <= 100:  # NaN fails this too
        raise FieldError(
            "percent", f"must be from 0 to 100, got {report.percent!r}", "fe.range", low=0, high=100
        )
    if report.status == "completed" and percent != 100:
        raise FieldError(
            "percent", "a task reported as completed must be 100% done", "fe.completed_full"
        )
    if report.status == "not_started" and percent != 0:
        raise FieldError(
            "percent", "a task reported as not started must be 0% done", "fe.not_started_zero"
        )
    return percent, report.status


def _check_uploads(uploads: Sequence[Upload], max_bytes: int) -> list[tuple]:
    checked = []
    for upload in uploads:
        try:
            kind = check_evidence(upload.filename, upload.content, max_bytes)
        except ValueError as err:
            raise InputError(f"evidence file refused: {err}") from err
        checked.append((kind, upload.content))
    return checked


def _reporting_unit(session: Session, user: UserInfo | None, task: Task) -> int:
    if user is None or user.role != "unit_reporter" or not user.unit_id:
        raise PermissionDenied("only a responsible unit's reporter may submit progress reports")
    if user.unit_id not in unit_roles(session, task):
        raise PermissionDenied(f"task {task.id} is not one of your unit's tasks")
    return user.unit_id


def _open_for_submission(cycle: ReportingCycle, task: Task, today: date) -> None:
    if cycle.plan_id is not None and cycle.plan_id != task.plan_id:
        raise InputError(f"task {task.id} is not in the plan of cycle {cycle.id} ({cycle.name})")
    if cycle.status != "open":
        raise ConflictError(f"cycle {cycle.name} is closed; no more reports can be submitted")
    if today < cycle.opens_on:
        raise ConflictError(f"cycle {cycle.name} opens on {cycle.opens_on}")


def submit_report(
    session: Session,
    report: ReportIn,
    *,
    user: UserInfo | None,
    uploads: Sequence[Upload] = (),
    max_bytes: int = 20 * 1_048_576,
    expected_version: int | None = None,
    today: date | None = None,
    is_simulated: bool = False,
) -> ProgressReport:
    """Submit (or resubmit) the user's unit's report on a task; checks everything first.

    Raises
    ------
    PermissionDenied
        The user is not a reporter of one of the task's units.
    InputError
        A bad status or percent, a forbidden or too-large file, a task outside the cycle's plan.
    ConflictError
        A closed cycle, an accepted (locked) report, or a report someone else saved meanwhile.
    """
    user = require_caller(user)
    task = task_repo.get_task(session, report.task_id)
    unit_id = _reporting_unit(session, user, task)
    cycle = task_repo.get_cycle(session, report.cycle_id)
    _open_for_submission(cycle, task, today or date.today())
    percent, status = _check_report(report)
    files = _check_uploads(uploads, max_bytes)
    row = task_repo.find_report(session, cycle.id, task.id, unit_id)
    if row is None:
        if expected_version is not None:
            raise ConflictError("the report you edited no longer exists; reload the page")
        row = ProgressReport(
            cycle_id=cycle.id, task_id=task.id, unit_id=unit_id, is_simulated=is_simulated
        )
        session.add(row)
    else:
        if row.review_state == "accepted":
            raise ConflictError(
                f"the report on task {task.id} in {cycle.name} was accepted and is locked"
            )
        if expected_version is None or int(expected_version) != row.row_version:
            since = changes_since(session, "progress_reports", row.id, int(expected_version or 0))
            raise ConflictError(
                f"the report on task {task.id} in {cycle.name} was saved by "
                f"someone else meanwhile: {since.describe()}; reload it and make your change again",
                changes=since.fields,
            )
    row.status = status
    row.percent = percent
    row.narrative = clean_free_text(report.narrative)
    row.blockers = clean_free_text(report.blockers)
    row.submitted_by = user_id_of(user)
    row.review_state = "submitted"
    # ``submitted_at`` keeps the first submission: timeliness is judged on it, not on a
    # resubmission after the office returned the report.
    flush_or_conflict(session, f"the report on task {task.id}")
    _store_files(session, row, files)
    return row


def _store_files(
    session: Session, report: ProgressReport, files: list[tuple]
) -> list[EvidenceFile]:
    rows = [
        EvidenceFile(
            report_id=report.id,
            filename=kind.filename,
            content_type=kind.content_type,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
        )
        for kind, content in files
    ]
    session.add_all(rows)
    session.flush()
    return rows


def add_evidence(
    session: Session, report_id: int, upload: Upload, *, user: UserInfo | None, max_bytes: int
) -> EvidenceFile:
    """Attach one more file to a report of the user's unit that is not yet accepted."""
    user = require_caller(user)
    report = task_repo.get_report(session, report_id)
    task = task_repo.get_task(session, report.task_id)
    if _reporting_unit(session, user, task) != report.unit_id:
        raise PermissionDenied(f"report {report_id} is another unit's")
    _open_for_submission(task_repo.get_cycle(session, report.cycle_id), task, date.today())
    if report.review_state == "accepted":
        raise ConflictError(f"report {report_id} was accepted and is locked")
    return _store_files(session, report, _check_uploads([upload], max_bytes))[0]


def review_report(
    session: Session,
    report_id: int,
    *,
    accept: bool,
    comment: str = "",
    user: UserInfo | None,
    expected_version: int | None = None,
) -> ProgressReport:
    """Accept (and lock) a submitted report, or return it to its unit with a comment."""
    _require_reviewer(user)
    report = task_repo.get_report(session, report_id)
    if expected_version is not None and int(expected_version) != report.row_version:
        since = changes_since(session, "progress_reports", report.id, int(expected_version))
        raise ConflictError(
            f"report {report_id} changed since you opened it: {since.describe()}; reload it",
            changes=since.fields,
        )
    if report.review_state != "submitted":
        state = REVIEW_STATE_LABELS_ZH.get(report.review_state, report.review_state)
        raise ConflictError(f"report {report_id} is {state}, not awaiting review")
    comment = clean_free_text(comment)
    cycle = task_repo.get_cycle(session, report.cycle_id)
    if not accept:
        if not comment:
            raise FieldError(
                "comment", "say why the report is returned: a comment is required", "fe.required"
            )
        if cycle.status != "open":
            raise ConflictError(
                f"cycle {cycle.name} is closed, so the unit could not resubmit; accept the "
                "report or open a new cycle"
            )
    report.review_state = "accepted" if accept else "returned"
    report.review_comment = comment
    report.reviewed_by = user_id_of(user)
    report.reviewed_at = utcnow()
    if accept:
        _apply_to_task(session, report, cycle)
    flush_or_conflict(session, f"report {report_id}")
    return report


def _apply_to_task(session: Session, report: ProgressReport, cycle: ReportingCycle) -> None:
    task = task_repo.get_task(session, report.task_id)
    if report.unit_id != task.lead_unit_id:
        return
    later = [
        r
        for r in task_repo.reports(session, task_ids=[task.id], review_state="accepted")
        if r.id != report.id
        and r.unit_id == task.lead_unit_id
        and task_repo.get_cycle(session, r.cycle_id).due_on > cycle.due_on
    ]
    if later:
        return  # a newer cycle's accepted report already describes the task
    task.percent = report.percent
    if report.narrative:
        task.progress_text = report.narrative
    if report.status == "completed" and task.completed_on is None:
        task.completed_on = report.submitted_at.date()


def readable_report(session: Session, user: UserInfo | None, report_id: int) -> ProgressReport:
    user = require_caller(user)
    report = task_repo.get_report(session, report_id)
    readable_task(session, user, report.task_id)
    return report


def report_public(
    report: ProgressReport,
    *,
    units: dict,
    users: dict | None = None,
    evidence: list[dict] | None = None,
    cycle: ReportingCycle | None = None,
) -> dict:
    unit = units.get(report.unit_id)
    users = users or {}
    return {
        "id": report.id,
        "cycle_id": report.cycle_id,
        "cycle": cycle.name if cycle else None,
        "task_id": report.task_id,
        "unit": unit.name if unit else None,
        "unit_code": unit.code if unit else None,
        "status": report.status,
        "percent": report.percent,
        "narrative": report.narrative,
        "blockers": report.blockers,
        "submitted_by": users.get(report.submitted_by),
        "submitted_at": report.submitted_at,
        "review_state": report.review_state,
        "reviewed_by": users.get(report.reviewed_by),
        "reviewed_at": report.reviewed_at,
        "review_comment": report.review_comment,
        "row_version": report.row_version,
        "evidence": evidence or [],
        "is_simulated": report.is_simulated,
    }


def describe_reports(session: Session, reports: list[ProgressReport]) -> list[dict]:
    from yrdplan.store.schema import User

    units = task_repo.units_by_id(session, {r.unit_id for r in reports})
    user_ids = {r.submitted_by for r in reports} | {r.reviewed_by for r in reports}
    rows = session.execute(
        select(User.id, User.display_name, User.username).where(
            User.id.in_(sorted(i for i in user_ids if i))
        )
    )
    users = {row.id: row.display_name or row.username for row in rows}
    evidence = task_repo.evidence_of(session, [r.id for r in reports])
    cycles = {c: task_repo.get_cycle(session, c) for c in {r.cycle_id for r in reports}}
    return [
        report_public(
            r, units=units, users=users, evidence=evidence.get(r.id), cycle=cycles[r.cycle_id]
        )
        for r in reports
    ]


def list_reports(
    session: Session,
    user: UserInfo | None,
    *,
    cycle_id: int | None = None,
    task_id: int | None = None,
    review_state: str | None = None,
) -> list[dict]:
    """Reports the user may read, newest cycle first."""
    user = require_caller(user)
    visible = visible_task_ids(session, user)
    if task_id is not None:
        readable_task(session, user, task_id)
    # A unit reporter's own tasks are asked for by id: the database leaves the others out.
    task_ids = [task_id] if task_id is not None else visible
    rows = task_repo.reports(
        session,
        cycle_ids=[cycle_id] if cycle_id is not None else None,
        task_ids=sorted(task_ids) if task_ids is not None else None,
        review_state=review_state,
    )
    rows.sort(key=lambda r: (-r.cycle_id, r.task_id, r.unit_id))
    return describe_reports(session, rows)


def evidence_file(
    session: Session, user: UserInfo | None, report_id: int, file_id: int
) -> EvidenceFile:
    user = require_caller(user)
    readable_report(session, user, report_id)
    return task_repo.get_evidence(session, report_id, file_id)


# --- completeness -----------------------------------------------------------------------------


def expected_pairs(session: Session, cycle: ReportingCycle) -> list[tuple[Task, int]]:
    """(task, lead unit) pairs a cycle expects: tasks with a lead unit, not suspended, not
    completed before the cycle opened."""
    if cycle.plan_id is None:
        return []
    return [
        (t, t.lead_unit_id)
        for t in task_repo.tasks_of_plan(session, cycle.plan_id)
        if t.lead_unit_id
        and not t.is_suspended
        and (t.completed_on is None or t.completed_on >= cycle.opens_on)
    ]


def completeness(
    session: Session,
    cycle_ids: Sequence[int],
    *,
    as_of: date | None = None,
    unit_id: int | None = None,
) -> list[dict]:
    """Expected, submitted, on time, late, missing and pending lead-unit reports, per unit and
    cycle (``analytics.completion.reporting_completeness``)."""
    unit_keys, cycle_keys, due, sent = [], [], [], []
    for cycle_id in cycle_ids:
        cycle = task_repo.get_cycle(session, cycle_id)
        submitted = {
            (r.task_id, r.unit_id): r.submitted_at.date()
            for r in task_repo.reports(session, cycle_ids=[cycle.id])
        }
        for task, lead in expected_pairs(session, cycle):
            if unit_id is not None and lead != unit_id:
                continue
            unit_keys.append(lead)
            cycle_keys.append(cycle.id)
            due.append(cycle.due_on)
            sent.append(submitted.get((task.id, lead)))
    if not unit_keys:
        return []
    rows = reporting_completeness(unit_keys, cycle_keys, due, sent, as_of=as_of or date.today())
    units = task_repo.units_by_id(session, set(unit_keys))
    cycles = {c: task_repo.get_cycle(session, c) for c in set(cycle_keys)}
    result = []
    for row in rows:
        data = row.to_dict()
        data["unit"] = units[row.unit].name
        data["unit_code"] = units[row.unit].code
        data["cycle"] = cycles[row.cycle].name
        data["cycle_id"] = row.cycle
        result.append(data)
    return result

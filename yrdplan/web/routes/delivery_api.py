"""The delivery-tracking HTTP API (JSON): tasks, checklists, units, cycles, reports, review,
completion. Session cookie + ``X-CSRF-Token`` header, or ``Authorization: Bearer``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from pydantic import BaseModel, Field

from yrdplan.analytics.completion import COMPLETION_DEFINITION
from yrdplan.errors import InputError
from yrdplan.ingest.checklist_xlsx import parse_deadline
from yrdplan.services import completion, oversight
from yrdplan.services import cycles as cycle_service
from yrdplan.services import tasks as task_service
from yrdplan.services.arguments import parse_iso_date
from yrdplan.services.computed import cached, who
from yrdplan.services.imports import ImportOptions, apply_import
from yrdplan.services.units import list_units
from yrdplan.web.deps import (
    MAX_ROW_ID,
    CurrentUser,
    DatabaseDep,
    OfficeUser,
    RowId,
    RowIdField,
    RowIdQuery,
    SessionDep,
    VersionField,
    actor_of,
    verify_csrf,
)
from yrdplan.web.routes.cycles import evidence_response
from yrdplan.web.routes.tasks import checklist_response
from yrdplan.web.uploads import read_upload, upload_limit, upload_source
from yrdplan.web.views import completion as completion_views
from yrdplan.web.views import tasks as task_views
from yrdplan.web.views.imports import ChecklistImportPublic

router = APIRouter(prefix="/api", dependencies=[Depends(verify_csrf)])


# --- schemas ----------------------------------------------------------------------------------


class MilestonePublic(BaseModel):
    title: str
    due_date: date | None = None
    completed_on: date | None = None


class TaskUpdateIn(BaseModel):
    """Fields to change; those left out stay as they are. ``row_version`` is the one you read."""

    row_version: VersionField = Field(
        None, description="Refuse with 409 if the task changed since."
    )
    lead_unit: str | None = Field(None, description="Unit code, name or id; empty string clears.")
    supporting_units: list[str] | None = None
    deadline: str | None = Field(
        None, description="2025-12-31, 2025年底, or a standing phrase such as 长期坚持; '' clears."
    )
    start_date: date | None = None
    milestones: list[MilestonePublic] | None = None
    is_suspended: bool | None = None
    is_major_project: bool | None = None
    planned_investment: float | None = None
    actual_investment: float | None = None
    location_code: str | None = None
    upper_task_id: Annotated[int | None, Field(ge=1, le=MAX_ROW_ID)] = None
    progress_text: str | None = None

    def to_change(self) -> task_service.TaskUpdate:
        given = self.model_dump(exclude_unset=True)
        change = task_service.TaskUpdate()
        if "lead_unit" in given:
            change.lead_unit = given["lead_unit"] or None
        if "deadline" in given:
            text = given["deadline"] or ""
            try:
                change.deadline, change.deadline_note = parse_deadline(text) if text else (None, "")
            except ValueError as err:
                raise InputError(f"deadline {text!r}: {err}") from err
        if "milestones" in given:
            change.milestones = [task_service.MilestoneIn(**m) for m in given["milestones"] or []]
        if "supporting_units" in given:
            change.supporting_units = given["supporting_units"] or []
        for name in ("is_suspended", "is_major_project"):
            if given.get(name) is not None:  # null leaves the flag as it is
                setattr(change, name, given[name])
        for name in (
            "start_date",
            "planned_investment",
            "actual_investment",
            "location_code",
            "upper_task_id",
            "progress_text",
        ):
            if name in given:
                setattr(change, name, given[name])
        return change


class SubtaskCreate(BaseModel):
    title: str = Field(min_length=1, max_length=500)
    lead_unit: str | None = None
    supporting_units: list[str] = []
    deadline: date | None = None


class CycleCreate(BaseModel):
    plan: str
    name: str
    due_on: date
    kind: Literal["monthly", "quarterly", "ad_hoc"] = "monthly"
    opens_on: date | None = None


class ReportCreate(BaseModel):
    """A unit's report; give ``row_version`` to resubmit a report you read."""

    cycle_id: RowIdField
    task_id: RowIdField
    status: str = Field(description="not_started, on_track, lagging or completed")
    percent: float = Field(description="0–100")
    narrative: str = ""
    blockers: str = ""
    row_version: VersionField = None


class ReviewDecision(BaseModel):
    decision: Literal["accept", "return"]
    comment: str = ""
    row_version: VersionField = None


# --- tasks ------------------------------------------------------------------------------------


@router.get("/tasks", tags=["delivery"], response_model=list[task_views.TaskRowPublic])
def api_tasks(
    session: SessionDep,
    user: CurrentUser,
    plan: str,
    unit: str | None = None,
    area: str | None = None,
    status: str | None = None,
    due_by: date | None = None,
    as_of: date | None = None,
):
    """A plan's tasks you may see, as ``yrdplan tasks list --format json`` prints them: id,
    plan, label, title, lead_unit, supporting_units, deadline, status (with its rule), percent, …
    """
    filters = task_service.TaskFilter(area=area, unit=unit, status=status, due_by=due_by)
    return task_service.task_rows(session, plan, user, filters=filters, as_of=as_of)


@router.get("/tasks/checklist", tags=["delivery"])
def api_checklist(session: SessionDep, user: CurrentUser, plan: str, unit: str | None = None):
    """The plan's checklist (.xlsx); a unit reporter gets its unit's part."""
    return checklist_response(session, user, plan, unit)


@router.post("/tasks/checklist", response_model=ChecklistImportPublic, tags=["delivery"])
async def api_checklist_import(
    request: Request,
    database: DatabaseDep,
    user: OfficeUser,
    file: Annotated[UploadFile, File()],
    plan: Annotated[str | None, Form()] = None,
    dry_run: Annotated[bool, Form()] = False,
):
    """Import a filled-in checklist (all or nothing; 400 lists every problem)."""
    upload = await upload_source(file, upload_limit(request), "checklist.xlsx")
    options = ImportOptions(plan=plan)
    try:
        report = apply_import(database, user, "checklists", upload, options, dry_run=dry_run)
    except InputError as err:
        raise InputError(f"{upload.name}: {err}") from err  # which upload, as the others say
    return report.detail.to_dict()


@router.get("/tasks/{task_id:int}", tags=["delivery"], response_model=task_views.TaskPagePublic)
def api_task(task_id: RowId, session: SessionDep, user: CurrentUser):
    """One task: assignment, status and its rule, sub-tasks, reports, history (the task page's
    JSON twin, ``/tasks/{task_id}?format=json``)."""
    return task_views.task_page(session, user, task_id)


@router.patch("/tasks/{task_id:int}", tags=["delivery"])
def api_task_update(
    task_id: RowId, body: TaskUpdateIn, database: DatabaseDep, user: OfficeUser
) -> dict:
    """Assign units, deadline, milestones, project data (office); 409 on a stale row_version."""
    change = body.to_change()
    with database.write(actor_of(user)) as session:
        task_service.update_task(
            session, task_id, change, user=user, expected_version=body.row_version
        )
    with database.read() as session:
        page = task_views.task_page(session, user, task_id)
        return {"changed": change.changed, **page.model_dump(mode="json")}


@router.post("/tasks/{task_id:int}/subtasks", tags=["delivery"], status_code=201)
def api_subtask(
    task_id: RowId, body: SubtaskCreate, database: DatabaseDep, user: OfficeUser
) -> dict:
    """Split a task into a new sub-task (office)."""
    change = task_service.TaskUpdate(supporting_units=body.supporting_units)
    if body.lead_unit:
        change.lead_unit = body.lead_unit
    if body.deadline:
        change.deadline = body.deadline
    with database.write(actor_of(user)) as session:
        sub_id = task_service.add_subtask(session, task_id, body.title, user=user, change=change).id
    with database.read() as session:
        return task_views.task_page(session, user, sub_id).model_dump(mode="json")


@router.get("/units", tags=["delivery"], response_model=list[task_views.UnitPublic])
def api_units(session: SessionDep, user: CurrentUser, plan: str | None = None):
    """Units, or one plan's registry of them."""
    return list_units(session, plan)


# --- cycles and reports -----------------------------------------------------------------------


@router.get("/cycles", tags=["delivery"])
def api_cycles(session: SessionDep, user: CurrentUser, plan: str | None = None) -> list[dict]:
    return cycle_service.list_cycles(session, plan)


@router.post("/cycles", tags=["delivery"], status_code=201)
def api_open_cycle(body: CycleCreate, database: DatabaseDep, user: OfficeUser) -> dict:
    """Open a reporting cycle (office)."""
    with database.write(actor_of(user)) as session:
        cycle = cycle_service.open_cycle(
            session,
            body.plan,
            name=body.name,
            due_on=body.due_on,
            kind=body.kind,
            opens_on=body.opens_on,
            user=user,
        )
        return cycle_service.cycle_public(cycle, body.plan)


@router.post("/cycles/{cycle_id}/close", tags=["delivery"])
def api_close_cycle(cycle_id: RowId, database: DatabaseDep, user: OfficeUser) -> dict:
    with database.write(actor_of(user)) as session:
        return cycle_service.cycle_public(cycle_service.close_cycle(session, cycle_id, user=user))


@router.get("/cycles/{cycle_id}/completeness", tags=["delivery"])
def api_completeness(
    cycle_id: RowId, session: SessionDep, user: CurrentUser, as_of: date | None = None
) -> list[dict]:
    """Expected, submitted, on time, late, missing, pending per unit (a unit sees its own)."""
    unit_id = None if user.role != "unit_reporter" else user.unit_id or -1
    return cycle_service.completeness(session, [cycle_id], as_of=as_of, unit_id=unit_id)


@router.get("/reports", tags=["delivery"])
def api_reports(
    session: SessionDep,
    user: CurrentUser,
    cycle: RowIdQuery = None,
    task: RowIdQuery = None,
    state: str | None = None,
) -> list[dict]:
    """Progress reports you may see."""
    return cached(
        session,
        ("delivery.reports", who(user), cycle, task, state),
        lambda s: cycle_service.list_reports(
            s, user, cycle_id=cycle, task_id=task, review_state=state
        ),
    )


@router.post("/reports", tags=["delivery"], status_code=201)
def api_submit(
    request: Request, body: ReportCreate, database: DatabaseDep, user: CurrentUser
) -> dict:
    """Submit or resubmit your unit's report (unit reporters); 409 on a stale row_version."""
    with database.write(actor_of(user)) as session:
        report = cycle_service.submit_report(
            session,
            cycle_service.ReportIn(
                body.cycle_id,
                body.task_id,
                body.status,
                body.percent,
                body.narrative,
                body.blockers,
            ),
            user=user,
            max_bytes=upload_limit(request),
            expected_version=body.row_version,
        )
        report_id = report.id
    with database.read() as session:
        return cycle_service.describe_reports(
            session, [cycle_service.readable_report(session, user, report_id)]
        )[0]


@router.get("/reports/{report_id}", tags=["delivery"])
def api_report(report_id: RowId, session: SessionDep, user: CurrentUser) -> dict:
    return cycle_service.describe_reports(
        session, [cycle_service.readable_report(session, user, report_id)]
    )[0]


@router.post("/reports/{report_id}/evidence", tags=["delivery"], status_code=201)
async def api_add_evidence(
    report_id: RowId,
    request: Request,
    database: DatabaseDep,
    user: CurrentUser,
    file: Annotated[UploadFile, File()],
) -> dict:
    """Attach an evidence file (pdf, docx, xlsx, jpg, png, txt; checked by content)."""
    max_bytes = upload_limit(request)
    content = await read_upload(file, max_bytes)
    with database.write(actor_of(user)) as session:
        row = cycle_service.add_evidence(
            session,
            report_id,
            cycle_service.Upload(file.filename or "", content),
            user=user,
            max_bytes=max_bytes,
        )
        return {"id": row.id, "filename": row.filename, "size": row.size, "sha256": row.sha256}


@router.get("/reports/{report_id}/evidence/{file_id}", tags=["delivery"])
def api_evidence(report_id: RowId, file_id: RowId, session: SessionDep, user: CurrentUser):
    return evidence_response(session, user, report_id, file_id)


@router.post("/reports/{report_id}/review", tags=["delivery"])
def api_review(
    report_id: RowId, body: ReviewDecision, database: DatabaseDep, user: OfficeUser
) -> dict:
    """Accept (locks it, updates the task) or return with a comment (office)."""
    with database.write(actor_of(user)) as session:
        cycle_service.review_report(
            session,
            report_id,
            accept=body.decision == "accept",
            comment=body.comment,
            user=user,
            expected_version=body.row_version,
        )
    with database.read() as session:
        return cycle_service.describe_reports(
            session, [cycle_service.readable_report(session, user, report_id)]
        )[0]


@router.get("/review-queue", tags=["delivery"])
def api_review_queue(session: SessionDep, user: OfficeUser) -> list[dict]:
    """Reports awaiting review, oldest first (office)."""
    return cached(
        session, ("delivery.review_queue", who(user)), lambda s: oversight.review_queue(s, user)
    )


# --- completion and watch list ----------------------------------------------------------------


@router.get(
    "/completion", tags=["delivery"], response_model=completion_views.CompletionAnswerPublic
)
def api_completion(
    session: SessionDep,
    plan: str | None = None,
    by: str = "plan",
    over_time: bool = False,
    as_of: str | None = None,
):
    """Completion rates (public): rows of group, total, completed, suspended, rate, with the
    definition they follow."""
    if over_time:
        if plan is None:
            raise InputError("over_time needs a plan")
        rows = completion.completion_trend(session, plan)
    else:
        rows = completion.completion_rows(session, plan, by, as_of=parse_iso_date(as_of, "as_of"))
    return completion_views.CompletionAnswerPublic(
        by="date" if over_time else by,
        plan=plan,
        rows=rows,
        definition=COMPLETION_DEFINITION,
    )


@router.get("/delivery/watch", tags=["delivery"], response_model=completion_views.WatchPagePublic)
def api_watch(session: SessionDep, user: CurrentUser, plan: str | None = None):
    """Raised blockers and overdue or lagging tasks with the responsible unit (the watch list's
    JSON twin, ``/tasks/watch?format=json``)."""
    return completion_views.watch_page(session, user, plan)

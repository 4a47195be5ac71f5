"""The delivery-tracking HTTP API (JSON): tasks, checklists, units, cycles, reports, review,
completion. Session cookie + ``X-CSRF-Token`` header, or ``Authorization: Bearer``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from pydantic import BaseModel, Field

from yrdplan.analytics.completion import COMPLETION_DEFINITION
from yrdplan.domain.evidence import EVIDENCE_TYPES
from yrdplan.errors import InputError
from yrdplan.services import completion, task_edits
from yrdplan.services import cycles as cycle_service
from yrdplan.services import tasks as task_service
from yrdplan.services.arguments import parse_iso_date
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
from yrdplan.web.downloads import file_responses
from yrdplan.web.routes.cycles import evidence_response
from yrdplan.web.routes.tasks import checklist_response
from yrdplan.web.uploads import read_upload, upload_limit, upload_source
from yrdplan.web.views import completion as completion_views
from yrdplan.web.views import reporting as views
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

    def to_change(self) -> task_edits.TaskUpdate:
        """The same parse as the task page's form and ``yrdplan tasks assign``."""
        given = self.model_dump(exclude_unset=True, exclude={"row_version"})
        return task_edits.TaskUpdate.from_fields(given)


class SubtaskCreate(BaseModel):
    title: str = Field(min_length=1, max_length=500)
    lead_unit: str | None = None
    supporting_units: list[str] = []
    deadline: date | None = None


class CycleCreate(BaseModel):
    plan: str
    name: str
    due_on: date
    kind: str = Field("monthly", description="monthly, quarterly or ad_hoc")
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
    decision: str = Field(description="accept or return")
    comment: str = ""
    row_version: VersionField = None


class TaskChanged(task_views.TaskPagePublic):
    """The task as ``GET /api/tasks/{id}`` answers it after a change, and what changed."""

    changed: list[str] = Field(description="The fields that changed.")


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


@router.get("/tasks/checklist", tags=["delivery"], responses=file_responses(("xlsx",)))
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


@router.patch("/tasks/{task_id:int}", tags=["delivery"], response_model=TaskChanged)
def api_task_update(task_id: RowId, body: TaskUpdateIn, database: DatabaseDep, user: OfficeUser):
    """Assign units, deadline, milestones, project data (office); 409 on a stale row_version."""
    change = body.to_change()
    with database.write(actor_of(user)) as session:
        task_edits.update_task(
            session, task_id, change, user=user, expected_version=body.row_version
        )
    with database.read() as session:
        page = task_views.task_page(session, user, task_id)
        return TaskChanged(**dict(page), changed=change.changed)


@router.post(
    "/tasks/{task_id:int}/subtasks",
    tags=["delivery"],
    status_code=201,
    response_model=task_views.TaskPagePublic,
)
def api_subtask(task_id: RowId, body: SubtaskCreate, database: DatabaseDep, user: OfficeUser):
    """Split a task into a new sub-task (office)."""
    change = task_edits.TaskUpdate.from_fields(
        body.model_dump(exclude={"title"}, exclude_none=True)
    )
    with database.write(actor_of(user)) as session:
        sub_id = task_edits.add_subtask(session, task_id, body.title, user=user, change=change).id
    with database.read() as session:
        return task_views.task_page(session, user, sub_id)


@router.get("/units", tags=["delivery"], response_model=list[task_views.UnitPublic])
def api_units(session: SessionDep, user: CurrentUser, plan: str | None = None):
    """Units, or one plan's registry of them."""
    return list_units(session, plan)


# --- cycles and reports -----------------------------------------------------------------------


@router.get("/cycles", tags=["delivery"])
def api_cycles(
    session: SessionDep, user: CurrentUser, plan: str | None = None
) -> list[views.CyclePublic]:
    """Reporting cycles, newest first; or one plan's."""
    return views.list_cycles(session, plan)


@router.post("/cycles", tags=["delivery"], status_code=201)
def api_open_cycle(body: CycleCreate, database: DatabaseDep, user: OfficeUser) -> views.CyclePublic:
    """Open a reporting cycle (office); the same use case as the cycles page's form."""
    with database.write(actor_of(user)) as session:
        cycle = cycle_service.open_cycle(
            session, **cycle_service.cycle_fields(body.model_dump()), user=user
        )
        return views.CyclePublic(**cycle_service.cycle_public(cycle, body.plan))


@router.post("/cycles/{cycle_id}/close", tags=["delivery"])
def api_close_cycle(cycle_id: RowId, database: DatabaseDep, user: OfficeUser) -> views.CyclePublic:
    """Close a cycle (office): no more submissions."""
    with database.write(actor_of(user)) as session:
        cycle = cycle_service.close_cycle(session, cycle_id, user=user)
        return views.CyclePublic(**cycle_service.cycle_public(cycle))


@router.get("/cycles/{cycle_id}/completeness", tags=["delivery"])
def api_completeness(
    cycle_id: RowId, session: SessionDep, user: CurrentUser, as_of: date | None = None
) -> list[views.CompletenessPublic]:
    """Expected, submitted, on time, late, missing, pending per unit (a unit sees its own);
    the rows of the cycle on ``/tasks/cycles``."""
    return views.completeness(session, user, [cycle_id], as_of=as_of)


@router.get("/reports", tags=["delivery"])
def api_reports(
    session: SessionDep,
    user: CurrentUser,
    cycle: RowIdQuery = None,
    task: RowIdQuery = None,
    state: str | None = None,
) -> list[views.ReportPublic]:
    """Progress reports you may see."""
    return views.list_reports(session, user, cycle=cycle, task=task, state=state)


@router.post("/reports", tags=["delivery"], status_code=201)
def api_submit(
    request: Request, body: ReportCreate, database: DatabaseDep, user: CurrentUser
) -> views.ReportPublic:
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
        return views.report(session, user, report_id)


@router.get("/reports/{report_id}", tags=["delivery"])
def api_report(report_id: RowId, session: SessionDep, user: CurrentUser) -> views.ReportPublic:
    """One report, if you may read its task."""
    return views.report(session, user, report_id)


@router.post("/reports/{report_id}/evidence", tags=["delivery"], status_code=201)
async def api_add_evidence(
    report_id: RowId,
    request: Request,
    database: DatabaseDep,
    user: CurrentUser,
    file: Annotated[UploadFile, File()],
) -> views.EvidencePublic:
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
        return views.EvidencePublic(
            id=row.id,
            filename=row.filename,
            content_type=row.content_type,
            size=row.size,
            sha256=row.sha256,
        )


@router.get(
    "/reports/{report_id}/evidence/{file_id}",
    tags=["delivery"],
    responses=file_responses(EVIDENCE_TYPES, "The evidence file"),
)
def api_evidence(report_id: RowId, file_id: RowId, session: SessionDep, user: CurrentUser):
    return evidence_response(session, user, report_id, file_id)


@router.post("/reports/{report_id}/review", tags=["delivery"])
def api_review(
    report_id: RowId, body: ReviewDecision, database: DatabaseDep, user: OfficeUser
) -> views.ReportPublic:
    """Accept (locks it, updates the task) or return with a comment (office)."""
    accept = cycle_service.parse_decision(body.decision)
    with database.write(actor_of(user)) as session:
        cycle_service.review_report(
            session,
            report_id,
            accept=accept,
            comment=body.comment,
            user=user,
            expected_version=body.row_version,
        )
    with database.read() as session:
        return views.report(session, user, report_id)


@router.get("/review-queue", tags=["delivery"])
def api_review_queue(session: SessionDep, user: OfficeUser) -> views.ReviewPagePublic:
    """Reports awaiting review, oldest first (office): the ``/tasks/review`` page's data."""
    return views.review_page(session, user)


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

"""Delivery-tracking pages: task index, a plan's task board, a task, checklists, completion,
the office's watch list. Each GET handler parses, calls a view (``web/views/tasks.py``,
``web/views/completion.py``) and renders its model; the JSON twin is the API answer.
"""

from __future__ import annotations

import io
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeSerializer

from yrdplan.errors import (
    ConflictError,
    FieldError,
    InputError,
    NotFoundError,
    PermissionDenied,
    YrdplanError,
)
from yrdplan.services import checklists, task_edits
from yrdplan.services import cycles as cycle_service
from yrdplan.services import tasks as task_service
from yrdplan.services.arguments import parse_iso_date
from yrdplan.services.imports import ImportOptions, apply_import
from yrdplan.store.computed import cached
from yrdplan.web.delivery_words import completion_charts
from yrdplan.web.deps import (
    CurrentUser,
    DatabaseDep,
    OfficeUser,
    OptionalUser,
    RowId,
    SessionDep,
    actor_of,
    language,
    queue_cookie,
    verify_csrf,
)
from yrdplan.web.i18n import MESSAGES, field_message, translate
from yrdplan.web.render import render, wants_json
from yrdplan.web.uploads import upload_limit, upload_source
from yrdplan.web.views import completion as completion_views
from yrdplan.web.views import tasks as views

router = APIRouter(tags=["delivery"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def error_status(err: YrdplanError) -> int:
    """The HTTP status of a service error shown on a re-rendered form."""
    for kind, status in ((NotFoundError, 404), (PermissionDenied, 403), (ConflictError, 409)):
        if isinstance(err, kind):
            return status
    return 400


FLASH_COOKIE = "yrdplan_flash"


def _flash_signer(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(request.app.state.secret_key, salt="flash")


def pop_flash(request: Request) -> dict | None:
    """The one-time message left by the previous request (signed, so it cannot be forged)."""
    value = request.cookies.get(FLASH_COOKIE)
    if not value:
        return None
    queue_cookie(request, FLASH_COOKIE, None)
    try:
        return _flash_signer(request).loads(value)
    except BadSignature:
        return None


def flash(request: Request, key: str, **values) -> None:
    signed = _flash_signer(request).dumps({"key": key, "values": values})
    queue_cookie(request, FLASH_COOKIE, signed, max_age=120)


def _flash_text(request: Request) -> str | None:
    message = pop_flash(request)
    if not message:
        return None
    return translate(message["key"], language(request)).format(**message["values"])


# --- index, board -----------------------------------------------------------------------------


@router.get("/tasks", response_model=views.TasksIndexPagePublic)
def tasks_index(request: Request, session: SessionDep, user: CurrentUser):
    """Every confirmed plan you may see with its completion; your unit and the open cycles."""
    model = views.index_page(session, user)
    return render(
        request,
        "tasks_index.html",
        model.model_dump(mode="json"),
        user,
        extra={"flash": _flash_text(request)},
    )


@router.get("/tasks/plan/{plan_ref}", response_model=views.BoardPagePublic)
def task_board(
    plan_ref: str,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    area: str | None = None,
    unit: str | None = None,
    status: str | None = None,
    due_by: str | None = None,
):
    """A plan's tasks you may see, filtered, with the plan's completion rate."""
    filters = task_service.TaskFilter(
        area=area or None,
        unit=unit or None,
        status=status or None,
        due_by=parse_iso_date(due_by, "due_by"),
    )
    model = views.board_page(session, user, plan_ref, filters)
    return render(
        request,
        "tasks_board.html",
        model.model_dump(mode="json"),
        user,
        extra={"flash": _flash_text(request)},
    )


# --- checklists -------------------------------------------------------------------------------


def checklist_response(session, user, plan_ref: str, unit: str | None) -> Response:
    """The checklist workbook; a unit reporter gets its own unit's part only."""
    unit = checklists.exportable_unit(session, user, unit)
    buffer = io.BytesIO()
    checklists.export_checklist(session, plan_ref, buffer, unit=unit, user=user)
    name = f"checklist-{plan_ref}{'-' + unit if unit else ''}.xlsx"
    return Response(
        buffer.getvalue(),
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


@router.get("/tasks/plan/{plan_ref}/checklist.xlsx", include_in_schema=False)
def checklist_download(
    plan_ref: str, session: SessionDep, user: CurrentUser, unit: str | None = None
):
    return checklist_response(session, user, plan_ref, unit or None)


@router.post(
    "/tasks/plan/{plan_ref}/import", include_in_schema=False, dependencies=[Depends(verify_csrf)]
)
async def checklist_upload(
    plan_ref: str,
    request: Request,
    database: DatabaseDep,
    user: OfficeUser,
    file: Annotated[UploadFile, File()],
    dry_run: Annotated[str, Form()] = "",
):
    upload = await upload_source(file, upload_limit(request), "checklist.xlsx")
    data = {
        "plan": plan_ref,
        "file": file.filename,
        "dry_run": bool(dry_run),
        "errors": [],
        "result": None,
    }
    status = 200
    try:
        options = ImportOptions(plan=plan_ref)
        report = apply_import(database, user, "checklists", upload, options, dry_run=bool(dry_run))
        data["result"] = report.detail.to_dict()
    except checklists.ChecklistRejected as err:
        data["errors"] = [p.to_dict() | {"text": str(p)} for p in err.problems]
        status = 400
    except InputError as err:
        data["errors"] = [{"message": str(err), "text": str(err)}]
        status = 400
    return render(request, "tasks_import.html", data, user, status_code=status)


# --- completion, watch list -------------------------------------------------------------------


@router.get("/tasks/completion", response_model=completion_views.CompletionPagePublic)
def completion_page(
    request: Request, session: SessionDep, user: OptionalUser, plan: str | None = None
):
    """Completion rates by plan and round, then one plan by area, unit, region and over time."""
    # Public: completion rates are aggregates, the number the plans' evaluations publish.
    plan = plan or None
    model = cached(
        session,
        ("delivery.completion", plan),
        lambda s: completion_views.completion_page(s, plan),
    )
    # The charts are for the HTML page only; the JSON twin carries their rows.
    charts = {} if wants_json(request) else completion_charts(model, language(request))
    return render(
        request,
        "tasks_completion.html",
        model.model_dump(mode="json"),
        user,
        extra={"charts": charts},
    )


@router.get("/tasks/watch", response_model=completion_views.WatchPagePublic)
def watch_page(request: Request, session: SessionDep, user: CurrentUser, plan: str | None = None):
    """Raised blockers and overdue or lagging tasks, each with its responsible unit."""
    model = completion_views.watch_page(session, user, plan or None)
    return render(request, "tasks_watch.html", model.model_dump(mode="json"), user)


# --- one task ---------------------------------------------------------------------------------


def _task_page(request, session, user, task_id: RowId, *, status_code=200, form=None, error=None):
    model = views.task_page(session, user, task_id)
    extra = {"flash": _flash_text(request), "form": form, "form_error": error}
    return render(
        request,
        "tasks_detail.html",
        model.model_dump(mode="json"),
        user,
        status_code=status_code,
        extra=extra,
    )


@router.get("/tasks/{task_id}", response_model=views.TaskPagePublic)
def task_page(task_id: RowId, request: Request, session: SessionDep, user: CurrentUser):
    """One task: assignment, status and its rule, tree, reports, history."""
    return _task_page(request, session, user, task_id)


#: The assignment form's fields; every one is always sent, so an empty one clears its field.
ASSIGNMENT_FIELDS = (
    "lead_unit",
    "deadline",
    "start_date",
    "milestones",
    "planned_investment",
    "actual_investment",
    "location_code",
    "upper_task_id",
)


def form_error_text(request: Request, err: YrdplanError) -> str:
    """A refusal as a form shows it: the field's name and the message in the reader's language."""
    if not isinstance(err, FieldError):
        return str(err)
    lang = language(request)
    label = f"d.field.{err.field}"
    name = translate(label, lang) if label in MESSAGES else err.field
    return f"{name}：{field_message(err, lang)}"


@router.post("/tasks/{task_id}", include_in_schema=False, dependencies=[Depends(verify_csrf)])
async def task_assign(task_id: RowId, request: Request, database: DatabaseDep, user: OfficeUser):
    """Save the task page's assignment form (office). Every field is sent, and an empty one
    clears its field; so a body that is not a form is refused rather than read as all empty
    (the API's ``PATCH /api/tasks/{id}`` takes JSON, changing only the fields it names)."""
    kind = request.headers.get("content-type", "")
    if not kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        raise FieldError(
            "request body", "expected a form; JSON goes to PATCH /api/tasks/{id}", "fe.form_body"
        )
    form = await request.form()
    try:
        given = {name: str(form.get(name, "")) for name in ASSIGNMENT_FIELDS}
        given["supporting_units"] = [u for u in form.getlist("supporting_units") if u]
        # A checkbox is sent only when ticked.
        given["is_suspended"] = form.get("is_suspended") == "on"
        given["is_major_project"] = form.get("is_major_project") == "on"
        change = task_edits.TaskUpdate.from_fields(given)
        version = cycle_service.parse_version(form.get("row_version"))
        with database.write(actor_of(user)) as session:
            task_edits.update_task(session, task_id, change, user=user, expected_version=version)
    except YrdplanError as err:
        with database.read() as session:
            return _task_page(
                request,
                session,
                user,
                task_id,
                status_code=error_status(err),
                form=dict(form) | {"supporting_units": form.getlist("supporting_units")},
                error=form_error_text(request, err),
            )
    flash(request, "d.flash.saved", what=f"#{task_id}")
    return RedirectResponse(f"/tasks/{task_id}", status_code=303)


@router.post(
    "/tasks/{task_id}/subtasks", include_in_schema=False, dependencies=[Depends(verify_csrf)]
)
def task_split(
    task_id: RowId,
    request: Request,
    database: DatabaseDep,
    user: OfficeUser,
    title: Annotated[str, Form()],
    lead_unit: Annotated[str, Form()] = "",
):
    change = task_edits.TaskUpdate.from_fields({"lead_unit": lead_unit} if lead_unit else {})
    with database.write(actor_of(user)) as session:
        sub = task_edits.add_subtask(session, task_id, title, user=user, change=change)
        sub_id = sub.id
    flash(request, "d.flash.subtask", what=f"#{sub_id}")
    return RedirectResponse(f"/tasks/{task_id}", status_code=303)

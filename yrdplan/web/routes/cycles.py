"""Reporting pages: a unit's "my tasks" with the report form, the office's review queue, the
cycles with their completeness, and evidence downloads.

These come before ``routes.tasks`` in ``ROUTERS``: ``/tasks/mine`` must not be read as
``/tasks/{task_id}``.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from yrdplan.errors import YrdplanError
from yrdplan.services import cycles as cycle_service
from yrdplan.services import reminders
from yrdplan.services import tasks as task_service
from yrdplan.services.arguments import parse_iso_date
from yrdplan.web.deps import (
    CurrentUser,
    DatabaseDep,
    OfficeUser,
    RowId,
    SessionDep,
    actor_of,
    verify_csrf,
)
from yrdplan.web.render import render
from yrdplan.web.routes.tasks import _flash_text, error_status, flash, form_error_text
from yrdplan.web.uploads import read_upload, upload_limit
from yrdplan.web.views import reporting as views

router = APIRouter()
PAGES = {"tags": ["delivery"]}
#: Form posts and downloads: not JSON API calls (those are under /api).
HIDDEN = {"include_in_schema": False}


def _mine_page(request, session, user, *, status_code=200, form=None, error=None):
    data = views.mine_page(session, user).model_dump(mode="json")
    extra = {
        "flash": _flash_text(request),
        "form": form,
        "form_error": error,
        "max_upload_mb": request.app.state.settings.max_upload_mb,
    }
    return render(request, "tasks_mine.html", data, user, status_code=status_code, extra=extra)


@router.get("/tasks/mine", response_model=views.MinePagePublic, **PAGES)
def my_tasks(request: Request, session: SessionDep, user: CurrentUser):
    """A unit reporter's tasks; for each open cycle the report it owes or has made."""
    return _mine_page(request, session, user)


def evidence_uploads(files: list[UploadFile] | None) -> list[UploadFile]:
    # Browsers send one empty part when no file was chosen.
    return [f for f in files or [] if f.filename]


@router.post("/tasks/mine/report", dependencies=[Depends(verify_csrf)], **HIDDEN)
async def submit_report(
    request: Request,
    database: DatabaseDep,
    user: CurrentUser,
    cycle_id: Annotated[int, Form()],
    task_id: Annotated[int, Form()],
    status: Annotated[str, Form()],
    percent: Annotated[str, Form()],
    narrative: Annotated[str, Form()] = "",
    blockers: Annotated[str, Form()] = "",
    row_version: Annotated[str, Form()] = "",
    evidence: Annotated[list[UploadFile] | None, File()] = None,
):
    max_bytes = upload_limit(request)
    form = {
        "cycle_id": cycle_id,
        "task_id": task_id,
        "status": status,
        "percent": percent,
        "narrative": narrative,
        "blockers": blockers,
        "row_version": row_version,
    }
    try:
        uploads = [
            cycle_service.Upload(f.filename, await read_upload(f, max_bytes))
            for f in evidence_uploads(evidence)
        ]
        with database.write(actor_of(user)) as session:
            report = cycle_service.submit_report(
                session,
                cycle_service.ReportIn(cycle_id, task_id, status, percent, narrative, blockers),
                user=user,
                uploads=uploads,
                max_bytes=max_bytes,
                expected_version=cycle_service.parse_version(row_version),
            )
            task = report_task_label(session, report.task_id)
    except YrdplanError as err:
        # The page comes back with what the user typed, so nothing they wrote is lost.
        with database.read() as session:
            return _mine_page(
                request,
                session,
                user,
                status_code=error_status(err),
                form=form,
                error=form_error_text(request, err),
            )
    flash(request, "d.flash.reported", what=task)
    return RedirectResponse(f"/tasks/mine#task-{cycle_id}-{task_id}", status_code=303)


def report_task_label(session, task_id: RowId) -> str:
    task = task_service.tasks_by_ids(session, [task_id])[task_id]
    return f"{task.label} {task.title}"


@router.get("/tasks/review", response_model=views.ReviewPagePublic, **PAGES)
def review_page(request: Request, session: SessionDep, user: OfficeUser):
    """Reports awaiting review, oldest first, with their task (office)."""
    data = views.review_page(session, user).model_dump(mode="json")
    return render(request, "tasks_review.html", data, user, extra={"flash": _flash_text(request)})


@router.post("/tasks/review/{report_id}", dependencies=[Depends(verify_csrf)], **HIDDEN)
def review_report(
    report_id: RowId,
    request: Request,
    database: DatabaseDep,
    user: OfficeUser,
    decision: Annotated[str, Form()],
    comment: Annotated[str, Form()] = "",
    row_version: Annotated[str, Form()] = "",
):
    accept = cycle_service.parse_decision(decision)
    with database.write(actor_of(user)) as session:
        cycle_service.review_report(
            session,
            report_id,
            accept=accept,
            comment=comment,
            user=user,
            expected_version=cycle_service.parse_version(row_version),
        )
    key = "d.flash.accepted" if accept else "d.flash.returned"
    flash(request, key, what=f"#{report_id}")
    return RedirectResponse("/tasks/review", status_code=303)


@router.get("/tasks/cycles", response_model=views.CyclesPagePublic, **PAGES)
def cycles_page(request: Request, session: SessionDep, user: CurrentUser):
    """Every reporting cycle with its completeness per unit (a unit sees its own)."""
    data = views.cycles_page(session, user).model_dump(mode="json")
    return render(request, "tasks_cycles.html", data, user, extra={"flash": _flash_text(request)})


@router.post("/tasks/cycles", dependencies=[Depends(verify_csrf)], **HIDDEN)
def open_cycle(
    request: Request,
    database: DatabaseDep,
    user: OfficeUser,
    plan: Annotated[str, Form()],
    name: Annotated[str, Form()],
    due_on: Annotated[str, Form()],
    kind: Annotated[str, Form()] = "monthly",
    opens_on: Annotated[str, Form()] = "",
):
    fields = {"plan": plan, "name": name, "due_on": due_on, "kind": kind, "opens_on": opens_on}
    with database.write(actor_of(user)) as session:
        cycle_service.open_cycle(session, **cycle_service.cycle_fields(fields), user=user)
    flash(request, "d.flash.opened", what=name)
    return RedirectResponse("/tasks/cycles", status_code=303)


@router.post("/tasks/cycles/{cycle_id}/close", dependencies=[Depends(verify_csrf)], **HIDDEN)
def close_cycle(cycle_id: RowId, request: Request, database: DatabaseDep, user: OfficeUser):
    with database.write(actor_of(user)) as session:
        cycle = cycle_service.close_cycle(session, cycle_id, user=user)
        name = cycle.name
    flash(request, "d.flash.closed", what=name)
    return RedirectResponse("/tasks/cycles", status_code=303)


@router.get("/tasks/reminders", response_model=views.RemindersPagePublic, **PAGES)
def reminders_page(
    request: Request, session: SessionDep, user: CurrentUser, as_of: str | None = None
):
    """Units that still owe reports in open cycles due soon or overdue (the office's list)."""
    model = views.reminders_page(session, user, as_of=parse_iso_date(as_of, "as_of"))
    return render(request, "tasks_reminders.html", model.model_dump(mode="json"), user)


@router.get("/tasks/reminders.{fmt}", **HIDDEN)
def reminders_download(
    fmt: str, session: SessionDep, user: CurrentUser, as_of: str | None = None
) -> Response:
    """The reminders list as .xlsx or .csv, to send round."""
    data = reminders.office_reminders(session, user, today=parse_iso_date(as_of, "as_of"))
    name, content = reminders.reminders_file(data["rows"], fmt)
    media = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return Response(
        content, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'}
    )


def evidence_response(session, user, report_id: RowId, file_id: RowId) -> Response:
    row = cycle_service.evidence_file(session, user, report_id, file_id)
    return Response(
        row.content,
        media_type=row.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.filename)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


@router.get("/tasks/reports/{report_id}/evidence/{file_id}", **HIDDEN)
def evidence_download(report_id: RowId, file_id: RowId, session: SessionDep, user: CurrentUser):
    return evidence_response(session, user, report_id, file_id)

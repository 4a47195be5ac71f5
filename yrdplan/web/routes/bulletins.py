"""Bulletins (通报), evaluation reports, assessments, public feedback and the public portal.

Pages for the office: ``/bulletins`` (list, build), ``/bulletins/{id}`` (preview, texts, publish,
withdraw, downloads), ``/evaluations/assess`` (assessments), ``/feedback`` (answer). Public:
``/public`` and ``/public/bulletins/{id}``, where only published documents exist, and the
feedback form; all of them answer 403 "closed" while the office has closed the portal. The API mirrors them under ``/api/bulletins`` and ``/api/feedback``.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel

from yrdplan.errors import InputError
from yrdplan.services import bulletins as service
from yrdplan.services import feedback as feedback_service
from yrdplan.services.evaluations import AssessmentIn, enter_assessment
from yrdplan.services.portal import require_portal_open
from yrdplan.web.deps import (
    CurrentUser,
    DatabaseDep,
    OfficeUser,
    OptionalUser,
    SessionDep,
    actor_of,
    verify_csrf,
)
from yrdplan.web.downloads import file_response, file_responses
from yrdplan.web.render import render
from yrdplan.web.routes.tasks import _flash_text, flash
from yrdplan.web.views import bulletins as views

router = APIRouter()
CSRF = [Depends(verify_csrf)]


def portal_is_open(session: SessionDep) -> None:
    """The portal's routes say "closed" first, before any check of the request itself."""
    require_portal_open(session)


PORTAL = [Depends(portal_is_open)]


def _download(row) -> Response:
    return file_response(
        row.content,
        row.filename,
        media_type=row.content_type,
        inline=row.format in ("html", "pdf"),
        headers={
            "X-Content-SHA256": row.sha256,
            # The stored HTML is self-contained: let it load nothing else.
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
        },
    )


def _page(request: Request, template: str, model: BaseModel, user, **extra) -> Response:
    """A page over its ``…Public`` model, with the flash message of the last action."""
    context = {"flash": _flash_text(request), **extra}
    return render(request, template, model.model_dump(mode="json"), user, extra=context)


# --- office pages -----------------------------------------------------------------------------


@router.get("/bulletins", response_model=views.BulletinListPublic, tags=["bulletins"])
def bulletins_page(request: Request, session: SessionDep, user: OptionalUser):
    """Bulletins and evaluation reports: all for the office, the published ones for others."""
    data = views.bulletin_list_view(session, user)
    return _page(request, "bulletins.html", data, user)


@router.post("/bulletins", include_in_schema=False, dependencies=CSRF)
def build_bulletin_form(
    request: Request,
    database: DatabaseDep,
    user: OfficeUser,
    scope: Annotated[str, Form()],
    cycle_id: Annotated[str, Form()] = "",
    period: Annotated[str, Form()] = "",
    plan: Annotated[str, Form()] = "",
    stage: Annotated[str, Form()] = "",
    issuer: Annotated[str, Form()] = service.DEFAULT_ISSUER,
):
    issuer = issuer.strip() or service.DEFAULT_ISSUER
    with database.write(actor_of(user)) as session:
        if scope == "cycle":
            if not cycle_id.strip().isdigit():
                raise InputError("choose a reporting cycle")
            bulletin = service.create_bulletin(session, user, cycle_id=int(cycle_id), issuer=issuer)
        elif scope == "period":
            bulletin = service.create_bulletin(session, user, period=period.strip(), issuer=issuer)
        elif scope == "evaluation":
            bulletin = service.create_evaluation(session, user, plan, stage, issuer=issuer)
        else:
            raise InputError(f"scope {scope!r} is not cycle, period or evaluation")
        bulletin_id = bulletin.id
    flash(request, "bl.flash.built", what=f"#{bulletin_id}")
    return RedirectResponse(f"/bulletins/{bulletin_id}", status_code=303)


@router.get(
    "/bulletins/{bulletin_id}", response_model=views.BulletinDetailPublic, tags=["bulletins"]
)
def bulletin_page(bulletin_id: int, request: Request, session: SessionDep, user: OptionalUser):
    """One bulletin: preview, the office's texts, publication, downloads."""
    data = views.bulletin_detail_view(session, user, bulletin_id)
    return _page(request, "bulletin.html", data, user)


@router.post("/bulletins/{bulletin_id}/texts", include_in_schema=False, dependencies=CSRF)
async def bulletin_texts_form(
    bulletin_id: int, request: Request, database: DatabaseDep, user: OfficeUser
):
    form = await request.form()
    texts = {k[5:]: str(v) for k, v in form.items() if k.startswith("text_")}
    version = form.get("row_version")
    with database.write(actor_of(user)) as session:
        service.set_texts(
            session, user, bulletin_id, texts, expected_version=int(version) if version else None
        )
    flash(request, "bl.flash.saved", what=f"#{bulletin_id}")
    return RedirectResponse(f"/bulletins/{bulletin_id}", status_code=303)


@router.post("/bulletins/{bulletin_id}/publish", include_in_schema=False, dependencies=CSRF)
def bulletin_publish_form(
    bulletin_id: int,
    request: Request,
    database: DatabaseDep,
    user: OfficeUser,
    row_version: Annotated[int | None, Form()] = None,
):
    with database.write(actor_of(user)) as session:
        service.publish(session, user, bulletin_id, expected_version=row_version)
    flash(request, "bl.flash.published", what=f"#{bulletin_id}")
    return RedirectResponse(f"/bulletins/{bulletin_id}", status_code=303)


@router.post("/bulletins/{bulletin_id}/withdraw", include_in_schema=False, dependencies=CSRF)
def bulletin_withdraw_form(
    bulletin_id: int,
    request: Request,
    database: DatabaseDep,
    user: OfficeUser,
    reason: Annotated[str, Form()] = "",
    row_version: Annotated[int | None, Form()] = None,
):
    with database.write(actor_of(user)) as session:
        service.withdraw(session, user, bulletin_id, reason, expected_version=row_version)
    flash(request, "bl.flash.withdrawn", what=f"#{bulletin_id}")
    return RedirectResponse(f"/bulletins/{bulletin_id}", status_code=303)


@router.post("/bulletins/{bulletin_id}/pdf", include_in_schema=False, dependencies=CSRF)
def bulletin_pdf_form(bulletin_id: int, request: Request, database: DatabaseDep, user: OfficeUser):
    with database.write(actor_of(user)) as session:
        service.build_files(session, user, bulletin_id, ["pdf"])
    flash(request, "bl.flash.pdf", what=f"#{bulletin_id}")
    return RedirectResponse(f"/bulletins/{bulletin_id}", status_code=303)


@router.get(
    "/bulletins/{bulletin_id}/files/{fmt}",
    tags=["bulletins"],
    responses=file_responses(service.FORMATS),
)
def bulletin_download(bulletin_id: int, fmt: str, session: SessionDep, user: OptionalUser):
    """Download a bulletin's .docx, .xlsx, .html or .pdf (published ones for everyone)."""
    return _download(service.bulletin_file(session, user, bulletin_id, fmt))


@router.get("/evaluations/assess", response_model=views.AssessmentsPublic, tags=["bulletins"])
def assessments_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    plan: str = "nj-implementation-2020",
    stage: str = "mid_term",
):
    """Self- and third-party assessments of a plan for one evaluation stage."""
    data = views.assessments_view(session, user, plan, stage)
    return _page(request, "assessments.html", data, user)


@router.post("/evaluations/assess", include_in_schema=False, dependencies=CSRF)
async def assessments_form(request: Request, database: DatabaseDep, user: CurrentUser):
    form = await request.form()
    plan, stage = str(form.get("plan", "")), str(form.get("stage", ""))
    scores = {}
    for name, value in zip(form.getlist("dimension"), form.getlist("score"), strict=False):
        if str(name).strip() and str(value).strip():
            scores[str(name)] = str(value)
    entry = AssessmentIn(
        kind=str(form.get("kind", "")),
        assessor=str(form.get("assessor", "")),
        scores=scores,
        text=str(form.get("text", "")),
    )
    with database.write(actor_of(user)) as session:
        enter_assessment(session, user, plan, stage, entry)
    flash(request, "bl.flash.assessed", what=entry.assessor)
    return RedirectResponse(
        f"/evaluations/assess?plan={quote(plan)}&stage={quote(stage)}", status_code=303
    )


@router.get("/feedback", response_model=views.FeedbackOfficePublic, tags=["bulletins"])
def feedback_page(request: Request, session: SessionDep, user: OfficeUser):
    """Public feedback (意见建议) for the office to read and answer."""
    data = views.feedback_office_view(session, user)
    return _page(request, "feedback.html", data, user)


@router.post("/feedback/{feedback_id}/answer", include_in_schema=False, dependencies=CSRF)
def feedback_answer_form(
    feedback_id: int,
    request: Request,
    database: DatabaseDep,
    user: OfficeUser,
    answer: Annotated[str, Form()],
    publish: Annotated[str, Form()] = "",
):
    with database.write(actor_of(user)) as session:
        feedback_service.answer_feedback(session, user, feedback_id, answer, publish=bool(publish))
    flash(request, "bl.flash.answered", what=f"#{feedback_id}")
    return RedirectResponse("/feedback", status_code=303)


# --- the public portal ------------------------------------------------------------------------


@router.get("/public", response_model=views.PortalPublic, tags=["public"], dependencies=PORTAL)
def portal_page(request: Request, session: SessionDep, user: OptionalUser):
    """公众参与: published bulletins and evaluations, the published overview and dashboard."""
    data = views.portal_view(session)
    map_svg = views.portal_map_svg(session, data.dashboard)
    return _page(request, "portal.html", data, user, map_svg=map_svg)


@router.get(
    "/public/bulletins/{bulletin_id}",
    response_model=views.BulletinDetailPublic,
    tags=["public"],
    dependencies=PORTAL,
)
def portal_bulletin_page(
    bulletin_id: int, request: Request, session: SessionDep, user: OptionalUser
):
    """A published bulletin or evaluation as the public sees it (nothing else exists here)."""
    data = views.bulletin_detail_view(session, None, bulletin_id)
    return _page(request, "portal_bulletin.html", data, user)


@router.get(
    "/public/bulletins/{bulletin_id}/files/{fmt}",
    tags=["public"],
    dependencies=PORTAL,
    responses=file_responses(service.FORMATS),
)
def portal_download(bulletin_id: int, fmt: str, session: SessionDep):
    """Download a published document."""
    return _download(service.bulletin_file(session, None, bulletin_id, fmt))


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/public/feedback", include_in_schema=False, dependencies=PORTAL + CSRF)
def portal_feedback_form(
    request: Request,
    database: DatabaseDep,
    text: Annotated[str, Form()] = "",
    contact: Annotated[str, Form()] = "",
    bulletin_id: Annotated[str, Form()] = "",
    plan: Annotated[str, Form()] = "",
):
    target = f"/public/bulletins/{bulletin_id}" if bulletin_id.isdigit() else "/public"
    with database.write() as session:
        feedback_service.submit_feedback(
            session,
            text=text,
            contact=contact,
            client=_client(request),
            bulletin_id=int(bulletin_id) if bulletin_id.isdigit() else None,
            plan_ref=plan or None if not bulletin_id.isdigit() else None,
        )
    flash(request, "bl.flash.feedback", what="")
    return RedirectResponse(target + "#feedback", status_code=303)


# --- API --------------------------------------------------------------------------------------


class BulletinCreate(BaseModel):
    cycle_id: int | None = None
    period: str | None = None
    plan: str | None = None
    stage: str | None = None
    issuer: str = service.DEFAULT_ISSUER


class BulletinTextsUpdate(BaseModel):
    texts: dict[str, str]
    row_version: int | None = None


class BulletinWithdraw(BaseModel):
    reason: str
    row_version: int | None = None


class FeedbackCreate(BaseModel):
    text: str
    contact: str = ""
    bulletin_id: int | None = None
    plan: str | None = None


class FeedbackReceived(BaseModel):
    """What a visitor's feedback became: its number, and ``pending`` until the office answers."""

    id: int
    status: str


class FeedbackAnswer(BaseModel):
    answer: str
    publish: bool = False


@router.get("/api/bulletins", tags=["bulletins"], response_model=list[views.BulletinSummary])
def api_bulletins(
    session: SessionDep, user: OptionalUser, status: str | None = None, kind: str | None = None
):
    """Bulletins and evaluations the caller may see (published only, unless the office)."""
    return service.list_bulletins(session, user, status=status, kind=kind)


@router.post(
    "/api/bulletins",
    tags=["bulletins"],
    status_code=201,
    dependencies=CSRF,
    response_model=views.BulletinDetailPublic,
)
def api_build(body: BulletinCreate, database: DatabaseDep, user: OfficeUser):
    """Build a draft: ``cycle_id`` or ``period`` for a 通报, ``plan`` and ``stage`` for an evaluation."""
    with database.write(actor_of(user)) as session:
        if body.plan or body.stage:
            bulletin = service.create_evaluation(
                session,
                user,
                body.plan or "",
                body.stage or "",
                issuer=body.issuer,
            )
        else:
            bulletin = service.create_bulletin(
                session,
                user,
                cycle_id=body.cycle_id,
                period=body.period,
                issuer=body.issuer,
            )
        return views.bulletin_detail_view(session, user, bulletin.id)


@router.get(
    "/api/bulletins/{bulletin_id}", tags=["bulletins"], response_model=views.BulletinDetailPublic
)
def api_bulletin(bulletin_id: int, session: SessionDep, user: OptionalUser):
    """The bulletin page's JSON twin (``/bulletins/{id}?format=json``)."""
    return views.bulletin_detail_view(session, user, bulletin_id)


@router.patch(
    "/api/bulletins/{bulletin_id}",
    tags=["bulletins"],
    dependencies=CSRF,
    response_model=views.BulletinDetailPublic,
)
def api_texts(bulletin_id: int, body: BulletinTextsUpdate, database: DatabaseDep, user: OfficeUser):
    """Replace the office's texts of a draft (its files are rendered again)."""
    with database.write(actor_of(user)) as session:
        bulletin = service.set_texts(
            session, user, bulletin_id, body.texts, expected_version=body.row_version
        )
        return views.bulletin_detail_view(session, user, bulletin.id)


@router.post(
    "/api/bulletins/{bulletin_id}/publish",
    tags=["bulletins"],
    dependencies=CSRF,
    response_model=views.BulletinDetailPublic,
)
def api_publish(bulletin_id: int, database: DatabaseDep, user: OfficeUser):
    with database.write(actor_of(user)) as session:
        service.publish(session, user, bulletin_id)
        return views.bulletin_detail_view(session, user, bulletin_id)


@router.post(
    "/api/bulletins/{bulletin_id}/withdraw",
    tags=["bulletins"],
    dependencies=CSRF,
    response_model=views.BulletinDetailPublic,
)
def api_withdraw(bulletin_id: int, body: BulletinWithdraw, database: DatabaseDep, user: OfficeUser):
    with database.write(actor_of(user)) as session:
        service.withdraw(session, user, bulletin_id, body.reason, expected_version=body.row_version)
        return views.bulletin_detail_view(session, user, bulletin_id)


@router.post(
    "/api/feedback",
    tags=["public"],
    status_code=201,
    dependencies=PORTAL + CSRF,
    response_model=FeedbackReceived,
)
def api_feedback(body: FeedbackCreate, request: Request, database: DatabaseDep):
    """Leave 意见建议 on a published bulletin or a plan (no log-in; rate- and size-limited)."""
    try:
        with database.write() as session:
            row = feedback_service.submit_feedback(
                session,
                text=body.text,
                contact=body.contact,
                client=_client(request),
                bulletin_id=body.bulletin_id,
                plan_ref=body.plan,
            )
            return {"id": row.id, "status": row.status}
    except feedback_service.FeedbackThrottled as err:
        return JSONResponse({"error": str(err)}, status_code=429)


@router.get("/api/feedback", tags=["bulletins"], response_model=list[views.FeedbackOfficeRow])
def api_feedback_list(session: SessionDep, user: OfficeUser, status: str | None = None):
    return feedback_service.list_feedback(session, user, status=status)


@router.post(
    "/api/feedback/{feedback_id}/answer",
    tags=["bulletins"],
    dependencies=CSRF,
    response_model=views.FeedbackOfficeRow,
)
def api_feedback_answer(
    feedback_id: int, body: FeedbackAnswer, database: DatabaseDep, user: OfficeUser
):
    with database.write(actor_of(user)) as session:
        row = feedback_service.answer_feedback(
            session, user, feedback_id, body.answer, publish=body.publish
        )
        return feedback_service.feedback_office(row)

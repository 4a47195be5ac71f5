"""Plans: the list, import, the review of a draft (tree, source, targets, problems), confirmation,
versions and their diff, and links to the plan above."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo
from yrdplan.errors import InputError
from yrdplan.services import plans as plan_service
from yrdplan.services.imports import ImportOptions, import_file
from yrdplan.store.repos import plans as plan_repo
from yrdplan.web.deps import (
    MAX_ROW_ID,
    CurrentUser,
    DatabaseDep,
    OfficeUser,
    OptionalUser,
    RowId,
    RowIdQuery,
    SessionDep,
    actor_of,
    verify_csrf,
)
from yrdplan.web.render import render
from yrdplan.web.routes.tasks import _flash_text, flash
from yrdplan.web.uploads import upload_limit, upload_source
from yrdplan.web.views import plans as views

router = APIRouter()


@router.get("/plans", response_model=views.PlansPagePublic, tags=["plans"])
def plans_page(request: Request, session: SessionDep, user: OptionalUser):
    """Every plan the user may read (drafts only for the office), with its task count."""
    model = views.plans_page(session, user)
    return render(request, "plans.html", model.model_dump(mode="json"), user)


@router.post("/plans/import", include_in_schema=False, dependencies=[Depends(verify_csrf)])
async def import_page(
    request: Request,
    database: DatabaseDep,
    user: OfficeUser,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form()] = "implementation_plan",
    region: Annotated[str, Form()] = "",
    parent: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
):
    upload = await upload_source(file, upload_limit(request), "plan.txt")
    options = ImportOptions(
        plan_kind=kind, plan=code or None, region=region or None, parent=parent or None
    )
    with database.write(actor_of(user)) as session:
        result = import_file(session, user, "plans", upload, options)
    return RedirectResponse(f"/plans/{result.plan_id}/versions/{result.version}", status_code=303)


def _version_page(
    request: Request, session: Session, user: UserInfo | None, ref: str, number: int | None
):
    model = views.plan_page(session, user, ref, number)
    return render(
        request,
        "plan.html",
        model.model_dump(mode="json"),
        user,
        extra={"flash": _flash_text(request)},
    )


@router.get("/plans/{ref}", response_model=views.PlanPagePublic, tags=["plans"])
def plan_page(ref: str, request: Request, session: SessionDep, user: OptionalUser):
    """A plan's version in force (the office: its newest draft), as the review page shows it."""
    return _version_page(request, session, user, ref, None)


@router.get("/plans/{ref}/versions/{number}", response_model=views.PlanPagePublic, tags=["plans"])
def plan_version_page(
    ref: str, number: RowId, request: Request, session: SessionDep, user: OptionalUser
):
    """One version of a plan: its tree, source text, targets, tables, baselines and problems."""
    return _version_page(request, session, user, ref, number)


@router.post(
    "/plans/{ref}/versions/{number}/confirm",
    include_in_schema=False,
    dependencies=[Depends(verify_csrf)],
)
def confirm(ref: str, number: RowId, database: DatabaseDep, user: OfficeUser):
    with database.write(actor_of(user)) as session:
        summary = plan_service.confirm_version(session, ref, number, user=user)
        plan_id = plan_repo.find_plan(session, ref).id
    return RedirectResponse(f"/plans/{plan_id}/versions/{summary['version']}", status_code=303)


@router.post(
    "/plans/{ref}/versions/{number}/baselines/import",
    include_in_schema=False,
    dependencies=[Depends(verify_csrf)],
)
def import_baselines(
    ref: str, number: RowId, request: Request, database: DatabaseDep, user: CurrentUser
):
    with database.write(actor_of(user)) as session:
        summary = plan_service.import_baselines(session, user, ref, number)
        plan_id = plan_repo.find_plan(session, ref).id
    flash(
        request,
        "plans.flash.baselines",
        written=summary["added"] + summary["revised"],
        unchanged=summary["unchanged"],
        skipped=sum(summary["skipped"].values()),
    )
    return RedirectResponse(f"/plans/{plan_id}/versions/{number}#baselines", status_code=303)


@router.post("/plans/nodes/{node_id}", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def edit_node(
    node_id: RowId,
    database: DatabaseDep,
    user: OfficeUser,
    title: Annotated[str, Form()],
    kind: Annotated[str, Form()],
    is_task: Annotated[bool, Form()] = False,
    split_at: Annotated[str, Form()] = "",
):
    with database.write(actor_of(user)) as session:
        node = plan_service.edit_node(
            session, node_id, title=title.strip(), kind=kind, is_task=is_task
        )
        if split_at.strip():
            position = node.text.find(split_at.strip())
            if position <= 0:
                raise InputError(
                    f"“{split_at.strip()}” does not start anywhere after the beginning of this node's text"
                )
            plan_service.split_node(session, node_id, position)
        version = plan_repo.version_of_node(session, node_id)
        target = f"/plans/{version.plan_id}/versions/{version.version}#node-{node_id}"
    return RedirectResponse(target, status_code=303)


@router.get("/plans/{ref}/diff", response_model=views.DiffPagePublic, tags=["plans"])
def diff_page(
    ref: str,
    request: Request,
    session: SessionDep,
    user: OfficeUser,
    old: Annotated[int, Query(ge=1, le=MAX_ROW_ID)] = 1,
    new: RowIdQuery = None,
):
    """What changed between two versions of a plan (office and admin)."""
    model = views.diff_page(session, ref, old, new)
    return render(request, "plan_diff.html", model.model_dump(mode="json"), user)


@router.get("/plans/{ref}/links", response_model=views.LinksPagePublic, tags=["plans"])
def links_page(ref: str, request: Request, session: SessionDep, user: OptionalUser):
    """The links from the plan's tasks to the nodes of the plan above it."""
    model = views.links_page(session, user, ref)
    return render(request, "plan_links.html", model.model_dump(mode="json"), user)


@router.post(
    "/plans/{ref}/links/suggest", include_in_schema=False, dependencies=[Depends(verify_csrf)]
)
def suggest(ref: str, database: DatabaseDep, user: OfficeUser, upper: Annotated[str, Form()] = ""):
    with database.write(actor_of(user)) as session:
        plan_service.suggest_plan_links(session, ref, upper or None)
        plan_id = plan_repo.find_plan(session, ref).id
    return RedirectResponse(f"/plans/{plan_id}/links", status_code=303)


@router.post("/plans/links/{link_id}", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def decide(
    link_id: RowId, database: DatabaseDep, user: OfficeUser, decision: Annotated[str, Form()]
):
    if decision not in ("confirm", "reject"):
        raise InputError(f"decision {decision!r} is not confirm or reject")
    with database.write(actor_of(user)) as session:
        link = plan_service.decide_link(session, link_id, decision == "confirm", user=user)
        version = plan_repo.version_of_node(session, link.lower_node_id)
    return RedirectResponse(f"/plans/{version.plan_id}/links", status_code=303)


# --- API ------------------------------------------------------------------------------------------


@router.get("/api/plans", response_model=views.PlansPagePublic, tags=["plans"])
def api_plans(session: SessionDep, user: OptionalUser):
    """The plan list (drafts only for the office): what `/plans?format=json` answers."""
    return views.plans_page(session, user)


@router.get("/api/plans/{ref}", response_model=views.PlanPagePublic, tags=["plans"])
def api_plan(ref: str, session: SessionDep, user: OptionalUser, version: RowIdQuery = None):
    """One plan version with its nodes, targets and problems: what its review page shows."""
    return views.plan_page(session, user, ref, version)

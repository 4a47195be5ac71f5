"""Plans: the list, import, the review of a draft (tree, source, targets, problems), confirmation,
versions and their diff, and links to the plan above."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo
from yrdplan.domain.plans import NODE_KINDS, PLAN_KINDS
from yrdplan.errors import InputError
from yrdplan.ingest.clean import clean_text
from yrdplan.services import plans as plan_service
from yrdplan.services.imports import ImportOptions, import_file
from yrdplan.store.repos import plans as plan_repo
from yrdplan.store.schema import NodeLink, Plan, PlanNode, PlanVersion, Task
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
from yrdplan.web.views.plan_sources import plan_sources_view

router = APIRouter()
KIND_LABELS = {
    "outline": "规划纲要",
    "implementation_plan": "实施方案",
    "action_plan": "行动计划",
    "annual_priorities": "工作要点",
    "guidance": "指导意见",
}


def plans_view_data(session: Session, user: UserInfo | None) -> dict:
    task_counts = dict(
        session.execute(select(Task.plan_id, func.count()).group_by(Task.plan_id)).all()
    )
    rows = []
    for plan in plan_repo.list_plans(session):
        if plan.status == "draft" and not plan_service.may_read_drafts(user):
            continue
        rows.append(
            {
                "id": plan.id,
                "code": plan.code,
                "title": plan.title,
                "kind": plan.kind,
                "kind_label": KIND_LABELS.get(plan.kind, plan.kind),
                "region": plan.region_code,
                "version": plan.current_version,
                "status": plan.status,
                "tasks": task_counts.get(plan.id, 0),
                "parent_id": plan.parent_plan_id,
            }
        )
    return {"plans": rows, "kinds": [{"code": k, "label": KIND_LABELS[k]} for k in PLAN_KINDS]}


def _segments(text: str, marks: list[tuple[int, str]]) -> list[dict]:
    """A node's clean text split so that each target's phrase can be highlighted.

    ``marks`` are (target index, the target's phrase as cleaned); each is looked for once, in
    document order, after the previous one.
    """
    pieces, cursor = [], 0
    for index, phrase in marks:
        at = text.find(phrase, cursor) if phrase else -1
        if at < 0:
            continue
        pieces.append({"text": text[cursor:at], "target": None})
        pieces.append({"text": phrase, "target": index})
        cursor = at + len(phrase)
    pieces.append({"text": text[cursor:], "target": None})
    return [p for p in pieces if p["text"]]


def plan_view_data(session: Session, plan: Plan, version: PlanVersion) -> dict:
    nodes = plan_repo.nodes_of(session, version)
    targets = plan_repo.targets_of(session, version)
    depth: dict[int, int] = {}
    for node in nodes:
        depth[node.id] = depth.get(node.parent_id, -1) + 1 if node.parent_id else 0
    source = version.original_text
    # Targets point into the original (perhaps traditional, glossed) text; show them in the
    # node's clean text by cleaning the same span the way the importer did.
    phrases = [clean_text(source[t.start : t.end]).text.strip() for t in targets]
    marks_of: dict[int | None, list[tuple[int, str]]] = {}
    for index, target in enumerate(targets):
        marks_of.setdefault(target.node_id, []).append((index, phrases[index]))
    versions = session.scalars(
        select(PlanVersion).where(PlanVersion.plan_id == plan.id).order_by(PlanVersion.version)
    )
    sources = plan_sources_view(session, version, bool(plan.region_code))
    links = session.scalar(
        select(func.count())
        .select_from(NodeLink)
        .where(NodeLink.lower_node_id.in_([n.id for n in nodes]))
    )
    return {
        "plan": {
            "id": plan.id,
            "code": plan.code,
            "title": plan.title,
            "kind": plan.kind,
            "kind_label": KIND_LABELS.get(plan.kind, plan.kind),
            "region": plan.region_code,
            "issuer": plan.issuer,
            "issued_on": plan.issued_on,
            "parent_id": plan.parent_plan_id,
            "status": plan.status,
        },
        "version": {
            "number": version.version,
            "status": version.status,
            "source_name": version.source_name,
            "confirmed_at": version.confirmed_at,
        },
        "versions": [
            {"number": v.version, "status": v.status, "created_at": v.created_at} for v in versions
        ],
        "problems": version.problems,
        "nodes": [
            {
                "id": n.id,
                "key": n.node_key,
                "parent_id": n.parent_id,
                "depth": depth[n.id],
                "kind": n.kind,
                "label": n.label,
                "ordinal": n.ordinal,
                "path": n.path,
                "title": n.title,
                "is_task": n.is_task,
                "start": n.start,
                "end": n.end,
                "source": _segments(n.text, marks_of.get(n.id, [])),
                "original": source[n.start : n.end],
            }
            for n in nodes
        ],
        "targets": [
            {
                "index": i,
                "node_id": t.node_id,
                "indicator": t.indicator,
                "indicator_code": t.indicator_code,
                "comparator": t.comparator,
                "value": t.value,
                "value_high": t.value_high,
                "unit": t.unit,
                "year": t.year,
                "base_year": t.base_year,
                "relative_change": t.relative_change,
                "standard": t.standard,
                "kind": t.kind,
                "table": t.table_key,
                "note": t.note,
                "text": phrases[i],
                "original": source[t.start : t.end],
            }
            for i, t in enumerate(targets)
        ],
        "counts": {
            "nodes": len(nodes),
            "tasks": sum(n.is_task for n in nodes),
            "targets": len(targets),
            "baselines": len(sources.baselines),
        },
        "sources": sources.model_dump(mode="json"),
        "links": links,
        "node_kinds": list(NODE_KINDS),
    }


@router.get("/plans", include_in_schema=False)
def plans_page(request: Request, session: SessionDep, user: OptionalUser):
    return render(request, "plans.html", plans_view_data(session, user), user)


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
    plan, version = plan_service.readable_version(session, user, ref, number)
    data = plan_view_data(session, plan, version)
    return render(request, "plan.html", data, user, extra={"flash": _flash_text(request)})


@router.get("/plans/{ref}", include_in_schema=False)
def plan_page(ref: str, request: Request, session: SessionDep, user: OptionalUser):
    return _version_page(request, session, user, ref, None)


@router.get("/plans/{ref}/versions/{number}", include_in_schema=False)
def plan_version_page(
    ref: str, number: RowId, request: Request, session: SessionDep, user: OptionalUser
):
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
        version = session.get(PlanVersion, node.version_id)
        target = f"/plans/{version.plan_id}/versions/{version.version}#node-{node_id}"
    return RedirectResponse(target, status_code=303)


@router.get("/plans/{ref}/diff", include_in_schema=False)
def diff_page(
    ref: str,
    request: Request,
    session: SessionDep,
    user: OfficeUser,
    old: Annotated[int, Query(ge=1, le=MAX_ROW_ID)] = 1,
    new: RowIdQuery = None,
):
    plan = plan_repo.find_plan(session, ref)
    new = new or plan_repo.latest_version_number(session, plan)
    data = {
        "plan": {"id": plan.id, "code": plan.code, "title": plan.title},
        "from": old,
        "to": new,
        "diff": plan_service.diff_versions(session, plan.id, old, new).to_dict(),
    }
    return render(request, "plan_diff.html", data, user)


def links_view_data(session: Session, plan: Plan) -> dict:
    version = plan_repo.get_version(session, plan)
    lower = {n.id: n for n in plan_repo.nodes_of(session, version)}
    links = session.scalars(
        select(NodeLink)
        .where(NodeLink.lower_node_id.in_(list(lower)))
        .order_by(NodeLink.lower_node_id, NodeLink.score.desc())
    ).all()
    upper = {
        n.id: n
        for n in session.scalars(
            select(PlanNode).where(PlanNode.id.in_([x.upper_node_id for x in links]))
        )
    }
    parent = session.get(Plan, plan.parent_plan_id) if plan.parent_plan_id else None
    return {
        "plan": {"id": plan.id, "code": plan.code, "title": plan.title},
        "parent": {"id": parent.id, "title": parent.title} if parent else None,
        "candidates": [
            {"id": p.id, "title": p.title}
            for p in plan_repo.list_plans(session)
            if p.id != plan.id and p.status == "confirmed"
        ],
        "links": [
            {
                "id": x.id,
                "status": x.status,
                "score": x.score,
                "lower": {
                    "id": x.lower_node_id,
                    "label": lower[x.lower_node_id].label,
                    "title": lower[x.lower_node_id].title,
                },
                "upper": {
                    "id": x.upper_node_id,
                    "label": upper[x.upper_node_id].label,
                    "title": upper[x.upper_node_id].title,
                },
            }
            for x in links
        ],
    }


@router.get("/plans/{ref}/links", include_in_schema=False)
def links_page(ref: str, request: Request, session: SessionDep, user: OptionalUser):
    plan = plan_service.readable_plan(session, user, ref)
    return render(request, "plan_links.html", links_view_data(session, plan), user)


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
        version = session.get(PlanVersion, session.get(PlanNode, link.lower_node_id).version_id)
    return RedirectResponse(f"/plans/{version.plan_id}/links", status_code=303)


# --- API ------------------------------------------------------------------------------------------


@router.get("/api/plans", tags=["plans"])
def api_plans(session: SessionDep, user: OptionalUser) -> list[dict]:
    """Stored plans (drafts only for the office): id, code, title, kind, region, version, status."""
    return [
        p
        for p in plan_service.list_plans_public(session)
        if p["status"] != "draft" or plan_service.may_read_drafts(user)
    ]


@router.get("/api/plans/{ref}", tags=["plans"])
def api_plan(ref: str, session: SessionDep, user: OptionalUser, version: RowIdQuery = None) -> dict:
    """One plan version with its nodes, targets and problems (the review page's data)."""
    plan, row = plan_service.readable_version(session, user, ref, version)
    return plan_view_data(session, plan, row)

"""What the plan pages show: the list, one version under review (tree, source, targets,
problems, tables and baselines), the diff of two versions, and the links to the plan above.
Codes and numbers only; the templates turn a plan's kind or status into zh/en text."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo
from yrdplan.domain.plans import NODE_KINDS, PLAN_KINDS
from yrdplan.ingest.clean import clean_text
from yrdplan.services import plans as plan_service
from yrdplan.store.repos import plans as plan_repo
from yrdplan.store.schema import Plan, PlanVersion
from yrdplan.web.views.plan_sources import PlanSourcesPublic, plan_sources_view
from yrdplan.web.views.times import UtcDateTime


class PlanRefPublic(BaseModel):
    """Enough of a plan to name it and link to it."""

    id: int
    code: str
    title: str


class PlanPublic(PlanRefPublic):
    kind: str  # one of PLAN_KINDS; the template says it as t('plan.kind.' ~ kind)
    region: str | None
    issuer: str
    issued_on: date | None
    parent_id: int | None
    status: str  # draft, confirmed, superseded
    version: int  # the version in force


class PlanSummaryPublic(PlanPublic):
    """A row of the plan list: the plan and how many tasks it holds."""

    tasks: int


def plan_public(plan: Plan) -> PlanPublic:
    return PlanPublic(**_plan_fields(plan))


def _plan_fields(plan: Plan) -> dict[str, Any]:
    return {
        "id": plan.id,
        "code": plan.code,
        "title": plan.title,
        "kind": plan.kind,
        "region": plan.region_code,
        "issuer": plan.issuer,
        "issued_on": plan.issued_on,
        "parent_id": plan.parent_plan_id,
        "status": plan.status,
        "version": plan.current_version,
    }


# -- the list -----------------------------------------------------------------------------------


class PlansPagePublic(BaseModel):
    plans: list[PlanSummaryPublic]
    kinds: list[str]  # the kinds a new plan may have, for the import form


def plans_page(session: Session, user: UserInfo | None) -> PlansPagePublic:
    """Every plan the user may read (drafts only for the office), with its task count."""
    tasks = plan_repo.task_counts(session)
    drafts = plan_service.may_read_drafts(user)
    return PlansPagePublic(
        plans=[
            PlanSummaryPublic(**_plan_fields(plan), tasks=tasks.get(plan.id, 0))
            for plan in plan_repo.list_plans(session)
            if plan.status != "draft" or drafts
        ],
        kinds=list(PLAN_KINDS),
    )


# -- one version --------------------------------------------------------------------------------


class VersionPublic(BaseModel):
    number: int
    status: str
    source_name: str
    confirmed_at: UtcDateTime | None


class VersionListItem(BaseModel):
    number: int
    status: str
    created_at: UtcDateTime | None


class ProblemPublic(BaseModel):
    kind: str
    message: str
    severity: str
    start: int | None = None
    end: int | None = None


class SegmentPublic(BaseModel):
    """A piece of a node's clean text; ``target`` is the index of the target it states."""

    text: str
    target: int | None


class NodePublic(BaseModel):
    id: int
    key: str
    parent_id: int | None
    depth: int
    kind: str
    label: str
    ordinal: int
    path: str
    title: str
    is_task: bool
    start: int
    end: int
    source: list[SegmentPublic]
    original: str


class TargetPublic(BaseModel):
    index: int
    node_id: int | None
    indicator: str
    indicator_code: str | None
    comparator: str
    value: float | None
    value_high: float | None
    unit: str
    year: int | None
    base_year: int | None
    relative_change: float | None
    standard: str | None
    kind: str | None
    table: str | None
    note: str | None
    text: str  # the target's phrase as cleaned, as highlighted in its node
    original: str


class PlanCountsPublic(BaseModel):
    nodes: int
    tasks: int
    targets: int
    baselines: int


class PlanPagePublic(BaseModel):
    plan: PlanPublic
    version: VersionPublic
    versions: list[VersionListItem]
    problems: list[ProblemPublic]
    nodes: list[NodePublic]
    targets: list[TargetPublic]
    counts: PlanCountsPublic
    sources: PlanSourcesPublic
    links: int  # links up from this version's nodes, any status
    node_kinds: list[str]


def _segments(text: str, marks: list[tuple[int, str]]) -> list[SegmentPublic]:
    """A node's clean text split so that each target's phrase can be highlighted.

    ``marks`` are (target index, the target's phrase as cleaned); each is looked for once, in
    document order, after the previous one.
    """
    pieces, cursor = [], 0
    for index, phrase in marks:
        at = text.find(phrase, cursor) if phrase else -1
        if at < 0:
            continue
        pieces.append(SegmentPublic(text=text[cursor:at], target=None))
        pieces.append(SegmentPublic(text=phrase, target=index))
        cursor = at + len(phrase)
    pieces.append(SegmentPublic(text=text[cursor:], target=None))
    return [p for p in pieces if p.text]


def plan_page(
    session: Session, user: UserInfo | None, ref: str | int, number: int | None
) -> PlanPagePublic:
    """The version ``number`` of a plan (by default the newest draft for the office, else the
    version in force), if the user may read it; ``NotFoundError`` otherwise."""
    plan, version = plan_service.readable_version(session, user, ref, number)
    return plan_version_view(session, plan, version)


def plan_version_view(session: Session, plan: Plan, version: PlanVersion) -> PlanPagePublic:
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
    sources = plan_sources_view(session, version, bool(plan.region_code))
    return PlanPagePublic(
        plan=plan_public(plan),
        version=VersionPublic(
            number=version.version,
            status=version.status,
            source_name=version.source_name,
            confirmed_at=version.confirmed_at,
        ),
        versions=[
            VersionListItem(number=v.version, status=v.status, created_at=v.created_at)
            for v in plan_repo.versions_of(session, plan)
        ],
        problems=[ProblemPublic(**p) for p in version.problems or []],
        nodes=[
            NodePublic(
                id=n.id,
                key=n.node_key,
                parent_id=n.parent_id,
                depth=depth[n.id],
                kind=n.kind,
                label=n.label,
                ordinal=n.ordinal,
                path=n.path,
                title=n.title,
                is_task=n.is_task,
                start=n.start,
                end=n.end,
                source=_segments(n.text, marks_of.get(n.id, [])),
                original=source[n.start : n.end],
            )
            for n in nodes
        ],
        targets=[
            TargetPublic(
                index=i,
                node_id=t.node_id,
                indicator=t.indicator,
                indicator_code=t.indicator_code,
                comparator=t.comparator,
                value=t.value,
                value_high=t.value_high,
                unit=t.unit,
                year=t.year,
                base_year=t.base_year,
                relative_change=t.relative_change,
                standard=t.standard,
                kind=t.kind,
                table=t.table_key,
                note=t.note,
                text=phrases[i],
                original=source[t.start : t.end],
            )
            for i, t in enumerate(targets)
        ],
        counts=PlanCountsPublic(
            nodes=len(nodes),
            tasks=sum(n.is_task for n in nodes),
            targets=len(targets),
            baselines=len(sources.baselines),
        ),
        sources=sources,
        links=plan_repo.count_links_from(session, [n.id for n in nodes]),
        node_kinds=list(NODE_KINDS),
    )


# -- the diff of two versions -------------------------------------------------------------------


class DiffNodePublic(BaseModel):
    """A node as parsed (``id``/``parent`` are node keys, offsets into its version's text)."""

    id: str
    parent: str | None
    kind: str
    label: str
    ordinal: int
    title: str
    text: str
    start: int
    end: int


class DiffTargetPublic(BaseModel):
    indicator: str
    indicator_code: str | None
    value: float | None
    value_high: float | None
    unit: str
    comparator: str
    year: int | None
    base_year: int | None
    relative_change: float | None
    standard: str | None
    node: str | None
    start: int
    end: int
    kind: str | None = None
    table: str | None = None
    note: str | None = None


class FieldChangePublic(BaseModel):
    field: str
    old: Any
    new: Any


class NodeChangePublic(BaseModel):
    old_id: str
    new_id: str
    path: str
    changes: list[FieldChangePublic]


class TargetChangePublic(BaseModel):
    indicator: str
    year: int | None
    changes: list[FieldChangePublic]


class NodeDiffPublic(BaseModel):
    added: list[DiffNodePublic]
    removed: list[DiffNodePublic]
    changed: list[NodeChangePublic]


class TargetDiffPublic(BaseModel):
    added: list[DiffTargetPublic]
    removed: list[DiffTargetPublic]
    changed: list[TargetChangePublic]


class PlanDiffPublic(BaseModel):
    summary: dict[str, int]
    nodes: NodeDiffPublic
    targets: TargetDiffPublic


class DiffPagePublic(BaseModel):
    plan: PlanPublic
    old: int
    new: int
    diff: PlanDiffPublic


def diff_page(session: Session, ref: str | int, old: int, new: int | None) -> DiffPagePublic:
    """What changed from version ``old`` to ``new`` (default: the newest) of a plan."""
    plan = plan_repo.find_plan(session, ref)
    new = new or plan_repo.latest_version_number(session, plan)
    diff = plan_service.diff_versions(session, plan.id, old, new)
    return DiffPagePublic(
        plan=plan_public(plan), old=old, new=new, diff=PlanDiffPublic(**diff.to_dict())
    )


# -- links to the plan above --------------------------------------------------------------------


class LinkedNodePublic(BaseModel):
    id: int
    label: str
    title: str


class LinkPublic(BaseModel):
    id: int
    status: str  # suggested, confirmed, rejected
    score: float | None
    lower: LinkedNodePublic
    upper: LinkedNodePublic


class LinksPagePublic(BaseModel):
    plan: PlanPublic
    parent: PlanRefPublic | None
    candidates: list[PlanRefPublic]  # confirmed plans this one may be linked to
    links: list[LinkPublic]


def _linked(node) -> LinkedNodePublic:
    return LinkedNodePublic(id=node.id, label=node.label, title=node.title)


def links_page(session: Session, user: UserInfo | None, ref: str | int) -> LinksPagePublic:
    """The links from the plan's tasks (version in force) to the nodes of the plan above."""
    plan = plan_service.readable_plan(session, user, ref)
    version = plan_repo.get_version(session, plan)
    lower = {n.id: n for n in plan_repo.nodes_of(session, version)}
    links = plan_repo.links_from(session, list(lower))
    upper = plan_repo.nodes_by_id(session, [x.upper_node_id for x in links])
    parent = plan_repo.parent_of(session, plan)
    return LinksPagePublic(
        plan=plan_public(plan),
        parent=PlanRefPublic(id=parent.id, code=parent.code, title=parent.title)
        if parent
        else None,
        candidates=[
            PlanRefPublic(id=p.id, code=p.code, title=p.title)
            for p in plan_repo.list_plans(session)
            if p.id != plan.id and p.status == "confirmed"
        ],
        links=[
            LinkPublic(
                id=x.id,
                status=x.status,
                score=x.score,
                lower=_linked(lower[x.lower_node_id]),
                upper=_linked(upper[x.upper_node_id]),
            )
            for x in links
        ],
    )

"""Page data for bulletins, evaluations, assessments, feedback and the public portal.

Each function returns a ``…Public`` model: codes and numbers (names from the data itself), no
UI prose; templates turn codes into zh/en text. The public portal reads only what is published:
the published bulletins and, for its completion overview and indicator dashboard, the snapshot
of the latest published bulletin — never the live tables.
"""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo
from yrdplan.reports.bulletin import LEVEL_COLOURS, NO_DATA_COLOUR
from yrdplan.reports.documents import FORMATS
from yrdplan.services import bulletins as service
from yrdplan.services import feedback as feedback_service
from yrdplan.services.bulletin_snapshot import ASSESSMENT_KINDS, STAGES
from yrdplan.services.evaluations import DEFAULT_DIMENSIONS, list_assessments, may_enter
from yrdplan.services.plans import list_plans_public
from yrdplan.store.repos import tasks as task_repo
from yrdplan.store.schema import Bulletin, BulletinFile


class BulletinSummary(BaseModel):
    id: int
    kind: str
    title: str
    status: str
    scope: str | None
    plan: str | None
    cycle_id: int | None
    period: str
    as_of: str | None
    issuer: str | None
    snapshot_sha256: str
    simulated: bool
    created_at: str | None
    published_at: str | None
    row_version: int


class CycleChoice(BaseModel):
    id: int
    plan: str
    name: str
    status: str


class PlanChoice(BaseModel):
    code: str
    title: str


class BulletinListPublic(BaseModel):
    bulletins: list[BulletinSummary]
    can_manage: bool
    cycles: list[CycleChoice]
    plans: list[PlanChoice]
    stages: list[str]
    new_feedback: int


class FileInfo(BaseModel):
    format: str
    filename: str
    size: int
    sha256: str


class FeedbackPublic(BaseModel):
    id: int
    text: str
    created_at: str
    answer: str
    answered_at: str | None


class BulletinDetailPublic(BaseModel):
    bulletin: BulletinSummary
    family: str
    texts: dict[str, str]
    text_fields: list[str]
    withdrawn_at: str | None
    withdrawn_reason: str
    files: list[FileInfo]
    formats: list[str]
    can_manage: bool
    feedback: list[FeedbackPublic]


class AssessmentPublic(BaseModel):
    id: int
    kind: str
    assessor: str
    scores: dict[str, float]
    text: str
    entered_at: str


class AssessmentsPublic(BaseModel):
    plan: str
    stage: str
    plans: list[PlanChoice]
    stages: list[str]
    kinds: list[str]
    may_enter: list[str]
    dimensions: list[str]
    assessments: list[AssessmentPublic]


class FeedbackOfficeRow(BaseModel):
    id: int
    bulletin_id: int | None
    plan_id: int | None
    text: str
    contact: str
    created_at: str
    status: str
    answer: str
    answered_at: str | None
    is_published: bool


class FeedbackOfficePublic(BaseModel):
    feedback: list[FeedbackOfficeRow]


class CompletionRow(BaseModel):
    group: str
    total: float
    completed: float
    rate: float | None


class PortalCompletion(BaseModel):
    bulletin_id: int
    as_of: str
    overall: CompletionRow
    plans: list[CompletionRow]


class PortalIndicator(BaseModel):
    code: str
    name: str
    unit: str
    regions: int
    targets: int
    warnings: dict[str, int]
    simulated: bool


class PortalMapArea(BaseModel):
    code: str
    name: str
    level: str | None


class PortalDashboard(BaseModel):
    bulletin_id: int
    counts: dict[str, int]
    indicators: list[PortalIndicator]
    cities: list[PortalMapArea]


class PortalPublic(BaseModel):
    bulletins: list[BulletinSummary]
    evaluations: list[BulletinSummary]
    completion: PortalCompletion | None
    dashboard: PortalDashboard | None
    plans: list[PlanChoice]
    simulated: bool


def _plans(session: Session) -> list[PlanChoice]:
    return [
        PlanChoice(code=p["code"], title=p["title"])
        for p in list_plans_public(session)
        if p["status"] == "confirmed"
    ]


def bulletin_list_view(session: Session, user: UserInfo | None) -> BulletinListPublic:
    manage = bool(user and user.can_manage)
    cycles = []
    if manage:
        plans = {
            p.id: p.code
            for p in task_repo.plans_by_id(
                session, {c.plan_id for c in task_repo.cycles(session) if c.plan_id}
            ).values()
        }
        cycles = [
            CycleChoice(id=c.id, plan=plans.get(c.plan_id, ""), name=c.name, status=c.status)
            for c in sorted(task_repo.cycles(session), key=lambda c: -c.id)
        ]
    return BulletinListPublic(
        bulletins=[BulletinSummary(**b) for b in service.list_bulletins(session, user)],
        can_manage=manage,
        cycles=cycles,
        plans=_plans(session) if manage else [],
        stages=list(STAGES),
        new_feedback=len(feedback_service.list_feedback(session, user, status="new"))
        if manage
        else 0,
    )


def bulletin_detail_view(
    session: Session, user: UserInfo | None, bulletin_id: int
) -> BulletinDetailPublic:
    bulletin = service.readable_bulletin(session, user, bulletin_id)
    data = service.bulletin_public(bulletin, full=True)
    files = session.scalars(
        select(BulletinFile)
        .where(BulletinFile.bulletin_id == bulletin.id)
        .order_by(BulletinFile.format)
    )
    kind = service.family(bulletin.kind)
    return BulletinDetailPublic(
        bulletin=BulletinSummary(
            **{k: v for k, v in data.items() if k in BulletinSummary.model_fields}
        ),
        family=kind,
        texts=data["texts"],
        text_fields=list(service.TEXT_FIELDS[kind]),
        withdrawn_at=data["withdrawn_at"],
        withdrawn_reason=data["withdrawn_reason"],
        files=[
            FileInfo(format=f.format, filename=f.filename, size=f.size, sha256=f.sha256)
            for f in files
        ],
        formats=list(FORMATS),
        can_manage=bool(user and user.can_manage),
        feedback=[
            FeedbackPublic(**f)
            for f in feedback_service.published_feedback(session, bulletin_id=bulletin.id)
        ],
    )


def assessments_view(session: Session, user: UserInfo, plan: str, stage: str) -> AssessmentsPublic:
    rows = list_assessments(session, user, plan, stage)
    return AssessmentsPublic(
        plan=plan,
        stage=stage,
        plans=_plans(session),
        stages=list(STAGES),
        kinds=list(ASSESSMENT_KINDS),
        may_enter=[k for k in ASSESSMENT_KINDS if may_enter(user, k)],
        dimensions=list(DEFAULT_DIMENSIONS),
        assessments=[AssessmentPublic(**r) for r in rows],
    )


def feedback_office_view(session: Session, user: UserInfo) -> FeedbackOfficePublic:
    return FeedbackOfficePublic(
        feedback=[FeedbackOfficeRow(**r) for r in feedback_service.list_feedback(session, user)]
    )


def _latest_published(session: Session) -> Bulletin | None:
    return session.scalars(
        select(Bulletin)
        .where(Bulletin.status == "published", Bulletin.kind == "bulletin")
        .order_by(Bulletin.published_at.desc(), Bulletin.id.desc())
        .limit(1)
    ).first()


def portal_view(session: Session) -> PortalPublic:
    """The public portal: published documents, and the latest published bulletin's overview."""
    published = [BulletinSummary(**b) for b in service.list_bulletins(session, None)]
    latest = _latest_published(session)
    completion = dashboard = None
    if latest is not None:
        snapshot = latest.snapshot
        overall = snapshot["completion"]["overall"]
        completion = PortalCompletion(
            bulletin_id=latest.id,
            as_of=snapshot["scope"]["as_of"],
            overall=CompletionRow(
                group="",
                total=overall["total"],
                completed=overall["completed"],
                rate=overall["rate"],
            ),
            plans=[
                CompletionRow(
                    group=p["plan_title"],
                    total=p["overall"]["total"],
                    completed=p["overall"]["completed"],
                    rate=p["overall"]["rate"],
                )
                for p in snapshot["completion"]["plans"]
            ],
        )
        indicators = snapshot["indicators"]
        levels = indicators["city_levels"]
        dashboard = PortalDashboard(
            bulletin_id=latest.id,
            counts=indicators["dashboard"]["counts"],
            indicators=[
                PortalIndicator(**{k: d[k] for k in PortalIndicator.model_fields})
                for d in indicators["dashboard"]["indicators"]
            ],
            cities=[
                PortalMapArea(code=o["code"], name=o["name"], level=levels.get(o["code"]))
                for o in snapshot["outlines"]
            ],
        )
    return PortalPublic(
        bulletins=[b for b in published if b.kind == "bulletin"],
        evaluations=[b for b in published if b.kind != "bulletin"],
        completion=completion,
        dashboard=dashboard,
        plans=_plans(session),
        simulated=bool(latest and latest.snapshot.get("simulated")),
    )


def portal_map_svg(session: Session, dashboard: PortalDashboard | None) -> str:
    """The 41-city map of the published dashboard (HTML only), drawn from the same snapshot."""
    if dashboard is None:
        return ""
    from yrdplan.reports.maps import MapArea, render_svg_map

    bulletin = session.get(Bulletin, dashboard.bulletin_id)
    import json

    outlines = {o["code"]: o for o in bulletin.snapshot["outlines"]}
    areas = [
        MapArea(
            c.code,
            c.name,
            json.dumps(outlines[c.code]["geometry"]),
            fill=LEVEL_COLOURS.get(c.level, NO_DATA_COLOUR),
            tooltip=f"{c.name}: {c.level or '—'}",
        )
        for c in dashboard.cities
    ]
    return render_svg_map(areas, width=560) if areas else ""

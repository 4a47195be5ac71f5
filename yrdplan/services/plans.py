"""Plans from text: import a document as a draft version, review it, confirm it, revise it, link it.

Confirming a version is what makes its task nodes into tracked ``tasks`` (matched by numbering
path, so a revision keeps their assignments and reports) and its catalogue-matched targets into
``targets`` revisions for the plan's region.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from yrdplan.analytics.link_suggest import suggest_links
from yrdplan.domain.indicators import Observation
from yrdplan.domain.people import UserInfo
from yrdplan.domain.plan_diff import PlanDiff, diff_plans
from yrdplan.domain.plans import NODE_KINDS, PLAN_KINDS, ParsedPlan
from yrdplan.errors import ConflictError, InputError, NotFoundError, PermissionDenied
from yrdplan.services.callers import require_caller, require_manager, user_id_of
from yrdplan.services.indicator_data import check_region_rights
from yrdplan.store.repos import plans as plan_repo
from yrdplan.store.repos import users as user_repo
from yrdplan.store.repos.indicators import add_observations
from yrdplan.store.repos.regions import get_region
from yrdplan.store.schema import (
    IndicatorRecord,
    NodeLink,
    Plan,
    PlanNode,
    PlanVersion,
    TargetRecord,
    Task,
    utcnow,
)


@dataclass
class ImportResult:
    plan_id: int
    code: str
    version: int
    nodes: int
    tasks: int
    targets: int
    problems: int
    diff: dict | None = None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class PlanMeta:
    """What the user says about a document that its text may not."""

    kind: str = "implementation_plan"
    code: str | None = None
    title: str | None = None
    region: str | None = None
    parent: str | None = None
    issuer: str | None = None
    issued_on: date | None = None
    round: str = ""
    extra: dict = field(default_factory=dict)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "plan"


def _unique_code(session: Session, base: str) -> str:
    code, n = base, 1
    while session.scalar(select(Plan.id).where(Plan.code == code)):
        n += 1
        code = f"{base}-{n}"
    return code


def _check_meta(session: Session, meta: PlanMeta) -> Plan | None:
    if meta.kind not in PLAN_KINDS:
        raise InputError(f"kind {meta.kind!r} is not one of {', '.join(PLAN_KINDS)}")
    if meta.region:
        get_region(session, meta.region)  # NotFoundError names the unknown code
    return plan_repo.find_plan(session, meta.parent) if meta.parent else None


def import_plan(
    session: Session, parsed: ParsedPlan, meta: PlanMeta, *, user: UserInfo
) -> ImportResult:
    """Store ``parsed`` as a draft: a new plan, or a new version of the plan ``meta.code`` names.

    A new version never overwrites: the earlier ones stay, and the result carries the diff
    against the newest of them. Only the office (or an admin) loads plans.
    """
    actor_id = user_id_of(require_manager(user, "load plans"))
    parent = _check_meta(session, meta)
    existing = session.scalar(select(Plan).where(Plan.code == meta.code)) if meta.code else None
    diff = None
    if existing is not None:
        plan = existing
        previous = plan_repo.get_version(
            session, plan, plan_repo.latest_version_number(session, plan)
        )
        number = previous.version + 1
        diff = _diff(session, previous, parsed).to_dict()
    else:
        code = meta.code or _unique_code(session, _slug(Path(parsed.source_name or "plan").stem))
        plan = Plan(
            code=code,
            title=(meta.title or parsed.title or code)[:300],
            kind=meta.kind,
            region_code=meta.region,
            issuer=(meta.issuer or parsed.issuer or "")[:200],
            issued_on=meta.issued_on or _date_or_none(parsed.date),
            round=meta.round,
            parent_plan_id=parent.id if parent else None,
        )
        session.add(plan)
        session.flush()
        number = 1
    version = plan_repo.add_version(session, plan, parsed, number=number, created_by=actor_id)
    if plan.status != "confirmed":
        # The version in force stays the confirmed one until the revision is confirmed itself.
        plan.current_version = number
    nodes = plan_repo.nodes_of(session, version)
    return ImportResult(
        plan_id=plan.id,
        code=plan.code,
        version=number,
        nodes=len(nodes),
        tasks=sum(n.is_task for n in nodes),
        targets=len(parsed.targets),
        problems=len(parsed.problems),
        diff=diff,
    )


def _date_or_none(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _diff(session: Session, old: PlanVersion, parsed: ParsedPlan) -> PlanDiff:
    nodes = plan_repo.nodes_of(session, old)
    return diff_plans(
        plan_repo.as_parsed_nodes(nodes),
        plan_repo.as_extracted_targets(plan_repo.targets_of(session, old), nodes),
        parsed.nodes,
        parsed.targets,
    )


def diff_versions(session: Session, plan_ref: str | int, old: int, new: int) -> PlanDiff:
    plan = plan_repo.find_plan(session, plan_ref)
    versions = [plan_repo.get_version(session, plan, number) for number in (old, new)]
    parts = []
    for version in versions:
        nodes = plan_repo.nodes_of(session, version)
        targets = plan_repo.as_extracted_targets(plan_repo.targets_of(session, version), nodes)
        parts.append((plan_repo.as_parsed_nodes(nodes), targets))
    return diff_plans(parts[0][0], parts[0][1], parts[1][0], parts[1][1])


def _draft(session: Session, node_id: int) -> PlanNode:
    node = session.get(PlanNode, node_id)
    if node is None:
        raise NotFoundError(f"no plan node {node_id}")
    version = session.get(PlanVersion, node.version_id)
    if version.status != "draft":
        raise ConflictError(
            f"plan node {node_id} belongs to a {version.status} version; import a revision to change it"
        )
    return node


def edit_node(
    session: Session,
    node_id: int,
    *,
    title: str | None = None,
    text: str | None = None,
    kind: str | None = None,
    is_task: bool | None = None,
) -> PlanNode:
    """Correct a draft's node (reviewers fix what the parser got wrong)."""
    node = _draft(session, node_id)
    if kind is not None and kind not in NODE_KINDS:
        raise InputError(f"kind {kind!r} is not one of {', '.join(NODE_KINDS)}")
    for name, value in (("title", title), ("text", text), ("kind", kind), ("is_task", is_task)):
        if value is not None:
            setattr(node, name, value)
    return node


def split_node(session: Session, node_id: int, at: int) -> PlanNode:
    """Split a draft node's text at character ``at`` into itself and a new sibling after it."""
    node = _draft(session, node_id)
    if not 0 < at < len(node.text):
        raise InputError(
            f"split position {at} is outside node {node_id}'s text (1…{len(node.text) - 1})"
        )
    later = list(
        session.scalars(
            select(PlanNode).where(
                PlanNode.version_id == node.version_id, PlanNode.position > node.position
            )
        )
    )
    for other in later:
        other.position += 1
    head, tail = node.text[:at], node.text[at:]
    keys = set(
        session.scalars(select(PlanNode.node_key).where(PlanNode.version_id == node.version_id))
    )
    number = len(keys) + 1
    while f"n{number}" in keys:
        number += 1
    sibling = PlanNode(
        version_id=node.version_id,
        node_key=f"n{number}",
        parent_id=node.parent_id,
        position=node.position + 1,
        kind=node.kind,
        label="",
        ordinal=node.ordinal + 1,
        path=f"{node.path}+",
        title=tail.strip().split("。")[0][:100],
        text=tail,
        start=node.start + at,
        end=node.end,
        is_task=node.is_task,
    )
    node.text, node.end = head, node.start + at
    session.add(sibling)
    session.flush()
    return sibling


def confirm_version(
    session: Session,
    plan_ref: str | int,
    version: int | None = None,
    *,
    user: UserInfo,
) -> dict:
    """Confirm a draft: its task nodes become tracked tasks and its targets become targets."""
    actor_id = user_id_of(require_manager(user, "confirm plans"))
    plan = plan_repo.find_plan(session, plan_ref)
    row = plan_repo.get_version(
        session, plan, version or plan_repo.latest_version_number(session, plan)
    )
    if row.status != "draft":
        raise ConflictError(f"plan {plan.code} version {row.version} is {row.status}, not a draft")
    for other in session.scalars(
        select(PlanVersion).where(PlanVersion.plan_id == plan.id, PlanVersion.status == "confirmed")
    ):
        other.status = "superseded"
    row.status = "confirmed"
    row.confirmed_at = utcnow()
    row.confirmed_by = actor_id
    plan.status = "confirmed"
    plan.current_version = row.version
    nodes = plan_repo.nodes_of(session, row)
    tasks = _sync_tasks(session, plan, nodes)
    targets = _sync_targets(session, plan, row, actor_id)
    return {"plan": plan.code, "version": row.version, **tasks, "targets": targets}


def _area_of(node: PlanNode, by_id: dict[int, PlanNode]) -> str:
    top = node
    while top.parent_id in by_id:
        top = by_id[top.parent_id]
    return top.title if top is not node else ""


def _sync_tasks(session: Session, plan: Plan, nodes: list[PlanNode]) -> dict:
    by_id = {n.id: n for n in nodes}
    existing = {t.key: t for t in session.scalars(select(Task).where(Task.plan_id == plan.id))}
    created = updated = 0
    seen = set()
    for node in nodes:
        if not node.is_task:
            continue
        seen.add(node.path)
        values = {
            "node_id": node.id,
            "label": node.label,
            "title": node.title or node.text[:100],
            "area": _area_of(node, by_id)[:200],
            "region_code": plan.region_code,
        }
        task = existing.get(node.path)
        if task is None:
            session.add(Task(plan_id=plan.id, key=node.path, **values))
            created += 1
        else:
            for name, value in values.items():
                setattr(task, name, value)
            task.is_suspended = False
            updated += 1
    # A task the revision dropped keeps its history but no longer counts (suspended).
    dropped = [t for key, t in existing.items() if key not in seen and t.parent_task_id is None]
    for task in dropped:
        task.is_suspended = True
        task.node_id = None
    session.flush()
    return {"tasks_created": created, "tasks_updated": updated, "tasks_dropped": len(dropped)}


def _sync_targets(session: Session, plan: Plan, version: PlanVersion, actor_id: int | None) -> int:
    written = 0
    for found in plan_repo.targets_of(session, version):
        if not found.indicator_code or found.year is None:
            continue
        relative = found.relative_change is not None
        values = {
            "indicator_code": found.indicator_code,
            "region_code": plan.region_code,
            "year": found.year,
            "comparator": "relative" if relative else found.comparator,
            "value": None if relative else found.value,
            "value_high": found.value_high,
            "base_year": found.base_year,
            "relative_change": found.relative_change,
            "standard": found.standard,
        }
        key = f"{plan.code}:{found.indicator_code}:{found.year}"
        current = session.scalar(
            select(TargetRecord).where(
                TargetRecord.target_key == key, TargetRecord.is_current.is_(True)
            )
        )
        if current is not None and all(getattr(current, k) == v for k, v in values.items()):
            continue
        revision = 1
        if current is not None:
            current.is_current = False
            revision = current.revision + 1
        session.add(
            TargetRecord(
                target_key=key,
                revision=revision,
                plan_id=plan.id,
                node_id=found.node_id,
                created_by=actor_id,
                note=f"{plan.title} v{version.version}",
                **values,
            )
        )
        written += 1
    return written


def list_plans_public(session: Session) -> list[dict]:
    """The documented rows of ``yrdplan plan list --format json``."""
    return [
        {
            "id": plan.id,
            "code": plan.code,
            "title": plan.title,
            "kind": plan.kind,
            "region": plan.region_code,
            "version": plan.current_version,
            "status": plan.status,
        }
        for plan in plan_repo.list_plans(session)
    ]


def suggest_plan_links(
    session: Session,
    lower_ref: str | int,
    upper_ref: str | int | None = None,
    *,
    top_k: int = 2,
    min_score: float = 0.1,
) -> list[NodeLink]:
    """Store link suggestions from the lower plan's tasks to the nodes of the plan above it.

    Character-bigram cosine scores between two Chinese plans' clauses run low (about 0.1–0.3
    for clauses on the same subject in the seeds), hence the modest default threshold.
    """
    lower = plan_repo.find_plan(session, lower_ref)
    if upper_ref is None:
        if lower.parent_plan_id is None:
            raise InputError(f"plan {lower.code} has no parent plan; name the plan to link to")
        upper = session.get(Plan, lower.parent_plan_id)
    else:
        upper = plan_repo.find_plan(session, upper_ref)
    lower_nodes = [
        n for n in plan_repo.nodes_of(session, plan_repo.get_version(session, lower)) if n.is_task
    ]
    upper_nodes = plan_repo.nodes_of(session, plan_repo.get_version(session, upper))
    if not lower_nodes or not upper_nodes:
        return []
    found = suggest_links(
        [f"{n.title} {n.text}" for n in lower_nodes],
        [f"{n.title} {n.text}" for n in upper_nodes],
        top_k=top_k,
        min_score=min_score,
    )
    existing = {
        (link.lower_node_id, link.upper_node_id)
        for link in session.scalars(
            select(NodeLink).where(NodeLink.lower_node_id.in_([n.id for n in lower_nodes]))
        )
    }
    links = []
    for suggestion in found:
        pair = (lower_nodes[suggestion.lower_index].id, upper_nodes[suggestion.upper_index].id)
        if pair in existing:
            continue
        link = NodeLink(
            lower_node_id=pair[0],
            upper_node_id=pair[1],
            status="suggested",
            score=round(suggestion.score, 4),
        )
        session.add(link)
        links.append(link)
    session.flush()
    return links


def decide_link(session: Session, link_id: int, accept: bool, *, user: UserInfo) -> NodeLink:
    actor_id = user_id_of(require_manager(user, "confirm plan links"))
    link = session.get(NodeLink, link_id)
    if link is None:
        raise NotFoundError(f"no link suggestion {link_id}")
    link.status = "confirmed" if accept else "rejected"
    link.created_by = actor_id
    return link


# --- who reads which plan ---------------------------------------------------------------------


def may_read_drafts(user: UserInfo | None) -> bool:
    """Drafts are the office's working material; everyone else sees confirmed plans only."""
    return user is not None and user.can_manage


def readable_plan(session: Session, user: UserInfo | None, ref: str | int) -> Plan:
    """The plan, if ``user`` (None: an anonymous visitor) may read it; else ``NotFoundError``."""
    plan = plan_repo.find_plan(session, ref)
    if plan.status == "draft" and not may_read_drafts(user):
        raise NotFoundError(f"no plan with id or code {ref!r}")
    return plan


def readable_version(
    session: Session, user: UserInfo | None, ref: str | int, number: int | None
) -> tuple[Plan, PlanVersion]:
    """A plan version the user may read: the office gets the newest draft by default, everyone
    else the version in force; a draft version is not found for anyone but the office."""
    plan = readable_plan(session, user, ref)
    if number is None and may_read_drafts(user):
        number = plan_repo.latest_version_number(session, plan)
    version = plan_repo.get_version(session, plan, number)
    if version.status == "draft" and not may_read_drafts(user):
        raise NotFoundError(f"plan {plan.code} has no version {version.version}")
    return plan, version


# --- baselines: the past results a plan states ------------------------------------------------


def _baseline_skip_reason(baseline, indicators: dict[str, IndicatorRecord]) -> str | None:
    """Why a baseline cannot become an observation, or None when it can."""
    if baseline.value is None or baseline.base_year is not None or baseline.relative_change:
        return "change"  # a change over a period ("较2015年提高5.2个百分点"), not a level
    if not baseline.indicator_code:
        return "indicator"
    if baseline.year is None:
        return "year"
    indicator = indicators.get(baseline.indicator_code)
    if indicator is None:
        return "indicator"
    if baseline.unit and indicator.unit and baseline.unit != indicator.unit:
        return "unit"  # 万元 in the plan, 元 in the catalogue: no silent rescaling
    return None


def baseline_rows(session: Session, version: PlanVersion) -> list[dict]:
    """A version's baselines with whether each can be imported into the observations."""
    baselines = plan_repo.baselines_of(session, version)
    codes = {b.indicator_code for b in baselines if b.indicator_code}
    indicators = {
        r.code: r
        for r in session.scalars(select(IndicatorRecord).where(IndicatorRecord.code.in_(codes)))
    }
    return [
        {
            "id": b.id,
            "node_id": b.node_id,
            "indicator": b.indicator,
            "indicator_code": b.indicator_code,
            "value": b.value,
            "unit": b.unit,
            "year": b.year,
            "base_year": b.base_year,
            "relative_change": b.relative_change,
            "table": b.table_key,
            "start": b.start,
            "end": b.end,
            "skip": _baseline_skip_reason(b, indicators),
        }
        for b in baselines
    ]


def list_baselines(session: Session, plan_ref: str | int, version: int | None = None) -> list[dict]:
    """The baselines of a plan version (the one in force by default), as ``baseline_rows``."""
    plan = plan_repo.find_plan(session, plan_ref)
    return baseline_rows(session, plan_repo.get_version(session, plan, version))


def active_user(session: Session, username: str) -> UserInfo:
    """The active user named ``username`` (for the CLI's ``--as``); ``NotFoundError`` else."""
    row = user_repo.find_user(session, username)
    if row is None or not row.is_active:
        raise NotFoundError(f"no active user {username!r}")
    return user_repo.to_info(session, row)


def import_baselines(
    session: Session, user: UserInfo, plan_ref: str | int, version: int | None = None
) -> dict:
    """Write a plan version's baselines into the observations of the plan's region.

    Only levels with a catalogue indicator, a year and the indicator's unit are written; each
    observation's source names the plan and version, its vintage is the plan's issue date (or
    the version's import date). Importing twice changes nothing. The office may import any
    plan's baselines, a data steward those of the regions they keep; nobody else.
    """
    user = require_caller(user)
    if not (user.can_manage or user.role == "data_steward"):
        raise PermissionDenied(f"{user.username} may not write observations")
    plan = plan_repo.find_plan(session, plan_ref)
    row = plan_repo.get_version(session, plan, version)
    if not plan.region_code:
        raise InputError(f"plan {plan.code} has no region; give it one to import its baselines")
    if not user.can_manage:
        check_region_rights(session, user, {plan.region_code})
    actor_id = user_id_of(user)
    vintage = (plan.issued_on or row.created_at.date()).isoformat()
    records, skipped, seen = [], {}, set()
    # A value in the indicator table outranks the same one stated in the text.
    rows = sorted(baseline_rows(session, row), key=lambda item: item["table"] is None)
    for item in rows:
        key = (item["indicator_code"], item["year"])
        reason = item["skip"] or ("duplicate" if key in seen else None)
        if reason:
            skipped[reason] = skipped.get(reason, 0) + 1
            continue
        seen.add(key)
        records.append(
            Observation(
                region_code=plan.region_code,
                indicator_code=item["indicator_code"],
                period=str(item["year"]),
                value=float(item["value"]),
                source=f"plan {plan.code} v{row.version}"[:200],
                vintage=vintage,
                note=f"{plan.title}: {item['indicator']}",
            )
        )
    summary = add_observations(session, records, created_by=actor_id)
    return {
        "plan": plan.code,
        "version": row.version,
        "added": summary.added,
        "revised": summary.revised,
        "unchanged": summary.unchanged,
        "skipped": skipped,
    }

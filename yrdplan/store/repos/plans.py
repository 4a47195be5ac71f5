"""Plans, their versions, node trees and extracted targets in the store."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yrdplan.domain.plan_diff import node_paths
from yrdplan.domain.plans import (
    ExtractedBaseline,
    ExtractedTarget,
    ParsedNode,
    ParsedPlan,
    PlanTable,
)
from yrdplan.domain.problems import Problem
from yrdplan.errors import NotFoundError
from yrdplan.store.schema import (
    NodeLink,
    Plan,
    PlanBaseline,
    PlanNode,
    PlanTableRecord,
    PlanTarget,
    PlanVersion,
    Task,
)

# Which node kinds are deliverable tasks, in order of preference: the deepest numbered level
# the document uses (Nanjing's "1." items; seed 004's "（一）" items; else lead-sentence tasks).
TASK_KIND_PREFERENCE = ("item", "subpart", "paragraph")


def find_plan(session: Session, ref: str | int) -> Plan:
    """A plan by id or code; ``NotFoundError`` naming the reference otherwise."""
    plan = None
    if isinstance(ref, int) or str(ref).isdigit():
        plan = session.get(Plan, int(ref))
    if plan is None:
        plan = session.scalar(select(Plan).where(Plan.code == str(ref)))
    if plan is None:
        raise NotFoundError(f"no plan with id or code {ref!r}")
    return plan


def list_plans(session: Session) -> list[Plan]:
    return list(session.scalars(select(Plan).order_by(Plan.id)))


def plan_titles(session: Session) -> dict[int, tuple[str, str]]:
    """Every plan's id with its code and title, without loading the plans."""
    return {
        pid: (code, title)
        for pid, code, title in session.execute(select(Plan.id, Plan.code, Plan.title))
    }


def get_version(session: Session, plan: Plan, version: int | None = None) -> PlanVersion:
    number = version if version is not None else plan.current_version
    row = session.scalar(
        select(PlanVersion).where(PlanVersion.plan_id == plan.id, PlanVersion.version == number)
    )
    if row is None:
        raise NotFoundError(f"plan {plan.code} has no version {number}")
    return row


def latest_version_number(session: Session, plan: Plan) -> int:
    return (
        session.scalar(select(func.max(PlanVersion.version)).where(PlanVersion.plan_id == plan.id))
        or 0
    )


def versions_of(session: Session, plan: Plan) -> list[PlanVersion]:
    """Every stored version of ``plan``, oldest first."""
    return list(
        session.scalars(
            select(PlanVersion).where(PlanVersion.plan_id == plan.id).order_by(PlanVersion.version)
        )
    )


def parent_of(session: Session, plan: Plan) -> Plan | None:
    return session.get(Plan, plan.parent_plan_id) if plan.parent_plan_id else None


def task_counts(session: Session) -> dict[int, int]:
    """Plan id → how many tasks it holds (plans without tasks are absent)."""
    return dict(session.execute(select(Task.plan_id, func.count()).group_by(Task.plan_id)).all())


def count_links_from(session: Session, node_ids: list[int]) -> int:
    """How many links (any status) go up from the nodes ``node_ids``."""
    return session.scalar(
        select(func.count()).select_from(NodeLink).where(NodeLink.lower_node_id.in_(node_ids))
    )


def links_from(session: Session, node_ids: list[int]) -> list[NodeLink]:
    """The links up from the nodes ``node_ids``, by lower node, best score first."""
    return list(
        session.scalars(
            select(NodeLink)
            .where(NodeLink.lower_node_id.in_(node_ids))
            .order_by(NodeLink.lower_node_id, NodeLink.score.desc())
        )
    )


def version_of_node(session: Session, node_id: int) -> PlanVersion:
    """The plan version a node belongs to."""
    return session.get(PlanVersion, session.get(PlanNode, node_id).version_id)


def nodes_by_id(session: Session, node_ids: list[int]) -> dict[int, PlanNode]:
    return {n.id: n for n in session.scalars(select(PlanNode).where(PlanNode.id.in_(node_ids)))}


def task_kind(nodes: list[ParsedNode]) -> str | None:
    kinds = {n.kind for n in nodes}
    return next((kind for kind in TASK_KIND_PREFERENCE if kind in kinds), None)


def add_version(
    session: Session, plan: Plan, parsed: ParsedPlan, *, number: int, created_by: int | None
) -> PlanVersion:
    """Store one parsed edition with its nodes and targets, as a draft."""
    version = PlanVersion(
        plan_id=plan.id,
        version=number,
        status="draft",
        source_name=parsed.source_name,
        source_format=parsed.source_format,
        source_sha256=hashlib.sha256(parsed.original_text.encode("utf-8")).hexdigest(),
        original_text=parsed.original_text,
        clean_text=parsed.clean_text,
        problems=[_problem_dict(p) for p in parsed.problems],
        created_by=created_by,
    )
    session.add(version)
    session.flush()
    paths = node_paths(parsed.nodes)
    tasks_are = task_kind(parsed.nodes)
    rows: dict[str, PlanNode] = {}
    for position, node in enumerate(parsed.nodes):
        row = PlanNode(
            version_id=version.id,
            node_key=node.id,
            parent_id=rows[node.parent].id if node.parent in rows else None,
            position=position,
            kind=node.kind,
            label=node.label,
            ordinal=node.ordinal,
            path=paths[node.id][:200],
            title=node.title,
            text=node.text,
            start=node.start,
            end=node.end,
            is_task=node.kind == tasks_are,
        )
        session.add(row)
        session.flush()
        rows[node.id] = row
    for position, target in enumerate(parsed.targets):
        session.add(_target_row(version.id, rows, position, target))
    for table in parsed.tables:
        session.add(_table_row(version.id, rows, table))
    for position, baseline in enumerate(parsed.baselines):
        session.add(_baseline_row(version.id, rows, position, baseline))
    return version


def _table_row(version_id: int, rows: dict[str, PlanNode], table: PlanTable) -> PlanTableRecord:
    return PlanTableRecord(
        version_id=version_id,
        table_key=table.id,
        node_id=rows[table.node].id if table.node in rows else None,
        rows=table.rows,
        notes=table.notes,
        is_indicator_table=table.is_indicator_table,
        start=table.start,
        end=table.end,
    )


def _baseline_row(
    version_id: int, rows: dict[str, PlanNode], position: int, baseline: ExtractedBaseline
) -> PlanBaseline:
    return PlanBaseline(
        version_id=version_id,
        node_id=rows[baseline.node].id if baseline.node in rows else None,
        position=position,
        indicator=baseline.indicator[:200],
        indicator_code=baseline.indicator_code,
        value=baseline.value,
        unit=baseline.unit[:32],
        year=baseline.year,
        base_year=baseline.base_year,
        relative_change=baseline.relative_change,
        table_key=baseline.table,
        start=baseline.start,
        end=baseline.end,
    )


def tables_of(session: Session, version: PlanVersion) -> list[PlanTableRecord]:
    return list(
        session.scalars(
            select(PlanTableRecord)
            .where(PlanTableRecord.version_id == version.id)
            .order_by(PlanTableRecord.start, PlanTableRecord.id)
        )
    )


def baselines_of(session: Session, version: PlanVersion) -> list[PlanBaseline]:
    return list(
        session.scalars(
            select(PlanBaseline)
            .where(PlanBaseline.version_id == version.id)
            .order_by(PlanBaseline.position)
        )
    )


def _problem_dict(problem: Problem) -> dict:
    return {
        "kind": problem.kind,
        "message": problem.message,
        "severity": problem.severity,
        "start": problem.start,
        "end": problem.end,
    }


def _target_row(
    version_id: int, rows: dict[str, PlanNode], position: int, target: ExtractedTarget
) -> PlanTarget:
    return PlanTarget(
        version_id=version_id,
        node_id=rows[target.node].id if target.node in rows else None,
        position=position,
        indicator=target.indicator[:200],
        indicator_code=target.indicator_code,
        value=target.value,
        value_high=target.value_high,
        unit=target.unit,
        comparator=target.comparator,
        year=target.year,
        base_year=target.base_year,
        relative_change=target.relative_change,
        standard=target.standard,
        start=target.start,
        end=target.end,
        kind=target.kind,
        table_key=target.table,
        note=target.note,
    )


def nodes_of(session: Session, version: PlanVersion) -> list[PlanNode]:
    return list(
        session.scalars(
            select(PlanNode).where(PlanNode.version_id == version.id).order_by(PlanNode.position)
        )
    )


def targets_of(session: Session, version: PlanVersion) -> list[PlanTarget]:
    return list(
        session.scalars(
            select(PlanTarget)
            .where(PlanTarget.version_id == version.id)
            .order_by(PlanTarget.position)
        )
    )


def as_parsed_nodes(nodes: list[PlanNode]) -> list[ParsedNode]:
    """Stored nodes back as parser records (ids are the stored node keys), e.g. for a diff."""
    key_of = {n.id: n.node_key for n in nodes}
    return [
        ParsedNode(
            id=n.node_key,
            parent=key_of.get(n.parent_id),
            kind=n.kind,
            label=n.label,
            ordinal=n.ordinal,
            title=n.title,
            text=n.text,
            start=n.start,
            end=n.end,
        )
        for n in nodes
    ]


def as_extracted_targets(targets: list[PlanTarget], nodes: list[PlanNode]) -> list[ExtractedTarget]:
    key_of = {n.id: n.node_key for n in nodes}
    return [
        ExtractedTarget(
            indicator=t.indicator,
            indicator_code=t.indicator_code,
            value=t.value,
            value_high=t.value_high,
            unit=t.unit,
            comparator=t.comparator,
            year=t.year,
            base_year=t.base_year,
            relative_change=t.relative_change,
            standard=t.standard,
            node=key_of.get(t.node_id),
            start=t.start,
            end=t.end,
            kind=t.kind,
            table=t.table_key,
            note=t.note,
        )
        for t in targets
    ]

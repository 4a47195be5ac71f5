"""Units, tasks, milestones, reporting cycles and progress reports in the store.

Queries only: which rows exist and how they hang together. Rules (who may change what, how a
status is decided) live in ``yrdplan.services``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from yrdplan.errors import NotFoundError
from yrdplan.store.schema import (
    AuditEntry,
    EvidenceFile,
    Milestone,
    Plan,
    PlanNode,
    PlanUnit,
    ProgressReport,
    ReportingCycle,
    Task,
    TaskSupportingUnit,
    Unit,
)

# --- units ------------------------------------------------------------------------------------


def find_unit(session: Session, ref: str | int) -> Unit:
    """A unit by id, code, name or alias; ``NotFoundError`` naming the reference otherwise.

    Names are not unique across plans (every city has a 市发展改革委), so a name that more than
    one unit carries is refused: use the code.
    """
    text = str(ref).strip()
    if isinstance(ref, int) or text.isdigit():
        unit = session.get(Unit, int(text))
        if unit is not None:
            return unit
    unit = session.scalar(select(Unit).where(Unit.code == text))
    if unit is not None:
        return unit
    named = list(session.scalars(select(Unit).where(Unit.name == text)))
    if not named:
        named = [u for u in session.scalars(select(Unit)) if text in (u.aliases or [])]
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        codes = ", ".join(u.code for u in named)
        raise NotFoundError(f"unit name {text!r} is ambiguous ({codes}); use the code")
    raise NotFoundError(f"no unit with id, code or name {text!r}")


def units_by_id(session: Session, ids: Iterable[int] | None = None) -> dict[int, Unit]:
    query = select(Unit)
    if ids is not None:
        wanted = list(set(ids))
        if not wanted:
            return {}
        query = query.where(Unit.id.in_(wanted))
    return {u.id: u for u in session.scalars(query)}


def plan_units(session: Session, plan_id: int) -> list[Unit]:
    """The units registered for a plan, by kind and code."""
    return list(
        session.scalars(
            select(Unit)
            .join(PlanUnit, PlanUnit.unit_id == Unit.id)
            .where(PlanUnit.plan_id == plan_id)
            .order_by(Unit.kind, Unit.code)
        )
    )


def is_registered(session: Session, plan_id: int, unit_id: int) -> bool:
    return session.get(PlanUnit, (plan_id, unit_id)) is not None


# --- tasks ------------------------------------------------------------------------------------


def get_task(session: Session, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFoundError(f"no task {task_id}")
    return task


def tasks_of_plan(session: Session, plan_id: int) -> list[Task]:
    return list(session.scalars(select(Task).where(Task.plan_id == plan_id).order_by(Task.id)))


def task_by_key(session: Session, plan_id: int, key: str) -> Task | None:
    return session.scalar(select(Task).where(Task.plan_id == plan_id, Task.key == key))


def children_of(session: Session, task_ids: Iterable[int]) -> list[Task]:
    """Tasks whose parent task or upper (decomposed) task is one of ``task_ids``."""
    ids = list(task_ids)
    if not ids:
        return []
    return list(
        session.scalars(
            select(Task)
            .where(or_(Task.parent_task_id.in_(ids), Task.upper_task_id.in_(ids)))
            .order_by(Task.id)
        )
    )


def task_tree(session: Session, roots: list[Task]) -> list[Task]:
    """``roots`` and every task below them: sub-tasks and tasks of lower plans, any depth."""
    seen = {t.id: t for t in roots}
    frontier = [t.id for t in roots]
    while frontier:
        found = [t for t in children_of(session, frontier) if t.id not in seen]
        seen.update((t.id, t) for t in found)
        frontier = [t.id for t in found]
    return list(seen.values())


def supporting_units(session: Session, task_ids: Iterable[int]) -> dict[int, list[int]]:
    """Task id -> supporting unit ids, in their listed order."""
    ids = list(task_ids)
    result: dict[int, list[int]] = defaultdict(list)
    if not ids:
        return result
    rows = session.execute(
        select(TaskSupportingUnit.task_id, TaskSupportingUnit.unit_id)
        .where(TaskSupportingUnit.task_id.in_(ids))
        .order_by(
            TaskSupportingUnit.task_id, TaskSupportingUnit.position, TaskSupportingUnit.unit_id
        )
    )
    for task_id, unit_id in rows:
        result[task_id].append(unit_id)
    return result


def milestones(session: Session, task_ids: Iterable[int]) -> dict[int, list[Milestone]]:
    ids = list(task_ids)
    result: dict[int, list[Milestone]] = defaultdict(list)
    if not ids:
        return result
    query = select(Milestone).where(Milestone.task_id.in_(ids)).order_by(Milestone.id)
    for row in session.scalars(query):
        result[row.task_id].append(row)
    return result


def task_ids_of_unit(session: Session, unit_id: int) -> set[int]:
    """Tasks the unit leads or supports."""
    led = session.scalars(select(Task.id).where(Task.lead_unit_id == unit_id))
    supported = session.scalars(
        select(TaskSupportingUnit.task_id).where(TaskSupportingUnit.unit_id == unit_id)
    )
    return set(led) | set(supported)


def node_headings(session: Session, node_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """Node id -> titles of the plan parts above it, outermost first."""
    ids = [i for i in set(node_ids) if i is not None]
    if not ids:
        return {}
    version_ids = set(session.scalars(select(PlanNode.version_id).where(PlanNode.id.in_(ids))))
    nodes = {
        n.id: n
        for n in session.scalars(select(PlanNode).where(PlanNode.version_id.in_(version_ids)))
    }
    result = {}
    for node_id in ids:
        headings = []
        parent = nodes[node_id].parent_id if node_id in nodes else None
        while parent in nodes:
            headings.append(nodes[parent].title or nodes[parent].label)
            parent = nodes[parent].parent_id
        result[node_id] = tuple(reversed(headings))
    return result


def plans_by_id(session: Session, ids: Iterable[int]) -> dict[int, Plan]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    return {p.id: p for p in session.scalars(select(Plan).where(Plan.id.in_(wanted)))}


# --- cycles and reports -----------------------------------------------------------------------


def get_cycle(session: Session, cycle_id: int) -> ReportingCycle:
    cycle = session.get(ReportingCycle, cycle_id)
    if cycle is None:
        raise NotFoundError(f"no reporting cycle {cycle_id}")
    return cycle


def cycles(session: Session, plan_id: int | None = None) -> list[ReportingCycle]:
    query = select(ReportingCycle).order_by(ReportingCycle.due_on.desc(), ReportingCycle.id.desc())
    if plan_id is not None:
        query = query.where(ReportingCycle.plan_id == plan_id)
    return list(session.scalars(query))


def get_report(session: Session, report_id: int) -> ProgressReport:
    report = session.get(ProgressReport, report_id)
    if report is None:
        raise NotFoundError(f"no progress report {report_id}")
    return report


def find_report(
    session: Session, cycle_id: int, task_id: int, unit_id: int
) -> ProgressReport | None:
    return session.scalar(
        select(ProgressReport).where(
            ProgressReport.cycle_id == cycle_id,
            ProgressReport.task_id == task_id,
            ProgressReport.unit_id == unit_id,
        )
    )


def reports(
    session: Session,
    *,
    cycle_ids: Iterable[int] | None = None,
    task_ids: Iterable[int] | None = None,
    review_state: str | None = None,
    unit_id: int | None = None,
) -> list[ProgressReport]:
    query = select(ProgressReport).order_by(ProgressReport.id)
    if cycle_ids is not None:
        query = query.where(ProgressReport.cycle_id.in_(list(cycle_ids)))
    if task_ids is not None:
        query = query.where(ProgressReport.task_id.in_(list(task_ids)))
    if unit_id is not None:
        query = query.where(ProgressReport.unit_id == unit_id)
    if review_state is not None:
        query = query.where(ProgressReport.review_state == review_state)
    return list(session.scalars(query))


def evidence_of(session: Session, report_ids: Iterable[int]) -> dict[int, list[dict]]:
    """Report id -> its files' metadata (never the content, which can be large)."""
    ids = list(report_ids)
    result: dict[int, list[dict]] = defaultdict(list)
    if not ids:
        return result
    rows = session.execute(
        select(
            EvidenceFile.id,
            EvidenceFile.report_id,
            EvidenceFile.filename,
            EvidenceFile.content_type,
            EvidenceFile.size,
            EvidenceFile.sha256,
        )
        .where(EvidenceFile.report_id.in_(ids))
        .order_by(EvidenceFile.id)
    )
    for file_id, report_id, filename, content_type, size, sha256 in rows:
        result[report_id].append(
            {
                "id": file_id,
                "filename": filename,
                "content_type": content_type,
                "size": size,
                "sha256": sha256,
            }
        )
    return result


def get_evidence(session: Session, report_id: int, file_id: int) -> EvidenceFile:
    row = session.get(EvidenceFile, file_id)
    if row is None or row.report_id != report_id:
        raise NotFoundError(f"report {report_id} has no evidence file {file_id}")
    return row


# --- history ----------------------------------------------------------------------------------


def audit_entries(
    session: Session,
    entity: str,
    entity_ids: Iterable[str] | None = None,
    prefix: str | None = None,
) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.entity == entity).order_by(AuditEntry.id)
    if entity_ids is not None:
        ids = list(entity_ids)
        if not ids:
            return []
        query = query.where(AuditEntry.entity_id.in_(ids))
    if prefix is not None:
        query = query.where(AuditEntry.entity_id.like(f"{prefix}%"))
    return list(session.scalars(query))

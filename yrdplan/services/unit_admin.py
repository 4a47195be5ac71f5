"""Editing the unit registry from the browser: a unit's details, plan registries, merges.

Adding a unit is :func:`yrdplan.services.units.add_unit`. Merging folds a unit that turned out
to be another one (a renamed bureau entered twice) into it: its tasks, supporting roles, reports,
users and plan registrations follow, its name becomes an alias of the survivor, and its row
stays, inactive, pointing at the survivor, so the audit log and old exports still resolve.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo
from yrdplan.domain.tasks import UNIT_KINDS
from yrdplan.errors import FieldError, InputError, NotFoundError
from yrdplan.services.callers import require_manager
from yrdplan.services.units import _clean_name, add_unit
from yrdplan.store.repos import plans as plan_repo
from yrdplan.store.repos import tasks as task_repo
from yrdplan.store.repos.regions import get_region
from yrdplan.store.schema import (
    Plan,
    PlanUnit,
    ProgressReport,
    Task,
    TaskSupportingUnit,
    Unit,
    User,
)


@dataclass
class UnitForm:
    """The unit form's fields, as typed."""

    code: str = ""
    name: str = ""
    short_name: str = ""
    kind: str = "department"
    region_code: str = ""
    parent: str = ""
    contact: str = ""
    aliases: str = ""  # one per line or separated by 、 ; ,


def _aliases(text: str) -> list[str]:
    for separator in ("、", ";", "；", ",", "，"):
        text = text.replace(separator, "\n")
    return [_clean_name(a) for a in text.splitlines() if _clean_name(a)]


def unit_row(session: Session, unit: Unit) -> dict:
    """A unit as the units pages and the API show one, with what hangs on it."""
    parent = session.get(Unit, unit.parent_id) if unit.parent_id else None
    merged = session.get(Unit, unit.merged_into_id) if unit.merged_into_id else None
    plans = session.scalars(
        select(Plan.code)
        .join(PlanUnit, PlanUnit.plan_id == Plan.id)
        .where(PlanUnit.unit_id == unit.id)
    )
    return {
        "code": unit.code,
        "name": unit.name,
        "short_name": unit.short_name,
        "kind": unit.kind,
        "region_code": unit.region_code,
        "parent": parent.code if parent else None,
        "contact": unit.contact,
        "aliases": list(unit.aliases or []),
        "is_active": bool(unit.is_active),
        "merged_into": merged.code if merged else None,
        "plans": sorted(plans),
        "lead_tasks": session.scalar(
            select(func.count()).select_from(Task).where(Task.lead_unit_id == unit.id)
        ),
        "users": session.scalar(
            select(func.count()).select_from(User).where(User.unit_id == unit.id)
        ),
    }


def list_unit_rows(
    session: Session, user: UserInfo, query: str = "", plan: str | None = None
) -> list[dict]:
    """Every unit (or one plan's registry) matching ``query`` in code, name or short name."""
    require_manager(user, "manage units")
    statement = select(Unit).order_by(Unit.is_active.desc(), Unit.kind, Unit.code)
    if plan:
        found = plan_repo.find_plan(session, plan)
        statement = statement.join(PlanUnit, PlanUnit.unit_id == Unit.id).where(
            PlanUnit.plan_id == found.id
        )
    rows = list(session.scalars(statement))
    wanted = query.strip().lower()
    if wanted:
        rows = [
            u
            for u in rows
            if wanted in f"{u.code} {u.name} {u.short_name} {' '.join(u.aliases or [])}".lower()
        ]
    return [unit_row(session, u) for u in rows]


def _check(session: Session, form: UnitForm, unit: Unit | None) -> tuple[int | None, str | None]:
    if not _clean_name(form.name):
        raise FieldError("name", "a unit needs a name", "fe.required")
    if form.kind not in UNIT_KINDS:
        raise FieldError(
            "kind", f"one of {', '.join(UNIT_KINDS)}", "fe.one_of", choices=", ".join(UNIT_KINDS)
        )
    region = form.region_code.strip() or None
    if region:
        try:
            get_region(session, region)
        except NotFoundError as err:
            raise FieldError(
                "region_code", f"unknown region code {region!r}", "fe.unknown_region", code=region
            ) from err
    parent_id = None
    if form.parent.strip():
        try:
            parent = task_repo.find_unit(session, form.parent.strip())
        except NotFoundError as err:
            raise FieldError(
                "parent", str(err), "fe.unknown_unit", code=form.parent.strip()
            ) from err
        if unit is not None and parent.id == unit.id:
            raise FieldError("parent", "a unit cannot be its own parent", "fe.own_parent")
        parent_id = parent.id
    return parent_id, region


def create_unit(session: Session, user: UserInfo, form: UnitForm, plans: list[str]) -> dict:
    """Add a unit from the form (office); ``FieldError`` names the field at fault."""
    require_manager(user, "manage units")
    _check(session, form, None)
    code = form.code.strip()
    if session.scalar(select(Unit.id).where(Unit.code == code)):
        raise FieldError("code", f"unit code {code!r} exists already", "fe.exists", code=code)
    try:
        unit = add_unit(
            session,
            code=code,
            name=form.name,
            kind=form.kind,
            region_code=form.region_code.strip() or None,
            parent=form.parent.strip() or None,
            aliases=_aliases(form.aliases),
            plans=plans,
            user=user,
        )
    except NotFoundError as err:
        raise FieldError("plans", str(err), "fe.unknown_plan", detail=str(err)) from err
    except InputError as err:  # what _check leaves to add_unit: the code's form
        raise FieldError("code", str(err), "fe.unit_code") from err
    unit.short_name = form.short_name.strip()[:64]
    unit.contact = form.contact.strip()[:200]
    session.flush()
    return unit_row(session, unit)


def update_unit(session: Session, user: UserInfo, code: str, form: UnitForm) -> dict:
    """Change a unit's name, short name, kind, region, parent, contact and aliases (office)."""
    require_manager(user, "manage units")
    unit = task_repo.find_unit(session, code)
    parent_id, region = _check(session, form, unit)
    unit.name = _clean_name(form.name)
    unit.short_name = form.short_name.strip()[:64]
    unit.kind = form.kind
    unit.region_code = region
    unit.parent_id = parent_id
    unit.contact = form.contact.strip()[:200]
    unit.aliases = _aliases(form.aliases)
    session.flush()
    return unit_row(session, unit)


def set_plan_units(session: Session, user: UserInfo, plan_ref: str, unit_codes: list[str]) -> dict:
    """Make a plan's registry exactly ``unit_codes`` (office); returns what was added and removed.

    A unit that leads or supports one of the plan's tasks cannot leave its registry."""
    require_manager(user, "manage plan registries")
    try:
        plan = plan_repo.find_plan(session, plan_ref)
    except NotFoundError as err:
        raise FieldError("plan", str(err), "fe.unknown_plan", detail=plan_ref) from err
    wanted = {}
    for code in unit_codes:
        try:
            wanted[task_repo.find_unit(session, code).id] = code
        except NotFoundError as err:
            raise FieldError("units", str(err), "fe.unknown_unit", code=code) from err
    current = set(session.scalars(select(PlanUnit.unit_id).where(PlanUnit.plan_id == plan.id)))
    added = [uid for uid in wanted if uid not in current]
    removed = [uid for uid in current if uid not in wanted]
    for unit_id in removed:
        busy = session.scalar(
            select(func.count())
            .select_from(Task)
            .where(Task.plan_id == plan.id, Task.lead_unit_id == unit_id)
        )
        if busy:
            name = session.get(Unit, unit_id).code
            raise FieldError(
                "units",
                f"{name} leads {busy} task(s) of this plan; reassign them first",
                "fe.unit_busy",
                code=name,
                count=busy,
            )
        session.execute(
            PlanUnit.__table__.delete().where(
                PlanUnit.plan_id == plan.id, PlanUnit.unit_id == unit_id
            )
        )
    session.add_all(PlanUnit(plan_id=plan.id, unit_id=uid) for uid in added)
    session.flush()
    return {"plan": plan.code, "added": len(added), "removed": len(removed)}


def merge_units(session: Session, user: UserInfo, source: str, target: str) -> dict:
    """Fold unit ``source`` into ``target`` (office); returns how many rows followed.

    Raises ``FieldError`` for a unit merged into itself, an already merged unit, or reports of
    both units for the same task in the same cycle (the office must settle those first).
    """
    require_manager(user, "merge units")
    try:
        old = task_repo.find_unit(session, source)
    except NotFoundError as err:
        raise FieldError("source", str(err), "fe.unknown_unit", code=source) from err
    try:
        new = task_repo.find_unit(session, target)
    except NotFoundError as err:
        raise FieldError("target", str(err), "fe.unknown_unit", code=target) from err
    if old.id == new.id:
        raise FieldError("target", "a unit cannot be merged into itself", "fe.merge_self")
    if old.merged_into_id is not None:
        raise FieldError("source", f"{old.code} was merged already", "fe.merged", code=old.code)
    if not new.is_active:
        raise FieldError("target", f"{new.code} is inactive", "fe.inactive", code=new.code)
    clash = session.execute(
        select(ProgressReport.task_id, ProgressReport.cycle_id)
        .where(ProgressReport.unit_id == old.id)
        .intersect(
            select(ProgressReport.task_id, ProgressReport.cycle_id).where(
                ProgressReport.unit_id == new.id
            )
        )
    ).first()
    if clash:
        raise FieldError(
            "source",
            f"both units reported on task {clash[0]} in cycle {clash[1]}; settle that first",
            "fe.merge_clash",
            task=clash[0],
            cycle=clash[1],
        )
    moved = {"tasks": 0, "supporting": 0, "reports": 0, "users": 0, "plans": 0}
    # Row by row through the ORM, so the audit log records each one that follows.
    for task in session.scalars(select(Task).where(Task.lead_unit_id == old.id)):
        task.lead_unit_id = new.id
        moved["tasks"] += 1
    for link in list(
        session.scalars(select(TaskSupportingUnit).where(TaskSupportingUnit.unit_id == old.id))
    ):
        has = session.get(TaskSupportingUnit, (link.task_id, new.id))
        task = session.get(Task, link.task_id)
        if has is None and task.lead_unit_id != new.id:
            session.add(
                TaskSupportingUnit(task_id=link.task_id, unit_id=new.id, position=link.position)
            )
        session.delete(link)
        moved["supporting"] += 1
    for report in session.scalars(select(ProgressReport).where(ProgressReport.unit_id == old.id)):
        report.unit_id = new.id
        moved["reports"] += 1
    for member in session.scalars(select(User).where(User.unit_id == old.id)):
        member.unit_id = new.id
        moved["users"] += 1
    for registration in list(session.scalars(select(PlanUnit).where(PlanUnit.unit_id == old.id))):
        if session.get(PlanUnit, (registration.plan_id, new.id)) is None:
            session.add(PlanUnit(plan_id=registration.plan_id, unit_id=new.id))
        session.delete(registration)
        moved["plans"] += 1
    for child in session.scalars(select(Unit).where(Unit.parent_id == old.id)):
        child.parent_id = new.id
    new.aliases = sorted({*(new.aliases or []), old.name, *(old.aliases or [])} - {new.name})
    old.is_active = False
    old.merged_into_id = new.id
    session.flush()
    return {"source": old.code, "target": new.code, "moved": moved}

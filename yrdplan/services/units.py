"""Responsible units (责任单位) and each plan's registry of them.

A unit is a department, a district or city, or a thematic working group (专题工作组). A plan's
registry (``plan_units``) lists the units that take part in it; checklist imports match unit
names against that registry, because names repeat across cities (every city has a
市发展改革委) while codes do not.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo
from yrdplan.domain.tasks import UNIT_KIND_LABELS_ZH, UNIT_KINDS
from yrdplan.errors import InputError
from yrdplan.services.callers import require_manager
from yrdplan.store.repos import plans as plan_repo
from yrdplan.store.repos import tasks as task_repo
from yrdplan.store.repos.regions import get_region
from yrdplan.store.schema import PlanUnit, Unit

_CODE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


def _clean_name(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).split())


def add_unit(
    session: Session,
    *,
    code: str,
    name: str,
    kind: str = "department",
    region_code: str | None = None,
    parent: str | None = None,
    aliases: Sequence[str] = (),
    plans: Sequence[str | int] = (),
    user: UserInfo | None,
) -> Unit:
    """Create a unit and register it for ``plans``.

    Raises
    ------
    InputError
        A malformed or taken code, an empty name, an unknown kind.
    NotFoundError
        An unknown region, parent unit or plan.
    """
    require_manager(user, "change units and assignments")
    if not _CODE.match(code):
        raise InputError(
            f"unit code {code!r}: use lower-case letters, digits, '-', '_' or '.' (at most 64)"
        )
    if session.scalar(select(Unit.id).where(Unit.code == code)):
        raise InputError(f"unit code {code!r} exists already")
    name = _clean_name(name)
    if not name:
        raise InputError("a unit needs a name")
    if kind not in UNIT_KINDS:
        raise InputError(f"unit kind {kind!r} is not one of {', '.join(UNIT_KINDS)}")
    if region_code:
        get_region(session, region_code)
    parent_id = task_repo.find_unit(session, parent).id if parent else None
    unit = Unit(
        code=code,
        name=name,
        kind=kind,
        region_code=region_code or None,
        parent_id=parent_id,
        aliases=[_clean_name(a) for a in aliases if _clean_name(a)],
    )
    session.add(unit)
    session.flush()
    for plan_ref in plans:
        register_units(session, plan_ref, [unit.code], user=user)
    return unit


def register_units(
    session: Session, plan_ref: str | int, unit_refs: Iterable[str], user: UserInfo | None
) -> int:
    """Add units to a plan's registry; returns how many were new to it."""
    require_manager(user, "change units and assignments")
    plan = plan_repo.find_plan(session, plan_ref)
    added = 0
    for ref in unit_refs:
        unit = task_repo.find_unit(session, ref)
        if not task_repo.is_registered(session, plan.id, unit.id):
            session.add(PlanUnit(plan_id=plan.id, unit_id=unit.id))
            added += 1
    session.flush()
    return added


def unit_public(unit: Unit) -> dict:
    """The documented JSON of a unit."""
    return {
        "id": unit.id,
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "kind_label": UNIT_KIND_LABELS_ZH.get(unit.kind, unit.kind),
        "region": unit.region_code,
        "aliases": list(unit.aliases or []),
    }


def list_units(session: Session, plan_ref: str | int | None = None) -> list[dict]:
    """Units of one plan's registry, or all units."""
    if plan_ref is not None:
        plan = plan_repo.find_plan(session, plan_ref)
        units = task_repo.plan_units(session, plan.id)
    else:
        units = list(session.scalars(select(Unit).order_by(Unit.kind, Unit.code)))
    return [unit_public(u) for u in units]


def matching_names(session: Session, plan_id: int) -> dict[str, Unit]:
    """Name or alias -> unit, for reading a plan's checklist.

    The plan's registry when it has one, else every active unit whose name is unique.
    """
    units = task_repo.plan_units(session, plan_id)
    if not units:
        everyone = [u for u in session.scalars(select(Unit).where(Unit.is_active.is_(True)))]
        counts: dict[str, int] = {}
        for unit in everyone:
            counts[unit.name] = counts.get(unit.name, 0) + 1
        units = [u for u in everyone if counts[u.name] == 1]
    names: dict[str, Unit] = {}
    for unit in units:
        names.setdefault(unit.name, unit)
    for unit in units:
        for alias in unit.aliases or []:
            names.setdefault(alias, unit)
    return names


def resolve_in_plan(session: Session, plan_id: int, ref: str) -> Unit:
    """A unit named in an assignment: code or id anywhere, a name within the plan's registry."""
    names = matching_names(session, plan_id)
    if ref in names:
        return names[ref]
    return task_repo.find_unit(session, ref)

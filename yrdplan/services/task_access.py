"""Who may read which task: the office, admins, viewers and data stewards read every task; a
unit reporter reads the tasks its unit leads or supports."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo
from yrdplan.errors import PermissionDenied
from yrdplan.services.callers import require_caller
from yrdplan.store.repos import tasks as task_repo
from yrdplan.store.schema import Task


def visible_task_ids(session: Session, user: UserInfo | None) -> set[int] | None:
    """Task ids the user may read; ``None`` means all (office, admin, viewer, data steward).

    A unit reporter sees only the tasks its unit leads or supports. The command line passes
    ``SYSTEM_CALLER`` and sees everything; a missing caller is refused (task pages need a
    signed-in user).
    """
    user = require_caller(user)
    if user.role != "unit_reporter":
        return None
    return task_repo.task_ids_of_unit(session, user.unit_id) if user.unit_id else set()


def readable_task(session: Session, user: UserInfo | None, task_id: int) -> Task:
    """The task, if the user may read it; ``PermissionDenied`` if not their unit's."""
    user = require_caller(user)
    task = task_repo.get_task(session, task_id)
    visible = visible_task_ids(session, user)
    if visible is not None and task.id not in visible:
        raise PermissionDenied(f"task {task_id} is not one of your unit's tasks")
    return task


def unit_roles(session: Session, task: Task) -> set[int]:
    """The units on a task: its lead unit and supporting units."""
    roles = set(task_repo.supporting_units(session, [task.id]).get(task.id, []))
    if task.lead_unit_id:
        roles.add(task.lead_unit_id)
    return roles

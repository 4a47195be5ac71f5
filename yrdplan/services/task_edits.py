"""Editing a task: its assignment, schedule, milestones and project data, and splitting it.

One parse of a task update for every caller — the task page's form, the API's PATCH and
``yrdplan tasks assign/split`` — :meth:`TaskUpdate.from_fields`, and one validation in
:func:`apply_update`; both refuse with a :class:`~yrdplan.errors.FieldError` naming the field,
in English for the API and the command line and by a text key (``fe.*``) for a form.

Edits are optimistic: a caller passes the ``row_version`` it read; if the task changed since,
:class:`~yrdplan.errors.ConflictError` and nothing is written.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date

from sqlalchemy import update
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.attributes import set_committed_value

from yrdplan.domain.people import UserInfo
from yrdplan.domain.tasks import STANDING_DEADLINE_PHRASES
from yrdplan.errors import ConflictError, FieldError
from yrdplan.ingest.checklist_xlsx import parse_deadline, split_milestone_line
from yrdplan.ingest.free_text import clean_free_text, normalise_milestone
from yrdplan.services.callers import require_manager
from yrdplan.services.units import resolve_in_plan
from yrdplan.store.audit import changes_since, current_actor
from yrdplan.store.repos import tasks as task_repo
from yrdplan.store.repos.regions import get_region
from yrdplan.store.row_versions import flush_or_conflict
from yrdplan.store.schema import AuditEntry, Milestone, Task, TaskSupportingUnit

#: Values of a yes/no field sent as text (a form, the command line).
_YES = ("1", "true", "yes", "on")
_NO = ("0", "false", "no", "off")


class _Keep:
    """Marks a field of :class:`TaskUpdate` that the caller leaves as it is."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: object = _Keep()


@dataclass
class MilestoneIn:
    title: str
    due_date: date | None = None
    completed_on: date | None = None


@dataclass
class TaskUpdate:
    """Changes to one task's responsibility and schedule; fields left at ``KEEP`` stay."""

    lead_unit: object = KEEP  # unit code/name/id, or None to clear
    supporting_units: object = KEEP  # list of unit refs
    start_date: object = KEEP
    deadline: object = KEEP  # date or None
    deadline_note: object = KEEP  # a standing-task phrase or ""
    milestones: object = KEEP  # list of MilestoneIn
    progress_text: object = KEEP
    weight: object = KEEP
    is_suspended: object = KEEP
    is_major_project: object = KEEP
    planned_investment: object = KEEP
    actual_investment: object = KEEP
    location_code: object = KEEP
    upper_task_id: object = KEEP  # the higher plan's task this one decomposes, or None
    changed: list[str] = field(default_factory=list, repr=False)

    def given(self) -> dict[str, object]:
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name != "changed" and getattr(self, f.name) is not KEEP
        }

    @classmethod
    def from_fields(cls, given: Mapping[str, object]) -> TaskUpdate:
        """The update that ``given`` asks for: only the fields named in it change.

        Values come as a form or the command line sends them (text) or as a JSON body does
        (numbers, booleans, lists); either way an empty value clears a field (``None`` leaves a
        yes/no field as it is). ``deadline`` reads ``2025-12-31``, ``2025年底`` or a standing
        phrase such as ``长期坚持``; ``milestones`` a list of ``{title, due_date, completed_on}``
        or lines of ``2025-06-30：text``; ``supporting_units`` a list or a comma-separated text.
        Refuses with a ``FieldError`` naming the field.
        """
        change = cls()
        if "lead_unit" in given:
            change.lead_unit = _text(given["lead_unit"]) or None
        if "supporting_units" in given:
            change.supporting_units = _unit_refs(given["supporting_units"])
        if "deadline" in given:
            change.deadline, change.deadline_note = _deadline(given["deadline"])
        if "start_date" in given:
            change.start_date = _date("start_date", given["start_date"])
        if "milestones" in given:
            change.milestones = _milestones(given["milestones"])
        for name in ("is_suspended", "is_major_project"):
            if given.get(name) is not None:  # null leaves the flag as it is
                setattr(change, name, _flag(name, given[name]))
        for name in ("planned_investment", "actual_investment", "weight"):
            if name in given:
                value = given[name]
                setattr(change, name, None if _text(value) == "" else value)
        if "location_code" in given:
            change.location_code = _text(given["location_code"]) or None
        if "upper_task_id" in given:
            change.upper_task_id = _task_id("upper_task_id", given["upper_task_id"])
        if "progress_text" in given:
            change.progress_text = _text(given["progress_text"])
        return change


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _unit_refs(value: object) -> list[str]:
    if isinstance(value, list | tuple):
        refs = list(value)
    else:  # a text of units separated by commas or 、
        refs = _text(value).replace("、", ",").replace("，", ",").split(",")
    return [_text(ref) for ref in refs if _text(ref)]


def _deadline(value: object) -> tuple[date | None, str]:
    if isinstance(value, date):
        return value, ""
    text = _text(value)
    if not text:
        return None, ""
    try:
        return parse_deadline(text)
    except ValueError as err:
        raise FieldError("deadline", f"{text!r}: {err}", "fe.deadline", text=text) from err


def _date(name: str, value: object) -> date | None:
    if isinstance(value, date) or value is None:
        return value
    text = _text(value)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise FieldError(
            name, f"{text!r} is not a date (YYYY-MM-DD)", "fe.date", text=text
        ) from err


def _milestones(value: object) -> list[MilestoneIn]:
    if value is None or isinstance(value, str):
        lines = [line for line in clean_free_text(value).split("\n") if line.strip()]
        return [MilestoneIn(*split_milestone_line(line)) for line in lines]
    result = []
    for item in value:
        if isinstance(item, MilestoneIn):
            result.append(item)
            continue
        item = dict(item)
        result.append(
            MilestoneIn(
                title=_text(item.get("title")),
                due_date=_date("milestones", item.get("due_date")),
                completed_on=_date("milestones", item.get("completed_on")),
            )
        )
    return result


def _flag(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in _YES or text in _NO:
        return text in _YES
    raise FieldError(name, f"say 1 (yes) or 0 (no), not {value!r}", "fe.flag")


def _task_id(name: str, value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = _text(value)
    if not text:
        return None
    if not text.isdigit():
        raise FieldError(name, f"{text!r} is not a task number", "fe.not_task", text=text)
    return int(text)


def _check_number(name: str, value: object, *, low: float = 0.0) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise FieldError(name, f"{value!r} is not a number", "fe.not_number", text=value)
    try:
        number = float(value)
    except (TypeError, ValueError) as err:
        raise FieldError(name, f"{value!r} is not a number", "fe.not_number", text=value) from err
    if not math.isfinite(number):
        raise FieldError(name, "a finite number", "fe.finite")
    if number < low:
        raise FieldError(name, f"at least {low:g}, got {value!r}", "fe.at_least", low=low)
    return number


def _validated(session: Session, task: Task, given: dict[str, object]) -> dict[str, object]:
    values = dict(given)
    for name in ("is_suspended", "is_major_project", "weight"):
        if name in values and values[name] is None:
            raise FieldError(
                name, "give a value (true or false, or a number for weight)", "fe.required"
            )
    if "lead_unit" in values:
        ref = values["lead_unit"]
        values["lead_unit"] = resolve_in_plan(session, task.plan_id, str(ref)).id if ref else None
    if "supporting_units" in values:
        ids: list[int] = []
        for ref in values["supporting_units"] or []:
            unit_id = resolve_in_plan(session, task.plan_id, str(ref)).id
            if unit_id not in ids:
                ids.append(unit_id)
        values["supporting_units"] = ids
    lead = values.get("lead_unit", task.lead_unit_id)
    if "supporting_units" in values and lead in values["supporting_units"]:
        values["supporting_units"].remove(lead)
    note = values.get("deadline_note", task.deadline_note) or ""
    deadline = values.get("deadline", task.deadline)
    if note and note not in STANDING_DEADLINE_PHRASES:
        choices = "、".join(STANDING_DEADLINE_PHRASES)
        raise FieldError(
            "deadline", f"{note!r} is not one of {choices}", "fe.one_of", choices=choices
        )
    if note and deadline is not None:
        if "deadline" in values and "deadline_note" not in values:
            values["deadline_note"] = ""  # a date replaces a standing-task phrase
        else:
            raise FieldError(
                "deadline",
                "a task has either a deadline or a standing-task note, not both",
                "fe.deadline_or_note",
            )
    start = values.get("start_date", task.start_date)
    deadline = values.get("deadline", task.deadline)
    if start and deadline and deadline < start:
        raise FieldError(
            "deadline",
            f"{deadline} is before the start date {start}",
            "fe.deadline_before_start",
            deadline=deadline.isoformat(),
            start=start.isoformat(),
        )
    for name in ("planned_investment", "actual_investment"):
        if name in values:
            values[name] = _check_number(name, values[name])
    if "weight" in values:
        values["weight"] = _check_number("weight", values["weight"]) or 0.0
    if "progress_text" in values:
        values["progress_text"] = clean_free_text(values["progress_text"])
    if values.get("location_code"):
        get_region(session, str(values["location_code"]))
    if "milestones" in values:
        values["milestones"] = [
            normalise_milestone(m.title, m.due_date) + (m.completed_on,)
            for m in values["milestones"]
            if clean_free_text(m.title)
        ]
    if values.get("upper_task_id") is not None:
        _check_upper(session, task, int(values["upper_task_id"]))
    return values


def _check_upper(session: Session, task: Task, upper_id: int) -> None:
    upper = task_repo.get_task(session, upper_id)
    if upper.plan_id == task.plan_id:
        raise FieldError(
            "upper_task_id",
            "a task decomposes a task of a higher plan; use a sub-task within a plan",
            "fe.upper_same_plan",
        )
    below = {t.id for t in task_repo.task_tree(session, [task])}
    if upper.id in below:
        raise FieldError(
            "upper_task_id",
            f"task {upper.id} is below task {task.id}: that would make a loop",
            "fe.upper_loop",
            task=upper.id,
        )


def _set_supporting(session: Session, task: Task, wanted: list[int]) -> bool:
    current = task_repo.supporting_units(session, [task.id]).get(task.id, [])
    if current == wanted:
        return False
    for unit_id in set(current) - set(wanted):
        session.delete(session.get(TaskSupportingUnit, (task.id, unit_id)))
    for position, unit_id in enumerate(wanted):
        row = session.get(TaskSupportingUnit, (task.id, unit_id)) if unit_id in current else None
        if row is None:
            session.add(TaskSupportingUnit(task_id=task.id, unit_id=unit_id, position=position))
        elif row.position != position:
            row.position = position
    return True


def _set_milestones(session: Session, task: Task, wanted: list[tuple]) -> bool:
    current = task_repo.milestones(session, [task.id]).get(task.id, [])
    if [(m.title, m.due_date, m.completed_on) for m in current] == wanted:
        return False
    # Rows are updated in place, so each milestone's audit history stays one entity.
    for row, (title, due, done) in zip(current, wanted, strict=False):
        row.title, row.due_date, row.completed_on = title, due, done
    for title, due, done in wanted[len(current) :]:
        session.add(Milestone(task_id=task.id, title=title, due_date=due, completed_on=done))
    for row in current[len(wanted) :]:
        session.delete(row)
    return True


_COLUMNS = {
    "lead_unit": "lead_unit_id",
    "start_date": "start_date",
    "deadline": "deadline",
    "deadline_note": "deadline_note",
    "progress_text": "progress_text",
    "weight": "weight",
    "is_suspended": "is_suspended",
    "is_major_project": "is_major_project",
    "planned_investment": "planned_investment",
    "actual_investment": "actual_investment",
    "location_code": "location_code",
    "upper_task_id": "upper_task_id",
}


def check_version(task: Task, expected: int | None) -> None:
    if expected is not None and int(expected) != task.row_version:
        session = object_session(task)
        since = changes_since(session, "tasks", task.id, int(expected))
        raise ConflictError(
            f"task {task.id} was changed by someone else since you opened it "
            f"(version {task.row_version}, yours {expected}): {since.describe()}; "
            "reload it and make your change again",
            changes=since.fields,
        )


def apply_update(
    session: Session, task: Task, change: TaskUpdate, *, expected_version: int | None = None
) -> list[str]:
    """Apply ``change`` to ``task`` (no permission check); returns the names of changed fields."""
    check_version(task, expected_version)
    values = _validated(session, task, change.given())
    changed = []
    version_before = task.row_version
    for name, column in _COLUMNS.items():
        if name in values and getattr(task, column) != values[name]:
            setattr(task, column, values[name])
            changed.append(name)
    related = False
    if "supporting_units" in values and _set_supporting(session, task, values["supporting_units"]):
        changed.append("supporting_units")
        related = True
    if "milestones" in values and _set_milestones(session, task, values["milestones"]):
        changed.append("milestones")
        related = True
    flush_or_conflict(session, f"task {task.id}")
    if related and task.row_version == version_before:
        bump_version(session, task)
    change.changed = changed
    return changed


def bump_version(session: Session, task: Task) -> None:
    """Advance the task's version when only its supporting units or milestones changed.

    Those live in other tables, so the ORM would not touch the task row; without this a second
    editor holding the old version would silently undo the first one's change.
    """
    result = session.execute(
        update(Task)
        .where(Task.id == task.id, Task.row_version == task.row_version)
        .values(row_version=task.row_version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise ConflictError(f"task {task.id} was changed by someone else; reload it and try again")
    # A Core update passes the audit hooks by; record the step so conflicts can name it.
    actor = current_actor()
    session.add(
        AuditEntry(
            user_id=actor.user_id,
            username=actor.username,
            action="update",
            entity="tasks",
            entity_id=str(task.id),
            old={"row_version": task.row_version},
            new={"row_version": task.row_version + 1},
            note="supporting units or milestones changed",
        )
    )
    set_committed_value(task, "row_version", task.row_version + 1)


def update_task(
    session: Session,
    task_id: int,
    change: TaskUpdate,
    *,
    user: UserInfo | None,
    expected_version: int | None = None,
) -> Task:
    """Assign units, deadline, milestones, major-project data (office and admin only)."""
    require_manager(user)
    task = task_repo.get_task(session, task_id)
    apply_update(session, task, change, expected_version=expected_version)
    return task


def add_subtask(
    session: Session,
    parent_id: int,
    title: str,
    *,
    user: UserInfo | None,
    change: TaskUpdate | None = None,
) -> Task:
    """Split a task: a new sub-task under it, in the same plan and area."""
    require_manager(user)
    parent = task_repo.get_task(session, parent_id)
    title = " ".join(clean_free_text(title).split())
    if not title:
        raise FieldError("title", "a sub-task needs a title", "fe.required")
    siblings = [
        t for t in task_repo.children_of(session, [parent.id]) if t.parent_task_id == parent.id
    ]
    number = len(siblings) + 1
    existing = {t.key for t in task_repo.tasks_of_plan(session, parent.plan_id)}
    while f"{parent.key}/{number}" in existing:
        number += 1
    task = Task(
        plan_id=parent.plan_id,
        key=f"{parent.key}/{number}",
        label=f"{parent.label.rstrip('.、．') or parent.key}.{number}",
        title=title,
        area=parent.area,
        region_code=parent.region_code,
        parent_task_id=parent.id,
        is_simulated=parent.is_simulated,
    )
    session.add(task)
    session.flush()
    if change is not None:
        apply_update(session, task, change)
    return task

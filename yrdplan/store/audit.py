"""The audit log: every write through a session records who, when, what, old → new.

``install_audit`` hooks ``before_flush`` on a session factory, so no service can forget it. Bulk
inserts that bypass the ORM call ``record_bulk_insert``. The table itself refuses UPDATE and
DELETE through database triggers (see the first migration), whoever asks.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, sessionmaker

from yrdplan.store.schema import AuditEntry, Base, utcnow


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int | None
    username: str


SYSTEM = Actor(None, "system")
_current_actor: contextvars.ContextVar[Actor] = contextvars.ContextVar(
    "yrdplan_actor", default=SYSTEM
)


@contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    """Attribute the writes made inside the block to ``actor``."""
    token = _current_actor.set(actor)
    try:
        yield
    finally:
        _current_actor.reset(token)


def current_actor() -> Actor:
    return _current_actor.get()


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"  # evidence files: size, not content
    return value


REDACTED = "<redacted>"


def _shown(obj: Base, key: str, value: Any) -> Any:
    return REDACTED if key in type(obj).__audit_redact__ and value is not None else _jsonable(value)


def _row_values(obj: Base) -> dict[str, Any]:
    mapper = inspect(obj).mapper
    return {col.key: _shown(obj, col.key, getattr(obj, col.key)) for col in mapper.column_attrs}


def _identity(obj: Base) -> str:
    # From the mapped columns, not the identity map: in after_flush the key is not yet assigned.
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    return "/".join("" if part is None else str(part) for part in key)


def _changes(obj: Base) -> tuple[dict, dict]:
    state = inspect(obj)
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if history.has_changes():
            old[attr.key] = _shown(obj, attr.key, history.deleted[0]) if history.deleted else None
            new[attr.key] = _shown(obj, attr.key, history.added[0]) if history.added else None
    version_column = state.mapper.version_id_col
    if new and version_column is not None:
        # The ORM bumps the version during the flush, after this hook: record the step it takes,
        # so that a refused writer can be told what changed after the version they read.
        key = state.mapper.get_property_by_column(version_column).key
        current = getattr(obj, key)
        if current is not None:
            old[key], new[key] = current, current + 1
    return old, new


def _audited(obj: object) -> bool:
    return isinstance(obj, Base) and getattr(type(obj), "__audited__", True)


def _before_flush(session: Session, _flush_context, _instances) -> None:
    actor = current_actor()
    pending_inserts = [obj for obj in session.new if _audited(obj)]
    entries: list[AuditEntry] = []
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj, include_collections=False):
            old, new = _changes(obj)
            if new or old:
                entries.append(_entry(actor, "update", obj, old, new))
    for obj in session.deleted:
        if _audited(obj):
            entries.append(_entry(actor, "delete", obj, _row_values(obj), None))
    session.add_all(entries)
    # Inserted rows get their ids during the flush; record them right after it.
    session.info.setdefault("_audit_pending_inserts", []).extend(pending_inserts)


def _after_flush(session: Session, _flush_context) -> None:
    pending = session.info.pop("_audit_pending_inserts", [])
    if not pending:
        return
    actor = current_actor()
    rows = [
        {
            "username": actor.username,
            "user_id": actor.user_id,
            "action": "insert",
            "entity": obj.__tablename__,
            "entity_id": _identity(obj),
            "old": None,
            "new": _row_values(obj),
            "at": utcnow(),
            "note": "",
        }
        for obj in pending
    ]
    session.execute(AuditEntry.__table__.insert(), rows)


def _entry(actor: Actor, action: str, obj: Base, old: dict | None, new: dict | None) -> AuditEntry:
    return AuditEntry(
        user_id=actor.user_id,
        username=actor.username,
        action=action,
        entity=obj.__tablename__,
        entity_id=_identity(obj),
        old=old,
        new=new,
    )


def install_audit(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Make every session from ``factory`` write audit rows for its changes."""
    event.listen(factory, "before_flush", _before_flush)
    event.listen(factory, "after_flush", _after_flush)
    return factory


def record_bulk_insert(session: Session, table_name: str, rows: list[dict], note: str = "") -> None:
    """Audit rows that were inserted with a Core bulk insert (which bypasses the ORM events)."""
    actor = current_actor()
    now = utcnow()
    session.execute(
        AuditEntry.__table__.insert(),
        [
            {
                "username": actor.username,
                "user_id": actor.user_id,
                "action": "insert",
                "entity": table_name,
                "entity_id": str(row.get("id", "")),
                "old": None,
                "new": {k: _jsonable(v) for k, v in row.items()},
                "at": now,
                "note": note,
            }
            for row in rows
        ],
    )


@dataclass(frozen=True, slots=True)
class ChangesSince:
    """What others changed in one row since the version a writer read (from the audit log)."""

    fields: dict[str, Any]  # field → its newest value
    by: list[str]  # who changed it, in order

    def describe(self) -> str:
        if self.fields:
            what = ", ".join(f"{name} → {value!r}" for name, value in self.fields.items())
        else:
            what = "its supporting units or milestones changed"
        return f"{what} (by {', '.join(dict.fromkeys(self.by)) or 'someone else'})"


def changes_since(session: Session, table: str, row_id: int, version: int) -> ChangesSince:
    """The fields of ``table`` row ``row_id`` that changed after its ``row_version`` ``version``."""
    from sqlalchemy import select  # local: the module otherwise needs only the ORM events

    entries = session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.entity == table,
            AuditEntry.entity_id == str(row_id),
            AuditEntry.action == "update",
        )
        .order_by(AuditEntry.id)
    )
    fields: dict[str, Any] = {}
    by: list[str] = []
    for entry in entries:
        new = entry.new or {}
        if int(new.get("row_version") or 0) <= version:
            continue
        fields |= {key: value for key, value in new.items() if key != "row_version"}
        by.append(entry.username)
    return ChangesSince(fields, by)

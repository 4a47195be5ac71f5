"""Instance settings (``instance_settings``): one value per key, changes audited by hand.

The table is not audited automatically because it also holds the session signing key; settings
the office changes are recorded here, one audit entry per change, old → new.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yrdplan.store.audit import current_actor
from yrdplan.store.schema import AuditEntry, InstanceSetting


def read_setting(session: Session, key: str) -> str | None:
    """The value stored under ``key``; None when nobody has set it."""
    return session.scalar(select(InstanceSetting.value).where(InstanceSetting.key == key))


def write_setting(session: Session, key: str, value: str) -> str | None:
    """Store ``value`` under ``key`` and record the change in the audit log; the old value."""
    row = session.get(InstanceSetting, key)
    old = row.value if row else None
    if row is None:
        session.add(InstanceSetting(key=key, value=value))
    else:
        row.value = value
    actor = current_actor()
    session.add(
        AuditEntry(
            user_id=actor.user_id,
            username=actor.username,
            action="update" if old is not None else "insert",
            entity="instance_settings",
            entity_id=key,
            old={"value": old} if old is not None else None,
            new={"value": value},
        )
    )
    session.flush()
    return old

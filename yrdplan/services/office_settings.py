"""The office's settings page: each setting with its current value, its default, and who
changed it when (from the audit log, which records every change of an instance setting).

Settings are numbers (margins, thresholds) or switches (the public portal); the form's text is
read by the setting's own parser, and a refusal names the setting's key."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo
from yrdplan.errors import FieldError, InputError
from yrdplan.services import delivery_settings, portal, reminders, warning_rules
from yrdplan.services.callers import require_manager
from yrdplan.store.schema import AuditEntry


def _threshold(name: str):
    def read(session: Session) -> float:
        return warning_rules.stored_thresholds(session).get(
            name, warning_rules.default_thresholds()[name]
        )

    def write(session: Session, value: float, user: UserInfo) -> float:
        return warning_rules.set_threshold(session, name, value, user)

    return read, write, warning_rules.default_thresholds()[name], "number"


def _number(text: str) -> float:
    try:
        return float(text.strip().replace(",", "."))
    except ValueError as err:
        raise InputError(f"{text!r} is not a number") from err


_PARSERS = {"number": _number, "switch": portal.parse_switch}

# key -> (reader, writer, default, kind); the writers are the use cases the CLI calls too.
_SETTINGS = {
    portal.PORTAL_OPEN_KEY: (
        portal.portal_open,
        portal.set_portal_open,
        portal.DEFAULT_PORTAL_OPEN,
        "switch",
    ),
    delivery_settings.LAGGING_MARGIN_KEY: (
        delivery_settings.lagging_margin,
        delivery_settings.set_lagging_margin,
        delivery_settings.DEFAULT_LAGGING_MARGIN,
        "number",
    ),
    **{
        warning_rules.THRESHOLD_PREFIX + name: _threshold(name) for name in warning_rules.ADJUSTABLE
    },
    reminders.ENABLED_KEY: (
        reminders.reminders_enabled,
        reminders.set_reminders_enabled,
        reminders.DEFAULT_ENABLED,
        "number",
    ),
    reminders.DAYS_KEY: (
        reminders.reminder_days,
        reminders.set_reminder_days,
        reminders.DEFAULT_DAYS,
        "number",
    ),
}


def _last_change(session: Session, key: str) -> dict | None:
    entry = session.scalar(
        select(AuditEntry)
        .where(AuditEntry.entity == "instance_settings", AuditEntry.entity_id == key)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    if entry is None:
        return None
    return {"by": entry.username, "at": entry.at, "old": (entry.old or {}).get("value")}


def _allowed(key: str) -> dict:
    """What ``key`` takes, for the form's message: a text key of the web and its numbers."""
    if key == delivery_settings.LAGGING_MARGIN_KEY:
        return {"key": "fe.range_below", "low": 0, "high": 100}
    if key == reminders.ENABLED_KEY:
        return {"key": "fe.flag"}
    if key == portal.PORTAL_OPEN_KEY:  # a select of on/off: the parser's own words say it
        return {"key": None}
    if key == reminders.DAYS_KEY:
        return {"key": "fe.whole_range", "low": 0, "high": reminders.MAX_DAYS}
    kind, low, high = warning_rules.ADJUSTABLE[key.removeprefix(warning_rules.THRESHOLD_PREFIX)]
    return {"key": "fe.whole_range" if kind is int else "fe.range", "low": low, "high": high}


def list_settings(session: Session, user: UserInfo) -> list[dict]:
    """Every setting the office may change: key, kind (number or switch), current value,
    default, last change."""
    require_manager(user, "see the settings")
    return [
        {
            "key": key,
            "kind": kind,
            "value": reader(session),
            "default": default,
            "changed": _last_change(session, key),
        }
        for key, (reader, _, default, kind) in _SETTINGS.items()
    ]


def change_setting(session: Session, user: UserInfo, key: str, text: str) -> dict:
    """Set one setting from the form's text; ``FieldError`` naming the key when refused."""
    require_manager(user, "change the settings")
    if key not in _SETTINGS:
        raise FieldError(
            "key",
            f"unknown setting {key!r}: one of {', '.join(_SETTINGS)}",
            "fe.one_of",
            choices=", ".join(_SETTINGS),
        )
    _, writer, _, kind = _SETTINGS[key]
    if kind == "number":
        try:
            float(text.strip().replace(",", "."))
        except ValueError as err:
            raise FieldError(key, f"{text!r} is not a number", "fe.not_number", text=text) from err
    try:
        value = _PARSERS[kind](text)
        writer(session, value, user=user)
    except InputError as err:
        allowed = _allowed(key)
        raise FieldError(key, str(err), allowed.pop("key"), **allowed) from err
    return next(s for s in list_settings(session, user) if s["key"] == key)

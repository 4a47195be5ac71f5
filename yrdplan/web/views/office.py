"""What the office's administration pages show: users, my account, units, the catalogue,
targets, imports and settings. Each function returns a language-free ``…Public`` model; the
routes render it as HTML or as its JSON twin. ``form`` holds what the user typed and ``errors``
the message for each field, so a refused form comes back as it was sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from yrdplan.domain.people import ROLES, UserInfo
from yrdplan.domain.plans import PLAN_KINDS
from yrdplan.domain.tasks import UNIT_KINDS
from yrdplan.ingest.indicators_table import (
    AGGREGATION_ALIASES,
    DIRECTION_ALIASES,
    FREQUENCY_ALIASES,
    KIND_ALIASES,
)
from yrdplan.services import (
    accounts,
    catalogue_admin,
    import_preview,
    office_settings,
    unit_admin,
    user_admin,
)
from yrdplan.services.indicator_data import list_targets
from yrdplan.services.plans import list_plans_public


class FormState(BaseModel):
    """A form as typed, the message for each refused field, and what a done action said."""

    form: dict[str, Any] = Field(default_factory=dict)
    errors: dict[str, str] = Field(default_factory=dict)
    done: dict[str, Any] | None = None


class UserPublic(BaseModel):
    username: str
    display_name: str
    role: str
    unit_code: str | None
    unit_name: str | None
    region_codes: list[str]
    is_active: bool
    must_change_password: bool
    language: str
    created_at: datetime


class UsersPublic(FormState):
    query: str = ""
    role: str | None = None
    roles: list[str] = list(ROLES)
    users: list[UserPublic]


class UserPagePublic(FormState):
    user: UserPublic
    roles: list[str] = list(ROLES)
    tokens: list[dict[str, Any]]
    sessions: list[dict[str, Any]]


class AccountPublic(FormState):
    user: UserPublic
    tokens: list[dict[str, Any]]
    sessions: list[dict[str, Any]]


class UnitsPublic(FormState):
    query: str = ""
    plan: str | None = None
    kinds: list[str] = list(UNIT_KINDS)
    plans: list[str]
    units: list[dict[str, Any]]
    editing: dict[str, Any] | None = None


class CataloguePublic(FormState):
    query: str = ""
    show_retired: bool = False
    choices: dict[str, list[str]]
    indicators: list[dict[str, Any]]
    editing: dict[str, Any] | None = None


class TargetsPublic(FormState):
    indicator: str | None = None
    comparators: list[str] = list(catalogue_admin.TARGET_COMPARATORS)
    indicators: list[str]
    targets: list[dict[str, Any]]
    history: list[dict[str, Any]] = Field(default_factory=list)


class ImportsPublic(FormState):
    kinds: dict[str, list[str]]
    templates: list[str]
    plan_kinds: list[str]
    pending: list[dict[str, Any]]


class ImportPreviewPublic(BaseModel):
    id: str
    kind: str
    file: str
    confirmed: bool = False
    report: dict[str, Any] | None
    problems: list[dict[str, Any]]


class SettingsPublic(FormState):
    settings: list[dict[str, Any]]


def users_view(
    session: Session, user: UserInfo, query: str = "", role: str | None = None, **state: Any
) -> UsersPublic:
    rows = user_admin.search_users(session, user, query, role or None)
    return UsersPublic(query=query, role=role, users=rows, **state)


def user_view(session: Session, user: UserInfo, username: str, **state: Any) -> UserPagePublic:
    shown = user_admin.get_user(session, user, username)
    return UserPagePublic(
        user=shown,
        tokens=user_admin.list_tokens(session, user, username),
        sessions=accounts.user_sessions(session, user, username),
        **state,
    )


def account_view(session: Session, user: UserInfo, **state: Any) -> AccountPublic:
    mine = user_admin.my_account(session, user)
    return AccountPublic(
        user=mine, tokens=mine.pop("tokens"), sessions=mine.pop("sessions"), **state
    )


def units_view(
    session: Session,
    user: UserInfo,
    query: str = "",
    plan: str | None = None,
    editing: str | None = None,
    **state: Any,
) -> UnitsPublic:
    rows = unit_admin.list_unit_rows(session, user, query, plan or None)
    chosen = None
    if editing:
        chosen = next(
            (r for r in unit_admin.list_unit_rows(session, user, editing) if r["code"] == editing),
            None,
        )
    return UnitsPublic(
        query=query,
        plan=plan,
        plans=[p["code"] for p in list_plans_public(session)],
        units=rows,
        editing=chosen,
        **state,
    )


def catalogue_view(
    session: Session,
    user: UserInfo,
    query: str = "",
    show_retired: bool = False,
    editing: str | None = None,
    **state: Any,
) -> CataloguePublic:
    rows = catalogue_admin.search_catalogue(session, user, query, retired=show_retired)
    chosen = None
    if editing:
        every = catalogue_admin.search_catalogue(session, user, "", retired=True)
        chosen = next((r for r in every if r["code"] == editing), None)
    choices = {
        "direction": list(DIRECTION_ALIASES),
        "kind": list(KIND_ALIASES),
        "aggregation": list(AGGREGATION_ALIASES),
        "frequency": list(FREQUENCY_ALIASES),
    }
    return CataloguePublic(
        query=query,
        show_retired=show_retired,
        choices=choices,
        indicators=rows,
        editing=chosen,
        **state,
    )


def targets_view(
    session: Session,
    user: UserInfo,
    indicator: str | None = None,
    key: str | None = None,
    **state: Any,
) -> TargetsPublic:
    codes = [r["code"] for r in catalogue_admin.search_catalogue(session, user)]
    history = catalogue_admin.target_revisions(session, user, key) if key else []
    return TargetsPublic(
        indicator=indicator,
        indicators=codes,
        targets=list_targets(session, indicator=indicator) if indicator else [],
        history=history,
        **state,
    )


def imports_view(session: Session, user: UserInfo, **state: Any) -> ImportsPublic:
    return ImportsPublic(
        kinds={k: list(import_preview.IMPORT_KINDS[k]) for k in import_preview.import_kinds(user)},
        templates=list(import_preview.TEMPLATES),
        plan_kinds=list(PLAN_KINDS),
        pending=import_preview.pending_imports(session, user),
        **state,
    )


def settings_view(session: Session, user: UserInfo, **state: Any) -> SettingsPublic:
    return SettingsPublic(settings=office_settings.list_settings(session, user), **state)


class OfficeHubPublic(BaseModel):
    links: list[str]  # the administration pages this user may open, in menu order


def office_hub_view(user: UserInfo) -> OfficeHubPublic:
    """Where the office's administration pages are: the office and admins see them all (users
    only for an admin), a data steward only the imports."""
    links = ["/units", "/catalogue", "/targets", "/imports", "/settings"]
    if user.role == "admin":
        links.insert(0, "/users")
    if not user.can_manage:
        links = ["/imports"] if user.role == "data_steward" else []
    return OfficeHubPublic(links=links)

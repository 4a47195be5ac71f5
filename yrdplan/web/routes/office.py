"""Running the office from the browser: users and roles (admin), my account (everyone), units
and plan registries, the indicator catalogue, targets, imports with a preview, and settings.

Every form also takes a JSON body (answered in JSON): the pages are the HTTP API. A refused form
comes back with what was typed and the message beside the field (``FieldError``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel

from yrdplan.errors import FieldError, InputError
from yrdplan.services import (
    accounts,
    catalogue_admin,
    import_preview,
    office_settings,
    unit_admin,
    user_admin,
)
from yrdplan.web.deps import (
    SESSION_COOKIE,
    CurrentUser,
    DatabaseDep,
    SessionDep,
    actor_of,
    language,
    verify_csrf,
)
from yrdplan.web.downloads import file_response, file_responses
from yrdplan.web.i18n import field_message
from yrdplan.web.render import render, wants_json
from yrdplan.web.uploads import read_upload, upload_limit
from yrdplan.web.views import office as views

router = APIRouter(tags=["office"])
CSRF = [Depends(verify_csrf)]
_LISTS = {"region_codes", "plans", "units", "task_ids"}


async def _fields(request: Request) -> tuple[dict[str, Any], bool]:
    """The submitted fields (form or JSON body) and whether the caller speaks JSON."""
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await request.json()
        if not isinstance(body, dict):
            raise FieldError("request body", "expected a JSON object of fields", "fe.json_object")
        for key, value in body.items():
            plain = (str, int, float, bool, type(None))
            if not isinstance(value, plain) and not (
                key in _LISTS and isinstance(value, list) and all(isinstance(v, str) for v in value)
            ):
                raise FieldError(
                    key,
                    "expected text or a number" + (", or a list of texts" if key in _LISTS else ""),
                    "fe.plain_value",
                )
        return body, True
    form = await request.form()
    fields: dict[str, Any] = {}
    for key in form:
        values = [v for v in form.getlist(key) if isinstance(v, str)]
        if key in _LISTS:
            fields[key] = [
                x.strip() for v in values for x in v.replace("，", ",").split(",") if x.strip()
            ]
        elif values:
            fields[key] = values[-1]
    fields.pop("csrf_token", None)
    return fields, wants_json(request)


def _text(fields: dict, *names: str) -> dict[str, str]:
    return {name: str(fields.get(name) or "") for name in names}


def _answer(
    request: Request,
    user,
    template: str,
    page: Callable[..., BaseModel],
    as_json: bool,
    *,
    fields: dict,
    error: FieldError | None = None,
    done: dict | None = None,
    redirect: str | None = None,
) -> Response:
    """After a POST: JSON for API callers; else a redirect, or the page again with the error."""
    if as_json:
        if error is not None:
            return JSONResponse(
                {
                    "error": str(error),
                    "field": error.field,
                    "message": field_message(error, language(request)),
                },
                status_code=400,
            )
        return JSONResponse(jsonable_encoder(done or {}))
    if error is None and redirect:
        return RedirectResponse(redirect, status_code=303)
    state = {
        "form": fields,
        "errors": {error.field: field_message(error, language(request))} if error else {},
        "done": done,
    }
    with request.app.state.database.read() as session:
        model = page(session, state)
    status = 400 if error else 200
    return render(request, template, model.model_dump(mode="json"), user, status_code=status)


async def _form_action(
    request: Request,
    database,
    user,
    template: str,
    view: Callable[..., BaseModel],
    action: Callable[[Any, dict], Any],
    *,
    refused_view: Callable[[dict], dict] | None = None,
    done_view: Callable[[dict], dict] | None = None,
) -> Response:
    """Run ``action(session, fields)`` in one audited write, then show ``view``'s page: with the
    form as typed and the message beside its field when refused, else with what was done."""
    fields, as_json = await _fields(request)
    try:
        with database.write(actor_of(user)) as session:
            done = action(session, fields)
    except FieldError as err:
        return _answer(
            request,
            user,
            template,
            lambda s, st: view(s, user, **(refused_view(fields) if refused_view else {}), **st),
            as_json,
            fields=fields,
            error=err,
        )
    after = done_view(fields) if done_view else {}
    return _answer(
        request,
        user,
        template,
        lambda s, st: view(s, user, **after, **st),
        as_json,
        fields={},
        done=done,
    )


# -- users (admin) ----------------------------------------------------------------------------


@router.get("/users", response_model=views.UsersPublic)
def users_page(
    request: Request, session: SessionDep, user: CurrentUser, q: str = "", role: str = ""
):
    """Users, searched by name; the admin's add form."""
    model = views.users_view(session, user, q, role or None)
    return render(request, "office_users.html", model.model_dump(mode="json"), user)


def _user_form(fields: dict) -> user_admin.UserForm:
    regions = fields.get("region_codes") or []
    if isinstance(regions, str):
        regions = [r.strip() for r in regions.split(",") if r.strip()]
    return user_admin.UserForm(
        **_text(fields, "username", "display_name", "unit_code", "password"),
        role=str(fields.get("role") or "viewer"),
        region_codes=list(regions),
    )


@router.post("/users", include_in_schema=False, dependencies=CSRF)
async def add_user(request: Request, database: DatabaseDep, user: CurrentUser):
    fields, as_json = await _fields(request)
    shown = {k: v for k, v in fields.items() if k != "password"}  # never echo a password
    try:
        with database.write(actor_of(user)) as session:
            done = user_admin.add_user(session, user, _user_form(fields))
    except FieldError as err:
        return _answer(
            request,
            user,
            "office_users.html",
            lambda s, st: views.users_view(s, user, **st),
            as_json,
            fields=shown,
            error=err,
        )
    return _answer(
        request,
        user,
        "office_users.html",
        None,
        as_json,
        fields=shown,
        done=done,
        redirect=f"/users/{done['username']}",
    )


@router.get("/users/{username}", response_model=views.UserPagePublic)
def user_page(username: str, request: Request, session: SessionDep, user: CurrentUser):
    """One user: edit, enable or disable, reset the password, tokens and sessions."""
    model = views.user_view(session, user, username)
    return render(request, "office_user.html", model.model_dump(mode="json"), user)


async def _user_action(request, database, user, username, action) -> Response:
    fields, as_json = await _fields(request)
    try:
        with database.write(actor_of(user)) as session:
            done = action(session, fields)
    except FieldError as err:
        return _answer(
            request,
            user,
            "office_user.html",
            lambda s, st: views.user_view(s, user, username, **st),
            as_json,
            fields=fields,
            error=err,
        )
    if isinstance(done, dict) and ("token" in done or "password" in done):
        # Shown once, on this response only: never in a redirect URL.
        return _answer(
            request,
            user,
            "office_user.html",
            lambda s, st: views.user_view(s, user, username, **st),
            as_json,
            fields={},
            done=done,
        )
    return _answer(
        request, user, "", None, as_json, fields=fields, done=done, redirect=f"/users/{username}"
    )


@router.post("/users/{username}", include_in_schema=False, dependencies=CSRF)
async def edit_user(username: str, request: Request, database: DatabaseDep, user: CurrentUser):
    def act(session, fields):
        # A field left out keeps its value, so an API call may change one thing.
        current = user_admin.get_user(session, user, username)
        merged = {k: current[k] for k in ("display_name", "role", "unit_code", "region_codes")}
        merged["unit_code"] = merged["unit_code"] or ""
        form = _user_form(merged | fields | {"username": username})
        return user_admin.update_user(session, user, username, form)

    return await _user_action(request, database, user, username, act)


@router.post("/users/{username}/active", include_in_schema=False, dependencies=CSRF)
async def set_active(username: str, request: Request, database: DatabaseDep, user: CurrentUser):
    def act(session, fields):
        try:
            return user_admin.set_user_active(
                session, user, username, lambda: _flag(fields, "active")
            )
        except FieldError:
            raise
        except InputError as err:
            raise FieldError("active", str(err), "fe.last_admin") from err

    return await _user_action(request, database, user, username, act)


@router.post("/users/{username}/reset", include_in_schema=False, dependencies=CSRF)
async def reset_password(username: str, request: Request, database: DatabaseDep, user: CurrentUser):
    return await _user_action(
        request,
        database,
        user,
        username,
        lambda s, f: {"password": user_admin.reset_password(s, user, username)},
    )


@router.post("/users/{username}/tokens", include_in_schema=False, dependencies=CSRF)
async def issue_token(username: str, request: Request, database: DatabaseDep, user: CurrentUser):
    return await _user_action(
        request,
        database,
        user,
        username,
        lambda s, f: {
            "token": user_admin.issue_user_token(s, user, username, str(f.get("name") or ""))
        },
    )


@router.post(
    "/users/{username}/tokens/{token_id}/revoke", include_in_schema=False, dependencies=CSRF
)
async def revoke_token(
    username: str, token_id: int, request: Request, database: DatabaseDep, user: CurrentUser
):
    back = (
        "/account"
        if username == user.username and "account" in request.headers.get("referer", "")
        else f"/users/{username}"
    )
    _, as_json = await _fields(request)
    with database.write(actor_of(user)) as session:
        user_admin.revoke_token(session, user, username, token_id)
    return _answer(
        request, user, "", None, as_json, fields={}, done={"revoked": token_id}, redirect=back
    )


def _flag(fields: dict, name: str) -> bool:
    value = str(fields.get(name))
    if value not in ("0", "1", "True", "False", "true", "false"):
        raise FieldError(name, "say 1 (yes) or 0 (no)", "fe.flag")
    return value in ("1", "True", "true")


# -- my account (everyone) --------------------------------------------------------------------


@router.get("/account", response_model=views.AccountPublic)
def account_page(request: Request, session: SessionDep, user: CurrentUser):
    """My account: password, language, my API tokens and sessions."""
    model = views.account_view(session, user)
    return render(request, "office_account.html", model.model_dump(mode="json"), user)


def _account(request, user, as_json, fields, error=None, done=None) -> Response:
    return _answer(
        request,
        user,
        "office_account.html",
        lambda s, st: views.account_view(s, user, **st),
        as_json,
        fields=fields,
        error=error,
        done=done,
    )


@router.post("/account/password", include_in_schema=False, dependencies=CSRF)
async def change_my_password(request: Request, database: DatabaseDep, user: CurrentUser):
    fields, as_json = await _fields(request)
    new, again = str(fields.get("new_password") or ""), str(fields.get("repeat_password") or "")
    try:
        if new != again:
            raise FieldError(
                "repeat_password", "the two new passwords differ", "fe.passwords_differ"
            )
        with database.write(actor_of(user)) as session:
            try:
                accounts.change_password(
                    session, user, user.username, new, str(fields.get("current_password") or "")
                )
            except InputError as err:
                field, _, message = str(err).partition(": ")
                name = "current_password" if field == "current_password" else "new_password"
                if name == "current_password":
                    raise FieldError(name, message, "fe.wrong_password") from err
                raise FieldError(
                    name,
                    message or str(err),
                    "fe.password_short",
                    count=accounts.MIN_PASSWORD_LENGTH,
                ) from err
    except FieldError as err:
        return _account(request, user, as_json, {}, error=err)
    # Every session ended with the change, this one too: log in again with the new password.
    response = _answer(
        request,
        user,
        "",
        None,
        as_json,
        fields={},
        done={"changed": True},
        redirect="/login?next=/account",
    )
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/account/language", include_in_schema=False, dependencies=CSRF)
async def change_my_language(request: Request, database: DatabaseDep, user: CurrentUser):
    fields, as_json = await _fields(request)
    language = str(fields.get("language") or "")
    try:
        with database.write(actor_of(user)) as session:
            user_admin.set_language(session, user, language)
    except FieldError as err:
        return _account(request, user, as_json, fields, error=err)
    response = _answer(
        request,
        user,
        "",
        None,
        as_json,
        fields={},
        done={"language": language},
        redirect="/account",
    )
    response.set_cookie("lang", language, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.post("/account/tokens", include_in_schema=False, dependencies=CSRF)
async def issue_my_token(request: Request, database: DatabaseDep, user: CurrentUser):
    fields, as_json = await _fields(request)
    with database.write(actor_of(user)) as session:
        token = user_admin.issue_user_token(
            session, user, user.username, str(fields.get("name") or "")
        )
    return _account(request, user, as_json, {}, done={"token": token})


# -- units and plan registries (office) -------------------------------------------------------


def _unit_form(fields: dict) -> unit_admin.UnitForm:
    return unit_admin.UnitForm(
        **_text(
            fields, "code", "name", "short_name", "region_code", "parent", "contact", "aliases"
        ),
        kind=str(fields.get("kind") or "department"),
    )


@router.get("/units", response_model=views.UnitsPublic)
def units_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    q: str = "",
    plan: str = "",
    edit: str = "",
):
    """The unit registry (or one plan's), with add, edit and merge forms."""
    model = views.units_view(session, user, q, plan or None, edit or None)
    return render(request, "office_units.html", model.model_dump(mode="json"), user)


@router.post("/units", include_in_schema=False, dependencies=CSRF)
async def add_unit(request: Request, database: DatabaseDep, user: CurrentUser):
    return await _form_action(
        request,
        database,
        user,
        "office_units.html",
        views.units_view,
        lambda s, f: unit_admin.create_unit(s, user, _unit_form(f), list(f.get("plans") or [])),
    )


@router.post("/units/merge", include_in_schema=False, dependencies=CSRF)
async def merge_units(request: Request, database: DatabaseDep, user: CurrentUser):
    return await _form_action(
        request,
        database,
        user,
        "office_units.html",
        views.units_view,
        lambda s, f: unit_admin.merge_units(
            s, user, str(f.get("source") or ""), str(f.get("target") or "")
        ),
    )


@router.post("/units/registry", include_in_schema=False, dependencies=CSRF)
async def set_registry(request: Request, database: DatabaseDep, user: CurrentUser):
    return await _form_action(
        request,
        database,
        user,
        "office_units.html",
        views.units_view,
        lambda s, f: unit_admin.set_plan_units(
            s, user, str(f.get("plan") or ""), list(f.get("units") or [])
        ),
    )


@router.post("/units/{code}", include_in_schema=False, dependencies=CSRF)
async def edit_unit(code: str, request: Request, database: DatabaseDep, user: CurrentUser):
    return await _form_action(
        request,
        database,
        user,
        "office_units.html",
        views.units_view,
        lambda s, f: unit_admin.update_unit(s, user, code, _unit_form(f)),
        refused_view=lambda f: {"editing": code},
    )


# -- the indicator catalogue and targets (office) ---------------------------------------------


def _indicator_form(fields: dict, code: str | None = None) -> catalogue_admin.IndicatorForm:
    names = [n for n in catalogue_admin.IndicatorForm.__dataclass_fields__ if n != "code"]
    form = catalogue_admin.IndicatorForm(
        **_text(fields, *names), code=code or str(fields.get("code") or "")
    )
    for name, default in (("direction", ""), ("kind", "indicative"), ("frequency", "year")):
        setattr(form, name, getattr(form, name) or default)
    return form


@router.get("/catalogue", response_model=views.CataloguePublic)
def catalogue_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    q: str = "",
    retired: bool = False,
    edit: str = "",
):
    """The indicator catalogue: search, add, edit (formula checked), retire."""
    model = views.catalogue_view(session, user, q, retired, edit or None)
    return render(request, "office_catalogue.html", model.model_dump(mode="json"), user)


@router.post("/catalogue", include_in_schema=False, dependencies=CSRF)
async def add_indicator(request: Request, database: DatabaseDep, user: CurrentUser):
    return await _form_action(
        request,
        database,
        user,
        "office_catalogue.html",
        views.catalogue_view,
        lambda s, f: catalogue_admin.save_indicator(s, user, _indicator_form(f), new=True),
    )


@router.post("/catalogue/{code}", include_in_schema=False, dependencies=CSRF)
async def edit_indicator(code: str, request: Request, database: DatabaseDep, user: CurrentUser):
    return await _form_action(
        request,
        database,
        user,
        "office_catalogue.html",
        views.catalogue_view,
        lambda s, f: catalogue_admin.save_indicator(s, user, _indicator_form(f, code), new=False),
        refused_view=lambda f: {"editing": code},
    )


@router.post("/catalogue/{code}/retire", include_in_schema=False, dependencies=CSRF)
async def retire_indicator(code: str, request: Request, database: DatabaseDep, user: CurrentUser):
    return await _form_action(
        request,
        database,
        user,
        "office_catalogue.html",
        views.catalogue_view,
        lambda s, f: catalogue_admin.retire_indicator(s, user, code, lambda: _flag(f, "retired")),
    )


@router.get("/targets", response_model=views.TargetsPublic)
def targets_page(
    request: Request, session: SessionDep, user: CurrentUser, indicator: str = "", key: str = ""
):
    """Targets of one indicator; add one or a revision of one, with its reason."""
    model = views.targets_view(session, user, indicator or None, key or None)
    return render(request, "office_targets.html", model.model_dump(mode="json"), user)


@router.post("/targets", include_in_schema=False, dependencies=CSRF)
async def save_target(request: Request, database: DatabaseDep, user: CurrentUser):
    def act(session, fields: dict) -> dict:
        form = _target_form(fields)
        done = catalogue_admin.save_target(session, user, form)
        if fields.get("task_ids"):
            ids = []
            for text in fields["task_ids"]:
                if not str(text).isdigit():
                    raise FieldError(
                        "task_ids", f"{text!r} is not a task number", "fe.not_task", text=text
                    )
                ids.append(int(text))
            done["linked"] = catalogue_admin.link_tasks(session, user, form.indicator_code, ids)
        return done

    return await _form_action(
        request,
        database,
        user,
        "office_targets.html",
        views.targets_view,
        act,
        refused_view=lambda f: {"indicator": _target_form(f).indicator_code or None},
        done_view=lambda f: {"indicator": _target_form(f).indicator_code or None},
    )


def _target_form(fields: dict) -> catalogue_admin.TargetForm:
    form = catalogue_admin.TargetForm(
        **_text(fields, *catalogue_admin.TargetForm.__dataclass_fields__)
    )
    form.comparator = form.comparator or ">="
    return form


# -- imports with a preview -------------------------------------------------------------------


@router.get("/imports", response_model=views.ImportsPublic)
def imports_page(request: Request, session: SessionDep, user: CurrentUser):
    """Upload a file to import; templates to start from; uploads awaiting confirm."""
    model = views.imports_view(session, user)
    return render(request, "office_imports.html", model.model_dump(mode="json"), user)


@router.get("/imports/templates/{kind}.{fmt}", responses=file_responses(("csv", "xlsx")))
def import_template(kind: str, fmt: str, user: CurrentUser) -> Response:
    """A template (.csv or .xlsx): a header row and an example row."""
    name, content = import_preview.template_file(kind, fmt)
    return file_response(content, name)


@router.post("/imports", include_in_schema=False, dependencies=CSRF)
async def upload_import(request: Request, database: DatabaseDep, user: CurrentUser):
    form = await request.form()
    kind = str(form.get("kind") or "")
    upload = form.get("file")
    fields = {
        "kind": kind,
        "source": str(form.get("source") or ""),
        "vintage": str(form.get("vintage") or ""),
        "plan": str(form.get("plan") or ""),
        "plan_kind": str(form.get("plan_kind") or ""),
        "region": str(form.get("region") or ""),
        "parent": str(form.get("parent") or ""),
        "reason": str(form.get("reason") or ""),
    }
    try:
        if upload is None or isinstance(upload, str):
            raise FieldError("file", "choose a file", "fe.choose_file")
        content = await read_upload(upload, upload_limit(request))
        with database.write(actor_of(user)) as session:
            pending = import_preview.stage_import(
                session,
                user,
                kind,
                upload.filename or "",
                content,
                {k: v for k, v in fields.items() if k != "kind" and v},
            )
    except FieldError as err:
        return _answer(
            request,
            user,
            "office_imports.html",
            lambda s, st: views.imports_view(s, user, **st),
            wants_json(request),
            fields=fields,
            error=err,
        )
    return _answer(
        request,
        user,
        "",
        None,
        wants_json(request),
        fields={},
        done={"id": pending},
        redirect=f"/imports/{pending}",
    )


@router.get("/imports/{pending_id}", response_model=views.ImportPreviewPublic)
def import_preview_page(
    pending_id: str, request: Request, database: DatabaseDep, user: CurrentUser
):
    """What confirming would add, revise and leave unchanged; every problem by file, row, column."""
    return _preview(request, user, import_preview.preview_import(database, user, pending_id))


def _preview(request: Request, user, result: dict, confirmed: bool = False) -> Response:
    model = views.ImportPreviewPublic(**result, confirmed=confirmed)
    status = 200 if model.report else 400
    return render(
        request,
        "office_import_preview.html",
        model.model_dump(mode="json"),
        user,
        status_code=status,
    )


@router.post("/imports/{pending_id}/confirm", include_in_schema=False, dependencies=CSRF)
async def confirm_import(
    pending_id: str, request: Request, database: DatabaseDep, user: CurrentUser
):
    result = import_preview.confirm_import(database, user, pending_id)
    return _preview(request, user, result, confirmed=result["report"] is not None)


@router.post("/imports/{pending_id}/cancel", include_in_schema=False, dependencies=CSRF)
async def cancel_import(
    pending_id: str, request: Request, database: DatabaseDep, user: CurrentUser
):
    with database.write(actor_of(user)) as session:
        import_preview.cancel_import(session, user, pending_id)
    return _answer(
        request,
        user,
        "",
        None,
        wants_json(request),
        fields={},
        done={"cancelled": pending_id},
        redirect="/imports",
    )


# -- settings (office, admin) -----------------------------------------------------------------


@router.get("/settings", response_model=views.SettingsPublic)
def settings_page(request: Request, session: SessionDep, user: CurrentUser):
    """Each setting with its current value, its default and who changed it when."""
    model = views.settings_view(session, user)
    return render(request, "office_settings.html", model.model_dump(mode="json"), user)


@router.post("/settings", include_in_schema=False, dependencies=CSRF)
async def change_setting(request: Request, database: DatabaseDep, user: CurrentUser):
    return await _form_action(
        request,
        database,
        user,
        "office_settings.html",
        views.settings_view,
        lambda s, f: office_settings.change_setting(
            s, user, str(f.get("key") or ""), str(f.get("value") or "")
        ),
    )


@router.get("/office", response_model=views.OfficeHubPublic)
def office_hub(request: Request, user: CurrentUser):
    """Where the office's administration pages are."""
    model = views.office_hub_view(user)
    return render(request, "office_hub.html", model.model_dump(mode="json"), user)

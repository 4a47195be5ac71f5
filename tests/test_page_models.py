"""One JSON surface: every route declares its answer's model in the OpenAPI schema; every page's JSON
twin validates against that model; every page renders in both languages with no text key left
untranslated (a key with no text would show as the key itself)."""

from __future__ import annotations

from typing import get_args, get_origin

import pytest
from access_matrix import PLAN, client_as, fill, path_values
from pydantic import BaseModel, TypeAdapter
from web_helpers import app_routes, publish_a_bulletin

from yrdplan.settings import load_settings
from yrdplan.web import render
from yrdplan.web.app import create_app
from yrdplan.web.i18n import MESSAGES

# Files, not JSON: each declares its media types instead of a model (web/downloads.py).
DOWNLOADS = {
    "/api/reports/{report_id}/evidence/{file_id}",
    "/tasks/reports/{report_id}/evidence/{file_id}",
    "/tasks/plan/{plan_ref}/checklist.xlsx",
    "/tasks/reminders.{fmt}",
    "/benefit/agreements/{code}/statement.{fmt}",
    "/benefit/settlements/{settlement_id}/statement.{fmt}",
    "/bulletins/{bulletin_id}/files/{fmt}",
    "/public/bulletins/{bulletin_id}/files/{fmt}",
    "/imports/templates/{kind}.{fmt}",
    "/api/tasks/checklist",
}
# Not pages: they act and send the browser on (log-in, log-out, the language switch).
REDIRECTS = {"/login", "/logout", "/lang/{code}", "/office"}
# Query parameters a route cannot answer without (everything else has a default).
REQUIRED_QUERIES = {
    "/api/tasks": f"plan={PLAN}",
    "/api/regional/disparity": "indicator=RD_INTENSITY&period=2022",
    "/api/regional/convergence": "indicator=RD_INTENSITY&start=2018&end=2022",
    "/api/regional/benchmark": "indicator=RD_INTENSITY",
    "/benefit/agreements/{code}/what-if": "period=2023",
}
# Accounts that together see every page: the admin sees all but a unit's own reporting.
WALKERS = ("admin", "unit_reporter")


@pytest.fixture
def app(database):
    return create_app(load_settings(database_url=database.url), database)


def _get_routes(app) -> list:
    return sorted(
        (
            route
            for route in app_routes(app)
            if hasattr(route, "response_model")  # FastAPI's routes, not the static mounts
            and "GET" in route.methods
            and route.path not in DOWNLOADS | REDIRECTS
            and route.path != "/api/docs"
        ),
        key=lambda route: route.path,
    )


def test_every_route_in_the_schema_declares_its_answer(app):
    schema = app.openapi()
    undeclared = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            success = next(
                (
                    operation["responses"][code]
                    for code in ("200", "201")
                    if code in operation["responses"]
                ),
                None,
            )
            content = (success or {}).get("content", {})
            declared = any(body.get("schema") not in (None, {}) for body in content.values())
            if not declared:
                undeclared.append(f"{method.upper()} {path}")
    assert undeclared == []


def _is_public_model(annotation) -> bool:
    """A Pydantic model, or a list of them: a described shape, not a bare ``dict``."""
    if isinstance(annotation, type):
        return issubclass(annotation, BaseModel)
    return get_origin(annotation) is list and all(map(_is_public_model, get_args(annotation)))


def test_every_get_route_is_in_the_schema_with_a_model(app):
    missing = [
        r.path
        for r in _get_routes(app)
        if not r.include_in_schema or not _is_public_model(r.response_model)
    ]
    assert missing == []


def test_every_json_twin_validates_against_its_declared_model(app, database):
    values = path_values(database)
    published = str(publish_a_bulletin(database))
    routes = _get_routes(app)
    assert len(routes) > 60
    answered: set[str] = set()
    for role in WALKERS:
        client = client_as(app, role)
        for route in routes:
            query = REQUIRED_QUERIES.get(route.path, "")
            path = route.path.replace(
                "/public/bulletins/{bulletin_id}", f"/public/bulletins/{published}"
            )
            url = f"{fill(path, values)}?{query}&format=json".replace("?&", "?")
            response = client.get(url, follow_redirects=False)
            assert response.status_code < 500, f"{role} {url}: {response.status_code}"
            if response.status_code != 200:
                continue
            assert response.headers["content-type"].startswith("application/json"), url
            TypeAdapter(route.response_model).validate_python(response.json())
            answered.add(route.path)
    # "/imports/{pending_id}" is an upload nobody made: a 404 for all, its model tested elsewhere.
    unanswered = {r.path for r in routes} - answered - {"/imports/{pending_id}"}
    assert unanswered == set()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_has_a_text_for_every_key_it_names(app, database, monkeypatch, lang):
    missing: dict[str, set[str]] = {}
    current = {"url": ""}
    translate = render.translate

    def strict(key: str, language: str) -> str:
        if key not in MESSAGES:
            missing.setdefault(key, set()).add(current["url"])
        return translate(key, language)

    monkeypatch.setattr(render, "translate", strict)
    values = path_values(database)
    pages = [r for r in _get_routes(app) if not r.path.startswith("/api/")]
    rendered = 0
    for role in WALKERS:
        client = client_as(app, role)
        client.cookies.set("lang", lang)
        for route in pages:
            current["url"] = url = fill(route.path, values)
            response = client.get(url, follow_redirects=False)
            if response.status_code == 200 and response.headers["content-type"].startswith(
                "text/html"
            ):
                rendered += 1
    assert rendered > 40
    assert missing == {}

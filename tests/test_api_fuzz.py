"""API fuzzing: requests generated from the app's own OpenAPI schema (schemathesis), sent with
every role's token, on SQLite and on PostgreSQL.

What it holds the API to, for every generated request:
* no server error (5xx), ever;
* every status code and response header is one the schema declares for that operation, and the
  body conforms to the declared model and content type;
* a method an API operation does not have is answered 405 with an honest ``Allow`` header;
* every 4xx body says what is wrong (a non-empty ``error``, FastAPI's ``detail`` list, or for a
  page in the schema its error page).

Two checks are left out on purpose: ``positive_data_acceptance`` (a schema-valid request naming a
region, indicator or plan that does not exist is refused with 400/404 by design) and
``negative_data_rejection`` (pydantic accepts, in lax mode, a date given as a number).
``YRDPLAN_FUZZ_EXAMPLES`` sets the examples per operation and role (default 3, which keeps CI
within its time).
"""

from __future__ import annotations

import os
import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    allow_header_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    unsupported_method,
)

from yrdplan.services import accounts
from yrdplan.settings import load_settings
from yrdplan.store.database import connect
from yrdplan.store.repos.users import find_user
from yrdplan.web.app import create_app

EXAMPLES = int(os.environ.get("YRDPLAN_FUZZ_EXAMPLES", "3"))
ROLES = {
    "office": "office",
    "admin": "admin",
    "unit_reporter": "nj_kjj",
    "data_steward": "steward_nj",
    "viewer": "viewer",
    "anonymous": None,
}


def _app_with_tokens(url: str):
    database = connect(url)
    tokens = {}
    with database.write() as session:
        for role, username in ROLES.items():
            if username:
                user = find_user(session, username)
                tokens[role] = accounts.issue_token(session, user.id, "fuzzing")
    return create_app(load_settings(database_url=url), database), tokens


def _schema_for_collection():
    # Collection needs the operations only; any initialised database describes the same API.
    import tempfile

    from yrdplan.services.setup import init_database

    folder = tempfile.mkdtemp(prefix="yrdplan-fuzz-")
    path = os.path.join(folder, "schema.db")
    init_database(f"sqlite:///{path}", with_demo=False)
    app = create_app(load_settings(database_url=f"sqlite:///{path}"), connect(f"sqlite:///{path}"))
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    shutil.rmtree(folder, ignore_errors=True)
    return schema


schema = _schema_for_collection()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzzed_app(request, default_sqlite_template, tmp_path_factory):
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("fuzz") / "yrdplan.db"
        shutil.copy(default_sqlite_template, path)
        url = f"sqlite:///{path}"
    else:
        from conftest import create_pg_database

        url = create_pg_database(
            request.getfixturevalue("pg_server"),
            template=request.getfixturevalue("default_pg_template"),
        )
    return _app_with_tokens(url)


@pytest.mark.parametrize("role", list(ROLES))
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_keeps_its_contract(case, role, fuzzed_app):
    app, tokens = fuzzed_app
    headers = {"Authorization": f"Bearer {tokens[role]}"} if role in tokens else {}
    excluded = [positive_data_acceptance, negative_data_rejection]
    if not case.operation.path.startswith("/api/"):
        # A page's form posts (POST /bulletins, say) are HTML forms outside the schema: for
        # them another method is not "undeclared", and they answer with the form again.
        excluded += [unsupported_method, allow_header_conformance]
    response = case.call_and_validate(app=app, headers=headers, excluded_checks=excluded)
    if 400 <= response.status_code < 500:
        content_type = response.headers.get("content-type") or [""]
        if str(content_type[0] if isinstance(content_type, list) else content_type).startswith(
            "application/json"
        ):
            body = response.json()
            assert body.get("error") or body.get("detail"), response.text
        else:  # a page's refusal: the error page says what is wrong
            assert 'class="alert' in response.text or "<h1" in response.text, response.text[:300]

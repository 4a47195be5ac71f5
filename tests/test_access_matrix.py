"""Role × route × method: every route of the app, walked as each role, reaches exactly what the
table below says — on SQLite and on PostgreSQL.

Letters, one per role (anonymous, viewer, unit_reporter, data_steward, assessor, office,
admin):
R the handler ran (a write sent an empty body and was answered about the body),
L sent to log in (401, or a redirect to /login), P sent to the public portal, F forbidden (403),
H hidden (404 on an id that exists). A route missing from the table fails the test: a new route
must be classified here, by someone who has decided who may reach it.

An anonymous visitor reaches the public routes of ``yrdplan/web/access.py`` and nothing else:
the log-in, the language switch, the API's documentation and schema, and the public portal —
the published bulletins and evaluations (a draft is hidden: 404) and the feedback form. Its home
page is the portal; while the office has closed the portal, the portal answers 403 and the home
page is the log-in (``test_a_closed_portal_…``).
"""

from __future__ import annotations

import pytest
from access_matrix import ROLE_ACCOUNTS, observe, path_values, routes_of

from yrdplan.domain.people import SYSTEM_CALLER
from yrdplan.services.portal import set_portal_open
from yrdplan.settings import load_settings
from yrdplan.store.database import connect
from yrdplan.web.access import PUBLIC_ROUTES, is_public
from yrdplan.web.app import create_app

EXPECTED = """
GET    /                                                P R R R R R R
GET    /account                                         L R R R R R R
POST   /account/language                                L R R R R R R
POST   /account/password                                L R R R R R R
POST   /account/tokens                                  L R R R R R R
GET    /api/audit                                       L F F F F R R
GET    /api/benefit/agreements                          L R R R R R R
POST   /api/benefit/agreements/{code}/settle            L F F F F R R
POST   /api/benefit/import                              L R R R R R R
GET    /api/benefit/settlements                         L R R R R R R
POST   /api/benefit/settlements/{settlement_id}/{step}  L F F F F R R
GET    /api/bulletins                                   L R R R R R R
POST   /api/bulletins                                   L F F F F R R
GET    /api/bulletins/{bulletin_id}                     L H H H H R R
PATCH  /api/bulletins/{bulletin_id}                     L F F F F R R
POST   /api/bulletins/{bulletin_id}/publish             L F F F F R R
POST   /api/bulletins/{bulletin_id}/withdraw            L F F F F R R
GET    /api/completion                                  L R R R R R R
GET    /api/cycles                                      L R R R R R R
POST   /api/cycles                                      L F F F F R R
POST   /api/cycles/{cycle_id}/close                     L F F F F R R
GET    /api/cycles/{cycle_id}/completeness              L R R R R R R
GET    /api/delivery/watch                              L R R R R R R
GET    /api/docs                                        R R R R R R R
GET    /api/feedback                                    L F F F F R R
POST   /api/feedback                                    R R R R R R R
POST   /api/feedback/{feedback_id}/answer               L F F F F R R
GET    /api/index/builds                                L R R R R R R
POST   /api/index/builds                                L R R R R R R
GET    /api/index/builds/latest                         L R R R R R R
GET    /api/index/builds/{build_id}                     L R R R R R R
GET    /api/indicators                                  L R R R R R R
GET    /api/indicators/{code}                           L R R R R R R
GET    /api/me                                          L R R R R R R
GET    /api/monitor                                     L R R R R R R
GET    /api/observations                                L R R R R R R
POST   /api/observations                                L R R R R R R
GET    /api/openapi.json                                R R R R R R R
GET    /api/plans                                       L R R R R R R
GET    /api/plans/{ref}                                 L R R R R R R
GET    /api/regional/benchmark                          L R R R R R R
GET    /api/regional/convergence                        L R R R R R R
GET    /api/regional/disparity                          L R R R R R R
GET    /api/regions                                     L R R R R R R
GET    /api/regions/groups                              L R R R R R R
GET    /api/reports                                     L R R R R R R
POST   /api/reports                                     L R R R R R R
GET    /api/reports/{report_id}                         L R R R R R R
POST   /api/reports/{report_id}/evidence                L R R R R R R
GET    /api/reports/{report_id}/evidence/{file_id}      L R R R R R R
POST   /api/reports/{report_id}/review                  L F F F F R R
GET    /api/review-queue                                L F F F F R R
GET    /api/targets                                     L R R R R R R
GET    /api/tasks                                       L R R R R R R
GET    /api/tasks/checklist                             L R R R R R R
POST   /api/tasks/checklist                             L F F F F R R
GET    /api/tasks/{task_id:int}                         L R R R R R R
PATCH  /api/tasks/{task_id:int}                         L F F F F R R
POST   /api/tasks/{task_id:int}/subtasks                L F F F F R R
GET    /api/units                                       L R R R R R R
DELETE /api/users/{username}/sessions                   L F F F F F R
GET    /api/users/{username}/sessions                   L F F F F F R
GET    /api/warnings                                    L R R R R R R
GET    /audit                                           L F F F F R R
GET    /benefit                                         L R R R R R R
GET    /benefit/agreements/{code}                       L R R R R R R
POST   /benefit/agreements/{code}/settle                L F F F F R R
GET    /benefit/agreements/{code}/statement.{fmt}       L R R R R R R
GET    /benefit/agreements/{code}/what-if               L R R R R R R
POST   /benefit/import                                  L R R R R R R
GET    /benefit/settlements/{settlement_id}             L R R R R R R
GET    /benefit/settlements/{settlement_id}/statement.{fmt} L R R R R R R
POST   /benefit/settlements/{settlement_id}/{step}      L F F F F R R
GET    /bulletins                                       L R R R R R R
POST   /bulletins                                       L F F F F R R
GET    /bulletins/{bulletin_id}                         L H H H H R R
GET    /bulletins/{bulletin_id}/files/{fmt}             L H H H H R R
POST   /bulletins/{bulletin_id}/pdf                     L F F F F R R
POST   /bulletins/{bulletin_id}/publish                 L F F F F R R
POST   /bulletins/{bulletin_id}/texts                   L F F F F R R
POST   /bulletins/{bulletin_id}/withdraw                L F F F F R R
GET    /catalogue                                       L R R R R R R
POST   /catalogue                                       L F F F F R R
POST   /catalogue/{code}                                L F F F F R R
POST   /catalogue/{code}/retire                         L F F F F R R
GET    /evaluations/assess                              L F F F R R R
POST   /evaluations/assess                              L R R R R R R
GET    /feedback                                        L F F F F R R
POST   /feedback/{feedback_id}/answer                   L F F F F R R
GET    /imports                                         L F F R F R R
POST   /imports                                         L F F R F R R
GET    /imports/templates/{kind}.{fmt}                  L R R R R R R
GET    /imports/{pending_id}                            L F F H F H H
POST   /imports/{pending_id}/cancel                     L F F H F H H
POST   /imports/{pending_id}/confirm                    L F F H F H H
GET    /indicators                                      L R R R R R R
GET    /indicators/import                               L F F R F R R
POST   /indicators/import                               L R R R R R R
GET    /indicators/{code}                               L R R R R R R
POST   /indicators/{code}/values                        L R R R R R R
GET    /lang/{code}                                     R R R R R R R
GET    /login                                           R R R R R R R
POST   /login                                           R R R R R R R
GET    /office                                          L R R R R R R
GET    /plans                                           L R R R R R R
POST   /plans/import                                    L F F F F R R
POST   /plans/links/{link_id}                           L F F F F R R
POST   /plans/nodes/{node_id}                           L F F F F R R
GET    /plans/{ref}                                     L R R R R R R
GET    /plans/{ref}/diff                                L F F F F R R
GET    /plans/{ref}/links                               L R R R R R R
POST   /plans/{ref}/links/suggest                       L F F F F R R
GET    /plans/{ref}/versions/{number}                   L R R R R R R
POST   /plans/{ref}/versions/{number}/baselines/import  L F F R F R R
POST   /plans/{ref}/versions/{number}/confirm           L F F F F R R
GET    /public                                          R R R R R R R
GET    /public/bulletins/{bulletin_id}                  H H H H H R R
GET    /public/bulletins/{bulletin_id}/files/{fmt}      H H H H H R R
POST   /public/feedback                                 R R R R R R R
GET    /regional                                        L R R R R R R
GET    /regional/benchmark                              L R R R R R R
GET    /regional/index                                  L R R R R R R
POST   /regional/index/build                            L F F F F R R
GET    /regions                                         L R R R R R R
GET    /regions/{code}                                  L R R R R R R
GET    /settings                                        L F F F F R R
POST   /settings                                        L F F F F R R
GET    /targets                                         L R R R R R R
POST   /targets                                         L F F F F R R
GET    /tasks                                           L R R R R R R
GET    /tasks/completion                                L R R R R R R
GET    /tasks/cycles                                    L R R R R R R
POST   /tasks/cycles                                    L F F F F R R
POST   /tasks/cycles/{cycle_id}/close                   L F F F F R R
GET    /tasks/mine                                      L R R R R R R
POST   /tasks/mine/report                               L R R R R R R
GET    /tasks/plan/{plan_ref}                           L R R R R R R
GET    /tasks/plan/{plan_ref}/checklist.xlsx            L R R R F R R
POST   /tasks/plan/{plan_ref}/import                    L F F F F R R
GET    /tasks/reminders                                 L F F F F R R
GET    /tasks/reminders.{fmt}                           L F F F F R R
GET    /tasks/reports/{report_id}/evidence/{file_id}    L R R R R R R
GET    /tasks/review                                    L F F F F R R
POST   /tasks/review/{report_id}                        L F F F F R R
GET    /tasks/watch                                     L R R R R R R
GET    /tasks/{task_id}                                 L R R R R R R
POST   /tasks/{task_id}                                 L F F F F R R
POST   /tasks/{task_id}/subtasks                        L F F F F R R
GET    /units                                           L F F F F R R
POST   /units                                           L F F F F R R
POST   /units/merge                                     L F F F F R R
POST   /units/registry                                  L F F F F R R
POST   /units/{code}                                    L F F F F R R
GET    /users                                           L F F F F F R
POST   /users                                           L F F F F F R
GET    /users/{username}                                L F F F F F R
POST   /users/{username}                                L F F F F F R
POST   /users/{username}/active                         L F F F F F R
POST   /users/{username}/reset                          L F F F F F R
POST   /users/{username}/tokens                         L F F F F F R
POST   /users/{username}/tokens/{token_id}/revoke       L F F F F F H
GET    /warnings                                        L R R R R R R
"""
LETTERS = {"reach": "R", "login": "L", "portal": "P", "forbidden": "F", "hidden": "H"}


def _expected() -> dict[tuple[str, str], str]:
    table = {}
    for line in EXPECTED.strip().splitlines():
        method, path, *letters = line.split()
        assert len(letters) == len(ROLE_ACCOUNTS), line
        table[(method, path)] = "".join(letters)
    return table


def test_every_role_reaches_exactly_what_it_should(any_default_url):
    database = connect(any_default_url)
    app = create_app(load_settings(database_url=database.url), database)
    expected = _expected()
    routes = routes_of(app)
    unclassified = [f"{m} {p}" for m, p in routes if (m, p) not in expected and p != "/logout"]
    assert unclassified == [], "classify these routes in EXPECTED"
    observed = {key: "" for key in routes if key[1] != "/logout"}
    for role in ROLE_ACCOUNTS:
        for key, outcome in observe(app, database, role, routes).items():
            observed[key] += LETTERS[outcome]
    differences = [
        f"{m} {p}: expected {expected[(m, p)]}, got {got}"
        for (m, p), got in observed.items()
        if expected[(m, p)] != got
    ]
    database.dispose()
    assert differences == []


@pytest.mark.parametrize("method, path", sorted(_expected()))
def test_anonymous_visitors_reach_only_the_public_routes(method, path):
    letters = _expected()[(method, path)]
    if is_public(method, path):
        assert letters[0] != "L", f"{method} {path} is public but sends visitors to log in"
    else:
        assert letters[0] == "L", f"an anonymous visitor may {method} {path}; make it public?"
    # The public answers back (公众参与): feedback is the one thing it may send, rate-limited.
    public_writes = ("/login", "/logout", "/public/feedback", "/api/feedback")
    if letters[0] != "L" and path not in ("/lang/{code}", *public_writes):
        assert method == "GET", f"an anonymous visitor may {method} {path}"


def test_the_public_routes_exist(any_default_url):
    """No stale entry: each public route is a route of the app (or the log-out, walked apart)."""
    database = connect(any_default_url)
    app = create_app(load_settings(database_url=database.url), database)
    routes = set(routes_of(app))
    database.dispose()
    assert sorted(PUBLIC_ROUTES - routes) == []


# While the office has closed the portal: the portal and its feedback answer 403 "closed", the
# home page sends an anonymous visitor to log in; nothing else changes, for anyone.
CLOSED = {
    ("GET", "/"): "L",
    ("GET", "/public"): "F",
    ("GET", "/public/bulletins/{bulletin_id}"): "F",
    ("GET", "/public/bulletins/{bulletin_id}/files/{fmt}"): "F",
    ("POST", "/public/feedback"): "F",
    ("POST", "/api/feedback"): "F",
}


def test_a_closed_portal_is_closed_to_everyone_and_only_the_portal_changes(any_default_url):
    database = connect(any_default_url)
    app = create_app(load_settings(database_url=database.url), database)
    path_values(database)  # the records walked (feedback among them) made while it is open
    with database.write() as session:
        set_portal_open(session, False, SYSTEM_CALLER)
    expected = _expected()
    routes = [key for key in routes_of(app) if key[1] != "/logout"]
    differences = []
    for role in ("anonymous", "viewer", "office"):
        column = list(ROLE_ACCOUNTS).index(role)
        for key, got in observe(app, database, role, routes).items():
            want = expected[key][column]
            if key in CLOSED:
                want = CLOSED[key] if role == "anonymous" or key[1] != "/" else want
            if LETTERS[got] != want:
                differences.append(f"{role} {key[0]} {key[1]}: expected {want}, got {got}")
    database.dispose()
    assert differences == [], "\n".join(differences)

"""Role × route × method: every route of the app, walked as each role, reaches exactly what the
table below says — on SQLite and on PostgreSQL.

Letters, one per role (anonymous, viewer, unit_reporter, data_steward, assessor, office,
admin):
R the handler ran (a write sent an empty body and was answered about the body),
L sent to log in (401, or a redirect to /login), F forbidden (403), H hidden (404 on an id
that exists). A route missing from the table fails the test: a new route must be classified
here, by someone who has decided who may reach it.

What an anonymous visitor reaches is published material only: confirmed plans, the region
registry, indicator dashboards, aggregate completion and warnings, the regional analytics, the
published bulletins (a draft is hidden: 404), the API's schema; and it may leave feedback.
"""

from __future__ import annotations

import pytest
from access_matrix import ROLE_ACCOUNTS, observe, routes_of

from yrdplan.services.database import connect
from yrdplan.settings import load_settings
from yrdplan.web.app import create_app

EXPECTED = """
GET    /                                                R R R R R R R
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
GET    /api/bulletins                                   R R R R R R R
POST   /api/bulletins                                   L F F F F R R
GET    /api/bulletins/{bulletin_id}                     H H H H H R R
PATCH  /api/bulletins/{bulletin_id}                     L F F F F R R
POST   /api/bulletins/{bulletin_id}/publish             L F F F F R R
POST   /api/bulletins/{bulletin_id}/withdraw            L F F F F R R
GET    /api/completion                                  R R R R R R R
GET    /api/cycles                                      L R R R R R R
POST   /api/cycles                                      L F F F F R R
POST   /api/cycles/{cycle_id}/close                     L F F F F R R
GET    /api/cycles/{cycle_id}/completeness              L R R R R R R
GET    /api/delivery/watch                              L R R R R R R
GET    /api/docs                                        R R R R R R R
GET    /api/feedback                                    L F F F F R R
POST   /api/feedback                                    R R R R R R R
POST   /api/feedback/{feedback_id}/answer               L F F F F R R
GET    /api/index/builds                                R R R R R R R
POST   /api/index/builds                                L R R R R R R
GET    /api/index/builds/latest                         R R R R R R R
GET    /api/index/builds/{build_id}                     R R R R R R R
GET    /api/indicators                                  R R R R R R R
GET    /api/indicators/{code}                           R R R R R R R
GET    /api/me                                          L R R R R R R
GET    /api/monitor                                     R R R R R R R
GET    /api/observations                                R R R R R R R
POST   /api/observations                                L R R R R R R
GET    /api/openapi.json                                R R R R R R R
GET    /api/plans                                       R R R R R R R
GET    /api/plans/{ref}                                 R R R R R R R
GET    /api/regional/benchmark                          R R R R R R R
GET    /api/regional/convergence                        R R R R R R R
GET    /api/regional/disparity                          R R R R R R R
GET    /api/regions                                     R R R R R R R
GET    /api/regions/groups                              R R R R R R R
GET    /api/reports                                     L R R R R R R
POST   /api/reports                                     L R R R R R R
GET    /api/reports/{report_id}                         L R R R R R R
POST   /api/reports/{report_id}/evidence                L R R R R R R
GET    /api/reports/{report_id}/evidence/{file_id}      L R R R R R R
POST   /api/reports/{report_id}/review                  L F F F F R R
GET    /api/review-queue                                L F F F F R R
GET    /api/targets                                     R R R R R R R
GET    /api/tasks                                       L R R R R R R
GET    /api/tasks/checklist                             L R R R R R R
POST   /api/tasks/checklist                             L F F F F R R
GET    /api/tasks/{task_id:int}                         L R R R R R R
PATCH  /api/tasks/{task_id:int}                         L F F F F R R
POST   /api/tasks/{task_id:int}/subtasks                L F F F F R R
GET    /api/units                                       L R R R R R R
DELETE /api/users/{username}/sessions                   L F F F F F R
GET    /api/users/{username}/sessions                   L F F F F F R
GET    /api/warnings                                    R R R R R R R
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
GET    /bulletins                                       R R R R R R R
POST   /bulletins                                       L F F F F R R
GET    /bulletins/{bulletin_id}                         H H H H H R R
GET    /bulletins/{bulletin_id}/files/{fmt}             H H H H H R R
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
GET    /indicators                                      R R R R R R R
GET    /indicators/import                               L F F R F R R
POST   /indicators/import                               L R R R R R R
GET    /indicators/{code}                               R R R R R R R
POST   /indicators/{code}/values                        L R R R R R R
GET    /lang/{code}                                     R R R R R R R
GET    /login                                           R R R R R R R
POST   /login                                           R R R R R R R
GET    /office                                          L R R R R R R
GET    /plans                                           R R R R R R R
POST   /plans/import                                    L F F F F R R
POST   /plans/links/{link_id}                           L F F F F R R
POST   /plans/nodes/{node_id}                           L F F F F R R
GET    /plans/{ref}                                     R R R R R R R
GET    /plans/{ref}/diff                                L F F F F R R
GET    /plans/{ref}/links                               R R R R R R R
POST   /plans/{ref}/links/suggest                       L F F F F R R
GET    /plans/{ref}/versions/{number}                   R R R R R R R
POST   /plans/{ref}/versions/{number}/baselines/import  L F F R F R R
POST   /plans/{ref}/versions/{number}/confirm           L F F F F R R
GET    /public                                          R R R R R R R
GET    /public/bulletins/{bulletin_id}                  H H H H H R R
GET    /public/bulletins/{bulletin_id}/files/{fmt}      H H H H H R R
POST   /public/feedback                                 R R R R R R R
GET    /regional                                        R R R R R R R
GET    /regional/benchmark                              R R R R R R R
GET    /regional/index                                  R R R R R R R
POST   /regional/index/build                            L F F F F R R
GET    /regions                                         R R R R R R R
GET    /regions/{code}                                  R R R R R R R
GET    /settings                                        L F F F F R R
POST   /settings                                        L F F F F R R
GET    /targets                                         L R R R R R R
POST   /targets                                         L F F F F R R
GET    /tasks                                           L R R R R R R
GET    /tasks/completion                                R R R R R R R
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
GET    /warnings                                        R R R R R R R
"""
LETTERS = {"reach": "R", "login": "L", "forbidden": "F", "hidden": "H"}


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
def test_anonymous_visitors_reach_only_reading_routes(method, path):
    letters = _expected()[(method, path)]
    # The public answers back (公众参与): feedback is the one thing it may send, rate-limited.
    public_writes = ("/login", "/public/feedback", "/api/feedback")
    if letters[0] == "R" and path not in ("/lang/{code}", *public_writes):
        assert method == "GET", f"an anonymous visitor may {method} {path}"
        assert not path.startswith(("/audit", "/api/audit", "/api/users", "/tasks/review"))
        assert not path.startswith(("/bulletins/{", "/api/bulletins/{", "/feedback"))

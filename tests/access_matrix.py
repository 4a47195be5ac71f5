"""Drive every route of the app as each role, and say what each got: the access matrix."""

from __future__ import annotations

import hashlib
import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from web_helpers import app_routes, csrf_of, login

from yrdplan.store.schema import (
    EvidenceFile,
    PlanNode,
    PlanVersion,
    ProgressReport,
    ReportingCycle,
    Unit,
)

# One account of each role in the demo database; None is an anonymous visitor.
ROLE_ACCOUNTS = {
    "anonymous": None,
    "viewer": "viewer",
    "unit_reporter": "nj_kjj",  # 市科技局
    "data_steward": "steward_nj",
    "assessor": "assessor",  # 第三方评估机构
    "office": "office",
    "admin": "admin",
}
PLAN = "nj-implementation-2020"
PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def _an_index_build(database) -> int:
    from yrdplan.domain.people import SYSTEM_CALLER
    from yrdplan.services.index_builds import build_index, demo_config_text, list_builds

    with database.read() as session:
        builds = list_builds(session)
    if builds:
        return builds[0]["id"]
    return build_index(database, demo_config_text(), SYSTEM_CALLER)["build"]["id"]


def _a_settlement(database) -> tuple[str, int]:
    """The shipped 新安江 example agreement, its data and its settlements (made once)."""
    from importlib import resources

    from yrdplan.domain.people import SYSTEM_CALLER
    from yrdplan.services import benefit

    data = resources.files("yrdplan.data")
    code = "xinanjiang-jiekou"
    with database.read() as session:
        settled = benefit.list_settlements(session, SYSTEM_CALLER, agreement=None)
    if not settled:
        with database.write() as session:
            benefit.import_catalogue(session, SYSTEM_CALLER, data / "benefit_indicators.csv")
            benefit.import_sites(session, SYSTEM_CALLER, data / "benefit_sites.csv")
            benefit.import_site_observations(
                session, SYSTEM_CALLER, data / "benefit_xinanjiang_2022_2024.csv"
            )
            benefit.import_agreement(session, SYSTEM_CALLER, data / "benefit_xinanjiang.toml")
        with database.write() as session:
            benefit.settle_periods(session, SYSTEM_CALLER, code)
        with database.read() as session:
            settled = benefit.list_settlements(session, SYSTEM_CALLER, agreement=code)
    return code, settled[0]["id"]


def _a_draft_bulletin_and_feedback(database) -> tuple[int, int]:
    """A draft 通报 (which nobody but the office may see) and a visitor's feedback on a plan."""
    from yrdplan.domain.people import SYSTEM_CALLER
    from yrdplan.services import bulletins, feedback
    from yrdplan.store.schema import Bulletin, PublicFeedback

    with database.read() as session:
        bulletin_id = session.scalar(select(Bulletin.id).order_by(Bulletin.id))
        feedback_id = session.scalar(select(PublicFeedback.id).order_by(PublicFeedback.id))
    if bulletin_id is None:
        with database.write() as session:
            cycle_id = session.scalar(select(ReportingCycle.id).order_by(ReportingCycle.id))
            bulletin_id = bulletins.create_bulletin(session, SYSTEM_CALLER, cycle_id=cycle_id).id
    if feedback_id is None:
        with database.write() as session:
            feedback_id = feedback.submit_feedback(
                session, text="建议公开更多进展", client="192.0.2.1", plan_ref=PLAN
            ).id
    return bulletin_id, feedback_id


def path_values(database) -> dict[str, str]:
    """Ids that exist and belong to the reporter's unit, so a 404 means 'hidden', not 'absent'."""
    build_id = _an_index_build(database)
    agreement, settlement = _a_settlement(database)
    bulletin, feedback = _a_draft_bulletin_and_feedback(database)
    with database.write() as session:
        unit = session.scalar(select(Unit).where(Unit.code == "nj-kjj"))
        report = session.scalar(
            select(ProgressReport)
            .where(ProgressReport.unit_id == unit.id)
            .order_by(ProgressReport.id)
        )
        evidence = session.scalar(select(EvidenceFile).where(EvidenceFile.report_id == report.id))
        if evidence is None:
            evidence = EvidenceFile(
                report_id=report.id,
                filename="matrix.txt",
                content_type="text/plain; charset=utf-8",
                size=4,
                sha256=hashlib.sha256(b"test").hexdigest(),
                content=b"test",
            )
            session.add(evidence)
            session.flush()
        cycle = session.scalar(select(ReportingCycle).order_by(ReportingCycle.id.desc()))
        node = session.scalar(
            select(PlanNode.id).join(PlanVersion, PlanVersion.id == PlanNode.version_id)
        )
        return {
            "ref": PLAN,
            "plan_ref": PLAN,
            "task_id": str(report.task_id),
            "report_id": str(report.id),
            "file_id": str(evidence.id),
            "cycle_id": str(cycle.id),
            "number": "1",
            "node_id": str(node),
            "link_id": "1",
            "build_id": str(build_id),
            "agreement": agreement,
            "settlement_id": str(settlement),
            "step": "confirm",
            "bulletin_id": str(bulletin),
            "feedback_id": str(feedback),
            "username": "nj_fgw",  # a user none of the walkers is
            "kind": "observations",
            "pending_id": "0" * 32,  # no such upload: hidden from everyone allowed to import
            "token_id": "1",
        }


def fill(path: str, values: dict[str, str]) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        if name == "fmt":
            return "csv" if path.startswith("/imports") else "docx"
        if name == "code":
            if path.startswith("/lang"):
                return "en"
            if "benefit" in path:
                return values["agreement"]
            if path.startswith("/units"):
                return "nj-kjj"
            return "RD_INTENSITY" if "indicators" in path or "catalogue" in path else "320100"
        return values[name]

    return PARAM.sub(value, path)


def routes_of(app) -> list[tuple[str, str]]:
    return sorted(
        {
            (method, route.path)
            for route in app_routes(app)
            for method in route.methods - {"HEAD"}
            if not route.path.startswith("/static")
        },
        key=lambda item: (item[1], item[0]),
    )


def outcome(response) -> str:
    """reach: the handler ran; login: sent to log in; portal: sent to the public portal;
    forbidden; hidden (404 on an id that exists)."""
    status = response.status_code
    location = response.headers.get("location", "")
    if status == 401 or (status in (302, 303, 307) and location.startswith("/login")):
        return "login"
    if status in (302, 303, 307) and location.startswith("/public"):
        return "portal"
    if status == 403:
        return "forbidden"
    if status == 404:
        return "hidden"
    return "reach"


def client_as(app, role: str) -> TestClient:
    client = TestClient(app)
    if ROLE_ACCOUNTS[role]:
        assert login(client, ROLE_ACCOUNTS[role]).status_code == 303
    return client


def probe(client: TestClient, method: str, url: str, token: str) -> str:
    # Unsafe requests carry the right CSRF token and an empty body: a refusal must come from the
    # role, never from a missing token; the handler reached then answers 4xx about the body.
    headers = {"X-CSRF-Token": token}
    if method in ("POST", "PATCH", "PUT", "DELETE"):
        headers["content-type"] = "application/json"
        response = client.request(
            method, url, headers=headers, content=b"{}", follow_redirects=False
        )
    else:
        response = client.request(method, url, headers=headers, follow_redirects=False)
    assert response.status_code < 500, f"{method} {url}: {response.status_code}"
    return outcome(response)


def observe(app, database, role: str, routes) -> dict[tuple[str, str], str]:
    values = path_values(database)
    client = client_as(app, role)
    token = csrf_of(client)
    seen = {}
    for method, path in routes:
        if path in ("/logout",):
            continue  # would end the session the rest of the walk runs on
        seen[(method, path)] = probe(client, method, fill(path, values), token)
    return seen

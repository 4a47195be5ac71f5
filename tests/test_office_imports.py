"""Every import the command line has is on /imports with the same upload → preview → confirm or
cancel flow: plan documents (as drafts to review on their plan page), benefit sites and
agreements among them; a file of the wrong kind is refused beside the file field, nothing kept."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main
from sqlalchemy import func, select
from web_helpers import csrf_of, login

from yrdplan.cli.main import app as cli
from yrdplan.services import import_preview
from yrdplan.store.schema import AuditEntry, BenefitSite, PendingImport, Plan, PlanVersion

PLAN_TEXT = (Path(__file__).parent / "fixtures" / "plans" / "utf8_bom_plan.txt").read_bytes()
#: Commands that take a file but are not the office's imports: a read-only parse, and the
#: database's own backup and restore (a restore needs an empty database, not a running one).
NOT_IMPORTS = {"plan parse", "db backup", "db restore"}


def _commands(command, path=()):
    subs = getattr(command, "commands", None)
    if subs:
        for name, sub in subs.items():
            yield from _commands(sub, (*path, name))
    else:
        yield " ".join(path), command


def _count(database, model) -> int:
    with database.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def _upload(client, kind, name, content, **fields):
    return client.post(
        "/imports",
        data={"csrf_token": csrf_of(client), "kind": kind, **fields},
        files={"file": (name, content)},
        follow_redirects=False,
    )


def test_every_cli_import_is_on_the_imports_page(client):
    imports = {
        name
        for name, command in _commands(typer.main.get_command(cli))
        if name not in NOT_IMPORTS and any(p.name in ("file", "import_") for p in command.params)
    }
    assert imports == set(import_preview.CLI_IMPORTS)
    login(client, "office")
    page = client.get("/imports?format=json").json()
    kinds = {k for k in import_preview.CLI_IMPORTS.values() if not k.startswith("/")}
    assert kinds == set(page["kinds"]) == set(import_preview.IMPORT_KINDS)
    html = client.get("/imports").text
    for kind in kinds | {"baselines"}:
        assert f'data-kind="{kind}"' in html


def test_a_plan_document_previews_then_confirms_as_a_draft(client, database):
    login(client, "office")
    plans, audit = _count(database, Plan), _count(database, AuditEntry)
    staged = _upload(client, "plans", "方案.txt", PLAN_TEXT, plan_kind="action_plan")
    assert staged.status_code == 303
    preview = client.get(f"{staged.headers['location']}?format=json").json()
    report = preview["report"]
    assert report["kind"] == "plans" and report["added"] == report["read"] > 0
    assert report["revised"] == 0 and report["version"] == 1 and report["tasks"] > 0
    assert len(report["nodes"]) == report["read"]
    assert {n["change"] for n in report["nodes"]} == {"added"}
    assert _count(database, Plan) == plans  # the preview wrote nothing
    page = client.get(staged.headers["location"]).text
    assert 'id="plan-draft"' in page and "草稿" in page
    assert _count(database, AuditEntry) == audit  # the upload waits outside the data

    confirmed = client.post(
        f"{staged.headers['location']}/confirm", data={"csrf_token": csrf_of(client)}
    )
    assert confirmed.status_code == 200
    link = f'href="/plans/{report["plan_id"]}/versions/1"'
    assert link in confirmed.text
    with database.read() as session:
        plan = session.scalar(select(Plan).where(Plan.code == report["plan_code"]))
        version = session.scalar(select(PlanVersion).where(PlanVersion.plan_id == plan.id))
        assert (plan.kind, version.status) == ("action_plan", "draft")
    assert _count(database, PendingImport) == 0

    # The same document again as a new edition of that plan: nothing added, all unchanged.
    staged = _upload(client, "plans", "方案.txt", PLAN_TEXT, plan=report["plan_code"])
    again = client.get(f"{staged.headers['location']}?format=json").json()["report"]
    assert (again["version"], again["added"], again["revised"]) == (2, 0, 0)
    assert again["nodes"] == []  # nothing added, changed or removed to list
    assert again["unchanged"] == again["read"]


def test_sites_and_an_unknown_plan_code_through_the_preview(client, database):
    login(client, "office")
    sites = "code,name,kind,upstream_code,downstream_code\nS-1,街口断面,section,341021,330127\n"
    staged = _upload(client, "sites", "sites.csv", sites.encode())
    report = client.get(f"{staged.headers['location']}?format=json").json()["report"]
    assert (report["read"], report["added"]) == (1, 1) and _count(database, BenefitSite) == 0
    client.post(f"{staged.headers['location']}/confirm", data={"csrf_token": csrf_of(client)})
    assert _count(database, BenefitSite) == 1

    staged = _upload(client, "plans", "p.txt", PLAN_TEXT, parent="no-such-plan")
    preview = client.get(f"{staged.headers['location']}?format=json")
    assert preview.status_code == 400 and preview.json()["report"] is None
    assert "no-such-plan" in preview.json()["problems"][0]["message"]


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("plans", "plan.xlsx"),
        ("observations", "obs.docx"),
        ("agreements", "a.csv"),
        ("crosswalk", "cw.xlsx"),
        ("checklists", "list.csv"),
    ],
)
def test_a_file_of_the_wrong_kind_is_refused_beside_the_file_field(client, database, kind, name):
    login(client, "office")
    pending, audit = _count(database, PendingImport), _count(database, AuditEntry)
    refused = _upload(client, kind, name, b"data", source="年鉴")
    assert refused.status_code == 400
    assert 'aria-invalid="true"' in refused.text and 'class="field-error"' in refused.text
    assert "文件类型不符" in refused.text  # in Chinese by default
    assert 'value="年鉴"' in refused.text  # what was typed comes back
    assert (_count(database, PendingImport), _count(database, AuditEntry)) == (pending, audit)

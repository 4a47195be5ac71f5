"""Plans in the store: the seeds at init, import as draft, review edits, confirm, revise, link."""

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from yrdplan.cli.main import app as cli
from yrdplan.domain.people import SYSTEM_CALLER
from yrdplan.errors import ConflictError, InputError, NotFoundError
from yrdplan.ingest.plan_text import parse_plan
from yrdplan.services.plans import (
    PlanMeta,
    confirm_version,
    decide_link,
    diff_versions,
    edit_node,
    import_plan,
    list_plans_public,
    split_node,
    suggest_plan_links,
)
from yrdplan.store.audit import Actor
from yrdplan.store.database import connect
from yrdplan.store.repos import plans as plan_repo
from yrdplan.store.schema import Plan, PlanVersion, TargetRecord, Task

SEED_DIR = Path(__file__).resolve().parents[1] / "yrdplan" / "data" / "seeds"
NANJING = SEED_DIR / "001_367836f755e79c44.txt"


def revised_nanjing(tmp_path) -> Path:
    """The Nanjing plan with its R&D target raised from 3.2% to 3.5% (in the original's characters)."""
    text = NANJING.read_text(encoding="utf-8")
    assert "研發(fā)投入強度達到3.2%以上" in text
    path = tmp_path / "nanjing-revised.txt"
    path.write_text(
        text.replace("研發(fā)投入強度達到3.2%以上", "研發(fā)投入強度達到3.5%以上"),
        encoding="utf-8",
    )
    return path


def test_seed_plans_are_confirmed_with_their_tasks_and_targets(database):
    with database.read() as session:
        plans = {p["code"]: p for p in list_plans_public(session)}
        assert len(plans) == 5 and {p["status"] for p in plans.values()} == {"confirmed"}
        nanjing = plan_repo.find_plan(session, "nj-implementation-2020")
        # The plan's own tasks; sub-tasks such as 14.1 are the demo's splitting of them.
        tasks = session.scalars(
            select(Task).where(Task.plan_id == nanjing.id, Task.parent_task_id.is_(None))
        ).all()
        assert sorted(int(t.label.rstrip(".")) for t in tasks) == list(range(1, 36))
        rd = session.scalar(
            select(TargetRecord).where(
                TargetRecord.indicator_code == "RD_INTENSITY", TargetRecord.region_code == "320100"
            )
        )
        assert (rd.comparator, rd.value, rd.year, rd.is_current) == (">=", 3.2, 2025, True)
        energy = session.scalar(
            select(TargetRecord).where(TargetRecord.indicator_code == "ENERGY_INTENSITY")
        )
        assert (energy.comparator, energy.base_year, energy.relative_change) == (
            "relative",
            2017,
            -0.10,
        )


def test_revision_is_a_new_version_with_a_diff_and_keeps_task_identity(any_default_url, tmp_path):
    db = connect(any_default_url)
    with db.write(Actor(2, "office")) as session:
        plan = plan_repo.find_plan(session, "nj-implementation-2020")
        task_ids = dict(
            session.execute(select(Task.key, Task.id).where(Task.plan_id == plan.id)).all()
        )
        result = import_plan(
            session,
            parse_plan(revised_nanjing(tmp_path)),
            PlanMeta(code="nj-implementation-2020"),
            user=SYSTEM_CALLER,
        )
    assert result.version == 2
    changed = result.diff["targets"]["changed"]
    assert [(c["indicator"], c["changes"]) for c in changed] == [
        ("RD_INTENSITY", [{"field": "value", "old": 3.2, "new": 3.5}])
    ]
    with db.read() as session:
        plan = plan_repo.find_plan(session, "nj-implementation-2020")
        assert (plan.status, plan.current_version) == (
            "confirmed",
            1,
        )  # v1 stays in force until v2 is confirmed
    with db.write(Actor(2, "office")) as session:
        summary = confirm_version(session, "nj-implementation-2020", 2, user=SYSTEM_CALLER)
    assert (summary["tasks_created"], summary["tasks_updated"], summary["tasks_dropped"]) == (
        0,
        35,
        0,
    )
    with db.read() as session:
        plan = plan_repo.find_plan(session, "nj-implementation-2020")
        statuses = dict(
            session.execute(
                select(PlanVersion.version, PlanVersion.status).where(
                    PlanVersion.plan_id == plan.id
                )
            ).all()
        )
        assert statuses == {1: "superseded", 2: "confirmed"}
        assert (
            dict(session.execute(select(Task.key, Task.id).where(Task.plan_id == plan.id)).all())
            == task_ids
        )
        revisions = session.execute(
            select(TargetRecord.revision, TargetRecord.value, TargetRecord.is_current)
            .where(TargetRecord.target_key == "nj-implementation-2020:RD_INTENSITY:2025")
            .order_by(TargetRecord.revision)
        ).all()
        assert [tuple(r) for r in revisions] == [(1, 3.2, False), (2, 3.5, True)]
        assert diff_versions(session, plan.id, 1, 2).summary()["targets_changed"] == 1
    db.dispose()


def test_unstructured_text_imports_as_one_node_that_can_be_split(database):
    text = "推进交通互联互通。加快建设沪宁合高铁，完善城际铁路网络。"
    with database.write() as session:
        result = import_plan(
            session,
            parse_plan(text, name="memo.txt"),
            PlanMeta(kind="annual_priorities"),
            user=SYSTEM_CALLER,
        )
        plan = plan_repo.find_plan(session, result.code)
        version = plan_repo.get_version(session, plan)
        [node] = plan_repo.nodes_of(session, version)
        assert any(p["kind"] == "no_structure" for p in version.problems)
        sibling = split_node(session, node.id, text.index("加快"))
        assert (
            node.text == "推进交通互联互通。"
            and sibling.text == "加快建设沪宁合高铁，完善城际铁路网络。"
        )
        assert [n.node_key for n in plan_repo.nodes_of(session, version)] == [
            node.node_key,
            sibling.node_key,
        ]
        edit_node(session, sibling.id, title="加快建设沪宁合高铁", is_task=True)
        summary = confirm_version(session, plan.id, user=SYSTEM_CALLER)
    assert summary["tasks_created"] == 2  # the one paragraph was a task; both halves are


def test_confirmed_versions_cannot_be_edited(database):
    with database.write() as session:
        plan = plan_repo.find_plan(session, "nj-implementation-2020")
        node = plan_repo.nodes_of(session, plan_repo.get_version(session, plan))[0]
        with pytest.raises(ConflictError, match="confirmed version"):
            edit_node(session, node.id, title="x")
        with pytest.raises(ConflictError, match="not a draft"):
            confirm_version(session, plan.code, 1, user=SYSTEM_CALLER)


@pytest.mark.parametrize(
    "meta, error, message",
    [
        (PlanMeta(kind="manifesto"), InputError, "kind 'manifesto'"),
        (PlanMeta(region="999999"), NotFoundError, "unknown region code '999999'"),
        (PlanMeta(parent="no-such-plan"), NotFoundError, "no-such-plan"),
    ],
)
def test_bad_metadata_writes_nothing(database, meta, error, message):
    parsed = parse_plan(NANJING)
    with pytest.raises(error, match=message):
        with database.write() as session:
            import_plan(session, parsed, meta, user=SYSTEM_CALLER)
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(Plan)) == 5


def test_link_suggestions_to_the_parent_plan(database):
    with database.write() as session:
        links = suggest_plan_links(
            session, "nj-implementation-2020", "js-regional-coordination-2020", top_k=1
        )
        assert links and all(0.1 <= link.score <= 1 for link in links)
        again = suggest_plan_links(
            session, "nj-implementation-2020", "js-regional-coordination-2020", top_k=1
        )
        assert again == []  # existing suggestions are not duplicated
        decided = decide_link(session, links[0].id, True, user=SYSTEM_CALLER)
        assert decided.status == "confirmed"


def test_cli_import_list_confirm_and_diff(default_url, tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        cli,
        [
            "plan",
            "import",
            str(revised_nanjing(tmp_path)),
            "--code",
            "nj-implementation-2020",
            "--db",
            default_url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert (
        "version 2 (draft)" in result.stdout
        and "RD_INTENSITY" in result.stdout
        and "3.2 → 3.5" in result.stdout
    )
    listed = json.loads(
        runner.invoke(cli, ["plan", "list", "--format", "json", "--db", default_url]).stdout
    )
    assert set(listed[0]) == {"id", "code", "title", "kind", "region", "version", "status"}
    confirmed = runner.invoke(
        cli, ["plan", "confirm", "nj-implementation-2020", "--db", default_url]
    )
    assert confirmed.exit_code == 0 and "version 2" in confirmed.stdout
    diff = json.loads(
        runner.invoke(
            cli,
            ["plan", "diff", "2", "--from", "1", "--to", "2", "-f", "json", "--db", default_url],
        ).stdout
    )
    assert diff["summary"]["targets_changed"] == 1

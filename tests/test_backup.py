"""Backup and restore: identical across backends, verified before writing, all or nothing."""

import zipfile
from datetime import date

import pytest
from sqlalchemy import func, select

from yrdplan.errors import ConflictError, InputError
from yrdplan.services.backup import backup_database, restore_database
from yrdplan.store.audit import Actor
from yrdplan.store.backup import dump_tables, is_empty
from yrdplan.store.database import connect
from yrdplan.store.engine import make_engine
from yrdplan.store.schema import (
    EvidenceFile,
    Plan,
    PlanNode,
    PlanVersion,
    ProgressReport,
    ReportingCycle,
    Task,
    Unit,
)


def _dump(url):
    engine = make_engine(url)
    with engine.connect() as connection:
        data = dump_tables(connection)
    engine.dispose()
    return data


def _add_awkward_rows(url):
    """Rows that stress a round trip: binary, JSON, NULLs, dates, a child inserted before its parent."""
    db = connect(url)
    with db.write(Actor(1, "admin")) as session:
        child = Unit(code="test-child", name="子单位", aliases=["别名", "alias"])
        session.add(child)
        session.flush()
        parent = Unit(code="test-parent", name="上级单位")
        session.add(parent)
        session.flush()
        child.parent_id = parent.id  # the child's id is lower than its parent's
        plan = Plan(code="p1", title="测试规划", kind="outline")
        session.add(plan)
        session.flush()
        version = PlanVersion(
            plan_id=plan.id, version=1, original_text="一、总体要求\n", problems=[{"kind": "x"}]
        )
        session.add(version)
        session.flush()
        session.add(
            PlanNode(
                version_id=version.id, node_key="n1", position=0, kind="part", title="总体要求"
            )
        )
    db.dispose()


def test_sqlite_to_postgres_and_back_is_identical(default_url, pg_url, tmp_path):
    _add_awkward_rows(default_url)
    first = tmp_path / "a.zip"
    backup_database(default_url, first)
    restore_database(pg_url, first)
    assert _dump(pg_url) == _dump(default_url)

    second = tmp_path / "b.zip"
    backup_database(pg_url, second)
    back = f"sqlite:///{tmp_path / 'back.db'}"
    restore_database(back, second)
    assert _dump(back) == _dump(default_url)
    # The restored PostgreSQL database keeps working: new ids do not collide with restored ones.
    db = connect(pg_url)
    with db.read() as session:
        before = session.scalar(select(func.count()).select_from(Unit))
    with db.write() as session:
        session.add(Unit(code="after-restore", name="新单位"))
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Unit)) == before + 1
    db.dispose()


def test_binary_evidence_survives(default_url, tmp_path):
    db = connect(default_url)
    with db.write() as session:
        plan = Plan(code="p", title="t", kind="outline")
        session.add(plan)
        session.flush()
        task = Task(plan_id=plan.id, key="1", title="任务")
        cycle = ReportingCycle(name="c", opens_on=date(2025, 1, 1), due_on=date(2025, 1, 31))
        unit = Unit(code="test-u", name="u")
        session.add_all([task, cycle, unit])
        session.flush()
        report = ProgressReport(cycle_id=cycle.id, task_id=task.id, unit_id=unit.id)
        session.add(report)
        session.flush()
        session.add(
            EvidenceFile(
                report_id=report.id,
                filename="往返测试.pdf",
                content_type="application/pdf",
                size=4,
                sha256="0" * 64,
                content=b"\x00\xffPK",
            )
        )
    db.dispose()
    archive = tmp_path / "e.zip"
    backup_database(default_url, archive)
    target = f"sqlite:///{tmp_path / 'e.db'}"
    restore_database(target, archive)
    db = connect(target)
    with db.read() as session:
        assert (
            session.scalar(
                select(EvidenceFile.content).where(EvidenceFile.filename == "往返测试.pdf")
            )
            == b"\x00\xffPK"
        )
    db.dispose()


def test_restore_onto_non_empty_database_is_refused_and_changes_nothing(any_default_url, tmp_path):
    archive = tmp_path / "x.zip"
    backup_database(any_default_url, archive)
    before = _dump(any_default_url)
    with pytest.raises(ConflictError, match="not empty"):
        restore_database(any_default_url, archive)
    assert _dump(any_default_url) == before


def _corrupt(archive, tmp_path, how):
    bad = tmp_path / f"bad-{how}.zip"
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(bad, "w") as target:
        for item in source.infolist():
            payload = source.read(item.filename)
            if how == "flip" and item.filename == "tables/regions.jsonl":
                payload = payload.replace("南京市".encode(), "北京市".encode(), 1)
            if how == "drop" and item.filename == "tables/users.jsonl":
                continue
            target.writestr(item, payload)
    return bad


@pytest.mark.parametrize("how, message", [("flip", "regions is corrupt"), ("drop", "incomplete")])
def test_corrupt_backup_is_refused_before_anything_is_written(
    default_url, empty_url, tmp_path, how, message
):
    archive = tmp_path / "good.zip"
    backup_database(default_url, archive)
    bad = _corrupt(archive, tmp_path, how)
    with pytest.raises(InputError, match=message):
        restore_database(empty_url, bad)
    if empty_url.startswith("sqlite"):
        assert not (tmp_path / "empty.db").exists()
    else:
        engine = make_engine(empty_url)
        with engine.connect() as connection:
            assert connection.dialect.get_table_names(connection) == []
        engine.dispose()


def test_not_a_zip_is_one_line_error(tmp_path, sqlite_url):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"this is not an archive")
    with pytest.raises(InputError, match="junk.zip: not a readable backup archive") as caught:
        restore_database(sqlite_url, junk)
    assert "\n" not in str(caught.value)


def test_truncated_archive_is_refused(default_url, tmp_path, sqlite_url):
    archive = tmp_path / "t.zip"
    backup_database(default_url, archive)
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(InputError):
        restore_database(sqlite_url, truncated)


def test_is_empty_on_fresh_schema(pg_url, tmp_path, default_url):
    archive = tmp_path / "y.zip"
    backup_database(default_url, archive)
    restore_database(pg_url, archive)
    engine = make_engine(pg_url)
    with engine.connect() as connection:
        assert not is_empty(connection)
    engine.dispose()

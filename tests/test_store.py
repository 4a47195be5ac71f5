"""The store on both backends: migrations, init, bad databases, transactions, the audit log."""

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from yrdplan.errors import DatabaseError
from yrdplan.services.setup import init_database
from yrdplan.store.audit import Actor
from yrdplan.store.database import connect
from yrdplan.store.engine import make_engine
from yrdplan.store.migrate import head_revision
from yrdplan.store.schema import AuditEntry, Region, RegionGroup, Unit


def test_init_creates_schema_and_default_content(empty_url):
    report = init_database(empty_url)
    assert report.created
    # 1 + 4 + 41 + 305 current regions and 6 past versions from the 2021 Hangzhou adjustment
    assert any(line.startswith("regions: 357 regions") for line in report.loaded)
    db = connect(empty_url)
    with db.read() as session:
        assert (
            session.scalar(select(func.count()).select_from(Region).where(Region.level == "city"))
            == 41
        )
        assert session.scalar(select(func.count()).select_from(RegionGroup)) == 8
    db.dispose()


def test_second_init_changes_nothing(any_default_url):
    db = connect(any_default_url)
    with db.read() as session:
        before = session.scalar(select(func.count()).select_from(AuditEntry))
    report = init_database(any_default_url)
    assert report.loaded == [] and not report.created
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == before
    db.dispose()


def test_database_from_a_newer_version_is_refused(any_default_url):
    engine = make_engine(any_default_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()
    with pytest.raises(DatabaseError, match="newer yrdplan .*9999_future"):
        connect(any_default_url)
    with pytest.raises(DatabaseError, match="newer yrdplan"):
        init_database(any_default_url)


def test_foreign_database_is_refused(sqlite_url):
    engine = make_engine(sqlite_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE something (x INTEGER)"))
    engine.dispose()
    with pytest.raises(DatabaseError, match="not a yrdplan database"):
        init_database(sqlite_url)


@pytest.mark.parametrize(
    "url, message",
    [
        ("nonsense", "not a valid URL"),
        ("mysql://u@h/db", "not supported"),
        ("sqlite:////nonexistent-dir/x.db", "does not exist"),
    ],
)
def test_bad_urls_give_one_line_errors(url, message):
    with pytest.raises(DatabaseError, match=message) as caught:
        init_database(url)
    assert "\n" not in str(caught.value)


def test_missing_sqlite_file_is_not_created_by_connect(tmp_path):
    with pytest.raises(DatabaseError, match="no such database file"):
        connect(f"sqlite:///{tmp_path / 'absent.db'}")
    assert not (tmp_path / "absent.db").exists()


def test_unreachable_postgres_is_one_line(tmp_path):
    with pytest.raises(DatabaseError, match="cannot open database"):
        connect(f"postgresql://nobody@/nothing?host={tmp_path}")


def test_every_write_is_audited_with_old_and_new(any_default_url):
    db = connect(any_default_url)
    with db.write(Actor(7, "alice")) as session:
        unit = Unit(
            code="test-audit-unit", name="南京市发展改革委", kind="department", region_code="320100"
        )
        session.add(unit)
    with db.write(Actor(8, "bob")) as session:
        session.get(Unit, unit.id).name = "南京市发展和改革委员会"
    with db.write(Actor(9, "carol")) as session:
        session.delete(session.get(Unit, unit.id))
    with db.read() as session:
        entries = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == "units", AuditEntry.entity_id == str(unit.id))
            .order_by(AuditEntry.id)
        ).all()
    assert [(e.action, e.username) for e in entries] == [
        ("insert", "alice"),
        ("update", "bob"),
        ("delete", "carol"),
    ]
    assert entries[0].new["name"] == "南京市发展改革委" and entries[0].entity_id == str(unit.id)
    assert entries[1].old == {"name": "南京市发展改革委"} and entries[1].new == {
        "name": "南京市发展和改革委员会"
    }
    assert entries[2].old["code"] == "test-audit-unit" and entries[2].new is None
    db.dispose()


def test_audit_log_cannot_be_changed_even_with_sql(any_default_url):
    engine = make_engine(any_default_url)
    for statement in ("UPDATE audit_log SET username = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            with engine.begin() as connection:
                connection.execute(text(statement))
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM audit_log WHERE username = 'x'")) == 0
        assert connection.scalar(text("SELECT count(*) FROM audit_log")) > 0
    engine.dispose()


def test_failed_unit_of_work_writes_nothing(any_default_url):
    db = connect(any_default_url)

    def audit_rows():
        with db.read() as session:
            return session.scalar(select(func.count()).select_from(AuditEntry))

    before = audit_rows()
    with pytest.raises(RuntimeError):
        with db.write(Actor(1, "admin")) as session:
            session.add(Unit(code="half", name="half-written"))
            session.flush()  # the row and its audit entry reach the database, uncommitted
            raise RuntimeError("boom")
    with db.read() as session:
        assert session.scalar(select(Unit).where(Unit.code == "half")) is None
    assert audit_rows() == before
    db.dispose()


def test_head_revision_is_the_stamped_one(any_default_url):
    engine = make_engine(any_default_url)
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT version_num FROM alembic_version")) == head_revision()
    engine.dispose()


def test_migrations_and_models_agree(empty_url):
    """Autogenerate against a freshly migrated database finds nothing to add: no drift."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from yrdplan.store.migrate import upgrade
    from yrdplan.store.schema import Base

    engine = make_engine(empty_url)
    with engine.begin() as connection:
        upgrade(connection, "test")
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    engine.dispose()

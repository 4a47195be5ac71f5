"""Property: whatever text, numbers and dates a row holds, the store and a backup give it back,
SQLite → PostgreSQL → SQLite."""

import shutil
import uuid
from datetime import date

import pytest
from conftest import create_pg_database
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from yrdplan.services.backup import backup_database, restore_database
from yrdplan.store.backup import dump_tables
from yrdplan.store.database import connect
from yrdplan.store.engine import make_engine
from yrdplan.store.migrate import upgrade
from yrdplan.store.schema import ObservationRecord, Unit

# PostgreSQL text cannot hold NUL; every other character goes, line separators included.
texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)
units = st.lists(st.tuples(texts, st.lists(texts, max_size=3)), min_size=1, max_size=4)
values = st.lists(
    st.tuples(
        st.floats(allow_nan=False, allow_infinity=False, width=64),
        st.integers(2000, 2035),
        st.booleans(),
    ),
    min_size=1,
    max_size=4,
)


@pytest.fixture(scope="module")
def schema_only(tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "schema.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        upgrade(connection, "schema template")
    engine.dispose()
    return path


def _dump(url):
    engine = make_engine(url)
    with engine.connect() as connection:
        data = dump_tables(connection)
    engine.dispose()
    return data


@example(units=[("行\u2028分隔\x85\x1c", ["\u2029"])], values=[(1.5, 2020, True)])
@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(units=units, values=values)
def test_rows_survive_store_and_backup_on_both_backends(
    units, values, schema_only, pg_server, tmp_path
):
    folder = tmp_path / uuid.uuid4().hex
    folder.mkdir()
    source = folder / "source.db"
    shutil.copy(schema_only, source)
    source_url = f"sqlite:///{source}"
    db = connect(source_url)
    with db.write() as session:
        session.add_all(
            Unit(code=f"u{i}", name=name, aliases=aliases)
            for i, (name, aliases) in enumerate(units)
        )
        session.add_all(
            ObservationRecord(
                region_code="320100",
                indicator_code="GDP",
                period=str(year),
                value=value,
                vintage=date(year, 1, 1).isoformat(),
                is_simulated=flag,
                note=units[0][0],
            )
            for value, year, flag in values
        )
    db.dispose()
    backup_database(source_url, folder / "a.zip")
    pg = create_pg_database(pg_server)
    restore_database(pg, folder / "a.zip")
    backup_database(pg, folder / "b.zip")
    back = f"sqlite:///{folder / 'back.db'}"
    restore_database(back, folder / "b.zip")
    original = _dump(source_url)
    assert _dump(pg) == original
    assert _dump(back) == original

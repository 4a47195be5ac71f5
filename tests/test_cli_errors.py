"""Bad input at the command line: one line on stderr naming what and where, exit 1, no change."""

import subprocess
import sys
import zipfile

import pytest
from sqlalchemy import text

from yrdplan.services.backup import backup_database
from yrdplan.store.backup import dump_tables
from yrdplan.store.engine import make_engine


def yrdplan(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "yrdplan.cli.main", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def _snapshot(url):
    engine = make_engine(url)
    with engine.connect() as connection:
        data = dump_tables(connection)
    engine.dispose()
    return data


def _assert_one_line_error(result, *fragments):
    assert result.returncode == 1, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize(
    "url, fragment",
    [
        ("mysql://localhost/x", "backend 'mysql' is not supported"),
        ("::not a url::", "not a valid URL"),
    ],
)
def test_bad_database_url(url, fragment, tmp_path):
    _assert_one_line_error(yrdplan("regions", "list", "--db", url, cwd=tmp_path), fragment)


def test_missing_database_file_is_not_created(tmp_path):
    result = yrdplan("regions", "list", "--db", f"sqlite:///{tmp_path / 'nope.db'}")
    _assert_one_line_error(result, "nope.db", "yrdplan init")
    assert not (tmp_path / "nope.db").exists()


def test_database_made_by_a_newer_version(default_url):
    engine = make_engine(default_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'ffff_future'"))
    engine.dispose()
    before = _snapshot(default_url)
    for args in (["regions", "list"], ["init"], ["db", "backup", "x.zip"]):
        _assert_one_line_error(yrdplan(*args, "--db", default_url), "newer yrdplan", "ffff_future")
    assert _snapshot(default_url) == before


def test_unknown_region_code(default_url):
    _assert_one_line_error(
        yrdplan("regions", "show", "999999", "--db", default_url), "unknown region code '999999'"
    )


def test_corrupt_backup(default_url, tmp_path):
    archive = tmp_path / "b.zip"
    backup_database(default_url, archive)
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            payload = source.read(item.filename)
            target.writestr(
                item, payload[:-5] if item.filename == "tables/plan_nodes.jsonl" else payload
            )
    fresh = tmp_path / "fresh.db"
    _assert_one_line_error(
        yrdplan("db", "restore", str(broken), "--db", f"sqlite:///{fresh}"),
        "broken.zip",
        "plan_nodes",
    )
    assert not fresh.exists()


def test_restore_onto_a_non_empty_database(default_url, tmp_path):
    archive = tmp_path / "b.zip"
    backup_database(default_url, archive)
    before = _snapshot(default_url)
    _assert_one_line_error(yrdplan("db", "restore", str(archive), "--db", default_url), "not empty")
    assert _snapshot(default_url) == before


def test_users_add_with_a_short_password(default_url):
    result = yrdplan(
        "users", "add", "bob", "--role", "viewer", "--password", "short", "--db", default_url
    )
    _assert_one_line_error(result, "at least 8 characters")


def test_plan_parse_of_an_empty_file(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    _assert_one_line_error(yrdplan("plan", "parse", str(empty)), "empty.txt")

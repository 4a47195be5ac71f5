"""Killing `yrdplan init` or `yrdplan db restore` part-way leaves the database as it was."""

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import inspect

from yrdplan.services.backup import backup_database
from yrdplan.store.backup import dump_tables
from yrdplan.store.engine import make_engine

CLI = [sys.executable, "-m", "yrdplan.cli.main"]


def _start(args, cwd):
    return subprocess.Popen(
        [*CLI, *args], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _kill_after(process, seconds):
    time.sleep(seconds)
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        return True
    return False


def _tables(url):
    engine = make_engine(url)
    with engine.connect() as connection:
        names = inspect(connection).get_table_names()
    engine.dispose()
    return names


# Kill times spread over a run of a few seconds, from start-up to the last steps.
DELAYS = [1.0, 2.0, 3.0, 4.0]


@pytest.mark.parametrize("delay", DELAYS)
def test_killed_init_of_a_new_sqlite_file_leaves_no_file(tmp_path, delay):
    target = tmp_path / "new.db"
    killed = _kill_after(_start(["init", "--db", f"sqlite:///{target}"], tmp_path), delay)
    if killed:
        assert not target.exists()
    else:  # finished before the kill: then it must be complete
        assert "regions" in _tables(f"sqlite:///{target}")
    # The next init cleans up after the killed one and succeeds.
    subprocess.run(
        [*CLI, "init", "--db", f"sqlite:///{target}"], cwd=tmp_path, check=True, capture_output=True
    )
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("delay", DELAYS)
def test_killed_init_on_postgres_leaves_it_empty(pg_url, tmp_path, delay):
    killed = _kill_after(_start(["init", "--db", pg_url], tmp_path), delay)
    tables = _tables(pg_url)
    if killed:
        assert tables == []
    else:
        assert "regions" in tables


@pytest.mark.parametrize("delay", [0.8, 1.6, 2.4])
def test_killed_restore_leaves_postgres_as_it_was(default_url, pg_url, tmp_path, delay):
    archive = tmp_path / "b.zip"
    backup_database(default_url, archive)
    killed = _kill_after(_start(["db", "restore", str(archive), "--db", pg_url], tmp_path), delay)
    if killed:
        assert _tables(pg_url) == []
    else:
        engine = make_engine(pg_url)
        with engine.connect() as connection:
            restored = dump_tables(connection)
        engine.dispose()
        assert len(restored["regions"]) == 357

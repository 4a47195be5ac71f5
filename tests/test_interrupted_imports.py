"""Kill -9 in the middle of an import: the database holds all of it or none of it.

Each import runs as its own process (the CLI, or a web server taking an upload). The test watches
the database until the import holds its write transaction (SQLite: the write lock is taken;
PostgreSQL: another session has written in an open transaction), then kills the process with
SIGKILL. The rows the import writes are counted before and after: a kill leaves the counts as
they were, and running the same import again afterwards writes all of it.
"""

from __future__ import annotations

import csv
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text

from yrdplan.store.schema import IndicatorRecord, ObservationRecord, Plan, TargetRecord, Task

CLI = [sys.executable, "-m", "yrdplan.cli.main"]
SEED = Path(__file__).resolve().parents[1] / "yrdplan" / "data" / "seeds"
CITIES = ["320100", "320200", "320500", "330100", "330200", "340100", "310100", "320300"]


def _write_rows(path: Path, header: list[str], rows) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _observations(folder: Path, url: str = "") -> Path:
    # ~15,000 values: a write long enough that the kill lands inside it.
    codes = ["GDP_PER_CAPITA", "RD_INTENSITY", "URBANIZATION", "PM25", "POP", "GDP"]
    rows = [
        (city, code, str(year), 1 + year % 50, "测试（非统计数据）", f"{vintage}-01-01")
        for city in CITIES
        for code in codes
        for year in range(1700, 2026)
        for vintage in (2026,)
    ]
    header = ["region_code", "indicator_code", "period", "value", "source", "vintage"]
    return _write_rows(folder / "observations.csv", header, rows)


def _indicators(folder: Path, url: str = "") -> Path:
    header = ["code", "name", "unit", "direction"]
    rows = ((f"TEST_{i:05d}", f"测试指标{i}", "%", "higher") for i in range(6000))
    return _write_rows(folder / "indicators.csv", header, rows)


def _targets(folder: Path, url: str = "") -> Path:
    header = ["region_code", "indicator_code", "year", "comparator", "value"]
    codes = ["GDP_PER_CAPITA", "RD_INTENSITY", "URBANIZATION", "GDP", "POP"]
    rows = (
        (city, code, year, ">=", 1 + year % 90)
        for city in CITIES
        for code in codes
        for year in range(2026, 2131)
    )
    return _write_rows(folder / "targets.csv", header, rows)


def _plan(folder: Path, url: str = "") -> Path:
    text_of_plan = next(SEED.glob("004_*.txt")).read_text(encoding="utf-8")
    path = folder / "big_plan.txt"
    path.write_text(text_of_plan * 4, encoding="utf-8")
    return path


def _checklist(folder: Path, url: str) -> Path:
    # The plan's checklist as exported, with 3,000 new tasks added (rows without 任务编号).
    from openpyxl import load_workbook

    from yrdplan.domain.people import SYSTEM_CALLER
    from yrdplan.services import checklists
    from yrdplan.store.database import connect

    path = folder / "checklist.xlsx"
    database = connect(url)
    with database.read() as session:
        checklists.export_checklist(session, "nj-implementation-2020", path, user=SYSTEM_CALLER)
    database.dispose()
    book = load_workbook(path)
    sheet = book["责任清单"]
    for i in range(3000):
        sheet.append(
            [f"{100 + i}.", f"新增测试任务{i}", "市发展改革委", "", "2027-12-31", "", "", ""]
        )
    book.save(path)
    return path


IMPORTS = {
    # name: (how to make the file, CLI arguments before the file, the table counted)
    "observations": (_observations, ["data", "import"], ObservationRecord),
    "indicators": (_indicators, ["indicators", "import"], IndicatorRecord),
    "targets": (_targets, ["targets", "import"], TargetRecord),
    "plan": (_plan, ["plan", "import", "--kind", "guidance", "--code", "killed-plan"], Plan),
    "checklist": (_checklist, ["tasks", "import"], Task),
}


def _count(url: str, table) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        count = connection.scalar(select(func.count()).select_from(table))
    engine.dispose()
    return count


def _writing(url: str, probe) -> bool:
    """Whether another process holds a write transaction on the database right now."""
    if url.startswith("sqlite"):
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return True
        probe.execute("ROLLBACK")
        return False
    return bool(
        probe.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
            )
        ).scalar()
    )


def _kill_while_writing(process: subprocess.Popen, url: str, timeout: float = 120) -> bool:
    """SIGKILL ``process`` once it holds a write transaction; False if it finished first."""
    if url.startswith("sqlite"):
        probe = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
    else:
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        probe = engine.connect()
    deadline = time.monotonic() + timeout
    try:
        while process.poll() is None and time.monotonic() < deadline:
            if _writing(url, probe):
                time.sleep(0.05)  # into the transaction, past its first statement
                if process.poll() is None:
                    os.kill(process.pid, signal.SIGKILL)
                    process.wait()
                    return True
            time.sleep(0.003)
        process.wait(timeout=5)
        return False
    finally:
        probe.close()


def _integrity(url: str) -> None:
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        connection.close()


@pytest.mark.parametrize("name", list(IMPORTS))
def test_a_killed_import_writes_nothing_and_the_rerun_writes_all(name, any_default_url, tmp_path):
    make, arguments, table = IMPORTS[name]
    file = make(tmp_path, any_default_url)
    before = _count(any_default_url, table)
    process = subprocess.Popen(
        [*CLI, *arguments, str(file), "--db", any_default_url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    killed = _kill_while_writing(process, any_default_url)
    assert killed, f"the {name} import finished before it could be caught writing"
    assert _count(any_default_url, table) == before
    _integrity(any_default_url)
    rerun = subprocess.run(
        [*CLI, *arguments, str(file), "--db", any_default_url], capture_output=True, text=True
    )
    assert rerun.returncode == 0, rerun.stderr
    assert _count(any_default_url, table) > before


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_server_killed_during_an_upload_import_writes_nothing(default_url, tmp_path):
    import re

    port = _free_port()
    server = subprocess.Popen(
        [*CLI, "serve", "--db", default_url, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/login", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and server.poll() is None, "no server"
                time.sleep(0.2)
        client = httpx.Client(base_url=base, timeout=120)
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)[1]
        client.post("/login", data={"username": "office", "password": "yrdplan-demo",
                                    "csrf_token": token})  # fmt: skip
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)[1]
        before = _count(default_url, Plan)
        upload = _plan(tmp_path).read_bytes()

        import threading

        def post() -> None:
            try:
                client.post(
                    "/plans/import",
                    data={"csrf_token": token, "kind": "guidance", "code": "killed-upload"},
                    files={"file": ("big_plan.txt", upload, "text/plain")},
                )
            except httpx.HTTPError:
                pass  # the server died under it: that is the point

        sender = threading.Thread(target=post)
        sender.start()
        killed = _kill_while_writing(server, default_url)
        sender.join(timeout=30)
        assert killed, "the upload finished before the server could be caught writing"
        assert _count(default_url, Plan) == before
        _integrity(default_url)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()

"""Reporting cycles: open, submit, review, completeness; and every bad input of issue 4 gets a
clear error and changes nothing."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from delivery_helpers import add_reporter, audit_count, make_plan, user_info
from sqlalchemy import select

from yrdplan.domain.people import SYSTEM_CALLER
from yrdplan.errors import ConflictError, InputError, PermissionDenied
from yrdplan.services import cycles, task_edits
from yrdplan.services import tasks as task_service
from yrdplan.store import row_versions
from yrdplan.store.database import connect
from yrdplan.store.schema import EvidenceFile, ProgressReport, Task

TODAY = date.today()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def setup(any_default_url):
    """Synthetic plan on each backend: task 1 led by 测试交通局 (supported by 测试区), task 4 by
    测试生态环境局; reporters jt1 and jt2 (交通), hb (生态); an open cycle due in 10 days."""
    yield from _build(any_default_url)


@pytest.fixture
def setup_sqlite(default_url):
    """The same on SQLite only, for checks that never reach the database (input validation)."""
    yield from _build(default_url)


def _build(url):
    database = connect(url)
    plan = make_plan(database, issued_on=date(TODAY.year - 1, 1, 1))
    for username, unit in (("jt1", "t-jt"), ("jt2", "t-jt"), ("hb", "t-hb"), ("qx", "t-qx")):
        add_reporter(database, username, unit)
    with database.write() as session:
        deadline = date(TODAY.year + 1, 12, 31)
        task_edits.update_task(
            session,
            plan.task(1),
            task_edits.TaskUpdate(lead_unit="t-jt", supporting_units=["t-qx"], deadline=deadline),
            user=SYSTEM_CALLER,
        )
        task_edits.update_task(
            session,
            plan.task(4),
            task_edits.TaskUpdate(lead_unit="t-hb", deadline=deadline),
            user=SYSTEM_CALLER,
        )
        cycle = cycles.open_cycle(
            session,
            plan.code,
            name="测试调度",
            due_on=date.fromordinal(TODAY.toordinal() + 10),
            user=SYSTEM_CALLER,
        )
        cycle_id = cycle.id
    office = user_info(database, "office")
    yield database, plan, cycle_id, office
    database.dispose()


def _submit(database, username, cycle_id, task_id, percent=40.0, status="on_track", **options):
    user = user_info(database, username)
    report = cycles.ReportIn(
        cycle_id, task_id, status, percent, "推进中", options.pop("blockers", "")
    )
    with database.write() as session:
        row = cycles.submit_report(session, report, user=user, **options)
        return row.id, row.row_version


def _task(database, task_id) -> Task:
    with database.read() as session:
        return session.get(Task, task_id)


def test_submit_accept_updates_the_task_and_locks_the_report(setup):
    database, plan, cycle_id, office = setup
    report_id, version = _submit(
        database, "jt1", cycle_id, plan.task(1), 40, blockers="用地指标不足"
    )
    with database.write() as session:
        cycles.review_report(session, report_id, accept=True, user=office, expected_version=version)
    task = _task(database, plan.task(1))
    assert task.percent == 40 and task.progress_text == "推进中"
    with pytest.raises(ConflictError, match="accepted and is locked"):
        _submit(database, "jt1", cycle_id, plan.task(1), 50, expected_version=version + 1)
    # The blocker shows on the office's watch list with the responsible unit.
    from yrdplan.services.oversight import watchlist

    with database.read() as session:
        watch = watchlist(session, office, plan.code)
    assert watch["blockers"][0]["blockers"] == "用地指标不足"
    assert watch["blockers"][0]["lead_unit"] == "测试交通局"


def test_return_then_resubmit_then_accept_completion(setup):
    database, plan, cycle_id, office = setup
    report_id, version = _submit(database, "jt1", cycle_id, plan.task(1), 100, status="completed")
    with database.write() as session:
        with pytest.raises(InputError, match="comment is required"):
            cycles.review_report(session, report_id, accept=False, user=office)
    with database.write() as session:
        row = cycles.review_report(
            session, report_id, accept=False, comment="请补充材料", user=office
        )
        version = row.row_version
    report_id2, version = _submit(
        database,
        "jt2",  # a colleague of the same unit resubmits
        cycle_id,
        plan.task(1),
        100,
        status="completed",
        expected_version=version,
        uploads=[cycles.Upload("验收报告.png", PNG)],
    )
    assert report_id2 == report_id
    with database.write() as session:
        cycles.review_report(session, report_id, accept=True, user=office)
    task = _task(database, plan.task(1))
    assert task.percent == 100 and task.completed_on == TODAY
    with database.read() as session:
        row = next(
            r
            for r in task_service.task_rows(session, plan.code, user=SYSTEM_CALLER)
            if r["id"] == plan.task(1)
        )
        files = session.scalars(
            select(EvidenceFile).where(EvidenceFile.report_id == report_id)
        ).all()
    assert row["status"] == "completed"
    assert [(f.filename, f.content_type, f.size) for f in files] == [
        ("验收报告.png", "image/png", len(PNG))
    ]


def test_supporting_unit_may_report_but_does_not_move_the_task(setup_sqlite):
    database, plan, cycle_id, office = setup_sqlite
    report_id, _ = _submit(database, "qx", cycle_id, plan.task(1), 90)
    with database.write() as session:
        cycles.review_report(session, report_id, accept=True, user=office)
    assert _task(database, plan.task(1)).percent is None


# --- bad input: a clear error, and nothing changes ----------------------------------------------


def _unchanged(database, action, error, match):
    before = audit_count(database)
    with pytest.raises(error, match=match):
        action()
    assert audit_count(database) == before


def test_report_on_a_task_the_unit_does_not_own(setup):
    database, plan, cycle_id, _ = setup
    _unchanged(
        database,
        lambda: _submit(database, "hb", cycle_id, plan.task(1)),
        PermissionDenied,
        "not one of your unit's tasks",
    )


def test_office_and_viewer_cannot_submit_and_reporters_cannot_review(setup_sqlite):
    database, plan, cycle_id, _ = setup_sqlite
    _unchanged(
        database,
        lambda: _submit(database, "office", cycle_id, plan.task(1)),
        PermissionDenied,
        "only a responsible unit",
    )
    report_id, _ = _submit(database, "jt1", cycle_id, plan.task(1))
    reporter = user_info(database, "jt1")

    def review():
        with database.write() as session:
            cycles.review_report(session, report_id, accept=True, user=reporter)

    _unchanged(database, review, PermissionDenied, "only the office")


def test_report_in_a_closed_cycle(setup):
    database, plan, cycle_id, office = setup
    with database.write() as session:
        cycles.close_cycle(session, cycle_id, user=office)
    _unchanged(
        database,
        lambda: _submit(database, "jt1", cycle_id, plan.task(1)),
        ConflictError,
        "is closed",
    )


@pytest.mark.parametrize("percent", [-1, 100.5, 250, float("nan")])
def test_percent_outside_0_to_100(setup_sqlite, percent):
    database, plan, cycle_id, _ = setup_sqlite
    _unchanged(
        database,
        lambda: _submit(database, "jt1", cycle_id, plan.task(1), percent),
        InputError,
        "percent: must be from 0 to 100",
    )


def test_completed_needs_100_percent(setup_sqlite):
    database, plan, cycle_id, _ = setup_sqlite
    _unchanged(
        database,
        lambda: _submit(database, "jt1", cycle_id, plan.task(1), 90, status="completed"),
        InputError,
        "must be 100% done",
    )


@pytest.mark.parametrize(
    ("filename", "content", "match"),
    [
        ("setup.exe", b"MZ\x90\x00", "not allowed"),
        ("报告.pdf", b"MZ\x90\x00 really a program", "not a pdf file"),
        ("照片.jpg", b"<html><script>alert(1)</script>", "not a jpg file"),
        ("表格.xlsx", b"PK\x03\x04 not a workbook", "not a xlsx file"),
        ("说明.txt", b"\x00\x01\x02binary", "not a txt file"),
        ("大文件.pdf", b"%PDF-1.7" + b"0" * 2048, "larger than the limit"),
    ],
)
def test_forbidden_or_too_large_evidence(setup_sqlite, filename, content, match):
    database, plan, cycle_id, _ = setup_sqlite
    _unchanged(
        database,
        lambda: _submit(
            database,
            "jt1",
            cycle_id,
            plan.task(1),
            uploads=[cycles.Upload(filename, content)],
            max_bytes=1024,
        ),
        InputError,
        match,
    )


def test_two_people_saving_the_same_report_the_second_gets_a_conflict(setup):
    database, plan, cycle_id, _ = setup
    report_id, version = _submit(database, "jt1", cycle_id, plan.task(1), 30)
    # Both opened the form at version 1; jt1 saves first, then jt2.
    _submit(database, "jt1", cycle_id, plan.task(1), 45, expected_version=version)
    _unchanged(
        database,
        lambda: _submit(database, "jt2", cycle_id, plan.task(1), 60, expected_version=version),
        ConflictError,
        "saved by someone else",
    )
    # A second "first" submission (no version: the form was opened before any report existed).
    _unchanged(
        database,
        lambda: _submit(database, "jt2", cycle_id, plan.task(1), 60),
        ConflictError,
        "saved by someone else",
    )
    with database.read() as session:
        assert session.get(ProgressReport, report_id).percent == 45  # the first save is kept


def test_two_people_assigning_the_same_task_the_second_gets_a_conflict(setup):
    database, plan, _, office = setup
    with database.read() as session:
        version = session.get(Task, plan.task(2)).row_version
    with database.write() as session:
        task_edits.update_task(
            session,
            plan.task(2),
            task_edits.TaskUpdate(supporting_units=["t-fg"]),
            user=office,
            expected_version=version,
        )

    def second():
        with database.write() as session:
            task_edits.update_task(
                session,
                plan.task(2),
                task_edits.TaskUpdate(lead_unit="t-hb"),
                user=office,
                expected_version=version,
            )

    # Only a supporting unit changed, in another table; the task's version still moved on.
    _unchanged(database, second, ConflictError, "changed by someone else")
    assert _task(database, plan.task(2)).lead_unit_id is None


def test_stale_write_lost_at_flush_is_a_conflict(setup):
    """Two sessions read the same row; the later flush finds the version moved on."""
    database, plan, _, _ = setup
    first, second = database.sessions(), database.sessions()
    try:
        a = first.get(Task, plan.task(3))
        b = second.get(Task, plan.task(3))
        # End the read (as a web request does between showing a form and saving it); SQLite
        # would otherwise lock the writer out instead of letting the version check work.
        second.commit()
        a.progress_text = "甲"
        first.commit()
        b.progress_text = "乙"
        with pytest.raises(ConflictError):
            row_versions.flush_or_conflict(second, "task")
    finally:
        second.rollback()
        first.close()
        second.close()
    assert _task(database, plan.task(3)).progress_text == "甲"


def test_only_the_office_assigns(setup_sqlite):
    database, plan, _, _ = setup_sqlite
    reporter = user_info(database, "jt1")

    def assign():
        with database.write() as session:
            task_edits.update_task(
                session, plan.task(1), task_edits.TaskUpdate(lead_unit="t-hb"), user=reporter
            )

    _unchanged(database, assign, PermissionDenied, "only the office")


# --- completeness -------------------------------------------------------------------------------


def test_completeness_and_timeliness_checked_by_hand(setup):
    database, plan, cycle_id, office = setup
    with database.write() as session:
        for number, lead in ((2, "t-jt"), (3, "t-jt"), (5, "t-hb")):
            task_edits.update_task(
                session,
                plan.task(number),
                task_edits.TaskUpdate(lead_unit=lead),
                user=SYSTEM_CALLER,
            )
    # 交通 leads 1, 2, 3; 生态 leads 4, 5. 交通 reports 1 (on time) and 2 (late); 生态 reports 4.
    _submit(database, "jt1", cycle_id, plan.task(1))
    late_id, _ = _submit(database, "jt1", cycle_id, plan.task(2))
    _submit(database, "hb", cycle_id, plan.task(4))
    with database.write() as session:
        report = session.get(ProgressReport, late_id)
        report.submitted_at = datetime.combine(
            date.fromordinal(TODAY.toordinal() + 12), datetime.min.time()
        )
    due = date.fromordinal(TODAY.toordinal() + 10)
    with database.read() as session:
        now = {r["unit"]: r for r in cycles.completeness(session, [cycle_id], as_of=TODAY)}
        later = {
            r["unit"]: r
            for r in cycles.completeness(
                session, [cycle_id], as_of=date.fromordinal(due.toordinal() + 5)
            )
        }
    pick = ("expected", "submitted", "on_time", "late", "missing", "pending")
    # Today the late report is not yet in (it is dated after today) and nothing is missing yet.
    assert [now["测试交通局"][k] for k in pick] == [3, 1, 1, 0, 0, 2]
    assert [now["测试生态环境局"][k] for k in pick] == [2, 1, 1, 0, 0, 1]
    # After the due date: one on time, one late, one missing.
    assert [later["测试交通局"][k] for k in pick] == [3, 2, 1, 1, 1, 0]
    assert later["测试生态环境局"]["missing"] == 1

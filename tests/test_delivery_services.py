"""Units, evidence checks, the lagging margin and the task history (services on both backends
where they touch the store)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from delivery_helpers import make_plan
from openpyxl import Workbook

from yrdplan.domain.evidence import check_evidence, clean_filename
from yrdplan.domain.people import SYSTEM_CALLER
from yrdplan.errors import InputError, NotFoundError
from yrdplan.services import delivery_settings, task_edits, units
from yrdplan.services import tasks as task_service
from yrdplan.store.database import connect
from yrdplan.store.repos import tasks as task_repo
from yrdplan.web.views import tasks as task_views


def test_units_registry_aliases_and_errors(any_default_url):
    database = connect(any_default_url)
    try:
        plan = make_plan(database)
        with database.write() as session:
            assert task_repo.find_unit(session, "交通局").code == "t-jt"  # an alias
            assert units.resolve_in_plan(session, plan.plan_id, "测试交通局").code == "t-jt"
            with pytest.raises(InputError, match="exists already"):
                units.add_unit(session, code="t-jt", name="重复", user=SYSTEM_CALLER)
            with pytest.raises(InputError, match="lower-case"):
                units.add_unit(session, code="Bad Code", name="x", user=SYSTEM_CALLER)
            with pytest.raises(InputError, match="kind"):
                units.add_unit(session, code="t-x", name="x", kind="ministry", user=SYSTEM_CALLER)
            with pytest.raises(NotFoundError):
                units.add_unit(
                    session, code="t-y", name="y", region_code="999999", user=SYSTEM_CALLER
                )
        with database.read() as session:
            listed = units.list_units(session, plan.code)
            # 市发展改革委 exists in Nanjing's registry; a bare name that two units carry is refused.
            with pytest.raises(NotFoundError, match="no unit"):
                task_repo.find_unit(session, "不存在的局")
        assert [u["code"] for u in listed] == ["t-fg", "t-hb", "t-jt", "t-qx"]
    finally:
        database.dispose()


def _xlsx() -> bytes:
    out = io.BytesIO()
    Workbook().save(out)
    return out.getvalue()


def _docx() -> bytes:
    docx = pytest.importorskip("docx")
    out = io.BytesIO()
    docx.Document().save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("进展.pdf", b"%PDF-1.7\n...", "application/pdf"),
        ("照片.JPG", b"\xff\xd8\xff\xe0rest", "image/jpeg"),
        ("截图.png", b"\x89PNG\r\n\x1a\nrest", "image/png"),
        ("说明.txt", "完成情况".encode("gb18030"), "text/plain; charset=utf-8"),
        ("台账.xlsx", None, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_allowed_evidence_types(name, content, kind):
    content = _xlsx() if content is None else content
    assert check_evidence(name, content, 1 << 20).content_type == kind


def test_docx_is_accepted_and_a_workbook_named_docx_is_not():
    assert check_evidence("报告.docx", _docx(), 1 << 20).extension == "docx"
    with pytest.raises(ValueError, match="not a docx file"):
        check_evidence("报告.docx", _xlsx(), 1 << 20)


def test_filenames_are_cleaned():
    assert clean_filename("../../etc/passwd") == "passwd"
    assert clean_filename('a<b>:"c".txt') == "a_b_c_.txt"
    assert len(clean_filename("长" * 300 + ".pdf")) == 200


def test_margin_changes_lagging_and_is_audited(database):
    plan = make_plan(database, issued_on=date(2024, 1, 1))
    with database.write() as session:
        task_edits.update_task(
            session,
            plan.task(1),
            task_edits.TaskUpdate(deadline=date(2024, 12, 31)),
            user=SYSTEM_CALLER,
        )
        session.get(task_service.Task, plan.task(1)).percent = 40
    as_of = date(2024, 7, 1)  # 49.9 % of the time elapsed; 40 % done: 9.9 points behind

    def status():
        with database.read() as session:
            return task_service.task_rows(session, plan.code, as_of=as_of, user=SYSTEM_CALLER)[0][
                "status"
            ]

    assert status() == "on_track"
    with database.write() as session:
        delivery_settings.set_lagging_margin(session, 5, user=SYSTEM_CALLER)
    assert status() == "lagging"
    with database.write() as session, pytest.raises(InputError):
        delivery_settings.set_lagging_margin(session, 100, user=SYSTEM_CALLER)
    with database.read() as session:
        entries = task_repo.audit_entries(
            session, "instance_settings", [delivery_settings.LAGGING_MARGIN_KEY]
        )
    assert entries[-1].new == {"value": "5.0"}


def test_history_names_units_and_milestones(database):
    plan = make_plan(database)
    office = task_service.UserInfo(id=2, username="office", role="office")
    with database.write() as session:
        task_edits.update_task(
            session,
            plan.task(2),
            task_edits.TaskUpdate(
                lead_unit="t-jt",
                supporting_units=["t-hb", "t-fg"],
                milestones=[task_edits.MilestoneIn("2025年底：完成改造")],
            ),
            user=office,
        )
        task_edits.update_task(
            session,
            plan.task(2),
            task_edits.TaskUpdate(supporting_units=["t-fg", "t-hb"]),
            user=office,
        )
    with database.read() as session:
        detail = task_views.task_page(session, SYSTEM_CALLER, plan.task(2)).model_dump()
    assert detail["task"]["supporting_units"] == ["测试发展改革委", "测试生态环境局"]  # order kept
    assert detail["task"]["milestones"][0] == {
        "title": "完成改造",
        "due_date": date(2025, 12, 31),
        "completed_on": None,
    }
    changes = [(h["what"], c["field"], c["new"]) for h in detail["history"] for c in h["changes"]]
    assert ("task", "lead_unit_id", "测试交通局") in changes
    assert ("supporting_unit", "unit_id", "测试生态环境局") in changes
    assert ("milestone", "title", "完成改造") in changes

"""Bulletins and evaluation reports as documents: structure (headings 一、（一）1., tables,
figures), numbers equal to the services' results, the Word layout (repeating header rows, page
numbers, a CJK font), a self-contained HTML, a complete Excel annex, a PDF with its fonts
embedded, and rebuilds from the stored snapshot that give the same files after the data change.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile

import pytest
from docx import Document as read_docx
from docx.oxml.ns import qn
from openpyxl import load_workbook
from sqlalchemy import select

from yrdplan.domain.people import UserInfo
from yrdplan.errors import ConflictError, InputError, PermissionDenied
from yrdplan.reports.document import Heading, Paragraph, chinese_number, format_cell
from yrdplan.reports.documents import build_document, render_documents
from yrdplan.services import bulletins as service
from yrdplan.services.completion import completion_rows
from yrdplan.services.cycles import completeness
from yrdplan.services.evaluations import AssessmentIn, enter_assessment
from yrdplan.store.database import connect
from yrdplan.store.schema import AuditEntry, Bulletin, Task

NANJING = "nj-implementation-2020"
OFFICE = UserInfo(id=2, username="office", role="office")


def _cycle_id(session) -> int:
    from yrdplan.store.repos import tasks as task_repo

    closed = [c for c in task_repo.cycles(session) if c.status == "closed"]
    return max(closed, key=lambda c: c.due_on).id


@pytest.fixture(scope="module")
def built_template(default_sqlite_template, tmp_path_factory):
    """The demo database with a draft 通报 for the latest closed Nanjing cycle (one office
    text), built once for the module; each test gets a copy."""
    path = tmp_path_factory.mktemp("bulletin") / "built.db"
    shutil.copy(default_sqlite_template, path)
    database = connect(f"sqlite:///{path}")
    with database.write() as session:
        bulletin = service.create_bulletin(session, OFFICE, cycle_id=_cycle_id(session))
        service.set_texts(session, OFFICE, bulletin.id, {"summary": "总体进展顺利。\n第二段。"})
        bulletin_id = bulletin.id
    database.dispose()
    return path, bulletin_id


@pytest.fixture
def built_database(built_template, tmp_path):
    path = tmp_path / "yrdplan.db"
    shutil.copy(built_template[0], path)
    database = connect(f"sqlite:///{path}")
    yield database
    database.dispose()


@pytest.fixture
def built(built_template) -> int:
    return built_template[1]


def _bulletin(database, bulletin_id) -> Bulletin:
    with database.read() as session:
        bulletin = session.get(Bulletin, bulletin_id)
        session.expunge(bulletin)
        return bulletin


def _file(database, bulletin_id, fmt) -> bytes:
    with database.read() as session:
        return service.bulletin_file(session, OFFICE, bulletin_id, fmt).content


def test_chinese_numbering():
    assert [chinese_number(n) for n in (1, 9, 10, 11, 19, 35)] == [
        "一", "九", "十", "十一", "十九", "三十五",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="n: 0"):
        chinese_number(0)


def test_bulletin_structure_and_numbers_match_the_services(built_database, built):
    database = built_database
    bulletin = _bulletin(database, built)
    document = build_document(bulletin.snapshot, bulletin.texts)
    headings = document.headings()
    top = [h.full for h in headings if h.level == 1]
    assert top[:3] == ["一、总体情况", "二、任务完成情况", "三、报送完整性和及时性"]
    assert "五、需协调解决的难点堵点" in top and "六、指标监测预警" in top
    assert [h.full for h in headings if h.level == 2][:3] == [
        "（一）按领域",
        "（二）按责任单位",
        "（三）按地区",
    ]
    as_of = bulletin.snapshot["scope"]["as_of"]
    from datetime import date

    with database.read() as session:
        by_area = completion_rows(session, NANJING, "area", as_of=date.fromisoformat(as_of))
        overall = completion_rows(session, NANJING, "plan", as_of=date.fromisoformat(as_of))[0]
        timeliness = completeness(session, [bulletin.cycle_id], as_of=date.fromisoformat(as_of))
    tables = {t.key: t for t in document.tables()}
    assert [(r[0], r[1], r[2], r[3]) for r in tables["area-1"].rows] == [
        (r["group"], r["total"], r["completed"], r["rate"]) for r in by_area
    ]
    first = next(b for b in document.blocks if isinstance(b, Paragraph))
    assert f"完成率{format_cell(overall['rate'], 'pct')}" in first.text
    assert "首次通报" in first.text  # no earlier bulletin of this scope
    expected = sum(r["expected"] for r in timeliness)
    assert sum(r[1] for r in tables["timeliness"].rows) == expected > 0
    # the office's two lines are two paragraphs; sections it has not written say so
    texts = [b.text for b in document.blocks if isinstance(b, Paragraph)]
    assert "总体进展顺利。" in texts and "第二段。" in texts
    assert texts.count("（本节内容由办公室填写，尚未填写。）") == 2
    assert any("一体化指数" in t and "暂无" in t for t in texts)
    kinds = {f.chart.kind for f in document.figures()}
    assert {"bar", "line", "map"} <= kinds


def test_docx_layout(built_database, built):
    database = built_database
    docx = read_docx(io.BytesIO(_file(database, built, "docx")))
    document = build_document(*_snapshot_and_texts(database, built))
    headings = [p.text for p in docx.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [h.full for h in document.headings()]
    assert len(docx.tables) == len(document.tables())
    for table, expected in zip(docx.tables, document.tables(), strict=True):
        header = table.rows[0]._tr.trPr.find(qn("w:tblHeader"))
        assert header is not None and header.get(qn("w:val")) == "true"
        assert [c.text for c in table.rows[0].cells] == [c.title for c in expected.columns]
        assert len(table.rows) == len(expected.rows) + 1
    assert len(docx.inline_shapes) == len(document.figures())
    footer = docx.sections[0].footer._element.xml
    assert "PAGE" in footer
    fonts = docx.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert "CJK" in fonts.get(qn("w:eastAsia"))
    assert docx.paragraphs[0].text == service.DEFAULT_ISSUER
    assert abs(docx.sections[0].top_margin.cm - 3.7) < 0.01  # GB/T 9704


def _snapshot_and_texts(database, bulletin_id):
    bulletin = _bulletin(database, bulletin_id)
    return bulletin.snapshot, bulletin.texts


def test_xlsx_annex_has_every_table(built_database, built):
    database = built_database
    book = load_workbook(io.BytesIO(_file(database, built, "xlsx")))
    document = build_document(*_snapshot_and_texts(database, built))
    assert book.sheetnames == ["目录"] + [f"表{n}" for n in range(1, len(document.tables()) + 1)]
    for n, table in enumerate(document.tables(), 1):
        sheet = book[f"表{n}"]
        assert sheet["A1"].value == table.title
        assert [c.value for c in sheet[3]][: len(table.columns)] == [c.title for c in table.columns]
        for row_number, values in enumerate(table.rows, 4):
            for column, (spec, value) in enumerate(zip(table.columns, values, strict=True), 1):
                cell = sheet.cell(row_number, column).value
                if spec.kind != "text" and value is not None:
                    assert cell == pytest.approx(value)


def test_html_is_self_contained(built_database, built):
    database = built_database
    html = _file(database, built, "html").decode("utf-8")
    document = build_document(*_snapshot_and_texts(database, built))
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and not re.search(r"url\((?!#)", html)
    assert html.count("<figure") == len(document.figures())
    assert html.count("<table") == len(document.tables())
    assert html.count("<thead>") == len(document.tables())  # header rows repeat when printed
    assert "counter(page)" in html


def test_rebuild_from_the_snapshot_gives_the_same_files(built_database, built):
    database = built_database
    before = {f: _file(database, built, f) for f in ("docx", "xlsx", "html")}
    with database.write() as session:  # the data change after the bulletin was built
        for task in session.scalars(select(Task).where(Task.completed_on.is_(None))):
            task.percent = 100.0
            task.title = task.title + "（已改）"
    bulletin = _bulletin(database, built)
    again = {
        r.format: r.content for r in service.render_bulletin(bulletin, ["docx", "xlsx", "html"])
    }
    assert again["xlsx"] == before["xlsx"]
    assert again["html"] == before["html"]
    old, new = read_docx(io.BytesIO(before["docx"])), read_docx(io.BytesIO(again["docx"]))
    assert [p.text for p in old.paragraphs] == [p.text for p in new.paragraphs]
    assert [[c.text for r in t.rows for c in r.cells] for t in old.tables] == [
        [c.text for r in t.rows for c in r.cells] for t in new.tables
    ]
    assert "（已改）" not in again["html"].decode("utf-8")


def test_lifecycle_is_audited_and_guarded(built_database, built):
    database = built_database
    viewer = UserInfo(id=3, username="viewer", role="viewer")
    with database.write() as session, pytest.raises(PermissionDenied):
        service.publish(session, viewer, built)
    with database.write() as session, pytest.raises(ConflictError, match="changed by someone"):
        service.publish(session, OFFICE, built, expected_version=1)
    with database.write() as session:
        service.publish(session, OFFICE, built)
    with database.write() as session, pytest.raises(ConflictError, match="only a draft"):
        service.set_texts(session, OFFICE, built, {"summary": "改"})
    with database.write() as session, pytest.raises(InputError, match="reason"):
        service.withdraw(session, OFFICE, built, "  ")
    with database.write() as session:
        service.withdraw(session, OFFICE, built, "数据有误，重新核实")
    with database.read() as session:
        entries = session.scalars(
            select(AuditEntry).where(
                AuditEntry.entity == "bulletins", AuditEntry.entity_id == str(built)
            )
        ).all()
        statuses = [e.new.get("status") for e in entries if e.new and "status" in e.new]
        assert statuses[0] == "draft" and statuses[-2:] == ["published", "withdrawn"]
        assert any(e.new.get("withdrawn_reason") == "数据有误，重新核实" for e in entries if e.new)
        assert all(e.new.get("snapshot") in (None, "<redacted>") for e in entries if e.new)
        assert service.list_bulletins(session, None) == []


def test_no_unreviewed_report_and_no_personal_data_in_the_snapshot(built_database, built):
    from yrdplan.store.schema import ProgressReport, User

    database = built_database
    snapshot = _bulletin(database, built).snapshot
    with database.read() as session:
        accepted = {
            (r.task_id, r.blockers)
            for r in session.scalars(select(ProgressReport))
            if r.review_state == "accepted" and r.blockers
        }
        people = [u.username for u in session.scalars(select(User))] + [
            u.display_name for u in session.scalars(select(User)) if u.display_name
        ]
    assert snapshot["blockers"] and all(
        (b["task_id"], b["blockers"]) in accepted for b in snapshot["blockers"]
    )
    text = json.dumps(snapshot, ensure_ascii=False)
    assert not [p for p in people if f'"{p}"' in text and p not in ("长三角区域合作办公室",)]


def test_second_bulletin_reports_the_change(built_database, built):
    database = built_database
    with database.write() as session:
        service.publish(session, OFFICE, built)
        first = session.get(Bulletin, built).snapshot["completion"]["overall"]["rate"]
        second = service.create_bulletin(session, OFFICE, period="2026")
        assert second.snapshot["completion"]["previous"] is None  # other scope
        cycle = session.get(Bulletin, built).cycle_id
    from datetime import date, timedelta

    with database.write() as session:
        later = service.create_bulletin(
            session,
            OFFICE,
            cycle_id=cycle,
            today=date.fromisoformat(session.get(Bulletin, built).snapshot["scope"]["as_of"])
            + timedelta(days=400),
        )
        previous = later.snapshot["completion"]["previous"]
    # the cycle's as_of is its closing day either way, so the earlier bulletin is not "before"
    assert previous is None or previous["rate"] == first


def test_evaluation_sections_and_assessment_roles(database):
    assessor = UserInfo(id=99, username="assessor", role="assessor")
    with database.write() as session:
        with pytest.raises(PermissionDenied, match="third-party"):
            enter_assessment(
                session, OFFICE, NANJING, "mid_term", AssessmentIn("third_party", "某研究院", {})
            )
        with pytest.raises(PermissionDenied, match="office"):
            enter_assessment(session, assessor, NANJING, "mid_term", AssessmentIn("self", "x", {}))
        with pytest.raises(InputError, match="outside 0-100"):
            enter_assessment(
                session,
                OFFICE,
                NANJING,
                "mid_term",
                AssessmentIn("self", "市发改委", {"目标实现": 120}),
            )
        enter_assessment(
            session,
            OFFICE,
            NANJING,
            "mid_term",
            AssessmentIn(
                "self", "南京市发展改革委", {"目标实现": 82, "任务落实": 78}, "自评意见。"
            ),
        )
        report = service.create_evaluation(session, OFFICE, NANJING, "mid_term")
        snapshot, texts = report.snapshot, report.texts
    document = build_document(snapshot, texts)
    assert document.title.endswith("中期评估报告")
    top = [h.full for h in document.headings() if h.level == 1]
    assert top == [
        "一、评估概况", "二、任务完成情况", "三、目标实现情况和预测", "四、区域协调发展",
        "五、定性评估", "六、规划调整和修订情况", "七、评估结论", "八、意见建议",
    ]  # fmt: skip
    texts_out = [b.text for b in document.blocks if isinstance(b, Paragraph)]
    assert "尚未录入第三方评估意见。" in texts_out
    assert "自评意见。" in texts_out
    scores = {t.key: t for t in document.tables()}["scores"]
    assert scores.rows == (("任务落实", 78.0), ("目标实现", 82.0))
    targets = {t.key: t for t in document.tables()}["targets"]
    assert len(targets.rows) == len(snapshot["targets"]) > 0
    assert any(isinstance(b, Heading) and b.full == "（一）政府自评" for b in document.blocks)


def test_pdf_embeds_a_cjk_font(built_database, built):
    database = built_database
    if shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    bulletin = _bulletin(database, built)
    (pdf,) = render_documents(bulletin.snapshot, bulletin.texts, ["pdf"])
    assert pdf.content.startswith(b"%PDF")
    assert pdf.note.startswith("CJK font: Noto")
    fonts = re.findall(rb"/Subtype\s*/(Type3|Type0|TrueType|Type1|CIDFontType[02])", pdf.content)
    assert fonts
    # every font is embedded: glyph procedures (Type 3) or a font file
    embedded = pdf.content.count(b"/FontFile") + fonts.count(b"Type3")
    assert embedded >= len([f for f in fonts if f not in (b"Type0",)])
    assert zipfile.is_zipfile(io.BytesIO(_file(database, built, "docx")))


def test_snapshot_round_trips_on_both_backends(any_default_url):
    """What the store gives back is what was taken: same digest, same HTML."""
    from yrdplan.services.bulletin_snapshot import snapshot_digest

    database = connect(any_default_url)
    try:
        with database.write() as session:
            bulletin = service.create_bulletin(session, OFFICE, period="2026")
            taken, bulletin_id = bulletin.snapshot, bulletin.id
        with database.read() as session:
            stored = session.get(Bulletin, bulletin_id)
            assert (
                snapshot_digest(stored.snapshot) == stored.snapshot_sha256 == snapshot_digest(taken)
            )
            (html,) = service.render_bulletin(stored, ["html"])
            assert (
                html.content == service.bulletin_file(session, OFFICE, bulletin_id, "html").content
            )
    finally:
        database.dispose()


def test_league_table_comes_from_the_latest_index_build(database):
    from yrdplan.services.index_builds import build_index, demo_config_text
    from yrdplan.services.regional import league_table

    build_index(database, demo_config_text(), OFFICE)
    with database.write() as session:
        bulletin = service.create_bulletin(session, OFFICE, period="2026")
        snapshot = bulletin.snapshot
    expected = league_table(database)
    document = build_document(snapshot, {})
    league = {t.key: t for t in document.tables()}["league"]
    assert [(r[0], r[1], r[2]) for r in league.rows] == [
        (r["rank"], r["name"], r["score"]) for r in expected["regions"]
    ]
    assert (
        league.rows[0][3]
        == f"{expected['regions'][0]['rank_p05']}–{expected['regions'][0]['rank_p95']}"
    )
    assert "league" in {f.key for f in document.figures()}


def test_pdf_without_a_cjk_font_names_what_is_missing(monkeypatch):
    from yrdplan.reports import pdf
    from yrdplan.reports.static_charts import MissingFont

    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)  # no fc-list: no font known
    with pytest.raises(MissingFont, match=r"Noto Sans CJK SC.*fc-list :lang=zh.*fonts-noto-cjk"):
        pdf.html_to_pdf("<p>中文</p>")


def test_pdf_timeout_is_a_clear_error():
    if shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    from yrdplan.reports.pdf import PdfUnavailable, html_to_pdf

    with pytest.raises(PdfUnavailable, match="did not finish printing the PDF in 0.01 s"):
        html_to_pdf("<p>中文</p>", timeout=0.01)

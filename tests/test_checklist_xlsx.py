"""The Excel responsibility checklist: layout, round trip, and where errors are reported."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yrdplan.domain.problems import errors_of
from yrdplan.domain.tasks import (
    CHECKLIST_HEADERS,
    STANDING_DEADLINE_PHRASES,
    TASK_STATUS_LABELS_ZH,
    TASK_STATUSES,
    ChecklistRow,
)
from yrdplan.ingest.checklist_xlsx import UnitMatcher, parse_deadline, read_checklist
from yrdplan.reports.checklist_xlsx import write_checklist

UNITS = ["市发展改革委", "市交通运输局", "市科技局", "市生态环境局", "交通专题工作组"]
HEADERS = list(CHECKLIST_HEADERS)


def _sample_rows() -> list[ChecklistRow]:
    return [
        ChecklistRow(
            "1.",
            "建设沪宁合城际铁路",
            "市交通运输局",
            ["市发展改革委"],
            date(2025, 12, 31),
            "",
            "2024年开工",
            "已完成可研",
            "on_track",
            "N-1",
            ("一、交通", "（一）轨道"),
        ),
        ChecklistRow(
            "2.",
            "长三角生态绿色一体化",
            "市生态环境局",
            [],
            None,
            "长期坚持",
            status="lagging",
            task_key="N-2",
        ),
    ]


def _export(rows, **kwargs) -> io.BytesIO:
    buffer = io.BytesIO()
    write_checklist(
        rows,
        buffer,
        title="重点任务责任清单",
        plan_label="南京市实施方案",
        today=date(2025, 1, 1),
        **kwargs,
    )
    buffer.seek(0)
    return buffer


def _handmade(tmp_path, rows, *, headers=HEADERS, name="清单.xlsx", sheet="责任清单"):
    """A workbook as an office might type it, written with openpyxl (not our writer)."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    if headers is not None:
        ws.append(headers)
    for row in rows:
        ws.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def _row(title="任务甲", lead="市科技局", supporting="", deadline="2025-12-31", status="正常推进"):
    return ["1", title, lead, supporting, deadline, "", "", status]


# --- layout ---------------------------------------------------------------------------------


def test_first_row_is_exactly_the_headers_and_one_row_per_task():
    book = openpyxl.load_workbook(_export(_sample_rows()))
    sheet = book.worksheets[0]
    assert sheet.title == "责任清单"
    first = [c.value for c in sheet[1]]
    assert first[:8] == HEADERS
    assert sheet.max_row == 1 + 2
    assert [sheet.cell(r, 2).value for r in (2, 3)] == [
        "建设沪宁合城际铁路",
        "长三角生态绿色一体化",
    ]


def test_layout_frozen_hidden_key_columns_validation_and_notes():
    book = openpyxl.load_workbook(_export(_sample_rows()))
    sheet = book["责任清单"]
    assert sheet.freeze_panes == "C2"
    hidden = sheet.column_dimensions["I"]  # openpyxl keeps the range I:J under its first column
    assert hidden.hidden and (hidden.min, hidden.max) == (9, 10)
    assert not sheet.column_dimensions["B"].hidden and sheet.column_dimensions["B"].width > 30
    (validation,) = sheet.data_validations.dataValidation
    assert validation.type == "list"
    assert all(label in validation.formula1 for label in TASK_STATUS_LABELS_ZH.values())
    assert "H2" in str(validation.sqref)
    assert sheet["E2"].value == datetime(2025, 12, 31) and sheet["E3"].value == "长期坚持"
    assert sheet["H2"].value == "正常推进"
    notes = book["说明"]
    assert notes["A1"].value == "重点任务责任清单"
    assert book.properties.title == "重点任务责任清单"


def test_row_refuses_an_implausible_deadline():
    with pytest.raises(ValueError, match="deadline 1899-12-31"):
        ChecklistRow("1", "甲", deadline=date(1899, 12, 31))


def test_formula_like_text_stays_text():
    rows = [ChecklistRow("1.10", "=SUM(A1:A3)", "", [])]
    sheet = openpyxl.load_workbook(_export(rows)).worksheets[0]
    assert sheet["A2"].value == "1.10" and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == "=SUM(A1:A3)" and sheet["B2"].data_type == "s"


def test_too_long_text_names_row_and_column_and_writes_nothing(tmp_path):
    path = tmp_path / "out.xlsx"
    rows = [ChecklistRow("1", "ok"), ChecklistRow("2", "x" * 40_000)]
    with pytest.raises(ValueError, match="row 3, column 任务"):
        write_checklist(rows, path, title="t", plan_label="p")
    assert not path.exists()


# --- round trip -----------------------------------------------------------------------------


def test_export_then_import_gives_the_same_rows(tmp_path):
    path = tmp_path / "清单.xlsx"
    write_checklist(_sample_rows(), path, title="t", plan_label="p")
    rows, problems = read_checklist(path, known_units=UNITS)
    assert problems == []
    assert rows == _sample_rows()


_CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
# Everything a cell can hold portably: no control characters but tab and newline.
_ANY = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Cn"))
_text = st.text(st.one_of(_CJK, _ANY, st.sampled_from("\n\t 、，（）")), max_size=40).map(str.strip)
_unit_names = st.lists(
    st.text(_CJK, min_size=2, max_size=6).map(lambda s: "市" + s + "局"),
    min_size=1,
    max_size=12,
    unique=True,
)


@st.composite
def checklists(draw):
    units = draw(_unit_names)
    rows = []
    for i in range(draw(st.integers(0, 6))):
        lead = draw(st.sampled_from(["", *units]))
        others = [u for u in units if u != lead]
        supporting = draw(st.lists(st.sampled_from(others), unique=True) if others else st.just([]))
        deadline = draw(st.none() | st.dates(date(1950, 1, 1), date(2200, 12, 31)))
        note = "" if deadline else draw(st.sampled_from(("", *STANDING_DEADLINE_PHRASES)))
        key = draw(st.none() | _text.filter(bool))
        rows.append(
            ChecklistRow(
                label=draw(_text),
                title=draw(_text.filter(bool)),
                lead_unit=lead,
                supporting_units=supporting,
                deadline=deadline,
                deadline_note=note,
                milestones=draw(_text),
                progress=draw(_text),
                status=draw(st.none() | st.sampled_from(TASK_STATUSES)),
                task_key=None if key is None else f"{key}#{i}",  # keys are unique
                group_path=tuple(draw(st.lists(_text.filter(bool), max_size=3))),
            )
        )
    return units, rows


@settings(max_examples=30, deadline=None)
@given(checklists())
def test_round_trip_property(checklist):
    units, rows = checklist
    got, problems = read_checklist(_export(rows), known_units=units)
    assert problems == []
    assert got == rows


# --- reading what people type ---------------------------------------------------------------


def test_bad_date_in_row_5_is_located(tmp_path):
    path = _handmade(tmp_path, [_row(), _row(), _row(), _row(deadline="2025年13月")])
    rows, problems = read_checklist(path, known_units=UNITS)
    (problem,) = errors_of(problems)
    assert problem.kind == "bad_date"
    assert (problem.file, problem.sheet, problem.row, problem.column, problem.value) == (
        "清单.xlsx",
        "责任清单",
        5,
        "完成时限",
        "2025年13月",
    )
    assert "E5" in problem.message
    assert str(problem).startswith("清单.xlsx, sheet 责任清单, row 5, column 完成时限")
    assert len(rows) == 3  # the bad row is left out


def test_unknown_unit_gets_did_you_mean(tmp_path):
    path = _handmade(tmp_path, [_row(), _row(supporting="市科技局、市发展改委")])
    _, problems = read_checklist(path, known_units=UNITS)
    (problem,) = errors_of(problems)
    assert problem.kind == "unknown_unit"
    assert (problem.row, problem.column, problem.value) == (3, "配合单位", "市发展改委")
    assert "did you mean “市发展改革委”" in problem.message


def test_common_abbreviation_is_read_with_a_warning(tmp_path):
    path = _handmade(tmp_path, [_row(lead="市发改委", supporting="市交通局 市科技局")])
    rows, problems = read_checklist(path, known_units=UNITS)
    assert errors_of(problems) == []
    assert rows[0].lead_unit == "市发展改革委"
    assert rows[0].supporting_units == ["市交通运输局", "市科技局"]
    assert {(p.kind, p.value) for p in problems} == {
        ("unit_abbreviation", "市发改委"),
        ("unit_abbreviation", "市交通局"),
    }


def test_ambiguous_abbreviation_is_an_error_naming_both():
    matcher = UnitMatcher(["省发展改革委", "省发展和改革委员会"])
    match = matcher.match("省发改委")
    assert match.unit is None
    assert set(match.suggestions[:2]) == {"省发展改革委", "省发展和改革委员会"}
    assert matcher.match(" 省发展改革委 ").unit == "省发展改革委"


def test_one_lead_unit_only(tmp_path):
    path = _handmade(tmp_path, [_row(lead="市科技局、市交通运输局")])
    _, problems = read_checklist(path, known_units=UNITS)
    (problem,) = errors_of(problems)
    assert problem.kind == "several_lead_units" and problem.column == "牵头单位"


def test_lead_repeated_among_supporting_units_is_dropped_with_a_warning(tmp_path):
    path = _handmade(tmp_path, [_row(supporting="市科技局，市交通运输局；市交通运输局")])
    rows, problems = read_checklist(path, known_units=UNITS)
    assert rows[0].supporting_units == ["市交通运输局"]
    assert [p.kind for p in problems] == ["duplicate_unit", "duplicate_unit"]
    assert all(p.severity == "warning" for p in problems)


def test_known_units_none_accepts_names_as_written(tmp_path):
    path = _handmade(tmp_path, [_row(lead="某某办", supporting="甲局、乙局")])
    rows, problems = read_checklist(path, known_units=None)
    assert problems == []
    assert (rows[0].lead_unit, rows[0].supporting_units) == ("某某办", ["甲局", "乙局"])


def test_missing_header_is_a_clear_problem(tmp_path):
    path = _handmade(tmp_path, [_row()[:7]], headers=HEADERS[:7])
    rows, problems = read_checklist(path, known_units=UNITS)
    (problem,) = problems
    assert rows == []
    assert problem.kind == "header_missing" and problem.row == 1
    assert "missing 状态" in problem.message


def test_title_row_above_headers_is_reported_where_the_headers_are(tmp_path):
    path = _handmade(tmp_path, [[], HEADERS, _row()], headers=["南京市重点任务责任清单"])
    rows, problems = read_checklist(path, known_units=UNITS)
    assert rows == []
    assert [p.kind for p in problems] == ["header_missing", "header_row"]
    assert problems[1].row == 3 and "delete the 2 row(s) above" in problems[1].message


def test_headers_with_spaces_synonyms_and_other_order_are_accepted(tmp_path):
    headers = [
        "序 号",
        "任务名称",
        "配合单位",
        "牵头单位",
        "完成时间",
        "阶段目标",
        "工作进展",
        "状态",
        "备注",
    ]
    path = _handmade(
        tmp_path,
        [["1", "任务甲", "市交通运输局", "市科技局", "2025年底", "", "进展", "推进中", "随便写"]],
        headers=headers,
    )
    rows, problems = read_checklist(path, known_units=UNITS)
    assert [p.kind for p in problems] == ["unknown_column"]
    assert rows[0].lead_unit == "市科技局" and rows[0].supporting_units == ["市交通运输局"]
    assert (rows[0].deadline, rows[0].status, rows[0].progress) == (
        date(2025, 12, 31),
        "on_track",
        "进展",
    )


def test_excel_dates_numbers_and_standing_phrases(tmp_path):
    path = _handmade(
        tmp_path,
        [
            [1, "甲", "", "", datetime(2026, 6, 30), "", "", ""],
            [2.0, "乙", "", "", 2027, "", "", ""],
            [3, "丙", "", "", "持续推进", "", "", ""],
            [4, "丁", "", "", None, "", "", None],
        ],
    )
    rows, problems = read_checklist(path, known_units=UNITS)
    assert problems == []
    assert [r.label for r in rows] == ["1", "2", "3", "4"]
    assert [(r.deadline, r.deadline_note) for r in rows] == [
        (date(2026, 6, 30), ""),
        (date(2027, 12, 31), ""),
        (None, "持续推进"),
        (None, ""),
    ]


def test_unknown_status_and_duplicate_key_and_empty_title(tmp_path):
    path = _handmade(
        tmp_path,
        [
            _row(status="进行得不错") + ["K1"],
            _row() + ["K2"],
            _row() + ["K2"],
            _row(title="") + [None],
        ],
        headers=[*HEADERS, "任务编号"],
    )
    rows, problems = read_checklist(path, known_units=UNITS)
    assert [(p.kind, p.row, p.column) for p in errors_of(problems)] == [
        ("unknown_status", 2, "状态"),
        ("duplicate_task_key", 4, "任务编号"),
        ("missing_title", 5, "任务"),
    ]
    assert [r.task_key for r in rows] == ["K2"]


def test_blank_rows_are_skipped(tmp_path):
    path = _handmade(tmp_path, [_row(), [None] * 8, ["", " ", "", "", "", "", "", ""], _row()])
    rows, problems = read_checklist(path, known_units=UNITS)
    assert problems == [] and len(rows) == 2


def test_not_an_xlsx_file(tmp_path):
    path = tmp_path / "notes.xlsx"
    path.write_text("序号,任务\n1,甲\n", encoding="utf-8")
    rows, problems = read_checklist(path, known_units=UNITS)
    assert rows == [] and problems[0].kind == "unreadable_file"
    assert problems[0].file == "notes.xlsx"


def test_reading_changes_nothing_on_disk(tmp_path):
    path = tmp_path / "清单.xlsx"
    write_checklist(_sample_rows(), path, title="t", plan_label="p")
    before = (path.read_bytes(), sorted(p.name for p in tmp_path.iterdir()))
    read_checklist(path, known_units=UNITS)
    assert (path.read_bytes(), sorted(p.name for p in tmp_path.iterdir())) == before


@pytest.mark.parametrize(
    "value,expected",
    [
        ("2025-12-31", date(2025, 12, 31)),
        ("2025/6/1", date(2025, 6, 1)),
        ("2025.12.31", date(2025, 12, 31)),
        ("2025年12月31日", date(2025, 12, 31)),
        ("2025年2月", date(2025, 2, 28)),
        ("2024-02", date(2024, 2, 29)),
        ("2025年6月底前", date(2025, 6, 30)),
        ("2025年底", date(2025, 12, 31)),
        ("２０２５年末前完成", date(2025, 12, 31)),
        ("2025", date(2025, 12, 31)),
        ("2025年上半年", date(2025, 6, 30)),
        ("2025年下半年", date(2025, 12, 31)),
        ("2025年三季度", date(2025, 9, 30)),
        ("2025q1", date(2025, 3, 31)),
        ("2024—2026年", date(2026, 12, 31)),
        ("2024-2026", date(2026, 12, 31)),
        (45657, date(2024, 12, 31)),
        (datetime(2025, 3, 1, 9, 30), date(2025, 3, 1)),
    ],
)
def test_parse_deadline_forms(value, expected):
    assert parse_deadline(value) == (expected, "")


@pytest.mark.parametrize("phrase", STANDING_DEADLINE_PHRASES)
def test_standing_phrases_mean_no_deadline(phrase):
    assert parse_deadline(f" {phrase} ") == (None, phrase)


@pytest.mark.parametrize(
    "value",
    ["2025-02-30", "2025年13月", "年底", "尽快", "按国家部署", True, 2025.5, 1899, "1949-12-31"],
)
def test_parse_deadline_rejects(value):
    with pytest.raises(ValueError):
        parse_deadline(value)


@settings(max_examples=50, deadline=None)
@given(st.dates(date(1950, 1, 1), date(2200, 12, 31)))
def test_parse_deadline_reads_every_written_date(day):
    for text in (
        day.isoformat(),
        f"{day.year}年{day.month}月{day.day}日",
        day.strftime("%Y/%m/%d"),
    ):
        assert parse_deadline(text) == (day, "")


def test_line_ends_and_control_characters_are_normalised():
    rows = [ChecklistRow("1", "甲\r\n乙\r丙\x01丁", progress="\x0b")]
    got, problems = read_checklist(_export(rows), known_units=[])
    assert problems == []
    assert (got[0].title, got[0].progress) == ("甲\n乙\n丙丁", "")


def test_sheet_named_checklist_is_preferred_else_the_first(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "封面"
    book.active.append(["南京市"])
    book.create_sheet("责任清单").append(HEADERS)
    book["责任清单"].append(_row())
    book.save(tmp_path / "a.xlsx")
    rows, problems = read_checklist(tmp_path / "a.xlsx", known_units=UNITS)
    assert problems == [] and [r.title for r in rows] == ["任务甲"]

    path = _handmade(tmp_path, [_row(deadline="下个月")], sheet="Sheet1", name="b.xlsx")
    _, problems = read_checklist(path, known_units=UNITS)
    assert (problems[0].sheet, problems[0].row) == ("Sheet1", 2)

"""Write the responsibility checklist (责任清单) that offices circulate, as .xlsx.

Layout, which ``yrdplan.ingest.checklist_xlsx.read_checklist`` reads back unchanged:

* sheet ``责任清单``, first in the workbook; row 1 is exactly the headers
  序号, 任务, 牵头单位, 配合单位, 完成时限, 阶段目标, 进展情况, 状态 (issue 4), then one row per
  task and nothing else, so a spreadsheet filter or a script sees a plain table;
* two hidden columns after 状态: 任务编号 (the task's key, to match rows back to tasks) and
  所属部分 (the plan headings above the task, as a JSON list, so the plan's grouping survives
  without grouping rows that would break "one row per task");
* frozen header and 序号/任务 columns, wrapped text, an autofilter, a drop-down list on 状态,
  and A4 landscape printing with the header repeated on every page;
* a second sheet ``说明`` with the title, the plan, the export date and how to fill it in.

Cell text is written as text, never as a formula or number, so a task title that begins with
"=" or a 序号 like "1.10" comes back as written.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from datetime import date
from typing import BinaryIO

import xlsxwriter

from yrdplan.domain.tasks import (
    CHECKLIST_GROUP_HEADER,
    CHECKLIST_HEADERS,
    CHECKLIST_KEY_HEADER,
    STANDING_DEADLINE_PHRASES,
    TASK_STATUS_LABELS_ZH,
    ChecklistRow,
)

CHECKLIST_SHEET = "责任清单"
NOTES_SHEET = "说明"
#: Separator between supporting units in the 配合单位 cell (the official enumeration comma).
UNIT_SEPARATOR = "、"

# Widths in Excel character units, tuned for Chinese text (one CJK character ≈ 2 units).
_WIDTHS = (8, 48, 18, 28, 13, 36, 36, 11)
_HIDDEN_WIDTH = 16
_ALL_HEADERS = (*CHECKLIST_HEADERS, CHECKLIST_KEY_HEADER, CHECKLIST_GROUP_HEADER)
# Excel refuses longer cell text (and XlsxWriter would silently truncate it).
_MAX_CELL_CHARS = 32_767
# Rows below the last task that still get the 状态 drop-down, for rows users add by hand.
_SPARE_ROWS = 200
# C0 controls other than tab and newline (and U+FFFE/FFFF) cannot be kept portably in .xlsx:
# they are stored as _xHHHH_ escapes that readers disagree about, so they are dropped.
_UNPORTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _cell_text(text: str, row: int, column: str) -> str:
    """Normalise line ends, drop unportable characters and enforce Excel's length limit."""
    cleaned = _UNPORTABLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    if len(cleaned) > _MAX_CELL_CHARS:
        raise ValueError(
            f"row {row}, column {column}: {len(cleaned)} characters is more than an Excel "
            f"cell holds ({_MAX_CELL_CHARS})"
        )
    return cleaned


def _formats(book: xlsxwriter.Workbook) -> dict[str, object]:
    base = {"font_name": "等线", "font_size": 10.5, "border": 1, "valign": "top"}
    return {
        "header": book.add_format(
            {
                **base,
                "bold": True,
                "bg_color": "#DDEBF7",
                "align": "center",
                "valign": "vcenter",
                "text_wrap": True,
            }
        ),
        "text": book.add_format({**base, "text_wrap": True}),
        "center": book.add_format({**base, "align": "center", "text_wrap": True}),
        "date": book.add_format({**base, "align": "center", "num_format": "yyyy-mm-dd"}),
        "title": book.add_format({"bold": True, "font_size": 14}),
        "note": book.add_format({"text_wrap": True, "valign": "top"}),
    }


def _row_cells(row: ChecklistRow, excel_row: int) -> list[object]:
    """The ten cell values of one task, in column order; a ``date`` stays a date."""
    deadline: object = row.deadline if row.deadline is not None else row.deadline_note
    cells = [
        row.label,
        row.title,
        row.lead_unit,
        UNIT_SEPARATOR.join(row.supporting_units),
        deadline,
        row.milestones,
        row.progress,
        TASK_STATUS_LABELS_ZH[row.status] if row.status else "",
        row.task_key or "",
        json.dumps(list(row.group_path), ensure_ascii=False) if row.group_path else "",
    ]
    return [
        value if isinstance(value, date) else _cell_text(str(value), excel_row, header)
        for value, header in zip(cells, _ALL_HEADERS, strict=True)
    ]


def _write_tasks(sheet, cells: list[list[object]], fmt: dict[str, object]) -> None:
    for col, header in enumerate(_ALL_HEADERS):
        sheet.write_string(0, col, header, fmt["header"])
    centered = {CHECKLIST_HEADERS.index(h) for h in ("序号", "完成时限", "状态")}
    for i, values in enumerate(cells, start=1):
        for col, value in enumerate(values):
            if isinstance(value, date):
                sheet.write_datetime(i, col, value, fmt["date"])
            else:
                sheet.write_string(i, col, value, fmt["center" if col in centered else "text"])


def _lay_out(sheet, n_rows: int) -> None:
    for col, width in enumerate(_WIDTHS):
        sheet.set_column(col, col, width)
    hidden = len(CHECKLIST_HEADERS)
    sheet.set_column(hidden, hidden + 1, _HIDDEN_WIDTH, None, {"hidden": True})
    sheet.set_row(0, 24)
    sheet.freeze_panes(1, 2)
    last_col = len(CHECKLIST_HEADERS) - 1
    sheet.autofilter(0, 0, max(n_rows, 1), last_col)
    sheet.data_validation(
        1,
        last_col,
        n_rows + _SPARE_ROWS,
        last_col,
        {
            "validate": "list",
            "source": list(TASK_STATUS_LABELS_ZH.values()),
            "ignore_blank": True,
            "error_title": "状态",
            "error_message": "请从下拉列表中选择状态。",
        },
    )
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.repeat_rows(0)
    sheet.fit_to_pages(1, 0)


def _write_notes(sheet, fmt, *, title: str, plan_label: str, n_rows: int, today: date) -> None:
    statuses = "、".join(TASK_STATUS_LABELS_ZH.values())
    standing = "、".join(STANDING_DEADLINE_PHRASES[:2])
    lines = [
        ("标题", title),
        ("规划", plan_label),
        ("导出日期", today.isoformat()),
        ("任务数", str(n_rows)),
        ("", ""),
        ("填写说明", ""),
        ("序号", "规划中的编号，原样保留。"),
        ("牵头单位", "每项任务填写一个牵头单位，使用单位全称。"),
        ("配合单位", f"可填写多个，用“{UNIT_SEPARATOR}”分隔。"),
        (
            "完成时限",
            f"填写日期（如 2025-12-31）、年月（2025年12月，按月末计）或“2025年底”；"
            f"长期任务填写“{standing}”，不设完成时限。",
        ),
        ("状态", f"从下拉列表选择：{statuses}。系统按规则计算状态，导入时填写的状态作为单位报送。"),
        (
            f"{CHECKLIST_KEY_HEADER}、{CHECKLIST_GROUP_HEADER}",
            "隐藏列，用于导入时与系统中的任务对应，请勿修改或删除；新增任务行留空。",
        ),
    ]
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, 1, 80)
    sheet.write_string(0, 0, title, fmt["title"])
    for i, (key, text) in enumerate(lines, start=2):
        sheet.write_string(i, 0, key, fmt["note"])
        sheet.write_string(i, 1, text, fmt["note"])


def write_checklist(
    rows: Sequence[ChecklistRow],
    path_or_buffer: str | os.PathLike[str] | BinaryIO,
    *,
    title: str,
    plan_label: str,
    today: date | None = None,
) -> None:
    """Write ``rows`` as a checklist workbook.

    Parameters
    ----------
    rows
        One per task, in the plan's order.
    path_or_buffer
        A file path, or a binary file-like object (e.g. ``io.BytesIO`` for an HTTP response).
    title
        E.g. ``"南京市推动长三角一体化发展实施方案 重点任务责任清单"``; goes on the 说明 sheet
        and into the workbook properties, never above the header row.
    plan_label
        The plan's name (and version) the rows come from.
    today
        The export date shown on the 说明 sheet; default today. Pass it for reproducible files.

    Raises
    ------
    ValueError
        When a text is longer than an Excel cell holds (the row and column are named).
    """
    # Every cell is checked before the workbook is created, so a bad row leaves no half file.
    cells = [_row_cells(row, excel_row) for excel_row, row in enumerate(rows, start=2)]
    target = (
        os.fspath(path_or_buffer) if isinstance(path_or_buffer, os.PathLike) else path_or_buffer
    )
    # in_memory avoids temporary files; strings_to_* off because every value here is text.
    book = xlsxwriter.Workbook(
        target,
        {
            "in_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    try:
        fmt = _formats(book)
        book.set_properties({"title": title, "subject": plan_label, "comments": "yrdplan 责任清单"})
        tasks = book.add_worksheet(CHECKLIST_SHEET)
        _write_tasks(tasks, cells, fmt)
        _lay_out(tasks, len(rows))
        notes = book.add_worksheet(NOTES_SHEET)
        _write_notes(
            notes,
            fmt,
            title=title,
            plan_label=plan_label,
            n_rows=len(rows),
            today=today or date.today(),
        )
        tasks.activate()
    finally:
        book.close()

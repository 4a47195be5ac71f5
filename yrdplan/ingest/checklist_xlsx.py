"""Read a filled-in responsibility checklist (责任清单) back from .xlsx.

The file is the one ``yrdplan.reports.checklist_xlsx.write_checklist`` writes, after an office
or unit has edited it in Excel or WPS. Reading never writes anything: it returns the rows it
could read and a list of :class:`~yrdplan.domain.problems.Problem`; the store applies the rows
in one transaction, or none of them while any problem is an error.

What is accepted
----------------
* **Sheet:** the one named ``责任清单``, else the first sheet.
* **Headers:** row 1 must hold all eight of 序号, 任务, 牵头单位, 配合单位, 完成时限, 阶段目标,
  进展情况, 状态 (spaces, full-width forms and a few synonyms such as 完成时间 are tolerated; the
  order may differ). A missing column is an error rather than "empty": reading a file without
  进展情况 must not erase everyone's progress. Headers found lower down are reported as such.
* **Units:** names are matched against ``known_units`` ignoring spaces and full/half width.
  A common abbreviation that points to exactly one known unit (市发改委 → 市发展改革委) is
  accepted with a warning; anything else unknown is an error with "did you mean" suggestions.
  Supporting units may be separated by 、，,；; / or line breaks.
* **Deadlines** (:func:`parse_deadline`): an Excel date; ``2025-12-31``, ``2025/12/31``,
  ``2025.12.31``, ``2025年12月31日``; a month (``2025-12``, ``2025年12月``, ``2025年6月底``) or
  year (``2025``, ``2025年``, ``2025年底``/``年末``), read as its last day; ``2025年上半年`` /
  ``年中`` (June 30), ``下半年`` (Dec 31), ``2025年三季度`` / ``2025Q3`` (quarter end); a range
  ``2024—2026年`` (its end); trailing 前/之前/以前/完成 are ignored. A standing-task phrase
  (长期坚持, 持续推进, …) means **no deadline** and is kept as ``deadline_note``.
  Years outside ``DEADLINE_YEARS`` (1950–2200) are errors: they are typing slips.
* **Status:** a label from the drop-down, a code, or a common synonym (推进中, 逾期, 暂停).

Rows with an error are left out of the returned list; blank rows are skipped.
"""

from __future__ import annotations

import calendar
import difflib
import json
import re
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import chain, islice

from openpyxl.utils import get_column_letter

from yrdplan.domain.problems import Problem, Reading, Severity
from yrdplan.domain.tasks import (
    CHECKLIST_GROUP_HEADER,
    CHECKLIST_HEADERS,
    CHECKLIST_KEY_HEADER,
    DEADLINE_YEARS,
    STANDING_DEADLINE_PHRASES,
    TASK_STATUS_LABELS_ZH,
    ChecklistRow,
    parse_task_status,
)
from yrdplan.errors import InputError
from yrdplan.ingest.source import Readable, as_source
from yrdplan.ingest.tables import ExcelReader

CHECKLIST_SHEET = "责任清单"
# How far down to look for a header row that is not where it must be, to say where it is.
_HEADER_SEARCH_ROWS = 10

_HEADER_SYNONYMS: dict[str, str] = {
    "编号": "序号",
    "任务名称": "任务",
    "工作任务": "任务",
    "重点任务": "任务",
    "主要任务": "任务",
    "任务内容": "任务",
    "牵头部门": "牵头单位",
    "责任单位": "牵头单位",
    "配合部门": "配合单位",
    "协同单位": "配合单位",
    "参与单位": "配合单位",
    "完成时间": "完成时限",
    "时间节点": "完成时限",
    "时限要求": "完成时限",
    "阶段性目标": "阶段目标",
    "进展": "进展情况",
    "工作进展": "进展情况",
    "推进情况": "进展情况",
    "任务状态": "状态",
    "完成状态": "状态",
}
_KNOWN_HEADERS = (*CHECKLIST_HEADERS, CHECKLIST_KEY_HEADER, CHECKLIST_GROUP_HEADER)

# Full name fragment -> abbreviation, longest first. Both a cell and each known unit are reduced
# with these, so "市发改委", "市发展改革委" and "市发展和改革委员会" share one key.
_ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    ("发展和改革委员会", "发改委"),
    ("发展改革委员会", "发改委"),
    ("发展改革委", "发改委"),
    ("经济和信息化委员会", "经信委"),
    ("经济和信息化", "经信"),
    ("工业和信息化", "工信"),
    ("住房和城乡建设", "住建"),
    ("住房城乡建设", "住建"),
    ("人力资源和社会保障", "人社"),
    ("人力资源社会保障", "人社"),
    ("卫生健康委员会", "卫健委"),
    ("卫生健康委", "卫健委"),
    ("国有资产监督管理委员会", "国资委"),
    ("地方金融监督管理", "地方金融监管"),
    ("市场监督管理", "市场监管"),
    ("文化和旅游", "文旅"),
    ("交通运输", "交通"),
    ("科学技术", "科技"),
    ("应急管理", "应急"),
    ("委员会", "委"),
    ("办公室", "办"),
)

_UNIT_SEPARATORS = re.compile(r"[、，,；;／/\n]+")
# Excel writes C0 control characters as _xHHHH_ escapes; openpyxl leaves them in the text.
_CONTROL_ESCAPE = re.compile(r"_x(00[01][0-9A-Fa-f])_")
_UNPORTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

_DEADLINE_HELP = (
    "write a date such as 2025-12-31, a month such as 2025年12月, 2025年底, "
    "or 长期坚持 for a standing task"
)
# Excel's day 0 is 1899-12-30 (it counts the non-existent 1900-02-29).
_EXCEL_EPOCH = date(1899, 12, 30)
_FIRST_YEAR, _LAST_YEAR = DEADLINE_YEARS
_FIRST_SERIAL = (date(_FIRST_YEAR, 1, 1) - _EXCEL_EPOCH).days
_LAST_SERIAL = (date(_LAST_YEAR, 12, 31) - _EXCEL_EPOCH).days
_QUARTERS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


# --- deadlines ------------------------------------------------------------------------------


def _month_end(year: int, month: int) -> date:
    if not 1 <= month <= 12:
        raise ValueError(f"there is no month {month}")
    return date(year, month, calendar.monthrange(year, month)[1])


def _deadline_from_text(text: str) -> date:
    """Parse a normalised, non-empty deadline text; raise ``ValueError`` when unreadable."""
    text = re.sub(r"(之前|以前|前|完成|为止|止)+$", "", text)
    if m := re.fullmatch(r"(\d{4})(?:年(?:\d{1,2}月)?)?[~—–―－至到-](\d{4}\D*)", text):
        return _deadline_from_text(m.group(2))  # a range is due at its end
    if m := re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", text):
        return date(int(m[1]), int(m[2]), int(m[3]))
    if m := re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text):
        return date(int(m[1]), int(m[2]), int(m[3]))
    if m := re.fullmatch(r"(\d{4})[-/.年](\d{1,2})月?(?:底|末|份|份底)?", text):
        return _month_end(int(m[1]), int(m[2]))
    if m := re.fullmatch(r"(\d{4})年?(?:底|末|年底|年末|内|年内|全年)?", text):
        return date(int(m[1]), 12, 31)
    if m := re.fullmatch(r"(\d{4})年?(上半年|年中|中|下半年)", text):
        return date(int(m[1]), 12, 31) if m[2] == "下半年" else date(int(m[1]), 6, 30)
    if m := re.fullmatch(
        r"(\d{4})年?第?([一二三四1-4])季度(?:末|底)?|(\d{4})-?Q([1-4])", text, re.I
    ):
        year, quarter = (m[1], m[2]) if m[1] else (m[3], m[4])
        return _month_end(int(year), 3 * _QUARTERS[quarter])
    raise ValueError(_DEADLINE_HELP)


def parse_deadline(value: object) -> tuple[date | None, str]:
    """Read a 完成时限 cell: return ``(deadline, note)``.

    ``note`` is the standing-task phrase (e.g. ``"长期坚持"``) when the cell says there is no
    deadline, else ``""``. Months, quarters and years mean their last day. Raises
    ``ValueError`` with a hint when the value cannot be read.

    Examples
    --------
    >>> parse_deadline("2025年底前")
    (datetime.date(2025, 12, 31), '')
    >>> parse_deadline("2026年6月")
    (datetime.date(2026, 6, 30), '')
    >>> parse_deadline("长期坚持")
    (None, '长期坚持')
    >>> parse_deadline(45657)  # an Excel serial day number
    (datetime.date(2024, 12, 31), '')
    """
    if value is None:
        return None, ""
    if isinstance(value, datetime):
        return value.date(), ""
    if isinstance(value, date):
        return value, ""
    if isinstance(value, bool):
        raise ValueError(_DEADLINE_HELP)
    if isinstance(value, int | float):
        if float(value).is_integer() and _FIRST_YEAR <= value <= _LAST_YEAR:
            return date(int(value), 12, 31), ""  # a bare year typed as a number
        # An Excel serial day number whose cell lost its date format. Only DEADLINE_YEARS are
        # accepted, so that a stray number such as 2025.5 is an error, not a date in 1905.
        if _FIRST_SERIAL <= value <= _LAST_SERIAL:
            return _EXCEL_EPOCH + timedelta(days=int(value)), ""
        raise ValueError(_DEADLINE_HELP)
    text = "".join(unicodedata.normalize("NFKC", str(value)).split())
    if not text:
        return None, ""
    if text in STANDING_DEADLINE_PHRASES:
        return None, text
    deadline = _deadline_from_text(text)
    if not _FIRST_YEAR <= deadline.year <= _LAST_YEAR:
        raise ValueError(
            f"year {deadline.year} is not a plausible deadline ({_FIRST_YEAR}-{_LAST_YEAR})"
        )
    return deadline, ""


# --- units ----------------------------------------------------------------------------------


_MILESTONE_LINE = re.compile(r"^\s*(?P<when>[^：:\n]{4,24}?)\s*[：:]\s*(?P<title>\S.*)$")


def split_milestone_line(line: str) -> tuple[str, date | None]:
    """``"2025-12-31：建成通车"`` -> ``("建成通车", date(2025, 12, 31))``; no date -> the line.

    >>> split_milestone_line("2022年底：完成规划编制")
    ('完成规划编制', datetime.date(2022, 12, 31))
    >>> split_milestone_line("完成规划编制")
    ('完成规划编制', None)
    """
    match = _MILESTONE_LINE.match(line)
    if match:
        try:
            due, note = parse_deadline(match["when"])
        except ValueError:
            due, note = None, ""
        if due is not None and not note:
            return match["title"].strip(), due
    return line.strip(), None


def _fold(name: str) -> str:
    """Ignore width, case and spaces: ``" 省 发展改革委 "`` equals ``"省发展改革委"``."""
    return "".join(unicodedata.normalize("NFKC", name).casefold().split())


def _abbreviate(name: str) -> str:
    key = _fold(name)
    for full, short in _ABBREVIATIONS:
        key = key.replace(full, short)
    return key


@dataclass(frozen=True, slots=True)
class UnitMatch:
    """The outcome of matching one name: ``unit`` is the known name, or ``None`` if unknown."""

    unit: str | None
    by_abbreviation: bool = False
    suggestions: tuple[str, ...] = ()


class UnitMatcher:
    """Match unit names as written against the registry's names.

    Parameters
    ----------
    known_units
        The names of the units that exist; ``None`` accepts every name as written.
    """

    def __init__(self, known_units: Sequence[str] | None) -> None:
        self.check = known_units is not None
        known = list(dict.fromkeys(known_units or ()))
        self._by_fold = {_fold(k): k for k in known}
        self._by_key: dict[str, list[str]] = {}
        for k in known:
            self._by_key.setdefault(_abbreviate(k), []).append(k)

    def match(self, name: str) -> UnitMatch:
        """Exact (up to width and spaces), then a unique abbreviation, else suggestions."""
        if not self.check:
            return UnitMatch(name)
        if (exact := self._by_fold.get(_fold(name))) is not None:
            return UnitMatch(exact)
        same_key = self._by_key.get(_abbreviate(name), [])
        if len(same_key) == 1:
            return UnitMatch(same_key[0], by_abbreviation=True)
        return UnitMatch(
            None, suggestions=tuple(dict.fromkeys([*same_key, *self.suggest(name)]))[:3]
        )

    def suggest(self, name: str, n: int = 3) -> list[str]:
        """Known names closest to ``name``, comparing both as written and abbreviated."""
        by_fold = difflib.get_close_matches(_fold(name), list(self._by_fold), n=n, cutoff=0.6)
        by_key = difflib.get_close_matches(_abbreviate(name), list(self._by_key), n=n, cutoff=0.6)
        found = [self._by_fold[f] for f in by_fold]
        found += [unit for key in by_key for unit in self._by_key[key]]
        return list(dict.fromkeys(found))[:n]


def _did_you_mean(suggestions: Sequence[str]) -> str:
    if not suggestions:
        return ""
    return "; did you mean " + " or ".join(f"“{s}”" for s in suggestions) + "?"


# --- cells ----------------------------------------------------------------------------------


def _text(value: object) -> str:
    """A cell as stripped text: numbers without a spurious ``.0``, escapes undone."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    text = _CONTROL_ESCAPE.sub(lambda m: chr(int(m[1], 16)), str(value))
    text = _UNPORTABLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text.strip()


def _header_name(value: object) -> str:
    folded = unicodedata.normalize("NFKC", _text(value))
    folded = "".join(folded.split()).strip("*＊")
    return _HEADER_SYNONYMS.get(folded, folded)


@dataclass
class _Reader:
    """State of one read: where we are, the unit matcher and the problems found so far."""

    file: str | None
    sheet: str
    units: UnitMatcher
    problems: list[Problem] = field(default_factory=list)
    keys_seen: dict[str, int] = field(default_factory=dict)

    def report(
        self,
        kind: str,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
        severity: Severity = "error",
    ) -> None:
        self.problems.append(
            Problem(
                kind=kind,
                message=message,
                severity=severity,
                file=self.file,
                sheet=self.sheet,
                row=row,
                column=column,
                value=None if value is None else str(value),
            )
        )


def _find_columns(header_row: Sequence[object], reader: _Reader) -> dict[str, int] | None:
    """Map each known header to its column index, or report row 1 as not a header row."""
    columns: dict[str, int] = {}
    extra: list[tuple[int, str]] = []
    for index, cell in enumerate(header_row):
        name = _header_name(cell)
        if name in _KNOWN_HEADERS and name not in columns:
            columns[name] = index
        elif name:
            extra.append((index, name))
    missing = [h for h in CHECKLIST_HEADERS if h not in columns]
    if missing:
        found = "、".join(_text(c) for c in header_row if _text(c)) or "nothing"
        reader.report(
            "header_missing",
            f"row 1 must hold the headers {'、'.join(CHECKLIST_HEADERS)}; missing "
            f"{'、'.join(missing)} (row 1 has: {found})",
            row=1,
            value=found,
        )
        return None
    for index, name in extra:
        letter = get_column_letter(index + 1)
        if name in columns:
            reader.report(
                "duplicate_column",
                f"column {letter} repeats {name} (first in column "
                f"{get_column_letter(columns[name] + 1)})",
                row=1,
                column=name,
                value=name,
            )
        else:
            reader.report(
                "unknown_column",
                f"column {letter} “{name}” is not a checklist column and is ignored",
                row=1,
                column=name,
                value=name,
                severity="warning",
            )
    return columns


def _looks_like_header(row: Sequence[object]) -> bool:
    names = {_header_name(c) for c in row}
    return sum(h in names for h in CHECKLIST_HEADERS) >= len(CHECKLIST_HEADERS) // 2


def _read_units(cell: str, reader: _Reader, row: int, column: str) -> list[str]:
    """Split a unit cell into known names, reporting unknown ones; keeps the order written."""
    if not cell:
        return []
    whole = reader.units.match(cell)
    if reader.units.check and whole.unit is not None:
        pieces = [cell]
    else:
        pieces = [p.strip() for p in _UNIT_SEPARATORS.split(cell) if p.strip()]
        if reader.units.check:
            # "省发展改革委 省财政厅": space-separated names, when the piece as a whole is unknown
            pieces = [
                part
                for piece in pieces
                for part in ([piece] if reader.units.match(piece).unit else piece.split())
            ]
    names = []
    for piece in pieces:
        found = reader.units.match(piece)
        if found.unit is None:
            reader.report(
                "unknown_unit",
                f"unknown unit “{piece}”{_did_you_mean(found.suggestions)}",
                row=row,
                column=column,
                value=piece,
            )
            continue
        if found.by_abbreviation:
            reader.report(
                "unit_abbreviation",
                f"read “{piece}” as “{found.unit}”",
                row=row,
                column=column,
                value=piece,
                severity="warning",
            )
        names.append(found.unit)
    return names


def _read_lead(cell: str, reader: _Reader, row: int) -> str:
    names = _read_units(cell, reader, row, "牵头单位")
    if len(names) > 1:
        reader.report(
            "several_lead_units",
            f"a task has one lead unit; move {'、'.join(names[1:])} to 配合单位",
            row=row,
            column="牵头单位",
            value=cell,
        )
    return names[0] if names else ""


def _read_supporting(cell: str, lead: str, reader: _Reader, row: int) -> list[str]:
    names = []
    for name in _read_units(cell, reader, row, "配合单位"):
        if name == lead or name in names:
            why = "is the lead unit" if name == lead else "is listed twice"
            reader.report(
                "duplicate_unit",
                f"“{name}” {why}; listed once",
                row=row,
                column="配合单位",
                value=name,
                severity="warning",
            )
            continue
        names.append(name)
    return names


def _read_group_path(cell: str, reader: _Reader, row: int) -> tuple[str, ...]:
    if not cell:
        return ()
    if not cell.startswith("["):
        return tuple(line.strip() for line in cell.splitlines() if line.strip())
    try:
        path = json.loads(cell)
    except json.JSONDecodeError:
        path = None
    if not (isinstance(path, list) and all(isinstance(p, str) for p in path)):
        reader.report(
            "bad_group_path",
            f"hidden column {CHECKLIST_GROUP_HEADER} was changed and cannot be read; "
            "restore it from the exported file or clear it",
            row=row,
            column=CHECKLIST_GROUP_HEADER,
            value=cell,
        )
        return ()
    return tuple(path)


def _read_status(cell: str, reader: _Reader, row: int) -> str | None:
    if not cell:
        return None
    try:
        return parse_task_status(cell)
    except ValueError:
        labels = list(TASK_STATUS_LABELS_ZH.values())
        reader.report(
            "unknown_status",
            f"unknown status; use one of {'、'.join(labels)}"
            f"{_did_you_mean(difflib.get_close_matches(cell, labels, n=2, cutoff=0.3))}",
            row=row,
            column="状态",
            value=cell,
        )
        return None


def _read_task_key(cell: str, reader: _Reader, row: int) -> str | None:
    if not cell:
        return None
    if cell in reader.keys_seen:
        reader.report(
            "duplicate_task_key",
            f"task {cell} appears twice (also row {reader.keys_seen[cell]}); "
            "a copied row must have its hidden 任务编号 cleared",
            row=row,
            column=CHECKLIST_KEY_HEADER,
            value=cell,
        )
    reader.keys_seen.setdefault(cell, row)
    return cell


def _read_row(
    values: Sequence[object], columns: dict[str, int], reader: _Reader, row: int
) -> ChecklistRow | None:
    """One data row as a ChecklistRow, or ``None`` when it has an error (reported)."""

    def raw(header: str) -> object:
        index = columns.get(header)
        return values[index] if index is not None and index < len(values) else None

    errors_before = sum(p.severity == "error" for p in reader.problems)
    title = _text(raw("任务"))
    if not title:
        reader.report("missing_title", "任务 is empty", row=row, column="任务", value="")
    try:
        deadline, note = parse_deadline(raw("完成时限"))
    except ValueError as err:
        deadline, note = None, ""
        reader.report(
            "bad_date",
            f"cannot read a deadline: {err} (cell "
            f"{get_column_letter(columns['完成时限'] + 1)}{row})",
            row=row,
            column="完成时限",
            value=_text(raw("完成时限")),
        )
    lead = _read_lead(_text(raw("牵头单位")), reader, row)
    supporting = _read_supporting(_text(raw("配合单位")), lead, reader, row)
    status = _read_status(_text(raw("状态")), reader, row)
    key = _read_task_key(_text(raw(CHECKLIST_KEY_HEADER)), reader, row)
    group_path = _read_group_path(_text(raw(CHECKLIST_GROUP_HEADER)), reader, row)
    if sum(p.severity == "error" for p in reader.problems) > errors_before:
        return None
    return ChecklistRow(
        label=_text(raw("序号")),
        title=title,
        lead_unit=lead,
        supporting_units=supporting,
        deadline=deadline,
        deadline_note=note,
        milestones=_text(raw("阶段目标")),
        progress=_text(raw("进展情况")),
        status=status,
        task_key=key,
        group_path=group_path,
        row=row,
    )


def _read_sheet(rows: Iterator[Sequence[object]], reader: _Reader) -> list[ChecklistRow]:
    columns = _find_columns(list(next(rows, [])), reader)
    if columns is None:
        # Often a title row sits above the headers; say so instead of only "missing".
        for number, values in enumerate(islice(rows, _HEADER_SEARCH_ROWS), start=2):
            if _looks_like_header(values):
                reader.report(
                    "header_row",
                    f"the headers must be in row 1 but are in row {number}; delete the "
                    f"{number - 1} row(s) above them",
                    row=number,
                )
                break
        return []
    result = []
    for number, values in enumerate(rows, start=2):
        if not any(_text(v) for v in values):
            continue
        parsed = _read_row(values, columns, reader, number)
        if parsed is not None:
            result.append(parsed)
    return result


class ChecklistWorkbook(ExcelReader):
    """The Excel reader of the table family, opening the sheet 责任清单 (else the first)."""

    def pick_sheet(self, workbook):  # noqa: ANN001, ANN201 (openpyxl's types)
        sheet = (
            workbook[CHECKLIST_SHEET]
            if CHECKLIST_SHEET in workbook.sheetnames
            else workbook.worksheets[0]
        )
        if hasattr(sheet, "reset_dimensions"):
            # Some writers record a wrong used range; without this openpyxl would trust it.
            sheet.reset_dimensions()
        return sheet


def read_checklist(
    source: Readable, *, known_units: Sequence[str] | None, name: str | None = None
) -> Reading[ChecklistRow]:
    """Read a checklist workbook into rows and problems, writing nothing.

    Parameters
    ----------
    source
        The .xlsx file: a path, a binary file object (an upload) or a
        :class:`~yrdplan.ingest.source.Source`.
    known_units
        Names of the units in the registry. Unit names in the file must be one of these (up to
        width and spaces, or a unique abbreviation); ``None`` accepts any name as written.
    name
        The file name problems give (default the source's own).

    Returns
    -------
    Reading
        ``records``: the rows without errors, in file order, each with its Excel ``row``; unit
        names are the registry's spelling. ``problems``: errors (the store must not apply the
        file) and warnings, each naming the file, sheet, row (as Excel numbers it), column (its
        header) and the value.
    """
    found = as_source(source, name)
    workbook = ChecklistWorkbook(found)
    with closing(workbook.raw_rows()) as numbered:
        try:
            first = next(numbered, None)
        except (InputError, OSError) as err:
            why = err.__cause__ or err
            problem = Problem(
                kind="unreadable_file",
                message=f"cannot open as an .xlsx workbook: {why}",
                file=found.name,
            )
            return Reading([], [problem])
        reader = _Reader(
            file=found.name, sheet=workbook.sheet_title or "", units=UnitMatcher(known_units)
        )
        rows = chain([first] if first is not None else [], numbered)
        records = _read_sheet((cells for _, cells in rows), reader)
    return Reading(records, reader.problems)

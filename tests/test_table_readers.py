"""The table readers: encodings, formats, header aliases, title rows and row numbers."""

from __future__ import annotations

import builtins
import codecs
import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from yrdplan.errors import InputError
from yrdplan.ingest.tables import (
    INDICATOR_COLUMNS,
    OBSERVATION_COLUMNS,
    TARGET_COLUMNS,
    cell_text,
    column_letter,
    detect_encoding,
    header_key,
    is_missing,
    normalise_period,
    open_table,
    parse_number,
    period_label,
)

FIXTURES = Path(__file__).parent / "fixtures" / "tables"
CHINESE = "地区,指标,年份,数值,来源,版本\n南京市,GDP,2023,17421.4,统计年鉴,2024\n"


def _rows(table):
    return [(row.number, row.cells) for row in table.rows]


def _write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030"), ("utf-16", "utf-16")],
)
def test_csv_encodings_are_detected_and_read_alike(tmp_path, encoding, detected):
    path = tmp_path / "obs.csv"
    path.write_bytes(CHINESE.encode(encoding))
    assert detect_encoding(path) == (detected, 2)
    table = open_table(path, OBSERVATION_COLUMNS)
    assert table.columns == [
        "region_name",
        "indicator_name",
        "period",
        "value",
        "source",
        "vintage",
    ]
    assert table.labels[0] == "地区"  # not "\ufeff地区": the BOM is not part of the header
    assert _rows(table) == [(2, ("南京市", "GDP", "2023", "17421.4", "统计年鉴", "2024"))]


def test_gb18030_fixture_is_not_utf8():
    raw = (FIXTURES / "observations_long_gb18030.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert detect_encoding(FIXTURES / "observations_long_gb18030.csv")[0] == "gb18030"


def test_undecodable_csv_is_an_input_error_naming_the_file(tmp_path):
    path = tmp_path / "broken.csv"
    path.write_bytes(b"region,value\n\xff\xfe\xfd,1\n")
    with pytest.raises(InputError, match=r"broken\.csv.*neither UTF-8 nor GB18030"):
        open_table(path, OBSERVATION_COLUMNS)


def test_title_rows_are_skipped_and_row_numbers_stay_those_of_the_sheet(tmp_path):
    path = tmp_path / "t.csv"
    text = '表1 主要指标\n\n地区,指标,年份,数值\n南京,GDP,2023,1\n,,,\n苏州,GDP,"20\n23",2\n无锡,GDP,2023,3\n'
    path.write_text(text, encoding="utf-8")
    table = open_table(path, OBSERVATION_COLUMNS)
    assert table.header_row == 3
    numbers = [number for number, _ in _rows(table)]
    # Row 5 is blank; the quoted line break keeps row 6 one row, as Excel shows it.
    assert numbers == [4, 6, 7]
    info = [p for p in table.problems if p.kind == "title_rows_skipped"]
    assert info and info[0].severity == "info" and info[0].row == 1


def test_header_aliases_map_to_canonical_names():
    labels = [
        "行政区划代码",
        "Region",
        "指标代码",
        "Indicator",
        "时期",
        "Value (亿元)",
        "数据来源",
        "VINTAGE",
    ]
    from yrdplan.ingest.tables import canonical_columns

    assert canonical_columns(labels, OBSERVATION_COLUMNS) == [
        "region_code",
        "region_name",
        "indicator_code",
        "indicator_name",
        "period",
        "value",
        "source",
        "vintage",
    ]
    # "year" is a period in observations but its own column in targets.
    assert canonical_columns(["year", "目标值", "上限"], TARGET_COLUMNS) == [
        "year",
        "value",
        "value_high",
    ]
    assert canonical_columns(["指标代码", "指标名称", "方向"], INDICATOR_COLUMNS) == [
        "code",
        "name",
        "direction",
    ]


def test_duplicate_canonical_columns_are_an_error_at_the_header(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("地区,数值,值\n南京,1,2\n", encoding="utf-8")
    table = open_table(path, OBSERVATION_COLUMNS)
    (problem,) = table.problems
    assert (problem.kind, problem.row, problem.column, problem.severity) == (
        "duplicate_column",
        1,
        "值",
        "error",
    )


def test_cells_beyond_the_header_are_a_warning_with_their_column(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("地区,数值\n南京,1,oops\n苏州\n", encoding="utf-8")
    table = open_table(path, OBSERVATION_COLUMNS)
    assert _rows(table) == [(2, ("南京", "1")), (3, ("苏州", None))]
    (problem,) = table.problems
    assert (problem.row, problem.column, problem.value, problem.severity) == (
        2,
        "C",
        "oops",
        "warning",
    )


def test_xlsx_first_sheet_named_sheet_and_row_numbers(tmp_path):
    path = _write_xlsx(
        tmp_path / "obs.xlsx",
        {
            "封面": [["长三角指标"], [], ["地区", "年份", "数值"], ["南京", 2023, 17421.4]],
            "数据": [[None], ["region_code", "period", "value"], [320100, 2024.0, 5]],
        },
    )
    first = open_table(path, OBSERVATION_COLUMNS)
    assert (first.sheet, first.header_row) == ("封面", 3)
    assert _rows(first) == [(4, ("南京", 2023, 17421.4))]
    named = open_table(path, OBSERVATION_COLUMNS, sheet="数据")
    assert (named.sheet, named.header_row, named.columns) == (
        "数据",
        2,
        ["region_code", "period", "value"],
    )
    assert _rows(named) == [(3, (320100, 2024, 5))]


def test_missing_sheet_names_the_file_and_the_sheets(tmp_path):
    path = _write_xlsx(tmp_path / "obs.xlsx", {"数据": [["地区"]]})
    with pytest.raises(InputError, match=r"obs\.xlsx: no sheet named '汇总' \(sheets: 数据\)"):
        open_table(path, OBSERVATION_COLUMNS, sheet="汇总")


def test_parquet_names_are_row_one(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "obs.parquet"
    pq.write_table(
        pa.table({"地区代码": ["320100", "320500"], "年份": [2023, 2023], "数值": [1.5, None]}),
        path,
    )
    table = open_table(path, OBSERVATION_COLUMNS)
    assert (table.header_row, table.columns, table.size_hint) == (
        1,
        ["region_code", "period", "value"],
        3,
    )
    assert _rows(table) == [(2, ("320100", 2023, 1.5)), (3, ("320500", 2023, None))]


def test_missing_pyarrow_keeps_the_original_error(tmp_path, monkeypatch):
    path = tmp_path / "obs.parquet"
    path.write_bytes(b"PAR1")
    real_import = builtins.__import__

    def no_pyarrow(name, *args, **kwargs):
        if name.startswith("pyarrow"):
            raise ImportError("No module named 'pyarrow'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    with pytest.raises(InputError, match="needs pyarrow") as caught:
        open_table(path, OBSERVATION_COLUMNS)
    assert isinstance(caught.value.__cause__, ImportError)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("obs.json", r"obs\.json: unsupported file type '\.json'"),
        ("old.xls", r"old\.xls: unsupported file type '\.xls'.*save it as \.xlsx"),
    ],
)
def test_unsupported_extension_names_the_file(tmp_path, name, message):
    path = tmp_path / name
    path.write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        open_table(path, OBSERVATION_COLUMNS)


def test_missing_file_and_sheet_on_csv_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="nope.csv: no such file"):
        open_table(tmp_path / "nope.csv", OBSERVATION_COLUMNS)
    path = tmp_path / "a.csv"
    path.write_text("地区\n", encoding="utf-8")
    with pytest.raises(InputError, match="only Excel workbooks have sheets"):
        open_table(path, OBSERVATION_COLUMNS, sheet="x")


def test_empty_file_gives_an_empty_table(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(codecs.BOM_UTF8)
    table = open_table(path, OBSERVATION_COLUMNS)
    assert (table.header_row, table.labels, _rows(table)) == (None, [], [])


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1,234.5", 1234.5),
        ("１２", 12.0),
        (" -3 ", -3.0),
        ("1e3", 1000.0),
        (7, 7.0),
        (2.5, 2.5),
    ],
)
def test_parse_number_accepts(cell, expected):
    assert parse_number(cell) == expected


@pytest.mark.parametrize(
    "cell", ["abc", "12%", "1,23", "nan", "inf", "1_000", True, dt.date(2024, 1, 1), float("inf")]
)
def test_parse_number_rejects(cell):
    with pytest.raises(ValueError):
        parse_number(cell)


def test_parse_number_percent_modes():
    assert parse_number("12.5%", percent="keep") == 12.5
    assert parse_number("-13.5%", percent="fraction") == pytest.approx(-0.135)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2024", "2024"),
        ("2024年", "2024"),
        ("2024年度", "2024"),
        (2024, "2024"),
        (2024.0, "2024"),
        ("2024Q3", "2024Q3"),
        ("2024-q3", "2024Q3"),
        ("2024年第三季度", "2024Q3"),
        ("2024年4季度", "2024Q4"),
        ("2024年7月", "2024-07"),
        ("2024/7", "2024-07"),
        ("2024M12", "2024-12"),
        (dt.datetime(2024, 7, 1), "2024-07"),
        ("20243", "20243"),  # not a quarter: a 季 is required
    ],
)
def test_normalise_period(cell, expected):
    assert normalise_period(cell) == expected


def test_period_label_only_for_periods():
    assert [period_label(x) for x in ("2015年", "2024Q1", "GDP", "2024-13")] == [
        "2015",
        "2024Q1",
        None,
        None,
    ]


def test_small_cell_helpers():
    assert [is_missing(x) for x in ("", "—", "…", " NA ", "无", None, float("nan"), "0", 0)] == [
        True
    ] * 7 + [
        False,
        False,
    ]
    assert [column_letter(i) for i in (0, 25, 26, 27, 701)] == ["A", "Z", "AA", "AB", "ZZ"]
    assert cell_text(dt.date(2024, 7, 1)) == "2024-07-01"
    assert header_key("数值【万元】") == "数值"


def _copies(tmp_path: Path) -> dict[str, Path]:
    """One small observation table as CSV (GB18030), Excel and Parquet."""
    rows = [["地区代码", "年份", "数值"], ["320100", "2023", "1.5"], ["320500", "2023", "x"]]
    csv_path = tmp_path / "obs.csv"
    csv_path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="gb18030")
    copies = {"csv": csv_path, "xlsx": _write_xlsx(tmp_path / "obs.xlsx", {"数据": rows})}
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return copies
    copies["parquet"] = tmp_path / "obs.parquet"
    pq.write_table(pa.table({h: [r[i] for r in rows[1:]] for i, h in enumerate(rows[0])}),
                   copies["parquet"])  # fmt: skip
    return copies


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_an_upload_reads_as_its_file_does(tmp_path, fmt):
    import io

    path = _copies(tmp_path).get(fmt)
    if path is None:
        pytest.skip("pyarrow is not installed")
    on_disk = open_table(path, OBSERVATION_COLUMNS)
    upload = open_table(io.BytesIO(path.read_bytes()), OBSERVATION_COLUMNS, name=f"上传.{fmt}")
    assert (upload.file, on_disk.file) == (f"上传.{fmt}", f"obs.{fmt}")
    assert (upload.header_row, upload.columns, upload.sheet) == (
        on_disk.header_row,
        on_disk.columns,
        on_disk.sheet,
    )
    assert _rows(upload) == _rows(on_disk)


def test_an_upload_name_loses_its_folder_and_picks_the_reader():
    import io

    table = open_table(io.BytesIO(CHINESE.encode()), OBSERVATION_COLUMNS, name="C:\\data\\gdp.csv")
    assert table.file == "gdp.csv" and table.columns[0] == "region_name"
    with pytest.raises(InputError, match=r"gdp\.xls: unsupported file type '\.xls'"):
        open_table(io.BytesIO(b""), OBSERVATION_COLUMNS, name="gdp.xls")

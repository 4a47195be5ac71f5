"""read_targets: comparators, region groups, relative targets and impossible combinations."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from yrdplan.domain.indicators import Indicator, Target
from yrdplan.ingest.lookups import RegionLookup
from yrdplan.ingest.targets_table import normalise_comparator, parse_year, read_targets

FIXTURES = Path(__file__).parent / "fixtures" / "tables"
REGIONS = RegionLookup.from_pairs(
    [("320100", "南京市"), ("320500", "苏州市")],
    groups=[("SUNAN", "苏南"), ("YRD41", "长三角41城")],
)
INDICATORS = {
    "GDP": Indicator("GDP", "地区生产总值", "亿元", "higher", aggregation="sum"),
    "URB": Indicator("URB", "常住人口城镇化率", "%", "higher"),
    "PM25": Indicator("PM25", "PM2.5年均浓度", "µg/m³", "lower"),
    "ENERGY": Indicator("ENERGY", "单位GDP能耗", "吨标准煤/万元", "lower"),
    "INCOME_RATIO": Indicator("INCOME_RATIO", "城乡居民收入比", "", "band"),
}
HEADER = "region_code,indicator_code,year,comparator,value,value_high,base_year,base_value,relative_change\n"


def read(path):
    return read_targets(path, regions=REGIONS, indicators=INDICATORS)


def write_csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "targets.csv"
    path.write_text(text, encoding="utf-8")
    return path


def errors(problems):
    return [p for p in problems if p.severity == "error"]


def only(problems, kind):
    found = [p for p in problems if p.kind == kind]
    assert len(found) == 1, problems
    return found[0]


def test_fixture_reads_every_comparator():
    targets, problems = read(FIXTURES / "targets.csv")
    assert problems == []
    assert targets == [
        Target(
            "GDP",
            2025,
            ">=",
            20000.0,
            region_code="320100",
            base_year=2020,
            base_value=14817.95,
            unit="亿元",
        ),
        Target("URB", 2025, "between", 80.0, region_code="320100", value_high=85.0, unit="%"),
        Target(
            "PM25",
            2025,
            "<=",
            None,
            group_code="SUNAN",
            standard="GB 3095-2012 grade II",
            unit="µg/m³",
        ),
        Target(
            "ENERGY",
            2025,
            "relative",
            pytest.approx(0.5 * (1 - 0.135)),
            region_code="320500",
            base_year=2020,
            base_value=0.5,
            relative_change=pytest.approx(-0.135),
            unit="吨标准煤/万元",
        ),
        Target("INCOME_RATIO", 2025, "~", 1.9, region_code="320500", unit=""),
    ]


def test_chinese_headers_names_and_comparators_in_xlsx(tmp_path):
    path = tmp_path / "targets.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "目标"
    sheet.append(["地区", "指标", "目标年份", "比较符", "目标值", "上限"])
    sheet.append(["南京", "地区生产总值", 2025, "以上", 20000, None])
    sheet.append(["长三角41城", "城乡居民收入比", "2035年", "区间", 1.8, 2.0])
    sheet.append(["苏州", "PM2.5年均浓度", 2027, "≤", 30, None])
    workbook.save(path)
    targets, problems = read(path)
    assert problems == []
    assert [
        (t.region_code, t.group_code, t.indicator_code, t.year, t.comparator) for t in targets
    ] == [
        ("320100", None, "GDP", 2025, ">="),
        (None, "YRD41", "INCOME_RATIO", 2035, "between"),
        ("320500", None, "PM25", 2027, "<="),
    ]


@pytest.mark.parametrize(
    ("line", "kind", "column", "severity"),
    [
        ("320199,GDP,2025,>=,1,,,,", "unknown_region", "region_code", "error"),
        ("320100,GPD,2025,>=,1,,,,", "unknown_indicator", "indicator_code", "error"),
        ("320100,GDP,2025,>>,1,,,,", "unknown_comparator", "comparator", "error"),
        ("320100,GDP,25,>=,1,,,,", "bad_year", "year", "error"),
        ("320100,GDP,,>=,1,,,,", "missing_year", "year", "error"),
        ("320100,GDP,2025,>=,lots,,,,", "not_a_number", "value", "error"),
        ("320100,GDP,2025,>=,,,,,", "missing_value", "value", "error"),
        ("320100,URB,2025,between,80,,,,", "incomplete_band", "value_high", "error"),
        ("320100,URB,2025,between,,85,,,", "incomplete_band", "value", "error"),
        ("320100,URB,2025,between,85,80,,,", "inverted_band", "value_high", "error"),
        ("320100,ENERGY,2025,relative,,,,,-0.1", "relative_incomplete", "base_year", "error"),
        (
            "320100,ENERGY,2025,relative,,,2020,0.5,",
            "relative_incomplete",
            "relative_change",
            "error",
        ),
        (
            "320100,ENERGY,2025,relative,,,2020,0.5,-10",
            "impossible_change",
            "relative_change",
            "error",
        ),
        ("320100,GDP,2025,>=,20000,,,14000,", "base_year_missing", "base_year", "error"),
        ("320100,GDP,2025,>=,20000,,2025,14000,", "base_year_late", "base_year", "error"),
        ("320100,GDP,2025,>=,-1,,,,", "impossible_value", "value", "error"),
        ("320100,URB,2025,>=,101,,,,", "impossible_value", "value", "error"),
        ("320100,GDP,2025,<=,20000,,,,", "against_direction", "comparator", "warning"),
        ("320100,PM25,2025,>=,10,,,,", "against_direction", "comparator", "warning"),
        (
            "320100,ENERGY,2025,relative,,,2020,0.5,0.1",
            "against_direction",
            "relative_change",
            "warning",
        ),
        ("320100,GDP,2025,>=,20000,30000,,,", "value_high_ignored", "value_high", "warning"),
        ("320100,GDP,2025,relative,,,2020,100,1.5", "large_change", "relative_change", "warning"),
        ("320100,ENERGY,2025,relative,0.3,,2020,0.5,-0.1", "relative_value", "value", "warning"),
    ],
)
def test_bad_target_is_reported_at_its_row_and_column(tmp_path, line, kind, column, severity):
    good = "320500,GDP,2025,>=,30000,,,,\n"
    targets, problems = read(write_csv(tmp_path, HEADER + good + line + "\n"))
    problem = only(problems, kind)
    assert (problem.file, problem.row, problem.column, problem.severity) == (
        "targets.csv",
        3,
        column,
        severity,
    )
    kept = 2 if severity == "warning" else 1
    assert len(targets) == kept, problems
    if severity == "warning":
        assert errors(problems) == []


def test_against_direction_warning_keeps_the_target_as_written(tmp_path):
    targets, problems = read(write_csv(tmp_path, HEADER + "320100,GDP,2025,<=,20000,,,,\n"))
    assert targets[0].comparator == "<=" and targets[0].value == 20000
    assert only(problems, "against_direction").value == "<="


def test_relative_value_is_computed_from_the_base(tmp_path):
    text = (
        HEADER
        + "320100,ENERGY,2025,relative,0.3,,2020,0.5,-0.1\n320500,ENERGY,2025,relative,,,2020,,-10%\n"
    )
    targets, _ = read(write_csv(tmp_path, text))
    assert targets[0].value == pytest.approx(0.45)
    # Without a base value the progress engine takes it from observations of the base year.
    assert (targets[1].value, targets[1].relative_change) == (None, pytest.approx(-0.1))


def test_duplicate_target_names_both_rows(tmp_path):
    text = HEADER + "320100,GDP,2025,>=,1,,,,\n320100,GDP,2027,>=,2,,,,\n南京市,GDP,2025,≥,3,,,,\n"
    targets, problems = read(write_csv(tmp_path, text))
    problem = only(problems, "duplicate")
    assert (problem.row, "row 2" in problem.message) == (4, True)
    assert [t.value for t in targets] == [1, 2]


def test_missing_required_column(tmp_path):
    targets, problems = read(
        write_csv(tmp_path, "region_code,indicator_code,year,value\n320100,GDP,2025,1\n")
    )
    problem = only(problems, "missing_column")
    assert (targets, problem.row, problem.column) == ([], 1, "comparator")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (">=", ">="),
        ("≥", ">="),
        ("以上", ">="),
        ("不超过", "<="),
        ("＝", "="),
        ("左右", "~"),
        ("区间", "between"),
        ("较基期", "relative"),
        ("BETWEEN", "between"),
        ("?", None),
    ],
)
def test_normalise_comparator(text, expected):
    assert normalise_comparator(text) == expected


def test_parse_year():
    assert [parse_year(x) for x in (2025, 2025.0, "2025年", " 2035 ")] == [2025, 2025, 2025, 2035]
    with pytest.raises(ValueError):
        parse_year("25")

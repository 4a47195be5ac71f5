"""read_observations: layouts, region and indicator lookup, and every bad-input check."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from yrdplan.domain.indicators import Indicator, Observation
from yrdplan.domain.regions import Region, RegionGroup
from yrdplan.ingest.lookups import IndicatorLookup, RegionLookup
from yrdplan.ingest.observations import (
    ObservationOptions,
    RangeRule,
    impossible_bounds,
    read_observations,
)

FIXTURES = Path(__file__).parent / "fixtures" / "tables"
REGIONS = RegionLookup.from_pairs(
    [("320100", "南京市"), ("320200", "无锡市"), ("320500", "苏州市"), ("310100", "上海市")],
    groups=[("SUNAN", "苏南")],
)
INDICATORS = {
    "GDP": Indicator(
        "GDP", "地区生产总值", "亿元", "higher", name_en="Gross domestic product", aggregation="sum"
    ),
    "URB": Indicator("URB", "常住人口城镇化率", "%", "higher"),
    "GROWTH": Indicator("GROWTH", "地区生产总值增速", "%", "higher"),
    "PM25": Indicator("PM25", "PM2.5年均浓度", "µg/m³", "lower", synonyms=["细颗粒物浓度"]),
    "RETAIL_Q": Indicator(
        "RETAIL_Q", "社会消费品零售总额", "亿元", "higher", aggregation="sum", frequency="quarter"
    ),
}
EXPECTED_LONG = [
    Observation("320100", "GDP", "2022", 16907.85, "yearbook", "2023"),
    Observation("320100", "GDP", "2023", 17421.40, "yearbook", "2023"),
    Observation("320500", "URB", "2023", 82.5, "default", "2024"),
    Observation("320500", "PM25", "2023", 29.0, "bulletin", "v0"),
]


def read(path, **kwargs):
    kwargs.setdefault("regions", REGIONS)
    kwargs.setdefault("indicators", INDICATORS)
    return read_observations(path, **kwargs)


def write_csv(tmp_path: Path, text: str, name: str = "obs.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def errors(problems):
    return [p for p in problems if p.severity == "error"]


def only(problems, kind):
    found = [p for p in problems if p.kind == kind]
    assert len(found) == 1, problems
    return found[0]


# -- layouts -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["observations_long.csv", "observations_long_gb18030.csv"])
def test_long_csv_in_english_or_chinese_gives_the_same_records(name):
    observations, problems = read(FIXTURES / name, source_default="default", vintage_default="v0")
    assert observations == EXPECTED_LONG
    assert errors(problems) == []


def test_wide_by_period_xlsx_with_title_row_and_chinese_periods(tmp_path):
    path = write_xlsx(
        tmp_path / "gdp.xlsx",
        {
            "数据": [
                ["长三角城市地区生产总值"],
                [],
                ["地区", "指标", "单位", "2021年", "2022年", "2023年"],
                ["南京市", "GDP", "亿元", 16355.32, 16907.85, 17421.4],
                ["苏州", "地区生产总值", "亿元", 22718.3, "—", "24,653.4"],
            ]
        },
    )
    observations, problems = read(path)
    assert [(o.region_code, o.period, o.value) for o in observations] == [
        ("320100", "2021", 16355.32),
        ("320100", "2022", 16907.85),
        ("320100", "2023", 17421.4),
        ("320500", "2021", 22718.3),
        ("320500", "2023", 24653.4),
    ]
    assert {o.indicator_code for o in observations} == {"GDP"}
    assert [p.kind for p in problems] == ["title_rows_skipped"]


def test_wide_by_period_problem_names_sheet_row_and_period_column(tmp_path):
    path = write_xlsx(
        tmp_path / "gdp.xlsx",
        {
            "数据": [
                ["地区", "指标", "2022", "2023"],
                ["南京", "GDP", 1.0, 2.0],
                ["无锡", "GDP", "n.a.", 3.0],
            ]
        },
    )
    _, problems = read(path)
    problem = only(problems, "not_a_number")
    assert (problem.file, problem.sheet, problem.row, problem.column, problem.value) == (
        "gdp.xlsx",
        "数据",
        3,
        "2022",
        "n.a.",
    )


def test_wide_by_period_takes_the_indicator_from_the_sheet_name(tmp_path):
    path = write_xlsx(
        tmp_path / "book.xlsx",
        {
            "说明": [["见各表"]],
            "PM2.5年均浓度": [["地区代码", 2023, 2024.0], [320100, 28, 27.5]],
        },
    )
    observations, problems = read(path, sheet="PM2.5年均浓度")
    assert [(o.indicator_code, o.period, o.value) for o in observations] == [
        ("PM25", "2023", 28),
        ("PM25", "2024", 27.5),
    ]
    assert errors(problems) == []


def test_wide_by_period_without_any_indicator_is_an_error(tmp_path):
    path = write_csv(tmp_path, "地区,2023\n南京,1\n", name="misc.csv")
    observations, problems = read(path)
    problem = only(problems, "missing_column")
    assert (observations, problem.row, problem.column) == ([], 1, "indicator_code")


def test_wide_by_quarter(tmp_path):
    path = write_csv(
        tmp_path, "region_code,indicator_code,2024Q1,2024年第二季度\n320100,RETAIL_Q,1800,1900\n"
    )
    observations, problems = read(path)
    assert [(o.period, o.value) for o in observations] == [("2024Q1", 1800), ("2024Q2", 1900)]
    assert problems == []


def test_wide_by_indicator_parquet(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "panel.parquet"
    columns = {
        "region": ["南京市", "苏州市"],
        "year": [2023, 2023],
        "GDP": [17421.4, 24653.4],
        "常住人口城镇化率(%)": [87.2, None],
    }
    pq.write_table(pa.table(columns), path)
    observations, problems = read(path)
    assert [(o.region_code, o.indicator_code, o.value) for o in observations] == [
        ("320100", "GDP", 17421.4),
        ("320100", "URB", 87.2),
        ("320500", "GDP", 24653.4),
    ]
    assert problems == []


def test_wide_by_indicator_unknown_column_is_an_error_at_the_header(tmp_path):
    path = write_csv(tmp_path, "地区,年份,GDP,GPD_PC\n南京,2023,1,2\n")
    observations, problems = read(path)
    problem = only(problems, "unknown_indicator")
    assert (observations, problem.row, problem.column) == ([], 1, "GPD_PC")


def test_unknown_layout_and_missing_columns(tmp_path):
    _, problems = read(write_csv(tmp_path, "foo,bar\n1,2\n"))
    assert only(problems, "unknown_layout").row == 1
    _, problems = read(write_csv(tmp_path, "region_code,indicator_code,value\n320100,GDP,1\n"))
    problem = only(problems, "missing_column")
    assert (problem.row, problem.column) == (1, "period")


def test_unknown_columns_are_reported_as_info(tmp_path):
    path = write_csv(
        tmp_path, "region_code,indicator_code,period,value,口径\n320100,GDP,2023,1,全口径\n"
    )
    observations, problems = read(path)
    problem = only(problems, "column_ignored")
    assert (len(observations), problem.severity, problem.column) == (1, "info", "口径")


# -- bad input, one row at a time ----------------------------------------------------------------

HEADER = "region_code,indicator_code,period,value\n320100,GDP,2015,1\n"


@pytest.mark.parametrize(
    ("line", "kind", "column", "value", "severity"),
    [
        ("320199,GDP,2023,1", "unknown_region", "region_code", "320199", "error"),
        ("苏洲,GDP,2023,1", "unknown_region", "region_code", "苏洲", "error"),
        (",GDP,2023,1", "unknown_region", "region_code", "", "error"),
        ("SUNAN,GDP,2023,1", "region_group", "region_code", "SUNAN", "error"),
        ("320100,GPD,2023,1", "unknown_indicator", "indicator_code", "GPD", "error"),
        ("320100,GDP,2023,abc", "not_a_number", "value", "abc", "error"),
        ("320100,GDP,2023,12%", "not_a_number", "value", "12%", "error"),
        ("320100,GDP,23年,1", "bad_period", "period", "23年", "error"),
        ("320100,GDP,2023Q1,1", "period_frequency", "period", "2023Q1", "error"),
        ("320100,RETAIL_Q,2023,1", "period_frequency", "period", "2023", "error"),
        ("320100,GDP,2023,-5", "impossible_value", "value", "-5", "error"),
        ("320100,URB,2023,100.5", "impossible_value", "value", "100.5", "error"),
        ("320100,URB,2023,-0.1", "impossible_value", "value", "-0.1", "error"),
        ("320100,GDP,2023,—", "missing_value", "value", "—", "warning"),
    ],
)
def test_bad_cell_is_reported_at_its_row_and_column(tmp_path, line, kind, column, value, severity):
    observations, problems = read(write_csv(tmp_path, HEADER + line + "\n"))
    problem = only(problems, kind)
    assert (
        problem.file,
        problem.sheet,
        problem.row,
        problem.column,
        problem.value,
        problem.severity,
    ) == (
        "obs.csv",
        None,
        3,
        column,
        value,
        severity,
    )
    assert [o.period for o in observations] == ["2015"]  # the bad row is never a record


def test_did_you_mean_for_regions_and_indicators(tmp_path):
    _, problems = read(write_csv(tmp_path, HEADER + "苏洲,GPD,2023,1\n"))
    assert "did you mean 苏州市 (320500)" in only(problems, "unknown_region").message
    assert "did you mean 地区生产总值 (GDP)?" in only(problems, "unknown_indicator").message


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("320100,GROWTH,2023,-2.5", -2.5),
        ("320100,URB,2023,87.5%", 87.5),
        ('320100,GDP,2023,"1,234"', 1234.0),
    ],
)
def test_plausible_values_pass(tmp_path, line, value):
    observations, problems = read(write_csv(tmp_path, HEADER + line + "\n"))
    assert errors(problems) == []
    assert observations[-1].value == value


def test_duplicate_key_names_both_rows(tmp_path):
    text = HEADER + "320100,GDP,2023,2\n320500,GDP,2023,3\n南京市,地区生产总值,2023,4\n"
    observations, problems = read(write_csv(tmp_path, text))
    problem = only(problems, "duplicate")
    assert (problem.row, problem.column, problem.value) == (5, "value", "4")
    assert "duplicate of row 3" in problem.message
    assert [o.value for o in observations] == [1, 2, 3]


def test_same_key_in_another_vintage_is_a_revision_not_a_duplicate(tmp_path):
    text = "region_code,indicator_code,period,value,vintage\n320100,GDP,2023,2,2024\n320100,GDP,2023,2.1,2025\n"
    observations, problems = read(write_csv(tmp_path, text))
    assert [(o.vintage, o.value) for o in observations] == [("2024", 2), ("2025", 2.1)]
    assert problems == []


def test_duplicate_period_columns_in_wide_layout_name_the_first_column(tmp_path):
    observations, problems = read(write_csv(tmp_path, "地区,指标,2023,2023年\n南京,GDP,1,2\n"))
    problem = only(problems, "duplicate")
    assert (problem.row, problem.column) == (2, "2023年")
    assert "row 2, column 2023" in problem.message
    assert len(observations) == 1


def test_wide_row_with_unknown_region_is_reported_once(tmp_path):
    _, problems = read(write_csv(tmp_path, "地区,指标,2022,2023\n火星,GDP,1,2\n"))
    problem = only(problems, "unknown_region")
    assert (problem.row, problem.column) == (2, "地区")


@pytest.mark.parametrize(("severity", "kept"), [("warning", 2), ("error", 1)])
def test_range_rules_have_a_severity(tmp_path, severity, kept):
    options = ObservationOptions(ranges={"PM25": RangeRule(0, 300, severity)})
    text = "region_code,indicator_code,period,value\n320100,PM25,2022,30\n320100,PM25,2023,450\n"
    observations, problems = read(write_csv(tmp_path, text), options=options)
    problem = only(problems, "out_of_range")
    assert (problem.severity, problem.row, problem.column, problem.value) == (
        severity,
        3,
        "value",
        "450",
    )
    assert len(observations) == kept


def test_unit_column_that_disagrees_is_a_warning(tmp_path):
    text = "地区,指标,年份,数值,单位\n南京,GDP,2023,17421.4,亿元\n南京,GDP,2022,169078500,万元\n"
    observations, problems = read(write_csv(tmp_path, text))
    problem = only(problems, "unit_mismatch")
    assert (problem.severity, problem.row, problem.column, problem.value) == (
        "warning",
        3,
        "单位",
        "万元",
    )
    assert len(observations) == 2


def test_region_name_that_contradicts_the_code_is_a_warning(tmp_path):
    text = "地区代码,地区名称,指标,年份,数值\n320100,南京市,GDP,2023,1\n320500,南京市,GDP,2023,2\n"
    observations, problems = read(write_csv(tmp_path, text))
    problem = only(problems, "region_mismatch")
    assert (problem.row, problem.column, problem.value) == (3, "地区名称", "南京市")
    assert [o.region_code for o in observations] == ["320100", "320500"]


def test_source_vintage_defaults_simulated_flag_and_note(tmp_path):
    text = (
        "region_code,indicator_code,period,value,source,备注\n"
        "320100,GDP,2023,1,,初步核算\n320500,GDP,2023,2,simulated,\n"
    )
    observations, _ = read(
        write_csv(tmp_path, text), source_default="统计年鉴", vintage_default="2024-06"
    )
    assert [(o.source, o.vintage, o.is_simulated, o.note) for o in observations] == [
        ("统计年鉴", "2024-06", False, "初步核算"),
        ("simulated", "2024-06", True, ""),
    ]


# -- year-on-year jumps --------------------------------------------------------------------------


def test_jump_is_a_warning_at_the_row_of_the_jump(tmp_path):
    # Changes 2, 3, 2, 3, 40, 3, 2: median 3, MAD 1, so the 40 scores 0.6745 * 37 = 24.96.
    values = [100, 102, 105, 107, 110, 150, 153, 155]
    lines = [f"320100,GDP,{2015 + i},{v}" for i, v in enumerate(values)]
    lines += [f"320500,GDP,{2015 + i},{200 + 5 * i}" for i in range(8)]
    observations, problems = read(
        write_csv(tmp_path, "region_code,indicator_code,period,value\n" + "\n".join(lines))
    )
    assert len(observations) == 16
    problem = only(problems, "jump")
    assert (problem.severity, problem.row, problem.column, problem.value) == (
        "warning",
        7,
        "value",
        "150",
    )
    assert "from 2019 (110) to 2020 (150)" in problem.message
    assert "24.96" in problem.message or "25.0" in problem.message


def test_quarterly_jumps_compare_the_same_quarter_a_year_before(tmp_path):
    # Strong seasonality (Q4 = 3 × Q1) is not a jump; a Q3 that doubles (240 -> 480) is, and so
    # is its return to 251 a year later.
    rows = []
    for year in range(2018, 2024):
        for quarter, base in zip((1, 2, 3, 4), (100, 150, 200, 300), strict=True):
            value = base + 10 * (year - 2018) + (year % 2)
            if (year, quarter) == (2022, 3):
                value *= 2
            rows.append(f"320100,RETAIL_Q,{year}Q{quarter},{value}")
    observations, problems = read(
        write_csv(tmp_path, HEADER.splitlines()[0] + "\n" + "\n".join(rows))
    )
    assert len(observations) == 24
    jumps = [p for p in problems if p.kind == "jump"]
    assert sorted((p.row, p.value) for p in jumps) == [(20, "480"), (24, "251")]
    assert "from 2021Q3 (231) to 2022Q3 (480)" in jumps[0].message


def test_jump_check_can_be_turned_off(tmp_path):
    lines = [
        f"320100,GDP,{2015 + i},{v}" for i, v in enumerate([100, 102, 105, 107, 110, 150, 153, 155])
    ]
    path = write_csv(tmp_path, "region_code,indicator_code,period,value\n" + "\n".join(lines))
    _, problems = read(path, options=ObservationOptions(jump_threshold=None))
    assert problems == []


# -- progress bar --------------------------------------------------------------------------------


def _big_file(tmp_path: Path) -> Path:
    lines = [f"320100,GDP,{1990 + i},{100 + i}" for i in range(30)]
    return write_csv(tmp_path, "region_code,indicator_code,period,value\n" + "\n".join(lines))


def test_no_progress_bar_when_stdout_is_not_a_terminal(tmp_path, capsys):
    observations, _ = read(_big_file(tmp_path), progress_threshold=10)
    assert len(observations) == 30
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "")


@pytest.mark.parametrize(
    ("progress", "threshold", "drawn"), [(True, 10, True), (False, 10, False), (True, 100, False)]
)
def test_progress_bar_on_a_terminal_for_large_files_only(tmp_path, progress, threshold, drawn):
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=100)
    read(
        _big_file(tmp_path),
        progress=progress,
        progress_threshold=threshold,
        options=ObservationOptions(console=console),
    )
    assert ("reading obs.csv" in buffer.getvalue()) is drawn


# -- lookups -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["320100", "南京市", "南京", " 南京 ", "320100000000"])
def test_region_lookup_resolves_codes_and_names(text):
    assert REGIONS.resolve(text) == "320100"


def test_region_lookup_ambiguous_names_and_groups():
    lookup = RegionLookup.from_pairs(
        [("310000", "上海市"), ("310100", "上海市"), ("320100", "南京市")], [("YRD", "长三角")]
    )
    assert lookup.resolve("上海") is None
    assert lookup.suggest("上海") == ["上海市 (310000)", "上海市 (310100)"]
    assert (lookup.resolve("yrd"), lookup.is_group("YRD"), lookup.is_group("320100")) == (
        "YRD",
        True,
        False,
    )
    assert lookup.suggest("火星") == []


def test_region_lookup_from_records_by_level():
    regions = [
        Region("310000", "上海市", "province", None, None),
        Region("310100", "上海市", "city", "310000", "310000"),
    ]
    lookup = RegionLookup.from_records(regions, [RegionGroup("SUNAN", "苏南")], levels={"city"})
    assert (lookup.resolve("上海"), lookup.resolve("苏南")) == ("310100", "SUNAN")


def test_indicator_lookup_by_code_name_english_and_synonym():
    lookup = IndicatorLookup.from_indicators(INDICATORS)
    found = [
        lookup.resolve(t)
        for t in ("GDP", "gdp", "地区生产总值", "gross domestic product", "细颗粒物浓度", "X")
    ]
    assert found == ["GDP", "GDP", "GDP", "GDP", "PM25", None]


def test_impossible_bounds_by_unit_name_and_aggregation():
    assert impossible_bounds(INDICATORS["URB"])[:2] == (0.0, 100.0)
    assert impossible_bounds(INDICATORS["GROWTH"])[:2] == (None, None)
    assert impossible_bounds(INDICATORS["GDP"])[:2] == (0.0, None)
    assert impossible_bounds(INDICATORS["PM25"])[:2] == (None, None)


# -- round trip ----------------------------------------------------------------------------------

_KEYS = st.tuples(
    st.sampled_from(["320100", "320200", "320500", "310100"]),
    st.sampled_from(["GDP", "PM25", "GROWTH", "RETAIL_Q"]),
    st.integers(2000, 2030),
    st.integers(1, 4),
    st.sampled_from(["", "2024", "2025-03"]),
)


@st.composite
def observation_lists(draw):
    keys = draw(
        st.lists(
            _KEYS,
            max_size=25,
            unique_by=lambda k: (k[0], k[1], k[2], k[3] if k[1] == "RETAIL_Q" else 0, k[4]),
        )
    )
    observations = []
    for region, code, year, quarter, vintage in keys:
        low = 0.0 if INDICATORS[code].aggregation == "sum" else -1e12
        value = draw(st.floats(low, 1e12, allow_nan=False, allow_infinity=False))
        source = draw(st.sampled_from(["", "统计年鉴", "simulated", "bulletin, revised"]))
        period = f"{year}Q{quarter}" if code == "RETAIL_Q" else str(year)
        observations.append(
            Observation(region, code, period, value, source, vintage, source == "simulated")
        )
    return observations


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(observation_lists())
def test_long_csv_round_trip(tmp_path, observations):
    path = tmp_path / "round.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["region_code", "indicator_code", "period", "value", "source", "vintage"])
        for o in observations:
            writer.writerow(
                [o.region_code, o.indicator_code, o.period, repr(o.value), o.source, o.vintage]
            )
    back, problems = read(path)
    assert back == observations
    assert errors(problems) == []

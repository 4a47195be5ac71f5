"""read_indicators: Chinese headers and values, required direction, formula references."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from yrdplan.domain.indicators import Indicator
from yrdplan.ingest.indicators_table import formula_references, read_indicators

FIXTURES = Path(__file__).parent / "fixtures" / "tables"
HEADER = "code,name,unit,direction,aggregation,weight_indicator,formula\n"
GOOD = "POP,常住人口,万人,higher,sum,,\n"


def write_csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "indicators.csv"
    path.write_text(text, encoding="utf-8")
    return path


def only(problems, kind):
    found = [p for p in problems if p.kind == kind]
    assert len(found) == 1, problems
    return found[0]


def test_fixture_with_chinese_headers_and_values():
    indicators, problems = read_indicators(FIXTURES / "indicators.csv")
    assert problems == []
    by_code = {i.code: i for i in indicators}
    assert list(by_code) == ["GDP", "POP", "GDP_PC", "PM25", "URB", "INCOME_RATIO"]
    assert by_code["GDP"] == Indicator(
        "GDP",
        "地区生产总值",
        "亿元",
        "higher",
        name_en="Gross domestic product",
        kind="indicative",
        area="经济",
        aggregation="sum",
        synonyms=["GDP总量", "生产总值"],
    )
    # A ratio with a formula is recomputed from its components unless told otherwise.
    assert (by_code["GDP_PC"].formula, by_code["GDP_PC"].aggregation) == (
        "GDP / POP × 10000",
        "recompute",
    )
    pm25 = by_code["PM25"]
    assert (pm25.direction, pm25.kind, pm25.aggregation, pm25.weight_indicator) == (
        "lower",
        "binding",
        "weighted_mean",
        "POP",
    )
    assert (by_code["INCOME_RATIO"].direction, by_code["INCOME_RATIO"].unit) == ("band", "")
    assert {i.frequency for i in indicators} == {"year"}


def test_xlsx_catalogue(tmp_path):
    path = tmp_path / "catalogue.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["代码", "名称", "计量单位", "指标方向", "频率"])
    sheet.append(["RETAIL_Q", "社会消费品零售总额", "亿元", "越高越好", "季度"])
    workbook.save(path)
    indicators, problems = read_indicators(path)
    assert problems == []
    assert (indicators[0].direction, indicators[0].frequency) == ("higher", "quarter")


@pytest.mark.parametrize(
    ("line", "kind", "column"),
    [
        ("GDP,地区生产总值,亿元,,sum,,", "missing_direction", "direction"),
        ("GDP,地区生产总值,亿元,more,sum,,", "unknown_direction", "direction"),
        (",地区生产总值,亿元,higher,,,", "missing_code", "code"),
        ("GDP per capita,人均GDP,元,higher,,,", "bad_code", "code"),
        ("GDP,,亿元,higher,,,", "missing_name", "name"),
        ("GDP,地区生产总值,亿元,higher,total,,", "unknown_aggregation", "aggregation"),
        ("URB,城镇化率,%,higher,weighted_mean,,", "missing_weight", "weight_indicator"),
        (
            "URB,城镇化率,%,higher,weighted_mean,POPULATION,",
            "unknown_reference",
            "weight_indicator",
        ),
        ("GDP_PC,人均GDP,元,higher,,,GDP / POP * 10000", "unknown_reference", "formula"),
        ("GDP_PC,人均GDP,元,higher,,,__import__('os').system('x')", "bad_formula", "formula"),
        ("GDP_PC,人均GDP,元,higher,,,GDP_PC * 2", "circular_formula", "formula"),
        ("pop,人口,万人,higher,,,", "duplicate_code", "code"),
    ],
)
def test_bad_indicator_is_reported_at_its_row_and_column(tmp_path, line, kind, column):
    indicators, problems = read_indicators(write_csv(tmp_path, HEADER + GOOD + line + "\n"))
    problem = only(problems, kind)
    assert (problem.file, problem.row, problem.column, problem.severity) == (
        "indicators.csv",
        3,
        column,
        "error",
    )
    assert [i.code for i in indicators] == ["POP"]


def test_direction_is_never_defaulted_even_without_other_problems(tmp_path):
    indicators, problems = read_indicators(
        write_csv(tmp_path, "code,name,unit,direction\nGDP,地区生产总值,亿元,\n")
    )
    assert indicators == []
    assert "never guessed" in only(problems, "missing_direction").message


def test_formula_references_may_name_existing_codes_and_suggest_close_ones(tmp_path):
    path = write_csv(tmp_path, HEADER + GOOD + "GDP_PC,人均GDP,元,higher,,,GDP / POP * 10000\n")
    indicators, problems = read_indicators(path, existing={"GDP"})
    assert (problems, [i.code for i in indicators]) == ([], ["POP", "GDP_PC"])
    _, problems = read_indicators(path, existing={"GDPX"})
    assert "did you mean GDPX" in only(problems, "unknown_reference").message


def test_circular_formulas_are_an_error(tmp_path):
    text = HEADER + "A,甲,个,higher,,,B * 2\nB,乙,个,higher,,,A / 2\nC,丙,个,higher,,,A + 1\n"
    indicators, problems = read_indicators(write_csv(tmp_path, text))
    problem = only(problems, "circular_formula")
    assert (problem.row, problem.column, problem.message) == (
        2,
        "formula",
        "circular formulas: A -> B -> A",
    )
    assert [i.code for i in indicators] == ["B", "C"]


def test_missing_required_column(tmp_path):
    indicators, problems = read_indicators(
        write_csv(tmp_path, "code,name,unit\nGDP,地区生产总值,亿元\n")
    )
    problem = only(problems, "missing_column")
    assert (indicators, problem.row, problem.column) == ([], 1, "direction")


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("RAIL_KM / AREA_KM2 × 10000", ["RAIL_KM", "AREA_KM2"]),
        ("(A + B) ÷ A ** 2", ["A", "B"]),
        ("-A", ["A"]),
    ],
)
def test_formula_references(formula, expected):
    assert formula_references(formula) == expected


@pytest.mark.parametrize(
    "formula", ["A +", "f(A)", "A.b", "A > 1", "'x'", "A if B else C", "True * A"]
)
def test_formula_references_rejects_non_arithmetic(formula):
    with pytest.raises(ValueError):
        formula_references(formula)

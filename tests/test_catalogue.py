"""The shipped indicator catalogue: contents, name matching and validation."""

from __future__ import annotations

import csv

import pytest

from yrdplan.domain.indicators import AGGREGATIONS, DIRECTIONS, INDICATOR_KINDS, Indicator
from yrdplan.errors import InputError
from yrdplan.ingest.catalogue import (
    COLUMNS,
    Catalogue,
    CatalogueError,
    load_catalogue,
    normalise_name,
)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def write_catalogue(path, rows: list[dict[str, str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(COLUMNS))
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in COLUMNS})


GOOD_ROW = {"code": "A", "name": "甲指标", "unit": "%", "direction": "higher"}


def test_shipped_catalogue_has_every_code_the_demo_needs(catalogue):
    needed = {
        "POP", "GDP", "AREA_KM2", "RAIL_KM", "RAIL_DENSITY", "URBAN_INCOME", "RURAL_INCOME",
        "URBAN_RURAL_INCOME_RATIO", "RD_INTENSITY", "URBANIZATION", "PM25", "SURFACE_WATER_GOOD",
        "ENERGY_INTENSITY", "HITECH_OUTPUT_SHARE", "HSR_KM", "G5_COVERAGE", "DIGITAL_CORE_SHARE",
        "GDP_PER_CAPITA",
    }  # fmt: skip
    assert needed <= set(catalogue.codes)
    assert len(catalogue) >= 40
    assert len(list(catalogue)) == len(catalogue)


def test_every_entry_is_complete(catalogue):
    for ind in catalogue:
        assert isinstance(ind, Indicator)
        assert ind.direction in DIRECTIONS
        assert ind.kind in INDICATOR_KINDS
        assert ind.aggregation in AGGREGATIONS
        assert ind.name and ind.name_en and ind.unit and ind.definition, ind.code
        if ind.aggregation == "weighted_mean":
            assert ind.weight_indicator in catalogue, ind.code


@pytest.mark.parametrize(
    ("code", "formula", "aggregation"),
    [
        ("RAIL_DENSITY", "RAIL_KM / AREA_KM2 * 10000", "recompute"),
        ("URBAN_RURAL_INCOME_RATIO", "URBAN_INCOME / RURAL_INCOME", "recompute"),
        ("POP", None, "sum"),
        ("GDP", None, "sum"),
    ],
)
def test_derived_and_additive_indicators(catalogue, code, formula, aggregation):
    ind = catalogue.get(code)
    assert ind.formula == formula
    assert ind.aggregation == aggregation


def test_directions_of_lower_is_better_indicators(catalogue):
    # Concentrations, energy use per unit GDP and the income gap fall when things improve.
    for code in ("PM25", "ENERGY_INTENSITY", "URBAN_RURAL_INCOME_RATIO"):
        assert catalogue[code].direction == "lower"
    assert catalogue["PM25"].kind == "binding"
    assert catalogue["RD_INTENSITY"].direction == "higher"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("R&D经费投入强度", "RD_INTENSITY"),
        ("研发投入强度", "RD_INTENSITY"),
        ("Ｒ＆Ｄ经费投入强度", "RD_INTENSITY"),  # full-width letters
        ("研究与试验发展经费投入强度", "RD_INTENSITY"),
        ("全市常住人口城镇化率", "URBANIZATION"),  # region prefix
        ("城镇化率", "URBANIZATION"),
        ("城乡居民收入比", "URBAN_RURAL_INCOME_RATIO"),
        ("城乡居民收入差距", "URBAN_RURAL_INCOME_RATIO"),
        ("细颗粒物（PM2.5）平均浓度", "PM25"),  # full-width brackets
        ("细颗粒物(PM２.５)平均浓度", "PM25"),  # full-width digits
        ("PM2.5平均浓度", "PM25"),
        ("地表水达到或好于Ⅲ类水体比例", "SURFACE_WATER_GOOD"),  # Roman numeral Ⅲ
        ("地表水达到或好于III类水体比例", "SURFACE_WATER_GOOD"),
        ("单位GDP能耗", "ENERGY_INTENSITY"),
        ("高新技术产业产值占比", "HITECH_OUTPUT_SHARE"),
        ("高铁营业里程", "HSR_KM"),
        ("长三角高铁营业里程", "HSR_KM"),  # contains a catalogue name
        ("5G网络覆盖率", "G5_COVERAGE"),
        ("数字经济核心产业增加值占比", "DIGITAL_CORE_SHARE"),
        ("人均GDP", "GDP_PER_CAPITA"),
        ("铁路营业里程", "RAIL_KM"),
        ("人均 期望 寿命", "LIFE_EXPECTANCY"),  # spaces
        ("城镇居民 的 人均可支配收入", "URBAN_INCOME"),  # 的 variant
    ],
)
def test_match(catalogue, name, code):
    assert catalogue.match(name) == code


@pytest.mark.parametrize("name", ["", "   ", "幸福指数", "率", "发展", "的"])
def test_match_unknown_is_none(catalogue, name):
    assert catalogue.match(name) is None


def test_match_contained_names_prefers_longest(catalogue):
    # "城镇居民人均可支配收入" contains "人均可支配收入" (DISPOSABLE_INCOME): the longer wins.
    assert catalogue.match("南京城镇居民人均可支配收入") == "URBAN_INCOME"


def test_ambiguous_containment_matches_nothing():
    cat = Catalogue(
        [
            Indicator("A", "城镇收入总量", "元", "higher"),
            Indicator("B", "农村收入总量", "元", "higher"),
        ]
    )
    assert cat.match("城镇收入总量") == "A"
    assert cat.match("城镇收入总量与农村收入总量之和") is None


def test_normalise_name():
    assert normalise_name("Ｒ＆Ｄ 经费投入强度") == "研发经费投入强度"
    assert normalise_name("“5G”网络覆盖率") == "5g网络覆盖率"


def test_get_and_contains(catalogue):
    assert catalogue.get("NOPE") is None
    assert "GDP" in catalogue and "NOPE" not in catalogue
    with pytest.raises(KeyError):
        catalogue["NOPE"]


def test_load_from_path(tmp_path):
    path = tmp_path / "ind.csv"
    write_catalogue(
        path, [GOOD_ROW, {**GOOD_ROW, "code": "B", "name": "乙", "synonyms": "乙一|乙二"}]
    )
    cat = load_catalogue(path)
    assert len(cat) == 2
    assert cat.match("乙二") == "B"
    assert cat["A"].kind == "indicative" and cat["A"].aggregation == "none"


@pytest.mark.parametrize(
    ("bad", "row", "field"),
    [
        ({"direction": "up"}, 3, "direction"),
        ({"direction": ""}, 3, "direction"),
        ({"kind": "mandatory"}, 3, "kind"),
        ({"aggregation": "median"}, 3, "aggregation"),
        ({"code": "rd-intensity"}, 3, "code"),
        ({"code": "A"}, 3, "code"),  # duplicate of row 2
        ({"name": ""}, 3, "name"),
        ({"formula": "A / NOPE"}, 3, "formula"),
        ({"formula": "A; import os"}, 3, "formula"),
        ({"aggregation": "weighted_mean"}, 3, "weight_indicator"),
        ({"aggregation": "weighted_mean", "weight_indicator": "NOPE"}, 3, "weight_indicator"),
        ({"frequency": "decade"}, 3, "frequency"),
    ],
)
def test_bad_row_names_row_and_field(tmp_path, bad, row, field):
    path = tmp_path / "ind.csv"
    write_catalogue(path, [GOOD_ROW, {**GOOD_ROW, "code": "B", "name": "乙", **bad}])
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    message = str(info.value)
    assert f"row {row}" in message
    assert f"field {field}" in message
    assert "ind.csv" in message
    # One error type for callers that catch ValueError and for the CLI's one-line errors.
    assert isinstance(info.value, ValueError) and isinstance(info.value, InputError)


def test_missing_column(tmp_path):
    path = tmp_path / "ind.csv"
    path.write_text("code,name,unit\nA,甲,%\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing column.*direction"):
        load_catalogue(path)


def test_name_claimed_by_two_indicators_is_rejected(tmp_path):
    path = tmp_path / "ind.csv"
    write_catalogue(path, [GOOD_ROW, {**GOOD_ROW, "code": "B", "name": "乙", "synonyms": "甲指标"}])
    with pytest.raises(ValueError, match="甲指标"):
        load_catalogue(path)

"""Every target found in the five seed plans, and every indicator they quote a number for,
is in the shipped catalogue."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from opencc import OpenCC

from yrdplan.ingest.catalogue import load_catalogue
from yrdplan.ingest.targets import extract_targets

SEEDS = Path(__file__).resolve().parents[1] / "yrdplan" / "data" / "seeds"
SEED_NAMES = ["000", "001", "002", "003", "004"]
_GLOSS = re.compile(r"(?<=[\u3400-\u9fff])\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")

# The Nanjing plan (001) holds the only quantitative targets; the Jiangsu press release (000),
# the action-plan article (002), the Anhui guidance article (003) and the Jiangsu mechanism
# (004) quote counts, facts and past results, none of which is a target.
EXPECTED_COUNTS = {"000": 0, "001": 16, "002": 0, "003": 0, "004": 0}

# Indicators the seeds quote a number for, as written there, whether as a target or a fact.
NAMED_WITH_A_NUMBER = {
    "000": {"总面积": "AREA_KM2"},
    "001": {
        "城乡居民收入差距": "URBAN_RURAL_INCOME_RATIO",
        "常住人口城镇化率": "URBANIZATION",
        "研发投入强度": "RD_INTENSITY",
        "科技进步贡献率": "TECH_PROGRESS_CONTRIB",
        "高新技术产业产值占规模以上工业总产值比重": "HITECH_OUTPUT_SHARE",
        "铁路网密度": "RAIL_DENSITY",
        "高速公路密度": "EXPRESSWAY_DENSITY",
        "5G网络覆盖率": "G5_COVERAGE",
        "细颗粒物(PM2.5)平均浓度": "PM25",
        "跨界河流国考断面水质达标率": "CROSS_BORDER_WATER",
        "单位GDP能耗": "ENERGY_INTENSITY",
        "人均公共财政支出": "PUBLIC_EXPENDITURE_PC",
        "劳动年龄人口平均受教育年限": "SCHOOLING_YEARS",
        "人均期望寿命": "LIFE_EXPECTANCY",
        "万人发明专利拥有量": "PATENTS_PER_10K",
        "产业地标": "INDUSTRY_LANDMARKS",
    },
    "002": {
        "完成率": "TASK_COMPLETION",
        "断头路": "ROAD_GAPS_OPENED",
        "异地门诊费用直接结算": "CLINIC_SETTLEMENTS",
        "高铁营业里程": "HSR_KM",
        "跨省通办": "CROSS_PROVINCE_SERVICES",
        "一卡通": "SOCIAL_CARD_SERVICES",
        "联合攻关项目": "JOINT_RD_PROJECTS",
    },
}
# How the catalogue should read the fragments above when they are not names on their own.
CATALOGUE_NAMES = {
    "完成率": "重点任务完成率",
    "断头路": "省际断头路打通数量",
    "异地门诊费用直接结算": "异地门诊费用直接结算人次",
    "跨省通办": "跨省通办政务服务事项",
    "一卡通": "社保卡居民服务一卡通服务事项",
    "联合攻关项目": "长三角科技创新共同体联合攻关项目",
}


def clean_seed(name: str) -> str:
    """A stand-in for ingest.clean: t2s and pinyin glosses removed (enough for targets)."""
    text = next(SEEDS.glob(f"{name}_*.txt")).read_text(encoding="utf-8")
    return _GLOSS.sub("", OpenCC("t2s").convert(text))


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="module")
def seeds() -> dict[str, str]:
    return {name: clean_seed(name) for name in SEED_NAMES}


@pytest.mark.parametrize("name", SEED_NAMES)
def test_every_seed_target_matches_a_catalogue_code(seeds, catalogue, name):
    targets, problems = extract_targets(seeds[name], [], catalogue)
    assert len(targets) == EXPECTED_COUNTS[name]
    for t in targets:
        assert t.indicator_code is not None, t.indicator
        assert t.indicator_code in catalogue
        assert catalogue.match(t.indicator) == t.indicator_code
    assert not [p for p in problems if p.kind.startswith("target_indicator")]


@pytest.mark.parametrize("name", SEED_NAMES)
def test_seed_target_spans_hold_their_numbers(seeds, name):
    text = seeds[name]
    for t in extract_targets(text, [])[0]:
        span = text[t.start : t.end]
        assert t.indicator in span
        if t.value is not None and t.standard is None:
            assert f"{t.value:g}" in span.replace(",", "")


@pytest.mark.parametrize(
    ("name", "written", "code"),
    [
        (seed, written, code)
        for seed, names in NAMED_WITH_A_NUMBER.items()
        for written, code in names.items()
    ],  # fmt: skip
)
def test_every_indicator_quoted_with_a_number_is_catalogued(seeds, catalogue, name, written, code):
    assert written in seeds[name]
    assert catalogue.match(CATALOGUE_NAMES.get(written, written)) == code


def test_catalogue_units_agree_with_the_nanjing_targets(seeds, catalogue):
    # A target's unit as written should be its indicator's unit, so progress needs no
    # conversion; relative targets carry the catalogue unit by construction.
    for t in extract_targets(seeds["001"], [], catalogue)[0]:
        assert t.unit == catalogue[t.indicator_code].unit, t.indicator

"""`yrdplan benefit …`: a new user's water-compensation agreement from example files to statements."""

from __future__ import annotations

import json

from docx import Document
from typer.testing import CliRunner

from yrdplan.cli.main import app as cli

runner = CliRunner()


def run(*args: str) -> str:
    result = runner.invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.stdout + result.stderr
    return result.stdout


def test_new_user_settles_three_years_from_the_command_line(default_url, tmp_path):
    db = ["--db", default_url]
    folder = tmp_path / "example"
    assert "8 files written" in run("benefit", "example", str(folder))
    run("indicators", "import", str(folder / "benefit_indicators.csv"), *db)
    run("benefit", "sites", "import", str(folder / "benefit_sites.csv"), "--as", "office", *db)
    out = run(
        "benefit", "data", str(folder / "benefit_xinanjiang_2022_2024.csv"), "--as", "office", *db
    )
    assert "12 site observations read; 12 added" in out.replace("\n", " ")
    out = run(
        "benefit",
        "agreements",
        "import",
        str(folder / "benefit_xinanjiang.toml"),
        "--as",
        "office",
        *db,
    )
    assert "xinanjiang-jiekou: version 1 (created)" in out
    rows = json.loads(
        run("benefit", "settle", "xinanjiang-jiekou", "--as", "office", "--format", "json", *db)
    )
    assert [(r["period"], r["outcome"]) for r in rows] == [
        ("2022", "computed"),
        ("2023", "computed"),
        ("2024", "computed"),
    ]
    assert rows[0]["transfers"] == "杭州市 → 黄山市 6000"
    assert rows[1]["transfers"] == "黄山市 → 杭州市 1653.74"  # reversed
    assert rows[2]["transfers"] == "杭州市 → 黄山市 3000"
    second = rows[1]["settlement"]
    assert "confirmed" in run("benefit", "confirm", str(second), "--as", "office", *db)
    assert "paid" in run("benefit", "pay", str(second), "--as", "admin", *db)
    detail = json.loads(run("benefit", "show", str(second), *db))
    assert [h["status"] for h in detail["history"]] == ["draft", "confirmed", "paid"]
    assert [h["username"] for h in detail["history"]] == ["office", "office", "admin"]
    listed = json.loads(run("benefit", "list", "--format", "json", *db))
    assert [s["status"] for s in listed] == ["draft", "paid", "draft"]
    agreements = json.loads(run("benefit", "agreements", "list", "--format", "json", *db))
    assert agreements[0]["settlements"] == 3
    shown = json.loads(run("benefit", "agreements", "show", "xinanjiang-jiekou", *db))
    assert shown["versions"][0]["reason"] == "首次签订"
    what_if = json.loads(
        run("benefit", "what-if", "xinanjiang-jiekou", "--period", "2024", "--set", "k0=0.7", *db)
    )
    # k0 = 0.7: P = 0.7 × 1.086281 = 0.760397 ≤ 0.90 → the first tier, 6000
    assert what_if["what_if"]["transfers"][0]["amount"] == 6000
    assert what_if["base"]["transfers"][0]["amount"] == 3000
    out_file = tmp_path / "statement.docx"
    run("benefit", "statement", str(second), "--out", str(out_file), *db)
    text = "\n".join(p.text for p in Document(str(out_file)).paragraphs)
    assert "2023年度结算单" in text
    summary_file = tmp_path / "summary.docx"
    run("benefit", "summary", "xinanjiang-jiekou", "--out", str(summary_file), *db)
    summary = Document(str(summary_file))
    assert "新安江流域街口断面横向生态补偿协议（示例）结算汇总表" in [
        p.text for p in summary.paragraphs
    ]
    assert len(summary.tables[1].rows) == 1 + 3  # the header and one transfer a year
    sites = json.loads(run("benefit", "sites", "list", "--format", "json", *db))
    assert [s["code"] for s in sites] == ["NINGHUAI", "XAJ-JIEKOU"]


def test_bad_agreement_file_names_every_field(default_url, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'code = "x y"\nname = "坏协议"\nkind = "water_quality"\nstart = 2024\nend = 2023\n'
        '[[parties]]\nregion = "341000"\nrole = "upstream"\n'
        '[inputs]\nsite = "S"\npollutants = ["TP"]\n'
        "[parameters]\nbaselines = { TP = 0 }\n"
        '[[parameters.bands]]\nupto = 1.0\npayer = "downstream"\n',
        encoding="utf-8",
    )
    result = runner.invoke(
        cli, ["benefit", "agreements", "import", str(bad), "--as", "office", "--db", default_url]
    )
    assert result.exit_code == 1
    for text in (
        "column code",
        "column end",
        "downstream party",
        "parameters.baselines.TP",
        "parameters.bands[0].upto",
        "nothing written",
    ):
        assert text in result.stderr, text


def test_an_agreement_in_json_reads_like_toml(default_url, tmp_path):
    import tomllib
    from importlib import resources

    db = ["--db", default_url]
    folder = tmp_path / "example"
    run("benefit", "example", str(folder))
    run("indicators", "import", str(folder / "benefit_indicators.csv"), *db)
    run("benefit", "sites", "import", str(folder / "benefit_sites.csv"), "--as", "office", *db)
    terms = tomllib.loads(
        (resources.files("yrdplan.data") / "benefit_ninghuai.toml").read_text(encoding="utf-8")
    )
    as_json = tmp_path / "ninghuai.json"
    as_json.write_text(json.dumps(terms, ensure_ascii=False), encoding="utf-8")
    assert "version 1 (created)" in run(
        "benefit", "agreements", "import", str(as_json), "--as", "office", *db
    )
    # the same terms from the TOML file are no new version
    toml_out = run(
        "benefit",
        "agreements",
        "import",
        str(folder / "benefit_ninghuai.toml"),
        "--as",
        "office",
        *db,
    )
    assert "version 1 (unchanged)" in toml_out

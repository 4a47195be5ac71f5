"""Settlements end to end through the services, on SQLite and PostgreSQL: the shipped examples,
adjustments after revisions, permissions, versions, what-if, statements."""

from __future__ import annotations

import io
import shutil
from importlib import resources
from pathlib import Path

import pytest

from yrdplan.domain.people import SYSTEM_CALLER
from yrdplan.errors import ConflictError, InputError, PermissionDenied
from yrdplan.services import benefit, benefit_statements, indicator_data
from yrdplan.store.audit import Actor
from yrdplan.store.database import connect
from yrdplan.store.repos import benefit as repo
from yrdplan.store.repos import users as user_repo

HUANGSHAN, HANGZHOU = "341000", "330100"
CODE = "xinanjiang-jiekou"


def example(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    with (resources.files("yrdplan.data") / name).open("rb") as source, target.open("wb") as out:
        shutil.copyfileobj(source, out)
    return target


def user(database, name):
    with database.read() as session:
        return user_repo.to_info(session, user_repo.find_user(session, name))


def write(database, who, work):
    with database.write(Actor(who.id, who.username)) as session:
        return work(session)


IMPORTERS = {
    "benefit_indicators.csv": benefit.import_catalogue,
    "benefit_sites.csv": benefit.import_sites,
}


def load(database, office, tmp_path, *names):
    """Import shipped example files as the office would, each by the use case for its kind."""
    for name in names:
        path = example(tmp_path, name)
        with database.write(Actor(office.id, office.username)) as session:
            if name == "benefit_equalising.csv":  # region observations: the monitoring importer
                indicator_data.import_observations(
                    session, path, progress=False, user=SYSTEM_CALLER
                )
            elif name.endswith(".toml"):
                benefit.import_agreement(session, office, path)
            else:
                IMPORTERS.get(name, benefit.import_site_observations)(session, office, path)


@pytest.fixture
def loaded(any_default_url, tmp_path):
    """The 新安江 example loaded as a new user would: indicators, sites, data, agreement."""
    database = connect(any_default_url)
    office = user(database, "office")
    load(database, office, tmp_path, "benefit_indicators.csv", "benefit_sites.csv",
         "benefit_xinanjiang_2022_2024.csv", "benefit_xinanjiang.toml")  # fmt: skip
    yield database, office
    database.dispose()


def transfers_of(outcome):
    return [(t["payer"], t["payee"], round(t["amount"], 2)) for t in outcome.transfers]


def test_three_settlements_one_reversed(loaded):
    database, office = loaded
    outcomes = write(database, office, lambda s: benefit.settle_periods(s, office, CODE))
    assert [o.period for o in outcomes] == ["2022", "2023", "2024"]
    assert {o.action for o in outcomes} == {"created"}
    # 2022: P = 0.85 × (1.9/2.2 + 0.12/0.16 + 0.034/0.04 + 1.25/1.3)/4 = 0.72785 ≤ 0.90 → 6000
    # 2023: P = 0.85 × (2.6/2.2 + 0.21/0.16 + 0.05/0.04 + 1.45/1.3)/4 = 1.032687 > 1 →
    #       the upstream pays 1000 + 20000 × 0.032687 = 1653.74
    # 2024: P = 0.85 × (2.35/2.2 + 0.18/0.16 + 0.043/0.04 + 1.4/1.3)/4 = 0.923339 → 3000
    assert transfers_of(outcomes[0]) == [(HANGZHOU, HUANGSHAN, 6000.0)]
    assert transfers_of(outcomes[1]) == [(HUANGSHAN, HANGZHOU, 1653.74)]
    assert transfers_of(outcomes[2]) == [(HANGZHOU, HUANGSHAN, 3000.0)]
    with database.read() as session:
        detail = benefit.settlement_detail(session, office, outcomes[1].settlement_id)
    result = detail["result"]
    assert result["detail"]["p"] == pytest.approx(1.032687, abs=1e-6)
    observed = [row for row in result["inputs"] if row["kind"] == "observation"]
    assert len(observed) == 4
    assert all(row["source"] and row["vintage"] == "2024-03-31" for row in observed)
    assert {row["indicator"] for row in result["inputs"] if row["kind"] == "parameter"} >= {
        "k0",
        "baselines",
        "bands",
    }
    assert detail["history"][0]["action"] == "insert"
    # settling again with nothing changed changes nothing
    again = write(database, office, lambda s: benefit.settle_periods(s, office, CODE))
    assert {o.action for o in again} == {"unchanged"}


def test_revision_after_confirmation_makes_an_adjustment(loaded, tmp_path):
    database, office = loaded
    write(database, office, lambda s: benefit.settle_periods(s, office, CODE))
    with database.read() as session:
        settlement_id = benefit.get_settlement_id(session, CODE, "2024")
    write(database, office, lambda s: benefit.confirm_settlement(s, office, settlement_id))
    with database.read() as session:
        before = repo.get_settlement(session, settlement_id)
        frozen = (before.result, before.fingerprint, before.status)
    revised = tmp_path / "revised.csv"
    revised.write_text(
        "site_code,indicator_code,period,value,source,vintage\n"
        "XAJ-JIEKOU,TP,2024,0.060,黄山市生态环境监测站复核,2025-09-30\n",
        encoding="utf-8",
    )
    write(database, office, lambda s: benefit.import_site_observations(s, office, revised))
    outcome = write(database, office, lambda s: benefit.settle(s, office, CODE, "2024"))
    # New P = 0.85 × (2.35/2.2 + 0.18/0.16 + 0.06/0.04 + 1.4/1.3)/4 = 1.013647: the upstream
    # now owes 1272.95; 黄山 was paid 3000, so the adjustment moves 4272.95 back to 杭州.
    assert outcome.action == "adjustment"
    assert transfers_of(outcome) == [(HUANGSHAN, HANGZHOU, 4272.95)]
    with database.read() as session:
        after = repo.get_settlement(session, settlement_id)
        assert (after.result, after.fingerprint, after.status) == frozen
        adjustment = repo.get_settlement(session, outcome.settlement_id)
        assert adjustment.kind == "adjustment" and adjustment.adjusts_id == settlement_id
        delta = adjustment.result["adjustment"]["delta"]
        assert delta[HUANGSHAN] == pytest.approx(-4272.945804, abs=1e-5)
        tp = [i for i in adjustment.result["inputs"] if i["indicator"] == "TP"][0]
        assert tp["vintage"] == "2025-09-30" and tp["source"] == "黄山市生态环境监测站复核"
    # confirming the adjustment settles the difference: settling again finds nothing to adjust
    write(database, office, lambda s: benefit.confirm_settlement(s, office, outcome.settlement_id))
    write(database, office, lambda s: benefit.mark_paid(s, office, outcome.settlement_id))
    final = write(database, office, lambda s: benefit.settle(s, office, CODE, "2024"))
    assert final.action == "no_change"
    # the agreement's summary adds each party's nets by status
    from openpyxl import load_workbook

    with database.read() as session:
        summary = benefit_statements.agreement_statement_file(
            session, office, CODE, "xlsx", party=HUANGSHAN
        )
    sheets = load_workbook(io.BytesIO(summary))
    totals = list(sheets[[n for n in sheets.sheetnames if "各方汇总" in n][0]].values)
    # paid: the adjustment −4272.95; confirmed: 2024's +3000; drafts: 2022 +6000, 2023 −1653.74
    assert totals[1][0] == "黄山市"
    assert totals[1][2:] == (-4272.95, 3000.0, 4346.26)  # amounts to two decimals
    periods = list(sheets[[n for n in sheets.sheetnames if "各期结算" in n][0]].values)
    assert [(r[1], r[2], r[3]) for r in periods[1:]] == [
        ("2022", "结算", "草稿"),
        ("2023", "结算", "草稿"),
        ("2024", "结算", "已确认"),
        ("2024", "调整", "已支付"),
    ]


def test_draft_with_changed_data_cannot_be_confirmed(loaded, tmp_path):
    database, office = loaded
    outcome = write(database, office, lambda s: benefit.settle(s, office, CODE, "2022"))
    revised = tmp_path / "r.csv"
    revised.write_text(
        "site_code,indicator_code,period,value,source,vintage\nXAJ-JIEKOU,TN,2022,1.3,复核,2025-01-01\n",
        encoding="utf-8",
    )
    write(database, office, lambda s: benefit.import_site_observations(s, office, revised))
    with pytest.raises(ConflictError, match="changed"):
        write(
            database, office, lambda s: benefit.confirm_settlement(s, office, outcome.settlement_id)
        )
    updated = write(database, office, lambda s: benefit.settle(s, office, CODE, "2022"))
    assert updated.action == "updated" and updated.settlement_id == outcome.settlement_id
    write(database, office, lambda s: benefit.confirm_settlement(s, office, outcome.settlement_id))
    with pytest.raises(ConflictError, match="confirmed"):
        write(
            database, office, lambda s: benefit.confirm_settlement(s, office, outcome.settlement_id)
        )


def test_missing_observation_gives_insufficient_data(loaded, tmp_path):
    database, office = loaded
    # 2025 is outside the agreement; extend it by a new version (with a reason) to settle 2025
    text = example(tmp_path, "benefit_xinanjiang.toml").read_text(encoding="utf-8")
    extended = tmp_path / "v2.toml"
    extended.write_text(
        text.replace("end = 2024", "end = 2025").replace('reason = "首次签订"', ""),
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="reason"):
        write(database, office, lambda s: benefit.import_agreement(s, office, extended))
    done = write(
        database, office, lambda s: benefit.import_agreement(s, office, extended, reason="延期一年")
    )
    assert (done.version, done.action) == (2, "revised")
    partial = tmp_path / "p.csv"
    partial.write_text(
        "site_code,indicator_code,period,value,source,vintage\n"
        "XAJ-JIEKOU,CODMN,2025,2.0,站,2026-03-31\nXAJ-JIEKOU,NH3N,2025,0.1,站,2026-03-31\n"
        "XAJ-JIEKOU,TP,2025,0.03,站,2026-03-31\n",
        encoding="utf-8",
    )
    write(database, office, lambda s: benefit.import_site_observations(s, office, partial))
    outcome = write(database, office, lambda s: benefit.settle(s, office, CODE, "2025"))
    assert outcome.outcome == "insufficient_data" and outcome.transfers == []
    with database.read() as session:
        detail = benefit.settlement_detail(session, office, outcome.settlement_id)
        assert detail["result"]["missing"] == [
            {"place_kind": "site", "place": "XAJ-JIEKOU", "indicator": "TN", "period": "2025"}
        ]
        assert [
            v["version"] for v in benefit.agreement_detail(session, office, CODE)["versions"]
        ] == [1, 2]
    with pytest.raises(ConflictError, match="insufficient"):
        write(
            database, office, lambda s: benefit.confirm_settlement(s, office, outcome.settlement_id)
        )
    with pytest.raises(InputError, match="outside"):
        write(database, office, lambda s: benefit.settle(s, office, CODE, "2021"))


def test_permissions_fail_closed(loaded):
    database, office = loaded
    viewer = user(database, "viewer")
    with pytest.raises(PermissionDenied):
        write(database, viewer, lambda s: benefit.settle(s, viewer, CODE, "2022"))
    with pytest.raises(PermissionDenied):
        with database.read() as session:
            benefit.list_agreements(session, None)
    with database.read() as session:
        assert [a["code"] for a in benefit.list_agreements(session, viewer)] == [CODE]


def test_what_if_changes_nothing(loaded):
    database, office = loaded
    write(database, office, lambda s: benefit.settle(s, office, CODE, "2022"))
    with database.read() as session:
        answer = benefit.what_if(
            session,
            office,
            CODE,
            "2022",
            benefit.parse_overrides(["k0=1.2", "bands.0.amount=7000"]),
        )
        stored = benefit.list_settlements(session, office)
    # k0 = 1.2: P = 1.2 × 0.856294 = 1.027552 → the upstream pays 1000 + 20000 × 0.027552
    assert answer["what_if"]["detail"]["p"] == pytest.approx(1.027552, abs=1e-6)
    assert answer["what_if"]["transfers"][0]["amount"] == pytest.approx(1551.05, abs=0.01)
    assert answer["base"]["transfers"][0]["amount"] == 6000
    sources = {
        r["indicator"]: r["source"] for r in answer["what_if"]["inputs"] if r["kind"] == "parameter"
    }
    assert sources["k0"] == sources["bands"] == "what-if"
    assert sources["baselines"] == "agreement xinanjiang-jiekou v1"
    assert answer["delta"][HUANGSHAN] == pytest.approx(-6000 - 1551.049, abs=0.01)
    assert [s["transfers"][0]["amount"] for s in stored] == [6000]
    with database.read() as session:
        worst = benefit.what_if(session, office, CODE, "2023", {"form": "max"})
    # the worst pollutant in 2023 is NH3-N, 0.21 / 0.16 = 1.3125: P = 0.85 × 1.3125 = 1.115625,
    # the upstream pays 1000 + 20000 × 0.115625 = 3312.5
    assert worst["what_if"]["detail"]["p"] == pytest.approx(1.115625)
    assert worst["what_if"]["transfers"] == [
        {"payer": HUANGSHAN, "payee": HANGZHOU, "amount": pytest.approx(3312.5)}
    ]
    with pytest.raises(InputError, match="parameter"):
        with database.read() as session:
            benefit.what_if(session, office, CODE, "2022", {"nothing.here": 1})


def test_equalising_and_cost_sharing_examples(any_default_url, tmp_path):
    database = connect(any_default_url)
    office = user(database, "office")
    load(database, office, tmp_path, "benefit_indicators.csv", "benefit_sites.csv",
         "benefit_equalising.csv", "benefit_ninghuai.csv", "benefit_equalising.toml",
         "benefit_ninghuai.toml")  # fmt: skip
    equalising = write(
        database, office, lambda s: benefit.settle_periods(s, office, "huangshan-equalising")
    )
    assert [o.outcome for o in equalising] == ["computed", "insufficient_data"]  # no 2024 data
    assert sum(t["amount"] for t in equalising[0].transfers) == pytest.approx(30000)
    assert all(t["payer"] == HUANGSHAN for t in equalising[0].transfers)
    sharing = write(database, office, lambda s: benefit.settle(s, office, "ninghuai-park", "2024"))
    with database.read() as session:
        parties = {
            p["region_code"]: p
            for p in benefit.settlement_detail(session, office, sharing.settlement_id)["result"][
                "parties"
            ]
        }
    # costs 10000, 5000, 2000 at 60/40: 南京 pays 6000 + 3000 + 1200 = 10200, 淮安 6800.
    # revenue 2000, 6000 at 50/50, 12000 at the 2024 ramp start 50/50 → 南京 1000 + 3000 + 6000
    # = 10000, over its cap of 9000: 1000 passes to 淮安 → 南京 9000, 淮安 1000 + 3000 + 7000.
    assert parties["320100"]["balance"] == pytest.approx(9000 - 10200)
    assert parties["320800"]["balance"] == pytest.approx(11000 - 6800)
    assert parties["320100"]["revenue"] == pytest.approx(5000)
    database.dispose()


def test_statements_in_word_and_excel(loaded):
    from docx import Document
    from openpyxl import load_workbook

    database, office = loaded
    outcome = write(database, office, lambda s: benefit.settle(s, office, CODE, "2023"))
    write(database, office, lambda s: benefit.confirm_settlement(s, office, outcome.settlement_id))
    with database.read() as session:
        word = benefit_statements.statement_file(session, office, outcome.settlement_id, "docx")
        excel = benefit_statements.statement_file(
            session, office, outcome.settlement_id, "xlsx", party=HUANGSHAN
        )
        with pytest.raises(InputError, match="party"):
            benefit_statements.statement_file(
                session, office, outcome.settlement_id, "docx", party="320100"
            )
    document = Document(io.BytesIO(word))
    texts = [p.text for p in document.paragraphs]
    assert "新安江流域街口断面横向生态补偿协议（示例）2023年度结算单" in texts
    assert texts[0] == "新安江流域生态补偿联席会议办公室"
    assert any(t.startswith("一、协议概况") for t in texts)
    assert "PAGE" in document.sections[0].footer._element.xml
    assert 'w:eastAsia="仿宋"' in document.element.xml
    inputs = document.tables[1]
    assert [c.text for c in inputs.rows[0].cells][-2:] == ["来源", "版本"]
    assert "w:tblHeader" in inputs.rows[0]._tr.xml
    assert any(
        row.cells[6].text == "simulated" and row.cells[7].text == "2024-03-31"
        for row in inputs.rows[1:]
    )
    outcome_rows = [[c.text for c in r.cells] for r in document.tables[3].rows]
    assert outcome_rows[1] == ["黄山市", "杭州市", "1653.74"]
    workbook = load_workbook(io.BytesIO(excel))
    assert workbook.sheetnames[0] == "结算单"
    assert "（黄山市）" in workbook["结算单"]["A1"].value
    sheet = workbook[[n for n in workbook.sheetnames if "输入数据" in n][0]]
    header = [c.value for c in sheet[1]]
    assert header[-2:] == ["来源", "版本"]
    # four concentrations; k0, missing, cap; four baselines; three bands, one row each
    assert sheet.max_row == 1 + 4 + 3 + 4 + 3
    rows = {r[3]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["baselines.TP"][5] == 0.04
    assert rows["baselines.TP"][6] == "协议 xinanjiang-jiekou 第1版"
    assert rows["bands.2"][5].startswith("payer=upstream")

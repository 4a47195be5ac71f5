"""Running the office from the browser (issue 11), through the web app's forms: users and roles,
my account, units and merges, the catalogue with formula checks, targets with reasons, imports
with a preview, settings — each refusal shown beside its field with nothing written."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner
from web_helpers import csrf_of, login

from yrdplan.cli.main import app as cli
from yrdplan.domain.people import SYSTEM_CALLER
from yrdplan.errors import FieldError
from yrdplan.services import catalogue_admin, delivery_settings, unit_admin
from yrdplan.store.schema import AuditEntry, ObservationRecord, PendingImport, Task, Unit


def _post(client, path, **data):
    return client.post(path, data={"csrf_token": csrf_of(client), **data}, follow_redirects=False)


def _field_errors(response) -> list[str]:
    return re.findall(r'class="field-error" role="alert">([^<]*)', response.text)


def _count(database, model) -> int:
    with database.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_admin_adds_a_reporter_resets_and_the_user_must_choose_a_password(client, database):
    assert login(client, "admin").status_code == 303
    refused = _post(client, "/users", username="rep", role="unit_reporter", password="short")
    assert refused.status_code == 400
    assert _field_errors(refused) == ["密码至少 8 位"]  # zh-CN by default
    assert 'value="rep"' in refused.text  # what was typed comes back
    made = _post(
        client,
        "/users",
        username="rep",
        role="unit_reporter",
        unit_code="nj-kjj",
        password="first-password",
        display_name="填报员",
    )
    assert made.status_code == 303 and made.headers["location"] == "/users/rep"
    reset = _post(client, "/users/rep/reset")
    temporary = re.search(r'id="new-password">[^<]*<code>([^<]+)</code>', reset.text).group(1)
    found = client.get("/users?q=rep&format=json").json()["users"]
    assert [u["username"] for u in found] == ["rep"] and found[0]["must_change_password"]

    client.cookies.clear()
    first = login(client, "rep", temporary)
    assert (first.status_code, first.headers["location"]) == (303, "/account")
    assert client.get("/tasks", follow_redirects=False).headers["location"] == "/account"
    assert client.get("/api/tasks").status_code == 403
    wrong = _post(
        client,
        "/account/password",
        current_password=temporary,
        new_password="chosen-password",
        repeat_password="different",
    )
    assert wrong.status_code == 400
    assert re.search(
        r'name="repeat_password"[^>]*aria-invalid="true">\s*<span class="field-error"', wrong.text
    )
    done = _post(
        client,
        "/account/password",
        current_password=temporary,
        new_password="chosen-password",
        repeat_password="chosen-password",
    )
    assert done.status_code == 303
    client.cookies.clear()
    assert login(client, "rep", "chosen-password").status_code == 303
    assert client.get("/tasks").status_code == 200


def test_the_last_admin_cannot_be_disabled_and_tokens_are_shown_once(client, database):
    login(client, "admin")
    refused = _post(client, "/users/admin/active", active="0")
    assert refused.status_code == 400 and "最后一位在用的系统管理员" in refused.text
    issued = _post(client, "/account/tokens", name="script")
    token = re.search(r'id="new-token">[^<]*<code>([^<]+)</code>', issued.text).group(1)
    assert client.get("/api/me", headers={"authorization": f"Bearer {token}"}).status_code == 200
    mine = client.get("/account?format=json").json()["tokens"]
    assert [t["name"] for t in mine] == ["script"] and "token" not in json.dumps(mine)
    _post(client, f"/users/admin/tokens/{mine[0]['id']}/revoke")
    assert client.get("/api/me", headers={"authorization": f"Bearer {token}"}).status_code == 401


def test_units_are_added_edited_and_merged_with_their_tasks(client, database):
    login(client, "office")
    made = _post(
        client,
        "/units",
        code="nj-kj2",
        name="市科学技术局（重复）",
        kind="department",
        region_code="320100",
        contact="025-1234",
        plans="nj-implementation-2020",
    )
    assert made.status_code == 200 and 'id="done"' in made.text
    itself = _post(client, "/units/merge", source="nj-kj2", target="nj-kj2")
    assert itself.status_code == 400 and _field_errors(itself) == ["单位不能并入自身"]
    with database.read() as session:
        old = session.scalar(select(Unit).where(Unit.code == "nj-kjj"))
        led = session.scalar(
            select(func.count()).select_from(Task).where(Task.lead_unit_id == old.id)
        )
    assert led > 0
    merged = _post(client, "/units/merge", source="nj-kjj", target="nj-kj2")
    assert merged.status_code == 200
    rows = {u["code"]: u for u in client.get("/units?format=json").json()["units"]}
    assert rows["nj-kj2"]["lead_tasks"] == led and rows["nj-kjj"]["lead_tasks"] == 0
    assert rows["nj-kjj"]["merged_into"] == "nj-kj2" and not rows["nj-kjj"]["is_active"]
    assert "市科技局" in rows["nj-kj2"]["aliases"]
    with database.read() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "tasks")
            )
            >= led
        )


def test_formulas_are_checked_against_the_catalogue():
    catalogue = {"A": None, "B": "A * 2", "C": None}
    assert catalogue_admin.check_formula(catalogue, "R", "A / C × 100") == ["A", "C"]
    for formula, message in [
        ("A / NOPE", "unknown indicator code(s): NOPE"),
        ("A / (2 - 2)", "divides by a constant zero"),
        ("R + A", "the formula of R uses R itself"),
        ("open('x')", "may use only codes"),
    ]:
        with pytest.raises(FieldError, match=re.escape(message)):
            catalogue_admin.check_formula(catalogue, "R", formula)
    # A circle through another formula: A's formula would use B, whose formula uses A.
    with pytest.raises(FieldError, match="circular"):
        catalogue_admin.check_formula(catalogue, "A", "B + 1")


def test_merging_refuses_a_unit_into_itself_before_writing(database):
    with database.write() as session, pytest.raises(FieldError) as caught:
        unit_admin.merge_units(session, SYSTEM_CALLER, "nj-kjj", "nj-kjj")
    assert caught.value.field == "target"


def test_office_day_indicator_target_import_with_preview_and_settings(client, database):
    login(client, "office")
    base = _post(
        client,
        "/catalogue",
        code="EXP_M",
        name="月度出口额",
        unit="亿元",
        direction="higher",
        kind="indicative",
        frequency="month",
        source="海关统计",
    )
    assert base.status_code == 200
    typed = {
        "code": "EXP_PER_GDP",
        "name": "出口占比",
        "unit": "%",
        "direction": "higher",
        "kind": "indicative",
        "frequency": "month",
    }
    for formula, message in [
        ("EXP_M / GDPX", "未知或已停用的指标代码：GDPX"),
        ("EXP_M / (1 - 1)", "除以常数零"),
    ]:
        refused = _post(client, "/catalogue", formula=formula, **typed)
        assert refused.status_code == 400 and message in " ".join(_field_errors(refused))
        assert f'value="{formula}"' in refused.text
    assert _post(client, "/catalogue", formula="EXP_M / 100", **typed).status_code == 200
    codes = {i["code"]: i for i in client.get("/catalogue?format=json").json()["indicators"]}
    assert codes["EXP_PER_GDP"]["formula"] == "EXP_M / 100"

    band = _post(
        client,
        "/targets",
        indicator_code="EXP_M",
        region_code="320100",
        year="2025",
        comparator="between",
        value="5",
        value_high="3",
        reason="r",
    )
    assert band.status_code == 400 and "上限低于下限" in " ".join(_field_errors(band))
    early = _post(
        client,
        "/targets",
        indicator_code="EXP_M",
        region_code="320100",
        year="2020",
        comparator="relative",
        base_year="2022",
        base_value="10",
        relative_change="5",
        reason="r",
    )
    assert early.status_code == 400 and "须晚于基期年份" in " ".join(_field_errors(early))
    for value, reason in (("300", "规划纲要"), ("320", "中期调整")):
        saved = _post(
            client,
            "/targets",
            indicator_code="EXP_M",
            region_code="320100",
            year="2025",
            comparator=">=",
            value=value,
            reason=reason,
        )
        assert saved.status_code == 200
    targets = client.get("/api/targets?indicator=EXP_M").json()
    assert [(t["value"], t["revision"], t["note"]) for t in targets] == [(320.0, 2, "中期调整")]
    history = client.get(f"/targets?indicator=EXP_M&key={targets[0]['target_key']}&format=json")
    assert [h["note"] for h in history.json()["history"]] == ["规划纲要", "中期调整"]

    template = client.get("/imports/templates/observations.csv")
    header = next(csv.reader(io.StringIO(template.text.lstrip("\ufeff"))))
    assert header[:4] == ["region_code", "indicator_code", "period", "value"]
    book = load_workbook(io.BytesIO(client.get("/imports/templates/observations.xlsx").content))
    assert [c.value for c in book.active[1]][:4] == header[:4]

    def upload(text: str, name="obs.csv", kind="observations"):
        return client.post(
            "/imports",
            data={"csrf_token": csrf_of(client), "kind": kind},
            files={"file": (name, text.encode())},
        )

    before = _count(database, ObservationRecord)
    wrong_kind = upload("x", name="obs.pdf")
    assert (
        wrong_kind.status_code == 400
        and ".pdf" not in wrong_kind.text.split("field-error")[0][-200:]
    )
    bad = upload(
        "region_code,indicator_code,period,value\n320100,EXP_M,2025-01,abc\n999999,EXP_M,2025-01,3\n"
    )
    assert bad.status_code == 400 and 'id="confirm"' not in bad.text
    problems = json.loads(client.get(f"{bad.url.path}?format=json").text)["problems"]
    assert {(p["row"], p["column"]) for p in problems if p["severity"] == "error"} == {
        (2, "value"),
        (3, "region_code"),
    }
    good = upload(
        "region_code,indicator_code,period,value\n320100,EXP_M,2025-01,25.5\n320200,EXP_M,2025-01,12\n"
    )
    preview = client.get(f"{good.url.path}?format=json").json()
    assert preview["report"]["added"] == 2 and preview["report"]["unchanged"] == 0
    assert _count(database, ObservationRecord) == before  # a preview writes nothing
    confirmed = _post(client, f"{good.url.path}/confirm")
    assert confirmed.status_code == 200 and 'id="confirm"' not in confirmed.text
    assert _count(database, ObservationRecord) == before + 2
    assert _count(database, PendingImport) == 1  # the bad upload waits for cancel
    _post(client, f"{bad.url.path}/cancel")
    assert _count(database, PendingImport) == 0

    refused = _post(client, "/settings", key="delivery.lagging_margin", value="120")
    assert refused.status_code == 400 and _field_errors(refused)
    _post(client, "/settings", key="delivery.lagging_margin", value="7.5")
    settings = client.get("/settings?format=json").json()["settings"]
    (margin,) = [s for s in settings if s["key"] == "delivery.lagging_margin"]
    assert (margin["value"], margin["default"], margin["changed"]["by"]) == (7.5, 15.0, "office")

    # The command line, the API and the audit log say the same.
    shown = CliRunner().invoke(cli, ["tasks", "margin", "--db", database.url])
    assert "7.5" in shown.output, shown.output
    with database.read() as session:
        assert delivery_settings.lagging_margin(session) == 7.5
    values = client.get("/api/observations?indicator=EXP_M").json()
    assert sorted(v["value"] for v in values) == [12.0, 25.5]
    entries = client.get("/api/audit?entity=observations").json()["entries"]
    assert {(e["username"], e["new"]["value"]) for e in entries} >= {
        ("office", 25.5),
        ("office", 12.0),
    }
    (setting,) = client.get("/api/audit?entity=instance_settings").json()["entries"]
    assert (setting["username"], setting["new"]) == ("office", {"value": "7.5"})


def test_checklist_and_crosswalk_imports_preview_like_the_cli(client, database):
    login(client, "office")
    exported = client.get("/tasks/plan/nj-implementation-2020/checklist.xlsx").content
    staged = client.post(
        "/imports",
        data={"csrf_token": csrf_of(client), "kind": "checklists"},
        files={"file": ("nj.xlsx", exported)},
    )
    report = client.get(f"{staged.url.path}?format=json").json()["report"]
    # The plan's own export, read back, changes nothing.
    assert (
        report["added"] == 0
        and report["revised"] == 0
        and report["unchanged"] == report["read"] > 0
    )
    crosswalk = "from_code,to_code,weight,effective_date,note\n330104,999999,1,2021-04-09,x\n"
    staged = client.post(
        "/imports",
        data={"csrf_token": csrf_of(client), "kind": "crosswalk"},
        files={"file": ("cw.csv", crosswalk.encode())},
    )
    preview = client.get(f"{staged.url.path}?format=json").json()
    assert preview["report"] is None and {
        (p.get("row"), p.get("column")) for p in preview["problems"]
    } == {(2, "to_code")}
    steward = client.post("/logout", data={"csrf_token": csrf_of(client)})
    assert steward.status_code in (303, 200)
    login(client, "steward_nj")
    kinds = client.get("/imports?format=json").json()["kinds"]
    assert list(kinds) == ["observations"]
    refused = client.post(
        "/imports",
        data={"csrf_token": csrf_of(client), "kind": "targets"},
        files={"file": ("t.csv", b"x")},
    )
    assert refused.status_code == 403


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_template_previews_without_errors(client, database, fmt):
    login(client, "office")
    page = client.get("/imports?format=json").json()
    imports = page["kinds"]
    for kind in page["templates"]:
        if f".{fmt}" not in imports[kind]:
            assert client.get(f"/imports/templates/{kind}.{fmt}").status_code == 404
            continue
        template = client.get(f"/imports/templates/{kind}.{fmt}")
        assert template.status_code == 200
        staged = client.post(
            "/imports",
            data={"csrf_token": csrf_of(client), "kind": kind},
            files={"file": (f"{kind}.{fmt}", template.content)},
        )
        preview = client.get(f"{staged.url.path}?format=json").json()
        errors = [p for p in preview["problems"] if p["severity"] == "error"]
        assert preview["report"] is not None and errors == [], (kind, errors)
        assert preview["report"]["read"] == 1


def _levels(rows: list[dict]) -> dict:
    return {
        (r["region_code"], r["indicator_code"], r.get("year"), r.get("comparator")): r["warning"]
        for r in rows
    }


def test_warning_thresholds_change_the_stored_warnings(client, database):
    from yrdplan.services.monitor import current_results
    from yrdplan.store.repos.indicators import data_fingerprint

    login(client, "office")
    with database.read() as session:
        before = data_fingerprint(session)
        levels_before = _levels(current_results(session, database).rows)
    refused = _post(client, "/settings", key="warnings.binding_steps", value="1.5")
    assert refused.status_code == 400 and _field_errors(refused) == ["须为 0 到 3 之间的整数"]
    refused = _post(client, "/settings", key="warnings.behind_share", value="2")
    assert _field_errors(refused) == ["须为 0 到 1 之间的数"]
    _post(client, "/settings", key="warnings.behind_share", value="0.01")
    _post(client, "/settings", key="warnings.binding_steps", value="3")
    shown = {s["key"]: s for s in client.get("/settings?format=json").json()["settings"]}
    assert (shown["warnings.behind_share"]["value"], shown["warnings.behind_share"]["default"]) == (
        0.01,
        0.25,
    )
    assert shown["warnings.binding_steps"]["changed"]["by"] == "office"
    with database.read() as session:
        assert data_fingerprint(session) != before  # the stored run no longer matches
        levels_after = _levels(current_results(session, database).rows)
    order = [None, "green", "yellow", "orange", "red"]
    # Stricter rules (any lag raises a level, binding shortfalls go up three) never lower one.
    assert levels_after.keys() == levels_before.keys()
    assert all(order.index(levels_after[k]) >= order.index(levels_before[k]) for k in levels_after)
    assert levels_after != levels_before

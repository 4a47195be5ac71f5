"""The bad input of issue 11, form by form: each refusal comes back with a clear message beside
the field at fault — in Chinese by default, in English for a reader who chose English — with what
was typed, and nothing is written (the audit log, which records every write, does not grow)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from web_helpers import csrf_of, login

from yrdplan.errors import FieldError
from yrdplan.store.schema import AuditEntry, IndicatorRecord, TargetRecord, Unit, User
from yrdplan.web.i18n import MESSAGES

INDICATOR = {"name": "出口占比", "unit": "%", "direction": "higher", "kind": "indicative"}
TARGET = {"indicator_code": "RD_INTENSITY", "region_code": "320100", "reason": "规划纲要"}

#: (case, who, path, form, table, field, Chinese, English)
CASES = [
    (
        "duplicate unit code",
        "office",
        "/units",
        {"code": "nj-kjj", "name": "重复单位", "kind": "department"},
        Unit,
        "code",
        "代码 nj-kjj 已存在，不能重复",
        "nj-kjj exists already",
    ),
    (
        "duplicate indicator code",
        "office",
        "/catalogue",
        {"code": "RD_INTENSITY", **INDICATOR},
        IndicatorRecord,
        "code",
        "代码 RD_INTENSITY 已存在，不能重复",
        "RD_INTENSITY exists already",
    ),
    (
        "duplicate user name",
        "admin",
        "/users",
        {"username": "office", "role": "viewer", "password": "long-enough-1"},
        User,
        "username",
        "代码 office 已存在，不能重复",
        "office exists already",
    ),
    (
        "formula naming an unknown indicator",
        "office",
        "/catalogue",
        {"code": "EXP_SHARE", "formula": "RD_INTENSITY / NO_SUCH", **INDICATOR},
        IndicatorRecord,
        "formula",
        "未知或已停用的指标代码：NO_SUCH",
        "unknown indicator code(s): NO_SUCH",
    ),
    (
        "formula dividing by a constant zero",
        "office",
        "/catalogue",
        {"code": "EXP_SHARE", "formula": "RD_INTENSITY / (2 - 2)", **INDICATOR},
        IndicatorRecord,
        "formula",
        "公式除以常数零",
        "divides by a constant zero",
    ),
    (
        "unit merged into itself",
        "office",
        "/units/merge",
        {"source": "nj-kjj", "target": "nj-kjj"},
        Unit,
        "target",
        "单位不能并入自身",
        "a unit cannot be merged into itself",
    ),
    (
        "target year before its base year",
        "office",
        "/targets",
        {
            **TARGET,
            "comparator": "relative",
            "year": "2015",
            "base_year": "2020",
            "base_value": "2.5",
            "relative_change": "10",
        },
        TargetRecord,
        "year",
        "目标年份 2015 须晚于基期年份",
        "the target year 2015 is not after the base year",
    ),
    (
        "band whose low end is above its high end",
        "office",
        "/targets",
        {**TARGET, "comparator": "between", "year": "2025", "value": "5", "value_high": "3"},
        TargetRecord,
        "value_high",
        "区间上限低于下限",
        "the band's high end is below its low end",
    ),
    (
        "password the policy refuses",
        "admin",
        "/users",
        {"username": "newcomer", "role": "viewer", "password": "short"},
        User,
        "password",
        "密码至少 8 位",
        "at least 8 characters",
    ),
    (
        "own new password the policy refuses",
        "office",
        "/account/password",
        {
            "current_password": "yrdplan-demo",
            "new_password": "short",
            "repeat_password": "short",
        },
        User,
        "new_password",
        "密码至少 8 位",
        "at least 8 characters",
    ),
]


def _count(database, model) -> int:
    with database.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def _beside(page: str, field: str) -> list[str]:
    """The messages shown inside the label of the form control named ``field``."""
    return [
        html.unescape(m)
        for m in re.findall(
            r'<label class="has-error">[^<]*<(?:input|select)[^>]*name="'
            + re.escape(field)
            + r'"[^>]*>\s*(?:</select>\s*)?<span class="field-error" role="alert">([^<]*)</span>',
            page,
        )
    ]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_beside_its_field_and_nothing_is_written(client, database, case, lang):
    _, who, path, form, table, field, zh, en = case
    assert login(client, who).status_code == 303
    if lang == "en":
        client.cookies.set("lang", "en")
    audit, rows = _count(database, AuditEntry), _count(database, table)
    refused = client.post(path, data={"csrf_token": csrf_of(client), **form})
    assert refused.status_code == 400
    assert _beside(refused.text, field) == [zh if lang == "zh" else en]
    for name, value in form.items():
        if "password" not in name:  # what was typed comes back, never a password
            assert f'value="{value}"' in refused.text or f">{value}<" in refused.text, name
    assert (_count(database, AuditEntry), _count(database, table)) == (audit, rows)

    # The API's answer names the field, in English, with the reader's message beside it.
    answer = client.post(path, json=form, headers={"X-CSRF-Token": csrf_of(client)})
    assert answer.status_code == 400
    assert answer.json()["field"] == field and answer.json()["message"] == (
        zh if lang == "zh" else en
    )
    assert _count(database, AuditEntry) == audit


def test_every_field_error_names_a_text_key_in_both_languages():
    source = Path(__file__).resolve().parents[1] / "yrdplan"
    calls = keys = 0
    for path in source.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for call in re.finditer(r"raise FieldError\(", text):
            calls += 1
            # The key is the third argument: find it in the call's text.
            body = text[call.end() : call.end() + 400]
            found = re.search(r'"(fe\.[a-z_]+)"|allowed\.pop\("key"\)', body)
            assert found, f"{path.name}: a FieldError without a text key: {body[:80]!r}"
            if found.group(1):
                keys += 1
                zh, en = MESSAGES[found.group(1)]
                assert zh and en
    assert calls > 50 and keys == calls - 1
    error = FieldError("code", "x exists already", "fe.exists", code="x")
    assert (error.field, error.key, error.params) == ("code", "fe.exists", {"code": "x"})

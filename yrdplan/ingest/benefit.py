"""Read the files of benefit sharing: agreements (TOML or JSON), sites and site observations.

Like every reader here, these return what they read plus problems and never write. An agreement
file is one agreement; its layout is in ``docs/benefit_sharing.md``.
"""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import dataclass

from yrdplan.domain.agreements import SITE_KINDS, AgreementSpec, Party, SiteValue, check_spec
from yrdplan.domain.problems import Problem, Reading
from yrdplan.ingest.source import Readable, as_source
from yrdplan.ingest.tables import (
    Table,
    cell_text,
    is_missing,
    normalise_period,
    open_table,
    parse_number,
)

SITE_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("code", "site_code", "断面代码", "代码", "编码"),
    "name": ("name", "名称", "断面名称"),
    "kind": ("kind", "类型"),
    "river": ("river", "河流", "流域"),
    "upstream_code": ("upstream_code", "上游地区代码", "上游"),
    "downstream_code": ("downstream_code", "下游地区代码", "下游"),
    "host_code": ("host_code", "所在地区代码", "所在地区"),
    "longitude": ("longitude", "lon", "经度"),
    "latitude": ("latitude", "lat", "纬度"),
    "note": ("note", "备注", "说明"),
}

SITE_OBSERVATION_COLUMNS: dict[str, tuple[str, ...]] = {
    "site_code": ("site_code", "site", "section_code", "断面代码", "断面", "站点代码"),
    "indicator_code": ("indicator_code", "指标代码", "指标"),
    "period": ("period", "year", "时期", "年份", "年度", "年"),
    "value": ("value", "数值", "值", "浓度", "年均浓度"),
    "source": ("source", "来源", "数据来源"),
    "vintage": ("vintage", "版本", "数据版本"),
    "note": ("note", "备注", "说明"),
}


def _problem(file: str, message: str, column: str | None = None) -> Problem:
    return Problem(kind="agreement", message=message, file=file, column=column)


@dataclass(frozen=True, slots=True)
class AgreementFile:
    """One agreement file: its terms, and the reason it gives for this version (may be "")."""

    spec: AgreementSpec
    reason: str = ""


def read_agreement(source: Readable, *, name: str | None = None) -> Reading[AgreementFile]:
    """The agreement in a TOML or JSON file (on disk or uploaded) and the problems found.

    ``records`` holds the one agreement, or nothing when any problem is an error; each problem
    names the field (as ``column``).
    """
    found = as_source(source, name)
    name = found.name
    try:
        raw = found.read_bytes()
    except OSError as err:
        return Reading([], [_problem(name, f"cannot read: {err.strerror or err}")])
    try:
        if found.suffix == ".json":
            data = json.loads(raw.decode("utf-8-sig"))
        else:
            data = tomllib.loads(raw.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as err:
        kind = found.suffix.lstrip(".") or "TOML"
        return Reading([], [_problem(name, f"not valid {kind}: {err}")])
    if not isinstance(data, dict):
        return Reading([], [_problem(name, "the file must hold one agreement (a table)")])
    problems: list[Problem] = []
    parties: list[Party] = []
    for index, entry in enumerate(data.get("parties") or []):
        if not isinstance(entry, dict):
            problems.append(_problem(name, "a table is required", f"parties[{index}]"))
            continue
        parties.append(
            Party(
                region_code=str(entry.get("region", "")).strip(),
                role=str(entry.get("role", "")).strip(),
                name=str(entry.get("name", "")).strip(),
            )
        )
    years = {}
    for key in ("start", "end"):
        value = data.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not 1900 < value < 2200:
            problems.append(_problem(name, "a year is required", key))
        years[key] = value if isinstance(value, int) else 0
    for key in ("inputs", "parameters"):
        if not isinstance(data.get(key, {}), dict):
            problems.append(_problem(name, "a table is required", key))
    known = {
        "code", "name", "kind", "start", "end", "parties", "inputs", "parameters", "office",
        "currency_unit", "note", "reason",
    }  # fmt: skip
    for key in sorted(set(data) - known):
        problems.append(_problem(name, "unknown field", key))
    if problems:
        return Reading([], problems)
    spec = AgreementSpec(
        code=str(data.get("code", "")).strip(),
        name=str(data.get("name", "")).strip(),
        kind=str(data.get("kind", "")).strip(),
        start_year=years["start"],
        end_year=years["end"],
        parties=parties,
        inputs=dict(data.get("inputs", {})),
        parameters=dict(data.get("parameters", {})),
        office=str(data.get("office", "")).strip(),
        currency_unit=str(data.get("currency_unit", "万元")).strip() or "万元",
        note=str(data.get("note", "")).strip(),
    )
    for message in check_spec(spec):
        field_name, _, text = message.partition(": ")
        problems.append(_problem(name, text or message, field_name))
    if problems:
        return Reading([], problems)
    return Reading([AgreementFile(spec, str(data.get("reason", "")).strip())], problems)


def _text(table: Table, row, column: str) -> str:
    cell = table.cell(row, column)
    return "" if is_missing(cell) else cell_text(cell).strip()


def read_sites(source: Readable, *, name: str | None = None) -> Reading[dict]:
    """Sites from a CSV or Excel table: code, name, kind (section, park, fund), and the rest."""
    table = open_table(source, SITE_COLUMNS, name=name)
    problems = table.require("code", "name", "kind")
    if problems:
        return Reading([], problems)
    sites: list[dict] = []
    seen: set[str] = set()
    for row in table.rows:
        site = {column: _text(table, row, column) for column in SITE_COLUMNS}
        where = {"row": row.number}
        if not site["code"]:
            problems.append(table.problem("value", "a code is required", column="code", **where))
            continue
        if site["code"] in seen:
            problems.append(
                table.problem("duplicate", "code appears twice", column="code", **where)
            )
        seen.add(site["code"])
        if site["kind"] not in SITE_KINDS:
            problems.append(
                table.problem(
                    "value",
                    f"kind must be one of {', '.join(SITE_KINDS)}",
                    column=table.label_of("kind"),
                    value=site["kind"],
                    **where,
                )
            )
        for column in ("upstream_code", "downstream_code", "host_code"):
            code = site[column]
            if code and not (len(code) == 6 and code.isdigit()):
                problems.append(
                    table.problem(
                        "value",
                        "a six-digit region code",
                        column=table.label_of(column),
                        value=code,
                        **where,
                    )
                )
            site[column] = code or None
        for column in ("longitude", "latitude"):
            text = site[column]
            try:
                site[column] = parse_number(text) if text else None
            except ValueError:
                problems.append(
                    table.problem(
                        "value", "not a number", column=table.label_of(column), value=text, **where
                    )
                )
        sites.append(site)
    return Reading(sites, problems + table.problems)


def read_site_observations(
    table_source: Readable, *, source: str = "", vintage: str = "", name: str | None = None
) -> Reading[SiteValue]:
    """Observations at sites, long format: site_code, indicator_code, period, value[, source,
    vintage, note]. ``source`` and ``vintage`` fill rows that lack them."""
    table = open_table(table_source, SITE_OBSERVATION_COLUMNS, name=name)
    problems = table.require("site_code", "indicator_code", "period", "value")
    if problems:
        return Reading([], problems)
    values: list[SiteValue] = []
    for row in table.rows:
        where = {"row": row.number}
        site = _text(table, row, "site_code")
        indicator = _text(table, row, "indicator_code")
        if not site or not indicator:
            column = "site_code" if not site else "indicator_code"
            problems.append(
                table.problem("value", "required", column=table.label_of(column), **where)
            )
            continue
        try:
            period = normalise_period(table.cell(row, "period"))
        except ValueError as err:
            problems.append(
                table.problem(
                    "period",
                    str(err),
                    column=table.label_of("period"),
                    value=cell_text(table.cell(row, "period")),
                    **where,
                )
            )
            continue
        cell = table.cell(row, "value")
        if is_missing(cell):
            problems.append(
                table.problem(
                    "missing",
                    "no value: leave the row out instead (a missing observation is no row)",
                    column=table.label_of("value"),
                    **where,
                )
            )
            continue
        try:
            value = parse_number(cell)
        except ValueError as err:
            problems.append(
                table.problem(
                    "value",
                    str(err),
                    column=table.label_of("value"),
                    value=cell_text(cell),
                    **where,
                )
            )
            continue
        if not math.isfinite(value) or value < 0:
            problems.append(
                table.problem(
                    "value",
                    "must be a non-negative number",
                    column=table.label_of("value"),
                    value=cell_text(cell),
                    **where,
                )
            )
            continue
        values.append(
            SiteValue(
                site_code=site,
                indicator_code=indicator,
                period=period,
                value=value,
                source=_text(table, row, "source") or source,
                vintage=_text(table, row, "vintage") or vintage,
                note=_text(table, row, "note"),
                row=row.number,
            )
        )
    return Reading(values, problems + table.problems)

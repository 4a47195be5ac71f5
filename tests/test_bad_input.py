"""Bad input to every write route: a clear 4xx naming the field (or the file), and nothing written.

The routes are the app's own (``app_routes``), so a new form, JSON body or upload is swept as soon
as it exists. Each unsafe route is sent, by a user who may use it (the admin), every kind of bad
input that fits it:

- to every route, a JSON body that is over the limit, truncated, 100,000 levels deep, not UTF-8,
  or GBK-encoded;
- in a text field, in the route's own encoding (JSON, form or upload form): a 1 MB string, C0 and
  C1 control characters, NUL, U+2028 and U+2029; in a form or upload form also bytes that are
  not UTF-8 and GBK-encoded text;
- where the route reads fields, each of them with a value of the wrong type;
- to every import route, a truncated .xlsx and a truncated .zip, and a file over the upload limit.

Each answer must be a 4xx whose body names the field or file, and the row count of every table
(the audit log among them) must be what it was.
"""

from __future__ import annotations

import inspect
import io
import json
import typing
import zipfile
from dataclasses import dataclass, field

from access_matrix import client_as, fill, path_values, routes_of
from fastapi import UploadFile
from fastapi.params import Body, File, Form
from pydantic import BaseModel
from sqlalchemy import create_engine, text
from web_helpers import app_routes, csrf_of

from yrdplan.settings import load_settings
from yrdplan.store.database import connect
from yrdplan.store.schema import Base
from yrdplan.web.app import create_app

UPLOAD_MB = 1  # small, so that "over the limit" is cheap to send
# Touched by any signed-in request (a session's last use), not by what a route does.
NOT_WRITES = {"web_sessions", "login_attempts"}
# Sweeping these would end the walk's own session or sign someone in.
SKIPPED = {("POST", "/logout"), ("POST", "/login")}
# What an upload form needs besides its file, so that the file itself is what is refused.
UPLOAD_FIELDS = {"what": "data", "kind": "guidance", "code": "bad-input", "reason": "测试"}
# Evidence is any file a unit attaches; a truncated spreadsheet is still a file it may keep.
EVIDENCE = ("evidence",)


@dataclass
class Shape:
    """What a route reads: declared JSON fields, form fields, files, or fields read by hand."""

    method: str
    path: str
    json_fields: dict[str, typing.Any] = field(default_factory=dict)
    form_fields: dict[str, typing.Any] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    reads_json: bool = False  # takes a JSON body: declared, or read by hand (office pages)

    @property
    def encoding(self) -> str:
        if self.files:
            return "multipart"
        if self.json_fields:
            return "json"
        return "form"

    @property
    def text_field(self) -> str:
        for name, annotation in {**self.json_fields, **self.form_fields}.items():
            if str in _leaf_types(annotation):
                return name
        return "name"


def _leaf_types(annotation) -> set:
    args = typing.get_args(annotation)
    if not args:
        return {annotation}
    return {leaf for arg in args for leaf in _leaf_types(arg)}


def _shape(method: str, route) -> Shape:
    shape = Shape(method, route.path)
    for param in route.dependant.body_params:
        info, annotation = param.field_info, param.field_info.annotation
        if isinstance(info, File) or UploadFile in _leaf_types(annotation):
            shape.files.append(param.name)
        elif isinstance(info, Form):
            shape.form_fields[param.name] = annotation
        elif isinstance(info, Body):
            if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
                shape.json_fields.update(
                    {name: f.annotation for name, f in annotation.model_fields.items()}
                )
            else:
                shape.json_fields[param.name] = annotation
    # The office pages read their fields themselves, from a form or a JSON body alike.
    source = inspect.getsource(route.endpoint)
    shape.reads_json = bool(shape.json_fields) or any(
        word in source for word in ("_fields(", "_form_action(")
    )
    return shape


def write_shapes(app) -> list[Shape]:
    by_key = {}
    for route in app_routes(app):
        for method in route.methods or ():
            by_key[(method, route.path)] = route
    return [
        _shape(method, by_key[(method, path)])
        for method, path in routes_of(app)
        if method in ("POST", "PUT", "PATCH", "DELETE") and (method, path) not in SKIPPED
    ]


def _xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["region_code", "indicator_code", "period", "value"])
    book.active.append(["320100", "GDP", "2024", 1.0])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("data.csv", "region_code,value\n320100,1\n" * 200)
    return out.getvalue()


@dataclass
class Probe:
    """One bad request: its body, and what the answer must name."""

    kind: str
    names: tuple[str, ...]
    json_body: bytes | None = None
    form: dict | None = None
    files: dict | None = None
    statuses: tuple[int, ...] = (400, 413, 415, 422)


def _text_probes(shape: Shape, kind: str, value: str) -> list[Probe]:
    name = shape.text_field
    if shape.encoding == "json":
        body = json.dumps({name: value}, ensure_ascii=False).encode()
        return [Probe(kind, (name,), json_body=body)]
    files = {f: ("data.csv", b"region_code,value\n320100,1\n", "text/csv") for f in shape.files}
    return [Probe(kind, (name,), form={name: value}, files=files or None)]


TEXTS = {
    "1 MB string": "长" * 10 + "x" * 1_000_000,
    "C0 control": "进展\x01说明",
    "NUL": "进展\x00说明",
    "C1 control": "进展\x85说明",
    "U+2028": "第一行\u2028第二行",
    "U+2029": "第一段\u2029第二段",
}


def probes_of(shape: Shape) -> list[Probe]:
    body = "request body"
    probes = [
        Probe("oversized JSON", (body,), json_body=b'{"a": "' + b"x" * 1_100_000 + b'"}'),
        Probe("truncated JSON", (body,), json_body=b'{"name": "abc'),
        Probe("deep JSON", (body,), json_body=b"[" * 100_000),
        Probe("not UTF-8 JSON", (body,), json_body=b'{"name": "\xff\xfe"}'),
        Probe("GBK JSON", (body,), json_body='{"name": "南京市科技局"}'.encode("gbk")),
    ]
    for kind, value in TEXTS.items():
        probes += _text_probes(shape, kind, value)
    name = shape.text_field
    if shape.encoding == "form":
        for kind, raw in (("not UTF-8 form", "%FF%FE"), ("GBK form", "%C4%CF%BE%A9")):
            probes.append(Probe(kind, (name,), form={name: raw}))
    elif shape.encoding == "multipart":
        upload = {
            f: ("data.csv", b"region_code,value\n320100,1\n", "text/csv") for f in shape.files
        }
        for kind, raw in (("not UTF-8 form", b"\xff\xfe"), ("GBK form", "南京市".encode("gbk"))):
            # A text field of the upload form (no file name), its bytes as they are.
            probes.append(Probe(kind, (name,), form={}, files=upload | {name: (None, raw)}))
    if shape.reads_json:
        probes.append(Probe("JSON array for object", (body, "body"), json_body=b"[1, 2, 3]"))
        for name in shape.json_fields:
            probes.append(
                Probe(
                    f"wrong type: {name}",
                    (name,),
                    json_body=json.dumps({name: {"x": [1]}}).encode(),
                )
            )
    for name, annotation in shape.form_fields.items():
        if int in _leaf_types(annotation) or bool in _leaf_types(annotation):
            probes.append(Probe(f"wrong type: {name}", (name,), form={name: "不是数字"}))
    if shape.files and not any(word in shape.path or word in shape.files for word in EVIDENCE):
        upload = shape.files[0]
        for kind, name, content in (
            ("truncated xlsx", "data.xlsx", _xlsx()[:700]),
            ("truncated zip", "data.zip", _zip()[:300]),
            ("oversized upload", "big.csv", b"x" * (UPLOAD_MB * 1024 * 1024 + 10)),
        ):
            probes.append(
                Probe(
                    kind,
                    (name, "request body"),
                    form=dict(UPLOAD_FIELDS),
                    files={upload: (name, content, "application/octet-stream")},
                )
            )
    return probes


def _counts(engine) -> dict[str, int]:
    tables = sorted(set(Base.metadata.tables) - NOT_WRITES)
    query = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in tables)
    with engine.connect() as connection:
        return dict(connection.execute(text(query)).all())


def _send(client, method: str, url: str, token: str, probe: Probe):
    headers = {"X-CSRF-Token": token}
    if probe.json_body is not None:
        headers["content-type"] = "application/json"
        return client.request(method, url, content=probe.json_body, headers=headers)
    if probe.files:
        return client.request(method, url, data=probe.form, files=probe.files, headers=headers)
    # A URL-encoded form built by hand, so that raw escapes (%FF) go out as they are.
    form = "&".join(
        f"{k}={v}" if v.startswith("%") else f"{k}={_quote(v)}" for k, v in probe.form.items()
    )
    headers["content-type"] = "application/x-www-form-urlencoded"
    return client.request(method, url, content=form.encode(), headers=headers)


def _quote(value: str) -> str:
    from urllib.parse import quote_plus

    return quote_plus(value)


def sweep(url: str, kinds: set[str] | None = None) -> tuple[list[str], int]:
    database = connect(url)
    app = create_app(load_settings(database_url=url, max_upload_mb=UPLOAD_MB), database)
    values = path_values(database)
    client = client_as(app, "admin")
    token = csrf_of(client)
    engine = create_engine(url)
    failures, sent = [], 0
    before = _counts(engine)
    for shape in write_shapes(app):
        target = fill(shape.path, values)
        for probe in probes_of(shape):
            if kinds is not None and probe.kind not in kinds:
                continue
            sent += 1
            response = _send(client, shape.method, target, token, probe)
            where = f"{shape.method} {shape.path} [{probe.kind}]"
            answer = response.text
            if response.status_code not in probe.statuses:
                failures.append(f"{where}: {response.status_code} {answer[:200]}")
            elif not any(name in answer for name in probe.names):
                failures.append(f"{where}: does not name {probe.names}: {answer[:200]}")
            after = _counts(engine)
            if after != before:
                changed = {t: (before[t], after[t]) for t in after if after[t] != before[t]}
                failures.append(f"{where}: wrote {changed}")
                before = after
    engine.dispose()
    database.dispose()
    return failures, sent


def test_every_write_route_refuses_bad_input_naming_the_field_sqlite(default_url):
    failures, sent = sweep(default_url)
    assert sent > 500
    assert failures == [], "\n".join(failures)


# On PostgreSQL, the inputs whose harm is its own (NUL and lone surrogates cannot be stored,
# long strings overflow VARCHAR columns, invalid bytes reach the driver): every route, fewer kinds.
PG_KINDS = {"1 MB string", "NUL", "C1 control", "U+2028", "not UTF-8 JSON", "GBK form", "deep JSON"}


def test_every_write_route_refuses_bad_input_on_postgresql(pg_default_url):
    failures, sent = sweep(pg_default_url, PG_KINDS)
    assert sent > 200
    assert failures == [], "\n".join(failures)


def test_a_text_longer_than_its_column_is_refused_naming_the_field(any_default_url):
    # Under the sweep's limit, over the column's: PostgreSQL would fail mid-statement (a 500)
    # and SQLite would keep it; both refuse it before the row is sent.
    database = connect(any_default_url)
    app = create_app(load_settings(database_url=any_default_url), database)
    client = client_as(app, "office")
    token = csrf_of(client)  # the first page computes and stores what the pages read
    engine = create_engine(any_default_url)
    before = _counts(engine)
    refused = client.post(
        "/units/nj-kjj",
        data={"csrf_token": token, "name": "南京市科学技术局" * 40, "kind": "department"},
    )
    assert refused.status_code == 400
    assert "不能超过 200 个字符" in refused.text and 'name="name"' in refused.text
    assert _counts(engine) == before
    engine.dispose()
    database.dispose()

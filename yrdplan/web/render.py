"""Build the data, then render it: every page's dict is also served as its JSON twin."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, Response

from yrdplan.domain.people import ROLE_LABELS_EN, ROLE_LABELS_ZH, UserInfo
from yrdplan.web.deps import csrf_token, language
from yrdplan.web.i18n import translate


def wants_json(request: Request) -> bool:
    if request.query_params.get("format") == "json":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def render(
    request: Request,
    template: str,
    data: dict[str, Any],
    user: UserInfo | None,
    status_code: int = 200,
    extra: dict[str, Any] | None = None,
) -> Response:
    """The page ``template`` over ``data``, or ``data`` as JSON for ``?format=json``.

    ``extra`` holds what only the HTML needs (a rendered map, say), never data of its own.
    """
    if wants_json(request):
        return json_response(data, status_code)
    lang = language(request)
    context = {
        "request": request,
        "data": data,
        "user": user,
        "lang": lang,
        "t": lambda key: translate(key, lang),
        "role_label": (ROLE_LABELS_EN if lang == "en" else ROLE_LABELS_ZH).get(user.role, user.role)
        if user
        else "",
        "csrf_token": csrf_token(request),
        "json_url": _json_url(request),
        **(extra or {}),
    }
    templates = request.app.state.templates
    html = templates.get_template(template).render(context)
    return HTMLResponse(html, status_code=status_code)


def json_response(data: Any, status_code: int = 200) -> Response:
    """``data`` as JSON, as ``JSONResponse(jsonable_encoder(data))`` would write it, but faster.

    The standard encoder writes plain dicts, lists, strings and numbers in C; only what it does
    not know (dates, models, sets) goes through FastAPI's encoder, one value at a time.
    """
    try:
        body = json.dumps(
            data,
            ensure_ascii=False,
            allow_nan=False,
            separators=(",", ":"),
            default=jsonable_encoder,
        ).encode()
    except ValueError:  # NaN or infinity: keep FastAPI's way of failing
        return JSONResponse(jsonable_encoder(data), status_code=status_code)
    return Response(body, status_code=status_code, media_type="application/json")


def _json_url(request: Request) -> str:
    query = dict(request.query_params) | {"format": "json"}
    return f"{request.url.path}?{urlencode(query)}"

"""The web application factory: settings in, app out; nothing is created at import time."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from yrdplan import __version__
from yrdplan.errors import ConflictError, InputError, NotFoundError, PermissionDenied, YrdplanError
from yrdplan.settings import Settings, load_settings
from yrdplan.store.database import Database, connect
from yrdplan.store.repos.instance_settings import read_setting
from yrdplan.web.access import require_login_unless_public
from yrdplan.web.delivery_words import TEMPLATE_GLOBALS
from yrdplan.web.deps import LoginRequired, PasswordChangeRequired, optional_user
from yrdplan.web.http_cache import HttpCacheMiddleware, static_url
from yrdplan.web.i18n import MESSAGES
from yrdplan.web.input_guard import InputGuard
from yrdplan.web.middleware import BodySizeLimit, ResponseHeaders
from yrdplan.web.render import render, wants_json
from yrdplan.web.routes import ROUTERS

# JSON bodies and plain forms are small; only multipart uploads may use max_upload_mb.
FORM_BODY_BYTES = 1024 * 1024

_STATUS = {
    NotFoundError: 404,
    PermissionDenied: 403,
    ConflictError: 409,
    InputError: 400,
    LoginRequired: 401,
}


def _session_secret(settings: Settings, database: Database) -> str:
    if settings.secret_key:
        return settings.secret_key
    with database.read() as session:
        secret = read_setting(session, "session_secret")
    if not secret:
        raise YrdplanError(
            f"{database.where}: no session key stored; run `yrdplan init` or set YRDPLAN_SECRET_KEY"
        )
    return secret


def _plotly_js() -> Path:
    # The plotly.js bundle ships inside the plotly wheel; served from there, never from a CDN.
    import plotly

    return Path(plotly.__file__).parent / "package_data"


def _swagger_ui() -> Path:
    # Swagger UI from its wheel (FastAPI's default page loads it from a CDN).
    from swagger_ui_bundle import swagger_ui_path

    return Path(str(swagger_ui_path))


API_DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>yrdplan API</title>
<link rel="stylesheet" href="/static/swagger/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/swagger/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script>
</body></html>
"""


def _api_docs() -> HTMLResponse:
    return HTMLResponse(API_DOCS_PAGE)


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or load_settings()
    database = database or connect(settings.database_url)
    app = FastAPI(
        title="yrdplan",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        # Fail closed: every route needs a signed-in user unless web/access.py lists it public.
        dependencies=[Depends(require_login_unless_public)],
    )
    app.state.settings = settings
    app.state.database = database
    template_dir = resources.files("yrdplan.web") / "templates"
    app.state.templates = Environment(
        loader=FileSystemLoader(str(template_dir)),
        autoescape=select_autoescape(["html"]),
        auto_reload=False,
    )
    app.state.secret_key = _session_secret(settings, database)
    app.state.templates.globals["static_url"] = static_url
    # For a code that may have no text (an option shown as it is then).
    app.state.templates.globals["has_text"] = MESSAGES.__contains__
    app.state.templates.globals.update(TEMPLATE_GLOBALS)
    upload_bytes = settings.max_upload_mb * 1024 * 1024
    # Added last runs first: the body limit sees a request before anything reads it; the
    # security headers go on every answer, the caching layer's 304s included; bad input in a
    # form or JSON body is refused before any handler runs.
    app.add_middleware(InputGuard, answer=error_response)
    app.add_middleware(HttpCacheMiddleware)
    app.add_middleware(ResponseHeaders)
    app.add_middleware(
        BodySizeLimit, upload_bytes=upload_bytes, other_bytes=min(upload_bytes, FORM_BODY_BYTES)
    )
    app.mount("/static/vendor", StaticFiles(directory=_plotly_js()), name="vendor")
    app.mount("/static/swagger", StaticFiles(directory=_swagger_ui()), name="swagger")
    app.mount(
        "/static",
        StaticFiles(directory=str(resources.files("yrdplan.web") / "static")),
        name="static",
    )
    for router in ROUTERS:
        _declare_errors(router)
        app.include_router(router)
    app.add_api_route("/api/docs", _api_docs, include_in_schema=False)
    _add_error_handlers(app)
    return app


class ErrorPublic(BaseModel):
    """Every refusal: one line that says what is wrong (and, on a conflict, what changed)."""

    error: str
    changes: dict | None = None


# The statuses any API operation may answer besides its own: the OpenAPI schema says so, and
# the API fuzzing tests hold every response to it.
ERROR_RESPONSES = {
    status: {"model": ErrorPublic, "description": description}
    for status, description in [
        (400, "Bad input: the message names the field or row"),
        (401, "Not signed in, or an invalid token"),
        (403, "Not allowed for your role, unit or regions; or a missing CSRF token"),
        (404, "No such record (or not yours to see)"),
        (409, "Changed by someone else since you read it, or not in a state that allows this"),
        (413, "Request body over the limit"),
    ]
}


# A page in the schema answers HTML to a browser and its JSON twin to `?format=json` or
# `Accept: application/json`; its refusals come as an HTML error page or as JSON alike.
HTML = {"text/html": {"schema": {"type": "string"}}}
PAGE_RESPONSES = {
    200: {"description": "The page (HTML), or its JSON twin", "content": HTML},
} | {
    status: response | {"content": HTML | {"application/json": {}}}
    for status, response in ERROR_RESPONSES.items()
}


def _declare_errors(router) -> None:
    for route in router.routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        if route.path.startswith("/api/"):
            route.responses = ERROR_RESPONSES | route.responses
        else:
            # A page's file (a statement, a template) keeps the HTML too: a visitor who must
            # log in first is answered with the log-in page.
            own = route.responses.get(200, {})
            answer = PAGE_RESPONSES[200] | own
            answer["content"] = HTML | own.get("content", {})
            route.responses = PAGE_RESPONSES | route.responses | {200: answer}


def _allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method some route serves at ``path`` (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in app.router.routes:
        contexts = (
            route.effective_route_contexts()
            if hasattr(route, "effective_route_contexts")
            else [route]
        )
        for context in contexts:
            if getattr(context, "methods", None) and context.path_regex.match(path):
                methods |= context.methods
    return sorted(methods)


def _here(request: Request) -> str:
    """The path and query of ``request``, quoted for a ``next=`` parameter."""
    query = request.url.query
    return quote(request.url.path + (f"?{query}" if query else ""), safe="/")


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def handle_http_error(request: Request, err: StarletteHTTPException) -> Response:
        headers = dict(err.headers or {})
        if err.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(app, request.url.path))
            message = f"method {request.method} is not allowed here; use {headers['Allow']}"
        else:
            message = str(err.detail)
        return JSONResponse({"error": message}, status_code=err.status_code, headers=headers)

    app.add_exception_handler(YrdplanError, error_response)


async def error_response(request: Request, err: YrdplanError) -> Response:
    """How every refusal is answered: JSON to the API, else the error page (or a redirect)."""
    status = next((code for kind, code in _STATUS.items() if isinstance(err, kind)), 400)
    is_api = request.url.path.startswith("/api/")
    if isinstance(err, LoginRequired) and not is_api and not wants_json(request):
        return RedirectResponse(f"/login?next={_here(request)}", status_code=303)
    if isinstance(err, PasswordChangeRequired) and not is_api and not wants_json(request):
        return RedirectResponse("/account", status_code=303)
    if is_api or wants_json(request):
        body = {"error": str(err)}
        if isinstance(err, ConflictError) and err.changes:
            body["changes"] = err.changes
        return JSONResponse(jsonable_encoder(body), status_code=status)
    user = None
    try:
        with request.app.state.database.read() as session:
            user = optional_user(request, session)
    except YrdplanError:
        user = None
    # An error may bring its own page (the closed public portal, say).
    template = getattr(err, "template", "error.html")
    return render(
        request, template, {"status": status, "message": str(err)}, user, status_code=status
    )

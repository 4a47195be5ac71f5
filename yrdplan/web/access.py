"""Who may reach a route without logging in: a short, explicit list; everything else needs a user.

``require_login_unless_public`` is a dependency of the whole app (``create_app`` passes it to
``FastAPI(dependencies=…)``), so it runs before any route's own dependencies, body checks
included. A route missing from ``PUBLIC_ROUTES`` is closed to anonymous visitors by default:
pages send them to ``/login?next=…``, the API answers 401 with the error model. What a signed-in
user may do is left to the route and its use case, unchanged.

Static files (``/static``) and the OpenAPI schema (``/api/openapi.json``) are not routes with
dependencies and are public by construction (the schema is listed all the same).
"""

from __future__ import annotations

from fastapi import Request

from yrdplan.web.deps import LoginRequired, OptionalUser

# (method, route path as declared). HEAD is checked as GET.
PUBLIC_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        # logging in and out, the language switch, the API's documentation
        ("GET", "/login"),
        ("POST", "/login"),
        ("POST", "/logout"),  # a lapsed session's log-out button still works
        ("GET", "/lang/{code}"),
        ("GET", "/api/docs"),
        ("GET", "/api/openapi.json"),  # not an APIRoute: open by construction, listed to say so
        # the home page: its handler sends an anonymous visitor to the portal (or to log in
        # when the office has closed the portal)
        ("GET", "/"),
        # the public portal (公众参与): what is published, and the feedback form; each answers
        # "closed" while the office has switched the portal off (services/portal.py)
        ("GET", "/public"),
        ("GET", "/public/bulletins/{bulletin_id}"),
        ("GET", "/public/bulletins/{bulletin_id}/files/{fmt}"),
        ("POST", "/public/feedback"),
        ("POST", "/api/feedback"),
    }
)


def is_public(method: str, path: str) -> bool:
    """Whether an anonymous visitor may reach the route ``method path`` (as declared)."""
    return ("GET" if method == "HEAD" else method, path) in PUBLIC_ROUTES


def require_login_unless_public(request: Request, user: OptionalUser) -> None:
    """Refuse an anonymous request to any route not in ``PUBLIC_ROUTES``.

    The user is resolved once per request: routes that ask for ``OptionalUser`` or
    ``CurrentUser`` get the same answer from FastAPI's dependency cache.
    """
    if user is not None:
        return
    route = request.scope.get("route")
    if route is None or not is_public(request.method, route.path):
        raise LoginRequired("log in first")

"""Helpers for tests that drive the web app as a browser would."""

import re


def login(client, username: str, password: str = "yrdplan-demo"):
    """Log in through the form as a browser would (CSRF token from the page)."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )


def csrf_of(client) -> str:
    page = client.get("/")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def all_routes(app):
    """Every route with its full path and methods; FastAPI ≥ 0.16x nests included routers in
    ``app.routes`` (``_IncludedRouter``), so they are flattened here."""
    for route in app.routes:
        if hasattr(route, "effective_route_contexts"):
            yield from route.effective_route_contexts()
        elif hasattr(route, "methods"):
            yield route

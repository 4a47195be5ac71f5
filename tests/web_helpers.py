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
    """The CSRF token of the client's session (or, before log-in, of its CSRF cookie)."""
    for path in ("/", "/login"):
        found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
        if found:
            return found.group(1)
    raise AssertionError("no page carries a CSRF token")


def app_routes(app):
    """Every route with its full path and methods; FastAPI ≥ 0.16x nests included routers in
    ``app.routes`` (``_IncludedRouter``), so they are flattened here."""
    for route in app.routes:
        if hasattr(route, "effective_route_contexts"):
            yield from route.effective_route_contexts()
        elif hasattr(route, "methods"):
            yield route


def publish_a_bulletin(database) -> int:
    """A 通报 of the latest reporting cycle, published: what the public portal shows."""
    from yrdplan.domain.people import SYSTEM_CALLER
    from yrdplan.services import bulletins
    from yrdplan.store.repos import tasks as task_repo

    with database.write() as session:
        cycle = max(task_repo.cycles(session), key=lambda c: c.id)
        bulletin = bulletins.create_bulletin(session, SYSTEM_CALLER, cycle_id=cycle.id)
        return bulletins.publish(session, SYSTEM_CALLER, bulletin.id).id

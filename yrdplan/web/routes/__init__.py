"""Route modules, one per area; each exposes ``router``. ``ROUTERS`` is the app's list."""

from yrdplan.web.routes import auth, home, plans, regions

ROUTERS = [auth.router, home.router, regions.router, plans.router]

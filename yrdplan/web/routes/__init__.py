"""Route modules, one per area; each exposes ``router``. ``ROUTERS`` is the app's list."""

from yrdplan.web.routes import (
    accounts,
    audit,
    auth,
    benefit,
    bulletins,
    cycles,
    delivery_api,
    home,
    indicators,
    office,
    plans,
    regional,
    regions,
    tasks,
    warnings,
)

ROUTERS = [
    auth.router,
    accounts.router,
    audit.router,
    home.router,
    regions.router,
    plans.router,
    indicators.router,
    warnings.router,
]
# delivery tracking; cycles before tasks, so /tasks/mine is not read as /tasks/{task_id}
ROUTERS += [cycles.router, tasks.router, delivery_api.router]
ROUTERS += [regional.router]  # regional coordination
ROUTERS += [benefit.router]  # benefit sharing and compensation
# bulletins, evaluations and the public portal
ROUTERS += [bulletins.router]
# running the office from the browser (issue 11)
ROUTERS += [office.router]

"""Authorization fails closed: every use case takes its caller, and a missing caller gets nothing.

The use cases are found by reading the services package, not listed by hand, so a new one that
forgets its caller check fails here.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import yrdplan.services as services_package
from yrdplan.domain.people import SYSTEM_CALLER, UserInfo
from yrdplan.errors import PermissionDenied

# Readers whose ``user=None`` is an anonymous visitor, who gets the public view (confirmed plans,
# aggregate completion, published warnings) and never more than a signed-in viewer.
ANONYMOUS_READERS = {
    "plan_summaries",
    "readable_plan",
    "readable_version",
    "may_read_drafts",
    # bulletins: anyone reads what is published; drafts only the office
    "list_bulletins",
    "readable_bulletin",
    "bulletin_file",
}


def _caller_parameter(function) -> str | None:
    parameters = inspect.signature(function).parameters
    for name in ("user", "caller"):
        if name in parameters:
            return name
    return None


def _use_cases() -> list[tuple[str, object]]:
    found = []
    for module_info in pkgutil.iter_modules(services_package.__path__):
        module = importlib.import_module(f"yrdplan.services.{module_info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or function.__module__ != module.__name__:
                continue
            if _caller_parameter(function):
                found.append((f"{module_info.name}.{name}", function))
    return found


USE_CASES = _use_cases()


def test_the_use_cases_were_found():
    names = {name for name, _ in USE_CASES}
    assert {"plans.import_plan", "cycles.submit_report", "units.add_unit"} <= names
    assert len(names) > 30


@pytest.mark.parametrize("name, function", USE_CASES, ids=[name for name, _ in USE_CASES])
def test_no_caller_has_a_default(name, function):
    parameter = inspect.signature(function).parameters[_caller_parameter(function)]
    assert parameter.default is inspect.Parameter.empty, f"{name} defaults its caller"


class _Anything:
    """An argument that is never reached: the caller check must come before any other work."""

    def __getattr__(self, name):
        raise AssertionError("the use case used an argument before checking its caller")


WRITERS = [
    (name, function)
    for name, function in USE_CASES
    if name.split(".")[1] not in ANONYMOUS_READERS
    and name.split(".")[0] not in ("callers", "computed")  # plumbing: the caller and cache keys
    and not name.split(".")[1].startswith("may_")
]
PREDICATES = [(name, function) for name, function in USE_CASES if ".may_" in name]


@pytest.mark.parametrize("name, function", PREDICATES, ids=[name for name, _ in PREDICATES])
def test_permission_predicates_say_no_to_a_missing_caller(name, function):
    caller = _caller_parameter(function)
    others = {
        parameter.name: _Anything()
        for parameter in inspect.signature(function).parameters.values()
        if parameter.name != caller and parameter.default is inspect.Parameter.empty
    }
    assert function(**{caller: None}, **others) is False


@pytest.mark.parametrize("name, function", WRITERS, ids=[name for name, _ in WRITERS])
def test_a_missing_caller_is_refused_before_anything_is_read(name, function, database):
    signature = inspect.signature(function)
    caller = _caller_parameter(function)
    with database.read() as session:
        arguments = {}
        for parameter in signature.parameters.values():
            if parameter.name == caller:
                arguments[parameter.name] = None
            elif parameter.name == "session":
                arguments[parameter.name] = session
            elif parameter.default is inspect.Parameter.empty and parameter.kind not in (
                parameter.VAR_POSITIONAL,
                parameter.VAR_KEYWORD,
            ):
                arguments[parameter.name] = _Anything()
        with pytest.raises(PermissionDenied):
            function(**arguments)


def test_the_command_line_caller_is_explicit_and_acts_as_the_system():
    from yrdplan.services.callers import actor_of, user_id_of

    assert SYSTEM_CALLER.is_system and SYSTEM_CALLER.can_manage
    assert actor_of(SYSTEM_CALLER).user_id is None and user_id_of(SYSTEM_CALLER) is None
    impostor = UserInfo(id=0, username="mallory", role="viewer")
    assert not impostor.is_system

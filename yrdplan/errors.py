"""Errors that reach a user as one line: what went wrong and where."""


class YrdplanError(Exception):
    """Base for every error the CLI and web report as a one-line message (exit code 1 / HTTP 4xx)."""


class InputError(YrdplanError):
    """Bad input: a file, row, field or argument the user can fix."""


class NotFoundError(YrdplanError):
    """An id or code that names nothing in the database."""


class PermissionDenied(YrdplanError):
    """The current user's role or unit does not allow this."""


class ConflictError(YrdplanError):
    """Someone else changed the record first, or the target is not empty.

    ``changes`` holds, where known, the fields the other writer changed and their new values,
    so that the refused writer sees what to merge (HTTP 409 bodies carry it).
    """

    def __init__(self, message: str, changes: dict | None = None) -> None:
        super().__init__(message)
        self.changes = changes or {}


class DatabaseError(YrdplanError):
    """The database cannot be opened, is from a newer version, or is not a yrdplan database."""


class FieldError(InputError):
    """Bad input in one field of a form: ``field`` names it, so the form shows the message there.

    ``message`` is English (the command line and the API's ``error``); ``key`` and ``params``
    name the same message in the web's texts (``yrdplan.web.i18n``), so a form shows it in the
    reader's language. Without a key the form shows the English message.
    """

    def __init__(self, field: str, message: str, key: str | None = None, **params: object) -> None:
        self.field = field
        self.message = message
        self.key = key
        self.params = params
        super().__init__(f"{field}: {message}")

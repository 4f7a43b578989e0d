"""Expected failures: each carries one line that says what went wrong and what to do.

The CLI prints the message alone (no traceback) and exits non-zero; the Lambda handlers log it and
fail the invocation so the platform's retries, dead-letter queues and alarms see it.
"""

from __future__ import annotations


class UtodayError(Exception):
    """Base class for every failure the user can act on."""

    exit_code = 1


class ConfigError(UtodayError):
    """A setting is missing or malformed."""

    exit_code = 2


class SiteError(UtodayError):
    """U.Today could not be read: unreachable, an HTTP error, or a body not of the expected kind."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status when the site answered with an error


class LayoutError(SiteError):
    """The site answered, but no headline could be found in the listing nor in the RSS feed."""


class DatabaseError(UtodayError):
    """The database is unreachable, the connection dropped, or the schema is not what we expect."""


class MigrationError(DatabaseError):
    """A migration failed, or a migration file changed after it was applied."""

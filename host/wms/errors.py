"""Domain errors: the operator did something the warehouse rules forbid.

Each carries a sentence that says what was wrong and what to do; the CLI turns
it into one line on stderr and exit code 2.
"""

from __future__ import annotations


class WmsError(Exception):
    """Base for every error caused by bad input or a forbidden operation."""


class NotFound(WmsError):
    """A warehouse, product, order or setting named by the operator does not exist."""


class AlreadyExists(WmsError):
    """The operator tried to create something that is already there."""


class InvalidQuantity(WmsError):
    """A quantity is negative, not a whole number, or breaks a line's limits."""


class InvalidTransition(WmsError):
    """The order is not in a status that allows this step."""


class PartialNotConfirmed(WmsError):
    """QC packed less than outstanding and the partial shipment was not confirmed."""


class SettingError(WmsError):
    """An unknown setting key, or a value of the wrong type."""


class SchemaMismatch(WmsError):
    """The database schema is behind or ahead of the installed code."""


class ImportFailed(WmsError):
    """One or more rows of an import are bad; nothing was loaded."""

    SHOWN = 20

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problems"
        shown = "; ".join(problems[: self.SHOWN])
        more = len(problems) - self.SHOWN
        super().__init__(
            f"import refused, nothing was loaded ({len(problems)} {noun}): {shown}"
            + (f"; and {more} more" if more > 0 else "")
        )

"""Errors a user can cause; each prints as one line on stderr with a non-zero exit code."""

from __future__ import annotations


class LedgerError(Exception):
    """Base class: the message is the whole story, in one line."""

    exit_code = 1
    index: int | None = None  # which change of a batch, when it came from one


class InvalidInput(LedgerError):
    """Input that cannot be parsed (bad date, unknown kind, missing field, bad file)."""

    exit_code = 2


class NotFound(LedgerError):
    """A name, code or id that the ledger does not know."""

    exit_code = 3


class Ambiguous(LedgerError):
    """A name that matches more than one organisation, post or person."""

    exit_code = 3


class Refused(LedgerError):
    """A change that contradicts the recorded history."""

    exit_code = 4


class ConcurrentChange(Refused):
    """Another writer changed the same aggregate first."""

    exit_code = 5


class StoreUnavailable(LedgerError):
    """The database cannot be opened, reached or written."""

    exit_code = 6


class PermissionDenied(LedgerError):
    """The database user lacks the right (a reader trying to record, say)."""

    exit_code = 7


class VerificationFailed(LedgerError):
    """The stored events, the chain, a checkpoint, a proof or the read model do not hold."""

    exit_code = 8


class ForeignEvent(LedgerError):
    """The log holds an event the ledger did not seal (written outside it), before the events an
    append would seal: nothing is appended until an owner has looked (`ledger verify`)."""

    exit_code = 9


class GuardMissing(LedgerError):
    """An append-only guard of the store is missing, altered or disabled: nothing is written
    until the owner has restored it (`ledger init --restore-guards`)."""

    exit_code = 10


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (or its type's name), for a one-line error."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__

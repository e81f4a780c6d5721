"""Errors for humans: every failure names what was wrong and what to try, and maps to an exit code."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes; the README documents them and scripts rely on them."""

    OK = 0
    FINDINGS = 1  # the scan found what --exit-code asked about, or the gate's policy was violated
    USAGE = 2  # bad command-line arguments
    INPUT = 3  # a reference, file, manifest, config or data file that is malformed or missing
    NETWORK = 4  # a registry or feed could not be reached
    AUTH = 5  # credentials missing or refused
    INTEGRITY = 6  # a digest did not match, a size bound was exceeded, a path escaped the image
    DATABASE = 7  # the vulnerability DB is missing, too old, or of an unknown schema
    UNDECIDED = 8  # the gate could not reach a verdict (never a pass)
    PARTIAL = 9  # a fleet run finished, but some of its images could not be scanned (stored as errors)
    STORE = 10  # the fleet results store could not be opened, read or written
    INTERNAL = 70  # a bug in seawall


class SeawallError(Exception):
    """Base of every error seawall raises on purpose.

    `message` says what was wrong (naming the thing), `remedy` is one sentence on what to try.
    """

    exit_code: ExitCode = ExitCode.INPUT

    def __init__(self, message: str, remedy: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.remedy = remedy

    def one_line(self) -> str:
        text = f"error: {self.message}"
        if self.remedy:
            text += f" — try {self.remedy}"
        return " ".join(text.split())


class InputError(SeawallError):
    exit_code = ExitCode.INPUT


class ImageReferenceError(InputError):
    """A malformed image reference."""


class NetworkError(SeawallError):
    exit_code = ExitCode.NETWORK


class AuthError(SeawallError):
    exit_code = ExitCode.AUTH


class IntegrityError(SeawallError):
    """Digest mismatch, size bound exceeded, truncated data, a path escaping the image."""

    exit_code = ExitCode.INTEGRITY


class DatabaseError(SeawallError):
    exit_code = ExitCode.DATABASE


class StoreError(SeawallError):
    """The fleet results store (SQLite file or PostgreSQL) refused a connection, a role, a query or a schema."""

    exit_code = ExitCode.STORE


class UndecidedError(SeawallError):
    exit_code = ExitCode.UNDECIDED

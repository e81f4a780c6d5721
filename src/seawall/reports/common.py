"""What every importer shares: severity words in any scanner's spelling, and one-line errors naming the file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from seawall.errors import InputError
from seawall.model.vuln import Severity, rating_of

_WORDS = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "important": Severity.HIGH,  # Red Hat / SUSE
    "medium": Severity.MEDIUM,
    "moderate": Severity.MEDIUM,
    "low": Severity.LOW,
    "negligible": Severity.NEGLIGIBLE,
    "unimportant": Severity.NEGLIGIBLE,
    "info": Severity.NEGLIGIBLE,
    "none": Severity.NEGLIGIBLE,
    "unknown": Severity.UNKNOWN,
    "unspecified": Severity.UNKNOWN,
    "": Severity.UNKNOWN,
}
# Trivy's VendorSeverity numbers (pkg/types: dbTypes.Severity).
TRIVY_SEVERITY_NUMBERS = {0: Severity.UNKNOWN, 1: Severity.LOW, 2: Severity.MEDIUM, 3: Severity.HIGH,
                          4: Severity.CRITICAL}


def severity_of(text: object) -> Severity:
    """A severity word in any scanner's spelling (HIGH, Negligible, moderate) or a CVSS score."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return rating_of(float(text))
    if not isinstance(text, str):
        return Severity.UNKNOWN
    word = text.strip().lower()
    if word in _WORDS:
        return _WORDS[word]
    try:
        return rating_of(float(word))
    except ValueError:
        return Severity.UNKNOWN


def text(value: object) -> str | None:
    """A non-empty string, or None (reports write "" and null interchangeably)."""
    return value if isinstance(value, str) and value else None


def items(value: object) -> list[Any]:
    """A JSON list, treating null as empty; anything else is malformed."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise TypeError(f"expected a list, found {type(value).__name__}")
    return value


def obj(value: object) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, found {type(value).__name__}")
    return value


@contextmanager
def malformed(path: str, fmt: str) -> Iterator[None]:
    """Turn any shape error inside a parser into one line naming the file."""
    try:
        yield
    except InputError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as err:
        detail = f"missing {err}" if isinstance(err, KeyError) else str(err)
        raise InputError(f"{path} is not a valid {fmt} report ({detail})",
                         remedy=f"passing the file exactly as the scanner wrote it in {fmt} format") from None

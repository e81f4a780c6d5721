"""Telling real secrets from placeholders, and writing a secret down without revealing it."""

from __future__ import annotations

import math
import re
from collections import Counter

# Marks of documentation and templates in any rule's match; these never occur in real keys by chance.
_STRONG_PLACEHOLDERS = ("example", "xxxxxxxx", "********", "${", "{{", "<", ">", "placeholder", "dummy",
                        "redacted", "changeme", "change_me", "change-me", "your_", "your-", "insert", "replace_me",
                        "000000000000")
# Words that, inside a key = value assignment, say the value is not a real secret.
_WEAK_PLACEHOLDERS = ("password", "passwd", "secret", "token", "sample", "test", "fake", "none", "null", "undefined",
                      "true", "false", "enabled", "disabled", "required", "optional", "default", "string", "value",
                      "todo", "fixme", "foobar", "example")
_IDENTIFIER_PATH = re.compile(r"[A-Za-z_$][\w$-]*(?:[.:][A-Za-z_$][\w$-]*)*\Z")
# Azure's storage emulator key, published in its documentation for every developer to use.
_PUBLIC_KEYS = frozenset({
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
})


def redact(secret: str) -> str:
    """A short prefix (at most a quarter of it, at most 4 characters), an ellipsis and the length."""
    shown = min(4, len(secret) // 4)
    return f"{secret[:shown]}…({len(secret)} chars)"


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    if not text:
        return 0.0
    total = len(text)
    return -sum(n / total * math.log2(n / total) for n in Counter(text).values())


def is_placeholder(secret: str, *, generic: bool) -> bool:
    low = secret.lower()
    if secret in _PUBLIC_KEYS or len(set(secret)) <= 2:
        return True
    if any(mark in low for mark in _STRONG_PLACEHOLDERS):
        return True
    if not generic:
        return False
    if any(word in low for word in _WEAK_PLACEHOLDERS):
        return True
    if secret[0] in "$%@/~." or "://" in secret:
        return True  # a variable, a format string, a path or a URL: a reference to a secret, not one
    # No digit and no symbol: a word or an identifier (`settings.SECRET_KEY`, `getpass`), not a credential.
    return bool(_IDENTIFIER_PATH.match(secret)) and not any(c.isdigit() for c in secret)

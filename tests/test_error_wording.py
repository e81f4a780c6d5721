"""Every remedy reads after "try" as an instruction: "try checking the path", never "try check the path"."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import seawall

# Verbs a remedy would otherwise start with (or join with "or"/"and"): after "try" they must be -ing forms.
BARE_VERBS = frozenset({
    "add", "allow", "build", "check", "choose", "copy", "create", "decompress", "delete", "disable", "enable",
    "export", "fetch", "fix", "give", "import", "indent", "install", "keep", "leave", "list", "make", "move", "name",
    "pass", "pin", "point", "promote", "pull", "push", "raise", "read", "rename", "replace", "report", "retry", "run",
    "save", "scan", "set", "split", "start", "update", "upgrade", "use", "verify", "wait", "write",
})
JOINED = re.compile(r"(?:^|[,;(]\s*|\b(?:or|and|then)\s+)([a-z][a-z-]*)\b")


def _remedies() -> list[tuple[str, int, str]]:
    found = []
    for path in Path(seawall.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if keyword.arg != "remedy":
                    continue
                parts = [n.value for n in ast.walk(keyword.value)
                         if isinstance(n, ast.Constant) and isinstance(n.value, str)]
                if parts:
                    found.append((str(path), node.lineno, "".join(parts)))
    return found


def test_every_remedy_reads_as_an_instruction_after_try() -> None:
    remedies = _remedies()
    assert len(remedies) > 100  # the walk found them
    bad = []
    for path, line, text in remedies:
        text = re.sub(r"`[^`]*`", "CMD", text)  # commands quoted in backticks are what to type, not prose
        verbs = [m.group(1) for m in JOINED.finditer(text) if m.group(1) in BARE_VERBS]
        if verbs:
            bad.append(f"{path}:{line}: {text!r} ({', '.join(verbs)})")
    assert not bad, "\n".join(bad)

"""Secret rules: the built-in set (rules.yaml beside this module, read from its JSON copy rules.json) plus what a
`--secret-config` file adds, switches off or allows. After editing rules.yaml:
`python -c 'from seawall.secrets.rules import write_builtin_json; write_builtin_json()'`.

    rules:   [{id, title, severity, regex, keywords, paths, entropy}]   added (or replacing a built-in of that id)
    disable: [rule ids]
    allow:   {paths: [globs], rules: [rule ids]}                          findings there are dropped
    builtin_allow: false                                                  also read the paths the built-in set skips
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from seawall.errors import InputError
from seawall.fs.globs import compile_globs
from seawall.model.vuln import Severity

RULE_SEVERITIES = ("low", "medium", "high", "critical")
_LEADING_FLAGS = re.compile(r"\A\(\?([aiLmsux]+)\)")
_GROUP = re.compile(r"\(\?P([<=])([A-Za-z_][A-Za-z0-9_]*)([>)])")


@dataclass(frozen=True)
class Rule:
    """One secret rule: what it looks for, in which files, and the keywords that must occur before its regex runs."""

    id: str
    title: str
    severity: Severity
    regex: str
    keywords: tuple[str, ...] = ()  # lower-case; empty: the rule runs on every file
    paths: tuple[str, ...] = ()  # globs; empty: every path (and the image config)
    entropy: float = 0.0  # minimum Shannon entropy (bits per character) of the secret
    generic: bool = False  # a key = value pattern: specific rules win where both match the same text

    def group_regex(self, tag: str) -> str:
        """The regex with its named groups prefixed by `tag`, and leading global flags made local, so that many
        rules fit in one alternation."""
        body = self.regex
        flags = _LEADING_FLAGS.match(body)
        if flags:
            body = f"(?{flags.group(1)}:{body[flags.end():]})"
        return _GROUP.sub(lambda m: f"(?P{m.group(1)}{tag}{m.group(2)}{m.group(3)}", body)


@dataclass(frozen=True)
class RuleSet:
    """The secret rules in force: built-in ones with what a `--secret-config` adds, switches off or allows."""

    rules: tuple[Rule, ...]
    skip_paths: tuple[str, ...] = ()  # never read (built-in allow paths)
    allow_paths: tuple[str, ...] = ()  # read, but findings dropped (the user's allow paths)
    allow_rules: frozenset[str] = frozenset()
    source: str = "built-in"

    @property
    def fingerprint(self) -> str:
        """Changes whenever what a layer scan would find changes (allow lists are applied after caching)."""
        doc = {"rules": [_rule_doc(r) for r in self.rules], "skip": list(self.skip_paths)}
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]

    def allowed(self, rule_id: str, path: str) -> bool:
        if rule_id in self.allow_rules:
            return True
        return bool(self.allow_paths) and bool(_globs(self.allow_paths).match(path))

    def by_id(self) -> dict[str, Rule]:
        return {rule.id: rule for rule in self.rules}


@cache
def _globs(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return compile_globs(patterns)


def _rule_doc(rule: Rule) -> dict[str, Any]:
    return {"id": rule.id, "title": rule.title, "severity": rule.severity.value, "regex": rule.regex,
            "keywords": list(rule.keywords), "paths": list(rule.paths), "entropy": rule.entropy,
            "generic": rule.generic}


@cache  # read-only to every caller; a fleet worker would otherwise parse it for each image
def builtin_document() -> dict[str, Any]:
    # rules.json is rules.yaml as JSON (a test holds them equal): every scan reads it, and YAML would cost an import.
    data: dict[str, Any] = json.loads(resources.files("seawall.secrets").joinpath("rules.json").read_bytes())
    return data


def yaml_document() -> dict[str, Any]:
    """rules.yaml, the built-in rules as they are written and reviewed."""
    import yaml

    text = resources.files("seawall.secrets").joinpath("rules.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml if built
    return data


def load_rules(config: str | os.PathLike[str] | None = None) -> RuleSet:
    """The built-in rules, changed by the YAML file `config` when given."""
    builtin = builtin_document()
    # Built-in patterns are compiled by the tests, not on every start (it costs ~30 ms a run).
    rules = {r.id: r for r in (_parse_rule(item, "built-in rules", check=False) for item in builtin["rules"])}
    skip = tuple(builtin["allow"]["paths"])
    if config is None:
        return RuleSet(rules=tuple(rules.values()), skip_paths=skip)
    where = str(config)
    doc = _read_config(Path(config))
    for item in doc.get("rules") or []:
        rule = _parse_rule(item, where)
        rules[rule.id] = rule
    disabled = _strings(doc.get("disable"), f"{where}: disable")
    unknown = [rule_id for rule_id in disabled if rule_id not in rules]
    if unknown:
        raise InputError(f"{where}: disable names unknown rule(s) {', '.join(unknown)}",
                         remedy=f"using ids from: {', '.join(sorted(rules))}")
    allow = doc.get("allow") or {}
    if not isinstance(allow, dict):
        raise InputError(f"{where}: allow must be a mapping with `paths` and/or `rules`",
                         remedy="writing allow: {paths: [...], rules: [...]}")
    if doc.get("builtin_allow", True) is False:
        skip = ()
    kept = tuple(rule for rule_id, rule in rules.items() if rule_id not in disabled)
    return RuleSet(rules=kept, skip_paths=skip,
                   allow_paths=tuple(_strings(allow.get("paths"), f"{where}: allow.paths")),
                   allow_rules=frozenset(_strings(allow.get("rules"), f"{where}: allow.rules")), source=where)


def _read_config(path: Path) -> dict[str, Any]:
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise InputError(f"secret config {path} cannot be read: {err.strerror}", remedy="checking the path") from err
    except yaml.YAMLError as err:
        raise InputError(f"secret config {path} is not valid YAML: {err}", remedy="fixing the YAML syntax") from err
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise InputError(f"secret config {path} must be a mapping",
                         remedy="starting with `rules:`, `disable:` or `allow:`")
    extra = set(doc) - {"rules", "disable", "allow", "builtin_allow"}
    if extra:
        raise InputError(f"secret config {path} has unknown key(s) {', '.join(sorted(extra))}",
                         remedy="using only the keys `rules`, `disable`, `allow` and `builtin_allow`")
    return doc


def _strings(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where} must be a list of strings", remedy="writing it as a YAML list")
    return value


def _parse_rule(item: Any, where: str, *, check: bool = True) -> Rule:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not isinstance(item.get("regex"), str):
        raise InputError(f"{where}: every rule needs a string `id` and `regex` (got {item!r:.80})",
                         remedy="writing rules as {id: ..., regex: ..., severity: ..., keywords: [...]}")
    rule_id = item["id"]
    severity = str(item.get("severity", "high")).lower()
    if severity not in RULE_SEVERITIES:
        raise InputError(f"{where}: rule {rule_id} has severity {severity!r}",
                         remedy=f"using one of {', '.join(RULE_SEVERITIES)}")
    rule = Rule(
        id=rule_id,
        title=str(item.get("title") or rule_id),
        severity=Severity(severity),
        regex=item["regex"],
        keywords=tuple(k.lower() for k in _strings(item.get("keywords"), f"{where}: rule {rule_id} keywords")),
        paths=tuple(_strings(item.get("paths"), f"{where}: rule {rule_id} paths")),
        entropy=float(item.get("entropy", 0.0)),
        generic=bool(item.get("generic", False)),
    )
    try:
        if check:
            re.compile(rule.group_regex("t_"))
    except re.error as err:
        raise InputError(f"{where}: rule {rule_id} has an invalid regex: {err}",
                         remedy="fixing the pattern (Python `re` syntax)") from err
    return rule



def builtin_json() -> str:
    """rules.yaml as the text of rules.json."""
    return json.dumps(yaml_document(), indent=1, ensure_ascii=False) + "\n"


def write_builtin_json() -> None:
    """Rewrite rules.json (in a source checkout) after editing rules.yaml."""
    Path(__file__).with_name("rules.json").write_text(builtin_json(), encoding="utf-8")

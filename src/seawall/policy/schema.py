"""Policy files (YAML, docs/policy.md): validated with FILE:LINE errors, then built into composable rules.

    version: 1
    name: production
    defaults: {new_only: true, ignore_status: [negligible]}
    rules:                       # all of these must hold
      - severity: {at_least: high, by: vendor, fixable_only: true}
      - kev: {}
      - any_of:
          - image_age: {max_days: 30}
          - minimal_base: {max_packages: 200}
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from seawall.errors import InputError
from seawall.model.vuln import Severity, Status
from seawall.policy import rules as r
from seawall.policy.baseline import Baseline
from seawall.triage.yamlsrc import LDict, LList, Problems, load_located, type_name


class PolicyError(InputError):
    """A policy file that does not follow the schema."""


Check = Callable[[Any], str | None]  # returns a complaint, or None when the value is fine


def _bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"must be true or false, found {type_name(value)}"


def _number(low: float | None = None, high: float | None = None) -> Check:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"must be a number, found {type_name(value)}"
        if (low is not None and value < low) or (high is not None and value > high):
            return f"must be between {low} and {high}, found {value}" if high is not None \
                else f"must be at least {low}, found {value}"
        return None
    return check


def _choice(options: tuple[str, ...]) -> Check:
    def check(value: Any) -> str | None:
        return None if value in options else f"must be one of {', '.join(options)}, found {value!r}"
    return check


def _globs(value: Any) -> str | None:
    if isinstance(value, list) and all(isinstance(v, str) and v for v in value):
        return None
    return f"must be a list of image name globs, found {type_name(value)}"


def _statuses(value: Any) -> str | None:
    known = tuple(s.value for s in Status)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return f"must be a list of finding states ({', '.join(known)})"
    bad = [v for v in value if v not in known]
    return f"unknown state(s) {', '.join(bad)} (known: {', '.join(known)})" if bad else None


SEVERITIES = tuple(s.value for s in Severity if s is not Severity.UNKNOWN)


def _at_least(value: Any) -> str | None:
    if value == "unknown":
        return ("must be a rating (unknown findings already meet every threshold; `unknown: ignore` leaves them "
                f"out), one of {', '.join(SEVERITIES)}")
    return _choice(SEVERITIES)(value)

FINDING_OPTIONS: dict[str, Check] = {"fixable_only": _bool, "new_only": _bool, "include_base": _bool,
                                     "ignore_status": _statuses, "uncovered": _choice(("undecided", "ignore"))}
RULES: dict[str, tuple[dict[str, Check], tuple[str, ...]]] = {  # kind → (options, required options)
    "severity": ({"at_least": _at_least, "by": _choice(("reported", "vendor", "cvss")),
                  "min_score": _number(0, 10), "unknown": _choice(("count", "ignore")), **FINDING_OPTIONS}, ()),
    "kev": (dict(FINDING_OPTIONS), ()),
    "epss": ({"at_least": _number(0, 1), "percentile": _number(0, 1), **FINDING_OPTIONS}, ()),
    "db_age": ({"max_hours": _number(0)}, ("max_hours",)),
    "trusted_sources": ({"repositories": _globs, "official_base": _bool, "official_images": _globs}, ()),
    "minimal_base": ({"deny": _globs, "max_packages": _number(0)}, ()),
    "no_secrets": ({}, ()),
    "no_root": ({}, ()),
    "image_age": ({"max_days": _number(0)}, ("max_days",)),
}
COMPOSITES = ("all_of", "any_of")
TOP_KEYS = ("version", "name", "description", "defaults", "coverage", "rules")


@dataclass(frozen=True)
class Policy:
    """A policy file, validated: its rules as written and their defaults, built into one rule by `rule`."""

    path: str
    name: str
    doc: Any  # the validated rule list (LList)
    defaults: dict[str, Any]
    coverage_allow: tuple[str, ...] = ()  # namespaces/ecosystems whose unchecked packages the policy accepts

    @property
    def uses_baseline(self) -> bool:
        return _any_option(self.doc, "new_only", bool(self.defaults.get("new_only")))

    @property
    def uses_db_age(self) -> bool:
        return _any_kind(self.doc, "db_age")

    def rule(self, baseline: Baseline | None = None, now: datetime | None = None) -> r.AllOf:
        defaults = {**self.defaults, "coverage_allow": self.coverage_allow}
        return r.AllOf(tuple(_build(item, defaults, baseline, now) for item in self.doc), label=self.name)


def load_policy(path: str | os.PathLike[str]) -> Policy:
    doc = load_located(path, "policy", PolicyError)
    problems = Problems(path, "policy")
    if not isinstance(doc, LDict):
        problems.add(getattr(doc, "line", 1), f"expected a mapping with `rules:`, found {type_name(doc)}")
        problems.raise_if_any(PolicyError, "see docs/policy.md for the schema")
    for key in doc:
        if key not in TOP_KEYS:
            problems.add(doc.line_of(key), f"unknown key {key!r} (expected one of: {', '.join(TOP_KEYS)})")
    if "version" in doc and doc["version"] != 1:
        problems.add(doc.line_of("version"), f"unsupported version {doc['version']!r} (this seawall reads 1)")
    name = doc.get("name", Path(path).stem)
    if not isinstance(name, str):
        problems.add(doc.line_of("name"), f"`name` must be a string, found {type_name(name)}")
    defaults = doc.get("defaults") or LDict()
    if not isinstance(defaults, LDict):
        problems.add(doc.line_of("defaults"), f"`defaults` must be a mapping, found {type_name(defaults)}")
        defaults = LDict()
    else:
        _options(defaults, FINDING_OPTIONS, (), "defaults", problems)
    allow = _coverage(doc, problems)
    rules = doc.get("rules")
    if not isinstance(rules, LList) or not rules:
        problems.add(doc.line_of("rules") if "rules" in doc else doc.line,
                     "`rules` must be a non-empty list of rules")
    else:
        _rule_list(rules, problems)
    problems.raise_if_any(PolicyError, "fix those lines (schema: docs/policy.md)")
    return Policy(str(path), str(name), rules, dict(defaults), allow)


def _coverage(doc: LDict, problems: Problems) -> tuple[str, ...]:
    """`coverage: {allow: ["npm", "debian:12"]}`: namespace globs whose unchecked packages do not hold a verdict."""
    value = doc.get("coverage")
    if value is None:
        return ()
    if not isinstance(value, LDict) or set(value) - {"allow"}:
        problems.add(doc.line_of("coverage"), "`coverage` must be a mapping with `allow:` (a list of namespace "
                     "globs such as debian:12, npm, vendor:*)")
        return ()
    allow = value.get("allow", [])
    if not isinstance(allow, list) or not all(isinstance(v, str) and v for v in allow):
        problems.add(value.line_of("allow"), "`coverage.allow` must be a list of namespace globs, found "
                     f"{type_name(allow)}")
        return ()
    return tuple(allow)


def _rule_list(items: LList, problems: Problems) -> None:
    for index, item in enumerate(items):
        line = items.line_of(index)
        if not isinstance(item, LDict) or len(item) != 1:
            problems.add(line, "a rule is a mapping with exactly one key, the rule's kind "
                         f"({', '.join((*RULES, *COMPOSITES))})")
            continue
        (kind, value), = item.items()
        kline = item.line_of(kind)
        if kind in COMPOSITES:
            if not isinstance(value, LList) or not value:
                problems.add(kline, f"`{kind}` needs a non-empty list of rules")
            else:
                _rule_list(value, problems)
            continue
        if kind not in RULES:
            problems.add(kline, f"unknown rule {kind!r} (known: {', '.join((*RULES, *COMPOSITES))})")
            continue
        if value is None or value is True:
            value = LDict()
            value.line, value.key_lines = kline, {}
            item[kind] = value
        if not isinstance(value, LDict):
            problems.add(kline, f"options of `{kind}` must be a mapping, found {type_name(value)}")
            continue
        options, required = RULES[kind]
        _options(value, options, required, kind, problems)
        if kind == "epss" and "at_least" not in value and "percentile" not in value:
            problems.add(kline, "`epss` needs `at_least` (a probability) or `percentile`")
        if kind == "severity" and "at_least" not in value and "min_score" not in value:
            problems.add(kline, "`severity` needs `at_least` (a severity) or `min_score` (with by: cvss)")
        if kind == "severity" and "min_score" in value and value.get("by") != "cvss":
            problems.add(value.line_of("min_score"), "`min_score` needs `by: cvss`")


def _options(value: LDict, options: dict[str, Check], required: tuple[str, ...], kind: str,
             problems: Problems) -> None:
    for key, option in value.items():
        check = options.get(key)
        if check is None:
            problems.add(value.line_of(key), f"unknown option {key!r} for `{kind}` "
                         f"(known: {', '.join(options) or 'none'})")
            continue
        complaint = check(option)
        if complaint:
            problems.add(value.line_of(key), f"`{kind}.{key}` {complaint}")
    for key in required:
        if key not in value:
            problems.add(value.line, f"`{kind}` needs `{key}`")


def _scope(options: dict[str, Any], defaults: dict[str, Any], baseline: Baseline | None) -> r.FindingScope:
    def opt(key: str, default: Any) -> Any:
        return options.get(key, defaults.get(key, default))

    return r.FindingScope(fixable_only=opt("fixable_only", False), new_only=opt("new_only", False),
                          include_base=opt("include_base", True),
                          ignore_status=frozenset(Status(s) for s in opt("ignore_status", [])), baseline=baseline,
                          uncovered=opt("uncovered", "undecided"),
                          coverage_allow=tuple(defaults.get("coverage_allow", ())))


def _build(item: LDict, defaults: dict[str, Any], baseline: Baseline | None, now: datetime | None) -> r.Rule:
    (kind, o), = item.items()
    if kind in COMPOSITES:
        children = tuple(_build(child, defaults, baseline, now) for child in o)
        return r.AllOf(children) if kind == "all_of" else r.AnyOf(children)
    if kind == "severity":
        return r.SeverityAtLeast(at_least=Severity(o.get("at_least", "critical")), by=o.get("by", "reported"),
                                 min_score=o.get("min_score"), scope=_scope(o, defaults, baseline),
                                 unknown=o.get("unknown", "count"))
    if kind == "kev":
        return r.OnKev(scope=_scope(o, defaults, baseline))
    if kind == "epss":
        return r.EpssAtLeast(at_least=o.get("at_least"), percentile=o.get("percentile"),
                             scope=_scope(o, defaults, baseline))
    if kind == "db_age":
        return r.DbMaxAge(max_hours=float(o["max_hours"]), now=now)
    if kind == "trusted_sources":
        return r.TrustedSources(repositories=tuple(o.get("repositories", ())),
                                official_base=o.get("official_base", False),
                                official_images=tuple(o.get("official_images", r.OFFICIAL_IMAGES)))
    if kind == "minimal_base":
        return r.MinimalBase(deny=tuple(o.get("deny", ())), max_packages=o.get("max_packages"))
    if kind == "no_secrets":
        return r.NoSecrets()
    if kind == "no_root":
        return r.NoRoot()
    if kind == "image_age":
        return r.ImageMaxAge(max_days=float(o["max_days"]), now=now)
    raise AssertionError(kind)  # validated by load_policy


def _children(doc: Any) -> list[tuple[str, Any]]:
    out = []
    for item in doc or ():
        (kind, value), = item.items()
        out.append((kind, value))
    return out


def _any_kind(doc: Any, wanted: str) -> bool:
    return any(kind == wanted or (kind in COMPOSITES and _any_kind(value, wanted)) for kind, value in _children(doc))


def _any_option(doc: Any, option: str, default: bool) -> bool:
    for kind, value in _children(doc):
        if kind in COMPOSITES:
            if _any_option(value, option, default):
                return True
        elif option in RULES[kind][0] and bool(value.get(option, default)):
            return True
    return False

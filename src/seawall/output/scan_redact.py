"""A scan report with every copy of a secret found in the image config blanked out, for writing anywhere.

A secret scan reports a value it found in the config once (an ENV line is also a history line, and a history line
is also a layer's and each of its packages' `created_by`); the written report must carry none of those copies. The
finding itself only ever holds a redacted match, so the values to hide are read back from the config it points at.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from seawall.model.finding import ScanReport
from seawall.model.sbom import Package

# Shorter values are not worth blanking everywhere: replacing them would mangle unrelated text.
MIN_HIDDEN = 6


def hidden_values(report: ScanReport) -> dict[str, str]:
    """Raw config text that holds a found secret → the rule that found it."""
    image = report.image
    runtime = image.runtime_config
    out: dict[str, str] = {}
    for finding in report.secrets or ():
        if not finding.in_config:
            continue
        field, position = finding.path.removeprefix("config:"), finding.line - 1
        values: list[str] = []
        if field == "Env":
            env = runtime.get("Env") or []
            if 0 <= position < len(env):
                values.append(str(env[position]).partition("=")[2])
        elif field == "Labels" and isinstance(runtime.get("Labels"), dict):
            keys = sorted(runtime["Labels"])
            if 0 <= position < len(keys):
                values.append(str(runtime["Labels"][keys[position]]))
        elif field in ("Cmd", "Entrypoint"):
            value = runtime.get(field) or []
            values += [str(item) for item in (value if isinstance(value, list) else [value])]
        elif field == "history":
            history = image.config.get("history") or []
            if 0 <= position < len(history) and isinstance(history[position], dict):
                values.append(str(history[position].get("created_by") or ""))
        for value in values:
            if len(value.strip()) >= MIN_HIDDEN:
                out.setdefault(value.strip(), finding.rule_id)
    return out


def redacted(report: ScanReport) -> ScanReport:
    """`report` with each hidden value replaced by `<redacted: rule>` in the image config, the layers' and the
    packages' history lines. The same report when the secret scan found nothing in the config."""
    hidden = hidden_values(report)
    if not hidden:
        return report
    image = report.image
    clean_image = dataclasses.replace(
        image, config=scrub(image.config, hidden),
        layers=tuple(dataclasses.replace(layer, created_by=scrub(layer.created_by, hidden))
                     for layer in image.layers),
    )
    packages = {id(p): _clean_package(p, hidden) for p in report.sbom.packages}
    sbom = dataclasses.replace(report.sbom, image=clean_image,
                               packages=tuple(packages[id(p)] for p in report.sbom.packages))
    findings = tuple(dataclasses.replace(f, package=packages.get(id(f.package)) or _clean_package(f.package, hidden))
                     for f in report.findings)
    secrets = None if report.secrets is None else tuple(
        dataclasses.replace(f, created_by=scrub(f.created_by, hidden)) if f.created_by else f for f in report.secrets)
    return dataclasses.replace(report, sbom=sbom, findings=findings, secrets=secrets)


def scrub(value: Any, hidden: dict[str, str]) -> Any:
    """Every string inside `value` (dicts, lists, nested) with each hidden value replaced."""
    if isinstance(value, str):
        for secret, rule in hidden.items():
            if secret in value:
                value = value.replace(secret, f"<redacted: {rule}>")
        return value
    if isinstance(value, dict):
        return {key: scrub(item, hidden) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(scrub(item, hidden) for item in value)
    return value


def _clean_package(package: Package, hidden: dict[str, str]) -> Package:
    if not package.created_by:
        return package
    created_by = scrub(package.created_by, hidden)
    return package if created_by == package.created_by else dataclasses.replace(package, created_by=created_by)

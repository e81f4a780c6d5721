"""Secrets, configuration findings and minimality in the scan formats: the JSON sections, the SARIF rules and
results, and the text of the table section after the vulnerabilities (laid out with rich by `scan_extra_table`,
without it by `scan_extra_text`). Each reads the `ScanReport` fields and writes nothing for a
scanner that did not run. Secret matches are already redacted in the model; nothing here can reveal more.
"""

from __future__ import annotations

import hashlib
from typing import Any

from seawall.model.extra import ConfigFinding, Minimality, SecretFinding
from seawall.model.finding import ScanReport
from seawall.model.serialize import to_data
from seawall.model.vuln import Severity
from seawall.output.scan import ScanView
from seawall.output.scan_text import severity_rank

SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5", Severity.LOW: "2.0"}
LEVELS = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning"}


def vuln_scanned(report: ScanReport) -> bool:
    """Whether vulnerabilities were looked for: a report that does not say which scanners ran is a vulnerability
    scan (reports written before the other scanners existed)."""
    return report.vuln_scanned


def secrets(report: ScanReport, view: ScanView) -> list[SecretFinding]:
    found: list[SecretFinding] = list(report.secrets or ())
    shown = [f for f in found if view.severities is None or f.severity in view.severities]
    return sorted(shown, key=lambda f: (severity_rank(f.severity), f.path, f.line, f.rule_id))


def config(report: ScanReport, view: ScanView, *, distro_defaults: bool | None = None) -> list[ConfigFinding]:
    """The configuration findings `view` shows; files exactly as their distribution package ships them (the setuid
    `passwd` of every Debian image) only when asked for."""
    found: list[ConfigFinding] = list(report.config or ())
    with_defaults = view.include_distro_defaults if distro_defaults is None else distro_defaults
    return [f for f in found if (view.severities is None or f.severity in view.severities)
            and (with_defaults or not f.distro_default)]


def config_data(item: ConfigFinding) -> dict[str, Any]:
    """A configuration finding as JSON; `distro_default` only where it is true."""
    data: dict[str, Any] = to_data(item)
    if not item.distro_default:
        data.pop("distro_default", None)
    return data


def json_sections(report: ScanReport, view: ScanView) -> dict[str, Any]:
    """`secrets`, `config` and `minimality`, each present only when its scanner ran."""
    out: dict[str, Any] = {}
    if report.secrets is not None:
        out["secrets"] = [{**to_data(f), "deleted": f.deleted} for f in secrets(report, view)]
    if report.config is not None:
        out["config"] = [config_data(f) for f in config(report, view, distro_defaults=True)]  # marked, as information
    minimality = report.minimality
    if minimality is not None:
        out["minimality"] = {**to_data(minimality), "has_shell": minimality.has_shell,
                             "has_package_manager": minimality.has_package_manager,
                             "has_compiler": minimality.has_compiler}
    return out


def redact_image(image: dict[str, Any], report: ScanReport) -> dict[str, Any]:
    """The image as written in a report, with every config value that holds a found secret replaced: an uploaded
    report must not carry what the scan warns about."""
    hits = [f for f in report.secrets or () if f.in_config]
    if not hits or not isinstance(image.get("config"), dict):
        return image
    config = {**image["config"]}
    runtime = {**(config.get("config") or {})}
    hidden_lines: set[str] = set()
    for finding in hits:
        field, position = finding.path.removeprefix("config:"), finding.line - 1
        if field == "Env" and 0 <= position < len(runtime.get("Env") or []):
            env = list(runtime["Env"])
            env[position] = f"{str(env[position]).partition('=')[0]}=<redacted: {finding.rule_id}>"
            runtime["Env"] = env
        elif field == "Labels" and isinstance(runtime.get("Labels"), dict):
            labels = dict(runtime["Labels"])
            keys = sorted(labels)
            if 0 <= position < len(keys):
                labels[keys[position]] = f"<redacted: {finding.rule_id}>"
            runtime["Labels"] = labels
        elif field in ("Cmd", "Entrypoint") and runtime.get(field):
            runtime[field] = [f"<redacted: {finding.rule_id}>"]
        elif field == "history" and 0 <= position < len(config.get("history") or []):
            history = [dict(step) for step in config["history"]]
            hidden_lines.add(str(history[position].get("created_by")))
            history[position]["created_by"] = f"<redacted: {finding.rule_id}>"
            config["history"] = history
    config["config"] = runtime
    # A layer's created_by is a copy of its history line.
    layers = [{**layer, "created_by": "<redacted>"} if layer.get("created_by") in hidden_lines else layer
              for layer in image.get("layers") or []]
    return {**image, "config": config, **({"layers": layers} if layers else {})}


def sarif_parts(report: ScanReport, view: ScanView, first_index: int) -> tuple[list[dict[str, Any]],
                                                                             list[dict[str, Any]]]:
    """(rules, results) to append to the vulnerability run: one rule per secret or config rule id."""
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    image = report.image.ref.name if report.image.ref else report.image.source
    fallback = (report.image.ref.repository if report.image.ref else report.image.source).lstrip("/") or "image"
    for finding in secrets(report, view):
        rule_id = f"secret/{finding.rule_id}"
        rules.setdefault(rule_id, _rule(rule_id, finding.title, finding.severity, "secret",
                                        "Remove the secret from the image (every layer holding it), and rotate it."))
        where = f"layer {finding.layer_index}" if finding.layer_index is not None else "the image config"
        gone = f", deleted by layer {finding.deleted_in_layer} but still in the image" if finding.deleted else ""
        uri = finding.path.lstrip("/") if not finding.in_config else fallback
        results.append(_result(rule_id, first_index + list(rules).index(rule_id), finding.severity,
                               f"{finding.title}: {finding.match} in {finding.path} line {finding.line} ({where}"
                               f"{gone})", uri, finding.line if not finding.in_config else 1,
                               image, finding.path, str(finding.layer_index)))
    for item in config(report, view):
        rule_id = f"config/{item.id}"
        rules.setdefault(rule_id, _rule(rule_id, item.title, item.severity, "configuration", item.remedy))
        uri = item.path.lstrip("/") if item.path else fallback
        results.append(_result(rule_id, first_index + list(rules).index(rule_id), item.severity,
                               f"{item.title}: {item.evidence}. Remedy: {item.remedy}", uri, 1, image,
                               item.path or "", item.evidence))
    return list(rules.values()), results


def _rule(rule_id: str, title: str, severity: Severity, tag: str, remedy: str) -> dict[str, Any]:
    return {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in rule_id.replace("/", "-").split("-")),
        "shortDescription": {"text": title},
        "fullDescription": {"text": title},
        "defaultConfiguration": {"level": LEVELS.get(severity, "note")},
        "help": {"text": remedy, "markdown": remedy},
        "properties": {"precision": "high", "security-severity": SECURITY_SEVERITY.get(severity, "0.0"),
                       "tags": ["security", tag, severity.value]},
    }


def _result(rule_id: str, index: int, severity: Severity, message: str, uri: str, line: int,
            *identity: str) -> dict[str, Any]:
    return {
        "ruleId": rule_id,
        "ruleIndex": index,
        "level": LEVELS.get(severity, "note"),
        "message": {"text": message},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": "ROOTPATH"},
                                            "region": {"startLine": max(line, 1)}}}],
        "partialFingerprints": {"seawallFinding/v1": hashlib.sha256("|".join((rule_id, *identity)).encode())
                                .hexdigest()},
    }


NO_WRAP = ("SEVERITY", "RULE", "CHECK", "MATCH")  # the table columns that never wrap
FLEXIBLE = ("WHERE", "EVIDENCE")  # the one column of each table that takes the rest of the width, and wraps
DISTRO_DEFAULTS_HIDDEN = ("{count} more for files exactly as their distribution packages ship them (setuid passwd, su, "
                          "mount…): --include-distro-defaults shows them")


def secret_where(finding: SecretFinding) -> str:
    """The WHERE cell of a secret: path, line and the layer (or the config), and where a later layer deleted it."""
    layer = f"layer {finding.layer_index}" if finding.layer_index is not None else "config"
    if finding.deleted:
        layer += f", deleted in layer {finding.deleted_in_layer}"
    return f"{finding.path}:{finding.line} ({layer})"


def hidden_defaults(report: ScanReport, view: ScanView) -> int:
    """How many configuration findings the view leaves out as distribution defaults."""
    return len(config(report, view, distro_defaults=True)) - len(config(report, view))


def minimality_parts(m: Minimality) -> tuple[str, str]:
    """The minimality line as (label, the rest)."""
    size = f"{m.compressed_size / 1e6:.1f} MB compressed"
    if m.uncompressed_size is not None:
        size += f", {m.uncompressed_size / 1e6:.1f} MB uncompressed"
    rest = f"{size}, {m.layers} layer(s), {m.packages} package(s)"
    for label, paths in (("shell", m.shells), ("package manager", m.package_managers), ("compiler", m.compilers)):
        rest += f" · {label}: " + (", ".join(p.rpartition('/')[2] for p in paths) if paths else "none")
    return "Minimality: ", rest

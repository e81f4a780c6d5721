"""SARIF 2.1.0 from any vulnerability scanner: one finding per result, its rule naming the vulnerability.

SARIF has no field for a package, so each tool writes it into text; this reads the shapes the common scanners use:
Trivy (message "Package: …\\nInstalled Version: …\\nFixed Version: …", ruleId = the vulnerability id), Grype (ruleId
"<id>-<package>", help text "Package: …\\nVersion: …\\nFix Version: …", message "… reports NAME at version V …"),
and `Key: value` lines or result/rule `properties` from any other tool.
"""

from __future__ import annotations

import re
from typing import Any

from packageurl import PackageURL

from seawall.errors import InputError
from seawall.model.imported import ImportedFinding, ImportedPackage, ImportedReport
from seawall.reports.common import items, malformed, obj, severity_of, text

FORMAT = "sarif"
_ID = re.compile(r"(CVE-\d{4}-\d{4,}|GHSA(?:-[0-9a-z]{4}){3}|GO-\d{4}-\d{4,}|PYSEC-\d{4}-\d+|RUSTSEC-\d{4}-\d{4}|"
                 r"ALAS\d*-\d{4}-\d+|DSA-\d+-\d+|DLA-\d+-\d+|TEMP-\d+-[0-9A-F]+|OSV-\d{4}-\d+)", re.IGNORECASE)
_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z ._-]{0,40}?)\s*:\s*(.*?)\s*$")
_GRYPE_MESSAGE = re.compile(r"reports (?P<name>\S+) at version (?P<version>\S+)")
_KEYS = {
    "package": "package", "package name": "package", "pkgname": "package", "packagename": "package",
    "component": "package", "purl": "purl", "package url": "purl",
    "installed version": "version", "version": "version", "installedversion": "version",
    "packageversion": "version", "package version": "version", "current version": "version",
    "fixed version": "fixed", "fix version": "fixed", "fixedversion": "fixed", "fixed in": "fixed",
    "severity": "severity", "type": "type", "data namespace": "namespace",
    "location": "location", "vulnerability": "id", "vulnerabilityid": "id", "cve": "id",
}


def parse(doc: Any, path: str) -> ImportedReport:
    with malformed(path, FORMAT):
        runs = items(doc["runs"])
        if not runs:
            raise InputError(f"{path} is a SARIF file without runs", remedy="passing the scanner's SARIF output")
        findings: list[ImportedFinding] = []
        tool, version = "", None
        for run in runs:
            driver = obj(obj(obj(run).get("tool")).get("driver"))
            tool = tool or text(driver.get("name")) or "unknown"
            version = version or text(driver.get("semanticVersion")) or text(driver.get("version"))
            rules = [obj(r) for r in items(driver.get("rules"))]
            by_id = {str(r.get("id")): r for r in rules}
            for result in items(obj(run).get("results")):
                result = obj(result)
                index = result.get("ruleIndex")
                rule = rules[index] if isinstance(index, int) and 0 <= index < len(rules) else None
                rule = rule if rule is not None and rule.get("id") == result.get("ruleId") else \
                    by_id.get(str(result.get("ruleId")), rule or {})
                finding = _finding(result, rule)
                if finding is not None:
                    findings.append(finding)
        return ImportedReport(path=path, format=FORMAT, tool=tool, tool_version=version,
                              packages=tuple({f.package: None for f in findings}), findings=tuple(findings))


def _fields(*texts: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for block in texts:
        for line in (block or "").splitlines():
            if line.strip().startswith("|"):
                continue  # markdown tables repeat the text lines
            found = _LINE.match(line)
            if found:
                key = _KEYS.get(found.group(1).strip().lower())
                if key and found.group(2) and key not in out:
                    out[key] = found.group(2)
            elif line.strip().lower().startswith("vulnerability "):
                out.setdefault("id", line.strip().split()[1])
    return out


def _finding(result: dict[str, Any], rule: dict[str, Any]) -> ImportedFinding | None:
    message = text(obj(result.get("message")).get("text"))
    help_text = text(obj(rule.get("help")).get("text"))
    fields = _fields(message, help_text)
    for source in (obj(rule.get("properties")), obj(result.get("properties"))):
        for key, value in source.items():
            mapped = _KEYS.get(str(key).lower())
            if mapped and isinstance(value, str | int | float) and str(value):
                fields.setdefault(mapped, str(value))
    grype = _GRYPE_MESSAGE.search(message or "")
    if grype:
        fields.setdefault("package", grype.group("name"))
        fields.setdefault("version", grype.group("version"))
    rule_id = text(result.get("ruleId")) or text(rule.get("id")) or ""
    id_match = _ID.search(fields.get("id", "")) or _ID.search(rule_id)
    vuln_id = id_match.group(1).upper() if id_match else (fields.get("id") or rule_id)
    if vuln_id.lower().startswith("ghsa-"):
        vuln_id = "GHSA-" + vuln_id[5:].lower()
    purl = fields.get("purl") or (fields["package"] if fields.get("package", "").startswith("pkg:") else None)
    name, version, ptype = fields.get("package"), fields.get("version"), fields.get("type", "")
    if purl:
        try:
            parsed = PackageURL.from_string(purl)
            name, version, ptype = parsed.name, version or parsed.version, ptype or parsed.type
        except ValueError:
            purl = None
    if not name or not vuln_id:
        return None  # a result that names no package is not a package vulnerability (misconfig, secret, …)
    tags = [str(t) for t in items(obj(rule.get("properties")).get("tags"))]
    stated = fields.get("severity") or next((t for t in tags if severity_of(t).value != "unknown"), None)
    if stated is None and obj(rule.get("properties")).get("security-severity"):
        stated = str(obj(rule.get("properties"))["security-severity"])
    locations = []
    for loc in items(result.get("locations")):
        uri = text(obj(obj(obj(loc).get("physicalLocation")).get("artifactLocation")).get("uri"))
        if uri:
            locations.append(uri)
    fixed = fields.get("fixed", "")
    return ImportedFinding(
        id=vuln_id,
        package=ImportedPackage(name=name, version=version or "", type=ptype, purl=purl,
                                locations=tuple(dict.fromkeys([*([fields["location"]] if "location" in fields else
                                                                 []), *locations]))),
        severity=severity_of(stated),
        severity_stated=stated,
        fixed_versions=tuple(v.strip() for v in fixed.split(",") if v.strip()),
        namespace=fields.get("namespace"),
        data_source=text(rule.get("helpUri")),
    )

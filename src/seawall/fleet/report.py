"""The fleet report's facts, computed once from the store, and its CSV, JSON and Markdown forms (HTML in
`report_html`). Every format states the same facts."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from seawall import __version__
from seawall.catalog.eol import release_cycle
from seawall.errors import InputError
from seawall.fleet.records import SEVERITIES, ImageResult
from seawall.fleet.report_trend import TrendPoint, build_trend, distinct, identity
from seawall.fleet.store import ResultsStore, RunInfo
from seawall.formats import FLEET_REPORT_FORMATS
from seawall.model.sbom import Distro
from seawall.output.visible import visible

SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
CSV_COLUMNS = ("image", "repository", "tag", "variant", "digest", "platform", "created", "age_days",
               "hub_last_updated", "pull_count", "distro", "distro_version", "distro_eol", "eol_date", "size",
               "size_uncompressed", "packages", *SEVERITIES, "findings", "fixable", "fixable_critical_high", "kev",
               "max_epss", "secrets", "misconfigs", "verdict", "duration", "reused_from", "error", "vs_default",
               "covered_packages", "uncovered_packages", "uncovered_namespaces")


@dataclass
class ImageView:
    """One image's stored result as the report shows it, with its age in days since it was built."""

    result: ImageResult
    age_days: int | None

    @property
    def anchor(self) -> str:
        return "img-" + "".join(ch if ch.isalnum() else "-" for ch in self.result.key)

    @property
    def sorted_findings(self) -> list[Any]:
        return sorted(self.result.findings, key=lambda f: (SEVERITY_RANK.get(f.severity, 9), f.vuln_id, f.package))

    def row(self) -> dict[str, Any]:
        r = self.result
        return {"image": r.key, "repository": r.repository, "tag": r.tag, "variant": r.variant, "digest": r.digest,
                "platform": r.platform, "created": r.created, "age_days": self.age_days,
                "hub_last_updated": r.hub_last_updated, "pull_count": r.pull_count, "distro": r.distro,
                "distro_version": r.distro_version, "distro_eol": r.distro_eol, "eol_date": r.eol_date,
                "size": r.size, "size_uncompressed": r.size_uncompressed, "packages": r.package_count,
                **{s: r.severities.get(s, 0) for s in SEVERITIES},
                "findings": r.total, "fixable": r.fixable, "fixable_critical_high": r.fixable_critical_high,
                "kev": r.kev, "max_epss": r.max_epss, "secrets": r.secrets, "misconfigs": r.misconfigs,
                "verdict": r.verdict, "duration": r.duration, "reused_from": r.reused_from, "error": r.error,
                "covered_packages": r.covered_packages, "uncovered_packages": r.uncovered_packages,
                "uncovered_namespaces": " ".join(r.uncovered_namespaces) or None}


@dataclass
class ReportData:
    """What every form of the fleet report is written from: the run, its images, the trend and the re-matches."""

    run: RunInfo
    images: list[ImageView]
    trend: list[TrendPoint]
    generated_at: str
    rematches: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> list[ImageView]:
        return [view for view in self.images if view.result.error is None]

    @property
    def errors(self) -> list[ImageView]:
        return [view for view in self.images if view.result.error is not None]

    @property
    def distinct(self) -> list[ImageView]:
        """One view per digest scanned without error: the headline numbers count images, not tags."""
        keep = {id(r) for r in distinct([view.result for view in self.images])}
        return [view for view in self.images if id(view.result) in keep]

    def summary(self) -> dict[str, Any]:
        scanned = [view.result for view in self.distinct]
        # Shares are of images the DB judged fully: an image nothing checked is not "without a fixable critical".
        ok = [r for r in scanned if r.fully_covered]
        tags = len(self.ok)
        selected = max(self.run.selected or 0, len(self.images))
        missing = selected - len(self.images)

        def share(n: int) -> float:
            return round(n / len(ok), 4) if ok else 0.0

        judged = [r for r in scanned if r.verdict]
        completeness = f"{tags} of {selected} images; {len(self.errors)} failed"
        if missing:
            completeness += f"; {missing} not scanned" + (" (the run is unfinished)" if self.run.status != "finished"
                                                          else "")
        return {
            "repositories": len({view.result.repository for view in self.images}),
            "selected": selected, "complete": tags == selected, "completeness": completeness,
            "images": len(scanned), "tags": tags, "scanned": tags, "errors": len(self.errors), "missing": missing,
            "reused": sum(1 for r in scanned if r.reused_from),
            "fullyCovered": len(ok), "notFullyCovered": len(scanned) - len(ok),
            "uncoveredNamespaces": dict(Counter(ns for r in scanned for ns in r.uncovered_namespaces).most_common()),
            "sharesOver": "fully covered images",
            "findings": sum(r.total for r in scanned),
            "bySeverity": {s: sum(r.severities.get(s, 0) for r in scanned) for s in SEVERITIES},
            "fixable": sum(r.fixable for r in scanned), "kev": sum(r.kev for r in scanned),
            "withCriticalHighFixable": sum(1 for r in ok if r.fixable_critical_high),
            "shareCriticalHighFixable": share(sum(1 for r in ok if r.fixable_critical_high)),
            "onEol": sum(1 for r in ok if r.distro_eol), "shareEol": share(sum(1 for r in ok if r.distro_eol)),
            "judged": len(judged), "failedPolicy": sum(1 for r in judged if r.verdict == "fail"),
        }

    def top_cves(self, limit: int = 15) -> list[dict[str, Any]]:
        """The vulnerabilities found in the most images (distinct digests: three tags of one image count once)."""
        images: dict[str, set[str]] = defaultdict(set)
        severity: dict[str, str] = {}
        kev: set[str] = set()
        for view in self.distinct:
            for row in view.result.findings:
                for vuln_id in row.vulnerabilities:  # a DSA counts as each CVE it fixes, each CVE once per image
                    images[vuln_id].add(identity(view.result))
                    if vuln_id not in severity or SEVERITY_RANK[row.severity] < SEVERITY_RANK[severity[vuln_id]]:
                        severity[vuln_id] = row.severity
                    if row.kev:
                        kev.add(vuln_id)
        ranked = sorted(images, key=lambda v: (-len(images[v]), SEVERITY_RANK[severity[v]], v))[:limit]
        return [{"id": v, "images": len(images[v]), "severity": severity[v], "kev": v in kev} for v in ranked]

    def rollup(self) -> list[dict[str, Any]]:
        """Per repository: its tags and distinct images, the latest tag, the worst tag, and the variants."""
        by_repo: dict[str, list[ImageResult]] = defaultdict(list)
        for view in self.ok:
            by_repo[view.result.repository].append(view.result)
        rows = []
        for repo, results in sorted(by_repo.items()):
            latest = next((r for r in results if r.tag == "latest"), None) or max(
                results, key=lambda r: (r.hub_last_updated or r.created or "", r.key))
            worst = min(results, key=lambda r: (-_critical_high(r), -r.total, r.alias_of is not None, r.key))
            rows.append({"repository": repo, "tags": len(results), "images": len({identity(r) for r in results}),
                         "latest": _brief(latest), "worst": _brief(worst),
                         "variants": sorted({r.variant for r in results}),
                         "pullCount": max((r.pull_count for r in results if r.pull_count is not None), default=None),
                         "pushed": max((r.hub_last_updated for r in results if r.hub_last_updated), default=None)})
        return rows

    def distros(self) -> list[dict[str, Any]]:
        counts: Counter[tuple[str, bool | None]] = Counter()
        for view in self.ok:
            r = view.result
            cycle = release_cycle(Distro(r.distro, r.distro_version)) if r.distro else None
            name = f"{r.distro} {cycle or r.distro_version or ''}".strip() if r.distro else "unknown"
            counts[(name, r.distro_eol)] += 1
        return [{"distro": name, "eol": eol, "images": n}
                for (name, eol), n in sorted(counts.items(), key=lambda item: (-item[1], item[0][0]))]

    def variants(self) -> list[dict[str, Any]]:
        """Repositories scanned in more than one variant: size, packages and findings per variant, side by side,
        and each variant against the repository's default one (when it was scanned)."""
        by_repo: dict[str, dict[str, ImageResult]] = defaultdict(dict)
        for view in self.ok:
            by_repo[view.result.repository].setdefault(view.result.variant, view.result)
        groups = []
        for repo, variants in sorted(by_repo.items()):
            if len(variants) < 2:
                continue
            default = variants.get("default")
            groups.append({"repository": repo, "variants": {
                variant: {"image": r.key, "tag": r.tag, "findings": r.total, "criticalHigh": _critical_high(r),
                          "packages": r.package_count, "size": r.size, "sizeUncompressed": r.size_uncompressed,
                          "vsDefault": compare_variant(r, default) if default is not None and r is not default
                          else None}
                for variant, r in sorted(variants.items())}})
        return groups

    def variant_comparisons(self) -> dict[str, dict[str, Any]]:
        """image key -> its comparison with its repository's default variant (non-default variants only)."""
        return {v["image"]: v["vsDefault"] for group in self.variants()
                for v in group["variants"].values() if v["vsDefault"] is not None}


def _brief(result: ImageResult) -> dict[str, Any]:
    return {"tag": result.tag, "image": result.key, "criticalHigh": _critical_high(result), "findings": result.total,
            "fixable": result.fixable, "kev": result.kev}


def _critical_high(result: ImageResult) -> int:
    return result.severities.get("critical", 0) + result.severities.get("high", 0)


def _smaller_pct(size: int | None, default: int | None) -> float | None:
    return round((1 - size / default) * 100, 1) if size and default else None


def compare_variant(result: ImageResult, default: ImageResult) -> dict[str, Any]:
    """How much smaller (percent; negative when larger) and how many fewer findings (negative when more) `result`
    has than `default`, with a one-line reading such as "41% smaller, 12 fewer critical/high"."""
    smaller = _smaller_pct(result.size, default.size)
    smaller_unpacked = _smaller_pct(result.size_uncompressed, default.size_uncompressed)
    fewer_critical_high = _critical_high(default) - _critical_high(result)
    parts = []
    for pct, label in ((smaller, ""), (smaller_unpacked, " unpacked")):
        if pct is not None:
            parts.append(f"{abs(pct):.0f}% {'smaller' if pct >= 0 else 'larger'}{label}")
            break  # the compressed size when known: it is what is pulled
    parts.append(f"{abs(fewer_critical_high)} {'fewer' if fewer_critical_high >= 0 else 'more'} critical/high")
    return {"default": default.tag, "sizeSmallerPct": smaller, "sizeUncompressedSmallerPct": smaller_unpacked,
            "fewerCriticalHigh": fewer_critical_high, "fewerFindings": default.total - result.total,
            "fewerPackages": (default.package_count - result.package_count
                              if default.package_count is not None and result.package_count is not None else None),
            "summary": ", ".join(parts)}


def _age_days(created: str | None, now: datetime) -> int | None:
    if not created:
        return None
    try:
        when = datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0, (now - when).days)


def build_report(store: ResultsStore, run_id: str | None = None, since: str | None = None,
                 now: datetime | None = None) -> ReportData:
    now = now or datetime.now(UTC)
    runs = store.runs(since=since)
    if run_id:
        run = store.get_run(run_id)
        if run is None:
            raise InputError(f"no run {run_id!r} in the results store", remedy="`seawall fleet runs` lists them")
    else:
        finished = [r for r in runs if r.status == "finished"]
        if not finished and not runs:
            raise InputError("the results store holds no run" + (f" since {since}" if since else ""),
                             remedy="`seawall fleet run` first, or check --store")
        run = (finished or runs)[-1]
    results = store.results(run.id, with_findings=True)
    images = [ImageView(r, _age_days(r.created, now)) for r in results]
    trend = build_trend(store, run, runs, results)
    return ReportData(run, images, trend, now.isoformat(timespec="seconds").replace("+00:00", "Z"),
                      store.rematches(run.id))


def render_json(data: ReportData) -> str:
    document = {
        "schema": "https://seawall.dev/schema/fleet-report/v1", "generator": f"seawall/{__version__}",
        "generatedAt": data.generated_at,
        "run": {"id": data.run.id, "catalog": data.run.catalog, "strategy": data.run.strategy,
                "startedAt": data.run.started_at, "finishedAt": data.run.finished_at, "status": data.run.status,
                "dbBuiltAt": data.run.db_built_at},
        "summary": data.summary(),
        "images": [{**view.row(), "states": view.result.states,
                    "findingsList": [row.__dict__ for row in view.result.findings]} for view in data.images],
        "topCves": data.top_cves(), "distros": data.distros(), "variants": data.variants(),
        "repositories": data.rollup(),
        "trend": [{**point.__dict__, "label": point.label} for point in data.trend], "rematches": data.rematches,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_csv(data: ReportData) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    comparisons = data.variant_comparisons()
    for view in data.images:
        vs_default = comparisons.get(view.result.key)
        row = {**view.row(), "vs_default": f"{vs_default['summary']} than {vs_default['default']}"
               if vs_default else None}
        writer.writerow({key: "" if value is None else value for key, value in row.items()})
    return out.getvalue()


def _md(value: object) -> str:
    return str(value if value is not None else "").replace("|", "\\|").replace("\n", " ")


def render_markdown(data: ReportData) -> str:
    s = data.summary()
    lines = [f"# Fleet report — run {data.run.id}", "", f"**{s['completeness']}.**", "",
             f"{s['repositories']} repositories, {s['images']} distinct images ({s['tags']} tags, {s['errors']} "
             f"failed); {s['findings']} findings, {s['fixable']} fixable, {s['kev']} known exploited"
             + (f"; {s['failedPolicy']} of {s['judged']} fail the policy" if s["judged"] else "") + ".", "",
             f"- {s['fullyCovered']} of {s['images']} images fully covered by the DB"
             + (" (not covered: " + ", ".join(f"{ns} in {n}" for ns, n in s["uncoveredNamespaces"].items()) + ")"
                if s["uncoveredNamespaces"] else ""),
             f"- {s['shareCriticalHighFixable']:.0%} of fully covered images have a fixable critical or high "
             "vulnerability",
             f"- {s['shareEol']:.0%} of fully covered images are on an end-of-life distribution", "",
             "| image | age (days) | distro | EOL | critical | high | medium | low | fixable | KEV | verdict |",
             "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for view in data.ok:
        r = view.result
        badge = "" if r.fully_covered else f" (not covered: {' '.join(r.uncovered_namespaces) or 'unknown'})"
        lines.append("| " + " | ".join(_md(v) for v in (
            r.key + badge, view.age_days, f"{r.distro or ''} {r.distro_version or ''}".strip(),
            "yes" if r.distro_eol else "",
            *(r.severities.get(sev, 0) for sev in ("critical", "high", "medium", "low")), r.fixable, r.kev,
            r.verdict or "")) + " |")
    lines += ["", "## Top vulnerabilities", "", "| id | images | severity | KEV |", "|---|---:|---|---|"]
    lines += [f"| {c['id']} | {c['images']} | {c['severity']} | {'yes' if c['kev'] else ''} |"
              for c in data.top_cves()]
    lines += _markdown_variants(data)
    if data.errors:
        lines += ["", "## Errors", "", "| image | error |", "|---|---|"]
        lines += [f"| {_md(v.result.key)} | {_md(v.result.error)} |" for v in data.errors]
    return visible("\n".join(lines)) + "\n"


def _mib(size: int | None) -> str:
    return f"{size / 1048576:.1f} MiB" if size else ""


def _markdown_variants(data: ReportData) -> list[str]:
    groups = data.variants()
    if not groups:
        return []
    lines = ["", "## Variants", "",
             "| repository | variant | tag | size | unpacked | packages | critical+high | findings | against default |",
             "|---|---|---|---:|---:|---:|---:|---:|---|"]
    for group in groups:
        for name, v in group["variants"].items():
            lines.append("| " + " | ".join(_md(x) for x in (
                group["repository"], name, v["tag"], _mib(v["size"]), _mib(v["sizeUncompressed"]), v["packages"],
                v["criticalHigh"], v["findings"], v["vsDefault"]["summary"] if v["vsDefault"] else "")) + " |")
    return lines


def render(data: ReportData, fmt: str) -> str:
    if fmt == "json":
        return render_json(data)
    if fmt == "csv":
        return render_csv(data)
    if fmt in ("md", "markdown"):
        return render_markdown(data)
    if fmt == "html":
        from seawall.fleet.report_html import render_html

        return render_html(data)
    raise InputError(f"unknown report format {fmt!r}", remedy=f"one of {', '.join(FLEET_REPORT_FORMATS)}")

"""Telling owners: one webhook POST per image with changes (signed with HMAC-SHA256 when a secret is set), and a
Markdown summary for cron mails and CI job summaries."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from seawall import __version__
from seawall.errors import NetworkError

SIGNATURE_HEADER = "X-Seawall-Signature"  # "sha256=<hex HMAC of the exact body>"
EVENT_HEADER = "X-Seawall-Event"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def batch_document(repository: str, digest: str, tags: Sequence[str], changes: Sequence[dict[str, Any]], *,
                   sent_at: str, db_updated_at: str | None, platform: str | None = None) -> dict[str, Any]:
    return {"generator": f"seawall/{__version__}", "event": "watch.changes", "sentAt": sent_at,
            "repository": repository, "digest": digest, "platform": platform, "tags": list(tags),
            "reference": f"{repository}@{digest}", "db": {"updatedAt": db_updated_at},
            "needsAction": any(c.get("needsAction") for c in changes), "changes": list(changes)}


def post_batch(url: str, document: dict[str, Any], *, secret: str | None = None, timeout: float = 30.0) -> None:
    """POST one change batch; a refused or failed delivery is an error naming the URL (the batch stays pending)."""
    body = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", "User-Agent": f"seawall/{__version__}",
               EVENT_HEADER: "watch.changes"}
    if secret:
        headers[SIGNATURE_HEADER] = sign(secret, body)
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=timeout)
    except httpx.HTTPError as err:
        raise NetworkError(f"webhook {url}: {type(err).__name__}: {err}".rstrip(": "),
                           remedy="checking the receiver; the changes are kept and sent on the next tick") from None
    if response.status_code >= 300:
        raise NetworkError(f"webhook {url} answered HTTP {response.status_code}",
                           remedy="checking the receiver; the changes are kept and sent on the next tick")


@dataclass
class ImageLine:
    """One promoted image as a tick tells of it: open findings by severity, its changes, why it could not be judged."""

    repository: str
    digest: str
    tags: list[str]
    open_by_severity: dict[str, int] = field(default_factory=dict)
    problem: str | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)
    platform: str | None = None
    gaps: str | None = None  # what the DB could not check for it

    @property
    def name(self) -> str:
        return f"{self.repository}@{self.digest[:19]}" + (f" [{self.platform}]" if self.platform else "")


def _cell(text: object) -> str:
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")


def markdown(at: str, db_line: str, images: Sequence[ImageLine], errors: Sequence[str]) -> str:
    changed = [i for i in images if i.changes]
    action = sum(1 for i in images for c in i.changes if c.get("needsAction"))
    out = [f"# seawall watch, {at}", "", f"- DB: {db_line}",
           f"- {len(images)} production images; {sum(len(i.changes) for i in images)} changes, {action} needing "
           "action"]
    unjudged = [i for i in images if i.problem]
    if unjudged:
        out.append(f"- {len(unjudged)} images not judged (unknown, not clean)")
    for error in errors:
        out.append(f"- could not check: {error}")
    if not changed:
        out += ["", "No change since the last check."]
    for image in changed:
        tags = ", ".join(image.tags) or "untagged"
        out += ["", f"## {image.name} ({tags})", "",
                "| Change | ID | Package | Severity | Fixed in | KEV | EPSS | Suggested action |",
                "|---|---|---|---|---|---|---|---|"]
        for c in image.changes:
            epss = f"{c['epss']:.3f}" if isinstance(c.get("epss"), float) else ""
            out.append("| " + " | ".join(_cell(v) for v in (
                c["kind"], c["id"], f"{c['package']} {c['version']}", c["severity"], c.get("fixedVersion") or "",
                "yes" if c.get("kev") else "", epss, c["suggestedAction"])) + " |")
    gaps = [i for i in images if i.gaps and not i.problem]
    if gaps:
        out += ["", "## Not fully covered by the DB", ""]
        out += [f"- {i.name}: {i.gaps}" for i in gaps]
    if unjudged:
        out += ["", "## Not judged", ""]
        out += [f"- {i.name} ({', '.join(i.tags) or 'untagged'}): {i.problem}" for i in unjudged]
    return "\n".join(out) + "\n"

"""Other scanners' reports read into one model (`seawall.model.imported`), so `seawall compare` can explain them.

`load_report(path)` recognises the format from the document itself: Trivy JSON, Grype JSON, SARIF 2.1.0 and
CycloneDX JSON with vulnerabilities. One module per format; each has `parse(doc, path) -> ImportedReport`.
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path
from typing import Any

from seawall.errors import InputError, SeawallError
from seawall.formats import REPORT_DECODERS, Format
from seawall.jsonbound import MALFORMED, check_depth
from seawall.model.imported import ImportedReport

MAX_REPORT_BYTES = 1 << 30  # a report of a huge image is tens of MB; a bound keeps a wrong file from filling memory
__all__ = ["detect_format", "load_report", "parse_report", "read_json"]


def read_json(path: str | os.PathLike[str], what: str = "report") -> Any:
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > MAX_REPORT_BYTES:
            raise InputError(f"{file} is {size} bytes, more than a {what} can be ({MAX_REPORT_BYTES})",
                             remedy="checking that this is the right file")
        with file.open("rb") as handle:
            raw = handle.read(MAX_REPORT_BYTES + 1)
        check_depth(raw, str(file))
        return json.loads(raw)
    except FileNotFoundError:
        raise InputError(f"{what} {file} does not exist", remedy="checking the path") from None
    except IsADirectoryError:
        raise InputError(f"{what} {file} is a directory", remedy="naming the report file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"{file} is not JSON ({err})",
                         remedy="passing a JSON report (Trivy -f json, grype -o json, SARIF "
                                "or CycloneDX JSON)") from None
    except OSError as err:
        raise InputError(f"cannot read {what} {file}: {err.strerror or err}",
                         remedy="checking its permissions") from None


def detect_format(doc: Any) -> str | None:
    """The report format a parsed document is in, or None."""
    if not isinstance(doc, dict):
        return None
    if "SchemaVersion" in doc and ("Results" in doc or "ArtifactName" in doc):
        return "trivy-json"
    if "matches" in doc and ("descriptor" in doc or "source" in doc):
        return "grype-json"
    if "runs" in doc and str(doc.get("version", "")).startswith("2.1"):
        return "sarif"
    if doc.get("bomFormat") == "CycloneDX":
        return "cyclonedx"
    return None


def parse_report(doc: Any, path: str) -> ImportedReport:
    fmt = detect_format(doc)
    if fmt is None:
        if isinstance(doc, dict) and str(doc.get("schema", "")).startswith("https://seawall.dev/schema/scan/"):
            raise InputError(f"{path} is seawall's own scan report",
                             remedy=f"giving it as the target (`seawall compare report:{path} --with …`)")
        raise InputError(f"{path} is not a report format seawall reads",
                         remedy="passing Trivy JSON (-f json), Grype JSON (-o json), SARIF 2.1.0 or CycloneDX JSON")
    module = importlib.import_module(REPORT_DECODERS[Format(fmt)])
    try:
        report: ImportedReport = module.parse(doc, path)
    except SeawallError:
        raise
    except MALFORMED as err:  # a field of the wrong JSON type somewhere in another tool's report
        raise InputError(f"{path} is a malformed {fmt} report ({type(err).__name__}: {str(err)[:120]})",
                         remedy="passing the report as the tool wrote it") from None
    return report


def load_report(path: str | os.PathLike[str]) -> ImportedReport:
    """Read another scanner's report; a malformed one raises `InputError` naming the file."""
    return parse_report(read_json(path), str(path))

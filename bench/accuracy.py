"""Side-by-side package inventories: seawall vs Syft vs Trivy on every corpus image.

    python bench/accuracy.py [NAME ...] [--keep]

Each tool's output is reduced to (ecosystem, name, version) through its package URLs, with names normalised the way
each ecosystem compares them (PEP 503 for Python, group:artifact for Maven, the module path for Go, epoch:version for
deb and rpm). Prints counts per image and ecosystem, then every package one tool reports and another does not, and
version mismatches; differences with a known cause are tagged with the reason (see bench/ACCURACY.md). Raw outputs
are kept under bench/out/accuracy/. Exits 1 when seawall misses something a peer found or reports something neither
peer does, unless it is explained.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from packageurl import PackageURL

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, corpus_names, docker_archive_of, layout_of, seawall_command
from peers import Peers, ensure_peers, peer_env

TOOLS = ("seawall", "syft", "trivy")
ECOSYSTEMS = {"deb": "deb", "rpm": "rpm", "apk": "apk", "pypi": "python", "npm": "npm", "golang": "go-module",
              "maven": "java-archive", "gem": "gem", "composer": "php", "pecl": "pecl", "cargo": "rust",
              "nuget": "dotnet"}
Key = tuple[str, str, str]  # ecosystem, normalised name, normalised version

# (tool that reports it or "*", ecosystem or "*", regex on "name version", reason): differences whose cause is
# understood, each described in ACCURACY.md.
EXPLAINED: list[tuple[str, str, str, str]] = [
    ("*", "npm", r"^bench-node-app ", "the application's own package.json (/srv/app), not an installed package"),
    ("syft", "go-module", r" \(devel\)$", "Syft makes a module of the main package path of a GOPATH-mode build, "
     "whose build info names no module; (devel) is no version"),
    ("syft", "go-module", r"^github.com/docker/distribution 2.8.2\+ds1$", "GOPATH-mode build: no module in the "
     "build info; Syft makes one from the main package path and a version string found in the binary"),
    ("syft", "npm", r"^(bin 1\.0\.0|web-streams-(poly|pony)fill(-es2018|-es6)? )$", "a package.json nested inside "
     "one module's own tree (/usr/share/nodejs/terser/bin, web-streams-polyfill/es6): a build artefact of that "
     "module, not an installed package; Syft reads every package.json"),
    ("seawall", "python", r"^example 21\.12$", "CPython's own test data, a real egg archive "
     "(/usr/lib/python3.11/test/test_importlib/data/example-21.12-py3.6.egg): seawall reads egg archives, "
     "Syft and Trivy do not"),
]
FORMAT_PROBLEMS: list[str] = []  # seawall outputs that failed or disagree with its JSON inventory
# Packages the image removed in a later layer: no tool may report them.
ABSENT: dict[str, list[tuple[str, str]]] = {"py-app": [("deb", "curl")], "big": [("deb", "curl")]}


def pep503(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _with_epoch(version: str, qualifiers: dict[str, str]) -> str:
    epoch = qualifiers.get("epoch", "")
    if epoch and epoch != "0" and ":" not in version:
        return f"{epoch}:{version}"
    return re.sub(r"^0:", "", version)


def normalise_purl(purl: str) -> tuple[Key, str] | None:
    """(ecosystem, name, version) as the ecosystem compares them, and the Maven group (kept apart: tools guess it
    differently for jars without pom.properties, so it is compared separately)."""
    try:
        parsed = PackageURL.from_string(purl)
    except ValueError:
        return None
    eco = ECOSYSTEMS.get(parsed.type, "other")
    namespace, name, version = parsed.namespace or "", parsed.name, unquote(parsed.version or "")
    qualifiers = parsed.qualifiers if isinstance(parsed.qualifiers, dict) else {}
    group = ""
    if eco == "python":
        name = pep503(name)
    elif eco == "java-archive":
        group = namespace
    elif eco == "go-module":
        name = f"{namespace}/{name}" if namespace else name
        version = version.removeprefix("v")  # the toolchain is "1.19.8" in one tool and "v1.19.8" in another
    elif eco == "npm" and namespace:
        name = f"{namespace}/{name}"
    elif eco in ("deb", "rpm"):
        version = _with_epoch(version, qualifiers)
    elif eco == "other":
        name = f"{parsed.type}/{namespace}/{name}".replace("//", "/")
    return (eco, name, version), group


def _no_purl_key(kind: str, name: str, version: str) -> Key:
    return "no-purl", f"{kind}:{name}", version


# ---- reading each tool's output ----

@dataclass
class Found:
    """One tool's inventory of one image."""

    keys: set[Key] = field(default_factory=set)
    groups: dict[Key, set[str]] = field(default_factory=lambda: defaultdict(set))
    explained: dict[Key, str] = field(default_factory=dict)  # packages with a known tool-specific cause

    def add(self, purl: str | None, kind: str, name: str, version: str) -> Key:
        normal = normalise_purl(purl) if purl else None
        key, group = normal or (("no-purl", f"{kind}:{name}", version), "")
        self.keys.add(key)
        if group:
            self.groups[key].add(group)
        return key


def seawall_packages(doc: dict) -> Found:
    found = Found()
    for package in doc.get("packages", []):
        found.add(package.get("purl"), package.get("type", "?"), package["name"], package.get("version", ""))
    return found


def syft_packages(doc: dict) -> Found:
    found = Found()
    pom_versions: dict[str, set[str]] = defaultdict(set)  # jar file -> versions of the pom.properties inside it
    for artifact in doc.get("artifacts", []):
        virtual = (artifact.get("metadata") or {}).get("virtualPath") or ""
        jar, _, inside = virtual.partition(":")
        # "x.jar:group:artifact" is a pom.properties of x.jar itself; "x.war:WEB-INF/lib/y.jar" is a nested jar.
        if (artifact.get("metadata") or {}).get("pomProperties") and inside and "/" not in inside:
            pom_versions[jar].add(artifact.get("version", ""))
    for artifact in doc.get("artifacts", []):
        key = found.add(artifact.get("purl"), artifact.get("type", "?"), artifact["name"], artifact.get("version", ""))
        metadata = artifact.get("metadata") or {}
        jar = metadata.get("virtualPath")
        # The jar's own pom.properties has the jar's version; a shaded dependency's (cglib in guice) does not.
        if artifact.get("type") == "java-archive" and not metadata.get("pomProperties") and jar in pom_versions \
                and (key[2] in ("", "UNKNOWN") or key[2] in pom_versions[jar]):
            found.explained[key] = "Syft lists the jar a second time under its file name, which differs from the " \
                                   "artifactId of its pom.properties"
    return found


def _cdx_components(components: list[dict]) -> Iterator[dict]:
    for component in components:
        yield component
        yield from _cdx_components(component.get("components", []))


def cyclonedx_packages(doc: dict) -> Found:
    found = Found()
    for component in _cdx_components(doc.get("components", [])):
        if component.get("type") == "operating-system":
            continue
        if not component.get("purl") and component.get("type") == "application" and not component.get("version"):
            continue  # Trivy's grouping node for the files of one language (e.g. "Python", "Node.js")
        found.add(component.get("purl"), component.get("type", "?"), component["name"], component.get("version", ""))
    return found


# ---- running the tools ----

class ToolFailed(Exception):
    pass


def run_tool(cmd: list[str], out: Path, env: dict[str, str] | None = None) -> dict:
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as handle:
        proc = subprocess.run(cmd, stdout=handle, stderr=subprocess.PIPE, env=env, check=False)
    if proc.returncode != 0:
        raise ToolFailed(f"{' '.join(cmd[:4])} … failed ({proc.returncode}): "
                         f"{proc.stderr.decode(errors='replace')[-2000:]}")
    return json.loads(out.read_text())


def spdx_packages(doc: dict) -> Found:
    found = Found()
    for package in doc.get("packages", []):
        purls = [ref["referenceLocator"] for ref in package.get("externalRefs", [])
                 if ref.get("referenceType") == "purl"]
        if purls and not purls[0].startswith("pkg:oci/"):  # the image itself is a package in SPDX
            found.add(purls[0], "?", package["name"], package.get("versionInfo", ""))
    return found


def inventories(name: str, peers: Peers, scratch: Path, reuse: bool) -> dict[str, Found]:
    """Each tool's packages; seawall's CycloneDX and SPDX outputs are checked against its own JSON on the way."""
    out = OUT / "accuracy" / name
    layout, archive = layout_of(name), docker_archive_of(name)
    env = {**peer_env(), "SEAWALL_CACHE_DIR": str(scratch / "seawall")}
    commands = {
        "seawall.json": [*seawall_command(), "sbom", f"oci:{layout}", "--format", "json"],
        "syft.json": peers.syft_sbom(layout),
        "trivy.cdx.json": peers.trivy_sbom(archive, scratch / "trivy"),
        "seawall.cdx.json": [*seawall_command(), "sbom", f"oci:{layout}", "--format", "cyclonedx-json"],
        "seawall.spdx.json": [*seawall_command(), "sbom", f"oci:{layout}", "--format", "spdx-json"],
    }
    docs: dict[str, dict] = {}
    for file, cmd in commands.items():
        try:
            docs[file] = json.loads((out / file).read_text()) if reuse and (out / file).exists() \
                else run_tool(cmd, out / file, env)
        except (ToolFailed, json.JSONDecodeError) as failure:
            if not file.startswith("seawall."):
                sys.exit(str(failure))
            print(f"  ! {file}: {failure}")
            FORMAT_PROBLEMS.append(f"{name}: {file} failed")
    if "seawall.json" not in docs:
        sys.exit(f"seawall produced no inventory of {name}")
    found = {"seawall": seawall_packages(docs["seawall.json"]), "syft": syft_packages(docs["syft.json"]),
             "trivy": cyclonedx_packages(docs["trivy.cdx.json"])}
    for file, reader in (("seawall.cdx.json", cyclonedx_packages), ("seawall.spdx.json", spdx_packages)):
        if file in docs:
            other = reader(docs[file]).keys
            if other != found["seawall"].keys:
                FORMAT_PROBLEMS.append(f"{name}: {file} differs from seawall.json")
                print(f"  ! {file} differs from seawall.json: only in json {sorted(found['seawall'].keys - other)[:8]},"
                      f" only in {file} {sorted(other - found['seawall'].keys)[:8]}")
    return found


# ---- comparing ----

def explanation(tool: str, key: Key, found: Found) -> str | None:
    if key in found.explained:
        return found.explained[key]
    eco, name, version = key
    for who, eco_pattern, name_pattern, reason in EXPLAINED:
        if who in (tool, "*") and eco_pattern in (eco, "*") and re.search(name_pattern, f"{name} {version}"):
            return reason
    return None


def by_ecosystem(keys: set[Key]) -> dict[str, set[Key]]:
    groups: dict[str, set[Key]] = defaultdict(set)
    for key in keys:
        groups[key[0]].add(key)
    return groups


def compare(name: str, found: dict[str, Found]) -> int:
    """Prints the comparison; returns the number of unexplained seawall differences."""
    grouped = {tool: by_ecosystem(f.keys) for tool, f in found.items()}
    ecosystems = sorted(set().union(*(g.keys() for g in grouped.values())))
    print(f"\n== {name}")
    print(f"  {'ecosystem':14}" + "".join(f"{tool:>9}" for tool in TOOLS))
    for eco in ecosystems:
        print(f"  {eco:14}" + "".join(f"{len(grouped[tool].get(eco, ())):>9}" for tool in TOOLS))
    unexplained = 0
    seawall = found["seawall"].keys
    seawall_versions: dict[tuple[str, str], set[str]] = defaultdict(set)
    for eco, pkg, version in seawall:
        seawall_versions[(eco, pkg)].add(version)
    for peer in ("syft", "trivy"):
        for key in sorted(found[peer].keys - seawall):
            eco, pkg, version = key
            reason = explanation(peer, key, found[peer])
            other = seawall_versions.get((eco, pkg))
            what = f"version mismatch: seawall has {', '.join(sorted(other))}" if other else "missing in seawall"
            unexplained += reason is None
            print(f"  {peer:>7} only {eco:12} {pkg} {version or '(no version)'} — {what}"
                  + (f"\n{'':22}[explained: {reason}]" if reason else ""))
    for key in sorted(seawall - found["syft"].keys - found["trivy"].keys):
        reason = explanation("seawall", key, found["seawall"])
        unexplained += reason is None
        print(f"  seawall only {key[0]:12} {key[1]} {key[2] or '(no version)'}"
              + (f"\n{'':22}[explained: {reason}]" if reason else ""))
    for key in sorted(seawall):
        mine = found["seawall"].groups.get(key, set())
        for peer in ("syft", "trivy"):
            theirs = found[peer].groups.get(key, set())
            if key in found[peer].keys and mine != theirs:
                print(f"  maven group  {key[1]} {key[2]}: seawall {sorted(mine) or '-'},"
                      f" {peer} {sorted(theirs) or '-'}")
    for eco, pkg in ABSENT.get(name, []):
        for tool in TOOLS:
            present = sorted(k for k in found[tool].keys if k[:2] == (eco, pkg))
            if present:
                unexplained += tool == "seawall"
                print(f"  {tool} reports {eco} {pkg}, which the image removed: {present}")
    return unexplained


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="NAME", help="corpus images (default: all built)")
    parser.add_argument("--reuse", action="store_true", help="compare the outputs kept from the last run")
    args = parser.parse_args()
    peers = ensure_peers()
    total = 0
    summary: dict[str, dict[str, dict[str, int]]] = {}
    for name in corpus_names(args.names):
        with tempfile.TemporaryDirectory(prefix="seawall-accuracy-") as scratch:
            found = inventories(name, peers, Path(scratch), args.reuse)
        total += compare(name, found)
        summary[name] = {tool: {eco: len(keys) for eco, keys in by_ecosystem(f.keys).items()}
                         for tool, f in found.items()}
    (OUT / "accuracy" / "summary.json").write_text(json.dumps(summary, indent=2))
    print(f"\nunexplained seawall differences: {total}")
    print(f"seawall output format problems: {len(FORMAT_PROBLEMS)}" + "".join(f"\n  {p}" for p in FORMAT_PROBLEMS))
    sys.exit(1 if total or FORMAT_PROBLEMS else 0)


if __name__ == "__main__":
    main()

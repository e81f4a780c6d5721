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
from pathlib import Path
from urllib.parse import unquote

from packageurl import PackageURL

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, corpus_names, docker_archive_of, layout_of, seawall_command  # noqa: E402
from peers import Peers, ensure_peers, peer_env  # noqa: E402

TOOLS = ("seawall", "syft", "trivy")
ECOSYSTEMS = {"deb": "deb", "rpm": "rpm", "apk": "apk", "pypi": "python", "npm": "npm", "golang": "go-module",
              "maven": "java-archive", "gem": "gem", "composer": "php", "cargo": "rust", "nuget": "dotnet"}
Key = tuple[str, str, str]  # ecosystem, normalised name, normalised version

# (tool that reports it, ecosystem, name regex, reason): differences whose cause is understood; see ACCURACY.md.
EXPLAINED: list[tuple[str, str, str, str]] = [
    ("syft", "go-module", r"^stdlib$", "Syft adds the Go toolchain as a pseudo-package 'stdlib'"),
    ("syft", "other", r".*", "Syft binary classifiers (not a package manager record)"),
]


def pep503(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _with_epoch(version: str, qualifiers: dict[str, str]) -> str:
    epoch = qualifiers.get("epoch", "")
    if epoch and epoch != "0" and ":" not in version:
        return f"{epoch}:{version}"
    return re.sub(r"^0:", "", version)


def normalise_purl(purl: str) -> Key | None:
    try:
        parsed = PackageURL.from_string(purl)
    except ValueError:
        return None
    eco = ECOSYSTEMS.get(parsed.type, "other")
    namespace, name, version = parsed.namespace or "", parsed.name, unquote(parsed.version or "")
    qualifiers = parsed.qualifiers if isinstance(parsed.qualifiers, dict) else {}
    if eco == "python":
        name = pep503(name)
    elif eco == "java-archive":
        name = f"{namespace}:{name}" if namespace else name
    elif eco == "go-module" or (eco == "npm" and namespace):
        name = f"{namespace}/{name}" if namespace else name
    elif eco in ("deb", "rpm"):
        version = _with_epoch(version, qualifiers)
    elif eco == "other":
        name = f"{parsed.type}/{namespace}/{name}".replace("//", "/")
    return eco, name, version


def _no_purl_key(kind: str, name: str, version: str) -> Key:
    return "no-purl", f"{kind}:{name}", version


# ---- reading each tool's output ----

def seawall_packages(doc: dict) -> Iterator[Key]:
    for package in doc.get("packages", []):
        key = normalise_purl(package["purl"]) if package.get("purl") else None
        yield key or _no_purl_key(package.get("type", "?"), package["name"], package.get("version", ""))


def syft_packages(doc: dict) -> Iterator[Key]:
    for artifact in doc.get("artifacts", []):
        key = normalise_purl(artifact["purl"]) if artifact.get("purl") else None
        yield key or _no_purl_key(artifact.get("type", "?"), artifact["name"], artifact.get("version", ""))


def _cdx_components(components: list[dict]) -> Iterator[dict]:
    for component in components:
        yield component
        yield from _cdx_components(component.get("components", []))


def cyclonedx_packages(doc: dict) -> Iterator[Key]:
    for component in _cdx_components(doc.get("components", [])):
        if component.get("type") == "operating-system":
            continue
        key = normalise_purl(component["purl"]) if component.get("purl") else None
        if key is None and component.get("type") == "application" and not component.get("version"):
            continue  # Trivy's grouping node for the files of one language (e.g. "Python", "Node.js")
        yield key or _no_purl_key(component.get("type", "?"), component["name"], component.get("version", ""))


# ---- running the tools ----

def run_tool(cmd: list[str], out: Path, env: dict[str, str] | None = None) -> dict:
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as handle:
        proc = subprocess.run(cmd, stdout=handle, stderr=subprocess.PIPE, env=env, check=False)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd[:4])} … failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[-2000:]}")
    return json.loads(out.read_text())


def inventories(name: str, peers: Peers, scratch: Path) -> dict[str, set[Key]]:
    out = OUT / "accuracy" / name
    layout, archive = layout_of(name), docker_archive_of(name)
    env = {**peer_env(), "SEAWALL_CACHE_DIR": str(scratch / "seawall")}
    seawall = run_tool([*seawall_command(), "sbom", f"oci:{layout}", "--format", "json"], out / "seawall.json", env)
    seawall_cdx = run_tool([*seawall_command(), "sbom", f"oci:{layout}", "--format", "cyclonedx-json"],
                           out / "seawall.cdx.json", env)
    syft = run_tool(peers.syft_sbom(layout), out / "syft.json", env)
    trivy = run_tool(peers.trivy_sbom(archive, scratch / "trivy"), out / "trivy.cdx.json", env)
    found = {"seawall": set(seawall_packages(seawall)), "syft": set(syft_packages(syft)),
             "trivy": set(cyclonedx_packages(trivy))}
    cdx = set(cyclonedx_packages(seawall_cdx))
    if cdx != found["seawall"]:
        print(f"  ! seawall cyclonedx-json differs from its json: only json {sorted(found['seawall'] - cdx)[:10]}, "
              f"only cdx {sorted(cdx - found['seawall'])[:10]}")
    return found


# ---- comparing ----

def explanation(tool: str, key: Key) -> str | None:
    eco, name, _version = key
    for who, eco_pattern, name_pattern, reason in EXPLAINED:
        if who == tool and eco_pattern == eco and re.search(name_pattern, name):
            return reason
    return None


def by_ecosystem(keys: set[Key]) -> dict[str, set[Key]]:
    groups: dict[str, set[Key]] = defaultdict(set)
    for key in keys:
        groups[key[0]].add(key)
    return groups


def compare(name: str, found: dict[str, set[Key]]) -> int:
    """Prints the comparison; returns the number of unexplained seawall differences."""
    grouped = {tool: by_ecosystem(keys) for tool, keys in found.items()}
    ecosystems = sorted(set().union(*(g.keys() for g in grouped.values())))
    print(f"\n== {name}")
    print(f"  {'ecosystem':14}" + "".join(f"{tool:>9}" for tool in TOOLS))
    for eco in ecosystems:
        print(f"  {eco:14}" + "".join(f"{len(grouped[tool].get(eco, ())):>9}" for tool in TOOLS))
    unexplained = 0
    seawall = found["seawall"]
    seawall_versions: dict[tuple[str, str], set[str]] = defaultdict(set)
    for eco, pkg, version in seawall:
        seawall_versions[(eco, pkg)].add(version)
    for peer in ("syft", "trivy"):
        for key in sorted(found[peer] - seawall):
            eco, pkg, version = key
            reason = explanation(peer, key)
            other = seawall_versions.get((eco, pkg))
            what = f"version mismatch: seawall has {', '.join(sorted(other))}" if other else "missing in seawall"
            if reason is None:
                unexplained += 1
            print(f"  {peer:>6} only  {eco:12} {pkg} {version}  — {what}" + (f"  [{reason}]" if reason else ""))
    for key in sorted(seawall - found["syft"] - found["trivy"]):
        reason = explanation("seawall", key)
        unexplained += reason is None
        print(f"  seawall only  {key[0]:12} {key[1]} {key[2]}" + (f"  [{reason}]" if reason else ""))
    for key in sorted((found["syft"] ^ found["trivy"]) & seawall):
        holder = "syft" if key in found["syft"] else "trivy"
        print(f"  (peers disagree) {key[0]:12} {key[1]} {key[2]}: seawall and {holder} have it")
    return unexplained


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="NAME", help="corpus images (default: all built)")
    args = parser.parse_args()
    peers = ensure_peers()
    total = 0
    summary: dict[str, dict[str, int]] = {}
    for name in corpus_names(args.names):
        with tempfile.TemporaryDirectory(prefix="seawall-accuracy-") as scratch:
            found = inventories(name, peers, Path(scratch))
        total += compare(name, found)
        summary[name] = {tool: len(keys) for tool, keys in found.items()}
    (OUT / "accuracy" / "summary.json").write_text(json.dumps(summary, indent=2))
    print(f"\nunexplained seawall differences: {total}")
    sys.exit(1 if total else 0)


if __name__ == "__main__":
    main()

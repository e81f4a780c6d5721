"""Every scheme orders thousands of real version pairs exactly as its reference implementation does.

The `<scheme>-pairs.txt` files were produced by the reference tools themselves (dpkg, rpm, apk-tools, packaging,
node-semver, Maven's ComparableVersion, golang.org/x/mod/semver, RubyGems) through bench/versions/gen_*.py;
`<scheme>.txt` holds hand-picked edge cases checked the same way.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from seawall.versions import InvalidVersion, scheme_for

ASSETS = Path(__file__).parent / "assets" / "versions"
OPS = {"<": -1, "==": 0, ">": 1}
SCHEMES = ["dpkg", "rpm", "apk", "pep440", "semver", "maven", "go", "gem"]


def read_pairs(path: Path) -> list[tuple[str, int, str]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            a, op, b = line.split()
            out.append((a, OPS[op], b))
    return out


def mismatches(scheme_name: str, pairs: list[tuple[str, int, str]]) -> list[str]:
    scheme = scheme_for(scheme_name)
    wrong = []
    for a, expected, b in pairs:
        got = scheme.compare(a, b)
        if got != expected:
            wrong.append(f"{a} vs {b}: expected {expected}, got {got}")
    return wrong


@pytest.mark.parametrize("name", SCHEMES)
def test_real_pairs_match_the_reference(name: str) -> None:
    pairs = read_pairs(ASSETS / f"{name}-pairs.txt")
    assert len(pairs) >= 4000
    assert mismatches(name, pairs) == []


@pytest.mark.parametrize("name", [*SCHEMES, "composer", "cargo", "generic"])
def test_edge_cases(name: str) -> None:
    pairs = read_pairs(ASSETS / f"{name}.txt")
    assert pairs
    assert mismatches(name, pairs) == []


@pytest.mark.parametrize("name", SCHEMES)
def test_comparison_is_antisymmetric_on_real_pairs(name: str) -> None:
    scheme = scheme_for(name)
    for a, expected, b in read_pairs(ASSETS / f"{name}-pairs.txt")[:500]:
        assert scheme.compare(b, a) == -expected


def test_apk_tools_own_vectors() -> None:
    scheme = scheme_for("apk")
    rejected = []
    pairs = read_pairs(ASSETS / "apk-tools-vectors.txt")
    for a, expected, b in pairs:
        if not (scheme.is_valid(a) and scheme.is_valid(b)):
            rejected.append((a, b))
            with pytest.raises(InvalidVersion):
                scheme.compare(a, b)
            continue
        assert scheme.compare(a, b) == expected, (a, b)
    # The vectors include two versions apk-tools itself rejects (1.0bc, 23_foo).
    assert rejected == [("23_foo", "4_beta"), ("1.0", "1.0bc")]
    assert len(pairs) > 700


def test_sorting_real_versions_agrees_with_pairwise_order() -> None:
    scheme = scheme_for("dpkg")
    versions = sorted({v for a, _, b in read_pairs(ASSETS / "dpkg-pairs.txt") for v in (a, b)})[:400]
    ordered = scheme.sorted(versions)
    for lower, higher in itertools.pairwise(ordered):
        assert scheme.compare(lower, higher) <= 0

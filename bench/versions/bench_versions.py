"""How fast the version schemes are, and how seawall's dpkg ordering compares with python-debian's.

    python bench/versions/bench_versions.py

Prints, per scheme, the cost of parsing a key (cold cache) and of comparing two cached versions, then a
matcher-shaped workload: 2,000 installed packages, each checked against 5 advisory ranges (two comparisons each).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from seawall.versions import scheme_for

ASSETS = Path(__file__).resolve().parents[2] / "tests" / "assets" / "versions"
SCHEMES = ["dpkg", "rpm", "apk", "pep440", "semver", "maven", "go", "gem"]


def pairs(name: str) -> list[tuple[str, int, str]]:
    ops = {"<": -1, "==": 0, ">": 1}
    out = []
    for line in (ASSETS / f"{name}-pairs.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            a, op, b = line.split()
            out.append((a, ops[op], b))
    return out


def per_call(fn: Callable[..., object], items: list[tuple]) -> float:
    start = time.perf_counter()
    for item in items:
        fn(*item)
    return (time.perf_counter() - start) / len(items) * 1e6


def bench_scheme(name: str) -> None:
    scheme = type(scheme_for(name))()  # a fresh instance: an empty key cache
    data = pairs(name)
    versions = sorted({v for a, _, b in data for v in (a, b)})
    parse_us = per_call(scheme.key, [(v,) for v in versions])
    compare_us = per_call(scheme.compare, [(a, b) for a, _, b in data])
    print(f"{name:8} {len(versions):6} versions  parse {parse_us:6.1f} µs  compare (cached) {compare_us:5.2f} µs")


def bench_matcher() -> None:
    dpkg = type(scheme_for("dpkg"))()
    data = pairs("dpkg")
    installed = [a for a, _, _ in data][:2000]
    fixed = [b for _, _, b in data]
    for label in ("cold", "warm"):
        start = time.perf_counter()
        for i, version in enumerate(installed):
            for j in range(5):
                fix = fixed[(i * 5 + j) % len(fixed)]
                _ = dpkg.compare(version, "0") >= 0 and dpkg.compare(version, fix) < 0
        elapsed = (time.perf_counter() - start) * 1000
        print(f"matcher-shaped: 2,000 packages × 5 ranges ({label} cache) in {elapsed:.1f} ms")


def bench_python_debian() -> None:
    try:
        from debian.debian_support import Version as DebianVersion
    except ImportError:
        print("python-debian not installed")
        return
    data = pairs("dpkg")
    start = time.perf_counter()
    wrong = 0
    for a, expected, b in data:
        va, vb = DebianVersion(a), DebianVersion(b)
        wrong += ((va > vb) - (va < vb)) != expected
    us = (time.perf_counter() - start) / len(data) * 1e6
    print(f"python-debian Version: {us:.1f} µs per parse+compare, {wrong} of {len(data)} disagree with dpkg")
    start = time.perf_counter()
    parsed = [(DebianVersion(a), DebianVersion(b)) for a, _, b in data]
    start = time.perf_counter()
    for va, vb in parsed:
        _ = va < vb
    print(f"python-debian Version: {(time.perf_counter() - start) / len(data) * 1e6:.1f} µs per compare of parsed")


def main() -> None:
    for name in SCHEMES:
        bench_scheme(name)
    bench_matcher()
    bench_python_debian()


if __name__ == "__main__":
    main()

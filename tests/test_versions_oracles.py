"""dpkg and rpm orderings checked live against the tools themselves, over generated version pairs.

Each run checks pairs from a fixed seed and from a fresh one (printed on failure, to replay with
SEAWALL_ORACLE_SEED). dpkg: seawall's verdict for each pair is put to `dpkg --compare-versions A lt|eq|gt B`, one
call per pair from two shell loops; rpm: every pair goes through `rpm.vercmp` in one Lua chunk of one `rpm --eval`.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from seawall.versions import scheme_for

DPKG_PAIRS = 5_000  # per seed
RPM_PAIRS = 20_000
FIXED_SEED = 20_260_101
OPS = {-1: "lt", 0: "eq", 1: "gt"}


def _seeds() -> list[int]:
    fresh = int(os.environ.get("SEAWALL_ORACLE_SEED") or int.from_bytes(os.urandom(4), "big"))
    return [FIXED_SEED, fresh]


# dpkg ------------------------------------------------------------------------------------------------------------

_DEB_SUFFIXES = ["", "~deb12u1", "+deb12u1", "~deb11u2", "+deb11u1", "~bpo11+1", "ubuntu1", "ubuntu0.22.04.1",
                 "+b1", "~rc1", "~", "+", "a", "build1", "+really1.2", "~~", ".0", "0"]


def _deb_upstream(rng: random.Random) -> str:
    parts = [rng.choice(["0", "0", "1", "2", "9", "10", "01", "123", "20200101"])]
    for _ in range(rng.randint(0, 3)):
        parts.append(rng.choice([".", ".", "+", "~", ""]) + rng.choice(["0", "1", "2", "10", "00", "a", "b",
                                                                            "git20200101", "dfsg", "rc1", "beta"]))
    return "".join(parts) + rng.choice(_DEB_SUFFIXES)


def _deb_revision(rng: random.Random) -> str | None:
    choice = rng.random()
    if choice < 0.2:
        return None
    base = rng.choice(["0", "1", "2", "0", "10", "1.1", "0.1", "3"])
    return base + rng.choice(_DEB_SUFFIXES)


def _deb_version(rng: random.Random) -> str:
    epoch = rng.choice(["", "", "", "0:", "1:", "2:"])
    upstream = _deb_upstream(rng)
    revision = _deb_revision(rng)
    if revision is None:
        return epoch + upstream
    if rng.random() < 0.2:
        upstream += "-" + rng.choice(["1", "rc"])  # a hyphen inside the upstream part
    return f"{epoch}{upstream}-{revision}"


def _deb_mutate(rng: random.Random, version: str) -> str:
    """A neighbour of `version`: the pairs worth comparing differ in one small place."""
    roll = rng.random()
    if roll < 0.25:
        return version + rng.choice(_DEB_SUFFIXES[1:])
    if roll < 0.4 and "-" in version:
        head, _, _ = version.rpartition("-")
        return f"{head}-{rng.choice(['0', '0~', '0~deb12u1', '1', '0+deb12u1', '00', '1~'])}"
    if roll < 0.5 and "-" not in version:
        return version + rng.choice(["-0", "-1", "-0~", "-0~deb12u1"])
    if roll < 0.6:
        return version[:-1] if len(version) > 1 and version[-2] not in "-:" else version + "0"
    return _deb_version(rng)


def _deb_pairs(seed: int, count: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    pairs = []
    while len(pairs) < count:
        a = _deb_version(rng)
        b = _deb_mutate(rng, a)
        if scheme_for("dpkg").is_valid(b) and scheme_for("dpkg").is_valid(a):
            pairs.append((a, b) if rng.random() < 0.5 else (b, a))
    return pairs


def _dpkg_confirms(lines: list[str]) -> list[str]:
    script = 'while read -r a op b; do dpkg --compare-versions "$a" "$op" "$b"; echo $?; done'
    done = subprocess.run(["sh", "-c", script], input="\n".join(lines) + "\n", capture_output=True, text=True,
                          check=True, timeout=300)
    return done.stdout.split()


@pytest.mark.skipif(shutil.which("dpkg") is None, reason="dpkg is not installed")
def test_dpkg_order_matches_dpkg_compare_versions() -> None:
    scheme = scheme_for("dpkg")
    failures = []
    for seed in _seeds():
        pairs = _deb_pairs(seed, DPKG_PAIRS)
        claims = [f"{a} {OPS[scheme.compare(a, b)]} {b}" for a, b in pairs]
        half = len(claims) // 2
        with ThreadPoolExecutor(2) as pool:
            codes = [c for part in pool.map(_dpkg_confirms, (claims[:half], claims[half:])) for c in part]
        assert len(codes) == len(claims)
        wrong = [claim for claim, code in zip(claims, codes, strict=True) if code != "0"]
        if wrong:
            failures.append(f"seed {seed}: dpkg refutes {len(wrong)} of {len(claims)}, e.g. {wrong[:5]}")
    assert not failures, "; ".join(failures)


def test_dpkg_cases_with_zero_parts_and_tildes() -> None:
    dpkg = scheme_for("dpkg")
    assert dpkg.compare("1.0-0~deb12u1", "1.0-0") == -1
    assert dpkg.compare("1-0", "1-0~") == 1
    assert dpkg.compare("0~git20200101-1", "0-1") == -1
    assert dpkg.compare("1.0", "1.0-0") == 0
    assert not dpkg.is_valid("1.0-")  # dpkg --compare-versions: "revision number is empty", exit status 2


# rpm -------------------------------------------------------------------------------------------------------------

_RPM_PIECES = ["1", "2", "10", "0", "01", "a", "b", "rc1", "git20200101", "el8", "el8_6", "fc38", "~rc1", "^post1",
               "~", "^", "p1", "_", "+", "alpha"]


def _rpm_part(rng: random.Random) -> str:
    text = str(rng.choice([0, 1, 2, 3, 10, 123]))
    for _ in range(rng.randint(0, 4)):
        text += rng.choice([".", ".", "", "_", "+"]) + rng.choice(_RPM_PIECES)
    return text


def _rpm_version(rng: random.Random) -> str:
    epoch = rng.choice(["", "", "0:", "1:", "2:"])
    release = "" if rng.random() < 0.2 else "-" + _rpm_part(rng)
    return f"{epoch}{_rpm_part(rng)}{release}"


def _rpm_pairs(seed: int, count: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    pairs = []
    for _ in range(count):
        a = _rpm_version(rng)
        roll = rng.random()
        if roll < 0.3:
            b = a + rng.choice(["~rc1", "^1", ".1", "a", "~", "^", "-1", "0"])
        elif roll < 0.45:
            b = a.replace("0", "00", 1)
        else:
            b = _rpm_version(rng)
        pairs.append((a, b))
    return pairs


def rpm_vercmp(pairs: list[tuple[str, str]], folder: Path) -> list[int]:
    """rpm.vercmp for every pair, from one `rpm --eval` (no macro or brace characters in the Lua chunk)."""
    listing = folder / "pairs.txt"
    listing.write_text("".join(f"{a} {b}\n" for a, b in pairs))
    chunk = (f'for line in io.lines("{listing}") do local at = line:find(" ", 1, true) '
             'print(rpm.vercmp(line:sub(1, at - 1), line:sub(at + 1)) .. ",") end')
    done = subprocess.run(["rpm", "--eval", f"%{{lua: {chunk}}}"], capture_output=True, text=True, check=True,
                          timeout=300)
    return [int(x) for x in done.stdout.replace("\n", "").split(",") if x]


@pytest.mark.skipif(shutil.which("rpm") is None, reason="rpm is not installed")
def test_rpm_order_matches_rpm_vercmp(tmp_path: Path) -> None:
    scheme = scheme_for("rpm")
    failures = []
    for seed in _seeds():
        pairs = _rpm_pairs(seed, RPM_PAIRS)
        expected = rpm_vercmp(pairs, tmp_path)
        assert len(expected) == len(pairs)
        wrong = [f"{a} vs {b}: rpm {want}, seawall {scheme.compare(a, b)}"
                 for (a, b), want in zip(pairs, expected, strict=True) if scheme.compare(a, b) != want]
        if wrong:
            failures.append(f"seed {seed}: {len(wrong)} of {len(pairs)} differ, e.g. {wrong[:5]}")
    assert not failures, "; ".join(failures)

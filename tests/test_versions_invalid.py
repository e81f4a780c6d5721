"""Bad version strings raise InvalidVersion naming the input — never another exception, never a guess."""

from __future__ import annotations

import random
import string
from pathlib import Path

import pytest

from seawall.errors import InputError
from seawall.versions import SCHEMES, InvalidVersion, scheme_for

ASSETS = Path(__file__).parent / "assets" / "versions"

INVALID = {
    "dpkg": ["", "   ", "1.0 1", "a:1.0", "-1:1.0", "1:", "1.0-", "1:-1", "99999999999:1.0"],
    "rpm": ["", "   "],
    "apk": ["", "1.0bc", "23_foo", "1.0-x", "1.0A", "1.0~rc1", "1.0-1", "1.0-r1.2", "1.0_p1.2"],
    "pep440": ["", "1.0-bulbasaur", "0.3.2d", "-class.-jw.util.version.Version-", "1.0.0-SNAPSHOT"],
    "semver": ["", "1.2", "1.2.3.4", "x.y.z", "9007199254740992.0.0", "1.2.3+", "1." + "1" * 300 + ".0"],
    "maven": ["", "  "],
    "go": ["", "bad", "v1-pre", "v1+meta", "v1.2-pre", "v01.2.3", "v1.2.3-01", "go", "1.2.3.4"],
    "gem": ["", "1.0 1", "a1.0", "1..0", "1.0-", "-1"],
    "generic": ["", "dev-main", "1.0 beta", "abc"],
}


@pytest.mark.parametrize(("name", "text"), [(n, t) for n, texts in INVALID.items() for t in texts])
def test_invalid_raises_invalid_version_quoting_input(name: str, text: str) -> None:
    scheme = scheme_for(name)
    with pytest.raises(InvalidVersion) as err:
        scheme.parse(text)
    assert isinstance(err.value, InputError)
    assert repr(text[:77]).strip("'") in err.value.message
    assert err.value.remedy
    assert scheme.try_parse(text) is None
    assert not scheme.is_valid(text)
    with pytest.raises(InvalidVersion):
        scheme.compare(text, text)


def test_real_pypi_versions_pep440_rejects_stay_invalid() -> None:
    scheme = scheme_for("pep440")
    lines = [x for x in (ASSETS / "pep440-invalid-real.txt").read_text().splitlines() if x and not x.startswith("#")]
    assert len(lines) > 50
    assert [v for v in lines if scheme.is_valid(v)] == []


@pytest.mark.parametrize("name", sorted(SCHEMES))
def test_garbage_never_crashes(name: str) -> None:
    scheme = scheme_for(name)
    rng = random.Random(name)
    alphabet = string.ascii_letters + string.digits + ".-_~^+:=! \t" + "é☃\x00\ud800"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        try:
            scheme.compare(text, "1.0.0")
        except InvalidVersion:
            pass


@pytest.mark.parametrize("name", sorted(SCHEMES))
def test_non_strings_and_huge_strings_are_invalid(name: str) -> None:
    scheme = scheme_for(name)
    for bad in (None, 1, b"1.0"):
        with pytest.raises(InvalidVersion):
            scheme.key(bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidVersion, match="longer than"):
        scheme.parse("1." * 5000)

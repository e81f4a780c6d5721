"""Looking schemes up by ecosystem name, and what a parsed Version promises callers."""

from __future__ import annotations

import pytest

from seawall.versions import SCHEMES, UnknownVersionScheme, Version, go_toolchain_to_semver, scheme_for, scheme_names


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("deb", "dpkg"),
        ("Debian", "dpkg"),
        ("alpine", "apk"),
        ("pypi", "pep440"),
        ("python", "pep440"),
        ("npm", "semver"),
        ("golang", "go"),
        ("go-module", "go"),
        ("java-archive", "maven"),
        ("maven", "maven"),
        ("rubygems", "gem"),
        ("gem", "gem"),
        ("crates.io", "cargo"),
        ("cargo", "cargo"),
        ("packagist", "composer"),
        ("composer", "composer"),
        ("nuget", "generic"),
        ("rpm", "rpm"),
        ("Red Hat", "rpm"),
        (" PyPI ", "pep440"),
    ],
)
def test_aliases(alias: str, name: str) -> None:
    assert scheme_for(alias).name == name


def test_unknown_scheme_names_the_choices() -> None:
    with pytest.raises(UnknownVersionScheme) as err:
        scheme_for("cobol")
    assert "'cobol'" in err.value.message
    assert "dpkg" in (err.value.remedy or "")
    assert set(SCHEMES) <= set(scheme_names())


def test_version_objects_order_hash_and_print() -> None:
    dpkg = scheme_for("dpkg")
    a, b, c = dpkg.parse("1.0-1"), dpkg.parse("0:1.0-1"), dpkg.parse("1.0-2")
    assert a == b and hash(a) == hash(b) and len({a, b, c}) == 2
    assert a < c <= c and c > a >= b
    assert str(c) == "1.0-2" and repr(c) == "Version('dpkg', '1.0-2')"
    assert isinstance(a, Version)


def test_versions_of_different_schemes_do_not_compare() -> None:
    a = scheme_for("dpkg").parse("1.0")
    b = scheme_for("pep440").parse("1.0")
    assert a != b
    with pytest.raises(TypeError):
        _ = a < b  # type: ignore[operator]


def test_sort_is_stable_for_equal_versions() -> None:
    versions = ["1.0", "0:1.0", "1.0-0", "0.9", "00:1.0", "1.0~rc1"]
    assert scheme_for("dpkg").sorted(versions) == ["0.9", "1.0~rc1", "1.0", "0:1.0", "1.0-0", "00:1.0"]
    maven = scheme_for("maven")
    assert maven.sorted(["1.0", "1.0-SNAPSHOT", "1.0.0", "1-ga", "1.0-rc1"]) == [
        "1.0-rc1",
        "1.0-SNAPSHOT",
        "1.0",
        "1.0.0",
        "1-ga",
    ]


def test_keys_are_hashable_for_every_scheme() -> None:
    samples = {
        "dpkg": "1:2.3-4",
        "rpm": "1:2.3-4.el9",
        "apk": "2.3-r4",
        "pep440": "2.3.post4",
        "semver": "2.3.4-rc.1",
        "maven": "2.3.4-RC1",
        "go": "v2.3.4+incompatible",
        "gem": "2.3.4.rc1",
        "generic": "2.3.4-rc1",
    }
    for name, text in samples.items():
        scheme = scheme_for(name)
        assert hash(scheme.key(text)) == hash(scheme.key(text))
        assert scheme.compare(text, text) == 0


@pytest.mark.parametrize(
    ("name", "semver"),
    [
        ("go1.21.3", "v1.21.3"),
        ("go1.21rc2", "v1.21.0-rc.2"),
        ("go1.20", "v1.20.0"),
        ("go1", "v1.0.0"),
        ("go1.22.0 X:boringcrypto", "v1.22.0"),
        ("go1.9beta1", "v1.9.0-beta.1"),
        ("devel +abc", None),
        ("go2.0", None),
        ("1.21.3", None),
    ],
)
def test_go_toolchain_to_semver(name: str, semver: str | None) -> None:
    assert go_toolchain_to_semver(name) == semver


def test_go_stdlib_versions_order_like_their_toolchains() -> None:
    go = scheme_for("go")
    assert go.compare("go1.21.3", "1.21.3") == 0
    assert go.compare("go1.21rc2", "v1.21.0") == -1
    assert go.compare("go1.20.14", "go1.21.0") == -1

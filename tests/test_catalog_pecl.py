"""PECL extensions from PEAR's registry, as `pecl install` leaves it in the official php images."""

from __future__ import annotations

import pytest

from seawall.catalog.pecl import PeclCataloger, SerializedError, php_unserialize
from tests.catalog_helpers import catalog_folder, entries_from_files

REGISTRY = "/usr/local/lib/php/.registry/.channel.pecl.php.net"


def test_registry_entries_with_and_without_channel() -> None:
    result = catalog_folder("php-composer", PeclCataloger())
    assert result.unknowns == ()
    got = {p.name: (p.version, p.purl, p.licenses, dict(p.metadata).get("channel")) for p in result.packages}
    assert got == {
        "redis": ("5.3.7", "pkg:pecl/redis@5.3.7", ("PHP",), "pecl.php.net"),
        # an older registry keeps no channel key: the folder names it
        "imagick": ("3.4.4", "pkg:pecl/imagick@3.4.4", ("PHP License",), "pecl.php.net"),
    }
    assert all(p.type == "pecl" and p.locations[0].path.startswith(REGISTRY) for p in result.packages)


def test_composer_packages_beside_the_registry_are_untouched() -> None:
    cataloger = PeclCataloger()
    assert not cataloger.wants("/var/www/html/vendor/composer/installed.json", 0o100644, 10)
    assert not cataloger.wants("/usr/local/lib/php/.registry/.channel.pecl.php.net/.lock", 0o100644, 10)


def test_plain_string_version_and_licence() -> None:
    record = b'a:3:{s:4:"name";s:4:"apcu";s:7:"version";s:6:"5.1.23";s:7:"license";s:3:"PHP";}'
    cataloger = PeclCataloger()
    result = cataloger.catalog(entries_from_files({f"{REGISTRY}/apcu.reg": record}, cataloger))
    assert [(p.name, p.version, p.licenses) for p in result.packages] == [("apcu", "5.1.23", ("PHP",))]


def test_php_values() -> None:
    assert php_unserialize(b'a:4:{i:0;b:1;i:1;N;s:1:"d";d:0.5;s:2:"\xc3\xa9";s:2:"\xc3\xa9";}') == {
        0: True, 1: None, b"d": 0.5, b"\xc3\xa9": b"\xc3\xa9"
    }  # fmt: skip
    assert php_unserialize(b'O:8:"stdClass":1:{s:1:"a";i:-3;}') == {b"a": -3}


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b'a:1:{s:4:"name";s:5:"redis";}',  # no version
        b'a:1:{s:4:"name";s:99:"redis";}',
        b"a:99999999:{}",
        b"a:1:{" * 100 + b"i:0;N;" + b"}" * 100,
        b'a:1:{s:4:"name";r:1;}',
        b'a:1:{s:4:"name";s:5:"redis";',
        b"i:12345678901234567890123;",
        b"\x00\x01binary",
    ],
)
def test_damaged_registry_entries_are_unknowns(data: bytes) -> None:
    cataloger = PeclCataloger()
    result = cataloger.catalog(entries_from_files({f"{REGISTRY}/x.reg": data}, cataloger))
    assert result.packages == () and len(result.unknowns) == 1
    assert "PEAR registry" in result.unknowns[0].reason


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(SerializedError, match="deeper"):
        php_unserialize(b"a:1:{i:0;" * 40 + b"N;" + b"}" * 40)

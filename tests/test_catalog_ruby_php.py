"""Ruby gemspecs and PHP Composer installed.json."""

from __future__ import annotations

import pytest

from seawall.catalog.php import ComposerCataloger
from seawall.catalog.ruby import GemCataloger
from tests.catalog_helpers import catalog_folder, entries_from_files


def test_gems_from_installed_specifications() -> None:
    result = catalog_folder("ruby-gems", GemCataloger())
    gems = {p.name: p for p in result.packages}
    assert {n: p.version for n, p in gems.items()} == {"rake": "13.0.6", "nokogiri": "1.15.4", "json": "2.6.1"}
    assert gems["rake"].purl == "pkg:gem/rake@13.0.6" and gems["rake"].licenses == ("MIT",)
    assert gems["nokogiri"].licenses == ("MIT", "LGPL-2.1-or-later")
    assert gems["json"].licenses == ("Ruby",)
    assert [u.path for u in result.unknowns] == ["/usr/local/bundle/specifications/broken.gemspec"]


def test_composer_v1_and_v2() -> None:
    result = catalog_folder("php-composer", ComposerCataloger())
    found = {(p.name, p.version, p.locations[0].path) for p in result.packages}
    assert found == {
        ("monolog/monolog", "3.5.0", "/var/www/html/vendor/composer/installed.json"),
        ("psr/log", "3.0.0", "/var/www/html/vendor/composer/installed.json"),
        ("guzzlehttp/guzzle", "6.5.5", "/srv/legacy/vendor/composer/installed.json"),
        ("symfony/polyfill-php72", "v1.20.0", "/srv/legacy/vendor/composer/installed.json"),
    }
    monolog = next(p for p in result.packages if p.name == "monolog/monolog")
    assert monolog.purl == "pkg:composer/monolog/monolog@3.5.0" and monolog.licenses == ("MIT",)
    assert result.unknowns == ()


@pytest.mark.parametrize("content", [b"{not json", b'{"hello": 1}', b'"a string"'])
def test_broken_installed_json_is_an_unknown(content: bytes) -> None:
    cataloger = ComposerCataloger()
    result = cataloger.catalog(entries_from_files({"/app/vendor/composer/installed.json": content}, cataloger))
    assert result.packages == () and len(result.unknowns) == 1

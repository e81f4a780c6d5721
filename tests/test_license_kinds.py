"""The licence classification memo: the library's own answers, kept per library version, bounded, and never used
where the user turned the cache off."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from seawall.output import license_kinds
from seawall.output.cyclonedx import _classify
from seawall.output.license_kinds import FILE, LicenseKinds
from tests.imagebuild import build_oci_layout

VALUES = ["MIT", "mit", "Apache-2.0", "GPL-2.0+", "BSD-3-Clause OR MIT", "LGPL-2.1-or-later AND (MIT OR X11)",
          "Public Domain", "https://example.org/LICENSE", "GPL", ""]


def test_remembered_answers_are_the_librarys(tmp_path: Path) -> None:
    memo = LicenseKinds(tmp_path)
    for value in VALUES:
        assert memo.get(value) is None
        memo.put(value, _classify(value))
    memo.save()
    again = LicenseKinds(tmp_path)
    assert {value: again.get(value) for value in VALUES} == {value: _classify(value) for value in VALUES}
    assert again.get("MIT") == ("id", "MIT") and again.get("mit") == ("id", "MIT")
    assert again.get("BSD-3-Clause OR MIT") == ("expression", "BSD-3-Clause OR MIT")
    assert again.get("Public Domain") == ("name", "Public Domain")


def test_another_library_version_starts_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    memo = LicenseKinds(tmp_path)
    memo.get("MIT")
    memo.put("MIT", ("id", "MIT"))
    memo.save()
    real = license_kinds.library_key()
    assert real is not None
    changed = [*real[:-1], [real[-1][0], real[-1][1] + 1, real[-1][2]]]  # the licence index was rewritten
    monkeypatch.setattr(license_kinds, "library_key", lambda: changed)
    assert LicenseKinds(tmp_path).get("MIT") is None
    monkeypatch.setattr(license_kinds, "library_key", lambda: [*real[:1], "0.0.0"])  # another seawall
    assert LicenseKinds(tmp_path).get("MIT") is None


def test_memo_is_bounded_and_damage_is_a_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(license_kinds, "MAX_ENTRIES", 3)
    memo = LicenseKinds(tmp_path)
    memo.get("x")
    for n in range(10):
        memo.put(f"licence {n}", ("name", f"licence {n}"))
    memo.put("A" * (license_kinds.MAX_VALUE + 1), ("name", "A"))
    memo.save()
    stored = json.loads((tmp_path / FILE).read_text())["kinds"]
    assert len(stored) == 3
    for bad in (b"{not json", b'{"key": 1, "kinds": []}', b"[]"):
        (tmp_path / FILE).write_bytes(bad)
        assert LicenseKinds(tmp_path).get("licence 0") is None
    (tmp_path / FILE).write_text(json.dumps({"key": license_kinds.library_key(),
                                             "kinds": {"MIT": ["bogus", "MIT"], "X": ["name"]}}))
    assert LicenseKinds(tmp_path).get("MIT") is None and LicenseKinds(tmp_path).get("X") is None


def _image(tmp_path: Path) -> Path:
    site = "/usr/lib/python3.11/site-packages"
    return build_oci_layout(tmp_path / "img", layers=[{
        f"{site}/a-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: a\nVersion: 1.0\nLicense: MIT\n",
        f"{site}/b-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: b\nVersion: 1.0\nLicense: Public Domain\n",
    }])


def _sbom(layout: Path, cache: Path, out: Path, *extra: str) -> tuple[dict, list[str]]:
    script = ("import sys\nfrom seawall.cli.main import main\n"
              "try:\n    main()\nexcept SystemExit:\n    pass\n"
              "print(' '.join(m for m in ('cyclonedx.spdx', 'license_expression') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script, "--cache-dir", str(cache), "sbom", f"oci:{layout}",
                           "--format", "cyclonedx-json", "--output", str(out), *extra],
                          capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text()), done.stdout.split()


def test_a_second_sbom_writes_the_same_licences_without_the_spdx_tables(tmp_path: Path) -> None:
    layout, cache = _image(tmp_path), tmp_path / "chosen-cache"
    first, loaded_first = _sbom(layout, cache, tmp_path / "1.json")
    second, loaded_second = _sbom(layout, cache, tmp_path / "2.json")
    assert "cyclonedx.spdx" in loaded_first and loaded_second == []
    assert (cache / FILE).is_file()  # in the directory the user chose

    def licences(doc: dict) -> dict:
        return {c["name"]: c.get("licenses") for c in doc["components"]}

    assert licences(first) == licences(second) == {"a": [{"license": {"id": "MIT"}}],
                                                   "b": [{"license": {"name": "Public Domain"}}]}


def test_no_cache_neither_reads_nor_writes_the_memo(tmp_path: Path) -> None:
    layout, cache = _image(tmp_path), tmp_path / "chosen-cache"
    doc, loaded = _sbom(layout, cache, tmp_path / "1.json", "--no-cache")
    assert not (cache / FILE).exists() and "cyclonedx.spdx" in loaded
    assert {c["name"] for c in doc["components"]} == {"a", "b"}

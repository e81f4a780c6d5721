"""`evolve` and `frozen` make the same records `dataclasses.replace` and the generated `__init__` make."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seawall.model.records import evolve, frozen
from seawall.model.sbom import Location, Package
from tests.sbom_samples import sample_sbom

texts = st.text(max_size=12)


@given(name=texts, purl=st.none() | texts, layer=st.none() | st.integers(0, 200), covered=st.none() | st.booleans(),
       owned=st.none() | texts)
def test_evolve_is_replace(name: str, purl: str | None, layer: int | None, covered: bool | None,
                           owned: str | None) -> None:
    for package in sample_sbom().packages:
        changes = {"name": name, "purl": purl, "layer_index": layer, "covered": covered, "owned_by": owned}
        made, expected = evolve(package, **changes), dataclasses.replace(package, **changes)
        assert made == expected and hash(made) == hash(expected)
        assert made.__dict__ == expected.__dict__
        assert package == dataclasses.replace(package)  # the original is untouched


def test_evolve_refuses_what_replace_refuses_and_keeps_records_frozen() -> None:
    package = sample_sbom().packages[0]
    with pytest.raises(TypeError, match="no field"):
        evolve(package, nmae="typo")
    with pytest.raises(dataclasses.FrozenInstanceError):
        evolve(package, name="x").name = "y"  # type: ignore[misc]


def test_frozen_is_the_generated_init() -> None:
    location = Location(path="/var/lib/dpkg/status", layer_index=0, layer_diff_id="sha256:" + "a" * 64)
    assert frozen(Location, dict(location.__dict__)) == location
    package = sample_sbom().packages[0]
    assert frozen(Package, dict(package.__dict__)) == package

"""The cache's JSON form of the model: what `to_data` writes is what the plain reading of its rule gives, and
`from_data` rebuilds the same objects."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from seawall.model.sbom import SBOM, Location, Package
from seawall.model.serialize import from_data, to_data
from tests.sbom_samples import sample_sbom


def reference(value: Any) -> Any:
    """The rule as documented: every field of a dataclass, except None, () and {}; tuples become lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: reference(getattr(value, f.name)) for f in dataclasses.fields(value)
                if not (getattr(value, f.name) is None or getattr(value, f.name) in ((), {}))}
    if isinstance(value, tuple | list):
        return [reference(item) for item in value]
    if isinstance(value, dict):
        return {str(key): reference(item) for key, item in value.items()}
    return value


def test_sample_inventory_matches_the_rule_and_round_trips() -> None:
    sbom = sample_sbom()
    data = to_data(sbom)
    assert data == reference(sbom)
    assert from_data(SBOM, json.loads(json.dumps(data))) == sbom


texts = st.text(max_size=8)


@given(name=texts, version=texts, licenses=st.lists(texts, max_size=2).map(tuple),
       purl=st.none() | texts, paths=st.lists(texts, max_size=2),
       metadata=st.lists(st.tuples(texts, texts), max_size=2).map(tuple))
def test_empty_and_missing_fields_are_left_out_exactly_as_the_rule_says(
        name: str, version: str, licenses: tuple[str, ...], purl: str | None, paths: list[str],
        metadata: tuple[tuple[str, str], ...]) -> None:
    package = dataclasses.replace(
        sample_sbom().packages[0], name=name, version=version, licenses=licenses, purl=purl,
        locations=tuple(Location(path=p) for p in paths), metadata=metadata)
    assert to_data(package) == reference(package)
    assert from_data(Package, json.loads(json.dumps(to_data(package)))) == package


def test_a_record_missing_a_required_field_is_refused_as_init_would() -> None:
    import pytest

    with pytest.raises(TypeError, match="path"):
        from_data(Location, {"layer_index": 1})
    assert from_data(Location, {"path": "/x", "unknown_later_field": 1}) == Location(path="/x")


def test_well_typed_refuses_what_the_hints_do_not_allow() -> None:
    from seawall.model.serialize import well_typed

    sbom = sample_sbom()
    assert well_typed(sbom)
    package = sbom.packages[0]
    assert not well_typed(dataclasses.replace(package, name=3))
    assert not well_typed(dataclasses.replace(package, layer_index="1"))
    assert not well_typed(dataclasses.replace(package, locations=(Location(path=None),)))  # type: ignore[arg-type]
    assert not well_typed(dataclasses.replace(package, licenses=["MIT"]))  # a list where a tuple belongs
    assert well_typed(dataclasses.replace(package, layer_index=None, purl=None))

"""Secret and configuration results kept beside the whole-image entry: a re-scan of an unchanged image gives the
same secrets, configuration findings and minimality without reading a layer, and anything they depend on (the
image config, the rules, the allow lists applied after) is honoured."""

from __future__ import annotations

import json
import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from seawall import paths
from seawall.image.open import open_source
from seawall.inventory.layercache import IMAGES
from seawall.model.finding import ScanReport
from seawall.output.scan import render_scan
from seawall.scan import scan_target
from tests.imagebuild import File, Whiteout, build_oci_layout
from tests.test_inventory import OS_RELEASE, status

SCANNERS = ("secret", "config")
NOW = datetime(2024, 6, 1, tzinfo=UTC)


def token() -> str:
    return "ghp_" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
                            for _ in range(36))


def layout_with(root: Path, config: dict[str, object]) -> Path:
    return build_oci_layout(root, layers=[
        {"/usr/lib/os-release": OS_RELEASE, "/var/lib/dpkg/status": status(("libc6", "2.36-9", "glibc")),
         "/usr/local/bin/api": File(b"\x7fELF", mode=0o4755), "/bin/sh": File(b"\x7fELF", mode=0o755)},
        {"/srv/app/.env": f"GITHUB_TOKEN={token()}\n".encode(), "/srv/app/old.env": f"TOKEN={token()}\n".encode()},
        {"/srv/app/old.env": Whiteout()},
    ], config=config, history=["ADD rootfs.tar /", "COPY app /srv/app", "RUN rm /srv/app/old.env"])


def summary(report: ScanReport) -> tuple[object, ...]:
    return (report.secrets, report.config, report.minimality, report.sbom.packages)


def _results_entries() -> set[Path]:
    return {p for p in (paths.layer_cache_dir() / IMAGES).glob("*.json") if "results" in json.loads(p.read_text())}


def _drop_layers(layout: Path) -> None:
    """Leave only what a cache entry can serve: no layer blob, no layer entry."""
    with open_source(f"oci:{layout}") as source:
        digests = [layer.digest for layer in source.resolve().layers]
    for digest in digests:
        (layout / "blobs" / "sha256" / digest.split(":", 1)[1]).unlink()
    shutil.rmtree(paths.layer_cache_dir() / "sha256")


def test_a_rescan_gives_the_same_results_without_reading_a_layer(tmp_path: Path) -> None:
    layout = layout_with(tmp_path / "img", {})
    cold = scan_target(f"oci:{layout}", scanners=SCANNERS, now=NOW)
    assert {s.path for s in cold.secrets or ()} >= {"/srv/app/.env", "/srv/app/old.env"}
    assert any(s.deleted for s in cold.secrets or ())
    assert {c.id for c in cold.config or ()} >= {"setuid-binary", "root-user"}
    assert cold.minimality is not None and cold.minimality.shells == ("/bin/sh",)
    assert len(_results_entries()) == 1
    _drop_layers(layout)
    warm = scan_target(f"oci:{layout}", scanners=SCANNERS, now=NOW)
    assert summary(warm) == summary(cold)
    for fmt in ("table", "json", "sarif"):  # the same report, in formats that read every field's type
        assert render_scan(warm, fmt) == render_scan(cold, fmt)
    with pytest.raises(Exception, match="blob"):  # what the entry cannot serve still needs the layers
        scan_target(f"oci:{layout}", scanners=("secret",))


def test_allow_lists_apply_to_kept_results(tmp_path: Path) -> None:
    layout = layout_with(tmp_path / "img", {})
    scan_target(f"oci:{layout}", scanners=SCANNERS)
    _drop_layers(layout)
    allow = tmp_path / "secrets.yaml"
    allow.write_text("allow:\n  paths: ['/srv/app/.env']\n")
    warm = scan_target(f"oci:{layout}", scanners=SCANNERS, secret_config=allow)
    assert {s.path for s in warm.secrets or ()} == {"/srv/app/old.env"}


def test_the_same_layers_under_another_config_are_judged_again(tmp_path: Path) -> None:
    as_root = scan_target(f"oci:{layout_with(tmp_path / 'a', {})}", scanners=SCANNERS)
    # The same layer bytes (the tokens differ per build, so build once and copy the config change in).
    other = tmp_path / "b"
    shutil.copytree(tmp_path / "a", other)
    _with_config(other, {"User": "10001"})
    as_user = scan_target(f"oci:{other}", scanners=SCANNERS)
    assert "root-user" in {c.id for c in as_root.config or ()}
    assert "root-user" not in {c.id for c in as_user.config or ()}
    assert len(_results_entries()) == 2


@pytest.mark.parametrize("damage", ["missing fields", "a number where text belongs", "an unknown severity"])
def test_a_damaged_results_entry_is_rebuilt_from_the_layers_and_written_again(tmp_path: Path, damage: str) -> None:
    layout = layout_with(tmp_path / "img", {})
    cold = scan_target(f"oci:{layout}", scanners=SCANNERS, now=NOW)
    (entry,) = _results_entries()
    kept = json.loads(entry.read_text())
    first = kept["results"]["secrets"][0]
    if damage == "missing fields":
        kept["results"]["secrets"] = [{"rule_id": 3}]
    elif damage == "a number where text belongs":
        kept["results"]["secrets"] += [{**first, "path": 7}, {**first, "line": "x"}]
    else:
        first["severity"] = "bogus"
    entry.write_text(json.dumps(kept))
    again = scan_target(f"oci:{layout}", scanners=SCANNERS, now=NOW)
    assert summary(again) == summary(cold)
    assert render_scan(again, "table") == render_scan(cold, "table")
    assert _results_entries() == {entry} and json.loads(entry.read_text())["results"] != kept["results"]
    _drop_layers(layout)  # written again: the next scan needs no layer
    assert summary(scan_target(f"oci:{layout}", scanners=SCANNERS, now=NOW)) == summary(cold)


def _with_config(layout: Path, runtime: dict[str, object]) -> None:
    """Rewrite the layout's image config with `runtime` as its `config`, and the manifest and index to match."""
    from tests.imagebuild import write_index, write_json_blob

    index = json.loads((layout / "index.json").read_text())
    blobs = layout / "blobs" / "sha256"
    manifest = json.loads((blobs / index["manifests"][0]["digest"].split(":", 1)[1]).read_text())
    config = json.loads((blobs / manifest["config"]["digest"].split(":", 1)[1]).read_text())
    config["config"] = runtime
    digest, size = write_json_blob(layout, config)
    manifest["config"] = {**manifest["config"], "digest": digest, "size": size}
    digest, size = write_json_blob(layout, manifest)
    write_index(layout, [{**index["manifests"][0], "digest": digest, "size": size}])

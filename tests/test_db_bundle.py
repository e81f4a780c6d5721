"""Moving the DB: export/import bundles with checksums, OCI artifacts on a real registry, and the `seawall db` CLI."""

from __future__ import annotations

import io
import json
import sqlite3
import tarfile
from pathlib import Path

import pytest
import zstandard
from click.testing import CliRunner

from seawall.cli.main import cli
from seawall.db import SCHEMA_VERSION, VulnStore, update_db
from seawall.db.bundle import export_bundle, import_bundle
from seawall.errors import DatabaseError, IntegrityError
from seawall.feeds.http import Http
from tests.feed_helpers import ASSETS, fixture_feeds


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bundle-db") / "seawall.db"
    assert update_db(path, fixture_feeds(), http=Http(backoff=0, retries=0)).installed
    return path


def _rewrite(bundle: Path, out: Path, change) -> None:
    members = {}
    with tarfile.open(fileobj=zstandard.ZstdDecompressor().stream_reader(bundle.open("rb")), mode="r|") as tar:
        for m in tar:
            members[m.name] = tar.extractfile(m).read()
    change(members)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    out.write_bytes(zstandard.ZstdCompressor().compress(buf.getvalue()))


def test_export_import_round_trip(db: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "db.tar.zst"
    manifest = export_bundle(db, bundle)
    assert bundle.stat().st_size < db.stat().st_size
    target = tmp_path / "imported" / "seawall.db"
    target.parent.mkdir()
    assert import_bundle(bundle, target)["files"] == manifest["files"]
    assert _content(target) == _content(db)
    with VulnStore.open(target) as store:
        assert store.meta()["origin"] == "bundle" and store.meta()["origin_reference"] == str(bundle)


def _content(db: Path) -> list[str]:
    """Every row of the DB but the meta rows saying where this copy came from."""
    with sqlite3.connect(db) as conn:
        return [line for line in conn.iterdump() if not line.startswith('INSERT INTO "meta"')] + \
            [str(row) for row in conn.execute("SELECT * FROM meta WHERE key NOT LIKE 'origin%' AND key != "
                                              "'pulled_at' ORDER BY key")]


def test_tampered_bundle_is_refused_and_the_current_db_kept(db: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "db.tar.zst"
    export_bundle(db, bundle)
    current = tmp_path / "current.db"
    current.write_bytes(db.read_bytes())

    def flip(members: dict[str, bytes]) -> None:
        data = bytearray(members["seawall.db"])
        data[5000] ^= 0xFF
        members["seawall.db"] = bytes(data)

    _rewrite(bundle, tmp_path / "bad.tar.zst", flip)
    with pytest.raises(IntegrityError, match="sha256 does not match"):
        import_bundle(tmp_path / "bad.tar.zst", current)
    (tmp_path / "cut.tar.zst").write_bytes(bundle.read_bytes()[:2000])
    with pytest.raises(IntegrityError, match=r"not a readable|lacks"):
        import_bundle(tmp_path / "cut.tar.zst", current)
    assert current.read_bytes() == db.read_bytes()
    assert not list(tmp_path.glob(".current.db.import-*"))


def test_bundle_of_an_unknown_schema_is_refused(db: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "db.tar.zst"
    export_bundle(db, bundle)

    def future(members: dict[str, bytes]) -> None:
        manifest = json.loads(members["manifest.json"])
        manifest["schema_version"] = 999
        members["manifest.json"] = json.dumps(manifest).encode()

    _rewrite(bundle, tmp_path / "future.tar.zst", future)
    with pytest.raises(DatabaseError, match="schema version 999"):
        import_bundle(tmp_path / "future.tar.zst", tmp_path / "x.db")
    assert not (tmp_path / "x.db").exists()


def test_cli_update_status_export_import(tmp_path: Path) -> None:
    runner = CliRunner()
    path = tmp_path / "cli.db"
    args = ["db", "--db", str(path)]
    result = runner.invoke(cli, [*args, "update", "--feed", "kev", "--source",
                                 f"kev={ASSETS / 'kev' / 'known_exploited_vulnerabilities.json'}"])
    assert result.exit_code == 0, result.output
    status = runner.invoke(cli, [*args, "status", "--format", "json"])
    assert status.exit_code == 0
    feeds = json.loads(status.stdout)["feeds"]
    assert [(f["name"], f["records"], f["skipped"]) for f in feeds] == [("kev", 2, 1)]
    stale = runner.invoke(cli, [*args, "status", "--max-age", "0s", "--fail-stale"])
    assert stale.exit_code == 7 and "warning: feed kev is older than 0s" in stale.stderr
    assert runner.invoke(cli, [*args, "status", "--max-age", "1h"]).exit_code == 0
    assert runner.invoke(cli, [*args, "path"]).stdout.strip() == str(path)
    assert runner.invoke(cli, [*args, "export", str(tmp_path / "b.tar.zst")]).exit_code == 0
    assert runner.invoke(cli, ["db", "--db", str(tmp_path / "b.db"), "import", str(tmp_path / "b.tar.zst")]
                         ).exit_code == 0
    with VulnStore.open(tmp_path / "b.db") as store:
        assert store.vulnerability("CVE-2021-44228").kev is not None


def test_cli_update_reports_a_failed_feed_in_one_line(tmp_path: Path) -> None:
    page = tmp_path / "kev.json"
    page.write_text("<html>oops</html>")
    result = CliRunner().invoke(cli, ["db", "--db", str(tmp_path / "x.db"), "update", "--feed", "kev",
                                      "--source", f"kev={page}"])
    assert result.exit_code == 6
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2 and "kev" in errors[0]  # the feed's error, then "no DB written"


def test_db_with_unknown_schema_is_refused_by_status(db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "future.db"
    copy.write_bytes(db.read_bytes())
    with sqlite3.connect(copy) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    result = CliRunner().invoke(cli, ["db", "--db", str(copy), "status"])
    assert isinstance(result.exception, DatabaseError)


@pytest.mark.registry
def test_push_and_pull_through_a_real_registry(db: Path, tmp_path: Path, registry) -> None:
    from seawall.db.oci import ARTIFACT_TYPE, pull_db, push_db
    ref = f"{registry.host}/seawall/db:1"
    digest = push_db(db, ref)
    assert digest.startswith("sha256:")
    target = tmp_path / "pulled.db"
    pulled = pull_db(ref, target)
    assert _content(target) == _content(db) and pulled.bundle["schema_version"] == SCHEMA_VERSION
    assert pulled.digest == digest and pulled.reference == ref
    assert not (tmp_path / "blobs").exists()  # streamed into place, no second copy in the blob cache
    import httpx

    doc = httpx.get(f"{registry.url}/v2/seawall/db/manifests/1",
                    headers={"Accept": "application/vnd.oci.image.manifest.v1+json"}).json()
    assert doc["artifactType"] == ARTIFACT_TYPE and len(doc["layers"]) == 1

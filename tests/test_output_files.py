"""`-o` the way `trivy -o` behaves: through devices, FIFOs and symlinks; new files with the umask's mode."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from seawall.errors import ExitCode
from seawall.outfile import current_umask, output_file
from tests.imagebuild import build_oci_layout
from tests.test_hostile import BASE, assert_one_line_error, run_cli


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"oci:{build_oci_layout(tmp_path_factory.mktemp('out') / 'img', [BASE])}"


def sbom_to(image: str, target: Path, home: Path, umask: int | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SEAWALL_CACHE_DIR": str(home / "cache"), "HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "seawall", "sbom", "--format", "json", image, "-o", str(target)],
                          capture_output=True, text=True, env=env, timeout=120,
                          preexec_fn=(lambda: os.umask(umask)) if umask is not None else None)


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_file_gets_the_umask_mode(image: str, tmp_path: Path, umask: int, mode: int) -> None:
    target = tmp_path / "sbom.json"
    result = sbom_to(image, target, tmp_path / "home", umask)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert "packages" in json.loads(target.read_text())


def test_existing_file_keeps_its_mode_and_is_replaced_whole(image: str, tmp_path: Path) -> None:
    target = tmp_path / "sbom.json"
    target.write_text("old")
    target.chmod(0o640)
    assert sbom_to(image, target, tmp_path / "home").returncode == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert "packages" in json.loads(target.read_text())
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_symlink_is_written_through(image: str, tmp_path: Path) -> None:
    real = tmp_path / "reports" / "real.json"
    real.parent.mkdir()
    link = tmp_path / "link.json"
    link.symlink_to(real)  # dangling: the file it names is created, as `trivy -o` does
    assert sbom_to(image, link, tmp_path / "home").returncode == 0
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert "packages" in json.loads(real.read_text())
    real.write_text("old")
    assert sbom_to(image, link, tmp_path / "home").returncode == 0
    assert link.is_symlink() and "packages" in json.loads(real.read_text())


def test_fifo_is_written_through(image: str, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = sbom_to(image, fifo, tmp_path / "home")
    reader.join(30)
    assert result.returncode == 0, result.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert "packages" in json.loads(received[0])


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_character_device_is_written_through_not_replaced(image: str, tmp_path: Path) -> None:
    null = tmp_path / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # the same device as /dev/null
    result = sbom_to(image, null, tmp_path / "home")
    assert result.returncode == 0, result.stderr
    assert stat.S_ISCHR(null.lstat().st_mode) and null.lstat().st_rdev == os.makedev(1, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "null"]


def test_directory_and_missing_parent_are_one_line_errors(image: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert_one_line_error(run_cli("sbom", image, "-o", str(tmp_path), home=home), ExitCode.INPUT, "is a directory")
    assert_one_line_error(run_cli("sbom", image, "-o", str(tmp_path / "no" / "x.json"), home=home), ExitCode.INPUT,
                          "does not exist")


def test_binary_output_and_failure_leave_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "bundle.tar.zst"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), output_file(target, binary=True) as handle:
        handle.write(b"half")
        raise RuntimeError("interrupted")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle.tar.zst"]


def test_umask_is_read_without_changing_it() -> None:
    old = os.umask(0o027)
    try:
        assert current_umask() == 0o027
        assert os.umask(0o027) == 0o027
    finally:
        os.umask(old)


def test_db_export_through_a_symlink_and_a_fifo(tmp_path: Path) -> None:
    from seawall.db.build import update_db
    from seawall.db.bundle import export_bundle, import_bundle
    from seawall.feeds.http import Http
    from tests.feed_helpers import fixture_feeds

    db = tmp_path / "seawall.db"
    assert update_db(db, fixture_feeds(), http=Http(backoff=0, retries=0)).installed
    real = tmp_path / "bundles" / "db.tar.zst"
    real.parent.mkdir()
    link = tmp_path / "latest.tar.zst"
    link.symlink_to(real)
    export_bundle(db, link)
    assert link.is_symlink() and real.stat().st_size > 0
    assert stat.S_IMODE(real.stat().st_mode) == 0o666 & ~current_umask()
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    export_bundle(db, fifo)
    reader.join(30)
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and received[0]
    copy = tmp_path / "copy.tar.zst"
    copy.write_bytes(received[0])
    import_bundle(copy, tmp_path / "imported.db")
    assert (tmp_path / "imported.db").stat().st_size == db.stat().st_size

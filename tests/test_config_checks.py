"""Configuration checks on real OCI images: runtime config, build history, file modes and leftover caches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seawall.config_checks import FsFactsAnalyzer, config_findings
from seawall.image.open import open_source
from seawall.image.options import FetchOptions
from seawall.inventory.build import build_inventory
from seawall.model.extra import ConfigFinding
from seawall.model.vuln import Severity
from tests.imagebuild import Dir, File, Opaque, Symlink, Whiteout, add_image, build_oci_layout, write_index

STATUS = b"""Package: login
Status: install ok installed
Architecture: amd64
Version: 1:4.13+dfsg1-1
Source: shadow
Maintainer: Debian <d@example.org>
Description: x
"""
OS_RELEASE = b"ID=debian\nVERSION_ID=12\n"


def findings(layout: Path, cache: Path) -> list[ConfigFinding]:
    with open_source(f"oci:{layout}:latest", fetch=FetchOptions(cache_dir=cache)) as source:
        return config_findings(build_inventory(source, analyzers=[FsFactsAnalyzer()], cache_dir=cache))


def by_id(found: list[ConfigFinding], rule: str) -> list[ConfigFinding]:
    return [f for f in found if f.id == rule]


def minimal(tmp_path: Path, config: dict[str, Any], history: list[str] | None = None) -> list[ConfigFinding]:
    layout = build_oci_layout(tmp_path / "img", layers=[{"/etc/os-release": OS_RELEASE}], config=config,
                              history=history)
    return findings(layout, tmp_path / "cache")


@pytest.mark.parametrize(("user", "root"), [(None, True), ("", True), ("0", True), ("root:root", True),
                                            ("0:1000", True), ("app", False), ("1000:1000", False)])
def test_root_user(tmp_path: Path, user: str | None, root: bool) -> None:
    config = {} if user is None else {"User": user}
    assert bool(by_id(minimal(tmp_path, config), "root-user")) is root


def test_healthcheck_and_privileged_ports(tmp_path: Path) -> None:
    found = minimal(tmp_path, {"User": "1000", "ExposedPorts": {"80/tcp": {}, "8080/tcp": {}, "443/udp": {}},
                               "Healthcheck": {"Test": ["CMD", "true"]}})
    assert not by_id(found, "no-healthcheck")
    [ports] = by_id(found, "privileged-port")
    assert "80/tcp" in ports.evidence and "443/udp" in ports.evidence and "8080" not in ports.evidence
    disabled = minimal(tmp_path / "n", {"Healthcheck": {"Test": ["NONE"]}})
    assert by_id(disabled, "no-healthcheck")


def test_history_add_from_url_and_fetched_script_in_a_shell(tmp_path: Path) -> None:
    found = minimal(tmp_path, {"User": "1"}, history=[
        "ADD https://example.org/tool.tar.gz /opt/ # buildkit",
        "RUN /bin/sh -c curl -fsSL https://example.org/install.sh | bash # buildkit",
        "RUN /bin/sh -c wget -qO- https://example.org/x | sudo sh -s -- -y",
        "RUN /bin/sh -c sh -c \"$(curl -fsSL https://example.org/i)\"",
        "RUN /bin/sh -c curl -o /tmp/x https://example.org/x && sha256sum -c x.sha",
        "COPY . /app",
    ])
    assert len(by_id(found, "add-from-url")) == 1
    assert [f.evidence.split(" runs")[0] for f in by_id(found, "curl-pipe-shell")] == [
        "history step 2", "history step 3", "history step 4"]


def test_secrets_as_build_args_and_env_name_the_variable_not_the_value(tmp_path: Path) -> None:
    found = minimal(tmp_path, {"User": "1", "Env": ["API_KEY=k3y-value-1234", "GPG_KEY=A035C8C19219BA821ECEA86B64E6",
                                                    "DB_PASSWORD_FILE=/run/secrets/db", "TOKEN_URL=https://x"]},
                    history=["RUN |2 NPM_TOKEN=tok-5551234 VERSION=1.0 /bin/sh -c npm ci # buildkit",
                             "ARG SECRET_KEY=s3cr3t-default", "ENV API_KEY=k3y-value-1234"])
    hits = by_id(found, "secret-build-arg")
    assert sorted(f.evidence.split(" ")[0] for f in hits) == ["API_KEY", "NPM_TOKEN", "SECRET_KEY"]
    assert all(f.severity is Severity.HIGH for f in hits)
    assert not any("tok-5551234" in f.evidence or "k3y-value" in f.evidence for f in found)


def test_mutable_base_tag_from_the_base_annotation(tmp_path: Path) -> None:
    layout = tmp_path / "img"
    layout.mkdir()
    tagged = add_image(layout, [{"/etc/os-release": OS_RELEASE}], config={"User": "1"}, manifest_extra={
        "annotations": {"org.opencontainers.image.base.name": "docker.io/library/debian:12",
                        "org.opencontainers.image.base.digest": "sha256:" + "a" * 64}})
    write_index(layout, [tagged])
    [found] = by_id(findings(layout, tmp_path / "cache"), "mutable-base-tag")
    assert "debian:12" in found.evidence and "sha256:aaaa" in found.evidence

    pinned_layout = tmp_path / "pinned"
    pinned_layout.mkdir()
    pinned = add_image(pinned_layout, [{"/etc/os-release": OS_RELEASE}], manifest_extra={
        "annotations": {"org.opencontainers.image.base.name": "docker.io/library/debian:12@sha256:" + "b" * 64}})
    write_index(pinned_layout, [pinned])
    assert not by_id(findings(pinned_layout, tmp_path / "cache"), "mutable-base-tag")


@pytest.fixture(scope="module")
def filesystem_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_oci_layout(
        tmp_path_factory.mktemp("fs") / "img",
        layers=[
            {"/etc/os-release": OS_RELEASE, "/var/lib/dpkg/status": STATUS,
             "/var/lib/dpkg/info/login.list": b"/.\n/bin\n/bin/su\n/usr/bin/newgrp\n",
             "/bin": Symlink("usr/bin"), "/usr/bin": Dir(),
             "/usr/bin/su": File(b"\x7fELF", mode=0o4755), "/usr/bin/newgrp": File(b"\x7fELF", mode=0o4755),
             "/usr/local/bin/backdoor": File(b"\x7fELF", mode=0o6755),
             "/usr/local/bin/hardened": File(b"\x7fELF", mode=0o4755),
             "/tmp": Dir(mode=0o1777), "/srv/shared": Dir(mode=0o777), "/srv/drop": Dir(mode=0o777),
             "/etc/app.conf": File(b"x=1\n", mode=0o666),
             "/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease": b"x" * 100,
             "/var/lib/apt/lists/lock": b"",
             "/var/cache/apt/archives/curl_7.88.1_amd64.deb": b"!<arch>\n" + b"x" * 50,
             "/root/.cache/pip/http/a/b/c": b"y" * 10},
            {"/usr/local/bin/hardened": File(b"\x7fELF", mode=0o755),  # chmod a-s in a later step
             "/srv/drop": Whiteout(),
             "/var/cache/apt/archives": Opaque(),
             "/root/.cache/pip": Whiteout()},
        ],
        config={"User": "1000"},
        history=["ADD rootfs.tar /", "RUN chmod a-s /usr/local/bin/hardened && apt-get clean && rm -rf ..."],
    )


def test_setuid_files_package_owned_are_low_others_medium(filesystem_image: Path, tmp_path: Path) -> None:
    found = by_id(findings(filesystem_image, tmp_path / "cache"), "setuid-binary")
    got = {f.path: f.severity for f in found}
    assert got == {"/usr/bin/su": Severity.LOW, "/usr/bin/newgrp": Severity.LOW,
                   "/usr/local/bin/backdoor": Severity.MEDIUM}
    backdoor = next(f for f in found if f.path == "/usr/local/bin/backdoor")
    assert "setuid and setgid" in backdoor.evidence and "6755" in backdoor.evidence


def test_files_as_their_package_ships_them_are_marked_distro_defaults(filesystem_image: Path,
                                                                     tmp_path: Path) -> None:
    found = {f.path: f for f in by_id(findings(filesystem_image, tmp_path / "cache"), "setuid-binary")}
    # su and newgrp come with `login` in the layer that installed it; the backdoor belongs to no package.
    assert found["/usr/bin/su"].distro_default and found["/usr/bin/newgrp"].distro_default
    assert not found["/usr/local/bin/backdoor"].distro_default


def test_a_setuid_bit_added_by_a_later_layer_is_a_finding(tmp_path: Path) -> None:
    layout = build_oci_layout(tmp_path / "img", layers=[
        {"/etc/os-release": OS_RELEASE, "/var/lib/dpkg/status": STATUS,
         "/var/lib/dpkg/info/login.list": b"/.\n/usr/bin/newgrp\n/usr/bin/faillog\n",
         "/usr/bin/newgrp": File(b"\x7fELF", mode=0o4755), "/usr/bin/faillog": File(b"\x7fELF", mode=0o755)},
        {"/usr/bin/faillog": File(b"\x7fELF", mode=0o4755)},  # RUN chmod u+s /usr/bin/faillog
    ], history=["ADD rootfs.tar /", "RUN chmod u+s /usr/bin/faillog"])
    found = {f.path: f for f in by_id(findings(layout, tmp_path / "cache"), "setuid-binary")}
    assert found["/usr/bin/newgrp"].distro_default
    assert not found["/usr/bin/faillog"].distro_default and found["/usr/bin/faillog"].layer_index == 1


def test_world_writable_paths_outside_sticky_directories(filesystem_image: Path, tmp_path: Path) -> None:
    found = by_id(findings(filesystem_image, tmp_path / "cache"), "world-writable")
    assert sorted(f.path for f in found) == ["/etc/app.conf", "/srv/shared"]


def test_package_caches_left_in_the_final_filesystem(filesystem_image: Path, tmp_path: Path) -> None:
    found = by_id(findings(filesystem_image, tmp_path / "cache"), "package-cache")
    assert [f.title for f in found] == ["Package manager cache left in the image (apt-lists)"]
    assert "1 file(s), 100 bytes" in found[0].evidence and "rm -rf /var/lib/apt/lists" in found[0].remedy


def test_dir_sources_get_filesystem_checks_only(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "srv" / "open").mkdir(parents=True)
    (root / "srv" / "open").chmod(0o777)
    (root / "etc").mkdir()
    (root / "etc" / "os-release").write_bytes(OS_RELEASE)
    with open_source(f"dir:{root}", fetch=FetchOptions(cache_dir=tmp_path / "cache")) as source:
        found = config_findings(build_inventory(source, analyzers=[FsFactsAnalyzer()], cache_dir=tmp_path / "cache"))
    assert [(f.id, f.path) for f in found] == [("world-writable", "/srv/open")]


def test_a_stock_debian_image_has_no_setuid_findings_by_default(debian_layout: Path, tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    def scan(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "seawall", "--cache-dir", str(tmp_path), "scan",
                               f"oci:{debian_layout}:bookworm", "--scanners", "secret,config", *args],
                              capture_output=True, text=True, timeout=300)

    sarif = json.loads(scan("--format", "sarif").stdout)
    rules = [r["ruleId"] for run in sarif["runs"] for r in run["results"]]
    assert rules and "config/setuid-binary" not in rules  # the config checks ran; passwd, su, mount are no finding
    table = scan()
    assert table.returncode == 0 and "/usr/bin/passwd" not in table.stdout
    assert "--include-distro-defaults" in table.stdout
    assert scan("--exit-code", "1", "--severity", "medium,high,critical").returncode == 0
    shown = json.loads(scan("--format", "sarif", "--include-distro-defaults").stdout)
    setuid = [r for run in shown["runs"] for r in run["results"] if r["ruleId"] == "config/setuid-binary"]
    assert {r["level"] for r in setuid} == {"note"}
    assert any("/usr/bin/passwd" in r["message"]["text"] for r in setuid)
    listed = json.loads(scan("--format", "json").stdout)["config"]
    passwd = next(c for c in listed if c.get("path") == "/usr/bin/passwd")
    assert passwd["distro_default"] is True

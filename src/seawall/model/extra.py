"""What a scan finds besides vulnerabilities: secrets, configuration weaknesses, how much the image carries, and
what VEX statements said about findings they did not suppress.

`ScanReport` holds them in `secrets`, `config`, `minimality` and `vex_notes`. A secret finding never holds the
secret: `match` is already redacted.
"""

from __future__ import annotations

from dataclasses import dataclass

from seawall.model.vuln import Severity


@dataclass(frozen=True)
class SecretFinding:
    """A secret found in a file of the image or in its config: which rule, where, from which layer, redacted."""

    rule_id: str
    title: str
    severity: Severity
    path: str  # image path, or "config:<field>" for the image config (Env, Labels, history…)
    line: int  # 1-based; for config fields, the position within the field (env entry, history step)
    match: str  # redacted: a short prefix, "…", and the length
    layer_index: int | None = None  # None: found in the image config
    layer_diff_id: str | None = None
    created_by: str | None = None  # the history line of the layer that added the file
    deleted_in_layer: int | None = None  # a later layer removed the file; it is still in the image's blobs

    @property
    def in_config(self) -> bool:
        return self.layer_index is None

    @property
    def deleted(self) -> bool:
        return self.deleted_in_layer is not None

    @property
    def key(self) -> tuple[str, str, int, int | None]:
        return (self.rule_id, self.path, self.line, self.layer_index)


@dataclass(frozen=True)
class ConfigFinding:
    """A weakness in the image's config, build history or filesystem: what shows it and how to fix it."""

    id: str  # stable rule id, e.g. SW-CFG-001
    severity: Severity
    title: str
    evidence: str  # what in the image shows it (never a secret value)
    remedy: str
    path: str | None = None  # the file it concerns, when it concerns one
    layer_index: int | None = None
    # The file is as the distribution's own package ships it (written by the layer that installed the package):
    # information, shown with --include-distro-defaults and in the JSON, never a finding that fails CI.
    distro_default: bool = False


@dataclass(frozen=True)
class Minimality:
    """How much the final filesystem carries beyond the application."""

    compressed_size: int  # bytes of layer blobs as stored
    uncompressed_size: int | None  # bytes of layer tars; None when not known (dir: sources)
    layers: int
    packages: int
    files: int | None  # regular files written by all layers (one rewritten by two layers counts twice)
    shells: tuple[str, ...] = ()  # paths present in the final view
    package_managers: tuple[str, ...] = ()
    compilers: tuple[str, ...] = ()

    @property
    def has_shell(self) -> bool:
        return bool(self.shells)

    @property
    def has_package_manager(self) -> bool:
        return bool(self.package_managers)

    @property
    def has_compiler(self) -> bool:
        return bool(self.compilers)


@dataclass(frozen=True)
class VexNote:
    """An affected or under_investigation VEX statement that matched a finding: kept, with what it says to do."""

    id: str
    package: str
    version: str
    status: str
    statement: str  # where the statement is: file and position
    source: str
    action: str | None = None

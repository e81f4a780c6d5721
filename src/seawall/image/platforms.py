"""Platforms: this machine's, `--platform os/arch[/variant]` parsing, and choosing a manifest from an index.

Normalisation and matching follow containerd's platforms package: arm64 means arm64/v8, arm means arm/v7, and
an arm/v7 request also accepts arm/v6 and arm/v5 images (in that order of preference).
"""

from __future__ import annotations

import platform as _platform
from typing import Any

from seawall.errors import InputError
from seawall.model.image import Platform

_ARCH_ALIASES = {
    "x86_64": ("amd64", None), "x86-64": ("amd64", None), "amd64": ("amd64", None),
    "aarch64": ("arm64", None), "arm64": ("arm64", None),
    "armhf": ("arm", "v7"), "armel": ("arm", "v6"), "armv7l": ("arm", "v7"), "armv7": ("arm", "v7"),
    "armv6l": ("arm", "v6"), "armv6": ("arm", "v6"), "armv5tel": ("arm", "v5"), "arm": ("arm", None),
    "i386": ("386", None), "i686": ("386", None), "x86": ("386", None), "386": ("386", None),
    "ppc64le": ("ppc64le", None), "s390x": ("s390x", None), "riscv64": ("riscv64", None),
    "mips64le": ("mips64le", None), "loong64": ("loong64", None), "loongarch64": ("loong64", None),
}
ATTESTATION_REF_TYPE = "attestation-manifest"


def normalize(plat: Platform) -> Platform:
    """arm64 → arm64/v8, arm → arm/v7, aarch64 → arm64, x86_64 → amd64; variants written with a leading 'v'."""
    os_name = plat.os.lower()
    arch, implied = _ARCH_ALIASES.get(plat.architecture.lower(), (plat.architecture.lower(), None))
    variant = (plat.variant or implied or "").lower() or None
    if variant and variant[0].isdigit():
        variant = f"v{variant}"
    if arch == "arm64" and variant in (None, "v8.0"):
        variant = "v8"
    elif arch == "arm" and variant is None:
        variant = "v7"
    elif arch == "amd64" and variant == "v1":
        variant = None
    return Platform(os_name, arch, variant)


def host_platform() -> Platform:
    """The platform images run on here: linux with this machine's architecture."""
    return normalize(Platform("linux", _platform.machine() or "amd64"))


def parse_platform(text: str) -> Platform:
    """'linux/arm64/v8', 'linux/amd64', or just 'arm64' (linux implied)."""
    parts = [p for p in text.strip().split("/")]
    if not parts or any(not p or not p.replace("-", "").replace("_", "").replace(".", "").isalnum() for p in parts) \
            or len(parts) > 3:
        raise InputError(f"invalid platform {text!r}", remedy="os/arch[/variant], e.g. linux/arm64/v8")
    if len(parts) == 1:
        return normalize(Platform("linux", parts[0]))
    return normalize(Platform(parts[0], parts[1], parts[2] if len(parts) == 3 else None))


def platform_of(descriptor_platform: dict[str, Any] | None) -> Platform | None:
    if not isinstance(descriptor_platform, dict):
        return None
    os_name, arch = descriptor_platform.get("os"), descriptor_platform.get("architecture")
    if not isinstance(os_name, str) or not isinstance(arch, str):
        return None
    variant = descriptor_platform.get("variant")
    return Platform(os_name, arch, variant if isinstance(variant, str) and variant else None)


def is_attestation(descriptor: dict[str, Any]) -> bool:
    plat = descriptor.get("platform") or {}
    annotations = descriptor.get("annotations") or {}
    return (plat.get("os") == "unknown" and plat.get("architecture") == "unknown") or \
        annotations.get("vnd.docker.reference.type") == ATTESTATION_REF_TYPE


def _candidates(wanted: Platform) -> list[Platform]:
    """Platforms acceptable for `wanted`, best first."""
    wanted = normalize(wanted)
    out = [wanted]
    if wanted.architecture == "arm" and wanted.variant in ("v8", "v7", "v6", "v5"):
        lower = ["v8", "v7", "v6", "v5"]
        out += [Platform(wanted.os, "arm", v) for v in lower[lower.index(wanted.variant) + 1:]]
    return out


def select_manifest(manifests: list[dict[str, Any]], wanted: Platform | None, what: str) -> dict[str, Any]:
    """The descriptor among an index's `manifests` that best matches `wanted` (default: this machine's).

    Attestation manifests are skipped; with no match, `InputError` lists the platforms there are.
    """
    wanted = wanted or host_platform()
    runnable = [d for d in manifests or [] if isinstance(d, dict) and not is_attestation(d)]
    with_platform = [(d, platform_of(d.get("platform"))) for d in runnable]
    for candidate in _candidates(wanted):
        for descriptor, plat in with_platform:
            if plat is not None and normalize(plat) == candidate:
                return descriptor
    if len(runnable) == 1 and with_platform[0][1] is None:
        return runnable[0]  # an index with one untagged manifest (allowed by the OCI spec): nothing to choose
    available = sorted({str(normalize(p)) for _, p in with_platform if p is not None})
    raise InputError(
        f"{what}: no image for platform {normalize(wanted)}; available: {', '.join(available) or 'none'}",
        remedy="--platform with one of the available platforms")


def matches(image_platform: Platform, wanted: Platform) -> bool:
    return normalize(image_platform) in _candidates(wanted)

"""Shapes of manifests, indexes and image configs: every field seawall reads has the JSON type the specs give it.

Checked once, where a document is parsed, so that no reader further on meets a list where the OCI image spec
says object (`"config": ["x"]`) and fails with an AttributeError; the error names the document and the field.
"""

from __future__ import annotations

from typing import Any

from seawall.errors import InputError
from seawall.jsonbound import expect

# Fields of the config's `config` object (OCI image-spec config.md; Docker adds Healthcheck, Shell, OnBuild…).
_RUNTIME_FIELDS: dict[str, type | tuple[type, ...]] = {
    "User": str, "WorkingDir": str, "StopSignal": str, "Hostname": str, "Domainname": str, "Image": str,
    # Docker reads Entrypoint, Cmd and Shell as a string or an array of strings (its StrSlice type).
    "Env": list, "Entrypoint": (list, str), "Cmd": (list, str), "Shell": (list, str), "OnBuild": list,
    "Labels": dict, "ExposedPorts": dict, "Volumes": dict, "Healthcheck": dict,
}
_CONFIG_FIELDS: dict[str, type | tuple[type, ...]] = {
    "architecture": str, "os": str, "variant": str, "os.version": str, "created": str, "author": str,
    "os.features": list, "config": dict, "container_config": dict, "rootfs": dict, "history": list,
}
_DESCRIPTOR_FIELDS: dict[str, type | tuple[type, ...]] = {
    "mediaType": str, "artifactType": str, "annotations": dict, "platform": dict, "urls": list,
}
_MANIFEST_FIELDS: dict[str, type | tuple[type, ...]] = {
    "mediaType": str, "artifactType": str, "annotations": dict, "subject": dict, "schemaVersion": int,
}


def _fields(doc: dict[str, Any], spec: dict[str, type | tuple[type, ...]], what: str, prefix: str = "") -> None:
    for name, kind in spec.items():
        if name in doc:
            try:
                expect(doc, name, kind, what)
            except InputError as err:  # say where in the document, not only the leaf name
                raise InputError(err.message.replace(f"field {name!r}", f"field {prefix + name!r}")) from None


def _strings(items: list[Any], what: str, field: str) -> None:
    if not all(isinstance(item, str) for item in items):
        raise InputError(f"{what}: field {field!r} must be an array of strings")


def check_config(doc: dict[str, Any], what: str) -> None:
    """Raise InputError naming the field when an image config has a field of the wrong JSON type."""
    _fields(doc, _CONFIG_FIELDS, what)
    for key in ("config", "container_config"):
        runtime = doc.get(key)
        if isinstance(runtime, dict):
            _fields(runtime, _RUNTIME_FIELDS, what, prefix=f"{key}.")
            for name in ("Env", "Entrypoint", "Cmd", "Shell", "OnBuild"):
                if isinstance(runtime.get(name), list):
                    _strings(runtime[name], what, f"{key}.{name}")
    rootfs = doc.get("rootfs")
    if isinstance(rootfs, dict):
        _fields(rootfs, {"type": str, "diff_ids": list}, what, prefix="rootfs.")
        if isinstance(rootfs.get("diff_ids"), list):
            _strings(rootfs["diff_ids"], what, "rootfs.diff_ids")
    for index, entry in enumerate(doc.get("history") or ()):
        if not isinstance(entry, dict):
            raise InputError(f"{what}: field 'history[{index}]' must be a JSON object")
        _fields(entry, {"created_by": str, "created": str, "author": str, "comment": str, "empty_layer": bool},
                what, prefix=f"history[{index}].")


def check_manifest(doc: dict[str, Any], what: str) -> None:
    """Raise InputError naming the field when a manifest or index, or one of its descriptors, is mis-shaped."""
    _fields(doc, _MANIFEST_FIELDS, what)
    descriptors: list[tuple[str, Any]] = [("config", doc.get("config")), ("subject", doc.get("subject"))]
    for key in ("layers", "manifests"):
        if isinstance(doc.get(key), list):
            descriptors += [(f"{key}[{i}]", item) for i, item in enumerate(doc[key])]
    for name, descriptor in descriptors:
        if not isinstance(descriptor, dict):
            continue
        _fields(descriptor, _DESCRIPTOR_FIELDS, what, prefix=f"{name}.")
        platform = descriptor.get("platform")
        if isinstance(platform, dict):
            _fields(platform, {"os": str, "architecture": str, "variant": str, "os.version": str,
                               "os.features": list, "features": list}, what, prefix=f"{name}.platform.")


def check_archive_manifest(entries: list[dict[str, Any]], what: str) -> None:
    """The entries of a `docker save` manifest.json: Config a string, RepoTags and Layers arrays of strings."""
    for index, entry in enumerate(entries):
        _fields(entry, {"Config": str, "RepoTags": list, "Layers": list}, what, prefix=f"[{index}].")
        for key in ("RepoTags", "Layers"):
            if isinstance(entry.get(key), list):
                _strings(entry[key], what, f"[{index}].{key}")

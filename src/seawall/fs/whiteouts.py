"""What a layer's whiteouts hide: the one definition, used when squashing per-layer results and checked against
the filesystem view (`FileView.apply` removes the same paths from its tree)."""

from __future__ import annotations

from collections.abc import Iterable


def whited_out(path: str, whiteouts: Iterable[str], opaque_dirs: Iterable[str]) -> bool:
    """Whether a layer with these whiteouts (`.wh.NAME`: the path and its subtree) and opaque directories
    (`.wh..wh..opq`: everything below the directory, not the directory itself) hides a lower layer's `path`."""
    for gone in whiteouts:
        if path == gone or path.startswith(gone.rstrip("/") + "/"):
            return True
    return any(path.startswith(d.rstrip("/") + "/") for d in opaque_dirs)

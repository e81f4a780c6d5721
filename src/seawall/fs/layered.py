"""The squashed filesystem of an image: layers applied in order, with whiteouts, and the origin of every path.

Only metadata is held (type, size, mode, link target, origin layer); content is read by the collector.
Symlinks resolve inside the view: absolute targets are relative to the image root, `..` stops at the root, and
more than `MAX_HOPS` links on one path is a loop (the path then does not resolve).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from seawall.blobs.readers import normalize_path
from seawall.fs.tarlayer import DIR, FILE, HARDLINK, SYMLINK

MAX_HOPS = 40  # Linux's MAXSYMLINKS

IndexEntry = tuple[str, str, int, int, str]  # path, type, size, mode, linkname


@dataclass(slots=True)
class Node:
    """What the squashed view knows of one path: its type, size, mode, link target, and the layer that last wrote it."""

    type: str  # file | dir | symlink | char | block | fifo | other (hard links appear as the file they name)
    size: int
    mode: int
    linkname: str  # symlink target as written, or for a hard link the path it was linked to
    layer: int  # index of the layer that last wrote this path (-1: the root, or a directory no layer wrote)
    hardlink: bool = False


def _parent(path: str) -> str:
    head = path.rpartition("/")[0]
    return head or "/"


def _join(parent: str, name: str) -> str:
    return f"/{name}" if parent == "/" else f"{parent}/{name}"


class FileView:
    """The final view of the image filesystem; build it with `FileView.from_layers` or `apply` layer by layer."""

    def __init__(self) -> None:
        self._nodes: dict[str, Node] = {"/": Node(DIR, 0, 0o755, "", -1)}
        self._children: dict[str, set[str]] = {"/": set()}

    @classmethod
    def from_layers(cls, layers: Iterable[tuple[int, Iterable[IndexEntry], Iterable[str], Iterable[str]]]) -> FileView:
        """From (index, entries, whiteouts, opaque_dirs) of each layer, base first."""
        view = cls()
        for index, entries, whiteouts, opaque in layers:
            view.apply(index, entries, whiteouts, opaque)
        return view

    # -- building ----------------------------------------------------------------------------------------
    def apply(self, index: int, entries: Iterable[IndexEntry], whiteouts: Iterable[str] = (),
              opaque_dirs: Iterable[str] = ()) -> None:
        """Apply one layer: its whiteouts and opaque markers hide lower layers, then its entries are written."""
        for path in whiteouts:
            self._remove(normalize_path(path))
        for path in opaque_dirs:
            path = normalize_path(path)
            for child in list(self._children.get(path, ())):
                self._remove(_join(path, child))
            node = self._nodes.get(path)
            if node is not None and node.type == DIR:
                node.layer = index
        own: dict[str, Node] = {}
        for path, kind, size, mode, linkname in entries:
            path = normalize_path(path)
            if path == "/":
                continue
            if kind == HARDLINK:
                target = own.get(normalize_path(linkname)) or self._nodes.get(normalize_path(linkname))
                if target is not None and target.type == FILE:
                    node = Node(FILE, target.size, target.mode, normalize_path(linkname), index, hardlink=True)
                else:
                    node = Node("other", 0, mode, linkname, index, hardlink=True)  # dangling: no content to read
            else:
                node = Node(kind, size, mode, linkname, index)
            self._put(path, node, index)
            own[path] = node

    def _ensure_dir(self, path: str, index: int) -> None:
        # Iterative, not recursive: a hostile layer may write a path thousands of components deep.
        missing: list[str] = []
        while True:
            node = self._nodes.get(path)
            if node is not None and node.type == DIR:
                break
            if node is not None:
                self._remove(path)  # a layer that writes below a path made it a directory over a lower file or link
            missing.append(path)
            path = _parent(path)
        for path in reversed(missing):
            parent = _parent(path)
            self._nodes[path] = Node(DIR, 0, 0o755, "", index)
            self._children[path] = set()
            self._children[parent].add(path.rpartition("/")[2])

    def _put(self, path: str, node: Node, index: int) -> None:
        parent = _parent(path)
        self._ensure_dir(parent, index)
        old = self._nodes.get(path)
        if old is not None:
            if old.type == DIR and node.type == DIR:
                old.mode, old.layer = node.mode, node.layer
                return
            self._remove(path)
        self._nodes[path] = node
        if node.type == DIR:
            self._children[path] = set()
        self._children[parent].add(path.rpartition("/")[2])

    def _remove(self, path: str) -> None:
        if path == "/":  # a whiteout naming the root (`.wh.` with no name) empties it, as extraction does; it stays
            for child in list(self._children["/"]):
                self._remove(_join("/", child))
            return
        node = self._nodes.pop(path, None)
        if node is None:
            return
        if node.type == DIR:
            stack = [path]
            while stack:
                current = stack.pop()
                for child in self._children.pop(current, ()):
                    child_path = _join(current, child)
                    child_node = self._nodes.pop(child_path, None)
                    if child_node is not None and child_node.type == DIR:
                        stack.append(child_path)
        self._children.get(_parent(path), set()).discard(path.rpartition("/")[2])

    # -- queries -----------------------------------------------------------------------------------------
    def get(self, path: str) -> Node | None:
        """The entry at `path` itself (a symlink is returned as a symlink)."""
        return self._nodes.get(normalize_path(path))

    def resolve(self, path: str, *, follow_final: bool = True) -> str | None:
        """The path `path` names after following symlinks inside the image; None if dangling or a loop."""
        pending = deque(p for p in path.split("/") if p)
        current: list[str] = []
        hops = 0
        while pending:
            name = pending.popleft()
            if name == ".":
                continue
            if name == "..":
                if current:
                    current.pop()
                continue
            candidate = "/" + "/".join([*current, name])
            node = self._nodes.get(candidate)
            if node is None:
                return None
            if node.type == SYMLINK and (pending or follow_final):
                hops += 1
                if hops > MAX_HOPS:
                    return None
                if node.linkname.startswith("/"):
                    current = []
                pending.extendleft(reversed([p for p in node.linkname.split("/") if p]))
                continue
            if pending and node.type != DIR:
                return None
            current.append(name)
        return "/" + "/".join(current)

    def lookup(self, path: str) -> Node | None:
        """The entry `path` leads to after following symlinks."""
        resolved = self.resolve(path)
        return None if resolved is None else self._nodes.get(resolved)

    def exists(self, path: str, *, follow: bool = True) -> bool:
        if follow:
            return self.resolve(path) is not None
        return normalize_path(path) in self._nodes

    def origin(self, path: str) -> int | None:
        """Index of the layer that last wrote `path` (not following a final symlink)."""
        node = self._nodes.get(normalize_path(path))
        return None if node is None or node.layer < 0 else node.layer

    def iter_paths(self) -> Iterator[str]:
        """Every path in the view except the root, sorted."""
        return iter(sorted(p for p in self._nodes if p != "/"))

    def items(self) -> Iterator[tuple[str, Node]]:
        for path in self.iter_paths():
            yield path, self._nodes[path]

    def listdir(self, path: str) -> list[str]:
        resolved = self.resolve(path)
        return sorted(self._children.get(resolved, ())) if resolved else []

    def __len__(self) -> int:
        return len(self._nodes) - 1

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and normalize_path(path) in self._nodes

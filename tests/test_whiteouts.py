"""One definition of what whiteouts hide: squashing (`whited_out`) and the filesystem view (`FileView.apply`) agree
on every path, for any layers."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from seawall.fs.layered import FileView
from seawall.fs.whiteouts import whited_out
from seawall.inventory.squash import LayerFacts, visible_layer

NAMES = st.sampled_from(["a", "b", "c", "a.b"])
PATHS = st.lists(NAMES, min_size=1, max_size=3).map(lambda parts: "/" + "/".join(parts))
LAYER = st.tuples(st.lists(PATHS, max_size=4), st.lists(PATHS, max_size=2), st.lists(PATHS, max_size=2))


def test_whiteout_hides_the_path_and_its_subtree_opaque_hides_below_only() -> None:
    assert whited_out("/opt/app", ["/opt/app"], [])
    assert whited_out("/opt/app/x/y", ["/opt/app"], [])
    assert not whited_out("/opt/application", ["/opt/app"], [])
    assert whited_out("/var/cache/x", [], ["/var/cache"])
    assert not whited_out("/var/cache", [], ["/var/cache"])
    assert whited_out("/etc/passwd", [], ["/"])


@settings(max_examples=300, deadline=None)
@given(st.lists(LAYER, min_size=1, max_size=4))
def test_the_view_and_squashing_agree_on_which_files_survive(layers: list[tuple[list[str], ...]]) -> None:
    view = FileView()
    facts: list[LayerFacts] = []
    written_files: set[str] = set()
    for index, (files, whiteouts, opaque) in enumerate(layers):
        # A layer never writes a file and whites it out; and a path is a file or a directory, never both.
        files = [f for f in files if not any(f.startswith(o + "/") or f == o for o in (*whiteouts, *opaque))]
        files = [f for f in files if not any(other.startswith(f + "/") for other in written_files | set(files))]
        files = [f for f in files if not any(f.startswith(w + "/") for w in written_files)]
        written_files |= set(files)
        view.apply(index, [(f, "file", 1, 0o644, "") for f in files], whiteouts, opaque)
        facts.append(LayerFacts(index, None, "", frozenset(files), tuple(whiteouts), tuple(opaque)))
    for path in written_files:
        node = view.get(path)
        shown = node.layer if node is not None and node.type == "file" else None
        assert visible_layer(path, facts) == shown, path

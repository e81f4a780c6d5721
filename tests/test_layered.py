"""The squashed view: whiteouts, opaque directories, origins, symlinks and hard links that stay inside."""

from __future__ import annotations

from pathlib import Path

import pytest

from seawall.fs.collect import LayerCollector, LayerJob, build_view
from seawall.fs.layered import FileView
from seawall.image.oci_layout import OCILayoutSource
from tests.imagebuild import Dir, Hardlink, Opaque, Symlink, Whiteout, build_oci_layout

LAYERS = [
    {"/etc/os-release": Symlink("../usr/lib/os-release"), "/usr/lib/os-release": b"ID=debian\n",
     "/opt/app/a": b"a", "/opt/app/sub/b": b"b", "/var/cache/x": b"x", "/var/cache/y": b"y",
     "/bin/tool": b"tool" * 100, "/bin/tool-link": Hardlink("/bin/tool"), "/lib": Symlink("usr/lib")},
    {"/opt/app": Whiteout(), "/var/cache": Opaque(), "/var/cache/z": b"z", "/etc/new": b"n"},
    {"/opt/app/c": b"c", "/etc/new": b"n2", "/loop/a": Symlink("b"), "/loop/b": Symlink("a"),
     "/escape": Symlink("../../../../../../etc/shadow"), "/abs": Symlink("/usr/lib/../lib/os-release"),
     "/usr/lib/os-release": Dir()},
]


@pytest.fixture(scope="module")
def view(tmp_path_factory: pytest.TempPathFactory) -> FileView:
    layout = build_oci_layout(tmp_path_factory.mktemp("layered") / "img", LAYERS)
    source = OCILayoutSource(layout, "latest")
    image = source.resolve()
    with LayerCollector(workers=1) as collector:
        jobs = [LayerJob(layer.index, source.layer_file(layer), layer.diff_id) for layer in image.layers]
        return build_view(collector.run(jobs))


def test_whiteout_removes_the_path_and_its_subtree(view: FileView) -> None:
    assert not view.exists("/opt/app/a") and not view.exists("/opt/app/sub/b")
    assert view.exists("/opt/app/c") and view.origin("/opt/app/c") == 2
    assert view.get("/opt/app/.wh.a") is None  # markers are not files


def test_opaque_directory_hides_lower_contents_only(view: FileView) -> None:
    assert view.listdir("/var/cache") == ["z"]
    assert view.origin("/var/cache/z") == 1


def test_origin_is_the_last_layer_that_wrote_the_path(view: FileView) -> None:
    assert view.origin("/etc/new") == 2
    assert view.origin("/bin/tool") == 0
    assert view.origin("/nonexistent") is None


def test_symlinks_resolve_inside_the_image(view: FileView) -> None:
    assert view.lookup("/lib/os-release").type == "dir"  # type: ignore[union-attr]  # layer 2 made it a dir
    assert view.resolve("/escape") is None  # ../../ stops at the image root: /etc/shadow is not in the image
    assert view.resolve("/lib") == "/usr/lib"
    assert view.resolve("/abs") == "/usr/lib/os-release"
    assert view.resolve("/etc/os-release", follow_final=False) == "/etc/os-release"


def test_symlink_loops_do_not_resolve(view: FileView) -> None:
    assert view.resolve("/loop/a") is None
    assert view.get("/loop/a") is not None and view.get("/loop/a").type == "symlink"  # type: ignore[union-attr]


def test_hard_link_is_the_file_it_names(view: FileView) -> None:
    node = view.get("/bin/tool-link")
    assert node is not None and node.type == "file" and node.size == 400 and node.hardlink
    assert node.linkname == "/bin/tool"


def test_escaping_links_land_on_image_files() -> None:
    view = FileView.from_layers([(0, [("/etc/passwd", "file", 5, 0o644, ""),
                                      ("/a/b/up", "symlink", 0, 0o777, "../../../../../../../etc/passwd"),
                                      ("/abs", "symlink", 0, 0o777, "/../../etc/passwd")], [], [])])
    assert view.resolve("/a/b/up") == "/etc/passwd"
    assert view.resolve("/abs") == "/etc/passwd"


def test_file_replacing_directory_drops_its_subtree_and_back() -> None:
    view = FileView.from_layers([
        (0, [("/d/x", "file", 1, 0o644, ""), ("/d/y/z", "file", 1, 0o644, "")], [], []),
        (1, [("/d", "file", 3, 0o644, "")], [], []),
        (2, [("/d/new", "file", 1, 0o644, "")], [], []),
    ])
    assert list(view.iter_paths()) == ["/d", "/d/new"]
    assert view.get("/d").type == "dir" and view.origin("/d") == 2  # type: ignore[union-attr]


def test_collect_reads_wanted_files_through_hard_links(tmp_path: Path) -> None:
    layout = build_oci_layout(tmp_path / "img", [{"/usr/share/doc/a/copyright": b"GPL", "/b/copyright":
                                                  Hardlink("/usr/share/doc/a/copyright")}])
    source = OCILayoutSource(layout, "latest")
    layer = source.resolve().layers[0]
    with LayerCollector(workers=1) as collector:
        scan = collector.run([LayerJob(0, source.layer_file(layer), layer.diff_id,
                                       extra_paths=frozenset({"/b/copyright"}))])[0]
    assert scan.extras["/b/copyright"].read() == b"GPL"

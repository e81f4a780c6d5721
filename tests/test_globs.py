"""Path globs of catalogers: the literal pre-filter never turns away a path the full pattern matches."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from seawall.fs.globs import compile_globs, literal_ends
from seawall.inventory.build import default_catalogers

SEGMENTS = ["", "usr", "lib", "var", "dpkg", "status", "status.d", "info", "x.list", "a.dist-info", "METADATA",
            "node_modules", "@s", "package.json", "b.egg-info", "PKG-INFO", "c.egg", "specifications", "d.gemspec",
            "apt", "lists", "m_Packages", "site-packages", "é", ".", ".."]
GLOBS = [g for c in default_catalogers() for g in getattr(c, "globs", ())] + [
    "**/x/*", "a/**", "/opt/[!ab]?c*", "**/*.[ch]", "rel/path.txt"]


@given(st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=7))
def test_every_path_a_glob_matches_passes_the_literal_prefilter(segments: list[str]) -> None:
    path = "/" + "/".join(segments)
    tails, heads = literal_ends(GLOBS)
    for glob in GLOBS:
        if compile_globs([glob]).match(path):
            assert path.endswith(tails) or path.startswith(heads), (glob, path)


def test_the_prefilter_turns_away_ordinary_files() -> None:
    tails, heads = literal_ends(GLOBS[:-5])
    for path in ("/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/share/doc/bash/copyright", "/etc/passwd"):
        assert not (path.endswith(tails) or path.startswith(heads))
    matched = ["/var/lib/dpkg/status", "/var/lib/dpkg/status.d/base", "/var/lib/dpkg/info/bash.list",
               "/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA", "/app/node_modules/@s/p/package.json",
               "/usr/share/nodejs/acorn/package.json", "/usr/lib/ruby/gems/3.1.0/specifications/rake.gemspec",
               "/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4"]
    for path in matched:
        assert any(compile_globs([g]).match(path) for g in GLOBS), path
        assert path.endswith(tails) or path.startswith(heads), path

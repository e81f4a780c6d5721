"""Files of a local image (an OCI layout directory, or a tar of one, or a `docker save` tar) found by their path.

A tarball is never extracted: its member headers are indexed once and each member is a byte range of the file,
so each layer is read straight from the archive, by whichever thread reads it.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from seawall.blobs.layerfile import LayerFile
from seawall.blobs.readers import CHUNK, DIGEST_RE, GZIP_MAGIC, ZSTD_MAGIC, DigestReader, normalize_path
from seawall.errors import InputError, IntegrityError

MAX_ARCHIVE_MEMBERS = 200_000
_BLOB_PATH = re.compile(r"blobs/(sha256)/([a-f0-9]{64})")


@dataclass(frozen=True)
class Member:
    """A file's bytes as a range of a file on disk: a member of a tar archive, or a whole file."""

    file: Path
    offset: int
    size: int


def check_digest(digest: object, what: str) -> str:
    """A digest fit to name a blob file: sha256/sha512 and hex only, so it can never form a path escape."""
    if not isinstance(digest, str) or not DIGEST_RE.fullmatch(digest):
        raise IntegrityError(f"{what}: invalid blob digest {str(digest)[:120]!r} (rejected, it could name a path "
                             "outside the image)", remedy="checking where the image came from; it is malformed")
    return digest


def blob_path(digest: str, what: str) -> str:
    algorithm, _, hexpart = check_digest(digest, what).partition(":")
    return f"blobs/{algorithm}/{hexpart}"


def digest_from_path(name: str) -> str | None:
    """`blobs/sha256/<hex>` → `sha256:<hex>` (docker ≥25 writes its archives that way)."""
    match = _BLOB_PATH.fullmatch(name.lstrip("/"))
    return f"{match.group(1)}:{match.group(2)}" if match else None


def check_relative(name: object, what: str) -> str:
    """A path inside an archive as a manifest names it; absolute paths and `..` are refused, not normalised."""
    if not isinstance(name, str) or not name or name.startswith("/") or ".." in name.split("/") or "\0" in name:
        raise IntegrityError(f"{what}: path {str(name)[:120]!r} escapes the archive",
                             remedy="checking where the image came from; it is malformed")
    return name


class LocalFiles:
    """Regular files of a directory or a tar archive by relative path, as byte ranges."""

    def __init__(self, root: Path, *, archive: bool) -> None:
        self.root = root
        self.archive = archive
        self._members: dict[str, Member] = {}
        if archive:
            self._index_archive()

    def _index_archive(self) -> None:
        try:
            with open(self.root, "rb") as handle:
                head = handle.read(4)
        except OSError as err:
            raise InputError(f"cannot read {self.root}: {err.strerror}") from None
        if head.startswith(GZIP_MAGIC) or head == ZSTD_MAGIC:
            raise InputError(f"{self.root} is a compressed archive", remedy=f"decompressing it first (gunzip / unzstd "
                             f"{self.root.name}) and passing the .tar")
        import tarfile  # only docker-archive sources need it; OCI layouts and warm scans do not

        links: dict[str, str] = {}
        try:
            # Random-access mode reads headers only: tarfile seeks over member data.
            with tarfile.open(self.root, "r:") as tar:
                for count, info in enumerate(tar):
                    if count >= MAX_ARCHIVE_MEMBERS:
                        raise IntegrityError(f"{self.root}: more than {MAX_ARCHIVE_MEMBERS} archive members")
                    name = normalize_path(info.name).lstrip("/")
                    if info.isreg():
                        self._members[name] = Member(self.root, info.offset_data, info.size)
                    elif info.islnk():
                        links[name] = normalize_path(info.linkname).lstrip("/")
        except tarfile.TarError as err:
            raise InputError(f"{self.root} is not a readable tar archive ({err})") from None
        except OSError as err:
            raise InputError(f"cannot read {self.root}: {err.strerror or err}") from None
        for name, target in links.items():
            if target in self._members:
                self._members[name] = self._members[target]

    def find(self, name: str, what: str) -> Member | None:
        name = check_relative(name, what)
        if self.archive:
            return self._members.get(name)
        path = self.root / name
        try:
            st = os.lstat(path)
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode):  # a symlinked blob could read anything on this machine
            raise IntegrityError(f"{what}: {path} is not a regular file", remedy="checking where the layout came from")
        return Member(path, 0, st.st_size)

    def exists(self, name: str) -> bool:
        return self.find(name, str(self.root)) is not None

    def read(self, name: str, what: str, max_size: int) -> bytes:
        """A whole (small) file; `what` names it in errors."""
        member = self.find(name, what)
        if member is None:
            raise InputError(f"{what}: {name} is missing from {self.root}")
        if member.size > max_size:
            raise IntegrityError(f"{what}: {name} is {member.size} bytes, over the {max_size} byte limit")
        return read_range(member)

    def blob(self, digest: str, size: int | None, what: str) -> Member:
        name = blob_path(digest, what)
        member = self.find(name, what)
        if member is None:
            raise InputError(f"{what}: blob {digest} is missing from {self.root}",
                             remedy="copying the image again; the layout is incomplete")
        if size is not None and member.size != size:
            raise IntegrityError(f"{what}: blob {digest} is {member.size} bytes, the manifest says {size}",
                                 remedy="copying the image again; the blob is corrupt")
        return member

    def read_blob(self, digest: str, size: int | None, what: str, max_size: int) -> bytes:
        """A small blob (manifest, config), verified against its digest."""
        member = self.blob(digest, size, what)
        if member.size > max_size:
            raise IntegrityError(f"{what}: blob {digest} is {member.size} bytes, over the {max_size} byte limit")
        data = read_range(member)
        verify_bytes(data, digest, what)
        return data

    def layer_file(self, member: Member, digest: str) -> LayerFile:
        return LayerFile(path=member.file, offset=member.offset, size=member.size, digest=digest, verified=False)


def read_range(member: Member) -> bytes:
    with open(member.file, "rb") as handle:
        handle.seek(member.offset)
        data = handle.read(member.size)
    if len(data) != member.size:
        raise IntegrityError(f"{member.file}: truncated ({len(data)} of {member.size} bytes)")
    return data


def verify_bytes(data: bytes, digest: str, what: str) -> None:
    import hashlib

    algorithm, _, hexpart = digest.partition(":")
    if hashlib.new(algorithm, data).hexdigest() != hexpart:
        raise IntegrityError(f"{what}: blob content does not match its digest {digest}",
                             remedy="copying the image again; the blob is corrupt or was tampered with")


def hash_range(member: Member) -> str:
    import hashlib

    hasher = hashlib.sha256()
    with open(member.file, "rb") as handle:
        handle.seek(member.offset)
        left = member.size
        while left:
            chunk = handle.read(min(CHUNK, left))
            if not chunk:
                raise IntegrityError(f"{member.file}: truncated")
            hasher.update(chunk)
            left -= len(chunk)
    return "sha256:" + hasher.hexdigest()


def open_verified(layer_file: LayerFile, what: str) -> DigestReader:
    """A stream of the range that raises IntegrityError at its end if the digest or size is wrong."""
    from seawall.blobs.readers import open_range

    return DigestReader(open_range(layer_file), layer_file.digest, layer_file.size, what)

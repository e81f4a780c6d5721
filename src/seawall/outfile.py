"""Writing a file the user named: atomic for regular files, straight through for devices, FIFOs and symlinks.

A report is written to a temporary file and renamed over the target so that a reader never sees half of it —
but only where a rename means what the user asked for. `-o /dev/null`, `-o /dev/stdout` or a FIFO feeding
another process must be written *through* (renaming over them would replace a device node with a regular file),
and a symlink is followed to the file it names instead of being replaced. New files get the mode the umask
gives, as any other tool's `-o` would; a file that already exists keeps its mode.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from seawall.errors import InputError


def current_umask() -> int:
    """The process umask, read without changing it where /proc says it."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _resolve(path: str | os.PathLike[str], what: str) -> tuple[Path, os.stat_result | None]:
    """The real file behind `path` (symlinks followed) and its status, None when it does not exist yet."""
    name = os.fspath(path)
    real = Path(os.path.realpath(name))
    try:
        st = os.stat(real)
    except FileNotFoundError:
        st = None
    except OSError as err:
        raise InputError(f"{what} {name}: {err.strerror}", remedy="naming a file you can write") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise InputError(f"{what} {name} is a directory", remedy="naming a file")
    if st is not None and not (stat.S_ISREG(st.st_mode) or stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
        raise InputError(f"{what} {name} is neither a regular file, a character device nor a FIFO",
                         remedy="naming a regular file")
    if st is None and not real.parent.is_dir():
        raise InputError(f"{what} {name}: directory {real.parent} does not exist", remedy="creating it first")
    return real, st


@contextmanager
def output_file(path: str | os.PathLike[str], *, binary: bool = False, what: str = "--output",
                mkdirs: bool = False) -> Iterator[IO[Any]]:
    """A handle whose content becomes `path` when the block ends without an exception.

    Regular files and new paths are replaced atomically (a failure leaves the old content); character devices
    and FIFOs are opened and written in place; symlinks are followed.
    """
    if mkdirs:
        Path(os.path.realpath(os.fspath(path))).parent.mkdir(parents=True, exist_ok=True)
    real, st = _resolve(path, what)
    mode = "wb" if binary else "w"
    encoding = None if binary else "utf-8"
    if st is not None and not stat.S_ISREG(st.st_mode):
        try:
            handle = open(real, mode, encoding=encoding)  # noqa: SIM115 - closed below, after the caller's writes
        except OSError as err:
            raise InputError(f"{what} {os.fspath(path)}: {err.strerror}",
                             remedy="naming a file you can write") from None
        with handle:
            yield handle
        return
    fd, tmp = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.")
    try:
        if st is not None:
            os.fchmod(fd, stat.S_IMODE(st.st_mode))
            if os.geteuid() == 0:
                try:
                    os.fchown(fd, st.st_uid, st.st_gid)
                except OSError:
                    pass
        else:
            os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, mode, encoding=encoding) as handle:
            yield handle
        os.replace(tmp, real)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_output(text: str, output: str | os.PathLike[str] | None, *, what: str = "--output") -> None:
    """Standard output for None or "-", else the file `output` (see output_file); always ends with a newline."""
    if not output or output == "-":
        sys.stdout.write(text)
        if not text.endswith("\n"):
            sys.stdout.write("\n")
        return
    with output_file(output, what=what) as handle:
        handle.write(text)
        if not text.endswith("\n"):
            handle.write("\n")

"""The threads under a layer read: the blob read, hashed and inflated in one, the inflated stream hashed (the
diff_id) in another, so the GIL-free work runs beside tar header parsing (fs/tarlayer.py)."""

from __future__ import annotations

import hashlib
import queue
import threading
from typing import Any, BinaryIO

from seawall.blobs.readers import CHUNK, GZIP_MAGIC, ZSTD_MAGIC


class HashThread:
    """Digests computed a few chunks behind in a thread of its own: hashlib releases the GIL, so the diff_id of the
    inflated stream is hashed beside inflating and header parsing instead of in line with them."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[Any, bytes] | None] = queue.Queue(maxsize=8)  # bounds the bytes in flight
        self._thread = threading.Thread(target=self._run, name="layer-hash", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            target, data = item
            if isinstance(target, threading.Event):
                target.set()
            else:
                target.update(data)

    def put(self, target: Any, data: bytes) -> None:
        self._queue.put((target, data))

    def drained(self) -> None:
        """Wait until everything queued so far is hashed."""
        if self._thread.is_alive():
            done = threading.Event()
            self._queue.put((done, b""))
            done.wait()

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()


class DeferredHash:
    """A hashlib object fed through a `HashThread`; `hexdigest()` waits for what is queued. The chunks are queued as
    they are: the inflater hands over bytes objects it never reuses."""

    def __init__(self, thread: HashThread, algorithm: str) -> None:
        self._thread = thread
        self._hash = hashlib.new(algorithm)

    def update(self, data: bytes) -> None:
        self._thread.put(self._hash, data)

    def hexdigest(self) -> str:
        self._thread.drained()
        return self._hash.hexdigest()


class Inflater:
    """Reads the (decompressed) stream in a thread of its own and hands over whole chunks: isal, zstd and the blob
    digest (hashed as the blob is read) release the GIL, so inflating runs beside header parsing. The chunks reach
    the parser as they are (isal's own threaded reader copies each into a BytesIO and again into the caller's
    buffer) and, when there is a diff_id to check, its hash thread as well."""

    def __init__(self, data: BinaryIO, diff_hash: DeferredHash | None) -> None:
        self._data = data
        self._diff_hash = diff_hash
        self._queue: queue.Queue[bytes | BaseException] = queue.Queue(maxsize=4)  # bounds the bytes read ahead
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="layer-inflate", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                chunk = self._data.read(CHUNK)
                if chunk and self._diff_hash is not None:
                    self._diff_hash.update(chunk)
                self._queue.put(chunk)
                if not chunk:
                    return
        except BaseException as err:  # handed to the reading thread, which raises it where it reads
            self._queue.put(err)

    def read(self) -> bytes:
        """The next chunk; b"" at the end of the stream."""
        item = self._queue.get()
        if isinstance(item, BaseException) or not item:
            self._queue.put(item)  # every later read ends, or fails, the same way
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        self._stop.set()
        while self._thread.is_alive():
            try:
                while True:
                    self._queue.get_nowait()  # a full queue would keep the thread waiting to put
            except queue.Empty:
                pass
            self._thread.join(0.01)


def decompressor(raw: BinaryIO, what: str) -> tuple[BinaryIO, str]:
    head = raw.peek(4)[:4] if hasattr(raw, "peek") else b""  # type: ignore[attr-defined]
    if head.startswith(GZIP_MAGIC):
        # isal inflates about 2x faster than zlib. Its reader class, as isal's own threaded reader uses it: with
        # large reads of the compressed input (igzip.open's 128 KiB ones would each take the GIL).
        from isal import igzip
        return igzip._IGzipReader(raw, buffersize=8 * CHUNK), "gzip"  # type: ignore[attr-defined,return-value]
    if head == ZSTD_MAGIC:
        # CPython's zstd reader (3.14's compression.zstd) reports a truncated frame; zstandard's stream_reader
        # ends such a stream silently, which would turn a cut layer into a short listing.
        try:
            from compression.zstd import ZstdFile  # type: ignore[import-not-found]
        except ImportError:
            from backports.zstd import ZstdFile
        return ZstdFile(raw, "rb"), "zstd"  # type: ignore[return-value]
    return raw, ""

"""Inflate one gzip layer blob with ISA-L and sha256 both the blob and what it inflates to, as a scanner that checks
each layer's blob digest and diff_id must: one blob of `bench/speed.py`'s `checked ×2` floor.

    python bench/checked_inflate.py BLOB

Prints nothing; the inflate runs in the main thread and both hashes in a second one (both release the GIL), as
seawall's own layer reader splits the work.
"""

from __future__ import annotations

import hashlib
import queue
import sys
import threading

from isal import isal_zlib

CHUNK = 1 << 20


def main(path: str) -> None:
    blob, content = hashlib.sha256(), hashlib.sha256()
    work: queue.Queue[tuple[object, bytes] | None] = queue.Queue(maxsize=16)

    def hash_all() -> None:
        while (item := work.get()) is not None:
            item[0].update(item[1])  # type: ignore[attr-defined]

    hasher = threading.Thread(target=hash_all)
    hasher.start()
    inflate = isal_zlib.decompressobj(16 + isal_zlib.MAX_WBITS)  # the gzip wrapper
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            work.put((blob, chunk))
            while chunk:
                work.put((content, inflate.decompress(chunk, CHUNK)))
                chunk = inflate.unconsumed_tail
    work.put((content, inflate.flush()))
    work.put(None)
    hasher.join()


if __name__ == "__main__":
    main(sys.argv[1])

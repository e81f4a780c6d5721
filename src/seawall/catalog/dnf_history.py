"""Which repository dnf installed each package from: its history DB, /var/lib/dnf/history.sqlite (libdnf's
schema: `rpm` NEVRA rows, `trans_item` naming the item, the `repo` it came from, the action and its state)."""

from __future__ import annotations

import sqlite3

from seawall.model.repository import PackageOrigin

HISTORY_PATH = "/var/lib/dnf/history.sqlite"
SQLITE_MAGIC = b"SQLite format 3\x00"
# libdnf's TransactionItemAction values that put a package on disk: install, downgrade, obsolete (the newcomer),
# upgrade, reinstall. DONE is state 1 (older schemas had a `done` flag instead).
INSTALLING_ACTIONS = (1, 2, 4, 6, 9)
PSEUDO_REPOS = frozenset({"@System", "@commandline", "System", "commandline"})


class HistoryError(ValueError):
    """A history DB that cannot be read."""


def history_origins(data: bytes) -> list[PackageOrigin]:
    if not data.startswith(SQLITE_MAGIC):
        raise HistoryError("not an SQLite database")
    if data[18:20] == b"\x02\x02":
        data = data[:18] + b"\x01\x01" + data[20:]  # WAL mode cannot be opened from memory
    connection = sqlite3.connect(":memory:")
    try:
        connection.deserialize(data)
        columns = {row[1] for row in connection.execute("PRAGMA table_info(trans_item)")}
        done = "ti.state = 1" if "state" in columns else "ti.done = 1" if "done" in columns else "1"
        rows = connection.execute(
            "SELECT rpm.name, rpm.epoch, rpm.version, rpm.release, rpm.arch, repo.repoid FROM trans_item ti "
            "JOIN rpm ON rpm.item_id = ti.item_id JOIN repo ON repo.id = ti.repo_id "
            f"WHERE ti.action IN {INSTALLING_ACTIONS} AND {done} ORDER BY ti.id"
        ).fetchall()
    except sqlite3.Error as error:
        raise HistoryError(f"unreadable dnf history DB: {error}") from error
    finally:
        connection.close()
    latest: dict[tuple[str, str, str], str] = {}
    for name, epoch, version, release, arch, repoid in rows:
        evr = f"{version}-{release}"
        full = f"{epoch}:{evr}" if epoch else evr
        latest[(str(name), full, str(arch))] = str(repoid)  # a later reinstall from another repo wins
    return [PackageOrigin("dnf", name, version, repo, arch) for (name, version, arch), repo in latest.items()
            if repo not in PSEUDO_REPOS]

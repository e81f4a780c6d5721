"""dnf's history DB as dnf writes it: libdnf's own schema (libdnf/transaction/sql/create_tables.sql, version 1.1),
filled with transactions whose items name the repository each package came from."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

SCHEMA = """
CREATE TABLE trans (
    id INTEGER PRIMARY KEY AUTOINCREMENT, dt_begin INTEGER NOT NULL, dt_end INTEGER, rpmdb_version_begin TEXT,
    rpmdb_version_end TEXT, releasever TEXT NOT NULL, user_id INTEGER NOT NULL, cmdline TEXT, state INTEGER NOT NULL);
CREATE TABLE repo (id INTEGER PRIMARY KEY, repoid TEXT NOT NULL);
CREATE TABLE console_output (
    id INTEGER PRIMARY KEY, trans_id INTEGER REFERENCES trans(id), file_descriptor INTEGER NOT NULL,
    line TEXT NOT NULL);
CREATE TABLE item (id INTEGER PRIMARY KEY, item_type INTEGER NOT NULL);
CREATE TABLE trans_item (
    id INTEGER PRIMARY KEY AUTOINCREMENT, trans_id INTEGER REFERENCES trans(id), item_id INTEGER REFERENCES item(id),
    repo_id INTEGER REFERENCES repo(id), action INTEGER NOT NULL, reason INTEGER NOT NULL, state INTEGER NOT NULL);
CREATE TABLE item_replaced_by (
    trans_item_id INTEGER REFERENCES trans_item(id), by_trans_item_id INTEGER REFERENCES trans_item(id),
    PRIMARY KEY (trans_item_id, by_trans_item_id));
CREATE TABLE trans_with (
    id INTEGER PRIMARY KEY AUTOINCREMENT, trans_id INTEGER REFERENCES trans(id), item_id INTEGER REFERENCES item(id),
    CONSTRAINT trans_with_unique_trans_item UNIQUE (trans_id, item_id));
CREATE TABLE rpm (
    item_id INTEGER UNIQUE NOT NULL, name TEXT NOT NULL, epoch INTEGER NOT NULL, version TEXT NOT NULL,
    release TEXT NOT NULL, arch TEXT NOT NULL, FOREIGN KEY(item_id) REFERENCES item(id),
    CONSTRAINT rpm_unique_nevra UNIQUE (name, epoch, version, release, arch));
CREATE INDEX rpm_name ON rpm(name);
CREATE INDEX trans_item_item_id ON trans_item(item_id);
CREATE TABLE config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO config VALUES ('version', '1.1');
"""
INSTALL, UPGRADE, UPGRADED, REMOVE = 1, 6, 7, 8
DONE, ERROR = 1, 2
# (cmdline, [(name, epoch, version, release, arch, repoid, action, state)])
Transaction = tuple[str, Sequence[tuple[str, int, str, str, str, str, int, int]]]


def write_history(path: Path, transactions: Sequence[Transaction]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    repos: dict[str, int] = {}
    items: dict[tuple[str, int, str, str, str], int] = {}
    for number, (cmdline, rows) in enumerate(transactions, start=1):
        db.execute("INSERT INTO trans (dt_begin, dt_end, releasever, user_id, cmdline, state) VALUES (?,?,?,?,?,?)",
                   (1700000000 + number, 1700000010 + number, "9", 0, cmdline, DONE))
        for name, epoch, version, release, arch, repoid, action, state in rows:
            if repoid not in repos:
                repos[repoid] = db.execute("INSERT INTO repo (repoid) VALUES (?)", (repoid,)).lastrowid or 0
            nevra = (name, epoch, version, release, arch)
            if nevra not in items:
                item = db.execute("INSERT INTO item (item_type) VALUES (1)").lastrowid or 0
                db.execute("INSERT INTO rpm VALUES (?,?,?,?,?,?)", (item, *nevra))
                items[nevra] = item
            db.execute("INSERT INTO trans_item (trans_id, item_id, repo_id, action, reason, state) "
                       "VALUES (?,?,?,?,?,?)", (number, items[nevra], repos[repoid], action, 2, state))
    db.commit()
    db.close()
    return path

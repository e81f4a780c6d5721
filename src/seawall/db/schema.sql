-- seawall vulnerability DB. Bump SCHEMA_VERSION in db/store.py with any change here.
-- Every data row names the feed that wrote it, so one feed is replaced without touching the others.

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE feeds (
  name         TEXT PRIMARY KEY,
  feed_version INTEGER NOT NULL,
  data_date    TEXT,
  fetched_at   TEXT,
  source       TEXT NOT NULL DEFAULT '',
  digest       TEXT,
  records      INTEGER NOT NULL DEFAULT 0,
  skipped      INTEGER NOT NULL DEFAULT 0,
  skip_reasons TEXT NOT NULL DEFAULT '{}',   -- {"reason": count}
  flagged      INTEGER NOT NULL DEFAULT 0,   -- records kept although a range cannot be evaluated
  flag_reasons TEXT NOT NULL DEFAULT '{}',   -- {"reason": count}
  error        TEXT,                          -- the last update failed; the rows below are the previous ones
  validators   TEXT NOT NULL DEFAULT '{}',   -- {url: {"etag": …, "last_modified": …}} for conditional GETs
  state        TEXT NOT NULL DEFAULT '{}'    -- the feed's own incremental cursor
);

CREATE TABLE advisories (
  id               TEXT NOT NULL,
  namespace        TEXT NOT NULL,
  package          TEXT NOT NULL,
  status           TEXT NOT NULL,
  feed             TEXT NOT NULL,
  ranges           TEXT,      -- JSON [[type, [[kind, version], …]], …]
  versions         TEXT,      -- JSON [version, …]
  fixed            TEXT,      -- JSON [version, …]
  severity         TEXT,
  severity_source  TEXT,
  provisional      INTEGER NOT NULL DEFAULT 0,
  repositories     TEXT,      -- JSON [[suite, version], …]
  vendor           TEXT,      -- JSON [[key, value], …]
  bound            BLOB       -- the fixed version, encoded (db/sortkey.py), of an advisory affecting exactly the
                              -- versions below it: the matcher reads only the rows fixed above what is installed
);
CREATE INDEX advisories_by_package ON advisories (namespace, package);

CREATE TABLE vulnerabilities (
  id          TEXT NOT NULL,
  feed        TEXT NOT NULL,
  summary     TEXT,
  description TEXT,
  published   TEXT,
  modified    TEXT,
  PRIMARY KEY (id, feed)
) WITHOUT ROWID;

CREATE TABLE aliases (
  id    TEXT NOT NULL,
  alias TEXT NOT NULL,
  feed  TEXT NOT NULL,
  PRIMARY KEY (id, alias, feed)
) WITHOUT ROWID;

CREATE TABLE cvss (
  id      TEXT NOT NULL,
  feed    TEXT NOT NULL,
  source  TEXT NOT NULL,
  version TEXT NOT NULL,
  vector  TEXT NOT NULL,
  score   REAL,
  is_primary INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX cvss_by_id ON cvss (id);

CREATE TABLE refs (
  id   TEXT NOT NULL,
  feed TEXT NOT NULL,
  url  TEXT NOT NULL
);
CREATE INDEX refs_by_id ON refs (id);

CREATE TABLE kev (
  id             TEXT PRIMARY KEY,
  feed           TEXT NOT NULL,
  date_added     TEXT NOT NULL,
  ransomware     INTEGER NOT NULL DEFAULT 0,
  due_date       TEXT,
  vendor_project TEXT,
  product        TEXT,
  name           TEXT
) WITHOUT ROWID;

CREATE TABLE epss (
  id         TEXT PRIMARY KEY,
  feed       TEXT NOT NULL,
  score      REAL NOT NULL,
  percentile REAL NOT NULL,
  date       TEXT
) WITHOUT ROWID;

-- Which namespaces and ecosystems the advisories cover, per feed: rebuilt after every update (db/build.py). Added
-- without a schema version bump: a reader of an older file without it derives the same rows from `advisories`.
CREATE TABLE IF NOT EXISTS coverage (
  namespace  TEXT NOT NULL,
  feed       TEXT NOT NULL,
  advisories INTEGER NOT NULL,
  data_date  TEXT,              -- the newest record's published/modified date, else the feed's data date
  fixed_only INTEGER NOT NULL,  -- 1: every advisory is a fix (or not-affected): unfixed issues are not listed
  PRIMARY KEY (namespace, feed)
) WITHOUT ROWID;

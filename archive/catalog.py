"""The catalog: the record of everything the archive holds (SQLite in WAL mode).

- `objects`: one row per distinct content (SHA-256): its format, kind, extracted text, pages,
  evidence date and whether it could be read (`state` ok / problem / pending, and a `reason`).
- `sources`: one row per path below the inbox (zip members included, below their zip's path):
  its unit, the current object, the stat of what we archived, present or withdrawn.
- `versions`: every content a source has had, oldest first; nothing is ever deleted.
- `ocr_pages`: the OCR text and confidence of each page that needed it (objects have `ocr`
  pending / done / failed and `ocr_todo`, the pages to read), saved page by page so that a
  killed process never OCRs a page twice; same content, same text, for every unit.
- `work`: with [cluster], the workers' ledger: each piece of work (extraction, an OCR page)
  keyed by object, page and engine version, so that a task run twice writes once.
- `changes`: an append-only log; its `seq` is the change sequence that the search index and
  reports follow to catch up after a restart or a crash.
Every write is one short transaction, or a savepoint of a batch that the ingest pipeline
commits after the objects it refers to are on disk, so killing the process never leaves half a
record.
"""
from __future__ import annotations

import json
import sqlite3
import weakref
from dataclasses import dataclass

from .catalog_migrations import reasons_to_codes
from foundation import now_iso  # noqa: F401  (imported from here by older callers)
from foundation.sqlstore import SqliteStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS objects (
    sha TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    format TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    reason TEXT,
    pages INTEGER,
    text TEXT NOT NULL DEFAULT '',
    text_chars INTEGER NOT NULL DEFAULT 0,
    info TEXT NOT NULL DEFAULT '{}',
    date TEXT,
    date_source TEXT,
    created_at TEXT NOT NULL,
    extracted_at TEXT
);
CREATE INDEX IF NOT EXISTS objects_state ON objects(state);
CREATE INDEX IF NOT EXISTS objects_facts ON objects(sha, kind, format, state, date, date_source);
CREATE TABLE IF NOT EXISTS ocr_pages (
    sha TEXT NOT NULL REFERENCES objects(sha),
    page INTEGER NOT NULL,
    text TEXT NOT NULL,
    confidence REAL,
    seconds REAL,
    error TEXT,
    PRIMARY KEY (sha, page)
);
CREATE TABLE IF NOT EXISTS sources (
    id INTEGER PRIMARY KEY,
    unit TEXT NOT NULL,
    path TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    container_id INTEGER REFERENCES sources(id),
    sha TEXT REFERENCES objects(sha),
    size INTEGER,
    mtime_ns INTEGER,
    state TEXT NOT NULL DEFAULT 'present',
    reason TEXT,
    expanded_sha TEXT,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sources_sha ON sources(sha);
CREATE INDEX IF NOT EXISTS sources_unit ON sources(unit);
CREATE INDEX IF NOT EXISTS sources_container ON sources(container_id);
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    sha TEXT NOT NULL REFERENCES objects(sha),
    size INTEGER NOT NULL,
    mtime_ns INTEGER,
    seen_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS versions_source ON versions(source_id);
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id INTEGER NOT NULL,
    what TEXT NOT NULL,
    at TEXT NOT NULL
);
"""




def _ocr_columns(db: sqlite3.Connection) -> None:
    """Schema 2: OCR page by page (catalogs written before OCR lack the columns)."""
    cols = {r["name"] for r in db.execute("PRAGMA table_info(objects)")}
    for col in ("ocr", "ocr_todo"):
        if col not in cols:
            db.execute(f"ALTER TABLE objects ADD COLUMN {col} TEXT")
    db.execute("CREATE INDEX IF NOT EXISTS objects_ocr ON objects(ocr)")


FILE_LIST_INDEXES = """
CREATE INDEX IF NOT EXISTS objects_list ON objects(sha, kind, state, date, size);
CREATE INDEX IF NOT EXISTS objects_date ON objects(date);
CREATE INDEX IF NOT EXISTS objects_size ON objects(size);
CREATE INDEX IF NOT EXISTS objects_kind_date ON objects(kind, date);
CREATE INDEX IF NOT EXISTS sources_list_unit ON sources(unit, state, sha, reason);
CREATE INDEX IF NOT EXISTS sources_list_name ON sources(name);
"""   # schema 4: what the web app's file list filters and sorts by (see "the file list")

def _read_attempts(db: sqlite3.Connection) -> None:
    """Schema 5: reads of an object started, so a poison file is tried a bounded number of
    times (an older catalog taken back to schema 1 may already have the column)."""
    if "read_attempts" not in {r["name"] for r in db.execute("PRAGMA table_info(objects)")}:
        db.execute("ALTER TABLE objects ADD COLUMN read_attempts INTEGER NOT NULL DEFAULT 0")


WORK_LEDGER = """
CREATE TABLE IF NOT EXISTS work (
    task TEXT NOT NULL,
    sha TEXT NOT NULL,
    page INTEGER NOT NULL,
    engine TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    worker TEXT,
    done_at TEXT,
    PRIMARY KEY (task, sha, page, engine)
);
"""   # schema 6: the workers' ledger (see "the work of the workers")

MIGRATIONS = (SCHEMA, _ocr_columns, reasons_to_codes, FILE_LIST_INDEXES, _read_attempts,
              WORK_LEDGER)
SCHEMA_VERSION = len(MIGRATIONS)

# The same tables on PostgreSQL ([cluster] database; foundation/pgstore.py), as they stand after
# the SQLite migrations above: 64-bit integers, identity columns, text compared byte for byte
# (as SQLite compares it), and `rowid`, the arrival order SQLite keeps without being asked.
PG_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT COLLATE "C" PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS objects (
    sha TEXT COLLATE "C" PRIMARY KEY,
    size BIGINT NOT NULL,
    format TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    state TEXT COLLATE "C" NOT NULL DEFAULT 'pending',
    reason TEXT COLLATE "C",
    pages BIGINT,
    text TEXT COLLATE "C" NOT NULL DEFAULT '',
    text_chars BIGINT NOT NULL DEFAULT 0,
    info TEXT NOT NULL DEFAULT '{}',
    date TEXT COLLATE "C",
    date_source TEXT COLLATE "C",
    created_at TEXT NOT NULL,
    extracted_at TEXT,
    ocr TEXT COLLATE "C",
    ocr_todo TEXT,
    read_attempts BIGINT NOT NULL DEFAULT 0,
    rowid BIGINT GENERATED BY DEFAULT AS IDENTITY UNIQUE
);
CREATE INDEX IF NOT EXISTS objects_state ON objects(state);
CREATE INDEX IF NOT EXISTS objects_facts ON objects(sha, kind, format, state, date, date_source);
CREATE INDEX IF NOT EXISTS objects_ocr ON objects(ocr);
CREATE INDEX IF NOT EXISTS objects_list ON objects(sha, kind, state, date, size);
CREATE INDEX IF NOT EXISTS objects_date ON objects(date);
CREATE INDEX IF NOT EXISTS objects_size ON objects(size);
CREATE INDEX IF NOT EXISTS objects_kind_date ON objects(kind, date);
CREATE TABLE IF NOT EXISTS ocr_pages (
    sha TEXT COLLATE "C" NOT NULL REFERENCES objects(sha),
    page BIGINT NOT NULL,
    text TEXT NOT NULL,
    confidence DOUBLE PRECISION,
    seconds DOUBLE PRECISION,
    error TEXT,
    PRIMARY KEY (sha, page)
);
CREATE TABLE IF NOT EXISTS sources (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    unit TEXT COLLATE "C" NOT NULL,
    path TEXT COLLATE "C" NOT NULL UNIQUE,
    name TEXT COLLATE "C" NOT NULL,
    container_id BIGINT REFERENCES sources(id),
    sha TEXT COLLATE "C" REFERENCES objects(sha),
    size BIGINT,
    mtime_ns BIGINT,
    state TEXT COLLATE "C" NOT NULL DEFAULT 'present',
    reason TEXT COLLATE "C",
    expanded_sha TEXT COLLATE "C",
    first_seen TEXT COLLATE "C" NOT NULL,
    last_seen TEXT COLLATE "C" NOT NULL
);
CREATE INDEX IF NOT EXISTS sources_sha ON sources(sha);
CREATE INDEX IF NOT EXISTS sources_unit ON sources(unit);
CREATE INDEX IF NOT EXISTS sources_container ON sources(container_id);
CREATE INDEX IF NOT EXISTS sources_list_unit ON sources(unit, state, sha, reason);
CREATE INDEX IF NOT EXISTS sources_list_name ON sources(name);
CREATE INDEX IF NOT EXISTS sources_present ON sources(state, path);
CREATE TABLE IF NOT EXISTS versions (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    source_id BIGINT NOT NULL REFERENCES sources(id),
    sha TEXT COLLATE "C" NOT NULL REFERENCES objects(sha),
    size BIGINT NOT NULL,
    mtime_ns BIGINT,
    seen_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS versions_source ON versions(source_id);
CREATE TABLE IF NOT EXISTS changes (
    seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    source_id BIGINT NOT NULL,
    what TEXT COLLATE "C" NOT NULL,
    at TEXT NOT NULL
)
"""
PG_WORK_LEDGER = """
CREATE TABLE IF NOT EXISTS work (
    task TEXT COLLATE "C" NOT NULL,
    sha TEXT COLLATE "C" NOT NULL,
    page BIGINT NOT NULL,
    engine TEXT COLLATE "C" NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    worker TEXT,
    done_at TEXT,
    PRIMARY KEY (task, sha, page, engine)
)
"""   # the workers' ledger, as SQLite's schema 6
PG_MIGRATIONS = (PG_SCHEMA, PG_WORK_LEDGER)


_now: list = [None, ""]


@dataclass
class Source:
    id: int
    unit: str
    path: str
    name: str
    container_id: int | None
    sha: str | None
    size: int | None
    mtime_ns: int | None
    state: str
    reason: str | None
    expanded_sha: str | None


@dataclass
class Recorded:
    """What recording a content at a path did."""
    source_id: int
    new_version: bool      # the path now points at content it did not point at before
    new_object: bool       # the content was not in the catalog at all
    duplicate_of: str | None  # another present path holding the same content, if any


class Catalog(SqliteStore):
    """The archive's record. Every query on its tables is one of its named methods."""

    STORE = "catalog"
    MIGRATIONS = MIGRATIONS
    PG_MIGRATIONS = PG_MIGRATIONS

    def _legacy_version(self, db: sqlite3.Connection) -> int:
        # releases before the migration runner kept their version in meta('schema')
        try:
            row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.OperationalError:
            return 0
        return int(row[0]) if row else 0

    # -- reading ---------------------------------------------------------------------------

    def source(self, path: str) -> Source | None:
        row = self._db.execute("SELECT * FROM sources WHERE path = ?", (path,)).fetchone()
        return _source(row) if row else None

    def source_by_id(self, source_id: int) -> Source | None:
        row = self._db.execute("SELECT * FROM sources WHERE id = ?", (source_id,)).fetchone()
        return _source(row) if row else None

    def present_stats(self) -> dict[str, tuple[str, int, int | None, int | None]]:
        """path -> (path, source id, size, mtime_ns) of every present top-level path, read in
        one query for a whole pass over the inbox: a file whose stat has the same size and
        mtime is not read again, and a path the pass did not see was deleted. Size and mtime
        are None where the content is not archived whole (a problem of the path's own, say)."""
        ok = "sha IS NOT NULL AND reason IS NULL"
        return {r[0]: r for r in self._tuples(
            f"SELECT path, id, CASE WHEN {ok} THEN size END, CASE WHEN {ok} THEN mtime_ns END "
            "FROM sources WHERE state = 'present' AND container_id IS NULL")}

    def object(self, sha: str) -> sqlite3.Row | None:
        return self._db.execute("SELECT * FROM objects WHERE sha = ?", (sha,)).fetchone()

    def first_source_of(self, sha: str) -> sqlite3.Row | None:
        """The earliest path that held `sha`: its name and mtime date the object."""
        return self._db.execute("SELECT name, mtime_ns FROM sources WHERE sha = ? ORDER BY id "
                               "LIMIT 1", (sha,)).fetchone()

    def present_members(self, container_id: int) -> dict[str, int]:
        """path -> id of the members of a zip that are still present."""
        return {r["path"]: r["id"] for r in self._db.execute(
            "SELECT id, path FROM sources WHERE container_id = ? AND state = 'present'",
            (container_id,))}

    def pending_objects(self) -> list[sqlite3.Row]:
        return self._db.execute(
            "SELECT sha, size, format, kind FROM objects WHERE state = 'pending' ORDER BY rowid"
        ).fetchall()

    def unexpanded_containers(self) -> list[Source]:
        # from the objects' covering index to the few zips' sources, never a scan of every
        # source: every pass over the inbox asks this first
        rows = self._db.execute(
            "SELECT s.* FROM objects o CROSS JOIN sources s ON s.sha = o.sha "
            "WHERE o.format IN ('zip', '7z') AND s.state = 'present' "
            "AND (s.expanded_sha IS NULL OR s.expanded_sha != s.sha)").fetchall()
        return [_source(r) for r in rows]

    def container_depth(self, source_id: int) -> int:
        depth, sid = 0, source_id
        while sid is not None:
            row = self._db.execute("SELECT container_id FROM sources WHERE id = ?", (sid,)).fetchone()
            sid = row["container_id"] if row else None
            depth += 1 if sid is not None else 0
        return depth

    def files(self, unit: str | None = None, include_withdrawn: bool = True) -> list[dict]:
        """One row per source, joined with its current object: what `yingjian files` shows."""
        q = ("SELECT s.id AS source_id, s.unit, s.path, s.name, s.state AS source_state, "
             "s.reason AS source_reason, s.sha, s.container_id, o.kind, o.format, o.state, "
             "o.reason, o.pages, o.text_chars, o.date, o.date_source, o.size, o.ocr, o.info, "
             "(SELECT COUNT(*) FROM versions v WHERE v.source_id = s.id) AS versions, "
             "(SELECT MIN(s2.path) FROM sources s2 WHERE s2.sha = s.sha AND s2.id != s.id "
             " AND s2.state = 'present' AND s2.first_seen <= s.first_seen) AS duplicate_of "
             "FROM sources s LEFT JOIN objects o ON o.sha = s.sha")
        where, args = [], []
        if unit is not None:
            where.append("s.unit = ?")
            args.append(unit)
        if not include_withdrawn:
            where.append("s.state = 'present'")
        if where:
            q += " WHERE " + " AND ".join(where)
        q += " ORDER BY s.unit, s.path"
        return [dict(r) for r in self._db.execute(q, args)]

    def present_files(self) -> list[tuple]:
        """(source id, unit, path, sha, kind, format, state, source reason, date, date_source)
        of every present path with archived content, in no particular order: what the
        readiness check reads. Plain tuples from a covering index (the objects' text is never
        touched), lean enough for 100,000 files."""
        cur = self._db.cursor()
        cur.row_factory = None
        return cur.execute(
            "SELECT s.id, s.unit, s.path, s.sha, o.kind, o.format, o.state, s.reason, o.date, "
            "o.date_source FROM sources s JOIN objects o ON o.sha = s.sha "
            "WHERE s.state = 'present'").fetchall()

    def present_files_of(self, shas) -> list[tuple]:
        """The rows of `present_files` for these contents only (a follower that knows which
        files it wants: the learned suggestions)."""
        return self._in(
            "SELECT s.id, s.unit, s.path, s.sha, o.kind, o.format, o.state, s.reason, o.date, "
            "o.date_source FROM sources s JOIN objects o ON o.sha = s.sha "
            "WHERE s.state = 'present' AND s.sha IN ({keys})", shas)

    def unit_counts(self) -> dict[str, int]:
        """unit -> how many present paths it has (zip members included)."""
        return {r[0]: r[1] for r in self._tuples(
            "SELECT unit, COUNT(*) FROM sources WHERE state = 'present' GROUP BY unit")}

    def object_count(self) -> int:
        return self._tuples("SELECT COUNT(*) FROM objects")[0][0]

    def object_shas(self) -> list[str]:
        """Every content the archive holds, in the order it arrived."""
        return [r[0] for r in self._tuples("SELECT sha FROM objects ORDER BY rowid")]

    def texts(self, shas: list[str]) -> list[tuple[str, str, str, str | None]]:
        """(sha, text, state, ocr) of these contents: what content rules are tested on. A
        state or ocr of `pending` means more text is still to come."""
        return self._in("SELECT sha, text, state, ocr FROM objects WHERE sha IN ({keys})", shas)

    def index_rows(self, source_ids: list[int]) -> list[sqlite3.Row]:
        """What the search index needs of these sources, one row each (path, unit, name, state,
        sha, kind, text, date, ostate), in no particular order; ids no longer known are left out."""
        return self._in(
            "SELECT s.id, s.path, s.unit, s.name, s.state, s.sha, o.kind, o.text, o.date, "
            "o.state AS ostate FROM sources s LEFT JOIN objects o ON o.sha = s.sha "
            "WHERE s.id IN ({keys})", source_ids, rows=True)

    def texts_of(self, shas: list[str]) -> dict[str, str]:
        """sha -> extracted text of these objects (the search index checks its candidates)."""
        return {sha: text for sha, text, _, _ in self.texts(shas)}

    def shas_containing(self, shas: list[str], word: str) -> set[str]:
        """Those of `shas` whose text, as stored, contains `word` (the search index checks its
        candidates here, without reading the texts out)."""
        return {r[0] for r in self._in(
            "SELECT sha FROM objects WHERE sha IN ({keys}) AND instr(text, ?) > 0", shas, [word])}

    def sources_of(self, sha: str, present_only: bool = True) -> list[sqlite3.Row]:
        q = "SELECT * FROM sources WHERE sha = ?" + (" AND state = 'present'" if present_only else "")
        return self._db.execute(q + " ORDER BY path", (sha,)).fetchall()

    def unread_among(self, shas) -> set[str]:
        """Those of `shas` no reader understood (archived with `info.unread`): nothing inside
        them, their date included, is known."""
        return {sha for sha, info in self._in("SELECT sha, info FROM objects WHERE sha IN ({keys})",
                                               shas) if json.loads(info or "{}").get("unread")}

    def shas_with_prefix(self, prefix: str, limit: int = 5) -> list[str]:
        return [r[0] for r in self._db.execute(
            "SELECT sha FROM objects WHERE sha >= ? AND sha < ? ORDER BY sha LIMIT ?",
            (prefix, prefix + "g", limit))]

    def log_changed(self, sha: str | None, what: str) -> None:
        """Log every path holding `sha` (every path, if None) as changed, so followers such as
        the search index redo them: a decision or a new standard changes what they serve."""
        now = now_iso()
        with self._transaction() as db:
            if sha is None:
                db.execute("INSERT INTO changes (source_id, what, at) SELECT id, ?, ? FROM sources "
                           "WHERE state = 'present'", (what, now))
            else:
                for r in db.execute("SELECT id FROM sources WHERE sha = ?", (sha,)).fetchall():
                    self._log(db, r["id"], what, now)

    def versions(self, source_id: int) -> list[sqlite3.Row]:
        return self._db.execute("SELECT * FROM versions WHERE source_id = ? ORDER BY id",
                               (source_id,)).fetchall()

    def last_seq(self) -> int:
        row = self._db.execute("SELECT MAX(seq) FROM changes").fetchone()
        return row[0] or 0

    def last_arrival(self) -> str | None:
        """When the newest file arrived (a province's summary of the city: 最近上传)."""
        row = self._db.execute("SELECT MAX(first_seen) FROM sources").fetchone()
        return row[0] if row else None

    def last_seq_except(self, what: str) -> int:
        """The newest change of any other sort than `what` (say, not a decision): what a
        follower that reads decisions on its own needs to redo."""
        row = self._db.execute("SELECT seq FROM changes WHERE what != ? ORDER BY seq DESC LIMIT 1",
                               (what,)).fetchone()
        return row[0] if row else 0

    def changed_since(self, seq: int) -> tuple[int, list[int]]:
        """The newest seq and the distinct sources changed after `seq`: what a follower redoes."""
        rows = self._db.execute("SELECT seq, source_id FROM changes WHERE seq > ? ORDER BY seq",
                               (seq,)).fetchall()
        if not rows:
            return seq, []
        return rows[-1]["seq"], list(dict.fromkeys(r["source_id"] for r in rows))

    # -- writing ---------------------------------------------------------------------------

    def record(self, *, unit: str, path: str, name: str, sha: str, size: int, fmt: str,
               kind: str, mtime_ns: int | None, container_id: int | None = None,
               extracted: dict | None = None, attempts: int = 0) -> Recorded:
        """Point `path` at content `sha`: adds the object if new and a version if the path held
        something else before. Idempotent: recording the same thing twice changes nothing.
        `extracted` (`save_extraction`'s arguments), if the caller has read the content already,
        is saved with the object when the object is new, with `attempts` reads counted (one row
        written once instead of a row and then its extraction); ignored otherwise."""
        now = now_iso()
        with self._transaction() as db:
            # both inserts are sent before either's result is read: one round trip on
            # PostgreSQL (foundation/pgstore.py queues a transaction's writes)
            if extracted is None:
                obj = db.execute(
                    "INSERT INTO objects (sha, size, format, kind, created_at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT(sha) DO NOTHING",
                    (sha, size, fmt, kind, now))
            else:
                obj = db.execute(
                    "INSERT INTO objects (sha, size, format, kind, created_at, state, reason, "
                    "pages, text, text_chars, info, date, date_source, extracted_at, ocr, "
                    "ocr_todo, read_attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                    "?, ?) ON CONFLICT(sha) DO NOTHING",
                    (sha, size, fmt, kind, now, *_extraction_values(now, **extracted),
                     attempts))
            # a new path (the common case) costs one statement: the insert that does nothing
            # for a path already known
            cur = db.execute(
                "INSERT INTO sources (unit, path, name, container_id, sha, size, mtime_ns, "
                "first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(path) DO NOTHING",
                (unit, path, name, container_id, sha, size, mtime_ns, now, now))
            new_object = obj.rowcount == 1
            if cur.rowcount == 1:
                source_id, old_sha, old_state = cur.lastrowid, None, None
            else:
                row = db.execute("SELECT id, sha, state FROM sources WHERE path = ?",
                                 (path,)).fetchone()
                source_id, old_sha, old_state = row["id"], row["sha"], row["state"]
                db.execute("UPDATE sources SET sha = ?, size = ?, mtime_ns = ?, state = 'present', "
                           "reason = NULL, last_seen = ?, container_id = ? WHERE id = ?",
                           (sha, size, mtime_ns, now, container_id, source_id))
            new_version = old_sha != sha
            if new_version:
                self._add_version((source_id, sha, size, mtime_ns, now))
            if new_version or old_state != "present":
                self._log(db, source_id, "version" if new_version else "restored", now)
            dup = None
            if not new_object and new_version:
                r = db.execute("SELECT path FROM sources WHERE sha = ? AND id != ? AND "
                               "state = 'present' ORDER BY id LIMIT 1", (sha, source_id)).fetchone()
                dup = r["path"] if r else None
        return Recorded(source_id, new_version, new_object, dup)

    def record_unarchived(self, *, unit: str, path: str, name: str, reason: str,
                          container_id: int | None = None) -> int:
        """A path we will not copy (a link out of the inbox, too large): listed as a problem."""
        now = now_iso()
        with self._transaction() as db:
            row = db.execute("SELECT id, reason, state FROM sources WHERE path = ?",
                             (path,)).fetchone()
            if row is None:
                sid = db.execute(
                    "INSERT INTO sources (unit, path, name, container_id, reason, first_seen, "
                    "last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (unit, path, name, container_id, reason, now, now)).lastrowid
                self._log(db, sid, "problem", now)
                return sid
            if row["reason"] != reason or row["state"] != "present":
                db.execute("UPDATE sources SET reason = ?, state = 'present', last_seen = ? "
                           "WHERE id = ?", (reason, now, row["id"]))
                self._log(db, row["id"], "problem", now)
            return row["id"]

    def save_extraction(self, sha: str, *, state: str, reason: str | None, pages: int | None,
                        text: str, info: dict, date: str | None, date_source: str | None,
                        ocr_todo: list[int] = ()) -> None:
        """The extraction of an object; `ocr_todo` lists the pages (0-based) still to be OCRed,
        whose text follows later through `save_ocr_page` and `finish_ocr`."""
        with self._transaction() as db:
            self._save_extraction(db, sha, state=state, reason=reason, pages=pages, text=text,
                                  info=info, date=date, date_source=date_source, ocr_todo=ocr_todo)

    def _save_extraction(self, db, sha: str, *, state, reason, pages, text, info, date,
                         date_source, ocr_todo) -> None:
        now = now_iso()
        values = _extraction_values(now, state=state, reason=reason, pages=pages, text=text,
                                    info=info, date=date, date_source=date_source,
                                    ocr_todo=ocr_todo)
        db.execute("UPDATE objects SET state = ?, reason = ?, pages = ?, text = ?, "
                   "text_chars = ?, info = ?, date = ?, date_source = ?, extracted_at = ?, "
                   "ocr = ?, ocr_todo = ? WHERE sha = ?", (*values, sha))
        for r in db.execute("SELECT id FROM sources WHERE sha = ?", (sha,)).fetchall():
            self._log(db, r["id"], "extracted", now)

    # -- OCR -------------------------------------------------------------------------------

    def ocr_pending(self) -> list[dict]:
        """Objects waiting for OCR, oldest first, each with the pages not yet read."""
        out = []
        for r in self._db.execute("SELECT sha, format, ocr_todo FROM objects WHERE ocr = 'pending' "
                                 "ORDER BY rowid").fetchall():
            done = {p["page"] for p in self._db.execute(
                "SELECT page FROM ocr_pages WHERE sha = ?", (r["sha"],))}
            todo = json.loads(r["ocr_todo"] or "[]")
            out.append({"sha": r["sha"], "format": r["format"], "pages": todo,
                        "left": [p for p in todo if p not in done]})
        return out

    def ocr_pending_of(self, sha: str) -> dict | None:
        """One object's entry of `ocr_pending` (its pages, those not read yet), None if its OCR
        is not pending: what a worker asks about the object in its hands."""
        row = self._db.execute("SELECT sha, format, ocr_todo FROM objects WHERE sha = ? AND "
                               "ocr = 'pending'", (sha,)).fetchone()
        if row is None:
            return None
        todo = json.loads(row["ocr_todo"] or "[]")
        done = self.ocr_page_numbers(sha)
        return {"sha": sha, "format": row["format"], "pages": todo,
                "left": [p for p in todo if p not in done]}

    def ocr_page_numbers(self, sha: str) -> set[int]:
        """The pages of `sha` whose OCR is saved (their numbers only, not their text)."""
        return {r[0] for r in self._db.execute("SELECT page FROM ocr_pages WHERE sha = ?", (sha,))}

    def save_ocr_page(self, sha: str, page: int, text: str, confidence: float | None,
                      seconds: float | None = None, error: str | None = None) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO ocr_pages VALUES (?, ?, ?, ?, ?, ?)",
                       (sha, page, text, confidence, seconds, error))

    def ocr_pages(self, sha: str) -> dict[int, sqlite3.Row]:
        return {r["page"]: r for r in self._db.execute(
            "SELECT * FROM ocr_pages WHERE sha = ? ORDER BY page", (sha,))}

    def finish_ocr(self, sha: str, *, text: str, date: str | None, date_source: str | None,
                   info: dict, failed: bool = False) -> None:
        """The object's text now includes its OCR: saved, and every path holding it is logged
        as changed so the index follows."""
        with self._transaction() as db:
            self._finish_ocr(db, sha, text=text, date=date, date_source=date_source, info=info,
                             failed=failed)

    def _finish_ocr(self, db, sha: str, *, text, date, date_source, info, failed) -> None:
        now = now_iso()
        db.execute("UPDATE objects SET text = ?, text_chars = ?, date = ?, date_source = ?, "
                   "info = ?, ocr = ? WHERE sha = ?",
                   (text, _visible_chars(text), date, date_source,
                    json.dumps(info, ensure_ascii=False, default=str),
                    "failed" if failed else "done", sha))
        for r in db.execute("SELECT id FROM sources WHERE sha = ?", (sha,)).fetchall():
            self._log(db, r["id"], "ocr", now)

    # -- the work of the workers ---------------------------------------------------------------
    # With [cluster], extraction and OCR run as tasks on other machines, and a task may run twice
    # (a worker killed before it acknowledged, a queue filled again by `requeue`). Each piece of
    # work is a row of `work`, keyed by task, object, page (-1: the whole object) and the engine
    # version that did it, under the primary key: a task counts its attempt when it begins, and
    # writes its result only in the same transaction that marks its row done, so a task run
    # twice writes once.

    def begin_work(self, task: str, sha: str, page: int, engine: str, worker: str) -> int | None:
        """Count one more attempt at this piece of work; None if it is already done (the task
        has nothing to do), else the attempts so far, this one included."""
        with self._transaction() as db:
            db.execute("INSERT INTO work (task, sha, page, engine, attempts, worker) "
                       "VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT (task, sha, page, engine) DO UPDATE "
                       "SET attempts = work.attempts + 1, worker = excluded.worker "
                       "WHERE work.done_at IS NULL", (task, sha, page, engine, worker))
            row = db.execute("SELECT attempts, done_at FROM work WHERE task = ? AND sha = ? AND "
                             "page = ? AND engine = ?", (task, sha, page, engine)).fetchone()
        return None if row is None or row[1] is not None else row[0]

    def backlog(self) -> dict:
        """What the archive still has to do, counted in a few queries whatever its size (`yingjian
        status`): objects to read, objects and pages waiting for OCR, problems."""
        counts = dict(self._tuples("SELECT state, COUNT(*) FROM objects GROUP BY state"))
        todo = self._tuples("SELECT sha, ocr_todo FROM objects WHERE ocr = 'pending'")
        read = dict(self._tuples(
            "SELECT o.sha, COUNT(*) FROM objects o JOIN ocr_pages p ON p.sha = o.sha "
            "WHERE o.ocr = 'pending' GROUP BY o.sha"))
        pages = sum(max(0, len(json.loads(t or "[]")) - read.get(sha, 0)) for sha, t in todo)
        files = self._tuples("SELECT COUNT(*) FROM sources WHERE state = 'present' "
                             "AND sha IS NOT NULL")[0][0]
        return {"files": files, "objects": sum(counts.values()),
                "extract": counts.get("pending", 0), "problems": counts.get("problem", 0),
                "ocr_files": len(todo), "ocr_pages": pages}

    def work_by_worker(self, since: str) -> list[dict]:
        """The ledger per worker: pieces of work done since `since` (ISO time) and when the last
        one was, and the pieces in hand (begun, not done); the most recent first."""
        done = {(w, t): (n, last) for w, t, n, last in self._tuples(
            "SELECT worker, task, COUNT(*), MAX(done_at) FROM work WHERE done_at >= ? "
            "GROUP BY worker, task", (since,))}
        busy = {(w, t): n for w, t, n in self._tuples(
            "SELECT worker, task, COUNT(*) FROM work WHERE done_at IS NULL GROUP BY worker, task")}
        out: dict[str, dict] = {}
        for (worker, task) in {*done, *busy}:
            row = out.setdefault(worker, {"worker": worker, "done": {}, "in_hand": {}, "last": None})
            n, last = done.get((worker, task), (0, None))
            if n:
                row["done"][task] = n
                row["last"] = max(row["last"] or "", last)
            if busy.get((worker, task)):
                row["in_hand"][task] = busy[(worker, task)]
        return sorted(out.values(), key=lambda r: (r["last"] or "", r["worker"]), reverse=True)

    def unfinished_work(self, task: str) -> list[str]:
        """The objects whose `task` a worker began and no run finished (its worker died, its
        message was lost with the broker's data)."""
        return [r[0] for r in self._tuples(
            "SELECT DISTINCT sha FROM work WHERE task = ? AND done_at IS NULL", (task,))]

    def end_work(self, task: str, sha: str, page: int, engine: str, worker: str) -> bool:
        """Mark a piece of work done whose result is not in the catalog (a thumbnail, a page's
        preview on the objects' share); False if another run had done it already."""
        with self._transaction() as db:
            return self._end_work(db, task, sha, page, engine, worker)

    def _end_work(self, db, task: str, sha: str, page: int, engine: str, worker: str) -> bool:
        """Mark the piece done, in the caller's transaction; False if it already was."""
        return db.execute(
            "INSERT INTO work (task, sha, page, engine, attempts, worker, done_at) "
            "VALUES (?, ?, ?, ?, 1, ?, ?) ON CONFLICT (task, sha, page, engine) DO UPDATE "
            "SET done_at = excluded.done_at, worker = excluded.worker WHERE work.done_at IS NULL",
            (task, sha, page, engine, worker, now_iso())).rowcount == 1

    def save_extraction_once(self, sha: str, engine: str, worker: str, **extraction) -> bool:
        """`save_extraction` by a worker: written only if no run of the task wrote it before,
        and only while the object still waits to be read; returns whether it was written."""
        with self._transaction() as db:
            row = db.execute("SELECT state FROM objects WHERE sha = ?", (sha,)).fetchone()
            if row is None or row[0] != "pending" or \
                    not self._end_work(db, "extract", sha, -1, engine, worker):
                return False
            self._save_extraction(db, sha, **extraction)
        return True

    def save_ocr_page_once(self, sha: str, page: int, engine: str, worker: str, text: str,
                           confidence: float | None, seconds: float | None = None,
                           error: str | None = None) -> bool:
        """`save_ocr_page` by a worker: a page already read (by this task before, or by the
        in-process OCR) is never written again; returns whether it was written."""
        with self._transaction() as db:
            if not self._end_work(db, "ocr", sha, page, engine, worker):
                return False
            return db.execute("INSERT INTO ocr_pages (sha, page, text, confidence, seconds, error) "
                              "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sha, page) DO NOTHING",
                              (sha, page, text, confidence, seconds, error)).rowcount == 1

    def finish_ocr_once(self, sha: str, engine: str, worker: str, **merged) -> bool:
        """`finish_ocr` by the worker that saved an object's last page: done once, and only
        while the object's OCR is still pending."""
        with self._transaction() as db:
            row = db.execute("SELECT ocr FROM objects WHERE sha = ?", (sha,)).fetchone()
            if row is None or row[0] != "pending" or \
                    not self._end_work(db, "ocr_merge", sha, -1, engine, worker):
                return False
            self._finish_ocr(db, sha, **merged)
        return True

    def work_done(self, sha: str) -> list[dict]:
        """The ledger's rows of one object (task, page, engine, attempts, worker, done_at),
        in task and page order: what the fault tests and a curious maintainer read."""
        return [dict(r) for r in self._db.execute(
            "SELECT task, page, engine, attempts, worker, done_at FROM work WHERE sha = ? "
            "ORDER BY task, page", (sha,))]

    def set_problem(self, sha: str, reason: str) -> None:
        """The object cannot serve as evidence (a zip that will not open, say); its paths are
        logged only if this changes it."""
        self.set_problems({sha: reason})

    def start_read(self, sha: str, reads: int = 1) -> int:
        """Count one more read of `sha` begun (committed before the reader starts, so a read
        that takes the process down is counted too; `reads` adds those a killed process had
        begun); returns the count."""
        with self._transaction() as db:
            db.execute("UPDATE objects SET read_attempts = read_attempts + ? WHERE sha = ?",
                       (reads, sha))
            row = db.execute("SELECT read_attempts FROM objects WHERE sha = ?", (sha,)).fetchone()
        return row[0] if row else 0

    def retry_object(self, sha: str) -> None:
        """The office asks for `sha` to be read again: pending, its count, OCR pages and the
        workers' ledger cleared, and the containers holding it to be expanded again."""
        with self._transaction() as db:
            db.execute("UPDATE objects SET state = 'pending', reason = NULL, read_attempts = 0, "
                       "ocr = NULL, ocr_todo = NULL WHERE sha = ?", (sha,))
            db.execute("DELETE FROM ocr_pages WHERE sha = ?", (sha,))
            db.execute("DELETE FROM work WHERE sha = ?", (sha,))       # workers read it afresh
            db.execute("UPDATE sources SET expanded_sha = NULL WHERE sha = ?", (sha,))

    def set_problems(self, problems: dict[str, str], expanded: list[tuple[int, str]] = ()) -> int:
        """Mark many objects as problems (sha -> reason) and containers as expanded, in one
        transaction; only the paths whose object actually changed are logged, once each.
        Returns how many change rows were written."""
        now = now_iso()
        logged = 0
        with self._transaction() as db:
            changed = [sha for sha, why in problems.items() if db.execute(
                "UPDATE objects SET state = 'problem', reason = ? WHERE sha = ? "
                "AND (state != 'problem' OR reason IS NOT ?)", (why, sha, why)).rowcount]
            for sha in changed:
                for r in db.execute("SELECT id FROM sources WHERE sha = ?", (sha,)).fetchall():
                    self._log(db, r["id"], "problem", now)
                    logged += 1
            db.executemany("UPDATE sources SET expanded_sha = ? WHERE id = ?",
                           [(sha, sid) for sid, sha in expanded])
        return logged

    def set_source_reason(self, source_id: int, reason: str | None) -> None:
        with self._transaction() as db:
            db.execute("UPDATE sources SET reason = ? WHERE id = ?", (reason, source_id))
            self._log(db, source_id, "problem", now_iso())

    def mark_expanded(self, source_id: int, sha: str) -> None:
        with self._transaction() as db:
            db.execute("UPDATE sources SET expanded_sha = ? WHERE id = ?", (sha, source_id))

    def withdraw(self, source_ids: list[int]) -> int:
        """The unit deleted these paths: keep everything, mark them (and zip members) withdrawn."""
        now = now_iso()
        n = 0
        with self._transaction() as db:
            todo = list(source_ids)
            while todo:
                sid = todo.pop()
                if db.execute("UPDATE sources SET state = 'withdrawn', last_seen = ? "
                              "WHERE id = ? AND state = 'present'", (now, sid)).rowcount:
                    n += 1
                    self._log(db, sid, "withdrawn", now)
                todo.extend(r["id"] for r in db.execute(
                    "SELECT id FROM sources WHERE container_id = ? AND state = 'present'", (sid,)))
        return n

    def _log(self, db: sqlite3.Connection, source_id: int, what: str, at: str) -> None:
        if self._batch_open:        # written with the batch's other changes, in one statement
            self._batch_changes.append((source_id, what, at))
            return
        db.execute(_INSERT_CHANGE, (source_id, what, at))

    def _add_version(self, row: tuple) -> None:
        if self._batch_open:        # written with the batch's other versions, in one statement
            self._batch_versions.append(row)
            return
        self._db.execute(_INSERT_VERSION, row)

    # -- the rows of a batch written at its commit ----------------------------------------------
    # Rows nothing reads back inside the batch (the change log, the versions of paths) are kept
    # aside and written with one executemany each just before the batch commits.

    _batch_changes: list = []
    _batch_versions: list = []

    def begin_batch(self) -> None:
        if not self._batch_open:
            self._batch_changes, self._batch_versions = [], []
        super().begin_batch()

    def _batch_mark(self) -> tuple[int, int]:
        return len(self._batch_changes), len(self._batch_versions)

    def _batch_flush(self, db: sqlite3.Connection) -> None:
        if self._batch_versions:
            db.executemany(_INSERT_VERSION, self._batch_versions)
            self._batch_versions = []
        if self._batch_changes:
            db.executemany(_INSERT_CHANGE, self._batch_changes)
            self._batch_changes = []

    def _batch_undo(self, mark: tuple[int, int] | int) -> None:
        changes, versions = (mark, mark) if isinstance(mark, int) else mark
        self._batch_changes = self._batch_changes[:changes]
        self._batch_versions = self._batch_versions[:versions]


    # -- the file list ---------------------------------------------------------------------
    # The web app's 文件 page: every path, filtered, sorted and paged here, so that it is exact
    # (the search index is not). Filters and sort keys are read from sources and the covering
    # index objects_list only, never from the objects' text; a page's details are read for its
    # own rows. Tags of contents (the materials each serves, computed by the caller) are
    # passed through a temporary table, so there can be any number of them.

    LIST_SORTS = {"date": "o.date", "name": "s.name", "unit": "s.unit", "size": "o.size"}
    LIST_STATUSES = ("ok", "problem", "pending", "withdrawn")

    def paths_matching(self, *, unit: str | None = None, kind: str | None = None,
                       year: str | None = None, status: str | None = None,
                       tags: dict[str, list[str]] | None = None, tag: str | None = None,
                       tagged: bool | None = None, sort: str = "unit", descending: bool = False,
                       offset: int = 0, limit: int = 50) -> tuple[int, list[dict]]:
        """(how many paths match, the rows of one page). `status` is one of LIST_STATUSES, or
        None for every present path; `year` a year or "none" (no date). `tags` labels contents
        (sha -> tags: the materials each serves, say); `tag` keeps the contents with that tag,
        `tagged` those with any tag (True) or none (False)."""
        where, args = self._file_list_where(unit, kind, year, status, tags, tag, tagged)
        cond = " AND ".join(where)
        frm = "FROM sources s LEFT JOIN objects o ON o.sha = s.sha WHERE " + cond
        # counting the paths of a unit needs no object: the join is made only when filtered on one
        count = frm if "o." in cond else "FROM sources s WHERE " + cond
        total = self._db.execute("SELECT COUNT(*) " + count, args).fetchone()[0]
        way = "DESC" if descending else "ASC"
        key = self.LIST_SORTS.get(sort, "s.unit")
        order = f"{key} {way}, s.path {way}, s.id {way}" if key == "s.unit" else f"{key} {way}, s.id {way}"
        ids = [r[0] for r in self._db.execute(
            f"SELECT s.id {frm} ORDER BY {order} LIMIT ? OFFSET ?", [*args, limit, offset])]
        return total, self.path_rows(ids)

    def path_rows(self, ids: list[int]) -> list[dict]:
        """The rows of `ids` (source ids), in that order, as `files` shapes them."""
        if not ids:
            return []
        rows = self._in(
            "SELECT s.id AS source_id, s.unit, s.path, s.name, s.state AS source_state, "
            "s.reason AS source_reason, s.sha, s.container_id, o.kind, o.format, o.state, "
            "o.reason, o.pages, o.text_chars, o.date, o.date_source, o.size, o.ocr, o.info, "
            "(SELECT COUNT(*) FROM versions v WHERE v.source_id = s.id) AS versions, "
            "NULL AS duplicate_of FROM sources s LEFT JOIN objects o ON o.sha = s.sha "
            "WHERE s.id IN ({keys})", ids, rows=True)
        by_id = {r["source_id"]: dict(r) for r in rows}
        return [by_id[i] for i in ids if i in by_id]

    def evidence_years(self) -> list[str]:
        """The years from the newest evidence date down to the oldest (two index lookups)."""
        row = self._db.execute("SELECT MIN(date), MAX(date) FROM objects").fetchone()
        if not row[0] or not row[0][:4].isdigit() or not row[1][:4].isdigit():
            return []
        return [str(y) for y in range(int(row[1][:4]), int(row[0][:4]) - 1, -1)][:100]

    def gather_statistics(self) -> None:
        """Gather the tables' statistics (ANALYZE; kept in the database, read by every new
        connection), without which the planner may join the objects by their primary key and
        read every row's text, three times slower at 100,000 files. Done by a writer (the
        workspace, once per process, when it brings its followers up to date), never by a
        read. Skipped if another process holds the write lock."""
        try:
            self._db.execute("ANALYZE")
        except sqlite3.OperationalError:
            pass

    def last_source_id(self) -> int:
        """The newest source (path) the catalog has recorded."""
        return self._tuples("SELECT COALESCE(MAX(id), 0) FROM sources")[0][0]

    def _file_list_where(self, unit, kind, year, status, tags, tag, tagged):
        where, args = [], []
        if status == "withdrawn":
            where.append("s.state = 'withdrawn'")
        else:
            where.append("s.state = 'present'")
        problem = "(s.sha IS NULL OR s.reason IS NOT NULL OR o.state = 'problem')"
        if status == "problem":
            where.append(problem)
        elif status == "pending":
            where.append(f"NOT {problem} AND (o.state = 'pending' OR o.ocr = 'pending')")
        elif status == "ok":
            where.append(f"NOT {problem} AND o.state = 'ok' "
                         "AND (o.ocr IS NULL OR o.ocr != 'pending')")
        if unit:
            where.append("s.unit = ?")
            args.append(unit)
        if kind:
            where.append("o.kind = ?")
            args.append(kind)
        if year == "none":
            where.append("s.sha IS NOT NULL AND o.date IS NULL")
        elif year:
            where.append("o.date >= ? AND o.date < ?")
            args += [str(year), str(int(year) + 1)]
        if tags is not None and (tag or tagged is not None):
            self._file_list_load_tags(tags)
            if tag:
                where.append("s.sha IN (SELECT sha FROM file_list_tags WHERE tag = ?)")
                args.append(tag)
            elif tagged:
                where.append("s.sha IN (SELECT sha FROM file_list_tags)")
            else:
                where.append("(s.sha IS NULL OR s.sha NOT IN (SELECT sha FROM file_list_tags))")
        return where, args

    def _file_list_load_tags(self, tags: dict[str, list[str]]) -> None:
        """The tags in a temporary table of this connection, loaded again only when the
        caller passes another mapping (callers keep one until the catalog changes). Noted on
        the connection, not the catalog: each thread (a web server's) has a connection of its
        own, and on PostgreSQL a connection serves the cities of a province in turn."""
        state = self._connection_state()
        loaded = state.get("file_list_tags")
        if loaded is not None and loaded[0]() is self and loaded[1] is tags:
            return
        self._db.execute("CREATE TEMP TABLE IF NOT EXISTS file_list_tags "
                        "(sha TEXT NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (tag, sha))")
        self._db.execute("CREATE INDEX IF NOT EXISTS temp.file_list_tags_sha ON file_list_tags(sha)")
        self._db.execute("BEGIN")             # one transaction of the temporary table only
        try:
            self._db.execute("DELETE FROM file_list_tags")
            self._db.executemany("INSERT OR IGNORE INTO file_list_tags VALUES (?, ?)",
                                ((sha, t) for sha, ts in tags.items() for t in ts))
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        state["file_list_tags"] = (weakref.ref(self), tags)

_INSERT_CHANGE = "INSERT INTO changes (source_id, what, at) VALUES (?, ?, ?)"
_INSERT_VERSION = ("INSERT INTO versions (source_id, sha, size, mtime_ns, seen_at) "
                   "VALUES (?, ?, ?, ?, ?)")


def _extraction_values(now: str, *, state: str, reason: str | None, pages: int | None, text: str,
                       info: dict, date: str | None, date_source: str | None,
                       ocr_todo=()) -> tuple:
    """An extraction as the objects' columns state, reason, pages, text, text_chars, info, date,
    date_source, extracted_at, ocr, ocr_todo (in that order)."""
    return (state, reason, pages, text, _visible_chars(text),
            json.dumps(info, ensure_ascii=False, default=str), date, date_source, now,
            "pending" if ocr_todo else None, json.dumps(list(ocr_todo)) if ocr_todo else None)


def _visible_chars(text: str) -> int:
    """Characters a reader would count: not spaces, line or page breaks (`split` cuts at
    exactly the characters `isspace` names, in C)."""
    return sum(map(len, text.split()))


def _source(row: sqlite3.Row) -> Source:
    return Source(row["id"], row["unit"], row["path"], row["name"], row["container_id"],
                  row["sha"], row["size"], row["mtime_ns"], row["state"], row["reason"],
                  row["expanded_sha"])

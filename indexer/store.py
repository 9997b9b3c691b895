"""The index on disk: one SQLite file of bigram postings, written in segments.

Each document indexed gets a new number (never reused), so an updated file is a new document
and its old number is simply no longer live. A sync writes one segment per batch: for every term
of the batch, the numbers of the documents holding it and how often (uint32 and uint8 arrays).
A term's postings are the concatenation of its segments' rows, read through the live
documents. Small and mostly-dead segments are merged now and then. Plain SQLite, no positions:
a few bytes per distinct term of a document, written from Python dictionaries at the speed of
SQLite's inserts.
"""
from __future__ import annotations

import sqlite3
import sys
from array import array
from contextlib import contextmanager
from pathlib import Path

import numpy as np

SCHEMA_VERSION = 3
FILE_NAME = "postings.sqlite"
LOCK_NAME = "writer.lock"
MAX_SEGMENTS = 24          # more than this and the smallest ones are merged
MAX_TF = 255

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS docs (
    doc INTEGER PRIMARY KEY AUTOINCREMENT,
    source INTEGER NOT NULL UNIQUE,
    seg INTEGER NOT NULL,
    path TEXT NOT NULL, sha TEXT NOT NULL, unit TEXT NOT NULL, kind TEXT NOT NULL,
    name TEXT NOT NULL, date TEXT NOT NULL, items TEXT NOT NULL, status TEXT NOT NULL,
    length INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS postings (
    term TEXT NOT NULL, seg INTEGER NOT NULL, docs BLOB NOT NULL, tfs BLOB NOT NULL,
    PRIMARY KEY (term, seg)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS postings_seg ON postings(seg);
CREATE TABLE IF NOT EXISTS segments (seg INTEGER PRIMARY KEY, docs INTEGER NOT NULL);
"""

DOC_FIELDS = ("path", "sha", "unit", "kind", "name", "date", "items", "status")


class Busy(Exception):
    """Another process is writing the index."""


class Damaged(Exception):
    """The index file cannot be read; the catalog makes it again."""


def _u32(values) -> bytes:
    a = array("I", values)
    if sys.byteorder == "big":
        a.byteswap()
    return a.tobytes()


def connect(folder: Path) -> sqlite3.Connection:
    db = sqlite3.connect(folder / FILE_NAME, timeout=30, check_same_thread=False,
                         isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(_SCHEMA)
        db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
    except sqlite3.DatabaseError as e:
        db.close()
        raise Damaged(str(e)) from e
    return db


def meta(db: sqlite3.Connection) -> dict[str, str]:
    try:
        return dict(db.execute("SELECT key, value FROM meta"))
    except sqlite3.DatabaseError as e:
        raise Damaged(str(e)) from e


def set_meta(db: sqlite3.Connection, **values) -> None:
    db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                   [(k, str(v)) for k, v in values.items()])


@contextmanager
def writer_lock(folder: Path):
    """Held for a whole sync; a second writer gets Busy at once instead of waiting. A SQLite
    exclusive transaction on a small file of its own: released by the OS if the process dies."""
    folder.mkdir(parents=True, exist_ok=True)
    lock = sqlite3.connect(folder / LOCK_NAME, timeout=0, isolation_level=None)
    try:
        try:
            lock.execute("BEGIN EXCLUSIVE")
        except sqlite3.OperationalError as e:
            raise Busy(str(e)) from e
        yield
        lock.execute("ROLLBACK")
    finally:
        lock.close()


def bump(db: sqlite3.Connection) -> None:
    """Tell readers the index changed (they reload their document table)."""
    db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', "
               "COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'generation'), 0) + 1)")


def write_batch(db: sqlite3.Connection, removed: list[int], added: list[tuple[int, dict, dict]]) -> None:
    """One transaction: the documents of `removed` sources go, each of `added` (source id,
    fields, {term: count}) gets a new number, and their postings make one new segment."""
    db.execute("BEGIN IMMEDIATE")
    try:
        gone = removed + [src for src, _, _ in added]
        for i in range(0, len(gone), 500):
            chunk = gone[i:i + 500]
            db.execute(f"DELETE FROM docs WHERE source IN ({','.join('?' * len(chunk))})", chunk)
        if added:
            seg = (db.execute("SELECT MAX(seg) FROM segments").fetchone()[0] or 0) + 1
            postings: dict[str, tuple[list, list]] = {}
            for src, fields, counts in added:
                doc = db.execute(
                    "INSERT INTO docs (source, seg, path, sha, unit, kind, name, date, items, "
                    "status, length) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (src, seg, *(fields[f] for f in DOC_FIELDS), sum(counts.values()))).lastrowid
                for term, n in counts.items():
                    p = postings.get(term)
                    if p is None:
                        postings[term] = p = ([], [])
                    p[0].append(doc)
                    p[1].append(n if n < MAX_TF else MAX_TF)
            db.executemany("INSERT INTO postings VALUES (?, ?, ?, ?)",
                           ((t, seg, _u32(d), bytes(f)) for t, (d, f) in postings.items()))
            db.execute("INSERT INTO segments VALUES (?, ?)", (seg, len(added)))
        bump(db)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def merge_segments(db: sqlite3.Connection) -> int:
    """Merge the segments that are mostly dead, and the smallest ones when there are too many;
    returns how many were merged."""
    live = dict(db.execute("SELECT seg, COUNT(*) FROM docs GROUP BY seg"))
    segs = [(seg, n, live.get(seg, 0)) for seg, n in db.execute("SELECT seg, docs FROM segments")]
    victims = {seg for seg, n, alive in segs if alive * 2 < n}
    rest = sorted((n, seg) for seg, n, alive in segs if seg not in victims)
    if len(rest) > MAX_SEGMENTS:
        victims |= {seg for _, seg in rest[:len(rest) - MAX_SEGMENTS // 2]}
    if not victims or (len(victims) == 1 and all(alive == n for s, n, alive in segs if s in victims)):
        return 0
    max_doc = db.execute("SELECT MAX(doc) FROM docs").fetchone()[0] or 0
    alive = np.zeros(max_doc + 1, dtype=bool)
    alive[np.fromiter((d for (d,) in db.execute("SELECT doc FROM docs")), dtype=np.int64)] = True
    marks = ",".join("?" * len(victims))
    args = sorted(victims)
    db.execute("BEGIN IMMEDIATE")
    try:
        new = (db.execute("SELECT MAX(seg) FROM segments").fetchone()[0] or 0) + 1
        rows = db.execute(f"SELECT term, docs, tfs FROM postings WHERE seg IN ({marks}) "
                          "ORDER BY term", args)
        out, term, ds, fs = [], None, [], []

        def flush():
            if not ds:
                return
            d = np.concatenate(ds)
            f = np.concatenate(fs)
            keep = alive[np.minimum(d, max_doc)] & (d <= max_doc)
            if keep.any():
                out.append((term, new, d[keep].astype("<u4").tobytes(), f[keep].tobytes()))

        for t, d, f in rows:
            if t != term:
                flush()
                term, ds, fs = t, [], []
            ds.append(np.frombuffer(d, dtype="<u4").astype(np.int64))
            fs.append(np.frombuffer(f, dtype=np.uint8))
        flush()
        db.execute(f"DELETE FROM postings WHERE seg IN ({marks})", args)
        db.executemany("INSERT INTO postings VALUES (?, ?, ?, ?)", out)
        n = db.execute(f"UPDATE docs SET seg = ? WHERE seg IN ({marks})", [new, *args]).rowcount
        db.execute(f"DELETE FROM segments WHERE seg IN ({marks})", args)
        db.execute("INSERT INTO segments VALUES (?, ?)", (new, n))
        bump(db)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return len(victims)


def clear(db: sqlite3.Connection) -> None:
    """Everything out (a rebuild); the file stays, so readers in other processes keep a valid
    handle and see an index being built."""
    db.execute("BEGIN IMMEDIATE")
    db.execute("DELETE FROM docs")
    db.execute("DELETE FROM postings")
    db.execute("DELETE FROM segments")
    set_meta(db, seq=0)
    bump(db)
    db.execute("COMMIT")


def postings(db: sqlite3.Connection, term: str, prefix: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(document numbers, counts) of a term, or of every term starting with `term`."""
    if prefix:
        rows = db.execute("SELECT docs, tfs FROM postings WHERE term >= ? AND term < ?",
                          (term, term[:-1] + chr(ord(term[-1]) + 1))).fetchall()
    else:
        rows = db.execute("SELECT docs, tfs FROM postings WHERE term = ?", (term,)).fetchall()
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint8)
    return (np.concatenate([np.frombuffer(d, dtype="<u4") for d, _ in rows]).astype(np.int64),
            np.concatenate([np.frombuffer(f, dtype=np.uint8) for _, f in rows]))

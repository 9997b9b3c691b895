"""The index on disk: a Whoosh index, one document per file (its path, the fields a hit and the
facets show, and one field of bigram counts without positions), and beside it a small JSON file
saying which version of the index this is and how far along the catalog's change sequence it
has got. All Whoosh calls of yingjian are here: the rest asks for documents and postings.

Writes go through one batch writer while the sync lock is held; each batch is one Whoosh commit
(memory bounded by LIMIT_MB), and Whoosh merges its small segments at commit as it does by
default. Deleted documents stay in their segment until a merge: readers go through the live
documents only.
"""
from __future__ import annotations

import json
import os
import shutil
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from foundation import replace_text

from ._whoosh import FileStorage, Grams, LockError, SegmentReader, fields, index, writing

SCHEMA_VERSION = 4         # 2: release 0.1.0 (Whoosh, 3/4-grams); 3: SQLite postings
META_NAME = "yingjian-index.json"
LOCK_NAME = "yingjian-sync.lock"
INDEX_NAME = "BIGRAMS"
LIMIT_MB = 256             # Whoosh's posting pool per batch before it spills to temporary files
SMALL = 1000               # segments under this many documents are merged among themselves
MAX_SEGMENTS = 32          # beyond this, the smallest half are merged
STORED = ("path", "sha", "unit", "kind", "name", "date", "items", "status", "length")


class Busy(Exception):
    """Another process is writing the index (and went on longer than we were willing to wait)."""

    code = "index_busy"

    def __init__(self, folder: str, waited: float = 0.0):
        super().__init__(folder)
        self.folder, self.waited = folder, waited

    @property
    def data(self) -> dict:
        return {"path": self.folder, "waited": self.waited}


class Damaged(Exception):
    """The index cannot be read; the catalog makes it again."""


def schema() -> fields.Schema:
    return fields.Schema(
        path=fields.ID(stored=True, unique=True),
        sha=fields.STORED,
        unit=fields.ID(stored=True),
        kind=fields.ID(stored=True),
        year=fields.ID,
        items=fields.KEYWORD(stored=True, commas=True, scorable=False),
        name=fields.STORED,
        date=fields.STORED,
        status=fields.STORED,
        length=fields.STORED,
        grams=Grams(),
    )


# -- the version file --------------------------------------------------------------------------

def read_meta(folder: Path) -> dict:
    """The version file's content, {} when there is none (or it cannot be read)."""
    try:
        meta = json.loads((folder / META_NAME).read_text(encoding="utf-8"))
        return meta if isinstance(meta, dict) else {}
    except (OSError, ValueError):
        return {}


def write_meta(folder: Path, **values) -> dict:
    """Update the version file (written aside, then renamed: never half written)."""
    meta = read_meta(folder)
    meta.update(values)
    return _replace_meta(folder, meta)


def _replace_meta(folder: Path, meta: dict) -> dict:
    replace_text(folder / META_NAME, json.dumps(meta))
    return meta


def current(meta: dict) -> bool:
    return meta.get("schema") == SCHEMA_VERSION


def has_files(folder: Path) -> bool:
    """Anything in the folder besides the lock (an index, possibly of an older version)."""
    return folder.is_dir() and any(p.name != LOCK_NAME for p in folder.iterdir())


@contextmanager
def writer_lock(folder: Path, wait: float = 0.0):
    """Held for a whole sync; a writer in another process gets Busy at once instead of waiting
    (it is keeping the index current), or after `wait` seconds (a rebuild, which must be done
    by this process: `yingjian reindex` beside a watcher that is syncing). An OS file lock
    (Whoosh's own), released by the OS if the process dies. A second thread of the same process
    waits for the first, up to THREAD_WAIT_SECONDS, then syncs what is left: the web app's
    upload, made searchable "at once", must not return while its background OCR thread is still
    writing the same files."""
    folder.mkdir(parents=True, exist_ok=True)
    with _THREAD_LOCKS_LOCK:
        mine = _THREAD_LOCKS.setdefault(os.path.abspath(folder), threading.Lock())
    if not mine.acquire(timeout=max(THREAD_WAIT_SECONDS, wait)):
        raise Busy(str(folder), max(THREAD_WAIT_SECONDS, wait))
    try:
        lock = FileStorage(str(folder)).lock(LOCK_NAME)
        start = time.monotonic()
        pause = 0.05
        while not lock.acquire(blocking=False):
            waited = time.monotonic() - start
            if waited + pause > wait:
                raise Busy(str(folder), waited)
            time.sleep(pause)
            pause = min(pause * 2, 0.5)
        try:
            yield
        finally:
            lock.release()
    finally:
        mine.release()


THREAD_WAIT_SECONDS = 30.0
_THREAD_LOCKS: dict[str, threading.Lock] = {}
_THREAD_LOCKS_LOCK = threading.Lock()


# -- making, opening, writing ------------------------------------------------------------------

def discard(folder: Path) -> None:
    """Remove every file of the index (damaged, or of an older version), the lock and the
    version file aside."""
    if folder.is_dir():
        for p in folder.iterdir():
            if p.name in (LOCK_NAME, META_NAME):
                continue
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                try:
                    p.unlink()
                except OSError:
                    pass


def create(folder: Path, **meta) -> dict:
    """A new, empty index of this version; returns its version file. The version file says
    `meta` (a rebuild: `building`) before the old files go, so that a reader meanwhile never
    takes the emptied folder for a complete index of nothing."""
    folder.mkdir(parents=True, exist_ok=True)
    _replace_meta(folder, dict(schema=SCHEMA_VERSION, seq=0, **meta))      # no epoch: no index yet
    discard(folder)
    index.create_in(str(folder), schema(), indexname=INDEX_NAME).close()
    return write_meta(folder, epoch=uuid.uuid4().hex)


def open_index(folder: Path):
    try:
        return index.open_dir(str(folder), indexname=INDEX_NAME)
    except Exception as e:        # missing or unreadable files: Whoosh raises many kinds
        raise Damaged(repr(e)) from e


def check(folder: Path) -> None:
    """Raise Damaged unless every segment of the index opens."""
    try:
        ix = index.open_dir(str(folder), indexname=INDEX_NAME)
        try:
            with ix.reader() as r:
                r.doc_count_all()
                list(r.indexed_field_names())
        finally:
            ix.close()
    except Exception as e:
        raise Damaged(repr(e)) from e


def merge_policy(writer, segments):
    """Which segments a commit merges: Whoosh's MERGE_SMALL, but only among the small segments
    (those a watcher's one-file syncs leave), so that the first sync after a rebuild does not
    rewrite the whole index; beside them, the segments mostly deleted (files updated since),
    and the smallest half when there are more than MAX_SEGMENTS."""
    big, small, dead = [], [], []
    for seg in segments:
        n, alive = seg.doc_count_all(), seg.doc_count()
        (dead if alive * 2 < n else small if n < SMALL else big).append(seg)
    if len(big) > MAX_SEGMENTS:
        big.sort(key=lambda seg: seg.doc_count())
        dead += big[:len(big) // 2]
        big = big[len(big) // 2:]
    kept = writing.MERGE_SMALL(writer, small) if len(small) > 1 else small
    for seg in dead:
        reader = SegmentReader(writer.storage, writer.schema, seg)
        writer.add_reader(reader)
        reader.close()
    return big + list(kept)


def write_batch(ix, removed: list[str], added, fresh: bool) -> None:
    """One commit: the documents of `removed` paths go, those `added` yields (one at a time,
    so that only Whoosh's pool holds the batch) replace any of their path (`fresh`: the index
    holds none of them, so nothing to look up)."""
    try:
        writer = ix.writer(limitmb=LIMIT_MB)
    except LockError as e:
        raise Busy(str(e)) from e
    try:
        for path in removed:
            writer.delete_by_term("path", path)
        put = writer.add_document if fresh else writer.update_document
        for doc in added:
            put(**doc)
        writer.commit(mergetype=merge_policy)
    except BaseException:
        writer.cancel()
        raise


# -- reading -----------------------------------------------------------------------------------

def live_documents(reader):
    """(document number, stored fields) of every live document."""
    return reader.iter_docs()


def postings(reader, field: str, term: str, prefix: bool = False,
             counts: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """(document numbers, counts) of a term, or of every term starting with `term`, over the
    index's segments (Whoosh leaves out the deleted ones)."""
    terms = list(reader.expand_prefix(field, term)) if prefix else [term]
    ids: list[int] = []
    tfs: list[float] = []
    for leaf, base in reader.leaf_readers():
        for t in terms:
            if (field, t) not in leaf:
                continue
            m = leaf.postings(field, t)
            if counts:
                while m.is_active():
                    ids.append(m.id() + base)
                    tfs.append(m.weight())
                    m.next()
            else:
                ids.extend(d + base for d in m.all_ids())
    return (np.array(ids, dtype=np.int64),
            np.array(tfs, dtype=np.float64) if counts else None)


"""Ingest: how a file in a unit's folder becomes an archived, catalogued, readable record.

For each candidate path, in order:
  1. settle   the file is complete: unchanged over the stability window, end marker present
  2. store    its bytes are copied once into the object store while hashed; if the file changed
              during the copy, nothing is committed and it is tried again later
  3. record   one catalog transaction: the source, a version if the content is new for the
              path, the object if the content is new to the archive
  4. extract  text, pages, image facts and the evidence date, read from the stored object
  5. expand   a zip's members become sources of their own, below the zip's path
A file outside the workspace's unit folders (at the inbox root, or in a folder that is no unit)
is not archived but listed as a problem until it is moved or the office adds the unit.
A pass over the inbox also marks paths the unit deleted as withdrawn (kept, never removed), and
first catches up on work a killed process left half done (steps 4 and 5 are redone from the
catalog). The original file is only ever opened for reading.
"""
from __future__ import annotations

import os
import time
import uuid
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import Path, PurePosixPath
from typing import Callable, Protocol

from . import reasons
from .catalog import Catalog, Source
from .dates import evidence_date
from .detect import detect, has_trailer, suffix
from .errors import InboxUnavailable, ReadError
from .extract import Extraction
from .guard import IN_PROCESS, IN_PROCESS_MAX_BYTES, in_process, read_in_memory, read_object, reads_in_process
from .limits import Limits
from .scan import Candidate, candidate, scan, unit_problem
from .stability import StabilityTracker
from .store import HOST, ObjectStore, ObjectTooLarge, alive
from .zips import open_members

CONTAINERS = ("zip", "7z")      # unpacked into members; an OFD is one document, never here

__all__ = ["Dispatch", "Ingestor", "Limits", "Outcome", "PassSummary", "Result"]


class Outcome(str, Enum):
    INGESTED = "ingested"      # new content archived for this path
    DUPLICATE = "duplicate"    # new for this path, but the archive already held the bytes
    UNCHANGED = "unchanged"
    PENDING = "pending"        # still being written; tried again later
    REFUSED = "refused"        # not read at all (a link out of the inbox, too large)
    GONE = "gone"              # vanished before we could read it


@dataclass
class Result:
    outcome: Outcome
    rel: str
    problems: list[tuple[str, str]] = field(default_factory=list)   # (path, reason)


@dataclass
class PassSummary:
    scanned: int = 0
    ingested: int = 0
    unchanged: int = 0
    duplicates: int = 0
    pending: int = 0
    withdrawn: int = 0
    problems: list[dict] = field(default_factory=list)

    def add(self, r: Result) -> None:
        if r.outcome is Outcome.INGESTED:
            self.ingested += 1
        elif r.outcome is Outcome.DUPLICATE:
            self.duplicates += 1
        elif r.outcome is Outcome.UNCHANGED:
            self.unchanged += 1
        self.problems.extend({"path": p, "reason": why} for p, why in r.problems)

    def to_json(self) -> dict:
        return {"scanned": self.scanned, "ingested": self.ingested, "unchanged": self.unchanged,
                "duplicates": self.duplicates, "problems": self.problems,
                "pending": self.pending, "withdrawn": self.withdrawn}


Progress = Callable[[str], None]


class Ingestor:
    def __init__(self, inbox: Path, store: ObjectStore, catalog: Catalog,
                 limits: Limits = Limits(), stable_seconds: float = 5.0,
                 incomplete_after: float = 300.0, clock=time.monotonic, sleep=time.sleep,
                 units: list[str] | None = None, batch_files: int = 200,
                 batch_seconds: float = 1.0, dispatch: "Dispatch | None" = None,
                 shared: bool = False):
        self.inbox = Path(inbox)
        # [cluster]: other watchers, on other shares, record their own units into the same
        # catalog; a unit that is neither ours nor a folder of our inbox is theirs
        self.shared = shared
        self.units = set(units) if units else None     # None: any first folder is a unit
        self.store = store
        self.catalog = catalog
        self.limits = limits
        self.incomplete_after = incomplete_after
        self.tracker = StabilityTracker(stable_seconds, clock)
        self.clock = clock
        self.sleep = sleep              # injected with the clock, so tests need not wait
        self.batch_files = batch_files
        self.batch_seconds = batch_seconds
        self._batch: _Batch | None = None
        self._unfinished: dict[str, int] | None = None     # sha -> reads a killed process began
        self._journal_fd: int | None = None
        self._journal_name: str | None = None
        # [cluster]: stage 4 is a task for the workers, sent once its record is committed
        self.dispatch = dispatch
        self._to_send: list[str] = []

    # -- a pass over the whole inbox -------------------------------------------------------

    def ingest_pass(self, progress: Progress | None = None, max_wait: float | None = None,
                    on_total: Callable[[int], None] | None = None) -> PassSummary:
        """Ingest everything new or changed below the inbox, waiting a little (`max_wait`, by
        default three stability windows) for files still being written, which are otherwise
        left for the next pass; then mark deleted paths withdrawn."""
        self.catch_up()
        if not self.inbox.is_dir():
            raise InboxUnavailable(self.inbox)
        known = self.catalog.present_stats()
        seen: set[str] = set()
        todo = list(scan(self.inbox, known, seen))     # unchanged files are left out
        summary = PassSummary(scanned=len(seen), unchanged=len(seen) - len(todo))
        if on_total:
            on_total(len(seen))
        if progress and summary.unchanged:
            for rel in seen.difference(c.rel for c in todo):
                progress(rel)
        for c in todo:
            if c.stat is not None:
                self.tracker.observe(c.rel, c.stat)
        if max_wait is None:
            max_wait = max(3 * self.tracker.window, 10.0)
        if todo:
            with self.batch():
                todo = self._ingest_all(todo, known, summary, progress, self.clock() + max_wait)
        summary.pending = len(todo)
        summary.withdrawn = self.withdraw_missing(seen, known)
        return summary

    def _ingest_all(self, todo: list[Candidate], known: dict, summary: PassSummary,
                    progress: Progress | None, deadline: float) -> list[Candidate]:
        """Ingest the candidates, in rounds until none is still being written or the deadline
        passes; returns those left pending."""
        fresh = True                    # the first round uses the scan's stat
        while todo:
            waiting = []
            for c in todo:
                r = self.ingest_candidate(c, c.stat if fresh else None, known)
                self.batch_tick()
                if r.outcome is Outcome.PENDING:
                    waiting.append(c)
                    continue
                summary.add(r)
                progress and progress(c.rel)
            todo, fresh = waiting, False
            if not todo or self.clock() >= deadline:
                break
            self.batch_commit()         # nothing waits on a file still being written
            self.sleep(max(0.05, min(self.tracker.next_due(), 1.0)))
        return todo

    # -- batches -----------------------------------------------------------------------------

    @contextmanager
    def batch(self):
        """Record the files ingested inside in catalog transactions of many (`batch_files`
        files or `batch_seconds`, whichever comes first). The objects a transaction refers to
        are flushed to disk before it commits, so a process killed at any moment has recorded
        only what is stored, and whatever it had not committed is simply ingested again by the
        next pass: nothing lost, nothing doubled. Outside a batch every file is its own commit."""
        if self._batch is not None:
            yield
            return
        self.catalog.begin_batch()
        self.store.begin_batch()
        self._batch = _Batch(time.monotonic())
        try:
            yield
        except BaseException:
            self._batch = None
            try:                        # keep what is complete: each record is whole
                self._end_batch()
            except Exception:
                self.catalog.rollback_batch()
                self.store.sync_batch(end=True)
            raise
        self._batch = None
        self._end_batch()

    def batch_tick(self) -> None:
        """One more file done: commit when the batch is full or old enough."""
        b = self._batch
        if b is None:
            return
        b.files += 1
        if b.files >= self.batch_files or time.monotonic() - b.started >= self.batch_seconds:
            self.batch_commit()

    def batch_commit(self) -> None:
        """Objects of the batch to disk, then the catalog's commit that refers to them."""
        if self._batch is None:
            return
        self.store.sync_batch()
        self.catalog.commit_batch()
        self._reads_done()
        self._send()
        self._batch = _Batch(time.monotonic())

    def _end_batch(self) -> None:
        self.store.sync_batch(end=True)
        self.catalog.commit_batch(end=True)
        self._reads_done()
        self._send()
        self._close_journal()

    # -- reads in flight -----------------------------------------------------------------------
    # A read is counted in the catalog before it starts (start_read), so that a file that takes
    # the whole process down is given up after a few tries. Inside a batch that count is
    # committed only with the batch: a process killed before then would forget it and try the
    # same file for ever. So each read begun in a batch is also noted in a small journal beside
    # the catalog (one line, no fsync: the operating system keeps it when the process dies),
    # emptied once the batch commits; the next pass counts the reads it lists as begun and not
    # ended ("+sha" when a read begins, "-sha" when it has ended, whatever its outcome).
    # Each ingestor has a journal of its own, named for its process (a watcher, the web app's
    # uploads and a clerk's `ingest` run at once): one process's commit never empties another's
    # notes, and only the journals of processes that are gone are counted and taken over.

    @property
    def _journals(self) -> str:
        return os.path.join(os.path.dirname(str(self.store.root)), "reads-in-flight.d")

    @property
    def _journal(self) -> str:
        if self._journal_name is None:
            self._journal_name = os.path.join(
                self._journals, f"{os.getpid()}-{HOST}.{uuid.uuid4().hex[:12]}")
        return self._journal_name

    def _journal_open(self) -> int:
        if self._journal_fd is None:          # kept open while the ingestor lives
            os.makedirs(self._journals, exist_ok=True)
            self._journal_fd = os.open(self._journal, os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                                       0o600)
        return self._journal_fd

    def _note_read(self, sha: str, mark: bytes) -> None:
        os.write(self._journal_open(), mark + sha.encode("ascii") + b"\n")

    def _read_begins(self, sha: str) -> None:
        self._note_read(sha, b"+")

    def _read_ends(self, sha: str) -> None:
        self._note_read(sha, b"-")

    def _reads_done(self) -> None:
        """The batch is committed with its counts: the journal keeps only the reads of a killed
        process that this one has not met again yet."""
        if self._journal_fd is None and not self._unfinished:
            return                            # nothing noted, by this process or a killed one
        os.ftruncate(self._journal_open(), 0)
        for sha, n in (self._unfinished or {}).items():
            for _ in range(n):
                self._read_begins(sha)

    def _close_journal(self) -> None:
        """At the end of a batch: a journal with nothing left in it goes."""
        if self._journal_fd is None:
            return
        os.close(self._journal_fd)
        self._journal_fd = None
        if not self._unfinished:
            try:
                os.unlink(self._journal)
            except OSError:
                pass

    def _load_unfinished_reads(self) -> None:
        """The reads killed processes began in a batch they never committed (their records,
        counts included, were never committed either): counted when this process meets each
        file. A journal is taken over (renamed to this ingestor's, read, written into its own,
        then removed) only when its process is gone: one of this machine whose process id no
        longer runs, or the single journal earlier releases kept. On Windows a live process's
        journal, held open, cannot be renamed."""
        theirs = [os.path.join(os.path.dirname(self._journals), "reads-in-flight")]
        try:
            names = os.listdir(self._journals)
        except OSError:
            names = []
        for name in names:
            pid, _, host = name.split(".", 1)[0].partition("-")
            if pid.isdigit() and host == HOST and int(pid) != os.getpid() and not alive(int(pid)):
                theirs.append(os.path.join(self._journals, name))
        taken = []
        for n, path in enumerate(theirs):
            claimed = f"{self._journal}.{n}.taken"
            try:
                os.makedirs(self._journals, exist_ok=True)
                os.replace(path, claimed)     # one taker only, and never a live writer's
                with open(claimed, "rb") as f:
                    lines = f.read().splitlines()
            except OSError:
                continue
            taken.append(claimed)
            for line in lines:
                line = line.strip().decode("ascii", "replace")
                sha, step = line[1:], {"+": 1, "-": -1}.get(line[:1], 0)
                if sha and step:
                    self._unfinished[sha] = self._unfinished.get(sha, 0) + step
        self._unfinished = {sha: n for sha, n in self._unfinished.items() if n > 0}
        if taken:
            self._reads_done()                # into this ingestor's own journal, then theirs go
            for claimed in taken:
                try:
                    os.unlink(claimed)
                except OSError:
                    pass

    def withdraw_missing(self, seen: set[str], present: dict | None = None) -> int:
        """Paths the catalog has as present that the scan no longer saw: the unit deleted them.
        A unit folder that is missing entirely (an unmounted share) withdraws nothing; a folder
        that is no unit of ours, gone, does (its files were problems) — except in a shared
        catalog (`[cluster]`), where it is another watcher's unit, on its own share.
        `present` is the catalog's `present_stats()` if the caller read it for the pass."""
        gone = []
        if present is None:
            present = self.catalog.present_stats()
        mounted: dict[str | None, bool] = {}        # one look at each unit's folder
        for path in sorted(present.keys() - seen):
            unit = path.split("/", 1)[0] if "/" in path else None
            if unit not in mounted:
                mounted[unit] = (self.inbox / unit if unit else self.inbox).is_dir()
            if mounted[unit] or (self.units is not None and unit not in self.units
                                 and not self.shared):
                gone.append(present[path][1])
        return self.catalog.withdraw(gone) if gone else 0

    def catch_up(self) -> None:
        """Finish what a killed process left: extractions not saved, zips not fully expanded,
        temporary files of the store."""
        self.store.sweep_temp()
        if self._batch is None and self._unfinished is None:
            self._unfinished = {}
            self._load_unfinished_reads()
        if self.dispatch is not None:       # the workers' queues: whatever they lost, again
            self.dispatch.catch_up()
        else:
            for row in self.catalog.pending_objects():
                src = self.catalog.first_source_of(row["sha"])
                self._extract(row["sha"], row["format"], src["name"] if src else "",
                              src["mtime_ns"] if src else None)
        for src in self.catalog.unexpanded_containers():
            self._expand(src, [])

    def retry(self, sha: str) -> None:
        """The office asks for a file to be read again (after a crash, a timeout, or a reader
        that has since been fixed): its count starts afresh, it is read now, and the
        containers holding it are expanded again."""
        self.catalog.retry_object(sha)
        row = self.catalog.object(sha)
        if row is None:
            return
        src = self.catalog.first_source_of(sha)
        self._extract(sha, row["format"], src["name"] if src else "",
                      src["mtime_ns"] if src else None)
        if row["format"] in CONTAINERS:
            for s in self.catalog.sources_of(sha):
                self._expand(self.catalog.source_by_id(s["id"]), [])

    # -- one path ----------------------------------------------------------------------------

    def ingest_path(self, path: Path) -> Result | None:
        """Ingest one path (from a watcher event); None if it is not a candidate."""
        c = candidate(self.inbox, Path(path))
        return self.ingest_candidate(c) if c else None

    def ingest_candidate(self, c: Candidate, st: os.stat_result | None = None,
                         known: dict[str, tuple] | None = None) -> Result:
        """The stages, in order, for one candidate. `st` is a stat of the file taken just now,
        if the caller has one; `known` the catalog's `present_stats()`, if the caller read them."""
        if c.problem is None:
            misplaced = unit_problem(c.rel, self.units)
            if misplaced:               # listed, not archived until the folder is a unit
                self.tracker.forget(c.rel)
                self.catalog.record_unarchived(unit=c.unit, path=c.rel, name=c.name,
                                               reason=misplaced)
                return Result(Outcome.REFUSED, c.rel, [(c.rel, misplaced)])
        if c.problem:
            self.catalog.record_unarchived(unit=c.unit, path=c.rel, name=c.name, reason=c.problem)
            return Result(Outcome.REFUSED, c.rel, [(c.rel, c.problem)])
        if st is None:
            try:
                st = os.stat(c.path)
            except OSError:
                self.tracker.forget(c.rel)
                return Result(Outcome.GONE, c.rel)
        if (same_stat(known.get(c.rel), st) if known is not None
                else self.unchanged(self.catalog.source(c.rel), st)):
            self.tracker.forget(c.rel)
            return Result(Outcome.UNCHANGED, c.rel)
        if st.st_size > self.limits.max_archive_bytes:
            return self._refuse(c, reasons.TOO_LARGE_TO_ARCHIVE.format(
                size=reasons.human_size(st.st_size),
                limit=reasons.human_size(self.limits.max_archive_bytes)))
        try:
            with open(c.path, "rb") as original:       # opened once: detected, then copied
                head = original.read(4096)
                fmt = detect(c.path, c.name, head)
                if not self._settled(c, st, fmt.name):
                    return Result(Outcome.PENDING, c.rel)
                if len(head) == 4096 and fmt.name in IN_PROCESS:   # to be read from memory
                    head += original.read(IN_PROCESS_MAX_BYTES + 1 - len(head))
                stored = self._store(original, c, st, head)
        except PermissionError:
            return self._refuse(c, reasons.UNREADABLE)
        except FileNotFoundError:
            self.tracker.forget(c.rel)
            return Result(Outcome.GONE, c.rel)
        except OSError:
            return Result(Outcome.PENDING, c.rel)      # a share hiccup: try again later
        if stored is None:
            return Result(Outcome.PENDING, c.rel)
        self.tracker.forget(c.rel)
        sha, size, created = stored
        # a content just written whose bytes are all in hand (a small text file) is read from
        # them now, and its object row written once, with what was read (on one PC: with
        # [cluster] every extraction is the workers')
        read = (self._read_in_memory(sha, fmt.name, c.name, st.st_mtime_ns, head)
                if created and size == len(head) and self.dispatch is None else None)
        extracted, attempts = read or (None, 0)
        rec = self.catalog.record(unit=c.unit, path=c.rel, name=c.name, sha=sha, size=size,
                                  fmt=fmt.name, kind=fmt.kind, mtime_ns=st.st_mtime_ns,
                                  extracted=extracted, attempts=attempts)
        problems: list[tuple[str, str]] = []
        if rec.new_object and extracted is None:
            self._extract(sha, fmt.name, c.name, st.st_mtime_ns)
        if rec.new_version:
            if rec.new_object and extracted is not None:
                why = extracted["reason"] if extracted["state"] == "problem" else None
                problems += [(c.rel, why)] if why else []
            else:
                problems += self._object_problem(c.rel, sha)
            if fmt.name in CONTAINERS:
                self._expand(self.catalog.source_by_id(rec.source_id), problems)
        outcome = (Outcome.UNCHANGED if not rec.new_version
                   else Outcome.DUPLICATE if rec.duplicate_of else Outcome.INGESTED)
        return Result(outcome, c.rel, problems)

    # -- the stages --------------------------------------------------------------------------

    @staticmethod
    def unchanged(src: Source | None, st: os.stat_result | None) -> bool:
        """Same size and mtime as the version we archived: not read again (the fast path)."""
        return (src is not None and st is not None and src.state == "present"
                and src.sha is not None and src.reason is None
                and src.size == st.st_size and src.mtime_ns == st.st_mtime_ns)

    def _settled(self, c: Candidate, st: os.stat_result, fmt: str) -> bool:
        """Stage 1: unchanged for the window and, if the format has one, its end marker present.
        A file stuck without its marker is let through after `incomplete_after` seconds, to be
        archived and reported as truncated by the extractor."""
        stable_for = self.tracker.stable_for(c.rel, st)
        if stable_for < self.tracker.window:
            return False
        if has_trailer(c.path, fmt):
            return True
        age = time.time() - st.st_mtime
        return stable_for >= self.incomplete_after or age >= self.incomplete_after

    def _store(self, original, c: Candidate, st: os.stat_result,
               head: bytes) -> tuple[str, int, bool] | None:
        """Stage 2: copy and hash in one read (`head`, the first chunk, is read already); commit
        only if the file did not change meanwhile. (sha, size, created) or None."""
        def unchanged_since_stat() -> bool:
            try:
                now = os.stat(c.path)
            except OSError:
                return False
            return now.st_size == st.st_size and now.st_mtime_ns == st.st_mtime_ns

        try:
            return self.store.put_stream(original, self.limits.max_archive_bytes,
                                         unchanged_since_stat, first=head)
        except ObjectTooLarge:
            return None

    def _extract(self, sha: str, fmt: str, name: str, mtime_ns: int | None) -> None:
        """Stage 4: read the stored object (never the original) in the guarded reader process
        and save text, facts and date. A read is counted before it starts, so a file that
        takes the whole process down is given up after `max_read_attempts`. With a `dispatch`
        ([cluster]) a worker reads it instead: the task is sent once the record is committed."""
        if self.dispatch is not None:
            self._to_send.append(sha)
            if self._batch is None:
                self._send()
            return
        path = self.store.path(sha)
        noted = self._batch is not None and not reads_in_process(path, fmt)
        if noted:
            self._read_begins(sha)
        tries = self.catalog.start_read(sha, 1 + (self._unfinished or {}).pop(sha, 0))
        if tries > self.limits.max_read_attempts:
            ex = gave_up(fmt, tries)
        else:
            ex = read_object(path, fmt, self.limits)
            if noted:
                self._read_ends(sha)
        self.catalog.save_extraction(sha, **extraction_record(ex, fmt, name, mtime_ns))

    def _send(self) -> None:
        """The extractions of committed records, to the workers' queue."""
        if self._to_send:
            shas, self._to_send = self._to_send, []
            self.dispatch.extract(shas)

    def _read_in_memory(self, sha: str, fmt: str, name: str, mtime_ns: int | None,
                        data: bytes) -> tuple[dict, int] | None:
        """Stage 4 for a content whose bytes are in hand, if its format is read in this process
        (plain Python over bytes: nothing that could take the process down, so nothing to
        count first): what `record` saves with the object (`save_extraction`'s arguments) and
        the reads counted, this one with those a killed process began; None otherwise."""
        if not in_process(fmt, len(data)):
            return None
        tries = 1 + (self._unfinished or {}).get(sha, 0)
        if tries > self.limits.max_read_attempts:
            ex = gave_up(fmt, tries)
        else:
            ex = read_in_memory(data, fmt, self.limits)
            if ex is None:          # no reader of bytes for the format: read from the object
                return None
        (self._unfinished or {}).pop(sha, None)
        return extraction_record(ex, fmt, name, mtime_ns), tries

    def _expand(self, src: Source | None, problems: list[tuple[str, str]]) -> None:
        """Stage 5: each zip member archived as a source below the zip's path; members of an
        earlier version that are gone are withdrawn. Redone safely after a crash."""
        if src is None or src.sha is None:
            return
        depth = self.catalog.container_depth(src.id)
        if depth >= self.limits.max_zip_depth:
            self.catalog.set_problems({src.sha: self._too_deep()}, [(src.id, src.sha)])
            problems.append((src.path, self._too_deep()))
            return
        try:
            zf, members = open_members(self.store.path(src.sha), self.limits)
        except ReadError as e:
            self.catalog.set_problems({src.sha: e.reason}, [(src.id, src.sha)])
            problems.append((src.path, e.reason))
            return
        seen = set()
        too_deep: list[Source] = []     # inner containers past the depth limit, marked at once
        with zf:
            for m in members:
                rel = f"{src.path}/{m.inner}"
                seen.add(rel)
                name = PurePosixPath(m.inner).name
                if m.problem:
                    self.catalog.record_unarchived(unit=src.unit, path=rel, name=name,
                                                   reason=m.problem, container_id=src.id)
                    problems.append((rel, m.problem))
                    continue
                try:
                    with zf.open(m.info) as f:
                        sha, size, _ = self.store.put_stream(f, self.limits.max_archive_bytes)
                except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, OSError,
                        ObjectTooLarge, NotImplementedError):
                    self.catalog.record_unarchived(unit=src.unit, path=rel, name=name,
                                                   reason=reasons.ZIP_CORRUPT, container_id=src.id)
                    problems.append((rel, reasons.ZIP_CORRUPT))
                    continue
                fmt = detect(self.store.path(sha), name)
                mtime_ns = _zip_time_ns(m.info)
                rec = self.catalog.record(unit=src.unit, path=rel, name=name, sha=sha, size=size,
                                          fmt=fmt.name, kind=fmt.kind, mtime_ns=mtime_ns,
                                          container_id=src.id)
                if m.note:
                    self.catalog.set_source_reason(rec.source_id, m.note)
                    problems.append((rel, m.note))
                if rec.new_object:
                    self._extract(sha, fmt.name, name, mtime_ns)
                if rec.new_version:
                    known = self._object_problem(rel, sha)
                    problems += known
                    if fmt.name in CONTAINERS:
                        inner = self.catalog.source_by_id(rec.source_id)
                        if depth + 1 >= self.limits.max_zip_depth:
                            too_deep.append(inner)
                            problems += [] if known else [(rel, self._too_deep())]
                        else:
                            self._expand(inner, problems)
                # a zip of thousands of files is no one transaction: its members commit as
                # files do, so the clerk's decision waits a batch, not the whole zip (the zip
                # is marked expanded only at the end: a kill midway expands it again)
                self.batch_tick()
        if too_deep:
            self.catalog.set_problems({s.sha: self._too_deep() for s in too_deep},
                                      [(s.id, s.sha) for s in too_deep])
        stale = [sid for path, sid in self.catalog.present_members(src.id).items()
                 if path not in seen]
        if stale:
            self.catalog.withdraw(stale)
        self.catalog.mark_expanded(src.id, src.sha)

    def _too_deep(self) -> str:
        return reasons.ZIP_TOO_DEEP.format(limit=self.limits.max_zip_depth)

    def _refuse(self, c: Candidate, reason: str) -> Result:
        self.tracker.forget(c.rel)
        self.catalog.record_unarchived(unit=c.unit, path=c.rel, name=c.name, reason=reason)
        return Result(Outcome.REFUSED, c.rel, [(c.rel, reason)])

    def _object_problem(self, rel: str, sha: str) -> list[tuple[str, str]]:
        row = self.catalog.object(sha)
        return [(rel, row["reason"])] if row and row["state"] == "problem" and row["reason"] else []


class Dispatch(Protocol):
    """Where stage 4 goes when workers do it (yingjian/cluster.py sends Celery tasks)."""

    def extract(self, shas: list[str]) -> None:
        """Have these recorded objects read."""

    def catch_up(self) -> None:
        """Send again whatever the catalog says is pending and the queues no longer hold."""


_ALIASES = {"jpg": "jpeg", "jpe": "jpeg", "tif": "tiff", "text": "txt", "log": "txt",
            "et": "xls", "wps": "doc", "heif": "heic", "tsv": "csv", "xlsm": "xlsx",
            "docm": "docx", "odt": "odf", "ods": "odf", "odp": "odf", "m4v": "mp4", "3gp": "mp4",
            "dps": "ppt", "pps": "ppt", "dot": "doc", "wpt": "doc", "hif": "heic"}
_VIDEO = {"mp4", "mov"}


@dataclass
class _Batch:
    started: float
    files: int = 0


def same_stat(known: tuple | None, st: os.stat_result | None) -> bool:
    """The size and mtime the catalog archived for a path (an entry of `present_stats`) and
    the file's stat agree."""
    return (known is not None and st is not None and known[2] == st.st_size
            and known[3] == st.st_mtime_ns)


def gave_up(fmt: str, tries: int) -> Extraction:
    """The extraction of a file whose reads took the reader down too often."""
    return Extraction(problem=reasons.READ_GAVE_UP.format(fmt=fmt.upper(), attempts=tries - 1))


def extraction_record(ex: Extraction, fmt: str, name: str, mtime_ns: int | None) -> dict:
    """What the catalog keeps of a read (`Catalog.save_extraction`'s arguments): text and
    facts, the evidence date found among every source of one, the pages left for OCR."""
    date, date_source = evidence_date(
        pages=ex.pages, exif=ex.info.get("exif_date"), name=name,
        pdf=ex.info.get("pdf_date"), mtime_ns=mtime_ns,
        metadata=ex.info.get("meta_date"))
    info = dict(ex.info)
    if ex.note:
        info["note"] = ex.note
    ext = suffix(name).lower().lstrip(".")
    if ext and not _same_format(ext, fmt):
        info["mislabelled"] = ext
    return {"state": "problem" if ex.problem else "ok", "reason": ex.problem,
            "pages": ex.page_count, "text": ex.text, "info": info, "date": date,
            "date_source": date_source, "ocr_todo": [] if ex.problem else ex.ocr_pages}


def _same_format(ext: str, fmt: str) -> bool:
    alias = _ALIASES.get(ext, ext)
    return alias == fmt or {alias, fmt} <= _VIDEO


def _zip_time_ns(info: zipfile.ZipInfo) -> int | None:
    try:
        return int(datetime(*info.date_time).timestamp() * 1e9)
    except (ValueError, OverflowError, OSError):
        return None

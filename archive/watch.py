"""The watcher: a startup scan, then filesystem events (watchdog's native observer), plus a
reconcile scan every few minutes that catches whatever events missed. On a network share, where
events do not arrive, there is no observer: the reconcile scan itself runs every `poll` seconds,
so one walk per interval finds what is new, what changed and what was deleted (a polling
observer beside it would walk the share a second time). Each walk's cost (files seen, seconds)
goes to the log, so an office can choose its interval. Events only put paths on a list; the loop
ingests a path once the stability tracker says it is complete, recording in batches. Nothing
that happens to one file, nor a share that disappears for a while, stops the loop.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer

from .errors import ArchiveError, InboxUnavailable, StoreError, StoreFull
from .ingest import Ingestor, Outcome, Result
from .scan import Candidate, candidate, scan

log = logging.getLogger("yingjian.watch")


@dataclass
class Walk:
    """What one reconcile scan cost."""
    files: int
    seconds: float
    cpu: float


class _Events(FileSystemEventHandler):
    def __init__(self, watcher: "Watcher"):
        self.w = watcher

    def on_created(self, event):
        self.w.notify(event.src_path, event.is_directory)

    def on_modified(self, event):
        if not event.is_directory:
            self.w.notify(event.src_path, False)

    def on_closed(self, event):
        self.w.notify(event.src_path, False)

    def on_moved(self, event):
        self.w.notify(event.dest_path, event.is_directory)
        self.w.reconcile_soon()

    def on_deleted(self, event):
        self.w.reconcile_soon()


class Watcher:
    def __init__(self, ingestor: Ingestor, poll: float | None = None,
                 reconcile_every: float = 300.0, tick: float = 0.5,
                 on_result: Callable[[Result], None] | None = None,
                 after_step: Callable[[], None] | None = None,
                 on_event: Callable[[str, dict], None] | None = None):
        self.ing = ingestor
        self.poll = poll
        # polling is the reconcile scan, run every `poll` seconds: one walk per interval
        self.reconcile_every = min(reconcile_every, poll) if poll else reconcile_every
        self.tick = tick
        self.on_result = on_result or (lambda r: None)
        self.after_step = after_step or (lambda: None)   # e.g. bring the search index up to date
        # what went wrong and was survived, as a code with data: the application words it
        self.on_event = on_event or (lambda code, data: log.warning("%s %s", code, data))
        self._lock = threading.Lock()
        self._events: set[tuple[str, bool]] = set()
        self._pending: dict[str, Candidate] = {}
        self._reconcile_at = 0.0
        self.last_walk: Walk | None = None
        self.stop_event = threading.Event()

    # called from the observer's thread
    def notify(self, path: str, is_dir: bool) -> None:
        with self._lock:
            self._events.add((path, is_dir))

    def reconcile_soon(self, delay: float = 2.0) -> None:
        self._reconcile_at = min(self._reconcile_at, time.monotonic() + delay)

    def stop(self) -> None:
        self.stop_event.set()

    def run(self) -> None:
        """Watch until stop() is called (or the process is told to end)."""
        observer = self._start_observer()
        try:
            while not self.stop_event.is_set():
                try:
                    self._step()
                    self.after_step()
                except InboxUnavailable as e:
                    self.on_event("inbox_unavailable", {"path": str(e.path)})
                    self._reconcile_at = time.monotonic() + 30
                except StoreFull as e:
                    self.on_event("store_full", {"path": str(e.path)})
                    self.stop_event.wait(60)
                except (ArchiveError, StoreError) as e:
                    if getattr(e, "code", "") == "database_unavailable":   # PostgreSQL away
                        self.on_event(e.code, e.data)
                    else:
                        self.on_event("archive_error", {"detail": str(e)})
                    # the files the failed step had taken in hand (its batch undone) are
                    # found again by a scan soon, not at the next scheduled one
                    self.reconcile_soon(5)
                except Exception as e:
                    log.exception("unexpected error in the watch loop; watching on")
                    self.on_event("unexpected", {"detail": type(e).__name__})
                self.stop_event.wait(self.tick)
        finally:
            if observer is not None:
                observer.stop()
                observer.join(timeout=5)

    def _start_observer(self):
        if self.poll:
            return None
        obs = Observer()
        try:
            obs.schedule(_Events(self), str(self.ing.inbox), recursive=True)
            obs.start()
            return obs
        except Exception as e:      # no inotify left, share not mounted yet...
            self.on_event("no_events", {"detail": str(e)})
            self.reconcile_every = min(self.reconcile_every, self.poll or 30.0)
            return None

    def _step(self) -> None:
        if time.monotonic() >= self._reconcile_at:
            self.reconcile()
        self._take_events()
        if not self._pending:
            return                      # idle: no transaction, nothing to commit
        with self.ing.batch():
            for rel, c in list(self._pending.items()):
                if self.stop_event.is_set():
                    return
                try:
                    r = self.ing.ingest_candidate(c)
                except (ArchiveError, StoreError):
                    raise
                except Exception as e:
                    log.exception("error ingesting %s; skipped", rel)
                    self.on_event("file_failed", {"path": rel, "detail": type(e).__name__})
                    self._pending.pop(rel, None)
                    continue
                self.ing.batch_tick()
                if r.outcome is not Outcome.PENDING:
                    self._pending.pop(rel, None)
                    if r.outcome is not Outcome.UNCHANGED and r.outcome is not Outcome.GONE:
                        self.on_result(r)

    def _take_events(self) -> None:
        with self._lock:
            events, self._events = self._events, set()
        for path, is_dir in events:
            if is_dir:
                self.reconcile_soon(0)
                continue
            c = candidate(self.ing.inbox, Path(path))
            if c is not None:
                self._pending[c.rel] = c

    def reconcile(self) -> None:
        """Scan everything: catch up, queue what changed, withdraw what was deleted."""
        self._reconcile_at = time.monotonic() + self.reconcile_every
        self.ing.catch_up()
        if not self.ing.inbox.is_dir():
            raise InboxUnavailable(self.ing.inbox)
        start, cpu = time.monotonic(), time.process_time()
        known = self.ing.catalog.present_stats()
        seen: set[str] = set()
        for c in scan(self.ing.inbox, known, seen):       # what is new, changed or a problem
            self._pending.setdefault(c.rel, c)
        self.ing.withdraw_missing(seen, known)
        self.last_walk = Walk(len(seen), time.monotonic() - start, time.process_time() - cpu)
        log.info("reconcile scan: %d files seen in %.2f s (%.2f s CPU); %d to look at",
                 self.last_walk.files, self.last_walk.seconds, self.last_walk.cpu,
                 len(self._pending))

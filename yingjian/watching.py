"""`yingjian watch` as a service of the workspace: the archive's watcher, OCR in worker processes
alongside it, and the search index kept current, with what happens reported through callbacks
(the command line prints them; a test collects them). The clock is injected, so tests need not
sleep to see the index follow."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from archive.ingest import Result
from archive.ocr import OcrProgress
from archive.watch import Watcher


@dataclass
class WatchCallbacks:
    on_result: Callable[[Result], None] = lambda r: None           # a file archived or refused
    on_ocr: Callable[[OcrProgress], None] = lambda p: None          # more files read by OCR
    on_event: Callable[[str, dict], None] = lambda code, data: None  # a fault survived
    clock: Callable[[], float] = field(default=time.monotonic)


class WatchService:
    """Watch the inbox until `stop()`; safe to stop from a signal handler."""

    INDEX_EVERY = 3.0      # one index commit every few seconds at most, however fast files arrive
    HISTORY_EVERY = 3600.0  # readiness over time: a check at most hourly, when files changed
    LEARN_EVERY = 5.0      # learning from the office's decisions (checklist/learning.py)
    LEARN_BUDGET = 2000    # files vectorised per step at most: the watcher never waits long

    def __init__(self, ws, poll: float | None = None, callbacks: WatchCallbacks | None = None):
        self.ws = ws
        self.cb = callbacks or WatchCallbacks()
        self.poll = poll if poll is not None else (ws.config.watch.poll_seconds or None)
        self.ocr = ws.ocr_queue() if ws.ocr_here else None     # [cluster]: the workers read
        if ws.dispatch is not None:
            ws.dispatch.on_event = self.cb.on_event
        self._last_sync = float("-inf")
        self._last_history, self._history_seq = float("-inf"), None
        self._last_learn = float("-inf")
        self._seen_seq = -1
        self._reported = 0
        self.watcher = Watcher(ws.ingestor(), poll=self.poll,
                               reconcile_every=ws.config.watch.reconcile_seconds,
                               on_result=self.cb.on_result, after_step=self.after_step,
                               on_event=self.cb.on_event)

    def after_step(self) -> None:
        """Between two steps of the watcher: queue and collect OCR without waiting, and bring
        the index up to date when it is due."""
        if self.ocr is not None:
            seq = self.ws.catalog.last_seq()
            if seq != self._seen_seq:           # something was archived: look for pages to read
                self._seen_seq = seq
                self.ocr.submit()
            self.ocr.collect(timeout=0)
            if self.ocr.progress.files_done > self._reported:
                self._reported = self.ocr.progress.files_done
                self.cb.on_ocr(self.ocr.progress)
        if self.cb.clock() - self._last_sync >= self.INDEX_EVERY:
            self._last_sync = self.cb.clock()
            self.ws.sync_index()
        if self.cb.clock() - self._last_history >= self.HISTORY_EVERY:
            seq = self.ws.catalog.last_seq()
            if seq != self._history_seq:        # the watcher changes the inputs: keep the day
                self._last_history, self._history_seq = self.cb.clock(), seq
                try:
                    self.ws.record_history()
                except Exception as e:          # never stops the watcher
                    self.cb.on_event("unexpected", {"detail": repr(e)})
        if self.cb.clock() - self._last_learn >= self.LEARN_EVERY:
            self._last_learn = self.cb.clock()
            try:
                self.ws.learn(budget=self.LEARN_BUDGET)
            except Exception as e:          # derived data: never a reason to stop watching
                self.cb.on_event("learning_failed", {"detail": f"{type(e).__name__}: {e}"})

    def run(self) -> None:
        try:
            self.watcher.run()
        finally:
            if self.ocr is not None:
                self.ocr.close()

    def stop(self) -> None:
        self.watcher.stop()

"""OCR for the web app, in the background: an upload is archived and listed at once, and its
scans and photos are read here, as the watcher reads them (archive/ocr.py), never inside the
request that uploaded them nor under the web app's request lock.

The runner is one thread with a workspace of its own (its own catalog connection), woken by
an upload with the contents it brought; it reads their pages (in worker processes, or in its
own thread when `[ocr] workers = 0`) and saves each as it is read, so a page is never read
twice and a stopped server leaves the rest to the next `ingest` or `watch`.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from .workspace import Workspace

log = logging.getLogger("yingjian.ocr")


class OcrRunner:
    IDLE_SECONDS = 30.0        # look again now and then for what is still waiting

    def __init__(self, root: Path):
        self.root = root
        self._wanted: set[str] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self, shas) -> None:
        """Read the pages waiting for OCR of these contents, soon."""
        shas = set(shas)
        if not shas:
            return
        with self._lock:
            self._wanted |= shas
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="yingjian-ocr",
                                                daemon=True)
                self._thread.start()
        self._wake.set()

    @property
    def waiting(self) -> set[str]:
        with self._lock:
            return set(self._wanted)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        ws = Workspace.open(self.root)
        queue = ws.ocr_queue() if ws.config.ocr else None
        try:
            while not self._stop.is_set():
                self._wake.wait(self.IDLE_SECONDS)
                self._wake.clear()
                if self._stop.is_set():
                    break
                try:
                    self._read(ws, queue)
                except Exception:              # never stops: the next upload tries again
                    log.exception("background OCR failed")
        finally:
            if queue is not None:
                queue.close()
            ws.close()

    def _read(self, ws, queue) -> None:
        wanted = self.waiting
        if queue is not None and wanted:
            queue.submit(only=wanted)
            while queue.busy and not self._stop.is_set():
                queue.collect(timeout=0.5)
                if self._wake.is_set():           # another upload: its pages join the queue
                    self._wake.clear()
                    queue.submit(only=self.waiting)
        done = {sha for sha in wanted
                if queue is None or (ws.catalog.object(sha) or {"ocr": None})["ocr"] != "pending"}
        if done:
            ws.sync_index()       # the text read is searchable: the writer keeps the index
        with self._lock:
            self._wanted -= done

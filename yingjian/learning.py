"""Learning in the background of the web app: a thread with its own workspace (its own
connections, no lock shared with the pages) that brings the learned suggestions up to the
office's decisions every few seconds. Pages only read what it learned: a GET never writes."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable
from .workspace import Workspace


class BackgroundLearner(threading.Thread):
    EVERY = 3.0            # seconds between two rounds
    BUDGET = 5000          # files vectorised per round at most

    def __init__(self, root: Path, every: float | None = None,
                 on_event: Callable[[str, dict], None] = lambda code, data: None):
        super().__init__(name="yingjian-learning", daemon=True)
        self.root, self.on_event = Path(root), on_event
        self.every = self.EVERY if every is None else every
        self._stopping = threading.Event()
        self.rounds = 0

    def run(self) -> None:
        ws = Workspace.open(self.root)
        try:
            while not self._stopping.is_set():
                try:
                    ws.learn(budget=self.BUDGET)
                except Exception as e:      # derived data: the next round tries again
                    self.on_event("learning_failed", {"detail": f"{type(e).__name__}: {e}"})
                self.rounds += 1
                self._stopping.wait(self.every)
        finally:
            ws.close()

    def stop(self, timeout: float = 30.0) -> None:
        self._stopping.set()
        if self.is_alive():
            self.join(timeout)

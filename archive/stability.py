"""When is a file completely copied? Copies over SMB arrive slowly, Windows may preallocate the
full size and set the original's modification time only at the end, and a copy may stall. So a
file is complete when its size and modification time have not changed over a window of
observation (not merely "its mtime is old"), and, for formats that end with a marker (PDF, JPEG,
PNG, zip), that marker is present. A file that stays without its marker long after it stopped
changing is archived anyway and reported as truncated: nothing is lost.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    since: float          # when we first saw it with this size and mtime


class StabilityTracker:
    def __init__(self, window: float, clock=time.monotonic):
        self.window = window
        self.clock = clock
        self._seen: dict[str, _Seen] = {}

    def observe(self, key: str, st: os.stat_result) -> None:
        """Note the file's size and mtime; a change restarts its window."""
        prev = self._seen.get(key)
        if prev is None or prev.size != st.st_size or prev.mtime_ns != st.st_mtime_ns:
            self._seen[key] = _Seen(st.st_size, st.st_mtime_ns, self.clock())

    def stable_for(self, key: str, st: os.stat_result) -> float:
        """Seconds the file has kept this size and mtime (0 if it just changed)."""
        self.observe(key, st)
        return self.clock() - self._seen[key].since

    def forget(self, key: str) -> None:
        self._seen.pop(key, None)

    def next_due(self) -> float:
        """Seconds until the earliest tracked file could be stable."""
        if not self._seen:
            return self.window
        now = self.clock()
        return max(0.0, min(s.since + self.window - now for s in self._seen.values()))

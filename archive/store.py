"""The object store: each distinct content stored once, named by its SHA-256, never changed.

An object is written to a temporary file in the store while it is hashed, flushed to disk, and
only then renamed to its final name, so a reader (or a crash) never sees half an object. Objects
are made read-only. Storage stays behind this small class so that a province-scale deployment can
put objects on S3-compatible storage instead.
"""
from __future__ import annotations

import errno
import hashlib
import os
import stat
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Callable

from .errors import StoreFull

_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG}

CHUNK = 1024 * 1024


@contextmanager
def _full_is_store_full(root: Path):
    try:
        yield
    except OSError as e:
        if e.errno in _FULL:
            raise StoreFull(root) from e
        raise


class ObjectTooLarge(Exception):
    def __init__(self, limit: int):
        super().__init__(limit)
        self.limit = limit


class ObjectStore:
    def __init__(self, root: Path, durable: bool = True):
        self.root = Path(root)
        self.tmp = self.root / "tmp"
        self.durable = durable
        self.tmp.mkdir(parents=True, exist_ok=True)
        # called with the bytes written so far before each chunk: the fault-injection tests
        # fill the disk here; None in normal use
        self.fault: Callable[[int], None] | None = None

    def path(self, sha: str) -> Path:
        return self.root / sha[:2] / sha[2:]

    def has(self, sha: str) -> bool:
        return self.path(sha).is_file()

    def open(self, sha: str) -> BinaryIO:
        return open(self.path(sha), "rb")

    def put_stream(self, stream: BinaryIO, limit: int | None = None,
                   before_commit: Callable[[], bool] | None = None) -> tuple[str, int, bool] | None:
        """Store the bytes of `stream`; returns (sha, size, created) or None if `before_commit`
        said no (the source changed while we read it). Raises ObjectTooLarge past `limit` bytes.
        Content the store already holds is neither written again nor flushed to disk: a zip of
        4,096 identical members costs one write, not 4,096 (a small one is hashed in memory)."""
        first = stream.read(CHUNK)
        if limit is not None and len(first) > limit:
            raise ObjectTooLarge(limit)
        if len(first) < CHUNK:
            sha = hashlib.sha256(first).hexdigest()
            if self.has(sha):
                if before_commit is not None and not before_commit():
                    return None
                return sha, len(first), False
        tmp = self.tmp / f"{os.getpid()}.{uuid.uuid4().hex}.part"
        h = hashlib.sha256()
        size = 0
        try:
            with open(tmp, "wb") as out:
                chunk = first
                while chunk:
                    if limit is not None and size + len(chunk) > limit:
                        raise ObjectTooLarge(limit)
                    h.update(chunk)
                    with _full_is_store_full(self.root):
                        if self.fault is not None:
                            self.fault(size)
                        out.write(chunk)
                    size += len(chunk)
                    chunk = stream.read(CHUNK)
                sha = h.hexdigest()
                with _full_is_store_full(self.root):
                    out.flush()
                    if self.durable and not self.has(sha):
                        os.fsync(out.fileno())
            if before_commit is not None and not before_commit():
                return None
            created = self._commit(tmp, sha)
            return sha, size, created
        finally:
            try:
                tmp.unlink()
            except FileNotFoundError:
                pass

    def put_file(self, path: Path, limit: int | None = None,
                 before_commit: Callable[[], bool] | None = None):
        with open(path, "rb") as f:
            return self.put_stream(f, limit, before_commit)

    def _commit(self, tmp: Path, sha: str) -> bool:
        final = self.path(sha)
        if final.exists():
            return False
        final.parent.mkdir(exist_ok=True)
        os.chmod(tmp, stat.S_IREAD | stat.S_IRGRP | stat.S_IROTH)
        try:
            os.replace(tmp, final)
        except PermissionError:
            # Windows refuses to replace a read-only file another process just committed.
            if final.exists():
                return False
            raise
        return True

    def sweep_temp(self, older_than: float = 3600.0) -> int:
        """Remove temporary files left by killed processes: those of a process that is gone,
        and any older than `older_than` seconds. A live writer's file is never touched."""
        removed = 0
        now = time.time()
        for p in self.tmp.glob("*.part"):
            pid = p.name.split(".", 1)[0]
            try:
                stale = now - p.stat().st_mtime > older_than
                if not stale and pid.isdigit() and int(pid) != os.getpid():
                    stale = not _alive(int(pid))
                if stale:
                    p.unlink()
                    removed += 1
            except OSError:          # in use (Windows) or already gone
                pass
        return removed


def _alive(pid: int) -> bool:
    """Whether process `pid` exists. Windows has no signal 0: a file another process still
    writes cannot be deleted there anyway, so report it gone and let unlink decide."""
    if os.name == "nt":
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

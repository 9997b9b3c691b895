"""The object store: each distinct content stored once, named by its SHA-256, never changed.

An object is written to a temporary file in the store while it is hashed, flushed to disk, and
only then renamed to its final name, so a reader (or a crash) never sees half an object. Objects
are made read-only. In a batch (`begin_batch` … `sync_batch`), the flush to disk of each new
object is left to `sync_batch`, which the ingest pipeline calls before the catalog commit that
refers to the batch's objects: one pass of fsyncs for many files instead of one per file, and
still nothing is recorded that is not on disk. An object renamed but not yet synced when the power
fails can come back short; it is not in the catalog then, and the next copy of the same content
replaces it (a content-addressed object has one size).

`Objects` is what the rest of the archive asks of an object store; `ObjectStore` is its folder
implementation, on the workspace's disk or on a share every machine mounts (`[cluster]
objects`): the temporary file is written on the share itself and renamed there, its name
carries the machine's name so that one machine's sweep never removes another's file in
progress, and a worker on another machine checks an object's hash before it reads it
(`verify`), since a share can hand back bytes that are not what was stored. An S3 implementation
would stand beside it and be chosen in yingjian/stores.py.
"""
from __future__ import annotations

import errno
import hashlib
import itertools
import os
import re
import socket
import stat
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Callable, Protocol

from .errors import StoreFull

_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG}

CHUNK = 1024 * 1024
SYNC_THREADS = 8       # objects of a batch flushed side by side


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


class Objects(Protocol):
    """An object store: contents named by their SHA-256, written once, never changed."""

    def put_stream(self, stream: BinaryIO, limit: int | None = None,
                   before_commit: Callable[[], bool] | None = None,
                   first: bytes | None = None) -> tuple[str, int, bool] | None:
        """Store a stream's bytes: (sha, size, created), None if `before_commit` said no;
        `first` is what the caller already read from the stream's start."""

    def put_file(self, path: Path, limit: int | None = None,
                 before_commit: Callable[[], bool] | None = None) -> tuple[str, int, bool] | None:
        """Store a file's bytes, as `put_stream`."""

    def has(self, sha: str) -> bool:
        """Whether the store holds `sha`."""

    def open(self, sha: str) -> BinaryIO:
        """The stored bytes, for reading."""

    def path(self, sha: str) -> Path:
        """A local path of the object that readers can open (a remote store downloads it)."""

    def verify(self, sha: str) -> str | None:
        """None if the stored bytes hash to `sha`, else the hash they have ("" if missing)."""

    def begin_batch(self) -> None:
        """New objects are flushed to durable storage by `sync_batch`, not one by one."""

    def sync_batch(self, end: bool = False) -> int:
        """Flush the batch's new objects; `end` also ends the batch."""

    def sweep_temp(self, older_than: float = 3600.0) -> int:
        """Remove what killed writers left behind."""


# this machine's name in temporary file names: a share's sweep tells its own files from others'
HOST = re.sub(r"[^A-Za-z0-9]", "-", socket.gethostname() or "host")[:40]


class ObjectStore:
    """The folder implementation of `Objects` (the layout `ab/cdef…` below its root)."""

    def __init__(self, root: Path, durable: bool = True):
        self.root = Path(root)
        self.tmp = self.root / "tmp"
        self.durable = durable
        self.tmp.mkdir(parents=True, exist_ok=True)
        self._root, self._tmp = str(self.root), str(self.tmp)
        # called with the bytes written so far before each chunk: the fault-injection tests
        # fill the disk here; None in normal use
        self.fault: Callable[[int], None] | None = None
        self._unsynced: list[str] | None = None      # objects of the open batch, not yet synced
        # temporary files are named for the process (so that a sweep knows a dead one's) and
        # numbered within it; the random part keeps a reused process id from meeting its
        # predecessor's file
        self._token = uuid.uuid4().hex[:12]
        self._numbers = itertools.count()            # next() is atomic: threads may share a store
        self._pool: ThreadPoolExecutor | None = None

    def path(self, sha: str) -> Path:
        return Path(self._name(sha))

    def _name(self, sha: str) -> str:
        # a string: the store's hot path builds no pathlib objects
        return f"{self._root}{os.sep}{sha[:2]}{os.sep}{sha[2:]}"

    def has(self, sha: str) -> bool:
        return os.path.isfile(self._name(sha))

    def open(self, sha: str) -> BinaryIO:
        return open(self.path(sha), "rb")

    def verify(self, sha: str) -> str | None:
        h = hashlib.sha256()
        try:
            with self.open(sha) as f:
                while chunk := f.read(CHUNK):
                    h.update(chunk)
        except FileNotFoundError:
            return ""
        found = h.hexdigest()
        return None if found == sha else found

    def put_stream(self, stream: BinaryIO, limit: int | None = None,
                   before_commit: Callable[[], bool] | None = None,
                   first: bytes | None = None) -> tuple[str, int, bool] | None:
        """Store the bytes of `stream`; returns (sha, size, created) or None if `before_commit`
        said no (the source changed while we read it). Raises ObjectTooLarge past `limit` bytes.
        `first` is what the caller has already read from the start of the stream (any length).
        Content the store already holds is neither written again nor flushed to disk: a zip of
        4,096 identical members costs one write, not 4,096 (a small one is hashed in memory)."""
        if first is None:
            first = stream.read(CHUNK)
        elif len(first) < CHUNK:
            first += stream.read(CHUNK - len(first))
        if limit is not None and len(first) > limit:
            raise ObjectTooLarge(limit)
        absent = False                  # the final name was not there a moment ago
        if len(first) < CHUNK:          # all of it
            sha = hashlib.sha256(first).hexdigest()
            try:
                whole = os.stat(self._name(sha)).st_size == len(first)
            except FileNotFoundError:
                whole, absent = False, True
            if whole:
                if before_commit is not None and not before_commit():
                    return None
                return sha, len(first), False
        tmp = f"{self._tmp}{os.sep}{os.getpid()}-{HOST}.{self._token}.{next(self._numbers)}.part"
        h = hashlib.sha256()
        size = 0
        created = False
        try:
            # read-only from the start (POSIX: the descriptor still writes), so no chmod later
            fd = os.open(tmp, _CREATE, _CREATE_MODE)
            try:
                for chunk in _chunks(first, stream):
                    if limit is not None and size + len(chunk) > limit:
                        raise ObjectTooLarge(limit)
                    h.update(chunk)
                    with _full_is_store_full(self.root):
                        if self.fault is not None:
                            self.fault(size)
                        _write_all(fd, chunk)
                    size += len(chunk)
                sha = h.hexdigest()
                with _full_is_store_full(self.root):
                    if self.durable and not self._sync_later() and not self.has(sha):
                        os.fsync(fd)
            finally:
                os.close(fd)
            if before_commit is not None and not before_commit():
                return None
            created = self._commit(tmp, sha, size, absent)
            if created and self._sync_later():
                self._unsynced.append(self._name(sha))
            return sha, size, created
        finally:
            if not created:             # renamed into place otherwise
                try:
                    os.unlink(tmp)
                except FileNotFoundError:
                    pass

    def put_file(self, path: Path, limit: int | None = None,
                 before_commit: Callable[[], bool] | None = None):
        with open(path, "rb") as f:
            return self.put_stream(f, limit, before_commit)

    # -- batches -----------------------------------------------------------------------------

    def begin_batch(self) -> None:
        """From now on, new objects are synced to disk by `sync_batch`, not one by one."""
        if self._unsynced is None:
            self._unsynced = []

    def sync_batch(self, end: bool = False) -> int:
        """Flush every object written since the batch began to disk; `end` also ends the batch.
        Returns how many were synced."""
        todo, self._unsynced = self._unsynced or [], (None if end else [])
        if self.durable and todo:
            with _full_is_store_full(self.root):
                if len(todo) == 1:
                    _fsync(todo[0])
                else:       # at once: the file system writes them out in one journal commit
                    if self._pool is None:
                        self._pool = ThreadPoolExecutor(SYNC_THREADS, "object-sync")
                    for f in [self._pool.submit(_fsync_each, todo[i::SYNC_THREADS])
                              for i in range(min(SYNC_THREADS, len(todo)))]:
                        f.result()
        return len(todo)

    def _sync_later(self) -> bool:
        # Windows flushes a file only through a handle open for writing, and objects are
        # read-only once renamed: there each object is synced before its rename, as outside
        # a batch.
        return self._unsynced is not None and os.name != "nt"

    def _commit(self, tmp: str, sha: str, size: int, absent: bool = False) -> bool:
        """Rename `tmp` to the object's name unless the object is there whole; `absent` if the
        caller found no object of that name a moment ago (one look fewer)."""
        final = self._name(sha)
        whole = None
        if not absent:
            try:
                whole = os.stat(final).st_size == size
            except FileNotFoundError:
                pass
        if whole:
            return False
        if whole is False:          # cut short by a power cut before its batch was synced
            os.chmod(final, stat.S_IREAD | stat.S_IWRITE)
        if _CREATE_MODE != _READ_ONLY:
            os.chmod(tmp, _READ_ONLY)
        try:
            try:
                os.replace(tmp, final)
            except FileNotFoundError:       # the first object of its folder
                os.makedirs(os.path.dirname(final), exist_ok=True)
                os.replace(tmp, final)
        except PermissionError:
            # Windows refuses to replace a read-only file another process just committed.
            if os.path.exists(final):
                return False
            raise
        return True

    def sweep_temp(self, older_than: float = 3600.0) -> int:
        """Remove temporary files left by killed processes: those of a process of this machine
        that is gone, and any older than `older_than` seconds (another machine's, on a share,
        only then). A live writer's file is never touched."""
        removed = 0
        now = time.time()
        for p in self.tmp.glob("*.part"):
            pid, _, host = p.name.split(".", 1)[0].partition("-")
            try:
                stale = now - p.stat().st_mtime > older_than
                if not stale and host in ("", HOST) and pid.isdigit() and int(pid) != os.getpid():
                    stale = not alive(int(pid))
                if stale:
                    p.unlink()
                    removed += 1
            except OSError:          # in use (Windows) or already gone
                pass
        return removed


_READ_ONLY = stat.S_IREAD | stat.S_IRGRP | stat.S_IROTH
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
# POSIX: a temporary file is created read-only (its descriptor writes all the same), as the
# object it becomes. Windows could not delete a read-only file left over: it is made read-only
# just before its rename.
_CREATE_MODE = _READ_ONLY if os.name != "nt" else stat.S_IREAD | stat.S_IWRITE


def _chunks(first: bytes, stream: BinaryIO):
    """`first` in chunks, then the rest of `stream` (none if `first` was shorter than a chunk:
    it was all of it)."""
    view = memoryview(first)
    for i in range(0, len(first), CHUNK):
        yield view[i:i + CHUNK]
    if len(first) >= CHUNK:
        while chunk := stream.read(CHUNK):
            yield chunk


def _write_all(fd: int, data) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _fsync_each(paths: list[str]) -> None:
    for path in paths:
        _fsync(path)


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def alive(pid: int) -> bool:
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

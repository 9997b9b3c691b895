"""Guarded worker processes: where a reader's failure cannot take the archive down.

Native readers (calamine, pypdfium2, PyAV, pi-heif, onnxruntime) can panic, abort or allocate
without end on a hostile file, and nothing in the same process can catch that. So every read of
a stored object runs in a long-lived worker process (spawned, as on Windows), one job at a time,
under limits: address space and CPU time set by the worker on itself where the OS offers them
(`resource`, POSIX), a wall clock kept by the parent everywhere (the worker is killed and
replaced), and a cap on the size of what it sends back. A job ends with its value or with a
`Failure` (crashed, memory, timeout, too_large) that the caller turns into a problem reason;
the pool goes on with a fresh worker. Panics of native bindings (BaseException subclasses other
than KeyboardInterrupt / SystemExit) are caught inside the worker too, which then retires.
The same pool serves extraction (`archive/ingest.py`) and OCR (`archive/ocr.py`).
"""
from __future__ import annotations

import atexit
import collections
import os
import pickle
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from enum import Enum
from multiprocessing import get_context
from multiprocessing.connection import wait as wait_for
from typing import Any, Callable

from . import reasons
from .extract import Extraction, extract, extract_bytes
from .limits import JobLimits


class Failure(str, Enum):
    CRASHED = "crashed"        # died, aborted, segfaulted, or a native panic
    MEMORY = "memory"          # passed its address-space limit
    TIMEOUT = "timeout"        # passed its wall clock or CPU time
    TOO_LARGE = "too_large"    # what it read is larger than it may send back


@dataclass
class Done:
    """How a job ended: its value, or why it has none."""
    value: Any = None
    failure: Failure | None = None
    detail: str = ""


@dataclass
class Job:
    fn: Callable
    args: tuple
    limits: JobLimits
    tag: Any = None
    started: float | None = None
    done: Done | None = None


# -- the worker side ---------------------------------------------------------------------------

def _die_with_parent() -> None:
    """A parent killed by the task manager must not leave workers behind."""
    import multiprocessing
    import threading

    parent = multiprocessing.parent_process()
    if parent is not None:
        def watch():
            wait_for([parent.sentinel])
            os._exit(1)
        threading.Thread(target=watch, daemon=True).start()


def _set_limits(limits: JobLimits) -> None:
    try:
        import resource
    except ImportError:             # Windows: the parent's wall clock and memory watch only
        return
    if limits.memory_bytes:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        soft = limits.memory_bytes if hard == resource.RLIM_INFINITY else min(limits.memory_bytes, hard)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    if limits.cpu_seconds:
        # the CPU limit counts the worker's whole life: give this job its own allowance
        used = resource.getrusage(resource.RUSAGE_SELF)
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        soft = int(used.ru_utime + used.ru_stime) + 1 + limits.cpu_seconds
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _fresh_stderr() -> None:
    """Each job's last words only: the file does not grow over a watcher's months, and an old
    MemoryError is never taken for this job's."""
    try:
        sys.stderr.flush()
        os.ftruncate(2, 0)
        os.lseek(2, 0, os.SEEK_SET)
    except (OSError, ValueError, AttributeError):
        pass


def _serve(conn, stderr_path: str, initializer, initargs) -> None:
    """A worker's life: take a job, run it under its limits, send back the outcome."""
    import signal
    # Ctrl+C is the parent's to handle (it stops the pass); a worker that died of it would
    # make the file in hand look like one that crashes its reader
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    try:                     # a native library's last words go to a file the parent reads
        fd = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 2)
        os.close(fd)
    except OSError:
        pass
    try:                     # an abort must not leave a core dump in the workspace
        import resource
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass
    if initializer is not None:
        initializer(*initargs)
    while True:
        try:
            fn, args, limits = conn.recv()
        except (EOFError, OSError):
            return
        _fresh_stderr()
        retire = False
        _set_limits(limits)
        try:
            out = ("ok", fn(*args))
        except MemoryError:
            out, retire = ("fail", Failure.MEMORY.value, "MemoryError"), True
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as e:           # pyo3's PanicException is a BaseException
            out, retire = ("fail", Failure.CRASHED.value, type(e).__name__), True
        try:
            data = pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL)
            if len(data) > limits.result_bytes:
                data = pickle.dumps(("fail", Failure.TOO_LARGE.value, str(len(data))))
        except MemoryError:
            data, retire = pickle.dumps(("fail", Failure.MEMORY.value, "MemoryError")), True
        except Exception as e:
            data = pickle.dumps(("fail", Failure.CRASHED.value, type(e).__name__))
        conn.send_bytes(data)
        if retire:              # a native library that panicked may be left in any state
            os._exit(0)


# -- the parent side ---------------------------------------------------------------------------

_MEMORY_WORDS = (b"memory allocation of", b"MemoryError", b"std::bad_alloc", b"out of memory",
                 b"Cannot allocate memory")


class _Worker:
    def __init__(self, ctx, folder: str, n: int, initializer, initargs):
        self.stderr = os.path.join(folder, f"worker-{n}.log")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, self.stderr, initializer, initargs),
                                daemon=True, name=f"yingjian-guard-{n}")
        self.proc.start()
        child.close()
        self.job: Job | None = None

    def kill(self) -> None:
        try:
            self.proc.kill()
        except (OSError, ValueError, AttributeError):
            pass
        self.proc.join(5)
        self.conn.close()

    def last_words(self) -> bytes:
        try:
            with open(self.stderr, "rb") as f:
                f.seek(0, 2)
                f.seek(max(0, f.tell() - 8192))
                return f.read()
        except OSError:
            return b""

    def rss(self) -> int:
        try:
            import psutil
            return psutil.Process(self.proc.pid).memory_info().rss
        except Exception:
            return 0


class GuardedPool:
    """`size` worker processes, started on first use and replaced when one fails. `submit()`
    queues a job, `collect()` returns finished ones; `run()` does one job and waits for it."""

    TICK = 0.25      # seconds between two looks at the wall clocks while waiting

    def __init__(self, size: int = 1, initializer: Callable | None = None, initargs: tuple = (),
                 clock: Callable[[], float] = time.monotonic):
        self.size = max(1, size)
        self.initializer = initializer
        self.initargs = initargs
        self.clock = clock
        self._ctx = get_context("spawn")     # as on Windows; and no forked SQLite handles
        self._folder: str | None = None
        self._workers: list[_Worker] = []
        self._queue: collections.deque[Job] = collections.deque()
        self._started = 0
        self.replaced = 0                    # workers that died or were killed, for the curious

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def busy(self) -> bool:
        return bool(self._queue) or any(w.job is not None for w in self._workers)

    @property
    def live(self) -> int:
        """Worker processes running now."""
        return len(self._workers)

    def submit(self, fn: Callable, args: tuple, limits: JobLimits, tag: Any = None) -> Job:
        job = Job(fn, tuple(args), limits, tag)
        self._queue.append(job)
        self._dispatch()
        return job

    def run(self, fn: Callable, args: tuple, limits: JobLimits) -> Done:
        job = self.submit(fn, args, limits)
        while job.done is None:
            self.collect(self.TICK)
        return job.done

    def collect(self, timeout: float = 0.0) -> list[Job]:
        """Jobs that ended (each with `.done`), waiting up to `timeout` for the first."""
        finished: list[Job] = []
        deadline = self.clock() + timeout
        while True:
            self._dispatch()
            busy = [w for w in self._workers if w.job is not None]
            if not busy:
                return finished
            now = self.clock()
            wait_s = min([self.TICK, max(0.0, deadline - now)] +
                         [max(0.0, w.job.started + w.job.limits.wall_seconds - now) for w in busy])
            ready = wait_for([w.conn for w in busy] + [w.proc.sentinel for w in busy],
                             timeout=wait_s)
            for w in busy:
                done = self._check(w, ready)
                if done is not None:
                    job, w.job = w.job, None
                    job.done = done
                    finished.append(job)
            if finished or self.clock() >= deadline:
                self._dispatch()
                return finished

    def _check(self, w: _Worker, ready) -> Done | None:
        """The outcome of `w`'s job if it has one: a reply, a death, a limit passed."""
        if w.conn in ready:
            try:
                status, *rest = pickle.loads(w.conn.recv_bytes())
            except (EOFError, OSError, pickle.UnpicklingError):
                return self._replace(w, self._death(w))
            if status == "ok":
                return Done(rest[0])
            done = Done(failure=Failure(rest[0]), detail=rest[1])
            if done.failure in (Failure.MEMORY, Failure.CRASHED):
                self._replace(w, None)           # the worker retires after such a job
            return done
        if w.proc.sentinel in ready:
            return self._replace(w, self._death(w))
        job = w.job
        if self.clock() - job.started > job.limits.wall_seconds:
            return self._replace(w, Done(failure=Failure.TIMEOUT,
                                         detail=f"{job.limits.wall_seconds:g}s"))
        if job.limits.memory_bytes and not _HAS_RLIMIT and w.rss() > job.limits.memory_bytes:
            return self._replace(w, Done(failure=Failure.MEMORY, detail="rss"))
        return None

    def _death(self, w: _Worker) -> Done:
        w.proc.join(5)
        code = w.proc.exitcode
        words = w.last_words()
        if any(m in words for m in _MEMORY_WORDS):
            return Done(failure=Failure.MEMORY, detail=f"exit {code}")
        if code is not None and code < 0 and _signal_name(-code) in ("SIGXCPU",):
            return Done(failure=Failure.TIMEOUT, detail="cpu")
        return Done(failure=Failure.CRASHED,
                    detail=_signal_name(-code) if code is not None and code < 0 else f"exit {code}")

    def _replace(self, w: _Worker, done: Done | None) -> Done | None:
        w.kill()
        self._workers.remove(w)
        self.replaced += 1
        return done

    def _dispatch(self) -> None:
        while self._queue:
            idle = next((w for w in self._workers if w.job is None), None)
            if idle is None:
                if len(self._workers) >= self.size:
                    return
                idle = self._spawn()
            job = self._queue.popleft()
            try:
                idle.conn.send((job.fn, job.args, job.limits))
            except (OSError, ValueError):          # died while idle: replace it, keep the job
                self._replace(idle, None)
                self._queue.appendleft(job)
                continue
            job.started = self.clock()
            idle.job = job

    def _spawn(self) -> _Worker:
        if self._folder is None:
            self._folder = tempfile.mkdtemp(prefix="yingjian-guard-")
        self._started += 1
        w = _Worker(self._ctx, self._folder, self._started, self.initializer, self.initargs)
        self._workers.append(w)
        return w

    def close(self) -> None:
        """Stop every worker (a job still running is abandoned) and forget queued jobs."""
        self._queue.clear()
        for w in self._workers:
            if w.job is None:
                try:
                    w.conn.close()
                except OSError:
                    pass
                w.proc.join(2)
            w.kill()
        self._workers.clear()
        if self._folder is not None:
            import shutil
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


try:
    import resource as _resource          # noqa: F401
    _HAS_RLIMIT = True
except ImportError:
    _HAS_RLIMIT = False


def _signal_name(n: int) -> str:
    import signal
    try:
        return signal.Signals(n).name
    except (ValueError, AttributeError):
        return f"signal {n}"


def ready() -> bool:
    """A job that does nothing: sent first to a new worker, it returns once the worker's
    initializer has run (OCR models loaded), so the next job's wall clock counts its work only."""
    return True


# -- the reader pool of this process -----------------------------------------------------------

_SHARED: GuardedPool | None = None
_SHARED_LOCK = threading.Lock()      # the web app reads from several threads: one at a time


def run_guarded(fn: Callable, args: tuple, limits: JobLimits) -> Done:
    """One read in this process's reader, whichever thread asks."""
    with _SHARED_LOCK:
        return shared().run(fn, args, limits)


def shared() -> GuardedPool:
    """The one pool that reads stored objects for this process (started on first use, stopped
    at exit): extraction is one file at a time, so one worker, kept warm between files."""
    global _SHARED
    if _SHARED is None:
        _SHARED = GuardedPool(1)     # its worker imports this module, and so the readers, at start
        atexit.register(_close_shared)
    return _SHARED


def _close_shared() -> None:
    global _SHARED
    if _SHARED is not None:
        _SHARED.close()
        _SHARED = None



# -- reading a stored object ---------------------------------------------------------------------

# formats whose reader is plain Python over bytes already in memory (no native library that could
# panic or abort, nothing that could run long on a small file): read in the process itself when
# small, which spares a round trip to the guarded reader for the commonest small files
IN_PROCESS = {"txt", "csv"}
IN_PROCESS_MAX_BYTES = 1 << 20


def in_process(fmt: str, size: int) -> bool:
    """Whether a content of this format and size is read in the process itself (IN_PROCESS)."""
    return fmt in IN_PROCESS and size <= IN_PROCESS_MAX_BYTES


def reads_in_process(path, fmt: str) -> bool:
    """Whether `read_object` reads this object in the process itself (see IN_PROCESS)."""
    return fmt in IN_PROCESS and in_process(fmt, os.path.getsize(path))


def read_in_memory(data: bytes, fmt: str, limits) -> Extraction | None:
    """`extract()` of a content from its bytes, already in memory, if `read_object` would read
    it in the process itself (see IN_PROCESS); None if it must be read from the stored object."""
    if not in_process(fmt, len(data)):
        return None
    return extract_bytes(data, fmt, limits)


def read_object(path, fmt: str, limits):
    """`extract()` of the object at `path`, in the guarded reader: an `Extraction`, whose
    problem says why when the reader crashed, ran out of memory or time, or read too much.
    A small plain-text file is read here (IN_PROCESS)."""
    if reads_in_process(path, fmt):
        return extract(path, fmt, limits)
    done = run_guarded(extract, (path, fmt, limits), limits.job_limits())
    if done.failure is None:
        return done.value
    return Extraction(problem=failure_reason(done, fmt, limits))


def failure_reason(done: Done, fmt: str, limits):
    """The problem reason for a job that ended without a value."""
    name = fmt.upper()
    if done.failure is Failure.MEMORY:
        return reasons.READ_OUT_OF_MEMORY.format(
            fmt=name, limit=reasons.human_size(limits.max_read_memory_bytes))
    if done.failure is Failure.TIMEOUT:
        return reasons.READ_TIMEOUT.format(fmt=name, seconds=limits.max_read_seconds)
    if done.failure is Failure.TOO_LARGE:
        return reasons.READ_RESULT_TOO_LARGE.format(
            fmt=name, size=reasons.human_size(int(done.detail or 0)),
            limit=reasons.human_size(limits.max_read_result_bytes))
    return reasons.READ_CRASHED.format(fmt=name, detail=done.detail)

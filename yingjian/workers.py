"""The workers: `yingjian worker` reads what the watchers archived, on any machine that reaches
the database, the broker and the objects (yingjian/cluster.py is the sending side).

Two tasks, each on its own queue: `extract` reads one stored object (text, facts, evidence
date) and sends its scanned pages to `ocr`, one task a page; the page that completes an object
merges its text. Every task is idempotent: it looks at the catalog first, counts its attempt
in the catalog's `work` ledger, and writes its result in the transaction that marks the piece
done, keyed by object, page and engine version, so a task delivered twice (its worker killed
before it acknowledged, a queue filled again by `requeue`) writes once.

The worker runs Celery's worker in this process with its `threads` pool: each task hands its
reads to one of N guarded reader processes (archive/guard.py, spawned as on Windows, started
and their models loaded before the first task), which keep the limits (memory, wall clock) and
take the crash of a poison file, so no file can kill the worker loop, and nothing forks
(Celery's prefork pool is unsupported on Windows, and would put a second layer of processes
above the guarded one). `--concurrency N` is N threads and N reader processes. Each object is
checked against its hash before it is read.
"""
from __future__ import annotations

import logging
import queue
import threading
import warnings
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Callable

from archive.extract import Extraction, extract
from archive.guard import GuardedPool, failure_reason, ready, reads_in_process
from archive.ingest import extraction_record, gave_up
from archive.limits import JobLimits
from archive.ocr import PageText, _worker_start, all_pages_read, merged, read_page
from archive.reasons import OBJECT_MISMATCH

from .config import WorkspaceError
from .cluster import QUEUES, TASK_EXTRACT, TASK_OCR, TASK_PREVIEWS, make_app, worker_name

log = logging.getLogger("yingjian.worker")

Say = Callable[[str, dict], None]        # what the worker did, as a code with data


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "0"


# what did a piece of work: a new engine reads again, an old result is never taken for its own
EXTRACT_ENGINE = f"yingjian-{_version('yingjian')}"
OCR_ENGINE = f"rapidocr-{_version('rapidocr')}"
PREVIEWS_ENGINE = f"previews-{_version('yingjian')}"
PREVIEW_PAGES = 8       # pages a previews task draws ahead; a longer file's others on first view


class _Worker:
    """The state of this worker process: its workspace, how it reports, its readers."""

    def __init__(self, ws, say: Say, readers: int):
        self.ws = ws
        self.say = say
        self.name = worker_name()
        self.verified: set[str] = set()
        self.lock = threading.Lock()
        ocr = ws.config.ocr
        self.readers: queue.Queue[GuardedPool] = queue.Queue()
        for _ in range(readers):            # one guarded reader process for each task at a time
            self.readers.put(GuardedPool(1, initializer=_worker_start if ocr else None,
                                         initargs=(ws.config.ocr_threads,) if ocr else ()))

    def warm(self) -> None:
        """Start every reader now and load its OCR models, side by side, before the first task."""
        pools = [self.readers.get() for _ in range(self.readers.qsize())]
        threads = [threading.Thread(target=_warm, args=(p,)) for p in pools]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for p in pools:
            self.readers.put(p)

    @contextmanager
    def reader(self):
        """A guarded reader process for one read, warm (started again if a read killed it)."""
        pool = self.readers.get()
        try:
            _warm(pool)
            yield pool
        finally:
            self.readers.put(pool)

    def check(self, sha: str):
        """None if the stored object is whole, else the problem reason (checked once a process).
        An object not there at all raises `ObjectUnavailable`: the work stays pending."""
        if sha in self.verified:
            return None
        found = self.ws.store.verify(sha)
        if found is None:
            with self.lock:
                if len(self.verified) > 100_000:
                    self.verified.clear()
                self.verified.add(sha)
            return None
        if not found:                   # an unmounted share must not make the backlog problems
            self.say("object_missing", {"sha": sha[:12], "objects": str(self.ws.config.objects)})
            raise ObjectUnavailable(sha)
        self.say("object_bad", {"sha": sha[:12], "found": found[:12]})
        return OBJECT_MISMATCH.format(found=found[:12])


def _warm(pool: GuardedPool) -> None:
    """Started, its initializer run, so the next read's wall clock counts reading only."""
    if not pool.live:
        pool.run(ready, (), JobLimits(wall_seconds=600, memory_bytes=None, cpu_seconds=None))


class ObjectUnavailable(Exception):
    """The object store has no such file here (a share not mounted?): the task leaves the work
    pending, to be sent again."""


_STATE: dict = {}


def _current() -> _Worker:
    return _STATE["worker"]


# -- the tasks -----------------------------------------------------------------------------------

def extract_object(w: _Worker, sha: str, send_pages: Callable[[str, list[int]], None],
                   send_previews: Callable[[str], None] = lambda sha: None) -> str:
    """Read one stored object and save what it holds; then send its scanned pages to OCR and
    its images to be drawn. Returns what happened: read, skipped (done before), unknown (not in
    the catalog)."""
    cat, limits = w.ws.catalog, w.ws.config.limits
    obj = cat.object(sha)
    if obj is None:
        return "unknown"
    outcome = "skipped"
    if obj["state"] == "pending" and cat.begin_work("extract", sha, -1, EXTRACT_ENGINE,
                                                    w.name) is not None:
        fmt = obj["format"]
        bad = w.check(sha)
        tries = cat.start_read(sha)
        if tries > limits.max_read_attempts:
            ex = gave_up(fmt, tries)
        elif bad is not None:
            ex = Extraction(problem=bad)
        else:
            path = w.ws.store.path(sha)
            if reads_in_process(path, fmt):
                ex = extract(path, fmt, limits)
            else:
                with w.reader() as pool:
                    done = pool.run(extract, (path, fmt, limits), limits.job_limits())
                ex = done.value if done.failure is None else \
                    Extraction(problem=failure_reason(done, fmt, limits))
        src = cat.first_source_of(sha)
        record = extraction_record(ex, fmt, src["name"] if src else "",
                                   src["mtime_ns"] if src else None)
        if cat.save_extraction_once(sha, EXTRACT_ENGINE, w.name, **record):
            outcome = "read"
            w.say("extracted", {"sha": sha[:12], "name": src["name"] if src else "",
                                "pages": ex.page_count or 0, "ocr": len(record["ocr_todo"]),
                                "problem": ex.problem})
            send_previews(sha)
    obj = cat.object(sha)
    if w.ws.config.ocr and obj["ocr"] == "pending":
        pending = cat.ocr_pending_of(sha)
        if pending is not None:
            send_pages(sha, pending["left"] or pending["pages"][-1:])
    return outcome


def ocr_page(w: _Worker, sha: str, page: int) -> str:
    """OCR one page of one stored object and save it; the page that completes the object
    merges its text. Returns read, skipped (read before) or unknown."""
    cat, limits = w.ws.catalog, w.ws.config.limits
    obj = cat.object(sha)
    if obj is None:
        return "unknown"
    outcome = "skipped"
    if obj["ocr"] == "pending" and page not in cat.ocr_page_numbers(sha) and \
            cat.begin_work("ocr", sha, page, OCR_ENGINE, w.name) is not None:
        bad = w.check(sha)
        if bad is not None:
            res = PageText(sha, page, error=bad.code)
        else:
            job = (sha, str(w.ws.store.path(sha)), obj["format"], page, limits)
            with w.reader() as pool:
                done = pool.run(read_page, (job,), limits.job_limits())
            res = done.value if done.failure is None else \
                PageText(sha, page, error=done.failure.value)
        if cat.save_ocr_page_once(sha, page, OCR_ENGINE, w.name, res.text, res.confidence,
                                  round(res.seconds, 3), res.error):
            outcome = "read"
            w.say("ocr_page", {"sha": sha[:12], "page": page + 1, "seconds": res.seconds,
                               "error": res.error})
    if all_pages_read(cat, sha) and cat.finish_ocr_once(sha, OCR_ENGINE, w.name,
                                                        **merged(cat, sha)):
        w.say("ocr_done", {"sha": sha[:12], "pages": len(cat.ocr_page_numbers(sha))})
    return outcome


def make_previews(w: _Worker, sha: str) -> str:
    """Draw one read object's thumbnail and its first pages' previews onto the objects' share,
    where every machine serving the web app finds them (each is also made on first view if no
    worker drew it). Returns read, skipped (done before) or unknown."""
    cat = w.ws.catalog
    obj = cat.object(sha)
    if obj is None or obj["state"] == "pending":
        return "unknown"
    tries = cat.begin_work("previews", sha, -1, PREVIEWS_ENGINE, w.name)
    if tries is None:
        return "skipped"
    if tries <= w.ws.config.limits.max_read_attempts and w.check(sha) is None:
        with w.reader() as pool:
            thumbs, previews = w.ws.image_makers(run=pool.run)
            thumbs.get(sha)
            pages = min(previews.pages(obj), PREVIEW_PAGES)
            for page in range(pages):
                previews.get(sha, page)
        w.say("previews", {"sha": sha[:12], "pages": pages})
    # a file that killed its reader more than the limit allows is drawn on first view (the
    # text card if it cannot be drawn): the worker gives up on it
    return "read" if cat.end_work("previews", sha, -1, PREVIEWS_ENGINE, w.name) else "skipped"


def register(app) -> None:
    """The tasks, on the workspace's Celery app (named as yingjian/cluster.py sends them)."""

    @app.task(name=TASK_EXTRACT, bind=True, acks_late=True, reject_on_worker_lost=True)
    def extract_task(self, sha: str) -> None:
        def send_pages(sha: str, pages: list[int]) -> None:
            for page in pages:
                self.app.send_task(TASK_OCR, args=[sha, page], retry=True)

        def send_previews(sha: str) -> None:
            self.app.send_task(TASK_PREVIEWS, args=[sha], retry=True)
        _guarded(lambda: extract_object(_current(), sha, send_pages, send_previews), sha)

    @app.task(name=TASK_OCR, bind=True, acks_late=True, reject_on_worker_lost=True)
    def ocr_task(self, sha: str, page: int) -> None:
        _guarded(lambda: ocr_page(_current(), sha, page), sha)

    @app.task(name=TASK_PREVIEWS, bind=True, acks_late=True, reject_on_worker_lost=True)
    def previews_task(self, sha: str) -> None:
        _guarded(lambda: make_previews(_current(), sha), sha)


def _guarded(work: Callable[[], str], sha: str) -> None:
    """Run a task's work; an unexpected error is reported and leaves the piece pending in the
    catalog (the next `requeue` sends it again), never stops the worker."""
    try:
        work()
    except ObjectUnavailable:
        pass                            # said by `check`; pending in the catalog
    except Exception as e:
        log.exception("task failed for %s", sha)
        _current().say("task_failed", {"sha": sha[:12], "detail": f"{type(e).__name__}: {e}"})


# -- the worker process ------------------------------------------------------------------------

def parse_queues(text: str | None) -> list[str]:
    """`--queues ocr,extract`: the queues named, each known; all of them if none."""
    names = [q.strip() for q in (text or "").replace(",", ",").split(",") if q.strip()]
    for q in names:
        if q not in QUEUES:
            raise WorkspaceError("queue_unknown", queue=q, known=", ".join(QUEUES))
    return names or list(QUEUES)


def run_worker(ws, queues: list[str], concurrency: int, say: Say) -> int:
    """Run a worker of this workspace until it is stopped (Ctrl+C, SIGTERM: the tasks in hand
    are finished or given back to the queue); returns its exit code."""
    if not ws.config.cluster.broker:
        raise WorkspaceError("cluster_no_broker", path=str(ws.config.root / "yingjian.toml"))
    ws.open_stores()
    # Celery warns a worker run as root; CI and many service set-ups do, and tasks are JSON only
    warnings.filterwarnings("ignore", message=".*superuser privileges.*")
    app = make_app(ws.config)
    register(app)
    _STATE["worker"] = _Worker(ws, say, concurrency)
    _current().warm()
    say("started", {"queues": ",".join(queues), "concurrency": concurrency,
                    "broker": ws.config.cluster.broker, "objects": str(ws.config.objects),
                    "name": _current().name})
    from celery.signals import worker_ready
    worker_ready.connect(lambda **_: say("ready", {}), weak=False)
    worker = app.Worker(pool="threads", concurrency=concurrency, queues=queues,
                        hostname=f"yingjian@{_current().name}", without_mingle=True,
                        without_gossip=True, without_heartbeat=True, quiet=True,
                        redirect_stdouts=False, loglevel="WARNING")
    worker.start()
    return worker.exitcode or 0

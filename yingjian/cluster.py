"""The archive's work on other machines, the sending side: with `[cluster] broker` in
yingjian.toml, the watcher and `ingest` only store, record and send a task; workers on any
machine that reaches the database, the broker and the objects do the reading
(yingjian/workers.py). Without `[cluster]` none of this is used.

The queue is Celery 5 on Redis, and the catalog stays the record: a task carries only an
object's hash (and a page), its result goes to the catalog, never to Redis, and whatever the
catalog says is pending can be sent again at any time, since every task is idempotent (the
catalog's `work` ledger). So Redis may be emptied or restarted: `requeue` (the command, and the
watcher's reconcile scan whenever the queues have drained) sends again what no worker finished.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from archive.limits import Limits
from archive.store import HOST

from .config import Config, WorkspaceError

log = logging.getLogger("yingjian.cluster")

EXTRACT, OCR, PREVIEWS = "extract", "ocr", "previews"          # the queues
QUEUES = (EXTRACT, OCR, PREVIEWS)
TRACKED = (EXTRACT, OCR)        # the queues of work the catalog keeps pending until it is done
TASK_EXTRACT = "yingjian.extract"               # read one stored object: text, facts, date
TASK_OCR = "yingjian.ocr_page"                  # OCR one page of one object
TASK_PREVIEWS = "yingjian.previews"             # its thumbnail and first pages' previews
RESTORE_SECONDS = 5                             # how often a worker looks for tasks to restore


def visibility_timeout(limits: Limits) -> int:
    """Seconds after which Redis gives a task no worker acknowledged to another worker (the
    worker died): above the longest task, which is one read under the guarded reader's wall
    clock (`max_read_seconds`), twice over for the object's hash check and the catalog's
    writes, and 20 s more. 620 s with the default limits."""
    return 2 * limits.max_read_seconds + 20


def make_app(config: Config):
    """The Celery app of a workspace: its broker, the queues, and the settings that make a
    task survive its worker: acknowledged only once done (`acks_late`), given back when the
    worker is lost, one task reserved per worker thread, results kept in the catalog only."""
    from celery import Celery
    app = Celery("yingjian", broker=config.cluster.broker, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        result_backend=None,
        task_routes={TASK_EXTRACT: {"queue": EXTRACT}, TASK_OCR: {"queue": OCR},
                     TASK_PREVIEWS: {"queue": PREVIEWS}},
        task_default_queue=EXTRACT,
        task_serializer="json",
        accept_content=["json"],
        broker_transport_options={"visibility_timeout": visibility_timeout(config.limits),
                                  "unacked_restore_interval": RESTORE_SECONDS,
                                  "unacked_restore_throttle": 1},
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=5,
        worker_hijack_root_logger=False,
        worker_cancel_long_running_tasks_on_connection_loss=False,
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0.2,
                                   "interval_step": 0.5, "interval_max": 1.0},
    )
    return app


class BrokerUnavailable(WorkspaceError):
    """The broker could not be reached: nothing is lost (the catalog keeps the work pending)."""

    def __init__(self, broker: str, detail: str):
        super().__init__("broker_unavailable", broker=broker, detail=detail)


@dataclass
class Requeued:
    """What `requeue` sent again: objects to read, OCR pages, objects whose pages are all read
    but not yet merged (sent as their last page), objects whose previews a worker began and
    did not finish."""
    extract: int = 0
    ocr_pages: int = 0
    ocr_files: int = 0
    previews: int = 0

    def to_json(self) -> dict:
        return {"extract": self.extract, "ocr_pages": self.ocr_pages, "ocr_files": self.ocr_files,
                "previews": self.previews}


class Sender:
    """Sends the archive's work to the workers' queues (the `Dispatch` of archive/ingest.py).
    A broker that cannot be reached never stops the caller: the work stays pending in the
    catalog, `on_event("broker_unavailable", …)` says so, and the next catch-up sends it."""

    def __init__(self, config: Config, catalog,
                 on_event: Callable[[str, dict], None] | None = None):
        self.config = config
        self.catalog = catalog
        self.on_event = on_event or (lambda code, data: log.warning("%s %s", code, data))
        self._app = None

    @property
    def app(self):
        if self._app is None:
            self._app = make_app(self.config)
        return self._app

    def _send(self, name: str, args: list) -> None:
        self.app.send_task(name, args=args, retry=True)

    def _try(self, sends: list[tuple[str, list]]) -> int:
        """Send in order until the broker fails; returns how many were sent."""
        for n, (name, args) in enumerate(sends):
            try:
                self._send(name, args)
            except Exception as e:      # kombu's OperationalError, redis' errors, a refused socket
                self.on_event("broker_unavailable", {"detail": f"{type(e).__name__}: {e}"})
                return n
        return len(sends)

    # -- the Dispatch of the ingest pipeline -------------------------------------------------

    def extract(self, shas: list[str]) -> None:
        self._try([(TASK_EXTRACT, [sha]) for sha in shas])

    def ocr(self, sha: str, pages: list[int]) -> int:
        return self._try([(TASK_OCR, [sha, page]) for page in pages])

    def catch_up(self) -> None:
        """Send the catalog's pending work again if the queues have drained (nothing waiting,
        nothing being worked on): then whatever is still pending was lost with the broker's
        data or a watcher killed between its commit and its send. While the queues are busy
        nothing is sent twice."""
        try:
            drained = self.drained()
        except Exception as e:
            self.on_event("broker_unavailable", {"detail": f"{type(e).__name__}: {e}"})
            return
        if drained:
            try:
                self.requeue()
            except BrokerUnavailable:
                pass                    # said by `_try`; the next catch-up sends it

    # -- the queues ---------------------------------------------------------------------------

    def drained(self) -> bool:
        """No task of the catalog's pending work waits in its queue, and no task at all is
        being worked on (unacknowledged). The previews' queue does not count: its images are
        made on first view as well, and a deployment may run no worker for it."""
        with self.app.connection_for_write() as conn:
            ch = conn.default_channel
            for q in TRACKED:
                if ch.queue_declare(queue=q, durable=True, auto_delete=False).message_count:
                    return False
            return not ch.client.hlen(ch.unacked_key)

    def queue_lengths(self) -> tuple[dict[str, int], int]:
        """Tasks waiting in each queue, and tasks taken by a worker and not yet acknowledged."""
        with self.app.connection_for_write() as conn:
            ch = conn.default_channel
            waiting = {q: ch.queue_declare(queue=q, durable=True, auto_delete=False).message_count
                       for q in QUEUES}
            return waiting, ch.client.hlen(ch.unacked_key)

    def requeue(self) -> Requeued:
        """Send again every piece of work the catalog has pending: objects not read, OCR pages
        not read, and objects whose pages are all read but not merged. Tasks are idempotent, so
        what is still queued as well costs a worker one look at the catalog."""
        out = Requeued()
        sends = [(TASK_EXTRACT, [row["sha"]]) for row in self.catalog.pending_objects()]
        out.extract = len(sends)
        if self.config.ocr:
            for obj in self.catalog.ocr_pending():
                pages = obj["left"] or obj["pages"][-1:]      # all read: the last one merges
                sends += [(TASK_OCR, [obj["sha"], p]) for p in pages]
                out.ocr_pages += len(obj["left"])
                out.ocr_files += 1
        unfinished = self.catalog.unfinished_work(PREVIEWS)
        sends += [(TASK_PREVIEWS, [sha]) for sha in unfinished]
        out.previews = len(unfinished)
        if self._try(sends) < len(sends):
            raise BrokerUnavailable(self.config.cluster.broker, "")
        return out


def requeue(ws) -> Requeued:
    """`yingjian requeue`: everything the catalog says is pending, sent to the workers again
    (after Redis was emptied or restarted, or a watcher was killed)."""
    sender = ws.dispatch
    if sender is None:
        raise WorkspaceError("cluster_no_broker", path=str(ws.config.root / "yingjian.toml"))
    failure: list[str] = []
    sender.on_event = lambda code, data: failure.append(data.get("detail", ""))
    try:
        return sender.requeue()
    except BrokerUnavailable:
        raise BrokerUnavailable(ws.config.cluster.broker, failure[0] if failure else "")


@dataclass
class Status:
    """`yingjian status`: what the archive still has to do, what waits in the queues, and what
    each worker did in the last hour."""
    backlog: dict
    broker: str | None
    queues: dict[str, int] | None = None       # None: no broker, or it could not be reached
    unacked: int | None = None
    broker_error: str | None = None
    workers: list[dict] | None = None
    since: str = ""

    def to_json(self) -> dict:
        return {**self.backlog, "broker": self.broker, "queues": self.queues, "unacked": self.unacked,
                "broker_error": self.broker_error, "workers": self.workers or [],
                "since": self.since}


def status(ws, hours: float = 1.0) -> Status:
    """The backlog from the catalog (whatever the broker's state), the queues from the broker if
    there is one, the ledger's work per worker over the last `hours`."""
    since = datetime.fromtimestamp(time.time() - hours * 3600, timezone.utc).astimezone()
    since_iso = since.isoformat(timespec="seconds")
    backlog = {**ws.files.backlog(), "previews": len(ws.catalog.unfinished_work(PREVIEWS))}
    out = Status(backlog=backlog, broker=ws.config.cluster.broker,
                 workers=ws.catalog.work_by_worker(since_iso), since=since_iso)
    sender = ws.dispatch
    if sender is not None:
        try:
            out.queues, out.unacked = sender.queue_lengths()
        except Exception as e:          # kombu's OperationalError, redis' errors, a refused socket
            out.broker_error = f"{type(e).__name__}: {e}"
    return out


def worker_name() -> str:
    """This process, as the catalog's ledger names who did a piece of work."""
    return f"{HOST}:{os.getpid()}"

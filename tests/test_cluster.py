"""The archive's work on workers, faults with real processes: a real redis-server started here
(tests/cluster_servers.py), `yingjian ingest`, `watch`, `worker` and `requeue` in processes of
their own, killed as machines die. The database is the `cluster_database` fixture (the
workspace's SQLite today; parametrized with PostgreSQL once those stores are merged)."""
from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from PIL import Image

from tests import factories as f
from tests import hostile
from tests.cluster_servers import (cluster_database, cluster_workspace, kill_hard,  # noqa: F401
                                   redis_server, start_worker, stop, wait_until, yingjian)
from archive.previews import WIDTH as PREVIEW_WIDTH
from yingjian.cluster import Sender, visibility_timeout
from yingjian.workspace import Workspace

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

# one line a page, words the OCR reads reliably (tests/test_ocr.py)
PAGES = ["双拥工作领导小组会议纪要", "研究部署走访慰问驻地部队工作",
         "捧乍镇烈士陵园清明祭扫活动", "二〇二二年十二月二十四日"]


def compact(s: str) -> str:
    return "".join(s.split())


def run(root: Path, *args: str) -> subprocess.CompletedProcess:
    res = subprocess.run(yingjian(root, *args), capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    return res


def _sha(ws, name: str) -> str:
    return next(r["sha"] for r in ws.catalog.files() if r["name"] == name)


def _previews_done(ws) -> int:
    return sum(1 for r in ws.catalog.files()
               for w in ws.catalog.work_done(r["sha"]) if w["task"] == "previews" and w["done_at"])


def _all_read(ws):
    rows = ws.catalog.files()
    return rows and all(r["state"] != "pending" and r["ocr"] != "pending" for r in rows)


def test_a_worker_killed_during_ocr_leaves_every_page_read_once(tmp_path, redis_server,
                                                                 cluster_database):
    """SIGKILL in the middle of a page: nothing acknowledged, so Redis gives the task to the next
    worker once its visibility timeout passes; the pages read before the kill are not read again,
    the page in hand is read once more, and the file's text is complete."""
    ws = cluster_workspace(tmp_path / "ws", redis_server.url, tmp_path / "share/objects",
                           cluster_database, max_read_seconds=6)
    f.scanned_pdf(ws.config.inbox / "人武部/会议纪要扫描件.pdf", PAGES)
    run(ws.config.root, "ingest")
    assert ws.catalog.object(_sha(ws, "会议纪要扫描件.pdf"))["state"] == "pending"  # not read here
    sha = _sha(ws, "会议纪要扫描件.pdf")

    def in_hand():
        """A page begun and not finished, after at least one page was saved."""
        rows = [r for r in ws.catalog.work_done(sha) if r["task"] == "ocr"]
        busy = [r["page"] for r in rows if r["done_at"] is None]
        return busy if busy and len(ws.catalog.ocr_pages(sha)) >= 1 else None

    first = start_worker(ws.config.root, tmp_path / "worker1.log", "--queues", "extract,ocr")
    try:
        killed_on = wait_until(in_hand, 120, "a page in hand", every=0.02,
                               logs=[tmp_path / "worker1.log"])[0]
    finally:
        kill_hard(first)
    before = {p: (r["text"], r["seconds"]) for p, r in ws.catalog.ocr_pages(sha).items()}
    assert killed_on not in before and 0 < len(before) < len(PAGES)

    second = start_worker(ws.config.root, tmp_path / "worker2.log")
    try:        # no requeue: the killed worker's task comes back by itself
        wait_until(lambda: ws.catalog.object(sha)["ocr"] == "done",
                   visibility_timeout(ws.config.limits) + 90, "the OCR to finish",
                   logs=[tmp_path / "worker1.log", tmp_path / "worker2.log"])
    finally:
        stop(second)
    pages = ws.catalog.ocr_pages(sha)
    assert sorted(pages) == list(range(len(PAGES)))
    assert all(pages[p]["error"] is None for p in pages)
    assert {p: (pages[p]["text"], pages[p]["seconds"]) for p in before} == before   # not read again
    ledger = {r["page"]: r for r in ws.catalog.work_done(sha) if r["task"] == "ocr"}
    assert all(r["done_at"] for r in ledger.values())
    assert {p: r["attempts"] for p, r in ledger.items()} == \
        {p: 2 if p == killed_on else 1 for p in range(len(PAGES))}
    text = compact(ws.catalog.object(sha)["text"])
    assert all(compact(page) in text for page in PAGES), text
    print(f"killed on page {killed_on + 1}; {len(before)} pages read before, kept; "
          f"attempts {[ledger[p]['attempts'] for p in sorted(ledger)]}")


def test_an_emptied_redis_loses_no_work_requeue_and_a_worker_finish_it(tmp_path, redis_server,
                                                                      cluster_database):
    ws = cluster_workspace(tmp_path / "ws", redis_server.url, tmp_path / "share/objects",
                           cluster_database)
    f.scanned_pdf(ws.config.inbox / "人武部/会议纪要扫描件.pdf", PAGES[:2])
    f.text_pdf(ws.config.inbox / "教育局/征兵工作总结.pdf", ["2021年征兵工作总结\n2021年10月20日"])
    (ws.config.inbox / "教育局/台账说明.txt").write_text("优抚对象台账说明 2022年3月1日", encoding="utf-8")
    run(ws.config.root, "ingest")
    assert redis_server.client().llen("extract") == 3
    st = json.loads(run(ws.config.root, "status", "--json").stdout)
    assert (st["extract"], st["queues"], st["unacked"]) == \
        (3, {"extract": 3, "ocr": 0, "previews": 0}, 0)

    redis_server.stop()
    redis_server.delete_data()
    redis_server.start()
    assert redis_server.client().llen("extract") == 0          # the queue is gone

    run(ws.config.root, "ingest")           # a pass finds the queues drained, the work pending
    assert redis_server.client().llen("extract") == 3
    redis_server.client().flushall()
    out = json.loads(run(ws.config.root, "requeue", "--json").stdout)
    assert out == {"extract": 3, "ocr_pages": 0, "ocr_files": 0, "previews": 0}
    worker = start_worker(ws.config.root, tmp_path / "worker.log", "--concurrency", "2")
    try:
        wait_until(lambda: _all_read(ws), 120, "every file read", logs=[tmp_path / "worker.log"])
        wait_until(lambda: _previews_done(ws) == 3, 120, "every file's previews drawn",
                   logs=[tmp_path / "worker.log"])
    finally:
        stop(worker)
    rows = {r["name"]: r for r in ws.catalog.files()}
    assert all(r["state"] == "ok" for r in rows.values())
    st = json.loads(run(ws.config.root, "status", "--json").stdout)      # the worker's hour
    assert (st["extract"], st["ocr_pages"], len(st["workers"])) == (0, 0, 1)
    assert st["workers"][0]["done"] == {"extract": 3, "ocr": 2, "ocr_merge": 1, "previews": 3}
    assert "工作进程" in run(ws.config.root, "status").stdout
    # the workers drew each file's thumbnail and the scan's pages onto the share, where a web
    # app on any machine finds them: a head opening the workspace serves them as they are
    share = tmp_path / "share/objects/derived"
    scan, pdf = rows["会议纪要扫描件.pdf"]["sha"], rows["征兵工作总结.pdf"]["sha"]
    drawn = {p.relative_to(share).as_posix(): p.stat().st_mtime_ns
             for p in share.rglob("*.jpg")}
    assert set(drawn) == {f"thumbs/{r['sha'][:2]}/{r['sha']}.jpg" for r in rows.values()} | \
        {f"previews/{scan[:2]}/{scan}-{p}.jpg" for p in range(2)} | \
        {f"previews/{pdf[:2]}/{pdf}-0.jpg"}         # a text PDF's page is drawn too
    head = Workspace.open(ws.config.root)
    try:
        for r in rows.values():
            assert head.files.thumbnail(r["sha"]) == share / "thumbs" / r["sha"][:2] / f"{r['sha']}.jpg"
        assert head.files.page_image(scan, 1) == share / "previews" / scan[:2] / f"{scan}-1.jpg"
        assert {p.relative_to(share).as_posix(): p.stat().st_mtime_ns
                for p in share.rglob("*.jpg")} == drawn           # served, not drawn again
        with Image.open(head.files.page_image(scan, 0)) as img:
            assert abs(img.width - PREVIEW_WIDTH) <= 2            # a page at reading size
    finally:
        head.close()
    assert "研究部署走访慰问驻地部队工作" in compact(ws.catalog.object(rows["会议纪要扫描件.pdf"]["sha"])["text"])
    assert rows["征兵工作总结.pdf"]["date"] == "2021-10-20"
    assert rows["台账说明.txt"]["date"] == "2022-03-01"
    again = json.loads(run(ws.config.root, "requeue", "--json").stdout)
    assert again == {"extract": 0, "ocr_pages": 0, "ocr_files": 0, "previews": 0}       # nothing left to do
    summary = run(ws.config.root, "requeue").stdout
    assert "已重新排队:0 个文件待读取" in summary
    # a worker died drawing a file's previews: requeue sends them again (made on view anyway)
    ws.catalog.begin_work("previews", scan, -1, "previews-0", "dead:1")
    assert json.loads(run(ws.config.root, "requeue", "--json").stdout)["previews"] == 1
    assert redis_server.client().llen("previews") == 1
    sha = rows["台账说明.txt"]["sha"]       # the office asks for a file to be read again
    again = json.loads(run(ws.config.root, "retry", sha[:8], "--json").stdout)
    assert again["status"] == "pending" and redis_server.client().llen("extract") == 1
    assert ws.catalog.work_done(sha) == []             # the ledger forgets it: read afresh


def test_a_task_sent_twice_is_done_once_and_a_poison_file_does_not_stop_the_worker(
        tmp_path, redis_server, cluster_database):
    """Every task three times: twice in a row (a worker of two threads runs both copies at
    once) and once more by `requeue` while they are still queued: each piece is written once. A file that crashes its reader is a problem with its
    reason, and so is a stored copy that no longer hashes to its name; the worker goes on."""
    ws = cluster_workspace(tmp_path / "ws", redis_server.url, tmp_path / "share/objects",
                           cluster_database)
    f.scanned_pdf(ws.config.inbox / "人武部/会议纪要扫描件.pdf", PAGES[:2])
    hostile.xls_sheet_offset_past_end(ws.config.inbox / "人武部/损坏的台账.xls")
    (ws.config.inbox / "教育局/说明.txt").write_text("国防教育 2021年5月1日", encoding="utf-8")
    (ws.config.inbox / "教育局/副本.txt").write_text("拥军优属 2021年6月1日", encoding="utf-8")
    run(ws.config.root, "ingest")
    damaged = ws.store.path(_sha(ws, "副本.txt"))      # the share hands back other bytes
    damaged.chmod(0o600)
    damaged.write_bytes("拥军优属 2027年6月1日".encode())
    (ws.config.inbox / "教育局/丢失.txt").write_text("征兵通知 2021年7月1日", encoding="utf-8")
    run(ws.config.root, "ingest")
    ws.store.path(_sha(ws, "丢失.txt")).unlink()          # as on a worker whose share is not mounted
    # each task twice in a row, so that a worker of two threads runs both copies at once, and a
    # third time at the end of the queue
    shas = [r["sha"] for r in ws.catalog.files()]
    redis_server.client().delete("extract")
    Sender(ws.config, ws.catalog).extract([sha for sha in shas for _ in (1, 2)])
    assert json.loads(run(ws.config.root, "requeue", "--json").stdout)["extract"] == 5
    assert redis_server.client().llen("extract") == 15
    worker = start_worker(ws.config.root, tmp_path / "worker.log", "--concurrency", "2")
    try:
        wait_until(lambda: not redis_server.client().llen("extract")
                   and not redis_server.client().llen("ocr")
                   and not redis_server.client().llen("previews") and
                   all(r["state"] != "pending" and r["ocr"] != "pending"
                       for r in ws.catalog.files() if r["name"] != "丢失.txt"),
                   120, "every task done", logs=[tmp_path / "worker.log"])
        time.sleep(1)
    finally:
        stop(worker)
    rows = {r["name"]: r for r in ws.catalog.files()}
    assert json.loads(rows["损坏的台账.xls"]["reason"])["code"] == "read_crashed"
    assert rows["说明.txt"]["state"] == "ok" and rows["会议纪要扫描件.pdf"]["ocr"] == "done"
    assert json.loads(rows["副本.txt"]["reason"])["code"] == "object_mismatch"   # never read
    assert rows.pop("丢失.txt")["state"] == "pending"      # not a problem: still to be read
    for r in rows.values():                 # each piece done, once (copies run at once may
        ledger = ws.catalog.work_done(r["sha"])     # both read; only one writes)
        assert ledger and all(w["done_at"] for w in ledger), ledger
    assert len(ws.catalog.ocr_page_numbers(rows["会议纪要扫描件.pdf"]["sha"])) == 2
    log = (tmp_path / "worker.log").read_text(encoding="utf-8")
    assert log.count("已读取") == 4 and log.count("已识别") == 2 and log.count("已全部完成") == 1, log
    assert "校验不符" in log and "找不到归档文件" in log


def test_two_watchers_on_two_shares_at_once_record_no_object_or_version_twice(
        tmp_path, redis_server, cluster_database):
    """Two `yingjian watch`, one per inbox share (each with its own units), recording into the
    same database and the same objects at the same time, the same contents arriving on both:
    each content is one object, each path's versions are recorded once, and every object read
    is sent to the workers."""
    share, archive = tmp_path / "share/objects", tmp_path / "archive"
    archive.mkdir()
    roots = []
    for name, unit in (("甲", "人武部"), ("乙", "教育局")):
        inbox = tmp_path / f"inbox-{name}"
        ws = cluster_workspace(tmp_path / f"ws-{name}", redis_server.url, share, cluster_database,
                               units=(unit,), inbox=inbox)
        if cluster_database is None:        # SQLite: one catalog file, so one archive folder
            p = ws.config.root / "yingjian.toml"
            p.write_text(p.read_text(encoding="utf-8").replace(
                'archive = "archive"', f'archive = "{archive.as_posix()}"'), encoding="utf-8")
        ws.close()
        roots.append((ws.config.root, inbox / unit))
    watchers = [subprocess.Popen(yingjian(root, "watch", "--poll", "0.5"),
                                 stdout=open(tmp_path / f"watch-{n}.log", "wb"),
                                 stderr=subprocess.STDOUT, start_new_session=True)
                for n, (root, _) in enumerate(roots)]
    try:
        time.sleep(2)
        for n in range(12):                 # the same twelve contents on both shares at once
            for _, unit_dir in roots:
                (unit_dir / f"通知{n}.txt").write_text(f"通知 第{n}号 2022年{n % 12 + 1}月1日",
                                                      encoding="utf-8")
        from yingjian.workspace import Workspace
        ws = Workspace.open(roots[0][0])
        logs = [tmp_path / "watch-0.log", tmp_path / "watch-1.log", ws.config.archive / "watch.log"]
        wait_until(lambda: len(ws.catalog.files()) == 24, 90, "24 paths recorded", logs=logs)
        for n in range(4):                  # a new version of four of them, on both
            for _, unit_dir in roots:
                (unit_dir / f"通知{n}.txt").write_text(f"通知 第{n}号(修订)", encoding="utf-8")
        wait_until(lambda: sum(r["versions"] for r in ws.catalog.files()) >= 32, 90,
                   "the new versions recorded", logs=logs)
        time.sleep(1.5)                     # a few more rounds of both watchers
    finally:
        for w in watchers:
            stop(w)
    rows = ws.catalog.files()
    assert len(rows) == 24 and ws.catalog.object_count() == 16       # 12 contents + 4 revisions
    # neither watcher took the other's units for deleted folders of its own
    from yingjian import records
    assert not [r["path"] for r in records.files(ws.catalog) if r["status"] == "withdrawn"]
    assert sorted(r["versions"] for r in rows) == [1] * 16 + [2] * 8
    for r in rows:
        shas = [v["sha"] for v in ws.catalog.versions(r["source_id"])]
        assert len(shas) == len(set(shas))
    stored = [p for p in share.rglob("*") if p.is_file() and p.parent.name != "tmp"]
    assert len(stored) == 16 and not list((share / "tmp").iterdir())
    queued = redis_server.client().llen("extract")
    assert queued >= 16                     # every object sent to the workers (a few twice)
    ws.close()

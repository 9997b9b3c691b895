"""The watcher: events and polling, stability, and resilience to bad files."""
import logging
import re
import threading
import time

import pytest

from archive.watch import Watcher
from tests import factories as f
from tests.conftest import files_by_path


def wait_for(cond, timeout=20.0, step=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return False


@pytest.fixture
def running(ws):
    """Start a watcher in a thread; yields a function that starts it with given options."""
    started = []

    def start(poll=None, stable=0.5):
        results = []
        w = Watcher(ws.ingestor(stable_seconds=stable, incomplete_after=30), poll=poll,
                    reconcile_every=60, tick=0.1, on_result=results.append)
        t = threading.Thread(target=w.run, daemon=True)
        t.start()
        started.append((w, t))
        return w, results

    yield start
    for w, t in started:
        w.stop()
        t.join(timeout=10)


def slow_write(path, data, chunks=8, pause=0.3):
    with open(path, "wb") as out:
        step = len(data) // chunks + 1
        for i in range(0, len(data), step):
            out.write(data[i:i + step])
            out.flush()
            time.sleep(pause)


@pytest.mark.slow
@pytest.mark.parametrize("poll", [None, 0.3], ids=["events", "polling"])
def test_slowly_written_file_is_archived_once_and_whole(ws, inbox, running, poll):
    data = f.text_pdf(ws.config.root / "src.pdf", ["逐块写入的文件"] * 40).read_bytes()
    w, results = running(poll=poll, stable=0.8)
    time.sleep(0.5)
    slow_write(inbox / "人武部" / "慢速复制.pdf", data)
    assert wait_for(lambda: "人武部/慢速复制.pdf" in files_by_path(ws))
    time.sleep(1.5)      # would a second, later version sneak in?
    row = files_by_path(ws)["人武部/慢速复制.pdf"]
    assert row["versions"] == 1
    assert ws.store.path(row["id"]).read_bytes() == data
    assert [r.rel for r in results] == ["人武部/慢速复制.pdf"]


@pytest.mark.slow
def test_startup_scan_picks_up_files_dropped_while_stopped(ws, inbox, running):
    f.text_pdf(inbox / "教育局/停机期间.pdf", ["停机期间放入"])
    running(stable=0.2)
    assert wait_for(lambda: "教育局/停机期间.pdf" in files_by_path(ws))


@pytest.mark.slow
def test_bad_file_does_not_stop_the_watcher(ws, inbox, running):
    running(stable=0.2)
    time.sleep(0.3)
    (inbox / "人武部/坏.pdf").write_bytes(b"%PDF-1.4 nothing here %%EOF")
    f.png_bomb(inbox / "人武部/炸弹.png")
    time.sleep(0.2)
    f.photo_jpeg(inbox / "人武部/好.jpg", exif_date="2022:05:01 10:00:00")
    assert wait_for(lambda: {"人武部/坏.pdf", "人武部/炸弹.png", "人武部/好.jpg"}
                    <= set(files_by_path(ws)))
    rows = files_by_path(ws)
    assert rows["人武部/好.jpg"]["status"] == "ok"
    assert rows["人武部/坏.pdf"]["status"] == rows["人武部/炸弹.png"]["status"] == "problem"


@pytest.mark.slow
def test_deleted_file_is_marked_withdrawn_by_the_watcher(ws, inbox, running):
    p = f.text_pdf(inbox / "人武部/将删除.pdf", ["内容"])
    running(stable=0.2)
    assert wait_for(lambda: "人武部/将删除.pdf" in files_by_path(ws))
    p.unlink()
    assert wait_for(lambda: files_by_path(ws)["人武部/将删除.pdf"]["status"] == "withdrawn")


def test_polling_walks_the_share_once_an_interval_and_logs_what_it_cost(ws, inbox, running, caplog):
    """On a share the reconcile scan is the polling: one walk per interval (no polling observer
    walking it a second time), each logged with the files seen and the seconds it took."""
    for i in range(3):
        (inbox / "人武部" / f"记录{i}.txt").write_text(f"记录 {i}", encoding="utf-8")
    caplog.set_level(logging.INFO, logger="yingjian.watch")
    w, _ = running(poll=0.3, stable=0.1)
    assert wait_for(lambda: len(files_by_path(ws)) == 3)
    assert wait_for(lambda: len([r for r in caplog.records if "reconcile scan" in r.message]) >= 3)
    walks = [r.getMessage() for r in caplog.records if "reconcile scan" in r.getMessage()]
    assert re.fullmatch(r"reconcile scan: 3 files seen in [\d.]+ s \([\d.]+ s CPU\); \d+ to look at",
                        walks[-1])
    assert w.last_walk.files == 3 and w.last_walk.seconds >= 0
    assert not [t for t in threading.enumerate() if "Emitter" in type(t).__name__]

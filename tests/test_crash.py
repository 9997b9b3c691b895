"""kill -9 at random moments during ingest, then a clean run: nothing lost, nothing doubled."""
import hashlib
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests import factories as f
from tests.conftest import files_by_path

pytestmark = pytest.mark.slow


def _ingest_cmd(root):
    return [sys.executable, "-m", "yingjian", "-w", str(root), "ingest", "--json"]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX")
def test_kill_9_mid_ingest_then_restart_loses_nothing_and_doubles_nothing(ws, inbox):
    rnd = random.Random(20261129)
    expected = {}

    def drop(i):
        unit = ("人武部", "教育局")[i % 2]
        kind = i % 4
        if kind == 0:
            p = f.text_pdf(inbox / unit / f"文件{i:03d}.pdf", [f"第{i}号文件 2021年{i % 12 + 1}月1日"])
        elif kind == 1:
            p = f.photo_jpeg(inbox / unit / f"照片{i:03d}.jpg",
                             exif_date=f"2022:0{i % 9 + 1}:01 10:00:00", size=(400 + i, 300))
        elif kind == 2:
            p = f.docx_file(inbox / unit / f"总结{i:03d}.docx", [f"总结 {i}"])
        else:
            p = f.xlsx_file(inbox / unit / f"台账{i:03d}.xlsx", [["序号", "内容"], [i, f"条目{i}"]])
        expected[p.relative_to(inbox).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()

    ws.close()
    kills, n = 0, 0
    for trial in range(10):
        for _ in range(30):        # every trial has fresh work to be interrupted in
            drop(n)
            n += 1
        if trial == 0:             # the same bytes in both units
            dup = (inbox / "人武部" / "文件000.pdf").read_bytes()
            (inbox / "教育局" / "转发文件000.pdf").write_bytes(dup)
            expected["教育局/转发文件000.pdf"] = hashlib.sha256(dup).hexdigest()
        proc = subprocess.Popen(_ingest_cmd(ws.config.root), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rnd.uniform(0.3, 0.9))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    final = subprocess.run(_ingest_cmd(ws.config.root), capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr
    assert kills >= 3, "the runs finished too fast to be killed mid-way"

    db = sqlite3.connect(ws.config.catalog)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    counts = dict(db.execute("SELECT path, COUNT(*) FROM sources GROUP BY path").fetchall())
    versions = dict(db.execute("SELECT s.path, COUNT(v.id) FROM sources s JOIN versions v "
                               "ON v.source_id = s.id GROUP BY s.path").fetchall())
    pending = db.execute("SELECT COUNT(*) FROM objects WHERE state = 'pending'").fetchone()[0]
    db.close()
    rows = files_by_path(ws)
    lost = [p for p in expected if p not in rows]
    doubled = [p for p, n in counts.items() if n != 1] + [p for p, n in versions.items() if n != 1]
    print(f"kill trials: {kills}, files: {len(expected)}, lost: {len(lost)}, duplicated: {len(doubled)}")
    assert lost == [] and doubled == [] and pending == 0
    for path, digest in expected.items():
        assert rows[path]["id"] == digest
        assert hashlib.sha256(ws.store.path(digest).read_bytes()).hexdigest() == digest
